/* nn_stats.c — one-pass summary statistics of a tensor's elements. */
#include "nn.h"

#include <math.h>

#define BLOCK 2048

void nn_summary_init(nn_summary *s)
{
    *s = (nn_summary){.min = INFINITY, .max = -INFINITY};
}

void nn_summary_merge(nn_summary *s, const nn_summary *t)
{
    s->nan += t->nan;
    s->inf += t->inf;
    if (!t->n)
        return;
    if (t->min < s->min)
        s->min = t->min;
    if (t->max > s->max)
        s->max = t->max;
    double n = (double)s->n + (double)t->n, d = t->mean - s->mean;
    s->mean += d * ((double)t->n / n);
    s->m2 += t->m2 + d * d * ((double)s->n * (double)t->n / n);
    s->n += t->n;
}

/* One block of doubles, two passes while it is in cache: the sum with the
 * extremes, then squared deviations from the block mean. */
static void block(nn_summary *s, const double *x, size_t n)
{
    nn_summary b;
    nn_summary_init(&b);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (isnan(v)) {
            b.nan++;
        } else if (isinf(v)) {
            b.inf++;
        } else {
            sum += v;
            b.min = v < b.min ? v : b.min;
            b.max = v > b.max ? v : b.max;
            b.n++;
        }
    }
    if (b.n) {
        b.mean = sum / (double)b.n;
        for (size_t i = 0; i < n; i++)
            if (isfinite(x[i]))
                b.m2 += (x[i] - b.mean) * (x[i] - b.mean);
    }
    nn_summary_merge(s, &b);
}

/* The same for f32 without a conversion pass: the common case. */
static void block_f32(nn_summary *s, const float *x, size_t n)
{
    nn_summary b;
    nn_summary_init(&b);
    double sum = 0;
    float lo = INFINITY, hi = -INFINITY;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (!isfinite(v)) {
            bad++;
            continue;
        }
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (bad) {
        for (size_t i = 0; i < n; i++) {
            if (isnan(x[i]))
                b.nan++;
            else if (isinf(x[i]))
                b.inf++;
        }
    }
    b.n = n - bad;
    if (b.n) {
        b.min = lo;
        b.max = hi;
        b.mean = sum / (double)b.n;
        double m2 = 0;
        for (size_t i = 0; i < n; i++) {
            double d = (double)x[i] - b.mean;
            m2 += isfinite(x[i]) ? d * d : 0;
        }
        b.m2 = m2;
    }
    nn_summary_merge(s, &b);
}

void nn_summary_add(nn_summary *s, const void *data, int dt, size_t n)
{
    size_t es = nn_dtype_size(dt);
    double buf[BLOCK];
    for (size_t i = 0; i < n; i += BLOCK) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        const char *p = (const char *)data + i * es;
        if (dt == NN_F32) {
            block_f32(s, (const float *)p, k);
        } else if (dt == NN_F64) {
            block(s, (const double *)p, k);
        } else {
            nn_convert(buf, NN_F64, p, dt, k);
            block(s, buf, k);
        }
    }
}

double nn_summary_std(const nn_summary *s)
{
    return s->n ? sqrt(s->m2 / (double)s->n) : NAN;
}

/* nn_gram.c — the augmented Gram matrix of [1 Z Y], accumulated in double
 * precision over row blocks with dsyrk, and what follows from it. */
#include "linalg/nn_linalg.h"

#include <cblas.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct nn_gram {
    size_t nz, ny, n;       /* n = 1 + nz + ny */
    uint64_t rows;
    double *g;              /* (n,n), upper triangle accumulated */
    double *block;          /* row block of A being assembled */
    size_t block_rows, block_cap;
    /* nn_gram_single: blocks of f32 rows a - s, s the first block's means */
    float *b32, *g32, *s32;
    double *sum;            /* (n) sum of a - s over the rows */
    uint64_t srows;         /* the rows in sum, 0 before the first block */
};

nn_gram *nn_gram_new(size_t nz, size_t ny, nn_error *e)
{
    size_t n, nn, nb;
    if (__builtin_add_overflow(nz, ny, &n) ||
        __builtin_add_overflow(n, 1, &n) || __builtin_mul_overflow(n, n, &nn)) {
        nn_fail(e, "a Gram matrix of 1+%zu+%zu columns is too large", nz, ny);
        return NULL;
    }
    nn_gram *g = nn_alloc(1, sizeof *g, "Gram matrix", e);
    if (!g)
        return NULL;
    memset(g, 0, sizeof *g);
    g->nz = nz;
    g->ny = ny;
    g->n = n;
    /* blocks of about 32 MiB: long enough for dsyrk to run at its rate */
    size_t cap = ((size_t)1 << 22) / n;
    g->block_cap = cap < 256 ? 256 : cap > 8192 ? 8192 : cap;
    if (__builtin_mul_overflow(g->block_cap, n, &nb))
        nb = SIZE_MAX; /* nn_alloc then fails */
    g->g = nn_alloc(nn, sizeof *g->g, "Gram matrix", e);
    g->block = g->g ? nn_alloc(nb, sizeof *g->block, "row block", e) : NULL;
    if (!g->g || !g->block) {
        nn_gram_free(g);
        return NULL;
    }
    memset(g->g, 0, nn * sizeof *g->g);
    return g;
}

void nn_gram_free(nn_gram *g)
{
    if (!g)
        return;
    free(g->g);
    free(g->block);
    free(g->b32);
    free(g->g32);
    free(g->s32);
    free(g->sum);
    free(g);
}

size_t nn_gram_nz(const nn_gram *g) { return g->nz; }
size_t nn_gram_ny(const nn_gram *g) { return g->ny; }
size_t nn_gram_dim(const nn_gram *g) { return g->n; }
uint64_t nn_gram_rows(const nn_gram *g) { return g->rows; }
const double *nn_gram_matrix(const nn_gram *g) { return g->g; }

int nn_gram_merge(nn_gram *g, size_t k, const double *sums, uint64_t rows,
                  nn_error *e)
{
    uint64_t total;
    if (k > g->n)
        return nn_fail(e, "sums of side %zu do not fit a Gram matrix of "
                       "side %zu", k, g->n);
    if (__builtin_add_overflow(g->rows, rows, &total))
        return nn_fail(e, "the rows add up past 2^64");
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            g->g[i * g->n + j] += sums[i * k + j];
    g->rows = total;
    return 0;
}

void nn_gram_set(nn_gram *g, size_t i, size_t j, double v)
{
    g->g[i * g->n + j] = v;
    g->g[j * g->n + i] = v;
}

/* Here rather than in nn_tsqr.c: it writes the Gram's matrix. */
nn_gram *nn_tsqr_gram(const nn_tsqr *q, nn_error *e)
{
    nn_gram *g = nn_gram_new(nn_tsqr_nz(q), nn_tsqr_ny(q), e);
    if (!g)
        return NULL;
    const double *r = nn_tsqr_factor(q);
    nn_gemm_f64(1, 0, g->n, g->n, g->n, 1.0, r, r, 0.0, g->g);
    g->rows = nn_tsqr_rows(q);
    return g;
}

int nn_gram_single(nn_gram *g, nn_error *e)
{
    size_t n = g->n;
    if (g->rows || g->b32)
        return nn_fail(e, "a Gram matrix turns single before any rows");
    if (!(g->b32 = nn_alloc(1024 * n, sizeof *g->b32, "row block", e)) ||
        !(g->g32 = nn_alloc(n * n, sizeof *g->g32, "Gram matrix", e)) ||
        !(g->s32 = nn_alloc(n, sizeof *g->s32, "Gram matrix", e)) ||
        !(g->sum = nn_alloc(n, sizeof *g->sum, "Gram matrix", e)))
        return -1;
    memset(g->sum, 0, n * sizeof *g->sum);
    g->block_cap = 1024;
    return 0;
}

/* single: the block's rows a (f64, exact copies of the data's values) as
 * a - s in f32 into b32, their sum into g->sum, and their Gram by ssyrk
 * added to g (upper triangle); s is set from the first block */
static void flush_single(nn_gram *g)
{
    size_t n = g->n, k = g->block_rows;
    const double *a = g->block;
    if (g->srows == 0) /* the first block: its means */
        for (size_t j = 0; j < n; j++) {
            double t = 0;
            for (size_t r = 0; r < k; r++)
                t += a[r * n + j];
            g->s32[j] = (float)(t / (double)k);
        }
    for (size_t r = 0; r < k; r++)
        for (size_t j = 0; j < n; j++) {
            float v = (float)(a[r * n + j] - (double)g->s32[j]);
            g->b32[r * n + j] = v;
            g->sum[j] += v;
        }
    g->srows += k;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)k, 1.0f,
                g->b32, (int)n, 0.0f, g->g32, (int)n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            g->g[i * n + j] += g->g32[i * n + j];
}

static void flush(nn_gram *g)
{
    if (g->block_rows && g->b32)
        flush_single(g);
    else if (g->block_rows)
        nn_syrk_f64(g->block_rows, g->n, g->block, g->g);
    g->block_rows = 0;
}

int nn_gram_add(nn_gram *g, size_t m, const void *z, int zdt, const void *y,
                int ydt, nn_error *e)
{
    (void)e;
    size_t zs = nn_dtype_size(zdt), ys = nn_dtype_size(ydt);
    for (size_t i = 0; i < m; i++) {
        if (g->block_rows == g->block_cap)
            flush(g);
        double *row = g->block + g->block_rows * g->n;
        row[0] = 1;
        nn_convert(row + 1, NN_F64, (const char *)z + i * g->nz * zs, zdt, g->nz);
        if (g->ny)
            nn_convert(row + 1 + g->nz, NN_F64,
                       (const char *)y + i * g->ny * ys, ydt, g->ny);
        g->block_rows++;
    }
    g->rows += m;
    return 0;
}

void nn_gram_finish(nn_gram *g)
{
    flush(g);
    if (g->b32 && g->srows) {
        /* sum a a^T = sum (a-s)(a-s)^T + s t^T + t s^T + m s s^T, t the
         * sum of a - s; the shift taken out once */
        size_t n = g->n;
        double m = (double)g->srows;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i; j < n; j++) {
                double si = g->s32[i], sj = g->s32[j];
                g->g[i * n + j] += si * g->sum[j] + g->sum[i] * sj +
                                   m * si * sj;
            }
        memset(g->sum, 0, n * sizeof *g->sum);
        g->srows = 0;
    }
    nn_sym_fill(g->n, g->g);
}

int nn_gram_lsd(const nn_gram *g, double rtol, double *lsd, nn_error *e)
{
    size_t p = 1 + g->nz, ny = g->ny, n = g->n;
    if (g->rows == 0)
        return nn_fail(e, "no rows: the least-squares distance is undefined");
    double *a = nn_alloc(p * p, sizeof *a, "LSD", e);
    double *w = nn_alloc(p, sizeof *w, "LSD", e);
    double *v = nn_alloc(p * p, sizeof *v, "LSD", e);
    double *b = nn_alloc(p * (ny ? ny : 1), sizeof *b, "LSD", e);
    double *vb = nn_alloc(p * (ny ? ny : 1), sizeof *vb, "LSD", e);
    int rc = -1;
    if (!a || !w || !v || !b || !vb)
        goto out;
    for (size_t i = 0; i < p; i++) {
        memcpy(a + i * p, g->g + i * n, p * sizeof *a);
        memcpy(b + i * ny, g->g + i * n + p, ny * sizeof *b);
    }
    if (nn_eigh(p, a, w, v, e) < 0)
        goto out;
    /* tr(B^T A^+ B) = sum over kept eigenpairs of |v_i^T B|^2 / lambda_i */
    nn_gemm_f64(0, 0, p, ny, p, 1.0, v, b, 0.0, vb);
    double top = w[p - 1], tol = (rtol > 0 ? rtol : (double)p * DBL_EPSILON) * top;
    double explained = 0, total = 0;
    for (size_t i = 0; i < p; i++) {
        if (!(w[i] > tol))
            continue;
        double s = 0;
        for (size_t j = 0; j < ny; j++)
            s += vb[i * ny + j] * vb[i * ny + j];
        explained += s / w[i];
    }
    for (size_t j = 0; j < ny; j++)
        total += g->g[(p + j) * n + p + j];
    double r = (total - explained) / (double)g->rows;
    *lsd = r > 0 ? r : 0;
    rc = 0;
out:
    free(a);
    free(w);
    free(v);
    free(b);
    free(vb);
    return rc;
}

/* nn_init.c — initial weights and fixed pruning masks, from nn_rng only
 * (bit-reproducible) except for the QR of the orthogonal scheme. */
#include "net/nn_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const char *const schemes[] = {
    [NN_INIT_HE_NORMAL] = "he-normal",
    [NN_INIT_HE_UNIFORM] = "he-uniform",
    [NN_INIT_GLOROT_NORMAL] = "glorot-normal",
    [NN_INIT_GLOROT_UNIFORM] = "glorot-uniform",
    [NN_INIT_NORMAL] = "normal",
    [NN_INIT_UNIFORM] = "uniform",
    [NN_INIT_ORTHOGONAL] = "orthogonal",
    [NN_INIT_BANDLIMITED] = "bandlimited",
    [NN_INIT_SPHERE] = "sphere",
    [NN_INIT_ZEROS] = "zeros",
};
#define NSCHEMES ((int)(sizeof schemes / sizeof schemes[0]))

int nn_scheme_parse(const char *name)
{
    for (int i = 0; i < NSCHEMES; i++)
        if (strcmp(name, schemes[i]) == 0)
            return i;
    return -1;
}

const char *nn_scheme_name(int scheme)
{
    return scheme >= 0 && scheme < NSCHEMES ? schemes[scheme] : "?";
}

/* Fills a (rows,cols) row-major block with Gaussians of standard
 * deviation sd, or uniforms on [-lim, lim]. */
static void normals(nn_rng *g, double *a, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++)
        a[i] = sd * nn_rng_normal(g);
}

static void uniforms(nn_rng *g, double *a, size_t n, double lim)
{
    for (size_t i = 0; i < n; i++)
        a[i] = lim * (2 * nn_rng_uniform(g) - 1);
}

/* Q with orthonormal columns (n_in >= n_out) or rows, from a Gaussian. */
static int orthogonal(nn_rng *g, double *w, size_t n_in, size_t n_out,
                      double gain, nn_error *e)
{
    size_t n = n_in * n_out;
    double *a = nn_alloc(n, sizeof *a, "orthogonal init", e);
    if (!a)
        return -1;
    normals(g, a, n, 1.0);
    int rc;
    if (n_in >= n_out) {
        rc = nn_qr_q(n_in, n_out, a, e);
        for (size_t i = 0; rc == 0 && i < n; i++)
            w[i] = gain * a[i];
    } else { /* orthonormal rows: Q of the transpose, turned back */
        double *t = nn_alloc(n, sizeof *t, "orthogonal init", e);
        if (!t) {
            free(a);
            return -1;
        }
        for (size_t i = 0; i < n_in; i++)
            for (size_t j = 0; j < n_out; j++)
                t[j * n_in + i] = a[i * n_out + j];
        rc = nn_qr_q(n_out, n_in, t, e);
        for (size_t i = 0; rc == 0 && i < n_in; i++)
            for (size_t j = 0; j < n_out; j++)
                w[i * n_out + j] = gain * t[j * n_in + i];
        free(t);
    }
    free(a);
    return rc;
}

int nn_weights_draw(nn_layer *l, int scheme, double gain, int ball,
                    nn_rng *g, nn_error *e)
{
    size_t n_in = l->n_in, n_out = l->n_out, n = n_in * n_out;
    free(l->w);
    if (!(l->w = nn_alloc((1 + n_in) * n_out, sizeof *l->w, "weights", e)))
        return -1;
    double *bias = l->w, *w = l->w + n_out;
    memset(l->w, 0, (1 + n_in) * n_out * sizeof *l->w);
    double fan = (double)n_in, both = (double)(n_in + n_out);
    switch (scheme) {
    case NN_INIT_HE_NORMAL: normals(g, w, n, gain * sqrt(2 / fan)); break;
    case NN_INIT_HE_UNIFORM: uniforms(g, w, n, gain * sqrt(6 / fan)); break;
    case NN_INIT_GLOROT_NORMAL: normals(g, w, n, gain * sqrt(2 / both)); break;
    case NN_INIT_GLOROT_UNIFORM:
        uniforms(g, w, n, gain * sqrt(6 / both));
        break;
    case NN_INIT_NORMAL: normals(g, w, n, gain); break;
    case NN_INIT_UNIFORM: uniforms(g, w, n, gain); break;
    case NN_INIT_ORTHOGONAL:
        if (orthogonal(g, w, n_in, n_out, gain, e) < 0)
            return -1;
        break;
    case NN_INIT_SPHERE:
        normals(g, w, n, 1.0);
        for (size_t j = 0; j < n_out; j++) {
            double s = 0;
            for (size_t i = 0; i < n_in; i++)
                s += w[i * n_out + j] * w[i * n_out + j];
            s = s > 0 ? gain / sqrt(s) : 0;
            for (size_t i = 0; i < n_in; i++)
                w[i * n_out + j] *= s;
        }
        break;
    case NN_INIT_BANDLIMITED:
        if (!ball) {
            uniforms(g, w, n, gain);
            uniforms(g, bias, n_out, gain);
            break;
        }
        /* (bias, weights) of each unit uniform in the ball of radius gain:
         * a Gaussian direction times gain u^(1/d) */
        for (size_t j = 0; j < n_out; j++) {
            double s = 0, d = (double)(n_in + 1);
            for (size_t i = 0; i <= n_in; i++) {
                double z = nn_rng_normal(g);
                l->w[i * n_out + j] = z;
                s += z * z;
            }
            double u = nn_rng_uniform(g);
            double r = gain * (u > 0 ? nn_exp(nn_log(u) / d) : 0);
            s = s > 0 ? r / sqrt(s) : 0;
            for (size_t i = 0; i <= n_in; i++)
                l->w[i * n_out + j] *= s;
        }
        break;
    case NN_INIT_ZEROS: break;
    default: return nn_fail(e, "unknown initialisation scheme %d", scheme);
    }
    free(l->wf);
    l->wf = NULL;
    return 0;
}

/* An open-addressing set of mask columns, keyed by their bytes. */
typedef struct colset {
    size_t *slot;       /* column index + 1, 0 = empty */
    size_t mask;
    const unsigned char *cols;
    size_t len;
} colset;

/* Inserts column j; returns 0, or 1 if an equal column is already in. */
static int colset_add(colset *c, size_t j)
{
    const unsigned char *col = c->cols + j * c->len;
    size_t h = (size_t)XXH3_64bits(col, c->len) & c->mask;
    while (c->slot[h]) {
        if (memcmp(c->cols + (c->slot[h] - 1) * c->len, col, c->len) == 0)
            return 1;
        h = (h + 1) & c->mask;
    }
    c->slot[h] = j + 1;
    return 0;
}

int nn_mask_draw(nn_layer *l, double rho, nn_rng *g, nn_error *e)
{
    size_t n_in = l->n_in, n_out = l->n_out;
    if (!(rho >= 0 && rho < 1))
        return nn_fail(e, "mask zero rate %g is not in [0, 1)", rho);
    /* at most 2^n_in - 1 distinct non-zero columns exist */
    if (n_in < 63 && (uint64_t)n_out > ((uint64_t)1 << n_in) - 1)
        return nn_fail(e, "a mask cannot have %zu distinct non-zero columns "
                       "of length %zu", n_out, n_in);
    unsigned char *cols = nn_alloc(n_out * n_in, 1, "mask", e);
    size_t cap = 16;
    while (cap < 2 * n_out)
        cap *= 2;
    colset set = {calloc(cap, sizeof(size_t)), cap - 1, cols, n_in};
    int rc = -1;
    if (!cols || !set.slot) {
        if (cols)
            nn_fail(e, "out of memory drawing a mask");
        goto out;
    }
    for (size_t j = 0; j < n_out; j++) {
        unsigned char *col = cols + j * n_in;
        int tries = 0;
        for (;;) {
            size_t ones = 0;
            for (size_t i = 0; i < n_in; i++)
                ones += col[i] = nn_rng_uniform(g) >= rho;
            if (ones && !colset_add(&set, j))
                break;
            if (++tries == 10000) {
                nn_fail(e, "cannot draw %zu distinct non-zero mask columns "
                        "of length %zu at zero rate %g", n_out, n_in, rho);
                goto out;
            }
        }
    }
    free(l->mask);
    if (!(l->mask = nn_alloc((1 + n_in) * n_out, 1, "mask", e)))
        goto out;
    memset(l->mask, 1, n_out); /* the bias row */
    for (size_t i = 0; i < n_in; i++)
        for (size_t j = 0; j < n_out; j++)
            l->mask[(1 + i) * n_out + j] = cols[j * n_in + i];
    nn_layer_apply_mask(l);
    rc = 0;
out:
    free(cols);
    free(set.slot);
    return rc;
}

/* nn_gram.c — the augmented Gram matrix of [1 Z Y], accumulated in double
 * precision over row blocks with dsyrk, and what follows from it. */
#include "linalg/nn_linalg.h"

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

static void flush(nn_gram *g)
{
    if (g->block_rows)
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

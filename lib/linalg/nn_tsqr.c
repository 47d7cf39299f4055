/* nn_tsqr.c — the triangular factor of [1 Z Y] over a stream of row
 * blocks (tall-skinny QR): each block is stacked under the current R and
 * factored again, so memory holds R and one block whatever the rows. */
#include "linalg/nn_linalg.h"
#include "base/nn_base_private.h"
#include "linalg/nn_lapack.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct nn_tsqr {
    size_t nz, ny, n;       /* n = 1 + nz + ny */
    uint64_t rows;
    double *r;              /* (n,n) row-major, upper triangular (finished) */
    double *buf;            /* column-major [R; rows]: n + cap rows */
    double *tau, *work;
    size_t cap, pending;
    int lwork;
};

void nn_tsqr_free(nn_tsqr *q)
{
    if (!q)
        return;
    free(q->r);
    free(q->buf);
    free(q->tau);
    free(q->work);
    free(q);
}

size_t nn_tsqr_nz(const nn_tsqr *q) { return q->nz; }
size_t nn_tsqr_ny(const nn_tsqr *q) { return q->ny; }
size_t nn_tsqr_dim(const nn_tsqr *q) { return q->n; }
uint64_t nn_tsqr_rows(const nn_tsqr *q) { return q->rows; }
const double *nn_tsqr_factor(const nn_tsqr *q) { return q->r; }

nn_tsqr *nn_tsqr_new(size_t nz, size_t ny, nn_error *e)
{
    /* LAPACK counts in int: the stacked block [R; rows], 3n rows at most
     * (n + max(2n, 512)), must fit one */
    size_t n, nn, nbuf;
    if (__builtin_add_overflow(nz, ny, &n) ||
        __builtin_add_overflow(n, 1, &n) || n > ((size_t)INT_MAX - 512) / 3 ||
        __builtin_mul_overflow(n, n, &nn) ||
        __builtin_mul_overflow(3 * n + 512, n, &nbuf)) {
        nn_fail(e, "a QR factor of 1+%zu+%zu columns is too large", nz, ny);
        return NULL;
    }
    nn_tsqr *q = nn_alloc(1, sizeof *q, "QR", e);
    if (!q)
        return NULL;
    memset(q, 0, sizeof *q);
    q->nz = nz;
    q->ny = ny;
    q->n = n;
    /* blocks of twice the columns (at least 512 rows): factoring [R; block]
     * costs about 2.7 times the block's Gram update then */
    q->cap = 2 * n < 512 ? 512 : 2 * n;
    size_t ld = n + q->cap;
    q->r = nn_alloc(nn, sizeof *q->r, "QR factor", e);
    q->buf = nn_alloc(ld * n, sizeof *q->buf, "QR block", e);
    q->tau = nn_alloc(n, sizeof *q->tau, "QR", e);
    if (!q->r || !q->buf || !q->tau) {
        nn_tsqr_free(q);
        return NULL;
    }
    memset(q->buf, 0, ld * n * sizeof *q->buf);
    int M = (int)ld, N = (int)q->n, info, lwork = -1;
    double wq;
    dgeqrf_(&M, &N, q->buf, &M, q->tau, &wq, &lwork, &info);
    q->lwork = (int)wq;
    if (!(q->work = nn_alloc((size_t)q->lwork + 1, sizeof *q->work, "QR", e))) {
        nn_tsqr_free(q);
        return NULL;
    }
    return q;
}

/* Factors [R; pending rows] and keeps the new R in the first n rows. */
static int fold(nn_tsqr *q, nn_error *e)
{
    if (!q->pending)
        return 0;
    size_t n = q->n, ld = n + q->cap;
    int M = (int)(n + q->pending), N = (int)n, LD = (int)ld, info;
    dgeqrf_(&M, &N, q->buf, &LD, q->tau, q->work, &q->lwork, &info);
    if (info)
        return nn_fail(e, "dgeqrf failed (info %d)", info);
    /* zero what is below R's diagonal: the reflectors, and old rows */
    for (size_t j = 0; j < n; j++)
        memset(q->buf + j * ld + j + 1, 0, (ld - j - 1) * sizeof *q->buf);
    q->pending = 0;
    return 0;
}

int nn_tsqr_add(nn_tsqr *q, size_t m, const double *z, const double *y,
                nn_error *e)
{
    size_t n = q->n, ld = n + q->cap;
    for (size_t i = 0; i < m; i++) {
        if (q->pending == q->cap && fold(q, e) < 0)
            return -1;
        size_t row = n + q->pending++; /* column-major: (row, j) at j*ld+row */
        q->buf[row] = 1;
        for (size_t j = 0; j < q->nz; j++)
            q->buf[(1 + j) * ld + row] = z[i * q->nz + j];
        for (size_t j = 0; j < q->ny; j++)
            q->buf[(1 + q->nz + j) * ld + row] = y[i * q->ny + j];
    }
    q->rows += m;
    return 0;
}

int nn_tsqr_finish(nn_tsqr *q, nn_error *e)
{
    if (fold(q, e) < 0)
        return -1;
    size_t n = q->n, ld = n + q->cap;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            q->r[i * n + j] = j >= i ? q->buf[j * ld + i] : 0;
    return 0;
}

/* nn_linalg.c — thin wrappers over BLAS (OpenBLAS's cblas) and LAPACK.
 *
 * Debian's OpenBLAS ships LAPACK's Fortran symbols without LAPACKE, so the
 * few routines used are declared in nn_lapack.h.  LAPACK is column-major;
 * a row-major (m,n) array is the column-major (n,m) transpose, which the
 * wrappers use instead of copying where they can.
 *
 * CBLAS and LAPACK count in int.  Row counts may be any size: the BLAS
 * wrappers split them into blocks of at most nn_blas_max_rows rows.  Row
 * widths (leading dimensions) and the sides of the LAPACK problems must be
 * below 2^31; their callers keep them so (nn_gram_new and nn_tsqr_new
 * check their sides, nn_net_read a layer's widths), and a row of 2^31
 * elements would be 8 GiB. */
#include "linalg/nn_linalg.h"
#include "base/nn_base_private.h"
#include "linalg/nn_lapack.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most rows one BLAS call gets; tests lower it to check the blocks. */
size_t nn_blas_max_rows = INT_MAX;

/* The row counts a gemm can split: m when A is (m,k) (its rows and C's),
 * k when A is (k,m) and B (k,n) (the rows both share: the blocks add up,
 * beta applying to the first only). */
#define GEMM(NAME, T, CBLAS)                                                   \
    void NAME(int ta, int tb, size_t m, size_t n, size_t k, T alpha,           \
              const T *a, const T *b, T beta, T *c)                            \
    {                                                                          \
        size_t max = nn_blas_max_rows;                                         \
        if (!ta && m > max) {                                                  \
            for (size_t i = 0; i < m; i += max)                                \
                NAME(ta, tb, m - i < max ? m - i : max, n, k, alpha,           \
                     a + i * k, b, beta, c + i * n);                           \
            return;                                                            \
        }                                                                      \
        if (ta && !tb && k > max) {                                            \
            for (size_t p = 0; p < k; p += max)                                \
                NAME(ta, tb, m, n, k - p < max ? k - p : max, alpha,           \
                     a + p * m, b + p * n, p ? (T)1 : beta, c);                \
            return;                                                            \
        }                                                                      \
        CBLAS(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,                   \
              tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha,   \
              a, ta ? (int)m : (int)k, b, tb ? (int)k : (int)n, beta, c,       \
              (int)n);                                                         \
    }

GEMM(nn_gemm_f32, float, cblas_sgemm)
GEMM(nn_gemm_f64, double, cblas_dgemm)

void nn_gemm_f64_ref(int ta, int tb, size_t m, size_t n, size_t k,
                     double alpha, const double *a, const double *b,
                     double beta, double *c)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t p = 0; p < k; p++)
                s += (ta ? a[p * m + i] : a[i * k + p]) *
                     (tb ? b[j * k + p] : b[p * n + j]);
            c[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]);
        }
}

void nn_syrk_f64(size_t m, size_t n, const double *a, double *g)
{
    for (size_t i = 0; i < m; i += nn_blas_max_rows) {
        size_t r = m - i < nn_blas_max_rows ? m - i : nn_blas_max_rows;
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)r, 1.0,
                    a + i * n, (int)n, 1.0, g, (int)n);
    }
}

void nn_sym_fill(size_t n, double *g)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            g[i * n + j] = g[j * n + i];
}

static void transpose(size_t m, size_t n, const double *a, double *t)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            t[j * m + i] = a[i * n + j];
}

int nn_chol_solve(size_t n, size_t nrhs, double *a, double *b, nn_error *e)
{
    int N = (int)n, R = (int)nrhs, info;
    /* a is symmetric, so row- and column-major agree; b must be turned. */
    double *bt = nn_alloc(n * nrhs, sizeof *bt, "Cholesky right-hand side", e);
    if (!bt)
        return -1;
    dpotrf_("U", &N, a, &N, &info);
    if (info > 0) {
        free(bt);
        return nn_fail(e, "matrix is not positive definite (leading minor %d"
                       " of %d): add a ridge term or use the pseudoinverse",
                       info, N);
    }
    transpose(n, nrhs, b, bt);
    dpotrs_("U", &N, &R, a, &N, bt, &N, &info);
    transpose(nrhs, n, bt, b);
    free(bt);
    return info ? nn_fail(e, "dpotrs failed (info %d)", info) : 0;
}

int nn_svd(size_t m, size_t n, double *a, double *s, double *u, double *vt,
           nn_error *e)
{
    /* Row-major A (m,n) is column-major A^T (n,m) = V S U^T, so LAPACK's
     * "U" is our V^T (k,n) row-major and its "VT" is our U (m,k). */
    int M = (int)n, N = (int)m, k = M < N ? M : N, info, lwork = -1;
    int want = u || vt;
    double *uu = NULL, *vv = NULL, wq;
    if (want) {
        uu = vt ? vt : nn_alloc((size_t)M * k, sizeof *uu, "SVD factor", e);
        vv = u ? u : nn_alloc((size_t)k * N, sizeof *vv, "SVD factor", e);
        if (!uu || !vv)
            goto fail;
    }
    const char *job = want ? "S" : "N";
    int ldu = M, ldvt = k > 0 ? k : 1;
    int *iwork = nn_alloc(8 * (size_t)k + 1, sizeof *iwork, "SVD", e);
    if (!iwork)
        goto fail;
    dgesdd_(job, &M, &N, a, &M, s, uu, &ldu, vv, &ldvt, &wq, &lwork, iwork,
            &info);
    lwork = (int)wq;
    double *work = nn_alloc((size_t)lwork + 1, sizeof *work, "SVD workspace", e);
    if (!work) {
        free(iwork);
        goto fail;
    }
    dgesdd_(job, &M, &N, a, &M, s, uu, &ldu, vv, &ldvt, work, &lwork, iwork,
            &info);
    free(work);
    free(iwork);
    if (uu != vt)
        free(uu);
    if (vv != u)
        free(vv);
    return info ? nn_fail(e, "SVD did not converge (dgesdd info %d)", info)
                : 0;
fail:
    if (uu != vt)
        free(uu);
    if (vv != u)
        free(vv);
    return -1;
}

int nn_eigh(size_t n, double *a, double *w, double *v, nn_error *e)
{
    int N = (int)n, info, lwork = -1, liwork = -1, iwq;
    double wq;
    const char *job = v ? "V" : "N";
    dsyevd_(job, "U", &N, a, &N, w, &wq, &lwork, &iwq, &liwork, &info);
    lwork = (int)wq;
    liwork = iwq;
    double *work = nn_alloc((size_t)lwork + 1, sizeof *work, "eigen", e);
    int *iwork = nn_alloc((size_t)liwork + 1, sizeof *iwork, "eigen", e);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return -1;
    }
    dsyevd_(job, "U", &N, a, &N, w, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    if (info)
        return nn_fail(e, "eigensolver did not converge (dsyevd info %d)",
                       info);
    /* column j of the column-major result is row j of the row-major one */
    if (v)
        memcpy(v, a, n * n * sizeof *v);
    return 0;
}

int nn_qr_q(size_t m, size_t n, double *a, nn_error *e)
{
    if (m < n)
        return nn_fail(e, "QR needs at least as many rows as columns");
    int M = (int)m, N = (int)n, info, lwork = -1;
    double *t = nn_alloc(m * n, sizeof *t, "QR", e);
    double *tau = nn_alloc(n, sizeof *tau, "QR", e);
    double *sign = nn_alloc(n, sizeof *sign, "QR", e);
    double *work = NULL, wq;
    int rc = -1;
    if (!t || !tau || !sign)
        goto out;
    transpose(m, n, a, t); /* column-major (m,n) */
    dgeqrf_(&M, &N, t, &M, tau, &wq, &lwork, &info);
    lwork = (int)wq;
    double wq2;
    int lw2 = -1;
    dorgqr_(&M, &N, &N, t, &M, tau, &wq2, &lw2, &info);
    if ((int)wq2 > lwork)
        lwork = (int)wq2;
    if (!(work = nn_alloc((size_t)lwork + 1, sizeof *work, "QR", e)))
        goto out;
    dgeqrf_(&M, &N, t, &M, tau, work, &lwork, &info);
    if (info) {
        nn_fail(e, "dgeqrf failed (info %d)", info);
        goto out;
    }
    for (size_t j = 0; j < n; j++)
        sign[j] = t[j * m + j] < 0 ? -1.0 : 1.0;
    dorgqr_(&M, &N, &N, t, &M, tau, work, &lwork, &info);
    if (info) {
        nn_fail(e, "dorgqr failed (info %d)", info);
        goto out;
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            a[i * n + j] = t[j * m + i] * sign[j];
    rc = 0;
out:
    free(t);
    free(tau);
    free(sign);
    free(work);
    return rc;
}

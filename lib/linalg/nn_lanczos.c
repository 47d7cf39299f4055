/* nn_lanczos.c — the Lanczos iteration for a symmetric operator given by
 * its products, with full reorthogonalization (every new vector is made
 * orthogonal to all the earlier ones twice, classical Gram-Schmidt by
 * BLAS, "twice is enough"), and the eigen-decomposition of the
 * tridiagonal matrix it builds (LAPACK dstev): the Ritz values and the
 * squared first components of their vectors, which are the weights of
 * stochastic Lanczos quadrature (Lin, Saad and Yang 2016; Ghorbani et al.
 * 2019).  A plain reference: nn_lanczos_ref, without the BLAS, for the
 * tests. */
#include "linalg/nn_linalg.h"
#include "linalg/nn_lapack.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* w -= V (V^T w) over the first j columns (rows of V, each n long),
 * twice. */
static void reorth(const double *V, size_t n, size_t j, double *w,
                   double *c)
{
    for (int pass = 0; pass < 2; pass++) {
        if (!j)
            return;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)j, (int)n, 1, V,
                    (int)n, w, 1, 0, c, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)j, (int)n, -1, V,
                    (int)n, c, 1, 1, w, 1);
    }
}

static void reorth_ref(const double *V, size_t n, size_t j, double *w)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < j; i++) {
            double c = 0;
            for (size_t q = 0; q < n; q++)
                c += V[i * n + q] * w[q];
            for (size_t q = 0; q < n; q++)
                w[q] -= c * V[i * n + q];
        }
}

static double norm2(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

static long lanczos(nn_matvec op, void *ctx, size_t n, size_t k,
                    const double *v0, double *alpha, double *beta, int ref,
                    nn_error *e)
{
    if (n == 0 || k == 0)
        return nn_fail(e, "Lanczos needs at least one step in a space of "
                          "at least one dimension");
    if (k > n)
        return nn_fail(e, "%zu Lanczos steps in a space of %zu dimensions: "
                          "at most %zu", k, n, n);
    if (n > INT_MAX || k > INT_MAX)
        return nn_fail(e, "a space of %zu dimensions is too large", n);
    double *V = nn_alloc(k * n, sizeof *V, "Lanczos vectors", e);
    double *w = nn_alloc(n, sizeof *w, "Lanczos", e);
    double *c = nn_alloc(k, sizeof *c, "Lanczos", e);
    long done = -1;
    if (!V || !w || !c)
        goto out;
    double b = norm2(v0, n);
    if (!(b > 0) || !isfinite(b)) {
        nn_fail(e, "Lanczos's start vector is zero or not finite");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        V[i] = v0[i] / b;
    size_t j;
    for (j = 0; j < k; j++) {
        double *v = V + j * n;
        if (op(ctx, v, w, e) < 0)
            goto out;
        double a = 0;
        for (size_t i = 0; i < n; i++)
            a += v[i] * w[i];
        if (!isfinite(a)) {
            nn_fail(e, "a product of the operator is not finite (step %zu)",
                    j + 1);
            goto out;
        }
        alpha[j] = a;
        if (ref)
            reorth_ref(V, n, j + 1, w);
        else
            reorth(V, n, j + 1, w, c);
        beta[j] = norm2(w, n);
        /* an invariant subspace: T's eigenvalues are exact ones */
        if (j + 1 == k || beta[j] <= 1e-12 * fabs(a) + 1e-300) {
            j++;
            break;
        }
        for (size_t i = 0; i < n; i++)
            V[(j + 1) * n + i] = w[i] / beta[j];
    }
    done = (long)j;
out:
    free(V);
    free(w);
    free(c);
    return done;
}

long nn_lanczos(nn_matvec op, void *ctx, size_t n, size_t k,
                const double *v0, double *alpha, double *beta, nn_error *e)
{
    return lanczos(op, ctx, n, k, v0, alpha, beta, 0, e);
}

long nn_lanczos_ref(nn_matvec op, void *ctx, size_t n, size_t k,
                    const double *v0, double *alpha, double *beta,
                    nn_error *e)
{
    return lanczos(op, ctx, n, k, v0, alpha, beta, 1, e);
}

int nn_tridiag_eig(size_t k, const double *alpha, const double *beta,
                   double *theta, double *tau2, double *resid, nn_error *e)
{
    if (k == 0 || k > INT_MAX)
        return nn_fail(e, "a tridiagonal matrix of %zu rows", k);
    int n = (int)k, info = 0;
    double *off = nn_alloc(k, sizeof *off, "tridiagonal", e);
    double *z = nn_alloc(k * k, sizeof *z, "tridiagonal", e);
    double *work = nn_alloc(2 * k, sizeof *work, "tridiagonal", e);
    if (!off || !z || !work) {
        free(off), free(z), free(work);
        return -1;
    }
    memcpy(theta, alpha, k * sizeof *theta);
    if (k > 1)
        memcpy(off, beta, (k - 1) * sizeof *off);
    dstev_("V", &n, theta, off, z, &n, work, &info);
    /* z is column-major: vector i is column i, its first entry z[i k] */
    for (size_t i = 0; i < k && !info; i++) {
        tau2[i] = z[i * k] * z[i * k];
        if (resid)
            resid[i] = fabs(beta[k - 1] * z[i * k + k - 1]);
    }
    free(off), free(z), free(work);
    if (info)
        return nn_fail(e, "LAPACK dstev failed (info %d)", info);
    return 0;
}

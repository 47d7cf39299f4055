/* nn_fit.c — closed-form layer fits from the Gram matrix of [1 Z Y]:
 * ridge (Cholesky) or pseudoinverse solves against Platonic targets
 * T = [Z1 Y] P, and the projections of Platonic PCA. */
#include "methods/nn_methods.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* a * b, or SIZE_MAX (which nn_alloc refuses) when that overflows: the
 * sizes come from the data and the width from the command line */
static size_t times(size_t a, size_t b)
{
    size_t c;
    return __builtin_mul_overflow(a, b, &c) ? SIZE_MAX : c;
}

/* Fails when one of the n values of a is NaN or infinite: the fit would
 * come out as a layer of NaN.  (Tools check their data as they read it,
 * to name the row; this is the last line.) */
static int all_finite(const double *a, size_t n, const char *what,
                      nn_error *e)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return nn_fail(e, "the %s holds %s", what,
                           isnan(a[i]) ? "NaN" : "an infinity");
    return 0;
}

void nn_fit_scale_projection(size_t p, size_t ny, size_t d, double alpha,
                             double beta, const double *q, double *P)
{
    for (size_t i = 0; i < p + ny; i++) {
        double s = alpha * (i < p ? 1 : beta);
        for (size_t j = 0; j < d; j++)
            P[i * d + j] = s * q[i * d + j];
    }
}

int nn_fit_solve(const nn_gram *g, const double *P, size_t d,
                 const nn_fit_opts *o, double *W, nn_error *e)
{
    size_t p = 1 + nn_gram_nz(g), n = nn_gram_dim(g);
    const double *G = nn_gram_matrix(g);
    if (o->solver != NN_SOLVE_CHOL && o->solver != NN_SOLVE_PINV)
        return nn_fail(e, "a fit from the Gram matrix solves with chol or "
                       "pinv (lstsq works from the data: nn_fit_solve_qr)");
    if (all_finite(G, n * n, "Gram matrix", e) < 0)
        return -1;
    double *a = nn_alloc(p * p, sizeof *a, "fit", e);
    double *rhs = nn_alloc(times(p, d), sizeof *rhs, "fit", e);
    double *w = NULL, *v = NULL, *vr = NULL;
    int rc = -1;
    if (!a || !rhs)
        goto out;
    /* rhs = Z1^T T = [Z1^T Z1  Z1^T Y] P: the first p rows of G times P */
    for (size_t i = 0; i < p; i++)
        memcpy(a + i * p, G + i * n, p * sizeof *a);
    double *top = nn_alloc(p * n, sizeof *top, "fit", e);
    if (!top)
        goto out;
    for (size_t i = 0; i < p; i++)
        memcpy(top + i * n, G + i * n, n * sizeof *top);
    nn_gemm_f64(0, 0, p, d, n, 1.0, top, P, 0.0, rhs);
    free(top);
    for (size_t i = 0; i < p; i++)
        a[i * p + i] += o->lambda;

    if (o->solver == NN_SOLVE_CHOL) {
        if (nn_chol_solve(p, d, a, rhs, e) < 0) {
            if (o->lambda == 0)
                nn_fail(e, "the system is singular (Z^T Z has no inverse): "
                        "give a ridge (lambda > 0) or use the pseudoinverse "
                        "solver");
            else
                nn_error_wrap(e, "ridge lambda %g", o->lambda);
            goto out;
        }
        memcpy(W, rhs, p * d * sizeof *W);
        rc = 0;
        goto out;
    }
    /* pinv: Z1^T Z1 + lambda I = V diag(s^2) V^T; keep s > tol s_max */
    w = nn_alloc(p, sizeof *w, "fit", e);
    v = nn_alloc(p * p, sizeof *v, "fit", e);
    vr = nn_alloc(times(p, d), sizeof *vr, "fit", e);
    if (!w || !v || !vr || nn_eigh(p, a, w, v, e) < 0)
        goto out;
    double tol = o->tol > 0 ? o->tol : sqrt((double)p) * 0x1p-26;
    double cut = tol * tol * w[p - 1];
    /* rows of v are eigenvectors: vr = V^T rhs, scaled, then W = V vr */
    nn_gemm_f64(0, 0, p, d, p, 1.0, v, rhs, 0.0, vr);
    for (size_t i = 0; i < p; i++) {
        double s = w[i] > cut && w[i] > 0 ? 1 / w[i] : 0;
        for (size_t j = 0; j < d; j++)
            vr[i * d + j] *= s;
    }
    nn_gemm_f64(1, 0, p, d, p, 1.0, v, vr, 0.0, W);
    rc = 0;
out:
    free(a);
    free(rhs);
    free(w);
    free(v);
    free(vr);
    return rc;
}

/* Q (n,d): d of the n vectors in the rows of v as columns, from the last
 * row backwards (from_end) or the first onwards, each with its largest
 * entry made positive so that the result does not depend on the solver. */
static void columns(const double *v, size_t n, size_t d, int from_end,
                    double *Q)
{
    for (size_t j = 0; j < d; j++) {
        const double *vec = v + (from_end ? n - 1 - j : j) * n;
        size_t big = 0;
        for (size_t i = 1; i < n; i++)
            if (fabs(vec[i]) > fabs(vec[big]))
                big = i;
        double sg = vec[big] < 0 ? -1 : 1;
        for (size_t i = 0; i < n; i++)
            Q[i * d + j] = sg * vec[i];
    }
}

/* Platonic PCA of [1 Z Y] (nz and ny columns) has at most 1+nz+ny
 * components */
static int pca_width(size_t nz, size_t ny, size_t d, nn_error *e)
{
    if (d > 1 + nz + ny)
        return nn_fail(e, "Platonic PCA gives at most 1+%zu+%zu = %zu "
                       "components, not %zu", nz, ny, 1 + nz + ny, d);
    return 0;
}

/* Q = the d leading eigenvectors of symmetric a (n,n), as columns; a is
 * destroyed. */
static int leading(size_t n, double *a, size_t d, double *Q, nn_error *e)
{
    double *w = nn_alloc(n, sizeof *w, "PCA", e);
    double *v = nn_alloc(n * n, sizeof *v, "PCA", e);
    int rc = -1;
    if (w && v && nn_eigh(n, a, w, v, e) == 0) {
        /* eigenvalues ascend: the leading vectors are the last rows of v */
        columns(v, n, d, 1, Q);
        rc = 0;
    }
    free(w);
    free(v);
    return rc;
}

int nn_fit_pca(const nn_gram *g, double alpha, double beta, size_t d,
               double *Q, nn_error *e)
{
    size_t n = nn_gram_dim(g), p = 1 + nn_gram_nz(g);
    const double *G = nn_gram_matrix(g);
    if (pca_width(nn_gram_nz(g), nn_gram_ny(g), d, e) < 0 ||
        all_finite(G, n * n, "Gram matrix", e) < 0)
        return -1;
    double *a = nn_alloc(n * n, sizeof *a, "PCA", e);
    if (!a)
        return -1;
    /* A^T A = alpha^2 D G D with D = diag(1 for Z1, beta for Y) */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            a[i * n + j] = alpha * alpha * (i < p ? 1 : beta) *
                           (j < p ? 1 : beta) * G[i * n + j];
    int rc = leading(n, a, d, Q, e);
    free(a);
    return rc;
}

int nn_fit_pca_corr(const nn_gram *g, size_t d, double *Q, nn_error *e)
{
    size_t n = nn_gram_dim(g);
    const double *G = nn_gram_matrix(g);
    if (pca_width(nn_gram_nz(g), nn_gram_ny(g), d, e) < 0 ||
        all_finite(G, n * n, "Gram matrix", e) < 0)
        return -1;
    if (nn_gram_rows(g) == 0)
        return nn_fail(e, "Platonic PCA: no rows");
    double m = (double)nn_gram_rows(g);
    double *a = nn_alloc(n * n, sizeof *a, "PCA", e);
    double *sd = nn_alloc(n, sizeof *sd, "PCA", e);
    int rc = -1;
    if (a && sd) {
        /* the means are in the bias row: mu_i = G_0i / m; a column is
         * constant when its variance is lost in the rounding of its
         * second moment, a sum of m terms */
        double tol = 64 * sqrt(m) * DBL_EPSILON;
        for (size_t i = 0; i < n; i++) {
            double mu = G[i] / m, m2 = G[i * n + i] / m;
            double var = m2 - mu * mu;
            sd[i] = i > 0 && var > tol * m2 ? sqrt(var) : 0;
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                a[i * n + j] = sd[i] > 0 && sd[j] > 0
                    ? (G[i * n + j] / m - G[i] / m * (G[j] / m)) /
                      (sd[i] * sd[j])
                    : 0;
        rc = leading(n, a, d, Q, e);
    }
    free(a);
    free(sd);
    return rc;
}

int nn_fit_solve_qr(const nn_tsqr *q, const double *P, size_t d,
                    const nn_fit_opts *o, double *W, nn_error *e)
{
    size_t p = 1 + nn_tsqr_nz(q), n = nn_tsqr_dim(q);
    const double *R = nn_tsqr_factor(q);
    if (all_finite(R, n * n, "QR factor", e) < 0)
        return -1;
    double *c = nn_alloc(times(p, d), sizeof *c, "fit", e);
    double *r11 = nn_alloc(p * p, sizeof *r11, "fit", e);
    double *s = nn_alloc(p, sizeof *s, "fit", e);
    double *u = nn_alloc(p * p, sizeof *u, "fit", e);
    double *vt = nn_alloc(p * p, sizeof *vt, "fit", e);
    double *utc = nn_alloc(times(p, d), sizeof *utc, "fit", e);
    int rc = -1;
    if (!c || !r11 || !s || !u || !vt || !utc)
        goto out;
    /* C = Q1^T T = [R11 R12] P: the first p rows of R times P */
    nn_gemm_f64(0, 0, p, d, n, 1.0, R, P, 0.0, c);
    for (size_t i = 0; i < p; i++)
        memcpy(r11 + i * p, R + i * n, p * sizeof *r11);
    if (nn_svd(p, p, r11, s, u, vt, e) < 0)
        goto out;
    double tol = o->tol > 0 ? o->tol : sqrt((double)p) * 0x1p-52;
    nn_gemm_f64(1, 0, p, d, p, 1.0, u, c, 0.0, utc); /* U^T C */
    for (size_t i = 0; i < p; i++) {
        double f = o->lambda > 0 ? s[i] / (s[i] * s[i] + o->lambda)
                 : s[i] > tol * s[0] ? 1 / s[i] : 0;
        for (size_t j = 0; j < d; j++)
            utc[i * d + j] *= f;
    }
    nn_gemm_f64(1, 0, p, d, p, 1.0, vt, utc, 0.0, W); /* V (...) */
    rc = 0;
out:
    free(c);
    free(r11);
    free(s);
    free(u);
    free(vt);
    free(utc);
    return rc;
}

int nn_fit_pca_qr(const nn_tsqr *q, double alpha, double beta, size_t d,
                  double *Q, nn_error *e)
{
    size_t n = nn_tsqr_dim(q), p = 1 + nn_tsqr_nz(q);
    const double *R = nn_tsqr_factor(q);
    if (pca_width(nn_tsqr_nz(q), nn_tsqr_ny(q), d, e) < 0 ||
        all_finite(R, n * n, "QR factor", e) < 0)
        return -1;
    double *a = nn_alloc(n * n, sizeof *a, "PCA", e);
    double *s = nn_alloc(n, sizeof *s, "PCA", e);
    double *vt = nn_alloc(n * n, sizeof *vt, "PCA", e);
    int rc = -1;
    if (!a || !s || !vt)
        goto out;
    for (size_t i = 0; i < n; i++) /* A = R D: A^T A = D R^T R D */
        for (size_t j = 0; j < n; j++)
            a[i * n + j] = R[i * n + j] * alpha * (j < p ? 1 : beta);
    if (nn_svd(n, n, a, s, NULL, vt, e) < 0)
        goto out;
    /* singular values descend: the leading vectors are vt's first rows */
    columns(vt, n, d, 0, Q);
    rc = 0;
out:
    free(a);
    free(s);
    free(vt);
    return rc;
}

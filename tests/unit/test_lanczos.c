/* test_lanczos.c — the Lanczos iteration with full reorthogonalization
 * and its tridiagonal eigen-decomposition: n steps give every eigenvalue
 * of a symmetric matrix (against LAPACK's dsyevd through nn_eigh); the
 * BLAS version equals the plain loops; the quadrature is Gaussian (its
 * weights sum to 1 and it integrates x^j exactly for j < 2k: sum tau2
 * theta^j = v.A^j v / v.v); the largest Ritz value after few steps is
 * the top eigenvalue within its residual bound; a matrix with 3 distinct
 * eigenvalues closes the Krylov space after 3 steps; bad calls fail. */
#include "nn.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { size_t n; const double *a; } dense;

static int mv(void *ctx, const double *v, double *out, nn_error *e)
{
    (void)e;
    const dense *d = ctx;
    for (size_t i = 0; i < d->n; i++) {
        double s = 0;
        for (size_t j = 0; j < d->n; j++)
            s += d->a[i * d->n + j] * v[j];
        out[i] = s;
    }
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    nn_rng R;
    nn_error e;
    nn_rng_seed(&R, 3);
    size_t n = 40;
    double *a = malloc(n * n * sizeof *a), *c = malloc(n * n * sizeof *c);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            a[i * n + j] = a[j * n + i] = nn_rng_normal(&R);
    dense D = {n, a};
    double *w = malloc(n * sizeof *w), *v = malloc(n * sizeof *v);
    memcpy(c, a, n * n * sizeof *c);
    nn_eigh(n, c, w, NULL, &e);
    for (size_t i = 0; i < n; i++)
        v[i] = nn_rng_normal(&R);
    double al[40], be[40], al2[40], be2[40], th[40], t2[40], rs[40];
    long k = nn_lanczos(mv, &D, n, n, v, al, be, &e);
    long k2 = nn_lanczos_ref(mv, &D, n, n, v, al2, be2, &e);
    CHECK(k == (long)n && k2 == k && max_abs_diff(al, al2, n) < 1e-10 &&
              max_abs_diff(be, be2, n - 1) < 1e-10,
          "n steps of Lanczos: BLAS and plain loops agree (%.2g)",
          max_abs_diff(al, al2, n));
    nn_tridiag_eig((size_t)k, al, be, th, t2, rs, &e);
    double sw = 0;
    for (size_t i = 0; i < n; i++)
        sw += t2[i];
    CHECK(max_abs_diff(th, w, n) < 1e-9 * fabs(w[n - 1]) &&
              fabs(sw - 1) < 1e-12,
          "n steps give every eigenvalue of a 40x40 symmetric matrix "
          "(worst %.2g), weights summing to 1 (%.2g)",
          max_abs_diff(th, w, n), sw - 1);

    /* Gaussian quadrature with 6 nodes: exact moments up to 11 */
    size_t q = 6;
    k = nn_lanczos(mv, &D, n, q, v, al, be, &e);
    nn_tridiag_eig(q, al, be, th, t2, rs, &e);
    double *u = malloc(n * sizeof *u), *u2 = malloc(n * sizeof *u2);
    double vv = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        vv += v[i] * v[i];
    memcpy(u, v, n * sizeof *u);
    for (int j = 0; j < 12; j++) { /* u = A^j v */
        double mom = 0, quad = 0;
        for (size_t i = 0; i < n; i++)
            mom += v[i] * u[i];
        mom /= vv;
        for (size_t i = 0; i < q; i++)
            quad += t2[i] * pow(th[i], j);
        worst = fmax(worst, fabs(mom - quad) / fmax(1, fabs(mom)));
        mv(&D, u, u2, &e);
        memcpy(u, u2, n * sizeof *u);
    }
    CHECK(worst < 1e-9, "6 Lanczos steps: the quadrature gives the moments "
          "v.A^j v / v.v for j < 12 (worst %.2g relative)", worst);

    /* the top eigenvalue of a matrix with a gap, after 20 steps */
    for (size_t i = 0; i < n * n; i++)
        c[i] = 0;
    for (size_t i = 0; i < n; i++) /* Q diag Q^T would do; diag suffices */
        c[i * n + i] = i == n - 1 ? 50 : (double)i / n;
    dense D2 = {n, c};
    k = nn_lanczos(mv, &D2, n, 20, v, al, be, &e);
    nn_tridiag_eig((size_t)k, al, be, th, t2, rs, &e);
    CHECK(fabs(th[k - 1] - 50) <= fmax(rs[k - 1], 1e-9),
          "the top Ritz value after 20 steps is 50 within its residual "
          "bound (%.3g, bound %.2g)", th[k - 1] - 50, rs[k - 1]);

    /* three distinct eigenvalues: the Krylov space closes after 3 */
    for (size_t i = 0; i < n; i++)
        c[i * n + i] = (double)(i % 3) - 1;
    k = nn_lanczos(mv, &D2, n, 10, v, al, be, &e);
    nn_tridiag_eig((size_t)k, al, be, th, t2, rs, &e);
    qsort(th, (size_t)k, sizeof *th, cmp);
    CHECK(k == 3 && fabs(th[0] + 1) < 1e-12 && fabs(th[1]) < 1e-12 &&
              fabs(th[2] - 1) < 1e-12,
          "a matrix with eigenvalues -1, 0, 1: Lanczos stops after 3 steps "
          "(%ld) with them exactly", k);

    CHECK(nn_lanczos(mv, &D, n, n + 1, v, al, be, &e) < 0 &&
              strstr(e.msg, "at most 40"),
          "more steps than dimensions fail: %s", e.msg);
    memset(v, 0, n * sizeof *v);
    CHECK(nn_lanczos(mv, &D, n, 3, v, al, be, &e) < 0 && *e.msg,
          "a zero start vector fails: %s", e.msg);
    free(a), free(c), free(w), free(v), free(u), free(u2);
    return check_status();
}

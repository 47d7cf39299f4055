/* test_fit.c — the closed-form fits against references computed here from
 * the data itself: the normal equations solved by Gaussian elimination,
 * the minimum-norm solution of a rank-deficient problem from the problem
 * without its duplicated column, eigenvalues by Jacobi rotations; and the
 * refusals (lstsq from a Gram matrix, NaN or infinity, too many
 * components). */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ references */

/* Solves A X = B for A (n,n), B (n,k) by Gaussian elimination with partial
 * pivoting; A and B are overwritten (B by X).  Returns -1 on a zero pivot. */
static int gauss_solve(size_t n, size_t k, double *a, double *b)
{
    for (size_t c = 0; c < n; c++) {
        size_t piv = c;
        for (size_t i = c + 1; i < n; i++)
            if (fabs(a[i * n + c]) > fabs(a[piv * n + c]))
                piv = i;
        if (a[piv * n + c] == 0)
            return -1;
        if (piv != c) {
            for (size_t j = 0; j < n; j++) {
                double t = a[c * n + j];
                a[c * n + j] = a[piv * n + j];
                a[piv * n + j] = t;
            }
            for (size_t j = 0; j < k; j++) {
                double t = b[c * k + j];
                b[c * k + j] = b[piv * k + j];
                b[piv * k + j] = t;
            }
        }
        for (size_t i = c + 1; i < n; i++) {
            double f = a[i * n + c] / a[c * n + c];
            for (size_t j = c; j < n; j++)
                a[i * n + j] -= f * a[c * n + j];
            for (size_t j = 0; j < k; j++)
                b[i * k + j] -= f * b[c * k + j];
        }
    }
    for (size_t c = n; c-- > 0;)
        for (size_t j = 0; j < k; j++) {
            double s = b[c * k + j];
            for (size_t i = c + 1; i < n; i++)
                s -= a[c * n + i] * b[i * k + j];
            b[c * k + j] = s / a[c * n + c];
        }
    return 0;
}

/* Eigenvalues of symmetric a (n,n), descending, by cyclic Jacobi
 * rotations. */
static void jacobi_eigvals(size_t n, const double *a0, double *w)
{
    double *a = malloc(n * n * sizeof *a);
    memcpy(a, a0, n * n * sizeof *a);
    double total = 0;
    for (size_t i = 0; i < n * n; i++)
        total += a[i] * a[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        if (off <= 1e-32 * total)
            break;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0)
                    continue;
                double th = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (size_t k = 0; k < n; k++) { /* columns p and q */
                    double kp = a[k * n + p], kq = a[k * n + q];
                    a[k * n + p] = c * kp - s * kq;
                    a[k * n + q] = s * kp + c * kq;
                }
                for (size_t k = 0; k < n; k++) { /* rows p and q */
                    double pk = a[p * n + k], qk = a[q * n + k];
                    a[p * n + k] = c * pk - s * qk;
                    a[q * n + k] = s * pk + c * qk;
                }
            }
    }
    for (size_t i = 0; i < n; i++)
        w[i] = a[i * n + i];
    for (size_t i = 0; i < n; i++) /* insertion sort, descending */
        for (size_t j = i; j > 0 && w[j] > w[j - 1]; j--) {
            double t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
        }
    free(a);
}

/* C (m,n) = A (m,k) B (k,n), or A^T B for A (k,m) when ta: plain loops. */
static void matmul(int ta, size_t m, size_t n, size_t k, const double *a,
                   const double *b, double *c)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t l = 0; l < k; l++)
                s += (ta ? a[l * m + i] : a[i * k + l]) * b[l * n + j];
            c[i * n + j] = s;
        }
}

static double max_abs(const double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(a[i]) > m ? fabs(a[i]) : m;
    return m;
}

/* max |a-b| / max |b| */
static double rel_diff(const double *a, const double *b, size_t n)
{
    return max_abs_diff(a, b, n) / max_abs(b, n);
}

/* ------------------------------------------------------------------ data */

/* A data set [1 Z Y]: columns of Z with offsets and different scales, Y a
 * noisy linear function of Z; the Gram matrix and the streaming QR of it. */
typedef struct data {
    size_t m, nz, ny, p, n;
    double *z, *y;      /* (m,nz), (m,ny) */
    double *a;          /* (m,n) = [1 Z Y] */
    nn_gram *g;
    nn_tsqr *q;
} data;

static void data_make(data *d, nn_rng *r, size_t m, size_t nz, size_t ny)
{
    d->m = m;
    d->nz = nz;
    d->ny = ny;
    d->p = 1 + nz;
    d->n = 1 + nz + ny;
    d->z = malloc(m * nz * sizeof *d->z);
    d->y = malloc(m * ny * sizeof *d->y);
    d->a = malloc(m * d->n * sizeof *d->a);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < nz; j++)
            d->z[i * nz + j] = 0.5 * (double)j + (1 + 0.3 * (double)j) * nn_rng_normal(r);
    for (size_t i = 0; i < m; i++)
        for (size_t k = 0; k < ny; k++) {
            double s = 0.2 * nn_rng_normal(r) + (double)k;
            for (size_t j = 0; j < nz; j++)
                s += ((double)((j + 2 * k) % 5) - 2) * 0.4 * d->z[i * nz + j];
            d->y[i * ny + k] = s;
        }
}

/* Fills a and accumulates g and q from z and y (after any edits to z). */
static void data_finish(data *d)
{
    nn_error e;
    for (size_t i = 0; i < d->m; i++) {
        double *row = d->a + i * d->n;
        row[0] = 1;
        memcpy(row + 1, d->z + i * d->nz, d->nz * sizeof *row);
        memcpy(row + d->p, d->y + i * d->ny, d->ny * sizeof *row);
    }
    d->g = nn_gram_new(d->nz, d->ny, &e);
    d->q = nn_tsqr_new(d->nz, d->ny, &e);
    for (size_t i = 0; i < d->m; i += 150) { /* in uneven blocks */
        size_t k = d->m - i < 150 ? d->m - i : 150;
        nn_gram_add(d->g, k, d->z + i * d->nz, NN_F64, d->y + i * d->ny,
                    NN_F64, &e);
        nn_tsqr_add(d->q, k, d->z + i * d->nz, d->y + i * d->ny, &e);
    }
    nn_gram_finish(d->g);
    nn_tsqr_finish(d->q, &e);
}

static void data_free(data *d)
{
    free(d->z);
    free(d->y);
    free(d->a);
    nn_gram_free(d->g);
    nn_tsqr_free(d->q);
}

/* The ridge solution (Z1^T Z1 + lambda I)^-1 Z1^T T for T = A P, from the
 * data by plain loops and Gaussian elimination: W (p,k). */
static void naive_ridge(const data *d, const double *P, size_t k,
                        double lambda, double *W)
{
    size_t m = d->m, n = d->n, p = d->p;
    double *t = malloc(m * k * sizeof *t), *z1 = calloc(m * p, sizeof *z1);
    double *nm = malloc(p * p * sizeof *nm);
    matmul(0, m, k, n, d->a, P, t);
    for (size_t i = 0; i < m; i++)
        memcpy(z1 + i * p, d->a + i * n, p * sizeof *z1);
    matmul(1, p, p, m, z1, z1, nm);
    for (size_t i = 0; i < p; i++)
        nm[i * p + i] += lambda;
    matmul(1, p, k, m, z1, t, W);
    gauss_solve(p, k, nm, W);
    free(t);
    free(z1);
    free(nm);
}

/* max |Z1^T (Z1 W - T) + lambda W| / max |Z1^T T|: the gradient of the
 * ridge objective at W, straight from the data. */
static double ridge_gradient(const data *d, const double *P, size_t k,
                             double lambda, const double *W)
{
    size_t m = d->m, n = d->n, p = d->p;
    double *t = malloc(m * k * sizeof *t), *res = malloc(m * k * sizeof *res);
    double *z1 = calloc(m * p, sizeof *z1), *gr = malloc(p * k * sizeof *gr);
    double *zt = malloc(p * k * sizeof *zt);
    matmul(0, m, k, n, d->a, P, t);
    for (size_t i = 0; i < m; i++)
        memcpy(z1 + i * p, d->a + i * n, p * sizeof *z1);
    matmul(0, m, k, p, z1, W, res);
    for (size_t i = 0; i < m * k; i++)
        res[i] -= t[i];
    matmul(1, p, k, m, z1, res, gr);
    matmul(1, p, k, m, z1, t, zt);
    for (size_t i = 0; i < p * k; i++)
        gr[i] += lambda * W[i];
    double g = max_abs(gr, p * k) / max_abs(zt, p * k);
    free(t);
    free(res);
    free(z1);
    free(gr);
    free(zt);
    return g;
}

static double *randn(nn_rng *r, size_t n)
{
    double *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = nn_rng_normal(r);
    return a;
}

/* ----------------------------------------------------------------- tests */

/* Least squares and ridge, Cholesky and pinv, against the normal equations
 * solved here; the QR solve agrees on well-conditioned data. */
static void test_solve(nn_rng *r)
{
    data d;
    data_make(&d, r, 600, 6, 3);
    data_finish(&d);
    size_t p = d.p, n = d.n, k = 4;
    nn_error e = {{0}};

    /* T = Y: P selects the targets */
    double *sel = calloc(n * d.ny, sizeof *sel);
    for (size_t j = 0; j < d.ny; j++)
        sel[(p + j) * d.ny + j] = 1;
    double *W = malloc(p * k * sizeof *W), *ref = malloc(p * k * sizeof *ref);
    nn_fit_opts chol = {.solver = NN_SOLVE_CHOL};
    int rc = nn_fit_solve(d.g, sel, d.ny, &chol, W, &e);
    naive_ridge(&d, sel, d.ny, 0, ref);
    double diff = rel_diff(W, ref, p * d.ny);
    CHECK(rc == 0 && diff < 1e-10,
          "chol: W for T = Y solves the normal equations (rel diff %.2g)", diff);
    double grad = ridge_gradient(&d, sel, d.ny, 0, W);
    CHECK(grad < 1e-10, "chol: Z1^T (Z1 W - Y) = 0 (rel %.2g)", grad);

    /* a random mixture T = [Z1 Y] P, every solver, with and without ridge */
    double *P = randn(r, n * k);
    double lambdas[3] = {0, 5, 2000};
    for (int li = 0; li < 3; li++) {
        double lam = lambdas[li];
        naive_ridge(&d, P, k, lam, ref);
        for (int s = NN_SOLVE_CHOL; s <= NN_SOLVE_PINV; s++) {
            nn_fit_opts o = {.solver = s, .lambda = lam};
            rc = nn_fit_solve(d.g, P, k, &o, W, &e);
            diff = rel_diff(W, ref, p * k);
            grad = ridge_gradient(&d, P, k, lam, W);
            CHECK(rc == 0 && diff < 1e-9 && grad < 1e-9,
                  "%s lambda %g: W = (Z1^T Z1 + lambda I)^-1 Z1^T T (rel diff "
                  "%.2g, gradient %.2g)", s == NN_SOLVE_CHOL ? "chol" : "pinv",
                  lam, diff, grad);
        }
        nn_fit_opts o = {.solver = NN_SOLVE_LSTSQ, .lambda = lam};
        rc = nn_fit_solve_qr(d.q, P, k, &o, W, &e);
        diff = rel_diff(W, ref, p * k);
        CHECK(rc == 0 && diff < 1e-9,
              "qr lambda %g: agrees with the normal equations (rel diff %.2g)",
              lam, diff);
    }
    /* the ridge shrinks: a larger lambda gives a smaller solution */
    double *w5 = malloc(p * k * sizeof *w5);
    nn_fit_opts o5 = {.lambda = 5}, o2k = {.lambda = 2000};
    nn_fit_solve(d.g, P, k, &o5, w5, &e);
    nn_fit_solve(d.g, P, k, &o2k, W, &e);
    double n5 = 0, n2k = 0;
    for (size_t i = 0; i < p * k; i++) {
        n5 += w5[i] * w5[i];
        n2k += W[i] * W[i];
    }
    CHECK(n2k < n5, "ridge: ||W|| falls as lambda grows (%.4g < %.4g)",
          sqrt(n2k), sqrt(n5));

    /* chol and qr agree with each other directly */
    double *wq = malloc(p * k * sizeof *wq);
    nn_fit_opts oc = {.solver = NN_SOLVE_CHOL}, oq = {.solver = NN_SOLVE_LSTSQ};
    nn_fit_solve(d.g, P, k, &oc, W, &e);
    nn_fit_solve_qr(d.q, P, k, &oq, wq, &e);
    diff = rel_diff(wq, W, p * k);
    CHECK(diff < 1e-10, "nn_fit_solve_qr equals nn_fit_solve on well-"
          "conditioned data (rel diff %.2g)", diff);

    /* refusals: lstsq from a Gram matrix, an unknown solver */
    nn_fit_opts ol = {.solver = NN_SOLVE_LSTSQ};
    e.msg[0] = 0;
    CHECK(nn_fit_solve(d.g, P, k, &ol, W, &e) < 0 && strstr(e.msg, "lstsq"),
          "nn_fit_solve refuses lstsq (%s)", e.msg);
    nn_fit_opts ob = {.solver = 7};
    e.msg[0] = 0;
    CHECK(nn_fit_solve(d.g, P, k, &ob, W, &e) < 0 && strstr(e.msg, "chol"),
          "nn_fit_solve refuses solver 7 (%s)", e.msg);
    free(sel);
    free(W);
    free(ref);
    free(P);
    free(w5);
    free(wq);
    data_free(&d);
}

/* A duplicated column: pinv (and qr) give the minimum-norm solution, which
 * splits the weight of the column evenly between the copies; a zero
 * column: Cholesky fails with advice, a ridge makes it solvable. */
static void test_rank_deficient(nn_rng *r)
{
    size_t nz = 5, dup = 2, src = 1, k = 3;
    data d;
    data_make(&d, r, 500, nz, 2);
    for (size_t i = 0; i < d.m; i++)
        d.z[i * nz + dup] = d.z[i * nz + src];
    data_finish(&d);
    size_t p = d.p, n = d.n;
    nn_error e = {{0}};
    double *P = randn(r, n * k);

    /* the reduced problem: [1 Z] without the copy, T the same */
    size_t pr = p - 1;
    double *z1r = malloc(d.m * pr * sizeof *z1r), *t = malloc(d.m * k * sizeof *t);
    matmul(0, d.m, k, n, d.a, P, t);
    for (size_t i = 0; i < d.m; i++)
        for (size_t j = 0, c = 0; j < p; j++)
            if (j != 1 + dup)
                z1r[i * pr + c++] = d.a[i * n + j];
    double *nm = malloc(pr * pr * sizeof *nm), *wr = malloc(pr * k * sizeof *wr);
    matmul(1, pr, pr, d.m, z1r, z1r, nm);
    matmul(1, pr, k, d.m, z1r, t, wr);
    gauss_solve(pr, k, nm, wr);
    double *ref = malloc(p * k * sizeof *ref);
    for (size_t j = 0; j < p; j++) { /* the copies share the weight */
        size_t from = j == 1 + dup ? 1 + src : j;
        size_t rr = from < 1 + dup ? from : from - 1;
        for (size_t l = 0; l < k; l++)
            ref[j * k + l] = wr[rr * k + l] / (from == 1 + src ? 2 : 1);
    }
    double *W = malloc(p * k * sizeof *W);
    nn_fit_opts op = {.solver = NN_SOLVE_PINV};
    int rc = nn_fit_solve(d.g, P, k, &op, W, &e);
    double diff = rel_diff(W, ref, p * k);
    CHECK(rc == 0 && diff < 1e-9,
          "pinv on a duplicated column: the minimum-norm solution (rel diff "
          "%.2g)", diff);
    nn_fit_opts oq = {.solver = NN_SOLVE_LSTSQ};
    rc = nn_fit_solve_qr(d.q, P, k, &oq, W, &e);
    diff = rel_diff(W, ref, p * k);
    CHECK(rc == 0 && diff < 1e-9,
          "qr on a duplicated column: the minimum-norm solution (rel diff "
          "%.2g)", diff);
    free(z1r);
    free(t);
    free(nm);
    free(wr);
    free(ref);
    free(W);
    free(P);
    data_free(&d);

    /* a column of zeros: Z1^T Z1 is exactly singular */
    data_make(&d, r, 300, 4, 1);
    for (size_t i = 0; i < d.m; i++)
        d.z[i * 4 + 3] = 0;
    data_finish(&d);
    p = d.p;
    n = d.n;
    P = randn(r, n * k);
    W = malloc(p * k * sizeof *W);
    ref = malloc(p * k * sizeof *ref);
    nn_fit_opts oc = {.solver = NN_SOLVE_CHOL};
    e.msg[0] = 0;
    CHECK(nn_fit_solve(d.g, P, k, &oc, W, &e) < 0 && strstr(e.msg, "singular") &&
              strstr(e.msg, "pseudoinverse") && !strstr(e.msg, "-s ") &&
              !strstr(e.msg, "-l "),
          "chol on a zero column fails with advice, naming no option (%s)",
          e.msg);
    oc.lambda = 0.5;
    rc = nn_fit_solve(d.g, P, k, &oc, W, &e);
    naive_ridge(&d, P, k, 0.5, ref);
    diff = rel_diff(W, ref, p * k);
    double zrow = max_abs(W + 4 * k, k);
    CHECK(rc == 0 && diff < 1e-9 && zrow == 0,
          "chol with a ridge on a zero column: solved, the column's weights 0 "
          "(rel diff %.2g, max %.2g)", diff, zrow);
    free(P);
    free(W);
    free(ref);
    data_free(&d);
}

/* Q (n,d): orthonormal columns, each an eigenvector of M with the largest
 * eigenvalues (those of the Jacobi reference), largest entry positive. */
static void check_pca(const char *what, size_t n, size_t d, const double *Q,
                      const double *M)
{
    double *qtq = malloc(d * d * sizeof *qtq);
    matmul(1, d, d, n, Q, Q, qtq);
    for (size_t j = 0; j < d; j++)
        qtq[j * d + j] -= 1;
    double ortho = max_abs(qtq, d * d);
    CHECK(ortho < 1e-12, "%s: Q^T Q = I (max diff %.2g)", what, ortho);

    double *ev = malloc(n * sizeof *ev), *lam = malloc(d * sizeof *lam);
    jacobi_eigvals(n, M, ev);
    double res = 0;
    int sign = 1;
    for (size_t j = 0; j < d; j++) {
        double *mq = malloc(n * sizeof *mq);
        lam[j] = 0;
        for (size_t i = 0; i < n; i++) {
            mq[i] = 0;
            for (size_t l = 0; l < n; l++)
                mq[i] += M[i * n + l] * Q[l * d + j];
            lam[j] += Q[i * d + j] * mq[i];
        }
        size_t big = 0;
        for (size_t i = 0; i < n; i++) {
            double dd = fabs(mq[i] - lam[j] * Q[i * d + j]) / ev[0];
            res = dd > res ? dd : res;
            if (fabs(Q[i * d + j]) > fabs(Q[big * d + j]))
                big = i;
        }
        sign &= Q[big * d + j] > 0;
        free(mq);
    }
    double lerr = max_abs_diff(lam, ev, d) / ev[0];
    CHECK(res < 1e-11, "%s: M q = lambda q for each column (rel residual %.2g)",
          what, res);
    CHECK(lerr < 1e-11, "%s: the eigenvalues are the %zu largest, in order "
          "(rel diff %.2g; lambda1 %.6g, Jacobi %.6g)", what, d, lerr, lam[0],
          ev[0]);
    CHECK(sign, "%s: each column's largest entry is positive", what);
    free(qtq);
    free(ev);
    free(lam);
}

static void test_pca(nn_rng *r)
{
    data dd;
    data_make(&dd, r, 700, 6, 3);
    data_finish(&dd);
    size_t n = dd.n, p = dd.p, m = dd.m, d = 4;
    double alpha = 0.5, beta = 2;
    nn_error e = {{0}};

    /* M = A^T A for A = alpha [Z1  beta Y], from the data */
    double *A = malloc(m * n * sizeof *A), *M = malloc(n * n * sizeof *M);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            A[i * n + j] = alpha * (j < p ? 1 : beta) * dd.a[i * n + j];
    matmul(1, n, n, m, A, A, M);
    double *Q = malloc(n * d * sizeof *Q), *Qr = malloc(n * d * sizeof *Qr);
    CHECK(nn_fit_pca(dd.g, alpha, beta, d, Q, &e) == 0, "nn_fit_pca succeeds");
    check_pca("pca", n, d, Q, M);
    CHECK(nn_fit_pca_qr(dd.q, alpha, beta, d, Qr, &e) == 0,
          "nn_fit_pca_qr succeeds");
    check_pca("pca_qr", n, d, Qr, M);
    double diff = max_abs_diff(Qr, Q, n * d);
    CHECK(diff < 1e-8, "pca_qr and pca give the same Q (max diff %.2g)", diff);

    /* the projection: [Z1 Y] P = alpha [Z1 beta Y] Q */
    double *P = malloc(n * d * sizeof *P);
    nn_fit_scale_projection(p, dd.ny, d, alpha, beta, Q, P);
    double *t1 = malloc(m * d * sizeof *t1), *t2 = malloc(m * d * sizeof *t2);
    matmul(0, m, d, n, A, Q, t1);
    matmul(0, m, d, n, dd.a, P, t2);
    diff = rel_diff(t2, t1, m * d);
    CHECK(diff < 1e-14, "scale_projection: [Z1 Y] P = alpha [Z1 beta Y] Q "
          "(rel diff %.2g)", diff);

    /* every component, and one too many */
    double *Qa = malloc(n * (n + 1) * sizeof *Qa);
    CHECK(nn_fit_pca(dd.g, alpha, beta, n, Qa, &e) == 0,
          "nn_fit_pca gives all %zu components", n);
    check_pca("pca, all", n, n, Qa, M);
    e.msg[0] = 0;
    CHECK(nn_fit_pca(dd.g, alpha, beta, n + 1, Qa, &e) < 0 &&
              strstr(e.msg, "at most"),
          "nn_fit_pca refuses %zu components (%s)", n + 1, e.msg);
    e.msg[0] = 0;
    CHECK(nn_fit_pca_qr(dd.q, alpha, beta, n + 1, Qa, &e) < 0 &&
              strstr(e.msg, "at most"),
          "nn_fit_pca_qr refuses %zu components (%s)", n + 1, e.msg);
    e.msg[0] = 0;
    CHECK(nn_fit_pca_corr(dd.g, n + 1, Qa, &e) < 0 && strstr(e.msg, "at most"),
          "nn_fit_pca_corr refuses %zu components (%s)", n + 1, e.msg);
    free(A);
    free(M);
    free(Q);
    free(Qr);
    free(P);
    free(t1);
    free(t2);
    free(Qa);
    data_free(&dd);
}

/* PCA of the correlation matrix, with a constant column among Z's: the
 * reference correlation from two-pass means and deviations. */
static void test_pca_corr(nn_rng *r)
{
    size_t nz = 5, cst = 3, d = 3;
    data dd;
    data_make(&dd, r, 800, nz, 2);
    for (size_t i = 0; i < dd.m; i++)
        dd.z[i * nz + cst] = 2.5;
    data_finish(&dd);
    size_t n = dd.n, m = dd.m;
    nn_error e = {{0}};
    double *mu = calloc(n, sizeof *mu), *sd = calloc(n, sizeof *sd);
    for (size_t j = 1; j < n; j++) {
        for (size_t i = 0; i < m; i++)
            mu[j] += dd.a[i * n + j];
        mu[j] /= (double)m;
        for (size_t i = 0; i < m; i++)
            sd[j] += (dd.a[i * n + j] - mu[j]) * (dd.a[i * n + j] - mu[j]);
        sd[j] = sqrt(sd[j] / (double)m);
    }
    CHECK(sd[1 + cst] == 0, "the constant column has deviation 0");
    double *C = calloc(n * n, sizeof *C);
    for (size_t a = 1; a < n; a++)
        for (size_t b = 1; b < n; b++) {
            if (sd[a] == 0 || sd[b] == 0)
                continue;
            double s = 0;
            for (size_t i = 0; i < m; i++)
                s += (dd.a[i * n + a] - mu[a]) * (dd.a[i * n + b] - mu[b]);
            C[a * n + b] = s / (double)m / (sd[a] * sd[b]);
        }
    double *Q = malloc(n * d * sizeof *Q);
    CHECK(nn_fit_pca_corr(dd.g, d, Q, &e) == 0, "nn_fit_pca_corr succeeds");
    check_pca("pca_corr", n, d, Q, C);
    double out = 0;
    for (size_t j = 0; j < d; j++) {
        out = fabs(Q[0 * d + j]) > out ? fabs(Q[0 * d + j]) : out;
        out = fabs(Q[(1 + cst) * d + j]) > out ? fabs(Q[(1 + cst) * d + j]) : out;
    }
    CHECK(out < 1e-12, "pca_corr: the bias and the constant column take no "
          "part (max entry %.2g)", out);

    /* no rows: refused */
    nn_gram *g0 = nn_gram_new(2, 1, &e);
    nn_gram_finish(g0);
    e.msg[0] = 0;
    CHECK(nn_fit_pca_corr(g0, 1, Q, &e) < 0 && strstr(e.msg, "no rows"),
          "pca_corr of no rows is refused (%s)", e.msg);
    nn_gram_free(g0);
    free(mu);
    free(sd);
    free(C);
    free(Q);
    data_free(&dd);
}

/* A Gram matrix or R holding NaN or an infinity is refused by every fit. */
static void test_nonfinite(nn_rng *r)
{
    data d;
    data_make(&d, r, 100, 3, 1);
    data_finish(&d);
    size_t n = d.n, k = 2;
    double *P = randn(r, n * k), *W = malloc(d.p * k * sizeof *W);
    double *Q = malloc(n * k * sizeof *Q);
    nn_error e;
    double bad[2] = {NAN, INFINITY};
    const char *word[2] = {"NaN", "infinity"};
    double *bad_g = malloc(n * n * sizeof *bad_g);
    double *bad_z = malloc(d.m * d.nz * sizeof *bad_z);
    for (int b = 0; b < 2; b++) {
        /* the data's Gram matrix with one entry bad */
        memcpy(bad_g, nn_gram_matrix(d.g), n * n * sizeof *bad_g);
        bad_g[1 * n + 2] = bad[b];
        nn_gram *g = nn_gram_new(d.nz, d.ny, &e);
        nn_gram_merge(g, n, bad_g, nn_gram_rows(d.g), &e);
        nn_gram_finish(g);
        for (int s = NN_SOLVE_CHOL; s <= NN_SOLVE_PINV; s++) {
            nn_fit_opts o = {.solver = s, .lambda = s == NN_SOLVE_PINV ? 1 : 0};
            e.msg[0] = 0;
            CHECK(nn_fit_solve(g, P, k, &o, W, &e) < 0 &&
                      strstr(e.msg, word[b]),
                  "nn_fit_solve (%s) refuses a Gram matrix with %s (%s)",
                  s == NN_SOLVE_CHOL ? "chol" : "pinv", word[b], e.msg);
        }
        e.msg[0] = 0;
        CHECK(nn_fit_pca(g, 1, 1, k, Q, &e) < 0 && strstr(e.msg, word[b]),
              "nn_fit_pca refuses a Gram matrix with %s (%s)", word[b], e.msg);
        e.msg[0] = 0;
        CHECK(nn_fit_pca_corr(g, k, Q, &e) < 0 && strstr(e.msg, word[b]),
              "nn_fit_pca_corr refuses a Gram matrix with %s (%s)", word[b],
              e.msg);
        nn_gram_free(g);

        /* R of the data with one value bad, in the last (here the only)
         * block: the first Householder reflection takes it into R's first
         * row as it is, ahead of anything it spoils further on */
        memcpy(bad_z, d.z, d.m * d.nz * sizeof *bad_z);
        bad_z[40 * d.nz + 2] = bad[b];
        nn_tsqr *q = nn_tsqr_new(d.nz, d.ny, &e);
        nn_tsqr_add(q, d.m, bad_z, d.y, &e);
        nn_tsqr_finish(q, &e);
        nn_fit_opts o = {.solver = NN_SOLVE_LSTSQ};
        e.msg[0] = 0;
        CHECK(nn_fit_solve_qr(q, P, k, &o, W, &e) < 0 &&
                  strstr(e.msg, word[b]),
              "nn_fit_solve_qr refuses R with %s (%s)", word[b], e.msg);
        e.msg[0] = 0;
        CHECK(nn_fit_pca_qr(q, 1, 1, k, Q, &e) < 0 && strstr(e.msg, word[b]),
              "nn_fit_pca_qr refuses R with %s (%s)", word[b], e.msg);
        nn_tsqr_free(q);
    }
    free(bad_g);
    free(bad_z);
    nn_fit_opts o = {.solver = NN_SOLVE_CHOL};
    CHECK(nn_fit_solve(d.g, P, k, &o, W, &e) == 0,
          "the data's own Gram matrix is solved");
    free(P);
    free(W);
    free(Q);
    data_free(&d);
}

int main(void)
{
    nn_rng r;
    nn_rng_seed(&r, 11);
    test_solve(&r);
    test_rank_deficient(&r);
    test_pca(&r);
    test_pca_corr(&r);
    test_nonfinite(&r);
    return check_status();
}

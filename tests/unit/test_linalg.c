/* test_linalg.c — the BLAS/LAPACK wrappers against reference loops and
 * their defining identities. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static double *randn(nn_rng *r, size_t n)
{
    double *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = nn_rng_normal(r);
    return a;
}

static void test_gemm(nn_rng *r)
{
    size_t m = 37, n = 23, k = 51;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            double *a = randn(r, m * k), *b = randn(r, k * n);
            double *c = randn(r, m * n), *c2 = malloc(m * n * sizeof *c2);
            memcpy(c2, c, m * n * sizeof *c);
            nn_gemm_f64(ta, tb, m, n, k, 0.5, a, b, 2.0, c);
            nn_gemm_f64_ref(ta, tb, m, n, k, 0.5, a, b, 2.0, c2);
            double d = max_abs_diff(c, c2, m * n);
            CHECK(d < 1e-12, "dgemm ta=%d tb=%d equals the loops (max diff %.2g)",
                  ta, tb, d);
            float *af = malloc(m * k * 4), *bf = malloc(k * n * 4),
                  *cf = calloc(m * n, 4);
            nn_convert(af, NN_F32, a, NN_F64, m * k);
            nn_convert(bf, NN_F32, b, NN_F64, k * n);
            nn_gemm_f32(ta, tb, m, n, k, 1.0f, af, bf, 0.0f, cf);
            nn_gemm_f64_ref(ta, tb, m, n, k, 1.0, a, b, 0.0, c2);
            double *cd = malloc(m * n * sizeof *cd);
            nn_convert(cd, NN_F64, cf, NN_F32, m * n);
            d = max_abs_diff(cd, c2, m * n);
            CHECK(d < 1e-4, "sgemm ta=%d tb=%d equals the loops (max diff %.2g)",
                  ta, tb, d);
            free(a); free(b); free(c); free(c2); free(af); free(bf); free(cf);
            free(cd);
        }
}

static void test_syrk_chol(nn_rng *r)
{
    size_t m = 200, n = 30, nrhs = 4;
    double *a = randn(r, m * n), *g = calloc(n * n, sizeof *g);
    nn_syrk_f64(m / 2, n, a, g); /* in two blocks, as the fits accumulate */
    nn_syrk_f64(m - m / 2, n, a + (m / 2) * n, g);
    nn_sym_fill(n, g);
    double *g2 = malloc(n * n * sizeof *g2);
    nn_gemm_f64_ref(1, 0, n, n, m, 1.0, a, a, 0.0, g2);
    double d = max_abs_diff(g, g2, n * n);
    CHECK(d < 1e-11, "blocked syrk equals A^T A (max diff %.2g)", d);

    double *x = randn(r, n * nrhs), *b = malloc(n * nrhs * sizeof *b);
    nn_gemm_f64_ref(0, 0, n, nrhs, n, 1.0, g2, x, 0.0, b);
    nn_error e;
    CHECK(nn_chol_solve(n, nrhs, g, b, &e) == 0, "Cholesky solve succeeds");
    d = max_abs_diff(b, x, n * nrhs);
    CHECK(d < 1e-9, "Cholesky recovers X from (A^T A) X (max diff %.2g)", d);

    double sing[4] = {1, 1, 1, 1}, rhs[2] = {1, 1};
    CHECK(nn_chol_solve(2, 1, sing, rhs, &e) < 0 && strstr(e.msg, "ridge"),
          "singular matrix: message suggests a remedy (%s)", e.msg);
    free(a); free(g); free(g2); free(x); free(b);
}

/* Streaming QR: R^T R equals the Gram matrix of [1 Z Y], whatever the
 * blocking, and R is upper triangular. */
static void test_tsqr(nn_rng *r)
{
    size_t m = 1500, nz = 7, ny = 2, n = 1 + nz + ny;
    double *z = randn(r, m * nz), *y = randn(r, m * ny);
    nn_error e;
    nn_tsqr *q = nn_tsqr_new(nz, ny, &e);
    nn_gram *g = nn_gram_new(nz, ny, &e);
    for (size_t i = 0; i < m; i += 333) { /* uneven blocks */
        size_t k = m - i < 333 ? m - i : 333;
        nn_tsqr_add(q, k, z + i * nz, y + i * ny, &e);
        nn_gram_add(g, k, z + i * nz, NN_F64, y + i * ny, NN_F64, &e);
    }
    CHECK(nn_tsqr_finish(q, &e) == 0, "streaming QR finishes");
    nn_gram_finish(g);
    const double *R = nn_tsqr_factor(q), *G = nn_gram_matrix(g);
    double *rtr = malloc(n * n * sizeof *rtr);
    nn_gemm_f64_ref(1, 0, n, n, n, 1.0, R, R, 0.0, rtr);
    double d = max_abs_diff(rtr, G, n * n) / G[0];
    int upper = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            upper &= R[i * n + j] == 0;
    CHECK(d < 1e-13 && upper && nn_tsqr_rows(q) == m,
          "R^T R of the streaming QR is the Gram matrix (rel %.2g)", d);
    CHECK(nn_tsqr_nz(q) == nz && nn_tsqr_ny(q) == ny && nn_tsqr_dim(q) == n &&
              nn_gram_nz(g) == nz && nn_gram_ny(g) == ny &&
              nn_gram_dim(g) == n && nn_gram_rows(g) == m,
          "the sides and rows of the factor and of the Gram matrix");
    /* the Gram matrix of the factor: R^T R, with its rows */
    nn_gram *gq = nn_tsqr_gram(q, &e);
    CHECK(gq && nn_gram_rows(gq) == m && nn_gram_dim(gq) == n &&
              max_abs_diff(nn_gram_matrix(gq), rtr, n * n) < 1e-9 * G[0],
          "nn_tsqr_gram is R^T R (max diff %.2g)",
          gq ? max_abs_diff(nn_gram_matrix(gq), rtr, n * n) : -1.0);
    nn_gram_free(gq);
    /* lstsq solves from R only: from the Gram matrix it is an error, not
     * a silent pinv */
    double P[10 * 2] = {0}, W[8 * 2];
    nn_fit_opts lo = {.solver = NN_SOLVE_LSTSQ};
    CHECK(nn_fit_solve(g, P, 2, &lo, W, &e) < 0 && strstr(e.msg, "lstsq"),
          "nn_fit_solve refuses lstsq (%s)", e.msg);
    free(rtr);
    free(z);
    free(y);
    nn_tsqr_free(q);
    nn_gram_free(g);
}

/* Gram matrices of disjoint rows add (nn_gram_merge); the Gram matrix of
 * [1 Z] is the leading block of that of [1 Z Y]; entries set by hand
 * (nn_gram_set) as those of one-hot targets give the same matrix as the
 * targets' rows. */
static void test_gram_merge(nn_rng *r)
{
    size_t m = 900, nz = 4, ny = 3, n = 1 + nz + ny, p = 1 + nz;
    double *z = randn(r, m * nz), *y = calloc(m * ny, sizeof *y);
    int32_t *lab = malloc(m * sizeof *lab);
    for (size_t i = 0; i < m; i++) {
        lab[i] = (int32_t)(i * 7 % ny);
        y[i * ny + (size_t)lab[i]] = 1;
    }
    nn_error e;
    nn_gram *whole = nn_gram_new(nz, ny, &e), *a = nn_gram_new(nz, ny, &e),
            *b = nn_gram_new(nz, ny, &e), *sum = nn_gram_new(nz, ny, &e);
    nn_gram_add(whole, m, z, NN_F64, y, NN_F64, &e);
    nn_gram_add(a, 500, z, NN_F64, y, NN_F64, &e);
    nn_gram_add(b, m - 500, z + 500 * nz, NN_F64, y + 500 * ny, NN_F64, &e);
    nn_gram_finish(whole);
    nn_gram_finish(a);
    nn_gram_finish(b);
    int rc = nn_gram_merge(sum, n, nn_gram_matrix(a), nn_gram_rows(a), &e);
    rc |= nn_gram_merge(sum, n, nn_gram_matrix(b), nn_gram_rows(b), &e);
    nn_gram_finish(sum);
    const double *W = nn_gram_matrix(whole);
    double d = max_abs_diff(nn_gram_matrix(sum), W, n * n) / W[0];
    CHECK(rc == 0 && d < 1e-14 && nn_gram_rows(sum) == m,
          "two halves merged are the whole (rel %.2g)", d);
    CHECK(nn_gram_merge(sum, n, W, UINT64_MAX, &e) < 0 &&
              strstr(e.msg, "2^64") && nn_gram_rows(sum) == m,
          "rows that add up past 2^64 are refused, g unchanged (%s)", e.msg);
    CHECK(nn_gram_merge(a, n + 1, W, 1, &e) < 0,
          "sums larger than the Gram matrix are refused (%s)", e.msg);

    /* [1 Z] alone, then the class sums of the one-hot targets */
    nn_gram *gz = nn_gram_new(nz, 0, &e), *oh = nn_gram_new(nz, ny, &e);
    nn_gram_add(gz, m, z, NN_F64, NULL, NN_F64, &e);
    nn_gram_finish(gz);
    rc = nn_gram_merge(oh, p, nn_gram_matrix(gz), nn_gram_rows(gz), &e);
    double *cs = calloc(ny * p, sizeof *cs);
    for (size_t i = 0; i < m; i++) {
        double *s = cs + (size_t)lab[i] * p;
        s[0] += 1;
        for (size_t j = 0; j < nz; j++)
            s[1 + j] += z[i * nz + j];
    }
    for (size_t c = 0; c < ny; c++) {
        for (size_t i = 0; i < p; i++)
            nn_gram_set(oh, i, p + c, cs[c * p + i]);
        nn_gram_set(oh, p + c, p + c, cs[c * p]);
    }
    nn_gram_finish(oh);
    d = max_abs_diff(nn_gram_matrix(oh), W, n * n) / W[0];
    CHECK(rc == 0 && d < 1e-13 && nn_gram_rows(oh) == m,
          "the Gram of [1 Z] and class sums set by hand give that of "
          "[1 Z Y] (rel %.2g)", d);
    double l1 = -1, l2 = -1;
    rc = nn_gram_lsd(oh, 0, &l1, &e);
    rc |= nn_gram_lsd(whole, 0, &l2, &e);
    CHECK(rc == 0 && l2 > 0 && fabs(l1 - l2) < 1e-12 * l2,
          "and the same least-squares distance (%.17g, %.17g)", l1, l2);
    nn_gram_free(whole);
    nn_gram_free(a);
    nn_gram_free(b);
    nn_gram_free(sum);
    nn_gram_free(gz);
    nn_gram_free(oh);
    free(cs);
    free(z);
    free(y);
    free(lab);
}

static void test_svd_eig_qr(nn_rng *r)
{
    size_t m = 40, n = 25, k = 25;
    double *a = randn(r, m * n), *a0 = malloc(m * n * sizeof *a0);
    memcpy(a0, a, m * n * sizeof *a);
    double *s = malloc(k * sizeof *s), *u = malloc(m * k * sizeof *u),
           *vt = malloc(k * n * sizeof *vt);
    nn_error e;
    CHECK(nn_svd(m, n, a, s, u, vt, &e) == 0, "SVD succeeds");
    double *us = malloc(m * k * sizeof *us), *rec = malloc(m * n * sizeof *rec);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++)
            us[i * k + j] = u[i * k + j] * s[j];
    nn_gemm_f64_ref(0, 0, m, n, k, 1.0, us, vt, 0.0, rec);
    double d = max_abs_diff(rec, a0, m * n);
    CHECK(d < 1e-12, "U S Vt reconstructs A (max diff %.2g)", d);
    int sorted = 1;
    for (size_t j = 1; j < k; j++)
        sorted &= s[j] <= s[j - 1] && s[j] >= 0;
    CHECK(sorted, "singular values are non-negative and descending");

    /* eigenvalues of A^T A are the squared singular values */
    double *g = malloc(n * n * sizeof *g), *w = malloc(n * sizeof *w),
           *v = malloc(n * n * sizeof *v);
    nn_gemm_f64_ref(1, 0, n, n, m, 1.0, a0, a0, 0.0, g);
    double *g0 = malloc(n * n * sizeof *g0);
    memcpy(g0, g, n * n * sizeof *g);
    CHECK(nn_eigh(n, g, w, v, &e) == 0, "symmetric eigensolver succeeds");
    double worst = 0;
    for (size_t j = 0; j < n; j++) {
        double dd = fabs(w[j] - s[n - 1 - j] * s[n - 1 - j]);
        worst = dd > worst ? dd : worst;
        /* G v_j = w_j v_j, with v_j a row of v */
        for (size_t i = 0; i < n; i++) {
            double gv = 0;
            for (size_t p = 0; p < n; p++)
                gv += g0[i * n + p] * v[j * n + p];
            dd = fabs(gv - w[j] * v[j * n + i]);
            worst = dd > worst ? dd : worst;
        }
    }
    CHECK(worst < 1e-9, "eigenpairs of A^T A agree with the SVD (max %.2g)",
          worst);

    /* QR: orthonormal columns, and Q R = A with R's diagonal positive */
    memcpy(a, a0, m * n * sizeof *a);
    CHECK(nn_qr_q(m, n, a, &e) == 0, "QR succeeds");
    double *qtq = malloc(n * n * sizeof *qtq);
    nn_gemm_f64_ref(1, 0, n, n, m, 1.0, a, a, 0.0, qtq);
    for (size_t i = 0; i < n; i++)
        qtq[i * n + i] -= 1;
    double zero[25 * 25] = {0};
    d = max_abs_diff(qtq, zero, n * n);
    CHECK(d < 1e-13, "Q^T Q = I (max diff %.2g)", d);
    double *r_ = malloc(n * n * sizeof *r_); /* R = Q^T A */
    nn_gemm_f64_ref(1, 0, n, n, m, 1.0, a, a0, 0.0, r_);
    int upper = 1;
    for (size_t i = 0; i < n; i++) {
        upper &= r_[i * n + i] > 0;
        for (size_t j = 0; j < i; j++)
            upper &= fabs(r_[i * n + j]) < 1e-12;
    }
    CHECK(upper, "Q^T A is upper triangular with a positive diagonal");
    free(a); free(a0); free(s); free(u); free(vt); free(us); free(rec);
    free(g); free(g0); free(w); free(v); free(qtq); free(r_);
}

static void test_stats_convert(nn_rng *r)
{
    /* summary against a direct two-pass computation, with a large offset */
    size_t n = 100003;
    double *x = malloc(n * sizeof *x);
    float *xf = malloc(n * sizeof *xf);
    for (size_t i = 0; i < n; i++)
        x[i] = 1e6 + nn_rng_normal(r);
    nn_convert(xf, NN_F32, x, NN_F64, n);
    nn_convert(x, NN_F64, xf, NN_F32, n);
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= n;
    for (size_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var /= n;
    nn_summary s;
    nn_summary_init(&s);
    nn_summary_add(&s, xf, NN_F32, n / 3);
    nn_summary_add(&s, xf + n / 3, NN_F32, n - n / 3);
    CHECK(fabs(s.mean - mean) < 1e-9 * mean && fabs(nn_summary_std(&s) - sqrt(var)) < 1e-6,
          "summary mean/std at offset 1e6 (diff %.2g, %.2g)", s.mean - mean,
          nn_summary_std(&s) - sqrt(var));
    float odd[5] = {1, NAN, INFINITY, -INFINITY, 3};
    nn_summary_init(&s);
    nn_summary_add(&s, odd, NN_F32, 5);
    CHECK(s.n == 2 && s.nan == 1 && s.inf == 2 && s.min == 1 && s.max == 3 &&
              s.mean == 2,
          "summary counts NaN and Inf apart");

    /* a NaN and an infinity inside a long block take the careful path */
    float *lng = malloc(5000 * sizeof *lng);
    double bm = 0;
    for (int i = 0; i < 5000; i++)
        lng[i] = (float)(i % 7);
    lng[1234] = NAN;
    lng[4321] = -INFINITY;
    for (int i = 0; i < 5000; i++)
        bm += i == 1234 || i == 4321 ? 0 : lng[i];
    bm /= 4998;
    nn_summary_init(&s);
    nn_summary_add(&s, lng, NN_F32, 5000);
    CHECK(s.n == 4998 && s.nan == 1 && s.inf == 1 && s.min == 0 &&
              s.max == 6 && fabs(s.mean - bm) < 1e-12,
          "summary of a long block with a NaN and an Inf (mean diff %.2g)",
          s.mean - bm);
    free(lng);

    /* conversions: rounding, saturation, NaN, exact 64-bit integers */
    double src[6] = {2.5, -3.5, 300, -1, NAN, 1e30};
    uint8_t u8[6];
    nn_convert(u8, NN_U8, src, NN_F64, 6);
    CHECK(u8[0] == 2 && u8[1] == 0 && u8[2] == 255 && u8[3] == 0 && u8[4] == 0 &&
              u8[5] == 255,
          "f64->u8 rounds to even and saturates (%d %d %d %d %d %d)", u8[0],
          u8[1], u8[2], u8[3], u8[4], u8[5]);
    int64_t big = INT64_MAX - 1, back;
    uint64_t ub;
    nn_convert(&ub, NN_U64, &big, NN_I64, 1);
    nn_convert(&back, NN_I64, &ub, NN_U64, 1);
    CHECK(back == big, "i64 -> u64 -> i64 is exact near 2^63");
    int8_t neg = -5;
    uint16_t u16;
    nn_convert(&u16, NN_U16, &neg, NN_I8, 1);
    CHECK(u16 == 0, "negative to unsigned saturates at 0");
    free(x);
    free(xf);
}

int main(void)
{
    nn_rng r;
    nn_rng_seed(&r, 3);
    test_gemm(&r);
    test_syrk_chol(&r);
    test_svd_eig_qr(&r);
    test_tsqr(&r);
    test_stats_convert(&r);
    test_gram_merge(&r);
    return check_status();
}

/* test_fitpc.c — the fast kernels of the closed-form fits against their
 * references: the first principal component of nn_pc (a covariance in
 * single precision, refined in double precision) against nn_pc_ref (the
 * double-precision covariance by loops, dsyevd): the same vector to about
 * 1e-12, hence the same order of the rows' projections; the rows at ranks
 * from keys known within a bound (nn_nearsel; the refining pass's keys
 * and nn_pc_key_bound) against sorting the exact keys; the Gram matrix of
 * nn_gram_single (f32 blocks summed in f64) against the double-precision
 * one, to single precision's rounding of a block. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* x (m,n): offset + Z diag(s) Q^T, Z ~ N(0,1), Q orthogonal, s_j =
 * top * decay^j but s_1 = s_0 / ratio: the first two eigenvalues in the
 * ratio ratio^2. */
static double *data(nn_rng *r, size_t m, size_t n, double offset,
                    double ratio, double decay)
{
    double *q = malloc(n * n * sizeof *q), *x = malloc(m * n * sizeof *x);
    double *z = malloc(n * sizeof *z);
    nn_error e;
    for (size_t i = 0; i < n * n; i++)
        q[i] = nn_rng_normal(r);
    nn_qr_q(n, n, q, &e);
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = j == 0 ? 3 : 3 / ratio;
            for (size_t k = 1; k < j; k++)
                s *= decay;
            z[j] = s * nn_rng_normal(r);
        }
        for (size_t k = 0; k < n; k++) {
            double v = offset * (1 + 0.1 * (double)k);
            for (size_t j = 0; j < n; j++)
                v += q[k * n + j] * z[j];
            x[i * n + k] = v;
        }
    }
    free(q);
    free(z);
    return x;
}

/* the component of x (m,n) by nn_pc, fed in blocks of blk rows of dtype */
static int fast(size_t m, size_t n, const double *x, int dtype, size_t blk,
                double *c, int *passes)
{
    nn_error e;
    nn_pc *p = nn_pc_new(n, &e);
    void *b = malloc(m * n * nn_dtype_size(dtype));
    double *xd = malloc(m * n * sizeof *xd);
    nn_convert(b, dtype, x, NN_F64, m * n);
    nn_convert(xd, NN_F64, b, dtype, m * n); /* the values as stored */
    int rc = 0;
    for (size_t r = 0; r < m; r += blk) {
        size_t k = m - r < blk ? m - r : blk;
        rc |= nn_pc_add(p, k, (char *)b + r * n * nn_dtype_size(dtype), dtype,
                        &e);
    }
    int more = nn_pc_start(p, &e);
    while (more == 1) {
        for (size_t r = 0; r < m; r += blk)
            nn_pc_refine_add(p, m - r < blk ? m - r : blk,
                             (char *)b + r * n * nn_dtype_size(dtype), dtype,
                             NULL);
        more = nn_pc_refine_end(p, &e);
    }
    if (more < 0)
        rc = -1;
    else
        memcpy(c, nn_pc_vector(p), n * sizeof *c);
    *passes = nn_pc_passes(p);
    nn_pc_free(p);
    free(b);
    free(xd);
    return rc;
}

static double angle(const double *a, const double *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++)
        d += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(d);
}

/* rows whose place in the order of projections differs */
static size_t moved(size_t m, size_t n, const double *x, const double *a,
                    const double *b)
{
    double *va = malloc(m * sizeof *va), *vb = malloc(m * sizeof *vb);
    size_t *oa = malloc(m * sizeof *oa), *ob = malloc(m * sizeof *ob), k = 0;
    for (size_t i = 0; i < m; i++) {
        va[i] = vb[i] = 0;
        for (size_t j = 0; j < n; j++) {
            va[i] += x[i * n + j] * a[j];
            vb[i] += x[i * n + j] * b[j];
        }
        oa[i] = ob[i] = i;
    }
    /* insertion sorts by (key, row) */
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && va[oa[j - 1]] > va[oa[j]]; j--) {
            size_t t = oa[j]; oa[j] = oa[j - 1]; oa[j - 1] = t;
        }
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && vb[ob[j - 1]] > vb[ob[j]]; j--) {
            size_t t = ob[j]; ob[j] = ob[j - 1]; ob[j - 1] = t;
        }
    for (size_t i = 0; i < m; i++)
        k += oa[i] != ob[i];
    free(va); free(vb); free(oa); free(ob);
    return k;
}

static void one(nn_rng *r, size_t m, size_t n, double offset, double ratio,
                int dtype, size_t blk, double tol)
{
    double *x = data(r, m, n, offset, ratio, 0.9);
    double *xd = malloc(m * n * sizeof *xd);
    void *xf = malloc(m * n * nn_dtype_size(dtype));
    nn_convert(xf, dtype, x, NN_F64, m * n);
    nn_convert(xd, NN_F64, xf, dtype, m * n);
    double *c = malloc(n * sizeof *c), *c0 = malloc(n * sizeof *c0);
    nn_error e;
    int passes = 0;
    int rc = nn_pc_ref(m, n, xd, c0, &e) | fast(m, n, x, dtype, blk, c, &passes);
    double a = angle(c, c0, n);
    CHECK(rc == 0 && a < tol,
          "first component of %zux%zu %s (offset %g, lambda1/lambda2 %g, "
          "blocks of %zu): |c - c_ref| = %.2g < %.0e after %d refining "
          "pass(es)", m, n, dtype == NN_F32 ? "f32" : "f64", offset,
          ratio * ratio, blk, a, tol, passes);
    if (tol <= 1e-10) {
        size_t k = moved(m, n, xd, c, c0);
        CHECK(k == 0, "  the same order of the %zu projections (%zu moved)",
              m, k);
    }
    free(x); free(xd); free(xf); free(c); free(c0);
}

/* keys ordered by (key, row): the rows at ranks, by sorting all */
static const double *sort_keys;
static int by_sort_key(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    if (sort_keys[a] != sort_keys[b])
        return sort_keys[a] < sort_keys[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}

static void rows_at(size_t n, const double *k, size_t nr,
                    const uint64_t *ranks, uint64_t *rows)
{
    size_t *o = malloc(n * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = i;
    sort_keys = k;
    qsort(o, n, sizeof *o, by_sort_key);
    for (size_t i = 0; i < nr; i++)
        rows[i] = o[ranks[i]];
    free(o);
}

/* nn_nearsel: exact keys k within h of a (ties among both), the rows at
 * the ranks against sorting the exact keys; the candidates few when h is
 * small against the keys' spacing */
static void test_nearsel(nn_rng *r, size_t n, size_t nr, double h,
                         int ties, int last)
{
    double *a = malloc(n * sizeof *a), *k = malloc(n * sizeof *k);
    uint64_t *ranks = malloc(nr * sizeof *ranks);
    uint64_t *want = malloc(nr * sizeof *want), *got = malloc(nr * sizeof *got);
    size_t *pick = malloc(nr * sizeof *pick);
    for (size_t i = 0; i < n; i++) {
        /* ties: keys on a grid of 1e-3 (many equal, exactly or within h),
         * and some rows equal to others */
        k[i] = ties ? floor(nn_rng_uniform(r) * 50) * 1e-3
                    : nn_rng_normal(r);
        if (ties && i > 10 && i % 7 == 0)
            k[i] = k[i / 3];
        a[i] = k[i] + h * (2 * nn_rng_uniform(r) - 1);
        if (i % 5 == 0)
            a[i] = k[i] + (i % 2 ? h : -h); /* at the bound */
    }
    for (size_t i = 0; i < nr; i++)
        ranks[i] = (uint64_t)llround((double)i * (double)n / (double)nr);
    if (last) /* the last rank: the largest key */
        ranks[nr - 1] = n - 1;
    rows_at(n, k, nr, ranks, want);
    nn_error e;
    nn_nearsel *s = nn_nearsel_new(n, a, h, nr, ranks, &e);
    int rc = s ? 0 : -1;
    size_t count = s ? nn_nearsel_count(s) : 0;
    if (s) {
        const uint64_t *rows = nn_nearsel_rows(s);
        for (size_t j = 0; j < count; j++) {
            if (j && rows[j] <= rows[j - 1])
                rc = -1;
            nn_nearsel_key(s, j, k[rows[j]]);
        }
        if (rc == 0 && nn_nearsel_pick(s, pick, &e) == 0)
            for (size_t i = 0; i < nr; i++)
                got[i] = rows[pick[i]];
        else
            rc = -1;
    }
    size_t wrong = 0;
    for (size_t i = 0; i < nr && rc == 0; i++)
        wrong += got[i] != want[i];
    CHECK(rc == 0 && wrong == 0, "nn_nearsel: %zu keys known within %g%s, "
          "%zu ranks: the rows of the exact order (%zu wrong, %zu "
          "candidates)%s%s", n, h, ties ? " (many ties)" : "", nr, wrong,
          count, rc ? ": " : "", rc ? e.msg : "");
    if (!ties && h < 1e-9)
        CHECK(count <= nr + nr / 10, "  candidates %zu for %zu ranks",
              count, nr);
    /* an exact key beyond the bound is an error, not a wrong row */
    if (s && count) {
        nn_nearsel_key(s, 0, 1e9);
        CHECK(nn_nearsel_pick(s, pick, &e) < 0 && strstr(e.msg, "bound"),
              "  a key beyond the bound fails: %s", e.msg);
    }
    nn_nearsel_free(s);
    free(a); free(k); free(ranks); free(want); free(got); free(pick);
}

/* The tool's way: the keys of the refining pass and its bound, then the
 * exact keys x.c (summed in order) of the candidates: the rows at the
 * ranks of the final c's keys, as sorting all of them gives. */
static void test_refine_keys(nn_rng *r, size_t m, size_t n, size_t nr)
{
    double *x = data(r, m, n, 0.5, 1.3, 0.9);
    float *xf = malloc(m * n * sizeof *xf);
    double *keys = malloc(m * sizeof *keys), *k = malloc(m * sizeof *k);
    uint64_t *ranks = malloc(nr * sizeof *ranks);
    uint64_t *want = malloc(nr * sizeof *want);
    size_t *pick = malloc(nr * sizeof *pick), wrong = 0, count = 0;
    nn_convert(xf, NN_F32, x, NN_F64, m * n);
    nn_error e;
    nn_pc *p = nn_pc_new(n, &e);
    int rc = 0, more;
    for (size_t i = 0; i < m; i += 500)
        rc |= nn_pc_add(p, m - i < 500 ? m - i : 500, xf + i * n, NN_F32, &e);
    more = nn_pc_start(p, &e);
    CHECK(isinf(nn_pc_key_bound(p)), "no key bound before a refining pass");
    while (more == 1) {
        for (size_t i = 0; i < m; i += 500)
            nn_pc_refine_add(p, m - i < 500 ? m - i : 500, xf + i * n,
                             NN_F32, keys + i);
        more = nn_pc_refine_end(p, &e);
    }
    const double *c = nn_pc_vector(p);
    double h = nn_pc_key_bound(p), worst = 0;
    for (size_t i = 0; i < m; i++) {
        k[i] = 0;
        for (size_t j = 0; j < n; j++)
            k[i] += (double)xf[i * n + j] * c[j];
        if (fabs(k[i] - keys[i]) > worst)
            worst = fabs(k[i] - keys[i]);
    }
    for (size_t i = 0; i < nr; i++)
        ranks[i] = (uint64_t)llround((double)i * (double)m / (double)nr);
    rows_at(m, k, nr, ranks, want);
    nn_nearsel *s = more == 0 ? nn_nearsel_new(m, keys, h, nr, ranks, &e)
                              : NULL;
    if (s) {
        count = nn_nearsel_count(s);
        for (size_t j = 0; j < count; j++)
            nn_nearsel_key(s, j, k[nn_nearsel_rows(s)[j]]);
        if (nn_nearsel_pick(s, pick, &e) < 0)
            rc = -1;
        for (size_t i = 0; i < nr && rc == 0; i++)
            wrong += nn_nearsel_rows(s)[pick[i]] != want[i];
    }
    CHECK(rc == 0 && s && worst <= h && h < 1e-5 && wrong == 0,
          "keys of the refining pass within %.2g of the final c's (bound "
          "%.2g); the rows at %zu ranks from %zu candidates (%zu wrong)",
          worst, h, nr, count, wrong);
    nn_nearsel_free(s);
    nn_pc_free(p);
    free(x); free(xf); free(keys); free(k); free(ranks); free(want);
    free(pick);
}

/* nn_gram_single against nn_gram: [1 Z Y] with Z far from 0 */
static void test_single(nn_rng *r)
{
    size_t m = 5000, nz = 30, ny = 3, n = 1 + nz + ny;
    float *z = malloc(m * nz * sizeof *z);
    double *y = malloc(m * ny * sizeof *y);
    for (size_t i = 0; i < m * nz; i++)
        z[i] = (float)(50 + 0.5 * nn_rng_normal(r));
    for (size_t i = 0; i < m * ny; i++)
        y[i] = nn_rng_normal(r);
    nn_error e;
    nn_gram *g = nn_gram_new(nz, ny, &e), *s = nn_gram_new(nz, ny, &e);
    int rc = nn_gram_single(s, &e);
    for (size_t i = 0; i < m; i += 700) {
        size_t k = m - i < 700 ? m - i : 700;
        nn_gram_add(g, k, z + i * nz, NN_F32, y + i * ny, NN_F64, &e);
        nn_gram_add(s, k, z + i * nz, NN_F32, y + i * ny, NN_F64, &e);
    }
    nn_gram_finish(g);
    nn_gram_finish(s);
    /* the error of the centred sums: relative to the spread's, not the
     * offset's; the covariance of the Z columns from each */
    const double *G = nn_gram_matrix(g), *S = nn_gram_matrix(s);
    double worst = 0, md = (double)m;
    for (size_t i = 1; i < n; i++)
        for (size_t j = 1; j < n; j++) {
            double cg = G[i * n + j] / md - G[i] / md * (G[j] / md);
            double cs = S[i * n + j] / md - S[i] / md * (S[j] / md);
            double sc = sqrt((G[i * n + i] / md - G[i] / md * (G[i] / md)) *
                             (G[j * n + j] / md - G[j] / md * (G[j] / md)));
            double d = fabs(cg - cs) / sc;
            if (d > worst)
                worst = d;
        }
    double bias = fabs(S[0] - G[0]) + fabs(S[1] - G[1]);
    CHECK(rc == 0 && worst < 1e-5 && bias < 1e-6 * (double)m * 50,
          "nn_gram_single: the covariances within %.2g (< 1e-5) of the "
          "double-precision Gram's, relative to the spread (offset 100x it)",
          worst);
    CHECK(nn_gram_single(s, &e) < 0, "nn_gram_single refuses a Gram with rows");
    nn_gram_free(g);
    nn_gram_free(s);
    free(z);
    free(y);
}

int main(void)
{
    nn_rng r;
    nn_rng_seed(&r, 11);
    one(&r, 3000, 40, 0, 1.5, NN_F32, 1024, 1e-12);
    one(&r, 3000, 40, 100, 1.5, NN_F32, 700, 1e-12);   /* far from centred */
    one(&r, 2500, 60, 1, 1.2, NN_F64, 333, 1e-12);
    one(&r, 2000, 30, 0, 1.01, NN_F64, 2000, 1e-10);  /* a small gap */
    one(&r, 5000, 1, 5, 1.5, NN_F32, 1024, 1e-15);   /* one column */
    /* a first eigenvalue that is not single: any unit vector of the
     * plane is one; only that it is finite and of norm 1 */
    {
        size_t m = 400, n = 3;
        double *x = calloc(m * n, sizeof *x), c[3];
        for (size_t i = 0; i < m; i++) {
            x[i * n] = (i % 2 ? 1 : -1);
            x[i * n + 1] = (i / 2 % 2 ? 1 : -1);
        }
        int passes = 0;
        int rc = fast(m, n, x, NN_F64, 128, c, &passes);
        double s = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
        CHECK(rc == 0 && fabs(s - 1) < 1e-12 && fabs(c[2]) < 1e-6,
              "a double first eigenvalue: a unit vector of its plane "
              "(%g %g %g), %d passes", c[0], c[1], c[2], passes);
        free(x);
    }
    test_nearsel(&r, 5000, 100, 1e-12, 0, 0);
    test_nearsel(&r, 5000, 100, 1e-3, 0, 1);
    test_nearsel(&r, 3000, 300, 1e-4, 1, 1);  /* ties, windows overlapping */
    test_nearsel(&r, 200, 200, 0.1, 0, 0);    /* every row a rank */
    test_refine_keys(&r, 4000, 50, 97);
    test_single(&r);
    return check_status();
}

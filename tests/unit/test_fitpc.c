/* test_fitpc.c — the fast kernels of the closed-form fits against their
 * references: the first principal component of nn_pc (a covariance in
 * single precision, refined in double precision) against nn_pc_ref (the
 * double-precision covariance by loops, dsyevd): the same vector to about
 * 1e-12, hence the same order of the rows' projections; the Gram matrix of
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
            nn_pc_refine_add(p, m - r < blk ? m - r : blk, xd + r * n);
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
    test_single(&r);
    return check_status();
}

/* test_blas_blocks.c — the BLAS wrappers split row counts beyond what one
 * call takes (2^31 - 1: CBLAS counts in int) into blocks.  The limit is
 * lowered to a few rows here, so that the blocks, their offsets and the
 * beta of the first block only are checked against the reference loops
 * on small matrices. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>

extern size_t nn_blas_max_rows; /* lib/linalg/nn_linalg.c, for tests */

static void fill(nn_rng *r, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = nn_rng_normal(r);
}

int main(void)
{
    nn_rng r;
    nn_rng_seed(&r, 7);
    size_t m = 11, n = 5, k = 13;
    double a[13 * 11], b[13 * 5], c[11 * 5], c0[11 * 5], c2[11 * 5];
    float af[13 * 11], bf[13 * 5], cf[11 * 5];
    for (size_t lim = 1; lim <= 4; lim += 3) {
        nn_blas_max_rows = lim;
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                fill(&r, a, m * k);
                fill(&r, b, k * n);
                fill(&r, c0, m * n);
                for (size_t i = 0; i < m * n; i++)
                    c[i] = c2[i] = c0[i];
                nn_gemm_f64(ta, tb, m, n, k, 0.5, a, b, 2.0, c);
                nn_gemm_f64_ref(ta, tb, m, n, k, 0.5, a, b, 2.0, c2);
                double d = max_abs_diff(c, c2, m * n);
                CHECK(d < 1e-12, "dgemm ta=%d tb=%d in blocks of %zu rows "
                      "equals the loops (max diff %.2g)", ta, tb, lim, d);
                for (size_t i = 0; i < m * k; i++)
                    af[i] = (float)a[i];
                for (size_t i = 0; i < k * n; i++)
                    bf[i] = (float)b[i];
                for (size_t i = 0; i < m * n; i++)
                    cf[i] = (float)c0[i];
                nn_gemm_f32(ta, tb, m, n, k, 0.5f, af, bf, 2.0f, cf);
                for (size_t i = 0; i < m * n; i++)
                    c[i] = cf[i];
                d = max_abs_diff(c, c2, m * n);
                CHECK(d < 1e-4, "sgemm ta=%d tb=%d in blocks of %zu rows "
                      "equals the loops (max diff %.2g)", ta, tb, lim, d);
            }
        /* G += A^T A over the rows of A (k,m) in blocks */
        double g[11 * 11] = {0}, g2[11 * 11];
        fill(&r, a, k * m);
        nn_syrk_f64(k, m, a, g);
        nn_sym_fill(m, g);
        nn_gemm_f64_ref(1, 0, m, m, k, 1.0, a, a, 0.0, g2);
        double d = max_abs_diff(g, g2, m * m);
        CHECK(d < 1e-12, "dsyrk in blocks of %zu rows equals A^T A (max diff "
              "%.2g)", lim, d);
    }
    return check_status();
}

/* gemm_knn.c — the BLAS work of nn-kfilter's neighbour search alone: the
 * sgemm calls of the blocked distance computation (tiles of TILE x TILE
 * rows, each pair of row blocks once: the diagonal and the tiles above it,
 * as lib/linalg/nn_knn.c computes them) on data already in memory, with nothing
 * else.  Prints the seconds they take.  With "full" as a fourth argument,
 * every tile of the m x m matrix instead (what a search that does not use
 * the symmetry would pay).
 *
 *   gemm_knn ROWS COLS TILE [full]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: gemm_knn ROWS COLS TILE [full]\n");
        return 2;
    }
    long m = atol(argv[1]), d = atol(argv[2]), t = atol(argv[3]);
    int full = argc == 5 && strcmp(argv[4], "full") == 0;
    float *x = malloc(sizeof(float) * m * d);
    float *g = malloc(sizeof(float) * t * t);
    if (!x || !g)
        return 1;
    for (long i = 0; i < m * d; i++)
        x[i] = (float)(i % 13) / 13;
    double t0 = now();
    for (long i0 = 0; i0 < m; i0 += t) {
        int mi = (int)(m - i0 < t ? m - i0 : t);
        for (long j0 = full ? 0 : i0; j0 < m; j0 += t) {
            int mj = (int)(m - j0 < t ? m - j0 : t);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mi, mj,
                        (int)d, 1.0f, x + i0 * d, (int)d, x + j0 * d, (int)d,
                        0.0f, g, mj);
        }
    }
    printf("%.6f\n", now() - t0);
    free(x);
    free(g);
    return 0;
}

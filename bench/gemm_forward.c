/* gemm_forward.c — the BLAS work of nn-forward alone: the same sgemm calls
 * (one per layer per block of rows, the shapes nn-forward uses) on data
 * already in memory, with nothing else.  Prints the seconds they take.
 *
 *   gemm_forward ROWS BLOCK W0-W1-...-WL
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
    if (argc != 4) {
        fprintf(stderr, "usage: gemm_forward ROWS BLOCK W0-W1-...\n");
        return 2;
    }
    long rows = atol(argv[1]), block = atol(argv[2]);
    int w[64], n = 0, widest = 0;
    for (char *p = strtok(argv[3], "-"); p && n < 64; p = strtok(NULL, "-"))
        w[n++] = atoi(p);
    for (int i = 0; i < n; i++)
        widest = w[i] > widest ? w[i] : widest;
    float *a = malloc(sizeof(float) * block * widest);
    float *b = malloc(sizeof(float) * block * widest);
    float *W[64];
    for (int k = 0; k + 1 < n; k++) {
        W[k] = malloc(sizeof(float) * w[k] * w[k + 1]);
        for (long i = 0; i < (long)w[k] * w[k + 1]; i++)
            W[k][i] = (float)((i % 17) - 8) / 64;
    }
    for (long i = 0; i < block * widest; i++)
        a[i] = (float)(i % 13) / 13;
    double t0 = now();
    for (long r = 0; r < rows; r += block) {
        int m = (int)(rows - r < block ? rows - r : block);
        float *in = a, *out = b;
        for (int k = 0; k + 1 < n; k++) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, w[k + 1],
                        w[k], 1.0f, in, w[k], W[k], w[k + 1], 1.0f, out,
                        w[k + 1]);
            float *t = in;
            in = out;
            out = t;
        }
    }
    printf("%.6f\n", now() - t0);
    return 0;
}

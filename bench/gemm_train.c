/* gemm_train.c — the BLAS work of one nn-train epoch alone: for every
 * mini-batch the sgemm calls of the tape (lib/net/nn_backprop_t.h), with
 * the same shapes, on data already in memory and with nothing else: per
 * layer forward Z = [1 X] W (beta 1 onto the bias rows, which nn-train
 * copies in first and this leaves as they are), then from the top layer
 * down dW = X^T G (beta 0) and, for every layer but the first, dX = G W^T
 * (beta 0).  The batches are consecutive rows of a ROWS x W0 matrix (no
 * shuffle, no gather, no conversion), the last one short as nn-train's
 * is.  Prints the seconds of the epoch, then those of the forward, dW and
 * dX calls; on stderr OpenBLAS's configuration, kernel and threads.
 *
 *   gemm_train ROWS BATCH W0-W1-...-WL
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* OpenBLAS's own, not in every cblas.h */
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static float *filled(size_t n, int mod, float scale)
{
    float *a = malloc(sizeof(float) * (n ? n : 1));
    if (!a) {
        fprintf(stderr, "gemm_train: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        a[i] = (float)((long)(i % (size_t)mod) - mod / 2) * scale;
    return a;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gemm_train ROWS BATCH W0-W1-...-WL\n");
        return 2;
    }
    long rows = atol(argv[1]), batch = atol(argv[2]);
    int w[64], n = 0;
    for (char *p = strtok(argv[3], "-"); p && n < 64; p = strtok(NULL, "-"))
        w[n++] = atoi(p);
    if (rows < 1 || batch < 1 || n < 2) {
        fprintf(stderr, "gemm_train: bad arguments\n");
        return 2;
    }
    int widest = 0;
    for (int i = 0; i < n; i++)
        widest = w[i] > widest ? w[i] : widest;
    /* the data (rows, w0); per layer the weights W (w[k], w[k+1]) below
     * the bias row, the gradient dW, and the outputs z (batch, w[k+1]);
     * the gradients of the outputs and inputs, g and gx (batch, widest) */
    float *x = filled((size_t)rows * w[0], 13, 1.0f / 13);
    float *W[64], *dW[64], *z[64];
    for (int k = 0; k + 1 < n; k++) {
        W[k] = filled((size_t)w[k] * w[k + 1], 17, 1.0f / 64);
        dW[k] = filled((size_t)w[k] * w[k + 1], 3, 0);
        z[k] = filled((size_t)batch * w[k + 1], 11, 1.0f / 11);
    }
    float *g = filled((size_t)batch * widest, 7, 1.0f / 70);
    float *gx = filled((size_t)batch * widest, 7, 1.0f / 70);
    fprintf(stderr, "gemm_train: %s; kernel %s, %d threads\n",
            openblas_get_config(), openblas_get_corename(),
            openblas_get_num_threads());

    double fwd = 0, dw = 0, dx = 0, t0 = now(), t;
    for (long at = 0; at < rows; at += batch) {
        int m = (int)(rows - at < batch ? rows - at : batch);
        const float *in = x + (size_t)at * w[0];
        t = now();
        for (int k = 0; k + 1 < n; k++) { /* z = [1 in] W */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m,
                        w[k + 1], w[k], 1.0f, in, w[k], W[k], w[k + 1], 1.0f,
                        z[k], w[k + 1]);
            in = z[k];
        }
        fwd += now() - t;
        for (int k = n - 2; k >= 0; k--) {
            const float *xk = k ? z[k - 1] : x + (size_t)at * w[0];
            t = now(); /* dW (w[k], w[k+1]) = X^T G */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, w[k],
                        w[k + 1], m, 1.0f, xk, w[k], g, w[k + 1], 0.0f, dW[k],
                        w[k + 1]);
            dw += now() - t;
            if (k) { /* dX (m, w[k]) = G W^T */
                t = now();
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, w[k],
                            w[k + 1], 1.0f, g, w[k + 1], W[k], w[k + 1], 0.0f,
                            gx, w[k]);
                dx += now() - t;
                float *s = g;
                g = gx;
                gx = s;
            }
        }
    }
    printf("%.6f %.6f %.6f %.6f\n", now() - t0, fwd, dw, dx);
    return 0;
}

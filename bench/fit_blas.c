/* fit_blas.c — the BLAS/LAPACK work of a one-hidden-layer sorted-PCA fit
 * alone, on data already in memory: what `nn-fit-layer -m sorted-pca` and
 * the output fit cannot do with less.  Prints the seconds of each step and
 * their sum.
 *
 *   fit_blas ROWS INPUTS WIDTH CLASSES BLOCK
 *
 * Steps: the Gram matrix of [1 X Y] by dsyrk over f64 blocks of BLOCK rows;
 * the leading eigenvector of the covariance (dsyevd); the projections X c
 * (dgemv); the hidden layer Z = X W (sgemm); the Gram matrix of [1 Z Y]
 * (dsyrk); the ridge solve (dpotrf, dpotrs). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void dsyevd_(const char *, const char *, const int *, double *, const int *,
             double *, double *, const int *, int *, const int *, int *);
void dpotrf_(const char *, const int *, double *, const int *, int *);
void dpotrs_(const char *, const int *, const int *, const double *,
             const int *, double *, const int *, int *);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void gram(long m, int n, const float *x, int block, double *buf, double *g)
{
    for (long r = 0; r < m; r += block) {
        int b = (int)(m - r < block ? m - r : block);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < n; j++)
                buf[(long)i * n + j] = x[(r + i) * n + j];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, b, 1.0, buf, n,
                    1.0, g, n);
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: fit_blas ROWS INPUTS WIDTH CLASSES BLOCK\n");
        return 2;
    }
    long m = atol(argv[1]);
    int n = atoi(argv[2]), d = atoi(argv[3]), k = atoi(argv[4]), blk = atoi(argv[5]);
    int na = 1 + n + k, nz = 1 + d + k;
    float *x = malloc(sizeof(float) * m * na), *z = malloc(sizeof(float) * m * nz);
    float *w = malloc(sizeof(float) * n * d);
    double *buf = malloc(sizeof(double) * blk * (na > nz ? na : nz));
    double *g = calloc((size_t)na * na, sizeof(double)), *g2 = calloc((size_t)nz * nz, sizeof(double));
    double *v = malloc(sizeof(double) * m), *c = malloc(sizeof(double) * n);
    for (long i = 0; i < m * na; i++)
        x[i] = (float)((i * 7919 % 1000) / 1000.0);
    for (long i = 0; i < (long)n * d; i++)
        w[i] = (float)((i % 13) / 13.0);
    double t[6], t0 = now();
    gram(m, na, x, blk, buf, g);
    t[0] = now() - t0;
    t0 = now();
    int N = n, lwork = -1, liwork = -1, iw, info;
    double wq, *ev = malloc(sizeof(double) * n), *a = malloc(sizeof(double) * n * n);
    for (int i = 0; i < n; i++)
        memcpy(a + (long)i * n, g + (long)(1 + i) * na + 1, sizeof(double) * n);
    dsyevd_("V", "U", &N, a, &N, ev, &wq, &lwork, &iw, &liwork, &info);
    lwork = (int)wq;
    liwork = iw;
    double *work = malloc(sizeof(double) * lwork);
    int *iwork = malloc(sizeof(int) * liwork);
    dsyevd_("V", "U", &N, a, &N, ev, work, &lwork, iwork, &liwork, &info);
    memcpy(c, a + (long)(n - 1) * n, sizeof(double) * n);
    t[1] = now() - t0;
    t0 = now();
    for (long r = 0; r < m; r += blk) { /* f32 rows, f64 dot products */
        int b = (int)(m - r < blk ? m - r : blk);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < n; j++)
                buf[(long)i * n + j] = x[(r + i) * na + 1 + j];
        cblas_dgemv(CblasRowMajor, CblasNoTrans, b, n, 1.0, buf, n, c, 1, 0.0, v + r, 1);
    }
    t[2] = now() - t0;
    t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, d, n, 1.0f,
                x + 1, na, w, d, 0.0f, z + 1, nz);
    t[3] = now() - t0;
    t0 = now();
    gram(m, nz, z, blk, buf, g2);
    t[4] = now() - t0;
    t0 = now();
    int P = 1 + d, R = k;
    double *rhs = malloc(sizeof(double) * P * k), *A = malloc(sizeof(double) * P * P);
    for (int i = 0; i < P; i++) {
        memcpy(A + (long)i * P, g2 + (long)i * nz, sizeof(double) * P);
        A[(long)i * P + i] += 5e4;
        for (int j = 0; j < k; j++)
            rhs[(long)j * P + i] = g2[(long)i * nz + P + j];
    }
    dpotrf_("U", &P, A, &P, &info);
    dpotrs_("U", &P, &R, A, &P, rhs, &P, &info);
    t[5] = now() - t0;
    printf("gram_x %.4f eig %.4f project %.4f hidden %.4f gram_z %.4f solve %.4f total %.4f\n",
           t[0], t[1], t[2], t[3], t[4], t[5], t[0] + t[1] + t[2] + t[3] + t[4] + t[5]);
    return 0;
}

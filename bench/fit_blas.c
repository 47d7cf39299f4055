/* fit_blas.c — the BLAS/LAPACK work of a closed-form fit alone, on data
 * already in memory: what nn-fit-layer (and nn-forward between the
 * layers) cannot do with less.  Prints the seconds of each step and their
 * sum on one line.
 *
 *   fit_blas METHOD ROWS INPUTS WIDTH CLASSES
 *
 * METHOD, each followed by the forward pass through the layer (sgemm) and
 * the ridge output layer on it (the Gram matrix of [1 Z Y] by dsyrk over
 * f64 blocks, dpotrf/dpotrs):
 *   sorted-pca      the first principal component as nn_pc finds it: the
 *                   covariance in single precision (ssyrk over blocks of
 *                   1024 rows, summed in f64), its two largest eigenpairs
 *                   (dsyevr) and a Cholesky factor for the correction,
 *                   one refining product in f64 (two dgemv a block), whose
 *                   X c ranks the rows
 *   sorted-pca-f64  the Gram in double precision (dsyrk), as before nn_pc
 *                   (and as bench/fit_torch.py does), its eigenvectors,
 *                   the projections X c (dgemv)
 *   random          the Gram matrix of [1 X Y] (dsyrk), the ridge solve
 *                   for WIDTH targets (dgemm, dpotrf, dpotrs)
 *   platonic-pca    the same and the eigenvectors of the Gram (dsyevd)
 *   demo            the demo's 784-784-392-10 network (pipelines/demo.mk):
 *                   sorted-pca of WIDTH units, then platonic-pca of WIDTH/2
 *                   units on it (a decision layer for the weights, then
 *                   the Gram again), then the output layer */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void dsyevd_(const char *, const char *, const int *, double *, const int *,
             double *, double *, const int *, int *, const int *, int *);
void dpotrf_(const char *, const int *, double *, const int *, int *);
void dsyevr_(const char *, const char *, const char *, const int *, double *,
             const int *, const double *, const double *, const int *,
             const int *, const double *, int *, double *, double *,
             const int *, int *, double *, const int *, int *, const int *,
             int *);
void dpotrs_(const char *, const int *, const int *, const double *,
             const int *, double *, const int *, int *);

#define BLOCK 1024

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static char line[2048];
static double total, t0;
static void start(void) { t0 = now(); }
static void step(const char *name)
{
    double t = now() - t0;
    total += t;
    snprintf(line + strlen(line), sizeof line - strlen(line), "%s %.4f ",
             name, t);
}

/* the Gram (n,n) of the m rows of a (row stride lda, n columns) in f64
 * blocks (dsyrk) */
static void gram64(long m, int n, const float *a, int lda, double *g)
{
    double *buf = malloc(sizeof(double) * BLOCK * n);
    memset(g, 0, sizeof(double) * n * n);
    for (long r = 0; r < m; r += BLOCK) {
        int b = (int)(m - r < BLOCK ? m - r : BLOCK);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < n; j++)
                buf[(long)i * n + j] = a[(r + i) * lda + j];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, b, 1.0, buf, n,
                    1.0, g, n);
    }
    free(buf);
}

/* the same in single precision per block of rows, summed in f64 */
static void gram32(long m, int n, const float *a, int lda, double *g)
{
    float *buf = malloc(sizeof(float) * BLOCK * n), *g32 = malloc(sizeof(float) * n * n);
    memset(g, 0, sizeof(double) * n * n);
    for (long r = 0; r < m; r += BLOCK) {
        int b = (int)(m - r < BLOCK ? m - r : BLOCK);
        for (int i = 0; i < b; i++)
            memcpy(buf + (long)i * n, a + (r + i) * lda, sizeof(float) * n);
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, n, b, 1.0f, buf, n,
                    0.0f, g32, n);
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
                g[(long)i * n + j] += g32[(long)i * n + j];
    }
    free(buf);
    free(g32);
}

/* eigenvectors of g (n,n), destroyed */
static void eig(int n, double *g)
{
    int lwork = -1, liwork = -1, iw, info;
    double wq, *ev = malloc(sizeof(double) * n);
    dsyevd_("V", "U", &n, g, &n, ev, &wq, &lwork, &iw, &liwork, &info);
    lwork = (int)wq;
    liwork = iw;
    double *work = malloc(sizeof(double) * lwork);
    int *iwork = malloc(sizeof(int) * liwork);
    dsyevd_("V", "U", &n, g, &n, ev, work, &lwork, iwork, &liwork, &info);
    free(ev);
    free(work);
    free(iwork);
}

/* nn_pc's: the two largest eigenpairs (dsyevr), then the Cholesky factor
 * of theta I - C + gamma v v^T for the correction (g destroyed) */
static void top2_chol(int n, double *g)
{
    int lwork = -1, liwork = -1, iw, info, il = n - 1, iu = n, m, sup[4];
    double wq, vl = 0, vu = 0, tol = 0, ev[2];
    double *z = malloc(sizeof(double) * 2 * n), *a = malloc(sizeof(double) * n * n);
    memcpy(a, g, sizeof(double) * n * n);
    dsyevr_("V", "I", "U", &n, g, &n, &vl, &vu, &il, &iu, &tol, &m, ev, z, &n,
            sup, &wq, &lwork, &iw, &liwork, &info);
    lwork = (int)wq;
    liwork = iw;
    double *work = malloc(sizeof(double) * lwork);
    int *iwork = malloc(sizeof(int) * liwork);
    dsyevr_("V", "I", "U", &n, g, &n, &vl, &vu, &il, &iu, &tol, &m, ev, z, &n,
            sup, work, &lwork, iwork, &liwork, &info);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            a[i * n + j] = (i == j ? ev[1] * 1.001 : 0) - a[i * n + j] +
                           (ev[1] - ev[0]) * z[n + i] * z[n + j];
    dpotrf_("L", &n, a, &n, &info);
    free(z);
    free(a);
    free(work);
    free(iwork);
}

/* X c in f64 over blocks (f32 rows converted); with refine, also X^T (X c) */
static void project(long m, int n, const float *a, int lda, const double *c,
                    double *v, int refine)
{
    double *buf = malloc(sizeof(double) * BLOCK * n), *acc = calloc(n, sizeof(double));
    for (long r = 0; r < m; r += BLOCK) {
        int b = (int)(m - r < BLOCK ? m - r : BLOCK);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < n; j++)
                buf[(long)i * n + j] = a[(r + i) * lda + j];
        cblas_dgemv(CblasRowMajor, CblasNoTrans, b, n, 1.0, buf, n, c, 1, 0.0,
                    v + r, 1);
        if (refine)
            cblas_dgemv(CblasRowMajor, CblasTrans, b, n, 1.0, buf, n, v + r, 1,
                        1.0, acc, 1);
    }
    free(buf);
    free(acc);
}

/* the ridge solve of the p unknowns for nrhs targets from the Gram g (n,n)
 * of [1 Z Y] (p = 1+nz, n = p+k): rhs = the first p rows of g times a
 * projection (n,nrhs) (for the output layer, the Y columns), dpotrf,
 * dpotrs */
static void solve(int p, int n, const double *g, int nrhs, int output)
{
    double *A = malloc(sizeof(double) * p * p), *rhs = malloc(sizeof(double) * p * nrhs);
    for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++)
            A[(long)i * p + j] = i <= j ? g[(long)i * n + j] : g[(long)j * n + i];
        A[(long)i * p + i] += 5e4;
    }
    if (output) {
        for (int i = 0; i < p; i++)
            for (int j = 0; j < nrhs; j++)
                rhs[(long)j * p + i] = g[(long)i * n + p + j];
    } else {
        double *P = malloc(sizeof(double) * n * nrhs);
        for (long i = 0; i < (long)n * nrhs; i++)
            P[i] = (double)(i % 7) - 3;
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, nrhs, n, 1.0, g, n,
                    P, n, 0.0, rhs, p);
        free(P);
    }
    int info;
    dpotrf_("U", &p, A, &p, &info);
    dpotrs_("U", &p, &nrhs, A, &p, rhs, &p, &info);
    free(A);
    free(rhs);
}

/* a layer of width d on z (m, stride lz, nz columns, then k one-hot
 * columns at nz+...: [Z Y] as one block) to out (m, d + k): sgemm */
static void hidden(long m, int nz, const float *z, int lz, int d, const float *w,
                   float *out, int lo)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, d, nz, 1.0f,
                z, lz, w, d, 0.0f, out, lo);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: fit_blas METHOD ROWS INPUTS WIDTH CLASSES\n");
        return 2;
    }
    const char *method = argv[1];
    long m = atol(argv[2]);
    int n = atoi(argv[3]), d = atoi(argv[4]), k = atoi(argv[5]);
    int demo = !strcmp(method, "demo"), d2 = demo ? d / 2 : d;
    int wide = n > d ? n : d;
    /* x: [1 X Y] rows, z: [1 Z Y] rows (the widest layer) */
    int na = 1 + n + k, nz = 1 + wide + k;
    float *x = malloc(sizeof(float) * m * na), *z = malloc(sizeof(float) * m * nz);
    float *z2 = malloc(sizeof(float) * m * nz);
    float *w = malloc(sizeof(float) * (long)wide * wide);
    int nmax = nz > na ? nz : na;
    double *g = malloc(sizeof(double) * nmax * nmax);
    double *v = malloc(sizeof(double) * m), *c = malloc(sizeof(double) * n);
    for (long i = 0; i < m * na; i++)
        x[i] = (float)((i * 7919 % 1000) / 1000.0);
    for (long i = 0; i < (long)wide * wide; i++)
        w[i] = (float)((i % 13) / 13.0);
    for (long i = 0; i < m; i++) {
        z[i * nz] = z2[i * nz] = 1;
        for (int j = 0; j < k; j++)
            z[i * nz + 1 + wide + j] = z2[i * nz + 1 + wide + j] = j == i % k;
    }
    for (int j = 0; j < n; j++)
        c[j] = 1.0 / (1 + j);

    if (!strcmp(method, "sorted-pca") || !strcmp(method, "sorted-pca-f64") || demo) {
        start();
        if (!strcmp(method, "sorted-pca-f64"))
            gram64(m, n, x + 1, na, g);
        else
            gram32(m, n, x + 1, na, g);
        step("gram_x");
        start();
        if (strcmp(method, "sorted-pca-f64"))
            top2_chol(n, g);
        else
            eig(n, g);
        step("eig");
        if (strcmp(method, "sorted-pca-f64")) {
            /* the refining product gives the keys X c too */
            start();
            project(m, n, x + 1, na, c, v, 1);
            step("refine");
        } else {
            start();
            project(m, n, x + 1, na, c, v, 0);
            step("project");
        }
    } else if (!strcmp(method, "random") || !strcmp(method, "platonic-pca")) {
        start();
        gram64(m, na, x, na, g);
        step("gram_x");
        if (!strcmp(method, "platonic-pca")) {
            double *g2 = malloc(sizeof(double) * na * na);
            memcpy(g2, g, sizeof(double) * na * na);
            start();
            eig(na, g2);
            step("eig");
            free(g2);
        }
        start();
        solve(1 + n, na, g, d, 0);
        step("solve_x");
    } else {
        fprintf(stderr, "fit_blas: unknown method %s\n", method);
        return 2;
    }
    start();
    hidden(m, n, x + 1, na, d, w, z + 1, nz);
    step("hidden");
    int p = 1 + d;
    if (demo) { /* decision layer, weights, platonic-pca of d2 units on Z */
        start();
        gram64(m, p + k, z, nz, g);
        step("gram_z");
        start();
        solve(p, p + k, g, k, 1);
        step("solve_decision");
        start();
        gram64(m, p + k, z, nz, g);
        step("gram_z_weighted");
        double *g2 = malloc(sizeof(double) * (p + k) * (p + k));
        memcpy(g2, g, sizeof(double) * (p + k) * (p + k));
        start();
        eig(p + k, g2);
        step("eig_z");
        free(g2);
        start();
        solve(p, p + k, g, d2, 0);
        step("solve_z");
        start();
        hidden(m, d, z + 1, nz, d2, w, z2 + 1, nz);
        step("hidden2");
        /* the output's Gram is that of [1 Z2 Y] */
        memcpy(z, z2, sizeof(float) * m * nz);
        p = 1 + d2;
    }
    /* [1 Z Y] is contiguous only when Z fills the row: copy Y after Z */
    for (long i = 0; i < m; i++)
        for (int j = 0; j < k; j++)
            z[i * nz + p + j] = (float)(j == i % k);
    start();
    gram64(m, p + k, z, nz, g);
    step("gram_z");
    start();
    solve(p, p + k, g, k, 1);
    step("solve");
    printf("%stotal %.4f\n", line, total);
    return 0;
}

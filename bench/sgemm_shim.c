/* sgemm_shim.c — the time a program spends in cblas_sgemm, by
 * interposition: built as a shared object and preloaded, it times every
 * call to OpenBLAS's cblas_sgemm and prints, at exit, on stderr
 * "SHIM sgemm CALLS calls SECONDS s".  With nn-train it splits an epoch
 * into the sgemm calls of the tape and the rest; with gemm_train it
 * times the same calls alone.
 *
 *   cc -O2 -shared -fPIC -o sgemm_shim.so bench/sgemm_shim.c -ldl
 *   LD_PRELOAD=./sgemm_shim.so nn-train -e 3 -b 128 net.nns train.nns
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
                         const enum CBLAS_TRANSPOSE, const blasint,
                         const blasint, const blasint, const float,
                         const float *, const blasint, const float *,
                         const blasint, const float, float *, const blasint);

static double total;
static long calls;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

void cblas_sgemm(const enum CBLAS_ORDER o, const enum CBLAS_TRANSPOSE ta,
                 const enum CBLAS_TRANSPOSE tb, const blasint m,
                 const blasint n, const blasint k, const float alpha,
                 const float *a, const blasint lda, const float *b,
                 const blasint ldb, const float beta, float *c,
                 const blasint ldc)
{
    static sgemm_fn real;
    if (!real)
        real = (sgemm_fn)dlsym(RTLD_NEXT, "cblas_sgemm");
    double t = now();
    real(o, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    total += now() - t;
    calls++;
}

__attribute__((destructor)) static void report(void)
{
    fprintf(stderr, "SHIM sgemm %ld calls %.4f s\n", calls, total);
}

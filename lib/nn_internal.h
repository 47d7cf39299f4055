/* nn_internal.h — private to libnn: little-endian access, output
 * bookkeeping, shape checks of array files. */
#ifndef NN_INTERNAL_H
#define NN_INTERNAL_H

#include <stdint.h>
#include <string.h>

static const unsigned char nn_magic[4] = {0x89, 'N', 'N', 'S'};
#define NN_MAJOR 1
#define NN_MINOR 0

static inline uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}
static inline void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}
static inline void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}

/* Array files (nn_npy.c, nn_idx.c): -1 if the bytes of the non-zero
 * dimensions of a shape overflow 64 bits, so no file can hold it. */
static inline int nn_array_shape_check(int rank, const uint64_t *dims,
                                       size_t esize)
{
    uint64_t bytes = esize;
    for (int i = 0; i < rank; i++) {
        if (dims[i] && bytes > UINT64_MAX / dims[i])
            return -1;
        bytes *= dims[i] ? dims[i] : 1;
    }
    return 0;
}

/* Output bookkeeping (nn_output.c).  nn_exit_cleanup removes temporary
 * files not committed and repairs stdout; it runs at exit, on fatal
 * signals, and from nn_die. */
void nn_exit_cleanup(void);
/* Creates a temporary file beside path (beside the file a symbolic link
 * leads to), removed at exit unless committed; returns its descriptor and
 * sets *tmp (freed by commit or discard).  A path that names something
 * other than a regular file (a device, a FIFO, /dev/stdout) is opened for
 * writing through instead: *tmp is NULL, and commit and discard do
 * nothing. */
int nn_tmp_create(const char *path, char **tmp, nn_error *e);
int nn_tmp_commit(char *tmp, const char *path, nn_error *e);
void nn_tmp_discard(char *tmp);
/* Guards a descriptor written through: if the tool fails (nn_guard_fail,
 * or the process dies), a regular file is cut back to where the output
 * began, and anything else gets a lone record magic after the bytes that
 * went out when flushed is given and *flushed is non-zero (NNS streams).
 * Returns the offset output begins at in a regular file it can cut, else
 * -1. */
off_t nn_guard_output(int fd, const uint64_t *flushed);
void nn_guard_fail(int fd);
void nn_guard_release(int fd);

/* A progress line is on stderr without its newline (nn_progress.c). */
extern int nn_progress_open;

/* LAPACK's Fortran interface, as Debian's OpenBLAS ships it (no LAPACKE):
 * column-major, every argument by pointer. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
             const int *lda, double *b, const int *ldb, int *info);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt,
             const int *ldvt, double *work, const int *lwork, int *iwork,
             int *info);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
             const int *lda, double *w, double *work, const int *lwork,
             int *iwork, const int *liwork, int *info);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda,
             double *tau, double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a,
             const int *lda, const double *tau, double *work,
             const int *lwork, int *info);


/* Lets GCC vectorise a function's loops where -O2's cost model would not
 * (the result is the same: only element-wise, order-free loops get it). */
#if defined(__GNUC__) && !defined(__clang__)
#define NN_VECTORIZE \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define NN_VECTORIZE
#endif

static inline size_t nn_round8(size_t n) { return (n + 7) & ~(size_t)7; }

#endif

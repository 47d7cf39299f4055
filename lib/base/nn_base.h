/* nn_base.h — layer 0 of libnn: errors, allocation, dtypes, statistics,
 * random draws, text.  Depends on nothing else of the library.
 *
 * Conventions of the whole library: every function that can fail takes an
 * `nn_error *` last and returns 0 on success or -1 on failure with a
 * one-line message in the error (no trailing newline, no program name).
 * Nothing in the library prints, exits, parses options or installs signal
 * handlers; tools decide (tools/common/nn_tool.h).  Matrices are row-major
 * plain arrays with their shapes in comments: (m,n) is m rows of n
 * columns. */
#ifndef NN_BASE_H
#define NN_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NN_VERSION "0.1"

/* ------------------------------------------------- errors (nn_error.c) */

typedef struct nn_error {
    char msg[512];
} nn_error;

/* Formats a message into e (if e is non-NULL) and returns -1, so that
 * `return nn_fail(e, "...")` reads naturally.  A message already in e is
 * replaced. */
int nn_fail(nn_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes the message in e with "prefix: ", for adding context on the way up. */
int nn_error_wrap(nn_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------- dtypes (nn_dtype.c) */

typedef enum nn_dtype {
    NN_U8 = 1, NN_I8 = 2, NN_U16 = 3, NN_I16 = 4, NN_U32 = 5,
    NN_I32 = 6, NN_U64 = 7, NN_I64 = 8, NN_F32 = 9, NN_F64 = 10
} nn_dtype;

#define NN_DTYPE_MAX 10
/* The highest rank of a tensor, in a stream or an array file. */
#define NN_MAX_RANK 8

/* Size in bytes of one element, 0 for an invalid code. */
size_t nn_dtype_size(int dtype);
/* "u8", "f32", ...; "?" for an invalid code. */
const char *nn_dtype_name(int dtype);
/* Parses a dtype name; returns the code or 0 if unknown. */
int nn_dtype_parse(const char *name);
int nn_dtype_is_float(int dtype);

/* Converts n elements from src (dtype sd, host order) to dst (dtype dd).
 * Float to integer rounds to nearest and saturates; NaN becomes 0. */
void nn_convert(void *dst, int dd, const void *src, int sd, size_t n);
/* Element i of a host-order array of dtype, as a double (64-bit integers
 * rounded to nearest). */
double nn_elem_f64(const void *p, int dtype, size_t i);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NN_HOST_LE 0
#else
#define NN_HOST_LE 1
#endif
/* Reverses the bytes of each of n elements of size bytes, in place. */
void nn_bswap(void *p, size_t n, size_t size);


/* ------------------------------------------------- memory (nn_alloc.c) */

/* malloc of n*size with overflow and limit checks; message names `what`. */
void *nn_alloc(size_t n, size_t size, const char *what, nn_error *e);
/* Makes the buffer *buf of *cap bytes (NULL and 0 at first) hold at least
 * need bytes, doubling its size; 0, or -1 when out of memory (the buffer
 * is then as it was). */
int nn_buf_reserve(unsigned char **buf, size_t *cap, size_t need);
/* The same, keeping only the first keep bytes when it grows (the rest of
 * the old buffer is not copied). */
int nn_buf_grow(unsigned char **buf, size_t *cap, size_t keep, size_t need);

/* --------------------------------------------- statistics (nn_stats.c) */

/* Summary of a set of numbers: count, finite min/max, mean and variance
 * (Welford/Chan merging of blocks, so it is accurate for any mean), and the
 * NaN and infinity counts.  Non-finite values are left out of the moments. */
typedef struct nn_summary {
    uint64_t n;        /* finite values */
    uint64_t nan, inf;
    double min, max, mean, m2;
} nn_summary;

void nn_summary_init(nn_summary *s);
/* Adds n elements of dtype dt (host order). */
void nn_summary_add(nn_summary *s, const void *data, int dt, size_t n);
void nn_summary_merge(nn_summary *s, const nn_summary *t);
/* Population standard deviation. */
double nn_summary_std(const nn_summary *s);
/* The index of the first NaN or infinity among the n elements of dtype dt
 * (host order) at data, or n when all are finite (always, for an integer
 * dtype). */
size_t nn_nonfinite_find(const void *data, int dt, size_t n);
/* 0 when the m rows of cols values at data are finite, else -1 with e
 * "row R, column C of WHAT'NAME': V is not finite" for the first that is
 * not (R counted from row0; what is "" or the like of "the targets "). */
int nn_rows_check_finite(const void *data, int dt, size_t m, size_t cols,
                         uint64_t row0, const char *what, const char *name,
                         nn_error *e);

/* ------------------------------- random draws (nn_rng.c, nn_math.c) */

/* xoshiro256** seeded through splitmix64.  Every draw is computed with
 * integer arithmetic and correctly rounded IEEE operations only, so the same
 * seed gives the same numbers on every machine. */
typedef struct nn_rng {
    uint64_t s[4];
    double spare;      /* the polar method makes normals in pairs */
    int has_spare;
} nn_rng;

void nn_rng_seed(nn_rng *r, uint64_t seed);
uint64_t nn_rng_u64(nn_rng *r);
/* Uniform in [0, n), without modulo bias.  n > 0. */
uint64_t nn_rng_below(nn_rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double nn_rng_uniform(nn_rng *r);
/* Standard normal (Marsaglia's polar method). */
double nn_rng_normal(nn_rng *r);
/* Elementary functions that give the same bits on every machine (libm's
 * need not), for random draws and generated data: within 4 ulp of libm
 * (tests/unit/test_rng.c measures them).  nn_sin and nn_cos are meant for
 * |x| < 1e9. */
double nn_log(double x);
double nn_exp(double x);
double nn_sin(double x);
double nn_cos(double x);


/* ------------------------------------------------------------------ text
 * Numbers, names and shapes as text (nn_text.c); the clock (nn_clock.c). */

/* Parses numbers from option text, whole string or fail: "1e-3", "1/255". */
int nn_parse_double(const char *s, double *out);
int nn_parse_u64(const char *s, uint64_t *out);

/* Formats v in the fewest digits that read back as the same double
 * ("0.2", not "0.20000000000000001"); returns buf. */
const char *nn_fmt_double(char *buf, size_t cap, double v);

/* Returns seconds from a monotonic clock. */
double nn_now(void);

/* Formats "x: f32 (60000,784)" style shape text into buf. */
const char *nn_shape_str(char *buf, size_t cap, int rank, const uint64_t *dims);


/* Whether name matches one of the n fnmatch(3) patterns (none if n is 0). */
int nn_name_matches(const char *name, char *const *patterns, size_t n);
/* "28x28", "32x32x3": n dims joined by 'x', the form of the image
 * attribute (formats/nns.md) and of options such as --tile; returns buf. */
const char *nn_dims_format(char *buf, size_t cap, int n, const uint64_t *dims);
/* Parses such a text of 1..max numbers, each from 1 to limit, into dims;
 * returns how many, or 0 if s is not such a text. */
int nn_dims_parse(const char *s, int max, uint64_t limit, uint64_t *dims);


#endif

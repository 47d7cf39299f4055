/* nn.h — the one public header of libnn, the library behind the nn tools.
 *
 * Conventions: every function that can fail takes an `nn_error *` last and
 * returns 0 on success or -1 on failure with a one-line message in the error
 * (no trailing newline, no program name).  Nothing in the library prints or
 * exits; tools decide.  Matrices are row-major plain arrays with their shapes
 * in comments: (m,n) is m rows of n columns.
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NN_VERSION "0.1"

/* ------------------------------------------------------------------ errors */

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

/* ------------------------------------------------------------------ dtypes */

typedef enum nn_dtype {
    NN_U8 = 1, NN_I8 = 2, NN_U16 = 3, NN_I16 = 4, NN_U32 = 5,
    NN_I32 = 6, NN_U64 = 7, NN_I64 = 8, NN_F32 = 9, NN_F64 = 10
} nn_dtype;

#define NN_DTYPE_MAX 10

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

/* ----------------------------------------------------------- stream format */

#define NN_MAX_RANK 8
#define NN_NAME_MAX 255
#define NN_ATTRS_MAX 65536
#define NN_HEADER_MAX (1u << 20)
#define NN_FIXED_HEADER 48
/* Largest raw payload this implementation accepts in one record. */
#define NN_RECORD_MAX ((uint64_t)1 << 34)
/* Raw bytes per chunk that the project's writers aim for. */
#define NN_CHUNK_BYTES ((size_t)1 << 20)

#define NN_FLAG_ZSTD 0x1u
#define NN_FLAG_CONT 0x2u
#define NN_FLAGS_CRITICAL 0xffffu

/* One record as read.  All pointers are owned by the reader and stay valid
 * until the next nn_reader_next. */
typedef struct nn_record {
    char name[NN_NAME_MAX + 1];
    int dtype;
    int rank;
    uint64_t dims[NN_MAX_RANK];
    uint32_t flags;                 /* as stored, including ancillary bits */
    const char *attrs;              /* "k=v\n" lines, NUL-terminated */
    size_t attrs_len;
    uint64_t nelem;                 /* product of dims (1 for rank 0) */
    size_t nbytes;                  /* nelem * dtype size */
    void *data;                     /* elements, host byte order, verified */
    /* where it came from, for messages */
    uint64_t index;                 /* 0-based record number in its stream */
    uint64_t offset;                /* byte offset of the record */
    /* the record exactly as stored, for verbatim copies */
    const unsigned char *raw_header;
    size_t raw_header_len;
    const unsigned char *raw_payload;
    size_t raw_payload_len;
} nn_record;

/* Rows of a record: dims[0] (1 for rank 0), and bytes per row. */
uint64_t nn_record_rows(const nn_record *r);
size_t nn_record_row_bytes(const nn_record *r);

/* Whether n bytes are valid attributes ("key=value\n" lines, keys of
 * [A-Za-z0-9_.-], 1..64 long) or a valid record name (UTF-8, no control
 * characters, no '=', 1..255 bytes); formats/nns.md sections 3 and 6. */
int nn_attrs_valid(const char *a, size_t n);
int nn_name_valid(const char *s, size_t n);
/* Looks up attribute key in an attrs text; copies its value (NUL-terminated,
 * truncated to cap) into out and returns 1, or returns 0 if absent. */
int nn_attrs_get(const char *attrs, const char *key, char *out, size_t cap);
/* Returns a newly allocated attrs text with key set to value (replacing an
 * earlier value; value NULL removes the key), or NULL on allocation failure
 * or an invalid key/value. */
char *nn_attrs_set(const char *attrs, const char *key, const char *value);

/* Checks a shape before anything is allocated for it: the element count
 * must fit the per-record limit for elements of esize bytes, and so must
 * the product of the non-zero dimensions (which bounds loops over rows of
 * zero width).  Sets *nelem. */
int nn_shape_check(int rank, const uint64_t *dims, size_t esize,
                   uint64_t *nelem, nn_error *e);
/* Formats "x: f32 (60000,784)" style shape text into buf. */
const char *nn_shape_str(char *buf, size_t cap, int rank, const uint64_t *dims);

typedef struct nn_reader nn_reader;

/* Opens path for reading ("-" or NULL: stdin).  The name is used in messages. */
nn_reader *nn_reader_open(const char *path, nn_error *e);
/* Wraps an open FILE (not closed by nn_reader_close). */
nn_reader *nn_reader_from_file(FILE *f, const char *name, nn_error *e);
/* Reads, validates and verifies the next record.  Returns 1 with *rec set,
 * 0 at a clean end of stream, -1 on error (truncation, bad magic, hash...). */
int nn_reader_next(nn_reader *r, const nn_record **rec, nn_error *e);
/* Like nn_reader_next but leaves the record's payload undecoded: rec->data is
 * NULL, the stored payload is still read and its hash verified.  For tools
 * that only copy or list records. */
int nn_reader_next_raw(nn_reader *r, const nn_record **rec, nn_error *e);
/* Reads and validates the next header and moves past the payload without
 * keeping it: rec->data and rec->raw_payload are NULL.  In a regular file
 * this is a seek (the payload hash is not checked, but a payload beyond the
 * end of the file is); elsewhere the payload is read and its hash checked.
 * For a quick look at a stream before any output is written. */
int nn_reader_next_header(nn_reader *r, const nn_record **rec, nn_error *e);
/* Decodes rec, the record last returned by r through nn_reader_next_raw,
 * so that rec->data holds its elements. */
int nn_reader_decode(nn_reader *r, const nn_record *rec, nn_error *e);
/* Hands out the elements of rec (the record last read, through
 * nn_reader_next_raw) in order, in pieces of at most max bytes (a whole
 * number of elements; give a whole number of rows to get rows): sets *data
 * and *n and returns 1, or 0 when all were handed out.  A compressed record
 * is decoded piece by piece, so that any record costs max bytes of memory,
 * whatever its size; a piece is valid until the next call. */
int nn_reader_piece(nn_reader *r, const nn_record *rec, size_t max,
                    const void **data, size_t *n, nn_error *e);
/* The most nn_reader_decode (and nn_reader_next) decompresses of one
 * record: by default NN_DECODE_MAX; a larger compressed record is an error
 * (a stored one is in memory already).  Tools that need whole records of a kind (network layers) may
 * raise it. */
#define NN_DECODE_MAX ((uint64_t)1 << 30)
void nn_reader_set_max_decode(nn_reader *r, uint64_t bytes);
/* A record's rows in order, read piece by piece through nn_reader_piece:
 * stored rows in place, compressed ones decoded a whole number of rows
 * near NN_CHUNK_BYTES at a time, so that a record of any size costs one
 * piece.  rec is the record last read, raw. */
typedef struct nn_row_cursor {
    nn_reader *rd;
    const nn_record *r;
    size_t rb;                  /* bytes per row */
    uint64_t row;               /* the next row */
    const unsigned char *p;     /* where it is, in the current piece */
    uint64_t left;              /* rows from it to the end of the piece */
} nn_row_cursor;
void nn_row_cursor_init(nn_row_cursor *c, nn_reader *rd, const nn_record *rec);
/* Sets *avail to the rows that can be taken at once (decoding the next
 * piece when the last is used up); 0 at the end of the record. */
int nn_row_cursor_ready(nn_row_cursor *c, uint64_t *avail, nn_error *e);
/* The next rows, up to want (1 or more) of them: *got rows at the address
 * returned (NULL on error, or past the end), valid until the next call. */
const unsigned char *nn_row_cursor_take(nn_row_cursor *c, uint64_t want,
                                        uint64_t *got, nn_error *e);
/* Opens path for reading more than once: a regular file as is, anything
 * else (a pipe) copied first to an unlinked temporary file in $TMPDIR,
 * record by record, each checked as it passes (so that what is not a
 * stream fails at its first bytes, not after filling the disk). */
nn_reader *nn_reader_open_seekable(const char *path, nn_error *e);
/* Goes back to the start of the stream, for another pass. */
int nn_reader_rewind(nn_reader *r, nn_error *e);
/* Goes to the record that starts offset bytes into the stream and is its
 * record number index (as a first pass noted them), so that messages give
 * both right.  Only for a reader whose stream can be read again (a regular
 * file, or nn_reader_open_seekable). */
int nn_reader_seek(nn_reader *r, uint64_t offset, uint64_t index,
                   nn_error *e);
/* Undoes the last nn_reader_next: the same record is returned again. */
void nn_reader_unread(nn_reader *r);
const char *nn_reader_name(const nn_reader *r);
/* Bytes consumed so far. */
uint64_t nn_reader_offset(const nn_reader *r);
void nn_reader_close(nn_reader *r);

/* Where a record sits in its tensor. */
typedef struct nn_row_pos {
    int first;          /* the record starts a tensor */
    uint64_t tensor;    /* the tensor's number in the stream, from 0 (every
                         * record without CONT starts one) */
    uint64_t row;       /* rows of the tensor before this record */
} nn_row_pos;

/* Tracks the tensors (first record + CONT chunks) of a stream, so that a
 * reader can check CONT records and follow each tensor's rows.  Feed every
 * record in order. */
typedef struct nn_tensor_tracker nn_tensor_tracker;
nn_tensor_tracker *nn_tensor_tracker_new(void);
/* Returns 0 and fills *pos, or -1 if a CONT record matches no open tensor
 * or disagrees with it in dtype or inner dimensions.  A record without CONT
 * restarts its name at row 0. */
int nn_tensor_track(nn_tensor_tracker *t, const nn_record *r, nn_row_pos *pos,
                    nn_error *e);
void nn_tensor_tracker_free(nn_tensor_tracker *t);
/* nn_reader_next (raw 0) or nn_reader_next_raw (raw 1), and where the
 * record stands among its tensor's rows (the reader tracks the tensors;
 * rewinding or seeking starts afresh).  A CONT record that continues no
 * tensor is an error naming the stream. */
int nn_reader_next_at(nn_reader *r, const nn_record **rec, nn_row_pos *pos,
                      int raw, nn_error *e);

/* What a writer needs to know about a record it is about to write. */
typedef struct nn_header {
    const char *name;
    int dtype;
    int rank;
    uint64_t dims[NN_MAX_RANK];
    uint32_t flags;                 /* NN_FLAG_CONT, ancillary bits */
    const char *attrs;              /* may be NULL */
} nn_header;

typedef struct nn_writer nn_writer;

/* Opens path for writing ("-" or NULL: stdout).  A file is written under a
 * temporary name in the same directory and renamed by nn_writer_close(w, 1).
 * Refuses to write to a terminal unless force is set. */
nn_writer *nn_writer_open(const char *path, int force, nn_error *e);
/* zstd level for later records: 0 = store uncompressed (the default). */
void nn_writer_set_compression(nn_writer *w, int level);
/* Writes one record; data holds nelem elements of h->dtype in host order. */
int nn_writer_put(nn_writer *w, const nn_header *h, const void *data,
                  nn_error *e);
/* Writes a record read from a stream exactly as stored. */
int nn_writer_copy(nn_writer *w, const nn_record *r, nn_error *e);
/* Writes a record with a new header (name, attrs, CONT flag, first dim) but
 * its stored payload unchanged; dims must describe the same bytes. */
int nn_writer_copy_as(nn_writer *w, const nn_record *r, const nn_header *h,
                      nn_error *e);
/* Writes a block of rows of tensor `name`: the first block of a name in this
 * writer starts a tensor, later ones are CONT chunks, until
 * nn_writer_end_tensor(name).  h->flags' CONT bit is ignored. */
int nn_writer_rows(nn_writer *w, const nn_header *h, const void *data,
                   nn_error *e);
void nn_writer_end_tensor(nn_writer *w, const char *name);
/* Bytes written so far. */
uint64_t nn_writer_offset(const nn_writer *w);
/* ok=1: flush, check for write errors, rename a temporary file into place.
 * ok=0: discard (a temporary file is removed).  Frees w.  Returns -1 if
 * ok was 1 and anything failed. */
int nn_writer_close(nn_writer *w, int ok, nn_error *e);

/* An output in another format (npy, CSV, PNG): write to f.  A file is
 * written under a temporary name and renamed by nn_output_close(o, 1); if
 * the tool fails first it is removed, and a regular file on stdout is cut
 * back to where the tool began.  binary: refuse a terminal. */
typedef struct nn_output {
    FILE *f;
    int seekable;       /* a regular file the tool may seek in */
    int64_t start;      /* offset in it where this tool's output begins */
} nn_output;
nn_output *nn_output_open(const char *path, int binary, nn_error *e);
const char *nn_output_name(const nn_output *o);
/* ok=1: flush and commit; ok=0: discard.  Frees o. */
int nn_output_close(nn_output *o, int ok, nn_error *e);

/* Rows per chunk for rows of row_bytes bytes, near NN_CHUNK_BYTES. */
size_t nn_chunk_rows(size_t row_bytes);

/* Checks stdout for write errors and closes it; for tools that print text. */
int nn_stdout_close(nn_error *e);

/* ------------------------------------------------------------------ memory */

/* malloc of n*size with overflow and limit checks; message names `what`. */
void *nn_alloc(size_t n, size_t size, const char *what, nn_error *e);
/* Makes the buffer *buf of *cap bytes (NULL and 0 at first) hold at least
 * need bytes, doubling its size; 0, or -1 when out of memory (the buffer
 * is then as it was). */
int nn_buf_reserve(unsigned char **buf, size_t *cap, size_t need);

/* -------------------------------------------------------------- statistics */

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

/* ------------------------------------------------------------ random draws */

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

/* ------------------------------------------------------- linear algebra */

/* C (m,n) = alpha * op(A) op(B) + beta * C, row-major, single precision.
 * op(A) is (m,k): A is (m,k), or (k,m) when ta.  op(B) is (k,n). */
void nn_gemm_f32(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                 const float *a, const float *b, float beta, float *c);
void nn_gemm_f64(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
                 const double *a, const double *b, double beta, double *c);
/* Reference loops for the same, for tests. */
void nn_gemm_f64_ref(int ta, int tb, size_t m, size_t n, size_t k,
                     double alpha, const double *a, const double *b,
                     double beta, double *c);
/* G (n,n) += A^T A for A (m,n); only the upper triangle of G is updated
 * (nn_sym_fill copies it down). */
void nn_syrk_f64(size_t m, size_t n, const double *a, double *g);
void nn_sym_fill(size_t n, double *g);
/* Solves A X = B for symmetric positive definite A (n,n), B (n,nrhs), by
 * Cholesky (LAPACK dpotrf/dpotrs).  A and B are overwritten (B by X).
 * Fails with a message if A is not positive definite. */
int nn_chol_solve(size_t n, size_t nrhs, double *a, double *b, nn_error *e);
/* Singular values s (min(m,n)) and, if u/vt non-NULL, the thin factors
 * U (m,k) and Vt (k,n), k = min(m,n), of A (m,n) (LAPACK dgesdd).
 * A is destroyed. */
int nn_svd(size_t m, size_t n, double *a, double *s, double *u, double *vt,
           nn_error *e);
/* Eigenvalues w (ascending) and, if v non-NULL, eigenvectors as the rows of
 * v (n,n) of symmetric A (n,n) (LAPACK dsyevd).  A is destroyed. */
int nn_eigh(size_t n, double *a, double *w, double *v, nn_error *e);
/* Q (m,n) with orthonormal columns from A (m,n), m >= n, by Householder QR,
 * with each column multiplied by the sign of R's diagonal, so that Q of a
 * Gaussian A is Haar-distributed.  A is overwritten by Q. */
int nn_qr_q(size_t m, size_t n, double *a, nn_error *e);

/* ---------------------------------------------------------------- progress */

/* A one-line progress report on stderr, redrawn at most 4 times a second,
 * shown only when stderr is a terminal or when forced (--progress). */
typedef struct nn_progress {
    const char *prog;
    int enabled;
    double last;
    double start;
    int drawn;
    uint64_t done, total;   /* the latest update, redrawn at the end */
    const char *unit;
} nn_progress;

void nn_progress_init(nn_progress *p, const char *prog, int force);
/* done/total in the unit named; total 0 if unknown. */
void nn_progress_update(nn_progress *p, uint64_t done, uint64_t total,
                        const char *unit);
void nn_progress_end(nn_progress *p);

/* ------------------------------------------------------------- tool helpers */

/* Shared behaviour of every tool's main(): program name for messages. */
extern const char *nn_prog;
/* Sets nn_prog and leaves getopt's messages to nn_bad_option. */
void nn_tool_init(const char *prog);
/* The last entries of every tool's long-option table: --help and
 * --version (whose getopt value the tool chooses). */
/* -o FILE and -z[LEVEL], as every tool that writes a stream spells them */
#define NN_LONGOPTS_OUTPUT                                                     \
    {"output", required_argument, 0, 'o'}, {"zstd", optional_argument, 0, 'z'}
#define NN_LONGOPTS_END(version)                                               \
    {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, (version)},    \
        {0, 0, 0, 0}
/* The default case of every tool's option switch: -h prints usage to
 * stdout and exits 0, the version value prints the version, anything else
 * is a usage error (nn_bad_option). */
void nn_tool_option(int c, char **argv, const char *usage, int version)
    __attribute__((noreturn));
/* The usage error for the option getopt_long just refused, c being what it
 * returned (tools give getopt an option string starting with ':', so that
 * ':' means a missing argument and '?' an unknown option): one line naming
 * it, then the "Try --help" line; exits 2. */
void nn_bad_option(int c, char **argv) __attribute__((noreturn));
/* Prints "prog: message" to stderr. */
void nn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "prog: message" and exits 1 (data/runtime error). */
void nn_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Prints "prog: message" then "Try 'prog --help'." and exits 2. */
void nn_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Prints "prog (nn tools) VERSION" and exits 0. */
void nn_print_version(void) __attribute__((noreturn));

/* Parses numbers from option text, whole string or fail: "1e-3", "1/255". */
int nn_parse_double(const char *s, double *out);
int nn_parse_u64(const char *s, uint64_t *out);
/* The argument of -z/--zstd[=LEVEL]: 3 when absent, else 1..22; anything
 * else is a usage error (exits 2). */
int nn_zstd_level_arg(const char *arg);
/* The argument of -t/--dtype where a tool computes in f32 or f64: NN_F32
 * or NN_F64; anything else is a usage error. */
int nn_float_dtype_arg(const char *arg);
/* Prints s to stdout as a JSON string, quoted and escaped. */
void nn_json_string(const char *s);

/* Formats v in the fewest digits that read back as the same double
 * ("0.2", not "0.20000000000000001"); returns buf. */
const char *nn_fmt_double(char *buf, size_t cap, double v);

/* Returns seconds from a monotonic clock. */
double nn_now(void);

/* -------------------------------------------------------------------- rows
 * For the tools that pick, slice, join and split rows (lib/nn_rows.c). */

/* The rows start, start+step, ... below stop (exclusive) of a tensor. */
typedef struct nn_range {
    uint64_t start, stop, step;     /* step >= 1; stop UINT64_MAX: the end */
} nn_range;

/* Parses "START:STOP[:STEP]" as Python does (START defaults to 0, STOP to
 * the end, STEP to 1); a lone "I" is I:I+1.  Negative numbers are refused. */
int nn_range_parse(const char *s, nn_range *rg, nn_error *e);
/* How many rows of rg lie in [row, row+n); *first is the offset from row
 * of the first of them (0 if none). */
uint64_t nn_range_within(const nn_range *rg, uint64_t row, uint64_t n,
                         uint64_t *first);


/* h describes r: name, dtype, dims, attrs, flags without ZSTD.  h points
 * into r. */
void nn_header_from_record(nn_header *h, const nn_record *r);

/* How a row tool stores what it writes. */
#define NN_STORE_KEEP 0     /* records copied whole keep their stored form;
                             * records written anew are compressed (level 3)
                             * when their source was */
#define NN_STORE_RAW (-1)   /* everything uncompressed */
                            /* 1..22: everything compressed at that level */

/* A writer with a storage policy and scratch space.  Set w and store; the
 * rest starts zeroed and is freed by nn_row_sink_free. */
typedef struct nn_row_sink {
    nn_writer *w;
    int store;
    unsigned char *scratch;
    size_t scratch_cap;
} nn_row_sink;

/* Writes rows first, first+step, ... (count of them) of record r, read
 * from rd, as one record with header h (whose dims[0] is replaced by
 * count).  A record kept whole is copied byte for byte when h describes it
 * unchanged, or with h and its stored payload (nn_writer_copy_as), unless
 * the policy needs it recompressed; otherwise r is decoded (through rd)
 * and its rows written anew.  Rank 0: first 0, count 1.  Sets the writer's
 * compression level. */
int nn_row_sink_record(nn_row_sink *s, nn_reader *rd, const nn_record *r,
                       const nn_header *h, uint64_t first, uint64_t count,
                       uint64_t step, nn_error *e);
/* nn_writer_put under the policy; from_zstd: the rows came from a
 * compressed record.  data may be NULL for no elements. */
int nn_row_sink_put(nn_row_sink *s, const nn_header *h, const void *data,
                    int from_zstd, nn_error *e);
void nn_row_sink_free(nn_row_sink *s);
/* For the row tools: opens path and reads its first record before any
 * output is made (so an input that is no stream leaves stdout empty); the
 * next read gives that record again.  Dies with the message on error. */
nn_reader *nn_reader_open_first(const char *path);
/* Opens s on out (NULL: stdout) with the storage policy; dies on error. */
void nn_row_sink_open(nn_row_sink *s, const char *out, int store);
/* Frees s; then dies with e's message if rc < 0, else closes the output
 * (dying if that fails). */
void nn_row_sink_finish(nn_row_sink *s, int rc, nn_error *e);

/* Whether f is a regular file (so it can be scanned, or read twice). */
int nn_file_is_regular(FILE *f);
/* Reads the headers of the records of the regular file f from its current
 * position, seeking past the payloads, and calls fn for each: r has no
 * data or raw bytes, r->attrs is valid during the call.  Checks every
 * header as nn_reader_next does, and that the file holds every payload,
 * but not the payload checksums: a quick look for errors before any output
 * is written.  Leaves f where it was.  Stops at the first error, or when
 * fn returns -1 (fn sets the message). */
typedef int (*nn_scan_fn)(const nn_record *r, void *arg, nn_error *e);
int nn_stream_scan(FILE *f, const char *name, nn_scan_fn fn, void *arg,
                   nn_error *e);


/* ---------------------------------------------------------------- networks
 * A network is a stream of layers (formats/nns.md, section "Networks"):
 * each layer is a record "w" (1+n_in, n_out), f32 or f64, whose first row
 * is the bias and whose attributes name the activation, optionally
 * followed by a record "mask" (u8, the shape of w) and, for polynomial
 * units, a record "coef" (n_out, degree+1).  `cat a.nns b.nns` of two
 * networks whose widths match is the composed network. */

typedef enum nn_act_kind {
    NN_ACT_IDENTITY, NN_ACT_RELU, NN_ACT_TANH, NN_ACT_SIGMOID, NN_ACT_CELU,
    NN_ACT_SOFTMAX, NN_ACT_EXP, NN_ACT_POW3, NN_ACT_LEGENDRE,
    NN_ACT_CHEBYSHEV, NN_ACT_LAGUERRE, NN_ACT_HERMITE
} nn_act_kind;

/* An activation and its parameters: celu alpha (1); the output heads
 * exp, y = alpha e^x (alpha 0.1), and pow3, y = alpha x^3 + beta (alpha
 * 0.001, beta 0.4); polynomial units of a degree, whose output is
 * sum_i coef[i] phi_i(x) over the basis phi_0..phi_degree. */
typedef struct nn_act {
    int kind;
    double alpha, beta;
    int degree;
} nn_act;

/* Parses "relu", "celu:0.5", "legendre:4", "exp:0.1", "pow3:0.001:0.4";
 * parameters left out take their defaults. */
int nn_act_parse(const char *s, nn_act *a, nn_error *e);
/* The activation of a weight record's attributes: activation=NAME, with
 * alpha, beta or degree where the kind takes them (defaults otherwise);
 * identity when there is no activation key. */
int nn_act_from_attrs(const char *attrs, nn_act *a, nn_error *e);
/* attrs with the activation keys set from a and stale ones removed, the
 * others kept; newly allocated, NULL when out of memory. */
char *nn_act_to_attrs(const nn_act *a, const char *attrs);
/* The activation's name ("relu", ...). */
const char *nn_act_name(int kind);
int nn_act_is_poly(int kind);
/* Applies a to z (m,n) in place; coef (n, degree+1) for polynomial units
 * (NULL otherwise).  Softmax works on each row. */
void nn_act_apply_f32(const nn_act *a, const double *coef, size_t m,
                      size_t n, float *z);
void nn_act_apply_f64(const nn_act *a, const double *coef, size_t m,
                      size_t n, double *z);
/* The basis phi_0..phi_degree of a polynomial kind at x, by the three-term
 * recurrence, into phi (degree+1). */
void nn_poly_basis(int kind, int degree, double x, double *phi);

typedef struct nn_layer {
    size_t n_in, n_out;
    int dtype;              /* of the weights as stored, f32 or f64 */
    double *w;              /* (1+n_in, n_out), row 0 the bias; masked */
    unsigned char *mask;    /* (1+n_in, n_out) of 0/1, or NULL */
    double *coef;           /* (n_out, degree+1) for polynomial units */
    nn_act act;
    char *attrs;            /* of the "w" record, with the activation keys */
    float *wf;              /* w in single precision, made on demand */
} nn_layer;

typedef struct nn_net {
    nn_layer *layers;
    size_t n;
} nn_net;

/* Reads every record of r as layers (chunks joined); fails on a record
 * that is not part of a layer, on shapes that do not chain, on a mask
 * that is not 0/1 or coefficients of the wrong shape. */
int nn_net_read(nn_reader *r, nn_net *net, nn_error *e);
/* Opens path and reads it whole. */
int nn_net_load(const char *path, nn_net *net, nn_error *e);
/* Writes layer l: "w" in dtype (f32/f64) with l->attrs, then "mask" and
 * "coef" if present. */
int nn_layer_write(nn_writer *w, const nn_layer *l, int dtype, nn_error *e);
/* Applies the mask to the weights (w <- w * mask). */
void nn_layer_apply_mask(nn_layer *l);
void nn_net_free(nn_net *net);

/* Initial weights (lib/nn_init.c).  Schemes: */
enum {
    NN_INIT_HE_NORMAL, NN_INIT_HE_UNIFORM, NN_INIT_GLOROT_NORMAL,
    NN_INIT_GLOROT_UNIFORM, NN_INIT_NORMAL, NN_INIT_UNIFORM,
    NN_INIT_ORTHOGONAL, NN_INIT_BANDLIMITED, NN_INIT_SPHERE, NN_INIT_ZEROS
};
/* The scheme of a name ("he-normal", ...), or -1. */
int nn_init_scheme_parse(const char *name);
const char *nn_init_scheme_name(int scheme);
/* Fills l->w ((1+n_in, n_out), allocated here) by the scheme, scaled by
 * gain; biases zero except for bandlimited, whose (bias, weights) of each
 * unit are uniform in the box [-gain, gain] or, with ball, in the ball of
 * radius gain.  Draws from g in a fixed order: the weights row by row,
 * then the biases (ball: unit by unit, the direction then the radius). */
int nn_init_weights(nn_layer *l, int scheme, double gain, int ball,
                    nn_rng *g, nn_error *e);
/* Draws l->mask: weight entries 0 with probability rho, the bias row all
 * 1, redrawing any column that is all zero or repeats an earlier one, so
 * the columns are non-zero and pairwise distinct.  Fails when n_out such
 * columns cannot exist or cannot be found. */
int nn_init_mask(nn_layer *l, double rho, nn_rng *g, nn_error *e);

/* Runs layer l on m rows: out (m,n_out) = act([1 in] W), in (m,n_in).
 * Single precision through sgemm, double through dgemm. */
int nn_layer_forward_f32(nn_layer *l, size_t m, const float *in, float *out,
                         nn_error *e);
void nn_layer_forward_f64(const nn_layer *l, size_t m, const double *in,
                          double *out);

/* ------------------------------------------------------ Gram accumulation */

/* The augmented Gram matrix G = A^T A of A = [1 Z Y] over a stream of row
 * blocks, in double precision (dsyrk), where Z (m,nz) is a representation
 * and Y (m,ny) the targets: every least-squares quantity of a linear map
 * from [1 Z] to Y or to any linear mixture of [Z Y] follows from it, and
 * Gram matrices of disjoint row blocks add. */
typedef struct nn_gram {
    size_t nz, ny, n;       /* n = 1 + nz + ny */
    uint64_t rows;
    double *g;              /* (n,n), upper triangle accumulated */
    double *block;          /* row block of A being assembled */
    size_t block_rows, block_cap;
} nn_gram;

/* Fails (and g holds nothing) when 1+nz+ny or its square overflows, or
 * memory runs out. */
int nn_gram_init(nn_gram *g, size_t nz, size_t ny, nn_error *e);
/* Adds m rows: z (m,nz) and y (m,ny), each of its dtype (y may be NULL
 * when ny is 0). */
int nn_gram_add(nn_gram *g, size_t m, const void *z, int zdt, const void *y,
                int ydt, nn_error *e);
/* Folds the pending block into g and fills the lower triangle. */
void nn_gram_finish(nn_gram *g);
/* The least-squares distance of the representation to the targets,
 * LSD = (1/m) ||Y - Z1 Z1^+ Y||_F^2 with Z1 = [1 Z]: the mean squared
 * residual of the best linear map.  The pseudoinverse drops singular
 * directions of Z1^T Z1 below rtol times the largest (0: machine
 * precision times its size). */
int nn_gram_lsd(const nn_gram *g, double rtol, double *lsd, nn_error *e);
void nn_gram_free(nn_gram *g);

/* ----------------------------------------------------- streaming QR (TSQR)
 * The triangular factor R of A = [1 Z Y] over a stream of row blocks, in
 * double precision: R <- qr([R; block]) (LAPACK dgeqrf), Q never formed.
 * R^T R is the Gram matrix, but R holds Z's singular values themselves, to
 * full precision, where the Gram holds their squares (lib/nn_tsqr.c). */
typedef struct nn_tsqr {
    size_t nz, ny, n;       /* n = 1 + nz + ny */
    uint64_t rows;
    double *r;              /* (n,n) row-major, upper triangular (finished) */
    double *buf;            /* column-major [R; rows]: n + cap rows */
    double *tau, *work;
    size_t cap, pending;
    int lwork;
} nn_tsqr;

/* Fails when 1+nz+ny columns are too many for LAPACK's int counts or for
 * memory. */
int nn_tsqr_init(nn_tsqr *q, size_t nz, size_t ny, nn_error *e);
/* Adds m rows: z (m,nz) and y (m,ny) in double precision. */
int nn_tsqr_add(nn_tsqr *q, size_t m, const double *z, const double *y,
                nn_error *e);
/* Folds the pending rows in and fills q->r. */
int nn_tsqr_finish(nn_tsqr *q, nn_error *e);
void nn_tsqr_free(nn_tsqr *q);

/* ----------------------------------------------------------------- row sets
 * The same rows of several tensors of one stream, block by block
 * (lib/nn_rowset.c): x and y of a data set, or z1..zL and y after
 * nn-forward --all.  All tensors of one name form one sequence of rows, so
 * `cat a b` of two data sets is one longer data set.  The chunks of the
 * tensors may have any sizes and come in any order: rows of a tensor that
 * is ahead are held (copied) until the others catch up, up to a limit; in a
 * stream whose tensors alternate chunk by chunk that is about one chunk per
 * tensor, and the rows of the record just read are handed out in place. */

#define NN_ROWSET_MAX 64                        /* tensors in one set */
#define NN_ROWSET_LIMIT ((size_t)1 << 30)       /* held bytes, default */

typedef struct nn_rowset nn_rowset;

/* Follows the tensors named names[0..n-1] (n >= 0; repeats count once) in
 * r, which stays the caller's.  Each must appear. */
nn_rowset *nn_rowset_open(nn_reader *r, int n, const char *const *names,
                          nn_error *e);
/* Also follows tensor `name` if it appears (glob 0), or every tensor of
 * rank >= 1 whose name matches the fnmatch(3) pattern (glob 1), found in
 * the stream's first round: once every tensor named at open has appeared
 * and some followed name has had a second record, no tensor joins (later
 * ones are "other" records).  Before the first nn_rowset_next only. */
int nn_rowset_add(nn_rowset *s, const char *name, int glob, nn_error *e);
/* Records of names not followed go to fn, in stream order, as read by
 * nn_reader_next_raw (stored payload for nn_writer_copy; data NULL until
 * nn_reader_decode), valid during the call; fn returns 0 or -1 with its
 * message in e.  NULL (the default): skipped. */
void nn_rowset_set_other(nn_rowset *s,
                         int (*fn)(const nn_record *r, void *arg, nn_error *e),
                         void *arg);
/* Bytes of rows held at most (default NN_ROWSET_LIMIT). */
void nn_rowset_set_limit(nn_rowset *s, size_t bytes);

/* A block: the same rows of each followed tensor, in the order of
 * nn_rowset_name. */
typedef struct nn_rowblock {
    size_t rows;
    int n;                                  /* tensors */
    const void *data[NN_ROWSET_MAX];        /* (rows, cols[i]) of dtype[i],
                                             * host order */
    int dtype[NN_ROWSET_MAX];
    size_t cols[NN_ROWSET_MAX];             /* elements per row */
    int rank[NN_ROWSET_MAX];
    uint64_t dims[NN_ROWSET_MAX][NN_MAX_RANK]; /* dims[i][0] = rows */
} nn_rowblock;

/* The next block of 1..max_rows rows (0: as many as are at hand), valid
 * until the next call.  Returns 1; 0 at the end, when every tensor ended
 * with the same number of rows (b then describes the tensors with 0 rows);
 * -1 on an error, and on every later call: a stream error, a tensor that
 * ends before another, a tensor named at open that never appears, a record
 * of rank 0 or a later tensor of a name with another dtype or row shape,
 * more rows held than the limit. */
int nn_rowset_next(nn_rowset *s, size_t max_rows, nn_rowblock *b,
                   nn_error *e);
/* Rows handed out so far. */
uint64_t nn_rowset_row(const nn_rowset *s);
/* The followed tensors: final once nn_rowset_next has returned 1 or 0. */
int nn_rowset_count(const nn_rowset *s);
const char *nn_rowset_name(const nn_rowset *s, int i);
/* Attributes of the first record of tensor i (NULL before it is read). */
const char *nn_rowset_attrs(const nn_rowset *s, int i);
/* The index of a followed name, or -1. */
int nn_rowset_find(const nn_rowset *s, const char *name);
void nn_rowset_close(nn_rowset *s);


/* ------------------------------------------------------ closed-form fits
 * Layers fitted from the Gram matrix G of [Z1 Y], Z1 = [1 Z] (p = 1+nz
 * columns), Y the targets (ALGORITHMS.md, nn-fit-layer; thesis ch. 7). */

enum { NN_SOLVE_CHOL, NN_SOLVE_PINV, NN_SOLVE_LSTSQ };

typedef struct nn_fit_opts {
    int solver;         /* NN_SOLVE_CHOL (default) or NN_SOLVE_PINV from
                         * the Gram matrix (nn_fit_solve, which refuses
                         * another); NN_SOLVE_LSTSQ from R (nn_fit_solve_qr) */
    double lambda;      /* ridge: minimise ||Z1 W - T||^2 + lambda ||W||^2 */
    double tol;         /* pinv: keep singular values of Z1 above tol times
                         * the largest (0: sqrt(p) * 2^-26, see nn_fit_solve) */
} nn_fit_opts;

/* W (p,d) = argmin ||Z1 W - [Z1 Y] P||^2 + lambda ||W||^2 for P (p+ny, d),
 * from g (finished).  Cholesky fails on a singular system with a message
 * that suggests a ridge or the pseudoinverse; the pseudoinverse works
 * through the eigendecomposition of Z1^T Z1 + lambda I.  This and the
 * other fits fail on a Gram matrix (or R) that holds NaN or infinity,
 * which would give a layer of NaN. */
int nn_fit_solve(const nn_gram *g, const double *P, size_t d,
                 const nn_fit_opts *o, double *W, nn_error *e);
/* The same from the triangular factor of [Z1 Y] (nn_tsqr): the least
 * squares solution through the SVD of R11 (Z1 = Q1 R11), keeping singular
 * values above tol (default sqrt(p) 2^-52) times the largest when lambda is
 * 0, W = V diag(s / (s^2 + lambda)) U^T [R11 R12] P otherwise. */
int nn_fit_solve_qr(const nn_tsqr *q, const double *P, size_t d,
                    const nn_fit_opts *o, double *W, nn_error *e);
/* Platonic PCA from R: the right singular vectors of R diag(alpha..,
 * alpha beta..), which are the eigenvectors of A^T A. */
int nn_fit_pca_qr(const nn_tsqr *q, double alpha, double beta, size_t d,
                  double *Q, nn_error *e);
/* The projection of a Platonic target T = alpha [Z1  beta Y] Q: fills P
 * (p+ny, d) = alpha diag(1.., beta..) Q, for Q (p+ny, d) given. */
void nn_fit_scale_projection(size_t p, size_t ny, size_t d, double alpha,
                             double beta, const double *q, double *P);
/* Platonic PCA: Q = the d leading eigenvectors of A^T A (uncentred) for
 * A = alpha [Z1  beta Y], as columns.  d <= p + ny. */
int nn_fit_pca(const nn_gram *g, double alpha, double beta, size_t d,
               double *Q, nn_error *e);
/* Platonic PCA on the correlation matrix of [Z Y] (every column centred
 * and scaled to unit variance; constant columns, the bias among them,
 * have no part in it, so that the components of non-zero eigenvalue are
 * zero there): Q = its d leading eigenvectors.  alpha and beta do not change Q; they scale the target
 * T = alpha [Z1  beta Y] Q.  d <= p + ny (past the non-constant columns
 * the components have eigenvalue 0). */
int nn_fit_pca_corr(const nn_gram *g, size_t d, double *Q, nn_error *e);

/* ------------------------------------------------------- exact selection
 * The rows at given ranks of n keys ordered by (key, row), in memory
 * bounded by a budget whatever n is, over as many passes as it takes: one
 * collecting pass when n is within the budget, otherwise counting passes
 * first (at most ceil(64 / log2(budget / ranks)) of them) (lib/nn_select.c).
 *
 *   nn_select *s = nn_select_new(n, nranks, ranks, 0, &e);
 *   while ((rc = nn_select_pass(s)) == 1) {
 *       for every row: nn_select_add(s, key);   (the same keys every pass)
 *       if (nn_select_end(s, &e) < 0) ...
 *   }
 *   rows = nn_select_rows(s);   (rows[i]: the row at ranks[i]) */
typedef struct nn_select nn_select;
/* budget: counters and collected keys at most (0: 2^18, i.e. 6 MiB);
 * raised to 2 nranks if below. */
nn_select *nn_select_new(uint64_t n, size_t nranks, const uint64_t *ranks,
                         size_t budget, nn_error *e);
/* Starts a pass: 1 if one is needed, 0 when the rows are known, -1 when
 * out of memory. */
int nn_select_pass(nn_select *s);
void nn_select_add(nn_select *s, double key);
/* Ends a pass: -1 if it gave another number of keys than n, or other
 * keys than the passes before. */
int nn_select_end(nn_select *s, nn_error *e);
const uint64_t *nn_select_rows(const nn_select *s);
int nn_select_passes(const nn_select *s);
void nn_select_free(nn_select *s);

/* ------------------------------------------------------- names and shapes */

/* Whether name matches one of the n fnmatch(3) patterns (none if n is 0). */
int nn_name_matches(const char *name, char *const *patterns, size_t n);
/* "28x28", "32x32x3": n dims joined by 'x', the form of the image
 * attribute (formats/nns.md) and of options such as --tile; returns buf. */
const char *nn_dims_format(char *buf, size_t cap, int n, const uint64_t *dims);
/* Parses such a text of 1..max numbers, each from 1 to limit, into dims;
 * returns how many, or 0 if s is not such a text. */
int nn_dims_parse(const char *s, int max, uint64_t limit, uint64_t *dims);

/* ------------------------------------------------------------ array files
 * Headers of NumPy .npy files (lib/nn_npy.c) and of IDX files, the format
 * of MNIST (lib/nn_idx.c). */

typedef struct nn_array_header {
    int dtype;
    int swap;                   /* elements in the other byte order than
                                 * the host's */
    int fortran;                /* npy: column-major (fortran_order) */
    int rank;
    uint64_t dims[NN_MAX_RANK];
    size_t header_len;          /* bytes before the elements */
} nn_array_header;

#define NN_NPY_MAGIC "\x93NUMPY"
/* Bytes at the start of an npy file that give the header's length. */
#define NN_NPY_PRELUDE 12
/* The longest header nn_npy_header_format writes. */
#define NN_NPY_HEADER_FORMAT_MAX 512
/* The longest IDX header of a rank this library takes. */
#define NN_IDX_HEADER_MAX (4 + 4 * NN_MAX_RANK)

/* The length of the npy header (magic to the end of the dict) that begins
 * with the n bytes at p: NN_NPY_PRELUDE bytes, or the whole file if it is
 * shorter.  Fails on a bad magic, a version other than 1.0 to 3.0, or a
 * header over 1 MiB. */
int nn_npy_header_size(const void *p, size_t n, size_t *len, nn_error *e);
/* Parses the npy header at p (n bytes, the whole header or more): element
 * types u1, i1 ... u8, i8, f4, f8 in either byte order, rank up to
 * NN_MAX_RANK.  Fails on a truncated header, a malformed or incomplete
 * dict, unknown keys or types, structured arrays, and shapes whose bytes
 * overflow 64 bits. */
int nn_npy_header_parse(const void *p, size_t n, nn_array_header *h,
                        nn_error *e);
/* Writes into buf (cap bytes) the header, format 1.0, of a little-endian
 * C-order array: padded with spaces to len bytes, or if len is 0 to a
 * multiple of 64.  Returns its length; 0 if dtype or rank is invalid or
 * the header does not fit len or cap. */
size_t nn_npy_header_format(char *buf, size_t cap, int dtype, int rank,
                            const uint64_t *dims, size_t len);
/* Parses the IDX header at p (n bytes; NN_IDX_HEADER_MAX always suffice):
 * u8, i8, i16, i32, f32 or f64 elements, big-endian, rank 1 to NN_MAX_RANK.
 * Fails on a truncated header, a bad magic or type byte, and shapes whose
 * bytes overflow 64 bits. */
int nn_idx_header_parse(const void *p, size_t n, nn_array_header *h,
                        nn_error *e);

/* ---------------------------------------------------------- input files
 * Files for importers (lib/nn_source.c): read through zlib, so gzip is
 * decompressed on the fly, with a buffer for headers and lines.  Messages
 * name the file. */

typedef struct nn_source nn_source;
/* Lines longer than this are an error. */
#define NN_LINE_MAX ((size_t)64 << 20)

/* Opens path ("-": standard input, named "stdin" in messages). */
nn_source *nn_source_open(const char *path, nn_error *e);
const char *nn_source_name(const nn_source *s);
/* Up to want bytes ahead, not consumed: returns them and sets *n to how
 * many there are (fewer only at the end of the file); NULL on an error.
 * Valid until the next call on s. */
const unsigned char *nn_source_peek(nn_source *s, size_t want, size_t *n,
                                    nn_error *e);
/* Consumes n bytes (at most as many as a peek showed). */
void nn_source_skip(nn_source *s, size_t n);
/* Reads n bytes into dst; *got is less than n only at the end of the file. */
int nn_source_read(nn_source *s, void *dst, size_t n, size_t *got,
                   nn_error *e);
/* The next line, without its "\n" or "\r\n", NUL-terminated, valid until
 * the next call on s: 1, or 0 at the end of the file, or -1 (a line over
 * NN_LINE_MAX or with a NUL byte, a read error). */
int nn_source_line(nn_source *s, char **line, nn_error *e);
/* Lines read so far. */
uint64_t nn_source_lines(const nn_source *s);
/* Bytes left in an uncompressed regular file, or -1 if unknown. */
int64_t nn_source_left(const nn_source *s);
/* Whether the file can be opened again and read from the start (a regular
 * file named by its path). */
int nn_source_reopenable(const nn_source *s);
void nn_source_close(nn_source *s);

/* --------------------------------------------------------------------- CSV
 * Rows of numbers as delimited text (lib/nn_csv.c). */

/* The delimiter of an option: "tab" (or "\t"), "space", or one character
 * that cannot be part of a number (no digit, letter, '.', '+', '-'), nor
 * '"' or the comment mark '#'.  ' ' stands for runs of blanks when
 * reading, so any delimiter written can be read back. */
int nn_delim_parse(const char *s, int *delim, nn_error *e);
/* The one of ',', '\t' and ';' that occurs most often in line outside
 * quotes, or ' ' if none does. */
int nn_csv_guess_delim(const char *line);
/* Splits line in place into NUL-terminated fields, trimmed of blanks and
 * unquoted ("a ""b""" is a "b"); delim ' ' splits at runs of blanks.
 * Stores at most cap field pointers; returns the number of fields. */
size_t nn_csv_split(char *line, int delim, char **fields, size_t cap);
/* A whole field as a number (strtod(3): "nan" and "inf" are numbers);
 * fails on an empty field, other text, or a finite number beyond the range
 * of f64 such as 1e999. */
int nn_csv_number(const char *s, double *v, nn_error *e);

enum { NN_CSV_HEADER_AUTO, NN_CSV_HEADER_YES, NN_CSV_HEADER_NO };

/* Reads rows of numbers from s (which stays the caller's), skipping a
 * UTF-8 byte order mark, blank lines and lines starting with '#'.  delim 0:
 * guessed from the first line.  NN_CSV_HEADER_AUTO: the first line is a
 * header if none of its fields is a number.  Every row must have as many
 * fields as the first (and the header).  The first data row is read and
 * checked here, so that its errors come before any output. */
typedef struct nn_csv nn_csv;
nn_csv *nn_csv_open(nn_source *s, int delim, int header, nn_error *e);
/* The next row: 1 with *values (nn_csv_columns of them, valid until the
 * next call), 0 at the end, -1 on an error naming the line and field. */
int nn_csv_next(nn_csv *c, const double **values, nn_error *e);
size_t nn_csv_columns(const nn_csv *c);
/* The header's name of column j, or NULL without a header. */
const char *nn_csv_name(const nn_csv *c, size_t j);
/* The text of field j of the row last read, and its line number. */
const char *nn_csv_field(const nn_csv *c, size_t j);
uint64_t nn_csv_line(const nn_csv *c);
void nn_csv_close(nn_csv *c);

/* ------------------------------------------------------ nearest neighbours
 * Exact k nearest neighbours of each row among the other rows of a set
 * (lib/nn_knn.c), for k-filtering (ALGORITHMS.md, nn-kfilter).  Distances
 * are squared Euclidean, computed in double precision from the rows as
 * given; ties go to the lower row index, so the lists are a function of
 * the data alone.  The search: blocked single-precision distances
 * |a|^2 - 2 a.b + |b|^2 by sgemm (tiles of at most 2048 x 2048, each pair
 * once), k+8 candidates per row ordered by a bound on the single-precision
 * error where it proves the order and by their double-precision distances
 * where it does not, and a second search, within the bound, for the rows
 * where near ties leave the candidates in doubt.  Memory: O(m (k + 8))
 * besides a single-precision copy of x when x is not f32 or is far from
 * centred.  Time: about 1.2 times the sgemm calls (m = 60000, d = 784). */

/* Neighbours of each of the m rows of x (m,d) of dtype, finite values:
 * idx (m,k) their row indices, nearest first; dist (m,k) their squared
 * distances (may be NULL).  1 <= k < m < 2^32.  *researched (may be NULL):
 * rows the second search settled. */
int nn_knn(size_t m, size_t d, const void *x, int dtype, size_t k,
           uint32_t *idx, double *dist, size_t *researched, nn_error *e);
/* The same by brute force, O(m^2 d), with the same distances: the
 * reference for tests. */
int nn_knn_ref(size_t m, size_t d, const void *x, int dtype, size_t k,
               uint32_t *idx, double *dist, nn_error *e);

/* ------------------------------------------------------------------ labels
 * Class labels are class numbers (an integer tensor of one column, with an
 * attribute classes=K) or rows of targets (lib/nn_labels.c). */

/* The most classes a tool takes.  Class numbers then fit a u16, and the
 * tables kept per class (counts, the k-redundancy record) stay within a
 * few MiB whatever a classes= attribute claims; the largest label sets in
 * use (ImageNet-21k: 21841 classes) fit with room to spare. */
#define NN_CLASSES_MAX 65536
/* The attribute classes=K in the attrs of labels tensor `name`: 1 with *k
 * set, 0 when there is none (*k = 0), -1 when its value is not a whole
 * number from 1 to NN_CLASSES_MAX, with a message naming the attribute and
 * the tensor. */
int nn_labels_classes(const char *attrs, const char *name, uint64_t *k,
                      nn_error *e);
/* Fills out (m,k) with the one-hot rows of the m class numbers y (dtype
 * dt); fails on a label outside [0, k), naming it and its row (row0 + i). */
int nn_labels_onehot(const void *y, int dt, size_t m, size_t k,
                     uint64_t row0, double *out, nn_error *e);

#endif

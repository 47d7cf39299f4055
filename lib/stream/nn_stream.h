/* nn_stream.h — layer 1 of libnn: the NNS stream (formats/nns.md):
 * records, reader, writer, other outputs, rows, row sets, labels.
 * Depends on base only. */
#ifndef NN_STREAM_H
#define NN_STREAM_H

#include "base/nn_base.h"

/* ---------------------------------------------------------- records
 * Records and their attributes, names and shapes (nn_record.c); the
 * reader (nn_reader.c), the writer (nn_writer.c), other outputs
 * (nn_output.c). */

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
/* Opens path for reading more than once: a regular file as is, anything
 * else (a pipe) copied first to an unlinked temporary file in $TMPDIR,
 * record by record, each checked as it passes (so that what is not a
 * stream fails at its first bytes, not after filling the disk). */
nn_reader *nn_reader_open_seekable(const char *path, nn_error *e);
/* An unlinked temporary file in $TMPDIR (or /tmp), open for reading and
 * writing: gone when closed, whatever happens. */
FILE *nn_spool_file(nn_error *e);
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
/* Holds output back: what is written from now on stays in memory, up to
 * bytes (0: NN_HOLD_DEFAULT), and reaches the output only at
 * nn_writer_release, at a successful nn_writer_close, or when more than
 * that is written (then output begins).  A tool holds its output until its
 * first errors are past (a bad first record, a block that fails to fit),
 * so that failing then leaves the output empty; nn_writer_close(w, 0)
 * drops what is held.  Memory: the bytes held. */
#define NN_HOLD_DEFAULT ((size_t)64 << 20)
void nn_writer_hold(nn_writer *w, size_t bytes);
/* Ends the hold: what is held is written out.  -1 on a write error. */
int nn_writer_release(nn_writer *w, nn_error *e);
/* Whether output is still held (nothing has reached the output). */
int nn_writer_holding(const nn_writer *w);
/* ok=1: flush, check for write errors, rename a temporary file into place.
 * ok=0: discard (a temporary file is removed).  Frees w.  Returns -1 if
 * ok was 1 and anything failed. */
int nn_writer_close(nn_writer *w, int ok, nn_error *e);

/* An output in another format (npy, CSV, PNG): write to f.  A file is
 * written under a temporary name and renamed by nn_output_close(o, 1); if
 * the tool fails first it is removed, and a regular file on stdout is cut
 * back to where the tool began.  binary: refuse a terminal. */
typedef struct nn_output nn_output;
nn_output *nn_output_open(const char *path, int binary, nn_error *e);
const char *nn_output_name(const nn_output *o);
/* The stream to write to. */
FILE *nn_output_file(const nn_output *o);
/* Whether the output is a regular file the tool may seek in, and the
 * offset in it where this tool's output begins (a file on stdout may
 * hold another program's output before it). */
int nn_output_seekable(const nn_output *o);
int64_t nn_output_start(const nn_output *o);
/* ok=1: flush and commit; ok=0: discard.  Frees o. */
int nn_output_close(nn_output *o, int ok, nn_error *e);

/* Removes every temporary file of a writer or output not yet committed,
 * and repairs every descriptor written through (a regular file is cut
 * back to where its output began; an NNS stream on a pipe gets a lone
 * record magic, so the next tool sees a truncated stream).  For a process
 * that is dying: async-signal-safe (unlink, write, ftruncate, lseek only),
 * it leaves the handles themselves alone.  The library never calls it;
 * the tool layer does, at exit, in nn_die and on fatal signals. */
void nn_outputs_abandon(void);

/* Rows per chunk for rows of row_bytes bytes, near NN_CHUNK_BYTES. */
size_t nn_chunk_rows(size_t row_bytes);

/* Checks stdout for write errors and closes it; for tools that print text. */
int nn_stdout_close(nn_error *e);


/* -------------------------------------------------------------------- rows
 * For the tools that pick, slice, join and split rows (nn_rows.c). */

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

/* A record's rows in order, read piece by piece through nn_reader_piece:
 * stored rows in place, compressed ones decoded a whole number of rows
 * near NN_CHUNK_BYTES at a time, so that a record of any size costs one
 * piece.  rec is the record last read from rd, raw, and stays the
 * caller's.  NULL when out of memory. */
typedef struct nn_row_cursor nn_row_cursor;
nn_row_cursor *nn_row_cursor_new(nn_reader *rd, const nn_record *rec,
                                 nn_error *e);
/* Bytes per row of its record. */
size_t nn_row_cursor_row_bytes(const nn_row_cursor *c);
/* Sets *avail to the rows that can be taken at once (decoding the next
 * piece when the last is used up); 0 at the end of the record. */
int nn_row_cursor_ready(nn_row_cursor *c, uint64_t *avail, nn_error *e);
/* The next rows, up to want (1 or more) of them: *got rows at the address
 * returned (NULL on error, or past the end), valid until the next call. */
const unsigned char *nn_row_cursor_take(nn_row_cursor *c, uint64_t want,
                                        uint64_t *got, nn_error *e);
void nn_row_cursor_free(nn_row_cursor *c);

/* A writer with a storage policy and scratch space.  w stays the
 * caller's, to hold, release and close (nn_row_sink_free leaves it
 * open).  NULL when out of memory. */
typedef struct nn_row_sink nn_row_sink;
nn_row_sink *nn_row_sink_new(nn_writer *w, int store, nn_error *e);
nn_writer *nn_row_sink_writer(const nn_row_sink *s);
/* Whether the policy keeps r as stored, so that nn_row_sink_record copies
 * it whole rather than writing its rows anew. */
int nn_row_sink_keeps(const nn_row_sink *s, const nn_record *r);
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



/* ----------------------------------------------------------------- row sets
 * The same rows of several tensors of one stream, block by block
 * (nn_rowset.c): x and y of a data set, or z1..zL and y after
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



/* ------------------------------------------------------------------ labels
 * Class labels are class numbers (an integer tensor of one column, with an
 * attribute classes=K) or rows of targets (nn_labels.c). */

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

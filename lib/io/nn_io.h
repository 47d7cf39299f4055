/* nn_io.h — layer 1 of libnn: files in other formats (npy, IDX, CSV,
 * gzip through zlib).  Depends on base only. */
#ifndef NN_IO_H
#define NN_IO_H

#include "base/nn_base.h"

/* ------------------------------------------------------------ array files
 * Headers of NumPy .npy files (nn_npy.c) and of IDX files, the format
 * of MNIST (nn_idx.c). */

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
 * Files for importers (nn_source.c): read through zlib, so gzip is
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
 * Rows of numbers as delimited text (nn_csv.c). */

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


#endif

/* nn-import — IDX (MNIST), NumPy .npy and CSV files to an NNS stream.  Each
 * file becomes a tensor; all are read and written a block of rows at a time,
 * the blocks of the tensors interleaved, so memory stays bounded whatever the
 * size of the inputs.  The formats themselves (and gzip) are read by the
 * library; this file decides names, types, labels and attributes. */
#include "nn_tool.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-import [OPTION]... [NAME=]FILE...\n"
    "Convert IDX (MNIST), NumPy .npy and CSV files (plain or gzip) to an NNS\n"
    "stream: one tensor per FILE ('-' is stdin), named NAME or x, y, t2, t3...\n"
    "All files must have the same number of rows; their blocks of rows are\n"
    "interleaved.\n"
    "\n"
    "  -f, --format=FMT       read every file as idx, npy or csv (default: guess)\n"
    "  -t, --dtype=TYPE       convert non-label tensors to TYPE (u8 ... f64)\n"
    "      --scale=S          multiply non-label tensors by S (e.g. 1/255);\n"
    "                         the result is f32 unless -t says otherwise\n"
    "      --onehot[=K]       one-hot encode rank-1 integer (label) tensors as\n"
    "                         f32 (n,K); K defaults to the largest label + 1\n"
    "      --label-column=N   split CSV column N (0-based) into the labels y\n"
    "      --delimiter=C      CSV separator: a character, 'tab' or 'space'\n"
    "                         (default: guessed from the first line)\n"
    "      --header           the first line of a CSV file is a header\n"
    "      --no-header        the first line of a CSV file is data (default:\n"
    "                         a header if none of its fields is a number)\n"
    "      --no-flatten       keep IDX images (n,H,W) instead of (n,H*W)\n"
    "  -o, --output=FILE      write to FILE instead of standard output\n"
    "  -z, --zstd[=LEVEL]     compress records with zstd (level 1-22, default 3)\n"
    "  -P, --progress         report progress on stderr even when not a terminal\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "See nn-import(1) and nns(5).\n"
    "Exit status: 0 success, 1 unreadable or malformed input, 2 usage error.\n"
    "Example: nn-import --scale 1/255 data/mnist/train-images-idx3-ubyte "
    "data/mnist/train-labels-idx1-ubyte > train.nns\n";

enum { OPT_SCALE = 256, OPT_ONEHOT, OPT_LABEL_COLUMN, OPT_DELIMITER,
       OPT_HEADER, OPT_NO_HEADER, OPT_NO_FLATTEN };
enum { FMT_AUTO, FMT_IDX, FMT_NPY, FMT_CSV };
static const char *const fmt_names[] = {"?", "IDX", "npy", "CSV"};
static const char *const fmt_args[] = {"idx", "npy", "csv", NULL};

#define ROW_MAX ((size_t)256 << 20)     /* largest row of any tensor, bytes */
#define LOAD_MAX ((uint64_t)64 << 20)   /* label inputs read whole up to this */
#define CLASSES_MAX ((uint64_t)1 << 20)
#define COLUMNS_MAX 4096                /* longest `columns` attribute */

typedef struct options {
    int format;                 /* FMT_AUTO: guessed per file */
    int dtype;                  /* -t; 0: as read (f32 if scaled or CSV) */
    int scaled;                 /* --scale given */
    double scale;
    int onehot;
    uint64_t classes;           /* --onehot=K; 0: from the labels */
    long label_col;             /* --label-column; -1: none */
    int delim;                  /* 0: guessed */
    int header;                 /* NN_CSV_HEADER_AUTO, _YES or _NO */
    int flatten;
    const char *out;            /* NULL: stdout */
    int level;                  /* zstd level, 0 for none */
    int progress;
    char **args;                /* the [NAME=]FILE operands */
    int nargs;
} options;

/* ------------------------------------------------------------------ inputs */

typedef struct input {
    const char *path;           /* as given; "-" is stdin */
    const char *name;           /* for messages */
    long label_col;             /* --label-column, for a CSV file */
    nn_source *s;
    nn_csv *csv;
    int fmt;
    nn_array_header h;          /* elements and shape; dims[0] = rows when
                                 * known */
    int fortran;                /* column-major, read whole */
    size_t row_elems, row_bytes;
    int rows_known;
    uint64_t rows, done;
    unsigned char *whole;       /* all the data, when read whole */
    unsigned char *block;       /* one block of rows */
    const void *cur[2];         /* the last block: data, CSV labels */
    char *columns;              /* CSV header names joined with ',', or NULL */
    double *feat;               /* a CSV block of (rows, columns but label) */
    int32_t *labels;
} input;

/* Checks the shape in in->h before anything is allocated for it, and that
 * an uncompressed file holds exactly the data it announces. */
static void check_shape(input *in)
{
    char shape[200];
    const nn_array_header *h = &in->h;
    nn_shape_str(shape, sizeof shape, h->rank, h->dims);
    size_t esize = nn_dtype_size(h->dtype);
    uint64_t elems = 1;
    for (int i = 1; i < h->rank; i++) {
        if (h->dims[i] && elems > UINT64_MAX / h->dims[i])
            nn_die("%s: shape %s is too large", in->name, shape);
        elems *= h->dims[i];
    }
    if (elems > ROW_MAX / esize)
        nn_die("%s: shape %s: rows of %llu elements are too large (limit %zu "
            "MiB per row)", in->name, shape, (unsigned long long)elems,
            ROW_MAX >> 20);
    in->row_elems = elems;
    in->row_bytes = elems * esize;
    if (in->row_bytes && h->dims[0] > UINT64_MAX / in->row_bytes)
        nn_die("%s: shape %s is too large", in->name, shape);
    uint64_t bytes = h->dims[0] * in->row_bytes;
    in->rows = h->dims[0];
    in->rows_known = 1;
    int64_t left = nn_source_left(in->s); /* after the header */
    if (left < 0)
        return;
    if ((uint64_t)left < bytes)
        nn_die("%s: truncated: the %s header announces %s %s, %llu bytes of data, "
            "but only %llu follow", in->name, fmt_names[in->fmt],
            nn_dtype_name(h->dtype), shape, (unsigned long long)bytes,
            (unsigned long long)left);
    if ((uint64_t)left > bytes)
        nn_die("%s: %llu bytes after the %s data (the header announces %s %s)",
            in->name, (unsigned long long)(left - bytes), fmt_names[in->fmt],
            nn_dtype_name(h->dtype), shape);
}

/* Reads the header of an IDX or npy file. */
static void array_open(input *in)
{
    nn_error e;
    size_t n, len = NN_IDX_HEADER_MAX;
    const unsigned char *p;
    if (in->fmt == FMT_NPY) {
        if (!(p = nn_source_peek(in->s, NN_NPY_PRELUDE, &n, &e)))
            nn_die("%s", e.msg);
        if (nn_npy_header_size(p, n, &len, &e) < 0)
            nn_die("%s: %s", in->name, e.msg);
    }
    if (!(p = nn_source_peek(in->s, len, &n, &e)))
        nn_die("%s", e.msg);
    if ((in->fmt == FMT_NPY ? nn_npy_header_parse(p, n, &in->h, &e)
                            : nn_idx_header_parse(p, n, &in->h, &e)) < 0)
        nn_die("%s: %s", in->name, e.msg);
    nn_source_skip(in->s, in->h.header_len);
    if (in->h.rank == 0)
        nn_die("%s: a 0-d npy array has no rows", in->name);
    if (in->h.fortran && in->h.rank > 2)
        nn_die("%s: Fortran-order npy arrays of rank %d are not supported "
            "(save with numpy.ascontiguousarray)", in->name, in->h.rank);
    in->fortran = in->h.fortran && in->h.rank == 2;
    check_shape(in);
}

static void csv_open(const options *o, input *in)
{
    nn_error e;
    if (!(in->csv = nn_csv_open(in->s, o->delim, o->header, &e)))
        nn_die("%s", e.msg);
    size_t ncols = nn_csv_columns(in->csv);
    if (in->label_col >= 0 && (size_t)in->label_col >= ncols)
        nn_die("%s: no column %ld for the labels: the file has %zu column%s",
            in->name, in->label_col, ncols, ncols == 1 ? "" : "s");
    if (in->label_col >= 0 && ncols < 2)
        nn_die("%s: no feature columns besides the label column", in->name);
    /* keep the names, joined, if they make a clean attribute */
    size_t len = 0;
    int clean = nn_csv_name(in->csv, 0) != NULL;
    for (size_t j = 0; j < ncols && clean; j++) {
        const char *c = nn_csv_name(in->csv, j);
        len += strlen(c) + 1;
        clean = *c && !strchr(c, ',');
    }
    if (clean && len <= COLUMNS_MAX) {
        char *c = in->columns = nn_xalloc(len + 1, 1, "CSV header");
        *c = 0;
        for (size_t j = 0; j < ncols; j++)
            if ((long)j != in->label_col)
                c += sprintf(c, "%s%s", c == in->columns ? "" : ",",
                             nn_csv_name(in->csv, j));
    }
    in->h.dtype = NN_F64;
    in->h.rank = 2;
    in->h.dims[1] = ncols - (in->label_col >= 0);
    in->row_elems = in->h.dims[1];
    in->row_bytes = in->row_elems * sizeof(double);
    if (in->row_bytes > ROW_MAX)
        nn_die("%s: %zu columns are too many", in->name, ncols);
}

/* Reads the next CSV row into feat (the columns but the label) and *label;
 * 0 at the end. */
static int csv_row(input *in, double *feat, int32_t *label)
{
    const double *v;
    nn_error e;
    int rc = nn_csv_next(in->csv, &v, &e);
    if (rc < 0)
        nn_die("%s", e.msg);
    if (rc == 0)
        return 0;
    size_t n = nn_csv_columns(in->csv);
    if (in->label_col < 0) {
        memcpy(feat, v, n * sizeof *v);
        return 1;
    }
    size_t k = (size_t)in->label_col;
    memcpy(feat, v, k * sizeof *v);
    memcpy(feat + k, v + k + 1, (n - k - 1) * sizeof *v);
    if (!(v[k] >= INT32_MIN && v[k] <= INT32_MAX) || v[k] != floor(v[k]))
        nn_die("%s: line %llu: label '%.40s' is not an integer", in->name,
            (unsigned long long)nn_csv_line(in->csv),
            nn_csv_field(in->csv, k));
    *label = (int32_t)v[k];
    return 1;
}

/* Opens the file at path as o says, reads its header and sets in up. */
static void input_open(const options *o, input *in, const char *path)
{
    nn_error e;
    in->path = path;
    in->label_col = o->label_col;
    in->name = strcmp(path, "-") ? path : "stdin";
    if (!(in->s = nn_source_open(path, &e)))
        nn_die("%s", e.msg);
    in->fmt = o->format;
    if (in->fmt == FMT_AUTO) {
        size_t n;
        const unsigned char *p = nn_source_peek(in->s, 4096, &n, &e);
        if (!p)
            nn_die("%s", e.msg);
        if (n >= 6 && memcmp(p, NN_NPY_MAGIC, 6) == 0)
            in->fmt = FMT_NPY;
        else if (n >= 2 && p[0] == 0 && p[1] == 0)
            in->fmt = FMT_IDX;
        else if (n == 0)
            nn_die("%s: empty file", in->name);
        else if (memchr(p, 0, n))
            nn_die("%s: not an IDX, npy or CSV file (it starts with %02x %02x "
                "%02x %02x)", in->name, p[0], n > 1 ? p[1] : 0,
                n > 2 ? p[2] : 0, n > 3 ? p[3] : 0);
        else
            in->fmt = FMT_CSV;
    }
    if (in->fmt == FMT_CSV)
        csv_open(o, in);
    else
        array_open(in);
    if (in->label_col >= 0 && in->fmt != FMT_CSV)
        nn_die("%s: --label-column needs CSV input, this is %s", in->name,
            fmt_names[in->fmt]);
}

static void input_close(input *in)
{
    nn_csv_close(in->csv);
    nn_source_close(in->s);
    free(in->whole);
    free(in->block);
    free(in->columns);
    free(in->feat);
    free(in->labels);
}

/* Reads n bytes of an IDX or npy file's data into dst, in host order. */
static void data_read(input *in, void *dst, size_t bytes, size_t elems)
{
    nn_error e;
    size_t got;
    if (nn_source_read(in->s, dst, bytes, &got, &e) < 0)
        nn_die("%s", e.msg);
    if (got < bytes) {
        if (in->whole)
            nn_die("%s: truncated: %s data ends after %zu of %zu bytes",
                in->name, fmt_names[in->fmt], got, bytes);
        nn_die("%s: truncated: the %s data ends in row %llu of %llu",
            in->name, fmt_names[in->fmt],
            (unsigned long long)(in->done + got / in->row_bytes),
            (unsigned long long)in->rows);
    }
    if (in->h.swap)
        nn_bswap(dst, elems, nn_dtype_size(in->h.dtype));
}

/* Checks that the data ends where the header says. */
static void data_end(input *in)
{
    nn_error e;
    size_t n;
    if (!nn_source_peek(in->s, 1, &n, &e))
        nn_die("%s", e.msg);
    if (n)
        nn_die("%s: more bytes after the %s data than the header announces",
            in->name, fmt_names[in->fmt]);
}

/* Reads the data of an IDX or npy input whole (labels, Fortran order). */
static void input_load(input *in)
{
    uint64_t bytes = in->rows * in->row_bytes;
    if (bytes > SIZE_MAX)
        nn_die("%s: too large to read into memory", in->name);
    in->whole = nn_xalloc(bytes, 1, in->name);
    data_read(in, in->whole, bytes, in->rows * in->row_elems);
    data_end(in);
}

/* (n,cols) rows r0.. of the column-major (rows,cols) matrix a, into b. */
#define TRANSPOSE(T)                                                           \
    do {                                                                       \
        const T *a_ = (const T *)in->whole;                                    \
        T *b_ = (T *)in->block;                                                \
        for (size_t j = 0; j < cols; j++)                                      \
            for (size_t i = 0; i < n; i++)                                     \
                b_[i * cols + j] = a_[j * rows + r0 + i];                      \
    } while (0)

/* Reads up to want rows into in->cur; returns how many there were. */
static uint64_t input_read(input *in, uint64_t want)
{
    if (in->fmt == FMT_CSV) {
        uint64_t n = 0;
        int32_t dummy;
        while (n < want && csv_row(in, in->feat + n * in->row_elems,
                                   in->labels ? in->labels + n : &dummy))
            n++;
        in->cur[0] = in->feat;
        in->cur[1] = in->labels;
        in->done += n;
        return n;
    }
    uint64_t n = in->rows - in->done < want ? in->rows - in->done : want;
    if (in->whole && !in->fortran) {
        in->cur[0] = in->whole + in->done * in->row_bytes;
    } else if (in->whole) {
        size_t rows = in->rows, cols = in->row_elems, r0 = in->done;
        switch (nn_dtype_size(in->h.dtype)) {
        case 1: TRANSPOSE(uint8_t); break;
        case 2: TRANSPOSE(uint16_t); break;
        case 4: TRANSPOSE(uint32_t); break;
        default: TRANSPOSE(uint64_t); break;
        }
        in->cur[0] = in->block;
    } else {
        data_read(in, in->block, n * in->row_bytes, n * in->row_elems);
        if (in->done + n == in->rows)
            data_end(in);
        in->cur[0] = in->block;
    }
    in->done += n;
    return n;
}

/* ----------------------------------------------------------------- tensors */

typedef struct tensor {
    char name[NN_NAME_MAX + 1];
    input *in;
    int part;                   /* which of in->cur */
    int in_dtype, dtype;
    int rank;
    uint64_t dims[NN_MAX_RANK]; /* dims[0] is set for each block */
    size_t in_elems, out_elems; /* per row */
    int label, onehot, scaled;
    double scale;               /* the factor, when scaled */
    int have_range;
    int64_t lmin, lmax;
    uint64_t classes;
    char *attrs;
    void *out, *tmp;
} tensor;

static void attr(tensor *t, const char *key, const char *value)
{
    char *a = nn_attrs_set(t->attrs, key, value);
    if (!a)
        nn_die("%s: cannot set attribute %s=%s", t->name, key, value);
    free(t->attrs);
    t->attrs = a;
}

/* Minimum and maximum of the labels read whole. */
static void label_range(tensor *t)
{
    int64_t buf[4096];
    t->lmin = INT64_MAX;
    t->lmax = INT64_MIN;
    size_t esize = nn_dtype_size(t->in_dtype);
    for (uint64_t i = 0; i < t->in->rows; i += 4096) {
        size_t n = t->in->rows - i < 4096 ? t->in->rows - i : 4096;
        nn_convert(buf, NN_I64, t->in->whole + i * esize, t->in_dtype, n);
        for (size_t k = 0; k < n; k++) {
            t->lmin = buf[k] < t->lmin ? buf[k] : t->lmin;
            t->lmax = buf[k] > t->lmax ? buf[k] : t->lmax;
        }
    }
    t->have_range = t->in->rows > 0;
}

/* The label range of a CSV file, by reading it once more. */
static void csv_label_range(const options *o, tensor *t)
{
    input probe;
    memset(&probe, 0, sizeof probe);
    input_open(o, &probe, t->in->path);
    double *feat = nn_xalloc(probe.row_elems, sizeof(double), "CSV row");
    int32_t label;
    t->lmin = INT64_MAX;
    t->lmax = INT64_MIN;
    uint64_t n = 0;
    for (; csv_row(&probe, feat, &label); n++) {
        t->lmin = label < t->lmin ? label : t->lmin;
        t->lmax = label > t->lmax ? label : t->lmax;
    }
    t->have_range = n > 0;
    free(feat);
    input_close(&probe);
}

static void die_label(const tensor *t, int64_t v, uint64_t row)
{
    nn_die("%s: label %lld (row %llu) is outside [0,%llu) of --onehot",
        t->in->name, (long long)v, (unsigned long long)row,
        (unsigned long long)t->classes);
}

/* Decides the output of tensor t as o says: type, shape, labels,
 * attributes. */
static void tensor_setup(const options *o, tensor *t)
{
    input *in = t->in;
    t->in_elems = t->part ? 1 : in->row_elems;
    t->in_dtype = t->part ? NN_I32 : in->h.dtype;
    if (t->part) {
        t->rank = 1;
    } else if (in->fmt == FMT_IDX && in->h.rank > 2 && o->flatten) {
        t->rank = 2;
        t->dims[1] = in->row_elems;
    } else {
        t->rank = in->h.rank;
        memcpy(t->dims, in->h.dims, sizeof t->dims);
    }
    int is_int = !nn_dtype_is_float(t->in_dtype);
    t->label = t->rank == 1 && is_int;
    if (o->onehot && t->rank == 1 && !is_int)
        nn_die("%s: --onehot needs integer labels, but this rank-1 input is %s",
            in->name, nn_dtype_name(t->in_dtype));
    t->onehot = o->onehot && t->label;
    if (t->label && in->fmt != FMT_CSV && in->rows * in->row_bytes <= LOAD_MAX) {
        input_load(in);
        label_range(t);
    } else if (t->onehot && !o->classes && in->fmt == FMT_CSV) {
        if (!nn_source_reopenable(in->s))
            nn_die("%s: --onehot needs K (--onehot=K) for labels of a CSV file "
                "that cannot be read twice", in->name);
        csv_label_range(o, t);
    } else if (in->fortran) {
        input_load(in);
    }
    if (t->label && t->have_range && t->lmin >= 0 &&
        (uint64_t)t->lmax < UINT64_MAX)
        t->classes = (uint64_t)t->lmax + 1;
    if (t->onehot) {
        if (o->classes) {
            t->classes = o->classes;
        } else if (!t->have_range) {
            nn_die("%s: --onehot needs K (--onehot=K): the labels are %s",
                in->name, in->rows_known && in->rows == 0 ? "empty"
                : "too many to read first");
        } else if (t->lmin < 0) {
            t->classes = 1; /* so that the check below names the label */
        }
        if (t->classes > CLASSES_MAX)
            nn_die("%s: %llu classes are too many for --onehot (limit %llu)",
                in->name, (unsigned long long)t->classes,
                (unsigned long long)CLASSES_MAX);
        if (t->have_range &&
            (t->lmin < 0 || (uint64_t)t->lmax >= t->classes)) {
            int64_t bad = t->lmin < 0 ? t->lmin : t->lmax;
            uint64_t row = 0;
            if (in->whole) { /* find its row */
                int64_t v;
                size_t esize = nn_dtype_size(t->in_dtype);
                for (row = 0; row < in->rows; row++) {
                    nn_convert(&v, NN_I64, in->whole + row * esize,
                               t->in_dtype, 1);
                    if (v == bad)
                        break;
                }
                die_label(t, bad, row);
            }
            nn_die("%s: label %lld is outside [0,%llu) of --onehot", in->name,
                (long long)bad, (unsigned long long)t->classes);
        }
        t->dtype = NN_F32;
        t->rank = 2;
        t->dims[1] = t->classes;
    } else if (t->label) {
        t->dtype = t->in_dtype;
    } else {
        t->dtype = o->dtype                ? o->dtype
                   : o->scaled             ? NN_F32
                   : in->fmt == FMT_CSV    ? NN_F32
                                           : t->in_dtype;
        t->scaled = o->scaled;
        t->scale = o->scale;
    }
    t->out_elems = t->onehot ? t->classes : t->in_elems;

    attr(t, "producer", "nn-import " NN_VERSION);
    const char *base = strcmp(in->path, "-") ? strrchr(in->path, '/') : NULL;
    char source[NN_NAME_MAX + 1];
    snprintf(source, sizeof source, "%s",
             strcmp(in->path, "-") == 0 ? "stdin" : base ? base + 1 : in->path);
    for (char *c = source; *c; c++)
        if (*c == '\n')
            *c = '?';
    attr(t, "source", source);
    if (in->fmt == FMT_IDX && (in->h.rank == 3 || in->h.rank == 4)) {
        /* rows of HxW or HxWxC images (formats/nns.md, attribute image) */
        char image[200];
        attr(t, "image", nn_dims_format(image, sizeof image, in->h.rank - 1,
                                        in->h.dims + 1));
    }
    if (in->columns && !t->part)
        attr(t, "columns", in->columns);
    if (t->label) {
        char k[32];
        snprintf(k, sizeof k, "%llu", (unsigned long long)t->classes);
        attr(t, "encoding", t->onehot ? "onehot" : "index");
        if (t->classes)
            attr(t, "classes", k);
    }
}

/* Allocates what blocks of `rows` rows need. */
static void tensor_buffers(tensor *t, size_t rows)
{
    size_t esize = nn_dtype_size(t->dtype);
    if (t->onehot) {
        t->tmp = nn_xalloc(rows, sizeof(int64_t), "labels");
        t->out = nn_xalloc(rows * t->out_elems, esize, "one-hot block");
    } else if (t->scaled) {
        t->out = nn_xalloc(rows * t->out_elems, esize, "block");
        if (t->dtype != NN_F64)
            t->tmp = nn_xalloc(rows * t->out_elems, sizeof(double), "block");
    } else if (t->dtype != t->in_dtype) {
        t->out = nn_xalloc(rows * t->out_elems, esize, "block");
    }
}

/* The block of n rows of t, converted as the options ask. */
static const void *tensor_block(tensor *t, size_t n)
{
    const void *raw = t->in->cur[t->part];
    size_t ne = n * t->in_elems;
    if (t->onehot) {
        int64_t *lab = t->tmp;
        float *o = t->out;
        nn_convert(lab, NN_I64, raw, t->in_dtype, n);
        memset(o, 0, n * t->classes * sizeof *o);
        for (size_t i = 0; i < n; i++) {
            if (lab[i] < 0 || (uint64_t)lab[i] >= t->classes)
                die_label(t, lab[i], t->in->done - n + i);
            o[i * t->classes + lab[i]] = 1;
        }
        return o;
    }
    if (t->scaled) {
        double *d = t->dtype == NN_F64 ? t->out : t->tmp;
        nn_convert(d, NN_F64, raw, t->in_dtype, ne);
        for (size_t i = 0; i < ne; i++)
            d[i] *= t->scale;
        if (t->dtype != NN_F64)
            nn_convert(t->out, t->dtype, d, NN_F64, ne);
        return t->out;
    }
    if (t->dtype == t->in_dtype)
        return raw;
    nn_convert(t->out, t->dtype, raw, t->in_dtype, ne);
    return t->out;
}

/* ------------------------------------------------------------------ import */

/* The inputs and the tensors made of them (a CSV file with --label-column
 * gives two), and the rows per block written. */
typedef struct import {
    input *ins;
    int ninputs;
    tensor *ts;
    int nt;
    const input *known;         /* the first input whose row count is known */
    size_t rows;
} import;

static int valid_name(const char *s, size_t n)
{
    return n >= 1 && n <= NN_NAME_MAX && !memchr(s, '\n', n) &&
           !memchr(s, '/', n);
}

/* Names the tensors and the inputs' paths from the operands, before
 * anything is opened; a clash is a usage error. */
static void import_plan(const options *o, import *im)
{
    *im = (import){.ninputs = o->nargs};
    im->ins = nn_xalloc(o->nargs, sizeof *im->ins, "inputs");
    im->ts = nn_xalloc(o->nargs + 1, sizeof *im->ts, "tensors");
    int stdin_used = 0;
    for (int i = 0; i < o->nargs; i++) {
        const char *arg = o->args[i], *eq = strchr(arg, '='), *path = arg;
        tensor *t = &im->ts[im->nt++];
        if (eq && valid_name(arg, eq - arg)) {
            memcpy(t->name, arg, eq - arg);
            if (!*(path = eq + 1))
                nn_usage_error("no FILE after '%s'", arg);
        } else if (i < 2) {
            strcpy(t->name, i ? "y" : "x");
        } else {
            snprintf(t->name, sizeof t->name, "t%d", i);
        }
        im->ins[i].path = path;
        t->in = &im->ins[i];
        if (strcmp(path, "-") == 0 && stdin_used++)
            nn_usage_error("standard input ('-') given twice");
        if (o->label_col >= 0) {
            tensor *y = &im->ts[im->nt++];
            strcpy(y->name, "y");
            y->in = &im->ins[i];
            y->part = 1;
        }
    }
    for (int i = 0; i < im->nt; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(im->ts[i].name, im->ts[j].name) == 0)
                nn_usage_error("two tensors named '%s'", im->ts[i].name);
}

/* Opens every input, working out its format and reading its header, and
 * checks that the row counts known agree. */
static void inputs_open(const options *o, import *im)
{
    for (int i = 0; i < im->ninputs; i++)
        input_open(o, &im->ins[i], im->ins[i].path);
    const input *known = NULL;
    for (int i = 0; i < im->ninputs; i++) {
        const input *in = &im->ins[i];
        if (!in->rows_known)
            continue;
        if (known && in->rows != known->rows)
            nn_die("%s has %llu rows but %s has %llu", known->name,
                (unsigned long long)known->rows, in->name,
                (unsigned long long)in->rows);
        known = known ? known : in;
    }
    im->known = known;
}

/* Decides every tensor, then the rows per block (the widest tensor's near
 * NN_CHUNK_BYTES), and allocates the blocks. */
static void tensors_setup(const options *o, import *im)
{
    int any_label = 0;
    size_t widest = 0;
    for (int i = 0; i < im->nt; i++) {
        tensor *t = &im->ts[i];
        tensor_setup(o, t);
        any_label |= t->label;
        size_t w = t->out_elems * nn_dtype_size(t->dtype);
        if (w > ROW_MAX)
            nn_die("%s: rows of %zu bytes are too large", t->in->name, w);
        widest = w > widest ? w : widest;
    }
    if (o->onehot && !any_label)
        nn_die("--onehot: no input is a rank-1 integer (label) tensor");
    size_t rows = im->rows = nn_chunk_rows(widest);
    for (int i = 0; i < im->ninputs; i++) {
        input *in = &im->ins[i];
        if (in->fmt == FMT_CSV) {
            in->feat = nn_xalloc(rows * in->row_elems, sizeof(double),
                                 "block");
            if (in->label_col >= 0)
                in->labels = nn_xalloc(rows, sizeof(int32_t), "block");
        } else if (!in->whole || in->fortran) {
            in->block = nn_xalloc(rows, in->row_bytes, "block");
        }
    }
    for (int i = 0; i < im->nt; i++)
        tensor_buffers(&im->ts[i], im->rows);
}

/* Reads the next block of up to want rows of every input; returns how
 * many rows, the same for all (an input that ends early dies). */
static uint64_t inputs_read(import *im, uint64_t want)
{
    uint64_t n = 0;
    for (int i = 0; i < im->ninputs; i++) {
        uint64_t got = input_read(&im->ins[i], want);
        if (i == 0) {
            n = got;
        } else if (got != n) { /* only CSV inputs end unannounced */
            const input *a = got < n ? &im->ins[i] : &im->ins[0];
            const input *b = got < n ? &im->ins[0] : &im->ins[i];
            nn_die("%s ends after %llu rows, but %s has more", a->name,
                (unsigned long long)a->done, b->name);
        }
    }
    return n;
}

/* Writes the tensors block by block, interleaved, to w; 0, or -1 with the
 * message in e (bad input dies where it is found). */
static int import_convert(const options *o, import *im, nn_writer *w,
                          nn_error *e)
{
    const input *known = im->known;
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, o->progress);
    uint64_t done = 0;
    for (int first = 1;; first = 0) {
        uint64_t want = im->rows;
        if (known && known->rows - done < want)
            want = known->rows - done;
        uint64_t n = inputs_read(im, want);
        if (n == 0 && !first)
            break;
        int last = n < want || (known && done + n == known->rows);
        for (int i = 0; i < im->ninputs && known && last; i++)
            if (!im->ins[i].rows_known && input_read(&im->ins[i], 1))
                nn_die("%s has more rows than %s (%llu)", im->ins[i].name,
                    known->name, (unsigned long long)known->rows);
        for (int i = 0; i < im->nt; i++) {
            tensor *t = &im->ts[i];
            nn_header h = {.name = t->name, .dtype = t->dtype,
                           .rank = t->rank, .attrs = t->attrs};
            memcpy(h.dims, t->dims, sizeof h.dims);
            h.dims[0] = n;
            if (nn_writer_rows(w, &h, tensor_block(t, n), e) < 0)
                return -1;
        }
        done += n;
        nn_progress_update(&prog, done, known ? known->rows : 0, "rows");
        if (last)
            break;
    }
    nn_progress_end(&prog);
    return 0;
}

static void import_free(import *im)
{
    for (int i = 0; i < im->nt; i++) {
        free(im->ts[i].attrs);
        free(im->ts[i].out);
        free(im->ts[i].tmp);
    }
    for (int i = 0; i < im->ninputs; i++)
        input_close(&im->ins[i]);
    free(im->ins);
    free(im->ts);
}

/* -------------------------------------------------------------------- main */

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'},
        {"dtype", required_argument, 0, 't'},
        {"scale", required_argument, 0, OPT_SCALE},
        {"onehot", optional_argument, 0, OPT_ONEHOT},
        {"label-column", required_argument, 0, OPT_LABEL_COLUMN},
        {"delimiter", required_argument, 0, OPT_DELIMITER},
        {"header", no_argument, 0, OPT_HEADER},
        {"no-header", no_argument, 0, OPT_NO_HEADER},
        {"no-flatten", no_argument, 0, OPT_NO_FLATTEN},
        NN_LONGOPTS_OUTPUT,
        {"progress", no_argument, 0, 'P'},
        NN_LONGOPTS_END};
    *o = (options){.scale = 1, .label_col = -1,
                   .header = NN_CSV_HEADER_AUTO, .flatten = 1};
    int c;
    while ((c = getopt_long(argc, argv, ":f:t:o:z::PhV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            o->format = FMT_IDX + nn_arg_choice("format", optarg, fmt_args);
            break;
        case 't': o->dtype = nn_arg_dtype("dtype", optarg, 0); break;
        case OPT_SCALE:
            o->scale = nn_arg_double("scale", optarg, -INFINITY, INFINITY);
            o->scaled = 1;
            break;
        case OPT_ONEHOT:
            o->onehot = 1;
            if (optarg)
                o->classes = nn_arg_u64("onehot", optarg, 1, CLASSES_MAX);
            break;
        case OPT_LABEL_COLUMN:
            o->label_col = (long)nn_arg_u64("label-column", optarg, 0,
                                            INT_MAX);
            break;
        case OPT_DELIMITER: o->delim = nn_arg_delimiter("delimiter", optarg); break;
        case OPT_HEADER: o->header = NN_CSV_HEADER_YES; break;
        case OPT_NO_HEADER: o->header = NN_CSV_HEADER_NO; break;
        case OPT_NO_FLATTEN: o->flatten = 0; break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        case 'P': o->progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    o->args = argv + optind;
    o->nargs = argc - optind;
    if (o->nargs < 1)
        nn_usage_error("no input FILE (use '-' for standard input)");
    if (o->label_col >= 0 && o->nargs > 1)
        nn_usage_error("--label-column takes a single FILE");
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-import");
    options o;
    parse(argc, argv, &o);
    import im;
    import_plan(&o, &im);
    /* Every header is read and checked before anything is written. */
    inputs_open(&o, &im);
    tensors_setup(&o, &im);

    nn_error e;
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, o.level);
    if (import_convert(&o, &im, w, &e) < 0 || nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    import_free(&im);
    return 0;
}

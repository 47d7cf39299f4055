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
    "  -f, --format FMT       read every file as idx, npy or csv (default: guess)\n"
    "  -t, --dtype TYPE       convert non-label tensors to TYPE (u8 ... f64)\n"
    "      --scale S          multiply non-label tensors by S (e.g. 1/255);\n"
    "                         the result is f32 unless -t says otherwise\n"
    "      --onehot[=K]       one-hot encode rank-1 integer (label) tensors as\n"
    "                         f32 (n,K); K defaults to the largest label + 1\n"
    "      --label-column N   split CSV column N (0-based) into the labels y\n"
    "  -d, --delimiter C      CSV separator: a character, 'tab' or 'space'\n"
    "                         (default: guessed from the first line)\n"
    "      --header           the first line of a CSV file is a header\n"
    "      --no-header        the first line of a CSV file is data (default:\n"
    "                         a header if none of its fields is a number)\n"
    "      --no-flatten       keep IDX images (n,H,W) instead of (n,H*W)\n"
    "  -o, --output FILE      write to FILE instead of standard output\n"
    "  -z, --zstd[=LEVEL]     compress records with zstd (level 1-22, default 3)\n"
    "      --progress         report progress on stderr even when not a terminal\n"
    "  -h, --help             show this help and exit\n"
    "      --version          show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 unreadable or malformed input, 2 usage error.\n"
    "See nn-import(1) and nns(5).\n";

enum { OPT_SCALE = 256, OPT_ONEHOT, OPT_LABEL_COLUMN, OPT_HEADER,
       OPT_NO_HEADER, OPT_NO_FLATTEN, OPT_PROGRESS };
enum { FMT_AUTO, FMT_IDX, FMT_NPY, FMT_CSV };
static const char *const fmt_names[] = {"?", "IDX", "npy", "CSV"};

#define ROW_MAX ((size_t)256 << 20)     /* largest row of any tensor, bytes */
#define LOAD_MAX ((uint64_t)64 << 20)   /* label inputs read whole up to this */
#define CLASSES_MAX ((uint64_t)1 << 20)
#define COLUMNS_MAX 4096                /* longest `columns` attribute */

static int opt_format = FMT_AUTO, opt_dtype, opt_onehot, opt_flatten = 1;
static int opt_progress, opt_level, opt_delim, opt_header = NN_CSV_HEADER_AUTO;
static long opt_label_col = -1;
static uint64_t opt_classes;
static double opt_scale = 1;
static int opt_scaled;

static void *xalloc(size_t n, size_t size, const char *what)
{
    nn_error e;
    void *p = nn_alloc(n, size, what, &e);
    if (!p)
        nn_die("%s", e.msg);
    return p;
}

/* ------------------------------------------------------------------ inputs */

typedef struct input {
    const char *path;           /* as given; "-" is stdin */
    const char *name;           /* for messages */
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

static void csv_open(input *in)
{
    nn_error e;
    if (!(in->csv = nn_csv_open(in->s, opt_delim, opt_header, &e)))
        nn_die("%s", e.msg);
    size_t ncols = nn_csv_columns(in->csv);
    if (opt_label_col >= 0 && (size_t)opt_label_col >= ncols)
        nn_die("%s: no column %ld for the labels: the file has %zu column%s",
            in->name, opt_label_col, ncols, ncols == 1 ? "" : "s");
    if (opt_label_col >= 0 && ncols < 2)
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
        char *c = in->columns = xalloc(len + 1, 1, "CSV header");
        *c = 0;
        for (size_t j = 0; j < ncols; j++)
            if ((long)j != opt_label_col)
                c += sprintf(c, "%s%s", c == in->columns ? "" : ",",
                             nn_csv_name(in->csv, j));
    }
    in->h.dtype = NN_F64;
    in->h.rank = 2;
    in->h.dims[1] = ncols - (opt_label_col >= 0);
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
    if (opt_label_col < 0) {
        memcpy(feat, v, n * sizeof *v);
        return 1;
    }
    size_t k = (size_t)opt_label_col;
    memcpy(feat, v, k * sizeof *v);
    memcpy(feat + k, v + k + 1, (n - k - 1) * sizeof *v);
    if (!(v[k] >= INT32_MIN && v[k] <= INT32_MAX) || v[k] != floor(v[k]))
        nn_die("%s: line %llu: label '%.40s' is not an integer", in->name,
            (unsigned long long)nn_csv_line(in->csv),
            nn_csv_field(in->csv, k));
    *label = (int32_t)v[k];
    return 1;
}

static void input_open(input *in, const char *path)
{
    nn_error e;
    in->path = path;
    in->name = strcmp(path, "-") ? path : "stdin";
    if (!(in->s = nn_source_open(path, &e)))
        nn_die("%s", e.msg);
    in->fmt = opt_format;
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
        csv_open(in);
    else
        array_open(in);
    if (opt_label_col >= 0 && in->fmt != FMT_CSV)
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
    in->whole = xalloc(bytes, 1, in->name);
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
static void csv_label_range(tensor *t)
{
    input probe;
    memset(&probe, 0, sizeof probe);
    input_open(&probe, t->in->path);
    double *feat = xalloc(probe.row_elems, sizeof(double), "CSV row");
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

/* Decides the output of tensor t: type, shape, labels, attributes. */
static void tensor_setup(tensor *t)
{
    input *in = t->in;
    t->in_elems = t->part ? 1 : in->row_elems;
    t->in_dtype = t->part ? NN_I32 : in->h.dtype;
    if (t->part) {
        t->rank = 1;
    } else if (in->fmt == FMT_IDX && in->h.rank > 2 && opt_flatten) {
        t->rank = 2;
        t->dims[1] = in->row_elems;
    } else {
        t->rank = in->h.rank;
        memcpy(t->dims, in->h.dims, sizeof t->dims);
    }
    int is_int = !nn_dtype_is_float(t->in_dtype);
    t->label = t->rank == 1 && is_int;
    if (opt_onehot && t->rank == 1 && !is_int)
        nn_die("%s: --onehot needs integer labels, but this rank-1 input is %s",
            in->name, nn_dtype_name(t->in_dtype));
    t->onehot = opt_onehot && t->label;
    if (t->label && in->fmt != FMT_CSV && in->rows * in->row_bytes <= LOAD_MAX) {
        input_load(in);
        label_range(t);
    } else if (t->onehot && !opt_classes && in->fmt == FMT_CSV) {
        if (!nn_source_reopenable(in->s))
            nn_die("%s: --onehot needs K (--onehot=K) for labels of a CSV file "
                "that cannot be read twice", in->name);
        csv_label_range(t);
    } else if (in->fortran) {
        input_load(in);
    }
    if (t->label && t->have_range && t->lmin >= 0 &&
        (uint64_t)t->lmax < UINT64_MAX)
        t->classes = (uint64_t)t->lmax + 1;
    if (t->onehot) {
        if (opt_classes) {
            t->classes = opt_classes;
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
        t->dtype = opt_dtype               ? opt_dtype
                   : opt_scaled            ? NN_F32
                   : in->fmt == FMT_CSV    ? NN_F32
                                           : t->in_dtype;
        t->scaled = opt_scaled;
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
        t->tmp = xalloc(rows, sizeof(int64_t), "labels");
        t->out = xalloc(rows * t->out_elems, esize, "one-hot block");
    } else if (t->scaled) {
        t->out = xalloc(rows * t->out_elems, esize, "block");
        if (t->dtype != NN_F64)
            t->tmp = xalloc(rows * t->out_elems, sizeof(double), "block");
    } else if (t->dtype != t->in_dtype) {
        t->out = xalloc(rows * t->out_elems, esize, "block");
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
            d[i] *= opt_scale;
        if (t->dtype != NN_F64)
            nn_convert(t->out, t->dtype, d, NN_F64, ne);
        return t->out;
    }
    if (t->dtype == t->in_dtype)
        return raw;
    nn_convert(t->out, t->dtype, raw, t->in_dtype, ne);
    return t->out;
}

/* -------------------------------------------------------------------- main */

static int valid_name(const char *s, size_t n)
{
    return n >= 1 && n <= NN_NAME_MAX && !memchr(s, '\n', n) &&
           !memchr(s, '/', n);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-import");
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'},
        {"dtype", required_argument, 0, 't'},
        {"scale", required_argument, 0, OPT_SCALE},
        {"onehot", optional_argument, 0, OPT_ONEHOT},
        {"label-column", required_argument, 0, OPT_LABEL_COLUMN},
        {"delimiter", required_argument, 0, 'd'},
        {"header", no_argument, 0, OPT_HEADER},
        {"no-header", no_argument, 0, OPT_NO_HEADER},
        {"no-flatten", no_argument, 0, OPT_NO_FLATTEN},
        NN_LONGOPTS_OUTPUT,
        {"progress", no_argument, 0, OPT_PROGRESS},
        NN_LONGOPTS_END};
    const char *out_path = NULL;
    nn_error e;
    int c;
    uint64_t u;
    while ((c = getopt_long(argc, argv, ":f:t:d:o:z::hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "idx") == 0)
                opt_format = FMT_IDX;
            else if (strcmp(optarg, "npy") == 0)
                opt_format = FMT_NPY;
            else if (strcmp(optarg, "csv") == 0)
                opt_format = FMT_CSV;
            else
                nn_usage_error("unknown format '%s' (idx, npy or csv)", optarg);
            break;
        case 't':
            if (!(opt_dtype = nn_dtype_parse(optarg)))
                nn_usage_error("unknown dtype '%s'", optarg);
            break;
        case OPT_SCALE:
            if (nn_parse_double(optarg, &opt_scale) < 0 || !isfinite(opt_scale))
                nn_usage_error("--scale needs a number, not '%s'", optarg);
            opt_scaled = 1;
            break;
        case OPT_ONEHOT:
            opt_onehot = 1;
            if (optarg && (nn_parse_u64(optarg, &opt_classes) < 0 ||
                           opt_classes < 1 || opt_classes > CLASSES_MAX))
                nn_usage_error("--onehot=K needs K from 1 to %llu, not '%s'",
                               (unsigned long long)CLASSES_MAX, optarg);
            break;
        case OPT_LABEL_COLUMN:
            if (nn_parse_u64(optarg, &u) < 0 || u > INT_MAX)
                nn_usage_error("--label-column needs a column number, not '%s'",
                               optarg);
            opt_label_col = (long)u;
            break;
        case 'd':
            if (nn_delim_parse(optarg, &opt_delim, &e) < 0)
                nn_usage_error("%s", e.msg);
            break;
        case OPT_HEADER: opt_header = NN_CSV_HEADER_YES; break;
        case OPT_NO_HEADER: opt_header = NN_CSV_HEADER_NO; break;
        case OPT_NO_FLATTEN: opt_flatten = 0; break;
        case 'o': out_path = optarg; break;
        case 'z': opt_level = nn_zstd_level_arg(optarg); break;
        case OPT_PROGRESS: opt_progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    int ninputs = argc - optind;
    if (ninputs < 1)
        nn_usage_error("no input FILE (use '-' for standard input)");
    if (opt_label_col >= 0 && ninputs > 1)
        nn_usage_error("--label-column takes a single FILE");

    /* names and paths, before anything is opened */
    input *ins = calloc(ninputs, sizeof *ins);
    tensor *ts = calloc(ninputs + 1, sizeof *ts);
    if (!ins || !ts)
        nn_die("out of memory");
    const char **paths = (const char **)argv + optind;
    int nt = 0, stdin_used = 0;
    for (int i = 0; i < ninputs; i++) {
        const char *arg = paths[i], *eq = strchr(arg, '=');
        tensor *t = &ts[nt++];
        if (eq && valid_name(arg, eq - arg)) {
            memcpy(t->name, arg, eq - arg);
            paths[i] = eq + 1;
            if (!*paths[i])
                nn_usage_error("no FILE after '%s'", arg);
        } else if (i < 2) {
            strcpy(t->name, i ? "y" : "x");
        } else {
            snprintf(t->name, sizeof t->name, "t%d", i);
        }
        t->in = &ins[i];
        if (strcmp(paths[i], "-") == 0 && stdin_used++)
            nn_usage_error("standard input ('-') given twice");
        if (opt_label_col >= 0) {
            tensor *y = &ts[nt++];
            strcpy(y->name, "y");
            y->in = &ins[i];
            y->part = 1;
        }
    }
    for (int i = 0; i < nt; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(ts[i].name, ts[j].name) == 0)
                nn_usage_error("two tensors named '%s'", ts[i].name);

    /* Every header is read and checked before anything is written. */
    for (int i = 0; i < ninputs; i++)
        input_open(&ins[i], paths[i]);
    input *known = NULL;
    for (int i = 0; i < ninputs; i++) {
        if (!ins[i].rows_known)
            continue;
        if (known && ins[i].rows != known->rows)
            nn_die("%s has %llu rows but %s has %llu", known->name,
                (unsigned long long)known->rows, ins[i].name,
                (unsigned long long)ins[i].rows);
        known = known ? known : &ins[i];
    }
    int any_label = 0;
    size_t widest = 0;
    for (int i = 0; i < nt; i++) {
        tensor_setup(&ts[i]);
        any_label |= ts[i].label;
        size_t w = ts[i].out_elems * nn_dtype_size(ts[i].dtype);
        if (w > ROW_MAX)
            nn_die("%s: rows of %zu bytes are too large", ts[i].in->name, w);
        widest = w > widest ? w : widest;
    }
    if (opt_onehot && !any_label)
        nn_die("--onehot: no input is a rank-1 integer (label) tensor");
    size_t rows = nn_chunk_rows(widest);
    for (int i = 0; i < ninputs; i++) {
        input *in = &ins[i];
        if (in->fmt == FMT_CSV) {
            in->feat = xalloc(rows * in->row_elems, sizeof(double), "block");
            if (opt_label_col >= 0)
                in->labels = xalloc(rows, sizeof(int32_t), "block");
        } else if (!in->whole || in->fortran) {
            in->block = xalloc(rows, in->row_bytes, "block");
        }
    }
    for (int i = 0; i < nt; i++)
        tensor_buffers(&ts[i], rows);

    nn_writer *writer = nn_writer_open(out_path, 0, &e);
    if (!writer)
        nn_die("%s", e.msg);
    nn_writer_set_compression(writer, opt_level);
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, opt_progress);
    uint64_t done = 0;
    for (int first = 1;; first = 0) {
        uint64_t want = rows;
        if (known && known->rows - done < want)
            want = known->rows - done;
        uint64_t n = 0;
        for (int i = 0; i < ninputs; i++) {
            uint64_t got = input_read(&ins[i], want);
            if (i == 0)
                n = got;
            else if (got != n) { /* only CSV inputs end unannounced */
                input *a = got < n ? &ins[i] : &ins[0];
                input *b = got < n ? &ins[0] : &ins[i];
                nn_die("%s ends after %llu rows, but %s has more", a->name,
                    (unsigned long long)a->done, b->name);
            }
        }
        if (n == 0 && !first)
            break;
        int last = n < want || (known && done + n == known->rows);
        for (int i = 0; i < ninputs && known && last; i++)
            if (!ins[i].rows_known && input_read(&ins[i], 1))
                nn_die("%s has more rows than %s (%llu)", ins[i].name,
                    known->name, (unsigned long long)known->rows);
        for (int i = 0; i < nt; i++) {
            tensor *t = &ts[i];
            nn_header h = {.name = t->name, .dtype = t->dtype,
                           .rank = t->rank, .attrs = t->attrs};
            memcpy(h.dims, t->dims, sizeof h.dims);
            h.dims[0] = n;
            if (nn_writer_rows(writer, &h, tensor_block(t, n), &e) < 0)
                nn_die("%s", e.msg);
        }
        done += n;
        nn_progress_update(&prog, done, known ? known->rows : 0, "rows");
        if (last)
            break;
    }
    nn_progress_end(&prog);
    if (nn_writer_close(writer, 1, &e) < 0)
        nn_die("%s", e.msg);
    for (int i = 0; i < nt; i++) {
        free(ts[i].attrs);
        free(ts[i].out);
        free(ts[i].tmp);
    }
    for (int i = 0; i < ninputs; i++)
        input_close(&ins[i]);
    free(ins);
    free(ts);
    return 0;
}

/* nn-import — IDX (MNIST), NumPy .npy and CSV files to an NNS stream.  Each
 * file becomes a tensor; all are read and written a block of rows at a time,
 * the blocks of the tensors interleaved, so memory stays bounded whatever the
 * size of the inputs.  gzip input is decompressed on the fly by zlib. */
#include "nn.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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
    "      --no-flatten       keep IDX images (n,H,W) instead of (n,H*W)\n"
    "  -o, --output FILE      write to FILE instead of standard output\n"
    "  -z, --zstd[=LEVEL]     compress records with zstd (level 1-22, default 3)\n"
    "      --progress         report progress on stderr even when not a terminal\n"
    "  -h, --help             show this help and exit\n"
    "      --version          show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 unreadable or malformed input, 2 usage error.\n"
    "See nn-import(1) and nns(5).\n";

enum { OPT_SCALE = 256, OPT_ONEHOT, OPT_LABEL_COLUMN, OPT_NO_FLATTEN,
       OPT_PROGRESS, OPT_VERSION };
enum { FMT_AUTO, FMT_IDX, FMT_NPY, FMT_CSV };
static const char *const fmt_names[] = {"?", "IDX", "npy", "CSV"};

#define ROW_MAX ((size_t)256 << 20)     /* largest row of any tensor, bytes */
#define LOAD_MAX ((uint64_t)64 << 20)   /* label inputs read whole up to this */
#define LINE_MAX_BYTES ((size_t)64 << 20)
#define CLASSES_MAX ((uint64_t)1 << 20)
#define COLUMNS_MAX 4096                /* longest `columns` attribute */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_LE 0
#else
#define HOST_LE 1
#endif

static int opt_format = FMT_AUTO, opt_dtype, opt_onehot, opt_flatten = 1;
static int opt_progress, opt_level, opt_delim;
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

/* ------------------------------------------------------------ byte source */

/* A file read through zlib (which passes plain files through), with a
 * buffer for peeking at headers and reading lines. */
typedef struct src {
    gzFile gz;
    const char *name;
    unsigned char *buf;
    size_t pos, len, cap;
    uint64_t base;     /* offset in the (decompressed) file of buf[0] */
    int eof;
    int64_t size;      /* bytes left in an uncompressed regular file, or -1 */
    int regular;
} src;

static void gz_check(src *s, int n)
{
    int err;
    const char *m = gzerror(s->gz, &err);
    if (n < 0 && err == Z_ERRNO)
        nn_die("%s: %s", s->name, strerror(errno));
    if (n < 0)
        nn_die("%s: gzip: %s", s->name, m);
    if (err == Z_BUF_ERROR) /* the end of a gzip member is missing */
        nn_die("%s: truncated gzip data", s->name);
}

/* Makes at least `want` bytes available at buf+pos, unless the file ends. */
static void src_fill(src *s, size_t want)
{
    if (s->len - s->pos >= want || s->eof)
        return;
    if (s->pos) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->base += s->pos;
        s->len -= s->pos;
        s->pos = 0;
    }
    if (want + 1 > s->cap) { /* one spare byte for a line's NUL */
        size_t c = 2 * s->cap > want + 1 ? 2 * s->cap : want + 1;
        unsigned char *b = realloc(s->buf, c);
        if (!b)
            nn_die("%s: out of memory", s->name);
        s->buf = b;
        s->cap = c;
    }
    while (s->len < want && !s->eof) {
        size_t room = s->cap - 1 - s->len;
        int n = gzread(s->gz, s->buf + s->len,
                       (unsigned)(room > INT_MAX / 2 ? INT_MAX / 2 : room));
        if (n <= 0) {
            gz_check(s, n);
            s->eof = 1;
        }
        s->len += n > 0 ? (size_t)n : 0;
    }
}

static size_t src_avail(const src *s) { return s->len - s->pos; }

/* Reads n bytes into dst; returns how many there were. */
static size_t src_read(src *s, void *dst, size_t n)
{
    size_t got = src_avail(s) < n ? src_avail(s) : n;
    memcpy(dst, s->buf + s->pos, got);
    s->pos += got;
    if (got < n) { /* the buffer is empty: read straight into dst */
        s->base += s->len;
        s->pos = s->len = 0;
    }
    while (got < n && !s->eof) {
        size_t want = n - got > (1u << 30) ? 1u << 30 : n - got;
        int r = gzread(s->gz, (char *)dst + got, (unsigned)want);
        if (r <= 0) {
            gz_check(s, r);
            s->eof = 1;
        }
        got += r > 0 ? (size_t)r : 0;
        s->base += r > 0 ? (size_t)r : 0;
    }
    return got;
}

/* The next line, without "\n" or "\r\n", NUL-terminated in the buffer
 * (valid until the next read).  Returns 0 at the end of the file. */
static int src_line(src *s, char **line, uint64_t lineno)
{
    size_t scanned = 0, n;
    for (;;) {
        unsigned char *p = s->buf + s->pos;
        unsigned char *nl = memchr(p + scanned, '\n', src_avail(s) - scanned);
        if (nl) {
            n = nl - p;
            s->pos += n + 1;
            break;
        }
        if (s->eof) {
            if (!src_avail(s))
                return 0;
            n = src_avail(s);
            s->pos = s->len;
            break;
        }
        scanned = src_avail(s);
        if (scanned > LINE_MAX_BYTES)
            nn_die("%s: line %llu is longer than %zu MiB", s->name,
                (unsigned long long)lineno, LINE_MAX_BYTES >> 20);
        src_fill(s, scanned + 1);
    }
    char *l = (char *)s->buf + s->pos - n - (s->buf[s->pos - 1] == '\n');
    l[n] = 0;
    if (memchr(l, 0, n))
        nn_die("%s: line %llu contains a NUL byte (not a text file?)", s->name,
            (unsigned long long)lineno);
    if (n && l[n - 1] == '\r')
        l[n - 1] = 0;
    *line = l;
    return 1;
}

static void src_open(src *s, const char *path, const char *name)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->size = -1;
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY);
    if (fd < 0)
        nn_die("%s: %s", name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            nn_die("%s: is a directory", name);
        }
        off_t at = lseek(fd, 0, SEEK_CUR);
        if (S_ISREG(st.st_mode) && at >= 0 && at <= st.st_size) {
            s->size = st.st_size - at;
            s->regular = strcmp(path, "-") != 0;
        }
    }
    if (!(s->gz = gzdopen(fd, "rb"))) {
        close(fd);
        nn_die("%s: out of memory", name);
    }
    gzbuffer(s->gz, 1 << 17);
    if (!(s->buf = malloc(s->cap = 1 << 16)))
        nn_die("%s: out of memory", name);
    src_fill(s, 1);
    if (!gzdirect(s->gz))
        s->size = -1; /* compressed: the size says nothing */
}

static void src_close(src *s)
{
    if (s->gz)
        gzclose(s->gz);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ inputs */

typedef struct input {
    const char *path;           /* as given; "-" is stdin */
    const char *name;           /* for messages */
    src s;
    int fmt;
    int dtype, swap, fortran;   /* IDX and npy elements */
    int rank;
    uint64_t dims[NN_MAX_RANK]; /* dims[0] = rows when known */
    size_t row_elems, row_bytes;
    int rows_known;
    uint64_t rows, done;
    unsigned char *whole;       /* all the data, when read whole */
    unsigned char *block;       /* one block of rows */
    const void *cur[2];         /* the last block: data, CSV labels */
    /* CSV */
    int delim;                  /* ',', '\t', ';', ... or ' ' for blank runs */
    size_t ncols;
    char **fields;
    char *columns;              /* header names joined with ',', or NULL */
    uint64_t line;              /* lines read */
    double *first;              /* the first data row, read by csv_open */
    int32_t first_label;
    int have_first;
    double *feat;               /* a block of (rows, ncols - has label) */
    int32_t *labels;
} input;

static uint64_t be32(const unsigned char *p)
{
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 |
           p[3];
}

static void swap_bytes(void *p, size_t n, size_t size)
{
    if (size == 2) {
        uint16_t *q = p;
        for (size_t i = 0; i < n; i++)
            q[i] = __builtin_bswap16(q[i]);
    } else if (size == 4) {
        uint32_t *q = p;
        for (size_t i = 0; i < n; i++)
            q[i] = __builtin_bswap32(q[i]);
    } else if (size == 8) {
        uint64_t *q = p;
        for (size_t i = 0; i < n; i++)
            q[i] = __builtin_bswap64(q[i]);
    }
}

/* Checks the shape in in->dims before anything is allocated for it, and
 * that an uncompressed file holds exactly the data it announces. */
static void check_shape(input *in)
{
    char shape[200];
    nn_shape_str(shape, sizeof shape, in->rank, in->dims);
    size_t esize = nn_dtype_size(in->dtype);
    uint64_t elems = 1;
    for (int i = 1; i < in->rank; i++) {
        if (in->dims[i] && elems > UINT64_MAX / in->dims[i])
            nn_die("%s: shape %s is too large", in->name, shape);
        elems *= in->dims[i];
    }
    if (elems > ROW_MAX / esize)
        nn_die("%s: shape %s: rows of %llu elements are too large (limit %zu "
            "MiB per row)", in->name, shape, (unsigned long long)elems,
            ROW_MAX >> 20);
    in->row_elems = elems;
    in->row_bytes = elems * esize;
    if (in->row_bytes && in->dims[0] > UINT64_MAX / in->row_bytes)
        nn_die("%s: shape %s is too large", in->name, shape);
    uint64_t bytes = in->dims[0] * in->row_bytes;
    in->rows = in->dims[0];
    in->rows_known = 1;
    if (in->s.size < 0)
        return;
    uint64_t left = in->s.size - (in->s.base + in->s.pos); /* after the header */
    if (left < bytes)
        nn_die("%s: truncated: the %s header announces %s %s, %llu bytes of data, "
            "but only %llu follow", in->name, fmt_names[in->fmt],
            nn_dtype_name(in->dtype), shape, (unsigned long long)bytes,
            (unsigned long long)left);
    if (left > bytes)
        nn_die("%s: %llu bytes after the %s data (the header announces %s %s)",
            in->name, (unsigned long long)(left - bytes), fmt_names[in->fmt],
            nn_dtype_name(in->dtype), shape);
}

static void idx_open(input *in)
{
    src *s = &in->s;
    src_fill(s, 4);
    const unsigned char *p = s->buf + s->pos;
    if (src_avail(s) < 4)
        nn_die("%s: truncated IDX header", in->name);
    if (p[0] || p[1])
        nn_die("%s: not an IDX file (bad magic %02x %02x)", in->name, p[0], p[1]);
    switch (p[2]) {
    case 0x08: in->dtype = NN_U8; break;
    case 0x09: in->dtype = NN_I8; break;
    case 0x0B: in->dtype = NN_I16; break;
    case 0x0C: in->dtype = NN_I32; break;
    case 0x0D: in->dtype = NN_F32; break;
    case 0x0E: in->dtype = NN_F64; break;
    default: nn_die("%s: unknown IDX type byte 0x%02x", in->name, p[2]);
    }
    in->rank = p[3];
    if (in->rank < 1 || in->rank > NN_MAX_RANK)
        nn_die("%s: IDX rank %d is not supported (1 to %d)", in->name, in->rank,
            NN_MAX_RANK);
    size_t hlen = 4 + 4 * (size_t)in->rank;
    src_fill(s, hlen);
    p = s->buf + s->pos;
    if (src_avail(s) < hlen)
        nn_die("%s: truncated IDX header", in->name);
    for (int i = 0; i < in->rank; i++)
        in->dims[i] = be32(p + 4 + 4 * i);
    s->pos += hlen;
    in->swap = HOST_LE && nn_dtype_size(in->dtype) > 1;
    check_shape(in);
}

/* The little Python literal parser an npy header needs. */
static const char *py_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *py_string(const char *p, char *out, size_t cap)
{
    char q = *p;
    if (q != '\'' && q != '"')
        return NULL;
    size_t n = 0;
    for (p++; *p && *p != q; p++)
        if (n + 1 < cap)
            out[n++] = *p;
    out[n] = 0;
    return *p == q ? p + 1 : NULL;
}

static int npy_descr(const char *d, int *dtype, int *swap)
{
    static const struct {
        const char *code;
        int dtype;
    } codes[] = {{"u1", NN_U8},  {"i1", NN_I8},  {"u2", NN_U16},
                 {"i2", NN_I16}, {"u4", NN_U32}, {"i4", NN_I32},
                 {"u8", NN_U64}, {"i8", NN_I64}, {"f4", NN_F32},
                 {"f8", NN_F64}};
    char order = d[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return -1;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (strcmp(d + 1, codes[i].code))
            continue;
        size_t size = nn_dtype_size(codes[i].dtype);
        if (order == '|' && size > 1)
            return -1;
        *dtype = codes[i].dtype;
        *swap = size > 1 && ((order == '<' && !HOST_LE) ||
                             (order == '>' && HOST_LE));
        return 0;
    }
    return -1;
}

static void npy_open(input *in)
{
    src *s = &in->s;
    src_fill(s, 12);
    const unsigned char *p = s->buf + s->pos;
    if (src_avail(s) < 10)
        nn_die("%s: truncated npy header", in->name);
    if (memcmp(p, "\x93NUMPY", 6))
        nn_die("%s: not an npy file (bad magic)", in->name);
    size_t pre, hlen;
    if (p[6] == 1) {
        pre = 10;
        hlen = p[8] | (size_t)p[9] << 8;
    } else if ((p[6] == 2 || p[6] == 3) && src_avail(s) >= 12) {
        pre = 12;
        hlen = p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 |
               (size_t)p[11] << 24;
    } else if (p[6] == 2 || p[6] == 3) {
        nn_die("%s: truncated npy header", in->name);
    } else {
        nn_die("%s: npy format version %d.%d is not supported (1.0 to 3.0)",
            in->name, p[6], p[7]);
    }
    if (hlen > (1u << 20))
        nn_die("%s: npy header of %zu bytes is too long", in->name, hlen);
    src_fill(s, pre + hlen);
    if (src_avail(s) < pre + hlen)
        nn_die("%s: truncated npy header", in->name);
    char *h = xalloc(hlen + 1, 1, "npy header");
    memcpy(h, s->buf + s->pos + pre, hlen);
    h[hlen] = 0;
    s->pos += pre + hlen;

    char key[64], descr[64] = "";
    int fortran = -1, have_shape = 0;
    const char *q = py_space(h);
    if (*q++ != '{')
        nn_die("%s: malformed npy header: no '{'", in->name);
    for (;;) {
        q = py_space(q);
        if (*q == '}')
            break;
        if (!(q = py_string(q, key, sizeof key)) || *(q = py_space(q)) != ':')
            nn_die("%s: malformed npy header", in->name);
        q = py_space(q + 1);
        if (strcmp(key, "descr") == 0) {
            if (*q == '[')
                nn_die("%s: npy structured arrays are not supported", in->name);
            if (!(q = py_string(q, descr, sizeof descr)))
                nn_die("%s: malformed npy header (descr)", in->name);
        } else if (strcmp(key, "fortran_order") == 0) {
            if (strncmp(q, "True", 4) == 0)
                fortran = 1, q += 4;
            else if (strncmp(q, "False", 5) == 0)
                fortran = 0, q += 5;
            else
                nn_die("%s: malformed npy header (fortran_order)", in->name);
        } else if (strcmp(key, "shape") == 0) {
            if (*q++ != '(')
                nn_die("%s: malformed npy header (shape)", in->name);
            in->rank = 0;
            for (;;) {
                q = py_space(q);
                if (*q == ')')
                    break;
                if (*q < '0' || *q > '9')
                    nn_die("%s: malformed npy header (shape)", in->name);
                errno = 0;
                char *end;
                unsigned long long v = strtoull(q, &end, 10);
                if (errno == ERANGE)
                    nn_die("%s: npy shape is too large", in->name);
                if (in->rank == NN_MAX_RANK)
                    nn_die("%s: npy arrays of rank over %d are not supported",
                        in->name, NN_MAX_RANK);
                in->dims[in->rank++] = v;
                q = py_space(*end == 'L' ? end + 1 : end); /* Python 2 */
                if (*q == ',')
                    q++;
                else if (*q != ')')
                    nn_die("%s: malformed npy header (shape)", in->name);
            }
            q++;
            have_shape = 1;
        } else {
            nn_die("%s: unknown key '%s' in the npy header", in->name, key);
        }
        q = py_space(q);
        if (*q == ',')
            q++;
        else if (*q != '}')
            nn_die("%s: malformed npy header", in->name);
    }
    free(h);
    if (!*descr || fortran < 0 || !have_shape)
        nn_die("%s: npy header lacks descr, fortran_order or shape", in->name);
    if (npy_descr(descr, &in->dtype, &in->swap) < 0)
        nn_die("%s: npy element type '%s' is not supported (integers of 1 to 8 "
            "bytes, f4, f8)", in->name, descr);
    if (in->rank == 0)
        nn_die("%s: a 0-d npy array has no rows", in->name);
    if (fortran && in->rank > 2)
        nn_die("%s: Fortran-order npy arrays of rank %d are not supported "
            "(save with numpy.ascontiguousarray)", in->name, in->rank);
    in->fortran = fortran && in->rank == 2;
    check_shape(in);
}

/* Splits a CSV line in place into NUL-terminated fields, trimmed of blanks
 * and unquoted.  Stores at most cap field pointers; returns the count. */
static size_t csv_split(char *p, int delim, char **f, size_t cap)
{
    int ws = delim == ' ';
    size_t n = 0;
    for (;;) {
        while (*p == ' ' || (*p == '\t' && delim != '\t'))
            p++;
        if (ws && !*p)
            break;
        char *start = p, *q = p;
        if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"' && p[1] != '"') {
                    p++;
                    break;
                }
                if (*p == '"')
                    p++;
                *q++ = *p;
            }
        }
        while (*p && !(ws ? *p == ' ' || *p == '\t' : *p == delim))
            *q++ = *p++;
        while (q > start && (q[-1] == ' ' || (q[-1] == '\t' && delim != '\t')))
            q--;
        int more = *p != 0;
        *q = 0;
        if (n < cap)
            f[n] = start;
        n++;
        if (!more)
            break;
        p++;
    }
    return n;
}

static int parse_number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return -1;
    *v = strtod(s, &end);
    return *end ? -1 : 0;
}

/* The separator occurring most often outside quotes; ' ' if none does. */
static int csv_guess_delim(const char *l)
{
    static const char cand[] = ",\t;";
    size_t count[3] = {0, 0, 0};
    int quoted = 0;
    for (; *l; l++) {
        if (*l == '"')
            quoted = !quoted;
        else if (!quoted)
            for (int i = 0; i < 3; i++)
                count[i] += *l == cand[i];
    }
    int best = -1;
    for (int i = 0; i < 3; i++)
        if (count[i] && (best < 0 || count[i] > count[best]))
            best = i;
    return best < 0 ? ' ' : cand[best];
}

/* Next line that is not blank or a comment, or NULL at the end. */
static char *csv_next_line(input *in)
{
    char *l;
    while (src_line(&in->s, &l, in->line + 1)) {
        in->line++;
        const char *p = l;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != '#')
            return l;
    }
    return NULL;
}

/* Converts the n split fields of a data line into feat (the columns but
 * the label) and *label. */
static void csv_values(input *in, size_t n, double *feat, int32_t *label)
{
    if (n != in->ncols)
        nn_die("%s: line %llu has %zu field%s, expected %zu", in->name,
            (unsigned long long)in->line, n, n == 1 ? "" : "s", in->ncols);
    for (size_t j = 0; j < n; j++) {
        double v;
        if (parse_number(in->fields[j], &v) < 0)
            nn_die("%s: line %llu, field %zu: %s%.40s%s is not a number",
                in->name, (unsigned long long)in->line, j + 1,
                *in->fields[j] ? "'" : "", *in->fields[j] ? in->fields[j]
                                                            : "empty field",
                *in->fields[j] ? "'" : "");
        if ((long)j != opt_label_col) {
            *feat++ = v;
            continue;
        }
        if (!(v >= INT32_MIN && v <= INT32_MAX) || v != floor(v))
            nn_die("%s: line %llu: label '%.40s' is not an integer", in->name,
                (unsigned long long)in->line, in->fields[j]);
        *label = (int32_t)v;
    }
}

static void csv_parse(input *in, char *l, double *feat, int32_t *label)
{
    csv_values(in, csv_split(l, in->delim, in->fields, in->ncols + 1), feat,
               label);
}

static void csv_open(input *in)
{
    src *s = &in->s;
    src_fill(s, 3);
    if (src_avail(s) >= 3 && memcmp(s->buf + s->pos, "\xEF\xBB\xBF", 3) == 0)
        s->pos += 3; /* a UTF-8 byte order mark */
    char *l = csv_next_line(in);
    if (!l)
        nn_die("%s: no data (empty CSV file)", in->name);
    in->delim = opt_delim ? opt_delim : csv_guess_delim(l);
    size_t cap = strlen(l) + 2, n;
    in->fields = xalloc(cap, sizeof *in->fields, "CSV fields");
    n = csv_split(l, in->delim, in->fields, cap);
    int header = 0;
    for (size_t j = 0; j < n && !header; j++) {
        double v;
        header = parse_number(in->fields[j], &v) < 0;
    }
    uint64_t header_line = 0;
    size_t header_n = 0;
    if (header) {
        header_line = in->line;
        header_n = n;
        /* keep the names, joined, if they make a clean attribute */
        size_t len = 0;
        int clean = 1;
        for (size_t j = 0; j < n; j++) {
            len += strlen(in->fields[j]) + 1;
            clean = clean && *in->fields[j] && !strchr(in->fields[j], ',');
        }
        if (clean && len <= COLUMNS_MAX) {
            in->columns = xalloc(len + 1, 1, "CSV header");
            char *c = in->columns;
            *c = 0;
            for (size_t j = 0; j < n; j++)
                if ((long)j != opt_label_col)
                    c += sprintf(c, "%s%s", c == in->columns ? "" : ",",
                                 in->fields[j]);
        }
        l = csv_next_line(in);
    }
    if (!header) {
        in->ncols = n; /* the fields of l are split already */
    } else if (l) {
        size_t need = strlen(l) + 2;
        if (need > cap) {
            free(in->fields);
            in->fields = xalloc(cap = need, sizeof *in->fields, "CSV fields");
        }
        in->ncols = csv_split(l, in->delim, in->fields, cap);
    } else {
        in->ncols = header_n;
    }
    if (header && in->ncols != header_n)
        nn_die("%s: line %llu has %zu field%s, but the header (line %llu) has %zu",
            in->name, (unsigned long long)in->line, in->ncols,
            in->ncols == 1 ? "" : "s", (unsigned long long)header_line,
            header_n);
    if (opt_label_col >= 0 && (size_t)opt_label_col >= in->ncols)
        nn_die("%s: no column %ld for the labels: the file has %zu column%s",
            in->name, opt_label_col, in->ncols, in->ncols == 1 ? "" : "s");
    if (opt_label_col >= 0 && in->ncols < 2)
        nn_die("%s: no feature columns besides the label column", in->name);
    in->dtype = NN_F64;
    in->rank = 2;
    in->dims[1] = in->ncols - (opt_label_col >= 0);
    in->row_elems = in->dims[1];
    in->row_bytes = in->row_elems * sizeof(double);
    if (in->row_bytes > ROW_MAX)
        nn_die("%s: %zu columns are too many", in->name, in->ncols);
    char **f = realloc(in->fields, (in->ncols + 1) * sizeof *in->fields);
    if (!f)
        nn_die("out of memory");
    in->fields = f;
    if (l) { /* the fields of the first row are split: keep its values */
        in->first = xalloc(in->row_elems, sizeof(double), "CSV row");
        csv_values(in, in->ncols, in->first, &in->first_label);
        in->have_first = 1;
    }
}

/* Reads the next CSV row; 0 at the end. */
static int csv_row(input *in, double *feat, int32_t *label)
{
    if (in->have_first) {
        in->have_first = 0;
        memcpy(feat, in->first, in->row_elems * sizeof *feat);
        *label = in->first_label;
        return 1;
    }
    char *l = csv_next_line(in);
    if (!l)
        return 0;
    csv_parse(in, l, feat, label);
    return 1;
}

static void input_open(input *in, const char *path)
{
    in->path = path;
    in->name = strcmp(path, "-") ? path : "stdin";
    src_open(&in->s, path, in->name);
    in->fmt = opt_format;
    if (in->fmt == FMT_AUTO) {
        src *s = &in->s;
        src_fill(s, 4096);
        const unsigned char *p = s->buf + s->pos;
        size_t n = src_avail(s);
        if (n >= 6 && memcmp(p, "\x93NUMPY", 6) == 0)
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
    if (in->fmt == FMT_IDX)
        idx_open(in);
    else if (in->fmt == FMT_NPY)
        npy_open(in);
    else
        csv_open(in);
    if (opt_label_col >= 0 && in->fmt != FMT_CSV)
        nn_die("%s: --label-column needs CSV input, this is %s", in->name,
            fmt_names[in->fmt]);
}

static void input_close(input *in)
{
    src_close(&in->s);
    free(in->whole);
    free(in->block);
    free(in->fields);
    free(in->columns);
    free(in->first);
    free(in->feat);
    free(in->labels);
}

/* Reads the data of an IDX or npy input whole (labels, Fortran order). */
static void input_load(input *in)
{
    uint64_t bytes = in->rows * in->row_bytes;
    if (bytes > SIZE_MAX)
        nn_die("%s: too large to read into memory", in->name);
    in->whole = xalloc(bytes, 1, in->name);
    size_t got = src_read(&in->s, in->whole, bytes);
    if (got < bytes)
        nn_die("%s: truncated: %s data ends after %zu of %llu bytes", in->name,
            fmt_names[in->fmt], got, (unsigned long long)bytes);
    src_fill(&in->s, 1);
    if (src_avail(&in->s))
        nn_die("%s: more bytes after the %s data than the header announces",
            in->name, fmt_names[in->fmt]);
    if (in->swap)
        swap_bytes(in->whole, in->rows * in->row_elems,
                   nn_dtype_size(in->dtype));
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
        switch (nn_dtype_size(in->dtype)) {
        case 1: TRANSPOSE(uint8_t); break;
        case 2: TRANSPOSE(uint16_t); break;
        case 4: TRANSPOSE(uint32_t); break;
        default: TRANSPOSE(uint64_t); break;
        }
        in->cur[0] = in->block;
    } else {
        size_t bytes = n * in->row_bytes;
        size_t got = src_read(&in->s, in->block, bytes);
        if (got < bytes)
            nn_die("%s: truncated: the %s data ends in row %llu of %llu",
                in->name, fmt_names[in->fmt],
                (unsigned long long)(in->done + got / in->row_bytes),
                (unsigned long long)in->rows);
        if (in->swap)
            swap_bytes(in->block, n * in->row_elems,
                       nn_dtype_size(in->dtype));
        if (in->done + n == in->rows) {
            src_fill(&in->s, 1);
            if (src_avail(&in->s))
                nn_die("%s: more bytes after the %s data than the header "
                    "announces", in->name, fmt_names[in->fmt]);
        }
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
    t->in_dtype = t->part ? NN_I32 : in->dtype;
    if (t->part) {
        t->rank = 1;
    } else if (in->fmt == FMT_IDX && in->rank > 2 && opt_flatten) {
        t->rank = 2;
        t->dims[1] = in->row_elems;
    } else {
        t->rank = in->rank;
        memcpy(t->dims, in->dims, sizeof t->dims);
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
        if (!in->s.regular)
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
    if (in->fmt == FMT_IDX && in->rank > 2) {
        char image[200] = "";
        size_t n = 0;
        for (int i = 1; i < in->rank; i++)
            n += snprintf(image + n, sizeof image - n, "%s%llu", i > 1 ? "x" : "",
                          (unsigned long long)in->dims[i]);
        attr(t, "image", image);
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
    nn_prog = "nn-import";
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'},
        {"dtype", required_argument, 0, 't'},
        {"scale", required_argument, 0, OPT_SCALE},
        {"onehot", optional_argument, 0, OPT_ONEHOT},
        {"label-column", required_argument, 0, OPT_LABEL_COLUMN},
        {"delimiter", required_argument, 0, 'd'},
        {"no-flatten", no_argument, 0, OPT_NO_FLATTEN},
        {"output", required_argument, 0, 'o'},
        {"zstd", optional_argument, 0, 'z'},
        {"progress", no_argument, 0, OPT_PROGRESS},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, OPT_VERSION},
        {0, 0, 0, 0}};
    const char *out_path = NULL;
    int c;
    uint64_t u;
    while ((c = getopt_long(argc, argv, "f:t:d:o:z::h", longopts, NULL)) != -1) {
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
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
                opt_delim = '\t';
            else if (strcmp(optarg, "space") == 0 || strcmp(optarg, " ") == 0)
                opt_delim = ' ';
            else if (strlen(optarg) == 1 && !strchr("0123456789.+-\"#", *optarg) &&
                     *optarg != '\r' && *optarg != '\n' &&
                     !((*optarg | 32) >= 'a' && (*optarg | 32) <= 'z'))
                opt_delim = (unsigned char)*optarg;
            else
                nn_usage_error("--delimiter needs one character (not a digit, "
                               "letter, sign, '.' or quote), 'tab' or 'space'");
            break;
        case OPT_NO_FLATTEN: opt_flatten = 0; break;
        case 'o': out_path = optarg; break;
        case 'z': opt_level = nn_zstd_level_arg(optarg); break;
        case OPT_PROGRESS: opt_progress = 1; break;
        case 'h': fputs(usage, stdout); return nn_stdout_close(NULL) ? 1 : 0;
        case OPT_VERSION: nn_print_version();
        default: nn_usage_error("invalid option");
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

    nn_error e;
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

/* nn-export — one tensor of a stream as a NumPy .npy file, CSV text or a
 * PNG image (a single picture, or rows or columns laid out as tiles).
 *
 *   nn-export -n x -o x.npy train.nns
 *   nn-export -o digits.png --zoom 2 train.nns
 */
#include "nn_tool.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage[] =
    "Usage: nn-export [OPTION]... [-o OUTPUT] [FILE]\n"
    "Write one tensor of an NNS stream (stdin if no FILE), chunks joined, as\n"
    "a NumPy .npy file, CSV text or a PNG image.\n"
    "\n"
    "  -n, --name=NAME      the tensor (default: the first of the stream;\n"
    "                       the first of that name if there are several)\n"
    "  -f, --format=FMT     npy, csv or png (default: from OUTPUT's extension)\n"
    "  -o, --output=FILE    write FILE instead of stdout\n"
    "      --skip-rows=K    leave out the first K rows\n"
    "  -c, --count=N        at most N rows (png tiles: N tiles, default 100)\n"
    "  -P, --progress       report progress on stderr even if not a terminal\n"
    "npy, csv:\n"
    "  -t, --dtype=TYPE     convert elements to TYPE (u8 ... f64)\n"
    "csv:\n"
    "      --delimiter=C    value separator: a character, 'tab' or 'space'\n"
    "                       (default ',')\n"
    "      --header         first line: the names of a columns= attribute,\n"
    "                       else c0,c1,...\n"
    "png (8-bit gray; RGB for (h,w,3) or tiles of image=HxWx3):\n"
    "      --tile=HxW       cut each row into HxW tiles laid out on a grid\n"
    "                       (default: attribute image=HxW[xC], or the last\n"
    "                       two dims of a rank-3 tensor; else one image);\n"
    "                       'none': one image whatever the attributes\n"
    "      --grid=COLSxROWS the grid (default: about square)\n"
    "      --columns        tiles of the columns instead of the rows\n"
    "      --range=LO:HI    map LO..HI to 0..255 (default auto: min..max)\n"
    "      --per-tile       map each tile by its own min..max\n"
    "      --zoom=K         draw each value as KxK pixels (1 to 64)\n"
    "      --negative       255 - v\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "See nn-export(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-export -n x -o digits.png --zoom 2 -c 64 train.nns\n";

enum { FMT_NONE, FMT_NPY, FMT_CSV, FMT_PNG };
enum {
    OPT_SKIP = 256, OPT_DELIMITER, OPT_HEADER, OPT_TILE, OPT_GRID,
    OPT_COLUMNS, OPT_RANGE, OPT_PERTILE, OPT_ZOOM, OPT_NEGATIVE
};

#define NO_LIMIT UINT64_MAX
#define DEFAULT_TILES 100
#define SEPARATOR 128           /* gray of grid lines and empty cells */
#define IMAGE_MAX 1000000       /* libpng's default limit for readers */

typedef struct options {
    const char *name;           /* NULL: the first tensor of the stream */
    int format;                 /* FMT_NPY, FMT_CSV or FMT_PNG */
    const char *in, *out;       /* "-": stdin, stdout */
    uint64_t skip, count;       /* rows (png tiles); count 0: all */
    int progress;
    int dtype;                  /* npy, csv: 0 keeps the tensor's */
    int delim, header;          /* csv */
    int no_tile;                /* png: --tile none */
    uint64_t tile_h, tile_w;    /* png: --tile HxW; 0: decided */
    uint64_t grid_c, grid_r;    /* png: --grid; 0: about square */
    int columns, per_tile, negative;
    int range;                  /* png: --range LO:HI given */
    double lo, hi;
    uint64_t zoom;
} options;

/* The tensor being exported, as its first record describes it. */
typedef struct tensor {
    char name[NN_NAME_MAX + 1];
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK];
    char *attrs;
    size_t row_len;             /* elements per row */
    size_t esize;
    uint64_t rows;              /* rows read so far */
    uint64_t sel_end;           /* rows [o->skip, sel_end) are exported */
    uint64_t exported;          /* rows passed to the format so far */
    const char *file;
} tensor;

typedef struct npy_state {
    int dtype;
    size_t header_len;          /* reserved, when seekable */
    unsigned char *buf;         /* the rows, when not seekable */
    size_t len, cap;
} npy_state;

typedef struct csv_state {
    int dtype;
    size_t col;                 /* the column of the next value */
} csv_state;

/* PNG: the values shown are kept in the tensor's dtype: whole rows (tiles
 * of rows, or one image) or the first `ncols` values of every row (tiles
 * of columns).  Tiles of an image attribute HxWx3 are RGB, channels
 * innermost. */
enum { PNG_IMAGE, PNG_ROWS, PNG_COLUMNS };

typedef struct png_state {
    int mode;
    uint64_t th, tw;            /* tile size (0: square, decided at the end) */
    int channels;
    size_t per_row;             /* tiles per row (PNG_ROWS) */
    uint64_t tiles;             /* tiles wanted */
    size_t ncols;               /* columns kept (PNG_COLUMNS) */
    const char *tile_from;      /* for messages */
    unsigned char *buf;
    size_t len, cap;
} png_state;

/* An export under way: the options, the output, the tensor, a scratch
 * buffer for conversions and the state of the format written. */
typedef struct exporter {
    const options *o;
    nn_output *out;
    tensor t;
    unsigned char *scratch;     /* BLOCK * 8 bytes */
    npy_state npy;
    csv_state csv;
    png_state png;
} exporter;

/* Elements are converted in blocks of this many through the scratch
 * buffer. */
#define BLOCK 65536

/* ------------------------------------------------------------------ output */

static void output_open(exporter *ex, int binary)
{
    nn_error e;
    if (!(ex->out = nn_output_open(ex->o->out, binary, &e)))
        nn_die("%s", e.msg);
}

static void output_write(exporter *ex, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, nn_output_file(ex->out)) != n)
        nn_die("write error on %s: %s", nn_output_name(ex->out),
               strerror(errno));
}

/* ------------------------------------------------------------------ tensor */

/* Appends n bytes to a growing buffer; -1 if out of memory. */
static int append(unsigned char **buf, size_t *len, size_t *cap,
                  const void *p, size_t n)
{
    if (n == 0) /* rows of width 0: nothing to hold (and *buf may be NULL) */
        return 0;
    if (n > SIZE_MAX - *len || nn_buf_reserve(buf, cap, *len + n) < 0)
        return -1;
    memcpy(*buf + *len, p, n);
    *len += n;
    return 0;
}

/* The end of the rows selected, [skip, skip + count) (count 0: all),
 * saturated. */
static uint64_t selection_end(uint64_t skip, uint64_t count)
{
    return !count || count > NO_LIMIT - skip ? NO_LIMIT : skip + count;
}

/* Converts n elements at src (tensor dtype) to dtype dd in the scratch
 * buffer, little endian, and returns it. */
static const void *to_le(exporter *ex, const void *src, int dd, size_t n)
{
    nn_convert(ex->scratch, dd, src, ex->t.dtype, n);
    if (!NN_HOST_LE)
        nn_bswap(ex->scratch, n, nn_dtype_size(dd));
    return ex->scratch;
}

/* --------------------------------------------------------------------- npy */

/* The .npy header for `rows` rows, padded to len bytes (0: to a multiple
 * of 64).  Rank <= 8 keeps it far below 64 KiB, so format 2.0 is never
 * needed. */
static size_t npy_header(const exporter *ex, char *buf, uint64_t rows,
                         size_t len)
{
    const tensor *t = &ex->t;
    uint64_t dims[NN_MAX_RANK];
    memcpy(dims, t->dims, sizeof dims);
    dims[0] = rows;
    size_t n = nn_npy_header_format(buf, NN_NPY_HEADER_FORMAT_MAX,
                                    ex->npy.dtype, t->rank, dims, len);
    if (!n)
        nn_die("%s: cannot make an npy header for '%s'", t->file, t->name);
    return n;
}

static void npy_begin(exporter *ex)
{
    output_open(ex, 1);
    ex->npy.dtype = ex->o->dtype ? ex->o->dtype : ex->t.dtype;
    if (nn_output_seekable(ex->out)) {
        char h[NN_NPY_HEADER_FORMAT_MAX];
        ex->npy.header_len = npy_header(ex, h, NO_LIMIT, 0);
        output_write(ex, h, ex->npy.header_len);
    }
}

static void npy_rows(exporter *ex, const void *data, size_t rows)
{
    const tensor *t = &ex->t;
    npy_state *s = &ex->npy;
    size_t osize = nn_dtype_size(s->dtype), n = rows * t->row_len;
    for (size_t i = 0; i < n;) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        const void *p = to_le(ex, (const char *)data + i * t->esize,
                              s->dtype, k);
        if (nn_output_seekable(ex->out)) {
            output_write(ex, p, k * osize);
        } else {
            if (append(&s->buf, &s->len, &s->cap, p, k * osize) < 0)
                nn_die("out of memory holding '%s' (%zu bytes) for a pipe; "
                    "write to a file with -o", t->name, s->len);
        }
        i += k;
    }
}

static void npy_end(exporter *ex)
{
    char h[NN_NPY_HEADER_FORMAT_MAX];
    npy_state *s = &ex->npy;
    FILE *f = nn_output_file(ex->out);
    if (!nn_output_seekable(ex->out)) {
        output_write(ex, h, npy_header(ex, h, ex->t.exported, 0));
        output_write(ex, s->buf, s->len);
        free(s->buf);
        return;
    }
    npy_header(ex, h, ex->t.exported, s->header_len);
    off_t end;
    if (fflush(f) != 0 || (end = ftello(f)) < 0 ||
        fseeko(f, nn_output_start(ex->out), SEEK_SET) != 0)
        nn_die("%s: cannot complete the header: %s", nn_output_name(ex->out),
            strerror(errno));
    output_write(ex, h, s->header_len);
    if (fflush(f) != 0 || fseeko(f, end, SEEK_SET) != 0)
        nn_die("%s: cannot complete the header: %s", nn_output_name(ex->out),
            strerror(errno));
}

/* --------------------------------------------------------------------- csv */

/* Prints element i of p, of dtype dt, to f. */
static void csv_value(FILE *f, int dt, const void *p, size_t i)
{
    switch (dt) {
    case NN_U8: fprintf(f, "%u", ((const uint8_t *)p)[i]); break;
    case NN_I8: fprintf(f, "%d", ((const int8_t *)p)[i]); break;
    case NN_U16: fprintf(f, "%u", ((const uint16_t *)p)[i]); break;
    case NN_I16: fprintf(f, "%d", ((const int16_t *)p)[i]); break;
    case NN_U32:
        fprintf(f, "%lu", (unsigned long)((const uint32_t *)p)[i]);
        break;
    case NN_I32: fprintf(f, "%ld", (long)((const int32_t *)p)[i]); break;
    case NN_U64:
        fprintf(f, "%llu", (unsigned long long)((const uint64_t *)p)[i]);
        break;
    case NN_I64: fprintf(f, "%lld", (long long)((const int64_t *)p)[i]); break;
    case NN_F32: {
        /* 9 significant digits bring every binary32 back exactly */
        float v = ((const float *)p)[i];
        if (isnan(v))
            fputs("nan", f);
        else
            fprintf(f, "%.9g", (double)v);
        break;
    }
    default: {
        double v = ((const double *)p)[i];
        if (isnan(v))
            fputs("nan", f);
        else
            fprintf(f, "%.17g", v);
        break;
    }
    }
}

static void csv_begin(exporter *ex)
{
    const options *o = ex->o;
    size_t n = ex->t.row_len;
    output_open(ex, 0);
    ex->csv.dtype = o->dtype ? o->dtype : ex->t.dtype;
    if (!o->header)
        return;
    /* the names of a columns= attribute when it names every column */
    char cols[4096];
    size_t names = 0;
    if (nn_attrs_get(ex->t.attrs, "columns", cols, sizeof cols) == 1) {
        names = 1;
        for (const char *c = cols; *c; c++)
            names += *c == ',';
    }
    FILE *f = nn_output_file(ex->out);
    const char *c = cols;
    for (size_t j = 0; j < n; j++) {
        if (names == n) {
            size_t len = strcspn(c, ",");
            fprintf(f, "%.*s%c", (int)len, c, j + 1 < n ? o->delim : '\n');
            c += len + (c[len] == ',');
        } else
            fprintf(f, "c%zu%c", j, j + 1 < n ? o->delim : '\n');
    }
}

static void csv_rows(exporter *ex, const void *data, size_t rows)
{
    const tensor *t = &ex->t;
    csv_state *s = &ex->csv;
    FILE *f = nn_output_file(ex->out);
    size_t n = rows * t->row_len;
    /* rows are joined across blocks: s->col is the column of the next
     * value */
    for (size_t i = 0; i < n;) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        nn_convert(ex->scratch, s->dtype, (const char *)data + i * t->esize,
                   t->dtype, k);
        for (size_t j = 0; j < k; j++) {
            csv_value(f, s->dtype, ex->scratch, j);
            if (++s->col == t->row_len)
                s->col = 0;
            putc(s->col ? ex->o->delim : '\n', f);
        }
        i += k;
    }
    if (ferror(f))
        nn_die("write error on %s: %s", nn_output_name(ex->out),
               strerror(errno));
}

/* --------------------------------------------------------------------- png
 * Tile i's pixel p, channel c is element i*tstride + p*pstride + c of the
 * values kept. */

static void png_keep(exporter *ex, const void *p, size_t n)
{
    png_state *s = &ex->png;
    if (append(&s->buf, &s->len, &s->cap, p, n) < 0)
        nn_die("out of memory keeping %zu bytes of '%s' for the image",
            s->len, ex->t.name);
}

/* Decides what the image shows, before any output. */
static void png_layout(exporter *ex)
{
    const options *o = ex->o;
    tensor *t = &ex->t;
    png_state *s = &ex->png;
    char attr[64];
    uint64_t d[3];
    int nd;
    if (t->rank < 2)
        nn_die("%s: '%s' has rank %d: a PNG needs rank 2 or more", t->file,
            t->name, t->rank);
    if (t->row_len == 0)
        nn_die("%s: '%s' has rows of width 0: a PNG needs a pixel or more",
            t->file, t->name);
    s->th = o->tile_h;
    s->tw = o->tile_w;
    s->channels = 1;
    s->tile_from = "--tile";
    uint64_t want = o->count ? o->count
                    : o->grid_c ? o->grid_c * o->grid_r
                                : DEFAULT_TILES;
    if (o->columns) {
        if (t->rank > 2)
            nn_die("%s: '%s' has rank %d, too high for --columns (rank 2 "
                "only)", t->file, t->name, t->rank);
        s->mode = PNG_COLUMNS;
        s->ncols = want < t->row_len ? (size_t)want : t->row_len;
        t->sel_end = NO_LIMIT;
        return;
    }
    int one_image = t->rank == 2 ||
                    (t->rank == 3 && (t->dims[2] == 1 || t->dims[2] == 3));
    if (s->th || o->no_tile) {
        /* as the options say */
    } else if (nn_attrs_get(t->attrs, "image", attr, sizeof attr) &&
               ((nd = nn_dims_parse(attr, 3, IMAGE_MAX, d)) == 2 ||
                (nd == 3 && (d[2] == 1 || d[2] == 3)))) {
        s->th = d[0];
        s->tw = d[1];
        s->channels = nd == 3 ? (int)d[2] : 1;
        s->tile_from = "attribute image";
    } else if (t->rank == 3 && !one_image) {
        s->th = t->dims[1];
        s->tw = t->dims[2];
        s->tile_from = "the shape";
    }
    if (!s->th && !one_image)
        nn_die("%s: '%s' has rank %d, too high for one image: give --tile "
            "HxW", t->file, t->name, t->rank);
    if (!s->th) {
        if (o->grid_c)
            nn_die("%s: '%s' is one image, not tiles: --grid needs --tile",
                t->file, t->name);
        s->mode = PNG_IMAGE;
        s->channels = t->rank == 3 ? (int)t->dims[2] : 1;
        s->tw = t->dims[1];
        if (s->tw > IMAGE_MAX)
            nn_die("%s: '%s' is %llu columns wide, too wide for an image",
                t->file, t->name, (unsigned long long)s->tw);
        t->sel_end = selection_end(o->skip, o->count);
        return;
    }
    uint64_t area = s->th * s->tw * s->channels;
    if (t->row_len == 0 || t->row_len % area) {
        char tile[64];
        uint64_t hwc[3] = {s->th, s->tw, (uint64_t)s->channels};
        nn_die("%s: tile %s (%s) does not divide the rows of '%s' (%zu "
            "values)", t->file, nn_dims_format(tile, sizeof tile,
            s->channels > 1 ? 3 : 2, hwc), s->tile_from, t->name,
            t->row_len);
    }
    s->mode = PNG_ROWS;
    s->per_row = t->row_len / area;
    s->tiles = want;
    uint64_t rows = want / s->per_row + (want % s->per_row != 0);
    t->sel_end = selection_end(o->skip, rows);
}

static void png_begin(exporter *ex)
{
    png_layout(ex);
    output_open(ex, 1);
}

static void png_rows(exporter *ex, const void *data, size_t n)
{
    const tensor *t = &ex->t;
    const png_state *s = &ex->png;
    if (s->mode != PNG_COLUMNS) {
        png_keep(ex, data, n * t->row_len * t->esize);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s->th && t->exported + i == s->th * s->tw)
            nn_die("%s: columns of '%s' are longer than the tile %llux%llu",
                t->file, t->name, (unsigned long long)s->th,
                (unsigned long long)s->tw);
        png_keep(ex, (const char *)data + i * t->row_len * t->esize,
                 s->ncols * t->esize);
    }
}

/* The scale of the map v -> (v - lo) * scale onto 0..255.  An empty range
 * gets an infinite scale: values equal to lo go to 0, larger ones to 255. */
static double pixel_scale(double lo, double hi)
{
    if (!(hi > lo))
        return INFINITY;
    double d = hi - lo;
    return isinf(d) ? 127.5 / (0.5 * hi - 0.5 * lo) : 255 / d;
}

static unsigned char to_pixel(double v, double lo, double scale, int negative)
{
    double x = (v - lo) * scale;
    int p = !(x > 0) ? 0 : x >= 255 ? 255 : (int)(x + 0.5); /* NaN: 0 */
    return (unsigned char)(negative ? 255 - p : p);
}

static void png_error_fn(png_structp p, png_const_charp msg)
{
    snprintf(png_get_error_ptr(p), 256, "%s", msg);
    png_longjmp(p, 1);
}

static void png_warning_fn(png_structp p, png_const_charp msg)
{
    (void)p;
    (void)msg;
}

/* The image: a grid of gc x gr cells of (th*zoom, tw*zoom) pixels with
 * separators, drawn row by row from the kept values. */
typedef struct layout {
    const void *values;         /* the values kept, of dtype */
    int dtype;
    uint64_t n;                 /* tiles shown */
    uint64_t gc, gr;
    uint64_t th, tw, z;
    int ch;
    size_t tstride, pstride;
    int per_tile, negative;
    double *lo, *scale;         /* per tile, or one for all */
    uint32_t width, height;
} layout;

static void draw_row(const layout *L, uint32_t y, unsigned char *row)
{
    memset(row, SEPARATOR, (size_t)L->width * L->ch);
    uint64_t cell = L->th * L->z + 1;
    uint64_t gy = y / cell, iy = y % cell;
    if (iy == L->th * L->z)
        return;
    uint64_t py = iy / L->z;
    for (uint64_t gx = 0; gx < L->gc; gx++) {
        uint64_t i = gy * L->gc + gx;
        if (i >= L->n)
            break;
        double lo = L->per_tile ? L->lo[i] : L->lo[0];
        double scale = L->per_tile ? L->scale[i] : L->scale[0];
        unsigned char *q = row + gx * (L->tw * L->z + 1) * L->ch;
        for (uint64_t px = 0; px < L->tw; px++)
            for (int c = 0; c < L->ch; c++) {
                size_t k = i * L->tstride + (py * L->tw + px) * L->pstride + c;
                unsigned char v = to_pixel(nn_elem_f64(L->values, L->dtype, k),
                                           lo, scale, L->negative);
                for (uint64_t zz = 0; zz < L->z; zz++)
                    q[(px * L->z + zz) * L->ch + c] = v;
            }
    }
}

/* Writes the image to f with libpng; returns 0 or -1 with a message in
 * msg. */
static int png_write(const layout *L, FILE *f, unsigned char *row, char *msg)
{
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg,
                                            png_error_fn, png_warning_fn);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (!info) {
        png_destroy_write_struct(&p, NULL);
        snprintf(msg, 256, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        return -1;
    }
    png_init_io(p, f);
    png_set_IHDR(p, info, L->width, L->height, 8,
                 L->ch == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    for (uint32_t y = 0; y < L->height; y++) {
        draw_row(L, y, row);
        png_write_row(p, row);
    }
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    return 0;
}

/* Integer square root of n if n is a perfect square, else 0. */
static uint64_t exact_sqrt(uint64_t n)
{
    uint64_t s = (uint64_t)sqrt((double)n);
    while (s * s > n)
        s--;
    while ((s + 1) * (s + 1) <= n)
        s++;
    return s * s == n ? s : 0;
}

/* The tiles shown, their strides in the values kept, the grid and the
 * size of the image, from the rows exported. */
static void png_grid(const exporter *ex, layout *L)
{
    const options *o = ex->o;
    const tensor *t = &ex->t;
    const png_state *s = &ex->png;
    if (t->exported == 0)
        nn_die("%s: no rows of '%s' to show (%llu rows, %llu skipped)",
            t->file, t->name, (unsigned long long)t->rows,
            (unsigned long long)o->skip);
    switch (s->mode) {
    case PNG_IMAGE:
        L->n = 1;
        L->th = t->exported;
        L->tstride = 0;
        L->pstride = s->channels;
        break;
    case PNG_ROWS:
        L->n = t->exported * s->per_row < s->tiles ? t->exported * s->per_row
                                                   : s->tiles;
        L->tstride = s->th * s->tw * s->channels;
        L->pstride = s->channels;
        break;
    default:
        if (!s->th && !(L->th = L->tw = exact_sqrt(t->exported)))
            nn_die("%s: columns of '%s' have %llu values, not a square "
                "number: give --tile HxW", t->file, t->name,
                (unsigned long long)t->exported);
        if (L->th * L->tw != t->exported)
            nn_die("%s: columns of '%s' have %llu values (after "
                "--skip-rows), the tile %llux%llu needs %llu", t->file,
                t->name, (unsigned long long)t->exported,
                (unsigned long long)L->th, (unsigned long long)L->tw,
                (unsigned long long)(L->th * L->tw));
        L->n = s->ncols;
        L->tstride = 1;
        L->pstride = s->ncols;
        break;
    }
    if (L->n == 0)
        nn_die("%s: '%s' has no columns to show", t->file, t->name);
    if (o->grid_c) {
        L->gc = o->grid_c;
        L->gr = o->grid_r;
    } else {
        L->gc = (uint64_t)ceil(sqrt((double)L->n));
        while (L->gc > 1 && (L->gc - 1) * (L->gc - 1) >= L->n)
            L->gc--;
        while (L->gc * L->gc < L->n)
            L->gc++;
        L->gr = (L->n + L->gc - 1) / L->gc;
    }
    double w = (double)L->gc * ((double)L->tw * L->z + 1) - 1;
    double h = (double)L->gr * ((double)L->th * L->z + 1) - 1;
    if (w > IMAGE_MAX || h > IMAGE_MAX)
        nn_die("%s: the image of '%s' would be %.0fx%.0f pixels, more than "
            "%d on a side", t->file, t->name, w, h, IMAGE_MAX);
    L->width = (uint32_t)w;
    L->height = (uint32_t)h;
}

/* The value ranges mapped onto 0..255: fixed, over everything shown, or
 * per tile. */
static void png_ranges(const options *o, layout *L)
{
    size_t nr = L->per_tile ? (size_t)L->n : 1;
    L->lo = nn_xalloc(nr, sizeof(double), "tile ranges");
    L->scale = nn_xalloc(nr, sizeof(double), "tile ranges");
    for (size_t i = 0; i < nr; i++) {
        L->lo[i] = INFINITY;
        L->scale[i] = -INFINITY; /* the maximum, until made a scale */
    }
    size_t area = (size_t)(L->th * L->tw);
    for (uint64_t i = 0; i < L->n && !o->range; i++) {
        size_t r = L->per_tile ? i : 0;
        for (size_t p = 0; p < area; p++)
            for (int c = 0; c < L->ch; c++) {
                double v = nn_elem_f64(L->values, L->dtype,
                                       i * L->tstride + p * L->pstride + c);
                if (isfinite(v)) {
                    L->lo[r] = v < L->lo[r] ? v : L->lo[r];
                    L->scale[r] = v > L->scale[r] ? v : L->scale[r];
                }
            }
    }
    for (size_t i = 0; i < nr; i++) {
        if (o->range) {
            L->lo[i] = o->lo;
            L->scale[i] = o->hi;
        } else if (L->lo[i] > L->scale[i]) { /* nothing finite */
            L->lo[i] = L->scale[i] = 0;
        }
        L->scale[i] = pixel_scale(L->lo[i], L->scale[i]);
    }
}

static void png_end(exporter *ex)
{
    const options *o = ex->o;
    png_state *s = &ex->png;
    layout L = {.values = s->buf, .dtype = ex->t.dtype, .z = o->zoom,
                .ch = s->channels, .th = s->th, .tw = s->tw,
                .per_tile = o->per_tile, .negative = o->negative};
    png_grid(ex, &L);
    png_ranges(o, &L);
    unsigned char *row = nn_xalloc(L.width, L.ch, "image row");
    char msg[256] = "";
    if (png_write(&L, nn_output_file(ex->out), row, msg) < 0)
        nn_die("%s: libpng: %s", nn_output_name(ex->out), msg);
    free(row);
    free(L.lo);
    free(L.scale);
    free(s->buf);
}

/* ------------------------------------------------------------------ export */

/* What each format does: begin checks the tensor, opens the output and
 * writes a header; rows takes the selected rows of each record; end
 * completes the output. */
static const struct format {
    const char *name;
    void (*begin)(exporter *ex);
    void (*rows)(exporter *ex, const void *data, size_t rows);
    void (*end)(exporter *ex);
} formats[] = {
    [FMT_NPY] = {"npy", npy_begin, npy_rows, npy_end},
    [FMT_CSV] = {"csv", csv_begin, csv_rows, NULL},
    [FMT_PNG] = {"png", png_begin, png_rows, png_end},
};

/* Starts exporting the tensor whose first record is r. */
static void begin(exporter *ex, const nn_record *r)
{
    const options *o = ex->o;
    tensor *t = &ex->t;
    strcpy(t->name, r->name);
    t->dtype = r->dtype;
    t->rank = r->rank;
    memcpy(t->dims, r->dims, sizeof t->dims);
    if (!(t->attrs = strdup(r->attrs)))
        nn_die("out of memory");
    t->esize = nn_dtype_size(r->dtype);
    t->row_len = nn_record_row_bytes(r) / t->esize;
    t->sel_end = selection_end(o->skip, o->count);
    if (t->rank == 0 && o->skip)
        nn_die("%s: '%s' is a scalar (rank 0): it has no rows to select",
            t->file, t->name);
    formats[o->format].begin(ex);
}

/* The rows of one record of the tensor (read from in): passes on those
 * selected, decoding the record in pieces of whole rows near
 * NN_CHUNK_BYTES only as far as the selection goes. */
static void feed(exporter *ex, nn_reader *in, const nn_record *r)
{
    const struct format *f = &formats[ex->o->format];
    tensor *t = &ex->t;
    nn_error e;
    uint64_t n = nn_record_rows(r), r0 = t->rows;
    size_t rb = t->row_len * t->esize;
    t->rows += n;
    uint64_t lo = r0 > ex->o->skip ? r0 : ex->o->skip;
    uint64_t hi = t->sel_end < r0 + n ? t->sel_end : r0 + n;
    if (lo >= hi)
        return;
    if (!rb) { /* rows of width 0: no elements (decoding checks the frame) */
        if (nn_reader_decode(in, r, &e) < 0)
            nn_die("%s", e.msg);
        f->rows(ex, "", (size_t)(hi - lo));
        t->exported += hi - lo;
        return;
    }
    const void *p;
    size_t got;
    int rc;
    /* at: the row of the tensor that the next piece starts with */
    for (uint64_t at = r0; at < hi; at += got / rb) {
        if ((rc = nn_reader_piece(in, r, nn_chunk_rows(rb) * rb, &p, &got,
                                  &e)) != 1)
            nn_die("%s", rc < 0 ? e.msg : "a record ended before its rows");
        uint64_t a = at > lo ? at : lo, b = at + got / rb;
        if (b > hi)
            b = hi;
        if (a >= b)
            continue;
        f->rows(ex, (const char *)p + (a - at) * rb, (size_t)(b - a));
        t->exported += b - a;
    }
}

/* Finds the tensor in the stream o->in and writes it in o->format; dies
 * with the message on error. */
static void export_stream(exporter *ex)
{
    const options *o = ex->o;
    nn_error e;
    nn_reader *in = nn_reader_open(o->in, &e);
    if (!in)
        nn_die("%s", e.msg);
    ex->t.file = nn_reader_name(in);
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, o->progress);
    enum { SEARCHING, OPEN, CLOSED } state = SEARCHING;
    const nn_record *r;
    nn_row_pos pos;
    int rc;
    uint64_t records = 0;
    /* Records are read raw (hash checked, not decoded); the rows of the
     * tensor that are exported are then decoded. */
    while ((rc = nn_reader_next_at(in, &r, &pos, 1, &e)) == 1) {
        records++;
        int mine = 0;
        if (state == SEARCHING && pos.first &&
            (!o->name || strcmp(r->name, o->name) == 0)) {
            state = OPEN;
            mine = 1;
        } else if (state == OPEN && strcmp(r->name, ex->t.name) == 0) {
            if (pos.first)
                state = CLOSED; /* a later tensor of the same name */
            else
                mine = 1;
        }
        if (mine) {
            if (pos.first)
                begin(ex, r);
            feed(ex, in, r);
        }
        nn_progress_update(&prog, nn_reader_offset(in) >> 20, 0, "MiB");
    }
    nn_progress_end(&prog);
    if (rc < 0)
        nn_die("%s", e.msg);
    if (state == SEARCHING) {
        if (records == 0)
            nn_die("%s: empty stream, no tensor to export", ex->t.file);
        nn_die("%s: no tensor named '%s'", ex->t.file, o->name);
    }
    if (formats[o->format].end)
        formats[o->format].end(ex);
    nn_reader_close(in);
    free(ex->t.attrs);
}

/* ----------------------------------------------------------------- options */

static int format_of(const char *s)
{
    for (int f = FMT_NPY; f <= FMT_PNG; f++)
        if (strcasecmp(s, formats[f].name) == 0)
            return f;
    return FMT_NONE;
}

/* -f FMT, in any case. */
static int format_arg(const char *arg)
{
    static const char *const names[] = {"npy", "csv", "png", NULL};
    int f = format_of(arg);
    return f ? f : FMT_NPY + nn_arg_choice("format", arg, names);
}

/* --tile HxW, --grid COLSxROWS: two numbers from 1 to IMAGE_MAX. */
static void pair_arg(const char *opt, const char *arg, uint64_t *a,
                     uint64_t *b)
{
    uint64_t d[2];
    if (nn_arg_dims(opt, arg, 2, IMAGE_MAX, d) != 2)
        nn_usage_error("invalid --%s '%s': expected two numbers joined by "
                       "'x' (28x28)", opt, arg);
    *a = d[0];
    *b = d[1];
}

/* --range LO:HI or auto; returns whether a range was given. */
static int range_arg(const char *arg, double *lo, double *hi)
{
    if (strcmp(arg, "auto") == 0)
        return 0;
    char a[128];
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : 0;
    if (colon && n < sizeof a) {
        memcpy(a, arg, n);
        a[n] = 0;
    }
    if (!colon || n >= sizeof a || nn_parse_double(a, lo) < 0 ||
        nn_parse_double(colon + 1, hi) < 0 || !(*lo < *hi))
        nn_usage_error("invalid --range '%s': expected LO:HI with LO < HI, "
                       "or auto", arg);
    return 1;
}

/* The format from the output's name when not given, and the options that
 * apply to one format only. */
static void check_options(options *o, int csv_opts, int png_opts)
{
    int to_stdout = strcmp(o->out, "-") == 0;
    if (!o->format) {
        if (to_stdout)
            nn_usage_error("give -f npy|csv|png when writing to standard "
                           "output");
        const char *dot = strrchr(o->out, '.');
        if (!dot || strchr(dot, '/') || !(o->format = format_of(dot + 1)))
            nn_usage_error("cannot tell the format of '%s' from its "
                           "extension: give -f npy|csv|png", o->out);
    }
    if (csv_opts && o->format != FMT_CSV)
        nn_usage_error("--delimiter and --header apply to csv only");
    if (png_opts && o->format != FMT_PNG)
        nn_usage_error("--tile, --grid, --columns, --range, --per-tile, "
                       "--zoom and --negative apply to png only");
    if (o->dtype && o->format == FMT_PNG)
        nn_usage_error("--dtype applies to npy and csv only");
    if (o->per_tile && o->range)
        nn_usage_error("--per-tile and --range LO:HI exclude each other");
    if (o->grid_c && o->count && o->count > o->grid_c * o->grid_r)
        nn_usage_error("--count %llu is more than the %llu cells of the grid",
                       (unsigned long long)o->count,
                       (unsigned long long)(o->grid_c * o->grid_r));
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"name", required_argument, 0, 'n'},
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"skip-rows", required_argument, 0, OPT_SKIP},
        {"count", required_argument, 0, 'c'},
        {"dtype", required_argument, 0, 't'},
        {"delimiter", required_argument, 0, OPT_DELIMITER},
        {"header", no_argument, 0, OPT_HEADER},
        {"tile", required_argument, 0, OPT_TILE},
        {"grid", required_argument, 0, OPT_GRID},
        {"columns", no_argument, 0, OPT_COLUMNS},
        {"range", required_argument, 0, OPT_RANGE},
        {"per-tile", no_argument, 0, OPT_PERTILE},
        {"zoom", required_argument, 0, OPT_ZOOM},
        {"negative", no_argument, 0, OPT_NEGATIVE},
        {"progress", no_argument, 0, 'P'},
        NN_LONGOPTS_END};
    *o = (options){.in = "-", .out = "-", .delim = ',', .zoom = 1};
    int c, csv_opts = 0, png_opts = 0;
    while ((c = getopt_long(argc, argv, ":n:f:o:c:t:PhV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'n': o->name = optarg; break;
        case 'f': o->format = format_arg(optarg); break;
        case 'o': o->out = optarg; break;
        case OPT_SKIP:
            o->skip = nn_arg_u64("skip-rows", optarg, 0, UINT64_MAX);
            break;
        case 'c': o->count = nn_arg_u64("count", optarg, 1, UINT64_MAX); break;
        case 't': o->dtype = nn_arg_dtype("dtype", optarg, 0); break;
        case OPT_DELIMITER:
            o->delim = nn_arg_delimiter("delimiter", optarg);
            csv_opts = 1;
            break;
        case OPT_HEADER: o->header = csv_opts = 1; break;
        case OPT_TILE:
            o->no_tile = strcmp(optarg, "none") == 0;
            o->tile_h = o->tile_w = 0;
            if (!o->no_tile)
                pair_arg("tile", optarg, &o->tile_h, &o->tile_w);
            png_opts = 1;
            break;
        case OPT_GRID:
            pair_arg("grid", optarg, &o->grid_c, &o->grid_r);
            png_opts = 1;
            break;
        case OPT_COLUMNS: o->columns = png_opts = 1; break;
        case OPT_RANGE:
            o->range = range_arg(optarg, &o->lo, &o->hi);
            png_opts = 1;
            break;
        case OPT_PERTILE: o->per_tile = png_opts = 1; break;
        case OPT_ZOOM:
            o->zoom = nn_arg_u64("zoom", optarg, 1, 64);
            png_opts = 1;
            break;
        case OPT_NEGATIVE: o->negative = png_opts = 1; break;
        case 'P': o->progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        nn_usage_error("at most one input FILE");
    if (optind < argc)
        o->in = argv[optind];
    check_options(o, csv_opts, png_opts);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-export");
    options o;
    parse(argc, argv, &o);

    exporter ex = {.o = &o, .scratch = nn_xalloc(BLOCK, 8, "scratch")};
    export_stream(&ex);
    nn_error e;
    if (nn_output_close(ex.out, 1, &e) < 0)
        nn_die("%s", e.msg);
    free(ex.scratch);
    return 0;
}

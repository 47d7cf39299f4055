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
    "  -n, --name NAME      the tensor (default: the first of the stream;\n"
    "                       the first of that name if there are several)\n"
    "  -f, --format FMT     npy, csv or png (default: from OUTPUT's extension)\n"
    "  -o, --output FILE    write FILE instead of stdout\n"
    "      --skip-rows K    leave out the first K rows\n"
    "  -c, --count N        at most N rows (png tiles: N tiles, default 100)\n"
    "      --progress       report progress on stderr even if not a terminal\n"
    "npy, csv:\n"
    "  -t, --dtype TYPE     convert elements to TYPE (u8 ... f64)\n"
    "csv:\n"
    "  -d, --delimiter C    value separator: a character, 'tab' or 'space'\n"
    "                       (default ',')\n"
    "      --header         first line c0,c1,...\n"
    "png (8-bit gray; RGB for (h,w,3) or tiles of image=HxWx3):\n"
    "      --tile HxW       cut each row into HxW tiles laid out on a grid\n"
    "                       (default: attribute image=HxW[xC], or the last\n"
    "                       two dims of a rank-3 tensor; else one image);\n"
    "                       'none': one image whatever the attributes\n"
    "      --grid COLSxROWS the grid (default: about square)\n"
    "      --columns        tiles of the columns instead of the rows\n"
    "      --range LO:HI    map LO..HI to 0..255 (default auto: min..max)\n"
    "      --per-tile       map each tile by its own min..max\n"
    "      --zoom K         draw each value as KxK pixels\n"
    "      --invert         255 - v\n"
    "  -h, --help           show this help and exit\n"
    "      --version        show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 bad input, 2 usage error.  See nn-export(1).\n";

enum { FMT_NONE, FMT_NPY, FMT_CSV, FMT_PNG };
enum {
    OPT_PROGRESS = 256, OPT_SKIP, OPT_HEADER, OPT_TILE,
    OPT_GRID, OPT_COLUMNS, OPT_RANGE, OPT_PERTILE, OPT_ZOOM, OPT_INVERT
};

#define NO_LIMIT UINT64_MAX
#define DEFAULT_TILES 100
#define SEPARATOR 128           /* gray of grid lines and empty cells */
#define IMAGE_MAX 1000000       /* libpng's default limit for readers */

static const char *opt_name, *opt_out = "-";
static int opt_format, opt_dtype, opt_header, opt_columns, opt_per_tile;
static int opt_invert, opt_progress, opt_range, opt_no_tile;
static int opt_delim = ',';
static uint64_t opt_skip, opt_count = NO_LIMIT, opt_zoom = 1;
static uint64_t opt_tile_h, opt_tile_w, opt_grid_c, opt_grid_r;
static double opt_lo, opt_hi;

/* ------------------------------------------------------------------ output */

static nn_output *out;

static void output_open(int binary)
{
    nn_error e;
    if (!(out = nn_output_open(opt_out, binary, &e)))
        nn_die("%s", e.msg);
}

static void output_write(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, nn_output_file(out)) != n)
        nn_die("write error on %s: %s", nn_output_name(out), strerror(errno));
}

static void output_close(void)
{
    nn_error e;
    if (nn_output_close(out, 1, &e) < 0)
        nn_die("%s", e.msg);
    out = NULL;
}

/* ------------------------------------------------------------------ tensor */

/* The tensor being exported, as its first record describes it. */
static struct {
    char name[NN_NAME_MAX + 1];
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK];
    char *attrs;
    size_t row_len;             /* elements per row */
    size_t esize;
    uint64_t rows;              /* rows read so far */
    uint64_t sel_end;           /* rows [opt_skip, sel_end) are exported */
    uint64_t exported;          /* rows passed to the format so far */
    const char *file;
} t;

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

/* Elements are converted in blocks of this many through a scratch buffer. */
#define BLOCK 65536
static unsigned char scratch[BLOCK * 8];

/* Converts n elements at src (tensor dtype) to dtype dd in scratch, little
 * endian, and returns it. */
static const void *to_le(const void *src, int dd, size_t n)
{
    nn_convert(scratch, dd, src, t.dtype, n);
    if (!NN_HOST_LE)
        nn_bswap(scratch, n, nn_dtype_size(dd));
    return scratch;
}

/* --------------------------------------------------------------------- npy */

static struct {
    int dtype;
    size_t header_len;          /* reserved, when seekable */
    unsigned char *buf;         /* the rows, when not seekable */
    size_t len, cap;
} npy;

/* The .npy header for `rows` rows, padded to len bytes (0: to a multiple
 * of 64).  Rank <= 8 keeps it far below 64 KiB, so format 2.0 is never
 * needed. */
static size_t npy_header(char *buf, uint64_t rows, size_t len)
{
    uint64_t dims[NN_MAX_RANK];
    memcpy(dims, t.dims, sizeof dims);
    dims[0] = rows;
    size_t n = nn_npy_header_format(buf, NN_NPY_HEADER_FORMAT_MAX, npy.dtype,
                                    t.rank, dims, len);
    if (!n)
        nn_die("%s: cannot make an npy header for '%s'", t.file, t.name);
    return n;
}

static void npy_begin(void)
{
    output_open(1);
    npy.dtype = opt_dtype ? opt_dtype : t.dtype;
    if (nn_output_seekable(out)) {
        char h[NN_NPY_HEADER_FORMAT_MAX];
        npy.header_len = npy_header(h, NO_LIMIT, 0);
        output_write(h, npy.header_len);
    }
}

static void npy_rows(const void *data, size_t rows)
{
    size_t osize = nn_dtype_size(npy.dtype), n = rows * t.row_len;
    for (size_t i = 0; i < n;) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        const void *p = to_le((const char *)data + i * t.esize, npy.dtype, k);
        if (nn_output_seekable(out)) {
            output_write(p, k * osize);
        } else {
            if (append(&npy.buf, &npy.len, &npy.cap, p, k * osize) < 0)
                nn_die("out of memory holding '%s' (%zu bytes) for a pipe; "
                    "write to a file with -o", t.name, npy.len);
        }
        i += k;
    }
}

static void npy_end(void)
{
    char h[NN_NPY_HEADER_FORMAT_MAX];
    if (!nn_output_seekable(out)) {
        output_write(h, npy_header(h, t.exported, 0));
        output_write(npy.buf, npy.len);
        free(npy.buf);
        return;
    }
    npy_header(h, t.exported, npy.header_len);
    off_t end;
    if (fflush(nn_output_file(out)) != 0 || (end = ftello(nn_output_file(out))) < 0 ||
        fseeko(nn_output_file(out), nn_output_start(out), SEEK_SET) != 0)
        nn_die("%s: cannot complete the header: %s", nn_output_name(out),
            strerror(errno));
    output_write(h, npy.header_len);
    if (fflush(nn_output_file(out)) != 0 || fseeko(nn_output_file(out), end, SEEK_SET) != 0)
        nn_die("%s: cannot complete the header: %s", nn_output_name(out),
            strerror(errno));
}

/* --------------------------------------------------------------------- csv */

static int csv_dtype;
static size_t csv_col;

static void csv_value(const void *p, size_t i)
{
    FILE *f = nn_output_file(out);
    switch (csv_dtype) {
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

static void csv_begin(void)
{
    output_open(0);
    csv_dtype = opt_dtype ? opt_dtype : t.dtype;
    if (opt_header)
        for (size_t j = 0; j < t.row_len; j++)
            fprintf(nn_output_file(out), "c%zu%c", j, j + 1 < t.row_len ? opt_delim : '\n');
}

static void csv_rows(const void *data, size_t rows)
{
    size_t n = rows * t.row_len;
    /* rows are joined across blocks: csv_col is the column of the next value */
    for (size_t i = 0; i < n;) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        nn_convert(scratch, csv_dtype, (const char *)data + i * t.esize,
                   t.dtype, k);
        for (size_t j = 0; j < k; j++) {
            csv_value(scratch, j);
            if (++csv_col == t.row_len)
                csv_col = 0;
            putc(csv_col ? opt_delim : '\n', nn_output_file(out));
        }
        i += k;
    }
    if (ferror(nn_output_file(out)))
        nn_die("write error on %s: %s", nn_output_name(out), strerror(errno));
}

/* --------------------------------------------------------------------- png
 * The values shown are kept in the tensor's dtype: whole rows (tiles of rows,
 * or one image) or the first `ncols` values of every row (tiles of columns).
 * Tiles of an image attribute HxWx3 are RGB, channels innermost.
 * Tile i's pixel p, channel c is element i*tstride + p*pstride + c. */

enum { PNG_IMAGE, PNG_ROWS, PNG_COLUMNS };

static struct {
    int mode;
    uint64_t th, tw;            /* tile size (0: square, decided at the end) */
    int channels;
    size_t per_row;             /* tiles per row (PNG_ROWS) */
    uint64_t tiles;             /* tiles wanted */
    size_t ncols;               /* columns kept (PNG_COLUMNS) */
    const char *tile_from;      /* for messages */
    unsigned char *buf;
    size_t len, cap;
} png;

static void png_keep(const void *p, size_t n)
{
    if (append(&png.buf, &png.len, &png.cap, p, n) < 0)
        nn_die("out of memory keeping %zu bytes of '%s' for the image",
            png.len, t.name);
}

/* Decides what the image shows, before any output. */
static void png_layout(void)
{
    char attr[64];
    uint64_t d[3];
    int nd;
    if (t.rank < 2)
        nn_die("%s: '%s' has rank %d: a PNG needs rank 2 or more", t.file,
            t.name, t.rank);
    if (t.row_len == 0)
        nn_die("%s: '%s' has rows of width 0: a PNG needs a pixel or more",
            t.file, t.name);
    png.th = opt_tile_h;
    png.tw = opt_tile_w;
    png.channels = 1;
    png.tile_from = "--tile";
    uint64_t want = opt_count != NO_LIMIT ? opt_count
                    : opt_grid_c ? opt_grid_c * opt_grid_r
                                 : DEFAULT_TILES;
    if (opt_columns) {
        if (t.rank > 2)
            nn_die("%s: '%s' has rank %d, too high for --columns (rank 2 only)",
                t.file, t.name, t.rank);
        png.mode = PNG_COLUMNS;
        png.ncols = want < t.row_len ? (size_t)want : t.row_len;
        t.sel_end = NO_LIMIT;
        return;
    }
    int one_image = t.rank == 2 ||
                    (t.rank == 3 && (t.dims[2] == 1 || t.dims[2] == 3));
    if (png.th || opt_no_tile) {
        /* as the options say */
    } else if (nn_attrs_get(t.attrs, "image", attr, sizeof attr) &&
               ((nd = nn_dims_parse(attr, 3, IMAGE_MAX, d)) == 2 ||
                (nd == 3 && (d[2] == 1 || d[2] == 3)))) {
        png.th = d[0];
        png.tw = d[1];
        png.channels = nd == 3 ? (int)d[2] : 1;
        png.tile_from = "attribute image";
    } else if (t.rank == 3 && !one_image) {
        png.th = t.dims[1];
        png.tw = t.dims[2];
        png.tile_from = "the shape";
    }
    if (!png.th && !one_image)
        nn_die("%s: '%s' has rank %d, too high for one image: give --tile HxW",
            t.file, t.name, t.rank);
    if (!png.th) {
        if (opt_grid_c)
            nn_die("%s: '%s' is one image, not tiles: --grid needs --tile",
                t.file, t.name);
        png.mode = PNG_IMAGE;
        png.channels = t.rank == 3 ? (int)t.dims[2] : 1;
        png.tw = t.dims[1];
        if (png.tw > IMAGE_MAX)
            nn_die("%s: '%s' is %llu columns wide, too wide for an image",
                t.file, t.name, (unsigned long long)png.tw);
        t.sel_end = opt_count == NO_LIMIT ? NO_LIMIT : opt_skip + opt_count;
        return;
    }
    uint64_t area = png.th * png.tw * png.channels;
    if (t.row_len == 0 || t.row_len % area) {
        char tile[64];
        uint64_t hwc[3] = {png.th, png.tw, (uint64_t)png.channels};
        nn_die("%s: tile %s (%s) does not divide the rows of '%s' (%zu "
            "values)", t.file, nn_dims_format(tile, sizeof tile,
            png.channels > 1 ? 3 : 2, hwc), png.tile_from, t.name, t.row_len);
    }
    png.mode = PNG_ROWS;
    png.per_row = t.row_len / area;
    png.tiles = want;
    uint64_t rows = (want + png.per_row - 1) / png.per_row;
    t.sel_end = opt_skip + rows < opt_skip ? NO_LIMIT : opt_skip + rows;
}

static void png_begin(void)
{
    png_layout();
    output_open(1);
}

static void png_rows(const void *data, size_t n)
{
    if (png.mode != PNG_COLUMNS) {
        png_keep(data, n * t.row_len * t.esize);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (png.th && t.exported + i == png.th * png.tw)
            nn_die("%s: columns of '%s' are longer than the tile %llux%llu",
                t.file, t.name, (unsigned long long)png.th,
                (unsigned long long)png.tw);
        png_keep((const char *)data + i * t.row_len * t.esize,
                 png.ncols * t.esize);
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

static unsigned char to_pixel(double v, double lo, double scale)
{
    double x = (v - lo) * scale;
    int p = !(x > 0) ? 0 : x >= 255 ? 255 : (int)(x + 0.5); /* NaN: 0 */
    return (unsigned char)(opt_invert ? 255 - p : p);
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
    uint64_t n;                 /* tiles shown */
    uint64_t gc, gr;
    uint64_t th, tw, z;
    int ch;
    size_t tstride, pstride;
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
        double lo = opt_per_tile ? L->lo[i] : L->lo[0];
        double scale = opt_per_tile ? L->scale[i] : L->scale[0];
        unsigned char *q = row + gx * (L->tw * L->z + 1) * L->ch;
        for (uint64_t px = 0; px < L->tw; px++)
            for (int c = 0; c < L->ch; c++) {
                size_t k = i * L->tstride + (py * L->tw + px) * L->pstride + c;
                unsigned char v =
                    to_pixel(nn_elem_f64(png.buf, t.dtype, k), lo, scale);
                for (uint64_t zz = 0; zz < L->z; zz++)
                    q[(px * L->z + zz) * L->ch + c] = v;
            }
    }
}

/* Writes the image with libpng; returns 0 or -1 with a message in msg. */
static int png_write(const layout *L, unsigned char *row, char *msg)
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
    png_init_io(p, nn_output_file(out));
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

static void png_end(void)
{
    layout L = {.z = opt_zoom, .ch = png.channels, .th = png.th, .tw = png.tw};
    if (t.exported == 0)
        nn_die("%s: no rows of '%s' to show (%llu rows, %llu skipped)", t.file,
            t.name, (unsigned long long)t.rows, (unsigned long long)opt_skip);
    switch (png.mode) {
    case PNG_IMAGE:
        L.n = 1;
        L.th = t.exported;
        L.tstride = 0;
        L.pstride = png.channels;
        break;
    case PNG_ROWS:
        L.n = t.exported * png.per_row < png.tiles
                  ? t.exported * png.per_row
                  : png.tiles;
        L.tstride = png.th * png.tw * png.channels;
        L.pstride = png.channels;
        break;
    default:
        if (!png.th && !(L.th = L.tw = exact_sqrt(t.exported)))
            nn_die("%s: columns of '%s' have %llu values, not a square number: "
                "give --tile HxW", t.file, t.name,
                (unsigned long long)t.exported);
        if (L.th * L.tw != t.exported)
            nn_die("%s: columns of '%s' have %llu values (after --skip-rows), "
                "the tile %llux%llu needs %llu", t.file, t.name,
                (unsigned long long)t.exported, (unsigned long long)L.th,
                (unsigned long long)L.tw, (unsigned long long)(L.th * L.tw));
        L.n = png.ncols;
        L.tstride = 1;
        L.pstride = png.ncols;
        break;
    }
    if (L.n == 0)
        nn_die("%s: '%s' has no columns to show", t.file, t.name);
    if (opt_grid_c) {
        L.gc = opt_grid_c;
        L.gr = opt_grid_r;
    } else {
        L.gc = (uint64_t)ceil(sqrt((double)L.n));
        while (L.gc > 1 && (L.gc - 1) * (L.gc - 1) >= L.n)
            L.gc--;
        while (L.gc * L.gc < L.n)
            L.gc++;
        L.gr = (L.n + L.gc - 1) / L.gc;
    }
    double w = (double)L.gc * ((double)L.tw * L.z + 1) - 1;
    double h = (double)L.gr * ((double)L.th * L.z + 1) - 1;
    if (w > IMAGE_MAX || h > IMAGE_MAX)
        nn_die("%s: the image of '%s' would be %.0fx%.0f pixels, more than %d "
            "on a side", t.file, t.name, w, h, IMAGE_MAX);
    L.width = (uint32_t)w;
    L.height = (uint32_t)h;

    /* value ranges: fixed, over everything shown, or per tile */
    size_t nr = opt_per_tile ? (size_t)L.n : 1;
    nn_error e;
    if (!(L.lo = nn_alloc(nr, sizeof(double), "tile ranges", &e)) ||
        !(L.scale = nn_alloc(nr, sizeof(double), "tile ranges", &e)))
        nn_die("%s", e.msg);
    for (size_t i = 0; i < nr; i++) {
        L.lo[i] = INFINITY;
        L.scale[i] = -INFINITY; /* the maximum, until made a scale */
    }
    size_t area = (size_t)(L.th * L.tw);
    for (uint64_t i = 0; i < L.n && !opt_range; i++) {
        size_t r = opt_per_tile ? i : 0;
        for (size_t p = 0; p < area; p++)
            for (int c = 0; c < L.ch; c++) {
                double v = nn_elem_f64(png.buf, t.dtype,
                                       i * L.tstride + p * L.pstride + c);
                if (isfinite(v)) {
                    L.lo[r] = v < L.lo[r] ? v : L.lo[r];
                    L.scale[r] = v > L.scale[r] ? v : L.scale[r];
                }
            }
    }
    for (size_t i = 0; i < nr; i++) {
        if (opt_range) {
            L.lo[i] = opt_lo;
            L.scale[i] = opt_hi;
        } else if (L.lo[i] > L.scale[i]) { /* nothing finite */
            L.lo[i] = L.scale[i] = 0;
        }
        L.scale[i] = pixel_scale(L.lo[i], L.scale[i]);
    }
    unsigned char *row = nn_alloc(L.width, L.ch, "image row", &e);
    if (!row)
        nn_die("%s", e.msg);
    char msg[256] = "";
    if (png_write(&L, row, msg) < 0)
        nn_die("%s: libpng: %s", nn_output_name(out), msg);
    free(row);
    free(L.lo);
    free(L.scale);
    free(png.buf);
}

/* -------------------------------------------------------------------- main */

/* What each format does: begin checks the tensor, opens the output and
 * writes a header; rows takes the selected rows of each record; end
 * completes the output. */
static const struct format {
    const char *name;
    void (*begin)(void);
    void (*rows)(const void *data, size_t rows);
    void (*end)(void);
} formats[] = {
    [FMT_NPY] = {"npy", npy_begin, npy_rows, npy_end},
    [FMT_CSV] = {"csv", csv_begin, csv_rows, NULL},
    [FMT_PNG] = {"png", png_begin, png_rows, png_end},
};

/* Starts exporting the tensor whose first record is r. */
static void begin(const nn_record *r)
{
    strcpy(t.name, r->name);
    t.dtype = r->dtype;
    t.rank = r->rank;
    memcpy(t.dims, r->dims, sizeof t.dims);
    if (!(t.attrs = strdup(r->attrs)))
        nn_die("out of memory");
    t.esize = nn_dtype_size(r->dtype);
    t.row_len = nn_record_row_bytes(r) / t.esize;
    t.sel_end = opt_count == NO_LIMIT ? NO_LIMIT : opt_skip + opt_count;
    if (t.sel_end < opt_skip)
        t.sel_end = NO_LIMIT;
    if (t.rank == 0 && opt_skip)
        nn_die("%s: '%s' is a scalar (rank 0): it has no rows to select",
            t.file, t.name);
    formats[opt_format].begin();
}

/* The rows of one record of the tensor (read from in): passes on those
 * selected, decoding the record in pieces of whole rows near
 * NN_CHUNK_BYTES only as far as the selection goes. */
static void feed(nn_reader *in, const nn_record *r)
{
    nn_error e;
    uint64_t n = nn_record_rows(r), r0 = t.rows;
    size_t rb = t.row_len * t.esize;
    t.rows += n;
    uint64_t lo = r0 > opt_skip ? r0 : opt_skip;
    uint64_t hi = t.sel_end < r0 + n ? t.sel_end : r0 + n;
    if (lo >= hi)
        return;
    if (!rb) { /* rows of width 0: no elements (decoding checks the frame) */
        if (nn_reader_decode(in, r, &e) < 0)
            nn_die("%s", e.msg);
        formats[opt_format].rows("", (size_t)(hi - lo));
        t.exported += hi - lo;
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
        formats[opt_format].rows((const char *)p + (a - at) * rb,
                                 (size_t)(b - a));
        t.exported += b - a;
    }
}

static void export(const char *path)
{
    nn_error e;
    nn_reader *in = nn_reader_open(path, &e);
    if (!in)
        nn_die("%s", e.msg);
    t.file = nn_reader_name(in);
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, opt_progress);
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
            (!opt_name || strcmp(r->name, opt_name) == 0)) {
            state = OPEN;
            mine = 1;
        } else if (state == OPEN && strcmp(r->name, t.name) == 0) {
            if (pos.first)
                state = CLOSED; /* a later tensor of the same name */
            else
                mine = 1;
        }
        if (mine) {
            if (pos.first)
                begin(r);
            feed(in, r);
        }
        nn_progress_update(&prog, nn_reader_offset(in) >> 20, 0, "MiB");
    }
    nn_progress_end(&prog);
    if (rc < 0)
        nn_die("%s", e.msg);
    if (state == SEARCHING) {
        if (records == 0)
            nn_die("%s: empty stream, no tensor to export", t.file);
        nn_die("%s: no tensor named '%s'", t.file, opt_name);
    }
    if (formats[opt_format].end)
        formats[opt_format].end();
    nn_reader_close(in);
    free(t.attrs);
}

static void parse_pair(const char *opt, const char *s, uint64_t *a,
                       uint64_t *b)
{
    uint64_t d[2];
    if (nn_dims_parse(s, 2, IMAGE_MAX, d) != 2)
        nn_usage_error("invalid %s '%s' (want AxB, positive)", opt, s);
    *a = d[0];
    *b = d[1];
}

static int format_of(const char *s)
{
    for (int f = FMT_NPY; f <= FMT_PNG; f++)
        if (strcasecmp(s, formats[f].name) == 0)
            return f;
    return FMT_NONE;
}

static void check_options(int csv_opts, int png_opts)
{
    int to_stdout = strcmp(opt_out, "-") == 0;
    if (!opt_format) {
        if (to_stdout)
            nn_usage_error("give -f npy|csv|png when writing to standard "
                           "output");
        const char *dot = strrchr(opt_out, '.');
        if (!dot || strchr(dot, '/') || !(opt_format = format_of(dot + 1)))
            nn_usage_error("cannot tell the format of '%s' from its "
                           "extension: give -f npy|csv|png", opt_out);
    }
    if (csv_opts && opt_format != FMT_CSV)
        nn_usage_error("--delimiter and --header apply to csv only");
    if (png_opts && opt_format != FMT_PNG)
        nn_usage_error("--tile, --grid, --columns, --range, --per-tile, "
                       "--zoom and --invert apply to png only");
    if (opt_dtype && opt_format == FMT_PNG)
        nn_usage_error("--dtype applies to npy and csv only");
    if (opt_per_tile && opt_range)
        nn_usage_error("--per-tile and --range LO:HI exclude each other");
    if (opt_grid_c && opt_count != NO_LIMIT &&
        opt_count > opt_grid_c * opt_grid_r)
        nn_usage_error("--count %llu is more than the %llu cells of the grid",
                       (unsigned long long)opt_count,
                       (unsigned long long)(opt_grid_c * opt_grid_r));
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-export");
    static const struct option longopts[] = {
        {"name", required_argument, 0, 'n'},
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"skip-rows", required_argument, 0, OPT_SKIP},
        {"count", required_argument, 0, 'c'},
        {"dtype", required_argument, 0, 't'},
        {"delimiter", required_argument, 0, 'd'},
        {"header", no_argument, 0, OPT_HEADER},
        {"tile", required_argument, 0, OPT_TILE},
        {"grid", required_argument, 0, OPT_GRID},
        {"columns", no_argument, 0, OPT_COLUMNS},
        {"range", required_argument, 0, OPT_RANGE},
        {"per-tile", no_argument, 0, OPT_PERTILE},
        {"zoom", required_argument, 0, OPT_ZOOM},
        {"invert", no_argument, 0, OPT_INVERT},
        {"progress", no_argument, 0, OPT_PROGRESS},
        NN_LONGOPTS_END};
    nn_error e;
    int c, csv_opts = 0, png_opts = 0;
    while ((c = getopt_long(argc, argv, ":n:f:o:c:t:d:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': opt_name = optarg; break;
        case 'f':
            if (!(opt_format = format_of(optarg)))
                nn_usage_error("unknown format '%s' (npy, csv or png)", optarg);
            break;
        case 'o': opt_out = optarg; break;
        case OPT_SKIP:
            if (nn_parse_u64(optarg, &opt_skip) < 0)
                nn_usage_error("invalid --skip-rows '%s'", optarg);
            break;
        case 'c':
            if (nn_parse_u64(optarg, &opt_count) < 0 || opt_count == 0 ||
                opt_count == NO_LIMIT)
                nn_usage_error("invalid --count '%s' (a positive number)",
                               optarg);
            break;
        case 't':
            if (!(opt_dtype = nn_dtype_parse(optarg)))
                nn_usage_error("unknown dtype '%s'", optarg);
            break;
        case 'd':
            csv_opts = 1;
            if (nn_delim_parse(optarg, &opt_delim, &e) < 0)
                nn_usage_error("%s", e.msg);
            break;
        case OPT_HEADER: opt_header = csv_opts = 1; break;
        case OPT_TILE:
            opt_no_tile = strcmp(optarg, "none") == 0;
            opt_tile_h = opt_tile_w = 0;
            if (!opt_no_tile)
                parse_pair("--tile", optarg, &opt_tile_h, &opt_tile_w);
            png_opts = 1;
            break;
        case OPT_GRID:
            parse_pair("--grid", optarg, &opt_grid_c, &opt_grid_r);
            png_opts = 1;
            break;
        case OPT_COLUMNS: opt_columns = png_opts = 1; break;
        case OPT_RANGE: {
            png_opts = 1;
            if (strcmp(optarg, "auto") == 0) {
                opt_range = 0;
                break;
            }
            char lo[128];
            const char *colon = strchr(optarg, ':');
            size_t n = colon ? (size_t)(colon - optarg) : 0;
            if (!colon || n >= sizeof lo)
                nn_usage_error("invalid --range '%s' (LO:HI or auto)", optarg);
            memcpy(lo, optarg, n);
            lo[n] = 0;
            if (nn_parse_double(lo, &opt_lo) < 0 ||
                nn_parse_double(colon + 1, &opt_hi) < 0 ||
                !isfinite(opt_lo) || !isfinite(opt_hi) || !(opt_lo < opt_hi))
                nn_usage_error("invalid --range '%s' (LO:HI with LO < HI, "
                               "or auto)", optarg);
            opt_range = 1;
            break;
        }
        case OPT_PERTILE: opt_per_tile = png_opts = 1; break;
        case OPT_ZOOM:
            if (nn_parse_u64(optarg, &opt_zoom) < 0 || opt_zoom < 1 ||
                opt_zoom > 64)
                nn_usage_error("invalid --zoom '%s' (1..64)", optarg);
            png_opts = 1;
            break;
        case OPT_INVERT: opt_invert = png_opts = 1; break;
        case OPT_PROGRESS: opt_progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        nn_usage_error("at most one input FILE");
    check_options(csv_opts, png_opts);
    export(optind < argc ? argv[optind] : "-");
    output_close();
    return 0;
}

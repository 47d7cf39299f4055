/* nn-standardize — per-feature centering and scaling with statistics fitted
 * on one stream (the training set) and applied to any other (the test set).
 *
 *   nn-standardize --fit < train.nns > stats.nns
 *   nn-standardize --stats stats.nns < test.nns > test.std.nns
 */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-standardize --fit [OPTION]... [FILE]\n"
    "  or:  nn-standardize --stats=STATS [OPTION]... [FILE]\n"
    "Fit per-feature mean and standard deviation of a tensor (--fit), or\n"
    "apply fitted statistics: x <- (x - mean) / std.  Other records pass\n"
    "through unchanged.\n"
    "\n"
    "  -F, --fit            write the statistics (records 'mean' and 'std')\n"
    "      --stats=FILE     apply the statistics in FILE\n"
    "  -n, --name=NAME      the tensor to fit or transform (default x)\n"
    "      --center         subtract the mean only, do not divide\n"
    "      --eps=E          features whose std is below E are only centered\n"
    "                       (default 1e-6)\n"
    "  -t, --dtype=TYPE     output type, f32 or f64 (default f32, f64 for f64\n"
    "                       input)\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress records with zstd (default level 3)\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "See nn-standardize(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-standardize --center --stats mnist.stats test.nns > test.c.nns\n";

enum { OPT_STATS = 256, OPT_CENTER, OPT_EPS };

typedef struct options {
    int fit;                    /* --fit; else apply --stats */
    const char *stats;          /* --stats FILE */
    const char *name;           /* the tensor */
    int center;
    double eps;
    int dtype;                  /* 0: f32, or f64 for f64 input */
    const char *in, *out;       /* "-": stdin, stdout */
    int level;                  /* zstd level, 0 for none */
} options;

/* Per-column running statistics, merged block by block (Chan et al.). */
typedef struct colstats {
    size_t n;          /* columns */
    uint64_t rows;
    double *mean, *m2, *bmean, *bm2, *buf;
} colstats;

static void colstats_free(colstats *s)
{
    free(s->mean);
    free(s->m2);
    free(s->bmean);
    free(s->bm2);
    free(s->buf);
}

/* The statistics applied: per column, the mean and the multiplier (1/std,
 * or 1 for a column only centred), and the shape of a row. */
typedef struct stats {
    double *mean, *scale;
    size_t n;
    int rank;
    uint64_t dims[NN_MAX_RANK];
} stats;

/* "nan", never "-nan", in messages */
static double shown(double v) { return isnan(v) ? fabs(v) : v; }

/* Rows are added in blocks of this many, counted from the start of each
 * record. */
#define BLOCK_ROWS 256

/* Adds rows (rows, s->n) of record r at data, from input in_name, whose
 * values must be finite; 0, or -1 with the message in e. */
static int colstats_add(colstats *s, const nn_record *r, const void *data,
                        size_t rows, const char *in_name, nn_error *e)
{
    size_t n = s->n;
    for (size_t i0 = 0; i0 < rows; i0 += BLOCK_ROWS) {
        size_t k = rows - i0 < BLOCK_ROWS ? rows - i0 : BLOCK_ROWS;
        /* (k,n) block in double */
        nn_convert(s->buf, NN_F64, (const char *)data + i0 * n *
                   nn_dtype_size(r->dtype), r->dtype, k * n);
        size_t bad = nn_nonfinite_find(s->buf, NN_F64, k * n);
        if (bad < k * n)
            return nn_fail(e, "%s: row %llu, column %zu of '%s': %g is not "
                           "finite", in_name,
                           (unsigned long long)(s->rows + bad / n), bad % n,
                           r->name, shown(s->buf[bad]));
        for (size_t j = 0; j < n; j++)
            s->bmean[j] = s->bm2[j] = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < n; j++)
                s->bmean[j] += s->buf[i * n + j];
        for (size_t j = 0; j < n; j++)
            s->bmean[j] /= (double)k;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < n; j++) {
                double d = s->buf[i * n + j] - s->bmean[j];
                s->bm2[j] += d * d;
            }
        double na = (double)s->rows, nb = (double)k, nt = na + nb;
        for (size_t j = 0; j < n; j++) {
            double d = s->bmean[j] - s->mean[j];
            s->mean[j] += d * (nb / nt);
            s->m2[j] += s->bm2[j] + d * d * (na * nb / nt);
        }
        s->rows += k;
    }
    return 0;
}

static int check_rows(nn_reader *in, const nn_record *r, nn_error *e)
{
    if (r->rank < 1)
        return nn_fail(e, "%s: record %llu: '%s' has rank 0; need rows of "
                       "features", nn_reader_name(in),
                       (unsigned long long)r->index, r->name);
    return 0;
}

/* Adds the rows of record r to s, which takes its columns (and the shape
 * of a row, into rank and dims) from the first; 0, or -1 with the message
 * in e. */
static int fit_record(colstats *s, uint64_t *dims, int *rank, nn_reader *in,
                      const nn_record *r, nn_error *e)
{
    if (check_rows(in, r, e) < 0)
        return -1;
    size_t n = nn_record_row_bytes(r) / nn_dtype_size(r->dtype);
    if (n == 0)
        return nn_fail(e, "%s: record %llu: '%s' has rows of width 0: "
                       "nothing to standardize", nn_reader_name(in),
                       (unsigned long long)r->index, r->name);
    if (!s->mean) {
        s->n = n;
        *rank = r->rank - 1;
        memcpy(dims, r->dims + 1, sizeof(uint64_t) * *rank);
        if (!(s->mean = calloc(n, sizeof(double))) ||
            !(s->m2 = calloc(n, sizeof(double))) ||
            !(s->bmean = calloc(n, sizeof(double))) ||
            !(s->bm2 = calloc(n, sizeof(double))) ||
            !(s->buf = nn_alloc(BLOCK_ROWS * n, sizeof(double), "row block",
                                e)))
            return nn_fail(e, "out of memory for %zu features", n);
    } else if (n != s->n) {
        return nn_fail(e, "%s: record %llu: '%s' has %zu features per row, "
                       "earlier records %zu", nn_reader_name(in),
                       (unsigned long long)r->index, r->name, n, s->n);
    }
    /* in pieces of whole blocks, so that the sums are those of the record
     * read whole */
    size_t rb = nn_record_row_bytes(r);
    size_t blocks = nn_chunk_rows(rb) / BLOCK_ROWS;
    size_t max = (blocks ? blocks : 1) * BLOCK_ROWS * rb;
    const void *p;
    size_t got;
    int rc;
    while ((rc = nn_reader_piece(in, r, max, &p, &got, e)) == 1)
        if (colstats_add(s, r, p, got / rb, nn_reader_name(in), e) < 0)
            return -1;
    return rc;
}

/* Writes the statistics of tensor o->name of in to w; 0, or -1 with the
 * message in e. */
static int fit(const options *o, nn_reader *in, nn_writer *w, nn_error *e)
{
    const nn_record *r;
    colstats s = {0};
    uint64_t dims[NN_MAX_RANK];
    int rank = 0, rc;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(in, &r, &pos, 1, e)) == 1)
        if (strcmp(r->name, o->name) == 0 &&
            (rc = fit_record(&s, dims, &rank, in, r, e)) < 0)
            break;
    if (rc == 0 && !s.mean)
        rc = nn_fail(e, "%s: no tensor named '%s'", nn_reader_name(in),
                     o->name);
    if (rc == 0 && s.rows == 0)
        rc = nn_fail(e, "%s: tensor '%s' has no rows", nn_reader_name(in),
                     o->name);
    for (size_t j = 0; rc == 0 && j < s.n; j++) {
        /* finite values whose sums do not fit a double */
        if (!isfinite(s.mean[j]) || !isfinite(s.m2[j]))
            rc = nn_fail(e, "%s: column %zu of '%s': the %s overflows f64",
                         nn_reader_name(in), j, o->name,
                         isfinite(s.mean[j]) ? "variance" : "mean");
        else
            s.m2[j] = sqrt(s.m2[j] / (double)s.rows);
    }
    if (rc == 0) {
        char attrs[512];
        snprintf(attrs, sizeof attrs, "producer=nn-standardize %s\nof=%s\n"
                 "rows=%llu\n", NN_VERSION, o->name,
                 (unsigned long long)s.rows);
        nn_header h = {.name = "mean", .dtype = NN_F64, .rank = rank,
                       .attrs = attrs};
        memcpy(h.dims, dims, sizeof(uint64_t) * rank);
        if (nn_writer_put(w, &h, s.mean, e) < 0)
            rc = -1;
        h.name = "std";
        if (rc == 0 && nn_writer_put(w, &h, s.m2, e) < 0)
            rc = -1;
    }
    colstats_free(&s);
    return rc;
}

/* Reads the 'mean' and 'std' records of the statistics file o->stats into
 * st, std turned into the multiplier applied; 0, or -1 with the message in
 * e. */
static int stats_load(const options *o, stats *st, nn_error *e)
{
    const char *path = o->stats;
    nn_reader *r = nn_reader_open(path, e);
    if (!r)
        return -1;
    const nn_record *rec;
    nn_row_pos pos;
    int rc;
    size_t sizes[2] = {0, 0};
    while ((rc = nn_reader_next_at(r, &rec, &pos, 1, e)) == 1) {
        int k = strcmp(rec->name, "mean") == 0 ? 0
              : strcmp(rec->name, "std") == 0  ? 1 : -1;
        if (k < 0) /* other records are not decoded */
            continue;
        if (!pos.first) { /* --fit writes each in one record */
            rc = nn_fail(e, "%s: record %llu: '%s' in chunks (join them "
                         "with nn-cat)", path,
                         (unsigned long long)rec->index, rec->name);
            break;
        }
        if ((rc = nn_reader_decode(r, rec, e)) < 0)
            break;
        double **dst = k ? &st->scale : &st->mean;
        if (k == 0) { /* the shape of a row comes from the means */
            st->rank = rec->rank;
            memcpy(st->dims, rec->dims, sizeof st->dims);
        }
        sizes[k] = (size_t)rec->nelem;
        free(*dst);
        if (!(*dst = nn_alloc(sizes[k], sizeof(double), "statistics", e))) {
            rc = -1;
            break;
        }
        nn_convert(*dst, NN_F64, rec->data, rec->dtype, sizes[k]);
    }
    nn_reader_close(r);
    if (rc < 0)
        return -1;
    if (!st->mean || !st->scale)
        return nn_fail(e, "%s: not a statistics file (need records 'mean' "
                       "and 'std'; make one with nn-standardize --fit)",
                       path);
    if (sizes[0] != sizes[1])
        return nn_fail(e, "%s: 'mean' has %zu values, 'std' %zu", path,
                       sizes[0], sizes[1]);
    if (sizes[0] == 0)
        return nn_fail(e, "%s: statistics of no columns", path);
    st->n = sizes[0];
    for (size_t j = 0; j < st->n; j++) {
        if (!isfinite(st->mean[j]))
            return nn_fail(e, "%s: column %zu of 'mean': %g is not finite",
                           path, j, shown(st->mean[j]));
        if (!(isfinite(st->scale[j]) && st->scale[j] >= 0))
            return nn_fail(e, "%s: column %zu of 'std': %g is not a "
                           "standard deviation", path, j,
                           shown(st->scale[j]));
    }
    /* from std to the multiplier applied (a constant column, std below
     * eps, only centred) */
    for (size_t j = 0; j < st->n; j++)
        st->scale[j] = o->center || !(st->scale[j] >= o->eps)
                           ? 1.0 : 1.0 / st->scale[j];
    return 0;
}

/* The buffers of apply: a row in double, and a chunk of rows written. */
typedef struct apply_buf {
    double *row;
    void *out;
    size_t chunk;               /* rows per chunk written */
} apply_buf;

/* Writes record r of the tensor standardized with st, chunk by chunk,
 * decoding its rows piece by piece as the chunks need them; 0, or -1 with
 * the message in e. */
static int apply_record(const options *o, const stats *st, apply_buf *b,
                        nn_reader *in, const nn_record *r,
                        const nn_row_pos *pos, nn_writer *w, nn_error *e)
{
    size_t n = st->n;
    if (check_rows(in, r, e) < 0)
        return -1;
    int same = r->rank - 1 == st->rank;
    for (int i = 0; same && i < st->rank; i++)
        same = r->dims[i + 1] == st->dims[i];
    if (!same) {
        char a[160], c[160];
        return nn_fail(e, "%s: record %llu: rows of '%s' are %s, the "
                       "statistics %s", nn_reader_name(in),
                       (unsigned long long)r->index, r->name,
                       nn_shape_str(a, sizeof a, r->rank - 1, r->dims + 1),
                       nn_shape_str(c, sizeof c, st->rank, st->dims));
    }
    if (!r->nbytes && nn_reader_decode(in, r, e) < 0)
        return -1; /* no elements, but the frame is checked */
    int dt = o->dtype ? o->dtype : r->dtype == NN_F64 ? NN_F64 : NN_F32;
    char *attrs = NULL;
    if (pos->first) { /* a new tensor of this name starts here */
        nn_writer_end_tensor(w, r->name);
        if (!(attrs = nn_attrs_set(r->attrs, "standardized",
                                   o->center ? "center" : "z")))
            return nn_fail(e, "out of memory");
    }
    size_t rows = (size_t)nn_record_rows(r), rb = nn_record_row_bytes(r);
    int rc = 0;
    for (size_t i0 = 0; i0 < rows || (i0 == 0 && rows == 0);
         i0 += b->chunk) {
        size_t k = rows - i0 < b->chunk ? rows - i0 : b->chunk, got;
        const void *p = "";
        /* the chunk's rows, decoded as they are needed */
        if (k && rb &&
            (rc = nn_reader_piece(in, r, k * rb, &p, &got, e)) != 1) {
            if (rc == 0)
                rc = nn_fail(e, "a record ended before its rows");
            break;
        }
        rc = 0;
        for (size_t i = 0; i < k; i++) {
            nn_convert(b->row, NN_F64, (const char *)p + i * rb, r->dtype,
                       n);
            for (size_t j = 0; j < n; j++)
                b->row[j] = (b->row[j] - st->mean[j]) * st->scale[j];
            nn_convert((char *)b->out + i * n * nn_dtype_size(dt), dt,
                       b->row, NN_F64, n);
        }
        nn_header h = {.name = r->name, .dtype = dt, .rank = r->rank,
                       .attrs = attrs};
        memcpy(h.dims, r->dims, sizeof h.dims);
        h.dims[0] = k;
        if ((rc = nn_writer_rows(w, &h, b->out, e)) < 0)
            break;
        if (rows == 0)
            break;
    }
    free(attrs);
    return rc;
}

/* Rewrites the rows of tensor o->name chunk by chunk (near NN_CHUNK_BYTES
 * of output, whatever the size of the input's records); other records are
 * copied as stored, without being decoded.  0, or -1 with the message in
 * e. */
static int apply(const options *o, nn_reader *in, nn_writer *w, nn_error *e)
{
    stats st = {0};
    apply_buf b = {0};
    int rc = stats_load(o, &st, e);
    if (rc == 0) {
        b.chunk = nn_chunk_rows(st.n * sizeof(float));
        if (!(b.row = nn_alloc(st.n, sizeof *b.row, "row", e)) ||
            !(b.out = nn_alloc(b.chunk * st.n, sizeof(double), "rows", e)))
            rc = -1;
    }
    const nn_record *r;
    nn_row_pos pos;
    while (rc == 0 && (rc = nn_reader_next_at(in, &r, &pos, 1, e)) == 1) {
        if (strcmp(r->name, o->name) != 0)
            rc = nn_writer_copy(w, r, e);
        else
            rc = apply_record(o, &st, &b, in, r, &pos, w, e);
    }
    free(b.row);
    free(b.out);
    free(st.mean);
    free(st.scale);
    return rc;
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"fit", no_argument, 0, 'F'},
        {"stats", required_argument, 0, OPT_STATS},
        {"name", required_argument, 0, 'n'},
        {"center", no_argument, 0, OPT_CENTER},
        {"eps", required_argument, 0, OPT_EPS},
        {"dtype", required_argument, 0, 't'},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    *o = (options){.name = "x", .eps = 1e-6, .in = "-", .out = "-"};
    int c;
    while ((c = getopt_long(argc, argv, ":Fn:t:o:z::hV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'F': o->fit = 1; break;
        case OPT_STATS: o->stats = optarg; break;
        case 'n': o->name = optarg; break;
        case OPT_CENTER: o->center = 1; break;
        case OPT_EPS: o->eps = nn_arg_double("eps", optarg, 0, INFINITY); break;
        case 't': o->dtype = nn_float_dtype_arg(optarg); break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (o->fit == !!o->stats)
        nn_usage_error("give exactly one of --fit and --stats FILE");
    if (argc - optind > 1)
        nn_usage_error("at most one input FILE");
    if (optind < argc)
        o->in = argv[optind];
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-standardize");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    nn_reader *in = nn_reader_open(o.in, &e);
    if (!in)
        nn_die("%s", e.msg);
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, o.level);
    /* nn_die exits without committing: an -o file is never left behind */
    if ((o.fit ? fit(&o, in, w, &e) : apply(&o, in, w, &e)) < 0)
        nn_die("%s", e.msg);
    nn_reader_close(in);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    return 0;
}

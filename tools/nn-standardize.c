/* nn-standardize — per-feature centering and scaling with statistics fitted
 * on one stream (the training set) and applied to any other (the test set).
 *
 *   nn-standardize --fit < train.nns > stats.nns
 *   nn-standardize -s stats.nns < test.nns > test.std.nns
 */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-standardize --fit [OPTION]... [FILE]\n"
    "  or:  nn-standardize -s STATS [OPTION]... [FILE]\n"
    "Fit per-feature mean and standard deviation of a tensor (--fit), or\n"
    "apply fitted statistics: x <- (x - mean) / std.  Other records pass\n"
    "through unchanged.\n"
    "\n"
    "  -F, --fit          write the statistics (records 'mean' and 'std')\n"
    "  -s, --stats FILE   apply the statistics in FILE\n"
    "  -n, --name NAME    the tensor to fit or transform (default x)\n"
    "  -c, --center       subtract the mean only, do not divide\n"
    "  -e, --eps E        features whose std is below E are only centered\n"
    "                     (default 1e-6)\n"
    "  -t, --dtype TYPE   output type, f32 or f64 (default f32, f64 for f64 input)\n"
    "  -o, --output FILE  write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL] compress records with zstd (default level 3)\n"
    "  -h, --help         show this help and exit\n"
    "      --version      show the version and exit\n"
    "See nn-standardize(1).\n";


static const char *opt_name = "x", *opt_out = "-", *opt_stats;
static int opt_fit, opt_center, opt_dtype, opt_zstd;
static double opt_eps = 1e-6;

/* Per-column running statistics, merged block by block (Chan et al.). */
typedef struct colstats {
    size_t n;          /* columns */
    uint64_t rows;
    double *mean, *m2, *bmean, *bm2, *buf;
} colstats;

/* "nan", never "-nan", in messages */
static double shown(double v) { return isnan(v) ? fabs(v) : v; }

/* Rows are added in blocks of this many, counted from the start of each
 * record. */
#define BLOCK_ROWS 256

/* Adds rows (rows, s->n) of record r at data, from input in_name, whose
 * values must be finite. */
static void colstats_add(colstats *s, const nn_record *r, const void *data,
                         size_t rows, const char *in_name)
{
    size_t n = s->n;
    for (size_t i0 = 0; i0 < rows; i0 += BLOCK_ROWS) {
        size_t k = rows - i0 < BLOCK_ROWS ? rows - i0 : BLOCK_ROWS;
        /* (k,n) block in double */
        nn_convert(s->buf, NN_F64, (const char *)data + i0 * n *
                   nn_dtype_size(r->dtype), r->dtype, k * n);
        size_t bad = nn_nonfinite_find(s->buf, NN_F64, k * n);
        if (bad < k * n)
            nn_die("%s: row %llu, column %zu of '%s': %g is not finite",
                   in_name, (unsigned long long)(s->rows + bad / n), bad % n,
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
}

static void check_rows(nn_reader *in, const nn_record *r)
{
    if (r->rank < 1)
        nn_die("%s: record %llu: '%s' has rank 0; need rows of features",
               nn_reader_name(in), (unsigned long long)r->index, r->name);
}

static void fit(nn_reader *in, nn_writer *w)
{
    nn_error e;
    const nn_record *r;
    colstats s = {0};
    uint64_t dims[NN_MAX_RANK];
    int rank = 0, rc;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(in, &r, &pos, 1, &e)) == 1) {
        if (strcmp(r->name, opt_name) != 0)
            continue;
        check_rows(in, r);
        size_t n = nn_record_row_bytes(r) / nn_dtype_size(r->dtype);
        if (n == 0)
            nn_die("%s: record %llu: '%s' has rows of width 0: nothing to "
                   "standardize", nn_reader_name(in),
                   (unsigned long long)r->index, r->name);
        if (!s.mean) {
            s.n = n;
            rank = r->rank - 1;
            memcpy(dims, r->dims + 1, sizeof(uint64_t) * rank);
            if (!(s.mean = calloc(n ? n : 1, sizeof(double))) ||
                !(s.m2 = calloc(n ? n : 1, sizeof(double))) ||
                !(s.bmean = calloc(n ? n : 1, sizeof(double))) ||
                !(s.bm2 = calloc(n ? n : 1, sizeof(double))) ||
                !(s.buf = nn_alloc(BLOCK_ROWS * n, sizeof(double), "row block",
                                   &e)))
                nn_die("out of memory for %zu features", n);
        } else if (n != s.n) {
            nn_die("%s: record %llu: '%s' has %zu features per row, earlier "
                   "records %zu", nn_reader_name(in),
                   (unsigned long long)r->index, r->name, n, s.n);
        }
        /* in pieces of whole blocks, so that the sums are those of the
         * record read whole */
        size_t rb = nn_record_row_bytes(r), rows = nn_record_rows(r);
        const void *p;
        size_t got;
        int prc;
        if (!rb) { /* no elements (decoding checks the frame) */
            if (nn_reader_decode(in, r, &e) < 0)
                nn_die("%s", e.msg);
            s.rows += rows; /* and no columns to sum */
            continue;
        }
        size_t blocks = nn_chunk_rows(rb) / BLOCK_ROWS;
        size_t max = (blocks ? blocks : 1) * BLOCK_ROWS * rb;
        while ((prc = nn_reader_piece(in, r, max, &p, &got, &e)) == 1)
            colstats_add(&s, r, p, got / rb, nn_reader_name(in));
        if (prc < 0)
            nn_die("%s", e.msg);
    }
    if (rc < 0)
        nn_die("%s", e.msg);
    if (!s.mean)
        nn_die("%s: no tensor named '%s'", nn_reader_name(in), opt_name);
    if (s.rows == 0)
        nn_die("%s: tensor '%s' has no rows", nn_reader_name(in), opt_name);
    for (size_t j = 0; j < s.n; j++) {
        /* finite values whose sums do not fit a double */
        if (!isfinite(s.mean[j]) || !isfinite(s.m2[j]))
            nn_die("%s: column %zu of '%s': the %s overflows f64",
                   nn_reader_name(in), j, opt_name,
                   isfinite(s.mean[j]) ? "variance" : "mean");
        s.m2[j] = sqrt(s.m2[j] / (double)s.rows);
    }
    char attrs[512];
    snprintf(attrs, sizeof attrs, "producer=nn-standardize %s\nof=%s\nrows=%llu\n",
             NN_VERSION, opt_name, (unsigned long long)s.rows);
    nn_header h = {.name = "mean", .dtype = NN_F64, .rank = rank, .attrs = attrs};
    memcpy(h.dims, dims, sizeof(uint64_t) * rank);
    if (nn_writer_put(w, &h, s.mean, &e) < 0)
        nn_die("%s", e.msg);
    h.name = "std";
    if (nn_writer_put(w, &h, s.m2, &e) < 0)
        nn_die("%s", e.msg);
    free(s.mean);
    free(s.m2);
    free(s.bmean);
    free(s.bm2);
    free(s.buf);
}

/* Reads the 'mean' and 'std' records of a statistics file. */
static void load_stats(double **mean, double **scale, size_t *n, int *rank,
                       uint64_t *dims)
{
    nn_error e;
    nn_reader *r = nn_reader_open(opt_stats, &e);
    if (!r)
        nn_die("%s", e.msg);
    const nn_record *rec;
    nn_row_pos pos;
    int rc;
    size_t sizes[2] = {0, 0};
    *mean = *scale = NULL;
    while ((rc = nn_reader_next_at(r, &rec, &pos, 1, &e)) == 1) {
        int k = strcmp(rec->name, "mean") == 0 ? 0
              : strcmp(rec->name, "std") == 0  ? 1 : -1;
        if (k < 0) /* other records are not decoded */
            continue;
        if (!pos.first) /* --fit writes each in one record */
            nn_die("%s: record %llu: '%s' in chunks (join them with nn-cat)",
                   opt_stats, (unsigned long long)rec->index, rec->name);
        if (nn_reader_decode(r, rec, &e) < 0)
            nn_die("%s", e.msg);
        double **dst = k ? scale : mean;
        if (k == 0) { /* the shape of a row comes from the means */
            *rank = rec->rank;
            memcpy(dims, rec->dims, sizeof(uint64_t) * NN_MAX_RANK);
        }
        sizes[k] = (size_t)rec->nelem;
        free(*dst);
        if (!(*dst = nn_alloc(sizes[k], sizeof(double), "statistics", &e)))
            nn_die("%s", e.msg);
        nn_convert(*dst, NN_F64, rec->data, rec->dtype, sizes[k]);
    }
    if (rc < 0)
        nn_die("%s", e.msg);
    nn_reader_close(r);
    if (!*mean || !*scale)
        nn_die("%s: not a statistics file (need records 'mean' and 'std'; "
               "make one with nn-standardize --fit)", opt_stats);
    if (sizes[0] != sizes[1])
        nn_die("%s: 'mean' has %zu values, 'std' %zu", opt_stats, sizes[0],
               sizes[1]);
    if (sizes[0] == 0)
        nn_die("%s: statistics of no columns", opt_stats);
    *n = sizes[0];
    for (size_t j = 0; j < *n; j++) {
        if (!isfinite((*mean)[j]))
            nn_die("%s: column %zu of 'mean': %g is not finite", opt_stats, j,
                   shown((*mean)[j]));
        if (!(isfinite((*scale)[j]) && (*scale)[j] >= 0))
            nn_die("%s: column %zu of 'std': %g is not a standard deviation",
                   opt_stats, j, shown((*scale)[j]));
    }
    /* from std to the multiplier applied (a constant column, std below
     * eps, only centred) */
    for (size_t j = 0; j < *n; j++)
        (*scale)[j] = opt_center || !((*scale)[j] >= opt_eps) ? 1.0
                                                              : 1.0 / (*scale)[j];
}

/* Rewrites the rows of tensor NAME chunk by chunk (near NN_CHUNK_BYTES of
 * output, whatever the size of the input's records, which are decoded
 * piece by piece as the chunks need them); other records are copied as
 * stored, without being decoded. */
static void apply(nn_reader *in, nn_writer *w)
{
    nn_error e;
    double *mean, *scale;
    size_t n = 0;
    int srank = 0;
    uint64_t sdims[NN_MAX_RANK];
    load_stats(&mean, &scale, &n, &srank, sdims);
    size_t chunk = nn_chunk_rows(n * sizeof(float));
    double *tmp = nn_alloc(n ? n : 1, sizeof *tmp, "row", &e);
    void *out = nn_alloc(chunk * (n ? n : 1), sizeof(double), "rows", &e);
    if (!tmp || !out)
        nn_die("%s", e.msg);
    const nn_record *r;
    int rc;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(in, &r, &pos, 1, &e)) == 1) {
        if (strcmp(r->name, opt_name) != 0) {
            if (nn_writer_copy(w, r, &e) < 0)
                nn_die("%s", e.msg);
            continue;
        }
        check_rows(in, r);
        int same = r->rank - 1 == srank;
        for (int i = 0; same && i < srank; i++)
            same = r->dims[i + 1] == sdims[i];
        if (!same) {
            char a[160], b[160];
            nn_die("%s: record %llu: rows of '%s' are %s, the statistics %s",
                   nn_reader_name(in), (unsigned long long)r->index, r->name,
                   nn_shape_str(a, sizeof a, r->rank - 1, r->dims + 1),
                   nn_shape_str(b, sizeof b, srank, sdims));
        }
        if (!r->nbytes && nn_reader_decode(in, r, &e) < 0)
            nn_die("%s", e.msg); /* no elements, but the frame is checked */
        int dt = opt_dtype ? opt_dtype : r->dtype == NN_F64 ? NN_F64 : NN_F32;
        char *attrs = NULL;
        if (pos.first) { /* a new tensor of this name starts here */
            nn_writer_end_tensor(w, r->name);
            if (!(attrs = nn_attrs_set(r->attrs, "standardized",
                                       opt_center ? "center" : "z")))
                nn_die("out of memory");
        }
        size_t rows = (size_t)nn_record_rows(r), rb = nn_record_row_bytes(r);
        for (size_t i0 = 0; i0 < rows || (i0 == 0 && rows == 0); i0 += chunk) {
            size_t k = rows - i0 < chunk ? rows - i0 : chunk, got;
            const void *p = "";
            int prc;
            /* the chunk's rows, decoded as they are needed */
            if (k && rb &&
                (prc = nn_reader_piece(in, r, k * rb, &p, &got, &e)) != 1)
                nn_die("%s", prc < 0 ? e.msg
                                     : "a record ended before its rows");
            for (size_t i = 0; i < k; i++) {
                nn_convert(tmp, NN_F64, (const char *)p + i * rb, r->dtype, n);
                for (size_t j = 0; j < n; j++)
                    tmp[j] = (tmp[j] - mean[j]) * scale[j];
                nn_convert((char *)out + i * n * nn_dtype_size(dt), dt, tmp,
                           NN_F64, n);
            }
            nn_header h = {.name = r->name, .dtype = dt, .rank = r->rank,
                           .attrs = attrs};
            memcpy(h.dims, r->dims, sizeof h.dims);
            h.dims[0] = k;
            if (nn_writer_rows(w, &h, out, &e) < 0)
                nn_die("%s", e.msg);
            if (rows == 0)
                break;
        }
        free(attrs);
    }
    if (rc < 0)
        nn_die("%s", e.msg);
    free(tmp);
    free(out);
    free(mean);
    free(scale);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-standardize");
    static const struct option longopts[] = {
        {"fit", no_argument, 0, 'F'},
        {"stats", required_argument, 0, 's'},
        {"name", required_argument, 0, 'n'},
        {"center", no_argument, 0, 'c'},
        {"eps", required_argument, 0, 'e'},
        {"dtype", required_argument, 0, 't'},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    int c;
    while ((c = getopt_long(argc, argv, ":Fs:n:ce:t:o:z::hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'F': opt_fit = 1; break;
        case 's': opt_stats = optarg; break;
        case 'n': opt_name = optarg; break;
        case 'c': opt_center = 1; break;
        case 'e':
            if (nn_parse_double(optarg, &opt_eps) < 0 || opt_eps < 0)
                nn_usage_error("invalid --eps '%s'", optarg);
            break;
        case 't':
            opt_dtype = nn_float_dtype_arg(optarg);
            break;
        case 'o': opt_out = optarg; break;
        case 'z': opt_zstd = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (opt_fit == !!opt_stats)
        nn_usage_error("give exactly one of --fit and --stats FILE");
    if (argc - optind > 1)
        nn_usage_error("at most one input FILE");
    nn_error e;
    nn_reader *in = nn_reader_open(optind < argc ? argv[optind] : "-", &e);
    if (!in)
        nn_die("%s", e.msg);
    nn_writer *w = nn_writer_open(opt_out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, opt_zstd);
    /* nn_die exits without committing: an -o file is never left behind */
    if (opt_fit)
        fit(in, w);
    else
        apply(in, w);
    nn_reader_close(in);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    return 0;
}

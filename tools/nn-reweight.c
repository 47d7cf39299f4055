/* nn-reweight — per-sample weights from the errors of a decision layer,
 * an exponential moving average over the layers of a fit (thesis §7.9.3):
 * d <- lambda d + (1 - lambda) ||y - yhat||^2. */
#include "nn_tool.h"

#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-reweight [OPTION]... DECISION [FILE]\n"
    "Run the rows of x (FILE or stdin) through the network DECISION (a\n"
    "decision layer fitted on x), and update the per-sample weights d from\n"
    "the squared errors against the targets y:\n"
    "    d <- MEMORY d + (1 - MEMORY) ||y - yhat||^2   (d starts at 1).\n"
    "Write the stream with d replaced (or added); x, y and every other\n"
    "record are kept.\n"
    "\n"
    "  -e, --ema MEMORY     the moving average's memory, 0..1 (default 0.2)\n"
    "  -w, --weights NAME   the weights tensor (default d)\n"
    "  -n, --name NAME      the input tensor (default x; also --input)\n"
    "  -y, --labels NAME    the targets (default y; also --target)\n"
    "      --classes K      classes of integer labels without classes=K\n"
    "  -o, --output FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress records with zstd (default level 3)\n"
    "  -h, --help           show this help and exit\n"
    "      --version        show the version and exit\n"
    "See nn-reweight(1).\n";

enum { OPT_CLASSES = 256 };

enum { BLOCK = 1024 };

static nn_writer *w;
static const char *in_name, *dec_name;

/* The run: options, the decision layer and row buffers. */
static struct {
    const char *dname, *xname, *yname;
    double lambda;
    uint64_t classes;           /* --classes, or 0 */
    nn_net net;
    size_t n_in, n_out;
    double *a, *b2, *y;         /* (BLOCK, widest), (BLOCK, n_out) */
    float *d;                   /* (BLOCK) */
} R = {.dname = "d", .xname = "x", .yname = "y", .lambda = 0.2};

static int copy_other(const nn_record *r, void *arg, nn_error *e)
{
    (void)arg;
    return nn_writer_copy(w, r, e);
}

/* Writes rows of followed tensor i of block b as the next chunk. */
static void put_rows(const nn_rowset *s, const nn_rowblock *b, int i)
{
    static const double none[1];
    nn_header h = {.name = nn_rowset_name(s, i), .dtype = b->dtype[i],
                   .rank = b->rank[i], .attrs = nn_rowset_attrs(s, i)};
    memcpy(h.dims, b->dims[i], sizeof h.dims);
    nn_error e;
    if (nn_writer_rows(w, &h, b->rows ? b->data[i] : none, &e) < 0)
        nn_die("%s", e.msg);
}

/* The first value of tensor i of block b that is not finite is an error
 * naming the tensor (what: "the targets " or the like), row and column. */
static void check_finite(const nn_rowset *s, const nn_rowblock *b, int i,
                         const char *what, uint64_t row0)
{
    nn_error e;
    if (nn_rows_check_finite(b->data[i], b->dtype[i], b->rows, b->cols[i],
                             row0, what, nn_rowset_name(s, i), &e) < 0)
        nn_die("%s: %s", in_name, e.msg);
}

/* The new weights R.d of the m rows of block b (m > 0): yhat through every
 * layer of DECISION in double precision, the targets as rows of n_out
 * (one-hot for class numbers), the moving average. */
static void new_weights(const nn_rowblock *b, int di, uint64_t row0)
{
    nn_error e;
    size_t m = b->rows, n_in = R.n_in, n_out = R.n_out;
    nn_convert(R.a, NN_F64, b->data[0], b->dtype[0], m * n_in);
    double *in = R.a, *o = R.b2;
    for (size_t k = 0; k < R.net.n; k++) {
        nn_layer_forward_f64(&R.net.layers[k], m, in, o);
        double *t = in;
        in = o;
        o = t;
    }
    const double *yhat = in;
    size_t bad = nn_nonfinite_find(yhat, NN_F64, m * n_out);
    if (bad < m * n_out)
        nn_die("%s: row %llu: %s gives %g in output column %zu", in_name,
               (unsigned long long)(row0 + bad / n_out), dec_name,
               isnan(yhat[bad]) ? fabs(yhat[bad]) : yhat[bad], bad % n_out);
    if (b->rank[1] == 1 && !nn_dtype_is_float(b->dtype[1])) {
        if (nn_labels_onehot(b->data[1], b->dtype[1], m, n_out, row0, R.y,
                             &e) < 0)
            nn_die("%s: %s", in_name, e.msg);
    } else {
        nn_convert(R.y, NN_F64, b->data[1], b->dtype[1], m * n_out);
    }
    if (di >= 0)
        nn_convert(R.d, NN_F32, b->data[di], b->dtype[di], m);
    else
        for (size_t i = 0; i < m; i++)
            R.d[i] = 1;
    for (size_t i = 0; i < m; i++) {
        double err = 0;
        for (size_t j = 0; j < n_out; j++) {
            double t = R.y[i * n_out + j] - yhat[i * n_out + j];
            err += t * t;
        }
        double v = R.lambda * R.d[i] + (1 - R.lambda) * err;
        if (!(fabs(v) <= FLT_MAX))
            nn_die("%s: row %llu: the weight %g overflows f32", in_name,
                   (unsigned long long)(row0 + i), v);
        R.d[i] = (float)v;
    }
}

/* One block of rows (none: the tensors of a stream without rows): checked,
 * run through DECISION, written with their new weights. */
static void reweight(const nn_rowset *s, const nn_rowblock *b)
{
    nn_error e;
    int di = nn_rowset_find(s, R.dname);
    size_t m = b->rows, n_in = R.n_in, n_out = R.n_out;
    uint64_t row0 = nn_rowset_row(s) - m;
    if (b->cols[0] != n_in)
        nn_die("%s: rows of '%s' have %zu values; %s takes %zu inputs",
               in_name, R.xname, b->cols[0], dec_name, n_in);
    /* the targets: numbers of n_out classes, or rows of n_out */
    int labels = b->rank[1] == 1 && !nn_dtype_is_float(b->dtype[1]);
    if (labels) {
        uint64_t k = R.classes;
        if (!k && nn_labels_classes(nn_rowset_attrs(s, 1), R.yname, &k,
                                    &e) < 0)
            nn_die("%s: %s", in_name, e.msg);
        if (k && k != n_out)
            nn_die("%s: %llu classes, but %s has %zu outputs", in_name,
                   (unsigned long long)k, dec_name, n_out);
    } else if (b->cols[1] != n_out) {
        nn_die("%s: targets '%s' have %zu columns; %s has %zu outputs",
               in_name, R.yname, b->cols[1], dec_name, n_out);
    }
    if (di >= 0 && b->cols[di] != 1)
        nn_die("%s: weights '%s' must be one number per row", in_name,
               R.dname);
    check_finite(s, b, 0, "", row0);
    check_finite(s, b, 1, "the targets ", row0);
    if (di >= 0)
        check_finite(s, b, di, "the weights ", row0);
    if (m)
        new_weights(b, di, row0);
    for (int i = 0; i < b->n; i++)
        if (i != di)
            put_rows(s, b, i);
    char attrs[128], l1[32];
    snprintf(attrs, sizeof attrs, "producer=nn-reweight %s\nema=%s\n",
             NN_VERSION, nn_fmt_double(l1, sizeof l1, R.lambda));
    nn_header h = {.name = R.dname, .dtype = NN_F32, .rank = 1,
                   .dims = {m}, .attrs = attrs};
    if (nn_writer_rows(w, &h, R.d, &e) < 0)
        nn_die("%s", e.msg);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-reweight");
    static const struct option longopts[] = {
        {"ema", required_argument, 0, 'e'},
        {"weights", required_argument, 0, 'w'},
        {"name", required_argument, 0, 'n'},
        {"input", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"target", required_argument, 0, 'y'},
        {"classes", required_argument, 0, OPT_CLASSES},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    const char *out = "-";
    int level = 0, c;
    while ((c = getopt_long(argc, argv, ":e:w:n:y:o:z::hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (nn_parse_double(optarg, &R.lambda) < 0 ||
                !(R.lambda >= 0 && R.lambda <= 1))
                nn_usage_error("invalid --ema '%s' (0..1)", optarg);
            break;
        case 'w': R.dname = optarg; break;
        case 'n': R.xname = optarg; break;
        case 'y': R.yname = optarg; break;
        case OPT_CLASSES:
            if (nn_parse_u64(optarg, &R.classes) < 0 || !R.classes ||
                R.classes > NN_CLASSES_MAX)
                nn_usage_error("invalid --classes '%s'", optarg);
            break;
        case 'o': out = optarg; break;
        case 'z': level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        nn_usage_error(argc == optind ? "missing DECISION" : "too many arguments");
    /* the weights are written under their own name, never over x or y */
    if (!strcmp(R.xname, R.yname))
        nn_usage_error("-n and -y name the same tensor '%s'", R.xname);
    if (!strcmp(R.dname, R.yname) || !strcmp(R.dname, R.xname))
        nn_usage_error("-w '%s' names the %s: the weights need a name of "
                       "their own", R.dname,
                       strcmp(R.dname, R.yname) ? "input" : "labels");
    dec_name = argv[optind];

    nn_error e;
    if (nn_net_load(dec_name, &R.net, &e) < 0)
        nn_die("%s", e.msg);
    nn_reader *r = nn_reader_open(optind + 1 < argc ? argv[optind + 1] : "-", &e);
    if (!r)
        nn_die("%s", e.msg);
    in_name = nn_reader_name(r);
    const char *names[2] = {R.xname, R.yname};
    nn_rowset *s = nn_rowset_open(r, 2, names, &e);
    if (!s || nn_rowset_add(s, R.dname, 0, &e) < 0)
        nn_die("%s", e.msg);
    if (!(w = nn_writer_open(out, 0, &e)))
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, level);
    nn_rowset_set_other(s, copy_other, NULL);

    R.n_in = R.net.layers[0].n_in;
    R.n_out = R.net.layers[R.net.n - 1].n_out;
    size_t widest = R.n_in;
    for (size_t k = 0; k < R.net.n; k++)
        widest = R.net.layers[k].n_out > widest ? R.net.layers[k].n_out : widest;
    R.a = nn_alloc(BLOCK, widest * sizeof *R.a, "rows", &e);
    R.b2 = nn_alloc(BLOCK, widest * sizeof *R.b2, "rows", &e);
    R.y = nn_alloc(BLOCK, R.n_out * sizeof *R.y, "rows", &e);
    R.d = nn_alloc(BLOCK, sizeof *R.d, "weights", &e);
    if (!R.a || !R.b2 || !R.y || !R.d)
        nn_die("%s", e.msg);
    nn_rowblock b;
    int rc;
    while ((rc = nn_rowset_next(s, BLOCK, &b, &e)) == 1)
        reweight(s, &b);
    if (rc < 0)
        nn_die("%s", e.msg);
    if (nn_rowset_row(s) == 0) /* no rows: every tensor, d too, with none */
        reweight(s, &b);
    nn_rowset_close(s);
    nn_reader_close(r);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    nn_net_free(&R.net);
    free(R.a);
    free(R.b2);
    free(R.y);
    free(R.d);
    return 0;
}

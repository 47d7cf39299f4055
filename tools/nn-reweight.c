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
    "      --ema=MEMORY     the moving average's memory, 0..1 (default 0.2)\n"
    "      --weights=NAME   the weights tensor (default d)\n"
    "  -n, --name=NAME      the input tensor (default x)\n"
    "  -y, --labels=NAME    the targets (default y)\n"
    "      --classes=K      classes of integer labels without classes=K\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress records with zstd (default level 3)\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "See nn-reweight(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-reweight --ema 0.2 decision.nns z1.nns > z1.w.nns\n";

enum { OPT_CLASSES = 256, OPT_EMA, OPT_WEIGHTS };

enum { BLOCK = 1024 };

typedef struct options {
    const char *dname, *xname, *yname;
    double lambda;              /* --ema */
    uint64_t classes;           /* --classes, or 0 */
    const char *decision, *in, *out;
    int level;
} options;

/* The run: the decision layer, the output and row buffers. */
typedef struct reweight {
    const options *o;
    const char *in;             /* the input's name, for messages */
    nn_writer *w;
    nn_net net;
    size_t n_in, n_out;
    double *a, *b2, *y;         /* (BLOCK, widest), (BLOCK, n_out) */
    float *d;                   /* (BLOCK) */
} reweight;

/* Records not followed are copied, except old weights that the row set
 * did not take up (they came after the rows of x had begun): reweighting
 * them silently from 1 would write a second, different d. */
static int copy_other(const nn_record *r, void *arg, nn_error *e)
{
    reweight *R = arg;
    if (strcmp(r->name, R->o->dname) == 0 && r->rank > 0)
        return nn_fail(e, "%s: record %llu: weights '%s' come after the rows "
                       "of x began, too late to be read beside them; drop "
                       "them to start from 1 (nn-pick --invert %s)", R->in,
                       (unsigned long long)r->index, r->name, r->name);
    return nn_writer_copy(R->w, r, e);
}

/* Writes rows of followed tensor i of block b as the next chunk. */
static int put_rows(reweight *R, const nn_rowset *s, const nn_rowblock *b,
                    int i, nn_error *e)
{
    static const double none[1];
    nn_header h = {.name = nn_rowset_name(s, i), .dtype = b->dtype[i],
                   .rank = b->rank[i], .attrs = nn_rowset_attrs(s, i)};
    memcpy(h.dims, b->dims[i], sizeof h.dims);
    return nn_writer_rows(R->w, &h, b->rows ? b->data[i] : none, e);
}

/* The first value of tensor i of block b that is not finite is an error
 * naming the tensor (what: "the targets " or the like), row and column. */
static int check_finite(const reweight *R, const nn_rowset *s,
                        const nn_rowblock *b, int i, const char *what,
                        uint64_t row0, nn_error *e)
{
    if (nn_rows_check_finite(b->data[i], b->dtype[i], b->rows, b->cols[i],
                             row0, what, nn_rowset_name(s, i), e) < 0)
        return nn_error_wrap(e, "%s", R->in);
    return 0;
}

/* The new weights R->d of the m rows of block b (m > 0): yhat through
 * every layer of DECISION in double precision, the targets as rows of
 * n_out (one-hot for class numbers), the moving average. */
static int new_weights(reweight *R, const nn_rowblock *b, int di,
                       uint64_t row0, nn_error *e)
{
    size_t m = b->rows, n_in = R->n_in, n_out = R->n_out;
    double lambda = R->o->lambda;
    nn_convert(R->a, NN_F64, b->data[0], b->dtype[0], m * n_in);
    double *in = R->a, *o = R->b2;
    for (size_t k = 0; k < R->net.n; k++) {
        nn_layer_forward_f64(&R->net.layers[k], m, in, o);
        double *t = in;
        in = o;
        o = t;
    }
    const double *yhat = in;
    size_t bad = nn_nonfinite_find(yhat, NN_F64, m * n_out);
    if (bad < m * n_out)
        return nn_fail(e, "%s: row %llu: %s gives %g in output column %zu",
                       R->in, (unsigned long long)(row0 + bad / n_out),
                       R->o->decision,
                       isnan(yhat[bad]) ? fabs(yhat[bad]) : yhat[bad],
                       bad % n_out);
    if (b->rank[1] == 1 && !nn_dtype_is_float(b->dtype[1])) {
        if (nn_labels_onehot(b->data[1], b->dtype[1], m, n_out, row0, R->y,
                             e) < 0)
            return nn_error_wrap(e, "%s", R->in);
    } else {
        nn_convert(R->y, NN_F64, b->data[1], b->dtype[1], m * n_out);
    }
    if (di >= 0)
        nn_convert(R->d, NN_F32, b->data[di], b->dtype[di], m);
    else
        for (size_t i = 0; i < m; i++)
            R->d[i] = 1;
    for (size_t i = 0; i < m; i++) {
        double err = 0;
        for (size_t j = 0; j < n_out; j++) {
            double t = R->y[i * n_out + j] - yhat[i * n_out + j];
            err += t * t;
        }
        double v = lambda * R->d[i] + (1 - lambda) * err;
        if (!(fabs(v) <= FLT_MAX))
            return nn_fail(e, "%s: row %llu: the weight %g overflows f32",
                           R->in, (unsigned long long)(row0 + i), v);
        R->d[i] = (float)v;
    }
    return 0;
}

/* Whether the tensors of block b fit DECISION: rows of n_in, targets of
 * n_out columns or numbers of n_out classes, one weight a row. */
static int check_block(const reweight *R, const nn_rowset *s,
                       const nn_rowblock *b, int di, nn_error *e)
{
    const options *o = R->o;
    size_t n_in = R->n_in, n_out = R->n_out;
    if (b->cols[0] != n_in)
        return nn_fail(e, "%s: rows of '%s' have %zu values; %s takes %zu "
                       "inputs", R->in, o->xname, b->cols[0], o->decision,
                       n_in);
    int labels = b->rank[1] == 1 && !nn_dtype_is_float(b->dtype[1]);
    if (labels) {
        uint64_t k = o->classes;
        if (!k && nn_labels_classes(nn_rowset_attrs(s, 1), o->yname, &k,
                                    e) < 0)
            return nn_error_wrap(e, "%s", R->in);
        if (k && k != n_out)
            return nn_fail(e, "%s: %llu classes, but %s has %zu outputs",
                           R->in, (unsigned long long)k, o->decision, n_out);
    } else if (b->cols[1] != n_out) {
        return nn_fail(e, "%s: targets '%s' have %zu columns; %s has %zu "
                       "outputs", R->in, o->yname, b->cols[1], o->decision,
                       n_out);
    }
    if (di >= 0 && b->cols[di] != 1)
        return nn_fail(e, "%s: weights '%s' must be one number per row",
                       R->in, o->dname);
    return 0;
}

/* One block of rows (none: the tensors of a stream without rows): checked,
 * run through DECISION, written with their new weights. */
static int reweight_block(reweight *R, const nn_rowset *s,
                          const nn_rowblock *b, nn_error *e)
{
    int di = nn_rowset_find(s, R->o->dname);
    size_t m = b->rows;
    uint64_t row0 = nn_rowset_row(s) - m;
    if (check_block(R, s, b, di, e) < 0 ||
        check_finite(R, s, b, 0, "", row0, e) < 0 ||
        check_finite(R, s, b, 1, "the targets ", row0, e) < 0 ||
        (di >= 0 && check_finite(R, s, b, di, "the weights ", row0, e) < 0) ||
        (m && new_weights(R, b, di, row0, e) < 0))
        return -1;
    for (int i = 0; i < b->n; i++)
        if (i != di && put_rows(R, s, b, i, e) < 0)
            return -1;
    char attrs[128], l1[32];
    snprintf(attrs, sizeof attrs, "producer=nn-reweight %s\nema=%s\n",
             NN_VERSION, nn_fmt_double(l1, sizeof l1, R->o->lambda));
    nn_header h = {.name = R->o->dname, .dtype = NN_F32, .rank = 1,
                   .dims = {m}, .attrs = attrs};
    return nn_writer_rows(R->w, &h, R->d, e);
}

/* Loads DECISION and makes the row buffers. */
static int load_decision(reweight *R, nn_error *e)
{
    if (nn_net_load(R->o->decision, &R->net, e) < 0)
        return -1;
    R->n_in = R->net.layers[0].n_in;
    R->n_out = R->net.layers[R->net.n - 1].n_out;
    size_t widest = R->n_in;
    for (size_t k = 0; k < R->net.n; k++)
        if (R->net.layers[k].n_out > widest)
            widest = R->net.layers[k].n_out;
    R->a = nn_alloc(BLOCK, widest * sizeof *R->a, "rows", e);
    R->b2 = nn_alloc(BLOCK, widest * sizeof *R->b2, "rows", e);
    R->y = nn_alloc(BLOCK, R->n_out * sizeof *R->y, "rows", e);
    R->d = nn_alloc(BLOCK, sizeof *R->d, "weights", e);
    return R->a && R->b2 && R->y && R->d ? 0 : -1;
}

/* The blocks of rows of x, y and d in s, reweighted; the other records
 * copied as they come. */
static int reweight_stream(reweight *R, nn_rowset *s, nn_error *e)
{
    nn_rowset_set_other(s, copy_other, R);
    nn_rowblock b;
    int rc;
    while ((rc = nn_rowset_next(s, BLOCK, &b, e)) == 1)
        if (reweight_block(R, s, &b, e) < 0)
            return -1;
    if (rc < 0)
        return -1;
    if (nn_rowset_row(s) == 0) /* no rows: every tensor, d too, with none */
        return reweight_block(R, s, &b, e);
    return 0;
}

static void reweight_free(reweight *R)
{
    nn_net_free(&R->net);
    free(R->a);
    free(R->b2);
    free(R->y);
    free(R->d);
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"ema", required_argument, 0, OPT_EMA},
        {"weights", required_argument, 0, OPT_WEIGHTS},
        {"name", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"classes", required_argument, 0, OPT_CLASSES},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    *o = (options){.dname = "d", .xname = "x", .yname = "y", .lambda = 0.2,
                   .out = "-"};
    int c;
    while ((c = getopt_long(argc, argv, ":n:y:o:z::hV", longopts, NULL)) !=
           -1) {
        switch (c) {
        case OPT_EMA: o->lambda = nn_arg_double("ema", optarg, 0, 1); break;
        case OPT_WEIGHTS: o->dname = optarg; break;
        case 'n': o->xname = optarg; break;
        case 'y': o->yname = optarg; break;
        case OPT_CLASSES:
            o->classes = nn_arg_u64("classes", optarg, 1, NN_CLASSES_MAX);
            break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        nn_usage_error(argc == optind ? "missing DECISION"
                                      : "too many arguments");
    /* the weights are written under their own name, never over x or y */
    if (!strcmp(o->xname, o->yname))
        nn_usage_error("-n and -y name the same tensor '%s'", o->xname);
    if (!strcmp(o->dname, o->yname) || !strcmp(o->dname, o->xname))
        nn_usage_error("--weights '%s' names the %s: the weights need a name "
                       "of their own", o->dname,
                       strcmp(o->dname, o->yname) ? "input" : "labels");
    o->decision = argv[optind];
    o->in = optind + 1 < argc ? argv[optind + 1] : "-";
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-reweight");
    options o;
    parse(argc, argv, &o);

    reweight R = {.o = &o};
    nn_error e;
    if (load_decision(&R, &e) < 0)
        nn_die("%s", e.msg);
    nn_reader *r = nn_reader_open(o.in, &e);
    if (!r)
        nn_die("%s", e.msg);
    R.in = nn_reader_name(r);
    const char *names[2] = {o.xname, o.yname};
    nn_rowset *s = nn_rowset_open(r, 2, names, &e);
    if (!s || nn_rowset_add(s, o.dname, 0, &e) < 0)
        nn_die("%s", e.msg);
    if (!(R.w = nn_writer_open(o.out, 0, &e)))
        nn_die("%s", e.msg);
    nn_writer_set_compression(R.w, o.level);
    if (reweight_stream(&R, s, &e) < 0)
        nn_die("%s", e.msg);
    nn_rowset_close(s);
    nn_reader_close(r);
    if (nn_writer_close(R.w, 1, &e) < 0)
        nn_die("%s", e.msg);
    reweight_free(&R);
    return 0;
}

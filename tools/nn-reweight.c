/* nn-reweight — per-sample weights from the errors of a decision layer,
 * an exponential moving average over the layers of a fit (thesis §7.9.3):
 * d <- lambda d + (1 - lambda) ||y - yhat||^2. */
#include "nn.h"

#include <getopt.h>
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

enum { OPT_CLASSES = 256, OPT_VERSION };

static nn_writer *w;

static int copy_other(const nn_record *r, void *arg, nn_error *e)
{
    (void)arg;
    return nn_writer_copy(w, r, e);
}

/* Writes rows of followed tensor i of block b as the next chunk. */
static void put_rows(const nn_rowset *s, const nn_rowblock *b, int i)
{
    nn_header h = {.name = nn_rowset_name(s, i), .dtype = b->dtype[i],
                   .rank = b->rank[i], .attrs = nn_rowset_attrs(s, i)};
    memcpy(h.dims, b->dims[i], sizeof h.dims);
    nn_error e;
    if (nn_writer_rows(w, &h, b->data[i], &e) < 0)
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
        NN_LONGOPTS_END(OPT_VERSION)};
    const char *dname = "d", *xname = "x", *yname = "y", *out = "-";
    double lambda = 0.2;
    uint64_t classes = 0;
    int level = 0, c;
    while ((c = getopt_long(argc, argv, ":e:w:n:y:o:z::h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (nn_parse_double(optarg, &lambda) < 0 || !(lambda >= 0 && lambda <= 1))
                nn_usage_error("invalid --ema '%s' (0..1)", optarg);
            break;
        case 'w': dname = optarg; break;
        case 'n': xname = optarg; break;
        case 'y': yname = optarg; break;
        case OPT_CLASSES:
            if (nn_parse_u64(optarg, &classes) < 0 || !classes || classes > 65536)
                nn_usage_error("invalid --classes '%s'", optarg);
            break;
        case 'o': out = optarg; break;
        case 'z': level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage, OPT_VERSION);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        nn_usage_error(argc == optind ? "missing DECISION" : "too many arguments");

    nn_error e;
    nn_net net;
    if (nn_net_load(argv[optind], &net, &e) < 0)
        nn_die("%s", e.msg);
    nn_reader *r = nn_reader_open(optind + 1 < argc ? argv[optind + 1] : "-", &e);
    if (!r)
        nn_die("%s", e.msg);
    const char *names[2] = {xname, yname};
    nn_rowset *s = nn_rowset_open(r, 2, names, &e);
    if (!s || nn_rowset_add(s, dname, 0, &e) < 0)
        nn_die("%s", e.msg);
    if (!(w = nn_writer_open(out, 0, &e)))
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, level);
    nn_rowset_set_other(s, copy_other, NULL);

    size_t n_in = net.layers[0].n_in, n_out = net.layers[net.n - 1].n_out;
    size_t widest = n_in;
    for (size_t k = 0; k < net.n; k++)
        widest = net.layers[k].n_out > widest ? net.layers[k].n_out : widest;
    enum { BLOCK = 1024 };
    double *a = nn_alloc(BLOCK * widest, sizeof *a, "rows", &e);
    double *b2 = nn_alloc(BLOCK * widest, sizeof *b2, "rows", &e);
    double *y = nn_alloc(BLOCK * n_out, sizeof *y, "rows", &e);
    float *d = nn_alloc(BLOCK, sizeof *d, "weights", &e);
    if (!a || !b2 || !y || !d)
        nn_die("%s", e.msg);
    nn_rowblock b;
    int rc;
    while ((rc = nn_rowset_next(s, BLOCK, &b, &e)) == 1) {
        int di = nn_rowset_find(s, dname);
        size_t m = b.rows;
        if (b.cols[0] != n_in)
            nn_die("%s: rows of '%s' have %zu values; %s takes %zu inputs",
                   nn_reader_name(r), xname, b.cols[0], argv[optind], n_in);
        /* yhat, through every layer of DECISION, in double precision */
        nn_convert(a, NN_F64, b.data[0], b.dtype[0], m * n_in);
        double *in = a, *o = b2;
        for (size_t k = 0; k < net.n; k++) {
            nn_layer_forward_f64(&net.layers[k], m, in, o);
            double *t = in;
            in = o;
            o = t;
        }
        /* the targets as rows of n_out: one-hot for class indices */
        int labels = b.rank[1] == 1 && !nn_dtype_is_float(b.dtype[1]);
        if (labels) {
            uint64_t k = classes ? classes
                                 : nn_attrs_classes(nn_rowset_attrs(s, 1));
            if (k && k != n_out)
                nn_die("%s: %llu classes, but %s has %zu outputs",
                       nn_reader_name(r), (unsigned long long)k, argv[optind],
                       n_out);
            if (nn_labels_onehot(b.data[1], b.dtype[1], m, n_out,
                                 nn_rowset_row(s) - m, y, &e) < 0)
                nn_die("%s: %s", nn_reader_name(r), e.msg);
        } else if (b.cols[1] != n_out) {
            nn_die("%s: targets '%s' have %zu columns; %s has %zu outputs",
                   nn_reader_name(r), yname, b.cols[1], argv[optind], n_out);
        } else {
            nn_convert(y, NN_F64, b.data[1], b.dtype[1], m * n_out);
        }
        if (di >= 0) {
            if (b.cols[di] != 1)
                nn_die("%s: weights '%s' must be one number per row",
                       nn_reader_name(r), dname);
            nn_convert(d, NN_F32, b.data[di], b.dtype[di], m);
        } else {
            for (size_t i = 0; i < m; i++)
                d[i] = 1;
        }
        for (size_t i = 0; i < m; i++) {
            double err = 0;
            for (size_t j = 0; j < n_out; j++) {
                double t = y[i * n_out + j] - in[i * n_out + j];
                err += t * t;
            }
            d[i] = (float)(lambda * d[i] + (1 - lambda) * err);
        }
        for (int i = 0; i < b.n; i++)
            if (i != di)
                put_rows(s, &b, i);
        char attrs[128], l1[32];
        snprintf(attrs, sizeof attrs, "producer=nn-reweight %s\nema=%s\n",
                 NN_VERSION, nn_fmt_double(l1, sizeof l1, lambda));
        nn_header h = {.name = dname, .dtype = NN_F32, .rank = 1,
                       .dims = {m}, .attrs = attrs};
        if (nn_writer_rows(w, &h, d, &e) < 0)
            nn_die("%s", e.msg);
    }
    if (rc < 0)
        nn_die("%s", e.msg);
    nn_rowset_close(s);
    nn_reader_close(r);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    nn_net_free(&net);
    free(a);
    free(b2);
    free(y);
    free(d);
    return 0;
}

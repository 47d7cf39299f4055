/* nn-forward — run the rows of a data stream through a network. */
#include "nn_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-forward [OPTION]... NET [FILE]\n"
    "Run the rows of tensor x of a stream (FILE or stdin) through the network\n"
    "in NET and write the output layer as x; other records (labels) pass\n"
    "through unchanged.\n"
    "\n"
    "  -l, --layer K      write layer K's output instead (0 is the input)\n"
    "  -A, --all          write every layer's output, as tensors z0 (the\n"
    "                     input) to zL\n"
    "  -n, --name NAME    the input tensor (default x)\n"
    "      --as NAME      name of the output tensor (default: the input's)\n"
    "  -d, --f64          compute in double precision and write f64\n"
    "  -o, --output FILE  write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL] compress records with zstd (default level 3)\n"
    "      --progress     report progress on stderr\n"
    "  -h, --help         show this help and exit\n"
    "      --version      show the version and exit\n"
    "See nn-forward(1).\n";

enum { OPT_AS = 256, OPT_PROGRESS };

/* Rows per step through the layers: long enough for GEMM to run at its
 * rate, short enough to bound memory whatever the record size. */
#define STEP_ROWS 4096

static const char *opt_name = "x", *opt_as, *opt_out = "-";
static int opt_all, opt_f64, opt_progress, opt_level;
static long opt_layer = -1;

static nn_net net;
static nn_writer *w;
static void *buf[2];    /* ping-pong activations, STEP_ROWS x widest */
static size_t widest;

/* Writes rows of layer k (0 = input) as the next chunk of its tensor. */
static void emit(size_t k, size_t m, const void *z)
{
    char name[NN_NAME_MAX + 1];
    if (opt_all)
        snprintf(name, sizeof name, "z%zu", k);
    else
        snprintf(name, sizeof name, "%s", opt_as ? opt_as : opt_name);
    size_t width = k ? net.layers[k - 1].n_out : net.layers[0].n_in;
    char attrs[128];
    snprintf(attrs, sizeof attrs, "producer=nn-forward %s\nlayer=%zu\n",
             NN_VERSION, k);
    nn_header h = {.name = name, .dtype = opt_f64 ? NN_F64 : NN_F32,
                   .rank = 2, .dims = {m, width}, .attrs = attrs};
    nn_error e;
    if (nn_writer_rows(w, &h, z, &e) < 0)
        nn_die("%s", e.msg);
}

/* Runs m rows of the compute type (in0) through the net. */
static void run(size_t m, const void *in0)
{
    size_t last = opt_layer >= 0 ? (size_t)opt_layer : net.n;
    if (opt_all || last == 0)
        emit(0, m, in0);
    nn_error e;
    for (size_t k = 0; k < last; k++) {
        const void *in = k ? buf[k % 2] : in0;
        void *out = buf[(k + 1) % 2];
        if (opt_f64)
            nn_layer_forward_f64(&net.layers[k], m, in, out);
        else if (nn_layer_forward_f32(&net.layers[k], m, in, out, &e) < 0)
            nn_die("%s", e.msg);
        if (opt_all || k + 1 == last)
            emit(k + 1, m, out);
    }
}

/* Whether name is one the output tensors take (z0..zL with --all). */
static int is_output_name(const char *name)
{
    if (!opt_all)
        return strcmp(name, opt_as ? opt_as : opt_name) == 0;
    if (name[0] != 'z' || name[1] < '0' || name[1] > '9' ||
        (name[1] == '0' && name[2]))
        return 0;
    char *end;
    unsigned long long k = strtoull(name + 1, &end, 10);
    return !*end && k <= net.n;
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-forward");
    static const struct option longopts[] = {
        {"layer", required_argument, 0, 'l'},
        {"all", no_argument, 0, 'A'},
        {"name", required_argument, 0, 'n'},
        {"as", required_argument, 0, OPT_AS},
        {"f64", no_argument, 0, 'd'},
        NN_LONGOPTS_OUTPUT,
        {"progress", no_argument, 0, OPT_PROGRESS},
        NN_LONGOPTS_END};
    int c;
    while ((c = getopt_long(argc, argv, ":l:An:do:z::hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': {
            uint64_t v;
            if (nn_parse_u64(optarg, &v) < 0 || v > 1000000)
                nn_usage_error("invalid --layer '%s'", optarg);
            opt_layer = (long)v;
            break;
        }
        case 'A': opt_all = 1; break;
        case 'n': opt_name = optarg; break;
        case OPT_AS: opt_as = optarg; break;
        case 'd': opt_f64 = 1; break;
        case 'o': opt_out = optarg; break;
        case 'z': opt_level = nn_zstd_level_arg(optarg); break;
        case OPT_PROGRESS: opt_progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        nn_usage_error(argc == optind ? "missing NET" : "too many arguments");
    if (opt_all && (opt_layer >= 0 || opt_as))
        nn_usage_error("--all writes every layer: no --layer or --as with it");
    if (!nn_name_valid(opt_name, strlen(opt_name)))
        nn_usage_error("invalid --name '%s' (a tensor name: 1 to %d bytes "
                       "of UTF-8 text without control characters or '=')",
                       opt_name, NN_NAME_MAX);
    if (opt_as && !nn_name_valid(opt_as, strlen(opt_as)))
        nn_usage_error("invalid --as '%s' (a tensor name: 1 to %d bytes of "
                       "UTF-8 text without control characters or '=')",
                       opt_as, NN_NAME_MAX);

    nn_error e;
    if (nn_net_load(argv[optind], &net, &e) < 0)
        nn_die("%s", e.msg);
    if (opt_layer > (long)net.n)
        nn_die("%s: --layer %ld, but the network has %zu layers",
               argv[optind], opt_layer, net.n);
    widest = net.layers[0].n_in;
    for (size_t k = 0; k < net.n; k++)
        if (net.layers[k].n_out > widest)
            widest = net.layers[k].n_out;
    size_t es = opt_f64 ? sizeof(double) : sizeof(float);
    for (int i = 0; i < 2; i++)
        if (!(buf[i] = nn_alloc(STEP_ROWS * widest, es, "activations", &e)))
            nn_die("%s", e.msg);

    nn_reader *r = nn_reader_open(optind + 1 < argc ? argv[optind + 1] : "-", &e);
    if (!r)
        nn_die("%s", e.msg);
    if (!(w = nn_writer_open(opt_out, 0, &e)))
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, opt_level);
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, opt_progress);
    const nn_record *rec;
    uint64_t done = 0;
    int rc, seen = 0;
    size_t n_in = net.layers[0].n_in;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(r, &rec, &pos, 1, &e)) == 1) {
        if (strcmp(rec->name, opt_name) != 0) {
            if (is_output_name(rec->name))
                nn_die("%s: record %llu: the stream has a tensor '%s' "
                       "already: %s", nn_reader_name(r),
                       (unsigned long long)rec->index, rec->name,
                       opt_all ? "drop it first with nn-pick"
                               : "name the output otherwise with --as");
            if (nn_writer_copy(w, rec, &e) < 0)
                nn_die("%s", e.msg);
            continue;
        }
        seen = 1;
        size_t cols = rec->rank ? nn_record_row_bytes(rec) / nn_dtype_size(rec->dtype) : 0;
        if (rec->rank < 1 || cols != n_in)
            nn_die("%s: record %llu: rows of '%s' have %zu values; the "
                   "network takes %zu inputs", nn_reader_name(r),
                   (unsigned long long)rec->index, rec->name, cols, n_in);
        size_t rows = (size_t)nn_record_rows(rec), es_in = nn_record_row_bytes(rec);
        int ct = opt_f64 ? NN_F64 : NN_F32;
        /* the rows in pieces of STEP_ROWS, decoded as they are needed */
        const void *piece;
        size_t got;
        while ((rc = nn_reader_piece(r, rec, STEP_ROWS * es_in, &piece, &got,
                                     &e)) == 1) {
            size_t m = got / es_in;
            const void *src = piece;
            if (rec->dtype != ct) { /* rows of the compute type are used in place */
                nn_convert(buf[0], ct, src, rec->dtype, m * n_in);
                src = buf[0];
            }
            run(m, src);
        }
        if (rc < 0)
            nn_die("%s", e.msg);
        if (rows == 0) /* keep an empty tensor visible downstream */
            run(0, buf[0]);
        done += rows;
        nn_progress_update(&prog, done, 0, "rows");
    }
    nn_progress_end(&prog);
    if (rc < 0)
        nn_die("%s", e.msg);
    if (!seen)
        nn_die("%s: no tensor named '%s'", nn_reader_name(r), opt_name);
    nn_reader_close(r);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    nn_net_free(&net);
    free(buf[0]);
    free(buf[1]);
    return 0;
}

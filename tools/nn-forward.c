/* nn-forward — run the rows of a data stream through a network. */
#include "nn_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-forward [OPTION]... NET [FILE]\n"
    "Run the rows of tensor x of a stream (FILE or stdin) through the network\n"
    "in NET and write the output layer as x; other records (labels) pass\n"
    "through unchanged.  NET may be a stream of networks (nn-train\n"
    "--trajectory, nn-average --path): then the data goes through each in\n"
    "turn, and each network's output carries its checkpoint (and t).\n"
    "\n"
    "      --layer=K      write layer K's output instead (0 is the input)\n"
    "  -A, --all          write every layer's output, as tensors z0 (the\n"
    "                     input) to zL\n"
    "  -n, --name=NAME    the input tensor (default x)\n"
    "      --as=NAME      name of the output tensor (default: the input's)\n"
    "  -t, --dtype=TYPE   compute in and write f32 (default) or f64 (double\n"
    "                     precision)\n"
    "  -o, --output=FILE  write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL] compress records with zstd (default level 3)\n"
    "  -P, --progress     report progress on stderr\n"
    "  -h, --help         show this help and exit\n"
    "  -V, --version      show the version and exit\n"
    "\n"
    "See nn-forward(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-forward net.nns test.nns | nn-eval -q\n";

enum { OPT_AS = 256, OPT_LAYER };

/* Rows per step through the layers: long enough for GEMM to run at its
 * rate, short enough to bound memory whatever the record size. */
#define STEP_ROWS 4096

typedef struct options {
    const char *net, *in, *out;
    const char *name, *as;  /* as: NULL for the input's name */
    long layer;             /* --layer, or -1 for the last */
    int all, dtype, progress, level;
} options;

/* The network and what runs the rows through it. */
typedef struct forward {
    const options *o;
    nn_reader *nets;        /* NET, a network or a stream of networks */
    nn_net net, next;       /* the network run, the one after it (n 0: none) */
    int several;            /* NET holds more than one network */
    uint64_t index;         /* of net in NET, from 0 */
    char ck[256];           /* several: net's checkpoint (or its index) */
    char t[256];            /* and its t attribute, or "" */
    nn_writer *w;
    void *buf[2];           /* ping-pong activations, STEP_ROWS x widest */
} forward;

/* attrs with the network's checkpoint and t when NET holds several (else
 * a copy), newly allocated, or NULL when out of memory. */
static char *net_attrs(const forward *f, const char *attrs)
{
    if (!f->several)
        return strdup(attrs ? attrs : "");
    char *a = nn_attrs_set(attrs, "checkpoint", f->ck);
    char *b = a ? nn_attrs_set(a, "t", *f->t ? f->t : NULL) : NULL;
    free(a);
    return b;
}

/* Writes rows of layer k (0 = input) as the next chunk of its tensor. */
static int emit(forward *f, size_t k, size_t m, const void *z, nn_error *e)
{
    const options *o = f->o;
    char name[NN_NAME_MAX + 1];
    if (o->all)
        snprintf(name, sizeof name, "z%zu", k);
    else
        snprintf(name, sizeof name, "%s", o->as ? o->as : o->name);
    size_t width = k ? f->net.layers[k - 1].n_out : f->net.layers[0].n_in;
    char base[64];
    snprintf(base, sizeof base, "producer=nn-forward %s\nlayer=%zu\n",
             NN_VERSION, k);
    char *attrs = net_attrs(f, base);
    if (!attrs)
        return nn_fail(e, "out of memory");
    nn_header h = {.name = name, .dtype = o->dtype, .rank = 2,
                   .dims = {m, width}, .attrs = attrs};
    int rc = nn_writer_rows(f->w, &h, z, e);
    free(attrs);
    return rc;
}

/* Copies a record of the data (labels, say); when NET holds several
 * networks, the first record of a tensor gets the network's checkpoint. */
static int copy(forward *f, const nn_record *rec, nn_error *e)
{
    if (!f->several || (rec->flags & NN_FLAG_CONT))
        return nn_writer_copy(f->w, rec, e);
    nn_header h;
    nn_header_from_record(&h, rec);
    char *attrs = net_attrs(f, rec->attrs);
    if (!attrs)
        return nn_fail(e, "out of memory");
    h.attrs = attrs;
    int rc = nn_writer_copy_as(f->w, rec, &h, e);
    free(attrs);
    return rc;
}

/* Runs m rows of the compute type (in0) through the net. */
static int run(forward *f, size_t m, const void *in0, nn_error *e)
{
    const options *o = f->o;
    size_t last = o->layer >= 0 ? (size_t)o->layer : f->net.n;
    if ((o->all || last == 0) && emit(f, 0, m, in0, e) < 0)
        return -1;
    for (size_t k = 0; k < last; k++) {
        const void *in = k ? f->buf[k % 2] : in0;
        void *out = f->buf[(k + 1) % 2];
        if (o->dtype == NN_F64)
            nn_layer_forward_f64(&f->net.layers[k], m, in, out);
        else if (nn_layer_forward_f32(&f->net.layers[k], m, in, out, e) < 0)
            return -1;
        if ((o->all || k + 1 == last) && emit(f, k + 1, m, out, e) < 0)
            return -1;
    }
    return 0;
}

/* Whether name is one the output tensors take (z0..zL with --all). */
static int is_output_name(const forward *f, const char *name)
{
    const options *o = f->o;
    if (!o->all)
        return strcmp(name, o->as ? o->as : o->name) == 0;
    if (name[0] != 'z' || name[1] < '0' || name[1] > '9' ||
        (name[1] == '0' && name[2]))
        return 0;
    char *end;
    unsigned long long k = strtoull(name + 1, &end, 10);
    return !*end && k <= f->net.n;
}

/* Makes room for the activations of f->net, checks --layer and, when
 * NET holds several, takes the network's checkpoint and t. */
static int prepare(forward *f, nn_error *e)
{
    const options *o = f->o;
    if (f->several) {
        char prev[sizeof f->ck];
        snprintf(prev, sizeof prev, "%s", f->ck);
        const char *attrs = f->net.layers[0].attrs;
        if (!nn_attrs_get(attrs, "checkpoint", f->ck, sizeof f->ck)) {
            snprintf(f->ck, sizeof f->ck, "%llu", (unsigned long long)f->index);
            if (f->index && !strcmp(prev, f->ck))
                return nn_fail(e, "%s: network %llu has no checkpoint "
                               "attribute and its number, %s, is the "
                               "checkpoint of the one before it", o->net,
                               (unsigned long long)f->index + 1, f->ck);
        }
        if (!nn_attrs_get(attrs, "t", f->t, sizeof f->t))
            *f->t = 0;
    }
    if (o->layer > (long)f->net.n) {
        if (f->several)
            return nn_fail(e, "%s: --layer %ld, but network %llu "
                           "(checkpoint %s) has %zu layers", o->net, o->layer,
                           (unsigned long long)f->index + 1, f->ck, f->net.n);
        return nn_fail(e, "%s: --layer %ld, but the network has %zu layers",
                       o->net, o->layer, f->net.n);
    }
    size_t widest = f->net.layers[0].n_in;
    for (size_t k = 0; k < f->net.n; k++)
        if (f->net.layers[k].n_out > widest)
            widest = f->net.layers[k].n_out;
    for (int i = 0; i < 2; i++) {
        free(f->buf[i]);
        if (!(f->buf[i] = nn_alloc(STEP_ROWS * widest, nn_dtype_size(o->dtype),
                                   "activations", e)))
            return -1;
    }
    return 0;
}

/* Opens NET and reads its first network, and the next if there is one. */
static int load_net(forward *f, nn_error *e)
{
    const char *src;
    int rc;
    if (!(f->nets = nn_reader_open(f->o->net, e)))
        return -1;
    src = nn_reader_name(f->nets);
    if ((rc = nn_net_read_next(f->nets, &f->net, e)) == 0)
        return nn_fail(e, "%s: no layers (an empty network)", src);
    if (rc < 0 || nn_net_read_next(f->nets, &f->next, e) < 0)
        return -1;
    f->several = f->next.n > 0;
    return prepare(f, e);
}

/* Moves on to the next network of NET: 1, or 0 after the last. */
static int next_net(forward *f, nn_error *e)
{
    if (!f->next.n)
        return 0;
    nn_net_free(&f->net);
    f->net = f->next;
    f->next = (nn_net){0};
    f->index++;
    if (nn_net_read_next(f->nets, &f->next, e) < 0 || prepare(f, e) < 0)
        return -1;
    return 1;
}

/* The rows of record rec (the input tensor) through the net, in pieces of
 * STEP_ROWS, decoded as they are needed. */
static int forward_record(forward *f, nn_reader *r, const nn_record *rec,
                          nn_error *e)
{
    size_t n_in = f->net.layers[0].n_in;
    size_t cols = rec->rank ? nn_record_row_bytes(rec) / nn_dtype_size(rec->dtype)
                            : 0;
    if (rec->rank < 1 || cols != n_in)
        return nn_fail(e, "%s: record %llu: rows of '%s' have %zu values; "
                       "the network takes %zu inputs", nn_reader_name(r),
                       (unsigned long long)rec->index, rec->name, cols, n_in);
    size_t es_in = nn_record_row_bytes(rec), rows = (size_t)nn_record_rows(rec);
    int ct = f->o->dtype, rc;
    const void *piece;
    size_t got;
    while ((rc = nn_reader_piece(r, rec, STEP_ROWS * es_in, &piece, &got,
                                 e)) == 1) {
        size_t m = got / es_in;
        const void *src = piece;
        if (rec->dtype != ct) { /* rows of the compute type are used in place */
            nn_convert(f->buf[0], ct, src, rec->dtype, m * n_in);
            src = f->buf[0];
        }
        if (run(f, m, src, e) < 0)
            return -1;
    }
    if (rc < 0)
        return -1;
    if (rows == 0) /* keep an empty tensor visible downstream */
        return run(f, 0, f->buf[0], e);
    return 0;
}

/* Every record of r: the input tensor's rows through the net, the others
 * copied. */
static int forward_stream(forward *f, nn_reader *r, nn_error *e)
{
    const options *o = f->o;
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, o->progress);
    const nn_record *rec;
    uint64_t done = 0;
    int rc, seen = 0;
    nn_row_pos pos;
    while ((rc = nn_reader_next_at(r, &rec, &pos, 1, e)) == 1) {
        if (strcmp(rec->name, o->name) != 0) {
            if (is_output_name(f, rec->name)) {
                rc = nn_fail(e, "%s: record %llu: the stream has a tensor "
                             "'%s' already: %s", nn_reader_name(r),
                             (unsigned long long)rec->index, rec->name,
                             o->all ? "drop it first with nn-pick"
                                    : "name the output otherwise with --as");
                break;
            }
            if ((rc = copy(f, rec, e)) < 0)
                break;
            continue;
        }
        seen = 1;
        uint64_t rows = nn_record_rows(rec);
        if ((rc = forward_record(f, r, rec, e)) < 0)
            break;
        done += rows;
        nn_progress_update(&prog, done, 0, "rows");
    }
    nn_progress_end(&prog);
    if (rc < 0)
        return -1;
    if (!seen)
        return nn_fail(e, "%s: no tensor named '%s'", nn_reader_name(r),
                       o->name);
    return 0;
}

/* Every network of NET over the data, rewound for each after the first;
 * the outputs of each start tensors of their own. */
static int forward_all(forward *f, nn_reader *r, nn_error *e)
{
    int rc = 1;
    while (rc == 1) {
        if (f->index && nn_reader_rewind(r, e) < 0)
            return -1;
        if (forward_stream(f, r, e) < 0)
            return -1;
        for (size_t k = 0; k <= f->net.n; k++) {
            char name[NN_NAME_MAX + 1];
            if (f->o->all)
                snprintf(name, sizeof name, "z%zu", k);
            else
                snprintf(name, sizeof name, "%s",
                         f->o->as ? f->o->as : f->o->name);
            nn_writer_end_tensor(f->w, name);
        }
        if ((rc = next_net(f, e)) < 0)
            return -1;
    }
    return 0;
}

static void forward_free(forward *f)
{
    nn_net_free(&f->net);
    nn_net_free(&f->next);
    if (f->nets)
        nn_reader_close(f->nets);
    free(f->buf[0]);
    free(f->buf[1]);
}

/* A name a tensor can have, or a usage error naming the option. */
static void check_name(const char *opt, const char *name)
{
    if (!nn_name_valid(name, strlen(name)))
        nn_usage_error("invalid --%s '%s': a tensor name is 1 to %d bytes of "
                       "UTF-8 text without control characters or '='", opt,
                       name, NN_NAME_MAX);
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"layer", required_argument, 0, OPT_LAYER},
        {"all", no_argument, 0, 'A'},
        {"name", required_argument, 0, 'n'},
        {"as", required_argument, 0, OPT_AS},
        {"dtype", required_argument, 0, 't'},
        NN_LONGOPTS_OUTPUT,
        {"progress", no_argument, 0, 'P'},
        NN_LONGOPTS_END};
    *o = (options){.name = "x", .out = "-", .layer = -1, .dtype = NN_F32};
    int c;
    while ((c = getopt_long(argc, argv, ":An:t:o:z::PhV", longopts, NULL)) !=
           -1) {
        switch (c) {
        case OPT_LAYER:
            o->layer = (long)nn_arg_u64("layer", optarg, 0, 1000000);
            break;
        case 'A': o->all = 1; break;
        case 'n': o->name = optarg; break;
        case OPT_AS: o->as = optarg; break;
        case 't': o->dtype = nn_float_dtype_arg(optarg); break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        case 'P': o->progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        nn_usage_error(argc == optind ? "missing NET" : "too many arguments");
    if (o->all && (o->layer >= 0 || o->as))
        nn_usage_error("--all writes every layer: no --layer or --as with it");
    check_name("name", o->name);
    if (o->as)
        check_name("as", o->as);
    o->net = argv[optind];
    o->in = optind + 1 < argc ? argv[optind + 1] : "-";
    if (!strcmp(o->net, "-") && !strcmp(o->in, "-"))
        nn_usage_error("NET and FILE cannot both be stdin");
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-forward");
    options o;
    parse(argc, argv, &o);

    forward f = {.o = &o};
    nn_error e;
    if (load_net(&f, &e) < 0)
        nn_die("%s", e.msg);
    nn_reader *r = f.several ? nn_reader_open_seekable(o.in, &e)
                             : nn_reader_open(o.in, &e);
    if (!r)
        nn_die("%s", e.msg);
    if (!(f.w = nn_writer_open(o.out, 0, &e)))
        nn_die("%s", e.msg);
    nn_writer_set_compression(f.w, o.level);
    if (forward_all(&f, r, &e) < 0)
        nn_die("%s", e.msg);
    nn_reader_close(r);
    if (nn_writer_close(f.w, 1, &e) < 0)
        nn_die("%s", e.msg);
    forward_free(&f);
    return 0;
}

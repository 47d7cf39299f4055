/* nn-sort-canon — the canonical form of a network under permutations of
 * its hidden units, or its alignment to a reference by weight matching
 * (ALGORITHMS.md, nn-sort-canon).  The library permutes (nn_canon.c);
 * this reads the networks, writes the result and the permutations. */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-sort-canon [OPTION]... [NET]\n"
    "Write the network in NET (or stdin) with the units of every hidden layer\n"
    "sorted by a key of their incoming weights, in forward order (the next\n"
    "layer's rows follow): one canonical form for all the prod(n_l!)\n"
    "equivalent networks.  With --align, permute them to agree with a\n"
    "reference network instead; with --apply, by given permutations.\n"
    "\n"
    "      --key=KEY        lex (default, ascending), maximin, or largest\n"
    "                       first: norm, mean, dot (with a normal vector\n"
    "                       drawn from --seed)\n"
    "      --symmetries     first scale ReLU units to incoming norm 1 and\n"
    "                       flip tanh units to a positive incoming sum\n"
    "      --align=REF      weight matching to the network in REF\n"
    "      --sweeps=N       --align: at most N sweeps over the layers\n"
    "                       (default 100)\n"
    "      --data=FILE      --align: match the activations on the rows of\n"
    "                       FILE instead of the weights\n"
    "  -n, --name=NAME      --data: the input tensor (default x)\n"
    "      --apply=FILE     permute by the permutations in FILE\n"
    "      --shuffle        permute by random permutations drawn from --seed\n"
    "      --noise=SIGMA    --shuffle: also multiply every weight by\n"
    "                       1 + SIGMA N(0,1) (a relative disturbance)\n"
    "      --perms=FILE     write the permutations applied to FILE\n"
    "      --redundancy     print log10 of the number of equivalent\n"
    "                       networks, prod n_l!, per layer and in all\n"
    "  -s, --seed=N         dot's vector, --align's order of layers,\n"
    "                       --shuffle's permutations (default 1)\n"
    "  -v, --verbose        what was done, per layer, on stderr\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress records with zstd (default level 3)\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "See nn-sort-canon(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-sort-canon --key maximin net.nns | sha256sum\n";

enum { OPT_KEY = 256, OPT_SYMMETRIES, OPT_ALIGN, OPT_SWEEPS, OPT_APPLY, OPT_PERMS,
       OPT_SHUFFLE, OPT_DATA, OPT_REDUNDANCY, OPT_NOISE };

typedef struct options {
    const char *net, *out, *align, *apply, *perms, *data, *name;
    nn_canon_opts canon;
    uint64_t sweeps;
    double noise;           /* --shuffle --noise */
    int shuffle, redundancy, verbose, level;
} options;

/* The permutation of each hidden layer. */
typedef struct perms {
    size_t n;               /* hidden layers */
    size_t **p;
    size_t *len;            /* units of each */
} perms;

static void perms_free(perms *P)
{
    for (size_t l = 0; l < P->n; l++)
        free(P->p[l]);
    free(P->p);
    free(P->len);
}

static void perms_alloc(perms *P, const nn_net *net)
{
    P->n = net->n - 1;
    P->p = nn_xalloc(P->n, sizeof *P->p, "permutations");
    P->len = nn_xalloc(P->n, sizeof *P->len, "permutations");
    for (size_t l = 0; l < P->n; l++) {
        P->len[l] = net->layers[l].n_out;
        P->p[l] = nn_xalloc(P->len[l], sizeof **P->p, "permutations");
    }
}

/* The permutations as records "perm" (u64, the units of layer l+1's
 * output) with layer=l+1. */
static int write_perms(const perms *P, const nn_net *net, const char *path,
                       int level, nn_error *e)
{
    nn_writer *w = nn_writer_open(path, 0, e);
    if (!w)
        return -1;
    nn_writer_set_compression(w, level);
    int rc = 0;
    for (size_t l = 0; rc == 0 && l < P->n; l++) {
        size_t n = net->layers[l].n_out;
        uint64_t *v = nn_xalloc(n, sizeof *v, "permutations");
        for (size_t j = 0; j < n; j++)
            v[j] = P->p[l][j];
        char attrs[96];
        snprintf(attrs, sizeof attrs, "producer=nn-sort-canon %s\nlayer=%zu\n",
                 NN_VERSION, l + 1);
        nn_header h = {.name = "perm", .dtype = NN_U64, .rank = 1,
                       .dims = {n}, .attrs = attrs};
        rc = nn_writer_put(w, &h, v, e);
        free(v);
    }
    return nn_writer_close(w, rc == 0, rc == 0 ? e : NULL) < 0 || rc < 0 ? -1
                                                                         : 0;
}

/* Reads permutations written by --perms for net's hidden layers. */
static int read_perms(perms *P, const nn_net *net, const char *path,
                      nn_error *e)
{
    nn_reader *r = nn_reader_open(path, e);
    if (!r)
        return -1;
    perms_alloc(P, net);
    unsigned char *seen = nn_xalloc(P->n ? P->n : 1, 1, "permutations");
    memset(seen, 0, P->n ? P->n : 1);
    const nn_record *rec;
    int rc;
    while ((rc = nn_reader_next(r, &rec, e)) == 1) {
        char v[32];
        unsigned long long l;
        char *end;
        if (strcmp(rec->name, "perm") || rec->rank != 1 ||
            nn_dtype_is_float(rec->dtype) ||
            nn_attrs_get(rec->attrs, "layer", v, sizeof v) != 1 ||
            (l = strtoull(v, &end, 10)) < 1 || *end) {
            rc = nn_fail(e, "%s: record %llu is not a permutation (a tensor "
                         "'perm' with layer=L, as --perms writes)", path,
                         (unsigned long long)rec->index);
            break;
        }
        if (l > P->n || rec->dims[0] != net->layers[l - 1].n_out || seen[l - 1]) {
            rc = nn_fail(e, "%s: a permutation of %llu units for layer %llu; "
                         "the network %s", path,
                         (unsigned long long)rec->dims[0], l,
                         l > P->n ? "has fewer hidden layers"
                         : seen[l - 1] ? "takes one per layer"
                                       : "has another width there");
            break;
        }
        size_t n = (size_t)rec->dims[0];
        unsigned char *hit = nn_xalloc(n ? n : 1, 1, "permutations");
        memset(hit, 0, n ? n : 1);
        for (size_t j = 0; j < n && rc == 1; j++) {
            double x = nn_elem_f64(rec->data, rec->dtype, j);
            if (!(x >= 0 && x < (double)n) || hit[(size_t)x]++)
                rc = nn_fail(e, "%s: layer %llu: entry %zu (%g) makes it no "
                             "permutation of %zu units", path, l, j, x, n);
            else
                P->p[l - 1][j] = (size_t)x;
        }
        free(hit);
        if (rc < 0)
            break;
        seen[l - 1] = 1;
    }
    for (size_t l = 0; rc == 0 && l < P->n; l++)
        if (!seen[l])
            rc = nn_fail(e, "%s: no permutation for layer %zu", path, l + 1);
    free(seen);
    nn_reader_close(r);
    return rc < 0 ? -1 : 0;
}

/* The layers to w, with producer and what was done in their attributes. */
static int write_net(nn_net *net, nn_writer *w, const char *done, nn_error *e)
{
    char v[64];
    snprintf(v, sizeof v, "nn-sort-canon %s", NN_VERSION);
    for (size_t l = 0; l < net->n; l++) {
        nn_layer *L = &net->layers[l];
        if (nn_layer_set_attr(L, "producer", v, e) < 0 ||
            nn_layer_set_attr(L, "canon", done, e) < 0 ||
            nn_layer_write(w, L, L->dtype, e) < 0)
            return -1;
    }
    return 0;
}

/* Activation matching of net to ref over the rows of o->data. */
static int match_data(const options *o, nn_net *net, const nn_net *ref,
                      perms *P, nn_error *e)
{
    enum { BLOCK = 1024 };
    nn_reader *r = nn_reader_open(o->data, e);
    if (!r)
        return -1;
    const char *names[1] = {o->name};
    nn_rowset *s = nn_rowset_open(r, 1, names, e);
    nn_match *m = s ? nn_match_new(ref, net, BLOCK, e) : NULL;
    float *x = NULL;
    int rc = m ? 0 : -1;
    nn_rowblock b;
    size_t n_in = net->layers[0].n_in;
    if (rc == 0)
        x = nn_xalloc(BLOCK * n_in, sizeof *x, "a block of rows");
    while (rc == 0 && (rc = nn_rowset_next(s, BLOCK, &b, e)) == 1) {
        if (b.cols[0] != n_in) {
            rc = nn_fail(e, "%s: rows of '%s' have %zu values; the networks "
                         "take %zu", o->data, o->name, b.cols[0], n_in);
            break;
        }
        nn_convert(x, NN_F32, b.data[0], b.dtype[0], b.rows * n_in);
        if (nn_rows_check_finite(x, NN_F32, b.rows, n_in, 0, "",
                                 o->name, e) < 0 ||
            nn_match_add(m, b.rows, x, e) < 0)
            rc = -1;
        else
            rc = 0;
    }
    if (rc == 0)
        rc = nn_match_finish(m, net, P->p, e);
    free(x);
    nn_match_free(m);
    nn_rowset_close(s);
    nn_reader_close(r);
    return rc < 0 ? -1 : 0;
}

/* log10 prod n_l! over the hidden layers (permutative-redundancy §5), as
 * a table on stdout. */
static int redundancy(const nn_net *net, nn_error *e)
{
    double total = 0;
    printf("layer\tunits\tlog10_perms\n");
    for (size_t l = 0; l + 1 < net->n; l++) {
        double n = (double)net->layers[l].n_out;
        double r = lgamma(n + 1) / log(10);
        total += r;
        printf("%zu\t%.0f\t%.6g\n", l + 1, n, r);
    }
    printf("all\t\t%.6g\n", total);
    return nn_stdout_close(e);
}

/* What stays from one network of the stream to the next. */
typedef struct state {
    const options *o;
    const char *name;       /* of the input, for messages */
    nn_net ref;             /* --align's reference */
    int has_ref;
    perms applied;          /* --apply's permutations, read once */
    int has_applied;
} state;

static void state_free(state *S)
{
    if (S->has_ref)
        nn_net_free(&S->ref);
    perms_free(&S->applied);
}

/* The work of the mode chosen on one network; done describes it for the
 * attributes; P receives the permutations. */
static int run(state *S, nn_net *net, perms *P, char *done, size_t cap,
               nn_error *e)
{
    const options *o = S->o;
    if (nn_canon_check(net, S->name, e) < 0)
        return -1;
    if (o->apply) {
        if (!S->has_applied && read_perms(&S->applied, net, o->apply, e) < 0)
            return -1;
        S->has_applied = 1;
        const perms *A = &S->applied;
        int fits = A->n == net->n - 1;
        for (size_t l = 0; fits && l < A->n; l++)
            fits = A->len[l] == net->layers[l].n_out;
        if (!fits)
            return nn_fail(e, "%s: a network of another architecture than "
                           "the first, which the permutations of %s fit",
                           S->name, o->apply);
        for (size_t l = 0; l < A->n; l++)
            if (nn_net_permute(net, l, A->p[l], e) < 0)
                return -1;
        snprintf(done, cap, "applied");
        return 0;
    }
    perms_alloc(P, net);
    if (o->shuffle) {
        nn_rng g;
        nn_rng_seed(&g, o->canon.seed);
        for (size_t l = 0; l < P->n; l++) {
            size_t n = net->layers[l].n_out, *p = P->p[l];
            for (size_t j = 0; j < n; j++)
                p[j] = j;
            for (size_t i = n; i > 1; i--) {
                size_t j = (size_t)nn_rng_below(&g, i), t = p[i - 1];
                p[i - 1] = p[j];
                p[j] = t;
            }
            if (nn_net_permute(net, l, p, e) < 0)
                return -1;
        }
        for (size_t l = 0; o->noise > 0 && l < net->n; l++) {
            nn_layer *L = &net->layers[l];
            for (size_t k = 0; k < (1 + L->n_in) * L->n_out; k++)
                L->w[k] *= 1 + o->noise * nn_rng_normal(&g);
            free(L->wf);
            L->wf = NULL;
        }
        snprintf(done, cap, o->noise > 0 ? "shuffled+noise" : "shuffled");
        return 0;
    }
    if (o->align) {
        if (!S->has_ref && (nn_net_load(o->align, &S->ref, e) < 0 ||
                            nn_canon_check(&S->ref, o->align, e) < 0))
            return -1;
        S->has_ref = 1;
        size_t sweeps = 0;
        if (nn_net_compatible(&S->ref, net, e) < 0)
            return nn_error_wrap(e, "%s and %s", o->align, S->name);
        if ((o->data ? match_data(o, net, &S->ref, P, e)
                     : nn_align_weights(net, &S->ref, o->canon.seed,
                                        o->sweeps, P->p, &sweeps, e)) < 0)
            return -1;
        if (o->verbose && !o->data)
            nn_warn("weight matching: %zu sweeps", sweeps);
        snprintf(done, cap, o->data ? "aligned-activations" : "aligned");
        return 0;
    }
    snprintf(done, cap, "%s%s", nn_key_name(o->canon.key),
             o->canon.symmetries ? "+symmetries" : "");
    return nn_canon(net, &o->canon, P->p, e);
}

static void say(const nn_net *net, const perms *P)
{
    for (size_t l = 0; l < P->n; l++) {
        size_t n = net->layers[l].n_out, moved = 0;
        for (size_t j = 0; j < n; j++)
            moved += P->p[l][j] != j;
        nn_warn("layer %zu: %zu of %zu units moved", l + 1, moved, n);
    }
}

/* Every network of the input stream (one, or a trajectory's), in turn. */
static int each_network(state *S, nn_writer *w, nn_error *e)
{
    const options *o = S->o;
    nn_reader *r = nn_reader_open(o->net, e);
    if (!r)
        return -1;
    nn_net net;
    int rc;
    size_t count = 0;
    while ((rc = nn_net_read_next(r, &net, e)) == 1) {
        perms P = {0};
        char done[64];
        if (++count > 1 && o->perms)
            rc = nn_fail(e, "%s: --perms takes one network; this stream "
                         "holds more", S->name);
        else if ((rc = run(S, &net, &P, done, sizeof done, e)) == 0) {
            if (o->verbose && !o->apply)
                say(&net, &P);
            if ((o->perms && write_perms(&P, &net, o->perms, o->level, e) < 0) ||
                write_net(&net, w, done, e) < 0)
                rc = -1;
        }
        perms_free(&P);
        nn_net_free(&net);
        if (rc < 0)
            break;
    }
    if (rc == 0 && count == 0)
        rc = nn_fail(e, "%s: no layers (an empty network)", S->name);
    nn_reader_close(r);
    return rc;
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"key", required_argument, 0, OPT_KEY},
        {"symmetries", no_argument, 0, OPT_SYMMETRIES},
        {"align", required_argument, 0, OPT_ALIGN},
        {"sweeps", required_argument, 0, OPT_SWEEPS},
        {"apply", required_argument, 0, OPT_APPLY},
        {"data", required_argument, 0, OPT_DATA},
        {"redundancy", no_argument, 0, OPT_REDUNDANCY},
        {"noise", required_argument, 0, OPT_NOISE},
        {"name", required_argument, 0, 'n'},
        {"shuffle", no_argument, 0, OPT_SHUFFLE},
        {"perms", required_argument, 0, OPT_PERMS},
        {"seed", required_argument, 0, 's'},
        {"verbose", no_argument, 0, 'v'},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    static const char *const keys[] = {"lex", "maximin", "norm", "mean",
                                       "dot", NULL};
    *o = (options){.out = "-", .sweeps = 100, .name = "x",
                   .canon = {.key = NN_KEY_LEX, .seed = 1}};
    int c;
    while ((c = getopt_long(argc, argv, ":n:s:vo:z::hV", longopts, NULL)) !=
           -1) {
        switch (c) {
        case OPT_KEY:
            o->canon.key = nn_key_parse(keys[nn_arg_choice("key", optarg,
                                                           keys)]);
            break;
        case OPT_SYMMETRIES: o->canon.symmetries = 1; break;
        case OPT_ALIGN: o->align = optarg; break;
        case OPT_SWEEPS: o->sweeps = nn_arg_u64("sweeps", optarg, 1, 1000000); break;
        case OPT_APPLY: o->apply = optarg; break;
        case OPT_DATA: o->data = optarg; break;
        case OPT_REDUNDANCY: o->redundancy = 1; break;
        case OPT_NOISE: o->noise = nn_arg_double("noise", optarg, 0, 1e6); break;
        case 'n': o->name = optarg; break;
        case OPT_SHUFFLE: o->shuffle = 1; break;
        case OPT_PERMS: o->perms = optarg; break;
        case 's': o->canon.seed = nn_arg_u64("seed", optarg, 0, UINT64_MAX); break;
        case 'v': o->verbose = 1; break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        nn_usage_error("too many arguments");
    o->net = optind < argc ? argv[optind] : "-";
    if (!!o->align + !!o->apply + o->shuffle > 1)
        nn_usage_error("--align, --apply and --shuffle do not go together");
    if (o->redundancy && (o->align || o->apply || o->shuffle || o->perms ||
                          strcmp(o->out, "-")))
        nn_usage_error("--redundancy goes alone");
    if (o->noise > 0 && !o->shuffle)
        nn_usage_error("--noise goes with --shuffle");
    if (o->data && !o->align)
        nn_usage_error("--data goes with --align");
    if (o->data && strcmp(o->data, "-") == 0 && strcmp(o->net, "-") == 0)
        nn_usage_error("NET and --data cannot both be stdin");
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-sort-canon");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    if (o.redundancy) {
        nn_net net;
        if (nn_net_load(o.net, &net, &e) < 0 || redundancy(&net, &e) < 0)
            nn_die("%s", e.msg);
        nn_net_free(&net);
        return 0;
    }
    state S = {.o = &o, .name = strcmp(o.net, "-") ? o.net : "stdin"};
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, o.level);
    if (each_network(&S, w, &e) < 0 || nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    state_free(&S);
    return 0;
}

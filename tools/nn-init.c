/* nn-init — create a network: layers of initial weights, optionally with
 * fixed pruning masks. */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-init [OPTION]... ARCH\n"
    "Write a network of initial weights as an NNS stream.  ARCH gives the\n"
    "widths from input to output, e.g. 784-1024-1024-10.\n"
    "\n"
    "  -a, --activation=ACT[,ACT...]  hidden activations, one for all or one\n"
    "                     per hidden layer (default relu): identity relu tanh\n"
    "                     sigmoid celu[:A] softmax legendre:D chebyshev:D\n"
    "                     laguerre:D hermite:D exp[:A] pow3[:A[:B]]\n"
    "  -O, --output-activation=ACT  the output layer's activation (default\n"
    "                     identity)\n"
    "      --scheme=NAME  he-normal (default), he-uniform, glorot-normal,\n"
    "                     glorot-uniform, normal, uniform, orthogonal,\n"
    "                     bandlimited, sphere, zeros\n"
    "  -g, --gain=G       scale of the scheme (default 1)\n"
    "      --ball         bandlimited: uniform in the ball, not the box\n"
    "  -p, --prune=RHO    fixed masks with zero rate RHO; hidden layers are\n"
    "                     widened to ceil(n/(1-RHO))\n"
    "      --mask-seed=N  draw the masks from their own seed N (the same\n"
    "                     masks under any --seed)\n"
    "  -t, --dtype=TYPE   f32 (default) or f64\n"
    "  -s, --seed=N       seed of every random draw (default 1)\n"
    "  -o, --output=FILE  write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL] compress records with zstd (default level 3)\n"
    "  -h, --help         show this help and exit\n"
    "  -V, --version      show the version and exit\n"
    "\n"
    "See nn-init(1).\n"
    "Exit status: 0 success, 1 impossible masks or write error, 2 usage "
    "error.\n"
    "Example: nn-init -a tanh -O softmax --scheme orthogonal 784-100-10 > "
    "net.nns\n";

enum { OPT_BALL = 256, OPT_SCHEME, OPT_MASK_SEED };

#define MAX_LAYERS 4096

typedef struct options {
    const char *acts, *head;    /* -a, -O */
    const char *arch, *out;
    int scheme, ball, dtype, level;
    double gain, rho;
    uint64_t seed, mask_seed;   /* --seed; --mask-seed */
    int has_mask_seed;
} options;

/* Parses "784-1024-10" into widths; returns the count. */
static size_t parse_arch(const char *s, size_t *w)
{
    size_t n = 0;
    for (const char *p = s;;) {
        uint64_t v;
        char num[32];
        size_t len = strcspn(p, "-");
        if (len == 0 || len >= sizeof num || n == MAX_LAYERS + 1)
            nn_usage_error("invalid ARCH '%s' (widths joined by '-', e.g. "
                           "784-1024-10)", s);
        memcpy(num, p, len);
        num[len] = 0;
        if (nn_parse_u64(num, &v) < 0 || v == 0 || v > (1u << 24))
            nn_usage_error("invalid width '%s' in ARCH '%s'", num, s);
        w[n++] = (size_t)v;
        p += len;
        if (!*p)
            break;
        p++;
    }
    if (n < 2)
        nn_usage_error("ARCH '%s' needs at least two widths (input and "
                       "output)", s);
    return n;
}

/* The layers of ARCH with their activations (one per hidden layer, or
 * one for all, then the output layer's) and widths (pruned hidden layers
 * are widened to keep their live weights); usage errors. */
static void make_layers(const options *o, nn_net *net)
{
    size_t *widths = nn_xalloc(MAX_LAYERS + 1, sizeof *widths, "widths");
    size_t nw = parse_arch(o->arch, widths), nl = nw - 1;
    net->layers = nn_xalloc(nl, sizeof(nn_layer), "layers");
    net->n = nl;
    nn_error e;
    size_t given = 1;
    for (const char *p = o->acts; *p; p++)
        given += *p == ',';
    if (given != 1 && given != nl - 1)
        nn_usage_error("%zu activations for %zu hidden layers", given, nl - 1);
    for (const char *q = o->acts; *q;) { /* valid even when no layer uses them */
        char one[128];
        size_t len = strcspn(q, ",");
        nn_act a;
        snprintf(one, sizeof one, "%.*s", (int)len, q);
        if (nn_act_parse(one, &a, &e) < 0)
            nn_usage_error("%s", e.msg);
        q += len + (q[len] == ',');
    }
    const char *p = o->acts;
    for (size_t k = 0; k < nl; k++) {
        char one[128];
        if (k == nl - 1) {
            snprintf(one, sizeof one, "%s", o->head);
        } else {
            size_t len = strcspn(p, ",");
            snprintf(one, sizeof one, "%.*s", (int)len, p);
            if (given > 1)
                p += len + (p[len] == ',');
        }
        if (nn_act_parse(one, &net->layers[k].act, &e) < 0)
            nn_usage_error("%s", e.msg);
    }
    if (o->rho > 0)
        for (size_t k = 1; k + 1 < nw; k++)
            widths[k] = (size_t)ceil((double)widths[k] / (1 - o->rho));
    for (size_t k = 0; k < nl; k++) {
        net->layers[k].n_in = widths[k];
        net->layers[k].n_out = widths[k + 1];
    }
    free(widths);
}

/* Draws layer k of the network (number k+1 in messages and attributes):
 * weights, mask, coefficients, attributes. */
static int draw_layer(const options *o, nn_layer *l, size_t k, nn_rng *g,
                      nn_rng *gm, nn_error *e)
{
    if (nn_weights_draw(l, o->scheme, o->gain, o->ball, g, e) < 0 ||
        (o->rho > 0 && nn_mask_draw(l, o->rho, gm ? gm : g, e) < 0))
        return nn_error_wrap(e, "layer %zu", k + 1);
    if (nn_act_is_poly(l->act.kind)) { /* each unit starts as phi_1 */
        size_t d = (size_t)l->act.degree + 1;
        l->coef = nn_xalloc(l->n_out * d, sizeof *l->coef, "coefficients");
        for (size_t j = 0; j < l->n_out; j++)
            l->coef[j * d + 1] = 1;
    }
    char attrs[512], g1[32], r1[32];
    int n = snprintf(attrs, sizeof attrs,
                     "producer=nn-init %s\nlayer=%zu\ninit=%s%s\n"
                     "gain=%s\nseed=%llu\n",
                     NN_VERSION, k + 1, nn_scheme_name(o->scheme),
                     o->ball ? "-ball" : "",
                     nn_fmt_double(g1, sizeof g1, o->gain),
                     (unsigned long long)o->seed);
    if (o->rho > 0)
        n += snprintf(attrs + n, sizeof attrs - n, "mask_rate=%s\n",
                      nn_fmt_double(r1, sizeof r1, o->rho));
    if (o->rho > 0 && o->has_mask_seed)
        snprintf(attrs + n, sizeof attrs - n, "mask_seed=%llu\n",
                 (unsigned long long)o->mask_seed);
    if (!(l->attrs = nn_act_to_attrs(&l->act, attrs)))
        return nn_fail(e, "out of memory");
    return 0;
}

/* Draws every layer from one generator, in order (the masks from their
 * own with --mask-seed), and writes it. */
static int write_net(const options *o, nn_net *net, nn_writer *w,
                     nn_error *e)
{
    nn_rng g, gm;
    nn_rng_seed(&g, o->seed);
    nn_rng_seed(&gm, o->mask_seed);
    for (size_t k = 0; k < net->n; k++)
        if (draw_layer(o, &net->layers[k], k, &g,
                       o->has_mask_seed ? &gm : NULL, e) < 0 ||
            nn_layer_write(w, &net->layers[k], o->dtype, e) < 0)
            return -1;
    return 0;
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"activation", required_argument, 0, 'a'},
        {"output-activation", required_argument, 0, 'O'},
        {"scheme", required_argument, 0, OPT_SCHEME},
        {"gain", required_argument, 0, 'g'},
        {"ball", no_argument, 0, OPT_BALL},
        {"prune", required_argument, 0, 'p'},
        {"mask-seed", required_argument, 0, OPT_MASK_SEED},
        {"dtype", required_argument, 0, 't'},
        {"seed", required_argument, 0, 's'},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    const char *schemes[NN_INIT_ZEROS + 2] = {0};
    for (int i = 0; i <= NN_INIT_ZEROS; i++)
        schemes[i] = nn_scheme_name(i);
    *o = (options){.acts = "relu", .head = "identity", .out = "-",
                   .scheme = NN_INIT_HE_NORMAL, .dtype = NN_F32, .gain = 1,
                   .seed = 1};
    int c;
    while ((c = getopt_long(argc, argv, ":a:O:g:p:t:s:o:z::hV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'a': o->acts = optarg; break;
        case 'O': o->head = optarg; break;
        case OPT_SCHEME:
            o->scheme = nn_arg_choice("scheme", optarg, schemes);
            break;
        case 'g': o->gain = nn_arg_double("gain", optarg, 0, INFINITY); break;
        case OPT_BALL: o->ball = 1; break;
        case OPT_MASK_SEED:
            o->mask_seed = nn_arg_u64("mask-seed", optarg, 0, UINT64_MAX);
            o->has_mask_seed = 1;
            break;
        case 'p':
            o->rho = nn_arg_double("prune", optarg, 0, 1);
            if (o->rho == 1)
                nn_usage_error("invalid --prune '%s': a rate from 0 to below "
                               "1", optarg);
            break;
        case 't': o->dtype = nn_float_dtype_arg(optarg); break;
        case 's': o->seed = nn_arg_u64("seed", optarg, 0, UINT64_MAX); break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (optind != argc - 1)
        nn_usage_error(optind == argc ? "missing ARCH" : "one ARCH only");
    if (o->ball && o->scheme != NN_INIT_BANDLIMITED)
        nn_usage_error("--ball goes with --scheme bandlimited");
    if (o->has_mask_seed && o->rho == 0)
        nn_usage_error("--mask-seed goes with --prune");
    o->arch = argv[optind];
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-init");
    options o;
    parse(argc, argv, &o);
    nn_net net;
    make_layers(&o, &net);

    nn_error e;
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, o.level);
    if (write_net(&o, &net, w, &e) < 0)
        nn_die("%s", e.msg);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    nn_net_free(&net);
    return 0;
}

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
    "  -a, --activation ACT[,ACT...]  hidden activations, one for all or one\n"
    "                     per hidden layer (default relu): identity relu tanh\n"
    "                     sigmoid celu[:A] softmax legendre:D chebyshev:D\n"
    "                     laguerre:D hermite:D exp[:A] pow3[:A[:B]]\n"
    "  -O, --head ACT     the output layer's activation (default identity)\n"
    "  -s, --scheme NAME  he-normal (default), he-uniform, glorot-normal,\n"
    "                     glorot-uniform, normal, uniform, orthogonal,\n"
    "                     bandlimited, sphere, zeros\n"
    "  -g, --gain G       scale of the scheme (default 1)\n"
    "      --ball         bandlimited: uniform in the ball, not the box\n"
    "  -p, --prune RHO    fixed masks with zero rate RHO; hidden layers are\n"
    "                     widened to ceil(n/(1-RHO))\n"
    "  -t, --dtype TYPE   f32 (default) or f64\n"
    "      --seed N       seed of every random draw (default 1)\n"
    "  -o, --output FILE  write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL] compress records with zstd (default level 3)\n"
    "  -h, --help         show this help and exit\n"
    "      --version      show the version and exit\n"
    "See nn-init(1).\n";

enum { OPT_BALL = 256, OPT_SEED };

#define MAX_LAYERS 4096

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

int main(int argc, char **argv)
{
    nn_tool_init("nn-init");
    static const struct option longopts[] = {
        {"activation", required_argument, 0, 'a'},
        {"head", required_argument, 0, 'O'},
        {"scheme", required_argument, 0, 's'},
        {"gain", required_argument, 0, 'g'},
        {"ball", no_argument, 0, OPT_BALL},
        {"prune", required_argument, 0, 'p'},
        {"dtype", required_argument, 0, 't'},
        {"seed", required_argument, 0, OPT_SEED},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    const char *acts = "relu", *head = "identity", *out = "-";
    int scheme = NN_INIT_HE_NORMAL, ball = 0, dtype = NN_F32, level = 0;
    double gain = 1, rho = 0;
    uint64_t seed = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":a:O:s:g:p:t:o:z::hV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'a': acts = optarg; break;
        case 'O': head = optarg; break;
        case 's':
            if ((scheme = nn_init_scheme_parse(optarg)) < 0)
                nn_usage_error("unknown scheme '%s'", optarg);
            break;
        case 'g':
            if (nn_parse_double(optarg, &gain) < 0 || !(gain >= 0) ||
                isinf(gain))
                nn_usage_error("invalid gain '%s'", optarg);
            break;
        case OPT_BALL: ball = 1; break;
        case 'p':
            if (nn_parse_double(optarg, &rho) < 0 || !(rho >= 0 && rho < 1))
                nn_usage_error("invalid --prune '%s' (a rate in [0, 1))",
                               optarg);
            break;
        case 't':
            dtype = nn_float_dtype_arg(optarg);
            break;
        case OPT_SEED:
            if (nn_parse_u64(optarg, &seed) < 0)
                nn_usage_error("invalid seed '%s'", optarg);
            break;
        case 'o': out = optarg; break;
        case 'z': level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (optind != argc - 1)
        nn_usage_error(optind == argc ? "missing ARCH" : "one ARCH only");
    if (ball && scheme != NN_INIT_BANDLIMITED)
        nn_usage_error("--ball goes with --scheme bandlimited");

    static size_t widths[MAX_LAYERS + 1];
    size_t nw = parse_arch(argv[optind], widths), nl = nw - 1;

    /* the activations: one per hidden layer, or one for all, then the head */
    nn_net net = {calloc(nl, sizeof(nn_layer)), nl};
    if (!net.layers)
        nn_die("out of memory");
    nn_error e;
    size_t given = 1;
    for (const char *p = acts; *p; p++)
        given += *p == ',';
    if (given != 1 && given != nl - 1)
        nn_usage_error("%zu activations for %zu hidden layers", given, nl - 1);
    for (const char *q = acts; *q;) { /* valid even when no layer uses them */
        char one[128];
        size_t len = strcspn(q, ",");
        nn_act a;
        snprintf(one, sizeof one, "%.*s", (int)len, q);
        if (nn_act_parse(one, &a, &e) < 0)
            nn_usage_error("%s", e.msg);
        q += len + (q[len] == ',');
    }
    const char *p = acts;
    for (size_t k = 0; k < nl; k++) {
        char one[128];
        if (k == nl - 1) {
            snprintf(one, sizeof one, "%s", head);
        } else {
            size_t len = strcspn(p, ",");
            snprintf(one, sizeof one, "%.*s", (int)len, p);
            if (given > 1)
                p += len + (p[len] == ',');
        }
        if (nn_act_parse(one, &net.layers[k].act, &e) < 0)
            nn_usage_error("%s", e.msg);
    }

    /* pruned hidden layers are widened to keep their live weights */
    if (rho > 0)
        for (size_t k = 1; k + 1 < nw; k++)
            widths[k] = (size_t)ceil((double)widths[k] / (1 - rho));

    nn_writer *w = nn_writer_open(out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, level);
    nn_rng g;
    nn_rng_seed(&g, seed);
    for (size_t k = 0; k < nl; k++) {
        nn_layer *l = &net.layers[k];
        l->n_in = widths[k];
        l->n_out = widths[k + 1];
        if (nn_init_weights(l, scheme, gain, ball, &g, &e) < 0 ||
            (rho > 0 && nn_init_mask(l, rho, &g, &e) < 0))
            nn_die("layer %zu: %s", k + 1, e.msg);
        if (nn_act_is_poly(l->act.kind)) { /* each unit starts as phi_1 */
            size_t d = (size_t)l->act.degree + 1;
            if (!(l->coef = calloc(l->n_out * d, sizeof *l->coef)))
                nn_die("out of memory");
            for (size_t j = 0; j < l->n_out; j++)
                l->coef[j * d + 1] = 1;
        }
        char attrs[512], g1[32], r1[32];
        int n = snprintf(attrs, sizeof attrs,
                         "producer=nn-init %s\nlayer=%zu\ninit=%s%s\n"
                         "gain=%s\nseed=%llu\n",
                         NN_VERSION, k + 1, nn_init_scheme_name(scheme),
                         ball ? "-ball" : "", nn_fmt_double(g1, sizeof g1, gain),
                         (unsigned long long)seed);
        if (rho > 0)
            snprintf(attrs + n, sizeof attrs - n, "mask_rate=%s\n",
                     nn_fmt_double(r1, sizeof r1, rho));
        if (!(l->attrs = nn_act_to_attrs(&l->act, attrs)))
            nn_die("out of memory");
        if (nn_layer_write(w, l, dtype, &e) < 0)
            nn_die("%s", e.msg);
    }
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    nn_net_free(&net);
    return 0;
}

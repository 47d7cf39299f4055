/* nn-distance — how far apart two networks of one architecture are, layer
 * by layer and in all: Glukhov's Phi, the Euclidean distance and the
 * cosine similarity of their weights. */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-distance [OPTION]... A B\n"
    "Compare two networks of one architecture (files A and B, '-' for stdin\n"
    "once), layer by layer and in all, over the weights and biases:\n"
    "  phi        sum (W-W')^2 / sum (W+W')^2 (0 identical, about 1 for\n"
    "             unrelated random weights, inf for W' = -W)\n"
    "  euclidean  sqrt(sum (W-W')^2)\n"
    "  cosine     sum W W' / sqrt(sum W^2 sum W'^2)\n"
    "\n"
    "      --no-bias      leave the biases (row 0 of each w) out\n"
    "  -j, --json         one JSON object\n"
    "  -q, --quiet        one number: phi over all layers\n"
    "  -h, --help         show this help and exit\n"
    "  -V, --version      show the version and exit\n"
    "\n"
    "See nn-distance(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-distance a.nns b.nns\n";

enum { OPT_NO_BIAS = 256 };

typedef struct options {
    const char *a, *b;
    int bias, json, quiet;
} options;

/* Sums over the weights of a layer (or all): of (W-W')^2, (W+W')^2, W W',
 * W^2 and W'^2, and how many weights. */
typedef struct sums {
    double diff, plus, dot, aa, bb;
    uint64_t count;
} sums;

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"no-bias", no_argument, 0, OPT_NO_BIAS},
        {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},
        NN_LONGOPTS_END};
    *o = (options){.bias = 1};
    int c;
    while ((c = getopt_long(argc, argv, ":jqhV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_NO_BIAS: o->bias = 0; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (o->json && o->quiet)
        nn_usage_error("-j and -q exclude each other");
    if (argc - optind < 2)
        nn_usage_error("two networks needed, A and B");
    if (argc - optind > 2)
        nn_usage_error("extra operand '%s'", argv[optind + 2]);
    o->a = argv[optind];
    o->b = argv[optind + 1];
    if (!strcmp(o->a, "-") && !strcmp(o->b, "-"))
        nn_usage_error("A and B cannot both be stdin");
}

static const char *shown(const char *path)
{
    return strcmp(path, "-") ? path : "stdin";
}

/* The one network of file path. */
static int load(const char *path, nn_net *net, nn_error *e)
{
    nn_reader *r = nn_reader_open(path, e);
    if (!r)
        return -1;
    nn_net extra;
    int rc = nn_net_read_next(r, net, e);
    if (rc == 0)
        rc = nn_fail(e, "%s: no layers (an empty network)", nn_reader_name(r));
    if (rc == 1 && (rc = nn_net_read_next(r, &extra, e)) == 1) {
        nn_net_free(&extra);
        nn_net_free(net);
        rc = nn_fail(e, "%s: holds a stream of networks; compare one network "
                     "with one", nn_reader_name(r));
    } else if (rc < 0) {
        nn_net_free(net);
    }
    nn_reader_close(r);
    return rc < 0 ? -1 : 0;
}

/* The sums of layer k of a and b (row 0, the bias, only with bias). */
static void layer_sums(const nn_layer *p, const nn_layer *q, int bias,
                       sums *s)
{
    size_t first = bias ? 0 : p->n_out, n = (1 + p->n_in) * p->n_out;
    *s = (sums){0};
    for (size_t i = first; i < n; i++) {
        double a = p->w[i], b = q->w[i];
        s->diff += (a - b) * (a - b);
        s->plus += (a + b) * (a + b);
        s->dot += a * b;
        s->aa += a * a;
        s->bb += b * b;
    }
    s->count = n - first;
}

/* phi: 0 when both are zero (identical), inf when only the sum is. */
static double phi(const sums *s)
{
    if (s->diff == 0)
        return 0;
    return s->plus > 0 ? s->diff / s->plus : INFINITY;
}

/* NaN when either is all zeros. */
static double cosine(const sums *s)
{
    return s->aa > 0 && s->bb > 0 ? s->dot / sqrt(s->aa) / sqrt(s->bb) : NAN;
}

static void json_number(double v)
{
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null");
}

static void print_json(const options *o, const nn_net *a, const sums *s,
                       const sums *all)
{
    printf("{\"a\":");
    nn_json_string(shown(o->a));
    printf(",\"b\":");
    nn_json_string(shown(o->b));
    printf(",\"bias\":%s,\"layers\":[", o->bias ? "true" : "false");
    for (size_t k = 0; k <= a->n; k++) {
        const sums *t = k < a->n ? &s[k] : all;
        if (k == a->n)
            printf("],\"all\":{");
        else
            printf("%s{\"layer\":%zu,\"shape\":[%zu,%zu],", k ? "," : "",
                   k + 1, 1 + a->layers[k].n_in, a->layers[k].n_out);
        printf("\"weights\":%llu,\"phi\":", (unsigned long long)t->count);
        json_number(phi(t));
        printf(",\"euclidean\":");
        json_number(sqrt(t->diff));
        printf(",\"cosine\":");
        json_number(cosine(t));
        putchar('}');
    }
    printf("}\n");
}

static void print_text(const nn_net *a, const sums *s, const sums *all)
{
    printf("%-5s  %-13s  %10s  %12s  %12s  %10s\n", "layer", "shape",
           "weights", "phi", "euclidean", "cosine");
    for (size_t k = 0; k <= a->n; k++) {
        const sums *t = k < a->n ? &s[k] : all;
        char layer[24], shape[48];
        if (k < a->n) {
            snprintf(layer, sizeof layer, "%zu", k + 1);
            snprintf(shape, sizeof shape, "(%zu,%zu)", 1 + a->layers[k].n_in,
                     a->layers[k].n_out);
        } else {
            snprintf(layer, sizeof layer, "all");
            snprintf(shape, sizeof shape, "-");
        }
        printf("%-5s  %-13s  %10llu  %12.6g  %12.6g  %10.6g\n", layer, shape,
               (unsigned long long)t->count, phi(t), sqrt(t->diff),
               cosine(t));
    }
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-distance");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    nn_net a, b;
    if (load(o.a, &a, &e) < 0)
        nn_die("%s", e.msg);
    if (load(o.b, &b, &e) < 0)
        nn_die("%s", e.msg);
    if (nn_net_compatible(&a, &b, &e) < 0)
        nn_die("%s: not the architecture of %s: %s", shown(o.b), shown(o.a),
               e.msg);
    sums *s = nn_xalloc(a.n, sizeof *s, "layers"), all = {0};
    for (size_t k = 0; k < a.n; k++) {
        layer_sums(&a.layers[k], &b.layers[k], o.bias, &s[k]);
        all.diff += s[k].diff;
        all.plus += s[k].plus;
        all.dot += s[k].dot;
        all.aa += s[k].aa;
        all.bb += s[k].bb;
        all.count += s[k].count;
    }
    if (o.json)
        print_json(&o, &a, s, &all);
    else if (o.quiet)
        printf("%.6g\n", phi(&all));
    else
        print_text(&a, s, &all);
    if (nn_stdout_close(&e) < 0)
        nn_die("%s", e.msg);
    free(s);
    nn_net_free(&a);
    nn_net_free(&b);
    return 0;
}

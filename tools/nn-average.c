/* nn-average — the element-wise mean of networks of one architecture, or
 * the networks on the line between two. */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-average [OPTION]... NET...\n"
    "  or:  nn-average [OPTION]... --path=N A B\n"
    "Write the element-wise mean of the networks in the NET files (each a\n"
    "network or a stream of networks, '-' for stdin), all of one\n"
    "architecture: weights, biases and polynomial coefficients averaged,\n"
    "masks joined (a weight stays where any network keeps it).\n"
    "With --path, write the N networks (1-t) A + t B, t = 0, 1/(N-1), ..., 1,\n"
    "as one stream of networks: attributes checkpoint=0..N-1 and t.\n"
    "\n"
    "      --path=N           N networks from A to B (2 to 100000)\n"
    "  -t, --dtype=TYPE       write f32 or f64 (default: each layer as the\n"
    "                         first network stores it)\n"
    "  -o, --output=FILE      write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]     compress records with zstd (default level 3)\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "See nn-average(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-average --path 25 a.nns b.nns | nn-forward - test.nns | "
    "nn-eval\n";

enum { OPT_PATH = 256 };

typedef struct options {
    char **nets;
    int nnets;
    uint64_t path;          /* --path N, or 0 */
    int dtype;              /* -t, or 0: as the first network */
    const char *out;
    int level;
} options;

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"path", required_argument, 0, OPT_PATH},
        {"dtype", required_argument, 0, 't'},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    *o = (options){.out = "-"};
    int c;
    while ((c = getopt_long(argc, argv, ":t:o:z::hV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_PATH: o->path = nn_arg_u64("path", optarg, 2, 100000); break;
        case 't': o->dtype = nn_float_dtype_arg(optarg); break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    o->nets = argv + optind;
    o->nnets = argc - optind;
    if (o->nnets == 0)
        nn_usage_error("missing NET");
    if (o->path && o->nnets != 2)
        nn_usage_error("--path takes two networks, A and B (%d given)",
                       o->nnets);
    int stdin_uses = 0;
    for (int i = 0; i < o->nnets; i++)
        stdin_uses += strcmp(o->nets[i], "-") == 0;
    if (stdin_uses > 1)
        nn_usage_error("stdin ('-') given %d times", stdin_uses);
}

/* The mean so far: the sum of the networks read, in double. */
typedef struct average {
    nn_net sum;             /* the first network, then the sum */
    const char *first;      /* its file */
    uint64_t count;
} average;

/* A file's name in messages. */
static const char *shown(const char *path)
{
    return strcmp(path, "-") ? path : "stdin";
}

/* Adds net (network i, from 1, of file src) to the sum: the same
 * architecture, masks joined (none when a network has none: all its
 * weights are kept). */
static int add(average *A, nn_net *net, const char *src, int i, nn_error *e)
{
    if (!A->count) {
        A->sum = *net; /* taken over */
        *net = (nn_net){0};
        A->count = 1;
        return 0;
    }
    if (nn_net_compatible(&A->sum, net, e) < 0) {
        if (i > 1)
            return nn_error_wrap(e, "%s: network %d: not the architecture of "
                                 "%s", src, i, A->first);
        return nn_error_wrap(e, "%s: not the architecture of %s", src,
                             A->first);
    }
    for (size_t k = 0; k < net->n; k++) {
        nn_layer *s = &A->sum.layers[k], *l = &net->layers[k];
        size_t n = (1 + l->n_in) * l->n_out;
        for (size_t j = 0; j < n; j++)
            s->w[j] += l->w[j];
        if (l->coef)
            for (size_t j = 0; j < l->n_out * (size_t)(l->act.degree + 1); j++)
                s->coef[j] += l->coef[j];
        if (s->mask && l->mask) {
            for (size_t j = 0; j < n; j++)
                s->mask[j] |= l->mask[j];
        } else {
            free(s->mask);
            s->mask = NULL;
        }
    }
    A->count++;
    nn_net_free(net);
    return 0;
}

/* Every network of every file into the sum. */
static int read_all(const options *o, average *A, nn_error *e)
{
    A->first = shown(o->nets[0]);
    for (int f = 0; f < o->nnets; f++) {
        nn_reader *r = nn_reader_open(o->nets[f], e);
        if (!r)
            return -1;
        const char *src = nn_reader_name(r);
        nn_net net;
        int rc, seen = 0;
        while ((rc = nn_net_read_next(r, &net, e)) == 1)
            if (add(A, &net, src, ++seen, e) < 0) {
                nn_net_free(&net);
                rc = -1;
                break;
            }
        if (rc == 0 && !seen)
            rc = nn_fail(e, "%s: no layers (an empty network)", src);
        nn_reader_close(r);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Whether every weight and coefficient of net is finite (sums of large
 * f64 weights may overflow); else the layer, in e. */
static int check_finite(const nn_net *net, const char *what, nn_error *e)
{
    for (size_t k = 0; k < net->n; k++) {
        const nn_layer *l = &net->layers[k];
        size_t n = (1 + l->n_in) * l->n_out;
        size_t nc = l->coef ? l->n_out * (size_t)(l->act.degree + 1) : 0;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(l->w[i]))
                return nn_fail(e, "%s: layer %zu overflows (weights beyond "
                               "the range of f64)", what, k + 1);
        for (size_t i = 0; i < nc; i++)
            if (!isfinite(l->coef[i]))
                return nn_fail(e, "%s: layer %zu overflows (coefficients "
                               "beyond the range of f64)", what, k + 1);
    }
    return 0;
}

/* The shortest decimal that reads back as v. */
static void shortest(char *buf, size_t cap, double v)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, cap, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Writes net with each layer's attrs: producer set, checkpoint and t set
 * (NULL: removed). */
static int write_net(const options *o, nn_writer *w, nn_net *net,
                     const char *checkpoint, const char *t, nn_error *e)
{
    for (size_t k = 0; k < net->n; k++) {
        nn_layer *l = &net->layers[k];
        char *a1 = nn_attrs_set(l->attrs, "producer", "nn-average " NN_VERSION);
        char *a2 = a1 ? nn_attrs_set(a1, "checkpoint", checkpoint) : NULL;
        char *a3 = a2 ? nn_attrs_set(a2, "t", t) : NULL;
        free(a1);
        free(a2);
        if (!a3)
            return nn_fail(e, "out of memory");
        char *keep = l->attrs;
        l->attrs = a3;
        int rc = nn_layer_write(w, l, o->dtype ? o->dtype : l->dtype, e);
        l->attrs = keep;
        free(a3);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The mean of every network read. */
static int write_mean(const options *o, average *A, nn_writer *w, nn_error *e)
{
    for (size_t k = 0; k < A->sum.n; k++) {
        nn_layer *l = &A->sum.layers[k];
        size_t n = (1 + l->n_in) * l->n_out;
        for (size_t i = 0; i < n; i++)
            l->w[i] /= (double)A->count;
        if (l->coef)
            for (size_t i = 0; i < l->n_out * (size_t)(l->act.degree + 1); i++)
                l->coef[i] /= (double)A->count;
    }
    if (check_finite(&A->sum, "the mean", e) < 0)
        return -1;
    return write_net(o, w, &A->sum, NULL, NULL, e);
}

/* (1-t) a + t b into out, n values. */
static void mix(double *out, const double *a, const double *b, size_t n,
                double t)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (1 - t) * a[i] + t * b[i];
}

/* The N networks from a to b. */
static int write_path(const options *o, const nn_net *a, const nn_net *b,
                      nn_writer *w, nn_error *e)
{
    nn_net p = {nn_xalloc(a->n, sizeof *p.layers, "network"), a->n};
    int rc = 0;
    for (size_t k = 0; k < a->n; k++) {
        const nn_layer *l = &a->layers[k];
        nn_layer *q = &p.layers[k];
        *q = *l;
        q->wf = NULL;
        q->w = nn_xalloc((1 + l->n_in) * l->n_out, sizeof *q->w, "weights");
        q->coef = l->coef ? nn_xalloc(l->n_out, (size_t)(l->act.degree + 1) *
                                      sizeof *q->coef, "coefficients")
                          : NULL;
        q->mask = NULL;
        q->attrs = NULL;
        if (l->mask && b->layers[k].mask) {
            size_t n = (1 + l->n_in) * l->n_out;
            q->mask = nn_xalloc(n, 1, "mask");
            for (size_t i = 0; i < n; i++)
                q->mask[i] = l->mask[i] | b->layers[k].mask[i];
        }
        if (!(q->attrs = strdup(l->attrs)))
            nn_die("out of memory");
    }
    for (uint64_t j = 0; j < o->path && rc == 0; j++) {
        double t = (double)j / (double)(o->path - 1);
        for (size_t k = 0; k < a->n; k++) {
            const nn_layer *l = &a->layers[k], *m = &b->layers[k];
            nn_layer *q = &p.layers[k];
            mix(q->w, l->w, m->w, (1 + l->n_in) * l->n_out, t);
            if (l->coef)
                mix(q->coef, l->coef, m->coef,
                    l->n_out * (size_t)(l->act.degree + 1), t);
        }
        char ck[32], tt[32];
        snprintf(ck, sizeof ck, "%llu", (unsigned long long)j);
        shortest(tt, sizeof tt, t);
        rc = write_net(o, w, &p, ck, tt, e);
    }
    nn_net_free(&p);
    return rc;
}

/* --path: A and B, one network each, of one architecture. */
static int read_ends(const options *o, nn_net *a, nn_net *b, nn_error *e)
{
    nn_net *ends[2] = {a, b};
    for (int f = 0; f < 2; f++) {
        nn_reader *r = nn_reader_open(o->nets[f], e);
        if (!r)
            return -1;
        nn_net extra;
        int rc = nn_net_read_next(r, ends[f], e);
        if (rc == 0)
            rc = nn_fail(e, "%s: no layers (an empty network)",
                         nn_reader_name(r));
        if (rc == 1 && (rc = nn_net_read_next(r, &extra, e)) == 1) {
            nn_net_free(&extra);
            rc = nn_fail(e, "%s: holds more than one network (--path goes "
                         "from one network to another)", nn_reader_name(r));
        }
        nn_reader_close(r);
        if (rc < 0)
            return -1;
    }
    if (nn_net_compatible(a, b, e) < 0)
        return nn_error_wrap(e, "%s: not the architecture of %s",
                             shown(o->nets[1]), shown(o->nets[0]));
    return 0;
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-average");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    average A = {0};
    nn_net a = {0}, b = {0};
    if ((o.path ? read_ends(&o, &a, &b, &e) : read_all(&o, &A, &e)) < 0)
        nn_die("%s", e.msg);
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, o.level);
    if ((o.path ? write_path(&o, &a, &b, w, &e)
                : write_mean(&o, &A, w, &e)) < 0 ||
        nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    nn_net_free(&A.sum);
    nn_net_free(&a);
    nn_net_free(&b);
    return 0;
}

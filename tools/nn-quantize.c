/* nn-quantize — store a network's weights quantized or compressed
 * (ALGORITHMS.md, nn-quantize; thesis ch. 3), or decode them back to
 * floats, with a report of what each layer costs and loses.  The
 * encoding and decoding live in the library (nn_quant.c, nn_qlayer.c). */
#include "nn_tool.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static const char usage[] =
    "Usage: nn-quantize [OPTION]... [NET]\n"
    "Write the network in NET (or stdin) with every layer's weights\n"
    "quantized or compressed (formats/nns.md, \"Quantized layers\"); every\n"
    "network tool reads the result as it reads float layers.\n"
    "\n"
    "      --bits=N         fixed quantization to N bits (1-24) over each\n"
    "                       layer's range\n"
    "      --huffman        and entropy-code the codes (N up to 16)\n"
    "      --dynamic        thesis Algorithm 1: N = ceil(H) + C from the\n"
    "                       entropy H of a sample, Huffman-coded\n"
    "      --fraction=F     --dynamic: the sample, a fraction of the\n"
    "                       weights (default 0.03)\n"
    "      --probe-bits=M   --dynamic: bits of the sample's quantizer\n"
    "                       (default 4)\n"
    "      --floor=C        --dynamic: the bits added to H (default 5)\n"
    "      --max-bits=N     --dynamic: at most N bits (default 10)\n"
    "      --q8_0           llama.cpp's Q8_0 (blocks of 32, f16 scales)\n"
    "      --q4_0           llama.cpp's Q4_0\n"
    "      --lossless       the float bytes grouped by position, then zstd\n"
    "      --decode         write the layers as floats (decoded)\n"
    "      --report=FILE    the report (per layer and in all) to FILE\n"
    "      --data=FILE      and in the report, the change in accuracy and\n"
    "                       the KL divergence of the outputs on FILE's rows\n"
    "  -n, --name=NAME      --data: the inputs (default x)\n"
    "  -y, --labels=NAME    --data: the class labels (default y; optional)\n"
    "  -s, --seed=N         --dynamic: the sample's seed (default 1)\n"
    "  -v, --verbose        the report on stderr\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "See nn-quantize(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-quantize --dynamic --floor 6 -v net.nns | nn-forward - "
    "test.nns | nn-eval\n";

enum { OPT_BITS = 256, OPT_HUFFMAN, OPT_DYNAMIC, OPT_FRACTION, OPT_PROBE, OPT_FLOOR,
       OPT_MAX_BITS, OPT_Q8, OPT_Q4, OPT_LOSSLESS, OPT_REPORT, OPT_DECODE,
       OPT_DATA };

typedef struct options {
    const char *net, *out, *report, *data, *name, *labels;
    int scheme;             /* NN_Q_*, or -1 with --decode */
    int bits, dynamic, probe, floor_bits, max_bits, verbose, decode;
    double fraction;
    uint64_t seed;
} options;

/* A layer's line of the report. */
typedef struct row {
    size_t params, bytes;   /* weights; bytes of the records written */
    int bits;
    double entropy;         /* of the codes, bits a weight (fixed, huffman) */
    size_t zstd;            /* the packed codes through zstd -3 */
    double sse, ssw, maxerr;
} row;

/* The fixed codes' entropy and what zstd makes of them packed (the
 * library's fixed encoding), whichever scheme the layer is written in:
 * the comparison the report gives. */
static void code_stats(const nn_layer *l, int bits, row *r)
{
    size_t n = r->params, k = (size_t)1 << bits;
    double lo, hi;
    nn_error e;
    nn_qspec fixed = {.scheme = NN_Q_FIXED, .bits = bits};
    nn_qlayer q = {0};
    uint32_t *codes = malloc(n * sizeof *codes);
    uint64_t *f = calloc(k, sizeof *f);
    if (!codes || !f || nn_quant_range(l->w, n, &lo, &hi, &e) < 0 ||
        nn_qlayer_encode(l->w, 1 + l->n_in, l->n_out, l->dtype, &fixed, &q,
                         &e) < 0)
        goto done;
    nn_quant_encode(l->w, n, lo, hi, bits, codes);
    for (size_t i = 0; i < n; i++)
        f[codes[i]]++;
    r->entropy = 0;
    for (size_t s2 = 0; s2 < k; s2++)
        if (f[s2])
            r->entropy -= (double)f[s2] / (double)n *
                          log2((double)f[s2] / (double)n);
    size_t bound = ZSTD_compressBound(q.len);
    void *z = malloc(bound);
    size_t zs = z ? ZSTD_compress(z, bound, q.payload, q.len, 3) : 0;
    r->zstd = z && !ZSTD_isError(zs) ? zs : 0;
    free(z);
done:
    nn_qlayer_free(&q);
    free(codes), free(f);
}

/* The error of the weights a reader gets back from q; those weights in
 * *keep when keep is not NULL (else freed). */
static int error_stats(const nn_layer *l, const nn_qlayer *q, row *r,
                       double **keep, nn_error *e)
{
    double *d;
    if (nn_qlayer_decoded(q, &d, e) < 0)
        return -1;
    for (size_t i = 0; i < r->params; i++) {
        double x = l->w[i], err = d[i] - x;
        if (l->mask && !l->mask[i])
            err = 0; /* masked: zero whatever the code */
        r->sse += err * err;
        r->ssw += x * x;
        r->maxerr = fabs(err) > r->maxerr ? fabs(err) : r->maxerr;
    }
    if (keep)
        *keep = d;
    else
        free(d);
    return 0;
}

/* The classes of a block's labels (column iy of b; -1: none) for a
 * network of k outputs: class numbers (one column) or one-hot rows (k
 * columns; a row that is not one-hot has none). */
static int block_labels(const options *o, const nn_rowblock *b, int iy,
                        size_t k, uint64_t row0, int64_t *lab, nn_error *e)
{
    size_t c = iy < 0 ? 0 : b->cols[iy];
    if (iy < 0 || b->rows == 0) {
        for (size_t i = 0; i < b->rows; i++)
            lab[i] = -1;
        return 0;
    }
    if (c != 1 && c != k)
        return nn_fail(e, "%s: the labels '%s' have %zu columns and the "
                       "network %zu output%s", o->data, o->labels, c, k,
                       k == 1 ? "" : "s");
    size_t es = nn_dtype_size(b->dtype[iy]), classes = k > 1 ? k : 2;
    double *v = nn_xalloc(c, sizeof *v, "a label row");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->rows; i++) {
        nn_convert(v, NN_F64, (const char *)b->data[iy] + i * c * es,
                   b->dtype[iy], c);
        unsigned long long at = (unsigned long long)(row0 + i);
        if (c == 1 && (v[0] < 0 || v[0] >= (double)classes ||
                       v[0] != floor(v[0]))) {
            rc = nn_fail(e, "%s: row %llu: label %g is not a class of %zu",
                         o->data, at, v[0], classes);
            break;
        }
        lab[i] = c == 1 ? (int64_t)v[0] : -1;
        for (size_t j = 0; c > 1 && j < c; j++) {
            if (v[j] == 1 && lab[i] < 0) {
                lab[i] = (int64_t)j;
            } else if (v[j] != 0) {
                lab[i] = -1;
                break;
            }
        }
    }
    free(v);
    return rc;
}

/* The change in the outputs of net under the decoded weights wq over the
 * rows of o->data, into *s. */
static int effect(const options *o, nn_net *net, double *const *wq,
                  nn_qeffect *s, nn_error *e)
{
    enum { BLOCK = 1024 };
    nn_reader *r = nn_reader_open(o->data, e);
    if (!r)
        return -1;
    const char *names[1] = {o->name};
    nn_rowset *rs = nn_rowset_open(r, 1, names, e);
    int rc = rs ? nn_rowset_add(rs, o->labels, 0, e) : -1;
    if (rc == 0)
        rc = nn_qeffect_init(s, net, wq, e);
    size_t n_in = net->layers[0].n_in, k = net->layers[net->n - 1].n_out;
    float *x = rc == 0 ? nn_xalloc(BLOCK * n_in, sizeof *x, "a block") : NULL;
    int64_t *lab = rc == 0 ? nn_xalloc(BLOCK, sizeof *lab, "labels") : NULL;
    nn_rowblock b;
    while (rc == 0 && (rc = nn_rowset_next(rs, BLOCK, &b, e)) == 1) {
        int ix = nn_rowset_find(rs, o->name), iy = nn_rowset_find(rs, o->labels);
        uint64_t row0 = nn_rowset_row(rs) - b.rows;
        if (b.cols[ix] != n_in) {
            rc = nn_fail(e, "%s: rows of '%s' have %zu values; the network "
                         "takes %zu", o->data, o->name, b.cols[ix], n_in);
            break;
        }
        nn_convert(x, NN_F32, b.data[ix], b.dtype[ix], b.rows * n_in);
        rc = nn_rows_check_finite(x, NN_F32, b.rows, n_in, row0, "",
                                  o->name, e);
        if (rc < 0)
            nn_error_wrap(e, "%s", o->data);
        if (rc == 0)
            rc = block_labels(o, &b, iy, k, row0, lab, e);
        if (rc == 0)
            rc = nn_qeffect_add(s, b.rows, x, lab, e);
    }
    free(x), free(lab);
    if (rs)
        nn_rowset_close(rs);
    nn_reader_close(r);
    return rc < 0 ? -1 : 0;
}

static void say_report(FILE *f, const row *R, size_t nl, const nn_qeffect *q)
{
    row all = {0};
    int coded_all = nl > 0;
    for (size_t l = 0; l < nl; l++)
        coded_all &= R[l].bits > 0;
    fprintf(f, "layer  params      bytes  bits/param  ratio  bits  entropy  "
               "zstd/param  rmse         max_err      sqnr_db\n");
    for (size_t l = 0; l <= nl; l++) {
        const row *r = l < nl ? &R[l] : &all;
        if (l < nl) {
            all.params += r->params, all.bytes += r->bytes;
            all.sse += r->sse, all.ssw += r->ssw, all.zstd += r->zstd;
            all.entropy += r->entropy * (double)r->params;
            all.maxerr = r->maxerr > all.maxerr ? r->maxerr : all.maxerr;
        }
        double bpp = 8.0 * (double)r->bytes / (double)r->params;
        double ent = l < nl ? r->entropy : r->entropy / (double)r->params;
        int coded = l < nl ? r->bits > 0 : coded_all;
        char name[32], bits[16], es[16], zs[16];
        snprintf(name, sizeof name, l < nl ? "%zu" : "all", l + 1);
        snprintf(bits, sizeof bits, l < nl && r->bits ? "%d" : "-", r->bits);
        snprintf(es, sizeof es, coded ? "%.3f" : "-", ent);
        snprintf(zs, sizeof zs, coded ? "%.3f" : "-",
                 8.0 * (double)r->zstd / (double)r->params);
        fprintf(f, "%-5s  %6zu  %9zu  %10.3f  %5.2f  %4s  %7s  %10s  "
                   "%-11.4g  %-11.4g  %.2f\n", name, r->params, r->bytes, bpp,
                32 / bpp, bits, es, zs, sqrt(r->sse / (double)r->params),
                r->maxerr,
                r->sse > 0 ? 10 * log10(r->ssw / r->sse) : INFINITY);
    }
    if (!q)
        return;
    /* accuracy in percent of the labelled rows; KL in nats, mean over rows */
    fprintf(f, "\nrows    labelled  acc_orig  acc_quant  acc_change  kl_mean\n");
    char a[16] = "-", b[16] = "-", c[16] = "-";
    if (q->labelled) {
        double n = (double)q->labelled, ra = 100.0 * (double)q->right_orig / n,
               rb = 100.0 * (double)q->right_quant / n;
        snprintf(a, sizeof a, "%.2f", ra), snprintf(b, sizeof b, "%.2f", rb);
        snprintf(c, sizeof c, "%+.2f", rb - ra);
    }
    fprintf(f, "%-6llu  %-8llu  %-8s  %-9s  %-10s  %.6g\n",
            (unsigned long long)q->rows, (unsigned long long)q->labelled, a, b,
            c, q->rows ? q->kl / (double)q->rows : 0.0);
}

/* The spec of layer l: fixed, or Algorithm 1's N from the sample. */
static nn_qspec spec_for(const options *o, const nn_layer *l, size_t idx)
{
    nn_qspec s = {.scheme = o->scheme, .bits = o->bits};
    nn_qdynamic d = {o->fraction, o->probe, o->floor_bits, o->max_bits};
    if (o->dynamic)
        s.bits = nn_qdynamic_bits(l->w, (1 + l->n_in) * l->n_out, &d,
                                  o->seed + idx);
    return s;
}

static int run(const options *o, nn_net *net, nn_writer *w, FILE *rep,
               nn_error *e)
{
    row *R = nn_xalloc(net->n, sizeof *R, "the report");
    double **wq = o->data ? nn_xalloc(net->n, sizeof *wq, "weights") : NULL;
    int rc = 0;
    for (size_t l = 0; rc == 0 && l < net->n; l++) {
        nn_layer *L = &net->layers[l];
        size_t n = (1 + L->n_in) * L->n_out;
        row *r = &R[l];
        r->params = n;
        uint64_t before = nn_writer_offset(w);
        if (o->decode) {
            rc = nn_layer_write(w, L, L->dtype, e);
        } else {
            nn_qspec sp = spec_for(o, L, l);
            nn_qlayer q;
            rc = nn_qlayer_encode(L->w, 1 + L->n_in, L->n_out, L->dtype, &sp,
                                  &q, e);
            if (rc == 0)
                rc = nn_qlayer_write(w, L, &q, e);
            if (sp.scheme == NN_Q_FIXED || sp.scheme == NN_Q_HUFFMAN)
                r->bits = sp.bits;
            if (rc == 0 && rep && r->bits)
                code_stats(L, r->bits, r);
            if (rc == 0 && rep)
                rc = error_stats(L, &q, r, wq ? &wq[l] : NULL, e);
            nn_qlayer_free(&q);
        }
        r->bytes = (size_t)(nn_writer_offset(w) - before);
    }
    nn_qeffect eff = {0};
    if (rc == 0 && wq)
        rc = effect(o, net, wq, &eff, e);
    if (rc == 0 && rep)
        say_report(rep, R, net->n, wq ? &eff : NULL);
    nn_qeffect_free(&eff);
    for (size_t l = 0; wq && l < net->n; l++)
        free(wq[l]);
    free(wq), free(R);
    return rc;
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"bits", required_argument, 0, OPT_BITS},
        {"huffman", no_argument, 0, OPT_HUFFMAN},
        {"dynamic", no_argument, 0, OPT_DYNAMIC},
        {"fraction", required_argument, 0, OPT_FRACTION},
        {"probe-bits", required_argument, 0, OPT_PROBE},
        {"floor", required_argument, 0, OPT_FLOOR},
        {"max-bits", required_argument, 0, OPT_MAX_BITS},
        {"q8_0", no_argument, 0, OPT_Q8},
        {"q4_0", no_argument, 0, OPT_Q4},
        {"lossless", no_argument, 0, OPT_LOSSLESS},
        {"decode", no_argument, 0, OPT_DECODE},
        {"report", required_argument, 0, OPT_REPORT},
        {"data", required_argument, 0, OPT_DATA},
        {"name", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"seed", required_argument, 0, 's'},
        {"verbose", no_argument, 0, 'v'},
        {"output", required_argument, 0, 'o'},
        NN_LONGOPTS_END};
    *o = (options){.out = "-", .name = "x", .labels = "y", .scheme = -1,
                   .probe = 4, .floor_bits = 5,
                   .max_bits = 10, .fraction = 0.03, .seed = 1};
    int c, huffman = 0, modes = 0;
    while ((c = getopt_long(argc, argv, ":s:vo:n:y:hV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BITS: o->bits = (int)nn_arg_u64("bits", optarg, 1, 24); break;
        case OPT_HUFFMAN: huffman = 1; break;
        case OPT_DYNAMIC: o->dynamic = 1, modes++; break;
        case OPT_FRACTION:
            o->fraction = nn_arg_double("fraction", optarg, 0, 1);
            if (o->fraction <= 0)
                nn_usage_error("invalid --fraction '%s': must be in (0, 1]",
                               optarg);
            break;
        case OPT_PROBE: o->probe = (int)nn_arg_u64("probe-bits", optarg, 1, 16); break;
        case OPT_FLOOR: o->floor_bits = (int)nn_arg_u64("floor", optarg, 0, 16); break;
        case OPT_MAX_BITS: o->max_bits = (int)nn_arg_u64("max-bits", optarg, 1, 16); break;
        case OPT_Q8: o->scheme = NN_Q_Q8_0, modes++; break;
        case OPT_Q4: o->scheme = NN_Q_Q4_0, modes++; break;
        case OPT_LOSSLESS: o->scheme = NN_Q_LOSSLESS, modes++; break;
        case OPT_DECODE: o->decode = 1, modes++; break;
        case OPT_REPORT: o->report = optarg; break;
        case OPT_DATA: o->data = optarg; break;
        case 'n': o->name = optarg; break;
        case 'y': o->labels = optarg; break;
        case 's': o->seed = nn_arg_u64("seed", optarg, 0, UINT64_MAX); break;
        case 'v': o->verbose = 1; break;
        case 'o': o->out = optarg; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (o->bits)
        modes++;
    if (modes != 1)
        nn_usage_error(modes ? "choose one of --bits, --dynamic, --q8_0, "
                               "--q4_0, --lossless, --decode"
                             : "missing --bits, --dynamic, --q8_0, --q4_0, "
                               "--lossless or --decode");
    if (huffman && !o->bits)
        nn_usage_error("--huffman goes with --bits");
    if (huffman && o->bits > 16)
        nn_usage_error("invalid --bits '%d': --huffman takes 1 to 16", o->bits);
    if (o->bits)
        o->scheme = huffman ? NN_Q_HUFFMAN : NN_Q_FIXED;
    if (o->dynamic)
        o->scheme = NN_Q_HUFFMAN;
    if (o->decode && o->report)
        nn_usage_error("--report goes with quantization, not --decode");
    if (argc - optind > 1)
        nn_usage_error("too many arguments");
    o->net = optind < argc ? argv[optind] : "-";
    if (o->data && o->decode)
        nn_usage_error("--data goes with quantization, not --decode");
    if (o->data && !o->report && !o->verbose)
        nn_usage_error("--data goes with --report or --verbose");
    if (o->data && strcmp(o->data, "-") == 0 && strcmp(o->net, "-") == 0)
        nn_usage_error("NET and --data cannot both be stdin");
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-quantize");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    nn_net net;
    FILE *rep = NULL;
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w || nn_net_load(o.net, &net, &e) < 0)
        nn_die("%s", e.msg);
    if (o.report && !(rep = fopen(o.report, "w")))
        nn_die("%s: cannot write: %s", o.report, strerror(errno));
    if (!rep && o.verbose)
        rep = stderr;
    if (run(&o, &net, w, rep, &e) < 0 || nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    if (rep && rep != stderr && fclose(rep) != 0)
        nn_die("%s: write error", o.report);
    nn_net_free(&net);
    return 0;
}

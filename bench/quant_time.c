/* quant_time.c — encode and decode throughput of the weight codings of
 * nn-quantize (the library's nn_qlayer_encode and nn_qlayer_decoded, all
 * layers of a network, in memory) against libzstd level 3 (what zstd -3
 * runs) on the same weights as f32 bytes.  Each time is the best of RUNS
 * runs; MB/s counts 10^6 bytes of f32 weights (4 a weight) per second,
 * whatever the coding.  Writes the f32 bytes to RAW (for the zstd command
 * line).  Usage: quant_time NET RUNS RAW; prints a line per coding:
 * "coding encode_s decode_s bytes params" (bytes: the payloads, or the
 * zstd frame).  Freed memory stays with the process (glibc's mallopt), so
 * the decoded weights' buffers are reused from run to run as zstd's is:
 * the times are of the steady state, not of first touching fresh pages. */
#include "nn.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

typedef struct coding {
    const char *name;
    int scheme, bits;           /* bits < 0: Algorithm 1 with floor -bits */
} coding;

static const coding codings[] = {
    {"fixed8", NN_Q_FIXED, 8},       {"fixed8-huffman", NN_Q_HUFFMAN, 8},
    {"dynamic-c5", NN_Q_HUFFMAN, -5}, {"dynamic-c6", NN_Q_HUFFMAN, -6},
    {"q8_0", NN_Q_Q8_0, 0},          {"q4_0", NN_Q_Q4_0, 0},
    {"lossless", NN_Q_LOSSLESS, 0}};

static void die(const char *what, const nn_error *e)
{
    fprintf(stderr, "quant_time: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: quant_time NET RUNS RAW\n"), 2;
    int runs = atoi(argv[2]);
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    nn_net net;
    nn_error e;
    if (nn_net_load(argv[1], &net, &e) < 0)
        die(argv[1], &e);
    size_t nl = net.n, params = 0;
    for (size_t l = 0; l < nl; l++)
        params += (1 + net.layers[l].n_in) * net.layers[l].n_out;
    nn_qlayer *q = calloc(nl, sizeof *q);
    double **d = calloc(nl, sizeof *d);
    float *raw = malloc(params * sizeof *raw);
    if (!q || !d || !raw)
        die("memory", NULL);
    for (size_t l = 0, at = 0; l < nl; l++) {
        size_t n = (1 + net.layers[l].n_in) * net.layers[l].n_out;
        nn_convert(raw + at, NN_F32, net.layers[l].w, NN_F64, n);
        at += n;
    }
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(raw, sizeof *raw, params, f) != params || fclose(f))
        die(argv[3], NULL);

    for (size_t c = 0; c < sizeof codings / sizeof *codings; c++) {
        const coding *k = &codings[c];
        double enc = 1e30, dec = 1e30;
        size_t bytes = 0;
        for (int r = 0; r < runs; r++) {
            double t0 = nn_now();
            bytes = 0;
            for (size_t l = 0; l < nl; l++) {
                nn_layer *L = &net.layers[l];
                size_t rows = 1 + L->n_in, n = rows * L->n_out;
                nn_qspec s = {.scheme = k->scheme, .bits = k->bits};
                if (k->bits < 0) {
                    nn_qdynamic dy = {0.03, 4, -k->bits, 10};
                    s.bits = nn_qdynamic_bits(L->w, n, &dy, 1 + l);
                }
                nn_qlayer_free(&q[l]);
                if (nn_qlayer_encode(L->w, rows, L->n_out, L->dtype, &s, &q[l],
                                     &e) < 0)
                    die(k->name, &e);
                bytes += q[l].len;
            }
            double t1 = nn_now();
            for (size_t l = 0; l < nl; l++) {
                free(d[l]);
                if (nn_qlayer_decoded(&q[l], &d[l], &e) < 0)
                    die(k->name, &e);
            }
            double t2 = nn_now();
            enc = t1 - t0 < enc ? t1 - t0 : enc;
            dec = t2 - t1 < dec ? t2 - t1 : dec;
        }
        printf("%s %.6f %.6f %zu %zu\n", k->name, enc, dec, bytes, params);
    }

    /* libzstd level 3 on the f32 bytes, one frame */
    size_t n = params * sizeof *raw, cap = ZSTD_compressBound(n), zlen = 0;
    void *z = malloc(cap), *back = malloc(n);
    if (!z || !back)
        die("memory", NULL);
    double enc = 1e30, dec = 1e30;
    for (int r = 0; r < runs; r++) {
        double t0 = nn_now();
        zlen = ZSTD_compress(z, cap, raw, n, 3);
        double t1 = nn_now();
        size_t got = ZSTD_decompress(back, n, z, zlen);
        double t2 = nn_now();
        if (ZSTD_isError(zlen) || got != n || memcmp(back, raw, n) != 0)
            die("zstd", NULL);
        enc = t1 - t0 < enc ? t1 - t0 : enc;
        dec = t2 - t1 < dec ? t2 - t1 : dec;
    }
    printf("zstd-3 %.6f %.6f %zu %zu\n", enc, dec, zlen, params);

    for (size_t l = 0; l < nl; l++)
        nn_qlayer_free(&q[l]), free(d[l]);
    free(q), free(d), free(raw), free(z), free(back);
    nn_net_free(&net);
    return 0;
}

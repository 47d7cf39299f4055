/* test_quant.c — quantization and canonical Huffman coding (nn_quant.c):
 * known answers of the formulas; decoded weights within half a bin; a
 * constant tensor exact; the entropy estimate on known histograms; codes
 * encoded then decoded give back the codes exactly for random, skewed,
 * single-symbol, two-symbol, uniform and length-limited histograms; the
 * bits counted equal the bits written and lie between n H and n (H + 1);
 * corrupt tables and truncated or corrupt codes fail without reading out
 * of bounds (run under ASan too). */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static double entropy_of(const uint64_t *f, size_t k)
{
    double n = 0, h = 0;
    for (size_t s = 0; s < k; s++)
        n += (double)f[s];
    for (size_t s = 0; s < k; s++)
        if (f[s])
            h -= (double)f[s] / n * log2((double)f[s] / n);
    return h;
}

/* Builds the code of freq, encodes sym (n) and decodes it back; unless
 * sample, sym's counts are freq and the bits must be what they give. */
static int round_trip(const uint64_t *freq, size_t k, const uint32_t *sym,
                      size_t n, uint64_t *bits, int *maxlen, nn_error *e,
                      int sample)
{
    uint8_t *len = malloc(k);
    nn_huff h;
    int ok = nn_huff_lengths(freq, k, len, e) == 0 &&
             nn_huff_init(&h, len, k, e) == 0;
    size_t cap = n * 3 + 8;
    uint8_t *buf = malloc(cap);
    uint32_t *back = malloc((n + 1) * sizeof *back);
    ok = ok && nn_huff_encode(&h, sym, n, buf, cap, bits, e) == 0 &&
         nn_huff_decode(&h, buf, *bits, n, back, e) == 0 &&
         memcmp(back, sym, n * sizeof *sym) == 0 &&
         (sample || nn_huff_bits(&h, freq) == *bits);
    *maxlen = 0;
    for (size_t s = 0; s < k; s++)
        *maxlen = len[s] > *maxlen ? len[s] : *maxlen;
    if (ok || h.len)
        nn_huff_free(&h);
    free(len), free(buf), free(back);
    return ok;
}

int main(void)
{
    nn_error e;
    nn_rng g;
    nn_rng_seed(&g, 3);

    /* known answers */
    double w[5] = {0, 0.25, 0.5, 0.75, 1}, d[5];
    uint32_t q[5];
    nn_quant_encode(w, 5, 0, 1, 2, q);
    nn_quant_decode(q, 5, 0, 1, 2, d);
    CHECK(q[0] == 0 && q[1] == 1 && q[2] == 2 && q[3] == 3 && q[4] == 3 &&
          d[0] == 0.125 && d[1] == 0.375 && d[4] == 0.875,
          "2 bits over [0,1]: codes 0 1 2 3 3, decoded to the bins' centres");
    double c[4] = {0.7, 0.7, 0.7, 0.7}, lo, hi;
    nn_quant_range(c, 4, &lo, &hi, &e);
    nn_quant_encode(c, 4, lo, hi, 8, q);
    nn_quant_decode(q, 4, lo, hi, 8, d);
    CHECK(q[0] == 0 && q[3] == 0 && d[0] == 0.7 && d[3] == 0.7,
          "a constant tensor: codes 0, decoded exactly");
    double bad[3] = {1, NAN, 2};
    CHECK(nn_quant_range(bad, 3, &lo, &hi, &e) < 0 && strstr(e.msg, "weight 1"),
          "NaN refused: %s", e.msg);

    /* within half a bin, every N */
    enum { NW = 20000 };
    double *x = malloc(NW * sizeof *x), *y = malloc(NW * sizeof *y);
    uint32_t *qq = malloc(NW * sizeof *qq);
    for (size_t i = 0; i < NW; i++)
        x[i] = nn_rng_normal(&g) * 0.05;
    nn_quant_range(x, NW, &lo, &hi, &e);
    int worst_ok = 1;
    for (int bits = 1; bits <= 24; bits++) {
        nn_quant_encode(x, NW, lo, hi, bits, qq);
        nn_quant_decode(qq, NW, lo, hi, bits, y);
        double half = (hi - lo) / ldexp(1, bits + 1) * (1 + 1e-9);
        for (size_t i = 0; i < NW; i++)
            worst_ok &= fabs(x[i] - y[i]) <= half && qq[i] < (1u << bits);
    }
    CHECK(worst_ok, "N = 1..24: every code in range, every weight within "
          "half a bin of its decoded value");

    /* the entropy estimate */
    for (size_t i = 0; i < 1600; i++) /* 16 bins, 100 each, at their centres */
        x[i] = ((double)(i % 16) + 0.5) / 16;
    double h4 = nn_quant_entropy(x, 1600, 0, 1, 4, 1.0, 1);
    double h2 = nn_quant_entropy(x, 1600, 0, 1, 2, 1.0, 1);
    double hs = nn_quant_entropy(x, 1600, 0, 1, 4, 0.5, 7);
    CHECK(fabs(h4 - 4) < 1e-12 && fabs(h2 - 2) < 1e-12 && hs > 3.8 && hs <= 4,
          "entropy of 16 equal bins: 4 bits at M = 4, 2 at M = 2, %.3f from "
          "a half sample", hs);
    CHECK(nn_quant_entropy(c, 4, 0.7, 0.7, 4, 1.0, 1) == 0 &&
          nn_quant_dynamic_bits(3.2, 5, 10) == 9 &&
          nn_quant_dynamic_bits(4, 6, 10) == 10 &&
          nn_quant_dynamic_bits(4.01, 6, 10) == 10 &&
          nn_quant_dynamic_bits(0, 0, 10) == 1,
          "entropy 0 for a constant; N = ceil(H) + c within 1..10");

    /* Huffman round trips */
    static const char *names[] = {"uniform over 1024", "skewed (geometric)",
                                  "single symbol", "two symbols",
                                  "Gaussian weights at 10 bits",
                                  "Fibonacci (lengths limited)"};
    enum { NS = 50000 };
    uint32_t *sym = malloc(NS * sizeof *sym);
    uint64_t *freq = calloc(1024, sizeof *freq);
    for (int kind = 0; kind < 6; kind++) {
        size_t k = kind == 3 ? 2 : kind == 5 ? 40 : 1024, n = NS;
        memset(freq, 0, 1024 * sizeof *freq);
        if (kind == 5) { /* counts 1, 1, 2, 3, 5, ...: natural lengths to 39 */
            freq[0] = freq[1] = 1;
            for (size_t s2 = 2; s2 < k; s2++)
                freq[s2] = freq[s2 - 1] + freq[s2 - 2];
            n = k; /* every symbol once */
            for (size_t s2 = 0; s2 < k; s2++)
                sym[s2] = (uint32_t)s2;
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t s;
                if (kind == 0)
                    s = (uint32_t)nn_rng_below(&g, 1024);
                else if (kind == 1) {
                    s = 0;
                    while (nn_rng_uniform(&g) < 0.7 && s < 1023)
                        s++;
                } else if (kind == 2)
                    s = 17;
                else if (kind == 3)
                    s = nn_rng_uniform(&g) < 0.9;
                else {
                    double v = nn_rng_normal(&g);
                    double t = floor((v + 5) / 10 * 1024);
                    s = t < 0 ? 0 : t > 1023 ? 1023 : (uint32_t)t;
                }
                sym[i] = s;
            }
            for (size_t i = 0; i < n; i++)
                freq[sym[i]]++;
        }
        uint64_t bits;
        int maxlen;
        int ok = round_trip(freq, k, sym, n, &bits, &maxlen, &e, kind == 5);
        double hh = entropy_of(freq, k);
        int bound = kind == 2 ? bits == n
                  : kind == 5 ? maxlen == NN_HUFF_MAXLEN
                  : (double)bits >= hh * (double)n - 1e-6 &&
                        (double)bits < (hh + 1) * (double)n;
        CHECK(ok && bound && maxlen <= NN_HUFF_MAXLEN,
              "%s: %zu codes back exactly; %.3f bits each (entropy %.3f), "
              "longest code %d%s%s", names[kind], n,
              (double)bits / (double)n, hh, maxlen, ok ? "" : ": ",
              ok ? "" : e.msg);
    }

    /* corrupt tables, truncated and corrupt codes */
    uint8_t lens[4] = {1, 1, 2, 0}, long_len[2] = {25, 1};
    nn_huff h;
    CHECK(nn_huff_init(&h, lens, 4, &e) < 0 && strstr(e.msg, "Kraft"),
          "lengths 1 1 2 refused (no prefix code): %s", e.msg);
    CHECK(nn_huff_init(&h, long_len, 2, &e) < 0 && strstr(e.msg, "25 bits"),
          "a 25-bit code refused: %s", e.msg);
    uint8_t good[4] = {1, 2, 3, 3};
    nn_huff_init(&h, good, 4, &e);
    uint32_t in[6] = {0, 1, 2, 3, 3, 0}, out[7];
    uint8_t buf[8];
    uint64_t nb;
    nn_huff_encode(&h, in, 6, buf, sizeof buf, &nb, &e);
    CHECK(nn_huff_decode(&h, buf, nb - 1, 6, out, &e) < 0 &&
              strstr(e.msg, "truncated"),
          "codes one bit short: %s", e.msg);
    CHECK(nn_huff_decode(&h, buf, nb, 7, out, &e) < 0 &&
              strstr(e.msg, "truncated"),
          "one value more than the codes hold: %s", e.msg);
    CHECK(nn_huff_decode(&h, buf, nb, 5, out, &e) < 0 &&
              strstr(e.msg, "bits left"),
          "bits left over: %s", e.msg);
    uint32_t none = 3;
    uint8_t gap[4] = {1, 1, 0, 0};
    nn_huff hg;
    nn_huff_init(&hg, gap, 4, &e);
    CHECK(nn_huff_encode(&hg, &none, 1, buf, sizeof buf, &nb, &e) < 0 &&
              strstr(e.msg, "no code word"),
          "a symbol without a code word refused: %s", e.msg);
    /* random garbage: errors or symbols, never a read past the bytes */
    uint8_t incomplete[5] = {2, 2, 3, 0, 0}; /* Kraft 5/8: gaps */
    nn_huff h3;
    nn_huff_init(&h3, incomplete, 5, &e);
    int safe = 1;
    for (int t = 0; t < 2000; t++) {
        uint8_t junk[16];
        for (int i = 0; i < 16; i++)
            junk[i] = (uint8_t)nn_rng_below(&g, 256);
        uint64_t jb = nn_rng_below(&g, 129);
        uint32_t o[200];
        int rc = nn_huff_decode(&h3, junk, jb, nn_rng_below(&g, 200), o, &e);
        safe &= rc == 0 || rc == -1;
    }
    CHECK(safe, "2000 random inputs to an incomplete code: decoded or "
          "refused (ASan sees every read)");
    nn_huff_free(&h), nn_huff_free(&hg), nn_huff_free(&h3);
    free(x), free(y), free(qq), free(sym), free(freq);
    return check_status();
}

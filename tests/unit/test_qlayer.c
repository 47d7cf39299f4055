/* test_qlayer.c — quantized layers (nn_qlayer.c): each scheme written by
 * nn_qlayer_encode and nn_qlayer_write, and read back by nn_net_load as an
 * ordinary layer:
 * its dtype, mask, coefficients and activation kept, the weights within
 * the scheme's error (half a bin; Q8_0 and Q4_0 half a step plus the f16
 * scale's rounding; lossless exact), the bytes what the formulas say, and
 * bad records refused with a message; over a layer of several of the
 * codings' blocks, the packing and decoding of the whole array (an
 * independent bit-by-bit packing).  NN_QLAYER_SEEDS=DIR also copies
 * each scheme's file to DIR (seeds for tests/fuzz/fuzz_net.c). */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/nn-qlayer.XXXXXX";

/* A 50-in, 37-out relu layer of f32 weights (n = 51 x 37: not a multiple
 * of 32), with a mask. */
static void make_layer(nn_layer *l, nn_rng *g)
{
    memset(l, 0, sizeof *l);
    l->n_in = 50, l->n_out = 37, l->dtype = NN_F32;
    l->act.kind = NN_ACT_RELU;
    size_t n = 51 * 37;
    l->w = malloc(n * sizeof *l->w);
    l->mask = malloc(n);
    for (size_t i = 0; i < n; i++) {
        l->mask[i] = i < 37 || nn_rng_uniform(g) > 0.2;
        l->w[i] = l->mask[i] ? (double)(float)(0.1 * nn_rng_normal(g)) : 0;
    }
    l->attrs = nn_act_to_attrs(&l->act, "producer=test\n");
}

static int write_one(const nn_layer *l, const nn_qspec *q, size_t *bytes)
{
    nn_error e;
    nn_writer *w = nn_writer_open(path, 1, &e);
    nn_qlayer ql = {0};
    int ok = w && nn_qlayer_encode(l->w, 1 + l->n_in, l->n_out, l->dtype, q,
                                   &ql, &e) == 0 &&
             nn_qlayer_write(w, l, &ql, &e) == 0;
    *bytes = ql.len;
    nn_qlayer_free(&ql);
    return ok && nn_writer_close(w, 1, &e) == 0 ? 0 : -1;
}

/* A record "w" of bytes with attrs, to test the reader's refusals. */
static void write_raw(const void *p, size_t len, const char *attrs)
{
    nn_error e;
    nn_writer *w = nn_writer_open(path, 1, &e);
    nn_header h = {.name = "w", .dtype = NN_U8, .rank = 1, .dims = {len},
                   .attrs = attrs};
    nn_writer_put(w, &h, p, &e);
    nn_writer_close(w, 1, &e);
}

/* The low `bits` bits of each code, most significant first, bit by bit:
 * an independent packing to compare the library's with. */
static void pack_ref(const uint32_t *q, size_t n, int bits, uint8_t *out)
{
    memset(out, 0, ((uint64_t)n * (uint64_t)bits + 7) / 8);
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++)
        for (int b = bits - 1; b >= 0; b--, at++)
            if (q[i] >> b & 1)
                out[at >> 3] |= (uint8_t)(0x80 >> (at & 7));
}

/* A layer of 3 x 5000 weights, more than the codings' blocks of 4096 and
 * not a multiple of them: fixed codes packed as the whole array packs,
 * fixed and Huffman codes decoded to what nn_quant_decode makes of the
 * whole array's codes, lossless bytes back exactly (f32 and f64). */
static void many_blocks(nn_rng *g)
{
    enum { R = 3, C = 5000, N = R * C };
    double *w = malloc(N * sizeof *w), *want = malloc(N * sizeof *want);
    uint32_t *q = malloc(N * sizeof *q);
    uint8_t *packed = malloc((size_t)N * 3);
    nn_error e;
    for (size_t i = 0; i < N; i++)
        w[i] = (double)(float)(0.05 * nn_rng_normal(g) * (i % 7 ? 1 : 4));
    double lo, hi;
    nn_quant_range(w, N, &lo, &hi, &e);
    static const struct { int scheme, bits; } cases[] = {
        {NN_Q_FIXED, 3}, {NN_Q_FIXED, 5}, {NN_Q_FIXED, 8}, {NN_Q_FIXED, 13},
        {NN_Q_FIXED, 24}, {NN_Q_HUFFMAN, 3}, {NN_Q_HUFFMAN, 8},
        {NN_Q_HUFFMAN, 16}, {NN_Q_LOSSLESS, 32}, {NN_Q_LOSSLESS, 64}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        nn_qspec sp = {.scheme = cases[c].scheme, .bits = cases[c].bits};
        int lossless = sp.scheme == NN_Q_LOSSLESS;
        int dt = cases[c].bits == 64 ? NN_F64 : NN_F32;
        if (lossless)
            sp.bits = 0;
        else {
            nn_quant_encode(w, N, lo, hi, sp.bits, q);
            nn_quant_decode(q, N, lo, hi, sp.bits, want);
            pack_ref(q, N, sp.bits, packed);
        }
        nn_qlayer ql = {0};
        double *d = NULL;
        int ok = nn_qlayer_encode(w, R, C, dt, &sp, &ql, &e) == 0 &&
                 nn_qlayer_decoded(&ql, &d, &e) == 0;
        if (ok && sp.scheme == NN_Q_FIXED)
            ok = ql.len == ((size_t)N * (size_t)sp.bits + 7) / 8 &&
                 memcmp(ql.payload, packed, ql.len) == 0;
        if (ok)
            ok = memcmp(d, lossless ? w : want, N * sizeof *d) == 0;
        CHECK(ok, "%s %d over %d weights (blocks of 4096): %s",
              nn_qscheme_name(sp.scheme), cases[c].bits, N,
              ok ? (sp.scheme == NN_Q_FIXED ? "the whole array's packing and "
                                              "decoding"
                                            : "the weights back as expected")
                 : e.msg);
        free(d);
        nn_qlayer_free(&ql);
    }
    free(w), free(want), free(q), free(packed);
}

int main(void)
{
    nn_error e;
    nn_rng g;
    nn_rng_seed(&g, 11);
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    nn_layer l;
    make_layer(&l, &g);
    size_t n = 51 * 37;
    double lo = 0, hi = 0;
    nn_quant_range(l.w, n, &lo, &hi, &e);
    double *fixed8 = NULL;

    static const struct { int scheme, bits; } cases[] = {
        {NN_Q_FIXED, 8}, {NN_Q_FIXED, 3}, {NN_Q_FIXED, 24}, {NN_Q_HUFFMAN, 8},
        {NN_Q_HUFFMAN, 1}, {NN_Q_Q8_0, 0}, {NN_Q_Q4_0, 0}, {NN_Q_LOSSLESS, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        nn_qspec q = {.scheme = cases[c].scheme, .bits = cases[c].bits};
        size_t bytes = 0;
        nn_net net;
        int ok = write_one(&l, &q, &bytes) == 0 && nn_net_load(path, &net, &e) == 0;
        if (!ok) {
            CHECK(0, "%s %d: %s", nn_qscheme_name(q.scheme), q.bits, e.msg);
            continue;
        }
        const char *seeds = getenv("NN_QLAYER_SEEDS"); /* fuzz seeds */
        if (seeds) {
            char cmd[512];
            snprintf(cmd, sizeof cmd, "cp %s %s/q%zu.nns", path, seeds, c);
            if (system(cmd) != 0)
                CHECK(0, "NN_QLAYER_SEEDS: %s failed", cmd);
        }
        const nn_layer *r = &net.layers[0];
        int kept = net.n == 1 && r->dtype == NN_F32 && r->n_in == 50 &&
                   r->n_out == 37 && r->act.kind == NN_ACT_RELU && r->mask &&
                   memcmp(r->mask, l.mask, n) == 0;
        char v[16];
        kept &= nn_attrs_get(r->attrs, "quant", v, sizeof v) == 0 &&
                nn_attrs_get(r->attrs, "producer", v, sizeof v) == 1;
        int within = 1;
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs(r->w[i] - l.w[i]), bound;
            if (!l.mask[i]) { /* masked weights are 0 whatever the code */
                within &= r->w[i] == 0;
                continue;
            }
            if (q.scheme == NN_Q_FIXED || q.scheme == NN_Q_HUFFMAN)
                bound = (hi - lo) / ldexp(1, q.bits + 1) * (1 + 1e-9);
            else if (q.scheme == NN_Q_LOSSLESS)
                bound = 0;
            else { /* the block's scale: half a step, and f16's rounding */
                size_t b0 = i / 32 * 32;
                double amax = 0;
                for (size_t j = b0; j < b0 + 32 && j < n; j++)
                    amax = fabs(l.w[j]) > amax ? fabs(l.w[j]) : amax;
                /* Q8_0 rounds to the nearest of +-127 steps; Q4_0's 16
                 * levels run from -8 to 7 steps of d = m / -8, so a weight
                 * near -m is clipped to 7 steps: within one step */
                double dstep = q.scheme == NN_Q_Q8_0 ? amax / 127 : amax / 8;
                bound = (q.scheme == NN_Q_Q8_0 ? dstep / 2 : dstep) +
                        (q.scheme == NN_Q_Q8_0 ? 127 : 8) * dstep * ldexp(1, -11) + 1e-12;
            }
            within &= d <= bound;
            worst = d > worst ? d : worst;
        }
        size_t want = q.scheme == NN_Q_FIXED ? (n * (size_t)q.bits + 7) / 8
                    : q.scheme == NN_Q_Q8_0 ? (n + 31) / 32 * 34
                    : q.scheme == NN_Q_Q4_0 ? (n + 31) / 32 * 18 : bytes;
        if (q.scheme == NN_Q_FIXED && q.bits == 8)
            fixed8 = memcpy(malloc(n * sizeof *fixed8), r->w, n * sizeof *fixed8);
        int same8 = !(q.scheme == NN_Q_HUFFMAN && q.bits == 8) ||
                    memcmp(fixed8, r->w, n * sizeof *fixed8) == 0;
        CHECK(kept && within && bytes == want && same8,
              "%s%s%.0d: read back as the layer (dtype, mask, activation), "
              "every weight within bound (worst %.3g), %zu bytes%s",
              nn_qscheme_name(q.scheme), q.bits ? " " : "", q.bits, worst,
              bytes, q.scheme == NN_Q_HUFFMAN && q.bits == 8
                         ? ", the same weights as fixed 8" : "");
        nn_net_free(&net);
    }

    /* refusals */
    nn_net net;
    unsigned char junk[64] = {0};
    static const struct { const char *attrs; size_t len; const char *want; } bad[] = {
        {"quant=zip\nshape=2x3\ndtype=f32\n", 8, "unknown quantization"},
        {"quant=fixed\nshape=2x3\ndtype=f32\nbits=8\nlo=0\nhi=1\n", 5, "6 codes of 8 bits take 6"},
        {"quant=fixed\nshape=2x3\ndtype=f32\nbits=30\nlo=0\nhi=1\n", 23, "1 to 24 bits"},
        {"quant=fixed\nshape=2x3\ndtype=f32\nbits=8\nlo=1\nhi=0\n", 6, "lo <= hi"},
        {"quant=fixed\nshape=2x3\ndtype=f16\nbits=8\nlo=0\nhi=1\n", 6, "f32 or f64"},
        {"quant=fixed\nshape=2x\ndtype=f32\nbits=8\nlo=0\nhi=1\n", 6, "shape"},
        {"quant=fixed\nshape=2x3\ndtype=f32\nbits=8\nlo=nan\nhi=1\n", 6, "not a finite number"},
        {"quant=huffman\nshape=2x3\ndtype=f32\nbits=2\nlo=0\nhi=1\nnbits=6\n", 6, "code lengths"},
        {"quant=huffman\nshape=2x3\ndtype=f32\nbits=2\nlo=0\nhi=1\nnbits=6\n", 5, "truncated"},
        {"quant=q8_0\nshape=2x3\ndtype=f32\n", 33, "1 blocks of 34 take 34"},
        {"quant=lossless\nshape=2x3\ndtype=f32\n", 20, "zstd frame is corrupt"}};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        write_raw(junk, bad[b].len, bad[b].attrs);
        int rc = nn_net_load(path, &net, &e);
        CHECK(rc < 0 && strstr(e.msg, bad[b].want), "refused (%s): %s",
              bad[b].want, rc < 0 ? e.msg : "loaded");
        if (rc == 0)
            nn_net_free(&net);
    }
    /* a Huffman table that is no prefix code (four lengths of 1) */
    unsigned char tab[4 + 1] = {1, 1, 1, 1, 0};
    write_raw(tab, 5, "quant=huffman\nshape=2x3\ndtype=f32\nbits=2\nlo=0\nhi=1\nnbits=6\n");
    CHECK(nn_net_load(path, &net, &e) < 0 && strstr(e.msg, "Kraft"),
          "a Huffman table that is no prefix code: %s", e.msg);
    /* codes that end early */
    unsigned char codes[4 + 1] = {1, 1, 0, 0, 0x55};
    write_raw(codes, 5, "quant=huffman\nshape=2x3\ndtype=f32\nbits=2\nlo=0\nhi=1\nnbits=5\n");
    CHECK(nn_net_load(path, &net, &e) < 0 && strstr(e.msg, "truncated"),
          "five bits for six codes: %s", e.msg);
    many_blocks(&g);
    free(fixed8);
    free(l.w), free(l.mask), free(l.attrs);
    unlink(path);
    return check_status();
}

/* nn_quant.c — quantization of weights and the entropy coding of the
 * codes (ALGORITHMS.md, nn-quantize; thesis ch. 3, Algorithms 1 and 2).
 *
 * Fixed quantization splits [lo, hi] into 2^N bins: q = min(2^N - 1,
 * floor(2^N (w - lo) / (hi - lo))), decoded to the bin's centre lo +
 * (hi - lo)(q + 0.5) / 2^N; a constant tensor (lo = hi) has every code 0
 * and decodes to lo exactly.  The dynamic scheme picks N = ceil(H) + c
 * from the entropy H of a seeded random sample quantized to M bits.
 *
 * The codes are entropy-coded with a canonical Huffman code whose lengths
 * are limited (NN_HUFF_MAXLEN): lengths from the histogram, the codes
 * given in order of (length, symbol), so that the lengths alone describe
 * the code.  Bits go most significant first.  The decoder checks every
 * read against the end of its input and every code against the table:
 * corrupt or truncated input is an error, never an access out of bounds. */
#include "net/nn_net.h"
#include "base/nn_base_private.h"
#include "net/nn_quant_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- quantization */

int nn_quant_range(const double *w, size_t n, double *lo, double *hi,
                   nn_error *e)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]))
            return nn_fail(e, "weight %zu is %g", i, w[i]);
        a = w[i] < a ? w[i] : a;
        b = w[i] > b ? w[i] : b;
    }
    *lo = n ? a : 0;
    *hi = n ? b : 0;
    return 0;
}

/* GCC vectorises the encoder's clamps only if it may assume that
 * comparisons do not trap (no FP exceptions are looked at here); the
 * codes are the same. */
#if defined(__GNUC__) && !defined(__clang__)
#define NN_VECTORIZE_NO_TRAPS                                                 \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic",     \
                            "no-trapping-math")))
#else
#define NN_VECTORIZE_NO_TRAPS
#endif

/* The code of x for bins of width 1 / scale from lo, top (< 2^24) the
 * last; the bin clamped in double, then converted (which vectorises). */
static inline NN_VECTORIZE_NO_TRAPS uint32_t code_of(double x, double lo,
                                                    double scale, double top)
{
    double b = floor((x - lo) * scale);
    b = b < 0 ? 0 : b;
    b = b > top ? top : b;
    return (uint32_t)(int32_t)b;
}


static double bin_scale(double lo, double hi, int bits)
{
    return hi > lo ? ldexp(1, bits) / (hi - lo) : 0;
}

NN_VECTORIZE_NO_TRAPS NN_CLONES
void nn_quant_encode(const double *w, size_t n, double lo, double hi,
                     int bits, uint32_t *q)
{
    double scale = bin_scale(lo, hi, bits), top = ldexp(1, bits) - 1;
    for (size_t i = 0; i < n; i++)
        q[i] = code_of(w[i], lo, scale, top);
}

NN_VECTORIZE NN_CLONES
void nn_quant_decode(const uint32_t *q, size_t n, double lo, double hi,
                     int bits, double *w)
{
    if (!(hi > lo)) {
        for (size_t i = 0; i < n; i++)
            w[i] = lo;
        return;
    }
    double step = (hi - lo) / ldexp(1, bits);
    for (size_t i = 0; i < n; i++)
        w[i] = lo + step * ((double)q[i] + 0.5);
}

double nn_quant_entropy(const double *w, size_t n, double lo, double hi,
                        int m_bits, double frac, uint64_t seed)
{
    size_t k = (size_t)ceil(frac * (double)n), levels = (size_t)1 << m_bits;
    if (k == 0 || n == 0)
        return 0;
    uint64_t *hist = calloc(levels, sizeof *hist);
    if (!hist)
        return NAN;
    nn_rng g;
    nn_rng_seed(&g, seed);
    double scale = bin_scale(lo, hi, m_bits);
    for (size_t i = 0; i < k; i++) { /* k draws with replacement */
        size_t j = k == n ? i : (size_t)nn_rng_below(&g, n);
        hist[code_of(w[j], lo, scale, (double)levels - 1)]++;
    }
    double h = 0;
    for (size_t b = 0; b < levels; b++)
        if (hist[b]) {
            double p = (double)hist[b] / (double)k;
            h -= p * log2(p);
        }
    free(hist);
    return h;
}

int nn_quant_dynamic_bits(double h, int c, int max_bits)
{
    int n = (int)ceil(h - 1e-9) + c;
    return n < 1 ? 1 : n > max_bits ? max_bits : n;
}

/* ------------------------------------------------------------ Huffman */

/* A node of the code tree while the lengths are made. */
typedef struct hnode {
    uint64_t w;
    int left, right;        /* children, -1 for a leaf */
    int sym;
} hnode;

/* Min-heap of node indices by weight (ties by index, for determinism). */
static int less(const hnode *t, int a, int b)
{
    return t[a].w < t[b].w || (t[a].w == t[b].w && a < b);
}

static void sift_down(int *h, size_t n, size_t i, const hnode *t)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && less(t, h[l], h[m]))
            m = l;
        if (r < n && less(t, h[r], h[m]))
            m = r;
        if (m == i)
            return;
        int x = h[i];
        h[i] = h[m];
        h[m] = x;
        i = m;
    }
}

/* Depth of every leaf below node r into len (iterative). */
static void depths(const hnode *t, int r, uint8_t *len, int *stack,
                   int *depth)
{
    size_t sp = 0;
    stack[sp] = r;
    depth[sp++] = 0;
    while (sp) {
        sp--;
        int v = stack[sp], d = depth[sp];
        if (t[v].left < 0) {
            len[t[v].sym] = (uint8_t)(d > 255 ? 255 : d);
            continue;
        }
        stack[sp] = t[v].left;
        depth[sp++] = d + 1;
        stack[sp] = t[v].right;
        depth[sp++] = d + 1;
    }
}

/* Lengths above max cut to max, then lengthened, rarest symbols of the
 * longest lengths below max first, until the Kraft sum is at most 1. */
static void limit_lengths(uint8_t *len, const uint64_t *freq, size_t nsym,
                          int max)
{
    uint64_t kraft = 0, one = (uint64_t)1 << max;
    for (size_t s = 0; s < nsym; s++)
        if (len[s]) {
            if (len[s] > max)
                len[s] = (uint8_t)max;
            kraft += (uint64_t)1 << (max - len[s]);
        }
    while (kraft > one) {
        size_t best = nsym;
        for (size_t s = 0; s < nsym; s++)
            if (len[s] && len[s] < max &&
                (best == nsym || len[s] > len[best] ||
                 (len[s] == len[best] && freq[s] < freq[best])))
                best = s;
        kraft -= (uint64_t)1 << (max - len[best] - 1);
        len[best]++;
    }
}

int nn_huff_lengths(const uint64_t *freq, size_t nsym, uint8_t *len,
                    nn_error *e)
{
    if (nsym == 0 || nsym > NN_HUFF_MAXSYM)
        return nn_fail(e, "Huffman: %zu symbols (1 to %d)", nsym,
                       NN_HUFF_MAXSYM);
    memset(len, 0, nsym);
    size_t used = 0;
    for (size_t s = 0; s < nsym; s++)
        used += freq[s] > 0;
    if (used == 0)
        return 0;
    if (used == 1) { /* one symbol: a code of one bit */
        for (size_t s = 0; s < nsym; s++)
            if (freq[s])
                len[s] = 1;
        return 0;
    }
    hnode *t = malloc(2 * used * sizeof *t);
    int *heap = malloc(2 * used * sizeof *heap);
    int *stack = malloc(2 * used * sizeof *stack);
    int *depth = malloc(2 * used * sizeof *depth);
    if (!t || !heap || !stack || !depth) {
        free(t), free(heap), free(stack), free(depth);
        return nn_fail(e, "Huffman: out of memory");
    }
    size_t nt = 0, nh = 0;
    for (size_t s = 0; s < nsym; s++)
        if (freq[s]) {
            t[nt] = (hnode){freq[s], -1, -1, (int)s};
            heap[nh++] = (int)nt++;
        }
    for (size_t i = nh / 2 + 1; i-- > 0;)
        sift_down(heap, nh, i, t);
    while (nh > 1) {
        int a = heap[0];
        heap[0] = heap[--nh];
        sift_down(heap, nh, 0, t);
        int b = heap[0];
        t[nt] = (hnode){t[a].w + t[b].w, a, b, -1};
        heap[0] = (int)nt++;
        sift_down(heap, nh, 0, t);
    }
    depths(t, heap[0], len, stack, depth);
    limit_lengths(len, freq, nsym, NN_HUFF_MAXLEN);
    free(t), free(heap), free(stack), free(depth);
    return 0;
}

int nn_huff_init(nn_huff *h, const uint8_t *len, size_t nsym, nn_error *e)
{
    memset(h, 0, sizeof *h);
    if (nsym == 0 || nsym > NN_HUFF_MAXSYM)
        return nn_fail(e, "Huffman: %zu symbols (1 to %d)", nsym,
                       NN_HUFF_MAXSYM);
    uint64_t kraft = 0;
    for (size_t s = 0; s < nsym; s++) {
        if (len[s] > NN_HUFF_MAXLEN)
            return nn_fail(e, "Huffman: symbol %zu has a code of %d bits "
                           "(at most %d)", s, len[s], NN_HUFF_MAXLEN);
        if (len[s]) {
            h->count[len[s]]++;
            kraft += (uint64_t)1 << (NN_HUFF_MAXLEN - len[s]);
        }
    }
    if (kraft > (uint64_t)1 << NN_HUFF_MAXLEN)
        return nn_fail(e, "Huffman: the code lengths are no prefix code "
                       "(their Kraft sum exceeds 1)");
    h->nsym = nsym;
    h->code = malloc(nsym * sizeof *h->code);
    h->len = malloc(nsym);
    h->sorted = malloc(nsym * sizeof *h->sorted);
    if (!h->code || !h->len || !h->sorted) {
        nn_huff_free(h);
        return nn_fail(e, "Huffman: out of memory");
    }
    memcpy(h->len, len, nsym);
    /* canonical: codes of each length consecutive, by symbol */
    uint32_t code = 0, at = 0;
    for (int l = 1; l <= NN_HUFF_MAXLEN; l++) {
        code = (code + h->count[l - 1]) << 1;
        h->first[l] = code;
        h->offset[l] = at;
        at += h->count[l];
    }
    uint32_t next[NN_HUFF_MAXLEN + 1], pos[NN_HUFF_MAXLEN + 1];
    memcpy(next, h->first, sizeof next);
    memcpy(pos, h->offset, sizeof pos);
    for (size_t s = 0; s < nsym; s++)
        if (len[s]) {
            h->code[s] = next[len[s]]++;
            h->sorted[pos[len[s]]++] = (uint32_t)s;
        }
    return 0;
}

void nn_huff_free(nn_huff *h)
{
    free(h->code);
    free(h->len);
    free(h->sorted);
    memset(h, 0, sizeof *h);
}

uint64_t nn_huff_bits(const nn_huff *h, const uint64_t *freq)
{
    uint64_t b = 0;
    for (size_t s = 0; s < h->nsym; s++)
        b += freq[s] * h->len[s];
    return b;
}

int nn_huff_put(const nn_huff *h, const uint32_t *sym, size_t n,
                size_t first, uint8_t *out, size_t cap, uint64_t *bit,
                nn_error *e)
{
    uint64_t b = *bit, acc = 0, room = (uint64_t)cap * 8;
    int pending = (int)(b & 7);  /* acc: fewer than 8 pending bits */
    uint8_t *o = out + (b >> 3);
    if (b > room)
        return nn_fail(e, "Huffman: the output needs more than %zu bytes",
                       cap);
    if (pending) /* the bits of the last byte written so far */
        acc = (uint64_t)(*o >> (8 - pending));
    for (size_t i = 0; i < n; i++) {
        uint32_t s = sym[i];
        if (s >= h->nsym || !h->len[s])
            return nn_fail(e, "Huffman: code %u of value %zu has no code "
                           "word", s, first + i);
        int l = h->len[s];
        if (b + (uint64_t)l > room)
            return nn_fail(e, "Huffman: the output needs more than %zu "
                           "bytes", cap);
        b += (uint64_t)l;
        acc = acc << l | h->code[s];
        for (pending += l; pending >= 8; pending -= 8)
            *o++ = (uint8_t)(acc >> (pending - 8));
    }
    if (pending)
        *o = (uint8_t)(acc << (8 - pending));
    *bit = b;
    return 0;
}

int nn_huff_encode(const nn_huff *h, const uint32_t *sym, size_t n,
                   uint8_t *out, size_t cap, uint64_t *nbits, nn_error *e)
{
    memset(out, 0, cap);
    *nbits = 0;
    return nn_huff_put(h, sym, n, 0, out, cap, nbits, e);
}

/* The k bits (k <= 16) of in at bit, most significant first, the bytes
 * from nbytes on read as 0. */
static uint32_t peek_bits(const uint8_t *in, uint64_t nbytes, uint64_t bit,
                          int k)
{
    uint64_t b = bit >> 3;
    uint32_t v = 0;
    if (b + 3 <= nbytes) /* all three bytes there: the usual case */
        v = (uint32_t)in[b] << 16 | (uint32_t)in[b + 1] << 8 | in[b + 2];
    else
        for (int j = 0; j < 3; j++)
            v = v << 8 | (b + (uint64_t)j < nbytes ? in[b + (uint64_t)j] : 0u);
    return v >> (24 - k - (int)(bit & 7)) & ((1u << k) - 1);
}

/* Code words of up to LUT bits are found by a table of their (symbol,
 * length), indexed by the next LUT bits; longer ones, and bits that start
 * no code word, bit by bit from the first. */
enum { LUT = 10 };

int nn_huff_dec_init(nn_huff_dec *d, const nn_huff *h, const uint8_t *in,
                     uint64_t nbits, size_t total, nn_error *e)
{
    *d = (nn_huff_dec){h, in, nbits, 0, 0, total, NULL};
    if (!(d->lut = calloc((size_t)1 << LUT, sizeof *d->lut)))
        return nn_fail(e, "Huffman: out of memory");
    for (size_t s = 0; s < h->nsym; s++) {
        int l = h->len[s];
        if (l == 0 || l > LUT)
            continue;
        uint32_t lo = h->code[s] << (LUT - l),
                 hi = (h->code[s] + 1) << (LUT - l);
        for (uint32_t c = lo; c < hi; c++)
            d->lut[c] = (uint32_t)s << 5 | (uint32_t)l;
    }
    return 0;
}

int nn_huff_dec_next(nn_huff_dec *d, size_t n, uint32_t *sym, nn_error *e)
{
    const nn_huff *h = d->h;
    const uint8_t *in = d->in;
    uint64_t bit = d->bit, nbits = d->nbits, nbytes = (nbits + 7) / 8;
    for (size_t i = 0; i < n; i++) {
        uint32_t t = d->lut[peek_bits(in, nbytes, bit, LUT)];
        if (t) {
            if (bit + (t & 31) > nbits)
                return nn_fail(e, "Huffman: the codes end after %zu of %zu "
                               "values (truncated)", d->done + i, d->total);
            sym[i] = t >> 5;
            bit += t & 31;
            continue;
        }
        uint32_t code = 0;
        int l = 1;
        for (;; l++) {
            if (l > NN_HUFF_MAXLEN)
                return nn_fail(e, "Huffman: value %zu: no code word matches "
                               "(corrupt codes)", d->done + i);
            if (bit >= nbits)
                return nn_fail(e, "Huffman: the codes end after %zu of %zu "
                               "values (truncated)", d->done + i, d->total);
            code = code << 1 | ((in[bit >> 3] >> (7 - (bit & 7))) & 1u);
            bit++;
            if (code - h->first[l] < h->count[l])
                break;
        }
        sym[i] = h->sorted[h->offset[l] + (code - h->first[l])];
    }
    d->bit = bit;
    d->done += n;
    return 0;
}

int nn_huff_dec_end(const nn_huff_dec *d, nn_error *e)
{
    if (d->bit != d->nbits)
        return nn_fail(e, "Huffman: %llu bits left after %zu values "
                       "(corrupt codes)",
                       (unsigned long long)(d->nbits - d->bit), d->done);
    return 0;
}

void nn_huff_dec_free(nn_huff_dec *d)
{
    free(d->lut);
    d->lut = NULL;
}

int nn_huff_decode(const nn_huff *h, const uint8_t *in, uint64_t nbits,
                   size_t n, uint32_t *sym, nn_error *e)
{
    nn_huff_dec d;
    int rc = nn_huff_dec_init(&d, h, in, nbits, n, e);
    if (rc == 0)
        rc = nn_huff_dec_next(&d, n, sym, e);
    if (rc == 0)
        rc = nn_huff_dec_end(&d, e);
    nn_huff_dec_free(&d);
    return rc;
}

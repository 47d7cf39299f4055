/* nn_qlayer.c — a network layer's weights stored quantized or compressed
 * (formats/nns.md, section 11, "Quantized layers"): a record "w" of u8
 * (rank 1, the payload bytes) whose attributes say how to decode it:
 *
 *   quant=fixed     codes of N bits over [lo, hi], packed most significant
 *                   bit first (thesis ch. 3)
 *   quant=huffman   the same codes, canonical-Huffman coded: 2^N bytes of
 *                   code lengths, then the code words (nbits bits)
 *   quant=q8_0      llama.cpp's Q8_0: blocks of 32 weights, each an f16
 *                   scale d = max|w| / 127 and 32 int8 round(w / d)
 *   quant=q4_0      llama.cpp's Q4_0: blocks of 32, an f16 scale d = m / -8
 *                   (m the weight of largest magnitude) and 16 bytes of
 *                   4-bit codes q = min(15, floor(w / d + 8.5)); weight j
 *                   in the low nibble of byte j, weight j + 16 in its high
 *   quant=lossless  the float bytes grouped by position in the value
 *                   (every value's byte 0, then byte 1, ...: the exponents
 *                   together, as ZipNN does), then one zstd frame
 *
 * with shape=RxC (the weights' matrix, row-major; blocks run over it
 * flattened, the last one padded with zeros) and dtype=f32|f64 (what the
 * layer holds once decoded).  The decoder checks every attribute and
 * every length before it reads. */
#include "net/nn_net.h"
#include "net/nn_quant_private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static const char *const scheme_names[] = {"fixed", "huffman", "q8_0",
                                           "q4_0", "lossless", NULL};

int nn_qscheme_parse(const char *s)
{
    for (int k = 0; scheme_names[k]; k++)
        if (strcmp(s, scheme_names[k]) == 0)
            return k;
    return -1;
}

const char *nn_qscheme_name(int scheme)
{
    return scheme >= 0 && scheme <= NN_Q_LOSSLESS ? scheme_names[scheme] : "?";
}

/* ------------------------------------------------------------- halves */

/* IEEE binary16 from a float, rounded to nearest even (overflow to
 * infinity, which no scale of finite weights reaches: |d| <= max|w|). */
static uint16_t to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int exp = (int)((x >> 23) & 0xff) - 127 + 15;
    if (((x >> 23) & 0xff) == 0xff) /* inf, nan */
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) { /* subnormal or zero */
        if (exp < -10)
            return (uint16_t)sign;
        mant |= 0x800000u;
        int shift = 14 - exp;
        uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1),
                 half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)exp << 10) | (mant >> 13), rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* may carry into the exponent, correctly */
    return (uint16_t)(sign | h);
}

static float from_half(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f,
             mant = h & 0x3ffu, x;
    if (exp == 0) {
        if (!mant)
            x = sign;
        else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                mant <<= 1;
            } while (!(mant & 0x400u));
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31)
        x = sign | 0x7f800000u | (mant << 13);
    else
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* ------------------------------------------------------------ packing */

/* The codes of a layer are made, packed, unpacked and decoded a block of
 * CHUNK at a time (a buffer on the stack), not held whole. */
enum { CHUNK = 4096 };

/* Packs codes of `bits` bits (1..24), most significant first: acc holds
 * the fewer than 8 bits not yet written (the last byte's spare bits are 0
 * when pack_end writes it). */
typedef struct packer {
    uint8_t *out;
    uint64_t acc;
    int pending;
} packer;

static void pack_bits(packer *p, const uint32_t *q, size_t n, int bits)
{
    if (bits == 8) { /* a byte a code: nothing is ever pending */
        for (size_t i = 0; i < n; i++)
            p->out[i] = (uint8_t)q[i];
        p->out += n;
        return;
    }
    uint64_t acc = p->acc, mask = ((uint64_t)1 << bits) - 1;
    int pending = p->pending;
    uint8_t *out = p->out;
    for (size_t i = 0; i < n; i++) {
        acc = acc << bits | (q[i] & mask);
        for (pending += bits; pending >= 8; pending -= 8)
            *out++ = (uint8_t)(acc >> (pending - 8));
    }
    p->acc = acc, p->pending = pending, p->out = out;
}

static void pack_end(packer *p)
{
    if (p->pending)
        *p->out = (uint8_t)(p->acc << (8 - p->pending));
}

/* The inverse: reads no byte past ceil(all the codes' bits / 8). */
typedef struct unpacker {
    const uint8_t *in;
    uint64_t acc;
    int have;
} unpacker;

static void unpack_bits(unpacker *u, size_t n, int bits, uint32_t *q)
{
    if (bits == 8) { /* a byte a code */
        for (size_t i = 0; i < n; i++)
            q[i] = u->in[i];
        u->in += n;
        return;
    }
    uint64_t acc = u->acc, mask = ((uint64_t)1 << bits) - 1;
    int have = u->have;
    const uint8_t *in = u->in;
    for (size_t i = 0; i < n; i++) {
        for (; have < bits; have += 8)
            acc = acc << 8 | *in++;
        have -= bits;
        q[i] = (uint32_t)(acc >> have & mask);
    }
    u->acc = acc, u->have = have, u->in = in;
}

/* ----------------------------------------------------------- encoding */

static size_t nblocks(size_t n) { return (n + 31) / 32; }

/* Appends "key=value\n" to attrs (cap bytes). */
static void __attribute__((format(printf, 4, 5)))
add_attr(char *attrs, size_t cap, const char *key, const char *fmt, ...)
{
    size_t n = strlen(attrs);
    n += (size_t)snprintf(attrs + n, cap > n ? cap - n : 0, "%s=", key);
    va_list ap;
    va_start(ap, fmt);
    n += (size_t)vsnprintf(attrs + n, cap > n ? cap - n : 0, fmt, ap);
    va_end(ap);
    snprintf(attrs + n, cap > n ? cap - n : 0, "\n");
}

int nn_qlayer_encode(const double *w, size_t rows, size_t cols, int dtype,
                     const nn_qspec *spec, nn_qlayer *out, nn_error *e)
{
    size_t n = rows * cols;
    memset(out, 0, sizeof *out);
    out->bits = spec->bits;
    char *a = out->attrs;
    size_t ac = sizeof out->attrs;
    a[0] = 0;
    add_attr(a, ac, "quant", "%s", nn_qscheme_name(spec->scheme));
    add_attr(a, ac, "shape", "%zux%zu", rows, cols);
    add_attr(a, ac, "dtype", "%s", nn_dtype_name(dtype));
    int s = spec->scheme;
    if (s == NN_Q_FIXED || s == NN_Q_HUFFMAN) {
        int bits = spec->bits;
        if (bits < 1 || bits > (s == NN_Q_HUFFMAN ? 16 : 24))
            return nn_fail(e, "%d bits: %s takes 1 to %d", bits,
                           nn_qscheme_name(s), s == NN_Q_HUFFMAN ? 16 : 24);
        double lo, hi;
        if (nn_quant_range(w, n, &lo, &hi, e) < 0)
            return -1;
        uint32_t q[CHUNK];
        add_attr(a, ac, "bits", "%d", bits);
        add_attr(a, ac, "lo", "%a", lo);
        add_attr(a, ac, "hi", "%a", hi);
        if (s == NN_Q_FIXED) {
            out->len = ((uint64_t)n * (uint64_t)bits + 7) / 8;
            if (!(out->payload = nn_alloc(out->len ? out->len : 1, 1,
                                          "codes", e)))
                return -1;
            packer p = {out->payload, 0, 0};
            for (size_t i = 0; i < n; i += CHUNK) {
                size_t m = n - i < CHUNK ? n - i : CHUNK;
                nn_quant_encode(w + i, m, lo, hi, bits, q);
                pack_bits(&p, q, m, bits);
            }
            pack_end(&p);
            return 0;
        }
        /* Huffman: the codes' counts, then the codes again, coded */
        size_t k = (size_t)1 << bits;
        uint64_t *freq = calloc(k, sizeof *freq);
        uint8_t *len = malloc(k);
        nn_huff h = {0};
        uint64_t nb = 0;
        int rc = 0;
        if (!freq || !len)
            rc = nn_fail(e, "out of memory");
        for (size_t i = 0; rc == 0 && i < n; i += CHUNK) {
            size_t m = n - i < CHUNK ? n - i : CHUNK;
            nn_quant_encode(w + i, m, lo, hi, bits, q);
            for (size_t j = 0; j < m; j++)
                freq[q[j]]++;
        }
        if (rc == 0 && (nn_huff_lengths(freq, k, len, e) < 0 ||
                        nn_huff_init(&h, len, k, e) < 0))
            rc = -1;
        if (rc == 0) {
            nb = nn_huff_bits(&h, freq);
            out->len = k + (size_t)((nb + 7) / 8);
            if (!(out->payload = nn_alloc(out->len, 1, "codes", e)))
                rc = -1;
        }
        if (rc == 0)
            memcpy(out->payload, len, k);
        uint64_t at = 0;
        for (size_t i = 0; rc == 0 && i < n; i += CHUNK) {
            size_t m = n - i < CHUNK ? n - i : CHUNK;
            nn_quant_encode(w + i, m, lo, hi, bits, q);
            rc = nn_huff_put(&h, q, m, i, out->payload + k, out->len - k,
                             &at, e);
        }
        if (rc == 0 && at != nb)
            rc = nn_fail(e, "Huffman: %llu bits of codes, %llu expected",
                         (unsigned long long)at, (unsigned long long)nb);
        if (rc == 0)
            add_attr(a, ac, "nbits", "%llu", (unsigned long long)nb);
        nn_huff_free(&h);
        free(freq);
        free(len);
        return rc;
    }
    if (s == NN_Q_Q8_0 || s == NN_Q_Q4_0) {
        size_t nb = nblocks(n), per = s == NN_Q_Q8_0 ? 34 : 18;
        out->len = nb * per;
        if (!(out->payload = nn_alloc(out->len ? out->len : 1, 1, "blocks",
                                      e)))
            return -1;
        for (size_t b = 0; b < nb; b++) {
            float x[32] = {0};
            for (size_t j = 0; j < 32 && b * 32 + j < n; j++) {
                x[j] = (float)w[b * 32 + j];
                if (!isfinite(x[j]))
                    return nn_fail(e, "weight %zu is %g", b * 32 + j,
                                   w[b * 32 + j]);
            }
            uint8_t *blk = out->payload + b * per;
            if (s == NN_Q_Q8_0) {
                float amax = 0;
                for (int j = 0; j < 32; j++)
                    amax = fabsf(x[j]) > amax ? fabsf(x[j]) : amax;
                float d = amax / 127, id = d ? 1 / d : 0;
                uint16_t hd = to_half(d);
                memcpy(blk, &hd, 2);
                for (int j = 0; j < 32; j++)
                    blk[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
            } else {
                float amax = 0, m = 0;
                for (int j = 0; j < 32; j++)
                    if (fabsf(x[j]) > amax)
                        amax = fabsf(x[j]), m = x[j];
                float d = m / -8, id = d ? 1 / d : 0;
                uint16_t hd = to_half(d);
                memcpy(blk, &hd, 2);
                for (int j = 0; j < 16; j++) {
                    int q0 = (int)(x[j] * id + 8.5f), q1 = (int)(x[j + 16] * id + 8.5f);
                    q0 = q0 < 0 ? 0 : q0 > 15 ? 15 : q0;
                    q1 = q1 < 0 ? 0 : q1 > 15 ? 15 : q1;
                    blk[2 + j] = (uint8_t)(q0 | q1 << 4);
                }
            }
        }
        return 0;
    }
    if (s == NN_Q_LOSSLESS) {
        size_t es = nn_dtype_size(dtype), raw = n * es;
        unsigned char *planes = nn_alloc(raw ? raw : 1, 1, "byte planes", e);
        size_t bound = ZSTD_compressBound(raw);
        if (!planes || !(out->payload = nn_alloc(bound, 1, "zstd", e))) {
            free(planes);
            return -1;
        }
        unsigned char vals[CHUNK * 8];
        for (size_t i = 0; i < n; i += CHUNK) { /* a block of values */
            size_t m = n - i < CHUNK ? n - i : CHUNK;
            nn_convert(vals, dtype, w + i, NN_F64, m);
            for (size_t b = 0; b < es; b++) { /* little-endian byte b */
                const unsigned char *src =
                    vals + (NN_HOST_LE ? b : es - 1 - b);
                unsigned char *dst = planes + b * n + i;
                for (size_t j = 0; j < m; j++)
                    dst[j] = src[j * es];
            }
        }
        size_t z = ZSTD_compress(out->payload, bound, planes, raw,
                                 spec->level ? spec->level : 3);
        free(planes);
        if (ZSTD_isError(z))
            return nn_fail(e, "zstd: %s", ZSTD_getErrorName(z));
        out->len = z;
        return 0;
    }
    return nn_fail(e, "unknown quantization scheme %d", s);
}

void nn_qlayer_free(nn_qlayer *q)
{
    free(q->payload);
    q->payload = NULL;
}

/* ----------------------------------------------------------- decoding */

int nn_qlayer_decoded(const nn_qlayer *q, double **w, nn_error *e)
{
    nn_record rec = {.name = "w", .dtype = NN_U8, .rank = 1, .dims = {q->len},
                     .attrs = q->attrs, .nelem = q->len, .nbytes = q->len,
                     .data = q->payload};
    size_t rows, cols;
    int dt;
    return nn_qlayer_decode(&rec, w, &rows, &cols, &dt, e);
}

int nn_qlayer_is(const nn_record *r)
{
    char v[32];
    return strcmp(r->name, "w") == 0 && r->dtype == NN_U8 && r->rank == 1 &&
           nn_attrs_get(r->attrs, "quant", v, sizeof v) == 1;
}

/* A number attribute: 1 with *x, or a message naming it. */
static int num_attr(const char *attrs, const char *key, double *x,
                    nn_error *e)
{
    char v[64], *end;
    if (nn_attrs_get(attrs, key, v, sizeof v) != 1)
        return nn_fail(e, "no attribute %s", key);
    errno = 0;
    *x = strtod(v, &end);
    if (end == v || *end || !isfinite(*x))
        return nn_fail(e, "attribute %s=%s is not a finite number", key, v);
    return 0;
}

/* Fixed or Huffman codes (attributes checked, lengths matched) into w,
 * allocated here once the lengths are known to fit. */
static int decode_codes(const nn_record *r, int s, size_t n, double **wout,
                        int *finite, nn_error *e)
{
    const uint8_t *p = r->data;
    size_t len = r->nbytes;
    double lo, hi, b;
    if (num_attr(r->attrs, "bits", &b, e) < 0 ||
        num_attr(r->attrs, "lo", &lo, e) < 0 ||
        num_attr(r->attrs, "hi", &hi, e) < 0)
        return -1;
    int maxb = s == NN_Q_HUFFMAN ? 16 : 24;
    int bits = b >= 1 && b <= maxb ? (int)b : 0;
    if (b != bits || !(lo <= hi))
        return nn_fail(e, "bits=%g lo=%g hi=%g: want 1 to %d bits and "
                       "lo <= hi", b, lo, hi, maxb);
    /* every code decodes into [lo, hi] unless hi - lo overflows */
    *finite = isfinite(hi - lo);
    size_t k = (size_t)1 << bits;
    double nbd = 0;
    if (s == NN_Q_FIXED) {
        uint64_t need = ((uint64_t)n * (uint64_t)bits + 7) / 8;
        if (len != need)
            return nn_fail(e, "%zu bytes of codes; %zu codes of %d bits "
                           "take %llu", len, n, bits,
                           (unsigned long long)need);
    } else {
        if (num_attr(r->attrs, "nbits", &nbd, e) < 0)
            return -1;
        if (nbd < 0 || nbd != floor(nbd) || nbd > 8.0 * (double)len ||
            len < k || (uint64_t)(len - k) != ((uint64_t)nbd + 7) / 8)
            return nn_fail(e, "%zu bytes do not hold a table of %zu code "
                           "lengths and %.0f bits of codes", len, k, nbd);
    }
    double *w = nn_alloc(n, sizeof *w, "decoded weights", e);
    if (!w)
        return -1;
    uint32_t q[CHUNK];
    int rc = 0;
    if (s == NN_Q_FIXED) {
        unpacker u = {p, 0, 0};
        for (size_t i = 0; i < n; i += CHUNK) {
            size_t m = n - i < CHUNK ? n - i : CHUNK;
            unpack_bits(&u, m, bits, q);
            nn_quant_decode(q, m, lo, hi, bits, w + i);
        }
    } else {
        nn_huff h = {0};
        nn_huff_dec d = {0};
        if (nn_huff_init(&h, p, k, e) < 0 ||
            nn_huff_dec_init(&d, &h, p + k, (uint64_t)nbd, n, e) < 0)
            rc = -1;
        for (size_t i = 0; rc == 0 && i < n; i += CHUNK) {
            size_t m = n - i < CHUNK ? n - i : CHUNK;
            rc = nn_huff_dec_next(&d, m, q, e);
            if (rc == 0)
                nn_quant_decode(q, m, lo, hi, bits, w + i);
        }
        if (rc == 0)
            rc = nn_huff_dec_end(&d, e);
        nn_huff_dec_free(&d);
        nn_huff_free(&h);
    }
    if (rc < 0)
        free(w);
    else
        *wout = w;
    return rc;
}

/* Q8_0 or Q4_0 blocks into w. */
static int decode_blocks(const nn_record *r, int s, size_t n, double **wout,
                         nn_error *e)
{
    const uint8_t *p = r->data;
    size_t per = s == NN_Q_Q8_0 ? 34 : 18, nb = nblocks(n);
    if (r->nbytes != nb * per)
        return nn_fail(e, "%zu bytes; %zu blocks of %zu take %zu", r->nbytes,
                       nb, per, nb * per);
    double *w = nn_alloc(n, sizeof *w, "decoded weights", e);
    if (!w)
        return -1;
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *blk = p + b * per;
        uint16_t hd;
        memcpy(&hd, blk, 2);
        float d = from_half(hd);
        if (!isfinite(d)) {
            free(w);
            return nn_fail(e, "block %zu: its scale is not finite", b);
        }
        for (size_t j = 0; j < 32 && b * 32 + j < n; j++) {
            float x;
            if (s == NN_Q_Q8_0)
                x = (float)(int8_t)blk[2 + j] * d;
            else {
                int q = j < 16 ? blk[2 + j] & 15 : blk[2 + j - 16] >> 4;
                x = (float)(q - 8) * d;
            }
            w[b * 32 + j] = x;
        }
    }
    *wout = w;
    return 0;
}

/* The lossless frame into w: the byte planes, then the values gathered
 * from them a block at a time. */
static int decode_lossless(const nn_record *r, int dtype, size_t n,
                           double **wout, nn_error *e)
{
    size_t es = nn_dtype_size(dtype), raw = n * es;
    unsigned long long fs = ZSTD_getFrameContentSize(r->data, r->nbytes);
    if (fs != raw)
        return nn_fail(e, "the zstd frame %s; %zu values take %zu bytes",
                       fs == ZSTD_CONTENTSIZE_ERROR ? "is corrupt"
                       : fs == ZSTD_CONTENTSIZE_UNKNOWN ? "has no size"
                                                        : "has another size",
                       n, raw);
    unsigned char *planes = nn_alloc(raw, 1, "decoded bytes", e);
    double *w = planes ? nn_alloc(n, sizeof *w, "decoded weights", e) : NULL;
    if (!w) {
        free(planes);
        return -1;
    }
    size_t z = ZSTD_decompress(planes, raw, r->data, r->nbytes);
    if (ZSTD_isError(z) || z != raw) {
        free(planes), free(w);
        return nn_fail(e, "zstd: %s", ZSTD_isError(z) ? ZSTD_getErrorName(z)
                                                      : "a short frame");
    }
    unsigned char vals[CHUNK * 8];
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t m = n - i < CHUNK ? n - i : CHUNK;
        for (size_t b = 0; b < es; b++) { /* little-endian byte b */
            const unsigned char *src = planes + b * n + i;
            unsigned char *dst = vals + (NN_HOST_LE ? b : es - 1 - b);
            for (size_t j = 0; j < m; j++)
                dst[j * es] = src[j];
        }
        nn_convert(w + i, NN_F64, vals, dtype, m);
    }
    free(planes);
    *wout = w;
    return 0;
}

int nn_qlayer_decode(const nn_record *r, double **wout, size_t *rows,
                     size_t *cols, int *dtype, nn_error *e)
{
    char v[64];
    *wout = NULL;
    if (nn_attrs_get(r->attrs, "quant", v, sizeof v) != 1)
        return nn_fail(e, "no attribute quant");
    int s = nn_qscheme_parse(v);
    if (s < 0)
        return nn_fail(e, "unknown quantization quant=%s (fixed, huffman, "
                       "q8_0, q4_0 or lossless)", v);
    unsigned long long R, C;
    char tail;
    if (nn_attrs_get(r->attrs, "shape", v, sizeof v) != 1 ||
        sscanf(v, "%llux%llu%c", &R, &C, &tail) != 2 || R == 0 || C == 0 ||
        R > ((uint64_t)1 << 31) || C > ((uint64_t)1 << 31) ||
        R * C > ((uint64_t)1 << 36))
        return nn_fail(e, "no valid shape=RxC");
    if (nn_attrs_get(r->attrs, "dtype", v, sizeof v) != 1 ||
        (strcmp(v, "f32") && strcmp(v, "f64")))
        return nn_fail(e, "dtype must be f32 or f64");
    *dtype = strcmp(v, "f32") ? NN_F64 : NN_F32;
    size_t n = (size_t)(R * C);
    double *w = NULL;
    int rc, finite = 1; /* whether the scheme decodes only finite weights
                           (Q8_0, Q4_0: finite scales times small integers) */
    if (s == NN_Q_FIXED || s == NN_Q_HUFFMAN)
        rc = decode_codes(r, s, n, &w, &finite, e);
    else if (s == NN_Q_Q8_0 || s == NN_Q_Q4_0)
        rc = decode_blocks(r, s, n, &w, e);
    else {
        finite = 0; /* any bytes: NaN and infinities too */
        rc = decode_lossless(r, *dtype, n, &w, e);
    }
    if (rc == 0 && !finite && nn_nonfinite_find(w, NN_F64, n) < n) {
        free(w);
        return nn_fail(e, "the decoded weights hold NaN or an infinity");
    }
    if (rc < 0)
        return -1;
    *wout = w;
    *rows = (size_t)R;
    *cols = (size_t)C;
    return 0;
}

char *nn_qlayer_plain_attrs(const char *attrs)
{
    static const char *const keys[] = {"quant", "shape", "dtype", "bits",
                                       "lo", "hi", "nbits", NULL};
    char *a = strdup(attrs ? attrs : "");
    for (int k = 0; a && keys[k]; k++) {
        char *b = nn_attrs_set(a, keys[k], NULL);
        free(a);
        a = b;
    }
    return a;
}

int nn_qlayer_write(nn_writer *w, const nn_layer *l, const nn_qlayer *q,
                    nn_error *e)
{
    /* the layer's attributes without any earlier scheme's, then this
     * scheme's */
    char *plain = nn_qlayer_plain_attrs(l->attrs);
    size_t la = plain ? strlen(plain) : 0, qa = strlen(q->attrs);
    char *attrs = plain ? malloc(la + qa + 2) : NULL;
    if (!attrs) {
        free(plain);
        return nn_fail(e, "out of memory");
    }
    memcpy(attrs, plain, la);
    free(plain);
    if (la && attrs[la - 1] != '\n')
        attrs[la++] = '\n';
    memcpy(attrs + la, q->attrs, qa + 1);
    nn_header h = {.name = "w", .dtype = NN_U8, .rank = 1, .dims = {q->len},
                   .attrs = attrs};
    int rc = nn_writer_put(w, &h, q->payload, e);
    free(attrs);
    return rc < 0 ? -1 : nn_layer_write_rest(w, l, l->dtype, e);
}

int nn_qdynamic_bits(const double *w, size_t n, const nn_qdynamic *d,
                     uint64_t seed)
{
    double lo, hi;
    nn_error e;
    if (nn_quant_range(w, n, &lo, &hi, &e) < 0)
        return d->max_bits;
    double h = nn_quant_entropy(w, n, lo, hi, d->probe_bits, d->fraction,
                                seed);
    return nn_quant_dynamic_bits(h, d->floor_bits, d->max_bits);
}

int nn_layer_requantize(nn_layer *l, const nn_qspec *spec, uint64_t *bytes,
                        nn_error *e)
{
    size_t rows = 1 + l->n_in, n = rows * l->n_out;
    nn_qlayer q;
    if (nn_qlayer_encode(l->w, rows, l->n_out, l->dtype, spec, &q, e) < 0) {
        nn_qlayer_free(&q);
        return -1;
    }
    double *d;
    int rc = nn_qlayer_decoded(&q, &d, e);
    if (bytes)
        *bytes = q.len;
    nn_qlayer_free(&q);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n; i++) /* masked weights stay exactly zero */
        l->w[i] = l->mask && !l->mask[i] ? 0 : d[i];
    free(d);
    return 0;
}

/* nn_quant_private.h — private to nn_quant.c and nn_qlayer.c: Huffman
 * coding in pieces, so that a layer's codes are made and used a block at
 * a time instead of held whole (4 bytes a weight). */
#ifndef NN_QUANT_PRIVATE_H
#define NN_QUANT_PRIVATE_H

#include "net/nn_net.h"

/* Appends the code words of sym[0..n) to out (cap bytes) from bit *bit
 * on, which it advances; the bits before *bit are kept, those after the
 * last one written are 0 in its byte.  first: the index of sym[0] among
 * all the values, for messages.  nn_huff_encode is one piece from 0. */
int nn_huff_put(const nn_huff *h, const uint32_t *sym, size_t n,
                size_t first, uint8_t *out, size_t cap, uint64_t *bit,
                nn_error *e);

/* A decoder of the nbits bits at in ((nbits + 7) / 8 bytes), read in
 * pieces of symbols; it never reads past those bytes. */
typedef struct nn_huff_dec {
    const nn_huff *h;
    const uint8_t *in;
    uint64_t nbits, bit;    /* the bits, and where the next piece starts */
    size_t done, total;     /* values decoded, and all there are */
    uint32_t *lut;          /* code words of up to NN_HUFF_LUT bits */
} nn_huff_dec;
int nn_huff_dec_init(nn_huff_dec *d, const nn_huff *h, const uint8_t *in,
                     uint64_t nbits, size_t total, nn_error *e);
/* The next n symbols (done + n <= total); fails on truncated or corrupt
 * codes. */
int nn_huff_dec_next(nn_huff_dec *d, size_t n, uint32_t *sym, nn_error *e);
/* After the last piece: fails if bits are left over. */
int nn_huff_dec_end(const nn_huff_dec *d, nn_error *e);
void nn_huff_dec_free(nn_huff_dec *d);

#endif

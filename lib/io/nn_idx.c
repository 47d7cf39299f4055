/* nn_idx.c — IDX headers, the format of the MNIST files: two zero bytes, a
 * type byte, the rank, each dimension as a big-endian u32, then the
 * elements, big-endian. */
#include "io/nn_io.h"
#include "base/nn_base_private.h"
#include "io/nn_io_private.h"

int nn_idx_header_parse(const void *buf, size_t n, nn_array_header *h,
                        nn_error *e)
{
    const unsigned char *p = buf;
    *h = (nn_array_header){0};
    if (n < 4)
        return nn_fail(e, "truncated IDX header");
    if (p[0] || p[1])
        return nn_fail(e, "not an IDX file (bad magic %02x %02x)", p[0],
                       p[1]);
    switch (p[2]) {
    case 0x08: h->dtype = NN_U8; break;
    case 0x09: h->dtype = NN_I8; break;
    case 0x0B: h->dtype = NN_I16; break;
    case 0x0C: h->dtype = NN_I32; break;
    case 0x0D: h->dtype = NN_F32; break;
    case 0x0E: h->dtype = NN_F64; break;
    default: return nn_fail(e, "unknown IDX type byte 0x%02x", p[2]);
    }
    h->rank = p[3];
    if (h->rank < 1 || h->rank > NN_MAX_RANK)
        return nn_fail(e, "IDX rank %d is not supported (1 to %d)", h->rank,
                       NN_MAX_RANK);
    h->header_len = 4 + 4 * (size_t)h->rank;
    if (n < h->header_len)
        return nn_fail(e, "truncated IDX header");
    for (int i = 0; i < h->rank; i++) {
        const unsigned char *d = p + 4 + 4 * i;
        h->dims[i] = (uint64_t)d[0] << 24 | (uint64_t)d[1] << 16 |
                     (uint64_t)d[2] << 8 | d[3];
    }
    size_t esize = nn_dtype_size(h->dtype);
    h->swap = NN_HOST_LE && esize > 1;
    if (nn_array_shape_check(h->rank, h->dims, esize) < 0) {
        char s[200];
        return nn_fail(e, "IDX shape %s is too large",
                       nn_shape_str(s, sizeof s, h->rank, h->dims));
    }
    return 0;
}

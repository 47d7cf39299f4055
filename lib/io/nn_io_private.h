/* nn_io_private.h — private to the io layer. */
#ifndef NN_IO_PRIVATE_H
#define NN_IO_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

/* Array files (nn_npy.c, nn_idx.c): -1 if the bytes of the non-zero
 * dimensions of a shape overflow 64 bits, so no file can hold it. */
static inline int nn_array_shape_check(int rank, const uint64_t *dims,
                                       size_t esize)
{
    uint64_t bytes = esize;
    for (int i = 0; i < rank; i++) {
        if (dims[i] && bytes > UINT64_MAX / dims[i])
            return -1;
        bytes *= dims[i] ? dims[i] : 1;
    }
    return 0;
}

#endif

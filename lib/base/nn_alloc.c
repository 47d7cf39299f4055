/* nn_alloc.c — memory: checked allocation and buffers that grow. */
#include "base/nn_base.h"

#include <stdlib.h>

int nn_buf_reserve(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : 2 * c;
    unsigned char *b = realloc(*buf, c);
    if (!b)
        return -1;
    *buf = b;
    *cap = c;
    return 0;
}

void *nn_alloc(size_t n, size_t size, const char *what, nn_error *e)
{
    if (size && n > SIZE_MAX / size) {
        nn_fail(e, "%s: %zu x %zu bytes overflows the address space", what,
                n, size);
        return NULL;
    }
    size_t bytes = n * size;
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        nn_fail(e, "%s: out of memory allocating %zu bytes", what, bytes);
    return p;
}

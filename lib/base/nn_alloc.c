/* nn_alloc.c — memory: checked allocation and buffers that grow. */
#include "base/nn_base.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

/* A block of n bytes; from 2 MiB up, aligned to 2 MiB and advised to be
 * backed by huge pages. */
static void *big_alloc(size_t n)
{
    if (n < HUGE_PAGE)
        return malloc(n);
    size_t r = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p;
    if (r < n || posix_memalign(&p, HUGE_PAGE, r) != 0)
        return malloc(n);
#ifdef MADV_HUGEPAGE
    madvise(p, r, MADV_HUGEPAGE);
#endif
    return p;
}

int nn_buf_grow(unsigned char **buf, size_t *cap, size_t keep, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : 2 * c;
    unsigned char *b;
    if (keep >= *cap && c < HUGE_PAGE) { /* realloc copies it all */
        if (!(b = realloc(*buf, c)))
            return -1;
    } else {
        if (!(b = big_alloc(c)))
            return -1;
        if (keep)
            memcpy(b, *buf, keep < *cap ? keep : *cap);
        free(*buf);
    }
    *buf = b;
    *cap = c;
    return 0;
}

int nn_buf_reserve(unsigned char **buf, size_t *cap, size_t need)
{
    return nn_buf_grow(buf, cap, *cap, need);
}

void *nn_alloc(size_t n, size_t size, const char *what, nn_error *e)
{
    if (size && n > SIZE_MAX / size) {
        nn_fail(e, "%s: %zu x %zu bytes overflows the address space", what,
                n, size);
        return NULL;
    }
    size_t bytes = n * size;
    void *p = big_alloc(bytes ? bytes : 1);
    if (!p)
        nn_fail(e, "%s: out of memory allocating %zu bytes", what, bytes);
    return p;
}

/* row_gather.c — what holding the training rows costs a pass: ROWS rows of
 * BYTES bytes are written into a buffer grown by realloc (doubling, as
 * nn_trainset held them before, which glibc moves with mremap once the
 * block is large) or into one anonymous mapping reserved at the start and
 * asked for huge pages (as nn_trainset holds them now), then gathered in
 * batches of 128 rows in a random order, three passes.  Prints, per way,
 * the seconds of writing the rows and of each pass.
 *
 *   row_gather ROWS BYTES
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: row_gather ROWS BYTES\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10), rb = strtoull(argv[2], NULL, 10);
    if (n < 1 || rb < 1)
        return 2;
    size_t *order = malloc(n * sizeof *order);
    unsigned char *batch = malloc(128 * rb), *row = malloc(rb);
    if (!order || !batch || !row)
        return 1;
    memset(row, 1, rb);
    for (int way = 0; way < 2; way++) {
        unsigned char *rows = NULL;
        size_t cap = 0, len = 0;
        double t0 = now();
        if (way == 1) { /* one mapping of all the rows might need */
            len = 2 * n * rb;
            void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED)
                return 1;
            madvise(p, len, MADV_HUGEPAGE);
            rows = p;
            cap = len;
        }
        for (size_t i = 0; i < n; i++) {
            if ((i + 1) * rb > cap) { /* way 0: doubling, as nn_buf_reserve */
                size_t c = cap ? cap : 4096;
                while (c < (i + 1) * rb)
                    c *= 2;
                unsigned char *b = realloc(rows, c);
                if (!b)
                    return 1;
                rows = b;
                cap = c;
            }
            memcpy(rows + i * rb, row, rb);
        }
        printf("%s: written in %.2f s, passes", way ? "one mapping"
                                                    : "realloc", now() - t0);
        uint64_t s = 88172645463325252ull;
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (int pass = 0; pass < 3; pass++) {
            for (size_t i = n; i > 1; i--) {
                size_t j = (size_t)(xorshift(&s) % i), v = order[i - 1];
                order[i - 1] = order[j];
                order[j] = v;
            }
            double t = now();
            for (size_t at = 0; at < n; at += 128)
                for (size_t i = 0; i < 128 && at + i < n; i++)
                    memcpy(batch + i * rb, rows + order[at + i] * rb, rb);
            printf("%s %.2f", pass ? "," : "", now() - t);
        }
        printf(" s\n");
        if (way)
            munmap(rows, len);
        else
            free(rows);
    }
    return batch[rb - 1] == 7;
}

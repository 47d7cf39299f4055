/* nn_base_private.h — private to libnn (not for tools): little-endian
 * access and a vectorisation hint. */
#ifndef NN_BASE_PRIVATE_H
#define NN_BASE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}
static inline void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}
static inline void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}

/* Lets GCC vectorise a function's loops where -O2's cost model would not
 * (the result is the same: only element-wise, order-free loops get it). */
#if defined(__GNUC__) && !defined(__clang__)
#define NN_VECTORIZE \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define NN_VECTORIZE
#endif

/* An AVX2 clone of a function beside the generic one, chosen at load time
 * where the CPU has it (GCC on x86-64): for element-wise loops, whose
 * results are the same either way (no FMA, no reassociation). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NN_CLONES
#endif

#endif

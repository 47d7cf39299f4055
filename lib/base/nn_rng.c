/* nn_rng.c — reproducible random numbers: the same seed gives the same
 * draws on every machine.  Only integer arithmetic and correctly rounded
 * IEEE operations (+ - * / sqrt) are used; the library is built with
 * -ffp-contract=off so no fused multiply-add changes a rounding. */
#include "base/nn_base.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void nn_rng_seed(nn_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
uint64_t nn_rng_u64(nn_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t nn_rng_below(nn_rng *r, uint64_t n)
{
    /* rejection of the top partial range keeps every value equally likely */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = nn_rng_u64(r);
    while (x >= limit);
    return x % n;
}

double nn_rng_uniform(nn_rng *r)
{
    return (double)(nn_rng_u64(r) >> 11) * 0x1.0p-53;
}

double nn_rng_normal(nn_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2 * nn_rng_uniform(r) - 1;
        v = 2 * nn_rng_uniform(r) - 1;
        s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double f = sqrt(-2 * nn_log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

/* nn_math.c — elementary functions computed the same way on every machine.
 * libm's log, exp, sin and cos are not required to round correctly, and
 * differ between libraries and versions in the last bit; random draws and
 * generated data must not.  These use only + - * / and exact scalings by
 * powers of two (the library is built with -ffp-contract=off), so their
 * results are bit-identical everywhere; each is within a few ulp of libm. */
#include "base/nn_base.h"

#include <math.h>

double nn_log(double x)
{
    /* fdlibm's split of ln 2: hi has trailing zero bits, so k*hi is exact */
    static const double ln2_hi = 6.93147180369123816490e-01,
                        ln2_lo = 1.90821492927058770002e-10;
    if (!(x > 0))
        return x == 0 ? -INFINITY : NAN;
    if (isinf(x))
        return x;
    int k;
    double m = frexp(x, &k); /* exact: x = m 2^k, m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2;
        k--;
    }
    /* log m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.1716 */
    double s = (m - 1) / (m + 1), s2 = s * s, term = s, sum = 0;
    for (int i = 1; i <= 27; i += 2) {
        sum += term / i;
        term *= s2;
    }
    return k * ln2_hi + (k * ln2_lo + 2 * sum);
}

double nn_exp(double x)
{
    static const double ln2_hi = 6.93147180369123816490e-01,
                        ln2_lo = 1.90821492927058770002e-10;
    if (isnan(x))
        return x;
    if (x > 709.78)
        return INFINITY;
    if (x < -745.2)
        return 0;
    /* x = k ln2 + r, |r| <= ln2/2; exp(r) by its Taylor series */
    double kf = x * 1.44269504088896338700 + (x < 0 ? -0.5 : 0.5);
    int k = (int)kf;
    double r = (x - k * ln2_hi) - k * ln2_lo;
    double sum = 1; /* Horner, innermost term first */
    for (int i = 18; i >= 1; i--)
        sum = 1 + sum * r / i;
    return ldexp(sum, k);
}

/* sin and cos of r, |r| <= pi/4, by their Taylor series. */
static double sin_core(double r)
{
    double r2 = r * r, sum = 1;
    for (int i = 11; i >= 1; i--)
        sum = 1 - sum * r2 / ((2 * i) * (2 * i + 1));
    return r * sum;
}

static double cos_core(double r)
{
    double r2 = r * r, sum = 1;
    for (int i = 11; i >= 1; i--)
        sum = 1 - sum * r2 / ((2 * i - 1) * (2 * i));
    return sum;
}

/* x = q pi/2 + r, |r| <= pi/4, with pi/2 in three parts (Cody-Waite), good
 * for |x| up to about 1e9 — far beyond what data generators need. */
static double reduce(double x, int *q)
{
    static const double p1 = 1.57079632673412561417e+00,
                        p2 = 6.07710050650619224932e-11,
                        p3 = 2.02226624879595063154e-21;
    double qf = x * 0.63661977236758134308;
    qf = qf < 0 ? qf - 0.5 : qf + 0.5;
    long long n = (long long)qf;
    *q = (int)(n & 3);
    return ((x - n * p1) - n * p2) - n * p3;
}

double nn_sin(double x)
{
    if (!isfinite(x))
        return NAN;
    int q;
    double r = reduce(x, &q);
    switch (q) {
    case 0: return sin_core(r);
    case 1: return cos_core(r);
    case 2: return -sin_core(r);
    default: return -cos_core(r);
    }
}

double nn_cos(double x)
{
    if (!isfinite(x))
        return NAN;
    int q;
    double r = reduce(x, &q);
    switch (q) {
    case 0: return cos_core(r);
    case 1: return -sin_core(r);
    case 2: return -cos_core(r);
    default: return sin_core(r);
    }
}

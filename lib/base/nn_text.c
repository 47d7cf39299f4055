/* nn_text.c — numbers, names and shapes as text: option values,
 * shortest round-trip doubles, "28x28" dims, shapes for messages. */
#include "base/nn_base.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Accepts a decimal/float literal, or a fraction "a/b" such as 1/255. */
int nn_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE)
        return -1;
    if (*end == '/') {
        const char *d = end + 1;
        double den = strtod(d, &end);
        if (end == d || den == 0 || errno == ERANGE)
            return -1;
        v /= den;
    }
    if (*end || !isfinite(v)) /* no nan or inf from an option */
        return -1;
    *out = v;
    return 0;
}

int nn_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

const char *nn_fmt_double(char *buf, size_t cap, double v)
{
    /* the fewest digits that read back; plain notation where %g would
     * switch to an exponent only for want of digits (10, not 1e+01) */
    double a = fabs(v);
    int plain = a >= 1e-4 && a < 1e16;
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if ((strtod(buf, NULL) == v || v != v) &&
            !(plain && strchr(buf, 'e')))
            break;
    }
    return buf;
}

const char *nn_shape_str(char *buf, size_t cap, int rank, const uint64_t *dims)
{
    size_t n = snprintf(buf, cap, "(");
    for (int i = 0; i < rank && n < cap; i++)
        n += snprintf(buf + n, cap - n, "%s%llu", i ? "," : "",
                      (unsigned long long)dims[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, ")");
    return buf;
}

int nn_name_matches(const char *name, char *const *patterns, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(patterns[i], name, 0) == 0)
            return 1;
    return 0;
}

const char *nn_dims_format(char *buf, size_t cap, int n, const uint64_t *dims)
{
    size_t len = 0;
    if (cap)
        buf[0] = 0;
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%llu", i ? "x" : "",
                                (unsigned long long)dims[i]);
    return buf;
}

int nn_dims_parse(const char *s, int max, uint64_t limit, uint64_t *dims)
{
    int n = 0;
    for (;;) {
        if (*s < '1' || *s > '9' || n == max)
            return 0;
        uint64_t v = 0;
        for (; *s >= '0' && *s <= '9'; s++) {
            uint64_t d = (uint64_t)(*s - '0');
            if (d > limit || v > (limit - d) / 10)
                return 0;
            v = 10 * v + d;
        }
        dims[n++] = v;
        if (!*s)
            return n;
        if (*s++ != 'x')
            return 0;
    }
}

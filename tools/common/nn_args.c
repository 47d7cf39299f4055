/* nn_args.c — option values: parsed whole, checked against their range,
 * and refused with one message format,
 *
 *     nn-tool: invalid --lambda 'x': not a number
 *     Try 'nn-tool --help' for more information.
 *
 * (exit 2).  The option is named by its long name whichever spelling the
 * user typed, so that the message points at the man page's entry. */
#include "nn_tool.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The usage error for a value of --opt. */
static void __attribute__((format(printf, 3, 4), noreturn))
invalid(const char *opt, const char *arg, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    nn_usage_error("invalid --%s '%s': %s", opt, arg ? arg : "", why);
}

double nn_arg_double(const char *opt, const char *arg, double min, double max)
{
    double v;
    char a[32], b[32];
    if (nn_parse_double(arg, &v) < 0)
        invalid(opt, arg, "not a number");
    if (v >= min && v <= max)
        return v;
    nn_fmt_double(a, sizeof a, min);
    nn_fmt_double(b, sizeof b, max);
    if (isinf(max))
        invalid(opt, arg, "must be at least %s", a);
    if (isinf(min))
        invalid(opt, arg, "must be at most %s", b);
    invalid(opt, arg, "must be from %s to %s", a, b);
}

double nn_arg_positive(const char *opt, const char *arg)
{
    double v;
    if (nn_parse_double(arg, &v) < 0)
        invalid(opt, arg, "not a number");
    if (!(v > 0))
        invalid(opt, arg, "must be greater than 0");
    return v;
}

uint64_t nn_arg_u64(const char *opt, const char *arg, uint64_t min,
                    uint64_t max)
{
    uint64_t v;
    if (nn_parse_u64(arg, &v) < 0)
        invalid(opt, arg, "not a whole number%s",
                arg && arg[0] == '-' ? " (negative)" : "");
    if (v >= min && v <= max)
        return v;
    if (max == UINT64_MAX)
        invalid(opt, arg, "must be at least %llu", (unsigned long long)min);
    invalid(opt, arg, "must be from %llu to %llu", (unsigned long long)min,
            (unsigned long long)max);
}

uint64_t nn_arg_bytes(const char *opt, const char *arg, uint64_t min)
{
    static const char units[] = "KMGT";
    char num[32];
    size_t n = arg ? strlen(arg) : 0;
    const char *u = n ? strchr(units, arg[n - 1]) : NULL;
    if (n == 0 || n >= sizeof num || (u && (n == 1 || !*u)))
        invalid(opt, arg, "not a size (N, or N with K, M, G or T)");
    memcpy(num, arg, n + 1);
    if (u)
        num[n - 1] = 0;
    uint64_t v;
    if (nn_parse_u64(num, &v) < 0)
        invalid(opt, arg, "not a size (N, or N with K, M, G or T)");
    for (int i = u ? (int)(u - units) + 1 : 0; i > 0; i--) {
        if (v > UINT64_MAX / 1024)
            invalid(opt, arg, "too large");
        v *= 1024;
    }
    if (v < min)
        invalid(opt, arg, "must be at least %llu bytes",
                (unsigned long long)min);
    return v;
}

int nn_arg_choice(const char *opt, const char *arg,
                  const char *const *names)
{
    int n = 0;
    for (; names[n]; n++)
        if (strcmp(arg, names[n]) == 0)
            return n;
    char list[512] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i == 0 ? "" : i == n - 1 ? " or " : ", ",
                                names[i]);
    invalid(opt, arg, "expected %s", list);
}

int nn_arg_dtype(const char *opt, const char *arg, int float_only)
{
    int t = nn_dtype_parse(arg);
    if (float_only && t != NN_F32 && t != NN_F64)
        invalid(opt, arg, "expected f32 or f64");
    if (!t)
        invalid(opt, arg, "expected u8, i8, u16, i16, u32, i32, u64, i64, "
                          "f32 or f64");
    return t;
}

int nn_arg_dims(const char *opt, const char *arg, int max, uint64_t limit,
                uint64_t *dims)
{
    int n = nn_dims_parse(arg, max, limit, dims);
    if (n == 0)
        invalid(opt, arg, "expected up to %d numbers from 1 to %llu joined "
                "by 'x' (28x28)", max, (unsigned long long)limit);
    return n;
}

int nn_zstd_level_arg(const char *arg)
{
    return arg ? (int)nn_arg_u64("zstd", arg, 1, 22) : 3;
}

int nn_float_dtype_arg(const char *arg)
{
    return nn_arg_dtype("dtype", arg, 1);
}

int nn_arg_delimiter(const char *opt, const char *arg)
{
    int d;
    nn_error e;
    if (nn_delim_parse(arg, &d, &e) < 0)
        invalid(opt, arg, "expected one character that cannot be part of a "
                          "number (not '\"' or '#'), 'tab' or 'space'");
    return d;
}

void nn_arg_targets(const char *opt, const char *arg, double *lo, double *hi)
{
    char *end;
    *lo = strtod(arg, &end);
    if (end == arg || *end != ',')
        invalid(opt, arg, "not LO,HI");
    const char *h = end + 1;
    *hi = strtod(h, &end);
    if (end == h || *end || !isfinite(*lo) || !isfinite(*hi) || *lo >= *hi)
        invalid(opt, arg, "not LO,HI with LO < HI");
}

size_t nn_default_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? (size_t)pages / 2 * (size_t)size
                                 : (size_t)1 << 30;
}

/* check.h — the unit tests' assertions.  Each check prints "ok - what" or
 * "not ok - what: detail" (the format tests/run.sh counts); main returns
 * check_status(). */
#ifndef CHECK_H
#define CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int check_fails;

static void check_line(int ok, const char *fmt, va_list ap)
{
    printf(ok ? "ok - " : "not ok - ");
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    if (!ok)
        check_fails++;
}

/* CHECK(cond, "what %d", ...): one reported check. */
static void __attribute__((format(printf, 2, 3)))
CHECK(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_line(ok, fmt, ap);
    va_end(ap);
}

/* Max |a-b| over n doubles, for messages. */
static __attribute__((unused)) double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (d > m || d != d)
            m = d;
    }
    return m;
}

static int check_status(void) { return check_fails ? 1 : 0; }

#endif

/* nn_error.c — errors as values. */
#include "base/nn_base.h"

#include <stdarg.h>
#include <string.h>

int nn_fail(nn_error *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int nn_error_wrap(nn_error *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* shift the old message right, truncating its end if need be */
    size_t p = strlen(prefix) + 2, cap = sizeof e->msg;
    size_t old = strnlen(e->msg, cap - 1);
    if (old > cap - 1 - p)
        old = cap - 1 - p;
    memmove(e->msg + p, e->msg, old);
    e->msg[p + old] = 0;
    memcpy(e->msg, prefix, p - 2);
    memcpy(e->msg + p - 2, ": ", 2);
    return -1;
}

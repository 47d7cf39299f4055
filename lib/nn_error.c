/* nn_error.c — errors as values, and the messages and exits of tools. */
#include "nn.h"
#include "nn_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>
#include <unistd.h>

const char *nn_prog = "nn";

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

static void vwarn(const char *fmt, va_list ap)
{
    if (nn_progress_open) {
        fputc('\n', stderr);
        nn_progress_open = 0;
    }
    fprintf(stderr, "%s: ", nn_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void nn_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

void nn_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    /* exit handlers remove temporary output files; buffered stdout is
     * dropped rather than flushed, so a tool that fails before its output
     * buffer fills leaves stdout empty */
    fflush(stderr);
    nn_exit_cleanup();
    _exit(1);
}

void nn_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", nn_prog);
    exit(2);
}

void nn_tool_init(const char *prog)
{
    nn_prog = prog;
    opterr = 0;
}

void nn_bad_option(int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    /* getopt names a short option by optopt; a long one only by argv.  A
     * long option always moves optind past itself; a bad short option in
     * the middle of a cluster (-Zd) does not, so argv[optind - 1] is then
     * the word before it (perhaps a long option) and the cluster is
     * argv[optind]. */
    const char *cur = argv[optind];
    int in_cluster = optopt > 0 && optopt < 128 && cur && cur[0] == '-' &&
                     cur[1] && cur[1] != '-' && strchr(cur + 1, optopt);
    int longopt = !in_cluster && strncmp(arg, "--", 2) == 0 && arg[2];
    int shortopt = !longopt && optopt > 0 && optopt < 128;
    if (c == ':' && shortopt)
        nn_usage_error("option -%c needs an argument", optopt);
    if (c == ':')
        nn_usage_error("option '%s' needs an argument", arg);
    if (shortopt)
        nn_usage_error("invalid option -%c", optopt);
    const char *eq = strchr(arg, '=');
    if (longopt && eq && optopt)
        nn_usage_error("option '%.*s' takes no argument", (int)(eq - arg),
                       arg);
    nn_usage_error("invalid option '%s' (unknown, or short for more than "
                   "one)", arg);
}

void nn_tool_option(int c, char **argv, const char *usage, int version)
{
    if (c == 'h') {
        fputs(usage, stdout);
        nn_error e;
        if (nn_stdout_close(&e) < 0)
            nn_die("%s", e.msg);
        exit(0);
    }
    if (c == version)
        nn_print_version();
    nn_bad_option(c, argv);
}

void nn_print_version(void)
{
    printf("%s (nn tools) %s\n", nn_prog, NN_VERSION);
    nn_error e;
    if (nn_stdout_close(&e) < 0)
        nn_die("%s", e.msg);
    exit(0);
}

int nn_stdout_close(nn_error *e)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return nn_fail(e, "write error on standard output: %s",
                       strerror(errno));
    if (fclose(stdout) != 0)
        return nn_fail(e, "write error on standard output: %s",
                       strerror(errno));
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

int nn_zstd_level_arg(const char *arg)
{
    uint64_t level = 3;
    if (arg && (nn_parse_u64(arg, &level) < 0 || level < 1 || level > 22))
        nn_usage_error("invalid zstd level '%s' (1..22)", arg);
    return (int)level;
}

int nn_float_dtype_arg(const char *arg)
{
    int t = nn_dtype_parse(arg);
    if (t != NN_F32 && t != NN_F64)
        nn_usage_error("--dtype must be f32 or f64, not '%s'", arg);
    return t;
}

void nn_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
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

double nn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

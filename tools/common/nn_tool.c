/* nn_tool.c — what every tool's main shares: the program name in
 * messages, warnings, fatal errors and usage errors with their exit
 * statuses, getopt's refusals, --help and --version, option values, and
 * the cleanup of unfinished outputs at exit and on fatal signals. */
#include "nn_tool.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *nn_prog = "nn";

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
    nn_outputs_abandon();
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

/* A fatal signal: unfinished outputs are abandoned (async-signal-safe),
 * then the signal is raised again with its default action, so that the
 * parent sees how the tool died. */
static void on_signal(int sig)
{
    nn_outputs_abandon();
    signal(sig, SIG_DFL);
    raise(sig);
}

void nn_tool_init(const char *prog)
{
    nn_prog = prog;
    opterr = 0;
    atexit(nn_outputs_abandon);
    /* a signal ignored when the tool started (nohup) stays ignored */
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (int i = 0; i < 4; i++)
        if (signal(sigs[i], SIG_IGN) != SIG_IGN)
            signal(sigs[i], on_signal);
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

void nn_tool_option(int c, char **argv, const char *usage)
{
    if (c == 'h') {
        fputs(usage, stdout);
        nn_error e;
        if (nn_stdout_close(&e) < 0)
            nn_die("%s", e.msg);
        exit(0);
    }
    if (c == 'V')
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

void *nn_xalloc(size_t n, size_t size, const char *what)
{
    nn_error e;
    void *p = nn_alloc(n ? n : 1, size ? size : 1, what, &e);
    if (!p)
        nn_die("%s", e.msg);
    memset(p, 0, (n ? n : 1) * (size ? size : 1));
    return p;
}

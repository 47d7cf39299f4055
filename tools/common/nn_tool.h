/* nn_tool.h — the tool layer: what every tool's main shares and the
 * library must not do: messages and exits, option parsing, progress on
 * stderr, signal handling and the cleanup of outputs at exit.  Above
 * every layer of libnn (lib/nn.h). */
#ifndef NN_TOOL_H
#define NN_TOOL_H

#include "nn.h"

/* ----------------------------------------------------- progress (nn_progress.c) */

/* A one-line progress report on stderr, redrawn at most 4 times a second,
 * shown only when stderr is a terminal or when forced (--progress). */
typedef struct nn_progress {
    const char *prog;
    int enabled;
    double last;
    double start;
    int drawn;
    uint64_t done, total;   /* the latest update, redrawn at the end */
    const char *unit;
    char note[128];         /* shown before the count ("epoch 2/10, ...") */
} nn_progress;

void nn_progress_init(nn_progress *p, const char *prog, int force);
/* done/total in the unit named, with the rate and, when total is known,
 * the time left at that rate; total 0 if unknown. */
void nn_progress_update(nn_progress *p, uint64_t done, uint64_t total,
                        const char *unit);
/* Text shown before the count from the next redraw on ("" for none). */
void nn_progress_note(nn_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void nn_progress_end(nn_progress *p);
/* Set while a progress line is drawn without its newline, so that a
 * message starts on a line of its own (nn_tool.c reads it). */
extern int nn_progress_open;

/* ------------------------------------------------- tool helpers (nn_tool.c) */

/* Shared behaviour of every tool's main(): program name for messages. */
extern const char *nn_prog;
/* Sets nn_prog, leaves getopt's messages to nn_bad_option, and makes
 * unfinished outputs (temporary files, a stream half-written to a pipe)
 * be abandoned at exit and on SIGINT, SIGTERM, SIGHUP and SIGPIPE
 * (nn_outputs_abandon).  The first call of every tool's main. */
void nn_tool_init(const char *prog);
/* -o FILE and -z[LEVEL], as every tool that writes a stream spells them */
#define NN_LONGOPTS_OUTPUT                                                     \
    {"output", required_argument, 0, 'o'}, {"zstd", optional_argument, 0, 'z'}
/* The last entries of every tool's long-option table: -h/--help and
 * -V/--version (the getopt string ends "hV"). */
#define NN_LONGOPTS_END                                                        \
    {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'},          \
        {0, 0, 0, 0}
/* The default case of every tool's option switch: -h prints usage to
 * stdout and exits 0, -V prints the version, anything else is a usage
 * error (nn_bad_option). */
void nn_tool_option(int c, char **argv, const char *usage)
    __attribute__((noreturn));
/* The usage error for the option getopt_long just refused, c being what it
 * returned (tools give getopt an option string starting with ':', so that
 * ':' means a missing argument and '?' an unknown option): one line naming
 * it, then the "Try --help" line; exits 2. */
void nn_bad_option(int c, char **argv) __attribute__((noreturn));
/* Prints "prog: message" to stderr. */
void nn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "prog: message" and exits 1 (data/runtime error). */
void nn_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Prints "prog: message" then "Try 'prog --help'." and exits 2. */
void nn_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* nn_alloc that dies on failure ("what: out of memory ..."): n elements
 * of size bytes (at least one), zeroed. */
void *nn_xalloc(size_t n, size_t size, const char *what);
/* Prints "prog (nn tools) VERSION" and exits 0. */
void nn_print_version(void) __attribute__((noreturn));


/* ------------------------------------------------ option values (nn_args.c)
 * Each parses the whole of arg, the value of the option whose long name
 * (without dashes) is opt, and returns it; anything else is a usage error
 * (exit 2) in one format:
 *     nn-tool: invalid --lambda 'x': not a number
 *     nn-tool: invalid --width '0': must be from 1 to 65536
 * Bounds are inclusive. */

/* A number ("1e-3", "1/255"; no NaN or infinity) from min to max; an
 * infinite bound is no bound. */
double nn_arg_double(const char *opt, const char *arg, double min, double max);
/* A number greater than 0. */
double nn_arg_positive(const char *opt, const char *arg);
/* A whole number from min to max (decimal digits only: no sign). */
uint64_t nn_arg_u64(const char *opt, const char *arg, uint64_t min,
                    uint64_t max);
/* The index of arg among names (NULL-terminated); the message lists
 * them: "expected npy, csv or png". */
int nn_arg_choice(const char *opt, const char *arg, const char *const *names);
/* A dtype name (u8 ... f64); float_only: f32 or f64. */
int nn_arg_dtype(const char *opt, const char *arg, int float_only);
/* "28x28": 1..max numbers from 1 to limit joined by 'x', into dims;
 * returns how many. */
int nn_arg_dims(const char *opt, const char *arg, int max, uint64_t limit,
                uint64_t *dims);
/* A size in bytes: a whole number with an optional suffix K, M, G or T
 * (powers of 1024, as sort -S), at least min. */
uint64_t nn_arg_bytes(const char *opt, const char *arg, uint64_t min);
/* A CSV delimiter (nn_delim_parse): "tab", "space", or one character
 * that cannot be part of a number. */
int nn_arg_delimiter(const char *opt, const char *arg);
/* -z/--zstd[=LEVEL]: 3 when absent, else 1..22. */
int nn_zstd_level_arg(const char *arg);
/* -t/--dtype where a tool computes in f32 or f64: NN_F32 or NN_F64. */
int nn_float_dtype_arg(const char *arg);

/* --targets LO,HI: the values of one-hot class targets, LO < HI. */
void nn_arg_targets(const char *opt, const char *arg, double *lo, double *hi);
/* --memory's default: half of the machine's memory (1 GiB if unknown). */
size_t nn_default_memory(void);

/* ------------------------------------------------------- text on stdout */
/* Prints s to stdout as a JSON string, quoted and escaped. */
void nn_json_string(const char *s);

/* --------------------------------------------- row tools (nn_tool_rows.c) */

/* Opens the output of a row tool, out (NULL or "-": stdout), and a sink
 * on it with the storage policy store (NN_STORE_KEEP ...).  The output is
 * held back (nn_writer_hold, NN_HOLD_DEFAULT), so that an error in the
 * first records, or in anything up to that much output, leaves it empty.
 * Dies on error. */
nn_row_sink *nn_row_sink_open(const char *out, int store);
/* Dies with e's message if rc < 0; else closes the output of s (dying if
 * that fails).  Frees s. */
void nn_row_sink_finish(nn_row_sink *s, int rc, nn_error *e);


#endif

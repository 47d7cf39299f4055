/* nn-split — cut a stream into shards of contiguous rows of every tensor.
 *
 * A first pass reads and checks the whole input and notes every record's
 * place (offset, tensor, rows); then the shards are written a batch at a
 * time, each batch reading again just the records it needs.  Input that
 * is not a regular file is first copied to a temporary file, record by
 * record as each is checked. */
#include "nn_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "Usage: nn-split [OPTION]... --rows=N PREFIX [FILE]\n"
    "  or:  nn-split [OPTION]... --shards=K PREFIX [FILE]\n"
    "Split an NNS stream (stdin if no FILE) into shards PREFIX.000.nns,\n"
    "PREFIX.001.nns, ... of contiguous rows of every tensor of rank 1 or more,\n"
    "counted across chunks; every shard holds every tensor (perhaps with 0\n"
    "rows) and every record of rank 0.\n"
    "\n"
    "      --rows=N            N rows of every tensor per shard\n"
    "      --shards=K          K shards of near-equal size\n"
    "      --digits=DIGITS     digits of the shard numbers (1..9, default 3)\n"
    "  -v, --verbose           print the shard names on stdout\n"
    "  -z, --zstd[=LEVEL]      compress every record (default level 3)\n"
    "  -d, --decompress        store every record uncompressed\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "A failed run leaves no shard.\n"
    "See nn-split(1) and nns(5).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-split --shards=4 part train.nns\n";

enum { OPT_ROWS = 256, OPT_SHARDS, OPT_DIGITS };

/* Shards written at once: each batch reads the input again. */
#define BATCH 8

typedef struct options {
    uint64_t rows, shards;  /* one of them is 0 */
    int digits;
    int verbose;
    int store;              /* NN_STORE_KEEP, NN_STORE_RAW or a zstd level */
    const char *prefix, *in;
} options;

/* Where a record of the input is, and which rows of its tensor it holds. */
typedef struct place {
    uint64_t offset, tensor, row, rows;
    int first, scalar;
} place;

/* A tensor's first record, for the shards that get none of its rows. */
typedef struct tensor {
    char *name, *attrs;
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK];
    uint32_t flags;
    uint64_t total;         /* rows */
} tensor;

/* What the first pass found, and the shards finished (removed if anything
 * fails; nn_die removes those being written). */
typedef struct state {
    place *places;
    size_t nplaces, places_cap;
    tensor *tensors;
    size_t ntensors, tensors_cap;
    uint64_t nshards;
    char **done;
    size_t ndone;
} state;

/* The most shards the digits can number. */
static uint64_t shard_limit(const options *o)
{
    uint64_t limit = 1;
    for (int i = 0; i < o->digits; i++)
        limit *= 10;
    return limit;
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"rows", required_argument, 0, OPT_ROWS},
        {"shards", required_argument, 0, OPT_SHARDS},
        {"digits", required_argument, 0, OPT_DIGITS},
        {"verbose", no_argument, 0, 'v'},
        {"zstd", optional_argument, 0, 'z'},
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    *o = (options){.digits = 3, .store = NN_STORE_KEEP};
    int c;
    while ((c = getopt_long(argc, argv, ":vz::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ROWS:
            o->rows = nn_arg_u64("rows", optarg, 1, UINT64_MAX);
            break;
        case OPT_SHARDS:
            o->shards = nn_arg_u64("shards", optarg, 1, UINT64_MAX);
            break;
        case OPT_DIGITS:
            o->digits = (int)nn_arg_u64("digits", optarg, 1, 9);
            break;
        case 'v': o->verbose = 1; break;
        case 'z': o->store = nn_zstd_level_arg(optarg); break;
        case 'd': o->store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (!o->rows == !o->shards)
        nn_usage_error("give one of --rows N and --shards K");
    if (optind >= argc || !*argv[optind])
        nn_usage_error("missing PREFIX");
    if (argc - optind > 2)
        nn_usage_error("extra operand '%s'", argv[optind + 2]);
    if (o->shards > shard_limit(o))
        nn_usage_error("%llu shards need more than %d digits (see --digits)",
                       (unsigned long long)o->shards, o->digits);
    o->prefix = argv[optind];
    o->in = optind + 1 < argc ? argv[optind + 1] : "-";
}
static void fail(const state *s, const char *msg) __attribute__((noreturn));
static void fail(const state *s, const char *msg)
{
    for (size_t i = 0; i < s->ndone; i++)
        unlink(s->done[i]);
    nn_die("%s", msg);
}

/* The rows [*a, *b) of tensor t that shard k gets. */
static void shard_rows(const options *o, const tensor *t, uint64_t k,
                       uint64_t *a, uint64_t *b)
{
    if (o->rows) {
        *a = k * o->rows;
        *b = o->rows > UINT64_MAX - *a ? UINT64_MAX : *a + o->rows;
    } else {
        uint64_t q = t->total / o->shards, rem = t->total % o->shards;
        *a = k * q + (k < rem ? k : rem);
        *b = *a + q + (k < rem);
    }
}

/* Notes where record r is (pos: in its tensor). */
static void note(state *s, const nn_record *r, const nn_row_pos *pos)
{
    if (s->nplaces == s->places_cap) {
        s->places_cap = s->places_cap ? 2 * s->places_cap : 256;
        if (!(s->places = realloc(s->places,
                                  s->places_cap * sizeof *s->places)))
            nn_die("out of memory");
    }
    place *m = &s->places[s->nplaces++];
    m->offset = r->offset;
    m->tensor = pos->tensor;
    m->row = pos->row;
    m->rows = r->rank ? r->dims[0] : 0;
    m->first = pos->first;
    m->scalar = r->rank == 0;
    if (pos->first) {
        if (s->ntensors == s->tensors_cap) {
            s->tensors_cap = s->tensors_cap ? 2 * s->tensors_cap : 64;
            if (!(s->tensors = realloc(s->tensors,
                                       s->tensors_cap * sizeof *s->tensors)))
                nn_die("out of memory");
        }
        tensor *t = &s->tensors[s->ntensors++];
        t->name = strdup(r->name);
        t->attrs = strdup(r->attrs);
        if (!t->name || !t->attrs)
            nn_die("out of memory");
        t->dtype = r->dtype;
        t->rank = r->rank;
        memcpy(t->dims, r->dims, sizeof t->dims);
        t->flags = r->flags & ~NN_FLAG_ZSTD;
        t->total = 0;
    }
    s->tensors[pos->tensor].total += m->rows;
}

/* The first pass: checks every record, notes where it is, and counts the
 * shards. */
static int survey(const options *o, state *s, nn_reader *rd, nn_error *e)
{
    const nn_record *r;
    nn_row_pos pos;
    int rc;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, e)) == 1)
        note(s, r, &pos);
    if (rc < 0)
        return -1;
    s->nshards = o->shards;
    if (o->rows) {
        s->nshards = 1;
        for (size_t t = 0; t < s->ntensors; t++) {
            uint64_t k = s->tensors[t].total / o->rows +
                         (s->tensors[t].total % o->rows != 0);
            if (s->tensors[t].rank > 0 && k > s->nshards)
                s->nshards = k;
        }
        if (s->nshards > shard_limit(o))
            return nn_fail(e, "%llu shards of %llu rows need more than %d "
                           "digits (see --digits)",
                           (unsigned long long)s->nshards,
                           (unsigned long long)o->rows, o->digits);
    }
    s->done = nn_xalloc(s->nshards, sizeof *s->done, "shard names");
    return 0;
}

/* Reads record i of the input again (it is at m) and checks that it is
 * still the record of tensor t that the first pass saw. */
static const nn_record *reread(nn_reader *rd, const place *m, size_t i,
                               const tensor *t, nn_error *e)
{
    const nn_record *r;
    int rc;
    if (nn_reader_seek(rd, m->offset, i, e) < 0 ||
        (rc = nn_reader_next_raw(rd, &r, e)) < 0)
        return NULL;
    if (rc == 0 || r->rank != t->rank || strcmp(r->name, t->name) ||
        (r->rank && r->dims[0] != m->rows)) {
        nn_fail(e, "%s: changed while being read", nn_reader_name(rd));
        return NULL;
    }
    return r;
}

/* Writes the rows of record i of the input (at m) that shard j of the
 * batch gets (lo, cnt) to its sink. */
static int write_part(const state *s, nn_reader *rd, size_t i,
                      nn_row_sink *sink, uint64_t lo, uint64_t cnt,
                      nn_error *e)
{
    const place *m = &s->places[i];
    const tensor *t = &s->tensors[m->tensor];
    if (m->scalar || cnt) {
        const nn_record *r = reread(rd, m, i, t, e);
        if (!r)
            return -1;
        nn_header h;
        nn_header_from_record(&h, r);
        if (m->scalar) { /* whole, into every shard */
            lo = m->row;
            cnt = 1;
        }
        return nn_row_sink_record(sink, rd, r, &h, lo - m->row, cnt, 1, e);
    }
    if (m->first) { /* the tensor, with none of its rows */
        nn_header h = {t->name, t->dtype, t->rank, {0}, t->flags, t->attrs};
        memcpy(h.dims, t->dims, sizeof h.dims);
        h.dims[0] = 0;
        return nn_row_sink_put(sink, &h, NULL, 0, e);
    }
    return 0;
}

/* Writes shards k0..k0+nk-1, reading the records they need from rd: a
 * record that goes to several shards is read once for each, since its rows
 * are decoded in order, piece by piece, as they are written. */
static void write_batch(const options *o, state *s, nn_reader *rd,
                        uint64_t k0, size_t nk)
{
    nn_row_sink *sinks[BATCH];
    char *names[BATCH];
    nn_error e;
    for (size_t j = 0; j < nk; j++) {
        size_t len = strlen(o->prefix) + 32;
        names[j] = nn_xalloc(len, 1, "shard names");
        snprintf(names[j], len, "%s.%0*llu.nns", o->prefix, o->digits,
                 (unsigned long long)(k0 + j));
        nn_writer *w = nn_writer_open(names[j], 1, &e);
        if (!w || !(sinks[j] = nn_row_sink_new(w, o->store, &e)))
            fail(s, e.msg);
    }
    for (size_t i = 0; i < s->nplaces; i++) {
        const place *m = &s->places[i];
        const tensor *t = &s->tensors[m->tensor];
        for (size_t j = 0; j < nk; j++) {
            uint64_t a, b, end = m->row + m->rows;
            shard_rows(o, t, k0 + j, &a, &b);
            uint64_t hi = b < end ? b : end, lo = a > m->row ? a : m->row;
            if (write_part(s, rd, i, sinks[j], lo, hi > lo ? hi - lo : 0,
                           &e) < 0)
                fail(s, e.msg);
        }
    }
    for (size_t j = 0; j < nk; j++) {
        nn_writer *w = nn_row_sink_writer(sinks[j]);
        nn_row_sink_free(sinks[j]);
        if (nn_writer_close(w, 1, &e) < 0)
            fail(s, e.msg);
        s->done[s->ndone++] = names[j];
    }
}

static void state_free(state *s)
{
    for (size_t i = 0; i < s->ndone; i++)
        free(s->done[i]);
    free(s->done);
    for (size_t t = 0; t < s->ntensors; t++) {
        free(s->tensors[t].name);
        free(s->tensors[t].attrs);
    }
    free(s->tensors);
    free(s->places);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-split");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    state s = {0};
    nn_reader *rd = nn_reader_open_seekable(o.in, &e);
    if (!rd || survey(&o, &s, rd, &e) < 0)
        nn_die("%s", e.msg);
    for (uint64_t k = 0; k < s.nshards; k += BATCH)
        write_batch(&o, &s, rd, k,
                    s.nshards - k < BATCH ? (size_t)(s.nshards - k) : BATCH);
    nn_reader_close(rd);
    if (o.verbose)
        for (size_t i = 0; i < s.ndone; i++)
            puts(s.done[i]);
    if (nn_stdout_close(&e) < 0) /* the names did not all go out */
        fail(&s, e.msg);
    state_free(&s);
    return 0;
}

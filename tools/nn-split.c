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
    "Usage: nn-split [OPTION]... -l N PREFIX [FILE]\n"
    "  or:  nn-split [OPTION]... -n K PREFIX [FILE]\n"
    "Split an NNS stream (stdin if no FILE) into shards PREFIX.000.nns,\n"
    "PREFIX.001.nns, ... of contiguous rows of every tensor of rank 1 or more,\n"
    "counted across chunks; every shard holds every tensor (perhaps with 0\n"
    "rows) and every record of rank 0.\n"
    "\n"
    "  -l, --rows=N         N rows of every tensor per shard\n"
    "  -n, --shards=K       K shards of near-equal size\n"
    "  -a, --digits=DIGITS  digits of the shard numbers (1..9, default 3)\n"
    "  -v, --verbose        print the shard names on stdout\n"
    "  -z, --zstd[=LEVEL]   compress every record (default level 3)\n"
    "  -d, --decompress     store every record uncompressed\n"
    "  -h, --help           show this help and exit\n"
    "      --version        show the version and exit\n"
    "\n"
    "A failed run leaves no shard.  Exit status: 0 success, 1 bad input or\n"
    "write error, 2 usage error.  See nn-split(1) and nns(5).\n";


/* Shards written at once: each batch reads the input again. */
#define BATCH 8

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

static place *places;
static size_t nplaces, places_cap;
static tensor *tensors;
static size_t ntensors, tensors_cap;
static uint64_t opt_rows, opt_shards;

/* Shards finished: removed if anything fails (nn_die removes those being
 * written). */
static char **done;
static size_t ndone;

static void fail(const char *msg) __attribute__((noreturn));
static void fail(const char *msg)
{
    for (size_t i = 0; i < ndone; i++)
        unlink(done[i]);
    nn_die("%s", msg);
}

/* The rows [*a, *b) of tensor t that shard k gets. */
static void shard_rows(const tensor *t, uint64_t k, uint64_t *a, uint64_t *b)
{
    if (opt_rows) {
        *a = k * opt_rows;
        *b = opt_rows > UINT64_MAX - *a ? UINT64_MAX : *a + opt_rows;
    } else {
        uint64_t q = t->total / opt_shards, rem = t->total % opt_shards;
        *a = k * q + (k < rem ? k : rem);
        *b = *a + q + (k < rem);
    }
}

/* The first pass: checks every record and notes where it is. */
static void survey(nn_reader *rd)
{
    const nn_record *r;
    nn_row_pos pos;
    nn_error e;
    int rc;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, &e)) == 1) {
        if (nplaces == places_cap) {
            places_cap = places_cap ? 2 * places_cap : 256;
            if (!(places = realloc(places, places_cap * sizeof *places)))
                nn_die("out of memory");
        }
        place *m = &places[nplaces++];
        m->offset = r->offset;
        m->tensor = pos.tensor;
        m->row = pos.row;
        m->rows = r->rank ? r->dims[0] : 0;
        m->first = pos.first;
        m->scalar = r->rank == 0;
        if (pos.first) {
            if (ntensors == tensors_cap) {
                tensors_cap = tensors_cap ? 2 * tensors_cap : 64;
                if (!(tensors = realloc(tensors, tensors_cap * sizeof *tensors)))
                    nn_die("out of memory");
            }
            tensor *t = &tensors[ntensors++];
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
        tensors[pos.tensor].total += m->rows;
    }
    if (rc < 0)
        nn_die("%s", e.msg);
}

/* Reads record i of the input again (it is at m) and checks that it is
 * still the record of tensor t that the first pass saw. */
static const nn_record *reread(nn_reader *rd, const place *m, size_t i,
                               const tensor *t)
{
    const nn_record *r;
    nn_error e;
    if (nn_reader_seek(rd, m->offset, i, &e) < 0 ||
        nn_reader_next_raw(rd, &r, &e) != 1)
        fail(e.msg);
    if (r->rank != t->rank || strcmp(r->name, t->name) ||
        (r->rank && r->dims[0] != m->rows)) {
        snprintf(e.msg, sizeof e.msg, "%s: changed while being read",
                 nn_reader_name(rd));
        fail(e.msg);
    }
    return r;
}

/* Writes shards k0..k0+nk-1, reading the records they need from rd: a
 * record that goes to several shards is read once for each, since its rows
 * are decoded in order, piece by piece, as they are written. */
static void write_batch(nn_reader *rd, const char *prefix, int digits,
                        uint64_t k0, size_t nk, int store)
{
    nn_row_sink sinks[BATCH];
    char *names[BATCH];
    nn_error e;
    for (size_t j = 0; j < nk; j++) {
        size_t len = strlen(prefix) + 32;
        if (!(names[j] = malloc(len)))
            nn_die("out of memory");
        snprintf(names[j], len, "%s.%0*llu.nns", prefix, digits,
                 (unsigned long long)(k0 + j));
        sinks[j] = (nn_row_sink){nn_writer_open(names[j], 1, &e), store,
                                 NULL, 0};
        if (!sinks[j].w)
            fail(e.msg);
    }
    for (size_t i = 0; i < nplaces; i++) {
        const place *m = &places[i];
        const tensor *t = &tensors[m->tensor];
        uint64_t lo[BATCH], cnt[BATCH];
        for (size_t j = 0; j < nk; j++) {
            uint64_t a, b, end = m->row + m->rows;
            shard_rows(t, k0 + j, &a, &b);
            uint64_t hi = b < end ? b : end;
            lo[j] = a > m->row ? a : m->row;
            cnt[j] = hi > lo[j] ? hi - lo[j] : 0;
        }
        for (size_t j = 0; j < nk; j++) {
            int rc = 0;
            if (m->scalar || cnt[j]) {
                const nn_record *r = reread(rd, m, i, t);
                nn_header h;
                nn_header_from_record(&h, r);
                if (m->scalar) { /* whole, into every shard */
                    lo[j] = m->row;
                    cnt[j] = 1;
                }
                rc = nn_row_sink_record(&sinks[j], rd, r, &h, lo[j] - m->row,
                                        cnt[j], 1, &e);
            } else if (m->first) { /* the tensor, with none of its rows */
                nn_header h = {t->name, t->dtype, t->rank, {0}, t->flags,
                               t->attrs};
                memcpy(h.dims, t->dims, sizeof h.dims);
                h.dims[0] = 0;
                rc = nn_row_sink_put(&sinks[j], &h, NULL, 0, &e);
            }
            if (rc < 0)
                fail(e.msg);
        }
    }
    for (size_t j = 0; j < nk; j++) {
        nn_row_sink_free(&sinks[j]);
        if (nn_writer_close(sinks[j].w, 1, &e) < 0)
            fail(e.msg);
        done[ndone++] = names[j];
    }
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-split");
    static const struct option longopts[] = {
        {"rows", required_argument, 0, 'l'},
        {"shards", required_argument, 0, 'n'},
        {"digits", required_argument, 0, 'a'},
        {"verbose", no_argument, 0, 'v'},
        {"zstd", optional_argument, 0, 'z'},
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    int store = NN_STORE_KEEP, verbose = 0;
    uint64_t digits = 3;
    int c;
    while ((c = getopt_long(argc, argv, ":l:n:a:vz::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (nn_parse_u64(optarg, &opt_rows) < 0 || opt_rows == 0)
                nn_usage_error("invalid --rows '%s' (1 or more)", optarg);
            break;
        case 'n':
            if (nn_parse_u64(optarg, &opt_shards) < 0 || opt_shards == 0)
                nn_usage_error("invalid --shards '%s' (1 or more)", optarg);
            break;
        case 'a':
            if (nn_parse_u64(optarg, &digits) < 0 || digits < 1 || digits > 9)
                nn_usage_error("invalid --digits '%s' (1..9)", optarg);
            break;
        case 'v': verbose = 1; break;
        case 'z': store = nn_zstd_level_arg(optarg); break;
        case 'd': store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (!opt_rows == !opt_shards)
        nn_usage_error("give one of -l ROWS and -n SHARDS");
    if (optind >= argc || !*argv[optind])
        nn_usage_error("missing PREFIX");
    if (argc - optind > 2)
        nn_usage_error("extra operand '%s'", argv[optind + 2]);
    uint64_t limit = 1;
    for (uint64_t i = 0; i < digits; i++)
        limit *= 10;
    if (opt_shards > limit)
        nn_usage_error("%llu shards need more than %llu digits (see -a)",
                       (unsigned long long)opt_shards,
                       (unsigned long long)digits);
    const char *prefix = argv[optind];
    const char *in = optind + 1 < argc ? argv[optind + 1] : "-";

    nn_error e;
    nn_reader *rd = nn_reader_open_seekable(in, &e);
    if (!rd)
        nn_die("%s", e.msg);
    survey(rd);

    uint64_t nshards = opt_shards;
    if (opt_rows) {
        nshards = 1;
        for (size_t t = 0; t < ntensors; t++) {
            uint64_t k = tensors[t].total / opt_rows +
                         (tensors[t].total % opt_rows != 0);
            if (tensors[t].rank > 0 && k > nshards)
                nshards = k;
        }
        if (nshards > limit)
            nn_die("%llu shards of %llu rows need more than %llu digits "
                   "(see -a)", (unsigned long long)nshards,
                   (unsigned long long)opt_rows, (unsigned long long)digits);
    }
    if (!(done = calloc(nshards, sizeof *done)))
        nn_die("out of memory");
    for (uint64_t k = 0; k < nshards; k += BATCH) {
        size_t nk = nshards - k < BATCH ? (size_t)(nshards - k) : BATCH;
        write_batch(rd, prefix, (int)digits, k, nk, store);
    }
    nn_reader_close(rd);
    if (verbose)
        for (size_t i = 0; i < ndone; i++)
            puts(done[i]);
    if (nn_stdout_close(&e) < 0) /* the names did not all go out */
        fail(e.msg);
    for (size_t i = 0; i < ndone; i++)
        free(done[i]);
    free(done);
    for (size_t t = 0; t < ntensors; t++) {
        free(tensors[t].name);
        free(tensors[t].attrs);
    }
    free(tensors);
    free(places);
    return 0;
}

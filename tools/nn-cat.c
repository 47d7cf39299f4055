/* nn-cat — concatenate streams, joining the tensors of the same name that
 * later inputs start into the tensors already written; optionally rechunk
 * and recompress.  Records are copied verbatim when their header stays. */
#include "nn_tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-cat [OPTION]... [FILE]...\n"
    "Concatenate NNS streams (stdin for - or no FILE) into one: a tensor a\n"
    "later FILE starts is joined, as more rows, to the tensor of its name\n"
    "already written; their dtypes and row shapes must agree.\n"
    "\n"
    "  -J, --join-all       also join same-named tensors within one stream\n"
    "      --rows=N         rechunk every tensor into records of N rows\n"
    "                       (0: keep the chunks, the default)\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress every record (default level 3)\n"
    "  -d, --decompress     store every record uncompressed\n"
    "  -h, --help           show this help and exit\n"
    "      --version        show the version and exit\n"
    "\n"
    "Records whose header does not change are copied byte for byte.\n"
    "Exit status: 0 success, 1 bad input, tensors that cannot be joined or\n"
    "write error, 2 usage error.  See nn-cat(1) and nns(5).\n";

enum { OPT_ROWS = 256 };

/* The latest output tensor of a name, and with --rows the rows held back
 * for its next chunk. */
typedef struct out_tensor {
    char name[NN_NAME_MAX + 1];
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK];
    size_t file;            /* the last input that started a part of it */
    char *attrs;            /* of its first record (--rows) */
    uint32_t ancillary;     /* flags of its first record (--rows) */
    int started;            /* a record of it was written (--rows) */
    int zsrc;               /* pending rows came from a compressed record */
    uint64_t pending;       /* rows in buf */
    unsigned char *buf;     /* (rows, row bytes) */
} out_tensor;

typedef struct plan {
    out_tensor **t;
    size_t n, cap;
    int live;               /* writing (not a scan): finish replaced tensors */
} plan;

static char **files;
static int join_all;
static uint64_t rows_per_chunk;
static nn_row_sink sink;

static out_tensor *find(plan *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->t[i]->name, name) == 0)
            return p->t[i];
    return NULL;
}

static const char *file_name(size_t i)
{
    return strcmp(files[i], "-") ? files[i] : "stdin";
}

/* "(*,3,4)": the shape of a tensor's rows, whatever their number. */
static const char *row_shape(char *buf, size_t cap, int rank,
                             const uint64_t *dims)
{
    size_t n = (size_t)snprintf(buf, cap, "(%s", rank ? "*" : "");
    for (int i = 1; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, ",%llu",
                              (unsigned long long)dims[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, ")");
    return buf;
}

/* Writes the rows held for o as one record. */
static int flush(out_tensor *o, nn_error *e)
{
    nn_header h = {o->name, o->dtype, o->rank, {0}, o->ancillary, NULL};
    memcpy(h.dims, o->dims, sizeof h.dims);
    h.dims[0] = o->pending;
    if (o->started)
        h.flags |= NN_FLAG_CONT;
    else
        h.attrs = o->attrs;
    o->started = 1;
    o->pending = 0;
    int rc = nn_row_sink_put(&sink, &h, o->buf, o->zsrc, e);
    o->zsrc = 0;
    return rc;
}

/* Ends an output tensor: its last rows, or its header if it had none. */
static int finish(out_tensor *o, nn_error *e)
{
    int rc = 0;
    if (rows_per_chunk && o->rank > 0 && (o->pending || !o->started))
        rc = flush(o, e);
    free(o->buf);
    free(o->attrs);
    o->buf = NULL;
    o->attrs = NULL;
    return rc;
}

/* Decides where the tensor that r starts (in input number file) goes: into
 * the latest output tensor of its name (*join set), or a new one. */
static out_tensor *place(plan *p, const nn_record *r, size_t file, int *join,
                         nn_error *e)
{
    out_tensor *o = find(p, r->name);
    *join = 0;
    if (o && r->rank > 0 && (join_all || o->file < file)) {
        int same = o->dtype == r->dtype && o->rank == r->rank;
        for (int i = 1; same && i < r->rank; i++)
            same = o->dims[i] == r->dims[i];
        if (!same) {
            char a[200], b[200];
            nn_fail(e, "%s: record %llu at byte %llu: tensor '%s' is %s %s "
                    "but '%s' of %s is %s %s; cannot join them",
                    file_name(file), (unsigned long long)r->index,
                    (unsigned long long)r->offset, r->name,
                    nn_dtype_name(r->dtype),
                    row_shape(a, sizeof a, r->rank, r->dims), o->name,
                    file_name(o->file), nn_dtype_name(o->dtype),
                    row_shape(b, sizeof b, o->rank, o->dims));
            return NULL;
        }
        o->file = file;
        *join = 1;
        return o;
    }
    if (o) {
        if (p->live && finish(o, e) < 0)
            return NULL;
    } else {
        if (p->n == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 16;
            if (!(p->t = realloc(p->t, p->cap * sizeof *p->t)))
                nn_die("out of memory");
        }
        if (!(o = calloc(1, sizeof *o)))
            nn_die("out of memory");
        p->t[p->n++] = o;
        strcpy(o->name, r->name);
    }
    o->dtype = r->dtype;
    o->rank = r->rank;
    memcpy(o->dims, r->dims, sizeof o->dims);
    o->file = file;
    o->started = 0;
    o->pending = 0;
    o->zsrc = 0;
    if (p->live && rows_per_chunk && r->rank > 0) {
        o->ancillary = r->flags & ~NN_FLAGS_CRITICAL;
        if (!(o->attrs = strdup(r->attrs)))
            nn_die("out of memory");
    }
    return o;
}

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->t[i]->buf);
        free(p->t[i]->attrs);
        free(p->t[i]);
    }
    free(p->t);
}

/* Adds k rows of rb bytes at p to the rows held for o. */
static int keep(out_tensor *o, const unsigned char *p, uint64_t k, size_t rb,
                nn_error *e)
{
    if (!o->buf && !(o->buf = nn_alloc(rows_per_chunk, rb, "chunk of rows",
                                       e)))
        return -1;
    if (k && rb) /* rows of width 0 come from no buffer */
        memcpy(o->buf + o->pending * rb, p, k * rb);
    o->pending += k;
    return 0;
}

/* Moves the next k rows of in to the rows held for o. */
static int hold(out_tensor *o, nn_row_cursor *in, uint64_t k, nn_error *e)
{
    for (uint64_t got; k; k -= got) {
        const unsigned char *p = nn_row_cursor_take(in, k, &got, e);
        if (!p || keep(o, p, got, in->rb, e) < 0)
            return -1;
    }
    return 0;
}

/* --rows: adds the rows of r (input rd) to output tensor o. */
static int feed(out_tensor *o, nn_reader *rd, const nn_record *r,
                nn_error *e)
{
    uint64_t n = r->dims[0], N = rows_per_chunk;
    int zsrc = (r->flags & NN_FLAG_ZSTD) != 0;
    nn_row_cursor in;
    nn_row_cursor_init(&in, rd, r);
    if (n && !in.rb && nn_reader_decode(rd, r, e) < 0)
        return -1; /* no elements, but the frame is checked */
    if (!in.rb) /* rows of nothing: all in one record (not 2^31 records) */
        N = UINT64_MAX;
    for (uint64_t i = 0; i < n;) {
        if (!o->pending && n - i >= N) { /* a whole chunk from r */
            nn_header h;
            nn_header_from_record(&h, r);
            h.name = o->name;
            h.flags = o->started ? NN_FLAG_CONT |
                                       (r->flags & ~NN_FLAGS_CRITICAL)
                                 : o->ancillary;
            h.attrs = o->started ? NULL : o->attrs;
            h.dims[0] = N;
            o->started = 1;
            if (N == n && (sink.store == NN_STORE_KEEP ||
                           (sink.store == NN_STORE_RAW && !zsrc))) {
                /* r itself, copied as stored */
                if (nn_row_sink_record(&sink, rd, r, &h, 0, N, 1, e) < 0)
                    return -1;
                i += N;
                continue;
            }
            uint64_t got;
            const unsigned char *data = nn_row_cursor_take(&in, N, &got, e);
            if (!data)
                return -1;
            if (got < N) { /* across pieces: gathered in o->buf */
                if (keep(o, data, got, in.rb, e) < 0 ||
                    hold(o, &in, N - got, e) < 0)
                    return -1;
                o->pending = 0;
                data = o->buf;
            }
            if (nn_row_sink_put(&sink, &h, data, zsrc, e) < 0)
                return -1;
            i += N;
            continue;
        }
        uint64_t take = N - o->pending < n - i ? N - o->pending : n - i;
        if (hold(o, &in, take, e) < 0)
            return -1;
        o->zsrc |= zsrc;
        i += take;
        if (o->pending == N && flush(o, e) < 0)
            return -1;
    }
    return 0;
}

/* Copies one input stream to the output. */
static int cat(plan *p, size_t file, nn_reader *rd, nn_error *e)
{
    const nn_record *r;
    nn_row_pos pos;
    int rc;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, e)) == 1) {
        int join = 0;
        out_tensor *o = pos.first ? place(p, r, file, &join, e)
                                  : find(p, r->name);
        if (!o) {
            rc = -1;
            break;
        }
        if (r->rank > 0 && join && r->dims[0] == 0)
            continue; /* adds nothing to the tensor it joins */
        if (rows_per_chunk && r->rank > 0) {
            if (feed(o, rd, r, e) < 0) {
                rc = -1;
                break;
            }
            continue;
        }
        nn_header h;
        nn_header_from_record(&h, r);
        if (join) {
            h.flags |= NN_FLAG_CONT;
            h.attrs = NULL;
        }
        if (nn_row_sink_record(&sink, rd, r, &h, 0, nn_record_rows(r), 1,
                               e) < 0) {
            rc = -1;
            break;
        }
    }
    return rc;
}

/* The scan of the inputs before writing: the same placement, on headers. */
typedef struct scan_state {
    plan *p;
    size_t file;
    nn_tensor_tracker *trk;
} scan_state;

static int scan_one(const nn_record *r, void *arg, nn_error *e)
{
    scan_state *s = arg;
    int join;
    nn_row_pos pos;
    if (nn_tensor_track(s->trk, r, &pos, e) < 0)
        return nn_error_wrap(e, "%s", file_name(s->file));
    if (pos.first && !place(s->p, r, s->file, &join, e))
        return -1;
    return 0;
}

/* Scans the regular files among the inputs, in order, up to the first
 * that is not (a pipe: what comes after it depends on it). */
static void prescan(int nfiles)
{
    plan p = {0};
    nn_error e;
    int scanning = 1;
    for (int i = 0; i < nfiles; i++) {
        int is_stdin = strcmp(files[i], "-") == 0;
        FILE *f = is_stdin ? stdin : fopen(files[i], "rb");
        if (!f)
            nn_die("%s: %s", files[i], strerror(errno));
        if (scanning && nn_file_is_regular(f)) {
            scan_state s = {&p, (size_t)i, nn_tensor_tracker_new()};
            if (!s.trk)
                nn_die("out of memory");
            int rc = nn_stream_scan(f, file_name((size_t)i), scan_one, &s, &e);
            nn_tensor_tracker_free(s.trk);
            if (rc < 0)
                nn_die("%s", e.msg);
        } else {
            scanning = 0;
        }
        if (!is_stdin)
            fclose(f);
    }
    plan_free(&p);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-cat");
    static const struct option longopts[] = {
        {"join-all", no_argument, 0, 'J'},
        {"rows", required_argument, 0, OPT_ROWS},
        NN_LONGOPTS_OUTPUT,
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    const char *out = NULL;
    int store = NN_STORE_KEEP;
    nn_error e;
    int c;
    while ((c = getopt_long(argc, argv, ":Jo:z::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'J': join_all = 1; break;
        case OPT_ROWS:
            if (nn_parse_u64(optarg, &rows_per_chunk) < 0)
                nn_usage_error("invalid --rows '%s'", optarg);
            break;
        case 'o': out = optarg; break;
        case 'z': store = nn_zstd_level_arg(optarg); break;
        case 'd': store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    static char *dash[] = {"-"};
    int nfiles = argc - optind;
    files = nfiles ? argv + optind : dash;
    if (!nfiles)
        nfiles = 1;

    /* nothing is written before the inputs that can be checked are */
    prescan(nfiles);
    nn_reader *rd = nn_reader_open_first(files[0]);
    nn_row_sink_open(&sink, out, store);
    plan p = {0};
    p.live = 1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < nfiles; i++) {
        if (i > 0 && !(rd = nn_reader_open(files[i], &e)))
            rc = -1;
        else
            rc = cat(&p, (size_t)i, rd, &e);
        nn_reader_close(rd);
    }
    for (size_t i = 0; rc == 0 && i < p.n; i++)
        rc = finish(p.t[i], &e);
    plan_free(&p);
    nn_row_sink_finish(&sink, rc, &e);
    return 0;
}

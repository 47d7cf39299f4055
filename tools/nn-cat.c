/* nn-cat — concatenate streams, joining the tensors of the same name that
 * later inputs start into the tensors already written; optionally rechunk
 * and recompress.  Records are copied verbatim when their header stays. */
#include "nn_tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "Usage: nn-cat [OPTION]... [FILE]...\n"
    "Concatenate NNS streams (stdin for - or no FILE) into one: a tensor a\n"
    "later FILE starts is joined, as more rows, to the tensor of its name\n"
    "already written; their dtypes and row shapes must agree.\n"
    "\n"
    "  -J, --join-all          also join same-named tensors within one stream\n"
    "      --rows=N            rechunk every tensor into records of N rows\n"
    "                          (0: keep the chunks, the default)\n"
    "  -o, --output=FILE       write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]      compress every record (default level 3)\n"
    "  -d, --decompress        store every record uncompressed\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "Records whose header does not change are copied byte for byte; tensors\n"
    "that cannot be joined are bad input.\n"
    "See nn-cat(1) and nns(5).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-cat train.c.nns test.c.nns > all.c.nns\n";

enum { OPT_ROWS = 256 };

typedef struct options {
    int join_all;
    uint64_t rows;          /* --rows: rows per record (0: keep the chunks) */
    char **files;           /* "-": stdin */
    int nfiles;
    const char *out;
    int store;              /* NN_STORE_KEEP, NN_STORE_RAW or a zstd level */
} options;

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

/* The output tensors, as the inputs place them. */
typedef struct plan {
    const options *o;
    nn_row_sink *sink;      /* NULL: a check of the inputs, nothing written */
    out_tensor **t;
    size_t n, cap;
} plan;

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"join-all", no_argument, 0, 'J'},
        {"rows", required_argument, 0, OPT_ROWS},
        NN_LONGOPTS_OUTPUT,
        {"decompress", no_argument, 0, 'd'},
        NN_LONGOPTS_END};
    static char *dash[] = {"-"};
    *o = (options){.store = NN_STORE_KEEP};
    int c;
    while ((c = getopt_long(argc, argv, ":Jo:z::dhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'J': o->join_all = 1; break;
        case OPT_ROWS:
            o->rows = nn_arg_u64("rows", optarg, 0, UINT64_MAX);
            break;
        case 'o': o->out = optarg; break;
        case 'z': o->store = nn_zstd_level_arg(optarg); break;
        case 'd': o->store = NN_STORE_RAW; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    o->nfiles = argc - optind;
    o->files = o->nfiles ? argv + optind : dash;
    if (!o->nfiles)
        o->nfiles = 1;
}

static out_tensor *find(plan *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->t[i]->name, name) == 0)
            return p->t[i];
    return NULL;
}

static const char *file_name(const plan *p, size_t i)
{
    return strcmp(p->o->files[i], "-") ? p->o->files[i] : "stdin";
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

/* Writes the rows held for t as one record. */
static int flush(plan *p, out_tensor *t, nn_error *e)
{
    nn_header h = {t->name, t->dtype, t->rank, {0}, t->ancillary, NULL};
    memcpy(h.dims, t->dims, sizeof h.dims);
    h.dims[0] = t->pending;
    if (t->started)
        h.flags |= NN_FLAG_CONT;
    else
        h.attrs = t->attrs;
    t->started = 1;
    t->pending = 0;
    int rc = nn_row_sink_put(p->sink, &h, t->buf, t->zsrc, e);
    t->zsrc = 0;
    return rc;
}

/* Ends an output tensor: its last rows, or its header if it had none. */
static int finish(plan *p, out_tensor *t, nn_error *e)
{
    int rc = 0;
    if (p->o->rows && t->rank > 0 && (t->pending || !t->started))
        rc = flush(p, t, e);
    free(t->buf);
    free(t->attrs);
    t->buf = NULL;
    t->attrs = NULL;
    return rc;
}

/* Decides where the tensor that r starts (in input number file) goes: into
 * the latest output tensor of its name (*join set), or a new one. */
static out_tensor *place(plan *p, const nn_record *r, size_t file, int *join,
                         nn_error *e)
{
    out_tensor *t = find(p, r->name);
    *join = 0;
    if (t && r->rank > 0 && (p->o->join_all || t->file < file)) {
        int same = t->dtype == r->dtype && t->rank == r->rank;
        for (int i = 1; same && i < r->rank; i++)
            same = t->dims[i] == r->dims[i];
        if (!same) {
            char a[200], b[200];
            nn_fail(e, "%s: record %llu at byte %llu: tensor '%s' is %s %s "
                    "but '%s' of %s is %s %s; cannot join them",
                    file_name(p, file), (unsigned long long)r->index,
                    (unsigned long long)r->offset, r->name,
                    nn_dtype_name(r->dtype),
                    row_shape(a, sizeof a, r->rank, r->dims), t->name,
                    file_name(p, t->file), nn_dtype_name(t->dtype),
                    row_shape(b, sizeof b, t->rank, t->dims));
            return NULL;
        }
        t->file = file;
        *join = 1;
        return t;
    }
    if (t) {
        if (p->sink && finish(p, t, e) < 0)
            return NULL;
    } else {
        if (p->n == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 16;
            if (!(p->t = realloc(p->t, p->cap * sizeof *p->t)))
                nn_die("out of memory");
        }
        t = nn_xalloc(1, sizeof *t, "output tensors");
        p->t[p->n++] = t;
        strcpy(t->name, r->name);
    }
    t->dtype = r->dtype;
    t->rank = r->rank;
    memcpy(t->dims, r->dims, sizeof t->dims);
    t->file = file;
    t->started = 0;
    t->pending = 0;
    t->zsrc = 0;
    if (p->sink && p->o->rows && r->rank > 0) {
        t->ancillary = r->flags & ~NN_FLAGS_CRITICAL;
        if (!(t->attrs = strdup(r->attrs)))
            nn_die("out of memory");
    }
    return t;
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

/* Adds k rows of rb bytes at at to the rows held for t. */
static int keep(plan *p, out_tensor *t, const unsigned char *at, uint64_t k,
                size_t rb, nn_error *e)
{
    if (!t->buf && !(t->buf = nn_alloc(p->o->rows, rb, "chunk of rows", e)))
        return -1;
    if (k && rb) /* rows of width 0 come from no buffer */
        memcpy(t->buf + t->pending * rb, at, k * rb);
    t->pending += k;
    return 0;
}

/* Moves the next k rows of in to the rows held for t. */
static int hold(plan *p, out_tensor *t, nn_row_cursor *in, uint64_t k,
                nn_error *e)
{
    for (uint64_t got; k; k -= got) {
        const unsigned char *at = nn_row_cursor_take(in, k, &got, e);
        if (!at || keep(p, t, at, got, nn_row_cursor_row_bytes(in), e) < 0)
            return -1;
    }
    return 0;
}

/* --rows: adds the rows of r (input rd, read through in) to output tensor
 * t. */
static int feed_rows(plan *p, out_tensor *t, nn_reader *rd,
                     const nn_record *r, nn_row_cursor *in, nn_error *e)
{
    uint64_t n = r->dims[0], N = p->o->rows;
    size_t rb = nn_row_cursor_row_bytes(in);
    int zsrc = (r->flags & NN_FLAG_ZSTD) != 0;
    if (n && !rb && nn_reader_decode(rd, r, e) < 0)
        return -1; /* no elements, but the frame is checked */
    if (!rb) /* rows of nothing: all in one record (not 2^31 records) */
        N = UINT64_MAX;
    for (uint64_t i = 0; i < n;) {
        if (!t->pending && n - i >= N) { /* a whole chunk from r */
            nn_header h;
            nn_header_from_record(&h, r);
            h.name = t->name;
            h.flags = t->started ? NN_FLAG_CONT |
                                       (r->flags & ~NN_FLAGS_CRITICAL)
                                 : t->ancillary;
            h.attrs = t->started ? NULL : t->attrs;
            h.dims[0] = N;
            t->started = 1;
            if (N == n && nn_row_sink_keeps(p->sink, r)) {
                /* r itself, copied as stored */
                if (nn_row_sink_record(p->sink, rd, r, &h, 0, N, 1, e) < 0)
                    return -1;
                i += N;
                continue;
            }
            uint64_t got;
            const unsigned char *data = nn_row_cursor_take(in, N, &got, e);
            if (!data)
                return -1;
            if (got < N) { /* across pieces: gathered in t->buf */
                if (keep(p, t, data, got, rb, e) < 0 ||
                    hold(p, t, in, N - got, e) < 0)
                    return -1;
                t->pending = 0;
                data = t->buf;
            }
            if (nn_row_sink_put(p->sink, &h, data, zsrc, e) < 0)
                return -1;
            i += N;
            continue;
        }
        uint64_t take = N - t->pending < n - i ? N - t->pending : n - i;
        if (hold(p, t, in, take, e) < 0)
            return -1;
        t->zsrc |= zsrc;
        i += take;
        if (t->pending == N && flush(p, t, e) < 0)
            return -1;
    }
    return 0;
}

static int feed(plan *p, out_tensor *t, nn_reader *rd, const nn_record *r,
                nn_error *e)
{
    nn_row_cursor *in = nn_row_cursor_new(rd, r, e);
    if (!in)
        return -1;
    int rc = feed_rows(p, t, rd, r, in, e);
    nn_row_cursor_free(in);
    return rc;
}

/* Copies input stream number file to the output. */
static int cat(plan *p, size_t file, nn_reader *rd, nn_error *e)
{
    const nn_record *r;
    nn_row_pos pos;
    int rc;
    while ((rc = nn_reader_next_at(rd, &r, &pos, 1, e)) == 1) {
        int join = 0;
        out_tensor *t = pos.first ? place(p, r, file, &join, e)
                                  : find(p, r->name);
        if (!t)
            return -1;
        if (r->rank > 0 && join && r->dims[0] == 0)
            continue; /* adds nothing to the tensor it joins */
        if (p->o->rows && r->rank > 0) {
            if (feed(p, t, rd, r, e) < 0)
                return -1;
            continue;
        }
        nn_header h;
        nn_header_from_record(&h, r);
        if (join) {
            h.flags |= NN_FLAG_CONT;
            h.attrs = NULL;
        }
        if (nn_row_sink_record(p->sink, rd, r, &h, 0, nn_record_rows(r), 1,
                               e) < 0)
            return -1;
    }
    return rc;
}

/* Copies every input in turn, then ends the output tensors. */
static int cat_all(plan *p, nn_error *e)
{
    for (int i = 0; i < p->o->nfiles; i++) {
        nn_reader *rd = nn_reader_open(p->o->files[i], e);
        int rc = rd ? cat(p, (size_t)i, rd, e) : -1;
        nn_reader_close(rd);
        if (rc < 0)
            return -1;
    }
    for (size_t i = 0; i < p->n; i++)
        if (finish(p, p->t[i], e) < 0)
            return -1;
    return 0;
}

/* ---------------------------------------------------- checking the inputs */

/* Reads the headers of the regular file f (input number file) from where
 * it is, seeking past the payloads, and places the tensors they start as
 * cat would, with nothing written: a quick look for the errors that can be
 * found before any output (every header as the reader checks it, payloads
 * that the file does not hold, tensors that cannot be joined), but not
 * the payload checksums.  Leaves f where it was. */
static int check_file(plan *p, FILE *f, size_t file, nn_error *e)
{
    const char *name = file_name(p, file);
    off_t start = ftello(f);
    if (start < 0)
        return nn_fail(e, "%s: %s", name, strerror(errno));
    nn_reader *rd = nn_reader_from_file(f, name, e);
    nn_tensor_tracker *trk = nn_tensor_tracker_new();
    const nn_record *r;
    int rc = rd && trk ? 1 : -1;
    if (rd && !trk)
        nn_fail(e, "out of memory");
    while (rc == 1 && (rc = nn_reader_next_header(rd, &r, e)) == 1) {
        nn_row_pos pos;
        int join;
        if (nn_tensor_track(trk, r, &pos, e) < 0)
            rc = nn_error_wrap(e, "%s", name);
        else if (pos.first && !place(p, r, file, &join, e))
            rc = -1;
    }
    nn_tensor_tracker_free(trk);
    nn_reader_close(rd);
    if (fseeko(f, start, SEEK_SET) != 0 && rc == 0)
        rc = nn_fail(e, "%s: cannot seek back: %s", name, strerror(errno));
    return rc;
}

static int is_regular(FILE *f)
{
    struct stat st;
    return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
}

/* Checks the regular files among the inputs, in order, up to the first
 * that is not (a pipe: what comes after it depends on it).  Validation,
 * not holding: it looks at inputs of any size before anything is
 * written. */
static void check_inputs(const options *o)
{
    plan p = {o, NULL, NULL, 0, 0};
    nn_error e;
    int checking = 1;
    for (int i = 0; i < o->nfiles; i++) {
        int is_stdin = strcmp(o->files[i], "-") == 0;
        FILE *f = is_stdin ? stdin : fopen(o->files[i], "rb");
        if (!f)
            nn_die("%s: %s", o->files[i], strerror(errno));
        if (checking && is_regular(f)) {
            if (check_file(&p, f, (size_t)i, &e) < 0)
                nn_die("%s", e.msg);
        } else {
            checking = 0;
        }
        if (!is_stdin)
            fclose(f);
    }
    plan_free(&p);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-cat");
    options o;
    parse(argc, argv, &o);

    /* nothing is written before the inputs that can be checked are */
    check_inputs(&o);
    plan p = {&o, nn_row_sink_open(o.out, o.store), NULL, 0, 0};
    nn_error e;
    int rc = cat_all(&p, &e);
    plan_free(&p);
    nn_row_sink_finish(p.sink, rc, &e);
    return 0;
}

/* nn_rowset.c — the same rows of several tensors of one stream, in blocks.
 *
 * The reader holds one record at a time, so rows of a tensor that arrive
 * before the matching rows of the others are copied into a per-tensor
 * queue; the rows of the record just read are handed out in place.  In a
 * stream whose tensors alternate chunk by chunk each queue holds about one
 * chunk, and the tensor that completes a round is never copied. */
#include "stream/nn_stream.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Queue capacity kept after it empties; more is given back. */
#define KEEP_CAP ((size_t)64 << 20)

struct follow {
    char name[NN_NAME_MAX + 1];
    int required;
    int seen;                   /* a record of the name has been read */
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK]; /* dims[1..] of a row */
    size_t row_bytes, cols;
    char *attrs;                /* of its first record */
    uint64_t rows_read;
    unsigned char *buf;         /* held rows are buf[head, tail) */
    size_t head, tail, cap;
    uint64_t held_rows;
};

struct pattern {
    char *text;
    int glob;
};

struct nn_rowset {
    nn_reader *r;
    nn_tensor_tracker *trk;
    struct follow *t;
    int n;
    struct pattern *pat;
    int npat;
    int fixed;          /* no tensor joins the set any more */
    int recurred;       /* a followed name has had a second record */
    int started, eof, failed;
    nn_error err;       /* the error that stopped it, repeated to callers */
    /* the rows of the reader's current record not yet handed out */
    int live;
    nn_row_cursor *cur;         /* its rows not handed out yet */
    uint64_t live_avail;        /* of them, those at hand in one piece */
    uint64_t live_index, live_offset;
    uint64_t delivered;
    size_t held, limit;
    int (*other)(const nn_record *r, void *arg, nn_error *e);
    void *other_arg;
};

static int find(const nn_rowset *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return i;
    return -1;
}

static int add_follow(nn_rowset *s, const char *name, int required,
                      nn_error *e)
{
    if (s->n == NN_ROWSET_MAX)
        return nn_fail(e, "%s: more than %d tensors to follow at once "
                       "(at '%s')", nn_reader_name(s->r), NN_ROWSET_MAX, name);
    if (!*name || strlen(name) > NN_NAME_MAX)
        return nn_fail(e, "invalid tensor name '%s'", name);
    struct follow *t = &s->t[s->n++];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->required = required;
    return 0;
}

nn_rowset *nn_rowset_open(nn_reader *r, int n, const char *const *names,
                          nn_error *e)
{
    nn_rowset *s = calloc(1, sizeof *s);
    if (!s || !(s->t = calloc(NN_ROWSET_MAX, sizeof *s->t)) ||
        !(s->trk = nn_tensor_tracker_new())) {
        if (s)
            free(s->t);
        free(s);
        nn_fail(e, "out of memory opening a row set");
        return NULL;
    }
    s->r = r;
    s->live = -1;
    s->limit = NN_ROWSET_LIMIT;
    s->fixed = 1;
    for (int i = 0; i < n; i++)
        if (find(s, names[i]) < 0 && add_follow(s, names[i], 1, e) < 0) {
            nn_rowset_close(s);
            return NULL;
        }
    return s;
}

int nn_rowset_add(nn_rowset *s, const char *name, int glob, nn_error *e)
{
    if (s->started)
        return nn_fail(e, "nn_rowset_add after reading began");
    if (!*name)
        return nn_fail(e, "empty tensor name");
    if (!glob && find(s, name) >= 0)
        return 0;   /* followed already: the set need not stay open */
    struct pattern *p = realloc(s->pat, (size_t)(s->npat + 1) * sizeof *p);
    if (!p)
        return nn_fail(e, "out of memory");
    s->pat = p;
    if (!(p[s->npat].text = strdup(name)))
        return nn_fail(e, "out of memory");
    p[s->npat++].glob = glob;
    s->fixed = 0;
    return 0;
}

void nn_rowset_set_other(nn_rowset *s,
                         int (*fn)(const nn_record *r, void *arg, nn_error *e),
                         void *arg)
{
    s->other = fn;
    s->other_arg = arg;
}

void nn_rowset_set_limit(nn_rowset *s, size_t bytes) { s->limit = bytes; }
uint64_t nn_rowset_row(const nn_rowset *s) { return s->delivered; }
int nn_rowset_count(const nn_rowset *s) { return s->n; }
int nn_rowset_find(const nn_rowset *s, const char *name) { return find(s, name); }

const char *nn_rowset_name(const nn_rowset *s, int i)
{
    return i >= 0 && i < s->n ? s->t[i].name : NULL;
}

const char *nn_rowset_attrs(const nn_rowset *s, int i)
{
    return i >= 0 && i < s->n ? s->t[i].attrs : NULL;
}

void nn_rowset_close(nn_rowset *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        free(s->t[i].attrs);
        free(s->t[i].buf);
    }
    for (int i = 0; i < s->npat; i++)
        free(s->pat[i].text);
    free(s->pat);
    free(s->t);
    nn_tensor_tracker_free(s->trk);
    nn_row_cursor_free(s->cur);
    free(s);
}

static int matches(const nn_rowset *s, const char *name)
{
    for (int i = 0; i < s->npat; i++)
        if (s->pat[i].glob ? fnmatch(s->pat[i].text, name, 0) == 0
                           : strcmp(s->pat[i].text, name) == 0)
            return 1;
    return 0;
}

static const char *bytes_str(char *buf, size_t cap, double b)
{
    if (b >= 1 << 30)
        snprintf(buf, cap, "%.1f GiB", b / (1 << 30));
    else if (b >= 1 << 20)
        snprintf(buf, cap, "%.1f MiB", b / (1 << 20));
    else
        snprintf(buf, cap, "%.0f bytes", b);
    return buf;
}

/* Copies rows of tensor i to the end of its queue. */
static int hold(nn_rowset *s, int i, const unsigned char *data, uint64_t rows,
                nn_error *e)
{
    struct follow *t = &s->t[i];
    size_t bytes = (size_t)rows * t->row_bytes;
    if (bytes > s->limit || s->held > s->limit - bytes) {
        /* the tensor furthest behind is what the others wait for */
        int lag = 0;
        for (int j = 1; j < s->n; j++)
            if (s->t[j].rows_read < s->t[lag].rows_read)
                lag = j;
        char lim[32];
        return nn_fail(e, "%s: record %llu at byte %llu: more than %s of "
                       "rows held while waiting for '%s' (row %llu; '%s' is "
                       "at row %llu): the tensors must be interleaved in "
                       "chunks (nns(5), section 8)", nn_reader_name(s->r),
                       (unsigned long long)s->live_index,
                       (unsigned long long)s->live_offset,
                       bytes_str(lim, sizeof lim, (double)s->limit),
                       s->t[lag].name,
                       (unsigned long long)s->t[lag].rows_read, t->name,
                       (unsigned long long)t->rows_read);
    }
    if (bytes == 0) {
        t->held_rows += rows;
        return 0;
    }
    if (t->tail + bytes > t->cap && t->head > 0) {
        memmove(t->buf, t->buf + t->head, t->tail - t->head);
        t->tail -= t->head;
        t->head = 0;
    }
    /* nn_buf_grow: from 2 MiB up on huge pages, as the reader's payload
     * (a 4 KiB first touch costs tens of microseconds on our VMs: a
     * third of nn-fit-layer --gram's time on 9375 rows from a pipe went
     * to this copy when the queue grew by realloc); the held rows alone
     * are copied */
    if (nn_buf_grow(&t->buf, &t->cap, t->tail, t->tail + bytes) < 0)
        return nn_fail(e, "%s: out of memory holding %zu bytes of '%s'",
                       nn_reader_name(s->r), t->tail + bytes, t->name);
    memcpy(t->buf + t->tail, data, bytes);
    t->tail += bytes;
    t->held_rows += rows;
    s->held += bytes;
    return 0;
}

/* Takes the first record of a name, or checks a later one against it. */
static int take_shape(nn_rowset *s, struct follow *t, const nn_record *rec,
                      nn_error *e)
{
    if (rec->rank == 0)
        return nn_fail(e, "%s: record %llu at byte %llu: '%s' has rank 0: "
                       "rows are needed", nn_reader_name(s->r),
                       (unsigned long long)rec->index,
                       (unsigned long long)rec->offset, rec->name);
    if (!t->seen) {
        t->seen = 1;
        t->dtype = rec->dtype;
        t->rank = rec->rank;
        memcpy(t->dims, rec->dims, sizeof t->dims);
        t->dims[0] = 0;
        t->row_bytes = nn_record_row_bytes(rec);
        t->cols = t->row_bytes / nn_dtype_size(rec->dtype);
        if (!(t->attrs = strdup(rec->attrs)))
            return nn_fail(e, "out of memory");
        return 0;
    }
    int same = t->dtype == rec->dtype && t->rank == rec->rank;
    for (int i = 1; same && i < rec->rank; i++)
        same = t->dims[i] == rec->dims[i];
    if (!same) {
        char a[160], b[160];
        uint64_t d[NN_MAX_RANK];
        memcpy(d, rec->dims, sizeof d);
        d[0] = 0;
        nn_shape_str(a, sizeof a, rec->rank - 1, rec->dims + 1);
        nn_shape_str(b, sizeof b, t->rank - 1, t->dims + 1);
        return nn_fail(e, "%s: record %llu at byte %llu: '%s' has rows of "
                       "%s %s, earlier rows were %s %s", nn_reader_name(s->r),
                       (unsigned long long)rec->index,
                       (unsigned long long)rec->offset, rec->name,
                       nn_dtype_name(rec->dtype), a, nn_dtype_name(t->dtype),
                       b);
    }
    return 0;
}

static int all_required_seen(const nn_rowset *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->t[i].required && !s->t[i].seen)
            return 0;
    return 1;
}

/* Reads the next record: a followed one becomes the live record, another
 * goes to the callback.  Returns 1, 0 at the end, -1 on error. */
static int read_one(nn_rowset *s, nn_error *e)
{
    const nn_record *rec;
    int rc = nn_reader_next_raw(s->r, &rec, e);
    if (rc <= 0)
        return rc;
    nn_row_pos pos;
    if (nn_tensor_track(s->trk, rec, &pos, e) < 0)
        return nn_error_wrap(e, "%s", nn_reader_name(s->r));
    int i = find(s, rec->name);
    if (i < 0 && !s->fixed && rec->rank >= 1 && matches(s, rec->name)) {
        if (add_follow(s, rec->name, 0, e) < 0)
            return -1;
        i = s->n - 1;
    }
    if (i < 0)
        return s->other && s->other(rec, s->other_arg, e) < 0 ? -1 : 1;
    struct follow *t = &s->t[i];
    int again = t->seen;
    if (take_shape(s, t, rec, e) < 0)
        return -1;
    if (again)
        s->recurred = 1;
    if (!s->fixed && s->recurred && all_required_seen(s))
        s->fixed = 1;
    if (rec->dims[0] == 0)
        return 1;
    s->live = i;
    nn_row_cursor_free(s->cur);
    if (!(s->cur = nn_row_cursor_new(s->r, rec, e)))
        return -1;
    s->live_index = rec->index;
    s->live_offset = rec->offset;
    t->rows_read += rec->dims[0];
    return nn_row_cursor_ready(s->cur, &s->live_avail, e) < 0 ? -1 : 1;
}

/* Rows of tensor i that can be handed out in one piece. */
static uint64_t contiguous(const nn_rowset *s, int i)
{
    if (s->t[i].held_rows)
        return s->t[i].held_rows;
    return s->live == i ? s->live_avail : 0;
}

static void describe(const nn_rowset *s, nn_rowblock *b, size_t rows)
{
    b->rows = rows;
    b->n = s->n;
    for (int i = 0; i < s->n; i++) {
        const struct follow *t = &s->t[i];
        b->data[i] = NULL;
        b->dtype[i] = t->dtype;
        b->cols[i] = t->cols;
        b->rank[i] = t->rank;
        memcpy(b->dims[i], t->dims, sizeof t->dims);
        b->dims[i][0] = rows;
    }
}

static int fail(nn_rowset *s, nn_error *e)
{
    s->failed = 1;
    if (e)
        s->err = *e;
    else
        nn_fail(&s->err, "row set: an earlier error");
    return -1;
}

/* At the end of the stream: every tensor must have ended with the same
 * number of rows. */
static int finish(nn_rowset *s, nn_rowblock *b, nn_error *e)
{
    for (int i = 0; i < s->n; i++)
        if (!s->t[i].seen) {
            nn_fail(e, "%s: no tensor named '%s'", nn_reader_name(s->r),
                    s->t[i].name);
            return fail(s, e);
        }
    int lo = 0, hi = 0;
    for (int i = 1; i < s->n; i++) {
        if (s->t[i].rows_read < s->t[lo].rows_read)
            lo = i;
        if (s->t[i].rows_read > s->t[hi].rows_read)
            hi = i;
    }
    if (s->n && s->t[lo].rows_read != s->t[hi].rows_read) {
        nn_fail(e, "%s: '%s' ends after %llu rows, '%s' has %llu",
                nn_reader_name(s->r), s->t[lo].name,
                (unsigned long long)s->t[lo].rows_read, s->t[hi].name,
                (unsigned long long)s->t[hi].rows_read);
        return fail(s, e);
    }
    describe(s, b, 0);
    return 0;
}

int nn_rowset_next(nn_rowset *s, size_t max_rows, nn_rowblock *b, nn_error *e)
{
    static const unsigned char none[8];
    s->started = 1;
    if (s->failed) {
        if (e)
            *e = s->err;
        return -1;
    }
    for (;;) {
        if (s->live >= 0 && !s->live_avail &&
            nn_row_cursor_ready(s->cur, &s->live_avail, e) < 0)
            return fail(s, e);
        if (s->fixed && s->n) {
            uint64_t m = max_rows ? max_rows : UINT64_MAX;
            for (int i = 0; i < s->n && m; i++) {
                uint64_t c = contiguous(s, i);
                m = c < m ? c : m;
            }
            if (m) {
                describe(s, b, (size_t)m);
                for (int i = 0; i < s->n; i++) {
                    struct follow *t = &s->t[i];
                    size_t bytes = (size_t)m * t->row_bytes;
                    if (t->held_rows) {
                        b->data[i] = t->buf ? t->buf + t->head : none;
                        t->head += bytes;
                        t->held_rows -= m;
                        s->held -= bytes;
                        if (!t->held_rows) {
                            t->head = t->tail = 0;
                            /* b->data[i] must stay valid until the next
                             * call: the next hold shrinks the queue */
                            if (t->cap > KEEP_CAP)
                                t->cap = 0;
                        }
                    } else {
                        uint64_t got;
                        b->data[i] = nn_row_cursor_take(s->cur, m, &got, e);
                        if (!b->data[i])
                            return fail(s, e);
                        s->live_avail -= m;
                    }
                }
                s->delivered += m;
                return 1;
            }
        }
        if (s->eof)
            return finish(s, b, e) < 0 ? -1 : 0;
        if (s->live >= 0) { /* hold what is left of it, piece by piece */
            int i = s->live;
            for (;;) {
                uint64_t got;
                const unsigned char *p;
                if (nn_row_cursor_ready(s->cur, &s->live_avail, e) < 0)
                    return fail(s, e);
                if (!s->live_avail)
                    break;
                if (!(p = nn_row_cursor_take(s->cur, s->live_avail, &got,
                                             e)) ||
                    hold(s, i, p, got, e) < 0)
                    return fail(s, e);
            }
            s->live = -1;
        }
        int rc = read_one(s, e);
        if (rc < 0)
            return fail(s, e);
        if (rc == 0)
            s->eof = s->fixed = 1;
    }
}

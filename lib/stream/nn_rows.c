/* nn_rows.c — what the tools that pick, slice, join and split rows share:
 * row ranges, a record's rows read piece by piece, and writing some rows
 * of a record (copied verbatim when it is kept whole). */
#include "stream/nn_stream.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ row ranges */

/* Parses one part of a range: empty gives dflt. */
static int range_part(const char *s, size_t n, uint64_t dflt, uint64_t *out)
{
    if (n == 0) {
        *out = dflt;
        return 0;
    }
    char buf[32];
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return nn_parse_u64(buf, out);
}

int nn_range_parse(const char *s, nn_range *rg, nn_error *e)
{
    if (!s || !*s)
        return nn_fail(e, "empty RANGE (START:STOP[:STEP])");
    if (strchr(s, '-'))
        return nn_fail(e, "invalid RANGE '%s': negative indices are not "
                       "supported (rows are counted as they stream)", s);
    const char *c1 = strchr(s, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 && strchr(c2 + 1, ':'))
        return nn_fail(e, "invalid RANGE '%s' (START:STOP[:STEP])", s);
    if (!c1) { /* a single row */
        if (nn_parse_u64(s, &rg->start) < 0)
            return nn_fail(e, "invalid RANGE '%s' (START:STOP[:STEP])", s);
        rg->stop = rg->start == UINT64_MAX ? UINT64_MAX : rg->start + 1;
        rg->step = 1;
        return 0;
    }
    const char *end = s + strlen(s);
    if (range_part(s, (size_t)(c1 - s), 0, &rg->start) < 0 ||
        range_part(c1 + 1, (size_t)((c2 ? c2 : end) - c1 - 1), UINT64_MAX,
                   &rg->stop) < 0 ||
        range_part(c2 ? c2 + 1 : end, c2 ? (size_t)(end - c2 - 1) : 0, 1,
                   &rg->step) < 0)
        return nn_fail(e, "invalid RANGE '%s' (START:STOP[:STEP])", s);
    if (rg->step == 0)
        return nn_fail(e, "invalid RANGE '%s': STEP must be 1 or more", s);
    return 0;
}

uint64_t nn_range_within(const nn_range *rg, uint64_t row, uint64_t n,
                         uint64_t *first)
{
    uint64_t end = n > UINT64_MAX - row ? UINT64_MAX : row + n;
    uint64_t lo = row > rg->start ? row : rg->start;
    uint64_t hi = end < rg->stop ? end : rg->stop;
    *first = 0;
    if (lo >= hi)
        return 0;
    uint64_t off = (lo - rg->start) % rg->step;
    if (off) { /* up to the next row of the range */
        if (rg->step - off >= hi - lo)
            return 0;
        lo += rg->step - off;
    }
    *first = lo - row;
    return (hi - 1 - lo) / rg->step + 1;
}

/* ----------------------------------------------------------- row cursor */

struct nn_row_cursor {
    nn_reader *rd;
    const nn_record *r;
    size_t rb;                  /* bytes per row */
    uint64_t row;               /* the next row */
    const unsigned char *p;     /* where it is, in the current piece */
    uint64_t left;              /* rows from it to the end of the piece */
};

static void cursor_init(nn_row_cursor *c, nn_reader *rd, const nn_record *r)
{
    *c = (nn_row_cursor){rd, r, nn_record_row_bytes(r), 0, NULL, 0};
}

nn_row_cursor *nn_row_cursor_new(nn_reader *rd, const nn_record *rec,
                                 nn_error *e)
{
    nn_row_cursor *c = malloc(sizeof *c);
    if (!c) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    cursor_init(c, rd, rec);
    return c;
}

size_t nn_row_cursor_row_bytes(const nn_row_cursor *c) { return c->rb; }

void nn_row_cursor_free(nn_row_cursor *c) { free(c); }

int nn_row_cursor_ready(nn_row_cursor *c, uint64_t *avail, nn_error *e)
{
    uint64_t total = c->r->rank ? c->r->dims[0] : 1;
    if (!c->rb) { /* rows of width 0: nothing to decode */
        *avail = total - c->row;
        return 0;
    }
    if (!c->left && c->row < total) {
        /* stored rows are handed out in place, all at once; compressed
         * ones decoded near NN_CHUNK_BYTES at a time (the size this
         * project's writers give a record: one piece) */
        size_t max = c->r->flags & NN_FLAG_ZSTD ? nn_chunk_rows(c->rb) * c->rb
                                                : c->r->nbytes;
        const void *p;
        size_t n;
        int rc = nn_reader_piece(c->rd, c->r, max, &p, &n, e);
        if (rc == 0 || (rc == 1 && n % c->rb))
            return nn_fail(e, "%s: record %llu: '%s' ended before row %llu",
                           nn_reader_name(c->rd),
                           (unsigned long long)c->r->index, c->r->name,
                           (unsigned long long)c->row);
        if (rc < 0)
            return -1;
        c->p = p;
        c->left = n / c->rb;
    }
    *avail = c->left;
    return 0;
}

const unsigned char *nn_row_cursor_take(nn_row_cursor *c, uint64_t want,
                                        uint64_t *got, nn_error *e)
{
    uint64_t avail;
    if (nn_row_cursor_ready(c, &avail, e) < 0)
        return NULL;
    if (!avail) {
        nn_fail(e, "%s: record %llu: '%s' ended before row %llu",
                nn_reader_name(c->rd), (unsigned long long)c->r->index,
                c->r->name, (unsigned long long)c->row);
        return NULL;
    }
    uint64_t k = want < avail ? want : avail;
    const unsigned char *at = c->rb ? c->p : (const unsigned char *)"";
    if (c->rb) {
        c->p += k * c->rb;
        c->left -= k;
    }
    c->row += k;
    *got = k;
    return at;
}

/* Moves the cursor on to row `to` (not before it). */
static int cursor_seek(nn_row_cursor *c, uint64_t to, nn_error *e)
{
    uint64_t got;
    while (c->row < to)
        if (!nn_row_cursor_take(c, to - c->row, &got, e))
            return -1;
    return 0;
}

/* --------------------------------------------------------- writing rows */

void nn_header_from_record(nn_header *h, const nn_record *r)
{
    h->name = r->name;
    h->dtype = r->dtype;
    h->rank = r->rank;
    memcpy(h->dims, r->dims, sizeof h->dims);
    h->flags = r->flags & ~NN_FLAG_ZSTD;
    h->attrs = r->attrs;
}

/* Whether h describes r exactly (then r can be copied byte for byte). */
static int same_header(const nn_record *r, const nn_header *h)
{
    const char *a = h->attrs ? h->attrs : "";
    if (h->dtype != r->dtype || h->rank != r->rank ||
        h->flags != (r->flags & ~NN_FLAG_ZSTD) || strcmp(h->name, r->name) ||
        (a != r->attrs && strcmp(a, r->attrs)))
        return 0;
    for (int i = 0; i < r->rank; i++)
        if (h->dims[i] != r->dims[i])
            return 0;
    return 1;
}

struct nn_row_sink {
    nn_writer *w;
    int store;
    unsigned char *scratch;
    size_t scratch_cap;
};

nn_row_sink *nn_row_sink_new(nn_writer *w, int store, nn_error *e)
{
    nn_row_sink *s = calloc(1, sizeof *s);
    if (!s) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    s->w = w;
    s->store = store;
    return s;
}

nn_writer *nn_row_sink_writer(const nn_row_sink *s) { return s->w; }

int nn_row_sink_keeps(const nn_row_sink *s, const nn_record *r)
{
    return s->store == NN_STORE_KEEP ||
           (s->store == NN_STORE_RAW && !(r->flags & NN_FLAG_ZSTD));
}

int nn_row_sink_put(nn_row_sink *s, const nn_header *h, const void *data,
                    int from_zstd, nn_error *e)
{
    int level = s->store > 0 ? s->store
              : s->store == NN_STORE_KEEP && from_zstd ? 3 : 0;
    nn_writer_set_compression(s->w, level);
    return nn_writer_put(s->w, h, data ? data : "", e);
}

/* Rows written anew go out as one record up to this size, as they always
 * did; more as a tensor of chunks of near NN_CHUNK_BYTES, so that a record
 * of any size costs no more memory than this. */
#define REWRITE_WHOLE_MAX ((uint64_t)16 << 20)

int nn_row_sink_record(nn_row_sink *s, nn_reader *rd, const nn_record *r,
                       const nn_header *h, uint64_t first, uint64_t count,
                       uint64_t step, nn_error *e)
{
    uint64_t rows = nn_record_rows(r);
    if (step == 0)
        step = 1;
    if (count && (first >= rows || (count - 1) > (rows - 1 - first) / step))
        return nn_fail(e, "record '%s': rows %llu+%llu*%llu are not in its "
                       "%llu rows", r->name, (unsigned long long)first,
                       (unsigned long long)count, (unsigned long long)step,
                       (unsigned long long)rows);
    if (r->rank == 0 && count != 1)
        return nn_fail(e, "record '%s' of rank 0 is one row", r->name);
    nn_header o = *h;
    if (o.rank > 0)
        o.dims[0] = count;
    int whole = first == 0 && count == rows;
    int zsrc = (r->flags & NN_FLAG_ZSTD) != 0;
    if (whole && nn_row_sink_keeps(s, r)) {
        if (same_header(r, &o))
            return nn_writer_copy(s->w, r, e);
        return nn_writer_copy_as(s->w, r, &o, e);
    }
    size_t rb = nn_record_row_bytes(r);
    if (!count || !rb) { /* no elements (decoding checks the frame) */
        if (r->nbytes == 0 && nn_reader_decode(rd, r, e) < 0)
            return -1;
        return nn_row_sink_put(s, &o, NULL, zsrc, e);
    }
    /* rows per record written; count * rb is within the record's bytes */
    uint64_t per = count * rb <= REWRITE_WHOLE_MAX ? count : nn_chunk_rows(rb);
    if (per > count)
        per = count;
    nn_row_cursor c;
    cursor_init(&c, rd, r);
    for (uint64_t i = 0; i < count;) {
        uint64_t k = count - i < per ? count - i : per, got = 0;
        const unsigned char *data = NULL, *p;
        if (step == 1) {
            if (cursor_seek(&c, first + i, e) < 0 ||
                !(data = nn_row_cursor_take(&c, k, &got, e)))
                return -1;
        }
        if (step > 1 || got < k) { /* gathered into the scratch space */
            if (nn_buf_reserve(&s->scratch, &s->scratch_cap, k * rb) < 0)
                return nn_fail(e, "out of memory slicing '%s'", r->name);
            uint64_t j = 0;
            if (step == 1) { /* the rows taken already */
                memcpy(s->scratch, data, got * rb);
                j = got;
            }
            for (; j < k; j += got) {
                if (cursor_seek(&c, first + (i + j) * step, e) < 0 ||
                    !(p = nn_row_cursor_take(&c, step == 1 ? k - j : 1, &got, e)))
                    return -1;
                memcpy(s->scratch + j * rb, p, got * rb);
            }
            data = s->scratch;
        }
        nn_header oc = o;
        if (oc.rank > 0)
            oc.dims[0] = k;
        if (i > 0) { /* the chunks after the first continue it */
            oc.flags |= NN_FLAG_CONT;
            oc.attrs = NULL;
        }
        if (nn_row_sink_put(s, &oc, data, zsrc, e) < 0)
            return -1;
        i += k;
    }
    return 0;
}

void nn_row_sink_free(nn_row_sink *s)
{
    if (!s)
        return;
    free(s->scratch);
    free(s);
}

/* nn_rows.c — what the tools that pick, slice, join and split rows share:
 * row ranges, the rows of each tensor across its chunks, writing some rows
 * of a record (copied verbatim when it is kept whole), and a fast look at
 * the headers of a file before any output is written. */
#include "nn.h"
#include "nn_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include <zstd.h>

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

/* ------------------------------------------------------- rows of tensors */

struct row_open {
    char name[NN_NAME_MAX + 1];
    uint64_t tensor, rows;
};

struct nn_row_tracker {
    nn_tensor_tracker *check;   /* validates the chunks */
    struct row_open *open;      /* the latest tensor of each name */
    size_t n, cap;
    uint64_t tensors;
};

nn_row_tracker *nn_row_tracker_new(void)
{
    nn_row_tracker *t = calloc(1, sizeof *t);
    if (t && !(t->check = nn_tensor_tracker_new())) {
        free(t);
        t = NULL;
    }
    return t;
}

void nn_row_tracker_free(nn_row_tracker *t)
{
    if (!t)
        return;
    nn_tensor_tracker_free(t->check);
    free(t->open);
    free(t);
}

int nn_row_track(nn_row_tracker *t, const nn_record *r, nn_row_pos *pos,
                 nn_error *e)
{
    int first;
    if (nn_tensor_track(t->check, r, &first, e) < 0)
        return -1;
    struct row_open *o = NULL;
    for (size_t i = 0; i < t->n && !o; i++)
        if (strcmp(t->open[i].name, r->name) == 0)
            o = &t->open[i];
    if (first) {
        if (!o) {
            if (t->n == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 8;
                struct row_open *no = realloc(t->open, cap * sizeof *no);
                if (!no)
                    return nn_fail(e, "out of memory tracking tensors");
                t->open = no;
                t->cap = cap;
            }
            o = &t->open[t->n++];
            strcpy(o->name, r->name);
        }
        o->tensor = t->tensors++;
        o->rows = 0;
    }
    /* nn_tensor_track guarantees an open tensor for a chunk */
    pos->first = first;
    pos->tensor = o->tensor;
    pos->row = o->rows;
    o->rows += nn_record_rows(r);
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

int nn_reader_decode(nn_reader *rd, const nn_record *r, nn_error *e)
{
    if (r->data)
        return 0;
    if (!rd)
        return nn_fail(e, "record '%s': elements not read", r->name);
    /* the reader hands out the same record again, decoded this time */
    const nn_record *d;
    nn_reader_unread(rd);
    int rc = nn_reader_next(rd, &d, e);
    if (rc == 1 && d != r)
        return nn_fail(e, "record '%s' is not the last one read", r->name);
    return rc == 1 ? 0 : -1;
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

int nn_row_sink_put(nn_row_sink *s, const nn_header *h, const void *data,
                    int from_zstd, nn_error *e)
{
    int level = s->store > 0 ? s->store
              : s->store == NN_STORE_KEEP && from_zstd ? 3 : 0;
    nn_writer_set_compression(s->w, level);
    return nn_writer_put(s->w, h, data ? data : "", e);
}

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
    if (whole && (s->store == NN_STORE_KEEP ||
                  (s->store == NN_STORE_RAW && !zsrc))) {
        if (same_header(r, &o))
            return nn_writer_copy(s->w, r, e);
        return nn_writer_copy_as(s->w, r, &o, e);
    }
    const unsigned char *data = NULL;
    if (count) {
        if (nn_reader_decode(rd, r, e) < 0)
            return -1;
        size_t rb = nn_record_row_bytes(r);
        data = (const unsigned char *)r->data + first * rb;
        if (step > 1 && count > 1) { /* gather the rows */
            if (count * rb > s->scratch_cap) {
                unsigned char *b = realloc(s->scratch, count * rb);
                if (!b)
                    return nn_fail(e, "out of memory slicing '%s'", r->name);
                s->scratch = b;
                s->scratch_cap = count * rb;
            }
            for (uint64_t i = 0; i < count; i++)
                memcpy(s->scratch + i * rb, data + i * step * rb, rb);
            data = s->scratch;
        }
    }
    return nn_row_sink_put(s, &o, data, zsrc, e);
}

void nn_row_sink_free(nn_row_sink *s)
{
    free(s->scratch);
    s->scratch = NULL;
    s->scratch_cap = 0;
}

/* ------------------------------------------------------- header scanning */

static int scan_bad(nn_error *e, const char *name, uint64_t index,
                    uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int scan_bad(nn_error *e, const char *name, uint64_t index,
                    uint64_t at, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return nn_fail(e, "%s: record %llu at byte %llu: %s", name,
                   (unsigned long long)index, (unsigned long long)at, what);
}

int nn_file_is_regular(FILE *f)
{
    struct stat st;
    return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
}

/* The checks of nn_reader.c's read_record on one header h of hlen bytes
 * (the fixed part already checked), filling rec.  Returns 0 or -1. */
static int scan_header(unsigned char *h, size_t hlen, nn_record *rec,
                       const char *name, uint64_t index, uint64_t at,
                       nn_error *e)
{
    int rank = h[7];
    rec->dtype = h[6];
    uint64_t want_hh = le64(h + 32);
    memset(h + 32, 0, 8);
    uint64_t hh = XXH64(h, hlen, 0);
    put64(h + 32, want_hh);
    if (hh != want_hh)
        return scan_bad(e, name, index, at,
                        "header checksum mismatch (corrupt header)");
    size_t name_len = le16(h + 40), attr_len = le32(h + 44);
    size_t name_at = NN_FIXED_HEADER + 8u * rank;
    if (name_len == 0 || name_len > NN_NAME_MAX)
        return scan_bad(e, name, index, at, "invalid name length %zu",
                        name_len);
    if (attr_len > NN_ATTRS_MAX || name_at + name_len + attr_len > hlen)
        return scan_bad(e, name, index, at,
                        "name and attributes overrun the header");
    for (size_t i = 0; i < name_len; i++) {
        unsigned char c = h[name_at + i];
        if (c == 0 || c == '\n' || c == '=')
            return scan_bad(e, name, index, at,
                            "invalid character in the record name");
    }
    const char *attrs = (const char *)h + name_at + name_len;
    if (memchr(attrs, 0, attr_len))
        return scan_bad(e, name, index, at, "attributes contain a NUL byte");
    uint64_t nelem = 1;
    for (int i = 0; i < rank; i++)
        rec->dims[i] = le64(h + NN_FIXED_HEADER + 8 * i);
    for (int i = rank; i < NN_MAX_RANK; i++)
        rec->dims[i] = 0;
    char s[200];
    for (int i = 0; i < rank; i++) {
        uint64_t d = rec->dims[i];
        if (d && nelem > UINT64_MAX / d)
            return scan_bad(e, name, index, at,
                            "shape %s has more elements than 2^64",
                            nn_shape_str(s, sizeof s, rank, rec->dims));
        nelem *= d;
    }
    size_t esize = nn_dtype_size(h[6]);
    if (nelem > NN_RECORD_MAX / esize)
        return scan_bad(e, name, index, at, "shape %s of %s is %llu "
                        "elements, over the limit of %llu bytes per record",
                        nn_shape_str(s, sizeof s, rank, rec->dims),
                        nn_dtype_name(h[6]), (unsigned long long)nelem,
                        (unsigned long long)NN_RECORD_MAX);
    size_t nbytes = nelem * esize;
    uint32_t flags = le32(h + 12);
    uint64_t plen = le64(h + 16);
    if (flags & NN_FLAG_ZSTD) {
        if (plen == 0 || plen > ZSTD_compressBound(nbytes))
            return scan_bad(e, name, index, at, "compressed payload length "
                            "%llu is impossible for %zu raw bytes",
                            (unsigned long long)plen, nbytes);
    } else if (plen != nbytes) {
        return scan_bad(e, name, index, at, "payload length %llu does not "
                        "match the shape (%zu bytes)",
                        (unsigned long long)plen, nbytes);
    }
    memcpy(rec->name, h + name_at, name_len);
    rec->name[name_len] = 0;
    /* the attributes end where the padding starts: terminate them there */
    memmove(h, attrs, attr_len);
    h[attr_len] = 0;
    rec->attrs = (const char *)h;
    rec->attrs_len = attr_len;
    rec->rank = rank;
    rec->flags = flags;
    rec->nelem = nelem;
    rec->nbytes = nbytes;
    rec->raw_payload_len = plen;
    return 0;
}

int nn_stream_scan(FILE *f, const char *name, nn_scan_fn fn, void *arg,
                   nn_error *e)
{
    struct stat st;
    off_t start = ftello(f);
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || start < 0)
        return nn_fail(e, "%s: not a regular file", name);
    uint64_t size = st.st_size > start ? (uint64_t)(st.st_size - start) : 0;
    uint64_t at = 0;
    unsigned char *h = malloc(NN_HEADER_MAX + 1);
    nn_record *rec = calloc(1, sizeof *rec);
    int rc = 0;
    if (!h || !rec)
        rc = nn_fail(e, "out of memory");
    for (uint64_t index = 0; rc == 0 && at < size; index++) {
        if (size - at < NN_FIXED_HEADER) {
            rc = scan_bad(e, name, index, at, "truncated record header (got "
                          "%llu of %d bytes)", (unsigned long long)(size - at),
                          NN_FIXED_HEADER);
            break;
        }
        if (fseeko(f, start + (off_t)at, SEEK_SET) != 0 ||
            fread(h, 1, NN_FIXED_HEADER, f) != NN_FIXED_HEADER) {
            rc = scan_bad(e, name, index, at, "read error: %s",
                          strerror(errno));
            break;
        }
        int dtype = h[6], rank = h[7];
        size_t hlen = le32(h + 8);
        uint32_t flags = le32(h + 12);
        if (memcmp(h, nn_magic, 4) != 0)
            rc = scan_bad(e, name, index, at, "bad magic: not an NNS stream%s",
                          h[0] == 0x1f && h[1] == 0x8b ? " (gzip data?)" :
                          h[0] == 0x28 && h[1] == 0xb5 ? " (zstd data?)" : "");
        else if (h[4] != NN_MAJOR)
            rc = scan_bad(e, name, index, at, "unknown format version %d.%d "
                          "(this reader knows %d.x)", h[4], h[5], NN_MAJOR);
        else if (!nn_dtype_size(dtype))
            rc = scan_bad(e, name, index, at, "unknown dtype code %d", dtype);
        else if (rank > NN_MAX_RANK)
            rc = scan_bad(e, name, index, at, "rank %d exceeds the maximum "
                          "of %d", rank, NN_MAX_RANK);
        else if (flags & NN_FLAGS_CRITICAL & ~(NN_FLAG_ZSTD | NN_FLAG_CONT))
            rc = scan_bad(e, name, index, at, "unknown critical flags 0x%x",
                          flags & NN_FLAGS_CRITICAL);
        else if ((flags & NN_FLAG_CONT) && rank == 0)
            rc = scan_bad(e, name, index, at,
                          "a chunk (CONT) must have rank 1 or more");
        else if (hlen % 8 || hlen < NN_FIXED_HEADER + 8u * rank + 1 ||
                 hlen > NN_HEADER_MAX)
            rc = scan_bad(e, name, index, at, "invalid header length %zu",
                          hlen);
        else if (hlen > size - at)
            rc = scan_bad(e, name, index, at, "truncated record header (got "
                          "%llu of %zu bytes)",
                          (unsigned long long)(size - at), hlen);
        else if (fread(h + NN_FIXED_HEADER, 1, hlen - NN_FIXED_HEADER, f) !=
                 hlen - NN_FIXED_HEADER)
            rc = scan_bad(e, name, index, at, "read error: %s",
                          strerror(errno));
        if (rc < 0)
            break;
        if (scan_header(h, hlen, rec, name, index, at, e) < 0) {
            rc = -1;
            break;
        }
        uint64_t plen = rec->raw_payload_len;
        if (plen > size - at - hlen) {
            rc = scan_bad(e, name, index, at, "truncated payload (got %llu "
                          "of %llu bytes)",
                          (unsigned long long)(size - at - hlen),
                          (unsigned long long)plen);
            break;
        }
        rec->index = index;
        rec->offset = at;
        rec->raw_header_len = hlen;
        rc = fn(rec, arg, e);
        at += hlen + plen;
    }
    if (fseeko(f, start, SEEK_SET) != 0 && rc == 0)
        rc = nn_fail(e, "%s: cannot seek back: %s", name, strerror(errno));
    free(h);
    free(rec);
    return rc;
}

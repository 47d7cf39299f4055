/* nn_writer.c — writes NNS records (formats/nns.md).
 *
 * Output to a regular file goes to a temporary name beside it and is
 * renamed only when the tool closes the writer successfully, so a failing
 * tool never leaves a half-written file under the name the user asked for;
 * a device or FIFO is written through (nn_output.c).
 *
 * Output goes through the writer's own 1 MiB buffer.  If the process dies
 * before the writer is closed, what is buffered is dropped: a tool that
 * fails early leaves stdout empty; one that fails after records went out
 * leaves a regular file cut back to where its output began, and a pipe a
 * stream marked as truncated (nn_output.c). */
#include "stream/nn_stream.h"
#include "base/nn_base_private.h"
#include "stream/nn_stream_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

struct open_name {
    char name[NN_NAME_MAX + 1];
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK];
};

#define OBUF ((size_t)1 << 20)

struct nn_writer {
    int fd;
    unsigned char *obuf; /* output not yet written to fd */
    size_t olen, ocap;
    size_t hold;       /* holding output back: at most this many bytes */
    uint64_t flushed;  /* bytes that reached fd */
    char *path;        /* final name, NULL for stdout */
    char *tmp;         /* temporary name */
    uint64_t offset;
    int level;
    int failed;
    ZSTD_CCtx *cctx;
    unsigned char *hdr;
    size_t hdr_cap;
    unsigned char *buf; /* compressed or byte-swapped payload */
    size_t buf_cap;
    struct open_name *open; /* tensors being written by nn_writer_rows */
    size_t nopen, open_cap;
};

nn_writer *nn_writer_open(const char *path, int force, nn_error *e)
{
    nn_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->obuf = malloc(OBUF))) {
        free(w);
        nn_fail(e, "out of memory");
        return NULL;
    }
    w->ocap = OBUF;
    if (!path || strcmp(path, "-") == 0) {
        if (!force && isatty(STDOUT_FILENO)) {
            nn_fail(e, "refusing to write binary data to a terminal "
                    "(redirect stdout or use -o FILE)");
            free(w->obuf);
            free(w);
            return NULL;
        }
        fflush(stdout);
        w->fd = STDOUT_FILENO;
        nn_guard_output(w->fd, &w->flushed);
        return w;
    }
    if (!(w->path = strdup(path)) || (w->fd = nn_tmp_create(path, &w->tmp, e)) < 0) {
        if (!w->path)
            nn_fail(e, "out of memory");
        free(w->path);
        free(w->obuf);
        free(w);
        return NULL;
    }
    if (!w->tmp) /* a device, FIFO or descriptor, written through */
        nn_guard_output(w->fd, &w->flushed);
    return w;
}

void nn_writer_set_compression(nn_writer *w, int level) { w->level = level; }
uint64_t nn_writer_offset(const nn_writer *w) { return w->offset; }

static int write_all(nn_writer *w, const unsigned char *p, size_t n,
                     nn_error *e)
{
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->failed = 1;
            return nn_fail(e, "write error on %s: %s",
                           w->path ? w->path : "standard output",
                           k < 0 ? strerror(errno) : "no progress");
        }
        p += k;
        n -= (size_t)k;
        w->flushed += (uint64_t)k;
    }
    return 0;
}

static int flush_obuf(nn_writer *w, nn_error *e)
{
    size_t n = w->olen;
    w->olen = 0;
    return write_all(w, w->obuf, n, e);
}

void nn_writer_hold(nn_writer *w, size_t bytes)
{
    w->hold = bytes ? bytes : NN_HOLD_DEFAULT;
}

int nn_writer_release(nn_writer *w, nn_error *e)
{
    if (!w->hold)
        return 0;
    w->hold = 0;
    if (w->failed)
        return nn_fail(e, "write error on %s: an earlier write failed",
                       w->path ? w->path : "standard output");
    return flush_obuf(w, e);
}

int nn_writer_holding(const nn_writer *w) { return w->hold != 0; }

/* Buffers small pieces; large payloads go straight to the descriptor.
 * While holding, everything is buffered, up to the hold. */
static int out(nn_writer *w, const void *p, size_t n, nn_error *e)
{
    if (w->failed)
        return nn_fail(e, "write error on %s: an earlier write failed",
                       w->path ? w->path : "standard output");
    if (w->hold && n <= w->hold - w->olen) {
        if (nn_buf_reserve(&w->obuf, &w->ocap, w->olen + n) == 0) {
            memcpy(w->obuf + w->olen, p, n);
            w->olen += n;
            w->offset += n;
            return 0;
        }
    }
    if (w->hold && nn_writer_release(w, e) < 0) /* past the hold */
        return -1;
    if (w->olen + n > OBUF && flush_obuf(w, e) < 0)
        return -1;
    if (n >= OBUF / 2) { /* what is buffered goes first */
        if (flush_obuf(w, e) < 0 || write_all(w, p, n, e) < 0)
            return -1;
    } else {
        memcpy(w->obuf + w->olen, p, n);
        w->olen += n;
    }
    w->offset += n;
    return 0;
}

/* Builds the header for h with the given stored payload length and hash. */
static int build_header(nn_writer *w, const nn_header *h, uint32_t flags,
                        uint64_t plen, uint64_t phash, size_t *hlen_out,
                        nn_error *e)
{
    size_t name_len = h->name ? strlen(h->name) : 0;
    size_t attr_len = h->attrs ? strlen(h->attrs) : 0;
    if (!h->name || !nn_name_valid(h->name, name_len))
        return nn_fail(e, "invalid record name '%s'", h->name ? h->name : "");
    if (!nn_attrs_valid(h->attrs ? h->attrs : "", attr_len))
        return nn_fail(e, "invalid attributes for record '%s'", h->name);
    if (!nn_dtype_size(h->dtype) || h->rank < 0 || h->rank > NN_MAX_RANK)
        return nn_fail(e, "invalid dtype or rank for record '%s'", h->name);
    size_t at = NN_FIXED_HEADER + 8u * h->rank;
    size_t hlen = nn_round8(at + name_len + attr_len);
    if (nn_buf_reserve(&w->hdr, &w->hdr_cap, hlen) < 0)
        return nn_fail(e, "out of memory");
    unsigned char *p = w->hdr;
    memset(p, 0, hlen);
    memcpy(p, nn_magic, 4);
    p[4] = NN_MAJOR;
    p[5] = NN_MINOR;
    p[6] = (unsigned char)h->dtype;
    p[7] = (unsigned char)h->rank;
    put32(p + 8, (uint32_t)hlen);
    put32(p + 12, flags);
    put64(p + 16, plen);
    put64(p + 24, phash);
    put16(p + 40, (uint16_t)name_len);
    put32(p + 44, (uint32_t)attr_len);
    for (int i = 0; i < h->rank; i++)
        put64(p + NN_FIXED_HEADER + 8 * i, h->dims[i]);
    memcpy(p + at, h->name, name_len);
    if (attr_len)
        memcpy(p + at + name_len, h->attrs, attr_len);
    put64(p + 32, XXH3_64bits(p, hlen));
    *hlen_out = hlen;
    return 0;
}

int nn_writer_put(nn_writer *w, const nn_header *h, const void *data,
                  nn_error *e)
{
    if (h->rank < 0 || h->rank > NN_MAX_RANK || !nn_dtype_size(h->dtype))
        return nn_fail(e, "invalid dtype or rank for record '%s'", h->name);
    size_t esize = nn_dtype_size(h->dtype);
    uint64_t nelem;
    if (nn_shape_check(h->rank, h->dims, esize, &nelem, e) < 0)
        return nn_error_wrap(e, "record '%s'", h->name);
    size_t nbytes = nelem * esize;
    const unsigned char *payload = data;
    if (!NN_HOST_LE && esize > 1) {
        if (nn_buf_reserve(&w->buf, &w->buf_cap, nbytes) < 0)
            return nn_fail(e, "out of memory");
        memcpy(w->buf, data, nbytes);
        nn_bswap(w->buf, nelem, esize);
        payload = w->buf;
    }
    uint32_t flags = h->flags & ~NN_FLAG_ZSTD;
    size_t plen = nbytes;
    if (w->level > 0 && nbytes > 0) {
        size_t bound = ZSTD_compressBound(nbytes);
        unsigned char *src = (unsigned char *)payload;
        size_t off = 0;
        if (payload == w->buf) { /* keep the swapped copy, compress after it */
            off = nn_round8(nbytes);
        }
        if (nn_buf_reserve(&w->buf, &w->buf_cap, off + bound) < 0)
            return nn_fail(e, "out of memory");
        if (payload != data)
            src = w->buf;
        if (!w->cctx && !(w->cctx = ZSTD_createCCtx()))
            return nn_fail(e, "out of memory");
        size_t c = ZSTD_compressCCtx(w->cctx, w->buf + off, bound, src,
                                     nbytes, w->level);
        if (ZSTD_isError(c))
            return nn_fail(e, "zstd: %s", ZSTD_getErrorName(c));
        if (c < nbytes) {
            payload = w->buf + off;
            plen = c;
            flags |= NN_FLAG_ZSTD;
        }
    }
    size_t hlen;
    if (build_header(w, h, flags, plen, XXH3_64bits(payload, plen), &hlen, e) < 0)
        return -1;
    if (out(w, w->hdr, hlen, e) < 0 || out(w, payload, plen, e) < 0)
        return -1;
    return 0;
}

int nn_writer_copy(nn_writer *w, const nn_record *r, nn_error *e)
{
    if (!r->raw_header)
        return nn_fail(e, "record '%s' has no stored bytes to copy", r->name);
    if (out(w, r->raw_header, r->raw_header_len, e) < 0 ||
        out(w, r->raw_payload, r->raw_payload_len, e) < 0)
        return -1;
    return 0;
}

int nn_writer_copy_as(nn_writer *w, const nn_record *r, const nn_header *h,
                      nn_error *e)
{
    if (!r->raw_header)
        return nn_fail(e, "record '%s' has no stored bytes to copy", r->name);
    uint64_t nelem;
    if (h->rank < 0 || h->rank > NN_MAX_RANK ||
        nn_shape_check(h->rank, h->dims, nn_dtype_size(r->dtype), &nelem, e) < 0)
        return nn_fail(e, "record '%s': invalid new shape", r->name);
    if (h->dtype != r->dtype || nelem != r->nelem)
        return nn_fail(e, "record '%s': a new header must describe the same "
                       "elements", r->name);
    uint32_t flags = (h->flags & ~NN_FLAG_ZSTD) | (r->flags & NN_FLAG_ZSTD);
    size_t hlen;
    if (build_header(w, h, flags, r->raw_payload_len, le64(r->raw_header + 24),
                     &hlen, e) < 0)
        return -1;
    if (out(w, w->hdr, hlen, e) < 0 ||
        out(w, r->raw_payload, r->raw_payload_len, e) < 0)
        return -1;
    return 0;
}

static struct open_name *find_open(nn_writer *w, const char *name)
{
    for (size_t i = 0; i < w->nopen; i++)
        if (strcmp(w->open[i].name, name) == 0)
            return &w->open[i];
    return NULL;
}

int nn_writer_rows(nn_writer *w, const nn_header *h, const void *data,
                   nn_error *e)
{
    if (h->rank < 1)
        return nn_fail(e, "record '%s': rows need rank 1 or more", h->name);
    if (!h->name || strlen(h->name) > NN_NAME_MAX)
        return nn_fail(e, "invalid record name");
    struct open_name *o = find_open(w, h->name);
    int cont = o && o->dtype == h->dtype && o->rank == h->rank;
    for (int i = 1; cont && i < h->rank; i++)
        cont = o->dims[i] == h->dims[i];
    nn_header hh = *h;
    if (cont) {
        hh.flags |= NN_FLAG_CONT;
        hh.attrs = NULL;
    } else {
        hh.flags &= ~NN_FLAG_CONT;
        if (!o) {
            if (w->nopen == w->open_cap) {
                size_t c = w->open_cap ? 2 * w->open_cap : 4;
                struct open_name *n = realloc(w->open, c * sizeof *n);
                if (!n)
                    return nn_fail(e, "out of memory");
                w->open = n;
                w->open_cap = c;
            }
            o = &w->open[w->nopen++];
            strcpy(o->name, h->name);
        }
        o->dtype = h->dtype;
        o->rank = h->rank;
        memcpy(o->dims, h->dims, sizeof o->dims);
    }
    return nn_writer_put(w, &hh, data, e);
}

void nn_writer_end_tensor(nn_writer *w, const char *name)
{
    struct open_name *o = find_open(w, name);
    if (o)
        *o = w->open[--w->nopen];
}

size_t nn_chunk_rows(size_t row_bytes)
{
    if (row_bytes == 0) /* rows of nothing: all of them in one record */
        return (size_t)1 << 40;
    size_t n = NN_CHUNK_BYTES / row_bytes;
    return n ? n : 1;
}

int nn_writer_close(nn_writer *w, int ok, nn_error *e)
{
    if (!w)
        return 0;
    int rc = 0;
    if (ok && (w->failed || flush_obuf(w, e) < 0))
        rc = -1; /* the message was set when the write failed */
    if (!(ok && rc == 0))
        nn_guard_fail(w->fd); /* cut back, or mark as truncated */
    nn_guard_release(w->fd);
    if (w->path) {
        if (close(w->fd) != 0 && ok && rc == 0)
            rc = nn_fail(e, "write error on %s: %s", w->path, strerror(errno));
        if (ok && rc == 0)
            rc = nn_tmp_commit(w->tmp, w->path, e);
        else
            nn_tmp_discard(w->tmp);
    }
    free(w->path);
    free(w->obuf);
    free(w->hdr);
    free(w->buf);
    free(w->open);
    ZSTD_freeCCtx(w->cctx);
    free(w);
    return rc;
}

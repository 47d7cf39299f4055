/* nn_reader.c — reads and verifies NNS records (formats/nns.md).
 *
 * The reader holds one record at a time: its header, its stored payload and,
 * for compressed records, the decoded elements.  Every length is checked
 * before it is used, and the payload buffer grows only as bytes actually
 * arrive, so a header that lies about its size costs nothing. */
#include "stream/nn_stream.h"
#include "base/nn_base_private.h"
#include "stream/nn_stream_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

struct nn_reader {
    FILE *f;
    int own;
    off_t start;       /* where the stream begins in f, -1 if unknown */
    char *name;
    uint64_t offset;   /* bytes consumed */
    uint64_t index;    /* index of the next record */
    uint64_t cur;      /* index of the record being read, for messages */
    unsigned char *hdr;
    size_t hdr_cap;
    unsigned char *payload;
    size_t payload_cap;
    unsigned char *raw; /* decoded payload of compressed records */
    size_t raw_cap;
    char *attrs;
    size_t attrs_cap;
    ZSTD_DCtx *dctx;
    XXH3_state_t *xxh;
    nn_record rec;
    int have;          /* rec holds a record */
    int skipped;       /* its payload was skipped (nn_reader_next_header) */
    int unread;
    nn_tensor_tracker *trk; /* for nn_reader_next_at, made on first use */
    uint64_t piece_pos;     /* bytes of elements handed out in pieces */
    ZSTD_inBuffer zin;      /* the frame being decoded piece by piece */
    int zstarted;           /* zin is set up for the current record */
    uint64_t max_decode;    /* the most nn_reader_decode makes at once */
};

/* Fuzzing builds skip the hash checks so that mutated inputs reach the
 * parsing behind them (the usual libFuzzer convention). */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define NN_FUZZING 1
#else
#define NN_FUZZING 0
#endif

#define READ_STEP ((size_t)1 << 20)
/* A payload from a pipe is given this much room at once, or its length
 * if less: what a corrupt length can cost before the bytes run out (the
 * pages not written are never touched), and beyond it the buffer doubles
 * as bytes arrive.  Growing from 1 MiB copied and zeroed about twice a
 * large payload (an 18.8 MB record: 30 MB copied, 62 MB touched). */
#define PIPE_FIRST ((size_t)64 << 20)
nn_reader *nn_reader_from_file(FILE *f, const char *name, nn_error *e)
{
    nn_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(name ? name : "stdin")) ||
        !(r->xxh = XXH3_createState())) {
        if (r)
            free(r->name);
        free(r);
        nn_fail(e, "out of memory opening a reader");
        return NULL;
    }
    r->f = f;
    r->start = ftello(f);
    r->max_decode = NN_DECODE_MAX;
    return r;
}

FILE *nn_spool_file(nn_error *e)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/nn-spool.XXXXXX",
             dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w+b");
    if (!f) {
        if (fd >= 0)
            close(fd);
        nn_fail(e, "cannot create a temporary file in %s: %s",
                dir && *dir ? dir : "/tmp", strerror(errno));
        return NULL;
    }
    unlink(path); /* gone when closed, whatever happens */
    return f;
}

/* Copies the rest of r's stream to f record by record, each one checked as
 * it passes (header, sizes, hashes): what is not a stream stops at its
 * first bytes, and what is copied is a valid stream. */
static int spool_records(nn_reader *r, FILE *f, nn_error *e)
{
    const nn_record *rec;
    int rc;
    while ((rc = nn_reader_next_raw(r, &rec, e)) == 1)
        if (fwrite(rec->raw_header, 1, rec->raw_header_len, f) !=
                rec->raw_header_len ||
            fwrite(rec->raw_payload, 1, rec->raw_payload_len, f) !=
                rec->raw_payload_len)
            return nn_fail(e, "writing a temporary copy of %s: %s", r->name,
                           strerror(errno));
    if (rc < 0)
        return -1;
    if (fflush(f) != 0 || fseeko(f, 0, SEEK_SET) != 0)
        return nn_fail(e, "writing a temporary copy of %s: %s", r->name,
                       strerror(errno));
    return 0;
}

nn_reader *nn_reader_open_seekable(const char *path, nn_error *e)
{
    nn_reader *r = nn_reader_open(path, e);
    if (!r)
        return NULL;
    struct stat st;
    if (fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode) && r->start >= 0)
        return r;
    FILE *copy = nn_spool_file(e);
    if (!copy || spool_records(r, copy, e) < 0) {
        if (copy)
            fclose(copy);
        nn_reader_close(r);
        return NULL;
    }
    if (r->own)
        fclose(r->f);
    r->f = copy;
    r->own = 1;
    r->start = 0;
    r->offset = r->index = 0;
    r->have = r->unread = r->skipped = 0;
    nn_tensor_tracker_free(r->trk);
    r->trk = NULL;
    return r;
}

int nn_reader_rewind(nn_reader *r, nn_error *e)
{
    if (r->start < 0 || fseeko(r->f, r->start, SEEK_SET) != 0)
        return nn_fail(e, "%s: cannot read it again (not a regular file)",
                       r->name);
    r->offset = r->index = 0;
    r->have = r->unread = r->skipped = 0;
    nn_tensor_tracker_free(r->trk);
    r->trk = NULL;
    return 0;
}

int nn_reader_seek(nn_reader *r, uint64_t offset, uint64_t index, nn_error *e)
{
    if (r->start < 0)
        return nn_fail(e, "%s: cannot seek (not a regular file)", r->name);
    if (offset > (uint64_t)INT64_MAX - (uint64_t)r->start ||
        fseeko(r->f, r->start + (off_t)offset, SEEK_SET) != 0)
        return nn_fail(e, "%s: cannot seek: %s", r->name, strerror(errno));
    r->offset = offset;
    r->index = index;
    r->have = r->unread = r->skipped = 0;
    nn_tensor_tracker_free(r->trk);
    r->trk = NULL;
    return 0;
}

nn_reader *nn_reader_open(const char *path, nn_error *e)
{
    if (!path || strcmp(path, "-") == 0) {
        if (isatty(STDIN_FILENO)) {
            nn_fail(e, "refusing to read a stream from a terminal (give a "
                    "FILE or redirect stdin)");
            return NULL;
        }
        return nn_reader_from_file(stdin, "stdin", e);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        nn_fail(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    nn_reader *r = nn_reader_from_file(f, path, e);
    if (!r) {
        fclose(f);
        return NULL;
    }
    r->own = 1;
    return r;
}

void nn_reader_close(nn_reader *r)
{
    if (!r)
        return;
    if (r->own)
        fclose(r->f);
    free(r->name);
    free(r->hdr);
    free(r->payload);
    free(r->raw);
    free(r->attrs);
    ZSTD_freeDCtx(r->dctx);
    XXH3_freeState(r->xxh);
    nn_tensor_tracker_free(r->trk);
    free(r);
}

int nn_reader_next_at(nn_reader *r, const nn_record **rec, nn_row_pos *pos,
                      int raw, nn_error *e)
{
    int rc = raw ? nn_reader_next_raw(r, rec, e) : nn_reader_next(r, rec, e);
    if (rc != 1)
        return rc;
    if (!r->trk && !(r->trk = nn_tensor_tracker_new()))
        return nn_fail(e, "out of memory");
    if (nn_tensor_track(r->trk, *rec, pos, e) < 0)
        return nn_error_wrap(e, "%s", r->name);
    return 1;
}

const char *nn_reader_name(const nn_reader *r) { return r->name; }
uint64_t nn_reader_offset(const nn_reader *r) { return r->offset; }

void nn_reader_unread(nn_reader *r)
{
    if (r->have)
        r->unread = 1;
}

/* Message prefix naming the stream, record and byte offset. */
static int bad(nn_reader *r, uint64_t at, nn_error *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(nn_reader *r, uint64_t at, nn_error *e, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return nn_fail(e, "%s: record %llu at byte %llu: %s", r->name,
                   (unsigned long long)r->cur, (unsigned long long)at, what);
}

/* Reads up to n bytes; returns how many arrived (short only at EOF or error). */
static size_t read_some(nn_reader *r, void *buf, size_t n)
{
    size_t got = fread(buf, 1, n, r->f);
    r->offset += got;
    return got;
}

static int io_or_trunc(nn_reader *r, uint64_t at, nn_error *e,
                       const char *what, size_t got, size_t want)
{
    if (ferror(r->f))
        return bad(r, at, e, "read error: %s", strerror(errno));
    return bad(r, at, e, "truncated %s (got %zu of %zu bytes)", what, got,
               want);
}

/* Reads the stored payload, hashing it as it arrives. */
static int read_payload(nn_reader *r, size_t len, uint64_t want_hash,
                        uint64_t at, nn_error *e)
{
    /* never a NULL payload, even an empty one: it is handed out to copy;
     * all of it at once if a regular file holds that many bytes more,
     * else up to PIPE_FIRST */
    struct stat st;
    off_t pos = len > PIPE_FIRST ? ftello(r->f) : -1;
    size_t first = pos >= 0 && fstat(fileno(r->f), &st) == 0 &&
                   S_ISREG(st.st_mode) && st.st_size >= pos &&
                   (uint64_t)(st.st_size - pos) >= len ? len
                   : len < PIPE_FIRST ? (len ? len : 1) : PIPE_FIRST;
    /* nn_buf_grow: blocks from 2 MiB up on huge pages (this VM pays tens
     * of microseconds a 4 KiB first touch: bench/results/quantize.md); the
     * last record's payload is not kept */
    if (nn_buf_grow(&r->payload, &r->payload_cap, 0, first) < 0)
        return bad(r, at, e, "out of memory reading a payload of %zu bytes",
                   len);
    XXH3_64bits_reset(r->xxh);
    size_t got = 0;
    while (got < len) {
        size_t step = len - got < READ_STEP ? len - got : READ_STEP;
        if (nn_buf_grow(&r->payload, &r->payload_cap, got, got + step) < 0)
            return bad(r, at, e, "out of memory reading a payload of %zu "
                       "bytes", len);
        size_t n = read_some(r, r->payload + got, step);
        XXH3_64bits_update(r->xxh, r->payload + got, n);
        got += n;
        if (n < step)
            return io_or_trunc(r, at, e, "payload", got, len);
    }
    if (XXH3_64bits_digest(r->xxh) != want_hash && !NN_FUZZING)
        return bad(r, at, e, "payload checksum mismatch (corrupt data)");
    return 0;
}


/* Reads past a payload without keeping it: a seek in a regular file (the
 * hash is not checked), else a read that checks the hash. */
static int skip_payload(nn_reader *r, uint64_t len, uint64_t want_hash,
                        uint64_t at, nn_error *e)
{
    struct stat st;
    off_t pos = ftello(r->f);
    if (pos >= 0 && fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t left = st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
        if (left < len)
            return bad(r, at, e, "truncated payload (got %llu of %llu bytes)",
                       (unsigned long long)left, (unsigned long long)len);
        if (fseeko(r->f, (off_t)len, SEEK_CUR) != 0)
            return bad(r, at, e, "seek error: %s", strerror(errno));
        r->offset += len;
        return 0;
    }
    if (nn_buf_grow(&r->payload, &r->payload_cap, 0, READ_STEP) < 0)
        return nn_fail(e, "out of memory");
    XXH3_64bits_reset(r->xxh);
    for (uint64_t got = 0; got < len;) {
        size_t step = len - got < READ_STEP ? (size_t)(len - got) : READ_STEP;
        size_t n = read_some(r, r->payload, step);
        XXH3_64bits_update(r->xxh, r->payload, n);
        got += n;
        if (n < step)
            return io_or_trunc(r, at, e, "payload", (size_t)got, (size_t)len);
    }
    if (XXH3_64bits_digest(r->xxh) != want_hash && !NN_FUZZING)
        return bad(r, at, e, "payload checksum mismatch (corrupt data)");
    return 0;
}

enum { KEEP_PAYLOAD, SKIP_PAYLOAD };

/* Reads and validates a header and the stored payload (or skips it) into
 * r->rec. */
static int read_record(nn_reader *r, int mode, nn_error *e)
{
    nn_record *rec = &r->rec;
    uint64_t at = r->offset;
    r->have = 0;
    r->cur = r->index;
    r->piece_pos = 0;
    r->zstarted = 0;
    if (nn_buf_reserve(&r->hdr, &r->hdr_cap, NN_FIXED_HEADER) < 0)
        return nn_fail(e, "out of memory");
    unsigned char *h = r->hdr;
    size_t got = read_some(r, h, NN_FIXED_HEADER);
    if (got == 0 && !ferror(r->f))
        return 0;
    if (got < NN_FIXED_HEADER)
        return io_or_trunc(r, at, e, "record header", got, NN_FIXED_HEADER);

    /* 1. fixed fields */
    if (memcmp(h, nn_magic, 4) != 0)
        return bad(r, at, e, "bad magic: not an NNS stream%s",
                   h[0] == 0x1f && h[1] == 0x8b ? " (gzip data?)" :
                   h[0] == 0x28 && h[1] == 0xb5 ? " (zstd data?)" : "");
    if (h[4] != NN_MAJOR)
        return bad(r, at, e, "unknown format version %d.%d (this reader "
                   "knows %d.x)", h[4], h[5], NN_MAJOR);
    int dtype = h[6], rank = h[7];
    size_t hlen = le32(h + 8);
    uint32_t flags = le32(h + 12);
    uint64_t plen = le64(h + 16);
    if (!nn_dtype_size(dtype))
        return bad(r, at, e, "unknown dtype code %d", dtype);
    if (rank > NN_MAX_RANK)
        return bad(r, at, e, "rank %d exceeds the maximum of %d", rank,
                   NN_MAX_RANK);
    if (flags & NN_FLAGS_CRITICAL & ~(NN_FLAG_ZSTD | NN_FLAG_CONT))
        return bad(r, at, e, "unknown critical flags 0x%x",
                   flags & NN_FLAGS_CRITICAL);
    if ((flags & NN_FLAG_CONT) && rank == 0)
        return bad(r, at, e, "a chunk (CONT) must have rank 1 or more");
    if (hlen % 8 || hlen < NN_FIXED_HEADER + 8u * rank + 1 ||
        hlen > NN_HEADER_MAX)
        return bad(r, at, e, "invalid header length %zu", hlen);

    /* 2. the rest of the header, then its hash */
    if (nn_buf_reserve(&r->hdr, &r->hdr_cap, hlen) < 0)
        return nn_fail(e, "out of memory");
    h = r->hdr;
    got = read_some(r, h + NN_FIXED_HEADER, hlen - NN_FIXED_HEADER);
    if (got < hlen - NN_FIXED_HEADER)
        return io_or_trunc(r, at, e, "record header", NN_FIXED_HEADER + got,
                           hlen);
    uint64_t want_hh = le64(h + 32);
    memset(h + 32, 0, 8);
    uint64_t hh = XXH3_64bits(h, hlen);
    put64(h + 32, want_hh);
    if (hh != want_hh && !NN_FUZZING)
        return bad(r, at, e, "header checksum mismatch (corrupt header)");

    size_t name_len = le16(h + 40), attr_len = le32(h + 44);
    size_t name_at = NN_FIXED_HEADER + 8u * rank;
    if (name_len == 0 || name_len > NN_NAME_MAX)
        return bad(r, at, e, "invalid name length %zu", name_len);
    if (attr_len > NN_ATTRS_MAX || name_at + name_len + attr_len > hlen)
        return bad(r, at, e, "name and attributes overrun the header");
    if (!nn_name_valid((const char *)h + name_at, name_len))
        return bad(r, at, e, "the record name is not UTF-8 text without "
                   "control characters and '='");
    const char *attrs = (const char *)h + name_at + name_len;
    if (!nn_attrs_valid(attrs, attr_len))
        return bad(r, at, e, "malformed attributes (lines of key=value)");

    /* 3. sizes, with overflow checks, before any allocation */
    uint64_t nelem;
    for (int i = 0; i < rank; i++)
        rec->dims[i] = le64(h + NN_FIXED_HEADER + 8 * i);
    size_t esize = nn_dtype_size(dtype);
    if (nn_shape_check(rank, rec->dims, esize, &nelem, e) < 0)
        return bad(r, at, e, "%s", e->msg);
    size_t nbytes = nelem * esize;
    if (flags & NN_FLAG_ZSTD) {
        if (plen == 0 || plen > ZSTD_compressBound(nbytes))
            return bad(r, at, e, "compressed payload length %llu is "
                       "impossible for %zu raw bytes",
                       (unsigned long long)plen, nbytes);
    } else if (plen != nbytes) {
        return bad(r, at, e, "payload length %llu does not match the shape "
                   "(%zu bytes)", (unsigned long long)plen, nbytes);
    }

    /* 4. the stored payload */
    if ((mode == SKIP_PAYLOAD ? skip_payload(r, plen, le64(h + 24), at, e)
                              : read_payload(r, plen, le64(h + 24), at, e)) < 0)
        return -1;

    if (nn_buf_reserve((unsigned char **)&r->attrs, &r->attrs_cap,
                       attr_len + 1) < 0)
        return nn_fail(e, "out of memory");
    memcpy(r->attrs, attrs, attr_len);
    r->attrs[attr_len] = 0;
    memcpy(rec->name, h + name_at, name_len);
    rec->name[name_len] = 0;
    rec->dtype = dtype;
    rec->rank = rank;
    for (int i = rank; i < NN_MAX_RANK; i++)
        rec->dims[i] = 0;
    rec->flags = flags;
    rec->attrs = r->attrs;
    rec->attrs_len = attr_len;
    rec->nelem = nelem;
    rec->nbytes = nbytes;
    rec->data = NULL;
    rec->index = r->index++;
    rec->offset = at;
    rec->raw_header = r->hdr;
    rec->raw_header_len = hlen;
    rec->raw_payload = mode == SKIP_PAYLOAD ? NULL : r->payload;
    r->skipped = mode == SKIP_PAYLOAD;
    rec->raw_payload_len = plen;
    r->have = 1;
    return 1;
}

/* Sets up the frame of the current (compressed) record for decoding. */
static int zstart(nn_reader *r, nn_error *e)
{
    nn_record *rec = &r->rec;
    if (r->zstarted)
        return 0;
    if (!r->dctx && !(r->dctx = ZSTD_createDCtx()))
        return nn_fail(e, "out of memory");
    size_t plen = rec->raw_payload_len;
    size_t fsz = ZSTD_findFrameCompressedSize(r->payload, plen);
    if (ZSTD_isError(fsz) || fsz != plen)
        return bad(r, rec->offset, e, "compressed payload is not exactly one "
                   "zstd frame");
    unsigned long long csz = ZSTD_getFrameContentSize(r->payload, plen);
    if (csz != ZSTD_CONTENTSIZE_UNKNOWN && csz != rec->nbytes)
        return bad(r, rec->offset, e, "zstd frame holds %llu bytes, the shape "
                   "needs %zu", csz, rec->nbytes);
    ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
    r->zin = (ZSTD_inBuffer){r->payload, plen, 0};
    r->zstarted = 1;
    return 0;
}

/* Decodes the next n bytes of the current record's frame into dst; the
 * last piece also checks that the frame ends exactly there. */
static int zpiece(nn_reader *r, unsigned char *dst, size_t n, nn_error *e)
{
    nn_record *rec = &r->rec;
    ZSTD_outBuffer out = {dst, n, 0};
    size_t ret = 1;
    while (out.pos < out.size) {
        size_t before = out.pos, used = r->zin.pos;
        ret = ZSTD_decompressStream(r->dctx, &out, &r->zin);
        if (ZSTD_isError(ret))
            return bad(r, rec->offset, e, "zstd: %s", ZSTD_getErrorName(ret));
        if (out.pos == before && r->zin.pos == used)
            break; /* the frame ended, or its input did */
    }
    r->piece_pos += out.pos;
    if (out.pos < n)
        return bad(r, rec->offset, e, "zstd frame does not decode to the %zu "
                   "bytes the shape needs", rec->nbytes);
    if (r->piece_pos == rec->nbytes && ret != 0) {
        /* the shape is full: the frame must end here, with nothing more */
        unsigned char extra;
        ZSTD_outBuffer more = {&extra, 1, 0};
        ret = ZSTD_decompressStream(r->dctx, &more, &r->zin);
        if (ZSTD_isError(ret) || more.pos || ret != 0)
            return bad(r, rec->offset, e, "zstd frame does not decode to the "
                       "%zu bytes the shape needs", rec->nbytes);
    }
    return 0;
}

int nn_reader_piece(nn_reader *r, const nn_record *rec, size_t max,
                    const void **data, size_t *n, nn_error *e)
{
    if (!r || rec != &r->rec || !r->have)
        return nn_fail(e, "record '%s' is not the last one read", rec->name);
    if (r->skipped)
        return nn_fail(e, "%s: record %llu: its payload was skipped", r->name,
                       (unsigned long long)rec->index);
    size_t es = nn_dtype_size(rec->dtype);
    uint64_t left = rec->nbytes - r->piece_pos;
    if (left == 0) {
        /* no elements: the frame must still hold nothing more */
        if (rec->nbytes == 0 && (rec->flags & NN_FLAG_ZSTD) && !r->zstarted &&
            (zstart(r, e) < 0 || zpiece(r, NULL, 0, e) < 0))
            return -1;
        return 0;
    }
    size_t k = max < left ? max - max % es : (size_t)left;
    if (k == 0)
        return nn_fail(e, "a piece of '%s' smaller than one element",
                       rec->name);
    if (rec->data || (!(rec->flags & NN_FLAG_ZSTD) && NN_HOST_LE)) {
        const unsigned char *all = rec->data ? rec->data : r->payload;
        *data = all + r->piece_pos;
        *n = k;
        r->piece_pos += k;
        return 1;
    }
    if (nn_buf_grow(&r->raw, &r->raw_cap, 0, k) < 0)
        return bad(r, rec->offset, e, "out of memory decoding %zu bytes", k);
    if (rec->flags & NN_FLAG_ZSTD) {
        if (zstart(r, e) < 0 || zpiece(r, r->raw, k, e) < 0)
            return -1;
    } else {
        memcpy(r->raw, r->payload + r->piece_pos, k);
        r->piece_pos += k;
    }
    if (!NN_HOST_LE)
        nn_bswap(r->raw, k / es, es);
    *data = r->raw;
    *n = k;
    return 1;
}

void nn_reader_set_max_decode(nn_reader *r, uint64_t bytes)
{
    r->max_decode = bytes;
}

/* Decompresses the whole payload into r->raw.  The output buffer grows
 * only as the decoder produces bytes, so a small frame that claims a huge
 * size (corruption) costs at most what it really holds; a frame that
 * really holds more than the tool decodes at once is refused. */
static int unzstd(nn_reader *r, nn_error *e)
{
    nn_record *rec = &r->rec;
    if (r->piece_pos)
        return nn_fail(e, "%s: record %llu: decoded in pieces already",
                       r->name, (unsigned long long)rec->index);
    if (zstart(r, e) < 0)
        return -1;
    if (rec->nbytes == 0) /* the frame must hold nothing */
        return zpiece(r, NULL, 0, e);
    size_t got = 0;
    while (got < rec->nbytes) {
        size_t step = got ? got : READ_STEP;
        if (step > rec->nbytes - got)
            step = rec->nbytes - got;
        if (nn_buf_grow(&r->raw, &r->raw_cap, got, got + step) < 0)
            return bad(r, rec->offset, e, "out of memory decoding %zu "
                       "bytes", rec->nbytes);
        if (zpiece(r, r->raw + got, step, e) < 0)
            return -1;
        got += step;
    }
    r->piece_pos = 0; /* pieces asked for later come from rec->data */
    return 0;
}

/* Makes rec->data: the payload itself, or its decompression; host order. */
static int decode(nn_reader *r, nn_error *e)
{
    nn_record *rec = &r->rec;
    if (rec->data)
        return 0;
    if ((rec->flags & NN_FLAG_ZSTD) && rec->nbytes > r->max_decode)
        return bad(r, rec->offset, e, "'%s' decompresses to %zu bytes, more "
                   "than this tool takes in one record (%llu MiB): store it "
                   "uncompressed (nn-cat -d)", rec->name, rec->nbytes,
                   (unsigned long long)(r->max_decode >> 20));
    if (!(rec->flags & NN_FLAG_ZSTD) && NN_HOST_LE) {
        rec->data = r->payload;
        return 0;
    }
    if (rec->flags & NN_FLAG_ZSTD) {
        if (unzstd(r, e) < 0)
            return -1;
    } else {
        if (nn_buf_grow(&r->raw, &r->raw_cap, 0,
                           rec->nbytes ? rec->nbytes : 1) < 0)
            return bad(r, rec->offset, e, "out of memory decoding %zu bytes",
                       rec->nbytes);
        memcpy(r->raw, r->payload, rec->nbytes);
    }
    if (!NN_HOST_LE)
        nn_bswap(r->raw, rec->nelem, nn_dtype_size(rec->dtype));
    rec->data = r->raw;
    return 0;
}

enum { WANT_HEADER, WANT_STORED, WANT_DATA };

static int next(nn_reader *r, const nn_record **out, int want, nn_error *e)
{
    int rc;
    if (r->unread) {
        r->unread = 0;
        rc = 1;
        if (want != WANT_HEADER && r->skipped)
            return nn_fail(e, "%s: record %llu: its payload was skipped",
                           r->name, (unsigned long long)r->rec.index);
    } else {
        rc = read_record(r, want == WANT_HEADER ? SKIP_PAYLOAD : KEEP_PAYLOAD,
                         e);
    }
    if (rc == 1 && want == WANT_DATA && decode(r, e) < 0) {
        r->have = 0;
        return -1;
    }
    if (rc == 1)
        *out = &r->rec;
    return rc;
}

int nn_reader_next(nn_reader *r, const nn_record **rec, nn_error *e)
{
    return next(r, rec, WANT_DATA, e);
}

int nn_reader_next_raw(nn_reader *r, const nn_record **rec, nn_error *e)
{
    return next(r, rec, WANT_STORED, e);
}

int nn_reader_next_header(nn_reader *r, const nn_record **rec, nn_error *e)
{
    return next(r, rec, WANT_HEADER, e);
}

int nn_reader_decode(nn_reader *r, const nn_record *rec, nn_error *e)
{
    if (rec->data)
        return 0;
    if (!r || rec != &r->rec || !r->have)
        return nn_fail(e, "record '%s' is not the last one read", rec->name);
    if (r->skipped)
        return nn_fail(e, "%s: record %llu: its payload was skipped", r->name,
                       (unsigned long long)rec->index);
    return decode(r, e);
}

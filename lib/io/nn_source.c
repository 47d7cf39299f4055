/* nn_source.c — input files for importers: read through zlib, which
 * decompresses gzip and passes other files through, with a buffer for
 * peeking at headers and for reading lines. */
#include "io/nn_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct nn_source {
    gzFile gz;
    char *name;
    unsigned char *buf;
    size_t pos, len, cap;   /* unread bytes are buf[pos, len) */
    uint64_t base;          /* offset in the (decompressed) file of buf[0] */
    uint64_t lines;
    int eof;
    int64_t size;           /* bytes of an uncompressed regular file, or -1 */
    int regular;
};

/* After gzread returned n <= 0: -1 for an error, 0 for the end. */
static int gz_check(nn_source *s, int n, nn_error *e)
{
    int err;
    const char *m = gzerror(s->gz, &err);
    s->eof = 1;
    if (n < 0 && err == Z_ERRNO)
        return nn_fail(e, "%s: %s", s->name, strerror(errno));
    if (n < 0)
        return nn_fail(e, "%s: gzip: %s", s->name, m);
    if (err == Z_BUF_ERROR) /* the end of a gzip member is missing */
        return nn_fail(e, "%s: truncated gzip data", s->name);
    return 0;
}

/* Makes at least `want` bytes available at buf+pos, unless the file ends. */
static int fill(nn_source *s, size_t want, nn_error *e)
{
    if (s->len - s->pos >= want || s->eof)
        return 0;
    if (s->pos) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->base += s->pos;
        s->len -= s->pos;
        s->pos = 0;
    }
    /* one spare byte for a line's NUL */
    if (want >= SIZE_MAX || nn_buf_reserve(&s->buf, &s->cap, want + 1) < 0)
        return nn_fail(e, "%s: out of memory", s->name);
    while (s->len < want && !s->eof) {
        size_t room = s->cap - 1 - s->len;
        int n = gzread(s->gz, s->buf + s->len,
                       (unsigned)(room > INT_MAX / 2 ? INT_MAX / 2 : room));
        if (n <= 0 && gz_check(s, n, e) < 0)
            return -1;
        s->len += n > 0 ? (size_t)n : 0;
    }
    return 0;
}

nn_source *nn_source_open(const char *path, nn_error *e)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    nn_source *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name)) ||
        nn_buf_reserve(&s->buf, &s->cap, 1 << 16) < 0) {
        nn_fail(e, "%s: out of memory", name);
        nn_source_close(s);
        return NULL;
    }
    s->size = -1;
    int fd = is_stdin ? dup(0) : open(path, O_RDONLY);
    if (fd < 0) {
        nn_fail(e, "%s: %s", name, strerror(errno));
        nn_source_close(s);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            nn_fail(e, "%s: is a directory", name);
            nn_source_close(s);
            return NULL;
        }
        off_t at = lseek(fd, 0, SEEK_CUR);
        if (S_ISREG(st.st_mode) && at >= 0 && at <= st.st_size) {
            s->size = st.st_size - at;
            s->regular = !is_stdin;
        }
    }
    if (!(s->gz = gzdopen(fd, "rb"))) {
        close(fd);
        nn_fail(e, "%s: out of memory", name);
        nn_source_close(s);
        return NULL;
    }
    gzbuffer(s->gz, 1 << 17);
    if (fill(s, 1, e) < 0) {
        nn_source_close(s);
        return NULL;
    }
    if (!gzdirect(s->gz))
        s->size = -1; /* compressed: the size says nothing */
    return s;
}

void nn_source_close(nn_source *s)
{
    if (!s)
        return;
    if (s->gz)
        gzclose(s->gz);
    free(s->buf);
    free(s->name);
    free(s);
}

const char *nn_source_name(const nn_source *s) { return s->name; }

int nn_source_reopenable(const nn_source *s) { return s->regular; }

int64_t nn_source_left(const nn_source *s)
{
    return s->size < 0 ? -1 : s->size - (int64_t)(s->base + s->pos);
}

uint64_t nn_source_lines(const nn_source *s) { return s->lines; }

const unsigned char *nn_source_peek(nn_source *s, size_t want, size_t *n,
                                    nn_error *e)
{
    if (fill(s, want, e) < 0)
        return NULL;
    *n = s->len - s->pos;
    return s->buf + s->pos;
}

void nn_source_skip(nn_source *s, size_t n)
{
    s->pos += n < s->len - s->pos ? n : s->len - s->pos;
}

int nn_source_read(nn_source *s, void *dst, size_t n, size_t *got,
                   nn_error *e)
{
    size_t have = s->len - s->pos, k = have < n ? have : n;
    memcpy(dst, s->buf + s->pos, k);
    s->pos += k;
    if (k < n) { /* the buffer is empty: read straight into dst */
        s->base += s->len;
        s->pos = s->len = 0;
    }
    while (k < n && !s->eof) {
        size_t want = n - k > (1u << 30) ? 1u << 30 : n - k;
        int r = gzread(s->gz, (char *)dst + k, (unsigned)want);
        if (r <= 0 && gz_check(s, r, e) < 0) {
            *got = k;
            return -1;
        }
        k += r > 0 ? (size_t)r : 0;
        s->base += r > 0 ? (size_t)r : 0;
    }
    *got = k;
    return 0;
}

int nn_source_line(nn_source *s, char **line, nn_error *e)
{
    size_t scanned = 0, n;
    unsigned long long lineno = s->lines + 1;
    for (;;) {
        unsigned char *p = s->buf + s->pos;
        size_t avail = s->len - s->pos;
        unsigned char *nl = memchr(p + scanned, '\n', avail - scanned);
        if (nl) {
            n = (size_t)(nl - p);
            s->pos += n + 1;
            break;
        }
        if (s->eof) {
            if (!avail)
                return 0;
            n = avail;
            s->pos = s->len;
            break;
        }
        scanned = avail;
        if (scanned > NN_LINE_MAX)
            return nn_fail(e, "%s: line %llu is longer than %zu MiB", s->name,
                           lineno, NN_LINE_MAX >> 20);
        if (fill(s, scanned + 1, e) < 0)
            return -1;
    }
    s->lines++;
    char *l = (char *)s->buf + s->pos - n - (s->buf[s->pos - 1] == '\n');
    l[n] = 0;
    if (memchr(l, 0, n))
        return nn_fail(e, "%s: line %llu contains a NUL byte (not a text "
                       "file?)", s->name, lineno);
    if (n && l[n - 1] == '\r')
        l[n - 1] = 0;
    *line = l;
    return 1;
}

/* nn_trainset.c — the rows a network trains on, visited in a new random
 * order every pass, in bounded memory.
 *
 * A row is held as x in the data's own type (f32 for wide integers),
 * then its class number (u32) or its targets (f64), padded to 8 bytes.
 * The stream is read once.  When every row fits in the memory given (with
 * its 8-byte place in the order), they are all held and a pass is a random
 * permutation of them (Fisher-Yates, composed pass after pass).  Otherwise
 * the rows, so converted, are written to an unlinked file in $TMPDIR (a
 * pipe works as a file does, and compressed records are decoded once),
 * and a pass reads that file by blocks of B rows in a new random order,
 * W blocks at a time into a buffer of the rows that fit, whose rows are
 * shuffled together: a permutation of blocks, then of the rows of every
 * W blocks (W = 64 when the buffer holds 64 rows or more).
 *
 * The held rows (and the buffer) live in one anonymous mapping reserved
 * for all that the memory allows, its pages taken as the rows come: it
 * grows in place, never moved (a buffer grown by realloc is moved with
 * mremap, and on a virtual machine the first reads of moved pages can
 * cost tens of microseconds a page: half a second of the first epoch on
 * MNIST), asked for huge pages (fewer TLB misses in a pass's random
 * reads), and trimmed to the rows once they are read.  Where the mapping
 * is refused, a buffer that grows. */
#include "methods/nn_methods.h"
#include "stream/nn_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

struct nn_trainset {
    nn_trainset_spec sp;
    const char *name;           /* for messages */
    char *path;                 /* its copy; NULL for stdin */
    size_t cols, k, n_out;      /* k classes, or 0 for targets */
    int xdt;                    /* x as held */
    size_t xbytes, row_bytes;   /* bytes of x, of a held row */
    unsigned char *rows;        /* held rows, or the buffer */
    size_t cap, n;              /* bytes allocated, rows in it */
    size_t mapped;              /* bytes of rows' mapping, 0: malloc'd */
    uint64_t total;             /* rows in the data */
    size_t *order;              /* the order of the held rows */
    unsigned char *tmp;         /* a row */
    double *tv;                 /* a row's targets */
    /* reading: the stream, once */
    nn_reader *r;
    nn_rowset *s;
    nn_rowblock b;
    size_t bi;                  /* next row of b */
    uint64_t read;              /* rows read */
    int eof;
    /* when the rows do not fit: the spill file */
    FILE *spill;
    size_t buf_rows;            /* rows the buffer holds */
    size_t blk;                 /* rows of a block */
    uint64_t nblocks;
    uint64_t *bperm;            /* the order of the blocks */
    /* the pass */
    nn_rng *g;                  /* NULL: the stream's order */
    uint64_t at;                /* held: rows handed out; spilled: blocks
                                 * read */
    size_t pos;                 /* spilled: next row of the buffer */
};

/* The type x is held in: small ones as they are (MNIST's bytes stay
 * bytes), f64 as f64, the wide integers as f32. */
static int held_type(int dt)
{
    switch (dt) {
    case NN_U8: case NN_I8: case NN_U16: case NN_I16: case NN_F32:
    case NN_F64:
        return dt;
    default:
        return NN_F32;
    }
}

/* Bytes rounded up to whole huge pages (2 MiB). */
static size_t huge_round(size_t bytes)
{
    size_t h = (size_t)2 << 20;
    return bytes > SIZE_MAX - h ? bytes : (bytes + h - 1) / h * h;
}

/* A mapping of bytes for rows, its pages taken when first written, huge
 * where the kernel gives them on request; NULL when refused. */
static unsigned char *rows_map(size_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX / 2)
        return NULL;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fine if refused */
#endif
    return p;
}

static void rows_free(nn_trainset *t)
{
    if (t->mapped)
        munmap(t->rows, t->mapped);
    else
        free(t->rows);
    t->rows = NULL;
    t->cap = t->mapped = 0;
}

/* Room for need bytes of held rows: the first time, the mapping of all
 * the memory allows (need never passes it: rows beyond are spilled). */
static int rows_reserve(nn_trainset *t, size_t need)
{
    if (need <= t->cap)
        return 0;
    if (!t->rows && need <= t->sp.memory) {
        size_t len = huge_round(t->sp.memory);
        if ((t->rows = rows_map(len))) {
            t->cap = t->mapped = len;
            return 0;
        }
    }
    return t->mapped ? -1 : nn_buf_reserve(&t->rows, &t->cap, need);
}

/* The mapping's pages past the rows held, given back. */
static void rows_trim(nn_trainset *t)
{
    size_t keep = huge_round(t->n * t->row_bytes);
    if (t->mapped && keep < t->mapped &&
        munmap(t->rows + keep, t->mapped - keep) == 0)
        t->cap = t->mapped = keep;
}

/* The widths and kinds of the data, from its first block. */
static int learn_shape(nn_trainset *t, const nn_rowset *s,
                       const nn_rowblock *b, nn_error *e)
{
    const nn_trainset_spec *sp = &t->sp;
    t->cols = b->cols[0];
    t->xdt = held_type(b->dtype[0]);
    if (t->cols != sp->n_in)
        return nn_fail(e, "%s: rows of '%s' have %zu values; the network "
                       "takes %zu inputs", t->name, nn_rowset_name(s, 0),
                       t->cols, sp->n_in);
    if (b->rank[1] == 1 && !nn_dtype_is_float(b->dtype[1])) {
        uint64_t k;
        int rc = nn_labels_classes(nn_rowset_attrs(s, 1), nn_rowset_name(s, 1),
                                   &k, e);
        if (rc < 0)
            return nn_error_wrap(e, "%s", t->name);
        t->k = rc ? (size_t)k : sp->n_out;
        if (t->k != sp->n_out && !(sp->pm1 && t->k == 2 && sp->n_out == 1))
            return nn_fail(e, "%s: %zu classes, but the network has %zu "
                           "outputs", t->name, t->k, sp->n_out);
    } else if (sp->tlo != 0 || sp->thi != 1) {
        return nn_fail(e, "%s: --targets needs class labels; '%s' holds "
                       "targets", t->name, nn_rowset_name(s, 1));
    } else if (b->cols[1] != sp->n_out) {
        return nn_fail(e, "%s: rows of '%s' have %zu targets; the network "
                       "has %zu outputs", t->name, nn_rowset_name(s, 1),
                       b->cols[1], sp->n_out);
    }
    t->xbytes = t->cols * nn_dtype_size(t->xdt);
    size_t lab = t->k ? sizeof(uint32_t) : t->n_out * sizeof(double);
    t->row_bytes = (t->xbytes + lab + 7) / 8 * 8;
    if (!(t->tmp = malloc(t->row_bytes)) ||
        !(t->tv = malloc((sp->n_out + 1) * sizeof *t->tv)))
        return nn_fail(e, "out of memory");
    return 0;
}

/* Checks block b's rows: x finite, labels in range, targets finite. */
static int check_block(const nn_trainset *t, const nn_rowset *s,
                       const nn_rowblock *b, uint64_t row0, nn_error *e)
{
    if (nn_rows_check_finite(b->data[0], b->dtype[0], b->rows, t->cols,
                             (size_t)row0, "", nn_rowset_name(s, 0), e) < 0)
        return nn_error_wrap(e, "%s", t->name);
    if (!t->k)
        return nn_rows_check_finite(b->data[1], b->dtype[1], b->rows,
                                    t->n_out, (size_t)row0, "the targets ",
                                    nn_rowset_name(s, 1), e) < 0
                   ? nn_error_wrap(e, "%s", t->name) : 0;
    for (size_t i = 0; i < b->rows; i++) {
        double v = nn_elem_f64(b->data[1], b->dtype[1], i);
        if (!(v >= 0 && v < (double)t->k))
            return nn_fail(e, "%s: label %g of row %llu is outside [0, %zu)",
                           t->name, v, (unsigned long long)(row0 + i), t->k);
    }
    return 0;
}

/* Row i of block b into the held row at dst. */
static void hold_row(const nn_trainset *t, const nn_rowblock *b, size_t i,
                     unsigned char *dst)
{
    size_t es = nn_dtype_size(b->dtype[0]);
    nn_convert(dst, t->xdt, (const char *)b->data[0] + i * t->cols * es,
               b->dtype[0], t->cols);
    if (t->k) {
        uint32_t c = (uint32_t)nn_elem_f64(b->data[1], b->dtype[1], i);
        memcpy(dst + t->xbytes, &c, sizeof c);
    } else {
        size_t ey = nn_dtype_size(b->dtype[1]);
        nn_convert(t->tv, NN_F64, (const char *)b->data[1] + i * t->n_out * ey,
                   b->dtype[1], t->n_out);
        memcpy(dst + t->xbytes, t->tv, t->n_out * sizeof *t->tv);
    }
}

static int open_stream(nn_trainset *t, nn_error *e)
{
    const char *names[2] = {t->sp.x, t->sp.y};
    t->r = nn_reader_open(t->path ? t->path : "-", e);
    if (!t->r)
        return -1;
    t->s = nn_rowset_open(t->r, 2, names, e);
    if (!t->s) {
        nn_reader_close(t->r);
        t->r = NULL;
        return -1;
    }
    return 0;
}

static void close_stream(nn_trainset *t)
{
    nn_rowset_close(t->s);
    nn_reader_close(t->r);
    t->s = NULL;
    t->r = NULL;
}

/* Makes the next row of the stream current (t->b, t->bi): 1, 0 at its
 * end, -1 on an error.  Each new block is checked. */
static int next_row(nn_trainset *t, nn_error *e)
{
    while (t->bi >= t->b.rows) {
        if (t->eof)
            return 0;
        int rc = nn_rowset_next(t->s, 0, &t->b, e);
        if (rc < 0)
            return -1;
        t->bi = 0;
        if (rc == 0) {
            t->eof = 1;
            t->b.rows = 0;
            return 0;
        }
        if (t->b.rows && !t->cols && learn_shape(t, t->s, &t->b, e) < 0)
            return -1;
        if (t->b.rows && check_block(t, t->s, &t->b, t->read, e) < 0)
            return -1;
    }
    return 1;
}

/* Takes the current row into dst and moves on. */
static void take_row(nn_trainset *t, unsigned char *dst)
{
    hold_row(t, &t->b, t->bi++, dst);
    t->read++;
}

/* Starts the spill file with the n rows held, when the next row does not
 * fit. */
static int start_spill(nn_trainset *t, nn_error *e)
{
    if (!(t->spill = nn_spool_file(e)))
        return nn_error_wrap(e, "%s: rows beyond --memory", t->name);
    if (t->n && fwrite(t->rows, t->row_bytes, t->n, t->spill) != t->n)
        return nn_fail(e, "%s: writing rows to a temporary file: %s",
                       t->name, strerror(errno));
    return 0;
}

/* The buffer and the blocks, once the rows are all spilled. */
static int plan_blocks(nn_trainset *t, nn_error *e)
{
    size_t per = t->row_bytes + sizeof *t->order, mem = t->sp.memory;
    if (fflush(t->spill) != 0 || ferror(t->spill))
        return nn_fail(e, "%s: writing rows to a temporary file: %s", t->name,
                       strerror(errno));
    t->buf_rows = mem / per;
    if (t->buf_rows == 0)
        return nn_fail(e, "%s: a row takes %zu bytes, more than the memory "
                       "allowed (%zu)", t->name, per, mem);
    t->blk = t->buf_rows >= 64 ? t->buf_rows / 64 : 1;
    /* the block order's 8 bytes a block in a sixteenth of the memory */
    while ((t->total + t->blk - 1) / t->blk > mem / 16 / sizeof *t->bperm &&
           t->blk < t->buf_rows)
        t->blk *= 2;
    if (t->blk > t->buf_rows)
        t->blk = t->buf_rows;
    t->nblocks = (t->total + t->blk - 1) / t->blk;
    rows_free(t);
    size_t bytes = t->buf_rows * t->row_bytes; /* below the memory */
    if ((t->rows = rows_map(huge_round(bytes))))
        t->mapped = t->cap = huge_round(bytes);
    if ((!t->rows &&
         !(t->rows = nn_alloc(t->buf_rows, t->row_bytes, "the row buffer",
                              e))) ||
        !(t->order = nn_alloc(t->buf_rows, sizeof *t->order, "row order", e)) ||
        !(t->bperm = nn_alloc((size_t)t->nblocks, sizeof *t->bperm,
                              "block order", e)))
        return -1;
    for (uint64_t i = 0; i < t->nblocks; i++)
        t->bperm[i] = i;
    return 0;
}

nn_trainset *nn_trainset_open(const char *path, const nn_trainset_spec *sp,
                              nn_error *e)
{
    nn_trainset *t = calloc(1, sizeof *t);
    if (!t) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    t->sp = *sp;
    t->n_out = sp->n_out;
    int is_stdin = !path || strcmp(path, "-") == 0;
    if (!is_stdin && !(t->path = strdup(path))) {
        free(t);
        nn_fail(e, "out of memory");
        return NULL;
    }
    t->name = is_stdin ? "stdin" : t->path;
    if (open_stream(t, e) < 0)
        goto fail;
    /* Hold rows while they fit (with their place in the order); past
     * that, spill them all. */
    int rc;
    size_t per = 0;
    while ((rc = next_row(t, e)) == 1) {
        if (!per)
            per = t->row_bytes + sizeof *t->order;
        if (!t->spill && (t->n + 1) * per > sp->memory &&
            start_spill(t, e) < 0)
            goto fail;
        if (t->spill) {
            take_row(t, t->tmp);
            if (fwrite(t->tmp, t->row_bytes, 1, t->spill) != 1) {
                nn_fail(e, "%s: writing rows to a temporary file: %s",
                        t->name, strerror(errno));
                goto fail;
            }
            continue;
        }
        if (rows_reserve(t, (t->n + 1) * t->row_bytes) < 0) {
            nn_fail(e, "%s: out of memory holding %zu rows", t->name, t->n);
            goto fail;
        }
        take_row(t, t->rows + t->n++ * t->row_bytes);
    }
    if (rc < 0)
        goto fail;
    t->total = t->read;
    close_stream(t);
    if (!t->spill)
        rows_trim(t);
    if (t->total == 0) {
        nn_fail(e, "%s: no rows to train on", t->name);
        goto fail;
    }
    if (t->spill ? plan_blocks(t, e) < 0
                 : !(t->order = nn_alloc(t->n, sizeof *t->order, "row order",
                                         e)))
        goto fail;
    for (size_t i = 0; !t->spill && i < t->n; i++)
        t->order[i] = i;
    return t;
fail:
    nn_trainset_close(t);
    return NULL;
}

uint64_t nn_trainset_rows(const nn_trainset *t) { return t->total; }
size_t nn_trainset_classes(const nn_trainset *t) { return t->k; }
int nn_trainset_spilled(const nn_trainset *t) { return t->spill != NULL; }
size_t nn_trainset_held_rows(const nn_trainset *t)
{
    return t->spill ? t->buf_rows : t->n;
}
size_t nn_trainset_block_rows(const nn_trainset *t)
{
    return t->spill ? t->blk : 0;
}
size_t nn_trainset_row_bytes(const nn_trainset *t) { return t->row_bytes; }
const char *nn_trainset_name(const nn_trainset *t) { return t->name; }

/* Fisher-Yates over a[0..n), from g. */
#define SHUFFLE(a, n, g)                                                     \
    for (size_t i_ = (n); i_ > 1; i_--) {                                    \
        size_t j_ = (size_t)nn_rng_below((g), i_);                           \
        __typeof__((a)[0]) v_ = (a)[i_ - 1];                                 \
        (a)[i_ - 1] = (a)[j_];                                               \
        (a)[j_] = v_;                                                        \
    }

int nn_trainset_pass(nn_trainset *t, nn_rng *g, nn_error *e)
{
    (void)e;
    t->g = g;
    t->at = 0;
    t->pos = 0;
    if (!t->spill) {
        if (g) /* over the last pass's order */
            SHUFFLE(t->order, t->n, g);
        return 0;
    }
    t->n = 0;
    if (g)
        SHUFFLE(t->bperm, (size_t)t->nblocks, g);
    return 0;
}

/* The next W blocks of the pass into the buffer, their rows in a random
 * order (or in order). */
static int fill(nn_trainset *t, nn_error *e)
{
    int fd = fileno(t->spill);
    t->n = t->pos = 0;
    while (t->at < t->nblocks && t->n + t->blk <= t->buf_rows) {
        uint64_t b = t->g ? t->bperm[t->at] : t->at;
        uint64_t r0 = b * t->blk;
        size_t m = t->total - r0 < t->blk ? (size_t)(t->total - r0) : t->blk;
        size_t len = m * t->row_bytes, got = 0;
        unsigned char *dst = t->rows + t->n * t->row_bytes;
        while (got < len) {
            ssize_t k = pread(fd, dst + got, len - got,
                              (off_t)(r0 * t->row_bytes + got));
            if (k <= 0)
                return nn_fail(e, "%s: reading rows back from a temporary "
                               "file: %s", t->name,
                               k < 0 ? strerror(errno) : "cut short");
            got += (size_t)k;
        }
        t->n += m;
        t->at++;
    }
    for (size_t i = 0; i < t->n; i++)
        t->order[i] = i;
    if (t->g)
        SHUFFLE(t->order, t->n, t->g);
    return 0;
}

/* Rows are read ahead of their copy by this many (the random reads of a
 * pass, one row of MNIST 3 KB, wait on memory otherwise). */
#define AHEAD 2

/* Asks for the held row src to be brought into the cache. */
static void prefetch(const nn_trainset *t, const unsigned char *src)
{
#if defined(__GNUC__)
    for (size_t o = 0; o < t->row_bytes; o += 64)
        __builtin_prefetch(src + o);
#else
    (void)t;
    (void)src;
#endif
}

/* The held row src into row i of the batch. */
static void emit(const nn_trainset *t, const unsigned char *src, size_t i,
                 int ct, void *x, void *y, uint32_t *cls)
{
    size_t ec = nn_dtype_size(ct), no = t->n_out;
    double *tv = t->tv;
    nn_convert((char *)x + i * t->cols * ec, ct, src, t->xdt, t->cols);
    if (t->k) {
        uint32_t c;
        memcpy(&c, src + t->xbytes, sizeof c);
        if (cls)
            cls[i] = c;
        for (size_t j = 0; j < no; j++)
            tv[j] = (no == 1 && t->sp.pm1 ? c == 1 : c == j) ? t->sp.thi
                                                             : t->sp.tlo;
    } else {
        memcpy(tv, src + t->xbytes, no * sizeof *tv);
    }
    nn_convert((char *)y + i * no * ec, ct, tv, NN_F64, no);
}

int nn_trainset_next(nn_trainset *t, size_t m, int ct, void *x, void *y,
                     uint32_t *cls, size_t *got, nn_error *e)
{
    size_t i = 0;
    if (!t->spill) {
        for (; i < m && t->at < t->n; i++, t->at++) {
            size_t a = (size_t)t->at;
            if (t->g && a + AHEAD < t->n)
                prefetch(t, t->rows + t->order[a + AHEAD] * t->row_bytes);
            emit(t, t->rows + (t->g ? t->order[a] : a) * t->row_bytes, i,
                 ct, x, y, cls);
        }
        *got = i;
        return 0;
    }
    for (; i < m; i++) {
        if (t->pos == t->n && fill(t, e) < 0)
            return -1;
        if (t->n == 0)
            break;
        if (t->pos + AHEAD < t->n)
            prefetch(t, t->rows + t->order[t->pos + AHEAD] * t->row_bytes);
        emit(t, t->rows + t->order[t->pos++] * t->row_bytes, i, ct, x, y, cls);
    }
    *got = i;
    return 0;
}

void nn_trainset_close(nn_trainset *t)
{
    if (!t)
        return;
    close_stream(t);
    rows_free(t);
    free(t->order);
    free(t->bperm);
    if (t->spill)
        fclose(t->spill);
    free(t->tmp);
    free(t->tv);
    free(t->path);
    free(t);
}

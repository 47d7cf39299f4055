/* nn-kfilter — k-filtering (thesis §5.4): drop the rows whose k nearest
 * neighbours all carry their label, block by block; the k-redundancy
 * (percentage dropped) overall and per class; or the loss filtering of
 * §6.8.4 (drop the lowest-loss fraction). */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-kfilter [OPTION]... [FILE]\n"
    "Drop the redundant rows of a data set (FILE or stdin): rows whose K\n"
    "nearest neighbours in x (Euclidean, itself excluded, ties to the lower\n"
    "row) all have the row's label y.  Write the kept rows; report the\n"
    "k-redundancy (percentage dropped) overall and per class.\n"
    "\n"
    "  -k, --neighbours K    neighbours (default 10)\n"
    "  -b, --batch B         search within blocks of B rows (default: the\n"
    "                        whole set)\n"
    "  -n, --name NAME       the tensor searched (default x)\n"
    "  -y, --labels NAME     the labels: class numbers, or rows of scores\n"
    "                        such as one-hot rows (default y)\n"
    "  -t, --tensors PATTERN filter these tensors too (repeatable; default\n"
    "                        '*': every tensor with as many rows)\n"
    "      --cap F           drop at most the fraction F of each block: the\n"
    "                        rows whose K-th neighbour is nearest\n"
    "      --dropped         write the dropped rows instead\n"
    "  -i, --index           write only the row numbers (u64 tensor 'index')\n"
    "  -s, --stats           write only the statistics record 'kredundancy'\n"
    "      --report          write the statistics record after the rows\n"
    "  -r, --report-file FILE  write the statistics record to FILE\n"
    "  -v, --verbose         the k-redundancy as one line on stderr\n"
    "      --by-loss F       drop the fraction F of each block with the lowest\n"
    "                        loss instead (no neighbour search), given\n"
    "      --loss NAME       a tensor of per-row losses, or\n"
    "      --pred NAME       predictions, scored by ||t - p||^2 against the\n"
    "                        labels (one-hot for class numbers)\n"
    "  -o, --output FILE     write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]    compress records with zstd (default level 3)\n"
    "  -h, --help            show this help and exit\n"
    "      --version         show the version and exit\n"
    "See nn-kfilter(1).\n";

enum { OPT_CAP = 256, OPT_DROPPED, OPT_REPORT, OPT_BY_LOSS, OPT_LOSS,
       OPT_PRED };

/* -v lists the classes one by one up to this many. */
#define SAY_CLASSES_MAX 100

static struct {
    uint64_t k, batch;
    int k_set;
    const char *name, *labels, *loss, *pred, *out, *report_file;
    char **tensors;
    size_t ntensors;
    double cap, by_loss;        /* < 0: not given */
    int dropped, index, stats, report, verbose, level, name_set;
} O = {.k = 10, .name = "x", .labels = "y", .out = "-", .cap = -1,
       .by_loss = -1};

static nn_reader *rd;
static nn_rowset *rs;
static nn_writer *w, *rw;       /* the output, the -r file */
static const char *in_name;

/* The followed tensors and the block being gathered. */
static struct {
    int n, ix, iy, il, ip;      /* searched, labels, loss, predictions */
    int dtype[NN_ROWSET_MAX], rank[NN_ROWSET_MAX];
    uint64_t dims[NN_ROWSET_MAX][NN_MAX_RANK];
    size_t cols[NN_ROWSET_MAX], row_bytes[NN_ROWSET_MAX];
    unsigned char *buf[NN_ROWSET_MAX], *scratch[NN_ROWSET_MAX];
    size_t cap[NN_ROWSET_MAX], scap[NN_ROWSET_MAX];
    int written[NN_ROWSET_MAX];
    size_t filled;
    uint64_t row0;              /* stream row of the block's first row */
    uint64_t classes_attr;      /* integer labels' classes=, or 0 */
} B;

/* What was dropped. */
static struct {
    uint64_t rows, dropped, blocks;
    uint64_t *crows, *cdrop;
    size_t ncls;                /* classes seen (largest + 1), or known */
    uint64_t index_rows;
} S;

/* Records of other tensors read before the first block is written: held,
 * so that an error in the first block leaves the output empty. */
typedef struct held {
    char name[NN_NAME_MAX + 1];
    unsigned char *bytes;
    size_t hlen, plen;
} held;
static held *H;
static size_t nheld, held_cap;
static int started;

static void *xalloc(size_t n, size_t size, const char *what)
{
    nn_error e;
    void *p = nn_alloc(n ? n : 1, size ? size : 1, what, &e);
    if (!p)
        nn_die("%s", e.msg);
    return p;
}

static int other_record(const nn_record *r, void *arg, nn_error *e)
{
    (void)arg;
    if (started)
        return nn_writer_copy(w, r, e);
    if (nheld == held_cap) {
        held_cap = held_cap ? 2 * held_cap : 8;
        held *h = realloc(H, held_cap * sizeof *h);
        if (!h)
            return nn_fail(e, "out of memory");
        H = h;
    }
    held *h = &H[nheld];
    h->hlen = r->raw_header_len;
    h->plen = r->raw_payload_len;
    if (!(h->bytes = malloc(h->hlen + h->plen + 1)))
        return nn_fail(e, "out of memory holding record '%s'", r->name);
    memcpy(h->bytes, r->raw_header, h->hlen);
    if (h->plen)
        memcpy(h->bytes + h->hlen, r->raw_payload, h->plen);
    strcpy(h->name, r->name);
    nheld++;
    return 0;
}

/* Output begins: the held records first. */
static void start_output(void)
{
    if (started)
        return;
    started = 1;
    nn_error e;
    for (size_t i = 0; i < nheld; i++) {
        nn_record r;
        memset(&r, 0, sizeof r);
        strcpy(r.name, H[i].name);
        r.raw_header = H[i].bytes;
        r.raw_header_len = H[i].hlen;
        r.raw_payload = H[i].bytes + H[i].hlen;
        r.raw_payload_len = H[i].plen;
        if (nn_writer_copy(w, &r, &e) < 0)
            nn_die("%s", e.msg);
        free(H[i].bytes);
    }
    nheld = 0;
}

static int loss_mode(void) { return O.by_loss >= 0; }

/* ------------------------------------------------------------------ setup */


/* Once the tensors are known (b: the first block, or the empty end). */
static void setup(const nn_rowblock *b)
{
    B.n = b->n;
    B.ix = nn_rowset_find(rs, O.name);
    B.iy = nn_rowset_find(rs, O.labels);
    B.il = O.loss ? nn_rowset_find(rs, O.loss) : -1;
    B.ip = O.pred ? nn_rowset_find(rs, O.pred) : -1;
    for (int i = 0; i < b->n; i++) {
        B.dtype[i] = b->dtype[i];
        B.rank[i] = b->rank[i];
        memcpy(B.dims[i], b->dims[i], sizeof B.dims[i]);
        B.cols[i] = b->cols[i];
        B.row_bytes[i] = b->cols[i] * nn_dtype_size(b->dtype[i]);
    }
    size_t yc = B.cols[B.iy];
    nn_error e;
    if (yc == 0)
        nn_die("%s: the labels '%s' have no columns", in_name, O.labels);
    if (yc == 1 && !nn_dtype_is_float(B.dtype[B.iy]) &&
        nn_labels_classes(nn_rowset_attrs(rs, B.iy), O.labels,
                          &B.classes_attr, &e) < 0)
        nn_die("%s: %s", in_name, e.msg);
    if (yc > NN_CLASSES_MAX)
        nn_die("%s: the labels '%s' have %zu columns: more than %d classes",
               in_name, O.labels, yc, NN_CLASSES_MAX);
    if (yc >= 2)
        B.classes_attr = yc;
    if (B.il >= 0 && B.cols[B.il] != 1)
        nn_die("%s: the losses '%s' have %zu values per row, not one",
               in_name, O.loss, B.cols[B.il]);
    if (B.ip >= 0) {
        size_t pc = B.cols[B.ip];
        if (pc == 0 || (yc >= 2 && pc != yc))
            nn_die("%s: the predictions '%s' have %zu column%s, the labels "
                   "'%s' %zu", in_name, O.pred, pc, pc == 1 ? "" : "s",
                   O.labels, yc);
        if (yc == 1 && pc >= 2 && B.classes_attr && B.classes_attr != pc)
            nn_die("%s: the labels '%s' have classes=%llu, the predictions "
                   "'%s' %zu columns", in_name, O.labels,
                   (unsigned long long)B.classes_attr, O.pred, pc);
    }
    S.ncls = B.classes_attr;
    S.crows = xalloc(S.ncls, sizeof *S.crows, "class counts");
    S.cdrop = xalloc(S.ncls, sizeof *S.cdrop, "class counts");
    memset(S.crows, 0, (S.ncls ? S.ncls : 1) * sizeof *S.crows);
    memset(S.cdrop, 0, (S.ncls ? S.ncls : 1) * sizeof *S.cdrop);
}

static void append(const nn_rowblock *b)
{
    for (int i = 0; i < B.n; i++) {
        size_t bytes = b->rows * B.row_bytes[i];
        if (nn_buf_reserve(&B.buf[i], &B.cap[i], B.filled * B.row_bytes[i] +
                           bytes + 1) < 0)
            nn_die("%s: out of memory holding %llu rows of '%s'", in_name,
                   (unsigned long long)(B.filled + b->rows),
                   nn_rowset_name(rs, i));
        if (bytes)
            memcpy(B.buf[i] + B.filled * B.row_bytes[i], b->data[i], bytes);
    }
    B.filled += b->rows;
}

/* ---------------------------------------------------------------- a block */

static void grow_classes(size_t n)
{
    if (n <= S.ncls)
        return;
    uint64_t *a = xalloc(n, sizeof *a, "class counts"),
             *d = xalloc(n, sizeof *d, "class counts");
    memset(a, 0, n * sizeof *a);
    memset(d, 0, n * sizeof *d);
    if (S.ncls) {
        memcpy(a, S.crows, S.ncls * sizeof *a);
        memcpy(d, S.cdrop, S.ncls * sizeof *d);
    }
    free(S.crows);
    free(S.cdrop);
    S.crows = a;
    S.cdrop = d;
    S.ncls = n;
}

/* The class of each of the m rows: a class number, or the column of the
 * largest score (the first of equal ones). */
static void classes(size_t m, uint32_t *cls)
{
    const unsigned char *y = B.buf[B.iy];
    int dt = B.dtype[B.iy];
    size_t yc = B.cols[B.iy];
    for (size_t i = 0; i < m; i++) {
        unsigned long long row = (unsigned long long)(B.row0 + i);
        if (yc == 1) {
            double v = nn_elem_f64(y, dt, i);
            if (!(v >= 0) || v != floor(v) || v > 1e15)
                nn_die("%s: row %llu: label %g of '%s' is not a class number",
                       in_name, row, v, O.labels);
            if (B.classes_attr && v >= (double)B.classes_attr)
                nn_die("%s: row %llu: label %.0f is out of range for "
                       "classes=%llu", in_name, row, v,
                       (unsigned long long)B.classes_attr);
            if (v >= NN_CLASSES_MAX)
                nn_die("%s: row %llu: label %.0f: more than %d classes",
                       in_name, row, v, NN_CLASSES_MAX);
            cls[i] = (uint32_t)v;
        } else {
            size_t best = 0;
            double bv = 0;
            for (size_t j = 0; j < yc; j++) {
                double v = nn_elem_f64(y, dt, i * yc + j);
                if (isnan(v))
                    nn_die("%s: row %llu: NaN in the labels '%s'", in_name,
                           row, O.labels);
                if (j == 0 || v > bv) {
                    bv = v;
                    best = j;
                }
            }
            cls[i] = (uint32_t)best;
        }
        grow_classes((size_t)cls[i] + 1);
    }
}

/* Rows of the searched tensor must be finite: the first that is not. */
static void check_finite(size_t m)
{
    nn_error e;
    if (nn_rows_check_finite(B.buf[B.ix], B.dtype[B.ix], m, B.cols[B.ix],
                             B.row0, "", O.name, &e) < 0)
        nn_die("%s: %s", in_name, e.msg);
}

/* Sort keys: ascending value, ties by row. */
typedef struct key {
    double v;
    size_t i;
} key;

static int key_cmp(const void *a, const void *b)
{
    const key *p = a, *q = b;
    if (p->v != q->v)
        return p->v < q->v ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* floor(f m), forgiving the rounding of f (0.29 * 100 is 28.999...). */
static size_t fraction_of(double f, size_t m)
{
    double v = floor(f * (double)m + 1e-9 * (double)m + 1e-9);
    return v > (double)m ? m : (size_t)v;
}

/* Drops the n lowest of the keys (their rows). */
static void drop_lowest(key *keys, size_t nk, size_t n, unsigned char *drop)
{
    qsort(keys, nk, sizeof *keys, key_cmp);
    for (size_t a = 0; a < n && a < nk; a++)
        drop[keys[a].i] = 1;
}

static void per_row_loss(size_t m, key *keys)
{
    size_t yc = B.cols[B.iy];
    for (size_t i = 0; i < m; i++) {
        double l;
        if (B.il >= 0) {
            l = nn_elem_f64(B.buf[B.il], B.dtype[B.il], i);
        } else {
            size_t pc = B.cols[B.ip];
            const void *p = B.buf[B.ip];
            int pd = B.dtype[B.ip];
            l = 0;
            if (yc == 1) {
                double t = nn_elem_f64(B.buf[B.iy], B.dtype[B.iy], i);
                if (pc >= 2 && t >= (double)pc)
                    nn_die("%s: row %llu: label %.0f is out of range for %zu "
                           "prediction columns", in_name,
                           (unsigned long long)(B.row0 + i), t, pc);
                for (size_t j = 0; j < pc; j++) {
                    double want = pc == 1 ? t : (double)(j == (size_t)t);
                    double d = nn_elem_f64(p, pd, i * pc + j) - want;
                    l += d * d;
                }
            } else {
                for (size_t j = 0; j < pc; j++) {
                    double d = nn_elem_f64(p, pd, i * pc + j) -
                               nn_elem_f64(B.buf[B.iy], B.dtype[B.iy],
                                           i * yc + j);
                    l += d * d;
                }
            }
        }
        if (isnan(l))
            nn_die("%s: row %llu: the loss is NaN", in_name,
                   (unsigned long long)(B.row0 + i));
        keys[i].v = l;
        keys[i].i = i;
    }
}

/* Writes the rows of the block (m) whose drop flag is want, in chunks,
 * the tensors' chunks interleaved. */
static void write_rows(size_t m, const unsigned char *drop, int want)
{
    size_t widest = 1;
    for (int t = 0; t < B.n; t++)
        widest = B.row_bytes[t] > widest ? B.row_bytes[t] : widest;
    size_t per = nn_chunk_rows(widest);
    for (int t = 0; t < B.n; t++)
        if (nn_buf_reserve(&B.scratch[t], &B.scap[t],
                           per * B.row_bytes[t] + 1) < 0)
            nn_die("out of memory");
    nn_error e;
    for (size_t i = 0; i < m;) {
        size_t n = 0;
        for (; i < m && n < per; i++) {
            if (drop[i] != want)
                continue;
            for (int t = 0; t < B.n; t++) {
                size_t rb = B.row_bytes[t];
                if (rb)
                    memcpy(B.scratch[t] + n * rb, B.buf[t] + i * rb, rb);
            }
            n++;
        }
        if (n == 0)
            break;
        for (int t = 0; t < B.n; t++) {
            nn_header h = {.name = nn_rowset_name(rs, t), .dtype = B.dtype[t],
                           .rank = B.rank[t],
                           .attrs = nn_rowset_attrs(rs, t)};
            memcpy(h.dims, B.dims[t], sizeof h.dims);
            h.dims[0] = n;
            if (nn_writer_rows(w, &h, B.scratch[t], &e) < 0)
                nn_die("%s", e.msg);
            B.written[t] = 1;
        }
    }
}

static const char *batch_text(char *buf, size_t cap)
{
    if (O.batch)
        snprintf(buf, cap, "%llu", (unsigned long long)O.batch);
    else
        snprintf(buf, cap, "all");
    return buf;
}

/* Attributes shared by the index and the statistics. */
static void method_attrs(char *a, size_t cap)
{
    char bt[32], f[32];
    size_t n = (size_t)snprintf(a, cap, "producer=nn-kfilter %s\n",
                                NN_VERSION);
    if (loss_mode())
        n += (size_t)snprintf(a + n, cap - n, "method=loss\nfraction=%s\n%s=%s\n",
                              nn_fmt_double(f, sizeof f, O.by_loss),
                              O.loss ? "loss" : "pred",
                              O.loss ? O.loss : O.pred);
    else
        n += (size_t)snprintf(a + n, cap - n, "method=knn\nk=%llu\ntensor=%s\n",
                              (unsigned long long)O.k, O.name);
    if (O.cap >= 0)
        n += (size_t)snprintf(a + n, cap - n, "cap=%s\n",
                              nn_fmt_double(f, sizeof f, O.cap));
    snprintf(a + n, cap - n, "batch=%s\nlabels=%s\n",
             batch_text(bt, sizeof bt), O.labels);
}

static void write_index(size_t m, const unsigned char *drop, int want)
{
    size_t per = nn_chunk_rows(sizeof(uint64_t)), n = 0;
    uint64_t *ix = xalloc(per, sizeof *ix, "row numbers");
    char attrs[1024];
    method_attrs(attrs, sizeof attrs);
    nn_error e;
    for (size_t i = 0; i <= m; i++) {
        if (n == per || (i == m && n)) {
            nn_header h = {.name = "index", .dtype = NN_U64, .rank = 1,
                           .dims = {n}, .attrs = attrs};
            if (nn_writer_rows(w, &h, ix, &e) < 0)
                nn_die("%s", e.msg);
            S.index_rows += n;
            n = 0;
        }
        if (i < m && drop[i] == want)
            ix[n++] = B.row0 + i;
    }
    free(ix);
}

/* Filters the block gathered (B.filled rows). */
static void process(int last)
{
    size_t m = B.filled;
    if (m == 0 && !(last && !O.batch && !loss_mode()))
        return;
    uint32_t *cls = xalloc(m, sizeof *cls, "classes");
    unsigned char *drop = xalloc(m, 1, "flags");
    memset(drop, 0, m ? m : 1);
    classes(m, cls);
    if (loss_mode()) {
        key *keys = xalloc(m, sizeof *keys, "losses");
        per_row_loss(m, keys);
        drop_lowest(keys, m, fraction_of(O.by_loss, m), drop);
        free(keys);
    } else if (m <= O.k) {
        if (!O.batch)
            nn_die("%s: %zu row%s: k=%llu needs more rows than that",
                   in_name, m, m == 1 ? "" : "s", (unsigned long long)O.k);
        /* a last short block: its rows lack k neighbours, all are kept */
    } else {
        check_finite(m);
        size_t k = (size_t)O.k;
        uint32_t *nb = xalloc(m, k * sizeof *nb, "neighbour lists");
        double *dist = O.cap >= 0 ? xalloc(m, k * sizeof *dist,
                                           "neighbour distances") : NULL;
        nn_error e;
        if (nn_knn(m, B.cols[B.ix], B.buf[B.ix], B.dtype[B.ix], k, nb, dist,
                   NULL, &e) < 0)
            nn_die("%s: rows %llu..%llu of '%s': %s", in_name,
                   (unsigned long long)B.row0,
                   (unsigned long long)(B.row0 + m - 1), O.name, e.msg);
        size_t red = 0;
        for (size_t i = 0; i < m; i++) {
            size_t p = 0;
            while (p < k && cls[nb[i * k + p]] == cls[i])
                p++;
            drop[i] = p == k;
            red += drop[i];
        }
        size_t most = O.cap >= 0 ? fraction_of(O.cap, m) : m;
        if (red > most) {
            /* keep only the `most` whose k-th neighbour is nearest */
            key *keys = xalloc(red, sizeof *keys, "distances");
            size_t n = 0;
            for (size_t i = 0; i < m; i++)
                if (drop[i]) {
                    keys[n].v = dist[i * k + k - 1];
                    keys[n++].i = i;
                    drop[i] = 0;
                }
            drop_lowest(keys, n, most, drop);
            free(keys);
        }
        free(nb);
        free(dist);
    }
    for (size_t i = 0; i < m; i++) {
        S.crows[cls[i]]++;
        S.cdrop[cls[i]] += drop[i];
        S.dropped += drop[i];
    }
    S.rows += m;
    S.blocks++;
    if (!O.stats) {
        start_output();
        if (O.index)
            write_index(m, drop, O.dropped);
        else
            write_rows(m, drop, O.dropped);
    }
    free(cls);
    free(drop);
    B.row0 += m;
    B.filled = 0;
}

/* ----------------------------------------------------------------- report */

static double percent(uint64_t d, uint64_t n)
{
    return n ? 100.0 * (double)d / (double)n : 0;
}

static void put_report(nn_writer *to)
{
    size_t c = S.ncls;
    double *v = xalloc(c + 1, 3 * sizeof *v, "statistics");
    v[0] = (double)S.rows;
    v[1] = (double)S.dropped;
    v[2] = percent(S.dropped, S.rows);
    for (size_t i = 0; i < c; i++) {
        v[3 * (i + 1)] = (double)S.crows[i];
        v[3 * (i + 1) + 1] = (double)S.cdrop[i];
        v[3 * (i + 1) + 2] = percent(S.cdrop[i], S.crows[i]);
    }
    char attrs[1200];
    method_attrs(attrs, sizeof attrs);
    size_t n = strlen(attrs);
    snprintf(attrs + n, sizeof attrs - n,
             "blocks=%llu\nclasses=%zu\ncolumns=rows,dropped,percent\n",
             (unsigned long long)S.blocks, c);
    nn_header h = {.name = "kredundancy", .dtype = NN_F64, .rank = 2,
                   .dims = {c + 1, 3}, .attrs = attrs};
    nn_error e;
    if (nn_writer_put(to, &h, v, &e) < 0)
        nn_die("%s", e.msg);
    free(v);
}

static void say_summary(void)
{
    char bt[32], f[32];
    if (loss_mode())
        fprintf(stderr, "%s: loss fraction=%s", nn_prog,
                nn_fmt_double(f, sizeof f, O.by_loss));
    else
        fprintf(stderr, "%s: k=%llu", nn_prog, (unsigned long long)O.k);
    if (O.cap >= 0)
        fprintf(stderr, " cap=%s", nn_fmt_double(f, sizeof f, O.cap));
    fprintf(stderr, " batch=%s: dropped %llu of %llu rows (%.2f%%)",
            batch_text(bt, sizeof bt), (unsigned long long)S.dropped,
            (unsigned long long)S.rows, percent(S.dropped, S.rows));
    /* the classes present, of however many classes= declares */
    size_t present = 0;
    for (size_t i = 0; i < S.ncls; i++)
        present += S.crows[i] != 0;
    if (present > SAY_CLASSES_MAX) {
        fprintf(stderr, "; %zu classes (per class: --report)", present);
    } else if (present) {
        fprintf(stderr, "; by class");
        for (size_t i = 0; i < S.ncls; i++)
            if (S.crows[i])
                fprintf(stderr, " %zu:%.2f%%", i,
                        percent(S.cdrop[i], S.crows[i]));
    }
    fputc('\n', stderr);
}

/* Tensors that had no row to write still appear, with 0 rows. */
static void write_empty(void)
{
    static const unsigned char none[8];
    nn_error e;
    if (O.index) {
        if (S.index_rows == 0) {
            char attrs[1024];
            method_attrs(attrs, sizeof attrs);
            nn_header h = {.name = "index", .dtype = NN_U64, .rank = 1,
                           .dims = {0}, .attrs = attrs};
            if (nn_writer_rows(w, &h, none, &e) < 0)
                nn_die("%s", e.msg);
        }
        return;
    }
    for (int t = 0; t < B.n; t++) {
        if (B.written[t])
            continue;
        nn_header h = {.name = nn_rowset_name(rs, t), .dtype = B.dtype[t],
                       .rank = B.rank[t], .attrs = nn_rowset_attrs(rs, t)};
        memcpy(h.dims, B.dims[t], sizeof h.dims);
        h.dims[0] = 0;
        if (nn_writer_rows(w, &h, none, &e) < 0)
            nn_die("%s", e.msg);
    }
}

/* ------------------------------------------------------------------- main */

static double fraction_arg(const char *s, const char *opt)
{
    double f;
    if (nn_parse_double(s, &f) < 0 || !(f >= 0 && f <= 1))
        nn_usage_error("invalid %s '%s' (a fraction, 0 to 1)", opt, s);
    return f;
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-kfilter");
    static const struct option longopts[] = {
        {"neighbours", required_argument, 0, 'k'},
        {"batch", required_argument, 0, 'b'},
        {"name", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"tensors", required_argument, 0, 't'},
        {"cap", required_argument, 0, OPT_CAP},
        {"dropped", no_argument, 0, OPT_DROPPED},
        {"index", no_argument, 0, 'i'},
        {"stats", no_argument, 0, 's'},
        {"report", no_argument, 0, OPT_REPORT},
        {"report-file", required_argument, 0, 'r'},
        {"verbose", no_argument, 0, 'v'},
        {"by-loss", required_argument, 0, OPT_BY_LOSS},
        {"loss", required_argument, 0, OPT_LOSS},
        {"pred", required_argument, 0, OPT_PRED},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    O.tensors = calloc((size_t)argc, sizeof *O.tensors);
    if (!O.tensors)
        nn_die("out of memory");
    int c;
    while ((c = getopt_long(argc, argv, ":k:b:n:y:t:isr:vo:z::hV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'k':
            if (nn_parse_u64(optarg, &O.k) < 0 || O.k == 0 ||
                O.k >= UINT32_MAX)
                nn_usage_error("invalid -k '%s'", optarg);
            O.k_set = 1;
            break;
        case 'b':
            if (nn_parse_u64(optarg, &O.batch) < 0 || O.batch == 0 ||
                O.batch > UINT32_MAX)
                nn_usage_error("invalid --batch '%s'", optarg);
            break;
        case 'n': O.name = optarg; O.name_set = 1; break;
        case 'y': O.labels = optarg; break;
        case 't': O.tensors[O.ntensors++] = optarg; break;
        case OPT_CAP: O.cap = fraction_arg(optarg, "--cap"); break;
        case OPT_DROPPED: O.dropped = 1; break;
        case 'i': O.index = 1; break;
        case 's': O.stats = 1; break;
        case OPT_REPORT: O.report = 1; break;
        case 'r': O.report_file = optarg; break;
        case 'v': O.verbose = 1; break;
        case OPT_BY_LOSS: O.by_loss = fraction_arg(optarg, "--by-loss"); break;
        case OPT_LOSS: O.loss = optarg; break;
        case OPT_PRED: O.pred = optarg; break;
        case 'o': O.out = optarg; break;
        case 'z': O.level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    if (!*O.name || !*O.labels || (O.loss && !*O.loss) || (O.pred && !*O.pred))
        nn_usage_error("empty tensor name");
    for (size_t i = 0; i < O.ntensors; i++)
        if (!*O.tensors[i])
            nn_usage_error("empty --tensors pattern");
    if (O.stats && (O.index || O.dropped))
        nn_usage_error("-s writes only the statistics: no -i or --dropped");
    if (loss_mode()) {
        if (!O.loss == !O.pred)
            nn_usage_error("--by-loss takes one of --loss and --pred");
        if (O.k_set || O.cap >= 0 || O.name_set)
            nn_usage_error("--by-loss searches no neighbours: no -k, --cap "
                           "or -n");
    } else {
        if (O.loss || O.pred)
            nn_usage_error("--loss and --pred go with --by-loss");
        if (O.batch && O.batch <= O.k)
            nn_usage_error("k=%llu needs blocks of more than %llu rows "
                           "(--batch %llu)", (unsigned long long)O.k,
                           (unsigned long long)O.k,
                           (unsigned long long)O.batch);
    }
    if (O.report_file && (strcmp(O.report_file, "-") == 0 ||
                          strcmp(O.report_file, O.out) == 0))
        nn_usage_error("-r needs a file of its own");
    const char *path = optind < argc ? argv[optind] : "-";

    nn_error e;
    if (!(rd = nn_reader_open(path, &e)))
        nn_die("%s", e.msg);
    in_name = nn_reader_name(rd);
    const char *names[2];
    int nn = 0;
    if (loss_mode()) {
        names[nn++] = O.loss ? O.loss : O.pred;
    } else {
        names[nn++] = O.name;
    }
    names[nn++] = O.labels;
    if (!(rs = nn_rowset_open(rd, nn, names, &e)))
        nn_die("%s", e.msg);
    int rows_out = !O.stats && !O.index;
    if (rows_out) {
        if (O.ntensors == 0)
            O.tensors[O.ntensors++] = "*";
        for (size_t i = 0; i < O.ntensors; i++)
            if (nn_rowset_add(rs, O.tensors[i], 1, &e) < 0)
                nn_die("%s", e.msg);
        nn_rowset_set_other(rs, other_record, NULL);
    }
    /* every output open before any is committed: all or none */
    if (!(w = nn_writer_open(O.out, 0, &e)))
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, O.level);
    if (O.report_file) {
        if (!(rw = nn_writer_open(O.report_file, 0, &e)))
            nn_die("%s", e.msg);
        nn_writer_set_compression(rw, O.level);
    }

    nn_rowblock b;
    int rc, ready = 0;
    for (;;) {
        size_t want = O.batch ? (size_t)O.batch - B.filled : 0;
        if ((rc = nn_rowset_next(rs, want, &b, &e)) <= 0)
            break;
        if (!ready) {
            setup(&b);
            ready = 1;
        }
        append(&b);
        if (O.batch && B.filled == O.batch)
            process(0);
    }
    if (rc < 0)
        nn_die("%s", e.msg);
    if (!ready)
        setup(&b);
    process(1);

    if (!O.stats) {
        start_output();
        write_empty();
    }
    if (O.report || O.stats)
        put_report(w);
    if (rw)
        put_report(rw);
    /* the larger output first: a failure there still discards the other */
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    if (rw && nn_writer_close(rw, 1, &e) < 0)
        nn_die("%s", e.msg);
    if (O.verbose)
        say_summary();

    for (int t = 0; t < B.n; t++) {
        free(B.buf[t]);
        free(B.scratch[t]);
    }
    free(S.crows);
    free(S.cdrop);
    free(H);
    free(O.tensors);
    nn_rowset_close(rs);
    nn_reader_close(rd);
    return 0;
}

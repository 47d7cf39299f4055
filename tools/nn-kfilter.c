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
    "  or:  nn-kfilter --by-loss=F (--loss=NAME | --pred=NAME) [OPTION]... "
    "[FILE]\n"
    "Drop the redundant rows of a data set (FILE or stdin): rows whose K\n"
    "nearest neighbours in x (Euclidean, itself excluded, ties to the lower\n"
    "row) all have the row's label y.  Write the kept rows; report the\n"
    "k-redundancy (percentage dropped) overall and per class.\n"
    "\n"
    "  -k, --neighbours=K      neighbours (default 10)\n"
    "  -b, --batch=B           search within blocks of B rows (default: the\n"
    "                          whole set)\n"
    "  -n, --name=NAME         the tensor searched (default x)\n"
    "  -y, --labels=NAME       the labels: class numbers, or rows of scores\n"
    "                          such as one-hot rows (default y)\n"
    "      --tensors=PATTERN   filter these tensors too (repeatable; default\n"
    "                          '*': every tensor with as many rows)\n"
    "      --cap=F             drop at most the fraction F of each block: the\n"
    "                          rows whose K-th neighbour is nearest\n"
    "      --dropped           write the dropped rows instead\n"
    "  -i, --index             write only the row numbers (u64 tensor\n"
    "                          'index')\n"
    "      --report-only       write only the statistics record 'kredundancy'\n"
    "      --report            write the statistics record after the rows\n"
    "      --report-file=FILE  write the statistics record to FILE\n"
    "  -v, --verbose           the k-redundancy as one line on stderr\n"
    "      --by-loss=F         drop the fraction F of each block with the\n"
    "                          lowest loss instead (no neighbour search),\n"
    "                          given\n"
    "      --loss=NAME         a tensor of per-row losses, or\n"
    "      --pred=NAME         predictions, scored by ||t - p||^2 against the\n"
    "                          labels (one-hot for class numbers)\n"
    "  -o, --output=FILE       write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]      compress records with zstd (default level 3)\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "See nn-kfilter(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-kfilter -v -k 10 -b 6148 train.nns > kept.nns\n";

enum { OPT_TENSORS = 256, OPT_CAP, OPT_DROPPED, OPT_REPORT_ONLY, OPT_REPORT,
       OPT_REPORT_FILE, OPT_BY_LOSS, OPT_LOSS, OPT_PRED };

/* -v lists the classes one by one up to this many. */
#define SAY_CLASSES_MAX 100

typedef struct options {
    uint64_t k, batch;          /* batch 0: the whole set */
    int k_set, name_set;
    const char *name, *labels, *loss, *pred;
    char **tensors;             /* --tensors patterns */
    size_t ntensors;
    double cap, by_loss;        /* < 0: not given */
    int dropped, index, report_only, report, verbose, level;
    const char *in, *out, *report_file;
} options;

/* The followed tensors and the block being gathered. */
typedef struct block {
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
} block;

/* What was dropped. */
typedef struct tally {
    uint64_t rows, dropped, blocks;
    uint64_t *crows, *cdrop;    /* by class */
    size_t ncls;                /* classes seen (largest + 1), or known */
    uint64_t index_rows;
} tally;

/* A run: the input, the outputs, the block and the tally. */
typedef struct run {
    const options *o;
    const char *in;             /* the input's name, for messages */
    nn_reader *rd;
    nn_rowset *rs;
    nn_writer *w, *rw;          /* the output, the --report-file */
    block B;
    tally S;
} run;

/* ---------------------------------------------------------------- options */

static const char *name_arg(const char *opt, const char *arg)
{
    if (!nn_name_valid(arg, strlen(arg)))
        nn_usage_error("invalid --%s '%s': not a tensor name", opt, arg);
    return arg;
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"neighbours", required_argument, 0, 'k'},
        {"batch", required_argument, 0, 'b'},
        {"name", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"tensors", required_argument, 0, OPT_TENSORS},
        {"cap", required_argument, 0, OPT_CAP},
        {"dropped", no_argument, 0, OPT_DROPPED},
        {"index", no_argument, 0, 'i'},
        {"report-only", no_argument, 0, OPT_REPORT_ONLY},
        {"report", no_argument, 0, OPT_REPORT},
        {"report-file", required_argument, 0, OPT_REPORT_FILE},
        {"verbose", no_argument, 0, 'v'},
        {"by-loss", required_argument, 0, OPT_BY_LOSS},
        {"loss", required_argument, 0, OPT_LOSS},
        {"pred", required_argument, 0, OPT_PRED},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    *o = (options){.k = 10, .name = "x", .labels = "y", .out = "-",
                   .cap = -1, .by_loss = -1};
    o->tensors = nn_xalloc((size_t)argc + 1, sizeof *o->tensors, "options");
    int c;
    while ((c = getopt_long(argc, argv, ":k:b:n:y:ivo:z::hV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'k':
            o->k = nn_arg_u64("neighbours", optarg, 1, UINT32_MAX - 1);
            o->k_set = 1;
            break;
        case 'b': o->batch = nn_arg_u64("batch", optarg, 1, UINT32_MAX); break;
        case 'n': o->name = name_arg("name", optarg); o->name_set = 1; break;
        case 'y': o->labels = name_arg("labels", optarg); break;
        case OPT_TENSORS:
            if (!*optarg)
                nn_usage_error("invalid --tensors '': an empty pattern");
            o->tensors[o->ntensors++] = optarg;
            break;
        case OPT_CAP: o->cap = nn_arg_double("cap", optarg, 0, 1); break;
        case OPT_DROPPED: o->dropped = 1; break;
        case 'i': o->index = 1; break;
        case OPT_REPORT_ONLY: o->report_only = 1; break;
        case OPT_REPORT: o->report = 1; break;
        case OPT_REPORT_FILE: o->report_file = optarg; break;
        case 'v': o->verbose = 1; break;
        case OPT_BY_LOSS:
            o->by_loss = nn_arg_double("by-loss", optarg, 0, 1);
            break;
        case OPT_LOSS: o->loss = name_arg("loss", optarg); break;
        case OPT_PRED: o->pred = name_arg("pred", optarg); break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    o->in = optind < argc ? argv[optind] : "-";
    if (o->report_only && (o->index || o->dropped))
        nn_usage_error("--report-only writes only the statistics: no -i or "
                       "--dropped");
    if (o->by_loss >= 0) {
        if (!o->loss == !o->pred)
            nn_usage_error("--by-loss takes one of --loss and --pred");
        if (o->k_set || o->cap >= 0 || o->name_set)
            nn_usage_error("--by-loss searches no neighbours: no -k, --cap "
                           "or -n");
    } else {
        if (o->loss || o->pred)
            nn_usage_error("--loss and --pred go with --by-loss");
        if (o->batch && o->batch <= o->k)
            nn_usage_error("k=%llu needs blocks of more than %llu rows "
                           "(--batch %llu)", (unsigned long long)o->k,
                           (unsigned long long)o->k,
                           (unsigned long long)o->batch);
    }
    if (o->report_file && (strcmp(o->report_file, "-") == 0 ||
                           strcmp(o->report_file, o->out) == 0))
        nn_usage_error("--report-file needs a file of its own");
}

static int loss_mode(const options *o) { return o->by_loss >= 0; }

/* ------------------------------------------------------------------ setup */

/* Records of the tensors not filtered: copied through (held by the writer
 * until the first block is written). */
static int other_record(const nn_record *r, void *arg, nn_error *e)
{
    return nn_writer_copy(arg, r, e);
}

/* Opens the input, the row set and the outputs, every output before any
 * is committed: all or none. */
static int open_run(run *R, nn_error *e)
{
    const options *o = R->o;
    if (!(R->rd = nn_reader_open(o->in, e)))
        return -1;
    R->in = nn_reader_name(R->rd);
    const char *names[2] = {loss_mode(o) ? (o->loss ? o->loss : o->pred)
                                         : o->name, o->labels};
    if (!(R->rs = nn_rowset_open(R->rd, 2, names, e)) ||
        !(R->w = nn_writer_open(o->out, 0, e)))
        return -1;
    /* nothing reaches the output before the first block is written, so
     * that an error in it leaves the output empty */
    nn_writer_hold(R->w, 0);
    nn_writer_set_compression(R->w, o->level);
    if (!o->report_only && !o->index) {
        static char *every[] = {"*"};
        char *const *pat = o->ntensors ? o->tensors : every;
        for (size_t i = 0; i < (o->ntensors ? o->ntensors : 1); i++)
            if (nn_rowset_add(R->rs, pat[i], 1, e) < 0)
                return -1;
        nn_rowset_set_other(R->rs, other_record, R->w);
    }
    if (o->report_file) {
        if (!(R->rw = nn_writer_open(o->report_file, 0, e)))
            return -1;
        nn_writer_set_compression(R->rw, o->level);
    }
    return 0;
}

/* Once the tensors are known (b: the first block, or the empty end). */
static int setup(run *R, const nn_rowblock *b, nn_error *e)
{
    const options *o = R->o;
    block *B = &R->B;
    B->n = b->n;
    B->ix = nn_rowset_find(R->rs, o->name);
    B->iy = nn_rowset_find(R->rs, o->labels);
    B->il = o->loss ? nn_rowset_find(R->rs, o->loss) : -1;
    B->ip = o->pred ? nn_rowset_find(R->rs, o->pred) : -1;
    for (int i = 0; i < b->n; i++) {
        B->dtype[i] = b->dtype[i];
        B->rank[i] = b->rank[i];
        memcpy(B->dims[i], b->dims[i], sizeof B->dims[i]);
        B->cols[i] = b->cols[i];
        B->row_bytes[i] = b->cols[i] * nn_dtype_size(b->dtype[i]);
    }
    size_t yc = B->cols[B->iy];
    if (yc == 0)
        return nn_fail(e, "%s: the labels '%s' have no columns", R->in,
                       o->labels);
    if (yc == 1 && !nn_dtype_is_float(B->dtype[B->iy]) &&
        nn_labels_classes(nn_rowset_attrs(R->rs, B->iy), o->labels,
                          &B->classes_attr, e) < 0)
        return nn_error_wrap(e, "%s", R->in);
    if (yc > NN_CLASSES_MAX)
        return nn_fail(e, "%s: the labels '%s' have %zu columns: more than "
                       "%d classes", R->in, o->labels, yc, NN_CLASSES_MAX);
    if (yc >= 2)
        B->classes_attr = yc;
    if (B->il >= 0 && B->cols[B->il] != 1)
        return nn_fail(e, "%s: the losses '%s' have %zu values per row, not "
                       "one", R->in, o->loss, B->cols[B->il]);
    if (B->ip >= 0) {
        size_t pc = B->cols[B->ip];
        if (pc == 0 || (yc >= 2 && pc != yc))
            return nn_fail(e, "%s: the predictions '%s' have %zu column%s, "
                           "the labels '%s' %zu", R->in, o->pred, pc,
                           pc == 1 ? "" : "s", o->labels, yc);
        if (yc == 1 && pc >= 2 && B->classes_attr && B->classes_attr != pc)
            return nn_fail(e, "%s: the labels '%s' have classes=%llu, the "
                           "predictions '%s' %zu columns", R->in, o->labels,
                           (unsigned long long)B->classes_attr, o->pred, pc);
    }
    R->S.ncls = B->classes_attr;
    R->S.crows = nn_xalloc(R->S.ncls, sizeof *R->S.crows, "class counts");
    R->S.cdrop = nn_xalloc(R->S.ncls, sizeof *R->S.cdrop, "class counts");
    return 0;
}

/* Adds the rows of b to the block being gathered. */
static int append(run *R, const nn_rowblock *b, nn_error *e)
{
    block *B = &R->B;
    for (int i = 0; i < B->n; i++) {
        size_t bytes = b->rows * B->row_bytes[i];
        if (nn_buf_reserve(&B->buf[i], &B->cap[i],
                           B->filled * B->row_bytes[i] + bytes + 1) < 0)
            return nn_fail(e, "%s: out of memory holding %llu rows of '%s'",
                           R->in, (unsigned long long)(B->filled + b->rows),
                           nn_rowset_name(R->rs, i));
        if (bytes)
            memcpy(B->buf[i] + B->filled * B->row_bytes[i], b->data[i],
                   bytes);
    }
    B->filled += b->rows;
    return 0;
}

/* ---------------------------------------------------------------- a block */

static void grow_classes(tally *S, size_t n)
{
    if (n <= S->ncls)
        return;
    uint64_t *a = nn_xalloc(n, sizeof *a, "class counts"),
             *d = nn_xalloc(n, sizeof *d, "class counts");
    if (S->ncls) {
        memcpy(a, S->crows, S->ncls * sizeof *a);
        memcpy(d, S->cdrop, S->ncls * sizeof *d);
    }
    free(S->crows);
    free(S->cdrop);
    S->crows = a;
    S->cdrop = d;
    S->ncls = n;
}

/* The class of each of the m rows: a class number, or the column of the
 * largest score (the first of equal ones). */
static int classes(run *R, size_t m, uint32_t *cls, nn_error *e)
{
    const block *B = &R->B;
    const unsigned char *y = B->buf[B->iy];
    const char *labels = R->o->labels;
    int dt = B->dtype[B->iy];
    size_t yc = B->cols[B->iy];
    for (size_t i = 0; i < m; i++) {
        unsigned long long row = (unsigned long long)(B->row0 + i);
        if (yc == 1) {
            double v = nn_elem_f64(y, dt, i);
            if (!(v >= 0) || v != floor(v) || v > 1e15)
                return nn_fail(e, "%s: row %llu: label %g of '%s' is not a "
                               "class number", R->in, row, v, labels);
            if (B->classes_attr && v >= (double)B->classes_attr)
                return nn_fail(e, "%s: row %llu: label %.0f is out of range "
                               "for classes=%llu", R->in, row, v,
                               (unsigned long long)B->classes_attr);
            if (v >= NN_CLASSES_MAX)
                return nn_fail(e, "%s: row %llu: label %.0f: more than %d "
                               "classes", R->in, row, v, NN_CLASSES_MAX);
            cls[i] = (uint32_t)v;
        } else {
            size_t best = 0;
            double bv = 0;
            for (size_t j = 0; j < yc; j++) {
                double v = nn_elem_f64(y, dt, i * yc + j);
                if (isnan(v))
                    return nn_fail(e, "%s: row %llu: NaN in the labels '%s'",
                                   R->in, row, labels);
                if (j == 0 || v > bv) {
                    bv = v;
                    best = j;
                }
            }
            cls[i] = (uint32_t)best;
        }
        grow_classes(&R->S, (size_t)cls[i] + 1);
    }
    return 0;
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

/* The loss of each of the m rows, as keys. */
static int per_row_loss(run *R, size_t m, key *keys, nn_error *e)
{
    const block *B = &R->B;
    size_t yc = B->cols[B->iy];
    for (size_t i = 0; i < m; i++) {
        double l;
        if (B->il >= 0) {
            l = nn_elem_f64(B->buf[B->il], B->dtype[B->il], i);
        } else {
            size_t pc = B->cols[B->ip];
            const void *p = B->buf[B->ip];
            int pd = B->dtype[B->ip];
            l = 0;
            if (yc == 1) {
                double t = nn_elem_f64(B->buf[B->iy], B->dtype[B->iy], i);
                if (pc >= 2 && t >= (double)pc)
                    return nn_fail(e, "%s: row %llu: label %.0f is out of "
                                   "range for %zu prediction columns", R->in,
                                   (unsigned long long)(B->row0 + i), t, pc);
                for (size_t j = 0; j < pc; j++) {
                    double want = pc == 1 ? t : (double)(j == (size_t)t);
                    double d = nn_elem_f64(p, pd, i * pc + j) - want;
                    l += d * d;
                }
            } else {
                for (size_t j = 0; j < pc; j++) {
                    double d = nn_elem_f64(p, pd, i * pc + j) -
                               nn_elem_f64(B->buf[B->iy], B->dtype[B->iy],
                                           i * yc + j);
                    l += d * d;
                }
            }
        }
        if (isnan(l))
            return nn_fail(e, "%s: row %llu: the loss is NaN", R->in,
                           (unsigned long long)(B->row0 + i));
        keys[i].v = l;
        keys[i].i = i;
    }
    return 0;
}

/* Flags the redundant rows of the block (m rows of classes cls) in drop,
 * at most --cap of them. */
static int knn_filter(run *R, size_t m, const uint32_t *cls,
                      unsigned char *drop, nn_error *e)
{
    const options *o = R->o;
    const block *B = &R->B;
    if (nn_rows_check_finite(B->buf[B->ix], B->dtype[B->ix], m,
                             B->cols[B->ix], B->row0, "", o->name, e) < 0)
        return nn_error_wrap(e, "%s", R->in);
    size_t k = (size_t)o->k;
    uint32_t *nb = nn_xalloc(m, k * sizeof *nb, "neighbour lists");
    double *dist = o->cap >= 0 ? nn_xalloc(m, k * sizeof *dist,
                                           "neighbour distances") : NULL;
    int rc = nn_knn(m, B->cols[B->ix], B->buf[B->ix], B->dtype[B->ix], k, nb,
                    dist, NULL, e);
    if (rc < 0) {
        nn_error_wrap(e, "%s: rows %llu..%llu of '%s'", R->in,
                      (unsigned long long)B->row0,
                      (unsigned long long)(B->row0 + m - 1), o->name);
    } else {
        size_t red = 0;
        for (size_t i = 0; i < m; i++) {
            size_t p = 0;
            while (p < k && cls[nb[i * k + p]] == cls[i])
                p++;
            drop[i] = p == k;
            red += drop[i];
        }
        size_t most = o->cap >= 0 ? fraction_of(o->cap, m) : m;
        if (red > most) {
            /* keep only the `most` whose k-th neighbour is nearest */
            key *keys = nn_xalloc(red, sizeof *keys, "distances");
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
    }
    free(nb);
    free(dist);
    return rc;
}

/* Writes the rows of the block (m) whose drop flag is want, in chunks,
 * the tensors' chunks interleaved. */
static int write_rows(run *R, size_t m, const unsigned char *drop, int want,
                      nn_error *e)
{
    block *B = &R->B;
    size_t widest = 1;
    for (int t = 0; t < B->n; t++)
        widest = B->row_bytes[t] > widest ? B->row_bytes[t] : widest;
    size_t per = nn_chunk_rows(widest);
    for (int t = 0; t < B->n; t++)
        if (nn_buf_reserve(&B->scratch[t], &B->scap[t],
                           per * B->row_bytes[t] + 1) < 0)
            return nn_fail(e, "out of memory");
    for (size_t i = 0; i < m;) {
        size_t n = 0;
        for (; i < m && n < per; i++) {
            if (drop[i] != want)
                continue;
            for (int t = 0; t < B->n; t++) {
                size_t rb = B->row_bytes[t];
                if (rb)
                    memcpy(B->scratch[t] + n * rb, B->buf[t] + i * rb, rb);
            }
            n++;
        }
        if (n == 0)
            break;
        for (int t = 0; t < B->n; t++) {
            nn_header h = {.name = nn_rowset_name(R->rs, t),
                           .dtype = B->dtype[t], .rank = B->rank[t],
                           .attrs = nn_rowset_attrs(R->rs, t)};
            memcpy(h.dims, B->dims[t], sizeof h.dims);
            h.dims[0] = n;
            if (nn_writer_rows(R->w, &h, B->scratch[t], e) < 0)
                return -1;
            B->written[t] = 1;
        }
    }
    return 0;
}

static const char *batch_text(const options *o, char *buf, size_t cap)
{
    if (o->batch)
        snprintf(buf, cap, "%llu", (unsigned long long)o->batch);
    else
        snprintf(buf, cap, "all");
    return buf;
}

/* Attributes shared by the index and the statistics. */
static void method_attrs(const options *o, char *a, size_t cap)
{
    char bt[32], f[32];
    size_t n = (size_t)snprintf(a, cap, "producer=nn-kfilter %s\n",
                                NN_VERSION);
    if (loss_mode(o))
        n += (size_t)snprintf(a + n, cap - n,
                              "method=loss\nfraction=%s\n%s=%s\n",
                              nn_fmt_double(f, sizeof f, o->by_loss),
                              o->loss ? "loss" : "pred",
                              o->loss ? o->loss : o->pred);
    else
        n += (size_t)snprintf(a + n, cap - n,
                              "method=knn\nk=%llu\ntensor=%s\n",
                              (unsigned long long)o->k, o->name);
    if (o->cap >= 0)
        n += (size_t)snprintf(a + n, cap - n, "cap=%s\n",
                              nn_fmt_double(f, sizeof f, o->cap));
    snprintf(a + n, cap - n, "batch=%s\nlabels=%s\n",
             batch_text(o, bt, sizeof bt), o->labels);
}

/* Writes the numbers of the rows of the block (m) whose drop flag is
 * want. */
static int write_index(run *R, size_t m, const unsigned char *drop, int want,
                       nn_error *e)
{
    size_t per = nn_chunk_rows(sizeof(uint64_t)), n = 0;
    uint64_t *ix = nn_xalloc(per, sizeof *ix, "row numbers");
    char attrs[1024];
    method_attrs(R->o, attrs, sizeof attrs);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i <= m; i++) {
        if (n == per || (i == m && n)) {
            nn_header h = {.name = "index", .dtype = NN_U64, .rank = 1,
                           .dims = {n}, .attrs = attrs};
            rc = nn_writer_rows(R->w, &h, ix, e);
            R->S.index_rows += n;
            n = 0;
        }
        if (i < m && drop[i] == want)
            ix[n++] = R->B.row0 + i;
    }
    free(ix);
    return rc;
}

/* Filters the block gathered (B.filled rows) and writes what it keeps;
 * the output begins with the first block. */
static int process(run *R, int last, nn_error *e)
{
    const options *o = R->o;
    block *B = &R->B;
    size_t m = B->filled;
    if (m == 0 && !(last && !o->batch && !loss_mode(o)))
        return 0;
    uint32_t *cls = nn_xalloc(m, sizeof *cls, "classes");
    unsigned char *drop = nn_xalloc(m, 1, "flags");
    int rc = classes(R, m, cls, e);
    if (rc < 0) {
        /* the message is set */
    } else if (loss_mode(o)) {
        key *keys = nn_xalloc(m, sizeof *keys, "losses");
        if ((rc = per_row_loss(R, m, keys, e)) == 0)
            drop_lowest(keys, m, fraction_of(o->by_loss, m), drop);
        free(keys);
    } else if (m > o->k) {
        rc = knn_filter(R, m, cls, drop, e);
    } else if (!o->batch) {
        rc = nn_fail(e, "%s: %zu row%s: k=%llu needs more rows than that",
                     R->in, m, m == 1 ? "" : "s", (unsigned long long)o->k);
    } /* else a last short block: its rows lack k neighbours, all kept */
    if (rc == 0) {
        for (size_t i = 0; i < m; i++) {
            R->S.crows[cls[i]]++;
            R->S.cdrop[cls[i]] += drop[i];
            R->S.dropped += drop[i];
        }
        R->S.rows += m;
        R->S.blocks++;
        if (!o->report_only) {
            rc = o->index ? write_index(R, m, drop, o->dropped, e)
                          : write_rows(R, m, drop, o->dropped, e);
            if (rc == 0) /* the first block is past: output begins */
                rc = nn_writer_release(R->w, e);
        }
    }
    free(cls);
    free(drop);
    B->row0 += m;
    B->filled = 0;
    return rc;
}

/* Reads the data set block by block, filtering each. */
static int filter(run *R, nn_error *e)
{
    const options *o = R->o;
    nn_rowblock b;
    int rc, ready = 0;
    for (;;) {
        size_t want = o->batch ? (size_t)o->batch - R->B.filled : 0;
        if ((rc = nn_rowset_next(R->rs, want, &b, e)) <= 0)
            break;
        if (!ready && setup(R, &b, e) < 0)
            return -1;
        ready = 1;
        if (append(R, &b, e) < 0 ||
            (o->batch && R->B.filled == o->batch && process(R, 0, e) < 0))
            return -1;
    }
    if (rc < 0 || (!ready && setup(R, &b, e) < 0))
        return -1;
    return process(R, 1, e);
}

/* ----------------------------------------------------------------- report */

static double percent(uint64_t d, uint64_t n)
{
    return n ? 100.0 * (double)d / (double)n : 0;
}

static int put_report(const run *R, nn_writer *to, nn_error *e)
{
    const tally *S = &R->S;
    size_t c = S->ncls;
    double *v = nn_xalloc(c + 1, 3 * sizeof *v, "statistics");
    v[0] = (double)S->rows;
    v[1] = (double)S->dropped;
    v[2] = percent(S->dropped, S->rows);
    for (size_t i = 0; i < c; i++) {
        v[3 * (i + 1)] = (double)S->crows[i];
        v[3 * (i + 1) + 1] = (double)S->cdrop[i];
        v[3 * (i + 1) + 2] = percent(S->cdrop[i], S->crows[i]);
    }
    char attrs[1200];
    method_attrs(R->o, attrs, sizeof attrs);
    size_t n = strlen(attrs);
    snprintf(attrs + n, sizeof attrs - n,
             "blocks=%llu\nclasses=%zu\ncolumns=rows,dropped,percent\n",
             (unsigned long long)S->blocks, c);
    nn_header h = {.name = "kredundancy", .dtype = NN_F64, .rank = 2,
                   .dims = {c + 1, 3}, .attrs = attrs};
    int rc = nn_writer_put(to, &h, v, e);
    free(v);
    return rc;
}

static void say_summary(const run *R)
{
    const options *o = R->o;
    const tally *S = &R->S;
    char bt[32], f[32];
    if (loss_mode(o))
        fprintf(stderr, "%s: loss fraction=%s", nn_prog,
                nn_fmt_double(f, sizeof f, o->by_loss));
    else
        fprintf(stderr, "%s: k=%llu", nn_prog, (unsigned long long)o->k);
    if (o->cap >= 0)
        fprintf(stderr, " cap=%s", nn_fmt_double(f, sizeof f, o->cap));
    fprintf(stderr, " batch=%s: dropped %llu of %llu rows (%.2f%%)",
            batch_text(o, bt, sizeof bt), (unsigned long long)S->dropped,
            (unsigned long long)S->rows, percent(S->dropped, S->rows));
    /* the classes present, of however many classes= declares */
    size_t present = 0;
    for (size_t i = 0; i < S->ncls; i++)
        present += S->crows[i] != 0;
    if (present > SAY_CLASSES_MAX) {
        fprintf(stderr, "; %zu classes (per class: --report)", present);
    } else if (present) {
        fprintf(stderr, "; by class");
        for (size_t i = 0; i < S->ncls; i++)
            if (S->crows[i])
                fprintf(stderr, " %zu:%.2f%%", i,
                        percent(S->cdrop[i], S->crows[i]));
    }
    fputc('\n', stderr);
}

/* Tensors that had no row to write still appear, with 0 rows. */
static int write_empty(run *R, nn_error *e)
{
    static const unsigned char none[8];
    const block *B = &R->B;
    if (R->o->index) {
        if (R->S.index_rows)
            return 0;
        char attrs[1024];
        method_attrs(R->o, attrs, sizeof attrs);
        nn_header h = {.name = "index", .dtype = NN_U64, .rank = 1,
                       .dims = {0}, .attrs = attrs};
        return nn_writer_rows(R->w, &h, none, e);
    }
    for (int t = 0; t < B->n; t++) {
        if (B->written[t])
            continue;
        nn_header h = {.name = nn_rowset_name(R->rs, t), .dtype = B->dtype[t],
                       .rank = B->rank[t],
                       .attrs = nn_rowset_attrs(R->rs, t)};
        memcpy(h.dims, B->dims[t], sizeof h.dims);
        h.dims[0] = 0;
        if (nn_writer_rows(R->w, &h, none, e) < 0)
            return -1;
    }
    return 0;
}

/* The end of the output and the reports; the outputs committed, the
 * larger first: a failure there still discards the other. */
static int finish_run(run *R, nn_error *e)
{
    const options *o = R->o;
    if ((!o->report_only && write_empty(R, e) < 0) ||
        ((o->report || o->report_only) && put_report(R, R->w, e) < 0) ||
        (R->rw && put_report(R, R->rw, e) < 0))
        return -1;
    nn_writer *w = R->w, *rw = R->rw;
    R->w = R->rw = NULL;
    if (nn_writer_close(w, 1, e) < 0 || (rw && nn_writer_close(rw, 1, e) < 0))
        return -1;
    return 0;
}

static void run_free(run *R)
{
    for (int t = 0; t < R->B.n; t++) {
        free(R->B.buf[t]);
        free(R->B.scratch[t]);
    }
    free(R->S.crows);
    free(R->S.cdrop);
    nn_rowset_close(R->rs);
    nn_reader_close(R->rd);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-kfilter");
    options o;
    parse(argc, argv, &o);

    run R = {.o = &o};
    nn_error e;
    if (open_run(&R, &e) < 0 || filter(&R, &e) < 0 || finish_run(&R, &e) < 0)
        nn_die("%s", e.msg);
    if (o.verbose)
        say_summary(&R);
    run_free(&R);
    free(o.tensors);
    return 0;
}

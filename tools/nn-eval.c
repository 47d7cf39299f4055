/* nn-eval — scores predictions against labels (accuracy, per-class
 * accuracy, confusion matrix, MSE) and the least-squares distance of
 * representations to the labels, in one pass over a stream. */
#define _GNU_SOURCE /* fopencookie: a part of the input as a stream */
#include "nn_tool.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-eval [OPTION]... [FILE]\n"
    "Score predictions (tensor x) against labels (tensor y) in an NNS stream\n"
    "(stdin if no FILE): accuracy, per-class accuracy, confusion matrix and\n"
    "mean squared error, or the MSE alone for regression targets; and the\n"
    "least-squares distance of representations to the labels.\n"
    "The outputs of a stream of networks (nn-forward NET with several, each\n"
    "output carrying checkpoint=K) are scored network by network: a line\n"
    "(-j: an object, -q: the numbers) per network.\n"
    "\n"
    "  -n, --name=NAME       the predictions tensor (default x; also --pred)\n"
    "  -y, --labels=NAME     the labels tensor (default y)\n"
    "      --threshold=T     class 1 when a single-column prediction >= T\n"
    "                        (default 0.5)\n"
    "      --regression      mean squared error only\n"
    "      --lsd=NAME        least-squares distance of tensor NAME to the\n"
    "                        labels (up to 64 tensors in all); a glob such as\n"
    "                        'z*' takes every match; repeatable; the\n"
    "                        predictions become optional\n"
    "  -j, --json            one JSON object with every number\n"
    "  -q, --quiet           one number: accuracy in percent (the MSE for\n"
    "                        regression; the distances with --lsd alone)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "See nn-eval(1).\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-forward net.nns test.nns | nn-eval -q\n";

enum { OPT_REGRESSION = 256, OPT_THRESHOLD, OPT_LSD };

/* Classes above this have no confusion matrix. */
#define CONFUSION_MAX 1024
/* The Gram matrices of the least-squares distance to index labels: at most
 * this many columns, or twice the columns of [1 Z] (lsd_index). */
#define GROUP_COLS 4096

typedef struct options {
    const char *pred, *labels;
    double threshold;
    int regression, json, quiet;
    const char **lsd;       /* --lsd names or patterns */
    int nlsd;
    const char *in;
} options;

typedef struct lsd_t {
    int idx;                /* in the row set */
    size_t nz;
    nn_gram *g;             /* [1 Z Y], or [1 Z] for index labels */
    double *sums;           /* index labels: (slots, 1+nz) sums of [1 z]
                             * over the rows of each class present */
    size_t sums_slots;
    double *zrow;
    double value;
} lsd_t;

/* The stream, what it holds and what is accumulated. */
typedef struct eval {
    const options *o;
    nn_reader *r;
    nn_rowset *s;
    const char *in;         /* the input's name, for messages */
    int iy, ix;
    int index;              /* labels are class indices */
    size_t ycols, k;        /* label and prediction columns */
    int classify;           /* scoring as classes (until targets prove not
                             * one-hot) */
    size_t classes;         /* known number of classes, 0 if not */
    int32_t *slot;          /* --lsd, index labels: each class's slot, in
                             * the order the classes appear, or -1 */
    size_t nslots;
    uint64_t rows, correct;
    uint64_t *count, *right, *confusion;
    double sse;
    double nll;             /* sum of -ln p[class], while every row of
                             * predictions is a probability vector */
    int probs;              /* so far they are */
    double *p, *t;          /* one row of predictions, targets */
    int64_t *labs;
    size_t labs_cap;
    lsd_t *lsd;
    int nl;
} eval;

static int has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

static int add_lsd(eval *S, int idx, const nn_rowblock *b, nn_error *e)
{
    for (int i = 0; i < S->nl; i++)
        if (S->lsd[i].idx == idx)
            return 0;
    lsd_t *l = &S->lsd[S->nl++];
    memset(l, 0, sizeof *l);
    l->idx = idx;
    l->nz = b->cols[idx];
    const char *name = nn_rowset_name(S->s, idx);
    /* (1+nz+ny)^2 doubles must not overflow: far beyond any memory */
    if (l->nz >= (size_t)1 << 30 || S->ycols >= (size_t)1 << 30)
        return nn_fail(e, "%s: '%s' has %zu columns and the labels '%s' %zu: "
                       "too many for a Gram matrix", S->in, name, l->nz,
                       S->o->labels, S->ycols);
    if (!(l->g = nn_gram_new(l->nz, S->index ? 0 : S->ycols, e)))
        return nn_error_wrap(e, "'%s'", name);
    if (S->index)
        l->zrow = nn_xalloc(l->nz, sizeof(double), "row");
    return 0;
}

/* Once the tensors are known: check that they can be scored. */
static int setup(eval *S, const nn_rowblock *b, nn_error *e)
{
    const options *o = S->o;
    nn_rowset *s = S->s;
    S->iy = nn_rowset_find(s, o->labels);
    S->ix = nn_rowset_find(s, o->pred);
    const char *yattrs = nn_rowset_attrs(s, S->iy);
    int ydt = b->dtype[S->iy];
    S->ycols = b->cols[S->iy];
    if (S->ycols == 0)
        return nn_fail(e, "%s: the labels '%s' have no columns", S->in,
                       o->labels);
    S->index = !nn_dtype_is_float(ydt) && S->ycols == 1;
    uint64_t cattr = 0;
    if (S->index && nn_labels_classes(yattrs, o->labels, &cattr, e) < 0)
        return nn_error_wrap(e, "%s", S->in);
    if (S->ix >= 0) {
        S->k = b->cols[S->ix];
        if (S->k == 0)
            return nn_fail(e, "%s: the predictions '%s' have no columns",
                           S->in, o->pred);
        if (!S->index && S->ycols != S->k)
            return nn_fail(e, "%s: the predictions '%s' have %zu column%s, "
                           "the targets '%s' %zu%s", S->in, o->pred, S->k,
                           S->k == 1 ? "" : "s", o->labels, S->ycols,
                           S->ycols == 1 && nn_dtype_is_float(ydt)
                               ? " (class indices must be an integer tensor)"
                               : "");
        S->classes = S->k >= 2 ? S->k : 2;
        if (S->index && cattr && cattr != S->classes)
            return nn_fail(e, "%s: the labels '%s' have classes=%llu but the "
                           "predictions '%s' have %zu column%s (%zu classes)",
                           S->in, o->labels, (unsigned long long)cattr,
                           o->pred, S->k, S->k == 1 ? "" : "s", S->classes);
        S->classify = !o->regression;
        S->probs = 1;
        if (S->classify) {
            S->count = nn_xalloc(S->classes, sizeof *S->count, "classes");
            S->right = nn_xalloc(S->classes, sizeof *S->right, "classes");
            if (S->classes <= CONFUSION_MAX)
                S->confusion = nn_xalloc(S->classes * S->classes,
                                         sizeof *S->confusion,
                                         "confusion matrix");
        }
        S->p = nn_xalloc(S->k, sizeof *S->p, "row");
        S->t = nn_xalloc(S->ycols, sizeof *S->t, "row");
    } else if (S->index) {
        S->classes = cattr;
    }
    S->lsd = nn_xalloc(NN_ROWSET_MAX, sizeof *S->lsd, "tensors");
    for (int a = 0; a < o->nlsd; a++) {
        int found = 0;
        for (int i = 0; i < nn_rowset_count(s); i++) {
            const char *name = nn_rowset_name(s, i);
            if (has_glob(o->lsd[a]) ? i != S->iy &&
                    fnmatch(o->lsd[a], name, 0) == 0
                                    : strcmp(o->lsd[a], name) == 0) {
                if (add_lsd(S, i, b, e) < 0)
                    return -1;
                found = 1;
            }
        }
        if (!found)
            return nn_fail(e, "%s: no tensor matches '%s'", S->in, o->lsd[a]);
    }
    if (S->index && S->nl) {
        S->slot = nn_xalloc(NN_CLASSES_MAX, sizeof *S->slot, "classes");
        memset(S->slot, 0xff, NN_CLASSES_MAX * sizeof *S->slot);
    }
    return 0;
}

static void grow_sums(lsd_t *l, size_t slots)
{
    if (slots <= l->sums_slots)
        return;
    size_t c = l->sums_slots ? l->sums_slots : 16;
    while (c < slots)
        c *= 2;
    double *p = nn_xalloc(c, (1 + l->nz) * sizeof *p, "class sums");
    if (l->sums)
        memcpy(p, l->sums, l->sums_slots * (1 + l->nz) * sizeof *p);
    free(l->sums);
    l->sums = p;
    l->sums_slots = c;
}

/* A value of tensor i in block b that is not finite is an error naming
 * the tensor (what: "the predictions " or the like), the row and the column
 * of the first one. */
static int check_finite(const eval *S, const nn_rowblock *b, int i,
                        const char *what, uint64_t row0, nn_error *e)
{
    if (nn_rows_check_finite(b->data[i], b->dtype[i], b->rows, b->cols[i],
                             row0, what, nn_rowset_name(S->s, i), e) < 0)
        return nn_error_wrap(e, "%s", S->in);
    return 0;
}

/* The index labels of a block, checked. */
static int read_labels(eval *S, const nn_rowblock *b, uint64_t row0,
                       nn_error *e)
{
    if (b->rows > S->labs_cap) {
        free(S->labs);
        S->labs_cap = b->rows;
        S->labs = nn_xalloc(S->labs_cap, sizeof *S->labs, "labels");
    }
    int dt = b->dtype[S->iy];
    size_t es = nn_dtype_size(dt);
    for (size_t i = 0; i < b->rows; i++) {
        double v;
        nn_convert(&v, NN_F64, (const char *)b->data[S->iy] + i * es, dt, 1);
        unsigned long long row = (unsigned long long)(row0 + i);
        if (v < 0)
            return nn_fail(e, "%s: row %llu: label %.0f is negative", S->in,
                           row, v);
        if (S->classes && v >= (double)S->classes) {
            if (S->ix >= 0)
                return nn_fail(e, "%s: row %llu: label %.0f is out of range "
                               "for %zu prediction column%s", S->in, row, v,
                               S->k, S->k == 1 ? " (0 or 1)" : "s");
            return nn_fail(e, "%s: row %llu: label %.0f is out of range for "
                           "classes=%zu", S->in, row, v, S->classes);
        }
        if (v >= NN_CLASSES_MAX)
            return nn_fail(e, "%s: row %llu: label %.0f: more than %d "
                           "classes", S->in, row, v, NN_CLASSES_MAX);
        S->labs[i] = (int64_t)v;
        if (S->slot && S->slot[S->labs[i]] < 0)
            S->slot[S->labs[i]] = (int32_t)S->nslots++;
    }
    return 0;
}

/* Is the target row one-hot (one column: 0 or 1)?  Its class, or -1. */
static long onehot_class(const double *t, size_t n)
{
    if (n == 1)
        return t[0] == 0 ? 0 : t[0] == 1 ? 1 : -1;
    long c = -1;
    for (size_t j = 0; j < n; j++) {
        if (t[j] == 1 && c < 0)
            c = (long)j;
        else if (t[j] != 0)
            return -1;
    }
    return c;
}

static void score(eval *S, const nn_rowblock *b)
{
    int pdt = b->dtype[S->ix], ydt = b->dtype[S->iy];
    size_t ps = nn_dtype_size(pdt), ys = nn_dtype_size(ydt), k = S->k;
    for (size_t i = 0; i < b->rows; i++) {
        double *p = S->p, *t = S->t;
        nn_convert(p, NN_F64, (const char *)b->data[S->ix] + i * k * ps, pdt,
                   k);
        long truth;
        if (S->index) {
            truth = (long)S->labs[i];
            for (size_t j = 0; j < k; j++) {
                double d = p[j] - (k == 1 ? (double)truth
                                          : (double)(j == (size_t)truth));
                S->sse += d * d;
            }
        } else {
            nn_convert(t, NN_F64, (const char *)b->data[S->iy] + i * k * ys,
                       ydt, k);
            for (size_t j = 0; j < k; j++)
                S->sse += (p[j] - t[j]) * (p[j] - t[j]);
            truth = S->classify ? onehot_class(t, k) : -1;
            if (truth < 0)
                S->classify = 0; /* targets, not classes: regression */
        }
        if (!S->classify || truth < 0)
            continue;
        if (S->probs && k >= 2) { /* the cross-entropy of probabilities */
            double sum = 0, lo = 0;
            for (size_t j = 0; j < k; j++) {
                sum += p[j];
                lo = p[j] < lo ? p[j] : lo;
            }
            if (lo < 0 || fabs(sum - 1) > 1e-3)
                S->probs = 0;
            else
                S->nll -= log(p[truth] > 1e-300 ? p[truth] : 1e-300);
        }
        S->count[truth]++;
        size_t pred = 0;
        if (k == 1)
            pred = p[0] >= S->o->threshold;
        else
            for (size_t j = 1; j < k; j++)
                if (p[j] > p[pred])
                    pred = j;
        if (pred == (size_t)truth) {
            S->right[truth]++;
            S->correct++;
        }
        if (S->confusion)
            S->confusion[(size_t)truth * S->classes + pred]++;
    }
}

static int accumulate_lsd(eval *S, const nn_rowblock *b, nn_error *e)
{
    static const double none[1];
    for (int a = 0; a < S->nl; a++) {
        lsd_t *l = &S->lsd[a];
        const void *z = b->data[l->idx];
        int zdt = b->dtype[l->idx];
        if (!S->index) {
            if (nn_gram_add(l->g, b->rows, z, zdt, b->data[S->iy],
                            b->dtype[S->iy], e) < 0)
                return -1;
            continue;
        }
        /* one-hot targets: Z1^T Y is the sum of [1 z] over each class */
        if (nn_gram_add(l->g, b->rows, z, zdt, none, NN_F64, e) < 0)
            return -1;
        grow_sums(l, S->nslots);
        size_t zs = nn_dtype_size(zdt), w = 1 + l->nz;
        for (size_t i = 0; i < b->rows; i++) {
            double *sum = l->sums + (size_t)S->slot[S->labs[i]] * w;
            nn_convert(l->zrow, NN_F64, (const char *)z + i * l->nz * zs, zdt,
                       l->nz);
            sum[0] += 1;
            for (size_t j = 0; j < l->nz; j++)
                sum[1 + j] += l->zrow[j];
        }
    }
    return 0;
}

/* The distance of l to index labels.  Of the one-hot Y, only the columns
 * of the classes present count (a column of zeros adds nothing to either
 * term of the distance), and the columns add up: the distance is the sum
 * over groups of the classes present, each from the Gram matrix of
 * [1 Z Y_group], built from that of [1 Z], the class sums and Y^T Y =
 * diag(counts).  Memory and time follow the classes present, not the
 * classes= attribute or the largest label. */
static int lsd_index(const eval *S, lsd_t *l, nn_error *e)
{
    size_t p = 1 + l->nz;
    size_t per = GROUP_COLS > 2 * p ? GROUP_COLS - p : p;
    double sum = 0;
    for (size_t c0 = 0; c0 < S->nslots; c0 += per) {
        size_t nc = S->nslots - c0 < per ? S->nslots - c0 : per;
        nn_gram *full = nn_gram_new(l->nz, nc, e);
        if (!full ||
            nn_gram_merge(full, p, nn_gram_matrix(l->g), nn_gram_rows(l->g),
                          e) < 0) {
            nn_gram_free(full);
            return -1;
        }
        for (size_t c = 0; c < nc; c++) {
            const double *sums = l->sums + (c0 + c) * p;
            for (size_t i = 0; i < p; i++)
                nn_gram_set(full, i, p + c, sums[i]);
            nn_gram_set(full, p + c, p + c, sums[0]);
        }
        nn_gram_finish(full);
        double v;
        int rc = nn_gram_lsd(full, 0, &v, e);
        nn_gram_free(full);
        if (rc < 0)
            return -1;
        sum += v;
    }
    l->value = sum;
    return 0;
}

/* The distance of each tensor, now that all rows are in. */
static int finish_lsd(eval *S, nn_error *e)
{
    for (int a = 0; a < S->nl; a++) {
        lsd_t *l = &S->lsd[a];
        nn_gram_finish(l->g);
        if ((S->index ? lsd_index(S, l, e)
                      : nn_gram_lsd(l->g, 0, &l->value, e)) < 0)
            return nn_error_wrap(e, "'%s'", nn_rowset_name(S->s, l->idx));
    }
    return 0;
}

/* The checks and sums of one block. */
static int block(eval *S, const nn_rowblock *b, nn_error *e)
{
    uint64_t row0 = nn_rowset_row(S->s) - b->rows;
    if (S->index ? read_labels(S, b, row0, e) < 0
                 : check_finite(S, b, S->iy, "the targets ", row0, e) < 0)
        return -1;
    if (S->ix >= 0 && S->ix != S->iy &&
        check_finite(S, b, S->ix, "the predictions ", row0, e) < 0)
        return -1;
    for (int a = 0; a < S->nl; a++)
        if (S->lsd[a].idx != S->iy && S->lsd[a].idx != S->ix &&
            check_finite(S, b, S->lsd[a].idx, "", row0, e) < 0)
            return -1;
    if (S->ix >= 0)
        score(S, b);
    if (accumulate_lsd(S, b, e) < 0)
        return -1;
    S->rows += b->rows;
    return 0;
}

/* Follows the tensors named in the input r: the labels, the predictions
 * (only without --lsd must they appear), the --lsd names and patterns. */
static int open_input(eval *S, nn_reader *r, nn_error *e)
{
    const options *o = S->o;
    S->r = r;
    S->in = nn_reader_name(S->r);
    const char **names = nn_xalloc((size_t)o->nlsd + 2, sizeof *names,
                                   "names");
    int n = 0;
    names[n++] = o->labels;
    if (!o->nlsd)
        names[n++] = o->pred;
    for (int a = 0; a < o->nlsd; a++)
        if (!has_glob(o->lsd[a]))
            names[n++] = o->lsd[a];
    S->s = nn_rowset_open(S->r, n, names, e);
    free(names); /* the row set keeps copies */
    if (!S->s)
        return -1;
    if (o->nlsd && nn_rowset_add(S->s, o->pred, 0, e) < 0)
        return -1;
    for (int a = 0; a < o->nlsd; a++)
        if (has_glob(o->lsd[a]) && nn_rowset_add(S->s, o->lsd[a], 1, e) < 0)
            return -1;
    return 0;
}

/* One pass over the input r: every score and distance. */
static int evaluate(eval *S, nn_reader *r, nn_error *e)
{
    if (open_input(S, r, e) < 0)
        return -1;
    nn_rowblock b;
    int rc, ready = 0;
    while ((rc = nn_rowset_next(S->s, 0, &b, e)) == 1) {
        if (!ready && setup(S, &b, e) < 0)
            return -1;
        ready = 1;
        if (block(S, &b, e) < 0)
            return -1;
    }
    if (rc < 0)
        return -1;
    if (!ready) /* before setup, which would size tables by empty tensors */
        return nn_fail(e, "%s: no rows to score ('%s' is empty)", S->in,
                       S->o->labels);
    return finish_lsd(S, e);
}

static void eval_free(eval *S)
{
    for (int a = 0; S->lsd && a < S->nl; a++) {
        nn_gram_free(S->lsd[a].g);
        free(S->lsd[a].sums);
        free(S->lsd[a].zrow);
    }
    free(S->lsd);
    free(S->count);
    free(S->right);
    free(S->confusion);
    free(S->p);
    free(S->t);
    free(S->labs);
    free(S->slot);
    if (S->s)
        nn_rowset_close(S->s);
}

/* ------------------------------------------------------------------- parts
 * The outputs of a stream of networks: nn-forward gives the first record
 * of every tensor of a network's outputs the network's checkpoint.  A
 * part is the records from one to the next record (not a chunk) whose
 * checkpoint differs from the first one met in the part; records without
 * the attribute stay in the part they are in.  Each part is handed to the
 * scoring as a stream of its own, through a FILE that reads the records
 * of the input as stored and ends at the part's last. */

typedef struct part {
    nn_reader *in;          /* the whole input */
    const nn_record *rec;   /* the record being handed out, or NULL */
    size_t done;            /* bytes of it handed out */
    int ended;              /* 1: at the next part's first record (left
                             * unread), 2: at the end of the input */
    int failed;             /* the input's error is in err */
    nn_error err;
    char ck[256], t[256];   /* the part's checkpoint and t ("" if none) */
    int has_ck;
} part;

static ssize_t part_read(void *cookie, char *buf, size_t size)
{
    part *p = cookie;
    size_t got = 0;
    while (got < size) {
        const nn_record *r = p->rec;
        size_t len = r ? r->raw_header_len + r->raw_payload_len : 0;
        if (!r || p->done == len) {
            p->rec = NULL;
            if (p->ended || p->failed)
                break;
            int rc = nn_reader_next_raw(p->in, &r, &p->err);
            if (rc < 0) {
                p->failed = 1;
                errno = EIO;
                return got ? (ssize_t)got : -1;
            }
            if (rc == 0) {
                p->ended = 2;
                break;
            }
            char ck[sizeof p->ck];
            if (!(r->flags & NN_FLAG_CONT) &&
                nn_attrs_get(r->attrs, "checkpoint", ck, sizeof ck)) {
                if (p->has_ck && strcmp(ck, p->ck) != 0) {
                    nn_reader_unread(p->in);
                    p->ended = 1;
                    break;
                }
                if (!p->has_ck) {
                    p->has_ck = 1;
                    strcpy(p->ck, ck);
                    if (!nn_attrs_get(r->attrs, "t", p->t, sizeof p->t))
                        *p->t = 0;
                }
            }
            p->rec = r;
            p->done = 0;
            continue;
        }
        size_t h = r->raw_header_len;
        const unsigned char *from = p->done < h ? r->raw_header + p->done
                                                : r->raw_payload + (p->done - h);
        size_t left = p->done < h ? h - p->done : len - p->done;
        size_t n = left < size - got ? left : size - got;
        memcpy(buf + got, from, n);
        p->done += n;
        got += n;
    }
    return (ssize_t)got;
}

/* A reader of the next part of p->in, named as the input; *f to close
 * after the reader. */
static nn_reader *part_open(part *p, FILE **f, nn_error *e)
{
    p->rec = NULL;
    p->ended = 0;
    p->has_ck = 0;
    *p->ck = *p->t = 0;
    cookie_io_functions_t io = {.read = part_read};
    if (!(*f = fopencookie(p, "r", io))) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    nn_reader *r = nn_reader_from_file(*f, nn_reader_name(p->in), e);
    if (!r)
        fclose(*f);
    return r;
}

/* What is printed of a part when there are several. */
typedef struct result {
    char ck[256], t[256];
    uint64_t rows, correct;
    size_t classes;
    int scored, classify;
    double mse, nll;        /* nll NaN when the outputs are no
                             * probabilities */
    double lsd[NN_ROWSET_MAX];
} result;

/* ------------------------------------------------------------------ output */

static void json_number(double v)
{
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null");
}

static int digits(uint64_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

static double mse(const eval *S)
{
    return S->sse / ((double)S->rows * (double)S->k);
}

/* The mean cross-entropy of the predictions when they are probabilities
 * (every row non-negative, summing to 1 within 1e-3) of classes, else
 * NaN. */
static double nll(const eval *S)
{
    return S->ix >= 0 && S->classify && S->probs && S->k >= 2 && S->rows
               ? S->nll / (double)S->rows : NAN;
}

static void print_json(const eval *S)
{
    printf("{\"rows\":%llu", (unsigned long long)S->rows);
    if (S->ix >= 0) {
        printf(",\"task\":\"%s\"",
               S->classify ? "classification" : "regression");
        if (S->classify) {
            printf(",\"classes\":%zu,\"correct\":%llu,\"accuracy\":",
                   S->classes, (unsigned long long)S->correct);
            json_number((double)S->correct / (double)S->rows);
            printf(",\"per_class\":[");
            for (size_t c = 0; c < S->classes; c++) {
                printf("%s{\"class\":%zu,\"count\":%llu,\"correct\":%llu,"
                       "\"accuracy\":", c ? "," : "", c,
                       (unsigned long long)S->count[c],
                       (unsigned long long)S->right[c]);
                json_number(S->count[c]
                                ? (double)S->right[c] / (double)S->count[c]
                                : NAN);
                putchar('}');
            }
            putchar(']');
            if (S->confusion) {
                printf(",\"confusion\":[");
                for (size_t c = 0; c < S->classes; c++) {
                    printf("%s[", c ? "," : "");
                    for (size_t d = 0; d < S->classes; d++)
                        printf("%s%llu", d ? "," : "",
                               (unsigned long long)
                                   S->confusion[c * S->classes + d]);
                    putchar(']');
                }
                putchar(']');
            }
        }
        printf(",\"mse\":");
        json_number(mse(S));
        if (!isnan(nll(S))) {
            printf(",\"nll\":");
            json_number(nll(S));
        }
    }
    if (S->nl) {
        printf(",\"lsd\":{");
        for (int a = 0; a < S->nl; a++) {
            printf("%s", a ? "," : "");
            nn_json_string(nn_rowset_name(S->s, S->lsd[a].idx));
            putchar(':');
            json_number(S->lsd[a].value);
        }
        putchar('}');
    }
    printf("}\n");
}

static void print_confusion(const eval *S, int wc)
{
    uint64_t top = 0;
    for (size_t i = 0; i < S->classes * S->classes; i++)
        top = S->confusion[i] > top ? S->confusion[i] : top;
    int w = digits(top) > digits(S->classes - 1) ? digits(top)
                                                 : digits(S->classes - 1);
    w += 2;
    printf("confusion (rows: true class, columns: predicted class)\n");
    printf("%*s", wc, "");
    for (size_t d = 0; d < S->classes; d++)
        printf("%*zu", w, d);
    putchar('\n');
    for (size_t c = 0; c < S->classes; c++) {
        printf("%*zu", wc, c);
        for (size_t d = 0; d < S->classes; d++)
            printf("%*llu", w,
                   (unsigned long long)S->confusion[c * S->classes + d]);
        putchar('\n');
    }
}

static void print_text(const eval *S)
{
    printf("rows %llu\n", (unsigned long long)S->rows);
    if (S->ix >= 0 && S->classify) {
        printf("accuracy %.2f%% (%llu/%llu)\n",
               100.0 * (double)S->correct / (double)S->rows,
               (unsigned long long)S->correct, (unsigned long long)S->rows);
        int wc = digits(S->classes - 1), wn = digits(S->rows);
        wc = wc < 5 ? 5 : wc;
        wn = wn < 5 ? 5 : wn;
        printf("%*s  %*s  %*s  accuracy\n", wc, "class", wn, "count", wn + 2,
               "correct");
        for (size_t c = 0; c < S->classes; c++) {
            printf("%*zu  %*llu  %*llu", wc, c, wn,
                   (unsigned long long)S->count[c], wn + 2,
                   (unsigned long long)S->right[c]);
            if (S->count[c])
                printf("  %7.2f%%\n",
                       100.0 * (double)S->right[c] / (double)S->count[c]);
            else
                printf("  %8s\n", "-");
        }
        if (S->confusion)
            print_confusion(S, wc);
    }
    if (S->ix >= 0)
        printf("mse %.6g\n", mse(S));
    if (!isnan(nll(S)))
        printf("nll %.6g\n", nll(S));
    int w = 0;
    for (int a = 0; a < S->nl; a++) {
        int n = (int)strlen(nn_rowset_name(S->s, S->lsd[a].idx));
        w = n > w ? n : w;
    }
    for (int a = 0; a < S->nl; a++)
        printf("lsd %-*s %.6g\n", w, nn_rowset_name(S->s, S->lsd[a].idx),
               S->lsd[a].value);
}

static void print_quiet(const eval *S)
{
    if (S->ix >= 0 && S->classify)
        printf("%.2f\n", 100.0 * (double)S->correct / (double)S->rows);
    else if (S->ix >= 0)
        printf("%.6g\n", mse(S));
    else
        for (int a = 0; a < S->nl; a++)
            printf("%.6g\n", S->lsd[a].value);
}

/* A JSON number when the text is one, else a string. */
static void json_value(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (*v && !*end && isfinite(d) && !strchr(v, ' '))
        printf("%s", v);
    else
        nn_json_string(v);
}

static void print_parts_json(const eval *S, const result *R, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const result *p = &R[i];
        printf("{\"checkpoint\":");
        json_value(p->ck);
        if (*p->t) {
            printf(",\"t\":");
            json_value(p->t);
        }
        printf(",\"rows\":%llu", (unsigned long long)p->rows);
        if (p->scored) {
            printf(",\"task\":\"%s\"",
                   p->classify ? "classification" : "regression");
            if (p->classify) {
                printf(",\"classes\":%zu,\"correct\":%llu,\"accuracy\":",
                       p->classes, (unsigned long long)p->correct);
                json_number((double)p->correct / (double)p->rows);
            }
            printf(",\"mse\":");
            json_number(p->mse);
            if (!isnan(p->nll)) {
                printf(",\"nll\":");
                json_number(p->nll);
            }
        }
        if (S->nl) {
            printf(",\"lsd\":{");
            for (int a = 0; a < S->nl; a++) {
                printf("%s", a ? "," : "");
                nn_json_string(nn_rowset_name(S->s, S->lsd[a].idx));
                putchar(':');
                json_number(p->lsd[a]);
            }
            putchar('}');
        }
        printf("}\n");
    }
}

/* A table, a row per part: checkpoint, t (when a part has it), rows,
 * accuracy, mse and the distances, as each part has them. */
static void print_parts_text(const eval *S, const result *R, size_t n)
{
    enum { CK, T, ROWS, ACC, MSE, NLL, LSD };
    int ncol = LSD + S->nl, w[LSD + NN_ROWSET_MAX], on[LSD + NN_ROWSET_MAX];
    char head[LSD + NN_ROWSET_MAX][NN_NAME_MAX + 8];
    static const char *names[LSD] = {"checkpoint", "t", "rows", "accuracy",
                                     "mse", "nll"};
    for (int c = 0; c < ncol; c++) {
        if (c < LSD)
            snprintf(head[c], sizeof head[c], "%s", names[c]);
        else
            snprintf(head[c], sizeof head[c], "lsd:%s",
                     nn_rowset_name(S->s, S->lsd[c - LSD].idx));
        w[c] = (int)strlen(head[c]);
        on[c] = c == CK || c == ROWS || c >= LSD;
    }
    char cell[64];
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            for (int c = 0, first = 1; c < ncol; c++)
                if (on[c]) {
                    printf(first ? "%*s" : "  %*s", c == CK ? -w[c] : w[c],
                           head[c]);
                    first = 0;
                }
            putchar('\n');
        }
        for (size_t i = 0; i < n; i++) {
            const result *p = &R[i];
            for (int c = 0, first = 1; c < ncol; c++) {
                const char *v = cell;
                *cell = 0;
                switch (c) {
                case CK: v = p->ck; break;
                case T: v = *p->t ? p->t : "-"; on[T] |= *p->t != 0; break;
                case ROWS:
                    snprintf(cell, sizeof cell, "%llu",
                             (unsigned long long)p->rows);
                    break;
                case ACC:
                    on[ACC] |= p->scored && p->classify;
                    if (p->scored && p->classify)
                        snprintf(cell, sizeof cell, "%.2f%%",
                                 100.0 * (double)p->correct / (double)p->rows);
                    else
                        v = "-";
                    break;
                case MSE:
                    on[MSE] |= p->scored;
                    if (p->scored)
                        snprintf(cell, sizeof cell, "%.6g", p->mse);
                    else
                        v = "-";
                    break;
                case NLL:
                    on[NLL] |= p->scored && !isnan(p->nll);
                    if (p->scored && !isnan(p->nll))
                        snprintf(cell, sizeof cell, "%.6g", p->nll);
                    else
                        v = "-";
                    break;
                default: snprintf(cell, sizeof cell, "%.6g", p->lsd[c - LSD]);
                }
                int len = (int)strlen(v);
                w[c] = len > w[c] ? len : w[c];
                if (pass && on[c]) {
                    printf(first ? "%*s" : "  %*s", c == CK ? -w[c] : w[c], v);
                    first = 0;
                }
            }
            if (pass)
                putchar('\n');
        }
    }
}

static void print_parts_quiet(const eval *S, const result *R, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const result *p = &R[i];
        if (p->scored && p->classify)
            printf("%.2f", 100.0 * (double)p->correct / (double)p->rows);
        else if (p->scored)
            printf("%.6g", p->mse);
        else
            for (int a = 0; a < S->nl; a++)
                printf("%s%.6g", a ? " " : "", p->lsd[a]);
        putchar('\n');
    }
}

/* ------------------------------------------------------------------ options */

/* The tensors named, at most NN_ROWSET_MAX (patterns add more, found in
 * the stream, and are checked there). */
static void check_names(const options *o)
{
    int named = 1 + (strcmp(o->pred, o->labels) != 0);
    for (int a = 0; a < o->nlsd; a++) {
        int seen = has_glob(o->lsd[a]) || !strcmp(o->lsd[a], o->pred) ||
                   !strcmp(o->lsd[a], o->labels);
        for (int b = 0; b < a && !seen; b++)
            seen = !strcmp(o->lsd[a], o->lsd[b]);
        named += !seen;
    }
    if (named > NN_ROWSET_MAX)
        nn_usage_error("%d tensors named: at most %d tensors in all (the "
                       "predictions, the labels and --lsd)", named,
                       NN_ROWSET_MAX);
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"name", required_argument, 0, 'n'},
        {"pred", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"threshold", required_argument, 0, OPT_THRESHOLD},
        {"regression", no_argument, 0, OPT_REGRESSION},
        {"lsd", required_argument, 0, OPT_LSD},
        {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},
        NN_LONGOPTS_END};
    *o = (options){.pred = "x", .labels = "y", .threshold = 0.5,
                   .lsd = nn_xalloc((size_t)argc, sizeof *o->lsd, "options")};
    int c;
    while ((c = getopt_long(argc, argv, ":n:y:jqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': o->pred = optarg; break;
        case 'y': o->labels = optarg; break;
        case OPT_THRESHOLD:
            o->threshold = nn_arg_double("threshold", optarg, -INFINITY,
                                         INFINITY);
            break;
        case OPT_REGRESSION: o->regression = 1; break;
        case OPT_LSD: o->lsd[o->nlsd++] = optarg; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (o->json && o->quiet)
        nn_usage_error("-j and -q exclude each other");
    if (!*o->pred || !*o->labels)
        nn_usage_error("empty tensor name");
    for (int a = 0; a < o->nlsd; a++)
        if (!*o->lsd[a])
            nn_usage_error("empty --lsd name");
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    check_names(o);
    o->in = optind < argc ? argv[optind] : "-";
}

/* Scores the input part by part.  One part: *n 0 and its scores in *S.
 * Several: a result per part in *R (*n of them), and in *first the first
 * part's scores (for the names of its --lsd tensors).  Dies on error. */
static void score_parts(const options *o, part *P, eval *S, eval *first,
                        result **R, size_t *n)
{
    size_t cap = 0;
    nn_error e;
    *n = 0;
    do {
        FILE *f;
        nn_reader *r = part_open(P, &f, &e);
        if (!r)
            nn_die("%s", e.msg);
        *S = (eval){.o = o, .iy = -1, .ix = -1};
        int rc = evaluate(S, r, &e);
        if (P->failed) /* the input's own message, with its offsets */
            e = P->err;
        else if (rc < 0 && *n)
            nn_error_wrap(&e, "checkpoint %s (rows, records and bytes "
                          "counted from its start)", P->ck);
        else if (rc < 0 && P->ended == 1)
            nn_error_wrap(&e, "checkpoint %s", P->ck);
        if (rc < 0 || P->failed)
            nn_die("%s", e.msg);
        nn_reader_close(r);
        fclose(f);
        if (*n == 0 && P->ended == 2) /* one part */
            return;
        for (int a = 0; *n && a < S->nl + 1; a++)
            if (S->nl != first->nl ||
                (a < S->nl &&
                 strcmp(nn_rowset_name(S->s, S->lsd[a].idx),
                        nn_rowset_name(first->s, first->lsd[a].idx))))
                nn_die("%s: checkpoint %s: other tensors for --lsd than "
                       "checkpoint %s", nn_reader_name(P->in), P->ck,
                       (*R)[0].ck);
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            result *g = realloc(*R, cap * sizeof **R);
            if (!g)
                nn_die("out of memory");
            *R = g;
        }
        result *p = &(*R)[(*n)++];
        snprintf(p->ck, sizeof p->ck, "%s", P->ck);
        snprintf(p->t, sizeof p->t, "%s", P->t);
        p->rows = S->rows;
        p->correct = S->correct;
        p->classes = S->classes;
        p->scored = S->ix >= 0;
        p->classify = S->classify;
        p->mse = S->ix >= 0 ? mse(S) : NAN;
        p->nll = nll(S);
        for (int a = 0; a < S->nl; a++)
            p->lsd[a] = S->lsd[a].value;
        if (*n == 1)
            *first = *S;
        else
            eval_free(S);
    } while (P->ended == 1);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-eval");
    options o;
    parse(argc, argv, &o);

    nn_error e;
    part P = {0};
    if (!(P.in = nn_reader_open(o.in, &e)))
        nn_die("%s", e.msg);
    eval S = {0}, first = {0};
    result *R = NULL;
    size_t n;
    score_parts(&o, &P, &S, &first, &R, &n);
    if (!n && o.json)
        print_json(&S);
    else if (!n && o.quiet)
        print_quiet(&S);
    else if (!n)
        print_text(&S);
    else if (o.json)
        print_parts_json(&first, R, n);
    else if (o.quiet)
        print_parts_quiet(&first, R, n);
    else
        print_parts_text(&first, R, n);
    if (nn_stdout_close(&e) < 0)
        nn_die("%s", e.msg);
    eval_free(n ? &first : &S);
    nn_reader_close(P.in);
    free(R);
    free(o.lsd);
    return 0;
}

/* nn-eval — scores predictions against labels (accuracy, per-class
 * accuracy, confusion matrix, MSE) and the least-squares distance of
 * representations to the labels, in one pass over a stream. */
#include "nn_tool.h"

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
    "\n"
    "  -p, --pred NAME       the predictions tensor (default x; also -n,\n"
    "                        --name)\n"
    "  -y, --labels NAME     the labels tensor (default y)\n"
    "  -t, --threshold T     class 1 when a single-column prediction >= T\n"
    "                        (default 0.5)\n"
    "      --regression      mean squared error only\n"
    "  -l, --lsd NAME        least-squares distance of tensor NAME (up to 64\n"
    "                        tensors in all) to the\n"
    "                        labels; a glob such as 'z*' takes every match;\n"
    "                        repeatable; the predictions become optional\n"
    "  -j, --json            one JSON object with every number\n"
    "  -q, --quiet           one number: accuracy in percent (the MSE for\n"
    "                        regression; the distances with --lsd alone)\n"
    "  -h, --help            show this help and exit\n"
    "      --version         show the version and exit\n"
    "See nn-eval(1).\n";

enum { OPT_REGRESSION = 256 };

/* Classes above this have no confusion matrix. */
#define CONFUSION_MAX 1024
/* The Gram matrices of the least-squares distance to index labels: at most
 * this many columns, or twice the columns of [1 Z] (lsd_index). */
#define GROUP_COLS 4096

static const char *opt_pred = "x", *opt_labels = "y";
static double opt_threshold = 0.5;
static int opt_regression, opt_json, opt_quiet;
static const char **opt_lsd;
static int nlsd;

static const char *in_name;

typedef struct lsd_t {
    int idx;                /* in the row set */
    size_t nz;
    nn_gram g;              /* [1 Z Y], or [1 Z] for index labels */
    double *sums;           /* index labels: (slots, 1+nz) sums of [1 z]
                             * over the rows of each class present */
    size_t sums_slots;
    double *zrow;
    double value;
} lsd_t;

/* What the stream holds and what is accumulated. */
static struct {
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
    double *p, *t;          /* one row of predictions, targets */
    int64_t *labs;
    size_t labs_cap;
    lsd_t *lsd;
    int nl;
} S = {.iy = -1, .ix = -1};

static int has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

static void *xalloc(size_t n, size_t size, const char *what)
{
    nn_error e;
    void *p = nn_alloc(n ? n : 1, size, what, &e);
    if (!p)
        nn_die("%s", e.msg);
    memset(p, 0, (n ? n : 1) * size);
    return p;
}


static void add_lsd(nn_rowset *s, int idx, const nn_rowblock *b)
{
    for (int i = 0; i < S.nl; i++)
        if (S.lsd[i].idx == idx)
            return;
    lsd_t *l = &S.lsd[S.nl++];
    memset(l, 0, sizeof *l);
    l->idx = idx;
    l->nz = b->cols[idx];
    /* (1+nz+ny)^2 doubles must not overflow: far beyond any memory */
    if (l->nz >= (size_t)1 << 30 || S.ycols >= (size_t)1 << 30)
        nn_die("%s: '%s' has %zu columns and the labels '%s' %zu: too many "
               "for a Gram matrix", in_name, nn_rowset_name(s, idx), l->nz,
               opt_labels, S.ycols);
    nn_error e;
    if (nn_gram_init(&l->g, l->nz, S.index ? 0 : S.ycols, &e) < 0)
        nn_die("'%s': %s", nn_rowset_name(s, idx), e.msg);
    if (S.index)
        l->zrow = xalloc(l->nz, sizeof(double), "row");
}

/* Once the tensors are known: check that they can be scored. */
static void setup(nn_rowset *s, const nn_rowblock *b)
{
    S.iy = nn_rowset_find(s, opt_labels);
    S.ix = nn_rowset_find(s, opt_pred);
    const char *yattrs = nn_rowset_attrs(s, S.iy);
    int ydt = b->dtype[S.iy];
    S.ycols = b->cols[S.iy];
    if (S.ycols == 0)
        nn_die("%s: the labels '%s' have no columns", in_name, opt_labels);
    S.index = !nn_dtype_is_float(ydt) && S.ycols == 1;
    uint64_t cattr = 0;
    nn_error e;
    if (S.index && nn_labels_classes(yattrs, opt_labels, &cattr, &e) < 0)
        nn_die("%s: %s", in_name, e.msg);
    if (S.ix >= 0) {
        S.k = b->cols[S.ix];
        if (S.k == 0)
            nn_die("%s: the predictions '%s' have no columns", in_name,
                   opt_pred);
        if (!S.index && S.ycols != S.k)
            nn_die("%s: the predictions '%s' have %zu column%s, the targets "
                   "'%s' %zu%s", in_name, opt_pred, S.k, S.k == 1 ? "" : "s",
                   opt_labels, S.ycols,
                   S.ycols == 1 && nn_dtype_is_float(ydt)
                       ? " (class indices must be an integer tensor)" : "");
        S.classes = S.k >= 2 ? S.k : 2;
        if (S.index && cattr && cattr != S.classes)
            nn_die("%s: the labels '%s' have classes=%llu but the "
                   "predictions '%s' have %zu column%s (%zu classes)",
                   in_name, opt_labels, (unsigned long long)cattr, opt_pred,
                   S.k, S.k == 1 ? "" : "s", S.classes);
        S.classify = !opt_regression;
        if (S.classify) {
            S.count = xalloc(S.classes, sizeof *S.count, "classes");
            S.right = xalloc(S.classes, sizeof *S.right, "classes");
            if (S.classes <= CONFUSION_MAX)
                S.confusion = xalloc(S.classes * S.classes,
                                     sizeof *S.confusion, "confusion matrix");
        }
        S.p = xalloc(S.k, sizeof *S.p, "row");
        S.t = xalloc(S.ycols, sizeof *S.t, "row");
    } else if (S.index) {
        S.classes = cattr;
    }
    S.lsd = xalloc(NN_ROWSET_MAX, sizeof *S.lsd, "tensors");
    for (int a = 0; a < nlsd; a++) {
        int found = 0;
        for (int i = 0; i < nn_rowset_count(s); i++) {
            const char *name = nn_rowset_name(s, i);
            if (has_glob(opt_lsd[a]) ? i != S.iy &&
                    fnmatch(opt_lsd[a], name, 0) == 0
                                     : strcmp(opt_lsd[a], name) == 0) {
                add_lsd(s, i, b);
                found = 1;
            }
        }
        if (!found)
            nn_die("%s: no tensor matches '%s'", in_name, opt_lsd[a]);
    }
    if (S.index && S.nl) {
        S.slot = xalloc(NN_CLASSES_MAX, sizeof *S.slot, "classes");
        memset(S.slot, 0xff, NN_CLASSES_MAX * sizeof *S.slot);
    }
}

static void grow_sums(lsd_t *l, size_t slots)
{
    if (slots <= l->sums_slots)
        return;
    size_t c = l->sums_slots ? l->sums_slots : 16;
    while (c < slots)
        c *= 2;
    nn_error e;
    double *p = nn_alloc(c, (1 + l->nz) * sizeof *p, "class sums", &e);
    if (!p)
        nn_die("%s", e.msg);
    memset(p, 0, c * (1 + l->nz) * sizeof *p);
    if (l->sums)
        memcpy(p, l->sums, l->sums_slots * (1 + l->nz) * sizeof *p);
    free(l->sums);
    l->sums = p;
    l->sums_slots = c;
}

/* A value of tensor i in block b that is not finite is an error naming
 * the tensor (what: "the predictions " or the like), the row and the column
 * of the first one. */
static void check_finite(nn_rowset *s, const nn_rowblock *b, int i,
                         const char *what, uint64_t row0)
{
    nn_error e;
    if (nn_rows_check_finite(b->data[i], b->dtype[i], b->rows, b->cols[i],
                             row0, what, nn_rowset_name(s, i), &e) < 0)
        nn_die("%s: %s", in_name, e.msg);
}

/* The index labels of a block, checked. */
static void read_labels(const nn_rowblock *b, uint64_t row0)
{
    if (b->rows > S.labs_cap) {
        free(S.labs);
        S.labs_cap = b->rows;
        S.labs = xalloc(S.labs_cap, sizeof *S.labs, "labels");
    }
    int dt = b->dtype[S.iy];
    size_t es = nn_dtype_size(dt);
    for (size_t i = 0; i < b->rows; i++) {
        double v;
        nn_convert(&v, NN_F64, (const char *)b->data[S.iy] + i * es, dt, 1);
        unsigned long long row = (unsigned long long)(row0 + i);
        if (v < 0)
            nn_die("%s: row %llu: label %.0f is negative", in_name, row, v);
        if (S.classes && v >= (double)S.classes) {
            if (S.ix >= 0)
                nn_die("%s: row %llu: label %.0f is out of range for %zu "
                       "prediction column%s", in_name, row, v, S.k,
                       S.k == 1 ? " (0 or 1)" : "s");
            nn_die("%s: row %llu: label %.0f is out of range for "
                   "classes=%zu", in_name, row, v, S.classes);
        }
        if (v >= NN_CLASSES_MAX)
            nn_die("%s: row %llu: label %.0f: more than %d classes", in_name,
                   row, v, NN_CLASSES_MAX);
        S.labs[i] = (int64_t)v;
        if (S.slot && S.slot[S.labs[i]] < 0)
            S.slot[S.labs[i]] = (int32_t)S.nslots++;
    }
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

static void score(const nn_rowblock *b)
{
    int pdt = b->dtype[S.ix], ydt = b->dtype[S.iy];
    size_t ps = nn_dtype_size(pdt), ys = nn_dtype_size(ydt), k = S.k;
    for (size_t i = 0; i < b->rows; i++) {
        double *p = S.p, *t = S.t;
        nn_convert(p, NN_F64, (const char *)b->data[S.ix] + i * k * ps, pdt, k);
        long truth;
        if (S.index) {
            truth = (long)S.labs[i];
            for (size_t j = 0; j < k; j++) {
                double d = p[j] - (k == 1 ? (double)truth : (double)(j == (size_t)truth));
                S.sse += d * d;
            }
        } else {
            nn_convert(t, NN_F64, (const char *)b->data[S.iy] + i * k * ys,
                       ydt, k);
            for (size_t j = 0; j < k; j++)
                S.sse += (p[j] - t[j]) * (p[j] - t[j]);
            truth = S.classify ? onehot_class(t, k) : -1;
            if (truth < 0)
                S.classify = 0; /* targets, not classes: regression */
        }
        if (!S.classify || truth < 0)
            continue;
        S.count[truth]++;
        size_t pred = 0;
        if (k == 1)
            pred = p[0] >= opt_threshold;
        else
            for (size_t j = 1; j < k; j++)
                if (p[j] > p[pred])
                    pred = j;
        if (pred == (size_t)truth) {
            S.right[truth]++;
            S.correct++;
        }
        if (S.confusion)
            S.confusion[(size_t)truth * S.classes + pred]++;
    }
}

static void accumulate_lsd(const nn_rowblock *b)
{
    static const double none[1];
    nn_error e;
    for (int a = 0; a < S.nl; a++) {
        lsd_t *l = &S.lsd[a];
        const void *z = b->data[l->idx];
        int zdt = b->dtype[l->idx];
        if (!S.index) {
            if (nn_gram_add(&l->g, b->rows, z, zdt, b->data[S.iy],
                            b->dtype[S.iy], &e) < 0)
                nn_die("%s", e.msg);
            continue;
        }
        /* one-hot targets: Z1^T Y is the sum of [1 z] over each class */
        if (nn_gram_add(&l->g, b->rows, z, zdt, none, NN_F64, &e) < 0)
            nn_die("%s", e.msg);
        grow_sums(l, S.nslots);
        size_t zs = nn_dtype_size(zdt), w = 1 + l->nz;
        for (size_t i = 0; i < b->rows; i++) {
            double *sum = l->sums + (size_t)S.slot[S.labs[i]] * w;
            nn_convert(l->zrow, NN_F64, (const char *)z + i * l->nz * zs, zdt,
                       l->nz);
            sum[0] += 1;
            for (size_t j = 0; j < l->nz; j++)
                sum[1 + j] += l->zrow[j];
        }
    }
}

/* The distance of l to index labels.  Of the one-hot Y, only the columns
 * of the classes present count (a column of zeros adds nothing to either
 * term of the distance), and the columns add up: the distance is the sum
 * over groups of the classes present, each from the Gram matrix of
 * [1 Z Y_group], built from that of [1 Z], the class sums and Y^T Y =
 * diag(counts).  Memory and time follow the classes present, not the
 * classes= attribute or the largest label. */
static double lsd_index(nn_rowset *s, lsd_t *l)
{
    nn_error e;
    size_t p = 1 + l->nz;
    size_t per = GROUP_COLS > 2 * p ? GROUP_COLS - p : p;
    double sum = 0;
    for (size_t c0 = 0; c0 < S.nslots; c0 += per) {
        size_t nc = S.nslots - c0 < per ? S.nslots - c0 : per, n = p + nc;
        nn_gram full;
        if (nn_gram_init(&full, l->nz, nc, &e) < 0)
            nn_die("'%s': %s", nn_rowset_name(s, l->idx), e.msg);
        for (size_t i = 0; i < p; i++)
            memcpy(full.g + i * n, l->g.g + i * p, p * sizeof *full.g);
        for (size_t c = 0; c < nc; c++) {
            const double *sums = l->sums + (c0 + c) * p;
            for (size_t i = 0; i < p; i++)
                full.g[i * n + p + c] = sums[i];
            full.g[(p + c) * n + p + c] = sums[0];
        }
        full.rows = l->g.rows;
        nn_gram_finish(&full);
        double v;
        if (nn_gram_lsd(&full, 0, &v, &e) < 0)
            nn_die("'%s': %s", nn_rowset_name(s, l->idx), e.msg);
        nn_gram_free(&full);
        sum += v;
    }
    return sum;
}

/* The distance of each tensor, now that all rows are in. */
static void finish_lsd(nn_rowset *s)
{
    nn_error e;
    for (int a = 0; a < S.nl; a++) {
        lsd_t *l = &S.lsd[a];
        nn_gram_finish(&l->g);
        if (S.index)
            l->value = lsd_index(s, l);
        else if (nn_gram_lsd(&l->g, 0, &l->value, &e) < 0)
            nn_die("'%s': %s", nn_rowset_name(s, l->idx), e.msg);
    }
}

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

static double mse(void)
{
    return S.sse / ((double)S.rows * (double)S.k);
}

static void print_json(nn_rowset *s)
{
    printf("{\"rows\":%llu", (unsigned long long)S.rows);
    if (S.ix >= 0) {
        printf(",\"task\":\"%s\"", S.classify ? "classification" : "regression");
        if (S.classify) {
            printf(",\"classes\":%zu,\"correct\":%llu,\"accuracy\":", S.classes,
                   (unsigned long long)S.correct);
            json_number((double)S.correct / (double)S.rows);
            printf(",\"per_class\":[");
            for (size_t c = 0; c < S.classes; c++) {
                printf("%s{\"class\":%zu,\"count\":%llu,\"correct\":%llu,"
                       "\"accuracy\":", c ? "," : "", c,
                       (unsigned long long)S.count[c],
                       (unsigned long long)S.right[c]);
                json_number(S.count[c] ? (double)S.right[c] / (double)S.count[c]
                                       : NAN);
                putchar('}');
            }
            putchar(']');
            if (S.confusion) {
                printf(",\"confusion\":[");
                for (size_t c = 0; c < S.classes; c++) {
                    printf("%s[", c ? "," : "");
                    for (size_t d = 0; d < S.classes; d++)
                        printf("%s%llu", d ? "," : "",
                               (unsigned long long)S.confusion[c * S.classes + d]);
                    putchar(']');
                }
                putchar(']');
            }
        }
        printf(",\"mse\":");
        json_number(mse());
    }
    if (S.nl) {
        printf(",\"lsd\":{");
        for (int a = 0; a < S.nl; a++) {
            printf("%s", a ? "," : "");
            nn_json_string(nn_rowset_name(s, S.lsd[a].idx));
            putchar(':');
            json_number(S.lsd[a].value);
        }
        putchar('}');
    }
    printf("}\n");
}

static void print_text(nn_rowset *s)
{
    printf("rows %llu\n", (unsigned long long)S.rows);
    if (S.ix >= 0 && S.classify) {
        printf("accuracy %.2f%% (%llu/%llu)\n",
               100.0 * (double)S.correct / (double)S.rows,
               (unsigned long long)S.correct, (unsigned long long)S.rows);
        int wc = digits(S.classes - 1), wn = digits(S.rows);
        wc = wc < 5 ? 5 : wc;
        wn = wn < 5 ? 5 : wn;
        printf("%*s  %*s  %*s  accuracy\n", wc, "class", wn, "count", wn + 2,
               "correct");
        for (size_t c = 0; c < S.classes; c++) {
            printf("%*zu  %*llu  %*llu", wc, c, wn,
                   (unsigned long long)S.count[c], wn + 2,
                   (unsigned long long)S.right[c]);
            if (S.count[c])
                printf("  %7.2f%%\n",
                       100.0 * (double)S.right[c] / (double)S.count[c]);
            else
                printf("  %8s\n", "-");
        }
        if (S.confusion) {
            uint64_t top = 0;
            for (size_t i = 0; i < S.classes * S.classes; i++)
                top = S.confusion[i] > top ? S.confusion[i] : top;
            int w = digits(top) > digits(S.classes - 1) ? digits(top)
                                                         : digits(S.classes - 1);
            w += 2;
            printf("confusion (rows: true class, columns: predicted class)\n");
            printf("%*s", wc, "");
            for (size_t d = 0; d < S.classes; d++)
                printf("%*zu", w, d);
            putchar('\n');
            for (size_t c = 0; c < S.classes; c++) {
                printf("%*zu", wc, c);
                for (size_t d = 0; d < S.classes; d++)
                    printf("%*llu", w,
                           (unsigned long long)S.confusion[c * S.classes + d]);
                putchar('\n');
            }
        }
    }
    if (S.ix >= 0)
        printf("mse %.6g\n", mse());
    int w = 0;
    for (int a = 0; a < S.nl; a++) {
        int n = (int)strlen(nn_rowset_name(s, S.lsd[a].idx));
        w = n > w ? n : w;
    }
    for (int a = 0; a < S.nl; a++)
        printf("lsd %-*s %.6g\n", w, nn_rowset_name(s, S.lsd[a].idx),
               S.lsd[a].value);
}

static void print_quiet(void)
{
    if (S.ix >= 0 && S.classify)
        printf("%.2f\n", 100.0 * (double)S.correct / (double)S.rows);
    else if (S.ix >= 0)
        printf("%.6g\n", mse());
    else
        for (int a = 0; a < S.nl; a++)
            printf("%.6g\n", S.lsd[a].value);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-eval");
    static const struct option longopts[] = {
        {"pred", required_argument, 0, 'p'},
        {"name", required_argument, 0, 'p'},
        {"labels", required_argument, 0, 'y'},
        {"threshold", required_argument, 0, 't'},
        {"regression", no_argument, 0, OPT_REGRESSION},
        {"lsd", required_argument, 0, 'l'},
        {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},
        NN_LONGOPTS_END};
    opt_lsd = calloc((size_t)argc, sizeof *opt_lsd);
    if (!opt_lsd)
        nn_die("out of memory");
    int c;
    while ((c = getopt_long(argc, argv, ":p:n:y:t:l:jqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
        case 'n': opt_pred = optarg; break;
        case 'y': opt_labels = optarg; break;
        case 't':
            if (nn_parse_double(optarg, &opt_threshold) < 0 ||
                isnan(opt_threshold))
                nn_usage_error("invalid threshold '%s'", optarg);
            break;
        case OPT_REGRESSION: opt_regression = 1; break;
        case 'l': opt_lsd[nlsd++] = optarg; break;
        case 'j': opt_json = 1; break;
        case 'q': opt_quiet = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (opt_json && opt_quiet)
        nn_usage_error("-j and -q exclude each other");
    if (!*opt_pred || !*opt_labels)
        nn_usage_error("empty tensor name");
    for (int a = 0; a < nlsd; a++)
        if (!*opt_lsd[a])
            nn_usage_error("empty --lsd name");
    if (argc - optind > 1)
        nn_usage_error("extra operand '%s'", argv[optind + 1]);
    /* the tensors named (patterns add more, found in the stream) */
    int named = 1 + (strcmp(opt_pred, opt_labels) != 0);
    for (int a = 0; a < nlsd; a++) {
        int seen = has_glob(opt_lsd[a]) || !strcmp(opt_lsd[a], opt_pred) ||
                   !strcmp(opt_lsd[a], opt_labels);
        for (int b = 0; b < a && !seen; b++)
            seen = !strcmp(opt_lsd[a], opt_lsd[b]);
        named += !seen;
    }
    if (named > NN_ROWSET_MAX)
        nn_usage_error("%d tensors named: at most %d tensors in all (the "
                       "predictions, the labels and --lsd)", named,
                       NN_ROWSET_MAX);
    const char *path = optind < argc ? argv[optind] : "-";

    nn_error e;
    nn_reader *r = nn_reader_open(path, &e);
    if (!r)
        nn_die("%s", e.msg);
    in_name = nn_reader_name(r);
    /* named tensors must appear; the predictions only without --lsd */
    const char **names = xalloc((size_t)nlsd + 2, sizeof *names, "names");
    int nn = 0;
    names[nn++] = opt_labels;
    if (!nlsd)
        names[nn++] = opt_pred;
    for (int a = 0; a < nlsd; a++)
        if (!has_glob(opt_lsd[a]))
            names[nn++] = opt_lsd[a];
    nn_rowset *s = nn_rowset_open(r, nn, names, &e);
    if (!s)
        nn_die("%s", e.msg);
    if (nlsd && nn_rowset_add(s, opt_pred, 0, &e) < 0)
        nn_die("%s", e.msg);
    for (int a = 0; a < nlsd; a++)
        if (has_glob(opt_lsd[a]) && nn_rowset_add(s, opt_lsd[a], 1, &e) < 0)
            nn_die("%s", e.msg);

    nn_rowblock b;
    int rc, ready = 0;
    while ((rc = nn_rowset_next(s, 0, &b, &e)) == 1) {
        if (!ready) {
            setup(s, &b);
            ready = 1;
        }
        uint64_t row0 = nn_rowset_row(s) - b.rows;
        if (S.index)
            read_labels(&b, row0);
        else
            check_finite(s, &b, S.iy, "the targets ", row0);
        if (S.ix >= 0 && S.ix != S.iy)
            check_finite(s, &b, S.ix, "the predictions ", row0);
        for (int a = 0; a < S.nl; a++)
            if (S.lsd[a].idx != S.iy && S.lsd[a].idx != S.ix)
                check_finite(s, &b, S.lsd[a].idx, "", row0);
        if (S.ix >= 0)
            score(&b);
        accumulate_lsd(&b);
        S.rows += b.rows;
    }
    if (rc < 0)
        nn_die("%s", e.msg);
    if (!ready) /* before setup, which would size tables by empty tensors */
        nn_die("%s: no rows to score ('%s' is empty)", in_name, opt_labels);
    finish_lsd(s);

    if (opt_json)
        print_json(s);
    else if (opt_quiet)
        print_quiet();
    else
        print_text(s);
    if (nn_stdout_close(&e) < 0)
        nn_die("%s", e.msg);

    for (int a = 0; a < S.nl; a++) {
        nn_gram_free(&S.lsd[a].g);
        free(S.lsd[a].sums);
        free(S.lsd[a].zrow);
    }
    free(S.lsd);
    free(S.count);
    free(S.right);
    free(S.confusion);
    free(S.p);
    free(S.t);
    free(S.labs);
    free(S.slot);
    free(names);
    free(opt_lsd);
    nn_rowset_close(s);
    nn_reader_close(r);
    return 0;
}

/* nn-fit-layer — fit one layer in closed form, without backpropagation
 * (Platonic projections, thesis ch. 7): one streaming pass accumulates the
 * Gram matrix of [1 Z Y] in double precision, then small dense algebra. */
#include "nn_tool.h"

#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-fit-layer [OPTION]... [FILE]\n"
    "  or:  nn-fit-layer --gram [OPTION]... [FILE]\n"
    "  or:  nn-fit-layer -G STATS [-G STATS]... [OPTION]...\n"
    "Fit one layer in closed form to a data stream (x, the layer's input Z,\n"
    "and y, the targets Y; FILE or stdin) and write it as a network layer.\n"
    "\n"
    "  -m, --method M       random (Platonic target with P ~ N(0,1), the\n"
    "                       default), platonic-pca, sorted-pca (first layer:\n"
    "                       data rows as weights), elm (random weights, no\n"
    "                       fit), output (the decision layer, target Y)\n"
    "  -w, --width D        units of the layer (all methods but output)\n"
    "  -a, --activation ACT the layer's activation (default relu; identity\n"
    "                       for output)\n"
    "      --alpha A        target scale alpha (default 1)\n"
    "      --beta B         weight of Y in the target (default 10)\n"
    "      --pca BASIS      platonic-pca: components of alpha [1 Z beta Y]\n"
    "                       uncentred (raw, the default) or of the\n"
    "                       correlation matrix of [Z Y] (corr)\n"
    "  -l, --lambda L       ridge penalty (default 0)\n"
    "  -s, --solver S       chol (ridge by Cholesky, default), pinv\n"
    "                       (pseudoinverse from the Gram matrix) or lstsq\n"
    "                       (least squares from a streaming QR: full\n"
    "                       precision for ill-conditioned representations)\n"
    "      --tol T          pinv, lstsq: relative tolerance on singular\n"
    "                       values (default sqrt(1+n) 2^-26, lstsq 2^-52)\n"
    "  -n, --tries N        random: draw N projections, keep the one whose\n"
    "                       layer has the lowest LSD (a second pass)\n"
    "      --seed S         seed of P or of the elm weights (default 1)\n"
    "      --weights NAME   per-sample weights d: Y is replaced by d*Y\n"
    "      --classes K      classes of integer labels without classes=K\n"
    "      --name NAME      the input tensor (default x; also --input)\n"
    "  -y, --labels NAME    the targets (default y; also --target)\n"
    "      --gram           write the Gram statistics instead of a layer\n"
    "  -G, --from-gram FILE fit from statistics (repeatable, up to 64: they\n"
    "                       add)\n"
    "  -t, --dtype TYPE     weights as f32 (default) or f64\n"
    "  -o, --output FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress records with zstd (default level 3)\n"
    "      --progress       report progress on stderr\n"
    "  -h, --help           show this help and exit\n"
    "      --version        show the version and exit\n"
    "See nn-fit-layer(1).\n";

enum { M_RANDOM, M_PCA, M_SORTED, M_ELM, M_OUTPUT };
static const char *const methods[] = {"random", "platonic-pca", "sorted-pca",
                                      "elm", "output"};
enum {
    OPT_ALPHA = 256, OPT_BETA, OPT_PCA, OPT_TOL, OPT_SEED, OPT_WEIGHTS, OPT_CLASSES,
    OPT_INPUT, OPT_TARGET, OPT_GRAM, OPT_PROGRESS
};

static int opt_method = M_RANDOM, opt_gram, opt_dtype = NN_F32, opt_level;
static int opt_progress, opt_tries = 1;
static uint64_t opt_width, opt_seed = 1, opt_classes;
static double opt_alpha = 1, opt_beta = 10;
static int opt_pca_raw = 1, opt_pca_set; /* --pca raw (or corr) */
static const char *opt_act, *opt_weights, *opt_out = "-";
static const char *opt_input = "x", *opt_target = "y";
static nn_fit_opts fopts = {NN_SOLVE_CHOL, 0, 0};
static const char *grams[64];
static int ngrams;
static nn_tsqr qr;          /* -s lstsq: the factor R instead of the Gram */

#define BLOCK 1024

/* ------------------------------------------------------------ data passes */

/* One pass over the rows of x and y (and d): calls fn per block with
 * z (m,nz) as f64, y (m,ny) as f64 (one-hot for labels, scaled by d). */
typedef struct pass {
    nn_reader *r;
    size_t nz, ny;
    int labels;             /* y holds class indices */
    uint64_t classes;
    double *z, *y;          /* BLOCK rows */
    int x_only;             /* later passes: x alone, already checked */
    uint64_t rows;
    nn_progress prog;
} pass;

typedef void (*block_fn)(pass *p, size_t m, void *arg);

/* a * b, or SIZE_MAX (which nn_alloc refuses) when that overflows */
static size_t times(size_t a, size_t b)
{
    size_t c;
    return __builtin_mul_overflow(a, b, &c) ? SIZE_MAX : c;
}

/* Stops at a NaN or infinity in the m rows of cols elements of dtype dt
 * (as read, before any conversion: fewer bytes to look at) that a tensor
 * has from row row0 on.  One NaN would make the whole fit NaN; looking
 * costs a few percent of the Gram update of the same rows. */
static void check_finite(const pass *p, const char *what, const char *name,
                         int dt, const void *a, size_t m, size_t cols,
                         uint64_t row0)
{
    size_t i = nn_nonfinite_find(a, dt, m * cols);
    if (i < m * cols)
        nn_die("%s: %s'%s' row %llu holds %s", nn_reader_name(p->r), what,
               name, (unsigned long long)(row0 + i / cols),
               isnan(nn_elem_f64(a, dt, i)) ? "NaN" : "an infinity");
}

static void run_pass(pass *p, block_fn fn, void *arg)
{
    nn_error e;
    const char *names[3] = {opt_input, opt_target, opt_weights};
    nn_rowset *s = nn_rowset_open(p->r, opt_weights ? 3 : 2, names, &e);
    if (!s)
        nn_die("%s", e.msg);
    nn_rowblock b;
    int rc, first = !p->z;
    p->rows = 0;
    while ((rc = nn_rowset_next(s, BLOCK, &b, &e)) == 1) {
        if (first) {
            first = 0;
            /* rows of nothing are no data, and there may be 2^32 of them
             * in a file of 144 bytes */
            if (!b.cols[0])
                nn_die("%s: '%s' has rows of width 0", nn_reader_name(p->r),
                       opt_input);
            p->nz = b.cols[0];
            p->labels = b.rank[1] == 1 && !nn_dtype_is_float(b.dtype[1]);
            if (p->labels) {
                uint64_t k = opt_classes;
                int rc1 = k ? 1 : nn_labels_classes(nn_rowset_attrs(s, 1),
                                                    opt_target, &k, &e);
                if (rc1 < 0)
                    nn_die("%s: %s", nn_reader_name(p->r), e.msg);
                if (rc1 == 0)
                    nn_die("%s: labels '%s' carry no classes=K attribute: "
                           "give --classes K", nn_reader_name(p->r),
                           opt_target);
                p->classes = k;
                p->ny = (size_t)k;
            } else {
                if (!b.cols[1])
                    nn_die("%s: '%s' has rows of width 0",
                           nn_reader_name(p->r), opt_target);
                p->ny = b.cols[1];
            }
            if (opt_weights && b.cols[2] != 1)
                nn_die("%s: weights '%s' must be one number per row",
                       nn_reader_name(p->r), opt_weights);
            if (!(p->z = nn_alloc(times(BLOCK, p->nz), sizeof(double),
                                  "rows", &e)) ||
                !(p->y = nn_alloc(times(BLOCK, p->ny), sizeof(double),
                                  "rows", &e)))
                nn_die("%s", e.msg);
        } else if (b.cols[0] != p->nz) {
            nn_die("%s: rows of '%s' changed width", nn_reader_name(p->r),
                   opt_input);
        }
        size_t m = b.rows;
        nn_convert(p->z, NN_F64, b.data[0], b.dtype[0], m * p->nz);
        if (p->x_only)
            goto done;
        check_finite(p, "", opt_input, b.dtype[0], b.data[0], m, p->nz,
                     p->rows);
        if (p->labels) {
            if (nn_labels_onehot(b.data[1], b.dtype[1], m, p->ny, p->rows,
                                 p->y, &e) < 0)
                nn_die("%s: %s", nn_reader_name(p->r), e.msg);
        } else {
            if (b.cols[1] != p->ny)
                nn_die("%s: rows of '%s' changed width", nn_reader_name(p->r),
                       opt_target);
            nn_convert(p->y, NN_F64, b.data[1], b.dtype[1], m * p->ny);
            check_finite(p, "", opt_target, b.dtype[1], b.data[1], m, p->ny,
                         p->rows);
        }
        if (opt_weights) {
            double d[BLOCK];
            nn_convert(d, NN_F64, b.data[2], b.dtype[2], m);
            check_finite(p, "weights ", opt_weights, b.dtype[2], b.data[2], m,
                         1, p->rows);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < p->ny; j++)
                    p->y[i * p->ny + j] *= d[i];
        }
    done:
        fn(p, m, arg);
        p->rows += m;
        nn_progress_update(&p->prog, p->rows, 0, "rows");
    }
    if (rc < 0)
        nn_die("%s", e.msg);
    nn_rowset_close(s);
    if (p->rows == 0)
        nn_die("%s: no rows to fit", nn_reader_name(p->r));
}

static void qr_block(pass *p, size_t m, void *arg)
{
    nn_error e;
    (void)arg;
    if (!qr.r && nn_tsqr_init(&qr, p->nz, p->ny, &e) < 0)
        nn_die("%s", e.msg);
    if (nn_tsqr_add(&qr, m, p->z, p->y, &e) < 0)
        nn_die("%s", e.msg);
}

static void gram_block(pass *p, size_t m, void *arg)
{
    nn_gram *g = arg;
    nn_error e;
    if (!g->g && nn_gram_init(g, p->nz, p->ny, &e) < 0)
        nn_die("%s", e.msg);
    if (nn_gram_add(g, m, p->z, NN_F64, p->y, NN_F64, &e) < 0)
        nn_die("%s", e.msg);
}

/* ------------------------------------------------------- statistics files */

static void write_gram(nn_writer *w, const nn_gram *g, const pass *p)
{
    /* room for three 20-digit numbers and a weights name of 255 bytes */
    char attrs[512];
    snprintf(attrs, sizeof attrs,
             "producer=nn-fit-layer %s\nnz=%zu\nny=%zu\nrows=%llu\n%s%s%s%s",
             NN_VERSION, g->nz, g->ny, (unsigned long long)g->rows,
             p && p->labels ? "targets=onehot\n" : "",
             opt_weights ? "weights=" : "", opt_weights ? opt_weights : "",
             opt_weights ? "\n" : "");
    nn_header h = {.name = "gram", .dtype = NN_F64, .rank = 2,
                   .dims = {g->n, g->n}, .attrs = attrs};
    nn_error e;
    if (nn_writer_put(w, &h, g->g, &e) < 0)
        nn_die("%s", e.msg);
}

/* Sums the statistics files into g. */
static void read_grams(nn_gram *g)
{
    nn_error e;
    for (int k = 0; k < ngrams; k++) {
        nn_reader *r = nn_reader_open(grams[k], &e);
        if (!r)
            nn_die("%s", e.msg);
        const nn_record *rec;
        nn_row_pos pos;
        int rc, found = 0;
        while ((rc = nn_reader_next_at(r, &rec, &pos, 0, &e)) == 1) {
            if (strcmp(rec->name, "gram") != 0)
                continue;
            if (!pos.first) /* --gram writes the matrix in one record */
                nn_die("%s: record %llu: a Gram record in chunks (join "
                       "them with nn-cat)", grams[k],
                       (unsigned long long)rec->index);
            char v[32];
            uint64_t nz = 0, ny = 0, rows = 0, n;
            if (!nn_attrs_get(rec->attrs, "nz", v, sizeof v) || nn_parse_u64(v, &nz) ||
                !nn_attrs_get(rec->attrs, "ny", v, sizeof v) || nn_parse_u64(v, &ny) ||
                !nn_attrs_get(rec->attrs, "rows", v, sizeof v) || nn_parse_u64(v, &rows) ||
                rec->rank != 2)
                nn_die("%s: record %llu: not Gram statistics of nn-fit-layer "
                       "--gram", grams[k], (unsigned long long)rec->index);
            /* the matrix is square of side 1+nz+ny exactly, sums that must
             * not wrap around; neither part is empty (--gram never writes
             * one) */
            if (!nz || !ny || __builtin_add_overflow(nz, ny, &n) ||
                __builtin_add_overflow(n, 1, &n) || rec->dims[0] != n ||
                rec->dims[1] != n)
                nn_die("%s: record %llu: not Gram statistics of nn-fit-layer "
                       "--gram: a (%llu,%llu) matrix for nz=%llu, ny=%llu",
                       grams[k], (unsigned long long)rec->index,
                       (unsigned long long)rec->dims[0],
                       (unsigned long long)rec->dims[1],
                       (unsigned long long)nz, (unsigned long long)ny);
            if (!g->g) {
                if (nn_gram_init(g, (size_t)nz, (size_t)ny, &e) < 0)
                    nn_die("%s", e.msg);
            } else if (nz != g->nz || ny != g->ny) {
                nn_die("%s: statistics of %llu+%llu columns do not add to "
                       "those of %zu+%zu", grams[k], (unsigned long long)nz,
                       (unsigned long long)ny, g->nz, g->ny);
            }
            double *t = nn_alloc(rec->nelem, sizeof *t, "statistics", &e);
            if (!t)
                nn_die("%s", e.msg);
            nn_convert(t, NN_F64, rec->data, rec->dtype, rec->nelem);
            size_t bad = nn_nonfinite_find(t, NN_F64, rec->nelem);
            if (bad < rec->nelem)
                nn_die("%s: record %llu: the Gram record holds %s",
                       grams[k], (unsigned long long)rec->index,
                       isnan(t[bad]) ? "NaN" : "an infinity");
            for (size_t i = 0; i < rec->nelem; i++)
                g->g[i] += t[i];
            free(t);
            if (__builtin_add_overflow(g->rows, rows, &g->rows))
                nn_die("%s: record %llu: the statistics' rows add up past "
                       "2^64", grams[k], (unsigned long long)rec->index);
            found = 1;
        }
        if (rc < 0)
            nn_die("%s", e.msg);
        if (!found)
            nn_die("%s: no 'gram' record (make one with nn-fit-layer --gram)",
                   grams[k]);
        nn_reader_close(r);
    }
}

/* Finite data can still sum to more than double precision holds. */
static void check_overflow(const double *a, size_t n, const char *what)
{
    if (nn_nonfinite_find(a, NN_F64, n) < n)
        nn_die("%s overflows double precision (values too large)", what);
}

/* ----------------------------------------------------------------- methods */

/* A layer of width d from the fitted weights W (p,d). */
static void make_layer(nn_layer *l, size_t n_in, size_t d, double *W)
{
    l->n_in = n_in;
    l->n_out = d;
    l->w = W;
    l->dtype = opt_dtype;
}

/* Second pass for --tries: the LSD of each candidate layer's output. */
typedef struct tries {
    nn_layer *cand;
    nn_gram *g;
    double *out;
    int n;
} tries;

static void tries_block(pass *p, size_t m, void *arg)
{
    tries *t = arg;
    nn_error e;
    for (int k = 0; k < t->n; k++) {
        nn_layer_forward_f64(&t->cand[k], m, p->z, t->out);
        if (!t->g[k].g && nn_gram_init(&t->g[k], t->cand[k].n_out, p->ny, &e) < 0)
            nn_die("%s", e.msg);
        nn_gram_add(&t->g[k], m, t->out, NN_F64, p->y, NN_F64, &e);
    }
}

/* Random Platonic targets: the projection P ~ N(0,1) of try k. */
static void random_projection(nn_rng *g, size_t p, size_t ny, size_t d,
                              double *P)
{
    nn_error e;
    double *q = nn_alloc(times(p + ny, d), sizeof *q, "projection", &e);
    if (!q)
        nn_die("%s", e.msg);
    for (size_t i = 0; i < (p + ny) * d; i++)
        q[i] = nn_rng_normal(g);
    nn_fit_scale_projection(p, ny, d, opt_alpha, opt_beta, q, P);
    free(q);
}

static double *fit_from_gram(const nn_gram *g, size_t d, nn_rng *rng,
                             int method)
{
    nn_error e;
    size_t p = 1 + g->nz, ny = g->ny;
    double *P = nn_alloc(times(p + ny, d), sizeof *P, "projection", &e);
    double *W = nn_alloc(times(p, d), sizeof *W, "weights", &e);
    if (!P || !W)
        nn_die("%s", e.msg);
    if (method == M_OUTPUT) { /* T = Y */
        memset(P, 0, (p + ny) * d * sizeof *P);
        for (size_t j = 0; j < ny; j++)
            P[(p + j) * d + j] = 1;
    } else if (method == M_PCA) {
        double *q = nn_alloc(times(p + ny, d), sizeof *q, "projection", &e);
        if (!q || (!opt_pca_raw ? nn_fit_pca_corr(g, d, q, &e)
                   : qr.r ? nn_fit_pca_qr(&qr, opt_alpha, opt_beta, d, q, &e)
                          : nn_fit_pca(g, opt_alpha, opt_beta, d, q, &e)) < 0)
            nn_die("%s", e.msg);
        nn_fit_scale_projection(p, ny, d, opt_alpha, opt_beta, q, P);
        free(q);
    } else {
        random_projection(rng, p, ny, d, P);
    }
    if ((qr.r ? nn_fit_solve_qr(&qr, P, d, &fopts, W, &e)
              : nn_fit_solve(g, P, d, &fopts, W, &e)) < 0)
        nn_die("%s", e.msg);
    free(P);
    return W;
}

/* Sorted PCA: rows of the data at evenly spaced ranks along the first
 * principal component of x become the weight columns (biases 0).  Needs
 * the data at least twice more after the Gram: for the projections v = x c
 * (ranked exactly in bounded memory by nn_select: one pass up to 2^18
 * rows, a few more beyond), then to gather the chosen rows. */
typedef struct sorted {
    const double *c;
    nn_select *sel;
    uint64_t *chosen;   /* sorted row numbers */
    size_t *col;        /* their column in W */
    size_t nchosen, next, d;
    double *W;
    uint64_t row;
} sorted;

static void project_block(pass *p, size_t m, void *arg)
{
    sorted *s = arg;
    for (size_t i = 0; i < m; i++) {
        double a = 0;
        for (size_t j = 0; j < p->nz; j++)
            a += p->z[i * p->nz + j] * s->c[j];
        nn_select_add(s->sel, a);
    }
}

static void gather_block(pass *p, size_t m, void *arg)
{
    sorted *s = arg;
    for (size_t i = 0; i < m; i++, s->row++)
        while (s->next < s->nchosen && s->chosen[s->next] == s->row) {
            for (size_t j = 0; j < p->nz; j++)
                s->W[(1 + j) * s->d + s->col[s->next]] = p->z[i * p->nz + j];
            s->next++;
        }
}

static int by_row(const void *a, const void *b)
{
    uint64_t i = ((const uint64_t *)a)[0], j = ((const uint64_t *)b)[0];
    return i < j ? -1 : i > j;
}

static double *fit_sorted(pass *ps, const nn_gram *g, size_t d)
{
    nn_error e;
    size_t n = g->nz, N = g->n;
    uint64_t m = g->rows;
    if (d > m)
        nn_die("sorted-pca takes %zu rows as weights, but the data has %llu",
               d, (unsigned long long)m);
    /* the covariance of x from the Gram: E[x x^T] - mu mu^T */
    double *cov = nn_alloc(n * n, sizeof *cov, "covariance", &e);
    double *w = nn_alloc(n, sizeof *w, "PCA", &e);
    double *v = nn_alloc(n * n, sizeof *v, "PCA", &e);
    if (!cov || !w || !v)
        nn_die("%s", e.msg);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double mi = g->g[1 + i] / (double)m, mj = g->g[1 + j] / (double)m;
            cov[i * n + j] = g->g[(1 + i) * N + 1 + j] / (double)m - mi * mj;
        }
    if (nn_eigh(n, cov, w, v, &e) < 0)
        nn_die("%s", e.msg);
    double *c = v + (n - 1) * n; /* the leading eigenvector */
    size_t big = 0;
    for (size_t i = 1; i < n; i++)
        if (fabs(c[i]) > fabs(c[big]))
            big = i;
    if (c[big] < 0) /* a fixed sign: the order is then deterministic */
        for (size_t i = 0; i < n; i++)
            c[i] = -c[i];

    /* the rows at evenly spaced ranks round(k m / d) of v = x c, as the
     * thesis's code, ties by row; found exactly in bounded memory (one
     * pass for up to 2^18 rows, a few more beyond) */
    sorted s = {.c = c, .d = d};
    uint64_t *ranks = nn_alloc(d, sizeof *ranks, "ranks", &e);
    uint64_t (*pick)[2] = nn_alloc(d, sizeof *pick, "choice", &e);
    if (!ranks || !pick)
        nn_die("%s", e.msg);
    for (size_t k = 0; k < d; k++) {
        uint64_t rank = (uint64_t)llround((double)k * (double)m / (double)d);
        ranks[k] = rank < m ? rank : m - 1;
    }
    if (!(s.sel = nn_select_new(m, d, ranks, 0, &e)))
        nn_die("%s", e.msg);
    int rc;
    ps->x_only = 1;
    while ((rc = nn_select_pass(s.sel)) == 1) {
        if (nn_reader_rewind(ps->r, &e) < 0)
            nn_die("%s", e.msg);
        run_pass(ps, project_block, &s);
        if (nn_select_end(s.sel, &e) < 0)
            nn_die("%s: %s", nn_reader_name(ps->r), e.msg);
    }
    if (rc < 0)
        nn_die("out of memory ranking the rows");
    const uint64_t *rows = nn_select_rows(s.sel);
    for (size_t k = 0; k < d; k++) {
        pick[k][0] = rows[k];
        pick[k][1] = k;
    }
    qsort(pick, d, sizeof *pick, by_row);
    s.chosen = malloc(d * sizeof *s.chosen);
    s.col = malloc(d * sizeof *s.col);
    s.W = calloc(times(1 + n, d), sizeof *s.W);
    if (!s.chosen || !s.col || !s.W)
        nn_die("out of memory");
    for (size_t k = 0; k < d; k++) {
        s.chosen[k] = pick[k][0];
        s.col[k] = (size_t)pick[k][1];
    }
    s.nchosen = d;
    s.row = 0;
    if (nn_reader_rewind(ps->r, &e) < 0)
        nn_die("%s", e.msg);
    run_pass(ps, gather_block, &s);
    free(cov);
    free(w);
    free(v);
    free(ranks);
    nn_select_free(s.sel);
    free(pick);
    free(s.chosen);
    free(s.col);
    return s.W;
}

/* --------------------------------------------------------------------- main */

/* Closes the output and frees what the passes used. */
static void finish(nn_writer *w, pass *ps, nn_gram *g)
{
    nn_error e;
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    if (ps->r)
        nn_reader_close(ps->r);
    free(ps->z);
    free(ps->y);
    nn_gram_free(g);
    nn_tsqr_free(&qr);
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-fit-layer");
    static const struct option longopts[] = {
        {"method", required_argument, 0, 'm'},
        {"width", required_argument, 0, 'w'},
        {"activation", required_argument, 0, 'a'},
        {"alpha", required_argument, 0, OPT_ALPHA},
        {"beta", required_argument, 0, OPT_BETA},
        {"pca", required_argument, 0, OPT_PCA},
        {"lambda", required_argument, 0, 'l'},
        {"solver", required_argument, 0, 's'},
        {"tol", required_argument, 0, OPT_TOL},
        {"tries", required_argument, 0, 'n'},
        {"seed", required_argument, 0, OPT_SEED},
        {"weights", required_argument, 0, OPT_WEIGHTS},
        {"classes", required_argument, 0, OPT_CLASSES},
        {"input", required_argument, 0, OPT_INPUT},
        {"name", required_argument, 0, OPT_INPUT},
        {"target", required_argument, 0, OPT_TARGET},
        {"labels", required_argument, 0, 'y'},
        {"gram", no_argument, 0, OPT_GRAM},
        {"from-gram", required_argument, 0, 'G'},
        {"dtype", required_argument, 0, 't'},
        NN_LONGOPTS_OUTPUT,
        {"progress", no_argument, 0, OPT_PROGRESS},
        NN_LONGOPTS_END};
    int c, m_set = 0;
    while ((c = getopt_long(argc, argv, ":m:w:a:l:s:n:y:G:t:o:z::hV", longopts,
                            NULL)) != -1) {
        uint64_t u;
        switch (c) {
        case 'm':
            opt_method = -1;
            for (int i = 0; i < 5; i++)
                if (strcmp(optarg, methods[i]) == 0)
                    opt_method = i;
            if (opt_method < 0)
                nn_usage_error("unknown method '%s'", optarg);
            m_set = 1;
            break;
        case 'w':
            if (nn_parse_u64(optarg, &opt_width) < 0 || !opt_width ||
                opt_width > (1u << 20))
                nn_usage_error("invalid width '%s'", optarg);
            break;
        case 'a': opt_act = optarg; break;
        case OPT_ALPHA:
            if (nn_parse_double(optarg, &opt_alpha) < 0 || !isfinite(opt_alpha))
                nn_usage_error("invalid --alpha '%s'", optarg);
            break;
        case OPT_BETA:
            if (nn_parse_double(optarg, &opt_beta) < 0 || !isfinite(opt_beta))
                nn_usage_error("invalid --beta '%s'", optarg);
            break;
        case OPT_PCA:
            opt_pca_set = 1;
            if (strcmp(optarg, "corr") == 0)
                opt_pca_raw = 0;
            else if (strcmp(optarg, "raw") == 0)
                opt_pca_raw = 1;
            else
                nn_usage_error("unknown --pca '%s' (corr or raw)", optarg);
            break;
        case 'l':
            if (nn_parse_double(optarg, &fopts.lambda) < 0 ||
                !(fopts.lambda >= 0) || isinf(fopts.lambda))
                nn_usage_error("invalid --lambda '%s'", optarg);
            break;
        case 's':
            if (strcmp(optarg, "chol") == 0)
                fopts.solver = NN_SOLVE_CHOL;
            else if (strcmp(optarg, "pinv") == 0)
                fopts.solver = NN_SOLVE_PINV;
            else if (strcmp(optarg, "lstsq") == 0)
                fopts.solver = NN_SOLVE_LSTSQ;
            else
                nn_usage_error("unknown solver '%s' (chol, pinv or lstsq)",
                               optarg);
            break;
        case OPT_TOL:
            if (nn_parse_double(optarg, &fopts.tol) < 0 || !(fopts.tol > 0))
                nn_usage_error("invalid --tol '%s'", optarg);
            break;
        case 'n':
            if (nn_parse_u64(optarg, &u) < 0 || u < 1 || u > 1000)
                nn_usage_error("invalid --tries '%s' (1..1000)", optarg);
            opt_tries = (int)u;
            break;
        case OPT_SEED:
            if (nn_parse_u64(optarg, &opt_seed) < 0)
                nn_usage_error("invalid seed '%s'", optarg);
            break;
        case OPT_WEIGHTS: opt_weights = optarg; break;
        case OPT_CLASSES:
            if (nn_parse_u64(optarg, &opt_classes) < 0 || !opt_classes ||
                opt_classes > NN_CLASSES_MAX)
                nn_usage_error("invalid --classes '%s'", optarg);
            break;
        case OPT_INPUT: opt_input = optarg; break;
        case OPT_TARGET:
        case 'y': opt_target = optarg; break;
        case OPT_GRAM: opt_gram = 1; break;
        case 'G':
            if (ngrams == 64)
                nn_usage_error("at most 64 statistics files");
            grams[ngrams++] = optarg;
            break;
        case 't':
            opt_dtype = nn_float_dtype_arg(optarg);
            break;
        case 'o': opt_out = optarg; break;
        case 'z': opt_level = nn_zstd_level_arg(optarg); break;
        case OPT_PROGRESS: opt_progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        nn_usage_error("at most one input FILE");
    if (ngrams && (optind < argc || opt_gram))
        nn_usage_error("-G fits from statistics: no input FILE or --gram");
    if (!opt_gram && opt_method != M_OUTPUT && !opt_width)
        nn_usage_error("give the layer's width (-w D)");
    if (opt_method == M_OUTPUT && opt_width)
        nn_usage_error("the output layer's width is that of the targets: no -w");
    if (opt_tries > 1 && opt_method != M_RANDOM)
        nn_usage_error("--tries goes with the random method");
    if (opt_pca_set && opt_method != M_PCA)
        nn_usage_error("--pca goes with the platonic-pca method");
    if (ngrams && (opt_method == M_SORTED || opt_method == M_ELM || opt_tries > 1))
        nn_usage_error("%s needs the data, not statistics",
                       opt_tries > 1 ? "--tries" : methods[opt_method]);
    if (opt_gram && m_set)
        nn_usage_error("--gram writes statistics; fit them later with -G");
    if (fopts.solver == NN_SOLVE_LSTSQ && (opt_gram || ngrams))
        nn_usage_error("lstsq works from the data: statistics are Gram "
                       "matrices (use chol or pinv with --gram and -G)");
    nn_act act;
    nn_error e;
    if (nn_act_parse(opt_act ? opt_act : opt_method == M_OUTPUT ? "identity"
                                                                  : "relu",
                     &act, &e) < 0)
        nn_usage_error("%s", e.msg);
    if (nn_act_is_poly(act.kind))
        nn_usage_error("polynomial units cannot be fitted here (their "
                       "coefficients are not part of the closed form)");

    /* the output first: a terminal is refused before any work; nothing is
     * written until the fit is done, and a failure removes a file */
    nn_writer *w = nn_writer_open(opt_out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, opt_level);

    /* read the data (or statistics) before anything is written */
    nn_gram g = {0};
    pass ps = {0};
    nn_progress_init(&ps.prog, nn_prog, opt_progress);
    int passes = opt_method == M_SORTED || opt_tries > 1;
    if (opt_method == M_ELM && !ngrams) {
        /* random weights need only the input's width */
        const char *in = optind < argc ? argv[optind] : "-";
        if (!(ps.r = nn_reader_open(in, &e)))
            nn_die("%s", e.msg);
        const nn_record *rec;
        int rc;
        while ((rc = nn_reader_next_raw(ps.r, &rec, &e)) == 1 &&
               strcmp(rec->name, opt_input) != 0)
            ;
        if (rc < 0)
            nn_die("%s", e.msg);
        if (rc == 0 || rec->rank < 1)
            nn_die("%s: no tensor '%s' of rows", nn_reader_name(ps.r), opt_input);
        g.nz = nn_record_row_bytes(rec) / nn_dtype_size(rec->dtype);
        if (!g.nz)
            nn_die("%s: '%s' has rows of width 0", nn_reader_name(ps.r),
                   opt_input);
    } else if (!ngrams) {
        const char *in = optind < argc ? argv[optind] : "-";
        ps.r = passes ? nn_reader_open_seekable(in, &e) : nn_reader_open(in, &e);
        if (!ps.r)
            nn_die("%s", e.msg);
        if (fopts.solver == NN_SOLVE_LSTSQ) {
            run_pass(&ps, qr_block, NULL);
            if (nn_tsqr_finish(&qr, &e) < 0 ||
                nn_gram_init(&g, qr.nz, qr.ny, &e) < 0)
                nn_die("%s", e.msg);
            check_overflow(qr.r, qr.n * qr.n, "the QR factor of the data");
            /* the Gram matrix, for what needs it (sorted PCA, --pca
             * corr): R^T R */
            nn_gemm_f64(1, 0, g.n, g.n, g.n, 1.0, qr.r, qr.r, 0.0, g.g);
            g.rows = qr.rows;
            if (opt_method == M_SORTED ||
                (opt_method == M_PCA && !opt_pca_raw))
                check_overflow(g.g, g.n * g.n, "the Gram matrix of the data");
        } else {
            run_pass(&ps, gram_block, &g);
            nn_gram_finish(&g);
            check_overflow(g.g, g.n * g.n, "the Gram matrix of the data");
        }
    } else {
        read_grams(&g);
        nn_sym_fill(g.n, g.g); /* stored full; harmless */
        check_overflow(g.g, g.n * g.n, "the sum of the statistics");
    }
    nn_progress_end(&ps.prog);

    if (opt_gram) {
        write_gram(w, &g, &ps);
        finish(w, &ps, &g);
        return 0;
    }

    size_t d = opt_method == M_OUTPUT ? g.ny : (size_t)opt_width;
    size_t p = 1 + g.nz;
    nn_rng rng;
    nn_rng_seed(&rng, opt_seed);
    nn_layer l = {0};
    double lsd = NAN;
    if (opt_method == M_ELM) {
        double *W = nn_alloc(times(p, d), sizeof *W, "weights", &e);
        if (!W)
            nn_die("%s", e.msg);
        for (size_t i = 0; i < p * d; i++)
            W[i] = opt_alpha * nn_rng_normal(&rng);
        make_layer(&l, g.nz, d, W);
    } else if (opt_method == M_SORTED) {
        make_layer(&l, g.nz, d, fit_sorted(&ps, &g, d));
    } else if (opt_tries == 1) {
        make_layer(&l, g.nz, d, fit_from_gram(&g, d, &rng, opt_method));
    } else { /* the candidate with the lowest LSD of its output */
        tries t = {calloc(opt_tries, sizeof(nn_layer)),
                   calloc(opt_tries, sizeof(nn_gram)),
                   nn_alloc(BLOCK * d, sizeof(double), "rows", &e), opt_tries};
        if (!t.cand || !t.g || !t.out)
            nn_die("out of memory");
        for (int k = 0; k < opt_tries; k++) {
            make_layer(&t.cand[k], g.nz, d, fit_from_gram(&g, d, &rng, M_RANDOM));
            t.cand[k].act = act;
        }
        if (nn_reader_rewind(ps.r, &e) < 0)
            nn_die("%s", e.msg);
        run_pass(&ps, tries_block, &t);
        int best = 0;
        for (int k = 0; k < opt_tries; k++) {
            double v;
            nn_gram_finish(&t.g[k]);
            if (nn_gram_lsd(&t.g[k], 0, &v, &e) < 0)
                nn_die("%s", e.msg);
            if (k == 0 || v < lsd) {
                lsd = v;
                best = k;
            }
        }
        l = t.cand[best];
        for (int k = 0; k < opt_tries; k++) {
            if (k != best)
                free(t.cand[k].w);
            nn_gram_free(&t.g[k]);
        }
        free(t.cand);
        free(t.g);
        free(t.out);
    }
    l.act = act;

    char attrs[1024], a1[32], b1[32], l1[32];
    int n = snprintf(attrs, sizeof attrs,
                     "producer=nn-fit-layer %s\nmethod=%s\nrows=%llu\n",
                     NN_VERSION, methods[opt_method],
                     (unsigned long long)g.rows);
    if (opt_method == M_RANDOM || opt_method == M_PCA)
        n += snprintf(attrs + n, sizeof attrs - n, "alpha_target=%s\nbeta_target=%s\n",
                      nn_fmt_double(a1, sizeof a1, opt_alpha),
                      nn_fmt_double(b1, sizeof b1, opt_beta));
    if (opt_method != M_ELM && opt_method != M_SORTED)
        n += snprintf(attrs + n, sizeof attrs - n, "lambda=%s\nsolver=%s\n",
                      nn_fmt_double(l1, sizeof l1, fopts.lambda),
                      fopts.solver == NN_SOLVE_CHOL   ? "chol"
                      : fopts.solver == NN_SOLVE_PINV ? "pinv"
                                                      : "lstsq");
    if (opt_method == M_RANDOM || opt_method == M_ELM)
        n += snprintf(attrs + n, sizeof attrs - n, "seed=%llu\n",
                      (unsigned long long)opt_seed);
    if (opt_tries > 1)
        n += snprintf(attrs + n, sizeof attrs - n, "tries=%d\nlsd=%s\n",
                      opt_tries, nn_fmt_double(l1, sizeof l1, lsd));
    if (opt_method == M_PCA)
        n += snprintf(attrs + n, sizeof attrs - n, "pca=%s\n",
                      opt_pca_raw ? "raw" : "corr");
    if (opt_weights)
        snprintf(attrs + n, sizeof attrs - n, "weights=%s\n", opt_weights);
    if (!(l.attrs = nn_act_to_attrs(&l.act, attrs)))
        nn_die("out of memory");
    /* the last check: a layer of NaN or of infinities in f32 is no layer */
    size_t nw = (1 + l.n_in) * l.n_out;
    size_t bad = nn_nonfinite_find(l.w, NN_F64, nw);
    if (bad < nw)
        nn_die("the fitted weights hold %s (the data's values are too large "
               "or too small for the fit)", isnan(l.w[bad]) ? "NaN"
                                                            : "an infinity");
    for (size_t i = 0; opt_dtype == NN_F32 && i < nw; i++)
        if (fabs(l.w[i]) > FLT_MAX)
            nn_die("the fitted weight %g does not fit f32: write f64 (-t f64)",
                   l.w[i]);
    if (nn_layer_write(w, &l, opt_dtype, &e) < 0)
        nn_die("%s", e.msg);
    free(l.w);
    free(l.attrs);
    finish(w, &ps, &g);
    return 0;
}

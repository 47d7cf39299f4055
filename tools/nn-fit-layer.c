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
    "  -m, --method=M         random (Platonic target with P ~ N(0,1), the\n"
    "                         default), platonic-pca, sorted-pca (first\n"
    "                         layer: data rows as weights), elm (random\n"
    "                         weights, no fit), output (the decision layer,\n"
    "                         target Y)\n"
    "  -w, --width=D          units of the layer (all methods but output)\n"
    "  -a, --activation=ACT   the layer's activation (default relu;\n"
    "                         identity for output)\n"
    "      --alpha=A          target scale alpha (default 1)\n"
    "      --beta=B           weight of Y in the target (default 10)\n"
    "      --pca=BASIS        platonic-pca: components of alpha [1 Z beta Y]\n"
    "                         uncentred (raw, the default) or of the\n"
    "                         correlation matrix of [Z Y] (corr)\n"
    "  -l, --lambda=L         ridge penalty (default 0)\n"
    "      --solver=S         chol (ridge by Cholesky, default), pinv\n"
    "                         (pseudoinverse from the Gram matrix) or lstsq\n"
    "                         (least squares from a streaming QR: full\n"
    "                         precision for ill-conditioned representations)\n"
    "      --gram-precision=P the Gram matrix of the data in f64 (the\n"
    "                         default) or f32 (blocks of 1024 rows in single\n"
    "                         precision summed in double: half the time, for\n"
    "                         a ridge that dwarfs the rounding)\n"
    "      --tol=T            pinv, lstsq: relative tolerance on singular\n"
    "                         values (default sqrt(1+n) 2^-26, lstsq 2^-52)\n"
    "      --tries=N          random: draw N projections (1 to 1000), keep\n"
    "                         the one whose layer has the lowest LSD (a\n"
    "                         second pass)\n"
    "  -s, --seed=S           seed of P or of the elm weights (default 1)\n"
    "      --weights=NAME     per-sample weights d: Y is replaced by d*Y\n"
    "      --classes=K        classes of integer labels without classes=K\n"
    "      --through=NET      run the input through the network NET first\n"
    "                         (single precision, as nn-forward): the layer\n"
    "                         that follows NET, without a pipe\n"
    "  -n, --name=NAME        the input tensor (default x)\n"
    "  -y, --labels=NAME      the targets (default y)\n"
    "      --gram             write the Gram statistics instead of a layer\n"
    "  -G, --from-gram=STATS  fit from statistics (repeatable, up to 64: they\n"
    "                         add)\n"
    "  -t, --dtype=TYPE       weights as f32 (default) or f64\n"
    "  -o, --output=FILE      write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]     compress records with zstd (default level 3)\n"
    "  -P, --progress         report progress on stderr\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "See nn-fit-layer(1).\n"
    "Exit status: 0 success, 1 bad input, failed fit or write error, 2 usage "
    "error.\n"
    "Example: nn-fit-layer -m sorted-pca -w 392 train.c.nns > l1.nns\n";

enum { M_RANDOM, M_PCA, M_SORTED, M_ELM, M_OUTPUT };
static const char *const methods[] = {"random", "platonic-pca", "sorted-pca",
                                      "elm", "output", NULL};
static const char *const solvers[] = {[NN_SOLVE_CHOL] = "chol",
                                      [NN_SOLVE_PINV] = "pinv",
                                      [NN_SOLVE_LSTSQ] = "lstsq", NULL};
static const char *const pca_bases[] = {"raw", "corr", NULL};
enum {
    OPT_ALPHA = 256, OPT_BETA, OPT_PCA, OPT_SOLVER, OPT_TOL, OPT_TRIES,
    OPT_WEIGHTS, OPT_CLASSES, OPT_GRAM, OPT_THROUGH, OPT_GRAM_PRECISION
};
static const char *const precisions[] = {"f64", "f32", NULL};

#define MAX_GRAMS 64

typedef struct options {
    int method;             /* M_* */
    uint64_t width;         /* 0: not given */
    nn_act act;             /* -a, or relu (identity for output) */
    double alpha, beta;
    int pca_raw, pca_set;   /* --pca raw (or corr), and whether given */
    nn_fit_opts fit;        /* --solver, -l, --tol */
    int tries;
    uint64_t seed;
    const char *weights;    /* --weights NAME, or NULL */
    uint64_t classes;       /* --classes, or 0 */
    const char *name, *labels;
    const char *through;    /* --through NET, or NULL */
    int gram32;             /* --gram-precision f32 */
    int gram;               /* --gram: write the statistics */
    const char *grams[MAX_GRAMS]; /* -G */
    int ngrams;
    int dtype, level, progress;
    const char *in, *out;
} options;

#define BLOCK 1024

/* ------------------------------------------------------------ data passes */

/* One pass over the rows of x and y (and d): calls fn per block with
 * z (m,nz) as f64, y (m,ny) as f64 (one-hot for labels, scaled by d). */
typedef struct pass {
    const options *o;
    nn_reader *r;
    size_t nz, ny;
    int labels;             /* y holds class indices */
    double *z, *y;          /* BLOCK rows */
    int x_only;             /* later passes: x alone, already checked */
    int raw;                /* x of f32 as read (blk), not converted to z */
    const nn_rowblock *blk; /* the block being passed */
    nn_net *net;            /* --through: x is replaced by NET's output */
    float *nb[3];           /* its buffers: x in f32, two layer outputs */
    uint64_t rows;
    nn_progress prog;
} pass;

typedef int (*block_fn)(pass *p, size_t m, void *arg, nn_error *e);

/* a * b, or SIZE_MAX (which nn_alloc refuses) when that overflows */
static size_t times(size_t a, size_t b)
{
    size_t c;
    return __builtin_mul_overflow(a, b, &c) ? SIZE_MAX : c;
}

/* Fails at a NaN or infinity in the m rows of cols elements of dtype dt
 * (as read, before any conversion: fewer bytes to look at) that a tensor
 * has from row row0 on.  One NaN would make the whole fit NaN; looking
 * costs a few percent of the Gram update of the same rows. */
static int check_finite(const pass *p, const char *what, const char *name,
                        int dt, const void *a, size_t m, size_t cols,
                        uint64_t row0, nn_error *e)
{
    size_t i = nn_nonfinite_find(a, dt, m * cols);
    if (i < m * cols)
        return nn_fail(e, "%s: %s'%s' row %llu holds %s", nn_reader_name(p->r),
                       what, name, (unsigned long long)(row0 + i / cols),
                       isnan(nn_elem_f64(a, dt, i)) ? "NaN" : "an infinity");
    return 0;
}

/* What the first block tells: the widths, whether y holds labels, and
 * the block buffers. */
static int pass_start(pass *p, nn_rowset *s, const nn_rowblock *b,
                      nn_error *e)
{
    const options *o = p->o;
    const char *in = nn_reader_name(p->r);
    /* rows of nothing are no data, and there may be 2^32 of them in a file
     * of 144 bytes */
    if (!b->cols[0])
        return nn_fail(e, "%s: '%s' has rows of width 0", in, o->name);
    p->nz = b->cols[0];
    p->labels = b->rank[1] == 1 && !nn_dtype_is_float(b->dtype[1]);
    if (p->labels) {
        uint64_t k = o->classes;
        int rc = k ? 1 : nn_labels_classes(nn_rowset_attrs(s, 1), o->labels,
                                           &k, e);
        if (rc < 0)
            return nn_error_wrap(e, "%s", in);
        if (rc == 0)
            return nn_fail(e, "%s: labels '%s' carry no classes=K attribute: "
                           "give --classes K", in, o->labels);
        p->ny = (size_t)k;
    } else {
        if (!b->cols[1])
            return nn_fail(e, "%s: '%s' has rows of width 0", in, o->labels);
        p->ny = b->cols[1];
    }
    if (o->weights && b->cols[2] != 1)
        return nn_fail(e, "%s: weights '%s' must be one number per row", in,
                       o->weights);
    if (!(p->z = nn_alloc(times(BLOCK, p->nz), sizeof(double), "rows", e)) ||
        !(p->y = nn_alloc(times(BLOCK, p->ny), sizeof(double), "rows", e)))
        return -1;
    return 0;
}

/* The targets of block b (m rows) into p->y: one-hot or converted,
 * checked, scaled by the weights. */
static int block_targets(pass *p, const nn_rowblock *b, size_t m, nn_error *e)
{
    const options *o = p->o;
    if (p->labels) {
        if (nn_labels_onehot(b->data[1], b->dtype[1], m, p->ny, p->rows, p->y,
                             e) < 0)
            return nn_error_wrap(e, "%s", nn_reader_name(p->r));
    } else {
        if (b->cols[1] != p->ny)
            return nn_fail(e, "%s: rows of '%s' changed width",
                           nn_reader_name(p->r), o->labels);
        nn_convert(p->y, NN_F64, b->data[1], b->dtype[1], m * p->ny);
        if (check_finite(p, "", o->labels, b->dtype[1], b->data[1], m, p->ny,
                         p->rows, e) < 0)
            return -1;
    }
    if (o->weights) {
        double d[BLOCK];
        nn_convert(d, NN_F64, b->data[2], b->dtype[2], m);
        if (check_finite(p, "weights ", o->weights, b->dtype[2], b->data[2],
                         m, 1, p->rows, e) < 0)
            return -1;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < p->ny; j++)
                p->y[i * p->ny + j] *= d[i];
    }
    return 0;
}

/* --through: x of block b (checked) replaced by the output of p->net, in
 * single precision as nn-forward computes it. */
static int through(pass *p, nn_rowblock *b, nn_error *e)
{
    const nn_net *net = p->net;
    size_t m = b->rows, wmax = net->layers[0].n_in;
    if (b->cols[0] != net->layers[0].n_in)
        return nn_fail(e, "%s: rows of '%s' have %zu values, the network "
                       "--through takes %zu", nn_reader_name(p->r),
                       p->o->name, b->cols[0], net->layers[0].n_in);
    if (!p->x_only && check_finite(p, "", p->o->name, b->dtype[0],
                                   b->data[0], m, b->cols[0], p->rows, e) < 0)
        return -1;
    for (size_t k = 0; k < net->n; k++)
        if (net->layers[k].n_out > wmax)
            wmax = net->layers[k].n_out;
    for (int i = 0; i < 3; i++)
        if (!p->nb[i] && !(p->nb[i] = nn_alloc(times(BLOCK, wmax),
                                               sizeof(float), "rows", e)))
            return -1;
    const float *in = b->data[0];
    if (b->dtype[0] != NN_F32) {
        nn_convert(p->nb[0], NN_F32, b->data[0], b->dtype[0], m * b->cols[0]);
        in = p->nb[0];
    }
    for (size_t k = 0; k < net->n; k++) {
        float *out = p->nb[1 + k % 2];
        if (nn_layer_forward_f32(&net->layers[k], m, in, out, e) < 0)
            return -1;
        in = out;
    }
    b->data[0] = in;
    b->dtype[0] = NN_F32;
    b->cols[0] = net->layers[net->n - 1].n_out;
    return 0;
}

static int run_pass(pass *p, block_fn fn, void *arg, nn_error *e)
{
    const options *o = p->o;
    const char *names[3] = {o->name, o->labels, o->weights};
    nn_rowset *s = nn_rowset_open(p->r, o->weights ? 3 : 2, names, e);
    if (!s)
        return -1;
    nn_rowblock b;
    int rc, first = !p->z;
    p->rows = 0;
    while ((rc = nn_rowset_next(s, BLOCK, &b, e)) == 1) {
        if (p->net && through(p, &b, e) < 0)
            break;
        if (first && pass_start(p, s, &b, e) < 0)
            break;
        if (!first && b.cols[0] != p->nz) {
            nn_fail(e, "%s: rows of '%s' changed width", nn_reader_name(p->r),
                    o->name);
            break;
        }
        first = 0;
        size_t m = b.rows;
        p->blk = &b;
        if (!p->raw || b.dtype[0] != NN_F32)
            nn_convert(p->z, NN_F64, b.data[0], b.dtype[0], m * p->nz);
        if (!p->x_only &&
            (check_finite(p, "", o->name, b.dtype[0], b.data[0], m, p->nz,
                          p->rows, e) < 0 ||
             block_targets(p, &b, m, e) < 0))
            break;
        if (fn(p, m, arg, e) < 0)
            break;
        p->rows += m;
        nn_progress_update(&p->prog, p->rows, 0, "rows");
    }
    nn_rowset_close(s);
    if (rc != 0)
        return -1;
    if (p->rows == 0)
        return nn_fail(e, "%s: no rows to fit", nn_reader_name(p->r));
    return 0;
}

static int qr_block(pass *p, size_t m, void *arg, nn_error *e)
{
    nn_tsqr **q = arg;
    if (!*q && !(*q = nn_tsqr_new(p->nz, p->ny, e)))
        return -1;
    return nn_tsqr_add(*q, m, p->z, p->y, e);
}

static int gram_block(pass *p, size_t m, void *arg, nn_error *e)
{
    nn_gram **g = arg;
    if (!*g && (!(*g = nn_gram_new(p->nz, p->ny, e)) ||
                (p->o->gram32 && nn_gram_single(*g, e) < 0)))
        return -1;
    return nn_gram_add(*g, m, p->blk->data[0], p->blk->dtype[0], p->y, NN_F64,
                       e);
}

/* ------------------------------------------------------------ what is fitted
 * The statistics a layer is fitted from: the Gram matrix of the data or
 * of statistics files, the factor R with lstsq, or only the input's width
 * (elm); the data themselves for the passes of sorted-pca and tries. */
typedef struct source {
    pass ps;
    nn_gram *g;             /* NULL for elm and sorted-pca */
    nn_pc *pc;              /* sorted-pca: the first principal component */
    nn_net net;             /* --through */
    nn_tsqr *qr;            /* --solver lstsq: R, the Gram made from it */
    size_t nz;
    uint64_t rows;
} source;

static void source_free(source *src)
{
    if (src->ps.r)
        nn_reader_close(src->ps.r);
    free(src->ps.z);
    free(src->ps.y);
    for (int i = 0; i < 3; i++)
        free(src->ps.nb[i]);
    nn_gram_free(src->g);
    nn_pc_free(src->pc);
    nn_net_free(&src->net);
    nn_tsqr_free(src->qr);
}

/* Finite data can still sum to more than double precision holds. */
static int check_overflow(const double *a, size_t n, const char *what,
                          nn_error *e)
{
    if (nn_nonfinite_find(a, NN_F64, n) < n)
        return nn_fail(e, "%s overflows double precision (values too large)",
                       what);
    return 0;
}

/* elm: random weights need only the input's width. */
static int read_width(source *src, nn_error *e)
{
    const options *o = src->ps.o;
    if (!(src->ps.r = nn_reader_open(o->in, e)))
        return -1;
    const nn_record *rec;
    int rc;
    while ((rc = nn_reader_next_raw(src->ps.r, &rec, e)) == 1 &&
           strcmp(rec->name, o->name) != 0)
        ;
    if (rc < 0)
        return -1;
    if (rc == 0 || rec->rank < 1)
        return nn_fail(e, "%s: no tensor '%s' of rows",
                       nn_reader_name(src->ps.r), o->name);
    src->nz = nn_record_row_bytes(rec) / nn_dtype_size(rec->dtype);
    if (!src->nz)
        return nn_fail(e, "%s: '%s' has rows of width 0",
                       nn_reader_name(src->ps.r), o->name);
    if (src->ps.net) {
        const nn_net *net = src->ps.net;
        if (src->nz != net->layers[0].n_in)
            return nn_fail(e, "%s: rows of '%s' have %zu values, the network "
                           "--through takes %zu", nn_reader_name(src->ps.r),
                           o->name, src->nz, net->layers[0].n_in);
        src->nz = net->layers[net->n - 1].n_out;
    }
    return 0;
}

/* --through NET: the network, read whole. */
static int load_through(source *src, nn_error *e)
{
    const options *o = src->ps.o;
    if (!o->through)
        return 0;
    if (nn_net_load(o->through, &src->net, e) < 0)
        return -1;
    if (src->net.n == 0)
        return nn_fail(e, "%s: no layers", o->through);
    src->ps.net = &src->net;
    return 0;
}

static int pc_block(pass *p, size_t m, void *arg, nn_error *e)
{
    nn_pc **pc = arg;
    if (!*pc && !(*pc = nn_pc_new(p->nz, e)))
        return -1;
    return nn_pc_add(*pc, m, p->blk->data[0], p->blk->dtype[0], e);
}

/* One pass over the data: the Gram matrix, or with lstsq the factor R
 * and the Gram matrix R^T R for what needs it (sorted PCA, --pca corr). */
static int read_data(source *src, nn_error *e)
{
    const options *o = src->ps.o;
    int passes = o->method == M_SORTED || o->tries > 1;
    src->ps.r = passes ? nn_reader_open_seekable(o->in, e)
                       : nn_reader_open(o->in, e);
    if (!src->ps.r)
        return -1;
    if (o->method == M_SORTED) { /* the covariance of x alone */
        src->ps.raw = 1;
        int rc = run_pass(&src->ps, pc_block, &src->pc, e);
        src->ps.raw = 0;
        src->nz = src->ps.nz;
        src->rows = src->ps.rows;
        return rc;
    }
    if (o->fit.solver != NN_SOLVE_LSTSQ) {
        src->ps.raw = 1; /* the Gram takes x as it is */
        int rc = run_pass(&src->ps, gram_block, &src->g, e);
        src->ps.raw = 0;
        if (rc < 0)
            return -1;
        nn_gram_finish(src->g);
        src->nz = nn_gram_nz(src->g);
        src->rows = nn_gram_rows(src->g);
        return check_overflow(nn_gram_matrix(src->g),
                              times(nn_gram_dim(src->g), nn_gram_dim(src->g)),
                              "the Gram matrix of the data", e);
    }
    if (run_pass(&src->ps, qr_block, &src->qr, e) < 0 ||
        nn_tsqr_finish(src->qr, e) < 0)
        return -1;
    size_t n = nn_tsqr_dim(src->qr);
    if (check_overflow(nn_tsqr_factor(src->qr), n * n,
                       "the QR factor of the data", e) < 0 ||
        !(src->g = nn_tsqr_gram(src->qr, e)))
        return -1;
    src->nz = nn_tsqr_nz(src->qr);
    src->rows = nn_tsqr_rows(src->qr);
    if (o->method == M_SORTED || (o->method == M_PCA && !o->pca_raw))
        return check_overflow(nn_gram_matrix(src->g), n * n,
                              "the Gram matrix of the data", e);
    return 0;
}

/* The Gram record of statistics file k (rec), checked, added to src->g. */
static int add_gram(source *src, int k, const nn_record *rec, nn_error *e)
{
    const char *file = src->ps.o->grams[k];
    unsigned long long index = (unsigned long long)rec->index;
    char v[32];
    uint64_t nz = 0, ny = 0, rows = 0, n;
    if (!nn_attrs_get(rec->attrs, "nz", v, sizeof v) || nn_parse_u64(v, &nz) ||
        !nn_attrs_get(rec->attrs, "ny", v, sizeof v) || nn_parse_u64(v, &ny) ||
        !nn_attrs_get(rec->attrs, "rows", v, sizeof v) ||
        nn_parse_u64(v, &rows) || rec->rank != 2)
        return nn_fail(e, "%s: record %llu: not Gram statistics of "
                       "nn-fit-layer --gram", file, index);
    /* the matrix is square of side 1+nz+ny exactly, sums that must not
     * wrap around; neither part is empty (--gram never writes one) */
    if (!nz || !ny || __builtin_add_overflow(nz, ny, &n) ||
        __builtin_add_overflow(n, 1, &n) || rec->dims[0] != n ||
        rec->dims[1] != n)
        return nn_fail(e, "%s: record %llu: not Gram statistics of "
                       "nn-fit-layer --gram: a (%llu,%llu) matrix for "
                       "nz=%llu, ny=%llu", file, index,
                       (unsigned long long)rec->dims[0],
                       (unsigned long long)rec->dims[1],
                       (unsigned long long)nz, (unsigned long long)ny);
    if (!src->g) {
        if (!(src->g = nn_gram_new((size_t)nz, (size_t)ny, e)))
            return -1;
    } else if (nz != nn_gram_nz(src->g) || ny != nn_gram_ny(src->g)) {
        return nn_fail(e, "%s: statistics of %llu+%llu columns do not add to "
                       "those of %zu+%zu", file, (unsigned long long)nz,
                       (unsigned long long)ny, nn_gram_nz(src->g),
                       nn_gram_ny(src->g));
    }
    double *t = nn_alloc(rec->nelem, sizeof *t, "statistics", e);
    if (!t)
        return -1;
    nn_convert(t, NN_F64, rec->data, rec->dtype, rec->nelem);
    size_t bad = nn_nonfinite_find(t, NN_F64, rec->nelem);
    int rc = 0;
    if (bad < rec->nelem)
        rc = nn_fail(e, "%s: record %llu: the Gram record holds %s", file,
                     index, isnan(t[bad]) ? "NaN" : "an infinity");
    else if (nn_gram_merge(src->g, (size_t)n, t, rows, e) < 0)
        rc = nn_fail(e, "%s: record %llu: the statistics' rows add up past "
                     "2^64", file, index);
    free(t);
    return rc;
}

/* Sums the statistics files into src->g. */
static int read_grams(source *src, nn_error *e)
{
    const options *o = src->ps.o;
    for (int k = 0; k < o->ngrams; k++) {
        nn_reader *r = nn_reader_open(o->grams[k], e);
        if (!r)
            return -1;
        const nn_record *rec;
        nn_row_pos pos;
        int rc, found = 0;
        while ((rc = nn_reader_next_at(r, &rec, &pos, 0, e)) == 1) {
            if (strcmp(rec->name, "gram") != 0)
                continue;
            if (!pos.first) { /* --gram writes the matrix in one record */
                rc = nn_fail(e, "%s: record %llu: a Gram record in chunks "
                             "(join them with nn-cat)", o->grams[k],
                             (unsigned long long)rec->index);
                break;
            }
            if ((rc = add_gram(src, k, rec, e)) < 0)
                break;
            found = 1;
        }
        nn_reader_close(r);
        if (rc < 0)
            return -1;
        if (!found)
            return nn_fail(e, "%s: no 'gram' record (make one with "
                           "nn-fit-layer --gram)", o->grams[k]);
    }
    nn_gram_finish(src->g); /* stored full: the lower triangle again */
    src->nz = nn_gram_nz(src->g);
    src->rows = nn_gram_rows(src->g);
    size_t n = nn_gram_dim(src->g);
    return check_overflow(nn_gram_matrix(src->g), n * n,
                          "the sum of the statistics", e);
}

/* ----------------------------------------------------------------- methods */

/* A layer of width d from the fitted weights W (p,d). */
static void make_layer(nn_layer *l, size_t n_in, size_t d, double *W,
                       const options *o)
{
    l->n_in = n_in;
    l->n_out = d;
    l->w = W;
    l->dtype = o->dtype;
}

/* Random Platonic targets: the projection P ~ N(0,1) of try k. */
static int random_projection(nn_rng *g, size_t p, size_t ny, size_t d,
                             const options *o, double *P, nn_error *e)
{
    double *q = nn_alloc(times(p + ny, d), sizeof *q, "projection", e);
    if (!q)
        return -1;
    for (size_t i = 0; i < (p + ny) * d; i++)
        q[i] = nn_rng_normal(g);
    nn_fit_scale_projection(p, ny, d, o->alpha, o->beta, q, P);
    free(q);
    return 0;
}

/* The solve of W (p,d) for the projection P; a singular system gets the
 * options that make it solvable. */
static int solve(const source *src, const double *P, size_t d,
                 const options *o, double *W, nn_error *e)
{
    if ((src->qr ? nn_fit_solve_qr(src->qr, P, d, &o->fit, W, e)
                 : nn_fit_solve(src->g, P, d, &o->fit, W, e)) == 0)
        return 0;
    if (o->fit.solver == NN_SOLVE_CHOL && o->fit.lambda == 0 &&
        strstr(e->msg, "singular")) {
        size_t len = strlen(e->msg);
        snprintf(e->msg + len, sizeof e->msg - len,
                 " (-l LAMBDA or --solver pinv)");
    }
    return -1;
}

/* The weights (p,d) of the method from the statistics; NULL on failure. */
static double *fit_from_gram(const source *src, size_t d, nn_rng *rng,
                             int method, const options *o, nn_error *e)
{
    const nn_gram *g = src->g;
    size_t p = 1 + nn_gram_nz(g), ny = nn_gram_ny(g);
    double *P = nn_alloc(times(p + ny, d), sizeof *P, "projection", e);
    double *W = P ? nn_alloc(times(p, d), sizeof *W, "weights", e) : NULL;
    double *q = NULL;
    int rc = -1;
    if (!W)
        goto out;
    if (method == M_OUTPUT) { /* T = Y */
        memset(P, 0, (p + ny) * d * sizeof *P);
        for (size_t j = 0; j < ny; j++)
            P[(p + j) * d + j] = 1;
    } else if (method == M_PCA) {
        q = nn_alloc(times(p + ny, d), sizeof *q, "projection", e);
        if (!q || (!o->pca_raw ? nn_fit_pca_corr(g, d, q, e)
                   : src->qr
                       ? nn_fit_pca_qr(src->qr, o->alpha, o->beta, d, q, e)
                       : nn_fit_pca(g, o->alpha, o->beta, d, q, e)) < 0)
            goto out;
        nn_fit_scale_projection(p, ny, d, o->alpha, o->beta, q, P);
    } else if (random_projection(rng, p, ny, d, o, P, e) < 0) {
        goto out;
    }
    rc = solve(src, P, d, o, W, e);
out:
    free(P);
    free(q);
    if (rc < 0) {
        free(W);
        return NULL;
    }
    return W;
}

/* Second pass for --tries: the LSD of each candidate layer's output. */
typedef struct tries {
    nn_layer *cand;
    nn_gram **g;
    double *out;
    int n;
} tries;

static int tries_block(pass *p, size_t m, void *arg, nn_error *e)
{
    tries *t = arg;
    for (int k = 0; k < t->n; k++) {
        nn_layer_forward_f64(&t->cand[k], m, p->z, t->out);
        if (!t->g[k] && !(t->g[k] = nn_gram_new(t->cand[k].n_out, p->ny, e)))
            return -1;
        if (nn_gram_add(t->g[k], m, t->out, NN_F64, p->y, NN_F64, e) < 0)
            return -1;
    }
    return 0;
}

/* --tries: the candidate of lowest LSD into l, its LSD into *lsd. */
static int fit_tries(source *src, size_t d, nn_rng *rng, const nn_act *act,
                     nn_layer *l, double *lsd, nn_error *e)
{
    const options *o = src->ps.o;
    int n = o->tries, best = 0, rc = -1;
    tries t = {nn_alloc((size_t)n, sizeof(nn_layer), "layers", e),
               nn_alloc((size_t)n, sizeof(nn_gram *), "layers", e),
               nn_alloc(times(BLOCK, d), sizeof(double), "rows", e), n};
    if (t.cand)
        memset(t.cand, 0, (size_t)n * sizeof *t.cand);
    if (t.g)
        memset(t.g, 0, (size_t)n * sizeof *t.g);
    if (!t.cand || !t.g || !t.out)
        goto out;
    for (int k = 0; k < n; k++) {
        double *W = fit_from_gram(src, d, rng, M_RANDOM, o, e);
        if (!W)
            goto out;
        make_layer(&t.cand[k], src->nz, d, W, o);
        t.cand[k].act = *act;
    }
    if (nn_reader_rewind(src->ps.r, e) < 0 ||
        run_pass(&src->ps, tries_block, &t, e) < 0)
        goto out;
    for (int k = 0; k < n; k++) {
        double v;
        nn_gram_finish(t.g[k]);
        if (nn_gram_lsd(t.g[k], 0, &v, e) < 0)
            goto out;
        if (k == 0 || v < *lsd) {
            *lsd = v;
            best = k;
        }
    }
    *l = t.cand[best];
    t.cand[best].w = NULL;
    rc = 0;
out:
    for (int k = 0; t.cand && k < n; k++)
        free(t.cand[k].w);
    for (int k = 0; t.g && k < n; k++)
        nn_gram_free(t.g[k]);
    free(t.cand);
    free(t.g);
    free(t.out);
    return rc;
}

/* Up to this many rows, the keys of the last refining pass rank the rows
 * (8 bytes a row, then 16 while choosing), when their candidates are at
 * most NEAR_SLACK more than the ranks (else ties: the exact passes). */
#define NEAR_ROWS ((uint64_t)1 << 18)
#define NEAR_SLACK 1024

/* Sorted PCA: rows of the data at evenly spaced ranks along the first
 * principal component of x become the weight columns (biases 0).  After
 * the covariance pass and the refining pass, up to NEAR_ROWS rows one more
 * pass takes the exact keys v = x c of the rows near the ranks (found from
 * the refining pass's keys) and gathers the chosen rows; beyond that (or
 * with too many ties) the projections are ranked exactly in bounded memory
 * by nn_select (one pass up to 2^18 rows, a few more beyond), then a pass
 * gathers the chosen rows. */
struct near;
typedef struct sorted {
    const double *c;
    struct near *near;  /* the rows from the refining pass's keys */
    nn_select *sel;
    uint64_t *chosen;   /* sorted row numbers */
    size_t *col;        /* their column in W */
    size_t nchosen, next, d;
    double *W;
    uint64_t row;
} sorted;

/* The keys x.c of m rows x (m,n) of type T into the selection: each sum
 * in the order of j, so that equal rows have equal keys (a BLAS kernel may
 * sum rows differently by their place in the block), f32 values taken
 * exactly in double precision; four rows at a time, four sums in flight. */
#define PROJECT(T, x, m, n, c, sel)                                          \
    do {                                                                     \
        const T *x_ = (x);                                                   \
        size_t i_ = 0;                                                       \
        for (; i_ + 4 <= (m); i_ += 4) {                                     \
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;                           \
            const T *r_ = x_ + i_ * (n);                                     \
            for (size_t j = 0; j < (n); j++) {                               \
                a0 += (double)r_[j] * (c)[j];                                \
                a1 += (double)r_[(n) + j] * (c)[j];                          \
                a2 += (double)r_[2 * (n) + j] * (c)[j];                      \
                a3 += (double)r_[3 * (n) + j] * (c)[j];                      \
            }                                                                \
            nn_select_add(sel, a0);                                          \
            nn_select_add(sel, a1);                                          \
            nn_select_add(sel, a2);                                          \
            nn_select_add(sel, a3);                                          \
        }                                                                    \
        for (; i_ < (m); i_++) {                                             \
            double a = 0;                                                    \
            for (size_t j = 0; j < (n); j++)                                 \
                a += (double)x_[i_ * (n) + j] * (c)[j];                      \
            nn_select_add(sel, a);                                           \
        }                                                                    \
    } while (0)

static int project_block(pass *p, size_t m, void *arg, nn_error *e)
{
    sorted *s = arg;
    (void)e;
    if (p->blk->dtype[0] == NN_F32)
        PROJECT(float, p->blk->data[0], m, p->nz, s->c, s->sel);
    else
        PROJECT(double, p->z, m, p->nz, s->c, s->sel);
    return 0;
}

static int gather_block(pass *p, size_t m, void *arg, nn_error *e)
{
    sorted *s = arg;
    (void)e;
    for (size_t i = 0; i < m; i++, s->row++)
        while (s->next < s->nchosen && s->chosen[s->next] == s->row) {
            for (size_t j = 0; j < p->nz; j++)
                s->W[(1 + j) * s->d + s->col[s->next]] =
                    nn_elem_f64(p->blk->data[0], p->blk->dtype[0],
                                i * p->nz + j);
            s->next++;
        }
    return 0;
}

static int by_row(const void *a, const void *b)
{
    uint64_t i = ((const uint64_t *)a)[0], j = ((const uint64_t *)b)[0];
    return i < j ? -1 : i > j;
}

/* A refining pass: the rows as read (f32 as they are), and with keys
 * the keys x.c of the c being refined, for the rows' ranks. */
typedef struct refining {
    nn_pc *pc;
    double *keys;       /* NULL, or one a row */
} refining;

static int refine_block(pass *p, size_t m, void *arg, nn_error *e)
{
    refining *f = arg;
    (void)e;
    double *keys = f->keys ? f->keys + p->rows : NULL;
    if (p->blk->dtype[0] == NN_F32)
        nn_pc_refine_add(f->pc, m, p->blk->data[0], NN_F32, keys);
    else
        nn_pc_refine_add(f->pc, m, p->z, NN_F64, keys);
    return 0;
}

/* The first principal component of x (nn_pc: the covariance in single
 * precision from the first pass, then refining passes in double precision
 * until c is exact to about 1e-12); NULL on failure.  With keys (one a
 * row), the last refining pass leaves there the keys x.c of the c it
 * refined (within nn_pc_key_bound of those of the c returned). */
static const double *leading_component(source *src, double *keys,
                                       nn_error *e)
{
    refining f = {src->pc, keys};
    int rc = nn_pc_start(src->pc, e);
    src->ps.x_only = 1; /* the first pass checked x */
    src->ps.raw = 1;
    while (rc == 1) {
        if (nn_reader_rewind(src->ps.r, e) < 0 ||
            run_pass(&src->ps, refine_block, &f, e) < 0)
            return NULL;
        rc = nn_pc_refine_end(src->pc, e);
    }
    if (rc < 0)
        return NULL;
    if (src->ps.o->progress)
        nn_warn("first principal component: %d refining pass%s, estimated "
               "error %.3g before the last correction", nn_pc_passes(src->pc),
               nn_pc_passes(src->pc) == 1 ? "" : "es",
               nn_pc_estimate(src->pc));
    return nn_pc_vector(src->pc);
}

/* The rows at the ranks from the keys of the last refining pass (near:
 * their candidates, nn_nearsel): one pass takes the candidates' exact
 * keys and values (cand, one row each), then the picked ones fill W. */
typedef struct near {
    nn_nearsel *sel;
    const uint64_t *rows;
    size_t count, next;
    double *cand;       /* (count, n) */
    uint64_t row;
} near;

static int near_block(pass *p, size_t m, void *arg, nn_error *e)
{
    sorted *s = arg;
    near *nr = s->near;
    size_t n = p->nz;
    (void)e;
    for (size_t i = 0; i < m; i++, nr->row++) {
        if (nr->next >= nr->count || nr->rows[nr->next] != nr->row)
            continue;
        double *out = nr->cand + nr->next * n;
        if (p->blk->dtype[0] == NN_F32)
            nn_convert(out, NN_F64, (const float *)p->blk->data[0] + i * n,
                       NN_F32, n);
        else
            memcpy(out, p->z + i * n, n * sizeof *out);
        /* the key as PROJECT sums it */
        double a = 0;
        for (size_t j = 0; j < n; j++)
            a += out[j] * s->c[j];
        nn_nearsel_key(nr->sel, nr->next, a);
        nr->next++;
    }
    return 0;
}

/* The rows at ranks from the keys of the last refining pass: 1 with W
 * filled, 0 when the candidates are too many (ties: the exact passes
 * then), -1 on failure. */
static int fit_near(source *src, sorted *s, const double *keys,
                    const uint64_t *ranks, nn_error *e)
{
    pass *ps = &src->ps;
    size_t n = src->nz, d = s->d;
    near nr = {0};
    size_t *pick = NULL;
    int rc = -1;
    if (!(nr.sel = nn_nearsel_new(src->rows, keys, nn_pc_key_bound(src->pc),
                                  d, ranks, e)))
        return -1;
    nr.rows = nn_nearsel_rows(nr.sel);
    nr.count = nn_nearsel_count(nr.sel);
    if (ps->o->progress)
        nn_warn("ranks from the refining pass's keys (within %.3g): %zu "
                "candidate rows for %zu ranks%s", nn_pc_key_bound(src->pc),
                nr.count, d, nr.count > d + NEAR_SLACK ? ": too many" : "");
    if (nr.count > d + NEAR_SLACK) {
        rc = 0;
        goto out;
    }
    if (!(nr.cand = nn_alloc(times(nr.count, n), sizeof *nr.cand,
                             "candidate rows", e)) ||
        !(pick = nn_alloc(d, sizeof *pick, "choice", e)))
        goto out;
    s->near = &nr;
    if (nn_reader_rewind(ps->r, e) < 0 || run_pass(ps, near_block, s, e) < 0)
        goto out;
    if (nn_nearsel_pick(nr.sel, pick, e) < 0) {
        nn_error_wrap(e, "%s", nn_reader_name(ps->r));
        goto out;
    }
    for (size_t k = 0; k < d; k++)
        for (size_t j = 0; j < n; j++)
            s->W[(1 + j) * d + k] = nr.cand[pick[k] * n + j];
    rc = 1;
out:
    s->near = NULL;
    nn_nearsel_free(nr.sel);
    free(nr.cand);
    free(pick);
    return rc;
}

/* The weights (1+n,d) of sorted PCA; NULL on failure. */
static double *fit_sorted(source *src, size_t d, nn_error *e)
{
    pass *ps = &src->ps;
    size_t n = src->nz;
    uint64_t m = src->rows;
    if (d > m) {
        nn_fail(e, "sorted-pca takes %zu rows as weights, but the data has "
                "%llu", d, (unsigned long long)m);
        return NULL;
    }
    sorted s = {.d = d};
    uint64_t *ranks = nn_alloc(d, sizeof *ranks, "ranks", e);
    uint64_t (*pick)[2] = nn_alloc(d, sizeof *pick, "choice", e);
    /* up to NEAR_ROWS rows, the keys of the refining pass rank them */
    double *keys = m <= NEAR_ROWS ? nn_alloc((size_t)m, sizeof *keys, "keys",
                                             e) : NULL;
    int rc = -1;
    if (!ranks || !pick || (m <= NEAR_ROWS && !keys) ||
        !(s.c = leading_component(src, keys, e)))
        goto out;
    s.W = nn_alloc(times(1 + n, d), sizeof *s.W, "weights", e);
    if (!s.W)
        goto out;
    memset(s.W, 0, (1 + n) * d * sizeof *s.W);

    /* the rows at evenly spaced ranks round(k m / d) of v = x c, as the
     * thesis's code, ties by row; found exactly in bounded memory: from
     * the refining pass's keys and one more pass (up to NEAR_ROWS rows),
     * or by exact selection (one pass up to 2^18 rows, a few more
     * beyond) and a pass to gather the rows */
    for (size_t k = 0; k < d; k++) {
        uint64_t rank = (uint64_t)llround((double)k * (double)m / (double)d);
        ranks[k] = rank < m ? rank : m - 1;
    }
    if (keys && nn_pc_passes(src->pc) > 0) {
        int got = fit_near(src, &s, keys, ranks, e);
        if (got < 0)
            goto out;
        if (got == 1) {
            rc = 0;
            goto out;
        }
    }
    free(keys);
    keys = NULL;
    if (!(s.sel = nn_select_new(m, d, ranks, 0, e)))
        goto out;
    int more;
    while ((more = nn_select_pass(s.sel)) == 1) {
        if (nn_reader_rewind(ps->r, e) < 0 ||
            run_pass(ps, project_block, &s, e) < 0)
            goto out;
        if (nn_select_end(s.sel, e) < 0) {
            nn_error_wrap(e, "%s", nn_reader_name(ps->r));
            goto out;
        }
    }
    if (more < 0) {
        nn_fail(e, "out of memory ranking the rows");
        goto out;
    }
    const uint64_t *rows = nn_select_rows(s.sel);
    for (size_t k = 0; k < d; k++) {
        pick[k][0] = rows[k];
        pick[k][1] = k;
    }
    qsort(pick, d, sizeof *pick, by_row);
    s.chosen = nn_alloc(d, sizeof *s.chosen, "choice", e);
    s.col = nn_alloc(d, sizeof *s.col, "choice", e);
    if (!s.chosen || !s.col)
        goto out;
    for (size_t k = 0; k < d; k++) {
        s.chosen[k] = pick[k][0];
        s.col[k] = (size_t)pick[k][1];
    }
    s.nchosen = d;
    if (nn_reader_rewind(ps->r, e) < 0 ||
        run_pass(ps, gather_block, &s, e) < 0)
        goto out;
    rc = 0;
out:
    free(ranks);
    free(pick);
    free(keys);
    nn_select_free(s.sel);
    free(s.chosen);
    free(s.col);
    if (rc < 0) {
        free(s.W);
        return NULL;
    }
    return s.W;
}

/* ------------------------------------------------------------------ output */

/* The layer's attributes: how it was made. */
static void layer_attrs(char *attrs, size_t size, const options *o,
                        uint64_t rows, double lsd)
{
    char a1[32], b1[32], l1[32];
    int n = snprintf(attrs, size,
                     "producer=nn-fit-layer %s\nmethod=%s\nrows=%llu\n",
                     NN_VERSION, methods[o->method], (unsigned long long)rows);
    if (o->method == M_RANDOM || o->method == M_PCA)
        n += snprintf(attrs + n, size - n, "alpha_target=%s\nbeta_target=%s\n",
                      nn_fmt_double(a1, sizeof a1, o->alpha),
                      nn_fmt_double(b1, sizeof b1, o->beta));
    if (o->method != M_ELM && o->method != M_SORTED)
        n += snprintf(attrs + n, size - n, "lambda=%s\nsolver=%s\n",
                      nn_fmt_double(l1, sizeof l1, o->fit.lambda),
                      solvers[o->fit.solver]);
    if (o->method == M_RANDOM || o->method == M_ELM)
        n += snprintf(attrs + n, size - n, "seed=%llu\n",
                      (unsigned long long)o->seed);
    if (o->tries > 1)
        n += snprintf(attrs + n, size - n, "tries=%d\nlsd=%s\n", o->tries,
                      nn_fmt_double(l1, sizeof l1, lsd));
    if (o->method == M_PCA)
        n += snprintf(attrs + n, size - n, "pca=%s\n",
                      o->pca_raw ? "raw" : "corr");
    if (o->weights)
        snprintf(attrs + n, size - n, "weights=%s\n", o->weights);
}

/* Fits the layer of the method from src and writes it to w. */
static int write_layer(nn_writer *w, source *src, const options *o,
                       nn_error *e)
{
    size_t d = o->method == M_OUTPUT ? nn_gram_ny(src->g) : (size_t)o->width;
    size_t p = 1 + src->nz;
    nn_rng rng;
    nn_rng_seed(&rng, o->seed);
    nn_layer l = {0};
    double lsd = NAN, *W = NULL;
    if (o->method == M_ELM) {
        if ((W = nn_alloc(times(p, d), sizeof *W, "weights", e)))
            for (size_t i = 0; i < p * d; i++)
                W[i] = o->alpha * nn_rng_normal(&rng);
    } else if (o->method == M_SORTED) {
        W = fit_sorted(src, d, e);
    } else if (o->tries == 1) {
        W = fit_from_gram(src, d, &rng, o->method, o, e);
    } else if (fit_tries(src, d, &rng, &o->act, &l, &lsd, e) == 0) {
        W = l.w; /* the candidate with the lowest LSD of its output */
    }
    if (!W)
        return -1;
    make_layer(&l, src->nz, d, W, o);
    l.act = o->act;

    char attrs[1024];
    layer_attrs(attrs, sizeof attrs, o, src->rows, lsd);
    int rc = -1;
    if (!(l.attrs = nn_act_to_attrs(&l.act, attrs))) {
        nn_fail(e, "out of memory");
        goto out;
    }
    /* the last check: a layer of NaN or of infinities in f32 is no layer */
    size_t nw = (1 + l.n_in) * l.n_out;
    size_t bad = nn_nonfinite_find(l.w, NN_F64, nw);
    if (bad < nw) {
        nn_fail(e, "the fitted weights hold %s (the data's values are too "
                "large or too small for the fit)",
                isnan(l.w[bad]) ? "NaN" : "an infinity");
        goto out;
    }
    for (size_t i = 0; o->dtype == NN_F32 && i < nw; i++)
        if (fabs(l.w[i]) > FLT_MAX) {
            nn_fail(e, "the fitted weight %g does not fit f32: write f64 "
                    "(-t f64)", l.w[i]);
            goto out;
        }
    rc = nn_layer_write(w, &l, o->dtype, e);
out:
    free(l.w);
    free(l.attrs);
    return rc;
}

/* The Gram statistics of the data as a record "gram" (--gram). */
static int write_gram(nn_writer *w, const source *src, const options *o,
                      nn_error *e)
{
    const nn_gram *g = src->g;
    /* room for three 20-digit numbers and a weights name of 255 bytes */
    char attrs[512];
    snprintf(attrs, sizeof attrs,
             "producer=nn-fit-layer %s\nnz=%zu\nny=%zu\nrows=%llu\n%s%s%s%s",
             NN_VERSION, nn_gram_nz(g), nn_gram_ny(g),
             (unsigned long long)nn_gram_rows(g),
             src->ps.labels ? "targets=onehot\n" : "",
             o->weights ? "weights=" : "", o->weights ? o->weights : "",
             o->weights ? "\n" : "");
    size_t n = nn_gram_dim(g);
    nn_header h = {.name = "gram", .dtype = NN_F64, .rank = 2,
                   .dims = {n, n}, .attrs = attrs};
    return nn_writer_put(w, &h, nn_gram_matrix(g), e);
}

/* ------------------------------------------------------------------- work */

/* A layer fitted to the data (FILE or stdin). */
static int fit_from_data(nn_writer *w, const options *o, nn_error *e)
{
    source src = {.ps.o = o};
    nn_progress_init(&src.ps.prog, nn_prog, o->progress);
    int rc = load_through(&src, e);
    if (rc == 0)
        rc = o->method == M_ELM ? read_width(&src, e) : read_data(&src, e);
    nn_progress_end(&src.ps.prog);
    if (rc == 0)
        rc = write_layer(w, &src, o, e);
    source_free(&src);
    return rc;
}

/* A layer fitted to the sum of statistics files (-G). */
static int fit_from_statistics(nn_writer *w, const options *o, nn_error *e)
{
    source src = {.ps.o = o};
    int rc = read_grams(&src, e);
    if (rc == 0)
        rc = write_layer(w, &src, o, e);
    source_free(&src);
    return rc;
}

/* The statistics of the data, for -G later (--gram). */
static int write_statistics(nn_writer *w, const options *o, nn_error *e)
{
    source src = {.ps.o = o};
    nn_progress_init(&src.ps.prog, nn_prog, o->progress);
    int rc = load_through(&src, e);
    if (rc == 0)
        rc = read_data(&src, e);
    nn_progress_end(&src.ps.prog);
    if (rc == 0)
        rc = write_gram(w, &src, o, e);
    source_free(&src);
    return rc;
}

/* ------------------------------------------------------------------ options */

/* The checks between options, as usage errors. */
static void check_options(const options *o, int method_set)
{
    if (o->ngrams && (o->in || o->gram))
        nn_usage_error("-G fits from statistics: no input FILE or --gram");
    if (o->gram32 && (o->ngrams || o->fit.solver == NN_SOLVE_LSTSQ ||
                      o->method == M_SORTED || o->method == M_ELM))
        nn_usage_error("--gram-precision goes with a Gram matrix of the data "
                       "(not -G, lstsq, sorted-pca or elm)");
    if (o->ngrams && o->through)
        nn_usage_error("--through runs data through a network: not with -G");
    if (!o->gram && o->method != M_OUTPUT && !o->width)
        nn_usage_error("give the layer's width (-w D)");
    if (o->method == M_OUTPUT && o->width)
        nn_usage_error("the output layer's width is that of the targets: no "
                       "-w");
    if (o->tries > 1 && o->method != M_RANDOM)
        nn_usage_error("--tries goes with the random method");
    if (o->pca_set && o->method != M_PCA)
        nn_usage_error("--pca goes with the platonic-pca method");
    if (o->ngrams &&
        (o->method == M_SORTED || o->method == M_ELM || o->tries > 1))
        nn_usage_error("%s needs the data, not statistics",
                       o->tries > 1 ? "--tries" : methods[o->method]);
    if (o->gram && method_set)
        nn_usage_error("--gram writes statistics; fit them later with -G");
    if (o->fit.solver == NN_SOLVE_LSTSQ && (o->gram || o->ngrams))
        nn_usage_error("lstsq works from the data: statistics are Gram "
                       "matrices (use chol or pinv with --gram and -G)");
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"method", required_argument, 0, 'm'},
        {"width", required_argument, 0, 'w'},
        {"activation", required_argument, 0, 'a'},
        {"alpha", required_argument, 0, OPT_ALPHA},
        {"beta", required_argument, 0, OPT_BETA},
        {"pca", required_argument, 0, OPT_PCA},
        {"lambda", required_argument, 0, 'l'},
        {"solver", required_argument, 0, OPT_SOLVER},
        {"tol", required_argument, 0, OPT_TOL},
        {"tries", required_argument, 0, OPT_TRIES},
        {"seed", required_argument, 0, 's'},
        {"weights", required_argument, 0, OPT_WEIGHTS},
        {"classes", required_argument, 0, OPT_CLASSES},
        {"name", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"gram", no_argument, 0, OPT_GRAM},
        {"through", required_argument, 0, OPT_THROUGH},
        {"gram-precision", required_argument, 0, OPT_GRAM_PRECISION},
        {"from-gram", required_argument, 0, 'G'},
        {"dtype", required_argument, 0, 't'},
        NN_LONGOPTS_OUTPUT,
        {"progress", no_argument, 0, 'P'},
        NN_LONGOPTS_END};
    *o = (options){.method = M_RANDOM, .alpha = 1, .beta = 10, .pca_raw = 1,
                   .fit = {NN_SOLVE_CHOL, 0, 0}, .tries = 1, .seed = 1,
                   .name = "x", .labels = "y", .dtype = NN_F32, .out = "-"};
    const char *act = NULL;
    int c, method_set = 0;
    while ((c = getopt_long(argc, argv, ":m:w:a:l:s:n:y:G:t:o:z::PhV",
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o->method = nn_arg_choice("method", optarg, methods);
            method_set = 1;
            break;
        case 'w': o->width = nn_arg_u64("width", optarg, 1, 1u << 20); break;
        case 'a': act = optarg; break;
        case OPT_ALPHA:
            o->alpha = nn_arg_double("alpha", optarg, -INFINITY, INFINITY);
            break;
        case OPT_BETA:
            o->beta = nn_arg_double("beta", optarg, -INFINITY, INFINITY);
            break;
        case OPT_PCA:
            o->pca_raw = nn_arg_choice("pca", optarg, pca_bases) == 0;
            o->pca_set = 1;
            break;
        case 'l':
            o->fit.lambda = nn_arg_double("lambda", optarg, 0, INFINITY);
            break;
        case OPT_SOLVER:
            o->fit.solver = nn_arg_choice("solver", optarg, solvers);
            break;
        case OPT_TOL: o->fit.tol = nn_arg_positive("tol", optarg); break;
        case OPT_TRIES:
            o->tries = (int)nn_arg_u64("tries", optarg, 1, 1000);
            break;
        case 's': o->seed = nn_arg_u64("seed", optarg, 0, UINT64_MAX); break;
        case OPT_WEIGHTS: o->weights = optarg; break;
        case OPT_CLASSES:
            o->classes = nn_arg_u64("classes", optarg, 1, NN_CLASSES_MAX);
            break;
        case 'n': o->name = optarg; break;
        case 'y': o->labels = optarg; break;
        case OPT_GRAM: o->gram = 1; break;
        case OPT_THROUGH: o->through = optarg; break;
        case OPT_GRAM_PRECISION:
            o->gram32 = nn_arg_choice("gram-precision", optarg, precisions);
            break;
        case 'G':
            if (o->ngrams == MAX_GRAMS)
                nn_usage_error("at most %d statistics files", MAX_GRAMS);
            o->grams[o->ngrams++] = optarg;
            break;
        case 't': o->dtype = nn_float_dtype_arg(optarg); break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        case 'P': o->progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 1)
        nn_usage_error("at most one input FILE");
    o->in = optind < argc ? argv[optind] : NULL; /* NULL: none given */
    check_options(o, method_set);
    if (!o->in)
        o->in = "-";
    nn_error e;
    if (nn_act_parse(act ? act : o->method == M_OUTPUT ? "identity" : "relu",
                     &o->act, &e) < 0)
        nn_usage_error("%s", e.msg);
    if (nn_act_is_poly(o->act.kind))
        nn_usage_error("polynomial units cannot be fitted here (their "
                       "coefficients are not part of the closed form)");
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-fit-layer");
    options o;
    parse(argc, argv, &o);

    /* the output first: a terminal is refused before any work; nothing is
     * written until the fit is done, and a failure removes a file */
    nn_error e;
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w)
        nn_die("%s", e.msg);
    nn_writer_set_compression(w, o.level);
    int rc = o.gram     ? write_statistics(w, &o, &e)
             : o.ngrams ? fit_from_statistics(w, &o, &e)
                        : fit_from_data(w, &o, &e);
    if (rc < 0)
        nn_die("%s", e.msg);
    if (nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    return 0;
}

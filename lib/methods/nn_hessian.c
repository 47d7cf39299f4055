/* nn_hessian.c — the curvature of a network's loss over a data set
 * (ALGORITHMS.md, nn-spectrum; adaptive-symmetries §III-§IV): the mean
 * loss over the rows, its gradient and exact Hessian-vector products
 * (nn_hvp), restricted to the parameters that train (masked weights are
 * left out) of the whole network or of one layer; and from the products
 * the dense Hessian, its top eigenvalues by Lanczos, its trace by
 * Hutchinson's estimator and its spectral density by stochastic Lanczos
 * quadrature.  The passes in double or single precision (nn_hvp), the
 * vectors and sums in double.  The data are read once: each block's passes are kept while
 * they fit in the memory given, the other blocks are read again (and run
 * forward and backward again) for every product. */
#include "methods/nn_methods.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct nn_curv {
    nn_net *net;
    nn_trainset *data;
    nn_hvp *h;
    size_t batch, nblk, held, dim, np, n_in, n_out;
    int dtype;                  /* of the data read and the passes */
    uint64_t rows;
    size_t *idx;                /* the parameters in play, of np */
    size_t *blk_m;              /* rows of each held block */
    double loss, *grad;         /* over every row; grad (dim) */
    double *full, *fullhv;      /* (np) */
    void *x, *t;                /* a block read again */
    size_t products;
};

void nn_curv_free(nn_curv *c)
{
    if (!c)
        return;
    nn_hvp_free(c->h);
    free(c->idx);
    free(c->blk_m);
    free(c->grad);
    free(c->full);
    free(c->fullhv);
    free(c->x);
    free(c->t);
    free(c);
}

/* The next block of the pass into x and t; *m rows (0 at the end). */
static int next_block(nn_curv *c, size_t *m, nn_error *e)
{
    return nn_trainset_next(c->data, c->batch, c->dtype, c->x, c->t, NULL, m,
                            e);
}

nn_curv *nn_curv_open(nn_net *net, nn_trainset *data,
                      const nn_curv_spec *sp, nn_error *e)
{
    if (sp->layer >= 0 && (size_t)sp->layer >= net->n) {
        nn_fail(e, "layer %ld: the network has %zu layers", sp->layer + 1,
                net->n);
        return NULL;
    }
    uint64_t rows = nn_trainset_rows(data);
    if (rows == 0) {
        nn_fail(e, "the data have no rows");
        return NULL;
    }
    nn_curv *c = calloc(1, sizeof *c);
    if (!c) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    c->net = net;
    c->data = data;
    c->rows = rows;
    c->batch = sp->batch ? sp->batch : 1000;
    c->dtype = sp->dtype == NN_F32 ? NN_F32 : NN_F64;
    size_t sz = nn_dtype_size(c->dtype);
    if (c->batch > rows)
        c->batch = (size_t)rows;
    size_t nblk = (size_t)((rows + c->batch - 1) / c->batch);
    c->n_in = net->layers[0].n_in;
    c->n_out = net->layers[net->n - 1].n_out;
    c->np = nn_net_nparams(net);
    size_t per = nn_hvp_slot_bytes(net, c->batch, c->dtype);
    size_t fit = per ? sp->memory / per : 0;
    size_t slots = fit >= nblk ? nblk : fit > 1 ? fit : 1;
    unsigned char *on = malloc(c->np ? c->np : 1);
    if (!on || !(c->idx = malloc(c->np * sizeof *c->idx)) ||
        !(c->blk_m = malloc(slots * sizeof *c->blk_m)) ||
        !(c->full = calloc(c->np, sizeof *c->full)) ||
        !(c->fullhv = calloc(c->np, sizeof *c->fullhv)) ||
        !(c->x = nn_alloc(c->batch * c->n_in, sz, "a block", e)) ||
        !(c->t = nn_alloc(c->batch * c->n_out, sz, "a block", e))) {
        if (!on || !c->idx || !c->blk_m || !c->full || !c->fullhv)
            nn_fail(e, "out of memory");
        free(on);
        nn_curv_free(c);
        return NULL;
    }
    nn_net_params_free(net, on);
    size_t lo = sp->layer >= 0 ? nn_net_param_offset(net, (size_t)sp->layer)
                               : 0;
    size_t hi = sp->layer >= 0
                    ? nn_net_param_offset(net, (size_t)sp->layer + 1)
                    : c->np;
    for (size_t i = lo; i < hi; i++)
        if (on[i])
            c->idx[c->dim++] = i;
    free(on);
    if (c->dim == 0) {
        nn_fail(e, "no parameter trains (every weight is masked)");
        nn_curv_free(c);
        return NULL;
    }
    if (!(c->grad = calloc(c->dim, sizeof *c->grad)) ||
        !(c->h = nn_hvp_open(net, sp->loss, c->batch, slots, c->dtype, e))) {
        if (!c->grad)
            nn_fail(e, "out of memory");
        nn_curv_free(c);
        return NULL;
    }
    /* one pass: the loss, the gradient, and the blocks that are kept
     * (block b in slot b; when there are more blocks than slots, the
     * last slot takes every block from its own on, read again for each
     * product).  The blocks are the pass's reads, the same in every pass
     * in the stream's order. */
    if (nn_trainset_pass(data, NULL, e) < 0) {
        nn_curv_free(c);
        return NULL;
    }
    double *g = c->fullhv; /* the whole gradient, for now */
    for (size_t b = 0;; b++) {
        size_t m;
        if (next_block(c, &m, e) < 0) {
            nn_curv_free(c);
            return NULL;
        }
        if (!m)
            break;
        double s = (double)m / (double)rows;
        size_t slot = b < slots ? b : slots - 1;
        if (b < slots)
            c->blk_m[b] = m;
        c->loss += s * nn_hvp_load(c->h, net, slot, m, c->x, c->t, s, g);
        c->nblk = b + 1;
    }
    c->held = c->nblk <= slots ? c->nblk : slots - 1;
    for (size_t i = 0; i < c->dim; i++)
        c->grad[i] = g[c->idx[i]];
    memset(g, 0, c->np * sizeof *g);
    return c;
}

size_t nn_curv_dim(const nn_curv *c) { return c->dim; }
uint64_t nn_curv_rows(const nn_curv *c) { return c->rows; }
double nn_curv_loss(const nn_curv *c) { return c->loss; }
const double *nn_curv_grad(const nn_curv *c) { return c->grad; }
size_t nn_curv_blocks(const nn_curv *c) { return c->nblk; }
size_t nn_curv_blocks_held(const nn_curv *c) { return c->held; }
size_t nn_curv_products(const nn_curv *c) { return c->products; }

int nn_curv_hvp(void *ctx, const double *v, double *hv, nn_error *e)
{
    nn_curv *c = ctx;
    for (size_t i = 0; i < c->dim; i++)
        c->full[c->idx[i]] = v[i];
    memset(c->fullhv, 0, c->np * sizeof *c->fullhv);
    size_t b = 0;
    for (; b < c->held; b++)
        nn_hvp_apply(c->h, c->net, b, c->full,
                     (double)c->blk_m[b] / (double)c->rows, c->fullhv);
    if (c->held < c->nblk) { /* the blocks read again */
        if (nn_trainset_pass(c->data, NULL, e) < 0)
            return -1;
        for (size_t k = 0;; k++) {
            size_t m;
            if (next_block(c, &m, e) < 0)
                return -1;
            if (!m)
                break;
            if (k < c->held)
                continue;
            double s = (double)m / (double)c->rows;
            nn_hvp_load(c->h, c->net, c->held, m, c->x, c->t, s, NULL);
            nn_hvp_apply(c->h, c->net, c->held, c->full, s, c->fullhv);
        }
    }
    for (size_t i = 0; i < c->dim; i++) {
        hv[i] = c->fullhv[c->idx[i]];
        if (!isfinite(hv[i]))
            return nn_fail(e, "a Hessian-vector product is not finite");
    }
    c->products++;
    return 0;
}

int nn_hessian_dense(nn_curv *c, double *H, double *asym, nn_error *e)
{
    size_t d = c->dim;
    double *v = calloc(d, sizeof *v);
    if (!v)
        return nn_fail(e, "out of memory");
    for (size_t j = 0; j < d; j++) { /* row j = H e_j (H is symmetric) */
        v[j] = 1;
        if (nn_curv_hvp(c, v, H + j * d, e) < 0) {
            free(v);
            return -1;
        }
        v[j] = 0;
    }
    free(v);
    double worst = 0, big = 0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++) {
            double a = H[i * d + j], b = H[j * d + i];
            worst = fmax(worst, fabs(a - b));
            big = fmax(big, fmax(fabs(a), fabs(b)));
            H[i * d + j] = H[j * d + i] = (a + b) / 2;
        }
    if (asym)
        *asym = big > 0 ? worst / big : worst;
    return 0;
}

/* A vector of d signs +-1 (Rademacher) or normal deviates. */
static void draw(nn_rng *g, double *v, size_t d, int signs)
{
    for (size_t i = 0; i < d; i++)
        v[i] = signs ? (nn_rng_u64(g) >> 63 ? 1.0 : -1.0) : nn_rng_normal(g);
}

long nn_hessian_lanczos(nn_curv *c, size_t steps, uint64_t seed,
                        double *theta, double *tau2, double *resid,
                        nn_error *e)
{
    size_t d = c->dim;
    double *v = malloc(d * sizeof *v), *al = malloc(steps * sizeof *al);
    double *be = malloc(steps * sizeof *be);
    long k = -1;
    if (!v || !al || !be) {
        nn_fail(e, "out of memory");
        goto out;
    }
    nn_rng g;
    nn_rng_seed(&g, seed);
    draw(&g, v, d, 1);
    k = nn_lanczos(nn_curv_hvp, c, d, steps, v, al, be, e);
    if (k > 0 && nn_tridiag_eig((size_t)k, al, be, theta, tau2, resid, e) < 0)
        k = -1;
out:
    free(v);
    free(al);
    free(be);
    return k;
}

int nn_hessian_trace(nn_curv *c, size_t probes, uint64_t seed, double *mean,
                     double *sem, nn_error *e)
{
    size_t d = c->dim;
    double *v = malloc(d * sizeof *v), *hv = malloc(d * sizeof *hv);
    if (!v || !hv) {
        free(v), free(hv);
        return nn_fail(e, "out of memory");
    }
    nn_rng g;
    nn_rng_seed(&g, seed);
    double s = 0, s2 = 0;
    for (size_t p = 0; p < probes; p++) {
        draw(&g, v, d, 1);
        if (nn_curv_hvp(c, v, hv, e) < 0) {
            free(v), free(hv);
            return -1;
        }
        double q = 0;
        for (size_t i = 0; i < d; i++)
            q += v[i] * hv[i];
        s += q;
        s2 += q * q;
    }
    free(v), free(hv);
    *mean = s / (double)probes;
    double var = probes > 1 ? (s2 - s * s / (double)probes) /
                                  (double)(probes - 1) : 0;
    *sem = sqrt(fmax(var, 0) / (double)probes);
    return 0;
}

void nn_slq_density(const double *nodes, const double *weights, size_t n,
                    double sigma, size_t ng, double *tab, nn_slq_stats *st)
{
    double R = 0, neg = 0, on = 0, ow = 0;
    for (size_t i = 0; i < n; i++) {
        R = fmax(R, fabs(nodes[i]));
        neg += nodes[i] < 0 ? weights[i] : 0;
    }
    for (size_t i = 0; i < n; i++) /* outside the bulk about 0 */
        if (fabs(nodes[i]) > 0.01 * R) {
            ow += weights[i];
            on += nodes[i] < 0 ? weights[i] : 0;
        }
    if (!(sigma > 0))
        sigma = R > 0 ? 0.01 * R : 1e-3;
    R += 3 * sigma;
    double c = 1 / (sigma * sqrt(2 * M_PI)), dx = 2 * R / (double)(ng - 1);
    for (size_t j = 0; j < ng; j++) {
        double x = -R + dx * (double)j, s = 0;
        for (size_t i = 0; i < n; i++) {
            double u = (x - nodes[i]) / sigma;
            s += weights[i] * exp(-u * u / 2);
        }
        tab[2 * j] = x;
        tab[2 * j + 1] = c * s;
    }
    double tv = 0; /* the density against its mirror image */
    for (size_t j = 0; j < ng; j++)
        tv += fabs(tab[2 * j + 1] - tab[2 * (ng - 1 - j) + 1]) * dx;
    st->negative = neg;
    st->negative_outer = ow > 0 ? on / ow : NAN;
    st->asymmetry = tv / 2;
    st->sigma = sigma;
}

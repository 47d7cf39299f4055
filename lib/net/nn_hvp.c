/* nn_hvp.c — exact Hessian-vector products of a network's training loss
 * (ALGORITHMS.md, nn-spectrum): Pearlmutter's R-operator, the forward
 * pass and the backward pass of nn_backprop differentiated once more
 * along a direction v of the parameters, in double precision or in
 * single (the passes in sgemm over a single-precision copy of the
 * weights and the data; v, Hv and the sums over blocks in double).  For a
 * layer with input a, z = [1 a] W and y = act(z):
 *   forward:   Rz = [1 a] V + [0 Ra] W,  Ry = act'(z) Rz (+ the
 *              coefficients' direction for polynomial units);
 *   loss:      Rg_top = d(dL/dz)/dz Rz at the output;
 *   backward:  R dW = [1 a]^T Rg + [0 Ra]^T g,
 *              R(dL/da) = Rg W^T + g V^T (without the bias rows),
 *              Rg = R(dL/dy) act'(z) + dL/dy act''(z) Rz.
 * Each slot keeps one block's input, targets, pre-activations, outputs
 * and gradients, so that a product over a block held in a slot costs
 * the tangent passes alone.  The passes are nn_hvp_t.h's, once per
 * precision. */
#include "net/nn_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct hvp_slot {
    size_t m;
    void *x, *t;                /* (m, n_in), (m, n_out) */
    void **z, **y;              /* per layer (m, n_out) */
    void **gy, **gz;            /* dL/dy and dL/dz per layer (m, n_out) */
} hvp_slot;

struct nn_hvp {
    size_t nl, cap, nslot, np, wide, size;
    int loss, dtype;
    size_t *off;                /* each layer's first parameter */
    hvp_slot *slot;
    void **rz, **ry;            /* per layer (cap, n_out) */
    void *rgy, *rgz, *rga;      /* (cap, wide) */
    void *tmp;                  /* a layer's weights' gradient */
    void *vw;                   /* a layer's direction, masked */
    double *dc;                 /* a layer's coefficients' (tangent) */
    float **wf;                 /* f32: the weights in single precision */
};

static size_t layer_params(const nn_layer *l)
{
    size_t n = (1 + l->n_in) * l->n_out;
    if (nn_act_is_poly(l->act.kind))
        n += l->n_out * (size_t)(l->act.degree + 1);
    return n;
}

size_t nn_net_nparams(const nn_net *net)
{
    size_t n = 0;
    for (size_t l = 0; l < net->n; l++)
        n += layer_params(&net->layers[l]);
    return n;
}

size_t nn_net_param_offset(const nn_net *net, size_t layer)
{
    size_t n = 0;
    for (size_t l = 0; l < layer && l < net->n; l++)
        n += layer_params(&net->layers[l]);
    return n;
}

void nn_net_params_get(const nn_net *net, double *theta)
{
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        size_t nw = (1 + L->n_in) * L->n_out;
        memcpy(theta, L->w, nw * sizeof *theta);
        theta += nw;
        if (nn_act_is_poly(L->act.kind)) {
            size_t nc = L->n_out * (size_t)(L->act.degree + 1);
            memcpy(theta, L->coef, nc * sizeof *theta);
            theta += nc;
        }
    }
}

void nn_net_params_set(nn_net *net, const double *theta)
{
    for (size_t l = 0; l < net->n; l++) {
        nn_layer *L = &net->layers[l];
        size_t nw = (1 + L->n_in) * L->n_out;
        memcpy(L->w, theta, nw * sizeof *theta);
        theta += nw;
        if (L->mask)
            nn_layer_apply_mask(L);
        if (nn_act_is_poly(L->act.kind)) {
            size_t nc = L->n_out * (size_t)(L->act.degree + 1);
            memcpy(L->coef, theta, nc * sizeof *theta);
            theta += nc;
        }
        free(L->wf);
        L->wf = NULL;
    }
}

void nn_net_params_free(const nn_net *net, unsigned char *on)
{
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        size_t nw = (1 + L->n_in) * L->n_out, n = layer_params(L);
        for (size_t i = 0; i < n; i++)
            on[i] = i < nw && L->mask ? L->mask[i] != 0 : 1;
        on += n;
    }
}

static void free_slot(hvp_slot *s, size_t nl)
{
    free(s->x);
    free(s->t);
    for (size_t l = 0; l < nl; l++) {
        if (s->z) free(s->z[l]);
        if (s->y) free(s->y[l]);
        if (s->gy) free(s->gy[l]);
        if (s->gz) free(s->gz[l]);
    }
    free(s->z);
    free(s->y);
    free(s->gy);
    free(s->gz);
}

void nn_hvp_free(nn_hvp *h)
{
    if (!h)
        return;
    for (size_t k = 0; k < h->nslot && h->slot; k++)
        free_slot(&h->slot[k], h->nl);
    for (size_t l = 0; l < h->nl; l++) {
        if (h->rz) free(h->rz[l]);
        if (h->ry) free(h->ry[l]);
        if (h->wf) free(h->wf[l]);
    }
    free(h->slot);
    free(h->rz);
    free(h->ry);
    free(h->wf);
    free(h->rgy);
    free(h->rgz);
    free(h->rga);
    free(h->tmp);
    free(h->vw);
    free(h->dc);
    free(h->off);
    free(h);
}

/* NN_F32 for single precision; NN_F64 or anything else double. */
static size_t real_size(int dtype)
{
    return dtype == NN_F32 ? sizeof(float) : sizeof(double);
}

size_t nn_hvp_slot_bytes(const nn_net *net, size_t rows, int dtype)
{
    size_t per_row = net->layers[0].n_in + net->layers[net->n - 1].n_out;
    for (size_t l = 0; l < net->n; l++)
        per_row += 4 * net->layers[l].n_out;
    return rows * per_row * real_size(dtype);
}

static int open_slot(hvp_slot *s, const nn_net *net, size_t rows,
                     size_t size, nn_error *e)
{
    size_t nl = net->n;
    if (!(s->z = calloc(nl, sizeof *s->z)) ||
        !(s->y = calloc(nl, sizeof *s->y)) ||
        !(s->gy = calloc(nl, sizeof *s->gy)) ||
        !(s->gz = calloc(nl, sizeof *s->gz)))
        return nn_fail(e, "out of memory");
    if (!(s->x = nn_alloc(rows * net->layers[0].n_in, size, "hessian block",
                          e)) ||
        !(s->t = nn_alloc(rows * net->layers[nl - 1].n_out, size,
                          "hessian block", e)))
        return -1;
    for (size_t l = 0; l < nl; l++) {
        size_t n = rows * net->layers[l].n_out;
        if (!(s->z[l] = nn_alloc(n, size, "hessian block", e)) ||
            !(s->y[l] = nn_alloc(n, size, "hessian block", e)) ||
            !(s->gy[l] = nn_alloc(n, size, "hessian block", e)) ||
            !(s->gz[l] = nn_alloc(n, size, "hessian block", e)))
            return -1;
    }
    return 0;
}

nn_hvp *nn_hvp_open(const nn_net *net, int loss, size_t rows, size_t slots,
                    int dtype, nn_error *e)
{
    if (net->n == 0 || rows == 0 || slots == 0) {
        nn_fail(e, "a Hessian needs a network, rows and a block");
        return NULL;
    }
    if (dtype != NN_F32 && dtype != NN_F64) {
        nn_fail(e, "Hessian-vector products in f32 or f64 only");
        return NULL;
    }
    if (nn_loss_check(loss, &net->layers[net->n - 1].act, e) < 0)
        return NULL;
    nn_hvp *h = calloc(1, sizeof *h);
    if (!h) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    h->nl = net->n;
    h->cap = rows;
    h->loss = loss;
    h->dtype = dtype;
    h->size = real_size(dtype);
    h->np = nn_net_nparams(net);
    size_t most = 0, wide = 1, sz = h->size;
    if (!(h->off = calloc(net->n, sizeof *h->off)) ||
        !(h->slot = calloc(slots, sizeof *h->slot)) ||
        !(h->rz = calloc(net->n, sizeof *h->rz)) ||
        !(h->ry = calloc(net->n, sizeof *h->ry)) ||
        !(h->wf = calloc(net->n, sizeof *h->wf))) {
        nn_hvp_free(h);
        nn_fail(e, "out of memory");
        return NULL;
    }
    h->nslot = slots;
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        h->off[l] = nn_net_param_offset(net, l);
        most = layer_params(L) > most ? layer_params(L) : most;
        wide = L->n_out > wide ? L->n_out : wide;
        wide = L->n_in > wide ? L->n_in : wide;
        if (!(h->rz[l] = nn_alloc(rows * L->n_out, sz, "hessian", e)) ||
            !(h->ry[l] = nn_alloc(rows * L->n_out, sz, "hessian", e)) ||
            (dtype == NN_F32 &&
             !(h->wf[l] = nn_alloc((1 + L->n_in) * L->n_out, sizeof(float),
                                   "hessian", e)))) {
            nn_hvp_free(h);
            return NULL;
        }
    }
    h->wide = wide;
    if (!(h->rgy = nn_alloc(rows * wide, sz, "hessian", e)) ||
        !(h->rgz = nn_alloc(rows * wide, sz, "hessian", e)) ||
        !(h->rga = nn_alloc(rows * wide, sz, "hessian", e)) ||
        !(h->tmp = nn_alloc(most, sz, "hessian", e)) ||
        !(h->vw = nn_alloc(most, sz, "hessian", e)) ||
        !(h->dc = nn_alloc(most, sizeof(double), "hessian", e))) {
        nn_hvp_free(h);
        return NULL;
    }
    for (size_t k = 0; k < slots; k++)
        if (open_slot(&h->slot[k], net, rows, sz, e) < 0) {
            nn_hvp_free(h);
            return NULL;
        }
    return h;
}

size_t nn_hvp_nparams(const nn_hvp *h) { return h->np; }

int nn_hvp_dtype(const nn_hvp *h) { return h->dtype; }

/* p += s q, n values. */
static void add_scaled(double *p, const double *q, size_t n, double s,
                       const unsigned char *mask)
{
    for (size_t i = 0; i < n; i++)
        p[i] += mask && !mask[i] ? 0 : s * q[i];
}

/* The basis, its first and its second derivatives: the recurrences of
 * nn_poly_basis_deriv differentiated once more. */
static void poly_basis_d2(int kind, int degree, double x, double *phi,
                          double *d1, double *d2)
{
    nn_poly_basis_deriv(kind, degree, x, phi, d1);
    d2[0] = 0;
    if (degree < 1)
        return;
    d2[1] = 0;
    for (int i = 1; i < degree; i++) {
        switch (kind) {
        case NN_ACT_LEGENDRE:
            d2[i + 1] = ((2 * i + 1) * (2 * d1[i] + x * d2[i]) -
                         i * d2[i - 1]) / (i + 1);
            break;
        case NN_ACT_CHEBYSHEV:
            d2[i + 1] = 4 * d1[i] + 2 * x * d2[i] - d2[i - 1];
            break;
        case NN_ACT_LAGUERRE:
            d2[i + 1] = ((2 * i + 1 - x) * d2[i] - 2 * d1[i] -
                         i * d2[i - 1]) / (i + 1);
            break;
        default: /* Hermite */
            d2[i + 1] = 4 * d1[i] + 2 * x * d2[i] - 2 * i * d2[i - 1];
            break;
        }
    }
}

#define REAL double
#define FN(name) name##_f64
#define GEMM nn_gemm_f64
#define WEIGHTS(h, net, l) ((const double *)(net)->layers[l].w)
#include "net/nn_hvp_t.h"
#define REAL float
#define FN(name) name##_f32
#define GEMM nn_gemm_f32
#define WEIGHTS(h, net, l) ((const float *)(h)->wf[l])
#include "net/nn_hvp_t.h"

double nn_hvp_load(nn_hvp *h, const nn_net *net, size_t k, size_t m,
                   const void *x, const void *t, double scale, double *grad)
{
    if (h->dtype == NN_F64)
        return hvp_load_f64(h, net, k, m, x, t, scale, grad);
    for (size_t l = 0; l < h->nl; l++) { /* the weights as they are now */
        const nn_layer *L = &net->layers[l];
        for (size_t i = 0; i < (1 + L->n_in) * L->n_out; i++)
            h->wf[l][i] = (float)L->w[i];
    }
    return hvp_load_f32(h, net, k, m, x, t, scale, grad);
}

void nn_hvp_apply(nn_hvp *h, const nn_net *net, size_t k, const double *v,
                  double scale, double *hv)
{
    if (h->dtype == NN_F64)
        hvp_apply_f64(h, net, k, v, scale, hv);
    else
        hvp_apply_f32(h, net, k, v, scale, hv);
}

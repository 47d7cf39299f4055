/* nn_hvp.c — exact Hessian-vector products of a network's training loss
 * (ALGORITHMS.md, nn-spectrum): Pearlmutter's R-operator, the forward
 * pass and the backward pass of nn_backprop differentiated once more
 * along a direction v of the parameters, in double precision.  For a
 * layer with input a, z = [1 a] W and y = act(z):
 *   forward:   Rz = [1 a] V + [0 Ra] W,  Ry = act'(z) Rz (+ the
 *              coefficients' direction for polynomial units);
 *   loss:      Rg_top = d(dL/dz)/dz Rz at the output;
 *   backward:  R dW = [1 a]^T Rg + [0 Ra]^T g,
 *              R(dL/da) = Rg W^T + g V^T (without the bias rows),
 *              Rg = R(dL/dy) act'(z) + dL/dy act''(z) Rz.
 * Each slot keeps one block's input, targets, pre-activations, outputs
 * and gradients, so that a product over a block held in a slot costs
 * the tangent passes alone. */
#include "net/nn_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct hvp_slot {
    size_t m;
    double *x, *t;              /* (m, n_in), (m, n_out) */
    double **z, **y;            /* per layer (m, n_out) */
    double **gy, **gz;          /* dL/dy and dL/dz per layer (m, n_out) */
} hvp_slot;

struct nn_hvp {
    size_t nl, cap, nslot, np, wide;
    int loss;
    size_t *off;                /* each layer's first parameter */
    hvp_slot *slot;
    double **rz, **ry;          /* per layer (cap, n_out) */
    double *rgy, *rgz, *rga;    /* (cap, wide) */
    double *tmp;                /* a layer's parameters */
    double *vw;                 /* a layer's direction, masked */
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
    }
    free(h->slot);
    free(h->rz);
    free(h->ry);
    free(h->rgy);
    free(h->rgz);
    free(h->rga);
    free(h->tmp);
    free(h->vw);
    free(h->off);
    free(h);
}

size_t nn_hvp_slot_bytes(const nn_net *net, size_t rows)
{
    size_t per_row = net->layers[0].n_in + net->layers[net->n - 1].n_out;
    for (size_t l = 0; l < net->n; l++)
        per_row += 4 * net->layers[l].n_out;
    return rows * per_row * sizeof(double);
}

static int open_slot(hvp_slot *s, const nn_net *net, size_t rows,
                     nn_error *e)
{
    size_t nl = net->n;
    if (!(s->z = calloc(nl, sizeof *s->z)) ||
        !(s->y = calloc(nl, sizeof *s->y)) ||
        !(s->gy = calloc(nl, sizeof *s->gy)) ||
        !(s->gz = calloc(nl, sizeof *s->gz)))
        return nn_fail(e, "out of memory");
    if (!(s->x = nn_alloc(rows * net->layers[0].n_in, sizeof(double),
                          "hessian block", e)) ||
        !(s->t = nn_alloc(rows * net->layers[nl - 1].n_out, sizeof(double),
                          "hessian block", e)))
        return -1;
    for (size_t l = 0; l < nl; l++) {
        size_t n = rows * net->layers[l].n_out;
        if (!(s->z[l] = nn_alloc(n, sizeof(double), "hessian block", e)) ||
            !(s->y[l] = nn_alloc(n, sizeof(double), "hessian block", e)) ||
            !(s->gy[l] = nn_alloc(n, sizeof(double), "hessian block", e)) ||
            !(s->gz[l] = nn_alloc(n, sizeof(double), "hessian block", e)))
            return -1;
    }
    return 0;
}

nn_hvp *nn_hvp_open(const nn_net *net, int loss, size_t rows, size_t slots,
                    nn_error *e)
{
    if (net->n == 0 || rows == 0 || slots == 0) {
        nn_fail(e, "a Hessian needs a network, rows and a block");
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
    h->np = nn_net_nparams(net);
    size_t most = 0, wide = 1;
    if (!(h->off = calloc(net->n, sizeof *h->off)) ||
        !(h->slot = calloc(slots, sizeof *h->slot)) ||
        !(h->rz = calloc(net->n, sizeof *h->rz)) ||
        !(h->ry = calloc(net->n, sizeof *h->ry))) {
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
        if (!(h->rz[l] = nn_alloc(rows * L->n_out, sizeof(double),
                                  "hessian", e)) ||
            !(h->ry[l] = nn_alloc(rows * L->n_out, sizeof(double),
                                  "hessian", e))) {
            nn_hvp_free(h);
            return NULL;
        }
    }
    h->wide = wide;
    if (!(h->rgy = nn_alloc(rows * wide, sizeof(double), "hessian", e)) ||
        !(h->rgz = nn_alloc(rows * wide, sizeof(double), "hessian", e)) ||
        !(h->rga = nn_alloc(rows * wide, sizeof(double), "hessian", e)) ||
        !(h->tmp = nn_alloc(most, sizeof(double), "hessian", e)) ||
        !(h->vw = nn_alloc(most, sizeof(double), "hessian", e))) {
        nn_hvp_free(h);
        return NULL;
    }
    for (size_t k = 0; k < slots; k++)
        if (open_slot(&h->slot[k], net, rows, e) < 0) {
            nn_hvp_free(h);
            return NULL;
        }
    return h;
}

size_t nn_hvp_nparams(const nn_hvp *h) { return h->np; }

/* z = [1 in] W, y = act(z), for m rows. */
static void layer_forward(const nn_layer *L, size_t m, const double *in,
                          double *z, double *y)
{
    size_t n = L->n_out;
    for (size_t r = 0; r < m; r++)
        memcpy(z + r * n, L->w, n * sizeof *z);
    nn_gemm_f64(0, 0, m, n, L->n_in, 1, in, L->w + n, 1, z);
    memcpy(y, z, m * n * sizeof *y);
    nn_act_apply_f64(&L->act, L->coef, m, n, y);
}

/* p += s q, n values (masked by mask when not NULL). */
static void add_scaled(double *p, const double *q, size_t n, double s,
                       const unsigned char *mask)
{
    for (size_t i = 0; i < n; i++)
        p[i] += mask && !mask[i] ? 0 : s * q[i];
}

/* dL/dy at the output for the losses that go through the output
 * activation (mse, hinge), as nn_loss reduces them. */
static void output_dy(int loss, size_t m, size_t n, const double *y,
                      const double *t, double *gy)
{
    double per_el = 1.0 / ((double)m * (double)n);
    for (size_t i = 0; i < m * n; i++)
        if (loss == NN_LOSS_MSE)
            gy[i] = 2 * (y[i] - t[i]) * per_el;
        else
            gy[i] = 1 - t[i] * y[i] > 0 ? -t[i] * per_el : 0;
}

double nn_hvp_load(nn_hvp *h, const nn_net *net, size_t k, size_t m,
                   const double *x, const double *t, double scale,
                   double *grad)
{
    hvp_slot *s = &h->slot[k];
    size_t top = h->nl - 1;
    s->m = m;
    memcpy(s->x, x, m * net->layers[0].n_in * sizeof *x);
    memcpy(s->t, t, m * net->layers[top].n_out * sizeof *t);
    const double *in = s->x;
    for (size_t l = 0; l < h->nl; l++) {
        layer_forward(&net->layers[l], m, in, s->z[l], s->y[l]);
        in = s->y[l];
    }
    const nn_layer *out = &net->layers[top];
    int poly = nn_act_is_poly(out->act.kind);
    double *dc = h->tmp + (1 + out->n_in) * out->n_out;
    double L = nn_loss_f64(h->loss, &out->act, out->coef, m, out->n_out,
                           s->z[top], s->y[top], s->t, s->gz[top],
                           poly ? dc : NULL);
    if (h->loss == NN_LOSS_MSE || h->loss == NN_LOSS_HINGE)
        output_dy(h->loss, m, out->n_out, s->y[top], s->t, s->gy[top]);
    if (grad && poly)
        add_scaled(grad + h->off[top] + (1 + out->n_in) * out->n_out, dc,
                   out->n_out * (size_t)(out->act.degree + 1), scale, NULL);
    for (size_t l = h->nl; l-- > 0;) {
        const nn_layer *ly = &net->layers[l];
        if (l != top) {
            const nn_layer *up = &net->layers[l + 1];
            /* dL/dy = dL/dz(above) W^T without the bias row */
            nn_gemm_f64(0, 1, m, ly->n_out, up->n_out, 1, s->gz[l + 1],
                        up->w + up->n_out, 0, s->gy[l]);
            memcpy(s->gz[l], s->gy[l], m * ly->n_out * sizeof(double));
            int lp = nn_act_is_poly(ly->act.kind);
            double *dcl = h->tmp + (1 + ly->n_in) * ly->n_out;
            nn_act_backward_f64(&ly->act, ly->coef, m, ly->n_out, s->z[l],
                                s->y[l], s->gz[l], lp ? dcl : NULL);
            if (grad && lp)
                add_scaled(grad + h->off[l] + (1 + ly->n_in) * ly->n_out,
                           dcl, ly->n_out * (size_t)(ly->act.degree + 1),
                           scale, NULL);
        }
        if (grad) {
            nn_layer_backward_f64(ly, m, l ? s->y[l - 1] : s->x, s->gz[l],
                                  h->tmp, NULL);
            add_scaled(grad + h->off[l], h->tmp,
                       (1 + ly->n_in) * ly->n_out, scale, NULL);
        }
    }
    return L;
}

/* Ry = act'(z) Rz, plus sum_k vc_k phi_k(z) for polynomial units. */
static void act_tangent(const nn_act *a, const double *coef,
                        const double *vc, size_t m, size_t n,
                        const double *z, const double *y, const double *rz,
                        double *ry)
{
    size_t N = m * n;
    switch (a->kind) {
    case NN_ACT_IDENTITY:
        memcpy(ry, rz, N * sizeof *ry);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < N; i++)
            ry[i] = z[i] > 0 ? rz[i] : 0;
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            ry[i] = (1 - y[i] * y[i]) * rz[i];
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            ry[i] = y[i] * (1 - y[i]) * rz[i];
        break;
    case NN_ACT_CELU:
        for (size_t i = 0; i < N; i++)
            ry[i] = (z[i] > 0 ? 1 : exp(z[i] / a->alpha)) * rz[i];
        break;
    case NN_ACT_SOFTMAX:
        for (size_t r = 0; r < m; r++) {
            const double *yr = y + r * n, *rr = rz + r * n;
            double s = 0;
            for (size_t j = 0; j < n; j++)
                s += yr[j] * rr[j];
            for (size_t j = 0; j < n; j++)
                ry[r * n + j] = yr[j] * (rr[j] - s);
        }
        break;
    case NN_ACT_EXP:
        for (size_t i = 0; i < N; i++)
            ry[i] = y[i] * rz[i];
        break;
    case NN_ACT_POW3:
        for (size_t i = 0; i < N; i++)
            ry[i] = 3 * a->alpha * z[i] * z[i] * rz[i];
        break;
    default: {
        int D = a->degree + 1;
        double phi[NN_POLY_MAX_DEGREE + 1], dphi[NN_POLY_MAX_DEGREE + 1];
        for (size_t i = 0; i < N; i++) {
            size_t j = i % n;
            const double *c = coef + j * (size_t)D, *v = vc + j * (size_t)D;
            nn_poly_basis_deriv(a->kind, a->degree, z[i], phi, dphi);
            double d = 0, p = 0;
            for (int q = 0; q < D; q++) {
                d += c[q] * dphi[q];
                p += v[q] * phi[q];
            }
            ry[i] = d * rz[i] + p;
        }
        break;
    }
    }
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

/* The tangent of the activation's backward step: from gy = dL/dy, its
 * tangent rgy, z, y, Rz and Ry, rgz = R(dL/dz); for polynomial units
 * also rdc (n, degree+1) = R(dL/dcoef), given the coefficients'
 * direction vc. */
static void act_backward_tangent(const nn_act *a, const double *coef,
                                 const double *vc, size_t m, size_t n,
                                 const double *z, const double *y,
                                 const double *rz, const double *ry,
                                 const double *gy, const double *rgy,
                                 double *rgz, double *rdc)
{
    size_t N = m * n;
    switch (a->kind) {
    case NN_ACT_IDENTITY:
        memcpy(rgz, rgy, N * sizeof *rgz);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < N; i++)
            rgz[i] = z[i] > 0 ? rgy[i] : 0;
        break;
    case NN_ACT_TANH: /* y' = 1 - y^2, y'' = -2 y (1 - y^2) */
        for (size_t i = 0; i < N; i++) {
            double d = 1 - y[i] * y[i];
            rgz[i] = rgy[i] * d - 2 * gy[i] * y[i] * d * rz[i];
        }
        break;
    case NN_ACT_SIGMOID: /* y' = y (1 - y), y'' = y' (1 - 2 y) */
        for (size_t i = 0; i < N; i++) {
            double d = y[i] * (1 - y[i]);
            rgz[i] = rgy[i] * d + gy[i] * d * (1 - 2 * y[i]) * rz[i];
        }
        break;
    case NN_ACT_CELU: /* z <= 0: y' = e^{z/alpha}, y'' = y' / alpha */
        for (size_t i = 0; i < N; i++)
            if (z[i] > 0)
                rgz[i] = rgy[i];
            else {
                double d = exp(z[i] / a->alpha);
                rgz[i] = rgy[i] * d + gy[i] * d / a->alpha * rz[i];
            }
        break;
    case NN_ACT_SOFTMAX: /* gz = y (gy - s), s = sum gy y */
        for (size_t r = 0; r < m; r++) {
            const double *yr = y + r * n, *ryr = ry + r * n;
            const double *g = gy + r * n, *rg = rgy + r * n;
            double s = 0, rs = 0;
            for (size_t j = 0; j < n; j++) {
                s += g[j] * yr[j];
                rs += rg[j] * yr[j] + g[j] * ryr[j];
            }
            for (size_t j = 0; j < n; j++)
                rgz[r * n + j] = ryr[j] * (g[j] - s) + yr[j] * (rg[j] - rs);
        }
        break;
    case NN_ACT_EXP: /* y' = y'' = y */
        for (size_t i = 0; i < N; i++)
            rgz[i] = (rgy[i] + gy[i] * rz[i]) * y[i];
        break;
    case NN_ACT_POW3: /* y' = 3 alpha z^2, y'' = 6 alpha z */
        for (size_t i = 0; i < N; i++)
            rgz[i] = rgy[i] * 3 * a->alpha * z[i] * z[i] +
                     gy[i] * 6 * a->alpha * z[i] * rz[i];
        break;
    default: {
        int D = a->degree + 1;
        double phi[NN_POLY_MAX_DEGREE + 1], d1[NN_POLY_MAX_DEGREE + 1], d2[NN_POLY_MAX_DEGREE + 1];
        memset(rdc, 0, n * (size_t)D * sizeof *rdc);
        for (size_t i = 0; i < N; i++) {
            size_t j = i % n;
            const double *c = coef + j * (size_t)D, *v = vc + j * (size_t)D;
            poly_basis_d2(a->kind, a->degree, z[i], phi, d1, d2);
            double cd1 = 0, vd1 = 0, cd2 = 0;
            for (int q = 0; q < D; q++) {
                cd1 += c[q] * d1[q];
                vd1 += v[q] * d1[q];
                cd2 += c[q] * d2[q];
                rdc[j * (size_t)D + (size_t)q] +=
                    rgy[i] * phi[q] + gy[i] * d1[q] * rz[i];
            }
            rgz[i] = rgy[i] * cd1 + gy[i] * (vd1 + cd2 * rz[i]);
        }
        break;
    }
    }
}

/* R(dL/dz) at the output for the losses computed from z directly. */
static void loss_tangent(int loss, const nn_act *a, size_t m, size_t n,
                         const double *z, const double *y, const double *t,
                         const double *rz, double *rgz)
{
    double per_el = 1.0 / ((double)m * (double)n), per_row = 1.0 / m;
    switch (loss) {
    case NN_LOSS_XENT: /* dz = (p sum t - t) / m */
        for (size_t r = 0; r < m; r++) {
            const double *p = y + r * n, *rr = rz + r * n, *tr = t + r * n;
            double s = 0, ts = 0;
            for (size_t j = 0; j < n; j++) {
                s += p[j] * rr[j];
                ts += tr[j];
            }
            for (size_t j = 0; j < n; j++)
                rgz[r * n + j] = ts * p[j] * (rr[j] - s) * per_row;
        }
        break;
    case NN_LOSS_SIGMOID_XENT: /* dz = (sigmoid(z) - t) / (m n) */
        for (size_t i = 0; i < m * n; i++)
            rgz[i] = y[i] * (1 - y[i]) * rz[i] * per_el;
        break;
    case NN_LOSS_EXP_GA: /* dz = (y - t) / m, y' = y */
        for (size_t i = 0; i < m * n; i++)
            rgz[i] = y[i] * rz[i] * per_row;
        break;
    default: /* NN_LOSS_POW3_GA: y' = 3 alpha z^2 */
        for (size_t i = 0; i < m * n; i++)
            rgz[i] = 3 * a->alpha * z[i] * z[i] * rz[i] * per_row;
        break;
    }
}

void nn_hvp_apply(nn_hvp *h, const nn_net *net, size_t k, const double *v,
                  double scale, double *hv)
{
    const hvp_slot *s = &h->slot[k];
    size_t m = s->m, top = h->nl - 1;
    /* forward: Rz = [1 a] V + Ra W[1:], Ry = act'(z) Rz (+ poly) */
    for (size_t l = 0; l < h->nl; l++) {
        const nn_layer *L = &net->layers[l];
        size_t n = L->n_out, nw = (1 + L->n_in) * n;
        const double *V = v + h->off[l], *a = l ? s->y[l - 1] : s->x;
        if (L->mask) {
            for (size_t i = 0; i < nw; i++)
                h->vw[i] = L->mask[i] ? V[i] : 0;
            V = h->vw;
        }
        double *rz = h->rz[l];
        for (size_t r = 0; r < m; r++)
            memcpy(rz + r * n, V, n * sizeof *rz);
        nn_gemm_f64(0, 0, m, n, L->n_in, 1, a, V + n, 1, rz);
        if (l)
            nn_gemm_f64(0, 0, m, n, L->n_in, 1, h->ry[l - 1], L->w + n, 1,
                        rz);
        act_tangent(&L->act, L->coef, v + h->off[l] + nw, m, n, s->z[l],
                    s->y[l], rz, h->ry[l]);
    }
    /* the output's R(dL/dz) */
    const nn_layer *out = &net->layers[top];
    size_t nout = out->n_out;
    double *rgz = h->rgz, *rgy = h->rgy, *rdc = h->tmp;
    if (h->loss == NN_LOSS_MSE || h->loss == NN_LOSS_HINGE) {
        double per_el = 2.0 / ((double)m * (double)nout);
        for (size_t i = 0; i < m * nout; i++)
            rgy[i] = h->loss == NN_LOSS_MSE ? per_el * h->ry[top][i] : 0;
        act_backward_tangent(&out->act, out->coef,
                             v + h->off[top] + (1 + out->n_in) * nout, m,
                             nout, s->z[top], s->y[top], h->rz[top],
                             h->ry[top], s->gy[top], rgy, rgz, rdc);
        if (nn_act_is_poly(out->act.kind))
            add_scaled(hv + h->off[top] + (1 + out->n_in) * nout, rdc,
                       nout * (size_t)(out->act.degree + 1), scale, NULL);
    } else
        loss_tangent(h->loss, &out->act, m, nout, s->z[top], s->y[top],
                     s->t, h->rz[top], rgz);
    /* backward: R dW = [1 a]^T Rg + [0 Ra]^T g; R(dL/da) = Rg W^T + g V^T */
    for (size_t l = h->nl; l-- > 0;) {
        const nn_layer *L = &net->layers[l];
        size_t n = L->n_out, nw = (1 + L->n_in) * n;
        const double *a = l ? s->y[l - 1] : s->x;
        nn_layer_backward_f64(L, m, a, rgz, h->tmp, NULL);
        if (l)
            nn_gemm_f64(1, 0, L->n_in, n, m, 1, h->ry[l - 1], s->gz[l], 1,
                        h->tmp + n);
        add_scaled(hv + h->off[l], h->tmp, nw, scale, L->mask);
        if (!l)
            break;
        const double *V = v + h->off[l];
        if (L->mask) {
            for (size_t i = 0; i < nw; i++)
                h->vw[i] = L->mask[i] ? V[i] : 0;
            V = h->vw;
        }
        const nn_layer *B = &net->layers[l - 1];
        nn_gemm_f64(0, 1, m, L->n_in, n, 1, rgz, L->w + n, 0, rgy);
        nn_gemm_f64(0, 1, m, L->n_in, n, 1, s->gz[l], V + n, 1, rgy);
        double *nz = rgz == h->rgz ? h->rga : h->rgz;
        act_backward_tangent(&B->act, B->coef,
                             v + h->off[l - 1] + (1 + B->n_in) * B->n_out, m,
                             B->n_out, s->z[l - 1], s->y[l - 1],
                             h->rz[l - 1], h->ry[l - 1], s->gy[l - 1], rgy,
                             nz, rdc);
        if (nn_act_is_poly(B->act.kind))
            add_scaled(hv + h->off[l - 1] + (1 + B->n_in) * B->n_out, rdc,
                       B->n_out * (size_t)(B->act.degree + 1), scale, NULL);
        rgz = nz;
    }
}

/* nn_backprop.c — the backward pass through a network stream's layers, in
 * double precision (ALGORITHMS.md, nn-train): a tape keeps every layer's
 * input, pre-activation and output for a block of rows; the loss gives
 * dL/dz at the output; each layer turns its dL/dz (G) into the gradient
 * of its weights, dW = [1 X]^T G (masked), of its polynomial
 * coefficients, and the dL/dy of the layer below, G W^T without the bias
 * row.  In single or double precision (nn_backprop_t.h, once each); a
 * plain loop version of the layer step sits beside the BLAS one for the
 * tests. */
#include "net/nn_net.h"
#include "base/nn_base_private.h"

#include <stdlib.h>
#include <string.h>

void nn_layer_backward_ref(const nn_layer *l, size_t m, const double *x,
                           const double *g, double *dw, double *dx)
{
    size_t n = l->n_out, k = l->n_in;
    for (size_t i = 0; i <= k; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t r = 0; r < m; r++)
                s += (i ? x[r * k + i - 1] : 1.0) * g[r * n + j];
            size_t at = i * n + j;
            dw[at] = l->mask && !l->mask[at] ? 0 : s;
        }
    if (dx)
        for (size_t r = 0; r < m; r++)
            for (size_t i = 0; i < k; i++) {
                double s = 0;
                for (size_t j = 0; j < n; j++)
                    s += g[r * n + j] * l->w[(1 + i) * n + j];
                dx[r * k + i] = s;
            }
}

struct nn_tape {
    int dtype;
    size_t es, nl, cap, m;
    const void *x;          /* the input of the last forward pass */
    void **z, **y;          /* per layer (cap, n_out) */
    const void **in;        /* per layer: its input (after dropout) */
    void *g, *g2;           /* dL/dz and dL/dy, (cap, widest) */
    /* dropout, when training: of each layer's input (pin, with the
     * dropped inputs xd and their masks mk) and of the gradient into
     * each layer's output (pgrad) */
    int training;
    double *pin, *pgrad;
    void **xd;
    unsigned char **mk;
    nn_rng rng;
};

#define REAL double
#define FN(name) name##_f64
#define GEMM nn_gemm_f64
#define WEIGHTS(l) ((l)->w)
#include "net/nn_backprop_t.h"
#define REAL float
#define FN(name) name##_f32
#define GEMM nn_gemm_f32
#define WEIGHTS(l) ((l)->wf)
#include "net/nn_backprop_t.h"

nn_tape *nn_tape_open(const nn_net *net, size_t rows, int dtype, nn_error *e)
{
    if (dtype != NN_F32 && dtype != NN_F64) {
        nn_fail(e, "a tape computes in f32 or f64, not %s",
                nn_dtype_name(dtype));
        return NULL;
    }
    nn_tape *t = calloc(1, sizeof *t);
    if (!t || !(t->z = calloc(net->n, sizeof *t->z)) ||
        !(t->y = calloc(net->n, sizeof *t->y)) ||
        !(t->in = calloc(net->n, sizeof *t->in))) {
        nn_tape_free(t);
        nn_fail(e, "out of memory");
        return NULL;
    }
    t->dtype = dtype;
    t->es = nn_dtype_size(dtype);
    t->nl = net->n;
    t->cap = rows;
    size_t wide = 1;
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        wide = L->n_out > wide ? L->n_out : wide;
        wide = L->n_in > wide ? L->n_in : wide;
        if (!(t->z[l] = nn_alloc(rows * L->n_out, t->es, "tape", e)) ||
            !(t->y[l] = nn_alloc(rows * L->n_out, t->es, "tape", e))) {
            nn_tape_free(t);
            return NULL;
        }
    }
    if (!(t->g = nn_alloc(rows * wide, t->es, "tape", e)) ||
        !(t->g2 = nn_alloc(rows * wide, t->es, "tape", e))) {
        nn_tape_free(t);
        return NULL;
    }
    return t;
}

void nn_tape_free(nn_tape *t)
{
    if (!t)
        return;
    for (size_t l = 0; l < t->nl && t->z; l++) {
        free(t->z[l]);
        if (t->y)
            free(t->y[l]);
    }
    for (size_t l = 0; l < t->nl && t->xd; l++) {
        free(t->xd[l]);
        free(t->mk[l]);
    }
    free(t->xd);
    free(t->mk);
    free(t->pin);
    free(t->pgrad);
    free(t->z);
    free(t->y);
    free(t->in);
    free(t->g);
    free(t->g2);
    free(t);
}

int nn_tape_dtype(const nn_tape *t) { return t->dtype; }

int nn_tape_dropout(nn_tape *t, const nn_net *net, size_t l, double p_in,
                    double p_grad, nn_error *e)
{
    if (l >= t->nl)
        return nn_fail(e, "dropout of layer %zu: the network has %zu layers",
                       l + 1, t->nl);
    if (!(p_in >= 0 && p_in < 1 && p_grad >= 0 && p_grad < 1))
        return nn_fail(e, "dropout rates are from 0 to below 1");
    if (!t->pin) {
        if (!(t->pin = calloc(t->nl, sizeof *t->pin)) ||
            !(t->pgrad = calloc(t->nl, sizeof *t->pgrad)) ||
            !(t->xd = calloc(t->nl, sizeof *t->xd)) ||
            !(t->mk = calloc(t->nl, sizeof *t->mk)))
            return nn_fail(e, "out of memory");
    }
    size_t k = t->cap * net->layers[l].n_in;
    if (p_in > 0 && !t->xd[l] &&
        (!(t->xd[l] = nn_alloc(k, t->es, "dropout", e)) ||
         !(t->mk[l] = nn_alloc(k, 1, "dropout", e))))
        return -1;
    t->pin[l] = p_in;
    t->pgrad[l] = p_grad;
    return 0;
}

void nn_tape_training(nn_tape *t, int on, uint64_t seed)
{
    t->training = on;
    if (on)
        nn_rng_seed(&t->rng, seed);
}

/* The single-precision copies of the weights, where they are missing. */
static int weights_f32(nn_net *net, nn_error *e)
{
    for (size_t l = 0; l < net->n; l++)
        if (!net->layers[l].wf && nn_layer_weights_f32(&net->layers[l], e) < 0)
            return -1;
    return 0;
}

const void *nn_tape_run(nn_tape *t, nn_net *net, size_t m, const void *x,
                        nn_error *e)
{
    t->m = m;
    t->x = x;
    if (t->dtype == NN_F64)
        return tape_forward_f64(t, net, m, x);
    if (weights_f32(net, e) < 0)
        return NULL;
    return tape_forward_f32(t, net, m, x);
}

double nn_tape_grad(nn_tape *t, const nn_net *net, int loss,
                    const void *target, void *const *dw, double *const *dcoef)
{
    if (t->dtype == NN_F64)
        return tape_backward_f64(t, net, loss, target, (double *const *)dw,
                                 dcoef);
    return tape_backward_f32(t, net, loss, target, (float *const *)dw, dcoef);
}

/* Eight partial sums, for the vector registers (nn-train --log sums every
 * step's gradient: about half the time of a full nn_summary). */
#define SQ_LANES 8
NN_VECTORIZE NN_CLONES
static double sumsq_f32(const float *g, size_t n)
{
    double s[SQ_LANES] = {0}, t = 0;
    size_t i = 0;
    for (; i + SQ_LANES <= n; i += SQ_LANES)
        for (int j = 0; j < SQ_LANES; j++)
            s[j] += (double)g[i + j] * g[i + j];
    for (; i < n; i++)
        s[0] += (double)g[i] * g[i];
    for (int j = 0; j < SQ_LANES; j++)
        t += s[j];
    return t;
}

NN_VECTORIZE NN_CLONES
static double sumsq_f64(const double *g, size_t n)
{
    double s[SQ_LANES] = {0}, t = 0;
    size_t i = 0;
    for (; i + SQ_LANES <= n; i += SQ_LANES)
        for (int j = 0; j < SQ_LANES; j++)
            s[j] += g[i + j] * g[i + j];
    for (; i < n; i++)
        s[0] += g[i] * g[i];
    for (int j = 0; j < SQ_LANES; j++)
        t += s[j];
    return t;
}

double nn_grad_mean_square(const void *g, int dt, size_t n)
{
    if (!n)
        return 0;
    double s = dt == NN_F32 ? sumsq_f32(g, n) : sumsq_f64(g, n);
    return s / (double)n;
}

double nn_tape_loss(nn_tape *t, const nn_net *net, int loss,
                    const void *target)
{
    if (t->dtype == NN_F64)
        return tape_loss_f64(t, net, loss, target);
    return tape_loss_f32(t, net, loss, target);
}

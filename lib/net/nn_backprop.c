/* nn_backprop.c — the backward pass through a network stream's layers, in
 * double precision (ALGORITHMS.md, nn-train): a tape keeps every layer's
 * input, pre-activation and output for a block of rows; the loss gives
 * dL/dz at the output; each layer turns its dL/dz (G) into the gradient
 * of its weights, dW = [1 X]^T G (masked), of its polynomial
 * coefficients, and the dL/dy of the layer below, G W^T without the bias
 * row.  A plain loop version of the layer step sits beside the BLAS one
 * for the tests. */
#include "net/nn_net.h"

#include <stdlib.h>
#include <string.h>

void nn_layer_backward_f64(const nn_layer *l, size_t m, const double *x,
                           const double *g, double *dw, double *dx)
{
    size_t n = l->n_out;
    for (size_t j = 0; j < n; j++) /* the bias row: column sums of G */
        dw[j] = 0;
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++)
            dw[j] += g[r * n + j];
    nn_gemm_f64(1, 0, l->n_in, n, m, 1.0, x, g, 0.0, dw + n);
    if (l->mask)
        for (size_t i = 0; i < (1 + l->n_in) * n; i++)
            dw[i] = l->mask[i] ? dw[i] : 0;
    if (dx)
        nn_gemm_f64(0, 1, m, l->n_in, n, 1.0, g, l->w + n, 0.0, dx);
}

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
    size_t nl, cap, m;
    const double *x;        /* the input of the last forward pass */
    double **z, **y;        /* per layer (cap, n_out) */
    double *g, *g2;         /* dL/dz and dL/dy, (cap, widest) */
};

nn_tape *nn_tape_new(const nn_net *net, size_t rows, nn_error *e)
{
    nn_tape *t = calloc(1, sizeof *t);
    if (!t || !(t->z = calloc(net->n, sizeof *t->z)) ||
        !(t->y = calloc(net->n, sizeof *t->y))) {
        nn_tape_free(t);
        nn_fail(e, "out of memory");
        return NULL;
    }
    t->nl = net->n;
    t->cap = rows;
    size_t wide = 1;
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        wide = L->n_out > wide ? L->n_out : wide;
        wide = L->n_in > wide ? L->n_in : wide;
        if (!(t->z[l] = nn_alloc(rows * L->n_out, sizeof(double), "tape", e)) ||
            !(t->y[l] = nn_alloc(rows * L->n_out, sizeof(double), "tape", e))) {
            nn_tape_free(t);
            return NULL;
        }
    }
    if (!(t->g = nn_alloc(rows * wide, sizeof(double), "tape", e)) ||
        !(t->g2 = nn_alloc(rows * wide, sizeof(double), "tape", e))) {
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
    free(t->z);
    free(t->y);
    free(t->g);
    free(t->g2);
    free(t);
}

const double *nn_tape_forward(nn_tape *t, const nn_net *net, size_t m,
                              const double *x)
{
    t->m = m;
    t->x = x;
    const double *in = x;
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        size_t n = L->n_out;
        for (size_t r = 0; r < m; r++)
            memcpy(t->z[l] + r * n, L->w, n * sizeof(double));
        nn_gemm_f64(0, 0, m, n, L->n_in, 1.0, in, L->w + n, 1.0, t->z[l]);
        memcpy(t->y[l], t->z[l], m * n * sizeof(double));
        nn_act_apply_f64(&L->act, L->coef, m, n, t->y[l]);
        in = t->y[l];
    }
    return t->y[net->n - 1];
}

double nn_tape_backward(nn_tape *t, const nn_net *net, int loss,
                        const double *target, double *const *dw,
                        double *const *dcoef)
{
    size_t m = t->m, top = net->n - 1;
    const nn_layer *out = &net->layers[top];
    double *cur = t->g, *next = t->g2; /* dL/dz of layer l; dL/dy below */
    double L = nn_loss_f64(loss, &out->act, out->coef, m, out->n_out,
                           t->z[top], t->y[top], target, cur,
                           dcoef ? dcoef[top] : NULL);
    for (size_t l = net->n; l-- > 0;) {
        const nn_layer *ly = &net->layers[l];
        if (l != top) /* cur holds dL/dy: through the activation */
            nn_act_backward_f64(&ly->act, ly->coef, m, ly->n_out, t->z[l],
                                t->y[l], cur, dcoef ? dcoef[l] : NULL);
        nn_layer_backward_f64(ly, m, l ? t->y[l - 1] : t->x, cur, dw[l],
                              l ? next : NULL);
        double *s = cur;
        cur = next;
        next = s;
    }
    return L;
}

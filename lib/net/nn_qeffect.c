/* nn_qeffect.c — what quantization changes in a network's outputs
 * (nn-quantize --data; ALGORITHMS.md, nn-quantize): the original network
 * and its copy with the weights a reader decodes run on the same rows, in
 * single precision as nn-forward runs them; per row the accuracy of each
 * against the label and the KL divergence of their class distributions. */
#include "net/nn_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nn_qeffect_init(nn_qeffect *s, nn_net *orig, double *const *wq,
                    nn_error *e)
{
    memset(s, 0, sizeof *s);
    s->orig = orig;
    nn_layer *L = nn_alloc(orig->n ? orig->n : 1, sizeof *L, "layers", e);
    if (!L)
        return -1;
    s->quant.layers = L, s->quant.n = orig->n;
    for (size_t l = 0; l < orig->n; l++) {
        const nn_layer *o = &orig->layers[l];
        size_t n = (1 + o->n_in) * o->n_out;
        L[l] = *o; /* mask, coefficients, activation and attributes shared */
        L[l].wf = NULL;
        if (!(L[l].w = nn_alloc(n, sizeof *L[l].w, "decoded weights", e))) {
            nn_qeffect_free(s);
            return -1;
        }
        for (size_t i = 0; i < n; i++) /* a reader zeroes masked weights */
            L[l].w[i] = o->mask && !o->mask[i] ? 0 : wq[l][i];
    }
    return 0;
}

void nn_qeffect_free(nn_qeffect *s)
{
    for (size_t l = 0; s->quant.layers && l < s->quant.n; l++)
        free(s->quant.layers[l].w), free(s->quant.layers[l].wf);
    free(s->quant.layers);
    s->quant.layers = NULL, s->quant.n = 0;
}

/* Runs x (m rows) through net: the outputs y and the logits z of the last
 * layer (its pre-activations for softmax and sigmoid, else y), both
 * (m, n_out); a and b are scratch of m times the widest layer. */
static int run(nn_net *net, size_t m, const float *x, float *a, float *b,
               float *z, float *y, nn_error *e)
{
    const float *in = x;
    for (size_t l = 0; l + 1 < net->n; l++) {
        float *out = l % 2 ? b : a;
        if (nn_layer_forward_f32(&net->layers[l], m, in, out, e) < 0)
            return -1;
        in = out;
    }
    nn_layer *top = &net->layers[net->n - 1];
    if (!top->wf && nn_layer_weights_f32(top, e) < 0)
        return -1;
    nn_layer lin = *top; /* the same weights, no activation */
    lin.act = (nn_act){.kind = NN_ACT_IDENTITY};
    size_t k = top->n_out;
    if (nn_layer_forward_f32(&lin, m, in, z, e) < 0)
        return -1;
    memcpy(y, z, m * k * sizeof *y);
    nn_act_apply_f32(&top->act, top->coef, m, k, y);
    if (top->act.kind != NN_ACT_SOFTMAX && top->act.kind != NN_ACT_SIGMOID)
        memcpy(z, y, m * k * sizeof *z);
    return 0;
}

/* log softmax of the k logits z into lp; one logit c stands for (0, c). */
static size_t log_softmax(const float *z, size_t k, double *lp)
{
    if (k == 1)
        lp[0] = 0, lp[1] = z[0], k = 2;
    else
        for (size_t j = 0; j < k; j++)
            lp[j] = z[j];
    double mx = lp[0], sum = 0;
    for (size_t j = 1; j < k; j++)
        mx = lp[j] > mx ? lp[j] : mx;
    for (size_t j = 0; j < k; j++)
        sum += exp(lp[j] - mx);
    double lse = mx + log(sum);
    for (size_t j = 0; j < k; j++)
        lp[j] -= lse;
    return k;
}

/* The class of outputs y (k): the first largest, or y >= 0.5 for one
 * output (nn-eval's rule). */
static int64_t predicted(const float *y, size_t k)
{
    if (k == 1)
        return y[0] >= 0.5f;
    size_t c = 0;
    for (size_t j = 1; j < k; j++)
        if (y[j] > y[c])
            c = j;
    return (int64_t)c;
}

int nn_qeffect_add(nn_qeffect *s, size_t m, const float *x,
                   const int64_t *label, nn_error *e)
{
    nn_net *A = s->orig, *B = &s->quant;
    if (m == 0 || A->n == 0)
        return 0;
    size_t k = A->layers[A->n - 1].n_out, wide = k;
    for (size_t l = 0; l < A->n; l++)
        wide = A->layers[l].n_out > wide ? A->layers[l].n_out : wide;
    float *buf = nn_alloc(m * (2 * wide + 4 * k), sizeof *buf, "outputs", e);
    double *lp = nn_alloc(2 * (k + 1), sizeof *lp, "a row", e);
    int rc = buf && lp ? 0 : -1;
    float *a = buf, *b = a + m * wide, *za = b + m * wide, *ya = za + m * k,
          *zb = ya + m * k, *yb = zb + m * k;
    if (rc == 0 && (run(A, m, x, a, b, za, ya, e) < 0 ||
                    run(B, m, x, a, b, zb, yb, e) < 0))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < m; i++) {
        double *pa = lp, *pb = lp + k + 1, kl = 0;
        size_t kk = log_softmax(za + i * k, k, pa);
        log_softmax(zb + i * k, k, pb);
        for (size_t j = 0; j < kk; j++)
            kl += exp(pa[j]) * (pa[j] - pb[j]);
        s->kl += kl > 0 ? kl : 0; /* rounding can make a tiny sum negative */
        s->rows++;
        if (!label || label[i] < 0)
            continue;
        s->labelled++;
        s->right_orig += predicted(ya + i * k, k) == label[i];
        s->right_quant += predicted(yb + i * k, k) == label[i];
    }
    free(buf), free(lp);
    return rc;
}

/* nn_backprop_t.h — a template, included by nn_backprop.c once per
 * precision with REAL (the element type), FN (the name's suffix), GEMM
 * (the BLAS call) and WEIGHTS(l) (the layer's weights in that precision)
 * defined: the layer step and the tape's passes.  No include guard. */

/* dw below its bias row, X^T G (masked), and dx = G W^T; the bias row
 * already summed. */
static void FN(layer_weights)(const nn_layer *l, size_t m, const REAL *x,
                              const REAL *g, REAL *dw, REAL *dx)
{
    size_t n = l->n_out;
    if (dw) {
        GEMM(1, 0, l->n_in, n, m, 1, x, g, 0, dw + n);
        if (l->mask)
            for (size_t i = 0; i < (1 + l->n_in) * n; i++)
                dw[i] = l->mask[i] ? dw[i] : 0;
    }
    if (dx)
        GEMM(0, 1, m, l->n_in, n, 1, g, WEIGHTS(l) + n, 0, dx);
}

/* Vectorised across the columns (the bias row's sums keep their order,
 * row by row). */
NN_VECTORIZE NN_CLONES
void FN(nn_layer_backward)(const nn_layer *l, size_t m, const REAL *x,
                           const REAL *g, REAL *dw, REAL *dx)
{
    size_t n = l->n_out;
    if (dw) {
        for (size_t j = 0; j < n; j++) /* the bias row: column sums of G */
            dw[j] = 0;
        for (size_t r = 0; r < m; r++)
            for (size_t j = 0; j < n; j++)
                dw[j] += g[r * n + j];
    }
    FN(layer_weights)(l, m, x, g, dw, dx);
}

/* y = the activation of z: a ReLU in one pass (nn_act_apply's rule), the
 * others on a copy. */
NN_VECTORIZE NN_CLONES
static void FN(activate)(const nn_layer *L, size_t m, const REAL *z, REAL *y)
{
    size_t N = m * L->n_out;
    if (L->act.kind == NN_ACT_RELU) {
        for (size_t i = 0; i < N; i++)
            y[i] = z[i] > 0 ? z[i] : 0;
        return;
    }
    memcpy(y, z, N * sizeof(REAL));
    FN(nn_act_apply)(&L->act, L->coef, m, L->n_out, y);
}

/* Through a ReLU (g = 0 where z <= 0) and the bias row of dw (column
 * sums of the new g, row by row as nn_layer_backward sums them) in one
 * pass; dw NULL: through the ReLU alone. */
NN_VECTORIZE NN_CLONES
static void FN(relu_bias)(size_t m, size_t n, const REAL *z, REAL *g, REAL *dw)
{
    if (dw)
        for (size_t j = 0; j < n; j++)
            dw[j] = 0;
    for (size_t r = 0; r < m; r++) {
        const REAL *zr = z + r * n;
        REAL *gr = g + r * n;
        for (size_t j = 0; j < n; j++)
            gr[j] = zr[j] > 0 ? gr[j] : 0;
        if (dw)
            for (size_t j = 0; j < n; j++)
                dw[j] += gr[j];
    }
}

static const REAL *FN(tape_forward)(nn_tape *t, const nn_net *net, size_t m,
                                    const REAL *x)
{
    const REAL *in = x;
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        size_t n = L->n_out;
        REAL *z = t->z[l], *y = t->y[l];
        double p = t->training && t->pin ? t->pin[l] : 0;
        if (p > 0) { /* inverted dropout of the layer's input */
            REAL *xd = t->xd[l], sc = (REAL)(1 / (1 - p));
            unsigned char *mk = t->mk[l];
            for (size_t i = 0; i < m * L->n_in; i++) {
                mk[i] = nn_rng_uniform(&t->rng) >= p;
                xd[i] = mk[i] ? in[i] * sc : 0;
            }
            in = xd;
        }
        t->in[l] = in;
        for (size_t r = 0; r < m; r++)
            memcpy(z + r * n, WEIGHTS(L), n * sizeof(REAL));
        GEMM(0, 0, m, n, L->n_in, 1, in, WEIGHTS(L) + n, 1, z);
        FN(activate)(L, m, z, y);
        in = y;
    }
    return t->y[net->n - 1];
}

static double FN(tape_backward)(nn_tape *t, const nn_net *net, int loss,
                                const REAL *target, REAL *const *dw,
                                double *const *dcoef)
{
    size_t m = t->m, top = net->n - 1;
    const nn_layer *out = &net->layers[top];
    REAL *cur = t->g, *next = t->g2; /* dL/dz of layer l; dL/dy below */
    double L = FN(nn_loss)(loss, &out->act, out->coef, m, out->n_out,
                           t->z[top], t->y[top], target, cur,
                           dcoef ? dcoef[top] : NULL);
    size_t lo = 0; /* the lowest layer that wants a gradient */
    while (lo < top && !dw[lo] && !(dcoef && dcoef[lo]))
        lo++;
    for (size_t l = net->n; l-- > lo;) {
        const nn_layer *ly = &net->layers[l];
        double pg = t->training && t->pgrad ? t->pgrad[l] : 0;
        if (l != top && pg > 0) { /* dropout of the gradient from above */
            REAL sc = (REAL)(1 / (1 - pg));
            for (size_t i = 0; i < m * ly->n_out; i++)
                cur[i] = nn_rng_uniform(&t->rng) >= pg ? cur[i] * sc : 0;
        }
        if (l != top && ly->act.kind == NN_ACT_RELU) {
            /* cur holds dL/dy: through the ReLU, with the bias row */
            FN(relu_bias)(m, ly->n_out, t->z[l], cur, dw[l]);
            FN(layer_weights)(ly, m, t->in[l], cur, dw[l],
                              l > lo ? next : NULL);
        } else {
            if (l != top) /* cur holds dL/dy: through the activation */
                FN(nn_act_backward)(&ly->act, ly->coef, m, ly->n_out,
                                    t->z[l], t->y[l], cur,
                                    dcoef ? dcoef[l] : NULL);
            FN(nn_layer_backward)(ly, m, t->in[l], cur, dw[l],
                                  l > lo ? next : NULL);
        }
        double p = t->training && t->pin ? t->pin[l] : 0;
        if (l > lo && p > 0) { /* through the input's dropout */
            REAL sc = (REAL)(1 / (1 - p));
            const unsigned char *mk = t->mk[l];
            for (size_t i = 0; i < m * ly->n_in; i++)
                next[i] = mk[i] ? next[i] * sc : 0;
        }
        REAL *s = cur;
        cur = next;
        next = s;
    }
    return L;
}

static double FN(tape_loss)(nn_tape *t, const nn_net *net, int loss,
                            const REAL *target)
{
    size_t top = net->n - 1;
    const nn_layer *out = &net->layers[top];
    return FN(nn_loss)(loss, &out->act, out->coef, t->m, out->n_out,
                       t->z[top], t->y[top], target, t->g, NULL);
}

#undef REAL
#undef FN
#undef GEMM
#undef WEIGHTS

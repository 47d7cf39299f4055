/* nn_loss.c — the training losses and their gradient at the output layer's
 * pre-activation (ALGORITHMS.md, nn-train; thesis ch. 4).  Reductions
 * follow PyTorch's defaults: the mean over the elements (MSE, sigmoid
 * cross-entropy, hinge) or over the rows (softmax cross-entropy and the
 * gradient-amplification heads, whose sums run over the outputs). */
#include "net/nn_net.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    int act;        /* the output activation it needs, or -1: any */
} losses[] = {
    [NN_LOSS_MSE] = {"mse", -1},
    [NN_LOSS_XENT] = {"xent", NN_ACT_SOFTMAX},
    [NN_LOSS_SIGMOID_XENT] = {"sigmoid-xent", NN_ACT_SIGMOID},
    [NN_LOSS_HINGE] = {"hinge", -1},
    [NN_LOSS_EXP_GA] = {"exp-ga", NN_ACT_EXP},
    [NN_LOSS_POW3_GA] = {"pow3-ga", NN_ACT_POW3},
};
#define NLOSSES ((int)(sizeof losses / sizeof losses[0]))

int nn_loss_parse(const char *s)
{
    for (int k = 0; k < NLOSSES; k++)
        if (strcmp(s, losses[k].name) == 0)
            return k;
    return -1;
}

const char *nn_loss_name(int loss)
{
    return loss >= 0 && loss < NLOSSES ? losses[loss].name : "?";
}

int nn_loss_default(const nn_act *out)
{
    switch (out->kind) {
    case NN_ACT_SOFTMAX: return NN_LOSS_XENT;
    case NN_ACT_SIGMOID: return NN_LOSS_SIGMOID_XENT;
    case NN_ACT_EXP: return NN_LOSS_EXP_GA;
    case NN_ACT_POW3: return NN_LOSS_POW3_GA;
    default: return NN_LOSS_MSE;
    }
}

int nn_loss_check(int loss, const nn_act *out, nn_error *e)
{
    if (loss < 0 || loss >= NLOSSES)
        return nn_fail(e, "unknown loss %d", loss);
    int need = losses[loss].act;
    if (need >= 0 && out->kind != need)
        return nn_fail(e, "the %s loss needs the %s activation on the output layer, not %s",
                       losses[loss].name, nn_act_name(need),
                       nn_act_name(out->kind));
    return 0;
}

/* log(1 + e^z) without overflow */
static double softplus(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double nn_loss_f64(int loss, const nn_act *a, const double *coef, size_t m,
                   size_t n, const double *z, const double *y,
                   const double *t, double *dz, double *dcoef)
{
    size_t N = m * n;
    double L = 0, per_el = 1.0 / ((double)m * (double)n), per_row = 1.0 / m;
    switch (loss) {
    case NN_LOSS_MSE:
        for (size_t i = 0; i < N; i++) {
            double d = y[i] - t[i];
            L += d * d;
            dz[i] = 2 * d * per_el;
        }
        nn_act_backward_f64(a, coef, m, n, z, y, dz, dcoef);
        return L * per_el;
    case NN_LOSS_HINGE: /* targets +-1: mean of max(0, 1 - t y) */
        for (size_t i = 0; i < N; i++) {
            double h = 1 - t[i] * y[i];
            L += h > 0 ? h : 0;
            dz[i] = h > 0 ? -t[i] * per_el : 0;
        }
        nn_act_backward_f64(a, coef, m, n, z, y, dz, dcoef);
        return L * per_el;
    case NN_LOSS_XENT: /* -sum_j t_j log softmax(z)_j, by log-sum-exp */
        for (size_t r = 0; r < m; r++) {
            const double *zr = z + r * n, *tr = t + r * n;
            double mx = zr[0], s = 0, ts = 0;
            for (size_t j = 1; j < n; j++)
                mx = zr[j] > mx ? zr[j] : mx;
            for (size_t j = 0; j < n; j++)
                s += exp(zr[j] - mx);
            double ls = log(s); /* log softmax_j = (z_j - max) - ls */
            for (size_t j = 0; j < n; j++) {
                L += tr[j] ? -tr[j] * ((zr[j] - mx) - ls) : 0;
                ts += tr[j];
            }
            for (size_t j = 0; j < n; j++)
                dz[r * n + j] = (exp(zr[j] - mx) / s * ts - tr[j]) * per_row;
        }
        return L * per_row;
    case NN_LOSS_SIGMOID_XENT: /* softplus(z) - t z, as BCEWithLogits */
        for (size_t i = 0; i < N; i++) {
            L += softplus(z[i]) - t[i] * z[i];
            double s = z[i] >= 0 ? 1 / (1 + exp(-z[i]))
                                 : exp(z[i]) / (1 + exp(z[i]));
            dz[i] = (s - t[i]) * per_el;
        }
        return L * per_el;
    case NN_LOSS_EXP_GA: /* sum (y - t ln y), ln y = ln alpha + z */
        for (size_t i = 0; i < N; i++) {
            L += y[i] - t[i] * (log(a->alpha) + z[i]);
            dz[i] = (y[i] - t[i]) * per_row;
        }
        return L * per_row;
    default: /* NN_LOSS_POW3_GA: sum (alpha z^4 / 4 + beta z - t z) */
        for (size_t i = 0; i < N; i++) {
            double zi = z[i];
            L += a->alpha * zi * zi * zi * zi / 4 + a->beta * zi - t[i] * zi;
            dz[i] = (y[i] - t[i]) * per_row;
        }
        return L * per_row;
    }
}

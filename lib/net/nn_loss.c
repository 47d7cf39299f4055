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

/* Softmax cross-entropy keeps a row's exponentials for the gradient when
 * the row has at most this many outputs (else computes them again). */
#define XENT_KEEP 256

/* The loss, once for each precision (nn_loss_t.h); sums in double. */
#define REAL double
#define FN(name) name##_f64
#include "net/nn_loss_t.h"
#define REAL float
#define FN(name) name##_f32
#include "net/nn_loss_t.h"

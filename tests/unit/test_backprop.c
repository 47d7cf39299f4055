/* test_backprop.c — the backward pass against central finite differences
 * in double precision: every activation's step (and the polynomial units'
 * coefficients), every loss with its head, whole networks with masks and
 * polynomial layers; the BLAS layer step against the plain loops; softmax
 * cross-entropy at logits of 1000 (Kaldi's nnet-derivative-test compares
 * the predicted change of the objective with the measured one; so does
 * this, weight by weight). */
#include "nn.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static nn_rng R;

static double *randn(size_t n, double s)
{
    double *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = s * nn_rng_normal(&R);
    return x;
}

/* sum_i g_i y_i(z) for the activation: its derivative in z_i is the
 * backward step's output. */
static double act_dot(const nn_act *a, const double *coef, size_t m, size_t n,
                      const double *z, const double *g)
{
    double *y = malloc(m * n * sizeof *y), s = 0;
    memcpy(y, z, m * n * sizeof *y);
    nn_act_apply_f64(a, coef, m, n, y);
    for (size_t i = 0; i < m * n; i++)
        s += g[i] * y[i];
    free(y);
    return s;
}

static void test_act(const char *spec)
{
    nn_act a;
    nn_error e;
    if (nn_act_parse(spec, &a, &e) < 0) {
        CHECK(0, "parse %s: %s", spec, e.msg);
        return;
    }
    size_t m = 4, n = 5, D = (size_t)a.degree + 1;
    double *z = randn(m * n, 1.2), *g = randn(m * n, 1), *coef = NULL;
    if (nn_act_is_poly(a.kind))
        coef = randn(n * D, 0.7);
    if (a.kind == NN_ACT_RELU) /* keep finite differences off the kink */
        for (size_t i = 0; i < m * n; i++)
            z[i] += z[i] > 0 ? 0.1 : -0.1;
    double *y = malloc(m * n * sizeof *y), *dz = malloc(m * n * sizeof *dz);
    double *dc = coef ? malloc(n * D * sizeof *dc) : NULL;
    memcpy(y, z, m * n * sizeof *y);
    nn_act_apply_f64(&a, coef, m, n, y);
    memcpy(dz, g, m * n * sizeof *dz);
    nn_act_backward_f64(&a, coef, m, n, z, y, dz, dc);
    double worst = 0, scale = 0, h = 1e-6;
    for (size_t i = 0; i < m * n; i++) {
        double keep = z[i];
        z[i] = keep + h;
        double up = act_dot(&a, coef, m, n, z, g);
        z[i] = keep - h;
        double down = act_dot(&a, coef, m, n, z, g);
        z[i] = keep;
        double fd = (up - down) / (2 * h);
        worst = fabs(dz[i] - fd) > worst ? fabs(dz[i] - fd) : worst;
        scale = fabs(fd) > scale ? fabs(fd) : scale;
    }
    worst /= scale > 0 ? scale : 1;
    CHECK(worst < 1e-7, "%s: dL/dz equals central differences (worst "
          "error %.2g of the largest)", spec, worst);
    if (coef) {
        worst = scale = 0;
        for (size_t i = 0; i < n * D; i++) {
            double keep = coef[i];
            coef[i] = keep + h;
            double up = act_dot(&a, coef, m, n, z, g);
            coef[i] = keep - h;
            double down = act_dot(&a, coef, m, n, z, g);
            coef[i] = keep;
            double fd = (up - down) / (2 * h);
            worst = fabs(dc[i] - fd) > worst ? fabs(dc[i] - fd) : worst;
            scale = fabs(fd) > scale ? fabs(fd) : scale;
        }
        worst /= scale > 0 ? scale : 1;
        CHECK(worst < 1e-7, "%s: dL/dcoef equals central differences "
              "(worst error %.2g of the largest)", spec, worst);
    }
    free(z), free(g), free(coef), free(y), free(dz), free(dc);
}

/* A layer with weights of scale s; mask_rho > 0: a mask with that share
 * of zeros (bias row kept). */
static void make_layer(nn_layer *l, size_t n_in, size_t n_out,
                       const char *act, double s, double mask_rho)
{
    nn_error e;
    memset(l, 0, sizeof *l);
    l->n_in = n_in;
    l->n_out = n_out;
    l->dtype = NN_F64;
    l->w = randn((1 + n_in) * n_out, s);
    nn_act_parse(act, &l->act, &e);
    if (nn_act_is_poly(l->act.kind))
        l->coef = randn(n_out * (size_t)(l->act.degree + 1), 0.5);
    if (mask_rho > 0) {
        l->mask = malloc((1 + n_in) * n_out);
        for (size_t i = 0; i < (1 + n_in) * n_out; i++) {
            l->mask[i] = i < n_out || nn_rng_uniform(&R) >= mask_rho;
            if (!l->mask[i])
                l->w[i] = 0;
        }
    }
}

/* targets for a loss: one-hot rows, 0/1, +-1 or amplified values */
static double *targets(int loss, size_t m, size_t n)
{
    double *t = calloc(m * n, sizeof *t);
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++) {
            double *v = &t[r * n + j];
            switch (loss) {
            case NN_LOSS_XENT: *v = j == r % n; break;
            case NN_LOSS_SIGMOID_XENT: *v = nn_rng_uniform(&R) < 0.5; break;
            case NN_LOSS_HINGE: *v = nn_rng_uniform(&R) < 0.5 ? -1 : 1; break;
            case NN_LOSS_EXP_GA: *v = j == r % n ? 16 : 0; break;
            case NN_LOSS_POW3_GA: *v = j == r % n ? 10 : -2; break;
            default: *v = nn_rng_normal(&R); break;
            }
        }
    return t;
}

static double net_loss(nn_tape *tp, const nn_net *net, int loss, size_t m,
                       const double *x, const double *t, double *const *dw,
                       double *const *dc)
{
    nn_tape_forward(tp, net, m, x);
    return nn_tape_backward(tp, net, loss, t, dw, dc);
}

/* Every weight and coefficient of net: the backward pass's gradient
 * against central differences of the loss. */
static void test_net(const char *what, nn_net *net, int loss)
{
    nn_error e;
    size_t m = 7, nin = net->layers[0].n_in;
    size_t nout = net->layers[net->n - 1].n_out;
    if (nn_loss_check(loss, &net->layers[net->n - 1].act, &e) < 0) {
        CHECK(0, "%s: %s", what, e.msg);
        return;
    }
    double *x = randn(m * nin, 1), *t = targets(loss, m, nout);
    double *dw[8], *dc[8], *sw[8], *sc[8];
    for (size_t l = 0; l < net->n; l++) {
        nn_layer *L = &net->layers[l];
        size_t D = (size_t)L->act.degree + 1;
        dw[l] = calloc((1 + L->n_in) * L->n_out, sizeof(double));
        sw[l] = calloc((1 + L->n_in) * L->n_out, sizeof(double));
        dc[l] = L->coef ? calloc(L->n_out * D, sizeof(double)) : NULL;
        sc[l] = L->coef ? calloc(L->n_out * D, sizeof(double)) : NULL;
    }
    nn_tape *tp = nn_tape_new(net, m, &e);
    double L0 = net_loss(tp, net, loss, m, x, t, dw, dc);
    double worst = 0, scale = 0, h = 1e-6, masked = 0;
    for (size_t l = 0; l < net->n; l++) {
        nn_layer *ly = &net->layers[l];
        size_t nw = (1 + ly->n_in) * ly->n_out;
        for (size_t i = 0; i < nw; i++) {
            if (ly->mask && !ly->mask[i]) { /* fixed at zero */
                masked += fabs(dw[l][i]);
                continue;
            }
            double keep = ly->w[i];
            ly->w[i] = keep + h;
            double up = net_loss(tp, net, loss, m, x, t, sw, sc);
            ly->w[i] = keep - h;
            double down = net_loss(tp, net, loss, m, x, t, sw, sc);
            ly->w[i] = keep;
            double fd = (up - down) / (2 * h);
            worst = fabs(dw[l][i] - fd) > worst ? fabs(dw[l][i] - fd) : worst;
            scale = fabs(fd) > scale ? fabs(fd) : scale;
        }
        if (ly->coef)
            for (size_t i = 0; i < ly->n_out * (size_t)(ly->act.degree + 1);
                 i++) {
                double keep = ly->coef[i];
                ly->coef[i] = keep + h;
                double up = net_loss(tp, net, loss, m, x, t, sw, sc);
                ly->coef[i] = keep - h;
                double down = net_loss(tp, net, loss, m, x, t, sw, sc);
                ly->coef[i] = keep;
                double fd = (up - down) / (2 * h);
                worst = fabs(dc[l][i] - fd) > worst ? fabs(dc[l][i] - fd) : worst;
                scale = fabs(fd) > scale ? fabs(fd) : scale;
            }
    }
    worst /= scale > 0 ? scale : 1;
    CHECK(isfinite(L0) && worst < 1e-7 && masked == 0,
          "%s: every gradient equals central differences of the %s loss "
          "(loss %.4g, worst error %.2g of the largest%s)", what,
          nn_loss_name(loss), L0, worst, masked ? ", masked not 0" : "");
    nn_tape_free(tp);
    for (size_t l = 0; l < net->n; l++)
        free(dw[l]), free(sw[l]), free(dc[l]), free(sc[l]);
    free(x), free(t);
}

static void net_of(nn_net *net, nn_layer *ls, size_t n)
{
    net->layers = ls;
    net->n = n;
}

static void free_layers(nn_layer *ls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ls[i].w), free(ls[i].mask), free(ls[i].coef);
}

int main(void)
{
    nn_rng_seed(&R, 11);
    const char *acts[] = {"identity", "relu", "tanh", "sigmoid", "celu:0.7",
                          "softmax", "exp:0.1", "pow3:0.001:0.4",
                          "legendre:4", "chebyshev:3", "laguerre:3",
                          "hermite:3"};
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++)
        test_act(acts[i]);

    /* every loss with its head, on a 6-5-4-3 net with a masked layer and
     * a polynomial one */
    struct { int loss; const char *head; } cases[] = {
        {NN_LOSS_MSE, "identity"},      {NN_LOSS_MSE, "tanh"},
        {NN_LOSS_MSE, "legendre:3"},    {NN_LOSS_XENT, "softmax"},
        {NN_LOSS_SIGMOID_XENT, "sigmoid"}, {NN_LOSS_HINGE, "identity"},
        {NN_LOSS_EXP_GA, "exp:0.1"},    {NN_LOSS_POW3_GA, "pow3:0.001:0.4"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        nn_layer ls[3];
        make_layer(&ls[0], 6, 5, "tanh", 0.5, 0.3);
        make_layer(&ls[1], 5, 4, "chebyshev:2", 0.4, 0);
        make_layer(&ls[2], 4, 3, cases[c].head, 0.6, 0);
        nn_net net;
        net_of(&net, ls, 3);
        char what[96];
        snprintf(what, sizeof what, "tanh(masked)-chebyshev-%s",
                 cases[c].head);
        test_net(what, &net, cases[c].loss);
        free_layers(ls, 3);
    }
    {
        nn_layer ls[3];
        make_layer(&ls[0], 5, 6, "celu:1", 0.5, 0);
        make_layer(&ls[1], 6, 6, "sigmoid", 0.5, 0.5);
        make_layer(&ls[2], 6, 4, "softmax", 0.5, 0);
        nn_net net;
        net_of(&net, ls, 3);
        test_net("celu-sigmoid(masked)-softmax", &net, NN_LOSS_XENT);
        free_layers(ls, 3);
    }

    /* the BLAS layer step against the loops, with a mask */
    {
        nn_layer l;
        make_layer(&l, 9, 7, "relu", 1, 0.4);
        size_t m = 13;
        double *x = randn(m * 9, 1), *g = randn(m * 7, 1);
        double *dw = malloc(10 * 7 * sizeof *dw), *dw2 = malloc(10 * 7 * sizeof *dw2);
        double *dx = malloc(m * 9 * sizeof *dx), *dx2 = malloc(m * 9 * sizeof *dx2);
        nn_layer_backward_f64(&l, m, x, g, dw, dx);
        nn_layer_backward_ref(&l, m, x, g, dw2, dx2);
        double d1 = max_abs_diff(dw, dw2, 70), d2 = max_abs_diff(dx, dx2, m * 9);
        CHECK(d1 < 1e-12 && d2 < 1e-12, "layer backward: BLAS equals the "
              "loops (max diff dW %.2g, dX %.2g)", d1, d2);
        free(x), free(g), free(dw), free(dw2), free(dx), free(dx2);
        free_layers(&l, 1);
    }

    /* softmax cross-entropy at logits of 1000: finite, y - t */
    {
        nn_act a;
        nn_error e;
        nn_act_parse("softmax", &a, &e);
        double z[3] = {1000, -1000, 999}, y[3], t[3] = {0, 0, 1}, dz[3];
        memcpy(y, z, sizeof y);
        nn_act_apply_f64(&a, NULL, 1, 3, y);
        double L = nn_loss_f64(NN_LOSS_XENT, &a, NULL, 1, 3, z, y, t, dz, NULL);
        double want = log(1 + exp(-1.0)) + 1; /* lse - z_2 */
        CHECK(isfinite(L) && fabs(L - want) < 1e-15 && fabs(dz[0] - y[0]) < 1e-15 &&
              fabs(dz[2] - (y[2] - 1)) < 1e-15 && dz[1] == 0,
              "softmax cross-entropy at logits 1000: %.17g (want %.17g), "
              "dz = y - t", L, want);
    }

    /* defaults and checks */
    {
        nn_act a;
        nn_error e;
        nn_act_parse("softmax", &a, &e);
        CHECK(nn_loss_default(&a) == NN_LOSS_XENT, "softmax -> xent");
        nn_act_parse("relu", &a, &e);
        CHECK(nn_loss_default(&a) == NN_LOSS_MSE, "relu -> mse");
        CHECK(nn_loss_check(NN_LOSS_EXP_GA, &a, &e) < 0 &&
                  strstr(e.msg, "needs the exp activation"),
              "exp-ga refuses a relu head (%s)", e.msg);
        for (int k = NN_LOSS_MSE; k <= NN_LOSS_POW3_GA; k++)
            CHECK(nn_loss_parse(nn_loss_name(k)) == k, "loss name %s round trip",
                  nn_loss_name(k));
        CHECK(nn_loss_parse("nll") < 0, "unknown loss refused");
    }
    return check_status();
}

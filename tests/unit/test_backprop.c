/* test_backprop.c — the backward pass against central finite differences
 * in double precision: every activation's step (and the polynomial units'
 * coefficients), every loss with its head, whole networks with masks and
 * polynomial layers; the BLAS layer step against the plain loops; softmax
 * cross-entropy at logits of 1000 (Kaldi's nnet-derivative-test compares
 * the predicted change of the objective with the measured one; so does
 * this, weight by weight); nn_grad_mean_square against a plain loop.
 *
 * NN_GRAD_DUMP=FILE also writes every network case to FILE, an NNS stream
 * in f64, for the independent reference tests/ref/backprop_torch.py
 * (PyTorch autograd; tests/cli/backprop-torch.sh), and adds cases that
 * give every activation as a hidden and as the output layer.  Per case K:
 * the layers as a network stream writes them (nn_layer_write: "w" with
 * attributes case=K, layer=L and the activation's, then its "mask" and
 * "coef", which belong to the "w" before them), "x" (what=the case's
 * name), "t", "loss" (rank 0, loss=NAME), and for each layer L "dw" and,
 * for polynomial units, "dcoef", all with case=K (and layer=L). */
#include "nn.h"
#include "check.h"
#include "testnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int soft_targets;    /* xent: rows of probabilities, not one-hot */

static nn_writer *dump;     /* NN_GRAD_DUMP's stream, or NULL */
static int dump_cases, dump_failed;
static nn_error dump_err;

/* One f64 record of the dump, rank 0 (a scalar) or 2 (r,c), with attrs
 * "case=K\n" and extra ("key=value\n" lines, or ""). */
static void dump_put(const char *name, const char *extra, int rank, size_t r,
                     size_t c, const double *v)
{
    char attrs[256];
    snprintf(attrs, sizeof attrs, "case=%d\n%s", dump_cases, extra);
    nn_header h = {.name = name, .dtype = NN_F64, .rank = rank,
                   .dims = {r, c}, .attrs = attrs};
    if (!dump_failed && nn_writer_put(dump, &h, v, &dump_err) < 0)
        dump_failed = 1;
}

/* The case: net's layers, x (m,n_in), t (m,n_out), the loss L and the
 * gradients dw[l], dc[l]. */
static void dump_net(const char *what, nn_net *net, int loss, size_t m,
                     const double *x, const double *t, double L,
                     double *const *dw, double *const *dc)
{
    char extra[160];
    for (size_t l = 0; l < net->n && !dump_failed; l++) {
        nn_layer *ly = &net->layers[l];
        char *keep = ly->attrs;
        snprintf(extra, sizeof extra, "case=%d\nlayer=%zu\n", dump_cases, l);
        if (!(ly->attrs = nn_act_to_attrs(&ly->act, extra))) {
            nn_fail(&dump_err, "out of memory");
            dump_failed = 1;
        } else if (nn_layer_write(dump, ly, NN_F64, &dump_err) < 0) {
            dump_failed = 1;
        }
        free(ly->attrs);
        ly->attrs = keep;
    }
    size_t nin = net->layers[0].n_in, nout = net->layers[net->n - 1].n_out;
    snprintf(extra, sizeof extra, "what=%s\n", what);
    dump_put("x", extra, 2, m, nin, x);
    dump_put("t", "", 2, m, nout, t);
    snprintf(extra, sizeof extra, "loss=%s\n", nn_loss_name(loss));
    dump_put("loss", extra, 0, 0, 0, &L);
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *ly = &net->layers[l];
        snprintf(extra, sizeof extra, "layer=%zu\n", l);
        dump_put("dw", extra, 2, 1 + ly->n_in, ly->n_out, dw[l]);
        if (ly->coef)
            dump_put("dcoef", extra, 2, ly->n_out,
                     (size_t)ly->act.degree + 1, dc[l]);
    }
    dump_cases++;
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

/* targets for a loss: one-hot rows, 0/1, +-1 or amplified values */
static double *targets(int loss, size_t m, size_t n)
{
    double *t = calloc(m * n, sizeof *t);
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++) {
            double *v = &t[r * n + j];
            switch (loss) {
            case NN_LOSS_XENT:
                *v = soft_targets ? nn_rng_uniform(&R) : j == r % n;
                break;
            case NN_LOSS_SIGMOID_XENT: *v = nn_rng_uniform(&R) < 0.5; break;
            case NN_LOSS_HINGE: *v = nn_rng_uniform(&R) < 0.5 ? -1 : 1; break;
            case NN_LOSS_EXP_GA: *v = j == r % n ? 16 : 0; break;
            case NN_LOSS_POW3_GA: *v = j == r % n ? 10 : -2; break;
            default: *v = nn_rng_normal(&R); break;
            }
        }
    if (loss == NN_LOSS_XENT && soft_targets)
        for (size_t r = 0; r < m; r++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                s += t[r * n + j];
            for (size_t j = 0; j < n; j++)
                t[r * n + j] /= s;
        }
    return t;
}

/* Dropout of the second layer's input in test_net, the same masks in
 * every pass (the tape's draws reseeded), so that the loss is a function
 * of the weights and central differences apply. */
static double test_dropout;

static double net_loss(nn_tape *tp, nn_net *net, int loss, size_t m,
                       const double *x, const double *t, double *const *dw,
                       double *const *dc)
{
    if (test_dropout > 0)
        nn_tape_training(tp, 1, 42);
    nn_tape_run(tp, net, m, x, NULL);
    return nn_tape_grad(tp, net, loss, t, (void *const *)dw, dc);
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
    nn_tape *tp = nn_tape_open(net, m, NN_F64, &e);
    if (test_dropout > 0 && nn_tape_dropout(tp, net, 1, test_dropout, 0, &e) < 0)
        CHECK(0, "%s: %s", what, e.msg);
    double L0 = net_loss(tp, net, loss, m, x, t, dw, dc);
    if (dump && test_dropout == 0)
        dump_net(what, net, loss, m, x, t, L0, dw, dc);
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

/* nn_grad_mean_square against a plain loop, for odd lengths (the
 * partial sums' remainder) in both precisions. */
static void test_mean_square(void)
{
    size_t ns[] = {1, 7, 8, 9, 1001};
    for (size_t c = 0; c < sizeof ns / sizeof *ns; c++) {
        size_t n = ns[c];
        float *f = malloc(n * sizeof *f);
        double *d = randn(n, 1), sf = 0, sd = 0;
        for (size_t i = 0; i < n; i++) {
            f[i] = (float)d[i];
            sf += (double)f[i] * f[i];
            sd += d[i] * d[i];
        }
        double mf = nn_grad_mean_square(f, NN_F32, n);
        double md = nn_grad_mean_square(d, NN_F64, n);
        CHECK(fabs(mf - sf / n) <= 1e-13 * sf / n &&
                  fabs(md - sd / n) <= 1e-13 * sd / n,
              "mean square of %zu values: f32 %.17g (plain %.17g), f64 %.17g "
              "(plain %.17g)", n, mf, sf / n, md, sd / n);
        free(f);
        free(d);
    }
}

int main(void)
{
    nn_rng_seed(&R, 11);
    const char *dump_path = getenv("NN_GRAD_DUMP");
    if (dump_path && *dump_path &&
        !(dump = nn_writer_open(dump_path, 1, &dump_err))) {
        CHECK(0, "NN_GRAD_DUMP: %s", dump_err.msg);
        return check_status();
    }
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
        test_dropout = 0.5;
        test_net("celu-sigmoid(masked, its input dropped at 0.5)-softmax", &net,
                 NN_LOSS_XENT);
        test_dropout = 0;
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

    /* for the reference only, and last, so that the checks above draw
     * the same numbers with or without the dump: every activation as a
     * masked hidden layer and as the output layer under its default loss;
     * the losses on heads that are not their own; xent with targets that
     * are not one-hot */
    if (dump) {
        const char *every[] = {"identity", "relu", "tanh", "sigmoid",
                               "celu:1.5", "softmax", "exp:0.3",
                               "pow3:0.01:0.2", "legendre:4", "chebyshev:3",
                               "laguerre:3", "hermite:3"};
        for (size_t i = 0; i < sizeof every / sizeof *every; i++) {
            nn_layer ls[2];
            make_layer(&ls[0], 4, 5, every[i], 0.5, 0.3);
            make_layer(&ls[1], 5, 3, every[i], 0.5, 0);
            nn_net net;
            net_of(&net, ls, 2);
            char what[96];
            snprintf(what, sizeof what, "%s(masked)-%s", every[i], every[i]);
            test_net(what, &net, nn_loss_default(&ls[1].act));
            free_layers(ls, 2);
        }
        struct { int loss; const char *hidden, *head; int soft; } more[] = {
            {NN_LOSS_MSE, "relu", "softmax", 0},
            {NN_LOSS_MSE, "laguerre:3", "sigmoid", 0},
            {NN_LOSS_MSE, "hermite:2", "exp:0.3", 0},
            {NN_LOSS_MSE, "celu:0.5", "pow3:0.01:0.2", 0},
            {NN_LOSS_MSE, "softmax", "relu", 0},
            {NN_LOSS_HINGE, "sigmoid", "laguerre:3", 0},
            {NN_LOSS_HINGE, "exp:0.2", "tanh", 0},
            {NN_LOSS_XENT, "pow3:0.1:0.1", "softmax", 0},
            {NN_LOSS_XENT, "legendre:2", "softmax", 1},
            {NN_LOSS_SIGMOID_XENT, "hermite:3", "sigmoid", 0},
        };
        for (size_t c = 0; c < sizeof more / sizeof *more; c++) {
            soft_targets = more[c].soft;
            nn_layer ls[3];
            make_layer(&ls[0], 6, 5, "tanh", 0.5, 0.4);
            make_layer(&ls[1], 5, 4, more[c].hidden, 0.5, 0.3);
            make_layer(&ls[2], 4, 3, more[c].head, 0.6, 0);
            nn_net net;
            net_of(&net, ls, 3);
            char what[96];
            snprintf(what, sizeof what, "tanh(masked)-%s(masked)-%s%s",
                     more[c].hidden, more[c].head,
                     more[c].soft ? " (probability targets)" : "");
            test_net(what, &net, more[c].loss);
            free_layers(ls, 3);
        }
        soft_targets = 0;
        if (!dump_failed && nn_writer_close(dump, 1, &dump_err) < 0)
            dump_failed = 1;
        else if (dump_failed)
            nn_writer_close(dump, 0, NULL);
        CHECK(!dump_failed, "NN_GRAD_DUMP: %d cases written to %s%s%s",
              dump_cases, dump_path, dump_failed ? ": " : "",
              dump_failed ? dump_err.msg : "");
    }
    test_mean_square();
    return check_status();
}

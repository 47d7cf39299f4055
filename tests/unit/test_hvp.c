/* test_hvp.c — the exact Hessian-vector products of nn_hvp.c: against
 * central differences of the gradient along v (every activation hidden
 * and at the output, every loss with its head, masks, polynomial units
 * and their coefficients), u.Hv = v.Hu (the Hessian is symmetric), the
 * gradient against the backward pass of nn_backprop, a masked weight's
 * row of Hv zero, and a product over two blocks equal to one over their
 * rows together; the single-precision products, loss and gradient
 * against the double ones on the same weights and data (relative error
 * within F32_TOL).  The comparison with PyTorch's hessian is
 * tests/cli/hessian-torch.sh. */
#include "nn.h"
#include "check.h"
#include "testnet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *targets(int loss, size_t m, size_t n)
{
    double *t = calloc(m * n, sizeof *t);
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++) {
            double *v = &t[r * n + j];
            switch (loss) {
            case NN_LOSS_XENT: *v = j == r % n; break;
            case NN_LOSS_SIGMOID_XENT: *v = nn_rng_uniform(&R) < 0.5; break;
            case NN_LOSS_HINGE: *v = nn_rng_uniform(&R) < 0.5 ? -3 : 3; break;
            case NN_LOSS_EXP_GA: *v = j == r % n ? 16 : 0; break;
            case NN_LOSS_POW3_GA: *v = j == r % n ? 10 : -2; break;
            default: *v = nn_rng_normal(&R); break;
            }
        }
    return t;
}

/* The worst relative error allowed of the f32 path against the f64 one,
 * as the largest |difference| over the largest |f64 value|: f32 rounds
 * at 6e-8, and the products go through three passes of sums over a few
 * terms (measured: at most 2e-6 here, exp units).  Not 0 either: the
 * passes are single precision indeed. */
#define F32_TOL 2e-5

static double rel_err(const double *a, const double *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs(a[i] - b[i]));
        s = fmax(s, fabs(b[i]));
    }
    return s > 0 ? d / s : d;
}

/* The products, the loss and the gradient in single precision against
 * the double ones (hv64 = H v, g64 and L64 over x and t). */
static void test_f32(const char *what, nn_net *net, int loss, size_t m,
                     const double *x, const double *t, const double *v,
                     const double *hv64, const double *g64, double L64)
{
    nn_error e;
    size_t nin = net->layers[0].n_in, nout = net->layers[net->n - 1].n_out;
    size_t np = nn_net_nparams(net);
    nn_hvp *h = nn_hvp_open(net, loss, m, 1, NN_F32, &e);
    if (!h) {
        CHECK(0, "%s, f32: %s", what, e.msg);
        return;
    }
    float *xf = malloc(m * nin * sizeof *xf), *tf = malloc(m * nout * sizeof *tf);
    double *g = calloc(np, sizeof *g), *hv = calloc(np, sizeof *hv);
    nn_convert(xf, NN_F32, x, NN_F64, m * nin);
    nn_convert(tf, NN_F32, t, NN_F64, m * nout);
    double L = nn_hvp_load(h, net, 0, m, xf, tf, 1, g);
    nn_hvp_apply(h, net, 0, v, 1, hv);
    double eh = rel_err(hv, hv64, np), eg = rel_err(g, g64, np);
    double el = fabs(L - L64) / fmax(fabs(L64), 1e-300);
    CHECK(nn_hvp_dtype(h) == NN_F32 && eh < F32_TOL && eg < F32_TOL &&
          el < F32_TOL && eh > 1e-12,
          "%s, %s loss, f32: Hv, the gradient and the loss within %.0e of "
          "f64's (%.2g, %.2g, %.2g)", what, nn_loss_name(loss), F32_TOL, eh,
          eg, el);
    free(xf), free(tf), free(g), free(hv);
    nn_hvp_free(h);
}

/* The gradient at theta over the block (a fresh slot each time). */
static void grad_at(nn_hvp *h, nn_net *net, const double *theta, size_t m,
                    const double *x, const double *t, double *g, size_t np)
{
    nn_net_params_set(net, theta);
    memset(g, 0, np * sizeof *g);
    nn_hvp_load(h, net, 0, m, x, t, 1, g);
}

static void test_net(const char *what, nn_net *net, int loss)
{
    nn_error e;
    size_t m = 6, nin = net->layers[0].n_in;
    size_t nout = net->layers[net->n - 1].n_out, np = nn_net_nparams(net);
    nn_hvp *h = nn_hvp_open(net, loss, m, 2, NN_F64, &e);
    if (!h) {
        CHECK(0, "%s: %s", what, e.msg);
        return;
    }
    double *x = randn(m * nin, 1), *t = targets(loss, m, nout);
    double *theta = malloc(np * sizeof *theta), *th = malloc(np * sizeof *th);
    double *v = randn(np, 1), *u = randn(np, 1);
    double *hv = calloc(np, sizeof *hv), *hu = calloc(np, sizeof *hu);
    double *gp = malloc(np * sizeof *gp), *gm = malloc(np * sizeof *gm);
    unsigned char *on = malloc(np);
    nn_net_params_get(net, theta);
    nn_net_params_free(net, on);
    for (size_t i = 0; i < np; i++) /* directions in the trained space */
        if (!on[i])
            v[i] = u[i] = 0;
    double eps = 1e-5;
    for (size_t i = 0; i < np; i++)
        th[i] = theta[i] + eps * v[i];
    grad_at(h, net, th, m, x, t, gp, np);
    for (size_t i = 0; i < np; i++)
        th[i] = theta[i] - eps * v[i];
    grad_at(h, net, th, m, x, t, gm, np);
    nn_net_params_set(net, theta);
    double *g = calloc(np, sizeof *g);
    double L = nn_hvp_load(h, net, 1, m, x, t, 1, g);
    nn_hvp_apply(h, net, 1, v, 1, hv);
    nn_hvp_apply(h, net, 1, u, 1, hu);
    double worst = 0, scale = 0, masked = 0, uhv = 0, vhu = 0;
    for (size_t i = 0; i < np; i++) {
        double fd = (gp[i] - gm[i]) / (2 * eps);
        worst = fabs(fd - hv[i]) > worst ? fabs(fd - hv[i]) : worst;
        scale = fabs(fd) > scale ? fabs(fd) : scale;
        masked += on[i] ? 0 : fabs(hv[i]);
        uhv += u[i] * hv[i];
        vhu += v[i] * hu[i];
    }
    worst /= scale > 0 ? scale : 1;
    double asym = fabs(uhv - vhu) / (fabs(uhv) + fabs(vhu) + 1e-300);
    CHECK(scale > 0 && worst < 1e-6 && masked == 0 && asym < 1e-10,
          "%s, %s loss: Hv equals central differences of the gradient "
          "(worst %.2g of the largest), u.Hv = v.Hu (%.2g relative)%s",
          what, nn_loss_name(loss), worst, asym,
          masked ? ", masked rows not 0" : "");
    test_f32(what, net, loss, m, x, t, v, hv, g, L);
    free(g), free(x), free(t), free(theta), free(th), free(v), free(u), free(hv);
    free(hu), free(gp), free(gm), free(on);
    nn_hvp_free(h);
}

/* The gradient of nn_hvp_load against the tape's backward pass, and a
 * product over two blocks of m/2 rows (scaled by their share) against
 * one over all m. */
static void test_blocks(nn_net *net, int loss)
{
    nn_error e;
    size_t m = 8, nin = net->layers[0].n_in;
    size_t nout = net->layers[net->n - 1].n_out, np = nn_net_nparams(net);
    double *x = randn(m * nin, 1), *t = targets(loss, m, nout);
    double *g = calloc(np, sizeof *g), *v = randn(np, 1);
    double *h1 = calloc(np, sizeof *h1), *h2 = calloc(np, sizeof *h2);
    nn_hvp *h = nn_hvp_open(net, loss, m, 2, NN_F64, &e);
    double L = nn_hvp_load(h, net, 0, m, x, t, 1, g);
    nn_hvp_apply(h, net, 0, v, 1, h1);
    nn_hvp_load(h, net, 0, m / 2, x, t, 0.5, NULL);
    nn_hvp_load(h, net, 1, m / 2, x + m / 2 * nin, t + m / 2 * nout, 0.5,
                NULL);
    nn_hvp_apply(h, net, 0, v, 0.5, h2);
    nn_hvp_apply(h, net, 1, v, 0.5, h2);
    double *dw[8];
    nn_tape *tp = nn_tape_open(net, m, NN_F64, &e);
    for (size_t l = 0; l < net->n; l++)
        dw[l] = calloc((1 + net->layers[l].n_in) * net->layers[l].n_out,
                       sizeof(double));
    nn_tape_run(tp, net, m, x, &e);
    double L2 = nn_tape_grad(tp, net, loss, t, (void *const *)dw, NULL);
    double gd = 0, gs = 0;
    for (size_t l = 0; l < net->n; l++) {
        size_t o = nn_net_param_offset(net, l);
        for (size_t i = 0; i < (1 + net->layers[l].n_in) * net->layers[l].n_out; i++) {
            gd = fmax(gd, fabs(g[o + i] - dw[l][i]));
            gs = fmax(gs, fabs(dw[l][i]));
        }
        free(dw[l]);
    }
    CHECK(fabs(L - L2) <= 1e-12 * fabs(L2) && gd <= 1e-12 * gs,
          "the loss and gradient of nn_hvp_load equal the tape's (%.2g)",
          gd / gs);
    double d = max_abs_diff(h1, h2, np), s = 0;
    for (size_t i = 0; i < np; i++)
        s = fmax(s, fabs(h1[i]));
    CHECK(d <= 1e-12 * s, "Hv over two blocks of half the rows, each "
          "scaled by 1/2, equals Hv over all the rows (%.2g)", d / s);
    nn_tape_free(tp);
    nn_hvp_free(h);
    free(x), free(t), free(g), free(v), free(h1), free(h2);
}

static void free_net(nn_net *net)
{
    for (size_t l = 0; l < net->n; l++) {
        free(net->layers[l].w);
        free(net->layers[l].mask);
        free(net->layers[l].coef);
        free(net->layers[l].wf);
    }
}

static void run(const char *what, const char *hid, const char *out,
                int loss, double rho)
{
    nn_layer ls[3];
    nn_net net = {ls, 3};
    make_layer(&ls[0], 5, 4, hid, 0.6, rho);
    make_layer(&ls[1], 4, 4, hid, 0.6, 0);
    make_layer(&ls[2], 4, 3, out, 0.6, rho);
    test_net(what, &net, loss);
    free_net(&net);
}

int main(void)
{
    nn_rng_seed(&R, 7);
    const char *hidden[] = {"identity", "relu", "tanh", "sigmoid",
                            "celu:0.7", "softmax", "exp", "pow3:0.1:0.2",
                            "legendre:3", "chebyshev:3", "laguerre:3",
                            "hermite:3"};
    for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++)
        run(hidden[i], hidden[i], "identity", NN_LOSS_MSE, 0);
    const char *outs[] = {"identity", "tanh", "sigmoid", "relu", "softmax",
                          "legendre:2", "hermite:3"};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        run(outs[i], "tanh", outs[i], NN_LOSS_MSE, 0);
    run("tanh, softmax head", "tanh", "softmax", NN_LOSS_XENT, 0);
    run("relu, softmax head", "relu", "softmax", NN_LOSS_XENT, 0);
    run("tanh, sigmoid head", "tanh", "sigmoid", NN_LOSS_SIGMOID_XENT, 0);
    run("tanh, tanh head", "tanh", "tanh", NN_LOSS_HINGE, 0);
    run("celu, identity head", "celu", "identity", NN_LOSS_HINGE, 0);
    run("tanh, exp head", "tanh", "exp", NN_LOSS_EXP_GA, 0);
    run("tanh, pow3 head", "tanh", "pow3", NN_LOSS_POW3_GA, 0);
    run("masked tanh", "tanh", "softmax", NN_LOSS_XENT, 0.4);
    run("masked legendre", "legendre:2", "identity", NN_LOSS_MSE, 0.4);

    nn_layer ls[2];
    nn_net net = {ls, 2};
    make_layer(&ls[0], 5, 6, "tanh", 0.6, 0.3);
    make_layer(&ls[1], 6, 3, "softmax", 0.6, 0);
    test_blocks(&net, NN_LOSS_XENT);
    free_net(&net);

    nn_error e;
    make_layer(&ls[0], 5, 6, "tanh", 0.6, 0);
    make_layer(&ls[1], 6, 3, "identity", 0.6, 0);
    CHECK(!nn_hvp_open(&net, NN_LOSS_XENT, 4, 1, NN_F64, &e) && *e.msg,
          "xent on an identity head is refused: %s", e.msg);
    free_net(&net);
    return check_status();
}

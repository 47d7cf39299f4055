/* testnet.h — random layers for the unit tests of the backward pass and
 * of Hessian-vector products (test_backprop.c, test_hvp.c): normal
 * deviates and a layer of an activation, weights of a scale and
 * optionally a fixed mask, all drawn from the test's generator R. */
#ifndef TESTNET_H
#define TESTNET_H

#include "nn.h"

#include <stdlib.h>
#include <string.h>

static nn_rng R;

/* n deviates N(0, s^2) (malloc'd). */
static double *randn(size_t n, double s)
{
    double *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = s * nn_rng_normal(&R);
    return x;
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

#endif

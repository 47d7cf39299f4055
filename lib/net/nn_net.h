/* nn_net.h — layer 2 of libnn: networks as streams of layers,
 * activations, initialisation, the forward pass.  Depends on base,
 * stream and linalg. */
#ifndef NN_NET_H
#define NN_NET_H

#include "base/nn_base.h"
#include "stream/nn_stream.h"
#include "linalg/nn_linalg.h"

/* ---------------------------------------------------------------- networks
 * (nn_net.c; activations nn_act.c, initial weights nn_init.c)
 * A network is a stream of layers (formats/nns.md, section "Networks"):
 * each layer is a record "w" (1+n_in, n_out), f32 or f64, whose first row
 * is the bias and whose attributes name the activation, optionally
 * followed by a record "mask" (u8, the shape of w) and, for polynomial
 * units, a record "coef" (n_out, degree+1).  `cat a.nns b.nns` of two
 * networks whose widths match is the composed network. */

typedef enum nn_act_kind {
    NN_ACT_IDENTITY, NN_ACT_RELU, NN_ACT_TANH, NN_ACT_SIGMOID, NN_ACT_CELU,
    NN_ACT_SOFTMAX, NN_ACT_EXP, NN_ACT_POW3, NN_ACT_LEGENDRE,
    NN_ACT_CHEBYSHEV, NN_ACT_LAGUERRE, NN_ACT_HERMITE
} nn_act_kind;

/* An activation and its parameters: celu alpha (1); the output heads
 * exp, y = alpha e^x (alpha 0.1), and pow3, y = alpha x^3 + beta (alpha
 * 0.001, beta 0.4); polynomial units of a degree, whose output is
 * sum_i coef[i] phi_i(x) over the basis phi_0..phi_degree. */
typedef struct nn_act {
    int kind;
    double alpha, beta;
    int degree;
} nn_act;

/* Parses "relu", "celu:0.5", "legendre:4", "exp:0.1", "pow3:0.001:0.4";
 * parameters left out take their defaults. */
int nn_act_parse(const char *s, nn_act *a, nn_error *e);
/* The activation of a weight record's attributes: activation=NAME, with
 * alpha, beta or degree where the kind takes them (defaults otherwise);
 * identity when there is no activation key. */
int nn_act_from_attrs(const char *attrs, nn_act *a, nn_error *e);
/* attrs with the activation keys set from a and stale ones removed, the
 * others kept; newly allocated, NULL when out of memory. */
char *nn_act_to_attrs(const nn_act *a, const char *attrs);
/* The activation's name ("relu", ...). */
const char *nn_act_name(int kind);
int nn_act_is_poly(int kind);
/* Applies a to z (m,n) in place; coef (n, degree+1) for polynomial units
 * (NULL otherwise).  Softmax works on each row. */
void nn_act_apply_f32(const nn_act *a, const double *coef, size_t m,
                      size_t n, float *z);
void nn_act_apply_f64(const nn_act *a, const double *coef, size_t m,
                      size_t n, double *z);
/* The basis phi_0..phi_degree of a polynomial kind at x, by the three-term
 * recurrence, into phi (degree+1). */
void nn_poly_basis(int kind, int degree, double x, double *phi);

typedef struct nn_layer {
    size_t n_in, n_out;
    int dtype;              /* of the weights as stored, f32 or f64 */
    double *w;              /* (1+n_in, n_out), row 0 the bias; masked */
    unsigned char *mask;    /* (1+n_in, n_out) of 0/1, or NULL */
    double *coef;           /* (n_out, degree+1) for polynomial units */
    nn_act act;
    char *attrs;            /* of the "w" record, with the activation keys */
    float *wf;              /* w in single precision, made on demand */
} nn_layer;

typedef struct nn_net {
    nn_layer *layers;
    size_t n;
} nn_net;

/* Reads every record of r as layers (chunks joined); fails on a record
 * that is not part of a layer, on shapes that do not chain, on a mask
 * that is not 0/1 or coefficients of the wrong shape. */
int nn_net_read(nn_reader *r, nn_net *net, nn_error *e);
/* Opens path and reads it whole. */
int nn_net_load(const char *path, nn_net *net, nn_error *e);
/* Writes layer l: "w" in dtype (f32/f64) with l->attrs, then "mask" and
 * "coef" if present. */
int nn_layer_write(nn_writer *w, const nn_layer *l, int dtype, nn_error *e);
/* Applies the mask to the weights (w <- w * mask). */
void nn_layer_apply_mask(nn_layer *l);
void nn_net_free(nn_net *net);

/* Initial weights (nn_init.c): drawn from a generator, so the functions
 * are named for what they draw (nn_weights_draw, nn_mask_draw); the
 * schemes are named as nn_act's activations are (nn_scheme_parse,
 * nn_scheme_name).  Schemes: */
enum {
    NN_INIT_HE_NORMAL, NN_INIT_HE_UNIFORM, NN_INIT_GLOROT_NORMAL,
    NN_INIT_GLOROT_UNIFORM, NN_INIT_NORMAL, NN_INIT_UNIFORM,
    NN_INIT_ORTHOGONAL, NN_INIT_BANDLIMITED, NN_INIT_SPHERE, NN_INIT_ZEROS
};
/* The scheme of a name ("he-normal", ...), or -1. */
int nn_scheme_parse(const char *name);
const char *nn_scheme_name(int scheme);
/* Fills l->w ((1+n_in, n_out), allocated here) by the scheme, scaled by
 * gain; biases zero except for bandlimited, whose (bias, weights) of each
 * unit are uniform in the box [-gain, gain] or, with ball, in the ball of
 * radius gain.  Draws from g in a fixed order: the weights row by row,
 * then the biases (ball: unit by unit, the direction then the radius). */
int nn_weights_draw(nn_layer *l, int scheme, double gain, int ball,
                    nn_rng *g, nn_error *e);
/* Draws l->mask: weight entries 0 with probability rho, the bias row all
 * 1, redrawing any column that is all zero or repeats an earlier one, so
 * the columns are non-zero and pairwise distinct.  Fails when n_out such
 * columns cannot exist or cannot be found. */
int nn_mask_draw(nn_layer *l, double rho, nn_rng *g, nn_error *e);

/* Runs layer l on m rows: out (m,n_out) = act([1 in] W), in (m,n_in).
 * Single precision through sgemm, double through dgemm. */
int nn_layer_forward_f32(nn_layer *l, size_t m, const float *in, float *out,
                         nn_error *e);
void nn_layer_forward_f64(const nn_layer *l, size_t m, const double *in,
                          double *out);


#endif

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
/* The same basis and its derivatives phi' (degree+1), by the recurrence
 * differentiated term by term. */
void nn_poly_basis_deriv(int kind, int degree, double x, double *phi,
                         double *dphi);
/* The backward step of a: g (m,n) holds dL/dy on entry and dL/dz on
 * return, for z the pre-activation and y = a(z) (both (m,n)).  Polynomial
 * units also give dcoef (n, degree+1) = dL/dcoef, when dcoef is non-NULL
 * (coef as for nn_act_apply_f64). */
void nn_act_backward_f64(const nn_act *a, const double *coef, size_t m,
                         size_t n, const double *z, const double *y,
                         double *g, double *dcoef);
void nn_act_backward_f32(const nn_act *a, const double *coef, size_t m,
                         size_t n, const float *z, const float *y, float *g,
                         double *dcoef);

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
/* Streams of networks (formats/nns.md, "Streams of networks"): the
 * layers of one network are consecutive, and its weight records 'w' all
 * carry the same attribute checkpoint=VALUE (nn-train --trajectory: the
 * epoch; nn-average --path: the point) or none; a 'w' record (not a
 * chunk) whose checkpoint, or its absence, differs from the first layer's
 * starts the next network.  Reads the next network of r, leaving the
 * first record of the one after it unread: returns 1 with *net (free it
 * with nn_net_free), 0 at the end of the stream (at once for an empty
 * one), -1 on error, checked as nn_net_read checks (a bad first record
 * of the next network fails the call that reads the one before it: it
 * is read to see where that one ends).  A stream without the attribute
 * is one network, as nn_net_read reads it. */
int nn_net_read_next(nn_reader *r, nn_net *net, nn_error *e);
/* Whether attribute texts a and b (NULL: none) have the same checkpoint
 * value (compared as text), or both none: the test that separates the
 * networks of a stream, and the outputs of each in nn-forward's output. */
int nn_checkpoint_same(const char *a, const char *b);
/* 0 when a and b have the same architecture: as many layers, of the same
 * widths and the same activations (kind and parameters); else -1 with
 * what differs first ("layer 2 is 784-512 against 784-256") in e. */
int nn_net_compatible(const nn_net *a, const nn_net *b, nn_error *e);
/* Writes layer l: "w" in dtype (f32/f64) with l->attrs, then "mask" and
 * "coef" if present. */
int nn_layer_write(nn_writer *w, const nn_layer *l, int dtype, nn_error *e);
/* Sets key=value in l->attrs (replacing an earlier value). */
int nn_layer_set_attr(nn_layer *l, const char *key, const char *value,
                      nn_error *e);
/* The records after "w": "mask" and "coef" (in dtype), if present. */
int nn_layer_write_rest(nn_writer *w, const nn_layer *l, int dtype,
                        nn_error *e);
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

/* (Re)makes l->wf, the single-precision copy of the weights, from l->w.
 * The forward passes in single precision make it when it is missing and
 * use it as it is after: whoever changes l->w refreshes it (or frees it
 * and sets it to NULL). */
int nn_layer_weights_f32(nn_layer *l, nn_error *e);
/* Runs layer l on m rows: out (m,n_out) = act([1 in] W), in (m,n_in).
 * Single precision through sgemm, double through dgemm. */
int nn_layer_forward_f32(nn_layer *l, size_t m, const float *in, float *out,
                         nn_error *e);
void nn_layer_forward_f64(const nn_layer *l, size_t m, const double *in,
                          double *out);


/* ------------------------------------------ losses (nn_loss.c)
 * Training losses over a block of m rows of n outputs, reduced as
 * PyTorch's defaults do: MSE, sigmoid cross-entropy (BCEWithLogits) and
 * hinge by the mean over the m n elements; softmax cross-entropy and the
 * gradient-amplification heads by the mean over the rows of their sums
 * over the outputs.  The heads need their output activation: xent a
 * softmax, sigmoid-xent a sigmoid, exp-ga an exp head (sparse
 * cross-entropy, sum y - t ln y), pow3-ga a pow3 head (negative
 * correlation, sum alpha z^4/4 + beta z - t z); for these the gradient at
 * the pre-activation is (y - t) scaled, computed from z without dividing
 * by a derivative (log-sum-exp for softmax, no NaN at large logits). */
enum {
    NN_LOSS_MSE, NN_LOSS_XENT, NN_LOSS_SIGMOID_XENT, NN_LOSS_HINGE,
    NN_LOSS_EXP_GA, NN_LOSS_POW3_GA
};
/* "mse", "xent", "sigmoid-xent", "hinge", "exp-ga", "pow3-ga"; -1. */
int nn_loss_parse(const char *s);
const char *nn_loss_name(int loss);
/* The loss that follows the output activation: softmax xent, sigmoid
 * sigmoid-xent, exp exp-ga, pow3 pow3-ga, anything else mse. */
int nn_loss_default(const nn_act *out);
/* Fails when loss needs another output activation than out. */
int nn_loss_check(int loss, const nn_act *out, nn_error *e);
/* The loss of outputs y = a(z) (m,n) against targets t (m,n) (one-hot
 * rows for classes; +-1 for hinge), and dz (m,n) = dL/dz; dcoef as for
 * nn_act_backward_f64 (mse and hinge on polynomial units). */
double nn_loss_f64(int loss, const nn_act *a, const double *coef, size_t m,
                   size_t n, const double *z, const double *y,
                   const double *t, double *dz, double *dcoef);
double nn_loss_f32(int loss, const nn_act *a, const double *coef, size_t m,
                   size_t n, const float *z, const float *y, const float *t,
                   float *dz, double *dcoef);

/* ------------------------------------- the backward pass (nn_backprop.c)
 * Double precision, for gradients, training and Hessian-vector products. */

/* One layer: from G = dL/dz (m,n_out) and its input x (m,n_in), the
 * gradient dw (1+n_in, n_out) = [1 x]^T G, zero where the mask is, and
 * dx (m,n_in) = G W^T without the bias row (dL/dy of the layer below);
 * either NULL: not wanted.  BLAS, and the plain loops for tests. */
void nn_layer_backward_f64(const nn_layer *l, size_t m, const double *x,
                           const double *g, double *dw, double *dx);
void nn_layer_backward_ref(const nn_layer *l, size_t m, const double *x,
                           const double *g, double *dw, double *dx);
void nn_layer_backward_f32(const nn_layer *l, size_t m, const float *x,
                           const float *g, float *dw, float *dx);
/* A tape: every layer's pre-activation and output for up to rows rows,
 * computed in dtype (f32: sgemm on the layers' single-precision copies
 * of the weights, nn_layer_weights_f32; f64: dgemm on the weights). */
typedef struct nn_tape nn_tape;
nn_tape *nn_tape_open(const nn_net *net, size_t rows, int dtype, nn_error *e);
int nn_tape_dtype(const nn_tape *t);
/* Runs x (m, n_in) of the tape's dtype through net, m <= rows; keeps x
 * by address until nn_tape_grad.  The output (m, n_out), or NULL when out
 * of memory. */
const void *nn_tape_run(nn_tape *t, nn_net *net, size_t m, const void *x,
                        nn_error *e);
/* Dropout in the passes that train (nn_tape_training on): the input of
 * layer l (from 0) zeroed at rate p_in, the others scaled by 1/(1-p_in)
 * (inverted dropout; its gradient goes back through the same mask), and
 * the gradient that reaches layer l's output from above zeroed at rate
 * p_grad, likewise scaled (DLL's backward dropout).  Rates in [0, 1). */
int nn_tape_dropout(nn_tape *t, const nn_net *net, size_t l, double p_in,
                    double p_grad, nn_error *e);
/* Training passes (dropout drawn from an nn_rng seeded by seed) or not. */
void nn_tape_training(nn_tape *t, int on, uint64_t seed);
/* The loss of the last nn_tape_run against targets (m, n_out) of the
 * tape's dtype, and the gradients in it: dw[l] (1+n_in, n_out) for each
 * layer l with dw[l] not NULL; dcoef[l] (n_out, degree+1) in double for
 * polynomial layers (dcoef may be NULL, and so may dcoef[l]).  The pass
 * stops at the lowest layer that wants a gradient (frozen layers below
 * cost nothing).  loss must suit the output layer (nn_loss_check). */
double nn_tape_grad(nn_tape *t, const nn_net *net, int loss,
                    const void *target, void *const *dw, double *const *dcoef);
/* The loss of the last nn_tape_run alone, for scoring. */
double nn_tape_loss(nn_tape *t, const nn_net *net, int loss,
                    const void *target);
void nn_tape_free(nn_tape *t);
/* The mean of the squares of n values of g (a gradient, NN_F32 or
 * NN_F64), summed in double in 8 interleaved partial sums. */
double nn_grad_mean_square(const void *g, int dt, size_t n);

/* ------------------------- Hessian-vector products (nn_hvp.c)
 * Exact: the R-operator on the forward and backward passes (ALGORITHMS.md,
 * nn-spectrum), in double precision or in single (NN_F32: the passes kept
 * and their tangents in sgemm over a single-precision copy of the weights
 * taken at each load; the direction, the products, the gradient and the
 * polynomial coefficients' parts in double).  The parameters of a network as
 * one vector: layer by layer, its w ((1+n_in) x n_out, row-major, the
 * bias row first, masked entries included) and then, for polynomial
 * units, its coef (n_out x (degree+1)). */
#define NN_POLY_MAX_DEGREE 64
size_t nn_net_nparams(const nn_net *net);
size_t nn_net_param_offset(const nn_net *net, size_t layer);
void nn_net_params_get(const nn_net *net, double *theta);
/* Sets the parameters (masked entries stay 0; wf is dropped). */
void nn_net_params_set(nn_net *net, const double *theta);
/* on[i] = 1 for a parameter that trains, 0 for a masked weight. */
void nn_net_params_free(const nn_net *net, unsigned char *on);
/* Slots of blocks of up to rows rows: each keeps its block's input,
 * targets and passes, in dtype (NN_F64 or NN_F32), for products over it.
 * The loss reduces as nn_loss does over the block. */
typedef struct nn_hvp nn_hvp;
nn_hvp *nn_hvp_open(const nn_net *net, int loss, size_t rows, size_t slots,
                    int dtype, nn_error *e);
/* The bytes one slot of rows rows takes in dtype. */
size_t nn_hvp_slot_bytes(const nn_net *net, size_t rows, int dtype);
size_t nn_hvp_nparams(const nn_hvp *h);
int nn_hvp_dtype(const nn_hvp *h);
/* Runs x (m, n_in) against targets t (m, n_out), both in the slots' dtype,
 * m <= rows, into slot k:
 * the forward and backward passes; adds scale times the gradient to grad
 * (NULL: not wanted); the block's loss. */
double nn_hvp_load(nn_hvp *h, const nn_net *net, size_t k, size_t m,
                   const void *x, const void *t, double scale, double *grad);
/* hv += scale H v, H the Hessian of the loss of slot k's block (masked
 * weights: rows and columns of H are 0). */
void nn_hvp_apply(nn_hvp *h, const nn_net *net, size_t k, const double *v,
                  double scale, double *hv);
void nn_hvp_free(nn_hvp *h);


/* ------------------------------------------ quantization (nn_quant.c)
 * Thesis ch. 3 (ALGORITHMS.md, nn-quantize).  Fixed quantization of n
 * weights to N bits (1..24) over [lo, hi]: q = min(2^N - 1, floor(2^N (w -
 * lo) / (hi - lo))), decoded to lo + (hi - lo)(q + 0.5) / 2^N (within half
 * a bin); lo = hi: every code 0, decoded to lo. */
/* The least and greatest of w; fails on NaN or infinity, naming it. */
int nn_quant_range(const double *w, size_t n, double *lo, double *hi,
                   nn_error *e);
void nn_quant_encode(const double *w, size_t n, double lo, double hi,
                     int bits, uint32_t *q);
void nn_quant_decode(const uint32_t *q, size_t n, double lo, double hi,
                     int bits, double *w);
/* Algorithm 1's estimate: the entropy in bits of ceil(frac n) weights drawn
 * with replacement from seed (all of them, in order, when that is n),
 * quantized to m_bits over [lo, hi]. */
double nn_quant_entropy(const double *w, size_t n, double lo, double hi,
                        int m_bits, double frac, uint64_t seed);
/* N = ceil(H) + c, from 1 to max_bits. */
int nn_quant_dynamic_bits(double h, int c, int max_bits);

/* Canonical Huffman codes of up to NN_HUFF_MAXSYM symbols, code words of
 * at most NN_HUFF_MAXLEN bits, described by their lengths alone (0: the
 * symbol has no code word).  Bits go most significant first. */
#define NN_HUFF_MAXLEN 24
#define NN_HUFF_MAXSYM (1 << 16)
typedef struct nn_huff {
    size_t nsym;
    uint8_t *len;
    uint32_t *code;             /* code word of each symbol */
    uint32_t *sorted;           /* symbols by (length, symbol) */
    uint32_t first[NN_HUFF_MAXLEN + 1];  /* first code word of a length */
    uint32_t count[NN_HUFF_MAXLEN + 1];  /* code words of a length */
    uint32_t offset[NN_HUFF_MAXLEN + 1]; /* their place in sorted */
} nn_huff;
/* Lengths (nsym) of a Huffman code for the counts freq, limited to
 * NN_HUFF_MAXLEN; a single symbol gets one bit, absent ones 0. */
int nn_huff_lengths(const uint64_t *freq, size_t nsym, uint8_t *len,
                    nn_error *e);
/* The code of the lengths; fails on lengths that are too long or make no
 * prefix code (a corrupt table). */
int nn_huff_init(nn_huff *h, const uint8_t *len, size_t nsym, nn_error *e);
void nn_huff_free(nn_huff *h);
/* The bits the counts freq take in this code. */
uint64_t nn_huff_bits(const nn_huff *h, const uint64_t *freq);
/* Encodes n symbols into out (cap bytes, zeroed here); *nbits the bits
 * written.  Fails on a symbol without a code word or a short out. */
int nn_huff_encode(const nn_huff *h, const uint32_t *sym, size_t n,
                   uint8_t *out, size_t cap, uint64_t *nbits, nn_error *e);
/* Decodes n symbols from the nbits bits at in ((nbits + 7) / 8 bytes),
 * which must hold exactly n code words: fails, without reading past
 * them, on truncated or corrupt codes. */
int nn_huff_decode(const nn_huff *h, const uint8_t *in, uint64_t nbits,
                   size_t n, uint32_t *sym, nn_error *e);

/* Quantized layers (nn_qlayer.c; formats/nns.md, "Quantized layers"): a
 * record "w" of u8 bytes whose attribute quant= names the scheme, decoded
 * to a layer's weights when a network is read. */
enum { NN_Q_FIXED, NN_Q_HUFFMAN, NN_Q_Q8_0, NN_Q_Q4_0, NN_Q_LOSSLESS };
int nn_qscheme_parse(const char *s);        /* -1 for none */
const char *nn_qscheme_name(int scheme);
typedef struct nn_qspec {
    int scheme;
    int bits;               /* fixed, huffman: N */
    int level;              /* lossless: zstd's level (0: 3) */
} nn_qspec;
typedef struct nn_qlayer {
    unsigned char *payload; /* the record's bytes (nn_qlayer_free) */
    size_t len;
    char attrs[512];        /* quant, shape, dtype and the scheme's keys */
    int bits;
} nn_qlayer;
/* Encodes the weights w (rows, cols) that a layer holds in dtype (f32 or
 * f64); fails on NaN or infinity and on bits out of range. */
int nn_qlayer_encode(const double *w, size_t rows, size_t cols, int dtype,
                     const nn_qspec *spec, nn_qlayer *out, nn_error *e);
void nn_qlayer_free(nn_qlayer *q);
/* Whether r is a quantized layer's record. */
int nn_qlayer_is(const nn_record *r);
/* Decodes r into *w (rows, cols; malloc'd) and the dtype the layer
 * holds; fails, without reading past r's bytes, on unknown schemes,
 * attributes out of range, lengths that do not match, corrupt codes. */
int nn_qlayer_decode(const nn_record *r, double **w, size_t *rows,
                     size_t *cols, int *dtype, nn_error *e);
/* Algorithm 1's choice of bits for n weights: the entropy of a sample
 * (fraction, drawn from seed) quantized to probe_bits, plus floor_bits,
 * at most max_bits. */
typedef struct nn_qdynamic {
    double fraction;
    int probe_bits, floor_bits, max_bits;
} nn_qdynamic;
int nn_qdynamic_bits(const double *w, size_t n, const nn_qdynamic *d,
                     uint64_t seed);
/* Replaces l's weights by what a reader decodes of them under spec (the
 * exchange of thesis ch. 3, during training); masked weights stay 0.
 * l->wf is left as it is (an optimizer may hold it): the caller makes it
 * current.  *bytes: the payload's size. */
int nn_layer_requantize(nn_layer *l, const nn_qspec *spec, uint64_t *bytes,
                        nn_error *e);
/* attrs without the keys of a quantized record (newly allocated). */
char *nn_qlayer_plain_attrs(const char *attrs);
/* Writes layer l with its weights as q encodes them (the layer's
 * attributes with the scheme's), then its mask and coefficients. */
int nn_qlayer_write(nn_writer *w, const nn_layer *l, const nn_qlayer *q,
                    nn_error *e);
/* The weights a reader gets back from q (malloc'd, rows x cols). */
int nn_qlayer_decoded(const nn_qlayer *q, double **w, nn_error *e);

/* What quantization changes in a network's outputs (nn_qeffect.c;
 * nn-quantize --data): the network and its copy with the weights a
 * reader decodes run on the same rows in single precision, as nn-forward
 * runs them.  Per row, each output's class distribution is the softmax of
 * its logits: the output layer's pre-activations when it is softmax or
 * sigmoid, else its outputs; a single column c stands for the logits
 * (0, c).  kl sums KL(p_orig || p_quant) in nats over the rows; a row
 * with a label counts as right when the predicted class (the first
 * largest output; one output: y >= 0.5, as nn-eval) is the label. */
typedef struct nn_qeffect {
    nn_net *orig;               /* the caller's */
    nn_net quant;               /* orig's layers with the decoded weights */
    uint64_t rows, labelled, right_orig, right_quant;
    double kl;
} nn_qeffect;
/* wq[l]: layer l's decoded weights ((1+n_in) x n_out), copied (masked
 * ones zeroed); the rest of the layers is orig's, which must outlive s. */
int nn_qeffect_init(nn_qeffect *s, nn_net *orig, double *const *wq,
                    nn_error *e);
/* Adds m rows x (m, n_in); label (m) the class of each row, -1 or a NULL
 * label for none. */
int nn_qeffect_add(nn_qeffect *s, size_t m, const float *x,
                   const int64_t *label, nn_error *e);
void nn_qeffect_free(nn_qeffect *s);

#endif

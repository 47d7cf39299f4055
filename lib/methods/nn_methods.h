/* nn_methods.h — layer 3 of libnn: the methods of the research texts
 * (closed-form fits, optimizers, training data).  Depends on every layer
 * below. */
#ifndef NN_METHODS_H
#define NN_METHODS_H

#include "base/nn_base.h"
#include "linalg/nn_linalg.h"
#include "net/nn_net.h"

/* ------------------------------------------------------ closed-form fits
 * (nn_fit.c)
 * Layers fitted from the Gram matrix G of [Z1 Y], Z1 = [1 Z] (p = 1+nz
 * columns), Y the targets (ALGORITHMS.md, nn-fit-layer; thesis ch. 7). */

enum { NN_SOLVE_CHOL, NN_SOLVE_PINV, NN_SOLVE_LSTSQ };

typedef struct nn_fit_opts {
    int solver;         /* NN_SOLVE_CHOL (default) or NN_SOLVE_PINV from
                         * the Gram matrix (nn_fit_solve, which refuses
                         * another); NN_SOLVE_LSTSQ from R (nn_fit_solve_qr) */
    double lambda;      /* ridge: minimise ||Z1 W - T||^2 + lambda ||W||^2 */
    double tol;         /* pinv: keep singular values of Z1 above tol times
                         * the largest (0: sqrt(p) * 2^-26, see nn_fit_solve) */
} nn_fit_opts;

/* W (p,d) = argmin ||Z1 W - [Z1 Y] P||^2 + lambda ||W||^2 for P (p+ny, d),
 * from g (finished).  Cholesky fails on a singular system with a message
 * that suggests a ridge or the pseudoinverse; the pseudoinverse works
 * through the eigendecomposition of Z1^T Z1 + lambda I.  This and the
 * other fits fail on a Gram matrix (or R) that holds NaN or infinity,
 * which would give a layer of NaN. */
int nn_fit_solve(const nn_gram *g, const double *P, size_t d,
                 const nn_fit_opts *o, double *W, nn_error *e);
/* The same from the triangular factor of [Z1 Y] (nn_tsqr): the least
 * squares solution through the SVD of R11 (Z1 = Q1 R11), keeping singular
 * values above tol (default sqrt(p) 2^-52) times the largest when lambda is
 * 0, W = V diag(s / (s^2 + lambda)) U^T [R11 R12] P otherwise. */
int nn_fit_solve_qr(const nn_tsqr *q, const double *P, size_t d,
                    const nn_fit_opts *o, double *W, nn_error *e);
/* Platonic PCA from R: the right singular vectors of R diag(alpha..,
 * alpha beta..), which are the eigenvectors of A^T A. */
int nn_fit_pca_qr(const nn_tsqr *q, double alpha, double beta, size_t d,
                  double *Q, nn_error *e);
/* The projection of a Platonic target T = alpha [Z1  beta Y] Q: fills P
 * (p+ny, d) = alpha diag(1.., beta..) Q, for Q (p+ny, d) given. */
void nn_fit_scale_projection(size_t p, size_t ny, size_t d, double alpha,
                             double beta, const double *q, double *P);
/* Platonic PCA: Q = the d leading eigenvectors of A^T A (uncentred) for
 * A = alpha [Z1  beta Y], as columns.  d <= p + ny. */
int nn_fit_pca(const nn_gram *g, double alpha, double beta, size_t d,
               double *Q, nn_error *e);
/* Platonic PCA on the correlation matrix of [Z Y] (every column centred
 * and scaled to unit variance; constant columns, the bias among them,
 * have no part in it, so that the components of non-zero eigenvalue are
 * zero there): Q = its d leading eigenvectors.  alpha and beta do not change Q; they scale the target
 * T = alpha [Z1  beta Y] Q.  d <= p + ny (past the non-constant columns
 * the components have eigenvalue 0). */
int nn_fit_pca_corr(const nn_gram *g, size_t d, double *Q, nn_error *e);


/* ------------------------------------------------ optimizers (nn_optim.c)
 * The update rules of PyTorch's SGD (momentum, dampening 0, Nesterov),
 * Adam and AdamW (beta 0.9 and 0.999, epsilon 1e-8, bias-corrected), over
 * parameter arrays in double precision, or in single precision with their
 * moments, with weight decay lambda (added to the gradient, or for AdamW
 * taken from the weights as lr lambda w). */
enum { NN_OPTIM_ADAM, NN_OPTIM_ADAMW, NN_OPTIM_SGD };
typedef struct nn_optim nn_optim;
nn_optim *nn_optim_new(int kind, double momentum, int nesterov, double lambda,
                       nn_error *e);
/* Adds the n parameters at w (updated in place); wf, if not NULL, is a
 * single-precision copy kept equal to w after every step. */
int nn_optim_add(nn_optim *o, double *w, float *wf, size_t n, nn_error *e);
/* Adds n parameters kept in single precision at w, with moments in single
 * precision; their gradients must be f32. */
int nn_optim_add_f32(nn_optim *o, float *w, size_t n, nn_error *e);
/* One step at rate lr: g[k] is the gradient of the k-th parameter array
 * added, of dtype gdt[k] (f32 or f64). */
void nn_optim_step(nn_optim *o, double lr, const void *const *g,
                   const int *gdt);
/* The same step in two calls, for the caller to work between them (the
 * parameters, their gradients and the optimizer untouched): post starts
 * it (with the helper thread, the helper starts on the large arrays and
 * the caller updates the others before post returns), wait ends it (the
 * caller sharing what is left of the large arrays).  The same bytes as
 * nn_optim_step. */
void nn_optim_post(nn_optim *o, double lr, const void *const *g,
                   const int *gdt);
void nn_optim_wait(nn_optim *o);
/* Steps taken so far. */
uint64_t nn_optim_steps(const nn_optim *o);
/* The state, to save and restore it (nn-train --state): the parameter
 * arrays added, the kind, each array's two moment buffers (SGD: the
 * momentum buffer and an unused one) of n elements of dtype (f32 for
 * nn_optim_add_f32's), and the step count (Adam's bias correction; SGD's
 * first step). */
size_t nn_optim_count(const nn_optim *o);
int nn_optim_kind(const nn_optim *o);
void nn_optim_moments(nn_optim *o, size_t k, void **m1, void **m2, size_t *n,
                      int *dtype);
void nn_optim_set_steps(nn_optim *o, uint64_t steps);
void nn_optim_free(nn_optim *o);


/* -------------------------------------- training data (nn_trainset.c)
 * The rows of x and y of a stream (read once), handed out in batches,
 * each pass in a new random order, in about `memory` bytes: every row held
 * when they fit (a permutation per pass), else the rows written to an
 * unlinked file in $TMPDIR and read back each pass by blocks in a random
 * order, the rows of every few blocks shuffled together in a buffer of
 * the rows that fit.  Held rows keep x in the data's type (f32 for wide
 * integers); labels become one-hot targets (thi for the class, tlo
 * elsewhere). */
typedef struct nn_trainset_spec {
    const char *x, *y;          /* the tensors */
    size_t n_in, n_out;         /* the network's widths */
    int pm1;                    /* hinge: one output for two classes is
                                 * thi for class 1, tlo for class 0 */
    double tlo, thi;            /* class targets (0 and 1 for one-hot) */
    size_t memory;              /* bytes of rows held at most */
} nn_trainset_spec;
typedef struct nn_trainset nn_trainset;
/* Reads the stream at path (NULL or "-": stdin): checks its widths
 * against sp, every value finite and every label in range, and holds or
 * spills its rows. */
nn_trainset *nn_trainset_open(const char *path, const nn_trainset_spec *sp,
                              nn_error *e);
uint64_t nn_trainset_rows(const nn_trainset *t);
/* Classes of the labels, 0 for rows of targets. */
size_t nn_trainset_classes(const nn_trainset *t);
/* 1 when the rows did not fit and are read back every pass. */
int nn_trainset_spilled(const nn_trainset *t);
/* Rows held: all of them, or the buffer's; and a block's (0 when held). */
size_t nn_trainset_held_rows(const nn_trainset *t);
size_t nn_trainset_block_rows(const nn_trainset *t);
/* Bytes of a held row. */
size_t nn_trainset_row_bytes(const nn_trainset *t);
const char *nn_trainset_name(const nn_trainset *t);
/* Starts a pass in a random order drawn from g, or in the stream's order
 * (g NULL). */
int nn_trainset_pass(nn_trainset *t, nn_rng *g, nn_error *e);
/* The pass's next rows, up to m: x (m, n_in) and targets (m, n_out) of
 * type ct, class numbers in cls (if not NULL, with classes); *got 0 at the
 * end. */
int nn_trainset_next(nn_trainset *t, size_t m, int ct, void *x, void *y,
                     uint32_t *cls, size_t *got, nn_error *e);
void nn_trainset_close(nn_trainset *t);

/* ------------------------- permutations of hidden units (nn_canon.c)
 * Permuting the units of a hidden layer l (0 <= l < n-1: the columns of
 * its weights, mask and the rows of its coefficients, with the rows 1..
 * of layer l+1's weights and mask) leaves the network's function as it
 * is.  A permutation perm of n units: unit perm[j] becomes unit j. */
int nn_net_permute(nn_net *net, size_t l, const size_t *perm, nn_error *e);
/* Fails on a network of one layer (nothing to permute) or with a weight
 * that is NaN or infinite, naming it; what names the network. */
int nn_canon_check(const nn_net *net, const char *what, nn_error *e);

/* Keys of a unit's incoming weights (the inputs in order, then the bias):
 * lexicographic (ascending), maximin (ascending by its weight from the
 * input whose weights spread widest, max - min over the units), and by a
 * value, largest first: the norm, the mean, the dot product with a
 * normal vector drawn from a seed.  Ties go to the whole incoming vector
 * lexicographically, the coefficients of polynomial units, then the
 * sorted outgoing weights (a permutation-invariant summary); units equal
 * in all of these keep their order. */
enum { NN_KEY_LEX, NN_KEY_MAXIMIN, NN_KEY_NORM, NN_KEY_MEAN, NN_KEY_DOT };
int nn_key_parse(const char *s);            /* -1 for none */
const char *nn_key_name(int key);
typedef struct nn_canon_opts {
    int key;
    uint64_t seed;          /* dot: the reference vector's */
    int symmetries;         /* fix rescaling and sign flips first */
} nn_canon_opts;
/* The order of layer l's units by the key (perm, n_out of layer l). */
int nn_canon_order(const nn_net *net, size_t l, const nn_canon_opts *o,
                   size_t *perm, nn_error *e);
/* The exact symmetries other than permutations, of layer l's units: ReLU
 * and identity units scaled to incoming norm 1 (the next layer's rows
 * scaled back), tanh (and identity) units flipped to a positive sum of
 * incoming weights (else a positive first non-zero one).  Units already
 * within rounding of the form are left as they are, so a second pass
 * changes nothing.  *changed: the units changed. */
int nn_canon_symmetries(nn_net *net, size_t l, size_t *changed);
/* The canonical form, in place: every hidden layer in forward order,
 * symmetries first if asked, then sorted by the key; perms[l] (if not
 * NULL) receives layer l's permutation. */
int nn_canon(nn_net *net, const nn_canon_opts *o, size_t **perms,
             nn_error *e);
/* Weight matching: permutes b's hidden units to agree with a (the same
 * shape): for each layer, in an order drawn from seed, the exact linear
 * assignment (nn_lap) maximising the sum of products of b's incoming,
 * outgoing and coefficient weights with a's, the other layers held;
 * sweeps until none moves a unit or max_sweeps.  perms[l] (n_out of
 * layer l) receives the permutation of b's original units; *sweeps the
 * sweeps made. */
int nn_align_weights(nn_net *b, const nn_net *a, uint64_t seed,
                     size_t max_sweeps, size_t **perms, size_t *sweeps,
                     nn_error *e);

/* Activation matching: permutes b's hidden units so that each layer's
 * activations agree with a's (the same shape) over data: per layer, the
 * exact assignment maximising sum over rows of the products z_a[i] z_b[j]
 * (Git Re-Basin's activation matching); one pass over the data, as a
 * layer's activations do not depend on how the layers below are
 * permuted.  Rows come in blocks of at most `block` (single precision,
 * products summed in double). */
typedef struct nn_match nn_match;
nn_match *nn_match_new(const nn_net *a, const nn_net *b, size_t block,
                       nn_error *e);
int nn_match_add(nn_match *m, size_t rows, const float *x, nn_error *e);
/* Solves and permutes b; perms[l] as for nn_align_weights. */
int nn_match_finish(nn_match *m, nn_net *b, size_t **perms, nn_error *e);
void nn_match_free(nn_match *m);

/* ------------------------------------------ weight spectra (nn_wspec.c)
 * A weight matrix W (rows,cols) (a layer's weights without its bias row)
 * and the empirical spectral density (ESD) of W^T W: its M = min(rows,
 * cols) eigenvalues lambda_i = s_i^2, unnormalised (no 1/N), with
 * WeightWatcher's metrics as it computes them by default (analyze(),
 * CalculatedContent/WeightWatcher at d6fd015; each function says which
 * of its definitions it follows).  N = max(rows,cols), Q = N/M >= 1.
 * Every function fails on an empty W and on NaN or infinite entries. */

/* WeightWatcher's metrics of one ESD.  A number that cannot be had is
 * NaN (WeightWatcher writes -1): the power law needs a smaller side
 * of at least 10 (its min_evals) and two eigenvalues above 1e-5. */
typedef struct nn_wspec {
    size_t n, m, k;             /* N >= M the sides; k eigenvalues (M, or
                                 * r M pooled over r shuffles) */
    /* norms (apply_norm_metrics; RMT_Util.matrix_entropy) */
    double norm;                /* sum lambda = ||W||_F^2 */
    double log_norm;            /* log10 norm */
    double spectral_norm;       /* lambda_max = s_max^2 */
    double log_spectral_norm;   /* log10 lambda_max */
    double stable_rank;         /* norm / lambda_max */
    size_t rank;                /* s_i > s_max N 2^-52 */
    double entropy;             /* -sum p ln p / ln rank, p = lambda/norm
                                 * + 1e-10, rank + 1e-10: 1 for a flat
                                 * spectrum (ill-defined at rank one) */
    double log_alpha_norm;      /* log10 sum lambda^alpha */
    /* power law of the tail (WW_powerlaw.WWFit on lambda > 1e-5) */
    size_t pl_n;                /* eigenvalues fitted (> 1e-5) */
    double alpha;               /* 1 + n / sum ln(lambda / xmin), n the
                                 * eigenvalues >= xmin */
    double alpha_sigma;         /* (alpha - 1) / sqrt(n) */
    double xmin, xmax;          /* the tail's least (KS-chosen) and largest */
    double D;                   /* the KS distance at xmin */
    size_t num_pl_spikes;       /* eigenvalues >= xmin */
    double alpha_weighted;      /* alpha log10 lambda_max */
    /* Marchenko-Pastur fit (weightwatcher.mp_fit, RMT_Util.
     * fit_density_with_range), on the ESD scaled to mean 1 */
    double w_scale;             /* sqrt(k / norm): lambda w_scale^2 has mean 1 */
    double mp_sigma;            /* fitted sigma (about 1 for a random W) */
    double lambda_minus, lambda_plus; /* bulk edges sigma^2 (1 -+ 1/sqrt Q)^2,
                                 * in the units of lambda (divided by
                                 * w_scale^2) */
    size_t num_spikes;          /* eigenvalues above lambda_plus plus the
                                 * Tracy-Widom margin */
    double mp_softrank;         /* lambda_plus / lambda_max */
} nn_wspec;

/* Singular values s (k = min(rows,cols), descending; may be NULL) and
 * eigenvalues of W^T W, evals (k, ascending; may be NULL), of w
 * (rows,cols) by LAPACK dgesdd. */
int nn_wspec_esd(size_t rows, size_t cols, const double *w, double *s,
                 double *evals, nn_error *e);
/* Every metric of the ESD evals (k values >= 0, any order) of a matrix
 * of sides n >= m.  Fails on a zero spectrum. */
int nn_wspec_from_evals(size_t n, size_t m, size_t k, const double *evals,
                        nn_wspec *s, nn_error *e);
/* Every metric of w (rows,cols); evals (min(rows,cols), ascending) if
 * not NULL. */
int nn_wspec_matrix(size_t rows, size_t cols, const double *w, nn_wspec *s,
                    double *evals, nn_error *e);
/* The same for w with its entries shuffled (Fisher-Yates, nn_rng seeded
 * with seed), pooled over `replicas` shuffles (0: WeightWatcher's 5 when
 * min(rows,cols) < 100, else 1): the power law and the MP fit of the
 * pooled ESD, the norms of the first shuffle.  evals (replicas k,
 * ascending) if not NULL. */
int nn_wspec_shuffled(size_t rows, size_t cols, const double *w,
                      uint64_t seed, size_t replicas, nn_wspec *s,
                      double *evals, nn_error *e);
/* WeightWatcher's rand_distance: the Jensen-Shannon distance (natural
 * log) between the ascending ESDs a and b (k each) read as two
 * distributions over k places (RMT_Util.jensen_shannon_distance). */
double nn_wspec_js_distance(size_t k, const double *a, const double *b);
/* WeightWatcher's rand_distance of w (rows,cols): *d, the distance above
 * between evals (min(rows,cols), ascending: those of w) and the ESD of
 * one shuffle of w, drawn from seed (the first that nn_wspec_shuffled
 * draws from it); one shuffle whatever the pooling of the others. */
int nn_wspec_rand_distance(size_t rows, size_t cols, const double *w,
                           const double *evals, uint64_t seed, double *d,
                           nn_error *e);

/* The power-law fit alone (WW_powerlaw.WWFit, continuous): x (n > 1
 * positive finite values, any order); every x but the largest is a
 * candidate xmin, alpha by maximum likelihood over x >= xmin, D =
 * max_j |1 - (x_j/xmin)^(1-alpha) - j/n| over the n sorted tail values
 * (j from 0), the candidate of least D kept (the first on a tie).
 * O(n^2) time: 0.06 s for n = 4096, 0.8 s for 15000 (2 shared CPUs). */
typedef struct nn_plfit {
    double alpha, sigma, xmin, xmax, D;
    size_t n_tail;              /* values >= xmin */
} nn_plfit;
int nn_plfit_ww(size_t n, const double *x, nn_plfit *f, nn_error *e);

/* The PCA spectrum: the eigenvalues w (n, descending) of a symmetric
 * Gram or covariance matrix g (n,n) (LAPACK dsyevd). */
int nn_wspec_pca(size_t n, const double *g, double *w, nn_error *e);

/* ------------------------------ the loss's curvature (nn_hessian.c)
 * The mean loss of a network over the rows of a data set, its gradient
 * and its Hessian H through exact products (nn_hvp), over the parameters
 * that train (not masked) of every layer or of one: vectors of
 * nn_curv_dim values, in the order of nn_net_params_get less the others.
 * Each block of rows keeps its passes while they fit in memory bytes; the
 * others are read and run again for every product.  With dtype NN_F32 the
 * data are read, and the loss, the gradient and the products computed, in
 * single precision (nn_hvp), summed over the blocks in double; the vectors
 * of Lanczos and Hutchinson are double in either. */
typedef struct nn_curv_spec {
    int loss;               /* NN_LOSS_*, suiting the output layer */
    size_t batch;           /* rows of a block (0: 1000) */
    size_t memory;          /* bytes of blocks' passes kept */
    long layer;             /* -1: the whole network; else layer (from 0) */
    int dtype;              /* the products' passes: NN_F64 (or 0), NN_F32 */
} nn_curv_spec;
typedef struct nn_curv nn_curv;
/* Reads data once (in its order) for the loss and the gradient. */
nn_curv *nn_curv_open(nn_net *net, nn_trainset *data,
                      const nn_curv_spec *sp, nn_error *e);
size_t nn_curv_dim(const nn_curv *c);
uint64_t nn_curv_rows(const nn_curv *c);
double nn_curv_loss(const nn_curv *c);
const double *nn_curv_grad(const nn_curv *c);
size_t nn_curv_blocks(const nn_curv *c);
size_t nn_curv_blocks_held(const nn_curv *c);
/* Products made so far. */
size_t nn_curv_products(const nn_curv *c);
/* hv = H v (an nn_matvec on a curv). */
int nn_curv_hvp(void *c, const double *v, double *hv, nn_error *e);
void nn_curv_free(nn_curv *c);
/* H (dim, dim) by dim products, made exactly symmetric ((H + H^T)/2);
 * *asym (if not NULL): the largest |H_ij - H_ji| before, relative to the
 * largest entry. */
int nn_hessian_dense(nn_curv *c, double *H, double *asym, nn_error *e);
/* Lanczos (full reorthogonalization) from a Rademacher vector drawn from
 * seed, steps <= dim: the Ritz values theta (ascending), their quadrature
 * weights tau2 (summing to 1) and residual bounds resid (NULL: not
 * wanted), each of the returned count (fewer than steps when the Krylov
 * space closes), -1 on error. */
long nn_hessian_lanczos(nn_curv *c, size_t steps, uint64_t seed,
                        double *theta, double *tau2, double *resid,
                        nn_error *e);
/* Hutchinson's estimate of the trace: the mean of v.Hv over probes
 * Rademacher vectors from seed, and its standard error. */
int nn_hessian_trace(nn_curv *c, size_t probes, uint64_t seed, double *mean,
                     double *sem, nn_error *e);
/* The smoothed density of n quadrature nodes (weights summing to 1):
 * each a Gaussian of standard deviation sigma (0: 1% of the largest
 * |node|), on ng >= 3 points symmetric about 0 from -R to R (R the
 * largest |node| plus 3 sigma), written as rows (x, density) of tab
 * (ng, 2); and its summary: the weight below 0, the same share among
 * the nodes beyond 1% of the largest |node| (NaN if none), half the L1
 * distance between the density and its mirror image, and sigma. */
typedef struct nn_slq_stats {
    double negative, negative_outer, asymmetry, sigma;
} nn_slq_stats;
void nn_slq_density(const double *nodes, const double *weights, size_t n,
                    double sigma, size_t ng, double *tab, nn_slq_stats *st);

#endif

/* nn_linalg.h — layer 1 of libnn: BLAS and LAPACK, Gram matrices,
 * streaming QR, exact selection, nearest neighbours.  Depends on base
 * only. */
#ifndef NN_LINALG_H
#define NN_LINALG_H

#include "base/nn_base.h"

/* --------------------------------------- linear algebra (nn_linalg.c) */

/* C (m,n) = alpha * op(A) op(B) + beta * C, row-major, single precision.
 * op(A) is (m,k): A is (m,k), or (k,m) when ta.  op(B) is (k,n).  Rows
 * (m when A is (m,k); k when A is (k,m) and B (k,n)) may number 2^31 or
 * more (the call is split); row widths must stay below 2^31. */
void nn_gemm_f32(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                 const float *a, const float *b, float beta, float *c);
void nn_gemm_f64(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
                 const double *a, const double *b, double beta, double *c);
/* Reference loops for the same, for tests. */
void nn_gemm_f64_ref(int ta, int tb, size_t m, size_t n, size_t k,
                     double alpha, const double *a, const double *b,
                     double beta, double *c);
/* G (n,n) += A^T A for A (m,n); only the upper triangle of G is updated
 * (nn_sym_fill copies it down). */
void nn_syrk_f64(size_t m, size_t n, const double *a, double *g);
void nn_sym_fill(size_t n, double *g);
/* Solves A X = B for symmetric positive definite A (n,n), B (n,nrhs), by
 * Cholesky (LAPACK dpotrf/dpotrs).  A and B are overwritten (B by X).
 * Fails with a message if A is not positive definite. */
int nn_chol_solve(size_t n, size_t nrhs, double *a, double *b, nn_error *e);
/* Singular values s (min(m,n)) and, if u/vt non-NULL, the thin factors
 * U (m,k) and Vt (k,n), k = min(m,n), of A (m,n) (LAPACK dgesdd).
 * A is destroyed. */
int nn_svd(size_t m, size_t n, double *a, double *s, double *u, double *vt,
           nn_error *e);
/* Eigenvalues w (ascending) and, if v non-NULL, eigenvectors as the rows of
 * v (n,n) of symmetric A (n,n) (LAPACK dsyevd).  A is destroyed. */
int nn_eigh(size_t n, double *a, double *w, double *v, nn_error *e);
/* Q (m,n) with orthonormal columns from A (m,n), m >= n, by Householder QR,
 * with each column multiplied by the sign of R's diagonal, so that Q of a
 * Gaussian A is Haar-distributed.  A is overwritten by Q. */
int nn_qr_q(size_t m, size_t n, double *a, nn_error *e);


/* -------------------------------------- Gram accumulation (nn_gram.c) */

/* The augmented Gram matrix G = A^T A of A = [1 Z Y] over a stream of row
 * blocks, in double precision (dsyrk), where Z (m,nz) is a representation
 * and Y (m,ny) the targets: every least-squares quantity of a linear map
 * from [1 Z] to Y or to any linear mixture of [Z Y] follows from it, and
 * Gram matrices of disjoint row blocks add.  Opaque: its sides, rows and
 * matrix through the functions below.
 *
 *   nn_gram *g = nn_gram_new(nz, ny, &e);
 *   for every block: nn_gram_add(g, m, z, zdt, y, ydt, &e);
 *   nn_gram_finish(g);
 *   G = nn_gram_matrix(g);   (n,n), n = nn_gram_dim(g) = 1+nz+ny
 *   nn_gram_free(g); */
typedef struct nn_gram nn_gram;

/* A Gram matrix of no rows; NULL (and e says why) when 1+nz+ny or its
 * square overflows, or memory runs out. */
nn_gram *nn_gram_new(size_t nz, size_t ny, nn_error *e);
/* Adds m rows: z (m,nz) and y (m,ny), each of its dtype (y may be NULL
 * when ny is 0). */
int nn_gram_add(nn_gram *g, size_t m, const void *z, int zdt, const void *y,
                int ydt, nn_error *e);
/* Adds sums accumulated elsewhere over rows rows, a Gram matrix held
 * apart (read back from a file, or of [1 Z] alone), to the leading (k,k)
 * block of G: sums (k,k) is the whole matrix of another Gram of the same
 * shape (k = 1+nz+ny) or that of [1 Z] (k = 1+nz), whose sums are the
 * leading block of those of [1 Z Y].  Its upper triangle at least must be
 * filled (the lower is overwritten at nn_gram_finish).  Fails when the
 * rows add up past 2^64 (g unchanged) or k is larger than G. */
int nn_gram_merge(nn_gram *g, size_t k, const double *sums, uint64_t rows,
                  nn_error *e);
/* Sets G(i,j) and G(j,i) to v, i and j < 1+nz+ny: for entries known
 * otherwise than from rows (the sums Z1^T Y and Y^T Y of one-hot labels
 * from their class sums); before nn_gram_finish, after any rows. */
void nn_gram_set(nn_gram *g, size_t i, size_t j, double v);
/* Turns g single (before any rows): each block of at most 1024 rows,
 * less the first block's means, is multiplied in single precision (ssyrk:
 * half the time of dsyrk), the blocks and the means summed in double
 * precision.  Entries carry about 1e-7 of their block's sum of |products|
 * of error instead of 1e-16: for fits whose ridge dwarfs that (the output
 * layer's lambda 5e4 on MNIST), not for those that see the small singular
 * values.  Fails when rows were added. */
int nn_gram_single(nn_gram *g, nn_error *e);
/* Folds the pending block into g and fills the lower triangle. */
void nn_gram_finish(nn_gram *g);
/* The least-squares distance of the representation to the targets,
 * LSD = (1/m) ||Y - Z1 Z1^+ Y||_F^2 with Z1 = [1 Z]: the mean squared
 * residual of the best linear map.  The pseudoinverse drops singular
 * directions of Z1^T Z1 below rtol times the largest (0: machine
 * precision times its size). */
int nn_gram_lsd(const nn_gram *g, double rtol, double *lsd, nn_error *e);
/* nz, ny, the side n = 1+nz+ny, and the rows added (nn_gram_add and
 * nn_gram_merge). */
size_t nn_gram_nz(const nn_gram *g);
size_t nn_gram_ny(const nn_gram *g);
size_t nn_gram_dim(const nn_gram *g);
uint64_t nn_gram_rows(const nn_gram *g);
/* G (n,n), row-major; whole once finished (before, only the upper
 * triangle of what is folded in). */
const double *nn_gram_matrix(const nn_gram *g);
void nn_gram_free(nn_gram *g);

/* ----------------------------------------------------- streaming QR (TSQR)
 * The triangular factor R of A = [1 Z Y] over a stream of row blocks, in
 * double precision: R <- qr([R; block]) (LAPACK dgeqrf), Q never formed.
 * R^T R is the Gram matrix, but R holds Z's singular values themselves, to
 * full precision, where the Gram holds their squares (nn_tsqr.c).  Opaque,
 * used as nn_gram. */
typedef struct nn_tsqr nn_tsqr;

/* NULL (and e says why) when 1+nz+ny columns are too many for LAPACK's
 * int counts or for memory. */
nn_tsqr *nn_tsqr_new(size_t nz, size_t ny, nn_error *e);
/* Adds m rows: z (m,nz) and y (m,ny) in double precision. */
int nn_tsqr_add(nn_tsqr *q, size_t m, const double *z, const double *y,
                nn_error *e);
/* Folds the pending rows in and makes R (nn_tsqr_factor). */
int nn_tsqr_finish(nn_tsqr *q, nn_error *e);
/* The Gram matrix R^T R of a finished factor, with its rows: finished
 * (whole, and not made symmetric by copying a triangle: each entry is the
 * product of its two columns of R).  NULL when out of memory. */
nn_gram *nn_tsqr_gram(const nn_tsqr *q, nn_error *e);
/* nz, ny, the side n = 1+nz+ny, the rows added. */
size_t nn_tsqr_nz(const nn_tsqr *q);
size_t nn_tsqr_ny(const nn_tsqr *q);
size_t nn_tsqr_dim(const nn_tsqr *q);
uint64_t nn_tsqr_rows(const nn_tsqr *q);
/* R (n,n), row-major, upper triangular, once finished. */
const double *nn_tsqr_factor(const nn_tsqr *q);
void nn_tsqr_free(nn_tsqr *q);


/* ------------------------------------------------------- exact selection
 * The rows at given ranks of n keys ordered by (key, row), in memory
 * bounded by a budget whatever n is, over as many passes as it takes: one
 * collecting pass when n is within the budget, otherwise counting passes
 * first (at most ceil(64 / log2(budget / ranks)) of them) (nn_select.c).
 *
 *   nn_select *s = nn_select_new(n, nranks, ranks, 0, &e);
 *   while ((rc = nn_select_pass(s)) == 1) {
 *       for every row: nn_select_add(s, key);   (the same keys every pass)
 *       if (nn_select_end(s, &e) < 0) ...
 *   }
 *   rows = nn_select_rows(s);   (rows[i]: the row at ranks[i]) */
typedef struct nn_select nn_select;
/* budget: counters and collected keys at most (0: 2^18, i.e. 6 MiB);
 * raised to 2 nranks if below. */
nn_select *nn_select_new(uint64_t n, size_t nranks, const uint64_t *ranks,
                         size_t budget, nn_error *e);
/* Starts a pass: 1 if one is needed, 0 when the rows are known, -1 when
 * out of memory. */
int nn_select_pass(nn_select *s);
void nn_select_add(nn_select *s, double key);
/* Ends a pass: -1 if it gave another number of keys than n, or other
 * keys than the passes before. */
int nn_select_end(nn_select *s, nn_error *e);
const uint64_t *nn_select_rows(const nn_select *s);
int nn_select_passes(const nn_select *s);
void nn_select_free(nn_select *s);

/* ---------------------------------------- selection from near keys
 * The rows at given ranks of n exact keys ordered by (key, row), when
 * approximate keys a_i within h of them are known (nn_nearsel.c): the
 * exact key at rank r lies within h of the r-th smallest a, so only the
 * rows with a_i within 2h of it can be there, and the rows below the
 * window rank below it.  One look at those candidate rows (their exact
 * keys) then gives the rows at the ranks exactly.  Memory: 16 bytes a
 * key while choosing the candidates, then a few words a candidate.
 *
 *   nn_nearsel *s = nn_nearsel_new(n, a, h, nranks, ranks, &e);
 *   rows = nn_nearsel_rows(s);   (the nn_nearsel_count(s) candidates,
 *                                 increasing)
 *   for each k: nn_nearsel_key(s, k, exact key of rows[k]);
 *   nn_nearsel_pick(s, pick, &e);   (pick[i]: the candidate at ranks[i]) */
typedef struct nn_nearsel nn_nearsel;
nn_nearsel *nn_nearsel_new(uint64_t n, const double *a, double h,
                           size_t nranks, const uint64_t *ranks, nn_error *e);
size_t nn_nearsel_count(const nn_nearsel *s);
const uint64_t *nn_nearsel_rows(const nn_nearsel *s);
void nn_nearsel_key(nn_nearsel *s, size_t k, double key);
/* -1 if a key was not given, or a rank's candidates contradict the bound
 * (an exact key outside its window). */
int nn_nearsel_pick(nn_nearsel *s, size_t *pick, nn_error *e);
void nn_nearsel_free(nn_nearsel *s);


/* ------------------------------------------------------ nearest neighbours
 * Exact k nearest neighbours of each row among the other rows of a set
 * (nn_knn.c), for k-filtering (ALGORITHMS.md, nn-kfilter).  Distances
 * are squared Euclidean, computed in double precision from the rows as
 * given; ties go to the lower row index, so the lists are a function of
 * the data alone.  The search: blocked single-precision distances
 * |a|^2 - 2 a.b + |b|^2 by sgemm (tiles of at most 2048 x 2048, each pair
 * once), k+8 candidates per row ordered by a bound on the single-precision
 * error where it proves the order and by their double-precision distances
 * where it does not, and a second search, within the bound, for the rows
 * where near ties leave the candidates in doubt.  Memory: O(m (k + 8))
 * besides a single-precision copy of x when x is not f32 or is far from
 * centred.  Time: about 1.2 times the sgemm calls (m = 60000, d = 784). */

/* Neighbours of each of the m rows of x (m,d) of dtype, finite values:
 * idx (m,k) their row indices, nearest first; dist (m,k) their squared
 * distances (may be NULL).  1 <= k < m < 2^32.  *researched (may be NULL):
 * rows the second search settled. */
int nn_knn(size_t m, size_t d, const void *x, int dtype, size_t k,
           uint32_t *idx, double *dist, size_t *researched, nn_error *e);
/* The same by brute force, O(m^2 d), with the same distances: the
 * reference for tests. */
int nn_knn_ref(size_t m, size_t d, const void *x, int dtype, size_t k,
               uint32_t *idx, double *dist, nn_error *e);


/* ------------------------------------- linear assignment (nn_lap.c) */

/* The assignment of the n rows of cost (n,m), n <= m, to distinct columns
 * with the least (or, with maximize, the greatest) total: col4row[i] is
 * row i's column, *total (if not NULL) the sum of their costs.  Exact
 * (shortest augmenting paths, as scipy's linear_sum_assignment); fails on
 * n > m and on a cost that is NaN or infinite. */
int nn_lap(size_t n, size_t m, const double *cost, int maximize,
           size_t *col4row, double *total, nn_error *e);
/* The same by trying every assignment, for m <= 12: the tests' reference. */
int nn_lap_ref(size_t n, size_t m, const double *cost, int maximize,
               size_t *col4row, double *total, nn_error *e);

/* ------------------------------------------------ Lanczos (nn_lanczos.c)
 * A symmetric operator on vectors of n doubles: out = A v; < 0 with e set
 * on failure. */
typedef int (*nn_matvec)(void *ctx, const double *v, double *out,
                         nn_error *e);
/* k steps of the Lanczos iteration from v0 (any non-zero vector; it is
 * normalised), every new vector reorthogonalized against all the earlier
 * ones (twice): the diagonal alpha (k) and the off-diagonal beta (k; the
 * last is the norm of the residual) of the tridiagonal T.  Returns the
 * steps done: fewer than k when the Krylov space closes (an invariant
 * subspace; T's eigenvalues are then eigenvalues of A); -1 on error,
 * among them k > n.  Holds k vectors of n.  _ref: plain loops, for the
 * tests. */
long nn_lanczos(nn_matvec op, void *ctx, size_t n, size_t k,
                const double *v0, double *alpha, double *beta, nn_error *e);
long nn_lanczos_ref(nn_matvec op, void *ctx, size_t n, size_t k,
                    const double *v0, double *alpha, double *beta,
                    nn_error *e);
/* T's eigenvalues theta (k, ascending), the squared first components of
 * their unit eigenvectors tau2 (the quadrature weights; they sum to 1)
 * and, if resid is not NULL, the residual bounds |beta[k-1] s_k,i| of the
 * Ritz pairs. */
int nn_tridiag_eig(size_t k, const double *alpha, const double *beta,
                   double *theta, double *tau2, double *resid, nn_error *e);

/* ------------------------------ first principal component (nn_pc.c)
 * The leading eigenvector c of the covariance of a stream of rows x (n
 * columns), to double precision, with its largest entry positive.  One
 * pass accumulates the covariance in single precision (ssyrk over blocks
 * of 1024 rows less the first block's means, summed in single precision
 * over 4096 rows, those sums in double precision): half the work of a
 * double-precision Gram matrix, and
 * an estimate of c to about 1e-7.  Then refining passes in double
 * precision, each the product of the covariance with c and one Davidson
 * correction with the single-precision covariance (its two largest
 * eigenvalues and first vector, and a Cholesky solve); each multiplies the
 * error by about the single-precision covariance's relative error over
 * the gap between the first two eigenvalues, and they stop once the
 * error estimated from the residual (||C c - theta c|| / gap) is below
 * 2^-20, which leaves about its square after the correction (MNIST: one
 * refining pass, an angle of 6e-15 to the double-precision Gram's).
 *
 *   nn_pc *p = nn_pc_new(n, &e);
 *   for every block: nn_pc_add(p, m, x, dtype, &e);
 *   rc = nn_pc_start(p, &e);
 *   while (rc == 1) {
 *       for every block: nn_pc_refine_add(p, m, x, dtype, keys or NULL);
 *       rc = nn_pc_refine_end(p, &e);
 *   }
 *   c = nn_pc_vector(p); */
typedef struct nn_pc nn_pc;
nn_pc *nn_pc_new(size_t n, nn_error *e);
/* Adds m rows x (m,n) of dtype (finite values). */
int nn_pc_add(nn_pc *p, size_t m, const void *x, int dtype, nn_error *e);
/* Ends the first pass: 1 when a refining pass is to follow, 0 when c is
 * final (one column), -1 on an error (no rows, overflow). */
int nn_pc_start(nn_pc *p, nn_error *e);
/* Adds m rows x (m,n) of dtype (NN_F32 or NN_F64; the same rows as the
 * first pass, in the same order), taken exactly in double precision;
 * when keys is not NULL, sets keys[i] = x_i.c for the c the pass refines,
 * each summed in the order of j (as nn_pc_key_bound assumes). */
void nn_pc_refine_add(nn_pc *p, size_t m, const void *x, int dtype,
                      double *keys);
/* Ends a refining pass and corrects c: 1 when another pass is to follow,
 * 0 when c is final, -1 on an error.  A component that the spectrum does
 * not single out (the first two eigenvalues equal in single precision)
 * takes no correction and at most 8 passes. */
int nn_pc_refine_end(nn_pc *p, nn_error *e);
const double *nn_pc_vector(const nn_pc *p);
/* The estimated sine of the angle between c and the component before the
 * last correction (||r|| / (theta - lambda_2)), and the refining passes. */
double nn_pc_estimate(const nn_pc *p);
/* After a refining pass: h such that for each of its rows x the key
 * x.c of the corrected c, summed in double precision in the order of j,
 * is within h of the key that pass gave (|x| |c - c_before| and both sums'
 * rounding); infinite before the first refining pass. */
double nn_pc_key_bound(const nn_pc *p);
int nn_pc_passes(const nn_pc *p);
uint64_t nn_pc_rows(const nn_pc *p);
void nn_pc_free(nn_pc *p);
/* The reference: the covariance of x (m,n) by loops in double precision
 * and its leading eigenvector (dsyevd), the same sign rule. */
int nn_pc_ref(size_t m, size_t n, const double *x, double *c, nn_error *e);

#endif

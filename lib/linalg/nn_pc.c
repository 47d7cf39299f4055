/* nn_pc.c — the first principal component of a stream of rows, to double
 * precision at about half the work of a double-precision Gram matrix: the
 * covariance in single precision (ssyrk per block of rows, summed in
 * single precision over 4096 rows and those sums in double precision)
 * gives a first estimate, its two largest eigenvalues and the first one's
 * vector (dsyevr, not the whole spectrum); then passes in double
 * precision, each one product of the covariance with the estimate,
 * correct it (one Davidson step, the single-precision covariance as the
 * preconditioner: a Cholesky solve with theta I - C32, its first
 * eigenvector's direction deflated).  Each pass multiplies the error by
 * about the relative error of the single-precision covariance over the
 * gap to the second eigenvalue; the reference, nn_pc_ref, is the
 * double-precision Gram and its eigenvectors. */
#include "linalg/nn_linalg.h"
#include "linalg/nn_lapack.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* refining passes stop when the estimated sine of the angle to the
 * component is below this: the last correction then leaves about its
 * square (below 1e-12) */
#define PC_TOL 0x1p-20
#define PC_MAX_PASSES 8
/* rows summed in single precision before they are added to g */
#define PC_FOLD 4096

struct nn_pc {
    size_t n;
    uint64_t rows;
    double *g;          /* (n,n) sum of (x-s)(x-s)^T, upper triangle */
    double *sum;        /* (n) sum of x-s */
    float *shift;       /* s: the first block's means, in f32 */
    float *buf;         /* block of x-s in f32 */
    float *g32;         /* one block's Gram */
    size_t cap;         /* rows of buf */
    size_t in32;        /* rows in g32 not yet in g */
    double *mu;         /* (n) the mean */
    double l1, l2;      /* the f32 covariance's two largest eigenvalues */
    double *v1;         /* (n) its first eigenvector */
    double *cov;        /* (n,n) the f32 covariance (g then holds factors) */
    double *c;          /* the component */
    double *acc;        /* refining pass: sum of x w, w = (x-mu).c */
    double *tmp;        /* (cap) the w of a block; (n) work */
    double accw;        /* sum of w */
    double xx;          /* the largest |x|^2 of the refining pass */
    double *cold;       /* c of the last refining pass */
    double bound;       /* |x.c - x.cold| for its rows, keys summed in order */
    uint64_t arows;
    double est;         /* estimated sine of the angle of c before the
                         * last correction */
    int passes;
};

nn_pc *nn_pc_new(size_t n, nn_error *e)
{
    size_t nn;
    if (n == 0 || n > (size_t)1 << 30 || __builtin_mul_overflow(n, n, &nn)) {
        nn_fail(e, "the principal component of %zu columns: too many", n);
        return NULL;
    }
    nn_pc *p = nn_alloc(1, sizeof *p, "principal component", e);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->n = n;
    p->cap = 1024;
    p->est = INFINITY;
    if (!(p->g = nn_alloc(nn, sizeof *p->g, "covariance", e)) ||
        !(p->g32 = nn_alloc(nn, sizeof *p->g32, "covariance", e)) ||
        !(p->sum = nn_alloc(n, sizeof *p->sum, "covariance", e)) ||
        !(p->shift = nn_alloc(n, sizeof *p->shift, "covariance", e)) ||
        !(p->mu = nn_alloc(n, sizeof *p->mu, "covariance", e)) ||
        !(p->buf = nn_alloc(p->cap * n, sizeof *p->buf, "row block", e))) {
        nn_pc_free(p);
        return NULL;
    }
    memset(p->g, 0, nn * sizeof *p->g);
    memset(p->sum, 0, n * sizeof *p->sum);
    return p;
}

void nn_pc_free(nn_pc *p)
{
    if (!p)
        return;
    free(p->g);
    free(p->g32);
    free(p->sum);
    free(p->shift);
    free(p->mu);
    free(p->buf);
    free(p->v1);
    free(p->cov);
    free(p->c);
    free(p->acc);
    free(p->tmp);
    free(p->cold);
    free(p);
}

/* Folds the single-precision sums into g. */
static void fold(nn_pc *p)
{
    size_t n = p->n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            p->g[i * n + j] += p->g32[i * n + j];
    p->in32 = 0;
}

/* Adds the k rows (k <= cap) of x - s held in buf: into g32, folded into
 * g every PC_FOLD rows (the fold streams both matrices: once a block
 * would cost as much as the ssyrk) */
static void add_block(nn_pc *p, size_t k)
{
    size_t n = p->n;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)k, 1.0f,
                p->buf, (int)n, p->in32 ? 1.0f : 0.0f, p->g32, (int)n);
    p->in32 += k;
    if (p->in32 >= PC_FOLD)
        fold(p);
}

int nn_pc_add(nn_pc *p, size_t m, const void *x, int dtype, nn_error *e)
{
    (void)e;
    size_t n = p->n, es = nn_dtype_size(dtype);
    if (p->rows == 0 && m > 0) {
        /* the shift: the first rows' means, so that the sums in single
         * precision are of numbers of about the spread, not the offset */
        double *s = calloc(n, sizeof *s);
        if (!s)
            return nn_fail(e, "out of memory (principal component)");
        for (size_t r = 0; r < m; r++)
            for (size_t j = 0; j < n; j++)
                s[j] += nn_elem_f64(x, dtype, r * n + j);
        for (size_t j = 0; j < n; j++)
            p->shift[j] = (float)(s[j] / (double)m);
        free(s);
    }
    for (size_t r0 = 0; r0 < m; r0 += p->cap) {
        size_t k = m - r0 < p->cap ? m - r0 : p->cap;
        const char *src = (const char *)x + r0 * n * es;
        const float *f = (const float *)src;
        if (dtype != NN_F32) {
            nn_convert(p->buf, NN_F32, src, dtype, k * n);
            f = p->buf;
        }
        /* x - s, and its sums in f64: four rows a step, so that each sum
         * takes one addition a step (four f32 add in f64 about exactly) */
        const float *s = p->shift;
        float *b = p->buf;
        size_t r = 0;
        for (; r + 4 <= k; r += 4) {
            const float *f0 = f + r * n;
            float *b0 = b + r * n;
            for (size_t j = 0; j < n; j++) {
                float v0 = f0[j] - s[j], v1 = f0[n + j] - s[j];
                float v2 = f0[2 * n + j] - s[j], v3 = f0[3 * n + j] - s[j];
                b0[j] = v0;
                b0[n + j] = v1;
                b0[2 * n + j] = v2;
                b0[3 * n + j] = v3;
                p->sum[j] += ((double)v0 + v1) + ((double)v2 + v3);
            }
        }
        for (; r < k; r++)
            for (size_t j = 0; j < n; j++) {
                b[r * n + j] = f[r * n + j] - s[j];
                p->sum[j] += b[r * n + j];
            }
        add_block(p, k);
    }
    p->rows += m;
    return 0;
}

/* c with its largest entry positive, of norm 1 */
static void normalize(size_t n, double *c)
{
    double s = 0;
    size_t big = 0;
    for (size_t i = 0; i < n; i++) {
        s += c[i] * c[i];
        if (fabs(c[i]) > fabs(c[big]))
            big = i;
    }
    s = sqrt(s);
    if (c[big] < 0)
        s = -s;
    for (size_t i = 0; i < n; i++)
        c[i] /= s;
}

/* The two largest eigenvalues of the covariance in g (destroyed) into
 * l1 >= l2 (l2 = -inf for one column) and the first's vector into v1
 * (dsyevr; the symmetric matrix is its own transpose). */
static int top2(nn_pc *p, nn_error *e)
{
    int n = (int)p->n, il = n > 1 ? n - 1 : 1, iu = n, m = 0, info = 0;
    int lwork = -1, liwork = -1, iwq, isuppz[4];
    double vl = 0, vu = 0, abstol = 0, wq, w[2];
    double *z = nn_alloc(2 * p->n, sizeof *z, "covariance", e);
    if (!z)
        return -1;
    dsyevr_("V", "I", "U", &n, p->g, &n, &vl, &vu, &il, &iu, &abstol, &m, w,
            z, &n, isuppz, &wq, &lwork, &iwq, &liwork, &info);
    lwork = (int)wq;
    liwork = iwq;
    double *work = nn_alloc((size_t)lwork + 1, sizeof *work, "eigen", e);
    int *iwork = nn_alloc((size_t)liwork + 1, sizeof *iwork, "eigen", e);
    if (work && iwork)
        dsyevr_("V", "I", "U", &n, p->g, &n, &vl, &vu, &il, &iu, &abstol, &m,
                w, z, &n, isuppz, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    int rc = 0;
    if (!work || !iwork)
        rc = -1;
    else if (info || m != iu - il + 1)
        rc = nn_fail(e, "eigensolver did not converge (dsyevr info %d)",
                     info);
    else {
        p->l1 = w[m - 1];
        p->l2 = m > 1 ? w[0] : -INFINITY;
        memcpy(p->v1, z + (size_t)(m - 1) * p->n, p->n * sizeof *p->v1);
    }
    free(z);
    return rc;
}

/* y = the Davidson correction sum over the eigenvectors v_j of the f32
 * covariance C but the first of v_j (v_j.r) / (theta - l_j): y = (I - v1
 * v1^T) A^-1 r with A = theta I - C + (l1 - l2) v1 v1^T, whose
 * eigenvalues are theta - l_j and, along v1, theta - l2 (positive
 * definite when theta > l2: Cholesky).  0 when A is not. */
static int correction(nn_pc *p, double theta, const double *r, double *y)
{
    int n = (int)p->n, one = 1, info = 0;
    size_t nn = p->n;
    double gamma = p->l1 - p->l2, *a = p->g;
    for (size_t i = 0; i < nn; i++)
        for (size_t j = i; j < nn; j++) /* the upper triangle, row-major:
                                          * the lower, column-major */
            a[i * nn + j] = (i == j ? theta : 0) - p->cov[i * nn + j] +
                            gamma * p->v1[i] * p->v1[j];
    dpotrf_("L", &n, a, &n, &info);
    if (info)
        return 0;
    memcpy(y, r, nn * sizeof *y);
    dpotrs_("L", &n, &one, a, &n, y, &n, &info);
    if (info)
        return 0;
    double s = 0;
    for (size_t j = 0; j < nn; j++)
        s += p->v1[j] * y[j];
    for (size_t j = 0; j < nn; j++)
        y[j] -= s * p->v1[j];
    return 1;
}

int nn_pc_start(nn_pc *p, nn_error *e)
{
    size_t n = p->n;
    if (p->rows == 0)
        return nn_fail(e, "no rows: no principal component");
    double m = (double)p->rows;
    if (p->in32)
        fold(p);
    if (!(p->v1 = nn_alloc(n, sizeof *p->v1, "covariance", e)) ||
        !(p->cov = nn_alloc(n * n, sizeof *p->cov, "covariance", e)) ||
        !(p->c = nn_alloc(n, sizeof *p->c, "covariance", e)) ||
        !(p->acc = nn_alloc(n, sizeof *p->acc, "covariance", e)) ||
        !(p->cold = nn_alloc(n, sizeof *p->cold, "covariance", e)) ||
        !(p->tmp = nn_alloc(p->cap > n ? p->cap : n, sizeof *p->tmp,
                            "covariance", e)))
        return -1;
    /* covariance = E[(x-s)(x-s)^T] - (mu-s)(mu-s)^T, into g (whole) */
    for (size_t j = 0; j < n; j++)
        p->mu[j] = p->sum[j] / m;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) {
            double c = p->g[i * n + j] / m - p->mu[i] * p->mu[j];
            p->g[i * n + j] = c;
            p->g[j * n + i] = c;
        }
    for (size_t j = 0; j < n; j++)
        p->mu[j] += p->shift[j];
    if (nn_nonfinite_find(p->g, NN_F64, n * n) < n * n)
        return nn_fail(e, "the covariance overflows single precision "
                       "(values too large)");
    memcpy(p->cov, p->g, n * n * sizeof *p->cov);
    if (top2(p, e) < 0)
        return -1;
    memcpy(p->c, p->v1, n * sizeof *p->c);
    normalize(n, p->c);
    p->passes = 0;
    p->accw = 0;
    p->xx = 0;
    p->bound = INFINITY;
    p->arows = 0;
    memset(p->acc, 0, n * sizeof *p->acc);
    return n > 1 ? 1 : 0;
}

/* One refining pass over the rows x (m,n) of T: w = x.c - mu.c, acc +=
 * x w, accw += w; the keys x.c (each summed in the order of j, as the
 * tool's ranks are) into keys when not NULL, and the largest |x|^2 into
 * xx.  Four rows at a time: four sums in flight, and acc read once for
 * the four rows (x taken exactly in double precision). */
#define REFINE(T)                                                            \
    do {                                                                     \
        const T *x_ = x;                                                     \
        size_t i = 0;                                                        \
        for (; i + 4 <= m; i += 4) {                                         \
            const T *r0 = x_ + i * n, *r1 = r0 + n, *r2 = r1 + n,            \
                    *r3 = r2 + n;                                            \
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;                           \
            double q0 = 0, q1 = 0, q2 = 0, q3 = 0;                           \
            for (size_t j = 0; j < n; j++) {                                 \
                double v0 = r0[j], v1 = r1[j], v2 = r2[j], v3 = r3[j];       \
                a0 += v0 * c[j];                                             \
                a1 += v1 * c[j];                                             \
                a2 += v2 * c[j];                                             \
                a3 += v3 * c[j];                                             \
                q0 += v0 * v0;                                               \
                q1 += v1 * v1;                                               \
                q2 += v2 * v2;                                               \
                q3 += v3 * v3;                                               \
            }                                                                \
            if (keys) {                                                      \
                keys[i] = a0;                                                \
                keys[i + 1] = a1;                                            \
                keys[i + 2] = a2;                                            \
                keys[i + 3] = a3;                                            \
            }                                                                \
            q0 = q0 > q1 ? q0 : q1;                                          \
            q2 = q2 > q3 ? q2 : q3;                                          \
            q0 = q0 > q2 ? q0 : q2;                                          \
            xx = xx > q0 ? xx : q0;                                          \
            double w0 = a0 - mc, w1 = a1 - mc, w2 = a2 - mc, w3 = a3 - mc;   \
            accw += (w0 + w1) + (w2 + w3);                                   \
            for (size_t j = 0; j < n; j++)                                   \
                acc[j] += ((double)r0[j] * w0 + (double)r1[j] * w1) +        \
                          ((double)r2[j] * w2 + (double)r3[j] * w3);         \
        }                                                                    \
        for (; i < m; i++) {                                                 \
            const T *r0 = x_ + i * n;                                        \
            double a0 = 0, q0 = 0;                                           \
            for (size_t j = 0; j < n; j++) {                                 \
                double v0 = r0[j];                                           \
                a0 += v0 * c[j];                                             \
                q0 += v0 * v0;                                               \
            }                                                                \
            if (keys)                                                        \
                keys[i] = a0;                                                \
            xx = xx > q0 ? xx : q0;                                          \
            double w0 = a0 - mc;                                             \
            accw += w0;                                                      \
            for (size_t j = 0; j < n; j++)                                   \
                acc[j] += (double)r0[j] * w0;                                \
        }                                                                    \
    } while (0)

void nn_pc_refine_add(nn_pc *p, size_t m, const void *x, int dtype,
                      double *keys)
{
    size_t n = p->n;
    const double *c = p->c;
    double *acc = p->acc, mc = 0, accw = p->accw, xx = p->xx;
    for (size_t j = 0; j < n; j++)
        mc += p->mu[j] * c[j];
    if (dtype == NN_F32)
        REFINE(float);
    else
        REFINE(double);
    p->accw = accw;
    p->xx = xx;
    p->arows += m;
}

int nn_pc_refine_end(nn_pc *p, nn_error *e)
{
    size_t n = p->n;
    if (p->arows != p->rows)
        return nn_fail(e, "a refining pass of %llu rows, not %llu",
                       (unsigned long long)p->arows,
                       (unsigned long long)p->rows);
    double m = (double)p->rows, theta = 0, rr = 0;
    double *r = p->acc, *y = p->tmp;
    /* r = C c - theta c, C c = (sum x w - mu sum w) / m */
    for (size_t j = 0; j < n; j++) {
        r[j] = (r[j] - p->mu[j] * p->accw) / m;
        theta += r[j] * p->c[j];
    }
    for (size_t j = 0; j < n; j++) {
        r[j] -= theta * p->c[j];
        rr += r[j] * r[j];
    }
    double gap = theta - p->l2;
    memcpy(p->cold, p->c, n * sizeof *p->c);
    p->est = gap > 0 ? sqrt(rr) / gap : INFINITY;
    p->passes++;
    if (gap > 0 && correction(p, theta, r, y)) {
        for (size_t j = 0; j < n; j++)
            p->c[j] += y[j];
        normalize(n, p->c);
    }
    if (nn_nonfinite_find(p->c, NN_F64, n) < n)
        return nn_fail(e, "the principal component is not finite (values "
                       "too large)");
    /* |x.c - x.cold| <= |x| |c - cold|, and each key summed in order is
     * within n eps |x| |c| of its exact value (|c| = 1): with margins */
    double dc = 0;
    for (size_t j = 0; j < n; j++)
        dc += (p->c[j] - p->cold[j]) * (p->c[j] - p->cold[j]);
    p->bound = sqrt(p->xx) * (sqrt(dc) + 2.0 * (double)n * DBL_EPSILON) *
               (1 + 1e-6);
    p->accw = 0;
    p->xx = 0;
    p->arows = 0;
    memset(p->acc, 0, n * sizeof *p->acc);
    return p->est > PC_TOL && gap > 0 && p->passes < PC_MAX_PASSES;
}

const double *nn_pc_vector(const nn_pc *p) { return p->c; }
double nn_pc_estimate(const nn_pc *p) { return p->est; }
double nn_pc_key_bound(const nn_pc *p) { return p->bound; }
int nn_pc_passes(const nn_pc *p) { return p->passes; }
uint64_t nn_pc_rows(const nn_pc *p) { return p->rows; }

int nn_pc_ref(size_t m, size_t n, const double *x, double *c, nn_error *e)
{
    double *g = nn_alloc(n * n, sizeof *g, "covariance", e);
    double *v = g ? nn_alloc(n * n, sizeof *v, "covariance", e) : NULL;
    double *w = v ? nn_alloc(n, sizeof *w, "covariance", e) : NULL;
    double *mu = w ? nn_alloc(n, sizeof *mu, "covariance", e) : NULL;
    int rc = -1;
    if (!mu)
        goto out;
    if (m == 0) {
        nn_fail(e, "no rows: no principal component");
        goto out;
    }
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t i = 0; i < m; i++)
            s += x[i * n + j];
        mu[j] = s / (double)m;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t r = 0; r < m; r++)
                s += (x[r * n + i] - mu[i]) * (x[r * n + j] - mu[j]);
            g[i * n + j] = s / (double)m;
        }
    if (nn_eigh(n, g, w, v, e) < 0)
        goto out;
    memcpy(c, v + (n - 1) * n, n * sizeof *c);
    normalize(n, c);
    rc = 0;
out:
    free(g);
    free(v);
    free(w);
    free(mu);
    return rc;
}

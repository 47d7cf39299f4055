/* nn_wspec.c — weight spectra: the singular values of a weight matrix,
 * the eigenvalues of W^T W, and the layer metrics WeightWatcher computes
 * from them, written from what its source computes (CalculatedContent/
 * WeightWatcher at commit d6fd015: weightwatcher/weightwatcher.py,
 * RMT_Util.py, WW_powerlaw.py, constants.py), not from its code; and the
 * PCA spectrum of a symmetric matrix.  The definitions are in
 * nn_methods.h; each function below names the one it follows. */
#include "methods/nn_methods.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* constants.py: EVALS_THRESH, EPSILON (CPU precision) */
#define WW_EVALS_THRESH 1e-5
#define WW_MIN_EVALS 10
#define WW_EPSILON 1e-10

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Empty, too large for LAPACK's int counts, or not finite: a message. */
static int check_matrix(size_t rows, size_t cols, const double *w,
                        nn_error *e)
{
    if (rows == 0 || cols == 0)
        return nn_fail(e, "empty weight matrix (%zu x %zu)", rows, cols);
    if (rows > INT_MAX || cols > INT_MAX || rows > SIZE_MAX / cols)
        return nn_fail(e, "weight matrix %zu x %zu too large", rows, cols);
    size_t bad = nn_nonfinite_find(w, NN_F64, rows * cols);
    if (bad < rows * cols)
        return nn_fail(e, "weight (%zu,%zu) is %g: not finite", bad / cols,
                       bad % cols, w[bad]);
    return 0;
}

/* weightwatcher.py combined_eigenvalues: sv = svd values (scipy's
 * gesdd), evals = sv * sv, sorted; no normalisation (normalize and
 * glorot_fix are off by default). */
int nn_wspec_esd(size_t rows, size_t cols, const double *w, double *s,
                 double *evals, nn_error *e)
{
    if (check_matrix(rows, cols, w, e) < 0)
        return -1;
    size_t k = rows < cols ? rows : cols;
    double *a = nn_alloc(rows * cols, sizeof *a, "SVD copy", e);
    double *sv = s ? s : nn_alloc(k, sizeof *sv, "singular values", e);
    if (!a || !sv) {
        free(a);
        if (sv != s)
            free(sv);
        return -1;
    }
    memcpy(a, w, rows * cols * sizeof *a);
    int rc = nn_svd(rows, cols, a, sv, NULL, NULL, e);
    free(a);
    if (rc == 0 && evals)
        for (size_t i = 0; i < k; i++)
            evals[i] = sv[k - 1 - i] * sv[k - 1 - i];
    if (sv != s)
        free(sv);
    return rc;
}

/* WW_powerlaw.py WWFit (pl_package "ww", the default; fit_power_law):
 * the data sorted; each x_i but the last a candidate xmin with the n =
 * N - i values from index i: alpha_i = 1 + n / (sum_{j>=i} ln x_j - n ln
 * x_i), D_i = max_{j<n} |1 - (x_{i+j}/x_i)^(1-alpha_i) - j/n| when
 * alpha_i > 1 (else 1), sigma_i = (alpha_i - 1)/sqrt(n); the first i of
 * least D.  The sum is taken of ln(x_j/x_i) = ln x_j - ln x_i, which is
 * what the difference of sums means, without its cancellation.  A tail
 * of equal values gives alpha = inf there, as numpy's n / 0. */
int nn_plfit_ww(size_t n, const double *x, nn_plfit *f, nn_error *e)
{
    if (n < 2)
        return nn_fail(e, "a power-law fit needs two values or more (%zu)",
                       n);
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0) || !isfinite(x[i]))
            return nn_fail(e, "power-law fit: value %zu is %g, not positive"
                           " and finite", i, x[i]);
    double *d = nn_alloc(2 * n, sizeof *d, "power-law fit", e);
    if (!d)
        return -1;
    double *lx = d + n;
    memcpy(d, x, n * sizeof *d);
    qsort(d, n, sizeof *d, cmp_double);
    for (size_t i = 0; i < n; i++)
        lx[i] = log(d[i]);
    size_t best = 0;
    double bestD = INFINITY, bestalpha = NAN;
    for (size_t i = 0; i + 1 < n; i++) {
        size_t nt = n - i;
        double sum = 0;
        for (size_t j = i; j < n; j++)
            sum += lx[j] - lx[i];
        double alpha = 1 + (double)nt / sum;    /* inf when sum is 0 */
        double D = 1;
        if (alpha > 1) {
            D = 0;
            for (size_t j = 0; j < nt; j++) {
                double dl = lx[i + j] - lx[i];
                double r = dl == 0 ? 1 : exp((1 - alpha) * dl);
                double dev = fabs(1 - r - (double)j / (double)nt);
                if (dev > D)
                    D = dev;
                if (D >= bestD)     /* this candidate cannot win */
                    break;
            }
        }
        if (D < bestD) {
            bestD = D;
            best = i;
            bestalpha = alpha;
        }
    }
    f->alpha = bestalpha;
    f->xmin = d[best];
    f->xmax = d[n - 1];
    f->D = bestD;
    f->sigma = (bestalpha - 1) / sqrt((double)(n - best));
    /* WWFit keeps data >= xmin, ties below index best included */
    size_t lo = best;
    while (lo > 0 && d[lo - 1] >= f->xmin)
        lo--;
    f->n_tail = n - lo;
    free(d);
    return 0;
}

/* ------------------------------------------------- Marchenko-Pastur fit
 * weightwatcher.py mp_fit and RMT_Util.fit_density_with_range, resid_mp,
 * marchenko_pastur_fun, quarter_circle_fun: the ESD scaled to mean 1
 * (Wscale), its density estimated by a linear (triangular) kernel of
 * bandwidth 0.1 on 1000 points of [0, max + 0.5], the points of density
 * <= 0.01 dropped; sigma minimising the squared difference of the MP
 * density (Q = N/M, edges sigma^2 (1 -+ 1/sqrt Q)^2) and the estimate,
 * 1000 at every point when the upper edge is below the estimate's mode
 * or beyond its last point, or the lower edge above the mode; first on
 * the grid 0.05 s0, 0.06 s0, ... below 2 s0 (s0 = sqrt(lambda_max) / (1 +
 * 1/sqrt Q)), then polished by Nelder-Mead from the grid's best
 * (scipy.optimize.brute with its default finish, fmin).  At Q = 1 the
 * singular values against the quarter circle instead. */

#define MP_GRID 1000

typedef struct mp_problem {
    double q;                   /* N/M */
    int qc;                     /* Q == 1: quarter circle */
    size_t ng;                  /* points kept */
    double xde[MP_GRID], yde[MP_GRID];
    double xpeak, xlast;
} mp_problem;

static double mp_resid(const mp_problem *p, double sigma)
{
    double s2 = sigma * sigma, r = 0;
    if (p->qc) {
        for (size_t i = 0; i < p->ng; i++) {
            double x = p->xde[i], v = 4 - x * x;
            double y = v >= 0 ? 1 / (M_PI * s2) * sqrt(v) : 0;
            if (!isfinite(y))   /* numpy's nan_to_num */
                y = isnan(y) ? 0 : copysign(DBL_MAX, y);
            r += (y - p->yde[i]) * (y - p->yde[i]);
        }
        return r;
    }
    double iq = sqrt(1 / p->q), yq = 1 / p->q;
    double b = pow(sigma * (1 + iq), 2), a = pow(sigma * (1 - iq), 2);
    if (b < p->xpeak || b > p->xlast || a > p->xpeak)
        return (double)p->ng * 1000 * 1000;
    for (size_t i = 0; i < p->ng; i++) {
        double x = p->xde[i], v = (b - x) * (x - a);
        double y = v >= 0 ? 1 / (2 * M_PI * s2 * x * yq) * sqrt(v) : 0;
        if (!isfinite(y))
            y = isnan(y) ? 0 : copysign(DBL_MAX, y);
        r += (y - p->yde[i]) * (y - p->yde[i]);
    }
    return r;
}

/* scipy.optimize.fmin in one dimension, with its defaults: simplex x0,
 * 1.05 x0 (0.00025 at 0); reflection 1, expansion 2, contraction 0.5,
 * shrink 0.5; stops when both the simplex and its values are within
 * 1e-4, or after 200 evaluations or iterations. */
static double nelder_mead_1d(const mp_problem *p, double x0)
{
    double s0 = x0, s1 = x0 != 0 ? 1.05 * x0 : 0.00025;
    double f0 = mp_resid(p, s0), f1 = mp_resid(p, s1);
    int calls = 2, iter = 1;
#define NM_SORT()                                                      \
    do {                                                               \
        if (f1 < f0) {                                                 \
            double t = s0; s0 = s1; s1 = t;                            \
            t = f0; f0 = f1; f1 = t;                                   \
        }                                                              \
    } while (0)
    NM_SORT();
    while (calls < 200 && iter < 200) {
        if (fabs(s1 - s0) <= 1e-4 && fabs(f0 - f1) <= 1e-4)
            break;
        double xbar = s0;
        double xr = 2 * xbar - s1, fr = mp_resid(p, xr);
        calls++;
        if (fr < f0) {
            double xe = 3 * xbar - 2 * s1, fe = mp_resid(p, xe);
            calls++;
            if (fe < fr)
                s1 = xe, f1 = fe;
            else
                s1 = xr, f1 = fr;
        } else {
            int shrink = 0;
            if (fr < f1) {
                double xc = 1.5 * xbar - 0.5 * s1, fc = mp_resid(p, xc);
                calls++;
                if (fc <= fr)
                    s1 = xc, f1 = fc;
                else
                    shrink = 1;
            } else {
                double xcc = 0.5 * xbar + 0.5 * s1, fcc = mp_resid(p, xcc);
                calls++;
                if (fcc < f1)
                    s1 = xcc, f1 = fcc;
                else
                    shrink = 1;
            }
            if (shrink) {
                s1 = s0 + 0.5 * (s1 - s0);
                f1 = mp_resid(p, s1);
                calls++;
            }
        }
        iter++;
        NM_SORT();
    }
#undef NM_SORT
    return s0;
}

/* The MP fit of evals (k, >= 0, sum > 0) for sides n >= m: fills the MP
 * fields of s. */
static int mp_fit(size_t n, size_t m, size_t k, const double *evals,
                  nn_wspec *s, nn_error *e)
{
    mp_problem *p = nn_alloc(1, sizeof *p, "MP fit", e);
    double *x = nn_alloc(k, sizeof *x, "MP fit", e);
    if (!p || !x) {
        free(p);
        free(x);
        return -1;
    }
    double sum = 0, lmax = 0;
    for (size_t i = 0; i < k; i++)
        sum += evals[i];
    double wscale = sqrt((double)k) / sqrt(sum);
    for (size_t i = 0; i < k; i++) {
        x[i] = wscale * wscale * evals[i];
        if (x[i] > lmax)
            lmax = x[i];
    }
    p->q = (double)n / (double)m;
    p->qc = n == m;
    /* fit_density_with_range: the sigma range from calc_sigma */
    double s0 = sqrt(lmax / pow(1 + 1 / sqrt(p->q), 2));
    if (p->qc)
        for (size_t i = 0; i < k; i++)
            x[i] = sqrt(x[i]);
    double fmax = 0;
    for (size_t i = 0; i < k; i++)
        if (x[i] > fmax)
            fmax = x[i];
    /* the kernel density on linspace(0, max + 0.5, 1000) */
    double stop = fmax + 0.5, step = stop / (MP_GRID - 1), h = 0.1;
    double ymax = -1;
    p->ng = 0;
    p->xpeak = p->xlast = 0;
    for (size_t g = 0; g < MP_GRID; g++) {
        double xg = g == MP_GRID - 1 ? stop : (double)g * step, y = 0;
        for (size_t i = 0; i < k; i++) {
            double u = fabs(xg - x[i]) / h;
            if (u < 1)
                y += 1 - u;
        }
        y /= (double)k * h;
        if (y > 0.01) {
            p->xde[p->ng] = xg;
            p->yde[p->ng++] = y;
            if (y > ymax) {
                ymax = y;
                p->xpeak = xg;
            }
            p->xlast = xg;
        }
    }
    /* brute force on np.mgrid[0.05 s0 : 2 s0 : 0.01 s0], then fmin */
    double lo = 0.05 * s0, hi = 2.0 * s0, st = 0.01 * s0;
    size_t npts = (size_t)ceil((hi - lo) / st);
    double delta = (lo + st) - lo;      /* numpy's arange fill */
    double best = lo, fbest = INFINITY;
    for (size_t i = 0; i < npts; i++) {
        double sg = i == 0 ? lo : i == 1 ? lo + st : lo + (double)i * delta;
        double f = mp_resid(p, sg);
        if (f < fbest)
            fbest = f, best = sg;
    }
    double sigma = p->ng ? nelder_mead_1d(p, best) : best;
    double iq = 1 / sqrt(p->q);
    double bulk_max = pow(sigma * (1 + iq), 2);
    double bulk_min = pow(sigma * (1 - iq), 2);
    /* mp_fit's Tracy-Widom margin, on the scaled eigenvalues */
    double tw = iq * pow(bulk_max, 2.0 / 3) * pow((double)m, -2.0 / 3);
    double cut = bulk_max + sqrt(tw);
    size_t spikes = 0;
    for (size_t i = 0; i < k; i++)
        if (wscale * wscale * evals[i] > cut)
            spikes++;
    s->w_scale = wscale;
    s->mp_sigma = sigma;
    s->lambda_plus = bulk_max / (wscale * wscale);
    s->lambda_minus = bulk_min / (wscale * wscale);
    s->num_spikes = spikes;
    s->mp_softrank = bulk_max / lmax;
    free(p);
    free(x);
    return 0;
}

/* weightwatcher.py apply_norm_metrics, with RMT_Util.matrix_rank and
 * matrix_entropy (svals = sqrt(evals), N the larger side). */
static void norm_metrics(size_t n, size_t k, const double *evals,
                         nn_wspec *s)
{
    double sum = 0, lmax = 0;
    for (size_t i = 0; i < k; i++) {
        sum += evals[i];
        if (evals[i] > lmax)
            lmax = evals[i];
    }
    s->norm = sum;
    s->log_norm = log10(sum);
    s->spectral_norm = lmax;
    s->log_spectral_norm = log10(lmax);
    s->stable_rank = sum / lmax;
    double tol = sqrt(lmax) * (double)n * DBL_EPSILON;
    size_t rank = 0;
    double h = 0;
    for (size_t i = 0; i < k; i++) {
        if (sqrt(evals[i]) > tol)
            rank++;
        double pi = evals[i] / sum + WW_EPSILON;
        h -= pi * log(pi);
    }
    s->rank = rank;
    s->entropy = h / log((double)rank + WW_EPSILON);
}

/* weightwatcher.py fit_powerlaw (xmin, xmax unset: the eigenvalues above
 * EVALS_THRESH to WWFit; num_pl_spikes those >= xmin), then
 * apply_norm_metrics' alpha_weighted and log_alpha_norm. */
static int pl_metrics(size_t m, size_t k, const double *evals, nn_wspec *s,
                      nn_error *e)
{
    s->alpha = s->alpha_sigma = s->xmin = s->xmax = s->D = NAN;
    s->alpha_weighted = s->log_alpha_norm = NAN;
    s->num_pl_spikes = 0;
    double *nz = nn_alloc(k, sizeof *nz, "power-law fit", e);
    if (!nz)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < k; i++)
        if (evals[i] > WW_EVALS_THRESH)
            nz[n++] = evals[i];
    s->pl_n = n;
    nn_plfit f;
    /* WeightWatcher leaves out layers of fewer than min_evals (10)
     * eigenvalues: no tail to fit (pooled shuffles of a narrow layer
     * would give nearly equal values and an alpha of 1e16) */
    if (m >= WW_MIN_EVALS && n >= 2 && nn_plfit_ww(n, nz, &f, e) == 0) {
        s->alpha = f.alpha;
        s->alpha_sigma = f.sigma;
        s->xmin = f.xmin;
        s->xmax = f.xmax;
        s->D = f.D;
        for (size_t i = 0; i < k; i++)
            if (evals[i] >= f.xmin)
                s->num_pl_spikes++;
        s->alpha_weighted = f.alpha * s->log_spectral_norm;
        double an = 0;
        for (size_t i = 0; i < k; i++)
            an += pow(evals[i], f.alpha);
        s->log_alpha_norm = log10(an);
    }
    free(nz);
    return 0;
}

static int check_evals(size_t n, size_t m, size_t k, const double *evals,
                       nn_error *e)
{
    if (k == 0 || m == 0 || n < m)
        return nn_fail(e, "empty spectrum or bad sides (%zu eigenvalues, "
                       "%zu x %zu)", k, n, m);
    double mx = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(evals[i] >= 0) || !isfinite(evals[i]))
            return nn_fail(e, "eigenvalue %zu is %g: not finite and >= 0", i,
                           evals[i]);
        if (evals[i] > mx)
            mx = evals[i];
    }
    if (mx == 0)
        return nn_fail(e, "the matrix is zero: its spectrum has no scale");
    return 0;
}

/* weightwatcher.py analyze() for one dense layer, defaults (mp_fit=True
 * asked for): apply_esd, apply_powerlaw, apply_mp_fit, apply_norm_metrics. */
int nn_wspec_from_evals(size_t n, size_t m, size_t k, const double *evals,
                        nn_wspec *s, nn_error *e)
{
    if (check_evals(n, m, k, evals, e) < 0)
        return -1;
    memset(s, 0, sizeof *s);
    s->n = n;
    s->m = m;
    s->k = k;
    norm_metrics(n, k, evals, s);
    if (pl_metrics(m, k, evals, s, e) < 0)
        return -1;
    return mp_fit(n, m, k, evals, s, e);
}

int nn_wspec_matrix(size_t rows, size_t cols, const double *w, nn_wspec *s,
                    double *evals, nn_error *e)
{
    if (check_matrix(rows, cols, w, e) < 0)
        return -1;
    size_t k = rows < cols ? rows : cols, n = rows + cols - k;
    double *ev = evals ? evals : nn_alloc(k, sizeof *ev, "eigenvalues", e);
    if (!ev)
        return -1;
    int rc = nn_wspec_esd(rows, cols, w, NULL, ev, e);
    if (rc == 0)
        rc = nn_wspec_from_evals(n, k, k, ev, s, e);
    if (ev != evals)
        free(ev);
    return rc;
}

/* Fisher-Yates, as np.random.shuffle (with another generator). */
static void shuffle(nn_rng *r, size_t len, double *a)
{
    for (size_t i = len - 1; i > 0; i--) {
        size_t j = (size_t)nn_rng_below(r, (uint64_t)i + 1);
        double v = a[i];
        a[i] = a[j];
        a[j] = v;
    }
}

/* weightwatcher.py apply_random_esd / random_eigenvalues and apply_mp_fit
 * (random=True): the entries of W shuffled (np.random.shuffle, unseeded
 * there; a seeded Fisher-Yates here), 5 replicas pooled when M < 100.
 * WeightWatcher fits only MP to them; here every metric. */
int nn_wspec_shuffled(size_t rows, size_t cols, const double *w,
                      uint64_t seed, size_t replicas, nn_wspec *s,
                      double *evals, nn_error *e)
{
    if (check_matrix(rows, cols, w, e) < 0)
        return -1;
    size_t k = rows < cols ? rows : cols, n = rows + cols - k;
    size_t len = rows * cols;
    if (replicas == 0)
        replicas = k < 100 ? 5 : 1;
    if (replicas > SIZE_MAX / k)
        return nn_fail(e, "too many replicas (%zu)", replicas);
    double *a = nn_alloc(len, sizeof *a, "shuffled weights", e);
    double *ev = evals ? evals
                       : nn_alloc(replicas * k, sizeof *ev, "eigenvalues", e);
    double *first = nn_alloc(k, sizeof *first, "eigenvalues", e);
    int rc = -1;
    if (!a || !ev || !first)
        goto out;
    memcpy(a, w, len * sizeof *a);
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (size_t t = 0; t < replicas; t++) {
        shuffle(&r, len, a);
        if (nn_wspec_esd(rows, cols, a, NULL, ev + t * k, e) < 0)
            goto out;
        if (t == 0)
            memcpy(first, ev, k * sizeof *first);
    }
    qsort(ev, replicas * k, sizeof *ev, cmp_double);
    if (nn_wspec_from_evals(n, k, replicas * k, ev, s, e) < 0)
        goto out;
    if (replicas > 1) {
        /* the norms of one shuffle, not of the pool */
        norm_metrics(n, k, first, s);
        s->alpha_weighted = s->alpha * s->log_spectral_norm;
        double an = 0;
        for (size_t i = 0; i < k; i++)
            an += pow(first[i], s->alpha);
        s->log_alpha_norm = isnan(s->alpha) ? NAN : log10(an);
    }
    rc = 0;
out:
    free(a);
    free(first);
    if (ev != evals)
        free(ev);
    return rc;
}

/* RMT_Util.jensen_shannon_distance (scipy.stats.entropy normalises each
 * argument to sum 1; natural log). */
double nn_wspec_js_distance(size_t k, const double *a, const double *b)
{
    double sa = 0, sb = 0;
    for (size_t i = 0; i < k; i++)
        sa += a[i], sb += b[i];
    double sm = (sa + sb) / 2, kl_a = 0, kl_b = 0;
    for (size_t i = 0; i < k; i++) {
        double p = a[i] / sa, q = b[i] / sb, mm = (a[i] + b[i]) / 2 / sm;
        if (p > 0)
            kl_a += p * log(p / mm);
        if (q > 0)
            kl_b += q * log(q / mm);
    }
    return sqrt((kl_a + kl_b) / 2);
}

/* weightwatcher.py apply_random_esd: rand_distance is taken against a
 * shuffle of its own (random_eigenvalues with one replica), whatever the
 * pooling of the others. */
int nn_wspec_rand_distance(size_t rows, size_t cols, const double *w,
                           const double *evals, uint64_t seed, double *d,
                           nn_error *e)
{
    if (check_matrix(rows, cols, w, e) < 0)
        return -1;
    size_t k = rows < cols ? rows : cols, len = rows * cols;
    double *a = nn_alloc(len, sizeof *a, "shuffled weights", e);
    double *ev = nn_alloc(k, sizeof *ev, "eigenvalues", e);
    int rc = -1;
    if (a && ev) {
        memcpy(a, w, len * sizeof *a);
        nn_rng r;
        nn_rng_seed(&r, seed);
        shuffle(&r, len, a);
        rc = nn_wspec_esd(rows, cols, a, NULL, ev, e);
        if (rc == 0)
            *d = nn_wspec_js_distance(k, evals, ev);
    }
    free(a);
    free(ev);
    return rc;
}

/* Not WeightWatcher's: the eigenvalues of a symmetric matrix by LAPACK
 * dsyevd (nn_eigh), largest first, for the spectrum of a layer's
 * activations from their Gram or covariance matrix. */
int nn_wspec_pca(size_t n, const double *g, double *w, nn_error *e)
{
    if (n == 0)
        return nn_fail(e, "empty matrix");
    if (n > INT_MAX || n > SIZE_MAX / n)
        return nn_fail(e, "matrix %zu x %zu too large", n, n);
    size_t bad = nn_nonfinite_find(g, NN_F64, n * n);
    if (bad < n * n)
        return nn_fail(e, "entry (%zu,%zu) is %g: not finite", bad / n,
                       bad % n, g[bad]);
    double *a = nn_alloc(n * n, sizeof *a, "eigen copy", e);
    if (!a)
        return -1;
    memcpy(a, g, n * n * sizeof *a);
    int rc = nn_eigh(n, a, w, NULL, e);
    free(a);
    if (rc == 0)
        for (size_t i = 0; i < n / 2; i++) {
            double t = w[i];
            w[i] = w[n - 1 - i];
            w[n - 1 - i] = t;
        }
    return rc;
}

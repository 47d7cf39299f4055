/* test_wspec.c — weight spectra (nn_wspec.c): singular values of a matrix
 * built from a known SVD, both ways round; an orthogonal matrix's stable
 * rank, entropy and norms; the largest and smallest eigenvalues of W^T W / N
 * of a Gaussian W against the Marchenko-Pastur edges, and the MP fit's
 * sigma, edges and spikes with and without a planted spike; the power-law
 * exponent recovered from Pareto samples; shuffles seeded and norm
 * preserving; the PCA spectrum of a matrix of known eigenvalues; bad input
 * refused.  NN_WSPEC_DUMP=FILE also writes eigenvalue sets and the
 * library's results for them to FILE (text), for tests/cli/wspec-ref.sh
 * to compare with tests/ref/powerlaw_ref.py. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static FILE *dump;

static void gaussian(nn_rng *r, size_t n, double sd, double *a)
{
    for (size_t i = 0; i < n; i++)
        a[i] = sd * nn_rng_normal(r);
}

/* Q (m,n), m >= n, with orthonormal columns. */
static double *orthonormal(nn_rng *r, size_t m, size_t n)
{
    double *q = malloc(m * n * sizeof *q);
    nn_error e;
    gaussian(r, m * n, 1, q);
    if (nn_qr_q(m, n, q, &e) < 0) {
        printf("not ok - QR: %s\n", e.msg);
        exit(1);
    }
    return q;
}

static double rel(double a, double b) { return fabs(a - b) / fabs(b); }

/* One set for the reference: the eigenvalues, the sides, and the results
 * (power law, norms, MP fit). */
static void dump_set(const char *name, size_t n, size_t m, size_t k,
                     const double *ev, const nn_wspec *s)
{
    if (!dump)
        return;
    fprintf(dump, "set %s %zu %zu %zu\n", name, n, m, k);
    for (size_t i = 0; i < k; i++)
        fprintf(dump, "%.17g\n", ev[i]);
    fprintf(dump, "pl %.17g %.17g %.17g %.17g %.17g %zu %zu\n", s->alpha,
            s->alpha_sigma, s->xmin, s->xmax, s->D, s->num_pl_spikes,
            s->pl_n);
    fprintf(dump, "norms %.17g %.17g %.17g %.17g %zu %.17g %.17g\n",
            s->log_norm, s->log_spectral_norm, s->stable_rank, s->entropy,
            s->rank, s->alpha_weighted, s->log_alpha_norm);
    fprintf(dump, "mp %.17g %.17g %.17g %.17g %zu %.17g\n", s->w_scale,
            s->mp_sigma, s->lambda_minus, s->lambda_plus, s->num_spikes,
            s->mp_softrank);
}

static void test_known_svd(nn_rng *r)
{
    const size_t m = 7, n = 5;
    const double sv[5] = {5, 3, 2, 1, 0.5};
    double *u = orthonormal(r, m, n), *v = orthonormal(r, n, n);
    double w[35], wt[35], s[5], s2[5], ev[5];
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double a = 0;
            for (size_t t = 0; t < n; t++)
                a += u[i * n + t] * sv[t] * v[j * n + t];
            w[i * n + j] = a;
            wt[j * m + i] = a;
        }
    nn_error e;
    int rc = nn_wspec_esd(m, n, w, s, ev, &e);
    CHECK(rc == 0 && max_abs_diff(s, sv, 5) < 1e-12,
          "singular values of U diag(5,3,2,1,0.5) V^T (7x5), descending "
          "(max diff %.2g)", max_abs_diff(s, sv, 5));
    double want[5];
    for (size_t i = 0; i < 5; i++)
        want[i] = sv[4 - i] * sv[4 - i];
    CHECK(rc == 0 && max_abs_diff(ev, want, 5) < 1e-11,
          "eigenvalues of W^T W are their squares, ascending (max diff %.2g)",
          max_abs_diff(ev, want, 5));
    rc = nn_wspec_esd(n, m, wt, s2, NULL, &e);
    CHECK(rc == 0 && max_abs_diff(s2, sv, 5) < 1e-12,
          "the same of W^T (5x7) (max diff %.2g)", max_abs_diff(s2, sv, 5));
    free(u);
    free(v);
}

static void test_orthogonal(nn_rng *r)
{
    const size_t n = 64;
    double *q = orthonormal(r, n, n);
    nn_wspec s;
    nn_error e;
    int rc = nn_wspec_matrix(n, n, q, &s, NULL, &e);
    CHECK(rc == 0 && fabs(s.stable_rank - (double)n) < 1e-10,
          "stable rank of a 64x64 orthogonal matrix is 64 (%.15g)",
          s.stable_rank);
    CHECK(rc == 0 && s.rank == n && fabs(s.entropy - 1) < 1e-7,
          "its rank is 64 and its spectral entropy 1 (%zu, %.12g)", s.rank,
          s.entropy);
    CHECK(rc == 0 && fabs(s.log_norm - log10((double)n)) < 1e-12 &&
              fabs(s.log_spectral_norm) < 1e-12,
          "log_norm = log10 ||W||_F^2 = log10 64, log_spectral_norm = 0 "
          "(%.15g, %.3g)", s.log_norm, s.log_spectral_norm);
    /* a scaled semi-orthogonal 200x100: stable rank 100 whatever the scale */
    double *p = orthonormal(r, 200, 100);
    for (size_t i = 0; i < 200 * 100; i++)
        p[i] *= 3;
    rc = nn_wspec_matrix(200, 100, p, &s, NULL, &e);
    CHECK(rc == 0 && fabs(s.stable_rank - 100) < 1e-9 &&
              fabs(s.log_spectral_norm - log10(9.0)) < 1e-12,
          "3 x a 200x100 semi-orthogonal matrix: stable rank 100, "
          "log_spectral_norm log10 9 (%.12g, %.12g)", s.stable_rank,
          s.log_spectral_norm);
    free(q);
    free(p);
}

/* Gaussian W (N,M) of variance v: the eigenvalues of W^T W / N fill
 * v (1 -+ sqrt(q))^2, q = M/N, as N grows. */
static void test_mp(nn_rng *r)
{
    const size_t N = 1000, M = 500;
    const double sd = 0.2, v = sd * sd, q = (double)M / (double)N;
    double *w = malloc(N * M * sizeof *w), *ev = malloc(M * sizeof *ev);
    gaussian(r, N * M, sd, w);
    nn_wspec s;
    nn_error e;
    int rc = nn_wspec_matrix(N, M, w, &s, ev, &e);
    double hi = v * (1 + sqrt(q)) * (1 + sqrt(q));
    double lo = v * (1 - sqrt(q)) * (1 - sqrt(q));
    double top = ev[M - 1] / (double)N, bot = ev[0] / (double)N;
    /* the tolerances: at this size the Tracy-Widom scale of the largest
     * eigenvalue is 0.8% of the edge, its mean 1% below it (Johnstone
     * 2001); of the smallest 2.5%, its mean 3% above it: mean + 3 sd */
    CHECK(rc == 0 && rel(top, hi) < 0.04,
          "1000x500 Gaussian, variance 0.04: largest eigenvalue of W^T W / N "
          "%.5f, MP edge v (1 + sqrt q)^2 = %.5f (within 4%%: %.2g%%)", top,
          hi, 100 * rel(top, hi));
    CHECK(rc == 0 && rel(bot, lo) < 0.11,
          "smallest %.6f, MP edge v (1 - sqrt q)^2 = %.6f (within 11%%: "
          "%.2g%%)", bot, lo, 100 * rel(bot, lo));
    /* WeightWatcher's fit works on the ESD scaled to mean 1 (= the MP
     * sigma^2 of a random matrix) */
    CHECK(rc == 0 && fabs(s.mp_sigma - 1) < 0.05,
          "its MP fit: sigma %.4f (1 within 0.05)", s.mp_sigma);
    CHECK(rc == 0 && rel(s.lambda_plus / (double)N, hi) < 0.1 &&
              rel(s.lambda_minus / (double)N, lo) < 0.1,
          "fitted edges / N %.5f, %.6f against %.5f, %.6f (within 10%%)",
          s.lambda_plus / (double)N, s.lambda_minus / (double)N, hi, lo);
    CHECK(rc == 0 && s.num_spikes == 0 && s.mp_softrank > 0.9,
          "no spikes, mp_softrank %.4f (> 0.9)", s.mp_softrank);
    CHECK(rc == 0 && s.alpha > 6,
          "power-law alpha of a random matrix %.3g (> 6, WeightWatcher's "
          "random-like)", s.alpha);
    dump_set("gauss1000x500", N, M, M, ev, &s);
    /* a planted spike: W + 3 sqrt(N v) x u v^T for unit u, v */
    double *u = orthonormal(r, N, 1), *vv = orthonormal(r, M, 1);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < M; j++)
            w[i * M + j] += 3 * sqrt((double)N * v) * u[i] * vv[j];
    rc = nn_wspec_matrix(N, M, w, &s, ev, &e);
    CHECK(rc == 0 && s.num_spikes == 1 && s.mp_softrank < 0.5,
          "with a planted spike: 1 spike (%zu), mp_softrank %.3f (< 0.5)",
          s.num_spikes, s.mp_softrank);
    dump_set("gauss_spiked", N, M, M, ev, &s);
    /* square: the quarter-circle branch */
    gaussian(r, 300 * 300, sd, w);
    rc = nn_wspec_matrix(300, 300, w, &s, ev, &e);
    CHECK(rc == 0 && fabs(s.mp_sigma - 1) < 0.1,
          "300x300 Gaussian (quarter circle): sigma %.4f (1 within 0.1)",
          s.mp_sigma);
    dump_set("gauss300x300", 300, 300, 300, ev, &s);
    free(u);
    free(vv);
    free(w);
    free(ev);
}

/* Pareto samples of density exponent alpha (pdf ~ x^-alpha, x >= 1). */
static void test_pareto(nn_rng *r)
{
    const double alphas[3] = {2.0, 3.5, 5.0};
    const size_t n = 3000;
    double *x = malloc(n * sizeof *x);
    for (int t = 0; t < 3; t++) {
        double a = alphas[t];
        for (size_t i = 0; i < n; i++)
            x[i] = pow(1 - nn_rng_uniform(r), -1 / (a - 1));
        nn_plfit f;
        nn_error e;
        int rc = nn_plfit_ww(n, x, &f, &e);
        CHECK(rc == 0 && fabs(f.alpha - a) < 0.15 + 3 * f.sigma,
              "Pareto alpha %.1f, 3000 samples: alpha %.4f (sigma %.4f, "
              "within 0.15 + 3 sigma), xmin %.4g, D %.4f, tail %zu", a,
              f.alpha, f.sigma, f.xmin, f.D, f.n_tail);
        CHECK(rc == 0 && f.D < 0.05 && f.n_tail > 100,
              "  its KS distance %.4f < 0.05 on a tail of %zu > 100", f.D,
              f.n_tail);
        if (dump) {
            /* as eigenvalues of a square matrix, for the reference */
            nn_wspec s;
            if (nn_wspec_from_evals(n, n, n, x, &s, &e) == 0) {
                char name[32];
                snprintf(name, sizeof name, "pareto%.1f", a);
                dump_set(name, n, n, n, x, &s);
            }
        }
    }
    free(x);
}

/* A heavy-tailed matrix (Student t, 3 degrees of freedom) and small
 * ones, for the reference. */
static void test_heavy(nn_rng *r)
{
    const size_t N = 400, M = 250;
    double *w = malloc(N * M * sizeof *w), *ev = malloc(N * 5 * sizeof *ev);
    for (size_t i = 0; i < N * M; i++) {
        double z = nn_rng_normal(r), c = 0;
        for (int j = 0; j < 3; j++) {
            double g = nn_rng_normal(r);
            c += g * g;
        }
        w[i] = z / sqrt(c / 3);
    }
    nn_wspec s;
    nn_error e;
    int rc = nn_wspec_matrix(N, M, w, &s, ev, &e);
    CHECK(rc == 0 && s.alpha < 6 && s.alpha > 1,
          "400x250 Student-t(3) entries: heavy tail, alpha %.3f (< 6), "
          "xmin %.4g, D %.4f", s.alpha, s.xmin, s.D);
    dump_set("student3_400x250", N, M, M, ev, &s);
    nn_wspec t;
    rc = nn_wspec_shuffled(N, M, w, 7, 1, &t, ev, &e);
    CHECK(rc == 0 && rel(t.norm, s.norm) < 1e-12,
          "shuffled: ||W||_F^2 kept (%.15g, %.15g)", t.norm, s.norm);
    dump_set("student3_shuffled", N, M, M, ev, &t);
    /* 60x30: WeightWatcher pools 5 shuffles below 100 eigenvalues */
    rc = nn_wspec_matrix(60, 30, w, &s, ev, &e);
    dump_set("student3_60x30", 60, 30, 30, ev, &s);
    rc |= nn_wspec_shuffled(60, 30, w, 7, 0, &t, ev, &e);
    CHECK(rc == 0 && t.k == 150,
          "60x30 shuffled with the default replicas: 5 x 30 eigenvalues "
          "pooled (%zu)", t.k);
    dump_set("student3_60x30_shuffled5", 60, 30, 150, ev, &t);
    free(w);
    free(ev);
}

static void test_shuffle(nn_rng *r)
{
    const size_t N = 120, M = 80;
    double *w = malloc(N * M * sizeof *w);
    double *a = malloc(M * sizeof *a), *b = malloc(M * sizeof *b);
    double *c = malloc(M * sizeof *c);
    /* a low-rank matrix: a planted rank 3 on weak noise */
    gaussian(r, N * M, 0.01, w);
    double *u = orthonormal(r, N, 3), *v = orthonormal(r, M, 3);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < M; j++)
            for (size_t t = 0; t < 3; t++)
                w[i * M + j] += (t + 1) * u[i * 3 + t] * v[j * 3 + t];
    nn_wspec s, s1, s2, s3;
    nn_error e;
    int rc = nn_wspec_matrix(N, M, w, &s, NULL, &e);
    rc |= nn_wspec_shuffled(N, M, w, 42, 1, &s1, a, &e);
    rc |= nn_wspec_shuffled(N, M, w, 42, 1, &s2, b, &e);
    rc |= nn_wspec_shuffled(N, M, w, 43, 1, &s3, c, &e);
    CHECK(rc == 0 && memcmp(a, b, M * sizeof *a) == 0 &&
              max_abs_diff(a, c, M) > 0,
          "shuffles: the same seed gives the same spectrum, another seed "
          "another");
    CHECK(rc == 0 && s.num_spikes == 3 && s1.num_spikes == 0,
          "rank 3 on noise: 3 spikes (%zu); shuffled, none (%zu)",
          s.num_spikes, s1.num_spikes);
    CHECK(rc == 0 && s1.stable_rank > 5 * s.stable_rank,
          "shuffling raises the stable rank %.3g -> %.3g", s.stable_rank,
          s1.stable_rank);
    double *ev = malloc(M * sizeof *ev);
    nn_wspec_matrix(N, M, w, &s, ev, &e);
    double js0 = nn_wspec_js_distance(M, ev, ev);
    double js = nn_wspec_js_distance(M, ev, a);
    CHECK(js0 == 0 && js > 0.1 && js <= sqrt(log(2.0)),
          "Jensen-Shannon distance: 0 to itself, %.4f to the shuffled "
          "(0.1 < d <= sqrt ln 2)", js);
    double d42;
    rc = nn_wspec_rand_distance(N, M, w, ev, 42, &d42, &e);
    CHECK(rc == 0 && d42 == js,
          "rand_distance: against the first shuffle of the seed (%.17g)", d42);
    /* a Gaussian 200x50: its own shuffle is close, the smallest fifth of a
     * pool of five shuffles is not (rand_distance needs a shuffle of its
     * own when the others are pooled) */
    double *g = malloc(200 * 50 * sizeof *g), eg[50], pool[250], dg;
    gaussian(r, 200 * 50, 1, g);
    nn_wspec sg;
    rc = nn_wspec_matrix(200, 50, g, &sg, eg, &e);
    rc |= nn_wspec_rand_distance(200, 50, g, eg, 5, &dg, &e);
    rc |= nn_wspec_shuffled(200, 50, g, 5, 0, &sg, pool, &e);
    double dp = nn_wspec_js_distance(50, eg, pool);
    CHECK(rc == 0 && dg < 0.04 && dp > 0.08,
          "200x50 Gaussian: rand_distance %.4f (< 0.04); against the first "
          "50 of 5 pooled shuffles %.4f (> 0.08)", dg, dp);
    CHECK(nn_wspec_rand_distance(0, 50, g, eg, 5, &dg, &e) < 0,
          "rand_distance of an empty matrix refused: %s", e.msg);
    free(g);
    /* by hand: a = (1,0), b = (0,1): sqrt(ln 2) */
    double pa[2] = {1, 0}, pb[2] = {0, 1};
    double jd = nn_wspec_js_distance(2, pa, pb);
    CHECK(fabs(jd - sqrt(log(2.0))) < 1e-15,
          "disjoint distributions: sqrt(ln 2) (%.17g)", jd);
    free(w), free(a), free(b), free(c), free(u), free(v), free(ev);
}

static void test_pca(nn_rng *r)
{
    const size_t n = 6;
    const double lam[6] = {9, 4, 2.5, 1, 0, -0.5};
    double *q = orthonormal(r, n, n), g[36], w[6];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double a = 0;
            for (size_t t = 0; t < n; t++)
                a += q[i * n + t] * lam[t] * q[j * n + t];
            g[i * n + j] = a;
        }
    nn_error e;
    int rc = nn_wspec_pca(n, g, w, &e);
    CHECK(rc == 0 && max_abs_diff(w, lam, n) < 1e-12,
          "PCA spectrum of Q diag(9,4,2.5,1,0,-0.5) Q^T, descending "
          "(max diff %.2g)", max_abs_diff(w, lam, n));
    g[7] = NAN;
    rc = nn_wspec_pca(n, g, w, &e);
    CHECK(rc < 0 && strstr(e.msg, "not finite"),
          "PCA of a matrix with NaN refused: %s", e.msg);
    CHECK(nn_wspec_pca(0, g, w, &e) < 0, "PCA of an empty matrix refused: %s",
          e.msg);
    free(q);
}

static void test_bad(void)
{
    double w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ev[4], s[4];
    nn_wspec sp;
    nn_error e;
    w[5] = NAN;
    int rc = nn_wspec_matrix(3, 4, w, &sp, ev, &e);
    CHECK(rc < 0 && strstr(e.msg, "(1,1)") && strstr(e.msg, "not finite"),
          "NaN weight refused: %s", e.msg);
    w[5] = INFINITY;
    rc = nn_wspec_esd(3, 4, w, s, ev, &e);
    CHECK(rc < 0 && strstr(e.msg, "not finite"), "infinite weight refused: %s",
          e.msg);
    rc = nn_wspec_shuffled(3, 4, w, 1, 1, &sp, NULL, &e);
    CHECK(rc < 0, "and by the shuffle: %s", e.msg);
    rc = nn_wspec_matrix(0, 4, w, &sp, ev, &e);
    CHECK(rc < 0 && strstr(e.msg, "empty"), "0x4 matrix refused: %s", e.msg);
    rc = nn_wspec_matrix(3, 0, w, &sp, ev, &e);
    CHECK(rc < 0 && strstr(e.msg, "empty"), "3x0 matrix refused: %s", e.msg);
    double z[12] = {0};
    rc = nn_wspec_matrix(3, 4, z, &sp, ev, &e);
    CHECK(rc < 0 && strstr(e.msg, "zero"), "zero matrix refused: %s", e.msg);
    double neg[3] = {1, -1, 2};
    rc = nn_wspec_from_evals(3, 3, 3, neg, &sp, &e);
    CHECK(rc < 0, "negative eigenvalue refused: %s", e.msg);
    nn_plfit f;
    CHECK(nn_plfit_ww(1, neg, &f, &e) < 0, "power law of one value refused: %s",
          e.msg);
    CHECK(nn_plfit_ww(3, neg, &f, &e) < 0,
          "power law of a negative value refused: %s", e.msg);
    /* one eigenvalue above 1e-5: no power law, the rest computed */
    double one[4] = {0, 0, 0, 4};
    rc = nn_wspec_from_evals(4, 4, 4, one, &sp, &e);
    CHECK(rc == 0 && isnan(sp.alpha) && sp.pl_n == 1 && sp.stable_rank == 1,
          "rank one: alpha NaN (needs two eigenvalues above 1e-5), stable "
          "rank 1");
}

int main(void)
{
    const char *path = getenv("NN_WSPEC_DUMP");
    if (path && !(dump = fopen(path, "w"))) {
        printf("not ok - cannot write %s\n", path);
        return 1;
    }
    nn_rng r;
    nn_rng_seed(&r, 20261130);
    test_known_svd(&r);
    test_orthogonal(&r);
    test_mp(&r);
    test_pareto(&r);
    test_heavy(&r);
    test_shuffle(&r);
    test_pca(&r);
    test_bad();
    if (dump && fclose(dump) != 0) {
        printf("not ok - writing %s\n", path);
        return 1;
    }
    return check_status();
}

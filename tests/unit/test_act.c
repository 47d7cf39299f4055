/* test_act.c — activations: parsing (good strings, bad ones, defaults),
 * the round trip through a weight record's attributes, each activation in
 * both precisions against a formula written another way, softmax's
 * invariants, and the polynomial bases against their closed forms. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------- parse */

static void test_parse(void)
{
    static const struct {
        const char *s;
        int kind;
        double alpha, beta;
        int degree;
    } good[] = {
        {"identity", NN_ACT_IDENTITY, 0, 0, 0},
        {"relu", NN_ACT_RELU, 0, 0, 0},
        {"tanh", NN_ACT_TANH, 0, 0, 0},
        {"sigmoid", NN_ACT_SIGMOID, 0, 0, 0},
        {"softmax", NN_ACT_SOFTMAX, 0, 0, 0},
        {"celu", NN_ACT_CELU, 1.0, 0, 0},
        {"celu:0.5", NN_ACT_CELU, 0.5, 0, 0},
        {"celu:1/4", NN_ACT_CELU, 0.25, 0, 0},
        {"exp", NN_ACT_EXP, 0.1, 0, 0},
        {"exp:2", NN_ACT_EXP, 2, 0, 0},
        {"pow3", NN_ACT_POW3, 0.001, 0.4, 0},
        {"pow3:2", NN_ACT_POW3, 2, 0.4, 0},
        {"pow3:2:-1e-3", NN_ACT_POW3, 2, -1e-3, 0},
        {"legendre:4", NN_ACT_LEGENDRE, 0, 0, 4},
        {"chebyshev:1", NN_ACT_CHEBYSHEV, 0, 0, 1},
        {"laguerre:64", NN_ACT_LAGUERRE, 0, 0, 64},
        {"hermite:3", NN_ACT_HERMITE, 0, 0, 3},
    };
    nn_error e = {{0}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        nn_act a = {.kind = -1, .alpha = -7, .beta = -7, .degree = -7};
        int rc = nn_act_parse(good[i].s, &a, &e);
        CHECK(rc == 0 && a.kind == good[i].kind && a.alpha == good[i].alpha &&
                  a.beta == good[i].beta && a.degree == good[i].degree,
              "parse '%s': kind %d alpha %g beta %g degree %d", good[i].s,
              a.kind, a.alpha, a.beta, a.degree);
    }
    static const struct {
        const char *s, *says;
    } bad[] = {
        {"", "unknown"},           {"foo", "unknown"},
        {"Relu", "unknown"},       {"relu:1", "surplus"},
        {"tanh:0", "surplus"},     {"celu:0", "alpha > 0"},
        {"celu:-1", "alpha > 0"},  {"celu:nan", "parameter"},
        {"celu:x", "parameter"},   {"celu:1:2", "surplus"},
        {"exp:1:2", "surplus"},    {"pow3:1:2:3", "surplus"},
        {"celu::1", "parameter"},  {"relu:", "surplus"},  {"celu:", "parameter"},
        {"pow3:2:", "parameter"},  {"legendre:3:", "surplus"},  {"exp:inf", "parameter"},  {"legendre", "degree"},
        {"legendre:0", "degree"},  {"legendre:65", "degree"},
        {"legendre:2.5", "degree"}, {"legendre:2:3", "surplus"},
        {"hermite:-1", "degree"},  {"chebyshev:", "parameter"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nn_act a;
        e.msg[0] = 0;
        int rc = nn_act_parse(bad[i].s, &a, &e);
        CHECK(rc < 0 && strstr(e.msg, bad[i].says),
              "parse '%s' fails (%s)", bad[i].s, e.msg);
    }
    char lng[300];
    memset(lng, 'r', sizeof lng - 1);
    lng[sizeof lng - 1] = 0;
    nn_act a;
    e.msg[0] = 0;
    CHECK(nn_act_parse(lng, &a, &e) < 0 && strstr(e.msg, "too long"),
          "a 299-character activation fails (%s)", e.msg);

    /* names and the polynomial kinds */
    int names_ok = 1, poly_ok = 1;
    for (int k = NN_ACT_IDENTITY; k <= NN_ACT_HERMITE; k++) {
        names_ok &= nn_act_parse(nn_act_name(k), &a, &e) == 0 ? a.kind == k
                  : nn_act_is_poly(k);
        poly_ok &= nn_act_is_poly(k) == (k >= NN_ACT_LEGENDRE);
    }
    CHECK(names_ok, "every kind's name parses back to the kind");
    CHECK(poly_ok, "the polynomial kinds are legendre..hermite");
    CHECK(strcmp(nn_act_name(-1), "?") == 0 &&
              strcmp(nn_act_name(NN_ACT_HERMITE + 1), "?") == 0,
          "an unknown kind is named '?'");
}

/* --------------------------------------------------------------- attrs */

static int act_equal(const nn_act *a, const nn_act *b)
{
    return a->kind == b->kind && a->alpha == b->alpha && a->beta == b->beta &&
           a->degree == b->degree;
}

static void test_attrs(void)
{
    nn_act acts[] = {
        {NN_ACT_IDENTITY, 0, 0, 0}, {NN_ACT_RELU, 0, 0, 0},
        {NN_ACT_TANH, 0, 0, 0},     {NN_ACT_SIGMOID, 0, 0, 0},
        {NN_ACT_SOFTMAX, 0, 0, 0},  {NN_ACT_CELU, 0.3, 0, 0},
        {NN_ACT_EXP, 1.0 / 3, 0, 0}, {NN_ACT_POW3, -2.5e-7, 1e10, 0},
        {NN_ACT_LEGENDRE, 0, 0, 5}, {NN_ACT_CHEBYSHEV, 0, 0, 64},
        {NN_ACT_LAGUERRE, 0, 0, 1}, {NN_ACT_HERMITE, 0, 0, 2},
    };
    nn_error e = {{0}};
    /* stale keys of another activation, and one that is not ours */
    const char *old = "note=keep me\nalpha=9\nbeta=8\ndegree=7\nactivation=tanh\n";
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        nn_act *a = &acts[i], b;
        char *s = nn_act_to_attrs(a, old);
        char v[64];
        int rc = s ? nn_act_from_attrs(s, &b, &e) : -1;
        int params = a->kind == NN_ACT_CELU || a->kind == NN_ACT_EXP ||
                     a->kind == NN_ACT_POW3;
        int keys = s && nn_attrs_get(s, "note", v, sizeof v) &&
                   strcmp(v, "keep me") == 0 &&
                   nn_attrs_get(s, "alpha", v, sizeof v) == params &&
                   nn_attrs_get(s, "beta", v, sizeof v) ==
                       (a->kind == NN_ACT_POW3) &&
                   nn_attrs_get(s, "degree", v, sizeof v) ==
                       nn_act_is_poly(a->kind) &&
                   nn_attrs_valid(s, strlen(s));
        CHECK(rc == 0 && act_equal(a, &b) && keys,
              "%s to attrs and back: alpha %.17g beta %.17g degree %d, stale "
              "keys gone, others kept", nn_act_name(a->kind), b.alpha, b.beta,
              b.degree);
        free(s);
    }
    /* no activation key: identity; no attributes at all */
    nn_act b = {.kind = -1};
    CHECK(nn_act_from_attrs("", &b, &e) == 0 && b.kind == NN_ACT_IDENTITY,
          "no attributes: identity");
    CHECK(nn_act_from_attrs("note=x\nalpha=3\n", &b, &e) == 0 &&
              b.kind == NN_ACT_IDENTITY,
          "no activation key: identity");
    int rc = nn_act_from_attrs("activation=exp\n", &b, &e);
    CHECK(rc == 0 && b.kind == NN_ACT_EXP && b.alpha == 0.1,
          "activation=exp without alpha: alpha 0.1 (%g)", b.alpha);
    rc = nn_act_from_attrs("activation=pow3\nalpha=2\n", &b, &e);
    CHECK(rc == 0 && b.kind == NN_ACT_POW3 && b.alpha == 2 && b.beta == 0.4,
          "activation=pow3 with alpha only: beta 0.4 (%g)", b.beta);
    char *s = nn_act_to_attrs(&(nn_act){NN_ACT_RELU, 0, 0, 0}, NULL);
    CHECK(s && strcmp(s, "activation=relu\n") == 0,
          "relu to attrs from none: the one line activation=relu (%zu bytes)",
          s ? strlen(s) : 0);
    free(s);

    static const struct {
        const char *attrs, *says;
    } bad[] = {
        {"activation=bogus\n", "unknown"},
        {"activation=legendre\n", "degree"},
        {"activation=legendre\ndegree=0\n", "degree"},
        {"activation=legendre\ndegree=65\n", "degree"},
        {"activation=hermite\ndegree=1.5\n", "degree"},
        {"activation=celu\nalpha=0\n", "alpha > 0"},
        {"activation=celu\nalpha=-2\n", "alpha > 0"},
        {"activation=exp\nalpha=inf\n", "alpha"},
        {"activation=exp\nalpha=nan\n", "alpha"},
        {"activation=exp\nalpha=x\n", "alpha"},
        {"activation=pow3\nbeta=x\n", "beta"},
        {"activation=pow3\nbeta=-inf\n", "beta"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e.msg[0] = 0;
        rc = nn_act_from_attrs(bad[i].attrs, &b, &e);
        char shown[80];
        snprintf(shown, sizeof shown, "%s", bad[i].attrs);
        for (char *p = shown; *p; p++)
            *p = *p == '\n' ? ' ' : *p;
        CHECK(rc < 0 && strstr(e.msg, bad[i].says),
              "attrs '%s' fail (%s)", shown, e.msg);
    }
}

/* --------------------------------------------------------------- apply */

/* The activation at x, written another way than the library does. */
static double formula(const nn_act *a, double x)
{
    switch (a->kind) {
    case NN_ACT_IDENTITY: return x;
    case NN_ACT_RELU: return fmax(x, 0);
    case NN_ACT_TANH: return expm1(2 * x) / (expm1(2 * x) + 2);
    case NN_ACT_SIGMOID: return 0.5 + 0.5 * tanh(x / 2);
    case NN_ACT_CELU: return x > 0 ? x : a->alpha * expm1(x / a->alpha);
    case NN_ACT_EXP: return a->alpha * exp(x);
    case NN_ACT_POW3: return a->alpha * pow(x, 3) + a->beta;
    }
    return NAN;
}

/* Softmax of each row of x (m,n) directly: e^x / sum e^x. */
static void softmax_ref(size_t m, size_t n, const double *x, double *out)
{
    for (size_t i = 0; i < m; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++)
            s += exp(x[i * n + j]);
        for (size_t j = 0; j < n; j++)
            out[i * n + j] = exp(x[i * n + j]) / s;
    }
}

/* max |got - ref| / (1 + |ref|) */
static double scaled_diff(const double *got, const double *ref, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - ref[i]) / (1 + fabs(ref[i]));
        if (d > m || d != d)
            m = d;
    }
    return m;
}

static void test_apply(nn_rng *r)
{
    enum { M = 6, N = 7 };
    float zf[M * N];
    double z[M * N], ref[M * N], got[M * N];
    for (size_t i = 0; i < M * N; i++) /* in [-4, 4], 0 and +-1 included */
        zf[i] = i < 3 ? (float)i - 1 : (float)(8 * nn_rng_uniform(r) - 4);
    nn_convert(z, NN_F64, zf, NN_F32, M * N);
    nn_act acts[] = {
        {NN_ACT_IDENTITY, 0, 0, 0}, {NN_ACT_RELU, 0, 0, 0},
        {NN_ACT_TANH, 0, 0, 0},     {NN_ACT_SIGMOID, 0, 0, 0},
        {NN_ACT_CELU, 0.7, 0, 0},   {NN_ACT_CELU, 1, 0, 0},
        {NN_ACT_EXP, 0.3, 0, 0},    {NN_ACT_POW3, 0.01, -0.2, 0},
        {NN_ACT_SOFTMAX, 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        const nn_act *a = &acts[k];
        if (a->kind == NN_ACT_SOFTMAX)
            softmax_ref(M, N, z, ref);
        else
            for (size_t i = 0; i < M * N; i++)
                ref[i] = formula(a, z[i]);
        memcpy(got, z, sizeof z);
        nn_act_apply_f64(a, NULL, M, N, got);
        double d = scaled_diff(got, ref, M * N);
        /* double rounding and libm: a few ulp */
        CHECK(d < 1e-14, "%s(%g) f64 equals the formula (max diff %.2g)",
              nn_act_name(a->kind), a->alpha, d);
        float gf[M * N];
        memcpy(gf, zf, sizeof zf);
        nn_act_apply_f32(a, NULL, M, N, gf);
        nn_convert(got, NN_F64, gf, NN_F32, M * N);
        d = scaled_diff(got, ref, M * N);
        /* single rounding (6e-8) and expf/tanhf: a few ulp */
        CHECK(d < 1e-6, "%s(%g) f32 equals the formula (max diff %.2g)",
              nn_act_name(a->kind), a->alpha, d);
    }
}

static void test_softmax(nn_rng *r)
{
    enum { M = 5, N = 9 };
    nn_act sm = {NN_ACT_SOFTMAX, 0, 0, 0};
    double z[M * N], s[M * N];
    float zf[M * N], sf[M * N];
    /* multiples of 1/16 in [-4, 4]: z + 1000 and its difference to the
     * row's maximum are exact in both precisions */
    for (size_t i = 0; i < M * N; i++)
        z[i] = (double)((int)nn_rng_below(r, 129) - 64) / 16;
    memcpy(s, z, sizeof z);
    nn_act_apply_f64(&sm, NULL, M, N, s);
    nn_convert(zf, NN_F32, z, NN_F64, M * N);
    memcpy(sf, zf, sizeof zf);
    nn_act_apply_f32(&sm, NULL, M, N, sf);
    double worst = 0, worstf = 0;
    int pos = 1;
    for (size_t i = 0; i < M; i++) {
        double t = 0, tf = 0;
        for (size_t j = 0; j < N; j++) {
            t += s[i * N + j];
            tf += sf[i * N + j];
            pos &= s[i * N + j] > 0 && sf[i * N + j] > 0;
        }
        worst = fabs(t - 1) > worst ? fabs(t - 1) : worst;
        worstf = fabs(tf - 1) > worstf ? fabs(tf - 1) : worstf;
    }
    CHECK(worst < 1e-15 && worstf < 1e-6 && pos,
          "softmax rows are positive and sum to 1 (f64 off by %.2g, f32 by "
          "%.2g)", worst, worstf);

    double sh[M * N];
    float shf[M * N];
    for (size_t i = 0; i < M * N; i++) {
        sh[i] = z[i] + 1000;
        shf[i] = zf[i] + 1000.0f;
    }
    nn_act_apply_f64(&sm, NULL, M, N, sh);
    nn_act_apply_f32(&sm, NULL, M, N, shf);
    CHECK(memcmp(sh, s, sizeof s) == 0 && memcmp(shf, sf, sizeof sf) == 0,
          "softmax of z + 1000 is bit for bit softmax of z (max diff %.2g)",
          max_abs_diff(sh, s, M * N));

    /* logits of 1000: no overflow, the same as logits shifted down */
    double big[2 * 4] = {1000, 999, 998, -1000, 1000, 1000, 1000, 1000};
    double low[2 * 4] = {0, -1, -2, -2000, 0, 0, 0, 0}, ref[2 * 4];
    float bigf[2 * 4];
    nn_convert(bigf, NN_F32, big, NN_F64, 8);
    softmax_ref(2, 4, low, ref);
    nn_act_apply_f64(&sm, NULL, 2, 4, big);
    nn_act_apply_f32(&sm, NULL, 2, 4, bigf);
    int finite = 1;
    double bigd[8];
    nn_convert(bigd, NN_F64, bigf, NN_F32, 8);
    for (int i = 0; i < 8; i++)
        finite &= isfinite(big[i]) && isfinite(bigd[i]);
    double d = max_abs_diff(big, ref, 8), df = max_abs_diff(bigd, ref, 8);
    CHECK(finite && d < 1e-15 && df < 1e-7,
          "softmax at logits of 1000: finite, equal to the shifted logits' "
          "(max diff f64 %.2g, f32 %.2g)", d, df);
    double one = 123;
    nn_act_apply_f64(&sm, NULL, 1, 1, &one);
    CHECK(one == 1, "softmax of one column is 1 (%g)", one);
}

/* -------------------------------------------------------------- polynomials */

/* phi_i(x) in closed form, i <= 4: Legendre P, Chebyshev T, Laguerre L,
 * physicists' Hermite H (H_1 = 2x: the recurrence in lib/net/nn_act.c is
 * H_{i+1} = 2x H_i - 2i H_{i-1}). */
static double closed(int kind, int i, double x)
{
    double x2 = x * x, x3 = x2 * x, x4 = x2 * x2;
    switch (kind) {
    case NN_ACT_LEGENDRE: {
        double p[5] = {1, x, (3 * x2 - 1) / 2, (5 * x3 - 3 * x) / 2,
                       (35 * x4 - 30 * x2 + 3) / 8};
        return p[i];
    }
    case NN_ACT_CHEBYSHEV: {
        double t[5] = {1, x, 2 * x2 - 1, 4 * x3 - 3 * x, 8 * x4 - 8 * x2 + 1};
        return t[i];
    }
    case NN_ACT_LAGUERRE: {
        double l[5] = {1, 1 - x, (x2 - 4 * x + 2) / 2,
                       (-x3 + 9 * x2 - 18 * x + 6) / 6,
                       (x4 - 16 * x3 + 72 * x2 - 96 * x + 24) / 24};
        return l[i];
    }
    case NN_ACT_HERMITE: {
        double h[5] = {1, 2 * x, 4 * x2 - 2, 8 * x3 - 12 * x,
                       16 * x4 - 48 * x2 + 12};
        return h[i];
    }
    }
    return NAN;
}

static void test_poly(nn_rng *r)
{
    const double xs[] = {-1.5, -1, -0.3, 0, 0.5, 1, 2.7};
    for (int kind = NN_ACT_LEGENDRE; kind <= NN_ACT_HERMITE; kind++) {
        double worst = 0;
        for (size_t t = 0; t < sizeof xs / sizeof xs[0]; t++) {
            double phi[6];
            phi[5] = -99; /* past the degree: untouched */
            nn_poly_basis(kind, 4, xs[t], phi);
            for (int i = 0; i <= 4; i++) {
                double ref = closed(kind, i, xs[t]);
                double d = fabs(phi[i] - ref) / (1 + fabs(ref));
                worst = d > worst ? d : worst;
            }
            worst = phi[5] == -99 ? worst : INFINITY;
        }
        CHECK(worst < 1e-14, "%s basis of degree 4 equals the closed forms "
              "(max diff %.2g)", nn_act_name(kind), worst);
        double phi0[2] = {-5, -99};
        nn_poly_basis(kind, 0, 0.25, phi0);
        CHECK(phi0[0] == 1 && phi0[1] == -99, "%s basis of degree 0 is 1",
              nn_act_name(kind));
    }

    /* high degrees, by identities the recurrences must keep */
    double phi[65], worst = 0;
    for (int t = 0; t < 9; t++) {
        double th = 0.1 + 0.37 * t;
        nn_poly_basis(NN_ACT_CHEBYSHEV, 64, cos(th), phi);
        for (int i = 0; i <= 64; i++) {
            double d = fabs(phi[i] - cos(i * th));
            worst = d > worst ? d : worst;
        }
    }
    CHECK(worst < 1e-12, "T_n(cos t) = cos(n t) up to n = 64 (max diff %.2g)",
          worst);
    double pp[65], pm[65], lz[65], hz[21];
    nn_poly_basis(NN_ACT_LEGENDRE, 64, 1, pp);
    nn_poly_basis(NN_ACT_LEGENDRE, 64, -1, pm);
    nn_poly_basis(NN_ACT_LAGUERRE, 64, 0, lz);
    nn_poly_basis(NN_ACT_HERMITE, 20, 0, hz);
    int ends = 1, lag = 1, her = 1;
    for (int i = 0; i <= 64; i++) {
        ends &= pp[i] == 1 && pm[i] == (i % 2 ? -1 : 1);
        lag &= lz[i] == 1;
    }
    for (int i = 0; i <= 20; i++) { /* H_n(0) = (-1)^(n/2) n!/(n/2)!, n even */
        double h = i % 2 ? 0 : (i / 2 % 2 ? -1 : 1);
        for (int k = i / 2 + 1; k <= i && i % 2 == 0; k++)
            h *= k;
        her &= hz[i] == h;
    }
    CHECK(ends, "P_n(1) = 1 and P_n(-1) = (-1)^n up to n = 64");
    CHECK(lag, "L_n(0) = 1 up to n = 64");
    CHECK(her, "physicists' H_n(0) = (-1)^(n/2) n!/(n/2)! up to n = 20 "
          "(H_20(0) = %.0f)", hz[20]);

    /* polynomial units: unit j sums its own coefficients over the basis */
    enum { M = 5, N = 3 };
    const int degs[4] = {3, 3, 2, 4};
    for (int kind = NN_ACT_LEGENDRE; kind <= NN_ACT_HERMITE; kind++) {
        int deg = degs[kind - NN_ACT_LEGENDRE];
        nn_act a = {kind, 0, 0, deg};
        double coef[N * 5], z[M * N], ref[M * N], got[M * N];
        float zf[M * N], gf[M * N];
        for (int i = 0; i < N * (deg + 1); i++)
            coef[i] = nn_rng_normal(r);
        for (int i = 0; i < M * N; i++)
            zf[i] = (float)(2.4 * nn_rng_uniform(r) - 1.2);
        nn_convert(z, NN_F64, zf, NN_F32, M * N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int c = 0; c <= deg; c++)
                    s += coef[j * (deg + 1) + c] * closed(kind, c, z[i * N + j]);
                ref[i * N + j] = s;
            }
        memcpy(got, z, sizeof z);
        nn_act_apply_f64(&a, coef, M, N, got);
        double d = scaled_diff(got, ref, M * N);
        CHECK(d < 1e-14, "%s:%d units, f64: sum of coef times the basis "
              "(max diff %.2g)", nn_act_name(kind), deg, d);
        memcpy(gf, zf, sizeof zf);
        nn_act_apply_f32(&a, coef, M, N, gf);
        nn_convert(got, NN_F64, gf, NN_F32, M * N);
        d = scaled_diff(got, ref, M * N);
        /* evaluated in double, rounded once to single */
        CHECK(d < 1e-7, "%s:%d units, f32: the same within one rounding "
              "(max diff %.2g)", nn_act_name(kind), deg, d);
    }
}

int main(void)
{
    nn_rng r;
    nn_rng_seed(&r, 5);
    test_parse();
    test_attrs();
    test_apply(&r);
    test_softmax(&r);
    test_poly(&r);
    return check_status();
}

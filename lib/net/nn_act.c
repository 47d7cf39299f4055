/* nn_act.c — activations: parsing, and applying them to a block of rows.
 * Each has a simple loop in single and in double precision; polynomial
 * units evaluate their basis by the three-term recurrence. */
#include "net/nn_net.h"
#include "base/nn_base_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int nparams;            /* parameters after the name */
    double alpha, beta;     /* defaults */
} acts[] = {
    [NN_ACT_IDENTITY] = {"identity", 0, 0, 0},
    [NN_ACT_RELU] = {"relu", 0, 0, 0},
    [NN_ACT_TANH] = {"tanh", 0, 0, 0},
    [NN_ACT_SIGMOID] = {"sigmoid", 0, 0, 0},
    [NN_ACT_CELU] = {"celu", 1, 1.0, 0},
    [NN_ACT_SOFTMAX] = {"softmax", 0, 0, 0},
    [NN_ACT_EXP] = {"exp", 1, 0.1, 0},
    [NN_ACT_POW3] = {"pow3", 2, 0.001, 0.4},
    [NN_ACT_LEGENDRE] = {"legendre", 1, 0, 0},
    [NN_ACT_CHEBYSHEV] = {"chebyshev", 1, 0, 0},
    [NN_ACT_LAGUERRE] = {"laguerre", 1, 0, 0},
    [NN_ACT_HERMITE] = {"hermite", 1, 0, 0},
};
#define NACTS ((int)(sizeof acts / sizeof acts[0]))
#define MAX_DEGREE NN_POLY_MAX_DEGREE

const char *nn_act_name(int kind)
{
    return kind >= 0 && kind < NACTS ? acts[kind].name : "?";
}

int nn_act_is_poly(int kind)
{
    return kind == NN_ACT_LEGENDRE || kind == NN_ACT_CHEBYSHEV ||
           kind == NN_ACT_LAGUERRE || kind == NN_ACT_HERMITE;
}

int nn_act_parse(const char *s, nn_act *a, nn_error *e)
{
    char buf[128];
    if (strlen(s) >= sizeof buf)
        return nn_fail(e, "activation '%.40s...' is too long", s);
    strcpy(buf, s);
    char *params = strchr(buf, ':');
    if (params)
        *params++ = 0;
    int kind = -1;
    for (int k = 0; k < NACTS; k++)
        if (strcmp(buf, acts[k].name) == 0)
            kind = k;
    if (kind < 0)
        return nn_fail(e, "unknown activation '%s' (identity relu tanh "
                       "sigmoid celu softmax exp pow3 legendre chebyshev "
                       "laguerre hermite)", buf);
    *a = (nn_act){.kind = kind, .alpha = acts[kind].alpha,
                  .beta = acts[kind].beta};
    double v[2];
    int nv = 0;
    for (char *p = params; p;) { /* "relu:" has an empty parameter */
        char *next = strchr(p, ':');
        if (next)
            *next++ = 0;
        if (nv == acts[kind].nparams || nn_parse_double(p, &v[nv]) < 0)
            return nn_fail(e, "activation '%s': bad or surplus parameter '%s'",
                           s, p);
        nv++;
        p = next;
    }
    if (nn_act_is_poly(kind)) {
        if (nv != 1 || v[0] != floor(v[0]) || v[0] < 1 || v[0] > MAX_DEGREE)
            return nn_fail(e, "activation '%s': give the degree, 1..%d, as "
                           "%s:DEGREE", s, MAX_DEGREE, buf);
        a->degree = (int)v[0];
        return 0;
    }
    if (nv > 0)
        a->alpha = v[0];
    if (nv > 1)
        a->beta = v[1];
    if (kind == NN_ACT_CELU && !(a->alpha > 0))
        return nn_fail(e, "activation '%s': celu needs alpha > 0", s);
    return 0;
}

int nn_act_from_attrs(const char *attrs, nn_act *a, nn_error *e)
{
    char name[64], v[64];
    int kind = NN_ACT_IDENTITY;
    if (nn_attrs_get(attrs, "activation", name, sizeof name)) {
        kind = -1;
        for (int k = 0; k < NACTS; k++)
            if (strcmp(name, acts[k].name) == 0)
                kind = k;
        if (kind < 0)
            return nn_fail(e, "unknown activation '%s'", name);
    }
    *a = (nn_act){.kind = kind, .alpha = acts[kind].alpha,
                  .beta = acts[kind].beta};
    double d;
    if (nn_act_is_poly(kind)) {
        if (!nn_attrs_get(attrs, "degree", v, sizeof v) ||
            nn_parse_double(v, &d) < 0 || d != floor(d) || d < 1 ||
            d > MAX_DEGREE)
            return nn_fail(e, "%s units need an attribute degree=1..%d",
                           name, MAX_DEGREE);
        a->degree = (int)d;
    }
    if (acts[kind].nparams >= 1 && !nn_act_is_poly(kind) &&
        nn_attrs_get(attrs, "alpha", v, sizeof v) &&
        (nn_parse_double(v, &a->alpha) < 0 || !isfinite(a->alpha)))
        return nn_fail(e, "invalid alpha=%s", v);
    if (acts[kind].nparams >= 2 && nn_attrs_get(attrs, "beta", v, sizeof v) &&
        (nn_parse_double(v, &a->beta) < 0 || !isfinite(a->beta)))
        return nn_fail(e, "invalid beta=%s", v);
    if (kind == NN_ACT_CELU && !(a->alpha > 0))
        return nn_fail(e, "celu needs alpha > 0");
    return 0;
}

char *nn_act_to_attrs(const nn_act *a, const char *attrs)
{
    char v[3][64];
    int k = a->kind, np = acts[k].nparams, poly = nn_act_is_poly(k);
    nn_fmt_double(v[0], sizeof v[0], a->alpha);
    nn_fmt_double(v[1], sizeof v[1], a->beta);
    snprintf(v[2], sizeof v[2], "%d", a->degree);
    const char *keys[4] = {"activation", "alpha", "beta", "degree"};
    const char *vals[4] = {acts[k].name, !poly && np >= 1 ? v[0] : NULL,
                           np >= 2 ? v[1] : NULL, poly ? v[2] : NULL};
    char *out = NULL;
    for (int i = 0; i < 4; i++) {
        char *t = nn_attrs_set(out ? out : attrs ? attrs : "", keys[i], vals[i]);
        free(out);
        if (!(out = t))
            return NULL;
    }
    return out;
}

/* phi_{i+1} from phi_i (p1) and phi_{i-1} (p0). */
static inline double poly_next(int kind, int i, double x, double p0, double p1)
{
    switch (kind) {
    case NN_ACT_LEGENDRE: /* (i+1) P_{i+1} = (2i+1) x P_i - i P_{i-1} */
        return ((2 * i + 1) * x * p1 - i * p0) / (i + 1);
    case NN_ACT_CHEBYSHEV: /* T_{i+1} = 2x T_i - T_{i-1} */
        return 2 * x * p1 - p0;
    case NN_ACT_LAGUERRE: /* (i+1) L_{i+1} = (2i+1-x) L_i - i L_{i-1} */
        return ((2 * i + 1 - x) * p1 - i * p0) / (i + 1);
    default: /* physicists' Hermite: H_{i+1} = 2x H_i - 2i H_{i-1} */
        return 2 * x * p1 - 2 * i * p0;
    }
}

static inline double poly_first(int kind, double x)
{
    return kind == NN_ACT_LAGUERRE ? 1 - x : kind == NN_ACT_HERMITE ? 2 * x : x;
}

void nn_poly_basis(int kind, int degree, double x, double *phi)
{
    phi[0] = 1;
    if (degree >= 1)
        phi[1] = poly_first(kind, x);
    for (int i = 1; i < degree; i++)
        phi[i + 1] = poly_next(kind, i, x, phi[i - 1], phi[i]);
}

/* sum_i c[i] phi_i(x) without storing the basis. */
static inline double poly_eval(int kind, int degree, const double *c, double x)
{
    double p0 = 1, p1 = poly_first(kind, x), s = c[0] + c[1] * p1;
    for (int i = 1; i < degree; i++) {
        double p2 = poly_next(kind, i, x, p0, p1);
        s += c[i + 1] * p2;
        p0 = p1;
        p1 = p2;
    }
    return s;
}

/* The element-wise activations, written once for both precisions. */
#define APPLY(T, EXP, TANH)                                       \
    size_t N = m * n;                                                          \
    switch (a->kind) {                                                         \
    case NN_ACT_IDENTITY: break;                                               \
    case NN_ACT_RELU:                                                          \
        for (size_t i = 0; i < N; i++)                                         \
            z[i] = z[i] > 0 ? z[i] : 0;                                        \
        break;                                                                 \
    case NN_ACT_TANH:                                                          \
        for (size_t i = 0; i < N; i++)                                         \
            z[i] = TANH(z[i]);                                                 \
        break;                                                                 \
    case NN_ACT_SIGMOID:                                                       \
        for (size_t i = 0; i < N; i++)                                         \
            z[i] = 1 / (1 + EXP(-z[i]));                                       \
        break;                                                                 \
    case NN_ACT_CELU: {                                                        \
        T al = (T)a->alpha;                                                    \
        for (size_t i = 0; i < N; i++)                                         \
            z[i] = z[i] > 0 ? z[i] : al * (EXP(z[i] / al) - 1);                \
        break;                                                                 \
    }                                                                          \
    case NN_ACT_SOFTMAX:                                                       \
        for (size_t r = 0; r < m; r++) {                                       \
            T *row = z + r * n, mx = row[0], sum = 0;                          \
            for (size_t j = 1; j < n; j++)                                     \
                mx = row[j] > mx ? row[j] : mx;                                \
            for (size_t j = 0; j < n; j++)                                     \
                sum += row[j] = EXP(row[j] - mx);                              \
            for (size_t j = 0; j < n; j++)                                     \
                row[j] /= sum;                                                 \
        }                                                                      \
        break;                                                                 \
    case NN_ACT_EXP: {                                                         \
        T al = (T)a->alpha;                                                    \
        for (size_t i = 0; i < N; i++)                                         \
            z[i] = al * EXP(z[i]);                                             \
        break;                                                                 \
    }                                                                          \
    case NN_ACT_POW3: {                                                        \
        T al = (T)a->alpha, be = (T)a->beta;                                   \
        for (size_t i = 0; i < N; i++)                                         \
            z[i] = al * z[i] * z[i] * z[i] + be;                               \
        break;                                                                 \
    }                                                                          \
    default: /* polynomial units: unit j has coefficients coef[j] */           \
        for (size_t r = 0; r < m; r++)                                         \
            for (size_t j = 0; j < n; j++)                                     \
                z[r * n + j] = (T)poly_eval(a->kind, a->degree,                \
                                            coef + j * (a->degree + 1),        \
                                            z[r * n + j]);                     \
        break;                                                                 \
    }

/* The element-wise loops run once per layer over every activation: let
 * the compiler vectorise them (GCC's -O2 cost model leaves ReLU's compare
 * scalar, a tenth of nn-forward's time). */
NN_VECTORIZE NN_CLONES
void nn_act_apply_f32(const nn_act *a, const double *coef, size_t m,
                      size_t n, float *z)
{
    APPLY(float, expf, tanhf)
}

NN_VECTORIZE NN_CLONES
void nn_act_apply_f64(const nn_act *a, const double *coef, size_t m,
                      size_t n, double *z)
{
    APPLY(double, exp, tanh)
}

void nn_poly_basis_deriv(int kind, int degree, double x, double *phi,
                         double *dphi)
{
    /* the recurrences differentiated term by term */
    phi[0] = 1;
    dphi[0] = 0;
    if (degree < 1)
        return;
    phi[1] = poly_first(kind, x);
    dphi[1] = kind == NN_ACT_LAGUERRE ? -1 : kind == NN_ACT_HERMITE ? 2 : 1;
    for (int i = 1; i < degree; i++) {
        phi[i + 1] = poly_next(kind, i, x, phi[i - 1], phi[i]);
        double d;
        switch (kind) {
        case NN_ACT_LEGENDRE:
            d = ((2 * i + 1) * (phi[i] + x * dphi[i]) - i * dphi[i - 1]) /
                (i + 1);
            break;
        case NN_ACT_CHEBYSHEV:
            d = 2 * phi[i] + 2 * x * dphi[i] - dphi[i - 1];
            break;
        case NN_ACT_LAGUERRE:
            d = ((2 * i + 1 - x) * dphi[i] - phi[i] - i * dphi[i - 1]) /
                (i + 1);
            break;
        default: /* Hermite */
            d = 2 * phi[i] + 2 * x * dphi[i] - 2 * i * dphi[i - 1];
            break;
        }
        dphi[i + 1] = d;
    }
}

/* The backward step, once for each precision (nn_act_backward_t.h): the
 * derivatives are computed in double precision either way. */
#define REAL double
#define FN(name) name##_f64
#include "net/nn_act_backward_t.h"
#define REAL float
#define FN(name) name##_f32
#include "net/nn_act_backward_t.h"

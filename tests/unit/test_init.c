/* test_init.c — initial weights and pruning masks: scheme names, the
 * documented order of draws, reproducibility, the variance and bounds of
 * each scheme within tolerances derived from the sample size, orthogonal
 * and spherical weights, the bandlimited box and ball; masks with the bias
 * row kept, distinct non-zero columns, the zero rate near rho, and the
 * shapes for which no such mask exists. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static void layer_init(nn_layer *l, size_t n_in, size_t n_out)
{
    memset(l, 0, sizeof *l);
    l->n_in = n_in;
    l->n_out = n_out;
    l->dtype = NN_F64;
}

static void layer_free(nn_layer *l)
{
    free(l->w);
    free(l->mask);
    free(l->wf);
    memset(l, 0, sizeof *l);
}

/* Weights of scheme drawn from a generator seeded with seed. */
static int draw(nn_layer *l, int scheme, double gain, int ball, uint64_t seed)
{
    nn_rng g;
    nn_error e;
    nn_rng_seed(&g, seed);
    return nn_weights_draw(l, scheme, gain, ball, &g, &e);
}

static void test_names(void)
{
    int ok = 1;
    for (int s = NN_INIT_HE_NORMAL; s <= NN_INIT_ZEROS; s++)
        ok &= nn_scheme_parse(nn_scheme_name(s)) == s &&
              strcmp(nn_scheme_name(s), "?") != 0;
    CHECK(ok, "every scheme's name parses back to it");
    CHECK(nn_scheme_parse("he-normal") == NN_INIT_HE_NORMAL &&
              nn_scheme_parse("bandlimited") == NN_INIT_BANDLIMITED &&
              nn_scheme_parse("zeros") == NN_INIT_ZEROS,
          "he-normal, bandlimited, zeros by name");
    CHECK(nn_scheme_parse("bogus") == -1 && nn_scheme_parse("") == -1 &&
              nn_scheme_parse("He-Normal") == -1 &&
              nn_scheme_parse("he_normal") == -1 &&
              nn_scheme_parse("?") == -1,
          "unknown names parse to -1");
    CHECK(strcmp(nn_scheme_name(-1), "?") == 0 &&
              strcmp(nn_scheme_name(NN_INIT_ZEROS + 1), "?") == 0,
          "unknown schemes are named '?'");
    nn_layer l;
    layer_init(&l, 3, 2);
    nn_error e = {{0}};
    nn_rng g;
    nn_rng_seed(&g, 1);
    CHECK(nn_weights_draw(&l, NN_INIT_ZEROS + 1, 1, 0, &g, &e) < 0 &&
              strstr(e.msg, "unknown"),
          "nn_weights_draw refuses scheme %d (%s)", NN_INIT_ZEROS + 1, e.msg);
    layer_free(&l);
}

/* The same seed gives the same weights, another seed others; the draws
 * come in the documented order. */
static void test_reproducible(void)
{
    size_t n_in = 30, n_out = 20, nw = (1 + n_in) * n_out;
    for (int s = NN_INIT_HE_NORMAL; s <= NN_INIT_ZEROS; s++)
        for (int ball = 0; ball <= (s == NN_INIT_BANDLIMITED); ball++) {
            nn_layer a, b, c;
            layer_init(&a, n_in, n_out);
            layer_init(&b, n_in, n_out);
            layer_init(&c, n_in, n_out);
            int rc = draw(&a, s, 1, ball, 42) | draw(&b, s, 1, ball, 42) |
                     draw(&c, s, 1, ball, 43);
            int same = memcmp(a.w, b.w, nw * sizeof *a.w) == 0;
            int differ = memcmp(a.w, c.w, nw * sizeof *a.w) != 0;
            CHECK(rc == 0 && same && (differ || s == NN_INIT_ZEROS),
                  "%s%s: seed 42 twice gives the same weights, seed 43 others",
                  nn_scheme_name(s), ball ? " (ball)" : "");
            /* again into the same layer: the old weights are freed */
            rc = draw(&a, s, 1, ball, 42);
            CHECK(rc == 0 && memcmp(a.w, b.w, nw * sizeof *a.w) == 0,
                  "%s%s: drawn again into the same layer, the same",
                  nn_scheme_name(s), ball ? " (ball)" : "");
            layer_free(&a);
            layer_free(&b);
            layer_free(&c);
        }

    /* he-normal: sqrt(2/n_in) gain times normals, row by row */
    nn_layer l;
    layer_init(&l, n_in, n_out);
    draw(&l, NN_INIT_HE_NORMAL, 1.5, 0, 7);
    nn_rng g;
    nn_rng_seed(&g, 7);
    int order = 1;
    for (size_t i = 0; i < n_in * n_out; i++)
        order &= l.w[n_out + i] == 1.5 * sqrt(2 / (double)n_in) * nn_rng_normal(&g);
    CHECK(order, "he-normal: the weights are 1.5 sqrt(2/n_in) times the "
          "generator's normals, in order");
    /* bandlimited box: uniforms for the weights, then for the biases */
    draw(&l, NN_INIT_BANDLIMITED, 0.8, 0, 9);
    nn_rng_seed(&g, 9);
    order = 1;
    for (size_t i = 0; i < n_in * n_out; i++)
        order &= l.w[n_out + i] == 0.8 * (2 * nn_rng_uniform(&g) - 1);
    for (size_t j = 0; j < n_out; j++)
        order &= l.w[j] == 0.8 * (2 * nn_rng_uniform(&g) - 1);
    CHECK(order, "bandlimited: uniform weights row by row, then the biases");
    layer_free(&l);
}

/* Sample mean and variance of the weights (not the biases) against the
 * scheme's variance: the sample variance of N draws has a standard
 * deviation of sqrt(2/N) of the variance for normals and sqrt(4/5/N) for
 * uniforms (Var x^2 = (4/45) L^4 against (L^2/3)^2); five of them are
 * allowed, and five standard errors for the mean. */
static void test_variance(void)
{
    size_t n_in = 400, n_out = 500, N = n_in * n_out;
    static const struct {
        int scheme;
        double gain;
        int uniform;
    } cases[] = {
        {NN_INIT_HE_NORMAL, 1, 0},     {NN_INIT_HE_NORMAL, 2, 0},
        {NN_INIT_HE_UNIFORM, 1, 1},    {NN_INIT_GLOROT_NORMAL, 1, 0},
        {NN_INIT_GLOROT_UNIFORM, 0.5, 1}, {NN_INIT_NORMAL, 1.5, 0},
        {NN_INIT_UNIFORM, 1.5, 1},     {NN_INIT_BANDLIMITED, 1.5, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int s = cases[c].scheme;
        double gain = cases[c].gain, var;
        switch (s) {
        case NN_INIT_HE_NORMAL:
        case NN_INIT_HE_UNIFORM: var = 2.0 / (double)n_in; break;
        case NN_INIT_GLOROT_NORMAL:
        case NN_INIT_GLOROT_UNIFORM: var = 2.0 / (double)(n_in + n_out); break;
        case NN_INIT_NORMAL: var = 1; break;
        default: var = 1.0 / 3; break; /* uniform on [-1, 1] */
        }
        var *= gain * gain;
        nn_layer l;
        layer_init(&l, n_in, n_out);
        draw(&l, s, gain, 0, 100 + c);
        double mean = 0, m2 = 0, mx = 0;
        const double *w = l.w + n_out;
        for (size_t i = 0; i < N; i++) {
            mean += w[i];
            mx = fabs(w[i]) > mx ? fabs(w[i]) : mx;
        }
        mean /= (double)N;
        for (size_t i = 0; i < N; i++)
            m2 += (w[i] - mean) * (w[i] - mean);
        m2 /= (double)(N - 1);
        double rel = (m2 - var) / var;
        double tol = 5 * sqrt((cases[c].uniform ? 0.8 : 2.0) / (double)N);
        double mtol = 5 * sqrt(var / (double)N);
        CHECK(fabs(rel) < tol && fabs(mean) < mtol,
              "%s gain %g: variance %.5g within %.2g%% of %.5g, mean %.2g "
              "(limit %.2g)", nn_scheme_name(s), gain, m2, 100 * tol, var,
              mean, mtol);
        if (cases[c].uniform) {
            /* uniform on [-L, L] with L^2 = 3 var: none beyond, and the
             * largest of N within L/N * 20 of it */
            double L = sqrt(3 * var);
            CHECK(mx <= L && mx > L * (1 - 20.0 / (double)N),
                  "%s gain %g: |w| <= %.6g, reached (max %.6g)",
                  nn_scheme_name(s), gain, L, mx);
        }
        int bias0 = 1;
        for (size_t j = 0; j < n_out; j++)
            bias0 &= l.w[j] == 0;
        if (s != NN_INIT_BANDLIMITED)
            CHECK(bias0, "%s: the biases are zero", nn_scheme_name(s));
        else {
            double bm = 0;
            for (size_t j = 0; j < n_out; j++)
                bm = fabs(l.w[j]) > bm ? fabs(l.w[j]) : bm;
            CHECK(!bias0 && bm <= gain && bm > 0.9 * gain,
                  "bandlimited box: biases drawn in [-%g, %g] (max |b| %.4g)",
                  gain, gain, bm);
        }
        layer_free(&l);
    }
}

/* max |W^T W - gain^2 I| (cols: n_out columns) or |W W^T - gain^2 I|
 * (rows) for the (n_in, n_out) weights below the bias */
static double gram_off(const nn_layer *l, int cols, double gain)
{
    size_t ni = l->n_in, no = l->n_out, k = cols ? no : ni;
    const double *w = l->w + no;
    double worst = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++) {
            double s = 0;
            for (size_t t = 0; t < (cols ? ni : no); t++)
                s += cols ? w[t * no + a] * w[t * no + b]
                          : w[a * no + t] * w[b * no + t];
            s -= a == b ? gain * gain : 0;
            worst = fabs(s) > worst ? fabs(s) : worst;
        }
    return worst;
}

static void test_shapes(void)
{
    /* orthogonal: orthonormal columns when n_in >= n_out, else rows
     * (lib/net/nn_init.c:orthogonal), times gain */
    static const size_t dims[3][2] = {{50, 20}, {10, 30}, {16, 16}};
    for (int t = 0; t < 3; t++) {
        nn_layer l;
        layer_init(&l, dims[t][0], dims[t][1]);
        int rc = draw(&l, NN_INIT_ORTHOGONAL, 2, 0, 5 + t);
        int cols = dims[t][0] >= dims[t][1];
        double d = gram_off(&l, cols, 2);
        int bias0 = 1;
        for (size_t j = 0; j < l.n_out; j++)
            bias0 &= l.w[j] == 0;
        CHECK(rc == 0 && d < 1e-13 && bias0,
              "orthogonal (%zu,%zu) gain 2: W%s = 4 I, biases zero (max diff "
              "%.2g)", dims[t][0], dims[t][1], cols ? "^T W" : " W^T", d);
        layer_free(&l);
    }

    /* sphere: every unit's weights of norm gain */
    nn_layer l;
    layer_init(&l, 40, 25);
    draw(&l, NN_INIT_SPHERE, 3, 0, 8);
    double worst = 0;
    int bias0 = 1;
    for (size_t j = 0; j < 25; j++) {
        double s = 0;
        for (size_t i = 0; i < 40; i++)
            s += l.w[(1 + i) * 25 + j] * l.w[(1 + i) * 25 + j];
        worst = fabs(sqrt(s) - 3) > worst ? fabs(sqrt(s) - 3) : worst;
        bias0 &= l.w[j] == 0;
    }
    CHECK(worst < 1e-14 && bias0, "sphere gain 3: every column of norm 3, "
          "biases zero (max diff %.2g)", worst);

    /* zeros */
    draw(&l, NN_INIT_ZEROS, 3, 0, 8);
    int zero = 1;
    for (size_t i = 0; i < 41 * 25; i++)
        zero &= l.w[i] == 0 && !signbit(l.w[i]);
    CHECK(zero, "zeros: every weight and bias is +0");
    layer_free(&l);

    /* bandlimited ball: (bias, weights) of a unit uniform in the ball of
     * radius gain in d = n_in+1 dimensions, so P(|v| <= r gain) = r^d */
    size_t ni = 2, no = 4000, dd = ni + 1;
    double gain = 1.7;
    layer_init(&l, ni, no);
    draw(&l, NN_INIT_BANDLIMITED, gain, 1, 21);
    double rmax = 0;
    size_t half = 0, most = 0;
    int bnz = 0;
    for (size_t j = 0; j < no; j++) {
        double s = 0;
        for (size_t i = 0; i <= ni; i++)
            s += l.w[i * no + j] * l.w[i * no + j];
        double r = sqrt(s) / gain;
        rmax = r > rmax ? r : rmax;
        half += r <= 0.5;
        most += r <= 0.9;
        bnz += l.w[j] != 0;
    }
    double p1 = pow(0.5, (double)dd), p2 = pow(0.9, (double)dd);
    double sd1 = sqrt((double)no * p1 * (1 - p1)), sd2 = sqrt((double)no * p2 * (1 - p2));
    CHECK(rmax <= 1 + 1e-15 && rmax > 0.99,
          "bandlimited ball: every unit within radius gain (max %.17g gain)",
          rmax);
    CHECK(fabs((double)half - no * p1) < 5 * sd1 &&
              fabs((double)most - no * p2) < 5 * sd2,
          "bandlimited ball: uniform in the ball: %zu of %zu within gain/2 "
          "(expected %.0f +- %.0f), %zu within 0.9 gain (%.0f +- %.0f)", half,
          no, no * p1, 5 * sd1, most, no * p2, 5 * sd2);
    CHECK(bnz == (int)no, "bandlimited ball: the biases are drawn too");
    layer_free(&l);
}

/* the column j of the mask, below the bias row, as bytes */
static void mask_col(const nn_layer *l, size_t j, unsigned char *col)
{
    for (size_t i = 0; i < l->n_in; i++)
        col[i] = l->mask[(1 + i) * l->n_out + j];
}

static void test_mask(void)
{
    size_t ni = 100, no = 400;
    double rho = 0.7;
    nn_layer l;
    layer_init(&l, ni, no);
    draw(&l, NN_INIT_HE_NORMAL, 1, 0, 3);
    double *w0 = malloc((1 + ni) * no * sizeof *w0);
    memcpy(w0, l.w, (1 + ni) * no * sizeof *w0);
    nn_rng g;
    nn_error e = {{0}};
    nn_rng_seed(&g, 4);
    int rc = nn_mask_draw(&l, rho, &g, &e);
    CHECK(rc == 0 && l.mask, "a mask of zero rate 0.7 for (100,400)");
    if (rc)
        return;
    int bias = 1, binary = 1, applied = 1;
    size_t zeros = 0;
    for (size_t j = 0; j < no; j++)
        bias &= l.mask[j] == 1;
    for (size_t i = 0; i < (1 + ni) * no; i++) {
        binary &= l.mask[i] <= 1;
        applied &= l.w[i] == (l.mask[i] ? w0[i] : 0);
        zeros += i >= no && l.mask[i] == 0;
    }
    CHECK(bias, "mask: the bias row is all 1");
    CHECK(binary && applied, "mask: 0/1, applied to the weights");
    unsigned char *cols = malloc(no * ni);
    int nonzero = 1, distinct = 1;
    for (size_t j = 0; j < no; j++) {
        mask_col(&l, j, cols + j * ni);
        size_t ones = 0;
        for (size_t i = 0; i < ni; i++)
            ones += cols[j * ni + i];
        nonzero &= ones > 0;
        for (size_t k = 0; k < j; k++)
            distinct &= memcmp(cols + k * ni, cols + j * ni, ni) != 0;
    }
    CHECK(nonzero && distinct, "mask: the columns are non-zero and pairwise "
          "distinct");
    /* N = 40000 Bernoulli(rho) draws (redraws are rare: 0.7^100): five
     * standard deviations */
    double N = (double)(ni * no), frac = (double)zeros / N;
    double tol = 5 * sqrt(rho * (1 - rho) / N);
    CHECK(fabs(frac - rho) < tol, "mask: zero fraction %.4f within %.4f of "
          "%.1f", frac, tol, rho);
    /* the same seed, the same mask */
    nn_layer l2;
    layer_init(&l2, ni, no);
    draw(&l2, NN_INIT_HE_NORMAL, 1, 0, 3);
    nn_rng_seed(&g, 4);
    rc = nn_mask_draw(&l2, rho, &g, &e);
    CHECK(rc == 0 && memcmp(l.mask, l2.mask, (1 + ni) * no) == 0 &&
              memcmp(l.w, l2.w, (1 + ni) * no * sizeof *l.w) == 0,
          "mask: the same seed gives the same mask");
    layer_free(&l2);
    free(cols);
    free(w0);
    layer_free(&l);

    /* every one of the 2^3 - 1 non-zero columns of length 3 */
    layer_init(&l, 3, 7);
    draw(&l, NN_INIT_HE_NORMAL, 1, 0, 3);
    nn_rng_seed(&g, 5);
    rc = nn_mask_draw(&l, 0.5, &g, &e);
    int seen = 0;
    for (size_t j = 0; rc == 0 && j < 7; j++) {
        unsigned char c[3];
        mask_col(&l, j, c);
        seen |= 1 << (c[0] | c[1] << 1 | c[2] << 2);
    }
    CHECK(rc == 0 && seen == 0xfe, "(3,7): all seven non-zero columns "
          "(seen %#x)", (unsigned)seen);
    layer_free(&l);

    /* shapes and rates for which no mask exists or none is found */
    static const struct {
        size_t ni, no;
        double rho;
        const char *says;
    } bad[] = {
        {3, 8, 0.5, "cannot have 8 distinct"},
        {1, 2, 0.5, "cannot have 2 distinct"},
        {1, 40, 0.1, "cannot have 40 distinct"},
        {3, 7, 0.99, "cannot draw"},  /* 111 comes once in 10^6 draws */
        {5, 2, 0, "cannot draw"},     /* rho 0: every column all ones */
        {5, 2, -0.1, "not in [0, 1)"},
        {5, 2, 1, "not in [0, 1)"},
        {5, 2, NAN, "not in [0, 1)"},
    };
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        layer_init(&l, bad[t].ni, bad[t].no);
        draw(&l, NN_INIT_HE_NORMAL, 1, 0, 3);
        size_t nw = (1 + bad[t].ni) * bad[t].no;
        double *keep = malloc(nw * sizeof *keep);
        memcpy(keep, l.w, nw * sizeof *keep);
        nn_rng_seed(&g, 6);
        e.msg[0] = 0;
        rc = nn_mask_draw(&l, bad[t].rho, &g, &e);
        CHECK(rc < 0 && strstr(e.msg, bad[t].says) && !l.mask &&
                  memcmp(keep, l.w, nw * sizeof *keep) == 0,
              "no mask for (%zu,%zu) at rho %g, weights untouched (%s)",
              bad[t].ni, bad[t].no, bad[t].rho, e.msg);
        free(keep);
        layer_free(&l);
    }
    /* the edge cases that do exist */
    static const size_t ok[3][2] = {{1, 1}, {5, 1}, {64, 3}};
    for (int t = 0; t < 3; t++) {
        layer_init(&l, ok[t][0], ok[t][1]);
        draw(&l, NN_INIT_HE_NORMAL, 1, 0, 3);
        nn_rng_seed(&g, 7);
        rc = nn_mask_draw(&l, t == 1 ? 0 : 0.5, &g, &e);
        CHECK(rc == 0 && l.mask, "a mask for (%zu,%zu) at rho %g", ok[t][0],
              ok[t][1], t == 1 ? 0 : 0.5);
        layer_free(&l);
    }
}

int main(void)
{
    test_names();
    test_reproducible();
    test_variance();
    test_shapes();
    test_mask();
    return check_status();
}

/* test_net.c — networks as streams of layers: a network written with
 * nn_layer_write and read back with nn_net_load (weights bit for bit, the
 * mask applied, coefficients and attributes kept), a layer's forward pass
 * against a naive loop and single precision against double, and the
 * streams nn_net_read refuses, crafted with the library's writer. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static double *randn(nn_rng *r, size_t n, double sd)
{
    double *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = sd * nn_rng_normal(r);
    return a;
}

/* A layer (n_in, n_out) of random weights with activation act ("relu",
 * "legendre:2", ...): coefficients for polynomial units, attrs with the
 * activation and a key of our own. */
static void layer_make(nn_layer *l, nn_rng *r, size_t n_in, size_t n_out,
                       const char *act)
{
    nn_error e;
    memset(l, 0, sizeof *l);
    l->n_in = n_in;
    l->n_out = n_out;
    l->dtype = NN_F64;
    l->w = randn(r, (1 + n_in) * n_out, 1 / sqrt((double)n_in));
    nn_act_parse(act, &l->act, &e);
    if (nn_act_is_poly(l->act.kind))
        l->coef = randn(r, n_out * (size_t)(l->act.degree + 1), 1);
    l->attrs = nn_act_to_attrs(&l->act, "note=made by test_net\n");
}

static void layer_free(nn_layer *l)
{
    free(l->w);
    free(l->mask);
    free(l->coef);
    free(l->attrs);
    free(l->wf);
}

/* Writes the n layers to path in dtype (zstd level: 0 stores). */
static int net_write(const nn_layer *ls, size_t n, int dtype, int level,
                     nn_error *e)
{
    nn_writer *w = nn_writer_open(path, 0, e);
    if (!w)
        return -1;
    nn_writer_set_compression(w, level);
    for (size_t i = 0; i < n; i++)
        if (nn_layer_write(w, &ls[i], dtype, e) < 0) {
            nn_writer_close(w, 0, e);
            return -1;
        }
    return nn_writer_close(w, 1, e);
}

/* The layer as a naive loop: out (m,n_out) = act([1 in] W), softmax and
 * the Legendre units of degree <= 2 written out. */
static void layer_naive(const nn_layer *l, size_t m, const double *in,
                        double *out)
{
    size_t n = l->n_out;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = l->w[j];
            for (size_t k = 0; k < l->n_in; k++)
                s += in[i * l->n_in + k] * l->w[(1 + k) * n + j];
            switch (l->act.kind) {
            case NN_ACT_RELU: s = s > 0 ? s : 0; break;
            case NN_ACT_TANH: s = tanh(s); break;
            case NN_ACT_LEGENDRE: {
                const double *c = l->coef + j * 3;
                s = c[0] + c[1] * s + c[2] * (3 * s * s - 1) / 2;
                break;
            }
            }
            out[i * n + j] = s;
        }
        if (l->act.kind == NN_ACT_SOFTMAX) {
            double t = 0;
            for (size_t j = 0; j < n; j++)
                t += exp(out[i * n + j]);
            for (size_t j = 0; j < n; j++)
                out[i * n + j] = exp(out[i * n + j]) / t;
        }
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

/* relu with a mask (4 -> 3), Legendre units of degree 2 (3 -> 2), softmax
 * (2 -> 2). */
static void net_make(nn_layer *ls, nn_rng *r)
{
    layer_make(&ls[0], r, 4, 3, "relu");
    layer_make(&ls[1], r, 3, 2, "legendre:2");
    layer_make(&ls[2], r, 2, 2, "softmax");
    ls[0].mask = malloc(5 * 3);
    for (size_t i = 0; i < 5 * 3; i++)
        ls[0].mask[i] = i == 0 || i % 4 != 0; /* bias kept, some masked */
}

static void test_round_trip(nn_rng *r)
{
    nn_layer ls[3];
    net_make(ls, r);
    /* what the reader gives: the weights with the mask applied */
    double *masked = malloc(5 * 3 * sizeof *masked);
    for (size_t i = 0; i < 5 * 3; i++)
        masked[i] = ls[0].mask[i] ? ls[0].w[i] : 0;
    nn_error e = {{0}};
    for (int level = 0; level <= 3; level += 3)
        for (int dt = NN_F32; dt <= NN_F64; dt++) {
            nn_net net;
            int rc = net_write(ls, 3, dt, level, &e);
            if (rc == 0)
                rc = nn_net_load(path, &net, &e);
            CHECK(rc == 0 && net.n == 3, "%s zstd %d: a network of 3 layers "
                  "written and read back%s%s", nn_dtype_name(dt), level,
                  rc ? ": " : "", rc ? e.msg : "");
            if (rc)
                continue;
            int shapes = 1, acts = 1, attrs = 1, ws = 1, coefs = 1, masks = 1;
            for (size_t k = 0; k < 3; k++) {
                nn_layer *a = &net.layers[k], *b = &ls[k];
                size_t nw = (1 + b->n_in) * b->n_out;
                shapes &= a->n_in == b->n_in && a->n_out == b->n_out &&
                          a->dtype == dt;
                acts &= a->act.kind == b->act.kind &&
                        a->act.degree == b->act.degree;
                attrs &= strcmp(a->attrs, b->attrs) == 0;
                /* the written weights, rounded to the stored dtype */
                double *want = malloc(nw * sizeof *want);
                nn_convert(want, NN_F64, k ? b->w : masked, NN_F64, nw);
                if (dt == NN_F32) {
                    float *f = malloc(nw * sizeof *f);
                    nn_convert(f, NN_F32, want, NN_F64, nw);
                    nn_convert(want, NN_F64, f, NN_F32, nw);
                    free(f);
                }
                ws &= memcmp(a->w, want, nw * sizeof *want) == 0;
                free(want);
                masks &= (a->mask == NULL) == (b->mask == NULL) &&
                         (!a->mask || memcmp(a->mask, b->mask, nw) == 0);
                if (b->coef) {
                    size_t nc = b->n_out * (size_t)(b->act.degree + 1);
                    double *cw = malloc(nc * sizeof *cw);
                    float *f = malloc(nc * sizeof *f);
                    memcpy(cw, b->coef, nc * sizeof *cw);
                    if (dt == NN_F32) {
                        nn_convert(f, NN_F32, cw, NN_F64, nc);
                        nn_convert(cw, NN_F64, f, NN_F32, nc);
                    }
                    coefs &= a->coef && memcmp(a->coef, cw, nc * sizeof *cw) == 0;
                    free(cw);
                    free(f);
                } else
                    coefs &= a->coef == NULL;
            }
            CHECK(shapes && acts && attrs, "%s zstd %d: shapes, dtype, "
                  "activations and attributes survive", nn_dtype_name(dt),
                  level);
            CHECK(ws, "%s zstd %d: the weights come back bit for bit, the "
                  "mask applied", nn_dtype_name(dt), level);
            CHECK(masks && coefs, "%s zstd %d: the mask and the coefficients "
                  "come back bit for bit", nn_dtype_name(dt), level);
            nn_net_free(&net);
            CHECK(net.n == 0 && net.layers == NULL, "nn_net_free empties the "
                  "network");
        }
    free(masked);
    for (int k = 0; k < 3; k++)
        layer_free(&ls[k]);
    unlink(path);
}

static void test_forward(nn_rng *r)
{
    nn_layer ls[3];
    net_make(ls, r);
    nn_layer_apply_mask(&ls[0]);
    size_t m = 7;
    double *x = randn(r, m * 4, 1.5), *a = malloc(m * 4 * sizeof *a);
    double *b = malloc(m * 4 * sizeof *b);
    float *xf = malloc(m * 4 * sizeof *xf), *af = malloc(m * 4 * sizeof *af);
    nn_convert(xf, NN_F32, x, NN_F64, m * 4);
    nn_convert(x, NN_F64, xf, NN_F32, m * 4); /* the same inputs for both */
    memcpy(a, x, m * 4 * sizeof *a);
    nn_error e;
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        nn_layer_forward_f64(&ls[k], m, a, b);
        double *ref = malloc(m * ls[k].n_out * sizeof *ref);
        layer_naive(&ls[k], m, a, ref);
        double d = scaled_diff(b, ref, m * ls[k].n_out);
        CHECK(d < 1e-14, "layer %d (%s) f64 equals the naive loop (max diff "
              "%.2g)", k + 1, nn_act_name(ls[k].act.kind), d);
        free(ref);
        ok &= nn_layer_forward_f32(&ls[k], m, xf, af, &e) == 0;
        memcpy(a, b, m * ls[k].n_out * sizeof *a);
        memcpy(xf, af, m * ls[k].n_out * sizeof *xf);
    }
    double *out32 = malloc(m * 2 * sizeof *out32);
    nn_convert(out32, NN_F64, af, NN_F32, m * 2);
    double d = scaled_diff(out32, a, m * 2);
    /* three layers of single-precision rounding on values of order 1:
     * some tens of ulp (6e-8 each); 1e-5 leaves a wide margin */
    CHECK(ok && d < 1e-5, "the network in f32 equals it in f64 within 1e-5 "
          "(max diff %.2g)", d);

    /* a wider layer: the error bound of a sum of n_in+1 products,
     * (n_in + 2) 2^-24 (|b| + sum |x w|), plus the rounding of the output,
     * tanh being 1-Lipschitz */
    nn_layer wide;
    size_t ni = 300, no = 40, mm = 25;
    layer_make(&wide, r, ni, no, "tanh");
    double *wx = randn(r, mm * ni, 1), *w64 = malloc(mm * no * sizeof *w64);
    float *wxf = malloc(mm * ni * sizeof *wxf), *w32 = malloc(mm * no * sizeof *w32);
    nn_convert(wxf, NN_F32, wx, NN_F64, mm * ni);
    nn_convert(wx, NN_F64, wxf, NN_F32, mm * ni);
    nn_layer_forward_f64(&wide, mm, wx, w64);
    ok = nn_layer_forward_f32(&wide, mm, wxf, w32, &e) == 0;
    double worst = 0, maxd = 0;
    for (size_t i = 0; i < mm; i++)
        for (size_t j = 0; j < no; j++) {
            double s = fabs(wide.w[j]);
            for (size_t k = 0; k < ni; k++)
                s += fabs(wx[i * ni + k] * wide.w[(1 + k) * no + j]);
            double bound = ((double)ni + 2) * 0x1p-24 * s + 0x1p-24;
            double dd = fabs(w32[i * no + j] - w64[i * no + j]);
            maxd = dd > maxd ? dd : maxd;
            worst = dd / bound > worst ? dd / bound : worst;
        }
    CHECK(ok && worst <= 1, "a 300 -> 40 tanh layer in f32 is within the "
          "rounding bound of f64 (max diff %.2g, %.2g of the bound)", maxd,
          worst);
    /* the single-precision weights follow new weights */
    nn_rng g;
    nn_rng_seed(&g, 1);
    nn_weights_draw(&wide, NN_INIT_HE_NORMAL, 1, 0, &g, &e);
    nn_layer_forward_f64(&wide, mm, wx, w64);
    ok = nn_layer_forward_f32(&wide, mm, wxf, w32, &e) == 0;
    double *w32d = malloc(mm * no * sizeof *w32d);
    nn_convert(w32d, NN_F64, w32, NN_F32, mm * no);
    d = max_abs_diff(w32d, w64, mm * no);
    CHECK(ok && d < 1e-4, "after nn_weights_draw the f32 pass uses the new "
          "weights (max diff %.2g)", d);
    layer_free(&wide);
    free(wx);
    free(w64);
    free(wxf);
    free(w32);
    free(w32d);
    for (int k = 0; k < 3; k++)
        layer_free(&ls[k]);
    free(x);
    free(a);
    free(b);
    free(xf);
    free(af);
    free(out32);
}

/* ------------------------------------------------------- bad networks */

typedef struct rec {
    const char *name;
    int dtype, rank;
    uint64_t rows, cols;
    const char *attrs;
    uint32_t flags;
    int bad;            /* 1: a 2 in a mask, 3: 255 in a mask, 2: a NaN */
} rec;

/* Writes the records (weights 0.5, masks of 1, with the defect asked
 * for), reads them as a network; returns nn_net_read's result. */
static int read_crafted(const rec *rs, size_t n, nn_net *net, nn_error *e)
{
    nn_writer *w = nn_writer_open(path, 0, e);
    for (size_t i = 0; i < n; i++) {
        const rec *c = &rs[i];
        size_t cnt = (size_t)c->rows * (c->rank == 2 ? c->cols : 1);
        unsigned char *buf = calloc(cnt ? cnt : 1, 8);
        for (size_t k = 0; k < cnt; k++) {
            double v = c->dtype == NN_U8 ? 1 : 0.5;
            if (k == cnt / 2 && c->bad)
                v = c->bad == 1 ? 2 : c->bad == 3 ? 255 : NAN;
            nn_convert(buf + k * nn_dtype_size(c->dtype), c->dtype, &v, NN_F64, 1);
        }
        nn_header h = {.name = c->name, .dtype = c->dtype, .rank = c->rank,
                       .dims = {c->rows, c->cols}, .flags = c->flags,
                       .attrs = c->attrs};
        nn_writer_put(w, &h, buf, e);
        free(buf);
    }
    nn_writer_close(w, 1, e);
    e->msg[0] = 0;
    return nn_net_load(path, net, e);
}

static void test_refusals(void)
{
#define LEG "activation=legendre\ndegree=2\n"
    static const struct {
        const char *what, *says;
        rec rs[4];
        size_t n;
    } cases[] = {
        {"layers that do not chain", "takes 4 inputs but layer 1 gives 3",
         {{"w", NN_F64, 2, 5, 3, NULL, 0, 0}, {"w", NN_F64, 2, 5, 2, NULL, 0, 0}},
         2},
        {"a mask holding 2", "mask holds 2",
         {{"w", NN_F64, 2, 3, 2, NULL, 0, 0}, {"mask", NN_U8, 2, 3, 2, NULL, 0, 1}},
         2},
        {"a mask holding 255", "mask holds 255",
         {{"w", NN_F32, 2, 3, 2, NULL, 0, 0}, {"mask", NN_U8, 2, 3, 2, NULL, 0, 3},
          {"w", NN_F32, 2, 3, 1, NULL, 0, 0}},
         3},
        {"a mask of fewer rows", "not the shape",
         {{"w", NN_F64, 2, 3, 2, NULL, 0, 0}, {"mask", NN_U8, 2, 2, 2, NULL, 0, 0}},
         2},
        {"a mask of more columns", "has 3 columns",
         {{"w", NN_F64, 2, 3, 2, NULL, 0, 0}, {"mask", NN_U8, 2, 3, 3, NULL, 0, 0}},
         2},
        {"a mask of f32", "u8",
         {{"w", NN_F64, 2, 3, 2, NULL, 0, 0}, {"mask", NN_F32, 2, 3, 2, NULL, 0, 0}},
         2},
        {"Legendre units without coefficients", "need coefficients",
         {{"w", NN_F64, 2, 3, 2, LEG, 0, 0}}, 1},
        {"coefficients of the wrong degree", "has 4 columns",
         {{"w", NN_F64, 2, 3, 2, LEG, 0, 0}, {"coef", NN_F64, 2, 2, 4, NULL, 0, 0}},
         2},
        {"coefficients for too few units", "need coefficients",
         {{"w", NN_F64, 2, 3, 2, LEG, 0, 0}, {"coef", NN_F64, 2, 1, 3, NULL, 0, 0}},
         2},
        {"coefficients for relu units", "coefficients given",
         {{"w", NN_F64, 2, 3, 2, "activation=relu\n", 0, 0},
          {"coef", NN_F64, 2, 2, 1, NULL, 0, 0}},
         2},
        {"coefficients of degree 2 for relu units", "has 3 columns",
         {{"w", NN_F64, 2, 3, 2, "activation=relu\n", 0, 0},
          {"coef", NN_F64, 2, 2, 3, NULL, 0, 0}},
         2},
        {"weights holding NaN", "holds NaN",
         {{"w", NN_F64, 2, 3, 2, NULL, 0, 2}}, 1},
        {"coefficients holding NaN", "holds NaN",
         {{"w", NN_F64, 2, 3, 2, LEG, 0, 0}, {"coef", NN_F64, 2, 2, 3, NULL, 0, 2}},
         2},
        {"a record that is no layer", "not part of a network",
         {{"w", NN_F64, 2, 3, 2, NULL, 0, 0}, {"x", NN_F64, 2, 3, 2, NULL, 0, 0}},
         2},
        {"a mask before any weights", "before any weights",
         {{"mask", NN_U8, 2, 3, 2, NULL, 0, 0}, {"w", NN_F64, 2, 3, 2, NULL, 0, 0}},
         2},
        {"weights of a bias row only", "bias row",
         {{"w", NN_F64, 2, 1, 2, NULL, 0, 0}}, 1},
        {"weights of rank 1", "matrix",
         {{"w", NN_F64, 1, 6, 0, NULL, 0, 0}}, 1},
        {"weights of i32", "f32 or f64",
         {{"w", NN_I32, 2, 3, 2, NULL, 0, 0}}, 1},
        {"an unknown activation", "unknown activation",
         {{"w", NN_F64, 2, 3, 2, "activation=swish\n", 0, 0}}, 1},
        {"a chunk of w after its mask", "does not follow",
         {{"w", NN_F64, 2, 3, 2, NULL, 0, 0}, {"mask", NN_U8, 2, 3, 2, NULL, 0, 0},
          {"w", NN_F64, 2, 1, 2, NULL, NN_FLAG_CONT, 0}},
         3},
        {"a chunk of w in another dtype", "chunk of 'w' is f64, its tensor f32",
         {{"w", NN_F32, 2, 2, 2, NULL, 0, 0},
          {"w", NN_F64, 2, 1, 2, NULL, NN_FLAG_CONT, 0}},
         2},
        {"a chunk of coef in another dtype", "chunk of 'coef' is f32",
         {{"w", NN_F64, 2, 3, 2, LEG, 0, 0}, {"coef", NN_F64, 2, 1, 3, NULL, 0, 0},
          {"coef", NN_F32, 2, 1, 3, NULL, NN_FLAG_CONT, 0}},
         3},
        {"an empty stream", "no layers", {{0}}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nn_layer dummy;
        nn_net net = {&dummy, 99};
        nn_error e;
        int rc = read_crafted(cases[i].rs, cases[i].n, &net, &e);
#undef LEG
        CHECK(rc < 0 && strstr(e.msg, cases[i].says) && net.n == 0 &&
                  net.layers == NULL,
              "refused: %s (%s)", cases[i].what, e.msg);
    }

    /* what is fine: weights and mask in chunks, a mask of zeros and ones,
     * coefficients of the right shape */
    nn_writer *w = nn_writer_open(path, 0, &(nn_error){{0}});
    nn_error e = {{0}};
    double wv[5 * 2];
    unsigned char mv[5 * 2];
    for (int i = 0; i < 10; i++) {
        wv[i] = i + 1;
        mv[i] = i % 3 != 1;
    }
    nn_header hw = {.name = "w", .dtype = NN_F64, .rank = 2, .dims = {2, 2},
                    .attrs = "activation=tanh\n"};
    nn_header hm = {.name = "mask", .dtype = NN_U8, .rank = 2, .dims = {2, 2}};
    nn_writer_rows(w, &hw, wv, &e);
    hw.dims[0] = 3;
    nn_writer_rows(w, &hw, wv + 4, &e);
    nn_writer_end_tensor(w, "w");
    nn_writer_rows(w, &hm, mv, &e);
    hm.dims[0] = 3;
    nn_writer_rows(w, &hm, mv + 4, &e);
    nn_writer_end_tensor(w, "mask");
    nn_header hw2 = {.name = "w", .dtype = NN_F32, .rank = 2, .dims = {3, 1},
                     .attrs = "activation=hermite\ndegree=3\n"};
    float w2[3] = {1, 2, 3};
    nn_writer_put(w, &hw2, w2, &e);
    nn_header hc = {.name = "coef", .dtype = NN_F64, .rank = 2, .dims = {1, 4}};
    double c2[4] = {0.5, -1, 2, 0.25};
    nn_writer_put(w, &hc, c2, &e);
    nn_writer_close(w, 1, &e);
    nn_net net;
    int rc = nn_net_load(path, &net, &e);
    int same = rc == 0 && net.n == 2 && net.layers[0].n_in == 4 &&
               net.layers[0].n_out == 2 && net.layers[1].n_in == 2 &&
               net.layers[1].n_out == 1 && net.layers[1].act.degree == 3 &&
               memcmp(net.layers[0].mask, mv, 10) == 0 &&
               memcmp(net.layers[1].coef, c2, sizeof c2) == 0;
    for (int i = 0; same && i < 10; i++)
        same &= net.layers[0].w[i] == (mv[i] ? wv[i] : 0);
    CHECK(same, "weights and mask in chunks are joined, the mask applied; a "
          "hermite:3 layer with its coefficients follows%s%s",
          rc ? ": " : "", rc ? e.msg : "");
    if (rc == 0)
        nn_net_free(&net);
    unlink(path);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/nn-test-net.%d.nns", (int)getpid());
    nn_rng r;
    nn_rng_seed(&r, 17);
    test_round_trip(&r);
    test_forward(&r);
    test_refusals();
    return check_status();
}

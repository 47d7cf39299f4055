/* test_knn.c — the blocked neighbour search against brute force: random
 * rows, rows on a small lattice (duplicates and ties everywhere), rows far
 * from the origin or of extreme scale, every element type, sets larger
 * than a tile. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* The naive reference: distances summed over the columns in order, every
 * other row sorted by (distance, index). */
typedef struct pair {
    double d;
    uint32_t i;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *p = a, *q = b;
    if (p->d != q->d)
        return p->d < q->d ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

static void naive(size_t m, size_t d, const double *x, size_t k,
                  uint32_t *idx, double *dist)
{
    pair *p = malloc(m * sizeof *p);
    for (size_t i = 0; i < m; i++) {
        size_t n = 0;
        for (size_t j = 0; j < m; j++) {
            if (j == i)
                continue;
            double s = 0;
            for (size_t c = 0; c < d; c++)
                s += (x[i * d + c] - x[j * d + c]) * (x[i * d + c] - x[j * d + c]);
            p[n].d = s;
            p[n++].i = (uint32_t)j;
        }
        qsort(p, n, sizeof *p, pair_cmp);
        for (size_t a = 0; a < k; a++) {
            idx[i * k + a] = p[a].i;
            dist[i * k + a] = p[a].d;
        }
    }
    free(p);
}

/* Runs nn_knn, nn_knn_ref and (if naive) the naive loops on x (m,d)
 * given as f64 and stored as dtype; the lists must agree. */
static void agree_naive(const char *what, size_t m, size_t d, const double *x,
                        int dtype, size_t k, int want_researched, int naive_too)
{
    size_t es = nn_dtype_size(dtype);
    void *xs = malloc(m * (d ? d : 1) * es);
    double *xd = malloc(m * (d ? d : 1) * sizeof *xd);
    nn_convert(xs, dtype, x, NN_F64, m * d);
    nn_convert(xd, NN_F64, xs, dtype, m * d); /* the values as stored */
    uint32_t *i1 = malloc(m * k * 4), *i2 = malloc(m * k * 4),
             *i3 = malloc(m * k * 4);
    double *d1 = malloc(m * k * 8), *d2 = malloc(m * k * 8),
           *d3 = malloc(m * k * 8);
    nn_error e;
    size_t re = 0;
    int rc = nn_knn(m, d, xs, dtype, k, i1, d1, &re, &e);
    CHECK(rc == 0, "%s: nn_knn runs%s%s", what, rc ? ": " : "", rc ? e.msg : "");
    rc = nn_knn_ref(m, d, xs, dtype, k, i2, d2, &e);
    CHECK(rc == 0, "%s: nn_knn_ref runs", what);
    if (naive_too)
        naive(m, d, xd, k, i3, d3);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < m * k; i++)
        if (i1[i] != i2[i] && !bad++)
            first = i;
    CHECK(bad == 0, "%s: blocked search = brute force (%zu of %zu entries "
          "differ%s)", what, bad, m * k, bad ? ", see below" : "");
    if (bad)
        printf("#   row %zu, neighbour %zu: %u (d %.17g) vs %u (d %.17g)\n",
               first / k, first % k, i1[first], d1[first], i2[first],
               d2[first]);
    CHECK(memcmp(d1, d2, m * k * 8) == 0, "%s: the same distances", what);
    /* without distances, the order comes from the bound where it can */
    uint32_t *i4 = malloc(m * k * 4);
    rc = nn_knn(m, d, xs, dtype, k, i4, NULL, NULL, &e);
    CHECK(rc == 0 && memcmp(i4, i2, m * k * 4) == 0,
          "%s: the same lists when no distances are asked for", what);
    free(i4);
    if (naive_too) {
        bad = 0;
        for (size_t i = 0; i < m * k; i++)
            bad += i1[i] != i3[i];
        double dd = 0;
        for (size_t i = 0; i < m * k; i++) {
            double t = fabs(d1[i] - d3[i]) / (d3[i] > 1e-300 ? d3[i] : 1);
            dd = t > dd ? t : dd;
        }
        CHECK(bad == 0 && dd < 1e-13, "%s: = the naive loops (%zu differ, "
              "distances within %.2g)", what, bad, dd);
    }
    if (want_researched >= 0)
        CHECK(want_researched ? re > 0 : re == 0,
              "%s: %zu rows searched again (%s)", what, re,
              want_researched ? "ties force it" : "none expected");
    free(xs); free(xd);
    free(i1); free(i2); free(i3);
    free(d1); free(d2); free(d3);
}

static void agree(const char *what, size_t m, size_t d, const double *x,
                  int dtype, size_t k, int want_researched)
{
    agree_naive(what, m, d, x, dtype, k, want_researched, 1);
}

static double *normal(nn_rng *r, size_t n, double scale, double shift)
{
    double *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = nn_rng_normal(r) * scale + shift;
    return a;
}

/* Rows on the lattice {0..v-1}^d: duplicates and equal distances. */
static double *lattice(nn_rng *r, size_t m, size_t d, uint64_t v)
{
    double *a = malloc(m * d * sizeof *a);
    for (size_t i = 0; i < m * d; i++)
        a[i] = (double)nn_rng_below(r, v);
    return a;
}

static void test_small(nn_rng *r)
{
    /* a line 0, 1, ..., 9: inner points have two neighbours at 1 */
    double line[10];
    for (int i = 0; i < 10; i++)
        line[i] = i;
    uint32_t idx[20];
    double dist[20];
    nn_error e;
    nn_knn(10, 1, line, NN_F64, 2, idx, dist, NULL, &e);
    CHECK(idx[2 * 4] == 3 && idx[2 * 4 + 1] == 5 && idx[0] == 1 &&
          idx[1] == 2 && dist[1] == 4, "a line: equal distances go to the "
          "lower row (row 4: %u %u)", idx[8], idx[9]);
    /* two copies of a point and a third point: the copy comes first */
    double dup[6] = {1, 1, 5, 5, 1, 1};
    nn_knn(3, 2, dup, NN_F64, 1, idx, dist, NULL, &e);
    CHECK(idx[0] == 2 && idx[1] == 0 && idx[2] == 0 && dist[0] == 0,
          "a duplicate is the nearest neighbour, at 0");

    double *x = normal(r, 300 * 17, 1, 0);
    agree("random f32 300x17 k=5", 300, 17, x, NN_F32, 5, 0);
    agree("random f64 300x17 k=5", 300, 17, x, NN_F64, 5, 0);
    agree("random f32 300x17 k=299 (every row)", 300, 17, x, NN_F32, 299, 0);
    agree("random f32 300x17 k=1", 300, 17, x, NN_F32, 1, 0);
    free(x);
    x = normal(r, 200 * 9, 1, 0);
    memcpy(x + 50 * 9, x + 10 * 9, 9 * sizeof *x);   /* duplicates */
    memcpy(x + 150 * 9, x + 10 * 9, 9 * sizeof *x);
    memcpy(x + 151 * 9, x + 3 * 9, 9 * sizeof *x);
    agree("random with duplicate rows", 200, 9, x, NN_F32, 4, -1);
    free(x);
    x = lattice(r, 400, 3, 4);
    agree("lattice {0..3}^3, 400 rows, k=10", 400, 3, x, NN_F32, 10, 1);
    agree("the same as u8", 400, 3, x, NN_U8, 10, 1);
    agree("the same as i16", 400, 3, x, NN_I16, 10, 1);
    free(x);
    x = lattice(r, 300, 20, 2);
    agree("binary rows 300x20, k=24", 300, 20, x, NN_F32, 24, -1);
    free(x);
    agree("rows of width 0: all at 0, lowest rows first", 30, 0, NULL,
          NN_F32, 5, 1);
}

static void test_scale(nn_rng *r)
{
    double *x = normal(r, 250 * 30, 1, 1e4);
    agree("rows far from the origin (mean 1e4, sd 1)", 250, 30, x, NN_F64,
          6, -1);
    agree("the same in f32", 250, 30, x, NN_F32, 6, -1);
    free(x);
    x = normal(r, 250 * 30, 1e30, 0);
    agree("values near 1e30 (f64)", 250, 30, x, NN_F64, 6, 0);
    free(x);
    x = normal(r, 250 * 30, 1e18, 0);
    agree("values near 1e18 (f32: squares overflow)", 250, 30, x, NN_F32, 6, 0);
    free(x);
    x = normal(r, 250 * 30, 1e-30, 0);
    agree("values near 1e-30", 250, 30, x, NN_F32, 6, 0);
    free(x);
}

/* Near ties that single precision cannot tell apart: row 0 at the origin,
 * the others on the unit sphere, so row 0's distances are 1 up to the last
 * bits of double precision, and its list is decided there. */
static void test_near_ties(nn_rng *r)
{
    size_t m = 300, d = 16;
    double *x = normal(r, m * d, 1, 0);
    for (size_t i = 1; i < m; i++) {
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += x[i * d + j] * x[i * d + j];
        for (size_t j = 0; j < d; j++)
            x[i * d + j] /= sqrt(s);
    }
    memset(x, 0, d * sizeof *x);
    agree_naive("the origin and the unit sphere (f64), k=20", m, d, x, NN_F64,
                20, 1, 0);
    free(x);
}

static void test_tiles(nn_rng *r)
{
    /* more rows than a tile (2048): tiles below and right of the
     * diagonal, and a short last tile */
    double *x = normal(r, 4500 * 6, 1, 0);
    agree("random 4500x6 (three tiles), k=7", 4500, 6, x, NN_F32, 7, -1);
    free(x);
    x = lattice(r, 2500, 3, 5);
    agree("lattice 2500x3 (two tiles, ties), k=12", 2500, 3, x, NN_F32, 12, 1);
    free(x);
}

static void test_errors(void)
{
    float x[6] = {0, 1, 2, 3, 4, 5}, nan[4] = {0, 1, 0, 0};
    nan[2] = 0.0f / 0.0f;
    uint32_t idx[6];
    nn_error e;
    CHECK(nn_knn(3, 2, x, NN_F32, 3, idx, NULL, NULL, &e) < 0 &&
          strstr(e.msg, "k=3"), "k >= rows fails (%s)", e.msg);
    CHECK(nn_knn(3, 2, x, NN_F32, 0, idx, NULL, NULL, &e) < 0,
          "k = 0 fails");
    CHECK(nn_knn(2, 2, nan, NN_F32, 1, idx, NULL, NULL, &e) < 0 &&
          strstr(e.msg, "not finite"), "NaN fails (%s)", e.msg);
    CHECK(nn_knn_ref(3, 2, x, NN_F32, 3, idx, NULL, &e) < 0,
          "the reference: k >= rows fails");
}

int main(void)
{
    nn_rng r;
    nn_rng_seed(&r, 11);
    test_small(&r);
    test_scale(&r);
    test_near_ties(&r);
    test_tiles(&r);
    test_errors();
    return check_status();
}

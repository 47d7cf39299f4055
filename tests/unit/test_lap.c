/* test_lap.c — nn_lap, the exact assignment solver: the optimal total of
 * trying every assignment on small random, integer (many ties) and
 * degenerate costs, square and rectangular, least and greatest; the
 * classic O(n^3) Hungarian method with potentials (written here, an
 * independent method) on larger ones; a permutation recovered from the
 * costs it makes; bad costs refused.  NN_LAP_DUMP=FILE also writes the
 * larger problems and nn_lap's totals to FILE, an NNS stream, for
 * tests/cli/lap-scipy.sh to compare with scipy. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* The Hungarian method with potentials for n <= m (least total): rows
 * 1..n, columns 1..m, 1-based as it is usually written. */
static double hungarian(size_t n, size_t m, const double *a)
{
    double *u = calloc(n + 1, sizeof *u), *v = calloc(m + 1, sizeof *v);
    double *minv = malloc((m + 1) * sizeof *minv);
    size_t *p = calloc(m + 1, sizeof *p), *way = calloc(m + 1, sizeof *way);
    unsigned char *used = malloc(m + 1);
    for (size_t i = 1; i <= n; i++) {
        p[0] = i;
        size_t j0 = 0;
        for (size_t j = 0; j <= m; j++)
            minv[j] = INFINITY;
        memset(used, 0, m + 1);
        do {
            used[j0] = 1;
            size_t i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            for (size_t j = 1; j <= m; j++)
                if (!used[j]) {
                    double cur = a[(i0 - 1) * m + j - 1] - u[i0] - v[j];
                    if (cur < minv[j])
                        minv[j] = cur, way[j] = j0;
                    if (minv[j] < delta)
                        delta = minv[j], j1 = j;
                }
            for (size_t j = 0; j <= m; j++)
                if (used[j])
                    u[p[j]] += delta, v[j] -= delta;
                else
                    minv[j] -= delta;
            j0 = j1;
        } while (p[j0] != 0);
        do {
            size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    double total = 0;
    for (size_t j = 1; j <= m; j++)
        if (p[j])
            total += a[(p[j] - 1) * m + j - 1];
    free(u), free(v), free(minv), free(p), free(way), free(used);
    return total;
}

/* col4row is an injective map into [0, m) whose costs sum to total. */
static int valid(size_t n, size_t m, const double *c, const size_t *col4row,
                 double total)
{
    unsigned char seen[4096] = {0};
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (col4row[i] >= m || seen[col4row[i]]++)
            return 0;
        s += c[i * m + col4row[i]];
    }
    return fabs(s - total) <= 1e-9 * (1 + fabs(total));
}

static int close(double a, double b)
{
    return fabs(a - b) <= 1e-9 * (1 + fabs(a) + fabs(b));
}

/* NN_LAP_DUMP: the cost matrix with maximize and nn_lap's total. */
static void dump(nn_writer *w, size_t n, size_t m, const double *c, int mx,
                 double total)
{
    nn_error e;
    char attrs[96];
    if (!w)
        return;
    snprintf(attrs, sizeof attrs, "maximize=%d\ntotal=%.17g\n", mx, total);
    nn_header h = {.name = "cost", .dtype = NN_F64, .rank = 2,
                   .dims = {n, m}, .attrs = attrs};
    nn_writer_put(w, &h, c, &e);
}

/* Degenerate costs: a rank-one product, a constant, a row repeated. */
static void degenerate(size_t n, size_t m, double *c, int kind, nn_rng *g)
{
    double u[320], v[320];
    for (size_t i = 0; i < m; i++)
        u[i % 320] = nn_rng_normal(g), v[i % 320] = nn_rng_normal(g);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            c[i * m + j] = kind == 0 ? u[i] * v[j]
                         : kind == 1 ? 3.0
                                     : (double)((j * 7) % 5);
}

int main(void)
{
    nn_error e;
    const char *dump_path = getenv("NN_LAP_DUMP");
    nn_writer *dw = dump_path ? nn_writer_open(dump_path, 1, &e) : NULL;
    nn_rng g;
    nn_rng_seed(&g, 7);
    static double c[300 * 320], neg[300 * 320];
    size_t col[320], ref[12];

    /* small: every assignment tried */
    static const char *kinds[] = {"random", "integer 0..3", "all equal",
                                  "zero rows"};
    for (int kind = 0; kind < 4; kind++) {
        int bad = 0, trials = 0;
        for (int t = 0; t < 300; t++) {
            size_t n = 1 + nn_rng_below(&g, 7), m = n + nn_rng_below(&g, 3);
            for (size_t k = 0; k < n * m; k++)
                c[k] = kind == 0 ? nn_rng_normal(&g)
                     : kind == 1 ? (double)nn_rng_below(&g, 4)
                     : kind == 2 ? 2.5
                                 : (k / m) % 2 ? 0 : nn_rng_normal(&g);
            for (int mx = 0; mx < 2; mx++) {
                double got, want;
                trials++;
                if (nn_lap(n, m, c, mx, col, &got, &e) < 0 ||
                    nn_lap_ref(n, m, c, mx, ref, &want, &e) < 0 ||
                    !close(got, want) || !valid(n, m, c, col, got))
                    bad++;
            }
        }
        CHECK(bad == 0, "%s costs, up to 7 x 9, least and greatest: the "
              "optimal total every time (%d of %d wrong)", kinds[kind], bad,
              trials);
    }

    /* larger: against the Hungarian method */
    static const size_t sizes[][2] = {{50, 50}, {120, 150}, {300, 300},
                                      {200, 320}};
    for (size_t s = 0; s < 4; s++) {
        size_t n = sizes[s][0], m = sizes[s][1];
        for (int kind = 0; kind < 2; kind++) {
            for (size_t k = 0; k < n * m; k++) {
                c[k] = kind ? (double)nn_rng_below(&g, 1000)
                            : nn_rng_uniform(&g);
                neg[k] = -c[k];
            }
            double got, gmax, want = hungarian(n, m, c), wmax = -hungarian(n, m, neg);
            int rc = nn_lap(n, m, c, 0, col, &got, &e);
            dump(dw, n, m, c, 0, got);
            CHECK(rc == 0 && close(got, want) && valid(n, m, c, col, got),
                  "%s %zu x %zu: least total %.12g, Hungarian %.12g",
                  kind ? "integer" : "uniform", n, m, got, want);
            rc = nn_lap(n, m, c, 1, col, &gmax, &e);
            dump(dw, n, m, c, 1, gmax);
            CHECK(rc == 0 && close(gmax, wmax) && valid(n, m, c, col, gmax),
                  "%s %zu x %zu: greatest total %.12g, Hungarian %.12g",
                  kind ? "integer" : "uniform", n, m, gmax, wmax);
        }
    }

    /* degenerate larger ones, against the Hungarian method */
    static const char *dnames[] = {"rank-one", "constant", "repeated-row"};
    for (int kind = 0; kind < 3; kind++) {
        size_t n = 150, m = 180;
        degenerate(n, m, c, kind, &g);
        double got, want = hungarian(n, m, c);
        int rc = nn_lap(n, m, c, 0, col, &got, &e);
        dump(dw, n, m, c, 0, got);
        CHECK(rc == 0 && close(got, want) && valid(n, m, c, col, got),
              "%s 150 x 180: least total %.12g, Hungarian %.12g",
              dnames[kind], got, want);
    }

    /* a permutation recovered from the similarities it makes */
    size_t n = 256, perm[256];
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = nn_rng_below(&g, i), t = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            c[i * n + j] = (j == perm[i] ? 1.0 : 0.0) + 0.1 * nn_rng_uniform(&g);
    int same = nn_lap(n, n, c, 1, col, NULL, &e) == 0;
    for (size_t i = 0; i < n; i++)
        same &= col[i] == perm[i];
    CHECK(same, "256 x 256: the permutation that makes the similarities is "
          "recovered");

    /* bad costs */
    c[0] = NAN;
    CHECK(nn_lap(2, 2, c, 0, col, NULL, &e) < 0 && strstr(e.msg, "not finite"),
          "NaN cost refused: %s", e.msg);
    c[0] = 1;
    CHECK(nn_lap(3, 2, c, 0, col, NULL, &e) < 0 && strstr(e.msg, "3 rows"),
          "more rows than columns refused: %s", e.msg);
    CHECK(nn_lap(0, 5, c, 0, col, NULL, &e) == 0, "no rows: nothing to do");
    if (dw && nn_writer_close(dw, 1, &e) < 0)
        CHECK(0, "NN_LAP_DUMP: %s", e.msg);
    return check_status();
}

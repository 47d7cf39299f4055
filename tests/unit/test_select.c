/* test_select.c — the bounded-memory selection against a full sort by
 * (key, row): continuous keys, keys with many duplicates, a single key,
 * keys of every magnitude and sign (-0 equal to +0), budgets small enough
 * to need several counting passes, and keys that change between passes. */
#include "nn.h"
#include "check.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

static const double *ref_keys;
static int by_key_row(const void *a, const void *b)
{
    uint64_t i = *(const uint64_t *)a, j = *(const uint64_t *)b;
    if (ref_keys[i] != ref_keys[j])
        return ref_keys[i] < ref_keys[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* Selects ranks of keys with the budget; 1 if every row equals the sort's.
 * *passes: the passes it took. */
static int agrees(const double *keys, uint64_t n, const uint64_t *ranks,
                  size_t nr, size_t budget, int *passes)
{
    uint64_t *order = malloc(n * sizeof *order);
    for (uint64_t i = 0; i < n; i++)
        order[i] = i;
    ref_keys = keys;
    qsort(order, n, sizeof *order, by_key_row);
    nn_error e;
    nn_select *s = nn_select_new(n, nr, ranks, budget, &e);
    int rc, ok = s != NULL;
    while (ok && (rc = nn_select_pass(s)) == 1) {
        for (uint64_t i = 0; i < n; i++)
            nn_select_add(s, keys[i]);
        if (nn_select_end(s, &e) < 0)
            ok = 0;
    }
    const uint64_t *rows = ok ? nn_select_rows(s) : NULL;
    for (size_t i = 0; rows && i < nr; i++)
        if (rows[i] != order[ranks[i]])
            ok = 0;
    if (!rows)
        ok = 0;
    *passes = s ? nn_select_passes(s) : 0;
    nn_select_free(s);
    free(order);
    return ok;
}

static void test_cases(nn_rng *r)
{
    enum { N = 20000, NR = 300 };
    double *k = malloc(N * sizeof *k);
    uint64_t ranks[NR];
    const char *what[] = {"normal keys", "keys from 7 values", "one key",
                          "keys of every magnitude and sign", "sorted keys"};
    for (int c = 0; c < 5; c++) {
        for (size_t i = 0; i < N; i++) {
            double u = nn_rng_normal(r);
            switch (c) {
            case 0: k[i] = u; break;
            case 1: k[i] = (double)(int)(u * 2); break;
            case 2: k[i] = 3.5; break;
            case 3: {
                static const double odd[] = {0.0, -0.0, DBL_MIN, -DBL_MIN,
                                             4.9e-324, DBL_MAX, -DBL_MAX,
                                             1e-300, -1e300};
                k[i] = i % 3 ? odd[(size_t)(nn_rng_uniform(r) * 9) % 9]
                             : u * 1e10;
                break;
            }
            default: k[i] = (double)i / 7;
            }
        }
        for (size_t i = 0; i < NR; i++) /* repeats, the ends, at random */
            ranks[i] = i == 0 ? 0 : i == 1 ? N - 1 : i == 2 ? 0
                     : (uint64_t)(nn_rng_uniform(r) * N) % N;
        const size_t budgets[] = {0, 600, 2000};
        for (size_t b = 0; b < 3; b++) {
            int passes;
            int ok = agrees(k, N, ranks, NR, budgets[b], &passes);
            CHECK(ok && (budgets[b] ? passes >= 2 : passes == 1),
                  "%s, budget %zu: the sort's rows (%d passes)", what[c],
                  budgets[b], passes);
        }
    }
    free(k);
}

/* evenly spaced ranks as sorted PCA asks, many rows, a small budget */
static void test_even(nn_rng *r)
{
    enum { N = 100000, D = 98 };
    double *k = malloc(N * sizeof *k);
    uint64_t ranks[D];
    for (size_t i = 0; i < N; i++)
        k[i] = nn_rng_normal(r) * nn_rng_normal(r);
    for (size_t j = 0; j < D; j++)
        ranks[j] = (uint64_t)j * N / D;
    int passes;
    int ok = agrees(k, N, ranks, D, 4096, &passes);
    CHECK(ok && passes <= 1 + 64 / 5, "%d evenly spaced ranks of %d keys, "
          "budget 4096: the sort's rows in %d passes", D, N, passes);
    free(k);
}

/* many small random cases: few rows, tiny budgets, ties, odd doubles */
static void test_random(nn_rng *r)
{
    enum { CASES = 2000 };
    int bad = 0, most = 0;
    double *k = malloc(600 * sizeof *k);
    uint64_t ranks[20];
    for (int c = 0; c < CASES && !bad; c++) {
        uint64_t n = 1 + (uint64_t)(nn_rng_uniform(r) * 600) % 600;
        size_t nr = 1 + (size_t)(nn_rng_uniform(r) * 20) % 20;
        size_t budget = 1 + (size_t)(nn_rng_uniform(r) * 64) % 64;
        int kind = c % 3;
        for (uint64_t i = 0; i < n; i++) {
            if (kind == 0) {
                k[i] = (double)(int)(nn_rng_uniform(r) * 5) - 2;
            } else if (kind == 1) {
                k[i] = nn_rng_normal(r);
            } else { /* a random bit pattern that is not a NaN */
                uint64_t b = nn_rng_u64(r);
                memcpy(&k[i], &b, sizeof b);
                if (k[i] != k[i])
                    k[i] = -0.0;
            }
        }
        for (size_t i = 0; i < nr; i++)
            ranks[i] = (uint64_t)(nn_rng_uniform(r) * (double)n) % n;
        int passes;
        if (!agrees(k, n, ranks, nr, budget, &passes))
            bad = c + 1;
        if (passes > most)
            most = passes;
    }
    CHECK(!bad, "%d random small cases (budgets 1-64) agree with the sort "
          "(at most %d passes)%s", CASES, most, bad ? ": one does not" : "");
    free(k);
}

static void test_errors(void)
{
    nn_error e;
    uint64_t ranks[] = {1, 5};
    CHECK(!nn_select_new(5, 2, ranks, 0, &e) && strstr(e.msg, "rank 5 of 5"),
          "a rank past the rows is refused: %s", e.msg);
    nn_select *s = nn_select_new(10, 2, ranks, 0, &e);
    nn_select_pass(s);
    for (int i = 0; i < 9; i++)
        nn_select_add(s, i);
    CHECK(nn_select_end(s, &e) < 0 && strstr(e.msg, "9 keys, not 10"),
          "a pass short of keys is an error: %s", e.msg);
    nn_select_free(s);
    /* counting passes, then keys that move between bins */
    enum { N = 1000 };
    uint64_t rk[] = {10, 500, 990};
    s = nn_select_new(N, 3, rk, 8, &e);
    int rc, fails = 0;
    for (int pass = 0; (rc = nn_select_pass(s)) == 1 && !fails; pass++) {
        for (int i = 0; i < N; i++)
            nn_select_add(s, pass ? (double)i + 1e6 : (double)i);
        fails = nn_select_end(s, &e) < 0;
    }
    CHECK(fails && strstr(e.msg, "keys changed"),
          "keys that change between passes are an error: %s",
          fails ? e.msg : "none");
    nn_select_free(s);
    /* a bin of one key value that loses rows in the collecting pass, and
     * the row at a wanted rank that moves to another rank: never a row
     * that is wrong for the keys of the later passes */
    for (int kind = 0; kind < 2; kind++) {
        uint64_t r1[] = {500}, r2[] = {100, 900};
        s = kind ? nn_select_new(N, 2, r2, 8, &e) : nn_select_new(N, 1, r1, 8, &e);
        fails = 0;
        for (int pass = 0; (rc = nn_select_pass(s)) == 1 && !fails; pass++) {
            for (int i = 0; i < N; i++) {
                double k = kind ? i : 3.5;
                if (pass && (kind ? i == 100 : i >= 5))
                    k = kind ? 900.5 : 4.5;
                nn_select_add(s, k);
            }
            fails = nn_select_end(s, &e) < 0;
        }
        /* either an error, or the rows of the keys of the later passes
         * (row 100 is then at rank 900, row 101 at rank 100) */
        const uint64_t *got = fails ? NULL : nn_select_rows(s);
        int right = fails ? strstr(e.msg, "keys changed") != NULL
                          : kind && got[0] == 101 && got[1] == 100;
        CHECK(right, "%s: %s", kind ? "a row that moves to another rank"
                                    : "a single-key bin that loses rows",
              fails ? e.msg : "the later passes' rows");
        nn_select_free(s);
    }
    /* the smallest cases */
    s = nn_select_new(0, 0, NULL, 0, &e);
    CHECK(s && nn_select_pass(s) == 0 && nn_select_rows(s),
          "no rows, no ranks: nothing to do");
    nn_select_free(s);
    uint64_t r0[] = {0};
    s = nn_select_new(1, 1, r0, 0, &e);
    CHECK(!nn_select_rows(s), "no rows before the passes");
    while ((rc = nn_select_pass(s)) == 1) {
        nn_select_add(s, -7);
        nn_select_end(s, &e);
    }
    CHECK(nn_select_rows(s) && nn_select_rows(s)[0] == 0, "one row");
    nn_select_free(s);
}

int main(void)
{
    nn_rng r;
    nn_rng_seed(&r, 5);
    test_cases(&r);
    test_even(&r);
    test_random(&r);
    test_errors();
    return check_status();
}

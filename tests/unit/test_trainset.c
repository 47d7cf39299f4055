/* test_trainset.c — nn_trainset: a pass hands out every row exactly once,
 * whether the rows are held or spilled (memory from one row to all of
 * them), in a new order each pass, in the stream's order without a
 * generator; x and the one-hot targets travel with their row; the same
 * seed gives the same order; bad data fails at open. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/nn-trainset.XXXXXX";
enum { N = 1000, COLS = 3, K = 4 };

/* N rows: x = (i, -i, 0.5) as u16/f32 in records of 37 rows, y = i % K. */
static int write_data(const char *path, int xdt, double bad)
{
    nn_error e;
    nn_writer *w = nn_writer_open(path, 1, &e);
    if (!w)
        return -1;
    char attrs[] = "classes=4\n";
    for (size_t r0 = 0; r0 < N; r0 += 37) {
        size_t m = N - r0 < 37 ? N - r0 : 37;
        float xf[37 * COLS];
        unsigned short xu[37 * COLS];
        unsigned char y[37];
        for (size_t i = 0; i < m; i++) {
            size_t r = r0 + i;
            xf[i * COLS] = (float)r, xf[i * COLS + 1] = -(float)r;
            xf[i * COLS + 2] = r == 500 ? (float)bad : 0.5f;
            xu[i * COLS] = (unsigned short)r, xu[i * COLS + 1] = 7;
            xu[i * COLS + 2] = 1;
            y[i] = (unsigned char)(r % K);
        }
        nn_header hx = {.name = "x", .dtype = xdt, .rank = 2,
                        .dims = {m, COLS}};
        nn_header hy = {.name = "y", .dtype = NN_U8, .rank = 1, .dims = {m},
                        .attrs = attrs};
        if (nn_writer_rows(w, &hx, xdt == NN_F32 ? (void *)xf : (void *)xu,
                           &e) < 0 ||
            nn_writer_rows(w, &hy, y, &e) < 0)
            return -1;
    }
    return nn_writer_close(w, 1, &e);
}

/* One pass in batches of 64: every row once, x and targets with it. */
static int one_pass(nn_trainset *t, nn_rng *g, int xdt, int *seen,
                    unsigned *order, int *first_ok)
{
    nn_error e;
    double x[64 * COLS], y[64 * K];
    uint32_t cls[64];
    size_t got, at = 0;
    int good = 1;
    memset(seen, 0, N * sizeof *seen);
    if (nn_trainset_pass(t, g, &e) < 0)
        return 0;
    do {
        if (nn_trainset_next(t, 64, NN_F64, x, y, cls, &got, &e) < 0)
            return 0;
        for (size_t i = 0; i < got; i++) {
            long r = (long)x[i * COLS];
            if (r < 0 || r >= N || seen[r]++ || at >= N)
                return 0;
            order[at++] = (unsigned)r;
            good &= cls[i] == (uint32_t)(r % K);
            good &= xdt == NN_F32 ? x[i * COLS + 1] == -(double)r
                                  : x[i * COLS + 1] == 7;
            for (size_t j = 0; j < K; j++)
                good &= y[i * K + j] == (j == (size_t)(r % K) ? 16 : -1);
        }
    } while (got);
    *first_ok = good;
    return at == N;
}

int main(void)
{
    nn_error e;
    if (!mkdtemp(dir))
        return 1;
    setenv("TMPDIR", dir, 1);
    char path[128], bad[128];
    snprintf(path, sizeof path, "%s/d.nns", dir);
    snprintf(bad, sizeof bad, "%s/bad.nns", dir);
    int *seen = malloc(N * sizeof *seen);
    unsigned *o1 = malloc(N * sizeof *o1), *o2 = malloc(N * sizeof *o2),
             *o3 = malloc(N * sizeof *o3);

    /* memory from one row's worth (16+8 or 24+8 bytes) to all the rows */
    static const size_t mems[] = {40, 100, 1000, 5000, 20000, 1 << 20};
    for (int xi = 0; xi < 2; xi++) {
        int xdt = xi ? NN_U16 : NN_F32;
        if (write_data(path, xdt, 0.5) < 0)
            return 1;
        for (size_t mi = 0; mi < sizeof mems / sizeof *mems; mi++) {
            nn_trainset_spec sp = {.x = "x", .y = "y", .n_in = COLS,
                                   .n_out = K, .tlo = -1, .thi = 16,
                                   .memory = mems[mi]};
            nn_trainset *t = nn_trainset_open(path, &sp, &e);
            if (!t) {
                CHECK(0, "open %s memory %zu: %s", nn_dtype_name(xdt),
                      mems[mi], e.msg);
                continue;
            }
            int spilled = nn_trainset_spilled(t);
            nn_rng g;
            nn_rng_seed(&g, 5);
            int ok1, ok2, ok3;
            int p1 = one_pass(t, &g, xdt, seen, o1, &ok1);
            int p2 = one_pass(t, &g, xdt, seen, o2, &ok2);
            int p3 = one_pass(t, NULL, xdt, seen, o3, &ok3);
            int ident = 1, same12 = 1, ident1 = 1;
            for (unsigned i = 0; i < N; i++) {
                ident &= o3[i] == i;
                ident1 &= o1[i] == i;
                same12 &= o1[i] == o2[i];
            }
            CHECK(p1 && p2 && p3 && ok1 && ok2 && ok3,
                  "x %s, memory %zu (%s, %zu held): every pass hands out each "
                  "row once, with its x and targets", nn_dtype_name(xdt),
                  mems[mi], spilled ? "spilled" : "held",
                  nn_trainset_held_rows(t));
            CHECK(ident && !ident1 && !same12,
                  "x %s, memory %zu: a new order each pass, the stream's "
                  "without a generator", nn_dtype_name(xdt), mems[mi]);
            CHECK(spilled == (mems[mi] < N * (16 + 8)), /* row, place */
                  "x %s, memory %zu: spilled only when the rows do not fit",
                  nn_dtype_name(xdt), mems[mi]);
            nn_trainset_close(t);
            /* the same seed, the same order */
            t = nn_trainset_open(path, &sp, &e);
            nn_rng_seed(&g, 5);
            one_pass(t, &g, xdt, seen, o3, &ok3);
            CHECK(t && memcmp(o1, o3, N * sizeof *o1) == 0,
                  "x %s, memory %zu: the same seed, the same order",
                  nn_dtype_name(xdt), mems[mi]);
            nn_trainset_close(t);
        }
    }

    /* bad data fails at open, naming the row */
    if (write_data(bad, NN_F32, NAN) < 0)
        return 1;
    nn_trainset_spec sp = {.x = "x", .y = "y", .n_in = COLS, .n_out = K,
                           .thi = 1, .memory = 100};
    nn_trainset *t = nn_trainset_open(bad, &sp, &e);
    CHECK(!t && strstr(e.msg, "500"), "NaN in row 500 refused: %s",
          t ? "opened" : e.msg);
    sp.n_in = 2;
    t = nn_trainset_open(path, &sp, &e);
    CHECK(!t && strstr(e.msg, "takes 2 inputs"), "wrong width refused: %s",
          t ? "opened" : e.msg);
    sp.n_in = COLS, sp.n_out = 3;
    t = nn_trainset_open(path, &sp, &e);
    CHECK(!t && strstr(e.msg, "4 classes"), "4 classes for 3 outputs: %s",
          t ? "opened" : e.msg);
    sp.n_out = K, sp.memory = 8;
    t = nn_trainset_open(path, &sp, &e);
    CHECK(!t && strstr(e.msg, "more than the memory"),
          "memory below a row refused: %s", t ? "opened" : e.msg);

    unlink(path);
    unlink(bad);
    CHECK(rmdir(dir) == 0, "no spill file left behind in $TMPDIR");
    free(seen);
    free(o1);
    free(o2);
    free(o3);
    return check_status();
}

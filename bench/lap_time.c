/* lap_time.c — the exact assignment (nn_lap) on an n x n matrix of
 * uniform costs drawn from a seed, timed (the best of R runs), the matrix
 * written as raw little-endian f64 for bench/lap_scipy.py to time scipy on
 * the same costs.  Usage: lap_time N SEED RUNS OUT.f64; prints "seconds
 * total" on stdout. */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 5)
        return fprintf(stderr, "usage: lap_time N SEED RUNS OUT.f64\n"), 2;
    size_t n = (size_t)strtoull(argv[1], NULL, 10);
    int runs = atoi(argv[3]);
    nn_rng g;
    nn_rng_seed(&g, strtoull(argv[2], NULL, 10));
    double *c = malloc(n * n * sizeof *c);
    size_t *col = malloc(n * sizeof *col);
    if (!c || !col)
        return 1;
    for (size_t k = 0; k < n * n; k++)
        c[k] = nn_rng_uniform(&g);
    FILE *f = fopen(argv[4], "wb");
    if (!f || fwrite(c, sizeof *c, n * n, f) != n * n || fclose(f))
        return fprintf(stderr, "lap_time: cannot write %s\n", argv[4]), 1;
    double best = 1e30, total = 0;
    nn_error e;
    for (int r = 0; r < runs; r++) {
        double t0 = nn_now();
        if (nn_lap(n, n, c, 0, col, &total, &e) < 0)
            return fprintf(stderr, "lap_time: %s\n", e.msg), 1;
        double t = nn_now() - t0;
        best = t < best ? t : best;
    }
    printf("%.6f %.12f\n", best, total);
    free(c);
    free(col);
    return 0;
}

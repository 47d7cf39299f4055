/* nn_lap.c — the linear assignment problem, exactly: the shortest
 * augmenting path method (Jonker and Volgenant 1987, in the form of
 * Crouse 2016, "On implementing 2D rectangular assignment algorithms",
 * which scipy.optimize.linear_sum_assignment also follows).  Rows are
 * assigned one at a time; each finds the cheapest path to a free column
 * by Dijkstra's method over reduced costs c[i][j] - u[i] - v[j], which
 * the dual variables u and v keep non-negative, so every step is exact
 * and the total is optimal (no epsilon, no scaling).  O(n^2 m) at worst
 * for n rows and m >= n columns.  Square problems start from Jonker and
 * Volgenant's column reduction, which assigns most rows before any path
 * is searched.
 *
 * Beside it, nn_lap_ref tries every assignment: the tests' reference for
 * small problems. */
#include "linalg/nn_linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nn_lap(size_t n, size_t m, const double *cost, int maximize,
           size_t *col4row, double *total, nn_error *e)
{
    if (n > m)
        return nn_fail(e, "assignment: %zu rows for %zu columns (transpose "
                       "the costs)", n, m);
    for (size_t k = 0; k < n * m; k++)
        if (!isfinite(cost[k]))
            return nn_fail(e, "assignment: cost %zu (row %zu, column %zu) is "
                           "not finite", k, k / m, k % m);
    if (n == 0) {
        if (total)
            *total = 0;
        return 0;
    }
    double *u = calloc(n, sizeof *u), *v = calloc(m, sizeof *v);
    double *shortest = malloc(m * sizeof *shortest);
    size_t *path = malloc(m * sizeof *path), *row4col = malloc(m * sizeof *row4col);
    size_t *remaining = malloc(m * sizeof *remaining), *c4r = col4row;
    unsigned char *sr = malloc(n), *sc = malloc(m);
    int rc = 0;
    if (!u || !v || !shortest || !path || !row4col || !remaining || !sr || !sc) {
        rc = nn_fail(e, "assignment: out of memory for %zu x %zu", n, m);
        goto done;
    }
    const size_t FREE = (size_t)-1;
    double sign = maximize ? -1 : 1;
    for (size_t j = 0; j < m; j++)
        row4col[j] = FREE;
    for (size_t i = 0; i < n; i++)
        c4r[i] = FREE;
    /* Column reduction (Jonker and Volgenant's first step): v[j] the
     * least cost of column j, which keeps every reduced cost >= 0 with
     * u = 0, and column j given to its cheapest row while that row is
     * free; for a square problem most rows start assigned.  (With more
     * columns than rows a column's minimum may not be any row's best:
     * the duals stay feasible, as the augmentations need.) */
    if (n == m) {
        for (size_t j = m; j-- > 0;) {
            double best = sign * cost[j];
            size_t arg = 0;
            for (size_t i = 1; i < n; i++) {
                double x = sign * cost[i * m + j];
                if (x < best)
                    best = x, arg = i;
            }
            v[j] = best;
            if (c4r[arg] == FREE) {
                c4r[arg] = j;
                row4col[j] = arg;
            }
        }
    }

    for (size_t cur = 0; cur < n; cur++) {
        if (c4r[cur] != FREE)
            continue;
        /* Dijkstra from row cur to the nearest free column */
        size_t nrem = m, i = cur, sink = FREE;
        for (size_t j = 0; j < m; j++) {
            remaining[j] = m - j - 1; /* scipy's order: ties to the last */
            shortest[j] = INFINITY;
        }
        memset(sr, 0, n);
        memset(sc, 0, m);
        double minval = 0;
        while (sink == FREE) {
            sr[i] = 1;
            const double *ci = cost + i * m;
            double lowest = INFINITY, ui = u[i];
            size_t index = FREE;
            for (size_t it = 0; it < nrem; it++) {
                size_t j = remaining[it];
                double r = minval + sign * ci[j] - ui - v[j];
                if (r < shortest[j]) {
                    path[j] = i;
                    shortest[j] = r;
                }
                if (shortest[j] < lowest ||
                    (shortest[j] == lowest && row4col[j] == FREE)) {
                    lowest = shortest[j];
                    index = it;
                }
            }
            minval = lowest;
            if (index == FREE || !isfinite(minval)) { /* cannot happen with
                                                       * finite costs */
                rc = nn_fail(e, "assignment: no feasible assignment");
                goto done;
            }
            size_t j = remaining[index];
            if (row4col[j] == FREE)
                sink = j;
            else
                i = row4col[j];
            sc[j] = 1;
            remaining[index] = remaining[--nrem];
        }
        /* the duals */
        u[cur] += minval;
        for (size_t r = 0; r < n; r++)
            if (sr[r] && r != cur)
                u[r] += minval - shortest[c4r[r]];
        for (size_t j = 0; j < m; j++)
            if (sc[j])
                v[j] -= minval - shortest[j];
        /* augment along the path back to cur */
        for (size_t j = sink;;) {
            size_t r = path[j];
            row4col[j] = r;
            size_t t = c4r[r];
            c4r[r] = j;
            j = t;
            if (r == cur)
                break;
        }
    }
    if (total) {
        double s = 0;
        for (size_t r = 0; r < n; r++)
            s += cost[r * m + c4r[r]];
        *total = s;
    }
done:
    free(u);
    free(v);
    free(shortest);
    free(path);
    free(row4col);
    free(remaining);
    free(sr);
    free(sc);
    return rc;
}

/* Every injective map of the rows into the columns, depth first. */
static void try_all(size_t n, size_t m, const double *cost, double sign,
                    size_t i, size_t *cur, unsigned char *used, double sum,
                    size_t *best, double *bestsum)
{
    if (i == n) {
        if (sign * sum < sign * *bestsum) {
            *bestsum = sum;
            memcpy(best, cur, n * sizeof *cur);
        }
        return;
    }
    for (size_t j = 0; j < m; j++) {
        if (used[j])
            continue;
        used[j] = 1;
        cur[i] = j;
        try_all(n, m, cost, sign, i + 1, cur, used, sum + cost[i * m + j],
                best, bestsum);
        used[j] = 0;
    }
}

int nn_lap_ref(size_t n, size_t m, const double *cost, int maximize,
               size_t *col4row, double *total, nn_error *e)
{
    if (n > m || m > 12)
        return nn_fail(e, "assignment reference: %zu x %zu is too large", n,
                       m);
    size_t cur[12];
    unsigned char used[12] = {0};
    double sign = maximize ? -1 : 1, best = sign * INFINITY;
    try_all(n, m, cost, sign, 0, cur, used, 0, col4row, &best);
    if (total)
        *total = n ? best : 0;
    return 0;
}

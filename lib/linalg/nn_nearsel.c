/* nn_nearsel.c — the rows at given ranks of exact keys, from approximate
 * keys a_i known to be within h of them (sorted PCA's keys x.c of the
 * component before its last correction) and one look at a few rows.
 * The r-th smallest exact key k_(r) lies within h of a_(r), the r-th
 * smallest a (the r+1 rows of the smallest a have exact keys at most
 * a_(r) + h, the n - r of the largest at least a_(r) - h); so a row with
 * a_i < a_(r) - 2h ranks below rank r, one with a_i > a_(r) + 2h above,
 * and the row at rank r is among those with a_i in the window
 * [a_(r) - 2h, a_(r) + 2h]: the (r - below)-th of them by (exact key,
 * row). */
#include "linalg/nn_linalg.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct nn_nearsel {
    size_t nranks, count;
    double h;
    uint64_t *ranks;
    uint64_t *rows;     /* the candidates, increasing */
    double *a, *key;    /* their approximate and exact keys (NaN: not yet) */
    size_t *cand;       /* the union of the windows, in the order of a:
                         * each place's candidate */
    size_t *start;      /* per rank: its window's first place in cand */
    size_t *len;        /* its window's size */
    uint64_t *below;    /* the rows below its window */
};

typedef struct keyrow {
    double key;
    uint64_t row;
} keyrow;

static int by_key_row(const void *x, const void *y)
{
    const keyrow *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static int by_first(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

static int by_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* places of the window: the first with key >= lo, the first with key > hi */
static size_t first_at_least(const keyrow *p, size_t n, double lo)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (p[m].key < lo)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

static size_t first_above(const keyrow *p, size_t n, double hi)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (p[m].key <= hi)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

void nn_nearsel_free(nn_nearsel *s)
{
    if (!s)
        return;
    free(s->ranks);
    free(s->rows);
    free(s->a);
    free(s->key);
    free(s->cand);
    free(s->start);
    free(s->len);
    free(s->below);
    free(s);
}

nn_nearsel *nn_nearsel_new(uint64_t n, const double *a, double h,
                           size_t nranks, const uint64_t *ranks, nn_error *e)
{
    if (!(h >= 0) || isinf(h)) {
        nn_fail(e, "near selection: no bound on the keys' error");
        return NULL;
    }
    for (size_t i = 0; i < nranks; i++)
        if (ranks[i] >= n) {
            nn_fail(e, "near selection: rank %llu of %llu keys",
                    (unsigned long long)ranks[i], (unsigned long long)n);
            return NULL;
        }
    nn_nearsel *s = nn_alloc(1, sizeof *s, "near selection", e);
    if (!s)
        return NULL;
    memset(s, 0, sizeof *s);
    s->nranks = nranks;
    s->h = h;
    keyrow *p = nn_alloc((size_t)n, sizeof *p, "near selection", e);
    size_t (*iv)[3] = nn_alloc(nranks, sizeof *iv, "near selection", e);
    size_t *off = nn_alloc(nranks, sizeof *off, "near selection", e);
    if (!p || !iv || !off ||
        !(s->ranks = nn_alloc(nranks, sizeof *s->ranks, "near selection", e)) ||
        !(s->start = nn_alloc(nranks, sizeof *s->start, "near selection", e)) ||
        !(s->len = nn_alloc(nranks, sizeof *s->len, "near selection", e)) ||
        !(s->below = nn_alloc(nranks, sizeof *s->below, "near selection", e)))
        goto fail;
    memcpy(s->ranks, ranks, nranks * sizeof *ranks);
    for (uint64_t i = 0; i < n; i++) {
        p[i].key = a[i];
        p[i].row = i;
    }
    qsort(p, (size_t)n, sizeof *p, by_key_row);
    /* each rank's window [L, U) of places, by increasing L */
    for (size_t i = 0; i < nranks; i++) {
        double c = p[ranks[i]].key;
        /* 2h, and the rounding of the window's ends */
        double w = 2 * h * (1 + 4 * DBL_EPSILON) + 4 * DBL_EPSILON * fabs(c);
        iv[i][0] = first_at_least(p, (size_t)n, c - w);
        iv[i][1] = first_above(p, (size_t)n, c + w);
        iv[i][2] = i;
        s->below[i] = iv[i][0];
        s->len[i] = iv[i][1] - iv[i][0];
    }
    qsort(iv, nranks, sizeof *iv, by_first);
    /* the union of the windows: the places in cand, the candidates */
    size_t count = 0, end = 0;
    for (size_t k = 0; k < nranks; k++) {
        size_t L = iv[k][0] > end ? iv[k][0] : end;
        if (iv[k][1] > L)
            count += iv[k][1] - L;
        if (iv[k][1] > end)
            end = iv[k][1];
    }
    s->count = count;
    uint64_t *rp = nn_alloc(count ? count : 1, 2 * sizeof *rp,
                            "near selection", e);
    if (!rp ||
        !(s->cand = nn_alloc(count ? count : 1, sizeof *s->cand,
                             "near selection", e)) ||
        !(s->rows = nn_alloc(count ? count : 1, sizeof *s->rows,
                             "near selection", e)) ||
        !(s->a = nn_alloc(count ? count : 1, sizeof *s->a, "near selection",
                          e)) ||
        !(s->key = nn_alloc(count ? count : 1, sizeof *s->key,
                            "near selection", e))) {
        free(rp);
        goto fail;
    }
    /* rp: (row, place in cand) of each place of the union */
    size_t q = 0;
    end = 0;
    for (size_t k = 0; k < nranks; k++) {
        size_t L = iv[k][0] > end ? iv[k][0] : end;
        /* the window's first place: where L sits in cand, less the
         * places of the window already in it */
        off[iv[k][2]] = q - (L - iv[k][0]);
        for (size_t j = L; j < iv[k][1]; j++, q++) {
            rp[2 * q] = p[j].row;
            rp[2 * q + 1] = q;
        }
        if (iv[k][1] > end)
            end = iv[k][1];
    }
    /* the candidates by row; each place's candidate */
    double *pa = nn_alloc(count ? count : 1, sizeof *pa, "near selection", e);
    if (!pa) {
        free(rp);
        goto fail;
    }
    for (size_t j = 0; j < count; j++)
        pa[j] = a[rp[2 * j]];
    qsort(rp, count, 2 * sizeof *rp, by_u64);
    for (size_t k = 0; k < count; k++) {
        s->rows[k] = rp[2 * k];
        s->cand[rp[2 * k + 1]] = k;
        s->a[k] = pa[rp[2 * k + 1]];
        s->key[k] = NAN;
    }
    for (size_t i = 0; i < nranks; i++)
        s->start[i] = off[i];
    free(pa);
    free(rp);
    free(p);
    free(iv);
    free(off);
    return s;
fail:
    free(p);
    free(iv);
    free(off);
    nn_nearsel_free(s);
    return NULL;
}

size_t nn_nearsel_count(const nn_nearsel *s) { return s->count; }
const uint64_t *nn_nearsel_rows(const nn_nearsel *s) { return s->rows; }

void nn_nearsel_key(nn_nearsel *s, size_t k, double key)
{
    if (k < s->count)
        s->key[k] = key;
}

int nn_nearsel_pick(nn_nearsel *s, size_t *pick, nn_error *e)
{
    for (size_t k = 0; k < s->count; k++) {
        if (isnan(s->key[k]))
            return nn_fail(e, "near selection: no exact key for row %llu",
                           (unsigned long long)s->rows[k]);
        /* within h, with the windows' margin for rounding */
        if (!(fabs(s->key[k] - s->a[k]) <=
              s->h * (1 + 4 * DBL_EPSILON) + 2 * DBL_EPSILON * fabs(s->a[k])))
            return nn_fail(e, "near selection: row %llu's key %.17g is "
                           "%.3g from its estimate, more than the bound %.3g",
                           (unsigned long long)s->rows[k], s->key[k],
                           fabs(s->key[k] - s->a[k]), s->h);
    }
    size_t most = 0;
    for (size_t i = 0; i < s->nranks; i++)
        if (s->len[i] > most)
            most = s->len[i];
    keyrow *w = nn_alloc(most ? most : 1, sizeof *w, "near selection", e);
    if (!w)
        return -1;
    for (size_t i = 0; i < s->nranks; i++) {
        size_t m = s->len[i];
        for (size_t j = 0; j < m; j++) {
            size_t k = s->cand[s->start[i] + j];
            w[j].key = s->key[k];
            w[j].row = s->rows[k];
        }
        qsort(w, m, sizeof *w, by_key_row);
        uint64_t at = s->ranks[i] - s->below[i];
        /* the window holds rank r (a_(r) is in it) */
        uint64_t row = w[at].row;
        size_t lo = 0, hi = s->count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->rows[mid] < row)
                lo = mid + 1;
            else
                hi = mid;
        }
        pick[i] = lo;
    }
    free(w);
    return 0;
}

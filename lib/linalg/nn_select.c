/* nn_select.c — exact order statistics of a stream of keys in bounded
 * memory: the rows at given ranks when n keys (one per row, the same in
 * every pass) are ordered by (key, row).
 *
 * A most-significant-digit radix selection over the keys' order-preserving
 * 64-bit images.  A counting pass splits every bin that holds a wanted rank
 * into S sub-bins over the range of keys it was seen to hold, and keeps the
 * sub-bin each rank falls in; each such pass divides the bins' ranges by S,
 * so a bin holds a single key value after at most ceil(64 / log2 S) of
 * them.  Once the bins that hold wanted ranks have few enough rows
 * together, a collecting pass keeps their (key, row) pairs and sorts them;
 * a bin of a single key value needs only a count, its rows being in row
 * order.  Memory: 24 bytes per counter and 16 per collected pair, within
 * the budget whatever n is. */
#include "linalg/nn_linalg.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET ((size_t)1 << 18)

typedef struct bin {
    uint64_t lo, hi;    /* keys seen in the bin, lo <= hi */
    uint64_t count;     /* rows in it */
    size_t first;       /* COUNT: its first counter; COLLECT: first pair */
    uint64_t seen;      /* COLLECT: its rows so far */
} bin;

typedef struct target {
    uint64_t rank;      /* rank within its bin */
    size_t bin;
    size_t index;       /* in the caller's list */
} target;

typedef struct pair {
    uint64_t key, row;
} pair;

struct nn_select {
    uint64_t n, row;    /* rows; rows of this pass so far */
    size_t nt, budget;
    target *t;          /* sorted by bin, then rank */
    uint64_t *result;
    bin *bins;          /* disjoint, ascending */
    size_t nbins;
    int collect, passes, done;
    size_t s;           /* COUNT: sub-bins per bin */
    uint64_t *cnt, *lo, *hi;
    pair *pairs;
    size_t npairs, cap;
    int changed;        /* the keys differ from an earlier pass */
};

/* An order-preserving image of a double in the unsigned integers (-0 as
 * +0, so that equal doubles have equal keys). */
static uint64_t key_of(double v)
{
    uint64_t b;
    if (v == 0)
        v = 0;
    memcpy(&b, &v, sizeof b);
    return b >> 63 ? ~b : b | (uint64_t)1 << 63;
}

/* The bin holding key k, or nbins. */
static size_t find_bin(const nn_select *s, uint64_t k)
{
    size_t a = 0, b = s->nbins;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (s->bins[mid].hi < k)
            a = mid + 1;
        else
            b = mid;
    }
    return a < s->nbins && s->bins[a].lo <= k ? a : s->nbins;
}

static uint64_t width_of(const bin *b, size_t s)
{
    return (b->hi - b->lo) / s + 1; /* (hi - lo) / width < s */
}

static int by_bin_rank(const void *a, const void *b)
{
    const target *p = a, *q = b;
    if (p->bin != q->bin)
        return p->bin < q->bin ? -1 : 1;
    return p->rank < q->rank ? -1 : p->rank > q->rank;
}

static int by_key_row(const void *a, const void *b)
{
    const pair *p = a, *q = b;
    if (p->key != q->key)
        return p->key < q->key ? -1 : 1;
    return p->row < q->row ? -1 : p->row > q->row;
}

nn_select *nn_select_new(uint64_t n, size_t nranks, const uint64_t *ranks,
                         size_t budget, nn_error *e)
{
    nn_select *s = calloc(1, sizeof *s);
    if (!s) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    s->n = n;
    s->nt = nranks;
    s->budget = budget ? budget : DEFAULT_BUDGET;
    if (s->budget < 2 * nranks)
        s->budget = 2 * nranks;
    s->t = nn_alloc(nranks ? nranks : 1, sizeof *s->t, "selection", e);
    s->result = calloc(nranks ? nranks : 1, sizeof *s->result);
    s->bins = nn_alloc(1, sizeof *s->bins, "selection", e);
    if (!s->t || !s->result || !s->bins) {
        if (!s->result)
            nn_fail(e, "out of memory");
        nn_select_free(s);
        return NULL;
    }
    for (size_t i = 0; i < nranks; i++) {
        if (ranks[i] >= n) {
            nn_fail(e, "rank %llu of %llu rows", (unsigned long long)ranks[i],
                    (unsigned long long)n);
            nn_select_free(s);
            return NULL;
        }
        s->t[i] = (target){ranks[i], 0, i};
    }
    qsort(s->t, nranks, sizeof *s->t, by_bin_rank);
    s->bins[0] = (bin){0, UINT64_MAX, n, 0, 0};
    s->nbins = 1;
    s->done = nranks == 0;
    return s;
}

/* The rows of the bins that still need sorting (not single keys). */
static uint64_t open_rows(const nn_select *s)
{
    uint64_t r = 0;
    for (size_t i = 0; i < s->nbins; i++)
        if (s->bins[i].lo != s->bins[i].hi)
            r += s->bins[i].count;
    return r;
}

int nn_select_pass(nn_select *s)
{
    if (s->done)
        return 0;
    s->row = 0;
    free(s->cnt);
    free(s->lo);
    free(s->hi);
    free(s->pairs);
    s->cnt = s->lo = s->hi = NULL;
    s->pairs = NULL;
    s->npairs = 0;
    uint64_t open = open_rows(s);
    s->collect = open <= s->budget;
    if (s->collect) {
        size_t at = 0;
        for (size_t i = 0; i < s->nbins; i++) {
            s->bins[i].first = at;
            s->bins[i].seen = 0;
            if (s->bins[i].lo != s->bins[i].hi)
                at += (size_t)s->bins[i].count;
        }
        s->pairs = malloc((at ? at : 1) * sizeof *s->pairs);
        if (!s->pairs)
            return -1;
        s->cap = at;
        return 1;
    }
    s->s = s->budget / s->nbins;
    size_t total = s->s * s->nbins;
    s->cnt = calloc(total, sizeof *s->cnt);
    s->lo = malloc(total * sizeof *s->lo);
    s->hi = calloc(total, sizeof *s->hi);
    if (!s->cnt || !s->lo || !s->hi)
        return -1;
    for (size_t i = 0; i < total; i++)
        s->lo[i] = UINT64_MAX;
    for (size_t i = 0; i < s->nbins; i++)
        s->bins[i].first = i * s->s;
    return 1;
}

void nn_select_add(nn_select *s, double v)
{
    uint64_t k = key_of(v), row = s->row++;
    size_t b = find_bin(s, k);
    if (b == s->nbins)
        return;
    bin *bn = &s->bins[b];
    if (!s->collect) {
        size_t j = bn->first + (size_t)((k - bn->lo) / width_of(bn, s->s));
        s->cnt[j]++;
        if (k < s->lo[j])
            s->lo[j] = k;
        if (k > s->hi[j])
            s->hi[j] = k;
    } else if (bn->lo != bn->hi) {
        bn->seen++;
        if (s->npairs == s->cap)
            s->changed = 1;
        else
            s->pairs[s->npairs++] = (pair){k, row};
    } else {
        /* a single key: its rows come in order; the targets of this bin
         * are sorted by rank, so a search finds the one at this row */
        uint64_t r = bn->seen++;
        size_t a = 0, z = s->nt;
        while (a < z) {
            size_t mid = a + (z - a) / 2;
            if (s->t[mid].bin < b ||
                (s->t[mid].bin == b && s->t[mid].rank < r))
                a = mid + 1;
            else
                z = mid;
        }
        for (; a < s->nt && s->t[a].bin == b && s->t[a].rank == r; a++)
            s->result[s->t[a].index] = row;
    }
}

int nn_select_end(nn_select *s, nn_error *e)
{
    if (s->row != s->n)
        return nn_fail(e, "the pass gave %llu keys, not %llu",
                       (unsigned long long)s->row, (unsigned long long)s->n);
    s->passes++;
    if (s->collect && s->npairs != s->cap)
        s->changed = 1;
    /* every bin must hold the rows it held in the pass before */
    for (size_t i = 0; i < s->nbins && !s->changed; i++) {
        const bin *bn = &s->bins[i];
        uint64_t rows = 0;
        if (!s->collect)
            for (size_t j = 0; j < s->s; j++)
                rows += s->cnt[bn->first + j];
        else
            rows = bn->seen;
        s->changed = rows != bn->count;
    }
    if (s->changed)
        return nn_fail(e, "the keys changed from one pass to the next");
    if (s->collect) {
        qsort(s->pairs, s->npairs, sizeof *s->pairs, by_key_row);
        for (size_t i = 0; i < s->nt; i++) {
            const bin *bn = &s->bins[s->t[i].bin];
            if (bn->lo != bn->hi)
                s->result[s->t[i].index] =
                    s->pairs[bn->first + s->t[i].rank].row;
        }
        s->done = 1;
        return 0;
    }
    /* every target moves to the sub-bin its rank falls in */
    bin *next = malloc(s->nt * sizeof *next);
    if (!next)
        return nn_fail(e, "out of memory");
    size_t nn = 0;
    for (size_t i = 0; i < s->nt; i++) {
        const bin *bn = &s->bins[s->t[i].bin];
        uint64_t r = s->t[i].rank;
        size_t j = bn->first; /* the bin's counts sum to its rows */
        while (r >= s->cnt[j])
            r -= s->cnt[j++];
        if (!nn || next[nn - 1].lo != s->lo[j])
            next[nn++] = (bin){s->lo[j], s->hi[j], s->cnt[j], 0, 0};
        s->t[i].bin = nn - 1;
        s->t[i].rank = r;
    }
    free(s->bins);
    s->bins = next;
    s->nbins = nn;
    return 0;
}

const uint64_t *nn_select_rows(const nn_select *s)
{
    return s->done ? s->result : NULL;
}

int nn_select_passes(const nn_select *s)
{
    return s->passes;
}

void nn_select_free(nn_select *s)
{
    if (!s)
        return;
    free(s->t);
    free(s->result);
    free(s->bins);
    free(s->cnt);
    free(s->lo);
    free(s->hi);
    free(s->pairs);
    free(s);
}

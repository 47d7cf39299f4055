/* nn_knn.c — exact k nearest neighbours within a set of rows.
 *
 * Pass 1: the squared distances v = |a|^2 + |b|^2 - 2 a.b of every pair
 * from single-precision tiles (sgemm of the rows, centred and scaled by a
 * power of two when that helps, against themselves; each pair of row
 * blocks once), each row keeping its K = k + SLACK nearest candidates by v.
 *
 * A bound on the single-precision error orders them: for the centred rows
 * a, b (squared norms n_a, n_b) and their true squared distance d,
 * |v - d| <= c u (n_a + n_b) with u = 2^-24 and c about the width (the
 * sgemm dot product, gamma_width, plus a few roundings and the rounding of
 * the rows to f32; c below is twice that).  Since |b| <= |a| + sqrt(d),
 * n_a + n_b <= 3 n_a + 2 d, so with e = c u each v confines d to
 *     [lo(v), hi(v)] = [(v - 3 e n_a) / (1 + 2 e), (v + 3 e n_a) / (1 - 2 e)].
 * Candidates whose intervals are apart are in the right order; runs whose
 * intervals meet are ordered by their distances in double precision,
 * computed from the rows as given (keys: distance, then row index).  The
 * first k are settled when the run holding the k-th candidate ends before
 * the K-th: every row that did not make the list has v at least the K-th
 * candidate's, so it is farther than all of the run.  Otherwise (ties,
 * duplicate rows) pass 2 searches every row again: the true neighbours all
 * have v <= B = hi(v_k) (1 + 2 e) + 3 e n_a, and the rows with v <= B are
 * ranked by their exact distances. */
#include "linalg/nn_linalg.h"
#include "base/nn_base_private.h"
#include "linalg/nn_lapack.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TILE 2048       /* rows per tile side: 16 MiB of f32 distances */
#define SLACK 8         /* candidates kept beyond k */
#define CHUNK 16        /* columns checked at once before the scalar path */

/* |a - b|^2 in double precision: eight partial sums over the columns
 * j = l (mod 8), added pairwise; nn_knn and nn_knn_ref both use it, so
 * their distances are the same numbers. */
NN_VECTORIZE
static double dist_f64(const double *a, const double *b, size_t d)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= d; j += 8)
        for (int l = 0; l < 8; l++) {
            double t = a[j + l] - b[j + l];
            s[l] += t * t;
        }
    for (int l = 0; j < d; j++, l++) {
        double t = a[j] - b[j];
        s[l] += t * t;
    }
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

NN_VECTORIZE
static double dist_f32(const float *a, const float *b, size_t d)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= d; j += 8)
        for (int l = 0; l < 8; l++) {
            double t = (double)a[j + l] - (double)b[j + l];
            s[l] += t * t;
        }
    for (int l = 0; j < d; j++, l++) {
        double t = (double)a[j] - (double)b[j];
        s[l] += t * t;
    }
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* Exact distances between rows of the data as given. */
typedef struct rows {
    const unsigned char *x;
    int dtype;
    size_t d, row_bytes;
    double *ri, *rj;        /* (d): rows converted to f64 (other dtypes) */
    size_t cur;             /* the row in ri, or SIZE_MAX */
} rows;

static double exact(rows *r, size_t i, size_t j)
{
    const unsigned char *a = r->x + i * r->row_bytes,
                        *b = r->x + j * r->row_bytes;
    if (r->dtype == NN_F32)
        return dist_f32((const float *)a, (const float *)b, r->d);
    if (r->dtype == NN_F64)
        return dist_f64((const double *)a, (const double *)b, r->d);
    if (r->cur != i) {
        nn_convert(r->ri, NN_F64, a, r->dtype, r->d);
        r->cur = i;
    }
    nn_convert(r->rj, NN_F64, b, r->dtype, r->d);
    return dist_f64(r->ri, r->rj, r->d);
}

/* Inserts (e, j) into the list of the cnt nearest by (distance, index),
 * of at most k entries. */
static void exact_insert(double *ed, uint32_t *ei, size_t *cnt, size_t k,
                         double e, uint32_t j)
{
    size_t n = *cnt;
    if (n == k) {
        if (e > ed[k - 1] || (e == ed[k - 1] && j > ei[k - 1]))
            return;
        n--;
    }
    size_t p = n;
    while (p > 0 && (ed[p - 1] > e || (ed[p - 1] == e && ei[p - 1] > j))) {
        ed[p] = ed[p - 1];
        ei[p] = ei[p - 1];
        p--;
    }
    ed[p] = e;
    ei[p] = j;
    *cnt = n + 1;
}

int nn_knn_ref(size_t m, size_t d, const void *x, int dtype, size_t k,
               uint32_t *idx, double *dist, nn_error *e)
{
    if (k == 0 || k >= m || m > UINT32_MAX)
        return nn_fail(e, "k nearest neighbours: k=%zu needs more than k "
                       "rows and fewer than 2^32 (%zu rows)", k, m);
    rows r = {.x = x, .dtype = dtype, .d = d,
              .row_bytes = d * nn_dtype_size(dtype), .cur = SIZE_MAX};
    double *ed = nn_alloc(k, sizeof *ed, "neighbour list", e);
    r.ri = nn_alloc(d ? d : 1, sizeof *r.ri, "row", e);
    r.rj = nn_alloc(d ? d : 1, sizeof *r.rj, "row", e);
    if (!ed || !r.ri || !r.rj) {
        free(ed);
        free(r.ri);
        free(r.rj);
        return -1;
    }
    for (size_t i = 0; i < m; i++) {
        size_t cnt = 0;
        uint32_t *ei = idx + i * k;
        for (size_t j = 0; j < m; j++)
            if (j != i)
                exact_insert(ed, ei, &cnt, k, exact(&r, i, j), (uint32_t)j);
        if (dist)
            memcpy(dist + i * k, ed, k * sizeof *ed);
    }
    free(ed);
    free(r.ri);
    free(r.rj);
    return 0;
}

/* ----------------------------------------------------------------- pass 1 */

typedef struct cand {
    float v;
    uint32_t j;
} cand;

typedef struct cands {
    size_t K;
    cand *c;            /* (m,K): each row's candidates, v ascending */
    uint32_t *n;        /* (m) candidates held */
    float *thr;         /* (m): v of the K-th, +inf until the list is full */
} cands;

/* Inserts (v, j) into row r's list (the caller checked v < thr[r]);
 * equal values keep their order of arrival.  Returns the new threshold. */
static float cand_insert(cands *s, size_t r, float v, uint32_t j)
{
    cand *c = s->c + r * s->K;
    size_t n = s->n[r];
    if (n == s->K)
        n--;
    size_t p = n;
    while (p > 0 && c[p - 1].v > v) {
        c[p] = c[p - 1];
        p--;
    }
    c[p].v = v;
    c[p].j = j;
    s->n[r] = (uint32_t)(n + 1);
    return s->thr[r] = n + 1 == s->K ? c[s->K - 1].v : INFINITY;
}

/* For a row of a tile of dot products g (n) and the squared norms ni of
 * its row and nj of the columns: flag[c] tells whether a distance
 * v = ni + nj - 2 g among the CHUNK from c * CHUNK on is below t, or
 * below its own tc (when tc).  Only the few flagged chunks are looked at
 * one by one (the same v, recomputed). */
NN_VECTORIZE
static void tile_flags(size_t n, const float *g, float ni, const float *nj,
                       float t, const float *tc, unsigned char *flag)
{
    size_t c = 0;
    for (; (c + 1) * CHUNK <= n; c++) {
        const float *a = g + c * CHUNK, *b = nj + c * CHUNK;
        int any = 0;
        if (tc) {
            const float *u = tc + c * CHUNK;
            for (int l = 0; l < CHUNK; l++) {
                float v = (ni + b[l]) - 2 * a[l];
                any |= (v < t) | (v < u[l]);
            }
        } else {
            for (int l = 0; l < CHUNK; l++) {
                float v = (ni + b[l]) - 2 * a[l];
                any |= v < t;
            }
        }
        flag[c] = (unsigned char)any;
    }
    if (c * CHUNK < n)
        flag[c] = 1;
}

/* Row r's dot products g (n) with rows j0.. (squared norms ni, nj):
 * candidates for r's list and, when both, r as a candidate for theirs. */
static void scan(cands *s, size_t r, const float *g, float ni,
                 const float *nj, size_t j0, size_t n, int both,
                 unsigned char *flag)
{
    float t = s->thr[r];
    float *tc = both ? s->thr + j0 : NULL;
    tile_flags(n, g, ni, nj, t, tc, flag);
    for (size_t j = 0; j < n; j += CHUNK) {
        if (!flag[j / CHUNK])
            continue;
        size_t e = n - j < CHUNK ? n - j : CHUNK;
        for (size_t q = j; q < j + e; q++) {
            float v = (ni + nj[q]) - 2 * g[q];
            if (v < t && j0 + q != r)
                t = cand_insert(s, r, v, (uint32_t)(j0 + q));
            if (tc && v < tc[q])
                cand_insert(s, j0 + q, v, (uint32_t)r);
        }
    }
}

/* v (n) = ni + nj - 2 g, in place, as scan computes it. */
NN_VECTORIZE
static void tile_dist(size_t n, float *g, float ni, const float *nj)
{
    for (size_t j = 0; j < n; j++)
        g[j] = (ni + nj[j]) - 2 * g[j];
}

/* g (mi,mj) = a (mi,d) b (mj,d)^T */
static void dots(size_t mi, size_t mj, size_t d, const float *a,
                 const float *b, float *g)
{
    if (d == 0)
        memset(g, 0, mi * mj * sizeof *g);
    else
        nn_gemm_f32(0, 1, mi, mj, d, 1.0f, a, b, 0.0f, g);
}

/* ------------------------------------------------------------------ nn_knn */

/* The rows centred (when that helps) and scaled by a power of two, in
 * single precision, and their squared norms.  *y is x itself when x is
 * f32 and needs neither. */
static int prepare(size_t m, size_t d, const void *x, int dtype,
                   const float **y, float **own, float *nf, double *nd,
                   double *s2, nn_error *e)
{
    size_t rb = d * nn_dtype_size(dtype);
    double *mu = nn_alloc(d ? d : 1, sizeof *mu, "column means", e);
    double *row = nn_alloc(d ? d : 1, sizeof *row, "row", e);
    if (!mu || !row) {
        free(mu);
        free(row);
        return -1;
    }
    memset(mu, 0, (d ? d : 1) * sizeof *mu);
    double sq = 0;      /* mean squared norm */
    for (size_t i = 0; i < m; i++) {
        nn_convert(row, NN_F64, (const char *)x + i * rb, dtype, d);
        for (size_t j = 0; j < d; j++) {
            if (!isfinite(row[j])) {
                nn_fail(e, "row %zu, column %zu: %g is not finite", i, j,
                        row[j]);
                free(mu);
                free(row);
                return -1;
            }
            mu[j] += row[j];
            sq += row[j] * row[j] / (double)m;
        }
    }
    double mu2 = 0;
    for (size_t j = 0; j < d; j++) {
        mu[j] /= (double)m;
        mu2 += mu[j] * mu[j];
    }
    /* the error bound grows with the norms: centre rows far from 0 */
    int centre = mu2 > 0.25 * (sq - mu2);
    if (!centre)
        memset(mu, 0, (d ? d : 1) * sizeof *mu);
    double big = 0;
    for (size_t i = 0; i < m; i++) {
        nn_convert(row, NN_F64, (const char *)x + i * rb, dtype, d);
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (row[j] - mu[j]) * (row[j] - mu[j]);
        big = s > big ? s : big;
    }
    if (!isfinite(big)) {
        free(mu);
        free(row);
        return nn_fail(e, "values too large: squared distances overflow");
    }
    /* a power of two keeps the largest squared norm near 1 when single
     * precision could overflow or lose it below the normal range */
    int ex = 0;
    if (big > 0x1p60 || (big > 0 && big < 0x1p-60))
        ex = -(int)lround(log2(big) / 2);
    double scale = ldexp(1.0, ex);
    float *o = NULL;
    if (dtype != NN_F32 || centre || ex) {
        o = nn_alloc(m, (d ? d : 1) * sizeof *o, "single-precision rows", e);
        if (!o) {
            free(mu);
            free(row);
            return -1;
        }
        for (size_t i = 0; i < m; i++) {
            nn_convert(row, NN_F64, (const char *)x + i * rb, dtype, d);
            for (size_t j = 0; j < d; j++)
                o[i * d + j] = (float)((row[j] - mu[j]) * scale);
        }
    }
    *own = o;
    *y = o ? o : x;
    for (size_t i = 0; i < m; i++) {
        const float *yi = *y + i * d;
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (double)yi[j] * yi[j];
        nd[i] = s;
        nf[i] = (float)s;
    }
    free(mu);
    free(row);
    /* distances in the scaled units are s^2 times the true ones */
    *s2 = scale * scale;
    return 0;
}

/* Row i's neighbours from its n candidates c (v ascending): the first k
 * by (distance, index) into idx and, if dist, dist.  Separated v tell
 * the order (the intervals of their true distances do not meet); runs
 * whose intervals meet are ranked by their exact distances.  all: c holds
 * every other row.  Returns 0, with *bound, when the candidates cannot
 * settle it: the k-th neighbour may be a row that did not make the list. */
static int settle(rows *r, size_t i, const cand *c, size_t n, size_t k,
                  int all, double a, double eb, uint32_t *idx, double *dist,
                  double *ed, uint32_t *ei, double *bound)
{
    if (eb >= 0.25) {   /* too wide for the bound to say anything */
        *bound = INFINITY;
        return 0;
    }
    const double up = 1 / (1 - 2 * eb), dn = 1 / (1 + 2 * eb);
#define HI(v) (((double)(v) + a) * up)
#define LO(v) (((double)(v) - a) * dn)
    size_t q = k;
    while (q < n && !(HI(c[q - 1].v) < LO(c[q].v)))
        q++;
    if (q == n && !all) {
        *bound = HI(c[k - 1].v) * (1 + 2 * eb) + a;
        return 0;
    }
    size_t out = 0;
    for (size_t p = 0; p < q && out < k;) {
        size_t end = p + 1;
        while (end < q && !(HI(c[end - 1].v) < LO(c[end].v)))
            end++;
#undef HI
#undef LO
        if (end - p == 1 && !dist) {
            idx[out++] = c[p].j;
            p = end;
            continue;
        }
        size_t cnt = 0;
        for (size_t t = p; t < end; t++) {
            if (t + 1 < end) {  /* rows are far apart in memory */
                const char *nx = (const char *)r->x + c[t + 1].j * r->row_bytes;
                for (size_t o = 0; o < r->row_bytes; o += 64)
                    __builtin_prefetch(nx + o);
            }
            exact_insert(ed, ei, &cnt, end - p, exact(r, i, c[t].j), c[t].j);
        }
        for (size_t t = 0; t < cnt && out < k; t++) {
            if (dist)
                dist[out] = ed[t];
            idx[out++] = ei[t];
        }
        p = end;
    }
    return 1;
}

int nn_knn(size_t m, size_t d, const void *x, int dtype, size_t k,
           uint32_t *idx, double *dist, size_t *researched, nn_error *e)
{
    if (k == 0 || k >= m || m > UINT32_MAX)
        return nn_fail(e, "k nearest neighbours: k=%zu needs more than k "
                       "rows and fewer than 2^32 (%zu rows)", k, m);
    if (d > INT_MAX || nn_dtype_size(dtype) == 0)
        return nn_fail(e, "k nearest neighbours: rows of %zu values of "
                       "dtype %d", d, dtype);
    size_t K = k + SLACK < m - 1 ? k + SLACK : m - 1;
    size_t T = m < TILE ? m : TILE;
    /* the bound's constant, with room for the f64 distances' own error */
    const double eb = 2.0 * ((double)d + 16) * 0x1p-24, tiny = 0x1p-100;
    cands c = {.K = K};
    float *nf = nn_alloc(m, sizeof *nf, "norms", e), *own = NULL;
    double *nd = nn_alloc(m, sizeof *nd, "norms", e), s2 = 1;
    float *g = nn_alloc(T, T * sizeof *g, "distance tile", e);
    unsigned char *flag = nn_alloc(T / CHUNK + 1, 1, "flags", e);
    c.c = nn_alloc(m, K * sizeof *c.c, "candidates", e);
    c.n = nn_alloc(m, sizeof *c.n, "candidates", e);
    c.thr = nn_alloc(m, sizeof *c.thr, "candidates", e);
    uint32_t *fail = nn_alloc(m, sizeof *fail, "rows", e);
    double *bound = nn_alloc(m, sizeof *bound, "rows", e);
    double *ed = nn_alloc(K, sizeof *ed, "neighbour list", e);
    uint32_t *ei = nn_alloc(K, sizeof *ei, "neighbour list", e);
    rows r = {.x = x, .dtype = dtype, .d = d,
              .row_bytes = d * nn_dtype_size(dtype), .cur = SIZE_MAX};
    r.ri = nn_alloc(d ? d : 1, sizeof *r.ri, "row", e);
    r.rj = nn_alloc(d ? d : 1, sizeof *r.rj, "row", e);
    float *q = NULL;
    double *qd = NULL;
    uint32_t *qi = NULL;
    size_t *qn = NULL;
    int rc = -1;
    const float *y = NULL;
    if (!nf || !nd || !g || !flag || !c.c || !c.n || !c.thr || !fail ||
        !bound || !ed || !ei || !r.ri || !r.rj ||
        prepare(m, d, x, dtype, &y, &own, nf, nd, &s2, e) < 0)
        goto out;
    memset(c.n, 0, m * sizeof *c.n);
    for (size_t i = 0; i < m; i++)
        c.thr[i] = INFINITY;

    for (size_t i0 = 0; i0 < m; i0 += T) {
        size_t mi = m - i0 < T ? m - i0 : T;
        for (size_t j0 = i0; j0 < m; j0 += T) {
            size_t mj = m - j0 < T ? m - j0 : T;
            dots(mi, mj, d, y + i0 * d, y + j0 * d, g);
            for (size_t a = 0; a < mi; a++)
                scan(&c, i0 + a, g + a * mj, nf[i0 + a], nf + j0, j0, mj,
                     j0 != i0, flag);
        }
    }

    size_t nfail = 0;
    for (size_t i = 0; i < m; i++) {
        size_t n = c.n[i];
        if (!settle(&r, i, c.c + i * K, n, k, n < K || K == m - 1,
                    3 * eb * nd[i] + tiny, eb, idx + i * k,
                    dist ? dist + i * k : NULL, ed, ei, &bound[nfail]))
            fail[nfail++] = (uint32_t)i;
    }

    /* pass 2: every row within the bound of a row not settled */
    if (nfail) {
        size_t fb = nfail < T ? nfail : T;
        q = nn_alloc(fb, (d ? d : 1) * sizeof *q, "rows", e);
        qd = nn_alloc(fb, k * sizeof *qd, "neighbour lists", e);
        qi = nn_alloc(fb, k * sizeof *qi, "neighbour lists", e);
        qn = nn_alloc(fb, sizeof *qn, "neighbour lists", e);
        if (!q || !qd || !qi || !qn)
            goto out;
    }
    for (size_t f0 = 0; f0 < nfail; f0 += T) {
        size_t mf = nfail - f0 < T ? nfail - f0 : T;
        for (size_t a = 0; a < mf; a++) {
            memcpy(q + a * d, y + (size_t)fail[f0 + a] * d, d * sizeof *q);
            qn[a] = 0;
        }
        for (size_t j0 = 0; j0 < m; j0 += T) {
            size_t mj = m - j0 < T ? m - j0 : T;
            dots(mf, mj, d, q, y + j0 * d, g);
            for (size_t a = 0; a < mf; a++) {
                size_t i = fail[f0 + a];
                float *v = g + a * mj;
                tile_dist(mj, v, nf[i], nf + j0);
                double b = bound[f0 + a];
                for (size_t j = 0; j < mj; j++)
                    if (v[j] <= b && j0 + j != i)
                        exact_insert(qd + a * k, qi + a * k, &qn[a], k,
                                     exact(&r, i, j0 + j),
                                     (uint32_t)(j0 + j));
            }
        }
        for (size_t a = 0; a < mf; a++) {
            size_t i = fail[f0 + a];
            memcpy(idx + i * k, qi + a * k, k * sizeof *qi);
            if (dist)
                memcpy(dist + i * k, qd + a * k, k * sizeof *qd);
        }
    }
    if (researched)
        *researched = nfail;
    rc = 0;
out:
    free(nf);
    free(nd);
    free(own);
    free(g);
    free(flag);
    free(c.c);
    free(c.n);
    free(c.thr);
    free(fail);
    free(bound);
    free(ed);
    free(ei);
    free(r.ri);
    free(r.rj);
    free(q);
    free(qd);
    free(qi);
    free(qn);
    return rc;
}

/* nn_canon.c — the permutation symmetry of hidden units (ALGORITHMS.md,
 * nn-sort-canon; permutative-redundancy §5–§6, ml-math-generalization
 * §4–§6): permuting the units of a hidden layer (the columns of its
 * weights and the rows of the next layer's) leaves the function as it is.
 *
 * A canonical form sorts every hidden layer's units by a key of their
 * incoming weights, in forward order, so that the rows of each layer are
 * already canonical when its units are sorted: the key of a unit depends
 * on its own column alone, and canon(pi(net)) is canon(net) to the bit.
 * Weight matching (Ainsworth et al., "Git Re-Basin") permutes a network's
 * units to agree with a reference: one exact linear assignment per layer
 * (nn_lap), holding the other layers fixed, over the layers in a random
 * order, until a sweep changes nothing. */
#include "methods/nn_methods.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- permutations */

/* Columns of a (rows, n) row-major of doubles, or bytes: column perm[j]
 * becomes column j. */
static void permute_cols(double *a, unsigned char *m, size_t rows, size_t n,
                         const size_t *perm, double *tmp)
{
    for (size_t r = 0; r < rows; r++) {
        double *row = a + r * n;
        for (size_t j = 0; j < n; j++)
            tmp[j] = row[perm[j]];
        memcpy(row, tmp, n * sizeof *row);
        if (m) {
            unsigned char *mr = m + r * n, *t = (unsigned char *)(tmp + n);
            for (size_t j = 0; j < n; j++)
                t[j] = mr[perm[j]];
            memcpy(mr, t, n);
        }
    }
}

/* Rows 1+j (row 0 is the bias) of a (1+n, cols): row 1+perm[j] becomes
 * row 1+j.  Likewise for rows 0.. of a coefficient table (off 0). */
static void permute_rows(double *a, unsigned char *m, size_t off, size_t n,
                         size_t cols, const size_t *perm, double *tmp)
{
    if (!a)
        return;
    memcpy(tmp, a + off * cols, n * cols * sizeof *a);
    for (size_t j = 0; j < n; j++)
        memcpy(a + (off + j) * cols, tmp + perm[j] * cols, cols * sizeof *a);
    if (m) {
        unsigned char *t = (unsigned char *)tmp;
        memcpy(t, m + off * cols, n * cols);
        for (size_t j = 0; j < n; j++)
            memcpy(m + (off + j) * cols, t + perm[j] * cols, cols);
    }
}

static void forget_f32(nn_layer *l)
{
    free(l->wf);
    l->wf = NULL;
}

int nn_net_permute(nn_net *net, size_t l, const size_t *perm, nn_error *e)
{
    if (l + 1 >= net->n)
        return nn_fail(e, "layer %zu is not a hidden layer", l + 1);
    nn_layer *a = &net->layers[l], *b = &net->layers[l + 1];
    size_t n = a->n_out, deg = a->coef ? (size_t)a->act.degree + 1 : 0;
    size_t big = (1 + a->n_in) > b->n_out ? 1 + a->n_in : b->n_out;
    size_t need = n * (big > deg ? big : deg) + 2 * n + 8;
    double *tmp = nn_alloc(need, sizeof *tmp, "a permutation", e);
    if (!tmp)
        return -1;
    permute_cols(a->w, a->mask, 1 + a->n_in, n, perm, tmp);
    permute_rows(a->coef, NULL, 0, n, deg, perm, tmp);
    permute_rows(b->w, b->mask, 1, n, b->n_out, perm, tmp);
    free(tmp);
    forget_f32(a);
    forget_f32(b);
    return 0;
}

/* -------------------------------------------------------------- keys */

typedef struct unit_ctx {
    const nn_layer *a, *b;      /* the layer, the next */
    int key;
    size_t row;                 /* maximin: the row of the widest spread */
    const double *val;          /* a value per unit (norm, mean, dot) */
    double *out;                /* sorted outgoing rows, per unit */
} unit_ctx;


/* Incoming weights of unit j in the order the keys read them: the inputs
 * first, the bias last. */
static double in_w(const nn_layer *a, size_t j, size_t k)
{
    return a->w[(k < a->n_in ? k + 1 : 0) * a->n_out + j];
}

static int cmp_double(double x, double y) { return (x > y) - (x < y); }

static int cmp_units(const unit_ctx *c, size_t i, size_t j)
{
    const nn_layer *a = c->a;
    int r = 0;
    if (c->key == NN_KEY_MAXIMIN)
        r = cmp_double(a->w[c->row * a->n_out + i],
                       a->w[c->row * a->n_out + j]);
    else if (c->key != NN_KEY_LEX) /* largest first */
        r = cmp_double(c->val[j], c->val[i]);
    for (size_t k = 0; !r && k <= a->n_in; k++)
        r = cmp_double(in_w(a, i, k), in_w(a, j, k));
    if (!r && a->coef) { /* polynomial units: their coefficients */
        size_t d = (size_t)a->act.degree + 1;
        for (size_t k = 0; !r && k < d; k++)
            r = cmp_double(a->coef[i * d + k], a->coef[j * d + k]);
    }
    size_t no = c->b->n_out; /* the multiset of outgoing weights */
    for (size_t k = 0; !r && k < no; k++)
        r = cmp_double(c->out[i * no + k], c->out[j * no + k]);
    return r ? r : cmp_double((double)i, (double)j);
}

/* Merge sort of the indices v[0..n) by cmp_units (qsort takes no
 * context; this needs no global state), with tmp of n. */
static void sort_units(const unit_ctx *c, size_t *v, size_t n, size_t *tmp)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_units(c, v, h, tmp);
    sort_units(c, v + h, n - h, tmp);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_units(c, v[i], v[j]) <= 0 ? v[i++] : v[j++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static int cmp_sorted(const void *x, const void *y)
{
    return cmp_double(*(const double *)x, *(const double *)y);
}

int nn_canon_order(const nn_net *net, size_t l, const nn_canon_opts *o,
                   size_t *perm, nn_error *e)
{
    if (l + 1 >= net->n)
        return nn_fail(e, "layer %zu is not a hidden layer", l + 1);
    const nn_layer *a = &net->layers[l], *b = &net->layers[l + 1];
    size_t n = a->n_out, p = 1 + a->n_in, no = b->n_out;
    unit_ctx c = {.a = a, .b = b, .key = o->key};
    double *val = nn_alloc(n, sizeof *val, "keys", e);
    double *out = val ? nn_alloc(n * no, sizeof *out, "keys", e) : NULL;
    if (!out) {
        free(val);
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        memcpy(out + j * no, b->w + (1 + j) * no, no * sizeof *out);
        qsort(out + j * no, no, sizeof *out, cmp_sorted);
    }
    if (o->key == NN_KEY_MAXIMIN) { /* the input row of widest spread */
        double best = -1;
        for (size_t r = 1; r < p; r++) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t j = 0; j < n; j++) {
                double v = a->w[r * n + j];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            if (hi - lo > best)
                best = hi - lo, c.row = r;
        }
    } else if (o->key != NN_KEY_LEX) {
        nn_rng g;
        nn_rng_seed(&g, o->seed);
        double *ref = NULL;
        if (o->key == NN_KEY_DOT) {
            if (!(ref = nn_alloc(p, sizeof *ref, "a reference vector", e))) {
                free(val);
                free(out);
                return -1;
            }
            for (size_t k = 0; k < p; k++) /* in the keys' order */
                ref[k] = nn_rng_normal(&g);
        }
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < p; k++) {
                double w = in_w(a, j, k);
                s += o->key == NN_KEY_NORM ? w * w
                   : o->key == NN_KEY_MEAN ? w : w * ref[k];
            }
            val[j] = o->key == NN_KEY_NORM ? sqrt(s)
                   : o->key == NN_KEY_MEAN ? s / (double)p : s;
        }
        free(ref);
    }
    c.val = val;
    c.out = out;
    for (size_t j = 0; j < n; j++)
        perm[j] = j;
    size_t *tmp = nn_alloc(n, sizeof *tmp, "an order", e);
    if (tmp)
        sort_units(&c, perm, n, tmp);
    free(tmp);
    free(val);
    free(out);
    return tmp ? 0 : -1;
}

/* ------------------------------------------------ the other symmetries */

/* v as the layer stores it: the keys then see the weights that will be
 * written, and a second canonical form finds them in the same order. */
static double stored(const nn_layer *l, double v)
{
    return l->dtype == NN_F32 ? (double)(float)v : v;
}

/* Positive rescaling: act(c z) = c act(z) for c > 0. */
static int homogeneous(int kind)
{
    return kind == NN_ACT_RELU || kind == NN_ACT_IDENTITY;
}

/* Odd: act(-z) = -act(z). */
static int odd(int kind)
{
    return kind == NN_ACT_TANH || kind == NN_ACT_IDENTITY;
}

int nn_canon_symmetries(nn_net *net, size_t l, size_t *changed)
{
    nn_layer *a = &net->layers[l], *b = &net->layers[l + 1];
    size_t n = a->n_out, p = 1 + a->n_in, no = b->n_out, count = 0;
    int kind = a->act.kind;
    /* the rounding of the stored type, so that a second pass changes
     * nothing */
    double tol = (a->dtype == NN_F32 ? 0x1p-23 : 0x1p-52) * 8 * sqrt((double)p);
    for (size_t j = 0; j < n && (homogeneous(kind) || odd(kind)); j++) {
        double c = 1;
        if (homogeneous(kind)) { /* incoming to unit norm */
            double s = 0;
            for (size_t k = 0; k < p; k++)
                s += a->w[k * n + j] * a->w[k * n + j];
            s = sqrt(s);
            if (s > 0 && fabs(s - 1) > tol)
                c = 1 / s;
        } else { /* the incoming sum positive, else the first non-zero */
            double s = 0, first = 0;
            for (size_t k = 0; k < p; k++) {
                s += in_w(a, j, k);
                if (first == 0)
                    first = in_w(a, j, k);
            }
            if (s < 0 || (s == 0 && first < 0))
                c = -1;
        }
        if (c == 1)
            continue;
        for (size_t k = 0; k < p; k++)
            a->w[k * n + j] = stored(a, a->w[k * n + j] * c);
        for (size_t k = 0; k < no; k++)
            b->w[(1 + j) * no + k] = stored(b, b->w[(1 + j) * no + k] / c);
        count++;
    }
    forget_f32(a);
    forget_f32(b);
    if (changed)
        *changed = count;
    return 0;
}

/* --------------------------------------------------------------- checks */

int nn_canon_check(const nn_net *net, const char *what, nn_error *e)
{
    if (net->n < 2)
        return nn_fail(e, "%s: a single layer has no hidden units to permute",
                       what);
    for (size_t l = 0; l < net->n; l++) {
        const nn_layer *L = &net->layers[l];
        size_t k = (1 + L->n_in) * L->n_out;
        for (size_t i = 0; i < k; i++)
            if (!isfinite(L->w[i]))
                return nn_fail(e, "%s: layer %zu: weight %zu (row %zu, unit "
                               "%zu) is %g", what, l + 1, i, i / L->n_out,
                               i % L->n_out, L->w[i]);
    }
    return 0;
}

/* ----------------------------------------------------- weight matching */

/* compose: p <- p o q (unit j of the result is unit p[q[j]] of the
 * original). */
static void compose(size_t *p, const size_t *q, size_t n, size_t *tmp)
{
    for (size_t j = 0; j < n; j++)
        tmp[j] = p[q[j]];
    memcpy(p, tmp, n * sizeof *p);
}

/* The similarity of unit i of a with unit j of b, in layer l: incoming
 * weights and bias, polynomial coefficients, outgoing weights. */
static void similarity(const nn_net *a, const nn_net *b, size_t l,
                       double *c)
{
    const nn_layer *la = &a->layers[l], *lb = &b->layers[l];
    const nn_layer *na = &a->layers[l + 1], *nb = &b->layers[l + 1];
    size_t n = la->n_out, p = 1 + la->n_in;
    /* C = Wa^T Wb over the incoming (p rows), + Na Nb^T over the outgoing
     * rows 1..n of the next layer */
    nn_gemm_f64(1, 0, n, n, p, 1.0, la->w, lb->w, 0.0, c);
    nn_gemm_f64(0, 1, n, n, na->n_out, 1.0, na->w + na->n_out,
                nb->w + nb->n_out, 1.0, c);
    if (la->coef) {
        size_t d = (size_t)la->act.degree + 1;
        nn_gemm_f64(0, 1, n, n, d, 1.0, la->coef, lb->coef, 1.0, c);
    }
}

int nn_align_weights(nn_net *b, const nn_net *a, uint64_t seed,
                     size_t max_sweeps, size_t **perms, size_t *sweeps,
                     nn_error *e)
{
    size_t L = b->n - 1, widest = 0;
    for (size_t l = 0; l < L; l++)
        widest = b->layers[l].n_out > widest ? b->layers[l].n_out : widest;
    double *c = nn_alloc(widest * widest, sizeof *c, "similarities", e);
    size_t *q = c ? nn_alloc(widest, sizeof *q, "a permutation", e) : NULL;
    size_t *tmp = q ? nn_alloc(widest, sizeof *tmp, "a permutation", e) : NULL;
    size_t *order = tmp ? nn_alloc(L, sizeof *order, "layer order", e) : NULL;
    int rc = order ? 0 : -1;
    for (size_t l = 0; rc == 0 && l < L; l++)
        for (size_t j = 0; j < b->layers[l].n_out; j++)
            perms[l][j] = j;
    nn_rng g;
    nn_rng_seed(&g, seed);
    size_t s = 0;
    for (int changed = 1; rc == 0 && changed && s < max_sweeps; s++) {
        changed = 0;
        for (size_t l = 0; l < L; l++)
            order[l] = l;
        for (size_t i = L; i > 1; i--) { /* a random order of the layers */
            size_t j = (size_t)nn_rng_below(&g, i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; rc == 0 && k < L; k++) {
            size_t l = order[k], n = b->layers[l].n_out;
            similarity(a, b, l, c);
            if ((rc = nn_lap(n, n, c, 1, q, NULL, e)) < 0)
                break;
            int moved = 0;
            for (size_t j = 0; j < n; j++)
                moved |= q[j] != j;
            if (!moved)
                continue;
            changed = 1;
            if ((rc = nn_net_permute(b, l, q, e)) < 0)
                break;
            compose(perms[l], q, n, tmp);
        }
    }
    if (sweeps)
        *sweeps = s;
    free(c);
    free(q);
    free(tmp);
    free(order);
    return rc;
}

/* ------------------------------------------------------ canonical form */

static const char *const key_names[] = {"lex", "maximin", "norm", "mean",
                                        "dot", NULL};

int nn_key_parse(const char *s)
{
    for (int k = 0; key_names[k]; k++)
        if (strcmp(s, key_names[k]) == 0)
            return k;
    return -1;
}

const char *nn_key_name(int key)
{
    return key >= 0 && key <= NN_KEY_DOT ? key_names[key] : "?";
}

int nn_canon(nn_net *net, const nn_canon_opts *o, size_t **perms,
             nn_error *e)
{
    size_t widest = 0;
    for (size_t l = 0; l + 1 < net->n; l++)
        widest = net->layers[l].n_out > widest ? net->layers[l].n_out : widest;
    size_t *perm = nn_alloc(widest ? widest : 1, sizeof *perm, "an order", e);
    if (!perm)
        return -1;
    int rc = 0;
    for (size_t l = 0; rc == 0 && l + 1 < net->n; l++) {
        if (o->symmetries)
            nn_canon_symmetries(net, l, NULL);
        rc = nn_canon_order(net, l, o, perm, e);
        if (rc == 0)
            rc = nn_net_permute(net, l, perm, e);
        if (rc == 0 && perms)
            memcpy(perms[l], perm, net->layers[l].n_out * sizeof *perm);
    }
    free(perm);
    return rc;
}

/* -------------------------------------------------- activation matching */

struct nn_match {
    const nn_net *a, *b;
    size_t L, widest;
    double **c;             /* per hidden layer: sum over rows of za^T zb */
    float *za[2], *zb[2];   /* activations of a block, ping-pong */
    float *cf;              /* a block's product in single precision */
    size_t rows, cap;       /* rows seen; rows a block may have */
};

nn_match *nn_match_new(const nn_net *a, const nn_net *b, size_t block,
                       nn_error *e)
{
    nn_match *m = calloc(1, sizeof *m);
    if (!m) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    *m = (nn_match){.a = a, .b = b, .L = b->n - 1, .cap = block};
    m->widest = b->layers[0].n_in;
    for (size_t l = 0; l < b->n; l++)
        if (b->layers[l].n_out > m->widest)
            m->widest = b->layers[l].n_out;
    int ok = (m->c = calloc(m->L ? m->L : 1, sizeof *m->c)) != NULL;
    for (size_t l = 0; ok && l < m->L; l++)
        ok = (m->c[l] = nn_alloc(b->layers[l].n_out * b->layers[l].n_out,
                                 sizeof **m->c, "activation products",
                                 e)) != NULL;
    for (int i = 0; ok && i < 2; i++)
        ok = (m->za[i] = nn_alloc(block * m->widest, sizeof(float),
                                  "activations", e)) &&
             (m->zb[i] = nn_alloc(block * m->widest, sizeof(float),
                                  "activations", e));
    if (ok)
        ok = (m->cf = nn_alloc(m->widest * m->widest, sizeof(float),
                               "activation products", e)) != NULL;
    for (size_t l = 0; ok && l < m->L; l++)
        memset(m->c[l], 0, b->layers[l].n_out * b->layers[l].n_out *
                               sizeof **m->c);
    if (!ok) {
        if (!m->c)
            nn_fail(e, "out of memory");
        nn_match_free(m);
        return NULL;
    }
    return m;
}

int nn_match_add(nn_match *m, size_t rows, const float *x, nn_error *e)
{
    if (rows > m->cap)
        return nn_fail(e, "activation matching: %zu rows in a block of %zu",
                       rows, m->cap);
    const float *ia = x, *ib = x;
    for (size_t l = 0; l < m->L; l++) {
        nn_layer *la = &((nn_net *)m->a)->layers[l];
        nn_layer *lb = &((nn_net *)m->b)->layers[l];
        float *oa = m->za[l % 2], *ob = m->zb[l % 2];
        if (nn_layer_forward_f32(la, rows, ia, oa, e) < 0 ||
            nn_layer_forward_f32(lb, rows, ib, ob, e) < 0)
            return -1;
        size_t n = lb->n_out;
        /* za^T zb of the block in single precision, summed in double */
        nn_gemm_f32(1, 0, n, n, rows, 1.0f, oa, ob, 0.0f, m->cf);
        for (size_t k = 0; k < n * n; k++)
            m->c[l][k] += m->cf[k];
        ia = oa;
        ib = ob;
    }
    m->rows += rows;
    return 0;
}

int nn_match_finish(nn_match *m, nn_net *b, size_t **perms, nn_error *e)
{
    if (m->rows == 0)
        return nn_fail(e, "activation matching: no rows");
    for (size_t l = 0; l < m->L; l++) {
        size_t n = b->layers[l].n_out;
        for (size_t k = 0; k < n * n; k++)
            if (!isfinite(m->c[l][k]))
                return nn_fail(e, "activation matching: layer %zu's "
                               "activations overflow", l + 1);
        if (nn_lap(n, n, m->c[l], 1, perms[l], NULL, e) < 0 ||
            nn_net_permute(b, l, perms[l], e) < 0)
            return -1;
    }
    return 0;
}

void nn_match_free(nn_match *m)
{
    if (!m)
        return;
    for (size_t l = 0; m->c && l < m->L; l++)
        free(m->c[l]);
    free(m->c);
    for (int i = 0; i < 2; i++) {
        free(m->za[i]);
        free(m->zb[i]);
    }
    free(m->cf);
    free(m);
}

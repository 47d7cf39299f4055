/* nn-spectrum — spectra of a network's weights (WeightWatcher's metrics),
 * of its representations (PCA of a layer's outputs) and of its loss's
 * curvature (exact Hessian-vector products: top eigenvalues by Lanczos,
 * trace by Hutchinson, density by stochastic Lanczos quadrature, the
 * dense Hessian for small networks); ALGORITHMS.md, nn-spectrum.  The
 * library computes (nn_wspec.c, nn_hessian.c, nn_hvp.c, nn_lanczos.c);
 * this reads the networks and the data and writes the records. */
#include "nn_tool.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-spectrum [OPTION]... [NET [DATA]]\n"
    "Write the spectra of the network in NET (or stdin; a stream of networks,\n"
    "such as nn-train --trajectory writes, gives one row per network): the\n"
    "singular values of every layer's weights and WeightWatcher's metrics of\n"
    "them; with DATA (x and y), the spectrum of the loss's Hessian over its\n"
    "rows, or the PCA spectrum of a layer's outputs.\n"
    "\n"
    "      --esd            also write every layer's eigenvalues of W^T W\n"
    "      --shuffled       also the metrics of every layer with its entries\n"
    "                       shuffled (drawn from --seed)\n"
    "      --hessian=LIST   with DATA: any of top, trace, density, exact,\n"
    "                       comma-separated, or all\n"
    "      --layer=K        --hessian: the parameters of layer K only\n"
    "                       (default every layer)\n"
    "      --steps=N        Lanczos steps for top and density (default 100,\n"
    "                       at most the parameters)\n"
    "      --probes=N       random vectors for density and trace (default 10)\n"
    "      --top=K          top eigenvalues written (default 5)\n"
    "      --grid=N         density: points of the grid (default 1001)\n"
    "      --sigma=S        density: the width of each node's Gaussian\n"
    "                       (default 1% of the largest |eigenvalue|)\n"
    "      --matrix         exact: also write the Hessian itself\n"
    "      --pca=K          with DATA: the PCA spectrum of layer K's outputs\n"
    "                       (0: of the input)\n"
    "      --objective=LOSS the loss (default by the output activation, as\n"
    "                       nn-train): mse, xent, sigmoid-xent, hinge,\n"
    "                       exp-ga, pow3-ga\n"
    "      --targets=LO,HI  the values of one-hot class targets (default 0,1)\n"
    "  -n, --name=NAME      the input tensor of DATA (default x)\n"
    "  -y, --labels=NAME    labels or targets (default y)\n"
    "      --precision=P    the Hessian's products (and the loss and gradient)\n"
    "                       in f64 (default) or f32: single-precision passes\n"
    "                       over the data, 0.5-0.7 of the time; the Lanczos\n"
    "                       vectors stay f64\n"
    "  -b, --batch=N        rows per block (default 1000)\n"
    "      --memory=SIZE    keep the blocks' passes while they fit in SIZE\n"
    "                       bytes (K, M, G; default half the memory)\n"
    "  -s, --seed=N         the shuffles and the random vectors (default 1)\n"
    "  -j, --json           write JSON lines instead of records\n"
    "  -P, --progress       progress on stderr even when not a terminal\n"
    "  -v, --verbose        what was done on stderr\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress records with zstd (default level 3)\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "See nn-spectrum(1) for the records written and each number's definition.\n"
    "Exit status: 0 success, 1 bad input or write error, 2 usage error.\n"
    "Example: nn-spectrum --hessian top,density net.nns test.nns | nn-info\n";

enum { H_TOP = 1, H_TRACE = 2, H_DENSITY = 4, H_EXACT = 8 };

enum { OPT_ESD = 256, OPT_SHUFFLED, OPT_HESSIAN, OPT_LAYER, OPT_STEPS,
       OPT_PROBES, OPT_TOP, OPT_GRID, OPT_SIGMA, OPT_MATRIX, OPT_PCA,
       OPT_OBJECTIVE, OPT_TARGETS, OPT_MEMORY, OPT_PRECISION };

typedef struct options {
    const char *net, *data, *out, *name, *labels;
    int esd, shuffled, hessian, matrix, json, verbose, progress, level, loss;
    int dtype;              /* --precision: of the Hessian's passes */
    long layer, pca;
    uint64_t steps, probes, top, grid, batch, seed;
    double sigma, tlo, thi;
    size_t memory;
} options;

/* ------------------------------------------------------------ output */

typedef struct out {
    const options *o;
    nn_writer *w;
    char ck[64];        /* the network's checkpoint, or "" */
    int json;
} out;

/* A record name (rows, cols) of doubles with the columns named (a
 * comma-separated list, or NULL) and extra "key=value\n" attributes. */
static int put(out *O, const char *name, size_t rows, size_t cols,
               const double *v, const char *columns, const char *extra,
               nn_error *e)
{
    if (O->json) { /* one object per row */
        for (size_t r = 0; r < rows; r++) {
            printf("{\"record\":");
            nn_json_string(name);
            if (*O->ck) {
                printf(",\"checkpoint\":");
                nn_json_string(O->ck);
            }
            if (extra && *extra) { /* key=value lines as strings */
                const char *p = extra;
                while (*p) {
                    const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
                    if (!eq || !nl)
                        break;
                    printf(",\"%.*s\":\"%.*s\"", (int)(eq - p), p,
                           (int)(nl - eq - 1), eq + 1);
                    p = nl + 1;
                }
            }
            const char *c = columns;
            for (size_t j = 0; j < cols; j++) {
                double x = v[r * cols + j];
                if (c) {
                    const char *end = strchr(c, ',');
                    size_t len = end ? (size_t)(end - c) : strlen(c);
                    printf(",\"%.*s\":", (int)len, c);
                    c = end ? end + 1 : NULL;
                } else
                    printf(j ? "," : ",\"values\":[");
                if (isfinite(x))
                    printf("%.17g", x);
                else
                    printf("null");
            }
            printf(columns ? "}\n" : "]}\n");
        }
        return ferror(stdout) ? nn_fail(e, "writing to stdout failed") : 0;
    }
    char attrs[1024];
    int n = snprintf(attrs, sizeof attrs, "producer=nn-spectrum %s\n%s%s%s%s%s%s",
                     NN_VERSION, *O->ck ? "checkpoint=" : "", O->ck,
                     *O->ck ? "\n" : "", columns ? "columns=" : "",
                     columns ? columns : "", columns ? "\n" : "");
    if (n < 0 || (size_t)n >= sizeof attrs ||
        snprintf(attrs + n, sizeof attrs - (size_t)n, "%s", extra ? extra : "") >=
            (int)(sizeof attrs - (size_t)n))
        return nn_fail(e, "the attributes of record %s are too long", name);
    nn_header h = {.name = name, .dtype = NN_F64, .rank = cols ? 2 : 1,
                   .dims = {rows, cols}, .attrs = attrs};
    if (!cols)
        h.dims[0] = rows;
    return nn_writer_put(O->w, &h, v, e);
}

/* ---------------------------------------------------------- weights */

#define WCOLS "layer,rows,cols,log_norm,log_spectral_norm,stable_rank," \
    "entropy,alpha,alpha_sigma,xmin,D,num_pl_spikes,alpha_weighted," \
    "log_alpha_norm,mp_sigma,lambda_minus,lambda_plus,num_spikes,mp_softrank"
#define NWCOLS 19
#define RCOLS ",rand_alpha,rand_D,rand_mp_sigma,rand_lambda_plus," \
    "rand_num_spikes,rand_mp_softrank,rand_distance"
#define NRCOLS 7

static void wrow(double *r, size_t layer, size_t rows, size_t cols,
                 const nn_wspec *s)
{
    double v[NWCOLS] = {
        (double)layer, (double)rows, (double)cols, s->log_norm,
        s->log_spectral_norm, s->stable_rank, s->entropy, s->alpha,
        s->alpha_sigma, s->xmin, s->D, (double)s->num_pl_spikes,
        s->alpha_weighted, s->log_alpha_norm, s->mp_sigma, s->lambda_minus,
        s->lambda_plus, (double)s->num_spikes, s->mp_softrank};
    memcpy(r, v, sizeof v);
}

static int weights(out *O, const nn_net *net, nn_error *e)
{
    const options *o = O->o;
    size_t nc = NWCOLS + (o->shuffled ? NRCOLS : 0);
    double *tab = nn_xalloc(net->n * nc, sizeof *tab, "metrics");
    int rc = 0;
    for (size_t l = 0; l < net->n && rc == 0; l++) {
        const nn_layer *L = &net->layers[l];
        size_t k = L->n_in < L->n_out ? L->n_in : L->n_out;
        double *ev = nn_xalloc(k, sizeof *ev, "eigenvalues");
        nn_wspec s;
        if (nn_wspec_matrix(L->n_in, L->n_out, L->w + L->n_out, &s, ev, e) < 0) {
            rc = nn_error_wrap(e, "layer %zu", l + 1);
        } else {
            wrow(tab + l * nc, l + 1, L->n_in, L->n_out, &s);
            if (o->esd) {
                char ex[32];
                snprintf(ex, sizeof ex, "layer=%zu\n", l + 1);
                rc = put(O, "esd", k, 0, ev, NULL, ex, e);
            }
        }
        if (rc == 0 && o->shuffled) {
            nn_wspec r;
            double *t = tab + l * nc + NWCOLS;
            if (nn_wspec_shuffled(L->n_in, L->n_out, L->w + L->n_out,
                                  o->seed + l, 0, &r, NULL, e) < 0 ||
                nn_wspec_rand_distance(L->n_in, L->n_out, L->w + L->n_out,
                                       ev, o->seed + l, &t[6], e) < 0) {
                rc = nn_error_wrap(e, "layer %zu shuffled", l + 1);
            } else {
                t[0] = r.alpha, t[1] = r.D, t[2] = r.mp_sigma;
                t[3] = r.lambda_plus, t[4] = (double)r.num_spikes;
                t[5] = r.mp_softrank;
            }
        }
        free(ev);
        if (o->verbose && rc == 0)
            nn_warn("layer %zu: %zux%zu, alpha %.3g, stable rank %.4g, "
                    "%zu spikes", l + 1, L->n_in, L->n_out,
                    tab[l * nc + 7], tab[l * nc + 5],
                    (size_t)tab[l * nc + 17]);
    }
    if (rc == 0) {
        char cols[512];
        snprintf(cols, sizeof cols, "%s%s", WCOLS, o->shuffled ? RCOLS : "");
        rc = put(O, "weights", net->n, nc, tab, cols, NULL, e);
    }
    free(tab);
    return rc;
}

/* ----------------------------------------------------------- Hessian */

#define HCOLS_HEAD "rows,params,loss,grad_norm2"

typedef struct hrow {
    double v[64];
    char cols[1024];
    size_t n;
} hrow;

static void hadd(hrow *h, const char *name, double v)
{
    if (h->n >= 64)
        return;
    size_t len = strlen(h->cols);
    snprintf(h->cols + len, sizeof h->cols - len, "%s%s", h->n ? "," : "",
             name);
    h->v[h->n++] = v;
}

static int hessian(out *O, nn_net *net, nn_trainset *data, int loss,
                   nn_progress *pg, nn_error *e)
{
    const options *o = O->o;
    nn_curv_spec sp = {.loss = loss, .batch = (size_t)o->batch,
                       .memory = o->memory, .layer = o->layer,
                       .dtype = o->dtype};
    nn_curv *c = nn_curv_open(net, data, &sp, e);
    if (!c)
        return -1;
    size_t d = nn_curv_dim(c);
    int rc = 0;
    hrow H = {{0}, "", 0};
    const double *g = nn_curv_grad(c);
    double g2 = 0;
    for (size_t i = 0; i < d; i++)
        g2 += g[i] * g[i];
    hadd(&H, "rows", (double)nn_curv_rows(c));
    hadd(&H, "params", (double)d);
    hadd(&H, "loss", nn_curv_loss(c));
    hadd(&H, "grad_norm2", g2);
    if (o->verbose)
        nn_warn("%s%s%zu parameters%s, %llu rows in %zu blocks (%zu kept, %s): "
                "loss %.6g, |grad|^2 %.4g", *O->ck ? "checkpoint " : "",
                *O->ck ? O->ck : "", d,
                o->layer >= 0 ? " of one layer" : "",
                (unsigned long long)nn_curv_rows(c), nn_curv_blocks(c),
                nn_curv_blocks_held(c), o->dtype == NN_F32 ? "f32" : "f64",
                nn_curv_loss(c), g2);
    size_t steps = (size_t)o->steps;
    if ((o->hessian & (H_TOP | H_DENSITY)) && steps > d) {
        rc = nn_fail(e, "--steps %zu: more Lanczos steps than the %zu "
                     "parameters", steps, d);
        goto done;
    }
    uint64_t total = (o->hessian & H_EXACT ? d : 0) +
                     (o->hessian & H_TOP ? steps : 0) +
                     (o->hessian & H_DENSITY ? o->probes * steps : 0) +
                     (o->hessian & H_TRACE ? o->probes : 0);
    if (o->hessian & H_EXACT) {
        if (d > 20000) {
            rc = nn_fail(e, "--hessian exact: %zu parameters, more than "
                         "20000 (a matrix of %.3g GB); use top, trace and "
                         "density", d, (double)d * (double)d * 8e-9);
            goto done;
        }
        double *M = nn_xalloc(d * d, sizeof *M, "the Hessian");
        double *w = nn_xalloc(d, sizeof *w, "eigenvalues");
        double asym;
        nn_progress_note(pg, "exact Hessian, ");
        if (nn_hessian_dense(c, M, &asym, e) < 0)
            rc = -1;
        else if (o->matrix &&
                 put(O, "hessian_matrix", d, d, M, NULL, NULL, e) < 0)
            rc = -1;
        else if (nn_eigh(d, M, w, NULL, e) < 0)
            rc = -1;
        nn_progress_update(pg, nn_curv_products(c), total, "products");
        if (rc == 0) {
            double tr = 0, neg = 0;
            for (size_t i = 0; i < d; i++) {
                tr += w[i];
                neg += w[i] < 0;
            }
            hadd(&H, "exact_min", w[0]);
            hadd(&H, "exact_max", w[d - 1]);
            hadd(&H, "exact_trace", tr);
            hadd(&H, "exact_negative", neg / (double)d);
            hadd(&H, "exact_asymmetry", asym);
            rc = put(O, "hessian_eigenvalues", d, 0, w, NULL, NULL, e);
        }
        free(M), free(w);
        if (rc < 0)
            goto done;
    }
    if (o->hessian & H_TOP) {
        double *th = nn_xalloc(steps, sizeof *th, "Lanczos");
        double *t2 = nn_xalloc(steps, sizeof *t2, "Lanczos");
        double *rs = nn_xalloc(steps, sizeof *rs, "Lanczos");
        nn_progress_note(pg, "top eigenvalues, ");
        long k = nn_hessian_lanczos(c, steps, o->seed, th, t2, rs, e);
        nn_progress_update(pg, nn_curv_products(c), total, "products");
        if (k < 0)
            rc = -1;
        for (size_t i = 0; rc == 0 && i < o->top; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "top_%zu", i + 1);
            hadd(&H, nm, i < (size_t)k ? th[k - 1 - i] : NAN);
            snprintf(nm, sizeof nm, "top_%zu_resid", i + 1);
            hadd(&H, nm, i < (size_t)k ? rs[k - 1 - i] : NAN);
        }
        if (rc == 0) {
            double *tab = nn_xalloc(2 * (size_t)k, sizeof *tab, "Ritz values");
            for (long i = 0; i < k; i++) {
                tab[2 * i] = th[k - 1 - i];
                tab[2 * i + 1] = rs[k - 1 - i];
            }
            rc = put(O, "ritz", (size_t)k, 2, tab, "eigenvalue,residual",
                     NULL, e);
            free(tab);
        }
        free(th), free(t2), free(rs);
        if (rc < 0)
            goto done;
    }
    if (o->hessian & H_TRACE) {
        double mean, sem;
        nn_progress_note(pg, "trace, ");
        if (nn_hessian_trace(c, (size_t)o->probes, o->seed + 1000003, &mean,
                             &sem, e) < 0) {
            rc = -1;
            goto done;
        }
        nn_progress_update(pg, nn_curv_products(c), total, "products");
        hadd(&H, "trace", mean);
        hadd(&H, "trace_sem", sem);
    }
    if (o->hessian & H_DENSITY) {
        size_t P = (size_t)o->probes, n = 0;
        double *nodes = nn_xalloc(P * steps, sizeof *nodes, "SLQ");
        double *wts = nn_xalloc(P * steps, sizeof *wts, "SLQ");
        double *rs = nn_xalloc(steps, sizeof *rs, "SLQ");
        double lo = INFINITY, hi = -INFINITY;
        for (size_t p = 0; p < P && rc == 0; p++) {
            nn_progress_note(pg, "density, vector %zu of %zu, ", p + 1, P);
            long k = nn_hessian_lanczos(c, steps, o->seed + 2000003 + p,
                                        nodes + n, wts + n, rs, e);
            if (k < 0) {
                rc = -1;
                break;
            }
            for (long i = 0; i < k; i++) {
                wts[n + (size_t)i] /= (double)P;
                lo = fmin(lo, nodes[n + (size_t)i]);
                hi = fmax(hi, nodes[n + (size_t)i]);
            }
            n += (size_t)k;
            nn_progress_update(pg, nn_curv_products(c), total, "products");
        }
        if (rc == 0) {
            double *tab = nn_xalloc(2 * n, sizeof *tab, "SLQ");
            for (size_t i = 0; i < n; i++) {
                tab[2 * i] = nodes[i];
                tab[2 * i + 1] = wts[i];
            }
            rc = put(O, "slq", n, 2, tab, "node,weight", NULL, e);
            free(tab);
        }
        nn_slq_stats st = {NAN, NAN, NAN, NAN};
        if (rc == 0) {
            size_t G = (size_t)o->grid;
            double *tab = nn_xalloc(2 * G, sizeof *tab, "density");
            char ex[64];
            nn_slq_density(nodes, wts, n, o->sigma, G, tab, &st);
            snprintf(ex, sizeof ex, "sigma=%.17g\n", st.sigma);
            rc = put(O, "density", G, 2, tab, "eigenvalue,density", ex, e);
            free(tab);
        }
        hadd(&H, "slq_min", lo);
        hadd(&H, "slq_max", hi);
        hadd(&H, "negative_mass", st.negative);
        hadd(&H, "negative_outer", st.negative_outer);
        hadd(&H, "asymmetry", st.asymmetry);
        hadd(&H, "sigma", st.sigma);
        free(nodes), free(wts), free(rs);
        if (rc < 0)
            goto done;
    }
    char ex[48] = "";
    if (o->layer >= 0)
        snprintf(ex, sizeof ex, "layer=%ld\n", o->layer + 1);
    if (o->dtype == NN_F32) /* f64 rows say nothing, as before */
        snprintf(ex + strlen(ex), sizeof ex - strlen(ex), "precision=f32\n");
    rc = put(O, "hessian", 1, H.n, H.v, H.cols, ex, e);
done:
    nn_curv_free(c);
    return rc;
}

/* ------------------------------------------------------------- PCA */

static int pca(out *O, const nn_net *net, nn_trainset *data, nn_error *e)
{
    const options *o = O->o;
    size_t K = (size_t)o->pca, b = (size_t)o->batch;
    size_t w = K ? net->layers[K - 1].n_out : net->layers[0].n_in;
    size_t wide = net->layers[0].n_in;
    for (size_t l = 0; l < K; l++)
        wide = net->layers[l].n_out > wide ? net->layers[l].n_out : wide;
    double *x = nn_xalloc(b * net->layers[0].n_in, sizeof *x, "a block");
    double *t = nn_xalloc(b * net->layers[net->n - 1].n_out, sizeof *t,
                          "a block");
    double *a = nn_xalloc(b * wide, sizeof *a, "a block");
    double *a2 = nn_xalloc(b * wide, sizeof *a2, "a block");
    nn_gram *G = nn_gram_new(w, 0, e);
    int rc = G && nn_trainset_pass(data, NULL, e) == 0 ? 0 : -1;
    while (rc == 0) {
        size_t m;
        if (nn_trainset_next(data, b, NN_F64, x, t, NULL, &m, e) < 0) {
            rc = -1;
            break;
        }
        if (!m)
            break;
        const double *in = x;
        for (size_t l = 0; l < K; l++) {
            double *dst = in == a ? a2 : a;
            nn_layer_forward_f64(&net->layers[l], m, in, dst);
            in = dst;
        }
        rc = nn_gram_add(G, m, in, NN_F64, NULL, 0, e);
    }
    if (rc == 0) {
        nn_gram_finish(G);
        const double *M = nn_gram_matrix(G);
        size_t n = nn_gram_dim(G);
        double N = (double)nn_gram_rows(G);
        double *cov = nn_xalloc(w * w, sizeof *cov, "covariance");
        double *ev = nn_xalloc(w, sizeof *ev, "eigenvalues");
        for (size_t i = 0; i < w; i++) /* (Z^T Z - N mu mu^T) / (N - 1) */
            for (size_t j = 0; j < w; j++)
                cov[i * w + j] = (M[(1 + i) * n + 1 + j] -
                                  M[1 + i] * M[1 + j] / N) /
                                 (N > 1 ? N - 1 : 1);
        char ex[32];
        snprintf(ex, sizeof ex, "layer=%zu\n", K);
        if (nn_wspec_pca(w, cov, ev, e) < 0 ||
            put(O, "pca", w, 0, ev, NULL, ex, e) < 0)
            rc = -1;
        else if (o->verbose) {
            double s = 0, cum = 0;
            size_t k90 = 0;
            for (size_t i = 0; i < w; i++)
                s += ev[i];
            while (k90 < w && (cum += ev[k90]) < 0.9 * s)
                k90++;
            nn_warn("pca of layer %zu (%zu wide, %.0f rows): %zu components "
                    "hold 90%% of the variance", K, w, N, k90 + 1);
        }
        free(cov), free(ev);
    }
    nn_gram_free(G);
    free(x), free(t), free(a), free(a2);
    return rc;
}

/* -------------------------------------------------------------- main */

static void parse_hessian(options *o, const char *arg)
{
    static const char *const names[] = {"top", "trace", "density", "exact",
                                        "all", NULL};
    char buf[128];
    if (strlen(arg) >= sizeof buf)
        nn_usage_error("invalid --hessian '%s': too long", arg);
    strcpy(buf, arg);
    o->hessian = 0;
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
        int k = nn_arg_choice("hessian", s, names);
        o->hessian |= k == 4 ? H_TOP | H_TRACE | H_DENSITY | H_EXACT : 1 << k;
    }
    if (!o->hessian)
        nn_usage_error("invalid --hessian '%s': name top, trace, density, "
                       "exact or all", arg);
}

static void parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"esd", no_argument, 0, OPT_ESD},
        {"shuffled", no_argument, 0, OPT_SHUFFLED},
        {"hessian", required_argument, 0, OPT_HESSIAN},
        {"layer", required_argument, 0, OPT_LAYER},
        {"steps", required_argument, 0, OPT_STEPS},
        {"probes", required_argument, 0, OPT_PROBES},
        {"top", required_argument, 0, OPT_TOP},
        {"grid", required_argument, 0, OPT_GRID},
        {"sigma", required_argument, 0, OPT_SIGMA},
        {"matrix", no_argument, 0, OPT_MATRIX},
        {"pca", required_argument, 0, OPT_PCA},
        {"objective", required_argument, 0, OPT_OBJECTIVE},
        {"targets", required_argument, 0, OPT_TARGETS},
        {"name", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"batch", required_argument, 0, 'b'},
        {"memory", required_argument, 0, OPT_MEMORY},
        {"precision", required_argument, 0, OPT_PRECISION},
        {"seed", required_argument, 0, 's'},
        {"json", no_argument, 0, 'j'},
        {"progress", no_argument, 0, 'P'},
        {"verbose", no_argument, 0, 'v'},
        NN_LONGOPTS_OUTPUT,
        NN_LONGOPTS_END};
    static const char *const objectives[] = {"mse", "xent", "sigmoid-xent",
                                             "hinge", "exp-ga", "pow3-ga",
                                             NULL};
    static const char *const precisions[] = {"f64", "f32", NULL};
    *o = (options){.name = "x", .labels = "y", .loss = -1, .layer = -1,
                   .pca = -1, .steps = 100, .probes = 10, .top = 5,
                   .grid = 1001, .batch = 1000, .seed = 1, .thi = 1,
                   .dtype = NN_F64};
    int c;
    while ((c = getopt_long(argc, argv, ":n:y:b:s:jPvo:z::hV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case OPT_ESD: o->esd = 1; break;
        case OPT_SHUFFLED: o->shuffled = 1; break;
        case OPT_HESSIAN: parse_hessian(o, optarg); break;
        case OPT_LAYER:
            o->layer = (long)nn_arg_u64("layer", optarg, 1, 1 << 20) - 1;
            break;
        case OPT_STEPS: o->steps = nn_arg_u64("steps", optarg, 1, 100000); break;
        case OPT_PROBES: o->probes = nn_arg_u64("probes", optarg, 1, 100000); break;
        case OPT_TOP: o->top = nn_arg_u64("top", optarg, 1, 20); break;
        case OPT_GRID: o->grid = nn_arg_u64("grid", optarg, 3, 1000000); break;
        case OPT_SIGMA: o->sigma = nn_arg_positive("sigma", optarg); break;
        case OPT_MATRIX: o->matrix = 1; break;
        case OPT_PCA: o->pca = (long)nn_arg_u64("pca", optarg, 0, 1 << 20); break;
        case OPT_OBJECTIVE:
            o->loss = nn_loss_parse(
                objectives[nn_arg_choice("objective", optarg, objectives)]);
            break;
        case OPT_TARGETS: nn_arg_targets("targets", optarg, &o->tlo, &o->thi); break;
        case OPT_MEMORY:
            o->memory = (size_t)nn_arg_bytes("memory", optarg, 1);
            break;
        case OPT_PRECISION:
            o->dtype = nn_arg_choice("precision", optarg, precisions)
                           ? NN_F32 : NN_F64;
            break;
        case 'n': o->name = optarg; break;
        case 'y': o->labels = optarg; break;
        case 'b': o->batch = nn_arg_u64("batch", optarg, 1, 1 << 24); break;
        case 's': o->seed = nn_arg_u64("seed", optarg, 0, UINT64_MAX); break;
        case 'j': o->json = 1; break;
        case 'P': o->progress = 1; break;
        case 'v': o->verbose = 1; break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind > 2)
        nn_usage_error("too many operands");
    o->net = optind < argc ? argv[optind] : "-";
    o->data = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (!o->data && (o->hessian || o->pca >= 0))
        nn_usage_error("--%s needs DATA", o->hessian ? "hessian" : "pca");
    if (o->data && !o->hessian && o->pca < 0)
        o->hessian = H_TOP | H_TRACE;
    if (o->matrix && !(o->hessian & H_EXACT))
        nn_usage_error("--matrix goes with --hessian exact");
    if (o->layer >= 0 && !o->hessian)
        nn_usage_error("--layer goes with --hessian");
    if (o->dtype == NN_F32 && !o->hessian)
        nn_usage_error("--precision f32 goes with --hessian");
    if (!strcmp(o->net, "-") && o->data && !strcmp(o->data, "-"))
        nn_usage_error("NET and DATA cannot both be stdin");
    if (o->json && (o->out || o->level))
        nn_usage_error("--json writes to stdout, without --output or --zstd");
    if (!o->memory)
        o->memory = nn_default_memory();
}

/* The data for net: a training set of its widths and loss. */
static nn_trainset *open_data(const options *o, const nn_net *net, int *loss,
                              nn_error *e)
{
    const nn_layer *top = &net->layers[net->n - 1];
    *loss = o->loss >= 0 ? o->loss : nn_loss_default(&top->act);
    if (nn_loss_check(*loss, &top->act, e) < 0)
        return NULL;
    int pm1 = *loss == NN_LOSS_HINGE;
    if (pm1 && (o->tlo != 0 || o->thi != 1)) {
        nn_fail(e, "--targets: hinge takes targets -1 and 1");
        return NULL;
    }
    nn_trainset_spec sp = {.x = o->name, .y = o->labels,
                           .n_in = net->layers[0].n_in, .n_out = top->n_out,
                           .pm1 = pm1, .tlo = pm1 ? -1 : o->tlo,
                           .thi = pm1 ? 1 : o->thi, .memory = o->memory / 2};
    nn_trainset *d = nn_trainset_open(o->data, &sp, e);
    if (!d && top->n_out == 1 && !pm1 && strstr(e->msg, "2 classes")) {
        size_t n = strlen(e->msg);
        snprintf(e->msg + n, sizeof e->msg - n,
                 " (two classes on one output: --objective hinge)");
    }
    return d;
}

static int run(const options *o, nn_error *e)
{
    nn_reader *r = nn_reader_open(o->net, e);
    if (!r)
        return -1;
    out O = {.o = o, .json = o->json};
    if (!o->json) {
        if (!(O.w = nn_writer_open(o->out, 0, e))) {
            nn_reader_close(r);
            return -1;
        }
        nn_writer_set_compression(O.w, o->level);
        nn_writer_hold(O.w, 0);
    }
    nn_progress pg;
    nn_progress_init(&pg, nn_prog, o->progress);
    nn_trainset *data = NULL;
    nn_net first = {0};
    int rc = 0, loss = 0;
    size_t count = 0;
    for (;;) {
        nn_net net = {0};
        int got = nn_net_read_next(r, &net, e);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 0)
            break;
        char ck[64] = "";
        nn_attrs_get(net.layers[0].attrs, "checkpoint", ck, sizeof ck);
        snprintf(O.ck, sizeof O.ck, "%s", ck);
        if (count == 0 && o->data) {
            if (o->pca > (long)net.n) {
                rc = nn_fail(e, "--pca %ld: the network has %zu layers",
                             o->pca, net.n);
            } else if (o->layer >= (long)net.n) {
                rc = nn_fail(e, "--layer %ld: the network has %zu layers",
                             o->layer + 1, net.n);
            } else if (!(data = open_data(o, &net, &loss, e))) {
                rc = -1;
            }
        } else if (count && o->data &&
                   nn_net_compatible(&first, &net, e) < 0) {
            rc = nn_error_wrap(e, "%s: network %zu against the first", o->net,
                               count + 1);
        }
        if (rc == 0)
            rc = weights(&O, &net, e);
        if (rc == 0 && o->hessian)
            rc = hessian(&O, &net, data, loss, &pg, e);
        if (rc == 0 && o->pca >= 0)
            rc = pca(&O, &net, data, e);
        if (count == 0)
            first = net;
        else
            nn_net_free(&net);
        count++;
        if (rc < 0)
            break;
    }
    nn_progress_end(&pg);
    if (rc == 0 && count == 0)
        rc = nn_fail(e, "%s: no network", o->net);
    if (count)
        nn_net_free(&first);
    nn_trainset_close(data);
    nn_reader_close(r);
    if (O.w && nn_writer_close(O.w, rc == 0, rc == 0 ? e : NULL) < 0)
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-spectrum");
    options o;
    parse_args(argc, argv, &o);
    nn_error e;
    if (run(&o, &e) < 0)
        nn_die("%s", e.msg);
    return 0;
}

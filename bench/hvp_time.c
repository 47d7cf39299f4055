/* hvp_time.c — a Hessian-vector product of a network's loss over a data
 * set against one gradient over the same rows, in double precision, with
 * the library's own calls: the gradient by the tape (nn_tape_run and
 * nn_tape_grad, f64, block by block), a product by nn_curv_hvp with every
 * block's passes kept (what Lanczos pays per step) and with none kept
 * (each block read and run forward and backward again, then the tangent
 * passes).  The data are held in memory in every case.  Prints the
 * median seconds of REPS runs of each: grad, hvp_kept, hvp_rerun; the
 * f32 gradient (nn-train's precision) for reference; and the product with
 * every block kept in single precision (nn_curv_spec.dtype NN_F32); then
 * the parameters, the rows and the blocks kept.
 *
 *   hvp_time NET DATA BATCH REPS
 */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const nn_error *e)
{
    fprintf(stderr, "hvp_time: %s\n", e->msg);
    exit(1);
}

/* One gradient over every row, block by block, in dtype. */
static double grad(nn_net *net, nn_trainset *d, size_t b, int dtype,
                   nn_tape *tp, void *x, void *t, void **dw, nn_error *e)
{
    double t0 = now();
    if (nn_trainset_pass(d, NULL, e) < 0)
        die(e);
    for (;;) {
        size_t m;
        if (nn_trainset_next(d, b, dtype, x, t, NULL, &m, e) < 0)
            die(e);
        if (!m)
            break;
        if (!nn_tape_run(tp, net, m, x, e))
            die(e);
        nn_tape_grad(tp, net, NN_LOSS_XENT, t, dw, NULL);
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: hvp_time NET DATA BATCH REPS\n");
        return 2;
    }
    nn_error e;
    nn_net net;
    size_t b = (size_t)atol(argv[3]), reps = (size_t)atol(argv[4]);
    if (nn_net_load(argv[1], &net, &e) < 0)
        die(&e);
    size_t nin = net.layers[0].n_in, nout = net.layers[net.n - 1].n_out;
    nn_trainset_spec sp = {.x = "x", .y = "y", .n_in = nin, .n_out = nout,
                           .tlo = 0, .thi = 1, .memory = (size_t)1 << 33};
    nn_trainset *d = nn_trainset_open(argv[2], &sp, &e);
    if (!d)
        die(&e);
    double *tg = malloc(reps * sizeof *tg), *tk = malloc(reps * sizeof *tk);
    double *tr = malloc(reps * sizeof *tr), *tf = malloc(reps * sizeof *tf);
    double *ts = malloc(reps * sizeof *ts);
    void *x = malloc(b * nin * 8), *t = malloc(b * nout * 8), *dw[16];
    for (size_t l = 0; l < net.n; l++)
        dw[l] = malloc((1 + net.layers[l].n_in) * net.layers[l].n_out * 8);
    nn_tape *t64 = nn_tape_open(&net, b, NN_F64, &e);
    nn_tape *t32 = nn_tape_open(&net, b, NN_F32, &e);
    nn_curv_spec cs = {.loss = NN_LOSS_XENT, .batch = b,
                       .memory = (size_t)1 << 34, .layer = -1};
    nn_curv *kept = nn_curv_open(&net, d, &cs, &e);
    cs.memory = 1;
    nn_curv *rerun = kept ? nn_curv_open(&net, d, &cs, &e) : NULL;
    cs.memory = (size_t)1 << 34;
    cs.dtype = NN_F32;
    nn_curv *k32 = rerun ? nn_curv_open(&net, d, &cs, &e) : NULL;
    if (!t64 || !t32 || !kept || !rerun || !k32)
        die(&e);
    size_t n = nn_curv_dim(kept);
    double *v = malloc(n * sizeof *v), *hv = malloc(n * sizeof *hv);
    nn_rng g;
    nn_rng_seed(&g, 1);
    for (size_t i = 0; i < n; i++)
        v[i] = nn_rng_normal(&g);
    for (size_t r = 0; r < reps; r++) {
        tg[r] = grad(&net, d, b, NN_F64, t64, x, t, dw, &e);
        tf[r] = grad(&net, d, b, NN_F32, t32, x, t, dw, &e);
        double t0 = now();
        if (nn_curv_hvp(kept, v, hv, &e) < 0)
            die(&e);
        tk[r] = now() - t0;
        t0 = now();
        if (nn_curv_hvp(rerun, v, hv, &e) < 0)
            die(&e);
        tr[r] = now() - t0;
        t0 = now();
        if (nn_curv_hvp(k32, v, hv, &e) < 0)
            die(&e);
        ts[r] = now() - t0;
    }
    qsort(tg, reps, sizeof *tg, cmp);
    qsort(tk, reps, sizeof *tk, cmp);
    qsort(tr, reps, sizeof *tr, cmp);
    qsort(tf, reps, sizeof *tf, cmp);
    qsort(ts, reps, sizeof *ts, cmp);
    printf("%.4f %.4f %.4f %.4f %.4f %zu %llu %zu\n", tg[reps / 2],
           tk[reps / 2], tr[reps / 2], tf[reps / 2], ts[reps / 2], n,
           (unsigned long long)nn_curv_rows(kept), nn_curv_blocks_held(kept));
    return 0;
}

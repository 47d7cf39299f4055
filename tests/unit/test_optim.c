/* test_optim.c — nn_optim's steps give the same bytes whether a helper
 * thread shares the large arrays (the BLAS on two threads) or the caller
 * updates everything (one thread): Adam, AdamW, SGD with momentum and
 * Nesterov, in single precision and in double with the f32 mirror, over
 * arrays below and above the size that is shared (odd sizes, so the
 * halves differ), and the same with a step in two calls (nn_optim_post,
 * the caller working, nn_optim_wait: the helper and the caller share the
 * large arrays' chunks); the helper is started only with two threads; and
 * single-precision Adam follows PyTorch's rule element by element (a
 * plain loop written from torch 1.13's Adam). */
#include "nn.h"
#include "check.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void openblas_set_num_threads(int n);

enum { STEPS = 3, NA = 3 };
static const size_t sizes[NA] = {1000, 40001, 100003};

/* The threads of this process (Linux), or -1. */
static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static float gradient(size_t k, size_t i, int step)
{
    return (float)sin(0.37 * (double)i + 1.3 * (double)k + 0.5 * step) * 1e-2f;
}

/* STEPS steps of kind over the NA arrays with OpenBLAS on nthreads, by
 * nn_optim_step or (post) nn_optim_post and nn_optim_wait; their weights
 * after, in w (f32) or wd (f64, with mirrors in w). */
static int run(int kind, int f64, int nthreads, int post, float **w,
               double **wd, int *helper)
{
    nn_error e;
    openblas_set_num_threads(nthreads);
    nn_optim *o = nn_optim_new(kind, 0.9, kind == NN_OPTIM_SGD && f64, 1e-2,
                               &e);
    if (!o)
        return -1;
    float *g32[NA];
    double *g64[NA];
    const void *g[NA];
    int gdt[NA];
    for (size_t k = 0; k < NA; k++) {
        size_t n = sizes[k];
        w[k] = malloc(n * sizeof *w[k]);
        g32[k] = malloc(n * sizeof *g32[k]);
        g64[k] = malloc(n * sizeof *g64[k]);
        if (f64)
            wd[k] = malloc(n * sizeof *wd[k]);
        for (size_t i = 0; i < n; i++) {
            w[k][i] = (float)cos(0.11 * (double)i + (double)k);
            if (f64)
                wd[k][i] = cos(0.11 * (double)i + (double)k);
        }
        if (f64 ? nn_optim_add(o, wd[k], w[k], n, &e)
                : nn_optim_add_f32(o, w[k], n, &e))
            return -1;
        g[k] = f64 ? (const void *)g64[k] : (const void *)g32[k];
        gdt[k] = f64 ? NN_F64 : NN_F32;
    }
    int before = threads();
    for (int s = 0; s < STEPS; s++) {
        for (size_t k = 0; k < NA; k++)
            for (size_t i = 0; i < sizes[k]; i++) {
                g32[k][i] = gradient(k, i, s);
                g64[k][i] = g32[k][i];
            }
        double lr = kind == NN_OPTIM_SGD ? 0.1 : 1e-3;
        if (!post) {
            nn_optim_step(o, lr, g, gdt);
            continue;
        }
        nn_optim_post(o, lr, g, gdt);
        volatile double busy = 0; /* the caller's own work meanwhile */
        for (int i = 0; i < 20000 * (s + 1); i++)
            busy += sqrt((double)i);
        nn_optim_wait(o);
    }
    *helper = threads() - before;
    nn_optim_free(o);
    for (size_t k = 0; k < NA; k++)
        free(g32[k]), free(g64[k]);
    return 0;
}

static void compare(const char *what, int kind, int f64, int post)
{
    float *w1[NA], *w2[NA];
    double *d1[NA], *d2[NA];
    int h1, h2;
    if (run(kind, f64, 1, 0, w1, d1, &h1) < 0 ||
        run(kind, f64, 2, post, w2, d2, &h2) < 0) {
        CHECK(0, "%s: the runs", what);
        return;
    }
    int same = 1;
    for (size_t k = 0; k < NA; k++) {
        same &= memcmp(w1[k], w2[k], sizes[k] * sizeof *w1[k]) == 0;
        if (f64)
            same &= memcmp(d1[k], d2[k], sizes[k] * sizeof *d1[k]) == 0;
    }
    CHECK(same, "%s: the same bytes with the helper thread as without%s",
          what, post ? " (post and wait)" : "");
    if (h1 >= 0)
        CHECK(h1 == 0 && h2 == 1, "%s: a helper thread with two BLAS threads "
              "only (threads added: %d with one, %d with two)", what, h1, h2);
    for (size_t k = 0; k < NA; k++) {
        free(w1[k]), free(w2[k]);
        if (f64)
            free(d1[k]), free(d2[k]);
    }
}

/* torch 1.13 Adam, one parameter: exp_avg.mul_(b1).add_(g, alpha=1-b1);
 * exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2); denom =
 * (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps); p.addcdiv_(exp_avg, denom,
 * value=-lr/bc1), with weight_decay 1e-2 (grad.add(p, alpha=wd)) first. */
static void adam_reference(void)
{
    float *w[NA];
    double *wd[NA];
    int h;
    if (run(NN_OPTIM_ADAM, 0, 2, 0, w, wd, &h) < 0) {
        CHECK(0, "adam reference: the run");
        return;
    }
    size_t bad = 0, n = 0;
    for (size_t k = 0; k < NA; k++) {
        for (size_t i = 0; i < sizes[k]; i++, n++) {
            float p = (float)cos(0.11 * (double)i + (double)k), m1 = 0, m2 = 0;
            for (int s = 0; s < STEPS; s++) {
                float gi = gradient(k, i, s) + 1e-2f * p;
                double bc1 = 1 - pow(0.9, s + 1), bc2 = 1 - pow(0.999, s + 1);
                m1 = m1 * 0.9f + gi * (float)(1 - 0.9);
                m2 = m2 * 0.999f + gi * gi * (float)(1 - 0.999);
                float denom = sqrtf(m2) / (float)sqrt(bc2) + 1e-8f;
                p = p - (float)(1e-3 / bc1) * (m1 / denom);
            }
            bad += p != w[k][i];
        }
        free(w[k]);
    }
    CHECK(bad == 0, "adam f32 is torch's rule, element by element (%zu of "
          "%zu differ)", bad, n);
}

int main(void)
{
    for (int post = 0; post < 2; post++) {
        compare("adam f32", NN_OPTIM_ADAM, 0, post);
        compare("adamw f32", NN_OPTIM_ADAMW, 0, post);
        compare("sgd momentum f32", NN_OPTIM_SGD, 0, post);
        compare("adam f64", NN_OPTIM_ADAM, 1, post);
        compare("adamw f64", NN_OPTIM_ADAMW, 1, post);
        compare("sgd nesterov f64", NN_OPTIM_SGD, 1, post);
    }
    adam_reference();
    return check_status();
}

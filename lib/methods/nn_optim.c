/* nn_optim.c — the optimizers of gradient training, with PyTorch's update
 * rules (torch.optim.SGD, Adam, AdamW), so that runs compare: parameters
 * kept in double precision with their moments (gradients in either
 * precision, and a single-precision mirror of the weights kept current
 * for the forward pass), or in single precision with their moments and
 * gradients, as PyTorch keeps an f32 model: half the bytes a step moves,
 * and the step streams every parameter and its moments, so it costs about
 * half as much.  The loops are element-wise and branch-free, for the
 * compiler to vectorise: a masked weight needs no test, as its gradient
 * and value are zero and every rule keeps it there.
 *
 * With two threads or more for the BLAS (openblas_get_num_threads), a
 * step shares the large arrays with one helper thread, which updates
 * their second halves while the caller updates the first: a step streams
 * every parameter and its moments on one core otherwise, while the
 * BLAS's threads wait.  Or the helper starts on the large arrays while
 * the caller does other work, and the caller takes a share of what is
 * left when it is done (nn_optim_post, nn_optim_wait: nn-train gathers
 * the next batch meanwhile).  Every element follows the same rule
 * either way, so the results are the same bytes. */
#include "methods/nn_methods.h"
#include "base/nn_base_private.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* OpenBLAS's own (not in cblas.h): the threads its calls use */
int openblas_get_num_threads(void);

/* Arrays of fewer elements are updated by the caller alone (the helper's
 * wake-up costs more than half of theirs). */
#define SPLIT_MIN 32768
/* Polls of the helper's progress before the caller sleeps on it (tens of
 * microseconds: longer, and a helper that shares the caller's core waits
 * for the polls to end; 20000 measured slower than 2000 and than none). */
#define SPIN 2000
/* nn_optim_post's large arrays go in chunks of this many elements to the
 * helper and, once it waits, to the caller. */
#define CHUNK 32768

static void relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#endif
}

typedef struct param {
    double *w;              /* double precision: the parameters, */
    float *wf;              /* a single-precision mirror, or NULL, */
    double *m1, *m2;        /* the momentum buffer; Adam's moments */
    float *w32;             /* or all in single precision */
    float *f1, *f2;
    size_t n;
} param;

/* The helper thread and the step it shares: a step is posted (posted
 * incremented under mu, cv signalled), the helper updates the second
 * halves of the large arrays, or (whole, nn_optim_post) takes the large
 * arrays' chunks one at a time (next counts the chunks taken, by either
 * thread), and sets done = posted. */
typedef struct helper {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t posted, done;
    int quit, whole;
    size_t next;
    struct nn_optim *o;
    double lr, c1, c2;
    const void *const *g;
    const int *gdt;
} helper;

struct nn_optim {
    int kind, nesterov;
    double momentum, lambda;
    param *p;
    size_t np, cap;
    uint64_t step;
    helper *h;              /* NULL: the caller updates everything */
    int tried;              /* the helper was considered */
};

nn_optim *nn_optim_new(int kind, double momentum, int nesterov, double lambda,
                       nn_error *e)
{
    nn_optim *o = calloc(1, sizeof *o);
    if (!o) {
        nn_fail(e, "out of memory");
        return NULL;
    }
    *o = (nn_optim){.kind = kind, .nesterov = nesterov, .momentum = momentum,
                    .lambda = lambda};
    return o;
}

/* A new parameter array, its state zero. */
static int add(nn_optim *o, param q, nn_error *e)
{
    if (o->np == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 8;
        param *p = realloc(o->p, cap * sizeof *p);
        if (!p)
            return nn_fail(e, "out of memory");
        o->p = p;
        o->cap = cap;
    }
    size_t n = q.n ? q.n : 1;
    if (q.w32 ? !(q.f1 = calloc(n, sizeof *q.f1)) ||
                    !(q.f2 = calloc(n, sizeof *q.f2))
              : !(q.m1 = calloc(n, sizeof *q.m1)) ||
                    !(q.m2 = calloc(n, sizeof *q.m2))) {
        free(q.f1);
        free(q.m1);
        return nn_fail(e, "out of memory for the optimizer's state");
    }
    o->p[o->np++] = q;
    o->tried = o->h != NULL; /* a large array may want the helper now */
    return 0;
}

int nn_optim_add(nn_optim *o, double *w, float *wf, size_t n, nn_error *e)
{
    return add(o, (param){.w = w, .wf = wf, .n = n}, e);
}

int nn_optim_add_f32(nn_optim *o, float *w, size_t n, nn_error *e)
{
    return add(o, (param){.w32 = w, .n = n}, e);
}

/* g as double: the gradient of dtype gdt, element i. */
#define GRAD(g, gdt, i)                                                        \
    ((gdt) == NN_F32 ? (double)((const float *)(g))[i]                         \
                     : ((const double *)(g))[i])

/* Adam's update with gradients of type G: weight decay in the gradient
 * (l2) or taken from the weights (decoupled, AdamW), one of the two 0,
 * so that the loop has no branch.  The Makefile builds this file with
 * -fno-math-errno, so that sqrt vectorises too. */
#define ADAM(NAME, G)                                                          \
    NN_VECTORIZE NN_CLONES                                                     \
    static void NAME(param *p, const G *g, double lr, double l2,              \
                     double decoupled, double c1, double c2)                  \
    {                                                                          \
        const double b1 = 0.9, b2 = 0.999, eps = 1e-8;                         \
        double *w = p->w, *m1 = p->m1, *m2 = p->m2;                            \
        for (size_t i = 0; i < p->n; i++) {                                    \
            double wi = w[i] - lr * decoupled * w[i];                          \
            double gi = (double)g[i] + l2 * w[i];                              \
            m1[i] = b1 * m1[i] + (1 - b1) * gi;                                \
            m2[i] = b2 * m2[i] + (1 - b2) * gi * gi;                           \
            w[i] = wi - lr * (m1[i] / c1) / (sqrt(m2[i] / c2) + eps);          \
        }                                                                      \
    }
ADAM(adam_f32, float)
ADAM(adam_f64, double)

static void adam(param *p, const void *g, int gdt, double lr, double wd,
                 int decoupled, double c1, double c2)
{
    double l2 = decoupled ? 0 : wd, dec = decoupled ? wd : 0;
    if (gdt == NN_F32)
        adam_f32(p, g, lr, l2, dec, c1, c2);
    else
        adam_f64(p, g, lr, l2, dec, c1, c2);
}

NN_VECTORIZE
static void sgd(param *p, const void *g, int gdt, double lr, double wd,
                double mu, int nesterov, int first)
{
    double *w = p->w, *b = p->m1;
    for (size_t i = 0; i < p->n; i++) {
        double gi = GRAD(g, gdt, i) + wd * w[i];
        if (mu > 0) {
            b[i] = first ? gi : mu * b[i] + gi;
            gi = nesterov ? gi + mu * b[i] : b[i];
        }
        w[i] -= lr * gi;
    }
}

/* The same rules in single precision, in PyTorch's order of operations
 * (torch 1.13: exp_avg.mul_(b1).add_(g, 1-b1); denom = sqrt(exp_avg_sq) /
 * sqrt(c2) + eps; p.addcdiv_(exp_avg, denom, -lr/c1)). */
NN_VECTORIZE NN_CLONES
static void adam32(param *p, const float *g, float lr, float l2, float dec,
                   float step, float c2s)
{
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float a1 = (float)(1 - 0.9), a2 = (float)(1 - 0.999);
    float *w = p->w32, *m1 = p->f1, *m2 = p->f2;
    for (size_t i = 0; i < p->n; i++) {
        float wi = w[i] * (1 - lr * dec);
        float gi = g[i] + l2 * w[i];
        m1[i] = m1[i] * b1 + gi * a1;
        m2[i] = m2[i] * b2 + gi * gi * a2;
        w[i] = wi - step * (m1[i] / (sqrtf(m2[i]) / c2s + eps));
    }
}

/* SGD with the choices taken out of the loop, so that it vectorises:
 * plain (mu 0), momentum, Nesterov; first: the buffer starts as the
 * gradient (PyTorch's first step), which is mu 0 into a zero buffer. */
NN_VECTORIZE NN_CLONES
static void sgd32(param *p, const float *g, float lr, float wd, float mu,
                  int nesterov, int first)
{
    float *restrict w = p->w32, *restrict b = p->f1;
    const float *restrict gr = g;
    size_t n = p->n;
    float m = first ? 0 : mu;
    if (mu == 0) {
        for (size_t i = 0; i < n; i++)
            w[i] -= lr * (gr[i] + wd * w[i]);
    } else if (nesterov) {
        for (size_t i = 0; i < n; i++) {
            float gi = gr[i] + wd * w[i];
            b[i] = m * b[i] + gi;
            w[i] -= lr * (gi + mu * b[i]);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            b[i] = m * b[i] + (gr[i] + wd * w[i]);
            w[i] -= lr * b[i];
        }
    }
}

NN_VECTORIZE
static void mirror(param *p)
{
    for (size_t i = 0; i < p->n; i++)
        p->wf[i] = (float)p->w[i];
}

/* The step on elements [lo, hi) of parameter array k, whose gradient g
 * has dtype gdt. */
static void update(nn_optim *o, size_t k, const void *g, int gdt, double lr,
                   double c1, double c2, size_t lo, size_t hi)
{
    param q = o->p[k], *p = &q; /* the view of [lo, hi) */
    q.n = hi - lo;
    if (lo) {
        size_t gs = q.w32 || gdt == NN_F32 ? sizeof(float) : sizeof(double);
        g = (const char *)g + lo * gs;
        q.w = q.w ? q.w + lo : NULL;
        q.wf = q.wf ? q.wf + lo : NULL;
        q.m1 = q.m1 ? q.m1 + lo : NULL;
        q.m2 = q.m2 ? q.m2 + lo : NULL;
        q.w32 = q.w32 ? q.w32 + lo : NULL;
        q.f1 = q.f1 ? q.f1 + lo : NULL;
        q.f2 = q.f2 ? q.f2 + lo : NULL;
    }
    int decoupled = o->kind == NN_OPTIM_ADAMW;
    if (p->w32 && o->kind == NN_OPTIM_SGD) {
        sgd32(p, g, (float)lr, (float)o->lambda, (float)o->momentum,
              o->nesterov, o->step == 1);
        return;
    }
    if (p->w32) {
        adam32(p, g, (float)lr, decoupled ? 0 : (float)o->lambda,
               decoupled ? (float)o->lambda : 0, (float)(lr / c1),
               (float)sqrt(c2));
        return;
    }
    if (o->kind == NN_OPTIM_SGD)
        sgd(p, g, gdt, lr, o->lambda, o->momentum, o->nesterov, o->step == 1);
    else
        adam(p, g, gdt, lr, o->lambda, decoupled, c1, c2);
    if (p->wf)
        mirror(p);
}

/* Takes the next chunk of the large arrays not yet taken in the step
 * posted: array k, elements [lo, hi); 0 when none is left. */
static int take(nn_optim *o, helper *h, size_t *k, size_t *lo, size_t *hi)
{
    size_t c = __atomic_fetch_add(&h->next, 1, __ATOMIC_RELAXED);
    for (size_t j = 0; j < o->np; j++) {
        size_t n = o->p[j].n;
        if (n < SPLIT_MIN)
            continue;
        size_t nc = (n + CHUNK - 1) / CHUNK;
        if (c < nc) {
            *k = j;
            *lo = c * CHUNK;
            *hi = *lo + CHUNK < n ? *lo + CHUNK : n;
            return 1;
        }
        c -= nc;
    }
    return 0;
}

/* The chunks of the step posted, while some are left. */
static void take_chunks(nn_optim *o, helper *h)
{
    size_t k, lo, hi;
    while (take(o, h, &k, &lo, &hi))
        update(o, k, h->g[k], h->gdt[k], h->lr, h->c1, h->c2, lo, hi);
}

/* The helper's part of a step: the second halves of the large arrays,
 * or their chunks. */
static void helper_part(nn_optim *o, helper *h)
{
    if (h->whole) {
        take_chunks(o, h);
        return;
    }
    for (size_t k = 0; k < o->np; k++)
        if (o->p[k].n >= SPLIT_MIN)
            update(o, k, h->g[k], h->gdt[k], h->lr, h->c1, h->c2,
                   o->p[k].n / 2, o->p[k].n);
}

static void *helper_main(void *arg)
{
    helper *h = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (h->posted == seen && !h->quit)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->quit)
            break;
        seen = h->posted;
        pthread_mutex_unlock(&h->mu);
        helper_part(h->o, h);
        pthread_mutex_lock(&h->mu);
        __atomic_store_n(&h->done, seen, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* The helper, when the BLAS runs on two threads or more and an array is
 * large enough to share; none when it cannot be started. */
static void helper_start(nn_optim *o)
{
    o->tried = 1;
    size_t big = 0;
    for (size_t k = 0; k < o->np; k++)
        big += o->p[k].n >= SPLIT_MIN;
    if (!big || openblas_get_num_threads() < 2)
        return;
    helper *h = calloc(1, sizeof *h);
    if (!h)
        return;
    h->o = o;
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        free(h);
        return;
    }
    if (pthread_cond_init(&h->cv, NULL) != 0) {
        pthread_mutex_destroy(&h->mu);
        free(h);
        return;
    }
    if (pthread_create(&h->th, NULL, helper_main, h) != 0) {
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return;
    }
    o->h = h;
}

static void helper_stop(nn_optim *o)
{
    helper *h = o->h;
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
    o->h = NULL;
}

/* Starts step: the bias corrections, and with the helper, its part
 * (whole: all of the large arrays) posted; returns the helper or NULL. */
static helper *post(nn_optim *o, double lr, const void *const *g,
                    const int *gdt, int whole, double *c1, double *c2)
{
    o->step++;
    *c1 = 1 - pow(0.9, (double)o->step);
    *c2 = 1 - pow(0.999, (double)o->step);
    if (!o->tried)
        helper_start(o);
    helper *h = o->h;
    if (h) {
        pthread_mutex_lock(&h->mu);
        h->lr = lr;
        h->c1 = *c1;
        h->c2 = *c2;
        h->g = g;
        h->gdt = gdt;
        h->whole = whole;
        h->next = 0;
        h->posted++;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
    return h;
}

/* Waits for the helper's part of the step posted last. */
static void finish(helper *h)
{
    if (!h)
        return;
    uint64_t want = h->posted; /* spin a while before sleeping */
    for (int i = 0; i < SPIN; i++) {
        if (__atomic_load_n(&h->done, __ATOMIC_ACQUIRE) == want)
            return;
        relax();
    }
    pthread_mutex_lock(&h->mu);
    while (h->done != want)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void nn_optim_step(nn_optim *o, double lr, const void *const *g,
                   const int *gdt)
{
    double c1, c2;
    helper *h = post(o, lr, g, gdt, 0, &c1, &c2);
    for (size_t k = 0; k < o->np; k++) { /* the first halves with a helper */
        size_t n = o->p[k].n;
        update(o, k, g[k], gdt[k], lr, c1, c2, 0,
               h && n >= SPLIT_MIN ? n / 2 : n);
    }
    finish(h);
}

void nn_optim_post(nn_optim *o, double lr, const void *const *g,
                   const int *gdt)
{
    double c1, c2;
    helper *h = post(o, lr, g, gdt, 1, &c1, &c2);
    for (size_t k = 0; k < o->np; k++) /* what the helper does not */
        if (!h || o->p[k].n < SPLIT_MIN)
            update(o, k, g[k], gdt[k], lr, c1, c2, 0, o->p[k].n);
}

void nn_optim_wait(nn_optim *o)
{
    if (o->h) { /* the chunks the helper has not taken yet */
        take_chunks(o, o->h);
        finish(o->h);
    }
}

uint64_t nn_optim_steps(const nn_optim *o) { return o->step; }

void nn_optim_free(nn_optim *o)
{
    if (!o)
        return;
    helper_stop(o);
    for (size_t k = 0; k < o->np; k++) {
        free(o->p[k].m1);
        free(o->p[k].m2);
        free(o->p[k].f1);
        free(o->p[k].f2);
    }
    free(o->p);
    free(o);
}

/* ---------------------------------------------------------------- state */

size_t nn_optim_count(const nn_optim *o) { return o->np; }

int nn_optim_kind(const nn_optim *o) { return o->kind; }

void nn_optim_moments(nn_optim *o, size_t k, void **m1, void **m2, size_t *n,
                      int *dtype)
{
    param *p = &o->p[k];
    *n = p->n;
    *dtype = p->w32 ? NN_F32 : NN_F64;
    *m1 = p->w32 ? (void *)p->f1 : (void *)p->m1;
    *m2 = p->w32 ? (void *)p->f2 : (void *)p->m2;
}

void nn_optim_set_steps(nn_optim *o, uint64_t steps) { o->step = steps; }

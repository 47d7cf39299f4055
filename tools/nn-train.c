/* nn-train — train a network by gradient descent on a data stream
 * (ALGORITHMS.md, nn-train).  The library's training set (nn_trainset)
 * holds the rows when they fit in --memory, or spills them to a temporary
 * file read back by blocks in a random order; every epoch visits the rows
 * in a new random order drawn from the seed, in mini-batches whose
 * gradients the library's backward pass computes (nn_tape), and the
 * optimizer steps in double precision. */
#include "nn_tool.h"

#include <getopt.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: nn-train [OPTION]... NET [FILE]\n"
    "Train the network in NET (a stream from nn-init, nn-fit-layer or\n"
    "nn-train; - for stdin) on the rows of x and y of a data stream (FILE or\n"
    "stdin) by mini-batch gradient descent, and write the trained network.\n"
    "\n"
    "  -e, --epochs=N       passes over the data (default 10)\n"
    "  -b, --batch=N        rows per mini-batch (default 64)\n"
    "      --lr=RATE        learning rate (default 0.001 for adam and adamw,\n"
    "                       0.01 for sgd)\n"
    "      --optimizer=NAME adam (default), adamw or sgd\n"
    "      --momentum=M     sgd: momentum (default 0.9; 0 for plain SGD)\n"
    "      --nesterov       sgd: Nesterov momentum\n"
    "  -l, --lambda=L       weight decay (adamw: decoupled; else L2 in the\n"
    "                       gradient, as PyTorch's weight_decay)\n"
    "      --schedule=S     const (default), cosine (to 0 at the last step),\n"
    "                       or step:EVERY[:GAMMA] (times GAMMA, default 0.1,\n"
    "                       every EVERY epochs)\n"
    "      --warmup=STEPS   raise the rate linearly over the first STEPS steps\n"
    "      --freeze=K[,K..] keep layers K (from 1) as they are\n"
    "      --dropout=K:P[,..] drop layer K's inputs at rate P (inverted)\n"
    "      --dropout-decay=G multiply the --dropout rates by G every epoch\n"
    "      --grad-dropout=K:P[,..] drop the gradient into layer K's output\n"
    "      --objective=LOSS the loss (default: by the output activation,\n"
    "                       softmax xent, sigmoid sigmoid-xent, exp exp-ga,\n"
    "                       pow3 pow3-ga, else mse); also hinge\n"
    "      --targets=LO,HI  the values of one-hot class targets (default\n"
    "                       0,1; the thesis's heads: 0,16 or -2,10)\n"
    "  -n, --name=NAME      the inputs (default x)\n"
    "  -y, --labels=NAME    labels or targets (default y)\n"
    "      --head=NET       train NET's layers with these on top, and write\n"
    "                       NET's alone (a decision block that is dropped)\n"
    "      --head-out=FILE  write the trained head to FILE\n"
    "      --memory=SIZE    hold the rows if they fit in SIZE bytes (K, M, G:\n"
    "                       powers of 1024; default half the machine's), else\n"
    "                       spill them to $TMPDIR and shuffle them by blocks\n"
    "      --valid=FILE     a stream scored after every epoch\n"
    "      --log=FILE       a stream of a row per epoch: loss, accuracies,\n"
    "                       seconds, RMS gradient per layer\n"
    "      --quantize=N     after every epoch, replace the weights by\n"
    "                       their N-bit quantization; dynamic[:C] picks N\n"
    "                       by the thesis's Algorithm 1 (floor C, default 5)\n"
    "      --state=FILE     start the optimizer from the state in FILE if it\n"
    "                       exists, and write its state there at the end\n"
    "      --trajectory=FILE  the network after every --every epochs\n"
    "      --every=N        epochs between trajectory networks (default 1)\n"
    "      --every-steps=N  steps between them instead\n"
    "  -s, --seed=N         seed of the order of the rows (default 1)\n"
    "  -t, --dtype=TYPE     compute in f32 (default) or f64\n"
    "  -v, --verbose        a line per epoch on stderr\n"
    "  -o, --output=FILE    write to FILE instead of stdout\n"
    "  -z, --zstd[=LEVEL]   compress records with zstd (default level 3)\n"
    "  -P, --progress       report progress on stderr\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "See nn-train(1).\n"
    "Exit status: 0 success, 1 bad input, divergence or write error, 2 usage "
    "error.\n"
    "Example: nn-init -O softmax 784-256-10 | nn-train -e 3 - train.nns > "
    "net.nns\n";

enum { OPT_LR = 256, OPT_OPTIMIZER, OPT_MOMENTUM, OPT_NESTEROV, OPT_OBJECTIVE,
       OPT_VALID, OPT_SCHEDULE, OPT_WARMUP, OPT_FREEZE, OPT_LOG,
       OPT_TRAJECTORY, OPT_EVERY, OPT_DROPOUT, OPT_GRAD_DROPOUT,
       OPT_DROPOUT_DECAY, OPT_HEAD, OPT_HEAD_OUT, OPT_TARGETS,
       OPT_MEMORY, OPT_EVERY_STEPS, OPT_QUANTIZE, OPT_STATE };

#define MAX_LAYERS 4096
enum { OPT_ADAM, OPT_ADAMW, OPT_SGD };

typedef struct options {
    const char *net, *in, *out, *valid, *name, *labels;
    const char *log, *trajectory;   /* --log, --trajectory files */
    const char *head, *head_out;    /* --head NET on top; --head-out */
    uint64_t epochs, batch, seed, warmup, every, every_steps;
    double lr, momentum, lambda;
    int schedule;                   /* SCHED_* */
    uint64_t step_every;            /* step: epochs between decays */
    double gamma;                   /* step: the factor */
    unsigned char *frozen;          /* frozen[l]: layer l+1 is not trained */
    size_t nfrozen;
    int optimizer, nesterov, loss, verbose, progress, level;
    int dtype;                      /* computed in: f32 or f64 */
    double drop[MAX_LAYERS];        /* --dropout: layer l+1's input */
    double gdrop[MAX_LAYERS];       /* --grad-dropout: into its output */
    size_t ndrop;                   /* layers named by either */
    double drop_decay;              /* --dropout-decay per epoch */
    double tlo, thi;                /* --targets LO,HI */
    size_t memory;                  /* --memory: bytes of rows held */
    const char *state;              /* --state FILE */
    int qbits;                      /* --quantize N, or 0 */
    int qdynamic;                   /* --quantize dynamic[:C]: C + 1 */
} options;

enum { SCHED_CONST, SCHED_COSINE, SCHED_STEP };

typedef struct trainer {
    const options *o;
    nn_net net;
    nn_trainset *d, *val;           /* the data, the --valid set */
    size_t k;                       /* classes, 0 for targets */
    uint32_t *cb;                   /* a batch's class numbers */
    nn_tape *tape;
    nn_optim *opt;
    const void **g;                 /* the gradients the optimizer steps by */
    int *gdt;                       /* and their dtypes */
    void *xb, *tb, **dw;            /* a batch; weight gradients per layer,
                                     * in the compute type */
    double **dc;                    /* coefficient gradients */
    size_t nl;                      /* layers with gradients */
    size_t nbody;                   /* layers of NET (the head's follow) */
    double *gsq;                    /* per layer: sum over the epoch's
                                     * steps of the mean squared gradient */
    nn_writer *log, *traj;
    double qraw, qcoded;            /* --quantize: bits a weight, the last
                                     * epoch: the codes, Huffman-coded */
    int loss;
    uint64_t step;
} trainer;

/* ----------------------------------------------------------- optimiser */

/* The gradients' buffers, and the optimizer over every parameter of the
 * layers not frozen (with the single-precision copy of the weights kept
 * current when the passes run in f32). */
static int params_init(trainer *T, nn_error *e)
{
    const options *o = T->o;
    nn_net *net = &T->net;
    static const int kinds[] = {NN_OPTIM_ADAM, NN_OPTIM_ADAMW, NN_OPTIM_SGD};
    T->dw = calloc(net->n, sizeof *T->dw);
    T->dc = calloc(net->n, sizeof *T->dc);
    T->g = calloc(2 * net->n, sizeof *T->g);
    T->gdt = calloc(2 * net->n, sizeof *T->gdt);
    if (!T->dw || !T->dc || !T->g || !T->gdt ||
        !(T->opt = nn_optim_new(kinds[o->optimizer], o->momentum, o->nesterov,
                                o->lambda, e)))
        return nn_fail(e, "out of memory");
    T->nl = net->n;
    size_t k = 0;
    for (size_t l = 0; l < net->n; l++) {
        nn_layer *L = &net->layers[l];
        size_t nw = (1 + L->n_in) * L->n_out;
        int frozen = l < o->nfrozen && o->frozen[l];
        size_t nc = L->coef ? L->n_out * (size_t)(L->act.degree + 1) : 0;
        if (frozen && !o->log) /* no gradient: the pass skips it */
            continue;
        if (!(T->dw[l] = nn_alloc(nw, nn_dtype_size(o->dtype), "gradients",
                                  e)))
            return -1;
        if (nc && !(T->dc[l] = nn_alloc(nc, sizeof(double), "gradients", e)))
            return -1;
        if (frozen) /* --log: its gradient is logged */
            continue;
        if (o->dtype == NN_F32 ? nn_layer_weights_f32(L, e) < 0 ||
                                     nn_optim_add_f32(T->opt, L->wf, nw, e) < 0
                               : nn_optim_add(T->opt, L->w, NULL, nw, e) < 0)
            return -1;
        T->g[k] = T->dw[l];
        T->gdt[k++] = o->dtype;
        if (nc) {
            if (nn_optim_add(T->opt, L->coef, NULL, nc, e) < 0)
                return -1;
            T->g[k] = T->dc[l];
            T->gdt[k++] = NN_F64;
        }
    }
    return 0;
}

/* The learning rate of the coming step: warm-up, then the schedule. */
static double rate(const trainer *T)
{
    const options *o = T->o;
    uint64_t s = T->step;
    uint64_t per = (nn_trainset_rows(T->d) + o->batch - 1) / o->batch;
    double lr = o->lr;
    if (o->schedule == SCHED_COSINE) {
        double total = (double)(per * o->epochs);
        lr *= 0.5 * (1 + cos(M_PI * (double)s / (total > 1 ? total : 1)));
    } else if (o->schedule == SCHED_STEP) {
        lr *= pow(o->gamma, (double)(s / per / o->step_every));
    }
    if (s < o->warmup)
        lr *= (double)(s + 1) / (double)o->warmup;
    return lr;
}

/* One step of the optimiser on every parameter (PyTorch's update rules,
 * for results that compare), started (nn_optim_post): the caller works
 * meanwhile, then calls params_wait. */
static void params_post(trainer *T)
{
    nn_optim_post(T->opt, rate(T), T->g, T->gdt);
    T->step++;
}

static void params_wait(trainer *T) { nn_optim_wait(T->opt); }

/* ------------------------------------------------------------- training */

/* Index of the largest of n values (of the compute type: f32 or f64). */
static size_t argmax(const void *v, int dt, size_t n)
{
    size_t b = 0;
    if (dt == NN_F32) {
        const float *f = v;
        for (size_t j = 1; j < n; j++)
            b = f[j] > f[b] ? j : b;
        return b;
    }
    const double *d = v;
    for (size_t j = 1; j < n; j++)
        b = d[j] > d[b] ? j : b;
    return b;
}

typedef struct tally {
    double loss;
    uint64_t rows, correct, steps;
} tally;

/* Loss and accuracy of a batch just run forward (y its output, cls its
 * class numbers when there are k classes). */
static void tally_add(tally *s, size_t k, const uint32_t *cls, size_t m,
                      size_t n_out, const void *y, int dt, double loss)
{
    s->loss += loss * (double)m;
    s->rows += m;
    if (!k)
        return;
    for (size_t i = 0; i < m; i++) { /* one output: the sign's class */
        size_t c = n_out == 1 ? nn_elem_f64(y, dt, i) > 0
                              : argmax((const char *)y + i * n_out *
                                           nn_dtype_size(dt), dt, n_out);
        s->correct += c == cls[i];
    }
}

/* In f32, the weights trained live in single precision (l->wf): their
 * double copy, which is written, made current. */
static void sync_weights(trainer *T)
{
    for (size_t l = 0; T->o->dtype == NN_F32 && l < T->net.n; l++) {
        nn_layer *L = &T->net.layers[l];
        if (!(l < T->o->nfrozen && T->o->frozen[l]))
            nn_convert(L->w, NN_F64, L->wf, NN_F32, (1 + L->n_in) * L->n_out);
    }
}

/* The layers to w, each with key=value added to its attributes. */
static int write_layers(trainer *T, nn_writer *w, const char *key,
                        const char *value, nn_error *e)
{
    sync_weights(T);
    for (size_t l = 0; l < T->net.n; l++) {
        nn_layer *L = &T->net.layers[l];
        char *a = nn_attrs_set(L->attrs, key, value), *keep = L->attrs;
        if (!a)
            return nn_fail(e, "out of memory");
        L->attrs = a;
        int rc = nn_layer_write(w, L, L->dtype, e);
        L->attrs = keep;
        free(a);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int train_epoch(trainer *T, uint64_t epoch, nn_rng *g, tally *s,
                       nn_progress *prog, nn_error *e)
{
    const options *o = T->o;
    size_t n_out = T->net.layers[T->net.n - 1].n_out, m;
    uint64_t rows = nn_trainset_rows(T->d), at = 0;
    if (nn_trainset_pass(T->d, g, e) < 0)
        return -1;
    *s = (tally){0};
    memset(T->gsq, 0, T->net.n * sizeof *T->gsq);
    if (nn_trainset_next(T->d, o->batch, o->dtype, T->xb, T->tb, T->cb, &m,
                         e) < 0)
        return -1;
    while (m) {
        const void *y = nn_tape_run(T->tape, &T->net, m, T->xb, e);
        if (!y)
            return -1;
        double loss = nn_tape_grad(T->tape, &T->net, T->loss, T->tb, T->dw,
                                   T->dc);
        if (!isfinite(loss))
            return nn_fail(e, "the loss diverged at epoch %llu, step %llu "
                           "(%g): lower --lr", (unsigned long long)epoch,
                           (unsigned long long)(T->step + 1), loss);
        tally_add(s, T->k, T->cb, m, n_out, y, o->dtype, loss);
        s->steps++;
        at += m;
        /* the gradients' squares are summed and the next batch gathered
         * while the step updates the parameters (it reads the gradients
         * and writes neither them nor the batch, the tape or the tally) */
        params_post(T);
        for (size_t l = 0; T->log && l < T->net.n; l++) {
            const nn_layer *L = &T->net.layers[l];
            /* every layer has a gradient with --log */
            T->gsq[l] += nn_grad_mean_square(T->dw[l], o->dtype,
                                             (1 + L->n_in) * L->n_out);
        }
        int rc = nn_trainset_next(T->d, o->batch, o->dtype, T->xb, T->tb,
                                  T->cb, &m, e);
        params_wait(T);
        if (rc < 0)
            return -1;
        if (T->traj && o->every_steps && T->step % o->every_steps == 0) {
            char num[32];
            snprintf(num, sizeof num, "%llu", (unsigned long long)T->step);
            if (write_layers(T, T->traj, "checkpoint", num, e) < 0)
                return -1;
        }
        if (prog->enabled) {
            char acc[32] = "";
            if (T->k)
                snprintf(acc, sizeof acc, ", %.2f%%",
                         100.0 * (double)s->correct / (double)s->rows);
            nn_progress_note(prog, "epoch %llu/%llu, loss %.4f%s",
                             (unsigned long long)epoch,
                             (unsigned long long)o->epochs,
                             s->loss / (double)s->rows, acc);
            nn_progress_update(prog, (epoch - 1) * rows + at,
                               o->epochs * rows, "rows");
        }
    }
    return 0;
}

/* Loss and accuracy of the network on the --valid set, in batches. */
static int score(trainer *T, tally *s, nn_error *e)
{
    size_t n_out = T->net.layers[T->net.n - 1].n_out, m;
    *s = (tally){0};
    if (nn_trainset_pass(T->val, NULL, e) < 0)
        return -1;
    for (;;) {
        if (nn_trainset_next(T->val, T->o->batch, T->o->dtype, T->xb, T->tb,
                             T->cb, &m, e) < 0)
            return -1;
        if (m == 0)
            return 0;
        const void *y = nn_tape_run(T->tape, &T->net, m, T->xb, e);
        if (!y)
            return -1;
        double loss = nn_tape_loss(T->tape, &T->net, T->loss, T->tb);
        tally_add(s, T->k, T->cb, m, n_out, y, T->o->dtype, loss);
    }
}

static void say_epoch(const trainer *T, uint64_t epoch, const tally *s,
                      const tally *v, double secs)
{
    char acc[32] = "", vacc[64] = "";
    if (T->k)
        snprintf(acc, sizeof acc, ", train %.2f%%",
                 100.0 * (double)s->correct / (double)s->rows);
    if (v && T->k)
        snprintf(vacc, sizeof vacc, ", valid loss %.4f, %.2f%%",
                 v->loss / (double)v->rows,
                 100.0 * (double)v->correct / (double)v->rows);
    else if (v)
        snprintf(vacc, sizeof vacc, ", valid loss %.4f",
                 v->loss / (double)v->rows);
    nn_warn("epoch %llu/%llu: loss %.4f%s%s, %.1f s",
            (unsigned long long)epoch, (unsigned long long)T->o->epochs,
            s->loss / (double)s->rows, acc, vacc, secs);
}

/* The epoch's row of the log: epoch, loss, accuracy, valid loss and
 * accuracy (NaN when there is none), seconds, the rate of the last step,
 * the RMS gradient of each layer's weights over the epoch's steps. */
static int log_epoch(trainer *T, uint64_t ep, const tally *s, const tally *v,
                     double secs, nn_error *e)
{
    int q = T->o->qbits || T->o->qdynamic;
    size_t L = T->net.n, nc = 7 + L + (q ? 2 : 0);
    double row[9 + 4096];
    char attrs[256 + 16 * 4096];
    int n = snprintf(attrs, sizeof attrs, "producer=nn-train %s\ncolumns="
                     "epoch,loss,accuracy,valid_loss,valid_accuracy,seconds,"
                     "lr", NN_VERSION);
    for (size_t l = 0; l < L && n < (int)sizeof attrs - 32; l++)
        n += snprintf(attrs + n, sizeof attrs - (size_t)n, ",grad_rms_%zu",
                      l + 1);
    if (q)
        n += snprintf(attrs + n, sizeof attrs - (size_t)n,
                      ",bits_raw,bits_huffman");
    snprintf(attrs + n, sizeof attrs - (size_t)n, "\n");
    if (q) {
        row[7 + L] = T->qraw;
        row[8 + L] = T->qcoded;
    }
    row[0] = (double)ep;
    row[1] = s->loss / (double)s->rows;
    row[2] = T->k ? (double)s->correct / (double)s->rows : NAN;
    row[3] = v ? v->loss / (double)v->rows : NAN;
    row[4] = v && T->k ? (double)v->correct / (double)v->rows : NAN;
    row[5] = secs;
    row[6] = rate(T);
    for (size_t l = 0; l < L; l++)
        row[7 + l] = sqrt(T->gsq[l] / (double)(s->steps ? s->steps : 1));
    nn_header h = {.name = "log", .dtype = NN_F64, .rank = 2,
                   .dims = {1, nc}, .attrs = attrs};
    return nn_writer_rows(T->log, &h, row, e);
}

/* --quantize: every trained layer's weights replaced by what a reader
 * decodes of their quantization (the exchange of thesis ch. 3); the bits
 * a weight of the raw codes and of their Huffman coding (its table
 * included) over the trained layers. */
static int quantize_weights(trainer *T, nn_error *e)
{
    const options *o = T->o;
    nn_qdynamic dyn = {0.03, 4, o->qdynamic - 1, 10};
    double n_all = 0, raw = 0, coded = 0;
    sync_weights(T);
    for (size_t l = 0; l < T->net.n; l++) {
        nn_layer *L = &T->net.layers[l];
        if (l < o->nfrozen && o->frozen[l])
            continue;
        size_t n = (1 + L->n_in) * L->n_out;
        int bits = o->qdynamic ? nn_qdynamic_bits(L->w, n, &dyn, o->seed + l)
                               : o->qbits;
        nn_qspec sp = {.scheme = bits <= 16 ? NN_Q_HUFFMAN : NN_Q_FIXED,
                       .bits = bits};
        uint64_t bytes;
        if (nn_layer_requantize(L, &sp, &bytes, e) < 0)
            return nn_error_wrap(e, "--quantize, layer %zu", l + 1);
        if (o->dtype == NN_F32) /* the optimizer's copy */
            nn_convert(L->wf, NN_F32, L->w, NN_F64, n);
        n_all += (double)n;
        raw += (double)n * bits;
        coded += 8.0 * (double)bytes;
    }
    T->qraw = raw / n_all;
    T->qcoded = coded / n_all;
    return 0;
}

static int train(trainer *T, nn_error *e)
{
    const options *o = T->o;
    nn_rng g;
    nn_rng_seed(&g, o->seed);
    nn_progress prog;
    nn_progress_init(&prog, nn_prog, o->progress);
    int rc = 0;
    for (uint64_t ep = 1; ep <= o->epochs && rc == 0; ep++) {
        double t0 = nn_now();
        tally s, v;
        double decay = pow(o->drop_decay, (double)(ep - 1));
        for (size_t l = 0; l < o->ndrop && rc == 0; l++)
            if (o->drop[l] > 0 || o->gdrop[l] > 0)
                rc = nn_tape_dropout(T->tape, &T->net, l, o->drop[l] * decay,
                                     o->gdrop[l], e);
        nn_tape_training(T->tape, 1, o->seed * 1000003u + ep);
        if (rc == 0)
            rc = train_epoch(T, ep, &g, &s, &prog, e);
        nn_tape_training(T->tape, 0, 0);
        if (rc == 0 && (o->qbits || o->qdynamic))
            rc = quantize_weights(T, e);
        if (rc == 0 && T->val)
            rc = score(T, &v, e);
        double secs = nn_now() - t0;
        if (rc == 0 && o->verbose)
            say_epoch(T, ep, &s, T->val ? &v : NULL, secs);
        if (rc == 0 && T->log)
            rc = log_epoch(T, ep, &s, T->val ? &v : NULL, secs, e);
        if (rc == 0 && T->traj && !o->every_steps && ep % o->every == 0) {
            char num[32];
            snprintf(num, sizeof num, "%llu", (unsigned long long)ep);
            rc = write_layers(T, T->traj, "checkpoint", num, e);
        }
    }
    nn_progress_end(&prog);
    return rc;
}

/* ------------------------------------------------------ optimizer state */

static const char *const optim_names[] = {"adam", "adamw", "sgd", NULL};

/* --state: the optimizer's moments as records m1 and m2 per parameter
 * array (attributes param, optimizer, steps). */
static int state_write(trainer *T, nn_error *e)
{
    nn_writer *w = nn_writer_open(T->o->state, 0, e);
    if (!w)
        return -1;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < nn_optim_count(T->opt); k++) {
        void *m[2];
        size_t n;
        int dt;
        nn_optim_moments(T->opt, k, &m[0], &m[1], &n, &dt);
        char attrs[160];
        snprintf(attrs, sizeof attrs, "producer=nn-train %s\nparam=%zu\n"
                 "optimizer=%s\nsteps=%llu\n", NN_VERSION, k,
                 optim_names[T->o->optimizer],
                 (unsigned long long)nn_optim_steps(T->opt));
        for (int i = 0; rc == 0 && i < 2; i++) {
            nn_header h = {.name = i ? "m2" : "m1", .dtype = dt, .rank = 1,
                           .dims = {n}, .attrs = attrs};
            rc = nn_writer_put(w, &h, m[i], e);
        }
    }
    return nn_writer_close(w, rc == 0, rc == 0 ? e : NULL) < 0 || rc < 0 ? -1
                                                                         : 0;
}

/* --state FILE, when it exists: the moments and the step count, checked
 * against the optimizer and the parameters they are for. */
static int state_read(trainer *T, nn_error *e)
{
    const char *path = T->o->state;
    if (access(path, F_OK) != 0)
        return 0; /* the first run: nothing to start from */
    nn_reader *r = nn_reader_open(path, e);
    if (!r)
        return -1;
    size_t count = nn_optim_count(T->opt), seen = 0;
    uint64_t steps = 0;
    const nn_record *rec;
    int rc;
    while ((rc = nn_reader_next(r, &rec, e)) == 1) {
        char v[64], opt[16];
        unsigned long long k, st;
        int i = strcmp(rec->name, "m2") == 0;
        if ((!i && strcmp(rec->name, "m1")) || rec->rank != 1 ||
            nn_attrs_get(rec->attrs, "param", v, sizeof v) != 1 ||
            sscanf(v, "%llu", &k) != 1 ||
            nn_attrs_get(rec->attrs, "steps", v, sizeof v) != 1 ||
            sscanf(v, "%llu", &st) != 1 ||
            nn_attrs_get(rec->attrs, "optimizer", opt, sizeof opt) != 1) {
            rc = nn_fail(e, "%s: record %llu is no optimizer state (m1, m2 "
                         "with param, optimizer and steps)", path,
                         (unsigned long long)rec->index);
            break;
        }
        if (strcmp(opt, optim_names[T->o->optimizer])) {
            rc = nn_fail(e, "%s: the state of %s, not %s", path, opt,
                         optim_names[T->o->optimizer]);
            break;
        }
        void *m[2];
        size_t n;
        int dt;
        if (k < count)
            nn_optim_moments(T->opt, (size_t)k, &m[0], &m[1], &n, &dt);
        if (k >= count || rec->dims[0] != n || rec->dtype != dt) {
            rc = nn_fail(e, "%s: parameter %llu's state does not fit this "
                         "network and -t (%s of %llu)", path, k,
                         nn_dtype_name(rec->dtype),
                         (unsigned long long)rec->dims[0]);
            break;
        }
        memcpy(m[i], rec->data, rec->nbytes);
        steps = st;
        seen++;
    }
    nn_reader_close(r);
    if (rc == 0 && seen != 2 * count)
        rc = nn_fail(e, "%s: %zu moment arrays; the network trains %zu "
                     "parameter arrays (2 each)", path, seen, count);
    if (rc < 0)
        return -1;
    nn_optim_set_steps(T->opt, steps);
    return 0;
}

/* ---------------------------------------------------------------- setup */

/* How the rows are held, on stderr. */
static void say_data(const trainer *T)
{
    const nn_trainset *d = T->d;
    uint64_t rows = nn_trainset_rows(d);
    size_t held = nn_trainset_held_rows(d), rb = nn_trainset_row_bytes(d);
    if (nn_trainset_spilled(d))
        nn_warn("%s: %llu rows, more than --memory holds: spilled to "
                "$TMPDIR, read back every epoch by blocks of %zu rows in a "
                "random order, %zu rows (%.1f%%, %.0f MB) shuffled at a "
                "time", nn_trainset_name(d), (unsigned long long)rows,
                nn_trainset_block_rows(d), held,
                100.0 * (double)held / (double)rows,
                (double)held * (double)rb / 1e6);
    else
        nn_warn("%s: %llu rows held (%.0f MB), a new permutation every epoch",
                nn_trainset_name(d), (unsigned long long)rows,
                (double)held * (double)rb / 1e6);
}

/* --head: its layers appended to the network's, when the widths chain. */
static int load_head(trainer *T, nn_error *e)
{
    T->nbody = T->net.n;
    if (!T->o->head)
        return 0;
    nn_net h;
    if (nn_net_load(T->o->head, &h, e) < 0)
        return -1;
    size_t w = T->net.layers[T->net.n - 1].n_out, hin = h.layers[0].n_in;
    nn_layer *all = NULL;
    if (hin != w ||
        !(all = realloc(T->net.layers, (T->net.n + h.n) * sizeof *all))) {
        nn_net_free(&h);
        return hin != w ? nn_fail(e, "%s: the head takes %zu inputs; the "
                                  "network gives %zu", T->o->head, hin, w)
                        : nn_fail(e, "out of memory");
    }
    memcpy(all + T->net.n, h.layers, h.n * sizeof *all);
    T->net.layers = all;
    T->net.n += h.n;
    free(h.layers); /* its layers now belong to the network */
    return 0;
}

static int setup(trainer *T, nn_error *e)
{
    const options *o = T->o;
    if (nn_net_load(o->net, &T->net, e) < 0 || load_head(T, e) < 0)
        return -1;
    const nn_layer *top = &T->net.layers[T->net.n - 1];
    T->loss = o->loss >= 0 ? o->loss : nn_loss_default(&top->act);
    if (nn_loss_check(T->loss, &top->act, e) < 0)
        return nn_error_wrap(e, "%s", o->net);
    int pm1 = T->loss == NN_LOSS_HINGE;
    if (pm1 && (o->tlo != 0 || o->thi != 1))
        return nn_fail(e, "--targets: hinge takes targets -1 and 1");
    nn_trainset_spec sp = {.x = o->name, .y = o->labels,
                           .n_in = T->net.layers[0].n_in,
                           .n_out = top->n_out, .pm1 = pm1,
                           .tlo = pm1 ? -1 : o->tlo, .thi = pm1 ? 1 : o->thi,
                           .memory = o->memory};
    if (!(T->d = nn_trainset_open(o->in, &sp, e)) ||
        (o->valid && !(T->val = nn_trainset_open(o->valid, &sp, e))))
        return -1;
    T->k = nn_trainset_classes(T->d);
    if (T->val && nn_trainset_classes(T->val) != T->k)
        return nn_fail(e, "%s: %s, but %s has %s", o->valid,
                       T->k ? "targets" : "class labels", o->in,
                       T->k ? "class labels" : "targets");
    size_t b = o->batch, n_in = T->net.layers[0].n_in;
    size_t ec = nn_dtype_size(o->dtype);
    if (!(T->tape = nn_tape_open(&T->net, b, o->dtype, e)) ||
        !(T->xb = nn_alloc(b * n_in, ec, "batch", e)) ||
        !(T->tb = nn_alloc(b * top->n_out, ec, "batch", e)) ||
        !(T->cb = nn_alloc(b, sizeof *T->cb, "batch", e)))
        return -1;
    if (o->verbose)
        say_data(T);
    if (o->verbose)
        nn_warn("%s, batch %llu, %s lr %g",
                nn_loss_name(T->loss), (unsigned long long)o->batch,
                o->optimizer == OPT_SGD ? "sgd" : o->optimizer == OPT_ADAM
                                                      ? "adam" : "adamw",
                o->lr);
    if (!(T->gsq = calloc(T->net.n, sizeof *T->gsq)))
        return nn_fail(e, "out of memory");
    if (T->net.n > 4096 && o->log)
        return nn_fail(e, "--log takes networks of at most 4096 layers");
    if ((o->log && !(T->log = nn_writer_open(o->log, 0, e))) ||
        (o->trajectory && !(T->traj = nn_writer_open(o->trajectory, 0, e))))
        return -1;
    for (size_t l = 0; l < o->nfrozen; l++)
        if (o->frozen[l] && l >= T->net.n)
            return nn_fail(e, "--freeze %zu: the network has %zu layers",
                           l + 1, T->net.n);
    if (params_init(T, e) < 0)
        return -1;
    return o->state ? state_read(T, e) : 0;
}

/* The trained network: its layers' attributes say who trained them and
 * for how many epochs. */
static int write_net(trainer *T, nn_writer *w, nn_writer *hw, nn_error *e)
{
    char v[64], ep[32];
    sync_weights(T);
    snprintf(v, sizeof v, "nn-train %s", NN_VERSION);
    snprintf(ep, sizeof ep, "%llu", (unsigned long long)T->o->epochs);
    for (size_t l = 0; l < T->net.n; l++)
        if (nn_layer_set_attr(&T->net.layers[l], "producer", v, e) < 0 ||
            nn_layer_set_attr(&T->net.layers[l], "epochs", ep, e) < 0)
            return -1;
    for (size_t l = 0; l < T->net.n; l++) {
        nn_writer *to = l < T->nbody ? w : hw;
        if (to && nn_layer_write(to, &T->net.layers[l], T->net.layers[l].dtype,
                                 e) < 0)
            return -1;
    }
    return 0;
}

/* The log and the trajectory hold whole epochs only: they are kept even
 * when training fails later (ok), the last good checkpoint with them. */
static int close_side_outputs(trainer *T, int ok, nn_error *e)
{
    int rc = 0;
    if (T->log && nn_writer_close(T->log, ok, e) < 0)
        rc = -1;
    if (T->traj && nn_writer_close(T->traj, ok, rc == 0 ? e : NULL) < 0)
        rc = -1;
    T->log = T->traj = NULL;
    return rc;
}

static void trainer_free(trainer *T)
{
    nn_trainset_close(T->d);
    nn_trainset_close(T->val);
    free(T->cb);
    nn_tape_free(T->tape);
    nn_optim_free(T->opt);
    free(T->g);
    free(T->gdt);
    for (size_t l = 0; l < T->nl; l++)
        free(T->dw[l]), free(T->dc[l]);
    free(T->dw);
    free(T->dc);
    free(T->xb);
    free(T->tb);
    free(T->gsq);
    nn_net_free(&T->net);
}

/* --schedule const | cosine | step:EVERY[:GAMMA] */
static void parse_schedule(options *o, const char *arg)
{
    static const char *const names[] = {"const", "cosine", "step", NULL};
    char head[16];
    snprintf(head, sizeof head, "%.*s", (int)strcspn(arg, ":"), arg);
    o->schedule = nn_arg_choice("schedule", head, names);
    const char *p = strchr(arg, ':');
    if (o->schedule != SCHED_STEP) {
        if (p)
            nn_usage_error("invalid --schedule '%s': %s takes no parameters",
                           arg, head);
        return;
    }
    char every[32] = "", gamma[32] = "";
    if (!p || sscanf(p, ":%31[^:]:%31s", every, gamma) < 1)
        nn_usage_error("invalid --schedule '%s': expected step:EVERY[:GAMMA]",
                       arg);
    o->step_every = nn_arg_u64("schedule", every, 1, UINT64_MAX);
    if (gamma[0])
        o->gamma = nn_arg_double("schedule", gamma, 0, 1);
}

/* --dropout 1:0.2,2:0.5: a rate in [0, 1) per layer, from 1 */
static void parse_rates(options *o, const char *opt, const char *arg,
                        double *rate)
{
    char buf[256], *save = NULL;
    if (strlen(arg) >= sizeof buf)
        nn_usage_error("invalid --%s: a list of over 255 bytes", opt);
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(k, ':');
        if (!colon)
            nn_usage_error("invalid --%s '%s': expected LAYER:RATE[,...]", opt,
                           arg);
        *colon = 0;
        size_t l = (size_t)nn_arg_u64(opt, k, 1, MAX_LAYERS);
        double p = nn_arg_double(opt, colon + 1, 0, 0.99);
        rate[l - 1] = p;
        o->ndrop = l > o->ndrop ? l : o->ndrop;
    }
}

/* --freeze 1,3: layers from 1 */
/* --quantize N (fixed, 1..24 bits) or dynamic[:C] (Algorithm 1, floor C,
 * default 5). */
static void parse_quantize(options *o, const char *arg)
{
    if (strncmp(arg, "dynamic", 7) == 0 && (!arg[7] || arg[7] == ':')) {
        o->qdynamic = 1 + (arg[7] ? (int)nn_arg_u64("quantize", arg + 8, 0, 16)
                                  : 5);
        return;
    }
    o->qbits = (int)nn_arg_u64("quantize", arg, 1, 24);
}

static void parse_freeze(options *o, const char *arg)
{
    char buf[256], *save = NULL;
    if (strlen(arg) >= sizeof buf)
        nn_usage_error("invalid --freeze: a list of over 255 bytes");
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        size_t l = (size_t)nn_arg_u64("freeze", k, 1, 4096);
        if (l > o->nfrozen) {
            unsigned char *f = realloc(o->frozen, l);
            if (!f)
                nn_die("out of memory");
            memset(f + o->nfrozen, 0, l - o->nfrozen);
            o->frozen = f;
            o->nfrozen = l;
        }
        o->frozen[l - 1] = 1;
    }
}

static void parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"epochs", required_argument, 0, 'e'},
        {"batch", required_argument, 0, 'b'},
        {"lr", required_argument, 0, OPT_LR},
        {"optimizer", required_argument, 0, OPT_OPTIMIZER},
        {"momentum", required_argument, 0, OPT_MOMENTUM},
        {"nesterov", no_argument, 0, OPT_NESTEROV},
        {"lambda", required_argument, 0, 'l'},
        {"objective", required_argument, 0, OPT_OBJECTIVE},
        {"targets", required_argument, 0, OPT_TARGETS},
        {"memory", required_argument, 0, OPT_MEMORY},
        {"name", required_argument, 0, 'n'},
        {"labels", required_argument, 0, 'y'},
        {"valid", required_argument, 0, OPT_VALID},
        {"head", required_argument, 0, OPT_HEAD},
        {"head-out", required_argument, 0, OPT_HEAD_OUT},
        {"schedule", required_argument, 0, OPT_SCHEDULE},
        {"warmup", required_argument, 0, OPT_WARMUP},
        {"freeze", required_argument, 0, OPT_FREEZE},
        {"dropout", required_argument, 0, OPT_DROPOUT},
        {"grad-dropout", required_argument, 0, OPT_GRAD_DROPOUT},
        {"dropout-decay", required_argument, 0, OPT_DROPOUT_DECAY},
        {"log", required_argument, 0, OPT_LOG},
        {"trajectory", required_argument, 0, OPT_TRAJECTORY},
        {"every", required_argument, 0, OPT_EVERY},
        {"every-steps", required_argument, 0, OPT_EVERY_STEPS},
        {"quantize", required_argument, 0, OPT_QUANTIZE},
        {"state", required_argument, 0, OPT_STATE},
        {"seed", required_argument, 0, 's'},
        {"verbose", no_argument, 0, 'v'},
        {"dtype", required_argument, 0, 't'},
        NN_LONGOPTS_OUTPUT,
        {"progress", no_argument, 0, 'P'},
        NN_LONGOPTS_END};
    static const char *const objectives[] = {"mse", "xent", "sigmoid-xent",
                                             "hinge", "exp-ga", "pow3-ga",
                                             NULL};
    *o = (options){.name = "x", .labels = "y", .out = "-", .epochs = 10,
                   .batch = 64, .seed = 1, .lr = -1, .momentum = 0.9,
                   .loss = -1, .every = 1, .gamma = 0.1, .dtype = NN_F32,
                   .drop_decay = 1, .thi = 1};
    int c;
    while ((c = getopt_long(argc, argv, ":e:b:l:n:y:s:vt:o:z::PhV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'e': o->epochs = nn_arg_u64("epochs", optarg, 0, 1000000); break;
        case 'b': o->batch = nn_arg_u64("batch", optarg, 1, 4096); break;
        case OPT_LR: o->lr = nn_arg_positive("lr", optarg); break;
        case OPT_OPTIMIZER:
            o->optimizer = nn_arg_choice("optimizer", optarg, optim_names);
            break;
        case OPT_MOMENTUM:
            o->momentum = nn_arg_double("momentum", optarg, 0, 1);
            break;
        case OPT_NESTEROV: o->nesterov = 1; break;
        case 'l': o->lambda = nn_arg_double("lambda", optarg, 0, INFINITY); break;
        case OPT_OBJECTIVE:
            o->loss = nn_loss_parse(objectives[nn_arg_choice(
                "objective", optarg, objectives)]);
            break;
        case OPT_TARGETS: nn_arg_targets("targets", optarg, &o->tlo, &o->thi); break;
        case OPT_MEMORY:
            o->memory = (size_t)nn_arg_bytes("memory", optarg, 1);
            break;
        case 'n': o->name = optarg; break;
        case 'y': o->labels = optarg; break;
        case OPT_VALID: o->valid = optarg; break;
        case OPT_HEAD: o->head = optarg; break;
        case OPT_HEAD_OUT: o->head_out = optarg; break;
        case OPT_SCHEDULE: parse_schedule(o, optarg); break;
        case OPT_WARMUP: o->warmup = nn_arg_u64("warmup", optarg, 0, UINT64_MAX); break;
        case OPT_FREEZE: parse_freeze(o, optarg); break;
        case OPT_DROPOUT: parse_rates(o, "dropout", optarg, o->drop); break;
        case OPT_GRAD_DROPOUT:
            parse_rates(o, "grad-dropout", optarg, o->gdrop);
            break;
        case OPT_DROPOUT_DECAY:
            o->drop_decay = nn_arg_double("dropout-decay", optarg, 0, 1);
            break;
        case OPT_LOG: o->log = optarg; break;
        case OPT_TRAJECTORY: o->trajectory = optarg; break;
        case OPT_EVERY: o->every = nn_arg_u64("every", optarg, 1, UINT64_MAX); break;
        case OPT_QUANTIZE: parse_quantize(o, optarg); break;
        case OPT_STATE: o->state = optarg; break;
        case OPT_EVERY_STEPS:
            o->every_steps = nn_arg_u64("every-steps", optarg, 1, UINT64_MAX);
            break;
        case 's': o->seed = nn_arg_u64("seed", optarg, 0, UINT64_MAX); break;
        case 'v': o->verbose = 1; break;
        case 't': o->dtype = nn_float_dtype_arg(optarg); break;
        case 'o': o->out = optarg; break;
        case 'z': o->level = nn_zstd_level_arg(optarg); break;
        case 'P': o->progress = 1; break;
        default: nn_tool_option(c, argv, usage);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        nn_usage_error(argc == optind ? "missing NET" : "too many arguments");
    o->net = argv[optind];
    o->in = optind + 1 < argc ? argv[optind + 1] : "-";
    if (strcmp(o->net, "-") == 0 && strcmp(o->in, "-") == 0)
        nn_usage_error("NET and the data cannot both be stdin");
    if (o->head_out && !o->head)
        nn_usage_error("--head-out goes with --head");
    if (o->nesterov && (o->optimizer != OPT_SGD || o->momentum == 0))
        nn_usage_error("--nesterov goes with --optimizer sgd and a momentum");
    if (o->lr < 0)
        o->lr = o->optimizer == OPT_SGD ? 0.01 : 0.001;
    if (!o->memory) /* half of the machine's memory */
        o->memory = nn_default_memory();
}

int main(int argc, char **argv)
{
    nn_tool_init("nn-train");
    options o;
    parse(argc, argv, &o);

    trainer T = {.o = &o};
    nn_error e, e2;
    nn_writer *w = nn_writer_open(o.out, 0, &e);
    if (!w || setup(&T, &e) < 0)
        nn_die("%s", e.msg);
    if (train(&T, &e) < 0) {
        close_side_outputs(&T, 1, &e2); /* whole epochs are kept */
        nn_die("%s", e.msg);
    }
    nn_writer_set_compression(w, o.level);
    nn_writer *hw = NULL;
    if (o.head_out && !(hw = nn_writer_open(o.head_out, 0, &e)))
        nn_die("%s", e.msg);
    if (close_side_outputs(&T, 1, &e) < 0 ||
        (o.state && state_write(&T, &e) < 0) || write_net(&T, w, hw, &e) < 0 ||
        (hw && nn_writer_close(hw, 1, &e) < 0) || nn_writer_close(w, 1, &e) < 0)
        nn_die("%s", e.msg);
    trainer_free(&T);
    free(o.frozen);
    return 0;
}

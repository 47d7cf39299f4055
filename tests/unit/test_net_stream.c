/* test_net_stream.c — streams of networks (formats/nns.md, "Streams of
 * networks"): nn_net_read_next splits a stream at a change of the
 * checkpoint attribute of the weights, leaves masks, coefficients and
 * chunks with their layer, gives 0 at the end and errors as nn_net_read
 * does; nn_net_read still reads a whole stream as one network;
 * nn_checkpoint_same and nn_net_compatible. */
#include "nn.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

/* Layer (n_in, n_out) of weights base + i (i the element's index), the
 * activation act and attrs extra (a checkpoint, say). */
static void layer_make(nn_layer *l, size_t n_in, size_t n_out, double base,
                       const char *act, const char *extra)
{
    nn_error e;
    memset(l, 0, sizeof *l);
    l->n_in = n_in;
    l->n_out = n_out;
    l->dtype = NN_F64;
    size_t n = (1 + n_in) * n_out;
    l->w = malloc(n * sizeof *l->w);
    for (size_t i = 0; i < n; i++)
        l->w[i] = base + (double)i;
    nn_act_parse(act, &l->act, &e);
    if (nn_act_is_poly(l->act.kind)) {
        size_t c = n_out * (size_t)(l->act.degree + 1);
        l->coef = malloc(c * sizeof *l->coef);
        for (size_t i = 0; i < c; i++)
            l->coef[i] = base - (double)i;
    }
    l->attrs = nn_act_to_attrs(&l->act, extra);
}

static void layer_free(nn_layer *l)
{
    free(l->w);
    free(l->mask);
    free(l->coef);
    free(l->attrs);
    free(l->wf);
}

/* Whether layer got equals layer want: shape, weights, mask, coefficients
 * and activation. */
static int layer_equal(const nn_layer *got, const nn_layer *want)
{
    size_t n = (1 + want->n_in) * want->n_out;
    if (got->n_in != want->n_in || got->n_out != want->n_out ||
        got->act.kind != want->act.kind || !!got->mask != !!want->mask ||
        !!got->coef != !!want->coef ||
        memcmp(got->w, want->w, n * sizeof *got->w) != 0)
        return 0;
    if (want->mask && memcmp(got->mask, want->mask, n) != 0)
        return 0;
    if (want->coef &&
        memcmp(got->coef, want->coef,
               want->n_out * (size_t)(want->act.degree + 1) * sizeof(double)))
        return 0;
    return 1;
}

static nn_reader *reopen(void)
{
    nn_error e;
    nn_reader *r = nn_reader_open(path, &e);
    if (!r)
        printf("# %s\n", e.msg);
    return r;
}

/* Three networks 4-3-2 (a mask in the first layer of the second, Legendre
 * units in the last of the third, its weights in chunks), checkpoints 10,
 * 20, 10: the third is a network of its own, not the first's again. */
static void test_three(void)
{
    static const char *ck[3] = {"checkpoint=10\n", "checkpoint=20\n",
                                "checkpoint=10\n"};
    nn_layer L[3][2];
    nn_error e = {{0}};
    nn_writer *w = nn_writer_open(path, 0, &e);
    int wrote = w != NULL;
    for (int k = 0; k < 3 && wrote; k++) {
        layer_make(&L[k][0], 4, 3, 100.0 * k, "tanh", ck[k]);
        layer_make(&L[k][1], 3, 2, 100.0 * k + 50,
                   k == 2 ? "legendre:2" : "identity", ck[k]);
        if (k == 1) {
            L[k][0].mask = malloc(15);
            for (int i = 0; i < 15; i++)
                L[k][0].mask[i] = i < 3 || i % 2;
            nn_layer_apply_mask(&L[k][0]);
        }
        for (int j = 0; j < 2 && wrote; j++) {
            if (k == 2 && j == 1) { /* w as two chunks: CONT, no attrs */
                nn_header h = {.name = "w", .dtype = NN_F64, .rank = 2,
                               .dims = {2, 2}, .attrs = L[k][j].attrs};
                wrote = nn_writer_rows(w, &h, L[k][j].w, &e) == 0;
                wrote = wrote && nn_writer_rows(w, &h, L[k][j].w + 4, &e) == 0;
                nn_writer_end_tensor(w, "w");
                nn_header c = {.name = "coef", .dtype = NN_F64, .rank = 2,
                               .dims = {2, 3}};
                wrote = wrote && nn_writer_put(w, &c, L[k][j].coef, &e) == 0;
            } else {
                wrote = nn_layer_write(w, &L[k][j], NN_F64, &e) == 0;
            }
        }
    }
    wrote = wrote && nn_writer_close(w, 1, &e) == 0;
    CHECK(wrote, "three networks written (%s)", wrote ? "" : e.msg);

    nn_reader *r = reopen();
    int good = r != NULL;
    for (int k = 0; k < 3 && good; k++) {
        nn_net net;
        int rc = nn_net_read_next(r, &net, &e);
        good = rc == 1 && net.n == 2 && layer_equal(&net.layers[0], &L[k][0]) &&
               layer_equal(&net.layers[1], &L[k][1]) &&
               nn_checkpoint_same(net.layers[1].attrs, ck[k]);
        CHECK(good, "network %d of 3: rc %d, %zu layers, weights, mask, "
              "coefficients and checkpoint as written%s%s", k + 1, rc,
              rc == 1 ? net.n : 0, rc < 0 ? ": " : "", rc < 0 ? e.msg : "");
        if (rc == 1)
            nn_net_free(&net);
    }
    if (r) {
        nn_net net;
        int rc = nn_net_read_next(r, &net, &e);
        CHECK(rc == 0 && net.n == 0 && !net.layers,
              "then the end: 0 and an empty network (rc %d)", rc);
        rc = nn_net_read_next(r, &net, &e);
        CHECK(rc == 0, "and 0 again (rc %d)", rc);
        nn_reader_close(r);
    }

    /* nn_net_read keeps its behaviour: the whole stream, six layers */
    nn_net all;
    r = reopen();
    int rc = r ? nn_net_read(r, &all, &e) : -1;
    CHECK(rc < 0 && strstr(e.msg, "layer 3 takes 4 inputs but layer 2 gives 2"),
          "nn_net_read of the stream reads it as one network, whose widths "
          "do not chain: %s", rc < 0 ? e.msg : "read");
    if (r)
        nn_reader_close(r);
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 2; j++)
            layer_free(&L[k][j]);
}

/* Networks 3-3 written one after another, each layer's attrs given. */
static int write_nets(const char *const *attrs, int n, nn_layer *L,
                      nn_error *e)
{
    nn_writer *w = nn_writer_open(path, 0, e);
    if (!w)
        return -1;
    for (int k = 0; k < n; k++) {
        layer_make(&L[k], 3, 3, 10.0 * k, "relu", attrs[k]);
        if (nn_layer_write(w, &L[k], NN_F32, e) < 0) {
            nn_writer_close(w, 0, e);
            return -1;
        }
    }
    return nn_writer_close(w, 1, e);
}

/* How nn_net_read_next splits layers of the given attrs: the count of
 * layers of each network, as a string ("2 1 3"). */
static void split_as(const char *what, const char *const *attrs, int n,
                     const char *want)
{
    nn_layer L[8];
    nn_error e = {{0}};
    char got[600] = "";
    if (write_nets(attrs, n, L, &e) < 0) {
        CHECK(0, "%s: written: %s", what, e.msg);
        return;
    }
    nn_reader *r = reopen();
    nn_net net;
    int rc;
    while (r && (rc = nn_net_read_next(r, &net, &e)) == 1) {
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%zu",
                 *got ? " " : "", net.n);
        nn_net_free(&net);
    }
    if (r && rc < 0)
        snprintf(got, sizeof got, "error: %s", e.msg);
    CHECK(strcmp(got, want) == 0, "%s: networks of %s layers (want %s)", what,
          got, want);
    if (r)
        nn_reader_close(r);
    for (int k = 0; k < n; k++)
        layer_free(&L[k]);
}

static void test_splits(void)
{
    const char *none[3] = {"", "", "seed=4\n"};
    split_as("no checkpoint: one network", none, 3, "3");
    const char *first_none[4] = {"", "", "checkpoint=0\n", "checkpoint=0\n"};
    split_as("none, then checkpoint=0", first_none, 4, "2 2");
    const char *last[5] = {"checkpoint=1\n", "checkpoint=2\n",
                           "a=1\ncheckpoint=2\n", "checkpoint=2\nb=2\n",
                           "checkpoint=3\n"};
    split_as("1, 2 2 2 (other keys around it), 3", last, 5, "1 3 1");
    const char *prefix[3] = {"checkpoint=1\n", "checkpoint=10\n",
                             "xcheckpoint=10\ncheckpoint=10\n"};
    split_as("1 and 10 differ, xcheckpoint is another key", prefix, 3, "1 2");
    const char *twice[2] = {"checkpoint=5\ncheckpoint=6\n", "checkpoint=6\n"};
    split_as("a key given twice: the last counts", twice, 2, "2");
    const char *back[3] = {"checkpoint=1\n", "", "checkpoint=1\n"};
    split_as("1, none, 1: three networks", back, 3, "1 1 1");
}

static void test_empty_and_errors(void)
{
    nn_error e = {{0}};
    nn_writer *w = nn_writer_open(path, 0, &e);
    nn_writer_close(w, 1, &e);
    nn_reader *r = reopen();
    nn_net net;
    int rc = nn_net_read_next(r, &net, &e);
    CHECK(rc == 0, "an empty stream: 0 at once (rc %d)", rc);
    nn_reader_close(r);
    r = reopen();
    rc = nn_net_read(r, &net, &e);
    CHECK(rc < 0 && strstr(e.msg, "no layers (an empty network)"),
          "nn_net_read of an empty stream: an error as before (%s)",
          rc < 0 ? e.msg : "read");
    nn_reader_close(r);

    /* the second network holds a NaN: the first is read, then an error */
    nn_layer L[2];
    const char *ck[2] = {"checkpoint=1\n", "checkpoint=2\n"};
    layer_make(&L[0], 3, 3, 0, "relu", ck[0]);
    layer_make(&L[1], 3, 3, 0, "relu", ck[1]);
    L[1].w[7] = NAN;
    w = nn_writer_open(path, 0, &e);
    nn_layer_write(w, &L[0], NN_F64, &e);
    nn_layer_write(w, &L[1], NN_F64, &e);
    nn_writer_close(w, 1, &e);
    r = reopen();
    rc = nn_net_read_next(r, &net, &e);
    CHECK(rc == 1 && net.n == 1, "before the bad network: the good one (rc %d)",
          rc);
    if (rc == 1)
        nn_net_free(&net);
    rc = nn_net_read_next(r, &net, &e);
    CHECK(rc < 0 && strstr(e.msg, "record 1: 'w' of layer 1 holds NaN (row 2, "
                                  "column 1"),
          "then the NaN, named by record and place: %s",
          rc < 0 ? e.msg : "read");
    CHECK(rc < 0 && net.n == 0 && !net.layers, "and nothing left to free");
    nn_reader_close(r);

    /* a truncated stream */
    long size = 0;
    FILE *f;
    /* rewritten without the NaN and with a second layer, then cut: the
     * first network is whole, the second ends early */
    L[1].w[7] = 1;
    w = nn_writer_open(path, 0, &e);
    nn_layer_write(w, &L[0], NN_F64, &e);
    nn_layer_write(w, &L[1], NN_F64, &e);
    nn_layer_write(w, &L[1], NN_F64, &e);
    nn_writer_close(w, 1, &e);
    if ((f = fopen(path, "rb"))) {
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
    }
    CHECK(truncate(path, size - 5) == 0, "cut 5 bytes");
    r = reopen();
    rc = nn_net_read_next(r, &net, &e);
    CHECK(rc == 1 && net.n == 1, "the network before the cut one (rc %d)", rc);
    if (rc == 1)
        nn_net_free(&net);
    rc = nn_net_read_next(r, &net, &e);
    CHECK(rc < 0 && strstr(e.msg, "truncated"), "a truncated last network: %s",
          rc < 0 ? e.msg : "read");
    nn_reader_close(r);

    /* a mask before any weights */
    w = nn_writer_open(path, 0, &e);
    unsigned char m[4] = {1, 1, 1, 1};
    nn_header h = {.name = "mask", .dtype = NN_U8, .rank = 2, .dims = {2, 2}};
    nn_writer_put(w, &h, m, &e);
    nn_writer_close(w, 1, &e);
    r = reopen();
    rc = nn_net_read_next(r, &net, &e);
    CHECK(rc < 0 && strstr(e.msg, "before any weights"),
          "a mask before any weights: %s", rc < 0 ? e.msg : "read");
    nn_reader_close(r);
    layer_free(&L[0]);
    layer_free(&L[1]);
}

static void test_same(void)
{
    static const struct {
        const char *a, *b;
        int same;
    } c[] = {
        {NULL, NULL, 1},
        {NULL, "", 1},
        {"", "seed=1\n", 1},
        {"checkpoint=1\n", "checkpoint=1\n", 1},
        {"a=2\ncheckpoint=1\n", "checkpoint=1\nb=3\n", 1},
        {"checkpoint=1\n", "checkpoint=10\n", 0},
        {"checkpoint=1\n", "checkpoint=01\n", 0},
        {"checkpoint=1\n", NULL, 0},
        {"xcheckpoint=1\n", NULL, 1},
        {"checkpoint=\n", NULL, 0},
        {"checkpoint=2\ncheckpoint=1\n", "checkpoint=1\n", 1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char a[64] = "NULL", b[64] = "NULL";
        if (c[i].a)
            snprintf(a, sizeof a, "'%s'", c[i].a);
        if (c[i].b)
            snprintf(b, sizeof b, "'%s'", c[i].b);
        for (char *p = a; *p; p++)
            *p = *p == '\n' ? '|' : *p;
        for (char *p = b; *p; p++)
            *p = *p == '\n' ? '|' : *p;
        int got = nn_checkpoint_same(c[i].a, c[i].b);
        int back = nn_checkpoint_same(c[i].b, c[i].a);
        CHECK(got == c[i].same && back == c[i].same,
              "nn_checkpoint_same(%s, %s) = %d both ways", a, b, c[i].same);
    }
}

static void test_compatible(void)
{
    nn_layer a[2], b[2];
    nn_error e = {{0}};
    layer_make(&a[0], 4, 3, 0, "tanh", "");
    layer_make(&a[1], 3, 2, 0, "softmax", "");
    layer_make(&b[0], 4, 3, 9, "tanh", "seed=2\n");
    layer_make(&b[1], 3, 2, 9, "softmax", "");
    nn_net A = {a, 2}, B = {b, 2}, B1 = {b, 1};
    CHECK(nn_net_compatible(&A, &B, &e) == 0, "same widths and units: "
          "compatible");
    CHECK(nn_net_compatible(&A, &B1, &e) < 0 &&
              strcmp(e.msg, "2 layers against 1") == 0,
          "another depth: %s", e.msg);
    b[1].act.kind = NN_ACT_SIGMOID;
    CHECK(nn_net_compatible(&A, &B, &e) < 0 &&
              strstr(e.msg, "layer 2 has softmax units against sigmoid"),
          "other units: %s", e.msg);
    b[1].act.kind = NN_ACT_SOFTMAX;
    b[0].n_out = 5;
    CHECK(nn_net_compatible(&A, &B, &e) < 0 &&
              strcmp(e.msg, "layer 1 is 4-3 against 4-5") == 0,
          "another width: %s", e.msg);
    for (int i = 0; i < 2; i++) {
        layer_free(&a[i]);
        layer_free(&b[i]);
    }
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/test_net_stream.%d.nns", (int)getpid());
    test_three();
    test_splits();
    test_empty_and_errors();
    test_same();
    test_compatible();
    unlink(path);
    return check_status();
}

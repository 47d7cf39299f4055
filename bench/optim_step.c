/* optim_step.c — the optimizer's share of an nn-train epoch alone: as
 * many steps as an epoch of ROWS rows in batches of BATCH takes, of
 * nn_optim_step on the parameters of W0-W1-...-WL kept in single
 * precision (nn_optim_add_f32, as nn-train -t f32 keeps them), with a
 * fixed gradient.  Prints the seconds and the bytes a step moves per
 * second (28 bytes a parameter for Adam: the gradient read, the weight
 * and two moments read and written; 16 for SGD with momentum).
 *
 *   optim_step ROWS BATCH W0-W1-...-WL [adam|sgd]
 */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 4)
        return fprintf(stderr, "usage: optim_step ROWS BATCH ARCH [adam|sgd]\n"), 2;
    size_t rows = strtoull(argv[1], NULL, 10), batch = strtoull(argv[2], NULL, 10);
    int sgd = argc > 4 && strcmp(argv[4], "sgd") == 0;
    size_t w[64], nl = 0, params = 0;
    for (char *p = argv[3]; nl < 64;) {
        w[nl++] = strtoull(p, &p, 10);
        if (*p != '-')
            break;
        p++;
    }
    nn_error e;
    nn_optim *o = nn_optim_new(sgd ? NN_OPTIM_SGD : NN_OPTIM_ADAM, 0.9, 0, 0, &e);
    const void *g[64];
    int gdt[64];
    for (size_t l = 0; l + 1 < nl; l++) {
        size_t n = (1 + w[l]) * w[l + 1];
        float *wt = calloc(n, sizeof *wt), *gr = malloc(n * sizeof *gr);
        for (size_t i = 0; i < n; i++)
            gr[i] = (float)((long)(i % 7) - 3) * 1e-3f;
        if (nn_optim_add_f32(o, wt, n, &e) < 0)
            return fprintf(stderr, "optim_step: %s\n", e.msg), 1;
        g[l] = gr;
        gdt[l] = NN_F32;
        params += n;
    }
    size_t steps = (rows + batch - 1) / batch;
    nn_optim_step(o, 1e-3, g, gdt); /* first touch of the moments */
    double t0 = nn_now();
    for (size_t s = 0; s < steps; s++)
        nn_optim_step(o, 1e-3, g, gdt);
    double t = nn_now() - t0;
    double bytes = (double)params * (sgd ? 16 : 28) * (double)steps;
    printf("%.4f %.1f\n", t, bytes / t / 1e9);
    nn_optim_free(o);
    return 0;
}

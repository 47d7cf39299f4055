/* fuzz_net.c — libFuzzer target for the network reader: any input must
 * give networks or a clean error, never a crash, a hang or a leak.  Every
 * network of the stream is read in turn (nn_net_read_next), so layers,
 * masks, coefficients, checkpoints and the decoders of quantized layers
 * (fixed codes, Huffman tables and codes, Q8_0, Q4_0, zstd planes) all
 * see the input; the weights of every network read must be finite. */
#include "nn.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    nn_error e;
    nn_reader *r = nn_reader_from_file(f, "fuzz", &e);
    nn_net net;
    int rc, count = 0;
    while (count < 64 && (rc = nn_net_read_next(r, &net, &e)) == 1) {
        count++;
        for (size_t l = 0; l < net.n; l++) /* the weights are numbers */
            if (nn_nonfinite_find(net.layers[l].w, NN_F64,
                                  (1 + net.layers[l].n_in) *
                                      net.layers[l].n_out) <
                (1 + net.layers[l].n_in) * net.layers[l].n_out)
                __builtin_trap();
        nn_net_free(&net);
    }
    nn_reader_close(r);
    fclose(f);
    return 0;
}

/* nn_labels.c — class labels: their count and their one-hot rows. */
#include "nn.h"

#include <string.h>

uint64_t nn_attrs_classes(const char *attrs)
{
    char v[32];
    uint64_t c;
    if (!attrs || !nn_attrs_get(attrs, "classes", v, sizeof v) ||
        nn_parse_u64(v, &c) < 0)
        return 0;
    return c;
}

int nn_labels_onehot(const void *y, int dt, size_t m, size_t k,
                     uint64_t row0, double *out, nn_error *e)
{
    memset(out, 0, m * k * sizeof *out);
    size_t es = nn_dtype_size(dt);
    for (size_t i = 0; i < m; i++) {
        int64_t c;
        nn_convert(&c, NN_I64, (const char *)y + i * es, dt, 1);
        if (c < 0 || (uint64_t)c >= k)
            return nn_fail(e, "label %lld in row %llu is not a class of %zu",
                           (long long)c, (unsigned long long)(row0 + i), k);
        out[i * k + (size_t)c] = 1;
    }
    return 0;
}

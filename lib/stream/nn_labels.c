/* nn_labels.c — class labels: their count and their one-hot rows. */
#include "stream/nn_stream.h"

#include <string.h>

int nn_labels_classes(const char *attrs, const char *name, uint64_t *k,
                      nn_error *e)
{
    /* a value that fills v may have been cut: never a valid one */
    char v[40];
    uint64_t c;
    *k = 0;
    if (!attrs || !nn_attrs_get(attrs, "classes", v, sizeof v))
        return 0;
    int cut = strlen(v) == sizeof v - 1;
    if (cut || nn_parse_u64(v, &c) < 0 || c == 0 || c > NN_CLASSES_MAX)
        return nn_fail(e, "the labels '%s' have classes=%s%s: not a number "
                       "of classes from 1 to %d", name, v, cut ? "..." : "",
                       NN_CLASSES_MAX);
    *k = c;
    return 1;
}

int nn_labels_onehot(const void *y, int dt, size_t m, size_t k,
                     uint64_t row0, double *out, nn_error *e)
{
    memset(out, 0, m * k * sizeof *out);
    size_t es = nn_dtype_size(dt);
    for (size_t i = 0; i < m; i++) {
        double v;
        nn_convert(&v, NN_F64, (const char *)y + i * es, dt, 1);
        if (!(v >= 0 && v < (double)k))
            return nn_fail(e, "label %.0f in row %llu is not a class of %zu",
                           v, (unsigned long long)(row0 + i), k);
        out[i * k + (size_t)v] = 1;
    }
    return 0;
}

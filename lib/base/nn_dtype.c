/* nn_dtype.c — element types and conversion between them. */
#include "base/nn_base.h"
#include "base/nn_base_private.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[NN_DTYPE_MAX + 1] = {
    [NN_U8] = {"u8", 1},   [NN_I8] = {"i8", 1},   [NN_U16] = {"u16", 2},
    [NN_I16] = {"i16", 2}, [NN_U32] = {"u32", 4}, [NN_I32] = {"i32", 4},
    [NN_U64] = {"u64", 8}, [NN_I64] = {"i64", 8}, [NN_F32] = {"f32", 4},
    [NN_F64] = {"f64", 8},
};

size_t nn_dtype_size(int dt)
{
    return dt >= 1 && dt <= NN_DTYPE_MAX ? dtypes[dt].size : 0;
}

const char *nn_dtype_name(int dt)
{
    return dt >= 1 && dt <= NN_DTYPE_MAX ? dtypes[dt].name : "?";
}

int nn_dtype_parse(const char *name)
{
    for (int dt = 1; dt <= NN_DTYPE_MAX; dt++)
        if (strcmp(name, dtypes[dt].name) == 0)
            return dt;
    return 0;
}

int nn_dtype_is_float(int dt) { return dt == NN_F32 || dt == NN_F64; }

/* The generic path goes through long double, which holds every value of
 * every dtype exactly on x86-64 (64-bit mantissa) and aarch64 (quad). */
static long double load(const void *p, int dt, size_t i)
{
    switch (dt) {
    case NN_U8: return ((const uint8_t *)p)[i];
    case NN_I8: return ((const int8_t *)p)[i];
    case NN_U16: return ((const uint16_t *)p)[i];
    case NN_I16: return ((const int16_t *)p)[i];
    case NN_U32: return ((const uint32_t *)p)[i];
    case NN_I32: return ((const int32_t *)p)[i];
    case NN_U64: return ((const uint64_t *)p)[i];
    case NN_I64: return ((const int64_t *)p)[i];
    case NN_F32: return ((const float *)p)[i];
    default: return ((const double *)p)[i];
    }
}

double nn_elem_f64(const void *p, int dt, size_t i)
{
    return (double)load(p, dt, i);
}

/* Round to nearest (ties to even) and saturate into [lo, hi]; NaN -> 0. */
static long double clampl(long double v, long double lo, long double hi)
{
    if (isnan(v))
        return 0;
    v = nearbyintl(v);
    return v < lo ? lo : v > hi ? hi : v;
}

static void store(void *p, int dt, size_t i, long double v)
{
    switch (dt) {
    case NN_U8: ((uint8_t *)p)[i] = (uint8_t)clampl(v, 0, UINT8_MAX); break;
    case NN_I8: ((int8_t *)p)[i] = (int8_t)clampl(v, INT8_MIN, INT8_MAX); break;
    case NN_U16: ((uint16_t *)p)[i] = (uint16_t)clampl(v, 0, UINT16_MAX); break;
    case NN_I16:
        ((int16_t *)p)[i] = (int16_t)clampl(v, INT16_MIN, INT16_MAX);
        break;
    case NN_U32: ((uint32_t *)p)[i] = (uint32_t)clampl(v, 0, UINT32_MAX); break;
    case NN_I32:
        ((int32_t *)p)[i] = (int32_t)clampl(v, INT32_MIN, INT32_MAX);
        break;
    case NN_U64: ((uint64_t *)p)[i] = (uint64_t)clampl(v, 0, UINT64_MAX); break;
    case NN_I64:
        ((int64_t *)p)[i] = (int64_t)clampl(v, INT64_MIN, INT64_MAX);
        break;
    case NN_F32: ((float *)p)[i] = (float)v; break;
    default: ((double *)p)[i] = (double)v; break;
    }
}

#define FAST(DT, ST, D, S)                                                     \
    if (dd == (D) && sd == (S)) {                                              \
        DT *d_ = dst;                                                          \
        const ST *s_ = src;                                                    \
        for (size_t i = 0; i < n; i++)                                         \
            d_[i] = (DT)s_[i];                                                 \
        return;                                                                \
    }

NN_VECTORIZE NN_CLONES
void nn_convert(void *dst, int dd, const void *src, int sd, size_t n)
{
    if (dd == sd) {
        if (dst != src)
            memmove(dst, src, n * nn_dtype_size(sd));
        return;
    }
    /* The conversions the tools do on every row get a plain loop. */
    FAST(float, uint8_t, NN_F32, NN_U8)
    FAST(float, double, NN_F32, NN_F64)
    FAST(double, float, NN_F64, NN_F32)
    FAST(double, uint8_t, NN_F64, NN_U8)
    FAST(float, int32_t, NN_F32, NN_I32)
    FAST(double, int32_t, NN_F64, NN_I32)
    FAST(float, int64_t, NN_F32, NN_I64)
    FAST(double, int64_t, NN_F64, NN_I64)
    FAST(int32_t, uint8_t, NN_I32, NN_U8)
    FAST(int64_t, uint8_t, NN_I64, NN_U8)
    FAST(int64_t, int32_t, NN_I64, NN_I32)
    for (size_t i = 0; i < n; i++)
        store(dst, dd, i, load(src, sd, i));
}

void nn_bswap(void *p, size_t n, size_t size)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++, b += size)
        for (size_t j = 0; j < size / 2; j++) {
            unsigned char t = b[j];
            b[j] = b[size - 1 - j];
            b[size - 1 - j] = t;
        }
}

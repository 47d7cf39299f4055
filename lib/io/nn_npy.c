/* nn_npy.c — NumPy .npy headers (format versions 1.0 to 3.0): the magic,
 * the version, the header length, and the Python dict literal that gives
 * the element type, the order and the shape.  One table of element types
 * serves reading and writing. */
#include "io/nn_io.h"
#include "base/nn_base_private.h"
#include "io/nn_io_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *code;   /* the descr without its byte order character */
    int dtype;
} types[] = {{"u1", NN_U8},  {"i1", NN_I8},  {"u2", NN_U16}, {"i2", NN_I16},
             {"u4", NN_U32}, {"i4", NN_I32}, {"u8", NN_U64}, {"i8", NN_I64},
             {"f4", NN_F32}, {"f8", NN_F64}};
#define NTYPES (sizeof types / sizeof types[0])

#define DICT_MAX ((size_t)1 << 20)

int nn_npy_header_size(const void *buf, size_t n, size_t *len, nn_error *e)
{
    const unsigned char *p = buf;
    if (n < 10)
        return nn_fail(e, "truncated npy header");
    if (memcmp(p, NN_NPY_MAGIC, 6))
        return nn_fail(e, "not an npy file (bad magic)");
    size_t pre, dict;
    if (p[6] == 1) {
        pre = 10;
        dict = p[8] | (size_t)p[9] << 8;
    } else if (p[6] == 2 || p[6] == 3) {
        if (n < 12)
            return nn_fail(e, "truncated npy header");
        pre = 12;
        dict = le32(p + 8);
    } else {
        return nn_fail(e, "npy format version %d.%d is not supported (1.0 "
                       "to 3.0)", p[6], p[7]);
    }
    if (dict > DICT_MAX)
        return nn_fail(e, "npy header of %zu bytes is too long", dict);
    *len = pre + dict;
    return 0;
}

/* The little Python literal parser the dict needs. */
static const char *py_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* A quoted string into out (truncated to cap); NULL if there is none. */
static const char *py_string(const char *p, char *out, size_t cap)
{
    char q = *p;
    if (q != '\'' && q != '"')
        return NULL;
    size_t n = 0;
    for (p++; *p && *p != q; p++)
        if (n + 1 < cap)
            out[n++] = *p;
    out[n] = 0;
    return *p == q ? p + 1 : NULL;
}

/* A tuple of non-negative integers ("(3, 4)", "(5,)", "()") into h. */
static const char *py_shape(const char *q, nn_array_header *h, nn_error *e)
{
    if (*q++ != '(')
        return nn_fail(e, "malformed npy header (shape)"), NULL;
    h->rank = 0;
    for (;;) {
        q = py_space(q);
        if (*q == ')')
            return q + 1;
        if (*q < '0' || *q > '9')
            return nn_fail(e, "malformed npy header (shape)"), NULL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(q, &end, 10);
        if (errno == ERANGE)
            return nn_fail(e, "npy shape is too large"), NULL;
        if (h->rank == NN_MAX_RANK)
            return nn_fail(e, "npy arrays of rank over %d are not supported",
                           NN_MAX_RANK), NULL;
        h->dims[h->rank++] = v;
        q = py_space(*end == 'L' ? end + 1 : end); /* Python 2 */
        if (*q == ',')
            q++;
        else if (*q != ')')
            return nn_fail(e, "malformed npy header (shape)"), NULL;
    }
}

/* "<f4", "|u1", ">i8" into h->dtype and h->swap. */
static int descr_parse(const char *d, nn_array_header *h)
{
    char order = d[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return -1;
    for (size_t i = 0; i < NTYPES; i++) {
        if (strcmp(d + 1, types[i].code))
            continue;
        size_t size = nn_dtype_size(types[i].dtype);
        if (order == '|' && size > 1)
            return -1;
        h->dtype = types[i].dtype;
        h->swap = size > 1 && ((order == '<' && !NN_HOST_LE) ||
                               (order == '>' && NN_HOST_LE));
        return 0;
    }
    return -1;
}

/* The dict literal, NUL-terminated. */
static int dict_parse(const char *text, nn_array_header *h, nn_error *e)
{
    char key[64], descr[64] = "";
    int fortran = -1, have_shape = 0;
    const char *q = py_space(text);
    if (*q++ != '{')
        return nn_fail(e, "malformed npy header: no '{'");
    for (;;) {
        q = py_space(q);
        if (*q == '}')
            break;
        if (!(q = py_string(q, key, sizeof key)) || *(q = py_space(q)) != ':')
            return nn_fail(e, "malformed npy header");
        q = py_space(q + 1);
        if (strcmp(key, "descr") == 0) {
            if (*q == '[')
                return nn_fail(e, "npy structured arrays are not supported");
            if (!(q = py_string(q, descr, sizeof descr)))
                return nn_fail(e, "malformed npy header (descr)");
        } else if (strcmp(key, "fortran_order") == 0) {
            if (strncmp(q, "True", 4) == 0)
                fortran = 1, q += 4;
            else if (strncmp(q, "False", 5) == 0)
                fortran = 0, q += 5;
            else
                return nn_fail(e, "malformed npy header (fortran_order)");
        } else if (strcmp(key, "shape") == 0) {
            if (!(q = py_shape(q, h, e)))
                return -1;
            have_shape = 1;
        } else {
            return nn_fail(e, "unknown key '%s' in the npy header", key);
        }
        q = py_space(q);
        if (*q == ',')
            q++;
        else if (*q != '}')
            return nn_fail(e, "malformed npy header");
    }
    if (!*descr || fortran < 0 || !have_shape)
        return nn_fail(e, "npy header lacks descr, fortran_order or shape");
    if (descr_parse(descr, h) < 0)
        return nn_fail(e, "npy element type '%s' is not supported (integers "
                       "of 1 to 8 bytes, f4, f8)", descr);
    h->fortran = fortran;
    if (nn_array_shape_check(h->rank, h->dims, nn_dtype_size(h->dtype)) < 0) {
        char s[200];
        return nn_fail(e, "npy shape %s is too large",
                       nn_shape_str(s, sizeof s, h->rank, h->dims));
    }
    return 0;
}

int nn_npy_header_parse(const void *buf, size_t n, nn_array_header *h,
                        nn_error *e)
{
    size_t len;
    memset(h, 0, sizeof *h);
    if (nn_npy_header_size(buf, n, &len, e) < 0)
        return -1;
    if (n < len)
        return nn_fail(e, "truncated npy header");
    size_t pre = ((const unsigned char *)buf)[6] == 1 ? 10 : 12;
    char *text = malloc(len - pre + 1);
    if (!text)
        return nn_fail(e, "out of memory reading an npy header");
    memcpy(text, (const char *)buf + pre, len - pre);
    text[len - pre] = 0;
    int rc = dict_parse(text, h, e);
    free(text);
    h->header_len = len;
    return rc;
}

size_t nn_npy_header_format(char *buf, size_t cap, int dtype, int rank,
                            const uint64_t *dims, size_t len)
{
    const char *code = NULL;
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].dtype == dtype)
            code = types[i].code;
    if (!code || rank < 0 || rank > NN_MAX_RANK)
        return 0;
    char text[NN_NPY_HEADER_FORMAT_MAX];
    int n = snprintf(text, sizeof text, "{'descr': '%c%s', 'fortran_order': "
                     "False, 'shape': (", nn_dtype_size(dtype) > 1 ? '<' : '|',
                     code);
    for (int i = 0; i < rank; i++)
        n += snprintf(text + n, sizeof text - n, "%llu%s",
                      (unsigned long long)dims[i],
                      rank == 1 ? "," : i + 1 < rank ? ", " : "");
    n += snprintf(text + n, sizeof text - n, "), }");
    /* 10 bytes of magic, version and length, the text, spaces, '\n' */
    size_t total = len ? len : (10 + (size_t)n + 1 + 63) / 64 * 64;
    if (total < 10 + (size_t)n + 1 || total > cap || total - 10 > 0xffff)
        return 0;
    memcpy(buf, NN_NPY_MAGIC "\x01\x00", 8);
    buf[8] = (char)((total - 10) & 0xff);
    buf[9] = (char)((total - 10) >> 8);
    memcpy(buf + 10, text, (size_t)n);
    memset(buf + 10 + n, ' ', total - 10 - (size_t)n - 1);
    buf[total - 1] = '\n';
    return total;
}

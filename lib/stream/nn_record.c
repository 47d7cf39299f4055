/* nn_record.c — record helpers: rows, attributes, names, shapes, and the
 * tracking of tensors that span several records (chunks). */
#include "stream/nn_stream.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t nn_record_rows(const nn_record *r)
{
    return r->rank ? r->dims[0] : 1;
}

size_t nn_record_row_bytes(const nn_record *r)
{
    size_t b = nn_dtype_size(r->dtype);
    for (int i = 1; i < r->rank; i++)
        b *= r->dims[i];
    return b;
}

/* Finds the value of the last line "key=..." in attrs; returns its start and
 * sets *len, or NULL. */
static const char *attr_find(const char *attrs, const char *key, size_t *len)
{
    const char *found = NULL;
    size_t klen = strlen(key);
    for (const char *p = attrs; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t line = nl ? (size_t)(nl - p) : strlen(p);
        if (line > klen && p[klen] == '=' && memcmp(p, key, klen) == 0) {
            found = p + klen + 1;
            *len = line - klen - 1;
        }
        p = nl ? nl + 1 : NULL;
    }
    return found;
}

int nn_attrs_get(const char *attrs, const char *key, char *out, size_t cap)
{
    size_t len;
    const char *v = attr_find(attrs, key, &len);
    if (!v)
        return 0;
    if (cap) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(out, v, n);
        out[n] = 0;
    }
    return 1;
}

/* A key is 1..64 characters of [A-Za-z0-9_.-]. */
static int key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* The length of the UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = *p;
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || n < len || (len == 2 && c < 0xc2))
        return 0;
    uint32_t cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    /* well-formed UTF-8 only (RFC 3629): no overlong forms, no surrogates,
     * nothing above U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

int nn_attrs_valid(const char *a, size_t n)
{
    if (n > NN_ATTRS_MAX || (n && a[n - 1] != '\n'))
        return 0;
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        while (i + k < n && key_char(a[i + k]))
            k++;
        if (k == 0 || k > 64 || a[i + k] != '=')
            return 0;
        i += k + 1;
        while (a[i] != '\n') { /* values: UTF-8 text without NUL */
            size_t len = a[i] ? utf8_len((const unsigned char *)a + i, n - i) : 0;
            if (!len)
                return 0;
            i += len;
        }
        i++;
    }
    return 1;
}

/* UTF-8 without control characters, '=' or more than n bytes. */
int nn_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > NN_NAME_MAX)
        return 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        /* no C0 or C1 control characters (U+0080..U+009F: C2 80..C2 9F) */
        size_t len = *p < 0x20 || *p == 0x7f || *p == '=' ||
                             (*p == 0xc2 && p + 1 < end && p[1] < 0xa0)
                         ? 0
                         : utf8_len(p, (size_t)(end - p));
        if (!len)
            return 0;
        p += len;
    }
    return 1;
}

static int key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 64)
        return 0;
    for (; *k; k++)
        if (!key_char(*k))
            return 0;
    return 1;
}

char *nn_attrs_set(const char *attrs, const char *key, const char *value)
{
    if (!key_ok(key) || (value && strchr(value, '\n')))
        return NULL;
    size_t klen = strlen(key), old = attrs ? strlen(attrs) : 0;
    /* +1: a last line without its newline gets one */
    char *out = malloc(old + klen + (value ? strlen(value) : 0) + 4);
    if (!out)
        return NULL;
    char *q = out;
    /* keep every other line, drop earlier values of key */
    for (const char *p = attrs; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t line = nl ? (size_t)(nl - p) : strlen(p);
        if (!(line > klen && p[klen] == '=' && memcmp(p, key, klen) == 0)) {
            memcpy(q, p, line);
            q += line;
            *q++ = '\n';
        }
        p = nl ? nl + 1 : NULL;
    }
    if (value)
        q += sprintf(q, "%s=%s\n", key, value);
    else
        *q = 0;
    return out;
}

int nn_shape_check(int rank, const uint64_t *dims, size_t esize,
                   uint64_t *nelem, nn_error *e)
{
    char s[200];
    uint64_t all = 1, live = 1; /* live: the non-zero dimensions alone */
    for (int i = 0; i < rank; i++) {
        uint64_t d = dims[i];
        if (d && live > UINT64_MAX / d)
            return nn_fail(e, "shape %s has more elements than 2^64",
                           nn_shape_str(s, sizeof s, rank, dims));
        live *= d ? d : 1;
        all *= d;
    }
    uint64_t limit = NN_RECORD_MAX / esize;
    if (all > limit)
        return nn_fail(e, "shape %s of %zu-byte elements is %llu elements, "
                       "over the limit of %llu bytes per record",
                       nn_shape_str(s, sizeof s, rank, dims), esize,
                       (unsigned long long)all,
                       (unsigned long long)NN_RECORD_MAX);
    if (live > limit) /* rows of nothing, but too many to loop over */
        return nn_fail(e, "shape %s: more than %llu rows or columns",
                       nn_shape_str(s, sizeof s, rank, dims),
                       (unsigned long long)limit);
    *nelem = all;
    return 0;
}

/* ----------------------------------------------------------- tensor tracker */

struct open_tensor {
    char name[NN_NAME_MAX + 1];
    int dtype, rank;
    uint64_t dims[NN_MAX_RANK]; /* dims[0]: rows so far */
    uint64_t tensor;
};

struct nn_tensor_tracker {
    struct open_tensor *t;
    size_t n, cap;
    uint64_t tensors;
};

nn_tensor_tracker *nn_tensor_tracker_new(void)
{
    return calloc(1, sizeof(nn_tensor_tracker));
}

void nn_tensor_tracker_free(nn_tensor_tracker *t)
{
    if (t)
        free(t->t);
    free(t);
}

int nn_tensor_track(nn_tensor_tracker *t, const nn_record *r, nn_row_pos *pos,
                    nn_error *e)
{
    struct open_tensor *o = NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->t[i].name, r->name) == 0)
            o = &t->t[i];
    if (r->flags & NN_FLAG_CONT) {
        if (!o)
            return nn_fail(e, "record %llu at byte %llu: chunk of '%s' "
                           "continues no tensor of that name",
                           (unsigned long long)r->index,
                           (unsigned long long)r->offset, r->name);
        int same = o->dtype == r->dtype && o->rank == r->rank;
        for (int i = 1; same && i < r->rank; i++)
            same = o->dims[i] == r->dims[i];
        if (!same) {
            char a[160], b[160];
            return nn_fail(e, "record %llu at byte %llu: chunk of '%s' is %s "
                           "%s but the tensor is %s %s",
                           (unsigned long long)r->index,
                           (unsigned long long)r->offset, r->name,
                           nn_dtype_name(r->dtype),
                           nn_shape_str(a, sizeof a, r->rank, r->dims),
                           nn_dtype_name(o->dtype),
                           nn_shape_str(b, sizeof b, o->rank, o->dims));
        }
        *pos = (nn_row_pos){.first = 0, .tensor = o->tensor, .row = o->dims[0]};
        o->dims[0] += r->dims[0];
        return 0;
    }
    if (!o) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 8;
            struct open_tensor *nt = realloc(t->t, cap * sizeof *nt);
            if (!nt)
                return nn_fail(e, "out of memory tracking tensors");
            t->t = nt;
            t->cap = cap;
        }
        o = &t->t[t->n++];
        strcpy(o->name, r->name);
    }
    o->dtype = r->dtype;
    o->rank = r->rank;
    memcpy(o->dims, r->dims, sizeof o->dims);
    o->tensor = t->tensors++;
    *pos = (nn_row_pos){.first = 1, .tensor = o->tensor, .row = 0};
    return 0;
}

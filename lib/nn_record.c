/* nn_record.c — record helpers: rows, attributes, shapes, copies, and the
 * tracking of tensors that span several records (chunks). */
#include "nn.h"

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

static int key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 64)
        return 0;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
              (*k >= '0' && *k <= '9') || *k == '_' || *k == '.' || *k == '-'))
            return 0;
    return 1;
}

char *nn_attrs_set(const char *attrs, const char *key, const char *value)
{
    if (!key_ok(key) || (value && strchr(value, '\n')))
        return NULL;
    size_t klen = strlen(key), old = attrs ? strlen(attrs) : 0;
    char *out = malloc(old + klen + (value ? strlen(value) : 0) + 3);
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

const char *nn_shape_str(char *buf, size_t cap, int rank, const uint64_t *dims)
{
    size_t n = snprintf(buf, cap, "(");
    for (int i = 0; i < rank && n < cap; i++)
        n += snprintf(buf + n, cap - n, "%s%llu", i ? "," : "",
                      (unsigned long long)dims[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, ")");
    return buf;
}

nn_record *nn_record_clone(const nn_record *r, nn_error *e)
{
    nn_record *c = calloc(1, sizeof *c);
    char *attrs = malloc(r->attrs_len + 1);
    void *data = r->data ? nn_alloc(1, r->nbytes, "record copy", e) : NULL;
    if (!c || !attrs || (r->data && !data)) {
        free(c);
        free(attrs);
        free(data);
        if (!e || !*e->msg)
            nn_fail(e, "out of memory copying record '%s'", r->name);
        return NULL;
    }
    *c = *r;
    memcpy(attrs, r->attrs, r->attrs_len);
    attrs[r->attrs_len] = 0;
    c->attrs = attrs;
    if (data)
        memcpy(data, r->data, r->nbytes);
    c->data = data;
    c->raw_header = c->raw_payload = NULL;
    c->raw_header_len = c->raw_payload_len = 0;
    return c;
}

void nn_record_free(nn_record *r)
{
    if (!r)
        return;
    free((char *)r->attrs);
    free(r->data);
    free(r);
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

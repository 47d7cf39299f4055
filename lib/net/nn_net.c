/* nn_net.c — networks as streams of layers: reading, writing, and running
 * a layer on a block of rows. */
#include "net/nn_net.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void nn_net_free(nn_net *net)
{
    for (size_t i = 0; i < net->n; i++) {
        nn_layer *l = &net->layers[i];
        free(l->w);
        free(l->mask);
        free(l->coef);
        free(l->attrs);
        free(l->wf);
    }
    free(net->layers);
    net->layers = NULL;
    net->n = 0;
}

void nn_layer_apply_mask(nn_layer *l)
{
    if (!l->mask)
        return;
    size_t n = (1 + l->n_in) * l->n_out;
    for (size_t i = 0; i < n; i++)
        if (!l->mask[i])
            l->w[i] = 0;
    free(l->wf);
    l->wf = NULL;
}

/* Appends the elements of r, as doubles, to *buf (*rows rows so far). */
static int append_rows(double **buf, uint64_t *rows, const nn_record *r,
                       nn_error *e)
{
    size_t cols = r->rank == 2 ? r->dims[1] : 0;
    size_t total = (size_t)(*rows + r->dims[0]) * cols;
    double *b = nn_alloc(total ? total : 1, sizeof *b, "network layer", e);
    if (!b)
        return -1;
    if (*buf)
        memcpy(b, *buf, (size_t)*rows * cols * sizeof *b);
    nn_convert(b + (size_t)*rows * cols, NN_F64, r->data, r->dtype, r->nelem);
    free(*buf);
    *buf = b;
    *rows += r->dims[0];
    return 0;
}

/* Checks the layer just completed and the chaining of widths. */
static int finish_layer(nn_net *net, uint64_t w_rows, uint64_t mask_rows,
                        uint64_t coef_rows, const unsigned char *mask_u8,
                        const char *src, nn_error *e)
{
    nn_layer *l = &net->layers[net->n - 1];
    size_t k = net->n;
    if (w_rows < 2)
        return nn_fail(e, "%s: layer %zu: weights need a bias row and at "
                       "least one input row", src, k);
    if (w_rows - 1 > INT_MAX)
        return nn_fail(e, "%s: layer %zu: %llu inputs, more than BLAS takes "
                       "(2^31 - 1)", src, k, (unsigned long long)(w_rows - 1));
    l->n_in = (size_t)w_rows - 1;
    if (k > 1 && net->layers[k - 2].n_out != l->n_in)
        return nn_fail(e, "%s: layer %zu takes %zu inputs but layer %zu gives "
                       "%zu", src, k, l->n_in, k - 1, net->layers[k - 2].n_out);
    size_t n = (1 + l->n_in) * l->n_out;
    if (mask_u8) {
        if (mask_rows != w_rows)
            return nn_fail(e, "%s: layer %zu: mask is not the shape of the "
                           "weights", src, k);
        if (!(l->mask = malloc(n)))
            return nn_fail(e, "out of memory");
        for (size_t i = 0; i < n; i++) {
            if (mask_u8[i] > 1)
                return nn_fail(e, "%s: layer %zu: mask holds %d, not 0 or 1",
                               src, k, mask_u8[i]);
            l->mask[i] = mask_u8[i];
        }
    }
    int poly = nn_act_is_poly(l->act.kind);
    if (poly && (!l->coef || coef_rows != l->n_out))
        return nn_fail(e, "%s: layer %zu: %s units need coefficients 'coef' "
                       "(%zu,%d)", src, k, nn_act_name(l->act.kind), l->n_out,
                       l->act.degree + 1);
    if (!poly && l->coef)
        return nn_fail(e, "%s: layer %zu: coefficients given for %s units",
                       src, k, nn_act_name(l->act.kind));
    nn_layer_apply_mask(l);
    return 0;
}

/* The value of the last line key=... of attrs (readers take the last:
 * formats/nns.md, section 6): sets *v and *n and returns 1, or 0 when the
 * key is absent. */
static int attr_span(const char *attrs, const char *key, const char **v,
                     size_t *n)
{
    size_t kl = strlen(key);
    int found = 0;
    for (const char *p = attrs; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            *v = p + kl + 1;
            *n = len - kl - 1;
            found = 1;
        }
        p += len + (end != NULL);
    }
    return found;
}

int nn_checkpoint_same(const char *a, const char *b)
{
    static const char key[] = "checkpoint";
    const char *va, *vb;
    size_t na, nb;
    int ha = attr_span(a, key, &va, &na), hb = attr_span(b, key, &vb, &nb);
    return ha == hb && (!ha || (na == nb && memcmp(va, vb, na) == 0));
}

/* Reads layers from r; with split, only those of one network of a stream
 * of networks: at the weights 'w' (not a chunk) of a later layer whose
 * checkpoint attribute, or its absence, differs from the first layer's,
 * that record is left unread and the network ends.  Returns 1 with a
 * network, 0 at the end of the stream with no layer read, -1. */
static int read_layers(nn_reader *r, nn_net *net, int split, nn_error *e)
{
    memset(net, 0, sizeof *net);
    const char *src = nn_reader_name(r);
    const nn_record *rec;
    uint64_t w_rows = 0, mask_rows = 0, coef_rows = 0;
    unsigned char *mask_u8 = NULL;
    size_t cap = 0;
    int rc;
    char last[8] = "";
    int last_dtype = 0;
    double *dqw = NULL; /* a quantized layer's decoded weights */
    while ((rc = nn_reader_next(r, &rec, e)) == 1) {
        int cont = (rec->flags & NN_FLAG_CONT) != 0;
        if (cont && strcmp(rec->name, last) != 0) {
            rc = nn_fail(e, "%s: record %llu: chunk of '%s' does not follow "
                         "its tensor", src, (unsigned long long)rec->index,
                         rec->name);
            break;
        }
        if (cont && rec->dtype != last_dtype) { /* formats/nns.md, 8 */
            rc = nn_fail(e, "%s: record %llu: chunk of '%s' is %s, its "
                         "tensor %s", src, (unsigned long long)rec->index,
                         rec->name, nn_dtype_name(rec->dtype),
                         nn_dtype_name(last_dtype));
            break;
        }
        nn_record dq; /* a quantized layer, decoded */
        int qdtype = 0;
        free(dqw);
        dqw = NULL;
        if (nn_qlayer_is(rec)) {
            size_t qr, qc;
            if (cont) {
                rc = nn_fail(e, "%s: record %llu: a quantized layer comes in "
                             "one record", src, (unsigned long long)rec->index);
                break;
            }
            if (nn_qlayer_decode(rec, &dqw, &qr, &qc, &qdtype, e) < 0) {
                rc = nn_error_wrap(e, "%s: record %llu (quantized 'w')", src,
                                   (unsigned long long)rec->index);
                break;
            }
            dq = *rec;
            dq.dtype = NN_F64;
            dq.rank = 2;
            dq.dims[0] = qr;
            dq.dims[1] = qc;
            dq.nelem = (uint64_t)qr * qc;
            dq.nbytes = qr * qc * sizeof(double);
            dq.data = dqw;
            rec = &dq;
        }
        int is_w = strcmp(rec->name, "w") == 0;
        int is_mask = strcmp(rec->name, "mask") == 0;
        int is_coef = strcmp(rec->name, "coef") == 0;
        if (!is_w && !is_mask && !is_coef) {
            rc = nn_fail(e, "%s: record %llu: '%s' is not part of a network "
                         "(layers are records w, mask, coef)", src,
                         (unsigned long long)rec->index, rec->name);
            break;
        }
        if (rec->rank != 2 || (!is_mask && !nn_dtype_is_float(rec->dtype)) ||
            (is_mask && rec->dtype != NN_U8)) {
            char s[100];
            rc = nn_fail(e, "%s: record %llu: '%s' is %s %s; it must be "
                         "a matrix of %s", src, (unsigned long long)rec->index,
                         rec->name, nn_dtype_name(rec->dtype),
                         nn_shape_str(s, sizeof s, rec->rank, rec->dims),
                         is_mask ? "u8" : "f32 or f64");
            break;
        }
        if (is_w && !cont && split && net->n &&
            !nn_checkpoint_same(net->layers[0].attrs, rec->attrs)) {
            nn_reader_unread(r); /* the first layer of the next network */
            rc = 1;
            break;
        }
        if (is_w && !cont) {
            if (net->n && finish_layer(net, w_rows, mask_rows, coef_rows,
                                       mask_u8, src, e) < 0) {
                rc = -1;
                break;
            }
            free(mask_u8);
            mask_u8 = NULL;
            w_rows = mask_rows = coef_rows = 0;
            if (net->n == cap) {
                cap = cap ? 2 * cap : 8;
                nn_layer *nl = realloc(net->layers, cap * sizeof *nl);
                if (!nl) {
                    rc = nn_fail(e, "out of memory");
                    break;
                }
                net->layers = nl;
            }
            if (rec->dims[0] > INT_MAX || rec->dims[1] > INT_MAX) {
                rc = nn_fail(e, "%s: record %llu: a layer of (%llu,%llu) "
                             "weights is wider than BLAS takes (2^31 - 1)",
                             src, (unsigned long long)rec->index,
                             (unsigned long long)rec->dims[0],
                             (unsigned long long)rec->dims[1]);
                break;
            }
            nn_layer *l = &net->layers[net->n++];
            memset(l, 0, sizeof *l);
            l->n_out = (size_t)rec->dims[1];
            l->dtype = rec->dtype;
            if (!(l->attrs = qdtype ? nn_qlayer_plain_attrs(rec->attrs)
                                    : strdup(rec->attrs))) {
                rc = nn_fail(e, "out of memory");
                break;
            }
            if (nn_act_from_attrs(rec->attrs, &l->act, e) < 0) {
                rc = nn_error_wrap(e, "%s: record %llu ('w')", src,
                                   (unsigned long long)rec->index);
                break;
            }
        } else if (!net->n) {
            rc = nn_fail(e, "%s: record %llu: '%s' before any weights 'w'", src,
                         (unsigned long long)rec->index, rec->name);
            break;
        }
        nn_layer *l = &net->layers[net->n - 1];
        if (rec->dims[1] != (is_coef ? (uint64_t)l->act.degree + 1 : l->n_out)) {
            rc = nn_fail(e, "%s: record %llu: '%s' has %llu columns, layer %zu "
                         "needs %llu", src, (unsigned long long)rec->index,
                         rec->name, (unsigned long long)rec->dims[1], net->n,
                         (unsigned long long)(is_coef ? (uint64_t)l->act.degree + 1
                                                      : l->n_out));
            break;
        }
        if (!is_mask) { /* weights must be numbers */
            size_t bad = nn_nonfinite_find(rec->data, rec->dtype, rec->nelem);
            if (bad < rec->nelem) {
                rc = nn_fail(e, "%s: record %llu: '%s' of layer %zu holds %s "
                             "(row %llu, column %llu of the record)", src,
                             (unsigned long long)rec->index, rec->name,
                             net->n,
                             isnan(nn_elem_f64(rec->data, rec->dtype, bad))
                                 ? "NaN" : "an infinity",
                             (unsigned long long)(bad / rec->dims[1]),
                             (unsigned long long)(bad % rec->dims[1]));
                break;
            }
        }
        if (is_w && dqw && !l->w) { /* decoded: the weights as they are */
            l->w = dqw;
            dqw = NULL;
            w_rows = rec->dims[0];
        } else if (is_w)
            rc = append_rows(&l->w, &w_rows, rec, e);
        else if (is_coef)
            rc = append_rows(&l->coef, &coef_rows, rec, e);
        else {
            unsigned char *m = realloc(mask_u8, (size_t)(mask_rows + rec->dims[0]) * l->n_out);
            if (!m) {
                rc = nn_fail(e, "out of memory");
                break;
            }
            memcpy(m + (size_t)mask_rows * l->n_out, rec->data, rec->nbytes);
            mask_u8 = m;
            mask_rows += rec->dims[0];
        }
        if (qdtype)
            net->layers[net->n - 1].dtype = qdtype;
        if (rc < 0)
            break;
        strcpy(last, rec->name);
        last_dtype = rec->dtype;
    }
    free(dqw);
    if (rc >= 0 && net->n &&
        finish_layer(net, w_rows, mask_rows, coef_rows, mask_u8, src, e) < 0)
        rc = -1;
    free(mask_u8);
    if (rc < 0) {
        nn_net_free(net);
        return -1;
    }
    return net->n > 0;
}

int nn_net_read(nn_reader *r, nn_net *net, nn_error *e)
{
    int rc = read_layers(r, net, 0, e);
    if (rc == 0)
        return nn_fail(e, "%s: no layers (an empty network)",
                       nn_reader_name(r));
    return rc < 0 ? -1 : 0;
}

int nn_net_read_next(nn_reader *r, nn_net *net, nn_error *e)
{
    return read_layers(r, net, 1, e);
}

int nn_net_compatible(const nn_net *a, const nn_net *b, nn_error *e)
{
    if (a->n != b->n)
        return nn_fail(e, "%zu layers against %zu", a->n, b->n);
    for (size_t k = 0; k < a->n; k++) {
        const nn_layer *p = &a->layers[k], *q = &b->layers[k];
        if (p->n_in != q->n_in || p->n_out != q->n_out)
            return nn_fail(e, "layer %zu is %zu-%zu against %zu-%zu", k + 1,
                           p->n_in, p->n_out, q->n_in, q->n_out);
        if (p->act.kind != q->act.kind || p->act.degree != q->act.degree ||
            p->act.alpha != q->act.alpha || p->act.beta != q->act.beta)
            return nn_fail(e, "layer %zu has %s units against %s (or other "
                           "parameters)", k + 1, nn_act_name(p->act.kind),
                           nn_act_name(q->act.kind));
    }
    return 0;
}

int nn_net_load(const char *path, nn_net *net, nn_error *e)
{
    nn_reader *r = nn_reader_open(path, e);
    if (!r)
        return -1;
    int rc = nn_net_read(r, net, e);
    nn_reader_close(r);
    return rc;
}

/* Writes an (r,c) matrix of doubles as dtype. */
static int put_matrix(nn_writer *w, const char *name, const char *attrs,
                      int dtype, size_t r, size_t c, const double *m,
                      nn_error *e)
{
    size_t count = r * c;
    void *buf = nn_alloc(count ? count : 1, nn_dtype_size(dtype), name, e);
    if (!buf)
        return -1;
    nn_convert(buf, dtype, m, NN_F64, count);
    nn_header h = {.name = name, .dtype = dtype, .rank = 2, .dims = {r, c},
                   .attrs = attrs};
    int rc = nn_writer_put(w, &h, buf, e);
    free(buf);
    return rc;
}

int nn_layer_set_attr(nn_layer *l, const char *key, const char *value,
                      nn_error *e)
{
    char *a = nn_attrs_set(l->attrs, key, value);
    if (!a)
        return nn_fail(e, "cannot set attribute %s=%s (out of memory, or "
                       "not a valid key or value)", key, value);
    free(l->attrs);
    l->attrs = a;
    return 0;
}

int nn_layer_write(nn_writer *w, const nn_layer *l, int dtype, nn_error *e)
{
    size_t rows = 1 + l->n_in;
    if (put_matrix(w, "w", l->attrs, dtype, rows, l->n_out, l->w, e) < 0)
        return -1;
    return nn_layer_write_rest(w, l, dtype, e);
}

int nn_layer_write_rest(nn_writer *w, const nn_layer *l, int dtype,
                        nn_error *e)
{
    size_t rows = 1 + l->n_in;
    if (l->mask) {
        nn_header h = {.name = "mask", .dtype = NN_U8, .rank = 2,
                       .dims = {rows, l->n_out}};
        if (nn_writer_put(w, &h, l->mask, e) < 0)
            return -1;
    }
    if (l->coef && put_matrix(w, "coef", NULL, dtype, l->n_out,
                              (size_t)l->act.degree + 1, l->coef, e) < 0)
        return -1;
    return 0;
}

int nn_layer_weights_f32(nn_layer *l, nn_error *e)
{
    size_t k = (1 + l->n_in) * l->n_out;
    if (!l->wf &&
        !(l->wf = nn_alloc(k, sizeof *l->wf, "single-precision weights", e)))
        return -1;
    nn_convert(l->wf, NN_F32, l->w, NN_F64, k);
    return 0;
}

int nn_layer_forward_f32(nn_layer *l, size_t m, const float *in, float *out,
                         nn_error *e)
{
    size_t n = l->n_out;
    if (!l->wf && nn_layer_weights_f32(l, e) < 0)
        return -1;
    for (size_t i = 0; i < m; i++) /* every row starts as the bias */
        memcpy(out + i * n, l->wf, n * sizeof *out);
    nn_gemm_f32(0, 0, m, n, l->n_in, 1.0f, in, l->wf + n, 1.0f, out);
    nn_act_apply_f32(&l->act, l->coef, m, n, out);
    return 0;
}

void nn_layer_forward_f64(const nn_layer *l, size_t m, const double *in,
                          double *out)
{
    size_t n = l->n_out;
    for (size_t i = 0; i < m; i++)
        memcpy(out + i * n, l->w, n * sizeof *out);
    nn_gemm_f64(0, 0, m, n, l->n_in, 1.0, in, l->w + n, 1.0, out);
    nn_act_apply_f64(&l->act, l->coef, m, n, out);
}

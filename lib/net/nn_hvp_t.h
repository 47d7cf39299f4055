/* nn_hvp_t.h — a template, included by nn_hvp.c once per precision with
 * REAL (the element type of the passes), FN (the name's suffix), GEMM
 * (the BLAS call) and WEIGHTS(h, net, l) (layer l's weights in that
 * precision) defined: the passes kept in a slot and the tangent passes of
 * a Hessian-vector product.  The direction v, the product hv, the
 * coefficients of polynomial units and their gradients stay in double
 * whatever REAL is.  No include guard. */

/* z = [1 in] W, y = act(z), for m rows. */
static void FN(layer_forward)(const nn_layer *L, const REAL *W, size_t m,
                              const REAL *in, REAL *z, REAL *y)
{
    size_t n = L->n_out;
    for (size_t r = 0; r < m; r++)
        memcpy(z + r * n, W, n * sizeof *z);
    GEMM(0, 0, m, n, L->n_in, 1, in, W + n, 1, z);
    memcpy(y, z, m * n * sizeof *y);
    FN(nn_act_apply)(&L->act, L->coef, m, n, y);
}

/* p += s q, n values (masked by mask when not NULL). */
static void FN(add_scaled)(double *p, const REAL *q, size_t n, double s,
                           const unsigned char *mask)
{
    for (size_t i = 0; i < n; i++)
        p[i] += mask && !mask[i] ? 0 : s * (double)q[i];
}

/* dL/dy at the output for the losses that go through the output
 * activation (mse, hinge), as nn_loss reduces them. */
static void FN(output_dy)(int loss, size_t m, size_t n, const REAL *y,
                          const REAL *t, REAL *gy)
{
    double per_el = 1.0 / ((double)m * (double)n);
    for (size_t i = 0; i < m * n; i++)
        if (loss == NN_LOSS_MSE)
            gy[i] = (REAL)(2 * (y[i] - t[i]) * per_el);
        else
            gy[i] = (REAL)(1 - t[i] * y[i] > 0 ? -t[i] * per_el : 0);
}

static double FN(hvp_load)(nn_hvp *h, const nn_net *net, size_t k, size_t m,
                           const REAL *x, const REAL *t, double scale,
                           double *grad)
{
    hvp_slot *s = &h->slot[k];
    REAL **z = (REAL **)s->z, **y = (REAL **)s->y;
    REAL **gy = (REAL **)s->gy, **gz = (REAL **)s->gz;
    REAL *sx = s->x, *st = s->t, *dw = h->tmp;
    size_t top = h->nl - 1;
    s->m = m;
    memcpy(sx, x, m * net->layers[0].n_in * sizeof *x);
    memcpy(st, t, m * net->layers[top].n_out * sizeof *t);
    const REAL *in = sx;
    for (size_t l = 0; l < h->nl; l++) {
        FN(layer_forward)(&net->layers[l], WEIGHTS(h, net, l), m, in, z[l],
                          y[l]);
        in = y[l];
    }
    const nn_layer *out = &net->layers[top];
    int poly = nn_act_is_poly(out->act.kind);
    double L = FN(nn_loss)(h->loss, &out->act, out->coef, m, out->n_out,
                           z[top], y[top], st, gz[top], poly ? h->dc : NULL);
    if (h->loss == NN_LOSS_MSE || h->loss == NN_LOSS_HINGE)
        FN(output_dy)(h->loss, m, out->n_out, y[top], st, gy[top]);
    if (grad && poly)
        add_scaled(grad + h->off[top] + (1 + out->n_in) * out->n_out, h->dc,
                   out->n_out * (size_t)(out->act.degree + 1), scale, NULL);
    for (size_t l = h->nl; l-- > 0;) {
        const nn_layer *ly = &net->layers[l];
        if (l != top) {
            const nn_layer *up = &net->layers[l + 1];
            /* dL/dy = dL/dz(above) W^T without the bias row */
            GEMM(0, 1, m, ly->n_out, up->n_out, 1, gz[l + 1],
                 WEIGHTS(h, net, l + 1) + up->n_out, 0, gy[l]);
            memcpy(gz[l], gy[l], m * ly->n_out * sizeof(REAL));
            int lp = nn_act_is_poly(ly->act.kind);
            FN(nn_act_backward)(&ly->act, ly->coef, m, ly->n_out, z[l], y[l],
                                gz[l], lp ? h->dc : NULL);
            if (grad && lp)
                add_scaled(grad + h->off[l] + (1 + ly->n_in) * ly->n_out,
                           h->dc, ly->n_out * (size_t)(ly->act.degree + 1),
                           scale, NULL);
        }
        if (grad) {
            FN(nn_layer_backward)(ly, m, l ? y[l - 1] : sx, gz[l], dw, NULL);
            FN(add_scaled)(grad + h->off[l], dw, (1 + ly->n_in) * ly->n_out,
                           scale, NULL);
        }
    }
    return L;
}

/* Ry = act'(z) Rz, plus sum_k vc_k phi_k(z) for polynomial units. */
static void FN(act_tangent)(const nn_act *a, const double *coef,
                            const double *vc, size_t m, size_t n,
                            const REAL *z, const REAL *y, const REAL *rz,
                            REAL *ry)
{
    size_t N = m * n;
    switch (a->kind) {
    case NN_ACT_IDENTITY:
        memcpy(ry, rz, N * sizeof *ry);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < N; i++)
            ry[i] = z[i] > 0 ? rz[i] : 0;
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            ry[i] = (1 - y[i] * y[i]) * rz[i];
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            ry[i] = y[i] * (1 - y[i]) * rz[i];
        break;
    case NN_ACT_CELU:
        for (size_t i = 0; i < N; i++)
            ry[i] = (REAL)((z[i] > 0 ? 1 : exp(z[i] / a->alpha)) * rz[i]);
        break;
    case NN_ACT_SOFTMAX:
        for (size_t r = 0; r < m; r++) {
            const REAL *yr = y + r * n, *rr = rz + r * n;
            double s = 0;
            for (size_t j = 0; j < n; j++)
                s += yr[j] * (double)rr[j];
            for (size_t j = 0; j < n; j++)
                ry[r * n + j] = (REAL)(yr[j] * (rr[j] - s));
        }
        break;
    case NN_ACT_EXP:
        for (size_t i = 0; i < N; i++)
            ry[i] = y[i] * rz[i];
        break;
    case NN_ACT_POW3:
        for (size_t i = 0; i < N; i++)
            ry[i] = (REAL)(3 * a->alpha * z[i] * z[i] * rz[i]);
        break;
    default: {
        int D = a->degree + 1;
        double phi[NN_POLY_MAX_DEGREE + 1], dphi[NN_POLY_MAX_DEGREE + 1];
        for (size_t i = 0; i < N; i++) {
            size_t j = i % n;
            const double *c = coef + j * (size_t)D, *v = vc + j * (size_t)D;
            nn_poly_basis_deriv(a->kind, a->degree, z[i], phi, dphi);
            double d = 0, p = 0;
            for (int q = 0; q < D; q++) {
                d += c[q] * dphi[q];
                p += v[q] * phi[q];
            }
            ry[i] = (REAL)(d * rz[i] + p);
        }
        break;
    }
    }
}

/* The tangent of the activation's backward step: from gy = dL/dy, its
 * tangent rgy, z, y, Rz and Ry, rgz = R(dL/dz); for polynomial units
 * also rdc (n, degree+1) = R(dL/dcoef), given the coefficients'
 * direction vc. */
static void FN(act_backward_tangent)(const nn_act *a, const double *coef,
                                     const double *vc, size_t m, size_t n,
                                     const REAL *z, const REAL *y,
                                     const REAL *rz, const REAL *ry,
                                     const REAL *gy, const REAL *rgy,
                                     REAL *rgz, double *rdc)
{
    size_t N = m * n;
    switch (a->kind) {
    case NN_ACT_IDENTITY:
        memcpy(rgz, rgy, N * sizeof *rgz);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < N; i++)
            rgz[i] = z[i] > 0 ? rgy[i] : 0;
        break;
    case NN_ACT_TANH: /* y' = 1 - y^2, y'' = -2 y (1 - y^2) */
        for (size_t i = 0; i < N; i++) {
            REAL d = 1 - y[i] * y[i];
            rgz[i] = rgy[i] * d - 2 * gy[i] * y[i] * d * rz[i];
        }
        break;
    case NN_ACT_SIGMOID: /* y' = y (1 - y), y'' = y' (1 - 2 y) */
        for (size_t i = 0; i < N; i++) {
            REAL d = y[i] * (1 - y[i]);
            rgz[i] = rgy[i] * d + gy[i] * d * (1 - 2 * y[i]) * rz[i];
        }
        break;
    case NN_ACT_CELU: /* z <= 0: y' = e^{z/alpha}, y'' = y' / alpha */
        for (size_t i = 0; i < N; i++)
            if (z[i] > 0)
                rgz[i] = rgy[i];
            else {
                double d = exp(z[i] / a->alpha);
                rgz[i] = (REAL)(rgy[i] * d + gy[i] * d / a->alpha * rz[i]);
            }
        break;
    case NN_ACT_SOFTMAX: /* gz = y (gy - s), s = sum gy y */
        for (size_t r = 0; r < m; r++) {
            const REAL *yr = y + r * n, *ryr = ry + r * n;
            const REAL *g = gy + r * n, *rg = rgy + r * n;
            double s = 0, rs = 0;
            for (size_t j = 0; j < n; j++) {
                s += g[j] * (double)yr[j];
                rs += rg[j] * (double)yr[j] + g[j] * (double)ryr[j];
            }
            for (size_t j = 0; j < n; j++)
                rgz[r * n + j] =
                    (REAL)(ryr[j] * (g[j] - s) + yr[j] * (rg[j] - rs));
        }
        break;
    case NN_ACT_EXP: /* y' = y'' = y */
        for (size_t i = 0; i < N; i++)
            rgz[i] = (rgy[i] + gy[i] * rz[i]) * y[i];
        break;
    case NN_ACT_POW3: /* y' = 3 alpha z^2, y'' = 6 alpha z */
        for (size_t i = 0; i < N; i++)
            rgz[i] = (REAL)(rgy[i] * 3 * a->alpha * z[i] * z[i] +
                            gy[i] * 6 * a->alpha * z[i] * rz[i]);
        break;
    default: {
        int D = a->degree + 1;
        double phi[NN_POLY_MAX_DEGREE + 1], d1[NN_POLY_MAX_DEGREE + 1];
        double d2[NN_POLY_MAX_DEGREE + 1];
        memset(rdc, 0, n * (size_t)D * sizeof *rdc);
        for (size_t i = 0; i < N; i++) {
            size_t j = i % n;
            const double *c = coef + j * (size_t)D, *v = vc + j * (size_t)D;
            poly_basis_d2(a->kind, a->degree, z[i], phi, d1, d2);
            double cd1 = 0, vd1 = 0, cd2 = 0;
            for (int q = 0; q < D; q++) {
                cd1 += c[q] * d1[q];
                vd1 += v[q] * d1[q];
                cd2 += c[q] * d2[q];
                rdc[j * (size_t)D + (size_t)q] +=
                    rgy[i] * phi[q] + gy[i] * d1[q] * rz[i];
            }
            rgz[i] = (REAL)(rgy[i] * cd1 + gy[i] * (vd1 + cd2 * rz[i]));
        }
        break;
    }
    }
}

/* R(dL/dz) at the output for the losses computed from z directly. */
static void FN(loss_tangent)(int loss, const nn_act *a, size_t m, size_t n,
                             const REAL *z, const REAL *y, const REAL *t,
                             const REAL *rz, REAL *rgz)
{
    double per_el = 1.0 / ((double)m * (double)n), per_row = 1.0 / m;
    switch (loss) {
    case NN_LOSS_XENT: /* dz = (p sum t - t) / m */
        for (size_t r = 0; r < m; r++) {
            const REAL *p = y + r * n, *rr = rz + r * n, *tr = t + r * n;
            double s = 0, ts = 0;
            for (size_t j = 0; j < n; j++) {
                s += p[j] * (double)rr[j];
                ts += tr[j];
            }
            for (size_t j = 0; j < n; j++)
                rgz[r * n + j] = (REAL)(ts * p[j] * (rr[j] - s) * per_row);
        }
        break;
    case NN_LOSS_SIGMOID_XENT: /* dz = (sigmoid(z) - t) / (m n) */
        for (size_t i = 0; i < m * n; i++)
            rgz[i] = (REAL)(y[i] * (1 - y[i]) * rz[i] * per_el);
        break;
    case NN_LOSS_EXP_GA: /* dz = (y - t) / m, y' = y */
        for (size_t i = 0; i < m * n; i++)
            rgz[i] = (REAL)(y[i] * rz[i] * per_row);
        break;
    default: /* NN_LOSS_POW3_GA: y' = 3 alpha z^2 */
        for (size_t i = 0; i < m * n; i++)
            rgz[i] = (REAL)(3 * a->alpha * z[i] * z[i] * rz[i] * per_row);
        break;
    }
}

/* Layer l's part of the direction v in REAL, masked: v itself when it
 * needs neither. */
static const REAL *FN(direction)(nn_hvp *h, const nn_layer *L,
                                 const double *V)
{
    size_t nw = (1 + L->n_in) * L->n_out;
    REAL *vw = h->vw;
    if (sizeof(REAL) == sizeof(double) && !L->mask)
        return (const REAL *)(const void *)V;
    for (size_t i = 0; i < nw; i++)
        vw[i] = (REAL)(L->mask && !L->mask[i] ? 0 : V[i]);
    return vw;
}

static void FN(hvp_apply)(nn_hvp *h, const nn_net *net, size_t k,
                          const double *v, double scale, double *hv)
{
    const hvp_slot *s = &h->slot[k];
    REAL *const *z = (REAL *const *)s->z, *const *y = (REAL *const *)s->y;
    REAL *const *gy = (REAL *const *)s->gy, *const *gz = (REAL *const *)s->gz;
    REAL **rzs = (REAL **)h->rz, **rys = (REAL **)h->ry, *dw = h->tmp;
    const REAL *sx = s->x, *st = s->t;
    size_t m = s->m, top = h->nl - 1;
    /* forward: Rz = [1 a] V + Ra W[1:], Ry = act'(z) Rz (+ poly) */
    for (size_t l = 0; l < h->nl; l++) {
        const nn_layer *L = &net->layers[l];
        size_t n = L->n_out, nw = (1 + L->n_in) * n;
        const REAL *V = FN(direction)(h, L, v + h->off[l]);
        const REAL *a = l ? y[l - 1] : sx;
        REAL *rz = rzs[l];
        for (size_t r = 0; r < m; r++)
            memcpy(rz + r * n, V, n * sizeof *rz);
        GEMM(0, 0, m, n, L->n_in, 1, a, V + n, 1, rz);
        if (l)
            GEMM(0, 0, m, n, L->n_in, 1, rys[l - 1], WEIGHTS(h, net, l) + n,
                 1, rz);
        FN(act_tangent)(&L->act, L->coef, v + h->off[l] + nw, m, n, z[l],
                        y[l], rz, rys[l]);
    }
    /* the output's R(dL/dz) */
    const nn_layer *out = &net->layers[top];
    size_t nout = out->n_out;
    REAL *rgz = h->rgz, *rgy = h->rgy;
    double *rdc = h->dc;
    if (h->loss == NN_LOSS_MSE || h->loss == NN_LOSS_HINGE) {
        double per_el = 2.0 / ((double)m * (double)nout);
        for (size_t i = 0; i < m * nout; i++)
            rgy[i] = (REAL)(h->loss == NN_LOSS_MSE ? per_el * rys[top][i]
                                                   : 0);
        FN(act_backward_tangent)(&out->act, out->coef,
                                 v + h->off[top] + (1 + out->n_in) * nout, m,
                                 nout, z[top], y[top], rzs[top], rys[top],
                                 gy[top], rgy, rgz, rdc);
        if (nn_act_is_poly(out->act.kind))
            add_scaled(hv + h->off[top] + (1 + out->n_in) * nout, rdc,
                       nout * (size_t)(out->act.degree + 1), scale, NULL);
    } else
        FN(loss_tangent)(h->loss, &out->act, m, nout, z[top], y[top], st,
                         rzs[top], rgz);
    /* backward: R dW = [1 a]^T Rg + [0 Ra]^T g; R(dL/da) = Rg W^T + g V^T */
    for (size_t l = h->nl; l-- > 0;) {
        const nn_layer *L = &net->layers[l];
        size_t n = L->n_out, nw = (1 + L->n_in) * n;
        const REAL *a = l ? y[l - 1] : sx;
        FN(nn_layer_backward)(L, m, a, rgz, dw, NULL);
        if (l)
            GEMM(1, 0, L->n_in, n, m, 1, rys[l - 1], gz[l], 1, dw + n);
        FN(add_scaled)(hv + h->off[l], dw, nw, scale, L->mask);
        if (!l)
            break;
        const REAL *V = FN(direction)(h, L, v + h->off[l]);
        const nn_layer *B = &net->layers[l - 1];
        GEMM(0, 1, m, L->n_in, n, 1, rgz, WEIGHTS(h, net, l) + n, 0, rgy);
        GEMM(0, 1, m, L->n_in, n, 1, gz[l], V + n, 1, rgy);
        REAL *nz = rgz == (REAL *)h->rgz ? (REAL *)h->rga : (REAL *)h->rgz;
        FN(act_backward_tangent)(&B->act, B->coef,
                                 v + h->off[l - 1] + (1 + B->n_in) * B->n_out,
                                 m, B->n_out, z[l - 1], y[l - 1], rzs[l - 1],
                                 rys[l - 1], gy[l - 1], rgy, nz, rdc);
        if (nn_act_is_poly(B->act.kind))
            add_scaled(hv + h->off[l - 1] + (1 + B->n_in) * B->n_out, rdc,
                       B->n_out * (size_t)(B->act.degree + 1), scale, NULL);
        rgz = nz;
    }
}

#undef REAL
#undef FN
#undef GEMM
#undef WEIGHTS

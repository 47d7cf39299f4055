/* nn_act_backward_t.h — a template, included by nn_act.c once per
 * precision with REAL (the element type) and FN (the name's suffix)
 * defined: the backward step of an activation.  No include guard. */

NN_VECTORIZE NN_CLONES
void FN(nn_act_backward)(const nn_act *a, const double *coef, size_t m,
                         size_t n, const REAL *z, const REAL *y, REAL *g,
                         double *dcoef)
{
    size_t N = m * n;
    switch (a->kind) {
    case NN_ACT_IDENTITY:
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < N; i++)
            g[i] = z[i] > 0 ? g[i] : 0;
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            g[i] = (REAL)(g[i] * (1 - (double)y[i] * y[i]));
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            g[i] = (REAL)(g[i] * ((double)y[i] * (1 - (double)y[i])));
        break;
    case NN_ACT_CELU: /* z <= 0: y = alpha (e^{z/alpha} - 1), y' = y/alpha + 1 */
        for (size_t i = 0; i < N; i++)
            g[i] = (REAL)(g[i] * (z[i] > 0 ? 1 : exp(z[i] / a->alpha)));
        break;
    case NN_ACT_SOFTMAX: /* dz_j = y_j (g_j - sum_k g_k y_k) */
        for (size_t r = 0; r < m; r++) {
            const REAL *yr = y + r * n;
            REAL *gr = g + r * n;
            double s = 0;
            for (size_t j = 0; j < n; j++)
                s += gr[j] * yr[j];
            for (size_t j = 0; j < n; j++)
                gr[j] = (REAL)(yr[j] * (gr[j] - s));
        }
        break;
    case NN_ACT_EXP: /* y' = y */
        for (size_t i = 0; i < N; i++)
            g[i] = (REAL)((double)g[i] * y[i]);
        break;
    case NN_ACT_POW3:
        for (size_t i = 0; i < N; i++)
            g[i] = (REAL)(g[i] * (3 * a->alpha * (double)z[i] * z[i]));
        break;
    default: { /* y_j = sum_k c_jk phi_k(z): dz and dc_jk += g phi_k(z) */
        int D = a->degree + 1;
        double phi[MAX_DEGREE + 1], dphi[MAX_DEGREE + 1];
        if (dcoef)
            memset(dcoef, 0, n * (size_t)D * sizeof *dcoef);
        for (size_t r = 0; r < m; r++)
            for (size_t j = 0; j < n; j++) {
                size_t i = r * n + j;
                const double *c = coef + j * (size_t)D;
                nn_poly_basis_deriv(a->kind, a->degree, z[i], phi, dphi);
                double d = 0;
                for (int k = 0; k < D; k++) {
                    d += c[k] * dphi[k];
                    if (dcoef)
                        dcoef[j * (size_t)D + (size_t)k] += g[i] * phi[k];
                }
                g[i] = (REAL)(g[i] * d);
            }
        break;
    }
    }
}

#undef REAL
#undef FN

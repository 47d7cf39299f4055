/* nn_loss_t.h — a template, included by nn_loss.c once per precision
 * with REAL (the element type) and FN (the name's suffix) defined: a loss
 * and its gradient at the output's pre-activation, summed in double
 * precision.  No include guard. */

double FN(nn_loss)(int loss, const nn_act *a, const double *coef, size_t m,
                   size_t n, const REAL *z, const REAL *y, const REAL *t,
                   REAL *dz, double *dcoef)
{
    size_t N = m * n;
    double L = 0, per_el = 1.0 / ((double)m * (double)n), per_row = 1.0 / m;
    switch (loss) {
    case NN_LOSS_MSE:
        for (size_t i = 0; i < N; i++) {
            double d = (double)y[i] - t[i];
            L += d * d;
            dz[i] = (REAL)(2 * d * per_el);
        }
        FN(nn_act_backward)(a, coef, m, n, z, y, dz, dcoef);
        return L * per_el;
    case NN_LOSS_HINGE: /* targets +-1: mean of max(0, 1 - t y) */
        for (size_t i = 0; i < N; i++) {
            double h = 1 - (double)t[i] * y[i];
            L += h > 0 ? h : 0;
            dz[i] = (REAL)(h > 0 ? -t[i] * per_el : 0);
        }
        FN(nn_act_backward)(a, coef, m, n, z, y, dz, dcoef);
        return L * per_el;
    case NN_LOSS_XENT: { /* -sum_j t_j log softmax(z)_j, by log-sum-exp */
        /* a row's e^{z_j - max}, computed once when the row fits */
        double ex[XENT_KEEP];
        int keep = n <= XENT_KEEP;
        for (size_t r = 0; r < m; r++) {
            const REAL *zr = z + r * n, *tr = t + r * n;
            double mx = zr[0], s = 0, ts = 0;
            for (size_t j = 1; j < n; j++)
                mx = zr[j] > mx ? zr[j] : mx;
            for (size_t j = 0; j < n; j++) {
                double ej = exp(zr[j] - mx);
                if (keep)
                    ex[j] = ej;
                s += ej;
            }
            double ls = log(s); /* log softmax_j = (z_j - max) - ls */
            for (size_t j = 0; j < n; j++) {
                L += tr[j] ? -tr[j] * (((double)zr[j] - mx) - ls) : 0;
                ts += tr[j];
            }
            for (size_t j = 0; j < n; j++) {
                double ej = keep ? ex[j] : exp(zr[j] - mx);
                dz[r * n + j] = (REAL)((ej / s * ts - tr[j]) * per_row);
            }
        }
        return L * per_row;
    }
    case NN_LOSS_SIGMOID_XENT: /* softplus(z) - t z, as BCEWithLogits */
        for (size_t i = 0; i < N; i++) {
            L += softplus(z[i]) - (double)t[i] * z[i];
            double s = z[i] >= 0 ? 1 / (1 + exp(-z[i]))
                                 : exp(z[i]) / (1 + exp(z[i]));
            dz[i] = (REAL)((s - t[i]) * per_el);
        }
        return L * per_el;
    case NN_LOSS_EXP_GA: /* sum (y - t ln y), ln y = ln alpha + z */
        for (size_t i = 0; i < N; i++) {
            L += y[i] - t[i] * (log(a->alpha) + z[i]);
            dz[i] = (REAL)(((double)y[i] - t[i]) * per_row);
        }
        return L * per_row;
    default: /* NN_LOSS_POW3_GA: sum (alpha z^4 / 4 + beta z - t z) */
        for (size_t i = 0; i < N; i++) {
            double zi = z[i];
            L += a->alpha * zi * zi * zi * zi / 4 + a->beta * zi - t[i] * zi;
            dz[i] = (REAL)(((double)y[i] - t[i]) * per_row);
        }
        return L * per_row;
    }
}

#undef REAL
#undef FN

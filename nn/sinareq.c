/* nn/sinareq.c: SINAREQ's regularizer, its gradients and its schedules
 * (definitions in nn/sinareq.h). With u_j = pi w_j m, m = 2^beta - 1,
 * p = 2^beta:
 *   R        = (1/n) sum_j sin^2(u_j) / p
 *   dR/dw_j  = (1/n) sin(2 u_j) pi m / p
 *   dR/dbeta = (1/n) sum_j [sin(2 u_j) pi w_j ln2 p - sin^2(u_j) ln2] / p
 *            (dm/dbeta = dp/dbeta = p ln2)
 * Sums in double. */
#include "nn/sinareq.h"

#include <math.h>

static const double PI = 3.14159265358979323846;

double nn_sinareq_reg(const float *w, size_t n, double beta, double scale, float *dw,
                      double *dbeta)
{
    if (n == 0) {
        if (dbeta)
            *dbeta = 0.0;
        return 0.0;
    }
    const double p = exp2(beta), m = p - 1.0, ln2 = log(2.0), inv = 1.0 / (double)n;
    double r = 0.0, db = 0.0;
    for (size_t j = 0; j < n; j++) {
        double u = PI * (double)w[j] * m, s = sin(u), s2 = sin(2.0 * u);
        r += s * s;
        db += s2 * PI * (double)w[j] * ln2 * p - s * s * ln2;
        if (dw)
            dw[j] += (float)(scale * inv * s2 * PI * m / p);
    }
    if (dbeta)
        *dbeta = scale * inv * db / p;
    return inv * r / p;
}

int nn_sinareq_bits(double beta)
{
    int b = (int)ceil(beta);
    return b < 1 ? 1 : b;
}

double nn_sinareq_lambda_q(double epoch, double epochs)
{
    double s = epochs / 100.0;
    return 0.5 * (1.0 + tanh((epoch - 0.2 * epochs) / (s > 0 ? s : 1.0)));
}

double nn_sinareq_lambda_beta(double epoch, double epochs)
{
    double tau = epochs / 100.0;
    tau = tau > 0 ? tau : 1.0;
    return 0.5 * (tanh((epoch - 0.2 * epochs) / tau) - tanh((epoch - 0.5 * epochs) / tau));
}

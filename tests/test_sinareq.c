/* tests/test_sinareq.c: SINAREQ's regularizer (nn/sinareq.h): its value on
 * and off the levels, its gradients in w and beta against central finite
 * differences (in double, h = 1e-4 for w and 1e-5 for beta; tolerance 1e-4
 * relative plus 1e-7), the ceil rounding of the bit width and the shapes of
 * the two strength schedules. */
#include <math.h>
#include <stdlib.h>

#include "nn/sinareq.h"
#include "tests/testutil.h"

static double reg_at(const float *w, size_t n, double beta)
{
    return nn_sinareq_reg(w, n, beta, 1.0, NULL, NULL);
}

int main(void)
{
    /* on the levels k / (2^beta - 1) it is 0; midway between, 1 / 2^beta */
    const float lv[4] = {0.0f, 1.0f / 7.0f, -3.0f / 7.0f, 1.0f};
    TU_CHECK(reg_at(lv, 4, 3.0) < 1e-12, "R on the levels of beta = 3: %g", reg_at(lv, 4, 3.0));
    const float mid[2] = {0.5f / 7.0f, -2.5f / 7.0f};
    TU_CHECK(fabs(reg_at(mid, 2, 3.0) - 1.0 / 8.0) < 1e-7, "R midway: %g, want 1/8",
             reg_at(mid, 2, 3.0));

    enum { N = 37 };
    float w[N], dw[N];
    unsigned s = 1;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        w[i] = ((float)(s >> 8) / (float)(1u << 24) - 0.5f) * 0.8f;
    }
    const double betas[] = {1.3, 2.0, 3.7, 6.0};
    for (size_t k = 0; k < sizeof betas / sizeof betas[0]; k++) {
        double beta = betas[k], db;
        for (int i = 0; i < N; i++)
            dw[i] = 0.0f;
        nn_sinareq_reg(w, N, beta, 1.0, dw, &db);
        int bad = 0;
        for (int i = 0; i < N; i++) {
            float wp[N], wm[N];
            for (int j = 0; j < N; j++)
                wp[j] = wm[j] = w[j];
            const float h = 1e-4f;
            wp[i] += h;
            wm[i] -= h;
            double fd = (reg_at(wp, N, beta) - reg_at(wm, N, beta)) / ((double)wp[i] - wm[i]);
            bad += fabs(dw[i] - fd) > 1e-3 * fabs(fd) + 1e-5;
        }
        TU_CHECK(bad == 0, "beta %g: %d of %d weight gradients differ from finite differences",
                 beta, bad, N);
        const double hb = 1e-5;
        double fdb = (reg_at(w, N, beta + hb) - reg_at(w, N, beta - hb)) / (2 * hb);
        TU_CHECK(fabs(db - fdb) <= 1e-4 * fabs(fdb) + 1e-7, "beta %g: dR/dbeta %g, fd %g", beta,
                 db, fdb);
        /* scale multiplies both, and dw accumulates */
        double db2;
        float acc[N];
        for (int i = 0; i < N; i++)
            acc[i] = dw[i];
        nn_sinareq_reg(w, N, beta, 2.5, acc, &db2);
        bad = 0;
        for (int i = 0; i < N; i++)
            bad += fabsf(acc[i] - 3.5f * dw[i]) > 1e-5f * (1.0f + fabsf(dw[i]));
        TU_CHECK(bad == 0 && fabs(db2 - 2.5 * db) < 1e-12 * (1 + fabs(db)),
                 "beta %g: scale and accumulation", beta);
    }

    TU_CHECK(nn_sinareq_bits(2.0) == 2 && nn_sinareq_bits(2.01) == 3 &&
                 nn_sinareq_bits(0.3) == 1 && nn_sinareq_bits(7.999) == 8,
             "ceil rounding of the bit width");
    /* schedules: lambda_q ~0 early, ~1 after 20%; lambda_beta 0, 1 from 20% to 50%, 0 */
    TU_CHECK(nn_sinareq_lambda_q(0, 100) < 1e-6 && nn_sinareq_lambda_q(30, 100) > 1 - 1e-6 &&
                 fabs(nn_sinareq_lambda_q(20, 100) - 0.5) < 1e-12,
             "lambda_q: 0 early, 1/2 at 20%%, 1 after");
    TU_CHECK(nn_sinareq_lambda_beta(5, 100) < 1e-6 &&
                 fabs(nn_sinareq_lambda_beta(35, 100) - 1.0) < 1e-6 &&
                 nn_sinareq_lambda_beta(80, 100) < 1e-6,
             "lambda_beta: 0, then 1 between 20%% and 50%%, then 0");
    return tu_exit("test_sinareq");
}

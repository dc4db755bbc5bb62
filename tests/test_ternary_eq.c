/* tests/test_ternary_eq.c: TQuant's maximum error and MQuant's bin masses
 * and values on known distributions, against closed-form values
 * (papers.md 3a; the definitions are in nn/quant_ternary_eq.c).
 *
 * 10^6 weights drawn with GSL (MT19937, fixed seed) from
 *   uniform on [-1, 1], the standard Gaussian, and Laplace with b = 1.
 * TQuant: thresh = M/3, value 2M/3 (M = the sample's max|w|); the largest
 *   error over the sample is M/3 (the bound, attained to within the gaps of
 *   a dense sample); on the uniform each bin holds 1/3 of the mass.
 * MQuant: thresh = the 1/3 quantile of |w|; each of -1, 0, +1 holds 1/3 of
 *   the weights; value = E[|w| : |w| > t]:
 *     uniform   t = 1/3,                  value = 2/3
 *     Gaussian  t = Phi^-1(2/3) = 0.430727, value = 3 phi(t) = 1.090800
 *     Laplace   t = ln(3/2) = 0.405465,   value = t + b = 1.405465
 * Tolerances (at least 4 standard errors): masses 0.005; MQuant's threshold
 * 0.01 (its quantile is taken on a 65,536-weight subsample); values 0.01;
 * TQuant's maximum error 1e-3 relative. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "nn/quant.h"
#include "tests/testutil.h"

enum { N = 1000000 };
enum dist { UNIFORM, GAUSSIAN, LAPLACE };
static const char *dist_name[] = {"uniform", "gaussian", "laplace"};

static void draw(float *w, enum dist d, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (int i = 0; i < N; i++)
        w[i] = (float)(d == UNIFORM    ? gsl_ran_flat(r, -1.0, 1.0)
                       : d == GAUSSIAN ? gsl_ran_gaussian(r, 1.0)
                                       : gsl_ran_laplace(r, 1.0));
    gsl_rng_free(r);
}

/* Fits spec on w as one group; codes into code, masses of -1, 0, +1. */
static int fit(struct nn_wq *q, const char *spec, const float *w, int8_t *code, double mass[3])
{
    struct nn_error err;
    if (nn_wq_parse(q, spec, &err) != NN_OK || nn_wq_init(q, 1, &err) != NN_OK) {
        TU_CHECK(0, "%s: %s", spec, err.msg);
        return -1;
    }
    q->ops->fit(q, w, 1, N, 1);
    q->ops->to_int(q, code, w, 1, N);
    long count[3] = {0, 0, 0};
    for (int i = 0; i < N; i++)
        count[code[i] + 1]++;
    for (int j = 0; j < 3; j++)
        mass[j] = (double)count[j] / N;
    return 0;
}

int main(void)
{
    float *w = malloc(N * sizeof *w);
    int8_t *code = malloc(N);
    if (!w || !code)
        return 1;
    const double phi_t = gsl_cdf_ugaussian_Pinv(2.0 / 3.0);
    const double want_t[3] = {1.0 / 3.0, phi_t, log(1.5)};
    const double want_v[3] = {2.0 / 3.0, 3.0 * gsl_ran_ugaussian_pdf(phi_t), log(1.5) + 1.0};
    for (int d = 0; d < 3; d++) {
        draw(w, (enum dist)d, 12345 + (unsigned long)d);
        struct nn_wq q;
        double mass[3];

        /* TQuant */
        if (fit(&q, "tquant", w, code, mass) == 0) {
            double M = 0.0, max_err = 0.0;
            for (int i = 0; i < N; i++)
                M = fmax(M, fabs(w[i]));
            for (int i = 0; i < N; i++)
                max_err = fmax(max_err, fabs((double)w[i] - nn_wq_dequant(&q, code[i], 0)));
            TU_CHECK(fabs(q.thresh[0] - M / 3.0) <= 1e-6 * M, "%s tquant: thresh %g, want M/3 = %g",
                     dist_name[d], q.thresh[0], M / 3.0);
            TU_CHECK(fabs(q.scale[0] - 2.0 * M / 3.0) <= 1e-6 * M,
                     "%s tquant: value %g, want 2M/3 = %g", dist_name[d], q.scale[0], 2 * M / 3);
            TU_CHECK(max_err <= M / 3.0 * (1.0 + 1e-6) && max_err >= M / 3.0 * (1.0 - 1e-3),
                     "%s tquant: max error %g, want M/3 = %g", dist_name[d], max_err, M / 3.0);
            if (d == UNIFORM)
                for (int j = 0; j < 3; j++)
                    TU_CHECK(fabs(mass[j] - 1.0 / 3.0) <= 0.005, "uniform tquant: mass[%d] %g",
                             j - 1, mass[j]);
            printf("%-8s tquant: M %.4f, max error %.6f (M/3 %.6f), masses %.4f %.4f %.4f\n",
                   dist_name[d], M, max_err, M / 3.0, mass[0], mass[1], mass[2]);
            nn_wq_free(&q);
        }

        /* MQuant */
        if (fit(&q, "mquant", w, code, mass) == 0) {
            for (int j = 0; j < 3; j++)
                TU_CHECK(fabs(mass[j] - 1.0 / 3.0) <= 0.005, "%s mquant: mass[%d] %g, want 1/3",
                         dist_name[d], j - 1, mass[j]);
            TU_CHECK(fabs(q.thresh[0] - want_t[d]) <= 0.01, "%s mquant: thresh %g, want %g",
                     dist_name[d], q.thresh[0], want_t[d]);
            TU_CHECK(fabs(q.scale[0] - want_v[d]) <= 0.01, "%s mquant: value %g, want %g",
                     dist_name[d], q.scale[0], want_v[d]);
            printf("%-8s mquant: thresh %.4f (want %.4f), value %.4f (want %.4f), masses %.4f "
                   "%.4f %.4f\n", dist_name[d], q.thresh[0], want_t[d], q.scale[0], want_v[d],
                   mass[0], mass[1], mass[2]);
            nn_wq_free(&q);
        }
    }
    free(w);
    free(code);
    return tu_exit("test_ternary_eq");
}

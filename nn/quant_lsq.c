/* nn/quant_lsq.c: LSQ, Learned Step size Quantization (Esser et al., ICLR
 * 2020; papers.md section 5 "LSQ" [C]), weights, spec "lsq:B" (B = 2..8).
 *
 * Per scale group g (the layer, or one output channel with /ch) of N weights:
 *   K      = Q_P = Q_N = 2^(B-1) - 1: symmetric codes. LSQ's signed range
 *            has Q_N = 2^(B-1), one code more on the negative side; logiq's
 *            weights are sign-magnitude in the hardware (the .qnn's codes
 *            are symmetric, and the export negates a channel's codes), so
 *            -2^(B-1) has no place: lsq:B is uniform:B with a learned step
 *   code   = round(clip(w / s, -K, K)), half away from zero (the rounding
 *            forward of HEQ and UNIFORM, nn/quant_uniform.c)
 *   value  = s * code, s = scale[g]
 *   init   s = 2 mean|w| / sqrt(K) (fit with init = 1; later fits keep s:
 *            it is learned)
 *   grad   STE in w: dw = dwq where -K < w/s < K, else 0 (LSQ's own
 *            estimator, whatever /clip says);
 *            in s:  ds = g sum_i dwq_i dv_i/ds, g = 1/sqrt(N K),
 *                   dv/ds = round(w/s) - w/s  inside, -K or +K outside
 *            into dscale[g] (overwritten); the optimizer steps s with the
 *            same rule and learning rate as the weights (nn/optim.c).
 *   thresh = s / 2, the first decision boundary; informational only.
 * Sums in double, serial per group: the same weights give the same bits. */
#include "nn/quant_impl.h"

void nn_quant_lsq_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    for (int g = 0; g < q->n_group; g++) {
        if (init) {
            double s = 2.0 * nn_quant_mean_abs(w + (size_t)g * group_n, group_n) /
                       sqrt((double)q->K);
            q->scale[g] = s > 0.0 ? (float)s : NN_QUANT_TINY_SCALE;
        }
        q->thresh[g] = 0.5f * q->scale[g];
    }
}

void nn_quant_lsq_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                       int cout, int fan_in)
{
    const size_t group_n = nn_quant_group_size(q, cout, fan_in);
    const float k = (float)q->K;
    for (int g = 0; g < q->n_group; g++) {
        const float s = q->scale[g];
        const size_t lo = (size_t)g * group_n, hi = lo + group_n;
        double acc = 0.0;
        for (size_t i = lo; i < hi; i++) {
            const float x = w[i] / s, gq = dwq[i]; /* dw may be dwq */
            const int inside = x > -k && x < k;
            const double d = inside ? (double)nn_quant_round_code(w[i], s, k) - (double)x
                                    : x < 0.0f ? -(double)k : (double)k;
            acc += (double)gq * d;
            dw[i] = inside ? gq : 0.0f;
        }
        q->dscale[g] = (float)(acc / sqrt((double)group_n * (double)q->K));
    }
}

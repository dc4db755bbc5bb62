/* nn/quant_ternary_eq.c: the ternary support- and mass-equalization fits,
 * specs "tquant" and "mquant" (Yvinec, Dapogny, Bailly, arXiv 2306.17442,
 * papers.md section 3a). The paper's exact operators are not available
 * ([NF]); these are logiq's chosen definitions, papers.md 3a's [I] reading.
 * Per scale group: the layer, or one output channel with /ch (papers.md 7
 * item 2: both are offered). Forward, export and estimator are the threshold
 * ternary's (nn/quant_twn.c): code = |w| > thresh ? sign(w) : 0, value =
 * scale * code. fit recomputes from scratch on every call (init is ignored).
 *
 * TQUANT (support equalization, minimax error):
 *   M      = max|w|
 *   thresh = M / 3       (float division), the three bins [-M, -M/3),
 *                        [-M/3, M/3], (M/3, M] are equally wide
 *   scale  = 2 M / 3     (float, (2 M) / 3), the bin centres
 *   => |w - value| <= M/3 for every |w| <= M.  All-zero group: thresh 0,
 *      scale NN_QUANT_TINY_SCALE, every code 0.
 * MQUANT (mass equalization, average error):
 *   thresh = t = Q_|w|(1/3), the quantile of |w| at 1/3 (linear
 *            interpolation, selection on a scratch copy, groups above 65536
 *            weights subsampled: see nn_quant_abs_quantiles), so each of
 *            -1, 0, +1 holds about 1/3 of a symmetric group
 *   scale  = mean(|w| : |w| > t)  (L2-optimal given t, as in TWN), in double;
 *            mean|w| if no weight exceeds t, NN_QUANT_TINY_SCALE if all 0. */
#include "nn/quant_impl.h"

void nn_quant_tquant_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)init;
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    for (int g = 0; g < q->n_group; g++) {
        const float *wg = w + (size_t)g * group_n;
        float m = nn_quant_max_abs(wg, group_n);
        float s = 2.0f * m / 3.0f;
        q->thresh[g] = m / 3.0f;
        q->scale[g] = s > 0.0f ? s : NN_QUANT_TINY_SCALE;
    }
}

void nn_quant_mquant_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)init;
    assert(q->scratch && q->scratch_n > 0);
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    const double third = 1.0 / 3.0;
    for (int g = 0; g < q->n_group; g++) {
        const float *wg = w + (size_t)g * group_n;
        float t;
        nn_quant_abs_quantiles(q->scratch, q->scratch_n, wg, group_n, &third, 1, &t);
        double sum = 0.0, sum_big = 0.0;
        size_t n_big = 0;
        for (size_t i = 0; i < group_n; i++) {
            float a = fabsf(wg[i]);
            int big = a > t; /* branch-free: about 2/3 of the weights */
            sum += a;
            sum_big += a * (float)big; /* exact: big is 0 or 1 */
            n_big += (size_t)big;
        }
        float alpha = (float)(n_big ? sum_big / (double)n_big : sum / (double)group_n);
        q->thresh[g] = t;
        q->scale[g] = alpha > 0.0f ? alpha : NN_QUANT_TINY_SCALE;
    }
}

/* nn/quant_heq.c: histogram-equalized quantization, spec "heq:N" (N odd,
 * 3..127), after Nguyen, Guicquero, Sicard (ISCAS 2022), papers.md section 1a.
 *
 * The paper's Algorithm 1 and update rule are not available ([NF]); this is
 * logiq's chosen definition, the [I] reconstruction of papers.md 1a:
 *
 *   K      = (N - 1) / 2;  codes in {-K..K}
 *   code   = clip(round_half_away_from_zero(w / s), -K, K)   (the rounding
 *            forward of nn/quant_uniform.c)
 *   value  = s * code.  papers.md 1a writes g = code / K in [-1, 1]; the two
 *            differ by the constant factor s K per layer (or channel), which
 *            the batch norm after every quantized layer absorbs, and s * code
 *            is what the integer hardware multiplies.
 *   fit    the decision boundaries tau_j = s (j - 1/2) should sit at the
 *          quantiles Q_j = Q_|w|((2j - 1) / N), j = 1..K, so that every level
 *          holds 1/N of the weights; one s cannot hit all K of them, so the
 *          least-squares fit
 *              s* = sum_j (j - 1/2) Q_j / sum_j (j - 1/2)^2
 *          (ternary: s* = 2 Q_|w|(1/3), exactly equalized). init = 1: s = s*;
 *          later calls: s <- (1 - eta) s + eta s*, eta = q->heq_rate
 *          (default 0.05, an EMA; computed in float exactly as written).
 *          If s* is not positive (all weights zero) the EMA keeps s, and an
 *          init sets NN_QUANT_TINY_SCALE.
 *   quantiles: linear interpolation between order statistics (GSL / numpy
 *          default), found by selection (O(n), no sort) on a scratch copy of
 *          |w|; groups larger than NN_QUANT_SAMPLE_MAX = 65536 weights use
 *          65536 of them at evenly spread indices (deterministic; quantile
 *          error ~ 1/sqrt(65536) in probability). Per scale group: the layer,
 *          or one output channel with /ch.
 *   thresh = s / 2, the first decision boundary; informational only.
 *   grad   = identity, or with /clip dw = dwq where |w| <= (K + 1/2) s.
 * s is not learned by gradient. */
#include "nn/quant_impl.h"

#define HEQ_K_MAX 63 /* heq:127, the largest spec nn_wq_parse accepts */

void nn_quant_heq_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    assert(q->scratch && q->scratch_n > 0 && q->K >= 1);
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    int K = q->K;
    double p[HEQ_K_MAX];
    float Q[HEQ_K_MAX];
    assert(K <= HEQ_K_MAX);
    double den = 0.0;
    for (int j = 1; j <= K; j++) {
        p[j - 1] = (2.0 * j - 1.0) / (double)q->levels;
        den += (j - 0.5) * (j - 0.5);
    }
    for (int g = 0; g < q->n_group; g++) {
        nn_quant_abs_quantiles(q->scratch, q->scratch_n, w + (size_t)g * group_n, group_n, p,
                               K, Q);
        double num = 0.0;
        for (int j = 1; j <= K; j++)
            num += (j - 0.5) * Q[j - 1];
        float s_star = (float)(num / den);
        float s = q->scale[g];
        if (init)
            s = s_star > 0.0f ? s_star : NN_QUANT_TINY_SCALE;
        else if (s_star > 0.0f)
            s = (1.0f - q->heq_rate) * s + q->heq_rate * s_star;
        q->scale[g] = s;
        q->thresh[g] = 0.5f * s;
    }
}

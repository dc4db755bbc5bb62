/* nn/quant_uniform.c: symmetric uniform B-bit weights, spec "uniform:B"
 * (B = 2..8; the max-scaled symmetric quantizer of WRPN-style baselines,
 * papers.md section 5 "WRPN" [C], with the range taken from the weights
 * instead of clipping to [-1, 1]), and the rounding forward, export and
 * estimator it shares with HEQ.
 *
 * UNIFORM fit, per scale group (the layer, or one output channel with /ch):
 *   K      = 2^(B-1) - 1 (uniform:2 is the round-to-nearest ternary of
 *            papers.md 3a's "baseline": threshold M/2, values +-M)
 *   s      = max|w| / K  -> scale[g]   (NN_QUANT_TINY_SCALE if all are 0)
 *   thresh = s / 2, the first decision boundary; informational only
 *   fit recomputes from scratch on every call (init is ignored).
 * Rounding forward (UNIFORM and HEQ):
 *   code   = clip(round_half_away_from_zero(w / s), -K, K)   (roundf: the
 *            code of -w is minus the code of w, ties included; w / s is a
 *            true division, not a multiplication by 1/s)
 *   value  = s * code
 *   grad   = identity, or with /clip dw = dwq where |w| <= (K + 1/2) s,
 *            the range in which rounding, not clipping, decides the code
 *            (logiq's choice, papers.md 7)
 *
 * Not here: the choice of s for HEQ (nn/quant_heq.c). */
#include "nn/quant_impl.h"

void nn_quant_uniform_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)init;
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    for (int g = 0; g < q->n_group; g++) {
        const float *wg = w + (size_t)g * group_n;
        float m = nn_quant_max_abs(wg, group_n);
        float s = m / (float)q->K;
        s = s > 0.0f ? s : NN_QUANT_TINY_SCALE;
        q->scale[g] = s;
        q->thresh[g] = 0.5f * s;
    }
}

void nn_quant_round_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                         int fan_in)
{
    float k = (float)q->K;
    for (int c = 0; c < cout; c++) {
        float s = q->scale[nn_quant_group(q, c)];
        const float *row = w + (size_t)c * fan_in;
        float *out = wq + (size_t)c * fan_in;
        for (int i = 0; i < fan_in; i++)
            out[i] = s * nn_quant_round_code(row[i], s, k);
    }
}

void nn_quant_round_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                           int fan_in)
{
    float k = (float)q->K;
    for (int c = 0; c < cout; c++) {
        float s = q->scale[nn_quant_group(q, c)];
        const float *row = w + (size_t)c * fan_in;
        int8_t *out = code + (size_t)c * fan_in;
        for (int i = 0; i < fan_in; i++)
            out[i] = (int8_t)nn_quant_round_code(row[i], s, k);
    }
}

void nn_quant_round_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                         int cout, int fan_in)
{
    if (q->ste != NN_STE_CLIPPED) {
        nn_quant_grad_identity(dw, dwq, (size_t)cout * (size_t)fan_in);
        return;
    }
    float range = (float)q->K + 0.5f;
    for (int c = 0; c < cout; c++) {
        size_t off = (size_t)c * fan_in;
        float limit = range * q->scale[nn_quant_group(q, c)];
        nn_quant_grad_clip_abs(dw + off, dwq + off, w + off, (size_t)fan_in, limit);
    }
}

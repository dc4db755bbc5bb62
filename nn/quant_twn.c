/* nn/quant_twn.c: ternary weight networks, spec "twn" (Li et al., papers.md
 * section 5 "TWN" [A][C]), and the forward, export and estimator that every
 * threshold ternary shares (TWN, TQUANT, MQUANT: nn/quant_ternary_eq.c only
 * adds their fits).
 *
 * TWN fit, per scale group (the layer, or one output channel with /ch):
 *   Delta  = 0.7 * mean|w|                          -> thresh[g]
 *   alpha  = mean(|w| : |w| > Delta)                -> scale[g]
 *            (sums in double, each result rounded once to float; if no
 *            weight exceeds Delta, alpha = mean|w|; if all are zero, alpha =
 *            NN_QUANT_TINY_SCALE: never 0 or NaN)
 * Threshold ternary forward (all three kinds):
 *   code   = |w| > thresh[g] ? sign(w) : 0          (K = 1, 3 levels)
 *   value  = scale[g] * code
 *   grad   = identity, or with /clip dw = dwq where |w| <= 1: logiq's choice,
 *            BNN's hardtanh mask (papers.md 5 "BNN") for every binary/ternary
 *            kind; TWN's paper only says "STE" [C]
 * fit recomputes from scratch on every call (init is ignored).
 *
 * Not here: the rounding ternaries heq:3 and uniform:2 (nn/quant_heq.c,
 * nn/quant_uniform.c). */
#include "nn/quant_impl.h"

void nn_quant_twn_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)init;
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    for (int g = 0; g < q->n_group; g++) {
        const float *wg = w + (size_t)g * group_n;
        double mean = nn_quant_mean_abs(wg, group_n);
        float mean_abs = (float)mean;
        float delta = (float)(0.7 * mean);
        double sum_big = 0.0;
        size_t n_big = 0;
        for (size_t i = 0; i < group_n; i++) {
            float a = fabsf(wg[i]);
            int big = a > delta; /* branch-free: about 1/2 of the weights */
            sum_big += a * (float)big; /* exact: big is 0 or 1 */
            n_big += (size_t)big;
        }
        float alpha = n_big ? (float)(sum_big / (double)n_big) : mean_abs;
        q->thresh[g] = delta;
        q->scale[g] = alpha > 0.0f ? alpha : NN_QUANT_TINY_SCALE;
    }
}

void nn_quant_ternary_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                           int fan_in)
{
    for (int c = 0; c < cout; c++) {
        int g = nn_quant_group(q, c);
        float s = q->scale[g], t = q->thresh[g];
        const float *row = w + (size_t)c * fan_in;
        float *out = wq + (size_t)c * fan_in;
        for (int i = 0; i < fan_in; i++)
            out[i] = s * nn_quant_ternary_code(row[i], t);
    }
}

void nn_quant_ternary_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                             int fan_in)
{
    for (int c = 0; c < cout; c++) {
        float t = q->thresh[nn_quant_group(q, c)];
        const float *row = w + (size_t)c * fan_in;
        int8_t *out = code + (size_t)c * fan_in;
        for (int i = 0; i < fan_in; i++)
            out[i] = (int8_t)nn_quant_ternary_code(row[i], t);
    }
}

void nn_quant_ternary_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                           int cout, int fan_in)
{
    size_t n = (size_t)cout * (size_t)fan_in;
    if (q->ste == NN_STE_CLIPPED)
        nn_quant_grad_clip_abs(dw, dwq, w, n, 1.0f);
    else
        nn_quant_grad_identity(dw, dwq, n);
}

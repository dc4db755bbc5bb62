/* nn/quant_binary.c: binary weights, spec "bin" (BWN / XNOR-Net weights,
 * papers.md section 5 "XNOR-Net / BWN" [C]).
 *
 *   code   = w >= 0 ? +1 : -1          (zero maps to +1; K = 1, 2 levels)
 *   scale  = mean |w| over the scale group (the layer, or one output channel
 *            with /ch: XNOR-Net's per-filter alpha), computed in double
 *   value  = scale * code;  thresh is unused (0)
 *   grad   = identity, or with /clip (NN_STE_CLIPPED) dw = dwq where |w| <= 1
 *            (BNN's hardtanh mask 1_{|w|<=1}, papers.md 5 "BNN" [P])
 *
 * fit recomputes the scale from scratch on every call (init is ignored); an
 * all-zero group gets NN_QUANT_TINY_SCALE. Hardware: 1 bit per weight (the
 * sign plane only), there is no zero code.
 *
 * Not here: binary *activations* (nn/quant_act.c, heaviside and sign). */
#include "nn/quant_impl.h"

void nn_quant_binary_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)init;
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    for (int g = 0; g < q->n_group; g++) {
        const float *wg = w + (size_t)g * group_n;
        float s = (float)nn_quant_mean_abs(wg, group_n);
        q->scale[g] = s > 0.0f ? s : NN_QUANT_TINY_SCALE;
        q->thresh[g] = 0.0f;
    }
}

void nn_quant_binary_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                          int fan_in)
{
    for (int c = 0; c < cout; c++) {
        float s = q->scale[nn_quant_group(q, c)];
        const float *row = w + (size_t)c * fan_in;
        float *out = wq + (size_t)c * fan_in;
        for (int i = 0; i < fan_in; i++)
            out[i] = s * nn_quant_binary_code(row[i]);
    }
}

void nn_quant_binary_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                            int fan_in)
{
    (void)q;
    size_t n = (size_t)cout * (size_t)fan_in;
    for (size_t i = 0; i < n; i++)
        code[i] = (int8_t)nn_quant_binary_code(w[i]);
}

void nn_quant_binary_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                          int cout, int fan_in)
{
    size_t n = (size_t)cout * (size_t)fan_in;
    if (q->ste == NN_STE_CLIPPED)
        nn_quant_grad_clip_abs(dw, dwq, w, n, 1.0f);
    else
        nn_quant_grad_identity(dw, dwq, n);
}

/* nn/quant_pow2.c: MINW-Net's power-of-two weights, spec "pow2:B"
 * (papers.md 2a, Eq. 21-22): B = 2..4 bits, q = 2^(B-1) - 1 positive levels
 * m 2^-p (p = 0..q-1) and 0, their negatives; pow2:3 is the paper's
 * {0, +-1/4, +-1/2, +-1} m, whose products are shifts.
 *
 * The paper clips the weights to [-1, 1] and uses m = 1; logiq's weights
 * are not clipped, so m is the scale group's max |w| (as uniform:B does).
 * The codes are the integers {0, +-1, +-2, ..., +-K}, K = 2^(q-1), each level
 * m 2^-p the code 2^(q-1-p), so the hardware's bit-plane PE runs them as
 * n-level weights (ceil(log2(K+1)) magnitude planes, one set per weight):
 *   K      = 2^(q-1)          (pow2:2: K = 1, pow2:3: K = 4, pow2:4: K = 64)
 *   scale  = max|w| / K       (the value of code 1; NN_QUANT_TINY_SCALE if 0):
 *            uniform:B's fit (nn_quant_uniform_fit)
 *   code   = 0 when |w|/scale < 1/2, else the largest power of two c <= K
 *            with |w|/scale >= (3/4) c, i.e. the thresholds sit at the
 *            midpoints between adjacent levels (papers.md 2a [I]: for pow2:3
 *            at 0.125, 0.375 and 0.75 of max|w|); ties go to the larger
 *            level; code(-w) = -code(w); NaN gives 0
 *   value  = scale * code
 *   grad   = identity, or with /clip dw = dwq where |w| <= max|w| (= K scale)
 *   thresh = scale / 2, the first decision boundary; informational only */
#include "nn/quant_impl.h"

static inline float pow2_code(float w, float s, int K)
{
    float a = fabsf(w) / s;
    if (!(a >= 0.5f))
        return 0.0f;
    int c = 1;
    while (c < K && a >= 1.5f * (float)c)
        c *= 2;
    return w < 0.0f ? -(float)c : (float)c;
}

void nn_quant_pow2_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                        int fan_in)
{
    for (int c = 0; c < cout; c++) {
        float s = q->scale[nn_quant_group(q, c)];
        for (size_t i = (size_t)c * fan_in; i < (size_t)(c + 1) * fan_in; i++)
            wq[i] = s * pow2_code(w[i], s, q->K);
    }
}

void nn_quant_pow2_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                          int fan_in)
{
    for (int c = 0; c < cout; c++) {
        float s = q->scale[nn_quant_group(q, c)];
        for (size_t i = (size_t)c * fan_in; i < (size_t)(c + 1) * fan_in; i++)
            code[i] = (int8_t)pow2_code(w[i], s, q->K);
    }
}

void nn_quant_pow2_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                        int cout, int fan_in)
{
    if (q->ste != NN_STE_CLIPPED) {
        nn_quant_grad_identity(dw, dwq, (size_t)cout * (size_t)fan_in);
        return;
    }
    for (int c = 0; c < cout; c++) {
        size_t off = (size_t)c * fan_in;
        float limit = (float)q->K * q->scale[nn_quant_group(q, c)];
        nn_quant_grad_clip_abs(dw + off, dwq + off, w + off, (size_t)fan_in, limit);
    }
}

float nn_quant_pow2_code(const struct nn_wq *q, float w, float s)
{
    return pow2_code(w, s, q->K);
}

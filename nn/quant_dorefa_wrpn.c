/* nn/quant_dorefa_wrpn.c: the DoReFa and WRPN weight quantizers, specs
 * "dorefa:k" and "wrpn:k" (papers.md section 5, from Intel Distiller's
 * implementations [C]); SINAREQ (papers.md 4) trains on top of both.
 *
 * DOREFA, k = 2..7 bits, n = 2^k - 1 (no zero level; k = 1 is `bin`):
 *   M      = max|tanh(w)| of the scale group   -> thresh[g] (not a threshold:
 *            the normalizer; NN_QUANT_TINY_SCALE if 0)
 *   u      = tanh(w) / (2 M) + 1/2 in [0, 1]
 *   code   = 2 round(n u) - n, the odd integers in [-n, n] (round half up:
 *            n u >= 0)
 *   scale  = 1 / n, so value = 2 round(n u) / n - 1 = DoReFa's
 *            2 quantize_k(u) - 1 in [-1, 1]
 *   grad   = dwq (1 - tanh^2 w) / M: the STE through round, the exact
 *            derivative of tanh(w) / M (M held constant, as one weight's)
 *
 * WRPN, k = 2..8 bits, n = 2^(k-1) - 1 (sign + k-1 magnitude bits):
 *   code   = round(n clip(w, -1, 1)), half away from zero, in [-n, n]
 *            (nn_quant_round_code with s = 1/n)
 *   scale  = 1 / n;  value = round(n w_c) / n
 *   grad   = dwq where |w| <= 1, else 0 (the clip's derivative; STE through
 *            round)
 *   WRPN's weights are not rescaled: with logiq's initialization (std
 *   1/sqrt(3 fan_in)) most are below 1/(2n) and start at code 0, as in the
 *   reference implementation; the paper recovers accuracy by widening the
 *   layers (`--width`). */
#include "nn/quant_impl.h"

static inline float dorefa_code(float w, float M, float n)
{
    float u = tanhf(w) / (2.0f * M) + 0.5f;
    float r = floorf(n * u + 0.5f);
    r = r < 0.0f ? 0.0f : r > n ? n : r;
    return 2.0f * r - n;
}

void nn_quant_dorefa_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)init;
    size_t group_n = nn_quant_group_size(q, cout, fan_in);
    for (int g = 0; g < q->n_group; g++) {
        const float *wg = w + (size_t)g * group_n;
        float M = 0.0f;
        for (size_t i = 0; i < group_n; i++) {
            float t = fabsf(tanhf(wg[i]));
            M = t > M ? t : M;
        }
        q->thresh[g] = M > 0.0f ? M : NN_QUANT_TINY_SCALE;
        q->scale[g] = 1.0f / (float)q->K;
    }
}

void nn_quant_dorefa_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                          int fan_in)
{
    const float n = (float)q->K;
    for (int c = 0; c < cout; c++) {
        int g = nn_quant_group(q, c);
        float s = q->scale[g], M = q->thresh[g];
        for (size_t i = (size_t)c * fan_in; i < (size_t)(c + 1) * fan_in; i++)
            wq[i] = s * dorefa_code(w[i], M, n);
    }
}

void nn_quant_dorefa_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                            int fan_in)
{
    const float n = (float)q->K;
    for (int c = 0; c < cout; c++) {
        float M = q->thresh[nn_quant_group(q, c)];
        for (size_t i = (size_t)c * fan_in; i < (size_t)(c + 1) * fan_in; i++)
            code[i] = (int8_t)dorefa_code(w[i], M, n);
    }
}

void nn_quant_dorefa_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                          int cout, int fan_in)
{
    for (int c = 0; c < cout; c++) {
        float M = q->thresh[nn_quant_group(q, c)];
        for (size_t i = (size_t)c * fan_in; i < (size_t)(c + 1) * fan_in; i++) {
            float t = tanhf(w[i]);
            dw[i] = dwq[i] * (1.0f - t * t) / M;
        }
    }
}

float nn_quant_dorefa_code(const struct nn_wq *q, float w, int group)
{
    return dorefa_code(w, q->thresh[group], (float)q->K);
}

void nn_quant_wrpn_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)w;
    (void)cout;
    (void)fan_in;
    (void)init;
    for (int g = 0; g < q->n_group; g++) {
        q->scale[g] = 1.0f / (float)q->K;
        q->thresh[g] = 0.5f / (float)q->K;
    }
}

void nn_quant_wrpn_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                        int cout, int fan_in)
{
    (void)q;
    nn_quant_grad_clip_abs(dw, dwq, w, (size_t)cout * (size_t)fan_in, 1.0f);
}

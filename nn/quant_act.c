/* nn/quant_act.c: the activation quantizers' float forward and estimator.
 * The spec strings, thresholds and integer values are in nn/quant.c.
 *
 * Every exportable activation maps a pre-activation y to the code
 * #{ j : y >= t_j } (thresholds ascending), and the code to a value:
 *   heaviside ("1")  t_1 = 0;  value = code in {0, 1}      (papers.md 1b:
 *                    HEQ's logic-gated nets use a = H(x))
 *   sign             t_1 = 0;  value = 2 code - 1 in {-1, +1}  (BNN, papers.md 5)
 *   uniform B        t_j = (j - 1/2) / L, j = 1..L, L = 2^B - 1 (each rounded
 *                    once to float from double); value = code * (1/L), the
 *                    float 1/L rounded once: DoReFa's quantize_k(clip(y,0,1))
 *                    (papers.md 5) with round-half-up at the ties
 *   tern             t = -1/2, +1/2; value = code - 1 in {-1, 0, 1}
 *                    (MINW-Net's 2-bit h, papers.md 2a, Delta = 1/2: the
 *                    midpoint after the HardTanh clip)
 *   pow2:B           2q thresholds (q = 2^(B-1) - 1, nn_aq_thresh), value =
 *                    0 or +-2^(|code - q| - 1) in units of 2^-(q-1):
 *                    pow2:3 is {0, +-1/4, +-1/2, +-1} (papers.md 2a)
 * and the forward computes exactly that count (uniform: a closed-form guess
 * corrected against the float thresholds, so ties and NaN agree with the
 * count: NaN reaches no threshold, code 0).
 *
 * Estimators (logiq's choice; papers.md 1b marks HEQ's as [NF]):
 *   /clip (default)  heaviside, sign, tern, pow2: dy = dout where |y| <= 1 (BNN's
 *                    1_{|y|<=1}); uniform: where 0 <= y <= 1 (DoReFa's clip
 *                    mask)
 *   /id              dy = dout
 * fp: identity both ways.  relu: max(0, y) (NaN and -0 give +0), dy = dout
 * where y > 0.  Neither is exportable. Every loop allows out == in and
 * din == dout (elementwise).
 *
 * The estimators read dout[i] unconditionally and then select it or 0: the
 * same values as `mask ? dout[i] : 0`, but a loop that loads only under the
 * mask does not vectorize without masked loads (baseline x86-64 has none)
 * and mispredicts on random signs; this form is branch-free on every
 * instruction-set path. */
#include "nn/quant_impl.h"

void nn_quant_act_fp_forward(const struct nn_aq *q, float *out, const float *in, size_t n)
{
    (void)q;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i];
}

void nn_quant_act_fp_backward(const struct nn_aq *q, float *din, const float *dout,
                              const float *in, size_t n)
{
    (void)q;
    (void)in;
    for (size_t i = 0; i < n; i++)
        din[i] = dout[i];
}

/* The loops of relu, heaviside, sign and the clipped estimator, written
 * once (NN_INLINE) and compiled for each instruction-set path (nn/isa.h):
 * comparisons and selects only, the same bits on every path. */
NN_INLINE void relu_fwd(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

NN_INLINE void relu_bwd(float *din, const float *dout, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float g = dout[i];
        din[i] = in[i] > 0.0f ? g : 0.0f;
    }
}

NN_INLINE void heaviside_fwd(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] >= 0.0f ? 1.0f : 0.0f;
}

NN_INLINE void sign_fwd(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] >= 0.0f ? 1.0f : -1.0f;
}

NN_INLINE void clip_bwd(float *din, const float *dout, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float g = dout[i];
        din[i] = fabsf(in[i]) <= 1.0f ? g : 0.0f;
    }
}

/* One loop on one path: the arguments of the forward (out, in) or of the
 * estimator (din, dout, in). */
enum act_loop { RELU_FWD, RELU_BWD, HEAVISIDE_FWD, SIGN_FWD, CLIP_BWD };

NN_INLINE void act_loop(enum act_loop loop, float *out, const float *g, const float *in,
                        size_t n)
{
    switch (loop) {
    case RELU_FWD: relu_fwd(out, in, n); break;
    case RELU_BWD: relu_bwd(out, g, in, n); break;
    case HEAVISIDE_FWD: heaviside_fwd(out, in, n); break;
    case SIGN_FWD: sign_fwd(out, in, n); break;
    case CLIP_BWD: clip_bwd(out, g, in, n); break;
    }
}

static void act_loop_portable(enum act_loop loop, float *out, const float *g, const float *in,
                              size_t n)
{
    act_loop(loop, out, g, in, n);
}

#if NN_ISA_X86
NN_TARGET_AVX2
static void act_loop_avx2(enum act_loop loop, float *out, const float *g, const float *in,
                          size_t n)
{
    act_loop(loop, out, g, in, n);
}

NN_TARGET_AVX512
static void act_loop_avx512(enum act_loop loop, float *out, const float *g, const float *in,
                            size_t n)
{
    act_loop(loop, out, g, in, n);
}
#endif

static void act_run(enum nn_isa isa, enum act_loop loop, float *out, const float *g,
                    const float *in, size_t n)
{
#if NN_ISA_X86
    if (isa == NN_ISA_AVX512) {
        act_loop_avx512(loop, out, g, in, n);
        return;
    }
    if (isa == NN_ISA_AVX2) {
        act_loop_avx2(loop, out, g, in, n);
        return;
    }
#endif
    (void)isa;
    act_loop_portable(loop, out, g, in, n);
}

void nn_quant_act_relu_forward(const struct nn_aq *q, float *out, const float *in, size_t n)
{
    act_run(q->isa, RELU_FWD, out, NULL, in, n);
}

void nn_quant_act_relu_backward(const struct nn_aq *q, float *din, const float *dout,
                                const float *in, size_t n)
{
    act_run(q->isa, RELU_BWD, din, dout, in, n);
}

void nn_quant_act_heaviside_forward(const struct nn_aq *q, float *out, const float *in,
                                    size_t n)
{
    act_run(q->isa, HEAVISIDE_FWD, out, NULL, in, n);
}

void nn_quant_act_sign_forward(const struct nn_aq *q, float *out, const float *in, size_t n)
{
    act_run(q->isa, SIGN_FWD, out, NULL, in, n);
}

void nn_quant_act_step_backward(const struct nn_aq *q, float *din, const float *dout,
                                const float *in, size_t n)
{
    if (q->ste == NN_STE_CLIPPED) {
        act_run(q->isa, CLIP_BWD, din, dout, in, n);
    } else {
        for (size_t i = 0; i < n; i++)
            din[i] = dout[i];
    }
}

void nn_aqe_blend(float alpha, float *out, const float *in, size_t n)
{
    const float beta = 1.0f - alpha;
    for (size_t i = 0; i < n; i++)
        out[i] = alpha * out[i] + beta * in[i];
}

void nn_aqe_blend_clip(float alpha, float *out, const float *in, size_t n, float lo, float hi)
{
    const float beta = 1.0f - alpha;
    for (size_t i = 0; i < n; i++) {
        const float a = in[i] < lo ? lo : in[i] > hi ? hi : in[i];
        out[i] = alpha * out[i] + beta * a;
    }
}

void nn_aqe_stochastic_sign(float *out, const float *in, size_t n, uint64_t key,
                            uint64_t offset)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t z = key ^ ((offset + i) * 0xd1b54a32d192ed03ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        float u = (float)(z >> 40) * (2.0f / 16777216.0f) - 1.0f; /* [-1, 1) */
        out[i] = in[i] - u >= 0.0f ? 1.0f : -1.0f;
    }
}

void nn_aqe_grad(float alpha, float *d, const float *g, const float *x, size_t n)
{
    const float k = 2.0f * alpha;
    for (size_t i = 0; i < n; i++) {
        const float kg = k * g[i];
        d[i] = fabsf(x[i]) <= 1.0f ? kg : 0.0f;
    }
}

void nn_quant_act_uniform_forward(const struct nn_aq *q, float *out, const float *in,
                                  size_t n)
{
    int L = (1 << q->bits) - 1;
    float t[256]; /* t[1..L]; L <= 255 for B <= 8 */
    assert(L >= 1 && L < 256);
    for (int j = 1; j <= L; j++)
        t[j] = nn_quant_act_uniform_thresh(j, L);
    float vs = nn_quant_act_uniform_scale(L), fl = (float)L;
    for (size_t i = 0; i < n; i++) {
        float y = in[i];
        float g = y * fl + 0.5f;
        int k = !(g >= 1.0f) ? 0 : g >= fl ? L : (int)g;
        /* The guess is within one of the count; correct it against the
         * thresholds themselves (ends with t[k] <= y < t[k+1]). */
        while (k < L && y >= t[k + 1])
            k++;
        while (k > 0 && !(y >= t[k]))
            k--;
        out[i] = (float)k * vs;
    }
}

void nn_quant_act_levels_forward(const struct nn_aq *q, float *out, const float *in, size_t n)
{
    float t[16], v[17]; /* tern: 2 thresholds; pow2:4: 14 */
    const int nt = nn_aq_n_thresh(q);
    assert(nt >= 1 && nt <= 16);
    const float vs = nn_aq_value_scale(q);
    for (int j = 0; j < nt; j++)
        t[j] = nn_aq_thresh(q, j + 1);
    for (int c = 0; c <= nt; c++)
        v[c] = (float)nn_aq_int_value(q, c) * vs;
    for (size_t i = 0; i < n; i++) {
        const float y = in[i];
        int c = 0;
        for (int j = 0; j < nt; j++)
            c += y >= t[j];
        out[i] = v[c];
    }
}

void nn_quant_act_uniform_backward(const struct nn_aq *q, float *din, const float *dout,
                                   const float *in, size_t n)
{
    if (q->ste == NN_STE_CLIPPED) {
        for (size_t i = 0; i < n; i++) {
            const float g = dout[i];
            din[i] = in[i] >= 0.0f && in[i] <= 1.0f ? g : 0.0f;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            din[i] = dout[i];
    }
}

/* nn/quant_impl.h: what the quantizer family files (nn/quant_*.c) share with
 * nn/quant.c, which holds the ops tables, the spec parser and the generic
 * helpers. Internal to nn/: nothing outside the quantizers includes it.
 *
 * The per-weight code functions are static inline here so that the family
 * loops (fake, to_int) and nn_wq_level_share compute a code from the very same
 * expression: one definition of "the code of w", used everywhere.
 *
 * Every code function returns the code as an integer-valued float that is
 * exactly (float)(int8_t)code, with zero as +0.0f (never -0.0f), so that
 * scale * code_f is bit for bit nn_wq_dequant(q, code, c). */
#ifndef LOGIQ_NN_QUANT_IMPL_H
#define LOGIQ_NN_QUANT_IMPL_H

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "nn/quant.h"

/* The scale used when a fit finds nothing to measure (all weights zero):
 * positive, so that no scale is ever 0 or NaN; every code is then 0 anyway. */
#define NN_QUANT_TINY_SCALE FLT_MIN

/* Largest number of |w| values a quantile fit looks at per scale group: the
 * size of nn_wq's scratch buffer (256 KiB). Larger groups are subsampled at
 * evenly spread indices (see nn_quant_abs_quantiles). */
#define NN_QUANT_SAMPLE_MAX 65536

/* Scale group of output channel c. */
static inline int nn_quant_group(const struct nn_wq *q, int c)
{
    return q->mode == NN_SCALE_CHANNEL ? c : 0;
}

/* Number of weights in one scale group of a [cout][fan_in] tensor: groups
 * are contiguous (the whole tensor, or one row per output channel). */
static inline size_t nn_quant_group_size(const struct nn_wq *q, int cout, int fan_in)
{
    assert(q->n_group == (q->mode == NN_SCALE_CHANNEL ? cout : 1) && fan_in > 0);
    return (q->mode == NN_SCALE_CHANNEL ? 1 : (size_t)cout) * (size_t)fan_in;
}

/* Binary code: +1 for w >= 0 (zero included), else -1. */
static inline float nn_quant_binary_code(float w)
{
    return w >= 0.0f ? 1.0f : -1.0f;
}

/* Threshold ternary code (TWN, TQUANT, MQUANT): sign(w) if |w| > t, else 0. */
static inline float nn_quant_ternary_code(float w, float t)
{
    return fabsf(w) > t ? (w > 0.0f ? 1.0f : -1.0f) : 0.0f;
}

/* Rounding code (HEQ, UNIFORM): clip(round_half_away_from_zero(w / s), -K, K),
 * written as round(clip(w / s, -K, K)), which is the same for integer K.
 * The rounding is exact and branch-free so the loops vectorize (roundf is a
 * library call): t = trunc(x) through int (|x| <= K <= 127), x - t is exact,
 * and |x - t| >= 1/2 steps away from zero. NaN maps to +K (the clip's
 * comparisons are false), so the conversions are always defined. The result
 * is never -0.0f: t is +0.0f for -1 < x < 1. */
static inline float nn_quant_round_code(float w, float s, float k)
{
    float x = w / s;
    x = x < k ? x : k;
    x = x > -k ? x : -k;
    float t = (float)(int)x;
    float d = x - t;
    return t + (d >= 0.5f ? 1.0f : d <= -0.5f ? -1.0f : 0.0f);
}

/* Shared helpers (nn/quant.c). */

/* dw[i] = dwq[i] for i < n (dw may equal dwq). */
void nn_quant_grad_identity(float *dw, const float *dwq, size_t n);
/* dw[i] = |w[i]| <= limit ? dwq[i] : 0 for i < n. */
void nn_quant_grad_clip_abs(float *dw, const float *dwq, const float *w, size_t n,
                            float limit);
/* The quantiles of |w[0..n)| at the levels p[0..np) (ascending, in [0, 1]),
 * into out[np]. Quantile definition: linear interpolation between order
 * statistics at h = p (m - 1) (GSL's gsl_stats_float_quantile_from_sorted_data,
 * numpy's default), over the m = n values, or over m = scratch_n of them at
 * evenly spread indices floor(i n / m) when n > scratch_n. O(m log np)
 * expected (multi-quickselect). */
void nn_quant_abs_quantiles(float *scratch, size_t scratch_n, const float *w, size_t n,
                            const double *p, int np, float *out);

/* The families' ops (one file each). */
void nn_quant_fp_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);
void nn_quant_fp_fake(const struct nn_wq *q, float *wq, const float *w, int cout, int fan_in);
void nn_quant_fp_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                      int cout, int fan_in);

void nn_quant_binary_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);
void nn_quant_binary_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                          int fan_in);
void nn_quant_binary_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                            int fan_in);
void nn_quant_binary_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                          int cout, int fan_in);

void nn_quant_twn_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);

void nn_quant_heq_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);

void nn_quant_uniform_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);

void nn_quant_tquant_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);
void nn_quant_mquant_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);

/* The forward / export / estimator shared by the threshold ternaries (TWN,
 * TQUANT, MQUANT: code from thresh[g], value scale[g]) (nn/quant_twn.c). */
void nn_quant_ternary_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                           int fan_in);
void nn_quant_ternary_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                             int fan_in);
void nn_quant_ternary_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                           int cout, int fan_in);

/* The forward / export / estimator shared by the rounding quantizers (HEQ,
 * UNIFORM: code round(w / s) clipped to K, step scale[g])
 * (nn/quant_uniform.c). */
/* DoReFa and WRPN weights (nn/quant_dorefa_wrpn.c). */
void nn_quant_dorefa_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);
void nn_quant_dorefa_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                          int fan_in);
void nn_quant_dorefa_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                            int fan_in);
void nn_quant_dorefa_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                          int cout, int fan_in);
float nn_quant_dorefa_code(const struct nn_wq *q, float w, int group);
void nn_quant_wrpn_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);
void nn_quant_wrpn_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                        int cout, int fan_in);

/* LSQ, learned step size (nn/quant_lsq.c); its forward and export are the
 * rounding ones. */
void nn_quant_lsq_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init);
void nn_quant_lsq_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                       int cout, int fan_in);

/* MINW-Net power-of-two weights (nn/quant_pow2.c). */
void nn_quant_pow2_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                        int fan_in);
void nn_quant_pow2_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                          int fan_in);
void nn_quant_pow2_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                        int cout, int fan_in);
float nn_quant_pow2_code(const struct nn_wq *q, float w, float s);

void nn_quant_round_fake(const struct nn_wq *q, float *wq, const float *w, int cout,
                         int fan_in);
void nn_quant_round_to_int(const struct nn_wq *q, int8_t *code, const float *w, int cout,
                           int fan_in);
void nn_quant_round_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                         int cout, int fan_in);

/* Activation quantizers (nn/quant_act.c). */
void nn_quant_act_fp_forward(const struct nn_aq *q, float *out, const float *in, size_t n);
void nn_quant_act_fp_backward(const struct nn_aq *q, float *din, const float *dout,
                              const float *in, size_t n);
void nn_quant_act_relu_forward(const struct nn_aq *q, float *out, const float *in, size_t n);
void nn_quant_act_relu_backward(const struct nn_aq *q, float *din, const float *dout,
                                const float *in, size_t n);
void nn_quant_act_heaviside_forward(const struct nn_aq *q, float *out, const float *in,
                                    size_t n);
void nn_quant_act_sign_forward(const struct nn_aq *q, float *out, const float *in, size_t n);
/* Heaviside and sign share one estimator: clipped passes |y| <= 1. */
void nn_quant_act_step_backward(const struct nn_aq *q, float *din, const float *dout,
                                const float *in, size_t n);
void nn_quant_act_uniform_forward(const struct nn_aq *q, float *out, const float *in,
                                  size_t n);
/* tern and pow2: the count of the thresholds nn_aq_thresh gives, its value
 * nn_aq_int_value * nn_aq_value_scale; their estimator is the step one
 * (clipped: |y| <= 1, the HardTanh's range). */
void nn_quant_act_levels_forward(const struct nn_aq *q, float *out, const float *in,
                                 size_t n);
void nn_quant_act_uniform_backward(const struct nn_aq *q, float *din, const float *dout,
                                   const float *in, size_t n);

/* Uniform activation threshold j in 1..L (L = 2^B - 1): (j - 1/2) / L,
 * computed in double and rounded once to float; value scale 1/L likewise.
 * nn_aq_thresh, nn_aq_value_scale and the forward all use these. */
static inline float nn_quant_act_uniform_thresh(int j, int L)
{
    return (float)((j - 0.5) / L);
}

static inline float nn_quant_act_uniform_scale(int L)
{
    return (float)(1.0 / L);
}


/* Mean of |w| over n weights, summed in double (the scale of bin, the
 * threshold of twn). */
static inline double nn_quant_mean_abs(const float *w, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += fabsf(w[i]);
    return sum / (double)n;
}

/* Largest |w| over n weights (uniform's range, tquant's M). */
static inline float nn_quant_max_abs(const float *w, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(w[i]);
        m = a > m ? a : m;
    }
    return m;
}

#endif

/* nn/quant.h: weight and activation quantizers.
 *
 * A quantizer is one row of a static const ops table (ggml's traits style)
 * plus a small parameter struct. For weights:
 *
 *     fit     updates the step sizes / thresholds from the real weights
 *             (HEQ: an EMA towards the quantile fit; TWN, binary: recomputed)
 *     fake    the value the training forward uses:  wq = scale * code
 *     to_int  the integer code the hardware holds, in [-K, K]
 *     grad    the straight-through estimator:  dw = dwq * mask(w)
 *
 * and the contract every quantizer keeps (tests/test_quant.c holds it):
 *
 *     fake(w) == nn_wq_dequant(q, to_int(w), channel)   bit for bit.
 *
 * Activation quantizers map a pre-activation y to an integer code by counting
 * the thresholds it reaches, code = #{ j : y >= t_j }, and the code to the
 * integer value the next layer multiplies (heaviside: code, sign: 2*code-1,
 * uniform: code), whose float value is int_value * value_scale. Counting
 * thresholds in the float forward is exactly what the integer model does after
 * folding, so the two agree except on exact ties.
 *
 * Spec strings (CLI and sweep specs):
 *   weights:      fp | bin | twn | heq:N (N odd >= 3) | uniform:B (B >= 2 bits)
 *                 | tquant | mquant | pow2:B | dorefa:B | wrpn:B | lsq:B
 *                                       each optionally followed by /ch for
 *                 per-output-channel scales (default: one scale per layer)
 *                 and /clip for the clipped estimator (default: identity)
 *   activations:  fp | relu | 1 (= heaviside {0,1}) | sign ({-1,+1})
 *                 | 2 | 3 (uniform B-bit on [0,1])    also: heaviside, u2, u3,
 *                 uniform:B (B up to 8); MINW-Net's signed M-bit activations
 *                 tern ({-1,0,1}) and pow2:B (B = 3, 4: {0, +-2^-p}, /mid or
 *                 /geo thresholds); /id for the identity estimator
 *                 (default /clip). Grammar and canonical forms: nn/quant.c.
 *
 * Memory: nn_wq_init allocates the scale and threshold arrays (one per scale
 * group), for LSQ the step's gradient and optimizer moments (as many), and,
 * for the quantile-fitted kinds (HEQ, MQUANT), a fixed-size scratch buffer
 * for fit; nn_wq_free releases them. Nothing else allocates. */
#ifndef LOGIQ_NN_QUANT_H
#define LOGIQ_NN_QUANT_H

#include "nn/isa.h"
#include <stddef.h>
#include <stdint.h>

#include "nn/status.h"

enum nn_ste {
    NN_STE_IDENTITY,  /* gradient passes unchanged */
    NN_STE_CLIPPED,   /* gradient passes only inside the clip range (hardtanh) */
};

enum nn_wq_kind {
    NN_WQ_FP,       /* full precision: not exportable to integers */
    NN_WQ_BINARY,   /* sign(w) in {-1,+1}, scale = mean |w| */
    NN_WQ_TWN,      /* ternary, Delta = 0.7 mean|w|, scale = mean(|w| > Delta) */
    NN_WQ_HEQ,      /* n-level histogram-equalized, step s fitted to |w| quantiles */
    NN_WQ_UNIFORM,  /* symmetric B-bit, K = 2^(B-1) - 1, s = max|w| / K */
    NN_WQ_TQUANT,   /* ternary support equalization: t = M/3, value 2M/3 */
    NN_WQ_MQUANT,   /* ternary mass equalization: t = Q_|w|(1/3), value mean(|w|>t) */
    NN_WQ_POW2,     /* MINW-Net power-of-two levels {0, +-m 2^-p}, m = max|w| */
    NN_WQ_DOREFA,   /* DoReFa k-bit: 2 quantize_k(tanh(w)/(2 max|tanh w|) + 1/2) - 1 */
    NN_WQ_WRPN,     /* WRPN k-bit: round(n clip(w, -1, 1)) / n, n = 2^(k-1) - 1 */
    NN_WQ_RTN,      /* round-to-nearest N levels (N odd), K = (N-1)/2, s = max|w| / K */
    NN_WQ_LSQ,      /* LSQ B-bit: s clip(round(w/s), -K, K), K = 2^(B-1) - 1, s learned */
    NN_WQ_KIND_COUNT
};

enum nn_scale_mode { NN_SCALE_TENSOR, NN_SCALE_CHANNEL };

struct nn_wq;

struct nn_wq_ops {
    const char *name;
    /* Update q's scales/thresholds from w [cout][fan_in]. init = 1 on the
     * first call (HEQ then sets s = s* instead of the EMA step). */
    void (*fit)(struct nn_wq *q, const float *w, int cout, int fan_in, int init);
    /* wq [cout][fan_in] = scale * code(w). */
    void (*fake)(const struct nn_wq *q, float *wq, const float *w, int cout, int fan_in);
    /* code [cout][fan_in] in [-K, K]. NULL for NN_WQ_FP (not exportable). */
    void (*to_int)(const struct nn_wq *q, int8_t *code, const float *w, int cout, int fan_in);
    /* dw [cout][fan_in] = dwq * ste'(w)  (overwrites dw). A quantizer with
     * a learned step (LSQ) also overwrites its dscale [n_group]. */
    void (*grad)(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                 int cout, int fan_in);
};

struct nn_wq {
    const struct nn_wq_ops *ops;
    enum nn_wq_kind kind;
    int levels;               /* number of values a code can take (binary 2, ternary 3, ...) */
    int K;                    /* largest code magnitude: codes are in [-K, K] */
    enum nn_scale_mode mode;
    enum nn_ste ste;
    float heq_rate;           /* HEQ: EMA rate eta of the step-size update, in (0, 1] */
    int n_group;              /* 1 (per tensor) or cout (per channel) */
    float *scale;             /* [n_group] value of code 1 (HEQ, uniform: the step s) */
    float *thresh;            /* [n_group] |w| threshold of threshold-based ternaries */
    float *scratch;           /* [scratch_n] fit's work buffer (HEQ, MQUANT quantiles) */
    float *dscale;            /* [n_group] learned steps (LSQ): the loss's gradient in
                               * scale, written by grad; NULL for the other kinds */
    float *scale_m, *scale_v; /* [n_group] their optimizer moments (nn/optim.c) */
    size_t scratch_n;         /* 0 when the kind needs none */
};

/* Parses a weight spec ("heq:5/ch"...) into kind, levels, mode. Does not
 * allocate; call nn_wq_init next. Errors name the spec. */
enum nn_status nn_wq_parse(struct nn_wq *q, const char *spec, struct nn_error *err);
/* The canonical spec string of q ("heq:5/ch") into buf. */
void nn_wq_spec(const struct nn_wq *q, char *buf, size_t size);
/* Allocates the scale groups for a layer with cout output channels. */
enum nn_status nn_wq_init(struct nn_wq *q, int cout, struct nn_error *err);
void nn_wq_free(struct nn_wq *q);

/* The value of a code in output channel c: scale[group(c)] * code. */
float nn_wq_dequant(const struct nn_wq *q, int code, int c);
/* Bits per weight in the hardware: 1 for binary (sign plane only), else
 * 1 sign plane + ceil(log2(K+1)) magnitude planes; 0 for fp. */
int nn_wq_bits(const struct nn_wq *q);
/* The bit width B of a variable-width quantizer (dorefa:B, wrpn:B: the B of
 * its spec), and the range it accepts; 0 for the other kinds. SINAREQ
 * (nn/sinareq_train.h) changes it during training with nn_wq_set_bits. */
int nn_wq_spec_bits(const struct nn_wq *q, int *min_bits, int *max_bits);
/* Sets a dorefa or wrpn quantizer to B bits (K and levels; the next fit sets
 * the scale). Returns 0, or -1 (q unchanged) for another kind or a B out of
 * its range. */
int nn_wq_set_bits(struct nn_wq *q, int bits);
/* Per level, the share of weights at code -K..K: share [2K+1]. For the
 * training log's histograms. */
void nn_wq_level_share(const struct nn_wq *q, const float *w, int cout, int fan_in,
                       float *share);

enum nn_aq_kind {
    NN_AQ_FP,         /* identity: no activation (not exportable) */
    NN_AQ_RELU,       /* max(0, y) (not exportable) */
    NN_AQ_HEAVISIDE,  /* {0, 1}: code = y >= 0 */
    NN_AQ_SIGN,       /* {-1, +1}: code = y >= 0, value 2*code - 1 */
    NN_AQ_UNIFORM,    /* B-bit on [0, 1]: t_j = (j - 1/2) / (2^B - 1), value code/(2^B-1) */
    NN_AQ_TERN,       /* MINW-Net's ternary {-1, 0, +1} (2 bits): t = -1/2, +1/2, value code - 1 */
    NN_AQ_POW2,       /* MINW-Net's power-of-two B-bit (papers.md 2a): {0, +-2^-p, p = 0..q-1},
                       * q = 2^(B-1) - 1; 2q thresholds, value in units of 2^-(q-1) */
    NN_AQ_KIND_COUNT
};

/* Where the power-of-two activations put their thresholds (papers.md 2a
 * marks the paper's as [NF]): on the positive side t = 2^-q (half the
 * smallest level: both rules), then between the levels m and 2m
 *   MID  the midpoint 3m/2      (pow2:3: 0.125, 0.375, 0.75; round to nearest)
 *   GEO  the geometric mean sqrt(2) m   (pow2:3: 0.125, 0.354, 0.707; round
 *        to nearest in the log domain)
 * and the negative side mirrored. */
enum nn_aq_rule { NN_AQ_RULE_MID, NN_AQ_RULE_GEO };

struct nn_aq;

struct nn_aq_ops {
    const char *name;
    /* out[i] = value of the code of in[i] (float forward). */
    void (*forward)(const struct nn_aq *q, float *out, const float *in, size_t n);
    /* din[i] = dout[i] * ste'(in[i])  (overwrites din). */
    void (*backward)(const struct nn_aq *q, float *din, const float *dout, const float *in,
                     size_t n);
};

struct nn_aq {
    const struct nn_aq_ops *ops;
    enum nn_aq_kind kind;
    int bits;           /* 1 for heaviside and sign, 2 for tern, B for uniform and pow2,
                         * 0 for fp/relu */
    enum nn_ste ste;
    enum nn_aq_rule rule; /* pow2: where the thresholds lie (MID unless the spec says /geo) */
    enum nn_isa isa;    /* the kernels' instruction-set path (nn/isa.h), the same results
                         * on each: portable from nn_aq_parse, the model's in a model */
};

enum nn_status nn_aq_parse(struct nn_aq *q, const char *spec, struct nn_error *err);
void nn_aq_spec(const struct nn_aq *q, char *buf, size_t size);
/* Number of thresholds, 0 if not exportable: 2^bits - 1 for heaviside, sign
 * and uniform; 2 for tern; 2q = 2^bits - 2 for pow2. */
int nn_aq_n_thresh(const struct nn_aq *q);
/* Threshold j in 1..n_thresh, on the pre-activation. */
float nn_aq_thresh(const struct nn_aq *q, int j);
/* The integer the next layer multiplies for a code, and its float value scale:
 * float value = nn_aq_int_value(q, code) * nn_aq_value_scale(q). */
int nn_aq_int_value(const struct nn_aq *q, int code);
float nn_aq_value_scale(const struct nn_aq *q);
/* The lower end of the activation's value range: -1 for sign, tern and pow2,
 * 0 for the others (the HardTanh clip of AQE's paper form, and its own clip
 * range). */
float nn_aq_lo(const struct nn_aq *q);

/* AQE, the asymptotic-quantized estimator (papers.md 2a, Eq. 18-19), for
 * weights and activations alike: in training the forward is the blend
 *     x_hat = alpha h(x) + (1 - alpha) x,
 * the backward dL/dx = 2 alpha dL/dh 1{|x| <= 1}, and inference uses h alone.
 * (alpha = 1/2 gives the clipped STE's gradient.) The model applies them:
 *   nn_aqe_blend      out[i] = alpha out[i] + (1 - alpha) in[i], where out
 *                     holds h(in) (out != in)
 *   nn_aqe_grad       d[i] = 2 alpha g[i] where |x[i]| <= 1, else 0 (d may be g)
 * For the uniform activations on [0, 1] the indicator is their own clip
 * range 0 <= x <= 1: logiq applies 2 alpha to the /clip estimator. */
void nn_aqe_blend(float alpha, float *out, const float *in, size_t n);
/* The paper's blend on the HardTanh output (AQE's paper form, papers.md 2a:
 * Conv -> Pool -> BN -> HardTanh): out[i] = alpha out[i] + (1 - alpha)
 * clip(in[i], lo, hi), out holding h(in). */
void nn_aqe_blend_clip(float alpha, float *out, const float *in, size_t n, float lo, float hi);
/* AQE's stochastic sign (papers.md 2a, Eq. 7): out[i] = sign(in[i] - z_i),
 * z_i ~ U[-1, 1) drawn from (key, offset + i) alone (splitmix64 of the
 * pair), so any cut of the loop into threads gives the same bits; sign(0) =
 * +1 as in the deterministic sign. */
void nn_aqe_stochastic_sign(float *out, const float *in, size_t n, uint64_t key,
                            uint64_t offset);
void nn_aqe_grad(float alpha, float *d, const float *g, const float *x, size_t n);

/* The ops tables, one row per kind (indexable by the enums). */
extern const struct nn_wq_ops nn_wq_ops_table[NN_WQ_KIND_COUNT];
extern const struct nn_aq_ops nn_aq_ops_table[NN_AQ_KIND_COUNT];

#endif

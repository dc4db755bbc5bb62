/* nn/quant.c: the quantizer ops tables, the spec strings, the scale-group
 * memory, and the helpers the families share (STE masks, |w| quantiles).
 *
 * Not here: the quantizers themselves, one file per family:
 *   nn/quant_fp.c          full precision (no quantization)
 *   nn/quant_binary.c      BINARY, sign(w) times mean|w|
 *   nn/quant_twn.c         TWN, and the threshold-ternary forward it shares
 *                          with TQUANT and MQUANT
 *   nn/quant_ternary_eq.c  TQUANT and MQUANT fits
 *   nn/quant_heq.c         HEQ fit (quantile-fitted step, EMA)
 *   nn/quant_uniform.c     UNIFORM fit, and the rounding forward it shares
 *                          with HEQ, WRPN and LSQ
 *   nn/quant_dorefa_wrpn.c DOREFA and WRPN
 *   nn/quant_lsq.c         LSQ fit (initial step) and estimator (learned step)
 *   nn/quant_act.c         activation quantizers
 *
 * Spec grammar (canonical forms are what nn_wq_spec / nn_aq_spec print):
 *   weights:      kind [/ch] [/clip]      (suffixes in any order, each once)
 *       kind  =  fp | bin | twn | heq:N | rtn:N | uniform:B | tquant | mquant | pow2:B
 *                | dorefa:B | wrpn:B | lsq:B
 *                N odd in 3..127, B in 2..8 (pow2 2..4, dorefa 2..7);  "binary" is an alias of "bin".
 *                "ternary" is deliberately not an alias: TWN, TQUANT, MQUANT
 *                and heq:3 are all ternary, and the spec must say which.
 *       /ch   =  one scale per output channel (default: one per tensor)
 *       /clip =  clipped straight-through estimator (default: identity)
 *       fp takes no suffix. heq_rate is a training option, not part of the
 *       spec: parse sets the default 0.05 and the caller may override it.
 *   activations:  kind [/mid | /geo] [/id | /clip]   (suffixes in any order, each once)
 *       kind  =  fp | relu | 1 | heaviside | bin | sign | B | uB | uniform:B
 *                | tern | ternary | pow2:P
 *                (B in 2..8: uniform B-bit on [0, 1]; tern: MINW-Net's
 *                ternary {-1, 0, 1}; P in 3..4: its power-of-two levels)
 *       /clip (the default for every quantized kind) or /id: the
 *       estimator. /mid (the default) or /geo: pow2's thresholds (enum
 *       nn_aq_rule), pow2 only. fp and relu take no suffix.
 *   canonical: "bin", "heq:5/ch/clip", "uniform:4"; "1", "sign/id", "3",
 *   "tern", "pow2:3", "pow2:3/geo/id". */
#include "nn/quant.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/quant_impl.h"

#define HEQ_RATE_DEFAULT 0.05f
#define HEQ_LEVELS_MAX 127
#define UNIFORM_BITS_MIN 2
#define UNIFORM_BITS_MAX 8
#define AQ_BITS_MAX 8
#define AQ_POW2_BITS_MIN 3
#define AQ_POW2_BITS_MAX 4
#define DOREFA_BITS_MIN 2
#define DOREFA_BITS_MAX 7
#define WRPN_BITS_MIN 2
#define WRPN_BITS_MAX 8

const struct nn_wq_ops nn_wq_ops_table[NN_WQ_KIND_COUNT] = {
    [NN_WQ_FP] = {
        .name = "fp",
        .fit = nn_quant_fp_fit,
        .fake = nn_quant_fp_fake,
        .to_int = NULL,
        .grad = nn_quant_fp_grad,
    },
    [NN_WQ_BINARY] = {
        .name = "bin",
        .fit = nn_quant_binary_fit,
        .fake = nn_quant_binary_fake,
        .to_int = nn_quant_binary_to_int,
        .grad = nn_quant_binary_grad,
    },
    [NN_WQ_TWN] = {
        .name = "twn",
        .fit = nn_quant_twn_fit,
        .fake = nn_quant_ternary_fake,
        .to_int = nn_quant_ternary_to_int,
        .grad = nn_quant_ternary_grad,
    },
    [NN_WQ_HEQ] = {
        .name = "heq",
        .fit = nn_quant_heq_fit,
        .fake = nn_quant_round_fake,
        .to_int = nn_quant_round_to_int,
        .grad = nn_quant_round_grad,
    },
    [NN_WQ_UNIFORM] = {
        .name = "uniform",
        .fit = nn_quant_uniform_fit,
        .fake = nn_quant_round_fake,
        .to_int = nn_quant_round_to_int,
        .grad = nn_quant_round_grad,
    },
    [NN_WQ_TQUANT] = {
        .name = "tquant",
        .fit = nn_quant_tquant_fit,
        .fake = nn_quant_ternary_fake,
        .to_int = nn_quant_ternary_to_int,
        .grad = nn_quant_ternary_grad,
    },
    [NN_WQ_MQUANT] = {
        .name = "mquant",
        .fit = nn_quant_mquant_fit,
        .fake = nn_quant_ternary_fake,
        .to_int = nn_quant_ternary_to_int,
        .grad = nn_quant_ternary_grad,
    },
    [NN_WQ_DOREFA] = {
        .name = "dorefa",
        .fit = nn_quant_dorefa_fit,
        .fake = nn_quant_dorefa_fake,
        .to_int = nn_quant_dorefa_to_int,
        .grad = nn_quant_dorefa_grad,
    },
    [NN_WQ_WRPN] = {
        .name = "wrpn",
        .fit = nn_quant_wrpn_fit,
        .fake = nn_quant_round_fake,
        .to_int = nn_quant_round_to_int,
        .grad = nn_quant_wrpn_grad,
    },
    [NN_WQ_RTN] = {
        .name = "rtn",
        .fit = nn_quant_uniform_fit, /* s = max|w| / K */
        .fake = nn_quant_round_fake,
        .to_int = nn_quant_round_to_int,
        .grad = nn_quant_round_grad,
    },
    [NN_WQ_LSQ] = {
        .name = "lsq",
        .fit = nn_quant_lsq_fit,
        .fake = nn_quant_round_fake,
        .to_int = nn_quant_round_to_int,
        .grad = nn_quant_lsq_grad,
    },
    [NN_WQ_POW2] = {
        .name = "pow2",
        .fit = nn_quant_uniform_fit, /* the same scale: max|w| / K */
        .fake = nn_quant_pow2_fake,
        .to_int = nn_quant_pow2_to_int,
        .grad = nn_quant_pow2_grad,
    },
};

const struct nn_aq_ops nn_aq_ops_table[NN_AQ_KIND_COUNT] = {
    [NN_AQ_FP] = {
        .name = "fp",
        .forward = nn_quant_act_fp_forward,
        .backward = nn_quant_act_fp_backward,
    },
    [NN_AQ_RELU] = {
        .name = "relu",
        .forward = nn_quant_act_relu_forward,
        .backward = nn_quant_act_relu_backward,
    },
    [NN_AQ_HEAVISIDE] = {
        .name = "heaviside",
        .forward = nn_quant_act_heaviside_forward,
        .backward = nn_quant_act_step_backward,
    },
    [NN_AQ_SIGN] = {
        .name = "sign",
        .forward = nn_quant_act_sign_forward,
        .backward = nn_quant_act_step_backward,
    },
    [NN_AQ_UNIFORM] = {
        .name = "uniform",
        .forward = nn_quant_act_uniform_forward,
        .backward = nn_quant_act_uniform_backward,
    },
    [NN_AQ_TERN] = {
        .name = "tern",
        .forward = nn_quant_act_levels_forward,
        .backward = nn_quant_act_step_backward,
    },
    [NN_AQ_POW2] = {
        .name = "pow2",
        .forward = nn_quant_act_levels_forward,
        .backward = nn_quant_act_step_backward,
    },
};

/* ---- spec parsing helpers ---------------------------------------------- */

/* A small decimal number made of digits only (no sign, no spaces), up to 3
 * digits; -1 if s[0..len) is not one. */
static int parse_small_uint(const char *s, size_t len)
{
    if (len == 0 || len > 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Whether s[0..len) is exactly the string word. */
static int token_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Whether s[0..len) starts with prefix; if so *rest / *rest_len is the tail. */
static int token_starts(const char *s, size_t len, const char *prefix, const char **rest,
                        size_t *rest_len)
{
    size_t n = strlen(prefix);
    if (len < n || memcmp(s, prefix, n) != 0)
        return 0;
    *rest = s + n;
    *rest_len = len - n;
    return 1;
}

/* ---- weight quantizers ------------------------------------------------- */

#define WQ_FORMS                                                                    \
    "fp, bin, twn, heq:N (N odd, 3..127), uniform:B (B = 2..8), pow2:B (B = 2..4), "  \
    "rtn:N (N odd, 3..127), dorefa:B (B = 2..7), wrpn:B (B = 2..8), lsq:B (B = 2..8), "  \
    "tquant or mquant, "                                                            \
    "optionally followed by /ch (per-channel scales) and /clip (clipped STE)"

static int ceil_log2(int x)
{
    int b = 0;
    while ((1 << b) < x)
        b++;
    return b;
}

enum nn_status nn_wq_parse(struct nn_wq *q, const char *spec, struct nn_error *err)
{
    struct nn_wq r;
    memset(&r, 0, sizeof r);
    r.mode = NN_SCALE_TENSOR;
    r.ste = NN_STE_IDENTITY;
    r.heq_rate = HEQ_RATE_DEFAULT;

    size_t len = strcspn(spec, "/");
    const char *num;
    size_t num_len;
    if (token_is(spec, len, "fp")) {
        r.kind = NN_WQ_FP;
        r.levels = 0;
        r.K = 0;
    } else if (token_is(spec, len, "bin") || token_is(spec, len, "binary")) {
        r.kind = NN_WQ_BINARY;
        r.levels = 2;
        r.K = 1;
    } else if (token_is(spec, len, "twn")) {
        r.kind = NN_WQ_TWN;
        r.levels = 3;
        r.K = 1;
    } else if (token_is(spec, len, "tquant")) {
        r.kind = NN_WQ_TQUANT;
        r.levels = 3;
        r.K = 1;
    } else if (token_is(spec, len, "mquant")) {
        r.kind = NN_WQ_MQUANT;
        r.levels = 3;
        r.K = 1;
    } else if (token_starts(spec, len, "heq:", &num, &num_len) ||
               token_starts(spec, len, "rtn:", &num, &num_len)) {
        int heq = spec[0] == 'h';
        int n = parse_small_uint(num, num_len);
        if (n < 3 || n > HEQ_LEVELS_MAX || n % 2 == 0)
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': %s needs an odd number of levels in "
                           "3..%d (%s:3, %s:5, ...)", spec, heq ? "HEQ" : "round-to-nearest",
                           HEQ_LEVELS_MAX, heq ? "heq" : "rtn", heq ? "heq" : "rtn");
        r.kind = heq ? NN_WQ_HEQ : NN_WQ_RTN;
        r.levels = n;
        r.K = (n - 1) / 2;
    } else if (token_starts(spec, len, "uniform:", &num, &num_len)) {
        int b = parse_small_uint(num, num_len);
        if (b < UNIFORM_BITS_MIN || b > UNIFORM_BITS_MAX)
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': uniform needs a bit width in %d..%d "
                           "(uniform:2 ... uniform:8)", spec, UNIFORM_BITS_MIN,
                           UNIFORM_BITS_MAX);
        r.kind = NN_WQ_UNIFORM;
        r.K = (1 << (b - 1)) - 1;
        r.levels = 2 * r.K + 1;
    } else if (token_starts(spec, len, "dorefa:", &num, &num_len)) {
        int b = parse_small_uint(num, num_len);
        if (b < DOREFA_BITS_MIN || b > DOREFA_BITS_MAX)
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': dorefa needs a bit width in 2..7 (its "
                           "1-bit case is bin)", spec);
        r.kind = NN_WQ_DOREFA;
        nn_wq_set_bits(&r, b); /* the odd codes only: no zero level */
    } else if (token_starts(spec, len, "wrpn:", &num, &num_len)) {
        int b = parse_small_uint(num, num_len);
        if (b < WRPN_BITS_MIN || b > WRPN_BITS_MAX)
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': wrpn needs a bit width in 2..8", spec);
        r.kind = NN_WQ_WRPN;
        nn_wq_set_bits(&r, b);
    } else if (token_starts(spec, len, "lsq:", &num, &num_len)) {
        int b = parse_small_uint(num, num_len);
        if (b < UNIFORM_BITS_MIN || b > UNIFORM_BITS_MAX)
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': lsq needs a bit width in %d..%d "
                           "(lsq:2 ... lsq:8)", spec, UNIFORM_BITS_MIN, UNIFORM_BITS_MAX);
        r.kind = NN_WQ_LSQ;
        r.K = (1 << (b - 1)) - 1;
        r.levels = 2 * r.K + 1;
    } else if (token_starts(spec, len, "pow2:", &num, &num_len)) {
        int b = parse_small_uint(num, num_len);
        if (b < 2 || b > 4)
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': pow2 needs a bit width in 2..4 (pow2:3 is "
                           "MINW-Net's {0, +-1/4, +-1/2, +-1})", spec);
        int q = (1 << (b - 1)) - 1; /* positive levels */
        r.kind = NN_WQ_POW2;
        r.K = 1 << (q - 1);
        r.levels = 2 * q + 1;
    } else {
        return nn_fail(err, NN_ERR_ARG, "weight quantizer '%s': unknown; expected " WQ_FORMS,
                       spec);
    }

    const char *s = spec + len;
    int seen_ch = 0, seen_clip = 0;
    while (*s == '/') {
        s++;
        size_t n = strcspn(s, "/");
        if (r.kind == NN_WQ_FP)
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': fp takes no suffix (no scales, no "
                           "estimator)", spec);
        if (token_is(s, n, "ch") && !seen_ch) {
            seen_ch = 1;
            r.mode = NN_SCALE_CHANNEL;
        } else if (token_is(s, n, "clip") && !seen_clip) {
            seen_clip = 1;
            r.ste = NN_STE_CLIPPED;
        } else {
            return nn_fail(err, NN_ERR_ARG,
                           "weight quantizer '%s': bad suffix '/%.*s'; expected /ch and/or "
                           "/clip, each at most once", spec, (int)n, s);
        }
        s += n;
    }
    r.ops = &nn_wq_ops_table[r.kind];
    *q = r;
    return NN_OK;
}

void nn_wq_spec(const struct nn_wq *q, char *buf, size_t size)
{
    char kind[32];
    switch (q->kind) {
    case NN_WQ_HEQ:
        snprintf(kind, sizeof kind, "heq:%d", q->levels);
        break;
    case NN_WQ_RTN:
        snprintf(kind, sizeof kind, "rtn:%d", q->levels);
        break;
    case NN_WQ_UNIFORM:
        snprintf(kind, sizeof kind, "uniform:%d", 1 + ceil_log2(q->K + 1));
        break;
    case NN_WQ_LSQ:
        snprintf(kind, sizeof kind, "lsq:%d", 1 + ceil_log2(q->K + 1));
        break;
    case NN_WQ_POW2:
        snprintf(kind, sizeof kind, "pow2:%d", 1 + ceil_log2((q->levels - 1) / 2 + 1));
        break;
    case NN_WQ_DOREFA:
        snprintf(kind, sizeof kind, "dorefa:%d", ceil_log2(q->K + 1));
        break;
    case NN_WQ_WRPN:
        snprintf(kind, sizeof kind, "wrpn:%d", 1 + ceil_log2(q->K + 1));
        break;
    default:
        snprintf(kind, sizeof kind, "%s", nn_wq_ops_table[q->kind].name);
        break;
    }
    snprintf(buf, size, "%s%s%s", kind, q->mode == NN_SCALE_CHANNEL ? "/ch" : "",
             q->kind != NN_WQ_FP && q->ste == NN_STE_CLIPPED ? "/clip" : "");
}

enum nn_status nn_wq_init(struct nn_wq *q, int cout, struct nn_error *err)
{
    assert(cout > 0);
    q->n_group = q->mode == NN_SCALE_CHANNEL ? cout : 1;
    q->scale = malloc((size_t)q->n_group * sizeof *q->scale);
    q->thresh = malloc((size_t)q->n_group * sizeof *q->thresh);
    q->scratch_n = q->kind == NN_WQ_HEQ || q->kind == NN_WQ_MQUANT ? NN_QUANT_SAMPLE_MAX : 0;
    q->scratch = q->scratch_n ? malloc(q->scratch_n * sizeof *q->scratch) : NULL;
    int learned = q->kind == NN_WQ_LSQ;
    q->dscale = learned ? calloc((size_t)q->n_group, sizeof *q->dscale) : NULL;
    q->scale_m = learned ? calloc((size_t)q->n_group, sizeof *q->scale_m) : NULL;
    q->scale_v = learned ? calloc((size_t)q->n_group, sizeof *q->scale_v) : NULL;
    if (!q->scale || !q->thresh || (q->scratch_n && !q->scratch) ||
        (learned && (!q->dscale || !q->scale_m || !q->scale_v))) {
        char spec[32];
        nn_wq_spec(q, spec, sizeof spec);
        nn_wq_free(q);
        return nn_fail(err, NN_ERR_NOMEM,
                       "weight quantizer '%s': out of memory for %d scale groups", spec, cout);
    }
    for (int g = 0; g < q->n_group; g++) {
        q->scale[g] = 1.0f;
        q->thresh[g] = 0.0f;
    }
    return NN_OK;
}

void nn_wq_free(struct nn_wq *q)
{
    free(q->scale);
    free(q->thresh);
    free(q->scratch);
    free(q->dscale);
    free(q->scale_m);
    free(q->scale_v);
    q->dscale = q->scale_m = q->scale_v = NULL;
    q->scale = NULL;
    q->thresh = NULL;
    q->scratch = NULL;
    q->scratch_n = 0;
    q->n_group = 0;
}

float nn_wq_dequant(const struct nn_wq *q, int code, int c)
{
    assert(q->kind != NN_WQ_FP && code >= -q->K && code <= q->K);
    return q->scale[nn_quant_group(q, c)] * (float)code;
}

int nn_wq_bits(const struct nn_wq *q)
{
    switch (q->kind) {
    case NN_WQ_FP:
        return 0;
    case NN_WQ_BINARY:
        return 1;
    default:
        return 1 + ceil_log2(q->K + 1);
    }
}

int nn_wq_spec_bits(const struct nn_wq *q, int *min_bits, int *max_bits)
{
    int lo = 0, hi = 0, b = 0;
    if (q->kind == NN_WQ_DOREFA) {
        lo = DOREFA_BITS_MIN;
        hi = DOREFA_BITS_MAX;
        b = ceil_log2(q->K + 1);
    } else if (q->kind == NN_WQ_WRPN) {
        lo = WRPN_BITS_MIN;
        hi = WRPN_BITS_MAX;
        b = 1 + ceil_log2(q->K + 1);
    }
    if (min_bits)
        *min_bits = lo;
    if (max_bits)
        *max_bits = hi;
    return b;
}

int nn_wq_set_bits(struct nn_wq *q, int bits)
{
    int lo, hi;
    nn_wq_spec_bits(q, &lo, &hi);
    if ((q->kind != NN_WQ_DOREFA && q->kind != NN_WQ_WRPN) || bits < lo || bits > hi)
        return -1;
    if (q->kind == NN_WQ_DOREFA) {
        q->K = (1 << bits) - 1;
        q->levels = 1 << bits;
    } else {
        q->K = (1 << (bits - 1)) - 1;
        q->levels = 2 * q->K + 1;
    }
    return 0;
}

void nn_wq_level_share(const struct nn_wq *q, const float *w, int cout, int fan_in,
                       float *share)
{
    int K = q->K;
    size_t n = (size_t)cout * (size_t)fan_in;
    if (q->kind == NN_WQ_FP) {
        share[0] = 1.0f; /* no levels: every weight is "unquantized" */
        return;
    }
    /* Counts are at most 2^31 per code; int64 keeps huge layers exact. */
    int64_t count[2 * HEQ_LEVELS_MAX + 1];
    assert(2 * K + 1 <= (int)(sizeof count / sizeof count[0]));
    memset(count, 0, sizeof count);
    float k = (float)K;
    for (int c = 0; c < cout; c++) {
        int g = nn_quant_group(q, c);
        float s = q->scale[g], t = q->thresh[g];
        const float *row = w + (size_t)c * fan_in;
        for (int i = 0; i < fan_in; i++) {
            float code;
            switch (q->kind) {
            case NN_WQ_BINARY:
                code = nn_quant_binary_code(row[i]);
                break;
            case NN_WQ_HEQ:
            case NN_WQ_UNIFORM:
            case NN_WQ_RTN:
            case NN_WQ_LSQ:
                code = nn_quant_round_code(row[i], s, k);
                break;
            case NN_WQ_POW2:
                code = nn_quant_pow2_code(q, row[i], s);
                break;
            case NN_WQ_WRPN:
                code = nn_quant_round_code(row[i], s, k);
                break;
            case NN_WQ_DOREFA:
                code = nn_quant_dorefa_code(q, row[i], g);
                break;
            default:
                code = nn_quant_ternary_code(row[i], t);
                break;
            }
            count[(int)code + K]++;
        }
    }
    for (int j = 0; j <= 2 * K; j++)
        share[j] = n ? (float)((double)count[j] / (double)n) : 0.0f;
}

/* ---- helpers shared by the families ------------------------------------ */

void nn_quant_grad_identity(float *dw, const float *dwq, size_t n)
{
    if (dw != dwq)
        memmove(dw, dwq, n * sizeof *dw);
}

void nn_quant_grad_clip_abs(float *dw, const float *dwq, const float *w, size_t n,
                            float limit)
{
    for (size_t i = 0; i < n; i++)
        dw[i] = fabsf(w[i]) <= limit ? dwq[i] : 0.0f;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void insertion_sort(float *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        float v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* Moves the elements of a[lo..hi) for which (a[i] < p), or (a[i] <= p) when
 * or_equal, to the front; returns the end of that front. Branch-free
 * (Lomuto with an unconditional swap), so the data's order costs no branch
 * mispredictions: a branchy partition is about 4 times slower here. */
static size_t partition_below(float *a, size_t lo, size_t hi, float p, int or_equal)
{
    size_t m = lo;
    if (or_equal) {
        for (size_t i = lo; i < hi; i++) {
            float v = a[i];
            a[i] = a[m];
            a[m] = v;
            m += v <= p;
        }
    } else {
        for (size_t i = lo; i < hi; i++) {
            float v = a[i];
            a[i] = a[m];
            a[m] = v;
            m += v < p;
        }
    }
    return m;
}

static float median3(float x, float y, float z)
{
    return x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
}

/* Places the order statistics ranks[0..nr) (ascending, all in [lo, hi)) of
 * a[lo..hi) at their sorted positions: a quickselect that recurses into each
 * side of a three-way partition (< pivot, == pivot, > pivot: runs of equal
 * values, e.g. zeros, end in one step) that still holds a wanted rank.
 * Pivot: median of 3, of 3 medians of 3 on large ranges; past the depth
 * limit the range is sorted instead (introselect), so the worst case is
 * O(m log m). */
static void select_ranks(float *a, size_t lo, size_t hi, const size_t *ranks, size_t nr,
                         int depth)
{
    while (nr > 0) {
        size_t n = hi - lo;
        if (n <= 24) {
            insertion_sort(a + lo, n);
            return;
        }
        if (depth <= 0) {
            qsort(a + lo, n, sizeof *a, cmp_float);
            return;
        }
        depth--;
        size_t mid = lo + n / 2;
        float pivot;
        if (n >= 128) {
            size_t e = n / 8;
            pivot = median3(median3(a[lo], a[lo + e], a[lo + 2 * e]),
                            median3(a[mid - e], a[mid], a[mid + e]),
                            median3(a[hi - 1 - 2 * e], a[hi - 1 - e], a[hi - 1]));
        } else {
            pivot = median3(a[lo], a[mid], a[hi - 1]);
        }
        size_t lt = partition_below(a, lo, hi, pivot, 0);
        size_t n_left = 0;
        while (n_left < nr && ranks[n_left] < lt)
            n_left++;
        size_t gt = n_left < nr ? partition_below(a, lt, hi, pivot, 1) : lt;
        /* a[lo..lt) < pivot, a[lt..gt) == pivot, a[gt..hi) > pivot */
        size_t n_right = nr;
        while (n_right > n_left && ranks[n_right - 1] >= gt)
            n_right--;
        /* ranks[n_left..n_right) fall on the pivot run: done. */
        if (n_left > 0)
            select_ranks(a, lo, lt, ranks, n_left, depth);
        ranks += n_right;
        nr -= n_right;
        lo = gt;
    }
}

void nn_quant_abs_quantiles(float *scratch, size_t scratch_n, const float *w, size_t n,
                            const double *p, int np, float *out)
{
    assert(n > 0 && scratch_n > 0 && np <= HEQ_LEVELS_MAX);
    size_t m = n;
    if (n <= scratch_n) {
        for (size_t i = 0; i < n; i++)
            scratch[i] = fabsf(w[i]);
    } else {
        m = scratch_n;
        for (size_t i = 0; i < m; i++)
            scratch[i] = fabsf(w[(size_t)((uint64_t)i * n / m)]);
    }
    /* Two ranks per quantile (floor and floor + 1 of h), ascending. */
    size_t ranks[2 * HEQ_LEVELS_MAX] = {0};
    size_t nr = 0;
    for (int j = 0; j < np; j++) {
        double h = p[j] * (double)(m - 1);
        size_t r = (size_t)h;
        if (r > m - 1)
            r = m - 1;
        for (size_t k = r; k <= r + 1 && k < m; k++)
            if (nr == 0 || ranks[nr - 1] < k)
                ranks[nr++] = k;
    }
    int depth = 2 * ceil_log2((int)m) + 8; /* m <= scratch_n, a few 10^4 */
    select_ranks(scratch, 0, m, ranks, nr, depth);
    for (int j = 0; j < np; j++) {
        double h = p[j] * (double)(m - 1);
        size_t r = (size_t)h;
        if (r > m - 1)
            r = m - 1;
        double lo = scratch[r];
        double hi = r + 1 < m ? scratch[r + 1] : lo;
        out[j] = (float)(lo + (h - (double)r) * (hi - lo));
    }
}

/* ---- activation quantizers --------------------------------------------- */

#define AQ_FORMS                                                                      \
    "fp, relu, 1 (= heaviside, bin: {0,1}), sign ({-1,+1}), B, uB, uniform:B "          \
    "(B = 2..8: uniform on [0,1]), tern ({-1,0,1}) or pow2:B (B = 3..4: {0,+-2^-p}), "  \
    "optionally followed by /clip (default) or /id (the estimator) and, for pow2, "    \
    "/mid (default) or /geo (the thresholds)"

/* The magnitudes q of a pow2:B activation: 2^(B-1) - 1. */
static int aq_pow2_q(int bits) { return (1 << (bits - 1)) - 1; }

enum nn_status nn_aq_parse(struct nn_aq *q, const char *spec, struct nn_error *err)
{
    struct nn_aq r;
    memset(&r, 0, sizeof r);
    r.ste = NN_STE_CLIPPED;
    r.rule = NN_AQ_RULE_MID;

    size_t len = strcspn(spec, "/");
    const char *num = NULL;
    size_t num_len = 0;
    if (token_is(spec, len, "fp")) {
        r.kind = NN_AQ_FP;
        r.ste = NN_STE_IDENTITY; /* exact gradients: no estimator */
    } else if (token_is(spec, len, "relu")) {
        r.kind = NN_AQ_RELU;
        r.ste = NN_STE_IDENTITY;
    } else if (token_is(spec, len, "1") || token_is(spec, len, "heaviside") ||
               token_is(spec, len, "bin")) {
        r.kind = NN_AQ_HEAVISIDE;
        r.bits = 1;
    } else if (token_is(spec, len, "sign")) {
        r.kind = NN_AQ_SIGN;
        r.bits = 1;
    } else if (token_is(spec, len, "tern") || token_is(spec, len, "ternary")) {
        r.kind = NN_AQ_TERN;
        r.bits = 2;
    } else if (token_starts(spec, len, "pow2:", &num, &num_len) || token_is(spec, len, "pow2")) {
        int b = num ? parse_small_uint(num, num_len) : -1;
        if (b < AQ_POW2_BITS_MIN || b > AQ_POW2_BITS_MAX)
            return nn_fail(err, NN_ERR_ARG,
                           "activation quantizer '%s': pow2 needs a bit width in %d..%d "
                           "(pow2:3 is {0, +-1/4, +-1/2, +-1}); expected " AQ_FORMS, spec,
                           AQ_POW2_BITS_MIN, AQ_POW2_BITS_MAX);
        r.kind = NN_AQ_POW2;
        r.bits = b;
    } else {
        /* uniform: "uniform:B", "uB" or a bare "B" */
        if (!token_starts(spec, len, "uniform:", &num, &num_len) &&
            !token_starts(spec, len, "u", &num, &num_len)) {
            num = spec;
            num_len = len;
        }
        int b = parse_small_uint(num, num_len);
        if (b < 0 && num == spec)
            return nn_fail(err, NN_ERR_ARG,
                           "activation quantizer '%s': unknown; expected " AQ_FORMS, spec);
        if (b < 2 || b > AQ_BITS_MAX)
            return nn_fail(err, NN_ERR_ARG,
                           "activation quantizer '%s': uniform needs a bit width in 2..%d "
                           "(1 is heaviside); expected " AQ_FORMS, spec, AQ_BITS_MAX);
        r.kind = NN_AQ_UNIFORM;
        r.bits = b;
    }

    const char *s = spec + len;
    int seen_ste = 0, seen_rule = 0;
    while (*s == '/') {
        s++;
        size_t n = strcspn(s, "/");
        if (r.kind == NN_AQ_FP || r.kind == NN_AQ_RELU)
            return nn_fail(err, NN_ERR_ARG,
                           "activation quantizer '%s': %s takes no suffix (no estimator)",
                           spec, r.kind == NN_AQ_FP ? "fp" : "relu");
        if (token_is(s, n, "clip") || token_is(s, n, "id")) {
            if (seen_ste++)
                return nn_fail(err, NN_ERR_ARG,
                               "activation quantizer '%s': at most one estimator suffix "
                               "(/clip or /id)", spec);
            r.ste = token_is(s, n, "id") ? NN_STE_IDENTITY : NN_STE_CLIPPED;
        } else if (token_is(s, n, "mid") || token_is(s, n, "geo")) {
            if (r.kind != NN_AQ_POW2)
                return nn_fail(err, NN_ERR_ARG,
                               "activation quantizer '%s': /%.*s chooses pow2's thresholds; "
                               "only pow2:B takes it", spec, (int)n, s);
            if (seen_rule++)
                return nn_fail(err, NN_ERR_ARG,
                               "activation quantizer '%s': at most one threshold suffix "
                               "(/mid or /geo)", spec);
            r.rule = token_is(s, n, "geo") ? NN_AQ_RULE_GEO : NN_AQ_RULE_MID;
        } else {
            return nn_fail(err, NN_ERR_ARG,
                           "activation quantizer '%s': bad suffix '/%.*s'; expected /clip or "
                           "/id%s", spec, (int)n, s,
                           r.kind == NN_AQ_POW2 ? ", /mid or /geo" : "");
        }
        s += n;
    }
    r.ops = &nn_aq_ops_table[r.kind];
    *q = r;
    return NN_OK;
}

void nn_aq_spec(const struct nn_aq *q, char *buf, size_t size)
{
    const char *ste = q->ste == NN_STE_IDENTITY ? "/id" : "";
    switch (q->kind) {
    case NN_AQ_FP:
        snprintf(buf, size, "fp");
        break;
    case NN_AQ_RELU:
        snprintf(buf, size, "relu");
        break;
    case NN_AQ_HEAVISIDE:
        snprintf(buf, size, "1%s", ste);
        break;
    case NN_AQ_SIGN:
        snprintf(buf, size, "sign%s", ste);
        break;
    case NN_AQ_TERN:
        snprintf(buf, size, "tern%s", ste);
        break;
    case NN_AQ_POW2:
        snprintf(buf, size, "pow2:%d%s%s", q->bits, q->rule == NN_AQ_RULE_GEO ? "/geo" : "",
                 ste);
        break;
    default:
        snprintf(buf, size, "%d%s", q->bits, ste);
        break;
    }
}

int nn_aq_n_thresh(const struct nn_aq *q)
{
    switch (q->kind) {
    case NN_AQ_HEAVISIDE:
    case NN_AQ_SIGN:
        return 1;
    case NN_AQ_UNIFORM:
        return (1 << q->bits) - 1;
    case NN_AQ_TERN:
        return 2;
    case NN_AQ_POW2:
        return 2 * aq_pow2_q(q->bits);
    default:
        return 0;
    }
}

float nn_aq_thresh(const struct nn_aq *q, int j)
{
    assert(j >= 1 && j <= nn_aq_n_thresh(q));
    if (q->kind == NN_AQ_UNIFORM)
        return nn_quant_act_uniform_thresh(j, (1 << q->bits) - 1);
    if (q->kind == NN_AQ_TERN)
        return j == 1 ? -0.5f : 0.5f;
    if (q->kind == NN_AQ_POW2) {
        /* the positive threshold p_k (k = 1..Q) below the level 2^(k-1-(Q-1)):
         * p_1 = 2^-Q, then 3m/2 (MID) or sqrt(2) m (GEO) above the level m =
         * 2^(k-2-(Q-1)); t_j = -p_(Q+1-j) for j <= Q, t_(Q+k) = p_k */
        const int Q = aq_pow2_q(q->bits);
        const int k = j <= Q ? Q + 1 - j : j - Q;
        double p = ldexp(1.0, -Q);
        if (k > 1)
            p = (q->rule == NN_AQ_RULE_GEO ? sqrt(2.0) : 1.5) * ldexp(1.0, k - 1 - Q);
        return (float)(j <= Q ? -p : p);
    }
    return 0.0f;
}

int nn_aq_int_value(const struct nn_aq *q, int code)
{
    switch (q->kind) {
    case NN_AQ_SIGN:
        return 2 * code - 1;
    case NN_AQ_TERN:
        return code - 1;
    case NN_AQ_POW2: {
        const int v = code - aq_pow2_q(q->bits);
        return v == 0 ? 0 : v > 0 ? 1 << (v - 1) : -(1 << (-v - 1));
    }
    default:
        return code;
    }
}

float nn_aq_value_scale(const struct nn_aq *q)
{
    if (q->kind == NN_AQ_UNIFORM)
        return nn_quant_act_uniform_scale((1 << q->bits) - 1);
    if (q->kind == NN_AQ_POW2)
        return ldexpf(1.0f, 1 - aq_pow2_q(q->bits));
    return 1.0f;
}

float nn_aq_lo(const struct nn_aq *q)
{
    return q->kind == NN_AQ_SIGN || q->kind == NN_AQ_TERN || q->kind == NN_AQ_POW2 ? -1.0f
                                                                                   : 0.0f;
}

/* nn/qnn.h: the .qnn model file: what the hardware holds, as integers.
 *
 * A .qnn describes a layer-sequential network of conv and dense layers. Per
 * layer it holds the shapes, the integer weight codes (bit-packed in the file
 * as bit-planes in the fewest bits that hold the layer's levels: one sign
 * plane for binary, sign and magnitude planes, sign and power-of-two
 * exponent code planes, or offset-binary planes; enum nn_qnn_wcode), the integer
 * thresholds that fold batch norm and the activation quantizer, the residual
 * merge and its wiring, and the optional 2x2-style max pooling of the output
 * codes. Plus key=value metadata naming how it was trained.
 *
 * The integer semantics of one layer l (nn/infer.h runs them):
 *
 *   acc[c]  = sum over the window of  wcode[c][..] * x[..]        (int32;
 *             x = layer src's integer output values, 0 at padding;
 *             the first layer's x are the raw 8-bit pixels 0..255)
 *   if res (the layer is on an `add` residual stream):
 *       Y[c] = sat_R( floor((rq_mul[c] * acc + rq_add[c]) / 2^rq_shift) )   (int64 math)
 *       u[c] = sat_R( Y[c] + (merge == ADD ? u_skip[c] : 0) )
 *       v    = u
 *   else v = acc
 *   code[c] = #{ j : v >= thr[c][j] }        (thresholds ascending, n_thr of them)
 *   a[c]    = out_value(code)  (heaviside: code, sign: 2 code - 1, uniform: code,
 *             tern: code - 1, pow2: 0 or +-2^(|code - q| - 1); nn_qnn_code_value)
 *   merge OR : a = a | skip      (binary {0,1} only)
 *   merge MUX: a = mux_sel[c] ? (OR variant: a | skip; SEL variant: skip) : a
 *   pooling  : max over pool x pool windows (stride pool) of a
 *   last layer (out_kind SCORES): score[c] = sc_mul[c] * acc + sc_add[c] (int64),
 *             the prediction is the first c of the largest score.
 *
 * sat_R clamps to [-2^(R-1), 2^(R-1) - 1] with R = res_bits. x is the
 * output of layer src (the image for 0). The skip of a merge is the output
 * of layer `skip` (for ADD its stream u, which must not be pooled) at the
 * output's position and channel, or with skip_stride s at (s y, s x), 0 past
 * its channels (the pad shortcut of a residual block). A side layer (the
 * input of no layer: a projection shortcut) only feeds a skip.
 *
 * File layout (little-endian): "LOGIQQNN" magic, u32 version, u32 n_layers,
 * metadata (u32 length + bytes), then per layer a fixed block of i32 fields
 * and its arrays, then the CRC-32 (zlib) of every preceding byte. Writes go to
 * a temporary file in the same folder, fsync, then rename.
 *
 * Memory: nn_qnn_read and the exporter allocate every array; nn_qnn_free
 * releases them all and zeroes the struct. */
#ifndef LOGIQ_NN_QNN_H
#define LOGIQ_NN_QNN_H

#include <stddef.h>
#include <stdint.h>

#include "nn/status.h"

#define NN_QNN_MAGIC "LOGIQQNN"
#define NN_QNN_VERSION 3u     /* written; versions 1 (BINARY and SIGNMAG weights only) and 2
                               * (no wiring fields, no TERN or POW2 activations) are read too */
#define NN_QNN_MAX_LAYERS 256
#define NN_QNN_META_MAX 8192

enum nn_qnn_op { NN_QNN_CONV = 1, NN_QNN_DENSE = 2 };

/* How activations are encoded as integers (the input of a layer or its output). */
enum nn_qnn_code {
    NN_CODE_PIXEL8 = 1,  /* raw pixels 0..255 (the first layer's input), 8 bits */
    NN_CODE_BIN01  = 2,  /* heaviside {0,1}, 1 bit */
    NN_CODE_SIGN   = 3,  /* {-1,+1} stored as one bit (1 = +1) */
    NN_CODE_UINT   = 4,  /* unsigned B-bit codes 0..2^B-1 */
    NN_CODE_TERN   = 5,  /* MINW-Net's ternary {-1,0,+1}: 2 bits, code 0..2, value code - 1
                            (version 3) */
    NN_CODE_POW2   = 6,  /* MINW-Net's power-of-two B bits (B = 3, 4), q = 2^(B-1) - 1:
                            code 0..2q, value v = code - q -> 0 or sign(v) 2^(|v|-1), i.e.
                            {0, +-1, +-2, +-4} for B = 3 (the levels {0, +-1/4, +-1/2, +-1}
                            in units of 1/4) (version 3) */
};

/* Thresholds per channel of an output code: 2^bits - 1 (BIN01, SIGN,
 * UINT), 2 (TERN), 2q = 2^bits - 2 (POW2); 0 for an unknown code. */
int nn_qnn_code_n_thr(int code, int bits);
/* The integer value of a threshold count (code) 0..n_thr: BIN01 and UINT
 * code, SIGN 2 code - 1, TERN code - 1, POW2 as above. */
int32_t nn_qnn_code_value(int code, int bits, int count);
/* The largest |value| of a code (255 for pixels, 1 for BIN01, SIGN and TERN,
 * 2^B - 1 for UINT, 2^(q-1) for POW2; 0 for an unknown code or width). */
int64_t nn_qnn_code_max_abs(int code, int bits);

/* How a layer's weights are stored. Whatever the code, w[] in memory holds
 * the weight values (the integers acc multiplies by); the code only decides
 * the planes of the file and of the accelerator's weight buffer, and
 * w_mag_bits is always the bits of w_max (the PE's weight passes). */
enum nn_qnn_wcode {
    NN_WCODE_BINARY  = 1,  /* {-1,+1}: one sign plane */
    NN_WCODE_SIGNMAG = 2,  /* sign plane + w_mag_bits magnitude planes, codes in [-K,K] */
    NN_WCODE_POW2    = 3,  /* {0, +-1, +-2, .., +-K}, K = 2^(q-1), q = w_mag_bits: sign plane +
                              bits(q) planes of the exponent code k (0: zero, k: +-2^(k-1)) */
    NN_WCODE_OFFSET  = 4,  /* the odd integers in [-K, K], K = 2^B - 1, B = w_mag_bits: B planes
                              of c = (w + K) / 2, so w = sum_j (2 c_j - 1) 2^j */
};

enum nn_qnn_out { NN_OUT_THRESH = 1, NN_OUT_SCORES = 2 };

enum nn_qnn_merge { NN_MERGE_NONE = 0, NN_MERGE_ADD = 1, NN_MERGE_OR = 2, NN_MERGE_MUX = 3 };

struct nn_qnn_layer {
    int32_t op;                       /* enum nn_qnn_op */
    int32_t in_h, in_w, in_c;         /* input shape (dense: the flattened map's h, w, c) */
    int32_t out_h, out_w, out_c;      /* output shape before pooling (dense: 1, 1, out_c) */
    int32_t k, stride, pad;           /* conv geometry; dense: k = stride = 1, pad = 0 */
    int32_t in_code, in_bits;         /* enum nn_qnn_code and its bit width */
    int32_t w_code, w_mag_bits;       /* enum nn_qnn_wcode; magnitude planes (0 for binary) */
    int32_t w_max;                    /* K: codes are in [-K, K] */
    int32_t out_kind;                 /* enum nn_qnn_out */
    int32_t out_code, out_bits;       /* enum nn_qnn_code of the output (THRESH only) */
    int32_t n_thr;                    /* thresholds per channel: nn_qnn_code_n_thr */
    int32_t merge;                    /* enum nn_qnn_merge */
    int32_t mux_variant;              /* enum nn_mux_variant (nn/layers.h) for MUX */
    int32_t res;                      /* 1: the layer is on an `add` residual stream */
    int32_t res_bits, res_frac;       /* the stream's fixed point: R bits, F fractional */
    int32_t rq_shift;                 /* requantizer / score shift */
    int32_t pool;                     /* max pool size after the layer, 0 = none */
    /* the wiring (version 3; a version 1 or 2 file reads as the chain: src =
     * the previous layer, skip = the layer's own input) */
    int32_t src;                      /* the input: 0 the image, k the output of layer k */
    int32_t skip;                     /* merge: the layer k whose output (add: stream u)
                                         is the skip; 0 without a merge */
    int32_t skip_stride;              /* merge: 1, or s >= 2: the skip at (y, x, c) is the
                                         source's (s y, s x, c), 0 for c past its channels
                                         (the pad shortcut); 0 without a merge */

    int8_t *w;        /* [out_c][fan_in] codes, fan_in = k*k*in_c (dense: in_h*in_w*in_c),
                         conv order [out_c][ky][kx][in_c] */
    int32_t *thr;     /* [out_c][n_thr] (THRESH) */
    uint8_t *mux_sel; /* [out_c] (MUX) */
    int64_t *rq_mul;  /* [out_c] requantizer (res) or score multiplier (SCORES) */
    int64_t *rq_add;  /* [out_c] */
};

struct nn_qnn {
    int32_t n_layers;
    int32_t in_h, in_w, in_c;         /* the input image */
    int32_t n_class;
    char meta[NN_QNN_META_MAX];       /* "key=value\n" lines: arch, wq, aq, seed, ... */
    struct nn_qnn_layer *layers;      /* [n_layers] */
};

/* Planes stored per weight (its bits in the file and the weight buffer):
 * 1 binary, 1 + w_mag_bits sign-magnitude, 1 + bits(w_mag_bits) pow2,
 * w_mag_bits offset. */
int nn_qnn_weight_planes(const struct nn_qnn_layer *l);
/* Bit p (0 = the first plane) of the stored word of weight value v. */
int nn_qnn_weight_bit(const struct nn_qnn_layer *l, int p, int v);
/* The pow2 exponent code of a weight value: 0 for 0, k for +-2^(k-1). */
int nn_qnn_pow2_code(int v);

/* 1 if layer li (0-based) is a side layer: not the last, and the input of
 * no layer (a projection shortcut: its output is only a skip). */
int nn_qnn_is_side(const struct nn_qnn *m, int li);

/* fan_in of a layer: k*k*in_c for conv, in_h*in_w*in_c for dense. */
int nn_qnn_fan_in(const struct nn_qnn_layer *l);
/* Output shape after pooling. */
void nn_qnn_out_shape(const struct nn_qnn_layer *l, int *h, int *w, int *c);

/* The largest |acc| a layer can reach: fan_in x w_max x the largest |input|
 * (255 for pixels, 1 for {0,1} and sign, 2^B - 1 for B-bit codes). */
int64_t nn_qnn_acc_bound(const struct nn_qnn_layer *l);

/* Rewrites the requantizer constants (rq_mul, rq_add, rq_shift) of every
 * layer on an `add` stream to the smallest shift sh' (and so the narrowest
 * multiplier) whose requantizer computes, for every channel, exactly the same
 * Y = sat_R(floor((rq_mul acc + rq_add) / 2^sh)) for every |acc| up to
 * nn_qnn_acc_bound: the same integer model, with narrower constants
 * (docs/accelerator.md, "The cheapest requantizer"). Candidates per channel
 * are the floor and the ceiling of mul / 2^k and add / 2^k, each checked on
 * the whole accumulator range. Score constants are left alone (their argmax
 * is not a function of one accumulator). Returns the number of layers
 * narrowed. */
int nn_qnn_rq_narrow(struct nn_qnn *m);

/* The shift form of one requantizer constant pair (docs/accelerator.md, "The
 * shift requantizer"): when mul = +-2^e, Y = floor((mul acc + add) / 2^sh)
 * equals floor((s acc 2^lshift + off) / 2^rshift) with s = sign(mul), m =
 * min(e, sh), lshift = e - m, rshift = sh - m and off = floor(add / 2^m)
 * (dividing numerator and denominator by 2^m; floor((n + x) / d) = floor((n
 * + floor(x)) / d) for integers n, d). One of the two shifts is 0. */
struct nn_rq_shift {
    int neg;        /* 1: mul < 0 */
    int lshift;     /* left shift of the accumulator */
    int rshift;     /* right shift of the sum */
    int64_t off;    /* the offset */
};
/* 1 and the form in f if mul is +-2^e (e >= 0); 0 (f zeroed) otherwise. */
int nn_qnn_rq_shift_form(int64_t mul, int64_t add, int shift, struct nn_rq_shift *f);

/* Checks the internal consistency of a model (shapes chain, codes in range,
 * thresholds ascending, merge wiring legal); errors name the layer and field,
 * numbering layers from 1 ("layer 1" is layers[0]). */
enum nn_status nn_qnn_validate(const struct nn_qnn *m, struct nn_error *err);

/* Atomic write (temp file + fsync + rename). Validates first. */
enum nn_status nn_qnn_write(const struct nn_qnn *m, const char *path, struct nn_error *err);
/* The same as an older version, for older readers: 2 holds a chain of
 * layers only (src the previous layer, skip the layer's own input), 1 also
 * the binary and sign-magnitude weight codes only; NN_ERR_ARG naming the
 * layer otherwise. */
enum nn_status nn_qnn_write_version(const struct nn_qnn *m, uint32_t version, const char *path,
                                    struct nn_error *err);
/* Reads versions 1 to 3 and validates (the TERN and POW2 codes only in
 * version 3). Errors name the file and what is
 * wrong: bad magic, unsupported version, truncation, checksum mismatch,
 * inconsistent field. */
enum nn_status nn_qnn_read(struct nn_qnn *m, const char *path, struct nn_error *err);
void nn_qnn_free(struct nn_qnn *m);

/* Looks up a metadata key; copies its value into buf. Returns 1 if found. */
int nn_qnn_meta_get(const struct nn_qnn *m, const char *key, char *buf, int size);
/* The same on any "key=value\n" lines (a checkpoint's metadata too): 1 if
 * found, the value copied into buf (truncated to size - 1). */
int nn_meta_get(const char *meta, const char *key, char *buf, size_t size);
/* Appends "key=value\n" (replacing an existing key). Returns 0, or -1 if full. */
int nn_qnn_meta_set(struct nn_qnn *m, const char *key, const char *value);

/* The metadata keys logiq writes (docs/qnn-format.md, "Metadata"): one name
 * for the writer and every reader. */
#define NN_META_ARCH "arch"                     /* the architecture string */
#define NN_META_WIDTH "width"                   /* --width */
#define NN_META_WQ "wq"                         /* the weight quantizer spec */
#define NN_META_AQ "aq"                         /* the activation quantizer */
#define NN_META_SEED "seed"
#define NN_META_EPOCHS "epochs"
#define NN_META_DATA "data"                     /* the data set kind */
#define NN_META_RES_SCALE "res_scale"           /* pow2: stream scales are +-2^e */
#define NN_META_POOL_ORDER "pool_order"         /* paper: trained conv -> pool -> BN -> act */
#define NN_META_INTERRUPTED_AT "interrupted_at" /* "epoch E batch B" of a stopped run */
#define NN_META_FLOAT_TEST_ACC "float_test_acc" /* the training core's test accuracy */
#define NN_META_INT_TEST_ACC "int_test_acc"     /* the integer model's test accuracy */
#define NN_META_QUANTIZED_FROM "quantized_from" /* logiq quantize: the checkpoint */
#define NN_META_SETTING "setting"               /* post-training or data-free */
#define NN_META_CALIB "calib"                   /* calibration images */
#define NN_META_CALIB_SEED "calib_seed"
#define NN_META_SINAREQ "sinareq"               /* SINAREQ's options */
#define NN_META_WQ_LAYERS "wq_layers"           /* the learned per-layer specs */
#define NN_META_SINAREQ_BITS "sinareq_bits"     /* the learned widths */
#define NN_META_SINAREQ_BETA "sinareq_beta"

#endif

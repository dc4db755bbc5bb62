/* nn/qnn.c: the .qnn model file: validation, atomic write, checked read,
 * metadata.
 *
 * Byte layout of a .qnn file, version 3 (every integer little-endian; i32
 * and i64 are two's complement). Version 1 is the same layout with only
 * the BINARY and SIGNMAG weight codes, version 2 without the TERN and POW2
 * activation codes (in_code, out_code 5 and 6) and the three wiring fields
 * (the chain); the reader reads all three, the writer writes version 3:
 *
 *   offset  size  field
 *   0       8     magic "LOGIQQNN" (no NUL)
 *   8       4     u32 version (NN_QNN_VERSION = 3; 1 and 2 are read too)
 *   12      4     u32 n_layers (1..NN_QNN_MAX_LAYERS)
 *   16      16    i32 in_h, in_w, in_c, n_class
 *   32      4     u32 meta_len (< NN_QNN_META_MAX)
 *   36      L     meta_len bytes of "key=value\n" text, no NUL
 *   then, per layer:
 *           116   29 x i32: every int32 field of struct nn_qnn_layer in
 *                 declaration order: op, in_h, in_w, in_c, out_h, out_w,
 *                 out_c, k, stride, pad, in_code, in_bits, w_code,
 *                 w_mag_bits, w_max, out_kind, out_code, out_bits, n_thr,
 *                 merge, mux_variant, res, res_bits, res_frac, rq_shift, pool,
 *                 src, skip, skip_stride (the last three: version 3)
 *           P x B weight bit-planes, B = ceil(out_c * fan_in / 8) bytes each.
 *                 Weight i = c * fan_in + j (row-major [out_c][fan_in]) is bit
 *                 (i % 8) of byte (i / 8) of a plane (LSB first); the padding
 *                 bits of a plane's last byte are 0.
 *                   BINARY : P = 1, the sign plane: bit 1 = +1, 0 = -1.
 *                   SIGNMAG: P = 1 + w_mag_bits: the sign plane (1 = negative)
 *                            then the magnitude planes, bit 0 of |code| first.
 *                            A zero code has sign bit 0.
 *                   POW2   : P = 1 + bits(q), q = w_mag_bits: the sign plane
 *                            (1 = negative), then the planes of the exponent
 *                            code k, bit 0 first: k = 0 is 0, k = 1..q is
 *                            +-2^(k-1); k > q is an error, as is a set sign
 *                            bit on k = 0. (version 2)
 *                   OFFSET : P = B = w_mag_bits: the planes of the offset
 *                            code c = (w + 2^B - 1) / 2, bit 0 first, so
 *                            w = 2c - (2^B - 1) = sum_j (2 c_j - 1) 2^j.
 *                            (version 2)
 *           T     i32 thr [out_c][n_thr]          if out_kind == THRESH
 *           M     u8 mux_sel [out_c] (0 or 1)     if merge == MUX
 *           R     i64 rq_mul [out_c], then i64 rq_add [out_c]
 *                                                 if res or out_kind == SCORES
 *   last    4     u32 CRC-32 (zlib crc32) of every preceding byte
 *
 * Reading reads the whole file and checks the magic and the version; then a
 * walk over the layout, with every count bounded and nothing allocated, finds
 * where a truncated file ends; then the checksum; only an intact file is
 * decoded (the counts now trusted) and goes through nn_qnn_validate. A
 * corrupted count thus either reads as a truncation or a checksum mismatch,
 * never as an allocation. docs/qnn-format.md describes the format for users.
 * Messages number layers from 1 (layers[0] is "layer 1"), as the rest of
 * logiq does. Nothing here prints. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "nn/qnn.h"

#include "nn/binfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QNN_HEADER_BYTES 36u       /* magic .. meta_len */
#define QNN_FIELD_COUNT 29       /* version 3 */
#define QNN_FIELD_COUNT_V2 26    /* versions 1 and 2: no wiring fields */
#define QNN_FIELD_BYTES (4u * QNN_FIELD_COUNT)
#define QNN_MAX_DIM 4096
#define QNN_MAX_WEIGHTS (1L << 28) /* fan_in * out_c of one layer */
#define QNN_MAX_W 127              /* int8 codes */

/* Bytes of a layer's fields in a file of this version. */
static uint32_t field_bytes(uint32_t version)
{
    return 4u * (version >= 3 ? QNN_FIELD_COUNT : QNN_FIELD_COUNT_V2);
}

/* The int32 fields of a layer, in file order, with the names errors use. */
static const struct {
    const char *name;
    size_t offset;
} qnn_fields[QNN_FIELD_COUNT] = {
    {"op", offsetof(struct nn_qnn_layer, op)},
    {"in_h", offsetof(struct nn_qnn_layer, in_h)},
    {"in_w", offsetof(struct nn_qnn_layer, in_w)},
    {"in_c", offsetof(struct nn_qnn_layer, in_c)},
    {"out_h", offsetof(struct nn_qnn_layer, out_h)},
    {"out_w", offsetof(struct nn_qnn_layer, out_w)},
    {"out_c", offsetof(struct nn_qnn_layer, out_c)},
    {"k", offsetof(struct nn_qnn_layer, k)},
    {"stride", offsetof(struct nn_qnn_layer, stride)},
    {"pad", offsetof(struct nn_qnn_layer, pad)},
    {"in_code", offsetof(struct nn_qnn_layer, in_code)},
    {"in_bits", offsetof(struct nn_qnn_layer, in_bits)},
    {"w_code", offsetof(struct nn_qnn_layer, w_code)},
    {"w_mag_bits", offsetof(struct nn_qnn_layer, w_mag_bits)},
    {"w_max", offsetof(struct nn_qnn_layer, w_max)},
    {"out_kind", offsetof(struct nn_qnn_layer, out_kind)},
    {"out_code", offsetof(struct nn_qnn_layer, out_code)},
    {"out_bits", offsetof(struct nn_qnn_layer, out_bits)},
    {"n_thr", offsetof(struct nn_qnn_layer, n_thr)},
    {"merge", offsetof(struct nn_qnn_layer, merge)},
    {"mux_variant", offsetof(struct nn_qnn_layer, mux_variant)},
    {"res", offsetof(struct nn_qnn_layer, res)},
    {"res_bits", offsetof(struct nn_qnn_layer, res_bits)},
    {"res_frac", offsetof(struct nn_qnn_layer, res_frac)},
    {"rq_shift", offsetof(struct nn_qnn_layer, rq_shift)},
    {"pool", offsetof(struct nn_qnn_layer, pool)},
    {"src", offsetof(struct nn_qnn_layer, src)},
    {"skip", offsetof(struct nn_qnn_layer, skip)},
    {"skip_stride", offsetof(struct nn_qnn_layer, skip_stride)},
};

static int32_t *field_ptr(struct nn_qnn_layer *l, int i)
{
    return (int32_t *)((char *)l + qnn_fields[i].offset);
}

static int32_t field_get(const struct nn_qnn_layer *l, int i)
{
    return *(const int32_t *)((const char *)l + qnn_fields[i].offset);
}

/* ---- little-endian helpers ---- */

static void put_i32(uint8_t *p, int32_t v)
{
    nn_put_u32(p, (uint32_t)v);
}

static void put_i64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    nn_put_u32(p, (uint32_t)u);
    nn_put_u32(p + 4, (uint32_t)(u >> 32));
}

/* Two's complement without relying on implementation-defined conversions. */
static int32_t get_i32(const uint8_t *p)
{
    uint32_t u = nn_get_u32(p);
    return u <= INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

static int64_t get_i64(const uint8_t *p)
{
    uint64_t u = (uint64_t)nn_get_u32(p) | (uint64_t)nn_get_u32(p + 4) << 32;
    return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

/* ---- shapes ---- */

static int64_t fan_in64(const struct nn_qnn_layer *l)
{
    if (l->op == NN_QNN_DENSE)
        return (int64_t)l->in_h * l->in_w * l->in_c;
    return (int64_t)l->k * l->k * l->in_c;
}

int nn_qnn_fan_in(const struct nn_qnn_layer *l)
{
    int64_t f = fan_in64(l);
    return f >= 0 && f <= INT32_MAX ? (int)f : -1;
}

void nn_qnn_out_shape(const struct nn_qnn_layer *l, int *h, int *w, int *c)
{
    int p = l->pool > 1 ? l->pool : 1;
    *h = l->out_h / p;
    *w = l->out_w / p;
    *c = l->out_c;
}

/* Bits of the largest magnitude: 1 -> 1, 2..3 -> 2, 4..7 -> 3, ... */
static int mag_bits_for(int w_max)
{
    int b = 0;
    while (b < 31 && ((1L << b) - 1) < w_max)
        b++;
    return b;
}

/* Planes of a layer whose w_code and w_mag_bits are bounded (any code the
 * reader does not know has none: walk_bound refuses it first). */
static int n_planes(const struct nn_qnn_layer *l)
{
    switch (l->w_code) {
    case NN_WCODE_BINARY: return 1;
    case NN_WCODE_SIGNMAG: return 1 + l->w_mag_bits;
    case NN_WCODE_POW2: return 1 + mag_bits_for(l->w_mag_bits);
    case NN_WCODE_OFFSET: return l->w_mag_bits;
    default: return 0;
    }
}

int nn_qnn_weight_planes(const struct nn_qnn_layer *l)
{
    return n_planes(l);
}

int nn_qnn_pow2_code(int v)
{
    unsigned a = (unsigned)(v < 0 ? -v : v);
    int k = 0;
    while (a) {
        k++;
        a >>= 1;
    }
    return k;
}

int nn_qnn_weight_bit(const struct nn_qnn_layer *l, int p, int v)
{
    switch (l->w_code) {
    case NN_WCODE_BINARY:
        return v > 0;
    case NN_WCODE_OFFSET:
        return ((v + l->w_max) / 2 >> p) & 1;
    case NN_WCODE_POW2:
        return p == 0 ? v < 0 : (nn_qnn_pow2_code(v) >> (p - 1)) & 1;
    default: {
        int mag = v < 0 ? -v : v;
        return p == 0 ? v < 0 : (mag >> (p - 1)) & 1;
    }
    }
}

static int has_thr(const struct nn_qnn_layer *l) { return l->out_kind == NN_OUT_THRESH; }
static int has_mux(const struct nn_qnn_layer *l) { return l->merge == NN_MERGE_MUX; }
static int has_rq(const struct nn_qnn_layer *l)
{
    return l->res == 1 || l->out_kind == NN_OUT_SCORES;
}

/* Byte sizes of a layer's sections; the fields they use must be bounded. */
static uint64_t plane_bytes(const struct nn_qnn_layer *l)
{
    return ((uint64_t)fan_in64(l) * (uint64_t)l->out_c + 7) / 8;
}

static int pow2_act_q(int bits) { return bits >= 3 && bits <= 4 ? (1 << (bits - 1)) - 1 : 0; }

int nn_qnn_code_n_thr(int code, int bits)
{
    switch (code) {
    case NN_CODE_BIN01:
    case NN_CODE_SIGN: return bits == 1 ? 1 : 0;
    case NN_CODE_UINT: return bits >= 2 && bits <= 8 ? (1 << bits) - 1 : 0;
    case NN_CODE_TERN: return bits == 2 ? 2 : 0;
    case NN_CODE_POW2: return 2 * pow2_act_q(bits);
    default: return 0;
    }
}

int32_t nn_qnn_code_value(int code, int bits, int count)
{
    switch (code) {
    case NN_CODE_SIGN: return 2 * count - 1;
    case NN_CODE_TERN: return count - 1;
    case NN_CODE_POW2: {
        const int v = count - pow2_act_q(bits);
        return v == 0 ? 0 : v > 0 ? (int32_t)1 << (v - 1) : -((int32_t)1 << (-v - 1));
    }
    default: return count;
    }
}

int64_t nn_qnn_code_max_abs(int code, int bits)
{
    switch (code) {
    case NN_CODE_PIXEL8: return 255;
    case NN_CODE_BIN01:
    case NN_CODE_SIGN:
    case NN_CODE_TERN: return 1;
    case NN_CODE_UINT: return bits >= 1 && bits <= 8 ? (1 << bits) - 1 : 0;
    case NN_CODE_POW2: return pow2_act_q(bits) ? (int64_t)1 << (pow2_act_q(bits) - 1) : 0;
    default: return 0;
    }
}

/* Largest |x| of an input code (0 for an unknown code). */
static int64_t max_abs_value(int code, int bits) { return nn_qnn_code_max_abs(code, bits); }

int64_t nn_qnn_acc_bound(const struct nn_qnn_layer *l)
{
    int64_t f = fan_in64(l);
    return f < 0 ? -1 : f * l->w_max * max_abs_value(l->in_code, l->in_bits);
}

/* ---- validation ---- */

/* li is the 0-based index; every message numbers layers from 1, as the rest
 * of logiq does (the first layer is "layer 1"). */
static enum nn_status bad_range(struct nn_error *err, int li, const char *field, int64_t v,
                                const char *expected)
{
    return nn_fail(err, NN_ERR_FORMAT, "layer %d: field %s = %" PRId64
                   " out of range (expected %s)", li + 1, field, v, expected);
}

static int in_range(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

/* Shapes, geometry and the input chain of layer li. */
static enum nn_status validate_shape(const struct nn_qnn *m, int li, struct nn_error *err)
{
    const struct nn_qnn_layer *l = &m->layers[li];
    char exp[64];

    if (l->op != NN_QNN_CONV && l->op != NN_QNN_DENSE)
        return bad_range(err, li, "op", l->op, "1 = conv or 2 = dense");
    static const int dims[] = {1, 2, 3, 4, 5, 6, 7}; /* in_h .. k */
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (!in_range(field_get(l, dims[i]), 1, QNN_MAX_DIM))
            return bad_range(err, li, qnn_fields[dims[i]].name, field_get(l, dims[i]), "1..4096");
    if (!in_range(l->stride, 1, QNN_MAX_DIM))
        return bad_range(err, li, "stride", l->stride, "1..4096");
    snprintf(exp, sizeof exp, "0..%d, less than k", l->k - 1);
    if (!in_range(l->pad, 0, l->k - 1))
        return bad_range(err, li, "pad", l->pad, exp);

    if (l->op == NN_QNN_CONV) {
        int64_t eh = (int64_t)l->in_h + 2 * l->pad - l->k;
        int64_t ew = (int64_t)l->in_w + 2 * l->pad - l->k;
        if (eh < 0 || ew < 0)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: kernel k = %d larger than the padded "
                           "input %dx%d (pad %d)", li + 1, l->k, l->in_h, l->in_w, l->pad);
        if (l->out_h != eh / l->stride + 1 || l->out_w != ew / l->stride + 1)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: conv output %dx%d inconsistent with "
                           "input %dx%d, k %d, stride %d, pad %d (expected %" PRId64 "x%" PRId64
                           ")", li + 1, l->out_h, l->out_w, l->in_h, l->in_w, l->k, l->stride,
                           l->pad, eh / l->stride + 1, ew / l->stride + 1);
    } else {
        if (l->k != 1 || l->stride != 1 || l->pad != 0)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: dense layer with k = %d, stride = %d, "
                           "pad = %d (expected 1, 1, 0)", li + 1, l->k, l->stride, l->pad);
        if (l->out_h != 1 || l->out_w != 1)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: dense output %dx%d (expected 1x1)",
                           li + 1, l->out_h, l->out_w);
    }
    if ((int64_t)fan_in64(l) * l->out_c > QNN_MAX_WEIGHTS)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: %" PRId64 " x %d weights (fan_in x out_c "
                       "must be at most 2^28)", li + 1, fan_in64(l), l->out_c);

    /* the input: the previous layer's output, or the input of a side
     * layer before it (a projection shortcut's, which leaves the bank) */
    const int prev_src = li > 0 ? m->layers[li - 1].src : -1;
    if (l->src != li && !(li > 0 && l->src == prev_src)) {
        char e[96];
        if (li == 0)
            snprintf(e, sizeof e, "0, the image");
        else
            snprintf(e, sizeof e, "%d, the previous layer, or %d, the input of the side layer "
                     "%d", li, prev_src, li);
        return bad_range(err, li, "src", l->src, e);
    }
    int ph = m->in_h, pw = m->in_w, pc = m->in_c;
    int pcode = NN_CODE_PIXEL8, pbits = 8;
    char from[48] = "the model input";
    if (l->src > 0) {
        const struct nn_qnn_layer *p = &m->layers[l->src - 1];
        nn_qnn_out_shape(p, &ph, &pw, &pc);
        pcode = p->out_code;
        pbits = p->out_bits;
        snprintf(from, sizeof from, "layer %d's output", l->src);
    }
    if (l->in_h != ph || l->in_w != pw || l->in_c != pc)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: input shape %dx%dx%d does not match %s "
                       "%dx%dx%d", li + 1, l->in_h, l->in_w, l->in_c, from, ph, pw, pc);
    if (l->in_code != pcode || l->in_bits != pbits)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: input code %d with %d bits does not match "
                       "%s (code %d, %d bits)", li + 1, l->in_code, l->in_bits, from, pcode, pbits);
    return NN_OK;
}

static enum nn_status validate_weights(const struct nn_qnn_layer *l, int li,
                                       struct nn_error *err)
{
    if (l->w_code == NN_WCODE_BINARY) {
        if (l->w_max != 1)
            return bad_range(err, li, "w_max", l->w_max, "1 for binary weights");
        if (l->w_mag_bits != 0)
            return bad_range(err, li, "w_mag_bits", l->w_mag_bits, "0 for binary weights");
    } else if (l->w_code == NN_WCODE_SIGNMAG) {
        if (!in_range(l->w_max, 1, QNN_MAX_W))
            return bad_range(err, li, "w_max", l->w_max, "1..127");
        int need = mag_bits_for(l->w_max);
        if (l->w_mag_bits != need) {
            char exp[64];
            snprintf(exp, sizeof exp, "%d, the bits of w_max = %d", need, l->w_max);
            return bad_range(err, li, "w_mag_bits", l->w_mag_bits, exp);
        }
    } else if (l->w_code == NN_WCODE_POW2 || l->w_code == NN_WCODE_OFFSET) {
        /* pow2: K = 2^(q-1) with q = w_mag_bits levels; offset: K = 2^B - 1
         * with B = w_mag_bits planes; in both w_mag_bits = bits(K) */
        const int pow2 = l->w_code == NN_WCODE_POW2;
        if (!in_range(l->w_mag_bits, 1, 7))
            return bad_range(err, li, "w_mag_bits", l->w_mag_bits,
                             pow2 ? "1..7 pow2 levels" : "1..7 offset-binary planes");
        int want = pow2 ? 1 << (l->w_mag_bits - 1) : (1 << l->w_mag_bits) - 1;
        if (l->w_max != want) {
            char exp[64];
            snprintf(exp, sizeof exp, "%d = %s with w_mag_bits = %d", want,
                     pow2 ? "2^(w_mag_bits - 1)" : "2^w_mag_bits - 1", l->w_mag_bits);
            return bad_range(err, li, "w_max", l->w_max, exp);
        }
    } else {
        return bad_range(err, li, "w_code", l->w_code,
                         "1 = binary, 2 = sign-magnitude, 3 = pow2 or 4 = offset");
    }
    if (!l->w)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: no weight array", li + 1);

    int64_t n = fan_in64(l) * l->out_c, fan = fan_in64(l);
    for (int64_t i = 0; i < n; i++) {
        int v = l->w[i], a = v < 0 ? -v : v;
        int ok = l->w_code == NN_WCODE_BINARY ? (v == 1 || v == -1)
                                              : (v >= -l->w_max && v <= l->w_max);
        if (ok && l->w_code == NN_WCODE_POW2)
            ok = (a & (a - 1)) == 0;
        if (ok && l->w_code == NN_WCODE_OFFSET)
            ok = (a & 1) == 1;
        if (!ok)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: weight [%" PRId64 "][%" PRId64
                           "] = %d out of range (expected %s%d..%d)", li + 1, i / fan, i % fan, v,
                           l->w_code == NN_WCODE_BINARY ? "-1 or +1, not 0, in "
                           : l->w_code == NN_WCODE_POW2 ? "0 or +-2^e in "
                           : l->w_code == NN_WCODE_OFFSET ? "an odd integer in " : "",
                           -l->w_max, l->w_max);
    }

    int64_t bound = fan * l->w_max * max_abs_value(l->in_code, l->in_bits);
    if (bound > INT32_MAX)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: accumulator bound fan_in %" PRId64
                       " x w_max %d x max|x| %" PRId64 " = %" PRId64 " exceeds 32 bits", li + 1, fan,
                       l->w_max, max_abs_value(l->in_code, l->in_bits), bound);
    return NN_OK;
}

/* |mul * acc + add| <= INT64_MAX for every |acc| <= acc_max, so the int64 math
 * of the requantizer and the scores can never overflow. */
static enum nn_status validate_rq(const struct nn_qnn_layer *l, int li, struct nn_error *err)
{
    if (!l->rq_mul || !l->rq_add)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: no rq_mul/rq_add arrays", li + 1);
    int64_t acc_max = fan_in64(l) * l->w_max * max_abs_value(l->in_code, l->in_bits);
    if (acc_max < 1)
        acc_max = 1;
    for (int c = 0; c < l->out_c; c++) {
        int64_t mul = l->rq_mul[c], add = l->rq_add[c];
        if (mul == INT64_MIN || add == INT64_MIN ||
            (mul < 0 ? -mul : mul) > (INT64_MAX - (add < 0 ? -add : add)) / acc_max)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: rq_mul[%d] = %" PRId64 ", rq_add[%d] = %"
                           PRId64 " can overflow 64 bits with |acc| up to %" PRId64, li + 1, c, mul,
                           c, add, acc_max);
    }
    return NN_OK;
}

static enum nn_status validate_output(const struct nn_qnn *m, int li, struct nn_error *err)
{
    const struct nn_qnn_layer *l = &m->layers[li];
    int last = li == m->n_layers - 1;

    if (l->out_kind != NN_OUT_THRESH && l->out_kind != NN_OUT_SCORES)
        return bad_range(err, li, "out_kind", l->out_kind, "1 = thresholds or 2 = scores");
    if (last && l->out_kind != NN_OUT_SCORES)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: the last layer must have out_kind "
                       "scores (2), not %d", li + 1, l->out_kind);
    if (!last && l->out_kind != NN_OUT_THRESH)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: only the last layer (%d) may have out_kind "
                       "scores", li + 1, m->n_layers);
    if (!in_range(l->rq_shift, 0, 62))
        return bad_range(err, li, "rq_shift", l->rq_shift, "0..62");

    if (l->out_kind == NN_OUT_SCORES) {
        char exp[48];
        snprintf(exp, sizeof exp, "n_class = %d", m->n_class);
        if (l->out_c != m->n_class)
            return bad_range(err, li, "out_c", l->out_c, exp);
        if (l->out_h != 1 || l->out_w != 1)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: the scores layer has output %dx%d "
                           "(expected 1x1)", li + 1, l->out_h, l->out_w);
        if (l->pool != 0)
            return bad_range(err, li, "pool", l->pool, "0: the scores layer is not pooled");
        if (l->merge != NN_MERGE_NONE)
            return bad_range(err, li, "merge", l->merge, "0: the scores layer has no merge");
        if (l->res != 0)
            return bad_range(err, li, "res", l->res, "0: the scores layer is not on a stream");
        if (l->out_code != 0)
            return bad_range(err, li, "out_code", l->out_code, "0 for the scores layer");
        if (l->out_bits != 0)
            return bad_range(err, li, "out_bits", l->out_bits, "0 for the scores layer");
        if (l->n_thr != 0)
            return bad_range(err, li, "n_thr", l->n_thr, "0 for the scores layer");
        return validate_rq(l, li, err);
    }

    switch (l->out_code) {
    case NN_CODE_BIN01:
    case NN_CODE_SIGN:
        if (l->out_bits != 1)
            return bad_range(err, li, "out_bits", l->out_bits, "1 for a binary or sign output");
        break;
    case NN_CODE_UINT:
        if (!in_range(l->out_bits, 2, 8))
            return bad_range(err, li, "out_bits", l->out_bits, "2..8 for an unsigned output");
        break;
    case NN_CODE_TERN:
        if (l->out_bits != 2)
            return bad_range(err, li, "out_bits", l->out_bits, "2 for a ternary output");
        break;
    case NN_CODE_POW2:
        if (!in_range(l->out_bits, 3, 4))
            return bad_range(err, li, "out_bits", l->out_bits, "3..4 for a pow2 output");
        break;
    default:
        return bad_range(err, li, "out_code", l->out_code,
                         "2 = bin01, 3 = sign, 4 = uint, 5 = tern or 6 = pow2");
    }
    int want = nn_qnn_code_n_thr(l->out_code, l->out_bits);
    if (l->n_thr != want) {
        char exp[64];
        snprintf(exp, sizeof exp, "%d for out_code %d with %d bits", want, l->out_code,
                 l->out_bits);
        return bad_range(err, li, "n_thr", l->n_thr, exp);
    }
    if (!l->thr)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: no threshold array", li + 1);
    for (int c = 0; c < l->out_c; c++) {
        const int32_t *t = l->thr + (size_t)c * l->n_thr;
        for (int j = 1; j < l->n_thr; j++)
            if (t[j] < t[j - 1])
                return nn_fail(err, NN_ERR_FORMAT, "layer %d: thresholds of channel %d not "
                               "ascending (thr[%d][%d] = %d < thr[%d][%d] = %d)", li + 1, c, c, j,
                               t[j], c, j - 1, t[j - 1]);
    }
    int most = l->out_h < l->out_w ? l->out_h : l->out_w;
    char exp[48];
    snprintf(exp, sizeof exp, "0 = none .. %d, the output size", most);
    if (!in_range(l->pool, 0, most))
        return bad_range(err, li, "pool", l->pool, exp);
    return NN_OK;
}

static enum nn_status validate_merge(const struct nn_qnn *m, int li, struct nn_error *err)
{
    const struct nn_qnn_layer *l = &m->layers[li];

    if (!in_range(l->merge, NN_MERGE_NONE, NN_MERGE_MUX))
        return bad_range(err, li, "merge", l->merge, "0 = none, 1 = add, 2 = or, 3 = mux");
    if (!in_range(l->mux_variant, 0, 1))
        return bad_range(err, li, "mux_variant", l->mux_variant, "0 = or, 1 = sel");
    if (!in_range(l->res, 0, 1))
        return bad_range(err, li, "res", l->res, "0 or 1");
    if (l->res) {
        if (!in_range(l->res_bits, 2, 32))
            return bad_range(err, li, "res_bits", l->res_bits, "2..32");
        char exp[48];
        snprintf(exp, sizeof exp, "0..%d, less than res_bits", l->res_bits - 1);
        if (!in_range(l->res_frac, 0, l->res_bits - 1))
            return bad_range(err, li, "res_frac", l->res_frac, exp);
        enum nn_status s = validate_rq(l, li, err);
        if (s != NN_OK)
            return s;
    } else {
        /* not used, but kept sane so tools that print them print sense */
        if (!in_range(l->res_bits, 0, 32))
            return bad_range(err, li, "res_bits", l->res_bits, "0..32");
        if (!in_range(l->res_frac, 0, 32))
            return bad_range(err, li, "res_frac", l->res_frac, "0..32");
    }
    if (l->merge == NN_MERGE_NONE) {
        if (l->skip != 0)
            return bad_range(err, li, "skip", l->skip, "0 without a merge");
        if (l->skip_stride != 0)
            return bad_range(err, li, "skip_stride", l->skip_stride, "0 without a merge");
        return NN_OK;
    }
    char exp[96];
    snprintf(exp, sizeof exp, "1..%d, an earlier layer", li);
    if (!in_range(l->skip, 1, li))
        return bad_range(err, li, "skip", l->skip, exp);
    if (!in_range(l->skip_stride, 1, 8))
        return bad_range(err, li, "skip_stride", l->skip_stride, "1..8");
    const int k = l->skip - 1;
    const struct nn_qnn_layer *p = &m->layers[k];
    /* the skip buffer holds layer k's output from its write to this read */
    for (int j = 0; j < m->n_layers; j++) {
        const int s = m->layers[j].merge != NN_MERGE_NONE ? m->layers[j].skip - 1 : -1;
        if (s > k && s < li)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: its skip (layer %d's output) would be "
                           "overwritten in the skip buffer by layer %d's, the skip of layer %d",
                           li + 1, k + 1, s + 1, j + 1);
    }
    int kh, kw, kc;
    nn_qnn_out_shape(p, &kh, &kw, &kc);
    const int st = l->skip_stride;
    if (l->out_h != (kh + st - 1) / st || l->out_w != (kw + st - 1) / st || l->out_c < kc)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: merge %d needs the output shape %dx%dx%d "
                       "(before pooling) to be the skip's %dx%dx%d (layer %d's output) "
                       "subsampled by skip_stride %d, with as many channels or more", li + 1,
                       l->merge, l->out_h, l->out_w, l->out_c, kh, kw, kc, k + 1, st);
    if (l->merge == NN_MERGE_OR || l->merge == NN_MERGE_MUX) {
        if (l->out_code != NN_CODE_BIN01 || p->out_code != NN_CODE_BIN01)
            return nn_fail(err, NN_ERR_FORMAT, "layer %d: %s merge needs binary {0,1} skip and "
                           "output (out_code = 2 here and in layer %d), got %d and %d", li + 1,
                           l->merge == NN_MERGE_OR ? "or" : "mux", k + 1, l->out_code,
                           p->out_code);
        if (l->merge == NN_MERGE_MUX) {
            if (!l->mux_sel)
                return nn_fail(err, NN_ERR_FORMAT, "layer %d: no mux_sel array", li + 1);
            for (int c = 0; c < l->out_c; c++)
                if (l->mux_sel[c] > 1)
                    return nn_fail(err, NN_ERR_FORMAT, "layer %d: mux_sel[%d] = %d (expected 0 "
                                   "or 1)", li + 1, c, l->mux_sel[c]);
        }
        return NN_OK;
    }
    /* ADD: the skip is layer k's stream u, unpooled */
    if (l->res != 1)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: add merge needs res = 1", li + 1);
    if (p->res != 1)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: add merge needs its skip, layer %d, on "
                       "the residual stream (res = 1)", li + 1, k + 1);
    if (p->pool > 1)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: add merge after the pooled layer %d (its "
                       "stream must not be pooled)", li + 1, k + 1);
    if (p->res_bits != l->res_bits || p->res_frac != l->res_frac)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: add merge of streams with different fixed "
                       "points (res_bits %d, res_frac %d; layer %d: %d, %d)", li + 1,
                       l->res_bits, l->res_frac, k + 1, p->res_bits, p->res_frac);
    return NN_OK;
}

/* A side layer (its output is the input of no layer: a projection
 * shortcut's) must feed a skip and not merge itself. */
static enum nn_status validate_side(const struct nn_qnn *m, int li, struct nn_error *err)
{
    if (li == m->n_layers - 1 || !nn_qnn_is_side(m, li))
        return NN_OK;
    if (m->layers[li].merge != NN_MERGE_NONE)
        return nn_fail(err, NN_ERR_FORMAT, "layer %d: a side layer (the input of no layer) "
                       "cannot merge", li + 1);
    for (int j = li + 1; j < m->n_layers; j++)
        if (m->layers[j].merge != NN_MERGE_NONE && m->layers[j].skip == li + 1)
            return NN_OK;
    return nn_fail(err, NN_ERR_FORMAT, "layer %d: its output is the input or the skip of no "
                   "layer", li + 1);
}

int nn_qnn_is_side(const struct nn_qnn *m, int li)
{
    if (li >= m->n_layers - 1)
        return 0;
    for (int j = li + 1; j < m->n_layers; j++)
        if (m->layers[j].src == li + 1)
            return 0;
    return 1;
}

enum nn_status nn_qnn_validate(const struct nn_qnn *m, struct nn_error *err)
{
    if (!in_range(m->n_layers, 1, NN_QNN_MAX_LAYERS))
        return nn_fail(err, NN_ERR_FORMAT, "n_layers = %d out of range (expected 1..%d)",
                       m->n_layers, NN_QNN_MAX_LAYERS);
    if (!m->layers)
        return nn_fail(err, NN_ERR_FORMAT, "no layer array");
    const struct { const char *name; int32_t v; } dims[] = {
        {"in_h", m->in_h}, {"in_w", m->in_w}, {"in_c", m->in_c}, {"n_class", m->n_class}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (!in_range(dims[i].v, 1, QNN_MAX_DIM))
            return nn_fail(err, NN_ERR_FORMAT, "model field %s = %d out of range (expected "
                           "1..4096)", dims[i].name, dims[i].v);
    if (!memchr(m->meta, '\0', sizeof m->meta))
        return nn_fail(err, NN_ERR_FORMAT, "metadata is not NUL-terminated");

    for (int li = 0; li < m->n_layers; li++) {
        enum nn_status s = validate_shape(m, li, err);
        if (s == NN_OK)
            s = validate_weights(&m->layers[li], li, err);
        if (s == NN_OK)
            s = validate_output(m, li, err);
        if (s == NN_OK)
            s = validate_merge(m, li, err);
        if (s == NN_OK)
            s = validate_side(m, li, err);
        if (s != NN_OK)
            return s;
    }
    return NN_OK;
}

/* ---- serialization ---- */

/* Bytes of layer l in the file (fields and arrays); l must be valid. */
static uint64_t layer_bytes(const struct nn_qnn_layer *l, uint32_t version)
{
    uint64_t n = field_bytes(version) + (uint64_t)n_planes(l) * plane_bytes(l);
    if (has_thr(l))
        n += (uint64_t)l->out_c * l->n_thr * 4;
    if (has_mux(l))
        n += (uint64_t)l->out_c;
    if (has_rq(l))
        n += (uint64_t)l->out_c * 16;
    return n;
}

static uint8_t *write_layer(uint8_t *o, const struct nn_qnn_layer *l, uint32_t version)
{
    const int n_fields = version >= 3 ? QNN_FIELD_COUNT : QNN_FIELD_COUNT_V2;
    for (int i = 0; i < n_fields; i++, o += 4)
        put_i32(o, field_get(l, i));

    uint64_t n = (uint64_t)fan_in64(l) * (uint64_t)l->out_c, pb = plane_bytes(l);
    for (int p = 0; p < n_planes(l); p++, o += pb) {
        memset(o, 0, pb);
        for (uint64_t i = 0; i < n; i++)
            o[i >> 3] |= (uint8_t)(nn_qnn_weight_bit(l, p, l->w[i]) << (i & 7));
    }
    if (has_thr(l))
        for (int64_t i = 0; i < (int64_t)l->out_c * l->n_thr; i++, o += 4)
            put_i32(o, l->thr[i]);
    if (has_mux(l))
        for (int c = 0; c < l->out_c; c++)
            *o++ = l->mux_sel[c];
    if (has_rq(l)) {
        for (int c = 0; c < l->out_c; c++, o += 8)
            put_i64(o, l->rq_mul[c]);
        for (int c = 0; c < l->out_c; c++, o += 8)
            put_i64(o, l->rq_add[c]);
    }
    return o;
}

/* Fsyncs the folder holding path so the rename itself is durable (best effort). */
enum nn_status nn_qnn_write(const struct nn_qnn *m, const char *path, struct nn_error *err)
{
    return nn_qnn_write_version(m, NN_QNN_VERSION, path, err);
}

/* The wiring of layer li (0-based) in a chain, all versions 1 and 2 can
 * hold: its input the previous layer's output, a merge's skip that input. */
static void chain_wiring(const struct nn_qnn_layer *l, int li, int32_t *src, int32_t *skip,
                         int32_t *skip_stride)
{
    *src = li;
    *skip = l->merge != NN_MERGE_NONE ? li : 0;
    *skip_stride = l->merge != NN_MERGE_NONE;
}

enum nn_status nn_qnn_write_version(const struct nn_qnn *m, uint32_t version, const char *path,
                                    struct nn_error *err)
{
    struct nn_error verr;
    if (version < 1 || version > NN_QNN_VERSION)
        return nn_fail(err, NN_ERR_ARG, "%s: not written: version %u (this logiq writes versions "
                       "1 to %u)", path, version, NN_QNN_VERSION);
    if (nn_qnn_validate(m, &verr) != NN_OK)
        return nn_fail(err, NN_ERR_FORMAT, "%s: not written, invalid model: %s", path, verr.msg);
    for (int li = 0; li < m->n_layers; li++) {
        const struct nn_qnn_layer *l = &m->layers[li];
        int32_t src, skip, skip_stride;
        chain_wiring(l, li, &src, &skip, &skip_stride);
        const int chain = l->src == src && l->skip == skip && l->skip_stride == skip_stride;
        if (version < 3 && !chain)
            return nn_fail(err, NN_ERR_ARG, "%s: not written as version %u: layer %d is wired "
                           "as a residual block (src %d, skip %d, skip_stride %d), which needs "
                           "version 3", path, version, li + 1, l->src, l->skip, l->skip_stride);
        if (version < 3 && (l->in_code == NN_CODE_TERN || l->in_code == NN_CODE_POW2 ||
                            l->out_code == NN_CODE_TERN || l->out_code == NN_CODE_POW2))
            return nn_fail(err, NN_ERR_ARG, "%s: not written as version %u: layer %d has "
                           "signed activation codes (tern or pow2), which need version 3", path,
                           version, li + 1);
        if (version < 2 && l->w_code != NN_WCODE_BINARY && l->w_code != NN_WCODE_SIGNMAG)
            return nn_fail(err, NN_ERR_ARG, "%s: not written as version 1: layer %d has weight "
                           "code %d, which needs version 2", path, li + 1, l->w_code);
    }

    size_t meta_len = strlen(m->meta);
    uint64_t size = QNN_HEADER_BYTES + meta_len + 4;
    for (int li = 0; li < m->n_layers; li++)
        size += layer_bytes(&m->layers[li], version);
    if (size > SIZE_MAX)
        return nn_fail(err, NN_ERR_NOMEM, "%s: model of %" PRIu64 " bytes too large", path, size);
    uint8_t *buf = malloc((size_t)size);
    if (!buf)
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory for %" PRIu64 " bytes", path, size);

    uint8_t *o = buf;
    memcpy(o, NN_QNN_MAGIC, 8);
    nn_put_u32(o + 8, version);
    nn_put_u32(o + 12, (uint32_t)m->n_layers);
    put_i32(o + 16, m->in_h);
    put_i32(o + 20, m->in_w);
    put_i32(o + 24, m->in_c);
    put_i32(o + 28, m->n_class);
    nn_put_u32(o + 32, (uint32_t)meta_len);
    o += QNN_HEADER_BYTES;
    memcpy(o, m->meta, meta_len);
    o += meta_len;
    for (int li = 0; li < m->n_layers; li++)
        o = write_layer(o, &m->layers[li], version);
    nn_put_u32(o, nn_crc32(buf, size - 4));

    enum nn_status st = nn_file_write_atomic(path, buf, size, err);
    free(buf);
    return st;
}

/* ---- reading ---- */

enum walk_result { WALK_OK, WALK_TRUNC, WALK_FIELD, WALK_TRAILING };

/* A cursor over the file; `what` receives the section being read when the
 * data ran out, or the message of an out-of-range count. */
struct walker {
    const uint8_t *buf;
    uint64_t size, pos;
    uint32_t version;    /* 1: the weight codes of version 1 only */
    char what[256];
};

static int walk_need(struct walker *w, uint64_t n, const char *section, int li)
{
    if (w->pos + n <= w->size)
        return 1;
    if (li >= 0)
        snprintf(w->what, sizeof w->what, "layer %d %s", li + 1, section);
    else
        snprintf(w->what, sizeof w->what, "%s", section);
    return 0;
}

/* Reads layer li's fields; before version 3 the wiring is the chain's. */
static void read_fields(struct nn_qnn_layer *l, const uint8_t *p, uint32_t version, int li)
{
    const int n = version >= 3 ? QNN_FIELD_COUNT : QNN_FIELD_COUNT_V2;
    for (int i = 0; i < n; i++)
        *field_ptr(l, i) = get_i32(p + 4 * i);
    if (version < 3)
        chain_wiring(l, li, &l->src, &l->skip, &l->skip_stride);
}

/* Bounds the counts that size layer li's arrays; 0 and a message if one is off. */
static int walk_bound(struct walker *w, const struct nn_qnn_layer *l, int li)
{
    struct { int field; int64_t lo, hi; const char *exp; } b[] = {
        {0, 1, 2, "1 = conv or 2 = dense"},
        {1, 1, QNN_MAX_DIM, "1..4096"},
        {2, 1, QNN_MAX_DIM, "1..4096"},
        {3, 1, QNN_MAX_DIM, "1..4096"},
        {6, 1, QNN_MAX_DIM, "1..4096"},
        {7, 1, QNN_MAX_DIM, "1..4096"},
        {12, 1, w->version == 1 ? 2 : 4,
         w->version == 1 ? "1 = binary or 2 = sign-magnitude in version 1"
                         : "1 = binary, 2 = sign-magnitude, 3 = pow2 or 4 = offset"},
        {13, 0, 7, "0..7"},
        {10, 1, w->version < 3 ? 4 : 6,
         w->version < 3 ? "1 = pixel8, 2 = bin01, 3 = sign or 4 = uint before version 3"
                        : "1 = pixel8, 2 = bin01, 3 = sign, 4 = uint, 5 = tern or 6 = pow2"},
        {16, 0, w->version < 3 ? 4 : 6,
         w->version < 3 ? "0 = none (scores), 2 = bin01, 3 = sign or 4 = uint before version 3"
                        : "0 = none (scores), 2 = bin01, 3 = sign, 4 = uint, 5 = tern or 6 = "
                          "pow2"},
        {15, 1, 2, "1 = thresholds or 2 = scores"},
        {18, 0, 255, "0..255"},
        {19, 0, 3, "0 = none, 1 = add, 2 = or, 3 = mux"},
        {21, 0, 1, "0 or 1"},
    };
    /* the wiring fields of version 3 size nothing: validation checks them */
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        int32_t v = field_get(l, b[i].field);
        if (!in_range(v, b[i].lo, b[i].hi)) {
            snprintf(w->what, sizeof w->what, "layer %d: field %s = %d out of range (expected %s)",
                     li + 1, qnn_fields[b[i].field].name, v, b[i].exp);
            return 0;
        }
    }
    if (fan_in64(l) * l->out_c > QNN_MAX_WEIGHTS) {
        snprintf(w->what, sizeof w->what, "layer %d: %" PRId64 " x %d weights (fan_in x out_c "
                 "must be at most 2^28)", li + 1, fan_in64(l), l->out_c);
        return 0;
    }
    return 1;
}

/* Walks the layout after the version field without allocating anything. */
static enum walk_result walk_layout(struct walker *w)
{
    w->pos = 12;
    if (!walk_need(w, QNN_HEADER_BYTES - 12, "header", -1))
        return WALK_TRUNC;
    uint32_t n_layers = nn_get_u32(w->buf + 12), meta_len = nn_get_u32(w->buf + 32);
    if (n_layers < 1 || n_layers > NN_QNN_MAX_LAYERS) {
        snprintf(w->what, sizeof w->what, "field n_layers = %" PRIu32 " out of range (expected "
                 "1..%d)", n_layers, NN_QNN_MAX_LAYERS);
        return WALK_FIELD;
    }
    if (meta_len >= NN_QNN_META_MAX) {
        snprintf(w->what, sizeof w->what, "metadata length %" PRIu32 " out of range (expected "
                 "0..%d)", meta_len, NN_QNN_META_MAX - 1);
        return WALK_FIELD;
    }
    w->pos = QNN_HEADER_BYTES;
    if (!walk_need(w, meta_len, "metadata", -1))
        return WALK_TRUNC;
    if (memchr(w->buf + w->pos, '\0', meta_len)) {
        snprintf(w->what, sizeof w->what, "metadata contains a NUL byte (expected text)");
        return WALK_FIELD;
    }
    w->pos += meta_len;

    for (int li = 0; li < (int)n_layers; li++) {
        struct nn_qnn_layer l = {0};
        if (!walk_need(w, field_bytes(w->version), "fields", li))
            return WALK_TRUNC;
        read_fields(&l, w->buf + w->pos, w->version, li);
        if (!walk_bound(w, &l, li))
            return WALK_FIELD;
        w->pos += field_bytes(w->version);
        uint64_t n = (uint64_t)n_planes(&l) * plane_bytes(&l);
        if (!walk_need(w, n, "weights", li))
            return WALK_TRUNC;
        w->pos += n;
        if (has_thr(&l)) {
            n = (uint64_t)l.out_c * l.n_thr * 4;
            if (!walk_need(w, n, "thresholds", li))
                return WALK_TRUNC;
            w->pos += n;
        }
        if (has_mux(&l)) {
            if (!walk_need(w, (uint64_t)l.out_c, "mux selects", li))
                return WALK_TRUNC;
            w->pos += (uint64_t)l.out_c;
        }
        if (has_rq(&l)) {
            n = (uint64_t)l.out_c * 16;
            if (!walk_need(w, n, "requantizer", li))
                return WALK_TRUNC;
            w->pos += n;
        }
    }
    if (!walk_need(w, 4, "checksum", -1))
        return WALK_TRUNC;
    if (w->pos + 4 != w->size) {
        snprintf(w->what, sizeof w->what, "%" PRIu64 " unexpected bytes between the end of "
                 "the last layer at byte %" PRIu64 " and the checksum", w->size - w->pos - 4,
                 w->pos);
        return WALK_TRAILING;
    }
    return WALK_OK;
}

/* Unpacks one layer's weights; a set sign bit on a zero magnitude and set
 * padding bits are errors (the packing is canonical). */
static int unpack_weights(struct nn_qnn_layer *l, const uint8_t *p, char *msg, size_t msg_size,
                          int li)
{
    uint64_t n = (uint64_t)fan_in64(l) * (uint64_t)l->out_c, pb = plane_bytes(l);
    int np = n_planes(l);
    for (int k = 0; k < np; k++)
        if ((n & 7) && (p[k * pb + pb - 1] >> (n & 7)) != 0) {
            snprintf(msg, msg_size, "layer %d: weight plane %d has padding bits set (expected 0)",
                     li + 1, k);
            return 0;
        }
    if (l->w_code == NN_WCODE_BINARY) {
        for (uint64_t i = 0; i < n; i++)
            l->w[i] = (int8_t)(((p[i >> 3] >> (i & 7)) & 1) ? 1 : -1);
        return 1;
    }
    if (l->w_code == NN_WCODE_OFFSET) {
        /* w = 2c - (2^B - 1); B <= 7 keeps it in int8 */
        for (uint64_t i = 0; i < n; i++) {
            int c = 0;
            for (int b = 0; b < np; b++)
                c |= ((p[b * pb + (i >> 3)] >> (i & 7)) & 1) << b;
            l->w[i] = (int8_t)(2 * c - ((1 << np) - 1));
        }
        return 1;
    }
    if (l->w_code == NN_WCODE_POW2) {
        const int q = l->w_mag_bits;
        for (uint64_t i = 0; i < n; i++) {
            int k = 0;
            for (int b = 1; b < np; b++)
                k |= ((p[b * pb + (i >> 3)] >> (i & 7)) & 1) << (b - 1);
            int neg = (p[i >> 3] >> (i & 7)) & 1;
            if (k > q || (neg && k == 0)) {
                if (k > q)
                    snprintf(msg, msg_size, "layer %d: weight [%" PRId64 "][%" PRId64 "] has "
                             "pow2 code %d beyond q = w_mag_bits = %d (expected 0..%d)", li + 1,
                             (int64_t)(i / fan_in64(l)), (int64_t)(i % fan_in64(l)), k, q, q);
                else
                    snprintf(msg, msg_size, "layer %d: weight [%" PRId64 "][%" PRId64 "] is a "
                             "negative zero (sign bit set, pow2 code 0)", li + 1,
                             (int64_t)(i / fan_in64(l)), (int64_t)(i % fan_in64(l)));
                return 0;
            }
            int mag = k ? 1 << (k - 1) : 0;
            l->w[i] = (int8_t)(neg ? -mag : mag);
        }
        return 1;
    }
    for (uint64_t i = 0; i < n; i++) {
        int mag = 0;
        for (int b = 0; b < l->w_mag_bits; b++)
            mag |= ((p[(b + 1) * pb + (i >> 3)] >> (i & 7)) & 1) << b;
        int neg = (p[i >> 3] >> (i & 7)) & 1;
        if (neg && mag == 0) {
            snprintf(msg, msg_size, "layer %d: weight [%" PRId64 "][%" PRId64 "] is a negative "
                     "zero (sign bit set, magnitude 0)", li + 1, (int64_t)(i / fan_in64(l)),
                     (int64_t)(i % fan_in64(l)));
            return 0;
        }
        l->w[i] = (int8_t)(neg ? -mag : mag);
    }
    return 1;
}

/* malloc that never answers NULL for a size of 0. */
static void *alloc_bytes(size_t n)
{
    return malloc(n ? n : 1);
}

/* Decodes a buffer whose layout walk succeeded; allocates every array. */
static enum nn_status decode(struct nn_qnn *m, const uint8_t *buf, const char *path,
                             struct nn_error *err)
{
    m->n_layers = (int32_t)nn_get_u32(buf + 12);
    m->in_h = get_i32(buf + 16);
    m->in_w = get_i32(buf + 20);
    m->in_c = get_i32(buf + 24);
    m->n_class = get_i32(buf + 28);
    uint32_t meta_len = nn_get_u32(buf + 32);
    memcpy(m->meta, buf + QNN_HEADER_BYTES, meta_len);
    m->meta[meta_len] = '\0';
    const uint8_t *p = buf + QNN_HEADER_BYTES + meta_len;

    const uint32_t version = nn_get_u32(buf + 8);
    m->layers = calloc((size_t)m->n_layers, sizeof *m->layers);
    if (!m->layers)
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory", path);
    for (int li = 0; li < m->n_layers; li++) {
        struct nn_qnn_layer *l = &m->layers[li];
        read_fields(l, p, version, li);
        p += field_bytes(version);
        size_t n = (size_t)fan_in64(l) * (size_t)l->out_c, oc = (size_t)l->out_c;
        l->w = alloc_bytes(n);
        if (has_thr(l))
            l->thr = alloc_bytes(oc * (size_t)l->n_thr * sizeof *l->thr);
        if (has_mux(l))
            l->mux_sel = alloc_bytes(oc);
        if (has_rq(l)) {
            l->rq_mul = alloc_bytes(oc * sizeof *l->rq_mul);
            l->rq_add = alloc_bytes(oc * sizeof *l->rq_add);
        }
        if (!l->w || (has_thr(l) && !l->thr) || (has_mux(l) && !l->mux_sel) ||
            (has_rq(l) && (!l->rq_mul || !l->rq_add)))
            return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory for layer %d", path, li + 1);

        char msg[256];
        if (!unpack_weights(l, p, msg, sizeof msg, li))
            return nn_fail(err, NN_ERR_FORMAT, "%s: %s", path, msg);
        p += (size_t)n_planes(l) * plane_bytes(l);
        if (has_thr(l))
            for (size_t i = 0; i < oc * (size_t)l->n_thr; i++, p += 4)
                l->thr[i] = get_i32(p);
        if (has_mux(l)) {
            memcpy(l->mux_sel, p, oc);
            p += oc;
        }
        if (has_rq(l)) {
            for (size_t c = 0; c < oc; c++, p += 8)
                l->rq_mul[c] = get_i64(p);
            for (size_t c = 0; c < oc; c++, p += 8)
                l->rq_add[c] = get_i64(p);
        }
    }
    return NN_OK;
}

/* Checks and decodes the file's bytes into *m (zeroed on entry). */
static enum nn_status parse(struct nn_qnn *m, const uint8_t *buf, uint64_t size,
                            const char *path, struct nn_error *err)
{
    if (size < 8) {
        if (size == 0)
            return nn_fail(err, NN_ERR_FORMAT, "%s: empty file, not a logiq model (expected the "
                           "magic \"%s\")", path, NN_QNN_MAGIC);
        if (memcmp(buf, NN_QNN_MAGIC, (size_t)size) == 0)
            return nn_fail(err, NN_ERR_FORMAT, "%s: truncated at byte %" PRIu64 " (header)",
                           path, size);
    }
    if (size < 8 || memcmp(buf, NN_QNN_MAGIC, 8) != 0)
        return nn_fail(err, NN_ERR_FORMAT, "%s: not a logiq model (bad magic, expected \"%s\")",
                       path, NN_QNN_MAGIC);
    if (size < 12)
        return nn_fail(err, NN_ERR_FORMAT, "%s: truncated at byte %" PRIu64 " (header)", path,
                       size);
    uint32_t version = nn_get_u32(buf + 8);
    if (version < 1 || version > NN_QNN_VERSION)
        return nn_fail(err, NN_ERR_FORMAT, "%s: unsupported version %" PRIu32 " (this logiq "
                       "reads versions 1 to %u)", path, version, NN_QNN_VERSION);

    int crc_ok = size >= 16 && nn_crc32(buf, size - 4) == nn_get_u32(buf + size - 4);
    struct walker w = {.buf = buf, .size = size, .version = version};
    enum walk_result r = walk_layout(&w);
    if (r == WALK_TRUNC)
        return nn_fail(err, NN_ERR_FORMAT, "%s: truncated at byte %" PRIu64 " (%s)", path, size,
                       w.what);
    if (!crc_ok)
        return nn_fail(err, NN_ERR_FORMAT, "%s: checksum mismatch (file corrupted)", path);
    if (r != WALK_OK)
        return nn_fail(err, NN_ERR_FORMAT, "%s: %s", path, w.what);

    enum nn_status s = decode(m, buf, path, err);
    if (s != NN_OK)
        return s;
    struct nn_error verr;
    if (nn_qnn_validate(m, &verr) != NN_OK)
        return nn_fail(err, NN_ERR_FORMAT, "%s: %s", path, verr.msg);
    return NN_OK;
}

enum nn_status nn_qnn_read(struct nn_qnn *m, const char *path, struct nn_error *err)
{
    memset(m, 0, sizeof *m);
    uint8_t *buf = NULL;
    uint64_t size = 0;
    enum nn_status s = nn_file_read_all(path, &buf, &size, err);
    if (s != NN_OK)
        return s;
    s = parse(m, buf, size, path, err);
    free(buf);
    if (s != NN_OK)
        nn_qnn_free(m);
    return s;
}

void nn_qnn_free(struct nn_qnn *m)
{
    if (m->layers) {
        for (int li = 0; li < m->n_layers; li++) {
            struct nn_qnn_layer *l = &m->layers[li];
            free(l->w);
            free(l->thr);
            free(l->mux_sel);
            free(l->rq_mul);
            free(l->rq_add);
        }
        free(m->layers);
    }
    memset(m, 0, sizeof *m);
}

/* ---- metadata: "key=value\n" lines ---- */

/* The line of key in meta, or NULL; *len receives the line's length with its '\n'. */
static const char *meta_find(const char *meta, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    for (const char *line = meta; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (n > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
            *len = n;
            return line;
        }
        line += n;
    }
    return NULL;
}

int nn_meta_get(const char *meta, const char *key, char *buf, size_t size)
{
    size_t len;
    const char *line = meta_find(meta, key, &len);
    if (!line)
        return 0;
    const char *v = line + strlen(key) + 1;
    size_t vlen = len - strlen(key) - 1;
    if (vlen > 0 && v[vlen - 1] == '\n')
        vlen--;
    if (size > 0) {
        size_t n = vlen < size - 1 ? vlen : size - 1;
        memcpy(buf, v, n);
        buf[n] = '\0';
    }
    return 1;
}

int nn_qnn_meta_get(const struct nn_qnn *m, const char *key, char *buf, int size)
{
    if (!memchr(m->meta, '\0', sizeof m->meta))
        return 0;
    return nn_meta_get(m->meta, key, buf, size > 0 ? (size_t)size : 0);
}

int nn_qnn_meta_set(struct nn_qnn *m, const char *key, const char *value)
{
    if (!*key || strpbrk(key, "=\n") || strchr(value, '\n'))
        return -1;
    if (!memchr(m->meta, '\0', sizeof m->meta))
        return -1;
    char out[NN_QNN_META_MAX];
    size_t len = 0, cur = strlen(m->meta);
    const char *line = meta_find(m->meta, key, &len);
    size_t before = line ? (size_t)(line - m->meta) : cur;
    /* a last line without its '\n' gets one before the appended line */
    int sep = !line && cur > 0 && m->meta[cur - 1] != '\n';
    size_t need = before + (size_t)sep + strlen(key) + 1 + strlen(value) + 1 +
                  (line ? cur - before - len : 0);
    if (need >= sizeof out)
        return -1;
    memcpy(out, m->meta, before);
    int n = snprintf(out + before, sizeof out - before, "%s%s=%s\n", sep ? "\n" : "", key,
                     value);
    if (line)
        memcpy(out + before + (size_t)n, line + len, cur - before - len);
    out[need] = '\0';
    memcpy(m->meta, out, need + 1);
    return 0;
}

/* tests/qnn_fixture.h: a small builder of hand-made .qnn models, shared by
 * test_qnn.c and test_infer.c (static functions: include once per test). */
#ifndef LOGIQ_QNN_FIXTURE_H
#define LOGIQ_QNN_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/qnn.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int rng_int(uint64_t *s, int lo, int hi)
{
    return lo + (int)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* What a layer is; the builder derives the rest (shapes, codes, counts). */
struct lspec {
    int op, k, stride, pad, out_c;
    int w_code, w_max;
    int out_kind, out_code, out_bits;
    int merge, mux_variant, res, res_bits, res_frac, rq_shift, pool;
    /* the wiring (0: the chain's): the input, layer `from`'s output (-1: the
     * image); the merge's skip, layer `skip`'s output, read with skip_stride */
    int from, skip, skip_stride;
};

static void model_init(struct nn_qnn *m, int h, int w, int c, int n_class)
{
    memset(m, 0, sizeof *m);
    m->in_h = h;
    m->in_w = w;
    m->in_c = c;
    m->n_class = n_class;
    m->layers = calloc(32, sizeof *m->layers);
}

/* The largest |value| of an activation code, and the thresholds of an
 * output code, written here apart from nn/qnn.c: pow2 B bits holds q =
 * 2^(B-1) - 1 magnitudes up to 2^(q-1) (4 for B = 3) and 2q thresholds;
 * tern two thresholds. */
static int64_t max_abs_x(int code, int bits)
{
    return code == NN_CODE_PIXEL8 ? 255
           : code == NN_CODE_UINT ? (1 << bits) - 1
           : code == NN_CODE_POW2 ? (int64_t)1 << ((1 << (bits - 1)) - 2)
                                  : 1;
}

static inline int fixture_n_thr(int code, int bits)
{
    return code == NN_CODE_TERN ? 2 : code == NN_CODE_POW2 ? (1 << bits) - 2 : (1 << bits) - 1;
}

/* The value of threshold count `count` of an output code (the reference
 * for nn_qnn_code_value): sign 2c - 1, tern c - 1, pow2 the table of
 * v = c - q: 0, +-2^(|v| - 1); else c. */
static inline int64_t fixture_code_value(int code, int bits, int count)
{
    if (code == NN_CODE_SIGN)
        return count ? 1 : -1;
    if (code == NN_CODE_TERN)
        return count - 1;
    if (code == NN_CODE_POW2) {
        int q = (1 << (bits - 1)) - 1, v = count - q;
        int64_t mag = v == 0 ? 0 : (int64_t)1 << ((v < 0 ? -v : v) - 1);
        return v < 0 ? -mag : mag;
    }
    return count;
}

/* Appends a layer with random valid arrays (weights in range, ascending
 * thresholds at the scale of its values, select bits, requantizers). */
static struct nn_qnn_layer *add_layer(struct nn_qnn *m, struct lspec s, uint64_t *rng)
{
    struct nn_qnn_layer *l = &m->layers[m->n_layers];
    int h = m->in_h, w = m->in_w, c = m->in_c, code = NN_CODE_PIXEL8, bits = 8;
    const int from = s.from < 0 ? 0 : s.from > 0 ? s.from : m->n_layers;
    if (from > 0) {
        const struct nn_qnn_layer *p = &m->layers[from - 1];
        nn_qnn_out_shape(p, &h, &w, &c);
        code = p->out_code;
        bits = p->out_bits;
    }
    const int prev = m->n_layers;
    m->n_layers++;
    memset(l, 0, sizeof *l);
    l->src = from;
    l->skip = s.merge == NN_MERGE_NONE ? 0 : s.skip > 0 ? s.skip : prev;
    l->skip_stride = s.merge == NN_MERGE_NONE ? 0 : s.skip_stride > 0 ? s.skip_stride : 1;
    l->op = s.op;
    l->in_h = h;
    l->in_w = w;
    l->in_c = c;
    l->out_c = s.out_c;
    if (s.op == NN_QNN_CONV) {
        l->k = s.k;
        l->stride = s.stride;
        l->pad = s.pad;
        l->out_h = (h + 2 * s.pad - s.k) / s.stride + 1;
        l->out_w = (w + 2 * s.pad - s.k) / s.stride + 1;
    } else {
        l->k = l->stride = 1;
        l->out_h = l->out_w = 1;
    }
    l->in_code = code;
    l->in_bits = bits;
    l->w_code = s.w_code;
    l->w_max = s.w_max;
    l->w_mag_bits = 0;  /* the bits of w_max (pow2: w_max = 2^(q-1), offset: 2^B - 1) */
    if (s.w_code != NN_WCODE_BINARY)
        while ((1 << l->w_mag_bits) - 1 < s.w_max)
            l->w_mag_bits++;
    l->out_kind = s.out_kind;
    l->out_code = s.out_code;
    l->out_bits = s.out_bits;
    l->n_thr = s.out_kind == NN_OUT_THRESH ? fixture_n_thr(s.out_code, s.out_bits) : 0;
    l->merge = s.merge;
    l->mux_variant = s.mux_variant;
    l->res = s.res;
    l->res_bits = s.res_bits;
    l->res_frac = s.res_frac;
    l->rq_shift = s.rq_shift;
    l->pool = s.pool;

    int fan = nn_qnn_fan_in(l), oc = l->out_c;
    l->w = malloc((size_t)fan * oc);
    for (int i = 0; i < fan * oc; i++) {
        int v = rng_int(rng, -l->w_max, l->w_max);
        if (l->w_code == NN_WCODE_BINARY)
            v = rng_next(rng) & 1 ? 1 : -1;
        if (l->w_code == NN_WCODE_POW2) {  /* 0 or +-2^(k-1), k = 1..q */
            int k = rng_int(rng, 0, l->w_mag_bits);
            v = k == 0 ? 0 : (rng_next(rng) & 1 ? -1 : 1) * (1 << (k - 1));
        }
        if (l->w_code == NN_WCODE_OFFSET)  /* the odd integers in [-w_max, w_max] */
            v = 2 * rng_int(rng, 0, l->w_max) - l->w_max;
        l->w[i] = (int8_t)v;
    }
    /* the typical size of a value: thresholds and requantizers aim there */
    int64_t spread = 1;
    while (spread * spread < fan)
        spread++;
    spread *= l->w_max * max_abs_x(code, bits);
    if (l->res || l->out_kind == NN_OUT_SCORES) {
        l->rq_mul = malloc(sizeof *l->rq_mul * oc);
        l->rq_add = malloc(sizeof *l->rq_add * oc);
        for (int i = 0; i < oc; i++) {
            l->rq_mul[i] = rng_int(rng, -9, 9);
            l->rq_add[i] = rng_int(rng, -(int)spread * 4, (int)spread * 4);
        }
    }
    if (l->res) {
        int64_t mag = spread * 9;
        int sh = 0;
        while (sh < 40 && (mag >> sh) > (1 << (l->res_bits - 1)))
            sh++;
        l->rq_shift = sh;
        spread = 1 << (l->res_bits - 1);
    }
    if (l->n_thr > 0) {
        l->thr = malloc(sizeof *l->thr * (size_t)oc * l->n_thr);
        for (int ch = 0; ch < oc; ch++) {
            int32_t *t = l->thr + (size_t)ch * l->n_thr;
            for (int j = 0; j < l->n_thr; j++) {
                t[j] = rng_int(rng, -(int)spread, (int)spread);
                if (j > 0 && rng_int(rng, 0, 7) == 0)
                    t[j] = t[j - 1]; /* equal thresholds are legal */
            }
            for (int j = 1; j < l->n_thr; j++) /* insertion sort */
                for (int q = j; q > 0 && t[q] < t[q - 1]; q--) {
                    int32_t tmp = t[q];
                    t[q] = t[q - 1];
                    t[q - 1] = tmp;
                }
        }
    }
    if (l->merge == NN_MERGE_MUX) {
        l->mux_sel = malloc((size_t)oc);
        for (int i = 0; i < oc; i++)
            l->mux_sel[i] = (uint8_t)(rng_next(rng) & 1);
    }
    return l;
}

#endif

/* tests/rtl_nets.c: the C side of tests/rtl_cosim.cpp: random networks of
 * the kinds the RTL covers (tests/qnn_fixture.h's layers, as
 * tests/test_sim.c draws them, without signed multi-level activations):
 * plain chains, chains of OR, MUX or add merges, and OR, MUX or add
 * residual blocks; and the SystemC model's cycles on the same network and
 * images (tests/sim_open.h). */
#include "rtl_nets.h"

#include "qnn_fixture.h"
#include "sim/sim.h"
#include "sim_fixture.h"
#include "sim_open.h"

static const int wmax_choices[] = {1, 1, 2, 3, 5, 7};

static struct lspec plain_spec(uint64_t *rng, int out_c)
{
    struct lspec s = {0};
    s.op = NN_QNN_CONV;
    s.k = rng_int(rng, 1, 3);
    s.stride = rng_int(rng, 1, 2);
    s.pad = rng_int(rng, 0, s.k - 1);
    s.out_c = out_c;
    switch (rng_int(rng, 0, 7)) {
    case 0:
    case 1: s.w_code = NN_WCODE_BINARY; s.w_max = 1; break;
    case 2: s.w_code = NN_WCODE_POW2; s.w_max = 1 << rng_int(rng, 0, 2); break;
    case 3: s.w_code = NN_WCODE_OFFSET; s.w_max = (1 << rng_int(rng, 1, 3)) - 1; break;
    default: s.w_code = NN_WCODE_SIGNMAG; s.w_max = wmax_choices[rng_int(rng, 0, 5)]; break;
    }
    s.out_kind = NN_OUT_THRESH;
    switch (rng_int(rng, 0, 3)) {
    case 0: s.out_code = NN_CODE_BIN01; s.out_bits = 1; break;
    case 1: s.out_code = NN_CODE_SIGN; s.out_bits = 1; break;
    default: s.out_code = NN_CODE_UINT; s.out_bits = rng_int(rng, 2, 3); break;
    }
    return s;
}

/* The shape a layer keeps for a merge: odd k, "same" padding, stride 1. */
static void same_shape(struct lspec *s, uint64_t *rng, int in_c)
{
    s->k = rng_int(rng, 0, 1) ? 3 : 1;
    s->pad = (s->k - 1) / 2;
    s->stride = 1;
    s->out_c = in_c;
}

static void scores_layer(struct nn_qnn *m, uint64_t *rng, int binary)
{
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = m->n_class, .out_kind = NN_OUT_SCORES};
    sc.w_code = binary || rng_int(rng, 0, 1) ? NN_WCODE_BINARY : NN_WCODE_SIGNMAG;
    sc.w_max = sc.w_code == NN_WCODE_BINARY ? 1 : wmax_choices[rng_int(rng, 0, 5)];
    add_layer(m, sc, rng);
}

/* A chain whose layers merge their predecessor's output (merge = NN_MERGE_OR
 * or NN_MERGE_MUX), binary activations throughout, as test_sim.c's
 * random_model draws its or / mux family. */
static void random_merge_chain(struct nn_qnn *m, uint64_t *rng, int merge)
{
    model_init(m, rng_int(rng, 3, 9), rng_int(rng, 3, 9), rng_int(rng, 1, 3), rng_int(rng, 2, 10));
    const int hidden = rng_int(rng, 1, 4);
    for (int i = 0; i < hidden; i++) {
        int h = m->in_h, w = m->in_w, c = m->in_c;
        if (m->n_layers > 0)
            nn_qnn_out_shape(&m->layers[m->n_layers - 1], &h, &w, &c);
        struct lspec s = plain_spec(rng, rng_int(rng, 1, 13));
        s.out_code = NN_CODE_BIN01;
        s.out_bits = 1;
        if (m->n_layers > 0 && rng_int(rng, 0, 2) > 0) {
            same_shape(&s, rng, c);
            s.merge = merge;
            s.mux_variant = rng_int(rng, 0, 1);
        }
        if (h + 2 * s.pad < s.k || w + 2 * s.pad < s.k) {
            s.k = 1;
            s.pad = 0;
            s.stride = 1;
        }
        const int oh = (h + 2 * s.pad - s.k) / s.stride + 1;
        const int ow = (w + 2 * s.pad - s.k) / s.stride + 1;
        if (oh >= 2 && ow >= 2 && rng_int(rng, 0, 2) == 0)
            s.pool = rng_int(rng, 2, oh < ow ? (oh < 3 ? oh : 3) : (ow < 3 ? ow : 3));
        add_layer(m, s, rng);
    }
    scores_layer(m, rng, 0);
}

/* Replaces layer l's requantizer multipliers by +-2^e (e = 0..3), the
 * constants a shift requantizer runs. */
static void pow2_multipliers(struct nn_qnn_layer *l, uint64_t *rng)
{
    for (int c = 0; c < l->out_c; c++)
        l->rq_mul[c] = (rng_int(rng, 0, 1) ? -1 : 1) * (1 << rng_int(rng, 0, 3));
}

/* Adds a layer, then (pow2_rq) gives it a shift requantizer's multipliers. */
static void add_layer_rq(struct nn_qnn *m, struct lspec s, uint64_t *rng, int pow2_rq)
{
    add_layer(m, s, rng);
    if (pow2_rq)
        pow2_multipliers(&m->layers[m->n_layers - 1], rng);
}

/* n_blocks residual blocks of merge kind merge: two 3x3 convs (the first
 * strided by 1 or 2, the channels growing or not) merged with the block's
 * input through an identity, pad or projection shortcut; the last block may
 * pool. Each layer's output code, bits and stream fields are t's. */
static void add_blocks(struct nn_qnn *m, uint64_t *rng, int n_blocks, const struct lspec *t,
                       int merge, int pow2_rq)
{
    for (int b = 0; b < n_blocks; b++) {
        int h, w, c;
        const int in = m->n_layers;
        nn_qnn_out_shape(&m->layers[in - 1], &h, &w, &c);
        const int st = h >= 3 && w >= 3 && rng_int(rng, 0, 1) ? 2 : 1;
        const int oc = c + (rng_int(rng, 0, 1) ? rng_int(rng, 1, 9) : 0);
        const int proj = rng_int(rng, 0, 1) || (oc < c);
        int skip = in;
        struct lspec p = plain_spec(rng, oc), a = plain_spec(rng, oc), z = plain_spec(rng, oc);
        struct lspec *ls[3] = {&p, &a, &z};
        for (int j = 0; j < 3; j++) {
            ls[j]->k = 3;
            ls[j]->pad = 1;
            ls[j]->stride = 1;
            ls[j]->out_code = t->out_code;
            ls[j]->out_bits = t->out_bits;
            ls[j]->res = t->res;
            ls[j]->res_bits = t->res_bits;
            ls[j]->res_frac = t->res_frac;
        }
        if (proj) {
            p.k = 1;
            p.pad = 0;
            p.stride = st;
            p.from = in;
            add_layer_rq(m, p, rng, pow2_rq);
            skip = m->n_layers;
        }
        a.stride = st;
        a.from = in;
        add_layer_rq(m, a, rng, pow2_rq);
        z.merge = merge;
        if (merge != NN_MERGE_ADD)
            z.mux_variant = rng_int(rng, 0, 1);
        z.skip = skip;
        z.skip_stride = proj ? 1 : st;
        if (b == n_blocks - 1 && rng_int(rng, 0, 1)) {
            const int oh = (h + st - 1) / st;
            z.pool = oh >= 2 ? 2 : 0;
        }
        add_layer_rq(m, z, rng, pow2_rq);
    }
}

/* The start every block network shares: the input shape, the number of
 * blocks and the stem, a 3x3 same-size convolution without pooling, in this
 * draw order. */
static struct lspec block_net_head(struct nn_qnn *m, uint64_t *rng, int *n_blocks)
{
    model_init(m, rng_int(rng, 4, 10), rng_int(rng, 4, 10), rng_int(rng, 1, 3),
               rng_int(rng, 2, 10));
    *n_blocks = rng_int(rng, 1, 3);
    struct lspec s = plain_spec(rng, rng_int(rng, 1, 12));
    s.k = 3;
    s.pad = 1;
    s.stride = 1;
    s.pool = 0;
    return s;
}

/* Residual blocks of two layers merged with the block's input, strided or
 * not, widening or not, with the pad shortcut (subsample, zero channels) or
 * a projection (a 1x1 side layer into the skip buffer), as test_sim.c's
 * random_block_model draws them for or and mux. */
static void random_block_net(struct nn_qnn *m, uint64_t *rng, int merge)
{
    int n_blocks;
    struct lspec s = block_net_head(m, rng, &n_blocks);
    s.out_code = NN_CODE_BIN01;
    s.out_bits = 1;
    add_layer(m, s, rng);
    add_blocks(m, rng, n_blocks, &s, merge, 0);
    scores_layer(m, rng, 0);
}

/* The add family, as test_sim.c's random_model and random_block_model draw
 * it: every hidden layer on the res_bits stream; a chain whose layers add
 * their predecessor's stream (pooling only on the last hidden layer), or
 * residual blocks with identity, pad and projection shortcuts (the last
 * block may pool). */
static void random_add_net(struct nn_qnn *m, uint64_t *rng, int res_bits, int blocks,
                           int pow2_rq)
{
    const int res_frac = rng_int(rng, 0, 3);
    if (!blocks) {
        model_init(m, rng_int(rng, 3, 9), rng_int(rng, 3, 9), rng_int(rng, 1, 3),
                   rng_int(rng, 2, 10));
        const int hidden = rng_int(rng, 1, 4);
        for (int i = 0; i < hidden; i++) {
            int h = m->in_h, w = m->in_w, c = m->in_c;
            const struct nn_qnn_layer *p = m->n_layers ? &m->layers[m->n_layers - 1] : NULL;
            if (p)
                nn_qnn_out_shape(p, &h, &w, &c);
            struct lspec s = plain_spec(rng, rng_int(rng, 1, 13));
            s.res = 1;
            s.res_bits = res_bits;
            s.res_frac = res_frac;
            if (p && p->res && p->pool <= 1 && rng_int(rng, 0, 2) > 0) {
                same_shape(&s, rng, c);
                s.merge = NN_MERGE_ADD;
            }
            if (h + 2 * s.pad < s.k || w + 2 * s.pad < s.k) {
                s.k = 1;
                s.pad = 0;
                s.stride = 1;
            }
            const int oh = (h + 2 * s.pad - s.k) / s.stride + 1;
            const int ow = (w + 2 * s.pad - s.k) / s.stride + 1;
            if (i == hidden - 1 && oh >= 2 && ow >= 2 && rng_int(rng, 0, 2) == 0)
                s.pool = rng_int(rng, 2, oh < ow ? (oh < 3 ? oh : 3) : (ow < 3 ? ow : 3));
            add_layer(m, s, rng);
            if (pow2_rq)
                pow2_multipliers(&m->layers[m->n_layers - 1], rng);
        }
        scores_layer(m, rng, 0);
        return;
    }
    int n_blocks;
    struct lspec s = block_net_head(m, rng, &n_blocks);
    s.res = 1;
    s.res_bits = res_bits;
    s.res_frac = res_frac;
    add_layer(m, s, rng);
    if (pow2_rq)
        pow2_multipliers(&m->layers[m->n_layers - 1], rng);
    add_blocks(m, rng, n_blocks, &s, NN_MERGE_ADD, pow2_rq);
    scores_layer(m, rng, 0);
}

void rtl_test_random_add_net(struct nn_qnn *m, uint64_t *rng, int res_bits, int blocks,
                             int pow2_rq)
{
    random_add_net(m, rng, res_bits, blocks, pow2_rq);
}

void rtl_test_random_merge_net(struct nn_qnn *m, uint64_t *rng, int merge, int blocks)
{
    if (blocks)
        random_block_net(m, rng, merge);
    else
        random_merge_chain(m, rng, merge);
}

void rtl_test_random_net(struct nn_qnn *m, uint64_t *rng, int binary)
{
    model_init(m, rng_int(rng, 3, 9), rng_int(rng, 3, 9), rng_int(rng, 1, 3), rng_int(rng, 2, 10));
    const int hidden = rng_int(rng, 1, 4);
    for (int i = 0; i < hidden; i++) {
        int h = m->in_h, w = m->in_w, c = m->in_c;
        if (m->n_layers > 0)
            nn_qnn_out_shape(&m->layers[m->n_layers - 1], &h, &w, &c);
        struct lspec s = plain_spec(rng, rng_int(rng, 1, 13));
        if (binary == 1) {
            s.w_code = NN_WCODE_BINARY;
            s.w_max = 1;
            s.out_code = rng_int(rng, 0, 1) ? NN_CODE_SIGN : NN_CODE_BIN01;
            s.out_bits = 1;
        } else if (binary == 2 && s.w_code != NN_WCODE_BINARY && s.w_code != NN_WCODE_OFFSET) {
            s.w_code = rng_int(rng, 0, 1) ? NN_WCODE_BINARY : NN_WCODE_OFFSET;
            s.w_max = s.w_code == NN_WCODE_BINARY ? 1 : (1 << rng_int(rng, 1, 3)) - 1;
        } else if (binary == 3 && rng_int(rng, 0, 1)) {
            s.w_code = NN_WCODE_POW2;
            s.w_max = 1 << rng_int(rng, 0, 2);
        }
        if (h + 2 * s.pad < s.k || w + 2 * s.pad < s.k) {
            s.k = 1;
            s.pad = 0;
            s.stride = 1;
        }
        const int oh = (h + 2 * s.pad - s.k) / s.stride + 1;
        const int ow = (w + 2 * s.pad - s.k) / s.stride + 1;
        if (oh >= 2 && ow >= 2 && rng_int(rng, 0, 2) == 0)
            s.pool = rng_int(rng, 2, oh < ow ? (oh < 3 ? oh : 3) : (ow < 3 ? ow : 3));
        add_layer(m, s, rng);
    }
    scores_layer(m, rng, binary);
}

int rtl_test_acc_bits_needed(const struct nn_qnn *m) { return acc_bits_needed(m); }

/* The SystemC model run on n images: the opened model (close it), or NULL
 * with a message. */
static struct sim *systemc_run(const struct nn_qnn *m, const struct cm_hw *hw, const uint8_t *px,
                               int n, char *msg, size_t size)
{
    struct sim *s;
    struct sim_error err;
    if (test_sim_open(&s, m, hw, NULL, &err) != SIM_OK) {
        snprintf(msg, size, "sim_open: %s", err.msg);
        return NULL;
    }
    if (n <= 0 || sim_run(s, px, n, NULL, NULL, &err) != SIM_OK) {
        snprintf(msg, size, "sim_run: %s", n <= 0 ? "no images" : err.msg);
        sim_close(s);
        return NULL;
    }
    return s;
}

int rtl_test_systemc(const struct nn_qnn *m, const struct cm_hw *hw, const uint8_t *px, int n,
                     long long *layer_cycles, char *msg, size_t size)
{
    struct sim *s = systemc_run(m, hw, px, n, msg, size);
    if (!s)
        return -1;
    int rc = 0;
    const struct sim_stats *st = sim_stats(s);
    for (int l = 0; l < st->n_layers; l++)
        layer_cycles[l] = st->layer[l].cycles;
    if (st->has_mismatch) {
        snprintf(msg, size, "the SystemC model differs from the integer model (layer %d)",
                 st->first.layer);
        rc = -1;
    }
    sim_close(s);
    return rc;
}

int rtl_test_activity(const struct nn_qnn *m, const struct cm_hw *hw, const uint8_t *px, int n,
                      const long long *rtl_toggles, const long long *rtl_bits,
                      double *sc_toggles, double *sc_bits, struct cm_activity_energy *e_sc,
                      struct cm_activity_energy *e_rtl, char *msg, size_t size)
{
    struct sim *s = systemc_run(m, hw, px, n, msg, size);
    if (!s)
        return -1;
    const struct sim_stats *st = sim_stats(s);
    const struct cm_design *d = sim_design(s);
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_activity a, ar;
    sim_activity(s, &a);
    ar = a;
    for (int u = 0; u < CM_N_UNITS; u++) {
        sc_toggles[u] = st->toggles[u];
        sc_bits[u] = st->toggle_bits[u];
        const double dff = d->unit[u].n[CM_DFF] > 0 ? d->unit[u].n[CM_DFF] : 1.0;
        ar.toggles[u] =
            rtl_bits[u] > 0 ? (double)rtl_toggles[u] / n * dff / (double)rtl_bits[u] : 0.0;
    }
    cm_energy_activity(d, &lib, &a, e_sc);
    cm_energy_activity(d, &lib, &ar, e_rtl);
    sim_close(s);
    return 0;
}

void rtl_test_random_pixels(uint8_t *px, size_t n, uint64_t *rng)
{
    const int dark = rng_int(rng, 0, 1);
    for (size_t i = 0; i < n; i++)
        px[i] = (uint8_t)(dark ? rng_int(rng, 0, 40) : rng_int(rng, 0, 255));
}

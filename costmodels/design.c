/* costmodels/design.c: a design's gates, buffers, cycles and operation-based
 * energy for one network (design.h; the hardware is docs/accelerator.md).
 *
 * Not here: the structure of each unit (units.h and its files), the energy
 * rules (energy.c), the cycle formula (latency.c). This file only walks the
 * network and the design and sums. */
#include "costmodels/design.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costmodels/energy.h"
#include "costmodels/memo.h"
#include "costmodels/units.h"

const char *cm_unit_kind_name(enum cm_unit_kind u)
{
    static const char *const names[CM_N_UNITS] = {
        [CM_U_ARRAY] = "xnor_and_array", [CM_U_POPCOUNT] = "popcount",
        [CM_U_ACCUM] = "accumulators",   [CM_U_THRESH] = "threshold",
        [CM_U_MERGE] = "merge",          [CM_U_POOL] = "pooling",
        [CM_U_SCORE] = "score",          [CM_U_PIPEREG] = "pipeline_regs",
        [CM_U_CONTROL] = "control",
    };
    return u < CM_N_UNITS ? names[u] : "?";
}

const char *cm_buffer_name(enum cm_buffer b)
{
    static const char *const names[CM_N_BUFS] = {
        [CM_BUF_ACT] = "act", [CM_BUF_WEIGHT] = "weight", [CM_BUF_SKIP] = "skip"};
    return b < CM_N_BUFS ? names[b] : "?";
}

const char *cm_merge_part_name(enum cm_merge_part p)
{
    static const char *const names[CM_N_MPARTS] = {
        [CM_MP_ADDER] = "adder", [CM_MP_REQUANT] = "requantizer", [CM_MP_SKIP] = "skip",
        [CM_MP_SELECT] = "select", [CM_MP_CYCLES] = "extra_cycles"};
    return p < CM_N_MPARTS ? names[p] : "?";
}

const char *cm_op_kind_name(enum cm_op_kind k)
{
    static const char *const names[CM_N_OPKS] = {
        [CM_OPK_LANE] = "lane_ops", [CM_OPK_POP] = "popcounts", [CM_OPK_ACC] = "accumulations",
        [CM_OPK_CMP] = "comparisons", [CM_OPK_MERGE] = "merges", [CM_OPK_POOL] = "pool_steps",
        [CM_OPK_SCORE] = "score_ops"};
    return k < CM_N_OPKS ? names[k] : "?";
}

/* The largest input value of a layer's activations: pixels 255, {0,1} and
 * sign 1, B-bit codes 2^B - 1. */
static long long max_input(const struct cm_layer *l)
{
    if (l->in_sign)
        return 1;
    if (l->in_signed)  /* tern 1, pow2:B 2^(q-1) */
        return 1LL << (cm_layer_act_q(l) - 1);
    return (1LL << l->in_bits) - 1;
}

/* Bits per weight in the weight buffer (docs/accelerator.md, "Weight
 * words"): on the shift path the sign and the exponent code (2 + the code's
 * bits above bit 0);
 * else the layer's stored planes: the sign (binary), sign and magnitude
 * planes, sign and pow2 exponent code, or the offset-binary planes. */
static int weight_bits(const struct cm_hw *hw, const struct cm_layer *l)
{
    if (cm_layer_shift(hw, l))
        return 2 + cm_hw_exp_bits(hw);
    switch (cm_layer_store_code(hw, l)) {
    case CM_WCODE_BINARY: return 1;
    case CM_WCODE_POW2: return 1 + cm_layer_pow2_code_bits(l);
    case CM_WCODE_OFFSET: return l->w_mag_bits;
    default: return 1 + l->w_mag_bits;
    }
}

/* Bits per lane of one weight word read (one pass): the sign (binary) or
 * the pass's offset-binary plane; sign and magnitude plane; the sign and
 * the whole pow2 code (decoded in the fetch unit to the pass's magnitude
 * bit); or sign and exponent code on the shift path. */
static int weight_word_bits(const struct cm_hw *hw, const struct cm_layer *l)
{
    if (cm_layer_shift(hw, l))
        return 2 + cm_hw_exp_bits(hw);
    switch (cm_layer_store_code(hw, l)) {
    case CM_WCODE_BINARY:
    case CM_WCODE_OFFSET: return 1;
    case CM_WCODE_POW2: return 1 + cm_layer_pow2_code_bits(l);
    default: return 2;
    }
}

int cm_pow2_decoder_bits(const struct cm_hw *hw, const struct cm_net *net)
{
    int b = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        if (cm_layer_store_code(hw, l) == CM_WCODE_POW2 && !cm_layer_shift(hw, l) &&
            cm_layer_pow2_code_bits(l) > b)
            b = cm_layer_pow2_code_bits(l);
    }
    return b;
}

/* Thresholds of one output code: 2^bits - 1 comparisons, 2q = 2^bits - 2
 * for a signed multi-level code (net.h). */
static int n_thr_of(const struct cm_layer *l)
{
    return l->scores ? 0 : (1 << l->out_bits) - (l->out_signed ? 2 : 1);
}

/* The widest signed multi-level input code of the network (0: none, and
 * the fetch unit has no activation decoder). */
static int act_decoder_bits(const struct cm_net *net)
{
    int b = 0;
    for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].in_signed && net->layers[i].in_bits > b)
            b = net->layers[i].in_bits;
    return b;
}

static long long pooled(long long n, int pool)
{
    return pool > 0 ? n / pool : n;
}

/* Finds the merge kind the network needs: NONE, or the one kind it uses. */
static enum cm_status net_merge(const struct cm_net *net, enum cm_merge *kind,
                                struct cm_error *err)
{
    *kind = CM_MERGE_NONE;
    int first = -1;
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        enum cm_merge m = l->res ? CM_MERGE_ADD : (enum cm_merge)l->merge;
        if (m == CM_MERGE_NONE)
            continue;
        if (*kind != CM_MERGE_NONE && m != *kind)
            return cm_fail(err, CM_ERR_INFEASIBLE,
                           "layer %d merges with %s but layer %d with %s: a design has one "
                           "merge unit",
                           i + 1, cm_merge_name(m), first + 1, cm_merge_name(*kind));
        if (first < 0)
            first = i;
        *kind = m;
    }
    return CM_OK;
}

static int fits_signed(long long v, int bits)
{
    return bits >= 63 || (v >= -(1LL << (bits - 1)) && v <= (1LL << (bits - 1)) - 1);
}

/* Checks one layer against the design; the message names the layer (1-based)
 * and the hw.ini key that is too small. */
static enum cm_status check_layer(const struct cm_hw *hw, const struct cm_layer *l, int i,
                                  int has_consts, struct cm_error *err)
{
    const int A = hw->acc_bits;
    if (!l->scores && l->out_bits > hw->max_act_bits)
        return cm_fail(err, CM_ERR_INFEASIBLE,
                       "layer %d: %d-bit activations; [array] max_act_bits = %d", i + 1,
                       l->out_bits, hw->max_act_bits);
    /* an XNOR PE runs binary weight planes: binary layers, and offset-binary
     * ones (dorefa:B) in B binary passes */
    const int wc = cm_layer_w_code(l);
    if (hw->pe == CM_PE_XNOR && wc != CM_WCODE_BINARY && wc != CM_WCODE_OFFSET)
        return cm_fail(err, CM_ERR_INFEASIBLE,
                       "layer %d: %s weights in [-%d, %d] (%d magnitude planes); [array] pe = "
                       "xnor runs binary weight planes only (binary, dorefa:B; pe = bitplane "
                       "runs every layer)",
                       i + 1, wc == CM_WCODE_POW2 ? "power-of-two" : "sign-magnitude", l->w_max,
                       l->w_max, l->w_mag_bits);
    if (l->w_mag_bits > hw->max_w_bits)
        return cm_fail(err, CM_ERR_INFEASIBLE,
                       "layer %d: %d weight magnitude planes; [array] max_w_bits = %d", i + 1,
                       l->w_mag_bits, hw->max_w_bits);
    /* Thresholds are saturated to the accumulator's range when loaded, which
     * keeps every comparison as long as |acc| <= 2^(A-1) - 2 (accelerator.md). */
    long long max_acc = (long long)cm_layer_fan_in(l) * l->w_max * max_input(l);
    if (A < 63 && max_acc > (1LL << (A - 1)) - 2)
        return cm_fail(err, CM_ERR_INFEASIBLE,
                       "layer %d: |accumulator| reaches %lld, which needs %d bits; [array] "
                       "acc_bits = %d",
                       i + 1, max_acc, cm_bits_for(max_acc + 1) + 1, A);
    if (l->res && l->res_bits > hw->res_bits)
        return cm_fail(err, CM_ERR_INFEASIBLE,
                       "layer %d: %d-bit residual stream; [merge] res_bits = %d", i + 1,
                       l->res_bits, hw->res_bits);
    if (l->res && l->res_bits >= A)
        return cm_fail(err, CM_ERR_INFEASIBLE,
                       "layer %d: the %d-bit residual stream must be narrower than [array] "
                       "acc_bits = %d",
                       i + 1, l->res_bits, A);
    if (has_consts && l->res && hw->requant == CM_RQ_SHIFT) {
        if (l->rq_not_pow2_ch >= 0)
            return cm_fail(err, CM_ERR_INFEASIBLE,
                           "layer %d: requantizer multiplier %lld (channel %d) is not +-2^e; "
                           "[merge] requant = shift needs power-of-two multipliers (train with "
                           "--res-scale pow2, or requant = mul)",
                           i + 1, l->rq_not_pow2_mul, l->rq_not_pow2_ch + 1);
        if (l->rq_rshift > 63)
            return cm_fail(err, CM_ERR_INFEASIBLE,
                           "layer %d: the shift requantizer's right shift %d exceeds 63; "
                           "[merge] requant = shift",
                           i + 1, l->rq_rshift);
        const int S = A + hw->rq_lshift_max;
        if (!fits_signed(l->rq_max_abs_off, S) || !fits_signed(-l->rq_max_abs_off, S))
            return cm_fail(err, CM_ERR_INFEASIBLE,
                           "layer %d: shift requantizer offset %lld does not fit acc_bits + "
                           "left shift = %d bits; [merge] requant = shift (or requant = mul)",
                           i + 1, l->rq_max_abs_off, S);
    }
    if (has_consts && (l->scores || (l->res && hw->requant == CM_RQ_MUL))) {
        const int M = l->scores ? hw->score_mul_bits : hw->rq_mul_bits;
        if (!fits_signed(l->max_abs_mul, M) || !fits_signed(-l->max_abs_mul, M))
            return cm_fail(err, CM_ERR_INFEASIBLE,
                           "layer %d: %s multiplier %lld does not fit [merge] rq_mul_bits = %d",
                           i + 1, l->scores ? "score" : "requantizer", l->max_abs_mul, M);
        if (!fits_signed(l->max_abs_add, A + M) || !fits_signed(-l->max_abs_add, A + M))
            return cm_fail(err, CM_ERR_INFEASIBLE,
                           "layer %d: %s offset %lld does not fit acc_bits + rq_mul_bits = %d "
                           "bits",
                           i + 1, l->scores ? "score" : "requantizer", l->max_abs_add, A + M);
    }
    return CM_OK;
}

/* The fewest multiplier bits (2..40) that hold the constants of the layers
 * with (scores) or without (requantizers) scores: every |multiplier| in
 * mul_bits and every |offset| in acc_bits + mul_bits; 40 if none do (then
 * check_layer reports which constant does not fit); 2 if there are none. */
static int mul_bits_needed(const struct cm_net *net, int scores, int acc_bits)
{
    int need = 2;
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        if (!(scores ? l->scores : l->res))
            continue;
        int b = need;
        while (b < 40 && !(fits_signed(l->max_abs_mul, b) && fits_signed(-l->max_abs_mul, b) &&
                           fits_signed(l->max_abs_add, acc_bits + b) &&
                           fits_signed(-l->max_abs_add, acc_bits + b)))
            b++;
        need = b;
    }
    return need;
}

/* Resolves `auto` buffer sizes to the need and checks explicit ones. */
static enum cm_status size_buffer(double *kbits, double need_bits, const char *key,
                                  const char *what, struct cm_error *err)
{
    if (*kbits == 0.0) {
        *kbits = need_bits / 1024.0;
        return CM_OK;
    }
    if (need_bits > *kbits * 1024.0)
        return cm_fail(err, CM_ERR_INFEASIBLE, "%s: %.0f bits; [buffers] %s = %g (%.0f bits)",
                       what, need_bits, key, *kbits, *kbits * 1024.0);
    return CM_OK;
}

/* The controller's counters (layer, tile, position, chunk, weight pass,
 * activation plane) and their widths; a stage control register's bits
 * besides the tile and position: the shift (4), first and last. */
enum { N_COUNTERS = 6, CTL_TAG_BITS = 6 };
static void counter_widths(const struct cm_hw *hw, const struct cm_net *net, int *counters)
{
    long long max_t = 1, max_p = 1, max_q = 1;
    for (int i = 0; i < net->n_layers; i++) {
        struct cm_cycles cy;
        cm_layer_cycles(hw, &net->layers[i], &cy);
        max_t = cy.tiles > max_t ? cy.tiles : max_t;
        max_p = cy.positions > max_p ? cy.positions : max_p;
        max_q = cy.chunks > max_q ? cy.chunks : max_q;
    }
    const int w[N_COUNTERS] = {cm_bits_for(net->n_layers), cm_bits_for(max_t),
                               cm_bits_for(max_p),         cm_bits_for(max_q),
                               cm_bits_for(hw->max_w_bits), cm_bits_for(8)};
    for (int k = 0; k < N_COUNTERS; k++)
        counters[k] = w[k];
}

/* The score unit's class register width. */
static int class_bits(const struct cm_net *net)
{
    return cm_bits_for(net->n_class > 1 ? net->n_class - 1 : 1);
}

/* The memories' sizes network net needs on design hw (units.h, struct
 * cm_ctl_sizes), each at least 1: as rtl/cosim.cpp loads them. */
static void ctl_sizes(const struct cm_hw *hw, const struct cm_net *net, struct cm_ctl_sizes *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        struct cm_cycles cy;
        cm_layer_cycles(hw, l, &cy);
        const int codes = cm_layer_store_code(hw, l) == CM_WCODE_POW2 && !cm_layer_shift(hw, l);
        s->weight_words += cy.tiles * cy.chunks * (codes ? 1 : cy.w_passes);
        s->positions += cy.positions;
        s->chunks += cy.chunks;
        s->valid_words += cy.positions * cy.chunks;
        s->thr_words += l->scores ? 0 : cy.tiles;
        s->rq_words += l->res ? cy.tiles : 0;
    }
    long long *n[] = {&s->weight_words, &s->positions, &s->chunks, &s->valid_words,
                      &s->thr_words, &s->rq_words};
    for (size_t k = 0; k < sizeof n / sizeof n[0]; k++)
        *n[k] = *n[k] > 1 ? *n[k] : 1;
    s->bank_bits = (long long)(hw->act_kbits * 1024.0);
    s->skip_values = (long long)(hw->skip_kbits * 1024.0) /
                     (hw->merge == CM_MERGE_ADD ? hw->res_bits : 1);
    s->skip_values = s->skip_values > 1 ? s->skip_values : 1;
    s->classes = net->n_class > 2 ? net->n_class : 2;
}

/* bits flip-flops with a load enable: a DFF and its hold MUX2 each (a
 * register that holds its value between the stage's valid loads). */
static struct cm_count register_en(int bits)
{
    struct cm_count c = cm_register(bits);
    c.n[CM_MUX2] += bits;
    return c;
}

/* Gate counts of every unit kind (design.h). Only the merge units depend on
 * the merge kind. */
static void count_units(struct cm_design *d, const struct cm_net *net, struct cm_memo *memo)
{
    const struct cm_hw *hw = &d->hw;
    const int R = hw->pe_rows, A = hw->acc_bits, M = hw->rq_mul_bits;
    const int MS = hw->score_mul_bits;
    const int pop_bits = cm_bits_for(hw->lanes);
    const int max_shift = 7 + hw->max_w_bits - 1;
    struct cm_count c;
    memset(d->unit, 0, sizeof d->unit);

    /* a shift PE: the exponent decoders and E pairs of popcount trees, the
     * shift-add of their counts, and an accumulator whose subtractor takes
     * the pop_bits + E - 1 bit sums (E = 1: the bit-plane PE) */
    const int E = cm_hw_exponents(hw);
    const int xnor = hw->pe == CM_PE_XNOR;
    c = hw->pe == CM_PE_SHIFT ? cm_memo_count(memo, CM_FN_LANE_LOGIC_SHIFT, (int[]){hw->lanes, E})
        : xnor                ? cm_memo_count(memo, CM_FN_LANE_LOGIC_XNOR, (int[]){hw->lanes})
                              : cm_memo_count(memo, CM_FN_LANE_LOGIC, (int[]){hw->lanes});
    cm_count_add(&d->unit[CM_U_ARRAY], &c, R);
    c = cm_memo_count(memo, xnor ? CM_FN_FETCH_GATING_XNOR : CM_FN_FETCH_GATING,
                      (int[]){hw->lanes});
    cm_count_add(&d->unit[CM_U_ARRAY], &c, 1);
    /* pow2 layers on the bit planes: the fetch unit decodes each PE's
     * exponent codes to the pass's magnitude bits */
    const int kb = cm_pow2_decoder_bits(hw, net);
    if (kb > 0) {
        c = cm_pow2_decoder(hw->lanes, kb);
        cm_count_add(&d->unit[CM_U_ARRAY], &c, R);
    }
    /* signed multi-level activations: the fetch unit decodes each lane's
     * code to the pass's plane bit and sign, once for the array */
    const int ab = act_decoder_bits(net);
    if (ab > 0) {
        c = cm_act_decoder(hw->lanes, ab);
        cm_count_add(&d->unit[CM_U_ARRAY], &c, 1);
    }

    /* two trees a PE and exponent; an XNOR PE's one, and the array's shared
     * count of the gate bits */
    c = cm_memo_count(memo, CM_FN_POPCOUNT, (int[]){hw->lanes, (int)hw->adder});
    cm_count_add(&d->unit[CM_U_POPCOUNT], &c, xnor ? R + 1.0 : 2.0 * E * R);

    if (hw->pe == CM_PE_SHIFT) {
        c = cm_memo_count(memo, CM_FN_SHIFT_ADD, (int[]){pop_bits, E, (int)hw->adder});
        cm_count_add(&d->unit[CM_U_ACCUM], &c, R);
    }
    c = xnor ? cm_memo_count(memo, CM_FN_ACCUMULATOR_XNOR,
                             (int[]){pop_bits, max_shift, A, (int)hw->adder})
             : cm_memo_count(memo, CM_FN_ACCUMULATOR,
                             (int[]){pop_bits + E - 1, max_shift, A, (int)hw->adder});
    cm_count_add(&d->unit[CM_U_ACCUM], &c, R);

    c = cm_memo_count(memo, CM_FN_THRESHOLD,
                      (int[]){(1 << hw->max_act_bits) - 1, A, (int)hw->adder});
    cm_count_add(&d->unit[CM_U_THRESH], &c, R);

    /* a stage control register's width (below) */
    int counters[N_COUNTERS];
    counter_widths(hw, net, counters);
    const int ctl_bits = CTL_TAG_BITS + counters[1] + counters[2];

    /* the rest of the controller's datapath (docs/rtl.md, "The controller's
     * datapath"): what every design has is control's; what a merge adds (its
     * descriptor fields, the skip buffer's ports and their address
     * arithmetic, the requantizer constants' address) is the merge path's
     * skip part, so that designs differing in their merge differ by their
     * merge paths alone */
    ctl_sizes(hw, net, &d->ctl_sizes);
    struct cm_ctl_widths cw;
    cm_ctl_widths_of(R, &d->ctl_sizes, &cw);
    const struct cm_ctl_path_cfg pc = {
        .pe_rows = R,
        .act_bits = hw->max_act_bits,
        .w = cw,
        .merges = hw->merge == CM_MERGE_OR || hw->merge == CM_MERGE_MUX,
        .add_stream = hw->merge == CM_MERGE_ADD,
        .mux_both = hw->merge == CM_MERGE_MUX && hw->mux == CM_MUX_BOTH,
        .rq_shift_bits = hw->merge == CM_MERGE_ADD && hw->requant != CM_RQ_SHIFT ? 6 : 0,
        .pow2_codes = kb > 0,
        .shift_bits = cm_bits_for(max_shift),
        .arch = hw->adder,
    };
    struct cm_ctl_path_cfg pc0 = pc;
    pc0.merges = pc0.add_stream = pc0.mux_both = pc0.rq_shift_bits = 0;
    d->ctl_path = cm_memo_ctl_path(memo, &pc0);
    const struct cm_count ctl_merge = cm_memo_ctl_path(memo, &pc);

    /* the merge units, by part (design.h); their sum is the unit kind */
    struct cm_count *mp = d->merge_part;
    memset(d->merge_part, 0, sizeof d->merge_part);
    for (int k = 0; k < CM_N_CELLS; k++)
        d->ctl_path_merge.n[k] = ctl_merge.n[k] - d->ctl_path.n[k];
    cm_count_add(&mp[CM_MP_SKIP], &d->ctl_path_merge, 1);
    switch (hw->merge) {
    case CM_MERGE_OR:
        /* the skip bit is the skip buffer's output for the THR stage: no
         * register (docs/accelerator.md, "Per-channel parameters") */
        c = cm_memo_count(memo, CM_FN_MERGE_OR, (int[]){1});
        cm_count_add(&mp[CM_MP_ADDER], &c, R);
        break;
    case CM_MERGE_MUX: {
        c = cm_memo_count(memo, CM_FN_MERGE_MUX, (int[]){1, (int)hw->mux});
        cm_count_add(&mp[CM_MP_ADDER], &c, R);
        if (hw->mux == CM_MUX_BOTH) {  /* the layers' variant bit, one for the array */
            c = cm_register(1);
            cm_count_add(&mp[CM_MP_SELECT], &c, 1);
        }
        break;
    }
    case CM_MERGE_ADD:
        /* the requantizer and its RQ stage output Y (add_stages = 2); the
         * stream adder, the ADD stage output u and the extra stages' valid
         * bits and control registers; the skip value register */
        c = hw->requant == CM_RQ_SHIFT
                ? cm_memo_count(memo, CM_FN_MERGE_ADD_REQUANT_SHIFT,
                                (int[]){A, hw->rq_lshift_max, hw->rq_rshift_bits, hw->res_bits,
                                        (int)hw->adder})
                : cm_memo_count(memo, CM_FN_MERGE_ADD_REQUANT,
                                (int[]){A, M, hw->res_bits, (int)hw->adder});
        cm_count_add(&mp[CM_MP_REQUANT], &c, R);
        /* the RQ, ADD and skip value registers hold between their stage's
         * valid loads (an enable each, as the RTL's and the SystemC model's) */
        if (hw->add_stages == 2) {
            c = register_en(hw->res_bits);
            cm_count_add(&mp[CM_MP_REQUANT], &c, R);
        }
        c = cm_memo_count(memo, CM_FN_MERGE_ADD_STREAM, (int[]){hw->res_bits, (int)hw->adder});
        cm_count_add(&mp[CM_MP_ADDER], &c, R);
        c = register_en(hw->res_bits);
        cm_count_add(&mp[CM_MP_ADDER], &c, R);
        c = cm_register(hw->add_stages * (1 + ctl_bits));  /* with their control registers */
        cm_count_add(&mp[CM_MP_ADDER], &c, 1);
        /* THR compares u (sign-extended) on a stream layer, the accumulator
         * elsewhere: an acc_bits select a PE */
        c = (struct cm_count){0};
        c.n[CM_MUX2] = A;
        cm_count_add(&mp[CM_MP_ADDER], &c, R);
        c = register_en(hw->res_bits);
        cm_count_add(&mp[CM_MP_SKIP], &c, R);
        break;
    case CM_MERGE_NONE:
    case CM_MERGE_AUTO:
        break;
    }
    for (int p = 0; p < CM_N_MPARTS; p++)
        cm_count_add(&d->unit[CM_U_MERGE], &mp[p], 1);

    c = cm_memo_count(memo, CM_FN_POOL, (int[]){hw->max_act_bits, (int)hw->adder});
    cm_count_add(&d->unit[CM_U_POOL], &c, R);

    c = cm_memo_count(memo, CM_FN_SCORE, (int[]){A, MS, class_bits(net), (int)hw->adder});
    cm_count_add(&d->unit[CM_U_SCORE], &c, 1);
    /* the score register file, its write enables and read MUX2 tree */
    d->score_regfile =
        cm_memo_count(memo, CM_FN_SCORE_REGFILE, (int[]){net->n_class, A, R, cw.tile, (int)hw->adder});
    cm_count_add(&d->unit[CM_U_SCORE], &d->score_regfile, 1);
    /* the MUL and ADD stage registers (the unit's stage cuts): a score of
     * MS + A bits and its class each, loaded when their stage is valid */
    c = register_en(2 * (MS + A + class_bits(net)));
    cm_count_add(&d->unit[CM_U_SCORE], &c, 1);

    /* FETCH: the activation word (each PE's weight word is the weight
     * buffer's synchronous read, held in the SRAM macro's output register:
     * no flip-flops of its own, docs/accelerator.md, "Structure"; with pow2
     * decoders their output, a magnitude bit a lane, is registered); POP:
     * two popcounts per PE and exponent (an XNOR PE's one, and the shared
     * count); THR: the code. And each stage's control register, the issue's
     * or output's tags (as sim/pipeline.h's issue_ctl: shift, first, last,
     * tile, position) in FETCH, POP, ACC's output and THR (the add stream's
     * RQ and ADD stages' are the merge's, above). */
    const int ctl_stages = 4;
    c = xnor ? cm_register(hw->lanes + (R + 1) * pop_bits + R * hw->max_act_bits +
                           ctl_stages * ctl_bits)
             : cm_register(hw->lanes + (kb > 0 ? R * hw->lanes : 0) + 2 * E * R * pop_bits +
                           R * hw->max_act_bits + ctl_stages * ctl_bits);
    cm_count_add(&d->unit[CM_U_PIPEREG], &c, 1);
    int ctl[2 + N_COUNTERS] = {N_COUNTERS, CM_DRAIN_PLAIN + 1};
    memcpy(ctl + 2, counters, sizeof counters);
    c = cm_memo_count(memo, CM_FN_CONTROLLER, ctl);
    cm_count_add(&d->unit[CM_U_CONTROL], &c, 1);

    /* the address generator's gather: the issue's base address (the bank's
     * plus the plane's plus the position's: two adders) and each lane's
     * bank address, base + the chunk's offset of the lane, as wide as a
     * bit address of the two banks (docs/rtl.md, "Structure") */
    const int bkw = cm_bits_for((long long)ceil(d->buf_bits[CM_BUF_ACT]) - 1);
    memset(&d->addr_gen, 0, sizeof d->addr_gen);
    c = cm_memo_count(memo, CM_FN_ADDR_ADD, (int[]){bkw, (int)hw->adder});
    cm_count_add(&d->addr_gen, &c, hw->lanes + 2.0);
    cm_count_add(&d->unit[CM_U_CONTROL], &d->addr_gen, 1);

    cm_count_add(&d->unit[CM_U_CONTROL], &d->ctl_path, 1);
}

/* Per-layer traffic, operations and their energy (accelerator.md, "Buffer
 * traffic"; energy.h for the rules). */
static void layer_traffic(struct cm_design *d, const struct cm_lib *lib,
                          const struct cm_net *net, int i, int writes_skip)
{
    const struct cm_hw *hw = &d->hw;
    const struct cm_layer *l = &net->layers[i];
    struct cm_layer_cost *lc = &d->layer[i];
    const struct cm_cycles *cy = &lc->cyc;
    const int R = hw->pe_rows, A = hw->acc_bits, M = hw->rq_mul_bits;
    const int MS = hw->score_mul_bits;
    const double C = l->out_c, P = (double)cy->positions;
    double *part = lc->merge_part_pj;
    const double issues_per_channel = P * cy->chunks * cy->w_passes * cy->a_planes;
    const double win = l->pool > 0 ? (double)l->pool * l->pool : 1.0;
    const int skip_bits = hw->merge == CM_MERGE_ADD ? hw->res_bits : 1;
    const double act_bank = d->buf_bits[CM_BUF_ACT] / 2.0;
    const double *word = d->buf_word_bits;

    /* on the shift path each lane also decodes its exponent and routes its
     * bit (E AND2s, the decoder counted as E more), E tree pairs count, and
     * 2 (E - 1) adds of the shift-add precede the accumulation */
    const int shift = cm_layer_shift(hw, l), E = shift ? cm_hw_exponents(hw) : 1;
    const int pop_bits = cm_bits_for(hw->lanes);
    lc->ops[CM_OPK_LANE] = C * issues_per_channel * hw->lanes;
    lc->ops[CM_OPK_ACC] = C * issues_per_channel;
    if (hw->pe == CM_PE_XNOR) {
        /* a lane's XOR2 and NOR2; one tree a PE, and per issue the shared
         * count of the gate bits; the subtractor 2 pos - cnt */
        lc->ops_pj[CM_OPK_LANE] = lc->ops[CM_OPK_LANE] * (cm_energy_gate_pj(lib, CM_XOR2) +
                                                          cm_energy_gate_pj(lib, CM_NOR2));
        lc->ops[CM_OPK_POP] = C * issues_per_channel + (double)cy->issue;
        lc->ops_pj[CM_OPK_ACC] =
            lc->ops[CM_OPK_ACC] * (cm_energy_add_pj(pop_bits + 1) + cm_energy_add_pj(A));
    } else {
        lc->ops_pj[CM_OPK_LANE] = lc->ops[CM_OPK_LANE] *
            ((3.0 + (shift ? 2.0 * E : 0.0)) * cm_energy_gate_pj(lib, CM_AND2) +
             cm_energy_gate_pj(lib, CM_XOR2));
        /* a pow2 layer on the bit planes: each weight word read (one a pass)
         * decodes every lane's code in the fetch unit: code_bits XOR2s and
         * code_bits - 1 more gates a lane */
        if (!shift && cm_layer_store_code(hw, l) == CM_WCODE_POW2) {
            const int kb = cm_layer_pow2_code_bits(l);
            lc->ops_pj[CM_OPK_LANE] += C * P * cy->chunks * cy->w_passes * hw->lanes *
                                       (kb * cm_energy_gate_pj(lib, CM_XOR2) +
                                        (kb - 1) * cm_energy_gate_pj(lib, CM_AND2));
        }
        lc->ops[CM_OPK_POP] = 2.0 * E * C * issues_per_channel;
        lc->ops_pj[CM_OPK_ACC] =
            lc->ops[CM_OPK_ACC] * (cm_energy_add_pj(pop_bits + E) + cm_energy_add_pj(A) +
                                   2.0 * (E - 1) * cm_energy_add_pj(pop_bits + E - 1));
    }
    lc->ops_pj[CM_OPK_POP] = lc->ops[CM_OPK_POP] * cm_energy_popcount_pj(hw->lanes);
    /* a signed multi-level input: each issue decodes every lane's code in
     * the fetch unit (once for the array): two code_bits equality tests
     * (code_bits XOR2s and code_bits - 1 more gates each), their OR2, the
     * plane bit's MUX2 and the sign's AND2 and OR2 */
    if (l->in_signed) {
        const int ab = l->in_bits;
        lc->ops_pj[CM_OPK_LANE] += (double)cy->issue * hw->lanes *
                                   (2.0 * ab * cm_energy_gate_pj(lib, CM_XOR2) +
                                    (2.0 * (ab - 1) + 3.0) * cm_energy_gate_pj(lib, CM_AND2) +
                                    cm_energy_gate_pj(lib, CM_MUX2));
    }

    if (!l->scores) {
        lc->ops[CM_OPK_CMP] = C * P * n_thr_of(l);
        lc->ops_pj[CM_OPK_CMP] = lc->ops[CM_OPK_CMP] * cm_energy_add_pj(A);
        /* per merge: the requantizer's and the adder's (or the OR2 / MUX2's) */
        double rq = 0.0, add = 0.0;
        if (l->res) {
            const int S = A + hw->rq_lshift_max;
            rq = hw->requant == CM_RQ_SHIFT
                     ? cm_energy_add_pj(S + 1) + S * cm_energy_gate_pj(lib, CM_XOR2)
                     : cm_energy_mul_pj(A, M) + cm_energy_add_pj(A + M);
            add = l->merge == CM_MERGE_ADD ? cm_energy_add_pj(hw->res_bits) : 0.0;
        } else if (l->merge == CM_MERGE_OR) {
            add = cm_energy_gate_pj(lib, CM_OR2) * l->out_bits;
        } else if (l->merge == CM_MERGE_MUX) {  /* the sel unit has no OR2, both a MUX2 more */
            add = ((hw->mux == CM_MUX_SEL ? 0.0 : cm_energy_gate_pj(lib, CM_OR2)) +
                   (hw->mux == CM_MUX_BOTH ? 2.0 : 1.0) * cm_energy_gate_pj(lib, CM_MUX2)) *
                  l->out_bits;
        }
        if (rq + add > 0.0) {
            lc->ops[CM_OPK_MERGE] = C * P;
            lc->ops_pj[CM_OPK_MERGE] = C * P * (rq + add);
            part[CM_MP_REQUANT] += C * P * rq;
            part[CM_MP_ADDER] += C * P * add;
        }
        if (l->pool > 0) {
            lc->ops[CM_OPK_POOL] = C * P;
            double step = l->out_bits == 1 ? cm_energy_gate_pj(lib, CM_OR2)
                                           : cm_energy_add_pj(l->out_bits) +
                                                 l->out_bits * cm_energy_gate_pj(lib, CM_MUX2);
            lc->ops_pj[CM_OPK_POOL] = C * P * step;
        }
    } else {
        lc->ops[CM_OPK_SCORE] = C;
        lc->ops_pj[CM_OPK_SCORE] =
            C * (cm_energy_mul_pj(A, MS) + cm_energy_add_pj(A + MS) + cm_energy_add_pj(A + MS));
    }

    /* Traffic. */
    const double T = (double)cy->tiles;
    const double wb = weight_word_bits(hw, l);
    /* an issue reads one plane of the lanes, or a signed multi-level
     * input's whole code (in_bits planes), which the fetch unit decodes */
    lc->reads[CM_BUF_ACT] = (double)cy->issue;
    lc->sram_pj[CM_BUF_ACT] =
        lc->reads[CM_BUF_ACT] * cm_sram_access_pj(act_bank, word[CM_BUF_ACT],
                                                  (double)hw->lanes *
                                                      (l->in_signed ? l->in_bits : 1));
    lc->reads[CM_BUF_WEIGHT] = T * P * cy->chunks * cy->w_passes + T;
    const double wsize = d->buf_bits[CM_BUF_WEIGHT];
    lc->sram_pj[CM_BUF_WEIGHT] =
        T * P * cy->chunks * cy->w_passes *
            cm_sram_access_pj(wsize, word[CM_BUF_WEIGHT], (double)R * hw->lanes * wb) +
        T * cm_sram_access_pj(wsize, word[CM_BUF_WEIGHT],
                              l->scores ? (double)R * (2 * MS + A) : (double)R * n_thr_of(l) * A);
    if (!l->scores && !l->side) {
        lc->writes[CM_BUF_ACT] = T * P / win;
        lc->sram_pj[CM_BUF_ACT] += lc->writes[CM_BUF_ACT] *
                                   cm_sram_access_pj(act_bank, word[CM_BUF_ACT],
                                                     (double)R * l->out_bits);
    }
    const double skip_size = d->buf_bits[CM_BUF_SKIP];
    if (l->merge != CM_MERGE_NONE || l->res) {
        /* merge parameters: one read per tile */
        double pbits = l->res ? (double)R * cm_hw_rq_param_bits(hw)
                              : l->merge == CM_MERGE_MUX ? R : 0.0;
        if (pbits > 0.0) {
            const double e = T * cm_sram_access_pj(skip_size, word[CM_BUF_SKIP], pbits);
            lc->reads[CM_BUF_SKIP] += T;
            lc->sram_pj[CM_BUF_SKIP] += e;
            part[l->res ? CM_MP_REQUANT : CM_MP_SELECT] += e;
        }
    }
    if (l->merge != CM_MERGE_NONE) {
        /* the tiles that hold skip channels (past them, the pad shortcut's
         * zeros need no read) */
        const struct cm_layer *k = &net->layers[cm_net_skip_of(net, i)];
        const double Ts = (double)((k->out_c + R - 1) / R);
        const double e =
            Ts * P * cm_sram_access_pj(skip_size, word[CM_BUF_SKIP], (double)R * skip_bits);
        lc->reads[CM_BUF_SKIP] += Ts * P;
        lc->sram_pj[CM_BUF_SKIP] += e;
        part[CM_MP_SKIP] += e;
    }
    if (writes_skip) {
        /* add: the unpooled stream u; or/mux: the pooled code */
        double n = l->res ? T * P : T * P / win;
        const double e = n * cm_sram_access_pj(skip_size, word[CM_BUF_SKIP], (double)R * skip_bits);
        lc->writes[CM_BUF_SKIP] = n;
        lc->sram_pj[CM_BUF_SKIP] += e;
        part[CM_MP_SKIP] += e;
    }

    lc->act_in_bits = (double)l->in_h * l->in_w * l->in_c * l->in_bits;
    lc->act_out_bits = l->scores || l->side ? 0.0
                                 : (double)pooled(l->out_h, l->pool) * pooled(l->out_w, l->pool) *
                                       l->out_c * l->out_bits;
    lc->skip_bits = writes_skip ? (double)pooled(l->out_h, l->pool) * pooled(l->out_w, l->pool) *
                                      l->out_c * skip_bits
                                : 0.0;
}

/* The merge path's part of a layer's dynamic energy. */
static double layer_merge_pj(const struct cm_layer_cost *lc)
{
    return lc->ops_pj[CM_OPK_MERGE] + lc->sram_pj[CM_BUF_SKIP];
}

enum cm_status cm_design_eval(struct cm_design *d, const struct cm_hw *hw_in,
                              const struct cm_lib *lib, const struct cm_net *net,
                              struct cm_error *err)
{
    return cm_design_eval_memo(d, hw_in, lib, net, NULL, err);
}

enum cm_status cm_design_eval_memo(struct cm_design *d, const struct cm_hw *hw_in,
                                   const struct cm_lib *lib, const struct cm_net *net,
                                   struct cm_memo *memo, struct cm_error *err)
{
    memset(d, 0, sizeof *d);
    if (net->n_layers < 1 || net->n_layers > CM_MAX_LAYERS)
        return cm_fail(err, CM_ERR_ARG, "network: %d layers (expected 1..%d)", net->n_layers,
                       CM_MAX_LAYERS);
    d->hw = *hw_in;
    struct cm_hw *hw = &d->hw;
    d->n_layers = net->n_layers;

    enum cm_merge need;
    enum cm_status st = net_merge(net, &need, err);
    if (st != CM_OK)
        return st;
    /* auto widths: sized for the network's widest layer (narrower layers
     * then run with fewer planes, counted as they run). */
    if (hw->max_act_bits == 0 || hw->max_w_bits == 0) {
        int act = 1, w = 1;
        for (int i = 0; i < net->n_layers; i++) {
            const struct cm_layer *l = &net->layers[i];
            if (!l->scores && l->out_bits > act)
                act = l->out_bits;
            if (l->w_mag_bits > w)
                w = l->w_mag_bits;
        }
        if (hw->max_act_bits == 0)
            hw->max_act_bits = act;
        if (hw->max_w_bits == 0)
            hw->max_w_bits = w;
    }
    /* the MUX variant: the network's; a network that mixes them needs the
     * unit of both (a unit of one variant cannot compute the other's) */
    int has[2] = {0, 0};
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        if (l->merge != CM_MERGE_MUX)
            continue;
        has[l->mux_variant == CM_MUX_SEL] = 1;
        if (hw->mux != CM_MUX_AUTO && hw->mux != CM_MUX_BOTH && l->mux_variant != (int)hw->mux)
            return cm_fail(err, CM_ERR_INFEASIBLE, "layer %d is a MUX merge of the %s variant; "
                           "[merge] mux = %s", i + 1,
                           cm_mux_variant_name((enum cm_mux_variant)l->mux_variant),
                           cm_mux_variant_name(hw->mux));
    }
    if (hw->mux == CM_MUX_AUTO)
        hw->mux = has[0] && has[1] ? CM_MUX_BOTH : has[1] ? CM_MUX_SEL : CM_MUX_OR;
    if (hw->merge == CM_MERGE_AUTO)
        hw->merge = need;
    else if (need != CM_MERGE_NONE && hw->merge != need) {
        for (int i = 0; i < net->n_layers; i++) {
            const struct cm_layer *l = &net->layers[i];
            if (l->merge != CM_MERGE_NONE || l->res)
                return cm_fail(err, CM_ERR_INFEASIBLE,
                               "layer %d merges with %s; [merge] kind = %s", i + 1,
                               cm_merge_name(need), cm_merge_name(hw->merge));
        }
    }

    /* the shift-add's sums (pop_bits + E - 1 bits) feed the acc_bits adder */
    if (hw->pe == CM_PE_SHIFT && cm_bits_for(hw->lanes) + hw->max_w_bits - 1 >= hw->acc_bits)
        return cm_fail(err, CM_ERR_INFEASIBLE,
                       "[array] pe = shift: %d lanes and %d exponents make %d-bit sums; "
                       "[array] acc_bits = %d must be wider",
                       hw->lanes, hw->max_w_bits, cm_bits_for(hw->lanes) + hw->max_w_bits - 1,
                       hw->acc_bits);
    /* rq_mul_bits auto: each multiplier as wide as its constants need (32
     * without constants); an explicit width serves both */
    if (hw->rq_mul_bits == 0) {
        hw->rq_mul_bits = net->has_consts ? mul_bits_needed(net, 0, hw->acc_bits) : 32;
        hw->score_mul_bits = net->has_consts ? mul_bits_needed(net, 1, hw->acc_bits) : 32;
    } else {
        hw->score_mul_bits = hw->rq_mul_bits;
    }
    /* the shift requantizer's shifters: as far as the constants shift */
    int any_res = 0;
    for (int i = 0; i < net->n_layers; i++)
        any_res |= net->layers[i].res;
    hw->rq_lshift_max = 0;
    hw->rq_rshift_bits = net->has_consts && any_res ? 0 : 6;
    for (int i = 0; net->has_consts && i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        if (!l->res)
            continue;
        if (l->rq_lshift > hw->rq_lshift_max)
            hw->rq_lshift_max = l->rq_lshift > 16 ? 16 : l->rq_lshift;
        int rb = cm_bits_for(l->rq_rshift);
        if (rb > hw->rq_rshift_bits)
            hw->rq_rshift_bits = rb > 6 ? 6 : rb;
    }
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        if (l->scores != (i == net->n_layers - 1))
            return cm_fail(err, CM_ERR_ARG, "layer %d: only the last layer makes scores", i + 1);
        if ((st = check_layer(hw, l, i, net->has_consts, err)) != CM_OK)
            return st;
    }

    /* Buffers: what the network needs, then auto sizes or checks. */
    const int skip_bits = hw->merge == CM_MERGE_ADD ? hw->res_bits : 1;
    double act_need = 0.0, w_need = 0.0, skip_need = 0.0, merge_param_bits = 0.0;
    int act_layer = 0, skip_layer = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        double in = (double)l->in_h * l->in_w * l->in_c * l->in_bits;
        double out = l->scores || l->side ? 0.0
                               : (double)pooled(l->out_h, l->pool) * pooled(l->out_w, l->pool) *
                                     l->out_c * l->out_bits;
        if (in > act_need || out > act_need) {
            act_need = in > out ? in : out;
            act_layer = i;
        }
        w_need += (double)l->out_c * cm_layer_fan_in(l) * weight_bits(hw, l);
        w_need += l->scores ? (double)l->out_c * (2 * hw->score_mul_bits + hw->acc_bits)
                            : (double)l->out_c * n_thr_of(l) * hw->acc_bits;
        if (l->merge == CM_MERGE_MUX)
            merge_param_bits += l->out_c;
        if (l->res)
            merge_param_bits += (double)l->out_c * cm_hw_rq_param_bits(hw);
    }
    /* the skip tensors, each held from its source to its merge, laid out as
     * cm_net_skip_layout places them (the layer named: the one whose write
     * reaches the furthest) */
    long long *skip_base = malloc((size_t)net->n_layers * sizeof *skip_base);
    if (!skip_base)
        return cm_fail(err, CM_ERR_NOMEM, "out of memory");
    skip_need = (double)cm_net_skip_layout(net, skip_base) * skip_bits;
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        const double end = (double)(skip_base[i] + cm_layer_skip_values(l)) * skip_bits;
        if (cm_net_writes_skip(net, i) && end >= skip_need)
            skip_layer = i;
    }
    free(skip_base);
    skip_need += merge_param_bits;
    char what[96];
    snprintf(what, sizeof what, "layer %d: activations", act_layer + 1);
    if ((st = size_buffer(&hw->act_kbits, act_need, "act_kbits", what, err)) != CM_OK)
        return st;
    if ((st = size_buffer(&hw->weight_kbits, w_need, "weight_kbits",
                          "the network's weights and thresholds", err)) != CM_OK)
        return st;
    if (hw->merge == CM_MERGE_NONE)
        hw->skip_kbits = 0.0;
    else {
        snprintf(what, sizeof what, "layer %d: skip tensor and merge parameters",
                 skip_layer + 1);
        if ((st = size_buffer(&hw->skip_kbits, skip_need, "skip_kbits", what, err)) != CM_OK)
            return st;
    }
    d->buf_bits[CM_BUF_ACT] = 2.0 * hw->act_kbits * 1024.0;
    d->buf_bits[CM_BUF_WEIGHT] = hw->weight_kbits * 1024.0;
    d->buf_bits[CM_BUF_SKIP] = hw->skip_kbits * 1024.0;
    d->buf_used_bits[CM_BUF_ACT] = 2.0 * act_need;
    d->buf_used_bits[CM_BUF_WEIGHT] = w_need;
    d->buf_used_bits[CM_BUF_SKIP] = hw->merge == CM_MERGE_NONE ? 0.0 : skip_need;
    /* The widest access of each buffer sets its banking (energy.h). The
     * weight buffer is banked for the bit-plane weight word (sign and
     * magnitude bit a lane, and a shift PE's exponent field) on every PE
     * kind: an XNOR PE reads the sign bits only, from the same macro, so
     * that two designs that differ in their PEs differ in their PEs alone
     * (banked for its narrower word, the macro's banks would be twice as
     * deep and each bit read would cost sqrt(2) more). */
    const int R = hw->pe_rows, A = hw->acc_bits;
    const int MS = hw->score_mul_bits;
    d->buf_word_bits[CM_BUF_ACT] = fmax(hw->lanes, (double)R * hw->max_act_bits);
    /* the weight word: the PE's sign and magnitude (a shift PE's whole
     * word), or wider for a layer's code (pow2 on the bit planes reads its
     * whole exponent code every pass) */
    double w_word = 2.0 + cm_hw_exp_bits(hw);
    for (int i = 0; i < net->n_layers; i++)
        w_word = fmax(w_word, weight_word_bits(hw, &net->layers[i]));
    d->buf_word_bits[CM_BUF_WEIGHT] =
        fmax(w_word * R * hw->lanes,
             fmax((double)R * ((1 << hw->max_act_bits) - 1) * A, (double)R * (2 * MS + A)));
    d->buf_word_bits[CM_BUF_SKIP] =
        hw->merge == CM_MERGE_ADD ? fmax((double)R * hw->res_bits,
                                         (double)R * cm_hw_rq_param_bits(hw))
                                  : (double)R;
    for (int b = 0; b < CM_N_BUFS; b++) {
        /* the two activation banks are two macros */
        double macros = b == CM_BUF_ACT ? 2.0 : 1.0;
        d->buf_area_um2[b] = macros * cm_sram_area_um2(d->buf_bits[b] / macros);
        d->buf_leak_nw[b] = cm_sram_leakage_nw(d->buf_bits[b]);
        d->sram_area_um2 += d->buf_area_um2[b];
    }

    /* Gates. */
    count_units(d, net, memo);
    for (int u = 0; u < CM_N_UNITS; u++) {
        d->unit_nand2[u] = cm_count_nand2(&d->unit[u], lib);
        d->unit_area_um2[u] = cm_count_area_um2(&d->unit[u], lib);
        d->unit_leak_nw[u] = cm_count_leakage_nw(&d->unit[u], lib);
        d->logic_nand2 += d->unit_nand2[u];
        d->logic_area_um2 += d->unit_area_um2[u];
        d->logic_leak_nw += d->unit_leak_nw[u];
    }
    d->area_um2 = d->logic_area_um2 + d->sram_area_um2;

    /* Timing: the stages' paths, fmax, and the clock the design runs at. */
    int counters[N_COUNTERS];
    counter_widths(hw, net, counters);
    st = cm_timing_eval_memo(&d->timing, hw, lib, counters, N_COUNTERS, class_bits(net), memo,
                             err);
    if (st != CM_OK)
        return st;
    st = cm_timing_eval_mode(&d->timing_gates, hw, lib, counters, N_COUNTERS, class_bits(net),
                             CM_DELAY_GATES, memo, err);
    if (st != CM_OK)
        return st;
    d->clock_auto = hw->clock_mhz == 0.0;
    if (d->clock_auto)
        hw->clock_mhz = d->timing.fmax_mhz;
    d->clock_over_fmax = hw->clock_mhz > d->timing.fmax_mhz;

    /* Cycles, traffic, operations. */
    long long extra = 0;
    for (int i = 0; i < net->n_layers; i++) {
        struct cm_layer_cost *lc = &d->layer[i];
        cm_layer_cycles(hw, &net->layers[i], &lc->cyc);
        lc->latency_us = lc->cyc.total / hw->clock_mhz;
        d->cycles += lc->cyc.total;
        extra += lc->cyc.merge_extra;
        layer_traffic(d, lib, net, i, cm_net_writes_skip(net, i));
    }
    d->latency_us = d->cycles / hw->clock_mhz;

    /* Energy: dynamic per layer, then leakage over each layer's time. */
    const double leak_sram_nw = d->buf_leak_nw[CM_BUF_ACT] + d->buf_leak_nw[CM_BUF_WEIGHT] +
                                d->buf_leak_nw[CM_BUF_SKIP];
    const double leak_nw = d->logic_leak_nw + leak_sram_nw;
    double merge_dyn = 0.0;
    for (int i = 0; i < net->n_layers; i++) {
        struct cm_layer_cost *lc = &d->layer[i];
        double e = 0.0;
        for (int k = 0; k < CM_N_OPKS; k++) {
            d->energy.ops_pj[k] += lc->ops_pj[k];
            e += lc->ops_pj[k];
        }
        for (int b = 0; b < CM_N_BUFS; b++) {
            d->energy.sram_pj[b] += lc->sram_pj[b];
            e += lc->sram_pj[b];
        }
        /* nW x us = 1e-15 J = 1e-3 pJ */
        lc->leak_pj = leak_nw * lc->latency_us * 1e-3;
        lc->energy_pj = e + lc->leak_pj;
        merge_dyn += layer_merge_pj(lc);
    }
    d->energy.leak_logic_pj = d->logic_leak_nw * d->latency_us * 1e-3;
    d->energy.leak_sram_pj = leak_sram_nw * d->latency_us * 1e-3;
    d->energy.total_pj = d->energy.leak_logic_pj + d->energy.leak_sram_pj;
    for (int k = 0; k < CM_N_OPKS; k++)
        d->energy.total_pj += d->energy.ops_pj[k];
    for (int b = 0; b < CM_N_BUFS; b++)
        d->energy.total_pj += d->energy.sram_pj[b];

    /* The merge path: its logic and skip buffer leak all the time; the rest
     * of the design leaks over the cycles the merge adds. */
    struct cm_merge_path *mp = &d->merge;
    mp->nand2 = d->unit_nand2[CM_U_MERGE];
    mp->area_um2 = d->unit_area_um2[CM_U_MERGE] + d->buf_area_um2[CM_BUF_SKIP];
    mp->skip_bits = d->buf_bits[CM_BUF_SKIP];
    mp->skip_used_bits = d->buf_used_bits[CM_BUF_SKIP];
    mp->cycles = (double)extra;
    const double path_leak_nw = d->unit_leak_nw[CM_U_MERGE] + d->buf_leak_nw[CM_BUF_SKIP];
    const double extra_us = extra / hw->clock_mhz;
    mp->energy_pj = merge_dyn + path_leak_nw * d->latency_us * 1e-3 +
                    (leak_nw - path_leak_nw) * extra_us * 1e-3;
    for (int p = 0; p < CM_N_MPARTS; p++) {
        mp->part_nand2[p] = cm_count_nand2(&d->merge_part[p], lib);
        mp->part_area_um2[p] = cm_count_area_um2(&d->merge_part[p], lib);
        mp->part_energy_pj[p] =
            cm_count_leakage_nw(&d->merge_part[p], lib) * d->latency_us * 1e-3;
        for (int i = 0; i < net->n_layers; i++)
            mp->part_energy_pj[p] += d->layer[i].merge_part_pj[p];
    }
    mp->part_area_um2[CM_MP_SKIP] += d->buf_area_um2[CM_BUF_SKIP];
    mp->part_energy_pj[CM_MP_SKIP] += d->buf_leak_nw[CM_BUF_SKIP] * d->latency_us * 1e-3;
    mp->part_energy_pj[CM_MP_CYCLES] += (leak_nw - path_leak_nw) * extra_us * 1e-3;
    return CM_OK;
}

void cm_energy_activity(const struct cm_design *d, const struct cm_lib *lib,
                        const struct cm_activity *a, struct cm_activity_energy *e)
{
    memset(e, 0, sizeof *e);
    for (int u = 0; u < CM_N_UNITS; u++) {
        const struct cm_count *c = &d->unit[u];
        double switched_fj = 0.0;
        for (int k = 0; k < CM_N_CELLS; k++)
            switched_fj += c->n[k] * lib->cell[k].energy_fj;
        double bits = c->n[CM_DFF] > 0.0 ? c->n[CM_DFF] : 1.0;
        e->unit_pj[u] = a->toggles[u] * switched_fj / bits * 1e-3;
        e->total_pj += e->unit_pj[u];
    }
    for (int b = 0; b < CM_N_BUFS; b++) {
        double size = b == CM_BUF_ACT ? d->buf_bits[b] / 2.0 : d->buf_bits[b];
        const double w = d->buf_word_bits[b];
        e->sram_pj[b] = a->reads[b] * cm_sram_access_pj(size, w, a->read_bits[b]) +
                        a->writes[b] * cm_sram_access_pj(size, w, a->write_bits[b]);
        e->total_pj += e->sram_pj[b];
    }
    double leak_nw = d->logic_leak_nw;
    for (int b = 0; b < CM_N_BUFS; b++)
        leak_nw += d->buf_leak_nw[b];
    e->leak_pj = leak_nw * (a->cycles / d->hw.clock_mhz) * 1e-3;
    e->total_pj += e->leak_pj;
}

/* costmodels/pe.c: a PE's logic (lane logic, accumulate stage, threshold
 * unit) and the shared fetch unit's gating, as netlists (netlist.h) and cell
 * counts (units.h). The functions follow docs/accelerator.md. */
#include "costmodels/netlist.h"

#include <assert.h>

/* Lane logic, per lane: nz = m AND g, n = s XOR f, pos = nz AND NOT n,
 * neg = nz AND n, built as NAND2 (NOT nz), XOR2 (n), INV (NOT n) and two
 * NOR2s: pos = NOR(NOT nz, n), neg = NOR(NOT nz, NOT n). 5 cells a lane. */
void cm_nl_unit_lane_logic(struct cm_nl *nl, int lanes)
{
    int m[CM_NL_MAX_BUS], g[CM_NL_MAX_BUS], s[CM_NL_MAX_BUS], f[CM_NL_MAX_BUS];
    int pos[CM_NL_MAX_BUS], neg[CM_NL_MAX_BUS];
    cm_nl_input(nl, "m", lanes, m);
    cm_nl_input(nl, "g", lanes, g);
    cm_nl_input(nl, "s", lanes, s);
    cm_nl_input(nl, "f", lanes, f);
    for (int i = 0; i < lanes; i++) {
        int nnz = cm_nl_nand(nl, m[i], g[i]);
        int n = cm_nl_xor(nl, s[i], f[i]);
        pos[i] = cm_nl_nor(nl, nnz, n);
        neg[i] = cm_nl_nor(nl, nnz, cm_nl_inv(nl, n));
    }
    cm_nl_output(nl, "pos", lanes, pos);
    cm_nl_output(nl, "neg", lanes, neg);
}

/* Fetch gating, per lane, from the activation bit x, the lane's valid bit
 * and the layer's activation kind (sign = 1 for sign activations):
 * g = valid AND (x OR sign) (x on {0,1} planes, valid on sign planes) and
 * f = sign AND NOT x = NOR(x, NOT sign): OR2 + AND2 + NOR2 a lane and one
 * shared INV. */
void cm_nl_unit_fetch_gating(struct cm_nl *nl, int lanes)
{
    int x[CM_NL_MAX_BUS], valid[CM_NL_MAX_BUS], sign, g[CM_NL_MAX_BUS], f[CM_NL_MAX_BUS];
    cm_nl_input(nl, "x", lanes, x);
    cm_nl_input(nl, "valid", lanes, valid);
    cm_nl_input(nl, "sign", 1, &sign);
    const int nsign = cm_nl_inv(nl, sign);
    for (int i = 0; i < lanes; i++) {
        g[i] = cm_nl_and(nl, valid[i], cm_nl_or(nl, x[i], sign));
        f[i] = cm_nl_nor(nl, x[i], nsign);
    }
    cm_nl_output(nl, "g", lanes, g);
    cm_nl_output(nl, "f", lanes, f);
}

/* The XNOR PE's fetch gating (docs/accelerator.md, "The XNOR PE"): the
 * bit-plane gating with the gate made inverted, ng = NAND(valid, OR(x,
 * sign)), which every PE's lane logic takes, and g = NOT ng for the shared
 * count tree; f = NOR(x, NOT sign) as before. OR2 + NAND2 + INV + NOR2 a
 * lane and one shared INV. */
void cm_nl_unit_fetch_gating_xnor(struct cm_nl *nl, int lanes)
{
    int x[CM_NL_MAX_BUS], valid[CM_NL_MAX_BUS], sign;
    int g[CM_NL_MAX_BUS], ng[CM_NL_MAX_BUS], f[CM_NL_MAX_BUS];
    cm_nl_input(nl, "x", lanes, x);
    cm_nl_input(nl, "valid", lanes, valid);
    cm_nl_input(nl, "sign", 1, &sign);
    const int nsign = cm_nl_inv(nl, sign);
    for (int i = 0; i < lanes; i++) {
        ng[i] = cm_nl_nand(nl, valid[i], cm_nl_or(nl, x[i], sign));
        g[i] = cm_nl_inv(nl, ng[i]);
        f[i] = cm_nl_nor(nl, x[i], nsign);
    }
    cm_nl_output(nl, "g", lanes, g);
    cm_nl_output(nl, "ng", lanes, ng);
    cm_nl_output(nl, "f", lanes, f);
}

/* The XNOR PE's lane logic, per lane: the product bit of a binary weight
 * (s = 1 for -1) and the activation bit, t = g AND NOT (s XOR f) =
 * NOR(s XOR f, ng): XOR2 + NOR2 a lane (the bit-plane lane's 5 cells less
 * the magnitude gate and the neg output). */
void cm_nl_unit_lane_logic_xnor(struct cm_nl *nl, int lanes)
{
    int s[CM_NL_MAX_BUS], f[CM_NL_MAX_BUS], ng[CM_NL_MAX_BUS], t[CM_NL_MAX_BUS];
    cm_nl_input(nl, "s", lanes, s);
    cm_nl_input(nl, "f", lanes, f);
    cm_nl_input(nl, "ng", lanes, ng);
    for (int i = 0; i < lanes; i++)
        t[i] = cm_nl_nor(nl, cm_nl_xor(nl, s[i], f[i]), ng[i]);
    cm_nl_output(nl, "t", lanes, t);
}

/* The accumulate stage from the subtractor's operands a and b (dw bits):
 * d = a - b, then shift and accumulate (cm_nl_unit_accumulator). */
static void accumulate(struct cm_nl *nl, int dw, const int *a, const int *b, int max_shift,
                       int acc_bits, enum cm_adder_arch arch);

/* Accumulate stage: d = pos - neg on pop_bits + 1 bits (the subtractor
 * cm_nl_sub of arch on zero-extended operands, constants folded),
 * e = d << sh (the barrel shifter, sh of cm_bits_for(max_shift) bits, d
 * sign-extended to acc_bits), acc <= (clear ? 0 : acc) + e: an AND2 per bit
 * with the shared NOT clear, the acc_bits adder of arch (no carry in or
 * out), and acc_bits DFFs. */
void cm_nl_unit_accumulator(struct cm_nl *nl, int pop_bits, int max_shift, int acc_bits,
                            enum cm_adder_arch arch)
{
    assert(pop_bits >= 1 && pop_bits < acc_bits && acc_bits <= 64);
    const int dw = pop_bits + 1;
    int pos[64], neg[64];
    cm_nl_input(nl, "pos", pop_bits, pos);
    cm_nl_input(nl, "neg", pop_bits, neg);
    int a[65], b[65];
    for (int i = 0; i < dw; i++) {
        a[i] = i < pop_bits ? pos[i] : CM_NL_0;
        b[i] = i < pop_bits ? neg[i] : CM_NL_0;
    }
    accumulate(nl, dw, a, b, max_shift, acc_bits, arch);
}

/* The XNOR PE's accumulate stage: d = 2 pos - cnt (pos the PE's count of
 * product bits t, cnt the shared count of gate bits g: the lanes whose
 * product is +-1), the sum of the +-1 products, on pop_bits + 1 bits (d lies
 * in [-lanes, lanes]; the doubled count is the wiring pos << 1, its LSB the
 * constant 0), then as cm_nl_unit_accumulator. */
void cm_nl_unit_accumulator_xnor(struct cm_nl *nl, int pop_bits, int max_shift, int acc_bits,
                                 enum cm_adder_arch arch)
{
    assert(pop_bits >= 1 && pop_bits < acc_bits && acc_bits <= 64);
    const int dw = pop_bits + 1;
    int pos[64], cnt[64];
    cm_nl_input(nl, "pos", pop_bits, pos);
    cm_nl_input(nl, "cnt", pop_bits, cnt);
    int a[65], b[65];
    for (int i = 0; i < dw; i++) {
        a[i] = i == 0 ? CM_NL_0 : pos[i - 1];
        b[i] = i < pop_bits ? cnt[i] : CM_NL_0;
    }
    accumulate(nl, dw, a, b, max_shift, acc_bits, arch);
}

static void accumulate(struct cm_nl *nl, int dw, const int *a, const int *b, int max_shift,
                       int acc_bits, enum cm_adder_arch arch)
{
    const int sh_bits = cm_bits_for(max_shift);
    int sh[8], clear;
    if (sh_bits > 0)
        cm_nl_input(nl, "sh", sh_bits, sh);
    cm_nl_input(nl, "clear", 1, &clear);
    int d[65], e[64], acc[64], kept[64], sum[64];
    cm_nl_sub(nl, arch, dw, a, b, d, NULL);
    cm_nl_shift(nl, CM_SHIFT_LEFT, dw, d, sh_bits, sh, acc_bits, e);
    const int nclear = cm_nl_inv(nl, clear);
    for (int i = 0; i < acc_bits; i++) {
        acc[i] = cm_nl_reg_q(nl);
        kept[i] = cm_nl_and(nl, acc[i], nclear);
    }
    cm_nl_add(nl, arch, acc_bits, kept, e, CM_NL_0, sum, NULL);
    for (int i = 0; i < acc_bits; i++)
        cm_nl_reg_d(nl, acc[i], sum[i]);
    cm_nl_output(nl, "acc", acc_bits, acc);
}

/* Threshold unit: n_thr signed comparators v >= thr_k of arch against the
 * channel's thresholds, which arrive on thr (n_thr * width bits, k-major)
 * from the weight buffer's parameter bank: read once a tile, its output
 * holds them for the tile, so the unit has no threshold registers
 * (docs/accelerator.md, "Per-channel parameters"); and the code, the number
 * of true comparisons: a popcount of the n_thr comparisons (none for n_thr
 * = 1). */
void cm_nl_unit_threshold(struct cm_nl *nl, int n_thr, int width, enum cm_adder_arch arch)
{
    assert(n_thr >= 1 && n_thr <= 255 && width >= 1 && width <= 64);
    int v[64], thr[255 * 64], ge[255], code[16];
    cm_nl_input(nl, "v", width, v);
    cm_nl_input(nl, "thr", n_thr * width, thr);
    for (int k = 0; k < n_thr; k++)
        ge[k] = cm_nl_compare_ge(nl, arch, width, v, thr + k * width, 1);
    cm_nl_popcount(nl, arch, n_thr, ge, code);
    cm_nl_output(nl, "code", cm_bits_for(n_thr), code);
}

/* The fetch unit's pow2 decoder (docs/accelerator.md, "Weight words"): a
 * lane's exponent code k (code_bits bits, lane-major: k[i * code_bits + b])
 * against the pass's target t = j + 1 (shared, from the controller):
 * m = (k == t) = NOR over the bits of k_b XOR t_b, as XOR2s, an OR2 chain
 * and the final NOR2 (code_bits = 1: XNOR2). */
void cm_nl_unit_pow2_decoder(struct cm_nl *nl, int lanes, int code_bits)
{
    assert(code_bits >= 1 && code_bits <= 3 && lanes * code_bits <= CM_NL_MAX_BUS);
    int k[CM_NL_MAX_BUS], t[3], m[CM_NL_MAX_BUS];
    cm_nl_input(nl, "k", lanes * code_bits, k);
    cm_nl_input(nl, "t", code_bits, t);
    for (int i = 0; i < lanes; i++) {
        const int *ki = k + i * code_bits;
        if (code_bits == 1) {
            m[i] = cm_nl_xnor(nl, ki[0], t[0]);
            continue;
        }
        int diff = cm_nl_xor(nl, ki[0], t[0]);
        for (int b = 1; b < code_bits - 1; b++)
            diff = cm_nl_or(nl, diff, cm_nl_xor(nl, ki[b], t[b]));
        m[i] = cm_nl_nor(nl, diff, cm_nl_xor(nl, ki[code_bits - 1], t[code_bits - 1]));
    }
    cm_nl_output(nl, "m", lanes, m);
}

/* k == t over code_bits bits: XOR2s, an OR2 chain and the final NOR2
 * (code_bits = 1: XNOR2), the pow2 decoder's test. */
static int equal_const(struct cm_nl *nl, const int *k, const int *t, int code_bits)
{
    if (code_bits == 1)
        return cm_nl_xnor(nl, k[0], t[0]);
    int diff = cm_nl_xor(nl, k[0], t[0]);
    for (int b = 1; b < code_bits - 1; b++)
        diff = cm_nl_or(nl, diff, cm_nl_xor(nl, k[b], t[b]));
    return cm_nl_nor(nl, diff, cm_nl_xor(nl, k[code_bits - 1], t[code_bits - 1]));
}

/* The fetch unit's activation decoder (docs/accelerator.md, "Signed
 * activations"), per lane: the lane's code c (code_bits bits, lane-major,
 * the threshold count of a tern or pow2 activation) against the pass's two
 * targets t_hi = q + 1 + b and t_lo = q - 1 - b (shared, from the
 * controller): hi = (c == t_hi), lo = (c == t_lo); in signed mode (sm) the
 * plane bit is x' = hi OR lo (the value has magnitude 2^b) and the flip f'
 * = f OR (sm AND lo) (it is negative); else x' = x, the plane bit read, and
 * f' = f. Two equality tests, an OR2, a MUX2, an AND2 and an OR2 a lane. */
void cm_nl_unit_act_decoder(struct cm_nl *nl, int lanes, int code_bits)
{
    assert(code_bits >= 2 && code_bits <= 4 && lanes * code_bits <= CM_NL_MAX_BUS);
    int c[CM_NL_MAX_BUS], x[CM_NL_MAX_BUS], f[CM_NL_MAX_BUS], sm, thi[4], tlo[4];
    int xo[CM_NL_MAX_BUS], fo[CM_NL_MAX_BUS];
    cm_nl_input(nl, "c", lanes * code_bits, c);
    cm_nl_input(nl, "x", lanes, x);
    cm_nl_input(nl, "f", lanes, f);
    cm_nl_input(nl, "sm", 1, &sm);
    cm_nl_input(nl, "thi", code_bits, thi);
    cm_nl_input(nl, "tlo", code_bits, tlo);
    for (int i = 0; i < lanes; i++) {
        const int *ci = c + i * code_bits;
        const int hi = equal_const(nl, ci, thi, code_bits);
        const int lo = equal_const(nl, ci, tlo, code_bits);
        xo[i] = cm_nl_mux(nl, sm, x[i], cm_nl_or(nl, hi, lo));
        fo[i] = cm_nl_or(nl, f[i], cm_nl_and(nl, sm, lo));
    }
    cm_nl_output(nl, "xo", lanes, xo);
    cm_nl_output(nl, "fo", lanes, fo);
}

struct cm_count cm_act_decoder(int lanes, int code_bits)
{
    /* identical, independent lanes: one lane's netlist, times lanes */
    assert(lanes >= 1);
    struct cm_nl nl = {0};
    cm_nl_unit_act_decoder(&nl, 1, code_bits);
    struct cm_count c = {{0}};
    cm_count_add(&c, &nl.count, lanes);
    return c;
}

struct cm_count cm_pow2_decoder(int lanes, int code_bits)
{
    /* the lanes are identical and independent: one lane's netlist, times lanes */
    assert(lanes >= 1);
    struct cm_nl nl = {0};
    cm_nl_unit_pow2_decoder(&nl, 1, code_bits);
    struct cm_count c = {{0}};
    cm_count_add(&c, &nl.count, lanes);
    return c;
}

struct cm_count cm_lane_logic(int lanes)
{
    assert(lanes >= 1 && lanes <= CM_NL_MAX_BUS);
    struct cm_nl nl = {0};
    cm_nl_unit_lane_logic(&nl, lanes);
    return nl.count;
}

struct cm_count cm_fetch_gating(int lanes)
{
    assert(lanes >= 1 && lanes <= CM_NL_MAX_BUS);
    struct cm_nl nl = {0};
    cm_nl_unit_fetch_gating(&nl, lanes);
    return nl.count;
}

struct cm_count cm_accumulator(int pop_bits, int max_shift, int acc_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_accumulator(&nl, pop_bits, max_shift, acc_bits, arch);
    return nl.count;
}

struct cm_count cm_fetch_gating_xnor(int lanes)
{
    assert(lanes >= 1 && lanes <= CM_NL_MAX_BUS);
    struct cm_nl nl = {0};
    cm_nl_unit_fetch_gating_xnor(&nl, lanes);
    return nl.count;
}

struct cm_count cm_lane_logic_xnor(int lanes)
{
    assert(lanes >= 1 && lanes <= CM_NL_MAX_BUS);
    struct cm_nl nl = {0};
    cm_nl_unit_lane_logic_xnor(&nl, lanes);
    return nl.count;
}

struct cm_count cm_accumulator_xnor(int pop_bits, int max_shift, int acc_bits,
                                    enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_accumulator_xnor(&nl, pop_bits, max_shift, acc_bits, arch);
    return nl.count;
}

struct cm_count cm_threshold_unit(int n_thr, int width, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_threshold(&nl, n_thr, width, arch);
    return nl.count;
}

/* The shift PE's lane logic (docs/accelerator.md, "The shift PE"), per lane,
 * in the polarity that maps onto NAND2/NOR2 (what Yosys finds, within a
 * few percent): n = s XOR f, NOT pos = NAND(g, NOT n) and NOT neg =
 * NAND(g, n); the exponent code k (kb = bits(E) bits, k = 0 the weight 0,
 * k = e + 1 the exponent e) with its upper bits 1.. gated by the layer's
 * mode, NOT kg_b = NAND(k_b, shift) and kg_b = NOT of it (a bit-plane
 * layer's pass bit m sits in k_0, so it decodes k = m: exponent 0 or
 * nothing); bit 0 and its INV as they are; the decoder's inverted one-hot
 * NOT d_e = NAND(hi, lo) for the value v = e + 1: lo the literal of bit 0,
 * hi the AND2 chain of the literals of bits 1.. (shared between the values
 * with the same upper bits; for kb = 2 the literals themselves); and pos_e
 * = NOR(NOT pos, NOT d_e), neg_e = NOR(NOT neg, NOT d_e). No nonzero bit:
 * k = 0 decodes to no tree. E = 1 is the bit-plane lane logic (k_0 = m).
 * Inputs k lane-major: k[i * kb + b]; buses e-major: pos[e * lanes + i]. */
void cm_nl_unit_lane_logic_shift(struct cm_nl *nl, int lanes, int n_exp)
{
    const int E = n_exp, kb = cm_bits_for(n_exp);
    assert(E >= 1 && E <= 7 && lanes >= 1 && lanes * E <= CM_NL_MAX_BUS);
    if (E == 1) {
        cm_nl_unit_lane_logic(nl, lanes);
        return;
    }
    int g[CM_NL_MAX_BUS], s[CM_NL_MAX_BUS], f[CM_NL_MAX_BUS];
    int k[CM_NL_MAX_BUS], shift;
    int pos[CM_NL_MAX_BUS], neg[CM_NL_MAX_BUS];
    assert(lanes * kb <= CM_NL_MAX_BUS);
    cm_nl_input(nl, "g", lanes, g);
    cm_nl_input(nl, "s", lanes, s);
    cm_nl_input(nl, "f", lanes, f);
    cm_nl_input(nl, "k", lanes * kb, k);
    cm_nl_input(nl, "shift", 1, &shift);
    for (int i = 0; i < lanes; i++) {
        const int n = cm_nl_xor(nl, s[i], f[i]);
        const int npos = cm_nl_nand(nl, g[i], cm_nl_inv(nl, n));
        const int nneg = cm_nl_nand(nl, g[i], n);
        int lit[3][2];  /* [bit][value]: the (gated) code bit equal to value */
        lit[0][1] = k[i * kb];
        lit[0][0] = cm_nl_inv(nl, k[i * kb]);
        for (int b = 1; b < kb; b++) {
            lit[b][0] = cm_nl_nand(nl, k[i * kb + b], shift);
            lit[b][1] = cm_nl_inv(nl, lit[b][0]);
        }
        int hi[4];  /* per value u of the upper bits (1..kb-1) that some v = e + 1 has */
        for (int u = 0; u <= E >> 1; u++) {
            hi[u] = lit[1][u & 1];
            for (int b = 2; b < kb; b++)
                hi[u] = cm_nl_and(nl, hi[u], lit[b][(u >> (b - 1)) & 1]);
        }
        for (int e = 0; e < E; e++) {
            const int v = e + 1;
            const int nd = cm_nl_nand(nl, hi[v >> 1], lit[0][v & 1]);
            pos[e * lanes + i] = cm_nl_nor(nl, npos, nd);
            neg[e * lanes + i] = cm_nl_nor(nl, nneg, nd);
        }
    }
    cm_nl_output(nl, "pos", lanes * E, pos);
    cm_nl_output(nl, "neg", lanes * E, neg);
}

/* The shift PE's shift-add (before the accumulator's subtractor):
 * P = sum_e pos_e << e and N = sum_e neg_e << e, each a carry-save
 * (Wallace) reduction of the E shifted pop_bits-bit counts over
 * pop_bits + E - 1 columns and a final adder of arch (cm_nl_reduce_columns).
 * The sums fit: each lane counts in one tree, so P <= lanes 2^(E-1) <
 * 2^(pop_bits + E - 1). For E = 1 it is wires. */
void cm_nl_unit_shift_add(struct cm_nl *nl, int pop_bits, int n_exp, enum cm_adder_arch arch)
{
    const int E = n_exp, w = pop_bits + n_exp - 1, stride = 4 * n_exp + 8;
    assert(E >= 1 && E <= 8 && pop_bits >= 1 && w <= 64);
    int in[2][8 * 64], out[64];
    int col[64 * 40], height[64];
    static const char *const names[2][2] = {{"pos", "P"}, {"neg", "N"}};
    cm_nl_input(nl, "pos", E * pop_bits, in[0]);
    cm_nl_input(nl, "neg", E * pop_bits, in[1]);
    for (int k = 0; k < 2; k++) {
        for (int c = 0; c < w; c++) {
            height[c] = 0;
            for (int e = 0; e < E; e++)
                if (c - e >= 0 && c - e < pop_bits)
                    col[c * stride + height[c]++] = in[k][e * pop_bits + c - e];
        }
        cm_nl_reduce_columns(nl, arch, w, height, col, stride, out);
        cm_nl_output(nl, names[k][1], w, out);
    }
}

struct cm_count cm_lane_logic_shift(int lanes, int n_exp)
{
    /* the lanes are identical and independent: one lane's netlist, times lanes */
    assert(lanes >= 1);
    struct cm_nl nl = {0};
    cm_nl_unit_lane_logic_shift(&nl, 1, n_exp);
    struct cm_count c = {{0}};
    cm_count_add(&c, &nl.count, lanes);
    return c;
}

struct cm_count cm_shift_add(int pop_bits, int n_exp, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_shift_add(&nl, pop_bits, n_exp, arch);
    return nl.count;
}

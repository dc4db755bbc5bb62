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
    const int sh_bits = cm_bits_for(max_shift), dw = pop_bits + 1;
    int pos[64], neg[64], sh[8], clear;
    cm_nl_input(nl, "pos", pop_bits, pos);
    cm_nl_input(nl, "neg", pop_bits, neg);
    if (sh_bits > 0)
        cm_nl_input(nl, "sh", sh_bits, sh);
    cm_nl_input(nl, "clear", 1, &clear);
    int a[65], b[65], d[65], e[64], acc[64], kept[64], sum[64];
    for (int i = 0; i < dw; i++) {
        a[i] = i < pop_bits ? pos[i] : CM_NL_0;
        b[i] = i < pop_bits ? neg[i] : CM_NL_0;
    }
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

/* Threshold unit: per threshold k a shadow register (width DFFs loaded from
 * the parameter bus thr when ld[k]) and an active register (loaded from the
 * shadow when swap), each bit a DFF with its enable MUX2; a signed
 * comparator v >= active_k of arch; and the code, the number of true
 * comparisons: a popcount of the n_thr comparisons (none for n_thr = 1). */
void cm_nl_unit_threshold(struct cm_nl *nl, int n_thr, int width, enum cm_adder_arch arch)
{
    assert(n_thr >= 1 && n_thr <= 255 && width >= 1 && width <= 64);
    int v[64], thr[64], ld[255], swap, act[64], ge[255], code[16];
    cm_nl_input(nl, "v", width, v);
    cm_nl_input(nl, "thr", width, thr);
    cm_nl_input(nl, "ld", n_thr, ld);
    cm_nl_input(nl, "swap", 1, &swap);
    for (int k = 0; k < n_thr; k++) {
        for (int i = 0; i < width; i++)
            act[i] = cm_nl_dff_en(nl, cm_nl_dff_en(nl, thr[i], ld[k]), swap);
        ge[k] = cm_nl_compare_ge(nl, arch, width, v, act, 1);
    }
    cm_nl_popcount(nl, arch, n_thr, ge, code);
    cm_nl_output(nl, "code", cm_bits_for(n_thr), code);
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

struct cm_count cm_threshold_unit(int n_thr, int width, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_threshold(&nl, n_thr, width, arch);
    return nl.count;
}

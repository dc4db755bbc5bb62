/* costmodels/merge.c: the residual merge units of a PE, `or`, `mux` and `add`
 * (docs/accelerator.md), as netlists (netlist.h) and cell counts (units.h). */
#include "costmodels/netlist.h"

#include <assert.h>

/* OR merge: y = a OR skip, one OR2 a bit. */
void cm_nl_unit_merge_or(struct cm_nl *nl, int bits)
{
    int a[64], skip[64], y[64];
    cm_nl_input(nl, "a", bits, a);
    cm_nl_input(nl, "skip", bits, skip);
    for (int i = 0; i < bits; i++)
        y[i] = cm_nl_or(nl, a[i], skip[i]);
    cm_nl_output(nl, "y", bits, y);
}

/* MUX merge: the `or` variant y = sel ? (a OR skip) : a, one OR2 and one
 * MUX2 a bit; the `sel` variant y = sel ? skip : a, one MUX2 a bit; `both`
 * y = sel ? (var ? skip : a OR skip) : a, var the layer's variant bit. sel is
 * the channel's select bit, from the skip buffer's parameter bank: read once
 * a tile, its output holds it for the tile (docs/accelerator.md,
 * "Per-channel parameters"), so the unit has no select register. */
void cm_nl_unit_merge_mux(struct cm_nl *nl, int bits, enum cm_mux_variant v)
{
    assert(v == CM_MUX_OR || v == CM_MUX_SEL || v == CM_MUX_BOTH);
    int a[64], skip[64], sel, y[64];
    cm_nl_input(nl, "a", bits, a);
    cm_nl_input(nl, "skip", bits, skip);
    cm_nl_input(nl, "sel", 1, &sel);
    int var = CM_NL_0;  /* BOTH: the layer's variant bit (1: sel), from the controller */
    if (v == CM_MUX_BOTH)
        cm_nl_input(nl, "var", 1, &var);
    for (int i = 0; i < bits; i++) {
        int t = v == CM_MUX_SEL ? skip[i] : cm_nl_or(nl, a[i], skip[i]);
        if (v == CM_MUX_BOTH)
            t = cm_nl_mux(nl, var, t, skip[i]);
        y[i] = cm_nl_mux(nl, sel, a[i], t);
    }
    cm_nl_output(nl, "y", bits, y);
}

/* Saturates the signed w-bit r to bits (w > bits): it overflows iff one of
 * r[bits-1 .. w-2] differs from the sign r[w-1] (an XOR2 each, OR2 tree);
 * then every bit below the top is NOT sign (one shared INV, a MUX2 a bit);
 * the top bit is the sign whether or not it overflowed. */
static void saturate(struct cm_nl *nl, int w, const int *r, int bits, int *y)
{
    const int sign = r[w - 1];
    /* overflow: a bit from res_bits - 1 up that differs from the sign (an
     * OR tree over them) */
    int dif[CM_NL_MAX_ADD];
    for (int i = bits - 1; i < w - 1; i++)
        dif[i - (bits - 1)] = cm_nl_xor(nl, r[i], sign);
    const int ovf = w - bits > 0 ? cm_nl_or_n(nl, w - bits, dif) : CM_NL_0;
    const int nsign = cm_nl_inv(nl, sign);
    for (int i = 0; i < bits - 1; i++)
        y[i] = cm_nl_mux(nl, ovf, r[i], nsign);
    y[bits - 1] = sign;
}

/* The multiplier requantizer: Y = sat_res((acc * mul + off) >> sh), with the
 * signed mul_bits x acc_bits Baugh-Wooley multiplier, the offset adder of
 * the product's width W = mul_bits + acc_bits, the arithmetic right barrel
 * shifter by 0..63 and the saturation to res_bits. The per-channel constants
 * mul (mul_bits) and off (W) arrive from the skip buffer's parameter bank,
 * read once a tile and held by its output (no registers: docs/accelerator.md,
 * "Per-channel parameters"); the shift sh (6 bits) is the layer's, an input
 * from the controller's descriptor. */
static void requant_mul(struct cm_nl *nl, int acc_bits, const int *acc, int mul_bits,
                        int res_bits, enum cm_adder_arch arch, int *y)
{
    const int W = mul_bits + acc_bits;
    assert(acc_bits >= 2 && mul_bits >= 2 && W <= CM_NL_MAX_ADD);
    assert(res_bits >= 2 && res_bits <= W && res_bits <= 64);
    int mul[64], off[CM_NL_MAX_ADD], sh[6];
    cm_nl_input(nl, "mul", mul_bits, mul);
    cm_nl_input(nl, "off", W, off);
    cm_nl_input(nl, "sh", 6, sh);

    int p[CM_NL_MAX_ADD], q[CM_NL_MAX_ADD], r[CM_NL_MAX_ADD];
    cm_nl_multiply(nl, arch, mul_bits, mul, acc_bits, acc, p);
    cm_nl_add(nl, arch, W, p, off, CM_NL_0, q, NULL);
    cm_nl_shift(nl, CM_SHIFT_RIGHT_ARITH, W, q, 6, sh, res_bits < W ? W : res_bits, r);
    if (res_bits < W) {
        saturate(nl, W, r, res_bits, y);
    } else {
        for (int i = 0; i < res_bits; i++)
            y[i] = r[i];
    }
}

/* The shift requantizer (docs/accelerator.md, "The shift requantizer"): for
 * multipliers +-2^e, Y = sat_res((((acc << ls) XOR neg) + neg + off) >> rs):
 * a left shifter of acc by 0..2^ls_bits - 1 into acc_bits + lshift_max bits,
 * the conditional negation (an XOR2 a bit, the +1 as the adder's carry in),
 * the offset adder of W = acc_bits + lshift_max + 1 bits (the offset has
 * acc_bits + lshift_max bits, sign-extended), an arithmetic right shifter by
 * 0..2^rs_bits - 1 and the saturation. The per-channel constants neg (1),
 * ls (ls_bits), rs (rs_bits) and off arrive like the multiplier's. */
static void requant_shift(struct cm_nl *nl, int acc_bits, const int *acc, int lshift_max,
                          int rs_bits, int res_bits, enum cm_adder_arch arch, int *y)
{
    const int S = acc_bits + lshift_max, W = S + 1;
    const int ls_bits = cm_bits_for(lshift_max);
    assert(acc_bits >= 2 && lshift_max >= 0 && W <= CM_NL_MAX_ADD);
    assert(rs_bits >= 0 && rs_bits <= 6 && res_bits >= 2 && res_bits <= W && res_bits <= 64);
    int neg, ls[6], rs[6], off[CM_NL_MAX_ADD];
    cm_nl_input(nl, "neg", 1, &neg);
    if (ls_bits > 0)
        cm_nl_input(nl, "ls", ls_bits, ls);
    if (rs_bits > 0)
        cm_nl_input(nl, "rs", rs_bits, rs);
    cm_nl_input(nl, "off", S, off);
    for (int i = S; i < W; i++)
        off[i] = off[S - 1];

    int t[CM_NL_MAX_ADD], x[CM_NL_MAX_ADD], q[CM_NL_MAX_ADD], r[CM_NL_MAX_ADD];
    if (ls_bits > 0) {
        cm_nl_shift(nl, CM_SHIFT_LEFT, acc_bits, acc, ls_bits, ls, S, t);
    } else {
        for (int i = 0; i < S; i++)
            t[i] = acc[i];
    }
    for (int i = 0; i < S; i++)
        x[i] = cm_nl_xor(nl, t[i], neg);
    x[S] = x[S - 1];
    cm_nl_add(nl, arch, W, x, off, neg, q, NULL);
    if (rs_bits > 0) {
        cm_nl_shift(nl, CM_SHIFT_RIGHT_ARITH, W, q, rs_bits, rs, W, r);
    } else {
        for (int i = 0; i < W; i++)
            r[i] = q[i];
    }
    if (res_bits < W) {
        saturate(nl, W, r, res_bits, y);
    } else {
        for (int i = 0; i < res_bits; i++)
            y[i] = r[i];
    }
}

/* The stream adder: u = sat(Y + skip), the res_bits adder of arch and its
 * overflow logic (overflow iff Y and skip have equal signs and the sum's
 * differs: XNOR2, XOR2, AND2; then MUX2s to the limit, whose top bit is Y's
 * sign). */
static void stream_add(struct cm_nl *nl, int res_bits, const int *y, const int *skip,
                       enum cm_adder_arch arch, int *u)
{
    int s[64];
    cm_nl_stage_cut(nl, res_bits, y);  /* the RQ stage register (timing.h) */
    cm_nl_add(nl, arch, res_bits, y, skip, CM_NL_0, s, NULL);
    const int top = res_bits - 1;
    const int ovf = cm_nl_and(nl, cm_nl_xnor(nl, y[top], skip[top]), cm_nl_xor(nl, s[top], y[top]));
    const int nsign = cm_nl_inv(nl, y[top]);
    for (int i = 0; i < top; i++)
        u[i] = cm_nl_mux(nl, ovf, s[i], nsign);
    u[top] = cm_nl_mux(nl, ovf, s[top], y[top]);
}

/* ADD merge: the multiplier requantizer (requant_mul), then the stream
 * adder (stream_add) of the skip. */
void cm_nl_unit_merge_add(struct cm_nl *nl, int acc_bits, int mul_bits, int res_bits,
                          enum cm_adder_arch arch)
{
    int acc[64], skip[64], y[64], u[64];
    cm_nl_input(nl, "acc", acc_bits, acc);
    cm_nl_input(nl, "skip", res_bits, skip);
    requant_mul(nl, acc_bits, acc, mul_bits, res_bits, arch, y);
    stream_add(nl, res_bits, y, skip, arch, u);
    cm_nl_output(nl, "u", res_bits, u);
}

struct cm_count cm_merge_or(int bits)
{
    assert(bits >= 1 && bits <= 64);
    struct cm_nl nl = {0};
    cm_nl_unit_merge_or(&nl, bits);
    return nl.count;
}

struct cm_count cm_merge_mux(int bits, enum cm_mux_variant v)
{
    assert(bits >= 1 && bits <= 64);
    struct cm_nl nl = {0};
    cm_nl_unit_merge_mux(&nl, bits, v);
    return nl.count;
}

struct cm_count cm_merge_add(int acc_bits, int mul_bits, int res_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_merge_add(&nl, acc_bits, mul_bits, res_bits, arch);
    return nl.count;
}

void cm_nl_unit_requant_mul(struct cm_nl *nl, int acc_bits, int mul_bits, int res_bits,
                            enum cm_adder_arch arch)
{
    int acc[64], y[64];
    cm_nl_input(nl, "acc", acc_bits, acc);
    requant_mul(nl, acc_bits, acc, mul_bits, res_bits, arch, y);
    cm_nl_output(nl, "y", res_bits, y);
}

struct cm_count cm_merge_add_requant(int acc_bits, int mul_bits, int res_bits,
                                     enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_requant_mul(&nl, acc_bits, mul_bits, res_bits, arch);
    return nl.count;
}

void cm_nl_unit_requant_shift(struct cm_nl *nl, int acc_bits, int lshift_max, int rs_bits,
                              int res_bits, enum cm_adder_arch arch)
{
    int acc[64], y[64];
    cm_nl_input(nl, "acc", acc_bits, acc);
    requant_shift(nl, acc_bits, acc, lshift_max, rs_bits, res_bits, arch, y);
    cm_nl_output(nl, "y", res_bits, y);
}

/* ADD merge with the shift requantizer: requant_shift, then stream_add. */
void cm_nl_unit_merge_add_shift(struct cm_nl *nl, int acc_bits, int lshift_max, int rs_bits,
                                int res_bits, enum cm_adder_arch arch)
{
    int acc[64], skip[64], y[64], u[64];
    cm_nl_input(nl, "acc", acc_bits, acc);
    cm_nl_input(nl, "skip", res_bits, skip);
    requant_shift(nl, acc_bits, acc, lshift_max, rs_bits, res_bits, arch, y);
    stream_add(nl, res_bits, y, skip, arch, u);
    cm_nl_output(nl, "u", res_bits, u);
}

struct cm_count cm_merge_add_requant_shift(int acc_bits, int lshift_max, int rs_bits,
                                           int res_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_requant_shift(&nl, acc_bits, lshift_max, rs_bits, res_bits, arch);
    return nl.count;
}

void cm_nl_unit_stream_add(struct cm_nl *nl, int res_bits, enum cm_adder_arch arch)
{
    assert(res_bits >= 2 && res_bits <= 64);
    int y[64], skip[64], u[64];
    cm_nl_input(nl, "y", res_bits, y);
    cm_nl_input(nl, "skip", res_bits, skip);
    stream_add(nl, res_bits, y, skip, arch, u);
    cm_nl_output(nl, "u", res_bits, u);
}

struct cm_count cm_merge_add_stream(int res_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_stream_add(&nl, res_bits, arch);
    return nl.count;
}

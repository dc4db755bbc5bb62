/* costmodels/ctlpath.c: the controller's datapath besides its loop counters
 * and the gather's address adders (units.h, cm_ctl_path): the layer's
 * descriptor registers, the address generator's running indices and table
 * addresses, the tile arithmetic of the THR stage and the write-back, the
 * per-PE ports of the skip buffer and the banks, and the score register
 * file's read and write. Each is the logic the RTL's top module holds for
 * it (rtl/rtl.c, docs/rtl.md "The controller's datapath"), built gate by
 * gate through netlist.h so that constants fold as synthesis folds them (a
 * PE's port address base + r is an incrementer-like chain, not an adder). */
#include <assert.h>
#include <string.h>

#include "costmodels/netlist.h"

/* ceil(log2(n)) for n >= 1: the address bits of an n-entry memory. */
static int clog2(long long n)
{
    return n <= 1 ? 0 : cm_bits_for(n - 1);
}

void cm_ctl_widths_of(int pe_rows, const struct cm_ctl_sizes *s, struct cm_ctl_widths *w)
{
    const long long ch = s->thr_words * pe_rows > s->classes ? s->thr_words * pe_rows : s->classes;
    w->tile = clog2(ch) + 1;
    w->pos = clog2(s->positions) + 1;
    w->chunk = clog2(s->chunks) + 1;
    w->valid = clog2(s->valid_words) + 1;
    w->weight = clog2(s->weight_words) + 1;
    w->bank = clog2(2 * s->bank_bits);
    w->skip = clog2(s->skip_values) + 1;
    w->rq = clog2(s->rq_words) + 1;
    w->cls = clog2(s->classes) + 1;
}

/* n fresh wires (the outputs of registers or memories outside the count) */
static void wires(struct cm_nl *nl, int n, int *w)
{
    cm_nl_input(nl, "x", n, w);
}

/* n flip-flops with a load enable (a DFF and its hold MUX2 each) */
static void reg_en(struct cm_nl *nl, int n, const int *d, int en)
{
    for (int i = 0; i < n; i++)
        if (d[i] >= 0)
            cm_nl_dff_en(nl, d[i], en);
}

/* n flip-flops loaded on every edge */
static void reg(struct cm_nl *nl, int n, const int *d)
{
    for (int i = 0; i < n; i++)
        if (d[i] >= 0)
            cm_nl_dff(nl, d[i]);
}

/* s = a + b mod 2^w (no carry out) */
static void add(struct cm_nl *nl, enum cm_adder_arch arch, int w, const int *a, const int *b,
                int *s)
{
    cm_nl_add(nl, arch, w, a, b, CM_NL_0, s, NULL);
}

/* s = a + k mod 2^w, k a constant */
static void add_const(struct cm_nl *nl, enum cm_adder_arch arch, int w, const int *a, long long k,
                      int *s)
{
    int b[CM_NL_MAX_ADD];
    for (int i = 0; i < w; i++)
        b[i] = (k >> i) & 1 ? CM_NL_1 : CM_NL_0;
    add(nl, arch, w, a, b, s);
}

/* s = x * k mod 2^w, k a constant: a shift-add of x's shifted copies */
static void mul_const(struct cm_nl *nl, enum cm_adder_arch arch, int w, const int *x, int k, int *s)
{
    int acc[CM_NL_MAX_ADD], t[CM_NL_MAX_ADD];
    for (int i = 0; i < w; i++)
        acc[i] = CM_NL_0;
    for (int sh = 0; sh < 31 && (k >> sh) != 0; sh++) {
        if (!((k >> sh) & 1))
            continue;
        for (int i = 0; i < w; i++)
            t[i] = i >= sh ? x[i - sh] : CM_NL_0;
        add(nl, arch, w, acc, t, acc);
    }
    memcpy(s, acc, (size_t)w * sizeof *s);
}

/* x > k (unsigned, k a constant) */
static int gt_const(struct cm_nl *nl, enum cm_adder_arch arch, int w, const int *x, long long k)
{
    int b[CM_NL_MAX_ADD];
    for (int i = 0; i < w; i++)
        b[i] = ((k + 1) >> i) & 1 ? CM_NL_1 : CM_NL_0;
    if ((k + 1) >> w)
        return CM_NL_0;
    return cm_nl_compare_ge(nl, arch, w, x, b, 0);
}

/* x == k (k a constant): an XNOR (a wire or an INV) a bit and an AND tree */
static int eq_const(struct cm_nl *nl, int w, const int *x, long long k)
{
    if (k >> w)
        return CM_NL_0;
    int lit[CM_NL_MAX_ADD];
    for (int i = 0; i < w; i++)
        lit[i] = (k >> i) & 1 ? x[i] : cm_nl_inv(nl, x[i]);
    return cm_nl_and_n(nl, w, lit);
}

void cm_nl_unit_ctl_path(struct cm_nl *nl, const struct cm_ctl_path_cfg *c)
{
    const struct cm_ctl_widths *w = &c->w;
    const enum cm_adder_arch arch = c->arch;
    const int R = c->pe_rows, M = c->act_bits, TW = w->tile, PW = w->pos, BKW = w->bank;
    const int SKW = w->skip, merges = c->merges || c->add_stream, add_ = c->add_stream;
    assert(R >= 1 && R <= CM_NL_MAX_BUS && M >= 1 && M <= 8 && TW <= 40 && PW <= 40 && BKW <= 48 && SKW <= 48);
    int en, x[CM_NL_MAX_ADD], y[CM_NL_MAX_ADD], s[CM_NL_MAX_ADD], t2[CM_NL_MAX_ADD];
    wires(nl, 1, &en);

    /* the layer's descriptor, loaded in CONFIG (an enabled register a
     * field): the flags (scores, input bank, sign input, last; with a merge
     * its kind and the skip write, a side output), the tile and channel
     * counts and the tables' bases, the passes and output bits, the plane
     * sizes; an add stream's flag, shift and constants' base; pow2 codes */
    const int flags = 4 + 1 + (merges ? 2 + 1 : 0) + (c->mux_both ? 1 : 0) +
                      (add_ ? 1 + c->rq_shift_bits : 0) + (c->pow2_codes ? 1 : 0);
    const int desc_bits = flags + TW * (3 + merges) + PW * 2 + w->chunk * 2 + 3 * 8 + 2 * BKW +
                          w->weight + w->valid + (add_ ? w->rq : 0);
    for (int i = 0; i < desc_bits; i += CM_NL_MAX_ADD) {
        const int n = desc_bits - i < CM_NL_MAX_ADD ? desc_bits - i : CM_NL_MAX_ADD;
        wires(nl, n, x);
        reg_en(nl, n, x, en);
    }

    /* the running indices: vi (valid words) and wi, wt (weight words)
     * stepped by one, cleared or held; bo the plane's offset, bo + the plane
     * bits; each an enabled register of its next value */
    int clr, sel;
    wires(nl, 1, &clr);
    wires(nl, 1, &sel);
    const int nclr = cm_nl_inv(nl, clr);
    const int idx_w[3] = {w->valid, w->weight, BKW};
    for (int k = 0; k < 3; k++) {
        wires(nl, idx_w[k], x);
        if (k < 2)
            add_const(nl, arch, idx_w[k], x, 1, s);
        else {
            wires(nl, BKW, y);
            add(nl, arch, BKW, x, y, s);
        }
        for (int i = 0; i < idx_w[k]; i++)
            s[i] = cm_nl_and(nl, cm_nl_mux(nl, sel, x[i], s[i]), nclr);
        if (k == 1) { /* wi also takes wt; wt takes wi + 1 */
            wires(nl, w->weight, y);
            for (int i = 0; i < w->weight; i++) {
                t2[i] = cm_nl_and(nl, s[i], nclr);
                s[i] = cm_nl_mux(nl, clr, s[i], y[i]);
            }
            reg_en(nl, w->weight, t2, en);
        }
        reg_en(nl, idx_w[k], s, en);
    }

    /* the tables' addresses, base + index: the position table's for the
     * issue, the THR register and the output entering THR (and an add
     * stream's skip load), the chunk's, the valid word's, the weight word's,
     * the threshold tile's (and the requantizer's) */
    const int n_pos_adds = 3 + (add_ ? 1 : 0);
    for (int k = 0; k < n_pos_adds; k++) {
        wires(nl, PW, x);
        wires(nl, PW, y);
        add(nl, arch, PW, x, y, s);
    }
    const int tab_w[4] = {w->chunk, w->valid, c->pow2_codes ? 0 : w->weight, TW};
    for (int k = 0; k < 4; k++)
        if (tab_w[k] > 0) {
            wires(nl, tab_w[k], x);
            wires(nl, tab_w[k], y);
            add(nl, arch, tab_w[k], x, y, s);
        }
    if (add_) {
        wires(nl, w->rq, x);
        wires(nl, w->rq, y);
        add(nl, arch, w->rq, x, y, s);
    }

    /* the shift tag b + j, its first and last flags */
    wires(nl, c->shift_bits, x);
    wires(nl, c->shift_bits, y);
    add(nl, arch, c->shift_bits, x, y, s);

    /* the tile arithmetic: a tile's first channel t R (THR's output, the
     * written word's; an add stream's skip load), the channels left of the
     * skip (and an add stream's output) and their skip addresses */
    int xrem[CM_NL_MAX_ADD], orem[CM_NL_MAX_ADD], xs_base[CM_NL_MAX_ADD], wr_rows[CM_NL_MAX_ADD];
    int wsk[CM_NL_MAX_ADD];
    for (int k = 0; k < 2 + add_; k++) {
        int tR[CM_NL_MAX_ADD], tR_s[CM_NL_MAX_ADD], xz[CM_NL_MAX_ADD], tz[CM_NL_MAX_ADD];
        wires(nl, TW, x);
        mul_const(nl, arch, TW, x, R, tR);
        for (int i = 0; i < SKW; i++)
            tR_s[i] = i < TW ? tR[i] : CM_NL_0;
        for (int i = 0; i < TW + 1; i++)
            tz[i] = i < TW ? tR[i] : CM_NL_0;
        if (k == 1) { /* the write-back's: its rows, bank and skip addresses */
            wires(nl, TW, y);
            cm_nl_sub(nl, arch, TW, y, tR, wr_rows, NULL);
            reg(nl, TW, wr_rows);
            int hb[CM_NL_MAX_ADD], hbR[CM_NL_MAX_ADD], bsel;
            wires(nl, BKW, hb);
            for (int i = 0; i < BKW; i++)
                hbR[i] = i < TW ? tR[i] : CM_NL_0;
            add(nl, arch, BKW, hb, hbR, s);
            wires(nl, 1, &bsel);
            s[BKW - 1] = cm_nl_xor(nl, s[BKW - 1], bsel);
            reg(nl, BKW, s);
            if (merges && !add_) {
                wires(nl, SKW, x);
                add(nl, arch, SKW, x, tR_s, wsk);
                reg(nl, SKW, wsk);
            }
            continue;
        }
        if (!merges)
            continue;
        /* k 0: the output entering THR (an add stream: its skip write's
         * channels and address; or, mux: its skip read's); k 2: an add
         * stream's skip load (its skip read's) */
        wires(nl, TW, y);
        for (int i = 0; i < TW + 1; i++)
            xz[i] = i < TW ? y[i] : CM_NL_0;
        wires(nl, SKW, x);
        if (k == 0 && add_) {
            cm_nl_sub(nl, arch, TW + 1, xz, tz, orem, NULL);
            add(nl, arch, SKW, x, tR_s, wsk);
        } else {
            cm_nl_sub(nl, arch, TW + 1, xz, tz, xrem, NULL);
            add(nl, arch, SKW, x, tR_s, xs_base);
        }
    }

    /* the write-back's other registers: pending, the skip and side flags,
     * the plane bits, the tile and position, the output bits */
    const int wb_bits = 1 + 1 + (merges && !add_ ? 1 : 0) + BKW + TW + PW + 8;
    for (int i = 0; i < wb_bits; i += CM_NL_MAX_ADD) {
        const int n = wb_bits - i < CM_NL_MAX_ADD ? wb_bits - i : CM_NL_MAX_ADD;
        wires(nl, n, x);
        reg(nl, n, x);
    }

    /* the ports: PE r reads its skip value at base + r when r is below the
     * channels left (an add stream: from its skip load, merge.c's skip value
     * register), and the write-back writes plane b of channel r at the
     * word's address + b x plane bits + r when b is below the output bits
     * and r below its rows (a write enable an AND2), and the skip value at
     * the skip address + r */
    int dm;
    wires(nl, 1, &dm);
    int rowen[CM_NL_MAX_BUS];
    for (int r = 0; r < R && merges; r++) {
        add_const(nl, arch, SKW, xs_base, r, s);
        cm_nl_and(nl, gt_const(nl, arch, TW + 1, xrem, r), dm);
    }
    int wbits[8], plane[CM_NL_MAX_ADD], base[CM_NL_MAX_ADD];
    wires(nl, 8, wbits);
    wires(nl, BKW, plane);
    wires(nl, BKW, base);
    for (int r = 0; r < R; r++)
        rowen[r] = gt_const(nl, arch, TW, wr_rows, r);
    for (int b = 0; b < M; b++) {
        const int ben = gt_const(nl, arch, 8, wbits, b);
        int pb[CM_NL_MAX_ADD], a[CM_NL_MAX_ADD];
        mul_const(nl, arch, BKW, plane, b, pb);
        add(nl, arch, BKW, base, pb, a);
        for (int r = 0; r < R; r++) {
            add_const(nl, arch, BKW, a, r, s);
            cm_nl_and(nl, ben, rowen[r]);
        }
    }
    for (int r = 0; r < R && merges; r++) {
        add_const(nl, arch, SKW, wsk, r, s);
        if (add_)
            gt_const(nl, arch, TW + 1, orem, r);
    }
}

struct cm_count cm_ctl_path(const struct cm_ctl_path_cfg *c)
{
    struct cm_nl nl = {0};
    cm_nl_unit_ctl_path(&nl, c);
    return nl.count;
}

/* The score register file: class k is written from PE k mod R in tile
 * k / R while k is below the layer's channels (an enabled register of
 * acc_bits each, its enable a compare of the tile with a constant), and read
 * by the class walk through a MUX2 tree (classes - 1 a bit). */
struct cm_count cm_score_regfile(int classes, int acc_bits, int pe_rows, int tile_bits,
                                 enum cm_adder_arch arch)
{
    assert(classes >= 1 && acc_bits >= 1 && acc_bits <= 64 && tile_bits >= 1 &&
           tile_bits <= CM_NL_MAX_ADD);
    struct cm_nl nl = {0};
    int at[CM_NL_MAX_ADD], outc[CM_NL_MAX_ADD], acc[64], wr;
    wires(&nl, tile_bits, at);
    wires(&nl, tile_bits, outc);
    wires(&nl, 1, &wr);
    for (int k = 0; k < classes; k++) {
        const int e = cm_nl_and(&nl, cm_nl_and(&nl, eq_const(&nl, tile_bits, at, k / pe_rows),
                                               gt_const(&nl, arch, tile_bits, outc, k)),
                                wr);
        wires(&nl, acc_bits, acc);
        if (e == CM_NL_0 || e == CM_NL_1) /* never or always written (tile_bits too few) */
            reg(&nl, acc_bits, acc);
        else
            reg_en(&nl, acc_bits, acc, e);
    }
    nl.count.n[CM_MUX2] += (double)(classes - 1) * acc_bits;
    return nl.count;
}

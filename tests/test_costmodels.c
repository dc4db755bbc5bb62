/* tests/test_costmodels.c: the design-level cost models (costmodels/design.h,
 * latency.h, hw.h) on a small network whose numbers are derived by hand.
 *
 * Tolerance policy: cycles, bits and access counts are integers and compared
 * exactly; energies and areas are sums of doubles and compared with a
 * relative tolerance of 1e-9 (rounding of the summation order only). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costmodels/design.h"
#include "costmodels/energy.h"
#include "costmodels/netlist.h"
#include "costmodels/units.h"
#include "tests/testutil.h"

static const double rel_tol = 1e-9;

static int close_rel(double a, double b)
{
    double s = fmax(fabs(a), fabs(b));
    return fabs(a - b) <= rel_tol * (s > 1e-30 ? s : 1.0);
}

/* A 3-layer network on a 4x4x1 image: conv3 (8-bit pixels -> 2 channels,
 * 1 bit), conv3 merging its input with `merge`, dense to 10 scores. With
 * merge = ADD both conv layers are on the add stream. Ternary weights. */
static void small_net(struct cm_net *net, struct cm_layer *L, int merge)
{
    memset(net, 0, sizeof *net);
    memset(L, 0, 3 * sizeof *L);
    net->n_layers = 3;
    net->layers = L;
    net->in_h = net->in_w = 4;
    net->in_c = 1;
    net->n_class = 10;
    for (int i = 0; i < 2; i++) {
        L[i] = (struct cm_layer){.op = CM_OP_CONV, .in_h = 4, .in_w = 4, .in_c = i ? 2 : 1,
                                 .out_h = 4, .out_w = 4, .out_c = 2, .k = 3, .stride = 1,
                                 .pad = 1, .in_bits = i ? 1 : 8, .w_mag_bits = 1, .w_max = 1,
                                 .out_bits = 1};
        if (merge == CM_MERGE_ADD) {
            L[i].res = 1;
            L[i].res_bits = 6;
        }
    }
    L[1].merge = merge;
    L[2] = (struct cm_layer){.op = CM_OP_DENSE, .in_h = 4, .in_w = 4, .in_c = 2, .out_h = 1,
                             .out_w = 1, .out_c = 10, .k = 1, .stride = 1, .in_bits = 1,
                             .w_mag_bits = 1, .w_max = 1, .scores = 1};
}

static void small_hw(struct cm_hw *hw)
{
    cm_hw_defaults(hw);
    hw->pe_rows = 2;
    hw->lanes = 8;
    hw->acc_bits = 16;
    hw->rq_mul_bits = 16;
    hw->res_bits = 6;
    hw->clock_mhz = 100.0;
    hw->act_kbits = 1.0;
    hw->weight_kbits = 4.0;
    hw->skip_kbits = 1.0;
}

static void test_cycles(void)
{
    struct cm_net net;
    struct cm_layer L[3];
    struct cm_hw hw;
    small_hw(&hw);
    small_net(&net, L, CM_MERGE_OR);
    struct cm_cycles c;
    /* layer 1: T 1, P 16, Q ceil(9/8) = 2, Bw 1, Ba 8: N 256, + config + 4 */
    cm_layer_cycles(&hw, &L[0], &c);
    TU_CHECK(c.tiles == 1 && c.positions == 16 && c.chunks == 2 && c.w_passes == 1 &&
                 c.a_planes == 8 && c.issue == 256 && c.total == 261,
             "layer 1: T %lld P %lld Q %lld Bw %lld Ba %lld N %lld total %lld (want 261)",
             c.tiles, c.positions, c.chunks, c.w_passes, c.a_planes, c.issue, c.total);
    /* layer 2: Q ceil(18/8) = 3, Ba 1: N 48, total 53 */
    cm_layer_cycles(&hw, &L[1], &c);
    TU_CHECK(c.issue == 48 && c.total == 53, "layer 2: N %lld total %lld (want 48, 53)",
             c.issue, c.total);
    /* layer 3: T ceil(10/2) = 5, Q ceil(32/8) = 4: N 20; 1 + 20 + 3 + 10 + 2 */
    cm_layer_cycles(&hw, &L[2], &c);
    TU_CHECK(c.issue == 20 && c.total == 36, "layer 3: N %lld total %lld (want 20, 36)",
             c.issue, c.total);
    /* on the add stream: two more stages */
    small_net(&net, L, CM_MERGE_ADD);
    cm_layer_cycles(&hw, &L[0], &c);
    TU_CHECK(c.total == 263 && c.merge_extra == 2, "add layer 1: total %lld extra %lld",
             c.total, c.merge_extra);
    /* pooling computes complete windows only: 5x5 output, pool 2 -> 16 */
    struct cm_layer p = L[0];
    p.out_h = p.out_w = 5;
    p.pool = 2;
    TU_CHECK(cm_layer_positions(&p) == 16, "pool positions %lld (want 16)",
             cm_layer_positions(&p));
    /* 2-bit weight magnitudes and 2-bit activations multiply the passes */
    p = L[1];
    p.w_mag_bits = 2;
    p.in_bits = 2;
    cm_layer_cycles(&hw, &p, &c);
    TU_CHECK(c.issue == 48 * 4, "2-bit x 2-bit: N %lld (want 192)", c.issue);
}

/* The merge path of the OR design, by hand: per PE one OR2 (generic45: 1.33
 * NAND2 eq; the skip bit is the skip buffer's output, no DFF, as the
 * thresholds are the weight buffer's: docs/accelerator.md, "Per-channel
 * parameters"); the skip buffer holds layer 2's
 * input, 4*4*2 bits; layer 2 reads 16 skip words of 2 bits, layer 1 writes
 * 16; 32 ORs; no extra cycles. */
static void test_merge_paths(void)
{
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_hw hw;
    small_hw(&hw);
    struct cm_net net_or, net_mux, net_add;
    struct cm_layer Lo[3], Lm[3], La[3];
    small_net(&net_or, Lo, CM_MERGE_OR);
    small_net(&net_mux, Lm, CM_MERGE_MUX);
    small_net(&net_add, La, CM_MERGE_ADD);
    static struct cm_design d_or, d_mux, d_add;
    struct cm_error err;
    TU_CHECK(cm_design_eval(&d_or, &hw, &lib, &net_or, &err) == CM_OK, "or: %s", err.msg);
    TU_CHECK(cm_design_eval(&d_mux, &hw, &lib, &net_mux, &err) == CM_OK, "mux: %s", err.msg);
    TU_CHECK(cm_design_eval(&d_add, &hw, &lib, &net_add, &err) == CM_OK, "add: %s", err.msg);

    /* the merge path's gates: the merge units, and the skip buffer's
     * addressing in the controller (its ports' address adders and compares,
     * the descriptor's merge fields: cm_ctl_path's share of a merge), the
     * same for or and mux */
    const double skip_or = cm_count_nand2(&d_or.merge_part[CM_MP_SKIP], &lib);
    const double skip_mux = cm_count_nand2(&d_mux.merge_part[CM_MP_SKIP], &lib);
    TU_CHECK(skip_or > 50.0 && fabs(skip_or - skip_mux) < 1e-9,
             "or, mux: the skip buffer's addressing %.4f, %.4f (want equal, > 50)", skip_or,
             skip_mux);
    double or_gates = 2.0 * lib.cell[CM_OR2].nand2_eq;
    TU_CHECK(fabs(d_or.merge.nand2 - skip_or - or_gates) < 1e-9 && fabs(or_gates - 2.67) < 0.02,
             "or merge gates %.4f (want %.4f = 2 x OR2 + %.4f)", d_or.merge.nand2, or_gates,
             skip_or);
    TU_CHECK(d_or.merge.skip_used_bits == 32 && d_or.merge.cycles == 0,
             "or skip used %.0f bits (want 32), extra cycles %.0f", d_or.merge.skip_used_bits,
             d_or.merge.cycles);
    TU_CHECK(d_or.layer[1].reads[CM_BUF_SKIP] == 16 && d_or.layer[0].writes[CM_BUF_SKIP] == 16,
             "or skip traffic: reads %.0f writes %.0f (want 16, 16)",
             d_or.layer[1].reads[CM_BUF_SKIP], d_or.layer[0].writes[CM_BUF_SKIP]);
    const double S = 1024.0;
    double e_or = 32.0 * cm_energy_gate_pj(&lib, CM_OR2) + 32.0 * cm_sram_access_pj(S, 2.0, 2.0) +
                  (d_or.unit_leak_nw[CM_U_MERGE] + cm_sram_leakage_nw(S)) * d_or.latency_us *
                      1e-3;
    TU_CHECK(close_rel(d_or.merge.energy_pj, e_or), "or merge energy %.6g pJ (want %.6g)",
             d_or.merge.energy_pj, e_or);

    /* MUX: per PE a MUX2 and an OR2, as cm_merge_mux counts them (the select
     * bit and the skip bit are their buffers' outputs: no DFF); plus 2
     * select bits of parameters in the skip buffer and one parameter read
     * per tile. */
    struct cm_count mux = cm_merge_mux(1, CM_MUX_OR);
    double mux_gates = 2.0 * cm_count_nand2(&mux, &lib);
    TU_CHECK(fabs(mux_gates - 2.0 * (lib.cell[CM_MUX2].nand2_eq + lib.cell[CM_OR2].nand2_eq)) <
                     1e-9 &&
                 fabs(d_mux.merge.nand2 - skip_mux - mux_gates) < 1e-9,
             "mux merge gates %.4f (want %.4f = 2 x (MUX2 + OR2) + the skip's addressing)",
             d_mux.merge.nand2, mux_gates);
    TU_CHECK(d_mux.hw.mux == CM_MUX_OR, "the network's MUX variant (or) is the design's");

    /* the `sel` variant (y = sel ? skip : a): the same unit without the OR2,
     * priced from the network's layers (auto) or fixed by [merge] mux */
    static struct cm_design d_sel;
    for (int i = 0; i < net_mux.n_layers; i++)
        Lm[i].mux_variant = CM_MUX_SEL;
    TU_CHECK(cm_design_eval(&d_sel, &hw, &lib, &net_mux, &err) == CM_OK, "mux sel: %s", err.msg);
    struct cm_count or2 = cm_merge_or(1);  /* one OR2 */
    const double or2_gates = cm_count_nand2(&or2, &lib);
    TU_CHECK(d_sel.hw.mux == CM_MUX_SEL && fabs(d_mux.merge.nand2 - d_sel.merge.nand2 -
                                                 2.0 * or2_gates) < 1e-9,
             "mux sel merge gates %.4f: the or variant's %.4f less 2 OR2 (%.4f)",
             d_sel.merge.nand2, d_mux.merge.nand2, 2.0 * or2_gates);
    struct cm_hw hw_or = hw;
    hw_or.mux = CM_MUX_OR;
    TU_CHECK(cm_design_eval(&d_sel, &hw_or, &lib, &net_mux, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "[merge] mux = or"),
             "a sel network on an or-variant unit is infeasible: %s", err.msg);
    for (int i = 0; i < net_mux.n_layers; i++)
        Lm[i].mux_variant = CM_MUX_OR;
    TU_CHECK(d_mux.merge.skip_used_bits == 34, "mux skip used %.0f bits (want 32 + 2)",
             d_mux.merge.skip_used_bits);

    /* ADD: 6-bit skip values, both layers requantize (2 x 16 requantizations
     * + 16 stream adds in layer 2), 2 extra cycles per layer. */
    TU_CHECK(d_add.merge.cycles == 4, "add extra cycles %.0f (want 4)", d_add.merge.cycles);
    TU_CHECK(d_add.merge.skip_used_bits == 4 * 4 * 2 * 6 + 2 * 2 * (2 * 16 + 16),
             "add skip used %.0f bits (want 192 + 192 parameter bits)",
             d_add.merge.skip_used_bits);
    TU_CHECK(d_add.layer[0].ops[CM_OPK_MERGE] == 32 && d_add.layer[1].ops[CM_OPK_MERGE] == 32,
             "add requantizations %.0f, %.0f (want 32, 32)", d_add.layer[0].ops[CM_OPK_MERGE],
             d_add.layer[1].ops[CM_OPK_MERGE]);
    /* layer 1 writes the unpooled stream: 16 words */
    TU_CHECK(d_add.layer[0].writes[CM_BUF_SKIP] == 16, "add skip writes %.0f",
             d_add.layer[0].writes[CM_BUF_SKIP]);

    /* Everything else is the same, so every total differs by exactly the
     * merge paths' difference. */
    const struct cm_design *ds[3] = {&d_or, &d_mux, &d_add};
    const char *names[3] = {"or", "mux", "add"};
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++) {
            const struct cm_design *x = ds[a], *y = ds[b];
            TU_CHECK(close_rel(x->logic_nand2 - y->logic_nand2, x->merge.nand2 - y->merge.nand2),
                     "%s vs %s: gates differ by %.6f, merge paths by %.6f", names[a], names[b],
                     x->logic_nand2 - y->logic_nand2, x->merge.nand2 - y->merge.nand2);
            TU_CHECK(x->buf_bits[CM_BUF_SKIP] - y->buf_bits[CM_BUF_SKIP] ==
                         x->merge.skip_bits - y->merge.skip_bits,
                     "%s vs %s: skip bits", names[a], names[b]);
            TU_CHECK((double)(x->cycles - y->cycles) == x->merge.cycles - y->merge.cycles,
                     "%s vs %s: cycles differ by %lld, merge paths by %.0f", names[a], names[b],
                     x->cycles - y->cycles, x->merge.cycles - y->merge.cycles);
            double de = x->energy.total_pj - y->energy.total_pj;
            double dp = x->merge.energy_pj - y->merge.energy_pj;
            TU_CHECK(fabs(de - dp) <= rel_tol * fmax(x->energy.total_pj, 1.0),
                     "%s vs %s: energy differs by %.9g pJ, merge paths by %.9g pJ", names[a],
                     names[b], de, dp);
            printf("%s - %s: gates %+.2f NAND2, skip %+.0f bits, cycles %+lld, energy %+.6f pJ "
                   "(merge paths: same)\n", names[a], names[b], x->logic_nand2 - y->logic_nand2,
                   x->buf_bits[CM_BUF_SKIP] - y->buf_bits[CM_BUF_SKIP], x->cycles - y->cycles,
                   de);
        }
    /* the analytic cycles: 261 + 53 + 36 (or); +2 per add-stream layer */
    TU_CHECK(d_or.cycles == 350 && d_add.cycles == 354, "cycles or %lld add %lld (want 350, 354)",
             d_or.cycles, d_add.cycles);
}

static void test_infeasible(void)
{
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_net net;
    struct cm_layer L[3];
    struct cm_hw hw;
    static struct cm_design d;
    struct cm_error err;
    small_net(&net, L, CM_MERGE_OR);
    small_hw(&hw);
    hw.act_kbits = 0.1;  /* 102 bits < layer 1's 128-bit input */
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "layer 1") && strstr(err.msg, "act_kbits"),
             "small act bank: \"%s\"", err.msg);
    small_hw(&hw);
    hw.skip_kbits = 0.01;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "layer 1") && strstr(err.msg, "skip_kbits"),
             "small skip buffer: \"%s\"", err.msg);
    small_hw(&hw);
    hw.weight_kbits = 0.1;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "weight_kbits"),
             "small weight buffer: \"%s\"", err.msg);
    small_hw(&hw);
    hw.acc_bits = 4;  /* layer 1: 9 * 255 needs 13 bits */
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "layer 1") && strstr(err.msg, "acc_bits"),
             "narrow accumulator: \"%s\"", err.msg);
    small_hw(&hw);
    hw.merge = CM_MERGE_ADD;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "layer 2") && strstr(err.msg, "[merge] kind"),
             "wrong merge unit: \"%s\"", err.msg);
    small_hw(&hw);
    hw.max_act_bits = 1;
    L[1].out_bits = 2;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "max_act_bits"),
             "2-bit activations on a 1-bit design: \"%s\"", err.msg);
    /* auto widths (the default): the design is sized for the widest layer */
    small_hw(&hw);
    L[0].w_mag_bits = 3;
    L[0].w_max = 7;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_OK && d.hw.max_act_bits == 2 &&
                 d.hw.max_w_bits == 3,
             "auto widths: max_act_bits %d, max_w_bits %d (%s)", d.hw.max_act_bits,
             d.hw.max_w_bits, err.msg);
    hw.max_w_bits = 2;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "layer 1") && strstr(err.msg, "max_w_bits = 2"),
             "3 magnitude planes on a 2-plane design: \"%s\"", err.msg);
    L[0].w_mag_bits = 1;
    L[0].w_max = 1;
    small_net(&net, L, CM_MERGE_ADD);
    small_hw(&hw);
    net.has_consts = 1;
    L[1].max_abs_mul = 1 << 20;  /* needs 22 bits, the design has 16 */
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "layer 2") && strstr(err.msg, "rq_mul_bits"),
             "wide requantizer constant: \"%s\"", err.msg);
    /* auto sizes the buffers to the need */
    small_net(&net, L, CM_MERGE_OR);
    small_hw(&hw);
    hw.act_kbits = hw.weight_kbits = hw.skip_kbits = 0.0;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_OK &&
                 d.buf_bits[CM_BUF_ACT] == d.buf_used_bits[CM_BUF_ACT] &&
                 d.buf_bits[CM_BUF_SKIP] == 32 &&
                 d.buf_bits[CM_BUF_WEIGHT] == d.buf_used_bits[CM_BUF_WEIGHT],
             "auto buffers: act %.0f/%.0f skip %.0f", d.buf_bits[CM_BUF_ACT],
             d.buf_used_bits[CM_BUF_ACT], d.buf_bits[CM_BUF_SKIP]);
    /* weights 2*9*2 + 2*18*2 + 10*32*2 bits, thresholds 2*16 + 2*16, scores 10*(2*16+16) */
    TU_CHECK(d.buf_used_bits[CM_BUF_WEIGHT] == 36 + 72 + 640 + 32 + 32 + 480,
             "weight bits %.0f (want 1292)", d.buf_used_bits[CM_BUF_WEIGHT]);
}

static void test_hw_keys(void)
{
    struct cm_hw hw;
    struct cm_error err;
    cm_hw_defaults(&hw);
    TU_CHECK(cm_hw_set(&hw, "array", "lanes", "128", &err) == CM_OK && hw.lanes == 128,
             "lanes = 128: %s", err.msg);
    TU_CHECK(cm_hw_set(&hw, "array", "adder", "kogge-stone", &err) == CM_OK &&
                 hw.adder == CM_ADDER_KOGGE_STONE,
             "adder: %s", err.msg);
    TU_CHECK(cm_hw_set(&hw, "buffers", "skip_kbits", "auto", &err) == CM_OK &&
                 hw.skip_kbits == 0.0,
             "skip auto: %s", err.msg);
    TU_CHECK(cm_hw_set(&hw, "merge", "kind", "mux", &err) == CM_OK && hw.merge == CM_MERGE_MUX,
             "merge mux: %s", err.msg);
    TU_CHECK(hw.clock_mhz == 0.0 && hw.add_stages == 2, "defaults: clock auto (%g), add_stages 2 "
             "(%d)", hw.clock_mhz, hw.add_stages);
    TU_CHECK(cm_hw_set(&hw, "design", "clock_mhz", "250", &err) == CM_OK && hw.clock_mhz == 250.0 &&
                 cm_hw_set(&hw, "design", "clock_mhz", "auto", &err) == CM_OK &&
                 hw.clock_mhz == 0.0,
             "clock_mhz 250 then auto: %s", err.msg);
    TU_CHECK(cm_hw_set(&hw, "merge", "add_stages", "1", &err) == CM_OK && hw.add_stages == 1,
             "add_stages = 1: %s", err.msg);
    struct {
        const char *s, *k, *v, *want;
    } bad[] = {
        {"array", "lanes", "many", "[array] lanes: expected an integer"},
        {"array", "lanes", "0", "[array] lanes"},
        {"array", "lanes", "12x", "[array] lanes"},
        {"array", "lane", "8", "[array] lane: unknown key"},
        {"arrays", "lanes", "8", "[arrays]: unknown section"},
        {"array", "adder", "magic", "[array] adder: expected ripple"},
        {"design", "clock_mhz", "-5", "[design] clock_mhz"},
        {"design", "clock_mhz", "nan", "[design] clock_mhz"},
        {"merge", "kind", "xor", "[merge] kind"},
        {"merge", "add_stages", "3", "[merge] add_stages: expected an integer in 1..2"},
        {"merge", "add_stages", "0", "[merge] add_stages"},
        {"merge", "add_stages", "two", "[merge] add_stages"},
        {"design", "clock_mhz", "fast", "[design] clock_mhz: expected auto or a number"},
        {"buffers", "act_kbits", "big", "[buffers] act_kbits: expected auto or a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        enum cm_status st = cm_hw_set(&hw, bad[i].s, bad[i].k, bad[i].v, &err);
        TU_CHECK(st == CM_ERR_ARG && strstr(err.msg, bad[i].want),
                 "[%s] %s = %s: status %d \"%s\" (want \"%s\")", bad[i].s, bad[i].k, bad[i].v,
                 st, err.msg, bad[i].want);
    }
}

/* The activity-to-energy function: with no activity only leakage remains;
 * the dynamic part is linear in the toggles; SRAM energy is accesses times
 * the per-access energy at the given widths. */
static void test_activity_energy(void)
{
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_hw hw;
    small_hw(&hw);
    struct cm_net net;
    struct cm_layer L[3];
    small_net(&net, L, CM_MERGE_OR);
    static struct cm_design d;
    struct cm_error err;
    TU_CHECK(cm_design_eval(&d, &hw, &lib, &net, &err) == CM_OK, "eval: %s", err.msg);
    struct cm_activity a = {.cycles = (double)d.cycles};
    struct cm_activity_energy e0, e1, e2;
    cm_energy_activity(&d, &lib, &a, &e0);
    double leak = (d.logic_leak_nw + d.buf_leak_nw[CM_BUF_ACT] + d.buf_leak_nw[CM_BUF_WEIGHT] +
                   d.buf_leak_nw[CM_BUF_SKIP]) * d.latency_us * 1e-3;
    TU_CHECK(close_rel(e0.total_pj, leak) && close_rel(e0.leak_pj, leak),
             "no activity: %.6g pJ (want the leakage %.6g)", e0.total_pj, leak);
    a.toggles[CM_U_POPCOUNT] = 1000.0;
    a.reads[CM_BUF_WEIGHT] = 10.0;
    a.read_bits[CM_BUF_WEIGHT] = 32.0;
    cm_energy_activity(&d, &lib, &a, &e1);
    a.toggles[CM_U_POPCOUNT] = 2000.0;
    cm_energy_activity(&d, &lib, &a, &e2);
    TU_CHECK(e1.unit_pj[CM_U_POPCOUNT] > 0.0 &&
                 close_rel(e2.unit_pj[CM_U_POPCOUNT], 2.0 * e1.unit_pj[CM_U_POPCOUNT]),
             "popcount toggles: %.6g pJ, doubled %.6g pJ", e1.unit_pj[CM_U_POPCOUNT],
             e2.unit_pj[CM_U_POPCOUNT]);
    TU_CHECK(close_rel(e1.sram_pj[CM_BUF_WEIGHT],
                       10.0 * cm_sram_access_pj(d.buf_bits[CM_BUF_WEIGHT],
                                                d.buf_word_bits[CM_BUF_WEIGHT], 32.0)),
             "weight reads: %.6g pJ", e1.sram_pj[CM_BUF_WEIGHT]);
    TU_CHECK(close_rel(e1.total_pj, e1.leak_pj + e1.unit_pj[CM_U_POPCOUNT] +
                                        e1.sram_pj[CM_BUF_WEIGHT]),
             "activity energy is the sum of its parts");
}

/* The shift PE on the small OR network with layer 2 made pow2:3 (3
 * magnitude planes, codes 0, +-1, +-2, +-4), by hand: on a bit-plane PE it
 * takes 3 weight passes, on a shift PE with 3 exponents 1 (N 48 instead of
 * 144) and so do its weight reads (48 words + 1 parameter read, of 2 PEs x
 * 8 lanes x 3 bits: sign, 2-bit exponent code, instead of 144 + 1 of
 * 2 x 8 x 2); the same layer with non-pow2 weights stays on the bit planes.
 * The shift design's PEs hold 3 pairs of popcount trees, the shift-add and
 * an accumulator fed 5-bit sums (pop_bits 4 + 3 - 1); its other units are
 * the bit-plane design's. */
static void test_shift_pe(void)
{
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_hw bp, sh;
    small_hw(&bp);
    bp.max_w_bits = 3;
    bp.weight_kbits = 0.0; /* auto: the need */
    sh = bp;
    sh.pe = CM_PE_SHIFT;
    struct cm_net net;
    struct cm_layer L[3];
    small_net(&net, L, CM_MERGE_OR);
    L[1].w_mag_bits = 3;
    L[1].w_max = 4;
    L[1].w_pow2 = 1;
    static struct cm_design db, ds;
    struct cm_error err;
    TU_CHECK(cm_design_eval(&db, &bp, &lib, &net, &err) == CM_OK, "bitplane: %s", err.msg);
    TU_CHECK(cm_design_eval(&ds, &sh, &lib, &net, &err) == CM_OK, "shift: %s", err.msg);
    TU_CHECK(db.layer[1].cyc.w_passes == 3 && db.layer[1].cyc.issue == 144 &&
                 ds.layer[1].cyc.w_passes == 1 && ds.layer[1].cyc.issue == 48,
             "pow2 layer: bitplane Bw %lld N %lld (want 3, 144), shift Bw %lld N %lld (want 1, "
             "48)", db.layer[1].cyc.w_passes, db.layer[1].cyc.issue, ds.layer[1].cyc.w_passes,
             ds.layer[1].cyc.issue);
    TU_CHECK(ds.cycles == db.cycles - 96, "shift design %lld cycles, bitplane %lld (want 96 fewer)",
             ds.cycles, db.cycles);
    TU_CHECK(db.layer[1].reads[CM_BUF_WEIGHT] == 145 && ds.layer[1].reads[CM_BUF_WEIGHT] == 49,
             "pow2 layer weight reads: bitplane %.0f shift %.0f (want 145, 49)",
             db.layer[1].reads[CM_BUF_WEIGHT], ds.layer[1].reads[CM_BUF_WEIGHT]);
    TU_CHECK(ds.buf_word_bits[CM_BUF_WEIGHT] >= 2 * 8 * 4,
             "shift weight word %.0f bits (want >= 64)", ds.buf_word_bits[CM_BUF_WEIGHT]);
    /* weights: layer 1 and 3 ternary (2 bits a weight), layer 2 4 bits a
     * weight on the bit planes (sign-magnitude, 1 + 3 planes) and 3 on the
     * shift path (sign + the 2-bit exponent code k, no nonzero bit);
     * thresholds 16 bits, score constants 2 x 16 + 16 */
    double w_need = 2.0 * 9 * 2 + 2.0 * 18 * 4 + 10.0 * 32 * 2 + 2 * 16 + 2 * 16 + 10.0 * 48;
    TU_CHECK(db.buf_used_bits[CM_BUF_WEIGHT] == w_need &&
                 ds.buf_used_bits[CM_BUF_WEIGHT] == w_need - 2.0 * 18,
             "weight bits: bitplane %.0f shift %.0f (want %.0f, %.0f)",
             db.buf_used_bits[CM_BUF_WEIGHT], ds.buf_used_bits[CM_BUF_WEIGHT], w_need,
             w_need - 2.0 * 18);
    /* stored as pow2 (sign + 2-bit code): 3 bits a weight on the bit planes
     * too, whose fetch unit then decodes it (R x lanes decoders), and 3 bits
     * read a lane a pass */
    L[1].w_code = CM_WCODE_POW2;
    static struct cm_design dp;
    TU_CHECK(cm_design_eval(&dp, &bp, &lib, &net, &err) == CM_OK, "bitplane pow2: %s", err.msg);
    struct cm_count dec = cm_pow2_decoder(8, 2);
    TU_CHECK(dp.buf_used_bits[CM_BUF_WEIGHT] == w_need - 2.0 * 18 &&
                 fabs(dp.unit_nand2[CM_U_ARRAY] - db.unit_nand2[CM_U_ARRAY] -
                      2.0 * cm_count_nand2(&dec, &lib)) < 1e-6 &&
                 dp.layer[1].cyc.w_passes == 3,
             "pow2 code on the bit planes: %.0f weight bits, array %.1f vs %.1f NAND2 eq "
             "(decoders %.1f), Bw %lld", dp.buf_used_bits[CM_BUF_WEIGHT],
             dp.unit_nand2[CM_U_ARRAY], db.unit_nand2[CM_U_ARRAY], cm_count_nand2(&dec, &lib),
             dp.layer[1].cyc.w_passes);
    L[1].w_code = 0;
    struct cm_count pop = cm_popcount(8, sh.adder);
    double pop_nand2 = 6.0 * 2 * cm_count_nand2(&pop, &lib);
    TU_CHECK(fabs(ds.unit_nand2[CM_U_POPCOUNT] - pop_nand2) < 1e-6 &&
                 fabs(db.unit_nand2[CM_U_POPCOUNT] * 3.0 - pop_nand2) < 1e-6,
             "popcount trees: shift %.1f bitplane %.1f NAND2 eq (want %.1f = 3 x)",
             ds.unit_nand2[CM_U_POPCOUNT], db.unit_nand2[CM_U_POPCOUNT], pop_nand2);
    struct cm_count acc = cm_shift_add(4, 3, sh.adder), a2 = cm_accumulator(6, 9, 16, sh.adder);
    double acc_nand2 = 2.0 * (cm_count_nand2(&acc, &lib) + cm_count_nand2(&a2, &lib));
    TU_CHECK(fabs(ds.unit_nand2[CM_U_ACCUM] - acc_nand2) < 1e-6,
             "shift accumulators %.1f NAND2 eq (want %.1f)", ds.unit_nand2[CM_U_ACCUM],
             acc_nand2);
    TU_CHECK(ds.unit_nand2[CM_U_THRESH] == db.unit_nand2[CM_U_THRESH] &&
                 ds.unit_nand2[CM_U_MERGE] == db.unit_nand2[CM_U_MERGE] &&
                 ds.unit_nand2[CM_U_ARRAY] > db.unit_nand2[CM_U_ARRAY],
             "shift design: threshold, merge as bitplane's, more lane logic");
    /* the same layer without power-of-two weights stays on the bit planes */
    L[1].w_pow2 = 0;
    TU_CHECK(cm_design_eval(&ds, &sh, &lib, &net, &err) == CM_OK, "shift: %s", err.msg);
    TU_CHECK(ds.layer[1].cyc.w_passes == 3 && ds.layer[1].reads[CM_BUF_WEIGHT] == 145,
             "non-pow2 layer on a shift PE: Bw %lld, %.0f weight reads (want 3, 145)",
             ds.layer[1].cyc.w_passes, ds.layer[1].reads[CM_BUF_WEIGHT]);
    /* the sums must fit the accumulator: 4 + 3 - 1 = 6 bits need acc_bits >= 7 */
    sh.acc_bits = 6;
    TU_CHECK(cm_design_eval(&ds, &sh, &lib, &net, &err) == CM_ERR_INFEASIBLE &&
                 strstr(err.msg, "pe = shift") && strstr(err.msg, "acc_bits"),
             "shift PE with narrow acc_bits: '%s'", err.msg);
}

/* Timing: unit paths derived by hand, the stage model, fmax and the clock. */
static void test_timing(void)
{
    struct cm_lib lib;
    cm_lib_default(&lib);
    const double fa = lib.cell[CM_FA].delay_ps, ha = lib.cell[CM_HA].delay_ps;
    const double x = lib.cell[CM_XOR2].delay_ps, nd = lib.cell[CM_NAND2].delay_ps;
    struct cm_path_opts o = {.lib = &lib, .mode = CM_DELAY_CELLS};
    /* a ripple adder with carry in and out: a chain of width FAs */
    for (int w = 1; w <= 16; w *= 2) {
        const struct cm_path p = cm_path_adder(&o, w, CM_ADDER_RIPPLE);
        TU_CHECK(fabs(p.ps - w * fa) < 1e-9, "ripple adder %d, cells: %.1f ps (want %.1f)", w,
                 p.ps, w * fa);
    }
    /* as gates: the first FA's sum (2 XOR2) or carry (XOR2 + 2 NAND2), then
     * each carry 2 NAND2s, the last sum one XOR2 after its carry in */
    o.mode = CM_DELAY_GATES;
    const struct cm_path g4 = cm_path_adder(&o, 4, CM_ADDER_RIPPLE);
    const double want_g4 = x + nd + nd + 2 * (2 * nd) + fmax(x, 2 * nd);
    TU_CHECK(fabs(g4.ps - want_g4) < 1e-9, "ripple adder 4, gates: %.1f ps (want %.1f)", g4.ps,
             want_g4);
    /* inputs arriving late shift the whole path */
    o.in_ps = 100.0;
    TU_CHECK(fabs(cm_path_adder(&o, 4, CM_ADDER_RIPPLE).ps - 100.0 - want_g4) < 1e-9,
             "inputs at 100 ps");
    o.in_ps = 0.0;
    o.mode = CM_DELAY_CELLS;
    /* a popcount of 2 is one HA; a register has no logic */
    TU_CHECK(fabs(cm_path_popcount(&o, 2, CM_ADDER_RIPPLE).ps - ha) < 1e-9, "popcount 2: %.1f",
             cm_path_popcount(&o, 2, CM_ADDER_RIPPLE).ps);
    TU_CHECK(cm_path_register(&o, 8).ps == 0.0, "register: no logic");
    /* a prefix adder is faster than a ripple one at 32 bits */
    TU_CHECK(cm_path_adder(&o, 32, CM_ADDER_KOGGE_STONE).ps <
                 cm_path_adder(&o, 32, CM_ADDER_RIPPLE).ps / 2,
             "kogge-stone 32 not faster than half a ripple adder");
    /* the add merge: with its cut, RQ + ADD spans both segments */
    o.cuts = 1;
    const struct cm_path cut = cm_path_merge_add(&o, 16, 16, 6, CM_ADDER_RIPPLE);
    o.cuts = 0;
    const struct cm_path whole = cm_path_merge_add(&o, 16, 16, 6, CM_ADDER_RIPPLE);
    TU_CHECK(cut.n_seg == 2 && whole.n_seg == 2 && fabs(cut.seg_ps[0] - whole.seg_ps[0]) < 1e-9 &&
                 whole.ps > cut.seg_ps[0] && whole.ps > cut.seg_ps[1] &&
                 whole.ps <= cut.seg_ps[0] + cut.seg_ps[1] + 1e-9,
             "merge_add: RQ %.0f ADD %.0f, one stage %.0f", cut.seg_ps[0], cut.seg_ps[1],
             whole.ps);

    /* the design: fmax from the slowest stage, clk-to-q and setup; auto
     * clocks at fmax; one add stage less is one cycle less a stream layer */
    struct cm_net net;
    struct cm_layer L[3];
    struct cm_hw hw;
    struct cm_error err;
    small_hw(&hw);
    hw.clock_mhz = 0.0;
    small_net(&net, L, CM_MERGE_ADD);
    struct cm_design *d2 = calloc(1, sizeof *d2), *d1 = calloc(1, sizeof *d1);
    TU_CHECK(d2 && d1, "out of memory");
    if (!d2 || !d1) {
        free(d1);
        free(d2);
        return;
    }
    TU_CHECK(cm_design_eval(d2, &hw, &lib, &net, &err) == CM_OK, "add, 2 stages: %s", err.msg);
    hw.add_stages = 1;
    TU_CHECK(cm_design_eval(d1, &hw, &lib, &net, &err) == CM_OK, "add, 1 stage: %s", err.msg);
    const struct cm_timing *t = &d2->timing;
    double slow = 0.0;
    for (int s = 0; s < CM_N_STAGES; s++)
        slow = t->present[s] && t->stage_ps[s] > slow ? t->stage_ps[s] : slow;
    TU_CHECK(fabs(t->period_ps - (slow + lib.cell[CM_DFF].delay_ps + lib.setup_ps)) < 1e-9 &&
                 fabs(t->fmax_mhz - 1e6 / t->period_ps) < 1e-9 &&
                 t->stage_ps[t->critical] == slow,
             "fmax %.2f MHz, period %.1f ps, slowest %.1f ps", t->fmax_mhz, t->period_ps, slow);
    TU_CHECK(d2->clock_auto && d2->hw.clock_mhz == t->fmax_mhz && !d2->clock_over_fmax,
             "auto clock %g (fmax %g)", d2->hw.clock_mhz, t->fmax_mhz);
    TU_CHECK(fabs(d2->latency_us - d2->cycles / t->fmax_mhz) < 1e-9, "latency at fmax");
    TU_CHECK(t->present[CM_STAGE_RQ] && t->present[CM_STAGE_ADD] && !t->present[CM_STAGE_RQ_ADD] &&
                 d1->timing.present[CM_STAGE_RQ_ADD] && !d1->timing.present[CM_STAGE_RQ],
             "add stages: RQ, ADD vs RQ+ADD");
    TU_CHECK(d1->timing.stage_ps[CM_STAGE_RQ_ADD] > t->stage_ps[CM_STAGE_RQ] &&
                 d1->timing.fmax_mhz <= t->fmax_mhz,
             "one add stage: RQ+ADD %.0f ps vs RQ %.0f ps, fmax %.1f vs %.1f MHz",
             d1->timing.stage_ps[CM_STAGE_RQ_ADD], t->stage_ps[CM_STAGE_RQ], d1->timing.fmax_mhz,
             t->fmax_mhz);
    long long stream_layers = 0;
    for (int i = 0; i < net.n_layers; i++)
        stream_layers += L[i].res && !L[i].scores;
    TU_CHECK(d1->cycles == d2->cycles - stream_layers && d1->merge.cycles == stream_layers &&
                 d2->merge.cycles == 2 * stream_layers,
             "cycles: 1 stage %lld, 2 stages %lld, %lld stream layers", d1->cycles, d2->cycles,
             stream_layers);
    /* the merge registers: one res_bits stage register, one valid bit and
     * one stage control register (shift, first, last, tile and position
     * tags) less */
    long long max_t = 1, max_p = 1;
    for (int i = 0; i < net.n_layers; i++) {
        max_t = d2->layer[i].cyc.tiles > max_t ? d2->layer[i].cyc.tiles : max_t;
        max_p = d2->layer[i].cyc.positions > max_p ? d2->layer[i].cyc.positions : max_p;
    }
    TU_CHECK(d2->unit[CM_U_MERGE].n[CM_DFF] - d1->unit[CM_U_MERGE].n[CM_DFF] ==
                 (double)hw.pe_rows * hw.res_bits + 1 + 6 + cm_bits_for(max_t) +
                     cm_bits_for(max_p),
             "merge DFFs %g vs %g", d2->unit[CM_U_MERGE].n[CM_DFF], d1->unit[CM_U_MERGE].n[CM_DFF]);
    const double fmax1 = d1->timing.fmax_mhz;
    const enum cm_stage crit1 = d1->timing.critical;
    /* a fixed clock above fmax is kept and flagged; below it is not */
    hw.add_stages = 2;
    hw.clock_mhz = floor(t->fmax_mhz) + 1.0;
    TU_CHECK(cm_design_eval(d1, &hw, &lib, &net, &err) == CM_OK && d1->clock_over_fmax &&
                 !d1->clock_auto && d1->hw.clock_mhz == hw.clock_mhz,
             "clock %g over fmax %g: flagged %d", hw.clock_mhz, t->fmax_mhz, d1->clock_over_fmax);
    hw.clock_mhz = floor(t->fmax_mhz);
    TU_CHECK(cm_design_eval(d1, &hw, &lib, &net, &err) == CM_OK && !d1->clock_over_fmax,
             "clock %g under fmax %g: flagged", hw.clock_mhz, t->fmax_mhz);
    printf("timing: small design, add merge: fmax %.1f MHz (critical %s), one add stage %.1f MHz "
           "(critical %s)\n",
           t->fmax_mhz, cm_stage_name(t->critical), fmax1, cm_stage_name(crit1));
    free(d1);
    free(d2);
}

/* The controller's widths from the memories' depths (cm_ctl_widths_of, the
 * RTL's localparams): a count holds its memory's depth, an address wraps
 * modulo a power of two at least the memory's size. The figures of
 * small.ini with res11-or at width 0.25 (docs/rtl.md). Then the controller's
 * datapath: a PE's port address is base + r with r a constant, folded
 * (never a full adder), so each PE more costs less than a full adder's
 * worth of its address bits. */
static void test_ctl_path(void)
{
    const struct cm_ctl_sizes sz = {.weight_words = 64, .positions = 4096, .chunks = 64,
                                    .valid_words = 8192, .thr_words = 16, .rq_words = 1,
                                    .bank_bits = 8192, .skip_values = 98304, .classes = 10};
    struct cm_ctl_widths w;
    cm_ctl_widths_of(16, &sz, &w);
    TU_CHECK(w.tile == 9 && w.pos == 13 && w.chunk == 7 && w.valid == 14 && w.weight == 7 &&
                 w.bank == 14 && w.skip == 18 && w.rq == 1 && w.cls == 5,
             "ctl widths tile %d pos %d chunk %d valid %d weight %d bank %d skip %d rq %d cls %d",
             w.tile, w.pos, w.chunk, w.valid, w.weight, w.bank, w.skip, w.rq, w.cls);
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_ctl_path_cfg c = {.pe_rows = 16, .act_bits = 1, .w = w, .merges = 1,
                                .shift_bits = 3, .arch = CM_ADDER_RIPPLE};
    const struct cm_count c16 = cm_ctl_path(&c);
    c.pe_rows = 32; /* the same widths (t x R still a shift): only the ports differ */
    const struct cm_count c32 = cm_ctl_path(&c);
    const struct cm_count full = cm_adder(w.skip, CM_ADDER_RIPPLE);
    /* a PE's skip read and write and bank write addresses, and their
     * compares: three folded adders, less than three full ones */
    const double per_pe = (cm_count_nand2(&c32, &lib) - cm_count_nand2(&c16, &lib)) / 16.0;
    TU_CHECK(per_pe > 0.0 && per_pe < 3.0 * cm_count_nand2(&full, &lib),
             "a PE's ports cost %.1f NAND2 eq (a %d-bit adder: %.1f)", per_pe, w.skip,
             cm_count_nand2(&full, &lib));
}

/* Reductions are balanced trees, as synthesis balances them: an OR of n
 * wires is ceil(log2 n) OR2 levels with n - 1 gates; the requantizer's
 * overflow detection is one, so saturating to 8 bits instead of 40 adds
 * that tree, not a chain of 32 OR2s. */
static void test_trees(void)
{
    struct cm_lib lib;
    cm_lib_default(&lib);
    const double orp = lib.cell[CM_OR2].delay_ps;
    for (int n = 1; n <= 40; n += 13) {
        struct cm_nl nl;
        struct cm_nl_timing tm;
        memset(&nl, 0, sizeof nl);
        memset(&tm, 0, sizeof tm);
        tm.lib = &lib;
        nl.tm = &tm;
        int w[40];
        cm_nl_input(&nl, "x", n, w);
        const int y = cm_nl_or_n(&nl, n, w);
        int levels = 0;
        while ((1 << levels) < n)
            levels++;
        TU_CHECK(nl.count.n[CM_OR2] == n - 1, "OR of %d: %.0f OR2 (want %d)", n,
                 nl.count.n[CM_OR2], n - 1);
        TU_CHECK(fabs(tm.arr_ps[y] - levels * orp) < 1e-9, "OR of %d: %.0f ps (want %d levels)",
                 n, tm.arr_ps[y], levels);
        free(tm.arr_ps);
    }
    struct cm_path_opts o = {.lib = &lib, .mode = CM_DELAY_GATES};
    const double p8 = cm_path_requant_mul(&o, 16, 32, 8, CM_ADDER_RIPPLE).ps;
    const double p40 = cm_path_requant_mul(&o, 16, 32, 40, CM_ADDER_RIPPLE).ps;
    TU_CHECK(p8 - p40 <= 6 * orp + lib.cell[CM_XOR2].delay_ps + 1e-9,
             "saturating to 8 bits adds %.0f ps over 40 bits (an OR tree: at most %.0f)", p8 - p40,
             6 * orp + lib.cell[CM_XOR2].delay_ps);
}

int main(void)
{
    test_hw_keys();
    test_cycles();
    test_merge_paths();
    test_shift_pe();
    test_infeasible();
    test_activity_energy();
    test_timing();
    test_ctl_path();
    test_trees();
    return tu_exit("test_costmodels");
}

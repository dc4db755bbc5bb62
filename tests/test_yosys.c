/* tests/test_yosys.c: the structural gate counts of costmodels/ against Yosys.
 *
 * Every unit kind of units.h, at several widths (lane counts up to 64, every
 * adder architecture), is written as structural Verilog (costmodels/verilog.h),
 * synthesized by Yosys and mapped by abc onto simple gates:
 *
 *     hierarchy -top M; proc; flatten; techmap; opt -fast;
 *     dfflegalize -cell $_DFF_P_ x;
 *     abc -script +strash;map,-a -liberty g45.lib; opt_clean; stat
 *
 * (the part of synth that a netlist of gates needs: synth's further passes,
 * FSM and memory extraction, resource sharing, gave the same counts on the
 * largest units at four times the run time).
 * g45.lib is written here from the default library (generic45): the cells
 * INV NAND2 NOR2 AND2 OR2 XOR2 XNOR2 MUX2 with their NAND2 equivalents as
 * areas; no adder cells, no AOI/OAI, no ANDNOT/ORNOT. So abc minimizes the
 * measure that logiq reports. dfflegalize turns the enable flip-flops that
 * opt infers back into $_DFF_P_ and logic, so that all logic goes through
 * abc; flip-flops stay $_DFF_P_ (weight DFF 5.67). Yosys' side is the
 * weighted sum of the mapped cells; logiq's side is the unit's count after
 * cm_count_gates_only (FA = 2 XOR2 + 3 NAND2, HA = XOR2 + AND2), in the same
 * NAND2 equivalents.
 *
 * Why "strash; map -a" and not abc's default script: the default script
 * rewrites the whole AIG (dc2, &dch, SAT sweeping) and, without a delay
 * target, turns every carry-lookahead or prefix adder into a ripple-like one
 * (a 16-bit Kogge-Stone adder maps to 152 NAND2 eq, the same as a ripple
 * adder, against 264 for its structure): it discards the architecture the
 * design chose for speed, and takes minutes on the larger multipliers. The
 * structural mapping keeps the netlist's structure and checks what a count
 * can get wrong: gates it counts that synthesis removes (dead or constant
 * logic, duplicates), cells miscounted, and a decomposition of the counted
 * gates that a mapper beats.
 *
 * Tolerance policy: every unit at every width within 15% of Yosys' count
 * (|logiq - yosys| / yosys <= 0.15).
 *
 * Timing: every unit's longest path (costmodels/timing.h, in the gates the
 * Verilog writes: CM_DELAY_GATES) against abc's delay of the same netlist.
 * The test writes a genlib of the simple gates with the library's delay_ps
 * as pin-to-pin delays (no load dependence, as logiq's model), turns each
 * unit's structural Verilog into a BLIF netlist of those cells (a statement
 * a cell, an FA's carry as its three NAND2s, flip-flops as latches, which
 * abc times as path ends), and has abc read it and print its delay
 * (print_stats). Tolerance policy: within 10% at every width
 * (|logiq - abc| / abc <= 0.10; flip-flops only: both 0); it prints the
 * worst deviation. It checks the arrival-time engine on exactly the gates
 * that are counted: every cell's delay, the constant folding, the full
 * adders' decomposition, the path ends at flip-flops.
 * Why not abc's delay after its own mapping: "strash; map -a" re-covers the
 * netlist, and with delays in the library it picks, among covers of equal
 * area, faster gates than logiq's (it also changes the gate counts, so the
 * count comparison above keeps a library without delays). That delay is
 * printed beside, for information and not as a check: it shows which units
 * a mapper would build faster (positive) or slower (negative) than
 * logiq's netlist: when written, from -30% (prefix subtractors, whose
 * lookahead abc's area-first cover rebuilds slower) to +31% (the
 * controller's counters, small multipliers and comparators).

 * Also, the arithmetic units at small widths are proved equivalent to
 * behavioural Verilog (a + b, a * b, ...) with Yosys' SAT solver (miter).
 *
 * Yosys is required (Debian package yosys): without it the test fails.
 * The Verilog goes to a temporary directory that is removed afterwards; the
 * syntheses run in a few Yosys processes, two at a time. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "costmodels/cells.h"
#include "costmodels/timing.h"
#include "costmodels/units.h"
#include "costmodels/verilog.h"
#include "tests/testutil.h"

static const double tolerance = 0.15;
static const double delay_tolerance = 0.10;

enum { MAX_CASES = 400, N_BATCHES = 8, MAX_PROCS = 2 };

struct ycase {
    char kind[24];        /* unit kind, for the table and the per-kind worst */
    char params[40];      /* its widths, for the table */
    char module[64];
    char *verilog;        /* structural module text (malloc'd) */
    char *behav;          /* behavioural reference, or NULL */
    struct cm_count count;
    struct cm_path path;  /* logiq's longest path, gates as written (CM_DELAY_GATES) */
    double yosys_nand2;   /* < 0: not parsed */
    double abc_ps;        /* ABC's delay of the mapped netlist; < 0: not parsed */
};

static struct ycase cases[MAX_CASES];
static int n_cases;
static char dir[512];

/* How logiq times the netlists it compares: the gates the Verilog writes
 * (an FA as 2 XOR2 + 3 NAND2), inputs at 0, the netlist as written (the
 * add merge and score unit unbroken, as in their Verilog). */
static struct cm_path_opts path_opts;

static struct ycase *add_case(const char *kind, const char *params, struct cm_count count,
                              struct cm_path path, char *verilog, char *behav)
{
    if (n_cases == MAX_CASES) {
        fprintf(stderr, "too many cases\n");
        exit(1);
    }
    struct ycase *c = &cases[n_cases];
    snprintf(c->kind, sizeof c->kind, "%s", kind);
    snprintf(c->params, sizeof c->params, "%s", params);
    snprintf(c->module, sizeof c->module, "u%03d", n_cases);
    c->count = count;
    c->path = path;
    TU_CHECK(!path.nomem, "%s %s: no path (out of memory)", kind, params);
    c->abc_ps = -1.0;
    c->verilog = verilog;
    c->behav = behav;
    c->yosys_nand2 = -1.0;
    TU_CHECK(verilog != NULL, "%s %s: no Verilog (out of memory)", kind, params);
    n_cases++;
    return c;
}

static void build_cases(void)
{
    static const int widths[] = {2, 4, 8, 16, 32};
    static const int lanes[] = {2, 4, 8, 16, 32, 64};
    char p[40], m[64];
    for (int a = 0; a < CM_N_ADDER_ARCHS; a++) {
        const char *an = cm_adder_arch_name(a);
        for (int i = 0; i < 5; i++) {
            const int w = widths[i], eq = w <= 8;
            snprintf(p, sizeof p, "%d %s", w, an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("adder", p, cm_adder(w, a), cm_path_adder(&path_opts, w, a), cm_verilog_adder(m, w, a),
                     eq ? cm_verilog_adder_behav("ref", w) : NULL);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("addr_add", p, cm_addr_add(w, a), cm_path_addr_add(&path_opts, w, a),
                     cm_verilog_addr_add(m, w, a), eq ? cm_verilog_addr_add_behav("ref", w) : NULL);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("subtractor", p, cm_subtractor(w, a), cm_path_subtractor(&path_opts, w, a), cm_verilog_subtractor(m, w, a),
                     eq ? cm_verilog_subtractor_behav("ref", w) : NULL);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("comparator", p, cm_comparator(w, a), cm_path_comparator(&path_opts, w, a), cm_verilog_comparator(m, w, a),
                     eq ? cm_verilog_comparator_behav("ref", w) : NULL);
        }
        static const int pop_n[] = {2, 3, 4, 7, 8, 16, 32, 64};
        for (int i = 0; i < 8; i++) {
            const int n = pop_n[i];
            snprintf(p, sizeof p, "%d %s", n, an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("popcount", p, cm_popcount(n, a), cm_path_popcount(&path_opts, n, a), cm_verilog_popcount(m, n, a),
                     n <= 16 ? cm_verilog_popcount_behav("ref", n) : NULL);
        }
        static const int mul[][2] = {{2, 2}, {3, 4}, {4, 4}, {8, 8}, {16, 16}, {32, 20}};
        for (int i = 0; i < 6; i++) {
            const int x = mul[i][0], y = mul[i][1];
            snprintf(p, sizeof p, "%dx%d %s", x, y, an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("multiplier", p, cm_multiplier(x, y, a), cm_path_multiplier(&path_opts, x, y, a), cm_verilog_multiplier(m, x, y, a),
                     x * y <= 16 ? cm_verilog_multiplier_behav("ref", x, y) : NULL);
        }
    }
    for (int i = 0; i < 5; i++) {
        const int w = widths[i], out = w < 32 ? 2 * w : 32;
        snprintf(p, sizeof p, "%d<<0..%d ->%d", w, w - 1, out);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("shifter", p, cm_shifter(w, w - 1, out), cm_path_shifter(&path_opts, w, w - 1, out), cm_verilog_shifter(m, w, w - 1, out),
                 w <= 8 ? cm_verilog_shifter_behav("ref", w, w - 1, out) : NULL);
        snprintf(p, sizeof p, "%d", w);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("register", p, cm_register(w), cm_path_register(&path_opts, w), cm_verilog_register(m, w), NULL);
    }
    for (int i = 0; i < 6; i++) {
        const int n = lanes[i];
        snprintf(p, sizeof p, "%d lanes", n);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("lane_logic", p, cm_lane_logic(n), cm_path_lane_logic(&path_opts, n), cm_verilog_lane_logic(m, n), NULL);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("fetch_gating", p, cm_fetch_gating(n), cm_path_fetch_gating(&path_opts, n), cm_verilog_fetch_gating(m, n), NULL);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("lane_logic_xnor", p, cm_lane_logic_xnor(n), cm_path_lane_logic_xnor(&path_opts, n), cm_verilog_lane_logic_xnor(m, n), NULL);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("fetch_gating_xnor", p, cm_fetch_gating_xnor(n), cm_path_fetch_gating_xnor(&path_opts, n), cm_verilog_fetch_gating_xnor(m, n), NULL);
    }
    /* the fetch unit's pow2 decoder: lanes x code bits */
    static const int p2d[][2] = {{2, 1}, {8, 2}, {32, 2}, {64, 2}, {16, 3}, {64, 3}};
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%d lanes, %d code bits", p2d[i][0], p2d[i][1]);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("pow2_decoder", p, cm_pow2_decoder(p2d[i][0], p2d[i][1]),
                 cm_path_pow2_decoder(&path_opts, p2d[i][0], p2d[i][1]),
                 cm_verilog_pow2_decoder(m, p2d[i][0], p2d[i][1]),
                 p2d[i][0] <= 16 ? cm_verilog_pow2_decoder_behav("ref", p2d[i][0], p2d[i][1])
                                 : NULL);
    }
    /* the fetch unit's activation decoder (tern: 2, pow2:3: 3, pow2:4: 4
     * code bits): lanes x code bits */
    static const int ad[][2] = {{2, 2}, {8, 3}, {16, 4}, {64, 3}};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%d lanes, %d code bits", ad[i][0], ad[i][1]);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("act_decoder", p, cm_act_decoder(ad[i][0], ad[i][1]),
                 cm_path_act_decoder(&path_opts, ad[i][0], ad[i][1]),
                 cm_verilog_act_decoder(m, ad[i][0], ad[i][1]),
                 ad[i][0] <= 16 ? cm_verilog_act_decoder_behav("ref", ad[i][0], ad[i][1]) : NULL);
    }
    /* the shift PE's lane logic: lanes x exponents */
    static const int shl[][2] = {{2, 2}, {8, 3}, {32, 3}, {64, 3}, {16, 4}, {32, 7}, {8, 1}};
    for (int i = 0; i < 7; i++) {
        snprintf(p, sizeof p, "%d lanes, %d exps", shl[i][0], shl[i][1]);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("lane_logic_shift", p, cm_lane_logic_shift(shl[i][0], shl[i][1]), cm_path_lane_logic_shift(&path_opts, shl[i][0], shl[i][1]), cm_verilog_lane_logic_shift(m, shl[i][0], shl[i][1]),
                 shl[i][0] <= 16 && shl[i][1] > 1
                     ? cm_verilog_lane_logic_shift_behav("ref", shl[i][0], shl[i][1])
                     : NULL);
    }
    static const int accs[][3] = {{2, 1, 4}, {3, 3, 8}, {5, 7, 16}, {7, 14, 32}, {7, 0, 16}};
    /* the shift PE's shift-add: pop_bits x exponents */
    static const int sha[][2] = {{3, 2}, {5, 3}, {7, 3}, {7, 4}, {7, 7}};
    static const int thrs[][2] = {{1, 4}, {3, 8}, {1, 16}, {7, 16}, {3, 32}, {15, 16}};
    static const int adds[][3] = {{8, 4, 4}, {16, 8, 8}, {24, 16, 16}, {32, 16, 16}};
    static const int scores[][3] = {{8, 4, 2}, {16, 8, 4}, {24, 16, 4}, {32, 16, 4}};
    for (int a = 0; a < CM_N_ADDER_ARCHS; a++) {
        const char *an = cm_adder_arch_name(a);
        for (int i = 0; i < 5; i++) {
            snprintf(p, sizeof p, "%d,sh%d,%d %s", accs[i][0], accs[i][1], accs[i][2], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("accumulator", p, cm_accumulator(accs[i][0], accs[i][1], accs[i][2], a), cm_path_accumulator(&path_opts, accs[i][0], accs[i][1], accs[i][2], a), cm_verilog_accumulator(m, accs[i][0], accs[i][1], accs[i][2], a), NULL);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("accumulator_xnor", p, cm_accumulator_xnor(accs[i][0], accs[i][1], accs[i][2], a), cm_path_accumulator_xnor(&path_opts, accs[i][0], accs[i][1], accs[i][2], a), cm_verilog_accumulator_xnor(m, accs[i][0], accs[i][1], accs[i][2], a), NULL);
        }
        for (int i = 0; i < 5; i++) {
            snprintf(p, sizeof p, "%d bits, %d exps %s", sha[i][0], sha[i][1], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("shift_add", p, cm_shift_add(sha[i][0], sha[i][1], a), cm_path_shift_add(&path_opts, sha[i][0], sha[i][1], a), cm_verilog_shift_add(m, sha[i][0], sha[i][1], a),
                     sha[i][0] * sha[i][1] <= 21
                         ? cm_verilog_shift_add_behav("ref", sha[i][0], sha[i][1])
                         : NULL);
        }
        for (int i = 0; i < 6; i++) {
            snprintf(p, sizeof p, "%dx%d %s", thrs[i][0], thrs[i][1], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("threshold", p, cm_threshold_unit(thrs[i][0], thrs[i][1], a), cm_path_threshold_unit(&path_opts, thrs[i][0], thrs[i][1], a), cm_verilog_threshold_unit(m, thrs[i][0], thrs[i][1], a), NULL);
        }
        for (int i = 0; i < 4; i++) {
            if (i == 3 && a != CM_ADDER_RIPPLE && a != CM_ADDER_KOGGE_STONE)
                continue;  /* the largest: two architectures suffice */
            snprintf(p, sizeof p, "%d,%d,%d %s", adds[i][0], adds[i][1], adds[i][2], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("merge_add", p, cm_merge_add(adds[i][0], adds[i][1], adds[i][2], a),
                     cm_path_merge_add(&path_opts, adds[i][0], adds[i][1], adds[i][2], a),
                     cm_verilog_merge_add(m, adds[i][0], adds[i][1], adds[i][2], a), NULL);
            /* its parts as the RTL instantiates them (rtl/rtl.c) */
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("requant_mul", p, cm_merge_add_requant(adds[i][0], adds[i][1], adds[i][2], a),
                     cm_path_requant_mul(&path_opts, adds[i][0], adds[i][1], adds[i][2], a),
                     cm_verilog_requant_mul(m, adds[i][0], adds[i][1], adds[i][2], a), NULL);
            snprintf(p, sizeof p, "%d %s", adds[i][2], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("stream_add", p, cm_merge_add_stream(adds[i][2], a),
                     cm_path_stream_add(&path_opts, adds[i][2], a),
                     cm_verilog_stream_add(m, adds[i][2], a), NULL);
            /* the shift requantizer: acc_bits, left shifts 0..L, rs_bits, res_bits */
            static const int rqs[4][4] = {{8, 0, 2, 4}, {16, 2, 3, 8}, {20, 1, 6, 8}, {16, 3, 0, 8}};
            snprintf(p, sizeof p, "%d,%d,%d,%d %s", rqs[i][0], rqs[i][1], rqs[i][2], rqs[i][3], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("requant_shift", p,
                     cm_merge_add_requant_shift(rqs[i][0], rqs[i][1], rqs[i][2], rqs[i][3], a),
                     cm_path_requant_shift(&path_opts, rqs[i][0], rqs[i][1], rqs[i][2], rqs[i][3], a),
                     cm_verilog_requant_shift(m, rqs[i][0], rqs[i][1], rqs[i][2], rqs[i][3], a),
                     NULL);
            snprintf(p, sizeof p, "%d,%d,%d %s", scores[i][0], scores[i][1], scores[i][2], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("score", p, cm_score_unit(scores[i][0], scores[i][1], scores[i][2], a), cm_path_score_unit(&path_opts, scores[i][0], scores[i][1], scores[i][2], a), cm_verilog_score_unit(m, scores[i][0], scores[i][1], scores[i][2], a), NULL);
        }
        static const int pools[] = {1, 2, 4, 8, 16};
        for (int i = 0; i < 5; i++) {
            snprintf(p, sizeof p, "%d %s", pools[i], an);
            snprintf(m, sizeof m, "u%03d", n_cases);
            add_case("pool", p, cm_pool(pools[i], a), cm_path_pool(&path_opts, pools[i], a), cm_verilog_pool(m, pools[i], a), NULL);
        }
    }
    static const int merges[] = {1, 2, 4, 8, 16, 32};
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%d", merges[i]);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("merge_or", p, cm_merge_or(merges[i]), cm_path_merge_or(&path_opts, merges[i]), cm_verilog_merge_or(m, merges[i]), NULL);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("merge_mux", p, cm_merge_mux(merges[i], CM_MUX_OR),
                 cm_path_merge_mux(&path_opts, merges[i], CM_MUX_OR),
                 cm_verilog_merge_mux(m, merges[i], CM_MUX_OR), NULL);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("merge_mux_sel", p, cm_merge_mux(merges[i], CM_MUX_SEL),
                 cm_path_merge_mux(&path_opts, merges[i], CM_MUX_SEL),
                 cm_verilog_merge_mux(m, merges[i], CM_MUX_SEL), NULL);
        snprintf(m, sizeof m, "u%03d", n_cases);
        add_case("merge_mux_both", p, cm_merge_mux(merges[i], CM_MUX_BOTH),
                 cm_path_merge_mux(&path_opts, merges[i], CM_MUX_BOTH),
                 cm_verilog_merge_mux(m, merges[i], CM_MUX_BOTH), NULL);
    }
    static const int ctl_small[] = {2, 2}, ctl_mid[] = {3, 4, 8, 6, 2, 4},
                     ctl_big[] = {8, 16, 16, 16, 4, 4};
    snprintf(m, sizeof m, "u%03d", n_cases);
    add_case("controller", "2,2 +2", cm_controller(ctl_small, 2, 2), cm_path_controller(&path_opts, ctl_small, 2, 2), cm_verilog_controller(m, ctl_small, 2, 2), NULL);
    snprintf(m, sizeof m, "u%03d", n_cases);
    add_case("controller", "3,4,8,6,2,4 +5", cm_controller(ctl_mid, 6, 5), cm_path_controller(&path_opts, ctl_mid, 6, 5), cm_verilog_controller(m, ctl_mid, 6, 5), NULL);
    snprintf(m, sizeof m, "u%03d", n_cases);
    add_case("controller", "8,16,16,16,4,4 +7", cm_controller(ctl_big, 6, 7), cm_path_controller(&path_opts, ctl_big, 6, 7), cm_verilog_controller(m, ctl_big, 6, 7), NULL);
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static int write_text(const char *name, const char *a, const char *b)
{
    char path[640];
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(a, f);
    if (b)
        fputs(b, f);
    return fclose(f);
}

/* The cells abc maps to: the simple gates of the library. */
static const enum cm_cell mapped[] = {CM_INV,  CM_NAND2, CM_NOR2,  CM_AND2,
                                      CM_OR2,  CM_XOR2,  CM_XNOR2, CM_MUX2};
enum { N_MAPPED = sizeof mapped / sizeof mapped[0] };

/* A liberty file of the mapped cells, area = the library's NAND2 eq, and
 * each input-to-output arc the library's delay_ps (rise and fall, scalar
 * tables: no load or slew dependence, as logiq's model), so that ABC's
 * delay of the mapped netlist is the same model's longest path. */
static void write_arc(FILE *f, const char *pin, double ps)
{
    fprintf(f,
            "      timing() { related_pin: \"%s\"; cell_rise(scalar) { values(\"%g\"); } "
            "cell_fall(scalar) { values(\"%g\"); } rise_transition(scalar) { values(\"0\"); } "
            "fall_transition(scalar) { values(\"0\"); } }\n",
            pin, ps, ps);
}

static int write_liberty(const struct cm_lib *lib, const char *name, int with_delays)
{
    static const char *const function[] = {
        [CM_INV] = "!A",          [CM_NAND2] = "!(A*B)", [CM_NOR2] = "!(A+B)",
        [CM_AND2] = "(A*B)",      [CM_OR2] = "(A+B)",    [CM_XOR2] = "(A^B)",
        [CM_XNOR2] = "!(A^B)",    [CM_MUX2] = "((S*B)+(!S*A))",
    };
    char path[640];
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "library(g45) {\n  delay_model: table_lookup;\n  time_unit: \"1ps\";\n"
               "  capacitive_load_unit(1, ff);\n");
    for (int k = 0; k < N_MAPPED; k++) {
        const enum cm_cell c = mapped[k];
        const double ps = lib->cell[c].delay_ps;
        fprintf(f, "  cell(%s) {\n    area: %.4f;\n", cm_cell_name(c), lib->cell[c].nand2_eq);
        fprintf(f, "    pin(A) { direction: input; capacitance: 1; }\n");
        if (c != CM_INV)
            fprintf(f, "    pin(B) { direction: input; capacitance: 1; }\n");
        if (c == CM_MUX2)
            fprintf(f, "    pin(S) { direction: input; capacitance: 1; }\n");
        fprintf(f, "    pin(Y) {\n      direction: output; function: \"%s\";\n", function[c]);
        if (with_delays) {
            write_arc(f, "A", ps);
            if (c != CM_INV)
                write_arc(f, "B", ps);
            if (c == CM_MUX2)
                write_arc(f, "S", ps);
        }
        fprintf(f, "    }\n  }\n");
    }
    fprintf(f, "}\n");
    return fclose(f);
}

/* Batch k holds every N_BATCHES-th case: a Verilog file per module and one
 * Yosys script that synthesizes each alone and writes its stat file. */
static int write_batch(int k)
{
    char name[64], path[640];
    snprintf(name, sizeof name, "b%d.ys", k);
    path_in(path, sizeof path, name);
    FILE *s = fopen(path, "w");
    if (!s)
        return -1;
    int bad = 0;
    for (int i = k; i < n_cases; i += N_BATCHES) {
        if (!cases[i].verilog)
            continue;
        snprintf(name, sizeof name, "%s.v", cases[i].module);
        bad |= write_text(name, cm_verilog_prelude(), cases[i].verilog) != 0;
        fprintf(s,
                "design -reset\nread_verilog %s/%s.v\nhierarchy -top %s\nproc\nflatten\n"
                "techmap\nopt -fast\ndfflegalize -cell $_DFF_P_ x\n"
                "design -save pre\n"
                "abc -script +strash;map,-a -liberty %s/g45.lib\n"
                "opt_clean\ntee -q -o %s/%s.stat stat\n"
                "design -load pre\n"
                "tee -q -o %s/%s.abc abc -script +strash;map,-a;print_stats -liberty %s/g45t.lib\n",
                dir, cases[i].module, cases[i].module, dir, dir, cases[i].module, dir,
                cases[i].module, dir);
    }
    bad |= fclose(s) != 0;
    return bad ? -1 : 0;
}

/* The equivalence script: one miter a case with a behavioural reference. */
static int write_equiv(void)
{
    char path[640];
    path_in(path, sizeof path, "eq.ys");
    FILE *s = fopen(path, "w");
    if (!s)
        return -1;
    for (int i = 0; i < n_cases; i++) {
        if (!cases[i].behav || !cases[i].verilog)
            continue;
        char name[64];
        snprintf(name, sizeof name, "eq_%s.v", cases[i].module);
        if (write_text(name, cases[i].verilog, cases[i].behav) != 0) {
            fclose(s);
            return -1;
        }
        fprintf(s,
                "design -reset\nread_verilog %s/%s\nproc\nflatten\n"
                "miter -equiv -flatten -make_assert %s ref miter\n"
                "sat -verify -prove-asserts miter\n",
                dir, name, cases[i].module);
    }
    return fclose(s);
}

/* Runs "yosys -q -s script" (a .abc script: "yosys-abc -f script") with its
 * output in log; returns the pid. */
static pid_t spawn_yosys(const char *script, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        const size_t n = strlen(script);
        if (n > 4 && strcmp(script + n - 4, ".abc") == 0)
            execlp("yosys-abc", "yosys-abc", "-f", script, (char *)NULL);
        else
            execlp("yosys", "yosys", "-q", "-s", script, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void print_log_tail(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  | %s", line);
    fclose(f);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* Runs the batches and the equivalence script, MAX_PROCS at a time;
 * returns the number of Yosys runs that failed. */
static int run_all(void)
{
    enum { N_JOBS = N_BATCHES + 2 };
    char script[N_JOBS][640], log[N_JOBS][640];
    pid_t pid[N_JOBS];
    double start_s[N_JOBS];
    int failed = 0, next = 0, running = 0;
    for (int k = 0; k < N_JOBS; k++) {
        char name[64];
        snprintf(name, sizeof name,
                 k < N_BATCHES ? "b%d.ys" : k == N_BATCHES ? "eq.ys" : "sta.abc", k);
        path_in(script[k], sizeof script[k], name);
        snprintf(name, sizeof name, "job%d.log", k);
        path_in(log[k], sizeof log[k], name);
        pid[k] = -1;
    }
    while (next < N_JOBS || running > 0) {
        if (next < N_JOBS && running < MAX_PROCS) {
            start_s[next] = now_s();
            pid[next] = spawn_yosys(script[next], log[next]);
            TU_CHECK(pid[next] > 0, "fork failed: %s", strerror(errno));
            running += pid[next] > 0;
            next++;
            continue;
        }
        int status;
        pid_t done = wait(&status);
        if (done < 0)
            break;
        running--;
        for (int k = 0; k < N_JOBS; k++) {
            if (pid[k] != done)
                continue;
            printf("yosys %s: %.1f s\n", strrchr(script[k], '/') + 1, now_s() - start_s[k]);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                failed++;
                fprintf(stderr, "FAIL: yosys -s %s exited with status %d; its log:\n", script[k],
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                print_log_tail(log[k]);
            }
        }
    }
    return failed;
}

/* Weighted sum of the mapped cells in a Yosys stat report, in the default
 * library's NAND2 equivalents; -1 if the file is missing or holds a cell
 * outside the gate set. */
static double parse_stat(const char *module, const struct cm_lib *lib)
{
    char path[640], name[64];
    snprintf(name, sizeof name, "%s.stat", module);
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1.0;
    double sum = 0.0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char cell[64];
        double n;
        if (sscanf(line, " %63s %lf", cell, &n) != 2 || strchr(line, ':'))
            continue;  /* not a "CELL count" line */
        int k = 0;
        while (k < N_MAPPED && strcmp(cell, cm_cell_name(mapped[k])) != 0)
            k++;
        if (strcmp(cell, "$_DFF_P_") == 0) {
            sum += n * lib->cell[CM_DFF].nand2_eq;
        } else if (k < N_MAPPED) {
            sum += n * lib->cell[mapped[k]].nand2_eq;
        } else {
            fprintf(stderr, "FAIL %s: cell %s outside the gate set\n", module, cell);
            fclose(f);
            return -1.0;
        }
    }
    fclose(f);
    return sum;
}

/* The genlib of the same cells and delays (pin-to-pin block delays, no load
 * dependence), for abc's timing of logiq's own gates, unmapped. */
static int write_genlib(const struct cm_lib *lib)
{
    static const char *const function[] = {
        [CM_INV] = "!A",       [CM_NAND2] = "!(A*B)", [CM_NOR2] = "!(A+B)",
        [CM_AND2] = "A*B",     [CM_OR2] = "A+B",      [CM_XOR2] = "A*!B+!A*B",
        [CM_XNOR2] = "A*B+!A*!B", [CM_MUX2] = "S*B+!S*A",
    };
    static const char *const phase[] = {
        [CM_INV] = "INV",     [CM_NAND2] = "INV",    [CM_NOR2] = "INV",
        [CM_AND2] = "NONINV", [CM_OR2] = "NONINV",   [CM_XOR2] = "UNKNOWN",
        [CM_XNOR2] = "UNKNOWN", [CM_MUX2] = "UNKNOWN",
    };
    char path[640];
    path_in(path, sizeof path, "g45.genlib");
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "GATE ZERO 0 Y=CONST0;\nGATE ONE 0 Y=CONST1;\n");
    for (int k = 0; k < N_MAPPED; k++) {
        const enum cm_cell c = mapped[k];
        const double ps = lib->cell[c].delay_ps;
        fprintf(f, "GATE %s %.4f Y=%s; PIN * %s 1 999 %g 0 %g 0\n", cm_cell_name(c),
                lib->cell[c].nand2_eq, function[c], phase[c], ps, ps);
    }
    return fclose(f);
}

/* logiq's structural Verilog (the statement forms of costmodels/netlist.c,
 * one cell a statement) as a BLIF netlist of those cells, .gate a cell and
 * .latch a flip-flop, so that abc times exactly the gates logiq times: a
 * full adder's carry statement is its three NAND2s. Returns 0, or -1 on a
 * statement it does not know (the test then fails: the writer changed). */
static int write_gate_blif(const struct ycase *c)
{
    char path[640], name[64];
    snprintf(name, sizeof name, "%s.blif", c->module);
    path_in(path, sizeof path, name);
    int n_wires = 0;
    const char *decl = strstr(c->verilog, "  wire [");
    if (!decl || sscanf(decl, "  wire [%d:0] w;", &n_wires) != 1)
        return -1;
    n_wires++;
    char *is_out = calloc((size_t)n_wires, 1);
    FILE *f = fopen(path, "w");
    if (!f || !is_out) {
        free(is_out);
        if (f)
            fclose(f);
        return -1;
    }
    /* pass 0: the inputs (wires bound to input bits keep their w names),
     * pass 1: the outputs (the wires that drive output bits; constant
     * outputs have no path), pass 2: the cells */
    int bad = 0, internal = 0;
    char line[256];
    fprintf(f, ".model %s\n", c->module);
    for (int pass = 0; pass < 3; pass++) {
        fprintf(f, pass == 0 ? ".inputs" : pass == 1 ? "\n.outputs" : "\n");
        const char *p = c->verilog;
        while (*p) {
            const char *eol = strchr(p, '\n');
            const size_t len = eol ? (size_t)(eol - p) : strlen(p);
            snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1),
                     p);
            p = eol ? eol + 1 : p + len;
            int o, a, b, x, cc, k;
            char port[64], op;
            if (strncmp(line, "  assign ", 9) != 0) {
                if (pass == 2 &&
                    sscanf(line, "  logiq_dff r%*d (.clk(clk), .d(w[%d]), .q(w[%d]));", &a, &o) ==
                        2)
                    fprintf(f, ".latch w%d w%d 0\n", a, o);
                continue;
            }
            const char *e = line + 9;
            /* port bits: a port is never named w (the wire bus) */
            if (sscanf(e, "w[%d] = %63[A-Za-z0-9_][%d];", &o, port, &k) == 3 &&
                strcmp(port, "w") != 0) {
                if (pass == 0)
                    fprintf(f, " w%d", o);
            } else if (sscanf(e, "%63[A-Za-z0-9_][%d] = w[%d];", port, &k, &o) == 3 &&
                       strcmp(port, "w") != 0) {
                if (pass == 1 && o >= 0 && o < n_wires && !is_out[o]) {
                    fprintf(f, " w%d", o);
                    is_out[o] = 1;
                }
            } else if (sscanf(e, "%63[A-Za-z0-9_][%d] = 1'b%d;", port, &k, &a) == 3 &&
                       strcmp(port, "w") != 0) {
                continue;
            } else if (pass < 2) {
                continue;
            } else if (sscanf(e, "w[%d] = ~(~(w[%d] & w[%d]) & ~(w[%d] & w[%d]));", &o, &a, &b,
                              &x, &cc) == 5) {
                fprintf(f,
                        ".gate NAND2 A=w%d B=w%d Y=n%d\n.gate NAND2 A=w%d B=w%d Y=n%d\n"
                        ".gate NAND2 A=n%d B=n%d Y=w%d\n",
                        a, b, internal, x, cc, internal + 1, internal, internal + 1, o);
                internal += 2;
            } else if (sscanf(e, "w[%d] = ~(w[%d] %c w[%d]);", &o, &a, &op, &b) == 4) {
                fprintf(f, ".gate %s A=w%d B=w%d Y=w%d\n",
                        op == '&' ? "NAND2" : op == '|' ? "NOR2" : "XNOR2", a, b, o);
            } else if (sscanf(e, "w[%d] = w[%d] ? w[%d] : w[%d];", &o, &x, &b, &a) == 4) {
                fprintf(f, ".gate MUX2 A=w%d B=w%d S=w%d Y=w%d\n", a, b, x, o);
            } else if (sscanf(e, "w[%d] = w[%d] %c w[%d];", &o, &a, &op, &b) == 4) {
                fprintf(f, ".gate %s A=w%d B=w%d Y=w%d\n",
                        op == '&' ? "AND2" : op == '|' ? "OR2" : "XOR2", a, b, o);
            } else if (sscanf(e, "w[%d] = ~w[%d];", &o, &a) == 2) {
                fprintf(f, ".gate INV A=w%d Y=w%d\n", a, o);
            } else {
                fprintf(stderr, "FAIL %s: unknown statement '%s'\n", c->module, line);
                bad = 1;
            }
        }
    }
    fprintf(f, ".end\n");
    free(is_out);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* The timing script: abc reads each case's gates (write_gate_blif) with the
 * genlib and prints their delay (print_stats), into sta.log. */
static int write_sta(const struct cm_lib *lib)
{
    char path[640];
    if (write_genlib(lib) != 0)
        return -1;
    path_in(path, sizeof path, "sta.abc");
    FILE *s = fopen(path, "w");
    if (!s)
        return -1;
    fprintf(s, "read_genlib %s/g45.genlib\n", dir);
    int bad = 0;
    for (int i = 0; i < n_cases; i++) {
        if (!cases[i].verilog)
            continue;
        bad |= write_gate_blif(&cases[i]) != 0;
        fprintf(s, "read_blif %s/%s.blif\nprint_stats\n", dir, cases[i].module);
    }
    bad |= fclose(s) != 0;
    return bad ? -1 : 0;
}

/* ABC's delay of the mapped netlist (print_stats' "delay =", in the
 * liberty's ps), or -1 if the file is missing or has none. A netlist
 * without logic (a register) gives no line: its delay is 0. */
static double parse_abc_delay(const char *module)
{
    char path[640], name[64];
    snprintf(name, sizeof name, "%s.abc", module);
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1.0;
    double delay = -1.0;
    int ran = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        const char *d = strstr(line, "delay =");
        ran |= strstr(line, "print_stats") != NULL || strstr(line, "Executing ABC") != NULL;
        if (d)
            delay = strtod(d + strlen("delay ="), NULL);
    }
    fclose(f);
    return delay >= 0.0 ? delay : (ran ? 0.0 : -1.0);
}

/* abc's delay of each case's own gates, from the print_stats lines of
 * sta.log ("uNNN : i/o = ... delay = D ..."); cases without a line keep -1,
 * a line without a delay (no gate was read: abc has nothing mapped to time)
 * gives -2. */
static void parse_sta(double *sta_ps)
{
    for (int i = 0; i < n_cases; i++)
        sta_ps[i] = -1.0;
    char path[640];
    char name[64];
    snprintf(name, sizeof name, "job%d.log", N_BATCHES + 1);
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        const char *d = strstr(line, "delay =");
        const char *u = strstr(line, "u");
        int i;
        if (u && strstr(line, "i/o =") && sscanf(u, "u%3d", &i) == 1 && i >= 0 && i < n_cases)
            sta_ps[i] = d ? strtod(d + strlen("delay ="), NULL) : -2.0;
    }
    fclose(f);
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        path_in(path, sizeof path, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int main(void)
{
    if (system("yosys -V > /dev/null 2>&1") != 0) {
        fprintf(stderr, "FAIL: yosys is not installed or not on PATH (Debian package yosys); "
                        "the structural gate counts cannot be validated\n");
        return 1;
    }
    struct cm_lib lib;
    cm_lib_default(&lib);

    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/logiq-yosys-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "FAIL: mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    path_opts = (struct cm_path_opts){.lib = &lib, .mode = CM_DELAY_GATES, .in_ps = 0.0,
                                      .cuts = 0};
    build_cases();
    TU_CHECK(write_liberty(&lib, "g45.lib", 0) == 0 && write_liberty(&lib, "g45t.lib", 1) == 0,
             "cannot write the liberty files in %s", dir);
    for (int k = 0; k < N_BATCHES; k++)
        TU_CHECK(write_batch(k) == 0, "cannot write batch %d in %s", k, dir);
    TU_CHECK(write_equiv() == 0, "cannot write the equivalence script in %s", dir);
    TU_CHECK(write_sta(&lib) == 0, "cannot write the timing script in %s", dir);
    const int failed_runs = run_all();
    TU_CHECK(failed_runs == 0, "%d yosys runs failed", failed_runs);

    /* the table, and the worst deviation per unit kind */
    char kinds[32][24];
    double worst_kind[32];
    int n_kinds = 0;
    double worst = 0.0;
    const char *worst_at = "";
    printf("%-13s %-26s %10s %10s %9s\n", "unit", "widths", "logiq", "yosys", "deviation");
    for (int i = 0; i < n_cases; i++) {
        struct ycase *c = &cases[i];
        if (!c->verilog)
            continue;
        const struct cm_count g = cm_count_gates_only(&c->count);
        const double ours = cm_count_nand2(&g, &lib);
        const double theirs = parse_stat(c->module, &lib);
        TU_CHECK(theirs > 0.0, "%s %s: no Yosys count", c->kind, c->params);
        if (theirs <= 0.0)
            continue;
        const double dev = (ours - theirs) / theirs;
        printf("%-13s %-26s %10.1f %10.1f %+8.1f%%%s\n", c->kind, c->params, ours, theirs,
               100.0 * dev, fabs(dev) > tolerance ? "  FAIL" : "");
        TU_CHECK(fabs(dev) <= tolerance, "%s %s: logiq %.1f vs yosys %.1f NAND2 eq (%+.1f%%)",
                 c->kind, c->params, ours, theirs, 100.0 * dev);
        int k = 0;
        while (k < n_kinds && strcmp(kinds[k], c->kind) != 0)
            k++;
        if (k == n_kinds) {
            memcpy(kinds[n_kinds], c->kind, sizeof kinds[0]);
            worst_kind[n_kinds++] = 0.0;
        }
        if (fabs(dev) > fabs(worst_kind[k]))
            worst_kind[k] = dev;
        if (fabs(dev) > fabs(worst)) {
            worst = dev;
            worst_at = c->params;
        }
    }
    printf("\nworst deviation per unit kind:\n");
    for (int k = 0; k < n_kinds; k++)
        printf("  %-13s %+6.1f%%\n", kinds[k], 100.0 * worst_kind[k]);
    printf("worst deviation: %+.1f%% (%s), tolerance %.0f%%\n", 100.0 * worst, worst_at,
           100.0 * tolerance);

    /* the longest paths against abc's delays */
    static double sta_ps[MAX_CASES];
    parse_sta(sta_ps);
    double worst_delay = 0.0, worst_kind_delay[32] = {0}, worst_mapped = 0.0;
    const char *worst_delay_at = "", *worst_delay_kind = "", *worst_mapped_at = "",
               *worst_mapped_kind = "";
    printf("\n%-13s %-26s %9s %9s %9s %11s %9s\n", "unit", "widths", "logiq_ps", "abc_ps",
           "deviation", "abc_map_ps", "(info)");
    for (int i = 0; i < n_cases; i++) {
        struct ycase *c = &cases[i];
        if (!c->verilog)
            continue;
        c->abc_ps = parse_abc_delay(c->module);
        const struct cm_count g = cm_count_gates_only(&c->count);
        if (sta_ps[i] == -2.0 && cm_count_cells(&g) == g.n[CM_DFF])
            sta_ps[i] = 0.0;  /* flip-flops only: no path */
        TU_CHECK(sta_ps[i] >= 0.0, "%s %s: no abc delay of its gates", c->kind, c->params);
        if (sta_ps[i] < 0.0)
            continue;
        const double ours = c->path.ps;
        const double dev =
            sta_ps[i] > 0.0 ? (ours - sta_ps[i]) / sta_ps[i] : (ours > 0.0 ? 1.0 : 0.0);
        const double dev_map = c->abc_ps > 0.0 ? (ours - c->abc_ps) / c->abc_ps : 0.0;
        printf("%-13s %-26s %9.0f %9.0f %+8.1f%% %11.0f %+8.1f%%%s\n", c->kind, c->params, ours,
               sta_ps[i], 100.0 * dev, c->abc_ps, 100.0 * dev_map,
               fabs(dev) > delay_tolerance ? "  FAIL" : "");
        TU_CHECK(fabs(dev) <= delay_tolerance, "%s %s: longest path logiq %.0f ps vs abc %.0f ps "
                 "(%+.1f%%)", c->kind, c->params, ours, sta_ps[i], 100.0 * dev);
        int k = 0;
        while (k < n_kinds && strcmp(kinds[k], c->kind) != 0)
            k++;
        if (k < n_kinds && fabs(dev) > fabs(worst_kind_delay[k]))
            worst_kind_delay[k] = dev;
        if (fabs(dev) > fabs(worst_delay)) {
            worst_delay = dev;
            worst_delay_at = c->params;
            worst_delay_kind = c->kind;
        }
        if (fabs(dev_map) > fabs(worst_mapped)) {
            worst_mapped = dev_map;
            worst_mapped_at = c->params;
            worst_mapped_kind = c->kind;
        }
    }
    printf("\nworst longest-path deviation per unit kind:\n");
    for (int k = 0; k < n_kinds; k++)
        printf("  %-13s %+6.1f%%\n", kinds[k], 100.0 * worst_kind_delay[k]);
    printf("worst longest-path deviation from abc's timing of the same gates: %+.1f%% (%s %s), "
           "tolerance %.0f%%\n",
           100.0 * worst_delay, worst_delay_kind, worst_delay_at, 100.0 * delay_tolerance);
    printf("(information, not a check: from abc's delay after its delay-aware structural "
           "remapping: worst %+.1f%%, %s %s)\n",
           100.0 * worst_mapped, worst_mapped_kind, worst_mapped_at);

    int n_eq = 0;
    for (int i = 0; i < n_cases; i++)
        n_eq += cases[i].behav != NULL;
    printf("equivalence with behavioural Verilog proved for %d arithmetic units%s\n", n_eq,
           failed_runs ? " (unless a failure is reported above)" : "");

    for (int i = 0; i < n_cases; i++) {
        free(cases[i].verilog);
        free(cases[i].behav);
    }
    if (getenv("LOGIQ_KEEP_TMP"))
        printf("kept %s (LOGIQ_KEEP_TMP)\n", dir);
    else
        remove_dir();
    return tu_exit("test_yosys");
}

/* costmodels/timing.c: longest paths of the unit netlists and the pipeline
 * stages' timing (timing.h). The unit builders of netlist.h are run in
 * timing mode; nothing here knows a unit's structure. */
#include "costmodels/timing.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "costmodels/latency.h"
#include "costmodels/memo.h"
#include "costmodels/netlist.h"

static void path_begin(struct cm_nl *nl, struct cm_nl_timing *tm, const struct cm_path_opts *o)
{
    assert(o->lib);
    memset(nl, 0, sizeof *nl);
    memset(tm, 0, sizeof *tm);
    tm->lib = o->lib;
    tm->gates_only = o->mode == CM_DELAY_GATES;
    tm->cuts = o->cuts;
    tm->in_ps = o->in_ps;
    nl->tm = tm;
}

static struct cm_path path_end(struct cm_nl_timing *tm)
{
    struct cm_path p = {0};
    p.nomem = tm->failed;
    p.n_seg = tm->n_seg + 1;
    for (int k = 0; k < tm->n_seg; k++)
        p.seg_ps[k] = tm->seg_ps[k];
    p.seg_ps[tm->n_seg] = tm->end_ps;
    for (int k = 0; k < p.n_seg; k++)
        p.ps = p.seg_ps[k] > p.ps ? p.seg_ps[k] : p.ps;
    free(tm->arr_ps);
    return p;
}

struct cm_path cm_path_adder(const struct cm_path_opts *o, int width, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_adder(&nl, width, arch);
    return path_end(&tm);
}

struct cm_path cm_path_subtractor(const struct cm_path_opts *o, int width,
                                  enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_subtractor(&nl, width, arch);
    return path_end(&tm);
}

struct cm_path cm_path_comparator(const struct cm_path_opts *o, int width,
                                  enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_comparator(&nl, width, arch);
    return path_end(&tm);
}

struct cm_path cm_path_popcount(const struct cm_path_opts *o, int n, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_popcount(&nl, n, arch);
    return path_end(&tm);
}

struct cm_path cm_path_shifter(const struct cm_path_opts *o, int width, int max_shift,
                               int out_width)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_shifter(&nl, width, max_shift, out_width);
    return path_end(&tm);
}

struct cm_path cm_path_multiplier(const struct cm_path_opts *o, int a_bits, int b_bits,
                                  enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_multiplier(&nl, a_bits, b_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_register(const struct cm_path_opts *o, int bits)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_register(&nl, bits);
    return path_end(&tm);
}

/* The lane logic and the fetch gating are lanes identical, independent
 * lanes (the fetch gating's one shared INV is in every lane's path): their
 * longest path is one lane's, timed as in their counts (pe.c), whatever
 * lanes is. */
struct cm_path cm_path_lane_logic(const struct cm_path_opts *o, int lanes)
{
    assert(lanes >= 1);
    (void)lanes;
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_lane_logic(&nl, 1);
    return path_end(&tm);
}

struct cm_path cm_path_lane_logic_shift(const struct cm_path_opts *o, int lanes, int n_exp)
{
    assert(lanes >= 1);
    (void)lanes;
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_lane_logic_shift(&nl, 1, n_exp);
    return path_end(&tm);
}

struct cm_path cm_path_shift_add(const struct cm_path_opts *o, int pop_bits, int n_exp,
                                 enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_shift_add(&nl, pop_bits, n_exp, arch);
    return path_end(&tm);
}

struct cm_path cm_path_pow2_decoder(const struct cm_path_opts *o, int lanes, int code_bits)
{
    assert(lanes >= 1);
    (void)lanes;
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_pow2_decoder(&nl, 1, code_bits);
    return path_end(&tm);
}

struct cm_path cm_path_act_decoder(const struct cm_path_opts *o, int lanes, int code_bits)
{
    assert(lanes >= 1);
    (void)lanes;
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_act_decoder(&nl, 1, code_bits);
    return path_end(&tm);
}

struct cm_path cm_path_fetch_gating(const struct cm_path_opts *o, int lanes)
{
    assert(lanes >= 1);
    (void)lanes;
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_fetch_gating(&nl, 1);
    return path_end(&tm);
}

struct cm_path cm_path_fetch_gating_xnor(const struct cm_path_opts *o, int lanes)
{
    assert(lanes >= 1);
    (void)lanes;
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_fetch_gating_xnor(&nl, 1);
    return path_end(&tm);
}

struct cm_path cm_path_lane_logic_xnor(const struct cm_path_opts *o, int lanes)
{
    assert(lanes >= 1);
    (void)lanes;
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_lane_logic_xnor(&nl, 1);
    return path_end(&tm);
}

struct cm_path cm_path_accumulator_xnor(const struct cm_path_opts *o, int pop_bits,
                                        int max_shift, int acc_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_accumulator_xnor(&nl, pop_bits, max_shift, acc_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_accumulator(const struct cm_path_opts *o, int pop_bits, int max_shift,
                                   int acc_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_accumulator(&nl, pop_bits, max_shift, acc_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_threshold_unit(const struct cm_path_opts *o, int n_thr, int width,
                                      enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_threshold(&nl, n_thr, width, arch);
    return path_end(&tm);
}

struct cm_path cm_path_merge_or(const struct cm_path_opts *o, int bits)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_merge_or(&nl, bits);
    return path_end(&tm);
}

struct cm_path cm_path_merge_mux(const struct cm_path_opts *o, int bits, enum cm_mux_variant v)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_merge_mux(&nl, bits, v);
    return path_end(&tm);
}

struct cm_path cm_path_requant_shift(const struct cm_path_opts *o, int acc_bits, int lshift_max,
                                     int rs_bits, int res_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_requant_shift(&nl, acc_bits, lshift_max, rs_bits, res_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_merge_add_shift(const struct cm_path_opts *o, int acc_bits, int lshift_max,
                                       int rs_bits, int res_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_merge_add_shift(&nl, acc_bits, lshift_max, rs_bits, res_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_requant_mul(const struct cm_path_opts *o, int acc_bits, int mul_bits,
                                   int res_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_requant_mul(&nl, acc_bits, mul_bits, res_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_stream_add(const struct cm_path_opts *o, int res_bits,
                                  enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_stream_add(&nl, res_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_merge_add(const struct cm_path_opts *o, int acc_bits, int mul_bits,
                                 int res_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_merge_add(&nl, acc_bits, mul_bits, res_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_pool(const struct cm_path_opts *o, int bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_pool(&nl, bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_score_unit(const struct cm_path_opts *o, int acc_bits, int mul_bits,
                                  int class_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_score(&nl, acc_bits, mul_bits, class_bits, arch);
    return path_end(&tm);
}

struct cm_path cm_path_controller(const struct cm_path_opts *o, const int *counter_bits,
                                  int n_counters, int stages)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_controller(&nl, counter_bits, n_counters, stages);
    return path_end(&tm);
}

struct cm_path cm_path_addr_add(const struct cm_path_opts *o, int width, enum cm_adder_arch arch)
{
    struct cm_nl nl;
    struct cm_nl_timing tm;
    path_begin(&nl, &tm, o);
    cm_nl_unit_addr_add(&nl, width, arch);
    return path_end(&tm);
}

const char *cm_stage_name(enum cm_stage s)
{
    static const char *const names[CM_N_STAGES] = {
        [CM_STAGE_POP] = "POP",     [CM_STAGE_ACC] = "ACC",
        [CM_STAGE_RQ] = "RQ",       [CM_STAGE_ADD] = "ADD",
        [CM_STAGE_RQ_ADD] = "RQ+ADD", [CM_STAGE_THR] = "THR",
        [CM_STAGE_POOL] = "POOL",   [CM_STAGE_MUL] = "MUL",
        [CM_STAGE_SCORE_ADD] = "SCORE_ADD", [CM_STAGE_ARGMAX] = "ARGMAX",
        [CM_STAGE_CONTROL] = "CONTROL",
    };
    assert(s >= 0 && s < CM_N_STAGES);
    return names[s];
}

/* Records a stage's path. */
static void stage(struct cm_timing *t, enum cm_stage s, double ps)
{
    t->present[s] = 1;
    t->stage_ps[s] = ps;
}

enum cm_status cm_timing_eval(struct cm_timing *t, const struct cm_hw *hw,
                              const struct cm_lib *lib, const int *counter_bits,
                              int n_counters, int class_bits, struct cm_error *err)
{
    return cm_timing_eval_memo(t, hw, lib, counter_bits, n_counters, class_bits, NULL, err);
}

enum cm_status cm_timing_eval_memo(struct cm_timing *t, const struct cm_hw *hw,
                                   const struct cm_lib *lib, const int *counter_bits,
                                   int n_counters, int class_bits, struct cm_memo *memo,
                                   struct cm_error *err)
{
    return cm_timing_eval_mode(t, hw, lib, counter_bits, n_counters, class_bits, CM_DELAY_CELLS,
                               memo, err);
}

enum cm_status cm_timing_eval_mode(struct cm_timing *t, const struct cm_hw *hw,
                                   const struct cm_lib *lib, const int *counter_bits,
                                   int n_counters, int class_bits, enum cm_delay_mode mode,
                                   struct cm_memo *memo, struct cm_error *err)
{
    memset(t, 0, sizeof *t);
    const int A = hw->acc_bits, M = hw->rq_mul_bits, E = cm_hw_exponents(hw);
    const int pop_bits = cm_bits_for(hw->lanes), max_shift = 7 + hw->max_w_bits - 1;
    int nomem = 0;
    struct cm_path_opts o = {.lib = lib, .mode = mode, .in_ps = 0.0, .cuts = 1};
    struct cm_path p;

    /* POP: the fetch gating, the lane logic, a popcount tree (the XNOR PE's
     * shared count of g is a tree from the gating alone: never longer) */
    const int xnor = hw->pe == CM_PE_XNOR;
    p = cm_memo_path(memo, &o, xnor ? CM_FN_FETCH_GATING_XNOR : CM_FN_FETCH_GATING,
                     (int[]){hw->lanes});
    nomem |= p.nomem;
    o.in_ps = p.ps;
    p = hw->pe == CM_PE_SHIFT ? cm_memo_path(memo, &o, CM_FN_LANE_LOGIC_SHIFT, (int[]){hw->lanes, E})
        : xnor                ? cm_memo_path(memo, &o, CM_FN_LANE_LOGIC_XNOR, (int[]){hw->lanes})
                              : cm_memo_path(memo, &o, CM_FN_LANE_LOGIC, (int[]){hw->lanes});
    nomem |= p.nomem;
    o.in_ps = p.ps;
    p = cm_memo_path(memo, &o, CM_FN_POPCOUNT, (int[]){hw->lanes, (int)hw->adder});
    nomem |= p.nomem;
    stage(t, CM_STAGE_POP, p.ps);

    /* ACC: a shift PE's shift-add, then the accumulator */
    o.in_ps = 0.0;
    if (hw->pe == CM_PE_SHIFT) {
        p = cm_memo_path(memo, &o, CM_FN_SHIFT_ADD, (int[]){pop_bits, E, (int)hw->adder});
        nomem |= p.nomem;
        o.in_ps = p.ps;
    }
    p = xnor ? cm_memo_path(memo, &o, CM_FN_ACCUMULATOR_XNOR,
                            (int[]){pop_bits, max_shift, A, (int)hw->adder})
             : cm_memo_path(memo, &o, CM_FN_ACCUMULATOR,
                            (int[]){pop_bits + E - 1, max_shift, A, (int)hw->adder});
    nomem |= p.nomem;
    stage(t, CM_STAGE_ACC, p.ps);

    /* THR: the comparators and encoder, then an OR / MUX merge */
    o.in_ps = 0.0;
    p = cm_memo_path(memo, &o, CM_FN_THRESHOLD,
                     (int[]){(1 << hw->max_act_bits) - 1, A, (int)hw->adder});
    nomem |= p.nomem;
    if (hw->merge == CM_MERGE_OR || hw->merge == CM_MERGE_MUX) {
        o.in_ps = p.ps;
        p = hw->merge == CM_MERGE_OR
                ? cm_memo_path(memo, &o, CM_FN_MERGE_OR, (int[]){1})
                : cm_memo_path(memo, &o, CM_FN_MERGE_MUX, (int[]){1, (int)hw->mux});
        nomem |= p.nomem;
    }
    stage(t, CM_STAGE_THR, p.ps);

    /* RQ and ADD: the add merge, cut at the requantizer's output when it
     * spans two stages */
    o.in_ps = 0.0;
    if (hw->merge == CM_MERGE_ADD) {
        o.cuts = hw->add_stages == 2;
        p = hw->requant == CM_RQ_SHIFT
                ? cm_memo_path(memo, &o, CM_FN_MERGE_ADD_SHIFT,
                               (int[]){A, hw->rq_lshift_max, hw->rq_rshift_bits, hw->res_bits,
                                       (int)hw->adder})
                : cm_memo_path(memo, &o, CM_FN_MERGE_ADD,
                               (int[]){A, M, hw->res_bits, (int)hw->adder});
        nomem |= p.nomem;
        o.cuts = 1;
        assert(p.n_seg == 2);
        /* the RQ and ADD registers load when their stage is valid: an
         * enable MUX2 before each (design.c) */
        const double en_ps = lib->cell[CM_MUX2].delay_ps;
        if (hw->add_stages == 2) {
            stage(t, CM_STAGE_RQ, p.seg_ps[0] + en_ps);
            stage(t, CM_STAGE_ADD, p.seg_ps[1] + en_ps);
        } else {
            stage(t, CM_STAGE_RQ_ADD, p.ps + en_ps);
        }
    }

    p = cm_memo_path(memo, &o, CM_FN_POOL, (int[]){hw->max_act_bits, (int)hw->adder});
    nomem |= p.nomem;
    stage(t, CM_STAGE_POOL, p.ps);

    /* the score unit's three stages; MUL's accumulator operand is the score
     * register file's entry, read through its MUX2 tree (class_bits levels)
     * before it (its other operand, the constant, is the SRAM's: at 0) */
    p = cm_memo_path(memo, &o, CM_FN_SCORE,
                     (int[]){A, hw->score_mul_bits, class_bits, (int)hw->adder});
    nomem |= p.nomem;
    assert(p.n_seg == 3);
    /* MUL's and ADD's stage registers load when their stage is valid: an
     * enable MUX2 before each (design.c) */
    const double mux_ps = lib->cell[CM_MUX2].delay_ps;
    stage(t, CM_STAGE_MUL, class_bits * mux_ps + p.seg_ps[0] + mux_ps);
    stage(t, CM_STAGE_SCORE_ADD, p.seg_ps[1] + mux_ps);
    stage(t, CM_STAGE_ARGMAX, p.seg_ps[2]);

    int ctl[CM_MEMO_MAX_ARGS] = {n_counters, CM_DRAIN_PLAIN + 1};
    assert(n_counters >= 1 && n_counters <= CM_MEMO_MAX_ARGS - 2);
    memcpy(ctl + 2, counter_bits, (size_t)n_counters * sizeof *counter_bits);
    p = cm_memo_path(memo, &o, CM_FN_CONTROLLER, ctl);
    nomem |= p.nomem;
    stage(t, CM_STAGE_CONTROL, p.ps);

    if (nomem) {
        memset(t, 0, sizeof *t);
        return cm_fail(err, CM_ERR_NOMEM, "timing: out of memory for the arrival times");
    }
    t->critical = CM_STAGE_POP;
    for (int s = 0; s < CM_N_STAGES; s++)
        if (t->present[s] && t->stage_ps[s] > t->stage_ps[t->critical])
            t->critical = (enum cm_stage)s;
    t->clk_q_ps = lib->cell[CM_DFF].delay_ps;
    t->setup_ps = lib->setup_ps;
    t->period_ps = t->stage_ps[t->critical] + t->clk_q_ps + t->setup_ps;
    t->fmax_mhz = 1e6 / t->period_ps;
    return CM_OK;
}

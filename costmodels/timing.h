/* costmodels/timing.h: critical paths of the units and the accelerator's
 * pipeline stages, and the clock they allow (fmax).
 *
 * The model: every cell of the library has one delay (cells.h, delay_ps,
 * its worst input-to-output arc); a wire's arrival time is the latest of its
 * cell's inputs plus that delay; a unit's inputs arrive together (at in_ps),
 * its flip-flops' outputs at 0. A unit's longest path is the latest arrival
 * at an endpoint (an output or a flip-flop's d). The netlist timed is the
 * one the unit's count and Verilog come from (netlist.h), built once more
 * with arrival times; tests/test_yosys.c holds these paths within 10% of
 * ABC's static timing of the same netlists. Load, slew and wire delays are
 * not modelled: a first-order estimate, for comparing designs.
 *
 * A pipeline stage (docs/accelerator.md, "The pipeline") chains units: the
 * next unit's inputs arrive when the previous unit's latest endpoint does,
 * so a stage's path is bounded above by the sum of its units' paths. The
 * clock period is the slowest stage plus the DFF's clock-to-q and setup:
 *
 *     fmax_mhz = 1e6 / (max over stages of path_ps + clk_q_ps + setup_ps)
 *
 * The SRAM reads of FETCH are not modelled (their access time is taken to
 * fit in a cycle); FETCH's logic, the fetch gating, is timed in POP where
 * its outputs are used.
 *
 *     struct cm_timing t;
 *     if (cm_timing_eval(&t, &hw, &lib, counters, n, class_bits, &err) != CM_OK) ...
 *     printf("%.1f MHz, critical stage %s\n", t.fmax_mhz, cm_stage_name(t.critical));
 *
 * Memory: results are plain values; timing a netlist allocates its arrival
 * times for the duration of the call (CM_ERR_NOMEM if that fails). */
#ifndef LOGIQ_CM_TIMING_H
#define LOGIQ_CM_TIMING_H

#include "costmodels/cells.h"
#include "costmodels/hw.h"
#include "costmodels/status.h"
#include "costmodels/units.h"

/* How HA and FA are timed: as the library's cells (the design), or as the
 * gates cm_count_gates_only decomposes them into (the form the Verilog
 * writes and ABC maps; tests/test_yosys.c). */
enum cm_delay_mode { CM_DELAY_CELLS, CM_DELAY_GATES };

struct cm_path_opts {
    const struct cm_lib *lib;
    enum cm_delay_mode mode;
    double in_ps;   /* when the unit's inputs arrive */
    int cuts;       /* the unit's internal stage boundaries are registers */
};

enum { CM_PATH_MAX_SEGS = 4 };

/* A unit's timing. With cuts, the unit is split at its stage boundaries
 * (the add merge between RQ and ADD, the score unit between MUL, ADD and
 * ARGMAX): seg_ps[k] is segment k's longest path, the last one ends at the
 * unit's endpoints; without cuts seg_ps marks the same boundaries on the
 * unbroken paths. ps is the longest path over all segments. */
struct cm_path {
    double ps;
    double seg_ps[CM_PATH_MAX_SEGS];
    int n_seg;
    int nomem;      /* the arrival times could not be allocated: no result */
};

/* The units of units.h, same parameters. */
struct cm_path cm_path_adder(const struct cm_path_opts *o, int width, enum cm_adder_arch arch);
struct cm_path cm_path_subtractor(const struct cm_path_opts *o, int width,
                                  enum cm_adder_arch arch);
struct cm_path cm_path_comparator(const struct cm_path_opts *o, int width,
                                  enum cm_adder_arch arch);
struct cm_path cm_path_popcount(const struct cm_path_opts *o, int n, enum cm_adder_arch arch);
struct cm_path cm_path_shifter(const struct cm_path_opts *o, int width, int max_shift,
                               int out_width);
struct cm_path cm_path_multiplier(const struct cm_path_opts *o, int a_bits, int b_bits,
                                  enum cm_adder_arch arch);
struct cm_path cm_path_register(const struct cm_path_opts *o, int bits);
struct cm_path cm_path_lane_logic(const struct cm_path_opts *o, int lanes);
struct cm_path cm_path_lane_logic_shift(const struct cm_path_opts *o, int lanes, int n_exp);
struct cm_path cm_path_fetch_gating_xnor(const struct cm_path_opts *o, int lanes);
struct cm_path cm_path_lane_logic_xnor(const struct cm_path_opts *o, int lanes);
struct cm_path cm_path_accumulator_xnor(const struct cm_path_opts *o, int pop_bits,
                                        int max_shift, int acc_bits, enum cm_adder_arch arch);
struct cm_path cm_path_shift_add(const struct cm_path_opts *o, int pop_bits, int n_exp,
                                 enum cm_adder_arch arch);
struct cm_path cm_path_fetch_gating(const struct cm_path_opts *o, int lanes);
struct cm_path cm_path_pow2_decoder(const struct cm_path_opts *o, int lanes, int code_bits);
struct cm_path cm_path_act_decoder(const struct cm_path_opts *o, int lanes, int code_bits);
struct cm_path cm_path_accumulator(const struct cm_path_opts *o, int pop_bits, int max_shift,
                                   int acc_bits, enum cm_adder_arch arch);
struct cm_path cm_path_threshold_unit(const struct cm_path_opts *o, int n_thr, int width,
                                      enum cm_adder_arch arch);
struct cm_path cm_path_merge_or(const struct cm_path_opts *o, int bits);
struct cm_path cm_path_merge_mux(const struct cm_path_opts *o, int bits, enum cm_mux_variant v);
struct cm_path cm_path_requant_shift(const struct cm_path_opts *o, int acc_bits, int lshift_max,
                                     int rs_bits, int res_bits, enum cm_adder_arch arch);
struct cm_path cm_path_merge_add_shift(const struct cm_path_opts *o, int acc_bits, int lshift_max,
                                       int rs_bits, int res_bits, enum cm_adder_arch arch);
struct cm_path cm_path_requant_mul(const struct cm_path_opts *o, int acc_bits, int mul_bits,
                                   int res_bits, enum cm_adder_arch arch);
struct cm_path cm_path_stream_add(const struct cm_path_opts *o, int res_bits,
                                  enum cm_adder_arch arch);
struct cm_path cm_path_merge_add(const struct cm_path_opts *o, int acc_bits, int mul_bits,
                                 int res_bits, enum cm_adder_arch arch);
struct cm_path cm_path_pool(const struct cm_path_opts *o, int bits, enum cm_adder_arch arch);
struct cm_path cm_path_score_unit(const struct cm_path_opts *o, int acc_bits, int mul_bits,
                                  int class_bits, enum cm_adder_arch arch);
struct cm_path cm_path_controller(const struct cm_path_opts *o, const int *counter_bits,
                                  int n_counters, int stages);
/* The address generator's address adder (units.h, cm_addr_add). It lies in
 * FETCH between two SRAM reads, which the stages' paths do not model. */
struct cm_path cm_path_addr_add(const struct cm_path_opts *o, int width, enum cm_adder_arch arch);

/* The pipeline stages whose logic is timed (docs/accelerator.md). RQ_ADD is
 * the add merge in one stage ([merge] add_stages = 1), RQ and ADD its two
 * stages (add_stages = 2). CONTROL: the controller's counters. */
enum cm_stage {
    CM_STAGE_POP,
    CM_STAGE_ACC,
    CM_STAGE_RQ,
    CM_STAGE_ADD,
    CM_STAGE_RQ_ADD,
    CM_STAGE_THR,
    CM_STAGE_POOL,
    CM_STAGE_MUL,
    CM_STAGE_SCORE_ADD,
    CM_STAGE_ARGMAX,
    CM_STAGE_CONTROL,
    CM_N_STAGES
};

/* "POP", "ACC", "RQ", "ADD", "RQ+ADD", "THR", "POOL", "MUL", "SCORE_ADD",
 * "ARGMAX", "CONTROL" */
const char *cm_stage_name(enum cm_stage s);

struct cm_timing {
    int present[CM_N_STAGES];     /* the design has the stage */
    double stage_ps[CM_N_STAGES]; /* its logic path */
    enum cm_stage critical;       /* the slowest stage */
    double clk_q_ps, setup_ps;    /* the library's DFF */
    double period_ps;             /* slowest stage + clk_q + setup */
    double fmax_mhz;              /* 1e6 / period_ps */
};

/* Times the stages of the design hw (resolved: merge kind, max_act_bits,
 * max_w_bits as cm_design_eval resolves them; the controller's counter
 * widths and the score unit's class bits as it counts them). */
enum cm_status cm_timing_eval(struct cm_timing *t, const struct cm_hw *hw,
                              const struct cm_lib *lib, const int *counter_bits,
                              int n_counters, int class_bits, struct cm_error *err);
/* The same, with a memo of unit paths (memo.h; NULL: none). */
struct cm_memo;
enum cm_status cm_timing_eval_memo(struct cm_timing *t, const struct cm_hw *hw,
                                   const struct cm_lib *lib, const int *counter_bits,
                                   int n_counters, int class_bits, struct cm_memo *memo,
                                   struct cm_error *err);
/* The same with HA and FA timed as mode says (cm_timing_eval: CM_DELAY_CELLS;
 * CM_DELAY_GATES times them as the gates a library without adder cells maps
 * them to, the form tests/synth_design.c compares with ABC's). */
enum cm_status cm_timing_eval_mode(struct cm_timing *t, const struct cm_hw *hw,
                                   const struct cm_lib *lib, const int *counter_bits,
                                   int n_counters, int class_bits, enum cm_delay_mode mode,
                                   struct cm_memo *memo, struct cm_error *err);

#endif

/* costmodels/memo.h: a memo of unit results for evaluating many designs.
 *
 * Every unit's count (units.h) and longest path (timing.h) is a pure
 * function of its parameters (and, for a path, of the cell library, the
 * inputs' arrival time and the cut mode), built gate by gate through the
 * netlist builder. An exploration (sweeps/explore.h) evaluates thousands of
 * designs that share most of their units: a popcount of 64 lanes with a
 * ripple adder is the same netlist in every design that has it. The memo
 * keeps each result under its parameters, so a unit is built once per
 * parameter set; a hit returns the very struct the builder made, so a
 * design's numbers are identical with and without a memo.
 *
 *     struct cm_memo *m = cm_memo_new();                 // NULL: out of memory
 *     cm_design_eval_memo(d, &hw, &lib, &net, m, &err);   // as cm_design_eval
 *     cm_memo_free(m);
 *
 * A NULL memo calls the unit functions directly. The memo is tied to the
 * library of its first path and emptied when another one is passed.
 * Memory: the memo grows with the distinct units it has seen (a few hundred
 * bytes each); on allocation failure it stops remembering (results are
 * still right). Not thread-safe: one memo per thread. */
#ifndef LOGIQ_CM_MEMO_H
#define LOGIQ_CM_MEMO_H

#include "costmodels/cells.h"
#include "costmodels/timing.h"
#include "costmodels/units.h"

/* The unit functions a memo knows, with their integer arguments in the
 * order of units.h / timing.h (enums as ints). */
enum cm_unit_fn {
    CM_FN_LANE_LOGIC,          /* lanes */
    CM_FN_LANE_LOGIC_SHIFT,    /* lanes, n_exp */
    CM_FN_LANE_LOGIC_XNOR,     /* lanes */
    CM_FN_FETCH_GATING,        /* lanes */
    CM_FN_FETCH_GATING_XNOR,   /* lanes */
    CM_FN_POPCOUNT,            /* n, arch */
    CM_FN_SHIFT_ADD,           /* pop_bits, n_exp, arch */
    CM_FN_ACCUMULATOR,         /* pop_bits, max_shift, acc_bits, arch */
    CM_FN_ACCUMULATOR_XNOR,    /* pop_bits, max_shift, acc_bits, arch */
    CM_FN_THRESHOLD,           /* n_thr, width, arch */
    CM_FN_MERGE_OR,            /* bits */
    CM_FN_MERGE_MUX,           /* bits, variant */
    CM_FN_MERGE_ADD,           /* acc_bits, mul_bits, res_bits, arch (path only) */
    CM_FN_MERGE_ADD_SHIFT,     /* acc_bits, lshift_max, rs_bits, res_bits, arch (path only) */
    CM_FN_MERGE_ADD_REQUANT,   /* acc_bits, mul_bits, res_bits, arch (count only) */
    CM_FN_MERGE_ADD_REQUANT_SHIFT, /* acc_bits, lshift_max, rs_bits, res_bits, arch (count) */
    CM_FN_MERGE_ADD_STREAM,    /* res_bits, arch (count only) */
    CM_FN_POOL,                /* bits, arch */
    CM_FN_SCORE,               /* acc_bits, mul_bits, class_bits, arch */
    CM_FN_CONTROLLER,          /* n_counters, stages, counter_bits[0..n_counters-1] (<= 6) */
    CM_FN_ADDR_ADD,            /* width, arch (count only) */
    CM_FN_CTL_PATH,            /* a cm_ctl_path_cfg as 15 ints (count only: cm_memo_ctl_path) */
    CM_FN_SCORE_REGFILE,       /* classes, acc_bits, pe_rows, tile_bits, arch (count only) */
    CM_N_FNS
};

enum { CM_MEMO_MAX_ARGS = 16 };

struct cm_memo;

struct cm_memo *cm_memo_new(void);
void cm_memo_free(struct cm_memo *m);
/* Lookups and builds since cm_memo_new (hits = lookups - builds). */
void cm_memo_stats(const struct cm_memo *m, long long *lookups, long long *builds);

/* The unit's cell count (m may be NULL). */
struct cm_count cm_memo_count(struct cm_memo *m, enum cm_unit_fn fn, const int *args);
/* cm_ctl_path (units.h) through the memo. */
struct cm_count cm_memo_ctl_path(struct cm_memo *m, const struct cm_ctl_path_cfg *c);
/* The unit's longest path under o (m may be NULL). */
struct cm_path cm_memo_path(struct cm_memo *m, const struct cm_path_opts *o, enum cm_unit_fn fn,
                            const int *args);

#endif

/* costmodels/design.h: the cost of one design running one network.
 *
 * cm_design_eval derives everything from the hardware description, the cell
 * library and the network, never from typed-in totals: the gate count of each
 * unit kind (the sum of the structural unit models over the PEs and shared
 * units), the SRAM sizes, areas and accesses, the analytic cycles per layer,
 * and the operation-based energy per inference.
 *
 * The merge path (docs/cost-models.md) is everything the residual merge costs:
 * the merge units (an add merge's skip value register), the skip buffer
 * (which also holds the merge parameters: MUX select bits, requantizer
 * constants), the merge operations and skip traffic, and the cycles the
 * `add` unit's extra pipeline stages add with the whole design's leakage
 * over them. Everything
 * else does not depend on the merge kind, so two designs that differ only in
 * their merge differ in every total by exactly their merge paths' difference.
 *
 *     struct cm_design *d = calloc(1, sizeof *d);
 *     if (cm_design_eval(d, &hw, &lib, &net, &err) == CM_ERR_INFEASIBLE) ... err.msg
 *
 * Memory: struct cm_design is plain values (large: allocate it); nothing is
 * kept from the inputs. */
#ifndef LOGIQ_CM_DESIGN_H
#define LOGIQ_CM_DESIGN_H

#include "costmodels/cells.h"
#include "costmodels/hw.h"
#include "costmodels/latency.h"
#include "costmodels/net.h"
#include "costmodels/timing.h"

#define CM_MAX_LAYERS 256

enum cm_unit_kind {
    CM_U_ARRAY,     /* XNOR/AND lane logic of every PE and the fetch gating */
    CM_U_POPCOUNT,  /* two popcount trees per PE */
    CM_U_ACCUM,     /* subtract, shift, accumulate, accumulator register */
    CM_U_THRESH,    /* threshold comparators and their registers */
    CM_U_MERGE,     /* merge units (the merge path's logic) */
    CM_U_POOL,      /* pooling units */
    CM_U_SCORE,     /* the score unit and its register file */
    CM_U_PIPEREG,   /* pipeline registers between the stages */
    CM_U_CONTROL,   /* the controller */
    CM_N_UNITS
};

enum cm_buffer { CM_BUF_ACT, CM_BUF_WEIGHT, CM_BUF_SKIP, CM_N_BUFS };

/* Operation counts (useful operations: the channels a layer has, not idle
 * PEs) with the energy of each, per inference. */
enum cm_op_kind {
    CM_OPK_LANE,    /* one-bit products (lane logic) */
    CM_OPK_POP,     /* popcounts of `lanes` bits (pairs counted as two) */
    CM_OPK_ACC,     /* accumulations (subtract and add) */
    CM_OPK_CMP,     /* threshold comparisons */
    CM_OPK_MERGE,   /* merges: OR, MUX, or requantize + add */
    CM_OPK_POOL,    /* pooling steps */
    CM_OPK_SCORE,   /* score multiply-adds and argmax compares */
    CM_N_OPKS
};

/* The merge path's parts (each with its gates and energy; their sums are
 * the merge path's): ADDER the stream adder with its saturation, the ADD
 * stage's u register and the two extra stages' valid bits (add), or the OR2
 * / MUX2 that combine code and skip bit (or, mux); REQUANT the requantizer
 * (multiplier, offset adder, shifter, saturation, the reads of its
 * constants from the parameter bank, the RQ stage's Y register); SKIP the
 * skip buffer (its area, traffic of skip values and leakage) and the skip
 * value register; SELECT the MUX select bits' reads (and `both`'s variant
 * bit register; the bits themselves are the parameter bank's held output,
 * no registers); CYCLES the rest of the design's leakage over the cycles the add
 * stages add (no gates). */
enum cm_merge_part {
    CM_MP_ADDER,
    CM_MP_REQUANT,
    CM_MP_SKIP,
    CM_MP_SELECT,
    CM_MP_CYCLES,
    CM_N_MPARTS
};

struct cm_layer_cost {
    struct cm_cycles cyc;
    double latency_us;
    double ops[CM_N_OPKS];
    double ops_pj[CM_N_OPKS];
    double reads[CM_N_BUFS], writes[CM_N_BUFS];    /* accesses */
    double sram_pj[CM_N_BUFS];                     /* their energy */
    double leak_pj;                                /* the design's leakage over the layer */
    double energy_pj;                              /* all of it */
    double act_in_bits, act_out_bits;  /* what the layer needs of the activation banks */
    double skip_bits;                  /* the skip tensor it writes (0: it writes none) */
    double merge_part_pj[CM_N_MPARTS];             /* the merge path's dynamic energy by part
                                                      (sum: ops_pj[MERGE] + sram_pj[SKIP]) */
};

struct cm_energy {
    double ops_pj[CM_N_OPKS];      /* dynamic, by operation */
    double sram_pj[CM_N_BUFS];     /* accesses, by buffer */
    double leak_logic_pj;          /* logic leakage over the inference */
    double leak_sram_pj;
    double total_pj;
};

struct cm_merge_path {
    double part_nand2[CM_N_MPARTS];      /* logic gates of each part */
    double part_area_um2[CM_N_MPARTS];   /* logic area; SKIP also the skip buffer's */
    double part_energy_pj[CM_N_MPARTS];  /* per inference: operations, accesses, leakage */
    double nand2;          /* merge units' gates */
    double area_um2;       /* their area plus the skip buffer's */
    double skip_bits;      /* skip buffer size */
    double skip_used_bits; /* what the network needs of it */
    double cycles;         /* extra cycles of the add stages, per inference */
    double energy_pj;      /* merge ops, skip traffic, leakage (see above) */
};

struct cm_design {
    struct cm_hw hw;                       /* resolved: merge kind, buffer sizes, and
                                              clock_mhz (auto: timing.fmax_mhz) */
    int n_layers;
    struct cm_layer_cost layer[CM_MAX_LAYERS];

    struct cm_count unit[CM_N_UNITS];      /* cells per unit kind, whole design */
    double unit_nand2[CM_N_UNITS];
    double unit_area_um2[CM_N_UNITS];
    double unit_leak_nw[CM_N_UNITS];
    double logic_nand2, logic_area_um2, logic_leak_nw;

    double buf_bits[CM_N_BUFS];            /* sizes (two banks for ACT) */
    double buf_used_bits[CM_N_BUFS];       /* what the network needs */
    double buf_word_bits[CM_N_BUFS];       /* widest access (sets the banks, energy.h) */
    double buf_area_um2[CM_N_BUFS];
    double buf_leak_nw[CM_N_BUFS];
    double sram_area_um2;
    double area_um2;                       /* logic + SRAM */

    struct cm_timing timing;               /* stage paths, critical stage, fmax */
    struct cm_timing timing_gates;         /* the same with HA and FA timed as their gates
                                              (timing.h, CM_DELAY_GATES): the form a library
                                              without adder cells maps (tests/synth_design.c) */
    int clock_auto;                        /* the clock is fmax ([design] clock_mhz = auto) */
    int clock_over_fmax;                   /* a fixed clock_mhz above fmax: the design would
                                              not meet timing (cli/ warns; the numbers are
                                              still those at clock_mhz) */

    long long cycles;                      /* per inference */
    double latency_us;
    struct cm_energy energy;               /* operation-based, per inference */
    struct cm_merge_path merge;
    struct cm_count merge_part[CM_N_MPARTS];  /* cells of each merge path part (sum:
                                                  unit[CM_U_MERGE]) */
    struct cm_count addr_gen;              /* the address generator's gather adders (part of
                                              unit[CM_U_CONTROL]) */
    struct cm_ctl_sizes ctl_sizes;         /* the memories' sizes the network needs (the
                                              controller's widths, units.h) */
    struct cm_count ctl_path;              /* the controller's datapath (units.h, cm_ctl_path;
                                              part of unit[CM_U_CONTROL]) */
    struct cm_count ctl_path_merge;        /* the merge's share of it (its descriptor fields,
                                              the skip buffer's port addressing; part of
                                              merge_part[CM_MP_SKIP]) */
    struct cm_count score_regfile;         /* the score register file (cm_score_regfile; part
                                              of unit[CM_U_SCORE]) */
};

const char *cm_unit_kind_name(enum cm_unit_kind u);
const char *cm_buffer_name(enum cm_buffer b);
const char *cm_op_kind_name(enum cm_op_kind k);
const char *cm_merge_part_name(enum cm_merge_part p);

/* Evaluates the design. CM_ERR_INFEASIBLE: the design cannot run the network
 * (err names the layer and the hw.ini key); CM_ERR_ARG: the network or hw
 * description is inconsistent. d is fully written on CM_OK only. */
enum cm_status cm_design_eval(struct cm_design *d, const struct cm_hw *hw,
                              const struct cm_lib *lib, const struct cm_net *net,
                              struct cm_error *err);
/* The same, with a memo of unit results (memo.h; NULL: none) for
 * evaluating many designs: identical numbers, each unit built once. */
struct cm_memo;
enum cm_status cm_design_eval_memo(struct cm_design *d, const struct cm_hw *hw,
                                   const struct cm_lib *lib, const struct cm_net *net,
                                   struct cm_memo *memo, struct cm_error *err);

/* Activity counted by a simulation (sim/), per inference, and the energy it
 * implies: toggles of each unit kind's registers and buses, SRAM accesses,
 * cycles. Each toggle of a unit kind's bit costs that unit kind's switched
 * energy per bit: the sum over its cells of count x energy per toggle,
 * divided by its register bits (a toggle at a unit's state drives its share
 * of the unit's logic once); accesses cost as in cm_sram_access_pj at the
 * word widths of docs/accelerator.md; leakage is the design's over the
 * cycles. */
struct cm_activity {
    double cycles;
    double toggles[CM_N_UNITS];
    double reads[CM_N_BUFS], writes[CM_N_BUFS];
    double read_bits[CM_N_BUFS], write_bits[CM_N_BUFS];  /* average word widths */
};

struct cm_activity_energy {
    double unit_pj[CM_N_UNITS];
    double sram_pj[CM_N_BUFS];
    double leak_pj;
    double total_pj;
};

void cm_energy_activity(const struct cm_design *d, const struct cm_lib *lib,
                        const struct cm_activity *a, struct cm_activity_energy *e);

/* The widest pow2 exponent code that a layer of net runs on the bit planes
 * of hw (0: none, and the fetch unit has no pow2 decoder). */
int cm_pow2_decoder_bits(const struct cm_hw *hw, const struct cm_net *net);

#endif

/* costmodels/units.h: structural gate counts of the accelerator's units.
 *
 * Each unit is a pure function from a small description (widths, lane
 * counts, adder architecture) to a count of each cell of cells.h. The count
 * is that of a concrete netlist, the one costmodels/verilog.c writes for the
 * same description, so Yosys can check it (tests/test_yosys.c). Units are
 * described in docs/accelerator.md; the netlist each function counts is
 * described at the function, in its .c file.
 *
 * Widths are in bits, 1..64 unless a function says otherwise; programming
 * errors (a width out of range) are assert()s. */
#ifndef LOGIQ_CM_UNITS_H
#define LOGIQ_CM_UNITS_H

#include "costmodels/cells.h"

/* The most lanes a design has ([array] lanes): every lane-wide bus (a
 * popcount's inputs, the lane logic's) is built up to this width. */
enum { CM_MAX_LANES = 4096 };

/* The MUX merge's variant (docs/accelerator.md; nn/layers.h's nn_mux_variant):
 * OR: y = sel ? code OR skip : code (an OR2 and a MUX2 a bit); SEL:
 * y = sel ? skip : code (a MUX2 a bit). A layer is one or the other; a
 * design's unit is one, or BOTH for a network that mixes them:
 * y = sel ? (v ? skip : code OR skip) : code, v the layer's variant bit (an
 * OR2 and two MUX2 a bit). AUTO: the network's. */
enum cm_mux_variant { CM_MUX_OR = 0, CM_MUX_SEL = 1, CM_MUX_BOTH = 2, CM_MUX_AUTO = 3 };

enum cm_adder_arch {
    CM_ADDER_RIPPLE,       /* ripple carry: a chain of full adders */
    CM_ADDER_CLA,          /* carry-lookahead in 4-bit blocks, rippling between blocks */
    CM_ADDER_BRENT_KUNG,   /* parallel prefix, Brent-Kung */
    CM_ADDER_KOGGE_STONE,  /* parallel prefix, Kogge-Stone */
    CM_N_ADDER_ARCHS
};

/* "ripple", "cla", "brent-kung", "kogge-stone"; and back (-1 if unknown). */
const char *cm_adder_arch_name(enum cm_adder_arch a);
int cm_adder_arch_parse(const char *name);

/* width-bit adder a + b (+ carry in), width sum bits and a carry out. */
struct cm_count cm_adder(int width, enum cm_adder_arch arch);
/* width-bit subtractor a - b (an adder with b inverted and carry in 1). */
struct cm_count cm_subtractor(int width, enum cm_adder_arch arch);
/* a >= b on width-bit two's complement numbers (a subtractor's sign logic). */
struct cm_count cm_comparator(int width, enum cm_adder_arch arch);
/* Popcount of n inputs (1..CM_MAX_LANES): a carry-save tree of full and half adders
 * reducing the columns to two rows, then a final adder of arch; the result
 * has cm_bits_for(n) bits. */
struct cm_count cm_popcount(int n, enum cm_adder_arch arch);
/* Left shifter of a width-bit value by 0..max_shift (a logarithmic barrel
 * shifter of MUX2s), out_width result bits (sign-extended input). */
struct cm_count cm_shifter(int width, int max_shift, int out_width);
/* Signed multiplier a_bits x b_bits (Baugh-Wooley array of AND/NAND partial
 * products, carry-save reduction, final adder of arch), a_bits + b_bits
 * result bits. */
struct cm_count cm_multiplier(int a_bits, int b_bits, enum cm_adder_arch arch);
/* bits D flip-flops. */
struct cm_count cm_register(int bits);

/* One PE's lane logic over lanes lanes: nz = m AND g, n = s XOR f,
 * pos = nz AND NOT n, neg = nz AND n (docs/accelerator.md). */
struct cm_count cm_lane_logic(int lanes);
/* The shift PE's lane logic over lanes lanes and n_exp exponents: the sign
 * path, the decoder of the exponent code (ceil(log2(n_exp + 1)) bits, its
 * upper bits gated by the layer's mode; code 0 is the weight 0), and the
 * routing of pos and neg onto n_exp tree pairs. */
struct cm_count cm_lane_logic_shift(int lanes, int n_exp);
/* The shift PE's shift-add: P = sum_e pos_e << e, N likewise, from n_exp
 * pop_bits-bit counts each, pop_bits + n_exp - 1 bits (carry-save trees and
 * final adders of arch). */
struct cm_count cm_shift_add(int pop_bits, int n_exp, enum cm_adder_arch arch);
/* The fetch unit's pow2 decoder for one PE's lanes lanes: each lane's
 * code_bits-bit exponent code k against the pass's target j + 1, giving the
 * pass's magnitude bit m = (k == j + 1) (docs/accelerator.md). */
struct cm_count cm_pow2_decoder(int lanes, int code_bits);
/* The fetch unit's activation decoder for signed multi-level inputs (tern,
 * pow2:B) over lanes lanes of code_bits-bit codes (2..4): per lane the
 * pass's plane bit x' = (c == t_hi) OR (c == t_lo) and flip f' = f OR (c ==
 * t_lo) in signed mode, the plane bit and f unchanged otherwise
 * (docs/accelerator.md, "Signed activations"). */
struct cm_count cm_act_decoder(int lanes, int code_bits);
/* The shared fetch unit's gating over lanes lanes: g and f for the two
 * activation kinds ({0,1} planes, sign), with the valid mask. */
struct cm_count cm_fetch_gating(int lanes);
/* A PE's accumulate stage: the subtractor pos - neg (pop_bits + 1 bits), the
 * shifter by 0..max_shift, the acc_bits adder, the clear (first issue) mux and
 * the acc_bits accumulator register. */
struct cm_count cm_accumulator(int pop_bits, int max_shift, int acc_bits,
                               enum cm_adder_arch arch);
/* The XNOR PE (docs/accelerator.md, "The XNOR PE"): the shared fetch gating
 * that also gives the inverted gate ng; one PE's lane logic, the product bit
 * t = g AND NOT (s XOR f) of a binary weight a lane; its accumulate stage,
 * d = 2 pos - cnt from its count of t and the shared count of g, then as
 * cm_accumulator. */
struct cm_count cm_fetch_gating_xnor(int lanes);
struct cm_count cm_lane_logic_xnor(int lanes);
struct cm_count cm_accumulator_xnor(int pop_bits, int max_shift, int acc_bits,
                                    enum cm_adder_arch arch);
/* A PE's threshold unit: n_thr comparators of width bits against its
 * thresholds (from the weight buffer's parameter bank, held by its output:
 * no registers) and the code encoder (count of true comparisons,
 * ceil(log2(n_thr+1)) bits). */
struct cm_count cm_threshold_unit(int n_thr, int width, enum cm_adder_arch arch);
/* Merge units of one PE, bits wide. OR: y = a OR skip. MUX (the `or`
 * variant): y = sel ? (a OR skip) : a, the select bit from the skip
 * buffer's parameter bank (no register). */
struct cm_count cm_merge_or(int bits);
struct cm_count cm_merge_mux(int bits, enum cm_mux_variant v);
/* The `add` merge of one PE: the requantizer (mul_bits x acc_bits multiplier,
 * the adder of the product width for the offset, a right shifter by 0..63,
 * saturation to res_bits) and the res_bits saturating adder of the skip; the
 * requantizer constants (mul_bits + acc_bits + mul_bits bits a channel) are
 * the skip buffer's parameter bank's held output, no registers. */
struct cm_count cm_merge_add(int acc_bits, int mul_bits, int res_bits,
                             enum cm_adder_arch arch);
/* The parts of those units, for the merge path's breakdown (their sums are
 * the units above, cell for cell): the add merge's requantizer (multiplier,
 * offset adder, shifter, saturation; its constants from the skip buffer's
 * parameter bank) and its stream adder (res_bits adder, overflow logic and
 * saturation MUX2s). */
struct cm_count cm_merge_add_requant(int acc_bits, int mul_bits, int res_bits,
                                     enum cm_adder_arch arch);
struct cm_count cm_merge_add_stream(int res_bits, enum cm_adder_arch arch);
/* The shift requantizer of one PE ([merge] requant = shift): left shifter
 * by 0..lshift_max, conditional negation, the acc_bits + lshift_max + 1 bit
 * offset adder, right shifter by rs_bits control bits, saturation to
 * res_bits; its constants (1 + ceil(log2(lshift_max + 1)) + rs_bits +
 * acc_bits + lshift_max bits) from the skip buffer's parameter bank. */
struct cm_count cm_merge_add_requant_shift(int acc_bits, int lshift_max, int rs_bits,
                                           int res_bits, enum cm_adder_arch arch);
/* A PE's pooling unit on bits-wide codes: a running max (OR2s for 1-bit
 * codes; a comparator and MUX2s otherwise) and the bits-wide pool register. */
struct cm_count cm_pool(int bits, enum cm_adder_arch arch);
/* The score unit: mul_bits x acc_bits multiplier, the offset adder, and the
 * argmax (best score register, best class register of class_bits, comparator). */
struct cm_count cm_score_unit(int acc_bits, int mul_bits, int class_bits,
                              enum cm_adder_arch arch);
/* The controller: one up-counter with terminal-count compare per loop
 * (layer, tile, position, chunk, weight pass, activation plane) of the given
 * widths, plus the pipeline's valid bits (stages). */
struct cm_count cm_controller(const int *counter_bits, int n_counters, int stages);

/* An address adder of the address generator: s = a + b modulo 2^width (no
 * carry in or out). The gather has one a lane, and two for the base
 * address (docs/rtl.md, "Structure"). */
struct cm_count cm_addr_add(int width, enum cm_adder_arch arch);

/* The controller's datapath (costmodels/ctlpath.c, docs/rtl.md "The
 * controller's datapath"). Its widths follow the memories' sizes, as the
 * RTL's top module sizes them: a channel or tile count (tile) holds the
 * threshold memory's channels or the classes, a position (pos), chunk, valid
 * or weight word index holds its table's depth (each one bit more than the
 * table's address, to hold the count itself); bank is a bit address of the
 * two banks, skip an entry of the skip buffer (one bit more), rq and cls as
 * the others. */
struct cm_ctl_sizes {
    long long weight_words, positions, chunks, valid_words;
    long long thr_words;    /* threshold tile words (R channels a word) */
    long long rq_words;     /* requantizer tile words (add designs) */
    long long bank_bits;    /* each activation bank */
    long long skip_values;  /* skip buffer entries */
    int classes;
};
struct cm_ctl_widths {
    int tile, pos, chunk, valid, weight, bank, skip, rq, cls;
};
void cm_ctl_widths_of(int pe_rows, const struct cm_ctl_sizes *s, struct cm_ctl_widths *w);
struct cm_ctl_path_cfg {
    int pe_rows, act_bits;
    struct cm_ctl_widths w;
    int merges;             /* an OR or MUX merge unit (one skip bit a value) */
    int add_stream;         /* an add merge (its RQ and ADD stages, res_bits a value) */
    int mux_both;           /* the MUX merge's variant bit */
    int rq_shift_bits;      /* add with the multiplier requantizer: its shift field (6), else 0 */
    int pow2_codes;         /* the weight words hold pow2 codes (pow2_words = code) */
    int shift_bits;         /* the shift tag */
    enum cm_adder_arch arch;
};
/* The layer descriptor's registers, the running indices, the tables' address
 * adders, the tile arithmetic, the write-back's registers and the per-PE
 * ports of the skip buffer and the banks. */
struct cm_count cm_ctl_path(const struct cm_ctl_path_cfg *c);
/* The score register file: classes x acc_bits enabled registers, written
 * from PE k mod pe_rows in tile k / pe_rows, and its read MUX2 tree. */
struct cm_count cm_score_regfile(int classes, int acc_bits, int pe_rows, int tile_bits,
                                 enum cm_adder_arch arch);

/* ceil(log2(n + 1)): the bits that hold 0..n. */
int cm_bits_for(long long n);

#endif

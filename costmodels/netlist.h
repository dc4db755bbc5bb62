/* costmodels/netlist.h: the netlist builder behind every unit model (internal
 * to costmodels/).
 *
 * Each unit of units.h is written once, as a function that builds its netlist
 * gate by gate through this builder. Built with text == NULL, the builder only
 * tallies the cells: that is the unit's count (cm_adder() etc.), a pure
 * function that allocates nothing. Built with a text buffer, it also writes
 * each gate as a structural Verilog statement (costmodels/verilog.c), so the
 * netlist that Yosys synthesizes is by construction the one that was counted.
 *
 * Wires are ints: a net id >= 0, or one of the constants CM_NL_0 / CM_NL_1.
 * The gate functions fold constants and identical inputs (AND(x, 0) = 0,
 * XOR(x, 1) = NOT x, MUX(s, x, x) = x, a full adder with a constant input is
 * a half adder or XNOR2 + OR2, ...): the netlist then holds only gates that
 * compute something, the ones a synthesis tool would keep. Generic code
 * (zero-extended operands, the Baugh-Wooley constants, a carry-in of 0 or 1)
 * thus costs what the specialised circuit costs.
 *
 * Memory: a struct cm_nl is a plain value; in text mode the builder appends
 * to the caller's struct cm_text (malloc'd, grown as needed). */
#ifndef LOGIQ_CM_NETLIST_H
#define LOGIQ_CM_NETLIST_H

#include <stddef.h>

#include "costmodels/cells.h"
#include "costmodels/units.h"

enum { CM_NL_0 = -1, CM_NL_1 = -2 };

/* The largest bus a builder handles on the stack (a popcount's inputs, a
 * multiplier's partial-product column): the widest lane bus. The cost
 * models run on the main thread (never on a SystemC coroutine's small
 * stack), where the largest frame, a 4096-input popcount's columns
 * (about 210 KB), fits. */
enum { CM_NL_MAX_BUS = CM_MAX_LANES };
/* The widest adder the builder makes (a 64 x 64 product's final adder). */
enum { CM_NL_MAX_ADD = 128 };

/* A growable text; on allocation failure failed is set and appends stop. */
struct cm_text {
    char *s;
    size_t len, cap;
    int failed;
};

void cm_text_printf(struct cm_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cm_text_free(struct cm_text *t);

/* Timing mode (costmodels/timing.c): the arrival time of every wire, in ps,
 * under the one-delay-a-cell model of timing.h. Inputs arrive at in_ps,
 * flip-flop outputs at 0 (their clock-to-q is added by the caller, with the
 * setup time); endpoints are the outputs and the flip-flops' d inputs.
 * A stage cut (cm_nl_stage_cut) ends a segment: with cuts set the wires
 * crossing it start again at 0, as behind the stage register the
 * accelerator puts there, else the cut is only a mark. */
enum { CM_NL_MAX_SEGS = 4 };
struct cm_nl_timing {
    const struct cm_lib *lib;
    int gates_only;          /* HA and FA timed as cm_count_gates_only's gates */
    int cuts;                /* stage cuts are registers */
    double in_ps;            /* arrival of the inputs */
    double *arr_ps;          /* [cap] arrival per wire (malloc'd) */
    int cap;
    int failed;              /* out of memory: arrivals are no longer kept */
    double end_ps;           /* latest endpoint of the current segment */
    double seg_ps[CM_NL_MAX_SEGS];  /* closed segments' latest endpoints */
    int n_seg;
};

struct cm_nl {
    struct cm_count count;
    int n_wires;             /* net ids handed out so far */
    struct cm_text *ports;   /* text mode: the port declarations (NULL: count only) */
    struct cm_text *body;    /* text mode: the statements */
    int has_clock;           /* a DFF was built: the module gets a clk input */
    struct cm_nl_timing *tm; /* timing mode (NULL: no timing) */
};

/* Ports. Text mode declares "input [bits-1:0] name" and binds the wires. */
void cm_nl_input(struct cm_nl *nl, const char *name, int bits, int *w);
void cm_nl_output(struct cm_nl *nl, const char *name, int bits, const int *w);

/* Gates (with folding, see above). */
int cm_nl_inv(struct cm_nl *nl, int a);
int cm_nl_and(struct cm_nl *nl, int a, int b);
int cm_nl_or(struct cm_nl *nl, int a, int b);
int cm_nl_nand(struct cm_nl *nl, int a, int b);
int cm_nl_nor(struct cm_nl *nl, int a, int b);
int cm_nl_xor(struct cm_nl *nl, int a, int b);
int cm_nl_xnor(struct cm_nl *nl, int a, int b);
/* g OR (p AND c), the carry-lookahead and prefix adders' combine, as a
 * mapper builds it: NAND2(NAND2(p, c), NOT g): the same area in NAND2
 * equivalents as AND2 + OR2 and half their delay on the carry path
 * (constants folded). */
int cm_nl_ao21(struct cm_nl *nl, int g, int p, int c);
/* The AND (OR) of w[0..n-1] as a balanced tree of AND2 (OR2): n - 1 gates
 * as a chain would be (constants folded), ceil(log2 n) levels deep, as
 * synthesis balances a chain. n >= 1. */
int cm_nl_and_n(struct cm_nl *nl, int n, const int *w);
int cm_nl_or_n(struct cm_nl *nl, int n, const int *w);
/* s ? a1 : a0 */
int cm_nl_mux(struct cm_nl *nl, int s, int a0, int a1);
/* Half and full adders: *sum, *carry. */
void cm_nl_ha(struct cm_nl *nl, int a, int b, int *sum, int *carry);
void cm_nl_fa(struct cm_nl *nl, int a, int b, int c, int *sum, int *carry);
/* A D flip-flop on the module's clk; returns q. */
int cm_nl_dff(struct cm_nl *nl, int d);
/* A register loaded with d when en, else holding: MUX2 + DFF per bit. */
int cm_nl_dff_en(struct cm_nl *nl, int d, int en);
/* A flip-flop in a feedback loop: cm_nl_reg_q makes it and returns q;
 * cm_nl_reg_d later connects its d (once). */
int cm_nl_reg_q(struct cm_nl *nl);
void cm_nl_reg_d(struct cm_nl *nl, int q, int d);

/* A pipeline stage boundary on the bits wires w (timing mode only; counts
 * and text are unchanged: the stage register is counted by the design).
 * Closes the current segment at the latest of w's arrivals and the
 * endpoints seen since the last cut; with tm->cuts, w then arrive at 0. */
void cm_nl_stage_cut(struct cm_nl *nl, int bits, const int *w);

/* ---- building blocks shared by the units (adder.c, popcount.c, ...) ---- */

/* s = a + b + cin over width bits (a, b may hold constants). If cout is NULL
 * the carry out of the top bit is not built (the sum is taken mod 2^width). */
void cm_nl_add(struct cm_nl *nl, enum cm_adder_arch arch, int width, const int *a, const int *b,
               int cin, int *s, int *cout);
/* s = a - b over width bits (carry out: 1 = no borrow; NULL: not built). */
void cm_nl_sub(struct cm_nl *nl, enum cm_adder_arch arch, int width, const int *a, const int *b,
               int *s, int *cout);
/* ge = (a >= b): unsigned if is_signed == 0, else two's complement. Only the
 * carry of a + ~b + 1 is built (see comparator in adder.c). */
int cm_nl_compare_ge(struct cm_nl *nl, enum cm_adder_arch arch, int width, const int *a,
                     const int *b, int is_signed);
/* Reduces columns of bits (column c: col[c * stride + 0 .. height[c]-1],
 * c < n_cols) with a carry-save (Wallace) tree of full adders to at most two
 * bits a column, then adds the two rows with an adder of arch; result: n_cols
 * bits (mod 2^n_cols: the top column's carries are never built). col and
 * height are modified; stride must exceed every height the tree reaches
 * (the initial height plus the carries from the column below). */
void cm_nl_reduce_columns(struct cm_nl *nl, enum cm_adder_arch arch, int n_cols, int *height,
                          int *col, int stride, int *result);
/* Logarithmic barrel shifter: y = x << sh (left) or x >> sh (arithmetic
 * right), x sign-extended, sh of sh_bits bits, out_width result bits. */
enum cm_shift_dir { CM_SHIFT_LEFT, CM_SHIFT_RIGHT_ARITH };
void cm_nl_shift(struct cm_nl *nl, enum cm_shift_dir dir, int width, const int *x, int sh_bits,
                 const int *sh, int out_width, int *y);
/* Signed a_bits x b_bits Baugh-Wooley product, a_bits + b_bits bits. */
void cm_nl_multiply(struct cm_nl *nl, enum cm_adder_arch arch, int a_bits, const int *a,
                    int b_bits, const int *b, int *p);
/* Popcount of n bits into cm_bits_for(n) bits. */
void cm_nl_popcount(struct cm_nl *nl, enum cm_adder_arch arch, int n, const int *x, int *count);

/* ---- the units: each declares its ports and builds its netlist ---- */

void cm_nl_unit_adder(struct cm_nl *nl, int width, enum cm_adder_arch arch);
void cm_nl_unit_subtractor(struct cm_nl *nl, int width, enum cm_adder_arch arch);
void cm_nl_unit_comparator(struct cm_nl *nl, int width, enum cm_adder_arch arch);
void cm_nl_unit_popcount(struct cm_nl *nl, int n, enum cm_adder_arch arch);
void cm_nl_unit_shifter(struct cm_nl *nl, int width, int max_shift, int out_width);
void cm_nl_unit_multiplier(struct cm_nl *nl, int a_bits, int b_bits, enum cm_adder_arch arch);
void cm_nl_unit_register(struct cm_nl *nl, int bits);
void cm_nl_unit_lane_logic(struct cm_nl *nl, int lanes);
void cm_nl_unit_fetch_gating(struct cm_nl *nl, int lanes);
void cm_nl_unit_fetch_gating_xnor(struct cm_nl *nl, int lanes);
void cm_nl_unit_lane_logic_xnor(struct cm_nl *nl, int lanes);
void cm_nl_unit_accumulator_xnor(struct cm_nl *nl, int pop_bits, int max_shift, int acc_bits,
                                 enum cm_adder_arch arch);
void cm_nl_unit_pow2_decoder(struct cm_nl *nl, int lanes, int code_bits);
void cm_nl_unit_act_decoder(struct cm_nl *nl, int lanes, int code_bits);
void cm_nl_unit_lane_logic_shift(struct cm_nl *nl, int lanes, int n_exp);
void cm_nl_unit_shift_add(struct cm_nl *nl, int pop_bits, int n_exp, enum cm_adder_arch arch);
void cm_nl_unit_accumulator(struct cm_nl *nl, int pop_bits, int max_shift, int acc_bits,
                            enum cm_adder_arch arch);
void cm_nl_unit_threshold(struct cm_nl *nl, int n_thr, int width, enum cm_adder_arch arch);
void cm_nl_unit_merge_or(struct cm_nl *nl, int bits);
void cm_nl_unit_merge_mux(struct cm_nl *nl, int bits, enum cm_mux_variant v);
/* The multiplier requantizer alone (units.h, cm_merge_add_requant): inputs
 * acc, mul_in, off_in, sh, ld, swap; output y. */
void cm_nl_unit_requant_mul(struct cm_nl *nl, int acc_bits, int mul_bits, int res_bits,
                            enum cm_adder_arch arch);
/* The add merge's stream adder alone (units.h, cm_merge_add_stream): u =
 * sat(y + skip). */
void cm_nl_unit_stream_add(struct cm_nl *nl, int res_bits, enum cm_adder_arch arch);
/* The shift requantizer alone (units.h, cm_merge_add_requant_shift). */
void cm_nl_unit_requant_shift(struct cm_nl *nl, int acc_bits, int lshift_max, int rs_bits,
                              int res_bits, enum cm_adder_arch arch);
/* The add merge with the shift requantizer (requant, then the stream adder). */
void cm_nl_unit_merge_add_shift(struct cm_nl *nl, int acc_bits, int lshift_max, int rs_bits,
                                int res_bits, enum cm_adder_arch arch);
void cm_nl_unit_merge_add(struct cm_nl *nl, int acc_bits, int mul_bits, int res_bits,
                          enum cm_adder_arch arch);
void cm_nl_unit_pool(struct cm_nl *nl, int bits, enum cm_adder_arch arch);
void cm_nl_unit_score(struct cm_nl *nl, int acc_bits, int mul_bits, int class_bits,
                      enum cm_adder_arch arch);
void cm_nl_unit_controller(struct cm_nl *nl, const int *counter_bits, int n_counters, int stages);
/* Count (and timing) only: its inputs are the registers and memories of the
 * RTL's top module that it reads, not a module's ports (units.h). */
void cm_nl_unit_ctl_path(struct cm_nl *nl, const struct cm_ctl_path_cfg *c);
void cm_nl_unit_addr_add(struct cm_nl *nl, int width, enum cm_adder_arch arch);

#endif

/* costmodels/verilog.h: each unit of units.h as synthesizable Verilog.
 *
 * The structural modules are written by the same netlist builder that
 * counts the unit (netlist.h): one assign per gate, full and half adders as
 * their gates (an FA's carry in the NAND form that cm_count_gates_only
 * assumes), flip-flops as instances of the module logiq_dff of
 * cm_verilog_prelude(). Synthesizing one and mapping it to simple gates
 * (tests/test_yosys.c) checks the count. The behavioural modules (a + b,
 * a * b, ...) have the same ports as the structural ones, for equivalence
 * checks of the arithmetic units.
 *
 * Usage:
 *     char *v = cm_verilog_adder("add16", 16, CM_ADDER_KOGGE_STONE);
 *     if (!v) ... out of memory
 *     fputs(cm_verilog_prelude(), f); fputs(v, f); free(v);
 *
 * Memory: each function returns a malloc'd module text that the caller
 * frees, or NULL when out of memory. No I/O. Arguments are those of the unit's
 * count function in units.h, with the same limits (assert()ed). */
#ifndef LOGIQ_CM_VERILOG_H
#define LOGIQ_CM_VERILOG_H

#include "costmodels/units.h"

/* The modules that structural modules instantiate (logiq_dff: a positive
 * edge D flip-flop); write it once before them. */
const char *cm_verilog_prelude(void);

char *cm_verilog_adder(const char *module, int width, enum cm_adder_arch arch);
char *cm_verilog_subtractor(const char *module, int width, enum cm_adder_arch arch);
char *cm_verilog_comparator(const char *module, int width, enum cm_adder_arch arch);
char *cm_verilog_popcount(const char *module, int n, enum cm_adder_arch arch);
char *cm_verilog_shifter(const char *module, int width, int max_shift, int out_width);
char *cm_verilog_multiplier(const char *module, int a_bits, int b_bits, enum cm_adder_arch arch);
char *cm_verilog_register(const char *module, int bits);
char *cm_verilog_lane_logic(const char *module, int lanes);
char *cm_verilog_lane_logic_shift(const char *module, int lanes, int n_exp);
char *cm_verilog_shift_add(const char *module, int pop_bits, int n_exp, enum cm_adder_arch arch);
/* Behavioural references of the shift PE's units (for the equivalence check). */
char *cm_verilog_lane_logic_shift_behav(const char *module, int lanes, int n_exp);
char *cm_verilog_shift_add_behav(const char *module, int pop_bits, int n_exp);
char *cm_verilog_fetch_gating(const char *module, int lanes);
char *cm_verilog_fetch_gating_xnor(const char *module, int lanes);
char *cm_verilog_lane_logic_xnor(const char *module, int lanes);
char *cm_verilog_accumulator_xnor(const char *module, int pop_bits, int max_shift, int acc_bits,
                                  enum cm_adder_arch arch);
char *cm_verilog_pow2_decoder(const char *module, int lanes, int code_bits);
/* Its behavioural reference: m[i] = (k[i] == t). */
char *cm_verilog_pow2_decoder_behav(const char *module, int lanes, int code_bits);
/* The activation decoder (units.h, cm_act_decoder) and its behavioural
 * reference. */
char *cm_verilog_act_decoder(const char *module, int lanes, int code_bits);
char *cm_verilog_act_decoder_behav(const char *module, int lanes, int code_bits);
char *cm_verilog_accumulator(const char *module, int pop_bits, int max_shift, int acc_bits,
                             enum cm_adder_arch arch);
char *cm_verilog_threshold_unit(const char *module, int n_thr, int width, enum cm_adder_arch arch);
char *cm_verilog_merge_or(const char *module, int bits);
char *cm_verilog_merge_mux(const char *module, int bits, enum cm_mux_variant v);
char *cm_verilog_merge_add(const char *module, int acc_bits, int mul_bits, int res_bits,
                           enum cm_adder_arch arch);
/* The add merge's parts as the cost model counts them apart
 * (cm_merge_add_requant, cm_merge_add_stream): the multiplier requantizer
 * and the stream adder. */
char *cm_verilog_requant_mul(const char *module, int acc_bits, int mul_bits, int res_bits,
                             enum cm_adder_arch arch);
char *cm_verilog_stream_add(const char *module, int res_bits, enum cm_adder_arch arch);
char *cm_verilog_requant_shift(const char *module, int acc_bits, int lshift_max, int rs_bits,
                               int res_bits, enum cm_adder_arch arch);
char *cm_verilog_pool(const char *module, int bits, enum cm_adder_arch arch);
char *cm_verilog_score_unit(const char *module, int acc_bits, int mul_bits, int class_bits,
                            enum cm_adder_arch arch);
char *cm_verilog_controller(const char *module, const int *counter_bits, int n_counters,
                            int stages);
char *cm_verilog_addr_add(const char *module, int width, enum cm_adder_arch arch);

/* Behavioural references with the ports of the structural module. */
char *cm_verilog_adder_behav(const char *module, int width);
char *cm_verilog_addr_add_behav(const char *module, int width);
char *cm_verilog_subtractor_behav(const char *module, int width);
char *cm_verilog_comparator_behav(const char *module, int width);
char *cm_verilog_popcount_behav(const char *module, int n);
char *cm_verilog_shifter_behav(const char *module, int width, int max_shift, int out_width);
char *cm_verilog_multiplier_behav(const char *module, int a_bits, int b_bits);

#endif

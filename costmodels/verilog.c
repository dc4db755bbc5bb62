/* costmodels/verilog.c: the Verilog writers of verilog.h. The structural
 * ones run a unit's netlist builder in text mode and wrap the statements in
 * a module. */
#include "costmodels/verilog.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "costmodels/netlist.h"

const char *cm_verilog_prelude(void)
{
    return "module logiq_dff(input clk, input d, output reg q);\n"
           "  always @(posedge clk) q <= d;\n"
           "endmodule\n\n";
}

/* A module being written: the builder and its two texts. */
struct emit {
    struct cm_text ports, body;
    struct cm_nl nl;
};

static void emit_begin(struct emit *e)
{
    memset(e, 0, sizeof *e);
    e->nl.ports = &e->ports;
    e->nl.body = &e->body;
}

/* "module NAME (ports); wire [n-1:0] w; statements endmodule" */
static char *emit_end(struct emit *e, const char *module)
{
    struct cm_text t = {0};
    if (e->ports.len >= 2)
        e->ports.s[e->ports.len - 2] = '\0';  /* the last port's ",\n" */
    cm_text_printf(&t, "module %s (\n%s%s\n);\n", module, e->nl.has_clock ? "  input clk,\n" : "",
                   e->ports.s ? e->ports.s : "");
    cm_text_printf(&t, "  wire [%d:0] w;\n%s", e->nl.n_wires > 0 ? e->nl.n_wires - 1 : 0,
                   e->body.s ? e->body.s : "");
    cm_text_printf(&t, "endmodule\n\n");
    const int failed = e->ports.failed || e->body.failed || t.failed;
    cm_text_free(&e->ports);
    cm_text_free(&e->body);
    if (failed) {
        cm_text_free(&t);
        return NULL;
    }
    return t.s;
}

char *cm_verilog_adder(const char *module, int width, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_adder(&e.nl, width, arch);
    return emit_end(&e, module);
}

char *cm_verilog_addr_add(const char *module, int width, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_addr_add(&e.nl, width, arch);
    return emit_end(&e, module);
}

char *cm_verilog_subtractor(const char *module, int width, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_subtractor(&e.nl, width, arch);
    return emit_end(&e, module);
}

char *cm_verilog_comparator(const char *module, int width, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_comparator(&e.nl, width, arch);
    return emit_end(&e, module);
}

char *cm_verilog_popcount(const char *module, int n, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_popcount(&e.nl, n, arch);
    return emit_end(&e, module);
}

char *cm_verilog_shifter(const char *module, int width, int max_shift, int out_width)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_shifter(&e.nl, width, max_shift, out_width);
    return emit_end(&e, module);
}

char *cm_verilog_multiplier(const char *module, int a_bits, int b_bits, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_multiplier(&e.nl, a_bits, b_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_register(const char *module, int bits)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_register(&e.nl, bits);
    return emit_end(&e, module);
}

char *cm_verilog_lane_logic(const char *module, int lanes)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_lane_logic(&e.nl, lanes);
    return emit_end(&e, module);
}

char *cm_verilog_lane_logic_shift(const char *module, int lanes, int n_exp)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_lane_logic_shift(&e.nl, lanes, n_exp);
    return emit_end(&e, module);
}

char *cm_verilog_shift_add(const char *module, int pop_bits, int n_exp, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_shift_add(&e.nl, pop_bits, n_exp, arch);
    return emit_end(&e, module);
}

char *cm_verilog_pow2_decoder(const char *module, int lanes, int code_bits)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_pow2_decoder(&e.nl, lanes, code_bits);
    return emit_end(&e, module);
}

char *cm_verilog_act_decoder(const char *module, int lanes, int code_bits)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_act_decoder(&e.nl, lanes, code_bits);
    return emit_end(&e, module);
}

char *cm_verilog_fetch_gating(const char *module, int lanes)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_fetch_gating(&e.nl, lanes);
    return emit_end(&e, module);
}

char *cm_verilog_fetch_gating_xnor(const char *module, int lanes)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_fetch_gating_xnor(&e.nl, lanes);
    return emit_end(&e, module);
}

char *cm_verilog_lane_logic_xnor(const char *module, int lanes)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_lane_logic_xnor(&e.nl, lanes);
    return emit_end(&e, module);
}

char *cm_verilog_accumulator_xnor(const char *module, int pop_bits, int max_shift, int acc_bits,
                                  enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_accumulator_xnor(&e.nl, pop_bits, max_shift, acc_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_accumulator(const char *module, int pop_bits, int max_shift, int acc_bits,
                             enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_accumulator(&e.nl, pop_bits, max_shift, acc_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_threshold_unit(const char *module, int n_thr, int width, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_threshold(&e.nl, n_thr, width, arch);
    return emit_end(&e, module);
}

char *cm_verilog_merge_or(const char *module, int bits)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_merge_or(&e.nl, bits);
    return emit_end(&e, module);
}

char *cm_verilog_merge_mux(const char *module, int bits, enum cm_mux_variant v)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_merge_mux(&e.nl, bits, v);
    return emit_end(&e, module);
}

char *cm_verilog_merge_add(const char *module, int acc_bits, int mul_bits, int res_bits,
                           enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_merge_add(&e.nl, acc_bits, mul_bits, res_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_requant_mul(const char *module, int acc_bits, int mul_bits, int res_bits,
                             enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_requant_mul(&e.nl, acc_bits, mul_bits, res_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_stream_add(const char *module, int res_bits, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_stream_add(&e.nl, res_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_requant_shift(const char *module, int acc_bits, int lshift_max, int rs_bits,
                               int res_bits, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_requant_shift(&e.nl, acc_bits, lshift_max, rs_bits, res_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_pool(const char *module, int bits, enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_pool(&e.nl, bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_score_unit(const char *module, int acc_bits, int mul_bits, int class_bits,
                            enum cm_adder_arch arch)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_score(&e.nl, acc_bits, mul_bits, class_bits, arch);
    return emit_end(&e, module);
}

char *cm_verilog_controller(const char *module, const int *counter_bits, int n_counters,
                            int stages)
{
    struct emit e;
    emit_begin(&e);
    cm_nl_unit_controller(&e.nl, counter_bits, n_counters, stages);
    return emit_end(&e, module);
}

/* ---- behavioural references ---- */

static char *text_result(struct cm_text *t)
{
    if (t->failed) {
        cm_text_free(t);
        return NULL;
    }
    return t->s;
}

char *cm_verilog_adder_behav(const char *module, int width)
{
    struct cm_text t = {0};
    cm_text_printf(&t,
                   "module %s (input [%d:0] a, input [%d:0] b, input [0:0] ci, output [%d:0] s,"
                   " output [0:0] co);\n  assign {co, s} = a + b + ci;\nendmodule\n\n",
                   module, width - 1, width - 1, width - 1);
    return text_result(&t);
}

char *cm_verilog_addr_add_behav(const char *module, int width)
{
    struct cm_text t = {0};
    cm_text_printf(&t,
                   "module %s (input [%d:0] a, input [%d:0] b, output [%d:0] s);\n"
                   "  assign s = a + b;\nendmodule\n\n",
                   module, width - 1, width - 1, width - 1);
    return text_result(&t);
}

char *cm_verilog_subtractor_behav(const char *module, int width)
{
    struct cm_text t = {0};
    cm_text_printf(&t,
                   "module %s (input [%d:0] a, input [%d:0] b, output [%d:0] d, output [0:0] co);\n"
                   "  assign {co, d} = {1'b0, a} + {1'b0, ~b} + 1'b1;\nendmodule\n\n",
                   module, width - 1, width - 1, width - 1);
    return text_result(&t);
}

char *cm_verilog_comparator_behav(const char *module, int width)
{
    struct cm_text t = {0};
    cm_text_printf(&t,
                   "module %s (input [%d:0] a, input [%d:0] b, output [0:0] ge);\n"
                   "  assign ge = $signed(a) >= $signed(b);\nendmodule\n\n",
                   module, width - 1, width - 1);
    return text_result(&t);
}

char *cm_verilog_popcount_behav(const char *module, int n)
{
    struct cm_text t = {0};
    const int bits = cm_bits_for(n);
    cm_text_printf(&t,
                   "module %s (input [%d:0] x, output reg [%d:0] c);\n  integer i;\n"
                   "  always @* begin\n    c = 0;\n    for (i = 0; i < %d; i = i + 1)\n"
                   "      c = c + x[i];\n  end\nendmodule\n\n",
                   module, n - 1, bits - 1, n);
    return text_result(&t);
}

char *cm_verilog_lane_logic_shift_behav(const char *module, int lanes, int n_exp)
{
    struct cm_text t = {0};
    /* k = 0: no tree; k = e + 1: tree e; a bit-plane layer (shift = 0)
     * decodes k_0 only */
    const int kb = cm_bits_for(n_exp), mask = (1 << kb) - 1;
    cm_text_printf(&t,
                   "module %s (input [%d:0] g, input [%d:0] s, input [%d:0] f,\n"
                   "  input [%d:0] k, input shift, output reg [%d:0] pos, output reg [%d:0] neg);\n"
                   "  integer i, e;\n  always @* begin\n"
                   "    for (i = 0; i < %d; i = i + 1)\n      for (e = 0; e < %d; e = e + 1) begin\n"
                   "        pos[e * %d + i] = g[i] & ~(s[i] ^ f[i]) & "
                   "((k[i * %d +: %d] & (shift ? %d : 1)) == e + 1);\n"
                   "        neg[e * %d + i] = g[i] & (s[i] ^ f[i]) & "
                   "((k[i * %d +: %d] & (shift ? %d : 1)) == e + 1);\n"
                   "      end\n  end\nendmodule\n\n",
                   module, lanes - 1, lanes - 1, lanes - 1, lanes * kb - 1, lanes * n_exp - 1,
                   lanes * n_exp - 1, lanes, n_exp, lanes, kb, kb, mask, lanes, kb, kb, mask);
    return text_result(&t);
}

char *cm_verilog_pow2_decoder_behav(const char *module, int lanes, int code_bits)
{
    struct cm_text t = {0};
    cm_text_printf(&t,
                   "module %s (input [%d:0] k, input [%d:0] t, output reg [%d:0] m);\n"
                   "  integer i;\n  always @*\n    for (i = 0; i < %d; i = i + 1)\n"
                   "      m[i] = k[i * %d +: %d] == t;\nendmodule\n\n",
                   module, lanes * code_bits - 1, code_bits - 1, lanes - 1, lanes, code_bits,
                   code_bits);
    return text_result(&t);
}

char *cm_verilog_act_decoder_behav(const char *module, int lanes, int code_bits)
{
    struct cm_text t = {0};
    cm_text_printf(&t,
                   "module %s (input [%d:0] c, input [%d:0] x, input [%d:0] f, input sm,\n"
                   "  input [%d:0] thi, input [%d:0] tlo, output reg [%d:0] xo,\n"
                   "  output reg [%d:0] fo);\n  integer i;\n  always @*\n"
                   "    for (i = 0; i < %d; i = i + 1) begin\n"
                   "      xo[i] = sm ? (c[i * %d +: %d] == thi || c[i * %d +: %d] == tlo) : x[i];\n"
                   "      fo[i] = f[i] | (sm & (c[i * %d +: %d] == tlo));\n"
                   "    end\nendmodule\n\n",
                   module, lanes * code_bits - 1, lanes - 1, lanes - 1, code_bits - 1,
                   code_bits - 1, lanes - 1, lanes - 1, lanes, code_bits, code_bits, code_bits,
                   code_bits, code_bits, code_bits);
    return text_result(&t);
}

char *cm_verilog_shift_add_behav(const char *module, int pop_bits, int n_exp)
{
    struct cm_text t = {0};
    const int w = pop_bits + n_exp - 1;
    cm_text_printf(&t,
                   "module %s (input [%d:0] pos, input [%d:0] neg, output reg [%d:0] P,\n"
                   "  output reg [%d:0] N);\n  integer e;\n  always @* begin\n"
                   "    P = 0;\n    N = 0;\n    for (e = 0; e < %d; e = e + 1) begin\n"
                   "      P = P + (pos[e * %d +: %d] << e);\n"
                   "      N = N + (neg[e * %d +: %d] << e);\n    end\n  end\nendmodule\n\n",
                   module, n_exp * pop_bits - 1, n_exp * pop_bits - 1, w - 1, w - 1, n_exp,
                   pop_bits, pop_bits, pop_bits, pop_bits);
    return text_result(&t);
}

char *cm_verilog_shifter_behav(const char *module, int width, int max_shift, int out_width)
{
    struct cm_text t = {0};
    const int sh_bits = cm_bits_for(max_shift);
    const int wide = (width > out_width ? width : out_width) + 64;
    cm_text_printf(&t, "module %s (input [%d:0] x,%s", module, width - 1, sh_bits ? " input " : "");
    if (sh_bits)
        cm_text_printf(&t, "[%d:0] sh,", sh_bits - 1);
    cm_text_printf(&t,
                   " output [%d:0] y);\n  wire signed [%d:0] xe = $signed(x);\n"
                   "  wire [%d:0] ys = xe << %s;\n  assign y = ys[%d:0];\nendmodule\n\n",
                   out_width - 1, wide - 1, wide - 1, sh_bits ? "sh" : "0", out_width - 1);
    return text_result(&t);
}

char *cm_verilog_multiplier_behav(const char *module, int a_bits, int b_bits)
{
    struct cm_text t = {0};
    const int w = a_bits + b_bits;
    cm_text_printf(&t,
                   "module %s (input [%d:0] a, input [%d:0] b, output [%d:0] p);\n"
                   "  wire signed [%d:0] pa = $signed(a) * $signed(b);\n  assign p = pa;\n"
                   "endmodule\n\n",
                   module, a_bits - 1, b_bits - 1, w - 1, w - 1);
    return text_result(&t);
}

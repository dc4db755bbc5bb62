/* rtl/rtl.c: the Verilog writer of rtl.h. The unit modules come from
 * costmodels/verilog.h; the top module logiq_accel is written here, stage
 * by stage in the order of sim/accel.cpp (FETCH, POP, ACC, THR, POOL and
 * its write-back; WRITE, MUL, ADD, ARGMAX in the scores layer), so that
 * each register is the one the SystemC model keeps and the cycles are its
 * cycles (docs/rtl.md). */
#include "rtl/rtl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costmodels/design.h"
#include "costmodels/netlist.h"
#include "costmodels/units.h"
#include "costmodels/verilog.h"

void rtl_config_defaults(struct rtl_config *c, const struct cm_hw *hw)
{
    c->max_layers = 32;
    c->max_classes = 16;
    c->bank_bits = hw->act_kbits > 0 ? (long long)(hw->act_kbits * 1024.0) : 65536;
    c->skip_bits = hw->skip_kbits > 0 ? (long long)(hw->skip_kbits * 1024.0) : 65536;
    c->weight_depth = 8192;
    c->pos_depth = 16384;
    c->chunk_depth = 2048;
    c->valid_depth = 65536;
    c->thr_depth = (4096 + hw->pe_rows - 1) / hw->pe_rows; /* 4096 channels */
    c->rq_depth = c->thr_depth;
    c->pow2_code_bits = -1; /* any network: the design's widest pow2 code */
}

static int imax(int a, int b) { return a > b ? a : b; }

void rtl_widths_of(const struct cm_hw *hw, const struct rtl_config *c, struct rtl_widths *w)
{
    w->R = hw->pe_rows;
    w->lanes = hw->lanes;
    w->A = hw->acc_bits;
    w->M = hw->max_act_bits;
    w->n_thr = (1 << hw->max_act_bits) - 1;
    w->pop_bits = cm_bits_for(hw->lanes);
    w->max_shift = 7 + hw->max_w_bits - 1; /* as costmodels/design.c sizes the shifter */
    w->sh_bits = cm_bits_for(w->max_shift);
    w->smb = hw->score_mul_bits;
    w->score_bits = w->smb + w->A;
    w->class_bits = cm_bits_for(c->max_classes - 1 > 0 ? c->max_classes - 1 : 1);
    const int add = hw->merge == CM_MERGE_ADD;
    w->res_bits = add ? hw->res_bits : 1;
    w->rq_bits = add ? cm_hw_rq_param_bits(hw) : 0;
    w->skip_depth = c->skip_bits / w->res_bits;
    w->bank_addr_bits = cm_bits_for(2 * c->bank_bits - 1);
    w->code_bits = hw->pow2_words != CM_POW2_CODE || hw->pe != CM_PE_BITPLANE ? 0
                   : c->pow2_code_bits >= 0                                      ? c->pow2_code_bits
                                                            : cm_bits_for(hw->max_w_bits);
    const struct cm_ctl_sizes sz = {
        .weight_words = c->weight_depth, .positions = c->pos_depth, .chunks = c->chunk_depth,
        .valid_words = c->valid_depth, .thr_words = c->thr_depth, .rq_words = c->rq_depth,
        .bank_bits = c->bank_bits, .skip_values = w->skip_depth, .classes = c->max_classes};
    cm_ctl_widths_of(w->R, &sz, &w->ctl);
    w->n_exp = cm_hw_exponents(hw);
    w->wk_bits = w->code_bits > 0 ? w->code_bits : hw->pe == CM_PE_SHIFT ? cm_bits_for(w->n_exp) : 1;
    w->load_bits = imax(imax(imax((1 + w->wk_bits) * w->R * w->lanes, 32 * w->lanes),
                             imax(imax(w->R * (w->n_thr * w->A + 1), w->score_bits + w->smb),
                                  128)),
                        w->R * w->rq_bits);
}

void rtl_hw_without_model(struct cm_hw *hw)
{
    if (hw->score_mul_bits == 0)
        hw->score_mul_bits = hw->rq_mul_bits;
    if (hw->merge == CM_MERGE_ADD && hw->requant == CM_RQ_SHIFT) {
        hw->rq_lshift_max = 16;
        hw->rq_rshift_bits = 6;
    }
}

int rtl_check_hw(const struct cm_hw *hw, char *msg, size_t size)
{
    const char *bad = NULL;
    if (hw->pe == CM_PE_SHIFT && hw->max_w_bits >= 1 &&
        (long long)hw->lanes * hw->max_w_bits > CM_NL_MAX_BUS)
        bad = "[array] lanes: the shift PE's lane logic takes at most 4096 lanes x exponents "
              "(max_w_bits)";
    else if (hw->merge == CM_MERGE_AUTO)
        bad = "[merge] kind: must be fixed (none, add, or, mux) for the RTL without a model, "
              "not auto";
    else if (hw->merge == CM_MERGE_ADD && hw->res_bits >= hw->acc_bits)
        bad = "[merge] res_bits: the add stream must be narrower than [array] acc_bits (the "
              "threshold unit compares it at acc_bits)";
    else if (hw->merge == CM_MERGE_ADD && hw->requant == CM_RQ_MUL &&
             (hw->rq_mul_bits < 2 || hw->rq_mul_bits + hw->acc_bits > 64))
        bad = "[merge] rq_mul_bits: must be fixed for the add merge's requantizer, and "
              "rq_mul_bits + acc_bits at most 64";
    else if (hw->merge == CM_MERGE_MUX && hw->mux == CM_MUX_AUTO)
        bad = "[merge] mux: must be fixed (or, sel, both) for the RTL without a model, not auto";
    else if (hw->max_act_bits < 1 || hw->max_act_bits > 8)
        bad = "[array] max_act_bits: must be fixed (1..8) for the RTL, not auto";
    else if (hw->max_w_bits < 1)
        bad = "[array] max_w_bits: must be fixed for the RTL, not auto";
    else if (hw->score_mul_bits < 2)
        bad = "[merge] rq_mul_bits: must be fixed for the RTL without a model (the score "
              "multiplier's width), not auto";
    else if (hw->act_kbits > 0 &&
             hw->act_kbits * 1024.0 != 32.0 * (double)(long long)(hw->act_kbits * 32.0))
        bad = "[buffers] act_kbits: the RTL's banks hold whole 32-bit load words (a multiple of "
              "1/32 kbit)";
    else if (hw->pe_rows > 256 || hw->lanes > 1024)
        bad = "[array] pe_rows / lanes: the RTL writer takes at most 256 PEs of 1024 lanes";
    else if (hw->score_mul_bits + hw->acc_bits > 64)
        bad = "[merge] rq_mul_bits: rq_mul_bits + acc_bits must be at most 64 for the RTL";
    if (bad) {
        snprintf(msg, size, "%s", bad);
        return -1;
    }
    return 0;
}

int rtl_check_net(const struct nn_qnn *q, const struct cm_hw *hw, char *msg, size_t size)
{
    for (int i = 0; i < q->n_layers; i++) {
        const struct nn_qnn_layer *l = &q->layers[i];
        const char *bad = NULL;
        char why[200];
        if (l->res && hw->merge != CM_MERGE_ADD)
            bad = "a residual stream (the add merge's) needs a design of [merge] kind = add";
        else if (l->res && l->res_bits != hw->res_bits) {
            snprintf(why, sizeof why,
                     "its %d-bit residual stream differs from [merge] res_bits = %d: the RTL's "
                     "requantizer and stream adder saturate at the design's width",
                     l->res_bits, hw->res_bits);
            bad = why;
        } else if (l->in_code == NN_CODE_TERN || l->in_code == NN_CODE_POW2)
            bad = "signed multi-level activations (tern, pow2) are not covered by the RTL yet";
        else if (l->w_code == NN_WCODE_POW2 && hw->pow2_words == CM_POW2_CODE &&
                 hw->pe == CM_PE_BITPLANE &&
                 nn_qnn_weight_planes(l) - 1 > cm_bits_for(hw->max_w_bits)) {
            snprintf(why, sizeof why,
                     "its %d-bit pow2 codes are wider than the decoder's %d bits ([array] "
                     "max_w_bits = %d)", nn_qnn_weight_planes(l) - 1,
                     cm_bits_for(hw->max_w_bits), hw->max_w_bits);
            bad = why;
        }
        if (bad) {
            snprintf(msg, size, "layer %d: %s", i + 1, bad);
            return -1;
        }
    }
    return 0;
}

/* ---- text ---- */

static void tput(struct cm_text *t, char *module_text)
{
    if (!module_text) {
        t->failed = 1;
        return;
    }
    const char *w = strstr(module_text, "] w;\n");
    if (w) {
        const int head = (int)(w - module_text) + 1;
        cm_text_printf(t, "%.*s w /*verilator split_var*/;\n%s", head, module_text, w + 5);
    } else {
        cm_text_printf(t, "%s", module_text);
    }
    free(module_text);
}

/* ---- the top module ---- */

static void write_top(struct cm_text *t, const struct cm_hw *hw, const struct rtl_config *c,
                      const struct rtl_widths *w)
{
    /* The PE kind's parts (docs/accelerator.md, "The XNOR PE"): the fetch
     * gating, the array's shared count tree, and each PE's POP and ACC. */
    const int xnor = hw->pe == CM_PE_XNOR;
    const int add = hw->merge == CM_MERGE_ADD, stages2 = hw->add_stages == 2;
    const char *gate_bitplane =
"  wire [LN-1:0] gw, fw;\n"
"  lq_fetch_gating u_gate (.x(xg), .valid(vld), .sign(d_insign[0]), .g(gw), .f(fw));\n";
    const char *gate_xnor =
"  wire [LN-1:0] gw, ngw, fw;  // the XNOR PE's gating: the inverted gate for every PE\n"
"  lq_fetch_gating_xnor u_gate (.x(xg), .valid(vld), .sign(d_insign[0]), .g(gw), .ng(ngw),\n"
"                               .f(fw));\n"
"  reg [LN-1:0] f_ng;\n"
"  always @(posedge clk) f_ng <= ngw;  // no enable, as f_g\n";
    const char *shared_xnor =
"  // the XNOR array's shared tree: the count of the gate bits (its POP register)\n"
"  wire [PB-1:0] ccnt;\n"
"  lq_popcount_lanes u_cnt (.x(f_g), .c(ccnt));\n"
"  reg [PB-1:0] cnt_r;\n"
"  always @(posedge clk) cnt_r <= ccnt;  // no enable: taken under p_valid\n";
    const char *pe_bitplane =
"    wire [LN-1:0] lpos, lneg;\n"
"    lq_lane_logic u_lane (.m(f_wm[r*LN +: LN]), .g(f_g), .s(f_ws[r*LN +: LN]), .f(f_f),\n"
"                          .pos(lpos), .neg(lneg));\n"
"    wire [PB-1:0] cpos, cneg;\n"
"    lq_popcount_lanes u_pos (.x(lpos), .c(cpos));\n"
"    lq_popcount_lanes u_neg (.x(lneg), .c(cneg));\n"
"    reg [PB-1:0] pos_r, neg_r;  // the POP registers\n"
"    always @(posedge clk) begin pos_r <= cpos; neg_r <= cneg; end  // taken under p_valid\n"
"    // ACC: a bubble adds 0 (the accumulator holds)\n"
"    wire [A-1:0] acc;\n"
"    lq_accumulator u_acc (.clk(clk), .pos(p_valid ? pos_r : {PB{1'b0}}),\n"
"                          .neg(p_valid ? neg_r : {PB{1'b0}}), .sh(p_shift[SHB-1:0]),\n"
"                          .clear(p_valid & p_first), .acc(acc));\n";
    const char *pe_xnor =
"    // the XNOR PE: t = g AND NOT (s XOR f), one tree (binary weight planes only)\n"
"    wire [LN-1:0] lt;\n"
"    lq_lane_logic_xnor u_lane (.s(f_ws[r*LN +: LN]), .f(f_f), .ng(f_ng), .t(lt));\n"
"    wire [PB-1:0] cpos;\n"
"    lq_popcount_lanes u_pos (.x(lt), .c(cpos));\n"
"    reg [PB-1:0] pos_r;  // the POP register\n"
"    always @(posedge clk) pos_r <= cpos;  // taken under p_valid\n"
"    // ACC: d = 2 pos - cnt; a bubble adds 0 (the accumulator holds)\n"
"    wire [A-1:0] acc;\n"
"    lq_accumulator_xnor u_acc (.clk(clk), .pos(p_valid ? pos_r : {PB{1'b0}}),\n"
"                               .cnt(p_valid ? cnt_r : {PB{1'b0}}), .sh(p_shift[SHB-1:0]),\n"
"                               .clear(p_valid & p_first), .acc(acc));\n";
    const char *pe_shift =
"    // the shift PE: each lane's code k routes pos and neg to the tree pair\n"
"    // of its exponent (E pairs); ACC adds their shift-add, sum_e count_e 2^e\n"
"    wire [E*LN-1:0] lpos, lneg;\n"
"    lq_lane_logic_shift u_lane (.g(f_g), .s(f_ws[r*LN +: LN]), .f(f_f),\n"
"                                .k(f_wm[r*LN*WKB +: LN*WKB]), .shift(d_shift[0]),\n"
"                                .pos(lpos), .neg(lneg));\n"
"    wire [E*PB-1:0] cpos, cneg;\n"
"    for (ge = 0; ge < E; ge = ge + 1) begin : tree\n"
"      lq_popcount_lanes u_pos (.x(lpos[ge*LN +: LN]), .c(cpos[ge*PB +: PB]));\n"
"      lq_popcount_lanes u_neg (.x(lneg[ge*LN +: LN]), .c(cneg[ge*PB +: PB]));\n"
"    end\n"
"    reg [E*PB-1:0] pos_r, neg_r;  // the POP registers\n"
"    always @(posedge clk) begin pos_r <= cpos; neg_r <= cneg; end  // taken under p_valid\n"
"    // ACC: the shift-add, then accumulate; a bubble adds 0 (the accumulator holds)\n"
"    wire [PB+E-2:0] spos, sneg;\n"
"    lq_shift_add u_sadd (.pos(p_valid ? pos_r : {E*PB{1'b0}}),\n"
"                         .neg(p_valid ? neg_r : {E*PB{1'b0}}), .P(spos), .N(sneg));\n"
"    wire [A-1:0] acc;\n"
"    lq_accumulator u_acc (.clk(clk), .pos(spos), .neg(sneg), .sh(p_shift[SHB-1:0]),\n"
"                          .clear(p_valid & p_first), .acc(acc));\n";
    const int shift = hw->pe == CM_PE_SHIFT;
    const int R = w->R, LN = w->lanes, A = w->A, M = w->M, SW = w->score_bits, CB = w->class_bits;
    cm_text_printf(t,
"// logiq_accel: the reference accelerator of design \"%s\" (docs/accelerator.md,\n"
"// docs/rtl.md): %d PEs x %d lanes, acc %d bits, %d-bit activations, %d weight\n"
"// planes, a %d-bit score multiplier. Written by logiq rtl; the unit modules\n"
"// above are costmodels/' netlists.\n"
"module logiq_accel #(\n"
"  parameter BANK_BITS = %lld,\n"
"  parameter WEIGHT_DEPTH = %d, POS_DEPTH = %d, CHUNK_DEPTH = %d,\n"
"  parameter VALID_DEPTH = %d, THR_DEPTH = %d, NCLS = %d, MAX_LAYERS = %d,\n"
"  parameter SKIP_BITS = %lld, RQ_DEPTH = %d\n"
") (\n"
"  input clk,\n"
"  input rst,                       // synchronous: the controller idles, stages empty\n"
"  input start,                     // idle: the next edge is layer 1's CONFIG cycle\n"
"  input ld_we,                     // load port (idle only): memory ld_sel, entry ld_addr\n"
"  input [3:0] ld_sel,\n"
"  input [31:0] ld_addr,\n"
"  input [%d:0] ld_data,\n"
"  output busy,\n"
"  output layer_end,                // the last edge ended a layer\n"
"  output done,                     // ... the network's last layer\n"
"  output [7:0] layer,\n"
"  output ow_valid,                 // an output word is being written (this edge)\n"
"  output [31:0] ow_t,              // its tile and position (pool-window-major: the window's last)\n"
"  output [31:0] ow_p,\n"
"  output [%d:0] ow_code,           // [R][max_act_bits] its codes\n"
"  output sc_valid,                 // a class score entered ARGMAX\n"
"  output [31:0] sc_cls,\n"
"  output [%d:0] sc_value,\n"
"  output [%d:0] pred               // the argmax register's class\n"
");\n",
            hw->name, R, LN, A, M, hw->max_w_bits, w->smb, c->bank_bits, c->weight_depth,
            c->pos_depth, c->chunk_depth, c->valid_depth, c->thr_depth, c->max_classes,
            c->max_layers, c->skip_bits, c->rq_depth, w->load_bits - 1, R * M - 1, SW - 1, CB - 1);
    cm_text_printf(t,
"  localparam R = %d, LN = %d, A = %d, M = %d, NTHR = %d, PB = %d, SHB = %d;\n"
"  localparam SMB = %d, SW = %d, CB = %d, ND = %d, RB = %d, RQW = %d, WKB = %d, E = %d;\n"
"  // the controller's widths, from the memories' depths (costmodels'\n"
"  // cm_ctl_widths_of, as the cost model sizes them): a count of channels\n"
"  // or tiles (TW), positions (PW), chunks (QW), valid-lane and weight words\n"
"  // (VW, WW) holds its memory's depth; bank (BKW), skip (SKW) and\n"
"  // requantizer (RQA) addresses are taken modulo their memory's size\n"
"  localparam TW = %d, PW = %d, QW = %d, VW = %d, WW = %d;\n"
"  localparam BKW = %d, SKW = %d, RQA = %d, CLW = %d;\n\n",
            R, LN, A, M, w->n_thr, w->pop_bits, w->sh_bits, w->smb, SW, CB, RTL_DESC_WORDS,
            w->res_bits, w->rq_bits > 0 ? w->rq_bits : 1, w->wk_bits, w->n_exp,
            w->ctl.tile, w->ctl.pos, w->ctl.chunk, w->ctl.valid, w->ctl.weight, w->ctl.bank,
            w->ctl.skip, w->ctl.rq, w->ctl.cls);
    cm_text_printf(t,
"  // ---- the SRAMs (behavioural; docs/rtl.md gives each entry's layout) ----\n"
"  reg bank [0:2*BANK_BITS-1];               // two activation banks, bit-addressed\n"
"  reg [(1+WKB)*R*LN-1:0] wmem [0:WEIGHT_DEPTH-1];  // weight buffer: {magnitude or codes, sign}\n"
"  reg [31:0] desc [0:MAX_LAYERS*ND-1];      // layer descriptors\n"
"  reg [127:0] ptab [0:POS_DEPTH-1];         // address generator: per position\n"
"  reg [LN*32-1:0] ctab [0:CHUNK_DEPTH-1];   // address generator: per chunk, lane offsets\n"
"  reg [LN-1:0] vtab [0:VALID_DEPTH-1];      // address generator: valid lanes\n"
"  reg [R*(NTHR*A+1)-1:0] tmem [0:THR_DEPTH-1];  // thresholds and MUX select, a tile's R channels a word\n"
"%s"
"  reg [SW+SMB-1:0] smem [0:NCLS-1];         // score constants, per class\n\n"
"  always @(posedge clk)\n"
"    if (ld_we)\n"
"      case (ld_sel)\n"
"        4'd1: wmem[ld_addr] <= ld_data[(1+WKB)*R*LN-1:0];\n"
"        4'd2: desc[ld_addr] <= ld_data[31:0];\n"
"        4'd3: ptab[ld_addr] <= ld_data[127:0];\n"
"        4'd4: ctab[ld_addr] <= ld_data[LN*32-1:0];\n"
"        4'd5: vtab[ld_addr] <= ld_data[LN-1:0];\n"
"        4'd6: tmem[ld_addr] <= ld_data[R*(NTHR*A+1)-1:0];\n"
"        4'd7: smem[ld_addr] <= ld_data[SW+SMB-1:0];\n"
"%s"
"        default: ;\n"
"      endcase\n\n",
            add ? "  reg [RB-1:0] skipmem [0:SKIP_BITS/RB-1];  // skip buffer: the add stream, res_bits a value\n"
                  "  reg [R*RQW-1:0] rqmem [0:RQ_DEPTH-1];     // requantizer constants, a tile's R channels a word\n"
                : "  reg skipmem [0:SKIP_BITS-1];              // skip buffer: one bit a value (or, mux)\n",
            add ? "        4'd8: rqmem[ld_addr] <= ld_data[R*RQW-1:0];\n" : "");
    /* the add stream's descriptor fields and stage valid bits (RQ, ADD) */
    char add_regs[400] = "", add_cfg[300] = "";
    if (add) {
        snprintf(add_regs, sizeof add_regs,
"  reg [0:0] d_res;      // the add stream: the layer's,\n"
"  reg [5:0] d_rqsh;     // its requantizer's shift,\n"
"  reg [RQA-1:0] d_rqbase;  // its constants\n"
"  reg %sad_valid;                   // the RQ and ADD stage registers' valid bits\n",
                 stages2 ? "rq_valid, " : "");
        snprintf(add_cfg, sizeof add_cfg,
"      d_res <= desc[cb + %d]; d_rqsh <= desc[cb + %d]; d_rqbase <= desc[cb + %d];\n",
                 RTL_D_RES, RTL_D_RQ_SHIFT, RTL_D_RQ_BASE);
    }
    if (w->code_bits > 0) {
        const size_t n = strlen(add_regs), m = strlen(add_cfg);
        snprintf(add_regs + n, sizeof add_regs - n,
"  reg [0:0] d_wcode;  // 1: the layer's weight words hold pow2 codes\n");
        snprintf(add_cfg + m, sizeof add_cfg - m, "      d_wcode <= desc[cb + %d];\n",
                 RTL_D_WCODE);
    }
    if (hw->pe == CM_PE_SHIFT) {
        const size_t n = strlen(add_regs), m = strlen(add_cfg);
        snprintf(add_regs + n, sizeof add_regs - n,
"  reg [0:0] d_shift;  // 1: the layer is on the shift path (its codes' upper bits count)\n");
        snprintf(add_cfg + m, sizeof add_cfg - m, "      d_shift <= desc[cb + %d];\n",
                 RTL_D_SHIFT);
    }
    cm_text_printf(t,
"  // ---- controller: layer counter, descriptor, loop counters t, p, q, j, b ----\n"
"  reg running, issuing;\n"
"  reg [7:0] lay;\n"
"  reg [0:0] d_scores, d_inbank, d_insign, d_last, d_muxsel, d_wskip, d_side;\n"
"  reg [1:0] d_merge;\n"
"  reg [TW-1:0] d_T, d_outc, d_skipc, d_tbase;\n"
"  reg [PW-1:0] d_P, d_pbase;\n"
"  reg [QW-1:0] d_Q, d_cbase;\n"
"  reg [7:0] d_Bw, d_Ba, d_outbits;\n"
"  reg [BKW-1:0] d_inplane, d_outplane;\n"
"  reg [WW-1:0] d_wbase;\n"
"  reg [VW-1:0] d_vbase;\n"
"  reg [TW-1:0] t;\n"
"  reg [PW-1:0] p;\n"
"  reg [QW-1:0] q;\n"
"  reg [7:0] j, b;\n"
"  reg f_valid, p_valid, a_valid, thr_valid, walking, mul_valid, sadd_valid;\n"
"%s"
"  wire any_valid = f_valid | p_valid | a_valid | thr_valid | walking | mul_valid | sadd_valid%s;\n"
"  assign layer_end = running & ~issuing & ~any_valid;\n"
"  assign done = layer_end & d_last[0];\n"
"  assign busy = running;\n"
"  assign layer = lay;\n"
"  wire do_cfg = (~running & start) | (layer_end & ~d_last[0]);\n"
"  wire [7:0] cfg_l = running ? lay + 8'd1 : 8'd0;\n"
"  wire [31:0] cb = {24'd0, cfg_l} * ND;\n"
"  wire b_w = b == d_Ba - 1'b1, j_w = j == d_Bw - 1'b1, q_w = q == d_Q - 1'b1;\n"
"  wire p_w = p == d_P - 1'b1, t_w = t == d_T - 1'b1;\n"
"  always @(posedge clk) begin\n"
"    if (rst) begin\n"
"      running <= 1'b0; issuing <= 1'b0; lay <= 8'd0; d_last <= 1'b0;\n"
"    end else if (do_cfg) begin  // CONFIG: the descriptor, the counters cleared\n"
"      lay <= cfg_l;\n"
"      d_scores <= desc[cb + %d]; d_T <= desc[cb + %d]; d_P <= desc[cb + %d];\n"
"      d_Q <= desc[cb + %d]; d_Bw <= desc[cb + %d]; d_Ba <= desc[cb + %d];\n"
"      d_inbank <= desc[cb + %d]; d_insign <= desc[cb + %d]; d_inplane <= desc[cb + %d];\n"
"      d_outplane <= desc[cb + %d]; d_outbits <= desc[cb + %d]; d_outc <= desc[cb + %d];\n"
"      d_wbase <= desc[cb + %d]; d_pbase <= desc[cb + %d]; d_cbase <= desc[cb + %d];\n"
"      d_vbase <= desc[cb + %d]; d_tbase <= desc[cb + %d]; d_last <= desc[cb + %d];\n"
"      d_merge <= desc[cb + %d]; d_muxsel <= desc[cb + %d]; d_skipc <= desc[cb + %d];\n"
"      d_wskip <= desc[cb + %d]; d_side <= desc[cb + %d];\n"
"%s"
"      t <= 0; p <= 0; q <= 0; j <= 0; b <= 0;\n"
"      issuing <= 1'b1; running <= 1'b1;\n"
"    end else begin\n"
"      if (done) running <= 1'b0;\n"
"      if (issuing) begin  // b, j, q, p, t: innermost first\n"
"        if (!b_w) b <= b + 1'b1; else begin b <= 0;\n"
"          if (!j_w) j <= j + 1'b1; else begin j <= 0;\n"
"            if (!q_w) q <= q + 1'b1; else begin q <= 0;\n"
"              if (!p_w) p <= p + 1'b1; else begin p <= 0;\n"
"                if (!t_w) t <= t + 1'b1; else begin t <= 0; issuing <= 1'b0; end\n"
"              end\n"
"            end\n"
"          end\n"
"        end\n"
"      end\n"
"    end\n"
"  end\n"
"  // the address generator's running indices, stepped with the loop counters\n"
"  // (adders, not multipliers of the counters): vi = p Q + q (valid lanes),\n"
"  // wi = (t Q + q) Bw + j (weight word), wt = t Q Bw (the tile's first),\n"
"  // bo = b x plane bits (the activation plane)\n"
"  reg [VW-1:0] vi;\n"
"  reg [WW-1:0] wi, wt;\n"
"  reg [BKW-1:0] bo;\n"
"  always @(posedge clk)\n"
"    if (!rst) begin\n"
"      if (do_cfg) begin vi <= 0; wi <= 0; wt <= 0; bo <= 0; end\n"
"      else if (issuing) begin\n"
"        if (!b_w) bo <= bo + d_inplane; else begin bo <= 0;\n"
"          if (j_w && q_w) begin\n"
"            if (p_w) begin vi <= 0; wi <= wi + 1'b1; wt <= wi + 1'b1; end\n"
"            else begin vi <= vi + 1'b1; wi <= wt; end\n"
"          end else begin wi <= wi + 1'b1; if (j_w) vi <= vi + 1'b1; end\n"
"        end\n"
"      end\n"
"    end\n\n",
            add_regs, !add ? "" : stages2 ? " | rq_valid | ad_valid" : " | ad_valid",
            RTL_D_SCORES, RTL_D_T, RTL_D_P, RTL_D_Q, RTL_D_BW, RTL_D_BA, RTL_D_IN_BANK,
            RTL_D_IN_SIGN, RTL_D_IN_PLANE_BITS, RTL_D_OUT_PLANE_BITS, RTL_D_OUT_BITS, RTL_D_OUT_C,
            RTL_D_W_BASE, RTL_D_POS_BASE, RTL_D_CHUNK_BASE, RTL_D_VALID_BASE, RTL_D_THR_BASE,
            RTL_D_LAST, RTL_D_MERGE, RTL_D_MUX_SEL, RTL_D_SKIP_C, RTL_D_WRITES_SKIP, RTL_D_SIDE,
            add_cfg);
    /* the weight word; on a pow2_words = code design, a pow2 layer's word
     * holds each lane's exponent code, one word for the passes, decoded by
     * each PE's pow2 decoder to the pass's magnitude bits (k == j + 1) */
    char wfetch[1200];
    if (w->code_bits > 0)
        snprintf(wfetch, sizeof wfetch,
"  wire [(1+WKB)*R*LN-1:0] wword =\n"
"    wmem[d_wbase + (t * d_Q + q) * (d_wcode[0] ? 32'd1 : d_Bw) + (d_wcode[0] ? 32'd0 : j)];\n"
"  wire [31:0] jp1 = j + 1;\n"
"  wire [R*LN-1:0] dec_m;  // the pow2 decoders' magnitude bits of pass j\n"
"  genvar dr;\n"
"  generate for (dr = 0; dr < R; dr = dr + 1) begin : wdec\n"
"    lq_pow2_decoder u_dec (.k(wword[R*LN + dr*LN*WKB +: LN*WKB]), .t(jp1[WKB-1:0]),\n"
"                           .m(dec_m[dr*LN +: LN]));\n"
"  end endgenerate\n");
    else
        snprintf(wfetch, sizeof wfetch,
"  wire [(1+WKB)*R*LN-1:0] wword = wmem[d_wbase + wi];\n");
    cm_text_printf(t,
"  // ---- FETCH: the activation word (gathered by the address generator's\n"
"  // tables), its gating, and the weight register ----\n"
"  wire [127:0] pent = ptab[d_pbase + p];\n"
"  wire [LN*32-1:0] lofs = ctab[d_cbase + q];\n"
"  wire [LN-1:0] vld = vtab[d_vbase + vi];\n"
"  wire [BKW-1:0] pbank = pent[BKW-1:0];\n"
"  // the gather (the address adders, costmodels' lq_addr_add): the issue's\n"
"  // base address, the bank's plus the plane's plus the position's, then\n"
"  // each lane's bank address, the base plus the chunk's offset of the lane\n"
"  wire [BKW-1:0] bsel = d_inbank[0] ? BANK_BITS : 0;\n"
"  wire [BKW-1:0] pbase, abase;\n"
"  lq_addr_add u_pbase (.a(bo), .b(pbank), .s(pbase));\n"
"  lq_addr_add u_abase (.a(bsel), .b(pbase), .s(abase));\n"
"  wire [LN-1:0] xg;\n"
"  genvar gl;\n"
"  generate for (gl = 0; gl < LN; gl = gl + 1) begin : gather\n"
"    wire [BKW-1:0] la;\n"
"    lq_addr_add u_la (.a(abase), .b(lofs[gl*32 +: BKW]), .s(la));\n"
"    assign xg[gl] = bank[la] & vld[gl];\n"
"  end endgenerate\n"
"%s"
"%s"
"  reg f_first, f_last;\n"
"  reg [7:0] f_shift;\n"
"  reg [TW-1:0] f_t;\n"
"  reg [PW-1:0] f_p;\n"
"  reg [LN-1:0] f_g, f_f;\n"
"  reg [R*LN-1:0] f_ws;\n"
"  reg [%s-1:0] f_wm;  // the magnitude bits (the shift PE's: each lane's code k)\n"
"  always @(posedge clk) begin\n"
"    if (rst) f_valid <= 1'b0;\n"
"    else if (issuing) begin\n"
"      f_valid <= 1'b1;\n"
"      f_first <= q == 0 && j == 0 && b == 0;\n"
"      f_last <= q_w && j_w && b_w;\n"
"      f_shift <= b + j;\n"
"      f_t <= t; f_p <= p;\n"
"    end else f_valid <= 1'b0;\n"
"  end\n"
"  // the data registers load on every edge, without an enable: a bubble's\n"
"  // contents are never used (POP and ACC take them under f_valid, p_valid),\n"
"  // and an issue's weight word (and a pow2 word's decoded pass) is the same\n"
"  // for each of its planes b\n"
"  always @(posedge clk) begin\n"
"    f_g <= gw; f_f <= fw;\n"
"    f_ws <= wword[R*LN-1:0];\n"
"    f_wm <= %s;\n"
"  end\n\n", xnor ? gate_xnor : gate_bitplane, wfetch,
            shift ? "WKB*R*LN" : "R*LN",
            w->code_bits > 0 ? "d_wcode[0] ? dec_m : wword[2*R*LN-1:R*LN]"
                             : "wword[(1+WKB)*R*LN-1:R*LN]");
    /* The add stream's stages (docs/rtl.md, "The add merge"): RQ then ADD
     * ([merge] add_stages = 2) or one RQ+ADD stage, between ACC and THR on
     * a stream layer; the output entering THR (x) comes from the ADD
     * register there, from ACC elsewhere. */
    const char *x_plain =
"  wire x_valid = a_valid & ~d_scores[0];  // the output entering THR\n"
"  wire [TW-1:0] x_t = a_t;\n"
"  wire [PW-1:0] x_p = a_p;\n";
    const char *x_add =
"  // the output entering THR: from the ADD register on a stream layer, else from ACC\n"
"  wire x_valid = d_res[0] ? ad_valid : a_valid & ~d_scores[0];\n"
"  wire [TW-1:0] x_t = d_res[0] ? ad_t : a_t;\n"
"  wire [PW-1:0] x_p = d_res[0] ? ad_p : a_p;\n";
    const char *stages_2 =
"      rq_valid <= a_valid & d_res[0];  // RQ: the requantized output Y\n"
"      if (a_valid) begin rq_t <= a_t; rq_p <= a_p; end\n"
"      ad_valid <= rq_valid;            // ADD: the stream value u\n"
"      if (rq_valid) begin ad_t <= rq_t; ad_p <= rq_p; end\n";
    const char *stages_1 =
"      ad_valid <= a_valid & d_res[0];  // RQ+ADD: the stream value u\n"
"      if (a_valid) begin ad_t <= a_t; ad_p <= a_p; end\n";
    /* the skip value register is loaded on the edge before ADD's, with the
     * skip of the output that ADD takes next */
    const char *skip_ld_2 =
"  wire sk_ld = a_valid & d_res[0];  // the skip value register's load: the output entering RQ\n"
"  wire [TW-1:0] sk_t = a_t;\n"
"  wire [127:0] sent = ptab[d_pbase + a_p];\n";
    const char *skip_ld_1 =
"  wire sk_ld = p_valid & p_last & d_res[0];  // the skip value register's load: the output entering ACC's last\n"
"  wire [TW-1:0] sk_t = p_t;\n"
"  wire [127:0] sent = ptab[d_pbase + p_p];\n";
    /* both: the skip value's tile, and RQ's parameter word */
    const char *skip_tile =
"  wire [TW-1:0] skR = sk_t * R;  // the skip value's tile: its first channel, those left, its address\n"
"  wire [TW:0] sk_rem = {1'b0, d_skipc} - {1'b0, skR};\n"
"  wire [SKW-1:0] sk_base = sent[64 +: SKW] + skR;\n"
"  wire [R*RQW-1:0] rqword = rqmem[d_rqbase + a_t];  // RQ's tile: its channels' constants\n";
    cm_text_printf(t,
"  // ---- POP and ACC control; %sTHR, POOL and the scores' WRITE control ----\n"
"  reg p_first, p_last;\n"
"  reg [7:0] p_shift;\n"
"  reg [TW-1:0] p_t, a_t, h_t;\n"
"  reg [PW-1:0] p_p, a_p, h_p;\n"
"%s"
"%s"
"  always @(posedge clk) begin\n"
"    if (rst) begin p_valid <= 1'b0; a_valid <= 1'b0; thr_valid <= 1'b0;%s end\n"
"    else begin\n"
"      p_valid <= f_valid;\n"
"      a_valid <= p_valid & p_last;  // an output's last issue left ACC\n"
"%s"
"      thr_valid <= x_valid;\n"
"    end\n"
"  end\n"
"  // the stages' control registers load on every edge, without an enable:\n"
"  // each is used only while its stage's valid bit is set\n"
"  always @(posedge clk) begin\n"
"    p_first <= f_first; p_last <= f_last; p_shift <= f_shift; p_t <= f_t; p_p <= f_p;\n"
"    a_t <= p_t; a_p <= p_p;\n"
"    h_t <= x_t; h_p <= x_p;\n"
"  end\n"
"  wire [127:0] hent = ptab[d_pbase + h_p];  // the THR register's position: pool first / last\n"
"  wire [127:0] xent = ptab[d_pbase + x_p];  // the output entering THR: its skip's addresses\n"
"  // the tile's address and row arithmetic, once for its R channels (a PE\n"
"  // adds or compares its constant r): the first channel x_t R, the skip's\n"
"  // and the output's channels left from it (negative: none), the first\n"
"  // channel's skip read and write addresses; the tile's parameter word\n"
"  wire [TW-1:0] xtR = x_t * R;\n"
"  wire [TW:0] xs_rem = {1'b0, d_skipc} - {1'b0, xtR};\n"
"  wire [TW:0] xo_rem = {1'b0, d_outc} - {1'b0, xtR};\n"
"  wire [SKW-1:0] xs_base = xent[64 +: SKW] + xtR;\n"
"  wire [SKW-1:0] xw_base = xent[96 +: SKW] + xtR;\n"
"  wire [R*(NTHR*A+1)-1:0] tword = tmem[d_tbase + x_t];\n"
"%s%s"
"  wire pool_first = thr_valid & hent[63];\n"
"  wire pool_last = thr_valid & hent[62];\n\n",
            add ? (stages2 ? "RQ, ADD; " : "RQ+ADD; ") : "",
            !add ? "" : stages2 ? "  reg [TW-1:0] rq_t, ad_t;\n  reg [PW-1:0] rq_p, ad_p;\n" : "  reg [TW-1:0] ad_t;\n  reg [PW-1:0] ad_p;\n",
            add ? x_add : x_plain,
            !add ? "" : stages2 ? " rq_valid <= 1'b0; ad_valid <= 1'b0;" : " ad_valid <= 1'b0;",
            !add ? "" : stages2 ? stages_2 : stages_1,
            !add ? "" : stages2 ? skip_ld_2 : skip_ld_1, add ? skip_tile : "");
    char merge[1600];
    const char *tail = M == 1 ? "m0" : "{code[M-1:1], m0}";
    const char *skip_read =
"    // the skip bit of the output entering THR (0 past the skip's channels)\n"
"    wire skip_b = d_merge != 0 && !xs_rem[TW] && xs_rem > r ? skipmem[xs_base + r] : 1'b0;\n"
"    wire m0;\n";
    if (hw->merge == CM_MERGE_OR)
        snprintf(merge, sizeof merge,
"%s"
"    // the OR merge: y = code OR skip (the merging layers' codes are binary)\n"
"    lq_merge_or u_merge (.a(code[0]), .skip(skip_b), .y(m0));\n"
"    wire [M-1:0] mcode = %s;\n", skip_read, tail);
    else if (hw->merge == CM_MERGE_MUX)
        snprintf(merge, sizeof merge,
"%s"
"    // the MUX merge on the channel's select bit, the parameter word's top bit\n"
"    lq_merge_mux u_merge (.a(code[0]), .skip(skip_b), .sel(thr[NTHR*A]),%s .y(m0));\n"
"    wire [M-1:0] mcode = %s;\n", skip_read,
                 hw->mux == CM_MUX_BOTH ? " .var(d_muxsel[0])," : "", tail);
    else
        snprintf(merge, sizeof merge, "    wire [M-1:0] mcode = code;\n");
    /* the add stream of a PE: the requantizer (RQ), the skip value
     * register, the stream adder (ADD) and the value THR compares */
    char stream[2400] = "    wire [A-1:0] tv = acc;  // THR compares the accumulator\n";
    if (add) {
        char rq[600];
        if (hw->requant == CM_RQ_SHIFT) {
            const int lsb = cm_bits_for(hw->rq_lshift_max), rsb = hw->rq_rshift_bits;
            char ls[80] = "", rs[80] = "";
            if (lsb > 0)
                snprintf(ls, sizeof ls, " .ls(rqc[%d:1]),", lsb);
            if (rsb > 0)
                snprintf(rs, sizeof rs, " .rs(rqc[%d:%d]),", lsb + rsb, lsb + 1);
            snprintf(rq, sizeof rq,
"    lq_requant u_rq (.acc(acc), .neg(rqc[0]),%s%s .off(rqc[RQW-1:%d]), .y(y));\n",
                     ls, rs, 1 + lsb + rsb);
        } else {
            snprintf(rq, sizeof rq,
"    lq_requant u_rq (.acc(acc), .mul(rqc[%d:0]), .off(rqc[RQW-1:%d]), .sh(d_rqsh[5:0]),\n"
"                     .y(y));\n",
                     hw->rq_mul_bits - 1, hw->rq_mul_bits);
        }
        snprintf(stream, sizeof stream,
"    // RQ: the requantizer on the channel's constants from the parameter\n"
"    // memory at the RQ stage's tile (the output in ACC), no registers\n"
"    wire [RQW-1:0] rqc = rqword[r*RQW +: RQW];\n"
"    wire [RB-1:0] y;\n"
"%s"
"    // the skip value register (0 past the skip's channels, or without a merge)\n"
"    reg [RB-1:0] skv;\n"
"    always @(posedge clk)\n"
"      if (sk_ld) skv <= d_merge != 0 && !sk_rem[TW] && sk_rem > r ?\n"
"                        skipmem[sk_base + r] : {RB{1'b0}};\n"
"%s"
"    wire [RB-1:0] u;\n"
"    lq_stream_add u_add (.y(%s), .skip(skv), .u(u));\n"
"    reg [RB-1:0] u_r;  // the ADD register\n"
"    always @(posedge clk) if (%s) u_r <= u;\n"
"    assign u_bus[r*RB +: RB] = u_r;\n"
"    // THR compares the stream value (sign-extended) on a stream layer\n"
"    wire [A-1:0] tv = d_res[0] ? {{(A-RB){u_r[RB-1]}}, u_r} : acc;\n",
                 rq,
                 stages2 ? "    reg [RB-1:0] y_r;  // the RQ register\n"
                           "    always @(posedge clk) if (a_valid & d_res[0]) y_r <= y;\n"
                         : "",
                 stages2 ? "y_r" : "y", stages2 ? "rq_valid" : "a_valid & d_res[0]");
    }
    cm_text_printf(t,
"  // ---- the PEs: lane logic, popcounts (POP), accumulator (ACC), threshold\n"
"  // comparators (THR), pooling (POOL) ----\n"
"  wire [R*A-1:0] acc_bus;\n"
"  wire [R*M-1:0] pool_bus;\n"
"%s"
"%s"
"  genvar r, ge;\n"
"  generate for (r = 0; r < R; r = r + 1) begin : pe\n"
"%s"
"    assign acc_bus[r*A +: A] = acc;\n"
"%s"
"    // THR: the channel's thresholds (and MUX select bit) from the parameter\n"
"    // memory at the THR stage's tile, no registers; the threshold unit's\n"
"    // comparators and their count (the encoder)\n"
"    wire [NTHR*A:0] thr = tword[r*(NTHR*A+1) +: NTHR*A+1];\n"
"    wire [M-1:0] code;\n"
"    lq_threshold u_thr (.v(tv), .thr(thr[NTHR*A-1:0]), .code(code));\n"
"%s"
"    reg [M-1:0] code_r;  // the THR register: the merged code\n"
"    always @(posedge clk) if (x_valid) code_r <= mcode;\n"
"    // POOL: the running maximum (holds between outputs: max(q, code_r) = q)\n"
"    wire [M-1:0] pmax;\n"
"    lq_pool u_pool (.clk(clk), .code(code_r), .first(pool_first), .max(pmax));\n"
"    assign pool_bus[r*M +: M] = pmax;\n"
"  end endgenerate\n\n", add ? "  wire [R*RB-1:0] u_bus;  // the ADD registers\n" : "",
            xnor ? shared_xnor : "", xnor ? pe_xnor : shift ? pe_shift : pe_bitplane, stream,
            merge);
    cm_text_printf(t,
"  // ---- the output word's write-back (the edge after POOL) and the banks ----\n"
"  reg wr_pending, wr_wskip, wr_side;\n"
"  reg [SKW-1:0] wr_skip;\n"
"  reg [BKW-1:0] wr_addr, wr_plane;  // the word's bank address (the bank's offset in it)\n"
"  reg [TW-1:0] wr_rows, wr_t;\n"
"  reg [PW-1:0] wr_p;\n"
"  reg [7:0] wr_bits;\n"
"  wire [TW-1:0] htR = h_t * R;\n"
"  always @(posedge clk) begin\n"
"    wr_pending <= pool_last & ~rst;\n"
"    begin  // taken the edge after pool_last only: no enable\n"
"      wr_addr <= (d_inbank[0] ? 0 : BANK_BITS) + hent[32 +: BKW] + htR;\n"
"      wr_rows <= d_outc - htR;\n"
"      wr_bits <= d_outbits;\n"
"      wr_plane <= d_outplane;\n"
"      wr_t <= h_t; wr_p <= h_p;\n"
"      wr_skip <= hent[96 +: SKW] + htR;\n"
"      wr_wskip <= d_wskip[0]; wr_side <= d_side[0];\n"
"    end\n"
"  end\n"
"  integer wb, wr, lb;\n"
"  always @(posedge clk) begin\n"
"    if (ld_we && ld_sel == 4'd0) begin  // a load: an aligned 32-bit word, ld_data[63:32] its bits' enables\n"
"      for (lb = 0; lb < 32; lb = lb + 1)\n"
"        if (ld_data[32 + lb]) bank[{ld_addr[31:5], lb[4:0]}] <= ld_data[lb];\n"
"    end\n"
"    else if (wr_pending && !wr_side)\n"
"      for (wb = 0; wb < M; wb = wb + 1)\n"
"        for (wr = 0; wr < R; wr = wr + 1)\n"
"          if (wb < wr_bits && wr < wr_rows)\n"
"            bank[wr_addr + wb * wr_plane + wr] <= pool_bus[wr*M + wb];\n"
"  end\n"
"  integer ws;\n"
"%s"
"  assign ow_valid = wr_pending;\n"
"  assign ow_t = wr_t;\n"
"  assign ow_p = wr_p;\n"
"  assign ow_code = pool_bus;\n\n",
            add ? "  always @(posedge clk)  // the stream value u (unpooled) into the skip buffer, from ADD\n"
                  "    if (x_valid && d_res[0] && d_wskip[0])\n"
                  "      for (ws = 0; ws < R; ws = ws + 1)\n"
                  "        if (ws < xo_rem) skipmem[xw_base + ws] <= u_bus[ws*RB +: RB];\n"
                : "  always @(posedge clk)\n"
                  "    if (wr_pending && wr_wskip)  // the pooled code, also into the skip buffer\n"
                  "      for (ws = 0; ws < R; ws = ws + 1)\n"
                  "        if (ws < wr_rows) skipmem[wr_skip + ws] <= pool_bus[ws*M];\n");
    cm_text_printf(t,
"  // ---- the score unit: WRITE, then the class walk MUL, ADD, ARGMAX ----\n"
"  reg [A-1:0] score_reg [0:NCLS-1];\n"
"  reg [CLW-1:0] walk_c, mul_c, sadd_c;\n"
"  reg [SW-1:0] mul_v, sadd_v, best;\n"
"  reg [CB-1:0] bcls;\n"
"  wire [SW+SMB-1:0] sconst_w = smem[walk_c];\n"
"  wire [SW+SMB-1:0] sconst_a = smem[mul_c];\n"
"  wire [SW-1:0] prod, ssum;\n"
"  wire s_ge, s_co;\n"
"  lq_score_mul u_smul (.a(sconst_w[SMB-1:0]), .b(score_reg[walk_c]), .p(prod));\n"
"  lq_score_add u_sadd (.a(mul_v), .b(sconst_a[SW+SMB-1:SMB]), .ci(1'b0), .s(ssum), .co(s_co));\n"
"  lq_score_compare u_scmp (.a(best), .b(sadd_v), .ge(s_ge));\n"
"  integer sr;\n"
"  always @(posedge clk) begin\n"
"    if (rst) begin walking <= 1'b0; mul_valid <= 1'b0; sadd_valid <= 1'b0; end\n"
"    else begin\n"
"      if (walking) begin  // MUL\n"
"        mul_valid <= 1'b1; mul_c <= walk_c; mul_v <= prod; walk_c <= walk_c + 1'b1;\n"
"        if (walk_c == d_outc - 1'b1) walking <= 1'b0;\n"
"      end else mul_valid <= 1'b0;\n"
"      if (a_valid & d_scores[0]) begin  // WRITE\n"
"        // class sr is PE sr mod R's channel in tile sr / R: a fixed source a\n"
"        // class, its enable a compare with constants (no address arithmetic)\n"
"        for (sr = 0; sr < NCLS; sr = sr + 1)\n"
"          if (a_t == sr / R && sr < d_outc) score_reg[sr] <= acc_bus[(sr %% R)*A +: A];\n"
"        if (a_t == d_T - 1'b1 && a_p == d_P - 1'b1) begin walking <= 1'b1; walk_c <= 0; end\n"
"      end\n"
"      sadd_valid <= mul_valid;  // ADD\n"
"      if (mul_valid) begin sadd_c <= mul_c; sadd_v <= ssum; end\n"
"      if (sadd_valid && (sadd_c == 0 || !s_ge)) begin  // ARGMAX\n"
"        best <= sadd_v; bcls <= sadd_c[CB-1:0];\n"
"      end\n"
"    end\n"
"  end\n"
"  assign sc_valid = sadd_valid;\n"
"  assign sc_cls = sadd_c;\n"
"  assign sc_value = sadd_v;\n"
"  assign pred = bcls;\n"
"endmodule\n");
}

char *rtl_verilog(const struct cm_hw *hw, const struct rtl_config *c, char *msg, size_t size)
{
    if (rtl_check_hw(hw, msg, size) != 0)
        return NULL;
    struct rtl_widths w;
    rtl_widths_of(hw, c, &w);
    if (w.pop_bits + w.n_exp - 1 >= w.A) {
        snprintf(msg, size, "[array] acc_bits: must exceed the %s %d bits",
                 w.n_exp > 1 ? "shift-add's" : "popcount's", w.pop_bits + w.n_exp - 1);
        return NULL;
    }
    const enum cm_adder_arch arch = hw->adder;
    struct cm_text t = {0};
    cm_text_printf(&t, "// Written by logiq rtl (docs/rtl.md). Do not edit: regenerate.\n\n");
    cm_text_printf(&t, "%s", cm_verilog_prelude());
    if (hw->pe == CM_PE_XNOR) {
        tput(&t, cm_verilog_fetch_gating_xnor("lq_fetch_gating_xnor", w.lanes));
        tput(&t, cm_verilog_lane_logic_xnor("lq_lane_logic_xnor", w.lanes));
    } else {
        tput(&t, cm_verilog_fetch_gating("lq_fetch_gating", w.lanes));
        if (hw->pe != CM_PE_SHIFT)
            tput(&t, cm_verilog_lane_logic("lq_lane_logic", w.lanes));
    }
    if (w.code_bits > 0)
        tput(&t, cm_verilog_pow2_decoder("lq_pow2_decoder", w.lanes, w.code_bits));
    if (hw->pe == CM_PE_SHIFT) {
        tput(&t, cm_verilog_lane_logic_shift("lq_lane_logic_shift", w.lanes, w.n_exp));
        tput(&t, cm_verilog_shift_add("lq_shift_add", w.pop_bits, w.n_exp, arch));
    }
    tput(&t, cm_verilog_popcount("lq_popcount_lanes", w.lanes, arch));
    if (hw->pe == CM_PE_XNOR)
        tput(&t, cm_verilog_accumulator_xnor("lq_accumulator_xnor", w.pop_bits, w.max_shift, w.A,
                                             arch));
    else  /* the shift PE's takes the shift-add's sums, E - 1 bits wider */
        tput(&t, cm_verilog_accumulator("lq_accumulator", w.pop_bits + w.n_exp - 1, w.max_shift,
                                        w.A, arch));
    tput(&t, cm_verilog_threshold_unit("lq_threshold", w.n_thr, w.A, arch));
    tput(&t, cm_verilog_pool("lq_pool", w.M, arch));
    if (hw->merge == CM_MERGE_ADD) {
        if (hw->requant == CM_RQ_SHIFT)
            tput(&t, cm_verilog_requant_shift("lq_requant", w.A, hw->rq_lshift_max,
                                              hw->rq_rshift_bits, w.res_bits, arch));
        else
            tput(&t, cm_verilog_requant_mul("lq_requant", w.A, hw->rq_mul_bits, w.res_bits, arch));
        tput(&t, cm_verilog_stream_add("lq_stream_add", w.res_bits, arch));
    }
    if (hw->merge == CM_MERGE_OR)
        tput(&t, cm_verilog_merge_or("lq_merge_or", 1));
    else if (hw->merge == CM_MERGE_MUX)
        tput(&t, cm_verilog_merge_mux("lq_merge_mux", 1, hw->mux));
    tput(&t, cm_verilog_multiplier("lq_score_mul", w.smb, w.A, arch));
    tput(&t, cm_verilog_adder("lq_score_add", w.score_bits, arch));
    tput(&t, cm_verilog_comparator("lq_score_compare", w.score_bits, arch));
    tput(&t, cm_verilog_addr_add("lq_addr_add", w.bank_addr_bits, arch));
    write_top(&t, hw, c, &w);
    if (t.failed) {
        free(t.s);
        snprintf(msg, size, "out of memory");
        return NULL;
    }
    return t.s;
}

/* ---- activity: the registers and buses whose toggles are counted ---- */

struct toggle_name {
    const char *name;
    int kind;
};

/* The top module's registers, and the PEs' (in the generate block pe[r]),
 * by the unit kind the cost model prices them in; the memories (the SRAM
 * macros, whose energy is their accesses') and the weight word registers
 * f_ws and f_wm (the weight buffer's synchronous read: its output
 * register) are not counted. The lane logic's and the popcount trees'
 * outputs are buses, counted as the SystemC model counts them. */
static const struct toggle_name toggle_names[] = {
    /* the controller: run state, the descriptor, loop counters, the
     * address generator's running indices, the valid bits, the write-back */
    {"running", CM_U_CONTROL}, {"issuing", CM_U_CONTROL}, {"lay", CM_U_CONTROL},
    {"d_scores", CM_U_CONTROL}, {"d_inbank", CM_U_CONTROL}, {"d_insign", CM_U_CONTROL},
    {"d_last", CM_U_CONTROL}, {"d_muxsel", CM_U_CONTROL}, {"d_wskip", CM_U_CONTROL},
    {"d_side", CM_U_CONTROL}, {"d_merge", CM_U_CONTROL}, {"d_T", CM_U_CONTROL},
    {"d_outc", CM_U_CONTROL}, {"d_skipc", CM_U_CONTROL}, {"d_tbase", CM_U_CONTROL},
    {"d_P", CM_U_CONTROL}, {"d_pbase", CM_U_CONTROL}, {"d_Q", CM_U_CONTROL},
    {"d_cbase", CM_U_CONTROL}, {"d_Bw", CM_U_CONTROL}, {"d_Ba", CM_U_CONTROL},
    {"d_outbits", CM_U_CONTROL}, {"d_inplane", CM_U_CONTROL}, {"d_outplane", CM_U_CONTROL},
    {"d_wbase", CM_U_CONTROL}, {"d_vbase", CM_U_CONTROL}, {"d_res", CM_U_CONTROL},
    {"d_rqsh", CM_U_CONTROL}, {"d_rqbase", CM_U_CONTROL}, {"d_wcode", CM_U_CONTROL},
    {"t", CM_U_CONTROL}, {"p", CM_U_CONTROL}, {"q", CM_U_CONTROL}, {"j", CM_U_CONTROL},
    {"b", CM_U_CONTROL}, {"vi", CM_U_CONTROL}, {"wi", CM_U_CONTROL}, {"wt", CM_U_CONTROL},
    {"bo", CM_U_CONTROL}, {"f_valid", CM_U_CONTROL}, {"p_valid", CM_U_CONTROL},
    {"a_valid", CM_U_CONTROL}, {"rq_valid", CM_U_CONTROL}, {"ad_valid", CM_U_CONTROL},
    {"thr_valid", CM_U_CONTROL}, {"walking", CM_U_CONTROL}, {"mul_valid", CM_U_CONTROL},
    {"sadd_valid", CM_U_CONTROL}, {"wr_pending", CM_U_CONTROL}, {"wr_wskip", CM_U_CONTROL},
    {"wr_side", CM_U_CONTROL}, {"wr_skip", CM_U_CONTROL}, {"wr_addr", CM_U_CONTROL},
    {"wr_plane", CM_U_CONTROL}, {"wr_rows", CM_U_CONTROL}, {"wr_t", CM_U_CONTROL},
    {"wr_p", CM_U_CONTROL}, {"wr_bits", CM_U_CONTROL},
    /* the stages' registers: FETCH's activation word and control, POP's,
     * ACC's and the add stream's control, the POP registers */
    {"f_first", CM_U_PIPEREG}, {"f_last", CM_U_PIPEREG}, {"f_shift", CM_U_PIPEREG},
    {"f_t", CM_U_PIPEREG}, {"f_p", CM_U_PIPEREG}, {"p_first", CM_U_PIPEREG},
    {"p_last", CM_U_PIPEREG}, {"p_shift", CM_U_PIPEREG}, {"p_t", CM_U_PIPEREG},
    {"p_p", CM_U_PIPEREG}, {"a_t", CM_U_PIPEREG}, {"a_p", CM_U_PIPEREG},
    {"h_t", CM_U_PIPEREG}, {"h_p", CM_U_PIPEREG}, {"rq_t", CM_U_PIPEREG},
    {"rq_p", CM_U_PIPEREG}, {"ad_t", CM_U_PIPEREG}, {"ad_p", CM_U_PIPEREG},
    {"cnt_r", CM_U_PIPEREG}, {"pe.pos_r", CM_U_PIPEREG}, {"pe.neg_r", CM_U_PIPEREG},
    {"pe.code_r", CM_U_PIPEREG},  /* THR's register: the merged code */
    /* the gating's outputs, registered here (the buses g and f that drive
     * the lanes), the lane logic's outputs and the popcount trees' */
    {"f_g", CM_U_ARRAY}, {"f_f", CM_U_ARRAY}, {"f_ng", CM_U_ARRAY},
    {"pe.lpos", CM_U_ARRAY}, {"pe.lneg", CM_U_ARRAY}, {"pe.lt", CM_U_ARRAY},
    {"ccnt", CM_U_POPCOUNT}, {"pe.cpos", CM_U_POPCOUNT}, {"pe.cneg", CM_U_POPCOUNT},
    /* the threshold unit's output (its count of the comparators), the merge
     * unit's (an OR or MUX merge), the add stream's skip value, RQ and ADD
     * registers */
    {"pe.code", CM_U_THRESH}, {"pe.m0", CM_U_MERGE}, {"pe.skv", CM_U_MERGE},
    {"pe.u_r", CM_U_MERGE}, {"pe.y_r", CM_U_MERGE},
    /* the score unit: its register file, the class walk, the stage registers */
    {"score_reg", CM_U_SCORE}, {"walk_c", CM_U_SCORE}, {"mul_c", CM_U_SCORE},
    {"sadd_c", CM_U_SCORE}, {"mul_v", CM_U_SCORE}, {"sadd_v", CM_U_SCORE},
    {"best", CM_U_SCORE}, {"bcls", CM_U_SCORE},
};

/* The unit instances whose netlists hold flip-flops (logiq_dff r<n>). */
static const struct toggle_name toggle_units[] = {
    {"u_acc", CM_U_ACCUM}, {"u_pool", CM_U_POOL}, {"u_thr", CM_U_THRESH},
    {"u_merge", CM_U_MERGE}, {"u_add", CM_U_MERGE}, {"u_rq", CM_U_MERGE},
    {"u_smul", CM_U_SCORE}, {"u_sadd", CM_U_SCORE}, {"u_scmp", CM_U_SCORE},
};

int rtl_toggle_kind(const char *scope, const char *name)
{
    char key[64];
    /* a PE's: "pe[r]" */
    if (strncmp(scope, "pe[", 3) == 0) {
        const char *close = strchr(scope, ']');
        if (!close)
            return -1;
        if (close[1] == '\0') {
            snprintf(key, sizeof key, "pe.%s", name);
            name = key;
        } else if (close[1] == '.') {
            scope = close + 2;  /* a unit instance in the PE */
        }
    }
    if (name != key && scope[0] != '\0') {
        /* a flip-flop of a unit's netlist: "u_acc.r86", q */
        const char *dot = strchr(scope, '.');
        if (!dot || dot[1] != 'r' || strchr(dot + 1, '.') || strcmp(name, "q") != 0)
            return -1;
        for (size_t i = 0; i < sizeof toggle_units / sizeof toggle_units[0]; i++)
            if ((size_t)(dot - scope) == strlen(toggle_units[i].name) &&
                strncmp(scope, toggle_units[i].name, (size_t)(dot - scope)) == 0)
                return toggle_units[i].kind;
        return -1;
    }
    for (size_t i = 0; i < sizeof toggle_names / sizeof toggle_names[0]; i++)
        if (strcmp(name, toggle_names[i].name) == 0)
            return toggle_names[i].kind;
    return -1;
}

char *rtl_toggle_config(void)
{
    struct cm_text t = {0};
    cm_text_printf(&t, "`verilator_config\n"
                       "// Written by logiq rtl (docs/rtl.md, \"Activity\"): the registers and\n"
                       "// buses whose toggles are counted, readable by the harness\n"
                       "// (rtl/cosim.h, count_toggles); pass it to Verilator with the design.\n");
    for (size_t i = 0; i < sizeof toggle_names / sizeof toggle_names[0]; i++) {
        const char *n = toggle_names[i].name;
        if (strncmp(n, "pe.", 3) == 0)
            n += 3;
        cm_text_printf(&t, "public_flat_rd -module \"logiq_accel\" -var \"%s\"\n", n);
    }
    cm_text_printf(&t, "public_flat_rd -module \"logiq_dff\" -var \"q\"\n");
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* rtl/rtl.h: the whole reference accelerator (docs/accelerator.md) as one
 * synthesizable Verilog design (docs/rtl.md), built on costmodels/' unit
 * netlists (costmodels/verilog.h): the lane logic, popcount trees,
 * accumulators, comparators, pooling units, fetch gating and the score
 * unit's multiplier, adder and comparator are the very netlists the cost
 * model counts; the controller, the pipeline's stage registers, the
 * address arithmetic and the behavioural SRAMs are written here.
 *
 * One design per hardware description: its structural widths (pe_rows,
 * lanes, acc_bits, max_act_bits, max_w_bits, the score multiplier) are fixed
 * when the Verilog is written; the network (every layer's loop bounds,
 * buffer layouts, weights, thresholds and score constants) is loaded at run
 * time through the load port into the design's memories, so one compiled
 * simulation runs any network the design can hold.
 *
 *     struct rtl_config c;
 *     rtl_config_defaults(&c, &hw);               // hw resolved (no auto keys)
 *     char msg[256];
 *     char *v = rtl_verilog(&hw, &c, msg, sizeof msg);
 *     if (!v) ... msg
 *     fputs(v, f); free(v);
 *
 * This slice covers chain networks (conv, dense, max pooling) and the OR,
 * MUX and add merges with their residual blocks (identity, pad and
 * projection shortcuts; the add stream with either requantizer), with {0,1},
 * sign and unsigned
 * B-bit activations and every weight code that runs on the bit planes
 * (binary, sign-magnitude, offset binary, pow2 as planes or, with [array]
 * pow2_words = code, as exponent codes the fetch unit decodes), on the
 * bit-plane and XNOR PEs (docs/rtl.md).
 *
 * Memory: rtl_verilog returns a malloc'd text the caller frees. No I/O. */
#ifndef LOGIQ_RTL_H
#define LOGIQ_RTL_H

#include <stddef.h>

#include "costmodels/hw.h"
#include "nn/qnn.h"

/* The load port's memories (ld_sel) and the layout of each word. */
enum rtl_mem {
    RTL_MEM_BANK = 0,   /* activation banks: bits addr .. addr + 31 (addr = bank * bank_bits +
                           bit, a multiple of 32) from data[31:0], each where data[32 + i] is
                           set */
    RTL_MEM_WEIGHT = 1, /* [layer base + (t * Q + q) * Bw + j]: {magnitude [R][lanes], sign
                           [R][lanes]}; a pow2 layer on a pow2_words = code design:
                           [layer base + t * Q + q]: {code [R][lanes][code bits], sign} */
    RTL_MEM_DESC = 2,   /* [layer * RTL_DESC_WORDS + field]: 32-bit descriptor fields */
    RTL_MEM_POS = 3,    /* [layer base + p]: {skip write address (32), skip read address (32),
                           first, last, out address (30 bits), window base (32)} */
    RTL_MEM_CHUNK = 4,  /* [layer base + q]: per lane a 32-bit offset from the window base */
    RTL_MEM_VALID = 5,  /* [layer base + p * Q + q]: the chunk's valid lanes */
    RTL_MEM_THR = 6,    /* [layer base + tile], channel r of the tile at r (2^M - 1) A + r:
                           {MUX select bit, 2^M - 1 thresholds of
                           acc_bits (unused: the largest)} */
    RTL_MEM_SCORE = 7,  /* [class]: {offset (score_mul_bits + acc_bits), multiplier (score_mul_bits)} */
    RTL_MEM_RQ = 8,     /* add designs: [layer base + tile], channel r of the tile at r x its
                           width: the requantizer's constants,
                           {offset (rq_mul_bits + acc_bits), multiplier (rq_mul_bits)}, or
                           with [merge] requant = shift {offset (acc_bits + rq_lshift_max),
                           right shift (rq_rshift_bits), left shift (bits(rq_lshift_max)),
                           negate (1)} */
};

/* The fields of a layer's descriptor (RTL_MEM_DESC), loaded in its CONFIG cycle. */
enum rtl_desc {
    RTL_D_SCORES = 0,    /* 1: the scores layer (the last) */
    RTL_D_T, RTL_D_P, RTL_D_Q, RTL_D_BW, RTL_D_BA, /* loop bounds (docs/accelerator.md) */
    RTL_D_IN_BANK,       /* the bank read (the other is written) */
    RTL_D_IN_SIGN,       /* 1: sign activations in */
    RTL_D_IN_PLANE_BITS, /* bits of one input bit-plane in the bank */
    RTL_D_OUT_PLANE_BITS,
    RTL_D_OUT_BITS,      /* bit-planes written */
    RTL_D_OUT_C,         /* output channels (classes in the scores layer) */
    RTL_D_W_BASE, RTL_D_POS_BASE, RTL_D_CHUNK_BASE, RTL_D_VALID_BASE, RTL_D_THR_BASE,
    RTL_D_LAST,          /* 1: the network's last layer */
    RTL_D_MERGE,         /* the layer's merge: 0 none, 2 or, 3 mux (nn/qnn.h's numbering) */
    RTL_D_MUX_SEL,       /* a MUX layer's variant: 1 sel (y = skip), 0 or */
    RTL_D_SKIP_C,        /* a merging layer's skip channels (past them the skip is 0) */
    RTL_D_WRITES_SKIP,   /* 1: the pooled output also goes to the skip buffer */
    RTL_D_SIDE,          /* 1: a side layer (projection): the skip buffer only, no bank */
    RTL_D_RES,           /* 1: the layer's output is the add stream's (RQ and ADD stages) */
    RTL_D_RQ_SHIFT,      /* the multiplier requantizer's right shift (0..63) */
    RTL_D_RQ_BASE,       /* the layer's first entry in RTL_MEM_RQ */
    RTL_D_WCODE,         /* 1: pow2 exponent codes in the weight words (decoded per pass) */
    RTL_D_SHIFT,         /* 1: the layer is on the shift PE's shift path (its codes' bits 1..) */
    RTL_DESC_FIELDS
};
enum { RTL_DESC_WORDS = 32 };

/* The design's sizes that are not hw.ini keys: memory depths (entries) and
 * the score register file. */
struct rtl_config {
    int max_layers;
    int max_classes;
    long long bank_bits;   /* each activation bank (act_kbits * 1024, or 65536 if auto) */
    long long skip_bits;   /* the skip buffer (skip_kbits * 1024, or 65536): 1 bit a value,
                              res_bits on an add design */
    int weight_depth, pos_depth, chunk_depth, valid_depth;
    int thr_depth;         /* thresholds and MUX selects: tile words (R channels a word) */
    int rq_depth;          /* requantizer constants (add designs): tile words */
    int pow2_code_bits;    /* [array] pow2_words = code: the pow2 decoders' exponent code bits;
                              -1 (the default, a design for any network) bits(max_w_bits);
                              for one model cm_pow2_decoder_bits (0: no pow2 layer on the
                              bit planes, no decoders), as the cost model counts them */
};

void rtl_config_defaults(struct rtl_config *c, const struct cm_hw *hw);

/* The widths the design fixes, derived from hw (the harness checks a
 * network's program against them). */
struct rtl_widths {
    int R, lanes, A, M, n_thr, pop_bits, max_shift, sh_bits, smb, score_bits, class_bits;
    int load_bits;  /* the load port's data width */
    int res_bits;   /* add designs: the stream's width (the skip buffer's word), else 1 */
    int rq_bits;    /* add designs: one channel's requantizer constants, else 0 */
    long long skip_depth;  /* skip buffer entries (skip_bits / res_bits) */
    int bank_addr_bits;    /* a bit address of the two banks (the top module's BKW, the
                              gather's address adders) */
    int code_bits;  /* [array] pow2_words = code on the bit-plane PE: the pow2 decoder's code
                       bits (rtl_config's pow2_code_bits), else 0 */
    int n_exp;      /* the shift PE's exponents E (its tree pairs), else 1 */
    int wk_bits;    /* a lane's field of the weight word besides its sign: the pow2 code
                       (code_bits), the shift PE's code k (bits(E) bits), else the magnitude
                       bit (1) */
    struct cm_ctl_widths ctl;  /* the controller's widths, from the memories' depths (as the
                                  cost model's, costmodels/units.h) */
};
void rtl_widths_of(const struct cm_hw *hw, const struct rtl_config *c, struct rtl_widths *w);

/* Resolves what cm_design_eval would resolve for a design written without a
 * model: the score multiplier's width from rq_mul_bits; with [merge]
 * requant = shift, the widest shifters (left shifts 0..16, a 6-bit right
 * shift), which run any network's constants. */
void rtl_hw_without_model(struct cm_hw *hw);

/* 0 if the RTL covers hw (resolved: no auto key left), else -1 with a
 * message naming the hw.ini field. */
int rtl_check_hw(const struct cm_hw *hw, char *msg, size_t size);

/* 0 if the RTL covers network q on hw (no signed multi-level activations;
 * pow2 codes no wider than the design's decoder; a residual stream only on
 * an add design, of
 * the design's res_bits), else -1 with a message naming the layer. */
int rtl_check_net(const struct nn_qnn *q, const struct cm_hw *hw, char *msg, size_t size);

/* The whole design as Verilog: the unit modules, then the top module
 * logiq_accel. NULL with a message on a hw the RTL does not cover or out of
 * memory. */
char *rtl_verilog(const struct cm_hw *hw, const struct rtl_config *c, char *msg, size_t size);

/* Activity (docs/rtl.md, "Activity"): the unit kind (enum cm_unit_kind) in
 * which a toggle of the RTL's register or bus `name` is counted, by its
 * scope below the top module: "" (the top), "pe[3]" (a PE's generate
 * block), "pe[3].u_acc.r86" (a flip-flop of a unit's netlist, name "q");
 * -1 if it is not counted (a wire inside a unit, a memory, a port). */
int rtl_toggle_kind(const char *scope, const char *name);
/* A Verilator configuration file (`logiq rtl` writes it as
 * DIR/logiq_accel.vlt) that makes those registers and buses readable
 * (public_flat_rd), so that a harness can count their toggles; malloc'd,
 * NULL out of memory. */
char *rtl_toggle_config(void);

#endif

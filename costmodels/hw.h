/* costmodels/hw.h: the hardware description (hw.ini) of the reference
 * accelerator (docs/accelerator.md).
 *
 * The keys, their units, ranges and meanings are one table (cm_hw_keys),
 * which the parser, `logiq cost --help-hw` and docs/cost-models.md follow.
 * cli/ reads the file with inih and hands each (section, key, value) to
 * cm_hw_set; costmodels/ itself does no I/O.
 *
 *     struct cm_hw hw;
 *     cm_hw_defaults(&hw);
 *     for each (section, key, value) in the file:
 *         if (cm_hw_set(&hw, section, key, value, &err) != CM_OK) ... err.msg
 *     if (cm_hw_check(&hw, &err) != CM_OK) ...
 *
 * Memory: plain values. */
#ifndef LOGIQ_CM_HW_H
#define LOGIQ_CM_HW_H

#include "costmodels/status.h"
#include "costmodels/units.h"

/* The merge unit a design builds. Numbering as in nn/qnn.h's merges. */
enum cm_merge {
    CM_MERGE_NONE = 0,  /* no merge unit: only networks without merges */
    CM_MERGE_ADD = 1,
    CM_MERGE_OR = 2,
    CM_MERGE_MUX = 3,
    CM_MERGE_AUTO = 4,  /* the network's (a design evaluated with one network) */
};

/* The PE's weight path (docs/accelerator.md). BITPLANE: one magnitude plane
 * a weight pass (w_mag_bits passes). SHIFT: also a one-pass path for layers
 * whose weights are all 0 or +-2^e (e < max_w_bits): per lane a sign and
 * the exponent code k (0: the weight 0, e + 1: 2^e), decoded onto
 * max_w_bits pairs of popcount trees whose counts a shift-add sums before
 * the accumulator. XNOR: binary weight planes only (binary and offset-binary
 * layers), one popcount tree a PE (the product bits XNOR(w, x) of the
 * valid lanes) and one shared count of the valid lanes, d = 2 pop - cnt. */
enum cm_pe_kind { CM_PE_BITPLANE = 0, CM_PE_SHIFT = 1, CM_PE_XNOR = 2 };

/* How the weight buffer holds pow2 weights that run on the bit planes
 * (docs/accelerator.md, "Weight words"). CODE: as the .qnn does, the sign
 * and the exponent code (B bits for pow2:B), decoded in the fetch unit to
 * each pass's magnitude bit; PLANES: the sign and the magnitude planes (one
 * more bit a weight for pow2:3, no decoders), written so when the weights
 * are loaded. */
enum cm_pow2_words { CM_POW2_CODE = 0, CM_POW2_PLANES = 1 };

/* The add merge's requantizer (docs/accelerator.md, "The requantizer").
 * MUL: a rq_mul_bits x acc_bits multiplier, any constants. SHIFT: a
 * conditional negation, a left shift by 0..rq_lshift_max and a right shift,
 * for networks whose requantizer multipliers are all +-2^e. */
enum cm_requant { CM_RQ_MUL = 0, CM_RQ_SHIFT = 1 };

/* A buffer size of 0 kbit in cm_hw means `auto`: sized to the network. */
struct cm_hw {
    char name[64];            /* [design] name */
    char tech[256];           /* [design] tech: "generic45" or a .cells path */
    double clock_mhz;         /* [design] clock_mhz, 0 = auto: fmax (timing.h) */
    int pe_rows;              /* [array] pe_rows: PEs, one output channel each */
    int lanes;                /* [array] lanes: input bits per PE per cycle */
    int acc_bits;             /* [array] acc_bits: accumulator width */
    enum cm_adder_arch adder; /* [array] adder: architecture of every adder */
    int max_act_bits;         /* [array] max_act_bits: widest activation code, 0 = auto */
    int max_w_bits;           /* [array] max_w_bits: weight magnitude planes, 0 = auto;
                                 pe = shift: also the exponents 0..max_w_bits-1 */
    enum cm_pe_kind pe;       /* [array] pe: bitplane, shift or xnor */
    enum cm_pow2_words pow2_words; /* [array] pow2_words: code or planes */
    enum cm_merge merge;      /* [merge] kind */
    enum cm_mux_variant mux;  /* [merge] mux: the MUX merge's variant */
    int add_stages;           /* [merge] add_stages: add: 1 (RQ+ADD) or 2 (RQ, ADD) stages */
    int res_bits;             /* [merge] res_bits: add: residual stream width */
    int rq_mul_bits;          /* [merge] rq_mul_bits: requantizer multiplier width, 0 = auto
                                 (cm_design_eval resolves it: the bits the network's
                                 requantizer constants need) */
    enum cm_requant requant;  /* [merge] requant: mul or shift */
    int rq_lshift_max;        /* not a key: requant = shift: the largest left shift the
                                 network's constants need (resolved by cm_design_eval; 0
                                 without a .qnn) */
    int rq_rshift_bits;       /* not a key: requant = shift: the right shifter's control
                                 bits, for the largest right shift the constants need
                                 (resolved; 6 without a .qnn or without add streams) */
    int score_mul_bits;       /* not a key: the score unit's multiplier width, resolved
                                 by cm_design_eval (rq_mul_bits if given, else the bits
                                 the score constants need); 0 before */
    double act_kbits;         /* [buffers] act_kbits: each ping-pong bank, 0 = auto */
    double weight_kbits;      /* [buffers] weight_kbits, 0 = auto */
    double skip_kbits;        /* [buffers] skip_kbits, 0 = auto */
};

/* One key of the table: section, name, unit, and the help text. */
struct cm_hw_key {
    const char *section;
    const char *key;
    const char *unit;
    const char *range;
    const char *doc;
};

void cm_hw_defaults(struct cm_hw *hw);
/* Sets one key from its text. Errors: "[section] key: ..." naming what was
 * expected; an unknown section or key is an error too. */
enum cm_status cm_hw_set(struct cm_hw *hw, const char *section, const char *key,
                         const char *value, struct cm_error *err);
/* The whole key table, n entries. */
const struct cm_hw_key *cm_hw_keys(int *n);

const char *cm_merge_name(enum cm_merge m);
const char *cm_pe_kind_name(enum cm_pe_kind k);
const char *cm_mux_variant_name(enum cm_mux_variant v);
const char *cm_requant_name(enum cm_requant r);
/* Bits of one channel's requantizer constants (resolved hw): mul and
 * offset, 2 rq_mul_bits + acc_bits; shift: neg, the two shifts and the
 * acc_bits + rq_lshift_max bit offset. */
int cm_hw_rq_param_bits(const struct cm_hw *hw);
/* The exponents E a shift PE decodes (max_w_bits; 1 for a bitplane PE: its
 * one pair of popcount trees) and the bits of a lane's exponent code above
 * the bit that stands in the magnitude bit's place, ceil(log2(E + 1)) - 1
 * (0 for a bitplane PE): a weight word is 2 + exp_bits bits a lane. */
int cm_hw_exponents(const struct cm_hw *hw);
int cm_hw_exp_bits(const struct cm_hw *hw);

#endif

/* costmodels/latency.h: the analytic cycle count of the reference
 * accelerator (docs/accelerator.md, "What a layer costs in cycles").
 *
 * sim/ must reproduce these numbers exactly by simulating clocked processes;
 * a test holds them equal. Pure functions. */
#ifndef LOGIQ_CM_LATENCY_H
#define LOGIQ_CM_LATENCY_H

#include "costmodels/hw.h"
#include "costmodels/net.h"

/* The loop bounds and cycles of one layer on one design. */
struct cm_cycles {
    long long tiles;       /* T = ceil(out_c / pe_rows) */
    long long positions;   /* P: output positions computed (complete pool windows only) */
    long long chunks;      /* Q = ceil(fan_in / lanes) */
    long long w_passes;    /* B_w: 1 binary, w_mag_bits sign-magnitude, pow2 (q) and offset
                              (B), 1 on the shift path */
    long long a_planes;    /* B_a: input activation bit-planes */
    long long issue;       /* N = T * P * Q * B_w * B_a */
    long long drain;       /* L: 4 plain, 6 on an add stream, 3 + out_c + 2 scores */
    long long merge_extra; /* of the drain, the cycles the add merge's stages add:
                              [merge] add_stages (1 or 2) on an add stream, else 0 */
    long long total;       /* 1 (config) + N + L */
};

/* Stages after FETCH that an output passes through (docs/accelerator.md). */
enum {
    CM_DRAIN_PLAIN = 4,   /* POP, ACC, THR, POOL */
    CM_DRAIN_RES = 6,     /* POP, ACC, RQ, ADD, THR, POOL (add_stages = 2; 1: RQ+ADD, 5) */
    CM_DRAIN_SCORES = 3,  /* POP, ACC, WRITE; then out_c + 2 in the score unit */
    CM_SCORE_STAGES = 3,  /* MUL, ADD, ARGMAX */
};

int cm_layer_fan_in(const struct cm_layer *l);

/* The skip buffer's layout (docs/accelerator.md, "The skip buffer"): base[i]
 * receives the offset, in values, at which layer i writes its output into
 * the skip buffer (0 for a layer that writes none); returns the values the
 * buffer must hold. A source writes at 0; a merging layer that is also a
 * source writes in place of the skip it reads when the shapes are equal
 * (each value is read before it is overwritten), else beside it (at 0 if
 * its tensor fits before the one it reads, else after that one): the pad
 * shortcut's subsampled, widened read would otherwise meet writes of
 * channels it has not read yet, the tiles of channels being the outer
 * loop. */
long long cm_net_skip_layout(const struct cm_net *net, long long *base);
/* Values of layer l's output as the skip buffer holds it: after pooling. */
long long cm_layer_skip_values(const struct cm_layer *l);
/* Positions computed: out_h*out_w, or with pooling k the complete windows'. */
long long cm_layer_positions(const struct cm_layer *l);
/* 1 if the design runs the layer on the shift PE path: a shift PE and
 * power-of-two weights of more than one magnitude plane (binary and ternary
 * layers take one pass on either path, and stay on the bit planes). */
int cm_layer_shift(const struct cm_hw *hw, const struct cm_layer *l);
/* Activation passes of the input (its bit-planes; a signed multi-level
 * input's q magnitude passes, tern 1, pow2:3 3) and weight passes. */
int cm_layer_a_planes(const struct cm_layer *l);
/* q of a signed multi-level input (net.h, in_signed): 2^(in_bits - 1) - 1;
 * 0 for the other inputs. */
int cm_layer_act_q(const struct cm_layer *l);
int cm_layer_w_passes(const struct cm_hw *hw, const struct cm_layer *l);
/* The layer's weight code, a zeroed w_code resolved (net.h). */
int cm_layer_w_code(const struct cm_layer *l);
/* The code a layer's weights have in the weight buffer of design hw: its
 * own, but a pow2 layer on the bit planes of a pow2_words = planes design is
 * held as sign-magnitude planes. */
int cm_layer_store_code(const struct cm_hw *hw, const struct cm_layer *l);
/* The planes of a pow2 exponent code, bits(w_mag_bits). */
int cm_layer_pow2_code_bits(const struct cm_layer *l);

void cm_layer_cycles(const struct cm_hw *hw, const struct cm_layer *l, struct cm_cycles *c);

#endif

/* costmodels/net.h: the network as the cost models see it.
 *
 * Shapes, bit widths, merges and pooling of each layer: what the gate
 * counts, cycles and traffic depend on. cli/ fills it from a .qnn (then the
 * integer constants are known, has_consts = 1, and their ranges are checked
 * against the hardware's widths) or from an architecture string (untrained:
 * has_consts = 0). Numbering and meanings follow nn/qnn.h.
 *
 * Memory: the caller owns layers[]. */
#ifndef LOGIQ_CM_NET_H
#define LOGIQ_CM_NET_H

enum cm_op { CM_OP_CONV = 1, CM_OP_DENSE = 2 };

/* How a layer's weights are stored (nn/qnn.h's enum nn_qnn_wcode, same
 * numbers). 0 (a zeroed cm_layer) reads as BINARY when w_mag_bits is 0 and
 * SIGNMAG otherwise, as before the codes existed. */
enum cm_wcode {
    CM_WCODE_BINARY = 1,   /* 1 plane: the sign */
    CM_WCODE_SIGNMAG = 2,  /* sign + w_mag_bits magnitude planes */
    CM_WCODE_POW2 = 3,     /* sign + bits(w_mag_bits) exponent code planes */
    CM_WCODE_OFFSET = 4,   /* w_mag_bits offset-binary planes, each a binary pass */
};

struct cm_layer {
    int op;                     /* enum cm_op */
    int in_h, in_w, in_c;       /* input (dense: of the flattened map) */
    int out_h, out_w, out_c;    /* output before pooling (dense: 1, 1, out_c) */
    int k, stride, pad;
    int in_bits;                /* activation bit-planes: 8 pixels, 1 bin/sign, B */
    int in_sign;                /* 1: sign activations (+-1) */
    int in_signed;              /* 1: MINW-Net's signed multi-level activations (tern,
                                   pow2:B; nn/qnn.h's TERN and POW2): the threshold count c
                                   in in_bits bits, value 0 or sign(c - q) 2^(|c - q| - 1),
                                   q = 2^(in_bits - 1) - 1 (tern: in_bits 2, q 1); run in q
                                   passes, each decoded by the fetch unit */
    int w_code;                 /* enum cm_wcode (0: by w_mag_bits, see there) */
    int w_mag_bits;             /* 0: binary weights; else the bits of w_max: the weight
                                   passes on the bit-plane PE */
    int w_max;                  /* K: weight codes in [-K, K] */
    int w_pow2;                 /* 1: every weight code is 0 or +-2^e (a shift PE
                                   runs the layer in one weight pass) */
    int scores;                 /* 1: the last layer (class scores) */
    int out_bits;               /* output code bits (0 for scores) */
    int out_sign;               /* 1: sign output */
    int out_signed;             /* 1: a signed multi-level output (as in_signed): 2q =
                                   2^out_bits - 2 thresholds */
    int merge;                  /* enum cm_merge (NONE, ADD, OR, MUX) */
    int mux_variant;            /* MUX: enum cm_mux_variant (OR, SEL) */
    int res;                    /* 1: on an add stream */
    int res_bits;               /* its width */
    int pool;                   /* pooling size, 0 = none */
    /* The wiring (nn/qnn.h; a zeroed layer is the chain's): */
    int skip;                   /* merge: the layer (from 1) whose output is the skip; 0: the
                                   previous layer's (the layer's own input) */
    int skip_stride;            /* merge: the skip is read at (s y, s x), channels past the
                                   source's read as 0 (the pad shortcut); 0 or 1: in place */
    int side;                   /* 1: a projection shortcut: the output goes to the skip
                                   buffer only, not to an activation bank */
    /* The largest |constant| of each kind, if has_consts: thresholds,
     * requantizer / score multipliers and offsets. */
    long long max_abs_thr, max_abs_mul, max_abs_add;
    /* On an add stream, if has_consts: the requantizer's shift form
     * (nn/qnn.h, nn_qnn_rq_shift_form): the first channel whose multiplier is
     * not +-2^e (-1: none) and that multiplier; over the others, the largest
     * left and right shifts and |offset|. */
    int rq_not_pow2_ch;
    long long rq_not_pow2_mul;
    int rq_lshift, rq_rshift;
    long long rq_max_abs_off;
};

struct cm_net {
    int n_layers;
    struct cm_layer *layers;
    int in_h, in_w, in_c, n_class;
    int has_consts;
};

/* The index (from 0) of the layer whose output merging layer i reads as its
 * skip. */
static inline int cm_net_skip_of(const struct cm_net *net, int i)
{
    return net->layers[i].skip > 0 ? net->layers[i].skip - 1 : i - 1;
}

/* 1 if layer i's output is written to the skip buffer (a later layer merges it). */
static inline int cm_net_writes_skip(const struct cm_net *net, int i)
{
    for (int j = i + 1; j < net->n_layers; j++)
        if (net->layers[j].merge != 0 && cm_net_skip_of(net, j) == i)
            return 1;
    return 0;
}

#endif

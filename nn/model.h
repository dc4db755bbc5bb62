/* nn/model.h: a quantized network for training: architecture, parameters,
 * forward and backward over a batch.
 *
 * A network is a sequence of layers as the reference accelerator runs them:
 * each layer is one conv or dense operation followed, for a hidden layer, by
 * batch norm, the activation quantizer, an optional residual merge (add, OR,
 * MUX) with the input of the block it closes (its own input, or an earlier
 * layer's output, through a pad or projection shortcut) and an optional max
 * pooling. The last layer is
 * dense with a bias and gives the class scores. This is deliberately the unit
 * of the hardware (PE array -> threshold unit -> merge unit -> pooling), so a
 * layer here is a layer of the .qnn, of the cost model and of the simulator.
 * With pool_order PAPER a pooling layer without a merge trains in the AQE
 * paper's order instead (conv -> pool -> batch norm -> activation), which
 * the export folds into the same hardware unit (nn/export.c).
 *
 * Architecture strings (shared by the CLI and sweep specs):
 *
 *     arch    := preset | layer ("," layer)*
 *     layer   := "c" C ["k" K] ["s" S] [merge] [opts]     conv K x K (default 3), stride S
 *                                                         (default 1), zero padding K/2
 *              | "f" N [merge] [opts]                     dense
 *              | "p" [N]                                  max pool N x N (default 2) after
 *                                                         the previous layer
 *     merge   := "+" ("add" | "or" | "mux") [N] ["/pad" | "/proj"]
 *                                                         merge with the input of the block
 *                                                         of the last N layers (default 1);
 *                                                         the shortcut where shapes change
 *     opts    := "{" key "=" value (";" key "=" value)* "}"   keys: w (weight quantizer),
 *                                                         a (activation quantizer)
 *
 * The last layer must be dense; its width is the number of classes and is
 * not scaled by the width multiplier. Presets (28x28 inputs in mind):
 *
 *     mlp        f256,f256,f10
 *     refcnn     c32,c32,p,c64,c64,p,c128,p,f10
 *     vgg11      c32,c32,c32,p,c64,c64,c64,p,c128,c128,c128,p,f256,f256,f10
 *                (11 hidden layers: 9 conv + 2 dense)
 *     res11-add  vgg11 with the 2nd and 3rd conv of each stage and the 2nd
 *     res11-or   dense layer merged with their input by add / OR / MUX
 *     res11-mux
 *     resnet20-add  ResNet-20 for 28x28: a c16 stem, three stages of three basic
 *     resnet20-or   blocks (+X2) at 16/32/64 channels, strided ones with the pad
 *     resnet20-mux  shortcut, f10 over the 7x7x64 map (docs/architectures.md)
 *
 * Memory: nn_model_init computes every size first, then allocates the
 * parameters, their gradients and optimizer moments, and every activation
 * buffer for max_batch images, once. Forward and backward never allocate.
 * nn_model_free releases everything. */
#ifndef LOGIQ_NN_MODEL_H
#define LOGIQ_NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/isa.h"
#include "nn/layers.h"
#include "nn/qnn.h"
#include "nn/quant.h"
#include "nn/status.h"

#define NN_MAX_LAYERS 64
#define NN_ARCH_MAX 1024
#define NN_BN_EPS 1e-5f       /* batch norm's epsilon, in training and in the export's folding */

enum nn_layer_op { NN_OP_CONV, NN_OP_DENSE };

/* AQE's form (docs/definitions.md, "AQE"): the paper's (papers.md 2a:
 * h(w) unscaled, its largest level 1; weights clipped to [-1, 1] after each
 * update; the blend alpha h(a) + (1 - alpha) a on the HardTanh output
 * a = clip(y, lo, 1)), or logiq's earlier one (h(w) at the quantizer's fitted
 * scale, no clipping, the blend on the batch norm's output y). */
enum nn_aqe_form { NN_AQE_PAPER = 0, NN_AQE_SCALED = 1 };

/* The order of a hidden layer that pools (docs/definitions.md, "AQE"): HW
 * (the default) conv -> batch norm -> activation -> [merge] -> max pool, the
 * order the accelerator runs; PAPER (the AQE paper's) conv -> max pool ->
 * batch norm -> activation: the pooling on the pre-activation z, batch norm
 * with the pooled map's statistics, the activation at the pooled size. PAPER
 * applies to the pooling layers without a merge (those with one keep HW)
 * and needs the odd-symmetric activations (sign, tern, pow2:B) there, whose
 * min pooling the export turns into a max pooling (nn/export.c). */
enum nn_pool_order { NN_POOL_HW = 0, NN_POOL_PAPER = 1 };

/* A merge's shortcut where the block changes the shape (docs/architectures.md):
 * none (the skip's shape must equal the output's), PAD (parameter-free:
 * subsample by the block's stride, zero-pad the channels) or PROJ (a
 * quantized 1x1 convolution on the skip path, an inserted side layer). */
enum nn_shortcut { NN_SC_NONE = 0, NN_SC_PAD = 1, NN_SC_PROJ = 2 };

/* One layer as parsed from the architecture string. nn_arch_parse inserts a
 * side layer (side = 1) before the first layer of every block with a PROJ
 * shortcut and resolves the wiring: src and skip are layer indices in the
 * parsed list (-1: the image, or no skip). */
struct nn_layer_spec {
    enum nn_layer_op op;
    int out_c;                 /* output channels (dense: units) */
    int k, stride, pad;        /* conv only */
    int pool;                  /* max pool size after the layer, 0 = none */
    enum nn_qnn_merge merge;
    int span;                  /* merge: the block's layers, ending with this one (1: the
                                  skip is the layer's own input) */
    enum nn_shortcut shortcut; /* merge: how the skip reaches the block's output shape */
    int skip_stride;           /* merge: the block's total stride (PAD and PROJ subsample by it) */
    int side;                  /* 1: a projection shortcut, whose output is only a skip */
    int src;                   /* the input: -1 the image, else a layer index */
    int skip;                  /* merge: the layer whose output is the skip; -1 otherwise */
    char wq[32], aq[32];       /* per-layer quantizer overrides; "" = the defaults */
};

struct nn_arch {
    int n_layers;
    struct nn_layer_spec layers[NN_MAX_LAYERS];
};

/* Parses an architecture string or preset name; width scales the hidden
 * layers' channel counts (rounded, at least 1). Errors name the token. */
enum nn_status nn_arch_parse(struct nn_arch *arch, const char *text, float width,
                             struct nn_error *err);
/* The preset's architecture string, or NULL if name is not a preset. */
const char *nn_arch_preset(const char *name);
/* The architecture string of arch, which nn_arch_parse reads back to the
 * same layers (c32k5s2+or{w=heq:3;a=2},p,...: kernel 3 and stride 1 left
 * out, pooling p for 2 and pN otherwise). Returns -1 if buf is too small. */
int nn_arch_format(const struct nn_arch *arch, char *buf, size_t size);
/* text (a string or preset) with layer `layer`'s (1-based, pooling not
 * counted) weight quantizer w, activation a and merge ("add", "or", "mux",
 * "none") replaced by those not NULL; w or a "" drops the override (the
 * network's default applies). NN_ERR_ARG naming the layer when text does
 * not parse, the layer does not exist or merge is unknown. */
enum nn_status nn_arch_override(const char *text, int layer, const char *w, const char *a,
                                const char *merge, char *buf, size_t size,
                                struct nn_error *err);

/* Everything that shapes a model besides its architecture. */
/* The scale of an add-stream layer (docs/accelerator.md, "The shift
 * requantizer"): free, or rounded to a power of two in training and export. */
enum nn_res_scale { NN_RES_SCALE_FREE = 0, NN_RES_SCALE_POW2 = 1 };

struct nn_model_config {
    int in_h, in_w, in_c, n_class;
    char wq[32];               /* default weight quantizer of every layer */
    char wq_first[32];         /* overrides for the first / last layer ("" = wq) */
    char wq_last[32];
    char aq[32];               /* default activation quantizer of hidden layers */
    enum nn_mux_variant mux;   /* MUX merge variant */
    int mux_learn;             /* 1: learn the per-channel select bits; 0: keep them on */
    float mux_init;            /* initial select logit p (select = p >= 0); small, so
                                * that training can turn a select off */
    int res_bits, res_frac;    /* the add-residual stream's fixed point */
    enum nn_res_scale res_scale; /* FREE, or POW2: each add-stream layer's scale from
                                  * its accumulator to the stream (batch norm folded)
                                  * is a power of two, so its requantizer is a shift */
    float heq_rate;            /* HEQ step-size EMA rate */
    float aqe_alpha;           /* AQE blend factor in (0, 1] for weights and activations;
                                * 0: off (the straight-through estimators) */
    int aqe_stochastic;        /* 1: AQE's stochastic sign for sign activations in
                                * training, sign(x - z), z ~ U[-1, 1] (paper Eq. 7) */
    int aqe_ramp;              /* 1: alpha rises linearly from aqe_alpha to 1 over
                                * training (logiq's extension; the paper keeps it fixed) */
    enum nn_aqe_form aqe_form; /* PAPER (default): h(w) at unit scale, weights clipped to
                                * [-1, 1] after each update, the activations' blend on
                                * the HardTanh output; SCALED: logiq's earlier form */
    enum nn_pool_order pool_order; /* HW (default) or the AQE paper's PAPER */
    enum nn_ste wq_ste;        /* weight quantizers' straight-through estimator */
    int max_batch;
    uint64_t seed;             /* parameter initialization */
    double max_mem_gib;        /* a model needing more memory (parameters, their
                                * gradients and optimizer moments, activations at
                                * max_batch) is refused before any allocation */
};

/* The default of nn_model_config.max_mem_gib (logiq's --max-memory). */
#define NN_MODEL_MAX_MEM_GIB 16.0

/* Runtime state of one layer: shapes, quantizers, and named pointers into
 * the model's parameter, gradient and activation arenas. */
struct nn_layer {
    struct nn_layer_spec spec;
    int in_h, in_w, in_c;      /* input shape (dense: of the flattened map) */
    int out_h, out_w, out_c;   /* before pooling */
    int ph, pw;                /* after pooling */
    int fan_in;
    int hidden;                /* 1 for every layer but the last */
    int res;                   /* 1 if on an add-residual stream (keeps u) */
    int skip_gather;           /* 1: the merge's skip has another shape (PAD shortcut) */
    int dout_first, du_first;  /* the layer that writes the first term of dout (du) in
                                * backward: its last consumer; -1: none */
    int pool_first;            /* 1: pool_order PAPER on this pooling layer without a merge:
                                * z -> pool -> zp -> batch norm -> y -> activation -> a = out,
                                * all after z at the pooled size ph x pw */
    struct nn_wq wq;
    struct nn_aq aq;
    /* parameters (and the same offsets in grads) */
    float *w;                  /* [out_c][fan_in] real-valued proxy weights */
    float *gamma, *beta;       /* [out_c] batch norm (hidden layers) */
    float *bias;               /* [out_c] last layer */
    float *mux_p;              /* [out_c] MUX select logits: select = p >= 0 */
    float *dw, *dgamma, *dbeta, *dbias, *dmux_p;
    /* state that is not trained by gradient */
    float *run_mean, *run_var; /* [out_c] */
    /* activations for max_batch images */
    float *wq_val;             /* [out_c][fan_in] fake-quantized weights */
    float *dwq;                /* [out_c][fan_in] */
    float *col;                /* im2col [n*out_h*out_w][fan_in] (conv) */
    float *z;                  /* conv/dense output [n][out_h][out_w][out_c] */
    float *zp, *dzp;           /* pool_first: z max-pooled [n][ph][pw][out_c]; else NULL */
    float *y;                  /* batch norm output */
    float *bn_mean, *bn_rstd;  /* [out_c] batch statistics */
    float *yq, *u;             /* res layers: fixed-point y and the stream u */
    float *rs_r;               /* [out_c] res layers with res_scale POW2: the factor
                                  that rounds batch norm's scale to a power of two */
    float *a;                  /* activation (quantized) */
    float *m;                  /* after merge */
    float *out;                /* after pooling = the next layer's input (or logits) */
    int *argmax;               /* pooling */
    float *sel;                /* [out_c] MUX selects as 0.0/1.0 */
    uint64_t *wbits;           /* binary or ternary conv over inputs in {-1, 0, +1} (see
                                * nn_model_forward): the packed weight signs, then the
                                * non-zero mask [2][nn_xnor_weight_words]; else NULL */
    float *wcode;              /* [out_c][fan_in] its codes for the float reference */
    int wino;                  /* 2 or 4: a 3x3 stride-1 pad-1 conv whose backward runs by
                                * Winograd F(wino x wino, 3x3) (nn/winograd.c), col holding
                                * its V; its forward too unless it is a popcount conv
                                * (wbits). 0: im2col */
    float *skipv, *dskipv;     /* skip_gather: the skip at the output's shape, its gradient */
    float *dz, *dy, *du, *da, *dm, *dout;
};

struct nn_model {
    struct nn_model_config cfg;
    struct nn_arch arch;
    char arch_text[NN_ARCH_MAX];
    int n_layers;
    struct nn_layer layers[NN_MAX_LAYERS];
    size_t n_params;
    float *params, *grads;     /* arenas of n_params floats */
    float *opt_m, *opt_v;      /* optimizer moments, n_params each */
    unsigned char *decay;      /* [n_params] 1 where weight decay applies */
    float *probs;              /* [max_batch][n_class] */
    float *dcol;               /* backward's im2col gradient, shared by the layers */
    float *arena;              /* activations */
    size_t arena_n;
    int *iarena;               /* pooling argmax indices */
    int batch_n;               /* images in the last forward */
    float aqe_now;             /* AQE's alpha at this step (nn_train sets it) */
    uint64_t noise_key;        /* the stochastic sign's draws at this step (nn_train sets it) */
    const float *input;        /* the last forward's input batch (borrowed) */
    enum nn_isa isa;           /* the kernels' instruction-set path (nn/isa.h): LOGIQ_ISA
                                * at nn_model_init, else the CPU's best */
    int wino_tile;             /* the 3x3 convs' Winograd tile, 4 or 2, or 0 for im2col:
                                * LOGIQ_WINOGRAD at nn_model_init, else 4 */
};

/* Defaults: 28x28x1, 10 classes, heq:3, 1-bit activations, MUX-OR with
 * learned selects, res 8 bits with 4 fractional, heq_rate 0.05, batch 128. */
void nn_model_config_default(struct nn_model_config *cfg);

enum nn_status nn_model_init(struct nn_model *m, const struct nn_arch *arch,
                             const char *arch_text, const struct nn_model_config *cfg,
                             struct nn_error *err);
void nn_model_free(struct nn_model *m);

enum nn_mode { NN_TRAIN, NN_EVAL };

/* Refits every weight quantizer (HEQ: one EMA step; init = 1 at the start).
 * Under AQE's paper form the binary, TWN and pow2 layers keep unit scale
 * (their largest level is 1). */
void nn_model_fit_quant(struct nn_model *m, int init);
/* AQE's paper form: clips every quantized layer's real weights to [-1, 1]
 * (after each optimizer step); nothing otherwise. */
void nn_model_aqe_clip(struct nn_model *m);
/* Forward of n <= max_batch images x [n][in_h][in_w][in_c]. Returns the
 * logits [n][n_class] (inside the model). Train mode uses and updates the
 * batch statistics.
 *
 * A conv layer with binary weights (bin) whose input is a sign activation
 * (the previous layer's aq sign, and no AQE blend on either in this step)
 * computes the exact integer product and scales it once (nn/xnor.h): by
 * XNOR and popcount on the AVX-512 and AVX2 paths (m->isa), else, or with
 * LOGIQ_XNOR=off in the environment, by an SGEMM over the codes +-1. All
 * give the same bits (LOGIQ_XNOR=portable forces the portable XNOR path),
 * which differ in the last bits from an SGEMM over the scaled weights. */
/* The input of layer i's batch norm in the last forward ([rows][out_c]) and
 * its rows per image: z at out_h x out_w, or (pool_first) zp at ph x pw. */
const float *nn_model_bn_input(const struct nn_model *m, int i, size_t *rows_per_image);
/* The value of one input integer of layer i: 1/255 for pixels, else the
 * previous activation quantizer's value scale. */
double nn_model_in_scale(const struct nn_model *m, int i);
/* s rounded to the nearest power of two (in log2) in units of 2^-frac_bits,
 * sign kept: the scale of a res_scale POW2 layer (0 stays 0). */
double nn_res_scale_pow2(double s, int frac_bits);
const float *nn_model_forward(struct nn_model *m, const float *x, int n, enum nn_mode mode);
/* Loss and gradients of the last forward (train mode) against labels y:
 * zeroes the gradients, then back-propagates. Returns the mean loss. */
float nn_model_backward(struct nn_model *m, const int *y);

/* The model as the hardware's integers (see nn/qnn.h). Every layer must be
 * exportable: quantized weights, heaviside/sign/uniform activations, input
 * normalization by 1/255. Errors name the layer and what is not exportable. */
enum nn_status nn_model_export(const struct nn_model *m, struct nn_qnn *q,
                               struct nn_error *err);

#endif

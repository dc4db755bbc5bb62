/* nn/sinareq_train.h: SINAREQ wired into training (papers.md 4): a learnable
 * real bit width beta_l per hidden layer on top of its DoReFa or WRPN weight
 * quantizer, the sinusoidal regularizer R (nn/sinareq.h) and the bit-width
 * cost added to the loss, and the optimizer step of beta.
 *
 *     struct nn_sinareq_opts so;
 *     nn_sinareq_opts_default(&so);
 *     struct nn_sinareq sq;
 *     nn_sinareq_init(&sq, &model, &so, &err);   // beta_l = B of --wq dorefa:B / wrpn:B
 *     o.sinareq = &sq;                            // nn_train drives it
 *     nn_train(&model, ...);
 *     nn_sinareq_bits_of(&sq, l);                 // ceil(beta_l), the exported width
 *     nn_sinareq_free(&sq);
 *
 * The loss of one step is
 *
 *     CE + lambda_q(t) sum_l R(x_l; beta_l) + lambda_b(t) sum_l beta_l
 *
 * over the SINAREQ layers l (layers whose weights are dorefa:B or wrpn:B;
 * by default, in the protocol of issue 17, every such layer but the first:
 * the first is exempt, kept at full precision in that protocol and at the
 * host's widest integer width by logiq's CLI (nn_sinareq_first_spec), and
 * the last learns its width; opts.first / opts.last change both; see
 * docs/definitions.md). R's minima must be the
 * host quantizer's levels, so R is taken in the quantizer's own domain and
 * beta_l counts the bits of the --wq spec:
 *   dorefa:B  x = tanh(w) / (2M) + 1/2 in [0, 1] (M = max|tanh w| of the
 *             scale group), R(x; beta) with minima x = k / (2^beta - 1),
 *             exactly DoReFa's levels for beta = B; dx/dw = (1 - tanh^2 w)
 *             / (2M), M held constant as in DoReFa's estimator;
 *   wrpn:B    x = clip(w, -1, 1), R(x; beta - 1) with minima
 *             x = k / (2^(beta-1) - 1), WRPN's levels (sign + beta - 1
 *             magnitude bits); dx/dw = 1{|w| <= 1}.
 *
 * logiq's choices (the paper leaves them open, papers.md 4a):
 *   forward   each training step quantizes layer l at ceil(beta_l) bits
 *             (quantization-aware training at the width that is exported),
 *             so the float evaluation, the export and the integer model all
 *             use the same widths;
 *   beta      initialised to B and clamped to [beta_min, B]: B is the
 *             budget the user gives, as the code's initial 8.0 is, and
 *             SINAREQ learns where fewer bits suffice. With ceil rounding
 *             any rise above B would cost a whole bit at once;
 *   optimizer Adam (beta1 0.9, beta2 0.999, eps 1e-8) with its own moments
 *             and its own learning rate beta_lr, scaled by the weights'
 *             schedule (lr_t / lr), so beta settles as the weights do;
 *   rounding  the final integer width is ceil(beta_l) (nn_sinareq_bits).
 *
 * Memory: nn_sinareq_init allocates two scratch buffers of the largest
 * SINAREQ layer's weight count; nn_sinareq_free releases them. */
#ifndef LOGIQ_NN_SINAREQ_TRAIN_H
#define LOGIQ_NN_SINAREQ_TRAIN_H

#include <stdio.h>

#include "nn/model.h"
#include "nn/status.h"

enum nn_sinareq_lq_sched {
    NN_SINAREQ_LQ_RAMP,   /* lambda_q = lq nn_sinareq_lambda_q(t): ~0, then lq after 20% */
    NN_SINAREQ_LQ_CONST,  /* lambda_q = lq throughout */
};

enum nn_sinareq_lb_sched {
    NN_SINAREQ_LB_PHASED, /* lambda_b = lb nn_sinareq_lambda_beta(t): lb from 20% to 50% */
    NN_SINAREQ_LB_CONST,  /* lambda_b = lb throughout (the code's constant lambda_f) */
};

/* The first layer (the one that sees the pixels). */
enum nn_sinareq_first {
    NN_SINAREQ_FIRST_EXEMPT, /* not regularized, its width not learned (the default) */
    NN_SINAREQ_FIRST_LEARN,  /* a SINAREQ layer like the others */
};

/* The last layer (the class scores). */
enum nn_sinareq_last {
    NN_SINAREQ_LAST_LEARN,   /* a SINAREQ layer like the others (the default) */
    NN_SINAREQ_LAST_FIXED,   /* keeps its quantizer's fixed width, not regularized */
};

struct nn_sinareq_opts {
    float lq;             /* strength of the sin^2 term (the code's cost factor c) */
    float lb;             /* strength of the bit-width cost term (the code's lambda_f) */
    enum nn_sinareq_lq_sched lq_sched;
    enum nn_sinareq_lb_sched lb_sched;
    float beta_lr;        /* Adam learning rate of beta */
    float beta_min;       /* lower clamp of beta (at least the host's minimum, 2) */
    enum nn_sinareq_first first;
    enum nn_sinareq_last last;
};

struct nn_sinareq {
    struct nn_sinareq_opts o;
    int n_layers;
    int on[NN_MAX_LAYERS];       /* 1: layer l has a learned bit width */
    int bits_max[NN_MAX_LAYERS]; /* B of its --wq spec: beta's initial value and upper clamp */
    double beta[NN_MAX_LAYERS];
    double dbeta[NN_MAX_LAYERS]; /* gradient of the last step */
    double reg[NN_MAX_LAYERS];   /* R(x_l; beta_l) of the last step (without lambda_q) */
    double adam_m[NN_MAX_LAYERS], adam_v[NN_MAX_LAYERS];
    long t;                      /* Adam steps taken */
    double lambda_q, lambda_b;   /* strengths of the last step */
    float *x, *dx;               /* scratch: a layer's weights in R's domain, and dR/dx */
};

/* lq 1, lb 0.03 (the code's lambda_f), ramp and phased schedules, beta_lr
 * 0.01, beta_min 2, the first layer exempt and the last layer learned. */
void nn_sinareq_opts_default(struct nn_sinareq_opts *o);
/* Parses "ramp"/"const" and "phased"/"const". */
enum nn_status nn_sinareq_lq_sched_parse(enum nn_sinareq_lq_sched *s, const char *text,
                                         struct nn_error *err);
enum nn_status nn_sinareq_lb_sched_parse(enum nn_sinareq_lb_sched *s, const char *text,
                                         struct nn_error *err);
/* Parses "exempt"/"learn" and "learn"/"fixed". */
enum nn_status nn_sinareq_first_parse(enum nn_sinareq_first *f, const char *text,
                                      struct nn_error *err);
enum nn_status nn_sinareq_last_parse(enum nn_sinareq_last *l, const char *text,
                                     struct nn_error *err);
const char *nn_sinareq_first_name(enum nn_sinareq_first f);
const char *nn_sinareq_last_name(enum nn_sinareq_last l);
/* The quantizer spec of an exempt first layer whose weights would otherwise
 * be wq: wq's kind at its widest width (dorefa:7, wrpn:8: the widest the
 * .qnn's 8-bit weight codes hold), the scale mode kept ("dorefa:7/ch").
 * Writes "" (and succeeds) when wq is not dorefa or wrpn. */
enum nn_status nn_sinareq_first_spec(const char *wq, char *buf, size_t size,
                                     struct nn_error *err);

/* Attaches SINAREQ to m's dorefa/wrpn layers: beta_l = B. Which layers:
 * the hidden ones but the first unless o->first is LEARN, and the last
 * unless o->last is FIXED. Fails when no such layer has such weights, or on
 * a bad option. */
enum nn_status nn_sinareq_init(struct nn_sinareq *s, const struct nn_model *m,
                               const struct nn_sinareq_opts *o, struct nn_error *err);
void nn_sinareq_free(struct nn_sinareq *s);

/* The integer width of layer l: ceil(beta_l) (0 when l is not a SINAREQ layer). */
int nn_sinareq_bits_of(const struct nn_sinareq *s, int l);
/* Sets every SINAREQ layer's quantizer to ceil(beta_l) bits (before the
 * quantizers' fit and the forward). */
void nn_sinareq_apply_bits(const struct nn_sinareq *s, struct nn_model *m);
/* The strengths at training progress epoch (fractional, 0-based) of epochs. */
void nn_sinareq_strengths(struct nn_sinareq *s, double epoch, double epochs);
/* After the model's backward: adds lambda_q dR/dw to every SINAREQ layer's
 * weight gradient and sets dbeta_l = lambda_q dR/dbeta_l + lambda_b. The
 * quantizers must have been fitted (DoReFa's M). Returns lambda_q sum R. */
double nn_sinareq_backward(struct nn_sinareq *s, struct nn_model *m, double epoch,
                           double epochs);
/* One Adam step of every beta with learning rate beta_lr * lr_scale, then
 * the clamp to [beta_min, B]. */
void nn_sinareq_step(struct nn_sinareq *s, float lr_scale);
/* The regularizer and cost terms at the current weights and betas with the
 * last step's strengths: *reg = lambda_q sum R, *cost = lambda_b sum beta. */
void nn_sinareq_terms(struct nn_sinareq *s, const struct nn_model *m, double *reg,
                      double *cost);
/* The training log's columns (docs/training-log.md): the header's and one
 * row's, each starting with a comma. */
void nn_sinareq_log_header(const struct nn_sinareq *s, FILE *f);
void nn_sinareq_log_row(struct nn_sinareq *s, const struct nn_model *m, FILE *f);

/* The learned state (every beta and its Adam moments, the step count) as
 * "state_sinareq_*=...\n" lines appended to buf (logiq train --checkpoint):
 * returns the length written, or -1 if it does not fit; doubles with 17
 * digits, which read back to the same bits. nn_sinareq_state_parse reads
 * them back from a checkpoint's metadata into s (attached to the same
 * model); an error names the key. */
int nn_sinareq_state_text(const struct nn_sinareq *s, char *buf, size_t size);
enum nn_status nn_sinareq_state_parse(struct nn_sinareq *s, const char *meta,
                                      struct nn_error *err);

#endif

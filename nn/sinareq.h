/* nn/sinareq.h: SINAREQ's sinusoidal regularizer with a learnable bit width
 * (papers.md 4a, the official TensorFlow code's R1 variant [C]) and its
 * strength schedules. Per layer, over its n weights w and its real bit width
 * beta (m = 2^beta - 1):
 *
 *     R(w; beta) = mean_j sin^2(pi w_j m) / 2^beta
 *
 * minimal on the levels w = k / m (WRPN's with beta magnitude bits); the
 * 1/2^beta keeps a larger beta from lowering R for free. The loss adds
 * lambda_q c R per layer and lambda_f beta per layer (which pushes beta
 * down). The final integer bit width is ceil(beta) (papers.md 4a: the
 * rounding is [NF]; logiq takes the digest's ceil).
 *
 * Schedules over training progress t/T in [0, 1] (T = total epochs):
 *   lambda_q(t) = 1/2 (1 + tanh((t - 0.2 T) / s)), s = 20 epochs in the
 *                 code; logiq takes s = T / 100 as for lambda_beta
 *   lambda_beta(t) = 1/2 [tanh((t - 0.2 T)/tau) - tanh((t - 0.5 T)/tau)],
 *                 tau = T / 100 (the three-phase default). As written this
 *                 formula's plateau is 1; the digest's description of the
 *                 authors' figure says 0.5. logiq keeps the formula; the
 *                 plateau is a strength factor the caller can scale.
 *
 * Training with it (learned beta per layer, the forward at ceil(beta)):
 * nn/sinareq_train.h. */
#ifndef LOGIQ_NN_SINAREQ_H
#define LOGIQ_NN_SINAREQ_H

#include <stddef.h>

/* R(w; beta); with dw (n, may be NULL) and dbeta (may be NULL), adds
 * scale * dR/dw_j into dw[j] and writes scale * dR/dbeta into *dbeta. */
double nn_sinareq_reg(const float *w, size_t n, double beta, double scale, float *dw,
                      double *dbeta);
/* The integer bit width of a learned beta: ceil(beta), at least 1. */
int nn_sinareq_bits(double beta);
double nn_sinareq_lambda_q(double epoch, double epochs);
double nn_sinareq_lambda_beta(double epoch, double epochs);

#endif

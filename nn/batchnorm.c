/* nn/batchnorm.c: batch normalization of rows = n*h*w positions of c channels
 * (NHWC, so channels are the fast axis of in [rows][c]).
 *
 *   train: mean, var = batch statistics per channel (var biased),
 *          rstd = 1 / sqrt(var + eps), out = (in - mean) * rstd * gamma + beta;
 *          saves mean [c] and rstd [c] for backward and updates
 *          running = (1 - momentum) * running + momentum * batch, with the
 *          unbiased variance var * rows / (rows - 1) for running_var.
 *   eval:  the same with running_mean and running_var.
 *   backward, with xhat = (in - mean) * rstd:
 *          dbeta += sum dout,  dgamma += sum dout * xhat,
 *          din   += gamma * rstd / rows * (rows * dout - sum dout - xhat * sum dout * xhat)
 *          (nn_bn_backward_set: din = the same, for a din with no other term).
 * running_mean / running_var, dgamma / dbeta and din may each be NULL (skipped).
 *
 * Per-channel sums are taken in double over BN_BLOCKS fixed row blocks, then
 * added in block order: the blocks are fixed by rows alone, so the result is
 * the same for any thread count. Sums of (x - shift) with shift = the first
 * row keep the variance accurate when |mean| >> std. Channels are processed
 * BN_CHUNK at a time so the partial sums live on the stack (nothing
 * allocates).
 *
 * Not here: the folding of batch norm into thresholds for inference (nn/infer). */
#include "nn/layers.h"

#include <assert.h>
#include <math.h>

enum {
    BN_BLOCKS = 16, /* row blocks of the partial sums */
    BN_CHUNK = 128, /* channels per pass: 2 x 16 x 128 doubles = 32 KiB of stack */
};

static int block_lo(int rows, int b)
{
    return (int)((long long)rows * b / BN_BLOCKS);
}

/* Per-channel sums over all rows of s = x - shift and s^2, for channels
 * [c0, c0 + cc) of in [rows][c]. */
static void shifted_sums(double *sum, double *sumsq, const float *in, const float *shift,
                         int rows, int c, int c0, int cc)
{
    double part_s[BN_BLOCKS][BN_CHUNK];
    double part_q[BN_BLOCKS][BN_CHUNK];
#pragma omp parallel for schedule(static)
    for (int b = 0; b < BN_BLOCKS; b++) {
        double s[BN_CHUNK] = {0}, q[BN_CHUNK] = {0};
        const int hi = block_lo(rows, b + 1);
        for (int r = block_lo(rows, b); r < hi; r++) {
            const float *x = in + (size_t)r * c + c0;
            for (int j = 0; j < cc; j++) {
                const double d = (double)x[j] - shift[j];
                s[j] += d;
                q[j] += d * d;
            }
        }
        for (int j = 0; j < cc; j++) {
            part_s[b][j] = s[j];
            part_q[b][j] = q[j];
        }
    }
    for (int j = 0; j < cc; j++) {
        double s = 0.0, q = 0.0;
        for (int b = 0; b < BN_BLOCKS; b++) {
            s += part_s[b][j];
            q += part_q[b][j];
        }
        sum[j] = s;
        sumsq[j] = q;
    }
}

/* out = in * scale + shift on channels [c0, c0 + cc). */
static void affine(float *out, const float *in, const float *scale, const float *shift,
                   int rows, int c, int c0, int cc)
{
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *restrict x = in + (size_t)r * c + c0;
        float *restrict y = out + (size_t)r * c + c0;
        for (int j = 0; j < cc; j++)
            y[j] = x[j] * scale[j] + shift[j];
    }
}

void nn_bn_forward_train(float *out, float *mean, float *rstd,
                         float *running_mean, float *running_var,
                         const float *in, const float *gamma, const float *beta,
                         int rows, int c, float momentum, float eps)
{
    assert(rows >= 1 && c >= 1);
    const double unbias = rows > 1 ? (double)rows / (rows - 1) : 1.0;
    for (int c0 = 0; c0 < c; c0 += BN_CHUNK) {
        const int cc = c - c0 < BN_CHUNK ? c - c0 : BN_CHUNK;
        float shift[BN_CHUNK], scale[BN_CHUNK], offset[BN_CHUNK];
        double sum[BN_CHUNK], sumsq[BN_CHUNK];
        for (int j = 0; j < cc; j++)
            shift[j] = in[c0 + j];
        shifted_sums(sum, sumsq, in, shift, rows, c, c0, cc);
        for (int j = 0; j < cc; j++) {
            const double dm = sum[j] / rows;
            double var = sumsq[j] / rows - dm * dm;
            if (var < 0.0)
                var = 0.0;
            const double mu = shift[j] + dm;
            const double rs = 1.0 / sqrt(var + eps);
            mean[c0 + j] = (float)mu;
            rstd[c0 + j] = (float)rs;
            scale[j] = (float)(gamma[c0 + j] * rs);
            offset[j] = (float)(beta[c0 + j] - mu * gamma[c0 + j] * rs);
            if (running_mean != NULL)
                running_mean[c0 + j] = (float)((1.0 - momentum) * running_mean[c0 + j]
                                               + (double)momentum * mu);
            if (running_var != NULL)
                running_var[c0 + j] = (float)((1.0 - momentum) * running_var[c0 + j]
                                              + (double)momentum * var * unbias);
        }
        affine(out, in, scale, offset, rows, c, c0, cc);
    }
}

void nn_bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                        const float *running_mean, const float *running_var,
                        int rows, int c, float eps)
{
    assert(rows >= 1 && c >= 1);
    for (int c0 = 0; c0 < c; c0 += BN_CHUNK) {
        const int cc = c - c0 < BN_CHUNK ? c - c0 : BN_CHUNK;
        float scale[BN_CHUNK], offset[BN_CHUNK];
        for (int j = 0; j < cc; j++) {
            const double rs = 1.0 / sqrt((double)running_var[c0 + j] + eps);
            scale[j] = (float)(gamma[c0 + j] * rs);
            offset[j] = (float)(beta[c0 + j] - running_mean[c0 + j] * (gamma[c0 + j] * rs));
        }
        affine(out, in, scale, offset, rows, c, c0, cc);
    }
}

/* Per-channel sum of dout and of dout * xhat over all rows, channels
 * [c0, c0 + cc), same fixed blocks as shifted_sums. */
static void grad_sums(double *sum_d, double *sum_dx, const float *dout, const float *in,
                      const float *mean, const float *rstd, int rows, int c, int c0, int cc)
{
    double part_d[BN_BLOCKS][BN_CHUNK];
    double part_dx[BN_BLOCKS][BN_CHUNK];
#pragma omp parallel for schedule(static)
    for (int b = 0; b < BN_BLOCKS; b++) {
        double sd[BN_CHUNK] = {0}, sdx[BN_CHUNK] = {0};
        const int hi = block_lo(rows, b + 1);
        for (int r = block_lo(rows, b); r < hi; r++) {
            const float *x = in + (size_t)r * c + c0;
            const float *g = dout + (size_t)r * c + c0;
            for (int j = 0; j < cc; j++) {
                const float xhat = (x[j] - mean[c0 + j]) * rstd[c0 + j];
                sd[j] += g[j];
                sdx[j] += (double)(g[j] * xhat);
            }
        }
        for (int j = 0; j < cc; j++) {
            part_d[b][j] = sd[j];
            part_dx[b][j] = sdx[j];
        }
    }
    for (int j = 0; j < cc; j++) {
        double sd = 0.0, sdx = 0.0;
        for (int b = 0; b < BN_BLOCKS; b++) {
            sd += part_d[b][j];
            sdx += part_dx[b][j];
        }
        sum_d[j] = sd;
        sum_dx[j] = sdx;
    }
}

/* din += (accumulate) or = (set) the input gradient; the parameter
 * gradients always accumulate. */
enum din_mode { DIN_ADD, DIN_SET };

static void bn_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *in, const float *mean, const float *rstd,
                        const float *gamma, int rows, int c, enum din_mode mode)
{
    assert(rows >= 1 && c >= 1);
    for (int c0 = 0; c0 < c; c0 += BN_CHUNK) {
        const int cc = c - c0 < BN_CHUNK ? c - c0 : BN_CHUNK;
        double sum_d[BN_CHUNK], sum_dx[BN_CHUNK];
        grad_sums(sum_d, sum_dx, dout, in, mean, rstd, rows, c, c0, cc);
        /* din += k_dout * dout + k_x * (in - mean) + k_0, the formula expanded */
        float k_dout[BN_CHUNK], k_x[BN_CHUNK], k_0[BN_CHUNK];
        for (int j = 0; j < cc; j++) {
            if (dgamma != NULL)
                dgamma[c0 + j] += (float)sum_dx[j];
            if (dbeta != NULL)
                dbeta[c0 + j] += (float)sum_d[j];
            const double g = (double)gamma[c0 + j] * rstd[c0 + j];
            const double kx = -g * rstd[c0 + j] * sum_dx[j] / rows;
            k_dout[j] = (float)g;
            k_x[j] = (float)kx;
            k_0[j] = (float)(-g * sum_d[j] / rows);
        }
        if (din == NULL)
            continue;
#pragma omp parallel for schedule(static)
        for (int r = 0; r < rows; r++) {
            const float *restrict x = in + (size_t)r * c + c0;
            const float *restrict g = dout + (size_t)r * c + c0;
            const float *restrict mu = mean + c0;
            float *restrict d = din + (size_t)r * c + c0;
            if (mode == DIN_SET)
                for (int j = 0; j < cc; j++)
                    d[j] = k_dout[j] * g[j] + k_x[j] * (x[j] - mu[j]) + k_0[j];
            else
                for (int j = 0; j < cc; j++)
                    d[j] += k_dout[j] * g[j] + k_x[j] * (x[j] - mu[j]) + k_0[j];
        }
    }
}

void nn_bn_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                    const float *in, const float *mean, const float *rstd,
                    const float *gamma, int rows, int c)
{
    bn_backward(din, dgamma, dbeta, dout, in, mean, rstd, gamma, rows, c, DIN_ADD);
}

void nn_bn_backward_set(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *in, const float *mean, const float *rstd,
                        const float *gamma, int rows, int c)
{
    bn_backward(din, dgamma, dbeta, dout, in, mean, rstd, gamma, rows, c, DIN_SET);
}

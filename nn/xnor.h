/* nn/xnor.h: the product of inputs in {-1, 0, +1} and binary or ternary
 * weights by XNOR and popcount on bit-packed operands, for the forward of a
 * hidden conv layer whose weights are scale * code, code in {-1, +1}
 * (binary) or {-1, 0, +1} (ternary: TWN, HEQ:3, TQuant, MQuant, ...), and
 * whose input is a sign, Heaviside {0, 1} or ternary activation.
 *
 * Such a product is an integer: with x in {-1, 0, +1} and w in {-1, +1},
 *     dot = sum x_j w_j = V - 2 popcount((xbits XOR wbits) AND valid)
 * where bit j of xbits (wbits) is 1 for a negative x_j (w_j), valid marks
 * the non-zero x_j and V is their count. With ternary weights the valid
 * products are those where both are non-zero (wmask marks the non-zero w_j):
 *     dot = popcount(valid AND wmask)
 *           - 2 popcount((xbits XOR wbits) AND valid AND wmask).
 * The layer output is then
 *     out = scale * (float)dot,
 * one rounding of the exact value. This is the correctly rounded value of
 * the true sum, which the old float path (an SGEMM over the scaled weights
 * +-scale) did not give: its partial sums j * scale are rounded in an order
 * that depends on the BLAS kernel. The float reference of this path is
 * therefore an SGEMM over the codes (exact while |dot| < 2^24) followed by
 * the same multiply; nn_model_forward uses it when LOGIQ_XNOR=off, and
 * both give the same bits (tests/test_conv.c, tests/test_train.c).
 *
 * Usage, wt (and wm, for ternary weights) holding nn_xnor_weight_words(cout, K)
 * words:
 *     nn_xnor_pack_weights(wt, wm, wq, cout, K);      (wq [cout][K]; wm NULL: binary)
 *     for each band of im2col rows col [rows][K] (values in {-1, 0, +1}):
 *         nn_xnor_pack_rows(xb, xm, v, col, rows, K, isa);
 *         nn_xnor_gemm(out, xb, xm, v, wt, wm, scale, per_channel, rows, cout, K, isa);
 * nn_conv_forward_xnor (nn/layers.h) runs that loop over a convolution.
 *
 * Three code paths with the same results, one per path of nn/isa.h:
 * AVX-512 (VPOPCNTDQ), AVX2 (a vpshufb nibble-table popcount) and portable C
 * (__builtin_popcountll); the vector ones are compiled with target
 * attributes and run only when the caller passes their path, which must be
 * one the CPU runs (nn_isa_supported). Memory: nothing allocates; the
 * caller passes the packed operands' buffers (sizes below). */
#ifndef LOGIQ_NN_XNOR_H
#define LOGIQ_NN_XNOR_H

#include <stddef.h>
#include <stdint.h>

#include "nn/isa.h"

/* The largest K nn_conv_forward_xnor takes (its per-thread row buffers). */
#define NN_XNOR_MAX_K (4096 * 64)

/* 64-bit words of one packed row of K bits. */
static inline int nn_xnor_words(int K)
{
    return (K + 63) / 64;
}

/* Words of the packed weights: [words(K)][cout rounded up to 8]. */
size_t nn_xnor_weight_words(int cout, int K);

/* wt [words(K)][cout8]: bit j of wt[q][co] is 1 where w[co][64q + j] < 0
 * (cout8 = cout rounded up to 8; padding words and bits are 0); wm, unless
 * NULL (binary weights), the same layout, 1 where w[co][64q + j] != 0. */
void nn_xnor_pack_weights(uint64_t *wt, uint64_t *wm, const float *w, int cout, int K);

/* For rows of x [rows][K] with values in {-1, 0, +1}: xb and xm [rows][words(K)]
 * get the negative and the non-zero positions as bits (0 past K), and
 * v [rows] the count of non-zero values. */
void nn_xnor_pack_rows(uint64_t *xb, uint64_t *xm, int *v, const float *x, int rows, int K,
                       enum nn_isa isa);

/* out [rows][cout] = scale[c] * (float)(v[r] - 2 popcount((xb ^ wt) & xm)), with
 * scale[c] = scale[per_channel ? c : 0]; with a weight mask wm (ternary),
 * scale[c] * (float)(popcount(xm & wm) - 2 popcount((xb ^ wt) & xm & wm))
 * (v unused). */
void nn_xnor_gemm(float *out, const uint64_t *xb, const uint64_t *xm, const int *v,
                  const uint64_t *wt, const uint64_t *wm, const float *scale, int per_channel,
                  int rows, int cout, int K, enum nn_isa isa);

#endif

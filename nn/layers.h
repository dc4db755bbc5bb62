/* nn/layers.h: the layer kernels of the training core.
 *
 * Every layer is a pair of free functions, X_forward and X_backward, that own
 * no memory (llm.c style): outputs first, then inputs, then weights, then
 * sizes. Activations are float, NHWC (image, row, column, channel), so a
 * fully-connected layer over a feature map reads it flattened in that order.
 * Backward functions ACCUMULATE (+=) into every gradient they write (din, dw,
 * db, ...), so a tensor consumed twice (a residual skip) gets both
 * contributions; callers zero gradients once per step. A few *_set variants
 * OVERWRITE din instead, for a tensor with a single consumer, so the caller
 * need not zero it. A din argument may be NULL when the input needs no
 * gradient (the network input).
 *
 * Nothing here allocates. Workspaces (the im2col matrix) are passed in.
 * Each optimized kernel has a naive reference beside it (the *_ref
 * functions) and tests/test_layers.c holds them together and checks every
 * backward against finite differences. */
#ifndef LOGIQ_NN_LAYERS_H
#define LOGIQ_NN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "nn/isa.h"
#include "nn/xnor.h"

/* ---- convolution: k x k, stride, zero padding, no bias ----
 * in   [n][h][w][c]
 * w    [cout][k][k][c]
 * out  [n][ho][wo][cout],  ho = (h + 2 pad - k) / stride + 1, same for wo
 * col  [n*ho*wo][k*k*c]    im2col workspace, written by forward, read by backward
 * dcol [n*ho*wo][k*k*c]    workspace of backward */
int nn_conv_out_size(int size, int k, int stride, int pad);
void nn_conv_forward(float *out, float *col, const float *in, const float *w,
                     int n, int h, int w_, int c, int cout, int k, int stride, int pad);
void nn_conv_backward(float *din, float *dw, float *dcol, const float *dout,
                      const float *col, const float *w,
                      int n, int h, int w_, int c, int cout, int k, int stride, int pad);
void nn_conv_forward_ref(float *out, const float *in, const float *w,
                         int n, int h, int w_, int c, int cout, int k, int stride, int pad);
/* The forward for in [n][h][w][c] in {-1, 0, +1} (sign, Heaviside or
 * ternary activations) and binary or ternary weights scale * code:
 * out = scale[co] * (exact integer dot), by XNOR and popcount (nn/xnor.h),
 * where wt holds the weight signs and wm (NULL for binary weights) the
 * non-zero weights, packed by nn_xnor_pack_weights, and scale[co] =
 * scale[per_channel ? co : 0]. Writes col as nn_conv_forward does, for
 * backward. Equals, bit for bit, the SGEMM of col with the codes followed by
 * the multiply by scale. */
void nn_conv_forward_xnor(float *out, float *col, const float *in, const uint64_t *wt,
                          const uint64_t *wm, const float *scale, int per_channel,
                          int n, int h, int w_, int c, int cout, int k, int stride, int pad,
                          enum nn_isa isa);

/* nn_conv_forward_xnor without col, for a layer whose backward does not read
 * it (a Winograd one): every input pixel's c values are packed to bits once
 * into bits (nn_conv_xnor_pixel_bytes() bytes of scratch) and each row's
 * bits are gathered from its window's pixels. The same bits as
 * nn_conv_forward_xnor. */
size_t nn_conv_xnor_pixel_bytes(int n, int h, int w, int c);
void nn_conv_forward_xnor_pixels(float *out, void *bits, const float *in, const uint64_t *wt,
                                 const uint64_t *wm, const float *scale, int per_channel,
                                 int n, int h, int w_, int c, int cout, int k, int stride,
                                 int pad, enum nn_isa isa);

/* Whether GEMMs may run inside OpenMP threads without a second thread pool
 * (OpenBLAS single-threaded, or an OpenMP build of it): the convolutions'
 * schedule (nn/conv.c). */
int nn_blas_is_serial(void);

/* ---- the 3 x 3, stride 1, pad 1 convolution by Winograd F(m x m, 3 x 3) ----
 * (nn/winograd.c) The same shapes as nn_conv_forward with k = 3, stride 1,
 * pad 1 (so ho = h, wo = w), tile m = 2 or 4: at 4/9 (m = 2) or 1/4
 * (m = 4) of its multiplies; not the same bits.
 * v   [T][(m+2)^2][c], T = n ceil(h/m) ceil(w/m): written by forward, read
 *     and then overwritten by backward (one backward per forward)
 * ws  nn_wino_ws_floats() floats of scratch
 * isa the path of the tile transforms (nn/isa.h): the same bits on each.
 * Backward accumulates into din (may be NULL) and dw, as nn_conv_backward;
 * dw does not depend on the thread count. */
enum { NN_WINO_MIN_C = 4, NN_WINO_MAX_C = 1024 };
/* Backward's groups of whole images (fewer for a smaller batch), whatever
 * the thread count, whose dU it adds in order (hence the sentence above). */
enum { NN_WINO_GROUPS = 8 };
/* Whether a k x k conv of c -> cout channels with this stride and pad runs
 * here: k = 3, stride 1, pad 1, NN_WINO_MIN_C <= c and c, cout <= NN_WINO_MAX_C
 * (a single input channel is cheaper as im2col). */
int nn_wino_applies(int k, int stride, int pad, int c, int cout);
/* The tile LOGIQ_WINOGRAD names: 4 (the default, also when unset), 2, or 0
 * for off (im2col); NN_ERR_ARG naming LOGIQ_WINOGRAD for another value. */
enum nn_status nn_wino_tile_from_env(int *tile, struct nn_error *err);
size_t nn_wino_v_floats(int tile, int n, int h, int w, int c);
size_t nn_wino_ws_floats(int tile, int n, int h, int w, int c, int cout);
void nn_conv3_wino_forward(float *out, float *v, float *ws, const float *in, const float *w,
                           int tile, int n, int h, int w_, int c, int cout, enum nn_isa isa);
/* v of nn_conv3_wino_forward alone: for a layer whose forward ran
 * otherwise (the XNOR-popcount one) and whose backward runs here. */
void nn_conv3_wino_input(float *v, const float *in, int tile, int n, int h, int w_, int c,
                         enum nn_isa isa);
void nn_conv3_wino_backward(float *din, float *dw, float *ws, float *v, const float *dout,
                            const float *w, int tile, int n, int h, int w_, int c, int cout,
                            enum nn_isa isa);

/* ---- dense: out [n][dout] = in [n][din] * w^T + b,  w [dout][din], b [dout] or NULL ---- */
void nn_dense_forward(float *out, const float *in, const float *w, const float *b,
                      int n, int din, int dout);
void nn_dense_backward(float *din_grad, float *dw, float *db, const float *dout_grad,
                       const float *in, const float *w, int n, int din, int dout);

/* ---- batch norm over rows = n*h*w positions of c channels ----
 * Train: normalizes with the batch statistics, saves mean and rstd [c] for
 * backward, and updates the running statistics:
 *   running = (1 - momentum) * running + momentum * batch   (unbiased variance)
 * Eval: normalizes with the running statistics. */
void nn_bn_forward_train(float *out, float *mean, float *rstd,
                         float *running_mean, float *running_var,
                         const float *in, const float *gamma, const float *beta,
                         int rows, int c, float momentum, float eps);
void nn_bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                        const float *running_mean, const float *running_var,
                        int rows, int c, float eps);
void nn_bn_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                    const float *in, const float *mean, const float *rstd,
                    const float *gamma, int rows, int c);
/* The same, but OVERWRITES din (dgamma, dbeta still accumulate): for a din
 * that has no other contribution, it saves the caller zeroing it. */
void nn_bn_backward_set(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *in, const float *mean, const float *rstd,
                        const float *gamma, int rows, int c);

/* ---- max pooling, size x size windows with stride size (floor) ----
 * in [n][h][w][c] -> out [n][h/size][w/size][c]; argmax [n][ho][wo][c] holds
 * the flat index into in of each maximum (the first one on ties). */
void nn_maxpool_forward(float *out, int *argmax, const float *in,
                        int n, int h, int w, int c, int size);
/* The same maximum, with ties broken by the larger key (e.g. the
 * pre-activation of a quantized map, where ties are the rule): the forward
 * value is unchanged, but backward routes the gradient to the element
 * closest to rising, which is what a straight-through estimator wants.
 * isa: the instruction-set path (nn/isa.h; one the CPU runs), the same
 * results on each. */
void nn_maxpool_forward_keyed(float *out, int *argmax, const float *in, const float *key,
                              int n, int h, int w, int c, int size, enum nn_isa isa);
void nn_maxpool_backward(float *din, const float *dout, const int *argmax,
                         int n, int ho, int wo, int c);
/* OVERWRITES all of din [n][h][w][c]: dout at the argmax of each window, 0
 * everywhere else (for a din with no other contribution: no zeroing first). */
void nn_maxpool_backward_set(float *din, const float *dout, const int *argmax,
                             int n, int h, int w, int c, int size);

/* ---- residual merges of a (main path) and r (skip), both [rows][c] ----
 * OR  : y = a + r - a*r            (= a OR r = max(a, r) on {0,1}; its smooth
 *                                   extension gives the gradients 1-r and 1-a)
 * MUX : per channel select m [c] in {0,1} (its real-valued relaxation in the
 *       gradient check), two variants:
 *       NN_MUX_OR  y = m ? (a OR r) : a  = a + m * (r - a*r)     (default)
 *       NN_MUX_SEL y = m ? r : a         = a + m * (r - a)
 * ADD : y = a + r  (the residual stream's fixed-point rounding is nn_resq) */
enum nn_mux_variant { NN_MUX_OR, NN_MUX_SEL };

void nn_merge_or_forward(float *y, const float *a, const float *r, size_t n);
void nn_merge_or_backward(float *da, float *dr, const float *dy,
                          const float *a, const float *r, size_t n);
void nn_merge_mux_forward(float *y, const float *a, const float *r, const float *m,
                          int rows, int c, enum nn_mux_variant v);
void nn_merge_mux_backward(float *da, float *dr, float *dm, const float *dy,
                           const float *a, const float *r, const float *m,
                           int rows, int c, enum nn_mux_variant v);
void nn_merge_add_forward(float *y, const float *a, const float *r, size_t n);
void nn_merge_add_backward(float *da, float *dr, const float *dy, size_t n);

/* ---- the residual stream's fixed point: res_bits signed, frac_bits fractional ----
 * out = clamp(floor(in * 2^frac + 1/2), -2^(res_bits-1), 2^(res_bits-1) - 1) / 2^frac
 * backward: straight through inside the representable range, 0 outside. */
void nn_resq_forward(float *out, const float *in, size_t n, int res_bits, int frac_bits);
void nn_resq_backward(float *din, const float *dout, const float *in, size_t n,
                      int res_bits, int frac_bits);

/* ---- softmax cross-entropy over k classes ----
 * Forward writes probs [n][k] and returns the mean loss over the n rows;
 * backward OVERWRITES dlogits = (probs - onehot(labels)) / n. */
float nn_xent_forward(float *probs, const float *logits, const int *labels, int n, int k);
void nn_xent_backward(float *dlogits, const float *probs, const int *labels, int n, int k);

#endif

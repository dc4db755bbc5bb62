/* nn/maxpool.c: size x size max pooling with stride size over NHWC floats.
 *
 *   in [n][h][w][c] -> out, argmax [n][ho][wo][c],  ho = h / size, wo = w / size
 * (floor: trailing rows and columns that do not fill a window are dropped).
 * argmax holds the flat index into in of the window's maximum, the first one
 * in (wy, wx) scan order on ties. Backward adds dout at argmax; windows do
 * not overlap, so every din element receives at most one term and the
 * element loop parallelizes without races.
 *
 * Not here: padding, overlapping windows, average pooling. */
#include "nn/layers.h"

#include <assert.h>

void nn_maxpool_forward(float *out, int *argmax, const float *in,
                        int n, int h, int w, int c, int size)
{
    assert(size >= 1);
    const int ho = h / size, wo = w / size;
#pragma omp parallel for collapse(2) schedule(static)
    for (int img = 0; img < n; img++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                const size_t o = (((size_t)img * ho + oy) * wo + ox) * c;
                float *restrict y = out + o;
                int *restrict am = argmax + o;
                for (int wy = 0; wy < size; wy++)
                    for (int wx = 0; wx < size; wx++) {
                        const size_t base =
                            (((size_t)img * h + oy * size + wy) * w + ox * size + wx) * c;
                        const float *restrict x = in + base;
                        if (wy == 0 && wx == 0) {
                            for (int j = 0; j < c; j++) {
                                y[j] = x[j];
                                am[j] = (int)base + j;
                            }
                            continue;
                        }
                        for (int j = 0; j < c; j++) {
                            const int better = x[j] > y[j];
                            y[j] = better ? x[j] : y[j];
                            am[j] = better ? (int)base + j : am[j];
                        }
                    }
            }
}

void nn_maxpool_forward_keyed(float *out, int *argmax, const float *in, const float *key,
                              int n, int h, int w, int c, int size)
{
    assert(size >= 1);
    const int ho = h / size, wo = w / size;
#pragma omp parallel for collapse(2) schedule(static)
    for (int img = 0; img < n; img++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                const size_t o = (((size_t)img * ho + oy) * wo + ox) * c;
                float *restrict y = out + o;
                int *restrict am = argmax + o;
                for (int wy = 0; wy < size; wy++)
                    for (int wx = 0; wx < size; wx++) {
                        const size_t base =
                            (((size_t)img * h + oy * size + wy) * w + ox * size + wx) * c;
                        const float *restrict x = in + base;
                        if (wy == 0 && wx == 0) {
                            for (int j = 0; j < c; j++) {
                                y[j] = x[j];
                                am[j] = (int)base + j;
                            }
                            continue;
                        }
                        for (int j = 0; j < c; j++) {
                            const int better = x[j] > y[j] ||
                                               (x[j] == y[j] && key[base + j] > key[am[j]]);
                            y[j] = better ? x[j] : y[j];
                            am[j] = better ? (int)base + j : am[j];
                        }
                    }
            }
}

void nn_maxpool_backward(float *din, const float *dout, const int *argmax,
                         int n, int ho, int wo, int c)
{
    const long total = (long)n * ho * wo * c;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < total; i++)
        din[argmax[i]] += dout[i];
}

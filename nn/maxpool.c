/* nn/maxpool.c: size x size max pooling with stride size over NHWC floats.
 *
 *   in [n][h][w][c] -> out, argmax [n][ho][wo][c],  ho = h / size, wo = w / size
 * (floor: trailing rows and columns that do not fill a window are dropped).
 * argmax holds the flat index into in of the window's maximum, the first one
 * in (wy, wx) scan order on ties (keyed: the one with the larger key, then
 * the first). Backward adds dout at argmax (the _set variant writes din
 * whole: dout at argmax, 0 elsewhere); windows do not overlap, so every din
 * element receives at most one term and the loops parallelize without
 * races.
 *
 * The forward scans a window position at a time over a run of channels and
 * keeps the running maximum, its key and its index in arrays, with
 * branch-free selects: on binary maps nearly every comparison is a tie, so a
 * branchy scalar loop mispredicts constantly; this form vectorizes.
 * The plain forward is the keyed one with key = in (equal values have equal
 * keys, so ties keep the first). The run is compiled once per
 * instruction-set path (nn/isa.h): comparisons and selects only, so every
 * path gives the same bits.
 *
 * Not here: padding, overlapping windows, average pooling. */
#include "nn/layers.h"

#include <assert.h>
#include <string.h>

enum {
    POOL_CHUNK = 256,   /* channels per run: the running key lives on the stack */
    POOL_WIN_MAX = 256, /* window elements: size <= 16 */
};

/* One output position, channels [0, cc) of a run: element e = wy * size + wx
 * of the window starts at the flat index offs[e] of in (and of key). */
NN_INLINE void pool_run(float *restrict y, int *restrict am, const float *restrict in,
                        const float *restrict key, const size_t *offs, int n_win, int cc)
{
    float bk[POOL_CHUNK];
    const float *restrict x = in + offs[0];
    const float *restrict k = key + offs[0];
    const int b0 = (int)offs[0];
    for (int j = 0; j < cc; j++) {
        y[j] = x[j];
        bk[j] = k[j];
        am[j] = b0 + j;
    }
    for (int e = 1; e < n_win; e++) {
        x = in + offs[e];
        k = key + offs[e];
        const int b = (int)offs[e];
        for (int j = 0; j < cc; j++) {
            const int better = (x[j] > y[j]) | ((x[j] == y[j]) & (k[j] > bk[j]));
            y[j] = better ? x[j] : y[j];
            bk[j] = better ? k[j] : bk[j];
            am[j] = better ? b + j : am[j];
        }
    }
}

/* The same for 2 x 2 windows, the common case, with the running maximum,
 * key and index in registers: the same comparisons in the same order. */
NN_INLINE void pool_run4(float *restrict y, int *restrict am, const float *restrict in,
                         const float *restrict key, const size_t *offs, int cc)
{
    const float *x0 = in + offs[0], *x1 = in + offs[1], *x2 = in + offs[2], *x3 = in + offs[3];
    const float *k0 = key + offs[0], *k1 = key + offs[1], *k2 = key + offs[2],
                *k3 = key + offs[3];
    const int b0 = (int)offs[0], b1 = (int)offs[1], b2 = (int)offs[2], b3 = (int)offs[3];
    for (int j = 0; j < cc; j++) {
        float yv = x0[j], kv = k0[j];
        int a = b0 + j;
#define POOL_STEP(X, K, B)                                                                 \
    do {                                                                                   \
        const int better = (X[j] > yv) | ((X[j] == yv) & (K[j] > kv));                     \
        yv = better ? X[j] : yv;                                                           \
        kv = better ? K[j] : kv;                                                           \
        a = better ? B + j : a;                                                            \
    } while (0)
        POOL_STEP(x1, k1, b1);
        POOL_STEP(x2, k2, b2);
        POOL_STEP(x3, k3, b3);
#undef POOL_STEP
        y[j] = yv;
        am[j] = a;
    }
}

/* The run of an n_win window: pool_run4 for 2 x 2, else pool_run. */
NN_INLINE void pool_run_any(float *restrict y, int *restrict am, const float *restrict in,
                            const float *restrict key, const size_t *offs, int n_win, int cc)
{
    if (n_win == 4)
        pool_run4(y, am, in, key, offs, cc);
    else
        pool_run(y, am, in, key, offs, n_win, cc);
}

static void pool_run_portable(float *restrict y, int *restrict am, const float *restrict in,
                              const float *restrict key, const size_t *offs, int n_win, int cc)
{
    pool_run_any(y, am, in, key, offs, n_win, cc);
}

#if NN_ISA_X86
NN_TARGET_AVX2
static void pool_run_avx2(float *restrict y, int *restrict am, const float *restrict in,
                          const float *restrict key, const size_t *offs, int n_win, int cc)
{
    pool_run_any(y, am, in, key, offs, n_win, cc);
}

NN_TARGET_AVX512
static void pool_run_avx512(float *restrict y, int *restrict am, const float *restrict in,
                            const float *restrict key, const size_t *offs, int n_win, int cc)
{
    pool_run_any(y, am, in, key, offs, n_win, cc);
}
#endif

typedef void pool_run_fn(float *restrict y, int *restrict am, const float *restrict in,
                         const float *restrict key, const size_t *offs, int n_win, int cc);

static pool_run_fn *pool_run_for(enum nn_isa isa)
{
#if NN_ISA_X86
    if (isa == NN_ISA_AVX512)
        return pool_run_avx512;
    if (isa == NN_ISA_AVX2)
        return pool_run_avx2;
#endif
    (void)isa;
    return pool_run_portable;
}

void nn_maxpool_forward_keyed(float *out, int *argmax, const float *in, const float *key,
                              int n, int h, int w, int c, int size, enum nn_isa isa)
{
    pool_run_fn *run = pool_run_for(isa);
    assert(size >= 1 && size * size <= POOL_WIN_MAX);
    const int ho = h / size, wo = w / size, n_win = size * size;
#pragma omp parallel for collapse(2) schedule(static)
    for (int img = 0; img < n; img++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                const size_t o = (((size_t)img * ho + oy) * wo + ox) * c;
                for (int c0 = 0; c0 < c; c0 += POOL_CHUNK) {
                    size_t offs[POOL_WIN_MAX];
                    for (int wy = 0; wy < size; wy++)
                        for (int wx = 0; wx < size; wx++)
                            offs[wy * size + wx] =
                                (((size_t)img * h + oy * size + wy) * w + ox * size + wx) * c
                                + c0;
                    run(out + o + c0, argmax + o + c0, in, key, offs, n_win,
                        c - c0 < POOL_CHUNK ? c - c0 : POOL_CHUNK);
                }
            }
}

void nn_maxpool_forward(float *out, int *argmax, const float *in,
                        int n, int h, int w, int c, int size)
{
    nn_maxpool_forward_keyed(out, argmax, in, in, n, h, w, c, size, NN_ISA_PORTABLE);
}

void nn_maxpool_backward(float *din, const float *dout, const int *argmax,
                         int n, int ho, int wo, int c)
{
    const long total = (long)n * ho * wo * c;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < total; i++)
        din[argmax[i]] += dout[i];
}

void nn_maxpool_backward_set(float *din, const float *dout, const int *argmax,
                             int n, int h, int w, int c, int size)
{
    assert(size >= 1);
    const int ho = h / size, wo = w / size;
    const size_t img_in = (size_t)h * w * c, img_out = (size_t)ho * wo * c;
    /* per image: the argmax of an image's outputs lie in that image, so each
     * thread zeroes and fills its own images while they are in cache */
#pragma omp parallel for schedule(static)
    for (int img = 0; img < n; img++) {
        memset(din + img * img_in, 0, img_in * sizeof(float));
        const int *am = argmax + img * img_out;
        const float *g = dout + img * img_out;
        for (size_t i = 0; i < img_out; i++)
            din[am[i]] = g[i];
    }
}

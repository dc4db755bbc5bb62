/* nn/conv.c: k x k convolution (stride, zero padding, no bias) over NHWC
 * float activations, as im2col + SGEMM, with its naive reference.
 *
 * Shapes (see nn/layers.h):
 *   in   [n][h][w][c]          w    [cout][k][k][c]   (= [cout][K], K = k*k*c)
 *   out  [n][ho][wo][cout]     col, dcol [M][K],  M = n*ho*wo
 * Row m of col is the receptive field of output position m, its columns in
 * (ky, kx, c) order, so that
 *   forward   out [M][cout]  = col [M][K] * w^T
 *   backward  dw  [cout][K] += dout^T [cout][M] * col [M][K]
 *             dcol [M][K]    = dout [M][cout] * w [cout][K];  din += col2im(dcol)
 * col is always written in full by forward, also for 1x1 stride 1 pad 0
 * (where it is a plain copy of in), because backward reads the input only
 * through col. In that 1x1 case backward accumulates din += dout * w
 * directly, without dcol. dcol is scratch: backward may use only part of it.
 *
 * Two schedules, picked at run time from how OpenBLAS is threaded:
 *  - BLAS single-threaded (OPENBLAS_NUM_THREADS=1, the recommended setting,
 *    or an OpenMP build of OpenBLAS): OpenMP owns the cores. The work is cut
 *    into bands of output rows of one image (about BAND_BYTES of col each)
 *    and every band does its im2col and its own GEMM while the band is hot in
 *    L2; in backward each thread takes whole images, computes a band's dcol
 *    into its own slot of dcol and scatters it into din at once (so dcol
 *    never goes to memory); dw is one GEMM per thread over a fixed slice of
 *    its K columns (of its output channels when K < cout).
 *  - BLAS threaded (pthreads OpenBLAS with more than one thread): one large
 *    GEMM per product, so OpenBLAS parallelizes it, with OpenMP im2col and
 *    col2im around it. (Two thread pools taking turns on the same cores cost
 *    time: busy-waiting threads of one pool steal the cores of the other.)
 * Both are deterministic: static partitions only, every output element
 * written by one thread in a fixed order, no atomics. Bands depend on the
 * shape alone; dw's column slices depend on the thread count, so dw is
 * bit-reproducible for a fixed thread count.
 *
 * nn_conv_forward_xnor is the forward for inputs in {-1, 0, +1} (sign,
 * Heaviside, ternary activations) and binary or ternary weights:
 * the same bands and the same col (backward reads it), but each band's rows
 * are bit-packed and multiplied by XNOR + popcount (nn/xnor.h) instead of
 * an SGEMM. nn_conv_forward_xnor_pixels, for layers whose backward does
 * not read col (Winograd ones), writes no col: it packs every input pixel's
 * c values to bits once and gathers each row's bits from its window's
 * pixels, k * k shifted runs of c bits (the same rows, so the same bits).
 *
 * Not here: bias (the networks follow conv with batch norm), dilation,
 * groups, quantization of w or in (callers pass already fake-quantized
 * tensors). */
#include "nn/layers.h"
#include "nn/xnor.h"

#include <assert.h>
#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

enum { BAND_BYTES = 256 * 1024 }; /* target size of one band of col: half an L2 */

struct geom {
    int n, h, w, c, cout, k, stride, pad;
    int ho, wo, kk; /* output size, K = k*k*c */
    int band, bands; /* output rows per band, bands per image */
};

static struct geom make_geom(int n, int h, int w, int c, int cout, int k, int stride, int pad)
{
    struct geom g = {n, h, w, c, cout, k, stride, pad, 0, 0, 0, 0, 0};
    g.ho = nn_conv_out_size(h, k, stride, pad);
    g.wo = nn_conv_out_size(w, k, stride, pad);
    assert(g.ho >= 1 && g.wo >= 1);
    g.kk = k * k * c;
    const size_t row_bytes = (size_t)g.wo * g.kk * sizeof(float);
    int band = (int)(BAND_BYTES / row_bytes);
    band = band < 1 ? 1 : band > g.ho ? g.ho : band;
    g.bands = (g.ho + band - 1) / band;
    g.band = (g.ho + g.bands - 1) / g.bands; /* even the bands out */
    return g;
}

static int is_pointwise(const struct geom *g)
{
    return g->k == 1 && g->stride == 1 && g->pad == 0;
}

int nn_blas_is_serial(void)
{
    return openblas_get_num_threads() == 1 || openblas_get_parallel() == 2;
}

/* Index of the first row of col (or out, dcol) of output row oy of image img. */
static size_t pos(const struct geom *g, int img, int oy)
{
    return ((size_t)img * g->ho + oy) * g->wo;
}

int nn_conv_out_size(int size, int k, int stride, int pad)
{
    assert(k >= 1 && stride >= 1 && pad >= 0);
    return (size + 2 * pad - k) / stride + 1;
}

/* dst[0..len) = src[0..len). A loop, not memcpy: the first layer's runs are
 * a few floats (k * c = 3 for c = 1), where the call costs more than the copy. */
static void copy_run(float *restrict dst, const float *restrict src, int len)
{
    for (int i = 0; i < len; i++)
        dst[i] = src[i];
}

/* Writes rows of col for output rows [oy0, oy1) of image img: for every
 * output column, k*k runs of c floats, zeros where the window leaves the
 * image. */
static void im2col_band(float *restrict col, const float *restrict in, const struct geom *g,
                        int img, int oy0, int oy1)
{
    const int k = g->k, c = g->c;
    const size_t run = (size_t)c * sizeof(float);
    float *dst = col + pos(g, img, oy0) * g->kk;
    if (is_pointwise(g)) {
        memcpy(dst, in + pos(g, img, oy0) * c, (size_t)(oy1 - oy0) * g->wo * run);
        return;
    }
    const float *src_img = in + (size_t)img * g->h * g->w * c;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < g->wo; ox++)
            for (int ky = 0; ky < k; ky++, dst += (size_t)k * c) {
                const int iy = oy * g->stride - g->pad + ky;
                if (iy < 0 || iy >= g->h) {
                    memset(dst, 0, (size_t)k * run);
                    continue;
                }
                const float *src_row = src_img + (size_t)iy * g->w * c;
                const int ix0 = ox * g->stride - g->pad;
                if (ix0 >= 0 && ix0 + k <= g->w) { /* all kx inside: one run */
                    copy_run(dst, src_row + (size_t)ix0 * c, k * c);
                    continue;
                }
                for (int kx = 0; kx < k; kx++) {
                    const int ix = ix0 + kx;
                    if (ix < 0 || ix >= g->w)
                        memset(dst + (size_t)kx * c, 0, run);
                    else
                        memcpy(dst + (size_t)kx * c, src_row + (size_t)ix * c, run);
                }
            }
}

static void add_run(float *restrict dst, const float *restrict src, int len)
{
    for (int i = 0; i < len; i++)
        dst[i] += src[i];
}

/* Adds dcol rows of output rows [oy0, oy1) of image img (dcol points at the
 * band's first row) into din where im2col took them from. One thread per
 * image; the order of additions is fixed: oy, ox, ky, kx. */
static void col2im_band(float *restrict din, const float *restrict dcol, const struct geom *g,
                        int img, int oy0, int oy1)
{
    const int k = g->k, c = g->c;
    float *din_img = din + (size_t)img * g->h * g->w * c;
    const float *src = dcol;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < g->wo; ox++)
            for (int ky = 0; ky < k; ky++, src += (size_t)k * c) {
                const int iy = oy * g->stride - g->pad + ky;
                if (iy < 0 || iy >= g->h)
                    continue;
                const int ix0 = ox * g->stride - g->pad;
                const int kx_lo = ix0 < 0 ? -ix0 : 0;
                const int kx_hi = ix0 + k > g->w ? g->w - ix0 : k;
                if (kx_lo >= kx_hi)
                    continue;
                /* the kx runs are contiguous in din too: one loop */
                add_run(din_img + ((size_t)iy * g->w + ix0 + kx_lo) * c,
                        src + (size_t)kx_lo * c, (kx_hi - kx_lo) * c);
            }
}

/* out rows [row0, row0 + rows) = a [rows][K] * w^T */
static void gemm_forward(float *out, const float *a, const float *w, const struct geom *g,
                         size_t row0, int rows)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, g->cout, g->kk,
                1.0f, a, g->kk, w, g->kk, 0.0f, out + row0 * g->cout, g->cout);
}

void nn_conv_forward(float *out, float *col, const float *in, const float *w,
                     int n, int h, int w_, int c, int cout, int k, int stride, int pad)
{
    const struct geom g = make_geom(n, h, w_, c, cout, k, stride, pad);
    const int serial = nn_blas_is_serial();
#pragma omp parallel for collapse(2) schedule(static)
    for (int img = 0; img < n; img++)
        for (int b = 0; b < g.bands; b++) {
            const int oy0 = b * g.band;
            const int oy1 = oy0 + g.band < g.ho ? oy0 + g.band : g.ho;
            if (oy0 >= oy1)
                continue;
            im2col_band(col, in, &g, img, oy0, oy1);
            if (serial) {
                const size_t row0 = pos(&g, img, oy0);
                /* pointwise: col is in, read the caller's copy */
                const float *a = is_pointwise(&g) ? in + row0 * c : col + row0 * g.kk;
                gemm_forward(out, a, w, &g, row0, (oy1 - oy0) * g.wo);
            }
        }
    if (!serial)
        gemm_forward(out, is_pointwise(&g) ? in : col, w, &g, 0, n * g.ho * g.wo);
}

enum { XNOR_CHUNK_WORDS = NN_XNOR_MAX_K / 64 }; /* packed words of a chunk of rows */

/* Rows of a chunk of packed rows of words words: what the per-thread
 * buffers hold, at most 256. */
static int xnor_chunk_rows(int words)
{
    assert(words <= XNOR_CHUNK_WORDS);
    return XNOR_CHUNK_WORDS / words < 256 ? XNOR_CHUNK_WORDS / words : 256;
}

void nn_conv_forward_xnor(float *out, float *col, const float *in, const uint64_t *wt,
                          const uint64_t *wm, const float *scale, int per_channel,
                          int n, int h, int w_, int c, int cout, int k, int stride, int pad,
                          enum nn_isa isa)
{
    const struct geom g = make_geom(n, h, w_, c, cout, k, stride, pad);
    const int words = nn_xnor_words(g.kk);
    const int chunk = xnor_chunk_rows(words);
#pragma omp parallel
    {
        /* this thread's packed rows: 64 KiB a operand, on its stack */
        uint64_t xb[XNOR_CHUNK_WORDS], xm[XNOR_CHUNK_WORDS];
        int v[256];
#pragma omp for collapse(2) schedule(static)
        for (int img = 0; img < n; img++)
            for (int b = 0; b < g.bands; b++) {
                const int oy0 = b * g.band;
                const int oy1 = oy0 + g.band < g.ho ? oy0 + g.band : g.ho;
                if (oy0 >= oy1)
                    continue;
                im2col_band(col, in, &g, img, oy0, oy1);
                const size_t row0 = pos(&g, img, oy0);
                const int rows = (oy1 - oy0) * g.wo;
                for (int r = 0; r < rows; r += chunk) {
                    const int nr = rows - r < chunk ? rows - r : chunk;
                    const size_t at = row0 + (size_t)r;
                    nn_xnor_pack_rows(xb, xm, v, col + at * g.kk, nr, g.kk, isa);
                    nn_xnor_gemm(out + at * cout, xb, xm, v, wt, wm, scale, per_channel, nr,
                                 cout, g.kk, isa);
                }
            }
    }
}

size_t nn_conv_xnor_pixel_bytes(int n, int h, int w, int c)
{
    const size_t pix = (size_t)n * h * w;
    return pix * (2 * (size_t)nn_xnor_words(c) * sizeof(uint64_t) + sizeof(int));
}

/* row [0, words) |= the c bits of src (cw words, 0 past c) at bit off; the
 * bits land within words (off + c <= 64 words). */
static void put_bits(uint64_t *row, int words, int off, const uint64_t *src, int cw)
{
    const int q0 = off >> 6, sh = off & 63;
    for (int q = 0; q < cw; q++) {
        row[q0 + q] |= src[q] << sh;
        if (sh != 0 && q0 + q + 1 < words)
            row[q0 + q + 1] |= src[q] >> (64 - sh);
    }
}

/* The packed im2col row of output pixel (oy, ox) of image img, gathered
 * from the packed pixels (pb, pm, pv): the k * k taps' runs of c bits in
 * im2col's order, zeros where the window leaves the image. */
static void gather_row(uint64_t *xb, uint64_t *xm, int *v, const uint64_t *pb,
                       const uint64_t *pm, const int *pv, const struct geom *g, int img, int oy,
                       int ox)
{
    const int words = nn_xnor_words(g->kk), cw = nn_xnor_words(g->c);
    for (int q = 0; q < words; q++)
        xb[q] = xm[q] = 0;
    int count = 0;
    for (int ky = 0; ky < g->k; ky++) {
        const int y = oy * g->stride - g->pad + ky;
        if (y < 0 || y >= g->h)
            continue;
        for (int kx = 0; kx < g->k; kx++) {
            const int x = ox * g->stride - g->pad + kx;
            if (x < 0 || x >= g->w)
                continue;
            const size_t p = ((size_t)img * g->h + y) * g->w + x;
            const int off = (ky * g->k + kx) * g->c;
            put_bits(xb, words, off, pb + p * cw, cw);
            put_bits(xm, words, off, pm + p * cw, cw);
            count += pv[p];
        }
    }
    *v = count;
}

void nn_conv_forward_xnor_pixels(float *out, void *bits, const float *in, const uint64_t *wt,
                                 const uint64_t *wm, const float *scale, int per_channel,
                                 int n, int h, int w_, int c, int cout, int k, int stride,
                                 int pad, enum nn_isa isa)
{
    const struct geom g = make_geom(n, h, w_, c, cout, k, stride, pad);
    const int words = nn_xnor_words(g.kk), cw = nn_xnor_words(c);
    const int chunk = xnor_chunk_rows(words);
    const size_t pix = (size_t)n * h * w_, per = (size_t)g.ho * g.wo, rows = n * per;
    uint64_t *pb = bits, *pm = pb + pix * cw;
    int *pv = (int *)(void *)(pm + pix * cw);
    const size_t pix_chunk = 1024, chunks = (rows + chunk - 1) / chunk;
#pragma omp parallel
    {
        /* every pixel's c values as bits, once */
#pragma omp for schedule(static)
        for (size_t p0 = 0; p0 < pix; p0 += pix_chunk) {
            const int np = (int)(pix - p0 < pix_chunk ? pix - p0 : pix_chunk);
            nn_xnor_pack_rows(pb + p0 * cw, pm + p0 * cw, pv + p0, in + p0 * c, np, c, isa);
        }
        /* this thread's packed rows: 64 KiB a operand, on its stack */
        uint64_t xb[XNOR_CHUNK_WORDS], xm[XNOR_CHUNK_WORDS];
        int v[256];
#pragma omp for schedule(static)
        for (size_t ch = 0; ch < chunks; ch++) {
            const size_t r0 = ch * chunk;
            const int nr = (int)(rows - r0 < (size_t)chunk ? rows - r0 : (size_t)chunk);
            for (int r = 0; r < nr; r++) {
                const size_t row = r0 + r;
                const int img = (int)(row / per), at = (int)(row % per);
                gather_row(xb + (size_t)r * words, xm + (size_t)r * words, v + r, pb, pm, pv,
                           &g, img, at / g.wo, at % g.wo);
            }
            nn_xnor_gemm(out + r0 * cout, xb, xm, v, wt, wm, scale, per_channel, nr, cout,
                         g.kk, isa);
        }
    }
}

/* dw [cout][K] += dout^T * col, rows [c0, c1) of cout and columns [k0, k1) of K. */
static void gemm_dw(float *dw, const float *dout, const float *col, const struct geom *g,
                    int c0, int c1, int k0, int k1)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c1 - c0, k1 - k0,
                g->n * g->ho * g->wo, 1.0f, dout + c0, g->cout, col + k0, g->kk, 1.0f,
                dw + (size_t)c0 * g->kk + k0, g->kk);
}

/* dst [rows][K] = dout rows [row0, row0 + rows) * w, beta 0 (dcol) or 1 (din) */
static void gemm_dcol(float *dst, const float *dout, const float *w, const struct geom *g,
                      size_t row0, int rows, float beta)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, g->kk, g->cout,
                1.0f, dout + row0 * g->cout, g->cout, w, g->kk, beta, dst, g->kk);
}

static void backward_serial_blas(float *din, float *dw, float *dcol, const float *dout,
                                 const float *col, const float *w, const struct geom *g)
{
#pragma omp parallel
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        if (g->kk >= g->cout) {
            /* dw: this thread's slice of K, cut at multiples of 16 floats */
            const int k0 = (int)(((long long)g->kk * t / nt) & ~15LL);
            const int k1 =
                t == nt - 1 ? g->kk : (int)(((long long)g->kk * (t + 1) / nt) & ~15LL);
            if (k0 < k1)
                gemm_dw(dw, dout, col, g, 0, g->cout, k0, k1);
        } else {
            /* few columns (the first layer: K = 9): slice the output channels
             * instead, so the threads share the work and each packs only its
             * part of dout, the larger operand */
            const int c0 = (int)((long long)g->cout * t / nt);
            const int c1 = (int)((long long)g->cout * (t + 1) / nt);
            if (c0 < c1)
                gemm_dw(dw, dout, col, g, c0, c1, 0, g->kk);
        }
        if (din != NULL) {
            /* din: this thread's images; its band of dcol goes to the slot of
             * its first image, which no other thread touches */
            const int i0 = (int)((long long)g->n * t / nt);
            const int i1 = (int)((long long)g->n * (t + 1) / nt);
            float *slot = dcol + pos(g, i0, 0) * g->kk;
            for (int img = i0; img < i1; img++)
                for (int oy0 = 0; oy0 < g->ho; oy0 += g->band) {
                    const int oy1 = oy0 + g->band < g->ho ? oy0 + g->band : g->ho;
                    const size_t row0 = pos(g, img, oy0);
                    const int rows = (oy1 - oy0) * g->wo;
                    if (is_pointwise(g)) {
                        gemm_dcol(din + row0 * g->c, dout, w, g, row0, rows, 1.0f);
                    } else {
                        gemm_dcol(slot, dout, w, g, row0, rows, 0.0f);
                        col2im_band(din, slot, g, img, oy0, oy1);
                    }
                }
        }
    }
}

static void backward_threaded_blas(float *din, float *dw, float *dcol, const float *dout,
                                   const float *col, const float *w, const struct geom *g)
{
    gemm_dw(dw, dout, col, g, 0, g->cout, 0, g->kk);
    if (din == NULL)
        return;
    const int m = g->n * g->ho * g->wo;
    if (is_pointwise(g)) {
        gemm_dcol(din, dout, w, g, 0, m, 1.0f);
        return;
    }
    gemm_dcol(dcol, dout, w, g, 0, m, 0.0f);
#pragma omp parallel for schedule(static)
    for (int img = 0; img < g->n; img++)
        col2im_band(din, dcol + pos(g, img, 0) * g->kk, g, img, 0, g->ho);
}

void nn_conv_backward(float *din, float *dw, float *dcol, const float *dout,
                      const float *col, const float *w,
                      int n, int h, int w_, int c, int cout, int k, int stride, int pad)
{
    const struct geom g = make_geom(n, h, w_, c, cout, k, stride, pad);
    if (nn_blas_is_serial())
        backward_serial_blas(din, dw, dcol, dout, col, w, &g);
    else
        backward_threaded_blas(din, dw, dcol, dout, col, w, &g);
}

/* The definition, loop by loop, accumulated in double. */
void nn_conv_forward_ref(float *out, const float *in, const float *w,
                         int n, int h, int w_, int c, int cout, int k, int stride, int pad)
{
    const int ho = nn_conv_out_size(h, k, stride, pad);
    const int wo = nn_conv_out_size(w_, k, stride, pad);
    for (int img = 0; img < n; img++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
                for (int co = 0; co < cout; co++) {
                    double acc = 0.0;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                            for (int ci = 0; ci < c; ci++) {
                                const int iy = oy * stride - pad + ky;
                                const int ix = ox * stride - pad + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w_)
                                    continue;
                                acc += (double)in[(((size_t)img * h + iy) * w_ + ix) * c + ci]
                                     * w[(((size_t)co * k + ky) * k + kx) * c + ci];
                            }
                    out[(((size_t)img * ho + oy) * wo + ox) * cout + co] = (float)acc;
                }
}

/* nn/winograd.c: the 3 x 3, stride 1, pad 1 convolution by Winograd's
 * minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016), forward and backward, over NHWC
 * floats.
 *
 * The output is cut into 2 x 2 tiles (T = n ceil(h/2) ceil(w/2) of them);
 * tile t reads the 4 x 4 input patch d at rows 2 ty - 1 .. 2 ty + 2 and
 * columns 2 tx - 1 .. 2 tx + 2 (zeros outside the image), and
 *   V = B^T d B,   U = G g G^T,   M = sum over c of U . V,   Y = A^T M A
 * with, for each of the 16 positions x of the 4 x 4 transformed tile, one
 * GEMM  M[x] [T][cout] = V[x] [T][c] * U[x] [c][cout]  (OpenBLAS).
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * The products take 16 multiplies a tile and a channel pair where the im2col
 * GEMM takes 36: 2.25 times fewer. The backward is the exact adjoint of this
 * forward (not of the direct convolution: the two round differently):
 *   dM = A dY A^T,  dU[x] = V[x]^T dM[x],  dV[x] = dM[x] U[x]^T,
 *   dg += G^T dU G,  din += B dV B^T (scattered back onto the patches).
 *
 * Memory (all passed in; nothing here allocates):
 *   v  [T][16][c]   written by forward (V), read by backward, which then
 *                   overwrites it with dV: one backward per forward
 *   ws nn_wino_ws_floats(): U [16][c][cout], M or dM [T][16][cout], and
 *                   backward's dU [16][c][cout]
 * Tile-major: a tile's 16 transformed rows are one contiguous block, so the
 * transforms write and read one stream; the GEMM of x reads every 16th row
 * (leading dimension 16 c).
 *
 * Schedule: as nn/conv.c. With single-threaded OpenBLAS, OpenMP threads
 * take bands of tile rows of one image: the band's input transform, its 16
 * GEMMs and its output transform run while the band is in L2. Backward
 * transforms dY into dM, computes the 16 dU GEMMs in parallel over x (each
 * one whole GEMM, so dw does not depend on the thread count), then each
 * thread takes whole images for dV and din (its scatter-adds never meet
 * another thread's). With threaded OpenBLAS, one GEMM per x and product.
 *
 * Bits: the transforms are additions, subtractions and halvings in a fixed
 * order, vectorized over the channels (GCC vector extensions, one width per
 * instruction-set path, the same operations on each), so every path writes
 * the same bits; the GEMMs are OpenBLAS's (its kernel decides their bits, as
 * for nn/conv.c). Everything is deterministic for a fixed OpenBLAS kernel.
 *
 * Not here: other kernel sizes, strides or paddings (nn_wino_applies says
 * which), larger tiles (F(4x4, 3x3) saves more multiplies but loses about
 * two bits of precision to its transforms). */
#include "nn/layers.h"

#include <assert.h>
#include <cblas.h>
#include <omp.h>
#include <string.h>

enum { BAND_BYTES = 256 * 1024 }; /* target size of a band's V or M: half an L2 */

static const float zeros[NN_WINO_MAX_C];

struct wgeom {
    int n, h, w, c, cout;
    int th, tw;      /* tiles down and across an image */
    size_t T;        /* tiles in all */
    int band, bands; /* tile rows per band, bands per image */
};

static struct wgeom make_wgeom(int n, int h, int w, int c, int cout)
{
    struct wgeom g = {n, h, w, c, cout, (h + 1) / 2, (w + 1) / 2, 0, 0, 0};
    g.T = (size_t)n * g.th * g.tw;
    const int wide = c > cout ? c : cout;
    const size_t row_bytes = (size_t)16 * g.tw * wide * sizeof(float);
    int band = (int)(BAND_BYTES / row_bytes);
    band = band < 1 ? 1 : band > g.th ? g.th : band;
    g.bands = (g.th + band - 1) / band;
    g.band = (g.th + g.bands - 1) / g.bands;
    return g;
}

int nn_wino_applies(int k, int stride, int pad, int c, int cout)
{
    return k == 3 && stride == 1 && pad == 1 && c >= NN_WINO_MIN_C && c <= NN_WINO_MAX_C &&
           cout <= NN_WINO_MAX_C;
}

size_t nn_wino_v_floats(int n, int h, int w, int c)
{
    return (size_t)16 * make_wgeom(n, h, w, c, 1).T * c;
}

size_t nn_wino_ws_floats(int n, int h, int w, int c, int cout)
{
    return (size_t)16 * (2 * (size_t)c * cout + make_wgeom(n, h, w, c, cout).T * cout);
}

/* ---- the tile transforms, over a run of channels ----
 * Each is written once as a macro over an element type E (a float, or a GCC
 * vector of floats) with its load LD and store ST, and expanded for the
 * vector width of each path and for the scalar tail: the same operations in
 * the same order on every path. */

/* V[x] = (B^T d B)[x]: d[k] at p[k] + j, V[x] at v + x vs + j */
#define IN_TILE(E, LD, ST)                                                                 \
    do {                                                                                   \
        E d_[16], t_[16];                                                                  \
        for (int k_ = 0; k_ < 16; k_++)                                                    \
            d_[k_] = LD(p[k_] + j);                                                        \
        for (int q_ = 0; q_ < 4; q_++) {                                                   \
            t_[q_] = d_[q_] - d_[8 + q_];                                                  \
            t_[4 + q_] = d_[4 + q_] + d_[8 + q_];                                          \
            t_[8 + q_] = d_[8 + q_] - d_[4 + q_];                                          \
            t_[12 + q_] = d_[4 + q_] - d_[12 + q_];                                        \
        }                                                                                  \
        for (int r_ = 0; r_ < 16; r_ += 4) {                                               \
            ST(v + (size_t)(r_ + 0) * vs + j, t_[r_] - t_[r_ + 2]);                        \
            ST(v + (size_t)(r_ + 1) * vs + j, t_[r_ + 1] + t_[r_ + 2]);                    \
            ST(v + (size_t)(r_ + 2) * vs + j, t_[r_ + 2] - t_[r_ + 1]);                    \
            ST(v + (size_t)(r_ + 3) * vs + j, t_[r_ + 1] - t_[r_ + 3]);                    \
        }                                                                                  \
    } while (0)

/* Y = A^T M A: M[x] at m + x ms + j, Y[k] (row-major 2 x 2) at y[k] + j */
#define OUT_TILE(E, LD, ST)                                                                \
    do {                                                                                   \
        E m_[16], t_[8];                                                                   \
        for (int k_ = 0; k_ < 16; k_++)                                                    \
            m_[k_] = LD(m + (size_t)k_ * ms + j);                                          \
        for (int q_ = 0; q_ < 4; q_++) {                                                   \
            t_[q_] = (m_[q_] + m_[4 + q_]) + m_[8 + q_];                                   \
            t_[4 + q_] = (m_[4 + q_] - m_[8 + q_]) - m_[12 + q_];                          \
        }                                                                                  \
        for (int r_ = 0; r_ < 2; r_++) {                                                   \
            ST(y[2 * r_] + j, (t_[4 * r_] + t_[4 * r_ + 1]) + t_[4 * r_ + 2]);             \
            ST(y[2 * r_ + 1] + j, (t_[4 * r_ + 1] - t_[4 * r_ + 2]) - t_[4 * r_ + 3]);     \
        }                                                                                  \
    } while (0)

/* dM = A dY A^T, the adjoint of OUT_TILE: dY[k] at y[k] + j, dM[x] at m + x ms + j */
#define DOUT_TILE(E, LD, ST)                                                               \
    do {                                                                                   \
        E g_[4], t_[8];                                                                    \
        for (int k_ = 0; k_ < 4; k_++)                                                     \
            g_[k_] = LD(y[k_] + j);                                                        \
        for (int r_ = 0; r_ < 2; r_++) {                                                   \
            t_[4 * r_] = g_[2 * r_];                                                       \
            t_[4 * r_ + 1] = g_[2 * r_] + g_[2 * r_ + 1];                                  \
            t_[4 * r_ + 2] = g_[2 * r_] - g_[2 * r_ + 1];                                  \
            t_[4 * r_ + 3] = -g_[2 * r_ + 1];                                              \
        }                                                                                  \
        for (int q_ = 0; q_ < 4; q_++) {                                                   \
            ST(m + (size_t)q_ * ms + j, t_[q_]);                                           \
            ST(m + (size_t)(4 + q_) * ms + j, t_[q_] + t_[4 + q_]);                        \
            ST(m + (size_t)(8 + q_) * ms + j, t_[q_] - t_[4 + q_]);                        \
            ST(m + (size_t)(12 + q_) * ms + j, -t_[4 + q_]);                               \
        }                                                                                  \
    } while (0)

/* din += B dV B^T, the adjoint of IN_TILE: dV[x] at v + x vs + j, added to
 * p[k] + j (distinct positions, or scratch for those outside the image) */
#define DIN_TILE(E, LD, ST)                                                                \
    do {                                                                                   \
        E a_[16], t_[16];                                                                  \
        for (int k_ = 0; k_ < 16; k_++)                                                    \
            a_[k_] = LD(v + (size_t)k_ * vs + j);                                          \
        for (int r_ = 0; r_ < 16; r_ += 4) {                                               \
            t_[r_] = a_[r_];                                                               \
            t_[r_ + 1] = (a_[r_ + 1] - a_[r_ + 2]) + a_[r_ + 3];                           \
            t_[r_ + 2] = (a_[r_ + 1] + a_[r_ + 2]) - a_[r_];                               \
            t_[r_ + 3] = -a_[r_ + 3];                                                      \
        }                                                                                  \
        for (int q_ = 0; q_ < 4; q_++) {                                                   \
            const E e0_ = t_[q_], e1_ = (t_[4 + q_] - t_[8 + q_]) + t_[12 + q_];           \
            const E e2_ = (t_[4 + q_] + t_[8 + q_]) - t_[q_], e3_ = -t_[12 + q_];          \
            ST(p[q_] + j, LD(p[q_] + j) + e0_);                                            \
            ST(p[4 + q_] + j, LD(p[4 + q_] + j) + e1_);                                    \
            ST(p[8 + q_] + j, LD(p[8 + q_] + j) + e2_);                                    \
            ST(p[12 + q_] + j, LD(p[12 + q_] + j) + e3_);                                  \
        }                                                                                  \
    } while (0)

#define LD_F(p) (*(p))
#define ST_F(p, x) (*(p) = (x))

/* The four kernels of one path: vector type VT of VW floats, loads and
 * stores by memcpy (unaligned; GCC emits plain vector moves). */
#define WINO_PATH(SFX, ATTR, VW)                                                           \
    typedef float vf_##SFX __attribute__((vector_size(VW * sizeof(float))));               \
    ATTR static inline vf_##SFX ld_##SFX(const float *p)                                   \
    {                                                                                      \
        vf_##SFX x;                                                                        \
        memcpy(&x, p, sizeof x);                                                           \
        return x;                                                                          \
    }                                                                                      \
    ATTR static inline void st_##SFX(float *p, vf_##SFX x) { memcpy(p, &x, sizeof x); }    \
    ATTR static void in_tile_##SFX(float *v, size_t vs, const float *const *p, int c)      \
    {                                                                                      \
        int j = 0;                                                                         \
        for (; j + VW <= c; j += VW)                                                       \
            IN_TILE(vf_##SFX, ld_##SFX, st_##SFX);                                         \
        for (; j < c; j++)                                                                 \
            IN_TILE(float, LD_F, ST_F);                                                    \
    }                                                                                      \
    ATTR static void out_tile_##SFX(float *const *y, const float *m, size_t ms, int c)     \
    {                                                                                      \
        int j = 0;                                                                         \
        for (; j + VW <= c; j += VW)                                                       \
            OUT_TILE(vf_##SFX, ld_##SFX, st_##SFX);                                        \
        for (; j < c; j++)                                                                 \
            OUT_TILE(float, LD_F, ST_F);                                                   \
    }                                                                                      \
    ATTR static void dout_tile_##SFX(float *m, size_t ms, const float *const *y, int c)    \
    {                                                                                      \
        int j = 0;                                                                         \
        for (; j + VW <= c; j += VW)                                                       \
            DOUT_TILE(vf_##SFX, ld_##SFX, st_##SFX);                                       \
        for (; j < c; j++)                                                                 \
            DOUT_TILE(float, LD_F, ST_F);                                                  \
    }                                                                                      \
    ATTR static void din_tile_##SFX(float *const *p, const float *v, size_t vs, int c)     \
    {                                                                                      \
        int j = 0;                                                                         \
        for (; j + VW <= c; j += VW)                                                       \
            DIN_TILE(vf_##SFX, ld_##SFX, st_##SFX);                                        \
        for (; j < c; j++)                                                                 \
            DIN_TILE(float, LD_F, ST_F);                                                   \
    }

WINO_PATH(portable, , 4)
#if NN_ISA_X86
WINO_PATH(avx2, NN_TARGET_AVX2, 8)
WINO_PATH(avx512, NN_TARGET_AVX512, 16)
#endif

struct wino_kernels {
    void (*in_tile)(float *v, size_t vs, const float *const *p, int c);
    void (*out_tile)(float *const *y, const float *m, size_t ms, int c);
    void (*dout_tile)(float *m, size_t ms, const float *const *y, int c);
    void (*din_tile)(float *const *p, const float *v, size_t vs, int c);
};

static struct wino_kernels kernels_for(enum nn_isa isa)
{
#if NN_ISA_X86
    if (isa == NN_ISA_AVX512)
        return (struct wino_kernels){in_tile_avx512, out_tile_avx512, dout_tile_avx512,
                                     din_tile_avx512};
    if (isa == NN_ISA_AVX2)
        return (struct wino_kernels){in_tile_avx2, out_tile_avx2, dout_tile_avx2,
                                     din_tile_avx2};
#endif
    (void)isa;
    return (struct wino_kernels){in_tile_portable, out_tile_portable, dout_tile_portable,
                                 din_tile_portable};
}

/* ---- bands of tiles ---- */

/* The first tile of tile row ty of image img. */
static size_t tile_at(const struct wgeom *g, int img, int ty)
{
    return ((size_t)img * g->th + ty) * g->tw;
}

/* Pixel (y, x) of image img of an [n][h][w][ch] tensor, or NULL outside. */
static const float *pixel(const float *t, const struct wgeom *g, int ch, int img, int y, int x)
{
    if (y < 0 || y >= g->h || x < 0 || x >= g->w)
        return NULL;
    return t + (((size_t)img * g->h + y) * g->w + x) * ch;
}

/* V of tile rows [ty0, ty1) of image img. */
static void in_band(float *v, const float *in, const struct wgeom *g,
                    const struct wino_kernels *kn, int img, int ty0, int ty1)
{
    for (int ty = ty0; ty < ty1; ty++)
        for (int tx = 0; tx < g->tw; tx++) {
            const float *p[16];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    const float *s = pixel(in, g, g->c, img, 2 * ty - 1 + i, 2 * tx - 1 + j);
                    p[4 * i + j] = s ? s : zeros;
                }
            kn->in_tile(v + (tile_at(g, img, ty) + tx) * 16 * g->c, g->c, p, g->c);
        }
}

/* out of tile rows [ty0, ty1) of image img from M; junk takes what falls
 * outside the image (odd sizes). */
static void out_band(float *out, const float *m, const struct wgeom *g,
                     const struct wino_kernels *kn, int img, int ty0, int ty1, float *junk)
{
    for (int ty = ty0; ty < ty1; ty++)
        for (int tx = 0; tx < g->tw; tx++) {
            float *y[4];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) {
                    const float *s = pixel(out, g, g->cout, img, 2 * ty + i, 2 * tx + j);
                    y[2 * i + j] = s ? (float *)s : junk;
                }
            kn->out_tile(y, m + (tile_at(g, img, ty) + tx) * 16 * g->cout, g->cout, g->cout);
        }
}

/* dM of tile rows [ty0, ty1) of image img from dout (zeros outside). */
static void dout_band(float *m, const float *dout, const struct wgeom *g,
                      const struct wino_kernels *kn, int img, int ty0, int ty1)
{
    for (int ty = ty0; ty < ty1; ty++)
        for (int tx = 0; tx < g->tw; tx++) {
            const float *y[4];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) {
                    const float *s = pixel(dout, g, g->cout, img, 2 * ty + i, 2 * tx + j);
                    y[2 * i + j] = s ? s : zeros;
                }
            kn->dout_tile(m + (tile_at(g, img, ty) + tx) * 16 * g->cout, g->cout, y, g->cout);
        }
}

/* din += the patches of tile rows [ty0, ty1) of image img, from dV, tile by
 * tile in order; junk takes what falls outside the image. */
static void din_band(float *din, const float *v, const struct wgeom *g,
                     const struct wino_kernels *kn, int img, int ty0, int ty1, float *junk)
{
    for (int ty = ty0; ty < ty1; ty++)
        for (int tx = 0; tx < g->tw; tx++) {
            float *p[16];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    const float *s = pixel(din, g, g->c, img, 2 * ty - 1 + i, 2 * tx - 1 + j);
                    p[4 * i + j] = s ? (float *)s : junk;
                }
            kn->din_tile(p, v + (tile_at(g, img, ty) + tx) * 16 * g->c, g->c, g->c);
        }
}

/* ---- the weights ---- */

/* U[x][ci][co] = (G g G^T)[x] of w [cout][3][3][c]. */
static void weights_forward(float *u, const float *w, int c, int cout)
{
#pragma omp parallel for schedule(static) if ((size_t)c * cout >= 4096)
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < c; ci++) {
            float g[9], t[12];
            for (int k = 0; k < 9; k++)
                g[k] = w[((size_t)co * 9 + k) * c + ci];
            for (int q = 0; q < 3; q++) { /* t = G g, [4][3] */
                t[q] = g[q];
                t[3 + q] = 0.5f * ((g[q] + g[3 + q]) + g[6 + q]);
                t[6 + q] = 0.5f * ((g[q] - g[3 + q]) + g[6 + q]);
                t[9 + q] = g[6 + q];
            }
            for (int r = 0; r < 4; r++) { /* U = t G^T, [4][4] */
                const float *s = t + 3 * r;
                float *d = u + ((size_t)(4 * r) * c + ci) * cout + co;
                const size_t x = (size_t)c * cout;
                d[0] = s[0];
                d[x] = 0.5f * ((s[0] + s[1]) + s[2]);
                d[2 * x] = 0.5f * ((s[0] - s[1]) + s[2]);
                d[3 * x] = s[2];
            }
        }
}

/* dw [cout][3][3][c] += G^T dU G, the adjoint of weights_forward. */
static void weights_backward(float *dw, const float *du, int c, int cout)
{
    const size_t x = (size_t)c * cout;
#pragma omp parallel for schedule(static) if (x >= 4096)
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < c; ci++) {
            float t[12]; /* dt [4][3] = dU G */
            for (int r = 0; r < 4; r++) {
                const float *s = du + ((size_t)(4 * r) * c + ci) * cout + co;
                const float h = 0.5f * (s[x] + s[2 * x]);
                t[3 * r] = s[0] + h;
                t[3 * r + 1] = 0.5f * (s[x] - s[2 * x]);
                t[3 * r + 2] = s[3 * x] + h;
            }
            float *d = dw + (size_t)co * 9 * c + ci;
            for (int q = 0; q < 3; q++) { /* dg = G^T dt */
                const float h = 0.5f * (t[3 + q] + t[6 + q]);
                d[(size_t)q * c] += t[q] + h;
                d[(size_t)(3 + q) * c] += 0.5f * (t[3 + q] - t[6 + q]);
                d[(size_t)(6 + q) * c] += t[9 + q] + h;
            }
        }
}

/* ---- forward and backward ---- */

/* M[x] rows [t0, t0 + rows) = V[x] rows * U[x], for every x */
static void gemm_m(float *m, const float *v, const float *u, const struct wgeom *g, size_t t0,
                   size_t rows)
{
    for (int x = 0; x < 16; x++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, g->cout, g->c, 1.0f,
                    v + (t0 * 16 + x) * g->c, 16 * g->c, u + (size_t)x * g->c * g->cout,
                    g->cout, 0.0f, m + (t0 * 16 + x) * g->cout, 16 * g->cout);
}

/* dV[x] rows [t0, t0 + rows) = dM[x] rows * U[x]^T, into v, for every x */
static void gemm_dv(float *v, const float *m, const float *u, const struct wgeom *g, size_t t0,
                    size_t rows)
{
    for (int x = 0; x < 16; x++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, g->c, g->cout, 1.0f,
                    m + (t0 * 16 + x) * g->cout, 16 * g->cout, u + (size_t)x * g->c * g->cout,
                    g->cout, 0.0f, v + (t0 * 16 + x) * g->c, 16 * g->c);
}

/* dU[x] = V[x]^T dM[x] over all tiles */
static void gemm_du(float *du, const float *v, const float *m, const struct wgeom *g, int x)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->c, g->cout, (int)g->T, 1.0f,
                v + (size_t)x * g->c, 16 * g->c, m + (size_t)x * g->cout, 16 * g->cout, 0.0f,
                du + (size_t)x * g->c * g->cout, g->cout);
}

void nn_conv3_wino_forward(float *out, float *v, float *ws, const float *in, const float *w,
                           int n, int h, int w_, int c, int cout, enum nn_isa isa)
{
    assert(nn_wino_applies(3, 1, 1, c, cout));
    const struct wgeom g = make_wgeom(n, h, w_, c, cout);
    const struct wino_kernels kn = kernels_for(isa);
    float *u = ws, *m = ws + (size_t)16 * c * cout;
    weights_forward(u, w, c, cout);
    const int serial = nn_blas_is_serial();
#pragma omp parallel
    {
        float junk[NN_WINO_MAX_C];
#pragma omp for collapse(2) schedule(static)
        for (int img = 0; img < n; img++)
            for (int b = 0; b < g.bands; b++) {
                const int ty0 = b * g.band;
                const int ty1 = ty0 + g.band < g.th ? ty0 + g.band : g.th;
                if (ty0 >= ty1)
                    continue;
                in_band(v, in, &g, &kn, img, ty0, ty1);
                if (!serial)
                    continue;
                gemm_m(m, v, u, &g, tile_at(&g, img, ty0), (size_t)(ty1 - ty0) * g.tw);
                out_band(out, m, &g, &kn, img, ty0, ty1, junk);
            }
        if (!serial) {
#pragma omp single
            gemm_m(m, v, u, &g, 0, g.T);
#pragma omp for schedule(static)
            for (int img = 0; img < n; img++)
                out_band(out, m, &g, &kn, img, 0, g.th, junk);
        }
    }
}

void nn_conv3_wino_input(float *v, const float *in, int n, int h, int w_, int c,
                         enum nn_isa isa)
{
    assert(nn_wino_applies(3, 1, 1, c, 1));
    const struct wgeom g = make_wgeom(n, h, w_, c, 1);
    const struct wino_kernels kn = kernels_for(isa);
#pragma omp parallel for collapse(2) schedule(static)
    for (int img = 0; img < n; img++)
        for (int b = 0; b < g.bands; b++) {
            const int ty0 = b * g.band;
            const int ty1 = ty0 + g.band < g.th ? ty0 + g.band : g.th;
            if (ty0 < ty1)
                in_band(v, in, &g, &kn, img, ty0, ty1);
        }
}

void nn_conv3_wino_backward(float *din, float *dw, float *ws, float *v, const float *dout,
                            const float *w, int n, int h, int w_, int c, int cout,
                            enum nn_isa isa)
{
    assert(nn_wino_applies(3, 1, 1, c, cout));
    const struct wgeom g = make_wgeom(n, h, w_, c, cout);
    const struct wino_kernels kn = kernels_for(isa);
    const size_t cc = (size_t)c * cout;
    float *u = ws, *m = ws + 16 * cc, *du = m + 16 * g.T * cout;
    weights_forward(u, w, c, cout);
    const int serial = nn_blas_is_serial();
#pragma omp parallel
    {
        float junk[NN_WINO_MAX_C];
        /* dM of every tile */
#pragma omp for collapse(2) schedule(static)
        for (int img = 0; img < n; img++)
            for (int b = 0; b < g.bands; b++) {
                const int ty0 = b * g.band;
                const int ty1 = ty0 + g.band < g.th ? ty0 + g.band : g.th;
                if (ty0 < ty1)
                    dout_band(m, dout, &g, &kn, img, ty0, ty1);
            }
        /* dU[x] = V[x]^T dM[x]: one whole GEMM each, so dw does not depend
         * on the thread count */
        if (serial) {
#pragma omp for schedule(static)
            for (int x = 0; x < 16; x++)
                gemm_du(du, v, m, &g, x);
        } else {
#pragma omp single
            for (int x = 0; x < 16; x++)
                gemm_du(du, v, m, &g, x);
        }
        if (din != NULL && serial) {
            /* dV and din: this thread's images, band by band */
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            const int i0 = (int)((long long)n * t / nt), i1 = (int)((long long)n * (t + 1) / nt);
            for (int img = i0; img < i1; img++)
                for (int ty0 = 0; ty0 < g.th; ty0 += g.band) {
                    const int ty1 = ty0 + g.band < g.th ? ty0 + g.band : g.th;
                    gemm_dv(v, m, u, &g, tile_at(&g, img, ty0), (size_t)(ty1 - ty0) * g.tw);
                    din_band(din, v, &g, &kn, img, ty0, ty1, junk);
                }
        } else if (din != NULL) {
#pragma omp single
            gemm_dv(v, m, u, &g, 0, g.T);
#pragma omp for schedule(static)
            for (int img = 0; img < n; img++)
                din_band(din, v, &g, &kn, img, 0, g.th, junk);
        }
    }
    weights_backward(dw, du, c, cout);
}

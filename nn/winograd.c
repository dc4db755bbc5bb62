/* nn/winograd.c: the 3 x 3, stride 1, pad 1 convolution by Winograd's
 * minimal filtering F(m x m, 3 x 3), m = 2 or 4 (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016), forward and
 * backward, over NHWC floats.
 *
 * The output is cut into m x m tiles (T = n ceil(h/m) ceil(w/m) of them);
 * tile t reads the a x a input patch d (a = m + 2) at rows m ty - 1 ..
 * m ty + m and the same columns (zeros outside the image), and
 *   V = B^T d B,   U = G g G^T,   M = sum over c of U . V,   Y = A^T M A
 * with, for each of the X = a^2 positions x of the transformed tile, one
 * GEMM  M[x] [T][cout] = V[x] [T][c] * U[x]^T  (U[x] [cout][c], OpenBLAS).
 * F(2x2, 3x3):
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * F(4x4, 3x3) (Lavin's points 0, +-1, +-2):
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 *          1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * The products take X / m^2 multiplies an output and a channel pair where
 * the im2col GEMM takes 9: 4 with F(2x2) (2.25 times fewer), 2.25 with
 * F(4x4) (4 times fewer), before the tiles that overhang the map. F(4x4)
 * rounds more (its transforms scale by up to 8 and divide by 6 and 24): on
 * random data its error is about ten times F(2x2)'s, a few 1e-6 of the
 * output's magnitude (tests/test_conv.c). The backward is the exact adjoint of this forward
 * (not of the direct convolution: the two round differently):
 *   dM = A dY A^T,  dU[x] = dM[x]^T V[x],  dV[x] = dM[x] U[x],
 *   dg += G^T dU G,  din += B dV B^T (scattered back onto the patches).
 *
 * Memory (all passed in; nothing here allocates):
 *   v  [T][X][c]    written by forward (V), read by backward, which then
 *                   overwrites it with dV: one backward per forward
 *   ws nn_wino_ws_floats(): U [X][cout][c], M or dM [T][X][cout], and
 *                   backward's dU [X][cout][c] and its groups' sums
 *                   [NN_WINO_GROUPS][X][cout][c] (the weights' order:
 *                   contiguous in c on both sides of their transforms)
 * Tile-major: a tile's X transformed rows are one contiguous block, so the
 * transforms write and read one stream; the GEMM of x reads every X-th row
 * (leading dimension X c).
 *
 * Schedule: as nn/conv.c. With single-threaded OpenBLAS, OpenMP threads
 * take chunks of consecutive tiles (across images: small maps have few
 * tiles an image): the chunk's input transform, its X GEMMs and its output
 * transform run while the chunk is in cache. Backward splits the batch
 * into NN_WINO_GROUPS groups of whole images (fewer for a smaller batch),
 * taken by the threads; a group runs chunk by chunk while the chunk is in
 * cache: dM, the group's own dU sum (X GEMMs), dV and din (whose
 * scatter-adds never meet another group's). dU is then the groups' sums
 * added in group order, so dw does not depend on the thread count. With
 * threaded OpenBLAS, one GEMM per x and product.
 *
 * Bits: the transforms are additions, subtractions and multiplications by
 * constants in a fixed order, vectorized over the channels (GCC vector
 * extensions, one width per instruction-set path, the same operations on
 * each), so every path writes the same bits; the GEMMs are OpenBLAS's (its
 * kernel decides their bits, as for nn/conv.c). Everything is deterministic
 * for a fixed OpenBLAS kernel.
 *
 * Not here: other kernel sizes, strides or paddings (nn_wino_applies says
 * which); F(6x6, 3x3), whose transforms lose too much precision in float. */
#include "nn/layers.h"

#include <assert.h>
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Target size of a chunk's V or M. The OpenBLAS calls pack U[x] (c cout
 * floats) once per call, so a chunk must hold enough tiles to pay for it
 * (few on small maps at many channels): on res11-or's AVX2 path, 1 MiB
 * trained 7-10 % faster than chunks of 256 KiB, and as fast as 2 MiB. */
enum { CHUNK_BYTES = 1024 * 1024 };

static const float zeros[NN_WINO_MAX_C];

struct wgeom {
    int n, h, w, c, cout;
    int m, a, X;     /* output tile m x m, input patch a x a, X = a^2 */
    int th, tw;      /* tiles down and across an image */
    size_t T;        /* tiles in all */
    size_t chunk, chunks; /* tiles per chunk, chunks in all */
};

static struct wgeom make_wgeom(int tile, int n, int h, int w, int c, int cout)
{
    assert(tile == 2 || tile == 4);
    struct wgeom g = {n, h, w, c, cout, tile, tile + 2, (tile + 2) * (tile + 2),
                      (h + tile - 1) / tile, (w + tile - 1) / tile, 0, 0, 0};
    g.T = (size_t)n * g.th * g.tw;
    const int wide = c > cout ? c : cout;
    size_t chunk = CHUNK_BYTES / ((size_t)g.X * wide * sizeof(float));
    chunk = chunk < 1 ? 1 : chunk > g.T ? g.T : chunk;
    g.chunks = (g.T + chunk - 1) / chunk;
    g.chunk = (g.T + g.chunks - 1) / g.chunks; /* even the chunks out */
    return g;
}

/* LOGIQ_WINOGRAD=4 (F(4x4, 3x3), the default), 2 (F(2x2, 3x3)) or off
 * (im2col) */
enum nn_status nn_wino_tile_from_env(int *tile, struct nn_error *err)
{
    const char *env = getenv("LOGIQ_WINOGRAD");
    *tile = 4;
    if (env == NULL || env[0] == '\0' || strcmp(env, "4") == 0)
        return NN_OK;
    if (strcmp(env, "2") == 0 || strcmp(env, "off") == 0) {
        *tile = env[0] == '2' ? 2 : 0;
        return NN_OK;
    }
    return nn_fail(err, NN_ERR_ARG, "LOGIQ_WINOGRAD=%s: expected 4, 2 or off", env);
}

int nn_wino_applies(int k, int stride, int pad, int c, int cout)
{
    return k == 3 && stride == 1 && pad == 1 && c >= NN_WINO_MIN_C && c <= NN_WINO_MAX_C &&
           cout <= NN_WINO_MAX_C;
}

size_t nn_wino_v_floats(int tile, int n, int h, int w, int c)
{
    const struct wgeom g = make_wgeom(tile, n, h, w, c, 1);
    return (size_t)g.X * g.T * c;
}

size_t nn_wino_ws_floats(int tile, int n, int h, int w, int c, int cout)
{
    const struct wgeom g = make_wgeom(tile, n, h, w, c, cout);
    return (size_t)g.X * ((2 + NN_WINO_GROUPS) * (size_t)c * cout + g.T * cout);
}

/* ---- the tile transforms, over a run of channels ----
 * Each is written once as a macro over an element type E (a float, or a GCC
 * vector of floats) with its load LD and store ST, and expanded for the
 * vector width of each path and for the scalar tail: the same operations in
 * the same order on every path. */

/* F(2x2, 3x3). V[x] = (B^T d B)[x]: d[k] at p[k] + j, V[x] at v + x vs + j */
#define IN_TILE2(E, LD, ST)                                                                 \
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
#define OUT_TILE2(E, LD, ST)                                                                \
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
#define DOUT_TILE2(E, LD, ST)                                                               \
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
#define DIN_TILE2(E, LD, ST)                                                                \
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

/* F(4x4, 3x3): one line of 6 (or 4) values, from i[k si] to o[k so]. */
/* B^T along a line of the patch */
#define BT6(E, o, so, i, si)                                                               \
    do {                                                                                   \
        const E b0_ = (i)[0], b1_ = (i)[si], b2_ = (i)[2 * (si)], b3_ = (i)[3 * (si)];     \
        const E b4_ = (i)[4 * (si)], b5_ = (i)[5 * (si)];                                  \
        const E bp_ = b4_ - 4.0f * b2_, bq_ = 4.0f * b1_ - b3_;                            \
        const E br_ = b4_ - b2_, bs_ = 2.0f * (b1_ - b3_);                                 \
        (o)[0] = (4.0f * b0_ - 5.0f * b2_) + b4_;                                          \
        (o)[so] = bp_ - bq_;                                                               \
        (o)[2 * (so)] = bp_ + bq_;                                                         \
        (o)[3 * (so)] = br_ - bs_;                                                         \
        (o)[4 * (so)] = br_ + bs_;                                                         \
        (o)[5 * (so)] = (4.0f * b1_ - 5.0f * b3_) + b5_;                                   \
    } while (0)
/* its adjoint, B along a line */
#define BT6_ADJ(E, o, so, i, si)                                                           \
    do {                                                                                   \
        const E t0_ = (i)[0], t1_ = (i)[si], t2_ = (i)[2 * (si)], t3_ = (i)[3 * (si)];     \
        const E t4_ = (i)[4 * (si)], t5_ = (i)[5 * (si)];                                  \
        const E dp_ = t1_ + t2_, dq_ = t2_ - t1_, dr_ = t3_ + t4_, ds_ = t4_ - t3_;        \
        (o)[0] = 4.0f * t0_;                                                               \
        (o)[so] = (4.0f * dq_ + 2.0f * ds_) + 4.0f * t5_;                                  \
        (o)[2 * (so)] = (-5.0f * t0_ - 4.0f * dp_) - dr_;                                  \
        (o)[3 * (so)] = (-dq_ - 2.0f * ds_) - 5.0f * t5_;                                  \
        (o)[4 * (so)] = (t0_ + dp_) + dr_;                                                 \
        (o)[5 * (so)] = t5_;                                                               \
    } while (0)
/* A^T along a line of 6, to 4 */
#define AT6(E, o, so, i, si)                                                               \
    do {                                                                                   \
        const E a0_ = (i)[0], a1_ = (i)[si], a2_ = (i)[2 * (si)], a3_ = (i)[3 * (si)];     \
        const E a4_ = (i)[4 * (si)], a5_ = (i)[5 * (si)];                                  \
        const E sa_ = a1_ + a2_, da_ = a1_ - a2_, sc_ = a3_ + a4_, dc_ = a3_ - a4_;        \
        (o)[0] = (a0_ + sa_) + sc_;                                                        \
        (o)[so] = da_ + 2.0f * dc_;                                                        \
        (o)[2 * (so)] = sa_ + 4.0f * sc_;                                                  \
        (o)[3 * (so)] = (da_ + 8.0f * dc_) + a5_;                                          \
    } while (0)
/* its adjoint, A along a line of 4, to 6 */
#define AT6_ADJ(E, o, so, i, si)                                                           \
    do {                                                                                   \
        const E y0_ = (i)[0], y1_ = (i)[si], y2_ = (i)[2 * (si)], y3_ = (i)[3 * (si)];     \
        const E sa_ = y0_ + y2_, sc_ = y0_ + 4.0f * y2_;                                   \
        const E da_ = y1_ + y3_, dc_ = 2.0f * y1_ + 8.0f * y3_;                            \
        (o)[0] = y0_;                                                                      \
        (o)[so] = sa_ + da_;                                                               \
        (o)[2 * (so)] = sa_ - da_;                                                         \
        (o)[3 * (so)] = sc_ + dc_;                                                         \
        (o)[4 * (so)] = sc_ - dc_;                                                         \
        (o)[5 * (so)] = y3_;                                                               \
    } while (0)

/* F(4x4, 3x3): the same four tile transforms (columns first, then rows;
 * the adjoints in the reverse order) */
#define IN_TILE4(E, LD, ST)                                                                \
    do {                                                                                   \
        E d_[36], t_[36], o_[36];                                                          \
        for (int k_ = 0; k_ < 36; k_++)                                                    \
            d_[k_] = LD(p[k_] + j);                                                        \
        for (int q_ = 0; q_ < 6; q_++)                                                     \
            BT6(E, t_ + q_, 6, d_ + q_, 6);                                                \
        for (int r_ = 0; r_ < 6; r_++)                                                     \
            BT6(E, o_ + 6 * r_, 1, t_ + 6 * r_, 1);                                        \
        for (int k_ = 0; k_ < 36; k_++)                                                    \
            ST(v + (size_t)k_ * vs + j, o_[k_]);                                           \
    } while (0)

#define OUT_TILE4(E, LD, ST)                                                               \
    do {                                                                                   \
        E m_[36], t_[24], o_[16];                                                          \
        for (int k_ = 0; k_ < 36; k_++)                                                    \
            m_[k_] = LD(m + (size_t)k_ * ms + j);                                          \
        for (int q_ = 0; q_ < 6; q_++)                                                     \
            AT6(E, t_ + q_, 6, m_ + q_, 6);                                                \
        for (int r_ = 0; r_ < 4; r_++)                                                     \
            AT6(E, o_ + 4 * r_, 1, t_ + 6 * r_, 1);                                        \
        for (int k_ = 0; k_ < 16; k_++)                                                    \
            ST(y[k_] + j, o_[k_]);                                                         \
    } while (0)

#define DOUT_TILE4(E, LD, ST)                                                              \
    do {                                                                                   \
        E g_[16], t_[24], o_[36];                                                          \
        for (int k_ = 0; k_ < 16; k_++)                                                    \
            g_[k_] = LD(y[k_] + j);                                                        \
        for (int r_ = 0; r_ < 4; r_++)                                                     \
            AT6_ADJ(E, t_ + 6 * r_, 1, g_ + 4 * r_, 1);                                    \
        for (int q_ = 0; q_ < 6; q_++)                                                     \
            AT6_ADJ(E, o_ + q_, 6, t_ + q_, 6);                                            \
        for (int k_ = 0; k_ < 36; k_++)                                                    \
            ST(m + (size_t)k_ * ms + j, o_[k_]);                                           \
    } while (0)

#define DIN_TILE4(E, LD, ST)                                                               \
    do {                                                                                   \
        E a_[36], t_[36], o_[36];                                                          \
        for (int k_ = 0; k_ < 36; k_++)                                                    \
            a_[k_] = LD(v + (size_t)k_ * vs + j);                                          \
        for (int r_ = 0; r_ < 6; r_++)                                                     \
            BT6_ADJ(E, t_ + 6 * r_, 1, a_ + 6 * r_, 1);                                    \
        for (int q_ = 0; q_ < 6; q_++)                                                     \
            BT6_ADJ(E, o_ + q_, 6, t_ + q_, 6);                                            \
        for (int k_ = 0; k_ < 36; k_++)                                                    \
            ST(p[k_] + j, LD(p[k_] + j) + o_[k_]);                                         \
    } while (0)

#define LD_F(p) (*(p))
#define ST_F(p, x) (*(p) = (x))

/* One kernel KIND (IN, OUT, DOUT, DIN) of tile TILE for a path: vector
 * type vf_SFX of VW floats, then the scalar tail. */
#define WINO_KERNEL(KIND, TILE, SFX, ATTR, VW, ...)                                        \
    ATTR static void KIND##_tile##TILE##_##SFX(__VA_ARGS__, int c)                         \
    {                                                                                      \
        int j = 0;                                                                         \
        for (; j + VW <= c; j += VW)                                                       \
            KIND##_TILE##TILE(vf_##SFX, ld_##SFX, st_##SFX);                               \
        for (; j < c; j++)                                                                 \
            KIND##_TILE##TILE(float, LD_F, ST_F);                                          \
    }

/* The kernels of one path: loads and stores by memcpy (unaligned; GCC
 * emits plain vector moves). */
#define WINO_PATH(SFX, ATTR, VW)                                                           \
    typedef float vf_##SFX __attribute__((vector_size(VW * sizeof(float))));               \
    ATTR static inline vf_##SFX ld_##SFX(const float *p)                                   \
    {                                                                                      \
        vf_##SFX x;                                                                        \
        memcpy(&x, p, sizeof x);                                                           \
        return x;                                                                          \
    }                                                                                      \
    ATTR static inline void st_##SFX(float *p, vf_##SFX x) { memcpy(p, &x, sizeof x); }    \
    WINO_KERNEL(IN, 2, SFX, ATTR, VW, float *v, size_t vs, const float *const *p)          \
    WINO_KERNEL(OUT, 2, SFX, ATTR, VW, float *const *y, const float *m, size_t ms)         \
    WINO_KERNEL(DOUT, 2, SFX, ATTR, VW, float *m, size_t ms, const float *const *y)        \
    WINO_KERNEL(DIN, 2, SFX, ATTR, VW, float *const *p, const float *v, size_t vs)         \
    WINO_KERNEL(IN, 4, SFX, ATTR, VW, float *v, size_t vs, const float *const *p)          \
    WINO_KERNEL(OUT, 4, SFX, ATTR, VW, float *const *y, const float *m, size_t ms)         \
    WINO_KERNEL(DOUT, 4, SFX, ATTR, VW, float *m, size_t ms, const float *const *y)        \
    WINO_KERNEL(DIN, 4, SFX, ATTR, VW, float *const *p, const float *v, size_t vs)

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

#define WINO_KERNELS(TILE, SFX)                                                            \
    (struct wino_kernels)                                                                  \
    {                                                                                      \
        IN_tile##TILE##_##SFX, OUT_tile##TILE##_##SFX, DOUT_tile##TILE##_##SFX,            \
            DIN_tile##TILE##_##SFX                                                         \
    }

static struct wino_kernels kernels_for(int tile, enum nn_isa isa)
{
#if NN_ISA_X86
    if (isa == NN_ISA_AVX512)
        return tile == 4 ? WINO_KERNELS(4, avx512) : WINO_KERNELS(2, avx512);
    if (isa == NN_ISA_AVX2)
        return tile == 4 ? WINO_KERNELS(4, avx2) : WINO_KERNELS(2, avx2);
#endif
    (void)isa;
    return tile == 4 ? WINO_KERNELS(4, portable) : WINO_KERNELS(2, portable);
}

/* ---- runs of tiles ---- */

/* p[size * i + j] = pixel (y0 + i, x0 + j) of image img of an [n][h][w][ch]
 * tensor t, for i, j < size; outside where the pixel lies outside the image
 * (zeros for reads, a scratch row for writes). */
static void tile_ptrs(float **p, const float *t, const struct wgeom *g, int ch, int img, int y0,
                      int x0, int size, const float *outside)
{
    for (int i = 0; i < size; i++)
        for (int j = 0; j < size; j++) {
            const int y = y0 + i, x = x0 + j;
            const int in = y >= 0 && y < g->h && x >= 0 && x < g->w;
            p[size * i + j] =
                (float *)(in ? t + (((size_t)img * g->h + y) * g->w + x) * ch : outside);
        }
}

/* tile_ptrs of tile t (tile-major: images, then tile rows, then tile
 * columns): its a x a input patch (patch 1) or its m x m output (patch 0). */
static void tile_ptrs_at(float **p, const float *tensor, const struct wgeom *g, int ch,
                         size_t t, int patch, const float *outside)
{
    const size_t per = (size_t)g->th * g->tw;
    const int r = (int)(t % per), off = patch ? -1 : 0;
    tile_ptrs(p, tensor, g, ch, (int)(t / per), g->m * (r / g->tw) + off,
              g->m * (r % g->tw) + off, patch ? g->a : g->m, outside);
}

/* V of tiles [t0, t1). */
static void in_run(float *v, const float *in, const struct wgeom *g,
                   const struct wino_kernels *kn, size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++) {
        float *p[36];
        tile_ptrs_at(p, in, g, g->c, t, 1, zeros);
        kn->in_tile(v + t * g->X * g->c, g->c, (const float *const *)p, g->c);
    }
}

/* out of tiles [t0, t1) from M; junk takes what falls outside the image
 * (sizes not a multiple of m). */
static void out_run(float *out, const float *mm, const struct wgeom *g,
                    const struct wino_kernels *kn, size_t t0, size_t t1, float *junk)
{
    for (size_t t = t0; t < t1; t++) {
        float *y[16];
        tile_ptrs_at(y, out, g, g->cout, t, 0, junk);
        kn->out_tile(y, mm + t * g->X * g->cout, g->cout, g->cout);
    }
}

/* dM of tiles [t0, t1) from dout (zeros outside). */
static void dout_run(float *mm, const float *dout, const struct wgeom *g,
                     const struct wino_kernels *kn, size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++) {
        float *y[16];
        tile_ptrs_at(y, dout, g, g->cout, t, 0, zeros);
        kn->dout_tile(mm + t * g->X * g->cout, g->cout, (const float *const *)y, g->cout);
    }
}

/* din += the patches of tiles [t0, t1) from dV, tile by tile in order; junk
 * takes what falls outside the image. */
static void din_run(float *din, const float *v, const struct wgeom *g,
                    const struct wino_kernels *kn, size_t t0, size_t t1, float *junk)
{
    for (size_t t = t0; t < t1; t++) {
        float *p[36];
        tile_ptrs_at(p, din, g, g->c, t, 1, junk);
        kn->din_tile(p, v + t * g->X * g->c, g->c, g->c);
    }
}

/* ---- the weights ---- */

/* The weights' transforms run over WL input channels at once (a GCC vector:
 * the same operations on every lane as on a float, so the same bits). */
enum { WL = 16 };
typedef float wv __attribute__((vector_size(WL * sizeof(float))));

/* o[k so], k < m + 2 = G i for the 3 values i[k si] (G of F(m x m, 3 x 3)) */
static void g_line(int m, wv *o, int so, const wv *i, int si)
{
    const wv g0 = i[0], g1 = i[si], g2 = i[2 * si];
    if (m == 2) {
        o[0] = g0;
        o[so] = 0.5f * ((g0 + g1) + g2);
        o[2 * so] = 0.5f * ((g0 - g1) + g2);
        o[3 * so] = g2;
        return;
    }
    const float c6 = 1.0f / 6.0f, c24 = 1.0f / 24.0f;
    const wv e = g0 + g2, f = g0 + 4.0f * g2;
    o[0] = 0.25f * g0;
    o[so] = -c6 * (e + g1);
    o[2 * so] = -c6 * (e - g1);
    o[3 * so] = c24 * (f + 2.0f * g1);
    o[4 * so] = c24 * (f - 2.0f * g1);
    o[5 * so] = g2;
}

/* its adjoint: the 3 values o[k so] = G^T i for the m + 2 values i[k si] */
static void g_line_adj(int m, wv *o, int so, const wv *i, int si)
{
    if (m == 2) {
        const wv h = 0.5f * (i[si] + i[2 * si]);
        o[0] = i[0] + h;
        o[so] = 0.5f * (i[si] - i[2 * si]);
        o[2 * so] = i[3 * si] + h;
        return;
    }
    const float c6 = 1.0f / 6.0f, c24 = 1.0f / 24.0f;
    const wv s12 = i[si] + i[2 * si], s34 = i[3 * si] + i[4 * si];
    o[0] = (0.25f * i[0] - c6 * s12) + c24 * s34;
    o[so] = c6 * (i[2 * si] - i[si]) + 2.0f * c24 * (i[3 * si] - i[4 * si]);
    o[2 * so] = (i[5 * si] - c6 * s12) + 4.0f * c24 * s34;
}

/* *x = lanes [0, nl) from p, the rest 0; and back (by pointer: a vector
 * wider than the baseline's registers has no portable calling convention). */
static void load_lanes(wv *x, const float *p, int nl)
{
    memset(x, 0, sizeof *x);
    memcpy(x, p, (size_t)nl * sizeof(float));
}

static void store_lanes(float *p, const wv *x, int nl)
{
    memcpy(p, x, (size_t)nl * sizeof(float));
}

/* U[x][co][ci] = (G g G^T)[x] of w [cout][3][3][c]. */
static void weights_forward(float *u, const float *w, const struct wgeom *g)
{
    const int c = g->c, cout = g->cout, a = g->a;
#pragma omp parallel for schedule(static) if ((size_t)c * cout >= 4096)
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < c; ci += WL) {
            const int nl = c - ci < WL ? c - ci : WL;
            wv k3[9], t[18], x[36];
            for (int k = 0; k < 9; k++)
                load_lanes(&k3[k], w + ((size_t)co * 9 + k) * c + ci, nl);
            for (int q = 0; q < 3; q++) /* t = G g, [a][3] */
                g_line(g->m, t + q, 3, k3 + q, 3);
            for (int r = 0; r < a; r++) /* U = t G^T, [a][a] */
                g_line(g->m, x + a * r, 1, t + 3 * r, 1);
            for (int k = 0; k < g->X; k++)
                store_lanes(u + ((size_t)k * cout + co) * c + ci, &x[k], nl);
        }
}

/* dw [cout][3][3][c] += G^T dU G, the adjoint of weights_forward. */
static void weights_backward(float *dw, const float *du, const struct wgeom *g)
{
    const int c = g->c, cout = g->cout, a = g->a;
#pragma omp parallel for schedule(static) if ((size_t)c * cout >= 4096)
    for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < c; ci += WL) {
            const int nl = c - ci < WL ? c - ci : WL;
            wv x[36], t[18], k3[9];
            for (int k = 0; k < g->X; k++)
                load_lanes(&x[k], du + ((size_t)k * cout + co) * c + ci, nl);
            for (int r = 0; r < a; r++) /* dt = dU G, [a][3] */
                g_line_adj(g->m, t + 3 * r, 1, x + a * r, 1);
            for (int q = 0; q < 3; q++) /* dg = G^T dt */
                g_line_adj(g->m, k3 + q, 3, t + q, 3);
            float *d = dw + (size_t)co * 9 * c + ci;
            for (int k = 0; k < 9; k++) {
                wv sum;
                load_lanes(&sum, d + (size_t)k * c, nl);
                sum += k3[k];
                store_lanes(d + (size_t)k * c, &sum, nl);
            }
        }
}

/* ---- forward and backward ---- */

/* M[x] rows [t0, t0 + rows) = V[x] rows * U[x]^T, for every x */
static void gemm_m(float *mm, const float *v, const float *u, const struct wgeom *g, size_t t0,
                   size_t rows)
{
    const int X = g->X;
    for (int x = 0; x < X; x++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, g->cout, g->c, 1.0f,
                    v + (t0 * X + x) * g->c, X * g->c, u + (size_t)x * g->cout * g->c, g->c,
                    0.0f, mm + (t0 * X + x) * g->cout, X * g->cout);
}

/* dV[x] rows [t0, t0 + rows) = dM[x] rows * U[x], into v, for every x */
static void gemm_dv(float *v, const float *mm, const float *u, const struct wgeom *g, size_t t0,
                    size_t rows)
{
    const int X = g->X;
    for (int x = 0; x < X; x++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, g->c, g->cout, 1.0f,
                    mm + (t0 * X + x) * g->cout, X * g->cout, u + (size_t)x * g->cout * g->c,
                    g->c, 0.0f, v + (t0 * X + x) * g->c, X * g->c);
}

/* dU[x] (beta 0) or += (beta 1) dM[x]^T V[x] over tiles [t0, t0 + rows), for every x */
static void gemm_du_rows(float *du, const float *v, const float *mm, const struct wgeom *g,
                         size_t t0, size_t rows, float beta)
{
    const int X = g->X;
    for (int x = 0; x < X; x++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->cout, g->c, (int)rows, 1.0f,
                    mm + (t0 * X + x) * g->cout, X * g->cout, v + (t0 * X + x) * g->c,
                    X * g->c, beta, du + (size_t)x * g->cout * g->c, g->c);
}

/* Tiles [*t0, *t1) of chunk k of the tiles [from, to). */
static void chunk_range(const struct wgeom *g, size_t from, size_t to, size_t k, size_t *t0,
                        size_t *t1)
{
    *t0 = from + k * g->chunk;
    *t1 = *t0 + g->chunk < to ? *t0 + g->chunk : to;
}

void nn_conv3_wino_forward(float *out, float *v, float *ws, const float *in, const float *w,
                           int tile, int n, int h, int w_, int c, int cout, enum nn_isa isa)
{
    assert(nn_wino_applies(3, 1, 1, c, cout));
    const struct wgeom g = make_wgeom(tile, n, h, w_, c, cout);
    const struct wino_kernels kn = kernels_for(tile, isa);
    float *u = ws, *mm = ws + (size_t)g.X * c * cout;
    weights_forward(u, w, &g);
    const int serial = nn_blas_is_serial();
#pragma omp parallel
    {
        float junk[NN_WINO_MAX_C] = {0}; /* takes the writes that fall outside the map */
        size_t t0, t1;
#pragma omp for schedule(static)
        for (size_t k = 0; k < g.chunks; k++) {
            chunk_range(&g, 0, g.T, k, &t0, &t1);
            in_run(v, in, &g, &kn, t0, t1);
            if (!serial)
                continue;
            gemm_m(mm, v, u, &g, t0, t1 - t0);
            out_run(out, mm, &g, &kn, t0, t1, junk);
        }
        if (!serial) {
#pragma omp single
            gemm_m(mm, v, u, &g, 0, g.T);
#pragma omp for schedule(static)
            for (size_t k = 0; k < g.chunks; k++) {
                chunk_range(&g, 0, g.T, k, &t0, &t1);
                out_run(out, mm, &g, &kn, t0, t1, junk);
            }
        }
    }
}

void nn_conv3_wino_input(float *v, const float *in, int tile, int n, int h, int w_, int c,
                         enum nn_isa isa)
{
    assert(nn_wino_applies(3, 1, 1, c, 1));
    const struct wgeom g = make_wgeom(tile, n, h, w_, c, 1);
    const struct wino_kernels kn = kernels_for(tile, isa);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < g.chunks; k++) {
        size_t t0, t1;
        chunk_range(&g, 0, g.T, k, &t0, &t1);
        in_run(v, in, &g, &kn, t0, t1);
    }
}

void nn_conv3_wino_backward(float *din, float *dw, float *ws, float *v, const float *dout,
                            const float *w, int tile, int n, int h, int w_, int c, int cout,
                            enum nn_isa isa)
{
    assert(nn_wino_applies(3, 1, 1, c, cout));
    const struct wgeom g = make_wgeom(tile, n, h, w_, c, cout);
    const struct wino_kernels kn = kernels_for(tile, isa);
    const size_t cc = (size_t)c * cout;
    float *u = ws, *mm = ws + g.X * cc, *du = mm + g.X * g.T * cout, *dup = du + g.X * cc;
    weights_forward(u, w, &g);
    const int serial = nn_blas_is_serial(), groups = n < NN_WINO_GROUPS ? n : NN_WINO_GROUPS;
#pragma omp parallel
    {
        float junk[NN_WINO_MAX_C] = {0}; /* takes the writes that fall outside the map */
        size_t t0, t1;
        if (serial) {
            /* each group of whole images, chunk by chunk while the chunk is
             * in cache: dM, the group's dU (its own sum), dV, din (whose
             * scatter-adds never meet another group's) */
#pragma omp for schedule(static)
            for (int grp = 0; grp < groups; grp++) {
                const size_t per = (size_t)g.th * g.tw;
                const size_t from = per * (size_t)((long long)n * grp / groups);
                const size_t to = per * (size_t)((long long)n * (grp + 1) / groups);
                float *dug = dup + (size_t)grp * g.X * cc;
                for (size_t k = 0; from + k * g.chunk < to; k++) {
                    chunk_range(&g, from, to, k, &t0, &t1);
                    dout_run(mm, dout, &g, &kn, t0, t1);
                    gemm_du_rows(dug, v, mm, &g, t0, t1 - t0, k == 0 ? 0.0f : 1.0f);
                    if (din == NULL)
                        continue;
                    gemm_dv(v, mm, u, &g, t0, t1 - t0);
                    din_run(din, v, &g, &kn, t0, t1, junk);
                }
            }
            /* dU = the groups' sums, added in group order, a block of
             * elements at a time (the group loop inside would not vectorize) */
            const size_t nd = g.X * cc, blk = 1024;
#pragma omp for schedule(static)
            for (size_t j0 = 0; j0 < nd; j0 += blk) {
                const size_t j1 = nd - j0 < blk ? nd : j0 + blk;
                memcpy(du + j0, dup + j0, (j1 - j0) * sizeof(float));
                for (int grp = 1; grp < groups; grp++) {
                    const float *p = dup + (size_t)grp * nd;
                    for (size_t j = j0; j < j1; j++)
                        du[j] += p[j];
                }
            }
        } else {
#pragma omp for schedule(static)
            for (size_t k = 0; k < g.chunks; k++) {
                chunk_range(&g, 0, g.T, k, &t0, &t1);
                dout_run(mm, dout, &g, &kn, t0, t1);
            }
#pragma omp single
            {
                gemm_du_rows(du, v, mm, &g, 0, g.T, 0.0f);
                if (din != NULL)
                    gemm_dv(v, mm, u, &g, 0, g.T);
            }
            if (din != NULL) {
#pragma omp for schedule(static)
                for (int img = 0; img < n; img++) {
                    const size_t per = (size_t)g.th * g.tw;
                    din_run(din, v, &g, &kn, per * img, per * (img + 1), junk);
                }
            }
        }
    }
    weights_backward(dw, du, &g);
}

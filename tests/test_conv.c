/* tests/test_conv.c: the optimized convolution (im2col + SGEMM, col2im)
 * against naive loop references, and its determinism.
 *
 *  - forward: nn_conv_forward vs nn_conv_forward_ref on shapes with odd
 *    sizes, k = 1, 3, 5, stride 1 and 2, pad 0..2, c and cout not multiples
 *    of 8, n = 1..3;
 *  - backward: dw and din vs the loop definitions below (accumulated in
 *    double) on the same shapes (tests/test_layers.c checks the backward
 *    against finite differences on small shapes);
 *  - determinism: two forward + backward runs give identical bits;
 *  - the Winograd F(2x2, 3x3) and F(4x4, 3x3) convolutions (nn/winograd.c): forward and
 *    backward against the same references, its paths bit for bit against
 *    the portable one, determinism and the accumulate contract;
 *  - the XNOR-popcount forward (nn_conv_forward_xnor, and _pixels) of sign, Heaviside
 *    and ternary inputs with binary and ternary weights, on each path the
 *    CPU runs, bit for bit against the exact reference and the float path
 *    it replaces.
 * nn/conv.c has two schedules, chosen by whether OpenBLAS runs single-threaded;
 * with a pthreads OpenBLAS the test runs everything under both (switching
 * with openblas_set_num_threads).
 * Tolerance policy, stated once: max |opt - ref| / max(1, max |ref|) <= 1e-5;
 * determinism and the XNOR forward are bitwise.
 *
 * With LOGIQ_BENCH=1 in the environment it also times forward and backward
 * for n=128, 28x28, c=32 -> cout=32, k=3, pad=1 (printed, not asserted). */
#include "nn/layers.h"
#include "nn/xnor.h"
#include "tests/testutil.h"

#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define TOL 1e-5

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static float rng_float(void) /* [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) * 0x1.0p-52 - 1.0);
}

static float *alloc_floats(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void fill(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_float();
}

static double norm_diff(const float *x, const float *y, size_t n)
{
    double d = 0.0, m = 1.0;
    for (size_t i = 0; i < n; i++) {
        const double e = fabs((double)x[i] - y[i]);
        d = e > d ? e : d;
        m = fabs(y[i]) > m ? fabs(y[i]) : m;
    }
    return d / m;
}

struct conv_case {
    int n, h, w, c, cout, k, stride, pad;
};

/* dw [cout][k][k][c] and din [n][h][w][c] by the definition: every
 * (output position, tap) pair adds its product. */
static void conv_backward_ref(float *din, float *dw, const float *dout, const float *in,
                              const float *w, struct conv_case s)
{
    const int ho = nn_conv_out_size(s.h, s.k, s.stride, s.pad);
    const int wo = nn_conv_out_size(s.w, s.k, s.stride, s.pad);
    const size_t n_in = (size_t)s.n * s.h * s.w * s.c;
    const size_t n_w = (size_t)s.cout * s.k * s.k * s.c;
    double *gi = calloc(n_in, sizeof(double)), *gw = calloc(n_w, sizeof(double));
    if (gi == NULL || gw == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    for (int img = 0; img < s.n; img++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
                for (int co = 0; co < s.cout; co++) {
                    const double g = dout[(((size_t)img * ho + oy) * wo + ox) * s.cout + co];
                    for (int ky = 0; ky < s.k; ky++)
                        for (int kx = 0; kx < s.k; kx++) {
                            const int iy = oy * s.stride - s.pad + ky;
                            const int ix = ox * s.stride - s.pad + kx;
                            if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                                continue;
                            for (int ci = 0; ci < s.c; ci++) {
                                const size_t ii = (((size_t)img * s.h + iy) * s.w + ix) * s.c + ci;
                                const size_t wi = (((size_t)co * s.k + ky) * s.k + kx) * s.c + ci;
                                gi[ii] += g * w[wi];
                                gw[wi] += g * in[ii];
                            }
                        }
                }
    for (size_t i = 0; i < n_in; i++)
        din[i] = (float)gi[i];
    for (size_t i = 0; i < n_w; i++)
        dw[i] = (float)gw[i];
    free(gi);
    free(gw);
}

static void report(const char *what, double e)
{
    printf("  %-30s max |opt - ref| / max(1, max |ref|) = %.3g\n", what, e);
    TU_CHECK(e <= TOL, "%s: normalized error %g > %g", what, e, TOL);
}

static void test_case(struct conv_case s)
{
    const int ho = nn_conv_out_size(s.h, s.k, s.stride, s.pad);
    const int wo = nn_conv_out_size(s.w, s.k, s.stride, s.pad);
    const size_t n_in = (size_t)s.n * s.h * s.w * s.c;
    const size_t n_w = (size_t)s.cout * s.k * s.k * s.c;
    const size_t m = (size_t)s.n * ho * wo;
    const size_t n_out = m * s.cout, n_col = m * s.k * s.k * s.c;
    float *in = alloc_floats(n_in), *w = alloc_floats(n_w);
    float *out = alloc_floats(n_out), *ref = alloc_floats(n_out), *dout = alloc_floats(n_out);
    float *col = alloc_floats(n_col), *dcol = alloc_floats(n_col);
    float *din = alloc_floats(n_in), *dw = alloc_floats(n_w);
    float *din_ref = alloc_floats(n_in), *dw_ref = alloc_floats(n_w);
    fill(in, n_in);
    fill(w, n_w);
    fill(dout, n_out);

    printf("conv n=%d %dx%d c=%d -> cout=%d k=%d stride=%d pad=%d (out %dx%d)\n",
           s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad, ho, wo);
    nn_conv_forward(out, col, in, w, s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
    nn_conv_forward_ref(ref, in, w, s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
    report("forward", norm_diff(out, ref, n_out));

    nn_conv_backward(din, dw, dcol, dout, col, w, s.n, s.h, s.w, s.c, s.cout, s.k,
                     s.stride, s.pad);
    conv_backward_ref(din_ref, dw_ref, dout, in, w, s);
    report("backward dw", norm_diff(dw, dw_ref, n_w));
    report("backward din", norm_diff(din, din_ref, n_in));

    free(in); free(w); free(out); free(ref); free(dout); free(col); free(dcol);
    free(din); free(dw); free(din_ref); free(dw_ref);
}

/* Two identical forward + backward runs must agree bit for bit. */
static void test_determinism(struct conv_case s)
{
    const int ho = nn_conv_out_size(s.h, s.k, s.stride, s.pad);
    const int wo = nn_conv_out_size(s.w, s.k, s.stride, s.pad);
    const size_t n_in = (size_t)s.n * s.h * s.w * s.c;
    const size_t n_w = (size_t)s.cout * s.k * s.k * s.c;
    const size_t m = (size_t)s.n * ho * wo;
    const size_t n_out = m * s.cout, n_col = m * s.k * s.k * s.c;
    float *in = alloc_floats(n_in), *w = alloc_floats(n_w), *dout = alloc_floats(n_out);
    float *col = alloc_floats(n_col), *dcol = alloc_floats(n_col);
    float *out[2], *din[2], *dw[2];
    fill(in, n_in);
    fill(w, n_w);
    fill(dout, n_out);
    for (int run = 0; run < 2; run++) {
        out[run] = alloc_floats(n_out);
        din[run] = alloc_floats(n_in);
        dw[run] = alloc_floats(n_w);
        nn_conv_forward(out[run], col, in, w, s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
        nn_conv_backward(din[run], dw[run], dcol, dout, col, w, s.n, s.h, s.w, s.c, s.cout,
                         s.k, s.stride, s.pad);
    }
    const int same = memcmp(out[0], out[1], n_out * sizeof(float)) == 0
                  && memcmp(din[0], din[1], n_in * sizeof(float)) == 0
                  && memcmp(dw[0], dw[1], n_w * sizeof(float)) == 0;
    printf("determinism n=%d %dx%d c=%d -> cout=%d k=%d: two runs of out, din, dw %s\n",
           s.n, s.h, s.w, s.c, s.cout, s.k, same ? "bit-identical" : "DIFFER");
    TU_CHECK(same, "conv forward/backward is not deterministic");
    for (int run = 0; run < 2; run++) {
        free(out[run]);
        free(din[run]);
        free(dw[run]);
    }
    free(in); free(w); free(dout); free(col); free(dcol);
}

enum xnor_input { IN_SIGN, IN_HEAVISIDE, IN_TERNARY };

/* Inputs in {-1, +1} (sign), {0, 1} (Heaviside) or {-1, 0, +1} (ternary),
 * binary or ternary weights: nn_conv_forward_xnor on every path this CPU
 * runs must equal, bit for bit, (a) the exact reference (nn_conv_forward_ref
 * accumulates in double, where every partial sum of +-scale is exact, and
 * rounds once to float: scale * dot correctly rounded), (b) the float path
 * it replaces, an SGEMM over the codes and the multiply by scale, and
 * (c) its col must be nn_conv_forward's; and nn_conv_forward_xnor_pixels
 * (no col: the rows gathered from the packed pixels) must equal (a). The old float path, an SGEMM over
 * the scaled weights, is only within TOL of them: its partial sums are
 * rounded (the number of differing outputs is printed). */
static void test_xnor_case(struct conv_case s, int per_channel, enum xnor_input kind,
                           int ternary)
{
    const int ho = nn_conv_out_size(s.h, s.k, s.stride, s.pad);
    const int wo = nn_conv_out_size(s.w, s.k, s.stride, s.pad);
    const int K = s.k * s.k * s.c;
    const size_t n_in = (size_t)s.n * s.h * s.w * s.c;
    const size_t n_w = (size_t)s.cout * K;
    const size_t m = (size_t)s.n * ho * wo;
    const size_t n_out = m * s.cout, n_col = m * K;
    float *in = alloc_floats(n_in), *code = alloc_floats(n_w), *wq = alloc_floats(n_w);
    float *scale = alloc_floats((size_t)s.cout);
    float *ref = alloc_floats(n_out), *flt = alloc_floats(n_out), *out = alloc_floats(n_out);
    float *col_f = alloc_floats(n_col), *col_x = alloc_floats(n_col);
    uint64_t *wt = calloc(nn_xnor_weight_words(s.cout, K), sizeof(uint64_t));
    uint64_t *wm = ternary ? calloc(nn_xnor_weight_words(s.cout, K), sizeof(uint64_t)) : NULL;
    const size_t n_bits = nn_conv_xnor_pixel_bytes(s.n, s.h, s.w, s.c);
    uint64_t *bits = malloc(n_bits);
    TU_CHECK(wt != NULL && (wm != NULL || !ternary) && bits != NULL, "out of memory");
    /* a value of {-1, 0, +1}, 0 with probability about 1/3 */
    #define TERN(r) ((r) < -1.0f / 3 ? -1.0f : (r) < 1.0f / 3 ? 0.0f : 1.0f)
    for (size_t i = 0; i < n_in; i++) {
        const float r = rng_float();
        in[i] = kind == IN_SIGN ? (r < 0.0f ? -1.0f : 1.0f)
                : kind == IN_HEAVISIDE ? (r < 0.0f ? 0.0f : 1.0f) : TERN(r);
    }
    for (int c = 0; c < s.cout; c++) /* scales with full 24-bit mantissas */
        scale[c] = 0.05f + 0.1f * (rng_float() + 1.0f);
    for (size_t i = 0; i < n_w; i++) {
        const float r = rng_float();
        code[i] = ternary ? TERN(r) : r < 0.0f ? -1.0f : 1.0f;
        wq[i] = scale[per_channel ? i / K : 0] * code[i];
    }
    #undef TERN
    static const char *in_names[] = {"sign", "heaviside", "ternary"};
    printf("xnor conv n=%d %dx%d c=%d -> cout=%d k=%d stride=%d pad=%d K=%d, %s scale, "
           "%s inputs, %s weights\n", s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad, K,
           per_channel ? "per-channel" : "one", in_names[kind], ternary ? "ternary" : "binary");
    nn_conv_forward_ref(ref, in, wq, s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
    nn_conv_forward(flt, col_f, in, code, s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
    for (size_t i = 0; i < n_out; i++)
        flt[i] = scale[per_channel ? i % s.cout : 0] * flt[i];
    TU_CHECK(memcmp(flt, ref, n_out * sizeof(float)) == 0,
             "SGEMM over the codes, then scale: not the exact reference");
    float *old = alloc_floats(n_out);
    nn_conv_forward(old, col_f, in, wq, s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
    size_t old_diff = 0;
    for (size_t i = 0; i < n_out; i++)
        old_diff += old[i] != ref[i];
    printf("  SGEMM over the scaled weights: %zu of %zu outputs differ from the exact one, "
           "normalized error %.3g\n", old_diff, n_out, norm_diff(old, ref, n_out));
    TU_CHECK(norm_diff(old, ref, n_out) <= TOL, "old float path beyond tolerance");
    free(old);

    nn_xnor_pack_weights(wt, wm, wq, s.cout, K);
    /* every path this CPU runs; the portable one runs everywhere */
    for (int j = 0; j < NN_ISA_COUNT; j++) {
        const enum nn_isa isa = (enum nn_isa)j;
        const char *name = nn_isa_name(isa);
        if (!nn_isa_supported(isa)) {
            printf("  %-8s path: not supported by this CPU, skipped\n", name);
            continue;
        }
        memset(out, 0xff, n_out * sizeof(float));
        memset(col_x, 0xff, n_col * sizeof(float));
        nn_conv_forward_xnor(out, col_x, in, wt, wm, scale, per_channel, s.n, s.h, s.w, s.c,
                             s.cout, s.k, s.stride, s.pad, isa);
        size_t diff = 0;
        for (size_t i = 0; i < n_out; i++)
            diff += memcmp(&out[i], &ref[i], sizeof(float)) != 0;
        const int same_col = memcmp(col_x, col_f, n_col * sizeof(float)) == 0;
        printf("  %-8s path: %zu outputs differ from the exact reference, col %s\n", name,
               diff, same_col ? "identical" : "DIFFERS");
        TU_CHECK(diff == 0, "xnor %s: %zu outputs differ", name, diff);
        TU_CHECK(same_col, "xnor %s: col differs from nn_conv_forward's", name);
        /* without col: rows gathered from the packed pixels */
        memset(out, 0xff, n_out * sizeof(float));
        memset(bits, 0xff, n_bits);
        nn_conv_forward_xnor_pixels(out, bits, in, wt, wm, scale, per_channel, s.n, s.h, s.w,
                                    s.c, s.cout, s.k, s.stride, s.pad, isa);
        diff = 0;
        for (size_t i = 0; i < n_out; i++)
            diff += memcmp(&out[i], &ref[i], sizeof(float)) != 0;
        printf("  %-8s path, packed pixels: %zu outputs differ from the exact reference\n",
               name, diff);
        TU_CHECK(diff == 0, "xnor %s, packed pixels: %zu outputs differ", name, diff);
    }
    free(in); free(code); free(wq); free(scale); free(ref); free(flt); free(out);
    free(col_f); free(col_x); free(wt); free(wm); free(bits);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void bench(void)
{
    const struct conv_case s = {128, 28, 28, 32, 32, 3, 1, 1};
    const int reps = 5;
    const size_t n_in = (size_t)s.n * s.h * s.w * s.c;
    const size_t n_w = (size_t)s.cout * s.k * s.k * s.c;
    const size_t m = (size_t)s.n * s.h * s.w;
    float *in = alloc_floats(n_in), *w = alloc_floats(n_w), *dw = alloc_floats(n_w);
    float *out = alloc_floats(m * s.cout), *dout = alloc_floats(m * s.cout);
    float *col = alloc_floats(m * s.k * s.k * s.c), *dcol = alloc_floats(m * s.k * s.k * s.c);
    float *din = alloc_floats(n_in);
    fill(in, n_in);
    fill(w, n_w);
    fill(dout, m * s.cout);
    double t_fwd = 1e30, t_bwd = 1e30;
    for (int r = 0; r <= reps; r++) { /* r = 0 warms up */
        const double t0 = now_s();
        nn_conv_forward(out, col, in, w, s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
        const double t1 = now_s();
        nn_conv_backward(din, dw, dcol, dout, col, w, s.n, s.h, s.w, s.c, s.cout, s.k,
                         s.stride, s.pad);
        const double t2 = now_s();
        if (r > 0) {
            t_fwd = t1 - t0 < t_fwd ? t1 - t0 : t_fwd;
            t_bwd = t2 - t1 < t_bwd ? t2 - t1 : t_bwd;
        }
    }
    const double gflop = 2.0 * (double)m * s.cout * s.k * s.k * s.c * 1e-9;
    printf("bench conv n=128 28x28 c=32->32 k=3 pad=1, OpenBLAS threads %d (best of %d): "
           "forward %.1f ms (%.0f GFLOP/s), backward %.1f ms (%.0f GFLOP/s), total %.1f ms\n",
           openblas_get_num_threads(), reps, 1e3 * t_fwd, gflop / t_fwd, 1e3 * t_bwd,
           2 * gflop / t_bwd, 1e3 * (t_fwd + t_bwd));
    free(in); free(w); free(dw); free(out); free(dout); free(col); free(dcol); free(din);
}

/* The Winograd F(2x2, 3x3) convolution (k = 3, stride 1, pad 1): forward
 * and backward against the references, within the tolerance (it rounds
 * otherwise than im2col, so not bitwise); on every path the CPU runs, the
 * same bits as the portable path (the transforms are exact reorderings of
 * the same operations); two runs bit-identical; dw the same whether din is
 * wanted or not; backward accumulates. */
static void test_wino_case(struct conv_case s, int tile)
{
    const size_t n_in = (size_t)s.n * s.h * s.w * s.c, n_w = (size_t)s.cout * 9 * s.c;
    const size_t n_out = (size_t)s.n * s.h * s.w * s.cout;
    const size_t n_v = nn_wino_v_floats(tile, s.n, s.h, s.w, s.c);
    const size_t n_ws = nn_wino_ws_floats(tile, s.n, s.h, s.w, s.c, s.cout);
    float *in = alloc_floats(n_in), *w = alloc_floats(n_w), *dout = alloc_floats(n_out);
    float *ref = alloc_floats(n_out), *din_ref = alloc_floats(n_in), *dw_ref = alloc_floats(n_w);
    float *v = alloc_floats(n_v), *ws = alloc_floats(n_ws);
    float *out[NN_ISA_COUNT], *din[NN_ISA_COUNT], *dw[NN_ISA_COUNT];
    float *dw_only = alloc_floats(n_w);
    fill(in, n_in);
    fill(w, n_w);
    fill(dout, n_out);
    printf("winograd F(%dx%d, 3x3) n=%d %dx%d c=%d -> cout=%d\n", tile, tile, s.n, s.h, s.w, s.c,
           s.cout);
    TU_CHECK(nn_wino_applies(3, 1, 1, s.c, s.cout), "winograd: the case does not apply");
    nn_conv_forward_ref(ref, in, w, s.n, s.h, s.w, s.c, s.cout, 3, 1, 1);
    conv_backward_ref(din_ref, dw_ref, dout, in, w, s);
    for (int isa = 0; isa < NN_ISA_COUNT; isa++) {
        out[isa] = alloc_floats(n_out);
        din[isa] = alloc_floats(n_in);
        dw[isa] = alloc_floats(n_w);
        if (!nn_isa_supported((enum nn_isa)isa))
            continue;
        nn_conv3_wino_forward(out[isa], v, ws, in, w, tile, s.n, s.h, s.w, s.c, s.cout,
                              (enum nn_isa)isa);
        nn_conv3_wino_backward(din[isa], dw[isa], ws, v, dout, w, tile, s.n, s.h, s.w, s.c, s.cout,
                               (enum nn_isa)isa);
        if (isa == NN_ISA_PORTABLE) {
            report("winograd forward", norm_diff(out[isa], ref, n_out));
            report("winograd backward dw", norm_diff(dw[isa], dw_ref, n_w));
            report("winograd backward din", norm_diff(din[isa], din_ref, n_in));
            continue;
        }
        const int same = memcmp(out[isa], out[0], n_out * sizeof(float)) == 0 &&
                         memcmp(din[isa], din[0], n_in * sizeof(float)) == 0 &&
                         memcmp(dw[isa], dw[0], n_w * sizeof(float)) == 0;
        printf("  %-30s out, din, dw %s the portable path's\n", nn_isa_label((enum nn_isa)isa),
               same ? "bit-identical to" : "DIFFER from");
        TU_CHECK(same, "winograd: the %s path differs from the portable one",
                 nn_isa_name((enum nn_isa)isa));
    }
    /* again on the portable path: the same bits, dw without din, and
     * accumulation (a second backward doubles din and dw exactly) */
    float *out2 = alloc_floats(n_out);
    nn_conv3_wino_forward(out2, v, ws, in, w, tile, s.n, s.h, s.w, s.c, s.cout, NN_ISA_PORTABLE);
    nn_conv3_wino_backward(NULL, dw_only, ws, v, dout, w, tile, s.n, s.h, s.w, s.c, s.cout,
                           NN_ISA_PORTABLE);
    const int same = memcmp(out2, out[0], n_out * sizeof(float)) == 0 &&
                     memcmp(dw_only, dw[0], n_w * sizeof(float)) == 0;
    TU_CHECK(same, "winograd: a second run differs, or dw depends on din");
    /* any thread count: the same out, din and dw */
    const int threads = omp_get_max_threads();
    for (int nt = 1; nt <= 3; nt += 2) {
        float *din_t = alloc_floats(n_in), *dw_t = alloc_floats(n_w);
        omp_set_num_threads(nt);
        nn_conv3_wino_forward(out2, v, ws, in, w, tile, s.n, s.h, s.w, s.c, s.cout,
                              NN_ISA_PORTABLE);
        nn_conv3_wino_backward(din_t, dw_t, ws, v, dout, w, tile, s.n, s.h, s.w, s.c, s.cout,
                               NN_ISA_PORTABLE);
        omp_set_num_threads(threads);
        TU_CHECK(memcmp(out2, out[0], n_out * sizeof(float)) == 0 &&
                     memcmp(din_t, din[0], n_in * sizeof(float)) == 0 &&
                     memcmp(dw_t, dw[0], n_w * sizeof(float)) == 0,
                 "winograd: %d thread(s) give other bits than %d", nt, threads);
        free(din_t);
        free(dw_t);
    }
    float *din_twice = alloc_floats(n_in);
    for (size_t i = 0; i < n_in; i++)
        din_twice[i] = 2.0f * din[0][i];
    nn_conv3_wino_forward(out2, v, ws, in, w, tile, s.n, s.h, s.w, s.c, s.cout, NN_ISA_PORTABLE);
    nn_conv3_wino_backward(din[0], dw[0], ws, v, dout, w, tile, s.n, s.h, s.w, s.c, s.cout,
                           NN_ISA_PORTABLE);
    int doubled = 1;
    for (size_t i = 0; i < n_w; i++)
        doubled &= dw[0][i] == 2.0f * dw_only[i];
    TU_CHECK(doubled && norm_diff(din[0], din_twice, n_in) <= TOL,
             "winograd: backward does not accumulate into din and dw");
    free(din_twice);
    for (int isa = 0; isa < NN_ISA_COUNT; isa++) {
        free(out[isa]);
        free(din[isa]);
        free(dw[isa]);
    }
    free(in); free(w); free(dout); free(ref); free(din_ref); free(dw_ref); free(v); free(ws);
    free(dw_only); free(out2);
}

static void run_all(void)
{
    const struct conv_case cases[] = {
        {1, 7, 9, 3, 5, 3, 1, 1},
        {2, 8, 8, 5, 7, 3, 2, 1},
        {3, 11, 10, 9, 13, 5, 2, 2},
        {2, 6, 7, 17, 11, 1, 1, 0},
        {1, 9, 9, 4, 6, 1, 2, 0},
        {2, 13, 12, 3, 10, 5, 1, 0},
        {3, 10, 11, 33, 17, 3, 1, 2},
        {1, 5, 5, 2, 3, 5, 1, 2},
        {2, 28, 28, 32, 32, 3, 1, 1},
        {1, 9, 7, 6, 5, 3, 2, 0},
        {3, 30, 30, 40, 8, 3, 1, 1}, /* several bands per image */
        {3, 28, 28, 1, 32, 3, 1, 1}, /* the first layer: K = 9 < cout, dw sliced by cout */
    };
    printf("-- OpenBLAS threads %d: %s schedule\n", openblas_get_num_threads(),
           openblas_get_num_threads() == 1 ? "OpenMP bands" : "one large GEMM");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        test_case(cases[i]);
    const struct conv_case wino_cases[] = {
        {1, 7, 9, 4, 5, 3, 1, 1},     /* odd sizes: tiles past the edge */
        {2, 8, 8, 5, 7, 3, 1, 1},     /* channels not a multiple of a vector */
        {3, 11, 10, 33, 17, 3, 1, 1},
        {2, 28, 28, 32, 32, 3, 1, 1}, /* refcnn's second layer */
        {3, 30, 30, 40, 8, 3, 1, 1},  /* two chunks, each crossing an image boundary */
        {2, 7, 7, 64, 128, 3, 1, 1},  /* refcnn's fifth layer */
        {1, 1, 1, 16, 3, 3, 1, 1},    /* a single pixel */
    };
    for (size_t i = 0; i < sizeof wino_cases / sizeof wino_cases[0]; i++)
        for (int tile = 2; tile <= 4; tile += 2)
            test_wino_case(wino_cases[i], tile);
    test_determinism((struct conv_case){4, 16, 16, 16, 24, 3, 1, 1});
    test_determinism((struct conv_case){3, 15, 15, 8, 12, 1, 1, 0});
    test_determinism((struct conv_case){3, 12, 12, 1, 16, 3, 1, 1});
    const struct conv_case xnor_cases[] = {
        {1, 7, 9, 3, 5, 3, 1, 1},      /* K = 27 < 64 */
        {2, 8, 8, 5, 7, 3, 2, 1},      /* stride 2 */
        {3, 11, 10, 9, 13, 5, 2, 2},   /* K = 225, pad 2 */
        {2, 6, 7, 17, 11, 1, 1, 0},    /* pointwise */
        {3, 10, 11, 33, 17, 3, 1, 2},  /* K = 297 */
        {2, 14, 14, 64, 9, 3, 1, 1},   /* K = 576 = 9 words exactly */
        {2, 13, 12, 31, 33, 5, 1, 0},  /* K = 775, no padding */
        {3, 30, 30, 40, 8, 3, 1, 1},   /* several bands per image */
        {2, 9, 9, 3, 1, 3, 2, 1},      /* one output channel */
        {1, 5, 6, 250, 12, 3, 1, 1},   /* K = 2250: 36 words, past AVX2's flush at 31 */
        {2, 9, 8, 32, 16, 3, 1, 1},    /* runs of 32 bits, half words */
        {2, 7, 7, 128, 8, 3, 1, 1},    /* runs of two whole words */
        {1, 6, 5, 100, 4, 3, 2, 1},    /* runs of 100 bits across words, stride 2 */
    };
    for (size_t i = 0; i < sizeof xnor_cases / sizeof xnor_cases[0]; i++)
        for (int per_channel = 0; per_channel < 2; per_channel++)
            test_xnor_case(xnor_cases[i], per_channel, IN_SIGN, 0);
    /* ternary weights over each input kind, binary weights over {0, 1} */
    for (size_t i = 0; i < sizeof xnor_cases / sizeof xnor_cases[0]; i++)
        for (int kind = IN_SIGN; kind <= IN_TERNARY; kind++)
            test_xnor_case(xnor_cases[i], (int)i % 2, (enum xnor_input)kind, 1);
    for (size_t i = 0; i < sizeof xnor_cases / sizeof xnor_cases[0]; i += 3)
        test_xnor_case(xnor_cases[i], 1, IN_HEAVISIDE, 0);
}

int main(void)
{
    const char *b = getenv("LOGIQ_BENCH");
    const int bench_on = b != NULL && b[0] != '\0' && b[0] != '0';
    run_all();
    if (bench_on)
        bench();
    if (openblas_get_parallel() == 1) { /* pthreads OpenBLAS: the other schedule too */
        const int threads = openblas_get_num_threads();
        openblas_set_num_threads(threads == 1 ? 2 : 1);
        run_all();
        if (bench_on)
            bench();
        openblas_set_num_threads(threads);
    }
    return tu_exit("test_conv");
}

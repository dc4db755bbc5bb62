/* tests/test_layers.c: every layer backward of nn/layers.h against finite
 * differences, the accumulate contract, batch norm's eval path and running
 * statistics, the merges on binary inputs, and the values resq may produce.
 * (The optimized convolution against its naive reference, and determinism,
 * are in tests/test_conv.c.)
 *
 * Tolerance policy, stated once:
 *  - Gradient checks: L = sum(out * g) for a fixed random g (for xent, L is
 *    the returned loss); forward in float, L summed in double; central
 *    differences with step FD_EPS = 1e-3. An entry passes when
 *    |numeric - analytic| <= FD_ATOL + FD_RTOL * |analytic|, FD_ATOL = 1e-3,
 *    FD_RTOL = 1e-2; the printed "normalized error" is the largest
 *    |numeric - analytic| / (FD_ATOL + FD_RTOL * |analytic|), which must be <= 1.
 *    Inputs sit where the op is smooth (maxpool without near-ties, merges'
 *    m strictly inside (0, 1)).
 *  - Float-vs-float comparisons of two computations of the same quantity
 *    (accumulate twice = double, eval = train, hand examples):
 *    max |x - y| / max(1, max |y|) <= CMP_TOL = 1e-5.
 *  - Non-smooth ops are checked exactly instead of loosened: resq's output is
 *    an exact multiple of 2^-frac inside the clamp range and its backward is
 *    exactly 1 (passes dout) inside and 0 outside; boolean merges on {0,1}
 *    equal their boolean definitions exactly. */
#include "nn/layers.h"
#include "tests/testutil.h"

#include <stdint.h>
#include <string.h>

#define FD_EPS 1e-3f
#define FD_ATOL 1e-3
#define FD_RTOL 1e-2
#define CMP_TOL 1e-5

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double rng_uniform(void) /* [0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

static void fill(float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)rng_uniform();
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

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* max |x - y| / max(1, max |y|) */
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

static void expect_close(const char *what, const float *x, const float *y, size_t n)
{
    const double e = norm_diff(x, y, n);
    printf("  %-52s normalized error %.3g\n", what, e);
    TU_CHECK(e <= CMP_TOL, "%s: normalized error %g > %g", what, e, CMP_TOL);
}

/* The accumulate contract: g2 (backward called twice from zero) == 2 * g1. */
static void expect_doubled(const char *what, const float *g2, const float *g1, size_t n)
{
    float *twice = alloc_floats(n);
    for (size_t i = 0; i < n; i++)
        twice[i] = 2.0f * g1[i];
    char label[128];
    snprintf(label, sizeof label, "%s: backward twice = 2x once", what);
    expect_close(label, g2, twice, n);
    free(twice);
}

typedef double (*loss_fn)(void *ctx);

/* Central differences of loss over every entry of p, with step eps, against
 * analytic. */
static void fd_check_eps(const char *what, float *p, const float *analytic, size_t n,
                         loss_fn loss, void *ctx, float eps)
{
    double worst = 0.0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        const float save = p[i];
        const float up = save + eps, down = save - eps;
        p[i] = up;
        const double lp = loss(ctx);
        p[i] = down;
        const double lm = loss(ctx);
        p[i] = save;
        const double numeric = (lp - lm) / ((double)up - down);
        const double err = fabs(numeric - analytic[i]) / (FD_ATOL + FD_RTOL * fabs(analytic[i]));
        if (err > worst) {
            worst = err;
            worst_i = i;
        }
    }
    printf("  %-52s normalized error %.3g (%zu entries)\n", what, worst, n);
    TU_CHECK(worst <= 1.0, "%s: finite differences disagree at entry %zu (normalized error %g)",
             what, worst_i, worst);
}

static void fd_check(const char *what, float *p, const float *analytic, size_t n,
                     loss_fn loss, void *ctx)
{
    fd_check_eps(what, p, analytic, n, loss, ctx, FD_EPS);
}

/* ---- convolution ---- */

struct conv_case {
    int n, h, w, c, cout, k, stride, pad;
};

struct conv_ctx {
    struct conv_case s;
    float *in, *w, *out, *col, *g;
    size_t n_out;
};

static double conv_loss(void *p)
{
    struct conv_ctx *x = p;
    nn_conv_forward(x->out, x->col, x->in, x->w, x->s.n, x->s.h, x->s.w, x->s.c,
                    x->s.cout, x->s.k, x->s.stride, x->s.pad);
    return dot(x->out, x->g, x->n_out);
}

static void test_conv_grad(struct conv_case s)
{
    const int ho = nn_conv_out_size(s.h, s.k, s.stride, s.pad);
    const int wo = nn_conv_out_size(s.w, s.k, s.stride, s.pad);
    const size_t n_in = (size_t)s.n * s.h * s.w * s.c;
    const size_t n_w = (size_t)s.cout * s.k * s.k * s.c;
    const size_t m = (size_t)s.n * ho * wo;
    const size_t n_col = m * s.k * s.k * s.c;
    struct conv_ctx x = {.s = s, .n_out = m * s.cout};
    x.in = alloc_floats(n_in);
    x.w = alloc_floats(n_w);
    x.out = alloc_floats(x.n_out);
    x.col = alloc_floats(n_col);
    x.g = alloc_floats(x.n_out);
    float *dcol = alloc_floats(n_col);
    float *din = alloc_floats(n_in), *din2 = alloc_floats(n_in);
    float *dw = alloc_floats(n_w), *dw2 = alloc_floats(n_w), *dw3 = alloc_floats(n_w);
    fill(x.in, n_in, -1, 1);
    fill(x.w, n_w, -1, 1);
    fill(x.g, x.n_out, -1, 1);

    printf("conv n=%d %dx%d c=%d -> cout=%d k=%d stride=%d pad=%d\n",
           s.n, s.h, s.w, s.c, s.cout, s.k, s.stride, s.pad);
    conv_loss(&x);
    nn_conv_backward(din, dw, dcol, x.g, x.col, x.w, s.n, s.h, s.w, s.c, s.cout, s.k,
                     s.stride, s.pad);
    fd_check("conv din", x.in, din, n_in, conv_loss, &x);
    fd_check("conv dw", x.w, dw, n_w, conv_loss, &x);

    conv_loss(&x); /* restore col for the input in place */
    memcpy(din2, din, n_in * sizeof(float));
    memcpy(dw2, dw, n_w * sizeof(float));
    nn_conv_backward(din2, dw2, dcol, x.g, x.col, x.w, s.n, s.h, s.w, s.c, s.cout, s.k,
                     s.stride, s.pad);
    expect_doubled("conv din", din2, din, n_in);
    expect_doubled("conv dw", dw2, dw, n_w);
    nn_conv_backward(NULL, dw3, dcol, x.g, x.col, x.w, s.n, s.h, s.w, s.c, s.cout, s.k,
                     s.stride, s.pad);
    expect_close("conv dw with din = NULL", dw3, dw, n_w);

    free(x.in); free(x.w); free(x.out); free(x.col); free(x.g);
    free(dcol); free(din); free(din2); free(dw); free(dw2); free(dw3);
}

/* The Winograd F(2x2, 3x3) convolution (nn/winograd.c): its backward is
 * the adjoint of its own forward, checked the same way. */
struct wino_ctx {
    int tile, n, h, w, c, cout;
    float *in, *w_, *out, *v, *ws, *g;
    size_t n_out;
};

static double wino_loss(void *p)
{
    struct wino_ctx *x = p;
    nn_conv3_wino_forward(x->out, x->v, x->ws, x->in, x->w_, x->tile, x->n, x->h, x->w, x->c, x->cout,
                          NN_ISA_PORTABLE);
    return dot(x->out, x->g, x->n_out);
}

static void test_wino_grad(int tile, int n, int h, int w, int c, int cout)
{
    const size_t n_in = (size_t)n * h * w * c, n_w = (size_t)cout * 9 * c;
    struct wino_ctx x = {tile, n, h, w, c, cout, NULL, NULL, NULL, NULL, NULL, NULL,
                         (size_t)n * h * w * cout};
    x.in = alloc_floats(n_in);
    x.w_ = alloc_floats(n_w);
    x.out = alloc_floats(x.n_out);
    x.g = alloc_floats(x.n_out);
    x.v = alloc_floats(nn_wino_v_floats(tile, n, h, w, c));
    x.ws = alloc_floats(nn_wino_ws_floats(tile, n, h, w, c, cout));
    float *din = alloc_floats(n_in), *din2 = alloc_floats(n_in);
    float *dw = alloc_floats(n_w), *dw2 = alloc_floats(n_w);
    fill(x.in, n_in, -1, 1);
    fill(x.w_, n_w, -1, 1);
    fill(x.g, x.n_out, -1, 1);
    printf("winograd F(%dx%d, 3x3) conv n=%d %dx%d c=%d -> cout=%d\n", tile, tile, n, h, w,
           c, cout);
    wino_loss(&x);
    nn_conv3_wino_backward(din, dw, x.ws, x.v, x.g, x.w_, tile, n, h, w, c, cout,
                           NN_ISA_PORTABLE);
    /* the loss is linear in each entry, so a large step has no truncation
     * error and keeps F(4x4)'s larger rounding out of the difference */
    fd_check_eps("winograd conv din", x.in, din, n_in, wino_loss, &x, 0.25f);
    fd_check_eps("winograd conv dw", x.w_, dw, n_w, wino_loss, &x, 0.25f);
    wino_loss(&x); /* backward overwrote v */
    memcpy(din2, din, n_in * sizeof(float));
    memcpy(dw2, dw, n_w * sizeof(float));
    nn_conv3_wino_backward(din2, dw2, x.ws, x.v, x.g, x.w_, tile, n, h, w, c, cout,
                           NN_ISA_PORTABLE);
    expect_doubled("winograd conv din", din2, din, n_in);
    expect_doubled("winograd conv dw", dw2, dw, n_w);
    free(x.in); free(x.w_); free(x.out); free(x.g); free(x.v); free(x.ws);
    free(din); free(din2); free(dw); free(dw2);
}

/* ---- dense ---- */

struct dense_ctx {
    int n, din, dout;
    float *in, *w, *b, *out, *g;
};

static double dense_loss(void *p)
{
    struct dense_ctx *x = p;
    nn_dense_forward(x->out, x->in, x->w, x->b, x->n, x->din, x->dout);
    return dot(x->out, x->g, (size_t)x->n * x->dout);
}

static void test_dense_grad(int n, int din, int dout)
{
    struct dense_ctx x = {.n = n, .din = din, .dout = dout};
    const size_t n_in = (size_t)n * din, n_w = (size_t)dout * din, n_out = (size_t)n * dout;
    x.in = alloc_floats(n_in);
    x.w = alloc_floats(n_w);
    x.b = alloc_floats(dout);
    x.out = alloc_floats(n_out);
    x.g = alloc_floats(n_out);
    float *gi = alloc_floats(n_in), *gw = alloc_floats(n_w), *gb = alloc_floats(dout);
    float *gi2 = alloc_floats(n_in), *gw2 = alloc_floats(n_w), *gb2 = alloc_floats(dout);
    fill(x.in, n_in, -1, 1);
    fill(x.w, n_w, -1, 1);
    fill(x.b, dout, -1, 1);
    fill(x.g, n_out, -1, 1);

    printf("dense n=%d %d -> %d\n", n, din, dout);
    nn_dense_backward(gi, gw, gb, x.g, x.in, x.w, n, din, dout);
    fd_check("dense din", x.in, gi, n_in, dense_loss, &x);
    fd_check("dense dw", x.w, gw, n_w, dense_loss, &x);
    fd_check("dense db", x.b, gb, dout, dense_loss, &x);

    memcpy(gi2, gi, n_in * sizeof(float));
    memcpy(gw2, gw, n_w * sizeof(float));
    memcpy(gb2, gb, dout * sizeof(float));
    nn_dense_backward(gi2, gw2, gb2, x.g, x.in, x.w, n, din, dout);
    expect_doubled("dense din", gi2, gi, n_in);
    expect_doubled("dense dw", gw2, gw, n_w);
    expect_doubled("dense db", gb2, gb, dout);

    /* without bias: out = in * w^T exactly the biased output minus b */
    float *nob = alloc_floats(n_out);
    dense_loss(&x);
    nn_dense_forward(nob, x.in, x.w, NULL, n, din, dout);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dout; j++)
            nob[(size_t)i * dout + j] += x.b[j];
    expect_close("dense b = NULL is the biased output minus b", nob, x.out, n_out);

    free(x.in); free(x.w); free(x.b); free(x.out); free(x.g);
    free(gi); free(gw); free(gb); free(gi2); free(gw2); free(gb2); free(nob);
}

/* ---- batch norm ---- */

struct bn_ctx {
    int rows, c;
    float *in, *gamma, *beta, *out, *mean, *rstd, *g;
};

static double bn_loss(void *p)
{
    struct bn_ctx *x = p;
    nn_bn_forward_train(x->out, x->mean, x->rstd, NULL, NULL, x->in, x->gamma, x->beta,
                        x->rows, x->c, 0.1f, 1e-5f);
    return dot(x->out, x->g, (size_t)x->rows * x->c);
}

static void test_bn(int rows, int c)
{
    struct bn_ctx x = {.rows = rows, .c = c};
    const size_t n = (size_t)rows * c;
    x.in = alloc_floats(n);
    x.gamma = alloc_floats(c);
    x.beta = alloc_floats(c);
    x.out = alloc_floats(n);
    x.mean = alloc_floats(c);
    x.rstd = alloc_floats(c);
    x.g = alloc_floats(n);
    float *din = alloc_floats(n), *dgamma = alloc_floats(c), *dbeta = alloc_floats(c);
    float *din2 = alloc_floats(n), *dgamma2 = alloc_floats(c), *dbeta2 = alloc_floats(c);
    /* channels with an offset mean, so the shifted sums are exercised */
    for (size_t i = 0; i < n; i++)
        x.in[i] = (float)(3.0 * (i % c) / c) + 2.0f * (float)rng_uniform() - 1.0f;
    fill(x.gamma, c, 0.5f, 1.5f);
    fill(x.beta, c, -1, 1);
    fill(x.g, n, -1, 1);

    printf("batch norm train rows=%d c=%d\n", rows, c);
    bn_loss(&x);
    nn_bn_backward(din, dgamma, dbeta, x.g, x.in, x.mean, x.rstd, x.gamma, rows, c);
    fd_check("bn din", x.in, din, n, bn_loss, &x);
    fd_check("bn dgamma", x.gamma, dgamma, c, bn_loss, &x);
    fd_check("bn dbeta", x.beta, dbeta, c, bn_loss, &x);

    bn_loss(&x);
    memcpy(din2, din, n * sizeof(float));
    memcpy(dgamma2, dgamma, c * sizeof(float));
    memcpy(dbeta2, dbeta, c * sizeof(float));
    nn_bn_backward(din2, dgamma2, dbeta2, x.g, x.in, x.mean, x.rstd, x.gamma, rows, c);
    expect_doubled("bn din", din2, din, n);
    expect_doubled("bn dgamma", dgamma2, dgamma, c);
    expect_doubled("bn dbeta", dbeta2, dbeta, c);
    /* the _set variant: din overwritten (garbage before), dgamma, dbeta added */
    fill(din2, n, 100, 200);
    memcpy(dgamma2, dgamma, c * sizeof(float));
    memcpy(dbeta2, dbeta, c * sizeof(float));
    nn_bn_backward_set(din2, dgamma2, dbeta2, x.g, x.in, x.mean, x.rstd, x.gamma, rows, c);
    expect_close("bn backward_set din = backward on zeros", din2, din, n);
    expect_doubled("bn backward_set dgamma", dgamma2, dgamma, c);
    expect_doubled("bn backward_set dbeta", dbeta2, dbeta, c);

    /* mean and rstd against a double two-pass computation */
    float *mref = alloc_floats(c), *rref = alloc_floats(c);
    for (int j = 0; j < c; j++) {
        double s = 0.0, q = 0.0;
        for (int r = 0; r < rows; r++)
            s += x.in[(size_t)r * c + j];
        const double mu = s / rows;
        for (int r = 0; r < rows; r++) {
            const double d = x.in[(size_t)r * c + j] - mu;
            q += d * d;
        }
        mref[j] = (float)mu;
        rref[j] = (float)(1.0 / sqrt(q / rows + 1e-5));
    }
    expect_close("bn saved mean = two-pass double mean", x.mean, mref, c);
    expect_close("bn saved rstd = two-pass double rstd", x.rstd, rref, c);

    /* eval with running stats = batch stats reproduces train */
    float *rm = alloc_floats(c), *rv = alloc_floats(c), *eval = alloc_floats(n);
    for (int j = 0; j < c; j++) {
        rm[j] = x.mean[j];
        rv[j] = (float)(1.0 / ((double)x.rstd[j] * x.rstd[j]) - 1e-5);
    }
    nn_bn_forward_eval(eval, x.in, x.gamma, x.beta, rm, rv, rows, c, 1e-5f);
    expect_close("bn eval(running = batch stats) = train output", eval, x.out, n);

    free(x.in); free(x.gamma); free(x.beta); free(x.out); free(x.mean); free(x.rstd);
    free(x.g); free(din); free(dgamma); free(dbeta); free(din2); free(dgamma2);
    free(dbeta2); free(mref); free(rref); free(rm); free(rv); free(eval);
}

static void test_bn_running(void)
{
    /* one channel, x = 1 2 3 4: mean 2.5, biased var 1.25, unbiased 5/3;
     * running 1 and 2, momentum 0.1:
     *   mean 0.9 * 1 + 0.1 * 2.5 = 1.15,  var 0.9 * 2 + 0.1 * 5/3 = 1.9666667
     * and a second channel 10 10 10 10: mean 10, var 0 from running 0 and 1:
     *   mean 1.0, var 0.9 */
    const float in[8] = {1, 10, 2, 10, 3, 10, 4, 10};
    const float gamma[2] = {1, 1}, beta[2] = {0, 0};
    float out[8], mean[2], rstd[2];
    float rm[2] = {1, 0}, rv[2] = {2, 1};
    nn_bn_forward_train(out, mean, rstd, rm, rv, in, gamma, beta, 4, 2, 0.1f, 1e-5f);
    const float want_rm[2] = {1.15f, 1.0f}, want_rv[2] = {1.9666667f, 0.9f};
    const float want_mean[2] = {2.5f, 10.0f};
    const float want_rstd[2] = {(float)(1.0 / sqrt(1.25 + 1e-5)), (float)(1.0 / sqrt(1e-5))};
    printf("batch norm running statistics, hand example\n");
    expect_close("bn running_mean", rm, want_rm, 2);
    expect_close("bn running_var (unbiased)", rv, want_rv, 2);
    expect_close("bn batch mean", mean, want_mean, 2);
    float rel[2] = {rstd[0] / want_rstd[0], rstd[1] / want_rstd[1]};
    const float ones[2] = {1, 1};
    expect_close("bn rstd (biased var), relative", rel, ones, 2);
    const float want_out0[4] = {(float)(-1.5 / sqrt(1.25 + 1e-5)), (float)(-0.5 / sqrt(1.25 + 1e-5)),
                                (float)(0.5 / sqrt(1.25 + 1e-5)), (float)(1.5 / sqrt(1.25 + 1e-5))};
    const float got_out0[4] = {out[0], out[2], out[4], out[6]};
    expect_close("bn output channel 0", got_out0, want_out0, 4);
}

/* ---- max pooling ---- */

struct pool_ctx {
    int n, h, w, c, size;
    float *in, *out, *g;
    int *argmax;
};

static double pool_loss(void *p)
{
    struct pool_ctx *x = p;
    nn_maxpool_forward(x->out, x->argmax, x->in, x->n, x->h, x->w, x->c, x->size);
    return dot(x->out, x->g, (size_t)x->n * (x->h / x->size) * (x->w / x->size) * x->c);
}

static void test_maxpool(int n, int h, int w, int c, int size)
{
    struct pool_ctx x = {.n = n, .h = h, .w = w, .c = c, .size = size};
    const int ho = h / size, wo = w / size;
    const size_t n_in = (size_t)n * h * w * c, n_out = (size_t)n * ho * wo * c;
    x.in = alloc_floats(n_in);
    x.out = alloc_floats(n_out);
    x.g = alloc_floats(n_out);
    x.argmax = calloc(n_out, sizeof(int));
    float *din = alloc_floats(n_in), *din2 = alloc_floats(n_in);
    /* distinct values 0.01 apart (a random permutation): no ties within 2 FD_EPS */
    for (size_t i = 0; i < n_in; i++)
        x.in[i] = 0.01f * (float)i;
    for (size_t i = n_in - 1; i > 0; i--) {
        const size_t j = (size_t)(rng_uniform() * (double)(i + 1));
        const float t = x.in[i];
        x.in[i] = x.in[j];
        x.in[j] = t;
    }
    fill(x.g, n_out, -1, 1);

    printf("maxpool n=%d %dx%d c=%d size=%d\n", n, h, w, c, size);
    pool_loss(&x);
    nn_maxpool_backward(din, x.g, x.argmax, n, ho, wo, c);
    fd_check("maxpool din", x.in, din, n_in, pool_loss, &x);
    pool_loss(&x);
    memcpy(din2, din, n_in * sizeof(float));
    nn_maxpool_backward(din2, x.g, x.argmax, n, ho, wo, c);
    expect_doubled("maxpool din", din2, din, n_in);
    /* the _set variant: all of din overwritten (garbage before) */
    fill(din2, n_in, 100, 200);
    nn_maxpool_backward_set(din2, x.g, x.argmax, n, h, w, c, size);
    expect_close("maxpool backward_set = backward on zeros", din2, din, n_in);

    /* ties: all equal -> the first element of each window (wy = wx = 0) */
    for (size_t i = 0; i < n_in; i++)
        x.in[i] = 1.0f;
    pool_loss(&x);
    int first_ok = 1;
    for (int img = 0; img < n; img++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
                for (int j = 0; j < c; j++) {
                    const size_t o = (((size_t)img * ho + oy) * wo + ox) * c + j;
                    const size_t want = (((size_t)img * h + oy * size) * w + ox * size) * c + j;
                    first_ok &= x.argmax[o] == (int)want;
                }
    printf("  %-52s %s\n", "maxpool argmax on ties = first in window", first_ok ? "ok" : "WRONG");
    TU_CHECK(first_ok, "maxpool: argmax on ties is not the first element of the window");

    free(x.in); free(x.out); free(x.g); free(x.argmax); free(din); free(din2);
}

/* The keyed pooling's definition, window by window in scan order: a later
 * element wins when it is larger, or equal with a larger key. */
static void maxpool_keyed_ref(float *out, int *argmax, const float *in, const float *key,
                              int n, int h, int w, int c, int size)
{
    const int ho = h / size, wo = w / size;
    for (int img = 0; img < n; img++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
                for (int j = 0; j < c; j++) {
                    int best = -1;
                    for (int wy = 0; wy < size; wy++)
                        for (int wx = 0; wx < size; wx++) {
                            const int i =
                                (((img * h + oy * size + wy) * w) + ox * size + wx) * c + j;
                            if (best < 0 || in[i] > in[best] ||
                                (in[i] == in[best] && key[i] > key[best]))
                                best = i;
                        }
                    const size_t o = (((size_t)img * ho + oy) * wo + ox) * c + j;
                    out[o] = in[best];
                    argmax[o] = best;
                }
}

/* Binary maps (ties everywhere) with keys on a coarse grid (key ties too),
 * and more channels than one run of the optimized kernel: the same values
 * and exactly the same argmax as the reference; and the plain forward is
 * the keyed one with key = in. */
static void test_maxpool_keyed(int n, int h, int w, int c, int size)
{
    const int ho = h / size, wo = w / size;
    const size_t n_in = (size_t)n * h * w * c, n_out = (size_t)n * ho * wo * c;
    float *in = alloc_floats(n_in), *key = alloc_floats(n_in);
    float *out = alloc_floats(n_out), *out_ref = alloc_floats(n_out);
    int *am = calloc(n_out, sizeof(int)), *am_ref = calloc(n_out, sizeof(int));
    for (size_t i = 0; i < n_in; i++) {
        in[i] = rng_uniform() < 0.5 ? 1.0f : -1.0f;
        key[i] = 0.25f * (float)(int)(rng_uniform() * 8.0);
    }
    printf("maxpool keyed n=%d %dx%d c=%d size=%d (binary map, tied keys)\n", n, h, w, c,
           size);
    maxpool_keyed_ref(out_ref, am_ref, in, key, n, h, w, c, size);
    size_t bad = 0;
    for (int j = 0; j < NN_ISA_COUNT; j++) { /* every path this CPU runs, same bits */
        const enum nn_isa isa = (enum nn_isa)j;
        if (!nn_isa_supported(isa))
            continue;
        char what[64];
        snprintf(what, sizeof what, "keyed (%s) = reference (values and argmax)",
                 nn_isa_name(isa));
        nn_maxpool_forward_keyed(out, am, in, key, n, h, w, c, size, isa);
        bad = 0;
        for (size_t i = 0; i < n_out; i++)
            bad += memcmp(&out[i], &out_ref[i], sizeof(float)) != 0 || am[i] != am_ref[i];
        printf("  %-52s %zu of %zu differ\n", what, bad, n_out);
        TU_CHECK(bad == 0, "maxpool keyed %s: %zu of %zu outputs differ from the reference",
                 nn_isa_name(isa), bad, n_out);
    }

    for (size_t i = 0; i < n_in; i++)
        in[i] = 0.5f * (float)(int)(rng_uniform() * 4.0);
    nn_maxpool_forward(out, am, in, n, h, w, c, size);
    maxpool_keyed_ref(out_ref, am_ref, in, in, n, h, w, c, size);
    bad = 0;
    for (size_t i = 0; i < n_out; i++)
        bad += out[i] != out_ref[i] || am[i] != am_ref[i];
    printf("  %-52s %zu of %zu differ\n", "plain = reference with key = in", bad, n_out);
    TU_CHECK(bad == 0, "maxpool: %zu of %zu outputs differ from the reference", bad, n_out);
    free(in); free(key); free(out); free(out_ref); free(am); free(am_ref);
}

/* ---- merges ---- */

enum merge_kind { MERGE_OR, MERGE_MUX_OR, MERGE_MUX_SEL, MERGE_ADD };

struct merge_ctx {
    enum merge_kind kind;
    int rows, c;
    float *a, *r, *m, *y, *g;
};

static double merge_loss(void *p)
{
    struct merge_ctx *x = p;
    const size_t n = (size_t)x->rows * x->c;
    switch (x->kind) {
    case MERGE_OR: nn_merge_or_forward(x->y, x->a, x->r, n); break;
    case MERGE_MUX_OR: nn_merge_mux_forward(x->y, x->a, x->r, x->m, x->rows, x->c, NN_MUX_OR); break;
    case MERGE_MUX_SEL: nn_merge_mux_forward(x->y, x->a, x->r, x->m, x->rows, x->c, NN_MUX_SEL); break;
    case MERGE_ADD: nn_merge_add_forward(x->y, x->a, x->r, n); break;
    }
    return dot(x->y, x->g, n);
}

static void merge_backward(const struct merge_ctx *x, float *da, float *dr, float *dm)
{
    const size_t n = (size_t)x->rows * x->c;
    switch (x->kind) {
    case MERGE_OR: nn_merge_or_backward(da, dr, x->g, x->a, x->r, n); break;
    case MERGE_MUX_OR:
        nn_merge_mux_backward(da, dr, dm, x->g, x->a, x->r, x->m, x->rows, x->c, NN_MUX_OR);
        break;
    case MERGE_MUX_SEL:
        nn_merge_mux_backward(da, dr, dm, x->g, x->a, x->r, x->m, x->rows, x->c, NN_MUX_SEL);
        break;
    case MERGE_ADD: nn_merge_add_backward(da, dr, x->g, n); break;
    }
}

static void test_merge_grad(enum merge_kind kind, const char *name, int rows, int c)
{
    struct merge_ctx x = {.kind = kind, .rows = rows, .c = c};
    const size_t n = (size_t)rows * c;
    x.a = alloc_floats(n);
    x.r = alloc_floats(n);
    x.m = alloc_floats(c);
    x.y = alloc_floats(n);
    x.g = alloc_floats(n);
    float *da = alloc_floats(n), *dr = alloc_floats(n), *dm = alloc_floats(c);
    float *da2 = alloc_floats(n), *dr2 = alloc_floats(n), *dm2 = alloc_floats(c);
    fill(x.a, n, 0, 1);
    fill(x.r, n, 0, 1);
    fill(x.m, c, 0.05f, 0.95f);
    fill(x.g, n, -1, 1);
    const int has_m = kind == MERGE_MUX_OR || kind == MERGE_MUX_SEL;

    char label[96];
    printf("merge %s rows=%d c=%d\n", name, rows, c);
    merge_backward(&x, da, dr, dm);
    snprintf(label, sizeof label, "%s da", name);
    fd_check(label, x.a, da, n, merge_loss, &x);
    snprintf(label, sizeof label, "%s dr", name);
    fd_check(label, x.r, dr, n, merge_loss, &x);
    if (has_m) {
        snprintf(label, sizeof label, "%s dm", name);
        fd_check(label, x.m, dm, c, merge_loss, &x);
    }
    memcpy(da2, da, n * sizeof(float));
    memcpy(dr2, dr, n * sizeof(float));
    memcpy(dm2, dm, c * sizeof(float));
    merge_backward(&x, da2, dr2, dm2);
    snprintf(label, sizeof label, "%s da", name);
    expect_doubled(label, da2, da, n);
    snprintf(label, sizeof label, "%s dr", name);
    expect_doubled(label, dr2, dr, n);
    if (has_m) {
        snprintf(label, sizeof label, "%s dm", name);
        expect_doubled(label, dm2, dm, c);
    }
    free(x.a); free(x.r); free(x.m); free(x.y); free(x.g);
    free(da); free(dr); free(dm); free(da2); free(dr2); free(dm2);
}

static void test_merge_binary(void)
{
    /* all four (a, r) pairs per row, m = {0, 1} over two channels */
    const float a[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    const float r[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    const float m[2] = {0, 1};
    float y[8];
    int or_ok = 1, mux_or_ok = 1, mux_sel_ok = 1;
    nn_merge_or_forward(y, a, r, 8);
    for (int i = 0; i < 8; i++)
        or_ok &= y[i] == (a[i] > r[i] ? a[i] : r[i]);
    nn_merge_mux_forward(y, a, r, m, 4, 2, NN_MUX_OR);
    for (int i = 0; i < 8; i++) {
        const int ai = a[i] != 0, ri = r[i] != 0, mi = m[i % 2] != 0;
        mux_or_ok &= y[i] == (float)(mi ? (ai || ri) : ai);
    }
    nn_merge_mux_forward(y, a, r, m, 4, 2, NN_MUX_SEL);
    for (int i = 0; i < 8; i++) {
        const int ai = a[i] != 0, ri = r[i] != 0, mi = m[i % 2] != 0;
        mux_sel_ok &= y[i] == (float)(mi ? ri : ai);
    }
    printf("merges on {0,1}\n");
    printf("  %-52s %s\n", "OR = max", or_ok ? "exact" : "WRONG");
    printf("  %-52s %s\n", "MUX_OR = m ? a|r : a", mux_or_ok ? "exact" : "WRONG");
    printf("  %-52s %s\n", "MUX_SEL = m ? r : a", mux_sel_ok ? "exact" : "WRONG");
    TU_CHECK(or_ok, "OR on {0,1} is not max");
    TU_CHECK(mux_or_ok, "MUX_OR on {0,1} is not m ? (a OR r) : a");
    TU_CHECK(mux_sel_ok, "MUX_SEL on {0,1} is not m ? r : a");
}

/* ---- resq ---- */

static void test_resq(int bits, int frac)
{
    enum { N = 4000 };
    float in[N], out[N], din[N], dout[N];
    const double step = ldexp(1.0, -frac);
    const double lo = -ldexp(1.0, bits - 1), hi = ldexp(1.0, bits - 1) - 1.0;
    /* twice the representable range, both sides, plus exact half-steps */
    for (int i = 0; i < N; i++)
        in[i] = (float)((2.0 * rng_uniform() - 1.0) * 2.0 * (hi + 1.0) * step);
    for (int i = 0; i < 40; i++)
        in[i] = (float)((i - 20 + 0.5) * step);
    fill(dout, N, -1, 1);
    for (int i = 0; i < N; i++)
        din[i] = 0.0f;
    nn_resq_forward(out, in, N, bits, frac);
    nn_resq_backward(din, dout, in, N, bits, frac);
    int values_ok = 1, rounding_ok = 1, grad_ok = 1, inside = 0;
    for (int i = 0; i < N; i++) {
        const double q = out[i] / step; /* exact: a power-of-two scaling */
        values_ok &= q == floor(q) && q >= lo && q <= hi;
        const double u = floor((double)in[i] / step + 0.5);
        const double want = u < lo ? lo : u > hi ? hi : u;
        rounding_ok &= q == want;
        const int in_range = u >= lo && u <= hi;
        inside += in_range;
        grad_ok &= din[i] == (in_range ? dout[i] : 0.0f);
    }
    printf("resq bits=%d frac=%d (%d of %d inputs inside the range)\n", bits, frac, inside, N);
    printf("  %-52s %s\n", "out in {k 2^-frac : -2^(bits-1) <= k < 2^(bits-1)}",
           values_ok ? "exact" : "WRONG");
    printf("  %-52s %s\n", "out = clamp(floor(x 2^frac + 1/2)) 2^-frac",
           rounding_ok ? "exact" : "WRONG");
    printf("  %-52s %s\n", "din = dout inside, 0 outside", grad_ok ? "exact" : "WRONG");
    TU_CHECK(values_ok, "resq bits=%d frac=%d: an output is not a representable value", bits, frac);
    TU_CHECK(rounding_ok, "resq bits=%d frac=%d: rounding is not round-half-up + clamp", bits, frac);
    TU_CHECK(grad_ok, "resq bits=%d frac=%d: backward is not exactly 1 inside / 0 outside", bits, frac);
    TU_CHECK(inside > N / 4 && inside < N, "resq test inputs do not cover both regions");
}

static void test_resq_hand(void)
{
    /* bits 4, frac 2: values k/4, k in [-8, 7] */
    const float in[6] = {0.375f, -0.375f, 0.1f, 10.0f, -10.0f, -2.0f};
    const float want[6] = {0.5f, -0.25f, 0.0f, 1.75f, -2.0f, -2.0f};
    float out[6];
    nn_resq_forward(out, in, 6, 4, 2);
    int ok = memcmp(out, want, sizeof out) == 0;
    printf("  %-52s %s\n", "resq bits=4 frac=2 hand examples (half up, clamp)", ok ? "exact" : "WRONG");
    TU_CHECK(ok, "resq hand examples differ");
}

/* ---- cross-entropy ---- */

struct xent_ctx {
    int n, k;
    float *logits, *probs;
    int *labels;
};

static double xent_loss(void *p)
{
    struct xent_ctx *x = p;
    return nn_xent_forward(x->probs, x->logits, x->labels, x->n, x->k);
}

static void test_xent(int n, int k)
{
    struct xent_ctx x = {.n = n, .k = k};
    const size_t nk = (size_t)n * k;
    x.logits = alloc_floats(nk);
    x.probs = alloc_floats(nk);
    x.labels = calloc(n, sizeof(int));
    float *d = alloc_floats(nk), *d2 = alloc_floats(nk);
    fill(x.logits, nk, -3, 3);
    for (int i = 0; i < n; i++)
        x.labels[i] = (int)(rng_uniform() * k);

    printf("softmax cross-entropy n=%d k=%d\n", n, k);
    xent_loss(&x);
    nn_xent_backward(d, x.probs, x.labels, n, k);
    fd_check("xent dlogits (L = mean loss)", x.logits, d, nk, xent_loss, &x);

    xent_loss(&x);
    fill(d2, nk, 100, 200); /* overwritten, not accumulated */
    nn_xent_backward(d2, x.probs, x.labels, n, k);
    expect_close("xent backward overwrites", d2, d, nk);

    /* large logits: shift invariance, finite loss */
    const float base = xent_loss(&x);
    for (size_t i = 0; i < nk; i++)
        x.logits[i] += 1000.0f;
    const float shifted = xent_loss(&x);
    float a[1] = {shifted}, b[1] = {base};
    expect_close("xent loss(logits + 1000) = loss(logits)", a, b, 1);
    TU_CHECK(isfinite(shifted), "xent loss not finite for large logits");
    /* a confident wrong answer: loss = log-sum-exp, not -log(0) */
    float l2[2] = {0.0f, 200.0f}, p2[2];
    const int lab[1] = {0};
    const float loss = nn_xent_forward(p2, l2, lab, 1, 2);
    float got[1] = {loss}, want[1] = {200.0f};
    expect_close("xent loss with p[label] = e^-200 is 200", got, want, 1);

    free(x.logits); free(x.probs); free(x.labels); free(d); free(d2);
}

int main(void)
{
    const struct conv_case convs[] = {
        {2, 5, 6, 3, 4, 3, 2, 1},
        {1, 6, 5, 5, 3, 3, 1, 1},
        {2, 4, 3, 3, 5, 1, 1, 0},
        {1, 7, 6, 2, 3, 5, 2, 2},
        {3, 5, 5, 4, 2, 1, 2, 0},
    };
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++)
        test_conv_grad(convs[i]);
    test_wino_grad(2, 2, 5, 6, 4, 3); /* odd width: a tile past the edge */
    test_wino_grad(2, 1, 4, 4, 9, 5);
    test_wino_grad(4, 2, 5, 6, 4, 3); /* tiles past both edges */
    test_wino_grad(4, 1, 8, 4, 9, 5);
    test_dense_grad(3, 7, 5);
    test_dense_grad(1, 12, 3);
    test_bn(12, 5);
    test_bn(4, 131); /* more channels than one pass of partial sums */
    test_bn_running();
    test_maxpool(2, 5, 4, 3, 2);
    test_maxpool(1, 7, 6, 2, 3);
    test_maxpool_keyed(2, 6, 5, 3, 2);
    test_maxpool_keyed(1, 7, 7, 300, 3);
    test_maxpool_keyed(2, 6, 7, 300, 2); /* 2 x 2: its own run, over several chunks */
    test_merge_grad(MERGE_OR, "OR", 6, 5);
    test_merge_grad(MERGE_MUX_OR, "MUX_OR", 6, 5);
    test_merge_grad(MERGE_MUX_SEL, "MUX_SEL", 6, 5);
    test_merge_grad(MERGE_ADD, "ADD", 6, 5);
    test_merge_binary();
    test_resq(8, 4);
    test_resq(12, 8);
    test_resq(4, 0);
    test_resq_hand();
    test_xent(4, 6);
    test_xent(3, 10);
    return tu_exit("test_layers");
}

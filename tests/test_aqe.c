/* tests/test_aqe.c: AQE, the asymptotic-quantized estimator (papers.md 2a),
 * in its paper form (test_paper) and logiq's earlier scaled form (the rest).
 *
 * - nn_aqe_blend / nn_aqe_grad against their definitions, element by element;
 * - in a model: the training forward blends weights and activations
 *   (x_hat = alpha h(x) + (1 - alpha) x), the evaluation forward uses h alone
 *   (equal to the model without AQE), and the backward is the definition's
 *   2 alpha dL/dh 1{|x| <= 1} on weights and activations (for the uniform
 *   activations on [0, 1], their clip range 0 <= x <= 1);
 * - the ramp schedule ends at alpha = 1 and the same seed gives the same bits;
 * - the stochastic sign (Eq. 7): P(+1) = (1 + x) / 2 on [-1, 1] (to 0.005 on
 *   200,000 draws, over 5 standard errors), +1 above 1 and -1 below -1, the
 *   same bits for any cut into chunks; in a model, the blend of those.
 * Tolerance: exact, except the float blend, checked to 1 ulp-scale (1e-6
 * relative), since alpha h + (1 - alpha) x is computed in float. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "nn/quant.h"
#include "nn/train.h"
#include "tests/testutil.h"

static void test_functions(void)
{
    enum { N = 9 };
    const float x[N] = {-2.0f, -1.0f, -0.999f, -0.25f, 0.0f, 0.3f, 1.0f, 1.0001f, 5.0f};
    const float g[N] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float alphas[] = {0.25f, 0.5f, 0.9f, 1.0f};
    for (size_t k = 0; k < sizeof alphas / sizeof alphas[0]; k++) {
        float a = alphas[k], out[N], d[N];
        for (int i = 0; i < N; i++)
            out[i] = x[i] >= 0.0f ? 1.0f : -1.0f; /* h = sign */
        nn_aqe_blend(a, out, x, N);
        nn_aqe_grad(a, d, g, x, N);
        for (int i = 0; i < N; i++) {
            float h = x[i] >= 0.0f ? 1.0f : -1.0f;
            float want = a * h + (1.0f - a) * x[i];
            TU_CHECK(fabsf(out[i] - want) <= 1e-6f * (1.0f + fabsf(want)),
                     "blend alpha %g x %g: %g, want %g", a, x[i], out[i], want);
            float wd = fabsf(x[i]) <= 1.0f ? 2.0f * a * g[i] : 0.0f;
            TU_CHECK(d[i] == wd, "grad alpha %g x %g: %g, want %g", a, x[i], d[i], wd);
        }
        if (a == 0.5f) /* the STE point: the gradient of the clipped STE */
            for (int i = 0; i < N; i++)
                TU_CHECK(d[i] == (fabsf(x[i]) <= 1.0f ? g[i] : 0.0f), "alpha 1/2 is the STE");
    }
    /* in place (d == g) */
    float gg[N];
    memcpy(gg, g, sizeof gg);
    nn_aqe_grad(0.75f, gg, gg, x, N);
    for (int i = 0; i < N; i++)
        TU_CHECK(gg[i] == (fabsf(x[i]) <= 1.0f ? 1.5f * g[i] : 0.0f), "grad in place");
}

static int build_form(struct nn_model *m, const char *wq, const char *aq, float alpha, int ramp,
                      enum nn_aqe_form form)
{
    struct nn_arch a;
    struct nn_model_config cfg;
    struct nn_error err;
    nn_model_config_default(&cfg);
    cfg.in_h = cfg.in_w = 8;
    snprintf(cfg.wq, sizeof cfg.wq, "%s", wq);
    snprintf(cfg.aq, sizeof cfg.aq, "%s", aq);
    cfg.max_batch = 8;
    cfg.seed = 3;
    cfg.aqe_alpha = alpha;
    cfg.aqe_ramp = ramp;
    cfg.aqe_form = form;
    /* OR merges need {0,1} activations */
    const char *arch = strcmp(aq, "1") == 0 ? "c4,c4+or,p,f10" : "c4,c4,p,f10";
    if (nn_arch_parse(&a, arch, 1.0f, &err) != NN_OK || nn_model_init(m, &a, arch, &cfg, &err)) {
        TU_CHECK(0, "build: %s", err.msg);
        return -1;
    }
    return 0;
}

/* The scaled form, which the tests of the definitions' arithmetic use. */
static int build(struct nn_model *m, const char *wq, const char *aq, float alpha, int ramp)
{
    return build_form(m, wq, aq, alpha, ramp, NN_AQE_SCALED);
}

static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / (float)(1u << 24);
    }
}

/* One model with AQE at alpha, one without, same parameters and input. */
static void test_model(const char *wq, const char *aq, float alpha)
{
    struct nn_model ma, m0;
    if (build(&ma, wq, aq, alpha, 0) || build(&m0, wq, aq, 0.0f, 0))
        return;
    memcpy(m0.params, ma.params, ma.n_params * sizeof(float));
    enum { B = 8 };
    float x[B * 64];
    int y[B];
    fill(x, sizeof x / sizeof x[0], 11);
    for (int i = 0; i < B; i++)
        y[i] = i % 10;
    nn_model_fit_quant(&ma, 1);
    nn_model_fit_quant(&m0, 1);

    /* evaluation: h alone, the same as without AQE */
    const float *la = nn_model_forward(&ma, x, B, NN_EVAL);
    const float *l0 = nn_model_forward(&m0, x, B, NN_EVAL);
    TU_CHECK(memcmp(la, l0, B * 10 * sizeof(float)) == 0, "%s %s: eval forward differs", wq, aq);

    /* training: blended weights and activations of the hidden layers */
    nn_model_forward(&ma, x, B, NN_TRAIN);
    nn_model_forward(&m0, x, B, NN_TRAIN);
    const struct nn_layer *A = &ma.layers[0], *Z = &m0.layers[0];
    size_t nw = (size_t)A->out_c * A->fan_in, bad = 0;
    for (size_t j = 0; j < nw; j++) {
        float want = alpha * Z->wq_val[j] + (1.0f - alpha) * A->w[j];
        bad += fabsf(A->wq_val[j] - want) > 1e-6f * (1.0f + fabsf(want));
    }
    TU_CHECK(bad == 0, "%s %s: %zu blended weights differ from the definition", wq, aq, bad);
    size_t na = (size_t)B * A->out_h * A->out_w * A->out_c;
    float *h = malloc(na * sizeof *h);
    if (!h)
        return;
    A->aq.ops->forward(&A->aq, h, A->y, na);
    bad = 0;
    for (size_t j = 0; j < na; j++) {
        float want = alpha * h[j] + (1.0f - alpha) * A->y[j];
        bad += fabsf(A->a[j] - want) > 1e-6f * (1.0f + fabsf(want));
    }
    free(h);
    TU_CHECK(bad == 0, "%s %s: %zu blended activations differ from the definition", wq, aq, bad);

    /* backward, on layer 1: dy = 2 alpha da 1{|y| <= 1} (da = dL/dh, what
     * the next layer sent back), dw = 2 alpha dwq 1{|w| <= 1} */
    nn_model_backward(&ma, y);
    const int uniform = A->aq.kind == NN_AQ_UNIFORM;
    bad = 0;
    for (size_t j = 0; j < na; j++) {
        float v = A->y[j];
        int in = uniform ? v >= 0.0f && v <= 1.0f : fabsf(v) <= 1.0f;
        float want = in ? 2.0f * alpha * A->da[j] : 0.0f;
        bad += A->dy[j] != want;
    }
    TU_CHECK(bad == 0, "%s %s: %zu activation gradients differ from 2 alpha dh 1{|y|<=1}", wq,
             aq, bad);
    bad = 0;
    for (size_t j = 0; j < nw; j++) {
        float want = fabsf(A->w[j]) <= 1.0f ? 2.0f * alpha * A->dwq[j] : 0.0f;
        bad += A->dw[j] != want;
    }
    TU_CHECK(bad == 0, "%s %s: %zu weight gradients differ from 2 alpha dwq 1{|w|<=1}", wq, aq,
             bad);
    nn_model_free(&ma);
    nn_model_free(&m0);
}

/* The paper's form (papers.md 2a): h(w) at unit scale (its largest level
 * 1), the activations' blend on the HardTanh output clip(y, lo, 1) (lo = -1
 * for sign, tern and pow2, 0 for {0,1} and uniform codes), the same backward, the weights
 * clipped to [-1, 1] after an update; the evaluation forward runs h at that
 * scale, and fake == dequant(to_int) still holds. */
static void test_paper(const char *wq, const char *aq, float alpha)
{
    struct nn_model m;
    if (build_form(&m, wq, aq, alpha, 0, NN_AQE_PAPER))
        return;
    enum { B = 8 };
    float x[B * 64];
    int y[B];
    fill(x, sizeof x / sizeof x[0], 13);
    for (int i = 0; i < B; i++)
        y[i] = (3 * i) % 10;
    /* weights beyond [-1, 1], so that the clip has work */
    struct nn_layer *A = &m.layers[0];
    size_t nw = (size_t)A->out_c * A->fan_in, bad = 0;
    for (size_t j = 0; j < nw; j += 5)
        A->w[j] *= 9.0f;
    nn_model_fit_quant(&m, 1);
    for (int l = 0; l < m.n_layers; l++) {
        const struct nn_wq *q = &m.layers[l].wq;
        int unit = q->kind == NN_WQ_BINARY || q->kind == NN_WQ_TWN || q->kind == NN_WQ_POW2;
        for (int g = 0; unit && g < q->n_group; g++)
            TU_CHECK(q->scale[g] == 1.0f / (float)q->K, "%s layer %d: scale %g, want 1/%d", wq,
                     l + 1, q->scale[g], q->K);
    }
    int8_t *code = malloc(nw);
    float *h = malloc(nw * sizeof *h);
    if (!code || !h) {
        free(code);
        free(h);
        nn_model_free(&m);
        return;
    }
    A->wq.ops->to_int(&A->wq, code, A->w, A->out_c, A->fan_in);
    A->wq.ops->fake(&A->wq, h, A->w, A->out_c, A->fan_in);
    for (size_t j = 0; j < nw; j++)
        bad += h[j] != nn_wq_dequant(&A->wq, code[j], (int)(j / (size_t)A->fan_in));
    TU_CHECK(bad == 0, "%s: %zu weights where fake != dequant(to_int) at unit scale", wq, bad);
    nn_model_forward(&m, x, B, NN_TRAIN);
    bad = 0;
    for (size_t j = 0; j < nw; j++) {
        float want = alpha * ((float)code[j] / (float)A->wq.K) + (1.0f - alpha) * A->w[j];
        bad += fabsf(A->wq_val[j] - want) > 1e-6f * (1.0f + fabsf(want));
    }
    TU_CHECK(bad == 0, "%s %s paper: %zu blended weights differ from alpha h(w) + (1-alpha) w "
             "with h(w) = code/K", wq, aq, bad);
    free(code);
    free(h);
    size_t na = (size_t)B * A->out_h * A->out_w * A->out_c;
    float *ha = malloc(na * sizeof *ha);
    if (ha) {
        A->aq.ops->forward(&A->aq, ha, A->y, na);
        const float lo = nn_aq_lo(&A->aq);
        size_t clipped = 0;
        bad = 0;
        for (size_t j = 0; j < na; j++) {
            float v = A->y[j], c = v < lo ? lo : v > 1.0f ? 1.0f : v;
            float want = alpha * ha[j] + (1.0f - alpha) * c;
            bad += fabsf(A->a[j] - want) > 1e-6f * (1.0f + fabsf(want));
            clipped += c != v;
        }
        TU_CHECK(bad == 0 && clipped > 0, "%s %s paper: %zu blended activations differ from "
                 "alpha h(y) + (1-alpha) clip(y, %g, 1) (%zu clipped)", wq, aq, bad, lo, clipped);
        free(ha);
    }
    nn_model_backward(&m, y);
    bad = 0;
    for (size_t j = 0; j < nw; j++) {
        float want = fabsf(A->w[j]) <= 1.0f ? 2.0f * alpha * A->dwq[j] : 0.0f;
        bad += A->dw[j] != want;
    }
    TU_CHECK(bad == 0, "%s %s paper: %zu weight gradients differ from 2 alpha dwq 1{|w|<=1}", wq,
             aq, bad);
    float *before = malloc(nw * sizeof *before);
    if (before) {
        memcpy(before, A->w, nw * sizeof *before);
        nn_model_aqe_clip(&m);
        bad = 0;
        size_t changed = 0;
        for (size_t j = 0; j < nw; j++) {
            float want = before[j] > 1.0f ? 1.0f : before[j] < -1.0f ? -1.0f : before[j];
            bad += A->w[j] != want;
            changed += A->w[j] != before[j];
        }
        TU_CHECK(bad == 0 && changed > 0, "%s paper: the clip to [-1, 1] (%zu wrong, %zu "
                 "clipped)", wq, bad, changed);
        free(before);
    }
    nn_model_free(&m);
    /* the scaled form neither clips nor rescales */
    if (build(&m, wq, aq, alpha, 0))
        return;
    m.layers[0].w[0] = 7.0f;
    nn_model_fit_quant(&m, 1);
    nn_model_aqe_clip(&m);
    TU_CHECK(m.layers[0].w[0] == 7.0f, "%s scaled: no clip", wq);
    nn_model_free(&m);
}

static void test_ramp_and_determinism(void)
{
    struct nn_dataset ds;
    struct nn_error err;
    if (nn_data_synthetic(&ds, 64, 8, 8, 1, 10, 5, &err) != NN_OK) {
        TU_CHECK(0, "data: %s", err.msg);
        return;
    }
    float *p[2] = {NULL, NULL};
    size_t np = 0;
    for (int r = 0; r < 2; r++) {
        struct nn_model m;
        if (build_form(&m, "bin", "sign", 0.6f, 1, NN_AQE_PAPER))
            break;
        struct nn_train_opts o;
        struct nn_train_result res;
        nn_train_opts_default(&o);
        o.epochs = 2;
        o.batch = 8;
        o.eval_every_epoch = 0;
        TU_CHECK(nn_train(&m, &ds, NULL, &o, &res, &err) == NN_OK, "train: %s", err.msg);
        /* 16 steps: the last one ran at 0.6 + 0.4 * 15/16 */
        TU_CHECK(fabsf(m.aqe_now - (0.6f + 0.4f * 15.0f / 16.0f)) < 1e-6f,
                 "ramp: alpha %g at the last step", m.aqe_now);
        size_t outside = 0;  /* the paper form's clip after each update */
        for (int l = 0; l < m.n_layers; l++)
            for (size_t j = 0; j < (size_t)m.layers[l].out_c * m.layers[l].fan_in; j++)
                outside += fabsf(m.layers[l].w[j]) > 1.0f;
        TU_CHECK(outside == 0, "paper form: %zu weights outside [-1, 1] after training", outside);
        np = m.n_params;
        p[r] = malloc(np * sizeof(float));
        if (p[r])
            memcpy(p[r], m.params, np * sizeof(float));
        nn_model_free(&m);
    }
    TU_CHECK(p[0] && p[1] && memcmp(p[0], p[1], np * sizeof(float)) == 0,
             "same seed, same bits under AQE");
    free(p[0]);
    free(p[1]);
    nn_data_free(&ds);
}

static void test_stochastic(void)
{
    enum { N = 200000 };
    float *x = malloc(N * sizeof *x), *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    if (!x || !a || !b)
        return;
    const float xs[] = {-2.0f, -1.0f, -0.5f, 0.0f, 0.25f, 0.5f, 0.9f, 1.0f, 1.5f};
    for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
        for (int i = 0; i < N; i++)
            x[i] = xs[k];
        nn_aqe_stochastic_sign(a, x, N, 42 + k, 0);
        long pos = 0;
        for (int i = 0; i < N; i++)
            pos += a[i] == 1.0f;
        double p = (double)pos / N;
        double want = xs[k] <= -1.0f ? 0.0 : xs[k] >= 1.0f ? 1.0 : 0.5 * (1.0 + xs[k]);
        int exact = xs[k] < -1.0f || xs[k] >= 1.0f;
        TU_CHECK(exact ? p == want : fabs(p - want) <= 0.005,
                 "stochastic sign at x = %g: P(+1) %.4f, want %.4f", xs[k], p, want);
    }
    /* chunks: the draws depend on (key, index) only */
    for (int i = 0; i < N; i++)
        x[i] = (float)(i % 200) / 100.0f - 1.0f;
    nn_aqe_stochastic_sign(a, x, N, 7, 0);
    nn_aqe_stochastic_sign(b, x, 12345, 7, 0);
    nn_aqe_stochastic_sign(b + 12345, x + 12345, N - 12345, 7, 12345);
    TU_CHECK(memcmp(a, b, N * sizeof *a) == 0, "stochastic sign: chunks give other bits");
    free(x);
    free(a);
    free(b);

    /* in a model: a = alpha s + (1 - alpha) y with s = +-1, s = +1 where y >= 1 */
    struct nn_model m;
    if (build(&m, "bin", "sign", 0.6f, 0))
        return;
    m.cfg.aqe_stochastic = 1;
    m.noise_key = 99;
    enum { B = 8 };
    float in[B * 64];
    fill(in, sizeof in / sizeof in[0], 5);
    nn_model_fit_quant(&m, 1);
    nn_model_forward(&m, in, B, NN_TRAIN);
    const struct nn_layer *L = &m.layers[0];
    size_t na = (size_t)B * L->out_h * L->out_w * L->out_c, bad = 0, flips = 0;
    for (size_t j = 0; j < na; j++) {
        float y = L->y[j], s = (L->a[j] - 0.4f * y) / 0.6f;
        int plus = fabsf(s - 1.0f) < 1e-4f, minus = fabsf(s + 1.0f) < 1e-4f;
        bad += !(plus || minus) || (y >= 1.0f && !plus) || (y < -1.0f && !minus);
        flips += (plus && y < 0.0f) || (minus && y >= 0.0f);
    }
    TU_CHECK(bad == 0, "stochastic AQE in a model: %zu activations are not the blend of +-1",
             bad);
    TU_CHECK(flips > 0, "stochastic AQE in a model: no draw differs from sign(y)");
    nn_model_free(&m);
}

int main(void)
{
    test_functions();
    test_model("bin", "sign", 0.5f);
    test_model("heq:3", "1", 0.3f);
    test_model("twn", "2", 0.8f);
    test_paper("bin", "sign", 0.5f);
    test_paper("twn", "1", 0.3f);
    test_paper("pow2:3", "2", 0.7f);
    /* MINW-Net's signed M-bit activations: the blend on HardTanh's [-1, 1] */
    test_model("bin", "tern", 0.5f);
    test_model("pow2:3", "pow2:3", 0.6f);
    test_paper("twn", "tern", 0.5f);
    test_paper("pow2:3", "pow2:3", 0.5f);
    test_paper("bin", "pow2:3/geo", 0.4f);
    test_ramp_and_determinism();
    test_stochastic();
    return tu_exit("test_aqe");
}

/* tests/test_pool_order.c: the AQE paper's layer order (--pool-order paper:
 * conv -> max pool -> batch norm -> activation; docs/definitions.md, "AQE"):
 * its forward by hand, its backward against finite differences, the
 * refusals, the export to the hardware's integers (threshold, then max pool
 * of codes) with negative batch-norm scales, held against the float
 * evaluation and simulated by the SystemC model, and the checkpoint field.
 *
 * Tolerance policy, stated once:
 *  - Gradient check (full-precision weights and activations, so the model is
 *    smooth between max pooling's switches): the loss in float, central
 *    differences with step FD_EPS = 3e-4; an entry passes when
 *    |numeric - analytic| <= FD_ATOL + FD_RTOL |analytic| (1e-3, 2e-2; the
 *    loss is a float sum, so its rounding over the step is ~3e-4). An entry
 *    whose step moves a window's argmax (a kink of max pooling) is not
 *    compared but counted; at most a tenth of the entries may be.
 *  - The forward by hand: exact (the same float operations).
 *  - Export: every pooled activation of the integer model, the exported
 *    negation undone, must equal the float evaluation's exactly, except where
 *    the float batch-norm output lies within TIE_TOL of a threshold (a tie of
 *    the folding, as in tests/test_train.c); every differing prediction must
 *    follow from such a tie or from a near-tie of the two best scores.
 *    Unexplained differences must be zero. The SystemC model must match the
 *    integer model bit for bit on every image it runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ckpt.h"
#include "nn/infer.h"
#include "nn/model.h"
#include "tests/sim_fixture.h"
#include "tests/sim_open.h"
#include "tests/testutil.h"

#define FD_EPS 3e-4f
#define FD_ATOL 1e-3
#define FD_RTOL 2e-2
#define TIE_TOL 1e-4

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static double rng_uniform(void) /* [0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

static int build(struct nn_model *m, const char *arch_text, const char *wq, const char *aq,
                 enum nn_pool_order order, int side, struct nn_error *err)
{
    struct nn_arch a;
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.in_h = cfg.in_w = side;
    snprintf(cfg.wq, sizeof cfg.wq, "%s", wq);
    snprintf(cfg.aq, sizeof cfg.aq, "%s", aq);
    cfg.max_batch = 8;
    cfg.seed = 7;
    cfg.pool_order = order;
    enum nn_status st = nn_arch_parse(&a, arch_text, 1.0f, err);
    if (st == NN_OK)
        st = nn_model_init(m, &a, arch_text, &cfg, err);
    return st == NN_OK ? 0 : -1;
}

/* The paper order's forward of layer 0 in evaluation by hand: zp = the
 * window maxima of z, y = batch norm of zp with the running statistics,
 * a = h(y), all at the pooled size; a layer with a merge keeps the hw order. */
static void test_forward(void)
{
    struct nn_model m;
    struct nn_error err;
    if (build(&m, "c4,p,c4,c4+or,p,f10", "bin", "1", NN_POOL_PAPER, 8, &err) == 0) {
        TU_CHECK(0, "{0,1} activations in a paper pooling layer must be refused");
        nn_model_free(&m);
    } else {
        TU_CHECK(strstr(err.msg, "--pool-order paper") && strstr(err.msg, "layer 1"),
                 "the refusal names the option and the layer: %s", err.msg);
    }
    if (build(&m, "c4,p,c4,p,f10", "twn", "2", NN_POOL_PAPER, 8, &err) == 0) {
        TU_CHECK(0, "uniform activations in a paper pooling layer must be refused");
        nn_model_free(&m);
    }
    /* the hw order takes them, and {0,1} codes in a merging pooling layer
     * keep the hw order under paper */
    TU_CHECK(build(&m, "c4,p,c4,p,f10", "twn", "2", NN_POOL_HW, 8, &err) == 0, "hw: %s",
             err.msg);
    nn_model_free(&m);
    TU_CHECK(build(&m, "c4{a=sign},p,c4,c4+or,p,f10", "bin", "1", NN_POOL_PAPER, 8, &err) == 0,
             "a merging layer keeps hw: %s", err.msg);
    if (m.n_layers)
        TU_CHECK(m.layers[0].pool_first && !m.layers[2].pool_first,
                 "pool_first on the plain pooling layer only");
    nn_model_free(&m);

    if (build(&m, "c4,p,c6,p,f10", "twn", "tern", NN_POOL_PAPER, 8, &err) != 0) {
        TU_CHECK(0, "build: %s", err.msg);
        return;
    }
    enum { B = 3 };
    float x[B * 64];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)rng_uniform();
    struct nn_layer *L = &m.layers[0];
    for (int c = 0; c < L->out_c; c++) {
        L->gamma[c] = c % 2 ? -0.7f : 1.3f;
        L->beta[c] = 0.1f * (float)(c - 2);
        L->run_mean[c] = 0.05f * (float)c;
        L->run_var[c] = 0.5f + 0.1f * (float)c;
    }
    nn_model_forward(&m, x, B, NN_EVAL);
    const int C = L->out_c, p = L->spec.pool;
    size_t bad_z = 0, bad_a = 0;
    for (int b = 0; b < B; b++)
        for (int py = 0; py < L->ph; py++)
            for (int px = 0; px < L->pw; px++)
                for (int c = 0; c < C; c++) {
                    float mx = -INFINITY;
                    for (int dy = 0; dy < p; dy++)
                        for (int dx = 0; dx < p; dx++) {
                            const float v = L->z[(((size_t)b * L->out_h + py * p + dy) * L->out_w +
                                                  px * p + dx) * C + c];
                            mx = v > mx ? v : mx;
                        }
                    const size_t o = (((size_t)b * L->ph + py) * L->pw + px) * C + c;
                    bad_z += L->zp[o] != mx;
                    float y;
                    nn_bn_forward_eval(&y, &mx, &L->gamma[c], &L->beta[c], &L->run_mean[c],
                                       &L->run_var[c], 1, 1, NN_BN_EPS);
                    float hv;
                    L->aq.ops->forward(&L->aq, &hv, &y, 1);
                    bad_a += L->out[o] != hv || L->y[o] != y;
                }
    TU_CHECK(bad_z == 0, "zp: %zu window maxima differ", bad_z);
    TU_CHECK(bad_a == 0, "y, a at the pooled size: %zu differ from batch norm then h", bad_a);
    TU_CHECK(L->out == L->a, "the layer's output is its activation");
    nn_model_free(&m);
}

/* ---- the gradient of the paper order against finite differences ---- */

struct fd_ctx {
    struct nn_model *m;
    const float *x;
    const int *y;
    int n;
    int *argmax;    /* every pooling layer's argmax of the unperturbed forward */
    size_t n_argmax;
};

/* Copies (save = 1) or compares with the copy the pooling layers' argmax;
 * returns 1 when they differ. */
static int argmax_moved(struct fd_ctx *c, int save)
{
    size_t off = 0;
    int moved = 0;
    for (int l = 0; l < c->m->n_layers; l++) {
        const struct nn_layer *L = &c->m->layers[l];
        if (!L->spec.pool)
            continue;
        const size_t n = (size_t)c->n * L->ph * L->pw * L->out_c;
        if (save && off + n <= c->n_argmax)
            memcpy(c->argmax + off, L->argmax, n * sizeof(int));
        else if (off + n <= c->n_argmax)
            moved |= memcmp(c->argmax + off, L->argmax, n * sizeof(int)) != 0;
        off += n;
    }
    return moved;
}

static double loss_of(struct fd_ctx *c)
{
    nn_model_forward(c->m, c->x, c->n, NN_TRAIN);
    return (double)nn_model_backward(c->m, c->y);
}

static void fd_check(const char *what, float *p, const float *analytic, size_t n,
                     struct fd_ctx *ctx)
{
    double worst = 0.0;
    size_t worst_i = 0, kinks = 0;
    loss_of(ctx);
    argmax_moved(ctx, 1);
    for (size_t i = 0; i < n; i++) {
        const float save = p[i];
        p[i] = save + FD_EPS;
        const double lp = loss_of(ctx);
        int moved = argmax_moved(ctx, 0);
        p[i] = save - FD_EPS;
        const double lm = loss_of(ctx);
        moved |= argmax_moved(ctx, 0);
        p[i] = save;
        if (moved) {
            kinks++;
            continue;
        }
        const double numeric = (lp - lm) / (2.0 * (double)FD_EPS);
        const double e = fabs(numeric - analytic[i]) / (FD_ATOL + FD_RTOL * fabs(analytic[i]));
        if (e > worst) {
            worst = e;
            worst_i = i;
        }
    }
    printf("  %-44s normalized error %.3g (%zu entries, %zu across a pooling switch)\n",
           what, worst, n, kinks);
    TU_CHECK(kinks * 10 <= n, "%s: %zu of %zu entries cross a pooling switch", what, kinks, n);
    TU_CHECK(worst <= 1.0, "%s: finite differences disagree at entry %zu (normalized error %g)",
             what, worst_i, worst);
}

static void test_gradient(void)
{
    struct nn_model m;
    struct nn_error err;
    /* two pooling conv layers in the paper order, full precision */
    if (build(&m, "c3,p,c4,p,f10", "fp", "fp", NN_POOL_PAPER, 8, &err) != 0) {
        TU_CHECK(0, "build: %s", err.msg);
        return;
    }
    TU_CHECK(m.layers[0].pool_first && m.layers[1].pool_first, "both layers pool first");
    enum { B = 4 };
    float x[B * 64];
    int y[B];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)rng_uniform();
    for (int i = 0; i < B; i++)
        y[i] = (3 * i + 1) % 10;
    for (int l = 0; l < 2; l++)
        for (int c = 0; c < m.layers[l].out_c; c++) {
            m.layers[l].gamma[c] = c % 2 ? -0.8f : 1.2f; /* negative scales too */
            m.layers[l].beta[c] = 0.2f;
        }
    int argmax[2 * B * 64];
    struct fd_ctx ctx = {&m, x, y, B, argmax, sizeof argmax / sizeof argmax[0]};
    loss_of(&ctx);
    float *g = malloc(m.n_params * sizeof(float));
    if (!g) {
        nn_model_free(&m);
        return;
    }
    memcpy(g, m.grads, m.n_params * sizeof(float));
    for (int l = 0; l < 2; l++) {
        struct nn_layer *L = &m.layers[l];
        char what[64];
        snprintf(what, sizeof what, "layer %d weights", l + 1);
        fd_check(what, L->w, g + (L->w - m.params), (size_t)L->out_c * L->fan_in, &ctx);
        snprintf(what, sizeof what, "layer %d gamma", l + 1);
        fd_check(what, L->gamma, g + (L->gamma - m.params), (size_t)L->out_c, &ctx);
        snprintf(what, sizeof what, "layer %d beta", l + 1);
        fd_check(what, L->beta, g + (L->beta - m.params), (size_t)L->out_c, &ctx);
    }
    free(g);
    nn_model_free(&m);
}

/* ---- the export: integers == float evaluation ---- */

/* Sets random parameters: weights from init, gamma of either sign (about
 * half negative), beta, and running statistics near those of z. */
static void randomize(struct nn_model *m, const float *x, int n)
{
    for (size_t j = 0; j < m->n_params; j++)
        if (m->decay[j])
            m->params[j] = (float)(rng_uniform() * 2.0 - 1.0);
    nn_model_fit_quant(m, 1);
    for (int l = 0; l < m->n_layers; l++) {
        struct nn_layer *L = &m->layers[l];
        if (!L->hidden) {
            for (int c = 0; c < L->out_c; c++)
                L->bias[c] = (float)(rng_uniform() - 0.5);
            continue;
        }
        /* the running statistics of the batch at this layer (earlier layers
         * already set), so that codes of every level occur */
        nn_model_forward(m, x, n, NN_TRAIN);
        for (int c = 0; c < L->out_c; c++) {
            const float s = (float)(0.5 + rng_uniform());
            L->gamma[c] = rng_uniform() < 0.5 ? -s : s;
            L->beta[c] = (float)(rng_uniform() - 0.5);
            L->run_mean[c] = L->bn_mean[c];
            L->run_var[c] = 1.0f / (L->bn_rstd[c] * L->bn_rstd[c]);
        }
    }
}

static void test_export_case(const char *arch, const char *wq, const char *aq, int seed)
{
    struct nn_model m;
    struct nn_error err;
    enum { SIDE = 12, B = 8, N_IMG = 64 };
    if (build(&m, arch, wq, aq, NN_POOL_PAPER, SIDE, &err) != 0) {
        TU_CHECK(0, "%s %s %s: build: %s", arch, wq, aq, err.msg);
        return;
    }
    rng_state ^= (uint64_t)seed * 0x9e3779b97f4a7c15ull;
    uint8_t pix[N_IMG * SIDE * SIDE];
    for (size_t i = 0; i < sizeof pix; i++)
        pix[i] = (uint8_t)(rng_uniform() * 256.0);
    float x[B * SIDE * SIDE];
    for (int i = 0; i < B * SIDE * SIDE; i++)
        x[i] = (float)pix[i] / 255.0f;
    randomize(&m, x, B);
    int n_neg = 0, n_pos = 0;
    for (int l = 0; l + 1 < m.n_layers; l++)
        for (int c = 0; c < m.layers[l].out_c; c++)
            *(m.layers[l].gamma[c] < 0.0f ? &n_neg : &n_pos) += 1;
    TU_CHECK(n_neg > 0 && n_pos > 0, "%s: both signs of scale (%d negative, %d positive)", arch,
             n_neg, n_pos);

    struct nn_qnn q;
    if (nn_model_export(&m, &q, &err) != NN_OK) {
        TU_CHECK(0, "%s %s %s: export: %s", arch, wq, aq, err.msg);
        nn_model_free(&m);
        return;
    }
    struct nn_infer_ws ws;
    if (nn_infer_ws_init(&ws, &q, &err) != NN_OK) {
        TU_CHECK(0, "workspace: %s", err.msg);
        nn_qnn_free(&q);
        nn_model_free(&m);
        return;
    }
    size_t compared = 0, differ = 0, ties = 0;
    int pred_differ = 0, unexplained = 0;
    for (int first = 0; first < N_IMG; first += B) {
        for (int i = 0; i < B * SIDE * SIDE; i++)
            x[i] = (float)pix[first * SIDE * SIDE + i] / 255.0f;
        const float *logits = nn_model_forward(&m, x, B, NN_EVAL);
        for (int b = 0; b < B; b++) {
            const int pi = nn_infer_image(&q, &ws, pix + (size_t)(first + b) * SIDE * SIDE);
            int any_tie = 0;
            size_t differ_here = 0;
            /* up to the first layer that differs: a tie there changes the
             * later layers' inputs */
            for (int l = 0; l + 1 < m.n_layers && differ_here == 0; l++) {
                const struct nn_layer *L = &m.layers[l];
                const int C = L->out_c;
                const size_t n = (size_t)L->ph * L->pw * C, o = (size_t)b * n;
                const double vs = (double)nn_aq_value_scale(&L->aq);
                for (size_t k = 0; k < n; k++) {
                    const int c = (int)(k % (size_t)C);
                    const int sgn = L->pool_first && L->gamma[c] < 0.0f ? -1 : 1;
                    const double want = (double)L->out[o + k] / vs;
                    const double got = (double)(sgn * ws.act[l][k]);
                    compared++;
                    int tie = 0;
                    for (int j = 1; j <= nn_aq_n_thresh(&L->aq); j++)
                        tie |= fabs((double)L->y[o + k] - nn_aq_thresh(&L->aq, j)) <= TIE_TOL;
                    any_tie |= tie;
                    if (want != got) {
                        differ++;
                        differ_here++;
                        ties += tie;
                        if (!tie && differ_here == 1)
                            fprintf(stderr, "  %s: image %d layer %d element %zu: float %g, "
                                    "integer %g\n", arch, first + b, l + 1, k, want, got);
                    }
                }
            }
            const float *lg = logits + (size_t)b * q.n_class;
            int pf = 0, second = -1;
            for (int c = 1; c < q.n_class; c++)
                if (lg[c] > lg[pf])
                    pf = c;
            for (int c = 0; c < q.n_class; c++)
                if (c != pf && (second < 0 || lg[c] > lg[second]))
                    second = c;
            if (pf != pi) {
                pred_differ++;
                unexplained += !any_tie && fabsf(lg[pf] - lg[second]) > 1e-3f;
            }
        }
    }
    printf("export paper order %-22s %-4s aq %-6s: %zu activations compared, %zu differ "
           "(%zu at ties), %d of %d predictions differ, %d unexplained; %d/%d scales "
           "negative\n", arch, wq, aq, compared, differ, ties, pred_differ, N_IMG, unexplained,
           n_neg, n_neg + n_pos);
    TU_CHECK(differ == ties, "%s %s %s: %zu activations differ away from a tie", arch, wq, aq,
             differ - ties);
    TU_CHECK(unexplained == 0, "%s %s %s: %d unexplained prediction differences", arch, wq, aq,
             unexplained);
    /* the accelerator runs the same integers: the negated channels' codes,
     * its max pooling and the readers' negated weights */
    struct cm_hw hw;
    cm_hw_defaults(&hw);
    hw.acc_bits = acc_bits_needed(&q);
    struct sim *sim;
    struct sim_error serr;
    if (test_sim_open(&sim, &q, &hw, NULL, &serr) == SIM_OK) {
        int matched[B];
        enum sim_status sst = sim_run(sim, pix, B, NULL, matched, &serr);
        int all = sst == SIM_OK;
        for (int b = 0; b < B; b++)
            all &= matched[b];
        TU_CHECK(all, "%s %s %s: SystemC differs from the integer model (%s)", arch, wq, aq,
                 sst == SIM_OK ? "outputs" : serr.msg);
        sim_close(sim);
    } else {
        TU_CHECK(0, "%s %s %s: sim_open: %s", arch, wq, aq, serr.msg);
    }
    nn_infer_ws_free(&ws);
    nn_qnn_free(&q);
    nn_model_free(&m);
}

static void test_export(void)
{
    const char *nets[] = {"c4,p,c6,p,f10", "c5k5,p,c6,c6,p,f10", "c4,c6,p,c6k1,p,f10"};
    const char *acts[] = {"sign", "tern", "pow2:3"};
    const char *wqs[] = {"bin", "twn"};
    int seed = 1;
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
        for (size_t w = 0; w < sizeof wqs / sizeof wqs[0]; w++)
            for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++)
                test_export_case(nets[k], wqs[w], acts[a], seed++);
}

/* ---- the checkpoint's optional field ---- */

static void test_ckpt(void)
{
    char path[512];
    tu_scratch_path(path, sizeof path, "pool_order.lqc");
    struct nn_model m, h;
    struct nn_error err;
    if (build(&m, "c4,p,f10", "bin", "sign", NN_POOL_PAPER, 8, &err) != 0 ||
        build(&h, "c4,p,f10", "bin", "sign", NN_POOL_HW, 8, &err) != 0) {
        TU_CHECK(0, "build: %s", err.msg);
        return;
    }
    struct nn_ckpt_info info = {.width = 1.0f, .norm = NN_NORM_SCALE};
    struct nn_ckpt ck;
    TU_CHECK(nn_ckpt_write(&m, &info, path, &err) == NN_OK, "write: %s", err.msg);
    if (nn_ckpt_read(&ck, path, &err) == NN_OK) {
        TU_CHECK(ck.cfg.pool_order == NN_POOL_PAPER, "paper read back");
        TU_CHECK(nn_ckpt_check_same(&ck, &m, &info, &err) == NN_OK, "same options: %s",
                 err.msg);
        err.msg[0] = 0;
        TU_CHECK(nn_ckpt_check_same(&ck, &h, &info, &err) == NN_ERR_ARG &&
                     strstr(err.msg, "pool_order=paper"),
                 "resuming a paper state in hw order is refused: %s", err.msg);
        struct nn_model back;
        TU_CHECK(nn_ckpt_load_model(&ck, &back, NN_CKPT_WQ_RESTORE, &err) == NN_OK &&
                     back.cfg.pool_order == NN_POOL_PAPER && back.layers[0].pool_first,
                 "the loaded model pools first: %s", err.msg);
        nn_model_free(&back);
        nn_ckpt_free(&ck);
    } else {
        TU_CHECK(0, "read: %s", err.msg);
    }
    /* hw writes no pool_order line (files as before), and reads as hw */
    TU_CHECK(nn_ckpt_write(&h, &info, path, &err) == NN_OK, "write: %s", err.msg);
    if (nn_ckpt_read(&ck, path, &err) == NN_OK) {
        TU_CHECK(ck.cfg.pool_order == NN_POOL_HW, "hw read back");
        const char *text = (const char *)ck.buf;
        int found = 0;
        for (uint64_t i = 0; i + 10 < ck.tensors_at; i++)
            found |= memcmp(text + i, "pool_order", 10) == 0;
        TU_CHECK(!found, "an hw file has no pool_order field");
        nn_ckpt_free(&ck);
    } else {
        TU_CHECK(0, "read: %s", err.msg);
    }
    remove(path);
    nn_model_free(&m);
    nn_model_free(&h);
}

int main(void)
{
    printf("SystemC %s\n", sim_systemc_version()); /* links sc_main (sim/sim_version.cpp) */
    test_forward();
    test_gradient();
    test_export();
    test_ckpt();
    return tu_exit("test_pool_order");
}

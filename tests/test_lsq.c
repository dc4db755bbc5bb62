/* tests/test_lsq.c: LSQ, the learned-step weight quantizer (nn/quant_lsq.c).
 * (Its round-trip bound per bit width and fake == dequant(to_int) are in
 * tests/test_quant.c's contract, with the other rounding quantizers.)
 *
 *   - the initial step 2 mean|w| / sqrt(Q_P), per tensor and per channel;
 *     later fits keep the step;
 *   - the step's gradient against the LSQ formula computed here
 *     independently in double (tolerance 1e-5 relative plus 1e-9: the sum is
 *     in double in both, x = w/s is float in the quantizer);
 *   - the step's gradient against a central finite difference of the
 *     fake-quantized loss L(s) = sum_i g_i fake(w_i; s), where it is
 *     defined: no code changes between s - h and s + h (h = 1e-6 s). There
 *     dL/ds = sum_i g_i code_i, and LSQ's gradient is that plus the
 *     straight-through term sum_inside g_i (-w_i / s), times the gradient
 *     scale 1/sqrt(N Q_P) (tolerance 1e-4 relative plus 1e-6: float x = w/s
 *     in the quantizer, against double here);
 *   - the weights' estimator: dwq inside (-Q_P, Q_P), 0 outside;
 *   - in training the optimizer moves the step, bit-identically for the same
 *     seed and thread count, and the export folds it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/infer.h"
#include "nn/model.h"
#include "nn/train.h"
#include "tests/testutil.h"

static void make(struct nn_wq *q, const char *spec, int cout)
{
    struct nn_error err;
    if (nn_wq_parse(q, spec, &err) != NN_OK || nn_wq_init(q, cout, &err) != NN_OK) {
        fprintf(stderr, "%s: %s\n", spec, err.msg);
        exit(1);
    }
}

static void fill(float *w, size_t n, double sd, unsigned seed)
{
    unsigned s = seed;
    for (size_t i = 0; i < n; i++) {
        double u = 0.0;
        for (int k = 0; k < 4; k++) {
            s = s * 1664525u + 1013904223u;
            u += (double)(s >> 8) / (double)(1u << 24) - 0.5;
        }
        w[i] = (float)(u * sd * 1.7320508);
    }
}

static double round_half_away(double x)
{
    return x < 0 ? -floor(-x + 0.5) : floor(x + 0.5);
}

/* The fake-quantized loss sum_i g_i s code_i at the current steps, with the
 * codes of to_int (fake == s * code holds bit for bit, tests/test_quant.c)
 * and the product taken in double, so that the finite difference measures
 * the function and not the float rounding of fake's product. */
static double fq_loss(struct nn_wq *q, const float *w, const float *g, int8_t *code, int cout,
                      int fan_in)
{
    q->ops->to_int(q, code, w, cout, fan_in);
    double l = 0.0;
    for (int c = 0; c < cout; c++) {
        double s = q->scale[q->mode == NN_SCALE_CHANNEL ? c : 0];
        for (size_t i = (size_t)c * fan_in; i < (size_t)(c + 1) * fan_in; i++)
            l += (double)g[i] * s * code[i];
    }
    return l;
}

static void test_init_and_grad(const char *spec, int cout, int fan_in, unsigned seed)
{
    struct nn_wq q;
    make(&q, spec, cout);
    const size_t n = (size_t)cout * fan_in;
    float *w = malloc(n * sizeof *w), *g = malloc(n * sizeof *g);
    float *dw = malloc(n * sizeof *dw);
    int8_t *c0 = malloc(n), *c1 = malloc(n);
    fill(w, n, 0.05, seed);
    fill(g, n, 1.0, seed + 7);
    const int K = q.K, G = q.n_group;
    const size_t gn = n / (size_t)G;
    q.ops->fit(&q, w, cout, fan_in, 1);
    int bad_init = 0;
    for (int j = 0; j < G; j++) {
        double m = 0.0;
        for (size_t i = 0; i < gn; i++)
            m += fabs((double)w[j * gn + i]);
        double want = 2.0 * (m / (double)gn) / sqrt((double)K);
        bad_init += fabs(q.scale[j] - want) > 1e-6 * want;
    }
    TU_CHECK(bad_init == 0, "%s %dx%d: initial step != 2 mean|w| / sqrt(%d) in %d groups",
             spec, cout, fan_in, K, bad_init);
    /* a smaller step than the init, so that some weights clip at every width:
     * at most 0.8 max|w| / K */
    for (int j = 0; j < G; j++) {
        float mx = 0.0f;
        for (size_t i = j * gn; i < (j + 1) * gn; i++)
            mx = fabsf(w[i]) > mx ? fabsf(w[i]) : mx;
        q.scale[j] = fminf(0.6f * q.scale[j], 0.8f * mx / (float)K);
    }
    float kept = q.scale[0];
    q.ops->fit(&q, w, cout, fan_in, 0);
    TU_CHECK(q.scale[0] == kept, "%s: a later fit keeps the learned step", spec);

    q.ops->grad(&q, dw, g, w, cout, fan_in);
    int bad_ds = 0, bad_fd = 0, bad_dw = 0, n_fd = 0;
    size_t clipped = 0;
    double worst_fd = 0.0;
    for (int j = 0; j < G; j++) {
        const float s = q.scale[j];
        const double gs = 1.0 / sqrt((double)gn * K);
        double ref = 0.0, ste = 0.0;
        for (size_t i = j * gn; i < (j + 1) * gn; i++) {
            double x = (double)(w[i] / s);
            if (x > -K && x < K) {
                ref += g[i] * (round_half_away(x) - x);
                ste += g[i] * -x;
                bad_dw += dw[i] != g[i];
            } else {
                ref += g[i] * (x < 0 ? -K : K);
                bad_dw += dw[i] != 0.0f;
                clipped++;
            }
        }
        ref *= gs;
        bad_ds += fabs(q.dscale[j] - ref) > 1e-5 * fabs(ref) + 1e-9;

        /* central finite difference of the fake-quantized loss in s_j */
        const float h = 1e-6f * s; /* a few float ulps of s */
        q.scale[j] = s + h;
        double up = fq_loss(&q, w, g, c0, cout, fan_in);
        float sp = q.scale[j];
        q.scale[j] = s - h;
        double dn = fq_loss(&q, w, g, c1, cout, fan_in);
        float sm = q.scale[j];
        q.scale[j] = s;
        if (memcmp(c0, c1, n) != 0)
            continue; /* a code changes inside [s - h, s + h]: L is not differentiable */
        double fd = (up - dn) / ((double)sp - sm);
        double lsq = (double)q.dscale[j] / gs; /* = fd + the STE's term */
        double d = fabs(lsq - (fd + ste));
        worst_fd = d > worst_fd ? d : worst_fd;
        bad_fd += d > 1e-4 * fabs(lsq) + 1e-6;
        n_fd++;
    }
    printf("%-9s %3dx%-5d: %d groups, %zu weights clipped; step gradient vs formula: %d bad; "
           "vs finite difference + STE term on %d groups: %d bad (largest diff %.3g)\n", spec,
           cout, fan_in, G, clipped, bad_ds, n_fd, bad_fd, worst_fd);
    TU_CHECK(bad_ds == 0, "%s: %d group gradients differ from the LSQ formula", spec, bad_ds);
    TU_CHECK(bad_fd == 0, "%s: %d group gradients differ from the finite difference", spec,
             bad_fd);
    TU_CHECK(n_fd > 0, "%s: no group where the finite difference is defined", spec);
    TU_CHECK(bad_dw == 0, "%s: %d weight gradients break the STE (1 inside, 0 outside)", spec,
             bad_dw);
    TU_CHECK(clipped > 0, "%s: the test must reach the clipped branch", spec);
    nn_wq_free(&q);
    free(w);
    free(g);
    free(dw);
    free(c0);
    free(c1);
}

static void train_lsq(struct nn_model *m, const struct nn_dataset *tr, const char *wq)
{
    struct nn_arch a;
    struct nn_model_config cfg;
    struct nn_error err;
    nn_model_config_default(&cfg);
    cfg.in_h = cfg.in_w = 16;
    snprintf(cfg.wq, sizeof cfg.wq, "%s", wq);
    snprintf(cfg.aq, sizeof cfg.aq, "2");
    cfg.max_batch = 32;
    cfg.seed = 3;
    TU_CHECK(nn_arch_parse(&a, "c8,c8,p,f16,f10", 1.0f, &err) == NN_OK &&
                 nn_model_init(m, &a, "c8,c8,p,f16,f10", &cfg, &err) == NN_OK,
             "build: %s", err.msg);
    struct nn_train_opts o;
    struct nn_train_result r;
    nn_train_opts_default(&o);
    o.epochs = 2;
    o.batch = 32;
    o.lr = 3e-3f;
    o.seed = 5;
    o.eval_every_epoch = 0;
    TU_CHECK(nn_train(m, tr, NULL, &o, &r, &err) == NN_OK, "train: %s", err.msg);
}

static void test_training(const struct nn_dataset *tr, const struct nn_dataset *te,
                          const char *wq)
{
    struct nn_model a, b, init;
    struct nn_error err;
    struct nn_arch arch;
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.in_h = cfg.in_w = 16;
    snprintf(cfg.wq, sizeof cfg.wq, "%s", wq);
    snprintf(cfg.aq, sizeof cfg.aq, "2");
    cfg.max_batch = 32;
    cfg.seed = 3;
    if (nn_arch_parse(&arch, "c8,c8,p,f16,f10", 1.0f, &err) != NN_OK ||
        nn_model_init(&init, &arch, "c8,c8,p,f16,f10", &cfg, &err) != NN_OK) {
        TU_CHECK(0, "build: %s", err.msg);
        return;
    }
    train_lsq(&a, tr, wq);
    train_lsq(&b, tr, wq);
    int moved = 0, same = 1;
    for (int l = 0; l < a.n_layers; l++) {
        const struct nn_wq *qa = &a.layers[l].wq, *qb = &b.layers[l].wq;
        for (int j = 0; j < qa->n_group; j++) {
            moved += fabsf(qa->scale[j] - init.layers[l].wq.scale[j]) >
                     0.01f * init.layers[l].wq.scale[j];
            same &= memcmp(&qa->scale[j], &qb->scale[j], sizeof(float)) == 0;
        }
        printf("%s layer %d: step %.5f -> %.5f (group 0)\n", wq, l + 1,
               (double)init.layers[l].wq.scale[0], (double)qa->scale[0]);
    }
    TU_CHECK(moved > 0, "%s: training moves the learned steps", wq);
    TU_CHECK(same && memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0,
             "%s: same seed and threads: bit-identical parameters and steps", wq);
    /* the export folds the learned step: the integer model's predictions are
     * the float evaluation's on (nearly) every test image */
    struct nn_qnn q;
    if (nn_model_export(&a, &q, &err) != NN_OK) {
        TU_CHECK(0, "%s: export: %s", wq, err.msg);
    } else {
        int *pi = malloc((size_t)te->n * sizeof *pi), *pf = malloc((size_t)te->n * sizeof *pf);
        float *x = malloc((size_t)32 * 16 * 16 * sizeof *x);
        int y[32], correct = 0, differ = 0;
        nn_infer_dataset(&q, te, 1, 0.0, &correct, pi, &err);
        float acc = nn_eval_float(&a, te, NN_NORM_SCALE, NULL, NULL, x, y, pf);
        for (int i = 0; i < te->n; i++)
            differ += pi[i] != pf[i];
        printf("%s: integer model %d/%d, float %.4f, %d predictions differ\n", wq, correct,
               te->n, (double)acc, differ);
        /* ties of a float pre-activation with a threshold may flip a few */
        TU_CHECK(differ <= te->n / 100 && correct > te->n / 2,
                 "%s: integer and float models agree (%d differ, %d/%d correct)", wq, differ,
                 correct, te->n);
        free(pi);
        free(pf);
        free(x);
        nn_qnn_free(&q);
    }
    nn_model_free(&a);
    nn_model_free(&b);
    nn_model_free(&init);
}

int main(void)
{
    const char *specs[] = {"lsq:2", "lsq:3", "lsq:4", "lsq:8", "lsq:3/ch", "lsq:5/ch"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        test_init_and_grad(specs[i], 1, 301, 11 + (unsigned)i);
        test_init_and_grad(specs[i], 6, 97, 31 + (unsigned)i);
    }
    struct nn_dataset all;
    struct nn_error err;
    if (nn_data_synthetic(&all, 1280, 16, 16, 1, 10, 21, &err) != NN_OK) {
        fprintf(stderr, "synthetic data: %s\n", err.msg);
        return 1;
    }
    struct nn_dataset tr = nn_data_slice(&all, 0, 1024), te = nn_data_slice(&all, 1024, 256);
    test_training(&tr, &te, "lsq:3");
    test_training(&tr, &te, "lsq:4/ch");
    nn_data_free(&all);
    return tu_exit("test_lsq");
}

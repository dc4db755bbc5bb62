/* tests/test_sinareq_train.c: SINAREQ in training (nn/sinareq_train.h) on
 * synthetic data:
 *   - the gradients it adds (in w, through the DoReFa and WRPN domains, and
 *     in beta) against central finite differences of its own terms
 *     (h = 1e-3 in w, 1e-5 in beta; tolerance 2e-2 relative plus 1e-6: the
 *     terms are summed in double but the domain x is float);
 *   - the bit-width cost lowers beta (and the width) in a short training,
 *     and with lambda_b = 0 beta does not fall;
 *   - the export holds each layer at its learned width;
 *   - the same seed and thread count give the same parameters and betas;
 *   - the paper's protocol (the defaults): the first layer exempt (no
 *     regularizer gradient, beta untouched, exported at its own width), the
 *     last layer's width learned, and --sinareq-first learn / --sinareq-last
 *     fixed restoring the hidden-layers-only setting; the exempt first
 *     layer's widest spec (nn_sinareq_first_spec). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/infer.h"
#include "nn/model.h"
#include "nn/sinareq.h"
#include "nn/sinareq_train.h"
#include "nn/train.h"
#include "tests/testutil.h"

#define SIDE 16

static enum nn_status build(struct nn_model *m, const char *arch_text, const char *wq,
                            struct nn_error *err)
{
    struct nn_arch a;
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.in_h = cfg.in_w = SIDE;
    snprintf(cfg.wq, sizeof cfg.wq, "%s", wq);
    snprintf(cfg.aq, sizeof cfg.aq, "2");
    cfg.max_batch = 32;
    cfg.seed = 3;
    enum nn_status st = nn_arch_parse(&a, arch_text, 1.0f, err);
    return st != NN_OK ? st : nn_model_init(m, &a, arch_text, &cfg, err);
}

/* lambda_q sum R + lambda_b sum beta at the model's weights */
static double terms(struct nn_sinareq *s, const struct nn_model *m)
{
    double r, c;
    nn_sinareq_terms(s, m, &r, &c);
    return r + c;
}

static void test_gradients(const char *wq)
{
    struct nn_model m;
    struct nn_error err;
    if (build(&m, "c4,f6,f10", wq, &err) != NN_OK) {
        TU_CHECK(0, "%s: build: %s", wq, err.msg);
        return;
    }
    /* spread the weights so that some sit past WRPN's clip at 1 */
    for (size_t j = 0; j < (size_t)m.layers[0].out_c * m.layers[0].fan_in; j++)
        m.layers[0].w[j] *= 4.0f;
    struct nn_sinareq s;
    struct nn_sinareq_opts so;
    nn_sinareq_opts_default(&so);
    so.lq = 0.7f;
    so.lb = 0.3f;
    so.lq_sched = NN_SINAREQ_LQ_CONST;
    so.lb_sched = NN_SINAREQ_LB_CONST;
    so.first = NN_SINAREQ_FIRST_LEARN;
    so.last = NN_SINAREQ_LAST_FIXED;
    if (nn_sinareq_init(&s, &m, &so, &err) != NN_OK) {
        TU_CHECK(0, "%s: sinareq init: %s", wq, err.msg);
        nn_model_free(&m);
        return;
    }
    TU_CHECK(s.on[0] && s.on[1] && !s.on[2], "%s: SINAREQ on the hidden layers only", wq);
    s.beta[0] = 3.3;
    s.beta[1] = 2.6;
    nn_model_fit_quant(&m, 0);
    memset(m.grads, 0, m.n_params * sizeof(float));
    nn_sinareq_backward(&s, &m, 0.0, 1.0);
    int bad = 0, checked = 0, clipped = 0;
    double worst = 0.0;
    for (int l = 0; l < 2; l++) {
        struct nn_layer *L = &m.layers[l];
        const struct nn_wq *q = &L->wq;
        for (size_t j = 0; j < (size_t)L->out_c * L->fan_in; j += 7) {
            const float w0 = L->w[j];
            /* DoReFa's M is the group's largest |tanh w|: moving that weight
             * moves M, which the estimator holds constant; skip it */
            if (q->kind == NN_WQ_DOREFA && fabsf(tanhf(w0)) >= 0.999f * q->thresh[0])
                continue;
            if (q->kind == NN_WQ_WRPN && fabsf(fabsf(w0) - 1.0f) < 2e-3f)
                continue;
            clipped += fabsf(w0) > 1.0f;
            const float h = 1e-3f;
            L->w[j] = w0 + h;
            double up = terms(&s, &m);
            float wp = L->w[j];
            L->w[j] = w0 - h;
            double dn = terms(&s, &m);
            float wm = L->w[j];
            L->w[j] = w0;
            double fd = (up - dn) / ((double)wp - wm);
            double d = fabs((double)L->dw[j] - fd);
            worst = d > worst ? d : worst;
            bad += d > 2e-2 * fabs(fd) + 1e-6;
            checked++;
        }
        const double hb = 1e-5, b0 = s.beta[l];
        s.beta[l] = b0 + hb;
        double up = terms(&s, &m);
        s.beta[l] = b0 - hb;
        double dn = terms(&s, &m);
        s.beta[l] = b0;
        double fdb = (up - dn) / (2 * hb);
        TU_CHECK(fabs(s.dbeta[l] - fdb) <= 2e-2 * fabs(fdb) + 1e-6,
                 "%s layer %d: dbeta %g, finite difference %g", wq, l + 1, s.dbeta[l], fdb);
    }
    printf("%s: %d weight gradients against finite differences (%d past |w| = 1), largest "
           "difference %.3g\n", wq, checked, clipped, worst);
    TU_CHECK(bad == 0 && checked > 30, "%s: %d of %d weight gradients differ", wq, bad, checked);
    nn_sinareq_free(&s);
    nn_model_free(&m);
}

/* Trains c8,c8,p,f16,f10 with dorefa:4 under SINAREQ (constant strengths and
 * learning rates, 2 epochs); keeps the model for the caller to free. With
 * protocol 0 every hidden layer is learned and the last is fixed (--sinareq-first
 * learn --sinareq-last fixed), with 1 the defaults (first exempt, last learned). */
static void train_sq_p(struct nn_model *m, struct nn_sinareq *s, const struct nn_dataset *tr,
                       const char *wq, float lb, int protocol)
{
    struct nn_error err;
    TU_CHECK(build(m, "c8,c8,p,f16,f10", wq, &err) == NN_OK, "build: %s", err.msg);
    struct nn_sinareq_opts so;
    nn_sinareq_opts_default(&so);
    so.lb = lb;
    so.lq_sched = NN_SINAREQ_LQ_CONST;
    so.lb_sched = NN_SINAREQ_LB_CONST;
    so.beta_lr = 0.02f;
    if (!protocol) {
        so.first = NN_SINAREQ_FIRST_LEARN;
        so.last = NN_SINAREQ_LAST_FIXED;
    }
    TU_CHECK(nn_sinareq_init(s, m, &so, &err) == NN_OK, "sinareq init: %s", err.msg);
    struct nn_train_opts o;
    struct nn_train_result r;
    nn_train_opts_default(&o);
    o.epochs = 2;
    o.batch = 32;
    o.lr = 3e-3f;
    o.sched = NN_SCHED_CONST;
    o.seed = 5;
    o.eval_every_epoch = 0;
    o.sinareq = s;
    TU_CHECK(nn_train(m, tr, NULL, &o, &r, &err) == NN_OK, "train: %s", err.msg);
}

static void train_sq(struct nn_model *m, struct nn_sinareq *s, const struct nn_dataset *tr,
                     const char *wq, float lb)
{
    train_sq_p(m, s, tr, wq, lb, 0);
}

static void test_training(const struct nn_dataset *tr, const struct nn_dataset *te,
                          const char *wq, int B)
{
    struct nn_model m0, m1, m2;
    struct nn_sinareq s0, s1, s2;
    struct nn_error err;
    train_sq(&m0, &s0, tr, wq, 0.0f);
    train_sq(&m1, &s1, tr, wq, 1.0f);
    const int again = strcmp(wq, "dorefa:4") == 0; /* determinism: once is enough */
    if (again)
        train_sq(&m2, &s2, tr, wq, 1.0f);
    for (int l = 0; l < 3; l++) {
        printf("%s layer %d: beta %.4f (bits %d) with lambda_b = 1, %.4f (bits %d) with "
               "lambda_b = 0\n", wq, l + 1, s1.beta[l], nn_sinareq_bits_of(&s1, l),
               s0.beta[l], nn_sinareq_bits_of(&s0, l));
        TU_CHECK(s1.beta[l] < B - 1.0 && nn_sinareq_bits_of(&s1, l) < B,
                 "%s layer %d: the cost term lowers beta from %d (got %.4f)", wq, l + 1, B,
                 s1.beta[l]);
        /* Without the cost, beta moves by R's own gradient alone. For DoReFa
         * (x spread over [0, 1]) that keeps it at B. For WRPN's small weights
         * (|x| far below the level spacing, R ~ pi^2 x^2 2^beta) R itself
         * lowers beta: measured 2.50 in layer 3 (Adam moves beta by about
         * beta_lr a step whichever term drives it), so no check there. */
        if (strcmp(wq, "dorefa:4") == 0)
            TU_CHECK(s0.beta[l] > B - 0.01 && nn_sinareq_bits_of(&s0, l) == B &&
                         s1.beta[l] < s0.beta[l] - 0.5,
                     "%s layer %d: without the cost term beta stays at %d (got %.4f; %.4f "
                     "with it)", wq, l + 1, B, s0.beta[l], s1.beta[l]);
        int lo, hi;
        TU_CHECK(nn_wq_spec_bits(&m1.layers[l].wq, &lo, &hi) == nn_sinareq_bits_of(&s1, l),
                 "%s layer %d: the model's quantizer is at the learned width", wq, l + 1);
    }
    if (again) {
        TU_CHECK(memcmp(m1.params, m2.params, m1.n_params * sizeof(float)) == 0 &&
                     memcmp(s1.beta, s2.beta, sizeof s1.beta) == 0,
                 "%s: same seed and threads: bit-identical parameters and betas", wq);
        nn_sinareq_free(&s2);
        nn_model_free(&m2);
    }

    /* the export holds every layer at its own learned width */
    struct nn_qnn q;
    if (nn_model_export(&m1, &q, &err) != NN_OK) {
        TU_CHECK(0, "%s: export: %s", wq, err.msg);
    } else {
        for (int l = 0; l < 3; l++) {
            int b = nn_sinareq_bits_of(&s1, l);
            int K = strcmp(wq, "wrpn:4") == 0 ? (1 << (b - 1)) - 1 : (1 << b) - 1;
            int maxc = 0;
            const struct nn_qnn_layer *ql = &q.layers[l];
            for (size_t j = 0; j < (size_t)ql->out_c * m1.layers[l].fan_in; j++)
                maxc = ql->w[j] > maxc ? ql->w[j] : -ql->w[j] > maxc ? -ql->w[j] : maxc;
            TU_CHECK(ql->w_max == K && maxc <= K,
                     "%s layer %d: exported codes in [-%d, %d] (w_max %d, largest |code| %d)",
                     wq, l + 1, K, K, ql->w_max, maxc);
        }
        TU_CHECK(q.layers[3].w_max == m1.layers[3].wq.K, "%s: the last layer keeps --wq", wq);
        int correct = 0;
        TU_CHECK(nn_infer_dataset(&q, te, 1, 0.0, &correct, NULL, &err) == NN_OK, "infer: %s",
                 err.msg);
        printf("%s: integer model at the learned widths: %d/%d test images\n", wq, correct,
               te->n);
        /* WRPN's unscaled weights (std 1/sqrt(3 fan_in)) mostly round to code
         * 0 at 3 bits (nn/quant_dorefa_wrpn.c), so only DoReFa must classify */
        if (strcmp(wq, "dorefa:4") == 0)
            TU_CHECK(correct > te->n / 2, "%s: the learned-width model still classifies "
                     "(%d/%d)", wq, correct, te->n);
        nn_qnn_free(&q);
    }
    nn_sinareq_free(&s0);
    nn_sinareq_free(&s1);
    nn_model_free(&m0);
    nn_model_free(&m1);
}

/* The paper's protocol, the defaults: on c8,c8,p,f16,f10 the first layer is
 * exempt and the last learned. */
static void test_protocol(const struct nn_dataset *tr, const struct nn_dataset *te)
{
    struct nn_model m;
    struct nn_sinareq s;
    struct nn_error err;
    struct nn_sinareq_opts so;
    nn_sinareq_opts_default(&so);
    TU_CHECK(so.first == NN_SINAREQ_FIRST_EXEMPT && so.last == NN_SINAREQ_LAST_LEARN,
             "defaults: the first layer exempt, the last learned");
    /* which layers, and the regularizer's gradient: none in the first */
    if (build(&m, "c4,f6,f10", "dorefa:4", &err) == NN_OK) {
        so.lq = 5.0f;
        so.lq_sched = NN_SINAREQ_LQ_CONST;
        TU_CHECK(nn_sinareq_init(&s, &m, &so, &err) == NN_OK, "init: %s", err.msg);
        TU_CHECK(!s.on[0] && s.on[1] && s.on[2], "the first layer exempt, the last learned "
                 "(on: %d %d %d)", s.on[0], s.on[1], s.on[2]);
        nn_model_fit_quant(&m, 0);
        memset(m.grads, 0, m.n_params * sizeof(float));
        nn_sinareq_backward(&s, &m, 0.0, 1.0);
        size_t nz[3] = {0, 0, 0};
        for (int l = 0; l < 3; l++)
            for (size_t j = 0; j < (size_t)m.layers[l].out_c * m.layers[l].fan_in; j++)
                nz[l] += m.layers[l].dw[j] != 0.0f;
        TU_CHECK(nz[0] == 0 && nz[1] > 0 && nz[2] > 0,
                 "the regularizer's weight gradient: none in the exempt first layer, some in "
                 "the others (non-zero: %zu, %zu, %zu)", nz[0], nz[1], nz[2]);
        nn_sinareq_free(&s);
        so.first = NN_SINAREQ_FIRST_LEARN;
        so.last = NN_SINAREQ_LAST_FIXED;
        TU_CHECK(nn_sinareq_init(&s, &m, &so, &err) == NN_OK && s.on[0] && s.on[1] && !s.on[2],
                 "first learn, last fixed: the hidden layers only");
        nn_sinareq_free(&s);
        nn_model_free(&m);
    }
    /* in training: the first layer's width stays, the last one's falls */
    struct nn_model m1;
    struct nn_sinareq s1;
    train_sq_p(&m1, &s1, tr, "dorefa:4", 1.0f, 1);
    TU_CHECK(!s1.on[0] && nn_sinareq_bits_of(&s1, 0) == 0 && s1.beta[0] == 0.0 &&
                 nn_wq_spec_bits(&m1.layers[0].wq, NULL, NULL) == 4,
             "the exempt first layer keeps its 4 bits (beta %g)", s1.beta[0]);
    const int last = m1.n_layers - 1;
    printf("protocol: last layer beta %.4f (bits %d)\n", s1.beta[last],
           nn_sinareq_bits_of(&s1, last));
    TU_CHECK(s1.on[last] && s1.beta[last] < 3.0 && nn_sinareq_bits_of(&s1, last) < 4 &&
                 nn_wq_spec_bits(&m1.layers[last].wq, NULL, NULL) ==
                     nn_sinareq_bits_of(&s1, last),
             "the last layer's width is learned: beta %.4f from 4", s1.beta[last]);
    struct nn_qnn q;
    if (nn_model_export(&m1, &q, &err) != NN_OK) {
        TU_CHECK(0, "export: %s", err.msg);
    } else {
        int b = nn_sinareq_bits_of(&s1, last);
        TU_CHECK(q.layers[0].w_max == 15 && q.layers[last].w_max == (1 << b) - 1,
                 "exported: the first layer at 4 bits (w_max %d), the last at its learned %d "
                 "(w_max %d)", q.layers[0].w_max, b, q.layers[last].w_max);
        int correct = 0;
        TU_CHECK(nn_infer_dataset(&q, te, 1, 0.0, &correct, NULL, &err) == NN_OK, "infer: %s",
                 err.msg);
        printf("protocol: integer model %d/%d test images\n", correct, te->n);
        nn_qnn_free(&q);
    }
    nn_sinareq_free(&s1);
    nn_model_free(&m1);

    /* the exempt first layer's spec: the host's widest width */
    const char *in[] = {"dorefa:4", "wrpn:3/ch", "dorefa:7", "heq:3"};
    const char *want[] = {"dorefa:7", "wrpn:8/ch", "dorefa:7", ""};
    for (int i = 0; i < 4; i++) {
        char buf[32] = "x";
        TU_CHECK(nn_sinareq_first_spec(in[i], buf, sizeof buf, &err) == NN_OK &&
                     strcmp(buf, want[i]) == 0,
                 "first layer spec of %s: '%s' (want '%s')", in[i], buf, want[i]);
    }
    char buf[32];
    err.msg[0] = 0;
    TU_CHECK(nn_sinareq_first_spec("dorefa:9", buf, sizeof buf, &err) != NN_OK && err.msg[0],
             "a bad --wq is refused");
    enum nn_sinareq_first f = NN_SINAREQ_FIRST_EXEMPT;
    enum nn_sinareq_last l = NN_SINAREQ_LAST_LEARN;
    TU_CHECK(nn_sinareq_first_parse(&f, "learn", &err) == NN_OK && f == NN_SINAREQ_FIRST_LEARN &&
                 nn_sinareq_first_parse(&f, "exempt", &err) == NN_OK &&
                 f == NN_SINAREQ_FIRST_EXEMPT &&
                 nn_sinareq_first_parse(&f, "fixed", &err) == NN_ERR_ARG &&
                 nn_sinareq_last_parse(&l, "fixed", &err) == NN_OK &&
                 l == NN_SINAREQ_LAST_FIXED && nn_sinareq_last_parse(&l, "learn", &err) == NN_OK &&
                 l == NN_SINAREQ_LAST_LEARN && nn_sinareq_last_parse(&l, "exempt", &err) == NN_ERR_ARG,
             "first / last parse and refuse");
}

static void test_errors(void)
{
    struct nn_model m;
    struct nn_error err;
    struct nn_sinareq s;
    struct nn_sinareq_opts so;
    nn_sinareq_opts_default(&so);
    if (build(&m, "c4,f10", "heq:3", &err) == NN_OK) {
        err.msg[0] = 0;
        TU_CHECK(nn_sinareq_init(&s, &m, &so, &err) == NN_ERR_ARG && err.msg[0],
                 "SINAREQ on heq:3 weights is refused");
        nn_model_free(&m);
    }
    if (build(&m, "c4,f10", "dorefa:3", &err) == NN_OK) {
        so.beta_min = 3.5f;
        err.msg[0] = 0;
        TU_CHECK(nn_sinareq_init(&s, &m, &so, &err) == NN_ERR_ARG && err.msg[0],
                 "a lowest width above B is refused");
        /* the first exempt and the last fixed leave nothing to learn */
        nn_sinareq_opts_default(&so);
        so.last = NN_SINAREQ_LAST_FIXED;
        err.msg[0] = 0;
        TU_CHECK(nn_sinareq_init(&s, &m, &so, &err) == NN_ERR_ARG &&
                     strstr(err.msg, "the first is exempt, the last fixed"),
                 "no layer to learn is refused (%s)", err.msg);
        nn_model_free(&m);
    }
}

int main(void)
{
    test_gradients("dorefa:4");
    test_gradients("wrpn:4");
    test_errors();
    struct nn_dataset all;
    struct nn_error err;
    if (nn_data_synthetic(&all, 1280, SIDE, SIDE, 1, 10, 21, &err) != NN_OK) {
        fprintf(stderr, "synthetic data: %s\n", err.msg);
        return 1;
    }
    struct nn_dataset tr = nn_data_slice(&all, 0, 1024), te = nn_data_slice(&all, 1024, 256);
    test_training(&tr, &te, "dorefa:4", 4);
    test_training(&tr, &te, "wrpn:4", 4);
    test_protocol(&tr, &te);
    nn_data_free(&all);
    return tu_exit("test_sinareq_train");
}

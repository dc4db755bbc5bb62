/* tests/test_train.c: the training core end to end on synthetic data:
 * architecture strings, learning, determinism, and the export to integers
 * held against the float evaluation.
 *
 * Tolerance policy: the float evaluation and the integer model must make the
 * same decision for every activation, except where the float pre-activation
 * lies within TIE_TOL of a threshold (a tie in folding: float rounding of the
 * conv sum and of batch norm, against the exact integer comparison). Every
 * differing prediction must be traced to such a tie in the first layer where
 * the two models differ; unexplained mismatches must be zero. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ckpt.h"
#include "nn/infer.h"
#include "nn/model.h"
#include "nn/train.h"
#include "tests/testutil.h"

#define TIE_TOL 1e-3
#define SIDE 16 /* synthetic images are SIDE x SIDE */

static void test_arch(void)
{
    struct nn_arch a;
    struct nn_error err;
    const char *presets[] = {"mlp", "refcnn", "vgg11", "res11-add", "res11-or", "res11-mux"};
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        TU_CHECK(nn_arch_parse(&a, presets[i], 1.0f, &err) == NN_OK, "preset %s: %s",
                 presets[i], err.msg);
    TU_CHECK(nn_arch_parse(&a, "vgg11", 1.0f, &err) == NN_OK && a.n_layers == 12,
             "vgg11 has 11 hidden layers + scores (got %d layers)", a.n_layers);
    TU_CHECK(nn_arch_parse(&a, "c4,c16k5s2+or{w=bin;a=1},p3,f10", 0.5f, &err) == NN_OK,
             "custom string: %s", err.msg);
    TU_CHECK(a.layers[1].out_c == 8 && a.layers[1].k == 5 && a.layers[1].stride == 2 &&
             a.layers[1].pool == 3 && a.layers[1].merge == NN_MERGE_OR &&
             a.layers[1].span == 1 && a.layers[1].skip == 0 && a.layers[1].src == 0 &&
             strcmp(a.layers[1].wq, "bin") == 0 && a.layers[2].out_c == 10,
             "custom string fields");
    const char *bad[] = {"c", "x3", "c8,f10,p", "c8+sum,f10", "c8{q=1},f10", "c8,c8", "p,f10",
                         "c8,,f10", "c8k0,f10",
                         /* blocks: no input, pooling inside, a bad span or shortcut, two
                          * projections of one input, interleaved skips */
                         "c8+or,f10", "c8,c8+or2,f10", "c8,c8,p,c8+or2,f10", "c8,c8+or0,f10",
                         "c8,c8+or17,f10", "c8,c8+or/x,f10", "c8,c8+or2/,f10",
                         "c8,c8,c8+or2/proj,c8+or3/proj,f10", "c8,c8,c8+or,c8+or3,f10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        TU_CHECK(nn_arch_parse(&a, bad[i], 1.0f, &err) == NN_ERR_ARG && err.msg[0],
                 "bad architecture '%s' must be rejected with a message", bad[i]);
    }
}

struct setup {
    const char *arch, *wq, *aq;
    int epochs;
};

static enum nn_status build_sized(struct nn_model *m, const struct setup *s, uint64_t seed,
                                  int side, float width, struct nn_error *err)
{
    struct nn_arch a;
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.in_h = cfg.in_w = side;
    snprintf(cfg.wq, sizeof cfg.wq, "%s", s->wq);
    snprintf(cfg.aq, sizeof cfg.aq, "%s", s->aq);
    cfg.max_batch = 32;
    cfg.seed = seed;
    enum nn_status st = nn_arch_parse(&a, s->arch, width, err);
    return st != NN_OK ? st : nn_model_init(m, &a, s->arch, &cfg, err);
}

static enum nn_status build(struct nn_model *m, const struct setup *s, uint64_t seed,
                            struct nn_error *err)
{
    return build_sized(m, s, seed, SIDE, 1.0f, err);
}

static void train(struct nn_model *m, const struct nn_dataset *tr, int epochs, uint64_t seed,
                  struct nn_train_result *r)
{
    struct nn_train_opts o;
    struct nn_error err;
    nn_train_opts_default(&o);
    o.epochs = epochs;
    o.batch = 32;
    o.lr = 3e-3f;
    o.seed = seed;
    o.eval_every_epoch = 0;
    TU_CHECK(nn_train(m, tr, NULL, &o, r, &err) == NN_OK, "train: %s", err.msg);
}

static int count_codes(double v, const int32_t *thr, int n)
{
    int k = 0;
    for (int j = 0; j < n; j++)
        k += v >= thr[j];
    return k;
}

/* Compares the float evaluation with the integer model image by image.
 * Returns the number of unexplained mismatching predictions. */
static int compare_int_float(struct nn_model *m, const struct nn_qnn *q,
                             const struct nn_dataset *ds, int *ties, int *mismatch)
{
    struct nn_infer_ws ws;
    struct nn_error err;
    const size_t img = (size_t)ds->h * ds->w * ds->c;
    const int B = m->cfg.max_batch;
    float *x = malloc((size_t)B * img * sizeof(float));
    int *y = malloc((size_t)B * sizeof(int)), *idx = malloc((size_t)B * sizeof(int));
    int unexplained = 0;
    const float *logits = NULL;
    *ties = *mismatch = 0;
    if (!x || !y || !idx || nn_infer_ws_init(&ws, q, &err) != NN_OK) {
        free(x);
        free(y);
        free(idx);
        return ds->n;
    }
    for (int i = 0; i < ds->n; i++) {
        /* the float model runs a batch at a time; b is i's place in it */
        const int b = i % B;
        if (b == 0) {
            int n = ds->n - i < B ? ds->n - i : B;
            for (int j = 0; j < n; j++)
                idx[j] = i + j;
            nn_data_batch(ds, idx, n, NN_NORM_SCALE, NULL, NULL, NULL, NULL, x, y);
            logits = nn_model_forward(m, x, n, NN_EVAL);
        }
        const float *lg = logits + (size_t)b * q->n_class;
        int pf = 0;
        for (int c = 1; c < q->n_class; c++)
            if (lg[c] > lg[pf])
                pf = c;
        int pi = nn_infer_image(q, &ws, ds->x + (size_t)i * img);
        /* the first layer whose decisions differ, and whether each is a tie */
        int first_diff = -1, all_ties = 1;
        for (int l = 0; l < q->n_layers - 1 && first_diff < 0; l++) {
            const struct nn_qnn_layer *ql = &q->layers[l];
            const struct nn_layer *L = &m->layers[l];
            int n = ql->out_h * ql->out_w * ql->out_c;
            const size_t o = (size_t)b * n; /* image b in the float batch */
            for (int k = 0; k < n; k++) {
                int c = k % ql->out_c;
                const int32_t *thr = ql->thr + (size_t)c * ql->n_thr;
                double vf = L->res ? L->u[o + k] : L->y[o + k];
                int code_f = 0;
                for (int j = 1; j <= ql->n_thr; j++)
                    code_f += vf >= nn_aq_thresh(&L->aq, j);
                int code_i = count_codes(ql->res ? ws.res[l][k] : ws.acc[l][k], thr, ql->n_thr);
                int same_u = !ql->res || ldexp(L->u[o + k], ql->res_frac) == (double)ws.res[l][k];
                if (code_f == code_i && same_u)
                    continue;
                first_diff = l;
                /* a tie: y within TIE_TOL of a threshold, or of a rounding
                 * boundary of the residual stream's fixed point */
                double yv = L->y[o + k];
                int tie = 0;
                for (int j = 1; j <= ql->n_thr; j++)
                    tie |= fabs(vf - nn_aq_thresh(&L->aq, j)) <= TIE_TOL;
                if (ql->res) {
                    double s = ldexp(yv, ql->res_frac) + 0.5;
                    tie |= fabs(s - nearbyint(s)) <= ldexp(TIE_TOL, ql->res_frac);
                }
                all_ties &= tie;
            }
        }
        if (first_diff < 0) {
            /* same activations everywhere: the scores may differ only by a
             * near-tie of the two best classes */
            int second = pf == 0 ? 1 : 0;
            for (int c = 0; c < q->n_class; c++)
                if (c != pf && lg[c] > lg[second])
                    second = c;
            all_ties = fabsf(lg[pf] - lg[second]) <= TIE_TOL;
        }
        if (first_diff >= 0 && all_ties)
            (*ties)++;
        if (pf != pi) {
            (*mismatch)++;
            if (!all_ties)
                unexplained++;
        }
    }
    nn_infer_ws_free(&ws);
    free(x);
    free(y);
    free(idx);
    return unexplained;
}

static void test_export(const struct nn_dataset *tr, const struct nn_dataset *te)
{
    const struct setup cases[] = {
        {"c8,c8+or,p,c16,c16+or,p,f32,f10", "heq:3", "1", 4},
        {"c8,c8+mux,p,c16,c16+mux,p,f10", "heq:5", "1", 4},
        {"c8,c8+add,c8+add,p,c16,p,f32,f32+add,f10", "twn", "2", 2},
        {"c8,p,c16,p,f10", "bin", "sign", 4},
        {"c8,c8,p,f16,f10", "uniform:3", "3", 2},
        {"c8s2,c8k1,f10", "mquant/ch", "1", 2},
        {"c8k5,c8+add,p,f10", "tquant", "sign", 2},
        /* the exact weight codes of .qnn version 2: pow2:3 in 3 bits (sign
         * and exponent code), dorefa:3 in 3 offset-binary bits */
        {"c8,c8,p,f16,f10", "pow2:3", "2", 2},
        {"c8,c8+add,p,f10", "dorefa:3", "1", 2},
        /* residual blocks of two layers: identity, pad and projection
         * shortcuts, strided, with each merge kind */
        {"c8,c8,c8+or2,c16s2,c16+or2/pad,c16,c16+or2/proj,f10", "heq:3", "1", 3},
        {"c8,c8,c8+add2,c16s2,c16+add2/proj,c16s2,c16+add2/pad,f10", "twn", "2", 2},
        {"c8,c8,c8+mux2,c16s2,c16+mux2/proj,p,f10", "heq:3", "1", 3},
        /* MINW-Net's signed activations (.qnn version 3): tern, pow2:3 and
         * its /geo thresholds, pooled and on an add stream */
        {"c8,p,c16,p,f10", "bin", "tern", 3},
        {"c8,c8,p,f16,f10", "pow2:3", "pow2:3", 3},
        {"c8,c8+add,p,f10", "twn", "pow2:3/geo", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct setup *s = &cases[i];
        struct nn_model m;
        struct nn_error err;
        if (build(&m, s, 3, &err) != NN_OK) {
            TU_CHECK(0, "%s: %s", s->arch, err.msg);
            continue;
        }
        struct nn_train_result r;
        train(&m, tr, s->epochs, 5, &r);
        struct nn_qnn q;
        enum nn_status st = nn_model_export(&m, &q, &err);
        TU_CHECK(st == NN_OK, "%s %s %s: export: %s", s->arch, s->wq, s->aq, err.msg);
        if (st != NN_OK) {
            nn_model_free(&m);
            continue;
        }
        /* each quantizer's levels in the fewest planes: its code and 3 bits */
        const int want_code = strncmp(s->wq, "pow2", 4) == 0     ? NN_WCODE_POW2
                              : strncmp(s->wq, "dorefa", 6) == 0 ? NN_WCODE_OFFSET
                                                                 : 0;
        for (int l = 0; want_code && l < q.n_layers; l++)
            TU_CHECK(q.layers[l].w_code == want_code && nn_qnn_weight_planes(&q.layers[l]) == 3,
                     "%s %s: layer %d has w_code %d and %d planes (expected %d and 3)", s->arch,
                     s->wq, l + 1, q.layers[l].w_code, nn_qnn_weight_planes(&q.layers[l]),
                     want_code);
        const int want_act = strcmp(s->aq, "tern") == 0          ? NN_CODE_TERN
                             : strncmp(s->aq, "pow2:3", 6) == 0 ? NN_CODE_POW2
                                                                : 0;
        for (int l = 0; want_act && l + 1 < q.n_layers; l++)
            TU_CHECK(q.layers[l].out_code == want_act && q.layers[l + 1].in_code == want_act &&
                         q.layers[l].n_thr == (want_act == NN_CODE_TERN ? 2 : 6),
                     "%s %s: layer %d has out_code %d with %d thresholds (expected %d)", s->arch,
                     s->aq, l + 1, q.layers[l].out_code, q.layers[l].n_thr, want_act);
        int ties, mismatch;
        int unexplained = compare_int_float(&m, &q, te, &ties, &mismatch);
        int correct;
        nn_infer_dataset(&q, te, 1, 0.0, &correct, NULL, &err);
        printf("export %-40s %-9s aq %-4s: int acc %.3f, %d prediction mismatches, "
               "%d images with ties, %d unexplained\n", s->arch, s->wq, s->aq,
               (double)correct / te->n, mismatch, ties, unexplained);
        TU_CHECK(unexplained == 0, "%s: %d unexplained integer/float mismatches", s->arch,
                 unexplained);
        /* well above chance (0.1), so the agreement above is not vacuous */
        TU_CHECK((double)correct / te->n > 0.5, "%s: integer model learned (acc %.3f)",
                 s->arch, (double)correct / te->n);
        nn_qnn_free(&q);
        nn_model_free(&m);
    }
}

static void test_determinism(const struct nn_dataset *tr)
{
    const struct setup s = {"c8,c8+mux,p,f16,f10", "heq:3", "1", 1};
    struct nn_model a, b, c;
    struct nn_error err;
    struct nn_train_result r;
    if (build(&a, &s, 7, &err) || build(&b, &s, 7, &err) || build(&c, &s, 8, &err)) {
        TU_CHECK(0, "build: %s", err.msg);
        return;
    }
    train(&a, tr, 1, 9, &r);
    train(&b, tr, 1, 9, &r);
    train(&c, tr, 1, 9, &r);
    TU_CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0,
             "same seed and threads: bit-identical parameters");
    TU_CHECK(memcmp(a.params, c.params, a.n_params * sizeof(float)) != 0,
             "another initialization seed gives other parameters");
    nn_model_free(&a);
    nn_model_free(&b);
    nn_model_free(&c);
}

/* ---- resuming (logiq train --checkpoint / --resume) ---- */

struct resume_ctx {
    int stop_at, calls;          /* set *stop at the stop_at-th batch */
    volatile sig_atomic_t stop;
    struct nn_model *m;
    const char *path;
    struct nn_train_state st;    /* the last state saved, its order copied */
    int order[1024];
    int saves;
};

static void resume_progress(void *ctx, const struct nn_train_progress *p)
{
    struct resume_ctx *c = ctx;
    if (!p->epoch_done && ++c->calls == c->stop_at)
        c->stop = 1;
}

static void resume_save(void *ctx, const struct nn_train_state *s)
{
    struct resume_ctx *c = ctx;
    struct nn_error err;
    c->st = *s;
    memcpy(c->order, s->order, (size_t)s->n * sizeof(int));
    c->st.order = c->order;
    struct nn_ckpt_info info = {.width = 1.0f, .norm = NN_NORM_SCALE, .optim_state = 1,
                                .order = s->order, .n_order = s->n};
    TU_CHECK(nn_ckpt_write(c->m, &info, c->path, &err) == NN_OK, "save: %s", err.msg);
    c->saves++;
}

static void resume_opts(struct nn_train_opts *o, uint64_t seed)
{
    nn_train_opts_default(o);
    o->epochs = 3;
    o->batch = 32;
    o->lr = 3e-3f;
    o->seed = seed;
    o->eval_every_epoch = 0;
    o->aug.crop_pad = 2;
    o->aug.hflip = 1;
}

/* A training stopped after its k-th batch (inside an epoch or at its end),
 * saved to a checkpoint file, loaded into a newly built model and resumed
 * ends with the parameters, optimizer moments and quantizer steps of the
 * training that ran straight through; resuming without the saved moments
 * does not (the check can fail). */
static void test_resume(const struct nn_dataset *tr)
{
    const struct setup setups[] = {
        {"c8,c8+mux,p,f16,f10", "heq:3", "1", 3},
        {"c8,p,f16,f10", "lsq:3", "2", 3},
    };
    /* *stop, set in the progress call after batch k, ends the run after batch
     * k + 1: inside epoch 2, and at its end (32 batches an epoch) */
    const int stops[] = {45, 63};
    const char *path = "test_train_resume.lqc";
    for (size_t si = 0; si < sizeof setups / sizeof setups[0]; si++)
        for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
            const struct setup *s = &setups[si];
            struct nn_model a, b, c;
            struct nn_error err;
            struct nn_train_result r;
            struct nn_train_opts o;
            if (build(&a, s, 5, &err) || build(&b, s, 5, &err) || build(&c, s, 5, &err)) {
                TU_CHECK(0, "build: %s", err.msg);
                return;
            }
            resume_opts(&o, 3);
            TU_CHECK(nn_train(&a, tr, NULL, &o, &r, &err) == NN_OK, "train: %s", err.msg);

            static struct resume_ctx rc;
            memset(&rc, 0, sizeof rc);
            rc.stop_at = stops[k];
            rc.m = &b;
            rc.path = path;
            o.progress = resume_progress;
            o.progress_ctx = &rc;
            o.stop = &rc.stop;
            o.save = resume_save;
            o.save_ctx = &rc;
            TU_CHECK(nn_train(&b, tr, NULL, &o, &r, &err) == NN_OK && r.interrupted,
                     "%s: the stopped training: %s", s->wq, err.msg);
            TU_CHECK(rc.st.epoch == (stops[k] + 1) / 32 && rc.st.batch == (stops[k] + 1) % 32,
                     "%s: saved at epoch %d batch %d (stopped after batch %d)", s->wq,
                     rc.st.epoch, rc.st.batch, stops[k] + 1);

            struct nn_ckpt ck;
            int order[1024];
            resume_opts(&o, 3);
            TU_CHECK(nn_ckpt_read(&ck, path, &err) == NN_OK && nn_ckpt_has_state(&ck) &&
                     nn_ckpt_load_state(&ck, &c, order, tr->n, &err) == NN_OK,
                     "%s: load the state: %s", s->wq, err.msg);
            nn_ckpt_free(&ck);
            TU_CHECK(memcmp(order, rc.order, (size_t)tr->n * sizeof(int)) == 0,
                     "%s: the order reads back", s->wq);
            rc.st.order = order;
            o.resume = &rc.st;
            TU_CHECK(nn_train(&c, tr, NULL, &o, &r, &err) == NN_OK && !r.interrupted,
                     "%s: resume: %s", s->wq, err.msg);
            size_t bytes = a.n_params * sizeof(float);
            TU_CHECK(memcmp(a.params, c.params, bytes) == 0 &&
                     memcmp(a.opt_m, c.opt_m, bytes) == 0 && memcmp(a.opt_v, c.opt_v, bytes) == 0,
                     "%s, stopped after batch %d: resumed = straight through (parameters and "
                     "moments, bit for bit)", s->wq, stops[k] + 1);
            int same_wq = 1;
            for (int l = 0; l < a.n_layers; l++)
                for (int g = 0; g < a.layers[l].wq.n_group; g++)
                    same_wq &= a.layers[l].wq.scale[g] == c.layers[l].wq.scale[g];
            TU_CHECK(same_wq, "%s: the quantizers' steps too", s->wq);

            /* without the moments: not the same training */
            nn_model_free(&c);
            TU_CHECK(build(&c, s, 5, &err) == NN_OK, "build: %s", err.msg);
            TU_CHECK(nn_ckpt_read(&ck, path, &err) == NN_OK &&
                     nn_ckpt_load_state(&ck, &c, order, tr->n, &err) == NN_OK, "load: %s",
                     err.msg);
            nn_ckpt_free(&ck);
            memset(c.opt_m, 0, bytes);
            memset(c.opt_v, 0, bytes);
            TU_CHECK(nn_train(&c, tr, NULL, &o, &r, &err) == NN_OK, "resume: %s", err.msg);
            TU_CHECK(memcmp(a.params, c.params, bytes) != 0,
                     "%s: resumed without the moments differs", s->wq);
            nn_model_free(&a);
            nn_model_free(&b);
            nn_model_free(&c);
        }
    remove(path);
}

/* Binary and ternary convs over sign, Heaviside and ternary activations
 * (nn/xnor.h): training with the XNOR-popcount forward, on each path this
 * CPU runs (LOGIQ_ISA) and the portable popcount (LOGIQ_XNOR=portable), and
 * with its float reference (LOGIQ_XNOR=off: an SGEMM over the codes, then
 * the scale) gives bit-identical parameters, and so does the evaluation's
 * logits. */
static void test_xnor_paths(const struct nn_dataset *tr)
{
    const struct setup cases[] = {
        {"c8{w=fp},c8,p,c12,f10{w=fp}", "bin", "sign", 1},
        {"c8{w=fp},c8,c8+add,p,c12k3s2,f16,f10{w=fp}", "bin/ch", "sign", 1},
        {"c8{w=fp},c8,c8+or,p,c12,c12+or,f10{w=fp}", "heq:3", "1", 1},
        {"c8{w=fp},c8,c8+mux,p,c12k3s2,f16,f10{w=fp}", "twn/ch", "1", 1},
        {"c8{w=fp},c8,p,c12,f10{w=fp}", "tquant", "tern", 1},
    };
    /* {LOGIQ_XNOR, LOGIQ_ISA}; the first is the reference */
    const char *paths[][2] = {{"off", ""}, {"portable", ""}, {"", "portable"},
                              {"", "avx2"}, {"", "avx512"}};
    enum { N_PATHS = sizeof paths / sizeof paths[0] };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nn_model m[N_PATHS];
        static float x[32 * SIDE * SIDE], logits[N_PATHS][32 * 10];
        int y[32], idx[32], built[N_PATHS] = {0};
        for (int j = 0; j < 32; j++)
            idx[j] = j;
        nn_data_batch(tr, idx, 32, NN_NORM_SCALE, NULL, NULL, NULL, NULL, x, y);
        for (int p = 0; p < N_PATHS; p++) {
            struct nn_error err;
            struct nn_train_result r;
            enum nn_isa isa;
            if (paths[p][1][0] && nn_isa_parse(&isa, paths[p][1], &err) != NN_OK) {
                printf("xnor paths: LOGIQ_ISA=%s not run (%s)\n", paths[p][1], err.msg);
                continue;
            }
            setenv("LOGIQ_XNOR", paths[p][0], 1);
            setenv("LOGIQ_ISA", paths[p][1], 1);
            if (build(&m[p], &cases[i], 5, &err) != NN_OK) {
                TU_CHECK(0, "build %s: %s", cases[i].arch, err.msg);
                continue;
            }
            built[p] = 1;
            train(&m[p], tr, 1, 3, &r);
            memcpy(logits[p], nn_model_forward(&m[p], x, 32, NN_EVAL), sizeof logits[p]);
        }
        unsetenv("LOGIQ_XNOR");
        unsetenv("LOGIQ_ISA");
        if (built[0]) {
            int fast = 0;
            for (int l = 0; l < m[0].n_layers; l++)
                fast += m[0].layers[l].wbits != NULL;
            printf("xnor paths %s (%s, %s): %d popcount convs\n", cases[i].arch, cases[i].wq,
                   cases[i].aq, fast);
            TU_CHECK(fast >= 2, "%s: the binary and ternary convs must take the popcount path",
                     cases[i].arch);
        }
        for (int p = 1; p < N_PATHS; p++) {
            if (!built[0] || !built[p])
                continue;
            const int same = memcmp(m[0].params, m[p].params, m[0].n_params * sizeof(float)) == 0;
            printf("  LOGIQ_XNOR=%-8s LOGIQ_ISA=%-8s vs LOGIQ_XNOR=off: parameters after 32 "
                   "steps %s\n", paths[p][0], paths[p][1], same ? "bit-identical" : "DIFFER");
            TU_CHECK(same, "%s: LOGIQ_XNOR=%s LOGIQ_ISA=%s and LOGIQ_XNOR=off train "
                     "differently", cases[i].arch, paths[p][0], paths[p][1]);
            TU_CHECK(memcmp(logits[0], logits[p], sizeof logits[p]) == 0,
                     "%s: LOGIQ_XNOR=%s LOGIQ_ISA=%s and off evaluate differently",
                     cases[i].arch, paths[p][0], paths[p][1]);
        }
        for (int p = 0; p < N_PATHS; p++)
            if (built[p])
                nn_model_free(&m[p]);
    }
}

/* Reads a whole file into a malloc'd buffer; NULL on failure. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        const long len = ftell(f);
        if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) != NULL &&
            fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        }
        *n = (size_t)(len >= 0 ? len : 0);
    }
    fclose(f);
    return buf;
}

/* The instruction-set paths (nn/isa.h) change the speed, never a result:
 * a network trained under LOGIQ_ISA=portable and under each other path this
 * CPU runs has bit-identical parameters and exports byte-identical .qnn
 * files. Full precision, binary over sign, HEQ with 1-bit activations and an
 * OR merge, ternary with 2-bit activations and an add merge. */
static void test_isa_paths(const struct nn_dataset *tr)
{
    const struct setup cases[] = {
        {"c8,c8,p,c16,p,f10", "fp", "relu", 1},  /* no export: parameters only */
        {"c8,c8,p,c12,f10", "bin", "sign", 1},
        {"c8,c8+or,p,c16,c16+or,p,f32,f10", "heq:3", "1", 1},
        {"c8,c8+add,p,f32,f32+add,f10", "twn", "2", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *ref = NULL;
        size_t ref_n = 0;
        float *ref_params = NULL;
        for (int j = 0; j < NN_ISA_COUNT; j++) {
            const enum nn_isa isa = (enum nn_isa)j;
            if (!nn_isa_supported(isa)) {
                printf("isa paths %s: %s not supported by this CPU, skipped\n", cases[i].arch,
                       nn_isa_name(isa));
                continue;
            }
            struct nn_model m;
            struct nn_error err;
            struct nn_train_result r;
            struct nn_qnn q;
            char path[64];
            snprintf(path, sizeof path, "test_train_isa_%d.qnn", j);
            setenv("LOGIQ_ISA", nn_isa_name(isa), 1);
            enum nn_status st = build(&m, &cases[i], 11, &err);
            unsetenv("LOGIQ_ISA");
            if (st != NN_OK) {
                TU_CHECK(0, "build %s: %s", cases[i].arch, err.msg);
                continue;
            }
            TU_CHECK(m.isa == isa, "LOGIQ_ISA=%s: the model runs %s", nn_isa_name(isa),
                     nn_isa_name(m.isa));
            train(&m, tr, cases[i].epochs, 13, &r);
            const int fp = strcmp(cases[i].wq, "fp") == 0;
            st = fp ? NN_OK : nn_model_export(&m, &q, &err);
            TU_CHECK(st == NN_OK, "%s: export: %s", cases[i].arch, err.msg);
            if (st == NN_OK && !fp) {
                st = nn_qnn_write(&q, path, &err);
                TU_CHECK(st == NN_OK, "%s: write: %s", cases[i].arch, err.msg);
                nn_qnn_free(&q);
            }
            size_t n = 0;
            unsigned char *bytes = st == NN_OK && !fp ? slurp(path, &n) : NULL;
            if (!fp)
                remove(path);
            if (j == NN_ISA_PORTABLE) {
                ref = bytes;
                ref_n = n;
                ref_params = malloc(m.n_params * sizeof(float));
                if (ref_params)
                    memcpy(ref_params, m.params, m.n_params * sizeof(float));
            } else if ((fp || (ref && bytes)) && ref_params) {
                const int same_q = fp || (n == ref_n && memcmp(bytes, ref, n) == 0);
                const int same_p = memcmp(m.params, ref_params, m.n_params * sizeof(float)) == 0;
                printf("isa paths %-32s %-6s %-4s: %s vs portable: parameters %s, .qnn (%zu "
                       "bytes) %s\n", cases[i].arch, cases[i].wq, cases[i].aq, nn_isa_name(isa),
                       same_p ? "bit-identical" : "DIFFER", n,
                       fp ? "not exported" : same_q ? "byte-identical" : "DIFFERS");
                TU_CHECK(same_p, "%s: LOGIQ_ISA=%s trains other parameters than portable",
                         cases[i].arch, nn_isa_name(isa));
                TU_CHECK(same_q, "%s: LOGIQ_ISA=%s exports another .qnn than portable",
                         cases[i].arch, nn_isa_name(isa));
                free(bytes);
            } else {
                TU_CHECK(0, "%s: no .qnn to compare", cases[i].arch);
                free(bytes);
            }
            nn_model_free(&m);
        }
        free(ref);
        free(ref_params);
    }
    /* a path the CPU lacks, or a misspelt one, is refused with a message */
    struct nn_model m;
    struct nn_error err;
    const struct setup s = {"c8,f10", "fp", "relu", 1};
    const char *bad[] = {"avx3", "AVX2", "avx512"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum nn_isa isa;
        if (nn_isa_parse(&isa, bad[i], &err) == NN_OK)
            continue; /* this CPU runs it */
        setenv("LOGIQ_ISA", bad[i], 1);
        err.msg[0] = 0;
        const enum nn_status st = build(&m, &s, 1, &err);
        unsetenv("LOGIQ_ISA");
        printf("LOGIQ_ISA=%s: %s\n", bad[i], err.msg);
        TU_CHECK(st == NN_ERR_ARG && strstr(err.msg, "LOGIQ_ISA"),
                 "LOGIQ_ISA=%s must be refused with a message naming LOGIQ_ISA", bad[i]);
        if (st == NN_OK)
            nn_model_free(&m);
    }
}

/* The convolution algorithm (LOGIQ_WINOGRAD, nn/winograd.c) changes the
 * rounding, not the function: F(4x4), F(2x2) and im2col train the same
 * network from the same start to parameters that differ (the algorithm
 * is in use; by rounding, which an epoch of training may amplify where a
 * ReLU or a pooling choice flips) and to training losses within 2 %; a
 * bad value is refused naming LOGIQ_WINOGRAD. */
static void test_winograd(const struct nn_dataset *tr)
{
    const struct setup s = {"c8,c8,p,c16,p,f10", "fp", "relu", 1};
    const char *algo[] = {"off", "2", "4"};
    float loss[3] = {0}, *ref = NULL;
    size_t n_ref = 0;
    for (int i = 0; i < 3; i++) {
        struct nn_model m;
        struct nn_error err;
        struct nn_train_result r;
        setenv("LOGIQ_WINOGRAD", algo[i], 1);
        const enum nn_status st = build(&m, &s, 11, &err);
        unsetenv("LOGIQ_WINOGRAD");
        TU_CHECK(st == NN_OK, "LOGIQ_WINOGRAD=%s: %s", algo[i], err.msg);
        if (st != NN_OK)
            return;
        TU_CHECK(m.layers[1].wino == (i == 0 ? 0 : i == 1 ? 2 : 4) && m.layers[0].wino == 0,
                 "LOGIQ_WINOGRAD=%s: layer 2 runs tile %d, layer 1 tile %d", algo[i],
                 m.layers[1].wino, m.layers[0].wino);
        train(&m, tr, 1, 13, &r);
        loss[i] = r.train_loss;
        if (i == 0) {
            ref = malloc(m.n_params * sizeof(float));
            n_ref = ref ? m.n_params : 0;
            if (ref)
                memcpy(ref, m.params, n_ref * sizeof(float));
        }
        double diff = 0.0, top = 0.0;
        for (size_t k = 0; k < n_ref && k < m.n_params; k++) {
            diff = fmax(diff, fabs((double)m.params[k] - ref[k]));
            top = fmax(top, fabs((double)ref[k]));
        }
        printf("LOGIQ_WINOGRAD=%-3s: training loss %.9g, parameters off im2col's by at most "
               "%.3g of the largest\n", algo[i], (double)loss[i], diff / top);
        TU_CHECK(i == 0 || diff > 0.0,
                 "LOGIQ_WINOGRAD=%s trains im2col's very bits: is it in use?", algo[i]);
        nn_model_free(&m);
    }
    free(ref);
    for (int i = 1; i < 3; i++)
        TU_CHECK(fabsf(loss[i] - loss[0]) <= 0.02f * loss[0],
                 "LOGIQ_WINOGRAD=%s trains to loss %g, im2col to %g", algo[i],
                 (double)loss[i], (double)loss[0]);
    struct nn_model m;
    struct nn_error err;
    setenv("LOGIQ_WINOGRAD", "8", 1);
    err.msg[0] = 0;
    const enum nn_status st = build(&m, &s, 1, &err);
    unsetenv("LOGIQ_WINOGRAD");
    printf("LOGIQ_WINOGRAD=8: %s\n", err.msg);
    TU_CHECK(st == NN_ERR_ARG && strstr(err.msg, "LOGIQ_WINOGRAD"),
             "LOGIQ_WINOGRAD=8 must be refused with a message naming LOGIQ_WINOGRAD");
    if (st == NN_OK)
        nn_model_free(&m);
}

static void test_errors(void)
{
    struct nn_model m;
    struct nn_error err;
    const struct setup bad[] = {
        {"c8,c8+or,f10", "heq:3", "sign", 1},   /* OR needs {0,1} activations */
        {"c8,c16+add,f10", "heq:3", "1", 1},    /* shapes differ across the merge */
        {"c8,p,c8+add,f10", "heq:3", "1", 1},   /* add source pools */
        {"c8,c8s2,c8+or2,f10", "heq:3", "1", 1}, /* a strided block without a shortcut */
        {"c8,c8,c4+or2/pad,f10", "heq:3", "1", 1}, /* pad cannot drop channels */
        {"c8,f10", "heq:4", "1", 1},            /* even HEQ levels */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        enum nn_status st = build(&m, &bad[i], 1, &err);
        TU_CHECK(st == NN_ERR_ARG && err.msg[0], "%s wq %s aq %s must be rejected", bad[i].arch,
                 bad[i].wq, bad[i].aq);
        if (st == NN_OK)
            nn_model_free(&m);
    }
    const struct setup fp = {"c8,f10", "fp", "relu", 1};
    struct nn_qnn q;
    if (build(&m, &fp, 1, &err) == NN_OK) {
        TU_CHECK(nn_model_export(&m, &q, &err) == NN_ERR_ARG,
                 "full-precision networks are not exportable");
        nn_model_free(&m);
    }
}

/* A network trained on real data (a Fashion-MNIST subset): the integer
 * model and the float evaluation agree on every one of the 10,000 test
 * images, up to ties. */
static void test_fashion(void)
{
    struct nn_dataset tr, te;
    struct nn_error err;
    if (nn_data_load_idx_dir(&tr, NN_FASHION_MNIST_DIR, NN_SPLIT_TRAIN, &err) != NN_OK ||
        nn_data_load_idx_dir(&te, NN_FASHION_MNIST_DIR, NN_SPLIT_TEST, &err) != NN_OK) {
        printf("Fashion-MNIST not found (%s): real-data check skipped\n", err.msg);
        return;
    }
    struct nn_dataset sub = nn_data_slice(&tr, 0, 8000);
    const struct setup cases[] = {
        {"res11-or", "heq:3", "1", 1},
        {"res11-add", "heq:5", "2", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nn_model m;
        if (build_sized(&m, &cases[i], 4, 28, 0.25f, &err) != NN_OK) {
            TU_CHECK(0, "%s: %s", cases[i].arch, err.msg);
            continue;
        }
        struct nn_train_result r;
        train(&m, &sub, cases[i].epochs, 6, &r);
        struct nn_qnn q;
        if (nn_model_export(&m, &q, &err) != NN_OK) {
            TU_CHECK(0, "%s: export: %s", cases[i].arch, err.msg);
            nn_model_free(&m);
            continue;
        }
        int ties, mismatch, correct;
        int unexplained = compare_int_float(&m, &q, &te, &ties, &mismatch);
        nn_infer_dataset(&q, &te, 0, 0.0, &correct, NULL, &err);
        printf("fashion %-9s width 0.25, 1 epoch on 8000 images: int acc %.4f on 10000, "
               "%d prediction mismatches, %d images with ties, %d unexplained\n",
               cases[i].arch, (double)correct / te.n, mismatch, ties, unexplained);
        TU_CHECK(unexplained == 0, "%s on Fashion-MNIST: %d unexplained mismatches",
                 cases[i].arch, unexplained);
        TU_CHECK((double)correct / te.n > 0.3, /* well above chance: the agreement is not vacuous */ "%s on Fashion-MNIST learned (acc %.4f)",
                 cases[i].arch, (double)correct / te.n);
        nn_qnn_free(&q);
        nn_model_free(&m);
    }
    nn_data_free(&tr);
    nn_data_free(&te);
}

int main(void)
{
    struct nn_dataset all;
    struct nn_error err;
    test_arch();
    test_errors();
    if (nn_data_synthetic(&all, 1280, SIDE, SIDE, 1, 10, 21, &err) != NN_OK) {
        fprintf(stderr, "synthetic data: %s\n", err.msg);
        return 1;
    }
    struct nn_dataset tr = nn_data_slice(&all, 0, 1024), te = nn_data_slice(&all, 1024, 256);
    test_determinism(&tr);
    test_resume(&tr);
    test_xnor_paths(&tr);
    test_isa_paths(&tr);
    test_winograd(&tr);
    test_export(&tr, &te);
    nn_data_free(&all);
    test_fashion();
    return tu_exit("test_train");
}

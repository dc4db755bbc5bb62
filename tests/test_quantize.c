/* tests/test_quantize.c: the full-precision checkpoint (nn/ckpt.c) and
 * quantizing a trained model without training (nn/quantize.c), the data-free
 * and post-training settings of TQuant/MQuant (papers.md 3a).
 *
 * Two small networks are trained for a few steps on the synthetic set:
 *   A  c8,c8+mux,p,c8,c8+add,p,f16,f10 with heq:3 weights (a quantizer with
 *      EMA state) and binary activations: every tensor kind of the format;
 *   B  the same architecture with full-precision weights, MUX "sel": the
 *      checkpoint that is then quantized.
 * Checks, with their tolerance policy:
 *   - round trip: the logits of the test set after write + read are the same
 *     bits (memcmp), for A and B; the options read back equal the written;
 *   - bad files: truncated, one flipped byte, bad magic, unknown version, a
 *     bad option with a valid checksum, a missing file, a model whose tensors
 *     do not match: each the right status and a message naming the file and
 *     the field;
 *   - data-free, for tquant, mquant, twn, rtn per tensor and per channel: the
 *     exported .qnn's weight codes are exactly the codes of nn's quantizer
 *     (fit + to_int on the checkpoint's weights; a channel of negative batch
 *     norm slope has them negated, as export documents); for tquant also
 *     against thresholds M/3 computed here, scale 2M/3; for twn against
 *     Delta = 0.7 mean|w| computed here; for mquant, each group's share of
 *     zeros is 1/3 within 2/size (the interpolated quantile's rank);
 *   - post-training: after nn_bn_calibrate, every hidden layer's running
 *     mean and variance equal the statistics of its pre-activation measured
 *     again over the calibration images (relative 1e-4: float summation),
 *     they differ from the checkpoint's (some variance by > 1%), and the
 *     integer accuracy is at least the data-free one minus 5 points and well
 *     above chance (> 40% on 10 classes), so a broken calibration fails. */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nn/ckpt.h"
#include "nn/infer.h"
#include "nn/model.h"
#include "nn/quantize.h"
#include "nn/train.h"
#include "tests/testutil.h"

#define ARCH "c8,c8+mux,p,c8,c8+add,p,f16,f10"

static struct nn_dataset all, train, test;

static int train_model(struct nn_model *m, const char *wq, enum nn_mux_variant mux)
{
    struct nn_model_config cfg;
    struct nn_arch arch;
    struct nn_error err;
    nn_model_config_default(&cfg);
    snprintf(cfg.wq, sizeof cfg.wq, "%s", wq);
    cfg.mux = mux;
    cfg.max_batch = 64;
    if (nn_arch_parse(&arch, ARCH, 1.0f, &err) != NN_OK ||
        nn_model_init(m, &arch, ARCH, &cfg, &err) != NN_OK) {
        TU_CHECK(0, "model %s: %s", wq, err.msg);
        return -1;
    }
    struct nn_train_opts o;
    nn_train_opts_default(&o);
    o.epochs = 2;
    o.batch = 64;
    o.lr = 3e-3f;
    o.eval_every_epoch = 0;
    struct nn_train_result r;
    if (nn_train(m, &train, NULL, &o, &r, &err) != NN_OK) {
        TU_CHECK(0, "train %s: %s", wq, err.msg);
        nn_model_free(m);
        return -1;
    }
    return 0;
}

/* The logits of every image of ds, [ds->n][n_class]. */
static float *logits_of(struct nn_model *m, const struct nn_dataset *ds)
{
    const int B = m->cfg.max_batch, k = m->cfg.n_class;
    float *out = malloc((size_t)ds->n * k * sizeof *out);
    float *x = malloc((size_t)B * 28 * 28 * sizeof *x);
    int *y = malloc((size_t)B * sizeof *y), idx[256];
    for (int first = 0; first < ds->n; first += B) {
        int n = ds->n - first < B ? ds->n - first : B;
        for (int i = 0; i < n; i++)
            idx[i] = first + i;
        nn_data_batch(ds, idx, n, NN_NORM_SCALE, NULL, NULL, NULL, NULL, x, y);
        memcpy(out + (size_t)first * k, nn_model_forward(m, x, n, NN_EVAL),
               (size_t)n * k * sizeof *out);
    }
    free(x);
    free(y);
    return out;
}

static int integer_correct(const struct nn_model *m)
{
    struct nn_qnn q;
    struct nn_error err;
    int correct = -1;
    if (nn_model_export(m, &q, &err) != NN_OK) {
        TU_CHECK(0, "export: %s", err.msg);
        return -1;
    }
    TU_CHECK(nn_infer_dataset(&q, &test, 1, 0.0, &correct, NULL, &err) == NN_OK, "infer: %s", err.msg);
    nn_qnn_free(&q);
    return correct;
}

static void test_round_trip(struct nn_model *m, const char *name, const char *path)
{
    struct nn_error err;
    struct nn_ckpt_info info = {.width = 1.0f, .norm = NN_NORM_SCALE, .meta = "data=synthetic\n"};
    TU_CHECK(nn_ckpt_write(m, &info, path, &err) == NN_OK, "%s: write: %s", name, err.msg);
    float *before = logits_of(m, &test);
    struct nn_ckpt ck;
    if (nn_ckpt_read(&ck, path, &err) != NN_OK) {
        TU_CHECK(0, "%s: read: %s", name, err.msg);
        free(before);
        return;
    }
    TU_CHECK(strcmp(ck.arch_text, ARCH) == 0 && strcmp(ck.cfg.wq, m->cfg.wq) == 0 &&
             ck.cfg.mux == m->cfg.mux && ck.cfg.res_bits == m->cfg.res_bits &&
             ck.cfg.mux_init == m->cfg.mux_init && ck.cfg.heq_rate == m->cfg.heq_rate &&
             ck.cfg.seed == m->cfg.seed && ck.width == 1.0f && ck.norm == NN_NORM_SCALE,
             "%s: options read back differ", name);
    TU_CHECK(strcmp(ck.meta, "data=synthetic\n") == 0, "%s: metadata '%s'", name, ck.meta);
    ck.cfg.max_batch = m->cfg.max_batch;
    struct nn_model back;
    if (nn_ckpt_load_model(&ck, &back, NN_CKPT_WQ_RESTORE, &err) != NN_OK) {
        TU_CHECK(0, "%s: load: %s", name, err.msg);
    } else {
        float *after = logits_of(&back, &test);
        size_t nb = (size_t)test.n * 10 * sizeof(float), diff = 0;
        for (size_t i = 0; i < (size_t)test.n * 10; i++)
            diff += memcmp(&before[i], &after[i], sizeof(float)) != 0;
        printf("%s: %d test images, %zu of %zu logits differ after the round trip\n", name,
               test.n, diff, nb / sizeof(float));
        TU_CHECK(diff == 0, "%s: logits differ after write + read", name);
        TU_CHECK(memcmp(m->params, back.params, m->n_params * sizeof(float)) == 0,
                 "%s: parameters differ", name);
        free(after);
        nn_model_free(&back);
    }
    /* a model the tensors do not fit: named by the tensor */
    ck.arch.layers[4].out_c = 17; /* f16 -> f17 */
    TU_CHECK(nn_ckpt_load_model(&ck, &back, NN_CKPT_WQ_RESTORE, &err) == NN_ERR_FORMAT &&
                 strstr(err.msg, path) && strstr(err.msg, "layer 5 w"),
             "%s: mismatched architecture: '%s'", name, err.msg);
    nn_ckpt_free(&ck);
    free(before);
}

/* A checkpoint holding a NaN (or infinite) weight is refused when loaded,
 * naming the file and the tensor (it was accepted and quantized). */
static void test_non_finite(struct nn_model *m, const char *path)
{
    struct nn_error err;
    struct nn_ckpt_info info = {.width = 1.0f, .norm = NN_NORM_SCALE};
    const float keep = m->params[3];
    for (int k = 0; k < 2; k++) {
        m->params[3] = k ? INFINITY : NAN;
        TU_CHECK(nn_ckpt_write(m, &info, path, &err) == NN_OK, "write: %s", err.msg);
        struct nn_ckpt ck;
        if (nn_ckpt_read(&ck, path, &err) != NN_OK) {
            TU_CHECK(0, "read: %s", err.msg);
            continue;
        }
        ck.cfg.max_batch = m->cfg.max_batch;
        struct nn_model back;
        enum nn_status st = nn_ckpt_load_model(&ck, &back, NN_CKPT_WQ_RESTORE, &err);
        printf("%s weight: %s\n", k ? "infinite" : "NaN", st == NN_OK ? "loaded" : err.msg);
        TU_CHECK(st == NN_ERR_FORMAT && strstr(err.msg, path) &&
                     strstr(err.msg, k ? "value 4 is infinite" : "value 4 is NaN"),
                 "non-finite weight: status %d, '%s'", (int)st, st == NN_OK ? "" : err.msg);
        if (st == NN_OK)
            nn_model_free(&back);
        nn_ckpt_free(&ck);
    }
    m->params[3] = keep;
    remove(path);
}

static unsigned char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*n);
    if (fread(b, 1, (size_t)*n, f) != (size_t)*n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, long n)
{
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, (size_t)n, f);
    fclose(f);
}

static void expect_bad(const char *path, enum nn_status want, const char *what, const char *name)
{
    struct nn_ckpt ck;
    struct nn_error err = {{0}};
    enum nn_status st = nn_ckpt_read(&ck, path, &err);
    printf("%s: %s\n", name, err.msg);
    TU_CHECK(st == want && strstr(err.msg, path) && strstr(err.msg, what) && !ck.buf,
             "%s: status %d, message '%s' (expected '%s')", name, (int)st, err.msg, what);
}

static void put_crc(unsigned char *b, long n)
{
    uLong c = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    for (int i = 0; i < 4; i++)
        b[n - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void test_bad_files(const char *good, const char *bad)
{
    long n = 0;
    unsigned char *b = slurp(good, &n);
    if (!b) {
        TU_CHECK(0, "cannot read %s", good);
        return;
    }
    spit(bad, b, n / 2);
    expect_bad(bad, NN_ERR_FORMAT, "truncated at byte", "truncated");
    spit(bad, b, 10);
    expect_bad(bad, NN_ERR_FORMAT, "truncated at byte 10", "truncated header");
    unsigned char *c = malloc((size_t)n + 1);
    memcpy(c, b, (size_t)n);
    c[n / 2] ^= 0x10;
    spit(bad, c, n);
    expect_bad(bad, NN_ERR_FORMAT, "checksum mismatch", "one flipped bit");
    memcpy(c, b, (size_t)n);
    c[n] = 0;
    spit(bad, c, n + 1);
    expect_bad(bad, NN_ERR_FORMAT, "extra bytes after the end", "trailing byte");
    memcpy(c, b, (size_t)n);
    c[0] = 'X';
    spit(bad, c, n);
    expect_bad(bad, NN_ERR_FORMAT, "bad magic", "bad magic");
    memcpy(c, b, (size_t)n);
    c[8] = 7;
    put_crc(c, n);
    spit(bad, c, n);
    expect_bad(bad, NN_ERR_FORMAT, "unsupported version 7", "unknown version");
    /* a bad option value, with a valid checksum */
    memcpy(c, b, (size_t)n);
    unsigned char *f = memmem(c, (size_t)n, "\nmux=", 5);
    TU_CHECK(f != NULL, "no mux field in the option text");
    if (f) {
        f[5] = 'x';
        put_crc(c, n);
        spit(bad, c, n);
        expect_bad(bad, NN_ERR_FORMAT, "field 'mux'", "bad option value");
    }
    memcpy(c, b, (size_t)n);
    f = memmem(c, (size_t)n, "\nres_bits=", 10);
    if (f) {
        f[1] = 'X'; /* an unknown key: res_bits is then missing */
        put_crc(c, n);
        spit(bad, c, n);
        expect_bad(bad, NN_ERR_FORMAT, "field 'res_bits' missing", "missing option");
    }
    /* version 1 (before the training state): the same file without the
     * state's count reads back to the same model */
    memcpy(c, b, (size_t)n);
    TU_CHECK(c[n - 8] == 0 && c[n - 7] == 0 && c[n - 6] == 0 && c[n - 5] == 0,
             "a --save-fp file's state count is 0");
    c[8] = 1;
    memcpy(c + n - 8, b + n - 4, 4);
    for (int i = 0; i < 8; i++)
        c[12 + i] = (unsigned char)((uint64_t)(n - 4) >> (8 * i));
    put_crc(c, n - 4);
    spit(bad, c, n - 4);
    struct nn_ckpt k1, k2;
    struct nn_error err;
    struct nn_model m1, m2;
    if (nn_ckpt_read(&k1, bad, &err) != NN_OK || nn_ckpt_read(&k2, good, &err) != NN_OK) {
        TU_CHECK(0, "version 1: %s", err.msg);
    } else {
        TU_CHECK(k1.version == 1 && !nn_ckpt_has_state(&k1) && !nn_ckpt_has_state(&k2),
                 "version 1 read, no training state in either");
        k1.cfg.max_batch = k2.cfg.max_batch = 64;
        if (nn_ckpt_load_model(&k1, &m1, NN_CKPT_WQ_RESTORE, &err) != NN_OK ||
            nn_ckpt_load_model(&k2, &m2, NN_CKPT_WQ_RESTORE, &err) != NN_OK) {
            TU_CHECK(0, "version 1: load: %s", err.msg);
        } else {
            TU_CHECK(m1.n_params == m2.n_params &&
                     memcmp(m1.params, m2.params, m1.n_params * sizeof(float)) == 0,
                     "version 1 loads the same parameters as version 2");
            nn_model_free(&m1);
            nn_model_free(&m2);
        }
        nn_ckpt_free(&k1);
        nn_ckpt_free(&k2);
    }
    remove(bad);
    expect_bad(bad, NN_ERR_IO, "cannot open", "missing file");
    free(c);
    free(b);
}

/* The checkpoint quantized with spec, data-free; checks the codes. */
static void test_method(const char *path, const struct nn_model *fp, const char *spec)
{
    struct nn_error err;
    struct nn_ckpt ck;
    if (nn_ckpt_read(&ck, path, &err) != NN_OK) {
        TU_CHECK(0, "%s: %s", spec, err.msg);
        return;
    }
    snprintf(ck.cfg.wq, sizeof ck.cfg.wq, "%s", spec);
    ck.cfg.max_batch = 64;
    struct nn_model m;
    if (nn_ckpt_load_model(&ck, &m, NN_CKPT_WQ_REFIT, &err) != NN_OK) {
        TU_CHECK(0, "%s: load: %s", spec, err.msg);
        nn_ckpt_free(&ck);
        return;
    }
    struct nn_qnn q;
    if (nn_model_export(&m, &q, &err) != NN_OK) {
        TU_CHECK(0, "%s: export: %s", spec, err.msg);
        nn_model_free(&m);
        nn_ckpt_free(&ck);
        return;
    }
    long mismatches = 0, ref_mismatches = 0, n_w = 0;
    double worst_zero_share = 0.0;
    for (int i = 0; i < m.n_layers; i++) {
        const struct nn_layer *L = &m.layers[i], *F = &fp->layers[i];
        const int C = L->out_c, K = L->fan_in;
        const size_t nw = (size_t)C * K;
        TU_CHECK(memcmp(L->w, F->w, nw * sizeof(float)) == 0, "%s: layer %d weights differ "
                 "from the checkpoint's", spec, i + 1);
        TU_CHECK(q.layers[i].w_max == 1 && q.layers[i].w_mag_bits == 1, "%s: layer %d not "
                 "ternary (w_max %d)", spec, i + 1, q.layers[i].w_max);
        /* nn's quantizer on the checkpoint's weights */
        struct nn_wq ref;
        int8_t *code = malloc(nw);
        if (nn_wq_parse(&ref, spec, &err) != NN_OK || nn_wq_init(&ref, C, &err) != NN_OK) {
            TU_CHECK(0, "%s: %s", spec, err.msg);
            free(code);
            continue;
        }
        ref.ops->fit(&ref, F->w, C, K, 1);
        ref.ops->to_int(&ref, code, F->w, C, K);
        const int per_ch = ref.mode == NN_SCALE_CHANNEL;
        for (int c = 0; c < C; c++) {
            const int flip = L->hidden && L->gamma[c] < 0.0f ? -1 : 1;
            const float *w = F->w + (size_t)c * K;
            const int g = per_ch ? c : 0;
            /* independent references, over the channel's group */
            const float *gw = per_ch ? w : F->w;
            const size_t gn = per_ch ? (size_t)K : nw;
            float mx = 0.0f;
            double sum = 0.0;
            size_t zeros = 0;
            for (size_t j = 0; j < gn; j++) {
                mx = fabsf(gw[j]) > mx ? fabsf(gw[j]) : mx;
                sum += fabsf(gw[j]);
            }
            float t = -1.0f;
            if (ref.kind == NN_WQ_TQUANT) {
                t = mx / 3.0f;
                TU_CHECK(L->wq.thresh[g] == t && L->wq.scale[g] == 2.0f * mx / 3.0f,
                         "%s: layer %d group %d: thresh %g scale %g, expected M/3 = %g, 2M/3",
                         spec, i + 1, g, (double)L->wq.thresh[g], (double)L->wq.scale[g],
                         (double)t);
            } else if (ref.kind == NN_WQ_TWN) {
                t = (float)(0.7 * (sum / (double)gn));
                TU_CHECK(L->wq.thresh[g] == t, "%s: layer %d: Delta %g, expected %g", spec,
                         i + 1, (double)L->wq.thresh[g], (double)t);
            } else if (ref.kind == NN_WQ_MQUANT && (per_ch || c == 0)) {
                for (size_t j = 0; j < gn; j++)
                    zeros += fabsf(gw[j]) <= L->wq.thresh[g];
                double share = (double)zeros / (double)gn;
                double off = fabs(share - 1.0 / 3.0) * (double)gn;
                worst_zero_share = off > worst_zero_share ? off : worst_zero_share;
                TU_CHECK(off <= 2.0, "%s: layer %d group %d: %zu of %zu codes zero, expected a "
                         "third", spec, i + 1, g, zeros, gn);
            }
            for (int j = 0; j < K; j++) {
                int got = q.layers[i].w[(size_t)c * K + j];
                mismatches += got != flip * code[(size_t)c * K + j];
                if (t >= 0.0f) {
                    int want = fabsf(w[j]) > t ? (w[j] > 0 ? 1 : -1) : 0;
                    ref_mismatches += got != flip * want;
                }
                n_w++;
            }
        }
        nn_wq_free(&ref);
        free(code);
    }
    printf("%-10s %ld weights: %ld differ from nn's quantizer, %ld from the reference "
           "threshold%s\n", spec, n_w, mismatches, ref_mismatches,
           worst_zero_share > 0 ? " (mquant: checked zero shares)" : "");
    TU_CHECK(mismatches == 0 && ref_mismatches == 0, "%s: %ld / %ld codes differ", spec,
             mismatches, ref_mismatches);
    nn_qnn_free(&q);
    nn_model_free(&m);
    nn_ckpt_free(&ck);
}

/* Mean and unbiased variance of layer l's pre-activation over the images. */
static void measure(struct nn_model *m, int l, const int *idx, int n, double *mean, double *var)
{
    const int B = m->cfg.max_batch, C = m->layers[l].out_c;
    float *x = malloc((size_t)B * 28 * 28 * sizeof *x);
    int *y = malloc((size_t)B * sizeof *y);
    double *s = calloc((size_t)C * 2, sizeof *s);
    double rows = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int first = 0; first < n; first += B) {
            int nb = n - first < B ? n - first : B;
            nn_data_batch(&train, idx + first, nb, NN_NORM_SCALE, NULL, NULL, NULL, NULL, x, y);
            nn_model_forward(m, x, nb, NN_EVAL);
            const struct nn_layer *L = &m->layers[l];
            size_t r = (size_t)nb * L->out_h * L->out_w;
            for (size_t i = 0; i < r; i++)
                for (int c = 0; c < C; c++) {
                    double z = L->z[i * C + c];
                    if (pass == 0)
                        s[c] += z;
                    else
                        s[C + c] += (z - mean[c]) * (z - mean[c]);
                }
            if (pass == 0)
                rows += (double)r;
        }
        for (int c = 0; c < C; c++) {
            if (pass == 0)
                mean[c] = s[c] / rows;
            else
                var[c] = s[C + c] / (rows - 1.0);
        }
    }
    free(x);
    free(y);
    free(s);
}

static void test_calibration(const char *path)
{
    struct nn_error err;
    struct nn_ckpt ck;
    if (nn_ckpt_read(&ck, path, &err) != NN_OK) {
        TU_CHECK(0, "calib: %s", err.msg);
        return;
    }
    snprintf(ck.cfg.wq, sizeof ck.cfg.wq, "tquant");
    ck.cfg.max_batch = 64;
    struct nn_model m;
    if (nn_ckpt_load_model(&ck, &m, NN_CKPT_WQ_REFIT, &err) != NN_OK) {
        TU_CHECK(0, "calib: load: %s", err.msg);
        nn_ckpt_free(&ck);
        return;
    }
    int df = integer_correct(&m);
    enum { N_CAL = 512 };
    int idx[N_CAL];
    for (int i = 0; i < N_CAL; i++)
        idx[i] = (i * 7) % train.n; /* 7 is prime to 1024: distinct images */
    float old_var[NN_MAX_LAYERS][64];
    for (int l = 0; l < m.n_layers - 1; l++)
        memcpy(old_var[l], m.layers[l].run_var, (size_t)m.layers[l].out_c * sizeof(float));
    TU_CHECK(nn_bn_calibrate(&m, &train, idx, N_CAL, NN_NORM_SCALE, NULL, NULL, &err) == NN_OK,
             "calibrate: %s", err.msg);
    double worst = 0.0, changed = 0.0;
    for (int l = 0; l < m.n_layers - 1; l++) {
        const struct nn_layer *L = &m.layers[l];
        double mean[64], var[64];
        measure(&m, l, idx, N_CAL, mean, var);
        for (int c = 0; c < L->out_c; c++) {
            double e1 = fabs(L->run_mean[c] - mean[c]) / (sqrt(var[c]) + 1e-12);
            double e2 = fabs(L->run_var[c] - var[c]) / var[c];
            worst = fmax(worst, fmax(e1, e2));
            changed = fmax(changed, fabs(L->run_var[c] - old_var[l][c]) / old_var[l][c]);
        }
    }
    int pt = integer_correct(&m);
    printf("calibration: largest relative difference to a fresh measurement %.3g, largest "
           "relative change of a variance %.3g; integer accuracy data-free %d/%d, "
           "post-training %d/%d\n", worst, changed, df, test.n, pt, test.n);
    TU_CHECK(worst < 1e-4, "calibrated statistics differ from a fresh measurement by %g", worst);
    TU_CHECK(changed > 0.01, "calibration changed no variance by more than 1%% (%g)", changed);
    TU_CHECK(pt >= df - test.n / 20 && pt > test.n * 4 / 10,
             "post-training accuracy %d/%d below data-free %d or near chance", pt, test.n, df);
    struct nn_error e2;
    TU_CHECK(nn_bn_calibrate(&m, &train, idx, 1, NN_NORM_SCALE, NULL, NULL, &e2) == NN_ERR_ARG,
             "calibration on 1 image accepted");
    nn_model_free(&m);
    nn_ckpt_free(&ck);
}

int main(void)
{
    struct nn_error err;
    if (nn_data_synthetic(&all, 1024 + 256, 28, 28, 1, 10, 11, &err) != NN_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    train = nn_data_slice(&all, 0, 1024);
    test = nn_data_slice(&all, 1024, 256);
    char pa[512], pb[512], pbad[512];
    tu_scratch_path(pa, sizeof pa, "a.lqc");
    tu_scratch_path(pb, sizeof pb, "b.lqc");
    tu_scratch_path(pbad, sizeof pbad, "bad.lqc");

    struct nn_model a, b;
    if (train_model(&a, "heq:3", NN_MUX_OR) == 0) {
        test_round_trip(&a, "heq:3 model", pa);
        test_bad_files(pa, pbad);
        nn_model_free(&a);
    }
    if (train_model(&b, "fp", NN_MUX_SEL) == 0) {
        test_round_trip(&b, "fp model", pb);
        test_non_finite(&b, pbad);
        static const char *const specs[] = {
            "tquant", "tquant/ch", "mquant", "mquant/ch", "twn", "twn/ch", "uniform:2",
            "uniform:2/ch",
        };
        for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
            test_method(pb, &b, specs[i]);
        test_calibration(pb);
        nn_model_free(&b);
    }
    remove(pa);
    remove(pb);
    nn_data_free(&all);
    return tu_exit("test_quantize");
}

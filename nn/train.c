/* nn/train.c: the training loop and the float evaluation.
 *
 * One step: draw a batch (seeded shuffle, optional augmentation), refit the
 * weight quantizers (HEQ: one EMA step of its step size), forward, backward,
 * optimizer step. After each epoch: float evaluation of the test set and one
 * row of the CSV log (columns in docs/training-log.md). Not here: export and
 * the integer evaluation (the caller runs them on the trained model). */
#include "nn/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "nn/sinareq_train.h"

void nn_train_opts_default(struct nn_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 10;
    o->batch = 128;
    o->lr = 1e-3f;
    o->optim = NN_OPTIM_ADAM;
    o->momentum = 0.9f;
    o->weight_decay = 0.0f;
    o->sched = NN_SCHED_COSINE;
    o->step_every = 0;
    o->step_gamma = 0.1f;
    o->seed = 1;
    o->norm = NN_NORM_SCALE;
    o->eval_every_epoch = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int argmax_row(const float *v, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

float nn_eval_float(struct nn_model *m, const struct nn_dataset *ds, enum nn_norm norm,
                    const float *mean, const float *std, float *x_buf, int *y_buf, int *pred)
{
    const int B = m->cfg.max_batch, k = m->cfg.n_class;
    int idx[4096];
    long correct = 0;
    for (int first = 0; first < ds->n; first += B) {
        int n = ds->n - first < B ? ds->n - first : B;
        for (int i = 0; i < n; i++)
            idx[i] = first + i;
        nn_data_batch(ds, idx, n, norm, mean, std, NULL, NULL, x_buf, y_buf);
        const float *logits = nn_model_forward(m, x_buf, n, NN_EVAL);
        for (int i = 0; i < n; i++) {
            int p = argmax_row(logits + (size_t)i * k, k);
            correct += p == y_buf[i];
            if (pred)
                pred[first + i] = p;
        }
    }
    return ds->n ? (float)correct / (float)ds->n : 0.0f;
}

/* Under SINAREQ a layer's number of levels changes during training, so its
 * level shares have no fixed columns: its beta and width are logged instead. */
static int log_levels(const struct nn_train_opts *o, int i)
{
    return !o->sinareq || !o->sinareq->on[i];
}

static void log_header(FILE *f, const struct nn_model *m, const struct nn_train_opts *o)
{
    fprintf(f, "epoch,lr,train_loss,train_acc,test_acc,seconds");
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_wq *q = &m->layers[i].wq;
        fprintf(f, ",l%d_step", i + 1);
        for (int c = -q->K; log_levels(o, i) && q->K > 0 && c <= q->K; c++)
            fprintf(f, ",l%d_q%+d", i + 1, c);
    }
    if (o->sinareq)
        nn_sinareq_log_header(o->sinareq, f);
    fputc('\n', f);
}

static void log_row(FILE *f, const struct nn_model *m, const struct nn_train_opts *o,
                    int epoch, float lr, float loss, float acc, float test_acc, double seconds)
{
    float share[256];
    fprintf(f, "%d,%.6g,%.6f,%.6f,%.6f,%.3f", epoch, (double)lr, (double)loss, (double)acc,
            (double)test_acc, seconds);
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_layer *L = &m->layers[i];
        const struct nn_wq *q = &L->wq;
        /* the mean step size over the scale groups */
        double s = 0.0;
        for (int g = 0; q->scale && g < q->n_group; g++)
            s += q->scale[g];
        fprintf(f, ",%.6g", q->n_group ? s / q->n_group : 0.0);
        if (log_levels(o, i) && q->K > 0 && 2 * q->K + 1 <= 256) {
            nn_wq_level_share(q, L->w, L->out_c, L->fan_in, share);
            for (int c = 0; c < 2 * q->K + 1; c++)
                fprintf(f, ",%.6f", (double)share[c]);
        }
    }
    if (o->sinareq)
        nn_sinareq_log_row(o->sinareq, m, f);
    fputc('\n', f);
    fflush(f);
}

enum nn_status nn_train(struct nn_model *m, const struct nn_dataset *train,
                        const struct nn_dataset *test, const struct nn_train_opts *o,
                        struct nn_train_result *res, struct nn_error *err)
{
    memset(res, 0, sizeof *res);
    const struct nn_model_config *cfg = &m->cfg;
    if (train->h != cfg->in_h || train->w != cfg->in_w || train->c != cfg->in_c)
        return nn_fail(err, NN_ERR_ARG, "training set images are %dx%dx%d, the model expects "
                       "%dx%dx%d", train->h, train->w, train->c, cfg->in_h, cfg->in_w,
                       cfg->in_c);
    if (o->batch < 2 || o->batch > cfg->max_batch || o->batch > 4096)
        return nn_fail(err, NN_ERR_ARG, "batch size %d: expected 2..%d", o->batch,
                       cfg->max_batch < 4096 ? cfg->max_batch : 4096);
    if (o->epochs < 0)
        return nn_fail(err, NN_ERR_ARG, "epochs %d: expected >= 0", o->epochs);

    size_t img = (size_t)cfg->in_h * cfg->in_w * cfg->in_c;
    float *x = malloc((size_t)cfg->max_batch * img * sizeof(float));
    int *y = malloc((size_t)cfg->max_batch * sizeof(int));
    int *idx = malloc((size_t)(train->n ? train->n : 1) * sizeof(int));
    float mean[16] = {0}, std[16] = {0};
    FILE *log = NULL;
    enum nn_status st = NN_OK;
    if (!x || !y || !idx) {
        st = nn_fail(err, NN_ERR_NOMEM, "training: out of memory for the batch buffers");
        goto done;
    }
    if (o->norm == NN_NORM_MEANSTD) {
        if (train->c > 16) {
            st = nn_fail(err, NN_ERR_ARG, "mean/std normalization supports up to 16 channels");
            goto done;
        }
        nn_data_channel_stats(train, mean, std);
    }
    const struct nn_train_state *rs = o->resume;
    const int batches = (train->n + o->batch - 1) / o->batch;
    if (rs && (rs->n != train->n || rs->epoch < 0 || rs->epoch > o->epochs || rs->batch < 0 ||
               rs->batch >= batches || rs->t < 0)) {
        st = nn_fail(err, NN_ERR_ARG, "cannot resume: the saved state (epoch %d batch %d, "
                     "%d images) does not fit this run (%d epochs, %d images)",
                     rs->epoch + 1, rs->batch + 1, rs->n, o->epochs, train->n);
        goto done;
    }
    if (o->log_csv) {
        log = fopen(o->log_csv, o->log_append ? "a" : "w");
        if (!log) {
            st = nn_fail(err, NN_ERR_WRITE, "%s: cannot write the training log (%s)", o->log_csv,
                         strerror(errno));
            goto done;
        }
        if (!o->log_append)
            log_header(log, m, o);
    }
    for (int i = 0; i < train->n; i++)
        idx[i] = rs ? rs->order[i] : i;
    uint64_t rng_shuffle = rs ? rs->rng_shuffle : o->seed * 0x2545f4914f6cdd1dull + 1;
    uint64_t rng_aug = rs ? rs->rng_aug : o->seed * 0x9e3779b97f4a7c15ull + 7;
    const long T = (long)batches * o->epochs;
    long t = rs ? rs->t : 0;
    const long t_start = t;
    double t0 = now_s() - (rs ? rs->seconds : 0.0);
    double run0 = now_s();  /* this run's start, for its speed */
    for (int e = rs ? rs->epoch : 0; e < o->epochs; e++) {
        /* resumed inside an epoch: its order is drawn, its sums so far kept */
        int inside = rs && e == rs->epoch && rs->batch > 0;
        if (!inside)
            nn_rng_shuffle(idx, train->n, &rng_shuffle);
        double loss_sum = inside ? rs->loss_sum : 0.0;
        long correct = inside ? rs->correct : 0, seen = inside ? rs->seen : 0;
        float lr = o->lr;
        for (int b = inside ? rs->batch : 0; b < batches; b++) {
            int first = b * o->batch;
            int n = train->n - first < o->batch ? train->n - first : o->batch;
            if (n < 2)
                continue; /* batch norm needs two samples */
            const struct nn_augment *aug =
                (o->aug.crop_pad || o->aug.hflip) ? &o->aug : NULL;
            nn_data_batch(train, idx + first, n, o->norm, mean, std, aug, &rng_aug, x, y);
            if (o->sinareq)
                nn_sinareq_apply_bits(o->sinareq, m);
            nn_model_fit_quant(m, 0);
            m->noise_key = o->seed * 0xa0761d6478bd642full + (uint64_t)t;
            if (cfg->aqe_ramp && cfg->aqe_alpha > 0.0f)
                m->aqe_now = cfg->aqe_alpha + (1.0f - cfg->aqe_alpha) * (float)t / (float)T;
            const float *logits = nn_model_forward(m, x, n, NN_TRAIN);
            for (int i = 0; i < n; i++)
                correct += argmax_row(logits + (size_t)i * cfg->n_class, cfg->n_class) == y[i];
            float loss = nn_model_backward(m, y);
            if (!isfinite(loss)) {
                st = nn_fail(err, NN_ERR_FAIL, "training diverged: loss %g at epoch %d batch %d"
                             " (try a lower --lr)", (double)loss, e + 1, b + 1);
                goto done;
            }
            if (o->sinareq)
                nn_sinareq_backward(o->sinareq, m, (double)t / batches, o->epochs);
            lr = nn_train_lr(o, t, T, e);
            t++;
            nn_optim_step(m, o, lr, t);
            nn_model_aqe_clip(m);
            if (o->sinareq)
                nn_sinareq_step(o->sinareq, o->lr > 0.0f ? lr / o->lr : 0.0f);
            loss_sum += (double)loss * n;
            seen += n;
            if (o->stop && *o->stop) {
                res->interrupted = 1;
                res->stopped_epoch = e + 1;
                res->stopped_batch = b + 1;
                if (o->save && b + 1 < batches) {
                    struct nn_train_state s = {
                        .epoch = e, .batch = b + 1, .t = t, .rng_shuffle = rng_shuffle,
                        .rng_aug = rng_aug, .loss_sum = loss_sum, .correct = correct,
                        .seen = seen, .seconds = now_s() - t0, .order = idx, .n = train->n,
                    };
                    o->save(o->save_ctx, &s);
                }
                break;
            }
            if (o->progress) {
                double run = now_s() - run0;
                struct nn_train_progress p = {
                    .epoch = e + 1, .epochs = o->epochs, .batch = b + 1, .batches = batches,
                    .loss = (float)(loss_sum / seen), .acc = (float)correct / (float)seen,
                    .images_per_s = (float)((double)(t - t_start) * o->batch / run),
                    .eta_s = run / (double)(t - t_start) * (double)(T - t), .test_acc = -1.0f,
                    .lr = lr,
                };
                o->progress(o->progress_ctx, &p);
            }
        }
        res->train_loss = seen ? (float)(loss_sum / seen) : 0.0f;
        res->train_acc = seen ? (float)correct / (float)seen : 0.0f;
        if (o->sinareq) /* the widths the evaluation and the export use */
            nn_sinareq_apply_bits(o->sinareq, m);
        float test_acc = -1.0f;
        if (test && (o->eval_every_epoch || e == o->epochs - 1))
            test_acc = nn_eval_float(m, test, o->norm, mean, std, x, y, NULL);
        res->test_acc_float = test_acc;
        double el = now_s() - t0;
        /* an epoch cut short by *stop has no row: resuming runs it whole */
        int whole = !res->interrupted || res->stopped_batch == batches;
        if (log && whole) {
            log_row(log, m, o, e + 1, lr, res->train_loss, res->train_acc, test_acc, el);
            if (fflush(log) != 0 || ferror(log)) {  /* a full disk: say so now */
                st = nn_fail(err, NN_ERR_WRITE, "%s: cannot write the training log (%s)",
                             o->log_csv, strerror(errno));
                goto done;
            }
        }
        if (o->save && whole) {
            struct nn_train_state s = {
                .epoch = e + 1, .t = t, .rng_shuffle = rng_shuffle, .rng_aug = rng_aug,
                .seconds = el, .order = idx, .n = train->n,
            };
            o->save(o->save_ctx, &s);
        }
        double run = now_s() - run0;
        if (o->progress) {
            struct nn_train_progress p = {
                .epoch = e + 1, .epochs = o->epochs, .batch = batches, .batches = batches,
                .loss = res->train_loss, .acc = res->train_acc,
                .images_per_s = (float)(t > t_start ? (double)(t - t_start) * o->batch / run
                                                    : 0.0),
                .eta_s = t > t_start ? run / (double)(t - t_start) * (double)(T - t) : 0.0,
                .epoch_done = 1, .test_acc = test_acc, .lr = lr,
            };
            o->progress(o->progress_ctx, &p);
        }
        if (res->interrupted)
            break;
    }
    if (rs && rs->epoch >= o->epochs && test) /* resumed after the last epoch */
        res->test_acc_float = nn_eval_float(m, test, o->norm, mean, std, x, y, NULL);
    res->seconds = now_s() - t0;
    double run = now_s() - run0;
    res->images_per_s = run > 0 ? (double)(t - t_start) * o->batch / run : 0.0;
done:
    if (log && fclose(log) != 0 && st == NN_OK)
        st = nn_fail(err, NN_ERR_WRITE, "%s: cannot write the training log", o->log_csv);
    free(x);
    free(y);
    free(idx);
    return st;
}

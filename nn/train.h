/* nn/train.h: the training loop, optimizers and learning-rate schedules.
 *
 *     struct nn_train_opts o;
 *     nn_train_opts_default(&o);
 *     o.epochs = 2;
 *     struct nn_train_result r;
 *     nn_train(&model, &train_set, &test_set, &o, &r, &err);
 *
 * Training is deterministic: the same seed and thread count give the same
 * bits (shuffling, augmentation and initialization draw from seeded
 * splitmix64 streams; every parallel loop has a static schedule).
 * The library never prints: progress reaches the caller through a callback,
 * and the per-epoch log is a CSV file whose columns are documented in
 * docs/training-log.md.
 *
 * Memory: nn_train allocates its batch buffers once, before the first epoch. */
#ifndef LOGIQ_NN_TRAIN_H
#define LOGIQ_NN_TRAIN_H

#include <signal.h>
#include <stdint.h>

#include "nn/data.h"
#include "nn/model.h"

struct nn_sinareq;

enum nn_optim { NN_OPTIM_ADAM, NN_OPTIM_SGD };
enum nn_sched { NN_SCHED_COSINE, NN_SCHED_STEP, NN_SCHED_CONST };

struct nn_train_progress {
    int epoch, epochs;       /* 1-based */
    int batch, batches;      /* 1-based */
    float loss;              /* running mean over the epoch */
    float acc;               /* running training accuracy over the epoch */
    float images_per_s;
    double eta_s;            /* estimated seconds to the end of training */
    int epoch_done;          /* 1 at the epoch-end call */
    float test_acc;          /* at epoch end when evaluated, else -1 */
    float lr;
};

/* Where a training run stands, enough to continue it bit for bit (logiq
 * train --checkpoint / --resume; the model, its optimizer moments and
 * SINAREQ's widths are saved beside it). */
struct nn_train_state {
    int epoch;               /* 0-based: the epoch in progress, or the next one */
    int batch;               /* 0-based: its next batch; 0 at an epoch boundary */
    long t;                  /* optimizer steps taken */
    uint64_t rng_shuffle, rng_aug;
    double loss_sum;         /* the epoch's running sums so far (0 when batch is 0) */
    long correct, seen;
    double seconds;          /* training time so far */
    int *order;              /* [n] the training set's order (each epoch shuffles it) */
    int n;
};

struct nn_train_opts {
    int epochs;
    int batch;
    float lr;
    enum nn_optim optim;
    float momentum;          /* SGD momentum; Adam beta1 is 0.9, beta2 0.999 */
    float weight_decay;      /* decoupled (AdamW-style), on conv/dense weights only */
    enum nn_sched sched;
    int step_every;          /* step schedule: multiply by step_gamma every N epochs */
    float step_gamma;
    uint64_t seed;           /* shuffling and augmentation */
    enum nn_norm norm;
    struct nn_augment aug;
    int eval_every_epoch;    /* 1: float-evaluate the test set after every epoch */
    const char *log_csv;     /* per-epoch CSV log, or NULL */
    /* progress: called after every batch and at each epoch end (may be NULL) */
    void (*progress)(void *ctx, const struct nn_train_progress *p);
    void *progress_ctx;
    /* if not NULL, training stops cleanly after the current batch once *stop
     * becomes non-zero (e.g. from a SIGINT handler); the model keeps what it
     * learned so far and the result says where it stopped */
    volatile sig_atomic_t *stop;
    /* SINAREQ's learned bit widths (nn/sinareq_train.h), or NULL: each step
     * sets the widths to ceil(beta), adds the regularizer's and the cost's
     * gradients and steps beta; each epoch ends with the widths applied, so
     * the evaluation and the export use them */
    struct nn_sinareq *sinareq;
    /* if not NULL, called at every epoch end and when *stop ended training,
     * with the state to continue from (the model is then as it stands) */
    void (*save)(void *ctx, const struct nn_train_state *s);
    void *save_ctx;
    /* if not NULL, training continues from here (the model, its optimizer
     * moments and SINAREQ's state restored by the caller); order is copied.
     * The caller sets log_append when the CSV log holds the epochs done. */
    const struct nn_train_state *resume;
    int log_append;          /* 1: append to log_csv, without a header */
};


struct nn_train_result {
    float train_loss, train_acc;   /* last epoch */
    float test_acc_float;          /* float (fake-quantized) evaluation, last epoch */
    double seconds;
    double images_per_s;
    int interrupted;               /* 1 if *stop ended training early */
    int stopped_epoch, stopped_batch; /* where (1-based), when interrupted */
};

void nn_train_opts_default(struct nn_train_opts *o);

/* The learning rate at step t of T (0-based) for epoch e. */
float nn_train_lr(const struct nn_train_opts *o, long t, long T, int epoch);

/* Parses "adam"/"sgd", "cosine"/"step"/"const". */
enum nn_status nn_optim_parse(enum nn_optim *o, const char *s, struct nn_error *err);
enum nn_status nn_sched_parse(enum nn_sched *o, const char *s, struct nn_error *err);

/* One optimizer step over every parameter of m with learning rate lr; t is
 * the 1-based step count (Adam's bias correction). */
void nn_optim_step(struct nn_model *m, const struct nn_train_opts *o, float lr, long t);

/* Float evaluation (eval-mode batch norm, fake-quantized weights) of ds:
 * accuracy in [0, 1]. pred [ds->n] receives the predictions if not NULL.
 * x_buf holds max_batch images, y_buf max_batch labels. */
float nn_eval_float(struct nn_model *m, const struct nn_dataset *ds, enum nn_norm norm,
                    const float *mean, const float *std, float *x_buf, int *y_buf, int *pred);

enum nn_status nn_train(struct nn_model *m, const struct nn_dataset *train,
                        const struct nn_dataset *test, const struct nn_train_opts *o,
                        struct nn_train_result *res, struct nn_error *err);

#endif

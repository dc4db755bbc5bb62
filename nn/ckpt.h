/* nn/ckpt.h: the full-precision checkpoint (.lqc): a trained model's
 * real-valued state, to quantize it after training (nn/quantize.h,
 * `logiq quantize`) or to evaluate it again.
 *
 * A checkpoint holds the architecture string, the width multiplier and every
 * model option (struct nn_model_config), the input normalization, and per
 * layer the real-valued weights, the batch-norm parameters and running
 * statistics, the last layer's bias, the MUX select logits, and the weight
 * quantizer's state (scales and thresholds per scale group: HEQ's step is an
 * EMA, not a function of the weights, so it is saved, not refitted). Loading
 * it back with the same options reproduces the model's float evaluation bit
 * for bit. Byte layout and checks: docs/checkpoint-format.md.
 *
 *     struct nn_ckpt ck;
 *     if (nn_ckpt_read(&ck, "fp.lqc", &err) != NN_OK) ...
 *     snprintf(ck.cfg.wq, sizeof ck.cfg.wq, "tquant");   (change options)
 *     nn_ckpt_load_model(&ck, &model, NN_CKPT_WQ_REFIT, &err);
 *     nn_ckpt_free(&ck);
 *
 * Memory: nn_ckpt_read allocates the file's bytes (kept in ck until
 * nn_ckpt_free); nn_ckpt_load_model initializes a model the caller frees with
 * nn_model_free. Writes are atomic (temp file in the same folder, fsync,
 * rename). Nothing here prints. */
#ifndef LOGIQ_NN_CKPT_H
#define LOGIQ_NN_CKPT_H

#include <stdint.h>

#include "nn/data.h"
#include "nn/model.h"
#include "nn/status.h"

#define NN_CKPT_MAGIC "LOGIQFPC"
#define NN_CKPT_VERSION 2u
#define NN_CKPT_TEXT_MAX 16384   /* the option text, bytes */

/* What the file holds besides the model: the values nn_model does not keep. */
struct nn_ckpt_info {
    float width;                 /* the width multiplier the architecture was parsed with */
    enum nn_norm norm;           /* how pixels became the float input */
    const char *meta;            /* extra "key=value\n" lines (data, epochs, ...), or NULL */
    /* the training state (logiq train --checkpoint): 1 to write the optimizer
     * moments (of the arena and of the learned steps) and the training set's
     * order [n_order]; 0 (--save-fp) writes none */
    int optim_state;
    int *order;
    int n_order;
};

/* A checkpoint read back: the options, ready to be changed before
 * nn_ckpt_load_model, and the tensors (still in the file's bytes). */
struct nn_ckpt {
    char path[1024];
    struct nn_model_config cfg;  /* every option; max_batch is 128, set it before loading */
    char arch_text[NN_ARCH_MAX];
    struct nn_arch arch;         /* arch_text parsed with width (editable) */
    float width;
    enum nn_norm norm;
    char meta[NN_CKPT_TEXT_MAX]; /* the lines of keys the reader does not interpret */
    uint8_t *buf;                /* the whole file */
    uint64_t size;
    uint64_t tensors_at;         /* offset of the tensor count */
    uint64_t state_at;           /* offset of the training state's count (version 2) */
    uint32_t n_state;            /* its records: 0 without a training state */
    uint32_t version;
};

/* Writes m's state and info to path, atomically. Errors name the path. */
enum nn_status nn_ckpt_write(const struct nn_model *m, const struct nn_ckpt_info *info,
                             const char *path, struct nn_error *err);

/* Reads and checks path (magic, version, length, CRC, every option, and that
 * the records' counts fill the file, which finds the training state);
 * on failure *ck is left zeroed and err names the file and the field. */
enum nn_status nn_ckpt_read(struct nn_ckpt *ck, const char *path, struct nn_error *err);

/* What happens to the weight quantizers' state on loading. */
enum nn_ckpt_wq {
    NN_CKPT_WQ_RESTORE,  /* the saved scales and thresholds (same cfg.wq as saved) */
    NN_CKPT_WQ_REFIT,    /* fit each quantizer afresh (init = 1) on the loaded weights:
                          * for a quantizer other than the saved one */
};

/* Builds *m from ck->arch and ck->cfg and loads the tensors into it. Every
 * tensor's layer, kind and size must match the model built (so options that
 * change the parameters, such as the architecture, are refused with the
 * tensor named). On failure *m is freed and zeroed. */
enum nn_status nn_ckpt_load_model(const struct nn_ckpt *ck, struct nn_model *m,
                                  enum nn_ckpt_wq wq, struct nn_error *err);

/* Resuming a training (logiq train --resume), with m built from this run's
 * command: nn_ckpt_check_same compares the options m and info would be
 * written with to the saved ones, the metadata keys beginning with "state_"
 * aside, and names the first field that differs; nn_ckpt_load_state then
 * loads the model's tensors (with its quantizers' saved state), the
 * optimizer moments and the training set's order [n_order]. A checkpoint
 * without a training state is refused. */
enum nn_status nn_ckpt_check_same(const struct nn_ckpt *ck, const struct nn_model *m,
                                  const struct nn_ckpt_info *info, struct nn_error *err);
enum nn_status nn_ckpt_load_state(const struct nn_ckpt *ck, struct nn_model *m, int *order,
                                  int n_order, struct nn_error *err);

/* 1 if the checkpoint holds a training state (written by --checkpoint). */
int nn_ckpt_has_state(const struct nn_ckpt *ck);

/* The training state's text (logiq train --checkpoint; its fields are in
 * docs/checkpoint-format.md, "The training state"). The options that must
 * not change between a run and its resumption, as "key=value\n" lines (o's,
 * the data's, the thread count, and SINAREQ's when sq is not NULL) into buf;
 * returns the length, or -1 if it does not fit. */
struct nn_train_opts;
struct nn_train_state;
struct nn_sinareq_opts;
int nn_ckpt_train_opts_text(char *buf, size_t size, const struct nn_train_opts *o,
                            const char *data_kind, int n_train, int threads,
                            const struct nn_sinareq_opts *sq);
/* Appends the state's scalars (state_epoch, state_batch, ...) to buf, which
 * holds len bytes; returns the new length, or -1 if they do not fit. */
int nn_ckpt_state_text(char *buf, size_t size, size_t len, const struct nn_train_state *s);
/* Reads the state's scalars back from a checkpoint's metadata into s (its
 * order and n untouched); NN_ERR_FORMAT names path and the field missing or
 * malformed. */
enum nn_status nn_ckpt_state_parse(const char *meta, const char *path, struct nn_train_state *s,
                                   struct nn_error *err);

/* x as the shortest of %.6g .. %.9g that reads back to the same float
 * ("0.001", not "0.00100000005"): how the options' floats are written. */
const char *nn_ckpt_float(char buf[24], float x);

void nn_ckpt_free(struct nn_ckpt *ck);

#endif

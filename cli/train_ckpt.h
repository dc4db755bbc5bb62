/* cli/train_ckpt.h: `logiq train --checkpoint FILE [--resume]`, kept apart
 * from cli/cmd_train.c. The training state (the model, its optimizer
 * moments, SINAREQ's widths, the data order, the random streams and where
 * the run stands) is written to FILE at every epoch end and when the run is
 * interrupted (SIGINT, SIGTERM), and --resume continues from it: the same
 * command, resumed any number of times, gives the same bits as one run
 * without interruption. The file is a .lqc checkpoint (nn/ckpt.h) with a
 * training-state section, whose format is nn/ckpt.c's; `logiq quantize`
 * reads it too. */
#ifndef LOGIQ_CLI_TRAIN_CKPT_H
#define LOGIQ_CLI_TRAIN_CKPT_H

#include <signal.h>

#include "nn/ckpt.h"
#include "nn/sinareq_train.h"
#include "nn/train.h"

struct cli_train_ckpt {
    const char *path;
    struct nn_model *m;
    struct nn_sinareq *sq;       /* or NULL */
    float width;
    enum nn_norm norm;
    char opts[2048];             /* the run's options as metadata lines (the check) */
    int failed;                  /* a write failed: said once, the run stops */
    volatile sig_atomic_t *stop; /* set when a write fails (nn_train_opts.stop) */
    struct nn_train_state state; /* the state resumed from */
    int *order;
};

/* Records the training options that must not change between a run and its
 * resumption: o's, the data's and the thread count in use (the model's
 * options are in the checkpoint's own fields). */
void cli_train_ckpt_init(struct cli_train_ckpt *c, const char *path, struct nn_model *m,
                         struct nn_sinareq *sq, float width, const struct nn_train_opts *o,
                         const char *data_kind, int n_train);
/* --resume: if the file exists, checks its options against this run's,
 * loads the model and the state, and sets o->resume (and trims the CSV log
 * log to the epochs done, or sets o->log_csv's header to be written anew).
 * Without --resume an existing file is refused, so that nothing is
 * overwritten by mistake. Returns 0, or an exit code after printing why. */
int cli_train_ckpt_resume(struct cli_train_ckpt *c, int resume, struct nn_train_opts *o,
                          int quiet);
/* The nn_train_opts save callback: writes the state atomically. A failure
 * (a full disk, a read-only folder) leaves the last state saved intact, is
 * said once, and stops the training (*c->stop): the run would go on with
 * nothing to resume from. */
void cli_train_ckpt_save(void *ctx, const struct nn_train_state *s);
void cli_train_ckpt_free(struct cli_train_ckpt *c);

#endif

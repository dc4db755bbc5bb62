/* cli/train_sinareq.h: the SINAREQ options of `logiq train` (--sinareq and
 * --sinareq-*), kept apart from cli/cmd_train.c: their help text, their
 * getopt table entries and parser, and the report of the learned widths.
 * The training itself is nn/sinareq_train.h. */
#ifndef LOGIQ_CLI_TRAIN_SINAREQ_H
#define LOGIQ_CLI_TRAIN_SINAREQ_H

#include "nn/qnn.h"
#include "nn/sinareq_train.h"

/* Option codes: a block of their own, far from the commands' own codes. */
enum {
    CLI_OPT_SINAREQ = 700, CLI_OPT_SINAREQ_LQ, CLI_OPT_SINAREQ_LB, CLI_OPT_SINAREQ_LQ_SCHED,
    CLI_OPT_SINAREQ_LB_SCHED, CLI_OPT_SINAREQ_BETA_LR, CLI_OPT_SINAREQ_BETA_MIN,
    CLI_OPT_SINAREQ_FIRST, CLI_OPT_SINAREQ_LAST,
};
#define CLI_SINAREQ_OPTIONS                                                  \
    {"sinareq", no_argument, 0, CLI_OPT_SINAREQ},                            \
    {"sinareq-lq", required_argument, 0, CLI_OPT_SINAREQ_LQ},                \
    {"sinareq-lb", required_argument, 0, CLI_OPT_SINAREQ_LB},                \
    {"sinareq-lq-sched", required_argument, 0, CLI_OPT_SINAREQ_LQ_SCHED},    \
    {"sinareq-lb-sched", required_argument, 0, CLI_OPT_SINAREQ_LB_SCHED},    \
    {"sinareq-beta-lr", required_argument, 0, CLI_OPT_SINAREQ_BETA_LR},      \
    {"sinareq-beta-min", required_argument, 0, CLI_OPT_SINAREQ_BETA_MIN},    \
    {"sinareq-first", required_argument, 0, CLI_OPT_SINAREQ_FIRST},          \
    {"sinareq-last", required_argument, 0, CLI_OPT_SINAREQ_LAST}

struct cli_sinareq {
    int on;                      /* --sinareq given */
    const char *first_option;    /* a --sinareq-* option given, for the usage check */
    struct nn_sinareq_opts o;
};

extern const char cli_sinareq_help[];

void cli_sinareq_default(struct cli_sinareq *s);
/* Applies a getopt_long result: 1 if handled, 0 if not a SINAREQ option,
 * -1 after printing "logiq train: ..." for a bad value. */
int cli_sinareq_option(int opt, const char *arg, struct cli_sinareq *s);
/* With --sinareq and the first layer exempt: unless --wq-first was given
 * (cfg->wq_first set), sets it to the --wq kind at its widest width
 * (nn_sinareq_first_spec). Returns 0, or -1 after printing "logiq train:
 * ..." (a bad --wq). Call before the model is built. */
int cli_sinareq_first_layer(const struct cli_sinareq *s, struct nn_model_config *cfg);
/* Prints the learned widths (stdout): one line per SINAREQ layer and their
 * mean. */
void cli_sinareq_report(const struct nn_sinareq *s, const struct nn_model *m);
/* Records them in q's metadata: sinareq (the options, with first= and
 * last=), wq_layers (every
 * layer's weight quantizer), sinareq_bits and sinareq_beta (per SINAREQ
 * layer). */
void cli_sinareq_meta(const struct nn_sinareq *s, const struct nn_model *m, struct nn_qnn *q);

#endif

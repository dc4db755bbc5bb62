/* cli/cli.h: what the commands of `logiq` share: data selection, thread
 * count, the progress line, and the exit-code convention (0 success, 1 the
 * work failed, 2 bad usage or bad input). Only cli/ prints. */
#ifndef LOGIQ_CLI_H
#define LOGIQ_CLI_H

#include <stdio.h>

#include "nn/data.h"
#include "nn/status.h"

enum { EXIT_WORK = 1, EXIT_USAGE = 2 };

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_cost(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* `logiq bench cost` (cli/bench_cost.c). */
int bench_cost(int argc, char **argv);
/* `logiq bench sim` (cli/bench_sim.c). */
int bench_sim(int argc, char **argv);

/* Which data set, from --data and --data-dir. */
struct cli_data {
    const char *kind;     /* fashion | idx | cifar10 | stl10 | synthetic */
    const char *dir;      /* folder; NULL = the kind's default */
    int limit_train;      /* use only the first N images (0 = all) */
    int limit_test;
    int synthetic_n;
};

void cli_data_default(struct cli_data *d);
/* Loads the training split (want_train) and the test split; either pointer
 * may be NULL to skip that split. */
enum nn_status cli_data_load(const struct cli_data *d, struct nn_dataset *train,
                             struct nn_dataset *test, struct nn_error *err);
/* The --data/--data-dir help text. */
extern const char cli_data_help[];

/* Sets OpenMP's and OpenBLAS's thread counts (0 = leave the defaults). */
void cli_set_threads(int n);

/* A one-line progress display on stderr: redrawn in place at most 5 times a
 * second on a terminal, one line every 10 s otherwise. */
struct cli_progress {
    int tty;
    int quiet;
    double last;
    int drawn;
};
void cli_progress_init(struct cli_progress *p, int quiet);
/* Prints the line (text) if it is time to; force = 1 always prints and ends
 * the line. */
void cli_progress_show(struct cli_progress *p, int force, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Formats seconds as "1h02m", "3m04s" or "12s". */
void cli_format_duration(char *buf, size_t size, double s);
double cli_now(void);

/* The path of the running logiq executable (to run itself as a child).
 * Returns 0, or -1 after printing why. */
int cli_self_exe(char *buf, size_t size);

/* Parses an int/float option value; on error prints "logiq CMD: --opt: ..." and
 * returns -1. */
int cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, int *out);
int cli_parse_float(const char *cmd, const char *opt, const char *s, double lo, double hi,
                    float *out);

#endif

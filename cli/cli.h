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
int cmd_quantize(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_cost(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_rtl(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* `logiq import` and `logiq export` (cli/cmd_qonnx.c). */
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
/* `logiq bench cost` (cli/bench_cost.c). */
int bench_cost(int argc, char **argv);
/* `logiq bench sim` (cli/bench_sim.c). */
int bench_sim(int argc, char **argv);
/* `logiq bench explore` (cli/bench_explore.c). */
int bench_explore(int argc, char **argv);

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
/* An output file written whole or not at all: the caller prints into
 * out->f (a memory stream), then cli_out_commit writes it to path
 * atomically (nn_file_write_atomic). On a full disk or a read-only folder
 * it prints one line, "logiq CMD: PATH: cannot write (REASON)", leaves
 * path as it was, and returns EXIT_WORK; else 0. */
struct cli_out {
    FILE *f;
    char *buf;
    size_t size;
};
int cli_out_open(struct cli_out *out);
int cli_out_commit(struct cli_out *out, const char *cmd, const char *path);
/* 0 when a file can be created in path's folder, else prints
 * "logiq CMD: OPT PATH: cannot write in FOLDER (REASON)" and returns
 * EXIT_WORK: checked before long work. */
int cli_check_writable(const char *cmd, const char *opt, const char *path);

/* Parses an int/float option value; on error prints "logiq CMD: --opt: ..." and
 * returns -1. */
int cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, int *out);
int cli_parse_float(const char *cmd, const char *opt, const char *s, double lo, double hi,
                    float *out);


/* A report's format, from --format table|csv|json (cost and sim). */
enum cli_format { CLI_FMT_TABLE, CLI_FMT_CSV, CLI_FMT_JSON };
/* Parses a --format value; on error prints "logiq CMD: --format: ..." and
 * returns -1. */
int cli_parse_format(const char *cmd, const char *s, enum cli_format *out);

/* The network options `logiq train` and `logiq cost` share: --arch --width
 * --wq --wq-first --wq-last --aq --mux --res-bits --res-frac --max-memory. A command puts
 * CLI_NET_OPTIONS (needs <getopt.h>) in its struct option table, numbers its
 * own option codes from CLI_OPT_NET_END, and hands each getopt_long result to
 * cli_net_option first. */
enum {
    CLI_OPT_ARCH = 256, CLI_OPT_WIDTH, CLI_OPT_WQ, CLI_OPT_WQ_FIRST, CLI_OPT_WQ_LAST,
    CLI_OPT_AQ, CLI_OPT_MUX, CLI_OPT_RES_BITS, CLI_OPT_RES_FRAC, CLI_OPT_MAX_MEM,
    CLI_OPT_NET_END,
};
#define CLI_NET_OPTIONS                                         \
    {"arch", required_argument, 0, CLI_OPT_ARCH},               \
    {"width", required_argument, 0, CLI_OPT_WIDTH},             \
    {"wq", required_argument, 0, CLI_OPT_WQ},                   \
    {"wq-first", required_argument, 0, CLI_OPT_WQ_FIRST},       \
    {"wq-last", required_argument, 0, CLI_OPT_WQ_LAST},         \
    {"aq", required_argument, 0, CLI_OPT_AQ},                   \
    {"mux", required_argument, 0, CLI_OPT_MUX},                 \
    {"res-bits", required_argument, 0, CLI_OPT_RES_BITS},       \
    {"res-frac", required_argument, 0, CLI_OPT_RES_FRAC},       \
    {"max-memory", required_argument, 0, CLI_OPT_MAX_MEM}

struct nn_model_config;
/* Applies option opt (a getopt_long result) with value arg to cfg, *arch
 * (--arch) or *width (--width). Returns 1 if handled, 0 if opt is not a
 * network option, -1 after printing "logiq CMD: ..." for a bad value. */
int cli_net_option(int opt, const char *arg, const char *cmd, struct nn_model_config *cfg,
                   const char **arch, float *width);

/* Whether two paths name one file: the same inode where both exist (through
 * symlinks and hard links), else the same real folder and name. */
int cli_same_file(const char *a, const char *b);
/* Among n named outputs (name[i]: "-o", "--log", ...; a NULL path is not
 * written), the first two that are one file: prints "logiq CMD: NAME1 PATH
 * and NAME2 PATH are the same file ..." and returns 1; else 0. */
int cli_outputs_collide(const char *cmd, const char *const *name, const char *const *path, int n);

/* The last step of train and quantize: records the float model's test
 * accuracy and the integer model's (run on test here) in q's metadata,
 * writes q to out (atomically) and prints "wrote OUT" and the integer
 * model's accuracy, the line `logiq eval` prints. */
struct nn_qnn;
enum nn_status cli_qnn_finish(struct nn_qnn *q, const struct nn_dataset *test, int threads,
                              double max_gib, double float_acc, const char *out,
                              struct nn_error *err);

#endif

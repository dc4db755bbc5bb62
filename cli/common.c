/* cli/common.c: data selection, threads, progress display and option
 * parsing shared by the commands. */
#define _DEFAULT_SOURCE /* realpath */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <omp.h>

#include "nn/binfile.h"
#include "nn/infer.h"
#include "nn/model.h"
#include "nn/qnn.h"

const char cli_data_help[] =
    "Data:\n"
    "  --data KIND          fashion (default: Fashion-MNIST from " NN_FASHION_MNIST_DIR "),\n"
    "                       idx (any MNIST-format folder), cifar10 (data_batch_1..5.bin,\n"
    "                       test_batch.bin), stl10 (train_X.bin, train_y.bin, test_X.bin,\n"
    "                       test_y.bin), synthetic (a small generated set for quick runs)\n"
    "  --data-dir DIR       the folder holding the files of --data\n"
    "  --train-limit N      train on the first N training images only\n"
    "  --test-limit N       evaluate on the first N test images only\n";

void cli_set_threads(int n)
{
    /* OpenBLAS stays single-threaded: the conv kernels run one small GEMM per
     * OpenMP thread on cache-sized bands, which measured 1.4-1.7x faster here
     * than OpenBLAS threading one large GEMM (nn/conv.c). */
    openblas_set_num_threads(1);
    if (n > 0)
        omp_set_num_threads(n);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_format_duration(char *buf, size_t size, double s)
{
    if (!(s >= 0.0) || s > 1e7)
        snprintf(buf, size, "--");
    else if (s >= 3600.0)
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
    else if (s >= 60.0)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, size, "%ds", (int)s);
}

void cli_progress_init(struct cli_progress *p, int quiet)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
}

void cli_progress_show(struct cli_progress *p, int force, const char *fmt, ...)
{
    if (p->quiet)
        return;
    double t = cli_now();
    if (!force && t - p->last < (p->tty ? 0.2 : 10.0))
        return;
    p->last = t;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (p->tty)
        fprintf(stderr, "\r\033[K%s%s", line, force ? "\n" : "");
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

int cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "logiq %s: %s '%s': expected an integer in %ld..%ld\n", cmd, opt, s,
                lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_parse_float(const char *cmd, const char *opt, const char *s, double lo, double hi,
                    float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "logiq %s: %s '%s': expected a number in [%g, %g]\n", cmd, opt, s, lo,
                hi);
        return -1;
    }
    *out = (float)v;
    return 0;
}

int cli_parse_format(const char *cmd, const char *s, enum cli_format *out)
{
    if (strcmp(s, "table") == 0) {
        *out = CLI_FMT_TABLE;
    } else if (strcmp(s, "csv") == 0) {
        *out = CLI_FMT_CSV;
    } else if (strcmp(s, "json") == 0) {
        *out = CLI_FMT_JSON;
    } else {
        fprintf(stderr, "logiq %s: --format: expected table, csv or json\n", cmd);
        return -1;
    }
    return 0;
}

int cli_net_option(int opt, const char *arg, const char *cmd, struct nn_model_config *cfg,
                   const char **arch, float *width)
{
    switch (opt) {
    case CLI_OPT_ARCH: *arch = arg; return 1;
    case CLI_OPT_WIDTH: return cli_parse_float(cmd, "--width", arg, 0.01, 64, width) ? -1 : 1;
    case CLI_OPT_WQ: snprintf(cfg->wq, sizeof cfg->wq, "%s", arg); return 1;
    case CLI_OPT_WQ_FIRST: snprintf(cfg->wq_first, sizeof cfg->wq_first, "%s", arg); return 1;
    case CLI_OPT_WQ_LAST: snprintf(cfg->wq_last, sizeof cfg->wq_last, "%s", arg); return 1;
    case CLI_OPT_AQ: {
        /* checked here, so that its error names the option */
        struct nn_aq q;
        struct nn_error err;
        if (nn_aq_parse(&q, arg, &err) != NN_OK) {
            fprintf(stderr, "logiq %s: --aq: %s\n", cmd, err.msg);
            return -1;
        }
        snprintf(cfg->aq, sizeof cfg->aq, "%s", arg);
        return 1;
    }
    case CLI_OPT_MUX:
        if (strcmp(arg, "or") == 0) {
            cfg->mux = NN_MUX_OR;
        } else if (strcmp(arg, "sel") == 0) {
            cfg->mux = NN_MUX_SEL;
        } else {
            fprintf(stderr, "logiq %s: --mux: expected or or sel\n", cmd);
            return -1;
        }
        return 1;
    case CLI_OPT_RES_BITS:
        return cli_parse_int(cmd, "--res-bits", arg, 2, 24, &cfg->res_bits) ? -1 : 1;
    case CLI_OPT_MAX_MEM: {
        float gib;
        if (cli_parse_float(cmd, "--max-memory", arg, 0.001, 1e6, &gib))
            return -1;
        cfg->max_mem_gib = gib;
        return 1;
    }
    case CLI_OPT_RES_FRAC:
        return cli_parse_int(cmd, "--res-frac", arg, 0, 23, &cfg->res_frac) ? -1 : 1;
    default: return 0;
    }
}

int cli_self_exe(char *buf, size_t size)
{
    ssize_t len = readlink("/proc/self/exe", buf, size - 1);
    if (len <= 0) {
        fprintf(stderr, "logiq: cannot find its own executable\n");
        return -1;
    }
    buf[len] = 0;
    return 0;
}

int cli_out_open(struct cli_out *out)
{
    out->buf = NULL;
    out->size = 0;
    out->f = open_memstream(&out->buf, &out->size);
    return out->f ? 0 : -1;
}

int cli_out_commit(struct cli_out *out, const char *cmd, const char *path)
{
    int bad = ferror(out->f);
    bad |= fclose(out->f) != 0;
    out->f = NULL;
    int rc = 0;
    struct nn_error err;
    if (bad) {
        fprintf(stderr, "logiq %s: %s: out of memory\n", cmd, path);
        rc = EXIT_WORK;
    } else if (nn_file_write_atomic(path, (const uint8_t *)out->buf, out->size, &err) != NN_OK) {
        fprintf(stderr, "logiq %s: %s\n", cmd, err.msg);
        rc = EXIT_WORK;
    }
    free(out->buf);
    out->buf = NULL;
    return rc;
}

int cli_check_writable(const char *cmd, const char *opt, const char *path)
{
    char dir[4096];
    nn_path_dir(path, dir, sizeof dir);
    if (access(dir, W_OK | X_OK) == 0)
        return 0;
    fprintf(stderr, "logiq %s: %s %s: cannot write in %s (%s)\n", cmd, opt, path, dir,
            strerror(errno));
    return EXIT_WORK;
}

/* path's real folder (symlinks resolved) and its name, or path itself if
 * the folder does not exist. */
static void canonical_path(const char *path, char *buf, size_t size)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *name = nn_path_dir(path, dir, sizeof dir);
    if (realpath(dir, real))
        snprintf(buf, size, "%s/%s", real, name);
    else
        snprintf(buf, size, "%s", path);
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ca[PATH_MAX + 256], cb[PATH_MAX + 256];
    canonical_path(a, ca, sizeof ca);
    canonical_path(b, cb, sizeof cb);
    return strcmp(ca, cb) == 0;
}

int cli_outputs_collide(const char *cmd, const char *const *name, const char *const *path, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (path[i] && path[j] && cli_same_file(path[i], path[j])) {
                fprintf(stderr, "logiq %s: %s %s and %s %s are the same file (one would "
                        "overwrite the other); expected different files\n", cmd, name[i],
                        path[i], name[j], path[j]);
                return 1;
            }
    return 0;
}

enum nn_status cli_qnn_finish(struct nn_qnn *q, const struct nn_dataset *test, int threads,
                              double max_gib, double float_acc, const char *out,
                              struct nn_error *err)
{
    char v[64];
    snprintf(v, sizeof v, "%.17g", float_acc);
    nn_qnn_meta_set(q, NN_META_FLOAT_TEST_ACC, v);
    int correct = 0;
    enum nn_status st = nn_infer_dataset(q, test, threads, max_gib, &correct, NULL, err);
    if (st == NN_OK) {
        snprintf(v, sizeof v, "%.17g", test->n ? (double)correct / test->n : 0.0);
        nn_qnn_meta_set(q, NN_META_INT_TEST_ACC, v);
        st = nn_qnn_write(q, out, err);
    }
    if (st == NN_OK) {
        printf("wrote %s\n", out);
        printf("integer model test accuracy: %.2f%% (%d/%d)\n",
               test->n ? 100.0 * correct / test->n : 0.0, correct, test->n);
    }
    return st;
}

/* cli/cmd_bench.c: `logiq bench`: speed figures, apart from the tests.
 *
 * `logiq bench train` times training steps (batch 128, 28x28x1 inputs) of the
 * presets and of the reference CNN, each configuration in its own child
 * process so its peak memory (getrusage's max RSS) is its own, and, when
 * Debian's python3-torch is installed, runs scripts/bench_torch.py on the same
 * machine in the same run and prints the ratios. Timing starts after 3 warm-up
 * steps (the first touch of fresh memory is paid there). It names the
 * instruction-set path of nn/'s kernels (nn/isa.h: LOGIQ_ISA, else the CPU's
 * best) and the OpenBLAS kernels the figures were measured with. */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "nn/isa.h"
#include "nn/model.h"
#include "nn/train.h"
#include "sweeps/exec.h"

#ifndef LOGIQ_SOURCE_DIR
#define LOGIQ_SOURCE_DIR "."
#endif

static const char help[] =
    "usage: logiq bench train [options]\n"
    "       logiq bench cost [options]   (see logiq bench cost --help)\n"
    "       logiq bench sim [options]    (see logiq bench sim --help)\n"
    "       logiq bench explore [options] (see logiq bench explore --help)\n"
    "\n"
    "Measures training throughput (images/s) and peak memory of the presets and\n"
    "of the reference CNN (refcnn, full precision and binary), each in its own\n"
    "process, and compares with PyTorch on the same machine when /usr/bin/python3\n"
    "has torch (Debian's python3-torch): PyTorch's convolutions use oneDNN, its\n"
    "Linear layers Debian's reference BLAS, so the comparison is made on the\n"
    "convolutional reference network.\n"
    "\n"
    "  --batches N     timed steps per configuration (default 30)\n"
    "  --threads N     threads for logiq and PyTorch (default 2)\n"
    "  --no-torch      skip the PyTorch comparison\n"
    "  --repeat N      alternating logiq/PyTorch runs of each refcnn variant, whose\n"
    "                  medians are compared (default 3, at most 16)\n"
    "  --only NAME     run one configuration (see the table's names)\n"
    "  -h, --help      this help\n"
    "\n"
    "Environment: LOGIQ_WINOGRAD=4|2|off picks the 3x3 convolutions' algorithm\n"
    "(Winograd F(4x4, 3x3), the default, F(2x2, 3x3), or im2col + SGEMM);\n"
    "LOGIQ_ISA=portable|avx2|avx512 forces the instruction-set path of\n"
    "the kernels (default: the widest this CPU runs); OPENBLAS_CORETYPE the OpenBLAS\n"
    "kernels (default: SkylakeX on an AVX-512 CPU when LOGIQ_ISA names no narrower\n"
    "path, else OpenBLAS's choice). Both are named in the output. LOGIQ_ISA=avx2\n"
    "OPENBLAS_CORETYPE=Haswell measures an AVX2-only machine on an AVX-512 one;\n"
    "PyTorch's oneDNN is then held to AVX2 too (ONEDNN_MAX_CPU_ISA=AVX2).\n";

struct bench_cfg {
    const char *name, *arch, *wq, *wq_first, *wq_last, *aq;
};

static const struct bench_cfg configs[] = {
    {"refcnn-fp", "refcnn", "fp", "", "", "relu"},
    {"refcnn-binary", "refcnn", "bin", "fp", "fp", "sign"},
    {"mlp", "mlp", "heq:3", "", "", "1"},
    {"vgg11", "vgg11", "heq:3", "", "", "1"},
    {"res11-add", "res11-add", "heq:3", "", "", "1"},
    {"res11-or", "res11-or", "heq:3", "", "", "1"},
    {"res11-mux", "res11-mux", "heq:3", "", "", "1"},
};

/* Runs one configuration in this process and prints "img_s peak_kb". */
static int bench_one(const struct bench_cfg *c, int batches)
{
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    snprintf(cfg.wq, sizeof cfg.wq, "%s", c->wq);
    snprintf(cfg.wq_first, sizeof cfg.wq_first, "%s", c->wq_first);
    snprintf(cfg.wq_last, sizeof cfg.wq_last, "%s", c->wq_last);
    snprintf(cfg.aq, sizeof cfg.aq, "%s", c->aq);
    struct nn_error err;
    struct nn_arch arch;
    struct nn_model m;
    struct nn_dataset ds;
    const int warm = 3;
    if (nn_arch_parse(&arch, c->arch, 1.0f, &err) != NN_OK ||
        nn_model_init(&m, &arch, c->arch, &cfg, &err) != NN_OK ||
        nn_data_synthetic(&ds, 128 * (batches + warm), 28, 28, 1, 10, 5, &err) != NN_OK) {
        fprintf(stderr, "logiq bench: %s: %s\n", c->name, err.msg);
        return EXIT_WORK;
    }
    struct nn_train_opts o;
    nn_train_opts_default(&o);
    o.epochs = 1;
    o.eval_every_epoch = 0;
    struct nn_train_result r;
    /* warm-up: touches every buffer once */
    struct nn_dataset warm_ds = nn_data_slice(&ds, 0, 128 * warm);
    struct nn_dataset timed = nn_data_slice(&ds, 128 * warm, 128 * batches);
    if (nn_train(&m, &warm_ds, NULL, &o, &r, &err) != NN_OK ||
        nn_train(&m, &timed, NULL, &o, &r, &err) != NN_OK) {
        fprintf(stderr, "logiq bench: %s: %s\n", c->name, err.msg);
        return EXIT_WORK;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.1f %ld\n", r.images_per_s, ru.ru_maxrss);
    nn_model_free(&m);
    nn_data_free(&ds);
    return 0;
}

static int run_child(const char *self, const char *name, int batches, int threads,
                     double *img_s, long *peak_kb)
{
    char b_s[16], t_s[16], out[256];
    snprintf(b_s, sizeof b_s, "%d", batches);
    snprintf(t_s, sizeof t_s, "%d", threads);
    char *argv[] = {(char *)self, "bench", "train", "--one", (char *)name, "--batches", b_s,
                    "--threads", t_s, NULL};
    int rc = sw_run_capture(argv, NULL, 0, out, sizeof out);
    return rc == 0 && sscanf(out, "%lf %ld", img_s, peak_kb) == 2 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n-1] (sorts a copy). */
static double median(const double *v, int n)
{
    double s[16];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* One PyTorch run (the caller has checked that torch imports). */
static int run_torch(const char *variant, int batches, int threads, double *img_s)
{
    char script[4200], b_s[16], t_s[16], out[256];
    snprintf(script, sizeof script, "%s/scripts/bench_torch.py", LOGIQ_SOURCE_DIR);
    snprintf(b_s, sizeof b_s, "%d", batches);
    snprintf(t_s, sizeof t_s, "%d", threads);
    char *argv[] = {"/usr/bin/python3", script, "--variant", (char *)variant, "--batches", b_s,
                    "--threads", t_s, NULL};
    int rc = sw_run_capture(argv, NULL, 0, out, sizeof out);
    return rc == 0 && sscanf(out, "images_per_s %lf", img_s) == 1 ? 0 : -1;
}

enum { O_BATCHES = 256, O_THREADS, O_NO_TORCH, O_ONLY, O_ONE, O_REPEAT };

static const struct option long_opts[] = {
    {"batches", required_argument, 0, O_BATCHES},
    {"threads", required_argument, 0, O_THREADS},
    {"no-torch", no_argument, 0, O_NO_TORCH},
    {"only", required_argument, 0, O_ONLY},
    {"repeat", required_argument, 0, O_REPEAT},
    {"one", required_argument, 0, O_ONE},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static const struct bench_cfg *find_cfg(const char *name)
{
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (strcmp(configs[i].name, name) == 0)
            return &configs[i];
    return NULL;
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "cost") == 0)
        return bench_cost(argc - 1, argv + 1);
    if (strcmp(argv[1], "sim") == 0)
        return bench_sim(argc - 1, argv + 1);
    if (strcmp(argv[1], "explore") == 0)
        return bench_explore(argc - 1, argv + 1);
    if (strcmp(argv[1], "train") != 0) {
        fprintf(stderr, "logiq bench: unknown benchmark '%s' (expected train, cost, sim or explore)\n",
                argv[1]);
        return EXIT_USAGE;
    }
    int batches = 30, threads = 2, torch = 1, repeat = 3, c;
    const char *only = NULL, *one = NULL;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", long_opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_BATCHES: bad = cli_parse_int("bench", "--batches", optarg, 1, 100000, &batches); break;
        case O_THREADS: bad = cli_parse_int("bench", "--threads", optarg, 1, 256, &threads); break;
        case O_NO_TORCH: torch = 0; break;
        case O_ONLY: only = optarg; break;
        case O_REPEAT: bad = cli_parse_int("bench", "--repeat", optarg, 1, 16, &repeat); break;
        case O_ONE: one = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return EXIT_USAGE;
        }
        if (bad)
            return EXIT_USAGE;
    }
    cli_set_threads(threads);
    if (one) {
        const struct bench_cfg *cfg = find_cfg(one);
        if (!cfg) {
            fprintf(stderr, "logiq bench: unknown configuration '%s'\n", one);
            return EXIT_USAGE;
        }
        return bench_one(cfg, batches);
    }
    if (only && !find_cfg(only)) {
        fprintf(stderr, "logiq bench: --only '%s': unknown configuration\n", only);
        return EXIT_USAGE;
    }
    char self[4096];
    if (cli_self_exe(self, sizeof self) != 0)
        return EXIT_WORK;
    enum nn_isa isa;
    struct nn_error err;
    if (nn_isa_from_env(&isa, &err) != NN_OK) {
        fprintf(stderr, "logiq bench: %s\n", err.msg);
        return EXIT_USAGE;
    }
    int tile;
    if (nn_wino_tile_from_env(&tile, &err) != NN_OK) {
        fprintf(stderr, "logiq bench: %s\n", err.msg);
        return EXIT_USAGE;
    }
    const char *isa_env = getenv("LOGIQ_ISA");
    const char *blas_core = openblas_get_corename();
    printf("training throughput, batch 128, 28x28x1, %d threads, %d timed steps\n", threads,
           batches);
    printf("instruction-set path: %s (%s; this CPU runs up to %s)\n", nn_isa_label(isa),
           isa_env && isa_env[0] ? "LOGIQ_ISA from the environment" : "the CPU's best",
           nn_isa_label(nn_isa_best()));
    printf("OpenBLAS kernels: %s (%s)\n", blas_core,
           getenv("LOGIQ_BLAS_PICKED") ? "logiq's choice on AVX-512"
           : getenv("OPENBLAS_CORETYPE") ? "OPENBLAS_CORETYPE from the environment; unset it to "
                                           "let logiq pick SkylakeX on AVX-512"
                                         : "OpenBLAS's own choice");
    printf("OpenBLAS build: %s\n", openblas_get_config());
    if (tile)
        printf("3x3 convolutions: Winograd F(%dx%d, 3x3) (LOGIQ_WINOGRAD=%s; off for im2col)\n",
               tile, tile, tile == 4 ? "4, the default" : "2");
    else
        printf("3x3 convolutions: im2col + SGEMM (LOGIQ_WINOGRAD=off)\n");
    if (isa != NN_ISA_AVX512 && strcasecmp(blas_core, "SkylakeX") == 0)
        printf("note: OpenBLAS still runs its AVX-512 kernels; add OPENBLAS_CORETYPE=Haswell "
               "to measure an AVX2-only machine\n");
    printf("%-16s %12s %12s\n", "configuration", "images/s", "peak MiB");
    double fp = 0, bin = 0;
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        if (only && strcmp(only, configs[i].name) != 0)
            continue;
        double ips;
        long kb;
        if (run_child(self, configs[i].name, batches, threads, &ips, &kb) != 0) {
            printf("%-16s %12s\n", configs[i].name, "failed");
            continue;
        }
        printf("%-16s %12.1f %12.1f\n", configs[i].name, ips, kb / 1024.0);
        fflush(stdout);
        if (strcmp(configs[i].name, "refcnn-fp") == 0)
            fp = ips;
        if (strcmp(configs[i].name, "refcnn-binary") == 0)
            bin = ips;
    }
    if (!torch || (!fp && !bin))
        return 0;
    char probe[64];
    if (access("/usr/bin/python3", X_OK) != 0 ||
        sw_run_capture((char *[]){"/usr/bin/python3", "-c", "import torch", NULL}, NULL,
                       SW_CAP_QUIET_STDERR, probe, sizeof probe) != 0) {
        printf("PyTorch: not available (/usr/bin/python3 without torch); no comparison\n");
        return 0;
    }
    /* a forced AVX2 path measures an AVX2-only machine: PyTorch's oneDNN is
     * held to AVX2 as well, unless the user set it */
    if (isa == NN_ISA_AVX2 && !getenv("ONEDNN_MAX_CPU_ISA")) {
        setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1);
        setenv("DNNL_MAX_CPU_ISA", "AVX2", 1);
    }
    /* logiq and PyTorch alternate, repeat times, so that a load that comes
     * and goes on a shared machine falls on both; the medians are reported */
    printf("\nagainst PyTorch %s%s, %d alternating runs each (median, and the range of the "
           "per-pair ratios):\n", "(/usr/bin/python3)",
           getenv("ONEDNN_MAX_CPU_ISA") ? ", oneDNN held to ONEDNN_MAX_CPU_ISA" : "", repeat);
    for (int v = 0; v < 2; v++) {
        const char *variant = v ? "binary" : "fp";
        if (!(v ? bin : fp))
            continue;
        double ours[16], theirs[16], ratio[16];
        int n = 0;
        for (int r = 0; r < repeat; r++) {
            long kb;
            if (run_child(self, v ? "refcnn-binary" : "refcnn-fp", batches, threads, &ours[n],
                          &kb) != 0 ||
                run_torch(variant, batches, threads, &theirs[n]) != 0)
                continue;
            ratio[n] = ours[n] / theirs[n];
            n++;
        }
        if (n == 0) {
            printf("refcnn-%-8s the PyTorch runs failed\n", variant);
            continue;
        }
        double lo = ratio[0], hi = ratio[0];
        for (int i = 1; i < n; i++) {
            lo = ratio[i] < lo ? ratio[i] : lo;
            hi = ratio[i] > hi ? ratio[i] : hi;
        }
        printf("refcnn-%-8s logiq %8.1f images/s   PyTorch %8.1f images/s   "
               "logiq/PyTorch = %.2fx (%.2f-%.2f)   [%s, OpenBLAS %s]\n", variant,
               median(ours, n), median(theirs, n), median(ratio, n), lo, hi, nn_isa_label(isa),
               blas_core);
    }
    return 0;
}

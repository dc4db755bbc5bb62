/* cli/main.c: `logiq <command> ...`, the one executable. Dispatches to the
 * commands; each parses its own options with getopt_long and has --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/sim.h"

static const char usage[] =
    "usage: logiq <command> [options]\n"
    "\n"
    "logiq trains quantized networks, exports them as the integers the hardware\n"
    "holds, and prices and simulates the hardware that runs them.\n"
    "\n"
    "Commands:\n"
    "  train     train a quantized network and export it as a .qnn model\n"
    "  quantize  quantize a trained real-valued model (train --save-fp) without training\n"
    "  eval      accuracy of a .qnn's integer model (the hardware's accuracy)\n"
    "  cost      gates, area, energy and latency of an accelerator running a network\n"
    "  sim       cycle-accurate SystemC simulation, checked against the integer model\n"
    "  rtl       the accelerator as synthesizable Verilog (Verilator co-simulation)\n"
    "  sweep     run a design-space sweep into a resumable SQLite result store\n"
    "  explore   the Pareto front of a space of hardware designs for one network\n"
    "  import    a QONNX graph (.onnx) as a .qnn integer model, bit-exactly\n"
    "  export    a .qnn integer model as a QONNX graph (.onnx)\n"
    "  report    figures, index.html and report.md from a sweep's result store\n"
    "  bench     speed figures (training throughput, against PyTorch if present)\n"
    "  version   print the versions of logiq and its libraries\n"
    "\n"
    "Run `logiq <command> --help` for a command's options.\n"
    "Exit codes: 0 success, 1 the work failed, 2 bad usage or bad input.\n";

/* OpenBLAS picks its kernels when the library loads, from OPENBLAS_CORETYPE.
 * On this AVX-512 hardware it defaults to its AVX2 (Haswell) kernels; its
 * SkylakeX kernels measured 1.4x faster on our convolutions. So, unless the
 * user chose, set the variable and re-execute once before any work. A
 * LOGIQ_ISA below avx512 (nn/isa.h) keeps OpenBLAS's own choice too, so that
 * a forced narrower path is narrower throughout. */
static void pick_blas_kernels(char **argv)
{
    const char *isa = getenv("LOGIQ_ISA");
    if (getenv("OPENBLAS_CORETYPE") || !__builtin_cpu_supports("avx512f") ||
        (isa && isa[0] && strcmp(isa, "avx512") != 0))
        return;
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    setenv("LOGIQ_BLAS_PICKED", "1", 1);  /* for logiq bench's report */
    if (!getenv("OPENBLAS_NUM_THREADS"))
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    /* if exec fails, go on with the default kernels */
}

int main(int argc, char **argv)
{
    pick_blas_kernels(argv);
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (strcmp(cmd, "quantize") == 0)
        return cmd_quantize(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "cost") == 0)
        return cmd_cost(argc - 1, argv + 1);
    if (strcmp(cmd, "sim") == 0)
        return cmd_sim(argc - 1, argv + 1);
    if (strcmp(cmd, "rtl") == 0)
        return cmd_rtl(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "explore") == 0)
        return cmd_explore(argc - 1, argv + 1);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("logiq %s (SystemC %s)\n", LOGIQ_VERSION, sim_systemc_version());
        return 0;
    }
    fprintf(stderr, "logiq: unknown command '%s' (expected train, quantize, eval, cost, sim, rtl, sweep, explore, import, export, report, bench, version; see "
            "logiq --help)\n", cmd);
    return EXIT_USAGE;
}

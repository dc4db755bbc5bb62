/* cli/bench_cost.c: `logiq bench cost`: how long `logiq cost` takes to
 * answer for each preset on the large design, as a user sees it: the wall
 * time of the whole command (process start, building the network, the cost
 * models, printing), the median of several runs. */
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

#ifndef LOGIQ_SOURCE_DIR
#define LOGIQ_SOURCE_DIR "."
#endif

extern char **environ;

static const char help[] =
    "usage: logiq bench cost [--repeats N] [--hw hw.ini]\n"
    "\n"
    "Times `logiq cost --arch PRESET --hw hw.ini` for every preset (the whole\n"
    "command, output discarded) and prints the median wall time of N runs.\n"
    "\n"
    "  --repeats N     runs per preset (default 7)\n"
    "  --hw FILE       the design (default costmodels/hw/large.ini of the source tree)\n"
    "  -h, --help      this help\n";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs argv with stdout and stderr to /dev/null; returns its exit status or -1. */
static int run_quiet(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int bench_cost(int argc, char **argv)
{
    enum { O_REPEATS = 256, O_HW };
    static const struct option opts[] = {
        {"repeats", required_argument, 0, O_REPEATS},
        {"hw", required_argument, 0, O_HW},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int repeats = 7, c;
    const char *hw = LOGIQ_SOURCE_DIR "/costmodels/hw/large.ini";
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_REPEATS:
            if (cli_parse_int("bench", "--repeats", optarg, 1, 1000, &repeats))
                return EXIT_USAGE;
            break;
        case O_HW: hw = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return EXIT_USAGE;
        }
    }
    char self[4096];
    if (cli_self_exe(self, sizeof self) != 0)
        return EXIT_WORK;
    static const char *const presets[] = {"mlp", "refcnn", "vgg11", "res11-add", "res11-or",
                                          "res11-mux"};
    printf("logiq cost --arch PRESET --hw %s: wall time of the whole command, median of %d\n",
           hw, repeats);
    printf("%-12s %10s %10s %10s\n", "preset", "median_ms", "min_ms", "max_ms");
    int rc = 0;
    double *t = malloc((size_t)repeats * sizeof *t);
    if (!t)
        return EXIT_WORK;
    for (size_t p = 0; p < sizeof presets / sizeof presets[0]; p++) {
        char *args[] = {self, "cost", "--arch", (char *)presets[p], "--hw", (char *)hw, NULL};
        int ok = 1;
        for (int r = 0; r < repeats && ok; r++) {
            double t0 = cli_now();
            ok = run_quiet(args) == 0;
            t[r] = (cli_now() - t0) * 1e3;
        }
        if (!ok) {
            printf("%-12s %10s\n", presets[p], "failed");
            rc = EXIT_WORK;
            continue;
        }
        qsort(t, (size_t)repeats, sizeof *t, cmp_double);
        printf("%-12s %10.1f %10.1f %10.1f\n", presets[p], t[repeats / 2], t[0],
               t[repeats - 1]);
    }
    free(t);
    return rc;
}

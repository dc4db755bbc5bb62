/* cli/cmd_report.c: `logiq report STORE -o DIR`: a sweep's figures,
 * index.html and report.md from its result store (reports/report.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "reports/explore.h"
#include "reports/report.h"

static const char help[] =
    "usage: logiq report STORE.db [-o DIR] [options]\n"
    "\n"
    "Draws a sweep's report from its result store (and the files its rows point\n"
    "at: each point's training log, .qnn model and cost JSON) into DIR:\n"
    "\n"
    "  acc_gates, acc_energy, acc_latency   accuracy of the integer model vs gates,\n"
    "                        energy per inference, latency; one colour and marker\n"
    "                        per merge kind, the Pareto front marked\n"
    "  gates_units, energy_parts   stacked bars per design point: gates per unit\n"
    "                        kind, energy by where it goes\n"
    "  test_acc_epochs       every point's test accuracy per epoch\n"
    "  train-KEY, steps-KEY, levels-KEY   per point: training curves, step sizes\n"
    "                        and level shares per layer and epoch\n"
    "  weights-KEY           per point: its integer weight codes per layer\n"
    "\n"
    "each as NAME.png, NAME.svg, NAME.csv (the data) and NAME.gp (the gnuplot\n"
    "script: restyle it and run `gnuplot NAME.gp` in DIR); points.csv (every\n"
    "point); index.html (every figure, the best points, the failed points with\n"
    "their reasons, the sweep's parameters) and report.md (the same in Markdown).\n"
    "Failed points are listed as failed, never plotted. Needs gnuplot with the\n"
    "pngcairo and svg terminals (Debian: gnuplot-nox).\n"
    "\n"
    "An exploration store (logiq explore -o, docs/explore.md) gets one figure,\n"
    "explore.png/.svg with explore.csv and explore.gp: a run's stored designs,\n"
    "gates against latency and area against energy, its Pareto front marked.\n"
    "\n"
    "  -o, --output DIR     the report's folder (created; default: STORE's name\n"
    "                       without .db, plus -report)\n"
    "  --best N             rows of the best-points table (default 10)\n"
    "  --claims FILE        add the reproduction section: each seed paper's claim in\n"
    "                       FILE (reports/claims.ini) beside this store's measurements,\n"
    "                       mean and spread over the seeds, with a verdict and a\n"
    "                       figure per claim (docs/reproduction.md)\n"
    "  --gnuplot PROG       the gnuplot to run (default: gnuplot on PATH)\n"
    "  --run N              an exploration store's run (default: the last)\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit codes: 0 written, 1 it could not be written (gnuplot missing or\n"
    "failing, an unwritable folder), 2 bad usage or a missing or malformed store\n"
    "or claims file.\n";

enum { O_BEST = 256, O_GNUPLOT, O_CLAIMS, O_RUN };

static const struct option long_opts[] = {
    {"output", required_argument, 0, 'o'},
    {"best", required_argument, 0, O_BEST},
    {"gnuplot", required_argument, 0, O_GNUPLOT},
    {"claims", required_argument, 0, O_CLAIMS},
    {"run", required_argument, 0, O_RUN},
    {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

int cmd_report(int argc, char **argv)
{
    struct rp_options o = {.gnuplot = "gnuplot", .n_best = 10};
    int quiet = 0, c, run = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:q", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case O_BEST:
            if (cli_parse_int("report", "--best", optarg, 1, 100000, &o.n_best) != 0)
                return EXIT_USAGE;
            break;
        case O_GNUPLOT: o.gnuplot = optarg; break;
        case O_CLAIMS: o.claims_path = optarg; break;
        case O_RUN:
            if (cli_parse_int("report", "--run", optarg, 1, 2147483647, &run) != 0)
                return EXIT_USAGE;
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "logiq report: expected one result store (usage: logiq report "
                        "STORE.db -o DIR; see --help)\n");
        return EXIT_USAGE;
    }
    o.store_path = argv[optind];
    char dir[4096];
    if (!o.out_dir) {
        size_t n = strlen(o.store_path);
        if (n > 3 && strcmp(o.store_path + n - 3, ".db") == 0)
            n -= 3;
        snprintf(dir, sizeof dir, "%.*s-report", (int)n, o.store_path);
        o.out_dir = dir;
    }
    if (!o.out_dir[0]) {
        fprintf(stderr, "logiq report: -o: empty folder name\n");
        return EXIT_USAGE;
    }
    struct rp_error err;
    if (rp_explore_is_store(o.store_path)) {
        struct rp_explore_summary xs;
        enum rp_status s = rp_explore_write(o.store_path, run, o.out_dir, o.gnuplot, &xs, &err);
        if (s != RP_OK) {
            fprintf(stderr, "logiq report: %s\n", err.msg);
            return rp_status_exit_code(s);
        }
        if (!quiet && xs.designs)
            printf("report of %s: exploration run %lld (%s), %lld feasible designs stored, %lld "
                   "on the front; open %s/explore.png\n", o.store_path, xs.run, xs.method,
                   xs.designs, xs.front, o.out_dir);
        else if (!quiet)
            printf("report of %s: exploration run %lld (%s): no feasible design stored, no "
                   "figure\n", o.store_path, xs.run, xs.method);
        return 0;
    }
    struct rp_report r;
    enum rp_status s = rp_report_write(&r, &o, &err);
    if (s != RP_OK) {
        fprintf(stderr, "logiq report: %s\n", err.msg);
        rp_report_free(&r);
        return rp_status_exit_code(s);
    }
    if (!quiet) {
        for (int i = 0; i < r.n_notes; i++)
            fprintf(stderr, "logiq report: note: %s\n", r.notes[i]);
        printf("report of %s: %d points (%d done, %d failed), %d figures; open %s/index.html\n",
               o.store_path, r.data.n, r.data.n_done, r.data.n_failed, r.n_figs, o.out_dir);
    }
    rp_report_free(&r);
    return 0;
}

/* cli/bench_explore.c: `logiq bench explore`: how fast `logiq explore`
 * prices designs, in-process on one core (the grid loop alone: no process
 * start, no network building, no store), with and without the unit memo;
 * and how close the NSGA-II search comes to the exhaustive front in a
 * budget of evaluations, over several seeds. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sweeps/costnet.h"
#include "nn/model.h"
#include "sweeps/explore.h"
#include "sweeps/spec.h"

static const char help[] =
    "usage: logiq bench explore [--arch ARCH] [--width W] [--space FILE] [--hw FILE] [...]\n"
    "\n"
    "Prices every design of a space (default: the built-in space below, 15,360\n"
    "designs) for an untrained --arch network in-process, as `logiq explore`\n"
    "does, and prints designs/s: with the unit memo (cold: the first pass, warm:\n"
    "the next), and without it. Then runs the NSGA-II search on the same space\n"
    "for --seeds seeds of --evals evaluations each and prints the share of the\n"
    "exhaustive front's hypervolume each reached, and when it had 95 %.\n"
    "\n"
    "  --arch ARCH      the network (default res11-or)\n"
    "  --width W        its width multiplier (default 1)\n"
    "  --space FILE     the space (default: the built-in one)\n"
    "  --hw FILE        the base design (default: the built-in design)\n"
    "  --passes N       warm passes over the grid (default 3; the best is printed)\n"
    "  --evals N        the search's evaluations (default 1000)\n"
    "  --pop N          its population (default 40)\n"
    "  --seeds N        seeds 1..N (default 3; 0: no search)\n"
    "  -h, --help       this help\n"
    "\n"
    "The built-in space:\n";

static const char builtin_space[] =
    "[array]\n"
    "lanes = 16, 32, 48, 64, 96, 128, 192, 256\n"
    "pe_rows = 4, 8, 12, 16, 24, 32, 48, 64\n"
    "adder = ripple, cla, brent-kung, kogge-stone\n"
    "acc_bits = 14, 16, 18, 20, 24\n"
    "pe = bitplane, shift\n"
    "max_act_bits = 1, 2\n"
    "[design]\n"
    "clock_mhz = auto, 200, 400\n";

struct gen_ctx {
    double ideal[SW_N_OBJ], nadir[SW_N_OBJ], hv_ref;
    const unsigned char *on_full;   /* the exhaustive front, by grid number */
    long long n_full;
    long long evals_to_95;
};

static const struct sw_design **front_of(const struct sw_explorer *ex, long long *n)
{
    unsigned char *on = malloc((size_t)ex->n_designs + 1);
    const struct sw_design **f = malloc(((size_t)ex->n_designs + 1) * sizeof *f);
    *n = 0;
    if (!on || !f || sw_explorer_front(ex, on) < 0) {
        free(on);
        free((void *)f);
        return NULL;
    }
    for (long long i = 0; i < ex->n_designs; i++)
        if (on[i])
            f[(*n)++] = &ex->designs[i];
    free(on);
    return f;
}

static void on_gen(void *vctx, const struct sw_explorer *ex, int gen, long long evals)
{
    (void)gen;
    struct gen_ctx *c = vctx;
    if (c->evals_to_95 > 0 || c->hv_ref <= 0)
        return;
    long long n;
    const struct sw_design **f = front_of(ex, &n);
    double hv;
    struct sw_error err;
    if (f && sw_explore_hv(f, n, c->ideal, c->nadir, &hv, &err) == SW_OK &&
        hv >= 0.95 * c->hv_ref)
        c->evals_to_95 = evals;
    free((void *)f);
}

/* One pass over the grid; returns designs/s, or -1. */
static double grid_pass(struct sw_explorer *ex)
{
    ex->n_designs = ex->n_feasible = ex->evals = 0;
    ex->n_reasons = 0;
    struct sw_error err;
    double t0 = cli_now();
    if (sw_explorer_grid(ex, NULL, NULL, &err) != SW_OK) {
        fprintf(stderr, "logiq bench: %s\n", err.msg);
        return -1;
    }
    double dt = cli_now() - t0;
    return dt > 0 ? (double)ex->n_designs / dt : 0.0;
}

int bench_explore(int argc, char **argv)
{
    enum { O_ARCH = 256, O_WIDTH, O_SPACE, O_HW, O_PASSES, O_EVALS, O_POP, O_SEEDS };
    static const struct option opts[] = {
        {"arch", required_argument, 0, O_ARCH},     {"width", required_argument, 0, O_WIDTH},
        {"space", required_argument, 0, O_SPACE},   {"hw", required_argument, 0, O_HW},
        {"passes", required_argument, 0, O_PASSES}, {"evals", required_argument, 0, O_EVALS},
        {"pop", required_argument, 0, O_POP},       {"seeds", required_argument, 0, O_SEEDS},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0},
    };
    const char *arch = "res11-or", *space_path = NULL, *hw_path = NULL;
    float width = 1.0f;
    int passes = 3, evals = 1000, pop = 40, seeds = 3, c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_ARCH: arch = optarg; break;
        case O_WIDTH: bad = cli_parse_float("bench", "--width", optarg, 0.01, 16, &width); break;
        case O_SPACE: space_path = optarg; break;
        case O_HW: hw_path = optarg; break;
        case O_PASSES: bad = cli_parse_int("bench", "--passes", optarg, 1, 1000, &passes); break;
        case O_EVALS: bad = cli_parse_int("bench", "--evals", optarg, 16, 10000000, &evals); break;
        case O_POP: bad = cli_parse_int("bench", "--pop", optarg, 8, 100000, &pop); break;
        case O_SEEDS: bad = cli_parse_int("bench", "--seeds", optarg, 0, 100, &seeds); break;
        case 'h': fputs(help, stdout); fputs(builtin_space, stdout); return 0;
        default: return EXIT_USAGE;
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (pop % 4 != 0 || evals % pop != 0 || evals < 2 * pop) {
        fprintf(stderr, "logiq bench: --pop: a multiple of 4; --evals: a multiple of --pop, at "
                "least two populations\n");
        return EXIT_USAGE;
    }
    char msg[1200], name[600];
    struct cm_hw hw;
    struct cm_lib lib;
    if (sw_hw_load(hw_path, &hw, &lib, msg, sizeof msg) != 0) {
        fprintf(stderr, "logiq bench: %s\n", msg);
        return EXIT_USAGE;
    }
    char *text = space_path ? sw_ini_read(space_path, msg, sizeof msg) : NULL;
    if (space_path && !text) {
        fprintf(stderr, "logiq bench: %s\n", msg);
        return EXIT_USAGE;
    }
    struct sw_space sp;
    struct sw_error err;
    if (sw_space_parse(&sp, text ? text : builtin_space, space_path ? space_path : "built-in",
                       &err) != SW_OK) {
        fprintf(stderr, "logiq bench: %s\n", err.msg);
        free(text);
        return EXIT_USAGE;
    }
    free(text);
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.max_batch = 2;
    struct cm_net net;
    struct cm_layer *layers;
    int rc = sw_net_load(NULL, arch, width, &cfg, &net, &layers, name, sizeof name, msg,
                          sizeof msg);
    if (rc != 0) {
        fprintf(stderr, "logiq bench: %s\n", msg);
        sw_space_free(&sp);
        return rc;
    }
    struct sw_explorer ex;
    if (sw_explorer_init(&ex, &sp, &hw, &lib, &net, &err) != SW_OK) {
        fprintf(stderr, "logiq bench: %s\n", err.msg);
        rc = EXIT_WORK;
        goto done;
    }
    printf("logiq explore's grid loop, one core: %s (width %g, %d layers), %s space of %lld "
           "designs, base design %s\n", name, width, net.n_layers,
           space_path ? space_path : "the built-in", sp.size, hw_path ? hw_path : "built-in");
    double cold = grid_pass(&ex), warm = 0.0;
    for (int p = 0; p < passes && cold >= 0; p++) {
        double r = grid_pass(&ex);
        warm = r > warm ? r : warm;
    }
    long long lookups, builds;
    cm_memo_stats(ex.memo, &lookups, &builds);
    struct cm_memo *memo = ex.memo;
    ex.memo = NULL;
    double none = cold >= 0 ? grid_pass(&ex) : -1;
    ex.memo = memo;
    if (cold < 0 || none < 0) {
        rc = EXIT_WORK;
        goto done;
    }
    printf("%-34s %12.0f designs/s\n", "with the unit memo, first pass", cold);
    printf("%-34s %12.0f designs/s (best of %d)\n", "with the unit memo, warm", warm, passes);
    printf("%-34s %12.0f designs/s\n", "without the memo", none);
    printf("memo: %lld lookups, %lld unit builds (%.2f %% built)\n", lookups, builds,
           lookups ? 100.0 * (double)builds / (double)lookups : 0.0);
    printf("%lld feasible of %lld designs\n", ex.n_feasible, ex.n_designs);

    if (seeds > 0) {
        struct gen_ctx g = {0};
        long long nf;
        const struct sw_design **f = front_of(&ex, &nf);
        unsigned char *on_full = calloc((size_t)sp.size + 1, 1);
        if (f && on_full)
            for (long long i = 0; i < nf; i++)
                on_full[f[i]->grid] = 1;
        g.on_full = on_full;
        g.n_full = nf;
        if (!f || !on_full) {
            free(on_full);
            rc = EXIT_WORK;
            goto done;
        }
        sw_explore_bounds(f, nf, g.ideal, g.nadir);
        if (sw_explore_hv(f, nf, g.ideal, g.nadir, &g.hv_ref, &err) != SW_OK) {
            fprintf(stderr, "logiq bench: %s\n", err.msg);
            free((void *)f);
            free(on_full);
            rc = EXIT_WORK;
            goto done;
        }
        free((void *)f);
        printf("\nNSGA-II (population %d, %d evaluations) against the exhaustive front (%lld "
               "designs, hypervolume %.6f, objectives normalized by its ideal and nadir, "
               "reference point %.1f):\n", pop, evals, nf, g.hv_ref, SW_HV_REF);
        printf("%6s %12s %10s %10s %14s %14s %10s\n", "seed", "evaluations", "designs",
               "share_%", "evals_to_95%", "front_found", "time_s");
        double sum = 0.0, lo = INFINITY;
        for (int s = 1; s <= seeds; s++) {
            struct sw_explorer se;
            if (sw_explorer_init(&se, &sp, &hw, &lib, &net, &err) != SW_OK) {
                free(on_full);
                rc = EXIT_WORK;
                goto done;
            }
            g.evals_to_95 = 0;
            double t0 = cli_now(), hv = 0.0;
            enum sw_status st = sw_explorer_search(&se, pop, evals / pop - 1, (unsigned)s,
                                                   on_gen, &g, &err);
            double dt = cli_now() - t0;
            const struct sw_design **sf = st == SW_OK ? front_of(&se, &nf) : NULL;
            if (!sf || sw_explore_hv(sf, nf, g.ideal, g.nadir, &hv, &err) != SW_OK) {
                fprintf(stderr, "logiq bench: %s\n", err.msg);
                free((void *)sf);
                free(on_full);
                sw_explorer_free(&se);
                rc = EXIT_WORK;
                goto done;
            }
            long long found = 0;
            for (long long i = 0; i < nf; i++)
                found += on_full[sf[i]->grid];
            free((void *)sf);
            double share = 100.0 * hv / g.hv_ref;
            sum += share;
            lo = share < lo ? share : lo;
            char e95[32];
            if (g.evals_to_95 > 0)
                snprintf(e95, sizeof e95, "%lld", g.evals_to_95);
            else
                snprintf(e95, sizeof e95, "not reached");
            char ff[48];
            snprintf(ff, sizeof ff, "%lld/%lld", found, g.n_full);
            printf("%6d %12lld %10lld %10.2f %14s %14s %10.3f\n", s, se.evals, se.n_designs,
                   share, e95, ff, dt);
            sw_explorer_free(&se);
        }
        printf("mean %.2f %%, lowest %.2f %% of the exhaustive front's hypervolume "
               "(front_found: the search's front designs on the exhaustive front)\n",
               sum / seeds, lo);
        free(on_full);
    }
done:
    sw_explorer_free(&ex);
    free(layers);
    sw_space_free(&sp);
    return rc;
}

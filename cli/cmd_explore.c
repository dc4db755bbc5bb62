/* cli/cmd_explore.c: `logiq explore`: which designs of a space run one
 * network best. Every design is priced in-process by the analytic cost
 * model (sweeps/explore.h): the whole grid when it fits --max-evals, else
 * an NSGA-II search of --evals evaluations; the Pareto front of gates,
 * energy, latency and area is printed and, with -o, stored. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sweeps/costnet.h"
#include "sweeps/explore.h"
#include "sweeps/explore_store.h"
#include "sweeps/spec.h"

static const char help[] =
    "usage: logiq explore model.qnn --space space.ini [--hw base.ini] [-o STORE.db] [...]\n"
    "       logiq explore --arch ARCH [network options] --space space.ini [...]\n"
    "\n"
    "Evaluates the hardware designs of a space running one network, in-process\n"
    "with the analytic cost model (that of `logiq cost`), and prints the Pareto\n"
    "front of four objectives, all minimized: gates (NAND2 eq, logic), energy\n"
    "per inference (operation-based), latency (at the design's clock: fmax when\n"
    "clock_mhz = auto) and area (logic + SRAM). A design the network does not\n"
    "fit, or whose fixed clock exceeds its fmax, is infeasible: skipped and\n"
    "counted, with the most common reason. docs/explore.md has the details.\n"
    "\n"
    "space.ini lists values of hw.ini keys (`logiq cost --help-hw`) under their\n"
    "sections, as the sweep spec's lists; the designs are the grid of them, each\n"
    "the --hw design with its values:\n"
    "    [array]\n"
    "    lanes = 16, 32, 64, 128\n"
    "    adder = ripple, cla, brent-kung, kogge-stone\n"
    "\n"
    "  --space FILE         the space (required)\n"
    "  --hw FILE            the base design (default: the built-in design)\n"
    "  -o, --store FILE     append the run to this exploration store (SQLite,\n"
    "                       docs/explore.md); default: print only\n"
    "  --keep front|all     store the front's designs (default) or every one evaluated\n"
    "  --method M           auto (default): grid when the space has at most\n"
    "                       --max-evals designs, else nsga2; grid; nsga2\n"
    "  --max-evals N        the most designs a grid run evaluates (default 1000000)\n"
    "  --evals N            the search's evaluations (default 1000; a multiple of --pop)\n"
    "  --pop N              the search's population (default 40; a multiple of 4)\n"
    "  --seed N             the search's seed (default 1): same seed, same front\n"
    "  --compare            nsga2: also enumerate the grid (at most --max-evals) and\n"
    "                       report the share of its front's hypervolume the search\n"
    "                       reached, and after how many evaluations it had 95 %\n"
    "  --top N              rows of the front printed (default 40; 0: all)\n"
    "  -q, --quiet          no progress line\n"
    "\n"
    "Network, when no model is given (an untrained network: gates, cycles and\n"
    "operation energies do not depend on the weights):\n"
    "  --arch ARCH          preset or architecture string (docs/architectures.md)\n"
    "  --width W, --wq Q, --wq-first Q, --wq-last Q, --aq A, --mux V, --res-bits R,\n"
    "  --res-frac F, --max-memory GIB   as in `logiq cost`\n"
    "  -h, --help           this help\n"
    "\n"
    "The hypervolume is of the objectives normalized to [0, 1] by the ideal and\n"
    "nadir points of the front (with --compare, of the exhaustive front), up to\n"
    "the reference point 1.1 in each.\n";

enum {
    O_SPACE = CLI_OPT_NET_END, O_HW, O_KEEP, O_METHOD, O_MAX_EVALS, O_EVALS, O_POP, O_SEED,
    O_COMPARE, O_TOP,
};

static const struct option long_opts[] = {
    {"space", required_argument, 0, O_SPACE},
    {"hw", required_argument, 0, O_HW},
    {"store", required_argument, 0, 'o'},
    {"keep", required_argument, 0, O_KEEP},
    {"method", required_argument, 0, O_METHOD},
    {"max-evals", required_argument, 0, O_MAX_EVALS},
    {"evals", required_argument, 0, O_EVALS},
    {"pop", required_argument, 0, O_POP},
    {"seed", required_argument, 0, O_SEED},
    {"compare", no_argument, 0, O_COMPARE},
    {"top", required_argument, 0, O_TOP},
    {"quiet", no_argument, 0, 'q'},
    CLI_NET_OPTIONS,
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "logiq explore: %s\n", msg);
    return EXIT_USAGE;
}

struct run_ctx {
    struct cli_progress pr;
    double t0;
    /* --compare: the exhaustive front's normalization and hypervolume */
    int compare;
    double ideal[SW_N_OBJ], nadir[SW_N_OBJ], hv_ref;
    long long evals_to_95;
    int failed;
};

static void on_progress(void *vctx, long long done, long long total)
{
    struct run_ctx *c = vctx;
    double dt = cli_now() - c->t0;
    cli_progress_show(&c->pr, done == total, "explore: %lld/%lld designs (%.0f%%), %.0f designs/s",
                      done, total, 100.0 * (double)done / (double)total,
                      dt > 0 ? (double)done / dt : 0.0);
}

/* The front's designs (pointers into ex->designs), n of them. */
static const struct sw_design **front_list(const struct sw_explorer *ex, const unsigned char *on,
                                           long long *n)
{
    const struct sw_design **f = malloc((size_t)(ex->n_designs + 1) * sizeof *f);
    *n = 0;
    if (!f)
        return NULL;
    for (long long i = 0; i < ex->n_designs; i++)
        if (on[i])
            f[(*n)++] = &ex->designs[i];
    return f;
}

/* After each generation: the search's front so far against the exhaustive
 * one; the first generation at 95 % of its hypervolume. */
static void on_gen(void *vctx, const struct sw_explorer *ex, int gen, long long evals)
{
    struct run_ctx *c = vctx;
    double dt = cli_now() - c->t0;
    cli_progress_show(&c->pr, 0, "explore: generation %d, %lld evaluations, %lld designs, "
                      "%.0f designs/s", gen, evals, ex->n_designs,
                      dt > 0 ? (double)ex->n_designs / dt : 0.0);
    if (!c->compare || c->hv_ref <= 0 || c->evals_to_95 > 0 || c->failed)
        return;
    unsigned char *on = malloc((size_t)(ex->n_designs + 1));
    long long n = 0;
    const struct sw_design **f = NULL;
    if (!on || sw_explorer_front(ex, on) < 0 || !(f = front_list(ex, on, &n))) {
        c->failed = 1;
    } else {
        double hv;
        struct sw_error err;
        if (sw_explore_hv(f, n, c->ideal, c->nadir, &hv, &err) != SW_OK)
            c->failed = 1;
        else if (hv >= 0.95 * c->hv_ref)
            c->evals_to_95 = evals;
    }
    free(on);
    free((void *)f);
}

static int by_gates(const void *a, const void *b)
{
    const struct sw_design *x = *(const struct sw_design *const *)a;
    const struct sw_design *y = *(const struct sw_design *const *)b;
    for (int k = 0; k < SW_N_OBJ; k++)
        if (x->obj[k] != y->obj[k])
            return x->obj[k] < y->obj[k] ? -1 : 1;
    return (x->grid > y->grid) - (x->grid < y->grid);
}

static void print_front(const struct sw_explorer *ex, const struct sw_design **f, long long n,
                        int top)
{
    qsort(f, (size_t)n, sizeof *f, by_gates);
    printf("%4s %10s %12s %11s %11s %9s %8s  %s\n", "#", "design", "gates_nand2", "energy_nJ",
           "latency_us", "area_mm2", "clk_MHz", "values");
    for (long long i = 0; i < n && (top == 0 || i < top); i++) {
        const struct sw_design *d = f[i];
        int idx[SW_SPACE_MAX_AXES];
        char label[4096];
        sw_space_decode(ex->sp, d->grid, idx);
        if (sw_space_label(ex->sp, idx, label, sizeof label) < 0)
            snprintf(label, sizeof label, "(too long)");
        printf("%4lld %10lld %12.0f %11.4f %11.3f %9.4f %8.1f  %s\n", i + 1, d->grid,
               d->obj[SW_OBJ_GATES], d->obj[SW_OBJ_ENERGY] * 1e-3, d->obj[SW_OBJ_LATENCY],
               d->obj[SW_OBJ_AREA] * 1e-6, d->clock_mhz, label);
    }
    if (top > 0 && n > top)
        printf("  ... %lld more on the front (--top 0 prints all; the store holds them)\n",
               n - top);
}

static void print_reasons(const struct sw_explorer *ex)
{
    long long inf = ex->n_designs - ex->n_feasible;
    printf("%lld feasible, %lld infeasible", ex->n_feasible, inf);
    int top = sw_explorer_top_reason(ex);
    if (top >= 0)
        printf(" (most common reason: %s, %lld designs; e.g. %s)", ex->reason[top].key,
               ex->reason[top].count, ex->reason[top].example);
    printf("\n");
}

int cmd_explore(int argc, char **argv)
{
    const char *space_path = NULL, *hw_path = NULL, *store = NULL, *arch_text = NULL;
    const char *method = "auto";
    int keep_all = 0, evals = 1000, pop = 40, compare = 0, top = 40, quiet = 0, c, bad = 0;
    int max_evals = 1000000, seed = 1;
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.max_batch = 2;  /* the smallest the model allows; nothing runs */
    float width = 1.0f;
    char msg[1200];
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", long_opts, NULL)) != -1) {
        int net = cli_net_option(c, optarg, "explore", &cfg, &arch_text, &width);
        if (net < 0)
            return EXIT_USAGE;
        if (net > 0)
            continue;
        switch (c) {
        case O_SPACE: space_path = optarg; break;
        case O_HW: hw_path = optarg; break;
        case 'o': store = optarg; break;
        case O_KEEP:
            if (strcmp(optarg, "front") != 0 && strcmp(optarg, "all") != 0)
                return usage_error("--keep: expected front or all");
            keep_all = strcmp(optarg, "all") == 0;
            break;
        case O_METHOD:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "grid") != 0 &&
                strcmp(optarg, "nsga2") != 0)
                return usage_error("--method: expected auto, grid or nsga2");
            method = optarg;
            break;
        case O_MAX_EVALS:
            bad = cli_parse_int("explore", "--max-evals", optarg, 1, 100000000, &max_evals);
            break;
        case O_EVALS: bad = cli_parse_int("explore", "--evals", optarg, 8, 100000000, &evals); break;
        case O_POP: bad = cli_parse_int("explore", "--pop", optarg, 8, 100000, &pop); break;
        case O_SEED: bad = cli_parse_int("explore", "--seed", optarg, 0, 2147483647, &seed); break;
        case O_COMPARE: compare = 1; break;
        case O_TOP: bad = cli_parse_int("explore", "--top", optarg, 0, 100000000, &top); break;
        case 'q': quiet = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: return usage_error("bad option (see logiq explore --help)");
        }
        if (bad)
            return EXIT_USAGE;
    }
    const char *model_path = optind < argc ? argv[optind++] : NULL;
    if (optind < argc) {
        snprintf(msg, sizeof msg, "unexpected argument '%s' (see logiq explore --help)",
                 argv[optind]);
        return usage_error(msg);
    }
    if (!model_path && !arch_text)
        return usage_error("give a model.qnn or --arch ARCH (see logiq explore --help)");
    if (model_path && arch_text)
        return usage_error("give a model.qnn or --arch, not both");
    if (!space_path)
        return usage_error("--space FILE: the space of designs is required (see logiq explore "
                           "--help)");
    if (pop % 4 != 0)
        return usage_error("--pop: expected a multiple of 4 (NSGA-II)");
    if (evals < 2 * pop)
        return usage_error("--evals: expected at least two populations (2 x --pop)");
    if (store && cli_check_writable("explore", "-o", store) != 0)
        return EXIT_WORK;

    struct cm_hw hw;
    struct cm_lib lib;
    if (sw_hw_load(hw_path, &hw, &lib, msg, sizeof msg) != 0)
        return usage_error(msg);
    char *space_text = sw_ini_read(space_path, msg, sizeof msg);
    if (!space_text)
        return usage_error(msg);
    struct sw_space sp;
    struct sw_error err;
    if (sw_space_parse(&sp, space_text, space_path, &err) != SW_OK) {
        free(space_text);
        return usage_error(err.msg);
    }
    struct cm_net net;
    struct cm_layer *layers = NULL;
    char net_name[600];
    int rc = sw_net_load(model_path, arch_text, width, &cfg, &net, &layers, net_name,
                          sizeof net_name, msg, sizeof msg);
    if (rc != 0) {
        fprintf(stderr, "logiq explore: %s\n", msg);
        free(space_text);
        sw_space_free(&sp);
        return rc;
    }

    int grid = strcmp(method, "grid") == 0 ||
               (strcmp(method, "auto") == 0 && sp.size <= max_evals);
    if (grid && sp.size > max_evals) {
        snprintf(msg, sizeof msg, "%s: %lld designs exceed --max-evals %d (use --method nsga2, "
                 "or raise --max-evals)", space_path, sp.size, max_evals);
        rc = usage_error(msg);
        goto done_early;
    }
    if (!grid && compare && sp.size > max_evals) {
        snprintf(msg, sizeof msg, "--compare: %s: %lld designs exceed --max-evals %d",
                 space_path, sp.size, max_evals);
        rc = usage_error(msg);
        goto done_early;
    }
    if (!grid && evals % pop != 0) {
        snprintf(msg, sizeof msg, "--evals %d: expected a multiple of --pop %d", evals, pop);
        rc = usage_error(msg);
        goto done_early;
    }

    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    printf("network %s; base design %s; space %s: %d keys, %lld designs\n", net_name,
           hw_path ? hw_path : "built-in", space_path, sp.n_axes, sp.size);
    struct run_ctx rcx = {0};
    cli_progress_init(&rcx.pr, quiet);
    struct sw_explorer ex, full;
    int have_full = 0;
    unsigned char *on = NULL, *on_full = NULL;
    const struct sw_design **f = NULL, **ff = NULL;
    long long nf = 0, nff = 0;
    double hv = NAN, share = NAN, ideal[SW_N_OBJ], nadir[SW_N_OBJ];
    enum sw_status st;
    rc = 0;
    if (sw_explorer_init(&ex, &sp, &hw, &lib, &net, &err) != SW_OK) {
        fprintf(stderr, "logiq explore: %s\n", err.msg);
        rc = EXIT_WORK;
        goto done;
    }
    ex.stop = &stop_flag;

    if (!grid && compare) {
        /* the exhaustive front first: the search is measured against it */
        if (sw_explorer_init(&full, &sp, &hw, &lib, &net, &err) != SW_OK) {
            fprintf(stderr, "logiq explore: %s\n", err.msg);
            rc = EXIT_WORK;
            goto done;
        }
        have_full = 1;
        full.stop = &stop_flag;
        rcx.t0 = cli_now();
        st = sw_explorer_grid(&full, on_progress, &rcx, &err);
        double dt = cli_now() - rcx.t0;
        if (st == SW_OK && !full.interrupted) {
            on_full = malloc((size_t)full.n_designs + 1);
            if (!on_full || sw_explorer_front(&full, on_full) < 0 ||
                !(ff = front_list(&full, on_full, &nff)))
                st = sw_fail(&err, SW_ERR_NOMEM, "out of memory");
        }
        if (st != SW_OK || full.interrupted) {
            fprintf(stderr, "logiq explore: %s\n", st != SW_OK ? err.msg : "interrupted");
            rc = EXIT_WORK;
            goto done;
        }
        sw_explore_bounds(ff, nff, rcx.ideal, rcx.nadir);
        if (sw_explore_hv(ff, nff, rcx.ideal, rcx.nadir, &rcx.hv_ref, &err) != SW_OK) {
            fprintf(stderr, "logiq explore: %s\n", err.msg);
            rc = EXIT_WORK;
            goto done;
        }
        rcx.compare = 1;
        printf("exhaustive: %lld designs in %.2f s (%.0f designs/s); ", full.n_designs, dt,
               dt > 0 ? (double)full.n_designs / dt : 0.0);
        print_reasons(&full);
        printf("exhaustive front: %lld designs, hypervolume %.6f\n", nff, rcx.hv_ref);
    }

    rcx.t0 = cli_now();
    const int gens = evals / pop - 1;
    if (grid)
        st = sw_explorer_grid(&ex, on_progress, &rcx, &err);
    else
        st = sw_explorer_search(&ex, pop, gens, (unsigned)seed, on_gen, &rcx, &err);
    const double wall = cli_now() - rcx.t0;
    if (!grid)
        cli_progress_show(&rcx.pr, 1, "explore: %lld evaluations, %lld designs", ex.evals,
                          ex.n_designs);
    if (st != SW_OK || rcx.failed) {
        fprintf(stderr, "logiq explore: %s\n", st != SW_OK ? err.msg : "out of memory");
        rc = EXIT_WORK;
        goto done;
    }
    on = malloc((size_t)ex.n_designs + 1);
    if (!on || sw_explorer_front(&ex, on) < 0 || !(f = front_list(&ex, on, &nf))) {
        fprintf(stderr, "logiq explore: out of memory\n");
        rc = EXIT_WORK;
        goto done;
    }
    if (grid)
        printf("grid: %lld designs in %.2f s (%.0f designs/s)%s; ", ex.n_designs, wall,
               wall > 0 ? (double)ex.n_designs / wall : 0.0,
               ex.interrupted ? ", interrupted" : "");
    else
        printf("nsga2 (seed %d, population %d, %d generations): %lld evaluations, %lld distinct "
               "designs in %.2f s%s; ", seed, pop, gens, ex.evals, ex.n_designs, wall,
               ex.interrupted ? ", interrupted" : "");
    print_reasons(&ex);
    if (rcx.compare)
        memcpy(ideal, rcx.ideal, sizeof ideal), memcpy(nadir, rcx.nadir, sizeof nadir);
    else
        sw_explore_bounds(f, nf, ideal, nadir);
    if (nf > 0 && sw_explore_hv(f, nf, ideal, nadir, &hv, &err) != SW_OK) {
        fprintf(stderr, "logiq explore: %s\n", err.msg);
        rc = EXIT_WORK;
        goto done;
    }
    printf("front: %lld designs; hypervolume %.6f (objectives normalized by %s front's ideal "
           "and nadir, reference point %.1f each)\n", nf, nf > 0 ? hv : 0.0,
           rcx.compare ? "the exhaustive" : "this", SW_HV_REF);
    /* a space of one design is evaluated without generations to check */
    if (rcx.compare && rcx.hv_ref > 0 && rcx.evals_to_95 == 0 && nf > 0 &&
        hv >= 0.95 * rcx.hv_ref)
        rcx.evals_to_95 = ex.evals;
    if (rcx.compare && rcx.hv_ref <= 0) {
        printf("search vs exhaustive: no feasible design in the grid, nothing to compare\n");
    } else if (rcx.compare) {
        share = (nf > 0 ? hv : 0.0) / rcx.hv_ref;
        printf("search vs exhaustive: %.2f %% of the exhaustive front's hypervolume in %lld "
               "evaluations; 95 %% %s", 100.0 * share, ex.evals,
               rcx.evals_to_95 > 0 ? "reached after " : "not reached");
        if (rcx.evals_to_95 > 0)
            printf("%lld evaluations", rcx.evals_to_95);
        printf("\n");
        /* a stricter figure than the volume: which exhaustive-front designs
         * the search found (the grid's designs are in grid order) */
        long long found = 0;
        for (long long i = 0; i < nf; i++)
            found += on_full[f[i]->grid];
        printf("search vs exhaustive: %lld of the search's %lld front designs are on the "
               "exhaustive front (%.1f %% of its %lld designs)\n", found, nf,
               nff ? 100.0 * (double)found / (double)nff : 0.0, nff);
    }
    if (nf > 0)
        print_front(&ex, f, nf, top);
    else
        printf("no feasible design: nothing runs the network\n");

    if (store) {
        struct sw_xrun r = {
            .network = net_name, .hw_base = hw_path ? hw_path : "", .space_path = space_path,
            .space_text = space_text, .method = grid ? "grid" : "nsga2", .seed = seed,
            .pop = pop, .gens = gens, .complete = !ex.interrupted, .wall_s = wall,
            .hv = nf > 0 ? hv : NAN, .ideal = nf > 0 ? ideal : NULL,
            .nadir = nf > 0 ? nadir : NULL, .hv_share = share,
            .evals_to_95 = rcx.compare ? (rcx.evals_to_95 > 0 ? rcx.evals_to_95 : -1) : 0,
        };
        long long run;
        if ((st = sw_xstore_put(store, &r, &ex, on, keep_all, &run, &err)) != SW_OK) {
            fprintf(stderr, "logiq explore: %s\n", err.msg);
            rc = sw_status_exit_code(st);  /* not a store of this version: 2 */
            goto done;
        }
        printf("stored run %lld in %s (%s designs)\n", run, store,
               keep_all ? "every evaluated" : "the front's");
    }
    if (ex.interrupted) {
        fprintf(stderr, "logiq explore: interrupted after %lld designs%s\n", ex.n_designs,
                store ? "; stored as an incomplete run" : "");
        rc = EXIT_WORK;
    }
done:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(on);
    free(on_full);
    free((void *)f);
    free((void *)ff);
    if (have_full)
        sw_explorer_free(&full);
    sw_explorer_free(&ex);
done_early:
    free(layers);
    free(space_text);
    sw_space_free(&sp);
    return rc;
}

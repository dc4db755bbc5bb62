/* sweeps/explore.h: hardware exploration at analytic speed: the designs of a
 * space (space.h) running one network, evaluated in-process with the
 * analytic cost model (cm_design_eval), exhaustively over the grid or by a
 * multi-objective search (NSGA-II, search.h); their Pareto front and its
 * hypervolume.
 *
 * The network is fixed (one trained model), so accuracy is too, and the
 * objectives, all minimized, are the design's gates (NAND2 equivalents,
 * logic), energy per inference (operation-based, pJ), latency at its clock
 * (clock_mhz = auto: fmax; us) and area (logic + SRAM, um^2). A design the
 * network cannot run on (cm_design_eval's CM_ERR_INFEASIBLE or CM_ERR_ARG),
 * or whose fixed clock_mhz exceeds its fmax, is infeasible: recorded with
 * its reason, on no front. Reasons are counted by the hw.ini key they name.
 *
 *     struct sw_explorer ex;
 *     sw_explorer_init(&ex, &space, &base_hw, &lib, &net, &err);
 *     sw_explorer_grid(&ex, progress, ctx, &err);            // or sw_explorer_search
 *     sw_explorer_front(&ex, on_front);                      // ex.designs[i] on the front
 *     sw_explorer_free(&ex);
 *
 * Speed: the designs of a space share most of their units, so the
 * explorer keeps a memo of unit results (costmodels/memo.h): each unit's
 * netlist is built once per parameter set, and every design's numbers are
 * those of cm_design_eval (tests/test_explore.c holds them equal).
 *
 * Memory: the explorer owns the designs it evaluated (ex.designs, in the
 * order evaluated), the memo and a scratch struct cm_design. */
#ifndef LOGIQ_SW_EXPLORE_H
#define LOGIQ_SW_EXPLORE_H

#include <signal.h>

#include "costmodels/cells.h"
#include "costmodels/design.h"
#include "costmodels/hw.h"
#include "costmodels/memo.h"
#include "costmodels/net.h"
#include "sweeps/space.h"
#include "sweeps/status.h"

enum sw_objective { SW_OBJ_GATES, SW_OBJ_ENERGY, SW_OBJ_LATENCY, SW_OBJ_AREA, SW_N_OBJ };
/* "gates_nand2", "energy_pj", "latency_us", "area_um2" */
const char *sw_objective_name(int k);

struct sw_design {
    long long grid;          /* its number in the space's grid */
    int feasible;
    int reason;              /* infeasible: index into the explorer's reasons */
    double obj[SW_N_OBJ];    /* feasible: the objectives */
    long long cycles;
    double fmax_mhz, clock_mhz;
};

/* An infeasibility class: the hw.ini key a reason names ("[array]
 * acc_bits"), or its text when it names none; the first message as the
 * example. */
#define SW_MAX_REASONS 64
struct sw_reason {
    char key[64];
    char example[320];
    long long count;
};

struct sw_explorer {
    const struct sw_space *sp;
    struct cm_hw base;
    const struct cm_lib *lib;
    const struct cm_net *net;
    struct cm_design *scratch;
    struct cm_memo *memo;           /* unit results (costmodels/memo.h); NULL: none */
    struct sw_design *designs;      /* evaluated, in order */
    long long n_designs, cap;
    long long *slot;                /* grid -> designs index + 1 (search), open addressing */
    long long n_slots;
    long long evals;                /* evaluations asked for (repeats of a design included) */
    long long n_feasible;
    struct sw_reason reason[SW_MAX_REASONS];
    int n_reasons;
    const volatile sig_atomic_t *stop;  /* set (by a signal handler): stop at the next design */
    int interrupted;                /* a loop stopped early on *stop */
};

enum sw_status sw_explorer_init(struct sw_explorer *ex, const struct sw_space *sp,
                                const struct cm_hw *base, const struct cm_lib *lib,
                                const struct cm_net *net, struct sw_error *err);
void sw_explorer_free(struct sw_explorer *ex);

/* Evaluates one design (idx: the space's index vector) into *out: never
 * fails for an infeasible design; SW_ERR_NOMEM if the cost model ran out of
 * memory. Records nothing in the explorer (sw_explorer_grid and _search
 * do). */
enum sw_status sw_explorer_eval(struct sw_explorer *ex, const int *idx, struct sw_design *out,
                                struct sw_error *err);

/* Progress: designs evaluated so far; returns 0 (never stops the loop). */
typedef void (*sw_explore_progress_fn)(void *ctx, long long done, long long total);

/* Every design of the grid, in grid order. */
enum sw_status sw_explorer_grid(struct sw_explorer *ex, sw_explore_progress_fn progress,
                                void *ctx, struct sw_error *err);

/* NSGA-II over the grid's index vectors: pop designs a generation, gens
 * generations (pop x (gens + 1) evaluations; a design seen before is not
 * evaluated again but counts), seeded by seed. after_gen (may be NULL) is
 * called after each generation with the evaluations so far. The
 * variables are the axes of more than one value (the others are fixed); a
 * space of one design is evaluated as a grid. */
typedef void (*sw_explore_gen_fn)(void *ctx, const struct sw_explorer *ex, int gen,
                                  long long evals);
enum sw_status sw_explorer_search(struct sw_explorer *ex, int pop, int gens, unsigned seed,
                                  sw_explore_gen_fn after_gen, void *ctx, struct sw_error *err);

/* The Pareto front of the feasible designs evaluated: on_front[i] for
 * ex->designs[i] (n_designs entries). Returns its size, -1 when out of
 * memory. */
long long sw_explorer_front(const struct sw_explorer *ex, unsigned char *on_front);
/* The most common reason (-1 when every design was feasible). */
int sw_explorer_top_reason(const struct sw_explorer *ex);

/* The hypervolume of n designs' objectives (rows of SW_N_OBJ), normalized
 * as (f - ideal) / (nadir - ideal) per objective (a span of 0 counts as
 * 1), up to the reference point SW_HV_REF in every objective. */
#define SW_HV_REF 1.1
enum sw_status sw_explore_hv(const struct sw_design *const *d, long long n, const double *ideal,
                             const double *nadir, double *hv, struct sw_error *err);
/* The ideal (best) and nadir (worst) objectives of n designs. */
void sw_explore_bounds(const struct sw_design *const *d, long long n, double *ideal,
                       double *nadir);

#endif

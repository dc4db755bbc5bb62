/* sweeps/search.h: multi-objective search over a grid of designs with
 * pagmo2's NSGA-II, and the hypervolume of a front (pagmo2's), behind a C
 * interface (sweeps/search.cpp is the C++ side).
 *
 * The decision vector is the grid's index vector: one integer variable an
 * axis, in [0, n_values - 1] (pagmo's integer dimensions, get_nix). The
 * caller evaluates: eval gets an index vector and writes the objectives (all
 * minimized); an infeasible design is given a penalty point by the caller.
 * After each generation gen is called with the evaluations so far; it may
 * stop the search. The search is a pure function of the options (the seed
 * seeds pagmo's population and algorithm), so it is deterministic.
 *
 *     struct sw_search_opts o = {.n_axes = 3, .n_values = nv, .n_obj = 4,
 *                                .pop = 40, .gens = 24, .seed = 1};
 *     if (sw_search_nsga2(&o, eval, gen, ctx, &err) != SW_OK) ... err.msg
 *
 * Memory: nothing is kept between calls. */
#ifndef LOGIQ_SW_SEARCH_H
#define LOGIQ_SW_SEARCH_H

#include "sweeps/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returns 0, or non-zero to abort the search (an error of the caller's). */
typedef int (*sw_search_eval_fn)(void *ctx, const int *idx, double *obj);
/* Returns 0 to go on, non-zero to stop after this generation. */
typedef int (*sw_search_gen_fn)(void *ctx, int gen, long long evals);

struct sw_search_opts {
    int n_axes;            /* decision variables */
    const int *n_values;   /* [n_axes] values of each */
    int n_obj;             /* objectives (>= 2) */
    int pop;               /* population: a multiple of 4, >= 8 */
    int gens;              /* generations; evaluations = pop x (gens + 1) */
    unsigned seed;
};

/* SW_ERR_SPEC for bad options (a population that is not a multiple of 4),
 * SW_ERR_PROC when eval aborted or pagmo failed (err says why). */
enum sw_status sw_search_nsga2(const struct sw_search_opts *o, sw_search_eval_fn eval,
                               sw_search_gen_fn gen, void *ctx, struct sw_error *err);

/* The hypervolume that n points (n x k, row-major, minimized) dominate up
 * to ref (k values); points not strictly better than ref in every
 * objective add nothing and are left out. 0 for no point. */
enum sw_status sw_hypervolume(const double *pts, int n, int k, const double *ref, double *hv,
                              struct sw_error *err);

#ifdef __cplusplus
}
#endif

#endif

/* sweeps/point.h: one design point of a sweep, and what the sweep runner
 * and its points share: loading a spec with nn/ and costmodels/ judging its
 * values, the folder of a store's per-point files, the hash naming a
 * training.
 *
 * A point (sw_point_run) writes its hw.ini (the base with the point's
 * overrides), trains its model unless a point with the same training
 * parameters already did (`logiq train`, a child process: it exports the
 * integer model atomically and resumes a killed training from its state),
 * or quantizes a shared real-valued model (`logiq quantize`), then costs and
 * simulates the model in-process through costmodels/ and sim/, and fills
 * its result. Nothing is parsed back from a child's text: the model's
 * accuracies are its .qnn metadata, the training time its training log's
 * last `seconds`.
 *
 * Files, in ART/KEY/ (ART = sw_art_dir of the store): hw.ini; links to the
 * shared model in ART/models/HASH/ (model.qnn, its training log model.csv,
 * train.log, model.weights.csv); cost.json and sim.json (the documents of
 * `logiq cost` and `logiq sim --format json`, sweeps/results.h); codes.csv
 * and widths.csv (what the report shows of the model, so that it reads no
 * .qnn); with a [quantize] method, the model.qnn of its own, quantize.log
 * and links to the shared real-valued model in ART/fp/HASH/. Nothing of the
 * point's own is trusted from an earlier attempt: its model and documents
 * are removed first and written whole (temp + rename). A shared model is
 * trusted once it exists: it is written atomically and its reader checks
 * its CRC. Its training state (train.lqc) lives beside it and is removed
 * once the training is done.
 *
 * Never prints, never exits. */
#ifndef LOGIQ_SW_POINT_H
#define LOGIQ_SW_POINT_H

#include <stddef.h>

#include "sweeps/spec.h"
#include "sweeps/status.h"
#include "sweeps/store.h"

/* Reads and parses spec_path and expands its points (at most max_points),
 * judging each value as the commands would (quantizer specs, architecture
 * strings, hw.ini keys and base files); text is the spec's text (free()).
 * SW_ERR_SPEC with err naming the file, line and key. max_points < 0:
 * parsed only (a search visits the grid point by point), *pts NULL, *n 0. */
enum sw_status sw_spec_load(const char *spec_path, long max_points, struct sw_spec *s,
                            struct sw_point **pts, int *n, char **text, struct sw_error *err);

/* The folder of a store's per-point files: the store path without its .db
 * suffix, plus ".d" (quick.db -> quick.d). */
void sw_art_dir(const char *store, char *buf, size_t size);

/* The hash naming a point's training (its shared model's folder,
 * ART/models/HASH or ART/fp/HASH): equal for two points whose network,
 * training and seed parameters are equal, whatever their hardware's.
 * 0, or -1 when the training command is too long to name. */
int sw_point_train_hash(const struct sw_spec *s, const struct sw_point *p, char hash[17]);

/* How a point ran. */
struct sw_point_info {
    int trained;      /* 1: this point trained (or quantized) its shared model; 0: reused it */
};

/* Runs point p of spec s with its files in art/KEY/, the training child
 * being `self train ...` (self: the logiq executable). Fills r: status
 * SW_DONE with every figure, or SW_FAILED with the reason in r->error (a
 * training that fails, a design that cannot run the model, a simulation
 * that differs from the analytic cycle count). A simulation whose outputs
 * differ from the integer model is done, with sim_match 0. */
void sw_point_run(const struct sw_spec *s, const struct sw_point *p, const char *self,
                  const char *art, struct sw_result *r, struct sw_point_info *info);

/* ---- search over the points (sweeps/point_search.c) ---- */

/* A multi-objective search over a spec's grid, for grids too large or
 * points too expensive to run whole: pagmo2's NSGA-II (sweeps/search.h)
 * over the index vector of the axes with more than one value, minimizing
 * the integer model's test error (1 - acc_int), the gates, the energy per
 * inference and the latency. Each point the search visits runs as a sweep
 * point does (sw_point_run, its training budget the spec's) and is written
 * to the store; a point the store already holds, done or failed, is not run
 * again, so a search killed and started again with the same options
 * retraces its steps and goes on where it stopped. A failed point, or one
 * the filter drops, scores the worst value in every objective. */
struct sw_psearch_opts {
    int pop;              /* population: a multiple of 4, >= 8 */
    int gens;             /* generations; evaluations = pop x (gens + 1) */
    unsigned seed;
    const char *self;     /* the logiq executable (the training child) */
    const char *art;      /* the sweep's folder of per-point files */
};

struct sw_psearch_stats {
    long long evals;      /* the search's evaluations so far */
    int run;              /* distinct points run by this search */
    int reused;           /* distinct points found in the store */
    int failed;           /* distinct points failed or dropped by the filter */
    int front;            /* points on the front (done, not dominated) */
    double hv;            /* the front's hypervolume, 0..1: each objective scaled
                             to [0, 1] over the done points' range (0 where they
                             all agree), the reference point 1.1 in each, divided
                             by 1.1^4 */
};

/* Called after each point a search visits for the first time: r is its
 * result (run now, or as the store held it: reused). */
typedef void (*sw_psearch_progress_fn)(void *ctx, const struct sw_point *p,
                                       const struct sw_summary *r, int reused,
                                       const struct sw_psearch_stats *st);

enum sw_status sw_point_search(const struct sw_spec *s, struct sw_store *st,
                               const struct sw_psearch_opts *o, sw_psearch_progress_fn progress,
                               void *ctx, struct sw_psearch_stats *out, struct sw_error *err);

#endif

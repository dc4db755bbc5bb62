/* sweeps/results.h: what `logiq cost` and `logiq sim` report, for the
 * commands and the sweep point alike: the JSON documents they write
 * (docs/cost-models.md and docs/accelerator.md describe the fields; the
 * report reads a point's cost.json) and the simulation of a test set.
 *
 *     char *text = sw_cost_json(&design, "model.qnn", "hw.ini", &lib);
 *     sw_write_text(path, text, msg, sizeof msg);     // temp + rename
 *     free(text);
 *
 *     sim_open(&s, &q, &design, &net, &serr);
 *     struct sw_sim_result r;
 *     sw_sim_dataset(s, &test, &lib, progress, ctx, &r, &serr);
 *     text = sw_sim_json(sim_stats(s), sim_design(s), &r);
 *
 * Never prints, never exits. */
#ifndef LOGIQ_SW_RESULTS_H
#define LOGIQ_SW_RESULTS_H

#include <stddef.h>

#include "costmodels/cells.h"
#include "costmodels/design.h"
#include "costmodels/energy.h"
#include "nn/data.h"
#include "sim/sim.h"

/* The schema versions of the two documents: raised when a field changes
 * meaning or goes away (new fields keep the version). */
#define SW_COST_JSON_SCHEMA 1
#define SW_SIM_JSON_SCHEMA 1

/* "output", "score" or "prediction". */
const char *sw_mismatch_kind_name(enum sim_mismatch_kind k);

/* The cost document of design d (evaluated with lib) running the network
 * net_name, its hardware read from hw_name: the design's totals, per layer
 * cycles, operations and buffer traffic, per unit kind cells, gates and
 * leakage, the buffers, the operation energy and the merge path. A
 * NUL-terminated text ending in a newline, to free(); NULL when out of
 * memory. */
char *sw_cost_json(const struct cm_design *d, const char *net_name, const char *hw_name,
                   const struct cm_lib *lib);

/* What sw_sim_dataset measured beyond sim_stats. */
struct sw_sim_result {
    long long correct;                  /* predictions equal to the labels */
    struct cm_activity_energy energy;   /* per inference, from the simulated activity */
    int cycles_equal;                   /* every layer's simulated cycles equal
                                           the analytic count times the images */
};

/* Called after each batch of images: done of n simulated so far. */
typedef void (*sw_sim_progress_fn)(void *ctx, int done, int n, const struct sim_stats *st);

/* Runs the images of test through s (opened for their model), in batches,
 * calling progress (may be NULL) after each, closes the waveform if one is
 * written, and prices the activity with lib (the design's own library).
 * A mismatch with the golden model is a result (sim_stats), not an error.
 * SIM_OK, or the status of sim_run / sim_vcd_close with err set. */
enum sim_status sw_sim_dataset(struct sim *s, const struct nn_dataset *test,
                               const struct cm_lib *lib, sw_sim_progress_fn progress, void *ctx,
                               struct sw_sim_result *r, struct sim_error *err);

/* The simulation document: the images, the correct ones, whether every
 * output matched (and the first difference), the cycles per layer beside the
 * analytic count, the buffer traffic, the toggles, and the energy per
 * inference by activity beside the operation estimate of d. To free(); NULL
 * when out of memory. */
char *sw_sim_json(const struct sim_stats *st, const struct cm_design *d,
                  const struct sw_sim_result *r);

/* Writes text to path whole: to path.tmp.PID, then renamed. On failure
 * removes the temporary file, leaves path as it was, writes one line into
 * msg and returns -1. */
int sw_write_text(const char *path, const char *text, char *msg, size_t size);

#endif

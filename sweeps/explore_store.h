/* sweeps/explore_store.h: the exploration store: one SQLite file of the
 * sweep store's family (WAL, a schema version in PRAGMA user_version, and
 * PRAGMA application_id SW_XSTORE_APP_ID to tell it from a sweep store),
 * holding explorations (`logiq explore`) as runs: the run's settings and
 * figures (table `runs`), its space (`axes`) and the designs it evaluated
 * (`designs`, each with its values, objectives or reason, and whether it
 * is on the run's front). Schema: docs/explore.md.
 *
 * A run is written in one transaction: a store holds every run whole or
 * not at all, whatever stops the process.
 *
 *     struct sw_xrun r = {...};
 *     if (sw_xstore_put(path, &r, &ex, on_front, keep_all, &run_id, &err) != SW_OK) ...
 *
 * Memory: nothing is kept. */
#ifndef LOGIQ_SW_EXPLORE_STORE_H
#define LOGIQ_SW_EXPLORE_STORE_H

#include "sweeps/explore.h"
#include "sweeps/status.h"

#define SW_XSTORE_VERSION 1
#define SW_XSTORE_APP_ID 0x6c717865  /* "lqxe" */

/* A run's settings and figures (NAN: not measured). */
struct sw_xrun {
    const char *network;      /* the model path or --arch */
    const char *hw_base;      /* the --hw path, "" for the built-in design */
    const char *space_path;
    const char *space_text;
    const char *method;       /* "grid" or "nsga2" */
    long long seed;           /* nsga2 */
    int pop, gens;            /* nsga2 */
    int complete;             /* 0: stopped early (Ctrl-C) */
    double wall_s;
    double hv;                /* the front's normalized hypervolume */
    const double *ideal, *nadir;  /* its normalization (SW_N_OBJ each) */
    double hv_share;          /* of the exhaustive front's (compared runs), else NAN */
    long long evals_to_95;    /* evaluations until 95 % of it, -1 never, 0 not measured */
};

/* Appends the run and its designs (all evaluated with keep_all, else the
 * front's only) to the store at path (created when missing); *run_id is
 * the run's row. SW_ERR_FORMAT for a file that is not an exploration store
 * of this version, SW_ERR_IO for a write that failed (nothing written). */
enum sw_status sw_xstore_put(const char *path, const struct sw_xrun *r,
                             const struct sw_explorer *ex, const unsigned char *on_front,
                             int keep_all, long long *run_id, struct sw_error *err);

/* The store's one reader (sweeps/xstore_read.c). */
/* 1 when path is an SQLite file with the exploration store's application
 * id, else 0 (also for a file that cannot be read). */
int sw_xstore_is(const char *path);
/* One stored feasible design of a run. */
struct sw_xdesign {
    long long design;
    int on_front;
    double gates_nand2, energy_pj, latency_us, area_um2;
    char point[512];          /* its hw.ini values, as stored */
};
/* Run run (<= 0: the last one) of the store at path: its row and method,
 * and its feasible designs ordered by number (*designs malloc'ed: free).
 * SW_ERR_FORMAT for a missing run or a file that is not an exploration
 * store of this version. */
enum sw_status sw_xstore_read(const char *path, long long run, long long *run_id,
                              char method[16], struct sw_xdesign **designs, int *n,
                              struct sw_error *err);

#endif

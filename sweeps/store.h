/* sweeps/store.h: the result store: one SQLite file per sweep.
 *
 * One row per design point (table `points`, key = the point's key) with
 * every parameter, the status (done or failed), the error text of a failed
 * point and every figure; the gates of each unit kind in `point_units`, the
 * long form of every parameter (hw overrides included) in `point_params`,
 * and the sweep's spec in `meta`. The schema is in docs/sweeps.md and its
 * version in PRAGMA user_version (SW_STORE_VERSION).
 *
 * A point is written in one transaction (the row and its children), in WAL
 * mode with a busy timeout, so several processes may write one store and a
 * process killed at any moment leaves either the whole point or nothing.
 *
 *     struct sw_store *st;
 *     if (sw_store_open(&st, "quick.db", SW_STORE_CREATE, &err) != SW_OK) ... err.msg
 *     struct sw_result r;
 *     sw_result_init(&r);  r.status = SW_DONE;  r.f.acc_int = 0.83; ...
 *     sw_store_put(st, &spec, &point, &r, SW_PUT_REPLACE, &err);
 *     sw_store_close(st);
 *
 * Memory: the store handle owns its SQLite connection; sw_store_summaries
 * allocates the array it returns (free()), sw_store_rows its rows
 * (sw_rows_free). */
#ifndef LOGIQ_SW_STORE_H
#define LOGIQ_SW_STORE_H

#include "sweeps/spec.h"
#include "sweeps/status.h"

#define SW_STORE_VERSION 9
#define SW_MAX_UNITS 32

enum sw_state { SW_STATE_NONE = 0, SW_DONE = 1, SW_FAILED = 2 };

struct sw_unit_cost {
    char unit[32];        /* a cost-model unit kind: "popcount", "merge", ... */
    double nand2_eq;
    double area_um2;
};

/* The measured figures of a point. NAN (or -1 for sim_match, "" for text)
 * is stored as NULL: not measured. */
struct sw_figures {
    double acc_int, acc_float;      /* test accuracy of the integer / float model, 0..1 */
    double acc_sim;                 /* simulated accuracy (sim/), 0..1 */
    double acc_sim_images;          /* the test images it was measured on */
    int sim_match;                  /* 1 when the simulator matched the integer model bit for bit */
    double cycles, latency_us;
    double gates_nand2;             /* logic total, NAND2 equivalents */
    double logic_area_um2, sram_area_um2, area_um2;
    double energy_op_pj;            /* operation-based energy per inference */
    double energy_act_pj;           /* activity-based (sim/) */
    char merge_kind[16];
    double merge_nand2, merge_area_um2, skip_bits, merge_energy_pj;
    char hw_name[64], hw_adder[32];
    double hw_pe_rows, hw_lanes, hw_clock_mhz;
    double fmax_mhz;                /* the design's fmax (its critical path) */
    char critical_stage[16];        /* the pipeline stage that sets it */
    double train_s;                 /* training (logiq train's own figure) */
    double wall_s;                  /* the whole point, train + export + cost */
    char model_path[4096], cost_path[4096], log_path[4096];
    int n_units;
    struct sw_unit_cost unit[SW_MAX_UNITS];
};

struct sw_result {
    enum sw_state status;           /* SW_DONE or SW_FAILED */
    char error[1024];               /* a failed point's reason */
    char host[64];
    struct sw_figures f;
};

/* Everything not measured: NAN, -1, "". */
void sw_result_init(struct sw_result *r);

struct sw_store;

/* CREATE: read-write, created if absent; EXISTING: read-write, an older
 * schema upgraded in place; READ: read-only (a sweep may still be writing
 * it; a store in a folder that cannot be written is opened immutable), its
 * version must be SW_STORE_VERSION. */
enum sw_open { SW_STORE_CREATE, SW_STORE_EXISTING, SW_STORE_READ };
enum sw_put {
    SW_PUT_REPLACE,       /* the point's new result, whatever was there */
    SW_PUT_UNLESS_DONE,   /* a failure recorded by a supervisor: never over a done row */
};

enum sw_status sw_store_open(struct sw_store **st, const char *path, enum sw_open mode,
                             struct sw_error *err);
void sw_store_close(struct sw_store *st);
enum sw_status sw_store_meta_set(struct sw_store *st, const char *name, const char *value,
                                 struct sw_error *err);
/* *value (malloc'ed) is NULL when name is not set. */
enum sw_status sw_store_meta_get(struct sw_store *st, const char *name, char **value,
                                 struct sw_error *err);
enum sw_status sw_store_state(struct sw_store *st, const char *key, enum sw_state *state,
                              struct sw_error *err);
/* Writes a point's row, units and parameters in one transaction. */
enum sw_status sw_store_put(struct sw_store *st, const struct sw_spec *s,
                            const struct sw_point *p, const struct sw_result *r,
                            enum sw_put mode, struct sw_error *err);
/* Folds a shard (a store of the same version, e.g. one Slurm task's) into
 * this one, one transaction; a failed row never replaces a done one. */
enum sw_status sw_store_merge(struct sw_store *st, const char *shard_path, int *n_rows,
                              struct sw_error *err);

/* One point as the store holds it: the one reader of the store's rows
 * (the report's). */
struct sw_row {
    char key[SW_KEY_LEN + 1];
    enum sw_state status;
    char *error;             /* a failed point's reason ("" when none recorded) */
    char arch_eff[256];
    char merge[16];          /* its [network] merge parameter ("" when none) */
    struct sw_figures f;     /* NULL: NAN, -1 or ""; f.unit: point_units, by unit */
    char *kv;                /* point_params: "name\0value\0" pairs by name, then "\0" */
};
/* Every point, ordered by key. Memory: sw_rows_free. */
enum sw_status sw_store_rows(struct sw_store *st, struct sw_row **rows, int *n,
                             struct sw_error *err);
void sw_rows_free(struct sw_row *rows, int n);

/* The figures the CLI shows (Pareto fronts, time estimates). */
struct sw_summary {
    char key[SW_KEY_LEN + 1];
    enum sw_state status;
    double acc_int, gates_nand2, energy_op_pj, latency_us, wall_s;
    char label[256];    /* arch_eff wq aq seed, for tables */
};
enum sw_status sw_store_summaries(struct sw_store *st, struct sw_summary **rows, int *n,
                                  struct sw_error *err);

#endif

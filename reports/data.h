/* reports/data.h: what a report reads: a sweep's result store, through the
 * store's one reader (sw_store_open SW_STORE_READ, sw_store_rows), and the
 * files its rows point at (each point's training CSV log, the files beside
 * its model, its cost JSON).
 *
 * The store is opened read-only (a sweep may still be writing it) and must
 * be a logiq result store of version SW_STORE_VERSION (docs/sweeps.md).
 * Figures that the store holds as NULL stay NAN here: never zeros. A failed
 * point keeps its parameters and its reason; the report never plots it.
 *
 *     struct rp_data d;
 *     if (rp_data_load(&d, "quick.db", &err) != RP_OK) ... err.msg
 *     for (int i = 0; i < d.n; i++) d.pts[i].acc_int ...
 *     rp_data_free(&d);
 *
 * The paths in a row are as the sweep wrote them (relative to where it ran);
 * rp_data_load resolves each to a readable file: as stored, else relative
 * to the store's folder, else at the usual place (STEM.d/KEY/NAME beside the
 * store), so a store moved with its folder still finds its files; "" when
 * none is readable.
 *
 * Memory: rp_data_load allocates the points, the parameter table and the
 * texts; rp_data_free releases them and zeroes the struct. rp_trainlog_read
 * allocates the log (rp_trainlog_free). */
#ifndef LOGIQ_RP_DATA_H
#define LOGIQ_RP_DATA_H

#include "reports/status.h"
#include "sweeps/store.h"

#define RP_KEY_LEN 16

struct rp_unit {
    char unit[32];        /* a cost-model unit kind: "popcount", "merge", ... */
    double nand2_eq, area_um2;
};

/* One row of `points`, with its units. */
struct rp_point {
    char key[RP_KEY_LEN + 1];
    enum sw_state status;
    char *error;                  /* a failed point's reason ("" when done) */
    char arch_eff[256];
    char merge[16];               /* the design's merge unit (merge_kind), else the parameter;
                                     add-shift: add on the shift requantizer */
    char label[256];              /* the values of the parameters that vary, merge and
                                     key aside: "wq=bin aq=1"; "" when only merge varies */
    double acc_int, acc_float;    /* 0..1 */
    double acc_sim;               /* 0..1, the simulated accelerator's (NAN: not simulated) */
    double acc_sim_images;        /* the test images acc_sim covers (NAN: not simulated) */
    double sim_match;             /* 1 bit-exact with the integer model, 0 not, NAN not simulated */
    double energy_act_pj;         /* activity-based energy per inference (NAN: not simulated) */
    double gates_nand2, energy_op_pj, latency_us, area_um2, cycles;
    double merge_nand2, merge_energy_pj;
    double train_s, wall_s;
    char model_path[4096], log_path[4096], cost_path[4096];  /* resolved, "" = none */
    int n_units;
    struct rp_unit unit[SW_MAX_UNITS];
    char *kv;                     /* point_params: "name\0value\0" pairs, then "\0" */
};

/* A full-precision reference point (sweeps/point.h): done, trained only,
 * with the float model's accuracy and no integer model or hardware figure. */
int rp_point_is_reference(const struct rp_point *p);

/* One parameter of the sweep and the distinct values its points took, in
 * order of first appearance. */
struct rp_param {
    char name[96];
    int n_values;
    char **values;
};

struct rp_data {
    char store_path[4096];
    char sweep[128], created_at[32];
    char *spec_path, *spec_text;  /* meta; "" when absent */
    int n, n_done, n_failed;
    struct rp_point *pts;         /* [n], ordered by key */
    int n_params;
    struct rp_param *params;      /* [n_params], ordered by name */
};

enum rp_status rp_data_load(struct rp_data *d, const char *store_path, struct rp_error *err);
void rp_data_free(struct rp_data *d);

/* A point's value of a parameter (merge, wq, hw.array.pe_rows ...), or NULL. */
const char *rp_point_param(const struct rp_data *d, int point, const char *name);
/* The most layers a point's files describe (a .qnn's bound). */
#define RP_MAX_LAYERS 256
/* The path of a file its sweep point wrote beside its model (codes.csv,
 * widths.csv, model.weights.csv: docs/sweeps.md), in the model's folder as
 * the store names it (resolved like model_path). Returns 1, or 0 when the
 * point has no model. */
int rp_point_file(const struct rp_point *p, const char *name, char *path, size_t size);

/* A training log (docs/training-log.md): named numeric columns, one row an
 * epoch. An empty field or a non-number is NAN; so is test_acc's -1 ("not
 * evaluated"). */
struct rp_trainlog {
    int n_cols, n_rows;
    char **cols;                  /* [n_cols] header names */
    double *v;                    /* [n_rows][n_cols] */
};

enum rp_status rp_trainlog_read(struct rp_trainlog *t, const char *path, struct rp_error *err);
void rp_trainlog_free(struct rp_trainlog *t);
/* The column of a name, or -1. */
int rp_trainlog_col(const struct rp_trainlog *t, const char *name);

/* The energy per inference of a point by where it goes, from its cost JSON
 * (`energy_pj` operations and leakage, `buffers` SRAM accesses): up to
 * RP_MAX_PARTS named parts, pJ, summing to the total. */
#define RP_MAX_PARTS 24
struct rp_energy {
    int n;
    char name[RP_MAX_PARTS][32];
    double pj[RP_MAX_PARTS];
    double total_pj;
};
enum rp_status rp_energy_read(struct rp_energy *e, const char *cost_json_path,
                              struct rp_error *err);

/* The merge path of a point's cost JSON by part (merge_path.parts: adder,
 * requantizer, skip, select, extra_cycles): gates and energy per inference.
 * n = 0 for a cost JSON written before the parts existed. */
enum { RP_MAX_MERGE_PARTS = 8 };
struct rp_merge_parts {
    int n;
    char name[RP_MAX_MERGE_PARTS][32];
    double nand2[RP_MAX_MERGE_PARTS], pj[RP_MAX_MERGE_PARTS];
};
enum rp_status rp_merge_parts_read(struct rp_merge_parts *m, const char *cost_json_path,
                                   struct rp_error *err);

#endif

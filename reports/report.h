/* reports/report.h: `logiq report`: the figures, index.html and report.md of
 * a sweep, from its result store alone (and the files its rows point at).
 *
 * Into the output folder it writes, for every figure NAME, NAME.png and
 * NAME.svg (drawn by gnuplot, run as a child process), NAME.csv (the data
 * behind it) and NAME.gp (the script that drew it, to restyle and rerun
 * there); points.csv (every point, failed ones with their reason);
 * index.html (every figure, the best points, the failed points, the sweep's
 * parameters) and report.md (the same, for a repository).
 *
 * Figures: accuracy of the integer model against gates, energy per
 * inference and latency (one colour and marker per merge kind, the Pareto
 * front marked); gates per unit kind and energy by where it goes, per
 * design point (stacked bars); the test accuracy of every point per epoch;
 * per point, its training curves, its step sizes and level shares per layer
 * and epoch (from its training log), and the histogram of its integer
 * weight codes per layer (from its .qnn). Failed points are listed with
 * their reason and never plotted; a figure not measured is left out, never
 * drawn as zero.
 *
 *     struct rp_options o = {.store_path = "quick.db", .out_dir = "report/",
 *                            .gnuplot = "gnuplot", .n_best = 10};
 *     struct rp_report r;
 *     if (rp_report_write(&r, &o, &err) != RP_OK) ... err.msg
 *     ... r.n_figs, r.notes (what could not be drawn, and why)
 *     rp_report_free(&r);
 *
 * Memory: rp_report_write fills r (the store's data, the fronts, the
 * figures and notes); rp_report_free releases it, also after a failure. */
#ifndef LOGIQ_RP_REPORT_H
#define LOGIQ_RP_REPORT_H

#include "reports/claims.h"
#include "reports/data.h"
#include "reports/status.h"

struct rp_options {
    const char *store_path;
    const char *out_dir;    /* created if missing (one level) */
    const char *gnuplot;    /* a path or a name on PATH; NULL = "gnuplot" */
    int n_best;             /* rows of the best-points table; <= 0: 10 */
    const char *claims_path; /* a claims file (claims.h): the reproduction section; NULL none */
};

/* The objectives traded against accuracy. */
enum rp_obj { RP_OBJ_GATES, RP_OBJ_ENERGY, RP_OBJ_LATENCY, RP_N_OBJ };

enum rp_section {
    RP_SEC_TRADEOFF,   /* accuracy vs cost */
    RP_SEC_COST,       /* cost breakdowns */
    RP_SEC_TRAINING,   /* training curves, step sizes, level shares */
    RP_SEC_WEIGHTS,    /* weight histograms */
    RP_SEC_CLAIMS,     /* the papers' claims against the measurements */
};

struct rp_figure {
    char name[64];          /* NAME.png, .svg, .csv, .gp in the output folder */
    char title[256];
    char caption[1024];
    enum rp_section section;
    int point;              /* the point of a per-point figure, -1 for the sweep's */
    int n_rows;             /* data rows of NAME.csv */
};

struct rp_report {
    struct rp_data data;
    unsigned char *front[RP_N_OBJ];  /* [data.n]: 1 when on the front of accuracy vs the objective */
    int n_figs, cap_figs;
    struct rp_figure *figs;
    int n_notes, cap_notes;
    char (*notes)[512];              /* what could not be drawn, and why */
    struct rp_claims *claims;        /* NULL without a claims file */
    struct rp_claim_result *claim_res;  /* [claims->n] */
    int *claim_fig;                  /* [claims->n]: the claim's figure in figs, or -1 */
};

enum rp_status rp_report_write(struct rp_report *r, const struct rp_options *o,
                               struct rp_error *err);
void rp_report_free(struct rp_report *r);

/* Adds a note (for the pages and the CLI). Returns -1 when out of memory. */
int rp_report_note(struct rp_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What an objective is called: "gates", "energy", "latency"; its value of a
 * point (NAN when not measured). */
const char *rp_obj_name(enum rp_obj k);
double rp_obj_value(const struct rp_point *p, enum rp_obj k);

#endif

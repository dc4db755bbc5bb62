/* reports/claims.h: the seed papers' claims, checked against a sweep's
 * measurements (the reproduction page of `logiq report --claims FILE`).
 *
 * A claims file (reports/claims.ini; docs/reproduction.md) has one section
 * per claim:
 *
 *     [heq-ternary]
 *     paper  = HEQ (papers.md 1e)
 *     claim  = HEQ's ternary weights train to higher accuracy than TWN's ...
 *     source = the abstract [A]; its tables are not available [NF]
 *     where  = aq == 1 && width == 0.5        ; which points (a sweep filter)
 *     vary   = wq                             ; the parameter compared
 *     expect = heq:3 > twn, heq:3 > uniform:2 ; relations between its values
 *                                             ; (x > fp - 1: x at most 1 point below fp)
 *     with   = sinareq_lb                     ; optional: parameters set with vary
 *     across = width                          ; optional: one comparison per value
 *     trend  = decreasing                     ; optional: see below
 *     metric = acc_int                        ; acc_int (default), acc_float, acc_sim,
 *                                             ; gates_nand2, energy_op_pj, latency_us,
 *                                             ; area_um2 (struct rp_metric)
 *
 * A cell is the done points that pass `where` with one value of `vary` (and
 * of `across`): the seeds of one configuration. Its metric (in percent)
 * gives mean, sample standard deviation and n. Every point a claim uses
 * must have the same parameters apart from seed, vary, with and across (the same
 * network within each comparison); otherwise the claim is not evaluated and
 * its problem names the parameter that differs.
 *
 * A relation "A > B" compares two cells: d = mean_A - mean_B, its standard
 * error se = sqrt(sd_A^2/n_A + sd_B^2/n_B). It agrees when d > 2 se,
 * disagrees when d < -2 se, and is within the spread otherwise. "A > B - M"
 * (M a number of points: A is not more than M below B, a non-inferiority
 * margin) does the same with d + M, d itself being reported; with fewer
 * than 2 seeds in either cell there is no spread and no verdict. With
 * `trend = decreasing` (or `increasing`) the claim also says that the first
 * relation's gap d grows as the `across` value decreases (increases): the
 * gap at the value it should be largest minus the gap at the other end,
 * with the same 2 se rule. A claim agrees when every verdict agrees,
 * disagrees when any disagrees, and is inconclusive otherwise.
 *
 * Memory: everything is in the structs (fixed sizes); nothing to free. */
#ifndef LOGIQ_RP_CLAIMS_H
#define LOGIQ_RP_CLAIMS_H

#include <stddef.h>

#include "reports/data.h"
#include "reports/status.h"

#define RP_MAX_CLAIMS 32
#define RP_MAX_VALUES 8   /* values of vary a claim names */
#define RP_MAX_RELS 8
#define RP_MAX_ACROSS 8

struct rp_claim {
    char id[64];             /* the section's name */
    int line;                /* where the section starts */
    char paper[128], claim[1024], source[256];
    char where[512];         /* a sweep filter; "" = every point */
    char vary[96];
    int n_values;
    char values[RP_MAX_VALUES][64];  /* "-": the parameter not given */
    int n_rels;
    struct { int a, b; double margin; } rel[RP_MAX_RELS];  /* values[a] > values[b] - margin
                                                             (points; 0: plain) */
    char with[256];          /* parameters set together with vary (a setting of the compared
                                method), "a, b"; they may differ too; "" = none */
    char across[96];         /* "" = none */
    int trend;               /* 0, -1 decreasing, +1 increasing */
    char metric[16];         /* a name of rp_metric_find: acc_int (default) ... */
};

/* What a claim compares: a point's value (reports/data.h) in the unit its
 * relations and margins are stated in. Accuracies are in percent; the
 * hardware figures (gates, energy, latency, area) in their own units, the
 * same for every seed of a configuration (the network's shape fixes them),
 * so their spread is 0 and a relation's verdict is the sign of its
 * difference. */
struct rp_metric {
    const char *name;        /* as in `metric =` and the store's column */
    const char *unit;        /* "%", "NAND2", "pJ", "us", "um^2" */
    const char *what;        /* "the integer model's test accuracy" */
    double scale;            /* unit per stored value: 100 for the accuracies */
    int percent;             /* 1: an accuracy in percent (differences in points) */
};
/* The metric of that name, or NULL. */
const struct rp_metric *rp_metric_find(const char *name);
/* A claim's metric: its `metric`, acc_int when not set. */
const struct rp_metric *rp_claim_metric(const struct rp_claim *c);
/* "acc_int, acc_float, ...": the names, for messages. */
const char *rp_metric_names(void);

struct rp_claims {
    char path[4096];
    int n;
    struct rp_claim c[RP_MAX_CLAIMS];
};

/* Reads a claims file. Errors name the file, the line and the key. */
enum rp_status rp_claims_load(struct rp_claims *cl, const char *path, struct rp_error *err);

enum rp_verdict {
    RP_V_NONE = 0,       /* not measured, or one seed: no verdict */
    RP_V_AGREES,
    RP_V_DISAGREES,
    RP_V_SPREAD,         /* within the spread */
};
const char *rp_verdict_name(enum rp_verdict v);

struct rp_cell {
    int n;                   /* seeds measured */
    double mean, sd;         /* in the metric's unit; sd NAN with n < 2 */
};

struct rp_rel_result {
    double diff, se;         /* the metric's unit; se NAN with fewer than 2 seeds a side */
    enum rp_verdict v;
};

struct rp_claim_result {
    char problem[512];       /* why the claim could not be evaluated; "" = evaluated */
    int n_across;            /* 1 when the claim has no across */
    char across_vals[RP_MAX_ACROSS][64];
    struct rp_cell cell[RP_MAX_ACROSS][RP_MAX_VALUES];
    struct rp_rel_result rel[RP_MAX_ACROSS][RP_MAX_RELS];
    struct rp_rel_result trend;   /* the gap's growth, when the claim has a trend */
    enum rp_verdict verdict;
    int n_points;            /* points used */
};

/* Evaluates one claim on a store's points. Returns 0, or -1 when out of
 * memory; a claim that cannot be evaluated sets res->problem. */
int rp_claim_eval(const struct rp_data *d, const struct rp_claim *c, struct rp_claim_result *res);

#endif

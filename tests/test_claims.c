/* tests/test_claims.c: the reproduction section's claims (reports/claims.h):
 * the claims file's parser and its errors, and the evaluation of a claim on
 * points built in memory: cell means and sample standard deviations, the
 * 2-standard-error verdicts (agrees, disagrees, within the spread, no verdict
 * with one seed), `none` for a parameter not given, the numeric order of an
 * `across` parameter, the trend, and the refusal of points that differ in
 * anything but the seed and the compared parameters.
 *
 * Tolerance policy: means and deviations are compared to 1e-9 against the
 * closed forms of the few values each cell holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/claims.h"
#include "tests/testutil.h"

/* Adds a done point whose parameters are "name=value name=value ...". */
static void add_point(struct rp_data *d, const char *params, double acc)
{
    d->pts = realloc(d->pts, (size_t)(d->n + 1) * sizeof *d->pts);
    struct rp_point *p = &d->pts[d->n];
    memset(p, 0, sizeof *p);
    snprintf(p->key, sizeof p->key, "%016x", d->n);
    p->status = SW_DONE;
    p->acc_int = acc;
    p->acc_float = p->acc_sim = NAN;
    size_t len = strlen(params);
    p->kv = calloc(len + 3, 1);
    char *o = p->kv;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", params);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(t, '=');
        *eq = 0;
        o += sprintf(o, "%s", t) + 1;
        o += sprintf(o, "%s", eq + 1) + 1;
        /* the parameter list */
        int k;
        for (k = 0; k < d->n_params; k++)
            if (strcmp(d->params[k].name, t) == 0)
                break;
        if (k == d->n_params) {
            d->params = realloc(d->params, (size_t)(d->n_params + 1) * sizeof *d->params);
            memset(&d->params[k], 0, sizeof d->params[k]);
            snprintf(d->params[k].name, sizeof d->params[k].name, "%s", t);
            d->n_params++;
        }
    }
    *o = 0;
    d->n++;
    d->n_done++;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void test_parse(void)
{
    char path[512];
    tu_scratch_path(path, sizeof path, "claims.ini");
    struct rp_claims cl;
    struct rp_error err;
    write_file(path, "; a comment\n[a]\npaper = P\nclaim = X beats Y\nvary = wq\n"
                     "expect = x > y, x > z   ; two relations\nacross = width\n"
                     "trend = decreasing\nwhere = aq == 1\n");
    TU_CHECK(rp_claims_load(&cl, path, &err) == RP_OK, "load: %s", err.msg);
    TU_CHECK(cl.n == 1 && cl.c[0].n_values == 3 && cl.c[0].n_rels == 2 &&
                 cl.c[0].rel[1].a == 0 && cl.c[0].rel[1].b == 2 && cl.c[0].trend == -1 &&
                 strcmp(cl.c[0].metric, "acc_int") == 0 && strcmp(cl.c[0].where, "aq == 1") == 0,
             "parsed: %d values, %d relations", cl.c[0].n_values, cl.c[0].n_rels);

    static const struct { const char *text, *want; } bad[] = {
        {"[a]\npaper = P\nclaim = C\nvary = wq\nexpect = x >\n", ":5: [a] expect"},
        {"[a]\npaper = P\nclaim = C\nvary = wq\nexpect = x > y\ncolour = red\n",
         ":6: [a] colour: unknown key"},
        {"[a]\npaper = P\nclaim = C\nvary = wq\nexpect = x > y\nwhere = aq ==\n", ":6: [a] where"},
        {"[a]\npaper = P\nclaim = C\nexpect = x > y\n", "[a]: no vary"},
        {"[a]\npaper = P\nclaim = C\nvary = wq\nexpect = x > y\ntrend = decreasing\n",
         "[a] trend: needs across"},
        {"[a]\npaper = P\nclaim = C\nvary = wq\nexpect = x > y\nmetric = loss\n",
         ":6: [a] metric"},
        {"paper = P\n", ":1: paper: a key before"},
        {"", "no claims"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i].text);
        enum rp_status s = rp_claims_load(&cl, path, &err);
        TU_CHECK(s == RP_ERR_ARG && strstr(err.msg, bad[i].want) && strstr(err.msg, path),
                 "bad claims file %zu: \"%s\" (want \"%s\")", i, err.msg, bad[i].want);
    }
    /* a margin */
    write_file(path, "[m]\npaper = P\nclaim = C\nvary = wq\n"
                     "expect = dorefa:5 > fp - 1.5, convnet-a > convnet-b\n");
    TU_CHECK(rp_claims_load(&cl, path, &err) == RP_OK && cl.c[0].n_rels == 2 &&
                 cl.c[0].rel[0].margin == 1.5 && strcmp(cl.c[0].values[1], "fp") == 0 &&
                 cl.c[0].rel[1].margin == 0.0 && strcmp(cl.c[0].values[3], "convnet-b") == 0,
             "a margin: %s (margin %g, value '%s')", err.msg, cl.c[0].rel[0].margin,
             cl.c[0].values[1]);
    static const char *const bad_margin[] = {"x > y - ", "x > y - -1", "x > y - 1 2",
                                             "x > y - one"};
    for (size_t i = 0; i < sizeof bad_margin / sizeof bad_margin[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[m]\npaper = P\nclaim = C\nvary = wq\nexpect = %s\n",
                 bad_margin[i]);
        write_file(path, text);
        TU_CHECK(rp_claims_load(&cl, path, &err) == RP_ERR_ARG &&
                     strstr(err.msg, ":5: [m] expect") && strstr(err.msg, "MARGIN"),
                 "bad margin '%s': %s", bad_margin[i], err.msg);
    }
    TU_CHECK(rp_claims_load(&cl, "/nonexistent/c.ini", &err) == RP_ERR_ARG &&
                 strstr(err.msg, "/nonexistent/c.ini"),
             "missing file: %s", err.msg);
    remove(path);
    /* not a regular file: refused at once (a FIFO without a writer hung,
     * /dev/zero never ended, a folder read as an empty file) */
    TU_CHECK(rp_claims_load(&cl, "/dev/zero", &err) == RP_ERR_ARG &&
                 strstr(err.msg, "/dev/zero: a device, not a regular file"),
             "/dev/zero: %s", err.msg);
    TU_CHECK(rp_claims_load(&cl, "/", &err) == RP_ERR_ARG &&
                 strstr(err.msg, "/: a folder, not a regular file"),
             "a folder: %s", err.msg);
    TU_CHECK(mkfifo(path, 0600) == 0, "mkfifo %s", path);
    TU_CHECK(rp_claims_load(&cl, path, &err) == RP_ERR_ARG &&
                 strstr(err.msg, "a FIFO, not a regular file"),
             "a FIFO: %s", err.msg);
    remove(path);
}

static struct rp_claim claim(const char *vary, const char *a, const char *b, const char *across,
                             int trend)
{
    struct rp_claim c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "t");
    snprintf(c.vary, sizeof c.vary, "%s", vary);
    snprintf(c.values[0], sizeof c.values[0], "%s", a);
    snprintf(c.values[1], sizeof c.values[1], "%s", b);
    c.n_values = 2;
    c.n_rels = 1;
    c.rel[0].a = 0;
    c.rel[0].b = 1;
    snprintf(c.across, sizeof c.across, "%s", across);
    c.trend = trend;
    snprintf(c.metric, sizeof c.metric, "acc_int");
    return c;
}

static void test_eval(void)
{
    struct rp_data d;
    struct rp_claim_result r;
    /* x: 80, 82, 84 (mean 82, sd 2); y: 70, 71, 72 (mean 71, sd 1): agrees */
    memset(&d, 0, sizeof d);
    const double xs[3] = {0.80, 0.82, 0.84}, ys[3] = {0.70, 0.71, 0.72};
    char p[128];
    for (int s = 0; s < 3; s++) {
        snprintf(p, sizeof p, "wq=x seed=%d aq=1", s + 1);
        add_point(&d, p, xs[s]);
        snprintf(p, sizeof p, "wq=y seed=%d aq=1", s + 1);
        add_point(&d, p, ys[s]);
    }
    add_point(&d, "wq=x seed=1 aq=2", 0.10);  /* another network: filtered out below */
    struct rp_claim c = claim("wq", "x", "y", "", 0);
    snprintf(c.where, sizeof c.where, "aq == 1");
    TU_CHECK(rp_claim_eval(&d, &c, &r) == 0 && !r.problem[0], "eval: %s", r.problem);
    TU_CHECK(r.cell[0][0].n == 3 && fabs(r.cell[0][0].mean - 82.0) < 1e-9 &&
                 fabs(r.cell[0][0].sd - 2.0) < 1e-9 && fabs(r.cell[0][1].mean - 71.0) < 1e-9 &&
                 fabs(r.cell[0][1].sd - 1.0) < 1e-9,
             "cells: %g +- %g, %g +- %g", r.cell[0][0].mean, r.cell[0][0].sd, r.cell[0][1].mean,
             r.cell[0][1].sd);
    double se = sqrt(4.0 / 3 + 1.0 / 3);
    TU_CHECK(fabs(r.rel[0][0].diff - 11.0) < 1e-9 && fabs(r.rel[0][0].se - se) < 1e-9 &&
                 r.rel[0][0].v == RP_V_AGREES && r.verdict == RP_V_AGREES && r.n_points == 6,
             "x > y agrees: %+g +- %g", r.rel[0][0].diff, r.rel[0][0].se);
    /* the other way round disagrees */
    c = claim("wq", "y", "x", "", 0);
    snprintf(c.where, sizeof c.where, "aq == 1");
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.rel[0][0].v == RP_V_DISAGREES && r.verdict == RP_V_DISAGREES, "y > x disagrees");
    /* without the filter, the aq = 2 point makes the comparison unfair */
    c = claim("wq", "x", "y", "", 0);
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(strstr(r.problem, "differ in aq") != NULL, "different networks refused: %s",
             r.problem);
    /* unless aq is named as set together with the compared parameter */
    snprintf(c.with, sizeof c.with, "lr, aq");
    TU_CHECK(rp_claim_eval(&d, &c, &r) == 0 && !r.problem[0] && r.n_points == 7,
             "with = aq: %s (%d points)", r.problem, r.n_points);
    rp_data_free(&d);

    /* within the spread: x 80, 90; y 84, 85 */
    memset(&d, 0, sizeof d);
    add_point(&d, "wq=x seed=1", 0.80);
    add_point(&d, "wq=x seed=2", 0.90);
    add_point(&d, "wq=y seed=1", 0.84);
    add_point(&d, "wq=y seed=2", 0.85);
    c = claim("wq", "x", "y", "", 0);
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.rel[0][0].v == RP_V_SPREAD && r.verdict == RP_V_SPREAD, "within the spread: %s",
             rp_verdict_name(r.verdict));
    rp_data_free(&d);

    /* a margin: x (80, 90, 85) against y (84, 85, 86), both mean 85,
     * "x > y - 10" agrees (d + 10 > 2 se), "y > x - 0.1" is within the spread */
    memset(&d, 0, sizeof d);
    add_point(&d, "wq=x seed=1", 0.80);
    add_point(&d, "wq=x seed=2", 0.90);
    add_point(&d, "wq=x seed=3", 0.85);
    add_point(&d, "wq=y seed=1", 0.84);
    add_point(&d, "wq=y seed=2", 0.85);
    add_point(&d, "wq=y seed=3", 0.86);
    c = claim("wq", "x", "y", "", 0);
    c.rel[0].margin = 10.0;
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(fabs(r.rel[0][0].diff - 0.0) < 1e-9 && r.rel[0][0].v == RP_V_AGREES &&
                 r.verdict == RP_V_AGREES,
             "x > y - 10 agrees: d %+g (%s)", r.rel[0][0].diff, rp_verdict_name(r.verdict));
    c = claim("wq", "x", "y", "", 0);
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.verdict == RP_V_SPREAD, "without the margin: %s", rp_verdict_name(r.verdict));
    /* x 80, 80.5, 81 against y 90, 90.5, 91: 9.5 points below; margin 1 disagrees */
    rp_data_free(&d);
    memset(&d, 0, sizeof d);
    for (int s = 0; s < 3; s++) {
        snprintf(p, sizeof p, "wq=x seed=%d", s + 1);
        add_point(&d, p, 0.80 + 0.005 * s);
        snprintf(p, sizeof p, "wq=y seed=%d", s + 1);
        add_point(&d, p, 0.90 + 0.005 * s);
    }
    c = claim("wq", "x", "y", "", 0);
    c.rel[0].margin = 1.0;
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(fabs(r.rel[0][0].diff + 10.0) < 1e-6 && r.verdict == RP_V_DISAGREES,
             "x > y - 1, 10 points below: %+g (%s)", r.rel[0][0].diff,
             rp_verdict_name(r.verdict));
    c.rel[0].margin = 20.0;
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.verdict == RP_V_AGREES, "x > y - 20: %s", rp_verdict_name(r.verdict));
    rp_data_free(&d);
    c = claim("wq", "x", "y", "", 0);

    /* one seed: a difference, no verdict */
    memset(&d, 0, sizeof d);
    add_point(&d, "wq=x seed=1", 0.80);
    add_point(&d, "wq=y seed=1", 0.70);
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(fabs(r.rel[0][0].diff - 10.0) < 1e-9 && isnan(r.rel[0][0].se) &&
                 r.rel[0][0].v == RP_V_NONE && r.verdict == RP_V_NONE,
             "one seed: no verdict");
    rp_data_free(&d);

    /* AQE against the STEs (aqe not given: "none") across widths, with the
     * trend: the gap should grow as the width decreases. Gaps: width 0.25:
     * +4, 0.5: +2, 1: +0 (sd 1 everywhere, 3 seeds). */
    memset(&d, 0, sizeof d);
    const char *widths[3] = {"1", "0.25", "0.5"};  /* not in numeric order */
    const double gap[3] = {0.0, 4.0, 2.0};
    for (int w = 0; w < 3; w++)
        for (int s = 0; s < 3; s++) {
            double off = (s - 1) * 1.0;  /* sd 1 */
            snprintf(p, sizeof p, "width=%s seed=%d aqe=0.5", widths[w], s + 1);
            add_point(&d, p, (80.0 + gap[w] + off) / 100.0);
            snprintf(p, sizeof p, "width=%s seed=%d", widths[w], s + 1);
            add_point(&d, p, (80.0 + off) / 100.0);
        }
    c = claim("aqe", "0.5", "none", "width", -1);
    /* a parameter a point does not give is "" to the filter, as in sweeps */
    snprintf(c.where, sizeof c.where, "aqe == \"\" || aqe == 0.5");
    TU_CHECK(rp_claim_eval(&d, &c, &r) == 0 && !r.problem[0] && r.n_points == 18, "aqe: %s",
             r.problem);
    TU_CHECK(r.n_across == 3 && strcmp(r.across_vals[0], "0.25") == 0 &&
                 strcmp(r.across_vals[2], "1") == 0,
             "across in numeric order: %s %s %s", r.across_vals[0], r.across_vals[1],
             r.across_vals[2]);
    TU_CHECK(fabs(r.rel[0][0].diff - 4.0) < 1e-9 && r.rel[0][0].v == RP_V_AGREES &&
                 r.rel[2][0].v == RP_V_SPREAD,
             "gaps: %+g (%s), %+g (%s)", r.rel[0][0].diff, rp_verdict_name(r.rel[0][0].v),
             r.rel[2][0].diff, rp_verdict_name(r.rel[2][0].v));
    TU_CHECK(fabs(r.trend.diff - 4.0) < 1e-9 && r.trend.v == RP_V_AGREES,
             "trend: the gap at width 0.25 minus at 1: %+g (%s)", r.trend.diff,
             rp_verdict_name(r.trend.v));
    TU_CHECK(r.verdict == RP_V_SPREAD, "width 1 has no gap: the whole claim is %s",
             rp_verdict_name(r.verdict));
    c.trend = 1;  /* the opposite trend disagrees */
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.trend.v == RP_V_DISAGREES && r.verdict == RP_V_DISAGREES, "opposite trend: %s",
             rp_verdict_name(r.trend.v));
    /* a parameter the store does not have */
    c = claim("lsq", "a", "b", "", 0);
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(strstr(r.problem, "no parameter 'lsq'") != NULL, "unknown vary: %s", r.problem);
    /* no matching point */
    c = claim("aqe", "0.9", "0.7", "", 0);
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.n_points == 0 && r.verdict == RP_V_NONE && r.problem[0], "nothing matches: %s",
             r.problem);
    rp_data_free(&d);
}

/* A hardware figure: its own unit (not x100), the same for every seed, so
 * se = 0 and the verdict is the difference's sign; parsed by name. */
static void test_hw_metric(void)
{
    struct rp_data d;
    struct rp_claim_result r;
    memset(&d, 0, sizeof d);
    char p[128];
    for (int s = 0; s < 3; s++) {
        snprintf(p, sizeof p, "arch=add seed=%d", s + 1);
        add_point(&d, p, 0.90 + 0.01 * s);
        d.pts[d.n - 1].gates_nand2 = 306022.0;
        d.pts[d.n - 1].latency_us = 230.13;
        d.pts[d.n - 1].energy_op_pj = 0.7;  /* (3 x)/3 != x: no spread still */
        snprintf(p, sizeof p, "arch=or seed=%d", s + 1);
        add_point(&d, p, 0.91 - 0.01 * s);
        d.pts[d.n - 1].gates_nand2 = 90631.0;
        d.pts[d.n - 1].latency_us = 230.13;
    }
    struct rp_claim c = claim("arch", "add", "or", "", 0);
    snprintf(c.metric, sizeof c.metric, "gates_nand2");
    TU_CHECK(rp_claim_eval(&d, &c, &r) == 0 && !r.problem[0], "eval: %s", r.problem);
    TU_CHECK(fabs(r.cell[0][0].mean - 306022.0) < 1e-6 && r.cell[0][0].sd == 0.0 &&
                 fabs(r.rel[0][0].diff - 215391.0) < 1e-6 && r.rel[0][0].se == 0.0 &&
                 r.rel[0][0].v == RP_V_AGREES && r.verdict == RP_V_AGREES,
             "add > or in gates: %g, %+g +- %g", r.cell[0][0].mean, r.rel[0][0].diff,
             r.rel[0][0].se);
    c = claim("arch", "or", "add", "", 0);
    snprintf(c.metric, sizeof c.metric, "gates_nand2");
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.rel[0][0].v == RP_V_DISAGREES, "or > add in gates disagrees");
    snprintf(c.metric, sizeof c.metric, "energy_op_pj");
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.cell[0][1].sd == 0.0 && r.cell[0][1].mean == 0.7,
             "equal energies: sd %g, mean %.17g", r.cell[0][1].sd, r.cell[0][1].mean);
    /* equal figures: no difference either way */
    snprintf(c.metric, sizeof c.metric, "latency_us");
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(r.rel[0][0].diff == 0.0 && r.rel[0][0].v == RP_V_SPREAD, "equal latency: %s",
             rp_verdict_name(r.rel[0][0].v));
    /* the accuracy of the same points still in percent, with its spread */
    snprintf(c.metric, sizeof c.metric, "acc_int");
    rp_claim_eval(&d, &c, &r);
    TU_CHECK(fabs(r.cell[0][1].mean - 91.0) < 1e-9 && r.rel[0][0].v == RP_V_SPREAD,
             "acc: %g", r.cell[0][1].mean);
    TU_CHECK(rp_metric_find("energy_op_pj") && !rp_metric_find("energy") &&
                 strcmp(rp_metric_find("acc_int")->unit, "%") == 0,
             "metric names");
    rp_data_free(&d);
}

int main(void)
{
    test_parse();
    test_eval();
    test_hw_metric();
    return tu_exit("test_claims");
}

/* reports/claims.c: reading a claims file and checking each claim against a
 * store's points (claims.h). */
#include "reports/claims.h"

#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweeps/filter.h"
#include "sweeps/spec.h"

const char *rp_verdict_name(enum rp_verdict v)
{
    switch (v) {
    case RP_V_AGREES:    return "agrees";
    case RP_V_DISAGREES: return "disagrees";
    case RP_V_SPREAD:    return "within the spread";
    case RP_V_NONE:      break;
    }
    return "no verdict";
}

/* ---- reading ----------------------------------------------------------- */

struct load_ctx {
    struct rp_claims *cl;
    char msg[400];
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

static int value_index(struct rp_claim *c, const char *v)
{
    for (int i = 0; i < c->n_values; i++)
        if (strcmp(c->values[i], v) == 0)
            return i;
    if (c->n_values == RP_MAX_VALUES)
        return -1;
    snprintf(c->values[c->n_values], sizeof c->values[0], "%s", v);
    return c->n_values++;
}

/* "A > B, C > D", "A > B - 1.5" */
static int parse_expect(struct rp_claim *c, const char *text, char *msg, size_t size)
{
    char buf[1024];
    if (strlen(text) >= sizeof buf) {
        snprintf(msg, size, "longer than %zu characters", sizeof buf - 1);
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", text);
    c->n_rels = 0;
    c->n_values = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *gt = strchr(tok, '>');
        if (!gt || strchr(gt + 1, '>')) {
            snprintf(msg, size, "'%s': expected VALUE > VALUE", trim(tok));
            return -1;
        }
        *gt = 0;
        char *a = trim(tok), *b = trim(gt + 1);
        /* a margin: "B - M", M a number >= 0 (values such as convnet-a have
         * no spaces around their '-') */
        double margin = 0.0;
        char *dash = strstr(b, " -");
        if (dash && (dash[2] == 0 || dash[2] == ' ' || dash[2] == '.' ||
                     (dash[2] >= '0' && dash[2] <= '9'))) {
            char *end;
            margin = strtod(dash + 2, &end);
            if (end == dash + 2 || *trim(end) || !(margin >= 0.0) || !isfinite(margin)) {
                snprintf(msg, size, "'%s > %s': expected VALUE > VALUE - MARGIN, MARGIN a "
                         "number of points >= 0", a, b);
                return -1;
            }
            *dash = 0;
            b = trim(b);
        }
        if (!a[0] || !b[0] || strlen(a) >= sizeof c->values[0] ||
            strlen(b) >= sizeof c->values[0] || strcmp(a, b) == 0) {
            snprintf(msg, size, "'%s > %s': expected two different values of at most %zu "
                     "characters", a, b, sizeof c->values[0] - 1);
            return -1;
        }
        if (c->n_rels == RP_MAX_RELS) {
            snprintf(msg, size, "more than %d relations", RP_MAX_RELS);
            return -1;
        }
        int ia = value_index(c, a), ib = value_index(c, b);
        if (ia < 0 || ib < 0) {
            snprintf(msg, size, "more than %d values", RP_MAX_VALUES);
            return -1;
        }
        c->rel[c->n_rels].a = ia;
        c->rel[c->n_rels].b = ib;
        c->rel[c->n_rels].margin = margin;
        c->n_rels++;
    }
    if (c->n_rels == 0) {
        snprintf(msg, size, "no relation (expected VALUE > VALUE, ...)");
        return -1;
    }
    return 0;
}

static int any_known(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return 1;
}

static int set_text(char *dst, size_t size, const char *v, char *msg, size_t msize)
{
    if (strlen(v) >= size) {
        snprintf(msg, msize, "longer than %zu characters", size - 1);
        return -1;
    }
    snprintf(dst, size, "%s", v);
    return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *x = user;
    struct rp_claims *cl = x->cl;
    char m[300] = "";
    if (!section[0]) {
        snprintf(x->msg, sizeof x->msg, "%s: a key before the first [claim] section", name);
        return 0;
    }
    struct rp_claim *c = cl->n ? &cl->c[cl->n - 1] : NULL;
    if (!c || strcmp(c->id, section) != 0) {
        for (int i = 0; i < cl->n; i++)
            if (strcmp(cl->c[i].id, section) == 0) {
                snprintf(x->msg, sizeof x->msg, "[%s]: a second section of this name", section);
                return 0;
            }
        if (cl->n == RP_MAX_CLAIMS) {
            snprintf(x->msg, sizeof x->msg, "[%s]: more than %d claims", section, RP_MAX_CLAIMS);
            return 0;
        }
        c = &cl->c[cl->n++];
        memset(c, 0, sizeof *c);
        snprintf(c->id, sizeof c->id, "%s", section);
        snprintf(c->metric, sizeof c->metric, "acc_int");
    }
    int bad = 0;
    if (strcmp(name, "paper") == 0)
        bad = set_text(c->paper, sizeof c->paper, value, m, sizeof m);
    else if (strcmp(name, "claim") == 0)
        bad = set_text(c->claim, sizeof c->claim, value, m, sizeof m);
    else if (strcmp(name, "source") == 0)
        bad = set_text(c->source, sizeof c->source, value, m, sizeof m);
    else if (strcmp(name, "where") == 0) {
        struct sw_filter *f = NULL;
        bad = set_text(c->where, sizeof c->where, value, m, sizeof m);
        if (!bad && value[0]) {
            bad = sw_filter_parse(&f, value, any_known, NULL, m, sizeof m) != 0;
            sw_filter_free(f);
        }
    } else if (strcmp(name, "vary") == 0)
        bad = set_text(c->vary, sizeof c->vary, value, m, sizeof m) || !value[0];
    else if (strcmp(name, "with") == 0)
        bad = set_text(c->with, sizeof c->with, value, m, sizeof m);
    else if (strcmp(name, "across") == 0)
        bad = set_text(c->across, sizeof c->across, value, m, sizeof m);
    else if (strcmp(name, "expect") == 0)
        bad = parse_expect(c, value, m, sizeof m);
    else if (strcmp(name, "trend") == 0) {
        if (strcmp(value, "decreasing") == 0)
            c->trend = -1;
        else if (strcmp(value, "increasing") == 0)
            c->trend = 1;
        else if (strcmp(value, "none") == 0)
            c->trend = 0;
        else {
            snprintf(m, sizeof m, "expected decreasing, increasing or none, got '%s'", value);
            bad = 1;
        }
    } else if (strcmp(name, "metric") == 0) {
        if (!rp_metric_find(value)) {
            snprintf(m, sizeof m, "expected one of %s, got '%s'", rp_metric_names(), value);
            bad = 1;
        } else
            snprintf(c->metric, sizeof c->metric, "%s", value);
    } else {
        snprintf(x->msg, sizeof x->msg, "[%s] %s: unknown key (expected paper, claim, source, "
                 "where, vary, with, expect, across, trend, metric)", section, name);
        return 0;
    }
    if (bad) {
        snprintf(x->msg, sizeof x->msg, "[%s] %s: %s", section, name, m[0] ? m : "empty");
        return 0;
    }
    return 1;
}

enum rp_status rp_claims_load(struct rp_claims *cl, const char *path, struct rp_error *err)
{
    memset(cl, 0, sizeof *cl);
    snprintf(cl->path, sizeof cl->path, "%s", path);
    struct load_ctx x = {.cl = cl};
    char m[600];
    char *text = sw_ini_read(path, m, sizeof m);
    if (!text)
        return rp_fail(err, RP_ERR_ARG, "%s", m);
    int line = ini_parse_string(text, on_key, &x);
    free(text);
    if (line < 0)
        return rp_fail(err, RP_ERR_ARG, "%s: out of memory reading the claims file", path);
    if (line > 0)
        return rp_fail(err, RP_ERR_ARG, "%s:%d: %s", path, line,
                       x.msg[0] ? x.msg : "not an INI line");
    if (cl->n == 0)
        return rp_fail(err, RP_ERR_ARG, "%s: no claims", path);
    for (int i = 0; i < cl->n; i++) {
        const struct rp_claim *c = &cl->c[i];
        const char *missing = !c->paper[0] ? "paper" : !c->claim[0] ? "claim"
                              : !c->vary[0] ? "vary" : c->n_rels == 0 ? "expect" : NULL;
        if (missing)
            return rp_fail(err, RP_ERR_ARG, "%s: [%s]: no %s", path, c->id, missing);
        if (c->trend && !c->across[0])
            return rp_fail(err, RP_ERR_ARG, "%s: [%s] trend: needs across", path, c->id);
        if (c->across[0] && strcmp(c->across, c->vary) == 0)
            return rp_fail(err, RP_ERR_ARG, "%s: [%s] across: the same parameter as vary",
                           path, c->id);
    }
    return RP_OK;
}

/* ---- evaluating -------------------------------------------------------- */

static int is_number(const char *s, double *v)
{
    char *end;
    if (!s || !*s)
        return 0;
    *v = strtod(s, &end);
    return *end == 0;
}

/* Equal as numbers when both are, else as text; NULL (not given) is "-". */
static int same_value(const char *a, const char *b)
{
    a = a && *a && strcmp(a, "none") ? a : "-";
    b = b && *b && strcmp(b, "none") ? b : "-";
    double x, y;
    if (is_number(a, &x) && is_number(b, &y))
        return x == y;
    return strcmp(a, b) == 0;
}

struct point_ctx {
    const struct rp_data *d;
    int i;
};

static int known_param(void *ctx, const char *name)
{
    const struct rp_data *d = ctx;
    for (int i = 0; i < d->n_params; i++)
        if (strcmp(d->params[i].name, name) == 0)
            return 1;
    return 0;
}

static const char *lookup_param(void *ctx, const char *name)
{
    const struct point_ctx *p = ctx;
    const char *v = rp_point_param(p->d, p->i, name);
    return v ? v : "";  /* not given: "" as in a sweep's filter (docs/sweeps.md) */
}

static const struct rp_metric metrics[] = {
    {"acc_int", "%", "the integer model's test accuracy", 100.0, 1},
    {"acc_float", "%", "the float model's test accuracy", 100.0, 1},
    {"acc_sim", "%", "the simulated accelerator's test accuracy", 100.0, 1},
    {"gates_nand2", "NAND2", "the design's gates (NAND2 equivalents)", 1.0, 0},
    {"energy_op_pj", "pJ", "the energy per inference (operation-based)", 1.0, 0},
    {"latency_us", "us", "the latency per inference at the design's clock", 1.0, 0},
    {"area_um2", "um^2", "the design's area", 1.0, 0},
};
enum { N_METRICS = sizeof metrics / sizeof metrics[0] };

const struct rp_metric *rp_metric_find(const char *name)
{
    for (size_t i = 0; i < N_METRICS; i++)
        if (strcmp(metrics[i].name, name) == 0)
            return &metrics[i];
    return NULL;
}

const struct rp_metric *rp_claim_metric(const struct rp_claim *c)
{
    const struct rp_metric *m = rp_metric_find(c->metric);
    return m ? m : &metrics[0];
}

const char *rp_metric_names(void)
{
    static char names[256];
    if (!names[0])
        for (size_t i = 0, n = 0; i < N_METRICS; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
                                  metrics[i].name);
    return names;
}

static double metric_of(const struct rp_point *p, const struct rp_metric *m)
{
    double v = strcmp(m->name, "acc_float") == 0  ? p->acc_float
             : strcmp(m->name, "acc_sim") == 0    ? p->acc_sim
             : strcmp(m->name, "gates_nand2") == 0 ? p->gates_nand2
             : strcmp(m->name, "energy_op_pj") == 0 ? p->energy_op_pj
             : strcmp(m->name, "latency_us") == 0 ? p->latency_us
             : strcmp(m->name, "area_um2") == 0   ? p->area_um2
                                                  : p->acc_int;
    return m->scale * v;
}

/* The verdict on diff + margin; diff itself is reported. */
static void rel_verdict(struct rp_rel_result *r, double diff, double margin, double se,
                        int n_min)
{
    r->diff = diff;
    r->se = n_min >= 2 ? se : NAN;
    if (!isfinite(diff) || n_min < 2)
        r->v = RP_V_NONE;
    else if (diff + margin > 2.0 * se)
        r->v = RP_V_AGREES;
    else if (diff + margin < -2.0 * se)
        r->v = RP_V_DISAGREES;
    else
        r->v = RP_V_SPREAD;
}

static void relation(struct rp_rel_result *r, const struct rp_cell *a, const struct rp_cell *b,
                     double margin)
{
    int n_min = a->n < b->n ? a->n : b->n;
    if (a->n == 0 || b->n == 0) {
        rel_verdict(r, NAN, 0.0, NAN, 0);
        return;
    }
    double se = n_min >= 2 ? sqrt(a->sd * a->sd / a->n + b->sd * b->sd / b->n) : NAN;
    rel_verdict(r, a->mean - b->mean, margin, se, n_min);
}

/* Whether name is one of the comma-separated names of list. */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = strcspn(p, ", ");
        if (k == n && strncmp(p, name, n) == 0)
            return 1;
        p += k;
    }
    return 0;
}

static int by_number(const void *x, const void *y)
{
    double a = atof((const char *)x), b = atof((const char *)y);
    return (a > b) - (a < b);
}

static int by_text(const void *x, const void *y)
{
    return strcmp((const char *)x, (const char *)y);
}

int rp_claim_eval(const struct rp_data *d, const struct rp_claim *c, struct rp_claim_result *res)
{
    memset(res, 0, sizeof *res);
    const struct rp_metric *metric = rp_claim_metric(c);
    struct sw_filter *f = NULL;
    char m[300];
    if (c->where[0] && sw_filter_parse(&f, c->where, known_param, (void *)d, m, sizeof m) != 0) {
        snprintf(res->problem, sizeof res->problem, "where: %s", m);
        return 0;
    }
    if (!known_param((void *)d, c->vary)) {
        snprintf(res->problem, sizeof res->problem, "the store has no parameter '%s'", c->vary);
        sw_filter_free(f);
        return 0;
    }
    if (c->across[0] && !known_param((void *)d, c->across)) {
        snprintf(res->problem, sizeof res->problem, "the store has no parameter '%s'",
                 c->across);
        sw_filter_free(f);
        return 0;
    }
    /* the points: done, passing where, with one of the claim's values */
    int *sel = malloc(((size_t)d->n + 1) * sizeof *sel);
    int *val = malloc(((size_t)d->n + 1) * sizeof *val);
    int *acr = malloc(((size_t)d->n + 1) * sizeof *acr);
    if (!sel || !val || !acr) {
        free(sel);
        free(val);
        free(acr);
        sw_filter_free(f);
        return -1;
    }
    int n = 0;
    for (int i = 0; i < d->n && !res->problem[0]; i++) {
        if (d->pts[i].status != SW_DONE)
            continue;
        struct point_ctx pc = {d, i};
        if (f) {
            int keep = sw_filter_eval(f, lookup_param, &pc, m, sizeof m);
            if (keep < 0)
                snprintf(res->problem, sizeof res->problem, "where: %s", m);
            if (keep != 1)
                continue;
        }
        const char *v = rp_point_param(d, i, c->vary);
        for (int k = 0; k < c->n_values; k++)
            if (same_value(v, c->values[k])) {
                sel[n] = i;
                val[n++] = k;
                break;
            }
    }
    sw_filter_free(f);
    /* the across values, in numeric order when all are numbers */
    res->n_across = 1;
    if (c->across[0] && !res->problem[0]) {
        res->n_across = 0;
        int numeric = 1;
        for (int j = 0; j < n && !res->problem[0]; j++) {
            const char *a = rp_point_param(d, sel[j], c->across);
            a = a ? a : "-";
            int found = 0;
            for (int k = 0; k < res->n_across && !found; k++)
                found = same_value(a, res->across_vals[k]);
            if (found)
                continue;
            if (res->n_across == RP_MAX_ACROSS)
                snprintf(res->problem, sizeof res->problem, "more than %d values of %s",
                         RP_MAX_ACROSS, c->across);
            else {
                double x;
                numeric &= is_number(a, &x);
                snprintf(res->across_vals[res->n_across++], sizeof res->across_vals[0], "%s", a);
            }
        }
        /* numbers in numeric order, text in byte order (convnet-a, ..., convnet-d):
         * never the order the points happen to come in */
        qsort(res->across_vals, (size_t)res->n_across, sizeof res->across_vals[0],
              numeric ? by_number : by_text);
    }
    /* the same network within the comparison: only seed, vary and across differ */
    for (int p = 0; p < d->n_params && n > 1 && !res->problem[0]; p++) {
        const char *name = d->params[p].name;
        if (!strcmp(name, "seed") || !strcmp(name, c->vary) || in_list(c->with, name) ||
            (c->across[0] && !strcmp(name, c->across)))
            continue;
        const char *v0 = rp_point_param(d, sel[0], name);
        for (int j = 1; j < n; j++) {
            const char *v = rp_point_param(d, sel[j], name);
            if (!same_value(v0, v)) {
                snprintf(res->problem, sizeof res->problem,
                         "its points differ in %s (%s and %s): narrow `where` so that only "
                         "seed, %s%s%s differ", name, v0 ? v0 : "-", v ? v : "-", c->vary,
                         c->across[0] ? " and " : "", c->across);
                break;
            }
        }
    }
    if (res->problem[0]) {
        free(sel);
        free(val);
        free(acr);
        return 0;
    }
    /* each point's across value, then the cells: mean and sample standard
     * deviation over the seeds */
    for (int j = 0; j < n; j++) {
        int a = 0;
        while (c->across[0] && a < res->n_across - 1 &&
               !same_value(rp_point_param(d, sel[j], c->across), res->across_vals[a]))
            a++;
        acr[j] = a;
    }
    for (int a = 0; a < res->n_across; a++)
        for (int k = 0; k < c->n_values; k++) {
            /* deviations from the first value x0, so that equal values (a
             * hardware figure's seeds) give a standard deviation of exactly 0 */
            double x0 = NAN, sum = 0.0, sum2 = 0.0;
            int cnt = 0;
            for (int pass = 0; pass < 2; pass++)
                for (int j = 0; j < n; j++) {
                    double x = metric_of(&d->pts[sel[j]], metric);
                    if (val[j] != k || acr[j] != a || !isfinite(x))
                        continue;
                    if (pass == 0) {
                        if (cnt == 0)
                            x0 = x;
                        sum += x - x0;
                        cnt++;
                    } else {
                        sum2 += (x - x0 - sum / cnt) * (x - x0 - sum / cnt);
                    }
                }
            struct rp_cell *cell = &res->cell[a][k];
            cell->n = cnt;
            cell->mean = cnt ? x0 + sum / cnt : NAN;
            cell->sd = cnt >= 2 ? sqrt(sum2 / (cnt - 1)) : NAN;
            res->n_points += cnt;
        }
    free(sel);
    free(val);
    free(acr);
    /* relations, the trend, the verdict */
    int agree = 0, disagree = 0, other = 0;
    for (int a = 0; a < res->n_across; a++)
        for (int r = 0; r < c->n_rels; r++) {
            struct rp_rel_result *rr = &res->rel[a][r];
            relation(rr, &res->cell[a][c->rel[r].a], &res->cell[a][c->rel[r].b],
                     c->rel[r].margin);
            agree += rr->v == RP_V_AGREES;
            disagree += rr->v == RP_V_DISAGREES;
            other += rr->v == RP_V_SPREAD || rr->v == RP_V_NONE;
        }
    if (c->trend && res->n_across >= 2) {
        /* the gap where it should be largest minus the gap at the other end */
        const struct rp_rel_result *lo = &res->rel[0][0];
        const struct rp_rel_result *hi = &res->rel[res->n_across - 1][0];
        const struct rp_rel_result *big = c->trend < 0 ? lo : hi, *small = c->trend < 0 ? hi : lo;
        int n_ok = isfinite(big->se) && isfinite(small->se);
        rel_verdict(&res->trend, big->diff - small->diff, 0.0,
                    n_ok ? sqrt(big->se * big->se + small->se * small->se) : NAN, n_ok ? 2 : 0);
        agree += res->trend.v == RP_V_AGREES;
        disagree += res->trend.v == RP_V_DISAGREES;
        other += res->trend.v == RP_V_SPREAD || res->trend.v == RP_V_NONE;
    } else if (c->trend) {
        res->trend.v = RP_V_NONE;
        res->trend.diff = res->trend.se = NAN;
        other++;
    }
    if (res->n_points == 0)
        snprintf(res->problem, sizeof res->problem, "no done point matches it");
    res->verdict = res->n_points == 0 ? RP_V_NONE
                   : disagree        ? RP_V_DISAGREES
                   : other == 0      ? RP_V_AGREES
                   : agree || other  ? RP_V_SPREAD
                                     : RP_V_NONE;
    /* no seeds' spread anywhere: no verdict at all */
    int any_spread = 0;
    for (int a = 0; a < res->n_across; a++)
        for (int r = 0; r < c->n_rels; r++)
            any_spread |= res->rel[a][r].v != RP_V_NONE;
    if (!any_spread)
        res->verdict = RP_V_NONE;
    return 0;
}

/* sweeps/explore.c: the explorer (explore.h): one design's objectives from
 * the cost model, the grid loop, the search's evaluations, fronts and
 * hypervolumes. */
#include "sweeps/explore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweeps/pareto.h"
#include "sweeps/search.h"

const char *sw_objective_name(int k)
{
    static const char *const names[SW_N_OBJ] = {
        [SW_OBJ_GATES] = "gates_nand2", [SW_OBJ_ENERGY] = "energy_pj",
        [SW_OBJ_LATENCY] = "latency_us", [SW_OBJ_AREA] = "area_um2"};
    return k >= 0 && k < SW_N_OBJ ? names[k] : "?";
}

enum sw_status sw_explorer_init(struct sw_explorer *ex, const struct sw_space *sp,
                                const struct cm_hw *base, const struct cm_lib *lib,
                                const struct cm_net *net, struct sw_error *err)
{
    memset(ex, 0, sizeof *ex);
    ex->sp = sp;
    ex->base = *base;
    ex->lib = lib;
    ex->net = net;
    ex->scratch = calloc(1, sizeof *ex->scratch);
    ex->memo = cm_memo_new();
    if (!ex->scratch || !ex->memo) {
        free(ex->scratch);
        cm_memo_free(ex->memo);
        ex->scratch = NULL;
        ex->memo = NULL;
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    }
    return SW_OK;
}

void sw_explorer_free(struct sw_explorer *ex)
{
    free(ex->scratch);
    cm_memo_free(ex->memo);
    free(ex->designs);
    free(ex->slot);
    memset(ex, 0, sizeof *ex);
}

/* The class of a reason: the first "[section] key" it names. */
static void reason_key(const char *msg, char *key, size_t size)
{
    for (const char *p = strchr(msg, '['); p; p = strchr(p + 1, '[')) {
        const char *close = strchr(p, ']');
        if (!close || close[1] != ' ')
            continue;
        const char *k = close + 2, *e = k;
        while ((*e >= 'a' && *e <= 'z') || *e == '_')
            e++;
        if (e > k && close - p < 16) {
            snprintf(key, size, "%.*s %.*s", (int)(close - p + 1), p, (int)(e - k), k);
            return;
        }
    }
    snprintf(key, size, "%.*s", (int)(size - 1), msg);  /* cut to fit, said as such to GCC */
}

static int add_reason(struct sw_explorer *ex, const char *msg)
{
    char key[64];
    reason_key(msg, key, sizeof key);
    for (int i = 0; i < ex->n_reasons; i++)
        if (strcmp(ex->reason[i].key, key) == 0) {
            ex->reason[i].count++;
            return i;
        }
    int i = ex->n_reasons < SW_MAX_REASONS ? ex->n_reasons++ : SW_MAX_REASONS - 1;
    if (i == SW_MAX_REASONS - 1 && ex->reason[i].count > 0) {
        /* the table is full: the last class collects the rest */
        snprintf(ex->reason[i].key, sizeof ex->reason[i].key, "other reasons");
        ex->reason[i].count++;
        return i;
    }
    snprintf(ex->reason[i].key, sizeof ex->reason[i].key, "%s", key);
    snprintf(ex->reason[i].example, sizeof ex->reason[i].example, "%.*s",
             (int)sizeof ex->reason[i].example - 1, msg);
    ex->reason[i].count = 1;
    return i;
}

int sw_explorer_top_reason(const struct sw_explorer *ex)
{
    int best = -1;
    for (int i = 0; i < ex->n_reasons; i++)
        if (best < 0 || ex->reason[i].count > ex->reason[best].count)
            best = i;
    return best;
}

/* Evaluates and classifies; *msg is the reason of an infeasible design. */
static enum sw_status eval_one(struct sw_explorer *ex, const int *idx, struct sw_design *out,
                               char *msg, size_t size, struct sw_error *err)
{
    struct cm_hw hw = ex->base;
    sw_space_apply(ex->sp, idx, &hw);
    memset(out, 0, sizeof *out);
    out->grid = sw_space_encode(ex->sp, idx);
    out->reason = -1;
    struct cm_error cerr;
    enum cm_status st = cm_design_eval_memo(ex->scratch, &hw, ex->lib, ex->net, ex->memo, &cerr);
    if (st == CM_ERR_NOMEM)
        return sw_fail(err, SW_ERR_NOMEM, "cost model: %s", cerr.msg);
    msg[0] = 0;
    if (st != CM_OK) {
        snprintf(msg, size, "%s", cerr.msg);
        return SW_OK;
    }
    const struct cm_design *d = ex->scratch;
    if (d->clock_over_fmax) {
        snprintf(msg, size, "[design] clock_mhz = %g exceeds fmax = %.1f MHz (critical stage %s)",
                 d->hw.clock_mhz, d->timing.fmax_mhz, cm_stage_name(d->timing.critical));
        return SW_OK;
    }
    out->feasible = 1;
    out->obj[SW_OBJ_GATES] = d->logic_nand2;
    out->obj[SW_OBJ_ENERGY] = d->energy.total_pj;
    out->obj[SW_OBJ_LATENCY] = d->latency_us;
    out->obj[SW_OBJ_AREA] = d->area_um2;
    out->cycles = d->cycles;
    out->fmax_mhz = d->timing.fmax_mhz;
    out->clock_mhz = d->hw.clock_mhz;
    return SW_OK;
}

enum sw_status sw_explorer_eval(struct sw_explorer *ex, const int *idx, struct sw_design *out,
                                struct sw_error *err)
{
    char msg[1024];
    return eval_one(ex, idx, out, msg, sizeof msg, err);
}

/* Appends a design (its reason counted). */
static enum sw_status record(struct sw_explorer *ex, const int *idx, struct sw_error *err)
{
    if (ex->n_designs == ex->cap) {
        long long cap = ex->cap ? 2 * ex->cap : 1024;
        struct sw_design *d = realloc(ex->designs, (size_t)cap * sizeof *d);
        if (!d)
            return sw_fail(err, SW_ERR_NOMEM, "out of memory for %lld designs", cap);
        ex->designs = d;
        ex->cap = cap;
    }
    struct sw_design *d = &ex->designs[ex->n_designs];
    char msg[1024];
    enum sw_status st = eval_one(ex, idx, d, msg, sizeof msg, err);
    if (st != SW_OK)
        return st;
    if (d->feasible)
        ex->n_feasible++;
    else
        d->reason = add_reason(ex, msg);
    ex->n_designs++;
    return SW_OK;
}

enum sw_status sw_explorer_grid(struct sw_explorer *ex, sw_explore_progress_fn progress,
                                void *ctx, struct sw_error *err)
{
    const struct sw_space *sp = ex->sp;
    if (ex->cap < sp->size) {
        struct sw_design *d = realloc(ex->designs, (size_t)sp->size * sizeof *d);
        if (!d)
            return sw_fail(err, SW_ERR_NOMEM, "out of memory for %lld designs", sp->size);
        ex->designs = d;
        ex->cap = sp->size;
    }
    int idx[SW_SPACE_MAX_AXES] = {0};
    for (long long i = 0; i < sp->size; i++) {
        if (ex->stop && *ex->stop) {
            ex->interrupted = 1;
            break;
        }
        enum sw_status st = record(ex, idx, err);
        if (st != SW_OK)
            return st;
        ex->evals++;
        if (progress && (i & 1023) == 1023)
            progress(ctx, i + 1, sp->size);
        /* the next index vector: the last axis varies fastest */
        for (int a = sp->n_axes - 1; a >= 0; a--) {
            if (++idx[a] < sp->axes[a].n)
                break;
            idx[a] = 0;
        }
    }
    if (progress)
        progress(ctx, ex->n_designs, sp->size);
    return SW_OK;
}

/* The search's evaluations: a design seen before is looked up (the grid
 * number in an open-addressing table), not evaluated again. */
struct search_ctx {
    struct sw_explorer *ex;
    int n_var, var_axis[SW_SPACE_MAX_AXES];  /* the axes of more than one value */
    sw_explore_gen_fn after_gen;
    void *ctx;
    struct sw_error *err;
    enum sw_status st;
};

static unsigned long long mix(unsigned long long x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int search_eval(void *vctx, const int *var, double *obj)
{
    struct search_ctx *c = vctx;
    struct sw_explorer *ex = c->ex;
    int idx[SW_SPACE_MAX_AXES] = {0};  /* an axis of one value: its index is 0 */
    for (int v = 0; v < c->n_var; v++)
        idx[c->var_axis[v]] = var[v];
    if (ex->stop && *ex->stop) {
        ex->interrupted = 1;
        return -1;
    }
    if (2 * (ex->n_designs + 1) > ex->n_slots) {  /* grow and rehash */
        long long n = ex->n_slots ? 2 * ex->n_slots : 4096;
        long long *s = calloc((size_t)n, sizeof *s);
        if (!s) {
            c->st = sw_fail(c->err, SW_ERR_NOMEM, "out of memory");
            return -1;
        }
        for (long long i = 0; i < ex->n_designs; i++) {
            long long h = (long long)(mix((unsigned long long)ex->designs[i].grid) % (unsigned long long)n);
            while (s[h])
                h = (h + 1) % n;
            s[h] = i + 1;
        }
        free(ex->slot);
        ex->slot = s;
        ex->n_slots = n;
    }
    const long long g = sw_space_encode(ex->sp, idx);
    long long h = (long long)(mix((unsigned long long)g) % (unsigned long long)ex->n_slots);
    while (ex->slot[h] && ex->designs[ex->slot[h] - 1].grid != g)
        h = (h + 1) % ex->n_slots;
    ex->evals++;
    if (!ex->slot[h]) {
        if ((c->st = record(ex, idx, c->err)) != SW_OK)
            return -1;
        ex->slot[h] = ex->n_designs;
    }
    const struct sw_design *d = &ex->designs[ex->slot[h] - 1];
    for (int k = 0; k < SW_N_OBJ; k++) {
        /* An infeasible design: a penalty far behind every feasible one,
         * distinct per design and objective, so that a front of infeasible
         * designs has no zero span (NSGA-II's crowding distance divides by
         * it). */
        double u = (double)(mix((unsigned long long)g * 4 + (unsigned long long)k) % 1000003ULL);
        obj[k] = d->feasible ? d->obj[k] : 1e30 * (1.0 + u * 1e-7);
    }
    return 0;
}

static int search_gen(void *vctx, int gen, long long evals)
{
    struct search_ctx *c = vctx;
    if (c->after_gen)
        c->after_gen(c->ctx, c->ex, gen, evals);
    return c->ex->stop && *c->ex->stop;
}

enum sw_status sw_explorer_search(struct sw_explorer *ex, int pop, int gens, unsigned seed,
                                  sw_explore_gen_fn after_gen, void *ctx, struct sw_error *err)
{
    /* The decision variables are the axes of more than one value (pagmo's
     * NSGA-II refuses a variable whose bounds are equal); a space of one
     * design has none, and that design is all there is to evaluate. */
    struct search_ctx c = {.ex = ex, .after_gen = after_gen, .ctx = ctx, .err = err};
    int nv[SW_SPACE_MAX_AXES];
    for (int a = 0; a < ex->sp->n_axes; a++)
        if (ex->sp->axes[a].n > 1) {
            nv[c.n_var] = ex->sp->axes[a].n;
            c.var_axis[c.n_var++] = a;
        }
    if (c.n_var == 0)
        return sw_explorer_grid(ex, NULL, NULL, err);
    struct sw_search_opts o = {.n_axes = c.n_var, .n_values = nv, .n_obj = SW_N_OBJ,
                               .pop = pop, .gens = gens, .seed = seed};
    enum sw_status st = sw_search_nsga2(&o, search_eval, search_gen, &c, err);
    if (c.st != SW_OK)
        return c.st;
    if (st != SW_OK && ex->interrupted)
        return SW_OK;  /* stopped by the user: what was evaluated stands */
    return st;
}

long long sw_explorer_front(const struct sw_explorer *ex, unsigned char *on_front)
{
    const long long n = ex->n_designs;
    double *obj = malloc((size_t)(n > 0 ? n : 1) * SW_N_OBJ * sizeof *obj);
    if (!obj)
        return -1;
    for (long long i = 0; i < n; i++)
        for (int k = 0; k < SW_N_OBJ; k++)
            obj[i * SW_N_OBJ + k] = ex->designs[i].feasible ? ex->designs[i].obj[k] : NAN;
    long long f = sw_pareto_front_min(obj, n, SW_N_OBJ, on_front);
    free(obj);
    return f;
}

void sw_explore_bounds(const struct sw_design *const *d, long long n, double *ideal,
                       double *nadir)
{
    for (int k = 0; k < SW_N_OBJ; k++) {
        ideal[k] = INFINITY;
        nadir[k] = -INFINITY;
    }
    for (long long i = 0; i < n; i++)
        for (int k = 0; k < SW_N_OBJ; k++) {
            ideal[k] = fmin(ideal[k], d[i]->obj[k]);
            nadir[k] = fmax(nadir[k], d[i]->obj[k]);
        }
}

enum sw_status sw_explore_hv(const struct sw_design *const *d, long long n, const double *ideal,
                             const double *nadir, double *hv, struct sw_error *err)
{
    double *pts = malloc((size_t)(n > 0 ? n : 1) * SW_N_OBJ * sizeof *pts);
    if (!pts)
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    for (long long i = 0; i < n; i++)
        for (int k = 0; k < SW_N_OBJ; k++) {
            double span = nadir[k] - ideal[k];
            pts[i * SW_N_OBJ + k] = (d[i]->obj[k] - ideal[k]) / (span > 0 ? span : 1.0);
        }
    const double ref[SW_N_OBJ] = {SW_HV_REF, SW_HV_REF, SW_HV_REF, SW_HV_REF};
    enum sw_status st = sw_hypervolume(pts, (int)n, SW_N_OBJ, ref, hv, err);
    free(pts);
    return st;
}

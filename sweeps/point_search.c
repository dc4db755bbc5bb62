/* sweeps/point_search.c: NSGA-II over a sweep spec's grid, each visited
 * point run as a sweep point and kept in the store (point.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweeps/pareto.h"
#include "sweeps/point.h"
#include "sweeps/search.h"

enum { N_OBJ = 4 };
/* A failed or dropped point's objectives: far behind every done one, finite
 * (NSGA-II's crowding distance subtracts them). */
#define PENALTY 1e30

/* One distinct point the search visited: its objectives (failed: inf). */
struct seen {
    char key[SW_KEY_LEN + 1];
    double obj[N_OBJ];
};

struct psearch {
    const struct sw_spec *s;
    struct sw_store *st;
    const struct sw_psearch_opts *o;
    sw_psearch_progress_fn progress;
    void *ctx;
    int dims[SW_MAX_AXES];   /* the axes searched (more than one value) */
    int n_dims;
    struct sw_summary *stored;  /* the store's rows when the search began */
    int n_stored;
    struct seen *seen;
    int n_seen, cap_seen;
    struct sw_psearch_stats stats;
    struct sw_error *err;    /* the first failure of eval (the search's own message
                                replaces the caller's) */
    struct sw_error eval_err;
};

/* The objectives of a summary; a failed point's are infinite. */
static void objectives(const struct sw_summary *r, double *obj)
{
    int ok = r->status == SW_DONE && isfinite(r->acc_int) && isfinite(r->gates_nand2) &&
             isfinite(r->energy_op_pj) && isfinite(r->latency_us);
    obj[0] = ok ? 1.0 - r->acc_int : INFINITY;
    obj[1] = ok ? r->gates_nand2 : INFINITY;
    obj[2] = ok ? r->energy_op_pj : INFINITY;
    obj[3] = ok ? r->latency_us : INFINITY;
}

/* The front's hypervolume (stats.hv, stats.front) over every point seen:
 * each objective scaled to [0, 1] over the done points' range (0 where they
 * all agree), the reference point 1.1 in each, divided by 1.1^4. */
static enum sw_status front_hv(struct psearch *ps)
{
    double lo[N_OBJ], hi[N_OBJ], ref[N_OBJ];
    int n_done = 0;
    for (int k = 0; k < N_OBJ; k++) {
        lo[k] = INFINITY;
        hi[k] = -INFINITY;
        ref[k] = 1.1;
    }
    for (int i = 0; i < ps->n_seen; i++)
        if (isfinite(ps->seen[i].obj[0])) {
            n_done++;
            for (int k = 0; k < N_OBJ; k++) {
                lo[k] = fmin(lo[k], ps->seen[i].obj[k]);
                hi[k] = fmax(hi[k], ps->seen[i].obj[k]);
            }
        }
    ps->stats.front = 0;
    ps->stats.hv = 0.0;
    if (n_done == 0)
        return SW_OK;
    /* the done points, scaled (monotone in each objective: the front is the
     * same), then those on the front (sweeps/pareto.h) moved to the start */
    double *pts = malloc((size_t)n_done * N_OBJ * sizeof *pts);
    unsigned char *on = malloc((size_t)n_done);
    if (!pts || !on) {
        free(pts);
        free(on);
        return sw_fail(ps->err, SW_ERR_NOMEM, "out of memory");
    }
    int n = 0;
    for (int i = 0; i < ps->n_seen; i++) {
        const double *a = ps->seen[i].obj;
        if (!isfinite(a[0]))
            continue;
        for (int k = 0; k < N_OBJ; k++)
            pts[n * N_OBJ + k] = hi[k] > lo[k] ? (a[k] - lo[k]) / (hi[k] - lo[k]) : 0.0;
        n++;
    }
    enum sw_status r = SW_OK;
    if (sw_pareto_front_min(pts, n, N_OBJ, on) < 0)
        r = sw_fail(ps->err, SW_ERR_NOMEM, "out of memory");
    int f = 0;
    for (int i = 0; r == SW_OK && i < n; i++)
        if (on[i])
            memmove(pts + (size_t)f++ * N_OBJ, pts + (size_t)i * N_OBJ, N_OBJ * sizeof *pts);
    ps->stats.front = f;
    if (r == SW_OK)
        r = sw_hypervolume(pts, f, N_OBJ, ref, &ps->stats.hv, ps->err);
    ps->stats.hv /= 1.1 * 1.1 * 1.1 * 1.1;
    free(pts);
    free(on);
    return r;
}

static int eval(void *ctx, const int *idx, double *obj)
{
    struct psearch *ps = ctx;
    int vi[SW_MAX_AXES] = {0};
    for (int d = 0; d < ps->n_dims; d++)
        vi[ps->dims[d]] = idx[d];
    ps->stats.evals++;
    struct sw_point p;
    int kept = sw_spec_point(ps->s, vi, &p, ps->err);
    if (kept < 0)
        return -1;
    if (!kept) {
        for (int k = 0; k < N_OBJ; k++)
            obj[k] = PENALTY;
        return 0;
    }
    for (int i = 0; i < ps->n_seen; i++)
        if (strcmp(ps->seen[i].key, p.key) == 0) {
            for (int k = 0; k < N_OBJ; k++)
                obj[k] = isfinite(ps->seen[i].obj[k]) ? ps->seen[i].obj[k] : PENALTY;
            return 0;
        }
    if (ps->n_seen == ps->cap_seen) {
        int nc = ps->cap_seen ? 2 * ps->cap_seen : 64;
        struct seen *ns = realloc(ps->seen, (size_t)nc * sizeof *ns);
        if (!ns) {
            sw_fail(ps->err, SW_ERR_NOMEM, "out of memory");
            return -1;
        }
        ps->seen = ns;
        ps->cap_seen = nc;
    }
    struct sw_summary sum = {.status = SW_STATE_NONE};
    int reused = 0;
    for (int i = 0; i < ps->n_stored; i++)
        if (strcmp(ps->stored[i].key, p.key) == 0) {
            sum = ps->stored[i];
            reused = 1;
        }
    if (!reused) {
        struct sw_result r;
        struct sw_point_info info;
        sw_point_run(ps->s, &p, ps->o->self, ps->o->art, &r, &info);
        if (sw_store_put(ps->st, ps->s, &p, &r, SW_PUT_REPLACE, ps->err) != SW_OK)
            return -1;
        memcpy(sum.key, p.key, sizeof sum.key);
        sum.status = r.status;
        sum.acc_int = r.f.acc_int;
        sum.gates_nand2 = r.f.gates_nand2;
        sum.energy_op_pj = r.f.energy_op_pj;
        sum.latency_us = r.f.latency_us;
        sum.wall_s = r.f.wall_s;
        char arch[512];
        sw_point_arch(ps->s, &p, arch, sizeof arch);
        sw_fmt(sum.label, sizeof sum.label, "%s", arch);
        if (r.status != SW_DONE)
            sw_fmt(sum.label, sizeof sum.label, "%s", r.error);
    }
    struct seen *e = &ps->seen[ps->n_seen++];
    memcpy(e->key, p.key, sizeof e->key);
    objectives(&sum, e->obj);
    for (int k = 0; k < N_OBJ; k++)
        obj[k] = isfinite(e->obj[k]) ? e->obj[k] : PENALTY;
    ps->stats.run += !reused;
    ps->stats.reused += reused;
    ps->stats.failed += !isfinite(e->obj[0]);
    if (front_hv(ps) != SW_OK)
        return -1;
    if (ps->progress)
        ps->progress(ps->ctx, &p, &sum, reused, &ps->stats);
    return 0;
}

enum sw_status sw_point_search(const struct sw_spec *s, struct sw_store *st,
                               const struct sw_psearch_opts *o, sw_psearch_progress_fn progress,
                               void *ctx, struct sw_psearch_stats *out, struct sw_error *err)
{
    struct psearch ps = {.s = s, .st = st, .o = o, .progress = progress, .ctx = ctx};
    ps.err = &ps.eval_err;
    int nv[SW_MAX_AXES];
    for (int i = 0; i < s->n_axes; i++)
        if (s->axes[i].n > 1) {
            nv[ps.n_dims] = s->axes[i].n;
            ps.dims[ps.n_dims++] = i;
        }
    if (s->n_list)
        return sw_fail(err, SW_ERR_SPEC, "%s: a search visits the grid of the axes, not a "
                       "[points] list", s->path);
    if (ps.n_dims == 0)
        return sw_fail(err, SW_ERR_SPEC, "%s: nothing to search: no parameter has more than "
                       "one value", s->path);
    enum sw_status r = sw_store_summaries(st, &ps.stored, &ps.n_stored, err);
    if (r != SW_OK)
        return r;
    struct sw_search_opts so = {.n_axes = ps.n_dims, .n_values = nv, .n_obj = N_OBJ,
                                .pop = o->pop, .gens = o->gens, .seed = o->seed};
    ps.eval_err.msg[0] = 0;
    r = sw_search_nsga2(&so, eval, NULL, &ps, err);
    if (r != SW_OK && ps.eval_err.msg[0])
        *err = ps.eval_err;
    if (r == SW_OK && (r = front_hv(&ps)) != SW_OK)
        *err = ps.eval_err;
    *out = ps.stats;
    free(ps.stored);
    free(ps.seen);
    return r;
}

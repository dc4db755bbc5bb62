/* reports/report.c: `logiq report`'s steps (report.h): check gnuplot, read
 * the store, mark the Pareto fronts, write the figures' CSVs and scripts,
 * draw them with one gnuplot process, check every PNG and SVG is there,
 * then write points.csv, index.html and report.md. */
#include "reports/report.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/figures.h"
#include "reports/gnuplot.h"
#include "reports/page.h"
#include "sweeps/pareto.h"

const char *rp_obj_name(enum rp_obj k)
{
    static const char *names[RP_N_OBJ] = {"gates", "energy", "latency"};
    return names[k];
}

double rp_obj_value(const struct rp_point *p, enum rp_obj k)
{
    switch (k) {
    case RP_OBJ_GATES:   return p->gates_nand2;
    case RP_OBJ_ENERGY:  return p->energy_op_pj;
    case RP_OBJ_LATENCY: return p->latency_us;
    default:             return NAN;
    }
}

int rp_report_note(struct rp_report *r, const char *fmt, ...)
{
    if (r->n_notes == r->cap_notes) {
        int cap = r->cap_notes ? 2 * r->cap_notes : 16;
        char(*n)[512] = realloc(r->notes, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        r->notes = n;
        r->cap_notes = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
    return 0;
}

void rp_report_free(struct rp_report *r)
{
    rp_data_free(&r->data);
    for (int k = 0; k < RP_N_OBJ; k++)
        free(r->front[k]);
    free(r->figs);
    free(r->notes);
    free(r->claims);
    free(r->claim_res);
    free(r->claim_fig);
    memset(r, 0, sizeof *r);
}

/* mkdir -p */
static enum rp_status make_dir(const char *dir, struct rp_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return rp_fail(err, RP_ERR_IO, "%s: path too long", dir);
    for (char *s = path + 1;; s++) {
        if (*s != '/' && *s != 0)
            continue;
        char c = *s;
        *s = 0;
        struct stat sb;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return rp_fail(err, RP_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return rp_fail(err, RP_ERR_IO, "%s: not a folder", path);
        *s = c;
        if (!c)
            break;
    }
    return RP_OK;
}

static enum rp_status fronts(struct rp_report *r, struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    double *cost = malloc(((size_t)d->n + 1) * sizeof *cost);
    double *gain = malloc(((size_t)d->n + 1) * sizeof *gain);
    enum rp_status s = RP_OK;
    if (!cost || !gain)
        s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
    for (int k = 0; k < RP_N_OBJ && s == RP_OK; k++) {
        r->front[k] = calloc((size_t)d->n + 1, 1);
        if (!r->front[k]) {
            s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < d->n; i++) {
            int done = d->pts[i].status == SW_DONE;  /* a failed point is never on a front */
            cost[i] = done ? rp_obj_value(&d->pts[i], (enum rp_obj)k) : NAN;
            gain[i] = done ? d->pts[i].acc_int : NAN;
        }
        if (d->n > 0 && sw_pareto_front(cost, gain, d->n, r->front[k]) < 0)
            s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    free(cost);
    free(gain);
    return s;
}

/* Reads the claims file and checks each claim against the points. */
static enum rp_status claims(struct rp_report *r, const char *path, struct rp_error *err)
{
    r->claims = malloc(sizeof *r->claims);
    if (!r->claims)
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    enum rp_status s = rp_claims_load(r->claims, path, err);
    if (s != RP_OK)
        return s;
    r->claim_res = calloc((size_t)r->claims->n, sizeof *r->claim_res);
    r->claim_fig = malloc((size_t)r->claims->n * sizeof *r->claim_fig);
    if (!r->claim_res || !r->claim_fig)
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < r->claims->n; i++) {
        r->claim_fig[i] = -1;
        if (rp_claim_eval(&r->data, &r->claims->c[i], &r->claim_res[i]) != 0)
            return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    return RP_OK;
}

static int file_nonempty(const char *dir, const char *name, const char *ext)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
}

static enum rp_status draw(struct rp_report *r, const char *gnuplot, const char *dir,
                           struct rp_error *err)
{
    if (r->n_figs == 0)
        return RP_OK;
    char (*names)[80] = calloc((size_t)r->n_figs, sizeof *names);
    const char **scripts = calloc((size_t)r->n_figs, sizeof *scripts);
    enum rp_status s = RP_OK;
    if (!names || !scripts)
        s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < r->n_figs && s == RP_OK; i++) {
        snprintf(names[i], sizeof names[i], "%s.gp", r->figs[i].name);
        scripts[i] = names[i];
        /* no stale drawing from an earlier report may pass for this one */
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.png", dir, r->figs[i].name);
        remove(path);
        snprintf(path, sizeof path, "%s/%s.svg", dir, r->figs[i].name);
        remove(path);
    }
    if (s == RP_OK)
        s = rp_gnuplot_run(gnuplot, dir, scripts, r->n_figs, err);
    for (int i = 0; i < r->n_figs && s == RP_OK; i++)
        for (int e = 0; e < 2 && s == RP_OK; e++)
            if (!file_nonempty(dir, r->figs[i].name, e ? "svg" : "png"))
                s = rp_fail(err, RP_ERR_GNUPLOT, "%s/%s.%s: gnuplot did not draw it", dir,
                            r->figs[i].name, e ? "svg" : "png");
    free(names);
    free(scripts);
    return s;
}

/* ---- staging: the report appears whole or not at all ----
 * Every file is written into OUT/.report.tmp.PID and moved into OUT (a
 * rename each, which needs no space) only when all were written: on a full
 * disk or a read-only folder the earlier report stays as it was and no
 * half-written file is left. A staging folder of a killed run (its process
 * gone) is removed by the next. */

static void stage_remove(const char *stage)
{
    DIR *dp = opendir(stage);
    if (dp) {
        struct dirent *e;
        char path[4400];
        while ((e = readdir(dp)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(path, sizeof path, "%s/%s", stage, e->d_name);
                remove(path);
            }
        closedir(dp);
    }
    rmdir(stage);
}

static void stage_remove_stale(const char *out_dir)
{
    DIR *dp = opendir(out_dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (strncmp(e->d_name, ".report.tmp.", 12) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + 12, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() ||
            !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", out_dir, e->d_name);
        stage_remove(path);
    }
    closedir(dp);
}

static enum rp_status stage_commit(const char *stage, const char *out_dir, struct rp_error *err)
{
    DIR *dp = opendir(stage);
    if (!dp)
        return rp_fail(err, RP_ERR_IO, "%s: cannot read: %s", stage, strerror(errno));
    enum rp_status s = RP_OK;
    struct dirent *e;
    while (s == RP_OK && (e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char from[4608], to[4608];
        snprintf(from, sizeof from, "%s/%s", stage, e->d_name);
        snprintf(to, sizeof to, "%s/%s", out_dir, e->d_name);
        if (rename(from, to) != 0)
            s = rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", to, strerror(errno));
    }
    closedir(dp);
    return s;
}

static enum rp_status write_staged(struct rp_report *r, const struct rp_options *o,
                                   const char *gnuplot, struct rp_error *err)
{
    char stage[4200];
    if (snprintf(stage, sizeof stage, "%s/.report.tmp.%ld", o->out_dir, (long)getpid()) >=
        (int)sizeof stage)
        return rp_fail(err, RP_ERR_IO, "%s: path too long", o->out_dir);
    stage_remove_stale(o->out_dir);
    stage_remove(stage);
    if (mkdir(stage, 0777) != 0)
        return rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", o->out_dir, strerror(errno));
    struct rp_options staged = *o;
    staged.out_dir = stage;
    enum rp_status s = rp_figures_write(r, stage, err);
    if (s == RP_OK)
        s = draw(r, gnuplot, stage, err);
    if (s == RP_OK)
        s = rp_page_points_csv(r, stage, err);
    if (s == RP_OK)
        s = rp_page_html(r, &staged, err);
    if (s == RP_OK)
        s = rp_page_md(r, &staged, err);
    if (s == RP_OK)
        s = stage_commit(stage, o->out_dir, err);
    if (s != RP_OK) {
        /* name the output folder, not the staging one */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        char *at = strstr(msg, stage);
        if (at)
            snprintf(err->msg, sizeof err->msg, "%.*s%s%s", (int)(at - msg), msg, o->out_dir,
                     at + strlen(stage));
    }
    stage_remove(stage);
    return s;
}

enum rp_status rp_report_write(struct rp_report *r, const struct rp_options *o,
                               struct rp_error *err)
{
    memset(r, 0, sizeof *r);
    const char *gnuplot = o->gnuplot ? o->gnuplot : "gnuplot";
    enum rp_status s = rp_data_load(&r->data, o->store_path, err);
    if (s == RP_OK && o->claims_path)
        s = claims(r, o->claims_path, err);
    if (s == RP_OK)
        s = rp_gnuplot_check(gnuplot, err);
    if (s == RP_OK)
        s = make_dir(o->out_dir, err);
    if (s == RP_OK)
        s = fronts(r, err);
    if (s == RP_OK)
        s = write_staged(r, o, gnuplot, err);
    return s;
}

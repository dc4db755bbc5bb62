/* reports/figures.c: the figures' CSVs and gnuplot scripts (figures.h).
 *
 * Every script has the same frame: `reset session`, CSV input, and a loop
 * that draws the figure once per format (pngcairo, then svg), so a user who
 * restyles it changes one place. Data rows are read with `skip 1` (the CSV
 * header); an empty CSV field is a value not measured, which gnuplot skips. */
#include "reports/figures.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"

/* ---- styles ---- */

static const struct { const char *merge, *color; int pt; } merge_styles[] = {
    {"add", "#d62728", 7},   /* filled circle */
    {"add-shift", "#ff7f0e", 11}, /* filled inverted triangle: add on the shift requantizer */
    {"or", "#1f77b4", 9},    /* filled triangle */
    {"mux", "#2ca02c", 5},   /* filled square */
    {"none", "#7f7f7f", 13}, /* filled diamond */
};
#define N_MERGE_STYLES ((int)(sizeof merge_styles / sizeof merge_styles[0]))

const char *rp_merge_color(const char *merge)
{
    for (int i = 0; i < N_MERGE_STYLES; i++)
        if (strcmp(merge, merge_styles[i].merge) == 0)
            return merge_styles[i].color;
    return "#9467bd";
}

int rp_merge_pt(const char *merge)
{
    for (int i = 0; i < N_MERGE_STYLES; i++)
        if (strcmp(merge, merge_styles[i].merge) == 0)
            return merge_styles[i].pt;
    return 11;
}

/* The order merge kinds are shown in: add, or, mux, none, then others. */
static int merge_rank(const char *merge)
{
    for (int i = 0; i < N_MERGE_STYLES; i++)
        if (strcmp(merge, merge_styles[i].merge) == 0)
            return i;
    return N_MERGE_STYLES;
}

/* Unit kinds in the order of the datapath (docs/cost-models.md); the merge
 * unit stands out in red. */
static const struct { const char *unit, *color; } unit_styles[] = {
    {"xnor_and_array", "#c6dbef"}, {"popcount", "#9ecae1"}, {"accumulators", "#6baed6"},
    {"threshold", "#3182bd"}, {"merge", "#d62728"}, {"pooling", "#d9d9d9"},
    {"score", "#bdbdbd"}, {"pipeline_regs", "#969696"}, {"control", "#636363"},
};
#define N_UNIT_STYLES ((int)(sizeof unit_styles / sizeof unit_styles[0]))

/* Energy parts of the cost JSON; the merge path's (merges, the skip buffer)
 * in reds. */
static const struct { const char *part, *color; } part_styles[] = {
    {"lane_ops", "#c6dbef"}, {"popcounts", "#9ecae1"}, {"accumulations", "#6baed6"},
    {"comparisons", "#3182bd"}, {"merges", "#d62728"}, {"pool_steps", "#d9d9d9"},
    {"score_ops", "#bdbdbd"}, {"sram_act", "#fdd0a2"}, {"sram_weight", "#fdae6b"},
    {"sram_skip", "#ff9896"}, {"leakage_logic", "#969696"}, {"leakage_sram", "#636363"},
};
#define N_PART_STYLES ((int)(sizeof part_styles / sizeof part_styles[0]))

static const char *extra_colors[] = {"#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
                                     "#ff7f0e"};

/* ---- writing ---- */

/* A CSV number: empty when not measured. */
static void csv_num(FILE *f, double v)
{
    rp_csv_num(f, v);
}

struct fig {
    FILE *csv, *gp;
    struct rp_figure *meta;
    char name[64];
    int multiplot;
};

static enum rp_status io_fail(struct rp_error *err, const char *dir, const char *name,
                              const char *ext)
{
    return rp_fail(err, RP_ERR_IO, "%s/%s.%s: cannot write: %s", dir, name, ext, strerror(errno));
}

/* Opens NAME.csv and NAME.gp, writes the script's frame, and lists the
 * figure in the report. */
static enum rp_status fig_begin(struct fig *g, struct rp_report *r, const char *dir,
                                const char *name, enum rp_section sec, int point,
                                const char *title, int w_px, int h_px, struct rp_error *err)
{
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    if (r->n_figs == r->cap_figs) {
        int cap = r->cap_figs ? 2 * r->cap_figs : 32;
        struct rp_figure *f = realloc(r->figs, (size_t)cap * sizeof *f);
        if (!f)
            return rp_fail(err, RP_ERR_NOMEM, "out of memory");
        r->figs = f;
        r->cap_figs = cap;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    if (!(g->csv = fopen(path, "w")))
        return io_fail(err, dir, name, "csv");
    snprintf(path, sizeof path, "%s/%s.gp", dir, name);
    if (!(g->gp = fopen(path, "w"))) {
        fclose(g->csv);
        g->csv = NULL;
        return io_fail(err, dir, name, "gp");
    }
    g->meta = &r->figs[r->n_figs++];
    memset(g->meta, 0, sizeof *g->meta);
    snprintf(g->meta->name, sizeof g->meta->name, "%s", name);
    snprintf(g->meta->title, sizeof g->meta->title, "%s", title);
    g->meta->section = sec;
    g->meta->point = point;
    fprintf(g->gp, "# %s.gp: the figure titled\n#   ", name);
    rp_gp_quote(g->gp, title);
    fprintf(g->gp,
            "\n# Drawn by `logiq report` from %s.csv. Restyle it, then run\n"
            "# `gnuplot %s.gp` in this folder to redraw %s.png and %s.svg.\n"
            "reset session\n"
            "set datafile separator comma\n"
            "do for [fmt in \"png svg\"] {\n"
            "    if (fmt eq \"png\") {\n"
            "        set terminal pngcairo size %d,%d noenhanced font \"sans,10\"\n"
            "    } else {\n"
            "        set terminal svg size %d,%d noenhanced font \"sans,10\" background \"white\"\n"
            "    }\n"
            "    set output \"%s.\" . fmt\n",
            name, name, name, name, w_px, h_px, w_px, h_px, name);
    return RP_OK;
}

static enum rp_status fig_end(struct fig *g, const char *dir, struct rp_error *err)
{
    fprintf(g->gp, "%s    unset output\n}\n", g->multiplot ? "    unset multiplot\n" : "");
    int bad_csv = ferror(g->csv), bad_gp = ferror(g->gp);
    bad_csv |= fclose(g->csv) != 0;
    bad_gp |= fclose(g->gp) != 0;
    g->csv = g->gp = NULL;
    if (bad_csv)
        return io_fail(err, dir, g->name, "csv");
    if (bad_gp)
        return io_fail(err, dir, g->name, "gp");
    return RP_OK;
}

static const char *point_title(const struct rp_point *p, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", p->merge, p->label[0] ? " " : "", p->label);
    return buf;
}

/* The file name "PREFIX-KEY" and the title "WHAT: point (KEY)" of a
 * per-point figure. */
static void point_fig_names(const struct rp_point *p, const char *prefix, const char *what,
                            char name[64], char title[400])
{
    char pt[300];
    char pre[32];
    snprintf(pre, sizeof pre, "%s-", prefix);
    rp_file_part(name, 64, pre, p->key);
    snprintf(title, 400, "%s: %s (%s)", what, point_title(p, pt, sizeof pt), p->key);
}

/* Merge kinds present among the done points, in display order. */
static int merge_kinds(const struct rp_data *d, const char *kinds[], int max)
{
    int n = 0;
    for (int rank = 0; rank <= N_MERGE_STYLES; rank++)
        for (int i = 0; i < d->n; i++) {
            const struct rp_point *p = &d->pts[i];
            if (p->status != SW_DONE || merge_rank(p->merge) != rank)
                continue;
            int seen = 0;
            for (int k = 0; k < n; k++)
                seen |= strcmp(kinds[k], p->merge) == 0;
            if (!seen && n < max)
                kinds[n++] = p->merge;
        }
    return n;
}

/* ---- accuracy vs cost ---- */

static const struct {
    const char *fig, *what, *col, *xlabel;
    double scale;  /* store unit -> figure unit */
} objs[RP_N_OBJ] = {
    {"acc_gates", "gate equivalents", "gates_nand2", "logic gates, NAND2 equivalents", 1},
    {"acc_energy", "energy per inference", "energy_nj",
     "energy per inference, nJ (operation-based estimate)", 1e-3},
    {"acc_latency", "latency", "latency_us", "latency per inference, us", 1},
};

/* Sort keys, so that qsort needs no context. */
struct order {
    double cost, acc;
    int rank;
    const char *merge, *label, *key;
    int i;
};

static int by_cost(const void *a, const void *b)
{
    const struct order *p = a, *q = b;
    if (p->cost != q->cost)
        return p->cost < q->cost ? -1 : 1;
    if (p->acc != q->acc)
        return p->acc < q->acc ? -1 : 1;
    return strcmp(p->key, q->key);
}

/* Where each point's label goes (y, in the figure's accuracy %): above its
 * point, or the nearest free row above or below it, so that no two labels'
 * boxes overlap. Boxes are estimated in the plot's own coordinates (x as
 * the axis draws it: log, linear, or from 0 when narrow (fig_tradeoff); the
 * accuracy's range as y), with the
 * figure's 900 x 600 canvas and its 8-point label font: 1 / 110 of the
 * width a character and 1 / 42 of the height a row. */
static void place_labels(const struct rp_data *d, const int *idx, int n, enum rp_obj k,
                         double *label_y, double *y_axis_lo, double *y_axis_hi)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int j = 0; j < n; j++) {
        const struct rp_point *p = &d->pts[idx[j]];
        const double x = rp_obj_value(p, k) * objs[k].scale;
        xlo = fmin(xlo, x);
        xhi = fmax(xhi, x);
        ylo = fmin(ylo, 100.0 * p->acc_int);
        yhi = fmax(yhi, 100.0 * p->acc_int);
    }
    const int logx = xlo > 0 && xhi / xlo > 20;
    const int narrow = !logx && xlo > 0 && xhi - xlo < 0.1 * xhi;  /* the axis from 0 */
    if (narrow) {
        xlo = 0.0;
        xhi *= 1.1;
    }
    const double xspan = logx ? log(xhi / xlo) : xhi - xlo > 0 ? xhi - xlo : 1.0;
    /* the y axis the figure draws (set yrange): the points' range and a
     * margin, so that a row of text is a known share of it */
    const double dspan = yhi - ylo > 0 ? yhi - ylo : 1.0;
    ylo -= 0.12 * dspan;
    yhi += 0.2 * dspan;
    *y_axis_lo = ylo;
    *y_axis_hi = yhi;
    const double yspan = yhi - ylo;
    const double row = 1.0 / 36, ch = 1.0 / 110;
    double *bx = malloc(((size_t)n + 1) * 4 * sizeof *bx);  /* placed boxes */
    int placed = 0;
    for (int j = 0; j < n; j++) {
        const struct rp_point *p = &d->pts[idx[j]];
        const double x = rp_obj_value(p, k) * objs[k].scale;
        const double u = logx ? log(x / xlo) / xspan : (x - xlo) / xspan;
        const double v = (100.0 * p->acc_int - ylo) / yspan;
        const double half = 0.5 * ch * (double)strlen(p->label[0] ? p->label : p->key);
        double best = v + row;
        for (int t = 0; bx && t < 2 * n + 2; t++) {
            /* the row just above the point first, then +2, -1, +3, -2, ... */
            const double c = v + row * (t % 2 ? -(t / 2 + 1) : t / 2 + 1);
            int clash = 0;
            for (int b = 0; b < placed && !clash; b++)
                clash = fabs(bx[4 * b] - u) < half + bx[4 * b + 2] && fabs(bx[4 * b + 1] - c) < row;
            if (!clash) {
                best = c;
                break;
            }
        }
        if (bx) {
            bx[4 * placed] = u;
            bx[4 * placed + 1] = best;
            bx[4 * placed + 2] = half;
            placed++;
        }
        label_y[j] = ylo + best * yspan;
    }
    free(bx);
}

static enum rp_status fig_tradeoff(struct rp_report *r, const char *dir, enum rp_obj k,
                                   struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    int *idx = malloc(((size_t)d->n + 1) * sizeof *idx), n = 0;
    struct order *o = malloc(((size_t)d->n + 1) * sizeof *o);
    if (!idx || !o) {
        free(idx);
        free(o);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < d->n; i++)
        if (d->pts[i].status == SW_DONE && isfinite(d->pts[i].acc_int) &&
            isfinite(rp_obj_value(&d->pts[i], k)))
            o[n++] = (struct order){.cost = rp_obj_value(&d->pts[i], k),
                                    .acc = d->pts[i].acc_int, .key = d->pts[i].key, .i = i};
    qsort(o, (size_t)n, sizeof *o, by_cost);
    for (int j = 0; j < n; j++)
        idx[j] = o[j].i;
    free(o);
    if (n == 0) {
        free(idx);
        return rp_report_note(r, "accuracy vs %s: no done point with both figures, not drawn",
                              objs[k].what) ? rp_fail(err, RP_ERR_NOMEM, "out of memory") : RP_OK;
    }
    char title[256];
    int hidden = d->n - n;
    snprintf(title, sizeof title, "Accuracy vs %s", objs[k].what);
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, objs[k].fig, RP_SEC_TRADEOFF, -1, title, 900, 600,
                                 err);
    if (s != RP_OK) {
        free(idx);
        return s;
    }
    /* the seeds of one configuration (its label but the seed) as one group:
     * drawn as their mean with the standard deviation of the accuracy */
    struct seed_group {
        char name[300];
        int n, first;
        double sx, sa, saa;
    } *grp = calloc((size_t)n + 1, sizeof *grp);
    int *gi = calloc((size_t)n + 1, sizeof *gi), n_grp = 0, multi = 0;
    if (!grp || !gi) {
        free(grp);
        free(gi);
        free(idx);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    for (int j = 0; j < n; j++) {
        const struct rp_point *p = &d->pts[idx[j]];
        char name[300];
        size_t len = (size_t)snprintf(name, sizeof name, "%s|", p->merge);
        for (const char *t = p->label; *t && len < sizeof name - 1;) {
            size_t w = strcspn(t, " ");
            if (strncmp(t, "seed=", 5) != 0)
                len += (size_t)snprintf(name + len, sizeof name - len, "%.*s ", (int)w, t);
            t += w + (t[w] == ' ');
        }
        int q = 0;
        while (q < n_grp && strcmp(grp[q].name, name) != 0)
            q++;
        if (q == n_grp) {
            snprintf(grp[q].name, sizeof grp[q].name, "%s", name);
            grp[q].first = j;
            n_grp++;
        }
        const double x = rp_obj_value(p, k) * objs[k].scale;
        grp[q].n++;
        grp[q].sx += x;
        grp[q].sa += p->acc_int;
        grp[q].saa += p->acc_int * p->acc_int;
        gi[j] = q;
        multi |= grp[q].n > 1;
    }
    /* the points' labels, placed so that no two overlap (label_y below) */
    double *label_y = calloc((size_t)n + 1, sizeof *label_y);
    if (!label_y) {
        free(grp);
        free(gi);
        free(idx);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    double y_axis_lo, y_axis_hi;
    place_labels(d, idx, n, k, label_y, &y_axis_lo, &y_axis_hi);
    fprintf(g.csv, "key,merge,point,%s,acc_int,front_acc_int,seeds_first,seeds_n,seeds_%s,"
                   "seeds_acc_mean,seeds_acc_sd,label_y\n", objs[k].col, objs[k].col);
    double lo = INFINITY, hi = -INFINITY;
    for (int j = 0; j < n; j++) {
        const struct rp_point *p = &d->pts[idx[j]];
        double x = rp_obj_value(p, k) * objs[k].scale;
        lo = fmin(lo, x);
        hi = fmax(hi, x);
        rp_csv_text(g.csv, p->key);
        fputc(',', g.csv);
        rp_csv_text(g.csv, p->merge);
        fputc(',', g.csv);
        rp_csv_text(g.csv, p->label);
        fputc(',', g.csv);
        csv_num(g.csv, x);
        fputc(',', g.csv);
        csv_num(g.csv, p->acc_int);
        fputc(',', g.csv);
        csv_num(g.csv, r->front[k][idx[j]] ? p->acc_int : NAN);
        const struct seed_group *sg = &grp[gi[j]];
        const double m = sg->sa / sg->n;
        const double var = sg->n > 1 ? (sg->saa - sg->n * m * m) / (sg->n - 1) : NAN;
        fprintf(g.csv, ",%d,%d,", sg->first == j && sg->n > 1, sg->n);
        csv_num(g.csv, sg->sx / sg->n);
        fputc(',', g.csv);
        csv_num(g.csv, m);
        fputc(',', g.csv);
        csv_num(g.csv, sg->n > 1 ? sqrt(var > 0 ? var : 0) : NAN);
        fputc(',', g.csv);
        csv_num(g.csv, label_y[j]);
        fputc('\n', g.csv);
    }
    free(label_y);
    int n_multi = 0, max_seeds = 0;
    for (int q = 0; q < n_grp; q++) {
        n_multi += grp[q].n > 1;
        max_seeds = grp[q].n > max_seeds ? grp[q].n : max_seeds;
    }
    free(grp);
    free(gi);
    g.meta->n_rows = n;
    int n_front = 0;
    for (int j = 0; j < n; j++)
        n_front += r->front[k][idx[j]];
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "Test accuracy of the integer model (the hardware's) against %s, one colour and "
             "marker per merge kind; the dashed staircase and the open circles mark the %d "
             "point%s of the Pareto front.%s",
             objs[k].what, n_front, n_front == 1 ? "" : "s",
             hidden ? " Failed points, and done points without this figure, are not drawn: "
                      "see the tables." : "");
    if (multi) {
        size_t len = strlen(g.meta->caption);
        snprintf(g.meta->caption + len, sizeof g.meta->caption - len,
                 " Black squares with bars: the mean and its standard deviation over the seeds "
                 "of each of the %d configurations run with several (up to %d).", n_multi,
                 max_seeds);
    }
    fprintf(g.gp, "    set title ");
    char full[400];
    if (hidden)
        snprintf(full, sizeof full, "%s (%d of %d points; %d failed, listed in the report)",
                 title, n, d->n, d->n_failed);
    else
        snprintf(full, sizeof full, "%s (%d points)", title, n);
    rp_gp_quote(g.gp, full);
    fprintf(g.gp, "\n    set xlabel ");
    rp_gp_quote(g.gp, objs[k].xlabel);
    fprintf(g.gp, "\n    set ylabel \"test accuracy of the integer model, %%\"\n"
                  "    set grid\n    set key outside right top\n");
    /* an axis over a span of a few percent (under 10 %) would draw a small
     * difference as a trade-off: it starts at 0 instead, and the caption
     * says why */
    const int narrow = lo > 0 && hi - lo < 0.1 * hi;
    if (lo > 0 && hi / lo > 20)
        fprintf(g.gp, "    set logscale x\n");
    else if (narrow)
        fprintf(g.gp, "    set xrange [0:%.17g]\n", 1.1 * hi);
    else
        fprintf(g.gp, "    set offsets graph 0.05, graph 0.05, 0, 0\n");
    /* the full-precision reference points (trained only: a float accuracy
     * and no hardware figure, sweeps/point.h): one dotted line at their mean */
    int n_ref = 0;
    double ref_sum = 0.0;
    for (int i = 0; i < d->n; i++)
        if (rp_point_is_reference(&d->pts[i])) {
            n_ref++;
            ref_sum += d->pts[i].acc_float;
        }
    const double ref_acc = n_ref ? 100.0 * ref_sum / n_ref : NAN;
    if (n_ref && ref_acc + 2.0 > y_axis_hi)
        y_axis_hi = ref_acc + 2.0;
    if (n_ref && ref_acc - 2.0 < y_axis_lo)
        y_axis_lo = ref_acc - 2.0;
    /* the y axis that the labels were placed on (place_labels) */
    fprintf(g.gp, "    set yrange [%.17g:%.17g]\n", y_axis_lo, y_axis_hi);
    if (n_ref) {
        fprintf(g.gp, "    set arrow from graph 0, first %.17g to graph 1, first %.17g nohead "
                      "dt 3 lw 2 lc rgb \"dark-green\" front\n"
                      "    set label \"full precision: %.2f %%\" at graph 0.01, first %.17g "
                      "offset 0, 0.6 tc rgb \"dark-green\" font \",9\" front\n",
                ref_acc, ref_acc, ref_acc, ref_acc);
        size_t len = strlen(g.meta->caption);
        snprintf(g.meta->caption + len, sizeof g.meta->caption - len,
                 " The dotted green line is the full-precision reference, %.2f %%: the float "
                 "model of the same network trained with real-valued weights (the mean of %d "
                 "point%s), which the hardware cannot hold and so has no cost.", ref_acc, n_ref,
                 n_ref == 1 ? "" : "s");
    }
    if (narrow) {
        size_t len = strlen(g.meta->caption);
        snprintf(g.meta->caption + len, sizeof g.meta->caption - len,
                 " The points' %s differ by %.2g %% at most, so its axis starts at 0.",
                 objs[k].what, 100.0 * (hi - lo) / hi);
    }
    const char *kinds[16];
    int nk = merge_kinds(d, kinds, 16);
    fprintf(g.gp, "    plot \\\n");
    for (int i = 0; i < nk; i++) {
        fprintf(g.gp, "        \"%s.csv\" skip 1 using 4:(strcol(2) eq ", objs[k].fig);
        rp_gp_quote(g.gp, kinds[i]);
        /* shrinking sizes: a point drawn later never hides one of equal figures */
        fprintf(g.gp, " ? 100 * $5 : NaN) with points pt %d ps %.2f lc rgb \"%s\" title ",
                rp_merge_pt(kinds[i]), 2.2 - 0.9 * i / (nk > 1 ? nk - 1 : 1),
                rp_merge_color(kinds[i]));
        rp_gp_quote(g.gp, kinds[i]);
        fprintf(g.gp, ", \\\n");
    }
    if (multi)
        fprintf(g.gp, "        \"%s.csv\" skip 1 using ($7 == 1 ? $9 : NaN):(100 * $10):(100 * $11) "
                      "with yerrorbars pt 5 ps 1.3 lc rgb \"black\" title \"mean +- SD over "
                      "seeds\", \\\n", objs[k].fig);
    fprintf(g.gp,
            "        \"%s.csv\" skip 1 using 4:(100 * $6) with steps dt 2 lw 1.5 lc rgb \"black\" "
            "title \"Pareto front\", \\\n"
            "        \"%s.csv\" skip 1 using 4:(100 * $6) with points pt 6 ps 2.6 lc rgb "
            "\"black\" notitle%s\n",
            objs[k].fig, objs[k].fig, n <= 40 ? ", \\" : "");
    if (n <= 40)
        fprintf(g.gp, "        \"%s.csv\" skip 1 using 4:12:3 with labels "
                      "font \",8\" tc rgb \"gray30\" notitle\n", objs[k].fig);
    free(idx);
    return fig_end(&g, dir, err);
}

/* ---- cost breakdowns ---- */

/* Done points in display order: by merge kind, then label; references left out. */
static int by_merge(const void *a, const void *b)
{
    const struct order *p = a, *q = b;
    int c = p->rank - q->rank;
    if (!c)
        c = strcmp(p->merge, q->merge);
    if (!c)
        c = strcmp(p->label, q->label);
    return c ? c : strcmp(p->key, q->key);
}

/* Returns the count, or -1 when out of memory. */
static int done_points(const struct rp_data *d, int *idx)
{
    struct order *o = malloc(((size_t)d->n + 1) * sizeof *o);
    if (!o)
        return -1;
    int n = 0;
    for (int i = 0; i < d->n; i++)  /* a reference has no hardware, no model to show */
        if (d->pts[i].status == SW_DONE && !rp_point_is_reference(&d->pts[i]))
            o[n++] = (struct order){.rank = merge_rank(d->pts[i].merge), .merge = d->pts[i].merge,
                                    .label = d->pts[i].label, .key = d->pts[i].key, .i = i};
    qsort(o, (size_t)n, sizeof *o, by_merge);
    for (int j = 0; j < n; j++)
        idx[j] = o[j].i;
    free(o);
    return n;
}

/* A stacked bar chart: rows = points, columns = parts (v[row][col], NAN =
 * not measured). */
static enum rp_status stacked_bars(struct rp_report *r, const char *dir, const char *name,
                                   const char *title, const char *caption, const char *ylabel,
                                   const char *yformat,
                                   const int *rows, int n_rows, char (*cols)[32],
                                   const char *const *colors, int n_cols, const double *v,
                                   struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    int w = 260 + 48 * n_rows;
    w = w < 900 ? 900 : w > 2400 ? 2400 : w;
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, name, RP_SEC_COST, -1, title, w, 640, err);
    if (s != RP_OK)
        return s;
    snprintf(g.meta->caption, sizeof g.meta->caption, "%s", caption);
    g.meta->n_rows = n_rows;
    fprintf(g.csv, "key,point");
    for (int c = 0; c < n_cols; c++) {
        fputc(',', g.csv);
        rp_csv_text(g.csv, cols[c]);
    }
    fputc('\n', g.csv);
    for (int i = 0; i < n_rows; i++) {
        char t[300];
        rp_csv_text(g.csv, d->pts[rows[i]].key);
        fputc(',', g.csv);
        rp_csv_text(g.csv, point_title(&d->pts[rows[i]], t, sizeof t));
        for (int c = 0; c < n_cols; c++) {
            fputc(',', g.csv);
            csv_num(g.csv, v[(size_t)i * (size_t)n_cols + (size_t)c]);
        }
        fputc('\n', g.csv);
    }
    fprintf(g.gp, "    set title ");
    rp_gp_quote(g.gp, title);
    fprintf(g.gp, "\n    set ylabel ");
    rp_gp_quote(g.gp, ylabel);
    fprintf(g.gp, "\n    set style data histograms\n"
                  "    set style histogram rowstacked\n"
                  "    set style fill solid 0.9 border rgb \"white\"\n"
                  "    set boxwidth 0.7\n"
                  "    set xtics rotate by 30 right\n"
                  "    set format y \"%s\"\n"
                  "    set grid ytics\n"
                  "    set key outside right top\n"
                  "    plot \\\n", yformat);
    for (int c = 0; c < n_cols; c++) {
        fprintf(g.gp, "        \"%s.csv\" skip 1 using %d%s title ", name, c + 3,
                c == 0 ? ":xtic(2)" : "");
        rp_gp_quote(g.gp, cols[c]);
        fprintf(g.gp, " lc rgb \"%s\"%s\n", colors[c], c + 1 < n_cols ? ", \\" : "");
    }
    return fig_end(&g, dir, err);
}

static enum rp_status fig_gates(struct rp_report *r, const char *dir, const int *rows, int n,
                                struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    char (*cols)[32] = calloc(64, sizeof *cols);
    const char **colors = calloc(64, sizeof *colors);
    double *v = malloc(((size_t)n * 64 + 1) * sizeof *v);
    enum rp_status s = RP_OK;
    if (!cols || !colors || !v) {
        s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        goto out;
    }
    int nc = 0, extra = 0;
    for (int u = 0; u < N_UNIT_STYLES; u++)  /* the known kinds present, in datapath order */
        for (int i = 0; i < n; i++) {
            const struct rp_point *p = &d->pts[rows[i]];
            int has = 0;
            for (int j = 0; j < p->n_units; j++)
                has |= strcmp(p->unit[j].unit, unit_styles[u].unit) == 0;
            if (has) {
                snprintf(cols[nc], 32, "%s", unit_styles[u].unit);
                colors[nc++] = unit_styles[u].color;
                break;
            }
        }
    for (int i = 0; i < n; i++)  /* then any other kind a newer cost model adds */
        for (int j = 0; j < d->pts[rows[i]].n_units && nc < 64; j++) {
            const char *u = d->pts[rows[i]].unit[j].unit;
            int seen = 0;
            for (int c = 0; c < nc; c++)
                seen |= strcmp(cols[c], u) == 0;
            if (!seen) {
                snprintf(cols[nc], 32, "%s", u);
                colors[nc++] = extra_colors[extra++ % 6];
            }
        }
    if (nc == 0) {
        if (rp_report_note(r, "gates per unit kind: no point has units in point_units, not "
                              "drawn"))
            s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        for (int c = 0; c < nc; c++) {
            double x = NAN;
            const struct rp_point *p = &d->pts[rows[i]];
            for (int j = 0; j < p->n_units; j++)
                if (strcmp(p->unit[j].unit, cols[c]) == 0)
                    x = p->unit[j].nand2_eq;
            v[(size_t)i * (size_t)nc + (size_t)c] = x;
        }
    s = stacked_bars(r, dir, "gates_units", "Logic gates per unit kind",
                     "Where the gates go: each design point's logic, in NAND2 equivalents, by "
                     "unit kind of the cost model (point_units); the merge unit (adder path, OR "
                     "or MUX with its skip register) in red. Failed points have no bar.",
                     "logic gates, NAND2 equivalents", "%.0s%c", rows, n, cols, colors, nc, v, err);
out:
    free(cols);
    free(colors);
    free(v);
    return s;
}

/* The merge path by part (the cost JSON's merge_path.parts): gates and
 * energy, one stacked bar a point; where the adder design's price goes
 * (its requantizer) against OR and MUX. */
static enum rp_status fig_merge_parts(struct rp_report *r, const char *dir, const int *rows,
                                      int n, struct rp_error *err)
{
    static const struct { const char *part, *color; } styles[] = {
        {"adder", "#d62728"}, {"requantizer", "#ff7f0e"}, {"skip", "#ff9896"},
        {"select", "#9467bd"}, {"extra_cycles", "#7f7f7f"},
    };
    const int n_styles = (int)(sizeof styles / sizeof styles[0]);
    const struct rp_data *d = &r->data;
    struct rp_merge_parts *mp = calloc((size_t)n + 1, sizeof *mp);
    int *keep = malloc(((size_t)n + 1) * sizeof *keep), nk = 0;
    char (*cols)[32] = calloc(RP_MAX_MERGE_PARTS, sizeof *cols);
    const char **colors = calloc(RP_MAX_MERGE_PARTS, sizeof *colors);
    double *v = malloc(((size_t)n * RP_MAX_MERGE_PARTS + 1) * sizeof *v);
    enum rp_status s = RP_OK;
    if (!mp || !keep || !cols || !colors || !v) {
        s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const struct rp_point *p = &d->pts[rows[i]];
        struct rp_error e2;
        if (p->cost_path[0] && rp_merge_parts_read(&mp[nk], p->cost_path, &e2) == RP_OK &&
            mp[nk].n > 0)
            keep[nk++] = rows[i];
    }
    int nc = 0;
    for (int k = 0; k < n_styles; k++)  /* the parts any point has, in a fixed order */
        for (int i = 0; i < nk; i++) {
            int has = 0;
            for (int j = 0; j < mp[i].n; j++)
                has |= strcmp(mp[i].name[j], styles[k].part) == 0;
            if (has) {
                snprintf(cols[nc], 32, "%s", styles[k].part);
                colors[nc++] = styles[k].color;
                break;
            }
        }
    if (nk == 0 || nc == 0) {
        if (rp_report_note(r, "merge path by part: no point's cost JSON has merge_path.parts, "
                              "not drawn"))
            s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int which = 0; which < 2 && s == RP_OK; which++) {
        for (int i = 0; i < nk; i++)
            for (int c = 0; c < nc; c++) {
                double x = NAN;
                for (int j = 0; j < mp[i].n; j++)
                    if (strcmp(mp[i].name[j], cols[c]) == 0)
                        x = which ? mp[i].pj[j] * 1e-3 : mp[i].nand2[j];
                v[(size_t)i * (size_t)nc + (size_t)c] = x;
            }
        s = which ? stacked_bars(r, dir, "merge_energy", "The merge path's energy by part",
                                 "Each design point's merge path energy per inference (nJ, "
                                 "operation-based, its cost JSON's merge_path.parts): the add "
                                 "merge's stream adder and requantizer (its operations, its "
                                 "constants' reads), the skip values, the MUX select bits and the "
                                 "leakage over the cycles the add stages add; OR and MUX: their "
                                 "gates and skip bits. Failed points have no bar.",
                                 "merge path energy per inference, nJ", "%g", keep, nk, cols,
                                 colors, nc, v, err)
                  : stacked_bars(r, dir, "merge_gates", "The merge path's gates by part",
                                 "Each design point's merge path logic in NAND2 equivalents, by "
                                 "part (its cost JSON's merge_path.parts): the add merge's stream "
                                 "adder and its requantizer (multiplier or shifts, its "
                                 "double-buffered constants), the skip register, the MUX select "
                                 "bits. Failed points have no bar.",
                                 "merge path gates, NAND2 equivalents", "%.0s%c", keep, nk, cols,
                                 colors, nc, v, err);
    }
out:
    free(mp);
    free(keep);
    free(cols);
    free(colors);
    free(v);
    return s;
}

static enum rp_status fig_energy(struct rp_report *r, const char *dir, const int *rows, int n,
                                 struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    struct rp_energy *e = calloc((size_t)n + 1, sizeof *e);
    int *keep = malloc(((size_t)n + 1) * sizeof *keep), nk = 0;
    char (*cols)[32] = calloc(RP_MAX_PARTS * 2, sizeof *cols);
    const char **colors = calloc(RP_MAX_PARTS * 2, sizeof *colors);
    double *v = malloc(((size_t)n * RP_MAX_PARTS * 2 + 1) * sizeof *v);
    enum rp_status s = RP_OK;
    if (!e || !keep || !cols || !colors || !v) {
        s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const struct rp_point *p = &d->pts[rows[i]];
        struct rp_error e2;
        if (!p->cost_path[0]) {
            if (rp_report_note(r, "point %s: no cost JSON found, left out of the energy "
                                  "breakdown", p->key))
                goto oom;
            continue;
        }
        if (rp_energy_read(&e[nk], p->cost_path, &e2) != RP_OK) {
            if (rp_report_note(r, "point %s: %s; left out of the energy breakdown", p->key,
                               e2.msg))
                goto oom;
            continue;
        }
        keep[nk++] = rows[i];
    }
    int nc = 0, extra = 0;
    for (int i = 0; i < nk; i++)
        for (int j = 0; j < e[i].n && nc < RP_MAX_PARTS * 2; j++) {
            int seen = 0;
            for (int c = 0; c < nc; c++)
                seen |= strcmp(cols[c], e[i].name[j]) == 0;
            if (seen)
                continue;
            snprintf(cols[nc], 32, "%s", e[i].name[j]);
            colors[nc] = NULL;
            for (int k = 0; k < N_PART_STYLES; k++)
                if (strcmp(part_styles[k].part, e[i].name[j]) == 0)
                    colors[nc] = part_styles[k].color;
            if (!colors[nc])
                colors[nc] = extra_colors[extra++ % 6];
            nc++;
        }
    if (nk == 0 || nc == 0) {
        if (rp_report_note(r, "energy breakdown: no point's cost JSON was readable, not drawn"))
            goto oom;
        goto out;
    }
    for (int i = 0; i < nk; i++)
        for (int c = 0; c < nc; c++) {
            double x = NAN;
            for (int j = 0; j < e[i].n; j++)
                if (strcmp(e[i].name[j], cols[c]) == 0)
                    x = e[i].pj[j] * 1e-3;
            v[(size_t)i * (size_t)nc + (size_t)c] = x;
        }
    s = stacked_bars(r, dir, "energy_parts", "Energy per inference by where it goes",
                     "Each design point's energy per inference (operation-based estimate, nJ), "
                     "from its cost JSON: operations by kind, SRAM accesses per buffer, and "
                     "leakage; the merge path (merge operations, the skip buffer) in reds. "
                     "Failed points have no bar.",
                     "energy per inference, nJ", "%g", keep, nk, cols, colors, nc, v, err);
    goto out;
oom:
    s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
out:
    free(e);
    free(keep);
    free(cols);
    free(colors);
    free(v);
    return s;
}

/* ---- training ---- */

/* The test accuracy per epoch of every done point with a log. */
static enum rp_status fig_test_acc(struct rp_report *r, const char *dir, const int *rows, int n,
                                   struct rp_trainlog *logs, struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    int max_epochs = 0, n_series = 0;
    for (int i = 0; i < n; i++) {
        int tc = logs[i].n_cols ? rp_trainlog_col(&logs[i], "test_acc") : -1;
        int has = 0;
        for (int e = 0; tc >= 0 && e < logs[i].n_rows; e++)
            has |= isfinite(logs[i].v[(size_t)e * (size_t)logs[i].n_cols + (size_t)tc]);
        if (has) {
            n_series++;
            max_epochs = logs[i].n_rows > max_epochs ? logs[i].n_rows : max_epochs;
        }
    }
    if (n_series == 0)
        return RP_OK;
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, "test_acc_epochs", RP_SEC_TRAINING, -1,
                                 "Test accuracy per epoch, every point", 900, 600, err);
    if (s != RP_OK)
        return s;
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "Test accuracy of the float model (fake-quantized weights) after each epoch, from "
             "each done point's training log; the colour is the merge kind.");
    g.meta->n_rows = max_epochs;
    fprintf(g.csv, "epoch");
    for (int i = 0; i < n; i++)
        if (logs[i].n_cols && rp_trainlog_col(&logs[i], "test_acc") >= 0) {
            fputc(',', g.csv);
            rp_csv_text(g.csv, d->pts[rows[i]].key);
        }
    fputc('\n', g.csv);
    for (int e = 0; e < max_epochs; e++) {
        fprintf(g.csv, "%d", e + 1);
        for (int i = 0; i < n; i++) {
            int tc = logs[i].n_cols ? rp_trainlog_col(&logs[i], "test_acc") : -1;
            if (tc < 0)
                continue;
            fputc(',', g.csv);
            if (e < logs[i].n_rows)
                csv_num(g.csv, logs[i].v[(size_t)e * (size_t)logs[i].n_cols + (size_t)tc]);
        }
        fputc('\n', g.csv);
    }
    fprintf(g.gp, "    set title \"Test accuracy per epoch (float model)\"\n"
                  "    set xlabel \"epoch\"\n    set ylabel \"test accuracy, %%\"\n"
                  "    set grid\n    set key outside right top\n");
    if (max_epochs <= 20)
        fprintf(g.gp, "    set xtics 1\n");
    fprintf(g.gp, "    set xrange [0.5:%d.5]\n    plot \\\n", max_epochs);
    int col = 2, done = 0;
    for (int i = 0; i < n; i++) {
        int tc = logs[i].n_cols ? rp_trainlog_col(&logs[i], "test_acc") : -1;
        if (tc < 0)
            continue;
        int has = 0;
        for (int e = 0; e < logs[i].n_rows; e++)
            has |= isfinite(logs[i].v[(size_t)e * (size_t)logs[i].n_cols + (size_t)tc]);
        if (has) {
            const struct rp_point *p = &d->pts[rows[i]];
            char t[300];
            fprintf(g.gp, "        \"test_acc_epochs.csv\" skip 1 using 1:(100 * $%d) with "
                          "linespoints pt %d lc rgb \"%s\" dt %d title ",
                    col, rp_merge_pt(p->merge), rp_merge_color(p->merge), 1 + done % 4);
            rp_gp_quote(g.gp, point_title(p, t, sizeof t));
            fprintf(g.gp, "%s\n", ++done < n_series ? ", \\" : "");
        }
        col++;
    }
    return fig_end(&g, dir, err);
}

static int log_has(const struct rp_trainlog *t, int col)
{
    for (int e = 0; col >= 0 && e < t->n_rows; e++)
        if (isfinite(t->v[(size_t)e * (size_t)t->n_cols + (size_t)col]))
            return 1;
    return 0;
}

/* Training curves of one point: accuracies (left axis) and loss (right). */
static enum rp_status fig_train(struct rp_report *r, const char *dir, int pi,
                                const struct rp_trainlog *t, struct rp_error *err)
{
    const struct rp_point *p = &r->data.pts[pi];
    const char *names[] = {"train_loss", "train_acc", "test_acc"};
    int c[3];
    for (int i = 0; i < 3; i++)
        c[i] = rp_trainlog_col(t, names[i]);
    if (!log_has(t, c[0]) && !log_has(t, c[1]) && !log_has(t, c[2]))
        return RP_OK;
    char name[64], title[400];
    point_fig_names(p, "train", "Training curves", name, title);
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, name, RP_SEC_TRAINING, pi, title, 800, 520, err);
    if (s != RP_OK)
        return s;
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "Per epoch: training accuracy (training-mode forward), test accuracy of the float "
             "model, and the mean training loss (right axis), from the point's training log.");
    g.meta->n_rows = t->n_rows;
    fprintf(g.csv, "epoch,train_loss,train_acc,test_acc\n");
    for (int e = 0; e < t->n_rows; e++) {
        fprintf(g.csv, "%d", e + 1);
        for (int i = 0; i < 3; i++) {
            fputc(',', g.csv);
            if (c[i] >= 0)
                csv_num(g.csv, t->v[(size_t)e * (size_t)t->n_cols + (size_t)c[i]]);
        }
        fputc('\n', g.csv);
    }
    fprintf(g.gp, "    set title ");
    rp_gp_quote(g.gp, title);
    fprintf(g.gp, "\n    set xlabel \"epoch\"\n    set ylabel \"accuracy, %%\"\n"
                  "    set y2label \"training loss\"\n    set ytics nomirror\n    set y2tics\n"
                  "    set grid\n    set key outside right top\n");
    if (t->n_rows <= 20)
        fprintf(g.gp, "    set xtics 1\n");
    fprintf(g.gp, "    set xrange [0.5:%d.5]\n    plot \\\n", t->n_rows);
    const char *clause[3] = {
        "using 1:2 axes x1y2 with linespoints pt 7 lc rgb \"#7f7f7f\" dt 2 title \"training loss\"",
        "using 1:(100 * $3) with linespoints pt 5 lc rgb \"#1f77b4\" title \"training accuracy\"",
        "using 1:(100 * $4) with linespoints pt 7 lc rgb \"#d62728\" title \"test accuracy (float model)\"",
    };
    int n_cl = 0, total = log_has(t, c[0]) + log_has(t, c[1]) + log_has(t, c[2]);
    for (int i = 0; i < 3; i++)
        if (log_has(t, c[i]))
            fprintf(g.gp, "        \"%s.csv\" skip 1 %s%s\n", name, clause[i],
                    ++n_cl < total ? ", \\" : "");
    return fig_end(&g, dir, err);
}

static void layer_list(char *buf, size_t size, const int *layer, int n);

/* A colour for the i-th layer's series (0-based): 20 distinct ones (the
 * tab20 palette, dark and light of each hue), so that a network of up to
 * 20 layers never shows two alike (gnuplot's own cycle repeats after 8);
 * beyond 20 the dash pattern tells them apart (layer_dash). */
static const char *layer_rgb(int i)
{
    static const char *const tab20[] = {
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
        "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
        "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};
    return tab20[i % 20];
}
static int layer_dash(int i) { return 1 + (i / 20) % 5; }

/* Step sizes of one point's layers per epoch (HEQ paper Fig. 4, top). */
static enum rp_status fig_steps(struct rp_report *r, const char *dir, int pi,
                                const struct rp_trainlog *t, struct rp_error *err)
{
    const struct rp_point *p = &r->data.pts[pi];
    int cols[RP_MAX_LAYERS], layer[RP_MAX_LAYERS], n = 0;
    for (int c = 0; c < t->n_cols && n < RP_MAX_LAYERS; c++) {
        int l, len = 0;
        if (sscanf(t->cols[c], "l%d_step%n", &l, &len) == 1 && t->cols[c][len] == 0 &&
            log_has(t, c)) {
            cols[n] = c;
            layer[n++] = l;
        }
    }
    if (n == 0)
        return RP_OK;
    char name[64], title[400];
    point_fig_names(p, "steps", "Weight step sizes", name, title);
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, name, RP_SEC_TRAINING, pi, title, 800, 520, err);
    if (s != RP_OK)
        return s;
    char which[512];
    layer_list(which, sizeof which, layer, n);
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "The weight step size of %s (the quantized ones) at the end of each epoch (the "
             "mean over its scale groups; for binary and ternary quantizers the value of code "
             "1), as in the HEQ paper's Fig. 4.", which);
    g.meta->n_rows = t->n_rows;
    fprintf(g.csv, "epoch");
    for (int i = 0; i < n; i++)
        fprintf(g.csv, ",l%d_step", layer[i]);
    fputc('\n', g.csv);
    for (int e = 0; e < t->n_rows; e++) {
        fprintf(g.csv, "%d", e + 1);
        for (int i = 0; i < n; i++) {
            fputc(',', g.csv);
            csv_num(g.csv, t->v[(size_t)e * (size_t)t->n_cols + (size_t)cols[i]]);
        }
        fputc('\n', g.csv);
    }
    fprintf(g.gp, "    set title ");
    rp_gp_quote(g.gp, title);
    fprintf(g.gp, "\n    set xlabel \"epoch\"\n    set ylabel \"step size s\"\n"
                  "    set logscale y\n    set grid\n    set key outside right top\n");
    if (t->n_rows <= 20)
        fprintf(g.gp, "    set xtics 1\n");
    fprintf(g.gp, "    set xrange [0.5:%d.5]\n    plot \\\n", t->n_rows);
    for (int i = 0; i < n; i++)
        fprintf(g.gp, "        \"%s.csv\" skip 1 using 1:%d with linespoints lw 1.5 lc rgb "
                      "\"%s\" dt %d title \"layer %d\"%s\n", name, i + 2, layer_rgb(i),
                layer_dash(i), layer[i], i + 1 < n ? ", \\" : "");
    return fig_end(&g, dir, err);
}

/* The layers (1-based) its sweep point's codes.csv calls binary: binary[l]
 * is 1 for those. Without the file, none. */
static void binary_layers(const struct rp_point *p, unsigned char *binary, int max)
{
    memset(binary, 0, (size_t)max + 1);
    char path[4200], line[256];
    FILE *f = rp_point_file(p, "codes.csv", path, sizeof path) ? fopen(path, "r") : NULL;
    while (f && fgets(line, sizeof line, f)) {
        int l;
        char op[8], kind[8];
        if (sscanf(line, "%d,%7[^,],%7[^,],", &l, op, kind) == 3 && l >= 1 && l <= max)
            binary[l] = strcmp(kind, "binary") == 0;
    }
    if (f)
        fclose(f);
}

/* "layers 1, 2 and 5" (or "layer 3") into buf. */
static void layer_list(char *buf, size_t size, const int *layer, int n)
{
    size_t len = (size_t)snprintf(buf, size, "layer%s ", n > 1 ? "s" : "");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%d",
                                i == 0 ? "" : i == n - 1 ? " and " : ", ", layer[i]);
}

/* Level shares of one point's layers per epoch: one panel a layer. A binary
 * layer's log has a column for code 0, always 0: it is not a level, so the
 * panel has two and the equal share is 1/2. */
static enum rp_status fig_levels(struct rp_report *r, const char *dir, int pi,
                                 const struct rp_trainlog *t, struct rp_error *err)
{
    const struct rp_point *p = &r->data.pts[pi];
    int n_layers = 0, layer[RP_MAX_LAYERS], first[RP_MAX_LAYERS], count[RP_MAX_LAYERS];
    int *csv_col = malloc(((size_t)t->n_cols + 1) * sizeof *csv_col), n_out = 0;
    if (!csv_col)
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    static unsigned char binary[RP_MAX_LAYERS + 1];
    binary_layers(p, binary, RP_MAX_LAYERS);
    for (int c = 0; c < t->n_cols; c++) {
        int l, len = 0, k;
        if (sscanf(t->cols[c], "l%d_q%d%n", &l, &k, &len) != 2 || t->cols[c][len] != 0)
            continue;
        if (l >= 1 && l <= RP_MAX_LAYERS && binary[l] && k == 0)
            continue;
        if (n_layers == 0 || layer[n_layers - 1] != l) {
            if (n_layers == RP_MAX_LAYERS)
                break;
            layer[n_layers] = l;
            first[n_layers] = n_out;
            count[n_layers++] = 0;
        }
        count[n_layers - 1]++;
        csv_col[n_out++] = c;
    }
    if (n_layers == 0) {
        free(csv_col);
        return RP_OK;
    }
    char name[64], title[400];
    point_fig_names(p, "levels", "Level shares per layer", name, title);
    int nc = 1;
    while (nc * nc < n_layers)
        nc++;
    int nr = (n_layers + nc - 1) / nc;
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, name, RP_SEC_TRAINING, pi, title, 330 * nc + 40,
                                 260 * nr + 50, err);
    if (s != RP_OK) {
        free(csv_col);
        return s;
    }
    g.multiplot = 1;
    char which[512];
    layer_list(which, sizeof which, layer, n_layers);
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "The share of the weights at each quantized level at the end of each epoch (from "
             "the training log), one panel for each of %s; the dotted line is the equal share "
             "1/N of the layer's N levels that histogram equalization aims at (1/2 for a "
             "binary layer, which has no code 0).", which);
    g.meta->n_rows = t->n_rows;
    fprintf(g.csv, "epoch");
    for (int i = 0; i < n_out; i++)
        {
        fputc(',', g.csv);
        rp_csv_text(g.csv, t->cols[csv_col[i]]);
    }
    fputc('\n', g.csv);
    for (int e = 0; e < t->n_rows; e++) {
        fprintf(g.csv, "%d", e + 1);
        for (int i = 0; i < n_out; i++) {
            fputc(',', g.csv);
            csv_num(g.csv, t->v[(size_t)e * (size_t)t->n_cols + (size_t)csv_col[i]]);
        }
        fputc('\n', g.csv);
    }
    fprintf(g.gp, "    set multiplot layout %d,%d title ", nr, nc);
    rp_gp_quote(g.gp, title);
    fprintf(g.gp, "\n    set grid\n    set yrange [0:1]\n    set key top right font \",8\"\n"
                  "    set xlabel \"epoch\"\n    set ylabel \"share of the weights\"\n"
                  "    set xrange [0.5:%d.5]\n%s", t->n_rows,
            t->n_rows <= 20 ? "    set xtics 1\n" : "");
    /* one legend: on the panel with the most levels (each code keeps its
     * colour, lc by code, on every panel) */
    int keyed = 0, min_code = 0;
    for (int l = 1; l < n_layers; l++)
        keyed = count[l] > count[keyed] ? l : keyed;
    for (int i = 0; i < n_out; i++) {
        const char *q = strchr(t->cols[csv_col[i]], 'q');
        min_code = q && atoi(q + 1) < min_code ? atoi(q + 1) : min_code;
    }
    static const char *const code_rgb[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                           "#9467bd", "#8c564b", "#e377c2", "#17becf",
                                           "#bcbd22", "#7f7f7f", "#393b79", "#637939"};
    for (int l = 0; l < n_layers; l++) {
        fprintf(g.gp, "    set title \"layer %d\"\n    %s\n    plot \\\n", layer[l],
                l == keyed ? "set key" : "unset key");
        for (int j = 0; j < count[l]; j++) {
            const char *cn = t->cols[csv_col[first[l] + j]];
            const char *q = strchr(cn, 'q');
            const int code = q ? atoi(q + 1) : 0;
            fprintf(g.gp, "        \"%s.csv\" skip 1 using 1:%d with linespoints lc rgb \"%s\" "
                          "title \"code %s\", \\\n", name, 2 + first[l] + j,
                    code_rgb[(code - min_code) % 12], q ? q + 1 : cn);
        }
        fprintf(g.gp, "        1.0 / %d with lines dt 3 lc rgb \"gray40\" title \"1/%d\"\n",
                count[l], count[l]);
    }
    free(csv_col);
    return fig_end(&g, dir, err);
}

/* ---- weights ---- */

/* The quantizer family of a point's layers admits decision thresholds at
 * w/s = +-(j - 1/2) (round to nearest: heq, uniform) for every layer. */
static int rounding_quantizers(const struct rp_data *d, int pi)
{
    const char *names[] = {"wq", "wq_first", "wq_last"};
    for (int i = 0; i < 3; i++) {
        const char *v = rp_point_param(d, pi, names[i]);
        if (i == 0 && !v)
            v = "heq:3";  /* the default */
        if (v && strncmp(v, "heq", 3) != 0 && strncmp(v, "uniform", 7) != 0)
            return 0;
    }
    return 1;
}

/* The real-valued weights of up to four layers of one point (the first, two
 * between, the last) with the quantizer's thresholds: the HEQ paper's Fig. 1,
 * from the MODEL.weights.csv that `logiq train` writes beside the model
 * (format: nn/weight_hist.c; the report reads it as text). Absent file: a
 * note, no figure. */
static enum rp_status fig_float_weights(struct rp_report *r, const char *dir, int pi,
                                        struct rp_error *err)
{
    const struct rp_point *p = &r->data.pts[pi];
    if (!p->model_path[0])
        return RP_OK;
    char path[4200];
    snprintf(path, sizeof path, "%s", p->model_path);
    char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        *dot = 0;
    strncat(path, ".weights.csv", sizeof path - strlen(path) - 1);
    FILE *in = fopen(path, "r");
    if (!in)
        return rp_report_note(r, "point %s: %s: not found; no histogram of the real weights",
                              p->key, path)
                   ? rp_fail(err, RP_ERR_NOMEM, "out of memory") : RP_OK;
    /* pass 1: the layers, their largest bar */
    char line[512];
    int n_layers = 0;
    double peak[RP_MAX_LAYERS + 1] = {0};
    int bins = 0;
    while (fgets(line, sizeof line, in)) {
        int l;
        char kind[8];
        double x, c;
        if (sscanf(line, "%d,%*[^,],%7[^,],%lf,%lf", &l, kind, &x, &c) == 4 && l >= 1 &&
            l <= RP_MAX_LAYERS && strcmp(kind, "bin") == 0) {
            n_layers = l > n_layers ? l : n_layers;
            peak[l] = c > peak[l] ? c : peak[l];
            bins += l == 1;
        }
    }
    if (n_layers == 0) {
        fclose(in);
        return rp_report_note(r, "point %s: %s holds no histogram", p->key, path)
                   ? rp_fail(err, RP_ERR_NOMEM, "out of memory") : RP_OK;
    }
    int pick[4], n_pick = 0;
    for (int k = 0; k < 4; k++) {
        int l = 1 + (int)((long)k * (n_layers - 1) / 3);
        if (n_pick == 0 || pick[n_pick - 1] != l)
            pick[n_pick++] = l;
    }
    char name[64], title[400];
    point_fig_names(p, "fweights", "Real-valued weights and thresholds", name, title);
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, name, RP_SEC_WEIGHTS, pi, title, 900, 640, err);
    if (s != RP_OK) {
        fclose(in);
        return s;
    }
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "Histograms of the real-valued (proxy) weights of layers %d to %d at the end of "
             "training, %d bins over +-max|w|, with the quantizer's decision thresholds "
             "(dashed; of the layer's first scale group), as in the HEQ paper's Fig. 1.",
             pick[0], pick[n_pick - 1], bins);
    /* pass 2: the picked layers' rows, verbatim */
    rewind(in);
    long rows = 0;
    while (fgets(line, sizeof line, in)) {
        int l;
        if (rows == 0 && strncmp(line, "layer,", 6) == 0) {
            fputs(line, g.csv);
            continue;
        }
        if (sscanf(line, "%d,", &l) != 1)
            continue;
        for (int k = 0; k < n_pick; k++)
            if (pick[k] == l) {
                fputs(line, g.csv);
                rows++;
            }
    }
    fclose(in);
    g.meta->n_rows = (int)rows;
    g.multiplot = 1;
    fprintf(g.gp, "    set multiplot layout 2,2 title ");
    rp_gp_quote(g.gp, title);
    fprintf(g.gp, "\n    set style fill solid 0.6 noborder\n    set grid ytics\n"
                  "    set xlabel \"weight\"\n    set ylabel \"weights per bin\"\n");
    for (int k = 0; k < n_pick; k++) {
        int l = pick[k];
        fprintf(g.gp, "    set title \"layer %d\"\n    set yrange [0:%g]\n    plot \\\n", l,
                1.05 * peak[l]);
        fprintf(g.gp, "        \"%s.csv\" skip 1 using (($1 == %d && strcol(3) eq \"bin\") ? $4 "
                      ": NaN):5 with boxes lc rgb \"#1f77b4\" title \"weights\", \\\n", name, l);
        fprintf(g.gp, "        \"%s.csv\" skip 1 using (($1 == %d && strcol(3) eq \"thr\") ? $4 "
                      ": NaN):(%g) with impulses lc rgb \"#d62728\" dt 2 lw 1.5 "
                      "title \"thresholds\"\n", name, l, 1.05 * peak[l]);
    }
    return fig_end(&g, dir, err);
}

/* The histogram of one point's integer weight codes per layer (HEQ paper
 * Fig. 3, after quantization), from the codes.csv its sweep point wrote
 * beside the model (docs/sweeps.md: layer,op,kind,w_max,weights,code,count). */
struct code_layer {
    int conv, binary, w_max;  /* conv or dense; binary or sign-magnitude */
    long weights;
};

static enum rp_status fig_weights(struct rp_report *r, const char *dir, int pi,
                                  struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    const struct rp_point *p = &d->pts[pi];
    char path[4200];
    FILE *in = rp_point_file(p, "codes.csv", path, sizeof path) ? fopen(path, "r") : NULL;
    if (!in)
        return rp_report_note(r, "point %s: %s: not found; no weight histogram", p->key,
                              p->model_path[0] ? path : "no model")
                   ? rp_fail(err, RP_ERR_NOMEM, "out of memory") : RP_OK;
    /* pass 1: the layers and the widest code range */
    static struct code_layer ly[RP_MAX_LAYERS + 1];
    memset(ly, 0, sizeof ly);
    char line[256];
    int L = 0, kmax = 1;
    while (fgets(line, sizeof line, in)) {
        int l, K, code;
        long n, count;
        char op[8], kind[8];
        if (sscanf(line, "%d,%7[^,],%7[^,],%d,%ld,%d,%ld", &l, op, kind, &K, &n, &code, &count) !=
                7 || l < 1 || l > RP_MAX_LAYERS || K < 1 || K > 127)
            continue;
        L = l > L ? l : L;
        kmax = K > kmax ? K : kmax;
        ly[l].conv = strcmp(op, "conv") == 0;
        ly[l].binary = strcmp(kind, "binary") == 0;
        ly[l].w_max = K;
        ly[l].weights = n;
    }
    if (L == 0) {
        fclose(in);
        return rp_report_note(r, "point %s: %s holds no weight codes", p->key, path)
                   ? rp_fail(err, RP_ERR_NOMEM, "out of memory") : RP_OK;
    }
    const int nb = 2 * kmax + 1;
    double *share = malloc((size_t)L * (size_t)nb * sizeof *share);
    if (!share) {
        fclose(in);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < (size_t)L * (size_t)nb; k++)
        share[k] = NAN;  /* not a level of the layer */
    /* pass 2: the shares */
    rewind(in);
    while (fgets(line, sizeof line, in)) {
        int l, K, code;
        long n, count;
        char op[8], kind[8];
        if (sscanf(line, "%d,%7[^,],%7[^,],%d,%ld,%d,%ld", &l, op, kind, &K, &n, &code, &count) ==
                7 && l >= 1 && l <= L && code >= -kmax && code <= kmax && n > 0)
            share[(size_t)(l - 1) * (size_t)nb + (size_t)(code + kmax)] = (double)count / n;
    }
    fclose(in);
    int binary_any = 0, signmag_any = 0;
    for (int l = 1; l <= L; l++) {
        binary_any |= ly[l].w_max > 0 && ly[l].binary;
        signmag_any |= ly[l].w_max > 0 && !ly[l].binary;
    }
    char name[64], title[400];
    point_fig_names(p, "weights", "Integer weight codes per layer", name, title);
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, name, RP_SEC_WEIGHTS, pi, title, 800, 520, err);
    if (s != RP_OK) {
        free(share);
        return s;
    }
    int thresholds = signmag_any && !binary_any && rounding_quantizers(d, pi);
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "Share of each layer's weights at each integer code w/s, from the exported .qnn "
             "(after quantization). %s The real-valued weights before quantization are in "
             "the fweights figure.",
             thresholds ? "Dashed: the decision thresholds of the rounding quantizer, "
                          "w/s = +-(j - 1/2)."
                        : binary_any && !signmag_any
                              ? "Dashed: the sign threshold at 0."
                              : "Thresholds in weight units depend on the quantizer and are "
                                "not stored (the training log gives the step sizes).");
    g.meta->n_rows = nb;
    fprintf(g.csv, "code");
    for (int l = 0; l < L; l++)
        fprintf(g.csv, ",l%d", l + 1);
    fputc('\n', g.csv);
    for (int b = 0; b < nb; b++) {
        fprintf(g.csv, "%d", b - kmax);
        for (int l = 0; l < L; l++) {
            fputc(',', g.csv);
            csv_num(g.csv, share[(size_t)l * (size_t)nb + (size_t)b]);
        }
        fputc('\n', g.csv);
    }
    double bw = 0.8 / L;
    fprintf(g.gp, "    set title ");
    rp_gp_quote(g.gp, title);
    fprintf(g.gp, "\n    set xlabel \"integer weight code (w / s)\"\n"
                  "    set ylabel \"share of the layer's weights\"\n"
                  "    set xrange [%g:%g]\n    set xtics 1\n    set yrange [0:*]\n"
                  "    set grid ytics\n    set key outside right top\n"
                  "    set style fill solid 0.75 border -1\n    set boxwidth %g absolute\n",
            -kmax - 0.6, kmax + 0.6, bw);
    fprintf(g.gp, "    unset arrow\n");
    if (thresholds)
        for (int j = 1; j <= kmax; j++)
            fprintf(g.gp, "    set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lc rgb "
                          "\"gray30\"\n    set arrow from %g, graph 0 to %g, graph 1 nohead "
                          "dt 2 lc rgb \"gray30\"\n", j - 0.5, j - 0.5, -(j - 0.5), -(j - 0.5));
    else if (binary_any && !signmag_any)
        fprintf(g.gp, "    set arrow from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb "
                      "\"gray30\"\n");
    fprintf(g.gp, "    plot \\\n");
    for (int l = 0; l < L; l++) {
        fprintf(g.gp, "        \"%s.csv\" skip 1 using ($1 + %g):%d with boxes lc rgb \"%s\" "
                      "title \"layer %d (%s, %ld weights)\"%s\n",
                name, (l - (L - 1) / 2.0) * bw, l + 2, layer_rgb(l), l + 1,
                ly[l + 1].conv ? "conv" : "dense", ly[l + 1].weights, l + 1 < L ? ", \\" : "");
    }
    free(share);
    return fig_end(&g, dir, err);
}

/* ---- all ---- */

/* One claim of the reproduction section: the mean of each compared value
 * (per `across` value), with its seeds' standard deviation as error bars. */
static enum rp_status fig_claim(struct rp_report *r, const char *dir, int ci,
                                struct rp_error *err)
{
    const struct rp_claim *c = &r->claims->c[ci];
    const struct rp_claim_result *res = &r->claim_res[ci];
    char name[64], title[400];
    rp_file_part(name, sizeof name, "claim-", c->id);
    snprintf(title, sizeof title, "%s: %s", c->paper, c->id);
    int w = 300 + 70 * res->n_across * c->n_values;
    w = w < 800 ? 800 : w > 2000 ? 2000 : w;
    struct fig g;
    enum rp_status s = fig_begin(&g, r, dir, name, RP_SEC_CLAIMS, -1, title, w, 520, err);
    if (s != RP_OK)
        return s;
    r->claim_fig[ci] = r->n_figs - 1;
    const struct rp_metric *mt = rp_claim_metric(c);
    const int pct = mt->percent;
    snprintf(g.meta->caption, sizeof g.meta->caption,
             "%c%s (%s, %s) for each %s%s%s: the mean over the seeds of each "
             "configuration, the error bars the seeds' standard deviation (none with one "
             "seed). %d points.", toupper((unsigned char)mt->what[0]), mt->what + 1,
             mt->name, mt->unit, c->vary, c->across[0] ? " and " : "", c->across,
             res->n_points);
    g.meta->n_rows = res->n_across;
    rp_csv_text(g.csv, c->across[0] ? c->across : "all");
    for (int k = 0; k < c->n_values; k++)
        {
        char h[300];
        snprintf(h, sizeof h, "%s=%s mean", c->vary, c->values[k]);
        fputc(',', g.csv);
        rp_csv_text(g.csv, h);
        fputs(",sd,n", g.csv);
    }
    fputc('\n', g.csv);
    double lo = 100.0, hi = 0.0;
    for (int a = 0; a < res->n_across; a++) {
        rp_csv_text(g.csv, c->across[0] ? res->across_vals[a] : "all");
        for (int k = 0; k < c->n_values; k++) {
            const struct rp_cell *cell = &res->cell[a][k];
            fputc(',', g.csv);
            csv_num(g.csv, cell->mean);
            fputc(',', g.csv);
            csv_num(g.csv, cell->n >= 2 ? cell->sd : 0.0);
            fprintf(g.csv, ",%d", cell->n);
            if (cell->n) {
                double sd = cell->n >= 2 ? cell->sd : 0.0;
                lo = fmin(lo, cell->mean - sd);
                hi = fmax(hi, cell->mean + sd);
            }
        }
        fputc('\n', g.csv);
    }
    if (hi < lo) {
        lo = 0.0;
        hi = pct ? 100.0 : 1.0;
    }
    /* accuracies: at least a point either side, within [0, 100]; a hardware
     * figure from 0, so the bars' heights compare */
    if (!pct)
        lo = 0.0;
    double pad = pct ? fmax(1.0, 0.15 * (hi - lo)) : 0.1 * hi;
    fprintf(g.gp, "    set title ");
    rp_gp_quote(g.gp, title);
    fprintf(g.gp, "\n    set ylabel \"%s, %s\"\n", mt->name, mt->unit);
    if (c->across[0]) {
        fprintf(g.gp, "    set xlabel ");
        rp_gp_quote(g.gp, c->across);
        fputc('\n', g.gp);
    }
    fprintf(g.gp, "    set style data histograms\n"
                  "    set style histogram errorbars gap 2 lw 1.5\n"
                  "    set style fill solid 0.8 border rgb \"black\"\n"
                  "    set boxwidth 0.9\n"
                  "    set yrange [%g:%g]\n"
                  "    set grid ytics\n"
                  "    set key outside right top\n"
                  "    plot \\\n", fmax(0.0, lo - pad), pct ? fmin(100.0, hi + pad) : hi + pad);
    for (int k = 0; k < c->n_values; k++) {
        fprintf(g.gp, "        \"%s.csv\" skip 1 using %d:%d%s title ", name, 2 + 3 * k,
                3 + 3 * k, k == 0 ? ":xtic(1)" : "");
        char t[200];
        snprintf(t, sizeof t, "%s = %s", c->vary, c->values[k]);
        rp_gp_quote(g.gp, t);
        fprintf(g.gp, " lc rgb \"%s\"%s\n", extra_colors[k % (int)(sizeof extra_colors /
                                                                   sizeof extra_colors[0])],
                k + 1 < c->n_values ? ", \\" : "");
    }
    return fig_end(&g, dir, err);
}

enum rp_status rp_figures_write(struct rp_report *r, const char *dir, struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    enum rp_status s = RP_OK;
    for (int i = 0; r->claims && i < r->claims->n && s == RP_OK; i++)
        if (!r->claim_res[i].problem[0])
            s = fig_claim(r, dir, i, err);
    for (int k = 0; k < RP_N_OBJ && s == RP_OK; k++)
        s = fig_tradeoff(r, dir, (enum rp_obj)k, err);
    if (s != RP_OK)
        return s;
    int *rows = malloc(((size_t)d->n + 1) * sizeof *rows);
    struct rp_trainlog *logs = calloc((size_t)d->n + 1, sizeof *logs);
    if (!rows || !logs) {
        free(rows);
        free(logs);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    int n = done_points(d, rows);
    if (n < 0) {
        free(rows);
        free(logs);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    if (n > 0)
        s = fig_gates(r, dir, rows, n, err);
    if (s == RP_OK && n > 0)
        s = fig_energy(r, dir, rows, n, err);
    if (s == RP_OK && n > 0)
        s = fig_merge_parts(r, dir, rows, n, err);
    for (int i = 0; i < n && s == RP_OK; i++) {
        const struct rp_point *p = &d->pts[rows[i]];
        struct rp_error e2;
        if (!p->log_path[0]) {
            if (rp_report_note(r, "point %s: no training log found, no training figures",
                               p->key))
                s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        } else if (rp_trainlog_read(&logs[i], p->log_path, &e2) != RP_OK) {
            if (rp_report_note(r, "point %s: %s; no training figures", p->key, e2.msg))
                s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        }
    }
    if (s == RP_OK && n > 0)
        s = fig_test_acc(r, dir, rows, n, logs, err);
    for (int i = 0; i < n && s == RP_OK; i++) {
        if (logs[i].n_cols) {
            s = fig_train(r, dir, rows[i], &logs[i], err);
            if (s == RP_OK)
                s = fig_steps(r, dir, rows[i], &logs[i], err);
            if (s == RP_OK)
                s = fig_levels(r, dir, rows[i], &logs[i], err);
        }
        if (s == RP_OK)
            s = fig_weights(r, dir, rows[i], err);
        if (s == RP_OK)
            s = fig_float_weights(r, dir, rows[i], err);
    }
    for (int i = 0; i < n; i++)
        rp_trainlog_free(&logs[i]);
    free(logs);
    free(rows);
    return s;
}

/* reports/page.c: points.csv, index.html and report.md (page.h). The two
 * pages have one structure, written by one set of functions that speak
 * HTML or Markdown (struct out). */
#include "reports/page.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/escape.h"

/* A heading of the page, for its table of contents. */
struct toc_entry {
    int level;
    char id[64], text[256];
};

struct out {
    FILE *f;
    int md;         /* 1: Markdown, 0: HTML */
    /* the page's headings: recorded by a first pass (toc_record), listed
     * under the title by the second (toc) */
    struct toc_entry *toc;
    int n_toc, toc_record;
};

static void text(const struct out *o, const char *s)
{
    if (o->md)
        rp_md_text(o->f, s);
    else
        rp_html_text(o->f, s);
}

static void heading(const struct out *o, int level, const char *s, const char *id)
{
    if (o->toc_record && id && level >= 2 && level <= 3 && o->n_toc < 512) {
        struct out *w = (struct out *)o;  /* the recording pass's own list */
        struct toc_entry *e = &w->toc[w->n_toc++];
        e->level = level;
        snprintf(e->id, sizeof e->id, "%s", id);
        snprintf(e->text, sizeof e->text, "%s", s);
    }
    if (o->md) {
        fprintf(o->f, "\n%.*s ", level, "######");
        text(o, s);
        fputs("\n\n", o->f);
    } else {
        fprintf(o->f, "<h%d", level);
        if (id)
            fprintf(o->f, " id=\"%s\"", id);
        fputc('>', o->f);
        text(o, s);
        fprintf(o->f, "</h%d>\n", level);
    }
}

static void para_begin(const struct out *o) { fputs(o->md ? "" : "<p>", o->f); }
static void para_end(const struct out *o) { fputs(o->md ? "\n\n" : "</p>\n", o->f); }

static void table_begin(const struct out *o, const char *const *head, int n)
{
    if (o->md) {
        fputs("|", o->f);
        for (int i = 0; i < n; i++) {
            fputc(' ', o->f);
            text(o, head[i]);
            fputs(" |", o->f);
        }
        fputs("\n|", o->f);
        for (int i = 0; i < n; i++)
            fputs("---|", o->f);
        fputc('\n', o->f);
    } else {
        fputs("<table>\n<tr>", o->f);
        for (int i = 0; i < n; i++) {
            fputs("<th>", o->f);
            text(o, head[i]);
            fputs("</th>", o->f);
        }
        fputs("</tr>\n", o->f);
    }
}

static void row(const struct out *o, const char *const *cells, int n, const char *cls)
{
    if (o->md) {
        fputs("|", o->f);
        for (int i = 0; i < n; i++) {
            fputc(' ', o->f);
            text(o, cells[i]);
            fputs(" |", o->f);
        }
        fputc('\n', o->f);
    } else {
        fprintf(o->f, "<tr%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
        for (int i = 0; i < n; i++) {
            fputs("<td>", o->f);
            text(o, cells[i]);
            fputs("</td>", o->f);
        }
        fputs("</tr>\n", o->f);
    }
}

static void table_end(const struct out *o) { fputs(o->md ? "\n" : "</table>\n", o->f); }

static void pre(const struct out *o, const char *s)
{
    if (o->md) {
        /* a fence longer than any backtick run in s, so s cannot close it */
        int fence = rp_md_fence_len(s);
        for (int i = 0; i < fence; i++)
            fputc('`', o->f);
        fprintf(o->f, "ini\n%s%s", s, s[0] && s[strlen(s) - 1] != '\n' ? "\n" : "");
        for (int i = 0; i < fence; i++)
            fputc('`', o->f);
        fputs("\n\n", o->f);
    } else {
        fputs("<pre>", o->f);
        text(o, s);
        fputs("</pre>\n", o->f);
    }
}

static void figure(const struct out *o, const struct rp_figure *f)
{
    if (o->md) {
        fprintf(o->f, "![");
        text(o, f->title);
        fprintf(o->f, "](%s.png)\n\n**", f->name);
        text(o, f->title);
        fputs(".** ", o->f);
        text(o, f->caption);
        fprintf(o->f, " ([SVG](%s.svg), [CSV](%s.csv), [gnuplot script](%s.gp))\n\n", f->name,
                f->name, f->name);
    } else {
        fprintf(o->f, "<figure id=\"%s\"><a href=\"%s.svg\"><img src=\"%s.png\" alt=\"", f->name,
                f->name, f->name);
        text(o, f->title);
        fputs("\"></a>\n<figcaption><b>", o->f);
        text(o, f->title);
        fputs(".</b> ", o->f);
        text(o, f->caption);
        fprintf(o->f, " <span class=\"files\">[<a href=\"%s.svg\">SVG</a> &middot; "
                      "<a href=\"%s.csv\">CSV</a> &middot; <a href=\"%s.gp\">gnuplot "
                      "script</a>]</span></figcaption></figure>\n", f->name, f->name, f->name);
    }
}

/* A figure for a table: "-" when not measured. */
static const char *num(char *buf, size_t size, double v, const char *fmt, double scale)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, fmt, v * scale);
    return buf;
}

/* Done points by accuracy (best first), then gates. */
struct rank {
    double acc, gates;
    const char *key;
    int i;
};

static int by_accuracy(const void *a, const void *b)
{
    const struct rank *p = a, *q = b;
    if (p->acc != q->acc)
        return p->acc > q->acc ? -1 : 1;
    if (p->gates != q->gates)
        return isnan(p->gates) ? 1 : isnan(q->gates) ? -1 : p->gates < q->gates ? -1 : 1;
    return strcmp(p->key, q->key);
}

static void fronts_of(const struct rp_report *r, int i, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; k < RP_N_OBJ; k++)
        if (r->front[k] && r->front[k][i])
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                    rp_obj_name((enum rp_obj)k));
    if (!len)
        snprintf(buf, size, "-");
}

/* "71.23 +- 0.41 (3)" */
/* Accuracies to a hundredth of a point; the hardware figures to 6 digits. */
static const char *cell_text(char *buf, size_t size, const struct rp_cell *c,
                             const struct rp_metric *mt)
{
    const int pct = mt->percent;
    if (c->n == 0)
        snprintf(buf, size, "not measured");
    else if (c->n == 1)
        snprintf(buf, size, pct ? "%.2f (1 seed)" : "%.6g (1 seed)", c->mean);
    else
        snprintf(buf, size, pct ? "%.2f +- %.2f (%d)" : "%.6g +- %.3g (%d)", c->mean, c->sd,
                 c->n);
    return buf;
}

static const char *rel_text(char *buf, size_t size, const struct rp_rel_result *rr,
                            const struct rp_metric *mt)
{
    const int pct = mt->percent;
    if (!isfinite(rr->diff))
        snprintf(buf, size, "not measured");
    else if (!isfinite(rr->se))
        snprintf(buf, size, pct ? "%+.2f, one seed: no verdict" : "%+.6g, one seed: no verdict",
                 rr->diff);
    else
        snprintf(buf, size, pct ? "%+.2f +- %.2f: %s" : "%+.6g +- %.3g: %s", rr->diff, rr->se,
                 rp_verdict_name(rr->v));
    return buf;
}

/* The papers' claims beside logiq's measurements (claims.h). */
static void write_claims(const struct rp_report *r, const struct out *o)
{
    const struct rp_claims *cl = r->claims;
    char buf[8192], t[RP_MAX_VALUES + 2][160];
    heading(o, 2, "The papers' claims against logiq's measurements", "claims");
    para_begin(o);
    snprintf(buf, sizeof buf,
             "Each claim of %s is checked on this store's points: for each compared value the "
             "mean of the claim's metric (the integer model's test accuracy in percent unless "
             "the claim names another) over its seeds, +- their standard deviation, (the number "
             "of seeds). A hardware figure is the same for every seed, so its relations have no "
             "spread and their verdict is the sign of the difference. A relation A > B agrees when mean A - mean B exceeds twice its "
             "standard error, disagrees when it is below minus twice, and is within the spread "
             "otherwise; with one seed there is no verdict. The same network within each "
             "comparison: only the seed and the compared parameters differ.", cl->path);
    text(o, buf);
    para_end(o);
    const char *head[] = {"claim", "paper", "what the paper claims", "logiq's verdict"};
    table_begin(o, head, 4);
    for (int i = 0; i < cl->n; i++) {
        const struct rp_claim_result *res = &r->claim_res[i];
        const char *cells[4] = {cl->c[i].id, cl->c[i].paper, cl->c[i].claim,
                                res->problem[0] ? "not evaluated" : rp_verdict_name(res->verdict)};
        row(o, cells, 4, res->verdict == RP_V_DISAGREES ? "bad" : NULL);
    }
    table_end(o);
    for (int i = 0; i < cl->n; i++) {
        const struct rp_claim *c = &cl->c[i];
        const struct rp_claim_result *res = &r->claim_res[i];
        snprintf(buf, sizeof buf, "%s: %s", c->paper, c->id);
        heading(o, 3, buf, NULL);
        para_begin(o);
        size_t cl_len = strlen(c->claim);
        int stop = cl_len && c->claim[cl_len - 1] == '.';
        const struct rp_metric *mt = rp_claim_metric(c);
        const char *unit = mt->percent ? "points" : mt->unit;
        snprintf(buf, sizeof buf, "The claim: %.*s%s%s%s. Compared: %s (%s, %s)%s%s; points: "
                 "%s.", (int)(cl_len - (size_t)stop), c->claim, c->source[0] ? " (" : "",
                 c->source, c->source[0] ? ")" : "", mt->what, mt->name, mt->unit,
                 c->across[0] ? ", for each " : "", c->across, c->where[0] ? c->where : "all");
        text(o, buf);
        para_end(o);
        if (res->problem[0]) {
            para_begin(o);
            snprintf(buf, sizeof buf, "Not evaluated: %s.", res->problem);
            text(o, buf);
            para_end(o);
            continue;
        }
        /* the cells */
        const char *h[RP_MAX_VALUES + 1];
        h[0] = c->across[0] ? c->across : "";
        for (int k = 0; k < c->n_values; k++) {
            snprintf(t[k], sizeof t[k], "%s = %s", c->vary, c->values[k]);
            h[k + 1] = t[k];
        }
        table_begin(o, h, c->n_values + 1);
        for (int a = 0; a < res->n_across; a++) {
            const char *cells[RP_MAX_VALUES + 1];
            char v[RP_MAX_VALUES][96];
            cells[0] = c->across[0] ? res->across_vals[a] : "all";
            for (int k = 0; k < c->n_values; k++)
                cells[k + 1] = cell_text(v[k], sizeof v[k], &res->cell[a][k], mt);
            row(o, cells, c->n_values + 1, NULL);
        }
        table_end(o);
        /* the relations */
        const char *rh[RP_MAX_RELS + 1];
        char rt[RP_MAX_RELS][160];
        rh[0] = c->across[0] ? c->across : "";
        for (int k = 0; k < c->n_rels; k++) {
            if (c->rel[k].margin > 0.0)
                snprintf(rt[k], sizeof rt[k], "%s > %s - %g (%s; the verdict on the "
                         "difference + %g)", c->values[c->rel[k].a], c->values[c->rel[k].b],
                         c->rel[k].margin, unit, c->rel[k].margin);
            else
                snprintf(rt[k], sizeof rt[k], "%s > %s (%s)", c->values[c->rel[k].a],
                         c->values[c->rel[k].b], unit);
            rh[k + 1] = rt[k];
        }
        table_begin(o, rh, c->n_rels + 1);
        for (int a = 0; a < res->n_across; a++) {
            const char *cells[RP_MAX_RELS + 1];
            char v[RP_MAX_RELS][128];
            cells[0] = c->across[0] ? res->across_vals[a] : "all";
            int bad = 0;
            for (int k = 0; k < c->n_rels; k++) {
                cells[k + 1] = rel_text(v[k], sizeof v[k], &res->rel[a][k], mt);
                bad |= res->rel[a][k].v == RP_V_DISAGREES;
            }
            row(o, cells, c->n_rels + 1, bad ? "bad" : NULL);
        }
        table_end(o);
        if (c->trend) {
            char v[160];
            para_begin(o);
            snprintf(buf, sizeof buf, "Trend: the gap %s - %s should grow as %s %s. Gap at the "
                     "%s %s minus the gap at the other end: %s.", c->values[c->rel[0].a],
                     c->values[c->rel[0].b], c->across,
                     c->trend < 0 ? "decreases" : "increases",
                     c->trend < 0 ? "smallest" : "largest", c->across,
                     rel_text(v, sizeof v, &res->trend, mt));
            text(o, buf);
            para_end(o);
        }
        para_begin(o);
        snprintf(buf, sizeof buf, "Verdict: %s%s", rp_verdict_name(res->verdict),
                 res->verdict == RP_V_DISAGREES
                     ? ". logiq's measurement disagrees with the paper's claim on this setting."
                 : res->verdict == RP_V_SPREAD
                     ? ". The differences are within the seeds' spread: neither confirmed nor "
                       "refuted on this setting."
                 : res->verdict == RP_V_NONE ? " (one seed per configuration gives no spread)."
                                             : ".");
        text(o, buf);
        para_end(o);
        if (r->claim_fig[i] >= 0)
            figure(o, &r->figs[r->claim_fig[i]]);
    }
}

/* ---- SINAREQ: learned per-layer widths and their hardware cost ---- */

struct sq_group {
    char wq[64], setting[64];
    int n;
    double acc[64];
    double bits_sum, gates_sum, energy_sum;
    char widths[256];       /* of the group's first point */
};

/* Table order: DoReFa, then WRPN, by bits; plain, then fixed widths, then
 * learned widths (the settings' names sort so). */
static int by_quantizer(const void *a, const void *b)
{
    const struct sq_group *x = a, *y = b;
    int fx = x->wq[0] == 'w', fy = y->wq[0] == 'w';  /* wrpn after dorefa */
    if (fx != fy)
        return fx - fy;
    int bx = atoi(strchr(x->wq, ':') + 1), by = atoi(strchr(y->wq, ':') + 1);
    if (bx != by)
        return bx - by;
    int px = strcmp(x->setting, "plain") != 0, py = strcmp(y->setting, "plain") != 0;
    return px != py ? px - py : strcmp(x->setting, y->setting);
}

/* A point's weight widths: the learned ones its sweep point wrote beside
 * the model (widths.csv, from the .qnn's sinareq_bits), else B of its
 * dorefa:B / wrpn:B for every hidden layer. Returns the mean, NAN when
 * unknown; widths gets the list. */
static double point_widths(const struct rp_data *d, int i, char *widths, size_t size)
{
    const struct rp_point *p = &d->pts[i];
    widths[0] = 0;
    char path[4200];
    FILE *f = rp_point_file(p, "widths.csv", path, sizeof path) ? fopen(path, "r") : NULL;
    if (f) {
        char line[64];
        double sum = 0.0;
        int n = 0;
        size_t len = 0;
        while (fgets(line, sizeof line, f)) {
            char *end;
            long b = strtol(line, &end, 10);
            if (end == line)
                continue;  /* the header */
            sum += (double)b;
            n++;
            int w = snprintf(widths + len, size - len, "%s%ld", n > 1 ? "," : "", b);
            if (w > 0 && (size_t)w < size - len)
                len += (size_t)w;
        }
        fclose(f);
        return n ? sum / n : NAN;
    }
    const char *wq = rp_point_param(d, i, "wq");
    const char *colon = wq ? strchr(wq, ':') : NULL;
    if (!colon)
        return NAN;
    snprintf(widths, size, "%s for every hidden layer", colon + 1);
    return atof(colon + 1);
}

/* The SINAREQ points and their DoReFa / WRPN baselines, one row per
 * configuration (over its seeds). */
static void write_sinareq(const struct rp_report *r, const struct out *o)
{
    const struct rp_data *d = &r->data;
    struct sq_group *g = calloc(64, sizeof *g);
    int ng = 0, any_sq = 0;
    if (!g)
        return;
    for (int i = 0; i < d->n; i++) {
        if (d->pts[i].status != SW_DONE)
            continue;
        const char *wq = rp_point_param(d, i, "wq"), *sq = rp_point_param(d, i, "sinareq");
        const char *lb = rp_point_param(d, i, "sinareq_lb");
        const char *blr = rp_point_param(d, i, "sinareq_beta_lr");
        if (!wq || (strncmp(wq, "dorefa:", 7) != 0 && strncmp(wq, "wrpn:", 5) != 0))
            continue;
        int on = sq && strcmp(sq, "yes") == 0;
        any_sq |= on;
        char setting[64];
        snprintf(setting, sizeof setting, "%s", !on ? "plain"
                 : (blr && atof(blr) == 0.0) || (lb && atof(lb) == 0.0)
                     ? "SINAREQ, fixed widths"
                     : "SINAREQ, learned widths");
        if (on && lb && atof(lb) != 0.0 && !(blr && atof(blr) == 0.0))
            snprintf(setting, sizeof setting, "SINAREQ, learned widths (lb %s)", lb);
        /* a strength sweep (sweeps/sinareq.ini): one row per lq */
        const char *lq = rp_point_param(d, i, "sinareq_lq");
        if (on && lq && lq[0]) {
            size_t len = strlen(setting);
            snprintf(setting + len, sizeof setting - len, ", lq %s", lq);
        }
        int k;
        for (k = 0; k < ng; k++)
            if (!strcmp(g[k].wq, wq) && !strcmp(g[k].setting, setting))
                break;
        if (k == ng) {
            if (ng == 64)
                continue;
            snprintf(g[ng].wq, sizeof g[ng].wq, "%s", wq);
            snprintf(g[ng].setting, sizeof g[ng].setting, "%s", setting);
            ng++;
        }
        if (g[k].n == 64)
            continue;
        char widths[256];
        double bits = point_widths(d, i, widths, sizeof widths);
        if (g[k].n == 0)
            snprintf(g[k].widths, sizeof g[k].widths, "%s", widths);
        g[k].acc[g[k].n++] = 100.0 * d->pts[i].acc_int;
        g[k].bits_sum += bits;
        g[k].gates_sum += d->pts[i].gates_nand2;
        g[k].energy_sum += d->pts[i].energy_op_pj;
    }
    qsort(g, (size_t)ng, sizeof *g, by_quantizer);
    if (any_sq) {
        heading(o, 2, "SINAREQ: learned per-layer bit widths and their hardware cost", "sinareq");
        para_begin(o);
        text(o, "Each configuration of DoReFa or WRPN weights, plain, with SINAREQ's regularizer "
                "at fixed widths, or with its learned per-layer widths (the ceiling of beta, "
                "docs/definitions.md): the integer model's test accuracy over the seeds, the "
                "mean weight width over the layers that learn one (plain: B for every hidden "
                "layer), the widths of one point (each such layer, first to last), and the "
                "gates and energy per inference of the design that runs it (sized for its "
                "widest layer), means over the seeds.");
        para_end(o);
        const char *head[] = {"weights", "setting", "seeds", "accuracy, %", "mean bits",
                              "widths (one point)", "gates, NAND2", "energy, nJ"};
        table_begin(o, head, 8);
        for (int k = 0; k < ng; k++) {
            double m = 0.0, sd = 0.0;
            for (int j = 0; j < g[k].n; j++)
                m += g[k].acc[j] / g[k].n;
            for (int j = 0; j < g[k].n; j++)
                sd += (g[k].acc[j] - m) * (g[k].acc[j] - m);
            sd = g[k].n > 1 ? sqrt(sd / (g[k].n - 1)) : NAN;
            char c[6][96];
            snprintf(c[0], sizeof c[0], "%d", g[k].n);
            if (g[k].n > 1)
                snprintf(c[1], sizeof c[1], "%.2f +- %.2f", m, sd);
            else
                snprintf(c[1], sizeof c[1], "%.2f", m);
            num(c[2], sizeof c[2], g[k].bits_sum / g[k].n, "%.2f", 1.0);
            num(c[3], sizeof c[3], g[k].gates_sum / g[k].n, "%.0f", 1.0);
            num(c[4], sizeof c[4], g[k].energy_sum / g[k].n, "%.1f", 1e-3);
            const char *cells[8] = {g[k].wq, g[k].setting, c[0], c[1], c[2],
                                    g[k].widths[0] ? g[k].widths : "-", c[3], c[4]};
            row(o, cells, 8, NULL);
        }
        table_end(o);
    }
    free(g);
}

static int write_page(const struct rp_report *r, const struct rp_options *opt, const struct out *o)
{
    const struct rp_data *d = &r->data;
    char buf[8192], c[16][128];
    /* summary */
    snprintf(buf, sizeof buf, "Sweep %s: report", d->sweep[0] ? d->sweep : "(unnamed)");
    heading(o, 1, buf, NULL);
    if (!o->toc_record && o->n_toc > 0) {  /* contents: the sections and each merge kind */
        fputs(o->md ? "Contents:\n\n" : "<nav id=\"contents\"><p>Contents</p>\n<ul>\n", o->f);
        for (int i = 0; i < o->n_toc; i++) {
            const struct toc_entry *e = &o->toc[i];
            if (o->md) {
                fprintf(o->f, "%s- ", e->level == 3 ? "  " : "");
                text(o, e->text);
                fputc('\n', o->f);
            } else {
                fprintf(o->f, "<li%s><a href=\"#%s\">", e->level == 3 ? " class=\"sub\"" : "",
                        e->id);
                text(o, e->text);
                fputs("</a></li>\n", o->f);
            }
        }
        fputs(o->md ? "\n" : "</ul></nav>\n", o->f);
    }
    para_begin(o);
    snprintf(buf, sizeof buf,
             "%d points: %d done, %d failed. Result store %s%s%s%s. Every figure is a PNG (shown) "
             "and an SVG (click it), with the CSV behind it and the gnuplot script that drew it; "
             "points.csv holds every point.",
             d->n, d->n_done, d->n_failed, d->store_path, d->created_at[0] ? " (created " : "",
             d->created_at, d->created_at[0] ? " UTC)" : "");
    text(o, buf);
    para_end(o);
    if (d->n_failed) {
        para_begin(o);
        snprintf(buf, sizeof buf, "%d failed point%s %s listed below with %s reason%s; %s not "
                 "plotted anywhere.", d->n_failed, d->n_failed == 1 ? "" : "s",
                 d->n_failed == 1 ? "is" : "are", d->n_failed == 1 ? "its" : "their",
                 d->n_failed == 1 ? "" : "s", d->n_failed == 1 ? "it is" : "they are");
        text(o, buf);
        para_end(o);
    }

    if (r->claims)
        write_claims(r, o);
    write_sinareq(r, o);

    /* best points */
    heading(o, 2, "Best points", "best");
    struct rank *rk = malloc(((size_t)d->n + 1) * sizeof *rk);
    if (!rk)
        return -1;
    int n = 0;
    for (int i = 0; i < d->n; i++)
        if (d->pts[i].status == SW_DONE && isfinite(d->pts[i].acc_int))
            rk[n++] = (struct rank){d->pts[i].acc_int, d->pts[i].gates_nand2, d->pts[i].key, i};
    qsort(rk, (size_t)n, sizeof *rk, by_accuracy);
    int n_best = opt->n_best > 0 ? opt->n_best : 10;
    if (n == 0) {
        para_begin(o);
        text(o, "No point is done yet.");
        para_end(o);
    } else {
        para_begin(o);
        snprintf(buf, sizeof buf, "The %d most accurate of the %d done points (accuracy of the "
                 "integer model, ties by fewer gates). \"Pareto\" names the fronts (accuracy vs "
                 "gates, energy, latency) a point is on; - is a figure not measured.",
                 n < n_best ? n : n_best, d->n_done);
        text(o, buf);
        para_end(o);
        const char *head[] = {"#", "merge", "point", "accuracy (int)", "accuracy (float)",
                              "accuracy (sim, on N test images)", "bit-exact",
                              "gates (NAND2 eq)", "energy (nJ)",
                              "energy, activity (nJ)", "latency (us)", "area (mm2)",
                              "training (s)", "Pareto", "key"};
        enum { NCOL = (int)(sizeof head / sizeof head[0]) };
        table_begin(o, head, NCOL);
        for (int j = 0; j < n && j < n_best; j++) {
            const struct rp_point *p = &d->pts[rk[j].i];
            const char *cells[NCOL];
            snprintf(c[0], sizeof c[0], "%d", j + 1);
            cells[0] = c[0];
            cells[1] = p->merge;
            cells[2] = p->label[0] ? p->label : p->arch_eff;
            cells[3] = num(c[3], sizeof c[3], p->acc_int, "%.2f%%", 100);
            cells[4] = num(c[4], sizeof c[4], p->acc_float, "%.2f%%", 100);
            if (isnan(p->acc_sim))
                cells[5] = "-";
            else if (isnan(p->acc_sim_images)) /* a store written before it was kept */
                cells[5] = num(c[5], sizeof c[5], p->acc_sim, "%.2f%%", 100);
            else {
                snprintf(c[5], sizeof c[5], "%.2f%% on %.0f", 100.0 * p->acc_sim,
                         p->acc_sim_images);
                cells[5] = c[5];
            }
            cells[6] = isnan(p->sim_match) ? "-" : p->sim_match > 0 ? "yes" : "NO";
            cells[7] = num(c[7], sizeof c[7], p->gates_nand2, "%.0f", 1);
            cells[8] = num(c[8], sizeof c[8], p->energy_op_pj, "%.1f", 1e-3);
            cells[9] = num(c[9], sizeof c[9], p->energy_act_pj, "%.1f", 1e-3);
            cells[10] = num(c[10], sizeof c[10], p->latency_us, "%.2f", 1);
            cells[11] = num(c[11], sizeof c[11], p->area_um2, "%.4f", 1e-6);
            cells[12] = num(c[12], sizeof c[12], p->train_s, "%.1f", 1);
            fronts_of(r, rk[j].i, c[13], sizeof c[13]);
            cells[13] = c[13];
            cells[14] = p->key;
            row(o, cells, NCOL, NULL);
        }
        table_end(o);
    }
    free(rk);
    for (int i = 0; i < d->n; i++)
        if (rp_point_is_reference(&d->pts[i])) {
            const struct rp_point *p = &d->pts[i];
            para_begin(o);
            snprintf(buf, sizeof buf, "Full-precision reference (%s, key %s): %.2f%% test "
                     "accuracy of the float model trained with real-valued weights, in %.1f s. "
                     "The hardware cannot hold it: it is not exported, costed or simulated, "
                     "and it is drawn as the dotted line of the accuracy figures.",
                     p->label[0] ? p->label : p->arch_eff, p->key, 100.0 * p->acc_float,
                     p->train_s);
            text(o, buf);
            para_end(o);
        }

    /* failed points */
    heading(o, 2, "Failed points", "failed");
    if (d->n_failed == 0) {
        para_begin(o);
        text(o, "None.");
        para_end(o);
    } else {
        const char *head[] = {"status", "merge", "point", "reason", "key"};
        table_begin(o, head, 5);
        for (int i = 0; i < d->n; i++) {
            const struct rp_point *p = &d->pts[i];
            if (p->status == SW_DONE)
                continue;
            const char *cells[] = {"FAILED", p->merge, p->label[0] ? p->label : p->arch_eff,
                                   p->error, p->key};
            row(o, cells, 5, "failed");
        }
        table_end(o);
    }

    /* figures */
    static const struct { enum rp_section sec; const char *title, *id; } secs[] = {
        {RP_SEC_TRADEOFF, "Accuracy against cost", "tradeoff"},
        {RP_SEC_COST, "Where the cost goes", "cost"},
        {RP_SEC_TRAINING, "Training", "training"},
    };
    for (int s = 0; s < 3; s++) {
        heading(o, 2, secs[s].title, secs[s].id);
        int any = 0;
        for (int i = 0; i < r->n_figs; i++)
            if (r->figs[i].section == secs[s].sec && r->figs[i].point < 0) {
                figure(o, &r->figs[i]);
                any = 1;
            }
        if (!any) {
            para_begin(o);
            text(o, "Nothing to draw (no done point has these figures; see the notes).");
            para_end(o);
        }
    }
    heading(o, 2, "Each point: training and weights", "points");
    para_begin(o);
    text(o, "Per done point, grouped by merge kind: training curves, step sizes and level "
            "shares per layer (from its training log), and the histogram of its integer weight "
            "codes (from the codes.csv its sweep point wrote from its .qnn).");
    para_end(o);
    /* grouped by merge kind, in the order the kinds first appear */
    const char *kinds[64];
    int nk = 0;
    for (int i = 0; i < d->n && nk < 64; i++) {
        int seen = 0;
        for (int k = 0; k < nk; k++)
            seen |= strcmp(kinds[k], d->pts[i].merge) == 0;
        if (!seen)
            kinds[nk++] = d->pts[i].merge;
    }
    for (int k = 0; k < nk; k++) {
        int header = 0;
        for (int i = 0; i < d->n; i++) {
            const struct rp_point *p = &d->pts[i];
            int any = 0;
            for (int j = 0; j < r->n_figs; j++)
                any |= r->figs[j].point == i;
            if (!any || strcmp(p->merge, kinds[k]) != 0)
                continue;
            if (!header) {
                char id[32];
                snprintf(id, sizeof id, "points-%d", k + 1);
                snprintf(buf, sizeof buf, "Merge: %s", kinds[k]);
                heading(o, 3, buf, id);
                header = 1;
            }
            snprintf(buf, sizeof buf, "%s %s (%s)", p->merge, p->label, p->key);
            heading(o, 4, buf, NULL);
            for (int j = 0; j < r->n_figs; j++)
                if (r->figs[j].point == i)
                    figure(o, &r->figs[j]);
        }
    }

    /* notes */
    if (r->n_notes) {
        heading(o, 2, "Notes", "notes");
        const char *head[] = {"what could not be drawn, and why"};
        table_begin(o, head, 1);
        for (int i = 0; i < r->n_notes; i++) {
            const char *cells[] = {r->notes[i]};
            row(o, cells, 1, NULL);
        }
        table_end(o);
    }

    /* the sweep's parameters */
    heading(o, 2, "The sweep's parameters", "params");
    if (d->n_params) {
        const char *head[] = {"parameter", "values", "kind"};
        table_begin(o, head, 3);
        for (int k = 0; k < d->n_params; k++) {
            const struct rp_param *pm = &d->params[k];
            size_t len = 0;
            buf[0] = 0;
            for (int j = 0; j < pm->n_values && len < sizeof buf - 1; j++)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", j ? ", " : "",
                                        pm->values[j]);
            const char *cells[] = {pm->name, buf, pm->n_values > 1 ? "axis" : "fixed"};
            row(o, cells, 3, NULL);
        }
        table_end(o);
    }
    if (d->spec_text && d->spec_text[0]) {
        para_begin(o);
        snprintf(buf, sizeof buf, "The spec of the last run (%s):",
                 d->spec_path && d->spec_path[0] ? d->spec_path : "path not recorded");
        text(o, buf);
        para_end(o);
        pre(o, d->spec_text);
    }
    return 0;
}

static const char html_head_begin[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"generator\" content=\"logiq report\">\n<title>";
/* after the title */
static const char html_head[] =
    "</title>\n"
    "<style>\n"
    "body { font-family: sans-serif; max-width: 1300px; margin: 1em auto; padding: 0 1em; }\n"
    "table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }\n"
    "th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }\n"
    "tr.failed td { background: #fde0dd; }\n"
    "tr.bad td { background: #fff3cd; }\n"
    "figure { margin: 1em 0 2em; }\n"
    "figure img { max-width: 100%; border: 1px solid #eee; }\n"
    "figcaption { max-width: 900px; font-size: 0.9em; }\n"
    ".files { white-space: nowrap; }\n"
    "pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; }\n"
    "nav ul { margin: 0 0 1em; } nav li.sub { margin-left: 1.5em; }\n"
    "</style>\n"
    /* For automated checks (tests/cli_report.sh): once every image has
     * loaded or failed, <body> says how many there are and how many loaded. */
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var imgs = document.images, ok = 0, bad = [];\n"
    "  for (var i = 0; i < imgs.length; i++) {\n"
    "    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;\n"
    "    else bad.push(imgs[i].getAttribute('src'));\n"
    "  }\n"
    "  document.body.setAttribute('data-images', imgs.length);\n"
    "  document.body.setAttribute('data-images-loaded', ok);\n"
    "  document.body.setAttribute('data-images-broken', bad.join(' '));\n"
    "});\n"
    "</script>\n"
    "</head>\n<body>\n";

static enum rp_status write_file(const struct rp_report *r, const struct rp_options *opt,
                                 const char *file, int md, struct rp_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", opt->out_dir, file);
    FILE *f = fopen(path, "w");
    if (!f)
        return rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    /* a first pass into nothing records the headings for the contents */
    struct out o = {f, md, calloc(512, sizeof(struct toc_entry)), 0, 1};
    FILE *null = fopen("/dev/null", "w");
    if (o.toc && null) {
        o.f = null;
        write_page(r, opt, &o);
        o.f = f;
    }
    if (null)
        fclose(null);
    o.toc_record = 0;
    if (!md) {
        char title[256];
        snprintf(title, sizeof title, "logiq report: %s", r->data.sweep);
        fputs(html_head_begin, f);
        rp_html_text(f, title);
        fputs(html_head, f);
    } else
        fprintf(f, "<!-- written by `logiq report`; figures beside this file -->\n");
    int bad = write_page(r, opt, &o) != 0;
    free(o.toc);
    if (!md)
        fputs("</body>\n</html>\n", f);
    bad |= ferror(f);
    bad |= fclose(f) != 0;
    if (bad)
        return rp_fail(err, RP_ERR_IO, "%s: cannot write", path);
    return RP_OK;
}

enum rp_status rp_page_html(const struct rp_report *r, const struct rp_options *o,
                            struct rp_error *err)
{
    return write_file(r, o, "index.html", 0, err);
}

enum rp_status rp_page_md(const struct rp_report *r, const struct rp_options *o,
                          struct rp_error *err)
{
    return write_file(r, o, "report.md", 1, err);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    rp_csv_num(f, v);
}

enum rp_status rp_page_points_csv(const struct rp_report *r, const char *dir,
                                  struct rp_error *err)
{
    const struct rp_data *d = &r->data;
    char path[4200];
    snprintf(path, sizeof path, "%s/points.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    /* the design's merge unit (add-shift: on the shift requantizer) is
     * merge_kind; the spec's parameters follow under their own names, one
     * column each (a parameter named like a fixed column is left out: the
     * fixed column holds it) */
    static const char *const fixed[] = {
        "key", "status", "merge_kind", "acc_int", "acc_float", "gates_nand2", "energy_op_pj",
        "latency_us", "area_um2", "cycles", "merge_nand2", "merge_energy_pj", "acc_sim",
        "acc_sim_images",
        "sim_match", "energy_act_pj", "train_s", "wall_s", "front_gates", "front_energy",
        "front_latency", "error"};
    int *skip = calloc((size_t)d->n_params + 1, sizeof *skip);
    if (!skip) {
        fclose(f);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < d->n_params; k++)
        for (size_t j = 0; j < sizeof fixed / sizeof fixed[0]; j++)
            skip[k] |= strcmp(d->params[k].name, fixed[j]) == 0;
    fprintf(f, "key,status,merge_kind");
    for (int k = 0; k < d->n_params; k++) {
        if (skip[k])
            continue;
        fputc(',', f);
        rp_csv_text(f, d->params[k].name);
    }
    fprintf(f, ",acc_int,acc_float,gates_nand2,energy_op_pj,latency_us,area_um2,cycles,"
               "merge_nand2,merge_energy_pj,acc_sim,acc_sim_images,sim_match,energy_act_pj,train_s,"
               "wall_s,"
               "front_gates,front_energy,"
               "front_latency,error\n");
    for (int i = 0; i < d->n; i++) {
        const struct rp_point *p = &d->pts[i];
        rp_csv_text(f, p->key);
        fprintf(f, ",%s,", p->status == SW_DONE ? "done" : "failed");
        rp_csv_text(f, p->merge);
        for (int k = 0; k < d->n_params; k++) {
            if (skip[k])
                continue;
            const char *v = rp_point_param(d, i, d->params[k].name);
            fputc(',', f);
            rp_csv_text(f, v ? v : "");
        }
        const double v[] = {p->acc_int, p->acc_float, p->gates_nand2, p->energy_op_pj,
                            p->latency_us, p->area_um2, p->cycles, p->merge_nand2,
                            p->merge_energy_pj, p->acc_sim, p->acc_sim_images, p->sim_match,
                            p->energy_act_pj,
                            p->train_s, p->wall_s};
        const int n_v = (int)(sizeof v / sizeof v[0]);
        for (int j = 0; j < n_v; j++)  /* a failed point keeps only its times */
            csv_num(f, p->status == SW_DONE ? v[j] : (j >= n_v - 2 ? v[j] : NAN));
        for (int k = 0; k < RP_N_OBJ; k++)
            fprintf(f, ",%d", r->front[k] ? r->front[k][i] : 0);
        fputc(',', f);
        rp_csv_text(f, p->error);
        fputc('\n', f);
    }
    free(skip);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    return bad ? rp_fail(err, RP_ERR_IO, "%s: cannot write", path) : RP_OK;
}

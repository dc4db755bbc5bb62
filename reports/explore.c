/* reports/explore.c: the figure of an exploration run (explore.h). */
#include "reports/explore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/escape.h"
#include "reports/gnuplot.h"
#include "sweeps/explore_store.h"

int rp_explore_is_store(const char *path)
{
    return sw_xstore_is(path);
}

static const char script[] =
    "reset session\n"
    "set datafile separator comma\n"
    "set key top right\n"
    "set grid\n"
    "do for [fmt in \"png svg\"] {\n"
    "    if (fmt eq \"png\") {\n"
    "        set terminal pngcairo size 1200,520 noenhanced font \"sans,10\"\n"
    "    } else {\n"
    "        set terminal svg size 1200,520 noenhanced font \"sans,10\" background \"white\"\n"
    "    }\n"
    "    set output \"explore.\" . fmt\n"
    "    set multiplot layout 1,2\n"
    "    set logscale xy\n"
    "    set xlabel \"gates (NAND2 eq)\"\n"
    "    set ylabel \"latency per inference (us)\"\n"
    "    plot \"explore.csv\" every ::1 using ($2 == 0 ? $3 : NaN):5 with points pt 7 ps 0.4 "
    "lc rgb \"#bbbbbb\" title \"designs\", \\\n"
    "         \"\" every ::1 using ($2 == 1 ? $3 : NaN):5 with points pt 7 ps 0.8 "
    "lc rgb \"#d62728\" title \"Pareto front (4 objectives)\"\n"
    "    set xlabel \"area (mm^2)\"\n"
    "    set ylabel \"energy per inference (nJ)\"\n"
    "    plot \"explore.csv\" every ::1 using ($2 == 0 ? $6 : NaN):4 with points pt 7 ps 0.4 "
    "lc rgb \"#bbbbbb\" title \"designs\", \\\n"
    "         \"\" every ::1 using ($2 == 1 ? $6 : NaN):4 with points pt 7 ps 0.8 "
    "lc rgb \"#d62728\" title \"Pareto front (4 objectives)\"\n"
    "    unset multiplot\n"
    "    unset output\n"
    "}\n";

enum rp_status rp_explore_write(const char *store, long long run, const char *out_dir,
                                const char *gnuplot, struct rp_explore_summary *s,
                                struct rp_error *err)
{
    memset(s, 0, sizeof *s);
    struct sw_xdesign *ds = NULL;
    int n = 0;
    struct sw_error se;
    enum sw_status ss = sw_xstore_read(store, run, &s->run, s->method, &ds, &n, &se);
    if (ss != SW_OK)
        return rp_fail(err, ss == SW_ERR_NOMEM ? RP_ERR_NOMEM : RP_ERR_STORE, "%s", se.msg);
    enum rp_status st = RP_OK;
    char path[4200];
    FILE *f = NULL;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot create: %s", out_dir, strerror(errno));
        goto done;
    }
    snprintf(path, sizeof path, "%s/explore.csv", out_dir);
    if (!(f = fopen(path, "w"))) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        goto done;
    }
    fprintf(f, "design,on_front,gates_nand2,energy_nj,latency_us,area_mm2,point\n");
    for (int i = 0; i < n; i++) {
        const struct sw_xdesign *x = &ds[i];
        fprintf(f, "%lld,%d,", x->design, x->on_front);
        const double v[] = {x->gates_nand2, x->energy_pj * 1e-3, x->latency_us,
                            x->area_um2 * 1e-6};
        for (int k = 0; k < 4; k++) {
            rp_csv_num(f, v[k]);
            fputc(',', f);
        }
        rp_csv_text(f, x->point);
        fputc('\n', f);
        s->designs++;
        s->front += x->on_front;
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write", path);
        goto done;
    }
    snprintf(path, sizeof path, "%s/explore.gp", out_dir);
    if (!(f = fopen(path, "w"))) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        goto done;
    }
    fprintf(f, "# explore.gp: exploration run %lld (%s): gates against latency and area against\n"
            "# energy, the designs stored and the Pareto front of the four objectives.\n"
            "# Drawn by `logiq report` from explore.csv; restyle it, then run\n"
            "# `gnuplot explore.gp` in this folder to redraw explore.png and explore.svg.\n",
            s->run, s->method);
    fputs(script, f);
    bad = ferror(f);
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write", path);
        goto done;
    }
    if (s->designs == 0)
        goto done;  /* nothing feasible stored: the CSV says so, no figure */
    const char *scripts[] = {"explore.gp"};
    if ((st = rp_gnuplot_check(gnuplot, err)) == RP_OK)
        st = rp_gnuplot_run(gnuplot, out_dir, scripts, 1, err);
done:
    free(ds);
    return st;
}

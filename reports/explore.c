/* reports/explore.c: the figure of an exploration run (explore.h). */
#include "reports/explore.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/escape.h"
#include "reports/gnuplot.h"

/* The exploration store's application id (sweeps/explore_store.h). */
enum { XSTORE_APP_ID = 0x6c717865 };

static int open_ro(const char *path, sqlite3 **db)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return -1;
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 60000);
    return 0;
}

int rp_explore_is_store(const char *path)
{
    sqlite3 *db;
    if (open_ro(path, &db) != 0)
        return 0;
    sqlite3_stmt *q;
    int app = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            app = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return app == XSTORE_APP_ID;
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
    sqlite3 *db;
    if (open_ro(store, &db) != 0)
        return rp_fail(err, RP_ERR_STORE, "%s: cannot open the exploration store", store);
    enum rp_status st = RP_OK;
    sqlite3_stmt *q = NULL;
    const char *sql = run > 0 ? "SELECT run, method, front FROM runs WHERE run = ?"
                              : "SELECT run, method, front FROM runs ORDER BY run DESC LIMIT 1";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        st = rp_fail(err, RP_ERR_STORE, "%s: not an exploration store of this version: %s",
                     store, sqlite3_errmsg(db));
        goto done;
    }
    if (run > 0)
        sqlite3_bind_int64(q, 1, run);
    if (sqlite3_step(q) != SQLITE_ROW) {
        st = rp_fail(err, RP_ERR_STORE, "%s: no run %lld", store, run);
        goto done;
    }
    s->run = sqlite3_column_int64(q, 0);
    snprintf(s->method, sizeof s->method, "%s", (const char *)sqlite3_column_text(q, 1));
    sqlite3_finalize(q);
    q = NULL;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot create: %s", out_dir, strerror(errno));
        goto done;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/explore.csv", out_dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        goto done;
    }
    if (sqlite3_prepare_v2(db, "SELECT design, on_front, gates_nand2, energy_pj, latency_us,"
                           " area_um2, point FROM designs WHERE run = ? AND feasible"
                           " ORDER BY design", -1, &q, NULL) != SQLITE_OK) {
        fclose(f);
        st = rp_fail(err, RP_ERR_STORE, "%s: %s", store, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_int64(q, 1, s->run);
    fprintf(f, "design,on_front,gates_nand2,energy_nj,latency_us,area_mm2,point\n");
    while (sqlite3_step(q) == SQLITE_ROW) {
        const int front = sqlite3_column_int(q, 1);
        fprintf(f, "%lld,%d,%.17g,%.17g,%.17g,%.17g,", (long long)sqlite3_column_int64(q, 0),
                front, sqlite3_column_double(q, 2), sqlite3_column_double(q, 3) * 1e-3,
                sqlite3_column_double(q, 4), sqlite3_column_double(q, 5) * 1e-6);
        const unsigned char *pt = sqlite3_column_text(q, 6);
        rp_csv_text(f, pt ? (const char *)pt : "");
        fputc('\n', f);
        s->designs++;
        s->front += front;
    }
    if (ferror(f) | (fclose(f) != 0)) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write", path);
        goto done;
    }
    snprintf(path, sizeof path, "%s/explore.gp", out_dir);
    f = fopen(path, "w");
    if (!f) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        goto done;
    }
    fprintf(f, "# explore.gp: exploration run %lld (%s): gates against latency and area against\n"
            "# energy, the designs stored and the Pareto front of the four objectives.\n"
            "# Drawn by `logiq report` from explore.csv; restyle it, then run\n"
            "# `gnuplot explore.gp` in this folder to redraw explore.png and explore.svg.\n",
            s->run, s->method);
    fputs(script, f);
    if (ferror(f) | (fclose(f) != 0)) {
        st = rp_fail(err, RP_ERR_IO, "%s: cannot write", path);
        goto done;
    }
    if (s->designs == 0)
        goto done;  /* nothing feasible stored: the CSV says so, no figure */
    const char *scripts[] = {"explore.gp"};
    if ((st = rp_gnuplot_check(gnuplot, err)) == RP_OK)
        st = rp_gnuplot_run(gnuplot, out_dir, scripts, 1, err);
done:
    sqlite3_finalize(q);
    sqlite3_close(db);
    return st;
}

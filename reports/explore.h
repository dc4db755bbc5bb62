/* reports/explore.h: `logiq report` of an exploration store
 * (sweeps/explore_store.h, docs/explore.md): one run's stored designs in
 * two planes, gates against latency and energy against area, the front
 * marked (a front in four objectives: a design on it may look dominated in
 * one plane).
 *
 * Into the output folder: explore.csv (the run's designs: number, on the
 * front, the four objectives, the values), explore.gp (the script, to
 * restyle and rerun there) and explore.png / explore.svg (gnuplot).
 *
 *     if (rp_explore_is_store("x.db")) rp_explore_write("x.db", 0, "out/", "gnuplot", &s, &err);
 *
 * Memory: nothing kept. */
#ifndef LOGIQ_RP_EXPLORE_H
#define LOGIQ_RP_EXPLORE_H

#include "reports/status.h"

/* 1 when path is an SQLite file with the exploration store's application
 * id, else 0 (also for a file that cannot be read: the sweep report's
 * reader then says why). */
int rp_explore_is_store(const char *path);

struct rp_explore_summary {
    long long run, designs, front;
    char method[16];
};

/* The figure of run (0: the last one). RP_ERR_STORE for a missing run or
 * an unreadable store, RP_ERR_IO, RP_ERR_GNUPLOT. */
enum rp_status rp_explore_write(const char *store, long long run, const char *out_dir,
                                const char *gnuplot, struct rp_explore_summary *s,
                                struct rp_error *err);

#endif

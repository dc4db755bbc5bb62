/* reports/gnuplot.h: running gnuplot as a child process (fork + exec, no
 * shell), in the report's folder, so the scripts name their files relative
 * to it and a user can rerun them there.
 *
 *     if (rp_gnuplot_check("gnuplot", &err) != RP_OK) ... err.msg
 *     const char *scripts[] = {"acc_gates.gp", "gates_units.gp"};
 *     rp_gnuplot_run("gnuplot", "out/", scripts, 2, &err);
 *
 * prog is a path, or a name looked up on PATH. Its output goes to
 * DIR/gnuplot.log (removed when every script succeeded).
 * Memory: nothing kept. */
#ifndef LOGIQ_RP_GNUPLOT_H
#define LOGIQ_RP_GNUPLOT_H

#include "reports/status.h"

/* Checks that prog runs and knows the pngcairo and svg terminals. */
enum rp_status rp_gnuplot_check(const char *prog, struct rp_error *err);
/* Runs `prog S1 S2 ...` in dir (one process: each script starts with
 * `reset session`). On failure the message names gnuplot's first error line
 * (script and line). */
enum rp_status rp_gnuplot_run(const char *prog, const char *dir, const char *const *scripts,
                              int n, struct rp_error *err);

#endif

/* cli/sweep.h: what `logiq sweep`'s runner (cmd_sweep.c) and its point
 * command (sweep_point.c) share. The work itself is sweeps/'s
 * (sweeps/point.h); these print and return exit codes. */
#ifndef LOGIQ_CLI_SWEEP_H
#define LOGIQ_CLI_SWEEP_H

#include "sweeps/spec.h"

/* sw_spec_load, printing its error as one line ("logiq sweep: FILE:LINE:
 * [section] key: ...") and returning the exit code (2 for a bad spec); 0 on
 * success. */
int sweep_load(const char *spec_path, long max_points, struct sw_spec *s, struct sw_point **pts,
               int *n, char **text);

/* `logiq sweep SPEC --point KEY`: runs one point (sw_point_run) and writes
 * its row (into shard_dir/KEY.db instead when shard_dir is set). Exit code
 * 0: a done row written; 1: a failed row written; 2: bad input, nothing
 * written. */
int sweep_point(const char *spec_path, const char *key, const char *store_path,
                const char *shard_dir);

#endif

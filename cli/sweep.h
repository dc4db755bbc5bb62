/* cli/sweep.h: what `logiq sweep`'s runner (cmd_sweep.c) and its point
 * worker (sweep_point.c) share: loading a spec with nn/ and costmodels/
 * judging its values, and where a sweep keeps its files. */
#ifndef LOGIQ_CLI_SWEEP_H
#define LOGIQ_CLI_SWEEP_H

#include <stddef.h>

#include "sweeps/spec.h"
#include "sweeps/store.h"

/* Reads and parses spec_path and expands its points (at most max_points).
 * On error prints one line ("logiq sweep: FILE:LINE: [section] key: ...")
 * and returns the exit code (2 for a bad spec); 0 on success. */
int sweep_load(const char *spec_path, long max_points, struct sw_spec *s, struct sw_point **pts,
               int *n, char **text);

/* The folder of a store's per-point files: the store path without its .db
 * suffix, plus ".d" (quick.db -> quick.d). */
void sweep_art_dir(const char *store, char *buf, size_t size);

/* `logiq sweep SPEC --point KEY`: trains, exports and costs one point and
 * writes its row (into shard_dir/KEY.db instead when shard_dir is set).
 * Exit code 0: a done row written; 1: a failed row written; 2: bad input,
 * nothing written. */
int sweep_point(const char *spec_path, const char *key, const char *store_path,
                const char *shard_dir);

/* The hash naming a point's training (its shared model's folder,
 * ART/models/HASH or ART/fp/HASH): equal for two points whose network,
 * training and seed parameters are equal, whatever their hardware's. */
int sweep_train_hash(const struct sw_spec *s, const struct sw_point *p, char hash[17]);

/* snprintf, without GCC's truncation warnings on paths: a path or message
 * that does not fit is cut, which every caller accepts. */
int sweep_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The last non-empty line of a text file (a child's log), "" if none. */
void sweep_last_line(const char *path, char *buf, size_t size);

#endif

/* cli/sweep_point.c: `logiq sweep SPEC --point KEY`: one design point of a
 * sweep, in its own process (the runner's, or a Slurm task's): runs it with
 * sw_point_run (sweeps/point.h: train or reuse the shared model, cost and
 * simulate in-process) and writes its row, done or failed, in one
 * transaction. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "sweeps/exec.h"
#include "sweeps/point.h"
#include "sweeps/store.h"

int sweep_point(const char *spec_path, const char *key, const char *store_path,
                const char *shard_dir)
{
    struct sw_spec s;
    struct sw_point *pts;
    int n;
    char *text;
    /* the runner accepted the spec under its --max-points, which this
     * process is not told: any count up to the option's bound loads */
    int rc = sweep_load(spec_path, SW_MAX_POINTS_LIMIT, &s, &pts, &n, &text);
    if (rc)
        return rc;
    free(text);
    const struct sw_point *p = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(pts[i].key, key) == 0)
            p = &pts[i];
    char art[4096], self[4096], default_store[300], row_store[4300];
    if (!p) {
        fprintf(stderr, "logiq sweep: --point %s: no such point in %s (see --dry-run)\n", key,
                spec_path);
        rc = EXIT_USAGE;
        goto out;
    }
    if (!store_path[0]) {
        sw_fmt(default_store, sizeof default_store, "%s.db", s.name);
        store_path = default_store;
    }
    sw_art_dir(store_path, art, sizeof art);
    if (shard_dir)
        sw_fmt(row_store, sizeof row_store, "%s/%s.db", shard_dir, key);
    else
        sw_fmt(row_store, sizeof row_store, "%s", store_path);
    if (shard_dir && sw_mkdirs(shard_dir) != 0) {
        fprintf(stderr, "logiq sweep: %s: cannot create: %s\n", shard_dir, strerror(errno));
        rc = EXIT_WORK;
        goto out;
    }
    if (cli_self_exe(self, sizeof self) != 0) {
        rc = EXIT_WORK;
        goto out;
    }

    struct sw_result r;
    struct sw_point_info info;
    sw_point_run(&s, p, self, art, &r, &info);
    if (r.status == SW_DONE)
        printf("point %s: %s\n", key, info.trained ? "trained its model" : "reused a trained model");

    struct sw_store *st;
    struct sw_error err;
    enum sw_status ss = sw_store_open(&st, row_store, SW_STORE_CREATE, &err);
    if (ss == SW_OK) {
        ss = sw_store_put(st, &s, p, &r, SW_PUT_REPLACE, &err);
        sw_store_close(st);
    }
    if (ss != SW_OK) {
        fprintf(stderr, "logiq sweep: point %s: %s\n", key, err.msg);
        rc = EXIT_WORK;  /* the runner finds no row and records the failure */
    } else if (r.status == SW_DONE) {
        if (isfinite(r.f.acc_int))
            printf("point %s done: integer accuracy %.2f%%, %.0f NAND2 eq, %.0f cycles, %.3f "
                   "nJ\n", key, 100.0 * r.f.acc_int, r.f.gates_nand2, r.f.cycles,
                   r.f.energy_op_pj * 1e-3);
        else  /* a full-precision reference: trained only */
            printf("point %s done: full-precision reference, float accuracy %.2f%%\n", key,
                   100.0 * r.f.acc_float);
        rc = 0;
    } else {
        fprintf(stderr, "logiq sweep: point %s failed: %s\n", key, r.error);
        rc = EXIT_WORK;
    }
out:
    sw_points_free(pts, n);
    sw_spec_free(&s);
    return rc;
}

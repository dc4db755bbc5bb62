/* sweeps/xstore_read.c: the exploration store's one reader (explore_store.h),
 * apart from its writer so that it needs no search (reports/ links it). */
#include "sweeps/explore_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

static int open_ro(const char *path, sqlite3 **db)
{
    struct stat sb;
    *db = NULL;
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

int sw_xstore_is(const char *path)
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
    return app == SW_XSTORE_APP_ID;
}

enum sw_status sw_xstore_read(const char *path, long long run, long long *run_id,
                              char method[16], struct sw_xdesign **designs, int *n,
                              struct sw_error *err)
{
    *designs = NULL;
    *n = 0;
    sqlite3 *db;
    if (open_ro(path, &db) != 0)
        return sw_fail(err, SW_ERR_IO, "%s: cannot open the exploration store", path);
    enum sw_status st = SW_OK;
    sqlite3_stmt *q = NULL;
    const char *sql = run > 0 ? "SELECT run, method FROM runs WHERE run = ?"
                              : "SELECT run, method FROM runs ORDER BY run DESC LIMIT 1";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        st = sw_fail(err, SW_ERR_FORMAT, "%s: not an exploration store of this version: %s",
                     path, sqlite3_errmsg(db));
        goto done;
    }
    if (run > 0)
        sqlite3_bind_int64(q, 1, run);
    if (sqlite3_step(q) != SQLITE_ROW) {
        st = sw_fail(err, SW_ERR_FORMAT, "%s: no run %lld", path, run);
        goto done;
    }
    *run_id = sqlite3_column_int64(q, 0);
    const unsigned char *m = sqlite3_column_text(q, 1);
    snprintf(method, 16, "%s", m ? (const char *)m : "");
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT design, on_front, gates_nand2, energy_pj, latency_us,"
                           " area_um2, point FROM designs WHERE run = ? AND feasible"
                           " ORDER BY design", -1, &q, NULL) != SQLITE_OK) {
        st = sw_fail(err, SW_ERR_FORMAT, "%s: %s", path, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_int64(q, 1, *run_id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            struct sw_xdesign *g = realloc(*designs, (size_t)cap * sizeof *g);
            if (!g) {
                st = sw_fail(err, SW_ERR_NOMEM, "out of memory");
                goto done;
            }
            *designs = g;
        }
        struct sw_xdesign *x = &(*designs)[(*n)++];
        x->design = sqlite3_column_int64(q, 0);
        x->on_front = sqlite3_column_int(q, 1);
        x->gates_nand2 = sqlite3_column_double(q, 2);
        x->energy_pj = sqlite3_column_double(q, 3);
        x->latency_us = sqlite3_column_double(q, 4);
        x->area_um2 = sqlite3_column_double(q, 5);
        const unsigned char *pt = sqlite3_column_text(q, 6);
        snprintf(x->point, sizeof x->point, "%s", pt ? (const char *)pt : "");
    }
    if (rc != SQLITE_DONE)
        st = sw_fail(err, SW_ERR_IO, "%s: %s", path, sqlite3_errmsg(db));
done:
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (st != SW_OK) {
        free(*designs);
        *designs = NULL;
        *n = 0;
    }
    return st;
}

/* sweeps/explore_store.c: the exploration store (explore_store.h). */
#include "sweeps/explore_store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char schema[] =
    "CREATE TABLE runs (run INTEGER PRIMARY KEY, started_at TEXT, network TEXT, hw_base TEXT,"
    " space_path TEXT, space_text TEXT, method TEXT NOT NULL CHECK (method IN ('grid', 'nsga2')),"
    " seed INTEGER, pop INTEGER, gens INTEGER, complete INTEGER NOT NULL, grid_size INTEGER,"
    " evals INTEGER, designs INTEGER, feasible INTEGER, infeasible INTEGER, top_reason TEXT,"
    " top_reason_count INTEGER, front INTEGER, hv REAL, hv_ref REAL,"
    " ideal_gates_nand2 REAL, ideal_energy_pj REAL, ideal_latency_us REAL, ideal_area_um2 REAL,"
    " nadir_gates_nand2 REAL, nadir_energy_pj REAL, nadir_latency_us REAL, nadir_area_um2 REAL,"
    " hv_share REAL, evals_to_95 INTEGER, wall_s REAL);\n"
    "CREATE TABLE axes (run INTEGER NOT NULL REFERENCES runs(run), axis INTEGER NOT NULL,"
    " section TEXT NOT NULL, key TEXT NOT NULL, n_values INTEGER NOT NULL, vals TEXT NOT NULL,"
    " PRIMARY KEY (run, axis));\n"
    "CREATE TABLE designs (run INTEGER NOT NULL REFERENCES runs(run), design INTEGER NOT NULL,"
    " eval_order INTEGER NOT NULL, point TEXT NOT NULL, feasible INTEGER NOT NULL, reason TEXT,"
    " gates_nand2 REAL, energy_pj REAL, latency_us REAL, area_um2 REAL, cycles INTEGER,"
    " fmax_mhz REAL, clock_mhz REAL, on_front INTEGER NOT NULL, PRIMARY KEY (run, design));\n"
    "CREATE INDEX designs_front ON designs (run, on_front);\n";

static enum sw_status fail_db(sqlite3 *db, const char *path, const char *what,
                              struct sw_error *err)
{
    return sw_fail(err, SW_ERR_IO, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "");
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int pragma_int(sqlite3 *db, const char *name, int *v)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s", name);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : -1;
}

static void bind_real(sqlite3_stmt *q, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_double(q, i, v);
}

/* Inside the open transaction: the run's row and axes. */
static int put_run(sqlite3 *db, const struct sw_xrun *r, const struct sw_explorer *ex,
                   long long front, long long *run_id)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
            "INSERT INTO runs (started_at, network, hw_base, space_path, space_text, method,"
            " seed, pop, gens, complete, grid_size, evals, designs, feasible, infeasible,"
            " top_reason, top_reason_count, front, hv, hv_ref, ideal_gates_nand2,"
            " ideal_energy_pj, ideal_latency_us, ideal_area_um2, nadir_gates_nand2,"
            " nadir_energy_pj, nadir_latency_us, nadir_area_um2, hv_share, evals_to_95, wall_s)"
            " VALUES (datetime('now'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &q, NULL) != SQLITE_OK)
        return -1;
    int i = 1;
    const int nsga = strcmp(r->method, "nsga2") == 0;
    sqlite3_bind_text(q, i++, r->network, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, i++, r->hw_base, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, i++, r->space_path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, i++, r->space_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, i++, r->method, -1, SQLITE_TRANSIENT);
    if (nsga) {
        sqlite3_bind_int64(q, i++, r->seed);
        sqlite3_bind_int(q, i++, r->pop);
        sqlite3_bind_int(q, i++, r->gens);
    } else {
        sqlite3_bind_null(q, i++);
        sqlite3_bind_null(q, i++);
        sqlite3_bind_null(q, i++);
    }
    sqlite3_bind_int(q, i++, r->complete);
    sqlite3_bind_int64(q, i++, ex->sp->size);
    sqlite3_bind_int64(q, i++, ex->evals);
    sqlite3_bind_int64(q, i++, ex->n_designs);
    sqlite3_bind_int64(q, i++, ex->n_feasible);
    sqlite3_bind_int64(q, i++, ex->n_designs - ex->n_feasible);
    int top = sw_explorer_top_reason(ex);
    if (top >= 0) {
        sqlite3_bind_text(q, i++, ex->reason[top].key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, i++, ex->reason[top].count);
    } else {
        sqlite3_bind_null(q, i++);
        sqlite3_bind_null(q, i++);
    }
    sqlite3_bind_int64(q, i++, front);
    bind_real(q, i++, r->hv);
    sqlite3_bind_double(q, i++, SW_HV_REF);
    for (int k = 0; k < SW_N_OBJ; k++)
        bind_real(q, i++, r->ideal ? r->ideal[k] : NAN);
    for (int k = 0; k < SW_N_OBJ; k++)
        bind_real(q, i++, r->nadir ? r->nadir[k] : NAN);
    bind_real(q, i++, r->hv_share);
    if (r->evals_to_95 != 0)
        sqlite3_bind_int64(q, i++, r->evals_to_95);
    else
        sqlite3_bind_null(q, i++);
    bind_real(q, i++, r->wall_s);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return -1;
    *run_id = sqlite3_last_insert_rowid(db);

    if (sqlite3_prepare_v2(db, "INSERT INTO axes VALUES (?, ?, ?, ?, ?, ?)", -1, &q, NULL) !=
        SQLITE_OK)
        return -1;
    for (int a = 0; a < ex->sp->n_axes && rc == SQLITE_DONE; a++) {
        const struct sw_space_axis *x = &ex->sp->axes[a];
        char vals[8192];
        size_t len = 0;
        vals[0] = 0;
        for (int v = 0; v < x->n && len < sizeof vals; v++)
            len += (size_t)snprintf(vals + len, sizeof vals - len, "%s%s", v ? ", " : "",
                                    x->text[v]);
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, *run_id);
        sqlite3_bind_int(q, 2, a);
        sqlite3_bind_text(q, 3, x->section, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 4, x->key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(q, 5, x->n);
        sqlite3_bind_text(q, 6, vals, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int put_designs(sqlite3 *db, long long run, const struct sw_explorer *ex,
                       const unsigned char *on_front, int keep_all)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "INSERT INTO designs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                           " ?, ?)", -1, &q, NULL) != SQLITE_OK)
        return -1;
    int rc = SQLITE_DONE;
    for (long long i = 0; i < ex->n_designs && rc == SQLITE_DONE; i++) {
        const struct sw_design *d = &ex->designs[i];
        if (!keep_all && !on_front[i])
            continue;
        int idx[SW_SPACE_MAX_AXES];
        sw_space_decode(ex->sp, d->grid, idx);
        char label[4096];
        if (sw_space_label(ex->sp, idx, label, sizeof label) < 0)
            snprintf(label, sizeof label, "(too long)");
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, run);
        sqlite3_bind_int64(q, 2, d->grid);
        sqlite3_bind_int64(q, 3, i);
        sqlite3_bind_text(q, 4, label, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(q, 5, d->feasible);
        if (d->feasible) {
            sqlite3_bind_null(q, 6);
            for (int k = 0; k < SW_N_OBJ; k++)
                sqlite3_bind_double(q, 7 + k, d->obj[k]);
            sqlite3_bind_int64(q, 11, d->cycles);
            sqlite3_bind_double(q, 12, d->fmax_mhz);
            sqlite3_bind_double(q, 13, d->clock_mhz);
        } else {
            sqlite3_bind_text(q, 6, ex->reason[d->reason].key, -1, SQLITE_TRANSIENT);
            for (int k = 7; k <= 13; k++)
                sqlite3_bind_null(q, k);
        }
        sqlite3_bind_int(q, 14, on_front[i]);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

enum sw_status sw_xstore_put(const char *path, const struct sw_xrun *r,
                             const struct sw_explorer *ex, const unsigned char *on_front,
                             int keep_all, long long *run_id, struct sw_error *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        enum sw_status s = fail_db(db, path, "cannot open", err);
        sqlite3_close(db);
        return s;
    }
    sqlite3_busy_timeout(db, 60000);
    enum sw_status s = SW_OK;
    int v = -1, app = -1;
    if (pragma_int(db, "user_version", &v) != 0 || pragma_int(db, "application_id", &app) != 0) {
        int code = sqlite3_errcode(db);
        s = code == SQLITE_NOTADB || code == SQLITE_CORRUPT
                ? sw_fail(err, SW_ERR_FORMAT, "%s: not an exploration store (not SQLite)", path)
                : fail_db(db, path, "cannot open (a full disk or a read-only folder?)", err);
    } else if (exec(db, "PRAGMA journal_mode = WAL") != 0 ||
               exec(db, "PRAGMA synchronous = FULL") != 0) {
        s = fail_db(db, path, "cannot set WAL mode", err);
    } else if (exec(db, "BEGIN IMMEDIATE") != 0) {
        s = fail_db(db, path, "cannot lock", err);
    } else {
        /* read again under the lock: another process may have made it */
        if (pragma_int(db, "user_version", &v) != 0 ||
            pragma_int(db, "application_id", &app) != 0)
            s = fail_db(db, path, "cannot read the schema version", err);
        else if (v == 0 && app == 0) {
            int n_tables = 0;
            sqlite3_stmt *q;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL) ==
                    SQLITE_OK &&
                sqlite3_step(q) == SQLITE_ROW)
                n_tables = sqlite3_column_int(q, 0);
            sqlite3_finalize(q);
            char sql[sizeof schema + 128];
            snprintf(sql, sizeof sql, "%sPRAGMA user_version = %d;\nPRAGMA application_id = %d;\n",
                     schema, SW_XSTORE_VERSION, SW_XSTORE_APP_ID);
            if (n_tables > 0)
                s = sw_fail(err, SW_ERR_FORMAT, "%s: an SQLite file that is not an exploration "
                            "store (a sweep's result store?)", path);
            else if (exec(db, sql) != 0)
                s = fail_db(db, path, "cannot create the schema", err);
        } else if (app != SW_XSTORE_APP_ID) {
            s = sw_fail(err, SW_ERR_FORMAT, "%s: not an exploration store (a sweep's result "
                        "store?)", path);
        } else if (v != SW_XSTORE_VERSION) {
            s = sw_fail(err, SW_ERR_FORMAT, "%s: exploration store version %d, this logiq "
                        "reads version %d", path, v, SW_XSTORE_VERSION);
        }
        long long front = 0;
        for (long long i = 0; i < ex->n_designs; i++)
            front += on_front[i];
        if (s == SW_OK && (put_run(db, r, ex, front, run_id) != 0 ||
                           put_designs(db, *run_id, ex, on_front, keep_all) != 0))
            s = fail_db(db, path, "cannot write the run", err);
        if (s == SW_OK && exec(db, "COMMIT") != 0)
            s = fail_db(db, path, "cannot commit the run", err);
        if (s != SW_OK)
            exec(db, "ROLLBACK");
    }
    sqlite3_close(db);
    return s;
}

/* sweeps/store.c: the SQLite result store (store.h). The points table's
 * parameter columns follow the spec's parameter table (sw_param_defs), so
 * the DDL, the insert and the shard merge are generated from one list;
 * values are bound by name. */
#include "sweeps/store.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sw_store {
    sqlite3 *db;
    char path[4096];
};

/* The figure columns, after the parameters. */
static const struct { const char *name, *type; } fig_cols[] = {
    {"acc_int", "REAL"}, {"acc_float", "REAL"}, {"acc_sim", "REAL"}, {"sim_match", "INTEGER"},
    {"acc_sim_images", "INTEGER"},
    {"cycles", "INTEGER"}, {"latency_us", "REAL"}, {"gates_nand2", "REAL"},
    {"logic_area_um2", "REAL"}, {"sram_area_um2", "REAL"}, {"area_um2", "REAL"},
    {"energy_op_pj", "REAL"}, {"energy_act_pj", "REAL"}, {"merge_kind", "TEXT"},
    {"merge_nand2", "REAL"}, {"merge_area_um2", "REAL"}, {"skip_bits", "REAL"},
    {"merge_energy_pj", "REAL"}, {"hw_name", "TEXT"}, {"hw_pe_rows", "INTEGER"},
    {"hw_lanes", "INTEGER"}, {"hw_clock_mhz", "REAL"}, {"hw_adder", "TEXT"},
    {"fmax_mhz", "REAL"}, {"critical_stage", "TEXT"},
    {"train_s", "REAL"}, {"wall_s", "REAL"}, {"model_path", "TEXT"}, {"cost_path", "TEXT"},
    {"log_path", "TEXT"},
};
#define N_FIG ((int)(sizeof fig_cols / sizeof fig_cols[0]))

static const char *lead_cols[][2] = {
    {"key", "TEXT PRIMARY KEY"},
    {"sweep", "TEXT"},
    {"status", "TEXT NOT NULL CHECK (status IN ('done', 'failed'))"},
    {"error", "TEXT"},
    {"attempts", "INTEGER NOT NULL DEFAULT 1"},
    {"finished_at", "TEXT"},
    {"host", "TEXT"},
    {"params", "TEXT NOT NULL"},
    {"arch_eff", "TEXT"},
};
#define N_LEAD ((int)(sizeof lead_cols / sizeof lead_cols[0]))

/* Appends to a growing string; returns -1 when out of room. */
static int cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *len)
        return -1;
    *len += (size_t)n;
    return 0;
}

static const char *param_sql_type(enum sw_ptype t)
{
    return t == SW_P_INT ? "INTEGER" : t == SW_P_FLOAT ? "REAL" : "TEXT";
}

/* Column i of points, in order (0 <= i < n_columns()): its name and type. */
static int n_columns(void)
{
    int n_defs;
    sw_param_defs(&n_defs);
    return N_LEAD + n_defs + 2 + N_FIG;
}

static void column_at(int i, const char **name, const char **type)
{
    int n_defs;
    const struct sw_param_def *d = sw_param_defs(&n_defs);
    if (i < N_LEAD) {
        *name = lead_cols[i][0];
        *type = lead_cols[i][1];
    } else if ((i -= N_LEAD) < n_defs) {
        *name = d[i].name;
        *type = param_sql_type(d[i].type);
    } else if ((i -= n_defs) < 2) {
        *name = i == 0 ? "hw_base" : "hw";
        *type = "TEXT";
    } else {
        *name = fig_cols[i - 2].name;
        *type = fig_cols[i - 2].type;
    }
}

/* Every column of points in order: "name" or "name TYPE" (with_types). */
static int column_list(char *buf, size_t size, int with_types, const char *prefix)
{
    size_t len = 0;
    buf[0] = 0;
    int r = 0;
    for (int i = 0; i < n_columns(); i++) {
        const char *name, *type;
        column_at(i, &name, &type);
        r |= cat(buf, size, &len, "%s%s\"%s\"%s%s", i ? ", " : "", prefix, name,
                 with_types ? " " : "", with_types ? type : "");
    }
    return r;
}

static enum sw_status db_fail(struct sw_store *st, struct sw_error *err, const char *what)
{
    int code = sqlite3_errcode(st->db);
    enum sw_status s = code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? SW_ERR_FORMAT : SW_ERR_IO;
    return sw_fail(err, s, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec(struct sw_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int user_version(struct sw_store *st, const char *schema, int *v)
{
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA %s.user_version", schema);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : -1;
}

static enum sw_status create_schema(struct sw_store *st, struct sw_error *err)
{
    char *sql = malloc(32768);
    if (!sql)
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    size_t len = 0;
    int r = cat(sql, 32768, &len, "CREATE TABLE points (");
    r |= column_list(sql + len, 32768 - len, 1, "");
    len = strlen(sql);
    r |= cat(sql, 32768, &len, ");\n"
             "CREATE TABLE point_units (key TEXT NOT NULL REFERENCES points(key), "
             "unit TEXT NOT NULL, nand2_eq REAL, area_um2 REAL, PRIMARY KEY (key, unit));\n"
             "CREATE TABLE point_params (key TEXT NOT NULL REFERENCES points(key), "
             "name TEXT NOT NULL, value TEXT, PRIMARY KEY (key, name));\n"
             "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);\n"
             "INSERT INTO meta VALUES ('created_at', datetime('now'));\n"
             "PRAGMA user_version = %d;\n", SW_STORE_VERSION);
    if (r) {
        free(sql);
        return sw_fail(err, SW_ERR_NOMEM, "schema text too long");
    }
    enum sw_status s = SW_OK;
    if (exec(st, "BEGIN IMMEDIATE") != 0)
        s = db_fail(st, err, "cannot lock");
    else {
        int v = 0;
        if (user_version(st, "main", &v) != 0)
            s = db_fail(st, err, "cannot read the schema version");
        else if (v == 0 && exec(st, sql) != 0)  /* else another process made it meanwhile */
            s = db_fail(st, err, "cannot create the schema");
        if (s == SW_OK && exec(st, "COMMIT") != 0)
            s = db_fail(st, err, "cannot commit the schema");
        if (s != SW_OK)
            exec(st, "ROLLBACK");
    }
    free(sql);
    return s;
}

/* Upgrades a store of an earlier version in place: the columns a later
 * version added (new parameters and figures) are added, NULL in the
 * existing rows, which is what a point that does not name a parameter
 * holds. One transaction; another process may have done it meanwhile. */
static enum sw_status upgrade_schema(struct sw_store *st, struct sw_error *err)
{
    if (exec(st, "BEGIN IMMEDIATE") != 0)
        return db_fail(st, err, "cannot lock");
    enum sw_status s = SW_OK;
    int v = 0;
    if (user_version(st, "main", &v) != 0)
        s = db_fail(st, err, "cannot read the schema version");
    /* add each column the table lacks */
    for (int i = 0; s == SW_OK && v < SW_STORE_VERSION && i < n_columns(); i++) {
        const char *name, *type;
        column_at(i, &name, &type);
        char sql[512];
        /* [name], not "name": SQLite takes an unknown "name" for a string */
        snprintf(sql, sizeof sql, "SELECT [%s] FROM points LIMIT 0", name);
        if (exec(st, sql) == 0)
            continue;  /* the column is there */
        snprintf(sql, sizeof sql, "ALTER TABLE points ADD COLUMN \"%s\" %s", name, type);
        if (exec(st, sql) != 0)
            s = db_fail(st, err, "cannot add a column to upgrade the store");
    }
    if (s == SW_OK && v < SW_STORE_VERSION) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SW_STORE_VERSION);
        if (exec(st, sql) != 0)
            s = db_fail(st, err, "cannot set the schema version");
    }
    if (s == SW_OK && exec(st, "COMMIT") != 0)
        s = db_fail(st, err, "cannot commit the upgrade");
    if (s != SW_OK)
        exec(st, "ROLLBACK");
    return s;
}

/* Opens path read-only. A store in WAL mode whose folder cannot be written
 * (a read-only mount, a full disk) cannot get the -shm file SQLite reads it
 * through: it is then opened immutable, which is right because nothing can
 * be writing it there. */
static int open_readonly(const char *path, sqlite3 **db)
{
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_exec(*db, "PRAGMA user_version", NULL, NULL, NULL) == SQLITE_OK ||
        sqlite3_errcode(*db) != SQLITE_CANTOPEN)
        return SQLITE_OK;
    sqlite3_close(*db);
    *db = NULL;
    size_t n = strlen(path);
    char *uri = malloc(3 * n + 32);
    if (!uri)
        return SQLITE_NOMEM;
    size_t len = (size_t)sprintf(uri, "file:");
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        len += (size_t)(*c == '%' || *c == '?' || *c == '#' ? sprintf(uri + len, "%%%02X", *c)
                                                              : sprintf(uri + len, "%c", *c));
    strcpy(uri + len, "?immutable=1");
    rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    return rc;
}

/* SW_STORE_READ: the store as it is, read-only, at this version only. */
static enum sw_status open_read(struct sw_store *st, const char *path, struct sw_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sw_fail(err, SW_ERR_IO, "%s: no such result store (%s)", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return sw_fail(err, SW_ERR_FORMAT, "%s: not a logiq result store (not a file)", path);
    if (open_readonly(path, &st->db) != SQLITE_OK)
        return st->db ? sw_fail(err, SW_ERR_IO, "%s: cannot open the result store: %s", path,
                                sqlite3_errmsg(st->db))
                      : sw_fail(err, SW_ERR_NOMEM, "out of memory");
    sqlite3_busy_timeout(st->db, 60000);
    int v = -1;
    if (user_version(st, "main", &v) != 0) {
        int code = sqlite3_errcode(st->db);
        return sw_fail(err, SW_ERR_FORMAT, "%s: %s (schema version: %s)", path,
                       code == SQLITE_NOTADB || code == SQLITE_CORRUPT || code == SQLITE_ERROR
                           ? "not a logiq result store"
                           : "cannot read the result store",
                       sqlite3_errmsg(st->db));
    }
    if (v == 0)
        return sw_fail(err, SW_ERR_FORMAT, "%s: not a logiq result store (no schema)", path);
    if (v != SW_STORE_VERSION)
        return sw_fail(err, SW_ERR_FORMAT, "%s: result store version %d, this logiq reads "
                       "version %d%s", path, v, SW_STORE_VERSION,
                       v >= 2 && v < SW_STORE_VERSION
                           ? " (logiq sweep SPEC --dry-run --store STORE upgrades it in place)"
                           : "");
    return SW_OK;
}

enum sw_status sw_store_open(struct sw_store **out, const char *path, enum sw_open mode,
                             struct sw_error *err)
{
    *out = NULL;
    struct stat sb;
    if (mode == SW_STORE_EXISTING && stat(path, &sb) != 0)
        return sw_fail(err, SW_ERR_IO, "%s: no such result store", path);
    if (mode == SW_STORE_READ) {
        struct sw_store *st = calloc(1, sizeof *st);
        if (!st)
            return sw_fail(err, SW_ERR_NOMEM, "out of memory");
        snprintf(st->path, sizeof st->path, "%s", path);
        enum sw_status s = open_read(st, path, err);
        if (s != SW_OK) {
            sw_store_close(st);
            return s;
        }
        *out = st;
        return SW_OK;
    }
    struct sw_store *st = calloc(1, sizeof *st);
    if (!st)
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    snprintf(st->path, sizeof st->path, "%s", path);
    int flags = SQLITE_OPEN_READWRITE | (mode == SW_STORE_CREATE ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        enum sw_status s = st->db ? db_fail(st, err, "cannot open")
                                  : sw_fail(err, SW_ERR_NOMEM, "out of memory");
        sw_store_close(st);
        return s;
    }
    sqlite3_busy_timeout(st->db, 60000);
    int v = -1;
    enum sw_status s = SW_OK;
    if (user_version(st, "main", &v) != 0) {
        int code = sqlite3_errcode(st->db);
        s = db_fail(st, err, code == SQLITE_NOTADB || code == SQLITE_CORRUPT
                                 ? "not a logiq result store"
                                 : "cannot open (a full disk or a read-only folder?)");
    }
    else if (exec(st, "PRAGMA journal_mode = WAL") != 0 ||
             exec(st, "PRAGMA synchronous = FULL") != 0)
        s = db_fail(st, err, "cannot set WAL mode");
    else if (v == 0 && mode == SW_STORE_CREATE)
        s = create_schema(st, err);
    else if (v == 0)
        s = sw_fail(err, SW_ERR_FORMAT, "%s: not a logiq result store (no schema)", path);
    else if (v >= 2 && v < SW_STORE_VERSION)
        s = upgrade_schema(st, err);
    else if (v != SW_STORE_VERSION)
        s = sw_fail(err, SW_ERR_FORMAT, "%s: result store version %d, this logiq reads version %d",
                    path, v, SW_STORE_VERSION);
    if (s != SW_OK) {
        sw_store_close(st);
        return s;
    }
    *out = st;
    return SW_OK;
}

void sw_store_close(struct sw_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st);
}

enum sw_status sw_store_meta_set(struct sw_store *st, const char *name, const char *value,
                                 struct sw_error *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", -1,
                           &q, NULL) != SQLITE_OK)
        return db_fail(st, err, "meta");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SW_OK : db_fail(st, err, "cannot write meta");
}

enum sw_status sw_store_meta_get(struct sw_store *st, const char *name, char **value,
                                 struct sw_error *err)
{
    *value = NULL;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE name = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return db_fail(st, err, "meta");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_text(q, 0)) {
        const char *t = (const char *)sqlite3_column_text(q, 0);
        *value = malloc(strlen(t) + 1);
        if (*value)
            strcpy(*value, t);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(st, err, "cannot read meta");
    return SW_OK;
}

static enum sw_state state_of(const char *s)
{
    if (!s)
        return SW_STATE_NONE;
    return strcmp(s, "done") == 0 ? SW_DONE : SW_FAILED;
}

enum sw_status sw_store_state(struct sw_store *st, const char *key, enum sw_state *state,
                              struct sw_error *err)
{
    *state = SW_STATE_NONE;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT status FROM points WHERE key = ?", -1, &q, NULL) !=
        SQLITE_OK)
        return db_fail(st, err, "cannot query");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *state = state_of((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(st, err, "cannot query");
    return SW_OK;
}

void sw_result_init(struct sw_result *r)
{
    memset(r, 0, sizeof *r);
    struct sw_figures *f = &r->f;
    double *nan_fields[] = {
        &f->acc_int, &f->acc_float, &f->acc_sim, &f->acc_sim_images, &f->cycles, &f->latency_us, &f->gates_nand2,
        &f->logic_area_um2, &f->sram_area_um2, &f->area_um2, &f->energy_op_pj, &f->energy_act_pj,
        &f->merge_nand2, &f->merge_area_um2, &f->skip_bits, &f->merge_energy_pj, &f->hw_pe_rows,
        &f->hw_lanes, &f->hw_clock_mhz, &f->fmax_mhz, &f->train_s, &f->wall_s,
    };
    for (size_t i = 0; i < sizeof nan_fields / sizeof nan_fields[0]; i++)
        *nan_fields[i] = NAN;
    f->sim_match = -1;
}

static void bind_text(sqlite3_stmt *q, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(q, name);
    if (i > 0 && v && v[0])
        sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_real(sqlite3_stmt *q, const char *name, double v)
{
    int i = sqlite3_bind_parameter_index(q, name);
    if (i > 0 && !isnan(v))
        sqlite3_bind_double(q, i, v);
}

static void bind_int(sqlite3_stmt *q, const char *name, double v)
{
    int i = sqlite3_bind_parameter_index(q, name);
    if (i > 0 && !isnan(v))
        sqlite3_bind_int64(q, i, (sqlite3_int64)llround(v));
}

static enum sw_status put_row(struct sw_store *st, const struct sw_spec *s,
                              const struct sw_point *p, const struct sw_result *r,
                              struct sw_error *err)
{
    enum sw_status status = SW_OK;
    char *cols = malloc(16384), *sql = malloc(40000), *canon = malloc(65536);
    sqlite3_stmt *q = NULL;
    if (!cols || !sql || !canon) {
        status = sw_fail(err, SW_ERR_NOMEM, "out of memory");
        goto out;
    }
    column_list(cols, 16384, 0, "");
    /* the values: ":name" for every column, in the same order */
    size_t len = 0;
    cat(sql, 40000, &len, "INSERT OR REPLACE INTO points (%s) VALUES (", cols);
    char *c = cols;
    int first = 1;
    while (*c) {
        char *q1 = strchr(c, '"'), *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        if (!q2)
            break;
        cat(sql, 40000, &len, "%s:%.*s", first ? "" : ", ", (int)(q2 - q1 - 1), q1 + 1);
        first = 0;
        c = q2 + 1;
    }
    if (cat(sql, 40000, &len, ")") != 0) {
        status = sw_fail(err, SW_ERR_NOMEM, "insert statement too long");
        goto out;
    }
    /* attempts = the old row's + 1 */
    const char *att = strstr(sql, ":attempts");
    char *sql2 = malloc(strlen(sql) + 128);
    if (!sql2) {
        status = sw_fail(err, SW_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(sql2, strlen(sql) + 128, "%.*s(SELECT COALESCE(MAX(attempts), 0) + 1 FROM points "
             "WHERE key = :key)%s", (int)(att - sql), sql, att + strlen(":attempts"));
    int rc = sqlite3_prepare_v2(st->db, sql2, -1, &q, NULL);
    free(sql2);
    if (rc != SQLITE_OK) {
        status = db_fail(st, err, "cannot prepare the insert");
        goto out;
    }

    bind_text(q, ":key", p->key);
    bind_text(q, ":sweep", s->name);
    bind_text(q, ":status", r->status == SW_DONE ? "done" : "failed");
    bind_text(q, ":error", r->status == SW_DONE ? NULL : r->error);
    sqlite3_stmt *now;
    bind_text(q, ":host", r->host);
    if (sw_point_canonical(s, p, canon, 65536) < 0)
        canon[0] = 0;
    bind_text(q, ":params", canon);
    char arch[4096];
    if (sw_point_arch(s, p, arch, sizeof arch) == 0)
        bind_text(q, ":arch_eff", arch);
    int n_defs;
    const struct sw_param_def *d = sw_param_defs(&n_defs);
    for (int i = 0; i < n_defs; i++) {
        char name[128];
        snprintf(name, sizeof name, ":%s", d[i].name);
        const char *v = sw_point_value(s, p, d[i].name);
        if (!v || !v[0])
            continue;
        if (d[i].type == SW_P_INT)
            bind_int(q, name, strtod(v, NULL));
        else if (d[i].type == SW_P_FLOAT)
            bind_real(q, name, strtod(v, NULL));
        else
            bind_text(q, name, v);
    }
    bind_text(q, ":hw_base", sw_point_value(s, p, "hw.base"));
    char hw[8192];
    size_t hl = 0;
    hw[0] = 0;
    for (int i = 0; i < s->n_axes; i++) {
        const char *v = s->axes[i].text[p->vi[i]];
        if (strncmp(s->axes[i].name, "hw.", 3) == 0 && strcmp(s->axes[i].name, "hw.base") != 0 &&
            v[0])
            cat(hw, sizeof hw, &hl, "%s%s=%s", hl ? "; " : "", s->axes[i].name + 3, v);
    }
    bind_text(q, ":hw", hw);
    const struct sw_figures *f = &r->f;
    bind_real(q, ":acc_int", f->acc_int);
    bind_real(q, ":acc_float", f->acc_float);
    bind_real(q, ":acc_sim", f->acc_sim);
    bind_int(q, ":sim_match", f->sim_match < 0 ? NAN : f->sim_match);
    bind_int(q, ":acc_sim_images", f->acc_sim_images);
    bind_int(q, ":cycles", f->cycles);
    bind_real(q, ":latency_us", f->latency_us);
    bind_real(q, ":gates_nand2", f->gates_nand2);
    bind_real(q, ":logic_area_um2", f->logic_area_um2);
    bind_real(q, ":sram_area_um2", f->sram_area_um2);
    bind_real(q, ":area_um2", f->area_um2);
    bind_real(q, ":energy_op_pj", f->energy_op_pj);
    bind_real(q, ":energy_act_pj", f->energy_act_pj);
    bind_text(q, ":merge_kind", f->merge_kind);
    bind_real(q, ":merge_nand2", f->merge_nand2);
    bind_real(q, ":merge_area_um2", f->merge_area_um2);
    bind_real(q, ":skip_bits", f->skip_bits);
    bind_real(q, ":merge_energy_pj", f->merge_energy_pj);
    bind_text(q, ":hw_name", f->hw_name);
    bind_int(q, ":hw_pe_rows", f->hw_pe_rows);
    bind_int(q, ":hw_lanes", f->hw_lanes);
    bind_real(q, ":hw_clock_mhz", f->hw_clock_mhz);
    bind_text(q, ":hw_adder", f->hw_adder);
    bind_real(q, ":fmax_mhz", f->fmax_mhz);
    bind_text(q, ":critical_stage", f->critical_stage);
    bind_real(q, ":train_s", f->train_s);
    bind_real(q, ":wall_s", f->wall_s);
    bind_text(q, ":model_path", f->model_path);
    bind_text(q, ":cost_path", f->cost_path);
    bind_text(q, ":log_path", f->log_path);
    if (sqlite3_prepare_v2(st->db, "SELECT datetime('now')", -1, &now, NULL) == SQLITE_OK) {
        if (sqlite3_step(now) == SQLITE_ROW)
            bind_text(q, ":finished_at", (const char *)sqlite3_column_text(now, 0));
        sqlite3_finalize(now);
    }
    if (sqlite3_step(q) != SQLITE_DONE) {
        status = db_fail(st, err, "cannot write the point");
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;

    /* children: replaced whole */
    static const char *const clear[] = {"DELETE FROM point_units WHERE key = ?1",
                                        "DELETE FROM point_params WHERE key = ?1"};
    for (int c = 0; c < 2; c++) {
        if (sqlite3_prepare_v2(st->db, clear[c], -1, &q, NULL) != SQLITE_OK)
            goto db_err;
        sqlite3_bind_text(q, 1, p->key, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_DONE)
            goto db_err;
        sqlite3_finalize(q);
        q = NULL;
    }
    if (sqlite3_prepare_v2(st->db, "INSERT INTO point_units VALUES (?, ?, ?, ?)", -1, &q, NULL) !=
        SQLITE_OK)
        goto db_err;
    for (int i = 0; i < f->n_units && i < SW_MAX_UNITS; i++) {
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
        sqlite3_bind_text(q, 1, p->key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, f->unit[i].unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(q, 3, f->unit[i].nand2_eq);
        sqlite3_bind_double(q, 4, f->unit[i].area_um2);
        if (sqlite3_step(q) != SQLITE_DONE)
            goto db_err;
    }
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(st->db, "INSERT INTO point_params VALUES (?, ?, ?)", -1, &q, NULL) !=
        SQLITE_OK)
        goto db_err;
    for (int i = 0; i < s->n_axes; i++) {
        const char *v = s->axes[i].text[p->vi[i]];
        if (!v[0])
            continue;
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, p->key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, s->axes[i].name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 3, v, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_DONE)
            goto db_err;
    }
    goto out;
db_err:
    status = db_fail(st, err, "cannot write the point's units and parameters");
out:
    sqlite3_finalize(q);
    free(cols);
    free(sql);
    free(canon);
    return status;
}

enum sw_status sw_store_put(struct sw_store *st, const struct sw_spec *s,
                            const struct sw_point *p, const struct sw_result *r,
                            enum sw_put mode, struct sw_error *err)
{
    if (exec(st, "BEGIN IMMEDIATE") != 0)
        return db_fail(st, err, "cannot lock");
    enum sw_state old;
    enum sw_status status = sw_store_state(st, p->key, &old, err);
    if (status == SW_OK && !(mode == SW_PUT_UNLESS_DONE && old == SW_DONE))
        status = put_row(st, s, p, r, err);
    if (status == SW_OK && exec(st, "COMMIT") != 0)
        status = db_fail(st, err, "cannot commit the point");
    if (status != SW_OK)
        exec(st, "ROLLBACK");
    return status;
}

enum sw_status sw_store_merge(struct sw_store *st, const char *shard_path, int *n_rows,
                              struct sw_error *err)
{
    *n_rows = 0;
    struct sw_store *sh;
    /* opening it checks that it is a store of this version */
    enum sw_status s = sw_store_open(&sh, shard_path, SW_STORE_EXISTING, err);
    if (s != SW_OK)
        return s;
    sw_store_close(sh);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "ATTACH ? AS shard", -1, &q, NULL) != SQLITE_OK)
        return db_fail(st, err, "cannot attach");
    sqlite3_bind_text(q, 1, shard_path, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return sw_fail(err, SW_ERR_IO, "%s: cannot attach: %s", shard_path, sqlite3_errmsg(st->db));
    char *cols = malloc(16384), *sql = malloc(50000);
    if (!cols || !sql) {
        free(cols);
        free(sql);
        exec(st, "DETACH shard");
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    }
    column_list(cols, 16384, 0, "");
    snprintf(sql, 50000,
             "BEGIN IMMEDIATE;\n"
             "CREATE TEMP TABLE take AS SELECT s.key FROM shard.points s WHERE NOT EXISTS "
             "(SELECT 1 FROM main.points m WHERE m.key = s.key AND m.status = 'done' AND "
             "s.status != 'done');\n"
             "DELETE FROM main.point_units WHERE key IN (SELECT key FROM take);\n"
             "DELETE FROM main.point_params WHERE key IN (SELECT key FROM take);\n"
             "INSERT OR REPLACE INTO main.points (%s) SELECT %s FROM shard.points "
             "WHERE key IN (SELECT key FROM take);\n"
             "INSERT INTO main.point_units SELECT * FROM shard.point_units "
             "WHERE key IN (SELECT key FROM take);\n"
             "INSERT INTO main.point_params SELECT * FROM shard.point_params "
             "WHERE key IN (SELECT key FROM take);\n",
             cols, cols);
    s = SW_OK;
    if (exec(st, sql) != 0) {
        s = sw_fail(err, SW_ERR_IO, "%s: cannot merge: %s", shard_path, sqlite3_errmsg(st->db));
        exec(st, "ROLLBACK");
    } else {
        if (sqlite3_prepare_v2(st->db, "SELECT COUNT(*) FROM take", -1, &q, NULL) == SQLITE_OK) {
            if (sqlite3_step(q) == SQLITE_ROW)
                *n_rows = sqlite3_column_int(q, 0);
            sqlite3_finalize(q);
        }
        if (exec(st, "COMMIT") != 0) {
            s = db_fail(st, err, "cannot commit the merge");
            exec(st, "ROLLBACK");
        }
    }
    exec(st, "DROP TABLE IF EXISTS temp.take");
    exec(st, "DETACH shard");
    free(cols);
    free(sql);
    return s;
}

static double col_real(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

static const char *col_text(sqlite3_stmt *q, int i)
{
    const char *t = (const char *)sqlite3_column_text(q, i);
    return t ? t : "";
}

/* The figure columns a row reads back, and where they go. */
#define FIG_REAL(name) {#name, offsetof(struct sw_figures, name), 'r', 0}
#define FIG_TEXT(name) {#name, offsetof(struct sw_figures, name), 't', \
                        sizeof ((struct sw_figures *)0)->name}
static const struct { const char *col; size_t off; char kind; size_t size; } row_figs[] = {
    FIG_REAL(acc_int), FIG_REAL(acc_float), FIG_REAL(acc_sim), FIG_REAL(acc_sim_images),
    FIG_REAL(cycles),
    FIG_REAL(latency_us), FIG_REAL(gates_nand2), FIG_REAL(logic_area_um2),
    FIG_REAL(sram_area_um2), FIG_REAL(area_um2), FIG_REAL(energy_op_pj), FIG_REAL(energy_act_pj),
    FIG_TEXT(merge_kind), FIG_REAL(merge_nand2), FIG_REAL(merge_area_um2), FIG_REAL(skip_bits),
    FIG_REAL(merge_energy_pj), FIG_TEXT(hw_name), FIG_REAL(hw_pe_rows), FIG_REAL(hw_lanes),
    FIG_REAL(hw_clock_mhz), FIG_TEXT(hw_adder), FIG_REAL(fmax_mhz), FIG_TEXT(critical_stage),
    FIG_REAL(train_s), FIG_REAL(wall_s), FIG_TEXT(model_path), FIG_TEXT(cost_path),
    FIG_TEXT(log_path),
};
#define N_ROW_FIGS ((int)(sizeof row_figs / sizeof row_figs[0]))

static int find_row(const struct sw_row *rows, int n, const char *key)
{
    int lo = 0, hi = n - 1;  /* ordered by key */
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(rows[mid].key, key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

void sw_rows_free(struct sw_row *rows, int n)
{
    for (int i = 0; rows && i < n; i++) {
        free(rows[i].error);
        free(rows[i].kv);
    }
    free(rows);
}

/* Reads the point_units rows into their points. */
static enum sw_status read_units(struct sw_store *st, struct sw_row *rows, int n,
                                 struct sw_error *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT key, unit, nand2_eq, area_um2 FROM point_units "
                           "ORDER BY key, unit", -1, &q, NULL) != SQLITE_OK)
        return db_fail(st, err, "point_units");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int i = find_row(rows, n, col_text(q, 0));
        if (i < 0 || rows[i].f.n_units == SW_MAX_UNITS)
            continue;
        struct sw_unit_cost *u = &rows[i].f.unit[rows[i].f.n_units++];
        snprintf(u->unit, sizeof u->unit, "%s", col_text(q, 1));
        u->nand2_eq = col_real(q, 2);
        u->area_um2 = col_real(q, 3);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SW_OK : db_fail(st, err, "point_units");
}

/* Reads the point_params rows into their points' kv lists, by name. */
static enum sw_status read_params(struct sw_store *st, struct sw_row *rows, int n,
                                  struct sw_error *err)
{
    size_t *len = calloc((size_t)n + 1, sizeof *len);
    if (!len)
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT key, name, value FROM point_params ORDER BY name, "
                           "rowid", -1, &q, NULL) != SQLITE_OK) {
        free(len);
        return db_fail(st, err, "point_params");
    }
    int rc, oom = 0;
    while (!oom && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int i = find_row(rows, n, col_text(q, 0));
        if (i < 0)
            continue;
        const char *name = col_text(q, 1), *value = col_text(q, 2);
        size_t a = strlen(name) + 1, b = strlen(value) + 1;
        char *kv = realloc(rows[i].kv, len[i] + a + b + 1);
        if (!kv) {
            oom = 1;
            break;
        }
        memcpy(kv + len[i], name, a);
        memcpy(kv + len[i] + a, value, b);
        len[i] += a + b;
        kv[len[i]] = 0;
        rows[i].kv = kv;
    }
    sqlite3_finalize(q);
    free(len);
    if (oom)
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    return rc == SQLITE_DONE ? SW_OK : db_fail(st, err, "point_params");
}

enum sw_status sw_store_rows(struct sw_store *st, struct sw_row **out, int *n_out,
                             struct sw_error *err)
{
    *out = NULL;
    *n_out = 0;
    char sql[2048];
    size_t len = 0;
    int r = cat(sql, sizeof sql, &len, "SELECT key, status, error, arch_eff, \"merge\", sim_match");
    for (int k = 0; k < N_ROW_FIGS; k++)
        r |= cat(sql, sizeof sql, &len, ", %s", row_figs[k].col);
    r |= cat(sql, sizeof sql, &len, " FROM points ORDER BY key");
    sqlite3_stmt *q;
    if (r || sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return db_fail(st, err, "points");
    struct sw_result blank;
    sw_result_init(&blank);
    struct sw_row *rows = NULL;
    int n = 0, cap = 0, rc, oom = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            struct sw_row *g = realloc(rows, (size_t)cap * sizeof *g);
            if (!g) {
                oom = 1;
                break;
            }
            rows = g;
        }
        struct sw_row *w = &rows[n++];
        memset(w, 0, sizeof *w);
        w->f = blank.f;
        snprintf(w->key, sizeof w->key, "%s", col_text(q, 0));
        w->status = state_of(col_text(q, 1));
        w->error = strdup(col_text(q, 2));
        w->kv = calloc(1, 1);
        if (!w->error || !w->kv) {
            oom = 1;
            break;
        }
        snprintf(w->arch_eff, sizeof w->arch_eff, "%s", col_text(q, 3));
        snprintf(w->merge, sizeof w->merge, "%s", col_text(q, 4));
        w->f.sim_match = sqlite3_column_type(q, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 5);
        for (int k = 0; k < N_ROW_FIGS; k++) {
            char *field = (char *)&w->f + row_figs[k].off;
            if (row_figs[k].kind == 'r')
                *(double *)field = col_real(q, 6 + k);
            else
                snprintf(field, row_figs[k].size, "%s", col_text(q, 6 + k));
        }
    }
    sqlite3_finalize(q);
    enum sw_status s = oom                  ? sw_fail(err, SW_ERR_NOMEM, "out of memory")
                       : rc != SQLITE_DONE ? db_fail(st, err, "points")
                                           : SW_OK;
    if (s == SW_OK)
        s = read_units(st, rows, n, err);
    if (s == SW_OK)
        s = read_params(st, rows, n, err);
    if (s != SW_OK) {
        sw_rows_free(rows, n);
        return s;
    }
    *out = rows;
    *n_out = n;
    return SW_OK;
}

enum sw_status sw_store_summaries(struct sw_store *st, struct sw_summary **rows, int *n,
                                  struct sw_error *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT key, status, acc_int, gates_nand2, energy_op_pj, latency_us, "
                           "wall_s, arch_eff, wq, aq, seed, hw FROM points ORDER BY key", -1, &q,
                           NULL) != SQLITE_OK)
        return db_fail(st, err, "cannot query");
    int cap = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            struct sw_summary *r = realloc(*rows, (size_t)cap * sizeof *r);
            if (!r) {
                sqlite3_finalize(q);
                free(*rows);
                *rows = NULL;
                *n = 0;
                return sw_fail(err, SW_ERR_NOMEM, "out of memory");
            }
            *rows = r;
        }
        struct sw_summary *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        snprintf(r->key, sizeof r->key, "%s", (const char *)sqlite3_column_text(q, 0));
        r->status = state_of((const char *)sqlite3_column_text(q, 1));
        r->acc_int = col_real(q, 2);
        r->gates_nand2 = col_real(q, 3);
        r->energy_op_pj = col_real(q, 4);
        r->latency_us = col_real(q, 5);
        r->wall_s = col_real(q, 6);
        const char *t[5];
        for (int i = 0; i < 5; i++) {
            t[i] = (const char *)sqlite3_column_text(q, 7 + i);
            t[i] = t[i] ? t[i] : "";
        }
        snprintf(r->label, sizeof r->label, "%s wq=%s aq=%s seed=%s%s%s", t[0], t[1], t[2], t[3],
                 t[4][0] ? " " : "", t[4]);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        free(*rows);
        *rows = NULL;
        *n = 0;
        return db_fail(st, err, "cannot query");
    }
    return SW_OK;
}

/* reports/data.c: reading the result store and the files its rows point at
 * (data.h). Read-only: the report never writes the store. */
#include "reports/data.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cJSON *cost_json(const char *path, const char *name, cJSON **root,
                              struct rp_error *err, enum rp_status *s);
static int cost_requant_shift(const char *path);

static char *dup_str(const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s) + 1;
    char *r = malloc(n);
    if (r)
        memcpy(r, s, n);
    return r;
}

static int readable(const char *path)
{
    struct stat sb;
    return path[0] && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, R_OK) == 0;
}

/* A stored path made readable from here: as stored, relative to the store's
 * folder, or STEM.d/KEY/BASENAME beside the store (data.h). */
static void resolve(char *out, size_t size, const char *stored, const char *store_path,
                    const char *key)
{
    out[0] = 0;
    if (!stored[0])
        return;
    char cand[8192];
    snprintf(cand, sizeof cand, "%s", stored);
    if (readable(cand))
        goto found;
    const char *slash = strrchr(store_path, '/');
    int dir_len = slash ? (int)(slash - store_path) : 0;
    if (stored[0] != '/' && slash) {
        snprintf(cand, sizeof cand, "%.*s/%s", dir_len, store_path, stored);
        if (readable(cand))
            goto found;
    }
    const char *base = strrchr(stored, '/');
    base = base ? base + 1 : stored;
    size_t n = strlen(store_path);
    if (n > 3 && strcmp(store_path + n - 3, ".db") == 0)
        n -= 3;
    snprintf(cand, sizeof cand, "%.*s.d/%s/%s", (int)n, store_path, key, base);
    if (readable(cand))
        goto found;
    return;
found:
    if (strlen(cand) < size)
        snprintf(out, size, "%s", cand);
}

static int param_add_value(struct rp_param *pm, const char *value)
{
    for (int i = 0; i < pm->n_values; i++)
        if (strcmp(pm->values[i], value) == 0)
            return 0;
    char **v = realloc(pm->values, (size_t)(pm->n_values + 1) * sizeof *v);
    if (!v)
        return -1;
    pm->values = v;
    if (!(v[pm->n_values] = dup_str(value)))
        return -1;
    pm->n_values++;
    return 0;
}

/* Values in a stable order (the store keeps points in the order they
 * finished): numbers by value, text alphabetically, numbers first. */
static int by_value(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    char *ex, *ey;
    double u = strtod(x, &ex), v = strtod(y, &ey);
    int nx = x[0] && !*ex, ny = y[0] && !*ey;
    if (nx && ny && u != v)
        return u < v ? -1 : 1;
    if (nx != ny)
        return nx ? -1 : 1;
    return strcmp(x, y);
}

int rp_point_file(const struct rp_point *p, const char *name, char *path, size_t size)
{
    if (!p->model_path[0])
        return 0;
    const char *slash = strrchr(p->model_path, '/');
    if (slash)
        snprintf(path, size, "%.*s/%s", (int)(slash - p->model_path), p->model_path, name);
    else
        snprintf(path, size, "%s", name);
    return 1;
}

const char *rp_point_param(const struct rp_data *d, int point, const char *name)
{
    const char *kv = d->pts[point].kv;
    while (kv && *kv) {
        const char *value = kv + strlen(kv) + 1;
        if (strcmp(kv, name) == 0)
            return value;
        kv = value + strlen(value) + 1;
    }
    return NULL;
}

/* Labels: the values of the parameters that vary, merge aside (its colour). */
static void make_labels(struct rp_data *d)
{
    for (int i = 0; i < d->n; i++) {
        struct rp_point *p = &d->pts[i];
        size_t len = 0;
        p->label[0] = 0;
        for (int k = 0; k < d->n_params; k++) {
            const struct rp_param *pm = &d->params[k];
            if (pm->n_values < 2 || strcmp(pm->name, "merge") == 0)
                continue;
            const char *v = rp_point_param(d, i, pm->name);
            int w = snprintf(p->label + len, sizeof p->label - len, "%s%s=%s", len ? " " : "",
                             pm->name, v ? v : "-");
            if (w < 0 || (size_t)w >= sizeof p->label - len)
                break;
            len += (size_t)w;
        }
    }
}

/* The points from the store's rows: figures, paths resolved from here,
 * parameters; each row's kv moves to its point. */
static enum rp_status load_points(struct rp_data *d, struct sw_row *rows, int n,
                                  struct rp_error *err)
{
    d->pts = calloc((size_t)(n > 0 ? n : 1), sizeof *d->pts);
    if (!d->pts)
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        struct sw_row *w = &rows[i];
        struct rp_point *p = &d->pts[d->n++];
        snprintf(p->key, sizeof p->key, "%s", w->key);
        p->status = w->status == SW_DONE ? SW_DONE : SW_FAILED;
        p->error = dup_str(p->status == SW_DONE ? ""
                           : w->error[0]        ? w->error
                                                : "(no reason recorded)");
        if (!p->error)
            return rp_fail(err, RP_ERR_NOMEM, "out of memory");
        p->kv = w->kv;  /* moved */
        w->kv = NULL;
        snprintf(p->arch_eff, sizeof p->arch_eff, "%s", w->arch_eff);
        snprintf(p->merge, sizeof p->merge, "%s", w->f.merge_kind[0] ? w->f.merge_kind
                                                  : w->merge[0]       ? w->merge
                                                                      : "none");
        const struct sw_figures *f = &w->f;
        p->acc_int = f->acc_int;
        p->acc_float = f->acc_float;
        p->gates_nand2 = f->gates_nand2;
        p->energy_op_pj = f->energy_op_pj;
        p->latency_us = f->latency_us;
        p->area_um2 = f->area_um2;
        p->cycles = f->cycles;
        p->merge_nand2 = f->merge_nand2;
        p->merge_energy_pj = f->merge_energy_pj;
        p->train_s = f->train_s;
        p->wall_s = f->wall_s;
        p->acc_sim = f->acc_sim;
        p->acc_sim_images = f->acc_sim_images;
        p->sim_match = f->sim_match < 0 ? NAN : f->sim_match;
        p->energy_act_pj = f->energy_act_pj;
        resolve(p->model_path, sizeof p->model_path, f->model_path, d->store_path, p->key);
        resolve(p->log_path, sizeof p->log_path, f->log_path, d->store_path, p->key);
        resolve(p->cost_path, sizeof p->cost_path, f->cost_path, d->store_path, p->key);
        if (strcmp(p->merge, "add") == 0 && cost_requant_shift(p->cost_path))
            snprintf(p->merge, sizeof p->merge, "add-shift");
        p->n_units = f->n_units;
        for (int u = 0; u < f->n_units; u++) {
            snprintf(p->unit[u].unit, sizeof p->unit[u].unit, "%s", f->unit[u].unit);
            p->unit[u].nand2_eq = f->unit[u].nand2_eq;
            p->unit[u].area_um2 = f->unit[u].area_um2;
        }
        if (p->status == SW_DONE)
            d->n_done++;
        else
            d->n_failed++;
    }
    return RP_OK;
}

/* The parameters and the values their points took: names in order, values
 * numbers first by value, then text. */
static enum rp_status load_params(struct rp_data *d, struct rp_error *err)
{
    int cap = 0, oom = 0;
    for (int i = 0; i < d->n && !oom; i++)
        for (const char *kv = d->pts[i].kv; kv && *kv && !oom;) {
            const char *name = kv, *value = kv + strlen(kv) + 1;
            kv = value + strlen(value) + 1;
            int k = 0;
            while (k < d->n_params && strcmp(d->params[k].name, name) < 0)
                k++;
            if (k == d->n_params || strcmp(d->params[k].name, name) != 0) {
                if (d->n_params == cap) {
                    cap = cap ? 2 * cap : 32;
                    struct rp_param *pm = realloc(d->params, (size_t)cap * sizeof *pm);
                    if (!pm) {
                        oom = 1;
                        break;
                    }
                    d->params = pm;
                }
                memmove(&d->params[k + 1], &d->params[k],
                        (size_t)(d->n_params - k) * sizeof *d->params);
                d->n_params++;
                memset(&d->params[k], 0, sizeof d->params[k]);
                snprintf(d->params[k].name, sizeof d->params[k].name, "%s", name);
            }
            oom |= param_add_value(&d->params[k], value);
        }
    for (int k = 0; k < d->n_params && !oom; k++)
        qsort(d->params[k].values, (size_t)d->params[k].n_values, sizeof(char *), by_value);
    return oom ? rp_fail(err, RP_ERR_NOMEM, "out of memory") : RP_OK;
}

/* 1 when the cost JSON at path prices an add merge on the shift requantizer
 * ("requant": "shift"): such a point is shown as the merge kind add-shift,
 * beside the multiplier's add (docs/accelerator.md, "The requantizer"). */
static int cost_requant_shift(const char *path)
{
    struct rp_error e;
    enum rp_status s = RP_OK;
    cJSON *root;
    const cJSON *mp = path[0] ? cost_json(path, "merge_path", &root, &e, &s) : NULL;
    if (!mp)
        return 0;
    const cJSON *rq = cJSON_GetObjectItemCaseSensitive(mp, "requant");
    int shift = cJSON_IsString(rq) && strcmp(rq->valuestring, "shift") == 0;
    cJSON_Delete(root);
    return shift;
}

/* A store's meta value, "" when not set. */
static enum rp_status meta(struct sw_store *st, const char *name, char **out,
                           struct rp_error *err)
{
    struct sw_error se;
    char *v = NULL;
    if (sw_store_meta_get(st, name, &v, &se) != SW_OK)
        return rp_fail(err, RP_ERR_STORE, "%s", se.msg);
    *out = v ? v : dup_str("");
    return *out ? RP_OK : rp_fail(err, RP_ERR_NOMEM, "out of memory");
}

enum rp_status rp_data_load(struct rp_data *d, const char *store_path, struct rp_error *err)
{
    memset(d, 0, sizeof *d);
    if (strlen(store_path) >= sizeof d->store_path)
        return rp_fail(err, RP_ERR_STORE, "%s: path too long", store_path);
    snprintf(d->store_path, sizeof d->store_path, "%s", store_path);
    struct sw_store *st;
    struct sw_error se;
    enum sw_status ss = sw_store_open(&st, store_path, SW_STORE_READ, &se);
    if (ss != SW_OK)
        return rp_fail(err, ss == SW_ERR_NOMEM ? RP_ERR_NOMEM : RP_ERR_STORE, "%s", se.msg);
    char *sweep = NULL, *created = NULL;
    enum rp_status s = meta(st, "sweep", &sweep, err);
    if (s == RP_OK)
        s = meta(st, "created_at", &created, err);
    if (s == RP_OK)
        s = meta(st, "spec_path", &d->spec_path, err);
    if (s == RP_OK)
        s = meta(st, "spec_text", &d->spec_text, err);
    if (sweep)
        snprintf(d->sweep, sizeof d->sweep, "%s", sweep);
    if (created)
        snprintf(d->created_at, sizeof d->created_at, "%s", created);
    free(sweep);
    free(created);
    struct sw_row *rows = NULL;
    int n = 0;
    if (s == RP_OK && (ss = sw_store_rows(st, &rows, &n, &se)) != SW_OK)
        s = rp_fail(err, ss == SW_ERR_NOMEM ? RP_ERR_NOMEM : RP_ERR_STORE, "%s", se.msg);
    sw_store_close(st);
    if (s == RP_OK)
        s = load_points(d, rows, n, err);
    sw_rows_free(rows, n);
    if (s == RP_OK)
        s = load_params(d, err);
    if (s != RP_OK) {
        rp_data_free(d);
        return s;
    }
    if (!d->sweep[0] && d->n > 0) {
        /* no meta (a shard): the sweep's name is in every row */
        const char *slash = strrchr(store_path, '/');
        snprintf(d->sweep, sizeof d->sweep, "%s", slash ? slash + 1 : store_path);
    }
    make_labels(d);
    return RP_OK;
}

void rp_data_free(struct rp_data *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->pts[i].error);
        free(d->pts[i].kv);
    }
    free(d->pts);
    for (int k = 0; k < d->n_params; k++) {
        for (int j = 0; j < d->params[k].n_values; j++)
            free(d->params[k].values[j]);
        free(d->params[k].values);
    }
    free(d->params);
    free(d->spec_path);
    free(d->spec_text);
    memset(d, 0, sizeof *d);
}

/* ---- training logs ---- */

/* Splits a CSV line in place at commas (no quoting: the log has none). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    char *s = line;
    while (n < max) {
        f[n++] = s;
        char *c = strchr(s, ',');
        if (!c)
            break;
        *c = 0;
        s = c + 1;
    }
    return n;
}

enum rp_status rp_trainlog_read(struct rp_trainlog *t, const char *path, struct rp_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f)
        return rp_fail(err, RP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    enum { MAX_COLS = 4096 };
    size_t cap_line = 1 << 16;
    char *line = malloc(cap_line);
    char **fld = malloc(MAX_COLS * sizeof *fld);
    enum rp_status s = RP_OK;
    if (!line || !fld) {
        s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        goto out;
    }
    ssize_t got;
    size_t cap = cap_line;
    if ((got = getline(&line, &cap, f)) <= 0) {
        s = rp_fail(err, RP_ERR_IO, "%s: empty training log", path);
        goto out;
    }
    t->n_cols = split(line, fld, MAX_COLS);
    if (strcmp(fld[0], "epoch") != 0) {
        s = rp_fail(err, RP_ERR_IO, "%s: not a training log (no epoch column)", path);
        t->n_cols = 0;
        goto out;
    }
    t->cols = calloc((size_t)t->n_cols, sizeof *t->cols);
    if (!t->cols) {
        s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
        t->n_cols = 0;
        goto out;
    }
    for (int i = 0; i < t->n_cols; i++)
        if (!(t->cols[i] = dup_str(fld[i]))) {
            s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
            goto out;
        }
    int test_col = rp_trainlog_col(t, "test_acc"), cap_rows = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        if (line[0] == '\n' || line[0] == 0)
            continue;
        if (t->n_rows == cap_rows) {
            cap_rows = cap_rows ? 2 * cap_rows : 16;
            double *v = realloc(t->v, (size_t)cap_rows * (size_t)t->n_cols * sizeof *v);
            if (!v) {
                s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
                goto out;
            }
            t->v = v;
        }
        int n = split(line, fld, MAX_COLS);
        double *row = t->v + (size_t)t->n_rows * (size_t)t->n_cols;
        for (int i = 0; i < t->n_cols; i++) {
            char *end = NULL;
            row[i] = i < n && fld[i][0] ? strtod(fld[i], &end) : NAN;
            if (end && *end)
                row[i] = NAN;
        }
        if (test_col >= 0 && row[test_col] < 0)
            row[test_col] = NAN;
        t->n_rows++;
    }
out:
    free(line);
    free(fld);
    fclose(f);
    if (s != RP_OK)
        rp_trainlog_free(t);
    return s;
}

void rp_trainlog_free(struct rp_trainlog *t)
{
    for (int i = 0; i < t->n_cols; i++)
        free(t->cols ? t->cols[i] : NULL);
    free(t->cols);
    free(t->v);
    memset(t, 0, sizeof *t);
}

int rp_trainlog_col(const struct rp_trainlog *t, const char *name)
{
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i], name) == 0)
            return i;
    return -1;
}

/* ---- the cost JSON's energy breakdown ---- */

static char *slurp(const char *path, struct rp_error *err, enum rp_status *s)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *s = rp_fail(err, RP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len < cap - 1)
            break;
        char *b = realloc(buf, cap *= 2);
        if (!b) {
            free(buf);
            buf = NULL;
        } else
            buf = b;
    }
    fclose(f);
    if (!buf)
        *s = rp_fail(err, RP_ERR_NOMEM, "out of memory");
    else
        buf[len] = 0;
    return buf;
}

/* A point's cost JSON and its member object name (NULL and err set when the
 * file cannot be read or has no such object). Free *root with cJSON_Delete. */
static const cJSON *cost_json(const char *path, const char *name, cJSON **root,
                              struct rp_error *err, enum rp_status *s)
{
    *root = NULL;
    char *text = slurp(path, err, s);
    if (!text)
        return NULL;
    *root = cJSON_Parse(text);
    free(text);
    const cJSON *o = *root ? cJSON_GetObjectItemCaseSensitive(*root, name) : NULL;
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(*root);
        *root = NULL;
        *s = rp_fail(err, RP_ERR_IO, "%s: not a logiq cost JSON (no %s object)", path, name);
        return NULL;
    }
    return o;
}

static void energy_add(struct rp_energy *e, const char *name, double pj)
{
    if (e->n < RP_MAX_PARTS && isfinite(pj)) {
        snprintf(e->name[e->n], sizeof e->name[e->n], "%s", name);
        e->pj[e->n++] = pj;
    }
}

enum rp_status rp_energy_read(struct rp_energy *e, const char *path, struct rp_error *err)
{
    memset(e, 0, sizeof *e);
    e->total_pj = NAN;
    enum rp_status s = RP_OK;
    cJSON *root;
    const cJSON *en = cost_json(path, "energy_pj", &root, err, &s);
    if (!en)
        return s;
    const cJSON *it;
    cJSON_ArrayForEach(it, en) {
        if (!cJSON_IsNumber(it))
            continue;
        if (strcmp(it->string, "total") == 0)
            e->total_pj = it->valuedouble;
        else
            energy_add(e, it->string, it->valuedouble);
    }
    const cJSON *buf = cJSON_GetObjectItemCaseSensitive(root, "buffers");
    cJSON_ArrayForEach(it, buf) {
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(it, "energy_pj");
        char name[32];
        snprintf(name, sizeof name, "sram_%s", it->string);
        if (cJSON_IsNumber(pj))
            energy_add(e, name, pj->valuedouble);
    }
    cJSON_Delete(root);
    return RP_OK;
}

enum rp_status rp_merge_parts_read(struct rp_merge_parts *m, const char *path,
                                   struct rp_error *err)
{
    memset(m, 0, sizeof *m);
    enum rp_status s = RP_OK;
    cJSON *root;
    const cJSON *mp = cost_json(path, "merge_path", &root, err, &s);
    if (!mp)
        return s;
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(mp, "parts"), *it;
    cJSON_ArrayForEach(it, parts) {
        if (m->n == RP_MAX_MERGE_PARTS || !cJSON_IsObject(it))
            continue;
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(it, "nand2_eq");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "energy_pj");
        snprintf(m->name[m->n], sizeof m->name[m->n], "%s", it->string);
        m->nand2[m->n] = cJSON_IsNumber(g) ? g->valuedouble : NAN;
        m->pj[m->n] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        m->n++;
    }
    cJSON_Delete(root);
    return RP_OK;
}

int rp_point_is_reference(const struct rp_point *p)
{
    return p->status == SW_DONE && !isfinite(p->acc_int) && isfinite(p->acc_float) &&
           !isfinite(p->gates_nand2);
}

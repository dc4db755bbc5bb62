/* tests/test_sweep.c: the sweep library: spec parsing and grid expansion,
 * point keys (stable under reordering, respelling and added axis values),
 * filters and [points] lists, error messages naming file, line and key, the
 * result store's schema and write rules, and Pareto fronts against a
 * brute-force check on random points.
 * Tolerance policy: none needed; every comparison is exact. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/model.h"
#include "sweeps/exec.h"
#include "sweeps/filter.h"
#include "sweeps/pareto.h"
#include "sweeps/spec.h"
#include "sweeps/store.h"
#include "testutil.h"

/* The test's stand-in for cli/'s check: quantizers "bin", "twn", "heq:N";
 * any architecture without "bad"; hw keys "array.*". */
static int check(void *ctx, const char *name, const char *value, char *canon, size_t cs,
                 char *msg, size_t ms)
{
    (void)ctx;
    (void)canon;
    (void)cs;
    if (strcmp(name, "wq") == 0 && strcmp(value, "bin") && strcmp(value, "twn") &&
        strncmp(value, "heq:", 4)) {
        snprintf(msg, ms, "weight quantizer '%s' unknown", value);
        return 1;
    }
    if (strcmp(name, "arch") == 0 && strstr(value, "bad")) {
        snprintf(msg, ms, "bad architecture");
        return 1;
    }
    if (strncmp(name, "hw.", 3) == 0 && strcmp(name, "hw.base") != 0 &&
        strncmp(name, "hw.array.", 9) != 0) {
        snprintf(msg, ms, "unknown key");
        return 1;
    }
    return 0;
}

static int parse(struct sw_spec *s, const char *text, struct sw_error *err)
{
    return sw_spec_parse(s, text, "dir/t.ini", check, NULL, err);
}

/* Expands text; returns the point count (-1 on error) and the keys, sorted. */
static int keys_of(const char *text, char keys[][SW_KEY_LEN + 1], int max)
{
    struct sw_spec s;
    struct sw_error err;
    if (parse(&s, text, &err) != SW_OK) {
        fprintf(stderr, "  (%s)\n", err.msg);
        return -1;
    }
    struct sw_point *p;
    int n;
    if (sw_spec_expand(&s, SW_MAX_POINTS_DEFAULT, &p, &n, &err) != SW_OK) {
        sw_spec_free(&s);
        return -1;
    }
    for (int i = 0; i < n && i < max; i++)
        memcpy(keys[i], p[i].key, SW_KEY_LEN + 1);
    qsort(keys, (size_t)(n < max ? n : max), SW_KEY_LEN + 1, (int (*)(const void *, const void *))strcmp);
    sw_points_free(p, n);
    sw_spec_free(&s);
    return n;
}

static int has_key(char keys[][SW_KEY_LEN + 1], int n, const char *k)
{
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i], k) == 0)
            return 1;
    return 0;
}

static void test_expansion(void)
{
    const char *text = "[sweep]\nname = g\n"
                       "[network]\narch = res11\nmerge = add, or, mux\nwq = bin, heq:3\n"
                       "[train]\nepochs = 1\nseed = 1, 2\n[hw]\narray.pe_rows = 16\n";
    struct sw_spec s;
    struct sw_error err;
    TU_CHECK(parse(&s, text, &err) == SW_OK, "parse: %s", err.msg);
    struct sw_point *p;
    int n;
    TU_CHECK(sw_spec_expand(&s, SW_MAX_POINTS_DEFAULT, &p, &n, &err) == SW_OK && n == 12,
             "3 x 2 x 2 = 12 points, got %d", n);
    /* grid order: the first axis slowest */
    TU_CHECK(strcmp(sw_point_value(&s, &p[0], "merge"), "add") == 0 &&
                 strcmp(sw_point_value(&s, &p[11], "merge"), "mux") == 0 &&
                 strcmp(sw_point_value(&s, &p[1], "seed"), "2") == 0,
             "grid order");
    char arch[64];
    sw_point_arch(&s, &p[4], arch, sizeof arch);
    TU_CHECK(strcmp(arch, "res11-or") == 0, "family + merge = res11-or, got %s", arch);
    TU_CHECK(strcmp(sw_point_value(&s, &p[0], "lr"), "0.001") == 0, "defaults filled");
    TU_CHECK(strcmp(sw_point_value(&s, &p[0], "hw.array.pe_rows"), "16") == 0, "hw override");
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            TU_CHECK(strcmp(p[i].key, p[j].key) != 0, "distinct keys %d %d", i, j);
    char canon[4096];
    int len = sw_point_canonical(&s, &p[0], canon, sizeof canon);
    TU_CHECK(len > 0 && strstr(canon, "epochs=1\n") && strstr(canon, "hw.array.pe_rows=16\n") &&
                 !strstr(canon, "wq_first="),
             "canonical form names every set parameter: %s", canon);
    char k[SW_KEY_LEN + 1];
    snprintf(k, sizeof k, "%016llx", (unsigned long long)sw_fnv1a64(canon, (size_t)len));
    TU_CHECK(strcmp(k, p[0].key) == 0, "key = FNV-1a of the canonical form");
    sw_points_free(p, n);
    sw_spec_free(&s);

    /* "{merge}" in an architecture string */
    TU_CHECK(parse(&s, "[network]\narch = \"c8,c8+{merge},f10\"\nmerge = or, add\n", &err) ==
                 SW_OK, "parse: %s", err.msg);
    sw_spec_expand(&s, SW_MAX_POINTS_DEFAULT, &p, &n, &err);
    sw_point_arch(&s, &p[1], arch, sizeof arch);
    TU_CHECK(n == 2 && strcmp(arch, "c8,c8+add,f10") == 0, "placeholder: %s", arch);
    sw_points_free(p, n);
    sw_spec_free(&s);
}

static void test_keys(void)
{
    char a[64][SW_KEY_LEN + 1], b[64][SW_KEY_LEN + 1], c[64][SW_KEY_LEN + 1];
    int na = keys_of("[network]\nmerge = add, or\nwidth = 0.5\n[train]\nlr = 1e-3\n", a, 64);
    /* other order, other spelling of the same numbers, a comment, the
     * default given explicitly: the same points */
    int nb = keys_of("[train]\nlr = 0.001 ; the same\nepochs = 10\n"
                     "[network]\nwidth = 0.50\nmerge = or, add\n", b, 64);
    TU_CHECK(na == 2 && nb == 2 && memcmp(a, b, sizeof a[0] * 2) == 0,
             "keys do not depend on order, spelling or defaults");
    /* adding axis values adds points and keeps the old keys */
    int nc = keys_of("[network]\nmerge = add, or, mux\nwidth = 0.5\n[train]\nlr = 1e-3\n"
                     "seed = 1, 2\n", c, 64);
    TU_CHECK(nc == 6 && has_key(c, nc, a[0]) && has_key(c, nc, a[1]),
             "old keys kept when axes grow (%d points)", nc);
    /* a continuation line or repeated key adds values */
    int nd = keys_of("[network]\nmerge = add\n  or\nmerge = mux\n", c, 64);
    TU_CHECK(nd == 3, "continued lists: %d points", nd);
    /* two spellings of the same value make one point */
    nd = keys_of("[network]\nwidth = 0.5, 0.50\n", c, 64);
    TU_CHECK(nd == 1, "duplicate values collapse: %d", nd);
    /* `none`: an optional parameter not given, the key of a point without it */
    nd = keys_of("[network]\naqe = none, 0.5\nmerge = or\n", c, 64);
    int ne = keys_of("[network]\nmerge = or\n", b, 64);
    TU_CHECK(nd == 2 && ne == 1 && has_key(c, nd, b[0]), "aqe = none is aqe not given (%d)", nd);
    nd = keys_of("[network]\nwidth = none\n", c, 64);
    TU_CHECK(nd == -1, "none is no value of a parameter with a default");
}

static void test_filter_and_list(void)
{
    char k[64][SW_KEY_LEN + 1];
    int n = keys_of("[sweep]\nfilter = merge == add || (aq == 1 && !(width > 1))\n"
                    "[network]\nmerge = add, or, mux\naq = 1, 2\nwidth = 0.5, 2\n", k, 64);
    /* add: 4; or/mux: aq 1 and width 0.5 only: 2 */
    TU_CHECK(n == 6, "filter keeps 6 of 12, got %d", n);
    n = keys_of("[sweep]\nfilter = wq != 'heq:3'\n[network]\nwq = bin, heq:3, twn\n", k, 64);
    TU_CHECK(n == 2, "quoted filter value: %d", n);
    n = keys_of("[network]\nmerge = or\n[points]\np1 = merge=add aq=2\np2 = hw.array.lanes=32\n"
                "p3 = wq=twn seed=3\n", k, 64);
    TU_CHECK(n == 3, "a [points] list: %d", n);
    /* a list point equal to the base point is the same key */
    char base[4][SW_KEY_LEN + 1];
    keys_of("[network]\nmerge = or\n", base, 4);
    char l2[4][SW_KEY_LEN + 1];
    keys_of("[network]\nmerge = or\n[points]\nx = merge=or\n", l2, 4);
    TU_CHECK(strcmp(base[0], l2[0]) == 0, "list point = grid point, same key");
}

static int any_name(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return 1;
}

/* Hostile filters: nesting and length are bounded with a message, never a
 * stack overflow (a 200,000-deep filter overflowed the recursive parser). */
static void test_filter_bounds(void)
{
    enum { DEEP = 200000 };
    char *text = malloc(2 * DEEP + 16);
    char msg[160];
    struct sw_filter *f = NULL;
    for (int k = 0; k < 2; k++) {
        const char open = k ? '!' : '(';
        size_t n = 0;
        for (int i = 0; i < DEEP; i++)
            text[n++] = open;
        n += (size_t)sprintf(text + n, "a == 1");
        for (int i = 0; i < DEEP && !k; i++)
            text[n++] = ')';
        text[n] = 0;
        int rc = sw_filter_parse(&f, text, any_name, NULL, msg, sizeof msg);
        TU_CHECK(rc == -1 && !f && strstr(msg, "nested deeper than 64 levels"),
                 "%d-deep %c: rc %d, '%s'", DEEP, open, rc, rc ? msg : "");
        sw_filter_free(f);
        f = NULL;
    }
    /* 64 levels is allowed */
    size_t n = 0;
    for (int i = 0; i < SW_FILTER_MAX_DEPTH; i++)
        text[n++] = '(';
    n += (size_t)sprintf(text + n, "a == 1");
    for (int i = 0; i < SW_FILTER_MAX_DEPTH; i++)
        text[n++] = ')';
    text[n] = 0;
    TU_CHECK(sw_filter_parse(&f, text, any_name, NULL, msg, sizeof msg) == 0 && f,
             "%d levels parse: %s", SW_FILTER_MAX_DEPTH, msg);
    sw_filter_free(f);
    free(text);
    /* a very long chain of comparisons */
    const char term[] = "a == 1 && ";
    const size_t tl = strlen(term), big = 100000;
    text = malloc(big * tl + 16);
    for (size_t i = 0; i < big; i++)
        memcpy(text + i * tl, term, tl);
    strcpy(text + big * tl, "a == 1");
    f = NULL;
    TU_CHECK(sw_filter_parse(&f, text, any_name, NULL, msg, sizeof msg) == -1 &&
                 strstr(msg, "more than 4096 comparisons"),
             "100,001 comparisons: '%s'", msg);
    sw_filter_free(f);
    free(text);
    /* 300 filter lines are and-ed without nesting 300 deep */
    size_t cap = 300 * 32 + 64;
    char *spec = malloc(cap);
    n = (size_t)snprintf(spec, cap, "[sweep]\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(spec + n, cap - n, "filter = ((aq == 1))\n");
    snprintf(spec + n, cap - n, "[network]\naq = 1, 2\n");
    char k[4][SW_KEY_LEN + 1];
    TU_CHECK(keys_of(spec, k, 4) == 1, "300 filter lines keep aq == 1");
    free(spec);
}

/* The point cap of grids and lists, and repeats dropped in order. */
static void test_point_cap(void)
{
    struct sw_spec s;
    struct sw_error err = {{0}};
    struct sw_point *p;
    int n;
    TU_CHECK(parse(&s, "[network]\nmerge = or\n[points]\na = aq=1\nb = aq=2\nc = aq=3\n",
                   &err) == SW_OK, "parse: %s", err.msg);
    TU_CHECK(sw_spec_expand(&s, 2, &p, &n, &err) == SW_ERR_SPEC &&
                 strstr(err.msg, "the [points] list has 3 points (at most 2)"),
             "list cap: %s", err.msg);
    TU_CHECK(sw_spec_expand(&s, 3, &p, &n, &err) == SW_OK && n == 3, "list of 3 under 3: %d", n);
    sw_points_free(p, n);
    sw_spec_free(&s);
    TU_CHECK(parse(&s, "[network]\nmerge = add, or, mux\naq = 1, 2\n", &err) == SW_OK,
             "parse: %s", err.msg);
    TU_CHECK(sw_spec_expand(&s, 5, &p, &n, &err) == SW_ERR_SPEC &&
                 strstr(err.msg, "the grid has 6 points (at most 5)"),
             "grid cap: %s", err.msg);
    sw_spec_free(&s);
    /* width 0.5 and 0.50 are one point: the repeat is dropped, the order kept */
    TU_CHECK(parse(&s, "[network]\nwidth = 2, 0.5, 1, 0.50, 2.0, 3\n", &err) == SW_OK,
             "parse: %s", err.msg);
    TU_CHECK(sw_spec_expand(&s, 100, &p, &n, &err) == SW_OK && n == 4, "4 distinct widths: %d", n);
    const char *want[] = {"2", "0.5", "1", "3"};
    for (int i = 0; i < n && i < 4; i++)
        TU_CHECK(strcmp(sw_point_value(&s, &p[i], "width"), want[i]) == 0,
                 "point %d: width %s, want %s", i, sw_point_value(&s, &p[i], "width"), want[i]);
    sw_points_free(p, n);
    sw_spec_free(&s);
}

static void test_errors(void)
{
    static const struct { const char *text, *want; } cases[] = {
        {"[network]\nwq = bin\n[train]\nepoch = 1\n", "dir/t.ini:4: [train] epoch: unknown key"},
        {"[network]\n\nwq =\n", "dir/t.ini:3: [network] wq: no value (an empty axis)"},
        {"[network]\nwq = bin,,twn\n", "dir/t.ini:2: [network] wq: an empty value"},
        {"[network]\nwq = bin, foo\n", "dir/t.ini:2: [network] wq: weight quantizer 'foo' unknown"},
        {"[train]\nepochs = -1\n", "dir/t.ini:2: [train] epochs: '-1': expected an integer"},
        {"[train]\nlr = 1e-3x\n", "dir/t.ini:2: [train] lr: '1e-3x': expected a number"},
        {"[train]\nsched = cos\n", "dir/t.ini:2: [train] sched: 'cos': expected one of"},
        {"[hw]\nbuffers.skip_kbits = 1\n", "dir/t.ini:2: [hw] buffers.skip_kbits: unknown key"},
        {"[hw]\npe_rows = 1\n", "dir/t.ini:2: [hw] pe_rows: unknown key"},
        {"[network]\narch = bad\n", "dir/t.ini:2: [network] arch: 'bad': bad architecture"},
        {"\n[nope]\nx = 1\n", "dir/t.ini:2: [nope]: unknown section"},
        {"x = 1\n", "dir/t.ini:1: x: a key before any [section]"},
        {"[sweep]\nfilter = merge ==\n", "dir/t.ini:2: [sweep] filter: expected a value"},
        {"[sweep]\nfilter = merge = add\n", "dir/t.ini:2: [sweep] filter: expected =="},
        {"[sweep]\nfilter = merge == add)\n", "dir/t.ini:2: [sweep] filter: expected && or ||"},
        {"[sweep]\ntimeout_s = soon\n", "dir/t.ini:2: [sweep] timeout_s"},
        {"[network]\narch = \"c8,f10\", \"c16,f10\n",
         "dir/t.ini:2: [network] arch: unterminated quote"},
        {"[network]\nmerge = or\n[points]\na = arch=\"c8,f10\n",
         "dir/t.ini:4: [points] a: arch: unterminated quote"},
        {"[sweep]\nname = ../../X\n", "dir/t.ini:2: [sweep] name: '../../X': expected a name"},
        {"[sweep]\nname = a/b\n", "dir/t.ini:2: [sweep] name: 'a/b': expected a name"},
        {"[sweep]\nname = x..y\n", "dir/t.ini:2: [sweep] name: 'x..y': expected a name"},
        {"[sweep]\n\nname = a\tb\n", "dir/t.ini:3: [sweep] name: 'a\tb': expected a name"},
        {"[network]\nmerge = add, or\n[points]\na = wq=bin\n", "dir/t.ini:2: merge: an axis beside"},
        {"[points]\na = wq\n", "dir/t.ini:2: [points] a: expected name=value"},
        {"[points]\na = colour=red\n", "dir/t.ini:2: [points] a: colour: unknown parameter"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_spec s;
        struct sw_error err = {{0}};
        enum sw_status st = parse(&s, cases[i].text, &err);
        TU_CHECK(st == SW_ERR_SPEC && strncmp(err.msg, cases[i].want, strlen(cases[i].want)) == 0,
                 "case %zu: got '%s', want '%s...'", i, err.msg, cases[i].want);
        TU_CHECK(!strchr(err.msg, '\n'), "case %zu: one line", i);
        if (st == SW_OK)
            sw_spec_free(&s);
    }
    /* an order comparison on text fails at expansion, naming the filter */
    struct sw_spec s;
    struct sw_error err;
    TU_CHECK(parse(&s, "[sweep]\nfilter = wq > 3\n[network]\nwq = bin\n", &err) == SW_OK,
             "parse: %s", err.msg);
    struct sw_point *p;
    int n;
    TU_CHECK(sw_spec_expand(&s, SW_MAX_POINTS_DEFAULT, &p, &n, &err) == SW_ERR_SPEC &&
                 strstr(err.msg, "dir/t.ini:2: [sweep] filter: 'wq > 3'"),
             "filter type error: %s", err.msg);
    sw_spec_free(&s);
    /* a line inih would split */
    char longline[400];
    snprintf(longline, sizeof longline, "[network]\nwq = bin%0300d\n", 0);
    TU_CHECK(parse(&s, longline, &err) == SW_ERR_SPEC && strstr(err.msg, "dir/t.ini:2: line longer"),
             "long line: %s", err.msg);
}

static int count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    int v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int(q, 0);
    else
        fprintf(stderr, "  sql failed: %s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(q);
    return v;
}

static void test_store(void)
{
    char path[512], shard[512];
    tu_scratch_path(path, sizeof path, "store.db");
    tu_scratch_path(shard, sizeof shard, "shard.db");
    struct sw_spec s;
    struct sw_error err;
    TU_CHECK(parse(&s, "[network]\nmerge = add, or\n[train]\nepochs = 2\n[hw]\narray.lanes = 32\n",
                   &err) == SW_OK, "parse: %s", err.msg);
    struct sw_point *p;
    int n;
    sw_spec_expand(&s, SW_MAX_POINTS_DEFAULT, &p, &n, &err);
    struct sw_store *st;
    TU_CHECK(sw_store_open(&st, path, SW_STORE_EXISTING, &err) == SW_ERR_IO,
             "opening a missing store fails");
    TU_CHECK(sw_store_open(&st, path, SW_STORE_CREATE, &err) == SW_OK, "create: %s", err.msg);
    struct sw_result r;
    sw_result_init(&r);
    r.status = SW_DONE;
    r.f.acc_int = 0.75;
    r.f.gates_nand2 = 1234.5;
    r.f.cycles = 999;
    r.f.n_units = 2;
    snprintf(r.f.unit[0].unit, 32, "popcount");
    r.f.unit[0].nand2_eq = 1000;
    snprintf(r.f.unit[1].unit, 32, "merge");
    r.f.unit[1].nand2_eq = 234.5;
    TU_CHECK(sw_store_put(st, &s, &p[0], &r, SW_PUT_REPLACE, &err) == SW_OK, "put: %s", err.msg);
    struct sw_result f;
    sw_result_init(&f);
    f.status = SW_FAILED;
    snprintf(f.error, sizeof f.error, "crashed");
    /* a supervisor's failure never replaces a done row */
    TU_CHECK(sw_store_put(st, &s, &p[0], &f, SW_PUT_UNLESS_DONE, &err) == SW_OK, "put: %s",
             err.msg);
    TU_CHECK(sw_store_put(st, &s, &p[1], &f, SW_PUT_UNLESS_DONE, &err) == SW_OK, "put: %s",
             err.msg);
    enum sw_state a, b, c;
    sw_store_state(st, p[0].key, &a, &err);
    sw_store_state(st, p[1].key, &b, &err);
    sw_store_state(st, "0000000000000000", &c, &err);
    TU_CHECK(a == SW_DONE && b == SW_FAILED && c == SW_STATE_NONE, "states %d %d %d", a, b, c);
    sw_store_close(st);

    sqlite3 *db;
    sqlite3_open(path, &db);
    TU_CHECK(count(db, "PRAGMA user_version") == SW_STORE_VERSION, "schema version");
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM points WHERE key = '%s' AND status = 'done' "
             "AND acc_int = 0.75 AND cycles = 999 AND merge = 'add' AND epochs = 2 AND "
             "lr = 0.001 AND hw = 'array.lanes=32' AND acc_sim IS NULL AND energy_act_pj IS NULL "
             "AND sim_match IS NULL AND error IS NULL AND attempts = 1 AND arch_eff = 'res11-add'",
             p[0].key);
    TU_CHECK(count(db, sql) == 1, "the done row's columns");
    TU_CHECK(count(db, "SELECT COUNT(*) FROM points WHERE status = 'failed' AND error = 'crashed' "
                       "AND acc_int IS NULL") == 1, "the failed row");
    TU_CHECK(count(db, "SELECT COUNT(*) FROM point_units") == 2, "units");
    TU_CHECK(count(db, "SELECT COUNT(*) FROM point_params WHERE name = 'hw.array.lanes' AND "
                       "value = '32'") == 2, "parameters in long form");
    /* every parameter has its column */
    int nd;
    const struct sw_param_def *d = sw_param_defs(&nd);
    for (int i = 0; i < nd; i++) {
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM pragma_table_info('points') WHERE name = "
                 "'%s'", d[i].name);
        TU_CHECK(count(db, sql) == 1, "column %s", d[i].name);
    }
    sqlite3_close(db);

    /* a shard with a newer done point 1 and a failure for point 0 */
    unlink(shard);
    TU_CHECK(sw_store_open(&st, shard, SW_STORE_CREATE, &err) == SW_OK, "shard: %s", err.msg);
    r.f.acc_int = 0.5;
    sw_store_put(st, &s, &p[1], &r, SW_PUT_REPLACE, &err);
    sw_store_put(st, &s, &p[0], &f, SW_PUT_REPLACE, &err);
    sw_store_close(st);
    sw_store_open(&st, path, SW_STORE_EXISTING, &err);
    int m = -1;
    TU_CHECK(sw_store_merge(st, shard, &m, &err) == SW_OK && m == 1, "merge: %d rows, %s", m,
             err.msg);
    sw_store_state(st, p[0].key, &a, &err);
    sw_store_state(st, p[1].key, &b, &err);
    TU_CHECK(a == SW_DONE && b == SW_DONE, "merge: done stays done, failed becomes done");
    struct sw_summary *rows;
    int nr;
    TU_CHECK(sw_store_summaries(st, &rows, &nr, &err) == SW_OK && nr == 2, "summaries");
    free(rows);
    sw_store_close(st);

    /* a version-2 store (no sinareq, method, aqe_ramp, ... columns) is upgraded
     * in place when opened: the columns are added, the rows kept */
    sqlite3_open(path, &db);
    TU_CHECK(sqlite3_exec(db, "ALTER TABLE points DROP COLUMN method; ALTER TABLE points DROP "
                              "COLUMN calib; ALTER TABLE points DROP COLUMN sinareq; ALTER "
                              "TABLE points DROP COLUMN aqe_ramp; PRAGMA user_version = 2",
                          NULL, NULL, NULL) == SQLITE_OK,
             "make a version-2 store: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
    TU_CHECK(sw_store_open(&st, path, SW_STORE_EXISTING, &err) == SW_OK, "upgrade: %s", err.msg);
    sw_store_state(st, p[0].key, &a, &err);
    TU_CHECK(a == SW_DONE, "the upgraded store keeps its rows");
    sw_store_close(st);
    sqlite3_open(path, &db);
    TU_CHECK(count(db, "PRAGMA user_version") == SW_STORE_VERSION &&
                 count(db, "SELECT COUNT(*) FROM pragma_table_info('points') WHERE name IN "
                           "('method', 'calib', 'sinareq', 'aqe_ramp')") == 4 &&
                 count(db, "SELECT COUNT(*) FROM points WHERE method IS NULL") == 2,
             "upgraded: version %d, the new columns added", count(db, "PRAGMA user_version"));
    sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL);
    sqlite3_close(db);
    TU_CHECK(sw_store_open(&st, path, SW_STORE_EXISTING, &err) == SW_ERR_FORMAT &&
                 strstr(err.msg, "version 1"),
             "a version-1 store is refused: %s", err.msg);

    /* not a store */
    FILE *junk = fopen(shard, "w");
    fputs("this is not a database, just some text long enough to be looked at by sqlite3....",
          junk);
    fclose(junk);
    TU_CHECK(sw_store_open(&st, shard, SW_STORE_EXISTING, &err) == SW_ERR_FORMAT,
             "a text file is not a store: %s", err.msg);
    char side[600];
    unlink(path);
    unlink(shard);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    sw_points_free(p, n);
    sw_spec_free(&s);
}

/* O(n^2) by the definition. */
static void brute_front(const double *c, const double *g, int n, unsigned char *on)
{
    for (int i = 0; i < n; i++) {
        on[i] = !isnan(c[i]) && !isnan(g[i]);
        for (int j = 0; j < n && on[i]; j++)
            if (j != i && !isnan(c[j]) && !isnan(g[j]) && c[j] <= c[i] && g[j] >= g[i] &&
                (c[j] < c[i] || g[j] > g[i]))
                on[i] = 0;
    }
}

static void test_pareto(void)
{
    srand(7);
    int trials = 0, mismatches = 0;
    for (int t = 0; t < 500; t++) {
        int n = rand() % 60;
        double c[60], g[60];
        unsigned char a[60], b[60];
        int grid = 1 + rand() % 8;  /* small grids make ties */
        for (int i = 0; i < n; i++) {
            c[i] = rand() % (grid * 3);
            g[i] = (rand() % (grid * 3)) / 10.0;
            if (rand() % 15 == 0)
                c[i] = NAN;
            if (rand() % 15 == 0)
                g[i] = NAN;
        }
        int k = sw_pareto_front(c, g, n, a);
        brute_front(c, g, n, b);
        int kb = 0;
        for (int i = 0; i < n; i++)
            kb += b[i];
        trials++;
        if (k != kb || (n && memcmp(a, b, (size_t)n) != 0))
            mismatches++;
    }
    printf("pareto: %d random sets, %d mismatches with the brute force\n", trials, mismatches);
    TU_CHECK(mismatches == 0, "Pareto front = brute force");
    double c1[] = {1, 1, 2}, g1[] = {0.5, 0.5, 0.4};
    unsigned char on[3];
    TU_CHECK(sw_pareto_front(c1, g1, 3, on) == 2 && on[0] && on[1] && !on[2],
             "equal points are both on the front");
}

/* sw_run_capture: the child's output, its exit code or signal, the first or
 * the newest bytes when the buffer fills, stderr captured, discarded or
 * left alone, the folder it runs in, and a program that does not exist. */
static void test_run_capture(void)
{
    char out[16];
    char *const echo[] = {"/bin/sh", "-c", "printf 0123456789abcdefghij; exit 3", NULL};
    int rc = sw_run_capture(echo, NULL, 0, out, sizeof out);
    TU_CHECK(rc == 3 && strcmp(out, "0123456789abcde") == 0, "first bytes: %d '%s'", rc, out);
    rc = sw_run_capture(echo, NULL, SW_CAP_KEEP_TAIL, out, sizeof out);
    TU_CHECK(rc == 3 && strlen(out) <= 15 && strcmp(out + strlen(out) - 3, "hij") == 0,
             "newest bytes: %d '%s'", rc, out);
    char *const err[] = {"/bin/sh", "-c", "echo e >&2; echo o", NULL};
    char big[64];
    sw_run_capture(err, NULL, SW_CAP_STDERR, big, sizeof big);
    TU_CHECK(strstr(big, "e\n") && strstr(big, "o\n"), "stderr captured: '%s'", big);
    sw_run_capture(err, NULL, SW_CAP_QUIET_STDERR, big, sizeof big);
    TU_CHECK(strcmp(big, "o\n") == 0, "stderr discarded: '%s'", big);
    char *const pwd[] = {"/bin/pwd", NULL};
    TU_CHECK(sw_run_capture(pwd, "/tmp", 0, big, sizeof big) == 0 && strcmp(big, "/tmp\n") == 0,
             "runs in its folder: '%s'", big);
    char *const kill9[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    rc = sw_run_capture(kill9, NULL, 0, big, sizeof big);
    TU_CHECK(rc == 128 + 9, "killed by signal 9: %d", rc);
    char *const none[] = {"/nonexistent/program", NULL};
    rc = sw_run_capture(none, NULL, 0, big, sizeof big);
    TU_CHECK(rc == 127, "a program that does not exist: %d", rc);
}

/* [layers]: per-layer overrides of the architecture, and the architecture
 * string's round trip (nn_arch_format) they go through; sw_spec_point. */
static void test_layers(void)
{
    struct nn_arch a, b;
    struct nn_error nerr;
    const char *texts[] = {"res11-or", "vgg11",
                           "c4,c16k5s2+or{w=bin;a=1},p3,c8{a=2},p,f10{w=heq:5}",
                           "c4,c8k1+mux,c8+add{w=pow2:3},p4,f10", "resnet20-add",
                           "c8,c8,c8+or2,c16s2,c16+or2/pad,c16,c16+mux2/proj{w=bin},p,f10"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char buf[NN_ARCH_MAX];
        TU_CHECK(nn_arch_parse(&a, texts[i], 1.0f, &nerr) == NN_OK &&
                     nn_arch_format(&a, buf, sizeof buf) == 0 &&
                     nn_arch_parse(&b, buf, 1.0f, &nerr) == NN_OK &&
                     memcmp(&a, &b, sizeof a) == 0,
                 "'%s' formats as '%s', which parses back to the same layers", texts[i], buf);
        TU_CHECK(nn_arch_format(&a, buf, 8) == -1, "a small buffer is refused");
    }
    char out[NN_ARCH_MAX];
    TU_CHECK(nn_arch_override("c8,c8+or,p,f10", 2, "heq:3", NULL, "mux", out, sizeof out,
                              &nerr) == NN_OK && strcmp(out, "c8,c8+mux{w=heq:3},p,f10") == 0,
             "override layer 2: %s", out);
    TU_CHECK(nn_arch_override("c8,c8+or{w=heq:3},p,f10", 2, "", NULL, "none", out, sizeof out,
                              &nerr) == NN_OK && strcmp(out, "c8,c8,p,f10") == 0,
             "\"\" drops an override, none a merge: %s", out);
    TU_CHECK(nn_arch_override("c8,c8,c8+or2/proj,f10", 3, "bin", NULL, "add", out, sizeof out,
                              &nerr) == NN_OK && strcmp(out, "c8,c8,c8+add2/proj{w=bin},f10") == 0,
             "layers count as the string writes them (the projection not counted), a block "
             "keeps its span and shortcut: %s", out);
    TU_CHECK(nn_arch_override("c8,p,f10", 3, "bin", NULL, NULL, out, sizeof out, &nerr) ==
                 NN_ERR_ARG && strstr(nerr.msg, "layer 3"), "a missing layer: %s", nerr.msg);
    TU_CHECK(nn_arch_override("c8,p,f10", 1, NULL, NULL, "xor", out, sizeof out, &nerr) ==
                 NN_ERR_ARG && strstr(nerr.msg, "xor"), "an unknown merge: %s", nerr.msg);

    struct sw_spec s;
    struct sw_error err;
    TU_CHECK(parse(&s, "[network]\narch = \"c8,c8,p,f10\"\n[layers]\n1.w = bin, heq:3\n"
                       "2.merge = none, or\n2.a = default, 2\n[sweep]\nfilter = layer.2.merge "
                       "!= or || layer.1.w == bin\n", &err) == SW_OK, "parse: %s", err.msg);
    struct sw_point *p;
    int n;
    TU_CHECK(sw_spec_expand(&s, SW_MAX_POINTS_DEFAULT, &p, &n, &err) == SW_OK && n == 6,
             "2 x 2 x 2 less the 2 the filter drops = 6 points, got %d", n);
    char arch[256];
    sw_point_arch(&s, &p[3], arch, sizeof arch);
    TU_CHECK(strcmp(arch, "c8{w=bin},c8+or{a=2},p,f10") == 0, "point 3 trains %s", arch);
    /* sw_spec_point: the same points, keys and filter, one index vector at a time */
    int seen = 0;
    for (int i1 = 0; i1 < 2; i1++)
        for (int i2 = 0; i2 < 2; i2++)
            for (int i3 = 0; i3 < 2; i3++) {
                int vi[SW_MAX_AXES] = {0};
                vi[sw_spec_axis(&s, "layer.1.w")] = i1;
                vi[sw_spec_axis(&s, "layer.2.merge")] = i2;
                vi[sw_spec_axis(&s, "layer.2.a")] = i3;
                struct sw_point q;
                int kept = sw_spec_point(&s, vi, &q, &err);
                int found = 0;
                for (int j = 0; j < n; j++)
                    found |= kept == 1 && strcmp(p[j].key, q.key) == 0 &&
                             memcmp(p[j].vi, q.vi, sizeof q.vi) == 0;
                TU_CHECK(kept == 0 ? (i1 == 1 && i2 == 1) : found,
                         "sw_spec_point (%d,%d,%d): kept %d, found %d", i1, i2, i3, kept, found);
                seen += kept == 1;
            }
    TU_CHECK(seen == n, "sw_spec_point keeps the %d points the expansion keeps (%d)", n, seen);
    sw_points_free(p, n);
    sw_spec_free(&s);
    const char *bad[] = {"[layers]\n0.w = bin\n", "[layers]\n1.x = bin\n",
                         "[layers]\n1.merge = sum\n", "[layers]\nw = bin\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TU_CHECK(parse(&s, bad[i], &err) == SW_ERR_SPEC && strstr(err.msg, "[layers]"),
                 "'%s' refused naming [layers]: %s", bad[i], err.msg);
}

int main(void)
{
    test_run_capture();
    test_expansion();
    test_layers();
    test_keys();
    test_filter_and_list();
    test_errors();
    test_filter_bounds();
    test_point_cap();
    test_store();
    test_pareto();
    return tu_exit("test_sweep");
}

/* cli/sweep_point.c: one design point of a sweep, in its own process:
 * `logiq sweep SPEC --point KEY` writes the point's hw.ini (the base with
 * the point's overrides), runs `logiq train` (which exports the integer
 * model atomically) unless a point with the same training parameters
 * already trained the model, `logiq cost --format json` and `logiq sim
 * --format json` as child processes, reads their figures, and writes the
 * point's row in one transaction.
 *
 * Files, in ART/KEY/ (ART = the store path's stem + ".d"): hw.ini, links to
 * the shared model in ART/models/HASH/ (model.qnn, its training log
 * model.csv, train.log, model.weights.csv: train_shared), cost.json, cost.log, sim.json,
 * sim.log; with a [quantize] method, the model.qnn of its own,
 * quantize.log and links to the shared real-valued model in ART/fp/HASH/.
 * Nothing of the point's own is trusted from an earlier attempt: the model
 * and the JSON files are removed first, and the JSON files are written
 * under a temporary name and renamed once parsed. A shared model is trusted
 * once it exists: it is written atomically and its reader checks its CRC.
 * The training state train.lqc (logiq train --checkpoint --resume) lives
 * beside it: a killed training resumes from its last epoch end, with the
 * same bits as a training never killed; it is removed once the training is
 * done. */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "nn/qnn.h"
#include "sweeps/exec.h"

void sweep_last_line(const char *path, char *buf, size_t size)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = 0;
        /* a progress line redrawn with \r: keep its last part */
        char *cr = strrchr(line, '\r');
        const char *l = cr ? cr + 1 : line;
        if (*l)
            sweep_fmt(buf, size, "%s", l);
    }
    fclose(f);
}

/* ---- the point's hw.ini: the base file with the overrides applied ---- */

struct hw_entry {
    char section[64], key[64], value[4096];
};

struct hw_text {
    struct hw_entry *e;
    int n, cap;
    int failed;
};

static int hw_add(struct hw_text *h, const char *section, const char *key, const char *value)
{
    for (int i = 0; i < h->n; i++)
        if (strcmp(h->e[i].section, section) == 0 && strcmp(h->e[i].key, key) == 0) {
            sweep_fmt(h->e[i].value, sizeof h->e[i].value, "%s", value);
            return 0;
        }
    if (h->n == h->cap) {
        int nc = h->cap ? 2 * h->cap : 32;
        struct hw_entry *ne = realloc(h->e, (size_t)nc * sizeof *ne);
        if (!ne)
            return -1;
        h->e = ne;
        h->cap = nc;
    }
    struct hw_entry *e = &h->e[h->n++];
    sweep_fmt(e->section, sizeof e->section, "%s", section);
    sweep_fmt(e->key, sizeof e->key, "%s", key);
    sweep_fmt(e->value, sizeof e->value, "%s", value);
    return 0;
}

static int on_hw_key(void *user, const char *section, const char *key, const char *value)
{
    struct hw_text *h = user;
    if (hw_add(h, section, key, value) != 0)
        h->failed = 1;
    return 1;
}

/* Writes path (temp + rename) from base (NULL/"": the built-in defaults)
 * and the point's hw.* overrides. A relative tech path is made relative to
 * the base's folder, as the base meant it. */
static int write_hw(const char *path, const struct sw_spec *s, const struct sw_point *p,
                    char *msg, size_t size)
{
    struct hw_text h = {0};
    const char *base = sw_point_value(s, p, "hw.base");
    if (base && base[0]) {
        char *text = sw_ini_read(base, msg, size);
        if (!text)
            return -1;
        int line = ini_parse_string(text, on_hw_key, &h);
        free(text);
        if (line != 0 || h.failed) {
            sweep_fmt(msg, size, "%s: cannot read", base);
            free(h.e);
            return -1;
        }
        const char *slash = strrchr(base, '/');
        for (int i = 0; i < h.n; i++)
            if (strcmp(h.e[i].section, "design") == 0 && strcmp(h.e[i].key, "tech") == 0 &&
                strcmp(h.e[i].value, "generic45") != 0 && h.e[i].value[0] != '/' && slash) {
                char v[4096];
                sweep_fmt(v, sizeof v, "%.*s/%s", (int)(slash - base), base, h.e[i].value);
                sweep_fmt(h.e[i].value, sizeof h.e[i].value, "%s", v);
            }
    }
    for (int i = 0; i < s->n_axes; i++) {
        const char *name = s->axes[i].name, *v = s->axes[i].text[p->vi[i]];
        if (strncmp(name, "hw.", 3) != 0 || strcmp(name, "hw.base") == 0 || !v[0])
            continue;
        char sec[64];
        const char *dot = strchr(name + 3, '.');
        sweep_fmt(sec, sizeof sec, "%.*s", (int)(dot - name - 3), name + 3);
        if (hw_add(&h, sec, dot + 1, v) != 0) {
            sweep_fmt(msg, size, "out of memory");
            free(h.e);
            return -1;
        }
    }
    char tmp[4200];
    sweep_fmt(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        sweep_fmt(msg, size, "%s: cannot write: %s", tmp, strerror(errno));
        free(h.e);
        return -1;
    }
    fprintf(f, "; written by logiq sweep: %s with the point's overrides\n",
            base && base[0] ? base : "the built-in default design");
    /* one block per section, in the order first seen */
    for (int i = 0; i < h.n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            if (strcmp(h.e[j].section, h.e[i].section) == 0)
                seen = 1;
        if (seen)
            continue;
        fprintf(f, "\n[%s]\n", h.e[i].section);
        for (int j = i; j < h.n; j++)
            if (strcmp(h.e[j].section, h.e[i].section) == 0)
                fprintf(f, "%s = %s\n", h.e[j].key, h.e[j].value);
    }
    free(h.e);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        sweep_fmt(msg, size, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

/* ---- children ---- */

/* Runs argv with its output in log (truncated first); 0 if it exited 0,
 * else -1 with the reason (its last line) in msg. */
static int run_step(const char *what, char **argv, const char *log, char *msg, size_t size)
{
    FILE *t = fopen(log, "w");
    if (t)
        fclose(t);
    struct sw_proc pr;
    struct sw_error err;
    if (sw_proc_spawn(&pr, argv, log, SW_GROUP_SAME, &err) != SW_OK) {
        sweep_fmt(msg, size, "%s: %s", what, err.msg);
        return -1;
    }
    struct sw_end end;
    sw_proc_wait(&pr, &end);
    if (end.kind == SW_END_EXIT && end.code == 0)
        return 0;
    char last[1024];
    sweep_last_line(log, last, sizeof last);
    if (end.kind == SW_END_EXIT)
        sweep_fmt(msg, size, "%s exited with %d: %s", what, end.code, last[0] ? last : "(no message)");
    else
        sweep_fmt(msg, size, "%s killed by signal %d (%s)%s%s", what, end.code, strsignal(end.code),
                 last[0] ? ": " : "", last);
    return -1;
}

static double json_num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void json_str(const cJSON *o, const char *name, char *buf, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    sweep_fmt(buf, size, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* Parses a JSON file; NULL with msg set if it cannot be read or parsed. */
static cJSON *read_json(const char *path, char *msg, size_t size)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        sweep_fmt(msg, size, "%s: cannot read", path);
        return NULL;
    }
    char *text = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? 2 * cap : 1 << 17;
            char *nt = realloc(text, cap);
            if (!nt) {
                free(text);
                fclose(in);
                sweep_fmt(msg, size, "out of memory");
                return NULL;
            }
            text = nt;
        }
        size_t r = fread(text + n, 1, 65536, in);
        n += r;
        if (r < 65536)
            break;
    }
    fclose(in);
    text[n] = 0;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root)
        sweep_fmt(msg, size, "%s: not JSON", path);
    return root;
}

/* Reads `logiq cost --format json` output into the figures. */
static int read_cost(const char *path, struct sw_figures *f, char *msg, size_t size)
{
    cJSON *root = read_json(path, msg, size);
    if (!root)
        return -1;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "design");
    if (!cJSON_IsObject(d)) {
        cJSON_Delete(root);
        sweep_fmt(msg, size, "%s: not the JSON of logiq cost", path);
        return -1;
    }
    f->cycles = json_num(d, "cycles");
    f->latency_us = json_num(d, "latency_us");
    f->gates_nand2 = json_num(d, "nand2_eq");
    f->logic_area_um2 = json_num(d, "logic_area_um2");
    f->sram_area_um2 = json_num(d, "sram_area_um2");
    f->area_um2 = json_num(d, "area_um2");
    f->energy_op_pj = json_num(d, "energy_pj");
    f->hw_pe_rows = json_num(d, "pe_rows");
    f->hw_lanes = json_num(d, "lanes");
    f->hw_clock_mhz = json_num(d, "clock_mhz");
    f->fmax_mhz = json_num(d, "fmax_mhz");
    json_str(d, "critical_stage", f->critical_stage, sizeof f->critical_stage);
    json_str(d, "name", f->hw_name, sizeof f->hw_name);
    json_str(d, "adder", f->hw_adder, sizeof f->hw_adder);
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(root, "merge_path");
    if (cJSON_IsObject(mp)) {
        json_str(mp, "kind", f->merge_kind, sizeof f->merge_kind);
        f->merge_nand2 = json_num(mp, "nand2_eq");
        f->merge_area_um2 = json_num(mp, "area_um2");
        f->skip_bits = json_num(mp, "skip_bits");
        f->merge_energy_pj = json_num(mp, "energy_pj");
    }
    const cJSON *units = cJSON_GetObjectItemCaseSensitive(root, "units");
    const cJSON *u;
    f->n_units = 0;
    cJSON_ArrayForEach(u, units)
    {
        if (f->n_units == SW_MAX_UNITS || !u->string)
            break;
        struct sw_unit_cost *c = &f->unit[f->n_units++];
        sweep_fmt(c->unit, sizeof c->unit, "%s", u->string);
        c->nand2_eq = json_num(u, "nand2_eq");
        c->area_um2 = json_num(u, "area_um2");
    }
    cJSON_Delete(root);
    if (isnan(f->cycles) || isnan(f->gates_nand2) || isnan(f->energy_op_pj)) {
        sweep_fmt(msg, size, "%s: cycles, nand2_eq or energy_pj missing", path);
        return -1;
    }
    return 0;
}

/* Reads `logiq sim --format json` output into the figures. */
static int read_sim(const char *path, struct sw_figures *f, char *msg, size_t size)
{
    cJSON *root = read_json(path, msg, size);
    if (!root)
        return -1;
    double images = json_num(root, "images"), correct = json_num(root, "correct");
    const cJSON *matched = cJSON_GetObjectItemCaseSensitive(root, "matched");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(root, "energy_pj_per_image");
    f->energy_act_pj = en ? json_num(en, "activity") : NAN;
    int ok = !isnan(images) && images > 0 && !isnan(correct) && cJSON_IsBool(matched) &&
             !isnan(f->energy_act_pj);
    if (ok) {
        f->acc_sim = correct / images;
        f->acc_sim_images = images;
        f->sim_match = cJSON_IsTrue(matched);
    } else {
        sweep_fmt(msg, size, "%s: images, correct, matched or the activity energy missing", path);
    }
    cJSON_Delete(root);
    return ok ? 0 : -1;
}

/* The point's value of a parameter, NULL when not given. */
static const char *given(const struct sw_spec *s, const struct sw_point *p, const char *name)
{
    const char *v = sw_point_value(s, p, name);
    return v && v[0] ? v : NULL;
}

/* The train command of a point: every non-empty parameter of [network] and
 * [train], explicitly (a no|yes parameter is a flag, passed when yes), then
 * the outputs: argv [0, *n_key) is the command without them. A point with a
 * [quantize] method trains the real-valued model: it saves the checkpoint
 * fp_ckpt (and its log) instead of exporting. The training state goes to
 * state (--checkpoint), and a killed point's training resumes from it. */
static int train_argv(const struct sw_spec *s, const struct sw_point *p, const char *self,
                      const char *model, const char *fp_ckpt, const char *log,
                      const char *state, char **argv, int max, char store[][4200], int *n_key)
{
    int n = 0, k = 0;
    argv[n++] = (char *)self;
    argv[n++] = "train";
    int n_defs;
    const struct sw_param_def *d = sw_param_defs(&n_defs);
    sw_point_arch(s, p, store[k], sizeof store[k]);
    argv[n++] = "--arch";
    argv[n++] = store[k++];
    for (int i = 0; i < n_defs && n + 8 < max; i++) {
        const char *v = given(s, p, d[i].name);
        if (!d[i].option || !v || strcmp(d[i].section, "quantize") == 0)
            continue;
        if (d[i].choices && strcmp(d[i].choices, "no|yes") == 0) {
            if (strcmp(v, "yes") == 0)
                argv[n++] = (char *)d[i].option;
            continue;
        }
        argv[n++] = (char *)d[i].option;
        argv[n++] = (char *)v;
    }
    argv[n++] = "-q";
    *n_key = n;
    if (given(s, p, "method")) {
        argv[n++] = "--save-fp";
        argv[n++] = (char *)fp_ckpt;
        argv[n++] = "--log";
        argv[n++] = (char *)log;
    } else {
        argv[n++] = "-o";
        argv[n++] = (char *)model;
    }
    argv[n++] = "--checkpoint";
    argv[n++] = (char *)state;
    argv[n++] = "--resume";
    argv[n] = NULL;
    return n;
}

static int mkdirs(const char *path)
{
    char buf[4096];
    sweep_fmt(buf, sizeof buf, "%s", path);
    for (char *c = buf + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *c = '/';
        }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The hash that names a training: FNV-1a of the train command's
 * parameters, argv [1, n_key) (the outputs left out), each with its NUL. */
static int train_hash(char **argv, int n_key, char hash[17], char *msg, size_t size)
{
    char canon[8192];
    size_t len = 0;
    for (int i = 1; i < n_key; i++) {
        size_t w = strlen(argv[i]) + 1;  /* with its NUL: the separator */
        if (len + w > sizeof canon) {
            sweep_fmt(msg, size, "train: the command is too long to name its shared model");
            return -1;
        }
        memcpy(canon + len, argv[i], w);
        len += w;
    }
    snprintf(hash, 17, "%016llx", (unsigned long long)sw_fnv1a64(canon, len));
    return 0;
}

int sweep_train_hash(const struct sw_spec *s, const struct sw_point *p, char hash[17])
{
    char *argv[96];
    char strs[2][4200], msg[128];
    int n_key;
    train_argv(s, p, "logiq", "", "", "", "", argv, 96, strs, &n_key);
    return train_hash(argv, n_key, hash, msg, sizeof msg);
}

/* The model of a point. Training is deterministic, so every point with the
 * same training command (the network, training and seed parameters, never
 * the hardware's) would train the same bits: they share one model, in
 * ART/models/HASH/ (model.qnn, its training log model.csv, train.log, the
 * real weights' histogram model.weights.csv for the report) or,
 * for a point with a [quantize] method, its real-valued model in
 * ART/fp/HASH/ (model.lqc, model.csv, train.log). The first point to lock
 * the folder's lock trains it there; a point that finds the model (written
 * atomically, CRC-checked by its reader) reuses it. A failed or killed
 * training leaves no model (and the lock dies with its holder), so the next
 * point trains again, resuming from the folder's training state. The
 * point's own folder links the files. argv: the train command, argv
 * [0, n_key) without its outputs, whose output strings out (-o or
 * --save-fp), out_log (--log, the fp form's only) and state (its
 * --checkpoint) are filled here; the state is removed once the model is
 * written. *trained tells whether this point trained it. */
static int train_shared(const char *art, const char *dir, int fp, char **argv, int n_key,
                        char *out, char *out_log, char *state, size_t path_size, int *trained,
                        char *msg, size_t size)
{
    char hash[17], sdir[4300], lock[4400], log[4400];
    *trained = 0;
    if (train_hash(argv, n_key, hash, msg, size) != 0)
        return -1;
    const char *kind = fp ? "fp" : "models", *model = fp ? "model.lqc" : "model.qnn";
    sweep_fmt(sdir, sizeof sdir, "%s/%s/%s", art, kind, hash);
    sweep_fmt(out, path_size, "%s/%s", sdir, model);
    if (fp)
        sweep_fmt(out_log, path_size, "%s/model.csv", sdir);
    sweep_fmt(state, path_size, "%s/train.lqc", sdir);
    sweep_fmt(lock, sizeof lock, "%s/lock", sdir);
    sweep_fmt(log, sizeof log, "%s/train.log", sdir);
    if (mkdirs(sdir) != 0) {
        sweep_fmt(msg, size, "%s: cannot create: %s", sdir, strerror(errno));
        return -1;
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        sweep_fmt(msg, size, "%s: cannot lock: %s", lock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = 0;
    if (access(out, R_OK) != 0) {
        rc = run_step("train", argv, log, msg, size);
        if (rc == 0)
            remove(state);
        *trained = rc == 0;
    }
    close(fd);
    if (rc != 0)
        return -1;
    const char *const files[] = {model, "model.csv", "train.log", "model.weights.csv"};
    for (int i = 0; i < (fp ? 3 : 4); i++) {
        char link[4400], target[64];
        sweep_fmt(link, sizeof link, "%s/%s", dir, files[i]);
        sweep_fmt(target, sizeof target, "../%s/%s/%s", kind, hash, files[i]);
        remove(link);
        if (symlink(target, link) != 0) {
            sweep_fmt(msg, size, "%s: cannot link to %s: %s", link, target, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* `logiq quantize` of a point with a [quantize] method: the checkpoint's
 * weights by the method, data-free or (calib > 0) post-training, exported to
 * model. The data, limits, seed and threads are the training's. */
static int quantize_step(const struct sw_spec *s, const struct sw_point *p, const char *self,
                         const char *fp_ckpt, const char *model, const char *log, char *msg,
                         size_t size)
{
    char *argv[32] = {(char *)self, "quantize", "--method", (char *)given(s, p, "method")};
    int n = 4;
    static const char *const pass[][2] = {
        {"calib", "--calib"},        {"data", "--data"},         {"data_dir", "--data-dir"},
        {"train_limit", "--train-limit"}, {"test_limit", "--test-limit"}, {"seed", "--seed"},
        {"threads", "--threads"},
    };
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        const char *v = given(s, p, pass[i][0]);
        if (v) {
            argv[n++] = (char *)pass[i][1];
            argv[n++] = (char *)v;
        }
    }
    argv[n++] = "-q";
    argv[n++] = (char *)fp_ckpt;
    argv[n++] = "-o";
    argv[n++] = (char *)model;
    argv[n] = NULL;
    return run_step("quantize", argv, log, msg, size);
}

/* Simulates the point's model (sim_images test images: as many as
 * test_limit when empty, none when 0). A mismatch with the integer model is
 * not a failure of the point: its figures are real, and sim_match = 0 says
 * what went wrong (sim.log holds the first difference). */
static int sim_step(const struct sw_spec *s, const struct sw_point *p, const char *self,
                    const char *model, const char *hw, const char *tmp, const char *json,
                    const char *log, struct sw_figures *f, char *msg, size_t size)
{
    const char *n = sw_point_value(s, p, "sim_images");
    if (!n || !n[0])
        n = sw_point_value(s, p, "test_limit");
    if (n && strcmp(n, "0") == 0)
        return 0;
    char *argv[24] = {(char *)self, "sim", (char *)model, "--hw", (char *)hw, "--format",
                      "json", "-q", "-o", (char *)tmp};
    int k = 10;
    if (n && n[0]) {
        argv[k++] = "--images";
        argv[k++] = (char *)n;
    }
    const char *data = sw_point_value(s, p, "data"), *dir = sw_point_value(s, p, "data_dir");
    if (data && data[0]) {
        argv[k++] = "--data";
        argv[k++] = (char *)data;
    }
    if (dir && dir[0]) {
        argv[k++] = "--data-dir";
        argv[k++] = (char *)dir;
    }
    argv[k] = NULL;
    remove(tmp);
    int rc = run_step("sim", argv, log, msg, size);
    /* exit 1 with a whole report: a mismatch, recorded in sim_match */
    if (access(tmp, F_OK) != 0)
        return rc;
    if (read_sim(tmp, f, msg, size) != 0)
        return -1;
    if (rename(tmp, json) != 0) {
        sweep_fmt(msg, size, "%s: cannot rename: %s", json, strerror(errno));
        return -1;
    }
    return 0;
}

/* What the report shows of the model, written beside it so that the report
 * reads no .qnn (docs/sweeps.md, "Files"): codes.csv, the share of each
 * layer's integer weight codes (layer,op,kind,w_max,weights,code,count; kind
 * binary or signmag, one row per code in [-w_max, w_max], binary: -1 and 1),
 * and, for a SINAREQ model, widths.csv (bits: the learned weight widths, in
 * the order of the layers that learn one). Each written whole, then renamed. */
/* Closes f (written as tmp; ok: nothing failed while writing it) and
 * renames it to path; on any failure removes tmp and says why in msg. */
static int commit_file(FILE *f, int ok, const char *tmp, const char *path, char *msg,
                       size_t size)
{
    if (f) {
        ok &= !ferror(f);
        ok &= fclose(f) == 0;
    }
    if (!ok || rename(tmp, path) != 0) {
        sweep_fmt(msg, size, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int write_model_files(const char *dir, const struct nn_qnn *q, char *msg, size_t size)
{
    char path[4300], tmp[4400];
    sweep_fmt(path, sizeof path, "%s/codes.csv", dir);
    sweep_fmt(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    long *cnt = NULL;
    int ok = f != NULL;
    if (ok)
        fprintf(f, "layer,op,kind,w_max,weights,code,count\n");
    for (int l = 0; ok && l < q->n_layers; l++) {
        const struct nn_qnn_layer *ly = &q->layers[l];
        const int K = ly->w_max, binary = ly->w_code == NN_WCODE_BINARY;
        const long n = (long)ly->out_c * nn_qnn_fan_in(ly);
        cnt = calloc((size_t)(2 * K + 1), sizeof *cnt);
        if (!cnt) {
            ok = 0;
            break;
        }
        for (long i = 0; i < n; i++)
            if (ly->w[i] >= -K && ly->w[i] <= K)
                cnt[ly->w[i] + K]++;
        for (int c = -K; c <= K; c++)
            if (!binary || c != 0)
                fprintf(f, "%d,%s,%s,%d,%ld,%d,%ld\n", l + 1,
                        ly->op == NN_QNN_CONV ? "conv" : "dense", binary ? "binary" : "signmag",
                        K, n, c, cnt[c + K]);
        free(cnt);
        cnt = NULL;
    }
    if (commit_file(f, ok, tmp, path, msg, size) != 0)
        return -1;
    char bits[1024];
    if (!nn_qnn_meta_get(q, NN_META_SINAREQ_BITS, bits, sizeof bits))
        return 0;
    sweep_fmt(path, sizeof path, "%s/widths.csv", dir);
    sweep_fmt(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    ok = f != NULL;
    if (ok) {
        fprintf(f, "bits\n");
        for (char *save = NULL, *t = strtok_r(bits, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            fprintf(f, "%d\n", atoi(t));
    }
    return commit_file(f, ok, tmp, path, msg, size);
}

int sweep_point(const char *spec_path, const char *key, const char *store_path,
                const char *shard_dir)
{
    double t0 = sw_now();
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
    if (!p) {
        fprintf(stderr, "logiq sweep: --point %s: no such point in %s (see --dry-run)\n", key,
                spec_path);
        sw_points_free(pts, n);
        sw_spec_free(&s);
        return EXIT_USAGE;
    }

    char art[4096], dir[4200], self[4096], default_store[300];
    if (!store_path[0]) {
        sweep_fmt(default_store, sizeof default_store, "%s.db", s.name);
        store_path = default_store;
    }
    sweep_art_dir(store_path, art, sizeof art);
    sweep_fmt(dir, sizeof dir, "%s/%s", art, key);
    char row_store[4300];
    if (shard_dir)
        sweep_fmt(row_store, sizeof row_store, "%s/%s.db", shard_dir, key);
    else
        sweep_fmt(row_store, sizeof row_store, "%s", store_path);
    if (mkdirs(dir) != 0 || (shard_dir && mkdirs(shard_dir) != 0)) {
        fprintf(stderr, "logiq sweep: %s: cannot create: %s\n", shard_dir ? shard_dir : dir,
                strerror(errno));
        sw_points_free(pts, n);
        sw_spec_free(&s);
        return EXIT_WORK;
    }
    if (cli_self_exe(self, sizeof self) != 0) {
        sw_points_free(pts, n);
        sw_spec_free(&s);
        return EXIT_WORK;
    }

    struct sw_result r;
    sw_result_init(&r);
    gethostname(r.host, sizeof r.host - 1);
    char hw[4300], model[4300], train_log[4300], cost_tmp[4300], cost_json[4300], cost_log[4300];
    char sim_tmp[4300], sim_json[4300], sim_log[4300];
    sweep_fmt(sim_tmp, sizeof sim_tmp, "%s/sim.json.tmp", dir);
    sweep_fmt(sim_json, sizeof sim_json, "%s/sim.json", dir);
    sweep_fmt(sim_log, sizeof sim_log, "%s/sim.log", dir);
    sweep_fmt(hw, sizeof hw, "%s/hw.ini", dir);
    sweep_fmt(model, sizeof model, "%s/model.qnn", dir);
    char fp_ckpt[4300], model_log[4300], quantize_log[4300], state[4300];
    sweep_fmt(state, sizeof state, "%s/train.lqc", dir);
    sweep_fmt(fp_ckpt, sizeof fp_ckpt, "%s/model.lqc", dir);
    sweep_fmt(model_log, sizeof model_log, "%s/model.csv", dir);
    sweep_fmt(quantize_log, sizeof quantize_log, "%s/quantize.log", dir);
    sweep_fmt(train_log, sizeof train_log, "%s/train.log", dir);
    sweep_fmt(cost_tmp, sizeof cost_tmp, "%s/cost.json.tmp", dir);
    sweep_fmt(cost_json, sizeof cost_json, "%s/cost.json", dir);
    sweep_fmt(cost_log, sizeof cost_log, "%s/cost.log", dir);
    char msg[1024] = "";
    int ok = write_hw(hw, &s, p, msg, sizeof msg) == 0;
    if (ok) {
        remove(model);  /* never trust an earlier attempt's model */
        remove(cost_json);
        remove(sim_json);
        char mf[4300];
        sweep_fmt(mf, sizeof mf, "%s/codes.csv", dir);
        remove(mf);
        sweep_fmt(mf, sizeof mf, "%s/widths.csv", dir);
        remove(mf);
        remove(fp_ckpt);
        char *argv[96];
        char strs[2][4200];
        int n_key;
        char shared[4300] = "";  /* the shared model's path (train_shared) */
        train_argv(&s, p, self, shared, fp_ckpt, model_log, state, argv, 96, strs, &n_key);
        int trained = 0;
        if (given(&s, p, "method")) {
            ok = train_shared(art, dir, 1, argv, n_key, fp_ckpt, model_log, state,
                              sizeof fp_ckpt, &trained, msg, sizeof msg) == 0 &&
                 quantize_step(&s, p, self, fp_ckpt, model, quantize_log, msg, sizeof msg) == 0;
        } else {
            ok = train_shared(art, dir, 0, argv, n_key, shared, model_log, state,
                              sizeof shared, &trained, msg, sizeof msg) == 0;
        }
        if (ok)
            printf("point %s: %s\n", key, trained ? "trained its model" : "reused a trained model");
    }
    if (ok) {
        struct nn_qnn q;
        struct nn_error err;
        if (nn_qnn_read(&q, model, &err) != NN_OK) {
            sweep_fmt(msg, sizeof msg, "export: %s", err.msg);
            ok = 0;
        } else {
            char v[64];
            if (nn_qnn_meta_get(&q, NN_META_INT_TEST_ACC, v, sizeof v))
                r.f.acc_int = strtod(v, NULL);
            if (nn_qnn_meta_get(&q, NN_META_FLOAT_TEST_ACC, v, sizeof v))
                r.f.acc_float = strtod(v, NULL);
            ok = write_model_files(dir, &q, msg, sizeof msg) == 0;
            nn_qnn_free(&q);
            sweep_fmt(r.f.model_path, sizeof r.f.model_path, "%s", model);
            sweep_fmt(r.f.log_path, sizeof r.f.log_path, "%s/model.csv", dir);
            FILE *f = fopen(train_log, "r");
            char line[1024];
            while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "training: %lf s", &r.f.train_s) == 1)
                    break;
            if (f)
                fclose(f);
        }
    }
    if (ok) {
        char *argv[] = {self, "cost", model, "--hw", hw, "--format", "json", "-o", cost_tmp, NULL};
        ok = run_step("cost", argv, cost_log, msg, sizeof msg) == 0 &&
             read_cost(cost_tmp, &r.f, msg, sizeof msg) == 0;
        if (ok && rename(cost_tmp, cost_json) != 0) {
            sweep_fmt(msg, sizeof msg, "%s: cannot rename: %s", cost_json, strerror(errno));
            ok = 0;
        }
        if (ok)
            sweep_fmt(r.f.cost_path, sizeof r.f.cost_path, "%s", cost_json);
    }
    if (ok)
        ok = sim_step(&s, p, self, model, hw, sim_tmp, sim_json, sim_log, &r.f, msg,
                      sizeof msg) == 0;
    r.f.wall_s = sw_now() - t0;
    r.status = ok ? SW_DONE : SW_FAILED;
    if (!ok)
        sweep_fmt(r.error, sizeof r.error, "%s", msg);

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
    } else if (ok) {
        printf("point %s done: integer accuracy %.2f%%, %.0f NAND2 eq, %.0f cycles, %.3f nJ\n",
               key, 100.0 * r.f.acc_int, r.f.gates_nand2, r.f.cycles, r.f.energy_op_pj * 1e-3);
        rc = 0;
    } else {
        fprintf(stderr, "logiq sweep: point %s failed: %s\n", key, r.error);
        rc = EXIT_WORK;
    }
    sw_points_free(pts, n);
    sw_spec_free(&s);
    return rc;
}

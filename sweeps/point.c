/* sweeps/point.c: one design point of a sweep (point.h). */
#include "sweeps/point.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "costmodels/design.h"
#include "costmodels/energy.h"
#include "costmodels/hw.h"
#include "nn/data.h"
#include "nn/model.h"
#include "nn/qnn.h"
#include "nn/quant.h"
#include "sim/sim.h"
#include "sweeps/costnet.h"
#include "sweeps/exec.h"
#include "sweeps/results.h"

/* ---- loading a spec: nn/ and costmodels/ judge the values ---- */


static int check_value(void *ctx, const char *name, const char *value, char *canon,
                       size_t canon_size, char *msg, size_t msg_size)
{
    (void)ctx;
    struct nn_error err = {{0}};
    if (strcmp(name, "wq") == 0 || strcmp(name, "wq_first") == 0 || strcmp(name, "wq_last") == 0 ||
        strcmp(name, "method") == 0) {
        struct nn_wq q;
        if (nn_wq_parse(&q, value, &err) != NN_OK) {
            sw_fmt(msg, msg_size, "%s", err.msg);
            return -1;
        }
        if (strcmp(name, "method") == 0 && q.kind == NN_WQ_FP) {
            sw_fmt(msg, msg_size, "'fp': logiq quantize needs a quantizer the hardware holds "
                      "(tquant, mquant, twn, rtn:3, ...)");
            return -1;
        }
        nn_wq_spec(&q, canon, canon_size);
        return 0;
    }
    if (strcmp(name, "aq") == 0) {
        struct nn_aq q;
        if (nn_aq_parse(&q, value, &err) != NN_OK) {
            sw_fmt(msg, msg_size, "%s", err.msg);
            return -1;
        }
        nn_aq_spec(&q, canon, canon_size);
        return 0;
    }
    if (strcmp(name, "arch") == 0) {
        struct nn_arch arch;
        if (nn_arch_parse(&arch, value, 1.0f, &err) != NN_OK) {
            sw_fmt(msg, msg_size, "%s", err.msg);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "hw.base") == 0) {
        struct cm_hw hw;
        struct cm_lib lib;
        char m[1024];
        if (sw_hw_load(value, &hw, &lib, m, sizeof m) != 0) {
            sw_fmt(msg, msg_size, "%s", m);
            return -1;
        }
        /* the key follows the file's contents, not its name */
        char *text = sw_read_text(value, msg, msg_size);
        if (!text) {
            return -1;
        }
        sw_fmt(canon, canon_size, "hw.ini:%016llx",
                 (unsigned long long)sw_fnv1a64(text, strlen(text)));
        free(text);
        return 0;
    }
    if (strncmp(name, "hw.", 3) == 0) {
        char sec[64];
        const char *dot = strchr(name + 3, '.');
        sw_fmt(sec, sizeof sec, "%.*s", (int)(dot - name - 3), name + 3);
        struct cm_hw hw;
        struct cm_error cerr = {{0}};
        cm_hw_defaults(&hw);
        if (cm_hw_set(&hw, sec, dot + 1, value, &cerr) != CM_OK) {
            sw_fmt(msg, msg_size, "%s", cerr.msg);
            return -1;
        }
        return 0;
    }
    return 0;
}

enum sw_status sw_spec_load(const char *spec_path, long max_points, struct sw_spec *s,
                            struct sw_point **pts, int *n, char **text, struct sw_error *err)
{
    char msg[600];
    *text = sw_read_text(spec_path, msg, sizeof msg);
    if (!*text)
        return sw_fail(err, SW_ERR_SPEC, "%s", msg);
    enum sw_status st = sw_spec_parse(s, *text, spec_path, check_value, NULL, err);
    *pts = NULL;
    *n = 0;
    if (st == SW_OK && max_points < 0)
        return SW_OK;  /* parsed only */
    if (st == SW_OK) {
        st = sw_spec_expand(s, max_points, pts, n, err);
        if (st != SW_OK)
            sw_spec_free(s);
    }
    if (st == SW_OK && *n == 0) {
        st = sw_fail(err, SW_ERR_SPEC, "%s: no points (the filter drops every one)", spec_path);
        sw_points_free(*pts, *n);
        sw_spec_free(s);
    }
    if (st != SW_OK) {
        free(*text);
        *text = NULL;
    }
    return st;
}

void sw_art_dir(const char *store, char *buf, size_t size)
{
    size_t n = strlen(store);
    if (n > 3 && strcmp(store + n - 3, ".db") == 0)
        n -= 3;
    sw_fmt(buf, size, "%.*s.d", (int)n, store);
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
            sw_fmt(h->e[i].value, sizeof h->e[i].value, "%s", value);
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
    sw_fmt(e->section, sizeof e->section, "%s", section);
    sw_fmt(e->key, sizeof e->key, "%s", key);
    sw_fmt(e->value, sizeof e->value, "%s", value);
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
            sw_fmt(msg, size, "%s: cannot read", base);
            free(h.e);
            return -1;
        }
        const char *slash = strrchr(base, '/');
        for (int i = 0; i < h.n; i++)
            if (strcmp(h.e[i].section, "design") == 0 && strcmp(h.e[i].key, "tech") == 0 &&
                strcmp(h.e[i].value, "generic45") != 0 && h.e[i].value[0] != '/' && slash) {
                char v[4096];
                sw_fmt(v, sizeof v, "%.*s/%s", (int)(slash - base), base, h.e[i].value);
                sw_fmt(h.e[i].value, sizeof h.e[i].value, "%s", v);
            }
    }
    for (int i = 0; i < s->n_axes; i++) {
        const char *name = s->axes[i].name, *v = s->axes[i].text[p->vi[i]];
        if (strncmp(name, "hw.", 3) != 0 || strcmp(name, "hw.base") == 0 || !v[0])
            continue;
        char sec[64];
        const char *dot = strchr(name + 3, '.');
        sw_fmt(sec, sizeof sec, "%.*s", (int)(dot - name - 3), name + 3);
        if (hw_add(&h, sec, dot + 1, v) != 0) {
            sw_fmt(msg, size, "out of memory");
            free(h.e);
            return -1;
        }
    }
    char tmp[4200];
    sw_fmt(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        sw_fmt(msg, size, "%s: cannot write: %s", tmp, strerror(errno));
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
        sw_fmt(msg, size, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

/* ---- the children: training and quantizing ---- */

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
        sw_fmt(msg, size, "%s: %s", what, err.msg);
        return -1;
    }
    struct sw_end end;
    sw_proc_wait(&pr, &end);
    if (end.kind == SW_END_EXIT && end.code == 0)
        return 0;
    char last[1024];
    sw_last_line(log, last, sizeof last);
    if (end.kind == SW_END_EXIT)
        sw_fmt(msg, size, "%s exited with %d: %s", what, end.code, last[0] ? last : "(no message)");
    else
        sw_fmt(msg, size, "%s killed by signal %d (%s)%s%s", what, end.code, strsignal(end.code),
                 last[0] ? ": " : "", last);
    return -1;
}

/* The point's value of a parameter, NULL when not given. */
static const char *given(const struct sw_spec *s, const struct sw_point *p, const char *name)
{
    const char *v = sw_point_value(s, p, name);
    return v && v[0] ? v : NULL;
}

/* A full-precision reference point: full-precision weights (wq = fp) and
 * no [quantize] method. The hardware holds no real-valued weights, so it is
 * trained (its real-valued model is the one a [quantize] point of the same
 * network shares) and not exported, costed or simulated: its row has the
 * float model's accuracy only, which the report draws as the reference. */
static int is_reference(const struct sw_spec *s, const struct sw_point *p)
{
    const char *wq = given(s, p, "wq");
    return !given(s, p, "method") && wq && strcmp(wq, "fp") == 0;
}

/* The train command of a point: every non-empty parameter of [network] and
 * [train], explicitly (a no|yes parameter is a flag, passed when yes), then
 * the outputs: argv [0, *n_key) is the command without them. A point with a
 * [quantize] method, or a reference point, trains the real-valued model: it saves the checkpoint
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
    if (given(s, p, "method") || is_reference(s, p)) {
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

/* The hash that names a training: FNV-1a of the train command's
 * parameters, argv [1, n_key) (the outputs left out), each with its NUL. */
static int train_hash(char **argv, int n_key, char hash[17], char *msg, size_t size)
{
    char canon[8192];
    size_t len = 0;
    for (int i = 1; i < n_key; i++) {
        size_t w = strlen(argv[i]) + 1;  /* with its NUL: the separator */
        if (len + w > sizeof canon) {
            sw_fmt(msg, size, "train: the command is too long to name its shared model");
            return -1;
        }
        memcpy(canon + len, argv[i], w);
        len += w;
    }
    snprintf(hash, 17, "%016llx", (unsigned long long)sw_fnv1a64(canon, len));
    return 0;
}

int sw_point_train_hash(const struct sw_spec *s, const struct sw_point *p, char hash[17])
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
    sw_fmt(sdir, sizeof sdir, "%s/%s/%s", art, kind, hash);
    sw_fmt(out, path_size, "%s/%s", sdir, model);
    if (fp)
        sw_fmt(out_log, path_size, "%s/model.csv", sdir);
    sw_fmt(state, path_size, "%s/train.lqc", sdir);
    sw_fmt(lock, sizeof lock, "%s/lock", sdir);
    sw_fmt(log, sizeof log, "%s/train.log", sdir);
    if (sw_mkdirs(sdir) != 0) {
        sw_fmt(msg, size, "%s: cannot create: %s", sdir, strerror(errno));
        return -1;
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        sw_fmt(msg, size, "%s: cannot lock: %s", lock, strerror(errno));
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
        sw_fmt(link, sizeof link, "%s/%s", dir, files[i]);
        sw_fmt(target, sizeof target, "../%s/%s/%s", kind, hash, files[i]);
        remove(link);
        if (symlink(target, link) != 0) {
            sw_fmt(msg, size, "%s: cannot link to %s: %s", link, target, strerror(errno));
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
        sw_fmt(msg, size, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int write_model_files(const char *dir, const struct nn_qnn *q, char *msg, size_t size)
{
    char path[4300], tmp[4400];
    sw_fmt(path, sizeof path, "%s/codes.csv", dir);
    sw_fmt(tmp, sizeof tmp, "%s.tmp", path);
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
    sw_fmt(path, sizeof path, "%s/widths.csv", dir);
    sw_fmt(tmp, sizeof tmp, "%s.tmp", path);
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


/* ---- the figures, in-process ---- */

/* The last value of column col in the training log (a CSV with a header:
 * nn/train.c): its `seconds` are cumulative over a resumed training's runs,
 * its `test_acc` the float model's on the test images. NAN when the log has
 * none. */
static double log_last(const char *log, const char *col_name)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return NAN;
    char line[1 << 16];
    int col = -1;
    double s = NAN;
    if (fgets(line, sizeof line, f)) {
        int i = 0;
        for (char *save = NULL, *t = strtok_r(line, ",\n", &save); t;
             t = strtok_r(NULL, ",\n", &save), i++)
            if (strcmp(t, col_name) == 0)
                col = i;
    }
    while (col >= 0 && fgets(line, sizeof line, f)) {
        int i = 0;
        for (char *save = NULL, *t = strtok_r(line, ",\n", &save); t;
             t = strtok_r(NULL, ",\n", &save), i++)
            if (i == col) {
                char *end;
                double v = strtod(t, &end);
                if (end != t && v >= 0)  /* test_acc is -1 in an epoch not evaluated */
                    s = v;
            }
    }
    fclose(f);
    return s;
}

/* The design's figures, as cost.json states them. */
static void design_figures(const struct cm_design *d, struct sw_figures *f)
{
    f->cycles = (double)d->cycles;
    f->latency_us = d->latency_us;
    f->gates_nand2 = d->logic_nand2;
    f->logic_area_um2 = d->logic_area_um2;
    f->sram_area_um2 = d->sram_area_um2;
    f->area_um2 = d->area_um2;
    f->energy_op_pj = d->energy.total_pj;
    f->hw_pe_rows = d->hw.pe_rows;
    f->hw_lanes = d->hw.lanes;
    f->hw_clock_mhz = d->hw.clock_mhz;
    f->fmax_mhz = d->timing.fmax_mhz;
    sw_fmt(f->critical_stage, sizeof f->critical_stage, "%s", cm_stage_name(d->timing.critical));
    sw_fmt(f->hw_name, sizeof f->hw_name, "%s", d->hw.name);
    sw_fmt(f->hw_adder, sizeof f->hw_adder, "%s", cm_adder_arch_name(d->hw.adder));
    sw_fmt(f->merge_kind, sizeof f->merge_kind, "%s", cm_merge_name(d->hw.merge));
    f->merge_nand2 = d->merge.nand2;
    f->merge_area_um2 = d->merge.area_um2;
    f->skip_bits = d->merge.skip_bits;
    f->merge_energy_pj = d->merge.energy_pj;
    f->n_units = 0;
    for (int u = 0; u < CM_N_UNITS && f->n_units < SW_MAX_UNITS; u++) {
        struct sw_unit_cost *c = &f->unit[f->n_units++];
        sw_fmt(c->unit, sizeof c->unit, "%s", cm_unit_kind_name((enum cm_unit_kind)u));
        c->nand2_eq = d->unit_nand2[u];
        c->area_um2 = d->unit_area_um2[u];
    }
}

/* Prices q on the point's hw.ini (with its own cell library) and writes
 * cost.json; then, unless the point simulates no image (sim_images 0, or
 * test_limit 0 when sim_images is empty), simulates sim_images test images
 * (as many as test_limit when empty, all when both are) and writes
 * sim.json. A simulated output that differs from the integer model is a
 * result (sim_match 0; sim.json names the first difference), not a
 * failure. */
static int cost_and_sim(const struct sw_spec *s, const struct sw_point *p, const char *dir,
                        const char *hw_path, const char *model_path, const struct nn_qnn *q,
                        struct sw_figures *f, char *msg, size_t size)
{
    struct cm_hw hw;
    struct cm_lib lib;
    char m[1024], path[4300];
    if (sw_hw_load(hw_path, &hw, &lib, m, sizeof m) != 0) {
        sw_fmt(msg, size, "cost: %s", m);
        return -1;
    }
    struct cm_design *d = malloc(sizeof *d);
    struct cm_net net;
    struct cm_layer *layers = NULL;
    int rc = d ? sw_design_for_qnn(q, &hw, &lib, d, &net, &layers, m, sizeof m) : 1;
    if (rc != 0) {
        sw_fmt(msg, size, "cost: %s: %s", hw_path, d ? m : "out of memory");
        free(d);
        return -1;
    }
    design_figures(d, f);
    char name[4400];
    sw_model_name(q, model_path, name, sizeof name);
    char *text = sw_cost_json(d, name, hw_path, &lib);
    sw_fmt(path, sizeof path, "%s/cost.json", dir);
    rc = text ? sw_write_text(path, text, msg, size) : -1;
    if (!text)
        sw_fmt(msg, size, "cost: out of memory");
    free(text);
    if (rc == 0)
        sw_fmt(f->cost_path, sizeof f->cost_path, "%s", path);

    const char *n = sw_point_value(s, p, "sim_images");
    if (!n || !n[0])
        n = sw_point_value(s, p, "test_limit");
    if (rc != 0 || (n && strcmp(n, "0") == 0)) {
        free(layers);
        free(d);
        return rc;
    }
    struct nn_data_source src;
    nn_data_source_default(&src);
    src.kind = given(s, p, "data") ? given(s, p, "data") : src.kind;
    src.dir = given(s, p, "data_dir");
    src.limit_test = n && n[0] ? atoi(n) : 0;
    struct nn_dataset test = {0};
    struct nn_error err = {{0}};
    struct sim *sm = NULL;
    struct sim_error serr;
    enum sim_status sst = SIM_ERR_ARG;
    if (nn_data_source_load(&src, NULL, &test, &err) != NN_OK) {
        sw_fmt(msg, size, "sim: %s", err.msg);
        rc = -1;
    } else if (test.h != q->in_h || test.w != q->in_w || test.c != q->in_c) {
        sw_fmt(msg, size, "sim: the test images are %dx%dx%d but %s expects %dx%dx%d", test.h,
               test.w, test.c, model_path, q->in_h, q->in_w, q->in_c);
        rc = -1;
    } else if ((sst = sim_open(&sm, q, d, &net, &serr)) != SIM_OK) {
        sw_fmt(msg, size, "sim: %s", serr.msg);
        rc = -1;
    }
    free(layers);  /* sim_open copied the design and the network */
    free(d);
    struct sw_sim_result r;
    if (rc == 0 && (sst = sw_sim_dataset(sm, &test, &lib, NULL, NULL, &r, &serr)) != SIM_OK) {
        sw_fmt(msg, size, "sim: %s", serr.msg);
        rc = -1;
    }
    if (rc == 0) {
        const struct sim_stats *st = sim_stats(sm);
        f->acc_sim = st->images ? (double)r.correct / (double)st->images : NAN;
        f->acc_sim_images = (double)st->images;
        f->sim_match = !st->has_mismatch;
        f->energy_act_pj = r.energy.total_pj;
        text = sw_sim_json(st, sim_design(sm), &r);
        sw_fmt(path, sizeof path, "%s/sim.json", dir);
        rc = text ? sw_write_text(path, text, msg, size) : -1;
        if (!text)
            sw_fmt(msg, size, "sim: out of memory");
        free(text);
        if (rc == 0 && !r.cycles_equal) {
            sw_fmt(msg, size, "sim: the simulated cycles differ from the analytic count "
                   "(sim.json has both, layer by layer)");
            rc = -1;
        }
    }
    if (sm)
        sim_close(sm);
    nn_data_free(&test);
    return rc;
}

/* ---- the point ---- */

void sw_point_run(const struct sw_spec *s, const struct sw_point *p, const char *self,
                  const char *art, struct sw_result *r, struct sw_point_info *info)
{
    double t0 = sw_now();
    char dir[4200], msg[1024] = "";
    sw_result_init(r);
    gethostname(r->host, sizeof r->host - 1);
    info->trained = 0;
    const int reference = is_reference(s, p);
    sw_fmt(dir, sizeof dir, "%s/%s", art, p->key);
    char hw[4300], model[4300], fp_ckpt[4300], model_log[4300], quantize_log[4300], state[4300];
    sw_fmt(hw, sizeof hw, "%s/hw.ini", dir);
    sw_fmt(model, sizeof model, "%s/model.qnn", dir);
    sw_fmt(state, sizeof state, "%s/train.lqc", dir);
    sw_fmt(fp_ckpt, sizeof fp_ckpt, "%s/model.lqc", dir);
    sw_fmt(model_log, sizeof model_log, "%s/model.csv", dir);
    sw_fmt(quantize_log, sizeof quantize_log, "%s/quantize.log", dir);
    int ok = 1;
    if (sw_mkdirs(dir) != 0) {
        sw_fmt(msg, sizeof msg, "%s: cannot create: %s", dir, strerror(errno));
        ok = 0;
    }
    if (ok)
        ok = write_hw(hw, s, p, msg, sizeof msg) == 0;
    if (ok) {
        /* never trust an earlier attempt's files */
        static const char *const own[] = {"model.qnn", "cost.json", "sim.json", "codes.csv",
                                          "widths.csv", "model.lqc"};
        for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
            char path[4300];
            sw_fmt(path, sizeof path, "%s/%s", dir, own[i]);
            remove(path);
        }
        char *argv[96];
        char strs[2][4200];
        int n_key;
        char shared[4300] = "";  /* the shared model's path (train_shared) */
        train_argv(s, p, self, shared, fp_ckpt, model_log, state, argv, 96, strs, &n_key);
        if (given(s, p, "method") || reference) {
            ok = train_shared(art, dir, 1, argv, n_key, fp_ckpt, model_log, state,
                              sizeof fp_ckpt, &info->trained, msg, sizeof msg) == 0 &&
                 (reference ||
                  quantize_step(s, p, self, fp_ckpt, model, quantize_log, msg, sizeof msg) == 0);
        } else {
            ok = train_shared(art, dir, 0, argv, n_key, shared, model_log, state, sizeof shared,
                              &info->trained, msg, sizeof msg) == 0;
        }
    }
    if (ok && reference) {
        r->f.acc_float = log_last(model_log, "test_acc");
        r->f.train_s = log_last(model_log, "seconds");
        sw_fmt(r->f.log_path, sizeof r->f.log_path, "%s", model_log);
        if (!isfinite(r->f.acc_float)) {
            sw_fmt(msg, sizeof msg, "%s: the training log has no test accuracy", model_log);
            ok = 0;
        }
    }
    struct nn_qnn q;
    int have_q = 0;
    if (ok && !reference) {
        struct nn_error err;
        if (nn_qnn_read(&q, model, &err) != NN_OK) {
            sw_fmt(msg, sizeof msg, "export: %s", err.msg);
            ok = 0;
        } else {
            have_q = 1;
            char v[64];
            if (nn_qnn_meta_get(&q, NN_META_INT_TEST_ACC, v, sizeof v))
                r->f.acc_int = strtod(v, NULL);
            if (nn_qnn_meta_get(&q, NN_META_FLOAT_TEST_ACC, v, sizeof v))
                r->f.acc_float = strtod(v, NULL);
            sw_fmt(r->f.model_path, sizeof r->f.model_path, "%s", model);
            sw_fmt(r->f.log_path, sizeof r->f.log_path, "%s", model_log);
            r->f.train_s = log_last(model_log, "seconds");
            ok = write_model_files(dir, &q, msg, sizeof msg) == 0;
        }
    }
    if (ok && !reference)
        ok = cost_and_sim(s, p, dir, hw, model, &q, &r->f, msg, sizeof msg) == 0;
    if (have_q)
        nn_qnn_free(&q);
    r->f.wall_s = sw_now() - t0;
    r->status = ok ? SW_DONE : SW_FAILED;
    if (!ok)
        sw_fmt(r->error, sizeof r->error, "%s", msg);
}

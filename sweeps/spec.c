/* sweeps/spec.c: sweep specs (spec.h): the parameter table, the INI
 * handler (inih, fed line by line so every error names its line), value
 * checks, the [points] list, grid expansion and point keys. */
#include "sweeps/spec.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/binfile.h"
#include "nn/model.h"
#include "sweeps/filter.h"

/* What logiq train does by default, written out: every point passes every
 * non-empty parameter explicitly, so a key names exactly what ran. */
static const struct sw_param_def defs[] = {
    {"network", "arch", SW_P_STR, "res11-or", 0, 0, NULL, NULL, 0,
     "preset, family (with merge) or architecture string; {merge} is replaced by merge"},
    {"network", "width", SW_P_FLOAT, "1", 0.01, 64, NULL, "--width", 0,
     "width multiplier of the hidden layers"},
    {"network", "merge", SW_P_ENUM, "", 0, 0, "add|or|mux", NULL, 0,
     "merge kind, appended to a family name (res11 -> res11-or)"},
    {"network", "wq", SW_P_STR, "heq:3", 0, 0, NULL, "--wq", 1, "weight quantizer"},
    {"network", "wq_first", SW_P_STR, "", 0, 0, NULL, "--wq-first", 1,
     "weight quantizer of the first layer (default: wq)"},
    {"network", "wq_last", SW_P_STR, "", 0, 0, NULL, "--wq-last", 1,
     "weight quantizer of the last layer (default: wq)"},
    {"network", "wq_ste", SW_P_ENUM, "", 0, 0, "identity|clipped", "--wq-ste", 0,
     "weights' straight-through estimator"},
    {"network", "aq", SW_P_STR, "1", 0, 0, NULL, "--aq", 1, "activation quantizer (1, sign, 2, 3)"},
    {"network", "aqe", SW_P_FLOAT, "", 1e-6, 1, NULL, "--aqe", 0,
     "AQE blend factor alpha for weights and activations (not given: the STEs)"},
    {"network", "res_scale", SW_P_ENUM, "", 0, 0, "free|pow2", "--res-scale", 0,
     "add merges: each stream layer's folded scale free, or a power of two (its requantizer "
     "then runs on [merge] requant = shift)"},
    {"network", "aqe_form", SW_P_ENUM, "", 0, 0, "paper|scaled", "--aqe-form", 0,
     "AQE's form: the paper's (unit-scale h(w), weights clipped, the blend on HardTanh; "
     "the default) or logiq's earlier scaled one"},
    {"network", "pool_order", SW_P_ENUM, "", 0, 0, "hw|paper", "--pool-order", 0,
     "pooling layers' order: hw (conv, batch norm, activation, pool; the default) or the "
     "AQE paper's paper (conv, pool, batch norm, activation)"},
    {"network", "aqe_ramp", SW_P_ENUM, "", 0, 0, "no|yes", "--aqe-ramp", 0,
     "AQE: raise alpha linearly to 1 over training (logiq's extension; a flag)"},
    {"network", "sinareq", SW_P_ENUM, "", 0, 0, "no|yes", "--sinareq", 0,
     "SINAREQ: learn each layer's bit width on dorefa/wrpn weights (a flag)"},
    {"network", "sinareq_lq", SW_P_FLOAT, "", 0, 1e6, NULL, "--sinareq-lq", 0,
     "SINAREQ: strength of the sin^2 regularizer"},
    {"network", "sinareq_lb", SW_P_FLOAT, "", 0, 1e6, NULL, "--sinareq-lb", 0,
     "SINAREQ: strength of the bit-width cost"},
    {"network", "sinareq_beta_lr", SW_P_FLOAT, "", 0, 10, NULL, "--sinareq-beta-lr", 0,
     "SINAREQ: the bit widths' learning rate (0: the widths stay fixed)"},
    {"network", "sinareq_first", SW_P_ENUM, "", 0, 0, "exempt|learn", "--sinareq-first", 0,
     "SINAREQ: the first layer exempt (at the host's widest width; the default) or learned"},
    {"network", "sinareq_last", SW_P_ENUM, "", 0, 0, "learn|fixed", "--sinareq-last", 0,
     "SINAREQ: the last layer's width learned (the default) or fixed"},
    {"network", "heq_rate", SW_P_FLOAT, "0.05", 1e-6, 1, NULL, "--heq-rate", 0,
     "HEQ step-size EMA rate"},
    {"network", "mux", SW_P_ENUM, "or", 0, 0, "or|sel", "--mux", 0, "MUX merge variant"},
    {"network", "mux_select", SW_P_ENUM, "learned", 0, 0, "learned|fixed", "--mux-select", 0,
     "MUX selects learned or all on"},
    {"network", "res_bits", SW_P_INT, "8", 2, 24, NULL, "--res-bits", 0,
     "add merges: residual stream bits"},
    {"network", "res_frac", SW_P_INT, "4", 0, 23, NULL, "--res-frac", 0,
     "add merges: its fractional bits"},
    {"train", "epochs", SW_P_INT, "10", 0, 100000, NULL, "--epochs", 0, "epochs"},
    {"train", "batch", SW_P_INT, "128", 2, 4096, NULL, "--batch", 0, "batch size"},
    {"train", "lr", SW_P_FLOAT, "0.001", 0, 10, NULL, "--lr", 0, "learning rate"},
    {"train", "optim", SW_P_ENUM, "adam", 0, 0, "adam|sgd", "--optim", 0, "optimizer"},
    {"train", "momentum", SW_P_FLOAT, "0.9", 0, 1, NULL, "--momentum", 0, "SGD momentum"},
    {"train", "wd", SW_P_FLOAT, "0", 0, 1, NULL, "--wd", 0, "decoupled weight decay"},
    {"train", "sched", SW_P_ENUM, "cosine", 0, 0, "cosine|step|const", "--sched", 0,
     "learning-rate schedule"},
    {"train", "step_every", SW_P_INT, "0", 0, 100000, NULL, "--step-every", 0,
     "step schedule: decay every N epochs"},
    {"train", "step_gamma", SW_P_FLOAT, "0.1", 0, 1, NULL, "--step-gamma", 0,
     "step schedule: decay factor"},
    {"train", "crop_pad", SW_P_INT, "0", 0, 16, NULL, "--crop-pad", 0,
     "augmentation: random crop after padding"},
    {"train", "hflip", SW_P_ENUM, "no", 0, 0, "no|yes", "--hflip", 0,
     "augmentation: random horizontal flips"},
    {"train", "seed", SW_P_INT, "1", 0, 2147483647, NULL, "--seed", 0, "seed"},
    {"train", "threads", SW_P_INT, "1", 1, 256, NULL, "--threads", 0,
     "training threads (results are bit-identical for a seed and thread count)"},
    {"train", "data", SW_P_ENUM, "fashion", 0, 0, "fashion|idx|cifar10|stl10|synthetic",
     "--data", 0, "data set"},
    {"train", "data_dir", SW_P_PATH, "", 0, 0, NULL, "--data-dir", 0, "the data set's folder"},
    {"train", "train_limit", SW_P_INT, "", 2, 100000000, NULL, "--train-limit", 0,
     "train on the first N images only"},
    {"train", "test_limit", SW_P_INT, "", 1, 100000000, NULL, "--test-limit", 0,
     "evaluate on the first N test images only"},
    {"quantize", "method", SW_P_STR, "", 0, 0, NULL, "--method", 1,
     "quantize without training: train the real-valued model (wq is then its training "
     "quantizer, usually fp), then logiq quantize --method this (tquant, mquant, twn, "
     "rtn:3, ..., /ch per channel)"},
    {"quantize", "calib", SW_P_INT, "", 0, 100000000, NULL, "--calib", 0,
     "with method: post-training, batch norm re-estimated on N training images (0 or not "
     "given: data-free)"},
    {"sim", "sim_images", SW_P_INT, "", 0, 100000000, NULL, NULL, 0,
     "simulate the first N test images in logiq sim (default: as many as test_limit, "
     "else all; 0: no simulation)"},
};
#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))

const struct sw_param_def *sw_param_defs(int *n)
{
    *n = N_DEFS;
    return defs;
}

static const struct sw_param_def *find_def(const char *name)
{
    for (int i = 0; i < N_DEFS; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

/* A [points] line, kept raw until every other section is read. */
struct sw_list_point {
    int line;
    char label[64];
    char *text;
    int vi[SW_MAX_AXES];
};

struct parse_state {
    struct sw_spec *s;
    const char *path;
    sw_check_fn check;
    void *ctx;
    const char *all;    /* the whole text */
    struct sw_ini_lines in;
};

void sw_ini_lines_fail(struct sw_ini_lines *in, const char *fmt, ...)
{
    if (in->err_line)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->msg, sizeof in->msg, fmt, ap);
    va_end(ap);
    in->err_line = in->line > 0 ? in->line : 1;
}

/* inih's reader: one line per call, so in->line is the handler's line. */
char *sw_ini_lines_read(char *str, int num, void *stream)
{
    struct sw_ini_lines *in = stream;
    if (!*in->text)
        return NULL;
    int n = 0;
    while (n < num - 1 && in->text[n] && in->text[n] != '\n')
        n++;
    if (in->text[n] == '\n' && n < num - 1)
        n++;
    memcpy(str, in->text, (size_t)n);
    str[n] = 0;
    in->text += n;
    in->line++;
    return str;
}

#define perr(ps, ...) sw_ini_lines_fail(&(ps)->in, __VA_ARGS__)

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int spec_dir(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        buf[0] = 0;
        return 0;
    }
    return snprintf(buf, size, "%.*s", (int)(slash - path), path) >= (int)size ? -1 : 0;
}

/* Checks one value of a parameter and gives its text (paths resolved) and
 * canonical form. Returns 0, or -1 with a message (no file or line). */
static int check_value(struct parse_state *ps, const char *name, const char *value, char *text,
                       size_t text_size, char *canon, size_t canon_size, char *msg, size_t msz)
{
    snprintf(text, text_size, "%s", value);
    snprintf(canon, canon_size, "%s", value);
    const struct sw_param_def *d = find_def(name);
    int is_hw = strncmp(name, "hw.", 3) == 0;
    if (strncmp(name, "layer.", 6) == 0) {
        /* [layers] N.w, N.a (a quantizer, judged as wq and aq are), N.merge */
        const char *what = strchr(name + 6, '.') + 1;
        if (!*value) {
            snprintf(msg, msz, "empty value");
            return -1;
        }
        if (strcmp(value, "default") == 0 && strcmp(what, "merge") != 0) {
            text[0] = canon[0] = 0;  /* the network's own quantizer */
            return 0;
        }
        if (strcmp(what, "merge") == 0) {
            if (strcmp(value, "none") != 0 && strcmp(value, "add") != 0 &&
                strcmp(value, "or") != 0 && strcmp(value, "mux") != 0) {
                snprintf(msg, msz, "'%s': expected one of none, add, or, mux", value);
                return -1;
            }
            return 0;
        }
        char c[512] = "";
        if (ps->check &&
            ps->check(ps->ctx, strcmp(what, "w") == 0 ? "wq" : "aq", value, c, sizeof c, msg,
                      msz) != 0)
            return -1;
        if (c[0]) {
            snprintf(canon, canon_size, "%s", c);
            snprintf(text, text_size, "%s", c);
        }
        return 0;
    }
    if (!d && !is_hw) {
        snprintf(msg, msz, "unknown parameter '%s'", name);
        return -1;
    }
    if (!*value) {
        snprintf(msg, msz, "empty value");
        return -1;
    }
    if (d && !d->def[0] && strcmp(value, "none") == 0) {
        /* an optional parameter not given (its option is not passed): an
         * axis can hold it beside values, `aqe = none, 0.5` */
        text[0] = canon[0] = 0;
        return 0;
    }
    if (is_hw || d->type == SW_P_PATH) {
        if (is_hw && strcmp(name, "hw.base") != 0) {
            /* an override hw.SECTION.KEY */
        } else if (value[0] != '/') {
            char dir[4096];
            spec_dir(ps->s->path, dir, sizeof dir);
            if (dir[0] && snprintf(text, text_size, "%s/%s", dir, value) >= (int)text_size) {
                snprintf(msg, msz, "path too long");
                return -1;
            }
            snprintf(canon, canon_size, "%s", text);
        }
        if (is_hw) {
            char c[512] = "";
            if (ps->check && ps->check(ps->ctx, name, text, c, sizeof c, msg, msz) != 0)
                return -1;
            if (c[0])
                snprintf(canon, canon_size, "%s", c);
        }
        return 0;
    }
    char *end;
    switch (d->type) {
    case SW_P_INT: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || *end || v < d->lo || v > d->hi) {
            snprintf(msg, msz, "'%s': expected an integer in [%.0f, %.0f]", value, d->lo, d->hi);
            return -1;
        }
        snprintf(canon, canon_size, "%lld", v);
        snprintf(text, text_size, "%lld", v);
        return 0;
    }
    case SW_P_FLOAT: {
        errno = 0;
        double v = strtod(value, &end);
        if (errno || *end || !isfinite(v) || v < d->lo || v > d->hi) {
            snprintf(msg, msz, "'%s': expected a number in [%g, %g]", value, d->lo, d->hi);
            return -1;
        }
        snprintf(canon, canon_size, "%.9g", v);
        return 0;
    }
    case SW_P_ENUM: {
        size_t n = strlen(value);
        for (const char *c = d->choices; c && *c;) {
            const char *bar = strchr(c, '|');
            size_t len = bar ? (size_t)(bar - c) : strlen(c);
            if (len == n && strncmp(c, value, n) == 0)
                return 0;
            c = bar ? bar + 1 : c + len;
        }
        char choices[256];
        snprintf(choices, sizeof choices, "%s", d->choices);
        for (char *c = choices; *c; c++)
            if (*c == '|')
                *c = ',';
        snprintf(msg, msz, "'%s': expected one of %s", value, choices);
        return -1;
    }
    default:
        break;
    }
    if (d->checked && ps->check) {
        char c[512] = "";
        if (ps->check(ps->ctx, name, value, c, sizeof c, msg, msz) != 0)
            return -1;
        if (c[0])
            snprintf(canon, canon_size, "%s", c);
    }
    return 0;
}

/* The axis of a name, created (empty) if new. */
static struct sw_axis *get_axis(struct sw_spec *s, const char *name, int line)
{
    int i = sw_spec_axis(s, name);
    if (i >= 0)
        return &s->axes[i];
    if (s->n_axes == SW_MAX_AXES)
        return NULL;
    struct sw_axis *a = &s->axes[s->n_axes++];
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->line = line;
    return a;
}

/* Adds a value to an axis unless its canonical form is there; returns its
 * index or -1 (out of memory). */
static int add_value(struct sw_axis *a, const char *text, const char *canon)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->canon[i], canon) == 0)
            return i;
    char **t = realloc(a->text, (size_t)(a->n + 1) * sizeof *t);
    if (!t)
        return -1;
    a->text = t;
    char **c = realloc(a->canon, (size_t)(a->n + 1) * sizeof *c);
    if (!c)
        return -1;
    a->canon = c;
    a->text[a->n] = dupstr(text);
    a->canon[a->n] = dupstr(canon);
    if (!a->text[a->n] || !a->canon[a->n]) {
        free(a->text[a->n]);
        free(a->canon[a->n]);
        return -1;
    }
    return a->n++;
}

int sw_list_split(const char *value, int (*fn)(void *, const char *), void *ctx,
                  enum sw_split_why *why)
{
    char item[1024];
    const char *p = value;
    *why = SW_SPLIT_FN;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        size_t n = 0;
        int quoted = 0;
        if (*p == '"') {
            quoted = 1;
            p++;
            while (*p && *p != '"' && n + 1 < sizeof item)
                item[n++] = *p++;
            if (*p && *p != '"') {
                *why = SW_SPLIT_LONG;
                return -1;
            }
            if (*p != '"') {
                *why = SW_SPLIT_QUOTE;
                return -1;
            }
            p++;
            while (isspace((unsigned char)*p))
                p++;
        } else {
            while (*p && *p != ',' && n + 1 < sizeof item)
                item[n++] = *p++;
            if (*p && *p != ',') {
                *why = SW_SPLIT_LONG;
                return -1;
            }
            while (n > 0 && isspace((unsigned char)item[n - 1]))
                n--;
        }
        item[n] = 0;
        if (n == 0 && !quoted) {
            *why = SW_SPLIT_EMPTY;
            return -1;
        }
        if (fn(ctx, item) != 0)
            return -1;
        if (*p != ',') {
            *why = SW_SPLIT_BAD;
            return *p ? -1 : 0;
        }
        p++;
    }
}

struct add_ctx {
    struct parse_state *ps;
    struct sw_axis *axis;
    const char *section, *key;
};

static int add_item(void *ctx, const char *item)
{
    struct add_ctx *ac = ctx;
    char text[4096], canon[4096], msg[600];
    if (check_value(ac->ps, ac->axis->name, item, text, sizeof text, canon, sizeof canon, msg,
                    sizeof msg) != 0) {
        perr(ac->ps, "[%s] %s: %s", ac->section, ac->key, msg);
        return -1;
    }
    if (add_value(ac->axis, text, canon) < 0) {
        perr(ac->ps, "[%s] %s: out of memory", ac->section, ac->key);
        return -1;
    }
    return 0;
}

/* The line of a section's header "[name]" (inih does not report it), or
 * fallback. */
static int section_line(const char *text, const char *name, int fallback)
{
    int line = 1;
    size_t n = strlen(name);
    for (const char *p = text; *p; line++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '[' && strncmp(p + 1, name, n) == 0 && p[1 + n] == ']')
            return line;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return fallback;
}

/* A sweep's name names its store (NAME.db) and folder (NAME.d) in the
 * current folder: no '/', no "..", no control character, so neither can
 * land elsewhere or be unprintable. */
static int bad_sweep_name(const char *name)
{
    if (strchr(name, '/') || strstr(name, ".."))
        return 1;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

static int sweep_key(struct parse_state *ps, const char *key, const char *value)
{
    struct sw_spec *s = ps->s;
    if (strcmp(key, "name") == 0) {
        if (!*value || strlen(value) >= sizeof s->name) {
            perr(ps, "[sweep] name: expected a name of 1 to %zu characters", sizeof s->name - 1);
            return 0;
        }
        if (bad_sweep_name(value)) {
            perr(ps, "[sweep] name: '%.*s': expected a name without '/', '..' or control "
                 "characters (the store is NAME.db in the current folder)", 64, value);
            return 0;
        }
        snprintf(s->name, sizeof s->name, "%s", value);
    } else if (strcmp(key, "timeout_s") == 0) {
        char *end;
        double v = strtod(value, &end);
        if (!*value || *end || !(v >= 0) || v > 1e9) {
            perr(ps, "[sweep] timeout_s: '%s': expected seconds >= 0 (0 = none)", value);
            return 0;
        }
        s->timeout_s = v;
    } else if (strcmp(key, "filter") == 0) {
        if (!*value) {
            perr(ps, "[sweep] filter: empty expression");
            return 0;
        }
        /* a second filter line (or a continuation) is and-ed: "(a) && (b)
         * && (c)", each line one level deep however many lines there are */
        size_t n = (s->filter ? strlen(s->filter) + 4 : 0) + strlen(value) + 3;
        char *f = malloc(n);
        if (!f) {
            perr(ps, "[sweep] filter: out of memory");
            return 0;
        }
        if (s->filter)
            snprintf(f, n, "%s && (%s)", s->filter, value);
        else
            snprintf(f, n, "(%s)", value);
        free(s->filter);
        s->filter = f;
        if (!s->filter_line)
            s->filter_line = ps->in.line;
    } else {
        perr(ps, "[sweep] %s: unknown key (expected name, timeout_s, filter)", key);
        return 0;
    }
    return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct parse_state *ps = user;
    if (ps->in.err_line)
        return 1;
    struct sw_spec *s = ps->s;
    if (!section[0]) {
        perr(ps, "%s: a key before any [section]", key);
        return 0;
    }
    if (strcmp(section, "sweep") == 0)
        return sweep_key(ps, key, value);
    if (strcmp(section, "points") == 0) {
        struct sw_list_point *l = s->list;
        if ((s->n_list & (s->n_list - 1)) == 0) {  /* 0, 1, 2, 4, ...: double the room */
            l = realloc(s->list, (size_t)(s->n_list ? 2 * s->n_list : 1) * sizeof *l);
            if (!l) {
                perr(ps, "[points] %s: out of memory", key);
                return 0;
            }
            s->list = l;
        }
        l = &s->list[s->n_list];
        memset(l, 0, sizeof *l);
        l->line = ps->in.line;
        snprintf(l->label, sizeof l->label, "%s", key);
        l->text = dupstr(value);
        if (!l->text) {
            perr(ps, "[points] %s: out of memory", key);
            return 0;
        }
        s->n_list++;
        return 1;
    }
    char name[SW_NAME_MAX];
    if (strcmp(section, "hw") == 0) {
        const char *dot = strchr(key, '.');
        if (strcmp(key, "base") != 0 && (!dot || dot == key || !dot[1] || strchr(dot + 1, '.'))) {
            perr(ps, "[hw] %s: unknown key (expected base or SECTION.KEY of a hw.ini, e.g. "
                 "array.pe_rows)", key);
            return 0;
        }
        if (snprintf(name, sizeof name, "hw.%s", key) >= (int)sizeof name) {
            perr(ps, "[hw] %s: key too long", key);
            return 0;
        }
    } else if (strcmp(section, "layers") == 0) {
        char *end;
        long layer = strtol(key, &end, 10);
        if (!isdigit((unsigned char)key[0]) || layer < 1 || layer > 999 || *end != '.' ||
            (strcmp(end + 1, "w") != 0 && strcmp(end + 1, "a") != 0 &&
             strcmp(end + 1, "merge") != 0)) {
            perr(ps, "[layers] %s: unknown key (expected N.w, N.a or N.merge, N the layer's "
                 "number from 1, pooling not counted: 2.w, 3.merge)", key);
            return 0;
        }
        snprintf(name, sizeof name, "layer.%ld.%s", layer, end + 1);
    } else if (strcmp(section, "network") == 0 || strcmp(section, "train") == 0 ||
               strcmp(section, "quantize") == 0 || strcmp(section, "sim") == 0) {
        const struct sw_param_def *d = find_def(key);
        if (!d || strcmp(d->section, section) != 0) {
            char known[1024] = "";
            for (int i = 0; i < N_DEFS; i++)
                if (strcmp(defs[i].section, section) == 0)
                    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                             known[0] ? ", " : "", defs[i].name);
            perr(ps, "[%s] %s: unknown key (expected one of %s)", section, key, known);
            return 0;
        }
        snprintf(name, sizeof name, "%s", key);
    } else {
        ps->in.line = section_line(ps->all, section, ps->in.line);
        perr(ps, "[%s]: unknown section (expected sweep, network, layers, train, quantize, sim, hw, points)", section);
        return 0;
    }
    /* A key given again, or continued on an indented line, adds values. */
    struct sw_axis *a = get_axis(s, name, ps->in.line);
    if (!a) {
        perr(ps, "[%s] %s: too many parameters (at most %d)", section, key, SW_MAX_AXES);
        return 0;
    }
    struct add_ctx ac = {ps, a, section, key};
    enum sw_split_why why;
    if (sw_list_split(value, add_item, &ac, &why) != 0) {
        const char *r = sw_list_split_reason(why, value, "no value (an empty axis)",
                                             "bad list (quote a value holding a comma: "
                                             "\"c8,f10\")");
        if (r)
            perr(ps, "[%s] %s: %s", section, key, r);
        return 0;
    }
    return 1;
}

const char *sw_list_split_reason(enum sw_split_why why, const char *value,
                                 const char *empty_list, const char *bad_list)
{
    switch (why) {
    case SW_SPLIT_FN: return NULL;
    case SW_SPLIT_EMPTY: return *value ? "an empty value in the list" : empty_list;
    case SW_SPLIT_QUOTE: return "unterminated quote (expected \"value\")";
    case SW_SPLIT_LONG: return "a value of 1024 characters or more";
    default: return bad_list;
    }
}

int sw_spec_axis(const struct sw_spec *s, const char *name)
{
    for (int i = 0; i < s->n_axes; i++)
        if (strcmp(s->axes[i].name, name) == 0)
            return i;
    return -1;
}

/* [points] lines: "name=value name=value ..." on top of the fixed settings. */
static int parse_list_point(struct parse_state *ps, struct sw_list_point *l)
{
    struct sw_spec *s = ps->s;
    ps->in.line = l->line;
    for (int i = 0; i < s->n_axes; i++)
        l->vi[i] = 0;
    const char *p = l->text;
    int n_set = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char name[SW_NAME_MAX], value[1024];
        size_t n = 0;
        while (*p && *p != '=' && !isspace((unsigned char)*p) && n + 1 < sizeof name)
            name[n++] = *p++;
        name[n] = 0;
        if (*p != '=') {
            perr(ps, "[points] %s: expected name=value pairs separated by spaces", l->label);
            return -1;
        }
        p++;
        n = 0;
        const int quoted = *p == '"';
        if (quoted) {
            p++;
            while (*p && *p != '"' && n + 1 < sizeof value)
                value[n++] = *p++;
        } else {
            while (*p && !isspace((unsigned char)*p) && n + 1 < sizeof value)
                value[n++] = *p++;
        }
        if (quoted && !*p) {
            perr(ps, "[points] %s: %s: unterminated quote (expected \"value\")", l->label, name);
            return -1;
        }
        if (quoted ? *p != '"' : *p && !isspace((unsigned char)*p)) {
            perr(ps, "[points] %s: %s: a value of 1024 characters or more", l->label, name);
            return -1;
        }
        p += quoted;
        value[n] = 0;
        char text[4096], canon[4096], msg[600];
        if (check_value(ps, name, value, text, sizeof text, canon, sizeof canon, msg,
                        sizeof msg) != 0) {
            perr(ps, "[points] %s: %s: %s", l->label, name, msg);
            return -1;
        }
        int fresh = sw_spec_axis(s, name) < 0;
        struct sw_axis *a = get_axis(s, name, l->line);
        if (!a) {
            perr(ps, "[points] %s: too many parameters", l->label);
            return -1;
        }
        /* an override only some points give: the others keep the base's value */
        if (fresh && add_value(a, "", "") < 0) {
            perr(ps, "[points] %s: out of memory", l->label);
            return -1;
        }
        int v = add_value(a, text, canon);
        if (v < 0) {
            perr(ps, "[points] %s: out of memory", l->label);
            return -1;
        }
        l->vi[a - s->axes] = v;
        n_set++;
    }
    if (n_set == 0) {
        perr(ps, "[points] %s: no name=value pairs", l->label);
        return -1;
    }
    return 0;
}

struct point_ctx {
    const struct sw_spec *s;
    const int *vi;
};

static int known_name(void *ctx, const char *name)
{
    const struct sw_spec *s = ctx;
    return sw_spec_axis(s, name) >= 0 || find_def(name) != NULL;
}

static const char *lookup_value(void *ctx, const char *name)
{
    const struct point_ctx *pc = ctx;
    int i = sw_spec_axis(pc->s, name);
    return i < 0 ? NULL : pc->s->axes[i].text[pc->vi[i]];
}

/* Applies the [layers] values of the point vi to the architecture in buf
 * (docs/sweeps.md), in the spec's order; the parser checked that each
 * applies. Returns -1 if buf is too small. */
/* Applies the value v of [layers] axis `name` ("layer.N.w", ".a",
 * ".merge") to the architecture arch, into out (NN_ARCH_MAX). */
static enum nn_status layer_value(const char *name, const char *v, const char *arch, char *out,
                                  struct nn_error *err)
{
    char *end;
    long layer = strtol(name + 6, &end, 10);
    const char *what = end + 1;
    return nn_arch_override(arch, (int)layer, strcmp(what, "w") == 0 ? v : NULL,
                            strcmp(what, "a") == 0 ? v : NULL,
                            strcmp(what, "merge") == 0 ? v : NULL, out, NN_ARCH_MAX, err);
}

static int layer_overrides(const struct sw_spec *s, const int *vi, char *buf, size_t size)
{
    for (int i = 0; i < s->n_axes; i++) {
        const struct sw_axis *a = &s->axes[i];
        const char *v = a->text[vi[i]];
        char out[NN_ARCH_MAX];
        struct nn_error err;
        if (strncmp(a->name, "layer.", 6) != 0 || !v[0] ||
            layer_value(a->name, v, buf, out, &err) != NN_OK)
            continue;
        if (snprintf(buf, size, "%s", out) >= (int)size)
            return -1;
    }
    return 0;
}

/* The point's architecture without its [layers] values. */
static int arch_base(const struct sw_spec *s, const int *vi, char *buf, size_t size)
{
    int ia = sw_spec_axis(s, "arch"), im = sw_spec_axis(s, "merge");
    const char *arch = s->axes[ia].text[vi[ia]];
    const char *merge = s->axes[im].text[vi[im]];
    int n;
    if (strstr(arch, "{merge}")) {
        size_t len = 0;
        for (const char *p = arch; *p;) {
            const char *piece = p;
            size_t plen = 1;
            if (strncmp(p, "{merge}", 7) == 0) {
                piece = merge;
                plen = strlen(merge);
                p += 7;
            } else {
                p++;
            }
            if (len + plen >= size)
                return -1;
            memcpy(buf + len, piece, plen);
            len += plen;
        }
        buf[len] = 0;
        n = (int)len;
    } else if (merge[0]) {
        n = snprintf(buf, size, "%s-%s", arch, merge);
    } else {
        n = snprintf(buf, size, "%s", arch);
    }
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int arch_of(const struct sw_spec *s, const int *vi, char *buf, size_t size)
{
    return arch_base(s, vi, buf, size) != 0 ? -1 : layer_overrides(s, vi, buf, size);
}

enum sw_status sw_spec_parse(struct sw_spec *s, const char *text, const char *path,
                             sw_check_fn check, void *ctx, struct sw_error *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    snprintf(s->name, sizeof s->name, "%.*s", dot && dot != base ? (int)(dot - base) : 127, base);

    int line = sw_ini_long_line(text);
    if (line)
        return sw_fail(err, SW_ERR_SPEC, "%s:%d: line longer than %d characters "
                       "(continue a list on an indented next line)", path, line,
                       SW_INI_LINE_MAX);

    struct parse_state ps = {.s = s, .path = path, .check = check, .ctx = ctx, .all = text,
                             .in = {.text = text}};
    int rc = ini_parse_stream(sw_ini_lines_read, &ps.in, on_key, &ps);
    if (rc != 0 && (!ps.in.err_line || rc < ps.in.err_line)) {
        if (rc < 0)
            sw_fail(err, SW_ERR_NOMEM, "%s: out of memory", path);
        else
            sw_fail(err, SW_ERR_SPEC, "%s:%d: not a `key = value` line or a [section]", path, rc);
        sw_spec_free(s);
        return rc < 0 ? SW_ERR_NOMEM : SW_ERR_SPEC;
    }
    if (ps.in.err_line) {
        sw_fail(err, SW_ERR_SPEC, "%s:%d: %s", path, ps.in.err_line, ps.in.msg);
        sw_spec_free(s);
        return SW_ERR_SPEC;
    }
    if (!s->name[0] || bad_sweep_name(s->name)) {  /* the file's stem, no [sweep] name */
        sw_fail(err, SW_ERR_SPEC, "%s: [sweep] name: the file's name makes no store name; "
                "give [sweep] name (without '/', '..' or control characters)", path);
        sw_spec_free(s);
        return SW_ERR_SPEC;
    }

    /* Every parameter not given takes its default; hw.base none. With a
     * merge given, the default architecture is the family res11. */
    int merge_given = sw_spec_axis(s, "merge") >= 0;
    for (int i = 0; i < N_DEFS; i++)
        if (sw_spec_axis(s, defs[i].name) < 0) {
            struct sw_axis *a = get_axis(s, defs[i].name, 0);
            char t[4096], c[4096], msg[600];
            int ok = a != NULL;
            const char *def = defs[i].def;
            if (merge_given && strcmp(defs[i].name, "arch") == 0)
                def = "res11";
            if (ok && def[0])
                ok = check_value(&ps, defs[i].name, def, t, sizeof t, c, sizeof c, msg,
                                 sizeof msg) == 0 && add_value(a, t, c) >= 0;
            else if (ok)
                ok = add_value(a, "", "") >= 0;
            if (!ok) {
                sw_fail(err, SW_ERR_SPEC, "%s: %s: cannot take its default", path, defs[i].name);
                sw_spec_free(s);
                return SW_ERR_SPEC;
            }
        }
    if (sw_spec_axis(s, "hw.base") < 0) {
        struct sw_axis *a = get_axis(s, "hw.base", 0);
        if (!a || add_value(a, "", "") < 0) {
            sw_spec_free(s);
            return sw_fail(err, SW_ERR_NOMEM, "%s: out of memory", path);
        }
    }

    if (s->n_list) {
        for (int i = 0; i < s->n_axes; i++)
            if (s->axes[i].n > 1) {
                sw_fail(err, SW_ERR_SPEC, "%s:%d: %s: an axis beside a [points] list (give each "
                        "point its values in [points], or drop the list for the grid)", path,
                        s->axes[i].line, s->axes[i].name);
                sw_spec_free(s);
                return SW_ERR_SPEC;
            }
        if (s->filter) {
            sw_fail(err, SW_ERR_SPEC, "%s:%d: [sweep] filter: a filter beside a [points] list "
                    "(the list names its points)", path, s->filter_line);
            sw_spec_free(s);
            return SW_ERR_SPEC;
        }
        for (int i = 0; i < s->n_list; i++)
            if (parse_list_point(&ps, &s->list[i]) != 0) {
                sw_fail(err, SW_ERR_SPEC, "%s:%d: %s", path, ps.in.err_line, ps.in.msg);
                sw_spec_free(s);
                return SW_ERR_SPEC;
            }
    }

    /* Every architecture the points can train, judged by the caller. */
    int ia = sw_spec_axis(s, "arch"), im = sw_spec_axis(s, "merge");
    if (check) {
        int vi[SW_MAX_AXES] = {0};
        for (int a = 0; a < s->axes[ia].n; a++)
            for (int m = 0; m < s->axes[im].n; m++) {
                vi[ia] = a;
                vi[im] = m;
                char arch[4096], canon[64], msg[600];
                if (arch_of(s, vi, arch, sizeof arch) != 0 ||
                    check(ctx, "arch", arch, canon, sizeof canon, msg, sizeof msg) != 0) {
                    int l = s->axes[ia].line ? s->axes[ia].line : s->axes[im].line;
                    sw_fail(err, SW_ERR_SPEC, "%s:%d: [network] arch: '%s': %s", path, l ? l : 1,
                            arch, msg);
                    sw_spec_free(s);
                    return SW_ERR_SPEC;
                }
                /* each [layers] value on its own, on the architecture without them */
                char base[4096];
                if (arch_base(s, vi, base, sizeof base) != 0)
                    continue;
                for (int k = 0; k < s->n_axes; k++) {
                    const struct sw_axis *ax = &s->axes[k];
                    for (int j = 0; strncmp(ax->name, "layer.", 6) == 0 && j < ax->n; j++) {
                        const char *v = ax->text[j];
                        char out[NN_ARCH_MAX];
                        struct nn_error nerr;
                        if (!v[0])
                            continue;
                        if (layer_value(ax->name, v, base, out, &nerr) != NN_OK)
                            sw_fail(err, SW_ERR_SPEC, "%s:%d: [layers] %s = %s: %s", path,
                                    ax->line, ax->name + 6, v, nerr.msg);
                        else if (check(ctx, "arch", out, canon, sizeof canon, msg,
                                       sizeof msg) != 0)
                            sw_fail(err, SW_ERR_SPEC, "%s:%d: [layers] %s = %s: '%s': %s",
                                    path, ax->line, ax->name + 6, v, out, msg);
                        else
                            continue;
                        sw_spec_free(s);
                        return SW_ERR_SPEC;
                    }
                }
            }
    }

    if (s->filter) {
        char msg[600];
        if (sw_filter_parse(&s->filter_expr, s->filter, known_name, s, msg, sizeof msg) != 0) {
            sw_fail(err, SW_ERR_SPEC, "%s:%d: [sweep] filter: %s", path, s->filter_line, msg);
            sw_spec_free(s);
            return SW_ERR_SPEC;
        }
    }
    return SW_OK;
}

void sw_spec_free(struct sw_spec *s)
{
    for (int i = 0; i < s->n_axes; i++) {
        for (int j = 0; j < s->axes[i].n; j++) {
            free(s->axes[i].text[j]);
            free(s->axes[i].canon[j]);
        }
        free(s->axes[i].text);
        free(s->axes[i].canon);
    }
    for (int i = 0; i < s->n_list; i++)
        free(s->list[i].text);
    free(s->list);
    free(s->filter);
    sw_filter_free(s->filter_expr);
    memset(s, 0, sizeof *s);
}

int sw_ini_long_line(const char *text)
{
    int line = 1;
    for (const char *p = text, *start = text;; p++) {
        if (*p == '\n' || !*p) {
            if (p - start > SW_INI_LINE_MAX)
                return line;
            if (!*p)
                return 0;
            start = p + 1;
            line++;
        }
    }
}

char *sw_read_text(const char *path, char *msg, size_t size)
{
    FILE *f;
    struct nn_error nerr;
    if (nn_file_open_read(path, &f, &nerr) != NN_OK) {
        snprintf(msg, size, "%s", nerr.msg);
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int bad = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                snprintf(msg, size, "%s: out of memory reading the file", path);
                bad = 1;
                break;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (n > (size_t)SW_TEXT_FILE_MAX) {
            snprintf(msg, size, "%s: larger than %ld MiB (expected a text file)", path,
                     SW_TEXT_FILE_MAX >> 20);
            bad = 1;
            break;
        }
        if (r < 4096)
            break;
    }
    if (!bad && ferror(f)) {
        snprintf(msg, size, "%s: cannot read (%s)", path, strerror(errno));
        bad = 1;
    }
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

char *sw_ini_read(const char *path, char *msg, size_t size)
{
    char *text = sw_read_text(path, msg, size);
    int line = text ? sw_ini_long_line(text) : 0;
    if (line) {
        snprintf(msg, size, "%s:%d: line longer than %d characters", path, line,
                 SW_INI_LINE_MAX);
        free(text);
        return NULL;
    }
    return text;
}

uint64_t sw_fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static int canonical(const struct sw_spec *s, const int *vi, char *buf, size_t size)
{
    int order[SW_MAX_AXES];
    for (int i = 0; i < s->n_axes; i++)
        order[i] = i;
    /* insertion sort by name (few axes; qsort would need global state) */
    for (int i = 1; i < s->n_axes; i++) {
        int x = order[i], j = i - 1;
        while (j >= 0 && strcmp(s->axes[order[j]].name, s->axes[x].name) > 0) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = x;
    }
    size_t len = 0;
    if (size)
        buf[0] = 0;
    for (int k = 0; k < s->n_axes; k++) {
        const struct sw_axis *a = &s->axes[order[k]];
        const char *c = a->canon[vi[order[k]]];
        if (!c[0])
            continue;
        int n = snprintf(buf + len, size - len, "%s=%s\n", a->name, c);
        if (n < 0 || (size_t)n >= size - len)
            return -1;
        len += (size_t)n;
    }
    return (int)len;
}

int sw_point_canonical(const struct sw_spec *s, const struct sw_point *p, char *buf, size_t size)
{
    return canonical(s, p->vi, buf, size);
}

const char *sw_point_value(const struct sw_spec *s, const struct sw_point *p, const char *name)
{
    int i = sw_spec_axis(s, name);
    return i < 0 ? NULL : s->axes[i].text[p->vi[i]];
}

int sw_point_arch(const struct sw_spec *s, const struct sw_point *p, char *buf, size_t size)
{
    return arch_of(s, p->vi, buf, size);
}

/* Appends a point, its key computed. Returns SW_OK, or the status with err
 * set. */
static enum sw_status push_point(const struct sw_spec *s, const int *vi, struct sw_point **pts,
                                 int *n, int *cap, struct sw_error *err)
{
    char *canon = malloc(65536);
    if (!canon)
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    int len = canonical(s, vi, canon, 65536);
    if (len < 0) {
        free(canon);
        return sw_fail(err, SW_ERR_SPEC, "%s: a point's parameters exceed 64 KiB", s->path);
    }
    char key[SW_KEY_LEN + 1];
    snprintf(key, sizeof key, "%016llx", (unsigned long long)sw_fnv1a64(canon, (size_t)len));
    free(canon);
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 64;
        struct sw_point *np = realloc(*pts, (size_t)nc * sizeof *np);
        if (!np)
            return sw_fail(err, SW_ERR_NOMEM, "out of memory");
        *pts = np;
        *cap = nc;
    }
    struct sw_point *p = &(*pts)[(*n)++];
    memset(p, 0, sizeof *p);
    memcpy(p->key, key, sizeof key);
    memcpy(p->vi, vi, (size_t)s->n_axes * sizeof *vi);
    return SW_OK;
}

/* A point's key and its place in the expansion, sorted to find repeats. */
struct key_at {
    char key[SW_KEY_LEN + 1];
    int at;
};

static int key_at_cmp(const void *a, const void *b)
{
    const struct key_at *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Leaves out every point whose key repeats an earlier one, keeping the
 * order: sorts (key, place) pairs, O(n log n). */
static enum sw_status drop_repeats(struct sw_point *pts, int *n, struct sw_error *err)
{
    if (*n < 2)
        return SW_OK;
    struct key_at *ka = malloc((size_t)*n * sizeof *ka);
    unsigned char *drop = calloc((size_t)*n, 1);
    if (!ka || !drop) {
        free(ka);
        free(drop);
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < *n; i++) {
        memcpy(ka[i].key, pts[i].key, sizeof ka[i].key);
        ka[i].at = i;
    }
    qsort(ka, (size_t)*n, sizeof *ka, key_at_cmp);
    for (int i = 1; i < *n; i++)
        if (strcmp(ka[i].key, ka[i - 1].key) == 0)
            drop[ka[i].at] = 1;
    int m = 0;
    for (int i = 0; i < *n; i++)
        if (!drop[i])
            pts[m++] = pts[i];
    *n = m;
    free(ka);
    free(drop);
    return SW_OK;
}

enum sw_status sw_spec_expand(const struct sw_spec *s, long max_points, struct sw_point **pts,
                              int *n, struct sw_error *err)
{
    *pts = NULL;
    *n = 0;
    int cap = 0;
    enum sw_status st = SW_OK;
    if (s->n_list) {
        if (s->n_list > max_points)
            return sw_fail(err, SW_ERR_SPEC, "%s: the [points] list has %d points (at most %ld)",
                           s->path, s->n_list, max_points);
        for (int i = 0; i < s->n_list && st == SW_OK; i++)
            st = push_point(s, s->list[i].vi, pts, n, &cap, err);
    } else {
        double total = 1.0;
        for (int i = 0; i < s->n_axes; i++)
            total *= s->axes[i].n;
        if (total > (double)max_points)
            return sw_fail(err, SW_ERR_SPEC, "%s: the grid has %.0f points (at most %ld)",
                           s->path, total, max_points);
        int vi[SW_MAX_AXES] = {0};
        while (st == SW_OK) {
            int keep = 1;
            if (s->filter_expr) {
                char msg[600];
                struct point_ctx pc = {s, vi};
                keep = sw_filter_eval(s->filter_expr, lookup_value, &pc, msg, sizeof msg);
                if (keep < 0) {
                    st = sw_fail(err, SW_ERR_SPEC, "%s:%d: [sweep] filter: %s", s->path,
                                 s->filter_line, msg);
                    break;
                }
            }
            if (keep)
                st = push_point(s, vi, pts, n, &cap, err);
            /* next grid index: the last axis varies fastest */
            int i = s->n_axes - 1;
            while (i >= 0 && ++vi[i] == s->axes[i].n)
                vi[i--] = 0;
            if (i < 0)
                break;
        }
    }
    if (st == SW_OK)
        st = drop_repeats(*pts, n, err);
    if (st != SW_OK) {
        sw_points_free(*pts, *n);
        *pts = NULL;
        *n = 0;
    }
    return st;
}

int sw_spec_point(const struct sw_spec *s, const int *vi, struct sw_point *p,
                  struct sw_error *err)
{
    if (s->filter_expr) {
        char msg[600];
        struct point_ctx pc = {s, vi};
        int keep = sw_filter_eval(s->filter_expr, lookup_value, &pc, msg, sizeof msg);
        if (keep < 0) {
            sw_fail(err, SW_ERR_SPEC, "%s:%d: [sweep] filter: %s", s->path, s->filter_line, msg);
            return -1;
        }
        if (!keep)
            return 0;
    }
    struct sw_point *one = NULL;
    int n = 0, cap = 0;
    if (push_point(s, vi, &one, &n, &cap, err) != SW_OK)
        return -1;
    *p = one[0];
    free(one);
    return 1;
}

void sw_points_free(struct sw_point *pts, int n)
{
    (void)n;
    free(pts);
}

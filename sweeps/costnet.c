/* sweeps/costnet.c: hw.ini and cell-library loading, and the cost models' view
 * of a network (costnet.h). */
#include "sweeps/costnet.h"

#include "costmodels/design.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweeps/spec.h"

/* inih's handler state: the first error, and the keys seen (duplicates are
 * an error: the second value would silently win otherwise). */
struct hw_parse {
    struct cm_hw *hw;
    char msg[512];
    int failed;
    char seen[64][48];
    int n_seen;
};

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct hw_parse *p = user;
    if (p->failed)
        return 0;
    char id[48];
    snprintf(id, sizeof id, "%s/%s", section, name);
    for (int i = 0; i < p->n_seen; i++)
        if (strcmp(p->seen[i], id) == 0) {
            snprintf(p->msg, sizeof p->msg, "[%s] %s: given twice", section, name);
            p->failed = 1;
            return 0;
        }
    if (p->n_seen < 64)
        snprintf(p->seen[p->n_seen++], sizeof p->seen[0], "%s", id);
    struct cm_error err;
    if (!section[0]) {
        snprintf(p->msg, sizeof p->msg, "%s: a key before any [section]", name);
        p->failed = 1;
        return 0;
    }
    if (cm_hw_set(p->hw, section, name, value, &err) != CM_OK) {
        snprintf(p->msg, sizeof p->msg, "%s", err.msg);
        p->failed = 1;
        return 0;
    }
    return 1;
}

int sw_hw_load(const char *path, struct cm_hw *hw, struct cm_lib *lib, char *msg, size_t size)
{
    cm_hw_defaults(hw);
    if (path) {
        struct hw_parse p = {.hw = hw};
        char *text = sw_ini_read(path, msg, size);
        if (!text)
            return 2;
        int line = ini_parse_string(text, on_key, &p);
        free(text);
        if (line == -1) {
            snprintf(msg, size, "%s: out of memory", path);
            return 2;
        }
        if (line != 0) {
            if (p.failed)
                snprintf(msg, size, "%s:%d: %s", path, line, p.msg);
            else
                snprintf(msg, size, "%s:%d: not a `key = value` line or a [section]", path,
                         line);
            return 2;
        }
    }
    if (strcmp(hw->tech, "generic45") == 0) {
        cm_lib_default(lib);
        return 0;
    }
    char tech[4096];
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (hw->tech[0] != '/' && slash)
        snprintf(tech, sizeof tech, "%.*s/%s", (int)(slash - path), path, hw->tech);
    else
        snprintf(tech, sizeof tech, "%s", hw->tech);
    char m[600];
    char *text = sw_read_text(tech, m, sizeof m);
    if (!text) {
        snprintf(msg, size, "%s: [design] tech: %s", path ? path : "hw", m);
        return 2;
    }
    struct cm_error err;
    enum cm_status st = cm_lib_parse(lib, text, tech, &err);
    free(text);
    if (st != CM_OK) {
        snprintf(msg, size, "%s", err.msg);
        return 2;
    }
    return 0;
}

static long long max_abs32(const int32_t *v, size_t n)
{
    long long m = 0;
    for (size_t i = 0; i < n; i++) {
        long long a = v[i] < 0 ? -(long long)v[i] : v[i];
        m = a > m ? a : m;
    }
    return m;
}

static long long max_abs64(const int64_t *v, size_t n)
{
    long long m = 0;
    for (size_t i = 0; i < n; i++) {
        long long a = v[i] < 0 ? (v[i] == INT64_MIN ? INT64_MAX : -v[i]) : v[i];
        m = a > m ? a : m;
    }
    return m;
}

/* 1 if every weight code of a sign-magnitude layer is 0 or +-2^e (a pow2
 * layer's always are): what decides that a shift PE runs it in one pass
 * (docs/accelerator.md). */
static int weights_pow2(const struct nn_qnn_layer *s)
{
    if (s->w_code == NN_WCODE_POW2)
        return 1;
    if (s->w_code != NN_WCODE_SIGNMAG || !s->w)
        return 0;
    const size_t n = (size_t)s->out_c * nn_qnn_fan_in(s);
    for (size_t i = 0; i < n; i++) {
        const int a = s->w[i] < 0 ? -s->w[i] : s->w[i];
        if (a & (a - 1))
            return 0;
    }
    return 1;
}

void sw_net_from_qnn(const struct nn_qnn *q, struct cm_net *net, struct cm_layer *layers)
{
    memset(net, 0, sizeof *net);
    net->n_layers = q->n_layers;
    net->layers = layers;
    net->in_h = q->in_h;
    net->in_w = q->in_w;
    net->in_c = q->in_c;
    net->n_class = q->n_class;
    net->has_consts = 1;
    for (int i = 0; i < q->n_layers; i++) {
        const struct nn_qnn_layer *s = &q->layers[i];
        struct cm_layer *l = &layers[i];
        memset(l, 0, sizeof *l);
        l->op = s->op == NN_QNN_DENSE ? CM_OP_DENSE : CM_OP_CONV;
        l->in_h = s->in_h;
        l->in_w = s->in_w;
        l->in_c = s->in_c;
        l->out_h = s->out_h;
        l->out_w = s->out_w;
        l->out_c = s->out_c;
        l->k = s->k;
        l->stride = s->stride;
        l->pad = s->pad;
        l->in_bits = s->in_bits;
        l->in_sign = s->in_code == NN_CODE_SIGN;
        l->in_signed = s->in_code == NN_CODE_TERN || s->in_code == NN_CODE_POW2;
        l->w_code = s->w_code;  /* enum cm_wcode numbers nn_qnn_wcode's */
        l->w_mag_bits = s->w_code == NN_WCODE_BINARY ? 0 : s->w_mag_bits;
        l->w_max = s->w_max;
        l->w_pow2 = weights_pow2(s);
        l->scores = s->out_kind == NN_OUT_SCORES;
        l->out_bits = l->scores ? 0 : s->out_bits;
        l->out_sign = s->out_code == NN_CODE_SIGN;
        l->out_signed = s->out_code == NN_CODE_TERN || s->out_code == NN_CODE_POW2;
        l->merge = s->merge;
        l->mux_variant = s->mux_variant == NN_MUX_SEL ? CM_MUX_SEL : CM_MUX_OR;
        l->res = s->res;
        l->res_bits = s->res_bits;
        l->pool = s->pool;
        l->skip = s->skip;
        l->skip_stride = s->skip_stride;
        l->side = nn_qnn_is_side(q, i);
        if (s->thr)
            l->max_abs_thr = max_abs32(s->thr, (size_t)s->out_c * s->n_thr);
        if (s->rq_mul) {
            l->max_abs_mul = max_abs64(s->rq_mul, (size_t)s->out_c);
            l->max_abs_add = max_abs64(s->rq_add, (size_t)s->out_c);
        }
        l->rq_not_pow2_ch = -1;
        for (int c = 0; s->res && s->rq_mul && c < s->out_c; c++) {
            struct nn_rq_shift f;
            if (!nn_qnn_rq_shift_form(s->rq_mul[c], s->rq_add[c], s->rq_shift, &f)) {
                if (l->rq_not_pow2_ch < 0) {
                    l->rq_not_pow2_ch = c;
                    l->rq_not_pow2_mul = s->rq_mul[c];
                }
                continue;
            }
            long long o = f.off < 0 ? -(long long)f.off : (long long)f.off;
            l->rq_lshift = f.lshift > l->rq_lshift ? f.lshift : l->rq_lshift;
            l->rq_rshift = f.rshift > l->rq_rshift ? f.rshift : l->rq_rshift;
            l->rq_max_abs_off = o > l->rq_max_abs_off ? o : l->rq_max_abs_off;
        }
    }
}

void sw_model_name(const struct nn_qnn *q, const char *path, char *name, size_t size)
{
    char arch[256];
    if (nn_qnn_meta_get(q, NN_META_ARCH, arch, sizeof arch))
        snprintf(name, size, "%s (%s)", path, arch);
    else
        snprintf(name, size, "%s", path);
}

int sw_net_load(const char *model_path, const char *arch_text, float width,
                 const struct nn_model_config *cfg, struct cm_net *net, struct cm_layer **layers,
                 char *name, size_t name_size, char *msg, size_t size)
{
    *layers = NULL;
    struct nn_qnn q;
    struct nn_error err = {{0}};
    if (model_path) {
        if (nn_qnn_read(&q, model_path, &err) != NN_OK) {
            snprintf(msg, size, "%s", err.msg);
            return 2;
        }
        sw_model_name(&q, model_path, name, name_size);
    } else {
        struct nn_arch arch;
        struct nn_model m;
        if (nn_arch_parse(&arch, arch_text, width, &err) != NN_OK ||
            nn_model_init(&m, &arch, arch_text, cfg, &err) != NN_OK) {
            snprintf(msg, size, "%s", err.msg);
            return 2;
        }
        enum nn_status st = nn_model_export(&m, &q, &err);
        nn_model_free(&m);
        if (st != NN_OK) {
            snprintf(msg, size, "--arch %s: %s", arch_text, err.msg);
            return 2;
        }
        snprintf(name, name_size, "%s", arch_text);
    }
    *layers = calloc((size_t)q.n_layers, sizeof **layers);
    if (!*layers) {
        nn_qnn_free(&q);
        snprintf(msg, size, "out of memory");
        return 1;
    }
    sw_net_from_qnn(&q, net, *layers);
    net->has_consts = model_path != NULL;
    nn_qnn_free(&q);
    return 0;
}

int sw_design_for_qnn(const struct nn_qnn *q, const struct cm_hw *hw, const struct cm_lib *lib,
                      struct cm_design *d, struct cm_net *net, struct cm_layer **layers,
                      char *msg, size_t size)
{
    *layers = calloc((size_t)(q->n_layers > 0 ? q->n_layers : 1), sizeof **layers);
    if (!*layers) {
        snprintf(msg, size, "out of memory");
        return 1;
    }
    sw_net_from_qnn(q, net, *layers);
    struct cm_error err;
    enum cm_status st = cm_design_eval(d, hw, lib, net, &err);
    if (st == CM_OK)
        return 0;
    snprintf(msg, size, "%s%s", st == CM_ERR_INFEASIBLE ? "infeasible: " : "", err.msg);
    free(*layers);
    *layers = NULL;
    return st == CM_ERR_NOMEM ? 1 : 2;
}

/* nn/ckpt.c: the full-precision checkpoint (.lqc): atomic write, checked
 * read, and loading into a model.
 *
 * Byte layout, version 2 (every integer little-endian; a float is its
 * IEEE-754 binary32 bits as a u32):
 *
 *   offset  size  field
 *   0       8     magic "LOGIQFPC" (no NUL)
 *   8       4     u32 version (NN_CKPT_VERSION = 2; version 1 is read too)
 *   12      8     u64 file size in bytes, this header and the CRC included
 *   20      4     u32 text_len (< NN_CKPT_TEXT_MAX)
 *   24      T     text_len bytes of "key=value\n" lines: the options
 *   24+T    4     u32 n_tensors
 *   then n_tensors records:
 *           12    u32 layer (1-based), u32 kind (enum tensor_kind), u32 count
 *           4 x count   the values
 *   (version 2) 4 u32 n_state, then n_state records of the training state
 *           (0 unless written with optim_state: logiq train --checkpoint)
 *   last    4     u32 CRC-32 (zlib crc32) of every preceding byte
 *
 * The records come in a fixed order: per layer, w; then gamma, beta,
 * run_mean, run_var (hidden layers) or bias (the last layer); mux_p (MUX
 * merges); wq_scale, wq_thresh. The training state's records: opt_m and
 * opt_v (layer 0: the whole parameter arena), per layer with a learned step
 * wq_scale_m, wq_scale_v, then order (layer 0, u32 values: the training
 * set's order). Reading checks the magic, the version, that
 * the file is as long as its header says (a truncated file says so), the
 * checksum, then the options one by one; the records are checked against the
 * model being built, in nn_ckpt_load_model. docs/checkpoint-format.md is the
 * user's description. Nothing here prints. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "nn/ckpt.h"

#include "nn/binfile.h"
#include "nn/sinareq_train.h"
#include "nn/train.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES 24u
#define RECORD_BYTES 12u

enum tensor_kind {
    T_W = 1, T_GAMMA, T_BETA, T_BIAS, T_MUX_P, T_RUN_MEAN, T_RUN_VAR, T_WQ_SCALE,
    T_WQ_THRESH, T_OPT_M, T_OPT_V, T_WQ_SCALE_M, T_WQ_SCALE_V, T_ORDER, T_KIND_END
};

static const char *const kind_name[T_KIND_END] = {
    [T_W] = "w", [T_GAMMA] = "gamma", [T_BETA] = "beta", [T_BIAS] = "bias",
    [T_MUX_P] = "mux_p", [T_RUN_MEAN] = "run_mean", [T_RUN_VAR] = "run_var",
    [T_WQ_SCALE] = "wq_scale", [T_WQ_THRESH] = "wq_thresh", [T_OPT_M] = "opt_m",
    [T_OPT_V] = "opt_v", [T_WQ_SCALE_M] = "wq_scale_m", [T_WQ_SCALE_V] = "wq_scale_v",
    [T_ORDER] = "order",
};

/* ---- little-endian bytes ---- */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)nn_get_u32(p) | (uint64_t)nn_get_u32(p + 4) << 32;
}


/* ---- the model's tensors, in file order ---- */

struct tensor {
    int layer;                   /* 0-based; -1 for the whole model (written as 0) */
    enum tensor_kind kind;
    float *p;                    /* the values (u32 ones for T_ORDER: ip) */
    int *ip;
    size_t count;
};

/* Appends one tensor to the list t (NULL: only counts). */
static void add(struct tensor *t, int *n, int layer, enum tensor_kind kind, float *p,
                size_t count)
{
    if (t)
        t[*n] = (struct tensor){.layer = layer, .kind = kind, .p = p, .count = count};
    (*n)++;
}

/* Lists the training state's tensors in file order into t (NULL: count);
 * order [n_order] is the training set's order. */
static int list_state(const struct nn_model *m, int *order, int n_order, struct tensor *t)
{
    int n = 0;
    add(t, &n, -1, T_OPT_M, m->opt_m, m->n_params);
    add(t, &n, -1, T_OPT_V, m->opt_v, m->n_params);
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_wq *q = &m->layers[i].wq;
        if (q->scale_m) {
            add(t, &n, i, T_WQ_SCALE_M, q->scale_m, (size_t)q->n_group);
            add(t, &n, i, T_WQ_SCALE_V, q->scale_v, (size_t)q->n_group);
        }
    }
    add(t, &n, -1, T_ORDER, NULL, (size_t)n_order);
    if (t)
        t[n - 1].ip = order;
    return n;
}

/* Writes the records of t [n] at o; returns the end. */
static uint8_t *put_records(uint8_t *o, const struct tensor *t, int n)
{
    for (int i = 0; i < n; i++) {
        nn_put_u32(o, (uint32_t)(t[i].layer + 1));
        nn_put_u32(o + 4, (uint32_t)t[i].kind);
        nn_put_u32(o + 8, (uint32_t)t[i].count);
        o += RECORD_BYTES;
        for (size_t j = 0; j < t[i].count; j++, o += 4) {
            uint32_t bits;
            if (t[i].ip)
                bits = (uint32_t)t[i].ip[j];
            else
                memcpy(&bits, &t[i].p[j], 4);
            nn_put_u32(o, bits);
        }
    }
    return o;
}

/* Lists the tensors of m in file order into t (NULL: just count them). */
static int list_tensors(const struct nn_model *m, struct tensor *t)
{
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_layer *L = &m->layers[i];
        size_t oc = (size_t)L->out_c;
        add(t, &n, i, T_W, L->w, oc * (size_t)L->fan_in);
        if (L->hidden) {
            add(t, &n, i, T_GAMMA, L->gamma, oc);
            add(t, &n, i, T_BETA, L->beta, oc);
            add(t, &n, i, T_RUN_MEAN, L->run_mean, oc);
            add(t, &n, i, T_RUN_VAR, L->run_var, oc);
        } else {
            add(t, &n, i, T_BIAS, L->bias, oc);
        }
        if (L->mux_p)
            add(t, &n, i, T_MUX_P, L->mux_p, oc);
        add(t, &n, i, T_WQ_SCALE, L->wq.scale, (size_t)L->wq.n_group);
        add(t, &n, i, T_WQ_THRESH, L->wq.thresh, (size_t)L->wq.n_group);
    }
    return n;
}

/* ---- writing ---- */

static const char *ste_name(enum nn_ste s) { return s == NN_STE_CLIPPED ? "clipped" : "identity"; }

const char *nn_ckpt_float(char buf[24], float x)
{
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, 24, "%.*g", digits, (double)x);
        if (strtof(buf, NULL) == x)
            break;
    }
    return buf;
}

int nn_ckpt_train_opts_text(char *buf, size_t size, const struct nn_train_opts *o,
                            const char *data_kind, int n_train, int threads,
                            const struct nn_sinareq_opts *sq)
{
    char f[6][24];
    int n = snprintf(buf, size,
                     "data=%s\ntrain_images=%d\nepochs=%d\nbatch=%d\nlr=%s\noptim=%s\n"
                     "momentum=%s\nwd=%s\nsched=%s\nstep_every=%d\nstep_gamma=%s\n"
                     "crop_pad=%d\nhflip=%d\nthreads=%d\n",
                     data_kind, n_train, o->epochs, o->batch, nn_ckpt_float(f[0], o->lr),
                     o->optim == NN_OPTIM_SGD ? "sgd" : "adam", nn_ckpt_float(f[1], o->momentum),
                     nn_ckpt_float(f[2], o->weight_decay),
                     o->sched == NN_SCHED_STEP ? "step" : o->sched == NN_SCHED_CONST ? "const"
                                                                                  : "cosine",
                     o->step_every, nn_ckpt_float(f[3], o->step_gamma), o->aug.crop_pad,
                     o->aug.hflip, threads);
    if (n < 0 || (size_t)n >= size)
        return -1;
    if (sq) {
        int k = snprintf(buf + n, size - (size_t)n,
                         "sinareq=lq %s lb %s lq_sched %s lb_sched %s beta_lr %s beta_min %s\n",
                         nn_ckpt_float(f[0], sq->lq), nn_ckpt_float(f[1], sq->lb),
                         sq->lq_sched == NN_SINAREQ_LQ_RAMP ? "ramp" : "const",
                         sq->lb_sched == NN_SINAREQ_LB_PHASED ? "phased" : "const",
                         nn_ckpt_float(f[4], sq->beta_lr), nn_ckpt_float(f[5], sq->beta_min));
        if (k < 0 || (size_t)k >= size - (size_t)n)
            return -1;
        n += k;
        /* the first / last layer settings, unless they are those of the
         * checkpoints written before these options existed (first learned,
         * last fixed), whose text stays the same */
        if (sq->first != NN_SINAREQ_FIRST_LEARN || sq->last != NN_SINAREQ_LAST_FIXED) {
            n--; /* before the newline */
            k = snprintf(buf + n, size - (size_t)n, " first %s last %s\n",
                         nn_sinareq_first_name(sq->first), nn_sinareq_last_name(sq->last));
            if (k < 0 || (size_t)k >= size - (size_t)n)
                return -1;
            n += k;
        }
    }
    return n;
}

int nn_ckpt_state_text(char *buf, size_t size, size_t len, const struct nn_train_state *s)
{
    if (len >= size)
        return -1;
    int k = snprintf(buf + len, size - len,
                     "state_epoch=%d\nstate_batch=%d\nstate_t=%ld\n"
                     "state_rng_shuffle=%016" PRIx64 "\nstate_rng_aug=%016" PRIx64 "\n"
                     "state_loss_sum=%.17g\nstate_correct=%ld\nstate_seen=%ld\n"
                     "state_seconds=%.17g\n",
                     s->epoch, s->batch, s->t, s->rng_shuffle, s->rng_aug, s->loss_sum,
                     s->correct, s->seen, s->seconds);
    if (k < 0 || (size_t)k >= size - len)
        return -1;
    return (int)(len + (size_t)k);
}

enum nn_status nn_ckpt_state_parse(const char *meta, const char *path, struct nn_train_state *s,
                                   struct nn_error *err)
{
    static const char *const keys[] = {"state_epoch", "state_batch", "state_t",
                                       "state_rng_shuffle", "state_rng_aug", "state_loss_sum",
                                       "state_correct", "state_seen", "state_seconds"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char v[128], *end;
        if (!nn_meta_get(meta, keys[k], v, sizeof v))
            return nn_fail(err, NN_ERR_FORMAT, "%s: field '%s' missing", path, keys[k]);
        errno = 0;
        double d = 0.0;
        unsigned long long u = 0;
        const int real = k == 5 || k == 8;
        if (real)
            d = strtod(v, &end);
        else
            u = strtoull(v, &end, k == 3 || k == 4 ? 16 : 10);
        if (end == v || *end || errno || v[0] == '-')
            return nn_fail(err, NN_ERR_FORMAT, "%s: field '%s' = '%s': expected a %s", path,
                           keys[k], v, real ? "number" : "count");
        switch (k) {
        case 0: s->epoch = (int)u; break;
        case 1: s->batch = (int)u; break;
        case 2: s->t = (long)u; break;
        case 3: s->rng_shuffle = u; break;
        case 4: s->rng_aug = u; break;
        case 5: s->loss_sum = d; break;
        case 6: s->correct = (long)u; break;
        case 7: s->seen = (long)u; break;
        default: s->seconds = d; break;
        }
    }
    return NN_OK;
}

/* The options as text; returns its length, or -1 if it does not fit. */
static int options_text(char *buf, size_t size, const struct nn_model *m,
                        const struct nn_ckpt_info *info)
{
    const struct nn_model_config *c = &m->cfg;
    char f[4][24];
    int n = snprintf(buf, size,
                     "arch=%s\nwidth=%s\nin_h=%d\nin_w=%d\nin_c=%d\nn_class=%d\n"
                     "wq=%s\nwq_first=%s\nwq_last=%s\naq=%s\nmux=%s\nmux_select=%s\n"
                     "mux_init=%s\nres_bits=%d\nres_frac=%d\nheq_rate=%s\nwq_ste=%s\n"
                     "aqe=%s\naqe_ramp=%d\naqe_stochastic=%d\nseed=%" PRIu64 "\nnorm=%s\n"
                     "aqe_form=%s\n%s%s%s",
                     m->arch_text, nn_ckpt_float(f[0], info->width), c->in_h, c->in_w, c->in_c,
                     c->n_class, c->wq, c->wq_first, c->wq_last, c->aq,
                     c->mux == NN_MUX_SEL ? "sel" : "or", c->mux_learn ? "learned" : "fixed",
                     nn_ckpt_float(f[1], c->mux_init), c->res_bits, c->res_frac,
                     nn_ckpt_float(f[2], c->heq_rate), ste_name(c->wq_ste),
                     nn_ckpt_float(f[3], c->aqe_alpha), c->aqe_ramp, c->aqe_stochastic, c->seed,
                     info->norm == NN_NORM_MEANSTD ? "meanstd" : "scale",
                     c->aqe_form == NN_AQE_SCALED ? "scaled" : "paper", c->res_scale == NN_RES_SCALE_POW2 ? "res_scale=pow2\n" : "",
                     c->pool_order == NN_POOL_PAPER ? "pool_order=paper\n" : "",
                     info->meta ? info->meta : "");
    return n < 0 || (size_t)n >= size ? -1 : n;
}

enum nn_status nn_ckpt_write(const struct nn_model *m, const struct nn_ckpt_info *info,
                             const char *path, struct nn_error *err)
{
    if (info->meta && info->meta[0] && info->meta[strlen(info->meta) - 1] != '\n')
        return nn_fail(err, NN_ERR_ARG, "%s: metadata must end with a newline", path);
    char *text = malloc(NN_CKPT_TEXT_MAX);
    if (!text)
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory", path);
    int text_len = options_text(text, NN_CKPT_TEXT_MAX, m, info);
    if (text_len < 0) {
        free(text);
        return nn_fail(err, NN_ERR_ARG, "%s: options and metadata exceed %d bytes", path,
                       NN_CKPT_TEXT_MAX - 1);
    }
    int nt = list_tensors(m, NULL);
    int ns = info->optim_state ? list_state(m, NULL, 0, NULL) : 0;
    struct tensor *t = malloc((size_t)(nt + ns) * sizeof *t);
    if (!t) {
        free(text);
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory", path);
    }
    list_tensors(m, t);
    if (ns)
        list_state(m, info->order, info->n_order, t + nt);
    uint64_t size = HEADER_BYTES + (uint64_t)text_len + 4 + 4 + 4;
    for (int i = 0; i < nt + ns; i++)
        size += RECORD_BYTES + 4 * (uint64_t)t[i].count;
    uint8_t *buf = size <= SIZE_MAX ? malloc((size_t)size) : NULL;
    if (!buf) {
        free(text);
        free(t);
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory for %" PRIu64 " bytes", path, size);
    }
    uint8_t *o = buf;
    memcpy(o, NN_CKPT_MAGIC, 8);
    nn_put_u32(o + 8, NN_CKPT_VERSION);
    put_u64(o + 12, size);
    nn_put_u32(o + 20, (uint32_t)text_len);
    o += HEADER_BYTES;
    memcpy(o, text, (size_t)text_len);
    o += text_len;
    nn_put_u32(o, (uint32_t)nt);
    o = put_records(o + 4, t, nt);
    nn_put_u32(o, (uint32_t)ns);
    o = put_records(o + 4, t + nt, ns);
    nn_put_u32(o, nn_crc32(buf, size - 4));
    free(text);
    free(t);

    enum nn_status st = nn_file_write_atomic(path, buf, (uint64_t)size, err);
    free(buf);
    return st;
}

/* ---- reading ---- */


/* The option fields: each must appear exactly once. */
enum field {
    F_ARCH, F_WIDTH, F_IN_H, F_IN_W, F_IN_C, F_N_CLASS, F_WQ, F_WQ_FIRST, F_WQ_LAST, F_AQ,
    F_MUX, F_MUX_SELECT, F_MUX_INIT, F_RES_BITS, F_RES_FRAC, F_HEQ_RATE, F_WQ_STE, F_AQE,
    F_AQE_RAMP, F_AQE_STOCHASTIC, F_SEED, F_NORM,
    F_RES_SCALE,  /* optional (written only when pow2; files before it lack it) */
    F_AQE_FORM,   /* optional: files before it lack it, and meant scaled */
    F_POOL_ORDER, /* optional (written only when paper; files before it mean hw) */
    F_COUNT
};

static const char *const field_name[F_COUNT] = {
    "arch", "width", "in_h", "in_w", "in_c", "n_class", "wq", "wq_first", "wq_last", "aq",
    "mux", "mux_select", "mux_init", "res_bits", "res_frac", "heq_rate", "wq_ste", "aqe",
    "aqe_ramp", "aqe_stochastic", "seed", "norm", "res_scale", "aqe_form",
    "pool_order",
};

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_flt(const char *v, double lo, double hi, float *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi))
        return -1;
    *out = (float)x;
    return 0;
}

/* Copies v into a string field of size n; -1 if it does not fit. */
static int copy_str(char *dst, size_t n, const char *v)
{
    if (strlen(v) >= n)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* Applies one option to ck; returns NULL, or the expected form if v is bad. */
static const char *apply_field(struct nn_ckpt *ck, enum field f, const char *v)
{
    struct nn_model_config *c = &ck->cfg;
    long x;
    switch (f) {
    case F_ARCH:
        return copy_str(ck->arch_text, sizeof ck->arch_text, v) || !v[0]
                   ? "an architecture string" : NULL;
    case F_WIDTH: return parse_flt(v, 0.01, 64, &ck->width) ? "a number in [0.01, 64]" : NULL;
    case F_IN_H:
    case F_IN_W:
    case F_IN_C:
    case F_N_CLASS:
        if (parse_long(v, 1, 4096, &x))
            return "an integer in 1..4096";
        *(f == F_IN_H ? &c->in_h : f == F_IN_W ? &c->in_w : f == F_IN_C ? &c->in_c
                                                                          : &c->n_class) = (int)x;
        return NULL;
    case F_WQ: return copy_str(c->wq, sizeof c->wq, v) || !v[0] ? "a weight quantizer" : NULL;
    case F_WQ_FIRST: return copy_str(c->wq_first, sizeof c->wq_first, v) ? "a weight quantizer" : NULL;
    case F_WQ_LAST: return copy_str(c->wq_last, sizeof c->wq_last, v) ? "a weight quantizer" : NULL;
    case F_AQ: return copy_str(c->aq, sizeof c->aq, v) || !v[0] ? "an activation quantizer" : NULL;
    case F_MUX:
        if (strcmp(v, "or") && strcmp(v, "sel"))
            return "or or sel";
        c->mux = v[0] == 's' ? NN_MUX_SEL : NN_MUX_OR;
        return NULL;
    case F_MUX_SELECT:
        if (strcmp(v, "learned") && strcmp(v, "fixed"))
            return "learned or fixed";
        c->mux_learn = v[0] == 'l';
        return NULL;
    case F_MUX_INIT: return parse_flt(v, -10, 10, &c->mux_init) ? "a number in [-10, 10]" : NULL;
    case F_RES_BITS:
    case F_RES_FRAC:
        if (parse_long(v, 0, 32, &x))
            return "an integer in 0..32";
        *(f == F_RES_BITS ? &c->res_bits : &c->res_frac) = (int)x;
        return NULL;
    case F_HEQ_RATE: return parse_flt(v, 0, 1, &c->heq_rate) ? "a number in [0, 1]" : NULL;
    case F_WQ_STE:
        if (strcmp(v, "identity") && strcmp(v, "clipped"))
            return "identity or clipped";
        c->wq_ste = v[0] == 'c' ? NN_STE_CLIPPED : NN_STE_IDENTITY;
        return NULL;
    case F_AQE: return parse_flt(v, 0, 1, &c->aqe_alpha) ? "a number in [0, 1]" : NULL;
    case F_AQE_RAMP:
    case F_AQE_STOCHASTIC:
        if (parse_long(v, 0, 1, &x))
            return "0 or 1";
        *(f == F_AQE_RAMP ? &c->aqe_ramp : &c->aqe_stochastic) = (int)x;
        return NULL;
    case F_SEED: {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (errno || end == v || *end || v[0] == '-')
            return "an unsigned integer";
        c->seed = (uint64_t)s;
        return NULL;
    }
    case F_AQE_FORM:
        if (strcmp(v, "paper") && strcmp(v, "scaled"))
            return "paper or scaled";
        c->aqe_form = v[0] == 's' ? NN_AQE_SCALED : NN_AQE_PAPER;
        return NULL;
    case F_POOL_ORDER:
        if (strcmp(v, "hw") && strcmp(v, "paper"))
            return "hw or paper";
        c->pool_order = v[0] == 'p' ? NN_POOL_PAPER : NN_POOL_HW;
        return NULL;
    case F_RES_SCALE:
        if (strcmp(v, "free") && strcmp(v, "pow2"))
            return "free or pow2";
        c->res_scale = v[0] == 'p' ? NN_RES_SCALE_POW2 : NN_RES_SCALE_FREE;
        return NULL;
    case F_NORM:
        if (strcmp(v, "scale") && strcmp(v, "meanstd"))
            return "scale or meanstd";
        ck->norm = v[0] == 'm' ? NN_NORM_MEANSTD : NN_NORM_SCALE;
        return NULL;
    default:
        return "nothing";
    }
}

/* Parses the option text (text_len bytes at p) into ck. */
static enum nn_status parse_text(struct nn_ckpt *ck, const uint8_t *p, uint32_t len,
                                 const char *path, struct nn_error *err)
{
    char *text = malloc((size_t)len + 1);
    if (!text)
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory", path);
    memcpy(text, p, len);
    text[len] = 0;
    enum nn_status st = NN_OK;
    int seen[F_COUNT] = {0};
    size_t meta_n = 0;
    if (strlen(text) != len)
        st = nn_fail(err, NN_ERR_FORMAT, "%s: the option text holds a NUL byte", path);
    char *line = text;
    while (st == NN_OK && *line) {
        char *nl = strchr(line, '\n');
        if (!nl) {
            st = nn_fail(err, NN_ERR_FORMAT, "%s: option text: last line has no newline", path);
            break;
        }
        *nl = 0;
        char *eq = strchr(line, '=');
        if (!eq || eq == line) {
            st = nn_fail(err, NN_ERR_FORMAT, "%s: option line '%.60s': expected key=value",
                         path, line);
            break;
        }
        *eq = 0;
        const char *key = line, *val = eq + 1;
        int f = 0;
        while (f < F_COUNT && strcmp(key, field_name[f]) != 0)
            f++;
        if (f == F_COUNT) {
            /* metadata the reader does not interpret: kept as text */
            int w = snprintf(ck->meta + meta_n, sizeof ck->meta - meta_n, "%s=%s\n", key, val);
            if (w > 0 && (size_t)w < sizeof ck->meta - meta_n)
                meta_n += (size_t)w;
        } else if (seen[f]++) {
            st = nn_fail(err, NN_ERR_FORMAT, "%s: field '%s' given twice", path, key);
        } else {
            const char *want = apply_field(ck, (enum field)f, val);
            if (want)
                st = nn_fail(err, NN_ERR_FORMAT, "%s: field '%s' = '%.60s': expected %s", path,
                             key, val, want);
        }
        line = nl + 1;
    }
    for (int f = 0; st == NN_OK && f < F_COUNT; f++)
        if (!seen[f] && f != F_RES_SCALE && f != F_AQE_FORM && f != F_POOL_ORDER)
            st = nn_fail(err, NN_ERR_FORMAT, "%s: field '%s' missing", path, field_name[f]);
    if (!seen[F_AQE_FORM])
        ck->cfg.aqe_form = NN_AQE_SCALED;  /* what a file written before the paper form meant */
    free(text);
    return st;
}

static enum nn_status read_records(const struct nn_ckpt *ck, const uint8_t **pp,
                                   const struct tensor *t, int nt, int skip_wq,
                                   const char *what, struct nn_error *err);

/* Walks the records once, counts only: where the training state begins,
 * how many records it has, and that nothing lies after it. */
static enum nn_status find_state(struct nn_ckpt *ck, struct nn_error *err)
{
    const uint8_t *p = ck->buf + ck->tensors_at, *end = ck->buf + ck->size - 4;
    enum nn_status st = read_records(ck, &p, NULL, 0, 0, "model", err);
    ck->state_at = (uint64_t)(p - ck->buf);
    if (st == NN_OK && ck->version >= 2) {
        ck->n_state = nn_get_u32(p);
        st = read_records(ck, &p, NULL, 0, 0, "training state", err);
    }
    if (st == NN_OK && p != end)
        st = nn_fail(err, NN_ERR_FORMAT, "%s: %td bytes between the last tensor and the "
                     "checksum", ck->path, end - p);
    return st;
}

enum nn_status nn_ckpt_read(struct nn_ckpt *ck, const char *path, struct nn_error *err)
{
    memset(ck, 0, sizeof *ck);
    uint8_t *buf = NULL;
    uint64_t size = 0;
    enum nn_status st = nn_file_read_all(path, &buf, &size, err);
    if (st != NN_OK)
        return st;
    if (size < 8 || memcmp(buf, NN_CKPT_MAGIC, 8) != 0) {
        st = nn_fail(err, NN_ERR_FORMAT,
                     "%s: not a logiq checkpoint (bad magic, expected \"" NN_CKPT_MAGIC "\")",
                     path);
        goto fail;
    }
    if (size < HEADER_BYTES) {
        st = nn_fail(err, NN_ERR_FORMAT, "%s: truncated at byte %" PRIu64 " (header)", path,
                     size);
        goto fail;
    }
    uint32_t version = nn_get_u32(buf + 8);
    if (version < 1 || version > NN_CKPT_VERSION) {
        st = nn_fail(err, NN_ERR_FORMAT,
                     "%s: unsupported version %" PRIu32 " (this logiq reads versions 1 to %u)",
                     path, version, NN_CKPT_VERSION);
        goto fail;
    }
    uint64_t want = get_u64(buf + 12);
    if (size < want) {
        st = nn_fail(err, NN_ERR_FORMAT,
                     "%s: truncated at byte %" PRIu64 " (the header says %" PRIu64 " bytes)",
                     path, size, want);
        goto fail;
    }
    if (size > want) {
        st = nn_fail(err, NN_ERR_FORMAT,
                     "%s: %" PRIu64 " extra bytes after the end the header gives (%" PRIu64 ")",
                     path, size - want, want);
        goto fail;
    }
    if (size < HEADER_BYTES + 8 || nn_crc32(buf, size - 4) != nn_get_u32(buf + size - 4)) {
        st = nn_fail(err, NN_ERR_FORMAT, "%s: checksum mismatch (file corrupted)", path);
        goto fail;
    }
    uint32_t text_len = nn_get_u32(buf + 20);
    if (text_len >= NN_CKPT_TEXT_MAX || HEADER_BYTES + (uint64_t)text_len + 8 > size) {
        st = nn_fail(err, NN_ERR_FORMAT, "%s: field text_len = %" PRIu32 " out of range "
                     "(expected < %d and within the file)", path, text_len, NN_CKPT_TEXT_MAX);
        goto fail;
    }
    snprintf(ck->path, sizeof ck->path, "%s", path);
    nn_model_config_default(&ck->cfg);
    st = parse_text(ck, buf + HEADER_BYTES, text_len, path, err);
    if (st != NN_OK)
        goto fail;
    struct nn_error aerr;
    if (nn_arch_parse(&ck->arch, ck->arch_text, ck->width, &aerr) != NN_OK) {
        st = nn_fail(err, NN_ERR_FORMAT, "%s: field 'arch': %s", path, aerr.msg);
        goto fail;
    }
    ck->buf = buf;
    ck->size = size;
    ck->version = version;
    ck->tensors_at = HEADER_BYTES + text_len;
    st = find_state(ck, err);
    if (st != NN_OK)
        goto fail;
    return NN_OK;
fail:
    free(buf);
    memset(ck, 0, sizeof *ck);
    return st;
}

/* Reads n_file records at *pp against the expected list t [nt] (NULL: skip
 * them, checking only that they lie within the file) and advances *pp.
 * skip_wq: the saved quantizer state is not loaded (any count accepted). */
static enum nn_status read_records(const struct nn_ckpt *ck, const uint8_t **pp,
                                   const struct tensor *t, int nt, int skip_wq,
                                   const char *what, struct nn_error *err)
{
    const char *path = ck->path;
    const uint8_t *p = *pp, *end = ck->buf + ck->size - 4;
    if ((uint64_t)(end - p) < 4)
        return nn_fail(err, NN_ERR_FORMAT, "%s: the %s run past the end", path, what);
    uint32_t n_file = nn_get_u32(p);
    p += 4;
    if (t && n_file != (uint32_t)nt)
        return nn_fail(err, NN_ERR_FORMAT, "%s: %" PRIu32 " %s tensors, but its architecture "
                       "'%s' has %d", path, n_file, what, ck->arch_text, nt);
    for (uint32_t i = 0; i < n_file; i++) {
        if ((uint64_t)(end - p) < RECORD_BYTES)
            return nn_fail(err, NN_ERR_FORMAT, "%s: %s tensor %" PRIu32 " runs past the end",
                           path, what, i + 1);
        uint32_t layer = nn_get_u32(p), kind = nn_get_u32(p + 4), count = nn_get_u32(p + 8);
        p += RECORD_BYTES;
        if ((uint64_t)(end - p) / 4 < count)
            return nn_fail(err, NN_ERR_FORMAT, "%s: %s tensor %" PRIu32 " runs past the end",
                           path, what, i + 1);
        if (t) {
            const struct tensor *e = &t[i];
            int skip = skip_wq && (e->kind == T_WQ_SCALE || e->kind == T_WQ_THRESH);
            if (layer != (uint32_t)(e->layer + 1) || kind != (uint32_t)e->kind ||
                (!skip && count != e->count))
                return nn_fail(err, NN_ERR_FORMAT, "%s: %s tensor %" PRIu32 " is layer %" PRIu32
                               " %s of %" PRIu32 " values; the model needs layer %d %s of %zu",
                               path, what, i + 1, layer,
                               kind > 0 && kind < T_KIND_END ? kind_name[kind] : "(unknown kind)",
                               count, e->layer + 1, kind_name[e->kind], e->count);
            for (size_t j = 0; !skip && j < count; j++) {
                uint32_t bits = nn_get_u32(p + 4 * j);
                if (e->ip) {
                    e->ip[j] = (int)bits;
                    continue;
                }
                memcpy(&e->p[j], &bits, 4);
                if (!isfinite(e->p[j]))  /* a diverged training's, or a forged file */
                    return nn_fail(err, NN_ERR_FORMAT, "%s: %s tensor %" PRIu32 " (layer %d %s) "
                                   "value %zu is %s; expected finite numbers", path, what, i + 1,
                                   e->layer + 1, kind_name[e->kind], j + 1,
                                   isnan(e->p[j]) ? "NaN" : "infinite");
            }
        }
        p += 4 * (size_t)count;
    }
    *pp = p;
    return NN_OK;
}

/* Loads the model's records into m (built from the same architecture). */
static enum nn_status load_tensors(const struct nn_ckpt *ck, struct nn_model *m,
                                   enum nn_ckpt_wq wq, struct nn_error *err)
{
    int nt = list_tensors(m, NULL);
    struct tensor *t = malloc((size_t)nt * sizeof *t);
    if (!t)
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory", ck->path);
    list_tensors(m, t);
    const uint8_t *p = ck->buf + ck->tensors_at;
    enum nn_status st = read_records(ck, &p, t, nt, wq == NN_CKPT_WQ_REFIT, "model", err);
    if (st == NN_OK && wq == NN_CKPT_WQ_REFIT)
        nn_model_fit_quant(m, 1);
    free(t);
    return st;
}

enum nn_status nn_ckpt_load_model(const struct nn_ckpt *ck, struct nn_model *m,
                                  enum nn_ckpt_wq wq, struct nn_error *err)
{
    enum nn_status st = nn_model_init(m, &ck->arch, ck->arch_text, &ck->cfg, err);
    if (st != NN_OK)
        return st;
    st = load_tensors(ck, m, wq, err);
    if (st != NN_OK)
        nn_model_free(m);
    return st;
}

/* The option lines of a text, without the keys beginning with "state_",
 * each ending with a newline (a file's last line may lack one). */
static void option_lines(const char *text, size_t len, char *out, size_t size)
{
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (strncmp(p, "state_", 6) != 0 && n + l + 1 < size) {
            memcpy(out + n, p, l);
            n += l;
            out[n++] = '\n';
        }
        p += l + 1;
    }
    out[n] = 0;
}

/* A line's length without its newline, and its key's with the '=' (the
 * whole line when it has none). Every line ends with a newline
 * (options_text, option_lines). */
static size_t line_len(const char *line)
{
    return (size_t)(strchr(line, '\n') - line);
}

static size_t key_len(const char *line)
{
    const char *eq = memchr(line, '=', line_len(line));
    return eq ? (size_t)(eq - line) + 1 : line_len(line);
}

/* The line of text with line's key, or NULL. */
static const char *find_key(const char *text, const char *line)
{
    const size_t kl = key_len(line);
    for (const char *l = text; *l; l = strchr(l, '\n') + 1)
        if (key_len(l) == kl && strncmp(l, line, kl) == 0)
            return l;
    return NULL;
}

enum nn_status nn_ckpt_check_same(const struct nn_ckpt *ck, const struct nn_model *m,
                                  const struct nn_ckpt_info *info, struct nn_error *err)
{
    char *now = malloc(NN_CKPT_TEXT_MAX), *a = malloc(NN_CKPT_TEXT_MAX),
         *b = malloc(NN_CKPT_TEXT_MAX);
    enum nn_status st = NN_OK;
    int len = now && a && b ? options_text(now, NN_CKPT_TEXT_MAX, m, info) : -1;
    if (len < 0) {
        st = nn_fail(err, NN_ERR_NOMEM, "%s: out of memory", ck->path);
        goto done;
    }
    option_lines(now, (size_t)len, a, NN_CKPT_TEXT_MAX);
    option_lines((const char *)ck->buf + HEADER_BYTES, ck->tensors_at - HEADER_BYTES, b,
                 NN_CKPT_TEXT_MAX);
    /* the first line that differs, by key: given now and saved otherwise,
     * given now and not saved, or saved (an option written only when set,
     * such as res_scale=pow2 or pool_order=paper) and not given now */
    for (const char *la = a; *la && st == NN_OK; la = strchr(la, '\n') + 1) {
        const size_t ll = line_len(la);
        const char *found = find_key(b, la);
        if (!found)
            st = nn_fail(err, NN_ERR_ARG, "%s: field '%.*s' missing: not saved by this run's "
                         "command", ck->path, (int)key_len(la) - 1, la);
        else if (line_len(found) != ll || strncmp(found, la, ll) != 0)
            st = nn_fail(err, NN_ERR_ARG, "%s: saved with %.*s, but this command gives %.*s: "
                         "resume with the same options", ck->path, (int)line_len(found), found,
                         (int)ll, la);
    }
    for (const char *lb = b; *lb && st == NN_OK; lb = strchr(lb, '\n') + 1)
        if (!find_key(a, lb))
            st = nn_fail(err, NN_ERR_ARG, "%s: saved with %.*s, but this command does not give "
                         "it: resume with the same options", ck->path, (int)line_len(lb), lb);
done:
    free(now);
    free(a);
    free(b);
    return st;
}

int nn_ckpt_has_state(const struct nn_ckpt *ck)
{
    return ck->n_state > 0;
}

enum nn_status nn_ckpt_load_state(const struct nn_ckpt *ck, struct nn_model *m, int *order,
                                  int n_order, struct nn_error *err)
{
    enum nn_status st = load_tensors(ck, m, NN_CKPT_WQ_RESTORE, err);
    if (st != NN_OK)
        return st;
    const uint8_t *p = ck->buf + ck->state_at;
    if (!nn_ckpt_has_state(ck))
        return nn_fail(err, NN_ERR_ARG, "%s: holds no training state (written by --save-fp, "
                       "not --checkpoint)", ck->path);
    int ns = list_state(m, NULL, 0, NULL);
    struct tensor *t = malloc((size_t)ns * sizeof *t);
    if (!t)
        return nn_fail(err, NN_ERR_NOMEM, "%s: out of memory", ck->path);
    list_state(m, order, n_order, t);
    st = read_records(ck, &p, t, ns, 0, "training state", err);
    free(t);
    return st;
}

void nn_ckpt_free(struct nn_ckpt *ck)
{
    free(ck->buf);
    memset(ck, 0, sizeof *ck);
}

/* nn/sinareq_train.c: SINAREQ's learned bit widths in training (the
 * definitions and logiq's choices are in nn/sinareq_train.h; the regularizer
 * itself is nn/sinareq.c). Serial loops with sums in double: the same
 * weights give the same bits whatever the thread count. */
#include "nn/sinareq_train.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/qnn.h"
#include "nn/sinareq.h"

void nn_sinareq_opts_default(struct nn_sinareq_opts *o)
{
    memset(o, 0, sizeof *o);
    o->lq = 1.0f;
    o->lb = 0.03f;
    o->lq_sched = NN_SINAREQ_LQ_RAMP;
    o->lb_sched = NN_SINAREQ_LB_PHASED;
    o->beta_lr = 0.01f;
    o->beta_min = 2.0f;
    o->first = NN_SINAREQ_FIRST_EXEMPT;
    o->last = NN_SINAREQ_LAST_LEARN;
}

enum nn_status nn_sinareq_lq_sched_parse(enum nn_sinareq_lq_sched *s, const char *text,
                                         struct nn_error *err)
{
    if (strcmp(text, "ramp") == 0)
        *s = NN_SINAREQ_LQ_RAMP;
    else if (strcmp(text, "const") == 0)
        *s = NN_SINAREQ_LQ_CONST;
    else
        return nn_fail(err, NN_ERR_ARG, "SINAREQ lambda_q schedule '%s': expected ramp or const",
                       text);
    return NN_OK;
}

enum nn_status nn_sinareq_lb_sched_parse(enum nn_sinareq_lb_sched *s, const char *text,
                                         struct nn_error *err)
{
    if (strcmp(text, "phased") == 0)
        *s = NN_SINAREQ_LB_PHASED;
    else if (strcmp(text, "const") == 0)
        *s = NN_SINAREQ_LB_CONST;
    else
        return nn_fail(err, NN_ERR_ARG,
                       "SINAREQ lambda_beta schedule '%s': expected phased or const", text);
    return NN_OK;
}

enum nn_status nn_sinareq_first_parse(enum nn_sinareq_first *f, const char *text,
                                      struct nn_error *err)
{
    if (strcmp(text, "exempt") == 0)
        *f = NN_SINAREQ_FIRST_EXEMPT;
    else if (strcmp(text, "learn") == 0)
        *f = NN_SINAREQ_FIRST_LEARN;
    else
        return nn_fail(err, NN_ERR_ARG, "SINAREQ first layer '%s': expected exempt or learn",
                       text);
    return NN_OK;
}

enum nn_status nn_sinareq_last_parse(enum nn_sinareq_last *l, const char *text,
                                     struct nn_error *err)
{
    if (strcmp(text, "learn") == 0)
        *l = NN_SINAREQ_LAST_LEARN;
    else if (strcmp(text, "fixed") == 0)
        *l = NN_SINAREQ_LAST_FIXED;
    else
        return nn_fail(err, NN_ERR_ARG, "SINAREQ last layer '%s': expected learn or fixed",
                       text);
    return NN_OK;
}

const char *nn_sinareq_first_name(enum nn_sinareq_first f)
{
    return f == NN_SINAREQ_FIRST_LEARN ? "learn" : "exempt";
}

const char *nn_sinareq_last_name(enum nn_sinareq_last l)
{
    return l == NN_SINAREQ_LAST_FIXED ? "fixed" : "learn";
}

enum nn_status nn_sinareq_first_spec(const char *wq, char *buf, size_t size,
                                     struct nn_error *err)
{
    struct nn_wq q;
    int hi;
    if (size)
        buf[0] = 0;
    if (nn_wq_parse(&q, wq, err) != NN_OK)
        return NN_ERR_ARG;
    if (nn_wq_spec_bits(&q, NULL, &hi) == 0)
        return NN_OK; /* not a SINAREQ host: the first layer keeps wq */
    int rc = nn_wq_set_bits(&q, hi);
    (void)rc;
    assert(rc == 0);
    nn_wq_spec(&q, buf, size);
    return NN_OK;
}

enum nn_status nn_sinareq_init(struct nn_sinareq *s, const struct nn_model *m,
                               const struct nn_sinareq_opts *o, struct nn_error *err)
{
    memset(s, 0, sizeof *s);
    s->o = *o;
    s->n_layers = m->n_layers;
    if (!(o->lq >= 0.0f) || !(o->lb >= 0.0f) || !(o->beta_lr >= 0.0f))
        return nn_fail(err, NN_ERR_ARG, "SINAREQ: strengths and beta's learning rate must be "
                       ">= 0");
    if ((o->first != NN_SINAREQ_FIRST_EXEMPT && o->first != NN_SINAREQ_FIRST_LEARN) ||
        (o->last != NN_SINAREQ_LAST_LEARN && o->last != NN_SINAREQ_LAST_FIXED))
        return nn_fail(err, NN_ERR_ARG, "SINAREQ: unknown first / last layer setting");
    size_t n_max = 0;
    int n_on = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_layer *L = &m->layers[i];
        int lo, hi;
        int b = nn_wq_spec_bits(&L->wq, &lo, &hi);
        if (b == 0 || (i == 0 && o->first == NN_SINAREQ_FIRST_EXEMPT) ||
            (!L->hidden && o->last == NN_SINAREQ_LAST_FIXED))
            continue;
        if (!(o->beta_min >= (float)lo) || o->beta_min > (float)b)
            return nn_fail(err, NN_ERR_ARG, "SINAREQ: layer %d (%s:%d): the lowest bit width "
                           "%g must be in %d..%d", i + 1, L->wq.ops->name, b,
                           (double)o->beta_min, lo, b);
        s->on[i] = 1;
        s->bits_max[i] = b;
        s->beta[i] = b;
        size_t n = (size_t)L->out_c * L->fan_in;
        n_max = n > n_max ? n : n_max;
        n_on++;
    }
    if (n_on == 0)
        return nn_fail(err, NN_ERR_ARG, "SINAREQ needs dorefa:B or wrpn:B weights on at least "
                       "one layer it may learn (--wq; the first is %s, the last %s)",
                       o->first == NN_SINAREQ_FIRST_EXEMPT ? "exempt" : "learned",
                       o->last == NN_SINAREQ_LAST_FIXED ? "fixed" : "learned");
    s->x = malloc(n_max * sizeof *s->x);
    s->dx = malloc(n_max * sizeof *s->dx);
    if (!s->x || !s->dx) {
        nn_sinareq_free(s);
        return nn_fail(err, NN_ERR_NOMEM, "SINAREQ: out of memory for %zu weights", n_max);
    }
    return NN_OK;
}

void nn_sinareq_free(struct nn_sinareq *s)
{
    free(s->x);
    free(s->dx);
    s->x = s->dx = NULL;
}

int nn_sinareq_bits_of(const struct nn_sinareq *s, int l)
{
    return s->on[l] ? nn_sinareq_bits(s->beta[l]) : 0;
}

void nn_sinareq_apply_bits(const struct nn_sinareq *s, struct nn_model *m)
{
    for (int i = 0; i < s->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        if (!s->on[i] || nn_wq_spec_bits(&L->wq, NULL, NULL) == nn_sinareq_bits_of(s, i))
            continue;
        int rc = nn_wq_set_bits(&L->wq, nn_sinareq_bits_of(s, i));
        (void)rc;
        assert(rc == 0); /* beta stays in [beta_min, B], inside the host's range */
        /* the dorefa / wrpn fit is a function of w and K alone: refitting
         * here changes nothing else */
        L->wq.ops->fit(&L->wq, L->w, L->out_c, L->fan_in, 0);
    }
}

void nn_sinareq_strengths(struct nn_sinareq *s, double epoch, double epochs)
{
    s->lambda_q = s->o.lq * (s->o.lq_sched == NN_SINAREQ_LQ_RAMP
                                 ? nn_sinareq_lambda_q(epoch, epochs) : 1.0);
    s->lambda_b = s->o.lb * (s->o.lb_sched == NN_SINAREQ_LB_PHASED
                                 ? nn_sinareq_lambda_beta(epoch, epochs) : 1.0);
}

/* R(x; beta) of layer L in its quantizer's domain (see the header); with dw,
 * adds scale dR/dw into dw and writes scale dR/dbeta into *dbeta. */
static double layer_reg(struct nn_sinareq *s, const struct nn_layer *L, double beta,
                        double scale, float *dw, double *dbeta)
{
    const struct nn_wq *q = &L->wq;
    const int dorefa = q->kind == NN_WQ_DOREFA;
    const size_t n = (size_t)L->out_c * L->fan_in;
    for (int c = 0; c < L->out_c; c++) {
        const float M = q->thresh[q->mode == NN_SCALE_CHANNEL ? c : 0];
        for (size_t i = (size_t)c * L->fan_in; i < (size_t)(c + 1) * L->fan_in; i++) {
            const float w = L->w[i];
            s->x[i] = dorefa ? tanhf(w) / (2.0f * M) + 0.5f
                             : (w < -1.0f ? -1.0f : w > 1.0f ? 1.0f : w);
        }
    }
    const double b = dorefa ? beta : beta - 1.0; /* WRPN: beta - 1 magnitude bits */
    if (!dw)
        return nn_sinareq_reg(s->x, n, b, scale, NULL, dbeta);
    memset(s->dx, 0, n * sizeof *s->dx);
    double r = nn_sinareq_reg(s->x, n, b, scale, s->dx, dbeta);
    for (int c = 0; c < L->out_c; c++) {
        const float M = q->thresh[q->mode == NN_SCALE_CHANNEL ? c : 0];
        for (size_t i = (size_t)c * L->fan_in; i < (size_t)(c + 1) * L->fan_in; i++) {
            const float w = L->w[i];
            float d;
            if (dorefa) {
                const float t = tanhf(w);
                d = (1.0f - t * t) / (2.0f * M);
            } else {
                d = fabsf(w) <= 1.0f ? 1.0f : 0.0f;
            }
            dw[i] += s->dx[i] * d;
        }
    }
    return r;
}

double nn_sinareq_backward(struct nn_sinareq *s, struct nn_model *m, double epoch,
                           double epochs)
{
    nn_sinareq_strengths(s, epoch, epochs);
    double total = 0.0;
    for (int i = 0; i < s->n_layers; i++) {
        if (!s->on[i])
            continue;
        struct nn_layer *L = &m->layers[i];
        double db = 0.0;
        s->reg[i] = layer_reg(s, L, s->beta[i], s->lambda_q, L->dw, &db);
        s->dbeta[i] = db + s->lambda_b;
        total += s->lambda_q * s->reg[i];
    }
    return total;
}

void nn_sinareq_step(struct nn_sinareq *s, float lr_scale)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    s->t++;
    const double c1 = 1.0 / (1.0 - pow(b1, (double)s->t));
    const double c2 = 1.0 / (1.0 - pow(b2, (double)s->t));
    const double lr = (double)s->o.beta_lr * (double)lr_scale;
    for (int i = 0; i < s->n_layers; i++) {
        if (!s->on[i])
            continue;
        const double g = s->dbeta[i];
        s->adam_m[i] = b1 * s->adam_m[i] + (1.0 - b1) * g;
        s->adam_v[i] = b2 * s->adam_v[i] + (1.0 - b2) * g * g;
        double b = s->beta[i] - lr * (s->adam_m[i] * c1) / (sqrt(s->adam_v[i] * c2) + eps);
        const double lo = s->o.beta_min, hi = s->bits_max[i];
        s->beta[i] = b < lo ? lo : b > hi ? hi : b;
    }
}

void nn_sinareq_terms(struct nn_sinareq *s, const struct nn_model *m, double *reg,
                      double *cost)
{
    double r = 0.0, c = 0.0;
    for (int i = 0; i < s->n_layers; i++) {
        if (!s->on[i])
            continue;
        r += s->lambda_q * layer_reg(s, &m->layers[i], s->beta[i], 1.0, NULL, NULL);
        c += s->lambda_b * s->beta[i];
    }
    *reg = r;
    *cost = c;
}

void nn_sinareq_log_header(const struct nn_sinareq *s, FILE *f)
{
    fprintf(f, ",sq_lambda_q,sq_lambda_b,sq_reg,sq_cost,sq_mean_bits");
    for (int i = 0; i < s->n_layers; i++)
        if (s->on[i])
            fprintf(f, ",l%d_beta,l%d_bits", i + 1, i + 1);
}

void nn_sinareq_log_row(struct nn_sinareq *s, const struct nn_model *m, FILE *f)
{
    double reg, cost, bits = 0.0;
    int n = 0;
    nn_sinareq_terms(s, m, &reg, &cost);
    for (int i = 0; i < s->n_layers; i++)
        if (s->on[i]) {
            bits += nn_sinareq_bits_of(s, i);
            n++;
        }
    fprintf(f, ",%.6g,%.6g,%.6g,%.6g,%.4f", s->lambda_q, s->lambda_b, reg, cost,
            n ? bits / n : 0.0);
    for (int i = 0; i < s->n_layers; i++)
        if (s->on[i])
            fprintf(f, ",%.6f,%d", s->beta[i], nn_sinareq_bits_of(s, i));
}

/* ---- the state, for resuming ---- */

static const char *const state_key[3] = {"state_sinareq_beta", "state_sinareq_m",
                                         "state_sinareq_v"};

static double *state_field(struct nn_sinareq *s, int k)
{
    return k == 0 ? s->beta : k == 1 ? s->adam_m : s->adam_v;
}

int nn_sinareq_state_text(const struct nn_sinareq *s, char *buf, size_t size)
{
    size_t n = 0;
    int w = snprintf(buf, size, "state_sinareq_t=%ld\n", s->t);
    if (w < 0 || (size_t)w >= size)
        return -1;
    n = (size_t)w;
    for (int k = 0; k < 3; k++) {
        const double *v = state_field((struct nn_sinareq *)s, k);
        w = snprintf(buf + n, size - n, "%s=", state_key[k]);
        for (int i = 0; w > 0 && (size_t)w < size - n && i < s->n_layers; i++) {
            n += (size_t)w;
            w = snprintf(buf + n, size - n, "%s%.17g", i ? "," : "", s->on[i] ? v[i] : 0.0);
        }
        if (w < 0 || (size_t)w >= size - n)
            return -1;
        n += (size_t)w;
        if (n + 2 > size)
            return -1;
        buf[n++] = '\n';
        buf[n] = 0;
    }
    return (int)n;
}

enum nn_status nn_sinareq_state_parse(struct nn_sinareq *s, const char *meta,
                                      struct nn_error *err)
{
    char buf[4096];
    char *end;
    if (!nn_meta_get(meta, "state_sinareq_t", buf, sizeof buf))
        return nn_fail(err, NN_ERR_FORMAT, "field 'state_sinareq_t' missing");
    long t = strtol(buf, &end, 10);
    if (*end || t < 0)
        return nn_fail(err, NN_ERR_FORMAT, "field 'state_sinareq_t' = '%s': expected a count",
                       buf);
    double val[3][NN_MAX_LAYERS];
    for (int k = 0; k < 3; k++) {
        if (!nn_meta_get(meta, state_key[k], buf, sizeof buf))
            return nn_fail(err, NN_ERR_FORMAT, "field '%s' missing", state_key[k]);
        const char *p = buf;
        for (int i = 0; i < s->n_layers; i++) {
            val[k][i] = strtod(p, &end);
            if (end == p || (*end != ',' && *end) || (*end == ',') != (i + 1 < s->n_layers) ||
                !isfinite(val[k][i]))
                return nn_fail(err, NN_ERR_FORMAT, "field '%s' = '%.60s': expected %d numbers",
                               state_key[k], buf, s->n_layers);
            p = end + (*end == ',');
        }
    }
    s->t = t;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < s->n_layers; i++)
            if (s->on[i])
                state_field(s, k)[i] = val[k][i];
    return NN_OK;
}

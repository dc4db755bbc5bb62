/* nn/export.c: a trained model as the hardware's integers (nn/qnn.h).
 *
 * Folding, per hidden layer l and output channel c (doubles throughout):
 *
 *   s_in    value of one input integer: 1/255 for pixels, else the previous
 *           activation quantizer's value scale
 *   S_c     = wq.scale[group(c)] * s_in            z_c = S_c * acc_c
 *   A_c     = gamma_c / sqrt(running_var_c + eps)
 *   y_c     = alpha_c * acc_c + beta'_c,   alpha_c = A_c S_c,
 *                                          beta'_c = beta_c - A_c running_mean_c
 *
 * Plain layers compare acc with integer thresholds: y >= t_j becomes
 * acc >= ceil((t_j - beta')/alpha) when alpha > 0; when alpha < 0 the
 * channel's weight codes are negated (codes are symmetric) so the comparison
 * stays ">=" with ceil(-(t_j - beta')/alpha); alpha == 0 gives a constant.
 * Residual-stream layers requantize y to the stream's fixed point,
 * Y = floor((M acc + B) / 2^sh) = round-half-up(y 2^F), M = round(alpha 2^(F+sh)),
 * B = round((beta' 2^F + 1/2) 2^sh), and compare the stream u with
 * ceil(t_j 2^F). With res_scale POW2, alpha is rounded to a power of two in
 * units of 2^-F as the training forward rounds it, so M = +-2^e exactly and
 * the requantizer is a shift (docs/accelerator.md). nn_qnn_rq_narrow then narrows (M, B, sh) to the smallest sh
 * that gives the same Y on the layer's whole accumulator range. The last layer's scores are round(S_c 2^sh) acc + round(b_c 2^sh).
 *
 * The AQE paper's order (pool_order PAPER: conv -> max pool -> batch norm
 * -> activation h) computes h(alpha max_window(acc) + beta'). The hardware
 * thresholds, then max-pools the codes: for alpha > 0 that is the same,
 * max_window h(y_i). For alpha < 0 it is min_window h(y_i), which the
 * pooling unit cannot take; for the odd-symmetric codes (sign, tern, pow2:
 * value(n - k) = -value(k) for n thresholds) min h = -max(-h), so the channel
 * is exported to give -h(y): its weights are not negated, and its code is
 * #{j : y < t_j} = #{j : acc > (t_j - beta')/alpha} = #{j : acc >=
 * floor((t_j - beta')/alpha) + 1}, thresholds taken in reverse order to
 * ascend. The max pool then yields -(the wanted code), and every layer
 * reading the map (its src) negates its weight codes of that input channel
 * (each kernel tap; each position of a flattened map), so its accumulator is
 * unchanged. The zero padding is the value 0, which negation keeps. The
 * {0,1} and uniform codes have no such symmetry; nn_model_init refuses them
 * in PAPER pooling layers.
 *
 * Thresholds are taken from the float values t_j the training forward uses,
 * so the float evaluation and the integer model differ only where a float
 * pre-activation lies within rounding error of a threshold (a tie). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"


static int32_t clamp_i32(double v)
{
    if (v <= (double)INT32_MIN)
        return INT32_MIN;
    if (v >= (double)INT32_MAX)
        return INT32_MAX;
    return (int32_t)v;
}

/* The shift that puts the largest |v| near 2^30. */
static int pick_shift(double max_abs)
{
    if (!(max_abs > 0.0))
        return 0;
    int sh = (int)floor(30.0 - log2(max_abs));
    return sh < 0 ? 0 : sh > 40 ? 40 : sh;
}

static enum nn_qnn_code code_of(const struct nn_aq *q)
{
    return q->kind == NN_AQ_HEAVISIDE ? NN_CODE_BIN01
         : q->kind == NN_AQ_SIGN      ? NN_CODE_SIGN
         : q->kind == NN_AQ_TERN      ? NN_CODE_TERN
         : q->kind == NN_AQ_POW2      ? NN_CODE_POW2
                                      : NN_CODE_UINT;
}

/* neg [out_c] (hidden layers): set to 1 for a channel exported negated
 * (pool_first with alpha < 0: the header above), else 0. */
static enum nn_status export_layer(const struct nn_model *m, int i, struct nn_qnn_layer *q,
                                   uint8_t *neg, struct nn_error *err)
{
    const struct nn_layer *L = &m->layers[i];
    const struct nn_model_config *cfg = &m->cfg;
    if (!L->wq.ops->to_int)
        return nn_fail(err, NN_ERR_ARG, "layer %d: full-precision weights cannot be exported "
                       "as integers (choose a weight quantizer)", i + 1);
    if (L->hidden && nn_aq_n_thresh(&L->aq) == 0)
        return nn_fail(err, NN_ERR_ARG, "layer %d: activation '%s' cannot be exported as "
                       "integers (choose 1, sign, 2, 3, tern or pow2:3)", i + 1, L->aq.ops->name);
    q->op = L->spec.op == NN_OP_CONV ? NN_QNN_CONV : NN_QNN_DENSE;
    q->in_h = L->in_h;
    q->in_w = L->in_w;
    q->in_c = L->in_c;
    q->out_h = L->out_h;
    q->out_w = L->out_w;
    q->out_c = L->out_c;
    q->k = L->spec.op == NN_OP_CONV ? L->spec.k : 1;
    q->stride = L->spec.op == NN_OP_CONV ? L->spec.stride : 1;
    q->pad = L->spec.op == NN_OP_CONV ? L->spec.pad : 0;
    double s_in;
    if (L->spec.src < 0) {
        q->in_code = NN_CODE_PIXEL8;
        q->in_bits = 8;
        s_in = 1.0 / 255.0;
    } else {
        const struct nn_aq *pa = &m->layers[L->spec.src].aq;
        q->in_code = code_of(pa);
        q->in_bits = pa->bits;
        s_in = (double)nn_aq_value_scale(pa);
    }
    /* each quantizer's levels in the fewest bits that hold them: pow2:B's
     * 2q + 1 levels in B bits (sign and exponent code), dorefa:B's 2^B odd
     * levels in B offset-binary bits; any other in sign-magnitude */
    q->w_max = L->wq.K;
    if (L->wq.kind == NN_WQ_BINARY) {
        q->w_code = NN_WCODE_BINARY;
        q->w_mag_bits = 0;
    } else {
        q->w_code = L->wq.kind == NN_WQ_POW2     ? NN_WCODE_POW2
                    : L->wq.kind == NN_WQ_DOREFA ? NN_WCODE_OFFSET
                                                 : NN_WCODE_SIGNMAG;
        q->w_mag_bits = nn_wq_bits(&L->wq) - 1;
    }
    q->merge = L->spec.merge;
    q->mux_variant = cfg->mux;
    q->res = L->res;
    q->res_bits = L->res ? cfg->res_bits : 0;
    q->res_frac = L->res ? cfg->res_frac : 0;
    q->pool = L->spec.pool;
    q->src = L->spec.src + 1;
    q->skip = L->spec.merge != NN_MERGE_NONE ? L->spec.skip + 1 : 0;
    q->skip_stride = L->spec.merge == NN_MERGE_NONE      ? 0
                     : L->spec.shortcut == NN_SC_PAD ? L->spec.skip_stride
                                                     : 1;

    const int C = L->out_c;
    const size_t nw = (size_t)C * L->fan_in;
    q->w = malloc(nw);
    if (!q->w)
        return nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
    L->wq.ops->to_int(&L->wq, q->w, L->w, C, L->fan_in);

    double *S = malloc((size_t)C * sizeof(double));
    if (!S)
        return nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
    for (int c = 0; c < C; c++)
        S[c] = (double)L->wq.scale[L->wq.n_group > 1 ? c : 0] * s_in;

    enum nn_status st = NN_OK;
    if (!L->hidden) {
        q->out_kind = NN_OUT_SCORES;
        q->rq_mul = malloc((size_t)C * sizeof(int64_t));
        q->rq_add = malloc((size_t)C * sizeof(int64_t));
        if (!q->rq_mul || !q->rq_add) {
            st = nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
            goto done;
        }
        double mx = 0.0;
        for (int c = 0; c < C; c++)
            mx = fmax(mx, fabs(S[c]));
        q->rq_shift = pick_shift(mx);
        for (int c = 0; c < C; c++) {
            q->rq_mul[c] = llround(ldexp(S[c], q->rq_shift));
            q->rq_add[c] = llround(ldexp((double)L->bias[c], q->rq_shift));
        }
        goto done;
    }

    q->out_kind = NN_OUT_THRESH;
    q->out_code = code_of(&L->aq);
    q->out_bits = L->aq.bits;
    q->n_thr = nn_aq_n_thresh(&L->aq);
    q->thr = malloc((size_t)C * q->n_thr * sizeof(int32_t));
    if (!q->thr) {
        st = nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
        goto done;
    }
    if (q->merge == NN_MERGE_MUX) {
        q->mux_sel = malloc((size_t)C);
        if (!q->mux_sel) {
            st = nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
            goto done;
        }
        for (int c = 0; c < C; c++)
            q->mux_sel[c] = L->mux_p[c] >= 0.0f;
    }
    if (q->res) {
        q->rq_mul = malloc((size_t)C * sizeof(int64_t));
        q->rq_add = malloc((size_t)C * sizeof(int64_t));
        if (!q->rq_mul || !q->rq_add) {
            st = nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
            goto done;
        }
    }
    const int F = cfg->res_frac;
    double max_alpha = 0.0, max_beta = 0.0;
    double *alpha = malloc((size_t)C * 2 * sizeof(double));
    if (!alpha) {
        st = nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
        goto done;
    }
    double *beta = alpha + C;
    for (int c = 0; c < C; c++) {
        double A = (double)L->gamma[c] / sqrt((double)L->run_var[c] + (double)NN_BN_EPS);
        alpha[c] = A * S[c];
        if (q->res && cfg->res_scale == NN_RES_SCALE_POW2 && alpha[c] != 0.0 && S[c] != 0.0) {
            /* the training forward's power-of-two scale (nn_model_forward):
             * y = P (z - mean) + beta with P S = pow2(A S) */
            alpha[c] = nn_res_scale_pow2(alpha[c], F);
            A = alpha[c] / S[c];
        }
        beta[c] = (double)L->beta[c] - A * (double)L->run_mean[c];
        max_alpha = fmax(max_alpha, fabs(alpha[c]));
        max_beta = fmax(max_beta, fabs(beta[c]));
    }
    if (q->res) {
        int sh = pick_shift(ldexp(max_alpha, F));
        while (sh > 0 && ldexp(max_beta, F + sh) > 0x1p60)
            sh--;
        q->rq_shift = sh;
    }
    for (int c = 0; c < C; c++) {
        int32_t *thr = q->thr + (size_t)c * q->n_thr;
        if (q->res) {
            q->rq_mul[c] = llround(ldexp(alpha[c], F + q->rq_shift));
            q->rq_add[c] = llround(ldexp(ldexp(beta[c], F) + 0.5, q->rq_shift));
            for (int j = 0; j < q->n_thr; j++)
                thr[j] = clamp_i32(ceil(ldexp((double)nn_aq_thresh(&L->aq, j + 1), F)));
            continue;
        }
        if (L->pool_first && alpha[c] < 0.0) {
            if (q->out_code != NN_CODE_SIGN && q->out_code != NN_CODE_TERN &&
                q->out_code != NN_CODE_POW2) {
                st = nn_fail(err, NN_ERR_ARG, "layer %d: --pool-order paper with a negative "
                             "batch-norm scale needs sign, tern or pow2 activations", i + 1);
                break;
            }
            neg[c] = 1;
            for (int j = 0; j < q->n_thr; j++) {
                double t = (double)nn_aq_thresh(&L->aq, q->n_thr - j);
                thr[j] = clamp_i32(floor((t - beta[c]) / alpha[c]) + 1.0);
            }
            continue;
        }
        if (alpha[c] < 0.0)
            for (int k = 0; k < L->fan_in; k++)
                q->w[(size_t)c * L->fan_in + k] = (int8_t)-q->w[(size_t)c * L->fan_in + k];
        for (int j = 0; j < q->n_thr; j++) {
            double t = (double)nn_aq_thresh(&L->aq, j + 1);
            if (alpha[c] > 0.0)
                thr[j] = clamp_i32(ceil((t - beta[c]) / alpha[c]));
            else if (alpha[c] < 0.0)
                thr[j] = clamp_i32(ceil(-(t - beta[c]) / alpha[c]));
            else
                thr[j] = beta[c] >= t ? INT32_MIN : INT32_MAX;
        }
    }
    free(alpha);
done:
    free(S);
    return st;
}

enum nn_status nn_model_export(const struct nn_model *m, struct nn_qnn *q,
                               struct nn_error *err)
{
    memset(q, 0, sizeof *q);
    q->layers = calloc((size_t)m->n_layers, sizeof *q->layers);
    if (!q->layers)
        return nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
    q->n_layers = m->n_layers;
    q->in_h = m->cfg.in_h;
    q->in_w = m->cfg.in_w;
    q->in_c = m->cfg.in_c;
    q->n_class = m->cfg.n_class;
    size_t n_neg = 0;
    for (int i = 0; i < m->n_layers; i++)
        n_neg += (size_t)m->layers[i].out_c;
    uint8_t *neg = calloc(n_neg, 1);  /* [layer][out_c]: exported negated (header) */
    if (!neg) {
        nn_qnn_free(q);
        return nn_fail(err, NN_ERR_NOMEM, "export: out of memory");
    }
    size_t off = 0;
    for (int i = 0; i < m->n_layers; i++) {
        enum nn_status st = export_layer(m, i, &q->layers[i], neg + off, err);
        if (st != NN_OK) {
            free(neg);
            nn_qnn_free(q);
            return st;
        }
        off += (size_t)m->layers[i].out_c;
    }
    /* every reader of a negated channel takes it negated back */
    off = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const uint8_t *ng = neg + off;
        off += (size_t)m->layers[i].out_c;
        if (!memchr(ng, 1, (size_t)m->layers[i].out_c))
            continue;
        for (int j = i + 1; j < m->n_layers; j++) {
            const struct nn_layer *R = &m->layers[j];
            if (R->spec.merge != NN_MERGE_NONE && R->spec.skip == i) {
                free(neg);
                nn_qnn_free(q);
                return nn_fail(err, NN_ERR_ARG, "layer %d: --pool-order paper: a negated "
                               "channel cannot be a merge's skip (layer %d)", i + 1, j + 1);
            }
            if (R->spec.src != i)
                continue;
            int8_t *w = q->layers[j].w;
            const size_t nw = (size_t)R->out_c * R->fan_in;
            for (size_t k = 0; k < nw; k++)  /* fan_in is [..][in_c], channel fastest */
                if (ng[(k % (size_t)R->fan_in) % (size_t)R->in_c])
                    w[k] = (int8_t)-w[k];
        }
    }
    free(neg);
    /* the same integer model with the narrowest requantizer constants */
    nn_qnn_rq_narrow(q);
    enum nn_status st = nn_qnn_validate(q, err);
    if (st != NN_OK)
        nn_qnn_free(q);
    return st;
}

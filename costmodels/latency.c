/* costmodels/latency.c: the analytic cycle count (docs/accelerator.md).
 *
 * Not here: anything about energy or gates. The formula is the contract with
 * sim/, which must arrive at the same number by stepping its pipeline. */
#include "costmodels/latency.h"

long long cm_layer_skip_values(const struct cm_layer *l)
{
    const long long h = l->pool > 0 ? l->out_h / l->pool : l->out_h;
    const long long w = l->pool > 0 ? l->out_w / l->pool : l->out_w;
    return h * w * l->out_c;
}

long long cm_net_skip_layout(const struct cm_net *net, long long *base)
{
    long long need = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        base[i] = 0;
        if (!cm_net_writes_skip(net, i))
            continue;
        const long long size = cm_layer_skip_values(l);
        if (l->merge != CM_MERGE_NONE) {
            const int k = cm_net_skip_of(net, i);
            const struct cm_layer *s = &net->layers[k];
            const long long rd = base[k];
            const int gather = l->skip_stride > 1 || s->out_c != l->out_c;
            base[i] = !gather ? rd : size <= rd ? 0 : rd + cm_layer_skip_values(s);
        }
        if (base[i] + size > need)
            need = base[i] + size;
    }
    return need;
}

int cm_layer_fan_in(const struct cm_layer *l)
{
    return l->op == CM_OP_DENSE ? l->in_h * l->in_w * l->in_c : l->k * l->k * l->in_c;
}

long long cm_layer_positions(const struct cm_layer *l)
{
    if (l->pool > 0) {
        long long ph = l->out_h / l->pool, pw = l->out_w / l->pool;
        return ph * l->pool * pw * l->pool;
    }
    return (long long)l->out_h * l->out_w;
}

int cm_layer_a_planes(const struct cm_layer *l)
{
    return l->in_signed ? cm_layer_act_q(l) : l->in_bits;
}

int cm_layer_act_q(const struct cm_layer *l)
{
    return l->in_signed ? (1 << (l->in_bits - 1)) - 1 : 0;
}

int cm_layer_shift(const struct cm_hw *hw, const struct cm_layer *l)
{
    return hw->pe == CM_PE_SHIFT && l->w_pow2 && l->w_mag_bits >= 2 &&
           l->w_mag_bits <= hw->max_w_bits;
}

int cm_layer_w_code(const struct cm_layer *l)
{
    if (l->w_code >= CM_WCODE_BINARY && l->w_code <= CM_WCODE_OFFSET)
        return l->w_code;
    return l->w_mag_bits > 0 ? CM_WCODE_SIGNMAG : CM_WCODE_BINARY;
}

int cm_layer_store_code(const struct cm_hw *hw, const struct cm_layer *l)
{
    const int c = cm_layer_w_code(l);
    /* exponent codes decoded in the fetch unit: on the bit-plane PE with
     * pow2_words = code only (a shift PE design holds the pow2 layers its
     * shift path cannot take as planes) */
    if (c == CM_WCODE_POW2 && (hw->pow2_words == CM_POW2_PLANES || hw->pe != CM_PE_BITPLANE) &&
        !cm_layer_shift(hw, l))
        return CM_WCODE_SIGNMAG;
    return c;
}

int cm_layer_pow2_code_bits(const struct cm_layer *l)
{
    return cm_bits_for(l->w_mag_bits);
}

int cm_layer_w_passes(const struct cm_hw *hw, const struct cm_layer *l)
{
    if (cm_layer_shift(hw, l))
        return 1;
    return l->w_mag_bits > 0 ? l->w_mag_bits : 1;
}

static long long ceil_div(long long a, long long b)
{
    return (a + b - 1) / b;
}

void cm_layer_cycles(const struct cm_hw *hw, const struct cm_layer *l, struct cm_cycles *c)
{
    c->tiles = ceil_div(l->out_c, hw->pe_rows);
    c->positions = cm_layer_positions(l);
    c->chunks = ceil_div(cm_layer_fan_in(l), hw->lanes);
    c->w_passes = cm_layer_w_passes(hw, l);
    c->a_planes = cm_layer_a_planes(l);
    c->issue = c->tiles * c->positions * c->chunks * c->w_passes * c->a_planes;
    c->merge_extra = 0;
    if (l->scores)
        c->drain = CM_DRAIN_SCORES + l->out_c + (CM_SCORE_STAGES - 1);
    else if (l->res) {
        c->merge_extra = hw->add_stages;
        c->drain = CM_DRAIN_PLAIN + c->merge_extra;
    } else
        c->drain = CM_DRAIN_PLAIN;
    c->total = 1 + c->issue + c->drain;
}

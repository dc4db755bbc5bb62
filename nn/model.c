/* nn/model.c: building a model from an architecture, and its forward and
 * backward over a batch (the data flow of one layer is in nn/model.h).
 *
 * Not here: the layer kernels (nn/conv.c ...), the quantizers (nn/quant*.c),
 * the optimizer (nn/optim.c), the export to integers (nn/export.c). */
#include "nn/model.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/data.h"
#include "nn/xnor.h"

#define BN_MOMENTUM 0.1f

void nn_model_config_default(struct nn_model_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->in_h = 28;
    cfg->in_w = 28;
    cfg->in_c = 1;
    cfg->n_class = 10;
    snprintf(cfg->wq, sizeof cfg->wq, "heq:3");
    snprintf(cfg->aq, sizeof cfg->aq, "1");
    cfg->mux = NN_MUX_OR;
    cfg->mux_learn = 1;
    cfg->mux_init = 0.01f;
    cfg->aqe_alpha = 0.0f;
    cfg->aqe_ramp = 0;
    cfg->aqe_stochastic = 0;
    cfg->aqe_form = NN_AQE_PAPER;
    cfg->pool_order = NN_POOL_HW;
    cfg->res_bits = 8;
    cfg->res_frac = 4;
    cfg->heq_rate = 0.05f;
    cfg->wq_ste = NN_STE_IDENTITY;
    cfg->max_batch = 128;
    cfg->seed = 1;
}

/* Layer numbers as the architecture string counts them (side layers not
 * counted; a side layer is named by the layer after it). */
static int user_number(const struct nn_model *m, int i)
{
    int n = 0;
    for (int j = 0; j <= i; j++)
        n += !m->layers[j].spec.side;
    return n + (m->layers[i].spec.side ? 1 : 0);
}

/* Checks the merge of layer i (shapes resolved up to i) and marks the add
 * streams. The skip (its source's output after pooling, or the stream u of
 * an add) reaches the output's shape by the shortcut: equal shapes without
 * one; PAD subsamples by the block's stride and zero-pads the channels; a
 * PROJ side layer has the output's shape already. */
static enum nn_status resolve_merge(struct nn_model *m, int i, struct nn_error *err)
{
    struct nn_layer *L = &m->layers[i];
    const struct nn_layer_spec *s = &L->spec;
    struct nn_layer *K = &m->layers[s->skip];
    const int n = user_number(m, i);
    const int st = s->shortcut == NN_SC_PAD ? s->skip_stride : 1;
    const int fits = L->out_h == (K->ph + st - 1) / st && L->out_w == (K->pw + st - 1) / st &&
                     (s->shortcut == NN_SC_PAD ? L->out_c >= K->out_c : L->out_c == K->out_c);
    if (!fits)
        return nn_fail(err, NN_ERR_ARG,
                       "layer %d: its block changes the shape %dx%dx%d -> %dx%dx%d, which %s",
                       n, K->ph, K->pw, K->out_c, L->out_h, L->out_w, L->out_c,
                       s->shortcut == NN_SC_NONE
                           ? "needs a shortcut: +X/pad or +X/proj"
                           : "the pad shortcut cannot bridge (it subsamples by the block's "
                             "stride and adds channels)");
    L->skip_gather = K->ph != L->out_h || K->pw != L->out_w || K->out_c != L->out_c;
    if (s->merge == NN_MERGE_ADD) {
        if (K->spec.pool)
            return nn_fail(err, NN_ERR_ARG,
                           "layer %d: an add merge's source (layer %d) must not pool", n,
                           user_number(m, s->skip));
        K->res = 1;
        L->res = 1;
    } else if (L->aq.kind != NN_AQ_HEAVISIDE || K->aq.kind != NN_AQ_HEAVISIDE) {
        return nn_fail(err, NN_ERR_ARG,
                       "layer %d: %s merges need binary {0,1} activations (aq 1) on both paths",
                       n, s->merge == NN_MERGE_OR ? "OR" : "MUX");
    }
    return NN_OK;
}

/* Resolves shapes and quantizers of every layer; checks the wiring. */
static enum nn_status resolve_layers(struct nn_model *m, struct nn_error *err)
{
    const struct nn_model_config *cfg = &m->cfg;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        const struct nn_layer_spec *s = &L->spec;
        const struct nn_layer *S = s->src >= 0 ? &m->layers[s->src] : NULL;
        const int h = S ? S->ph : cfg->in_h, w = S ? S->pw : cfg->in_w,
                  c = S ? S->out_c : cfg->in_c;
        L->dout_first = L->du_first = -1;
        L->in_h = h;
        L->in_w = w;
        L->in_c = c;
        L->hidden = i < m->n_layers - 1;
        if (s->op == NN_OP_CONV) {
            L->out_h = nn_conv_out_size(h, s->k, s->stride, s->pad);
            L->out_w = nn_conv_out_size(w, s->k, s->stride, s->pad);
            if (L->out_h < 1 || L->out_w < 1)
                return nn_fail(err, NN_ERR_ARG,
                               "layer %d (conv %dx%d): input %dx%d is too small", i + 1,
                               s->k, s->k, h, w);
            L->fan_in = s->k * s->k * c;
        } else {
            L->out_h = L->out_w = 1;
            L->fan_in = h * w * c;
        }
        L->out_c = s->out_c;
        if (!L->hidden && s->out_c != cfg->n_class)
            return nn_fail(err, NN_ERR_ARG,
                           "layer %d (f%d): the last layer gives the class scores, but the data "
                           "has %d classes (expected f%d)", i + 1, s->out_c, cfg->n_class,
                           cfg->n_class);
        L->ph = s->pool ? L->out_h / s->pool : L->out_h;
        L->pw = s->pool ? L->out_w / s->pool : L->out_w;
        if (L->ph < 1 || L->pw < 1)
            return nn_fail(err, NN_ERR_ARG, "layer %d: pooling %d on a %dx%d map", i + 1,
                           s->pool, L->out_h, L->out_w);

        const char *wspec = s->wq[0] ? s->wq
                          : (i == 0 && cfg->wq_first[0]) ? cfg->wq_first
                          : (!L->hidden && cfg->wq_last[0]) ? cfg->wq_last
                          : cfg->wq;
        enum nn_status st = nn_wq_parse(&L->wq, wspec, err);
        if (st != NN_OK)
            return st;
        L->wq.heq_rate = cfg->heq_rate;
        if (cfg->wq_ste == NN_STE_CLIPPED) /* else keep the spec's own choice */
            L->wq.ste = NN_STE_CLIPPED;
        st = nn_aq_parse(&L->aq, L->hidden ? (s->aq[0] ? s->aq : cfg->aq) : "fp", err);
        if (st != NN_OK)
            return st;
        if (cfg->aqe_alpha > 0.0f && L->aq.bits > 0)
            L->aq.ste = NN_STE_CLIPPED; /* AQE's indicator, scaled by 2 alpha */
        L->aq.isa = m->isa;

        if (s->merge != NN_MERGE_NONE) {
            st = resolve_merge(m, i, err);
            if (st != NN_OK)
                return st;
        }
        if (s->op == NN_OP_DENSE && (L->ph != 1 || L->pw != 1))
            return nn_fail(err, NN_ERR_ARG, "layer %d: dense output must be 1x1", i + 1);
        L->pool_first = cfg->pool_order == NN_POOL_PAPER && L->hidden && s->pool &&
                        s->merge == NN_MERGE_NONE;
        /* a negative batch-norm scale turns the paper order's pooling into a
         * min pooling of the codes; the export takes it as the max of the
         * negated codes, which only odd-symmetric codes allow (nn/export.c) */
        if (L->pool_first &&
            (L->aq.kind == NN_AQ_HEAVISIDE || L->aq.kind == NN_AQ_UNIFORM))
            return nn_fail(err, NN_ERR_ARG,
                           "--pool-order paper: layer %d pools activation '%s', whose codes are "
                           "not symmetric (expected sign, tern or pow2:B there, or --pool-order "
                           "hw)", user_number(m, i), L->aq.ops->name);
    }
    /* the first writer, in backward's order, of each layer's output and
     * stream gradient (it zeroes them; layers.h's accumulation rule) */
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_layer_spec *s = &m->layers[i].spec;
        if (s->src >= 0)
            m->layers[s->src].dout_first = i;
        if (s->merge == NN_MERGE_ADD)
            m->layers[s->skip].du_first = i;
        else if (s->merge != NN_MERGE_NONE)
            m->layers[s->skip].dout_first = i;
    }
    return NN_OK;
}

/* Carves n floats from a bump arena (sizes are computed in a first pass with
 * base == NULL, then the arena is allocated and the pass repeated). */
static float *take(float *base, size_t *off, size_t n)
{
    float *p = base ? base + *off : NULL;
    *off += (n + 15) & ~(size_t)15; /* 64-byte alignment of every buffer */
    return p;
}

static void layout_params(struct nn_model *m, float *p, float *g, size_t *n)
{
    size_t off = 0;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        size_t o = off;
        size_t nw = (size_t)L->out_c * L->fan_in;
        L->w = take(p, &off, nw);
        L->dw = take(g, &o, nw);
        if (L->hidden) {
            L->gamma = take(p, &off, L->out_c);
            L->dgamma = take(g, &o, L->out_c);
            L->beta = take(p, &off, L->out_c);
            L->dbeta = take(g, &o, L->out_c);
        } else {
            L->bias = take(p, &off, L->out_c);
            L->dbias = take(g, &o, L->out_c);
        }
        if (L->spec.merge == NN_MERGE_MUX) {
            L->mux_p = take(p, &off, L->out_c);
            L->dmux_p = take(g, &o, L->out_c);
        }
    }
    *n = off;
}

/* Whether weights of kind q are scale * code with code in {-1, +1}
 * (binary) or {-1, 0, +1} (the ternary kinds, and the B-bit and N-level
 * kinds at K = 1) and a scale >= 0 fitted from |w|: the kinds whose code
 * range training never changes (SINAREQ moves DoReFa's and WRPN's widths;
 * LSQ learns its scale, which may change sign). */
static int popcount_weights(const struct nn_wq *q)
{
    switch (q->kind) {
    case NN_WQ_BINARY:
    case NN_WQ_TWN:
    case NN_WQ_HEQ:
    case NN_WQ_UNIFORM:
    case NN_WQ_TQUANT:
    case NN_WQ_MQUANT:
    case NN_WQ_POW2:
    case NN_WQ_RTN:
        return q->K == 1;
    default:
        return 0;
    }
}

/* Whether layer i is a conv with binary or ternary weights over a sign,
 * Heaviside or ternary activation (values in {-1, 0, +1}): then its forward
 * product is an exact integer (nn/xnor.h). */
static int popcount_conv(const struct nn_model *m, int i)
{
    const struct nn_layer *L = &m->layers[i];
    if (L->spec.src < 0 || L->spec.op != NN_OP_CONV || L->fan_in > NN_XNOR_MAX_K ||
        !popcount_weights(&L->wq))
        return 0;
    const enum nn_aq_kind a = m->layers[L->spec.src].aq.kind;
    return a == NN_AQ_SIGN || a == NN_AQ_HEAVISIDE || a == NN_AQ_TERN;
}

/* The Winograd tile of layer i (nn/winograd.c), or 0 for im2col: a conv of
 * 3x3, stride 1, pad 1 and at least NN_WINO_MIN_C input channels runs its
 * backward there, and its forward unless it is a popcount_conv (whose exact
 * forward stays); with the model's tile (m->wino_tile), or 2 on maps
 * smaller than 4 x 4, which a 4 x 4 tile would mostly overhang. */
static int winograd_conv(const struct nn_model *m, int i)
{
    const struct nn_layer *L = &m->layers[i];
    if (m->wino_tile == 0 || L->spec.op != NN_OP_CONV ||
        !nn_wino_applies(L->spec.k, L->spec.stride, L->spec.pad, L->in_c, L->out_c))
        return 0;
    return L->in_h < 4 || L->in_w < 4 ? 2 : m->wino_tile;
}

static void layout_acts(struct nn_model *m, float *a, size_t *n)
{
    size_t off = 0;
    size_t B = (size_t)m->cfg.max_batch;
    size_t dcol = 0;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        size_t nw = (size_t)L->out_c * L->fan_in;
        size_t pos = B * L->out_h * L->out_w;
        size_t nz = pos * L->out_c;
        size_t nout = B * L->ph * L->pw * L->out_c;
        L->wq_val = take(a, &off, nw);
        L->dwq = take(a, &off, nw);
        L->run_mean = take(a, &off, L->out_c);
        L->run_var = take(a, &off, L->out_c);
        L->bn_mean = take(a, &off, L->out_c);
        L->bn_rstd = take(a, &off, L->out_c);
        L->wino = winograd_conv(m, i);
        size_t ncol = L->spec.op == NN_OP_CONV ? pos * L->fan_in : 0, nscratch = ncol;
        if (L->wino) { /* popcount convs: col or the packed pixels for the forward, then V */
            size_t nv = nn_wino_v_floats(L->wino, (int)B, L->in_h, L->in_w, L->in_c);
            const size_t nbits =
                nn_conv_xnor_pixel_bytes((int)B, L->in_h, L->in_w, L->in_c) / sizeof(float) + 1;
            nv = nv > nbits ? nv : nbits;
            ncol = popcount_conv(m, i) && ncol > nv ? ncol : nv;
            nscratch = nn_wino_ws_floats(L->wino, (int)B, L->in_h, L->in_w, L->in_c, L->out_c);
        }
        L->col = L->spec.op == NN_OP_CONV ? take(a, &off, ncol) : NULL;
        dcol = nscratch > dcol ? nscratch : dcol;
        L->z = take(a, &off, nz);
        L->dz = take(a, &off, nz);
        if (!L->hidden) {
            L->out = L->z;
            L->dout = L->dz;
            continue;
        }
        if (L->pool_first) {
            /* z -> zp -> y -> a = out, all but z at the pooled size; no
             * merge, no stream (an add's source never pools) */
            L->zp = take(a, &off, nout);
            L->dzp = take(a, &off, nout);
            L->y = take(a, &off, nout);
            L->dy = take(a, &off, nout);
            L->a = L->m = L->out = take(a, &off, nout);
            L->da = L->dm = L->dout = take(a, &off, nout);
            L->yq = L->u = L->du = L->rs_r = L->skipv = L->dskipv = NULL;
            continue;
        }
        L->zp = L->dzp = NULL;
        L->y = take(a, &off, nz);
        L->dy = take(a, &off, nz);
        L->yq = L->res ? take(a, &off, nz) : NULL;
        L->u = L->res ? take(a, &off, nz) : NULL;
        L->du = L->res ? take(a, &off, nz) : NULL;
        L->rs_r = L->res ? take(a, &off, L->out_c) : NULL;
        L->a = take(a, &off, nz);
        L->da = take(a, &off, nz);
        int mixes = L->spec.merge == NN_MERGE_OR || L->spec.merge == NN_MERGE_MUX;
        L->m = mixes ? take(a, &off, nz) : L->a;
        L->dm = mixes ? take(a, &off, nz) : L->da;
        L->out = L->spec.pool ? take(a, &off, nout) : L->m;
        L->dout = L->spec.pool ? take(a, &off, nout) : L->dm;
        L->skipv = L->skip_gather ? take(a, &off, nz) : NULL;
        L->dskipv = L->skip_gather ? take(a, &off, nz) : NULL;
    }
    m->dcol = take(a, &off, dcol);
    m->probs = take(a, &off, B * m->cfg.n_class);
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        L->sel = L->spec.merge == NN_MERGE_MUX ? take(a, &off, L->out_c) : NULL;
    }
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        const int xnor = popcount_conv(m, i);
        /* the signs, then (ternary weights) the non-zero mask: two floats a word */
        const size_t words = nn_xnor_weight_words(L->out_c, L->fan_in);
        L->wbits = xnor ? (uint64_t *)(void *)take(a, &off, 2 * 2 * words) : NULL;
        L->wcode = xnor ? take(a, &off, (size_t)L->out_c * L->fan_in) : NULL;
    }
    *n = off;
}

static size_t layout_argmax(struct nn_model *m, int *base)
{
    size_t off = 0;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        size_t n = (size_t)m->cfg.max_batch * L->ph * L->pw * L->out_c;
        L->argmax = NULL;
        if (L->spec.pool) {
            L->argmax = base ? base + off : NULL;
            off += n;
        }
    }
    return off;
}

/* The layer that ORs layer i's output in (an OR merge, or a MUX-OR merge,
 * whose selects start on), or -1. */
static int ors_into(const struct nn_model *m, int i)
{
    for (int j = i + 1; j < m->n_layers; j++) {
        const struct nn_layer_spec *s = &m->layers[j].spec;
        if (s->skip == i &&
            (s->merge == NN_MERGE_OR || (s->merge == NN_MERGE_MUX && m->cfg.mux == NN_MUX_OR)))
            return j;
    }
    return -1;
}

/* The initial batch-norm shift of a Heaviside layer: a chain of d binary maps
 * OR-ed together (a layer, the skip it ORs in, that skip's own, and so on,
 * up to the layer whose output leaves the chain) starts with density 1/2 at
 * its end: every map of the chain fires with p = 1 - 2^(-1/d), so beta =
 * Phi^-1(p), which is 0 for a plain layer (d = 1). Without it an OR chain of
 * 3 starts at density 7/8 and its 2x2 max pool (an OR of 4) near 1. */
static float or_chain_beta(const struct nn_model *m, int i)
{
    int d = 1;
    for (int lo = i; m->layers[lo].spec.merge != NN_MERGE_NONE &&
                     ors_into(m, m->layers[lo].spec.skip) == lo;
         lo = m->layers[lo].spec.skip)
        d++;
    for (int hi = ors_into(m, i); hi >= 0; hi = ors_into(m, hi))
        d++;
    if (d <= 1)
        return 0.0f;
    const double p = 1.0 - pow(2.0, -1.0 / d);
    /* Phi^-1(p) by bisection on erfc (p in (0, 1/2], no table needed) */
    double a = -8.0, b = 0.0;
    for (int it = 0; it < 60; it++) {
        const double x = 0.5 * (a + b);
        if (0.5 * erfc(-x / sqrt(2.0)) < p)
            a = x;
        else
            b = x;
    }
    return (float)(0.5 * (a + b));
}

static void init_params(struct nn_model *m)
{
    uint64_t rng = m->cfg.seed ^ 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        /* std 1/sqrt(3 fan_in), the variance of PyTorch's default conv and
         * linear init (uniform on +-1/sqrt(fan_in)). Every hidden layer is
         * followed by batch norm, so the scale of w sets only its effective
         * learning rate: Adam moves w by about lr per step whatever its size,
         * and He's sqrt(2/fan_in), 2.45x larger, learns 2.45x slower
         * (refcnn fp, 2 epochs: 90.9% with He, 92.1% with this). */
        float sd = sqrtf(1.0f / (3.0f * (float)L->fan_in));
        size_t nw = (size_t)L->out_c * L->fan_in;
        for (size_t j = 0; j < nw; j++)
            L->w[j] = sd * nn_rng_normal(&rng);
        for (int c = 0; c < L->out_c; c++) {
            if (L->hidden) {
                L->gamma[c] = 1.0f;
                L->beta[c] = L->aq.kind == NN_AQ_HEAVISIDE ? or_chain_beta(m, i) : 0.0f;
            } else {
                L->bias[c] = 0.0f;
            }
            if (L->mux_p)
                L->mux_p[c] = m->cfg.mux_init;
            L->run_mean[c] = 0.0f;
            L->run_var[c] = 1.0f;
        }
        for (size_t j = 0; j < nw; j++)
            m->decay[(size_t)(L->w - m->params) + j] = 1;
    }
}

enum nn_status nn_model_init(struct nn_model *m, const struct nn_arch *arch,
                             const char *arch_text, const struct nn_model_config *cfg,
                             struct nn_error *err)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->aqe_now = cfg->aqe_alpha;
    m->arch = *arch;
    snprintf(m->arch_text, sizeof m->arch_text, "%s", arch_text);
    m->n_layers = arch->n_layers;
    enum nn_status st = nn_isa_from_env(&m->isa, err);
    if (st == NN_OK)
        st = nn_wino_tile_from_env(&m->wino_tile, err);
    if (st != NN_OK)
        return st;
    if (cfg->max_batch < 2)
        return nn_fail(err, NN_ERR_ARG, "batch size %d: expected at least 2", cfg->max_batch);
    if (cfg->res_bits < 2 || cfg->res_bits > 24 || cfg->res_frac < 0 ||
        cfg->res_frac >= cfg->res_bits)
        return nn_fail(err, NN_ERR_ARG,
                       "residual fixed point %d bits with %d fractional: expected 2..24 bits "
                       "and 0 <= fractional < bits", cfg->res_bits, cfg->res_frac);
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i].spec = arch->layers[i];
    st = resolve_layers(m, err);
    if (st != NN_OK)
        goto fail;
    for (int i = 0; i < m->n_layers; i++) {
        st = nn_wq_init(&m->layers[i].wq, m->layers[i].out_c, err);
        if (st != NN_OK)
            goto fail;
    }

    layout_params(m, NULL, NULL, &m->n_params);
    layout_acts(m, NULL, &m->arena_n);
    size_t n_idx = layout_argmax(m, NULL);
    /* refused up front: an allocation the kernel grants lazily would thrash or
     * be killed when touched */
    const double need_gib = ((double)m->n_params * (4 * sizeof(float) + 1) +
                             (double)m->arena_n * sizeof(float) + (double)n_idx * sizeof(int)) /
                            (1024.0 * 1024.0 * 1024.0);
    const double limit_gib = cfg->max_mem_gib > 0 ? cfg->max_mem_gib : NN_MODEL_MAX_MEM_GIB;
    if (need_gib > limit_gib) {
        st = nn_fail(err, NN_ERR_ARG, "the network needs %.3g GiB (%.3g parameters, %.3g "
                     "activations at batch %d), over the limit of %g GiB (--max-memory)",
                     need_gib, (double)m->n_params, (double)m->arena_n, cfg->max_batch,
                     limit_gib);
        goto fail;
    }
    m->params = calloc(m->n_params, sizeof(float));
    m->grads = calloc(m->n_params, sizeof(float));
    m->opt_m = calloc(m->n_params, sizeof(float));
    m->opt_v = calloc(m->n_params, sizeof(float));
    m->decay = calloc(m->n_params, 1);
    m->arena = malloc(m->arena_n * sizeof(float));
    m->iarena = malloc((n_idx ? n_idx : 1) * sizeof(int));
    if (!m->params || !m->grads || !m->opt_m || !m->opt_v || !m->decay || !m->arena ||
        !m->iarena) {
        st = nn_fail(err, NN_ERR_NOMEM, "model: out of memory (%zu parameters, %zu MiB of "
                     "activations)", m->n_params, m->arena_n * 4 >> 20);
        goto fail;
    }
    layout_params(m, m->params, m->grads, &m->n_params);
    layout_acts(m, m->arena, &m->arena_n);
    layout_argmax(m, m->iarena);
    init_params(m);
    nn_model_fit_quant(m, 1);
    return NN_OK;
fail:
    nn_model_free(m);
    return st;
}

void nn_model_free(struct nn_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        nn_wq_free(&m->layers[i].wq);
    free(m->params);
    free(m->grads);
    free(m->opt_m);
    free(m->opt_v);
    free(m->decay);
    free(m->arena);
    free(m->iarena);
    memset(m, 0, sizeof *m);
}

/* Whether AQE's paper form holds layer L's weights at unit scale: its h
 * unscaled, the largest level 1 (papers.md 2a: sign for 1 bit, {-1, 0, 1}
 * ternary, {0, +-1/4, +-1/2, +-1} for 3-bit powers of two). */
static int aqe_unit_scale(const struct nn_model *m, const struct nn_layer *L)
{
    return m->cfg.aqe_alpha > 0.0f && m->cfg.aqe_form == NN_AQE_PAPER &&
           (L->wq.kind == NN_WQ_BINARY || L->wq.kind == NN_WQ_TWN ||
            L->wq.kind == NN_WQ_POW2);
}

void nn_model_fit_quant(struct nn_model *m, int init)
{
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        L->wq.ops->fit(&L->wq, L->w, L->out_c, L->fan_in, init);
        if (aqe_unit_scale(m, L))  /* code K is the value 1: fake == dequant(to_int) holds */
            for (int g = 0; g < L->wq.n_group; g++)
                L->wq.scale[g] = 1.0f / (float)L->wq.K;
    }
}

void nn_model_aqe_clip(struct nn_model *m)
{
    if (!(m->cfg.aqe_alpha > 0.0f) || m->cfg.aqe_form != NN_AQE_PAPER)
        return;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        if (L->wq.kind == NN_WQ_FP)
            continue;
        const size_t n = (size_t)L->out_c * L->fan_in;
        for (size_t j = 0; j < n; j++)
            L->w[j] = L->w[j] > 1.0f ? 1.0f : L->w[j] < -1.0f ? -1.0f : L->w[j];
    }
}

/* The input of layer i: its source layer's output, or the batch. */
static const float *layer_input(const struct nn_model *m, int i, const float *x)
{
    const int src = m->layers[i].spec.src;
    return src < 0 ? x : m->layers[src].out;
}

/* The skip of merging layer i at its output's shape [n][out_h][out_w][out_c]:
 * the source's output (OR, MUX) or stream u (ADD), gathered into skipv when
 * the shapes differ (the PAD shortcut: position (y s, x s), channels past the
 * source's zero). */
static const float *skip_forward(struct nn_model *m, int i, int n)
{
    struct nn_layer *L = &m->layers[i];
    const struct nn_layer *K = &m->layers[L->spec.skip];
    const float *src = L->spec.merge == NN_MERGE_ADD ? K->u : K->out;
    if (!L->skipv)
        return src;
    const int st = L->spec.skip_stride, C = L->out_c, SC = K->out_c;
    for (int b = 0; b < n; b++)
        for (int y = 0; y < L->out_h; y++)
            for (int x = 0; x < L->out_w; x++) {
                float *d = L->skipv + (((size_t)b * L->out_h + y) * L->out_w + x) * C;
                const float *q = src + (((size_t)b * K->ph + (size_t)y * st) * K->pw +
                                        (size_t)x * st) * SC;
                memcpy(d, q, (size_t)SC * sizeof(float));
                memset(d + SC, 0, (size_t)(C - SC) * sizeof(float));
            }
    return L->skipv;
}

/* The adjoint of skip_forward's gather: adds dskipv into the source's
 * gradient dsrc (its dout, or du for ADD). */
static void skip_backward(struct nn_model *m, int i, int n, float *dsrc)
{
    struct nn_layer *L = &m->layers[i];
    const struct nn_layer *K = &m->layers[L->spec.skip];
    const int st = L->spec.skip_stride, C = L->out_c, SC = K->out_c;
    for (int b = 0; b < n; b++)
        for (int y = 0; y < L->out_h; y++)
            for (int x = 0; x < L->out_w; x++) {
                const float *d = L->dskipv + (((size_t)b * L->out_h + y) * L->out_w + x) * C;
                float *q = dsrc + (((size_t)b * K->ph + (size_t)y * st) * K->pw +
                                   (size_t)x * st) * SC;
                for (int c = 0; c < SC; c++)
                    q[c] += d[c];
            }
}

enum { PAR_MIN = 1 << 15 }; /* elements below which threads cost more than they save */

/* The activation quantizer over n elements, cut into one static chunk per
 * thread (the ops are elementwise, so the result is the same for any cut). */
static void act_forward(const struct nn_aq *q, float *out, const float *in, size_t n)
{
#pragma omp parallel if (n >= PAR_MIN)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        const size_t lo = n * t / nt, hi = n * (t + 1) / nt;
        q->ops->forward(q, out + lo, in + lo, hi - lo);
    }
}

static void act_backward(const struct nn_aq *q, float *din, const float *dout,
                         const float *in, size_t n)
{
#pragma omp parallel if (n >= PAR_MIN)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        const size_t lo = n * t / nt, hi = n * (t + 1) / nt;
        q->ops->backward(q, din + lo, dout + lo, in + lo, hi - lo);
    }
}

/* AQE (papers.md 2a): whether it applies to layer L's weights / activations
 * in this step (quantized ones only, and only in training). */
static int aqe_w(const struct nn_model *m, const struct nn_layer *L)
{
    return m->aqe_now > 0.0f && L->wq.kind != NN_WQ_FP;
}

static int aqe_a(const struct nn_model *m, const struct nn_layer *L)
{
    return m->aqe_now > 0.0f && L->aq.bits > 0;
}

/* out = alpha out + (1 - alpha) in, with all threads */
static void aqe_blend(float alpha, float *out, const float *in, size_t n)
{
#pragma omp parallel if (n >= PAR_MIN)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        const size_t lo = n * t / nt, hi = n * (t + 1) / nt;
        nn_aqe_blend(alpha, out + lo, in + lo, hi - lo);
    }
}

/* The activation's estimator: the quantizer's own, times 2 alpha under AQE
 * (whose layers use the clipped one: 2 alpha dL/dh 1{|x| <= 1}). */
static void act_estimate(const struct nn_model *m, const struct nn_layer *L, float *din,
                         const float *dout, const float *in, size_t n)
{
    act_backward(&L->aq, din, dout, in, n);
    if (!aqe_a(m, L))
        return;
    const float k = 2.0f * m->aqe_now;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t j = 0; j < n; j++)
        din[j] *= k;
}

/* Zeroes n floats with all threads (a large serial memset idles the others). */
static void zero_floats(float *p, size_t n)
{
#pragma omp parallel if (n >= PAR_MIN)
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        const size_t lo = n * t / nt, hi = n * (t + 1) / nt;
        memset(p + lo, 0, (hi - lo) * sizeof(float));
    }
}

/* The forward of a binary or ternary conv over inputs in {-1, 0, +1}
 * (popcount_conv, without AQE blends in this step): out = scale * (exact
 * dot), by XNOR-popcount on the model's AVX-512 or AVX2 path, or, on the
 * portable path or with LOGIQ_XNOR=off, by an SGEMM over the codes and the
 * same multiply (the same bits). The portable popcount runs only with
 * LOGIQ_XNOR=portable: under callgrind (x86-64-v3) its scalar packing took
 * 1.5x the instructions of the SGEMM it replaces, and a baseline x86-64 CPU
 * may lack even the popcnt instruction. The codes are read off wq_val =
 * scale * code (scale >= 0, popcount_weights): its sign, and 0 for a
 * ternary zero; where the scale is 0 every output is 0 either way. */
static void popcount_conv_forward(const struct nn_model *m, struct nn_layer *L, const float *in,
                                  int n)
{
    const struct nn_layer_spec *s = &L->spec;
    const int per_channel = L->wq.n_group > 1;
    const int ternary = L->wq.kind != NN_WQ_BINARY;
    const char *env = getenv("LOGIQ_XNOR");
    const int portable = env && strcmp(env, "portable") == 0;
    if ((env && strcmp(env, "off") == 0) || (!portable && m->isa == NN_ISA_PORTABLE)) {
        const size_t nw = (size_t)L->out_c * L->fan_in;
        for (size_t j = 0; j < nw; j++) {
            const float v = L->wq_val[j];
            L->wcode[j] = v < 0.0f ? -1.0f : v > 0.0f || !ternary ? 1.0f : 0.0f;
        }
        nn_conv_forward(L->z, L->col, in, L->wcode, n, L->in_h, L->in_w, L->in_c, L->out_c,
                        s->k, s->stride, s->pad);
        const size_t cnt = (size_t)n * L->out_h * L->out_w * L->out_c;
        const float *scale = L->wq.scale;
#pragma omp parallel for schedule(static) if (cnt >= PAR_MIN)
        for (size_t j = 0; j < cnt; j++)
            L->z[j] = scale[per_channel ? j % (size_t)L->out_c : 0] * L->z[j];
        return;
    }
    const enum nn_isa isa = portable ? NN_ISA_PORTABLE : m->isa;
    uint64_t *wm = ternary ? L->wbits + nn_xnor_weight_words(L->out_c, L->fan_in) : NULL;
    nn_xnor_pack_weights(L->wbits, wm, L->wq_val, L->out_c, L->fan_in);
    if (L->wino) /* its backward does not read col */
        nn_conv_forward_xnor_pixels(L->z, L->col, in, L->wbits, wm, L->wq.scale, per_channel, n,
                                    L->in_h, L->in_w, L->in_c, L->out_c, s->k, s->stride, s->pad,
                                    isa);
    else
        nn_conv_forward_xnor(L->z, L->col, in, L->wbits, wm, L->wq.scale, per_channel, n,
                             L->in_h, L->in_w, L->in_c, L->out_c, s->k, s->stride, s->pad, isa);
}

/* The rows of layer L's batch norm per image: out_h x out_w, or (pool_first)
 * the pooled ph x pw. */
static int bn_rows_per_image(const struct nn_layer *L)
{
    return L->pool_first ? L->ph * L->pw : L->out_h * L->out_w;
}

const float *nn_model_bn_input(const struct nn_model *m, int i, size_t *rows_per_image)
{
    const struct nn_layer *L = &m->layers[i];
    *rows_per_image = (size_t)bn_rows_per_image(L);
    return L->pool_first ? L->zp : L->z;
}

double nn_model_in_scale(const struct nn_model *m, int i)
{
    const int src = m->layers[i].spec.src;
    return src < 0 ? 1.0 / 255.0 : (double)nn_aq_value_scale(&m->layers[src].aq);
}

double nn_res_scale_pow2(double s, int frac_bits)
{
    const double x = ldexp(fabs(s), frac_bits);
    if (!(x > 0.0) || !isfinite(x))
        return s;
    const double p = ldexp(1.0, (int)lround(log2(x)));
    return copysign(ldexp(p, -frac_bits), s);
}

/* res_scale POW2: y = beta + r (y - beta) per channel, with r the factor
 * that makes batch norm's scale A times the input scale S a power of two
 * in the stream's units (2^-F): r = pow2(A S) / (A S). A is the batch's
 * (training) or the running statistics' (evaluation), as batch norm used;
 * the backward treats r as a constant (straight through). */
static void res_scale_forward(struct nn_model *m, int i, int rows, enum nn_mode mode)
{
    struct nn_layer *L = &m->layers[i];
    const int C = L->out_c, F = m->cfg.res_frac;
    const double s_in = nn_model_in_scale(m, i);
    for (int c = 0; c < C; c++) {
        const double A = mode == NN_TRAIN
                             ? (double)L->gamma[c] * (double)L->bn_rstd[c]
                             : (double)L->gamma[c] /
                                   sqrt((double)L->run_var[c] + (double)NN_BN_EPS);
        const double AS = A * (double)L->wq.scale[L->wq.n_group > 1 ? c : 0] * s_in;
        L->rs_r[c] = AS != 0.0 ? (float)(nn_res_scale_pow2(AS, F) / AS) : 1.0f;
    }
    const size_t cnt = (size_t)rows * C;
#pragma omp parallel for schedule(static) if (cnt >= PAR_MIN)
    for (size_t j = 0; j < cnt; j++) {
        const int c = (int)(j % (size_t)C);
        L->y[j] = L->beta[c] + L->rs_r[c] * (L->y[j] - L->beta[c]);
    }
}

const float *nn_model_forward(struct nn_model *m, const float *x, int n, enum nn_mode mode)
{
    m->batch_n = n;
    m->input = x;
    const int R = m->cfg.res_bits, F = m->cfg.res_frac;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        const struct nn_layer_spec *s = &L->spec;
        const float *in = layer_input(m, i, x);
        L->wq.ops->fake(&L->wq, L->wq_val, L->w, L->out_c, L->fan_in);
        if (mode == NN_TRAIN && aqe_w(m, L))
            aqe_blend(m->aqe_now, L->wq_val, L->w, (size_t)L->out_c * L->fan_in);
        const int blend = mode == NN_TRAIN &&
                          (aqe_w(m, L) || (s->src >= 0 && aqe_a(m, &m->layers[s->src])));
        if (L->wbits && !blend)
            popcount_conv_forward(m, L, in, n);
        else if (L->wino && !L->wbits)
            nn_conv3_wino_forward(L->z, L->col, m->dcol, in, L->wq_val, L->wino, n, L->in_h,
                                  L->in_w, L->in_c, L->out_c, m->isa);
        else if (s->op == NN_OP_CONV)
            nn_conv_forward(L->z, L->col, in, L->wq_val, n, L->in_h, L->in_w, L->in_c,
                            L->out_c, s->k, s->stride, s->pad);
        else
            nn_dense_forward(L->z, in, L->wq_val, L->bias, n, L->fan_in, L->out_c);
        if (!L->hidden)
            break;

        /* pool_first (the paper's order): max pooling on z, then the rest
         * at the pooled size; ties keep the first (the backward's choice
         * among equal maxima of z is immaterial) */
        if (L->pool_first)
            nn_maxpool_forward_keyed(L->zp, L->argmax, L->z, L->z, n, L->out_h, L->out_w,
                                     L->out_c, s->pool, m->isa);
        size_t per_image;
        const float *bn_in = nn_model_bn_input(m, i, &per_image);
        int rows = n * (int)per_image;
        size_t cnt = (size_t)rows * L->out_c;
        if (mode == NN_TRAIN)
            nn_bn_forward_train(L->y, L->bn_mean, L->bn_rstd, L->run_mean, L->run_var, bn_in,
                                L->gamma, L->beta, rows, L->out_c, BN_MOMENTUM, NN_BN_EPS);
        else
            nn_bn_forward_eval(L->y, bn_in, L->gamma, L->beta, L->run_mean, L->run_var, rows,
                               L->out_c, NN_BN_EPS);
        const float *v = L->y;
        if (L->res && m->cfg.res_scale == NN_RES_SCALE_POW2)
            res_scale_forward(m, i, rows, mode);
        if (L->res) {
            nn_resq_forward(L->yq, L->y, cnt, R, F);
            if (s->merge == NN_MERGE_ADD) {
                const float *skip = skip_forward(m, i, n);
#pragma omp parallel for schedule(static) if (cnt >= PAR_MIN)
                for (size_t j = 0; j < cnt; j++)
                    L->u[j] = L->yq[j] + skip[j];
                /* the saturating adder: the sum is on the grid, resq only clamps */
                nn_resq_forward(L->u, L->u, cnt, R, F);
            } else {
                memcpy(L->u, L->yq, cnt * sizeof(float));
            }
            v = L->u;
        }
        if (mode == NN_TRAIN && aqe_a(m, L) && m->cfg.aqe_stochastic &&
            L->aq.kind == NN_AQ_SIGN) {
            const uint64_t key = m->noise_key ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull);
#pragma omp parallel if (cnt >= PAR_MIN)
            {
                const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
                const size_t lo = cnt * t / nt, hi = cnt * (t + 1) / nt;
                nn_aqe_stochastic_sign(L->a + lo, v + lo, hi - lo, key, lo);
            }
        } else {
            act_forward(&L->aq, L->a, v, cnt);
        }
        if (mode == NN_TRAIN && aqe_a(m, L) && m->cfg.aqe_form == NN_AQE_PAPER) {
            /* the paper's order: the blend on the HardTanh output */
            const float lo = nn_aq_lo(&L->aq);
#pragma omp parallel if (cnt >= PAR_MIN)
            {
                const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
                const size_t jlo = cnt * t / nt, jhi = cnt * (t + 1) / nt;
                nn_aqe_blend_clip(m->aqe_now, L->a + jlo, v + jlo, jhi - jlo, lo, 1.0f);
            }
        } else if (mode == NN_TRAIN && aqe_a(m, L)) {
            aqe_blend(m->aqe_now, L->a, v, cnt);
        }
        if (s->merge == NN_MERGE_OR) {
            nn_merge_or_forward(L->m, L->a, skip_forward(m, i, n), cnt);
        } else if (s->merge == NN_MERGE_MUX) {
            for (int c = 0; c < L->out_c; c++)
                L->sel[c] = L->mux_p[c] >= 0.0f ? 1.0f : 0.0f;
            nn_merge_mux_forward(L->m, L->a, skip_forward(m, i, n), L->sel, rows, L->out_c,
                                 m->cfg.mux);
        }
        if (s->pool && !L->pool_first)
            nn_maxpool_forward_keyed(L->out, L->argmax, L->m, v, n, L->out_h, L->out_w,
                                     L->out_c, s->pool, m->isa);
    }
    return m->layers[m->n_layers - 1].z;
}

/* Zeroes what backward accumulates into and no _set kernel overwrites first:
 * the parameter gradients and dwq here; the activation gradients lazily, in
 * nn_model_backward, just before their first writer. */
static void zero_grads(struct nn_model *m)
{
    memset(m->grads, 0, m->n_params * sizeof(float));
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_layer *L = &m->layers[i];
        memset(L->dwq, 0, (size_t)L->out_c * L->fan_in * sizeof(float));
    }
}

float nn_model_backward(struct nn_model *m, const int *y)
{
    const int n = m->batch_n;
    const int R = m->cfg.res_bits, F = m->cfg.res_frac;
    struct nn_layer *last = &m->layers[m->n_layers - 1];
    float loss = nn_xent_forward(m->probs, last->z, y, n, m->cfg.n_class);
    zero_grads(m);
    nn_xent_backward(last->dz, m->probs, y, n, m->cfg.n_class);

    const float lo = -ldexpf(1.0f, R - 1 - F), hi = ldexpf(1.0f, R - 1 - F) - ldexpf(1.0f, -F);
    for (int i = m->n_layers - 1; i >= 0; i--) {
        struct nn_layer *L = &m->layers[i];
        const struct nn_layer_spec *s = &L->spec;
        /* the input's gradient: the source layer's output gradient */
        const struct nn_layer *S = s->src >= 0 ? &m->layers[s->src] : NULL;
        const float *in = S ? S->out : NULL;
        float *din = S ? S->dout : NULL;
        /* the first writer (in this order) of a gradient zeroes it; the
         * merge, the conv or dense and the add skip then add into it */
        if (S && S->dout_first == i)
            zero_floats(din, (size_t)n * S->ph * S->pw * S->out_c);
        struct nn_layer *K = s->merge != NN_MERGE_NONE ? &m->layers[s->skip] : NULL;
        if (K && s->merge == NN_MERGE_ADD && K->du_first == i)
            zero_floats(K->du, (size_t)n * K->out_h * K->out_w * K->out_c);
        else if (K && s->merge != NN_MERGE_ADD && K->dout_first == i && K != S)
            zero_floats(K->dout, (size_t)n * K->ph * K->pw * K->out_c);
        if (L->hidden) {
            /* gradients no later layer writes: a side layer's unused
             * output, or the stream of an add chain's last layer */
            if (L->dout_first < 0)
                zero_floats(L->dout, (size_t)n * L->ph * L->pw * L->out_c);
            if (L->du && L->du_first < 0)
                zero_floats(L->du, (size_t)n * L->out_h * L->out_w * L->out_c);
            /* pool_first: da = dout (pooled), then batch norm and the
             * pooling's adjoint below */
            int rows = n * bn_rows_per_image(L);
            size_t cnt = (size_t)rows * L->out_c;
            /* dm: the pooling's set, or (no pooling) dout, filled by the next
             * layer; da: dm, or the merge's own buffer */
            if (s->pool && !L->pool_first)
                nn_maxpool_backward_set(L->dm, L->dout, L->argmax, n, L->out_h, L->out_w,
                                        L->out_c, s->pool);
            if (L->da != L->dm)
                zero_floats(L->da, cnt);
            /* the skip at the output's shape and its gradient (gathered) */
            const float *skip = NULL;
            float *dskip = NULL;
            if (K) {
                skip = L->skipv ? L->skipv : s->merge == NN_MERGE_ADD ? K->u : K->out;
                dskip = L->dskipv ? L->dskipv : s->merge == NN_MERGE_ADD ? K->du : K->dout;
                if (L->dskipv)
                    zero_floats(L->dskipv, cnt);
            }
            if (s->merge == NN_MERGE_OR)
                nn_merge_or_backward(L->da, dskip, L->dm, L->a, skip, cnt);
            else if (s->merge == NN_MERGE_MUX)
                nn_merge_mux_backward(L->da, dskip, L->dmux_p, L->dm, L->a, skip, L->sel, rows,
                                      L->out_c, m->cfg.mux);
            if (L->res) {
                /* du already holds the next layer's add-skip gradient */
                act_estimate(m, L, L->dy, L->da, L->u, cnt);
#pragma omp parallel for schedule(static) if (cnt >= PAR_MIN)
                for (size_t j = 0; j < cnt; j++)
                    L->du[j] += L->dy[j];
                /* STE of the saturating adder: pass where the sum was in range */
                const int adds = s->merge == NN_MERGE_ADD;
#pragma omp parallel for schedule(static) if (cnt >= PAR_MIN)
                for (size_t j = 0; j < cnt; j++) {
                    float sum = L->yq[j] + (adds ? skip[j] : 0.0f);
                    float g = (sum >= lo && sum <= hi) ? L->du[j] : 0.0f;
                    L->du[j] = g;
                    if (adds)
                        dskip[j] += g;
                }
                zero_floats(L->dy, cnt);
                nn_resq_backward(L->dy, L->du, L->y, cnt, R, F);
                if (m->cfg.res_scale == NN_RES_SCALE_POW2) {
                    const int C = L->out_c;
#pragma omp parallel for schedule(static) if (cnt >= PAR_MIN)
                    for (size_t j = 0; j < cnt; j++)
                        L->dy[j] *= L->rs_r[j % (size_t)C];
                }
            } else {
                act_estimate(m, L, L->dy, L->da, L->y, cnt);
            }
            if (L->dskipv)
                skip_backward(m, i, n, s->merge == NN_MERGE_ADD ? K->du : K->dout);
            if (L->pool_first) {
                nn_bn_backward_set(L->dzp, L->dgamma, L->dbeta, L->dy, L->zp, L->bn_mean,
                                   L->bn_rstd, L->gamma, rows, L->out_c);
                nn_maxpool_backward_set(L->dz, L->dzp, L->argmax, n, L->out_h, L->out_w,
                                        L->out_c, s->pool);
            } else {
                nn_bn_backward_set(L->dz, L->dgamma, L->dbeta, L->dy, L->z, L->bn_mean,
                                   L->bn_rstd, L->gamma, rows, L->out_c);
            }
        }
        const float *x_in = S ? in : m->input;
        if (L->wino && L->wbits)
            nn_conv3_wino_input(L->col, x_in, L->wino, n, L->in_h, L->in_w, L->in_c, m->isa);
        if (L->wino)
            nn_conv3_wino_backward(din, L->dwq, m->dcol, L->col, L->dz, L->wq_val, L->wino, n,
                                   L->in_h, L->in_w, L->in_c, L->out_c, m->isa);
        else if (s->op == NN_OP_CONV)
            nn_conv_backward(din, L->dwq, m->dcol, L->dz, L->col, L->wq_val, n, L->in_h,
                             L->in_w, L->in_c, L->out_c, s->k, s->stride, s->pad);
        else
            nn_dense_backward(din, L->dwq, L->dbias, L->dz, x_in, L->wq_val, n, L->fan_in,
                              L->out_c);
        if (aqe_w(m, L))
            nn_aqe_grad(m->aqe_now, L->dw, L->dwq, L->w, (size_t)L->out_c * L->fan_in);
        else
            L->wq.ops->grad(&L->wq, L->dw, L->dwq, L->w, L->out_c, L->fan_in);
    }
    if (!m->cfg.mux_learn)
        for (int i = 0; i < m->n_layers; i++)
            if (m->layers[i].dmux_p)
                memset(m->layers[i].dmux_p, 0, m->layers[i].out_c * sizeof(float));
    return loss;
}

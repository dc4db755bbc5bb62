/* tests/test_sim.c: the SystemC model against the golden integer model and
 * the analytic cycle count, on randomized small networks and designs.
 *
 * Tolerance policy: none. Every activation word, class score and prediction
 * must equal nn/infer.c's bit for bit (the model's scoreboard compares them
 * as they are written); every layer's simulated cycles must equal
 * cm_layer_cycles exactly; every buffer's reads and writes must equal the
 * traffic of docs/accelerator.md as costmodels/design.c counts it.
 *
 * Coverage: weights binary, ternary (sign-magnitude, 1 plane) and 2-3
 * magnitude planes, pow2 exponent codes (q = 1..3 levels: the fetch unit's
 * decoder) and offset binary (B = 1..3 planes, each a binary pass); inputs pixel8, bin01, sign,
 * uint2/3, and MINW-Net's tern and pow2:3/4 (the fetch unit's activation
 * decoder, q passes of a code read whole); merges or, mux (or
 * and sel variants) and the add stream; pooling; conv with any k, stride and
 * pad, dense; shapes and channel counts that do not divide lanes or pe_rows;
 * random pe_rows, lanes (1..200, over and under 64) and acc_bits. Shift PE
 * designs ([array] pe = shift, 3..7 exponents) running networks whose
 * sign-magnitude layers mostly hold power-of-two weights (those take the
 * one-pass shift path, the others the bit planes of the same PE). Plus: a
 * changed reference is caught (the scoreboard works), an infeasible design
 * is refused with its reason, and a later simulation of the process writes
 * a VCD. */
#include <stdio.h>
#include <string.h>

#include "costmodels/design.h"
#include "costmodels/latency.h"
#include "qnn_fixture.h"
#include "sim/sim.h"
#include "sim_fixture.h"
#include "testutil.h"
#include "sim_open.h"

enum family { FAM_NONE, FAM_OR, FAM_MUX, FAM_ADD, N_FAM };

static const int wmax_choices[] = {1, 1, 2, 3, 5};

static struct lspec hidden_spec(uint64_t *rng, int out_c)
{
    struct lspec s = {0};
    s.op = NN_QNN_CONV;
    s.k = rng_int(rng, 1, 3);
    s.stride = rng_int(rng, 1, 2);
    s.pad = rng_int(rng, 0, s.k - 1);
    s.out_c = out_c;
    switch (rng_int(rng, 0, 7)) {
    case 0:
    case 1: s.w_code = NN_WCODE_BINARY; s.w_max = 1; break;
    case 2: s.w_code = NN_WCODE_POW2; s.w_max = 1 << rng_int(rng, 0, 2); break;
    case 3: s.w_code = NN_WCODE_OFFSET; s.w_max = (1 << rng_int(rng, 1, 3)) - 1; break;
    default: s.w_code = NN_WCODE_SIGNMAG; s.w_max = wmax_choices[rng_int(rng, 0, 4)]; break;
    }
    s.out_kind = NN_OUT_THRESH;
    switch (rng_int(rng, 0, 5)) {
    case 0: s.out_code = NN_CODE_BIN01; s.out_bits = 1; break;
    case 1: s.out_code = NN_CODE_SIGN; s.out_bits = 1; break;
    /* MINW-Net's signed multi-level codes: the fetch unit's decoder, q passes */
    case 4: s.out_code = NN_CODE_TERN; s.out_bits = 2; break;
    case 5: s.out_code = NN_CODE_POW2; s.out_bits = rng_int(rng, 3, 4); break;
    default: s.out_code = NN_CODE_UINT; s.out_bits = rng_int(rng, 2, 3); break;
    }
    return s;
}

/* The shape a layer keeps for a merge: odd k, "same" padding, stride 1. */
static void same_shape(struct lspec *s, uint64_t *rng, int in_c)
{
    s->k = rng_int(rng, 0, 1) ? 3 : 1;
    s->pad = (s->k - 1) / 2;
    s->stride = 1;
    s->out_c = in_c;
}

static void prev_out(const struct nn_qnn *m, int *h, int *w, int *c)
{
    if (m->n_layers == 0) {
        *h = m->in_h;
        *w = m->in_w;
        *c = m->in_c;
    } else
        nn_qnn_out_shape(&m->layers[m->n_layers - 1], h, w, c);
}

/* A random valid network of the merge family fam. */
static void random_model(struct nn_qnn *m, uint64_t *rng, enum family fam)
{
    model_init(m, rng_int(rng, 3, 9), rng_int(rng, 3, 9), rng_int(rng, 1, 3), rng_int(rng, 2, 7));
    int hidden = rng_int(rng, 1, 4);
    int res_bits = rng_int(rng, 5, 12), res_frac = rng_int(rng, 0, 3);
    for (int i = 0; i < hidden; i++) {
        int h, w, c;
        prev_out(m, &h, &w, &c);
        struct lspec s = hidden_spec(rng, rng_int(rng, 1, 21));
        const struct nn_qnn_layer *p = m->n_layers ? &m->layers[m->n_layers - 1] : NULL;
        if (fam == FAM_OR || fam == FAM_MUX) {
            s.out_code = NN_CODE_BIN01; /* the or/mux family is binary throughout */
            s.out_bits = 1;
            if (p && rng_int(rng, 0, 2) > 0) {
                same_shape(&s, rng, c);
                s.merge = fam == FAM_OR ? NN_MERGE_OR : NN_MERGE_MUX;
                s.mux_variant = rng_int(rng, 0, 1);
            }
        } else if (fam == FAM_ADD) {
            s.res = 1;
            s.res_bits = res_bits;
            s.res_frac = res_frac;
            if (p && p->res && p->pool <= 1 && rng_int(rng, 0, 2) > 0) {
                same_shape(&s, rng, c);
                s.merge = NN_MERGE_ADD;
            }
        }
        /* pool sometimes, never before an add merge (decided next: allow
         * only on the last hidden layer of an add network) */
        if (h + 2 * s.pad < s.k || w + 2 * s.pad < s.k) {
            s.k = 1;
            s.pad = 0;
            s.stride = 1;
        }
        int oh = (h + 2 * s.pad - s.k) / s.stride + 1, ow = (w + 2 * s.pad - s.k) / s.stride + 1;
        int may_pool = fam != FAM_ADD || i == hidden - 1;
        if (may_pool && oh >= 2 && ow >= 2 && rng_int(rng, 0, 2) == 0)
            s.pool = rng_int(rng, 2, oh < ow ? (oh < 3 ? oh : 3) : (ow < 3 ? ow : 3));
        add_layer(m, s, rng);
    }
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = m->n_class, .out_kind = NN_OUT_SCORES};
    sc.w_code = rng_int(rng, 0, 1) ? NN_WCODE_BINARY : NN_WCODE_SIGNMAG;
    sc.w_max = sc.w_code == NN_WCODE_BINARY ? 1 : wmax_choices[rng_int(rng, 0, 4)];
    add_layer(m, sc, rng);
}

/* A random valid network of residual blocks of the merge family fam (not
 * NONE): a stem, then blocks of two layers merged with the block's input,
 * strided or not, widening or not, with the pad shortcut (subsample, zero
 * channels) or a projection (a 1x1 side layer into the skip buffer). */
static void random_block_model(struct nn_qnn *m, uint64_t *rng, enum family fam)
{
    model_init(m, rng_int(rng, 4, 10), rng_int(rng, 4, 10), rng_int(rng, 1, 3),
               rng_int(rng, 2, 7));
    const int res_bits = rng_int(rng, 5, 12), res_frac = rng_int(rng, 0, 3);
    const int n_blocks = rng_int(rng, 1, 3);
    struct lspec s = hidden_spec(rng, rng_int(rng, 1, 12));
    s.k = 3;
    s.pad = 1;
    s.stride = 1;
    s.pool = 0;
    if (fam != FAM_ADD) {
        s.out_code = NN_CODE_BIN01;
        s.out_bits = 1;
    } else {
        s.res = 1;
        s.res_bits = res_bits;
        s.res_frac = res_frac;
    }
    add_layer(m, s, rng);
    for (int b = 0; b < n_blocks; b++) {
        int h, w, c;
        const int in = m->n_layers; /* the block's input: this layer's output */
        nn_qnn_out_shape(&m->layers[in - 1], &h, &w, &c);
        const int st = h >= 3 && w >= 3 && rng_int(rng, 0, 1) ? 2 : 1;
        const int oc = c + (rng_int(rng, 0, 1) ? rng_int(rng, 1, 9) : 0);
        const int proj = rng_int(rng, 0, 1) || (oc < c);
        int skip = in;
        /* each layer its own weight code; the stem's output code and stream */
        struct lspec p = hidden_spec(rng, oc), a = hidden_spec(rng, oc), z = hidden_spec(rng, oc);
        struct lspec *ls[3] = {&p, &a, &z};
        for (int j = 0; j < 3; j++) {
            ls[j]->k = 3;
            ls[j]->pad = 1;
            ls[j]->stride = 1;
            ls[j]->out_code = s.out_code;
            ls[j]->out_bits = s.out_bits;
            ls[j]->res = s.res;
            ls[j]->res_bits = s.res_bits;
            ls[j]->res_frac = s.res_frac;
        }
        if (proj) {
            p.k = 1;
            p.pad = 0;
            p.stride = st;
            p.from = in;
            add_layer(m, p, rng);
            skip = m->n_layers;
        }
        a.stride = st;
        a.from = in;
        add_layer(m, a, rng);
        z.merge = fam == FAM_OR ? NN_MERGE_OR : fam == FAM_MUX ? NN_MERGE_MUX : NN_MERGE_ADD;
        z.mux_variant = rng_int(rng, 0, 1);
        z.skip = skip;
        z.skip_stride = proj ? 1 : st;
        /* the last block may pool (an add block's output then feeds no skip) */
        if (b == n_blocks - 1 && rng_int(rng, 0, 1)) {
            int oh = (h + st - 1) / st;
            z.pool = oh >= 2 ? 2 : 0;
        }
        add_layer(m, z, rng);
    }
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = m->n_class, .out_kind = NN_OUT_SCORES};
    sc.w_code = rng_int(rng, 0, 1) ? NN_WCODE_BINARY : NN_WCODE_SIGNMAG;
    sc.w_max = sc.w_code == NN_WCODE_BINARY ? 1 : wmax_choices[rng_int(rng, 0, 4)];
    add_layer(m, sc, rng);
}

static const int lane_choices[] = {1, 3, 16, 37, 64, 64, 65, 100, 128, 200};

static void random_hw(struct cm_hw *hw, uint64_t *rng, const struct nn_qnn *m)
{
    cm_hw_defaults(hw);
    hw->pe_rows = rng_int(rng, 1, 20);
    hw->lanes = lane_choices[rng_int(rng, 0, 9)];
    hw->acc_bits = acc_bits_needed(m) + rng_int(rng, 0, 3);
    hw->max_act_bits = 8;
    hw->max_w_bits = 7;
    hw->merge = CM_MERGE_AUTO;
    hw->res_bits = 32;
    hw->rq_mul_bits = 40;
    hw->add_stages = rng_int(rng, 1, 2); /* the add merge in one or two stages */
    hw->act_kbits = hw->weight_kbits = hw->skip_kbits = 0.0; /* auto */
}

static long long g_sim_cycles;

/* One network on one design, n images: bit-exact, cycles and traffic. */
static void cosim(const struct nn_qnn *m, const struct cm_hw *hw, uint64_t *rng, int n,
                  const char *what)
{
    struct sim *s;
    struct sim_error err;
    enum sim_status st = test_sim_open(&s, m, hw, NULL, &err);
    TU_CHECK(st == SIM_OK, "%s: sim_open: %s", what, err.msg);
    if (st != SIM_OK)
        return;
    size_t img = (size_t)m->in_h * m->in_w * m->in_c;
    uint8_t *px = malloc(img * (size_t)n);
    int dark = rng_int(rng, 0, 1);
    for (size_t i = 0; i < img * (size_t)n; i++)
        px[i] = (uint8_t)(dark ? rng_int(rng, 0, 40) : rng_int(rng, 0, 255));
    int pred[8], matched[8];
    st = sim_run(s, px, n, pred, matched, &err);
    TU_CHECK(st == SIM_OK, "%s: sim_run: %s", what, err.msg);
    const struct sim_stats *ss = sim_stats(s);
    const struct cm_design *d = sim_design(s);
    if (ss->has_mismatch) {
        const struct sim_mismatch *mm = &ss->first;
        TU_CHECK(0, "%s: image %lld layer %d channel %d at (%d,%d): sim %lld, golden %lld "
                 "(kind %d)", what, mm->image, mm->layer, mm->channel, mm->y, mm->x,
                 mm->sim_value, mm->ref_value, (int)mm->kind);
    }
    for (int i = 0; i < n && st == SIM_OK; i++)
        TU_CHECK(matched[i], "%s: image %d not matched", what, i);
    for (int l = 0; l < m->n_layers && st == SIM_OK; l++) {
        const struct sim_layer_stats *ls = &ss->layer[l];
        long long want = d->layer[l].cyc.total * n;
        TU_CHECK(ls->cycles == want, "%s: layer %d: %lld simulated cycles, analytic %lld", what,
                 l + 1, ls->cycles, want);
        for (int b = 0; b < CM_N_BUFS; b++) {
            TU_CHECK(ls->reads[b] == (long long)(d->layer[l].reads[b] * n),
                     "%s: layer %d: %s reads %lld, analytic %.0f", what, l + 1,
                     cm_buffer_name((enum cm_buffer)b), ls->reads[b], d->layer[l].reads[b] * n);
            TU_CHECK(ls->writes[b] == (long long)(d->layer[l].writes[b] * n),
                     "%s: layer %d: %s writes %lld, analytic %.0f", what, l + 1,
                     cm_buffer_name((enum cm_buffer)b), ls->writes[b], d->layer[l].writes[b] * n);
        }
    }
    TU_CHECK(ss->cycles == d->cycles * n, "%s: %lld cycles, analytic %lld", what, ss->cycles,
             d->cycles * n);
    g_sim_cycles += ss->cycles;
    free(px);
    sim_close(s);
}

/* A reference that differs in one score offset must be caught at that class. */
static void scoreboard_catches(uint64_t *rng)
{
    struct nn_qnn m, ref;
    model_init(&m, 5, 5, 1, 3);
    add_layer(&m, hidden_spec(rng, 4), rng);
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = 3, .out_kind = NN_OUT_SCORES,
                       .w_code = NN_WCODE_BINARY, .w_max = 1};
    add_layer(&m, sc, rng);
    ref = m; /* shares the arrays except the one changed */
    ref.layers = calloc(32, sizeof *ref.layers);
    memcpy(ref.layers, m.layers, sizeof *m.layers * (size_t)m.n_layers);
    int64_t add[3];
    memcpy(add, m.layers[1].rq_add, sizeof add);
    add[1] += 1;
    ref.layers[1].rq_add = add;
    struct cm_hw hw;
    random_hw(&hw, rng, &m);
    struct sim *s;
    struct sim_error err;
    TU_CHECK(test_sim_open(&s, &m, &hw, NULL, &err) == SIM_OK, "scoreboard: sim_open: %s", err.msg);
    sim_set_reference(s, &ref);
    uint8_t px[25] = {0};
    int matched = 1;
    sim_run(s, px, 1, NULL, &matched, &err);
    const struct sim_stats *ss = sim_stats(s);
    TU_CHECK(!matched && ss->has_mismatch && ss->first.kind == SIM_MM_SCORE &&
                 ss->first.layer == 2 && ss->first.channel == 1 &&
                 ss->first.ref_value == ss->first.sim_value + 1,
             "scoreboard: a changed score offset not reported (matched %d, kind %d, layer %d, "
             "channel %d)", matched, (int)ss->first.kind, ss->first.layer, ss->first.channel);
    sim_close(s);
    free(ref.layers);

    /* an accumulator too narrow for the network is refused with the reason */
    hw.acc_bits = 4;
    enum sim_status st = test_sim_open(&s, &m, &hw, NULL, &err);
    TU_CHECK(st == SIM_ERR_INFEASIBLE && strstr(err.msg, "acc_bits"),
             "infeasible design: status %d, message '%s'", (int)st, err.msg);
    if (st == SIM_OK)
        sim_close(s);
    nn_qnn_free(&m);
}

/* Rewrites most sign-magnitude layers' weight codes to 0 or +-2^e (the
 * largest power of two not above |w|, so |w| stays <= w_max): the layers a
 * shift PE runs in one pass. Returns how many layers have more than one
 * magnitude plane and power-of-two weights. */
static int make_pow2(struct nn_qnn *m, uint64_t *rng)
{
    int n = 0;
    for (int l = 0; l < m->n_layers; l++) {
        struct nn_qnn_layer *L = &m->layers[l];
        if (L->w_code != NN_WCODE_SIGNMAG || rng_int(rng, 0, 3) == 0)
            continue;
        size_t k = (size_t)L->out_c * nn_qnn_fan_in(L);
        for (size_t i = 0; i < k; i++) {
            int v = L->w[i], a = v < 0 ? -v : v, p = 1;
            if (a == 0)
                continue;
            while (2 * p <= a)
                p *= 2;
            L->w[i] = (int8_t)(v < 0 ? -p : p);
        }
        n += L->w_mag_bits >= 2;
    }
    return n;
}

/* Pow2 networks on shift designs: bit-exact, cycles and traffic (cosim),
 * and the shift layers in one weight pass. */
static void shift_designs(uint64_t *rng, int n_nets)
{
    int shift_layers = 0;
    const long long start = g_sim_cycles;
    for (int i = 0; i < n_nets; i++) {
        struct nn_qnn m;
        random_model(&m, rng, (enum family)(i % N_FAM));
        make_pow2(&m, rng);
        struct nn_error nerr;
        if (nn_qnn_validate(&m, &nerr) != NN_OK) {
            TU_CHECK(0, "pow2 network %d: invalid: %s", i, nerr.msg);
            nn_qnn_free(&m);
            continue;
        }
        struct cm_hw hw;
        random_hw(&hw, rng, &m);
        hw.pe = CM_PE_SHIFT;
        hw.max_w_bits = rng_int(rng, 3, 7);
        int need = cm_bits_for(hw.lanes) + hw.max_w_bits;
        if (hw.acc_bits < need)
            hw.acc_bits = need;
        char what[160];
        snprintf(what, sizeof what, "pow2 network %d (%d layers, shift PE %d exponents, %d PEs "
                 "x %d lanes, acc %d)", i, m.n_layers, hw.max_w_bits, hw.pe_rows, hw.lanes,
                 hw.acc_bits);
        const long long before = g_sim_cycles;
        cosim(&m, &hw, rng, rng_int(rng, 1, 3), what);
        TU_CHECK(g_sim_cycles > before, "%s: not simulated", what);
        /* the layers that take the shift path run one weight pass */
        for (int l = 0; l < m.n_layers; l++) {
            const struct nn_qnn_layer *L = &m.layers[l];
            int pow2 = L->w_code == NN_WCODE_SIGNMAG || L->w_code == NN_WCODE_POW2;
            for (size_t k = 0; pow2 && k < (size_t)L->out_c * nn_qnn_fan_in(L); k++) {
                int a = L->w[k] < 0 ? -L->w[k] : L->w[k];
                pow2 = (a & (a - 1)) == 0;
            }
            if (pow2 && L->w_mag_bits >= 2) {
                struct cm_layer cl = {.w_code = L->w_code, .w_mag_bits = L->w_mag_bits,
                                      .w_pow2 = 1};
                TU_CHECK(cm_layer_shift(&hw, &cl) && cm_layer_w_passes(&hw, &cl) == 1,
                         "%s: layer %d not on the shift path", what, l + 1);
                shift_layers++;
            }
        }
        nn_qnn_free(&m);
    }
    TU_CHECK(shift_layers > n_nets / 2, "only %d layers on the shift path", shift_layers);
    printf("co-simulated %d pow2 networks on shift PE designs, %d layers on the shift path, "
           "%lld cycles: outputs, cycles and traffic compared exactly\n", n_nets, shift_layers,
           g_sim_cycles - start);
}

/* Makes every layer of m that is not binary or offset-binary binary
 * ({-1,+1}: the sign of its code, 0 as +1): the layers an XNOR PE runs. */
static void make_binary(struct nn_qnn *m)
{
    for (int l = 0; l < m->n_layers; l++) {
        struct nn_qnn_layer *L = &m->layers[l];
        if (L->w_code == NN_WCODE_OFFSET)
            continue;
        size_t k = (size_t)L->out_c * nn_qnn_fan_in(L);
        for (size_t i = 0; i < k; i++)
            L->w[i] = (int8_t)(L->w[i] < 0 ? -1 : 1);
        L->w_code = NN_WCODE_BINARY;
        L->w_max = 1;
        L->w_mag_bits = 0;
    }
}

/* Binary-weight networks (every activation kind: pixels, {0,1}, sign and
 * B-bit codes, every merge) on XNOR PE designs: bit-exact, cycles and
 * traffic (cosim); the same network costs fewer gates on the XNOR PE than
 * on the bit-plane PE of the same array; and a layer of sign-magnitude
 * weights makes the XNOR design infeasible, naming the layer. */
static void xnor_designs(uint64_t *rng, int n_nets)
{
    const long long start = g_sim_cycles;
    int cheaper = 0, offset_layers = 0;
    for (int i = 0; i < n_nets; i++) {
        struct nn_qnn m;
        random_model(&m, rng, (enum family)(i % N_FAM));
        make_binary(&m);
        for (int l = 0; l < m.n_layers; l++)
            offset_layers += m.layers[l].w_code == NN_WCODE_OFFSET;
        struct nn_error nerr;
        if (nn_qnn_validate(&m, &nerr) != NN_OK) {
            TU_CHECK(0, "binary network %d: invalid: %s", i, nerr.msg);
            nn_qnn_free(&m);
            continue;
        }
        struct cm_hw hw;
        random_hw(&hw, rng, &m);
        hw.pe = CM_PE_XNOR;
        char what[160];
        snprintf(what, sizeof what, "binary network %d (%d layers, XNOR PE, %d PEs x %d lanes, "
                 "acc %d)", i, m.n_layers, hw.pe_rows, hw.lanes, hw.acc_bits);
        const long long before = g_sim_cycles;
        cosim(&m, &hw, rng, rng_int(rng, 1, 3), what);
        TU_CHECK(g_sim_cycles > before, "%s: not simulated", what);

        /* the same array with bit-plane PEs: more gates, the same cycles */
        double nand2[2] = {0, 0};
        long long cycles[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            struct cm_hw h = hw;
            h.pe = k ? CM_PE_BITPLANE : CM_PE_XNOR;
            struct sim *s = NULL;
            struct sim_error err;
            TU_CHECK(test_sim_open(&s, &m, &h, NULL, &err) == SIM_OK, "%s: sim_open: %s", what, err.msg);
            if (!s)
                continue;
            nand2[k] = sim_design(s)->logic_nand2;
            cycles[k] = sim_design(s)->cycles;
            sim_close(s);
        }
        TU_CHECK(nand2[0] < nand2[1] && cycles[0] == cycles[1],
                 "%s: XNOR PE %.0f NAND2 eq, bit-plane %.0f; cycles %lld, %lld", what, nand2[0],
                 nand2[1], cycles[0], cycles[1]);
        cheaper += nand2[0] < nand2[1];
        nn_qnn_free(&m);
    }
    /* a ternary layer: infeasible on the XNOR PE, with the reason */
    struct nn_qnn m;
    random_model(&m, rng, FAM_NONE);
    make_binary(&m);
    struct nn_qnn_layer *L = &m.layers[0];
    for (int l = 0; l < m.n_layers; l++)  /* no offset layer: the ternary one is layer 1 */
        if (m.layers[l].w_code == NN_WCODE_OFFSET) {
            struct nn_qnn_layer *O = &m.layers[l];
            for (size_t k = 0; k < (size_t)O->out_c * nn_qnn_fan_in(O); k++)
                O->w[k] = (int8_t)(O->w[k] < 0 ? -1 : 1);
            O->w_code = NN_WCODE_BINARY;
            O->w_max = 1;
            O->w_mag_bits = 0;
        }
    L->w_code = NN_WCODE_SIGNMAG;
    L->w[0] = 0;
    L->w_mag_bits = 1;
    struct cm_hw hw;
    random_hw(&hw, rng, &m);
    hw.pe = CM_PE_XNOR;
    struct sim *s = NULL;
    struct sim_error err;
    enum sim_status st = test_sim_open(&s, &m, &hw, NULL, &err);
    TU_CHECK(st == SIM_ERR_INFEASIBLE && strstr(err.msg, "layer 1") &&
                 strstr(err.msg, "pe = xnor runs binary weight planes only"),
             "a ternary layer on an XNOR PE: %d %s", (int)st, st == SIM_OK ? "" : err.msg);
    if (st == SIM_OK)
        sim_close(s);
    else
        printf("ternary layer on an XNOR PE: %s\n", err.msg);
    nn_qnn_free(&m);
    TU_CHECK(offset_layers > n_nets / 4, "only %d offset-binary layers on XNOR designs",
             offset_layers);
    printf("co-simulated %d binary networks (%d offset-binary layers) on XNOR PE designs, %lld "
           "cycles: outputs, cycles and traffic compared exactly; %d cost fewer gates than on "
           "bit-plane PEs\n", n_nets, offset_layers, g_sim_cycles - start, cheaper);
}

/* Counts the lines of a VCD file: time steps (#t) and value changes (b...
 * id), and whether its header is complete. */
static void vcd_lines(const char *path, int *header, long *steps, long *changes)
{
    *header = 0;
    *steps = *changes = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "$enddefinitions", 15) == 0)
            *header = 1;
        else if (line[0] == '#')
            (*steps)++;
        else if (line[0] == 'b' || line[0] == '0' || line[0] == '1')
            (*changes)++;
    }
    fclose(f);
}

/* A waveform from a later simulation of the process (this one has run many
 * by now), twice: each file has its header, its time steps and the
 * accumulator's value changes. */
static void vcd_later(uint64_t *rng)
{
    struct nn_qnn m;
    model_init(&m, 6, 6, 1, 3);
    add_layer(&m, hidden_spec(rng, 5), rng);
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = 3, .out_kind = NN_OUT_SCORES,
                       .w_code = NN_WCODE_SIGNMAG, .w_max = 2};
    add_layer(&m, sc, rng);
    struct cm_hw hw;
    random_hw(&hw, rng, &m);
    uint8_t px[2 * 36];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)rng_int(rng, 0, 255);
    for (int k = 0; k < 2; k++) {
        char path[64];
        snprintf(path, sizeof path, "test_sim_later_%d.vcd", k);
        remove(path);
        struct sim_options o = {.vcd_path = path, .vcd_images = 1};
        struct sim *s;
        struct sim_error err;
        enum sim_status st = test_sim_open(&s, &m, &hw, &o, &err);
        TU_CHECK(st == SIM_OK, "vcd %d: sim_open_opts: %s", k, err.msg);
        if (st != SIM_OK)
            continue;
        int matched[2] = {0, 0};
        st = sim_run(s, px, 2, NULL, matched, &err);
        TU_CHECK(st == SIM_OK && matched[0] && matched[1], "vcd %d: sim_run: %s", k, err.msg);
        long long cycles = sim_stats(s)->min_image_cycles;
        sim_close(s);
        int header;
        long steps, changes;
        vcd_lines(path, &header, &steps, &changes);
        /* one image traced: two time steps per cycle of it (the clock's
         * rising and falling edges), give or take the edges around it */
        TU_CHECK(header && steps >= 2 * cycles - 2 && steps <= 2 * cycles + 4 && changes > steps,
                 "vcd %d: header %d, %ld time steps for a %lld-cycle image, %ld changes", k,
                 header, steps, cycles, changes);
        printf("vcd of a later simulation (%d): %ld time steps, %ld value changes, %lld-cycle "
               "image\n", k, steps, changes, cycles);
        remove(path);
    }
    nn_qnn_free(&m);
}

int main(int argc, char **argv)
{
    int n_nets = argc > 1 ? atoi(argv[1]) : 800;
    uint64_t rng = 0x5eed51u;
    printf("SystemC %s\n", sim_systemc_version());
    int per_fam[N_FAM] = {0}, n_tern = 0, n_pow2 = 0;
    for (int i = 0; i < n_nets; i++) {
        struct nn_qnn m;
        enum family fam = (enum family)(i % N_FAM);
        random_model(&m, &rng, fam);
        struct nn_error nerr;
        if (nn_qnn_validate(&m, &nerr) != NN_OK) {
            TU_CHECK(0, "network %d: the generator made an invalid model: %s", i, nerr.msg);
            nn_qnn_free(&m);
            continue;
        }
        struct cm_hw hw;
        random_hw(&hw, &rng, &m);
        /* every third design holds pow2 weights as magnitude planes */
        hw.pow2_words = i % 3 == 0 ? CM_POW2_PLANES : CM_POW2_CODE;
        char what[160];
        snprintf(what, sizeof what, "network %d (family %d, %d layers, %d PEs x %d lanes, acc %d, "
                 "pow2 words %s)", i, (int)fam, m.n_layers, hw.pe_rows, hw.lanes, hw.acc_bits,
                 hw.pow2_words == CM_POW2_PLANES ? "planes" : "code");
        cosim(&m, &hw, &rng, rng_int(&rng, 1, 3), what);
        per_fam[fam]++;
        for (int l = 0; l < m.n_layers; l++) {
            n_tern += m.layers[l].in_code == NN_CODE_TERN;
            n_pow2 += m.layers[l].in_code == NN_CODE_POW2;
        }
        nn_qnn_free(&m);
    }
    const long long bitplane_cycles = g_sim_cycles;
    int n_block = 0;
    for (int i = 0; i < n_nets / 4; i++) {
        struct nn_qnn m;
        const enum family fam = (enum family)(1 + i % 3);
        random_block_model(&m, &rng, fam);
        struct nn_error nerr;
        if (nn_qnn_validate(&m, &nerr) != NN_OK) {
            TU_CHECK(0, "block network %d: the generator made an invalid model: %s", i, nerr.msg);
            nn_qnn_free(&m);
            continue;
        }
        int n_side = 0, n_strided = 0;
        for (int l = 0; l < m.n_layers; l++) {
            n_side += nn_qnn_is_side(&m, l);
            n_strided += m.layers[l].skip_stride > 1;
        }
        struct cm_hw hw;
        random_hw(&hw, &rng, &m);
        char what[160];
        snprintf(what, sizeof what, "block network %d (family %d, %d layers, %d projections, "
                 "%d strided pad shortcuts, %d PEs x %d lanes)", i, (int)fam, m.n_layers, n_side,
                 n_strided, hw.pe_rows, hw.lanes);
        cosim(&m, &hw, &rng, rng_int(&rng, 1, 3), what);
        n_block++;
        nn_qnn_free(&m);
    }
    shift_designs(&rng, n_nets / 4 > 8 ? n_nets / 4 : 8);
    scoreboard_catches(&rng);
    vcd_later(&rng);
    xnor_designs(&rng, n_nets / 4 > 8 ? n_nets / 4 : 8);
    printf("co-simulated %d networks (none %d, or %d, mux %d, add %d), %lld cycles, and %d "
           "networks of residual blocks: outputs, cycles and traffic compared exactly\n", n_nets,
           per_fam[FAM_NONE], per_fam[FAM_OR], per_fam[FAM_MUX], per_fam[FAM_ADD],
           bitplane_cycles, n_block);
    printf("  layers with tern inputs %d, with pow2 inputs %d (the activation decoder)\n", n_tern,
           n_pow2);
    TU_CHECK(n_tern > n_nets / 20 && n_pow2 > n_nets / 20,
             "the random networks cover tern and pow2 inputs (%d, %d)", n_tern, n_pow2);
    return tu_exit("test_sim");
}

/* tests/test_sim_merge.c: the add merge's cheapest correct forms
 * (docs/accelerator.md, "The requantizer"): the narrowed requantizer
 * constants (nn_qnn_rq_narrow), the multiplier width derived from them
 * ([merge] rq_mul_bits = auto), the merge path's parts, and the shift
 * requantizer ([merge] requant = shift) on power-of-two multipliers.
 *
 * Tolerance policy: none. A narrowed requantizer must give the same Y as the
 * exporter's at every accumulator value of its range (checked here with an
 * independent floor division); the SystemC model must match the integer
 * model bit for bit and the analytic cycle count exactly at the derived
 * width; the parts must sum to the merge path to 1e-9 relative (the same
 * doubles summed in another order). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "costmodels/design.h"
#include "costmodels/units.h"
#include "qnn_fixture.h"
#include "sim/sim.h"
#include "sim_fixture.h"
#include "testutil.h"
#include "sim_open.h"

/* floor(a / 2^s) by division, not by shifting (independent of nn/). */
static int64_t ref_floor_div(int64_t a, int s)
{
    const int64_t d = (int64_t)1 << s;
    int64_t q = a / d;
    if (a % d != 0 && a < 0)
        q--;
    return q;
}

static int64_t ref_sat(int64_t v, int bits)
{
    const int64_t hi = ((int64_t)1 << (bits - 1)) - 1;
    return v > hi ? hi : v < -hi - 1 ? -hi - 1 : v;
}

/* Signed bits that hold v and -v. */
static int bits_signed(int64_t v)
{
    int b = 1;
    if (v < 0)
        v = -v;
    while (b < 63 && v > ((int64_t)1 << (b - 1)) - 1)
        b++;
    return b;
}

/* An add-stream network (every hidden layer on the stream, merges where the
 * shapes allow) whose requantizers carry exporter-like constants: M =
 * round(alpha 2^(F + sh)) with sh putting max |M| near 2^30, B = round((beta
 * 2^F + 1/2) 2^sh), as nn/export.c makes them. */
static void add_network(struct nn_qnn *m, uint64_t *rng)
{
    model_init(m, rng_int(rng, 4, 8), rng_int(rng, 4, 8), rng_int(rng, 1, 2), rng_int(rng, 2, 6));
    const int R = rng_int(rng, 6, 10), F = rng_int(rng, 1, 4), hidden = rng_int(rng, 2, 4);
    int c = rng_int(rng, 2, 12);
    for (int i = 0; i < hidden; i++) {
        struct lspec s = {.op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 1, .out_c = c,
                          .w_code = rng_int(rng, 0, 1) ? NN_WCODE_BINARY : NN_WCODE_SIGNMAG,
                          .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1,
                          .res = 1, .res_bits = R, .res_frac = F};
        s.w_max = s.w_code == NN_WCODE_BINARY ? 1 : 1 + rng_int(rng, 0, 2);
        if (i > 0)
            s.merge = NN_MERGE_ADD;
        struct nn_qnn_layer *l = add_layer(m, s, rng);
        double alpha[64], beta[64], amax = 0.0;
        for (int ch = 0; ch < l->out_c; ch++) {
            alpha[ch] = (rng_int(rng, 0, 7) == 0 ? -1.0 : 1.0) * rng_int(rng, 1, 1000) / 4000.0;
            beta[ch] = rng_int(rng, -2000, 2000) / 1000.0;
            amax = fmax(amax, fabs(alpha[ch]));
        }
        int sh = (int)floor(30.0 - log2(ldexp(amax, F)));
        l->rq_shift = sh;
        for (int ch = 0; ch < l->out_c; ch++) {
            l->rq_mul[ch] = llround(ldexp(alpha[ch], F + sh));
            l->rq_add[ch] = llround(ldexp(ldexp(beta[ch], F) + 0.5, sh));
        }
        /* thresholds on the stream's scale */
        for (int ch = 0; ch < l->out_c; ch++)
            l->thr[ch] = rng_int(rng, -(1 << (R - 2)), 1 << (R - 2));
    }
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = m->n_class, .out_kind = NN_OUT_SCORES,
                       .w_code = NN_WCODE_BINARY, .w_max = 1};
    add_layer(m, sc, rng);
}

/* The narrowed constants give the exporter's Y everywhere on the range, and
 * narrowing twice changes nothing. Returns the layers narrowed. */
static int check_narrow(struct nn_qnn *m, const char *what)
{
    int64_t *old_mul[32], *old_add[32];
    int old_sh[32];
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_qnn_layer *l = &m->layers[i];
        old_mul[i] = old_add[i] = NULL;
        old_sh[i] = l->rq_shift;
        if (!l->res)
            continue;
        old_mul[i] = malloc(sizeof(int64_t) * l->out_c);
        old_add[i] = malloc(sizeof(int64_t) * l->out_c);
        memcpy(old_mul[i], l->rq_mul, sizeof(int64_t) * l->out_c);
        memcpy(old_add[i], l->rq_add, sizeof(int64_t) * l->out_c);
    }
    const int n = nn_qnn_rq_narrow(m);
    int worst_bits_old = 0, worst_bits_new = 0;
    long long mismatches = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_qnn_layer *l = &m->layers[i];
        if (!l->res)
            continue;
        const int64_t bound = nn_qnn_acc_bound(l);
        for (int ch = 0; ch < l->out_c; ch++) {
            worst_bits_old = fmax(worst_bits_old, bits_signed(old_mul[i][ch]));
            worst_bits_new = fmax(worst_bits_new, bits_signed(l->rq_mul[ch]));
            for (int64_t a = -bound; a <= bound; a++) {
                int64_t y0 = ref_sat(ref_floor_div(old_mul[i][ch] * a + old_add[i][ch],
                                                   old_sh[i]), l->res_bits);
                int64_t y1 = ref_sat(ref_floor_div(l->rq_mul[ch] * a + l->rq_add[ch],
                                                   l->rq_shift), l->res_bits);
                mismatches += y0 != y1;
            }
        }
        free(old_mul[i]);
        free(old_add[i]);
    }
    TU_CHECK(mismatches == 0, "%s: %lld requantizer values changed by narrowing", what,
             mismatches);
    TU_CHECK(worst_bits_new <= worst_bits_old, "%s: multiplier %d bits after narrowing, %d before",
             what, worst_bits_new, worst_bits_old);
    TU_CHECK(nn_qnn_rq_narrow(m) == 0, "%s: narrowing twice changed the constants again", what);
    struct nn_error err;
    TU_CHECK(nn_qnn_validate(m, &err) == NN_OK, "%s: narrowed model invalid: %s", what, err.msg);
    return n;
}

/* The widths auto must derive: every multiplier and offset of the kind
 * (offsets ignored when acc_bits < 0). */
static void want_bits(const struct nn_qnn *m, int scores, int acc_bits, int *bits)
{
    int b = 2;
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_qnn_layer *l = &m->layers[i];
        if (scores ? l->out_kind != NN_OUT_SCORES : !l->res)
            continue;
        for (int ch = 0; ch < l->out_c; ch++) {
            b = bits_signed(l->rq_mul[ch]) > b ? bits_signed(l->rq_mul[ch]) : b;
            int ob = bits_signed(l->rq_add[ch]) - acc_bits;
            b = acc_bits >= 0 && ob > b ? ob : b;
        }
    }
    *bits = b;
}

static void fit_hw(struct cm_hw *hw, const struct nn_qnn *m, uint64_t *rng)
{
    cm_hw_defaults(hw);
    hw->pe_rows = rng_int(rng, 1, 9);
    hw->lanes = rng_int(rng, 0, 1) ? 16 : 37;
    hw->acc_bits = acc_bits_needed(m) + rng_int(rng, 0, 2);
    hw->max_act_bits = 1;
    hw->max_w_bits = 3;
    hw->res_bits = 16;
}

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
    for (size_t i = 0; i < img * (size_t)n; i++)
        px[i] = (uint8_t)rng_int(rng, 0, 255);
    int pred[8], matched[8];
    st = sim_run(s, px, n, pred, matched, &err);
    TU_CHECK(st == SIM_OK, "%s: sim_run: %s", what, err.msg);
    const struct sim_stats *ss = sim_stats(s);
    const struct cm_design *d = sim_design(s);
    if (ss->has_mismatch)
        TU_CHECK(0, "%s: image %lld layer %d channel %d: sim %lld, golden %lld", what,
                 ss->first.image, ss->first.layer, ss->first.channel, ss->first.sim_value,
                 ss->first.ref_value);
    for (int i = 0; i < n && st == SIM_OK; i++)
        TU_CHECK(matched[i], "%s: image %d not matched", what, i);
    TU_CHECK(ss->cycles == d->cycles * n, "%s: %lld cycles, analytic %lld", what, ss->cycles,
             d->cycles * n);
    free(px);
    sim_close(s);
}

/* Narrowing, the derived width, and the SystemC model at that width. */
static void narrow_and_derive(uint64_t *rng, int nets)
{
    int narrowed = 0, layers = 0, max_old = 0, max_new = 0;
    for (int k = 0; k < nets; k++) {
        struct nn_qnn m;
        add_network(&m, rng);
        char what[64];
        snprintf(what, sizeof what, "network %d", k);
        int before;
        want_bits(&m, 0, -1, &before);
        narrowed += check_narrow(&m, what);
        for (int i = 0; i < m.n_layers; i++)
            layers += m.layers[i].res;
        struct cm_hw hw;
        fit_hw(&hw, &m, rng);
        int rq, sc;
        want_bits(&m, 0, hw.acc_bits, &rq);
        want_bits(&m, 1, hw.acc_bits, &sc);
        max_old = before > max_old ? before : max_old;
        max_new = rq > max_new ? rq : max_new;

        struct sim *s;
        struct sim_error err;
        if (test_sim_open(&s, &m, &hw, NULL, &err) == SIM_OK) {
            const struct cm_design *d = sim_design(s);
            TU_CHECK(d->hw.rq_mul_bits == rq && d->hw.score_mul_bits == sc,
                     "%s: auto widths %d (requantizer) and %d (scores), want %d and %d", what,
                     d->hw.rq_mul_bits, d->hw.score_mul_bits, rq, sc);
            sim_close(s);
        } else {
            TU_CHECK(0, "%s: sim_open: %s", what, err.msg);
        }
        cosim(&m, &hw, rng, 3, what);

        /* one bit narrower is an infeasible design naming the key */
        if (rq > 2) {
            struct cm_hw narrow = hw;
            narrow.rq_mul_bits = rq - 1;
            TU_CHECK(test_sim_open(&s, &m, &narrow, NULL, &err) == SIM_ERR_INFEASIBLE &&
                         strstr(err.msg, "rq_mul_bits"),
                     "%s: rq_mul_bits = %d accepted (the constants need %d): %s", what, rq - 1,
                     rq, err.msg);
        }
        nn_qnn_free(&m);
    }
    printf("narrowing: %d of %d add-stream layers narrowed; requantizer multiplier %d bits "
           "at most before, %d after\n", narrowed, layers, max_old, max_new);
    TU_CHECK(narrowed > layers / 2, "only %d of %d layers narrowed", narrowed, layers);
}

static int close_rel(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* The merge path's parts sum to it, for each kind; the unit splits are
 * exact; a wider multiplier grows only the requantizer part. */
static void parts(uint64_t *rng)
{
    const enum cm_adder_arch arch = CM_ADDER_RIPPLE;
    struct cm_count whole = cm_merge_add(16, 12, 8, arch), sum = {0};
    struct cm_count rq = cm_merge_add_requant(16, 12, 8, arch), st = cm_merge_add_stream(8, arch);
    cm_count_add(&sum, &rq, 1);
    cm_count_add(&sum, &st, 1);
    struct cm_lib lib;
    cm_lib_default(&lib);
    TU_CHECK(cm_count_nand2(&whole, &lib) == cm_count_nand2(&sum, &lib) &&
                 whole.n[CM_DFF] == sum.n[CM_DFF],
             "add merge %.1f NAND2 eq, requantizer + stream adder %.1f",
             cm_count_nand2(&whole, &lib), cm_count_nand2(&sum, &lib));

    struct nn_qnn m;
    add_network(&m, rng);
    nn_qnn_rq_narrow(&m);
    struct cm_hw hw;
    fit_hw(&hw, &m, rng);
    double rq_gates[2] = {0};
    for (int w = 0; w < 2; w++) {
        struct sim *s;
        struct sim_error err;
        struct cm_hw h = hw;
        h.rq_mul_bits = w ? 40 : 0;
        if (test_sim_open(&s, &m, &h, NULL, &err) != SIM_OK) {
            TU_CHECK(0, "parts: sim_open: %s", err.msg);
            continue;
        }
        const struct cm_design *d = sim_design(s);
        double g = 0.0, e = 0.0, a = 0.0;
        for (int p = 0; p < CM_N_MPARTS; p++) {
            g += d->merge.part_nand2[p];
            e += d->merge.part_energy_pj[p];
            a += d->merge.part_area_um2[p];
        }
        TU_CHECK(close_rel(g, d->merge.nand2) && close_rel(e, d->merge.energy_pj) &&
                     close_rel(a, d->merge.area_um2),
                 "parts sum to %.3f NAND2 eq, %.6g pJ, %.3f um^2; merge path %.3f, %.6g, %.3f",
                 g, e, a, d->merge.nand2, d->merge.energy_pj, d->merge.area_um2);
        TU_CHECK(d->merge.part_nand2[CM_MP_SELECT] == 0.0 && d->merge.part_nand2[CM_MP_CYCLES] == 0.0,
                 "add design: select %.1f, extra-cycles %.1f NAND2 eq (want 0)",
                 d->merge.part_nand2[CM_MP_SELECT], d->merge.part_nand2[CM_MP_CYCLES]);
        rq_gates[w] = d->merge.part_nand2[CM_MP_REQUANT];
        printf("parts at rq_mul_bits %d:", d->hw.rq_mul_bits);
        for (int p = 0; p < CM_N_MPARTS; p++)
            printf(" %s %.1f", cm_merge_part_name((enum cm_merge_part)p), d->merge.part_nand2[p]);
        printf("\n");
        sim_close(s);
    }
    TU_CHECK(rq_gates[0] < rq_gates[1], "requantizer %.1f NAND2 eq at the derived width, %.1f "
             "at 40 bits", rq_gates[0], rq_gates[1]);
    nn_qnn_free(&m);
}

/* Makes every requantizer multiplier of m +-2^e (e from 0 to sh + 2: left
 * and right shift forms both occur); offsets stay. */
static void make_pow2_rq(struct nn_qnn *m, uint64_t *rng)
{
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_qnn_layer *l = &m->layers[i];
        if (!l->res)
            continue;
        l->rq_shift = rng_int(rng, 0, 6);
        for (int ch = 0; ch < l->out_c; ch++) {
            int64_t v = (int64_t)1 << rng_int(rng, 0, l->rq_shift + 2);
            l->rq_mul[ch] = rng_int(rng, 0, 5) == 0 ? -v : v;
            l->rq_add[ch] = rng_int(rng, -(1 << (l->rq_shift + 4)), 1 << (l->rq_shift + 4));
        }
    }
}

/* The shift requantizer: its form equals the multiplier's on every
 * accumulator value; the SystemC model runs it bit-exactly with the
 * analytic cycle count; it costs less than the multiplier at the same
 * constants; a network with one multiplier that is not +-2^e is an
 * infeasible design with the reason. */
static void shift_requant(uint64_t *rng, int nets)
{
    long long checked = 0, bad = 0;
    for (int t = 0; t < 20000; t++) {
        const int sh = rng_int(rng, 0, 20), e = rng_int(rng, 0, 24);
        const int64_t mul = (rng_int(rng, 0, 1) ? -1 : 1) * ((int64_t)1 << e);
        const int64_t add = (int64_t)rng_int(rng, -1000000, 1000000) * rng_int(rng, 1, 1000);
        struct nn_rq_shift f;
        if (!nn_qnn_rq_shift_form(mul, add, sh, &f)) {
            bad++;
            continue;
        }
        for (int k = 0; k < 8; k++) {
            const int64_t a = rng_int(rng, -40000, 40000);
            const int64_t want = ref_floor_div(mul * a + add, sh);
            const int64_t x = (f.neg ? -a : a) * ((int64_t)1 << f.lshift) + f.off;
            bad += ref_floor_div(x, f.rshift) != want;
            checked++;
        }
    }
    struct nn_rq_shift f;
    TU_CHECK(bad == 0 && !nn_qnn_rq_shift_form(3, 0, 2, &f) && !nn_qnn_rq_shift_form(0, 5, 2, &f),
             "shift form: %lld of %lld values differ from the multiplier's (or 3, 0 taken as "
             "+-2^e)", bad, checked);

    int ran = 0;
    for (int k = 0; k < nets; k++) {
        struct nn_qnn m;
        add_network(&m, rng);
        make_pow2_rq(&m, rng);
        char what[64];
        snprintf(what, sizeof what, "pow2 network %d", k);
        struct cm_hw hw;
        fit_hw(&hw, &m, rng);
        hw.acc_bits += 6; /* room for the offsets above and the left shifts */
        hw.requant = CM_RQ_SHIFT;
        struct sim *s;
        struct sim_error err;
        if (test_sim_open(&s, &m, &hw, NULL, &err) != SIM_OK) {
            TU_CHECK(0, "%s: sim_open: %s", what, err.msg);
            nn_qnn_free(&m);
            continue;
        }
        const double shift_rq = sim_design(s)->merge.part_nand2[CM_MP_REQUANT];
        sim_close(s);
        cosim(&m, &hw, rng, 3, what);
        ran++;
        struct cm_hw mul = hw;
        mul.requant = CM_RQ_MUL;
        if (test_sim_open(&s, &m, &mul, NULL, &err) == SIM_OK) {
            const double mul_rq = sim_design(s)->merge.part_nand2[CM_MP_REQUANT];
            TU_CHECK(shift_rq < mul_rq, "%s: shift requantizer %.1f NAND2 eq, multiplier "
                     "(%d bits) %.1f", what, shift_rq, sim_design(s)->hw.rq_mul_bits, mul_rq);
            sim_close(s);
        }
        /* one channel off the powers of two: infeasible, with the reason */
        for (int i = 0; i < m.n_layers; i++)
            if (m.layers[i].res) {
                m.layers[i].rq_mul[0] = 3;
                break;
            }
        enum sim_status st = test_sim_open(&s, &m, &hw, NULL, &err);
        TU_CHECK(st == SIM_ERR_INFEASIBLE && strstr(err.msg, "not +-2^e") &&
                     strstr(err.msg, "requant = shift"),
                 "%s: a multiplier of 3 on requant = shift gave status %d: %s", what, (int)st,
                 err.msg);
        if (st == SIM_OK)
            sim_close(s);
        nn_qnn_free(&m);
    }
    printf("shift requantizer: %lld values of the shift form checked; %d networks simulated\n",
           checked, ran);
    TU_CHECK(ran == nets, "only %d of %d pow2 networks simulated", ran, nets);
}

int main(void)
{
    uint64_t rng = 0x5eed0f1a7e5ull;
    printf("SystemC %s\n", sim_systemc_version());
    narrow_and_derive(&rng, 12);
    parts(&rng);
    shift_requant(&rng, 10);
    return tu_exit("test_sim_merge");
}

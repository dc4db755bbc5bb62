/* tests/test_sim_encodings.c: the exact weight codes of .qnn version 2
 * (docs/qnn-format.md; issue 15, part 3) from the exporter through the
 * file, the integer model, the cost model and the SystemC model: a pow2:3
 * and a dorefa:3 network, each as exported (its exact code) and the same
 * weights stored as sign-magnitude (the code before version 2).
 *
 * Per network: every weight is stored in 3 planes (the file is exactly one
 * plane per layer smaller than sign-magnitude's), the file round-trips;
 * dorefa:3 runs 3 binary passes and pow2:3 3 passes on the bit-plane PE, 1
 * on a shift PE; the SystemC model matches the integer model bit for bit,
 * its cycles equal the analytic count and its buffer accesses the cost
 * model's, and the bits each weight read moves equal each code's word
 * (1 + bits(q) for pow2 on the bit planes, 1 for offset, 2 for
 * sign-magnitude, 1 + bits(E) on the shift path) in the simulation and in
 * the cost model's weight read energy; the weight buffer holds one bit a
 * weight less; the pow2 decoder
 * is in the fetch unit only when a pow2 layer runs on the bit planes; and
 * the sign-magnitude copy, written as a version 1 file, reads and infers
 * the same predictions.
 *
 * Tolerance policy: none; every comparison is exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "costmodels/cells.h"
#include "costmodels/design.h"
#include "costmodels/energy.h"
#include "costmodels/latency.h"
#include "costmodels/units.h"
#include "nn/binfile.h"
#include "nn/infer.h"
#include "nn/model.h"
#include "sim/sim.h"
#include "tests/testutil.h"
#include "sim_open.h"

#define SIDE 12
#define N_IMG 3

static char scratch[512];

/* An untrained (randomly initialized) network, exported. */
static int export_net(struct nn_qnn *q, const char *arch_text, const char *wq, const char *aq)
{
    struct nn_arch arch;
    struct nn_model_config cfg;
    struct nn_model m;
    struct nn_error err;
    nn_model_config_default(&cfg);
    cfg.in_h = cfg.in_w = SIDE;
    cfg.max_batch = 4;
    cfg.seed = 11;
    snprintf(cfg.wq, sizeof cfg.wq, "%s", wq);
    snprintf(cfg.aq, sizeof cfg.aq, "%s", aq);
    int ok = nn_arch_parse(&arch, arch_text, 1.0f, &err) == NN_OK &&
             nn_model_init(&m, &arch, arch_text, &cfg, &err) == NN_OK;
    TU_CHECK(ok, "%s %s: %s", arch_text, wq, err.msg);
    if (!ok)
        return 0;
    ok = nn_model_export(&m, q, &err) == NN_OK;
    TU_CHECK(ok, "%s %s: export: %s", arch_text, wq, err.msg);
    nn_model_free(&m);
    return ok;
}

/* A deep copy of q with every weight stored in sign-magnitude. */
static int as_signmag(const struct nn_qnn *q, struct nn_qnn *c, const char *path)
{
    struct nn_error err;
    struct nn_qnn tmp = *q;
    struct nn_qnn_layer *ls = malloc((size_t)q->n_layers * sizeof *ls);
    memcpy(ls, q->layers, (size_t)q->n_layers * sizeof *ls);
    for (int l = 0; l < q->n_layers; l++)
        if (ls[l].w_code != NN_WCODE_BINARY)
            ls[l].w_code = NN_WCODE_SIGNMAG;
    tmp.layers = ls;
    int ok = nn_qnn_write(&tmp, path, &err) == NN_OK && nn_qnn_read(c, path, &err) == NN_OK;
    TU_CHECK(ok, "sign-magnitude copy: %s", err.msg);
    free(ls);
    return ok;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Rewrites path's version field to 1 (and its checksum). */
/* Rewrites the model at path as a version 1 file (nn_qnn_write_version). */
static int relabel_v1(const char *path)
{
    struct nn_qnn m;
    struct nn_error err;
    if (nn_qnn_read(&m, path, &err) != NN_OK)
        return 0;
    const int ok = nn_qnn_write_version(&m, 1, path, &err) == NN_OK;
    nn_qnn_free(&m);
    return ok;
}

struct run {
    int pred[N_IMG];
    double weight_bits;   /* the weight buffer's need */
    double array_nand2;   /* the XNOR/AND array unit (lane logic, fetch gating, decoder) */
    struct cm_count array;
    long long cycles;
    double energy_pj;
};

/* Bits a lane of one weight read, written down independently of
 * costmodels/design.c (docs/accelerator.md, "Weight words"). */
static int word_bits(const struct nn_qnn_layer *l, int shift_path, int n_exp)
{
    if (shift_path)
        return 1 + cm_bits_for(n_exp);
    switch (l->w_code) {
    case NN_WCODE_BINARY:
    case NN_WCODE_OFFSET: return 1;
    case NN_WCODE_POW2: return 1 + cm_bits_for(l->w_mag_bits);
    default: return 2;
    }
}

static int all_pow2(const struct nn_qnn_layer *l)
{
    for (size_t i = 0; i < (size_t)l->out_c * nn_qnn_fan_in(l); i++) {
        const int a = l->w[i] < 0 ? -l->w[i] : l->w[i];
        if (a & (a - 1))
            return 0;
    }
    return l->w_code != NN_WCODE_BINARY;
}

/* Simulates q on hw: bit-exact against the integer model, cycles, buffer
 * accesses and weight read bits against the cost model, exactly. */
static int cosim(const struct nn_qnn *q, const struct cm_hw *hw, const uint8_t *px,
                 const char *what, struct run *out)
{
    struct sim *s;
    struct sim_error err;
    if (test_sim_open(&s, q, hw, NULL, &err) != SIM_OK) {
        TU_CHECK(0, "%s: sim_open: %s", what, err.msg);
        return 0;
    }
    int matched[N_IMG];
    enum sim_status st = sim_run(s, px, N_IMG, out->pred, matched, &err);
    TU_CHECK(st == SIM_OK, "%s: sim_run: %s", what, err.msg);
    const struct sim_stats *ss = sim_stats(s);
    const struct cm_design *d = sim_design(s);
    int bad = st != SIM_OK || ss->has_mismatch;
    if (ss->has_mismatch)
        TU_CHECK(0, "%s: image %lld layer %d channel %d: sim %lld, golden %lld", what,
                 ss->first.image, ss->first.layer, ss->first.channel, ss->first.sim_value,
                 ss->first.ref_value);
    for (int i = 0; i < N_IMG; i++)
        bad |= !matched[i];
    for (int l = 0; l < q->n_layers; l++) {
        const struct sim_layer_stats *ls = &ss->layer[l];
        bad |= ls->cycles != d->layer[l].cyc.total * N_IMG;
        TU_CHECK(ls->cycles == d->layer[l].cyc.total * N_IMG, "%s: layer %d: %lld cycles, "
                 "analytic %lld", what, l + 1, ls->cycles, d->layer[l].cyc.total * N_IMG);
        for (int b = 0; b < CM_N_BUFS; b++) {
            const int same = ls->reads[b] == (long long)(d->layer[l].reads[b] * N_IMG) &&
                             ls->writes[b] == (long long)(d->layer[l].writes[b] * N_IMG);
            bad |= !same;
            TU_CHECK(same, "%s: layer %d: %s reads %lld writes %lld, analytic %.0f %.0f", what,
                     l + 1, cm_buffer_name((enum cm_buffer)b), ls->reads[b], ls->writes[b],
                     d->layer[l].reads[b] * N_IMG, d->layer[l].writes[b] * N_IMG);
        }
        /* the weight reads' bits: one word a pass of R x lanes x W, and a
         * parameter read a tile (thresholds, or the score constants) */
        const struct nn_qnn_layer *L = &q->layers[l];
        const struct cm_hw *h = &d->hw;
        const struct cm_cycles *cy = &d->layer[l].cyc;
        struct cm_layer cl = {.w_code = L->w_code, .w_mag_bits = L->w_mag_bits,
                              .w_pow2 = all_pow2(L)};
        const int W = word_bits(L, cm_layer_shift(h, &cl), cm_hw_exponents(h));
        const double words = (double)cy->tiles * cy->positions * cy->chunks * cy->w_passes;
        const double wbits = (double)h->pe_rows * h->lanes * W;
        const double pbits = L->out_kind == NN_OUT_SCORES
                                 ? (double)h->pe_rows * (2 * h->score_mul_bits + h->acc_bits)
                                 : (double)h->pe_rows * L->n_thr * h->acc_bits;
        const double want = N_IMG * (words * wbits + cy->tiles * pbits);
        const double got = ls->read_bits[CM_BUF_WEIGHT] * ls->reads[CM_BUF_WEIGHT];
        const double sz = d->buf_bits[CM_BUF_WEIGHT], wd = d->buf_word_bits[CM_BUF_WEIGHT];
        const double pj = words * cm_sram_access_pj(sz, wd, wbits) +
                          cy->tiles * cm_sram_access_pj(sz, wd, pbits);
        const double pj_cm = d->layer[l].sram_pj[CM_BUF_WEIGHT];
        const int bits_ok = got > want - 0.5 && got < want + 0.5 &&
                            pj_cm > pj * (1 - 1e-12) && pj_cm < pj * (1 + 1e-12);
        bad |= !bits_ok;
        TU_CHECK(bits_ok, "%s: layer %d: weight reads move %.0f bits (want %.0f: %d a lane), "
                 "cost model %.6g pJ (want %.6g)", what, l + 1, got, want, W, pj_cm, pj);
    }
    out->weight_bits = d->buf_used_bits[CM_BUF_WEIGHT];
    out->array_nand2 = d->unit_nand2[CM_U_ARRAY];
    out->array = d->unit[CM_U_ARRAY];
    out->cycles = d->cycles;
    out->energy_pj = d->energy.total_pj;
    sim_close(s);
    return !bad;
}

static void design(struct cm_hw *hw, enum cm_pe_kind pe)
{
    cm_hw_defaults(hw);
    hw->pe_rows = 8;
    hw->lanes = 32;
    hw->pe = pe;
    hw->max_w_bits = 3;
}

static void one_network(const char *arch, const char *wq, const char *aq, int pow2)
{
    char path[600], sm_path[600];
    struct nn_error err;
    struct nn_qnn q, r, sm;
    snprintf(path, sizeof path, "%s/%s.qnn", scratch, pow2 ? "pow2" : "dorefa");
    snprintf(sm_path, sizeof sm_path, "%s/%s-sm.qnn", scratch, pow2 ? "pow2" : "dorefa");
    if (!export_net(&q, arch, wq, aq))
        return;
    const int want = pow2 ? NN_WCODE_POW2 : NN_WCODE_OFFSET;
    long plane_bytes = 0;  /* one plane of every layer */
    for (int l = 0; l < q.n_layers; l++) {
        const struct nn_qnn_layer *L = &q.layers[l];
        TU_CHECK(L->w_code == want && L->w_mag_bits == 3 && nn_qnn_weight_planes(L) == 3,
                 "%s: layer %d: w_code %d, w_mag_bits %d, %d planes (expected %d, 3, 3)", wq,
                 l + 1, L->w_code, L->w_mag_bits, nn_qnn_weight_planes(L), want);
        plane_bytes += ((long)nn_qnn_fan_in(L) * L->out_c + 7) / 8;
    }
    /* the file: a round trip, and one plane a layer less than sign-magnitude */
    TU_CHECK(nn_qnn_write(&q, path, &err) == NN_OK && nn_qnn_read(&r, path, &err) == NN_OK,
             "%s: round trip: %s", wq, err.msg);
    int same = r.n_layers == q.n_layers;
    for (int l = 0; same && l < q.n_layers; l++)
        same = r.layers[l].w_code == q.layers[l].w_code &&
               memcmp(r.layers[l].w, q.layers[l].w,
                      (size_t)nn_qnn_fan_in(&q.layers[l]) * q.layers[l].out_c) == 0;
    TU_CHECK(same, "%s: the weights do not survive a round trip", wq);
    nn_qnn_free(&r);
    if (!as_signmag(&q, &sm, sm_path)) {
        nn_qnn_free(&q);
        return;
    }
    const long size = file_size(path), sm_size = file_size(sm_path);
    printf("%s (%s): .qnn %ld bytes, as sign-magnitude %ld bytes (%ld = one plane a layer "
           "less)\n", wq, arch, size, sm_size, sm_size - size);
    TU_CHECK(sm_size - size == plane_bytes, "%s: file %ld bytes, sign-magnitude %ld: expected "
             "%ld bytes less", wq, size, sm_size, plane_bytes);

    uint8_t px[N_IMG * SIDE * SIDE];
    uint64_t seed = 99;
    for (size_t i = 0; i < sizeof px; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        px[i] = (uint8_t)(seed >> 56);
    }
    int ref[N_IMG];
    struct nn_infer_ws ws;
    TU_CHECK(nn_infer_ws_init(&ws, &q, &err) == NN_OK, "%s: workspace: %s", wq, err.msg);
    for (int i = 0; i < N_IMG; i++)
        ref[i] = nn_infer_image(&q, &ws, px + (size_t)i * SIDE * SIDE);
    nn_infer_ws_free(&ws);

    /* passes on either PE */
    struct cm_hw bp, sh;
    design(&bp, CM_PE_BITPLANE);
    design(&sh, CM_PE_SHIFT);
    sh.acc_bits = 32;
    for (int l = 0; l < q.n_layers; l++) {
        struct cm_layer cl = {.w_code = want, .w_mag_bits = 3, .w_pow2 = pow2};
        TU_CHECK(cm_layer_w_passes(&bp, &cl) == 3 &&
                     cm_layer_w_passes(&sh, &cl) == (pow2 ? 1 : 3),
                 "%s: %d passes on the bit-plane PE, %d on the shift PE", wq,
                 cm_layer_w_passes(&bp, &cl), cm_layer_w_passes(&sh, &cl));
    }

    /* the exact code and sign-magnitude on the bit-plane PE, and on a shift PE */
    struct run e, s, es, ss;
    char what[160];
    snprintf(what, sizeof what, "%s on the bit-plane PE", wq);
    int ok = cosim(&q, &bp, px, what, &e);
    snprintf(what, sizeof what, "%s as sign-magnitude on the bit-plane PE", wq);
    ok &= cosim(&sm, &bp, px, what, &s);
    snprintf(what, sizeof what, "%s on the shift PE", wq);
    ok &= cosim(&q, &sh, px, what, &es);
    snprintf(what, sizeof what, "%s as sign-magnitude on the shift PE", wq);
    ok &= cosim(&sm, &sh, px, what, &ss);
    for (int i = 0; ok && i < N_IMG; i++)
        TU_CHECK(e.pred[i] == ref[i] && s.pred[i] == ref[i] && es.pred[i] == ref[i] &&
                 ss.pred[i] == ref[i], "%s: image %d: predictions %d %d %d %d, integer model %d",
                 wq, i, e.pred[i], s.pred[i], es.pred[i], ss.pred[i], ref[i]);
    double n_weights = 0.0;
    for (int l = 0; l < q.n_layers; l++)
        n_weights += (double)nn_qnn_fan_in(&q.layers[l]) * q.layers[l].out_c;
    printf("%s on the bit-plane PE: weight buffer %.0f bits (sign-magnitude %.0f), XNOR/AND "
           "array %.0f NAND2 (%.0f), %lld cycles (%lld), %.1f nJ (%.1f); on the shift PE: "
           "%.0f bits (%.0f), %lld cycles (%lld)\n", wq, e.weight_bits, s.weight_bits,
           e.array_nand2, s.array_nand2, e.cycles, s.cycles, e.energy_pj / 1e3,
           s.energy_pj / 1e3, es.weight_bits, ss.weight_bits, es.cycles, ss.cycles);
    TU_CHECK(s.weight_bits - e.weight_bits == n_weights, "%s: weight buffer %.0f bits, "
             "sign-magnitude %.0f: expected %.0f less", wq, e.weight_bits, s.weight_bits,
             n_weights);
    TU_CHECK(e.cycles == s.cycles, "%s: %lld cycles, sign-magnitude %lld", wq, e.cycles,
             s.cycles);
    /* the fetch unit's pow2 decoder: exactly R of them, only for pow2 layers
     * on the bit planes; offset binary's correction costs no gate */
    struct cm_count dec = cm_pow2_decoder(bp.lanes, 2), diff = e.array;
    cm_count_add(&diff, &s.array, -1.0);
    if (!pow2)
        cm_count_add(&dec, &dec, -1.0);
    else
        cm_count_add(&dec, &dec, bp.pe_rows - 1.0);
    int same_cells = 1;
    for (int c = 0; c < CM_N_CELLS; c++)
        same_cells &= diff.n[c] == dec.n[c];
    TU_CHECK(same_cells, "%s: the array unit differs from sign-magnitude's by other than %s",
             wq, pow2 ? "8 pow2 decoders" : "nothing");
    /* on a shift PE the pow2 layers take the shift path (no decoder there) */
    TU_CHECK(!pow2 || (es.array_nand2 == ss.array_nand2 && es.cycles < e.cycles),
             "%s: shift PE array %.0f vs %.0f, %lld cycles vs %lld on the bit planes", wq,
             es.array_nand2, ss.array_nand2, es.cycles, e.cycles);

    /* version 1: the sign-magnitude copy relabelled reads and infers the same */
    TU_CHECK(relabel_v1(sm_path), "%s: relabel", sm_path);
    struct nn_qnn v1;
    ok = nn_qnn_read(&v1, sm_path, &err) == NN_OK;
    TU_CHECK(ok, "%s: version 1 read: %s", wq, err.msg);
    if (ok) {
        int agree = nn_infer_ws_init(&ws, &v1, &err) == NN_OK;
        for (int i = 0; agree && i < N_IMG; i++)
            agree = nn_infer_image(&v1, &ws, px + (size_t)i * SIDE * SIDE) == ref[i];
        if (agree)
            nn_infer_ws_free(&ws);
        printf("%s: the sign-magnitude copy as a version 1 file infers %s\n", wq,
               agree ? "the same predictions" : "DIFFERENTLY");
        TU_CHECK(agree, "%s: version 1 file infers differently", wq);
        nn_qnn_free(&v1);
    }
    remove(path);
    remove(sm_path);
    nn_qnn_free(&sm);
    nn_qnn_free(&q);
}

int main(void)
{
    printf("SystemC %s\n", sim_systemc_version());
    tu_scratch_path(scratch, sizeof scratch, "sim_encodings");
    if (mkdir(scratch, 0700) != 0) {
        perror(scratch);
        return 1;
    }
    one_network("c16,c16,p,f10", "pow2:3", "2", 1);
    one_network("c16,c16+add,p,f10", "dorefa:3", "1", 0);
    rmdir(scratch);
    return tu_exit("test_sim_encodings");
}

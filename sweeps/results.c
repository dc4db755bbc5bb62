/* sweeps/results.c: the cost and simulation documents, and the simulation
 * of a test set (results.h). */
#include "sweeps/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "costmodels/hw.h"

#ifndef LOGIQ_VERSION
#define LOGIQ_VERSION "unknown"
#endif

const char *sw_mismatch_kind_name(enum sim_mismatch_kind k)
{
    return k == SIM_MM_SCORE ? "score" : k == SIM_MM_PREDICTION ? "prediction" : "output";
}

/* The document's text with a final newline, root deleted; NULL when out of
 * memory (cJSON's allocator is malloc: the text is free()d). */
static char *print_doc(cJSON *root)
{
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = 0;
    return out;
}

char *sw_cost_json(const struct cm_design *d, const char *net_name, const char *hw_name,
                   const struct cm_lib *lib)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "logiq_version", LOGIQ_VERSION);
    cJSON_AddNumberToObject(root, "schema_version", SW_COST_JSON_SCHEMA);
    cJSON *des = cJSON_AddObjectToObject(root, "design");
    cJSON_AddStringToObject(des, "name", d->hw.name);
    cJSON_AddStringToObject(des, "hw", hw_name);
    cJSON_AddStringToObject(des, "network", net_name);
    cJSON_AddStringToObject(des, "tech", lib->name);
    cJSON_AddStringToObject(des, "merge", cm_merge_name(d->hw.merge));
    if (d->hw.merge == CM_MERGE_MUX)
        cJSON_AddStringToObject(des, "mux", cm_mux_variant_name(d->hw.mux));
    cJSON_AddStringToObject(des, "adder", cm_adder_arch_name(d->hw.adder));
    cJSON_AddStringToObject(des, "pe", cm_pe_kind_name(d->hw.pe));
    cJSON_AddNumberToObject(des, "pe_rows", d->hw.pe_rows);
    cJSON_AddNumberToObject(des, "lanes", d->hw.lanes);
    cJSON_AddNumberToObject(des, "max_act_bits", d->hw.max_act_bits);
    cJSON_AddNumberToObject(des, "max_w_bits", d->hw.max_w_bits);
    cJSON_AddNumberToObject(des, "clock_mhz", d->hw.clock_mhz);
    cJSON_AddBoolToObject(des, "clock_auto", d->clock_auto);
    cJSON_AddNumberToObject(des, "fmax_mhz", d->timing.fmax_mhz);
    cJSON_AddNumberToObject(des, "period_ps", d->timing.period_ps);
    cJSON_AddStringToObject(des, "critical_stage", cm_stage_name(d->timing.critical));
    cJSON_AddBoolToObject(des, "timing_met", !d->clock_over_fmax);
    cJSON *stages = cJSON_AddObjectToObject(des, "stage_path_ps");
    for (int s = 0; s < CM_N_STAGES; s++)
        if (d->timing.present[s])
            cJSON_AddNumberToObject(stages, cm_stage_name((enum cm_stage)s),
                                    d->timing.stage_ps[s]);
    cJSON_AddNumberToObject(des, "cycles", (double)d->cycles);
    cJSON_AddNumberToObject(des, "latency_us", d->latency_us);
    cJSON_AddNumberToObject(des, "nand2_eq", d->logic_nand2);
    cJSON_AddNumberToObject(des, "logic_area_um2", d->logic_area_um2);
    cJSON_AddNumberToObject(des, "sram_area_um2", d->sram_area_um2);
    cJSON_AddNumberToObject(des, "area_um2", d->area_um2);
    cJSON_AddNumberToObject(des, "energy_pj", d->energy.total_pj);

    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int i = 0; i < d->n_layers; i++) {
        const struct cm_layer_cost *c = &d->layer[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "layer", i + 1);
        cJSON_AddNumberToObject(o, "tiles", (double)c->cyc.tiles);
        cJSON_AddNumberToObject(o, "positions", (double)c->cyc.positions);
        cJSON_AddNumberToObject(o, "chunks", (double)c->cyc.chunks);
        cJSON_AddNumberToObject(o, "w_passes", (double)c->cyc.w_passes);
        cJSON_AddNumberToObject(o, "a_planes", (double)c->cyc.a_planes);
        cJSON_AddNumberToObject(o, "issue_cycles", (double)c->cyc.issue);
        cJSON_AddNumberToObject(o, "cycles", (double)c->cyc.total);
        cJSON_AddNumberToObject(o, "latency_us", c->latency_us);
        cJSON *ops = cJSON_AddObjectToObject(o, "ops");
        for (int k = 0; k < CM_N_OPKS; k++)
            cJSON_AddNumberToObject(ops, cm_op_kind_name((enum cm_op_kind)k), c->ops[k]);
        cJSON *bufs = cJSON_AddObjectToObject(o, "buffers");
        for (int b = 0; b < CM_N_BUFS; b++) {
            cJSON *bo = cJSON_AddObjectToObject(bufs, cm_buffer_name((enum cm_buffer)b));
            cJSON_AddNumberToObject(bo, "reads", c->reads[b]);
            cJSON_AddNumberToObject(bo, "writes", c->writes[b]);
            cJSON_AddNumberToObject(bo, "energy_pj", c->sram_pj[b]);
        }
        cJSON_AddNumberToObject(o, "energy_pj", c->energy_pj);
        cJSON_AddItemToArray(layers, o);
    }
    cJSON *units = cJSON_AddObjectToObject(root, "units");
    for (int u = 0; u < CM_N_UNITS; u++) {
        cJSON *o = cJSON_AddObjectToObject(units, cm_unit_kind_name((enum cm_unit_kind)u));
        cJSON *cells = cJSON_AddObjectToObject(o, "cells");
        for (int k = 0; k < CM_N_CELLS; k++)
            if (d->unit[u].n[k] > 0.0)
                cJSON_AddNumberToObject(cells, cm_cell_name((enum cm_cell)k), d->unit[u].n[k]);
        cJSON_AddNumberToObject(o, "nand2_eq", d->unit_nand2[u]);
        cJSON_AddNumberToObject(o, "area_um2", d->unit_area_um2[u]);
        cJSON_AddNumberToObject(o, "leakage_nw", d->unit_leak_nw[u]);
    }
    cJSON *bufs = cJSON_AddObjectToObject(root, "buffers");
    for (int b = 0; b < CM_N_BUFS; b++) {
        cJSON *o = cJSON_AddObjectToObject(bufs, cm_buffer_name((enum cm_buffer)b));
        cJSON_AddNumberToObject(o, "bits", d->buf_bits[b]);
        cJSON_AddNumberToObject(o, "used_bits", d->buf_used_bits[b]);
        cJSON_AddNumberToObject(o, "area_um2", d->buf_area_um2[b]);
        cJSON_AddNumberToObject(o, "leakage_nw", d->buf_leak_nw[b]);
        cJSON_AddNumberToObject(o, "energy_pj", d->energy.sram_pj[b]);
    }
    cJSON *en = cJSON_AddObjectToObject(root, "energy_pj");
    for (int k = 0; k < CM_N_OPKS; k++)
        cJSON_AddNumberToObject(en, cm_op_kind_name((enum cm_op_kind)k), d->energy.ops_pj[k]);
    cJSON_AddNumberToObject(en, "leakage_logic", d->energy.leak_logic_pj);
    cJSON_AddNumberToObject(en, "leakage_sram", d->energy.leak_sram_pj);
    cJSON_AddNumberToObject(en, "total", d->energy.total_pj);
    cJSON *mp = cJSON_AddObjectToObject(root, "merge_path");
    cJSON_AddStringToObject(mp, "kind", cm_merge_name(d->hw.merge));
    cJSON_AddNumberToObject(mp, "nand2_eq", d->merge.nand2);
    cJSON_AddNumberToObject(mp, "area_um2", d->merge.area_um2);
    cJSON_AddNumberToObject(mp, "skip_bits", d->merge.skip_bits);
    cJSON_AddNumberToObject(mp, "skip_used_bits", d->merge.skip_used_bits);
    cJSON_AddNumberToObject(mp, "cycles", d->merge.cycles);
    cJSON_AddNumberToObject(mp, "energy_pj", d->merge.energy_pj);
    cJSON_AddNumberToObject(mp, "rq_mul_bits", d->hw.rq_mul_bits);
    cJSON_AddNumberToObject(mp, "score_mul_bits", d->hw.score_mul_bits);
    cJSON_AddStringToObject(mp, "requant", cm_requant_name(d->hw.requant));
    cJSON_AddNumberToObject(mp, "rq_lshift_max", d->hw.rq_lshift_max);
    cJSON_AddNumberToObject(mp, "rq_rshift_bits", d->hw.rq_rshift_bits);
    cJSON *parts = cJSON_AddObjectToObject(mp, "parts");
    for (int p = 0; p < CM_N_MPARTS; p++) {
        cJSON *o = cJSON_AddObjectToObject(parts, cm_merge_part_name((enum cm_merge_part)p));
        cJSON_AddNumberToObject(o, "nand2_eq", d->merge.part_nand2[p]);
        cJSON_AddNumberToObject(o, "area_um2", d->merge.part_area_um2[p]);
        cJSON_AddNumberToObject(o, "energy_pj", d->merge.part_energy_pj[p]);
    }
    return print_doc(root);
}

char *sw_sim_json(const struct sim_stats *st, const struct cm_design *d,
                  const struct sw_sim_result *r)
{
    const struct cm_activity_energy *e = &r->energy;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "logiq_version", LOGIQ_VERSION);
    cJSON_AddNumberToObject(root, "schema_version", SW_SIM_JSON_SCHEMA);
    cJSON_AddNumberToObject(root, "images", (double)st->images);
    cJSON_AddNumberToObject(root, "correct", (double)r->correct);
    cJSON_AddBoolToObject(root, "matched", !st->has_mismatch);
    cJSON_AddNumberToObject(root, "mismatched_images", (double)st->mismatched_images);
    if (st->has_mismatch) {
        cJSON *m = cJSON_AddObjectToObject(root, "first_mismatch");
        cJSON_AddStringToObject(m, "kind", sw_mismatch_kind_name(st->first.kind));
        cJSON_AddNumberToObject(m, "image", (double)st->first.image);
        cJSON_AddNumberToObject(m, "layer", st->first.layer);
        cJSON_AddNumberToObject(m, "channel", st->first.channel);
        cJSON_AddNumberToObject(m, "y", st->first.y);
        cJSON_AddNumberToObject(m, "x", st->first.x);
        cJSON_AddNumberToObject(m, "sim", (double)st->first.sim_value);
        cJSON_AddNumberToObject(m, "reference", (double)st->first.ref_value);
    }
    cJSON_AddNumberToObject(root, "cycles", (double)st->cycles);
    cJSON_AddNumberToObject(root, "seconds", st->sim_seconds);
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int l = 0; l < st->n_layers; l++) {
        const struct sim_layer_stats *ls = &st->layer[l];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "layer", l + 1);
        cJSON_AddNumberToObject(o, "cycles", (double)ls->cycles);
        cJSON_AddNumberToObject(o, "analytic_cycles_per_image", (double)ls->analytic);
        cJSON *bufs = cJSON_AddObjectToObject(o, "buffers");
        for (int b = 0; b < CM_N_BUFS; b++) {
            cJSON *bo = cJSON_AddObjectToObject(bufs, cm_buffer_name((enum cm_buffer)b));
            cJSON_AddNumberToObject(bo, "reads", (double)ls->reads[b]);
            cJSON_AddNumberToObject(bo, "writes", (double)ls->writes[b]);
        }
        cJSON_AddItemToArray(layers, o);
    }
    cJSON *tg = cJSON_AddObjectToObject(root, "toggles");
    cJSON *tb = cJSON_AddObjectToObject(root, "toggle_bits");
    cJSON *en = cJSON_AddObjectToObject(root, "energy_pj_per_image");
    cJSON *eu = cJSON_AddObjectToObject(en, "activity_units");
    for (int u = 0; u < CM_N_UNITS; u++) {
        const char *name = cm_unit_kind_name((enum cm_unit_kind)u);
        cJSON_AddNumberToObject(tg, name, st->toggles[u]);
        cJSON_AddNumberToObject(tb, name, st->toggle_bits[u]);
        cJSON_AddNumberToObject(eu, name, e->unit_pj[u]);
    }
    cJSON *eb = cJSON_AddObjectToObject(en, "activity_buffers");
    for (int b = 0; b < CM_N_BUFS; b++)
        cJSON_AddNumberToObject(eb, cm_buffer_name((enum cm_buffer)b), e->sram_pj[b]);
    cJSON_AddNumberToObject(en, "activity_leakage", e->leak_pj);
    cJSON_AddNumberToObject(en, "activity", e->total_pj);
    cJSON_AddNumberToObject(en, "operation", d->energy.total_pj);
    return print_doc(root);
}

enum sim_status sw_sim_dataset(struct sim *s, const struct nn_dataset *test,
                               const struct cm_lib *lib, sw_sim_progress_fn progress, void *ctx,
                               struct sw_sim_result *r, struct sim_error *err)
{
    memset(r, 0, sizeof *r);
    const int n = test->n, batch = 16;
    const size_t img = (size_t)test->h * test->w * test->c;
    int pred[16];
    enum sim_status st = SIM_OK;
    for (int done = 0; done < n && st == SIM_OK;) {
        int k = n - done < batch ? n - done : batch;
        st = sim_run(s, test->x + img * done, k, pred, NULL, err);
        for (int i = 0; i < k; i++)
            r->correct += pred[i] == test->y[done + i];
        done += k;
        if (progress)
            progress(ctx, done, n, sim_stats(s));
    }
    if (st == SIM_OK)
        st = sim_vcd_close(s, err);
    if (st != SIM_OK)
        return st;
    const struct sim_stats *ss = sim_stats(s);
    struct cm_activity act;
    sim_activity(s, &act);
    cm_energy_activity(sim_design(s), lib, &act, &r->energy);
    r->cycles_equal = 1;
    for (int l = 0; l < ss->n_layers; l++)
        r->cycles_equal &= ss->layer[l].cycles == ss->layer[l].analytic * ss->images;
    return SIM_OK;
}

int sw_write_text(const char *path, const char *text, char *msg, size_t size)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(msg, size, "%s: cannot write: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = fputs(text, f) >= 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(msg, size, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

/* cli/cmd_cost.c: `logiq cost`: gates, area, energy and latency of the
 * reference accelerator of a hw.ini running a network, per layer and unit.
 *
 * The network is a trained .qnn (its constants are checked against the
 * hardware's widths) or an architecture (--arch; untrained: gate counts,
 * cycles and operation energies do not depend on the weights). */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sweeps/costnet.h"
#include "sweeps/results.h"
#include "costmodels/design.h"
#include "costmodels/energy.h"
#include "nn/model.h"
#include "nn/qnn.h"

static const char help[] =
    "usage: logiq cost [model.qnn] [--hw hw.ini] [--format table|csv|json]\n"
    "       logiq cost --arch ARCH [network options] [--hw hw.ini] [...]\n"
    "\n"
    "Prices the reference accelerator that hw.ini describes running a network:\n"
    "per layer and in total the cycles, the latency, the operation counts, the\n"
    "SRAM accesses and the energy per inference; for the design the gates of each\n"
    "unit kind (NAND2 equivalents, um^2), the SRAM sizes and areas, and what the\n"
    "residual merge path (merge units, skip buffer, extra cycles) costs. The\n"
    "hardware is docs/accelerator.md; hw.ini keys and energy rules are in\n"
    "docs/cost-models.md (`--help-hw` lists the keys).\n"
    "\n"
    "  --hw FILE            the hardware description (default: the built-in\n"
    "                       default design, as `--help-hw` lists)\n"
    "  --format F           table (default), csv (section,item,metric,value), json\n"
    "  -o, --output FILE    write there instead of standard output\n"
    "  --help-hw            list every hw.ini key with its unit and range\n"
    "\n"
    "Network, when no model is given (weights are not needed):\n"
    "  --arch ARCH          preset or architecture string (docs/architectures.md)\n"
    "  --width W            width multiplier (default 1)\n"
    "  --wq Q, --wq-first Q, --wq-last Q, --aq A, --mux V, --res-bits R,\n"
    "  --res-frac F         as in `logiq train` (defaults heq:3, 1)\n"
    "  --max-memory GIB     as in `logiq train`: the --arch network's memory (default 16)\n"
    "  --input HxWxC        input image shape (default 28x28x1, Fashion-MNIST)\n"
    "  --classes N          classes (default 10)\n"
    "  -h, --help           this help\n";

enum {
    O_HW = CLI_OPT_NET_END, O_FORMAT, O_HELP_HW, O_INPUT, O_CLASSES,
};

static const struct option long_opts[] = {
    {"hw", required_argument, 0, O_HW},
    {"format", required_argument, 0, O_FORMAT},
    {"output", required_argument, 0, 'o'},
    {"help-hw", no_argument, 0, O_HELP_HW},
    CLI_NET_OPTIONS,
    {"input", required_argument, 0, O_INPUT},
    {"classes", required_argument, 0, O_CLASSES},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int usage_error(const char *msg)
{
    fprintf(stderr, "logiq cost: %s\n", msg);
    return EXIT_USAGE;
}

static void print_hw_keys(void)
{
    int n;
    const struct cm_hw_key *k = cm_hw_keys(&n);
    struct cm_hw d;
    cm_hw_defaults(&d);
    printf("hw.ini keys (section, key, unit, range: meaning). Comments start with ';'.\n");
    for (int i = 0; i < n; i++)
        printf("  [%s] %-13s %-18s %s: %s\n", k[i].section, k[i].key, k[i].unit, k[i].range,
               k[i].doc);
    printf("Defaults: pe_rows %d, lanes %d, acc_bits %d, adder %s, max_act_bits auto, "
           "max_w_bits auto, merge auto, res_bits %d, rq_mul_bits auto, add_stages %d, clock "
           "auto (fmax), buffers auto, tech %s.\n",
           d.pe_rows, d.lanes, d.acc_bits, cm_adder_arch_name(d.adder), d.res_bits,
           d.add_stages, d.tech);
}

static const char *op_name(const struct cm_layer *l, char *buf, size_t n)
{
    if (l->op == CM_OP_DENSE)
        snprintf(buf, n, "dense");
    else
        snprintf(buf, n, "conv%ds%d", l->k, l->stride);
    return buf;
}

static double sum_layers(const struct cm_design *d, size_t offset)
{
    double s = 0.0;
    for (int i = 0; i < d->n_layers; i++)
        s += *(const double *)((const char *)&d->layer[i] + offset);
    return s;
}

static void print_table(FILE *f, const struct cm_design *d, const struct cm_net *net,
                        const char *net_name, const char *hw_name, const struct cm_lib *lib)
{
    const struct cm_hw *hw = &d->hw;
    fprintf(f, "network %s on design \"%s\" (%s): %d PEs x %d lanes, %s PEs, %s adders, "
            "merge %s%s%s, %.4g MHz%s, tech %s, up to %d-bit activations and %d weight "
            "planes\n\n",
            net_name, hw->name, hw_name, hw->pe_rows, hw->lanes, cm_pe_kind_name(hw->pe),
            cm_adder_arch_name(hw->adder), cm_merge_name(hw->merge),
            hw->merge == CM_MERGE_MUX ? " " : "",
            hw->merge == CM_MERGE_MUX ? cm_mux_variant_name(hw->mux) : "", hw->clock_mhz,
            d->clock_auto ? " (auto: fmax)" : "", lib->name, hw->max_act_bits, hw->max_w_bits);
    fprintf(f, "%5s %-8s %-7s %-16s %-16s %4s %6s %4s %2s %2s %10s %11s %10s %10s %9s %8s "
            "%8s %8s %8s\n", "layer", "op", "merge", "in (hxwxc/bits)", "out (hxwxc/bits)", "T",
            "P", "Q", "Bw", "Ba", "cycles", "latency_us", "energy_nJ", "lane_ops", "act_rd",
            "act_wr", "w_rd", "skip_rd", "skip_wr");
    for (int i = 0; i < d->n_layers; i++) {
        const struct cm_layer *l = &net->layers[i];
        const struct cm_layer_cost *c = &d->layer[i];
        char op[16], in[32], out[32], mg[16];
        snprintf(in, sizeof in, "%dx%dx%d/%d", l->in_h, l->in_w, l->in_c, l->in_bits);
        if (l->scores)
            snprintf(out, sizeof out, "%d scores", l->out_c);
        else
            snprintf(out, sizeof out, "%dx%dx%d/%d%s", l->out_h, l->out_w, l->out_c, l->out_bits,
                     l->pool ? "+p" : "");
        /* a merge whose skip is not its own input names its source (or<3);
         * a projection shortcut's side layer shows as proj */
        const int k = l->merge ? cm_net_skip_of(net, i) : -1;
        if (l->side)
            snprintf(mg, sizeof mg, "proj%s", l->res ? "(s)" : "");
        else if (l->merge && k != i - 1)
            snprintf(mg, sizeof mg, "%s<%d", cm_merge_name((enum cm_merge)l->merge), k + 1);
        else
            snprintf(mg, sizeof mg, "%s%s", l->merge ? cm_merge_name((enum cm_merge)l->merge) : "-",
                     l->res && !l->merge ? "(s)" : "");
        fprintf(f, "%5d %-8s %-7s %-16s %-16s %4lld %6lld %4lld %2lld %2lld %10lld %11.2f "
                "%10.3f %10.4g %9.0f %8.0f %8.0f %8.0f %8.0f\n", i + 1, op_name(l, op, sizeof op),
                mg, in, out, c->cyc.tiles, c->cyc.positions, c->cyc.chunks, c->cyc.w_passes,
                c->cyc.a_planes, c->cyc.total, c->latency_us, c->energy_pj * 1e-3,
                c->ops[CM_OPK_LANE], c->reads[CM_BUF_ACT], c->writes[CM_BUF_ACT],
                c->reads[CM_BUF_WEIGHT], c->reads[CM_BUF_SKIP], c->writes[CM_BUF_SKIP]);
    }
    fprintf(f, "%5s %-8s %-7s %-16s %-16s %4s %6s %4s %2s %2s %10lld %11.2f %10.3f %10.4g "
            "%9.0f %8.0f %8.0f %8.0f %8.0f\n\n", "total", "", "", "", "", "", "", "", "", "",
            d->cycles, d->latency_us, d->energy.total_pj * 1e-3,
            sum_layers(d, offsetof(struct cm_layer_cost, ops[CM_OPK_LANE])),
            sum_layers(d, offsetof(struct cm_layer_cost, reads[CM_BUF_ACT])),
            sum_layers(d, offsetof(struct cm_layer_cost, writes[CM_BUF_ACT])),
            sum_layers(d, offsetof(struct cm_layer_cost, reads[CM_BUF_WEIGHT])),
            sum_layers(d, offsetof(struct cm_layer_cost, reads[CM_BUF_SKIP])),
            sum_layers(d, offsetof(struct cm_layer_cost, writes[CM_BUF_SKIP])));

    fprintf(f, "%-16s %10s %12s %12s %11s\n", "unit", "cells", "NAND2_eq", "area_um2",
            "leakage_uW");
    for (int u = 0; u < CM_N_UNITS; u++)
        fprintf(f, "%-16s %10.0f %12.1f %12.1f %11.3f\n", cm_unit_kind_name((enum cm_unit_kind)u),
                cm_count_cells(&d->unit[u]), d->unit_nand2[u], d->unit_area_um2[u],
                d->unit_leak_nw[u] * 1e-3);
    double cells = 0.0;
    for (int u = 0; u < CM_N_UNITS; u++)
        cells += cm_count_cells(&d->unit[u]);
    fprintf(f, "%-16s %10.0f %12.1f %12.1f %11.3f\n\n", "logic total", cells, d->logic_nand2,
            d->logic_area_um2, d->logic_leak_nw * 1e-3);

    fprintf(f, "%-16s %10s %10s %12s %11s %12s %12s %10s\n", "buffer", "size_kbit", "used_kbit",
            "area_um2", "leakage_uW", "reads", "writes", "energy_nJ");
    for (int b = 0; b < CM_N_BUFS; b++) {
        double r = 0.0, w = 0.0;
        for (int i = 0; i < d->n_layers; i++) {
            r += d->layer[i].reads[b];
            w += d->layer[i].writes[b];
        }
        fprintf(f, "%-16s %10.2f %10.2f %12.1f %11.3f %12.0f %12.0f %10.3f\n",
                b == CM_BUF_ACT ? "act (2 banks)" : cm_buffer_name((enum cm_buffer)b),
                d->buf_bits[b] / 1024.0, d->buf_used_bits[b] / 1024.0, d->buf_area_um2[b],
                d->buf_leak_nw[b] * 1e-3, r, w, d->energy.sram_pj[b] * 1e-3);
    }
    fprintf(f, "\narea: logic %.0f um^2 + SRAM %.0f um^2 = %.0f um^2 (%.4f mm^2)\n",
            d->logic_area_um2, d->sram_area_um2, d->area_um2, d->area_um2 * 1e-6);
    fprintf(f, "latency: %lld cycles = %.2f us at %.4g MHz%s\n", d->cycles, d->latency_us,
            hw->clock_mhz, d->clock_auto ? " (fmax)" : "");
    const struct cm_timing *t = &d->timing;
    fprintf(f, "timing: fmax %.1f MHz, critical stage %s (%.0f ps logic + %.0f ps clock-to-q "
            "+ %.0f ps setup = %.0f ps)%s\n",
            t->fmax_mhz, cm_stage_name(t->critical), t->stage_ps[t->critical], t->clk_q_ps,
            t->setup_ps, t->period_ps,
            d->clock_over_fmax ? "; the fixed clock exceeds fmax: timing NOT met" : "");
    fprintf(f, "stage paths (ps):");
    for (int s = 0; s < CM_N_STAGES; s++)
        if (t->present[s])
            fprintf(f, " %s %.0f", cm_stage_name((enum cm_stage)s), t->stage_ps[s]);
    fprintf(f, "\n\n");

    fprintf(f, "%-16s %14s %12s   (operation-based, per inference)\n", "operation", "count",
            "energy_nJ");
    for (int k = 0; k < CM_N_OPKS; k++) {
        double n = 0.0;
        for (int i = 0; i < d->n_layers; i++)
            n += d->layer[i].ops[k];
        fprintf(f, "%-16s %14.0f %12.4f\n", cm_op_kind_name((enum cm_op_kind)k), n,
                d->energy.ops_pj[k] * 1e-3);
    }
    double ops = 0.0, sram = 0.0;
    for (int k = 0; k < CM_N_OPKS; k++)
        ops += d->energy.ops_pj[k];
    for (int b = 0; b < CM_N_BUFS; b++)
        sram += d->energy.sram_pj[b];
    fprintf(f, "energy per inference: operations %.3f nJ + SRAM %.3f nJ + leakage %.3f nJ = "
            "%.3f nJ\n\n", ops * 1e-3, sram * 1e-3,
            (d->energy.leak_logic_pj + d->energy.leak_sram_pj) * 1e-3, d->energy.total_pj * 1e-3);
    fprintf(f, "merge path (%s): %.1f NAND2 eq, %.0f um^2 with the skip buffer, skip buffer "
            "%.2f kbit (%.2f used), %.0f extra cycles, %.4f nJ per inference\n",
            cm_merge_name(hw->merge), d->merge.nand2, d->merge.area_um2,
            d->merge.skip_bits / 1024.0, d->merge.skip_used_bits / 1024.0, d->merge.cycles,
            d->merge.energy_pj * 1e-3);
    if (hw->merge == CM_MERGE_ADD && hw->requant == CM_RQ_SHIFT)
        fprintf(f, "  requantizer: shift (left 0..%d, %d-bit right shift, %d-bit offset; score "
                "unit: %d-bit multiplier)\n", hw->rq_lshift_max, hw->rq_rshift_bits,
                hw->acc_bits + hw->rq_lshift_max, hw->score_mul_bits);
    else if (hw->merge == CM_MERGE_ADD)
        fprintf(f, "  requantizer: %d-bit multiplier (score unit: %d bits)\n", hw->rq_mul_bits,
                hw->score_mul_bits);
    fprintf(f, "  %-13s %12s %12s %12s\n", "part", "NAND2_eq", "area_um2", "energy_nJ");
    for (int p = 0; p < CM_N_MPARTS; p++)
        fprintf(f, "  %-13s %12.1f %12.0f %12.4f\n", cm_merge_part_name((enum cm_merge_part)p),
                d->merge.part_nand2[p], d->merge.part_area_um2[p],
                d->merge.part_energy_pj[p] * 1e-3);
}

static void csv_row(FILE *f, const char *section, const char *item, const char *metric, double v)
{
    fprintf(f, "%s,%s,%s,%.17g\n", section, item, metric, v);
}

static void print_csv(FILE *f, const struct cm_design *d)
{
    fprintf(f, "section,item,metric,value\n");
    for (int i = 0; i < d->n_layers; i++) {
        const struct cm_layer_cost *c = &d->layer[i];
        char item[16];
        snprintf(item, sizeof item, "%d", i + 1);
        csv_row(f, "layer", item, "tiles", (double)c->cyc.tiles);
        csv_row(f, "layer", item, "positions", (double)c->cyc.positions);
        csv_row(f, "layer", item, "chunks", (double)c->cyc.chunks);
        csv_row(f, "layer", item, "w_passes", (double)c->cyc.w_passes);
        csv_row(f, "layer", item, "a_planes", (double)c->cyc.a_planes);
        csv_row(f, "layer", item, "issue_cycles", (double)c->cyc.issue);
        csv_row(f, "layer", item, "cycles", (double)c->cyc.total);
        csv_row(f, "layer", item, "latency_us", c->latency_us);
        for (int k = 0; k < CM_N_OPKS; k++)
            csv_row(f, "layer", item, cm_op_kind_name((enum cm_op_kind)k), c->ops[k]);
        for (int b = 0; b < CM_N_BUFS; b++) {
            char m[32];
            snprintf(m, sizeof m, "%s_reads", cm_buffer_name((enum cm_buffer)b));
            csv_row(f, "layer", item, m, c->reads[b]);
            snprintf(m, sizeof m, "%s_writes", cm_buffer_name((enum cm_buffer)b));
            csv_row(f, "layer", item, m, c->writes[b]);
        }
        csv_row(f, "layer", item, "energy_pj", c->energy_pj);
    }
    for (int u = 0; u < CM_N_UNITS; u++) {
        const char *n = cm_unit_kind_name((enum cm_unit_kind)u);
        for (int k = 0; k < CM_N_CELLS; k++)
            if (d->unit[u].n[k] > 0.0)
                csv_row(f, "unit", n, cm_cell_name((enum cm_cell)k), d->unit[u].n[k]);
        csv_row(f, "unit", n, "nand2_eq", d->unit_nand2[u]);
        csv_row(f, "unit", n, "area_um2", d->unit_area_um2[u]);
        csv_row(f, "unit", n, "leakage_nw", d->unit_leak_nw[u]);
    }
    for (int b = 0; b < CM_N_BUFS; b++) {
        const char *n = cm_buffer_name((enum cm_buffer)b);
        csv_row(f, "buffer", n, "bits", d->buf_bits[b]);
        csv_row(f, "buffer", n, "used_bits", d->buf_used_bits[b]);
        csv_row(f, "buffer", n, "area_um2", d->buf_area_um2[b]);
        csv_row(f, "buffer", n, "leakage_nw", d->buf_leak_nw[b]);
        csv_row(f, "buffer", n, "energy_pj", d->energy.sram_pj[b]);
    }
    for (int k = 0; k < CM_N_OPKS; k++)
        csv_row(f, "energy", cm_op_kind_name((enum cm_op_kind)k), "energy_pj",
                d->energy.ops_pj[k]);
    csv_row(f, "energy", "leakage_logic", "energy_pj", d->energy.leak_logic_pj);
    csv_row(f, "energy", "leakage_sram", "energy_pj", d->energy.leak_sram_pj);
    csv_row(f, "design", "total", "energy_pj", d->energy.total_pj);
    csv_row(f, "design", "total", "cycles", (double)d->cycles);
    csv_row(f, "design", "total", "latency_us", d->latency_us);
    csv_row(f, "design", "total", "clock_mhz", d->hw.clock_mhz);
    csv_row(f, "design", "total", "clock_auto", d->clock_auto);
    csv_row(f, "design", "total", "fmax_mhz", d->timing.fmax_mhz);
    csv_row(f, "design", "total", "period_ps", d->timing.period_ps);
    csv_row(f, "design", "total", "timing_met", !d->clock_over_fmax);
    for (int s = 0; s < CM_N_STAGES; s++) {
        if (!d->timing.present[s])
            continue;
        const char *name = cm_stage_name((enum cm_stage)s);
        csv_row(f, "stage", name, "path_ps", d->timing.stage_ps[s]);
        csv_row(f, "stage", name, "critical", (int)d->timing.critical == s);
    }
    csv_row(f, "design", "total", "nand2_eq", d->logic_nand2);
    csv_row(f, "design", "total", "logic_area_um2", d->logic_area_um2);
    csv_row(f, "design", "total", "sram_area_um2", d->sram_area_um2);
    csv_row(f, "design", "total", "area_um2", d->area_um2);
    csv_row(f, "design", "total", "max_act_bits", d->hw.max_act_bits);
    csv_row(f, "design", "total", "max_w_bits", d->hw.max_w_bits);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "nand2_eq", d->merge.nand2);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "area_um2", d->merge.area_um2);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "skip_bits", d->merge.skip_bits);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "skip_used_bits",
            d->merge.skip_used_bits);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "cycles", d->merge.cycles);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "energy_pj", d->merge.energy_pj);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "rq_mul_bits", d->hw.rq_mul_bits);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "score_mul_bits", d->hw.score_mul_bits);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "requant_shift",
            d->hw.requant == CM_RQ_SHIFT);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "rq_lshift_max", d->hw.rq_lshift_max);
    csv_row(f, "merge_path", cm_merge_name(d->hw.merge), "rq_rshift_bits", d->hw.rq_rshift_bits);
    for (int p = 0; p < CM_N_MPARTS; p++) {
        const char *n = cm_merge_part_name((enum cm_merge_part)p);
        csv_row(f, "merge_part", n, "nand2_eq", d->merge.part_nand2[p]);
        csv_row(f, "merge_part", n, "area_um2", d->merge.part_area_um2[p]);
        csv_row(f, "merge_part", n, "energy_pj", d->merge.part_energy_pj[p]);
    }
}

static int parse_input(const char *s, struct nn_model_config *cfg)
{
    int h, w, c;
    char tail;
    if (sscanf(s, "%dx%dx%d%c", &h, &w, &c, &tail) != 3 || h < 1 || w < 1 || c < 1 ||
        h > 4096 || w > 4096 || c > 4096)
        return -1;
    cfg->in_h = h;
    cfg->in_w = w;
    cfg->in_c = c;
    return 0;
}

int cmd_cost(int argc, char **argv)
{
    const char *hw_path = NULL, *out_path = NULL, *arch_text = NULL;
    enum cli_format fmt = CLI_FMT_TABLE;
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.max_batch = 2;  /* the smallest the model allows; nothing runs */
    float width = 1.0f;
    char msg[1200];
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        int net = cli_net_option(c, optarg, "cost", &cfg, &arch_text, &width);
        if (net < 0)
            return EXIT_USAGE;
        if (net > 0)
            continue;
        switch (c) {
        case O_HW: hw_path = optarg; break;
        case 'o': out_path = optarg; break;
        case O_FORMAT: bad = cli_parse_format("cost", optarg, &fmt); break;
        case O_HELP_HW: print_hw_keys(); return 0;
        case O_INPUT:
            if (parse_input(optarg, &cfg) != 0)
                return usage_error("--input: expected HxWxC, e.g. 28x28x1");
            break;
        case O_CLASSES: bad = cli_parse_int("cost", "--classes", optarg, 2, 100000, &cfg.n_class); break;
        case 'h': fputs(help, stdout); return 0;
        default: return usage_error("bad option (see logiq cost --help)");
        }
        if (bad)
            return EXIT_USAGE;
    }
    const char *model_path = optind < argc ? argv[optind++] : NULL;
    if (optind < argc) {
        snprintf(msg, sizeof msg, "unexpected argument '%s' (see logiq cost --help)", argv[optind]);
        return usage_error(msg);
    }
    if (!model_path && !arch_text)
        return usage_error("give a model.qnn or --arch ARCH (see logiq cost --help)");
    if (model_path && arch_text)
        return usage_error("give a model.qnn or --arch, not both");

    struct cm_hw hw;
    struct cm_lib lib;
    if (sw_hw_load(hw_path, &hw, &lib, msg, sizeof msg) != 0)
        return usage_error(msg);

    /* The network, as the hardware holds it. For --arch, an untrained model
     * is exported: shapes and bit widths are all the cost models need. */
    struct cm_net net;
    struct cm_layer *layers = NULL;
    char net_name[4400];
    int lrc = sw_net_load(model_path, arch_text, width, &cfg, &net, &layers, net_name,
                          sizeof net_name, msg, sizeof msg);
    if (lrc != 0) {
        fprintf(stderr, "logiq cost: %s\n", msg);
        return lrc == 2 ? EXIT_USAGE : EXIT_WORK;
    }
    struct cm_design *d = calloc(1, sizeof *d);
    if (!d) {
        free(layers);
        fprintf(stderr, "logiq cost: out of memory\n");
        return EXIT_WORK;
    }

    int rc = 0;
    struct cm_error cerr = {{0}};
    enum cm_status st = cm_design_eval(d, &hw, &lib, &net, &cerr);
    if (st != CM_OK) {
        fprintf(stderr, "logiq cost: %s: %s%s\n", hw_path ? hw_path : "default design",
                st == CM_ERR_INFEASIBLE ? "infeasible: " : "", cerr.msg);
        rc = EXIT_USAGE;
        goto done;
    }
    if (d->clock_over_fmax)
        fprintf(stderr,
                "logiq cost: warning: %s: [design] clock_mhz = %g exceeds fmax = %.1f MHz "
                "(critical stage %s): the design would not meet timing; costed at %g MHz\n",
                hw_path ? hw_path : "default design", d->hw.clock_mhz, d->timing.fmax_mhz,
                cm_stage_name(d->timing.critical), d->hw.clock_mhz);
    FILE *f = stdout;
    struct cli_out out;  /* -o: written whole or not at all */
    if (out_path) {
        if (cli_out_open(&out) != 0) {
            fprintf(stderr, "logiq cost: out of memory\n");
            rc = EXIT_WORK;
            goto done;
        }
        f = out.f;
    }
    const char *hw_name = hw_path ? hw_path : "built-in default";
    if (fmt == CLI_FMT_TABLE)
        print_table(f, d, &net, net_name, hw_name, &lib);
    else if (fmt == CLI_FMT_CSV)
        print_csv(f, d);
    else {
        char *text = sw_cost_json(d, net_name, hw_name, &lib);
        if (text)
            fputs(text, f);
        else {
            fprintf(stderr, "logiq cost: out of memory\n");
            rc = EXIT_WORK;
        }
        free(text);
    }
    if (out_path) {
        if (rc == 0)
            rc = cli_out_commit(&out, "cost", out_path);
        else {
            fclose(out.f);
            free(out.buf);
        }
    }
done:
    free(layers);
    free(d);
    return rc;
}

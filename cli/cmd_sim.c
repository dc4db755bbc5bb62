/* cli/cmd_sim.c: `logiq sim model.qnn --hw hw.ini`: runs test images through
 * the cycle-accurate SystemC model of the accelerator, checks every output
 * against the golden integer model, and prints the accuracy, the cycles per
 * layer (simulated beside analytic) and per image, and the buffer traffic. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sweeps/costnet.h"
#include "sweeps/results.h"
#include "costmodels/design.h"
#include "nn/qnn.h"
#include "sim/sim.h"

static const char help[] =
    "usage: logiq sim model.qnn [--hw hw.ini] [--images N] [--vcd FILE]\n"
    "                 [--format table|csv|json]\n"
    "\n"
    "Simulates the reference accelerator of hw.ini (docs/accelerator.md) running a\n"
    ".qnn, cycle by cycle in SystemC, on the first N test images. Every activation\n"
    "word the model writes, every class score and every prediction is compared\n"
    "with the golden integer model (`logiq eval`); the first difference is printed\n"
    "and the exit code is 1. Prints the accuracy, the cycles of each layer as\n"
    "simulated and as the analytic model counts them (they must be equal), the\n"
    "cycles per image, the reads and writes of each buffer, the toggles of each unit\n"
    "kind's registers and buses, and the activity-based energy per inference beside\n"
    "the operation-based estimate of `logiq cost`.\n"
    "\n"
    "  --hw FILE            the hardware description (default: the built-in design)\n"
    "  --images N           simulate the first N test images (default: all)\n"
    "  --vcd FILE           write a waveform (VCD, for GTKWave) of the first images:\n"
    "                       the clock, the controller's counters, the fetch word,\n"
    "                       PE 0's popcounts, accumulator, code and pool register,\n"
    "                       the score unit; the registers change at the clock's\n"
    "                       rising edges\n"
    "  --vcd-images N       images in the waveform (default 2)\n"
    "  --max-memory GIB     refuse a model whose integer inference workspace needs\n"
    "                       more than GIB GiB (default 16)\n"
    "  --format F           table (default), csv (section,item,metric,value), json\n"
    "  -o, --output FILE    write the report there instead of standard output\n"
    "                       (written whole, then renamed: never a partial file)\n"
    "  -q, --quiet          no progress line\n"
    "%s"
    "  -h, --help           this help\n";

enum { O_HW = 256, O_IMAGES, O_FORMAT, O_DATA, O_DATA_DIR, O_VCD, O_VCD_IMAGES, O_MAX_MEM };
static const struct option long_opts[] = {
    {"hw", required_argument, 0, O_HW},
    {"images", required_argument, 0, O_IMAGES},
    {"format", required_argument, 0, O_FORMAT},
    {"vcd", required_argument, 0, O_VCD},
    {"vcd-images", required_argument, 0, O_VCD_IMAGES},
    {"max-memory", required_argument, 0, O_MAX_MEM},
    {"data", required_argument, 0, O_DATA},
    {"data-dir", required_argument, 0, O_DATA_DIR},
    {"output", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int usage_error(const char *msg)
{
    fprintf(stderr, "logiq sim: %s\n", msg);
    return EXIT_USAGE;
}

static void print_mismatch(FILE *f, const struct sim_mismatch *m)
{
    if (m->kind == SIM_MM_OUTPUT)
        fprintf(f, "MISMATCH: image %lld, layer %d, channel %d, position (%d,%d): simulated %lld, "
                "integer model %lld\n", m->image, m->layer, m->channel, m->y, m->x, m->sim_value,
                m->ref_value);
    else if (m->kind == SIM_MM_SCORE)
        fprintf(f, "MISMATCH: image %lld, layer %d, class %d score: simulated %lld, integer "
                "model %lld\n", m->image, m->layer, m->channel, m->sim_value, m->ref_value);
    else
        fprintf(f, "MISMATCH: image %lld: predicted class %lld, integer model %lld\n", m->image,
                m->sim_value, m->ref_value);
}

static void print_table(FILE *f, const struct sim_stats *st, const struct cm_design *d,
                        const struct cm_activity_energy *e, long long correct, const char *model,
                        const char *hw_name, double rate)
{
    const struct cm_hw *hw = &d->hw;
    long long n = st->images;
    fprintf(f, "%s on design \"%s\" (%s): %d PEs x %d lanes, acc %d bits, merge %s, %g MHz\n",
           model, hw->name, hw_name, hw->pe_rows, hw->lanes, hw->acc_bits,
           cm_merge_name(hw->merge), hw->clock_mhz);
    fprintf(f, "images: %lld, accuracy %.2f%% (%lld/%lld)\n", n, n ? 100.0 * correct / n : 0.0,
           correct, n);
    if (st->has_mismatch) {
        fprintf(f, "%lld of %lld images differ from the integer model; the first:\n",
               st->mismatched_images, n);
        print_mismatch(f, &st->first);
    } else
        fprintf(f, "all outputs matched the integer model (%lld images, every layer)\n", n);
    fprintf(f, "\n%5s %14s %14s %6s %12s %12s %12s %12s %12s\n", "layer", "cycles/image",
           "analytic", "equal", "act_rd", "act_wr", "weight_rd", "skip_rd", "skip_wr");
    int all_equal = 1;
    for (int l = 0; l < st->n_layers; l++) {
        const struct sim_layer_stats *ls = &st->layer[l];
        double per = n ? (double)ls->cycles / n : 0.0;
        int eq = n && ls->cycles == ls->analytic * n;
        all_equal &= eq;
        fprintf(f, "%5d %14.0f %14lld %6s %12.0f %12.0f %12.0f %12.0f %12.0f\n", l + 1, per,
               ls->analytic, eq ? "yes" : "NO", n ? (double)ls->reads[CM_BUF_ACT] / n : 0.0,
               n ? (double)ls->writes[CM_BUF_ACT] / n : 0.0,
               n ? (double)ls->reads[CM_BUF_WEIGHT] / n : 0.0,
               n ? (double)ls->reads[CM_BUF_SKIP] / n : 0.0,
               n ? (double)ls->writes[CM_BUF_SKIP] / n : 0.0);
    }
    fprintf(f, "%5s %14.0f %14lld %6s\n", "total", n ? (double)st->cycles / n : 0.0, d->cycles,
           all_equal ? "yes" : "NO");
    fprintf(f, "\ncycles per image: min %lld, max %lld; %.2f us at %g MHz\n", st->min_image_cycles,
           st->max_image_cycles, n ? (double)st->cycles / n / hw->clock_mhz : 0.0,
           hw->clock_mhz);
    fprintf(f, "\n%-16s %14s %10s %12s\n", "unit", "toggles/image", "bits", "energy_nJ");
    for (int u = 0; u < CM_N_UNITS; u++)
        fprintf(f, "%-16s %14.0f %10.0f %12.3f\n", cm_unit_kind_name((enum cm_unit_kind)u),
               n ? st->toggles[u] / n : 0.0, st->toggle_bits[u], e->unit_pj[u] * 1e-3);
    fprintf(f, "%-16s %14s %10s %12.3f\n", "SRAM", "", "",
           (e->sram_pj[CM_BUF_ACT] + e->sram_pj[CM_BUF_WEIGHT] + e->sram_pj[CM_BUF_SKIP]) * 1e-3);
    fprintf(f, "%-16s %14s %10s %12.3f\n", "leakage", "", "", e->leak_pj * 1e-3);
    fprintf(f, "(toggles: Hamming distances between successive values of every register and bus\n"
           "of the unit kind; bits: the widths counted; energy: cm_energy_activity)\n");
    fprintf(f, "\nenergy per inference: %.3f nJ activity-based (simulated toggles and accesses), "
           "%.3f nJ operation-based (logiq cost)\n", e->total_pj * 1e-3,
           d->energy.total_pj * 1e-3);
    fprintf(f, "\nsimulated %lld cycles in %.2f s: %.2f million cycles/s (the clocked model alone: "
           "%.2f s)\n", st->cycles, st->sim_seconds, rate * 1e-6, st->model_seconds);
}

static void csv_row(FILE *f, const char *section, const char *item, const char *metric, double v)
{
    fprintf(f, "%s,%s,%s,%.17g\n", section, item, metric, v);
}

static void print_csv(FILE *f, const struct sim_stats *st, const struct cm_design *d,
                      const struct cm_activity_energy *e, long long correct)
{
    long long n = st->images;
    fprintf(f, "section,item,metric,value\n");
    csv_row(f, "sim", "total", "images", (double)n);
    csv_row(f, "sim", "total", "correct", (double)correct);
    csv_row(f, "sim", "total", "mismatched_images", (double)st->mismatched_images);
    csv_row(f, "sim", "total", "cycles", (double)st->cycles);
    csv_row(f, "sim", "total", "min_image_cycles", (double)st->min_image_cycles);
    csv_row(f, "sim", "total", "max_image_cycles", (double)st->max_image_cycles);
    csv_row(f, "sim", "total", "seconds", st->sim_seconds);
    for (int l = 0; l < st->n_layers; l++) {
        const struct sim_layer_stats *ls = &st->layer[l];
        char item[16];
        snprintf(item, sizeof item, "%d", l + 1);
        csv_row(f, "layer", item, "cycles", (double)ls->cycles);
        csv_row(f, "layer", item, "analytic_cycles_per_image", (double)ls->analytic);
        for (int b = 0; b < CM_N_BUFS; b++) {
            char m[32];
            snprintf(m, sizeof m, "%s_reads", cm_buffer_name((enum cm_buffer)b));
            csv_row(f, "layer", item, m, (double)ls->reads[b]);
            snprintf(m, sizeof m, "%s_writes", cm_buffer_name((enum cm_buffer)b));
            csv_row(f, "layer", item, m, (double)ls->writes[b]);
        }
    }
    for (int u = 0; u < CM_N_UNITS; u++) {
        const char *name = cm_unit_kind_name((enum cm_unit_kind)u);
        csv_row(f, "toggles", name, "toggles", st->toggles[u]);
        csv_row(f, "toggles", name, "bits", st->toggle_bits[u]);
        csv_row(f, "energy", name, "activity_pj_per_image", e->unit_pj[u]);
    }
    for (int b = 0; b < CM_N_BUFS; b++)
        csv_row(f, "energy", cm_buffer_name((enum cm_buffer)b), "activity_pj_per_image",
                e->sram_pj[b]);
    csv_row(f, "energy", "leakage", "activity_pj_per_image", e->leak_pj);
    csv_row(f, "energy", "total", "activity_pj_per_image", e->total_pj);
    csv_row(f, "energy", "total", "operation_pj_per_image", d->energy.total_pj);
}

/* The progress line, after each batch of images. */
struct sim_progress {
    struct cli_progress pr;
    double t0;
};

static void show_progress(void *ctx, int done, int n, const struct sim_stats *st)
{
    struct sim_progress *sp = ctx;
    double el = cli_now() - sp->t0, eta = done ? el * (n - done) / done : 0.0;
    char eta_s[32];
    cli_format_duration(eta_s, sizeof eta_s, eta);
    cli_progress_show(&sp->pr, done == n, "sim: %d/%d images, %.2f M cycles/s, %s left%s", done,
                      n, st->sim_seconds > 0 ? st->cycles / st->sim_seconds * 1e-6 : 0, eta_s,
                      st->has_mismatch ? ", MISMATCH" : "");
}

int cmd_sim(int argc, char **argv)
{
    const char *hw_path = NULL, *out_path = NULL;
    enum cli_format fmt = CLI_FMT_TABLE;
    int images = 0, quiet = 0, c, bad = 0; /* 0: the whole test set */
    struct sim_options sopts = {.vcd_path = NULL, .vcd_images = 2};
    struct nn_data_source data;
    nn_data_source_default(&data);
    char msg[1200];
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", long_opts, NULL)) != -1) {
        switch (c) {
        case O_HW: hw_path = optarg; break;
        case O_IMAGES: bad = cli_parse_int("sim", "--images", optarg, 1, 100000000, &images); break;
        case O_FORMAT: bad = cli_parse_format("sim", optarg, &fmt); break;
        case O_VCD: sopts.vcd_path = optarg; break;
        case O_VCD_IMAGES:
            bad = cli_parse_int("sim", "--vcd-images", optarg, 1, 1000, &sopts.vcd_images);
            break;
        case O_MAX_MEM: {
            float gib = 0.0f;
            bad = cli_parse_float("sim", "--max-memory", optarg, 1e-6, 1e6, &gib);
            sopts.max_mem_gib = gib;
            break;
        }
        case O_DATA: data.kind = optarg; break;
        case O_DATA_DIR: data.dir = optarg; break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': printf(help, "  --data KIND, --data-dir DIR   as in `logiq eval` (the test split)\n"); return 0;
        default: return usage_error("bad option (see logiq sim --help)");
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (argc - optind != 1)
        return usage_error("expected one model file (usage: logiq sim model.qnn [--hw hw.ini])");
    const char *model_path = argv[optind];

    struct cm_hw hw;
    struct cm_lib lib;
    if (sw_hw_load(hw_path, &hw, &lib, msg, sizeof msg) != 0)
        return usage_error(msg);
    struct nn_qnn q;
    struct nn_error err = {{0}};
    enum nn_status nst = nn_qnn_read(&q, model_path, &err);
    if (nst != NN_OK)
        return usage_error(err.msg);
    data.limit_test = images;
    struct nn_dataset test = {0};
    nst = nn_data_source_load(&data, NULL, &test, &err);
    if (nst == NN_OK && (test.h != q.in_h || test.w != q.in_w || test.c != q.in_c))
        nst = nn_fail(&err, NN_ERR_ARG, "the test images are %dx%dx%d but %s expects %dx%dx%d",
                      test.h, test.w, test.c, model_path, q.in_h, q.in_w, q.in_c);
    if (nst != NN_OK) {
        fprintf(stderr, "logiq sim: %s\n", err.msg);
        nn_qnn_free(&q);
        return nn_status_exit_code(nst);
    }

    /* the design for this network, on the hw.ini's cell library: the one
     * the simulation is checked against and prices its toggles with */
    struct cm_design *design = malloc(sizeof *design);
    struct cm_net net;
    struct cm_layer *layers = NULL;
    int drc = design ? sw_design_for_qnn(&q, &hw, &lib, design, &net, &layers, msg, sizeof msg)
                     : 1;
    if (drc != 0) {
        fprintf(stderr, "logiq sim: %s: %s\n", hw_path ? hw_path : "default design",
                design ? msg : "out of memory");
        free(design);
        nn_data_free(&test);
        nn_qnn_free(&q);
        return drc == 2 ? EXIT_USAGE : EXIT_WORK;
    }
    struct sim *s = NULL;
    struct sim_error serr;
    enum sim_status sst = sim_open_opts(&s, &q, design, &net, &sopts, &serr);
    free(layers);  /* sim_open copied the design and the network */
    free(design);
    if (sst != SIM_OK) {
        if (sst == SIM_ERR_IO)
            fprintf(stderr, "logiq sim: %s\n", serr.msg);
        else if (sst == SIM_ERR_LIMIT)
            fprintf(stderr, "logiq sim: %s: %s\n", model_path, serr.msg);
        else
            fprintf(stderr, "logiq sim: %s: %s\n", hw_path ? hw_path : "default design",
                    serr.msg);
        nn_data_free(&test);
        nn_qnn_free(&q);
        return sst == SIM_ERR_INFEASIBLE || sst == SIM_ERR_ARG || sst == SIM_ERR_LIMIT ? EXIT_USAGE
                                                                                 : EXIT_WORK;
    }
    struct sim_progress sp = {.t0 = cli_now()};
    cli_progress_init(&sp.pr, quiet);
    struct sw_sim_result r;
    sst = sw_sim_dataset(s, &test, &lib, show_progress, &sp, &r, &serr);
    int rc = 0;
    if (sst != SIM_OK) {
        fprintf(stderr, "logiq sim: %s\n", serr.msg);
        rc = EXIT_WORK;
    } else {
        const struct sim_stats *st = sim_stats(s);
        const struct cm_design *d = sim_design(s);
        double rate = st->sim_seconds > 0 ? st->cycles / st->sim_seconds : 0.0;
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path ? out_path : "", (long)getpid());
        FILE *f = out_path ? fopen(tmp, "w") : stdout;
        if (!f) {
            fprintf(stderr, "logiq sim: -o %s: cannot write: %s\n", tmp, strerror(errno));
            rc = EXIT_WORK;
        } else if (fmt == CLI_FMT_TABLE)
            print_table(f, st, d, &r.energy, r.correct, model_path,
                        hw_path ? hw_path : "built-in default", rate);
        else if (fmt == CLI_FMT_CSV)
            print_csv(f, st, d, &r.energy, r.correct);
        else {
            char *text = sw_sim_json(st, d, &r);
            if (text)
                fputs(text, f);
            else {
                fprintf(stderr, "logiq sim: out of memory\n");
                rc = EXIT_WORK;
            }
            free(text);
        }
        if (f && f != stdout) {
            if (fclose(f) != 0 || (rc == 0 && rename(tmp, out_path) != 0)) {
                fprintf(stderr, "logiq sim: -o %s: write failed: %s\n", out_path, strerror(errno));
                rc = EXIT_WORK;
            }
            if (rc != 0)
                remove(tmp);
        }
        if (st->has_mismatch) {
            if (fmt != CLI_FMT_TABLE)
                print_mismatch(stderr, &st->first);
            rc = EXIT_WORK;
        }
        if (!r.cycles_equal) {
            fprintf(stderr, "logiq sim: simulated cycles differ from the analytic count\n");
            rc = EXIT_WORK;
        }
    }
    sim_close(s);
    nn_data_free(&test);
    nn_qnn_free(&q);
    return rc;
}

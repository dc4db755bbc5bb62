/* cli/cmd_rtl.c: `logiq rtl [--hw hw.ini] [model.qnn] -o DIR/`: writes the
 * accelerator of hw.ini as synthesizable Verilog (rtl/rtl.h, docs/rtl.md):
 * DIR/logiq_accel.v, and DIR/logiq_accel.vlt, the Verilator configuration
 * that makes the registers whose toggles are counted readable. With a model the design is resolved for it as `logiq
 * cost` and `logiq sim` resolve it (auto widths and buffer sizes) and the
 * network is checked to be one the RTL covers; without one, every width
 * must be fixed in hw.ini. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "costmodels/design.h"
#include "nn/qnn.h"
#include "rtl/rtl.h"
#include "sweeps/costnet.h"

static const char help[] =
    "usage: logiq rtl [--hw hw.ini] [model.qnn] -o DIR/\n"
    "\n"
    "Writes the reference accelerator of hw.ini (docs/accelerator.md) as one\n"
    "synthesizable Verilog file, DIR/logiq_accel.v: the controller, the fetch unit\n"
    "with its address generator, the PE array, the threshold, pooling and score\n"
    "units (the datapath units are the netlists `logiq cost` counts), and\n"
    "behavioural SRAMs that a testbench loads through the design's load port\n"
    "with any network the design can hold (docs/rtl.md). The RTL runs cycle for\n"
    "cycle as `logiq sim`'s SystemC model; tests/rtl_cosim.cpp co-simulates it\n"
    "with Verilator against the integer model (docs/rtl.md). DIR/logiq_accel.vlt\n"
    "is a Verilator configuration that makes the registers and buses whose toggles\n"
    "the harness counts readable (pass it to Verilator beside the design).\n"
    "\n"
    "Covered so far: conv, dense and max pooling layers, the or, mux and add merges\n"
    "with their residual blocks, on the bitplane, xnor and shift PEs (not yet:\n"
    "signed multi-level activations). A model given resolves\n"
    "the design's auto keys for it and must be such a network; without one,\n"
    "[merge] kind (and mux), max_act_bits, max_w_bits and rq_mul_bits must be\n"
    "fixed in hw.ini.\n"
    "\n"
    "  --hw FILE            the hardware description (default: the built-in design)\n"
    "  --classes N          the score register file's classes without a model\n"
    "                       (default 16)\n"
    "  -o, --output DIR     the folder to write (created if missing)\n"
    "  -h, --help           this help\n";

enum { O_HW = 256, O_CLASSES };
static const struct option long_opts[] = {
    {"hw", required_argument, 0, O_HW},
    {"classes", required_argument, 0, O_CLASSES},
    {"output", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int usage_error(const char *msg)
{
    fprintf(stderr, "logiq rtl: %s\n", msg);
    return EXIT_USAGE;
}

/* Writes text to dir/name through a temporary file and a rename. */
static int write_file(const char *dir, const char *name, const char *text)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "logiq rtl: -o %s: cannot write %s: %s\n", dir, name, strerror(errno));
        return EXIT_WORK;
    }
    const int ok = fputs(text, f) >= 0;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
        fprintf(stderr, "logiq rtl: -o %s: write failed: %s\n", dir, strerror(errno));
        remove(tmp);
        return EXIT_WORK;
    }
    return 0;
}

int cmd_rtl(int argc, char **argv)
{
    const char *hw_path = NULL, *out_dir = NULL;
    int classes = 0, c, bad = 0;
    char msg[1200];
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        switch (c) {
        case O_HW: hw_path = optarg; break;
        case O_CLASSES: bad = cli_parse_int("rtl", "--classes", optarg, 2, 65536, &classes); break;
        case 'o': out_dir = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return usage_error("bad option (see logiq rtl --help)");
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (argc - optind > 1)
        return usage_error("expected at most one model file (usage: logiq rtl [--hw hw.ini] "
                           "[model.qnn] -o DIR/)");
    if (!out_dir)
        return usage_error("-o DIR: the output folder is required");
    const char *model_path = argc - optind == 1 ? argv[optind] : NULL;
    const char *hw_name = hw_path ? hw_path : "default design";

    struct cm_hw hw;
    struct cm_lib lib;
    if (sw_hw_load(hw_path, &hw, &lib, msg, sizeof msg) != 0)
        return usage_error(msg);
    struct rtl_config cfg;
    if (model_path) {
        struct nn_qnn q;
        struct nn_error err = {{0}};
        if (nn_qnn_read(&q, model_path, &err) != NN_OK)
            return usage_error(err.msg);
        struct cm_design *design = malloc(sizeof *design);
        struct cm_net net;
        struct cm_layer *layers = NULL;
        int drc = design ? sw_design_for_qnn(&q, &hw, &lib, design, &net, &layers, msg, sizeof msg)
                         : 1;
        const int pow2_bits = drc == 0 ? cm_pow2_decoder_bits(&design->hw, &net) : 0;
        free(layers);
        if (drc != 0) {
            fprintf(stderr, "logiq rtl: %s: %s\n", hw_name, design ? msg : "out of memory");
            free(design);
            nn_qnn_free(&q);
            return drc == 2 ? EXIT_USAGE : EXIT_WORK;
        }
        hw = design->hw; /* resolved for the model */
        free(design);
        int nrc = rtl_check_net(&q, &hw, msg, sizeof msg);
        const int n_class = q.n_class;
        nn_qnn_free(&q);
        if (nrc != 0) {
            fprintf(stderr, "logiq rtl: %s: %s\n", model_path, msg);
            return EXIT_USAGE;
        }
        rtl_config_defaults(&cfg, &hw);
        cfg.max_classes = classes ? classes : n_class > 2 ? n_class : 2;
        cfg.pow2_code_bits = pow2_bits; /* the decoders the model needs, as costed */
    } else {
        rtl_hw_without_model(&hw);
        rtl_config_defaults(&cfg, &hw);
        if (classes)
            cfg.max_classes = classes;
    }
    if (rtl_check_hw(&hw, msg, sizeof msg) != 0) {
        fprintf(stderr, "logiq rtl: %s: %s\n", hw_name, msg);
        return EXIT_USAGE;
    }
    char *v = rtl_verilog(&hw, &cfg, msg, sizeof msg);
    if (!v) {
        fprintf(stderr, "logiq rtl: %s: %s\n", hw_name, msg);
        return strcmp(msg, "out of memory") == 0 ? EXIT_WORK : EXIT_USAGE;
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "logiq rtl: -o %s: cannot create the folder: %s\n", out_dir,
                strerror(errno));
        free(v);
        return EXIT_WORK;
    }
    int rc = write_file(out_dir, "logiq_accel.v", v);
    free(v);
    char *vlt = rc == 0 ? rtl_toggle_config() : NULL;
    if (rc == 0 && !vlt) {
        fprintf(stderr, "logiq rtl: out of memory\n");
        return EXIT_WORK;
    }
    if (vlt) {
        rc = write_file(out_dir, "logiq_accel.vlt", vlt);
        free(vlt);
    }
    if (rc == 0)
        printf("wrote %s/logiq_accel.v: design \"%s\", %d PEs x %d lanes, acc %d bits\n", out_dir,
               hw.name, hw.pe_rows, hw.lanes, hw.acc_bits);
    return rc;
}

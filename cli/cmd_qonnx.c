/* cli/cmd_qonnx.c: `logiq import model.onnx -o model.qnn` and `logiq export
 * model.qnn -o model.onnx`: QONNX in and out (nn/qonnx.h, docs/qonnx.md). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "nn/qnn.h"
#include "nn/qonnx.h"

static const char import_help[] =
    "usage: logiq import model.onnx -o model.qnn\n"
    "\n"
    "Converts a QONNX graph into a .qnn integer model, bit-exactly: the imported\n"
    "model's codes equal a float64 evaluation of the graph on every input. Read:\n"
    "  Conv, Gemm, MatMul   on the raw pixels 0..255 or an integer activation,\n"
    "                       weights through Quant (signed, zero point 0, 2..8 bits)\n"
    "                       or BipolarQuant with power-of-two scales\n"
    "  Add (bias), Mul, BatchNormalization, Relu   folded into the thresholds\n"
    "  Quant (unsigned B bits; signed narrow 2 bits), BipolarQuant, Sign,\n"
    "  MultiThreshold       the activation: {0,1}, uint B, {-1,+1}, {-1,0,+1}\n"
    "                       times a power-of-two scale; then Cast to int64 and\n"
    "                       Gather from a table: pow2 {0, +-1, +-2, .., +-2^(q-1)}\n"
    "  Add of two {0,1} activations quantized back to {0,1}   the OR merge; with\n"
    "                       the skip (and a) Mul by per-channel selects: MUX\n"
    "  Slice (every s-th row and column), Pad (zero channels) of a skip\n"
    "                       the pad shortcut\n"
    "  Quant signed R bits FLOOR on an exact affine map, Add of two such\n"
    "                       streams + the same Quant   an add residual stream\n"
    "  MaxPool (p x p, stride p), Flatten, Reshape [1,-1], Identity\n"
    "  the last layer's output: an exact affine map of its accumulator (bias Add,\n"
    "                       Mul, or Cast to int64 then Mul/Add), the scores\n"
    "Anything else (a float activation between layers, a non-uniform or\n"
    "non-power-of-two quantizer, another op) is refused in one line naming the\n"
    "node and why. See docs/qonnx.md.\n"
    "\n"
    "  -o, --output FILE    the .qnn to write (required)\n"
    "  -h, --help           this help\n";

static const char export_help[] =
    "usage: logiq export model.qnn -o model.onnx\n"
    "\n"
    "Writes a .qnn integer model as a QONNX graph: weights as integer codes through\n"
    "BipolarQuant or Quant (scale 1), Conv/Gemm, the folded batch-norm thresholds as\n"
    "MultiThreshold (pow2 activations: the code, then Cast + Gather of the levels),\n"
    "OR merges as Add + MultiThreshold, MUX merges the same after Mul by the\n"
    "per-channel selects, the pad shortcut's skip as Slice + Pad, MaxPool, and the\n"
    "scores as int64 Cast/Mul/Add. Add residual streams become Mul/Add/Quant\n"
    "(FLOOR) chains. logiq import gives back the same .qnn, bit for bit. Refused,\n"
    "naming the layer: a requantizer whose products reach 2^53 (not exact in\n"
    "float64).\n"
    "See docs/qonnx.md.\n"
    "\n"
    "  -o, --output FILE    the .onnx to write (required)\n"
    "  -h, --help           this help\n";

static const struct option long_opts[] = {
    {"output", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The one input and -o of import/export; 0, or an exit code. */
static int parse(const char *cmd, const char *help, const char *what, int argc, char **argv,
                 const char **in, const char **out)
{
    int c;
    *out = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o': *out = optarg; break;
        case 'h': fputs(help, stdout); return -1;
        default: return EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || !*out) {
        fprintf(stderr, "logiq %s: expected one input file and -o (usage: logiq %s %s)\n", cmd,
                cmd, what);
        return EXIT_USAGE;
    }
    *in = argv[optind];
    return cli_check_writable(cmd, "-o", *out);
}

int cmd_import(int argc, char **argv)
{
    const char *in, *out;
    int rc = parse("import", import_help, "model.onnx -o model.qnn", argc, argv, &in, &out);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct nn_error err = {{0}};
    struct nn_qnn m;
    enum nn_status st = nn_qonnx_import(&m, in, &err);
    if (st == NN_OK) {
        st = nn_qnn_write(&m, out, &err);
        if (st == NN_OK)
            printf("imported %s: %d layers, input %dx%dx%d, %d classes -> %s\n", in, m.n_layers,
                   m.in_h, m.in_w, m.in_c, m.n_class, out);
        nn_qnn_free(&m);
    }
    if (st != NN_OK)
        fprintf(stderr, "logiq import: %s\n", err.msg);
    return nn_status_exit_code(st);
}

int cmd_export(int argc, char **argv)
{
    const char *in, *out;
    int rc = parse("export", export_help, "model.qnn -o model.onnx", argc, argv, &in, &out);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct nn_error err = {{0}};
    struct nn_qnn m;
    enum nn_status st = nn_qnn_read(&m, in, &err);
    if (st == NN_OK) {
        st = nn_qonnx_export(&m, out, &err);
        if (st == NN_OK)
            printf("exported %s: %d layers -> %s\n", in, m.n_layers, out);
        else if (st == NN_ERR_ARG) {
            fprintf(stderr, "logiq export: %s: %s\n", in, err.msg);
            nn_qnn_free(&m);
            return EXIT_USAGE;
        }
        nn_qnn_free(&m);
    }
    if (st != NN_OK)
        fprintf(stderr, "logiq export: %s\n", err.msg);
    return nn_status_exit_code(st);
}

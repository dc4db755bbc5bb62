/* tests/fuzz/fuzz_hw.c: the hw.ini reader (sw_hw_load, with the cell
 * library it names), then the design evaluated on a small fixed network:
 * a 3x3 binary conv of a 12x12 image to 8 channels, pooled, with an OR
 * merge, and a dense layer to 10 classes. */
#include "tests/fuzz/fuzz.h"

#include "sweeps/costnet.h"
#include "costmodels/design.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct cm_hw hw;
    struct cm_lib lib;
    char msg[1024];
    if (sw_hw_load(fuzz_file("hw.ini", data, n), &hw, &lib, msg, sizeof msg) != 0)
        return 0;
    struct cm_layer layers[2] = {
        {.op = CM_OP_CONV, .in_h = 12, .in_w = 12, .in_c = 1, .out_h = 12, .out_w = 12,
         .out_c = 8, .k = 3, .stride = 1, .pad = 1, .in_bits = 8, .out_bits = 1,
         .merge = CM_MERGE_OR, .pool = 2},
        {.op = CM_OP_DENSE, .in_h = 6, .in_w = 6, .in_c = 8, .out_h = 1, .out_w = 1,
         .out_c = 10, .in_bits = 1, .scores = 1},
    };
    struct cm_net net = {.n_layers = 2, .layers = layers, .in_h = 12, .in_w = 12, .in_c = 1,
                         .n_class = 10};
    struct cm_design *d = calloc(1, sizeof *d);
    struct cm_error err;
    if (!d)
        abort();
    cm_design_eval(d, &hw, &lib, &net, &err);
    free(d);
    return 0;
}

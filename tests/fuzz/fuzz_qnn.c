/* tests/fuzz/fuzz_qnn.c: the .qnn reader (nn_qnn_read), then the integer
 * inference of a model it accepts on one image of zeros. */
#include "tests/fuzz/fuzz.h"

#include "nn/infer.h"
#include "nn/qnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct nn_qnn m;
    struct nn_error err;
    if (nn_qnn_read(&m, fuzz_file("qnn", data, n), &err) != NN_OK)
        return 0;
    /* a model the reader accepts runs: bounded shapes keep the run short */
    struct nn_infer_ws ws;
    if ((long)m.in_h * m.in_w * m.in_c <= 4096 && nn_infer_ws_bytes(&m) < 256e6 &&
        nn_infer_ws_init(&ws, &m, &err) == NN_OK) {
        uint8_t *px = calloc((size_t)m.in_h * m.in_w * m.in_c + 1, 1);
        if (!px)
            abort();
        int pred = nn_infer_image(&m, &ws, px);
        if (pred < 0 || pred >= m.n_class)
            abort();  /* a prediction outside the classes */
        free(px);
        nn_infer_ws_free(&ws);
    }
    nn_qnn_free(&m);
    return 0;
}

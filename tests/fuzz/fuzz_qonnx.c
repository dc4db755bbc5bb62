/* tests/fuzz/fuzz_qonnx.c: the QONNX importer (nn_qonnx_import_mem) on
 * arbitrary bytes; a model it accepts must export, and the export must
 * import to a model that exports to the same bytes (the round trip). The
 * seeds (tests/fuzz/corpus/qonnx/) are small models exported by
 * tests/fuzz/qonnx_seeds.sh. */
#include "tests/fuzz/fuzz.h"

#include "nn/qnn.h"
#include "nn/qonnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct nn_qnn m, m2;
    struct nn_error err;
    if (nn_qonnx_import_mem(&m, data, n, "fuzz.onnx", &err) != NN_OK)
        return 0;
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    if (nn_qonnx_export_mem(&m, &b1, &n1, &err) == NN_OK) {
        if (nn_qonnx_import_mem(&m2, b1, n1, "fuzz.onnx", &err) != NN_OK)
            abort(); /* an export the importer refuses */
        if (nn_qonnx_export_mem(&m2, &b2, &n2, &err) != NN_OK || n1 != n2 ||
            memcmp(b1, b2, n1) != 0)
            abort(); /* import(export(m)) is not m */
        nn_qnn_free(&m2);
    }
    free(b1);
    free(b2);
    nn_qnn_free(&m);
    return 0;
}

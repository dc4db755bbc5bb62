/* tests/fuzz/fuzz_cells.c: the cell-library reader (cm_lib_parse). */
#include "tests/fuzz/fuzz.h"

#include "costmodels/cells.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *text = fuzz_text(data, n);
    struct cm_lib lib;
    struct cm_error err;
    cm_lib_parse(&lib, text, "fuzz.cells", &err);
    free(text);
    return 0;
}

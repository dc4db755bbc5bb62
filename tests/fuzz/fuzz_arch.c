/* tests/fuzz/fuzz_arch.c: architecture strings (nn_arch_parse); the first
 * byte picks the width multiplier. */
#include "tests/fuzz/fuzz.h"

#include "nn/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1)
        return 0;
    const float width = 0.125f * (float)(1 + data[0] % 32);
    char *text = fuzz_text(data + 1, n - 1);
    struct nn_arch arch;
    struct nn_error err;
    nn_arch_parse(&arch, text, width, &err);
    free(text);
    return 0;
}

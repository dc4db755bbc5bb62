/* tests/fuzz/fuzz_lqc.c: the .lqc checkpoint reader (nn_ckpt_read). */
#include "tests/fuzz/fuzz.h"

#include "nn/ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct nn_ckpt ck;
    struct nn_error err;
    if (nn_ckpt_read(&ck, fuzz_file("lqc", data, n), &err) == NN_OK)
        nn_ckpt_free(&ck);
    return 0;
}

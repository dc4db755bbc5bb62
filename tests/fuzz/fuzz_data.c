/* tests/fuzz/fuzz_data.c: the data readers: MNIST-format IDX (images and
 * labels), CIFAR-10 and STL-10 binary. The first byte picks the reader and
 * where the input splits into an images file and a labels file. */
#include "tests/fuzz/fuzz.h"

#include "nn/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 2)
        return 0;
    const int which = data[0] % 3;
    data++, n--;
    const size_t k = fuzz_split(data, n);
    const char *a = fuzz_file("images", data, k), *b = fuzz_file("labels", data + k, n - k);
    struct nn_dataset ds;
    struct nn_error err;
    enum nn_status st;
    if (which == 0)
        st = nn_data_load_idx(&ds, a, b, &err);
    else if (which == 1)
        st = nn_data_load_cifar10(&ds, (const char *const[]){a}, 1, &err);
    else
        st = nn_data_load_stl10(&ds, a, b, &err);
    if (st == NN_OK)
        nn_data_free(&ds);
    return 0;
}

/* tests/fuzz/fuzz_space.c: exploration spaces (sw_space_parse), and what a
 * parsed space's designs become (decode, encode, apply, label). */
#include "tests/fuzz/fuzz.h"

#include "sweeps/space.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *text = fuzz_text(data, n);
    struct sw_space sp;
    struct sw_error err;
    if (sw_space_parse(&sp, text, "/tmp/fuzz.ini", &err) == SW_OK) {
        /* the first, the last and a few designs between */
        for (long long k = 0; k < 8; k++) {
            long long i = k == 7 ? sp.size - 1 : (sp.size / 7) * k;
            int idx[SW_SPACE_MAX_AXES];
            sw_space_decode(&sp, i, idx);
            if (sw_space_encode(&sp, idx) != i)
                __builtin_trap();
            struct cm_hw hw;
            cm_hw_defaults(&hw);
            sw_space_apply(&sp, idx, &hw);
            char label[512];
            (void)sw_space_label(&sp, idx, label, sizeof label);
        }
        sw_space_free(&sp);
    }
    free(text);
    return 0;
}

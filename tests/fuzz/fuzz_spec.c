/* tests/fuzz/fuzz_spec.c: sweep specs (sw_spec_parse, with its filter),
 * and the grid they expand to (sw_spec_expand). */
#include "tests/fuzz/fuzz.h"

#include "sweeps/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *text = fuzz_text(data, n);
    struct sw_spec s;
    struct sw_error err;
    if (sw_spec_parse(&s, text, "/tmp/fuzz.ini", NULL, NULL, &err) == SW_OK) {
        struct sw_point *pts = NULL;
        int n_pts = 0;
        /* a small cap: the fuzzer looks for crashes, not for big grids */
        if (sw_spec_expand(&s, 4096, &pts, &n_pts, &err) == SW_OK)
            sw_points_free(pts, n_pts);
        sw_spec_free(&s);
    }
    free(text);
    return 0;
}

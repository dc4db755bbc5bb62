/* tests/fuzz/fuzz_filter.c: sweep filter expressions (sw_filter_parse),
 * evaluated on a point whose every parameter is "1". */
#include "tests/fuzz/fuzz.h"

#include "sweeps/filter.h"

static int known(void *ctx, const char *name)
{
    (void)ctx;
    return name[0] != 'z';  /* names starting with z are unknown */
}

static const char *lookup(void *ctx, const char *name)
{
    (void)ctx;
    return name[0] == 'x' ? "abc" : "1";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *text = fuzz_text(data, n);
    struct sw_filter *f = NULL;
    char msg[512];
    if (sw_filter_parse(&f, text, known, NULL, msg, sizeof msg) == 0) {
        sw_filter_eval(f, lookup, NULL, msg, sizeof msg);
        sw_filter_free(f);
    }
    free(text);
    return 0;
}

/* tests/fuzz/fuzz_claims.c: the claims file reader (rp_claims_load). */
#include "tests/fuzz/fuzz.h"

#include "reports/claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static struct rp_claims cl;  /* large: not on the stack */
    struct rp_error err;
    rp_claims_load(&cl, fuzz_file("claims", data, n), &err);
    return 0;
}

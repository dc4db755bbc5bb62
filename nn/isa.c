/* nn/isa.c: which instruction-set path this CPU runs, and LOGIQ_ISA (see
 * nn/isa.h). Detection is __builtin_cpu_supports (CPUID, read once by
 * libgcc's constructor; __builtin_cpu_init makes it safe before
 * constructors run). */
#include "nn/isa.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[NN_ISA_COUNT] = {
    [NN_ISA_PORTABLE] = "portable",
    [NN_ISA_AVX2] = "avx2",
    [NN_ISA_AVX512] = "avx512",
};

static const char *const labels[NN_ISA_COUNT] = {
    [NN_ISA_PORTABLE] = "portable",
    [NN_ISA_AVX2] = "AVX2",
    [NN_ISA_AVX512] = "AVX-512",
};

int nn_isa_supported(enum nn_isa isa)
{
    switch (isa) {
    case NN_ISA_PORTABLE:
        return 1;
#if defined(__x86_64__) && defined(__GNUC__)
    case NN_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
    case NN_ISA_AVX512:
        return nn_isa_supported(NN_ISA_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq");
#else
    case NN_ISA_AVX2:
    case NN_ISA_AVX512:
        return 0;
#endif
    }
    return 0;
}

enum nn_isa nn_isa_best(void)
{
    if (nn_isa_supported(NN_ISA_AVX512))
        return NN_ISA_AVX512;
    return nn_isa_supported(NN_ISA_AVX2) ? NN_ISA_AVX2 : NN_ISA_PORTABLE;
}

const char *nn_isa_name(enum nn_isa isa)
{
    return (unsigned)isa < NN_ISA_COUNT ? names[isa] : "?";
}

const char *nn_isa_label(enum nn_isa isa)
{
    return (unsigned)isa < NN_ISA_COUNT ? labels[isa] : "?";
}

enum nn_status nn_isa_parse(enum nn_isa *isa, const char *text, struct nn_error *err)
{
    for (int i = 0; i < NN_ISA_COUNT; i++) {
        if (strcmp(text, names[i]) != 0)
            continue;
        if (!nn_isa_supported((enum nn_isa)i))
            return nn_fail(err, NN_ERR_ARG, "LOGIQ_ISA=%s: this CPU lacks %s (it runs up to "
                           "'%s'); expected portable, avx2 or avx512 within that", text,
                           labels[i], names[nn_isa_best()]);
        *isa = (enum nn_isa)i;
        return NN_OK;
    }
    return nn_fail(err, NN_ERR_ARG, "LOGIQ_ISA='%s': expected portable, avx2 or avx512 (this "
                   "CPU runs up to '%s')", text, names[nn_isa_best()]);
}

enum nn_status nn_isa_from_env(enum nn_isa *isa, struct nn_error *err)
{
    const char *env = getenv("LOGIQ_ISA");
    if (env == NULL || env[0] == '\0') {
        *isa = nn_isa_best();
        return NN_OK;
    }
    return nn_isa_parse(isa, env, err);
}

/* nn/isa.h: the instruction-set path of the hand-vectorized kernels of nn/,
 * chosen at run time, so that one portable binary (built without
 * -march=native) runs on any x86-64 CPU and uses the widest vectors the CPU
 * has.
 *
 *   NN_ISA_PORTABLE  plain C as the compiler builds it for the baseline
 *                    x86-64 (SSE2), or for any other CPU
 *   NN_ISA_AVX2      x86-64-v3: AVX2, FMA, BMI2, POPCNT
 *   NN_ISA_AVX512    AVX2 plus AVX-512 F, DQ, BW, VL and VPOPCNTDQ
 *
 * The kernels of each path carry GCC target attributes and are picked by
 * the enum value; no file needs -mavx* flags. Every path computes the same
 * bits (integer kernels exactly; float loops without FMA contraction and in
 * the same order of operations: the build passes -ffp-contract=off), so the
 * path changes the speed, never a result (docs/definitions.md).
 *
 * Usage:
 *     enum nn_isa isa;
 *     if (nn_isa_from_env(&isa, &err) != NN_OK)   (LOGIQ_ISA, else the best)
 *         ... report err.msg ...
 *     nn_xnor_gemm(..., isa);
 * nn_model_init does this once and keeps the path in the model (m->isa).
 * Memory: none; nothing here keeps state. */
#ifndef LOGIQ_NN_ISA_H
#define LOGIQ_NN_ISA_H

#include "nn/status.h"

enum nn_isa {
    NN_ISA_PORTABLE,
    NN_ISA_AVX2,
    NN_ISA_AVX512,
};
#define NN_ISA_COUNT 3

/* For the kernels: the target attributes of the vector paths' functions.
 * A kernel's body is written once as a static inline function (plain C, or
 * intrinsics of the path) and wrapped by one function per path carrying
 * these attributes, so GCC vectorizes the same C for each path; the caller
 * picks the wrapper by the enum. NN_ISA_X86 is 1 where they exist. */
#if defined(__x86_64__) && defined(__GNUC__)
#define NN_ISA_X86 1
#define NN_TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2,popcnt")))
#define NN_TARGET_AVX512                                                                   \
    __attribute__((target("avx2,fma,bmi,bmi2,popcnt,avx512f,avx512dq,avx512bw,avx512vl,"  \
                          "avx512vpopcntdq")))
#else
#define NN_ISA_X86 0
#endif
#define NN_INLINE static inline __attribute__((always_inline))

/* Whether this CPU runs isa. */
int nn_isa_supported(enum nn_isa isa);
/* The widest path this CPU runs. */
enum nn_isa nn_isa_best(void);
/* "portable", "avx2", "avx512": the names LOGIQ_ISA takes. */
const char *nn_isa_name(enum nn_isa isa);
/* "portable", "AVX2", "AVX-512": for people. */
const char *nn_isa_label(enum nn_isa isa);
/* The path named by text (a name of nn_isa_name); NN_ERR_ARG for another
 * text or a path this CPU lacks. */
enum nn_status nn_isa_parse(enum nn_isa *isa, const char *text, struct nn_error *err);
/* The path LOGIQ_ISA names in the environment (as nn_isa_parse), or the best
 * one when it is unset or empty. */
enum nn_status nn_isa_from_env(enum nn_isa *isa, struct nn_error *err);

#endif

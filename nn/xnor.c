/* nn/xnor.c: bit packing and the XNOR-popcount product (see nn/xnor.h),
 * in portable C and in AVX-512 VPOPCNTDQ.
 *
 * Layouts: a packed row is words(K) 64-bit words, bit j of word q holding
 * element 64q + j. The weights are stored transposed, [word][output channel]
 * with the channels padded to a multiple of 8, so that the AVX-512 path
 * loads one word of 8 channels at once and broadcasts the row's word.
 *
 * Both paths compute the same integer dot and the same single float
 * multiply scale * (float)dot, so they agree bit for bit. The AVX-512
 * functions carry target attributes: this file builds without -mavx512*
 * flags (the sanitizer build is not -march=native), and nn_xnor_isa_best
 * picks them only on a CPU that has them. */
#include "nn/xnor.h"

#include <assert.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define XNOR_HAVE_AVX512 1
#include <immintrin.h>
#else
#define XNOR_HAVE_AVX512 0
#endif

int nn_xnor_isa_supported(enum nn_xnor_isa isa)
{
    switch (isa) {
    case NN_XNOR_PORTABLE:
        return 1;
    case NN_XNOR_AVX512:
#if XNOR_HAVE_AVX512
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq");
#else
        return 0;
#endif
    }
    return 0;
}

enum nn_xnor_isa nn_xnor_isa_best(void)
{
    return nn_xnor_isa_supported(NN_XNOR_AVX512) ? NN_XNOR_AVX512 : NN_XNOR_PORTABLE;
}

static int round8(int n)
{
    return (n + 7) & ~7;
}

size_t nn_xnor_weight_words(int cout, int K)
{
    return (size_t)nn_xnor_words(K) * (size_t)round8(cout);
}

void nn_xnor_pack_weights(uint64_t *wt, const float *w, int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    memset(wt, 0, nn_xnor_weight_words(cout, K) * sizeof *wt);
    for (int c = 0; c < cout; c++) {
        const float *row = w + (size_t)c * K;
        for (int q = 0; q < words; q++) {
            uint64_t b = 0;
            const int j1 = K - 64 * q < 64 ? K - 64 * q : 64;
            for (int j = 0; j < j1; j++)
                b |= (uint64_t)(row[64 * q + j] < 0.0f) << j;
            wt[(size_t)q * c8 + c] = b;
        }
    }
}

static void pack_rows_portable(uint64_t *xb, uint64_t *xm, int *v, const float *x, int rows,
                               int K)
{
    const int words = nn_xnor_words(K);
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * K;
        int count = 0;
        for (int q = 0; q < words; q++) {
            uint64_t b = 0, m = 0;
            const int j1 = K - 64 * q < 64 ? K - 64 * q : 64;
            for (int j = 0; j < j1; j++) {
                const float e = row[64 * q + j];
                b |= (uint64_t)(e < 0.0f) << j;
                m |= (uint64_t)(e != 0.0f) << j;
            }
            xb[(size_t)r * words + q] = b;
            xm[(size_t)r * words + q] = m;
            count += __builtin_popcountll(m);
        }
        v[r] = count;
    }
}

static void gemm_portable(float *out, const uint64_t *xb, const uint64_t *xm, const int *v,
                          const uint64_t *wt, const float *scale, int per_channel, int rows,
                          int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    for (int r = 0; r < rows; r++) {
        const uint64_t *b = xb + (size_t)r * words, *m = xm + (size_t)r * words;
        for (int c = 0; c < cout; c++) {
            int diff = 0;
            for (int q = 0; q < words; q++)
                diff += __builtin_popcountll((b[q] ^ wt[(size_t)q * c8 + c]) & m[q]);
            const float s = scale[per_channel ? c : 0];
            out[(size_t)r * cout + c] = s * (float)(v[r] - 2 * diff);
        }
    }
}

#if XNOR_HAVE_AVX512
#define AVX512_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512vpopcntdq")))

AVX512_TARGET
static void pack_rows_avx512(uint64_t *xb, uint64_t *xm, int *v, const float *x, int rows,
                             int K)
{
    const int words = nn_xnor_words(K);
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * K;
        int count = 0;
        for (int q = 0; q < words; q++) {
            uint64_t b = 0, m = 0;
            for (int t = 0; t < 4; t++) {
                const int j = 64 * q + 16 * t;
                if (j >= K)
                    break;
                const __mmask16 live = K - j >= 16 ? 0xffff : (__mmask16)((1u << (K - j)) - 1);
                const __m512 e = _mm512_maskz_loadu_ps(live, row + j);
                /* the comparisons of the portable path: e < 0, e != 0 */
                const __mmask16 neg = _mm512_mask_cmp_ps_mask(live, e, zero, _CMP_LT_OQ);
                const __mmask16 nz = _mm512_mask_cmp_ps_mask(live, e, zero, _CMP_NEQ_UQ);
                b |= (uint64_t)neg << (16 * t);
                m |= (uint64_t)nz << (16 * t);
            }
            xb[(size_t)r * words + q] = b;
            xm[(size_t)r * words + q] = m;
            count += (int)_mm_popcnt_u64(m);
        }
        v[r] = count;
    }
}

AVX512_TARGET
static void gemm_avx512(float *out, const uint64_t *xb, const uint64_t *xm, const int *v,
                        const uint64_t *wt, const float *scale, int per_channel, int rows,
                        int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    for (int r = 0; r < rows; r++) {
        const uint64_t *b = xb + (size_t)r * words, *m = xm + (size_t)r * words;
        const __m512i vr = _mm512_set1_epi64(v[r]);
        float *o = out + (size_t)r * cout;
        for (int c = 0; c < c8; c += 8) {
            __m512i diff = _mm512_setzero_si512();
            for (int q = 0; q < words; q++) {
                const __m512i w = _mm512_loadu_si512(wt + (size_t)q * c8 + c);
                const __m512i x = _mm512_xor_si512(_mm512_set1_epi64((long long)b[q]), w);
                const __m512i d = _mm512_and_si512(x, _mm512_set1_epi64((long long)m[q]));
                diff = _mm512_add_epi64(diff, _mm512_popcnt_epi64(d));
            }
            /* dot = v - 2 diff, exact in int64 and in float (|dot| <= K < 2^24) */
            const __m512i dot = _mm512_sub_epi64(vr, _mm512_slli_epi64(diff, 1));
            const __m256 dotf = _mm512_cvtepi64_ps(dot);
            const __mmask8 live = cout - c >= 8 ? 0xff : (__mmask8)((1u << (cout - c)) - 1);
            const __m256 s = per_channel ? _mm256_maskz_loadu_ps(live, scale + c)
                                         : _mm256_set1_ps(scale[0]);
            _mm256_mask_storeu_ps(o + c, live, _mm256_mul_ps(s, dotf));
        }
    }
}
#endif

void nn_xnor_pack_rows(uint64_t *xb, uint64_t *xm, int *v, const float *x, int rows, int K,
                       enum nn_xnor_isa isa)
{
#if XNOR_HAVE_AVX512
    if (isa == NN_XNOR_AVX512) {
        pack_rows_avx512(xb, xm, v, x, rows, K);
        return;
    }
#endif
    (void)isa;
    pack_rows_portable(xb, xm, v, x, rows, K);
}

void nn_xnor_gemm(float *out, const uint64_t *xb, const uint64_t *xm, const int *v,
                  const uint64_t *wt, const float *scale, int per_channel, int rows, int cout,
                  int K, enum nn_xnor_isa isa)
{
    assert(K < (1 << 24));
#if XNOR_HAVE_AVX512
    if (isa == NN_XNOR_AVX512) {
        gemm_avx512(out, xb, xm, v, wt, scale, per_channel, rows, cout, K);
        return;
    }
#endif
    (void)isa;
    gemm_portable(out, xb, xm, v, wt, scale, per_channel, rows, cout, K);
}

/* nn/xnor.c: bit packing and the XNOR-popcount product (see nn/xnor.h),
 * in portable C, in AVX2 and in AVX-512 VPOPCNTDQ.
 *
 * Layouts: a packed row is words(K) 64-bit words, bit j of word q holding
 * element 64q + j. The weights are stored transposed, [word][output channel]
 * with the channels padded to a multiple of 8, so that the vector paths
 * load one word of 8 channels at once (AVX-512: one register; AVX2: two)
 * and broadcast the row's word.
 *
 * AVX2 has no vector popcount: its path counts the bits of each byte with
 * two 16-entry table look-ups (vpshufb on the low and the high nibble), adds
 * the byte counts of up to 31 words (at most 8 each, so no byte overflows)
 * and sums the 8 bytes of each 64-bit lane with vpsadbw.
 *
 * All paths compute the same integer dot and the same single float
 * multiply scale * (float)dot, so they agree bit for bit. The vector
 * functions carry target attributes: this file builds without -mavx*
 * flags (the default build is portable), and the caller passes the path
 * (nn/isa.h) that the CPU runs. */
#include "nn/xnor.h"

#include <assert.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define XNOR_HAVE_X86 1
#include <immintrin.h>
#else
#define XNOR_HAVE_X86 0
#endif

static int round8(int n)
{
    return (n + 7) & ~7;
}

size_t nn_xnor_weight_words(int cout, int K)
{
    return (size_t)nn_xnor_words(K) * (size_t)round8(cout);
}

void nn_xnor_pack_weights(uint64_t *wt, uint64_t *wm, const float *w, int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    memset(wt, 0, nn_xnor_weight_words(cout, K) * sizeof *wt);
    if (wm)
        memset(wm, 0, nn_xnor_weight_words(cout, K) * sizeof *wm);
    for (int c = 0; c < cout; c++) {
        const float *row = w + (size_t)c * K;
        for (int q = 0; q < words; q++) {
            uint64_t b = 0, nz = 0;
            const int j1 = K - 64 * q < 64 ? K - 64 * q : 64;
            for (int j = 0; j < j1; j++) {
                b |= (uint64_t)(row[64 * q + j] < 0.0f) << j;
                nz |= (uint64_t)(row[64 * q + j] != 0.0f) << j;
            }
            wt[(size_t)q * c8 + c] = b;
            if (wm)
                wm[(size_t)q * c8 + c] = nz;
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

/* Ternary weights: the products are non-zero where both masks are. */
static void gemm_tern_portable(float *out, const uint64_t *xb, const uint64_t *xm,
                               const uint64_t *wt, const uint64_t *wm, const float *scale,
                               int per_channel, int rows, int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    for (int r = 0; r < rows; r++) {
        const uint64_t *b = xb + (size_t)r * words, *m = xm + (size_t)r * words;
        for (int c = 0; c < cout; c++) {
            int cnt = 0, diff = 0;
            for (int q = 0; q < words; q++) {
                const uint64_t mk = m[q] & wm[(size_t)q * c8 + c];
                cnt += __builtin_popcountll(mk);
                diff += __builtin_popcountll((b[q] ^ wt[(size_t)q * c8 + c]) & mk);
            }
            const float s = scale[per_channel ? c : 0];
            out[(size_t)r * cout + c] = s * (float)(cnt - 2 * diff);
        }
    }
}

#if XNOR_HAVE_X86
#define AVX512_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512vpopcntdq")))
#define AVX2_TARGET __attribute__((target("avx2,fma,bmi2,popcnt")))

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
AVX512_TARGET
static void gemm_tern_avx512(float *out, const uint64_t *xb, const uint64_t *xm,
                             const uint64_t *wt, const uint64_t *wm, const float *scale,
                             int per_channel, int rows, int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    for (int r = 0; r < rows; r++) {
        const uint64_t *b = xb + (size_t)r * words, *m = xm + (size_t)r * words;
        float *o = out + (size_t)r * cout;
        for (int c = 0; c < c8; c += 8) {
            __m512i cnt = _mm512_setzero_si512(), diff = _mm512_setzero_si512();
            for (int q = 0; q < words; q++) {
                const __m512i w = _mm512_loadu_si512(wt + (size_t)q * c8 + c);
                const __m512i mk = _mm512_and_si512(_mm512_loadu_si512(wm + (size_t)q * c8 + c),
                                                    _mm512_set1_epi64((long long)m[q]));
                const __m512i x = _mm512_xor_si512(_mm512_set1_epi64((long long)b[q]), w);
                cnt = _mm512_add_epi64(cnt, _mm512_popcnt_epi64(mk));
                diff = _mm512_add_epi64(diff, _mm512_popcnt_epi64(_mm512_and_si512(x, mk)));
            }
            const __m512i dot = _mm512_sub_epi64(cnt, _mm512_slli_epi64(diff, 1));
            const __m256 dotf = _mm512_cvtepi64_ps(dot);
            const __mmask8 live = cout - c >= 8 ? 0xff : (__mmask8)((1u << (cout - c)) - 1);
            const __m256 s = per_channel ? _mm256_maskz_loadu_ps(live, scale + c)
                                         : _mm256_set1_ps(scale[0]);
            _mm256_mask_storeu_ps(o + c, live, _mm256_mul_ps(s, dotf));
        }
    }
}

/* The first n of 8 int lanes set (n in 0..8), for masked loads and stores. */
AVX2_TARGET
static __m256i lanes_avx2(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

AVX2_TARGET
static void pack_rows_avx2(uint64_t *xb, uint64_t *xm, int *v, const float *x, int rows, int K)
{
    const int words = nn_xnor_words(K);
    const __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * K;
        int count = 0;
        for (int q = 0; q < words; q++) {
            uint64_t b = 0, m = 0;
            for (int t = 0; t < 8; t++) {
                const int j = 64 * q + 8 * t;
                if (j >= K)
                    break;
                /* lanes past K load as 0: neither negative nor non-zero */
                const __m256 e = K - j >= 8 ? _mm256_loadu_ps(row + j)
                                            : _mm256_maskload_ps(row + j, lanes_avx2(K - j));
                /* the comparisons of the portable path: e < 0, e != 0 */
                const unsigned neg = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(e, zero,
                                                                                _CMP_LT_OQ));
                const unsigned nz = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(e, zero,
                                                                               _CMP_NEQ_UQ));
                b |= (uint64_t)neg << (8 * t);
                m |= (uint64_t)nz << (8 * t);
            }
            xb[(size_t)r * words + q] = b;
            xm[(size_t)r * words + q] = m;
            count += (int)_mm_popcnt_u64(m);
        }
        v[r] = count;
    }
}

/* The bits set in each byte of d. */
AVX2_TARGET
static __m256i popcnt_bytes_avx2(__m256i d)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i lo = _mm256_and_si256(d, low4);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(d, 4), low4);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* The 8 counts of channels c..c+3 (lo) and c+4..c+7 (hi), 64-bit lanes,
 * as int32 (each <= K < 2^24). */
AVX2_TARGET
static __m256i counts_avx2(__m256i lo, __m256i hi)
{
    /* the low 32 bits of the four 64-bit lanes, in lanes 0..3 */
    const __m256i low_halves = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    return _mm256_blend_epi32(_mm256_permutevar8x32_epi32(lo, low_halves),
                              _mm256_permutevar8x32_epi32(hi, low_halves), 0xf0);
}

/* o[c..c+7] = scale * (float)dot, the channels past cout not written. */
AVX2_TARGET
static void store_scaled_avx2(float *o, int c, int cout, __m256i dot, const float *scale,
                              int per_channel)
{
    const __m256 dotf = _mm256_cvtepi32_ps(dot);
    if (cout - c >= 8) {
        const __m256 s = per_channel ? _mm256_loadu_ps(scale + c) : _mm256_set1_ps(scale[0]);
        _mm256_storeu_ps(o + c, _mm256_mul_ps(s, dotf));
    } else {
        const __m256i live = lanes_avx2(cout - c);
        const __m256 s = per_channel ? _mm256_maskload_ps(scale + c, live)
                                     : _mm256_set1_ps(scale[0]);
        _mm256_maskstore_ps(o + c, live, _mm256_mul_ps(s, dotf));
    }
}

enum { AVX2_FLUSH_WORDS = 31 }; /* words whose byte counts (<= 8 each) fit a byte */

AVX2_TARGET
static void gemm_avx2(float *out, const uint64_t *xb, const uint64_t *xm, const int *v,
                      const uint64_t *wt, const float *scale, int per_channel, int rows,
                      int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    const __m256i zero = _mm256_setzero_si256();
    for (int r = 0; r < rows; r++) {
        const uint64_t *b = xb + (size_t)r * words, *m = xm + (size_t)r * words;
        const __m256i vr = _mm256_set1_epi32(v[r]);
        float *o = out + (size_t)r * cout;
        for (int c = 0; c < c8; c += 8) {
            __m256i diff0 = zero, diff1 = zero; /* channels c..c+3, c+4..c+7, 64-bit */
            for (int q0 = 0; q0 < words; q0 += AVX2_FLUSH_WORDS) {
                const int q1 = words - q0 < AVX2_FLUSH_WORDS ? words : q0 + AVX2_FLUSH_WORDS;
                __m256i cnt0 = zero, cnt1 = zero; /* byte counts */
                for (int q = q0; q < q1; q++) {
                    const __m256i x = _mm256_set1_epi64x((long long)b[q]);
                    const __m256i mk = _mm256_set1_epi64x((long long)m[q]);
                    const __m256i *w = (const __m256i *)(wt + (size_t)q * c8 + c);
                    const __m256i d0 = _mm256_and_si256(_mm256_xor_si256(x,
                                                        _mm256_loadu_si256(w)), mk);
                    const __m256i d1 = _mm256_and_si256(_mm256_xor_si256(x,
                                                        _mm256_loadu_si256(w + 1)), mk);
                    cnt0 = _mm256_add_epi8(cnt0, popcnt_bytes_avx2(d0));
                    cnt1 = _mm256_add_epi8(cnt1, popcnt_bytes_avx2(d1));
                }
                diff0 = _mm256_add_epi64(diff0, _mm256_sad_epu8(cnt0, zero));
                diff1 = _mm256_add_epi64(diff1, _mm256_sad_epu8(cnt1, zero));
            }
            /* dot = v - 2 diff, exact in int32 and in float */
            const __m256i dot = _mm256_sub_epi32(vr, _mm256_slli_epi32(counts_avx2(diff0, diff1),
                                                                        1));
            store_scaled_avx2(o, c, cout, dot, scale, per_channel);
        }
    }
}

AVX2_TARGET
static void gemm_tern_avx2(float *out, const uint64_t *xb, const uint64_t *xm,
                           const uint64_t *wt, const uint64_t *wm, const float *scale,
                           int per_channel, int rows, int cout, int K)
{
    const int words = nn_xnor_words(K), c8 = round8(cout);
    const __m256i zero = _mm256_setzero_si256();
    for (int r = 0; r < rows; r++) {
        const uint64_t *b = xb + (size_t)r * words, *m = xm + (size_t)r * words;
        float *o = out + (size_t)r * cout;
        for (int c = 0; c < c8; c += 8) {
            /* channels c..c+3 and c+4..c+7: the non-zero products (n) and
             * the negative ones among them (d), 64-bit */
            __m256i n0 = zero, n1 = zero, d0 = zero, d1 = zero;
            for (int q0 = 0; q0 < words; q0 += AVX2_FLUSH_WORDS) {
                const int q1 = words - q0 < AVX2_FLUSH_WORDS ? words : q0 + AVX2_FLUSH_WORDS;
                __m256i nb0 = zero, nb1 = zero, db0 = zero, db1 = zero; /* byte counts */
                for (int q = q0; q < q1; q++) {
                    const __m256i x = _mm256_set1_epi64x((long long)b[q]);
                    const __m256i mx = _mm256_set1_epi64x((long long)m[q]);
                    const __m256i *w = (const __m256i *)(wt + (size_t)q * c8 + c);
                    const __m256i *wk = (const __m256i *)(wm + (size_t)q * c8 + c);
                    const __m256i mk0 = _mm256_and_si256(_mm256_loadu_si256(wk), mx);
                    const __m256i mk1 = _mm256_and_si256(_mm256_loadu_si256(wk + 1), mx);
                    const __m256i x0 = _mm256_and_si256(_mm256_xor_si256(x,
                                                        _mm256_loadu_si256(w)), mk0);
                    const __m256i x1 = _mm256_and_si256(_mm256_xor_si256(x,
                                                        _mm256_loadu_si256(w + 1)), mk1);
                    nb0 = _mm256_add_epi8(nb0, popcnt_bytes_avx2(mk0));
                    nb1 = _mm256_add_epi8(nb1, popcnt_bytes_avx2(mk1));
                    db0 = _mm256_add_epi8(db0, popcnt_bytes_avx2(x0));
                    db1 = _mm256_add_epi8(db1, popcnt_bytes_avx2(x1));
                }
                n0 = _mm256_add_epi64(n0, _mm256_sad_epu8(nb0, zero));
                n1 = _mm256_add_epi64(n1, _mm256_sad_epu8(nb1, zero));
                d0 = _mm256_add_epi64(d0, _mm256_sad_epu8(db0, zero));
                d1 = _mm256_add_epi64(d1, _mm256_sad_epu8(db1, zero));
            }
            /* dot = n - 2 d, exact in int32 and in float */
            const __m256i dot = _mm256_sub_epi32(counts_avx2(n0, n1),
                                                 _mm256_slli_epi32(counts_avx2(d0, d1), 1));
            store_scaled_avx2(o, c, cout, dot, scale, per_channel);
        }
    }
}
#endif

void nn_xnor_pack_rows(uint64_t *xb, uint64_t *xm, int *v, const float *x, int rows, int K,
                       enum nn_isa isa)
{
    switch (isa) {
#if XNOR_HAVE_X86
    case NN_ISA_AVX512:
        pack_rows_avx512(xb, xm, v, x, rows, K);
        return;
    case NN_ISA_AVX2:
        pack_rows_avx2(xb, xm, v, x, rows, K);
        return;
#endif
    default:
        pack_rows_portable(xb, xm, v, x, rows, K);
    }
}

void nn_xnor_gemm(float *out, const uint64_t *xb, const uint64_t *xm, const int *v,
                  const uint64_t *wt, const uint64_t *wm, const float *scale, int per_channel,
                  int rows, int cout, int K, enum nn_isa isa)
{
    assert(K < (1 << 24));
    if (wm) {
        switch (isa) {
#if XNOR_HAVE_X86
        case NN_ISA_AVX512:
            gemm_tern_avx512(out, xb, xm, wt, wm, scale, per_channel, rows, cout, K);
            return;
        case NN_ISA_AVX2:
            gemm_tern_avx2(out, xb, xm, wt, wm, scale, per_channel, rows, cout, K);
            return;
#endif
        default:
            gemm_tern_portable(out, xb, xm, wt, wm, scale, per_channel, rows, cout, K);
        }
        return;
    }
    switch (isa) {
#if XNOR_HAVE_X86
    case NN_ISA_AVX512:
        gemm_avx512(out, xb, xm, v, wt, scale, per_channel, rows, cout, K);
        return;
    case NN_ISA_AVX2:
        gemm_avx2(out, xb, xm, v, wt, scale, per_channel, rows, cout, K);
        return;
#endif
    default:
        gemm_portable(out, xb, xm, v, wt, scale, per_channel, rows, cout, K);
    }
}

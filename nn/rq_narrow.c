/* nn/rq_narrow.c: the narrowest requantizer constants that compute the same
 * integer model (nn_qnn_rq_narrow, qnn.h), and the shift form of a
 * power-of-two requantizer (nn_qnn_rq_shift_form).
 *
 * A requantizer Y(acc) = sat_R(floor((M acc + B) / 2^sh)) is a staircase of
 * at most 2^R levels over the accumulator's range; the exporter's constants
 * (M near 2^30) describe its steps far more finely than the range needs.
 * For k = sh, sh - 1, ..., 1 this file tries sh' = sh - k with M' and B' the
 * floor or the ceiling of M / 2^k and B / 2^k and keeps the largest k for
 * which every channel has a pair whose Y' equals Y at every acc in
 * [-bound, bound]. The check is exhaustive (bound is at most a few thousand
 * for the presets), so the result is the same integer model by construction,
 * not by an error argument. Not here: the score constants (an argmax over
 * classes is not a function of one accumulator). */
#include "nn/qnn.h"

#include <stdlib.h>
#include <string.h>

static int64_t floor_shift(int64_t v, int s)
{
    return v >= 0 ? v >> s : -((-(v + 1)) >> s) - 1;
}

static int64_t sat(int64_t v, int bits)
{
    const int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
    return v < lo ? lo : v > hi ? hi : v;
}

/* 1 if (m, b, sh) gives ref[] at every acc in [-bound, bound]. */
static int same(const int64_t *ref, int64_t bound, int64_t m, int64_t b, int sh, int R)
{
    for (int64_t a = -bound; a <= bound; a++)
        if (sat(floor_shift(m * a + b, sh), R) != ref[a + bound])
            return 0;
    return 1;
}

/* Narrows one layer; 1 if it changed. ref is scratch of 2 bound + 1. */
static int narrow_layer(struct nn_qnn_layer *l, int64_t bound, int64_t *ref, int64_t *mul,
                        int64_t *add)
{
    const int R = l->res_bits, sh = l->rq_shift;
    for (int k = sh; k >= 1; k--) {
        int ok = 1;
        for (int c = 0; c < l->out_c && ok; c++) {
            const int64_t M = l->rq_mul[c], B = l->rq_add[c];
            for (int64_t a = -bound; a <= bound; a++)
                ref[a + bound] = sat(floor_shift(M * a + B, sh), R);
            const int64_t m0 = floor_shift(M, k), b0 = floor_shift(B, k);
            ok = 0;
            for (int t = 0; t < 4 && !ok; t++) {
                const int64_t m = m0 + (t & 1), b = b0 + (t >> 1);
                if (m == 0 && M != 0)
                    continue;  /* keep a multiplier (and a power of two one's shift form) */
                if (same(ref, bound, m, b, sh - k, R)) {
                    mul[c] = m;
                    add[c] = b;
                    ok = 1;
                }
            }
        }
        if (ok) {
            for (int c = 0; c < l->out_c; c++) {
                l->rq_mul[c] = mul[c];
                l->rq_add[c] = add[c];
            }
            l->rq_shift = sh - k;
            return 1;
        }
    }
    return 0;
}

int nn_qnn_rq_narrow(struct nn_qnn *m)
{
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) {
        struct nn_qnn_layer *l = &m->layers[i];
        if (!l->res || l->out_kind != NN_OUT_THRESH || !l->rq_mul || !l->rq_add ||
            l->rq_shift < 1 || l->res_bits < 2 || l->res_bits > 32)
            continue;
        const int64_t bound = nn_qnn_acc_bound(l);
        if (bound < 0 || bound > (1 << 20))
            continue;  /* too wide to check exhaustively: keep the exporter's */
        int64_t *ref = malloc(((size_t)2 * bound + 1 + 2 * (size_t)l->out_c) * sizeof *ref);
        if (!ref)
            continue;  /* the constants stay correct, only wider */
        n += narrow_layer(l, bound, ref, ref + 2 * bound + 1, ref + 2 * bound + 1 + l->out_c);
        free(ref);
    }
    return n;
}

int nn_qnn_rq_shift_form(int64_t mul, int64_t add, int shift, struct nn_rq_shift *f)
{
    memset(f, 0, sizeof *f);
    if (mul == 0 || mul == INT64_MIN)
        return 0;
    const uint64_t a = (uint64_t)(mul < 0 ? -mul : mul);
    if (a & (a - 1))
        return 0;
    int e = 0;
    while (((uint64_t)1 << e) != a)
        e++;
    const int m = e < shift ? e : shift;
    f->neg = mul < 0;
    f->lshift = e - m;
    f->rshift = shift - m;
    f->off = floor_shift(add, m);
    return 1;
}

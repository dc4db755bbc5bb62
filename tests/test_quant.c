/* tests/test_quant.c: the weight and activation quantizers (nn/quant*.c).
 *
 * Holds the contract of nn/quant.h on every weight kind, both scale modes and
 * several shapes (cout = 1, odd fan_in, groups above the quantile sample
 * size): fake(w) == nn_wq_dequant(q, to_int(w), c) bit for bit, codes in
 * [-K, K], per-kind round-trip error bounds, level shares; hand-computed fits
 * (TWN, binary, TQUANT, MQUANT, HEQ, uniform); HEQ's and MQUANT's level
 * equalization and HEQ's EMA step; the estimators' masks; the activation
 * quantizers' forward against the threshold count, their values and masks;
 * the spec strings, good and bad.
 *
 * Tolerance policy (stated once, here):
 *   - contract checks (fake vs dequant, activation forward vs count, level
 *     shares vs to_int histograms, HEQ's EMA step, masks) are exact: 0;
 *   - round-trip error bounds allow REL_TOL relative slack for the rounding of
 *     w / s and s * code (a few float ulps);
 *   - hand-computed fits match to HAND_TOL relative (they are exact in
 *     binary floating point except where a division by 3 or 0.7 enters);
 *   - level equalization on 100k weights: ternary levels within EQ3_TOL of
 *     1/3 (quantile sampling error is about 0.003 at 3 sigma); HEQ quinary
 *     within EQ5_TOL of 1/5 (one step s cannot place both boundaries at their
 *     quantiles: on a Gaussian the least-squares s gives shares 0.219, 0.188,
 *     0.202, i.e. up to 0.019 off, plus sampling error). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/quant.h"
#include "nn/quant_impl.h" /* nn_quant_abs_quantiles, checked directly */
#include "testutil.h"

#define REL_TOL 4e-7
#define HAND_TOL 1e-6
#define EQ3_TOL 0.01
#define EQ5_TOL 0.025

/* ---- random weights ---------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double rng_unit(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static void fill_gauss(float *w, size_t n, double sigma, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double u = rng_unit(&s), v = rng_unit(&s);
        w[i] = (float)(sigma * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
    }
}

static void fill_laplace(float *w, size_t n, double b, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double u = rng_unit(&s) - 0.5;
        w[i] = (float)(u < 0 ? b * log(1.0 + 2.0 * u) : -b * log(1.0 - 2.0 * u));
    }
}

static float *alloc_f(size_t n)
{
    float *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static int8_t *alloc_i8(size_t n)
{
    int8_t *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static int same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Parses and inits a weight quantizer; exits on failure (a test bug). */
static void make_wq(struct nn_wq *q, const char *spec, int cout)
{
    struct nn_error err;
    if (nn_wq_parse(q, spec, &err) != NN_OK || nn_wq_init(q, cout, &err) != NN_OK) {
        fprintf(stderr, "make_wq(%s): %s\n", spec, err.msg);
        exit(1);
    }
}

static void make_aq(struct nn_aq *q, const char *spec)
{
    struct nn_error err;
    if (nn_aq_parse(q, spec, &err) != NN_OK) {
        fprintf(stderr, "make_aq(%s): %s\n", spec, err.msg);
        exit(1);
    }
}

/* ---- the weight contract on random weights ------------------------------ */

static int is_rounding(const struct nn_wq *q)
{
    return q->kind == NN_WQ_HEQ || q->kind == NN_WQ_UNIFORM || q->kind == NN_WQ_WRPN ||
           q->kind == NN_WQ_RTN || q->kind == NN_WQ_LSQ;
}

static int is_ternary(const struct nn_wq *q)
{
    return q->kind == NN_WQ_TWN || q->kind == NN_WQ_TQUANT || q->kind == NN_WQ_MQUANT;
}

static void check_contract(const char *spec, int cout, int fan_in, uint64_t seed)
{
    struct nn_wq q;
    make_wq(&q, spec, cout);
    size_t n = (size_t)cout * fan_in;
    float *w = alloc_f(n), *wq = alloc_f(n);
    int8_t *code = alloc_i8(n);
    fill_gauss(w, n, 0.05, seed);
    q.ops->fit(&q, w, cout, fan_in, 1);
    q.ops->fake(&q, wq, w, cout, fan_in);

    if (q.kind == NN_WQ_FP) {
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += !same_bits(wq[i], w[i]);
        TU_CHECK(bad == 0, "%s: fake differs from w at %zu weights", spec, bad);
        TU_CHECK(q.ops->to_int == NULL, "%s: fp must not export", spec);
        printf("contract %-14s %4dx%-6d fake == w: %zu mismatches\n", spec, cout, fan_in, bad);
        goto done;
    }

    q.ops->to_int(&q, code, w, cout, fan_in);
    size_t mismatch = 0, out_of_range = 0, bound_fail = 0, rule_fail = 0;
    double max_diff = 0.0, max_err_rel = 0.0;
    int64_t hist[256] = {0};
    for (int g = 0; g < q.n_group; g++)
        TU_CHECK(q.scale[g] > 0.0f && isfinite(q.scale[g]), "%s: scale[%d] = %g", spec, g,
                 q.scale[g]);
    for (int c = 0; c < cout; c++) {
        int g = q.mode == NN_SCALE_CHANNEL ? c : 0;
        float s = q.scale[g], t = q.thresh[g];
        for (int i = 0; i < fan_in; i++) {
            size_t k = (size_t)c * fan_in + i;
            int cd = code[k];
            if (cd < -q.K || cd > q.K) {
                out_of_range++;
                continue;
            }
            hist[cd + q.K]++;
            float dq = nn_wq_dequant(&q, cd, c);
            if (!same_bits(dq, wq[k])) {
                mismatch++;
                double d = fabs((double)dq - wq[k]);
                max_diff = d > max_diff ? d : max_diff;
            }
            double a = fabs((double)w[k]), err = fabs((double)wq[k] - w[k]);
            if (is_rounding(&q)) {
                /* Inside the range the error is at most half a step; outside
                 * it the code saturates at +-K with the sign of w. */
                if (a <= q.K * (double)s) {
                    double rel = err / s;
                    max_err_rel = rel > max_err_rel ? rel : max_err_rel;
                    bound_fail += rel > 0.5 * (1.0 + REL_TOL) + REL_TOL;
                } else {
                    rule_fail += cd != (w[k] > 0 ? q.K : -q.K);
                }
            } else if (q.kind == NN_WQ_DOREFA) {
                /* value = code / n on the odd codes, within half a step
                 * (1/n = s) of DoReFa's tanh(w) / max|tanh w| (t holds M) */
                double ideal = tanh((double)w[k]) / t;
                bound_fail += fabs((double)wq[k] - ideal) > s * (1.0 + REL_TOL) + 1e-6;
                rule_fail += (abs(cd) & 1) == 0;
            } else if (q.kind == NN_WQ_POW2) {
                /* the levels 0, s, 2s, 4s, ..., Ks split at their midpoints:
                 * the error is at most half the gap to the next level up,
                 * max(1/2, |code|/2) s, and never more than |w| */
                double half = fmax(0.5, 0.5 * abs(cd)) * s;
                bound_fail += err > half * (1.0 + REL_TOL) || (cd == 0 && err > a);
                rule_fail += cd != 0 && ((cd > 0) != (w[k] > 0) || (abs(cd) & (abs(cd) - 1)));
            } else if (q.kind == NN_WQ_BINARY) {
                bound_fail += err > a + s;
                rule_fail += cd != (w[k] >= 0 ? 1 : -1);
            } else if (is_ternary(&q)) {
                rule_fail += cd != (a > t ? (w[k] > 0 ? 1 : -1) : 0);
                if (cd == 0)
                    bound_fail += err > t;
                if (q.kind == NN_WQ_TQUANT) {
                    /* Minimax: |w - value| <= M/3 = thresh for |w| <= M. */
                    double rel = err / t;
                    max_err_rel = rel > max_err_rel ? rel : max_err_rel;
                    bound_fail += err > t * (1.0 + REL_TOL);
                }
            }
        }
    }
    TU_CHECK(out_of_range == 0, "%s %dx%d: %zu codes outside [-%d, %d]", spec, cout, fan_in,
             out_of_range, q.K, q.K);
    TU_CHECK(mismatch == 0, "%s %dx%d: fake != dequant(to_int) at %zu weights, max diff %g",
             spec, cout, fan_in, mismatch, max_diff);
    TU_CHECK(bound_fail == 0, "%s %dx%d: %zu weights beyond the error bound", spec, cout,
             fan_in, bound_fail);
    TU_CHECK(rule_fail == 0, "%s %dx%d: %zu codes break the kind's rule", spec, cout, fan_in,
             rule_fail);

    float share[256];
    nn_wq_level_share(&q, w, cout, fan_in, share);
    double sum = 0.0, share_diff = 0.0;
    for (int j = 0; j <= 2 * q.K; j++) {
        float want = (float)((double)hist[j] / (double)n);
        double d = fabs((double)share[j] - want);
        share_diff = d > share_diff ? d : share_diff;
        sum += share[j];
    }
    TU_CHECK(share_diff == 0.0, "%s: level_share differs from the to_int histogram by %g", spec,
             share_diff);
    TU_CHECK(fabs(sum - 1.0) < 1e-5, "%s: level shares sum to %.9f", spec, sum);
    printf("contract %-14s %4dx%-6d fake vs dequant: %zu mismatches (max diff %g); "
           "max err %s %.6f; share diff %g\n",
           spec, cout, fan_in, mismatch, max_diff,
           is_rounding(&q) ? "/s" : q.kind == NN_WQ_TQUANT ? "/(M/3)" : "", max_err_rel,
           share_diff);
done:
    nn_wq_free(&q);
    free(w);
    free(wq);
    free(code);
}

static void test_contract(void)
{
    static const char *kinds[] = {
        "fp", "bin", "twn", "heq:3", "heq:5", "heq:7", "heq:127", "uniform:2", "uniform:3",
        "uniform:4", "uniform:5", "uniform:6", "uniform:7", "uniform:8", "tquant", "mquant",
        "pow2:2", "pow2:3", "pow2:4", "dorefa:2", "dorefa:4", "dorefa:7", "wrpn:2", "wrpn:4",
        "wrpn:8", "rtn:3", "rtn:5", "rtn:9", "lsq:2", "lsq:3", "lsq:4", "lsq:5", "lsq:6", "lsq:7",
        "lsq:8",
    };
    static const int shapes[][2] = {
        {1, 1}, {1, 7}, {1, 1001}, {3, 5}, {16, 27}, {64, 577}, {3, 70001},
    };
    uint64_t seed = 1;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int ch = 0; ch < 2; ch++) {
            if (ch && !strcmp(kinds[k], "fp"))
                continue;
            char spec[32];
            snprintf(spec, sizeof spec, "%s%s", kinds[k], ch ? "/ch" : "");
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
                check_contract(spec, shapes[s][0], shapes[s][1], seed++);
        }
}

/* ---- hand-computed fits ------------------------------------------------- */

static int near(double got, double want, double tol)
{
    return fabs(got - want) <= tol * fmax(1.0, fabs(want));
}

/* Fits spec on w [cout][fan_in], checks the codes, returns q (caller frees). */
static void check_codes(struct nn_wq *q, const char *spec, const float *w, int cout,
                        int fan_in, const int *want)
{
    make_wq(q, spec, cout);
    q->ops->fit(q, w, cout, fan_in, 1);
    int8_t code[64];
    float wq[64];
    q->ops->to_int(q, code, w, cout, fan_in);
    q->ops->fake(q, wq, w, cout, fan_in);
    int bad = 0;
    for (int i = 0; i < cout * fan_in; i++) {
        bad += code[i] != want[i];
        bad += !same_bits(wq[i], nn_wq_dequant(q, code[i], i / fan_in));
    }
    TU_CHECK(bad == 0, "%s hand example: %d wrong codes or values", spec, bad);
}

static void test_hand(void)
{
    struct nn_wq q;

    /* TWN: mean|w| = 2.625 / 6 = 0.4375, Delta = 0.30625, alpha = 2.25 / 3. */
    const float tw[6] = {0.5f, -1.0f, 0.125f, 0.0f, -0.25f, 0.75f};
    const int tc[6] = {1, -1, 0, 0, 0, 1};
    check_codes(&q, "twn", tw, 1, 6, tc);
    TU_CHECK(near(q.thresh[0], 0.30625, HAND_TOL), "twn Delta %.9g, want 0.30625", q.thresh[0]);
    TU_CHECK(q.scale[0] == 0.75f, "twn alpha %.9g, want 0.75", q.scale[0]);
    printf("hand twn: Delta %.9g (want 0.30625), alpha %.9g (want 0.75)\n", q.thresh[0],
           q.scale[0]);
    nn_wq_free(&q);
    /* Per channel: row 0 mean 1.625/3, Delta 0.3791667, alpha 0.75;
     * row 1 mean 1/3, Delta 0.2333333, alpha 0.5. */
    const int tc2[6] = {1, -1, 0, 0, -1, 1};
    check_codes(&q, "twn/ch", tw, 2, 3, tc2);
    TU_CHECK(near(q.thresh[0], 0.7 * 1.625 / 3, HAND_TOL) &&
                 near(q.thresh[1], 0.7 / 3, HAND_TOL),
             "twn/ch Delta %.9g %.9g", q.thresh[0], q.thresh[1]);
    TU_CHECK(q.scale[0] == 0.75f && q.scale[1] == 0.5f, "twn/ch alpha %.9g %.9g", q.scale[0],
             q.scale[1]);
    nn_wq_free(&q);

    /* Binary: mean|w| = 2.5 / 4 = 0.625; zero maps to +1. */
    const float bw[5] = {0.5f, -1.5f, 0.25f, -0.25f, 0.0f};
    const int bc[5] = {1, -1, 1, -1, 1};
    check_codes(&q, "bin", bw, 1, 4, bc);
    TU_CHECK(q.scale[0] == 0.625f, "bin scale %.9g, want 0.625", q.scale[0]);
    printf("hand bin: scale %.9g (want 0.625)\n", q.scale[0]);
    nn_wq_free(&q);
    check_codes(&q, "bin/ch", bw + 1, 2, 2, bc + 1);
    TU_CHECK(q.scale[0] == 0.875f && q.scale[1] == 0.125f, "bin/ch scales %.9g %.9g",
             q.scale[0], q.scale[1]);
    nn_wq_free(&q);

    /* TQUANT: M = 0.75, t = 0.25, value 0.5; |w| == t is code 0. */
    const float qw[6] = {0.75f, -0.25f, 0.26f, 0.0f, -0.5f, 0.25f};
    const int qc[6] = {1, 0, 1, 0, -1, 0};
    check_codes(&q, "tquant", qw, 1, 6, qc);
    TU_CHECK(q.thresh[0] == 0.25f && q.scale[0] == 0.5f, "tquant t %.9g scale %.9g",
             q.thresh[0], q.scale[0]);
    printf("hand tquant: t %.9g (want 0.25), scale %.9g (want 0.5)\n", q.thresh[0], q.scale[0]);
    nn_wq_free(&q);

    /* MQUANT: |w| = {0,1,2,3}: Q(1/3) at h = 1 is 1; alpha = (2 + 3) / 2. */
    const float mw[4] = {0.0f, -1.0f, 2.0f, -3.0f};
    const int mc[4] = {0, 0, 1, -1};
    check_codes(&q, "mquant", mw, 1, 4, mc);
    TU_CHECK(near(q.thresh[0], 1.0, HAND_TOL) && q.scale[0] == 2.5f, "mquant t %.9g scale %.9g",
             q.thresh[0], q.scale[0]);
    printf("hand mquant: t %.9g (want 1), scale %.9g (want 2.5)\n", q.thresh[0], q.scale[0]);
    nn_wq_free(&q);

    /* HEQ ternary: s* = 2 Q(1/3) = 2; 1/2 = 0.5 rounds away to 1, 3/2 clips. */
    const int hc[4] = {0, -1, 1, -1};
    check_codes(&q, "heq:3", mw, 1, 4, hc);
    TU_CHECK(near(q.scale[0], 2.0, HAND_TOL), "heq:3 s %.9g, want 2", q.scale[0]);
    nn_wq_free(&q);
    const float hw1[4] = {0.0f, 1.0f, -2.0f, 3.0f};
    const int hc1[4] = {0, 1, -1, 1};
    check_codes(&q, "heq:3", hw1, 1, 4, hc1);
    nn_wq_free(&q);
    /* HEQ quinary: |w| = {0..4}: Q(0.2) = 0.8, Q(0.6) = 2.4,
     * s* = (0.5 * 0.8 + 1.5 * 2.4) / (0.25 + 2.25) = 1.6. Codes of
     * {0, -1, 2, -3, 4} / 1.6 = {0, -0.625, 1.25, -1.875, 2.5}. */
    const float hw5[5] = {0.0f, -1.0f, 2.0f, -3.0f, 4.0f};
    const int hc5[5] = {0, -1, 1, -2, 2};
    check_codes(&q, "heq:5", hw5, 1, 5, hc5);
    TU_CHECK(near(q.scale[0], 1.6, HAND_TOL), "heq:5 s %.9g, want 1.6", q.scale[0]);
    printf("hand heq: s(heq:5) %.9g (want 1.6)\n", q.scale[0]);
    nn_wq_free(&q);

    /* Uniform: uniform:2 has s = M; uniform:3 has K = 3, s = 0.75 / 3. */
    const float uw[6] = {1.0f, 0.49f, 0.5f, -0.51f, -1.0f, -0.5f};
    const int uc[6] = {1, 0, 1, -1, -1, -1};
    check_codes(&q, "uniform:2", uw, 1, 6, uc);
    TU_CHECK(q.scale[0] == 1.0f, "uniform:2 s %.9g", q.scale[0]);
    nn_wq_free(&q);
    /* rtn:5 (quinary round-to-nearest): K = 2, s = max|w| / 2 = 0.5, codes
     * round(w / 0.5) with ties away from zero; rtn:3 is uniform:2 */
    const float rw5[6] = {1.0f, 0.74f, 0.75f, -0.24f, -0.25f, 0.2f};
    const int rc5[6] = {2, 1, 2, 0, -1, 0};
    check_codes(&q, "rtn:5", rw5, 1, 6, rc5);
    TU_CHECK(q.scale[0] == 0.5f, "rtn:5 s %.9g, want 0.5", q.scale[0]);
    nn_wq_free(&q);
    check_codes(&q, "rtn:3", uw, 1, 6, uc);
    TU_CHECK(q.scale[0] == 1.0f, "rtn:3 s %.9g", q.scale[0]);
    nn_wq_free(&q);
    const float uw3[5] = {0.75f, 0.25f, 0.125f, -0.375f, 0.0625f};
    const int uc3[5] = {3, 1, 1, -2, 0};
    check_codes(&q, "uniform:3", uw3, 1, 5, uc3);
    /* pow2:3 (MINW-Net): max|w| = 1, levels {0, 1/4, 1/2, 1} = codes {0, 1, 2, 4}
     * of s = 1/4, thresholds at the midpoints 0.125, 0.375, 0.75 (ties up) */
    static const float pw[12] = {1.0f, 0.124f, 0.125f, 0.374f, 0.375f, 0.749f,
                                 0.75f, -0.5f, -0.2f, 0.0f, -1.0f, 0.3f};
    static const int pc[12] = {4, 0, 1, 1, 2, 2, 4, -2, -1, 0, -4, 1};
    nn_wq_free(&q);
    check_codes(&q, "pow2:3", pw, 1, 12, pc);
    TU_CHECK(q.scale[0] == 0.25f, "pow2:3 s %.9g", q.scale[0]);
    TU_CHECK(q.scale[0] == 0.25f, "uniform:3 s %.9g", q.scale[0]);
    nn_wq_free(&q);

    /* All-zero weights: every fit keeps a positive, finite scale, codes 0
     * (binary: +1). */
    static const char *all[] = {"bin", "twn", "heq:3", "heq:9", "uniform:4", "tquant",
                                "mquant"};
    const float zw[6] = {0};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        struct nn_wq z;
        make_wq(&z, all[k], 2);
        z.ops->fit(&z, zw, 1, 6, 1);
        z.ops->fit(&z, zw, 1, 6, 0);
        int8_t code[6];
        z.ops->to_int(&z, code, zw, 1, 6);
        int bad = 0;
        for (int i = 0; i < 6; i++)
            bad += code[i] != (z.kind == NN_WQ_BINARY ? 1 : 0);
        TU_CHECK(z.scale[0] > 0.0f && isfinite(z.scale[0]) && bad == 0,
                 "%s on zeros: scale %g, %d wrong codes", all[k], z.scale[0], bad);
        nn_wq_free(&z);
    }
}

/* ---- level equalization and HEQ's EMA ----------------------------------- */

static void check_shares(const char *spec, const char *dist, int cout, int fan_in,
                         double want, double tol)
{
    struct nn_wq q;
    make_wq(&q, spec, cout);
    size_t n = (size_t)cout * fan_in;
    float *w = alloc_f(n);
    if (!strcmp(dist, "gauss"))
        fill_gauss(w, n, 0.05, 77);
    else
        fill_laplace(w, n, 0.03, 78);
    q.ops->fit(&q, w, cout, fan_in, 1);
    float share[256];
    nn_wq_level_share(&q, w, cout, fan_in, share);
    double worst = 0.0;
    for (int j = 0; j <= 2 * q.K; j++) {
        double d = fabs(share[j] - want);
        worst = d > worst ? d : worst;
    }
    TU_CHECK(worst <= tol, "%s on %zu %s weights: a level share is %.4f off %.4f (tol %.3f)",
             spec, n, dist, worst, want, tol);
    printf("equalize %-8s %-7s %4dx%-6d shares", spec, dist, cout, fan_in);
    for (int j = 0; j <= 2 * q.K; j++)
        printf(" %.4f", share[j]);
    printf("  (want %.4f +- %.3f, worst %.4f)\n", want, tol, worst);
    nn_wq_free(&q);
    free(w);
}

static void test_equalization(void)
{
    check_shares("heq:3", "gauss", 1, 100000, 1.0 / 3, EQ3_TOL);
    check_shares("heq:3/ch", "gauss", 4, 25000, 1.0 / 3, EQ3_TOL);
    check_shares("heq:3", "laplace", 1, 100000, 1.0 / 3, EQ3_TOL);
    check_shares("heq:5", "gauss", 1, 100000, 1.0 / 5, EQ5_TOL);
    check_shares("heq:5/ch", "gauss", 4, 25000, 1.0 / 5, EQ5_TOL);
    check_shares("mquant", "gauss", 1, 100000, 1.0 / 3, EQ3_TOL);
    check_shares("mquant/ch", "gauss", 4, 25000, 1.0 / 3, EQ3_TOL);
    check_shares("mquant", "laplace", 1, 100000, 1.0 / 3, EQ3_TOL);
}

static void check_ema(const char *spec, int cout, int fan_in, float eta)
{
    size_t n = (size_t)cout * fan_in;
    float *w0 = alloc_f(n), *w1 = alloc_f(n);
    fill_gauss(w0, n, 0.05, 5);
    fill_gauss(w1, n, 0.08, 6);
    struct nn_wq q, fresh;
    make_wq(&q, spec, cout);
    make_wq(&fresh, spec, cout);
    q.heq_rate = eta;
    q.ops->fit(&q, w0, cout, fan_in, 1);
    float *s_old = alloc_f(q.n_group);
    memcpy(s_old, q.scale, q.n_group * sizeof *s_old);
    q.ops->fit(&q, w1, cout, fan_in, 0);
    fresh.ops->fit(&fresh, w1, cout, fan_in, 1); /* s* of w1 */
    int bad = 0;
    double worst = 0.0;
    for (int g = 0; g < q.n_group; g++) {
        float want = (1.0f - eta) * s_old[g] + eta * fresh.scale[g];
        bad += !same_bits(q.scale[g], want);
        double d = fabs((double)q.scale[g] - want);
        worst = d > worst ? d : worst;
    }
    TU_CHECK(bad == 0, "%s eta %g: %d groups off the EMA step (max diff %g)", spec, eta, bad,
             worst);
    TU_CHECK(s_old[0] != fresh.scale[0], "%s: the EMA test needs s != s*", spec);
    printf("ema %-8s eta %.2f: s %.6g -> %.6g (s* %.6g), max diff %g\n", spec, eta, s_old[0],
           q.scale[0], fresh.scale[0], worst);
    nn_wq_free(&q);
    nn_wq_free(&fresh);
    free(s_old);
    free(w0);
    free(w1);
}

static void test_heq_ema(void)
{
    struct nn_wq q;
    make_wq(&q, "heq:3", 1);
    TU_CHECK(q.heq_rate == 0.05f, "heq default rate %g, want 0.05", q.heq_rate);
    nn_wq_free(&q);
    check_ema("heq:3", 8, 300, 0.05f);
    check_ema("heq:3/ch", 8, 300, 0.05f);
    check_ema("heq:5/ch", 8, 301, 0.3f);
    check_ema("heq:7", 1, 100000, 1.0f);
}

/* ---- round-trip bound per bit width -------------------------------------- */

static void test_uniform_bits(void)
{
    /* A dense ramp over [-M, M]: every weight is inside the range, and the
     * error must stay within s/2 = M / (2K), halving with each extra bit. */
    int n = 20001;
    float *w = alloc_f(n), *wq = alloc_f(n);
    for (int i = 0; i < n; i++)
        w[i] = (float)(-1.0 + 2.0 * i / (n - 1));
    for (int b = 2; b <= 8; b++) {
        char spec[32];
        snprintf(spec, sizeof spec, "uniform:%d", b);
        struct nn_wq q;
        make_wq(&q, spec, 1);
        q.ops->fit(&q, w, 1, n, 1);
        q.ops->fake(&q, wq, w, 1, n);
        int K = (1 << (b - 1)) - 1;
        double bound = 1.0 / (2.0 * K), worst = 0.0;
        for (int i = 0; i < n; i++) {
            double e = fabs((double)wq[i] - w[i]);
            worst = e > worst ? e : worst;
        }
        TU_CHECK(q.K == K && q.levels == 2 * K + 1 && nn_wq_bits(&q) == b,
                 "%s: K %d levels %d bits %d", spec, q.K, q.levels, nn_wq_bits(&q));
        TU_CHECK(worst <= bound * (1.0 + REL_TOL) + REL_TOL,
                 "%s: round-trip error %.9g above %.9g", spec, worst, bound);
        printf("round trip %-9s K %3d: max |fake - w| %.7f, bound 1/(2K) = %.7f\n", spec, K,
               worst, bound);
        nn_wq_free(&q);
    }
    free(w);
    free(wq);
}

/* The rounding codes against an independent reference, clip(roundf(w / s)),
 * on a dense grid with every tie k + 1/2 and its float neighbours: half away
 * from zero, symmetric, saturating, NaN to +K. */
static void test_rounding(void)
{
    struct nn_wq q;
    make_wq(&q, "uniform:8", 1);
    q.scale[0] = 1.0f; /* w / s == w exactly */
    size_t cap = 2 * 140 * 1024 + 6 * 280 + 8, n = 0;
    float *w = alloc_f(cap), *wq = alloc_f(cap);
    int8_t *code = alloc_i8(cap);
    for (int i = -140 * 1024; i < 140 * 1024; i++)
        w[n++] = (float)i / 1024.0f;
    for (int k = -140; k < 140; k++) {
        float tie = (float)k + 0.5f;
        w[n++] = tie;
        w[n++] = nextafterf(tie, -INFINITY);
        w[n++] = nextafterf(tie, INFINITY);
    }
    const float ext[5] = {-0.0f, INFINITY, -INFINITY, 1e30f, -1e30f};
    for (int i = 0; i < 5; i++)
        w[n++] = ext[i];
    q.ops->to_int(&q, code, w, 1, (int)n);
    q.ops->fake(&q, wq, w, 1, (int)n);
    size_t bad = 0, neg_zero = 0;
    for (size_t i = 0; i < n; i++) {
        float r = roundf(w[i]);
        int want = r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r;
        bad += code[i] != want;
        neg_zero += signbit(wq[i]) && wq[i] == 0.0f;
    }
    float nan_w = NAN;
    int8_t nan_code;
    q.ops->to_int(&q, &nan_code, &nan_w, 1, 1);
    TU_CHECK(bad == 0, "rounding: %zu of %zu codes differ from clip(roundf(w))", bad, n);
    TU_CHECK(neg_zero == 0, "rounding: %zu fake values are -0", neg_zero);
    TU_CHECK(nan_code == 127, "rounding: NaN gives code %d, want +K", nan_code);
    printf("rounding: %zu weights against clip(roundf(w), -127, 127): %zu differ, %zu -0\n", n,
           bad, neg_zero);
    nn_wq_free(&q);
    free(w);
    free(wq);
    free(code);
}

/* The quantile selection (HEQ, MQUANT fits) against sorting, on sizes from 1
 * to above the sample size and on data with long runs of equal values. */
static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_quantiles(void)
{
    static const size_t sizes[] = {1, 2, 3, 25, 100, 1001, 65536, 70001};
    static const double p[] = {0.0, 0.01, 0.2, 1.0 / 3, 0.5, 0.6, 0.99, 1.0};
    const int np = (int)(sizeof p / sizeof p[0]);
    size_t cap = NN_QUANT_SAMPLE_MAX;
    float *scratch = alloc_f(cap), *ref = alloc_f(cap), *w = alloc_f(70001);
    size_t bad = 0, cases = 0;
    double worst = 0.0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int dist = 0; dist < 3; dist++) {
            size_t n = sizes[si];
            fill_gauss(w, n, 1.0, 100 + si * 3 + dist);
            for (size_t i = 0; i < n; i++) {
                if (dist == 1 && i % 2)
                    w[i] = 0.0f; /* half zeros */
                if (dist == 2)
                    w[i] = roundf(w[i] * 2.0f); /* a few distinct values */
            }
            size_t m = n <= cap ? n : cap;
            for (size_t i = 0; i < m; i++)
                ref[i] = fabsf(w[n <= cap ? i : (size_t)((uint64_t)i * n / m)]);
            qsort(ref, m, sizeof *ref, cmp_f);
            float got[8];
            nn_quant_abs_quantiles(scratch, cap, w, n, p, np, got);
            for (int j = 0; j < np; j++) {
                double h = p[j] * (double)(m - 1);
                size_t r = (size_t)h;
                double lo = ref[r], hi = r + 1 < m ? ref[r + 1] : lo;
                float want = (float)(lo + (h - (double)r) * (hi - lo));
                double d = fabs((double)got[j] - want);
                worst = d > worst ? d : worst;
                bad += !same_bits(got[j], want);
                cases++;
            }
        }
    TU_CHECK(bad == 0, "quantiles: %zu of %zu differ from sorting (max diff %g)", bad, cases,
             worst);
    printf("quantiles: %zu cases against qsort: %zu differ (max diff %g)\n", cases, bad, worst);
    free(scratch);
    free(ref);
    free(w);
}

/* ---- estimators ----------------------------------------------------------- */

static void check_grad(const char *spec, float scale0, float scale1, const float *w, int cout,
                       int fan_in, const int *pass)
{
    struct nn_wq q;
    make_wq(&q, spec, cout);
    for (int g = 0; g < q.n_group; g++)
        q.scale[g] = g ? scale1 : scale0;
    int n = cout * fan_in;
    float dwq[16], dw[16];
    for (int i = 0; i < n; i++) {
        dwq[i] = (float)(i + 1);
        dw[i] = NAN; /* grad overwrites */
    }
    q.ops->grad(&q, dw, dwq, w, cout, fan_in);
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += !same_bits(dw[i], pass[i] ? dwq[i] : 0.0f);
    TU_CHECK(bad == 0, "%s grad: %d entries off the mask", spec, bad);
    /* In place (dw == dwq) gives the same. */
    memcpy(dw, dwq, n * sizeof *dw);
    q.ops->grad(&q, dw, dw, w, cout, fan_in);
    int bad2 = 0;
    for (int i = 0; i < n; i++)
        bad2 += !same_bits(dw[i], pass[i] ? dwq[i] : 0.0f);
    TU_CHECK(bad2 == 0, "%s grad in place: %d entries off the mask", spec, bad2);
    printf("grad %-16s mask checked on %d weights: %d + %d wrong\n", spec, n, bad, bad2);
    nn_wq_free(&q);
}

static void test_grad(void)
{
    static const int all[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    /* heq:3, s = 2: the clipped range is |w| <= 1.5 * 2 = 3. */
    const float hw[6] = {-3.5f, -3.0f, 0.0f, 2.9f, 3.0f, 3.01f};
    const int hm[6] = {0, 1, 1, 1, 1, 0};
    check_grad("heq:3/clip", 2.0f, 0, hw, 1, 6, hm);
    check_grad("heq:3", 2.0f, 0, hw, 1, 6, all);
    /* uniform:8/ch, K = 127: limits 127.5 * 0.5 and 127.5 * 0.25. */
    const float uw[6] = {-63.75f, 63.76f, 10.0f, 31.875f, -31.9f, 0.0f};
    const int um[6] = {1, 0, 1, 1, 0, 1};
    check_grad("uniform:8/ch/clip", 0.5f, 0.25f, uw, 2, 3, um);
    check_grad("uniform:8/ch", 0.5f, 0.25f, uw, 2, 3, all);
    /* binary and ternaries: |w| <= 1. */
    const float bw[5] = {-1.5f, -1.0f, 0.3f, 1.0f, 1.0001f};
    const int bm[5] = {0, 1, 1, 1, 0};
    static const char *bt[] = {"bin", "twn", "tquant", "mquant"};
    for (size_t k = 0; k < 4; k++) {
        char spec[32];
        snprintf(spec, sizeof spec, "%s/clip", bt[k]);
        check_grad(spec, 0.1f, 0, bw, 1, 5, bm);
        check_grad(bt[k], 0.1f, 0, bw, 1, 5, all);
    }
    /* fp: always the identity. */
    check_grad("fp", 1.0f, 0, bw, 1, 5, all);
    /* wrpn: the clip's mask |w| <= 1, with or without /clip */
    check_grad("wrpn:4", 1.0f / 7.0f, 0, bw, 1, 5, bm);

    /* dorefa: dw = dwq (1 - tanh^2 w) / M, against the definition and, to
     * 1e-3, against central differences of tanh(w) / M (the STE's proxy) */
    struct nn_wq q;
    make_wq(&q, "dorefa:3", 1);
    const float dw_w[6] = {-2.0f, -0.5f, 0.0f, 0.1f, 0.7f, 1.5f};
    float dwq[6] = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f, 0.25f}, dw[6];
    q.ops->fit(&q, dw_w, 1, 6, 1);
    q.ops->grad(&q, dw, dwq, dw_w, 1, 6);
    const double M = tanh(2.0);
    int bad = 0;
    for (int i = 0; i < 6; i++) {
        double t = tanh((double)dw_w[i]);
        double want = dwq[i] * (1.0 - t * t) / M;
        double h = 1e-3, fd = dwq[i] * (tanh(dw_w[i] + h) - tanh(dw_w[i] - h)) / (2 * h) / M;
        bad += fabs(dw[i] - want) > 1e-5 * (1.0 + fabs(want)) || fabs(dw[i] - fd) > 1e-3;
    }
    TU_CHECK(fabs(q.thresh[0] - M) < 1e-6, "dorefa: M %g, want tanh(2) = %g", q.thresh[0], M);
    TU_CHECK(bad == 0, "dorefa: %d gradients differ from dwq (1 - tanh^2 w) / M", bad);
    nn_wq_free(&q);
}

/* ---- bits and levels ------------------------------------------------------ */

static void test_bits(void)
{
    static const struct {
        const char *spec;
        int bits, levels, K;
    } t[] = {
        {"fp", 0, 0, 0},      {"bin", 1, 2, 1},     {"twn", 2, 3, 1},
        {"tquant", 2, 3, 1},  {"mquant", 2, 3, 1},  {"heq:3", 2, 3, 1},
        {"heq:5", 3, 5, 2},   {"heq:7", 3, 7, 3},   {"heq:9", 4, 9, 4},
        {"heq:127", 7, 127, 63}, {"uniform:2", 2, 3, 1}, {"uniform:8", 8, 255, 127},
        {"pow2:2", 2, 3, 1},  {"pow2:3", 4, 7, 4},  {"pow2:4", 8, 15, 64},
        {"dorefa:2", 3, 4, 3}, {"dorefa:7", 8, 128, 127}, {"wrpn:2", 2, 3, 1},
        {"wrpn:8", 8, 255, 127}, {"rtn:3", 2, 3, 1}, {"rtn:5", 3, 5, 2},
        {"rtn:127", 7, 127, 63}, {"lsq:2", 2, 3, 1}, {"lsq:8", 8, 255, 127},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct nn_wq q;
        make_wq(&q, t[i].spec, 1);
        TU_CHECK(nn_wq_bits(&q) == t[i].bits && q.levels == t[i].levels && q.K == t[i].K,
                 "%s: bits %d levels %d K %d, want %d %d %d", t[i].spec, nn_wq_bits(&q),
                 q.levels, q.K, t[i].bits, t[i].levels, t[i].K);
        nn_wq_free(&q);
        nn_wq_free(&q); /* twice is harmless */
    }
    printf("bits/levels checked on %zu specs\n", sizeof t / sizeof t[0]);
}

/* ---- activation quantizers ------------------------------------------------ */

static void check_act(const char *spec)
{
    struct nn_aq q;
    make_aq(&q, spec);
    int nt = nn_aq_n_thresh(&q);
    float vs = nn_aq_value_scale(&q);
    int ascending = 1;
    for (int j = 1; j < nt; j++)
        ascending &= nn_aq_thresh(&q, j) < nn_aq_thresh(&q, j + 1);
    TU_CHECK(ascending, "%s: thresholds not strictly ascending", spec);

    /* Dense grid on [-3, 3] at 2^-12, every threshold and its neighbours,
     * and the extremes. */
    int ng = 6 * 4096 + 1;
    size_t cap = (size_t)ng + 3 * nt + 8, n = 0;
    float *y = alloc_f(cap), *out = alloc_f(cap), *inplace = alloc_f(cap);
    for (int i = 0; i < ng; i++)
        y[n++] = (float)(-3.0 + i / 4096.0);
    for (int j = 1; j <= nt; j++) {
        float t = nn_aq_thresh(&q, j);
        y[n++] = t;
        y[n++] = nextafterf(t, -INFINITY);
        y[n++] = nextafterf(t, INFINITY);
    }
    const float ext[8] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f, FLT_MIN};
    for (int i = 0; i < 8; i++)
        y[n++] = ext[i];
    q.ops->forward(&q, out, y, n);
    memcpy(inplace, y, n * sizeof *y);
    q.ops->forward(&q, inplace, inplace, n);

    size_t bad = 0, bad_set = 0, bad_inplace = 0;
    double max_diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        int count = 0;
        for (int j = 1; j <= nt; j++)
            count += y[i] >= nn_aq_thresh(&q, j);
        float want = (float)nn_aq_int_value(&q, count) * vs;
        if (!same_bits(out[i], want)) {
            bad++;
            double d = fabs((double)out[i] - want);
            max_diff = d > max_diff ? d : max_diff;
        }
        bad_inplace += !same_bits(out[i], inplace[i]);
        /* The values this non-smooth op may produce. */
        int legal = 0;
        switch (q.kind) {
        case NN_AQ_HEAVISIDE:
            legal = same_bits(out[i], 0.0f) || same_bits(out[i], 1.0f);
            break;
        case NN_AQ_SIGN:
            legal = same_bits(out[i], -1.0f) || same_bits(out[i], 1.0f);
            break;
        default:
            for (int k = 0; k <= nt; k++)
                legal |= same_bits(out[i], (float)nn_aq_int_value(&q, k) * vs);
            break;
        }
        bad_set += !legal;
    }
    TU_CHECK(bad == 0, "%s: forward differs from int_value(count) * scale at %zu of %zu "
             "inputs (max diff %g)", spec, bad, n, max_diff);
    TU_CHECK(bad_set == 0, "%s: %zu outputs outside the legal set", spec, bad_set);
    TU_CHECK(bad_inplace == 0, "%s: in-place forward differs at %zu inputs", spec, bad_inplace);

    if (q.kind == NN_AQ_UNIFORM) {
        /* Thresholds are the level midpoints; |value - clip(y, 0, 1)| is at
         * most half a level. */
        int L = nt;
        double worst_t = 0.0, worst_e = 0.0;
        for (int j = 1; j <= L; j++) {
            double d = fabs(nn_aq_thresh(&q, j) - (j - 0.5) / L);
            worst_t = d > worst_t ? d : worst_t;
        }
        for (int i = 0; i < ng; i++) {
            double c = y[i] < 0 ? 0 : y[i] > 1 ? 1 : y[i];
            double e = fabs(out[i] - c);
            worst_e = e > worst_e ? e : worst_e;
        }
        TU_CHECK(worst_t <= 1e-7, "%s: thresholds off (j - 1/2)/L by %g", spec, worst_t);
        TU_CHECK(worst_e <= 0.5 / L * (1.0 + REL_TOL) + REL_TOL,
                 "%s: |value - clip(y)| %.9g above 1/(2L) = %.9g", spec, worst_e, 0.5 / L);
        TU_CHECK(nn_aq_int_value(&q, L) == L && fabs(L * vs - 1.0) < 1e-6,
                 "%s: top value %g", spec, L * vs);
        printf("act %-8s %zu inputs, %d thresholds: %zu mismatches (max diff %g), "
               "max |value - clip(y)| %.6f (bound %.6f)\n",
               spec, n, nt, bad, max_diff, worst_e, 0.5 / L);
    } else if (q.kind == NN_AQ_TERN || q.kind == NN_AQ_POW2) {
        /* Round-trip bound: with y clipped to [-1, 1] (the HardTanh), the
         * value is the level of y's band, so |value - clip(y)| is at most
         * the larger distance from a band's threshold to the levels beside
         * it (half the widest gap for /mid); the levels are symmetric and
         * the largest is 1. */
        double bound = 0.0, worst_e = 0.0;
        for (int j = 1; j <= nt; j++) {
            double t = nn_aq_thresh(&q, j);
            double below = nn_aq_int_value(&q, j - 1) * (double)vs;
            double above = nn_aq_int_value(&q, j) * (double)vs;
            TU_CHECK(below < t && t < above, "%s: threshold %d = %g not between its levels %g "
                     "and %g", spec, j, t, below, above);
            double d = fmax(t - below, above - t);
            bound = d > bound ? d : bound;
        }
        for (int i = 0; i < ng; i++) {
            double c = y[i] < -1 ? -1 : y[i] > 1 ? 1 : y[i];
            double e = fabs(out[i] - c);
            worst_e = e > worst_e ? e : worst_e;
        }
        TU_CHECK(worst_e <= bound * (1.0 + REL_TOL) + REL_TOL,
                 "%s: |value - clip(y, -1, 1)| %.9g above the bound %.9g", spec, worst_e, bound);
        TU_CHECK(nn_aq_int_value(&q, nt) * vs == 1.0f && nn_aq_int_value(&q, 0) * vs == -1.0f &&
                     nn_aq_int_value(&q, nt / 2) == 0,
                 "%s: levels from %g through 0 to %g, want -1, 0, 1", spec,
                 nn_aq_int_value(&q, 0) * vs, nn_aq_int_value(&q, nt) * vs);
        for (int j = 1; j <= nt; j++)
            TU_CHECK(nn_aq_thresh(&q, j) == -nn_aq_thresh(&q, nt + 1 - j),
                     "%s: thresholds %d and %d not mirrored", spec, j, nt + 1 - j);
        printf("act %-10s %zu inputs, %d thresholds: %zu mismatches (max diff %g), "
               "max |value - clip(y, -1, 1)| %.6f (bound %.6f)\n",
               spec, n, nt, bad, max_diff, worst_e, bound);
    } else {
        printf("act %-8s %zu inputs, %d thresholds: %zu mismatches (max diff %g), %zu illegal "
               "values\n", spec, n, nt, bad, max_diff, bad_set);
    }
    free(y);
    free(out);
    free(inplace);
}

static void check_act_backward(const char *spec, const int *pass)
{
    struct nn_aq q;
    make_aq(&q, spec);
    const float y[9] = {-1.5f, -1.0f, -0.5f, -0.0f, 0.0f, 0.5f, 1.0f, 1.0001f, 2.0f};
    float dout[9], din[9];
    for (int i = 0; i < 9; i++) {
        dout[i] = (float)(i + 1);
        din[i] = NAN;
    }
    q.ops->backward(&q, din, dout, y, 9);
    int bad = 0;
    for (int i = 0; i < 9; i++)
        bad += !same_bits(din[i], pass[i] ? dout[i] : 0.0f);
    TU_CHECK(bad == 0, "%s backward: %d entries off the mask", spec, bad);
    printf("act backward %-8s: %d wrong of 9\n", spec, bad);
}

static void test_act(void)
{
    static const char *specs[] = {"1",      "sign",       "2",      "3",     "4",
                                  "8",      "1/id",       "3/id",   "tern",  "pow2:3",
                                  "pow2:3/geo", "pow2:4", "tern/id"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        check_act(specs[i]);

    static const struct {
        const char *spec;
        int bits, n_thresh, iv0, iv1;
    } t[] = {
        {"fp", 0, 0, 0, 1},   {"relu", 0, 0, 0, 1}, {"1", 1, 1, 0, 1},
        {"sign", 1, 1, -1, 1}, {"2", 2, 3, 0, 1},   {"8", 8, 255, 0, 1},
        {"tern", 2, 2, -1, 0}, {"pow2:3", 3, 6, -4, -2}, {"pow2:4", 4, 14, -64, -32},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct nn_aq q;
        make_aq(&q, t[i].spec);
        TU_CHECK(q.bits == t[i].bits && nn_aq_n_thresh(&q) == t[i].n_thresh &&
                     nn_aq_int_value(&q, 0) == t[i].iv0 && nn_aq_int_value(&q, 1) == t[i].iv1,
                 "%s: bits %d n_thresh %d int values %d %d", t[i].spec, q.bits,
                 nn_aq_n_thresh(&q), nn_aq_int_value(&q, 0), nn_aq_int_value(&q, 1));
        if (q.kind == NN_AQ_HEAVISIDE || q.kind == NN_AQ_SIGN)
            TU_CHECK(nn_aq_thresh(&q, 1) == 0.0f && nn_aq_value_scale(&q) == 1.0f,
                     "%s: threshold %g scale %g", t[i].spec, nn_aq_thresh(&q, 1),
                     nn_aq_value_scale(&q));
    }

    /* y = {-1.5, -1, -0.5, -0, 0, 0.5, 1, 1.0001, 2} */
    static const int all[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const int step[9] = {0, 1, 1, 1, 1, 1, 1, 0, 0};
    static const int unit[9] = {0, 0, 0, 1, 1, 1, 1, 0, 0};
    static const int pos[9] = {0, 0, 0, 0, 0, 1, 1, 1, 1};
    check_act_backward("1", step);
    check_act_backward("sign", step);
    check_act_backward("3", unit);
    check_act_backward("tern", step);
    check_act_backward("pow2:3", step);
    check_act_backward("pow2:3/geo/id", all);
    check_act_backward("1/id", all);
    check_act_backward("sign/id", all);
    check_act_backward("2/id", all);
    check_act_backward("fp", all);
    check_act_backward("relu", pos);

    /* fp and relu forward. */
    struct nn_aq fp, relu;
    make_aq(&fp, "fp");
    make_aq(&relu, "relu");
    const float y[6] = {-2.0f, -0.0f, 0.0f, 0.25f, 3.0f, -1e-30f};
    float a[6], b[6];
    fp.ops->forward(&fp, a, y, 6);
    relu.ops->forward(&relu, b, y, 6);
    int bad = 0;
    for (int i = 0; i < 6; i++) {
        bad += !same_bits(a[i], y[i]);
        bad += !same_bits(b[i], y[i] > 0 ? y[i] : 0.0f);
    }
    TU_CHECK(bad == 0, "fp/relu forward: %d wrong", bad);

    /* MINW-Net's thresholds (papers.md 2a): tern at +-1/2, pow2:3 at the
     * midpoints 0.125, 0.375, 0.75 (/mid) or 0.125, sqrt(2)/4, sqrt(2)/2
     * (/geo), each the float nearest the real value; pow2:3's values are
     * {-4, -2, -1, 0, 1, 2, 4} / 4. */
    struct nn_aq t3, p3, g3;
    make_aq(&t3, "tern");
    make_aq(&p3, "pow2:3");
    make_aq(&g3, "pow2:3/geo");
    const float pmid[6] = {-0.75f, -0.375f, -0.125f, 0.125f, 0.375f, 0.75f};
    const float pgeo[6] = {(float)-0.70710678118654752, (float)-0.35355339059327376, -0.125f,
                           0.125f, (float)0.35355339059327376, (float)0.70710678118654752};
    const int pval[7] = {-4, -2, -1, 0, 1, 2, 4};
    bad = nn_aq_thresh(&t3, 1) != -0.5f || nn_aq_thresh(&t3, 2) != 0.5f;
    for (int j = 0; j < 6; j++)
        bad += nn_aq_thresh(&p3, j + 1) != pmid[j] || nn_aq_thresh(&g3, j + 1) != pgeo[j];
    for (int c = 0; c < 7; c++)
        bad += nn_aq_int_value(&p3, c) != pval[c];
    bad += nn_aq_value_scale(&p3) != 0.25f || nn_aq_value_scale(&t3) != 1.0f;
    bad += nn_aq_lo(&t3) != -1.0f || nn_aq_lo(&p3) != -1.0f;
    TU_CHECK(bad == 0, "tern / pow2:3 thresholds and levels: %d wrong", bad);
    printf("tern, pow2:3 (/mid, /geo): thresholds and levels checked (%d wrong)\n", bad);
}

/* ---- spec strings --------------------------------------------------------- */

static int same_wq(const struct nn_wq *a, const struct nn_wq *b)
{
    return a->ops == b->ops && a->kind == b->kind && a->levels == b->levels && a->K == b->K &&
           a->mode == b->mode && a->ste == b->ste && a->heq_rate == b->heq_rate;
}

static void test_specs(void)
{
    static const char *wgood[][2] = {
        {"fp", "fp"},
        {"bin", "bin"},
        {"binary", "bin"},
        {"bin/ch", "bin/ch"},
        {"binary/clip", "bin/clip"},
        {"twn", "twn"},
        {"twn/ch", "twn/ch"},
        {"heq:3", "heq:3"},
        {"heq:5/ch", "heq:5/ch"},
        {"heq:127", "heq:127"},
        {"heq:3/clip/ch", "heq:3/ch/clip"},
        {"uniform:2", "uniform:2"},
        {"rtn:5/ch", "rtn:5/ch"},
        {"uniform:3", "uniform:3"},
        {"uniform:4", "uniform:4"},
        {"uniform:5/ch", "uniform:5/ch"},
        {"uniform:6", "uniform:6"},
        {"uniform:7", "uniform:7"},
        {"uniform:8/ch/clip", "uniform:8/ch/clip"},
        {"tquant", "tquant"},
        {"tquant/ch", "tquant/ch"},
        {"mquant", "mquant"},
        {"pow2:2", "pow2:2"},
        {"dorefa:3/ch", "dorefa:3/ch"},
        {"wrpn:4", "wrpn:4"},
        {"lsq:2", "lsq:2"},
        {"lsq:8/ch", "lsq:8/ch"},
        {"pow2:3/ch", "pow2:3/ch"},
        {"pow2:4/clip", "pow2:4/clip"},
        {"mquant/ch", "mquant/ch"},
    };
    int n_ok = 0;
    for (size_t i = 0; i < sizeof wgood / sizeof wgood[0]; i++) {
        struct nn_wq q, r;
        struct nn_error err = {{0}};
        char buf[64], buf2[64];
        enum nn_status st = nn_wq_parse(&q, wgood[i][0], &err);
        TU_CHECK(st == NN_OK, "weight spec '%s' rejected: %s", wgood[i][0], err.msg);
        if (st != NN_OK)
            continue;
        TU_CHECK(q.scale == NULL && q.thresh == NULL && q.scratch == NULL &&
                     q.ops == &nn_wq_ops_table[q.kind],
                 "'%s': parse must not allocate and must set ops", wgood[i][0]);
        TU_CHECK(q.heq_rate == 0.05f, "'%s': heq_rate %g", wgood[i][0], q.heq_rate);
        nn_wq_spec(&q, buf, sizeof buf);
        TU_CHECK(!strcmp(buf, wgood[i][1]), "weight spec '%s' prints '%s', want '%s'",
                 wgood[i][0], buf, wgood[i][1]);
        st = nn_wq_parse(&r, buf, &err);
        nn_wq_spec(&r, buf2, sizeof buf2);
        TU_CHECK(st == NN_OK && same_wq(&q, &r) && !strcmp(buf, buf2),
                 "weight spec '%s' does not round-trip ('%s')", buf, buf2);
        n_ok += st == NN_OK && same_wq(&q, &r);
    }
    /* Clipped STE set by the caller shows in the canonical form. */
    struct nn_wq qc;
    nn_wq_parse(&qc, "heq:5", NULL);
    qc.ste = NN_STE_CLIPPED;
    char cbuf[64];
    nn_wq_spec(&qc, cbuf, sizeof cbuf);
    TU_CHECK(!strcmp(cbuf, "heq:5/clip"), "clipped heq:5 prints '%s'", cbuf);

    static const char *wbad[] = {
        "heq:4", "heq:1", "heq:129", "heq:1001", "heq:", "heq", "heq:3x", "heq:-3", "heq:+3",
        "uniform:1", "uniform:9", "uniform:", "uniform", "pow2:1", "pow2:5", "pow2",
        "rtn:4", "rtn:1", "rtn:129", "rtn", "lsq:1", "lsq:9",
        "dorefa:1", "dorefa:8", "wrpn:1", "wrpn:9", "foo", "", "bin/xx", "bin/ch/ch",
        "bin/", "fp/ch", "fp/clip", "twn:3", "BIN", "ternary", "bin/clip/clip", "heq:5 ",
        " heq:5", "heq:3/ch/", "mquant/channel",
    };
    int n_bad = 0;
    for (size_t i = 0; i < sizeof wbad / sizeof wbad[0]; i++) {
        struct nn_wq q, before;
        memset(&q, 0xAB, sizeof q);
        memcpy(&before, &q, sizeof q);
        struct nn_error err = {{0}};
        enum nn_status st = nn_wq_parse(&q, wbad[i], &err);
        TU_CHECK(st == NN_ERR_ARG, "weight spec '%s' accepted (status %d)", wbad[i], st);
        TU_CHECK(strstr(err.msg, wbad[i]) != NULL && strlen(err.msg) > strlen(wbad[i]) + 10,
                 "weight spec '%s': message '%s' does not name it", wbad[i], err.msg);
        TU_CHECK(!memcmp(&q, &before, sizeof q), "weight spec '%s': q changed on failure",
                 wbad[i]);
        n_bad += st == NN_ERR_ARG;
        if (i < 2)
            printf("  e.g. %s\n", err.msg);
    }
    printf("weight specs: %d of %zu good ones round-trip, %d of %zu bad ones rejected\n", n_ok,
           sizeof wgood / sizeof wgood[0], n_bad, sizeof wbad / sizeof wbad[0]);

    static const char *agood[][2] = {
        {"fp", "fp"},       {"relu", "relu"},   {"1", "1"},         {"heaviside", "1"},
        {"bin", "1"},       {"1/clip", "1"},    {"1/id", "1/id"},   {"sign", "sign"},
        {"sign/clip", "sign"}, {"sign/id", "sign/id"}, {"2", "2"},  {"3", "3"},
        {"u2", "2"},        {"u3/id", "3/id"},  {"uniform:4", "4"}, {"8", "8"},
        {"uniform:3/clip", "3"}, {"tern", "tern"}, {"ternary", "tern"}, {"tern/id", "tern/id"},
        {"pow2:3", "pow2:3"}, {"pow2:3/mid", "pow2:3"}, {"pow2:3/geo", "pow2:3/geo"},
        {"pow2:4/id/geo", "pow2:4/geo/id"}, {"pow2:3/clip/mid", "pow2:3"},
    };
    n_ok = 0;
    for (size_t i = 0; i < sizeof agood / sizeof agood[0]; i++) {
        struct nn_aq q, r;
        struct nn_error err = {{0}};
        char buf[64], buf2[64];
        enum nn_status st = nn_aq_parse(&q, agood[i][0], &err);
        TU_CHECK(st == NN_OK, "activation spec '%s' rejected: %s", agood[i][0], err.msg);
        if (st != NN_OK)
            continue;
        nn_aq_spec(&q, buf, sizeof buf);
        TU_CHECK(!strcmp(buf, agood[i][1]), "activation spec '%s' prints '%s', want '%s'",
                 agood[i][0], buf, agood[i][1]);
        st = nn_aq_parse(&r, buf, &err);
        nn_aq_spec(&r, buf2, sizeof buf2);
        int same = st == NN_OK && r.ops == q.ops && r.kind == q.kind && r.bits == q.bits &&
                   r.ste == q.ste && r.rule == q.rule && q.ops == &nn_aq_ops_table[q.kind];
        TU_CHECK(same && !strcmp(buf, buf2), "activation spec '%s' does not round-trip", buf);
        n_ok += same;
    }
    struct nn_aq def;
    make_aq(&def, "sign");
    TU_CHECK(def.ste == NN_STE_CLIPPED, "sign's default estimator is not clipped");

    static const char *abad[] = {
        "0", "9", "10", "u1", "u9", "u", "uniform:", "uniform:1", "3/clip/id", "fp/id",
        "relu/clip", "foo", "", "1/xx", "sign/", "1/", "heavyside", "-1", "3/clip/", "2 ",
        "pow2", "pow2:", "pow2:2", "pow2:5", "pow2:x", "pow2:3/geo/mid", "tern/geo", "sign/mid",
        "pow2:3/id/clip", "tern:2", "pow2:3/", "terns",
    };
    n_bad = 0;
    for (size_t i = 0; i < sizeof abad / sizeof abad[0]; i++) {
        struct nn_aq q, before;
        memset(&q, 0xAB, sizeof q);
        memcpy(&before, &q, sizeof q);
        struct nn_error err = {{0}};
        enum nn_status st = nn_aq_parse(&q, abad[i], &err);
        TU_CHECK(st == NN_ERR_ARG, "activation spec '%s' accepted", abad[i]);
        TU_CHECK(strstr(err.msg, abad[i]) != NULL && strlen(err.msg) > strlen(abad[i]) + 10,
                 "activation spec '%s': message '%s' does not name it", abad[i], err.msg);
        TU_CHECK(!memcmp(&q, &before, sizeof q), "activation spec '%s': q changed", abad[i]);
        n_bad += st == NN_ERR_ARG;
    }
    printf("activation specs: %d of %zu good ones round-trip, %d of %zu bad ones rejected\n",
           n_ok, sizeof agood / sizeof agood[0], n_bad, sizeof abad / sizeof abad[0]);
}

/* ---- speed (informational: printed, not checked) --------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void report_speed(void)
{
    int cout = 512, fan_in = 1152; /* 589824 weights, a 3x3x128 -> 512 conv */
    size_t n = (size_t)cout * fan_in;
    float *w = alloc_f(n), *wq = alloc_f(n), *dw = alloc_f(n);
    fill_gauss(w, n, 0.05, 9);
    static const char *specs[] = {"heq:3", "heq:5/ch", "mquant", "twn", "uniform:4"};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        struct nn_wq q;
        make_wq(&q, specs[k], cout);
        q.ops->fit(&q, w, cout, fan_in, 1);
        int reps = 5;
        double t0 = now_s();
        for (int r = 0; r < reps; r++)
            q.ops->fit(&q, w, cout, fan_in, 0);
        double t1 = now_s();
        for (int r = 0; r < reps; r++)
            q.ops->fake(&q, wq, w, cout, fan_in);
        double t2 = now_s();
        for (int r = 0; r < reps; r++)
            q.ops->grad(&q, dw, wq, w, cout, fan_in);
        double t3 = now_s();
        printf("speed %-9s on %zu weights: fit %.2f ms, fake %.2f ms, grad %.2f ms\n",
               specs[k], n, 1e3 * (t1 - t0) / reps, 1e3 * (t2 - t1) / reps,
               1e3 * (t3 - t2) / reps);
        nn_wq_free(&q);
    }
    free(w);
    free(wq);
    free(dw);
}

int main(void)
{
    test_specs();
    test_bits();
    test_hand();
    test_grad();
    test_uniform_bits();
    test_rounding();
    test_quantiles();
    test_heq_ema();
    test_equalization();
    test_contract();
    test_act();
    report_speed();
    return tu_exit("test_quant");
}

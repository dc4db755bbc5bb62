// tests/test_sim_units.cpp: the unit classes of sim/units.h against
// straightforward integer kernels (one lane, one value at a time).
//
// Tolerance policy: none; every result is an integer and must be equal.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "sim/sim.h"
#include "sim/units.h"

static int failures, checks;

#define CHECK(cond, ...)                                              \
    do {                                                              \
        checks++;                                                     \
        if (!(cond)) {                                                \
            failures++;                                               \
            std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            std::fprintf(stderr, __VA_ARGS__);                        \
            std::fputc('\n', stderr);                                 \
        }                                                             \
    } while (0)

static uint64_t rng_state = 0x1234567u;
static uint64_t rnd()
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int rint_in(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }

// The lane logic + popcounts + shift must give the exact dot product of one
// weight magnitude plane with one activation plane, for each input kind.
static void test_pe()
{
    for (int it = 0; it < 2000; it++) {
        const int lanes = rint_in(1, 200), words = (lanes + 63) / 64;
        const bool sign = rnd() & 1;
        std::vector<uint64_t> x(words), valid(words), s(words), m(words), g(words), f(words);
        std::vector<int> xv(lanes), wv(lanes), ok(lanes);
        const int j = rint_in(0, 2);
        for (int i = 0; i < lanes; i++) {
            xv[i] = (int)(rnd() & 1);
            ok[i] = rint_in(0, 4) != 0;
            wv[i] = rint_in(-7, 7);
            const uint64_t bit = uint64_t(1) << (i % 64);
            if (xv[i]) x[i / 64] |= bit;
            if (ok[i]) valid[i / 64] |= bit;
            if (wv[i] < 0) s[i / 64] |= bit;
            if (((wv[i] < 0 ? -wv[i] : wv[i]) >> j) & 1) m[i / 64] |= bit;
        }
        long long want = 0;
        for (int i = 0; i < lanes; i++) {
            if (!ok[i])
                continue;
            const int mag = ((wv[i] < 0 ? -wv[i] : wv[i]) >> j) & 1;
            const int w = wv[i] < 0 ? -mag : mag;
            want += (long long)w * (sign ? 2 * xv[i] - 1 : xv[i]);
        }
        for (int w = 0; w < words; w++) {
            lsim::gate_flip gf = lsim::fetch_gate(
                sign ? lsim::plane_kind::SIGN : lsim::plane_kind::ZERO_ONE, x[w], valid[w]);
            g[w] = gf.g;
            f[w] = gf.f;
        }
        lsim::pe_pop pp = lsim::pe_popcount(g.data(), f.data(), s.data(), m.data(), words);
        CHECK(pp.pos - pp.neg == want, "pe: lanes %d sign %d plane %d: %d - %d, want %lld",
              lanes, sign, j, pp.pos, pp.neg, want);
    }
}

// MINW-Net's signed multi-level activations (tern: 2 code bits, pow2:3 and
// pow2:4: 3, 4): the fetch unit's activation decoder, for each pass b =
// 0..q-1, then the lane logic and popcounts on the pass's {0,1} plane and
// flip, each pass's count shifted by b, must give the exact dot product of
// the codes' values (c - q: 0 or +-2^(|c - q| - 1)) with one weight plane;
// padding (valid 0, code 0) adds nothing.
static void test_signed_acts()
{
    for (int it = 0; it < 2000; it++) {
        const int lanes = rint_in(1, 200), words = (lanes + 63) / 64;
        const int bits = rint_in(2, 4), q = (1 << (bits - 1)) - 1;
        std::vector<uint64_t> c((size_t)bits * words), valid(words), s(words), m(words);
        std::vector<int> cv(lanes), wv(lanes), ok(lanes);
        for (int i = 0; i < lanes; i++) {
            ok[i] = rint_in(0, 4) != 0;
            cv[i] = ok[i] ? rint_in(0, 2 * q) : 0;  // padding reads code 0
            wv[i] = rint_in(-1, 1);
            const uint64_t bit = uint64_t(1) << (i % 64);
            for (int k = 0; k < bits; k++)
                if ((cv[i] >> k) & 1) c[(size_t)k * words + i / 64] |= bit;
            if (ok[i]) valid[i / 64] |= bit;
            if (wv[i] < 0) s[i / 64] |= bit;
            if (wv[i] != 0) m[i / 64] |= bit;
        }
        long long want = 0;
        for (int i = 0; i < lanes; i++) {
            const int v = cv[i] - q;
            const int x = v == 0 ? 0 : v > 0 ? 1 << (v - 1) : -(1 << (-v - 1));
            if (ok[i])
                want += (long long)wv[i] * x;
        }
        long long got = 0;
        for (int b = 0; b < q; b++) {
            std::vector<uint64_t> g(words), f(words);
            for (int w = 0; w < words; w++) {
                uint64_t cw[4];
                for (int k = 0; k < bits; k++)
                    cw[k] = c[(size_t)k * words + w];
                const lsim::act_pass ap = lsim::act_decode(cw, bits, q + 1 + b, q - 1 - b);
                const lsim::gate_flip gf =
                    lsim::fetch_gate(lsim::plane_kind::ZERO_ONE, ap.x & valid[w], valid[w]);
                g[w] = gf.g;
                f[w] = gf.f | ap.lo;
            }
            lsim::pe_pop pp = lsim::pe_popcount(g.data(), f.data(), s.data(), m.data(), words);
            got += (long long)(pp.pos - pp.neg) * (1LL << b);
        }
        CHECK(got == want, "signed acts: lanes %d, %d code bits: %lld, want %lld", lanes, bits,
              got, want);
    }
}

// The shift PE: the lane logic on the sign, the exponent code decoder
// (k = 0: none, k = e + 1: tree e) routing each lane to its tree pair, the popcounts and the shift-add must
// give the exact dot product of power-of-two weights (0, +-2^e, e < E) with
// one activation plane, in one pass.
static void test_shift_pe()
{
    for (int it = 0; it < 2000; it++) {
        const int lanes = rint_in(1, 200), words = (lanes + 63) / 64;
        const int E = rint_in(2, 7), xb = E <= 3 ? 1 : 2;  // the code's bits above bit 0
        const bool sign = rnd() & 1;
        std::vector<uint64_t> x(words), valid(words), s(words), z(words), g(words), f(words);
        std::vector<uint64_t> ex((size_t)xb * words);
        long long want = 0;
        for (int i = 0; i < lanes; i++) {
            const int xv = (int)(rnd() & 1), ok = rint_in(0, 4) != 0;
            const int e = rint_in(0, E - 1), nz = rint_in(0, 3) != 0, neg = (int)(rnd() & 1);
            const uint64_t bit = uint64_t(1) << (i % 64);
            if (xv) x[i / 64] |= bit;
            if (ok) valid[i / 64] |= bit;
            if (neg) s[i / 64] |= bit;
            const int code = nz ? e + 1 : 0;
            if (code & 1) z[i / 64] |= bit;
            for (int k = 0; k < xb; k++)
                if ((code >> (k + 1)) & 1)
                    ex[(size_t)k * words + i / 64] |= bit;
            if (ok && nz)
                want += (long long)(neg ? -1 : 1) * (1LL << e) * (sign ? 2 * xv - 1 : xv);
        }
        uint64_t pos[8] = {0}, negc[8] = {0};
        for (int w = 0; w < words; w++) {
            const lsim::gate_flip gf = lsim::fetch_gate(
                sign ? lsim::plane_kind::SIGN : lsim::plane_kind::ZERO_ONE, x[w], valid[w]);
            const lsim::lane_bits lb = lsim::lane_logic(gf.g, gf.f, s[w], ~uint64_t(0));
            uint64_t xw[3];
            for (int k = 0; k < xb; k++)
                xw[k] = ex[(size_t)k * words + w];
            uint64_t seen = 0;
            for (int e = 0; e < E; e++) {
                const uint64_t d = lsim::code_decode(z[w], xw, xb, e);
                CHECK((d & seen) == 0, "shift pe: a lane decoded to two exponents");
                seen |= d;
                pos[e] += (uint64_t)__builtin_popcountll(lb.pos & d);
                negc[e] += (uint64_t)__builtin_popcountll(lb.neg & d);
            }
        }
        const long long got =
            (long long)lsim::shift_add(pos, E) - (long long)lsim::shift_add(negc, E);
        CHECK(got == want, "shift pe: lanes %d E %d sign %d: %lld, want %lld", lanes, E, sign,
              got, want);
    }
}

// The accumulator register wraps at acc_bits and restarts on the first issue.
static void test_acc()
{
    for (int it = 0; it < 5000; it++) {
        const int A = rint_in(4, 48);
        const int64_t lim = lsim::smax(A) / 2;
        int64_t acc = (int64_t)(rnd() % (uint64_t)(2 * lim + 1)) - lim;
        const int d = rint_in(-200, 200), sh = rint_in(0, 9);
        const bool first = rnd() & 1;
        const int64_t exact = (first ? 0 : acc) + (int64_t)d * (1LL << sh);
        int64_t want = exact;
        const int64_t span = (int64_t)1 << (A - 1);
        while (want >= span) want -= 2 * span;  // two's-complement wrap
        while (want < -span) want += 2 * span;
        const int64_t got = lsim::acc_step(acc, first, d, sh, A);
        CHECK(got == want, "acc: A %d acc %lld d %d << %d first %d: %lld, want %lld", A,
              (long long)acc, d, sh, first, (long long)got, (long long)want);
    }
}

static void test_threshold_merge_pool()
{
    for (int it = 0; it < 3000; it++) {
        const int n = rint_in(1, 15), A = rint_in(6, 20);
        std::vector<int64_t> t(n), ts(n);
        int64_t v = rint_in(-(1 << (A - 2)), 1 << (A - 2));
        for (int i = 0; i < n; i++)
            t[i] = rint_in(-(1 << A), 1 << A);  // some beyond acc_bits: saturated
        for (int i = 1; i < n; i++)
            for (int k = i; k > 0 && t[k] < t[k - 1]; k--)
                std::swap(t[k], t[k - 1]);
        int want = 0;
        for (int i = 0; i < n; i++) {
            want += t[i] <= v;
            ts[i] = lsim::thr_store(t[i], A);
        }
        CHECK(lsim::thr_code(ts.data(), n, v) == want, "thr: saturated thresholds changed a code");
    }
    // merges: truth tables
    for (int code = 0; code < 2; code++)
        for (int skip = 0; skip < 2; skip++)
            for (int sel = 0; sel < 2; sel++) {
                CHECK(lsim::merge_code(lsim::merge_kind::OR, lsim::mux_variant::OR, sel, code,
                                       skip) == (code | skip), "or");
                CHECK(lsim::merge_code(lsim::merge_kind::MUX, lsim::mux_variant::OR, sel, code,
                                       skip) == (sel ? (code | skip) : code), "mux or");
                CHECK(lsim::merge_code(lsim::merge_kind::MUX, lsim::mux_variant::SEL, sel, code,
                                       skip) == (sel ? skip : code), "mux sel");
            }
    // requantizer: floor division by 2^s, saturation, the stream adder
    for (int it = 0; it < 20000; it++) {
        const int64_t acc = rint_in(-100000, 100000), mul = rint_in(-300, 300);
        const int64_t add = rint_in(-1000000, 1000000);
        const int sh = rint_in(0, 20), R = rint_in(2, 24);
        const int64_t num = mul * acc + add, den = (int64_t)1 << sh;
        int64_t q = num / den;
        if (num % den != 0 && num < 0)
            q--;  // floor
        const int64_t hi = ((int64_t)1 << (R - 1)) - 1, lo = -hi - 1;
        const int64_t want = q < lo ? lo : q > hi ? hi : q;
        const int64_t y = lsim::requantize(acc, mul, add, sh, R);
        CHECK(y == want, "rq: (%lld * %lld + %lld) >> %d sat %d: %lld, want %lld",
              (long long)mul, (long long)acc, (long long)add, sh, R, (long long)y,
              (long long)want);
        const int64_t skip = rint_in((int)lo, (int)hi), sum = want + skip;
        CHECK(lsim::stream_add(y, skip, R) == (sum < lo ? lo : sum > hi ? hi : sum), "add");
    }
    // pooling: running max over a window; argmax: the first largest
    for (int it = 0; it < 1000; it++) {
        const int k = rint_in(1, 9);
        int run = 0, want = -1, best = 0;
        lsim::argmax_reg am{0, 0};
        std::vector<int64_t> sc(k);
        for (int i = 0; i < k; i++) {
            const int c = rint_in(0, 7);
            run = lsim::pool_step(run, i == 0, c);
            want = c > want ? c : want;
            sc[i] = rint_in(-3, 3);
            am = lsim::argmax_step(am, i, sc[i]);
            if (sc[i] > sc[best])
                best = i;
        }
        CHECK(run == want, "pool: %d, want %d", run, want);
        CHECK(am.cls == best && am.best == sc[best], "argmax: %d, want %d", am.cls, best);
    }
}

// The buffer's bit runs against bit-by-bit reads.
static void test_buffer()
{
    lsim::bit_buffer b;
    b.resize(1000);
    std::vector<int> ref(1000);
    for (int i = 0; i < 1000; i++) {
        ref[i] = (int)(rnd() & 1);
        b.set_bit((size_t)i, ref[i]);
    }
    for (int it = 0; it < 5000; it++) {
        const int n = rint_in(1, 64), a = rint_in(0, 1000 - n);
        uint64_t want = 0;
        for (int i = 0; i < n; i++)
            want |= (uint64_t)ref[a + i] << i;
        CHECK(b.get((size_t)a, n) == want, "buffer: %d bits at %d", n, a);
    }
}

int main()
{
    std::printf("SystemC %s\n", sim_systemc_version());
    test_pe();
    test_signed_acts();
    test_shift_pe();
    test_acc();
    test_threshold_merge_pool();
    test_buffer();
    std::printf("test_sim_units: %d checks, %d failed (PE dot products, the shift PE's, "
                "signed multi-level activations, accumulator wrap, "
                "thresholds, merges, requantizer, pooling, argmax, buffer runs)\n",
                checks, failures);
    return failures ? 1 : 0;
}

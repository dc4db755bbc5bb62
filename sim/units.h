// sim/units.h: the arithmetic of the reference accelerator's units
// (docs/accelerator.md), as plain C++ classes without ports, clocks or wait():
// the fetch unit's gating, a PE's lane logic and popcounts, its accumulator,
// the threshold unit, the merge unit (OR, MUX, the add stream's requantizer and
// saturating adder), the pooling unit, the score unit, and the SRAM buffers
// with their access counters; and the shift PE's exponent decoder and
// shift-add. The clocked modules (sim/accel.h and its children) hold the
// registers between them and decide when each one acts.
//
//     lsim::pe_pop pp = lsim::pe_popcount(g, f, s, m, words);   // POP stage
//     acc = lsim::acc_step(acc, first, pp.pos - pp.neg, shift, acc_bits);
//
// Lanes are packed 64 to a word, lane i in bit i % 64 of word i / 64.
// Memory: buffers own std::vectors sized once per design; nothing else allocates.
#ifndef LOGIQ_SIM_UNITS_H
#define LOGIQ_SIM_UNITS_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lsim {

// ---- fetch unit: the gate and flip bits of one activation word ----

// The kinds of activation planes the fetch unit knows: {0,1} planes, sign
// planes, and MINW-Net's signed multi-level codes (tern, pow2:B), whose
// passes act_decode makes from the whole code.
enum class plane_kind { ZERO_ONE, SIGN, SIGNED };

// Gate and flip words of `lanes` activation bits x with their valid bits
// (0 at the padding and at unused lanes). {0,1} planes: g = x AND valid,
// f = 0; sign planes ({-1,+1}, 1 = +1): g = valid, f = NOT x.
struct gate_flip {
    uint64_t g, f;
};

inline gate_flip fetch_gate(plane_kind k, uint64_t x, uint64_t valid)
{
    if (k == plane_kind::SIGN)
        return {valid, ~x};
    return {x & valid, 0};
}

// The fetch unit's activation decoder (costmodels' cm_nl_unit_act_decoder;
// docs/accelerator.md, "Signed activations") on one 64-lane word: c[k] is
// bit k of each lane's code (the threshold count of a tern or pow2 value,
// `bits` bits), and pass b's targets t_hi = q + 1 + b, t_lo = q - 1 - b. x
// = the lanes whose value has magnitude 2^b (c == t_hi or c == t_lo), lo =
// those of them that are negative (c == t_lo).
struct act_pass {
    uint64_t x, lo;
};

inline act_pass act_decode(const uint64_t *c, int bits, int t_hi, int t_lo)
{
    uint64_t hi = ~uint64_t(0), lo = ~uint64_t(0);
    for (int k = 0; k < bits; k++) {
        hi &= (t_hi >> k) & 1 ? c[k] : ~c[k];
        lo &= (t_lo >> k) & 1 ? c[k] : ~c[k];
    }
    return {hi | lo, lo};
}

// ---- PE: lane logic and the two popcount trees ----

struct pe_pop {
    int pos, neg;
};

// The lane logic of one 64-lane word: per lane nz = m AND g, n = s XOR f,
// pos = nz AND NOT n, neg = nz AND n (the buses into the popcount trees).
struct lane_bits {
    uint64_t pos, neg;
};

inline uint64_t lane_pos(uint64_t g, uint64_t f, uint64_t s, uint64_t m)
{
    return (m & g) & ~(s ^ f);
}
inline uint64_t lane_neg(uint64_t g, uint64_t f, uint64_t s, uint64_t m)
{
    return (m & g) & (s ^ f);
}
inline lane_bits lane_logic(uint64_t g, uint64_t f, uint64_t s, uint64_t m)
{
    return {lane_pos(g, f, s, m), lane_neg(g, f, s, m)};
}

// The two popcounts of the lane logic over `words` words.
inline pe_pop pe_popcount(const uint64_t *g, const uint64_t *f, const uint64_t *s,
                          const uint64_t *m, int words)
{
    pe_pop r{0, 0};
    for (int w = 0; w < words; w++) {
        const lane_bits lb = lane_logic(g[w], f[w], s[w], m[w]);
        r.pos += __builtin_popcountll(lb.pos);
        r.neg += __builtin_popcountll(lb.neg);
    }
    return r;
}

// ---- the shift PE: exponent decoder and shift-add ----

// The decoder's one-hot output d_e over one 64-lane word: the lanes whose
// exponent code k equals e + 1 (k = 0: the weight 0, no tree), k's bit 0
// in k0 and its bits 1.. in the xb bit-planes x[0..xb-1] (x[b] bit b + 1 of
// each lane's code). A lane's pos and neg bits go to tree pair e through
// pos & d_e and neg & d_e.
inline uint64_t code_decode(uint64_t k0, const uint64_t *x, int xb, int e)
{
    const int v = e + 1;
    uint64_t d = v & 1 ? k0 : ~k0;
    for (int b = 0; b < xb; b++)
        d &= (v >> (b + 1)) & 1 ? x[b] : ~x[b];
    return d;
}

// The shift-add of one PE's E tree pair counts: sum_e c[e] << e.
inline uint64_t shift_add(const uint64_t *c, int E)
{
    uint64_t s = 0;
    for (int e = 0; e < E; e++)
        s += c[e] << e;
    return s;
}

// Sign-extends the low `bits` bits of v (a register of that width).
inline int64_t sext(int64_t v, int bits)
{
    const int sh = 64 - bits;
    return (int64_t)((uint64_t)v << sh) >> sh;
}

// ACC stage: acc = (first issue of the output ? 0 : acc) + (d << shift), in an
// acc_bits two's-complement register.
inline int64_t acc_step(int64_t acc, bool first, int d, int shift, int acc_bits)
{
    const int64_t base = first ? 0 : acc;
    return sext((int64_t)((uint64_t)base + ((uint64_t)(int64_t)d << shift)), acc_bits);
}

// ---- threshold unit ----

// The largest and smallest values of a signed `bits`-bit register.
inline int64_t smax(int bits) { return (int64_t)(((uint64_t)1 << (bits - 1)) - 1); }
inline int64_t smin(int bits) { return -smax(bits) - 1; }

inline int64_t sat(int64_t v, int bits)
{
    const int64_t hi = smax(bits), lo = smin(bits);
    return v < lo ? lo : v > hi ? hi : v;
}

// A threshold as stored in the acc_bits parameter registers: saturated to
// the accumulator's range (docs/accelerator.md: no comparison changes, since
// every compared value lies strictly inside it).
inline int64_t thr_store(int64_t t, int acc_bits) { return sat(t, acc_bits); }

// The comparator bank: code = number of thresholds t[j] <= v (n comparators).
inline int thr_code(const int64_t *t, int n, int64_t v)
{
    int code = 0;
    for (int j = 0; j < n; j++)
        code += t[j] <= v;
    return code;
}

// ---- merge unit ----

enum class merge_kind { NONE = 0, ADD = 1, OR = 2, MUX = 3 };
enum class mux_variant { OR = 0, SEL = 1 };  // as nn/layers.h's enum nn_mux_variant

// OR / MUX on a binary code (add layers merge before the thresholds).
inline int merge_code(merge_kind k, mux_variant v, bool sel, int code, int skip)
{
    switch (k) {
    case merge_kind::OR:
        return code | skip;
    case merge_kind::MUX:
        if (!sel)
            return code;
        return v == mux_variant::SEL ? skip : (code | skip);
    default:
        return code;
    }
}

// floor(v / 2^s) for either sign (an arithmetic right shift).
inline int64_t floor_shift(int64_t v, int s)
{
    return v >= 0 ? v >> s : -((-(v + 1)) >> s) - 1;
}

// RQ stage: Y = sat_R(floor((mul * acc + add) / 2^shift)). The .qnn reader
// guarantees mul * acc + add fits int64 for every accumulator value.
inline int64_t requantize(int64_t acc, int64_t mul, int64_t add, int shift, int res_bits)
{
    return sat(floor_shift(mul * acc + add, shift), res_bits);
}

// RQ stage of the shift requantizer ([merge] requant = shift):
// Y = sat_R(floor((((acc << ls) XOR neg) + neg + off) / 2^rs)), the negation
// as the hardware does it (invert, carry in 1); equal to requantize() for
// the constants nn_qnn_rq_shift_form derives from +-2^e multipliers.
inline int64_t requantize_shift(int64_t acc, bool neg, int ls, int rs, int64_t off, int res_bits)
{
    const int64_t t = (int64_t)((uint64_t)acc << ls);
    const int64_t x = neg ? ~t : t;
    return sat(floor_shift(x + (neg ? 1 : 0) + off, rs), res_bits);
}

// ADD stage: u = sat_R(Y + skip).
inline int64_t stream_add(int64_t y, int64_t skip, int res_bits)
{
    return sat(y + skip, res_bits);
}

// ---- pooling unit: running maximum of codes over a window ----

inline int pool_step(int running, bool first, int code)
{
    return first || code > running ? code : running;
}

// ---- score unit ----

// MUL and ADD stages: score = mul * acc + add (int64, as nn/infer.c).
inline int64_t score_value(int64_t acc, int64_t mul, int64_t add) { return mul * acc + add; }

// ARGMAX stage: the first class of the largest score wins.
struct argmax_reg {
    int64_t best;
    int cls;
};

inline argmax_reg argmax_step(argmax_reg r, int c, int64_t score)
{
    if (c == 0 || score > r.best)
        return {score, c};
    return r;
}

// ---- buffers ----

// A bit-addressed SRAM model holding bit-planes, with access counters. Words
// are fetched by the fetch unit's address generator as runs of bits; one
// access is counted per word the hardware reads, not per run.
class bit_buffer {
public:
    void resize(size_t bits) { mem_.assign(bits / 64 + 2, 0); }
    size_t bits() const { return (mem_.size() - 2) * 64; }

    // n (1..64) bits starting at bit address a, in the low bits.
    uint64_t get(size_t a, int n) const
    {
        const size_t i = a >> 6;
        const int sh = (int)(a & 63);
        uint64_t v = mem_[i] >> sh;
        if (sh + n > 64)
            v |= mem_[i + 1] << (64 - sh);
        return n == 64 ? v : v & ((uint64_t(1) << n) - 1);
    }
    int bit(size_t a) const { return (int)(mem_[a >> 6] >> (a & 63)) & 1; }
    void set_bit(size_t a, int b)
    {
        const uint64_t m = uint64_t(1) << (a & 63);
        mem_[a >> 6] = b ? (mem_[a >> 6] | m) : (mem_[a >> 6] & ~m);
    }
    // Writes the low n (1..64) bits of v at bit address a.
    void put(size_t a, int n, uint64_t v)
    {
        const size_t i = a >> 6;
        const int sh = (int)(a & 63);
        const uint64_t m = n == 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
        v &= m;
        mem_[i] = (mem_[i] & ~(m << sh)) | v << sh;
        if (sh + n > 64) {
            const int done = 64 - sh;
            mem_[i + 1] = (mem_[i + 1] & ~(m >> done)) | v >> done;
        }
    }
    void clear() { std::fill(mem_.begin(), mem_.end(), 0); }

private:
    std::vector<uint64_t> mem_;
};

// Access counters of one buffer.
struct access_count {
    long long reads = 0, writes = 0;
};

}  // namespace lsim

#endif

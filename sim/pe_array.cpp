// sim/pe_array.cpp: the PE array's POP and ACC stages (pe_array.h).
#include "sim/pe_array.h"

namespace lsim {

void pe_array::configure(const program &p)
{
    const cm_hw &hw = p.hw;
    R_ = hw.pe_rows;
    W_ = (hw.lanes + 63) / 64;
    A_ = hw.acc_bits;
    pop_bits_ = cm_bits_for(hw.lanes);
    E_ = p.n_exp;
    xb_ = p.exp_bits;
    xnor_ = hw.pe == CM_PE_XNOR;
    cnt_ = 0;
    const size_t R = (size_t)R_, W = (size_t)W_, E = (size_t)E_;
    lpos_.assign(R * E * W, 0);
    lneg_.assign(R * E * W, 0);
    pos_.assign(R * E, 0);
    neg_.assign(R * E, 0);
    sum_p_.assign(R, 0);
    sum_n_.assign(R, 0);
    d_.assign(R, 0);
    sh_.assign(R, 0);
    acc_.assign(R, 0);
    pop_ctl_ = done_ctl_ = issue_ctl{};
    tog.clear();
}

// ---- POP: lane logic and the two popcount trees of every PE ----

// POP over R PEs of one 64-lane word each: the lane buses, the popcount
// registers and their toggles. A loop over the PEs that vectorizes (its
// arrays are distinct: restrict holds only on a function's parameters).
__attribute__((noinline)) static void
pop_one_word(int R, uint64_t g, uint64_t f, const uint64_t *__restrict ws,
             const uint64_t *__restrict wm, uint64_t *__restrict lp, uint64_t *__restrict ln,
             uint64_t *__restrict pos, uint64_t *__restrict neg, uint64_t *t_lane, uint64_t *t_pop)
{
    uint64_t tl = 0, tp = 0;
    for (int r = 0; r < R; r++) {
        const uint64_t a = lane_pos(g, f, ws[r], wm[r]), b = lane_neg(g, f, ws[r], wm[r]);
        const uint64_t pa = (uint64_t)__builtin_popcountll(a);
        const uint64_t pb = (uint64_t)__builtin_popcountll(b);
        tl += (uint64_t)__builtin_popcountll(a ^ lp[r]) + (uint64_t)__builtin_popcountll(b ^ ln[r]);
        tp += (uint64_t)__builtin_popcountll((pa ^ pos[r]) | (pb ^ neg[r]) << 32);
        lp[r] = a;
        ln[r] = b;
        pos[r] = pa;
        neg[r] = pb;
    }
    *t_lane += tl;
    *t_pop += tp;
}

// WORDS: the 64-lane words of a lanes-bit word when known at compile time
// (1: lanes <= 64, the common case, written so that it vectorizes), else 0.
template <int WORDS> void pe_array::pop(const fetch_unit &fetch)
{
    const int W = WORDS ? WORDS : W_, R = R_;
    const uint64_t *__restrict ws = fetch.wsign(), *__restrict wm = fetch.wmag();
    const uint64_t *__restrict g = fetch.g(), *__restrict f = fetch.f();
    uint64_t *__restrict lp = lpos_.data(), *__restrict ln = lneg_.data();
    uint64_t *__restrict pos = pos_.data(), *__restrict neg = neg_.data();
    uint64_t t_lane = 0, t_pop = 0;
    if (WORDS == 1) {
        pop_one_word(R, g[0], f[0], ws, wm, lp, ln, pos, neg, &t_lane, &t_pop);
    } else {
        for (int r = 0; r < R; r++) {
            uint64_t pa = 0, pb = 0;
            for (int w = 0; w < W; w++) {
                const size_t i = (size_t)r * W + w;
                const lane_bits lb = lane_logic(g[w], f[w], ws[i], wm[i]);
                const uint64_t a = lb.pos, b = lb.neg;
                t_lane += popc(a ^ lp[i]) + popc(b ^ ln[i]);
                lp[i] = a;
                ln[i] = b;
                pa += popc(a);
                pb += popc(b);
            }
            t_pop += popc((pa ^ pos[r]) | (pb ^ neg[r]) << 32);
            pos[r] = pa;
            neg[r] = pb;
        }
    }
    tog.add(CM_U_ARRAY, t_lane);
    tog.add(CM_U_POPCOUNT, t_pop);  // the trees' outputs ...
    tog.add(CM_U_PIPEREG, t_pop);   // ... latched into the POP registers
}

// The shift PE's POP: per lane the bit-plane lane logic on the sign (the
// magnitude bit taken as 1), the code decoder's one-hot d_e = (k == e + 1)
// (k's bit 0 in the weight register's magnitude word, its bits 1.. in the
// exponent field), and pos_e = pos AND d_e, neg_e = neg AND d_e into the E
// tree pairs (their buses and popcount registers).
// pop_shift for lanes <= 64 (one word) and E exponents known at compile
// time (unrolled; the common case).
template <int E>
__attribute__((noinline)) static void
pop_shift_one_word(int R, uint64_t g, uint64_t f, const uint64_t *__restrict ws,
                   const uint64_t *__restrict wm, const uint64_t *__restrict wx,
                   uint64_t *__restrict lp, uint64_t *__restrict ln, uint64_t *__restrict pos,
                   uint64_t *__restrict neg, uint64_t *t_lane, uint64_t *t_pop)
{
    constexpr int xb = E <= 3 ? 1 : 2;  // bits(E) - 1
    uint64_t tl = 0, tp = 0;
    for (int r = 0; r < R; r++) {
        const lane_bits lb = lane_logic(g, f, ws[r], ~uint64_t(0));
        uint64_t x[xb];
        for (int k = 0; k < xb; k++)
            x[k] = wx[(size_t)k * R + r];
        for (int e = 0; e < E; e++) {
            const uint64_t d = code_decode(wm[r], x, xb, e);
            const uint64_t a = lb.pos & d, b = lb.neg & d;
            const size_t o = (size_t)r * E + e;
            const uint64_t pa = (uint64_t)__builtin_popcountll(a);
            const uint64_t pb = (uint64_t)__builtin_popcountll(b);
            tl += (uint64_t)__builtin_popcountll(a ^ lp[o]) +
                  (uint64_t)__builtin_popcountll(b ^ ln[o]);
            tp += (uint64_t)__builtin_popcountll((pa ^ pos[o]) | (pb ^ neg[o]) << 32);
            lp[o] = a;
            ln[o] = b;
            pos[o] = pa;
            neg[o] = pb;
        }
    }
    *t_lane += tl;
    *t_pop += tp;
}

void pe_array::pop_shift(const fetch_unit &fetch)
{
    if (W_ == 1) {
        uint64_t t_lane = 0, t_pop = 0;
        auto *run = &pop_shift_one_word<2>;
        switch (E_) {
        case 2: run = &pop_shift_one_word<2>; break;
        case 3: run = &pop_shift_one_word<3>; break;
        case 4: run = &pop_shift_one_word<4>; break;
        case 5: run = &pop_shift_one_word<5>; break;
        case 6: run = &pop_shift_one_word<6>; break;
        default: run = &pop_shift_one_word<7>; break;
        }
        run(R_, fetch.g()[0], fetch.f()[0], fetch.wsign(), fetch.wmag(), fetch.wexp(),
            lpos_.data(), lneg_.data(), pos_.data(), neg_.data(), &t_lane, &t_pop);
        tog.add(CM_U_ARRAY, t_lane);
        tog.add(CM_U_POPCOUNT, t_pop);
        tog.add(CM_U_PIPEREG, t_pop);
        return;
    }
    const int W = W_, R = R_, E = E_, xb = xb_;
    const uint64_t *__restrict ws = fetch.wsign(), *__restrict wm = fetch.wmag();
    const uint64_t *__restrict wx = fetch.wexp();
    const uint64_t *__restrict g = fetch.g(), *__restrict f = fetch.f();
    uint64_t *__restrict lp = lpos_.data(), *__restrict ln = lneg_.data();
    uint64_t *__restrict pos = pos_.data(), *__restrict neg = neg_.data();
    uint64_t t_lane = 0, t_pop = 0;
    for (int r = 0; r < R; r++) {
        uint64_t pa[8] = {0}, pb[8] = {0};
        for (int w = 0; w < W; w++) {
            const size_t i = (size_t)r * W + w;
            const lane_bits lb = lane_logic(g[w], f[w], ws[i], ~uint64_t(0));
            uint64_t x[3];  // the exponent field's planes of this word
            for (int k = 0; k < xb; k++)
                x[k] = wx[((size_t)k * R + r) * W + w];
            for (int e = 0; e < E; e++) {
                const uint64_t d = code_decode(wm[i], x, xb, e);
                const uint64_t a = lb.pos & d, b = lb.neg & d;
                const size_t o = ((size_t)r * E + e) * W + w;
                t_lane += popc(a ^ lp[o]) + popc(b ^ ln[o]);
                lp[o] = a;
                ln[o] = b;
                pa[e] += popc(a);
                pb[e] += popc(b);
            }
        }
        for (int e = 0; e < E; e++) {
            const size_t o = (size_t)r * E + e;
            t_pop += popc(pa[e] ^ pos[o]) + popc(pb[e] ^ neg[o]);
            pos[o] = pa[e];
            neg[o] = pb[e];
        }
    }
    tog.add(CM_U_ARRAY, t_lane);
    tog.add(CM_U_POPCOUNT, t_pop);
    tog.add(CM_U_PIPEREG, t_pop);
}

// The XNOR PE's POP: each PE's product bits t = g AND NOT (s XOR f) (the
// lane bus) and their count (its POP register), and the shared count of the
// gate bits (the array's one more tree and register).
void pe_array::pop_xnor(const fetch_unit &fetch)
{
    const int W = W_, R = R_;
    const uint64_t *__restrict ws = fetch.wsign();
    const uint64_t *__restrict g = fetch.g(), *__restrict f = fetch.f();
    uint64_t *__restrict lp = lpos_.data(), *__restrict pos = pos_.data();
    uint64_t t_lane = 0, t_pop = 0, cnt = 0;
    for (int w = 0; w < W; w++)
        cnt += popc(g[w]);
    for (int r = 0; r < R; r++) {
        uint64_t pa = 0;
        for (int w = 0; w < W; w++) {
            const size_t i = (size_t)r * W + w;
            const uint64_t t = g[w] & ~(ws[i] ^ f[w]);
            t_lane += popc(t ^ lp[i]);
            lp[i] = t;
            pa += popc(t);
        }
        t_pop += popc(pa ^ pos[r]);
        pos[r] = pa;
    }
    t_pop += popc(cnt ^ cnt_);
    cnt_ = cnt;
    tog.add(CM_U_ARRAY, t_lane);
    tog.add(CM_U_POPCOUNT, t_pop);
    tog.add(CM_U_PIPEREG, t_pop);
}

void pe_array::step_pop(const fetch_unit &fetch)
{
    if (!advance(pop_ctl_, fetch.ctl(), tog))
        return;
    if (xnor_)
        pop_xnor(fetch);
    else if (E_ > 1)
        pop_shift(fetch);
    else if (W_ == 1)
        pop<1>(fetch);
    else
        pop<0>(fetch);
}

// ---- ACC: subtract, shift, accumulate ----

// ACC over R PEs; returns the toggles (a loop that vectorizes, as
// pop_one_word). pos and neg are pop_bits wide, d = pos - neg one more.
__attribute__((noinline)) static uint64_t
acc_all(int R, bool first, int shift, int A, int pop_bits, const uint64_t *__restrict pos,
        const uint64_t *__restrict neg, int64_t *__restrict dd, int64_t *__restrict sh,
        int64_t *__restrict acc)
{
    const int up = 64 - A;
    const uint64_t amask = low_mask(A), dmask = low_mask(pop_bits + 1);
    uint64_t t = 0;
    for (int r = 0; r < R; r++) {
        const int64_t d = (int64_t)(pos[r] - neg[r]);
        const int64_t s = (int64_t)(((uint64_t)d << shift) << up) >> up;
        const int64_t a = acc_step(acc[r], first, (int)d, shift, A);
        t += (uint64_t)__builtin_popcountll((uint64_t)(d ^ dd[r]) & dmask) +
             (uint64_t)__builtin_popcountll((uint64_t)(s ^ sh[r]) & amask) +
             (uint64_t)__builtin_popcountll((uint64_t)(a ^ acc[r]) & amask);
        dd[r] = d;
        sh[r] = s;
        acc[r] = a;
    }
    return t;
}

// acc = (first ? 0 : acc) + (d << shift) in acc_bits (units.h's acc_step),
// with the subtractor's output d and the shifter's output (d << shift in
// acc_bits) as buses.
void pe_array::step_acc()
{
    const issue_ctl &c = pop_ctl_;
    if (!c.valid) {
        done_ctl_.valid = false;
        return;
    }
    if (xnor_) {  // d = 2 pos - cnt: the subtractor's operands
        for (int r = 0; r < R_; r++) {
            sum_p_[r] = pos_[(size_t)r] << 1;
            sum_n_[r] = cnt_;
        }
        tog.add(CM_U_ACCUM, acc_all(R_, c.first, c.shift, A_, pop_bits_, sum_p_.data(),
                                    sum_n_.data(), d_.data(), sh_.data(), acc_.data()));
    } else if (E_ == 1) {
        tog.add(CM_U_ACCUM, acc_all(R_, c.first, c.shift, A_, pop_bits_, pos_.data(),
                                    neg_.data(), d_.data(), sh_.data(), acc_.data()));
    } else {  // the shift-add: P = sum pos_e << e, N = sum neg_e << e
        for (int r = 0; r < R_; r++) {
            sum_p_[r] = shift_add(pos_.data() + (size_t)r * E_, E_);
            sum_n_[r] = shift_add(neg_.data() + (size_t)r * E_, E_);
        }
        tog.add(CM_U_ACCUM, acc_all(R_, c.first, c.shift, A_, pop_bits_ + E_ - 1, sum_p_.data(),
                                    sum_n_.data(), d_.data(), sh_.data(), acc_.data()));
    }
    tog.add(CM_U_PIPEREG, done_ctl_.bits, c.bits);
    done_ctl_ = c;
    done_ctl_.valid = c.last;
}

void pe_array::trace(sc_core::sc_trace_file *tf) const
{
    using sc_core::sc_trace;
    sc_trace(tf, pop_ctl_.valid, "accel.pe0.pop_valid");
    sc_trace(tf, pos_[0], "accel.pe0.pos", pop_bits_);
    sc_trace(tf, neg_[0], "accel.pe0.neg", pop_bits_);
    sc_trace(tf, acc_[0], "accel.pe0.acc", A_);
    sc_trace(tf, done_ctl_.valid, "accel.pe0.acc_done");
}

}  // namespace lsim

// sim/accel.cpp: the clocked model's cycle (accel.h). Stages run last to
// first so that each reads what its predecessor latched on the previous edge.
// A stage whose input register is not valid latches nothing: its registers
// hold, and so do the buses they drive (no toggles).
#include "sim/accel.h"

namespace lsim {

using sc_core::sc_time;

static inline unsigned popc(uint64_t v) { return (unsigned)__builtin_popcountll(v); }

static inline uint64_t low_mask(int bits)
{
    return bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
}

void accel::configure(const program *p, const sc_time &period)
{
    prog_ = p;
    period_ = period;
    const cm_hw &hw = p->hw;
    R_ = hw.pe_rows;
    W_ = (hw.lanes + 63) / 64;
    A_ = hw.acc_bits;
    acc_mask_ = low_mask(A_);
    pop_bits_ = cm_bits_for(hw.lanes);
    n_thr_hw_ = (1 << hw.max_act_bits) - 1;
    const size_t R = (size_t)R_, W = (size_t)W_;
    x_.assign(W, 0);
    lane_mask_.assign(W, ~uint64_t(0));
    if (hw.lanes % 64)
        lane_mask_[W - 1] = low_mask(hw.lanes % 64);
    g_.assign(W, 0);
    f_.assign(W, 0);
    valid_.assign(W, 0);
    wzero_.assign(2 * R * W, 0);
    wsign_ = wzero_.data();
    wmag_ = wzero_.data() + R * W;
    lpos_.assign(R * W, 0);
    lneg_.assign(R * W, 0);
    pos_.assign(R, 0);
    neg_.assign(R, 0);
    d_.assign(R, 0);
    sh_.assign(R, 0);
    acc_.assign(R, 0);
    y_.assign(R, 0);
    skipv_.assign(R, 0);
    u_.assign(R, 0);
    thr_reg_.assign(R * (size_t)n_thr_hw_, 0);
    rq_reg_.assign(R * 3, 0);
    sel_reg_.assign(R, 0);
    cmp_.assign(R, 0);
    code_pre_.assign(R, 0);
    skipbit_.assign(R, 0);
    code_.assign(R, 0);
    thr_u_.assign(R, 0);
    pool_.assign(R, 0);
    bank_[0].resize(p->bank_bits);
    bank_[1].resize(p->bank_bits);
    skip_.assign(p->skip_values, 0);
    score_reg_.assign((size_t)p->n_class, 0);
    skip_word_bits_ = hw.merge == CM_MERGE_ADD ? hw.res_bits : 1;
    fetch_ctl_ = pop_ctl_ = done_ctl_ = rq_ctl_ = add_ctl_ = thr_ctl_ = issue_ctl{};
    mul_ = sadd_ = score_stage{};
    argmax_ = argmax_reg{0, 0};
    valid_bits_ = 0;
    cycle_ = 0;
    t_ = q_ = j_ = b_ = p_ = 0;
    layer_ = 0;

    const size_t n = (size_t)p->n_layers;
    layer_cycles.assign(n, 0);
    for (int b = 0; b < CM_N_BUFS; b++) {
        layer_reads[b].assign(n, 0);
        layer_writes[b].assign(n, 0);
        layer_read_bits[b].assign(n, 0);
        layer_write_bits[b].assign(n, 0);
        reads_[b] = writes_[b] = read_bits_[b] = write_bits_[b] = 0;
    }
    for (int u = 0; u < CM_N_UNITS; u++) {
        layer_toggles[u].assign(n, 0);
        tog_[u] = 0;
    }

    // The widths whose toggles are counted, per unit kind (design-wide).
    int max_t = 1, max_p = 1, max_q = 1, has_res = 0;
    for (const layer_prog &l : p->layers) {
        max_t = std::max(max_t, l.T);
        max_p = std::max(max_p, l.P);
        max_q = std::max(max_q, l.Q);
        has_res |= l.kind == layer_kind::RES;
    }
    const double Rd = R_, lanes = hw.lanes, M = hw.max_act_bits, Q = hw.rq_mul_bits;
    const double ctl_bits = CTL_T + cm_bits_for(max_t) + cm_bits_for(max_p);
    toggle_bits[CM_U_ARRAY] = 2 * lanes + 2 * Rd * lanes;
    toggle_bits[CM_U_POPCOUNT] = 2 * Rd * pop_bits_;
    toggle_bits[CM_U_ACCUM] = Rd * (pop_bits_ + 1 + 2 * A_);
    toggle_bits[CM_U_THRESH] = Rd * (2.0 * n_thr_hw_ * A_ + n_thr_hw_ + M);
    switch (hw.merge) {
    case CM_MERGE_OR: toggle_bits[CM_U_MERGE] = Rd * 2; break;
    case CM_MERGE_MUX: toggle_bits[CM_U_MERGE] = Rd * 4; break;
    case CM_MERGE_ADD: toggle_bits[CM_U_MERGE] = Rd * (3.0 * hw.res_bits + 2 * (2 * Q + A_)); break;
    default: toggle_bits[CM_U_MERGE] = 0; break;
    }
    toggle_bits[CM_U_POOL] = Rd * M;
    toggle_bits[CM_U_SCORE] =
        (double)p->n_class * A_ + 3.0 * std::min(64, (int)Q + A_ + 1) + cm_bits_for(p->n_class);
    toggle_bits[CM_U_PIPEREG] =
        lanes + 2 * Rd * lanes + 2 * Rd * pop_bits_ + Rd * M + ctl_bits * (has_res ? 6 : 4);
    toggle_bits[CM_U_CONTROL] = 4 + 3 + cm_bits_for(max_q) + cm_bits_for(max_p) +
                                cm_bits_for(max_t) + cm_bits_for(p->n_layers) + 9;

    has_mismatch = false;
    first_mismatch = sim_mismatch{};
    phase_ = phase::IDLE;
    start_ = false;
    issuing_ = false;
    walking_ = false;
}

void accel::start_image(const uint8_t *pixels, const reference &ref, long long image)
{
    const map_layout &in = prog_->layers[0].in;
    bit_buffer &bank = bank_[0];
    size_t i = 0;
    for (int y = 0; y < in.h; y++)
        for (int x = 0; x < in.w; x++)
            for (int c = 0; c < in.c; c++, i++)
                for (int b = 0; b < in.planes; b++)
                    bank.set_bit(in.addr(b, y, x, c), (pixels[i] >> b) & 1);
    ref_ = ref;
    image_ = image;
    image_ok_ = true;
    image_cycles_ = 0;
    time_cycles_ = 0;
    start_ = true;
}

void accel::trace(sc_core::sc_trace_file *tf)
{
    using sc_core::sc_trace;
    const int lanes = prog_->hw.lanes < 64 ? prog_->hw.lanes : 64;
    sc_trace(tf, cycle_, "accel.control.cycle", 32);
    sc_trace(tf, layer_, "accel.control.layer", 8);
    sc_trace(tf, t_, "accel.control.tile", 16);
    sc_trace(tf, p_, "accel.control.position", 24);
    sc_trace(tf, q_, "accel.control.chunk", 16);
    sc_trace(tf, j_, "accel.control.wpass", 4);
    sc_trace(tf, b_, "accel.control.aplane", 4);
    sc_trace(tf, fetch_ctl_.valid, "accel.fetch.valid");
    sc_trace(tf, x_[0], "accel.fetch.act_word", lanes);
    sc_trace(tf, g_[0], "accel.fetch.gate", lanes);
    sc_trace(tf, pop_ctl_.valid, "accel.pe0.pop_valid");
    sc_trace(tf, pos_[0], "accel.pe0.pos", pop_bits_);
    sc_trace(tf, neg_[0], "accel.pe0.neg", pop_bits_);
    sc_trace(tf, acc_[0], "accel.pe0.acc", A_);
    sc_trace(tf, done_ctl_.valid, "accel.pe0.acc_done");
    sc_trace(tf, code_[0], "accel.pe0.code", 8);
    sc_trace(tf, pool_[0], "accel.pe0.pool", 8);
    sc_trace(tf, mul_.v, "accel.score.mul", 64);
    sc_trace(tf, sadd_.v, "accel.score.sum", 64);
    sc_trace(tf, argmax_.best, "accel.score.best", 64);
    sc_trace(tf, argmax_.cls, "accel.score.class", 8);
}

// ---- bookkeeping ----

void accel::mismatch(sim_mismatch_kind kind, int channel, int y, int x, long long got,
                     long long want)
{
    image_ok_ = false;
    if (has_mismatch)
        return;
    has_mismatch = true;
    first_mismatch.kind = kind;
    first_mismatch.image = image_;
    first_mismatch.layer = layer_ + 1;
    first_mismatch.channel = channel;
    first_mismatch.y = y;
    first_mismatch.x = x;
    first_mismatch.sim_value = got;
    first_mismatch.ref_value = want;
}

bool accel::pipeline_empty() const
{
    return !fetch_ctl_.valid && !pop_ctl_.valid && !done_ctl_.valid && !rq_ctl_.valid &&
           !add_ctl_.valid && !thr_ctl_.valid && !walking_ && !mul_.valid && !sadd_.valid;
}

// The controller's valid bits, one per stage register: their toggles.
void accel::count_valid_bits()
{
    const uint64_t v = (uint64_t)fetch_ctl_.valid | (uint64_t)pop_ctl_.valid << 1 |
                       (uint64_t)done_ctl_.valid << 2 | (uint64_t)rq_ctl_.valid << 3 |
                       (uint64_t)add_ctl_.valid << 4 | (uint64_t)thr_ctl_.valid << 5 |
                       (uint64_t)walking_ << 6 | (uint64_t)mul_.valid << 7 |
                       (uint64_t)sadd_.valid << 8;
    tog_[CM_U_CONTROL] += popc(v ^ valid_bits_);
    valid_bits_ = v;
}

// ---- controller ----

void accel::config_layer()
{
    L_ = &prog_->layers[layer_];
    const uint64_t before = (uint64_t)b_ | (uint64_t)j_ << CNT_J | (uint64_t)q_ << CNT_Q |
                            (uint64_t)p_ << CNT_P | (uint64_t)t_ << CNT_T;
    tog_[CM_U_CONTROL] += popc(before);  // the loop counters clear
    t_ = q_ = j_ = b_ = p_ = 0;
    issuing_ = true;
    in_bank_ = layer_ & 1;
    win_base_ = L_->win[0];
    fetch_ctl_.valid = pop_ctl_.valid = done_ctl_.valid = false;
    rq_ctl_.valid = add_ctl_.valid = thr_ctl_.valid = false;
    walking_ = false;
    walk_c_ = 0;
    mul_.valid = sadd_.valid = false;
}

void accel::end_layer()
{
    const size_t l = (size_t)layer_;
    layer_cycles[l] += layer_cyc_;
    image_cycles_ += layer_cyc_;
    for (int b = 0; b < CM_N_BUFS; b++) {
        layer_reads[b][l] += reads_[b];
        layer_writes[b][l] += writes_[b];
        layer_read_bits[b][l] += read_bits_[b];
        layer_write_bits[b][l] += write_bits_[b];
        reads_[b] = writes_[b] = read_bits_[b] = write_bits_[b] = 0;
    }
    for (int u = 0; u < CM_N_UNITS; u++) {
        layer_toggles[u][l] += tog_[u];
        tog_[u] = 0;
    }
    const int next = layer_ + 1 < prog_->n_layers ? layer_ + 1 : 0;
    tog_[CM_U_CONTROL] += popc((uint64_t)layer_ ^ (uint64_t)next);  // the layer counter
    if (next != 0) {
        layer_ = next;
        phase_ = phase::CONFIG;
        return;
    }
    layer_ = 0;
    // the cycles the clock counted: from layer 1's CONFIG edge to this edge
    time_cycles_ = (long long)((sc_core::sc_time_stamp() - t0_) / period_ + 0.5) + 1;
    phase_ = phase::IDLE;
    sc_core::sc_pause();
}

void accel::step()
{
    next_trigger(period_);  // the next rising edge
    cycle_++;
    if (phase_ == phase::IDLE) {
        if (!start_)
            return;
        start_ = false;
        layer_ = 0;
        t0_ = sc_core::sc_time_stamp();
        phase_ = phase::CONFIG;
    }
    if (phase_ == phase::CONFIG) {
        config_layer();
        layer_cyc_ = 1;
        phase_ = phase::RUN;
        count_valid_bits();
        return;
    }
    layer_cyc_++;
    switch (L_->kind) {
    case layer_kind::PLAIN:
        stage_pool();
        stage_thr();
        break;
    case layer_kind::RES:
        stage_pool();
        stage_thr();
        stage_add();
        stage_rq();
        break;
    case layer_kind::SCORES:
        stage_argmax();
        stage_sadd();
        stage_mul();
        stage_write();
        break;
    }
    stage_acc();
    if (W_ == 1)
        stage_pop<1>();
    else
        stage_pop<0>();
    stage_fetch();
    count_valid_bits();
    if (!issuing_ && pipeline_empty())
        end_layer();
}

// ---- FETCH: one issue a cycle, in the loop nest order ----

// The tile's parameters into the double-buffered parameter registers (a
// shadow set loaded now, copied into the active set when the tile's first
// output reaches them: each changed bit toggles twice).
void accel::load_params(int t)
{
    const layer_prog &L = *L_;
    const nn_qnn_layer &l = *L.q;
    const cm_hw &hw = prog_->hw;
    const int M = hw.rq_mul_bits;
    count_read(CM_BUF_WEIGHT, L.kind == layer_kind::SCORES ? (long long)R_ * (2 * M + A_)
                                                           : (long long)R_ * L.n_thr * A_);
    if (L.res)
        count_read(CM_BUF_SKIP, (long long)R_ * (2 * M + A_));
    else if (L.merge == merge_kind::MUX)
        count_read(CM_BUF_SKIP, R_);
    if (L.kind == layer_kind::SCORES)
        return;
    const int c0 = t * R_, n = std::min(R_, l.out_c - c0);
    unsigned long long thr_t = 0, mrg_t = 0;
    for (int r = 0; r < n; r++) {
        int64_t *reg = thr_reg_.data() + (size_t)r * n_thr_hw_;
        const int64_t *src = L.thr.data() + (size_t)(c0 + r) * L.n_thr;
        for (int k = 0; k < L.n_thr; k++) {
            thr_t += 2 * popc((uint64_t)(reg[k] ^ src[k]) & acc_mask_);
            reg[k] = src[k];
        }
        if (L.res) {
            const int64_t v[3] = {l.rq_mul[c0 + r], l.rq_add[c0 + r], L.rq_shift};
            const uint64_t mk[3] = {low_mask(M), low_mask(M + A_), low_mask(M)};
            for (int k = 0; k < 3; k++) {
                mrg_t += 2 * popc((uint64_t)(rq_reg_[(size_t)r * 3 + k] ^ v[k]) & mk[k]);
                rq_reg_[(size_t)r * 3 + k] = v[k];
            }
        } else if (L.merge == merge_kind::MUX) {
            const uint8_t s = l.mux_sel && l.mux_sel[c0 + r] != 0;
            mrg_t += 2 * (unsigned)(s ^ sel_reg_[r]);
            sel_reg_[r] = s;
        }
    }
    tog_[CM_U_THRESH] += thr_t;
    tog_[CM_U_MERGE] += mrg_t;
}

// A stage's control register takes its predecessor's (the toggles counted on
// the pipeline registers); false, with the stage idle, when that is a bubble.
bool accel::advance(issue_ctl &dst, const issue_ctl &src)
{
    if (!src.valid) {
        dst.valid = false;
        return false;
    }
    tog_[CM_U_PIPEREG] += popc(dst.bits ^ src.bits);
    dst = src;
    return true;
}

void accel::stage_fetch()
{
    if (!issuing_) {
        fetch_ctl_.valid = false;
        return;
    }
    const layer_prog &L = *L_;
    const int W = W_;
    if (p_ == 0 && q_ == 0 && j_ == 0 && b_ == 0)
        load_params(t_);
    const chunk_seg *seg = L.segs.data() + L.seg_begin[q_];
    const chunk_seg *seg_end = L.segs.data() + L.seg_begin[q_ + 1];
    if (b_ == 0) {
        if (j_ == 0) {  // the chunk's valid bits (address generator)
            const uint64_t *v = L.valid_words.data() + ((size_t)p_ * L.Q + q_) * W;
            for (int w = 0; w < W; w++)
                valid_[w] = v[w];
        }
        // the weight register: each PE's sign and magnitude words of pass j
        const size_t RW = (size_t)R_ * W;
        const uint64_t *ns = L.wsign.data() + ((size_t)t_ * L.Q + q_) * RW;
        const uint64_t *nm = L.wmag.data() + (((size_t)t_ * L.Q + q_) * L.Bw + j_) * RW;
        unsigned long long t = 0;
        for (size_t i = 0; i < RW; i++)
            t += popc(wsign_[i] ^ ns[i]) + popc(wmag_[i] ^ nm[i]);
        tog_[CM_U_PIPEREG] += t;
        wsign_ = ns;
        wmag_ = nm;
        count_read(CM_BUF_WEIGHT,
                   (long long)R_ * prog_->hw.lanes * (L.q->w_code == NN_WCODE_BINARY ? 1 : 2));
    }
    // the activation word register, and the gating buses g and f
    const bit_buffer &bank = bank_[in_bank_];
    const size_t plane = (size_t)b_ * L.in.plane_bits + win_base_;
    unsigned long long tx = 0, tgf = 0;
    for (int w = 0; w < W; w++) {
        uint64_t x = 0;
        if (W > 1)
            for (const chunk_seg *s = seg; s < seg_end; s++)
                if ((s->lane >> 6) == w)
                    x |= bank.get(plane + s->ky * L.row_stride + s->off, s->len) << (s->lane & 63);
        if (W == 1)
            for (const chunk_seg *s = seg; s < seg_end; s++)
                x |= bank.get(plane + s->ky * L.row_stride + s->off, s->len) << s->lane;
        // x = 0 at padding and unused lanes (docs/accelerator.md); a sign
        // plane's flip bits are NOT x over the lanes that exist
        x &= valid_[w];
        gate_flip gf = fetch_gate(L.in_kind, x, valid_[w]);
        gf.f &= lane_mask_[w];
        tx += popc(x ^ x_[w]);
        tgf += popc(gf.g ^ g_[w]) + popc(gf.f ^ f_[w]);
        x_[w] = x;
        g_[w] = gf.g;
        f_[w] = gf.f;
    }
    tog_[CM_U_PIPEREG] += tx;
    tog_[CM_U_ARRAY] += tgf;
    count_read(CM_BUF_ACT, prog_->hw.lanes);

    // the issue's control bits into the FETCH register
    issue_ctl c;
    c.valid = true;
    c.first = q_ == 0 && j_ == 0 && b_ == 0;
    c.last = q_ == L.Q - 1 && j_ == L.Bw - 1 && b_ == L.Ba - 1;
    c.shift = b_ + j_;
    c.t = t_;
    c.p = p_;
    c.bits = (uint64_t)c.shift | (uint64_t)c.first << CTL_FIRST | (uint64_t)c.last << CTL_LAST |
             (uint64_t)c.t << CTL_T | (uint64_t)c.p << CTL_P;
    tog_[CM_U_PIPEREG] += popc(fetch_ctl_.bits ^ c.bits);
    fetch_ctl_ = c;

    // advance the counters: b, j, q, p, t (innermost first)
    const uint64_t before = (uint64_t)b_ | (uint64_t)j_ << CNT_J | (uint64_t)q_ << CNT_Q |
                            (uint64_t)p_ << CNT_P | (uint64_t)t_ << CNT_T;
    if (++b_ == L.Ba) {
        b_ = 0;
        if (++j_ == L.Bw) {
            j_ = 0;
            if (++q_ == L.Q) {
                q_ = 0;
                if (++p_ == L.P) {
                    p_ = 0;
                    if (++t_ == L.T) {
                        t_ = 0;
                        issuing_ = false;
                    }
                }
                win_base_ = L.win[p_];
            }
        }
    }
    tog_[CM_U_CONTROL] += popc(before ^ ((uint64_t)b_ | (uint64_t)j_ << CNT_J |
                                         (uint64_t)q_ << CNT_Q | (uint64_t)p_ << CNT_P |
                                         (uint64_t)t_ << CNT_T));
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
template <int WORDS> void accel::stage_pop()
{
    if (!advance(pop_ctl_, fetch_ctl_))
        return;
    const int W = WORDS ? WORDS : W_, R = R_;
    const uint64_t *__restrict ws = wsign_, *__restrict wm = wmag_;
    const uint64_t *__restrict g = g_.data(), *__restrict f = f_.data();
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
    tog_[CM_U_ARRAY] += t_lane;
    tog_[CM_U_POPCOUNT] += t_pop;  // the trees' outputs ...
    tog_[CM_U_PIPEREG] += t_pop;   // ... latched into the POP registers
}

// ---- ACC: subtract, shift, accumulate ----

// ACC over R PEs; returns the toggles (a loop that vectorizes, as pop_one_word).
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
void accel::stage_acc()
{
    const issue_ctl &c = pop_ctl_;
    if (!c.valid) {
        done_ctl_.valid = false;
        return;
    }
    tog_[CM_U_ACCUM] += acc_all(R_, c.first, c.shift, A_, pop_bits_, pos_.data(), neg_.data(),
                                d_.data(), sh_.data(), acc_.data());
    tog_[CM_U_PIPEREG] += popc(done_ctl_.bits ^ c.bits);
    done_ctl_ = c;
    done_ctl_.valid = c.last;
}

// The PEs of tile t that hold a channel (the last tile may be partial).
static inline int tile_rows(const layer_prog &L, int t, int R)
{
    const int left = L.q->out_c - t * R;
    return left < R ? left : R;
}

// ---- RQ (add stream): requantize ----

void accel::stage_rq()
{
    if (!advance(rq_ctl_, done_ctl_))
        return;
    const nn_qnn_layer &l = *L_->q;
    const int n = tile_rows(*L_, rq_ctl_.t, R_), c0 = rq_ctl_.t * R_;
    const uint64_t m = low_mask(L_->res_bits);
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        const int64_t y = requantize(acc_[r], l.rq_mul[c0 + r], l.rq_add[c0 + r], L_->rq_shift,
                                     L_->res_bits);
        t += popc((uint64_t)(y ^ y_[r]) & m);
        y_[r] = y;
    }
    tog_[CM_U_MERGE] += t;
}

// ---- ADD (add stream): u = sat(Y + skip) ----

void accel::stage_add()
{
    if (!advance(add_ctl_, rq_ctl_))
        return;
    const layer_prog &L = *L_;
    const nn_qnn_layer &l = *L.q;
    const int n = tile_rows(L, add_ctl_.t, R_), c0 = add_ctl_.t * R_;
    const bool merge = L.merge == merge_kind::ADD;
    const uint64_t m = low_mask(L.res_bits);
    size_t base = 0;
    if (merge) {
        base = ((size_t)L.oy[add_ctl_.p] * l.out_w + L.ox[add_ctl_.p]) * l.out_c + c0;
        count_read(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
    }
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        const int64_t s = merge ? skip_[base + r] : 0;
        const int64_t u = stream_add(y_[r], s, L.res_bits);
        t += popc((uint64_t)(s ^ skipv_[r]) & m) + popc((uint64_t)(u ^ u_[r]) & m);
        skipv_[r] = s;
        u_[r] = u;
    }
    tog_[CM_U_MERGE] += t;
}

// ---- THR: comparators, then the OR / MUX merge ----

void accel::stage_thr()
{
    const issue_ctl &in = L_->kind == layer_kind::RES ? add_ctl_ : done_ctl_;
    if (!advance(thr_ctl_, in))
        return;
    const layer_prog &L = *L_;
    const nn_qnn_layer &l = *L.q;
    const int n = tile_rows(L, in.t, R_), c0 = in.t * R_;
    const bool res = L.kind == layer_kind::RES;
    const bool bitmerge = L.merge == merge_kind::OR || L.merge == merge_kind::MUX;
    size_t base = 0;
    if (bitmerge) {
        base = ((size_t)L.oy[in.p] * l.out_w + L.ox[in.p]) * l.out_c + c0;
        count_read(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
    }
    const int nt = L.n_thr;
    const int64_t *__restrict v = res ? u_.data() : acc_.data();
    const int64_t *__restrict th = L.thr.data() + (size_t)c0 * nt;
    uint64_t *__restrict cmp = cmp_.data();
    int *__restrict pre = code_pre_.data(), *__restrict code = code_.data();
    uint64_t t_thr = 0, t_mrg = 0, t_reg = 0;
    // the comparators (one bit each) and the encoder (their count)
    for (int r = 0; r < n; r++) {
        uint64_t c = 0;
        for (int k = 0; k < nt; k++)
            c |= (uint64_t)(th[(size_t)r * nt + k] <= v[r]) << k;
        const int e = popc(c);
        t_thr += popc(c ^ cmp[r]) + popc((uint64_t)(e ^ pre[r]));
        cmp[r] = c;
        pre[r] = e;
    }
    if (bitmerge) {  // the skip bit register and the merged code
        int *__restrict sk = skipbit_.data();
        const int64_t *skip = skip_.data() + base;
        const uint8_t *sel = l.mux_sel ? l.mux_sel + c0 : nullptr;
        for (int r = 0; r < n; r++) {
            const int b = (int)skip[r];
            // the active select bit (from the table: sel_reg_ is the shadow
            // set, which may already hold the next tile's)
            const int m = merge_code(L.merge, L.mux, sel && sel[r] != 0, pre[r], b);
            t_mrg += popc((uint64_t)(b ^ sk[r])) + popc((uint64_t)(m ^ code[r]));
            sk[r] = b;
            t_reg += popc((uint64_t)(m ^ code[r]));
            code[r] = m;
        }
    } else {
        for (int r = 0; r < n; r++) {
            t_reg += popc((uint64_t)(pre[r] ^ code[r]));
            code[r] = pre[r];
        }
    }
    if (res)
        for (int r = 0; r < n; r++)
            thr_u_[r] = u_[r];
    tog_[CM_U_THRESH] += t_thr;
    tog_[CM_U_MERGE] += t_mrg;
    tog_[CM_U_PIPEREG] += t_reg;
}

// ---- POOL: running max; write the word at the window's end ----

void accel::stage_pool()
{
    const issue_ctl &c = thr_ctl_;
    if (!c.valid)
        return;
    const layer_prog &L = *L_;
    const nn_qnn_layer &l = *L.q;
    const int k = L.pool;
    const int oy = L.oy[c.p], ox = L.ox[c.p];
    const bool first = oy % k == 0 && ox % k == 0, last = oy % k == k - 1 && ox % k == k - 1;
    const int py = oy / k, px = ox / k;
    const int n = tile_rows(L, c.t, R_), c0 = c.t * R_;
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        const int m = pool_step(pool_[r], first, code_[r]);
        t += popc((uint64_t)(m ^ pool_[r]));
        pool_[r] = m;
    }
    tog_[CM_U_POOL] += t;
    if (L.next_add) {  // the unpooled stream value u (such a layer is not pooled)
        const size_t base = ((size_t)oy * l.out_w + ox) * l.out_c + c0;
        for (int r = 0; r < n; r++)
            skip_[base + r] = thr_u_[r];
        count_write(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
    }
    if (!last)
        return;
    // the output word: each plane's bits of channels c0.. are one run in the bank
    bit_buffer &out = bank_[in_bank_ ^ 1];
    for (int b = 0; b < L.out_bits; b++) {
        const size_t a = L.out.addr(b, py, px, c0);
        for (int r0 = 0; r0 < n; r0 += 64) {
            const int len = std::min(64, n - r0);
            uint64_t v = 0;
            for (int r = 0; r < len; r++)
                v |= (uint64_t)((pool_[r0 + r] >> b) & 1) << r;
            out.put(a + r0, len, v);
        }
    }
    const size_t idx = ((size_t)py * L.pw + px) * l.out_c + c0;
    if (L.next_merges && !L.next_add)
        for (int r = 0; r < n; r++)
            skip_[idx + r] = pool_[r];
    // the scoreboard
    const int32_t *want = ref_.act ? ref_.act[layer_] : nullptr;
    if (want) {
        const int sign = L.out_sign;
        for (int r = 0; r < n; r++) {
            const int value = sign ? 2 * pool_[r] - 1 : pool_[r];
            if (want[idx + r] != value)
                mismatch(SIM_MM_OUTPUT, c0 + r, py, px, value, want[idx + r]);
        }
    }
    count_write(CM_BUF_ACT, (long long)R_ * L.out_bits);
    if (L.next_merges && !L.next_add)
        count_write(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
}

// ---- the scores layer: WRITE into the score registers, then the class walk ----

void accel::stage_write()
{
    const issue_ctl &c = done_ctl_;
    if (!c.valid)
        return;
    const int n = tile_rows(*L_, c.t, R_), c0 = c.t * R_;
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        t += popc((uint64_t)(score_reg_[c0 + r] ^ acc_[r]) & acc_mask_);
        score_reg_[c0 + r] = acc_[r];
    }
    tog_[CM_U_SCORE] += t;
    if (c.t == L_->T - 1 && c.p == L_->P - 1) {  // the last score: start the walk
        walking_ = true;
        walk_c_ = 0;
    }
}

void accel::stage_mul()
{
    if (!walking_) {
        mul_.valid = false;
        return;
    }
    const int c = walk_c_;
    const int64_t v = score_value(score_reg_[c], L_->q->rq_mul[c], 0);
    tog(CM_U_SCORE, (uint64_t)mul_.v, (uint64_t)v);
    mul_ = {true, c, v};
    if (++walk_c_ == L_->q->out_c)
        walking_ = false;
}

void accel::stage_sadd()
{
    if (!mul_.valid) {
        sadd_.valid = false;
        return;
    }
    const int64_t v = mul_.v + L_->q->rq_add[mul_.c];
    tog(CM_U_SCORE, (uint64_t)sadd_.v, (uint64_t)v);
    sadd_ = {true, mul_.c, v};
}

void accel::stage_argmax()
{
    if (!sadd_.valid)
        return;
    const argmax_reg a = argmax_step(argmax_, sadd_.c, sadd_.v);
    tog(CM_U_SCORE, (uint64_t)argmax_.best, (uint64_t)a.best);
    tog(CM_U_SCORE, (uint64_t)argmax_.cls, (uint64_t)a.cls);
    argmax_ = a;
    if (ref_.scores && ref_.scores[sadd_.c] != sadd_.v)
        mismatch(SIM_MM_SCORE, sadd_.c, 0, 0, sadd_.v, ref_.scores[sadd_.c]);
    if (sadd_.c == L_->q->out_c - 1) {
        pred_ = argmax_.cls;
        if (ref_.scores && pred_ != ref_.pred)
            mismatch(SIM_MM_PREDICTION, -1, 0, 0, pred_, ref_.pred);
    }
}

}  // namespace lsim

// sim/controller.cpp: the controller's registers and their toggles (controller.h).
#include "sim/controller.h"

#include <initializer_list>

namespace lsim {

// the bits of an unsigned field w wide
static uint64_t mask_of(int w) { return w >= 64 ? ~0ull : (1ull << w) - 1; }

void controller::configure(const program &p)
{
    // the widths, as the RTL declares them (rtl/rtl.c); a register the
    // design has not (the add stream's, the pow2 codes') 0 wide
    const cm_ctl_widths &w = p.ctl_w;
    const bool add = p.hw.merge == CM_MERGE_ADD;
    int width[N_REGS] = {};
    for (int f : std::initializer_list<int>{DF_SCORES, DF_IN_BANK, DF_IN_SIGN, DF_LAST, DF_MUX_SEL, DF_WRITES_SKIP,
                  DF_SIDE, R_RUNNING, R_ISSUING, R_WR_PENDING, R_WR_WSKIP, R_WR_SIDE})
        width[f] = 1;
    for (int f : std::initializer_list<int>{DF_T, DF_OUT_C, DF_SKIP_C, DF_THR_BASE, R_WR_ROWS, R_WR_T})
        width[f] = w.tile;
    for (int f : std::initializer_list<int>{DF_BW, DF_BA, DF_OUT_BITS, R_LAYER, R_WR_BITS})
        width[f] = 8;
    for (int f : std::initializer_list<int>{DF_IN_PLANE_BITS, DF_OUT_PLANE_BITS, R_BO, R_WR_ADDR, R_WR_PLANE})
        width[f] = w.bank;
    width[DF_MERGE] = 2;
    width[DF_P] = width[DF_POS_BASE] = width[R_WR_P] = w.pos;
    width[DF_Q] = width[DF_CHUNK_BASE] = w.chunk;
    width[DF_W_BASE] = width[R_WI] = width[R_WT] = w.weight;
    width[DF_VALID_BASE] = width[R_VI] = w.valid;
    width[R_WR_SKIP] = w.skip;
    width[DF_RES] = add;
    width[DF_RQ_SHIFT] = add ? 6 : 0;
    width[DF_RQ_BASE] = add ? w.rq : 0;
    width[DF_WCODE] = p.hw.pow2_words == CM_POW2_CODE && p.hw.pe == CM_PE_BITPLANE;
    width[DF_SHIFT] = p.hw.pe == CM_PE_SHIFT;
    // and the loop counters t, p, q, j, b and the stages' valid bits (the
    // add stream's RQ and ADD stages' with an add merge)
    bits_ = w.tile + w.pos + w.chunk + 8 + 8 + 7 + (add ? p.hw.add_stages : 0);
    for (int r = 0; r < N_REGS; r++) {
        mask_[r] = mask_of(width[r]);
        reg_[r] = 0;
        bits_ += width[r];
    }
    n_layers_ = p.n_layers;
    R_ = p.hw.pe_rows;
    bank_bits_ = (uint64_t)p.ctl_bank_bits;
    L_ = nullptr;
    phase_ = phase::IDLE;
    start_ = false;
    layer_ = 0;
    cycle_ = 0;
    issuing_ = false;
    t_ = q_ = j_ = b_ = p_ = 0;
    win_base_ = 0;
    valid_bits_ = 0;
    tog.clear();
}

bool controller::wake()
{
    if (phase_ != phase::IDLE)
        return true;
    if (!start_)
        return false;
    start_ = false;
    layer_ = 0;
    phase_ = phase::CONFIG;
    set(R_RUNNING, 1);
    return true;
}

void controller::config_layer(const layer_prog &L)
{
    L_ = &L;
    tog.add(CM_U_CONTROL, popc(counters()));  // the loop counters clear
    t_ = q_ = j_ = b_ = p_ = 0;
    issuing_ = true;
    set(R_ISSUING, 1);
    set(R_LAYER, (uint64_t)layer_);
    uint64_t f[DF_COUNT];
    layer_descriptor(L, n_layers_, f);
    for (int k = 0; k < DF_COUNT; k++)
        set(k, f[k]);
    for (int r : {R_VI, R_WI, R_WT, R_BO})
        set(r, 0);
    // the write-back's copies of the descriptor
    set(R_WR_BITS, f[DF_OUT_BITS]);
    set(R_WR_PLANE, f[DF_OUT_PLANE_BITS]);
    set(R_WR_WSKIP, f[DF_WRITES_SKIP]);
    set(R_WR_SIDE, f[DF_SIDE]);
    win_base_ = L.win[0];
    phase_ = phase::RUN;
}

issue_ctl controller::issue() const
{
    const layer_prog &L = *L_;
    issue_ctl c;
    c.valid = true;
    c.first = q_ == 0 && j_ == 0 && b_ == 0;
    c.last = q_ == L.Q - 1 && j_ == L.Bw - 1 && b_ == L.Ba - 1;
    c.shift = b_ + j_;
    c.t = t_;
    c.p = p_;
    c.bits = (uint64_t)c.shift | (uint64_t)c.first << CTL_FIRST | (uint64_t)c.last << CTL_LAST |
             (uint64_t)c.t << CTL_T | (uint64_t)c.p << CTL_P;
    return c;
}

void controller::advance()
{
    const layer_prog &L = *L_;
    const uint64_t before = counters();
    // the running indices, as the RTL steps them: vi = p Q + q (valid
    // words), wi = (t Q + q) Bw + j (weight words), wt = t Q Bw (the tile's
    // first), bo = b x the plane's bits
    if (b_ + 1 < L.Ba) {
        set(R_BO, reg_[R_BO] + L.in.plane_bits);
    } else {
        set(R_BO, 0);
        const bool j_w = j_ + 1 == L.Bw, q_w = q_ + 1 == L.Q, p_w = p_ + 1 == L.P;
        if (j_w && q_w) {
            if (p_w) {
                set(R_VI, 0);
                set(R_WT, reg_[R_WI] + 1);
                set(R_WI, reg_[R_WI] + 1);
            } else {
                set(R_VI, reg_[R_VI] + 1);
                set(R_WI, reg_[R_WT]);
            }
        } else {
            set(R_WI, reg_[R_WI] + 1);
            if (j_w)
                set(R_VI, reg_[R_VI] + 1);
        }
    }
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
                        set(R_ISSUING, 0);
                    }
                }
                win_base_ = L.win[p_];
            }
        }
    }
    tog.add(CM_U_CONTROL, before, counters());
}

bool controller::next_layer(int n_layers)
{
    const int next = layer_ + 1 < n_layers ? layer_ + 1 : 0;
    layer_ = next;  // (its register loads it in the next CONFIG)
    phase_ = next ? phase::CONFIG : phase::IDLE;
    if (!next)
        set(R_RUNNING, 0);
    return next != 0;
}

void controller::write_back(const issue_ctl &out, bool pool_last)
{
    set(R_WR_PENDING, pool_last);
    if (!out.valid)
        return;
    // the output's first channel t R, its address in the bank written and
    // in the skip buffer, the channels left (as wide as the RTL's: mod 2^w)
    const layer_prog &L = *L_;
    const uint64_t tR = ((uint64_t)out.t * (uint64_t)R_) & mask_[R_WR_T];
    const pos_entry e = position_entry(L, out.p);
    set(R_WR_ADDR, (L.in_bank ? 0 : bank_bits_) + e.out + tR);
    set(R_WR_ROWS, (uint64_t)L.q->out_c - tR);
    set(R_WR_SKIP, e.skip_wr + tR);
    set(R_WR_T, (uint64_t)out.t);
    set(R_WR_P, (uint64_t)out.p);
}

void controller::trace(sc_core::sc_trace_file *tf) const
{
    using sc_core::sc_trace;
    sc_trace(tf, cycle_, "accel.control.cycle", 32);
    sc_trace(tf, layer_, "accel.control.layer", 8);
    sc_trace(tf, t_, "accel.control.tile", 16);
    sc_trace(tf, p_, "accel.control.position", 24);
    sc_trace(tf, q_, "accel.control.chunk", 16);
    sc_trace(tf, j_, "accel.control.wpass", 4);
    sc_trace(tf, b_, "accel.control.aplane", 4);
}

}  // namespace lsim

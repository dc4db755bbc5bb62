// sim/controller.cpp: the controller's registers and their toggles (controller.h).
#include "sim/controller.h"

namespace lsim {

void controller::configure()
{
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
    return true;
}

void controller::config_layer(const layer_prog &L)
{
    L_ = &L;
    tog.add(CM_U_CONTROL, popc(counters()));  // the loop counters clear
    t_ = q_ = j_ = b_ = p_ = 0;
    issuing_ = true;
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
    tog.add(CM_U_CONTROL, before, counters());
}

bool controller::next_layer(int n_layers)
{
    const int next = layer_ + 1 < n_layers ? layer_ + 1 : 0;
    tog.add(CM_U_CONTROL, (uint64_t)layer_, (uint64_t)next);  // the layer counter
    layer_ = next;
    phase_ = next ? phase::CONFIG : phase::IDLE;
    return next != 0;
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

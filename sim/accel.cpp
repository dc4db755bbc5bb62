// sim/accel.cpp: the top module's cycle (accel.h): the children's stages in
// pipeline order, last to first, so that each reads what its predecessor
// latched on the previous edge. A stage whose input register is not valid
// latches nothing: its registers hold, and so do the buses they drive (no
// toggles).
#include "sim/accel.h"

namespace lsim {

using sc_core::sc_time;

void accel::configure(const program *p, const sc_time &period)
{
    prog_ = p;
    period_ = period;
    const cm_hw &hw = p->hw;
    ctl.configure(*p);
    buf.configure(*p);
    fetch.configure(*p);
    pe.configure(*p);
    thr.configure(hw);
    mrg.configure(hw);
    pool.configure(hw);
    score.configure(hw, p->n_class);
    L_ = nullptr;

    const size_t n = (size_t)p->n_layers;
    layer_cycles.assign(n, 0);
    for (int b = 0; b < CM_N_BUFS; b++) {
        layer_reads[b].assign(n, 0);
        layer_writes[b].assign(n, 0);
        layer_read_bits[b].assign(n, 0);
        layer_write_bits[b].assign(n, 0);
    }
    for (int u = 0; u < CM_N_UNITS; u++)
        layer_toggles[u].assign(n, 0);

    // The widths whose toggles are counted, per unit kind (design-wide).
    int max_t = 1, max_p = 1, max_q = 1;
    for (const layer_prog &l : p->layers) {
        max_t = std::max(max_t, l.T);
        max_p = std::max(max_p, l.P);
        max_q = std::max(max_q, l.Q);
    }
    const int A = hw.acc_bits, pop_bits = cm_bits_for(hw.lanes);
    const double E = p->n_exp;  // a bit-plane PE: 1
    const int n_thr_hw = (1 << hw.max_act_bits) - 1;
    const double Rd = hw.pe_rows, lanes = hw.lanes, M = hw.max_act_bits;
    const double ctl_bits = CTL_T + cm_bits_for(max_t) + cm_bits_for(max_p);
    // the gating buses g and f (and on the XNOR PE its inverted gate), the
    // lane logic's outputs (two a lane per exponent, the XNOR PE's one), the
    // popcount trees (two a PE per exponent; the XNOR PE's one and the
    // array's shared count of the gate bits) and their POP registers
    const bool xnor = hw.pe == CM_PE_XNOR;
    const double trees = xnor ? Rd + 1 : 2 * E * Rd;
    toggle_bits[CM_U_ARRAY] = xnor ? 3 * lanes + Rd * lanes : 2 * lanes + 2 * E * Rd * lanes;
    toggle_bits[CM_U_POPCOUNT] = trees * pop_bits;
    toggle_bits[CM_U_ACCUM] = Rd * (pop_bits + E + 2 * A);
    toggle_bits[CM_U_THRESH] = Rd * (n_thr_hw + M);
    switch (hw.merge) {
    case CM_MERGE_OR:
    case CM_MERGE_MUX: toggle_bits[CM_U_MERGE] = Rd; break;
    case CM_MERGE_ADD:
        toggle_bits[CM_U_MERGE] =
            Rd * (1.0 + hw.add_stages) * hw.res_bits + hw.add_stages * ctl_bits;
        break;
    default: toggle_bits[CM_U_MERGE] = 0; break;
    }
    toggle_bits[CM_U_POOL] = Rd * M;
    toggle_bits[CM_U_SCORE] =
        (double)p->n_class * A + 3.0 * std::min(64, hw.score_mul_bits + A + 1) +
        cm_bits_for(p->n_class);
    toggle_bits[CM_U_PIPEREG] =
        lanes + (p->mag_reg ? Rd * lanes : 0.0) + trees * pop_bits + Rd * M +
        ctl_bits * 4;
    toggle_bits[CM_U_CONTROL] = ctl.bits();

    has_mismatch = false;
    first_mismatch = sim_mismatch{};
}

void accel::start_image(const uint8_t *pixels, const reference &ref, long long image)
{
    const map_layout &in = prog_->layers[0].in;
    bit_buffer &bank = buf.act(0);
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
    ctl.start();
}

void accel::trace(sc_core::sc_trace_file *tf)
{
    using sc_core::sc_trace;
    tracing_ = true;
    sc_trace(tf, clk_, "accel.clk");
    ctl.trace(tf);
    fetch.trace(tf);
    pe.trace(tf);
    sc_trace(tf, mrg.code()[0], "accel.pe0.code", 8);
    sc_trace(tf, pool.value()[0], "accel.pe0.pool", 8);
    score.trace(tf);
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
    first_mismatch.layer = ctl.layer() + 1;
    first_mismatch.channel = channel;
    first_mismatch.y = y;
    first_mismatch.x = x;
    first_mismatch.sim_value = got;
    first_mismatch.ref_value = want;
}

// The stage registers' valid bits, as the controller holds them (one per
// stage register; the class walk's is the score unit's walking bit).
uint64_t accel::valid_bits() const
{
    return (uint64_t)fetch.ctl().valid | (uint64_t)pe.pop_ctl().valid << 1 |
           (uint64_t)pe.done_ctl().valid << 2 | (uint64_t)mrg.rq_ctl().valid << 3 |
           (uint64_t)mrg.add_ctl().valid << 4 | (uint64_t)thr.ctl().valid << 5 |
           (uint64_t)score.walking() << 6 | (uint64_t)score.mul_valid() << 7 |
           (uint64_t)score.sadd_valid() << 8;
}

// The scoreboard: a written output word against the golden model's values.
void accel::check_output(const pool_write &w)
{
    const int32_t *want = ref_.act ? ref_.act[ctl.layer()] : nullptr;
    if (!want)
        return;
    const layer_prog &L = *L_;
    const size_t idx = ((size_t)w.py * L.pw + w.px) * L.q->out_c + w.c0;
    const int *v = pool.value();
    for (int r = 0; r < w.n; r++) {
        // the stored code's value (nn/qnn.h): sign 2c - 1, tern / pow2 from c
        const int value = nn_qnn_code_value(L.q->out_code, L.q->out_bits, v[r]);
        if (want[idx + r] != value)
            mismatch(SIM_MM_OUTPUT, w.c0 + r, w.py, w.px, value, want[idx + r]);
    }
}

void accel::check_score(const score_unit::stage &s)
{
    if (!s.valid)
        return;
    if (ref_.scores && ref_.scores[s.c] != s.v)
        mismatch(SIM_MM_SCORE, s.c, 0, 0, s.v, ref_.scores[s.c]);
    if (s.c == L_->q->out_c - 1) {
        pred_ = score.best_class();
        if (ref_.scores && pred_ != ref_.pred)
            mismatch(SIM_MM_PREDICTION, -1, 0, 0, pred_, ref_.pred);
    }
}

// ---- the layer sequence ----

void accel::config_layer()
{
    L_ = &prog_->layers[(size_t)ctl.layer()];
    ctl.config_layer(*L_);
    fetch.reset_layer();
    pe.reset_layer();
    mrg.reset_layer();
    thr.reset_layer();
    score.reset_layer();
}

void accel::end_layer()
{
    const size_t l = (size_t)ctl.layer();
    layer_cycles[l] += layer_cyc_;
    image_cycles_ += layer_cyc_;
    buf.flush(l, layer_reads, layer_writes, layer_read_bits, layer_write_bits);
    // the layer counter steps (its register loads in the next CONFIG); after
    // the last layer the run flag clears, in this layer's toggles
    const bool more = ctl.next_layer(prog_->n_layers);
    toggle_counter *units[] = {&ctl.tog, &fetch.tog, &pe.tog,   &thr.tog,
                               &mrg.tog, &pool.tog,  &score.tog};
    for (toggle_counter *t : units) {
        for (int u = 0; u < CM_N_UNITS; u++)
            layer_toggles[u][l] += t->n[u];
        t->clear();
    }
    if (more)
        return;
    // the cycles the clock counted: from layer 1's CONFIG edge to this edge
    time_cycles_ = (long long)((sc_core::sc_time_stamp() - t0_) / period_ + 0.5) + 1;
    sc_core::sc_pause();
}

// ---- the clock edge ----

void accel::step()
{
    next_trigger(period_);  // the next rising edge
    if (tracing_) {
        clk_ = true;
        fall_ev_.notify(period_ / 2);
    }
    ctl.tick();
    if (ctl.state() == controller::phase::IDLE) {
        if (!ctl.wake())
            return;
        t0_ = sc_core::sc_time_stamp();
    }
    if (ctl.state() == controller::phase::CONFIG) {
        config_layer();
        layer_cyc_ = 1;
        ctl.count_valid(valid_bits());
        return;
    }
    layer_cyc_++;
    const layer_prog &L = *L_;
    const int in_bank = L.in_bank;
    // the write-back registers take the outputs' tags as they pass (the
    // ACC output's: the same sequence reaches THR) and the pooled word
    ctl.write_back(pe.done_ctl(), pool.pending(thr.ctl(), L));
    switch (L.kind) {
    case layer_kind::PLAIN:
        check_output(pool.step(thr.ctl(), mrg.code(), mrg.thr_u(), L, in_bank ^ 1, buf));
        if (thr.step(pe.done_ctl(), pe.acc(), L))
            mrg.step_thr(thr.ctl(), thr.code(), L, buf);
        break;
    case layer_kind::RES:
        check_output(pool.step(thr.ctl(), mrg.code(), mrg.thr_u(), L, in_bank ^ 1, buf));
        if (thr.step(mrg.add_ctl(), mrg.u(), L))
            mrg.step_thr(thr.ctl(), thr.code(), L, buf);
        mrg.step_stream(pe.done_ctl(), pe.acc(), L, buf);
        break;
    case layer_kind::SCORES:
        check_score(score.step_argmax());
        score.step_sadd(L);
        score.step_mul(L);
        score.step_write(pe.done_ctl(), pe.acc(), L);
        break;
    }
    pe.step_acc();
    pe.step_pop(fetch);
    if (ctl.issuing()) {
        if (ctl.tile_start()) {  // the tile's parameters, read from their banks
            thr.load(L, buf);
            mrg.load(L, buf);
        }
        fetch.step(ctl, L, in_bank, buf);
        ctl.advance();
    } else {
        fetch.idle();
    }
    ctl.count_valid(valid_bits());
    if (!ctl.issuing() && pipeline_empty())
        end_layer();
}

}  // namespace lsim

// sim/fetch.cpp: the fetch unit's cycle (fetch.h).
#include "sim/fetch.h"

namespace lsim {

void fetch_unit::configure(const program &p)
{
    const cm_hw &hw = p.hw;
    xb_ = p.exp_bits;
    xnor_ = p.hw.pe == CM_PE_XNOR;
    mag_reg_ = p.mag_reg;
    R_ = hw.pe_rows;
    W_ = (hw.lanes + 63) / 64;
    lanes_ = hw.lanes;
    const size_t R = (size_t)R_, W = (size_t)W_;
    x_.assign(W, 0);
    lane_mask_.assign(W, ~uint64_t(0));
    if (hw.lanes % 64)
        lane_mask_[W - 1] = low_mask(hw.lanes % 64);
    g_.assign(W, 0);
    f_.assign(W, 0);
    valid_.assign(W, 0);
    wzero_.assign((2 + (size_t)xb_) * R * W, 0);
    wsign_ = wzero_.data();
    wmag_ = wzero_.data() + R * W;
    wexp_ = wzero_.data() + 2 * R * W;
    wdec_[0].assign(R * W, 0);
    wdec_[1].assign(R * W, 0);
    ctl_ = issue_ctl{};
    tog.clear();
}

void fetch_unit::step(const controller &ctl, const layer_prog &L, int in_bank, buffers &buf)
{
    const int W = W_;
    const int t = ctl.t(), p = ctl.p(), q = ctl.q(), j = ctl.j(), b = ctl.b();
    const chunk_seg *seg = L.segs.data() + L.seg_begin[q];
    const chunk_seg *seg_end = L.segs.data() + L.seg_begin[q + 1];
    if (b == 0) {
        if (j == 0) {  // the chunk's valid bits (address generator)
            const uint64_t *v = L.valid_words.data() + ((size_t)p * L.Q + q) * W;
            for (int w = 0; w < W; w++)
                valid_[w] = v[w];
        }
        // the weight register: each PE's sign and magnitude words of pass j
        // (on a shift PE the magnitude word is the exponent code's bit 0 and
        // the exponent field its bits 1..: 0 for bit-plane layers)
        const size_t RW = (size_t)R_ * W;
        const uint64_t *ns = buffers::weight_sign(L, R_, t, q, j);
        const uint64_t *nm;
        if (L.code_bits > 0) {
            // the pow2 decoder: m_j = (k == j + 1) per lane (k = 0 on unused
            // lanes and PEs, so their m is 0)
            const uint64_t *k = buffers::weight_code(L, R_, t, q);
            uint64_t *m = wdec_[dec_cur_ ^= 1].data();
            for (size_t i = 0; i < RW; i++) {
                uint64_t eq = ~uint64_t(0);
                for (int bit = 0; bit < L.code_bits; bit++)
                    eq &= ((j + 1) >> bit) & 1 ? k[bit * RW + i] : ~k[bit * RW + i];
                m[i] = eq;
            }
            nm = m;
        } else {
            nm = buffers::weight_mag(L, R_, t, q, j);
        }
        // the weight word is the weight buffer's synchronous read (the SRAM
        // macro's output register, whose energy is the read's), but on a
        // design with pow2 decoders their output is registered
        if (mag_reg_) {
            unsigned long long n = 0;
            for (size_t i = 0; i < RW; i++)
                n += popc(wmag_[i] ^ nm[i]);
            tog.add(CM_U_PIPEREG, n);
        }
        wsign_ = ns;
        wmag_ = nm;
        if (xb_ > 0) {
            const uint64_t *nx = buffers::weight_exp(L, R_, xb_, t, q);
            wexp_ = nx ? nx : wzero_.data() + 2 * RW;  // the zeros it loads
        }
        // the word read: sign and one magnitude plane (binary: the sign;
        // offset binary: the pass's plane; pow2: the sign and the whole
        // code), or on the shift path sign and exponent code
        const int per_lane = L.shift                              ? 2 + xb_
                             : L.code_bits > 0                    ? 1 + L.code_bits
                             : L.q->w_code == NN_WCODE_BINARY ||
                                       L.q->w_code == NN_WCODE_OFFSET ? 1
                                                                      : 2;
        buf.count_read(CM_BUF_WEIGHT, (long long)R_ * lanes_ * per_lane);
    }
    // the activation word register, and the gating buses g and f
    const bit_buffer &bank = buf.act(in_bank);
    // the plane(s) read: plane b, or a signed multi-level input's whole code
    const bool dec = L.in_kind == plane_kind::SIGNED;
    const int n_read = dec ? L.in.planes : 1;
    unsigned long long tx = 0, tgf = 0;
    for (int w = 0; w < W; w++) {
        uint64_t xs[8] = {0};
        for (int k = 0; k < n_read; k++) {
            const size_t plane = (size_t)(dec ? k : b) * L.in.plane_bits + ctl.win_base();
            uint64_t x = 0;
            if (W > 1)
                for (const chunk_seg *s = seg; s < seg_end; s++)
                    if ((s->lane >> 6) == w)
                        x |= bank.get(plane + s->ky * L.row_stride + s->off, s->len)
                             << (s->lane & 63);
            if (W == 1)
                for (const chunk_seg *s = seg; s < seg_end; s++)
                    x |= bank.get(plane + s->ky * L.row_stride + s->off, s->len) << s->lane;
            // x = 0 at padding and unused lanes (docs/accelerator.md)
            xs[k] = x & valid_[w];
        }
        uint64_t x = xs[0], lo = 0;
        if (dec) {
            // the decoder: pass b's plane bit and its sign (costmodels'
            // act decoder); then the {0,1} gating, and f = lo
            const act_pass ap = act_decode(xs, n_read, L.act_q + 1 + b, L.act_q - 1 - b);
            x = ap.x & valid_[w];
            lo = ap.lo;
        }
        // a sign plane's flip bits are NOT x over the lanes that exist
        gate_flip gf = fetch_gate(dec ? plane_kind::ZERO_ONE : L.in_kind, x, valid_[w]);
        gf.f |= lo;
        gf.f &= lane_mask_[w];
        tx += popc(x ^ x_[w]);
        tgf += popc(gf.g ^ g_[w]) * (xnor_ ? 2 : 1) + popc(gf.f ^ f_[w]);
        x_[w] = x;
        g_[w] = gf.g;
        f_[w] = gf.f;
    }
    tog.add(CM_U_PIPEREG, tx);
    tog.add(CM_U_ARRAY, tgf);
    buf.count_read(CM_BUF_ACT, (long long)lanes_ * n_read);

    // the issue's control bits into the FETCH register
    const issue_ctl c = ctl.issue();
    tog.add(CM_U_PIPEREG, ctl_.bits, c.bits);
    ctl_ = c;
}

void fetch_unit::trace(sc_core::sc_trace_file *tf) const
{
    using sc_core::sc_trace;
    const int lanes = lanes_ < 64 ? lanes_ : 64;
    sc_trace(tf, ctl_.valid, "accel.fetch.valid");
    sc_trace(tf, x_[0], "accel.fetch.act_word", lanes);
    sc_trace(tf, g_[0], "accel.fetch.gate", lanes);
}

}  // namespace lsim

// sim/merge.cpp: the merge units' parameter loads and stages (merge.h).
#include "sim/merge.h"

namespace lsim {

// The skip buffer address of position p's skip at channel c0 (the source's
// map, read at (s y, s x) under the pad shortcut), and how many of the tile's
// n rows hold skip channels (past the source's channels the skip is 0, and a
// tile of none reads nothing).
static size_t skip_addr(const layer_prog &L, int p, int c0)
{
    return L.skip_rd_base +
           ((size_t)L.oy[p] * L.skip_stride * L.skip_w + (size_t)L.ox[p] * L.skip_stride) *
               L.skip_c + c0;
}

static int skip_rows(const layer_prog &L, int c0, int n)
{
    const int left = L.skip_c - c0;
    return left <= 0 ? 0 : left < n ? left : n;
}

void merge_unit::configure(const cm_hw &hw)
{
    R_ = hw.pe_rows;
    A_ = hw.acc_bits;
    mul_bits_ = hw.rq_mul_bits;
    shift_rq_ = hw.requant == CM_RQ_SHIFT;
    ls_bits_ = cm_bits_for(hw.rq_lshift_max);
    rs_bits_ = hw.rq_rshift_bits;
    off_bits_ = hw.acc_bits + hw.rq_lshift_max;
    param_bits_ = cm_hw_rq_param_bits(&hw);
    skip_word_bits_ = hw.merge == CM_MERGE_ADD ? hw.res_bits : 1;
    add_stages_ = hw.add_stages;
    const size_t R = (size_t)R_;
    y_.assign(R, 0);
    y_wire_.assign(R, 0);
    skipv_.assign(R, 0);
    u_.assign(R, 0);
    code_.assign(R, 0);
    thr_u_.assign(R, 0);
    rq_ctl_ = add_ctl_ = issue_ctl{};
    tog.clear();
}

void merge_unit::load(const layer_prog &L, buffers &buf)
{
    if (L.res)
        buf.count_read(CM_BUF_SKIP, (long long)R_ * param_bits_);
    else if (L.merge == merge_kind::MUX)
        buf.count_read(CM_BUF_SKIP, R_);
}

void merge_unit::step_rq(const issue_ctl &done, const int64_t *acc, const layer_prog &L)
{
    if (!advance(rq_ctl_, done, tog, CM_U_MERGE))
        return;
    const nn_qnn_layer &l = *L.q;
    const int n = tile_rows(L, rq_ctl_.t, R_), c0 = rq_ctl_.t * R_;
    const uint64_t m = low_mask(L.res_bits);
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        int64_t y;
        if (shift_rq_) {
            const nn_rq_shift &f = L.rq_sf[(size_t)(c0 + r)];
            y = requantize_shift(acc[r], f.neg != 0, f.lshift, f.rshift, f.off, L.res_bits);
        } else {
            y = requantize(acc[r], l.rq_mul[c0 + r], l.rq_add[c0 + r], L.rq_shift, L.res_bits);
        }
        t += popc((uint64_t)(y ^ y_[r]) & m);
        y_[r] = y;
    }
    tog.add(CM_U_MERGE, t);
}

void merge_unit::step_stream(const issue_ctl &done, const int64_t *acc, const layer_prog &L,
                             buffers &buf)
{
    if (add_stages_ == 2) {
        step_add(rq_ctl_, y_.data(), L, buf);
        step_rq(done, acc, L);
        return;
    }
    if (!done.valid) {
        add_ctl_.valid = false;
        return;
    }
    const nn_qnn_layer &l = *L.q;
    const int n = tile_rows(L, done.t, R_), c0 = done.t * R_;
    for (int r = 0; r < n; r++)
        y_wire_[r] = requantize(acc[r], l.rq_mul[c0 + r], l.rq_add[c0 + r], L.rq_shift, L.res_bits);
    step_add(done, y_wire_.data(), L, buf);
}

void merge_unit::step_add(const issue_ctl &src, const int64_t *y, const layer_prog &L,
                          buffers &buf)
{
    if (!advance(add_ctl_, src, tog, CM_U_MERGE))
        return;
    const int n = tile_rows(L, add_ctl_.t, R_), c0 = add_ctl_.t * R_;
    const bool merge = L.merge == merge_kind::ADD;
    const uint64_t m = low_mask(L.res_bits);
    const int64_t *skip = nullptr;
    const int ns = merge ? skip_rows(L, c0, n) : 0;
    if (ns > 0) {
        skip = buf.skip() + skip_addr(L, add_ctl_.p, c0);
        buf.count_read(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
    }
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        const int64_t s = r < ns ? skip[r] : 0;
        const int64_t u = stream_add(y[r], s, L.res_bits);
        t += popc((uint64_t)(s ^ skipv_[r]) & m) + popc((uint64_t)(u ^ u_[r]) & m);
        skipv_[r] = s;
        u_[r] = u;
    }
    tog.add(CM_U_MERGE, t);
}

void merge_unit::step_thr(const issue_ctl &thr, const int *pre, const layer_prog &L, buffers &buf)
{
    const nn_qnn_layer &l = *L.q;
    const int n = tile_rows(L, thr.t, R_), c0 = thr.t * R_;
    int *__restrict code = code_.data();
    uint64_t t_mrg = 0, t_reg = 0;
    if (L.merge == merge_kind::OR || L.merge == merge_kind::MUX) {
        // the merged code (the skip bit is the skip buffer's output, no register)
        const int ns = skip_rows(L, c0, n);
        const int64_t *skip = ns > 0 ? buf.skip() + skip_addr(L, thr.p, c0) : nullptr;
        if (ns > 0)
            buf.count_read(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
        const uint8_t *sel = l.mux_sel ? l.mux_sel + c0 : nullptr;
        for (int r = 0; r < n; r++) {
            const int b = r < ns ? (int)skip[r] : 0;
            // the channel's select bit, from the skip buffer's parameter bank
            const int m = merge_code(L.merge, L.mux, sel && sel[r] != 0, pre[r], b);
            t_mrg += popc((uint64_t)(m ^ code[r]));
            t_reg += popc((uint64_t)(m ^ code[r]));
            code[r] = m;
        }
    } else {
        for (int r = 0; r < n; r++) {
            t_reg += popc((uint64_t)(pre[r] ^ code[r]));
            code[r] = pre[r];
        }
    }
    if (L.res)
        for (int r = 0; r < n; r++)
            thr_u_[r] = u_[r];
    tog.add(CM_U_MERGE, t_mrg);
    tog.add(CM_U_PIPEREG, t_reg);
}

}  // namespace lsim

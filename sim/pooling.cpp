// sim/pooling.cpp: the pooling units' POOL stage and output writes (pooling.h).
#include "sim/pooling.h"

#include <algorithm>

namespace lsim {

void pooling_unit::configure(const cm_hw &hw)
{
    R_ = hw.pe_rows;
    skip_word_bits_ = hw.merge == CM_MERGE_ADD ? hw.res_bits : 1;
    pool_.assign((size_t)R_, 0);
    tog.clear();
}

pool_write pooling_unit::step(const issue_ctl &c, const int *code, const int64_t *thr_u,
                              const layer_prog &L, int out_bank, buffers &buf)
{
    pool_write w;
    if (!c.valid)
        return w;
    const nn_qnn_layer &l = *L.q;
    const int k = L.pool;
    const int oy = L.oy[c.p], ox = L.ox[c.p];
    const bool first = L.window_first(c.p), last = L.window_last(c.p);
    const int n = tile_rows(L, c.t, R_), c0 = c.t * R_;
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        const int m = pool_step(pool_[r], first, code[r]);
        t += popc((uint64_t)(m ^ pool_[r]));
        pool_[r] = m;
    }
    tog.add(CM_U_POOL, t);
    if (L.skip_add) {  // the unpooled stream value u (such a layer is not pooled)
        int64_t *skip = buf.skip() + L.skip_wr_base + ((size_t)oy * l.out_w + ox) * l.out_c + c0;
        for (int r = 0; r < n; r++)
            skip[r] = thr_u[r];
        buf.count_write(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
    }
    if (!last)
        return w;
    // the output word: each plane's bits of channels c0.. are one run in the
    // bank (a side layer's goes to the skip buffer only)
    const int py = oy / k, px = ox / k;
    bit_buffer &out = buf.act(out_bank);
    for (int b = 0; b < L.out_bits && !L.side; b++) {
        const size_t a = L.out.addr(b, py, px, c0);
        for (int r0 = 0; r0 < n; r0 += 64) {
            const int len = std::min(64, n - r0);
            uint64_t v = 0;
            for (int r = 0; r < len; r++)
                v |= (uint64_t)((pool_[r0 + r] >> b) & 1) << r;
            out.put(a + r0, len, v);
        }
    }
    if (L.writes_skip && !L.skip_add) {
        int64_t *skip = buf.skip() + L.skip_wr_base + ((size_t)py * L.pw + px) * l.out_c + c0;
        for (int r = 0; r < n; r++)
            skip[r] = pool_[r];
    }
    if (!L.side)
        buf.count_write(CM_BUF_ACT, (long long)R_ * L.out_bits);
    if (L.writes_skip && !L.skip_add)
        buf.count_write(CM_BUF_SKIP, (long long)R_ * skip_word_bits_);
    w.wrote = true;
    w.py = py;
    w.px = px;
    w.c0 = c0;
    w.n = n;
    return w;
}

}  // namespace lsim

// sim/threshold.cpp: the threshold units' parameter loads and THR stage (threshold.h).
#include "sim/threshold.h"

namespace lsim {

void threshold_unit::configure(const cm_hw &hw)
{
    R_ = hw.pe_rows;
    A_ = hw.acc_bits;
    mul_bits_ = hw.score_mul_bits;
    cmp_.assign((size_t)R_, 0);
    code_.assign((size_t)R_, 0);
    ctl_ = issue_ctl{};
    tog.clear();
}

void threshold_unit::load(const layer_prog &L, buffers &buf)
{
    const bool scores = L.kind == layer_kind::SCORES;
    buf.count_read(CM_BUF_WEIGHT, scores ? (long long)R_ * (2 * mul_bits_ + A_)
                                         : (long long)R_ * L.n_thr * A_);
}

bool threshold_unit::step(const issue_ctl &in, const int64_t *v, const layer_prog &L)
{
    if (!advance(ctl_, in, tog))
        return false;
    const int n = tile_rows(L, in.t, R_), c0 = in.t * R_;
    const int nt = L.n_thr;
    const int64_t *__restrict th = L.thr.data() + (size_t)c0 * nt;
    uint64_t *__restrict cmp = cmp_.data();
    int *__restrict code = code_.data();
    uint64_t t = 0;
    // the comparators (one bit each) and the encoder (their count)
    for (int r = 0; r < n; r++) {
        uint64_t c = 0;
        for (int k = 0; k < nt; k++)
            c |= (uint64_t)(th[(size_t)r * nt + k] <= v[r]) << k;
        const int e = popc(c);
        t += popc(c ^ cmp[r]) + popc((uint64_t)(e ^ code[r]));
        cmp[r] = c;
        code[r] = e;
    }
    tog.add(CM_U_THRESH, t);
    return true;
}

}  // namespace lsim

// sim/score.cpp: the score unit's stages (score.h).
#include "sim/score.h"

namespace lsim {

void score_unit::configure(const cm_hw &hw, int n_class)
{
    R_ = hw.pe_rows;
    acc_mask_ = low_mask(hw.acc_bits);
    score_reg_.assign((size_t)n_class, 0);
    walking_ = false;
    walk_c_ = 0;
    mul_ = sadd_ = stage{};
    argmax_ = argmax_reg{0, 0};
    tog.clear();
}

void score_unit::step_write(const issue_ctl &c, const int64_t *acc, const layer_prog &L)
{
    if (!c.valid)
        return;
    const int n = tile_rows(L, c.t, R_), c0 = c.t * R_;
    unsigned long long t = 0;
    for (int r = 0; r < n; r++) {
        t += popc((uint64_t)(score_reg_[c0 + r] ^ acc[r]) & acc_mask_);
        score_reg_[c0 + r] = acc[r];
    }
    tog.add(CM_U_SCORE, t);
    if (c.t == L.T - 1 && c.p == L.P - 1) {  // the last score: start the walk
        walking_ = true;
        walk_c_ = 0;
    }
}

void score_unit::step_mul(const layer_prog &L)
{
    if (!walking_) {
        mul_.valid = false;
        return;
    }
    const int c = walk_c_;
    const int64_t v = score_value(score_reg_[c], L.q->rq_mul[c], 0);
    tog.add(CM_U_SCORE, (uint64_t)mul_.v, (uint64_t)v);
    mul_ = {true, c, v};
    if (++walk_c_ == L.q->out_c)
        walking_ = false;
}

void score_unit::step_sadd(const layer_prog &L)
{
    if (!mul_.valid) {
        sadd_.valid = false;
        return;
    }
    const int64_t v = mul_.v + L.q->rq_add[mul_.c];
    tog.add(CM_U_SCORE, (uint64_t)sadd_.v, (uint64_t)v);
    sadd_ = {true, mul_.c, v};
}

score_unit::stage score_unit::step_argmax()
{
    if (!sadd_.valid)
        return stage{};
    const argmax_reg a = argmax_step(argmax_, sadd_.c, sadd_.v);
    tog.add(CM_U_SCORE, (uint64_t)argmax_.best, (uint64_t)a.best);
    tog.add(CM_U_SCORE, (uint64_t)argmax_.cls, (uint64_t)a.cls);
    argmax_ = a;
    return sadd_;
}

void score_unit::trace(sc_core::sc_trace_file *tf) const
{
    using sc_core::sc_trace;
    sc_trace(tf, mul_.v, "accel.score.mul", 64);
    sc_trace(tf, sadd_.v, "accel.score.sum", 64);
    sc_trace(tf, argmax_.best, "accel.score.best", 64);
    sc_trace(tf, argmax_.cls, "accel.score.class", 8);
}

}  // namespace lsim

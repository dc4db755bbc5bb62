// sim/pooling.h: the pooling units (one per PE) as a clocked module
// (docs/accelerator.md, POOL): the running maximum of the THR register's
// codes over a pool window (units.h's pool_step; a window of one position
// without pooling), and the write of the pooled output word into the output
// bank (and into the skip buffer when the next layer merges) at the
// window's end.
//
//     pool_write w = pool.step(thr.ctl(), mrg.code(), mrg.thr_u(), L, out_bank, buf);
//     if (w.wrote) ... pool.value()[r] is channel w.c0 + r at (w.py, w.px)
//
// Memory: the registers are sized by configure(); stepping does not allocate.
#ifndef LOGIQ_SIM_POOLING_H
#define LOGIQ_SIM_POOLING_H

#include <systemc>
#include <vector>

#include "sim/buffers.h"
#include "sim/pipeline.h"

namespace lsim {

// What a POOL cycle wrote: a word of n channels from c0 at pooled (py, px).
struct pool_write {
    bool wrote = false;
    int py = 0, px = 0, c0 = 0, n = 0;
};

SC_MODULE(pooling_unit)
{
    SC_CTOR(pooling_unit) {}

    void configure(const cm_hw &hw);
    pool_write step(const issue_ctl &c, const int *code, const int64_t *thr_u,
                    const layer_prog &L, int out_bank, buffers &buf);
    const int *value() const { return pool_.data(); }  // [R] the pool registers
    // Whether step(c, ...) completes a pool window and writes its word (the
    // RTL's pool_last).
    static bool pending(const issue_ctl &c, const layer_prog &L)
    {
        return c.valid && L.kind != layer_kind::SCORES && L.window_last(c.p);
    }

    toggle_counter tog;

private:
    int R_ = 0, skip_word_bits_ = 1;
    std::vector<int> pool_;  // [R] running max
};

}  // namespace lsim

#endif

// sim/threshold.h: the threshold units (one per PE) as a clocked module
// (docs/accelerator.md, THR): 2^max_act_bits - 1 comparators of acc_bits
// against the channel's thresholds and the encoder that counts them
// (units.h's thr_code). The thresholds are read once per tile from the
// weight buffer's parameter bank, whose output holds them for the tile: the
// unit has no threshold registers. It latches the THR stage's control
// register; the merge unit (merge.h) closes the stage with the OR / MUX merge
// and the THR register that pooling reads.
//
//     thr.load(L, buf);                     // a tile's first issue
//     if (thr.step(in_ctl, values, L)) ...  // thr.code() per PE
//
// Memory: the state is sized by configure(); stepping does not allocate.
#ifndef LOGIQ_SIM_THRESHOLD_H
#define LOGIQ_SIM_THRESHOLD_H

#include <systemc>
#include <vector>

#include "sim/buffers.h"
#include "sim/pipeline.h"

namespace lsim {

SC_MODULE(threshold_unit)
{
    SC_CTOR(threshold_unit) {}

    void configure(const cm_hw &hw);
    void reset_layer() { ctl_.valid = false; }
    // The tile's thresholds (or the score constants) read from the weight
    // buffer's parameter bank: counts the read (the bank's output holds them
    // for the tile).
    void load(const layer_prog &L, buffers &buf);
    // Compares the values v[r] of the output in `in` (the accumulators, or
    // the add stream's u); false (a bubble) if `in` is not valid.
    bool step(const issue_ctl &in, const int64_t *v, const layer_prog &L);

    const issue_ctl &ctl() const { return ctl_; }
    const int *code() const { return code_.data(); }  // [R] the encoder's output

    toggle_counter tog;

private:
    int R_ = 0, A_ = 0, mul_bits_ = 0;
    issue_ctl ctl_;
    std::vector<uint64_t> cmp_;     // [R] comparator outputs (one bit each)
    std::vector<int> code_;         // [R] the encoder's code (before the merge)
};

}  // namespace lsim

#endif

// sim/pe_array.h: the PE array as a clocked module (docs/accelerator.md,
// stages POP and ACC): every PE's lane logic and two popcount trees, whose
// outputs it latches (the POP registers), then its subtractor, shifter and
// accumulator (the ACC stage). The arithmetic is units.h's (lane_pos,
// lane_neg, acc_step); this module holds the registers, the two stages'
// control registers and their toggles, for all pe_rows PEs at once (a
// module or a process per PE would cost more than the work it models).
//
// A shift PE (docs/accelerator.md, "The shift PE") decodes each lane's
// exponent code (k = e + 1: pair e; 0: none) and routes its pos and neg bits onto one of E pairs of
// popcount trees (E = n_exp of the program); ACC first sums the pairs'
// counts shifted by their exponents, P = sum pos_e << e and N likewise, and
// subtracts N from P. A bit-plane PE is the case E = 1.
//
// An XNOR PE (docs/accelerator.md, "The XNOR PE") runs binary weights only:
// per lane the product bit t = g AND NOT (s XOR f) onto its one popcount
// tree, and the array's one shared tree counts the gate bits g (the lanes
// whose product is +-1); ACC's subtractor forms d = 2 pos - cnt.
//
//     pe.step_acc();          // ACC of what POP latched last cycle
//     pe.step_pop(fetch);     // POP of what FETCH latched last cycle
//     pe.acc()[r]             // PE r's accumulator
//
// Memory: the registers are sized by configure(); stepping does not allocate.
#ifndef LOGIQ_SIM_PE_ARRAY_H
#define LOGIQ_SIM_PE_ARRAY_H

#include <systemc>
#include <vector>

#include "sim/fetch.h"
#include "sim/pipeline.h"

namespace lsim {

SC_MODULE(pe_array)
{
    SC_CTOR(pe_array) {}

    void configure(const program &p);
    void reset_layer() { pop_ctl_.valid = done_ctl_.valid = false; }
    void step_pop(const fetch_unit &fetch);
    void step_acc();
    void trace(sc_core::sc_trace_file *tf) const;

    const issue_ctl &pop_ctl() const { return pop_ctl_; }
    // valid for one cycle when an output's last issue left ACC: acc() holds it
    const issue_ctl &done_ctl() const { return done_ctl_; }
    const int64_t *acc() const { return acc_.data(); }

    toggle_counter tog;

private:
    template <int WORDS> void pop(const fetch_unit &fetch);
    void pop_shift(const fetch_unit &fetch);
    void pop_xnor(const fetch_unit &fetch);

    int R_ = 0, W_ = 0, A_ = 0, pop_bits_ = 0, E_ = 1, xb_ = 0;
    bool xnor_ = false;
    uint64_t cnt_ = 0;                   // the XNOR array's shared count register
    issue_ctl pop_ctl_, done_ctl_;
    std::vector<uint64_t> lpos_, lneg_;  // [R][E][W] lane logic buses
    std::vector<uint64_t> pos_, neg_;    // [R][E] popcount registers
    std::vector<uint64_t> sum_p_, sum_n_; // [R] the shift-add's P and N (E > 1)
    std::vector<int64_t> d_;             // [R] subtractor bus
    std::vector<int64_t> sh_;            // [R] shifter bus
    std::vector<int64_t> acc_;           // [R]
};

}  // namespace lsim

#endif

// sim/fetch.h: the fetch unit as a clocked module (docs/accelerator.md,
// FETCH): per issue it reads one lanes-bit activation word of one bit-plane
// from the input bank, gates it with the address generator's valid bits
// into the gate and flip buses g and f (units.h's fetch_gate), and, on an
// issue's first activation plane, loads each PE's weight word (sign and
// magnitude planes of the weight pass; on a shift PE also the exponent
// field, 0 for layers on the bit planes; on an XNOR PE the sign only) from
// the weight buffer. Its registers: the issue's control bits (the FETCH stage
// register), the activation word, the valid bits and the weight register. On
// an XNOR PE its gating also drives the inverted gate bus ng (the complement
// of g over the lanes that exist: it toggles with g).
//
//     fetch.step(ctl, L, buf);    // the controller's current issue
//     fetch.g(), fetch.f()        // [words] the buses into the PE array
//
// Memory: the registers are sized by configure(); stepping does not allocate.
#ifndef LOGIQ_SIM_FETCH_H
#define LOGIQ_SIM_FETCH_H

#include <systemc>
#include <vector>

#include "sim/buffers.h"
#include "sim/controller.h"
#include "sim/pipeline.h"

namespace lsim {

SC_MODULE(fetch_unit)
{
    SC_CTOR(fetch_unit) {}

    void configure(const program &p);
    void reset_layer() { ctl_.valid = false; }
    // No issue this cycle: the stage register holds a bubble.
    void idle() { ctl_.valid = false; }
    // The controller's current issue of layer L, with its in bank.
    void step(const controller &ctl, const layer_prog &L, int in_bank, buffers &buf);
    void trace(sc_core::sc_trace_file *tf) const;

    const issue_ctl &ctl() const { return ctl_; }
    const uint64_t *g() const { return g_.data(); }
    const uint64_t *f() const { return f_.data(); }
    const uint64_t *wsign() const { return wsign_; }  // [R][words]
    const uint64_t *wmag() const { return wmag_; }
    const uint64_t *wexp() const { return wexp_; }    // [exp_bits][R][words]

    toggle_counter tog;

private:
    int R_ = 0, W_ = 0, lanes_ = 0, xb_ = 0;
    bool mag_reg_ = false;  // pow2 decoders: the decoded magnitude bits are registered
    bool xnor_ = false;  // an XNOR PE's weight register: the sign words only
    issue_ctl ctl_;
    std::vector<uint64_t> x_, g_, f_, valid_;  // [W] activation word, gate and flip buses
    std::vector<uint64_t> lane_mask_;         // [W] the lanes that exist
    // the weight register: [R][W] sign and magnitude words, [xb][R][W] the
    // exponent field (a shift PE: the code's bit 0 in the magnitude word,
    // its bits 1.. in the field)
    const uint64_t *wsign_ = nullptr, *wmag_ = nullptr, *wexp_ = nullptr;
    std::vector<uint64_t> wzero_;             // [2 + xb][R][W] its value before any load
    // [R][W] the pow2 decoder's output, two so that the register's old
    // contents stay readable while the new ones are decoded
    std::vector<uint64_t> wdec_[2];
    int dec_cur_ = 0;
};

}  // namespace lsim

#endif

// sim/merge.h: the merge units (one per PE) as a clocked module
// (docs/accelerator.md): on an `add` stream the requantizer (RQ stage) and
// the saturating stream adder (ADD stage, reading the skip buffer); the
// requantizer is the multiplier's or, with [merge] requant = shift, the
// shift requantizer's (negate, shift, add, shift); for
// `or` / `mux` merges the OR2 / MUX2 that merge
// the threshold unit's code with it in the THR stage, ending in the THR
// register (the code that pooling reads; the plain code in layers that do
// not merge). Its parameters (MUX select bits, requantizer constants) are
// read once per tile from the skip buffer's parameter bank, whose output
// holds them (docs/accelerator.md, "Per-channel parameters"). The
// arithmetic is units.h's (requantize, stream_add, merge_code).
//
//     mrg.step_stream(pe.done_ctl(), pe.acc(), L, buf);                   // add stream
//     mrg.step_thr(thr.ctl(), thr.code(), L, buf);  mrg.code()[r]        // THR stage
//
// Memory: the registers are sized by configure(); stepping does not allocate.
#ifndef LOGIQ_SIM_MERGE_H
#define LOGIQ_SIM_MERGE_H

#include <systemc>
#include <vector>

#include "sim/buffers.h"
#include "sim/pipeline.h"

namespace lsim {

SC_MODULE(merge_unit)
{
    SC_CTOR(merge_unit) {}

    void configure(const cm_hw &hw);
    void reset_layer() { rq_ctl_.valid = add_ctl_.valid = false; }
    // The tile's merge parameters (MUX select bits, requantizer constants)
    // read from the skip buffer's parameter bank, whose output holds them
    // for the tile (as threshold_unit::load): counts the read.
    void load(const layer_prog &L, buffers &buf);
    // The add stream's stages, last first: with [merge] add_stages = 2, ADD
    // (u = sat(Y + skip)) then RQ (Y = requantize(acc) of the output that
    // left ACC); with 1, one RQ+ADD stage: u = sat(requantize(acc) + skip),
    // no Y register.
    void step_stream(const issue_ctl &done, const int64_t *acc, const layer_prog &L,
                     buffers &buf);
    // The THR stage's merge, after the threshold unit latched `thr` and its code.
    void step_thr(const issue_ctl &thr, const int *code, const layer_prog &L, buffers &buf);

    const issue_ctl &rq_ctl() const { return rq_ctl_; }
    const issue_ctl &add_ctl() const { return add_ctl_; }
    const int64_t *u() const { return u_.data(); }          // [R] the ADD register
    const int *code() const { return code_.data(); }        // [R] the THR register
    const int64_t *thr_u() const { return thr_u_.data(); }  // [R] u carried with it

    toggle_counter tog;

private:
    void step_rq(const issue_ctl &done, const int64_t *acc, const layer_prog &L);
    // ADD from the control register src and the requantized values y.
    void step_add(const issue_ctl &src, const int64_t *y, const layer_prog &L, buffers &buf);

    int R_ = 0, A_ = 0, mul_bits_ = 0, skip_word_bits_ = 1, add_stages_ = 2;
    bool shift_rq_ = false;        // [merge] requant = shift
    int ls_bits_ = 0, rs_bits_ = 0, off_bits_ = 0, param_bits_ = 0;
    issue_ctl rq_ctl_, add_ctl_;
    std::vector<int64_t> y_;       // [R] requantized (the RQ register; add_stages = 2)
    std::vector<int64_t> y_wire_;  // [R] requantized, a wire (add_stages = 1)
    std::vector<int64_t> skipv_;   // [R] skip value register (add stream)
    std::vector<int64_t> u_;       // [R] stream value
    std::vector<int> code_;        // [R] merged code (the THR register)
    std::vector<int64_t> thr_u_;   // [R] u carried to POOL (skip write)
};

}  // namespace lsim

#endif

// sim/score.h: the score unit (one, shared) as a clocked module
// (docs/accelerator.md, the scores layer): WRITE latches each tile's
// accumulators into the score register file; after the last one the unit
// walks the classes, one a cycle, through MUL (rq_mul x acc), ADD (+ rq_add)
// and ARGMAX (units.h's score_value, argmax_step).
//
//     score.step_argmax(L); score.step_sadd(L); score.step_mul(L);
//     score.step_write(pe.done_ctl(), pe.acc(), L);
//
// Memory: the register file is sized by configure(); stepping does not allocate.
#ifndef LOGIQ_SIM_SCORE_H
#define LOGIQ_SIM_SCORE_H

#include <systemc>
#include <vector>

#include "sim/pipeline.h"

namespace lsim {

SC_MODULE(score_unit)
{
    SC_CTOR(score_unit) {}

    // A class's score as it left ADD into ARGMAX.
    struct stage {
        bool valid = false;
        int c = 0;
        int64_t v = 0;
    };

    void configure(const cm_hw &hw, int n_class);
    void reset_layer()
    {
        walking_ = false;
        walk_c_ = 0;
        mul_.valid = sadd_.valid = false;
    }
    void step_write(const issue_ctl &done, const int64_t *acc, const layer_prog &L);
    void step_mul(const layer_prog &L);
    void step_sadd(const layer_prog &L);
    // ARGMAX of what ADD latched; returns that (class, score), invalid if none.
    stage step_argmax();
    void trace(sc_core::sc_trace_file *tf) const;

    bool walking() const { return walking_; }
    bool mul_valid() const { return mul_.valid; }
    bool sadd_valid() const { return sadd_.valid; }
    int best_class() const { return argmax_.cls; }

    toggle_counter tog;

private:
    int R_ = 0;
    uint64_t acc_mask_ = 0;
    std::vector<int64_t> score_reg_;  // [n_class] the score register file
    bool walking_ = false;
    int walk_c_ = 0;
    stage mul_, sadd_;
    argmax_reg argmax_{0, 0};
};

}  // namespace lsim

#endif

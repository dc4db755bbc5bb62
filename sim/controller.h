// sim/controller.h: the accelerator's controller as a clocked module: the
// layer counter and the loop counters (tile, position, chunk, weight pass,
// activation plane, docs/accelerator.md's nesting), the phase (idle, CONFIG,
// run), the start bit and the pipeline's valid bits. Each cycle the top's
// process asks it for the current issue (issue()), lets the fetch unit act
// on it, then advances it (advance()). It also holds the registers of the
// controller's datapath that the RTL holds (rtl/rtl.c) and the cost model
// prices in control: the layer's descriptor, the address generator's running
// indices and the output word's write-back registers. The toggles of all of
// them are counted in CM_U_CONTROL, on bits() bits.
//
//     controller ctl("control");
//     ctl.configure();  ctl.start();            // an image is in bank 0
//     ctl.config_layer(prog.layers[0]);         // the CONFIG cycle
//     while (ctl.issuing()) { ... ctl.issue() ...; ctl.advance(); }
//
// Memory: registers only; nothing allocates.
#ifndef LOGIQ_SIM_CONTROLLER_H
#define LOGIQ_SIM_CONTROLLER_H

#include <systemc>

#include "sim/pipeline.h"
#include "sim/program.h"

namespace lsim {

SC_MODULE(controller)
{
    SC_CTOR(controller) {}

    enum class phase { IDLE, CONFIG, RUN };

    // The registers' widths are p's design's (p.ctl_w).
    void configure(const program &p);
    // The bits whose toggles are counted (the registers' widths).
    int bits() const { return bits_; }
    // Arms the start bit: the next edge is the first layer's CONFIG cycle.
    void start() { start_ = true; }
    // IDLE -> CONFIG on the edge after start(); false while idle.
    bool wake();
    // The CONFIG cycle of the current layer: loads its descriptor, clears the
    // loop counters, starts issuing.
    void config_layer(const layer_prog &L);
    // The control bits of the current issue (the FETCH register's next value).
    issue_ctl issue() const;
    // Steps the counters past the current issue (b, j, q, p, t innermost first).
    void advance();
    // The layer counter's next value at a layer's end (0 after the last);
    // false if that was the last layer.
    bool next_layer(int n_layers);
    // The write-back registers on an edge: the output word leaving pooling
    // (pool_last: its write is pending) and the output (its tile and
    // position) of the stage before THR, whose tags they take.
    void write_back(const issue_ctl &out, bool pool_last);
    // The stage registers' valid bits, as the controller holds them.
    void count_valid(uint64_t v)
    {
        tog.add(CM_U_CONTROL, valid_bits_, v);
        valid_bits_ = v;
    }
    void tick() { cycle_++; }

    phase state() const { return phase_; }
    void set_state(phase p) { phase_ = p; }
    bool idle() const { return phase_ == phase::IDLE && !start_; }
    bool issuing() const { return issuing_; }
    bool tile_start() const { return p_ == 0 && q_ == 0 && j_ == 0 && b_ == 0; }
    int layer() const { return layer_; }
    int t() const { return t_; }
    int p() const { return p_; }
    int q() const { return q_; }
    int j() const { return j_; }
    int b() const { return b_; }
    size_t win_base() const { return win_base_; }
    void trace(sc_core::sc_trace_file *tf) const;

    toggle_counter tog;

private:
    // the datapath's registers besides the loop counters and valid bits
    enum reg : int {
        R_RUNNING = DF_COUNT, R_ISSUING, R_LAYER,  // (0 .. DF_COUNT - 1: the descriptor's)
        R_VI, R_WI, R_WT, R_BO,                     // the running indices
        R_WR_PENDING, R_WR_WSKIP, R_WR_SIDE, R_WR_SKIP, R_WR_ADDR, R_WR_PLANE,
        R_WR_ROWS, R_WR_T, R_WR_P, R_WR_BITS,       // the write-back's
        N_REGS
    };
    void set(int r, uint64_t v)
    {
        v &= mask_[r];
        tog.add(CM_U_CONTROL, reg_[r], v);
        reg_[r] = v;
    }
    uint64_t counters() const
    {
        return (uint64_t)b_ | (uint64_t)j_ << CNT_J | (uint64_t)q_ << CNT_Q |
               (uint64_t)p_ << CNT_P | (uint64_t)t_ << CNT_T;
    }

    const layer_prog *L_ = nullptr;
    phase phase_ = phase::IDLE;
    bool start_ = false;
    int layer_ = 0;
    long long cycle_ = 0;  // edges since configure (traced)
    bool issuing_ = false;
    int t_ = 0, q_ = 0, j_ = 0, b_ = 0, p_ = 0;
    size_t win_base_ = 0;      // bit address of the current window's top-left (padded)
    uint64_t valid_bits_ = 0;  // the stages' valid bits, as last counted
    uint64_t reg_[N_REGS] = {}, mask_[N_REGS] = {};
    int n_layers_ = 0, R_ = 1, bits_ = 0;
    uint64_t bank_bits_ = 0;  // an activation bank's bits (the write-back's bank offset)
};

}  // namespace lsim

#endif

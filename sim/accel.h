// sim/accel.h: the clocked SystemC model of the reference accelerator
// (docs/accelerator.md): the controller, the fetch unit, the PE array, the
// post units (requantizer, stream adder, thresholds, OR/MUX merge), the
// pooling units and the score unit, stepped by ONE clocked SC_METHOD over all
// PEs (a process per PE would cost more than the work it models). The
// arithmetic is in sim/units.h; this module holds the pipeline registers,
// the buffers, the timing, the activity counters and the scoreboard.
//
// The clock: the process re-arms itself one period ahead at every edge
// (next_trigger(period)), so it runs once per cycle of simulated time, idle
// or not, exactly like a process sensitive to a clock's rising edge, without
// the kernel work of an sc_clock (two edge events and a signal update per
// cycle). One edge = one cycle. Each cycle the stages run from the last to
// the first, each reading the register its predecessor wrote in the previous
// cycle, so a value moves one stage per edge and a layer's cycle count is
// whatever the stepping takes (CONFIG, the issues, the drain): it is counted
// here, never computed, and cross-checked with the simulated time.
//
// Activity: every register and bus counts its toggles (the Hamming distance
// between successive values) into the unit kind that the cost model
// (costmodels/design.c) prices it in; toggle_bits[] holds the width of what
// is counted for each kind, so toggles / toggle_bits is an activity factor.
//
//     accel a("accel");                        // at elaboration, once
//     a.configure(&prog, period);              // at run time, per network
//     a.start_image(pixels, ref, i);  sc_start(watchdog);  // pauses when done
//
// Memory: buffers and registers are sized by configure(); stepping does not
// allocate.
#ifndef LOGIQ_SIM_ACCEL_H
#define LOGIQ_SIM_ACCEL_H

#include <systemc>
#include <vector>

extern "C" {
#include "costmodels/design.h"
}
#include "sim/program.h"
#include "sim/sim.h"
#include "sim/units.h"

namespace lsim {

// What the scoreboard compares against: the golden model's outputs of one image.
struct reference {
    const int32_t *const *act = nullptr;  // [layer] values after merge and pooling
    const int64_t *scores = nullptr;
    int pred = 0;
};

// Control bits carried with an issue down the pipeline (pipeline registers).
struct issue_ctl {
    bool valid = false;
    bool first = false, last = false;  // first / last issue of its output
    int shift = 0;                     // b + j
    int t = 0;                         // tile
    int p = 0;                         // position, pool-window-major
    uint64_t bits = 0;                 // the register's contents: shift, first, last, t, p
};

// The packing of issue_ctl::bits and of the controller's counters.
enum : int { CTL_FIRST = 4, CTL_LAST = 5, CTL_T = 6, CTL_P = 22 };
enum : int { CNT_J = 4, CNT_Q = 8, CNT_P = 24, CNT_T = 48 };

SC_MODULE(accel)
{
    SC_CTOR(accel)
    {
        SC_METHOD(step);
    }

    // Loads a network's program (kept by the caller), sizes the buffers and
    // sets the clock period (from the design's clock_mhz).
    void configure(const program *p, const sc_core::sc_time &period);
    // Writes the image into activation bank 0 and arms the start bit; the
    // next edge is layer 1's CONFIG cycle. image is the index reported in a
    // mismatch.
    void start_image(const uint8_t *pixels, const reference &ref, long long image);
    bool image_done() const { return phase_ == phase::IDLE && !start_; }
    // Adds a few registers of each unit to a trace file (--vcd): the
    // controller's counters, the fetch word, PE 0's popcounts, accumulator,
    // code and pool register, the score unit. Call once, before sc_start.
    void trace(sc_core::sc_trace_file *tf);

    // Results of the last image.
    int prediction() const { return pred_; }
    long long image_cycles() const { return image_cycles_; }
    // The same count from the simulated time: (end - start) / period + 1.
    long long image_time_cycles() const { return time_cycles_; }
    bool image_matched() const { return image_ok_; }
    // Accumulated over every image since configure().
    std::vector<long long> layer_cycles, layer_reads[CM_N_BUFS], layer_writes[CM_N_BUFS];
    std::vector<long long> layer_read_bits[CM_N_BUFS], layer_write_bits[CM_N_BUFS];
    std::vector<unsigned long long> layer_toggles[CM_N_UNITS];  // [unit][layer]
    double toggle_bits[CM_N_UNITS] = {};  // widths counted per unit kind (configure)
    bool has_mismatch = false;
    sim_mismatch first_mismatch{};

private:
    enum class phase { IDLE, CONFIG, RUN };

    void step();
    void count_read(cm_buffer b, long long bits)
    {
        reads_[b]++;
        read_bits_[b] += bits;
    }
    void count_write(cm_buffer b, long long bits)
    {
        writes_[b]++;
        write_bits_[b] += bits;
    }
    void tog(cm_unit_kind u, uint64_t before, uint64_t after)
    {
        tog_[u] += (unsigned)__builtin_popcountll(before ^ after);
    }
    void config_layer();
    void end_layer();
    void load_params(int t);
    bool advance(issue_ctl &dst, const issue_ctl &src);
    void stage_fetch();
    template <int WORDS> void stage_pop();
    void stage_acc();
    void stage_rq();
    void stage_add();
    void stage_thr();
    void stage_pool();
    void stage_write();
    void stage_mul();
    void stage_sadd();
    void stage_argmax();
    void count_valid_bits();
    bool pipeline_empty() const;
    void mismatch(sim_mismatch_kind kind, int channel, int y, int x, long long got,
                  long long want);

    const program *prog_ = nullptr;
    const layer_prog *L_ = nullptr;
    reference ref_;
    long long image_ = 0;
    bool image_ok_ = true;
    int pred_ = 0;
    long long image_cycles_ = 0, time_cycles_ = 0;
    sc_core::sc_time period_, t0_;
    int skip_word_bits_ = 1;
    int A_ = 0;                  // acc_bits
    uint64_t acc_mask_ = 0;      // its low bits
    int pop_bits_ = 0;           // bits of a popcount: cm_bits_for(lanes)
    int n_thr_hw_ = 0;           // comparators per PE: 2^max_act_bits - 1

    // this layer's activity, flushed into the per-layer totals at its end
    long long reads_[CM_N_BUFS] = {}, writes_[CM_N_BUFS] = {};
    long long read_bits_[CM_N_BUFS] = {}, write_bits_[CM_N_BUFS] = {};
    unsigned long long tog_[CM_N_UNITS] = {};

    // controller
    phase phase_ = phase::IDLE;
    bool start_ = false;
    int layer_ = 0;
    long long layer_cyc_ = 0;
    long long cycle_ = 0;  // edges since configure (traced)
    bool issuing_ = false;
    int t_ = 0, q_ = 0, j_ = 0, b_ = 0;
    int p_ = 0;
    size_t win_base_ = 0;  // bit address of the current window's top-left (padded)
    uint64_t valid_bits_ = 0;  // the stages' valid bits, as last counted

    // buffers
    bit_buffer bank_[2];
    std::vector<int64_t> skip_;  // [h][w][c] skip values of the merging layer
    int in_bank_ = 0;

    // pipeline registers; W words per lanes-bit word, R PEs
    int R_ = 0, W_ = 0;
    issue_ctl fetch_ctl_;
    std::vector<uint64_t> x_, g_, f_, valid_;  // [W] activation word, gate and flip buses
    std::vector<uint64_t> lane_mask_;         // [W] the lanes that exist
    const uint64_t *wsign_ = nullptr, *wmag_ = nullptr;  // the weight register: [R][W]
    std::vector<uint64_t> wzero_;             // [2][R][W] its value before any load
    issue_ctl pop_ctl_;
    std::vector<uint64_t> lpos_, lneg_;       // [R][W] lane logic buses
    std::vector<uint64_t> pos_, neg_;         // [R] popcount registers
    std::vector<int64_t> d_;                  // [R] subtractor bus
    std::vector<int64_t> sh_;                 // [R] shifter bus
    std::vector<int64_t> acc_;                // [R]
    issue_ctl done_ctl_;                      // an output left ACC (its value is acc_)
    issue_ctl rq_ctl_;
    std::vector<int64_t> y_;                  // [R] requantized
    std::vector<int64_t> skipv_;              // [R] skip value register (add stream)
    issue_ctl add_ctl_;
    std::vector<int64_t> u_;                  // [R] stream value
    issue_ctl thr_ctl_;
    std::vector<int64_t> thr_reg_;            // [R][n_thr_hw] threshold registers (A bits)
    std::vector<int64_t> rq_reg_;             // [R][3] requantizer constants
    std::vector<uint8_t> sel_reg_;            // [R] MUX select bits
    std::vector<uint64_t> cmp_;               // [R] comparator outputs (one bit each)
    std::vector<int> code_pre_;               // [R] the encoder's code (before the merge)
    std::vector<int> skipbit_;                // [R] skip bit register (or, mux)
    std::vector<int> code_;                   // [R] merged code (the THR register)
    std::vector<int64_t> thr_u_;              // [R] u carried to POOL (skip write)
    std::vector<int> pool_;                   // [R] running max

    // score unit
    std::vector<int64_t> score_reg_;          // [n_class] the score register file
    bool walking_ = false;
    int walk_c_ = 0;
    struct score_stage {
        bool valid = false;
        int c = 0;
        int64_t v = 0;
    } mul_, sadd_;
    argmax_reg argmax_{0, 0};
};

}  // namespace lsim

#endif

// sim/accel.h: the clocked SystemC model of the reference accelerator
// (docs/accelerator.md): the top module, whose children are the units, each
// an SC_MODULE holding its own registers and counting its own toggles:
//
//     controller     sim/controller.h   layer and loop counters, phase, valid bits
//     buffers        sim/buffers.h      activation banks (ping-pong), weight, skip SRAMs
//     fetch_unit     sim/fetch.h        FETCH: activation word, gating, weight register
//     pe_array       sim/pe_array.h     POP and ACC: lane logic, popcounts, accumulators
//     merge_unit     sim/merge.h        RQ, ADD (add stream); the OR / MUX merge in THR
//     threshold_unit sim/threshold.h    THR: comparators, encoder, threshold registers
//     pooling_unit   sim/pooling.h      POOL: running max, the output word's write
//     score_unit     sim/score.h        WRITE, MUL, ADD, ARGMAX of the scores layer
//
// The arithmetic is in the plain classes of sim/units.h. The top owns the
// one clocked process, the scoreboard and the per-layer activity totals.
//
// The clock: ONE clocked SC_METHOD (step) re-arms itself one period ahead at
// every edge (next_trigger(period)), so it runs once per cycle of simulated
// time, idle or not, exactly like a process sensitive to a clock's rising
// edge, without the kernel work of an sc_clock (two edge events and a signal
// update per cycle). At each edge it steps the children's stages from the
// last to the first, each reading the registers its predecessor latched on
// the previous edge (a register read before it is written in the same
// process is the register's output), so a value moves one stage per edge.
// A process per unit with sc_signals between them would describe the same
// registers at about 20-25 ns more per process and cycle (the project's
// measurement of SystemC 2.3 on its machine; a cycle costs 110-170 ns with
// one process), more than a third of the model's speed for eight units. A
// layer's cycle count is whatever
// the stepping takes (CONFIG, the issues, the drain): it is counted here,
// never computed, and cross-checked with the simulated time.
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
#include "sim/buffers.h"
#include "sim/controller.h"
#include "sim/fetch.h"
#include "sim/merge.h"
#include "sim/pe_array.h"
#include "sim/pipeline.h"
#include "sim/pooling.h"
#include "sim/program.h"
#include "sim/score.h"
#include "sim/sim.h"
#include "sim/threshold.h"
#include "sim/units.h"

namespace lsim {

// What the scoreboard compares against: the golden model's outputs of one image.
struct reference {
    const int32_t *const *act = nullptr;  // [layer] values after merge and pooling
    const int64_t *scores = nullptr;
    int pred = 0;
};

SC_MODULE(accel)
{
    controller ctl;
    buffers buf;
    fetch_unit fetch;
    pe_array pe;
    threshold_unit thr;
    merge_unit mrg;
    pooling_unit pool;
    score_unit score;

    SC_CTOR(accel)
        : ctl("control"), buf("buffers"), fetch("fetch"), pe("pe_array"), thr("threshold"),
          mrg("merge"), pool("pooling"), score("score")
    {
        SC_METHOD(step);
        SC_METHOD(fall);
        sensitive << fall_ev_;
        dont_initialize();
    }

    // Loads a network's program (kept by the caller), sizes the buffers and
    // sets the clock period (from the design's clock_mhz).
    void configure(const program *p, const sc_core::sc_time &period);
    // Writes the image into activation bank 0 and arms the start bit; the
    // next edge is layer 1's CONFIG cycle. image is the index reported in a
    // mismatch.
    void start_image(const uint8_t *pixels, const reference &ref, long long image);
    bool image_done() const { return ctl.idle(); }
    // Adds a few registers of each unit to a trace file (--vcd): the clock,
    // the controller's counters, the fetch word, PE 0's popcounts, accumulator,
    // code and pool register, the score unit. Call after configure(), with
    // the simulation paused (SystemC traces only what it is given before the
    // file's first time step).
    void trace(sc_core::sc_trace_file *tf);
    // Stops driving the traced clock's falling edges (the trace is closed).
    void untrace() { tracing_ = false; }

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
    void step();
    void fall() { clk_ = false; }
    void config_layer();
    void end_layer();
    uint64_t valid_bits() const;
    bool pipeline_empty() const { return valid_bits() == 0; }
    void check_output(const pool_write &w);
    void check_score(const score_unit::stage &s);
    void mismatch(sim_mismatch_kind kind, int channel, int y, int x, long long got,
                  long long want);

    const program *prog_ = nullptr;
    const layer_prog *L_ = nullptr;
    reference ref_;
    long long image_ = 0;
    bool image_ok_ = true;
    int pred_ = 0;
    long long image_cycles_ = 0, time_cycles_ = 0, layer_cyc_ = 0;
    sc_core::sc_time period_, t0_;
    // The waveform's clock (accel.clk): high from each edge to half a period
    // after it. Driven only while a trace is open (its falling edge is an
    // event more a cycle, which the untraced model does not pay).
    bool clk_ = false, tracing_ = false;
    sc_core::sc_event fall_ev_;
};

}  // namespace lsim

#endif

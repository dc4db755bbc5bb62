// rtl/cosim.h: the Verilator co-simulation harness of the RTL (docs/rtl.md):
// loads a network's program into a Verilated logiq_accel through its load
// port, the way the SystemC model's buffers hold it (lsim::program_build:
// the same weight words, thresholds, address generator tables and bank
// layouts), runs test images, and checks every written output word, every
// class score and the prediction against the golden integer model
// (nn_infer_image), and each layer's cycles against the analytic count
// (costmodels/latency.h).
//
//     Vlogiq_accel top;                         // one design, compiled once
//     lrtl::cosim cs(top, hw, cfg);             // hw: the design logiq rtl wrote
//     if (!cs.load(q, msg)) ... msg             // any network the design holds
//     cs.run(pixels, n);                        // may be called again
//     cs.stats().mismatched_images, cs.stats().layer_cycles[l] ...
//
// Compiled only together with a Verilated design (tests/CMakeLists.txt).
// Memory: the program and the golden model's workspace, owned by the cosim.
#ifndef LOGIQ_RTL_COSIM_H
#define LOGIQ_RTL_COSIM_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Vlogiq_accel.h"

extern "C" {
#include "costmodels/design.h"
#include "nn/infer.h"
#include "rtl/rtl.h"
}
#include "sim/program.h"

namespace lrtl {

struct stats {
    long long images = 0, mismatched_images = 0, correct = 0;
    long long cycles = 0;                     // all images, edges from start to done
    std::vector<long long> layer_cycles;      // [layer] summed over the images
    std::vector<long long> analytic;          // [layer] cm_layer_cycles, one image
    long long analytic_image = 0;
    long long words_checked = 0, scores_checked = 0;
    std::string first_mismatch;               // empty if none
    // Activity (count_toggles): bit toggles of the registers and buses of
    // each unit kind (rtl_toggle_kind), summed over the edges counted,
    // and the bits counted per kind
    long long toggles[CM_N_UNITS] = {};
    long long toggle_bits[CM_N_UNITS] = {};
};

class cosim {
public:
    cosim(Vlogiq_accel &top, const cm_hw &hw, const rtl_config &cfg);
    ~cosim();
    cosim(const cosim &) = delete;
    cosim &operator=(const cosim &) = delete;
    // The design for q on the RTL's hw (cm_design_eval), its program, and
    // the load of every memory. False with a message if the design cannot
    // hold q or the RTL does not cover it.
    bool load(const nn_qnn &q, std::string &msg);
    // n images [n][in_h][in_w][in_c]; labels may be null. False (msg) only
    // on a hang (the watchdog); mismatches are results (stats()).
    bool run(const uint8_t *pixels, int n, const uint8_t *labels, std::string &msg);
    const stats &result() const { return st_; }
    // Counts the toggles of the RTL's registers and buses from now on: every
    // variable rtl_toggle_kind names, compared after each rising edge with
    // its value before (the loads' edges change none of them). Needs a model
    // Verilated with logiq rtl's logiq_accel.vlt (those variables in the
    // scope tables); false with a message if it was not.
    bool count_toggles(std::string &msg);

private:
    void tick();
    void tally();
    void load_word(int sel, uint64_t addr, const std::vector<uint32_t> &w);
    void mismatch(const std::string &what);

    Vlogiq_accel &top_;
    cm_hw hw_;
    rtl_config cfg_;
    rtl_widths w_{};
    const nn_qnn *q_ = nullptr;
    std::unique_ptr<cm_design> design_;
    lsim::program prog_;
    nn_infer_ws ws_{};
    bool ws_ok_ = false;
    stats st_;
    bool image_bad_ = false;
    std::vector<uint32_t> bank_data_, bank_en_;  // an image's bank words and their enables
    struct watched {
        const uint8_t *p;        // the variable's storage (Verilator's: whole bytes)
        size_t off, bytes;       // its place in prev_, its size
        int kind;
    };
    std::vector<watched> watch_;
    std::vector<uint8_t> prev_;  // the watched variables' values after the last edge
    bool counting_ = false;
};

}  // namespace lrtl

#endif

// sim/pipeline.h: what the accelerator's clocked modules share: the control
// bits that travel with an issue down the pipeline (each stage's control
// register), the packing of those bits and of the controller's counters
// (whose toggles are counted), and the toggle counter each module keeps for
// the activity-based energy model.
//
//     issue_ctl c = ...;                       // a stage register's next value
//     tog.add(CM_U_PIPEREG, popc(old.bits ^ c.bits));
//
// Memory: plain values; nothing allocates.
#ifndef LOGIQ_SIM_PIPELINE_H
#define LOGIQ_SIM_PIPELINE_H

#include <cstdint>

extern "C" {
#include "costmodels/design.h"
}
#include "sim/program.h"

namespace lsim {

inline unsigned popc(uint64_t v) { return (unsigned)__builtin_popcountll(v); }

inline uint64_t low_mask(int bits)
{
    return bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
}

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

// The toggles a module counted in the current layer, per unit kind (the
// kind the cost model prices the register or bus in; a module's registers
// may belong to several kinds, e.g. its stage register to PIPEREG). The top
// collects them at the end of each layer.
struct toggle_counter {
    unsigned long long n[CM_N_UNITS] = {};
    void add(cm_unit_kind u, unsigned long long t) { n[u] += t; }
    void add(cm_unit_kind u, uint64_t before, uint64_t after) { n[u] += popc(before ^ after); }
    void clear()
    {
        for (unsigned long long &v : n)
            v = 0;
    }
};

// A stage's control register takes its predecessor's (its toggles counted
// on the pipeline registers, or for the add stream's RQ and ADD stages on
// the merge units); false, with the stage idle, when that is a bubble.
inline bool advance(issue_ctl &dst, const issue_ctl &src, toggle_counter &tog,
                    cm_unit_kind unit = CM_U_PIPEREG)
{
    if (!src.valid) {
        dst.valid = false;
        return false;
    }
    tog.add(unit, dst.bits, src.bits);
    dst = src;
    return true;
}

// The PEs of tile t that hold a channel (the last tile may be partial).
inline int tile_rows(const layer_prog &L, int t, int R)
{
    const int left = L.q->out_c - t * R;
    return left < R ? left : R;
}

}  // namespace lsim

#endif

// sim/program.h: what the accelerator holds for one network: per layer the
// descriptor the controller loads in its CONFIG cycle (loop bounds, shapes,
// buffer layouts), the weight planes packed as the weight buffer delivers
// them (per tile, chunk and pass, one lanes-bit word per PE), the thresholds
// as stored (saturated to acc_bits), and the merge and score parameters.
//
//     lsim::program prog;
//     if (!lsim::program_build(prog, q, hw, msg, sizeof msg)) ... msg
//
// Buffer layouts are the simulator's own: an activation bank holds each
// bit-plane of a map as [h + 2 pad][w + 2 pad][c] bits (pad = the reading
// layer's), so one window row is one run of bits; the fetch unit gates the
// padding with its valid bits, so what lies there never matters.
// Memory: std::vectors, built once per network.
#ifndef LOGIQ_SIM_PROGRAM_H
#define LOGIQ_SIM_PROGRAM_H

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" {
#include "costmodels/hw.h"
#include "costmodels/latency.h"
#include "costmodels/net.h"
#include "costmodels/units.h"
}
extern "C" {
#include "nn/qnn.h"
}
#include "sim/units.h"

namespace lsim {

enum class layer_kind { PLAIN, RES, SCORES };

// A map in an activation bank: planes x [hp][wp][c] bits.
struct map_layout {
    int planes = 0, h = 0, w = 0, c = 0, pad = 0;
    int hp = 0, wp = 0;
    size_t plane_bits = 0;  // hp * wp * c
    size_t addr(int plane, int y, int x, int ch) const  // y, x unpadded
    {
        return (size_t)plane * plane_bits + (((size_t)(y + pad) * wp + (x + pad)) * c + ch);
    }
};

// One run of a chunk's lanes: fan_in bits [ky * run + off, + len) of the
// window, at lanes [lane, lane + len) (all inside one 64-lane word).
struct chunk_seg {
    int ky, off, len, lane;
};

struct layer_prog {
    const nn_qnn_layer *q = nullptr;
    layer_kind kind = layer_kind::PLAIN;
    int index = 0;                       // 0-based
    // loop bounds (docs/accelerator.md)
    int T = 0, Q = 0, Bw = 0, Ba = 0;
    int P = 0;
    int pool = 1, ph = 0, pw = 0;        // pool window k (1 = none), pooled output shape
    int fan_in = 0, run = 0;             // run: bits of one window row (k * in_c; dense: fan_in)
    size_t row_stride = 0;               // bits between window rows in the bank
    int words = 1;                       // 64-bit words per lanes-bit word
    plane_kind in_kind = plane_kind::ZERO_ONE;
    bool in_signed = false;              // a tern / pow2 input: in.planes code bits, Ba = act_q
    int act_q = 0;                       // its q (the value c - q's magnitudes 2^0..2^(q-1))
    bool out_sign = false;
    int out_bits = 0, n_thr = 0;
    merge_kind merge = merge_kind::NONE;
    mux_variant mux = mux_variant::OR;
    bool res = false;
    int res_bits = 0, rq_shift = 0;
    // [out_c] the requantizer's shift form (hw.requant == CM_RQ_SHIFT on an
    // add stream; the design check guarantees every multiplier is +-2^e)
    std::vector<nn_rq_shift> rq_sf;
    bool writes_skip = false;            // write the output to the skip buffer (a later
                                         // layer merges it)
    bool skip_add = false;               // ... as the unpooled stream u (an add's skip)
    bool side = false;                   // a projection shortcut: the output goes to the
                                         // skip buffer only, not to a bank
    int in_bank = 0, out_bank = 1;       // the banks read and written
    // the merge's skip in the skip buffer: its source's map (w, c) and the
    // pad shortcut's subsampling (the skip of output (y, x) is at (s y, s x),
    // channels past skip_c are 0)
    int skip_w = 0, skip_c = 0, skip_stride = 1;
    // where in the skip buffer (values) the layer reads its skip and writes
    // its output (cm_net_skip_layout)
    size_t skip_rd_base = 0, skip_wr_base = 0;
    map_layout in, out;                  // out: the input layout of the layer reading it
    std::vector<chunk_seg> segs;         // all chunks' runs
    std::vector<int> seg_begin;          // [Q + 1]
    bit_buffer valid;                    // the input layout's valid bits (one plane)
    bool shift = false;                  // on the shift PE path (costmodels' cm_layer_shift)
    // The weight buffer's words (docs/accelerator.md, "Weight words"):
    // [t][q][r][words] sign words, [t][q][j][r][words] magnitude words (on
    // the shift path: bit 0 of the exponent codes, j = 0), [t][q][k][r][words]
    // bit k + 1 of the codes (shift path only; otherwise empty: 0).
    // Offset-binary layers (sign_per_pass): a sign word per pass,
    // [t][q][j][r][words], NOT c_j, and magnitude words of ones. Pow2 layers
    // on the bit planes (code_bits > 0): no magnitude words but
    // [t][q][k][r][words] bit k of the exponent codes, which the fetch unit
    // decodes to each pass's magnitude bits.
    bool sign_per_pass = false;
    int code_bits = 0;
    std::vector<uint64_t> wsign, wmag, wexp, wcode;
    std::vector<int64_t> thr;            // [out_c][n_thr], saturated to acc_bits
    // per position p (pool-window-major): the output position and the bit
    // address of its input window's top-left in the bank (the address
    // generator's sequence, tabulated once)
    std::vector<int> oy, ox;             // [P]
    // (a side layer reads the layout its block's first layer reads: its
    // windows start win_off = that layer's pad - its own further in)
    std::vector<size_t> win;             // [P]
    std::vector<uint64_t> valid_words;   // [P][Q][words]: each chunk's valid lanes
    // the layer's first entries in the design's tables, laid out layer after
    // layer as the RTL's memories hold them (rtl/cosim.cpp loads them; its
    // descriptor holds these bases): weight words, positions, chunks, valid
    // words, threshold tile words, requantizer tile words
    long long w_base = 0, pos_base = 0, chunk_base = 0, valid_base = 0, thr_base = 0,
              rq_base = 0;
    // whether position p is its pool window's first or last
    bool window_first(int p) const { return oy[p] % pool == 0 && ox[p] % pool == 0; }
    bool window_last(int p) const
    {
        return oy[p] % pool == pool - 1 && ox[p] % pool == pool - 1;
    }
};

// Entry p of layer L's position table (the RTL's position memory): its
// window's bit address in the bank, its pooled output's (channel 0, plane 0;
// 0 in the scores layer), whether it is its pool window's first and last,
// and the skip buffer addresses of its skip (channel 0) and of its output
// (channel 0; 0 where the layer writes no skip there).
struct pos_entry {
    uint64_t win = 0, out = 0, skip_rd = 0, skip_wr = 0;
    bool first = false, last = false;
};
pos_entry position_entry(const layer_prog &L, int p);

// The fields of a layer's descriptor, loaded by the controller in the
// layer's CONFIG cycle, in the order of the RTL's descriptor words
// (rtl/rtl.h, enum rtl_desc, which rtl/cosim.cpp checks).
enum desc_field : int {
    DF_SCORES, DF_T, DF_P, DF_Q, DF_BW, DF_BA, DF_IN_BANK, DF_IN_SIGN, DF_IN_PLANE_BITS,
    DF_OUT_PLANE_BITS, DF_OUT_BITS, DF_OUT_C, DF_W_BASE, DF_POS_BASE, DF_CHUNK_BASE,
    DF_VALID_BASE, DF_THR_BASE, DF_LAST, DF_MERGE, DF_MUX_SEL, DF_SKIP_C, DF_WRITES_SKIP,
    DF_SIDE, DF_RES, DF_RQ_SHIFT, DF_RQ_BASE, DF_WCODE, DF_SHIFT, DF_COUNT
};
// Layer L's descriptor of a network of n_layers layers.
void layer_descriptor(const layer_prog &L, int n_layers, uint64_t f[DF_COUNT]);

struct program {
    cm_hw hw{};                          // resolved
    int n_exp = 1, exp_bits = 0;         // a shift PE's exponents E and its exponent code's bits
                                         // above bit 0, bits(E) - 1 (1, 0: bit-plane PE)
    bool mag_reg = false;                // the fetch unit's pow2 decoders exist: their
                                         // decoded magnitude bits are a register
    int n_layers = 0, n_class = 0;
    int in_h = 0, in_w = 0, in_c = 0;
    std::vector<layer_prog> layers;
    size_t bank_bits = 0;                // the largest map layout (both banks)
    size_t skip_values = 0;              // the largest skip tensor, in values
    // the controller's register widths and an activation bank's bits, as
    // the design sizes them for the network (cm_design's ctl_sizes); set by
    // the simulator after program_build
    cm_ctl_widths ctl_w{};
    long long ctl_bank_bits = 0;
};

// Builds the program of q for hw (already checked feasible); net is q as the
// cost models see it (which layers take the shift path). Returns false with
// a message on an inconsistency the simulator does not support.
bool program_build(program &p, const nn_qnn &q, const cm_hw &hw, const cm_net &net, char *msg,
                   size_t size);

}  // namespace lsim

#endif

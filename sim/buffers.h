// sim/buffers.h: the accelerator's SRAMs as one clocked module's storage:
// the two activation banks (ping-pong), the weight buffer (every layer's
// packed weight planes and parameters, as the program holds them) and the
// skip buffer, with the access counters of each (reads and writes, and the
// bits each access moves). The units call into it from the top's clocked
// process; it has no process of its own (an SRAM's port is the caller's
// address and enable in the same cycle).
//
//     buffers buf("buffers");
//     buf.configure(prog);                       // sizes the banks, clears counters
//     uint64_t w = buf.act(bank).get(addr, 64);  buf.count_read(CM_BUF_ACT, lanes);
//
// Memory: the banks and the skip buffer are sized by configure(); the weight
// buffer's contents are the program's (kept by the caller).
#ifndef LOGIQ_SIM_BUFFERS_H
#define LOGIQ_SIM_BUFFERS_H

#include <systemc>
#include <vector>

#include "sim/pipeline.h"
#include "sim/program.h"
#include "sim/units.h"

namespace lsim {

SC_MODULE(buffers)
{
    SC_CTOR(buffers) {}

    void configure(const program &p);

    // the activation bank a layer reads (its input: bank l % 2) and writes
    bit_buffer &act(int bank) { return bank_[bank]; }
    const bit_buffer &act(int bank) const { return bank_[bank]; }
    // the skip buffer: [h][w][c] values of the merging layer's skip tensor
    int64_t *skip() { return skip_.data(); }
    // the weight buffer: PE r's sign word of tile t, chunk q ([R][words])
    // (of pass j on an offset-binary layer), and its magnitude word of pass j
    static const uint64_t *weight_sign(const layer_prog &L, int R, int t, int q, int j)
    {
        if (L.sign_per_pass)
            return L.wsign.data() + (((size_t)t * L.Q + q) * L.Bw + j) * (size_t)R * L.words;
        return L.wsign.data() + ((size_t)t * L.Q + q) * (size_t)R * L.words;
    }
    // a pow2 layer's exponent codes on the bit planes ([code_bits][R][words])
    static const uint64_t *weight_code(const layer_prog &L, int R, int t, int q)
    {
        return L.wcode.data() + ((size_t)t * L.Q + q) * (size_t)L.code_bits * R * L.words;
    }
    static const uint64_t *weight_mag(const layer_prog &L, int R, int t, int q, int j)
    {
        return L.wmag.data() + (((size_t)t * L.Q + q) * L.Bw + j) * (size_t)R * L.words;
    }
    // its exponent field ([exp_bits][R][words]: the exponent codes' bits 1..)
    // on the shift path; nullptr
    // on the bit planes (the field loads 0)
    static const uint64_t *weight_exp(const layer_prog &L, int R, int exp_bits, int t, int q)
    {
        if (!L.shift)
            return nullptr;
        return L.wexp.data() + ((size_t)t * L.Q + q) * (size_t)exp_bits * R * L.words;
    }

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
    // This layer's accesses, added into the per-layer totals and cleared.
    void flush(size_t layer, std::vector<long long> *reads, std::vector<long long> *writes,
               std::vector<long long> *read_bits, std::vector<long long> *write_bits);

private:
    bit_buffer bank_[2];
    std::vector<int64_t> skip_;
    long long reads_[CM_N_BUFS] = {}, writes_[CM_N_BUFS] = {};
    long long read_bits_[CM_N_BUFS] = {}, write_bits_[CM_N_BUFS] = {};
};

}  // namespace lsim

#endif

// sim/buffers.cpp: the SRAMs' sizing and access bookkeeping (buffers.h).
#include "sim/buffers.h"

namespace lsim {

void buffers::configure(const program &p)
{
    bank_[0].resize(p.bank_bits);
    bank_[1].resize(p.bank_bits);
    skip_.assign(p.skip_values, 0);
    for (int b = 0; b < CM_N_BUFS; b++)
        reads_[b] = writes_[b] = read_bits_[b] = write_bits_[b] = 0;
}

void buffers::flush(size_t l, std::vector<long long> *reads, std::vector<long long> *writes,
                    std::vector<long long> *read_bits, std::vector<long long> *write_bits)
{
    for (int b = 0; b < CM_N_BUFS; b++) {
        reads[b][l] += reads_[b];
        writes[b][l] += writes_[b];
        read_bits[b][l] += read_bits_[b];
        write_bits[b][l] += write_bits_[b];
        reads_[b] = writes_[b] = read_bits_[b] = write_bits_[b] = 0;
    }
}

}  // namespace lsim

/* costmodels/energy.c: the per-operation and SRAM energy rules of energy.h. */
#include "costmodels/energy.h"

#include <math.h>

static const double add32_pj = 0.1;      /* Horowitz 2014, 32-bit integer add */
static const double mul32_pj = 3.1;      /* 32-bit integer multiply */
static const double sram64_8k_pj = 10.0; /* 64-bit read of an 8 KB SRAM */
static const double sram_cell_um2 = 0.346;
static const double sram_efficiency = 0.7;
static const double sram_periphery_um2 = 2000.0;
static const double sram_leak_nw_per_bit = 0.02;

double cm_energy_add_pj(int bits)
{
    return add32_pj * bits / 32.0;
}

double cm_energy_mul_pj(int a_bits, int b_bits)
{
    return mul32_pj * a_bits * b_bits / 1024.0;
}

double cm_energy_gate_pj(const struct cm_lib *lib, enum cm_cell gate)
{
    return cm_energy_add_pj(1) * lib->cell[gate].nand2_eq / lib->cell[CM_FA].nand2_eq;
}

double cm_energy_popcount_pj(int n)
{
    return n > 1 ? (n - 1) * cm_energy_add_pj(1) : 0.0;
}

double cm_sram_access_pj(double size_bits, double max_word_bits, double access_bits)
{
    if (size_bits <= 0.0 || access_bits <= 0.0)
        return 0.0;
    double banks = fmax(1.0, ceil(max_word_bits / 64.0));
    return sram64_8k_pj * (access_bits / 64.0) * sqrt(size_bits / banks / 65536.0);
}

double cm_sram_area_um2(double bits)
{
    if (bits <= 0.0)
        return 0.0;
    return bits * sram_cell_um2 / sram_efficiency + sram_periphery_um2;
}

double cm_sram_leakage_nw(double bits)
{
    return bits > 0.0 ? bits * sram_leak_nw_per_bit : 0.0;
}

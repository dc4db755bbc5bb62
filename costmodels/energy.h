/* costmodels/energy.h: energy per operation and per SRAM access, and the
 * activity-to-energy function.
 *
 * Operation energies come from M. Horowitz, "Computing's energy problem (and
 * what we can do about it)", ISSCC 2014, 45 nm at 0.9 V:
 *
 *     integer add   8 bit 0.03 pJ    32 bit 0.1 pJ
 *     integer mult  8 bit 0.2 pJ     32 bit 3.1 pJ
 *     SRAM read, 64 bit:  8 KB 10 pJ,  32 KB 20 pJ,  1 MB 100 pJ
 *
 * Scaling rules (stated once, here):
 *   - an n-bit add (and subtract, compare, accumulate) costs n/32 of the
 *     32-bit add: 0.1 pJ * n / 32 (linear in the carry chain; it gives
 *     0.025 pJ at 8 bits against Horowitz's 0.03);
 *   - an a x b-bit multiply costs 3.1 pJ * a * b / 1024 (an array
 *     multiplier's partial products; 0.19 pJ at 8 x 8 against 0.2);
 *   - a one-bit logic operation (AND, XNOR, OR, MUX) costs the one-bit add,
 *     0.1/32 pJ, times the gate's NAND2 equivalents over the full adder's
 *     (both from the cell library): the same energy per unit of area;
 *   - a popcount of n bits costs n - 1 one-bit adds (its tree has about
 *     n full adders, each reducing the bit count by one);
 *   - an SRAM of S bits whose widest access is W bits is built of
 *     B = max(1, ceil(W / 64)) banks 64 bits wide, of S / B bits each; an
 *     access of w bits costs 10 pJ * (w / 64) * sqrt((S / B) / 65536):
 *     Horowitz's three 64-bit points fit with exponent 1/2 (8 KB -> 10,
 *     32 KB -> 20, 1 MB -> 113 against 100 pJ), the bit-line energy growing
 *     with the side of a square bank; writes cost the same as reads.
 *
 * SRAM area and leakage per bit, 45 nm: the 6T bit cell of Intel's 45 nm
 * process is 0.346 um^2 (Mistry et al., IEDM 2007); with the periphery an
 * array reaches about 70% cell efficiency, so 0.346 / 0.7 = 0.494 um^2 a bit,
 * plus 2000 um^2 of fixed periphery per macro (decoders, sense amplifiers:
 * an estimate, stated as such). Leakage: 20 pW a bit (an order-of-magnitude
 * estimate for a 45 nm high-density array at room temperature, not a
 * measurement).
 *
 * Pure functions; no I/O. */
#ifndef LOGIQ_CM_ENERGY_H
#define LOGIQ_CM_ENERGY_H

#include "costmodels/cells.h"

double cm_energy_add_pj(int bits);
double cm_energy_mul_pj(int a_bits, int b_bits);
double cm_energy_gate_pj(const struct cm_lib *lib, enum cm_cell gate);
double cm_energy_popcount_pj(int n);
double cm_sram_access_pj(double size_bits, double max_word_bits, double access_bits);
double cm_sram_area_um2(double bits);
double cm_sram_leakage_nw(double bits);

#endif

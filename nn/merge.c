/* nn/merge.c: the residual merges of a main path a and a skip r, both
 * [rows][c] (or n flat elements), and the residual stream's fixed-point
 * rounding nn_resq.
 *
 *   OR      y = a + r - a*r               da += dy (1 - r),   dr += dy (1 - a)
 *   MUX_OR  y = a + m (r - a r)           da += dy (1 - m r), dr += dy m (1 - a),
 *                                         dm += sum_rows dy (r - a r)
 *   MUX_SEL y = a + m (r - a)             da += dy (1 - m),   dr += dy m,
 *                                         dm += sum_rows dy (r - a)
 *   ADD     y = a + r                     da += dy,           dr += dy
 * m [c] is a per-channel select (in {0,1} in the network, real in gradient
 * checks). Any of da, dr, dm may be NULL (skipped).
 *
 *   RESQ    q = floor(x 2^frac + 1/2), out = clamp(q, -2^(bits-1), 2^(bits-1)-1) / 2^frac;
 *           din += dout where q is inside the clamp range (straight through),
 *           nothing where it is clamped.
 * The rounding is done in double, where x 2^frac + 1/2 is exact for every
 * float x in range, so out is exactly the round-half-up fixed-point value.
 *
 * Elementwise loops are OpenMP static; dm's sum over rows uses fixed row
 * blocks added in block order (same for any thread count). */
#include "nn/layers.h"

#include <assert.h>
#include <math.h>

enum {
    PAR_MIN = 1 << 15,  /* elements below which threads cost more than they save */
    DM_BLOCKS = 16,     /* fixed row blocks of dm's partial sums */
    DM_CHUNK = 256,     /* channels per pass: 16 x 256 doubles = 32 KiB of stack */
};

void nn_merge_or_forward(float *y, const float *a, const float *r, size_t n)
{
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + r[i] - a[i] * r[i];
}

void nn_merge_or_backward(float *da, float *dr, const float *dy,
                          const float *a, const float *r, size_t n)
{
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        if (da != NULL)
            da[i] += dy[i] * (1.0f - r[i]);
        if (dr != NULL)
            dr[i] += dy[i] * (1.0f - a[i]);
    }
}

void nn_merge_mux_forward(float *y, const float *a, const float *r, const float *m,
                          int rows, int c, enum nn_mux_variant v)
{
    const size_t n = (size_t)rows * c;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (int i = 0; i < rows; i++) {
        const float *restrict ai = a + (size_t)i * c;
        const float *restrict ri = r + (size_t)i * c;
        float *restrict yi = y + (size_t)i * c;
        if (v == NN_MUX_OR)
            for (int j = 0; j < c; j++)
                yi[j] = ai[j] + m[j] * (ri[j] - ai[j] * ri[j]);
        else
            for (int j = 0; j < c; j++)
                yi[j] = ai[j] + m[j] * (ri[j] - ai[j]);
    }
}

/* The quantity m multiplies: r - a r (MUX_OR) or r - a (MUX_SEL). */
static float mux_gate(float a, float r, enum nn_mux_variant v)
{
    return v == NN_MUX_OR ? r - a * r : r - a;
}

/* dm [c0, c0 + cc) += sum over rows of dy * gate. */
static void mux_dm_chunk(float *dm, const float *dy, const float *a, const float *r,
                         int rows, int c, int c0, int cc, enum nn_mux_variant v)
{
    double part[DM_BLOCKS][DM_CHUNK];
#pragma omp parallel for schedule(static) if ((size_t)rows * cc >= PAR_MIN)
    for (int b = 0; b < DM_BLOCKS; b++) {
        double s[DM_CHUNK] = {0};
        const int lo = (int)((long long)rows * b / DM_BLOCKS);
        const int hi = (int)((long long)rows * (b + 1) / DM_BLOCKS);
        for (int i = lo; i < hi; i++) {
            const size_t o = (size_t)i * c + c0;
            for (int j = 0; j < cc; j++)
                s[j] += (double)(dy[o + j] * mux_gate(a[o + j], r[o + j], v));
        }
        for (int j = 0; j < cc; j++)
            part[b][j] = s[j];
    }
    for (int j = 0; j < cc; j++) {
        double s = 0.0;
        for (int b = 0; b < DM_BLOCKS; b++)
            s += part[b][j];
        dm[c0 + j] += (float)s;
    }
}

void nn_merge_mux_backward(float *da, float *dr, float *dm, const float *dy,
                           const float *a, const float *r, const float *m,
                           int rows, int c, enum nn_mux_variant v)
{
    const size_t n = (size_t)rows * c;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (int i = 0; i < rows; i++) {
        const size_t o = (size_t)i * c;
        for (int j = 0; j < c; j++) {
            const float g = dy[o + j];
            if (v == NN_MUX_OR) {
                if (da != NULL)
                    da[o + j] += g * (1.0f - m[j] * r[o + j]);
                if (dr != NULL)
                    dr[o + j] += g * m[j] * (1.0f - a[o + j]);
            } else {
                if (da != NULL)
                    da[o + j] += g * (1.0f - m[j]);
                if (dr != NULL)
                    dr[o + j] += g * m[j];
            }
        }
    }
    if (dm == NULL)
        return;
    for (int c0 = 0; c0 < c; c0 += DM_CHUNK)
        mux_dm_chunk(dm, dy, a, r, rows, c, c0, c - c0 < DM_CHUNK ? c - c0 : DM_CHUNK, v);
}

void nn_merge_add_forward(float *y, const float *a, const float *r, size_t n)
{
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + r[i];
}

void nn_merge_add_backward(float *da, float *dr, const float *dy, size_t n)
{
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        if (da != NULL)
            da[i] += dy[i];
        if (dr != NULL)
            dr[i] += dy[i];
    }
}

void nn_resq_forward(float *out, const float *in, size_t n, int res_bits, int frac_bits)
{
    assert(res_bits >= 1 && res_bits <= 32);
    const double scale = ldexp(1.0, frac_bits);
    const double inv = ldexp(1.0, -frac_bits);
    const double hi = ldexp(1.0, res_bits - 1) - 1.0;
    const double lo = -ldexp(1.0, res_bits - 1);
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        double q = floor((double)in[i] * scale + 0.5);
        q = q < lo ? lo : q > hi ? hi : q;
        out[i] = (float)(q * inv);
    }
}

void nn_resq_backward(float *din, const float *dout, const float *in, size_t n,
                      int res_bits, int frac_bits)
{
    assert(res_bits >= 1 && res_bits <= 32);
    const double scale = ldexp(1.0, frac_bits);
    const double hi = ldexp(1.0, res_bits - 1) - 1.0;
    const double lo = -ldexp(1.0, res_bits - 1);
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        const double q = floor((double)in[i] * scale + 0.5);
        if (q >= lo && q <= hi)
            din[i] += dout[i];
    }
}

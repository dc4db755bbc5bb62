/* nn/quant_fp.c: the full-precision "quantizer" (spec "fp").
 *
 * fake copies the weights, grad copies the gradient, fit does nothing. It has
 * no codes (K = 0, levels 0, nn_wq_bits 0) and no to_int: an fp layer cannot
 * be exported to integers. Used for the first/last layers of mixed models and
 * as the float baseline. */
#include <string.h>

#include "nn/quant_impl.h"

void nn_quant_fp_fit(struct nn_wq *q, const float *w, int cout, int fan_in, int init)
{
    (void)q;
    (void)w;
    (void)cout;
    (void)fan_in;
    (void)init;
}

void nn_quant_fp_fake(const struct nn_wq *q, float *wq, const float *w, int cout, int fan_in)
{
    (void)q;
    if (wq != w)
        memmove(wq, w, (size_t)cout * (size_t)fan_in * sizeof *wq);
}

void nn_quant_fp_grad(const struct nn_wq *q, float *dw, const float *dwq, const float *w,
                      int cout, int fan_in)
{
    (void)q;
    (void)w;
    nn_quant_grad_identity(dw, dwq, (size_t)cout * (size_t)fan_in);
}

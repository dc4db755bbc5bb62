/* nn/dense.c: the fully-connected layer as SGEMMs.
 *
 *   in   [n][din]     w [dout][din]     b [dout] or NULL     out [n][dout]
 *   forward   out      = in * w^T + b
 *   backward  dw      += dout^T * in        [dout][n] * [n][din]
 *             db      += column sums of dout (skipped when db is NULL)
 *             din     += dout * w           (skipped when din is NULL)
 * A feature map [n][h][w][c] enters flattened in NHWC order (din = h*w*c).
 *
 * Not here: activation, quantization of w (callers pass fake-quantized
 * weights). */
#include "nn/layers.h"

#include <cblas.h>
#include <string.h>

void nn_dense_forward(float *out, const float *in, const float *w, const float *b,
                      int n, int din, int dout)
{
    float beta = 0.0f;
    if (b != NULL) {
        for (int i = 0; i < n; i++)
            memcpy(out + (size_t)i * dout, b, (size_t)dout * sizeof(float));
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, dout, din,
                1.0f, in, din, w, din, beta, out, dout);
}

void nn_dense_backward(float *din_grad, float *dw, float *db, const float *dout_grad,
                       const float *in, const float *w, int n, int din, int dout)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dout, din, n,
                1.0f, dout_grad, dout, in, din, 1.0f, dw, din);
    if (db != NULL) {
        for (int i = 0; i < n; i++) {
            const float *row = dout_grad + (size_t)i * dout;
            for (int j = 0; j < dout; j++)
                db[j] += row[j];
        }
    }
    if (din_grad != NULL)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, din, dout,
                    1.0f, dout_grad, dout, w, din, 1.0f, din_grad, din);
}

/* nn/xent.c: softmax cross-entropy over k classes.
 *
 *   logits, probs, dlogits [n][k],  labels [n] in [0, k)
 *   forward   probs = softmax(logits) row by row (the row max subtracted
 *             first), returns loss = mean over rows of
 *             -log p[label] = log sum exp(l - max) - (l[label] - max),
 *             computed from the log-sum-exp, so it is finite for any finite logits.
 *   backward  OVERWRITES dlogits = (probs - onehot(labels)) / n: the gradient
 *             of the mean loss, the start of the backward pass.
 *
 * Not here: label smoothing, class weights. */
#include "nn/layers.h"

#include <assert.h>
#include <math.h>

float nn_xent_forward(float *probs, const float *logits, const int *labels, int n, int k)
{
    assert(n >= 1 && k >= 1);
    double loss = 0.0;
    for (int i = 0; i < n; i++) {
        const float *l = logits + (size_t)i * k;
        float *p = probs + (size_t)i * k;
        assert(labels[i] >= 0 && labels[i] < k);
        float mx = l[0];
        for (int j = 1; j < k; j++)
            mx = l[j] > mx ? l[j] : mx;
        double sum = 0.0;
        for (int j = 0; j < k; j++) {
            p[j] = expf(l[j] - mx);
            sum += p[j];
        }
        const float inv = (float)(1.0 / sum);
        for (int j = 0; j < k; j++)
            p[j] *= inv;
        loss += log(sum) - ((double)l[labels[i]] - mx);
    }
    return (float)(loss / n);
}

void nn_xent_backward(float *dlogits, const float *probs, const int *labels, int n, int k)
{
    const float inv_n = 1.0f / (float)n;
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * k;
        float *d = dlogits + (size_t)i * k;
        for (int j = 0; j < k; j++)
            d[j] = p[j] * inv_n;
        d[labels[i]] -= inv_n;
    }
}

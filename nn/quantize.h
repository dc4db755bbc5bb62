/* nn/quantize.h: quantizing a trained real-valued model without training it
 * again: the data-free and post-training settings of TQuant/MQuant
 * (papers.md 3a; `logiq quantize`, docs/definitions.md "Quantizing a trained
 * model").
 *
 * Data-free: load the checkpoint with the chosen weight quantizer
 * (nn_ckpt_load_model with NN_CKPT_WQ_REFIT fits it to the real weights) and
 * export. Post-training: also re-estimate every batch norm's running
 * statistics on calibration images with the quantized weights
 * (nn_bn_calibrate), then export; batch norm then folds into the thresholds
 * with the new statistics.
 *
 *     nn_bn_calibrate(&model, &train, idx, 2000, NN_NORM_SCALE, NULL, NULL, &err);
 *
 * Memory: nn_bn_calibrate allocates its batch and statistics buffers for the
 * call and frees them before returning. Nothing here prints. */
#ifndef LOGIQ_NN_QUANTIZE_H
#define LOGIQ_NN_QUANTIZE_H

#include "nn/data.h"
#include "nn/model.h"
#include "nn/status.h"

/* Called after every batch: layer (1-based, of the model's layers), layers
 * (the model's layer count), images of that layer's pass done, and n. */
typedef void (*nn_calib_progress_fn)(void *ctx, int layer, int layers, int done, int n);

/* Re-estimates the running mean and variance of every hidden layer's batch
 * norm on the images idx[0..n) of ds (n >= 2), in order, layer by layer: the
 * statistics of layer l are measured in evaluation mode, after layers
 * 1..l-1 got theirs, so each is exactly the mean and the unbiased variance
 * (as in training's running_var) of its pre-activation over the calibration
 * images in the network as it will be deployed. One forward pass over the n
 * images per hidden layer. The weights are fake-quantized with the layers'
 * current quantizer state (fit them first). norm: how pixels become the input
 * (NN_NORM_MEANSTD uses the mean and std of all of ds). */
enum nn_status nn_bn_calibrate(struct nn_model *m, const struct nn_dataset *ds, const int *idx,
                               int n, enum nn_norm norm, nn_calib_progress_fn progress,
                               void *ctx, struct nn_error *err);

#endif

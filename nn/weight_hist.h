/* nn/weight_hist.h: the histogram of a model's real-valued weights per layer
 * and its quantizers' thresholds, as a CSV file (format in weight_hist.c and
 * docs/training-log.md). Written by `logiq train` beside its log, drawn by
 * `logiq report` (the HEQ paper's Figures 1 and 3).
 *
 *     nn_weight_hist_write(&model, "model.weights.csv", &err);
 *
 * The file is written under a temporary name and renamed. */
#ifndef LOGIQ_NN_WEIGHT_HIST_H
#define LOGIQ_NN_WEIGHT_HIST_H

#include "nn/model.h"

#define NN_WHIST_BINS 80

enum nn_status nn_weight_hist_write(const struct nn_model *m, const char *path,
                                    struct nn_error *err);

#endif

/* nn/quantize.c: batch-norm re-estimation for post-training quantization
 * (nn/quantize.h).
 *
 * Statistics are combined over batches with Chan et al.'s pairwise update
 * (each batch's mean and sum of squared deviations by two passes in double,
 * then merged), so a large calibration set loses no precision to
 * sum-of-squares cancellation. Not here: choosing and fitting the weight
 * quantizer (nn/ckpt.c loads a checkpoint with any quantizer) and the export
 * (nn/export.c). */
#include "nn/quantize.h"

#include <stdlib.h>
#include <string.h>

enum nn_status nn_bn_calibrate(struct nn_model *m, const struct nn_dataset *ds, const int *idx,
                               int n, enum nn_norm norm, nn_calib_progress_fn progress,
                               void *ctx, struct nn_error *err)
{
    const struct nn_model_config *cfg = &m->cfg;
    if (n < 2 || n > ds->n)
        return nn_fail(err, NN_ERR_ARG, "calibration: %d images requested, expected 2..%d", n,
                       ds->n);
    if (ds->h != cfg->in_h || ds->w != cfg->in_w || ds->c != cfg->in_c)
        return nn_fail(err, NN_ERR_ARG, "calibration images are %dx%dx%d, the model expects "
                       "%dx%dx%d", ds->h, ds->w, ds->c, cfg->in_h, cfg->in_w, cfg->in_c);
    float mean_px[16] = {0}, std_px[16] = {0};
    if (norm == NN_NORM_MEANSTD) {
        if (ds->c > 16)
            return nn_fail(err, NN_ERR_ARG, "mean/std normalization supports up to 16 channels");
        nn_data_channel_stats(ds, mean_px, std_px);
    }
    int max_c = 1;
    for (int i = 0; i < m->n_layers; i++)
        max_c = m->layers[i].out_c > max_c ? m->layers[i].out_c : max_c;
    const int B = cfg->max_batch;
    const size_t img = (size_t)cfg->in_h * cfg->in_w * cfg->in_c;
    float *x = malloc((size_t)B * img * sizeof *x);
    int *y = malloc((size_t)B * sizeof *y);
    double *stat = malloc((size_t)max_c * 4 * sizeof *stat);
    if (!x || !y || !stat) {
        free(x);
        free(y);
        free(stat);
        return nn_fail(err, NN_ERR_NOMEM, "calibration: out of memory for the batch buffers");
    }
    double *mean = stat, *m2 = stat + max_c, *bmean = stat + 2 * max_c, *bm2 = stat + 3 * max_c;
    for (int l = 0; l < m->n_layers; l++) {
        struct nn_layer *L = &m->layers[l];
        if (!L->hidden)
            continue;
        const int C = L->out_c;
        double count = 0.0;
        memset(mean, 0, (size_t)C * sizeof *mean);
        memset(m2, 0, (size_t)C * sizeof *m2);
        for (int first = 0; first < n; first += B) {
            const int nb = n - first < B ? n - first : B;
            nn_data_batch(ds, idx + first, nb, norm, mean_px, std_px, NULL, NULL, x, y);
            nn_model_forward(m, x, nb, NN_EVAL);
            size_t per_image;
            const float *z = nn_model_bn_input(m, l, &per_image); /* [rows][C] */
            const size_t rows = (size_t)nb * per_image;
            memset(bmean, 0, (size_t)C * sizeof *bmean);
            memset(bm2, 0, (size_t)C * sizeof *bm2);
            for (size_t r = 0; r < rows; r++)
                for (int c = 0; c < C; c++)
                    bmean[c] += z[r * C + c];
            for (int c = 0; c < C; c++)
                bmean[c] /= (double)rows;
            for (size_t r = 0; r < rows; r++)
                for (int c = 0; c < C; c++) {
                    double d = z[r * C + c] - bmean[c];
                    bm2[c] += d * d;
                }
            const double nr = (double)rows, tot = count + nr;
            for (int c = 0; c < C; c++) {
                double delta = bmean[c] - mean[c];
                mean[c] += delta * nr / tot;
                m2[c] += bm2[c] + delta * delta * count * nr / tot;
            }
            count = tot;
            if (progress)
                progress(ctx, l + 1, m->n_layers, first + nb, n);
        }
        for (int c = 0; c < C; c++) {
            L->run_mean[c] = (float)mean[c];
            L->run_var[c] = (float)(m2[c] / (count > 1.0 ? count - 1.0 : 1.0));
        }
    }
    free(x);
    free(y);
    free(stat);
    return NN_OK;
}

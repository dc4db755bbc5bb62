/* nn/weight_hist.c: the real-valued weights of each layer as a histogram,
 * with the quantizer's decision thresholds: the data of the HEQ paper's
 * Figures 1 and 3 (papers.md 1a), which the .qnn (codes only) cannot give.
 *
 * CSV, long form, one row per bar or threshold:
 *     layer,quantizer,kind,x,count
 *     1,heq:3,bin,-0.0412,3          bin: x = the bar's centre, count = weights
 *     1,heq:3,thr,-0.0137,           thr: x = a decision threshold
 * Bars: NN_WHIST_BINS equal bins over [-max|w|, max|w|] of the layer.
 * Thresholds: where the code of scale group 0 (the layer, or output channel
 * 0 with /ch) changes, found on a grid of 8,001 points over the same range
 * and placed between the two grid points (so within max|w|/4000 of the true
 * threshold), whatever the quantizer: no per-kind formula to keep in step. */
#include "nn/weight_hist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GRID = 8001 };

static float max_abs(const float *w, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fabsf(w[i]) > m ? fabsf(w[i]) : m;
    return m;
}

static void layer_rows(FILE *f, const struct nn_model *m, int li, float *grid, int8_t *code)
{
    const struct nn_layer *L = &m->layers[li];
    const size_t n = (size_t)L->out_c * L->fan_in;
    char spec[64];
    nn_wq_spec(&L->wq, spec, sizeof spec);
    float M = max_abs(L->w, n);
    if (!(M > 0.0f))
        M = 1.0f;
    long count[NN_WHIST_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        int b = (int)((L->w[i] + M) / (2.0f * M) * NN_WHIST_BINS);
        b = b < 0 ? 0 : b >= NN_WHIST_BINS ? NN_WHIST_BINS - 1 : b;
        count[b]++;
    }
    for (int b = 0; b < NN_WHIST_BINS; b++)
        fprintf(f, "%d,%s,bin,%.9g,%ld\n", li + 1, spec,
                (double)(-M + (2.0f * M) * ((float)b + 0.5f) / NN_WHIST_BINS), count[b]);
    if (!L->wq.ops->to_int)
        return; /* fp: no codes, no thresholds */
    for (int i = 0; i < GRID; i++)
        grid[i] = -M + 2.0f * M * (float)i / (float)(GRID - 1);
    L->wq.ops->to_int(&L->wq, code, grid, 1, GRID);
    for (int i = 1; i < GRID; i++)
        if (code[i] != code[i - 1])
            fprintf(f, "%d,%s,thr,%.9g,\n", li + 1, spec, 0.5 * ((double)grid[i - 1] + grid[i]));
}

enum nn_status nn_weight_hist_write(const struct nn_model *m, const char *path,
                                    struct nn_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    float *grid = malloc(GRID * sizeof *grid);
    int8_t *code = malloc(GRID);
    FILE *f = grid && code ? fopen(tmp, "w") : NULL;
    if (!f) {
        free(grid);
        free(code);
        return grid && code ? nn_fail(err, NN_ERR_WRITE, "%s: cannot write: %s", tmp, strerror(errno))
                            : nn_fail(err, NN_ERR_NOMEM, "out of memory");
    }
    fprintf(f, "layer,quantizer,kind,x,count\n");
    for (int li = 0; li < m->n_layers; li++)
        layer_rows(f, m, li, grid, code);
    free(grid);
    free(code);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return nn_fail(err, NN_ERR_WRITE, "%s: cannot write", path);
    }
    return NN_OK;
}

/* nn/infer.h: the integer reference inference, the golden model.
 *
 * Pure integer arithmetic on the contents of a .qnn (nn/qnn.h gives the exact
 * semantics of one layer). The accuracy `logiq train` reports at its end and
 * `logiq eval` prints is this model's; sim/ must match it bit for bit.
 *
 *     struct nn_infer_ws ws;
 *     nn_infer_ws_init(&ws, &model, &err);
 *     int pred = nn_infer_image(&model, &ws, pixels);   // pixels [h][w][c] uint8
 *     // ws.act[l] now holds layer l's output values (after merge and pooling)
 *     nn_infer_ws_free(&ws);
 *
 * Memory: nn_infer_ws_init allocates every buffer once; inference does not
 * allocate. One workspace per thread. */
#ifndef LOGIQ_NN_INFER_H
#define LOGIQ_NN_INFER_H

#include <stdint.h>

#include "nn/data.h"
#include "nn/qnn.h"

struct nn_infer_ws {
    int n_layers;
    int32_t **acc;     /* [l] accumulators [out_h][out_w][out_c] */
    int32_t **res;     /* [l] residual stream u (res layers only, else NULL) */
    int32_t **act;     /* [l] output values after merge and pooling [h][w][c]; for the
                          last layer, NULL (scores are in `scores`) */
    int64_t *scores;   /* [n_class] */
    int16_t *col;      /* scratch: one output position's input window (im2col row),
                          [max fan_in]; internal to nn/infer.c */
    int32_t *skip;     /* scratch: a gathered skip (pad shortcut), or NULL */
};

/* The default limit of an inference workspace: one larger (a model whose
 * declared shapes need more than any real network) is refused by
 * nn_infer_ws_init before anything is allocated. logiq's --max-memory sets
 * another through nn_infer_ws_init_max. */
#define NN_INFER_MAX_MEM_GIB 16.0
/* The bytes of m's workspace (one per thread). */
double nn_infer_ws_bytes(const struct nn_qnn *m);
/* nn_infer_ws_init_max with the default limit. */
enum nn_status nn_infer_ws_init(struct nn_infer_ws *ws, const struct nn_qnn *m,
                                struct nn_error *err);
/* Allocates m's workspace, refusing (NN_ERR_FORMAT, naming both sizes) one
 * over max_gib GiB (<= 0: NN_INFER_MAX_MEM_GIB). */
enum nn_status nn_infer_ws_init_max(struct nn_infer_ws *ws, const struct nn_qnn *m,
                                    double max_gib, struct nn_error *err);
void nn_infer_ws_free(struct nn_infer_ws *ws);

/* Runs one image [in_h][in_w][in_c] and returns the predicted class. */
int nn_infer_image(const struct nn_qnn *m, struct nn_infer_ws *ws, const uint8_t *pixels);

/* Runs every image of ds (shapes must match m; checked) with n_threads
 * workers (0 = the OpenMP default) and returns the number of correct
 * predictions in *n_correct; pred [ds->n] receives the predictions if not NULL.
 * The workers' workspaces together may take max_gib GiB (<= 0: the default
 * NN_INFER_MAX_MEM_GIB); more is refused before any is allocated. */
enum nn_status nn_infer_dataset(const struct nn_qnn *m, const struct nn_dataset *ds,
                                int n_threads, double max_gib, int *n_correct, int *pred,
                                struct nn_error *err);

#endif

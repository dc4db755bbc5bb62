/* tests/qonnx_pred.c: the integer model's answers for tests/qonnx_test.py.
 *
 *     qonnx_pred model.qnn IDX_DIR N
 *
 * Runs nn/infer.c on the first N test images of the MNIST-format folder and
 * prints one line per image: the predicted class, then the integer values
 * of the last layer's input (the output of layer src of the last layer,
 * NHWC order), so the test compares every channel's threshold decision, not
 * only the argmax. Exit 0, or 2 with a message. */
#include <stdio.h>
#include <stdlib.h>

#include "nn/data.h"
#include "nn/infer.h"
#include "nn/qnn.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: qonnx_pred model.qnn IDX_DIR N\n");
        return 2;
    }
    struct nn_error err = {{0}};
    struct nn_qnn m;
    struct nn_dataset ds = {0};
    struct nn_infer_ws ws = {0};
    int n = atoi(argv[3]);
    if (nn_qnn_read(&m, argv[1], &err) != NN_OK) {
        fprintf(stderr, "qonnx_pred: %s\n", err.msg);
        return 2;
    }
    int rc = 0;
    if (nn_data_load_idx_dir(&ds, argv[2], NN_SPLIT_TEST, &err) != NN_OK ||
        nn_infer_ws_init(&ws, &m, &err) != NN_OK) {
        fprintf(stderr, "qonnx_pred: %s\n", err.msg);
        rc = 2;
    }
    const struct nn_qnn_layer *last = &m.layers[m.n_layers - 1];
    size_t feat = (size_t)last->in_h * last->in_w * last->in_c;
    size_t img = (size_t)ds.h * ds.w * ds.c;
    for (int i = 0; rc == 0 && i < n && i < ds.n; i++) {
        int p = nn_infer_image(&m, &ws, ds.x + (size_t)i * img);
        printf("%d", p);
        if (last->src > 0)
            for (size_t j = 0; j < feat; j++)
                printf(" %d", ws.act[last->src - 1][j]);
        putchar('\n');
    }
    nn_infer_ws_free(&ws);
    nn_data_free(&ds);
    nn_qnn_free(&m);
    return rc;
}

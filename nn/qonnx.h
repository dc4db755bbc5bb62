/* nn/qonnx.h: QONNX in and out: a .qnn integer model from a QONNX graph,
 * and a .qnn written as one.
 *
 *     struct nn_qnn m;
 *     struct nn_error err;
 *     if (nn_qonnx_import(&m, "model.onnx", &err) != NN_OK)   // m zeroed on failure
 *         fprintf(stderr, "%s\n", err.msg);                   // names the node and why
 *     nn_qonnx_export(&m, "again.onnx", &err);               // import(export(m)) == m, bit for bit
 *     nn_qnn_free(&m);
 *
 * The graphs are read and written with protobuf-c over ONNX's own schema
 * (onnx.proto, generated at build time). What is exact and what is refused
 * is docs/qonnx.md; in short, an imported layer is
 *
 *   Conv | Gemm | MatMul  on an integer activation, weights from Quant
 *       (signed, zero point 0) or BipolarQuant, power-of-two scales,
 *   then any chain of bias Add, per-channel Mul, BatchNormalization, Relu,
 *   then one quantizer: Quant (unsigned B bits, or signed narrow 2 bits),
 *       BipolarQuant, Sign or MultiThreshold,
 *   or, for an add residual stream, a signed FLOOR Quant of an exact affine
 *       chain (the requantizer), an Add of two streams and the saturating
 *       Quant (the add merge), then one quantizer on the stream;
 *   a MultiThreshold's code may go through Cast (int64) and Gather from a
 *       table of levels: pow2 activations;
 *   then optionally a residual Add of two {0,1} tensors quantized back to
 *       {0,1} (logiq's OR merge; with the skip, and for the sel variant the
 *       output, multiplied by per-channel selects: the MUX merge), the skip
 *       maybe a strided Slice and a Pad of zero channels (the pad shortcut),
 *       and a MaxPool (kernel = stride);
 *
 * and the last layer's float scores an exact affine map of its integer
 * accumulator. The integer thresholds are found by evaluating the graph's
 * own float64 operations at the integer accumulator values (they are
 * monotone), so the imported model's codes equal a float64 evaluation of the
 * graph for every input; the weights and scales make that evaluation's sums
 * exact. Anything else is refused with one line naming the node and why.
 *
 * Memory: the importer allocates the model's arrays (nn_qnn_free releases
 * them); everything it parsed is freed before it returns. Nothing prints. */
#ifndef LOGIQ_NN_QONNX_H
#define LOGIQ_NN_QONNX_H

#include <stddef.h>
#include <stdint.h>

#include "nn/qnn.h"
#include "nn/status.h"

/* The custom-op domain of Quant, BipolarQuant and MultiThreshold (the
 * older finn.custom_op.general is read too). */
#define NN_QONNX_DOMAIN "qonnx.custom_op.general"

/* Reads an ONNX file and converts it (NN_ERR_IO if unreadable,
 * NN_ERR_FORMAT naming the node otherwise). */
enum nn_status nn_qonnx_import(struct nn_qnn *m, const char *path, struct nn_error *err);
/* The same on a serialized ModelProto in memory; name is the file named in
 * messages. */
enum nn_status nn_qonnx_import_mem(struct nn_qnn *m, const uint8_t *buf, size_t len,
                                   const char *name, struct nn_error *err);

/* Writes m as a QONNX graph, atomically. NN_ERR_ARG naming the layer for
 * what is not exact in float64 (requantizer products of 2^53 or more);
 * NN_ERR_WRITE if the file cannot be written. */
enum nn_status nn_qonnx_export(const struct nn_qnn *m, const char *path, struct nn_error *err);
/* The serialized ModelProto in a fresh buffer (*buf, free() it). */
enum nn_status nn_qonnx_export_mem(const struct nn_qnn *m, uint8_t **buf, size_t *len,
                                   struct nn_error *err);

#endif

#!/usr/bin/python3
"""tests/qonnx_test.py: QONNX import and export (docs/qonnx.md).

    qonnx_test.py LOGIQ QONNX_PRED SCRATCH_DIR

Builds QONNX graphs with onnx.helper (binary, ternary and 2-bit networks,
a binary one with residual Adds that are logiq's OR merges, one with
add residual streams: requantizer, Add, saturating Quant, and one with MUX
merges of both variants, the pad shortcut (Slice, Pad) and pow2 activations
(MultiThreshold, Cast, Gather)), evaluates
each with the NumPy reference below (float64, every node as QONNX defines
it), imports it with `logiq import` and compares, on the first 1000
Fashion-MNIST test images, the integer model's prediction and the integer
values of the last layer's input (tests/qonnx_pred.c) with the reference's;
`logiq cost` and `logiq sim` (bit-exact) then run on the imported model.
Tolerance policy: none; everything compared is an integer and must be equal.

Then the round trip: `logiq export` of each imported model, the reference's
evaluation of the exported graph (must equal the .qnn's integer answers), and
`logiq import` of it again (must give the same .qnn bytes); the same for
models logiq trains (TRAINED: add merges, MUX merges of both variants,
resnet20-or's pad shortcut, pow2 activations). And the errors:
graphs logiq's hardware cannot run are refused with exit 2 and one line
naming the node.

Weights are random (seeded) and batch norms are calibrated on the images so
that thresholds fall among the values the data reaches, with some channels
negated (a decreasing chain) and some thresholds on values the accumulator
takes exactly (the >= at a tie). Exit 0 pass, 1 fail, 77 skip.
"""
import gzip
import os
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover
    print("SKIP test_qonnx: %s (Debian python3-onnx, python3-numpy)" % e)
    sys.exit(77)

DATA = "/usr/share/datasets/fashion-mnist"
N_IMAGES = 1000
QDOM = "qonnx.custom_op.general"


# ---- the data ----

def load_images(n):
    path = os.path.join(DATA, "t10k-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    x = np.frombuffer(raw[16:16 + n * rows * cols], dtype=np.uint8)
    return x.reshape(n, 1, rows, cols).astype(np.float64)


# ---- the NumPy reference: every node as QONNX / ONNX define it ----

def conv(x, w, stride, pad):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - k) // stride + 1
    ow = (wd + 2 * pad - k) // stride + 1
    cols = np.empty((n, oh, ow, c, k, k))
    for ky in range(k):
        for kx in range(k):
            cols[:, :, :, :, ky, kx] = xp[:, :, ky:ky + stride * oh:stride,
                                          kx:kx + stride * ow:stride].transpose(0, 2, 3, 1)
    y = cols.reshape(n * oh * ow, c * k * k) @ w.reshape(o, -1).T
    return y.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)


def chan(v, ndim):
    """A per-channel vector shaped to broadcast on axis 1."""
    v = np.asarray(v, dtype=np.float64)
    if v.size == 1:
        return v.reshape(())
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def quant(x, scale, zp, bw, signed, narrow, mode):
    if signed:
        lo = -(2 ** (bw - 1)) + (1 if narrow else 0)
        hi = 2 ** (bw - 1) - 1
    else:
        lo, hi = 0, 2 ** bw - 1 - (1 if narrow else 0)
    y = x / scale + zp
    y = np.clip(y, lo, hi)
    y = {"ROUND": np.round, "FLOOR": np.floor, "CEIL": np.ceil,
         "ROUND_TO_ZERO": np.fix}[mode](y)
    return (y - zp) * scale


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def evaluate(model, images, want=()):
    """Runs the graph on images [N, 1, H, W] (float64 pixels); returns the
    graph output and the tensors named in want."""
    g = model.graph
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for k in list(env):
        if env[k].dtype != np.int64:
            env[k] = env[k].astype(np.float64)
    inits = set(env)
    env[[i.name for i in g.input if i.name not in inits][0]] = images
    for node in g.node:
        a = attrs(node)
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            k = a.get("kernel_shape", [x[1].shape[2]])[0]
            y = conv(x[0], x[1], a.get("strides", [1])[0], a.get("pads", [0])[0])
            if len(x) > 2:
                y = y + chan(x[2], 4)
        elif op == "Gemm":
            w = x[1].T if a.get("transB", 0) else x[1]
            y = x[0] @ w
            if len(x) > 2:
                y = y + x[2]
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op == "BatchNormalization":
            d = x[0].ndim
            y = (x[0] - chan(x[3], d)) / np.sqrt(chan(x[4], d) + a.get("epsilon", 1e-5)) \
                * chan(x[1], d) + chan(x[2], d)
        elif op == "Relu":
            y = np.maximum(x[0], 0.0)
        elif op == "Sign":
            y = np.sign(x[0])
        elif op in ("Add", "Mul"):
            y = x[0] + x[1] if op == "Add" else x[0] * x[1]
        elif op == "MaxPool":
            p = a["kernel_shape"][0]
            n, c, h, w = x[0].shape
            y = x[0][:, :, :h // p * p, :w // p * p].reshape(n, c, h // p, p, w // p, p) \
                .max(axis=(3, 5))
        elif op == "Flatten":
            y = x[0].reshape(x[0].shape[0], -1)
        elif op == "Cast":
            y = x[0].astype(np.int64)
        elif op == "Slice":
            axes = x[3] if len(x) > 3 else range(len(x[1]))
            steps = x[4] if len(x) > 4 else [1] * len(x[1])
            sl = [slice(None)] * x[0].ndim
            for ax, st, en, sp in zip(axes, x[1], x[2], steps):
                sl[ax] = slice(st, en, sp)
            y = x[0][tuple(sl)]
        elif op == "Pad":
            assert a.get("mode", b"constant") in (b"constant", "constant")
            p = np.asarray(x[1]).reshape(2, -1).T
            y = np.pad(x[0], p, constant_values=x[2] if len(x) > 2 and x[2] is not None else 0)
        elif op == "Gather":
            y = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif op == "Quant":
            y = quant(x[0], x[1], x[2], int(x[3]), a.get("signed", 1), a.get("narrow", 0),
                      a.get("rounding_mode", b"ROUND").decode()
                      if isinstance(a.get("rounding_mode", b"ROUND"), bytes)
                      else a.get("rounding_mode", "ROUND"))
        elif op == "BipolarQuant":
            y = np.where(x[0] >= 0, 1.0, -1.0) * x[1]
        elif op == "MultiThreshold":
            t = x[1]
            d = x[0].ndim
            cnt = np.zeros_like(x[0])
            for j in range(t.shape[1]):
                cnt = cnt + (x[0] >= chan(t[:, j], d))
            y = a.get("out_scale", 1.0) * cnt + a.get("out_bias", 0.0)
        else:
            raise RuntimeError("reference: op %s" % op)
        env[node.output[0]] = y
    return env[g.output[0].name], [env[w] for w in want]


# ---- graph building ----

class Net:
    """Builds a QONNX graph layer by layer, calibrating each batch norm on
    the images as it goes (the reference evaluates the graph built so far)."""

    def __init__(self, name, images, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.images = images[:200]
        self.n = 0

    def init(self, name, arr, dtype=np.float32):
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    def node(self, op, ins, name=None, domain=None, **kw):
        self.n += 1
        out = "%s_%d" % (op.lower(), self.n)
        nd = helper.make_node(op, ins, [out], name=name or out, **kw)
        if domain:
            nd.domain = domain
        self.nodes.append(nd)
        return out

    def model(self, output, out_type=TensorProto.FLOAT, n_out=10):
        g = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 28, 28])],
            [helper.make_tensor_value_info(output, out_type, [1, n_out])], self.inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                                   helper.make_opsetid(QDOM, 1)])

    def value(self, tensor):
        """The tensor's values on the calibration images (graph so far)."""
        m = self.model(tensor)
        _, (v,) = evaluate(m, self.images, [tensor])
        return v

    def weights(self, shape, kind, per_channel=False):
        w = self.init("w%d" % self.n, self.rng.normal(0, 1, shape))
        if kind == "bin":
            s = self.init("ws%d" % self.n, 2.0 ** -3)
            return self.node("BipolarQuant", [w, s], domain=QDOM)
        bits, narrow = {"tern": (2, 1), "int2": (2, 0)}[kind]
        exps = self.rng.integers(-3, 0, shape[0]) if per_channel else -1
        s = self.init("ws%d" % self.n, 2.0 ** (exps.reshape(-1, *([1] * (len(shape) - 1)))
                                               if per_channel else exps))
        zp = self.init("wz%d" % self.n, 0.0)
        b = self.init("wb%d" % self.n, float(bits))
        return self.node("Quant", [w, s, zp, b], domain=QDOM, signed=1, narrow=narrow,
                         rounding_mode="ROUND")

    def bn(self, x, tie=True, zero_center=True):
        """BatchNormalization calibrated on the data: mean and variance per
        channel, random gammas (a quarter negative), small betas. Channel 0's
        mean is a value the pre-activation takes exactly (with beta 0: a
        tie at the quantizer's threshold)."""
        v = self.value(x)
        axes = (0, 2, 3) if v.ndim == 4 else (0,)
        mean = v.mean(axis=axes)
        var = v.var(axis=axes) + 1e-3
        c = mean.size
        gamma = self.rng.uniform(0.5, 1.5, c) * np.where(self.rng.random(c) < 0.25, -1, 1)
        beta = self.rng.normal(0, 0.3, c) if not zero_center else np.zeros(c)
        beta[1::2] = self.rng.normal(0, 0.3, beta[1::2].size)
        if tie:
            flat = np.moveaxis(v, 1, -1).reshape(-1, c)
            mean[0] = np.median(flat[:, 0])
            beta[0] = 0.0
        ins = [x, self.init("g%d" % self.n, gamma), self.init("b%d" % self.n, beta),
               self.init("m%d" % self.n, mean), self.init("v%d" % self.n, var)]
        return self.node("BatchNormalization", ins, epsilon=1e-5)

    def conv(self, x, cin, cout, kind, k=3, stride=1, pad=1, bias=False, per_channel=False):
        w = self.weights((cout, cin, k, k), kind, per_channel)
        ins = [x, w]
        if bias:
            ins.append(self.init("cb%d" % self.n, self.rng.normal(0, 2, cout)))
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad] * 4)

    def gemm(self, x, cin, cout, kind, bias=None):
        w = self.weights((cout, cin), kind)
        ins = [x, w] + ([self.init("gb%d" % self.n, bias)] if bias is not None else [])
        return self.node("Gemm", ins, transB=1)

    def quant_act(self, x, bits, signed=0, narrow=0, scale=1.0, mode="ROUND"):
        s = self.init("as%d" % self.n, scale)
        z = self.init("az%d" % self.n, 0.0)
        b = self.init("ab%d" % self.n, float(bits))
        return self.node("Quant", [x, s, z, b], domain=QDOM, signed=signed, narrow=narrow,
                         rounding_mode=mode)

    def bipolar(self, x, scale=1.0):
        return self.node("BipolarQuant", [x, self.init("bs%d" % self.n, scale)], domain=QDOM)

    def mt(self, x, thr, out_scale=1.0, out_bias=0.0, dtype="UINT2"):
        t = self.init("t%d" % self.n, thr)
        return self.node("MultiThreshold", [x, t], domain=QDOM, out_dtype=dtype,
                         out_scale=out_scale, out_bias=out_bias)

    def mt_calibrated(self, x, n_thr, **kw):
        """MultiThreshold with per-channel thresholds at data quantiles."""
        v = self.value(x)
        flat = np.moveaxis(v, 1, -1).reshape(-1, v.shape[1])
        q = np.quantile(flat, np.linspace(0.2, 0.8, n_thr), axis=0).T
        q[0, 0] = flat[0, 0]  # a threshold the data reaches exactly
        return self.mt(x, np.sort(q, axis=1), **kw)


def net_binary(images):
    n = Net("binary", images, 1)
    x = n.conv("image", 1, 16, "bin")
    x = n.node("MaxPool", [n.bipolar(n.bn(x))], kernel_shape=[2, 2], strides=[2, 2])
    x = n.conv(x, 16, 32, "bin")
    x = n.node("MaxPool", [n.bipolar(n.bn(x))], kernel_shape=[2, 2], strides=[2, 2])
    x = n.node("Flatten", [x], axis=1)
    feat = n.bipolar(n.bn(n.gemm(x, 32 * 7 * 7, 64, "bin")))
    out = n.gemm(feat, 64, 10, "bin", bias=n.rng.integers(-8, 8, 10) / 4.0)
    return n.model(out), feat, 1.0


def net_ternary(images):
    n = Net("ternary", images, 2)
    x = n.conv("image", 1, 16, "tern", bias=True)
    x = n.quant_act(n.bn(x), 2, signed=1, narrow=1)
    x = n.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = n.conv(x, 16, 32, "tern", stride=2)
    x = n.node("Sign", [n.bn(x)])
    x = n.node("Flatten", [x], axis=1)
    w = n.weights((32 * 7 * 7, 64), "tern")  # MatMul's [in, out]
    x = n.node("MatMul", [x, w])
    x = n.node("Mul", [x, n.init("k%d" % n.n, n.rng.uniform(-2, 2, 64))])
    x = n.node("Add", [x, n.init("c%d" % n.n, n.rng.normal(0, 1, 64))])
    feat = n.mt_calibrated(x, 2, out_bias=-1.0, dtype="TERNARY")
    out = n.gemm(feat, 64, 10, "tern")
    return n.model(out), feat, 1.0


def net_2bit(images):
    n = Net("int2", images, 3)
    x = n.conv("image", 1, 16, "int2", pad=0, per_channel=True)
    x = n.quant_act(n.node("Relu", [n.bn(x, zero_center=False)]), 2, scale=0.5)
    x = n.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = n.conv(x, 16, 32, "int2")
    x = n.quant_act(n.node("Relu", [n.bn(x, zero_center=False)]), 2, mode="FLOOR")
    x = n.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = n.node("Flatten", [x], axis=1)
    feat = n.mt_calibrated(n.bn(n.gemm(x, 32 * 6 * 6, 64, "int2")), 3, out_scale=0.25)
    out = n.gemm(feat, 64, 10, "int2")
    out = n.node("Mul", [out, n.init("k%d" % n.n, 0.5)])
    out = n.node("Add", [out, n.init("c%d" % n.n, n.rng.integers(-4, 4, 10) / 8.0)])
    return n.model(out), feat, 0.25


def net_residual(images):
    n = Net("residual", images, 4)
    t1 = n.quant_act(n.bn(n.conv("image", 1, 16, "bin")), 1)
    a2 = n.quant_act(n.bn(n.conv(t1, 16, 16, "bin")), 1)
    t2 = n.quant_act(n.node("Add", [a2, t1], name="res_add_1"), 1)  # OR
    p2 = n.node("MaxPool", [t2], kernel_shape=[2, 2], strides=[2, 2])
    a3 = n.mt_calibrated(n.conv(p2, 16, 16, "bin"), 1, dtype="BINARY")
    t3 = n.mt(n.node("Add", [a3, p2], name="res_add_2"), [[0.5]], dtype="BINARY")  # OR
    a4 = n.quant_act(n.bn(n.conv(t3, 16, 16, "bin")), 1)
    t4 = n.quant_act(n.node("Add", [t3, a4], name="res_add_3"), 1)  # OR, skip first
    feat = n.node("MaxPool", [t4], kernel_shape=[2, 2], strides=[2, 2])
    x = n.node("Flatten", [feat], axis=1)
    out = n.gemm(x, 16 * 7 * 7, 10, "bin")
    return n.model(out), feat, 1.0


def net_addstream(images):
    """logiq's add merge as QONNX: per-channel dyadic Mul and Add, a signed
    8-bit FLOOR Quant (the requantizer, scale 1/4), the Add of the two
    streams and the saturating Quant again, thresholds on the stream."""
    n = Net("addstream", images, 10)

    def stream(x, cout):
        k = n.rng.integers(1, 8, cout) * np.where(n.rng.random(cout) < 0.25, -1, 1) * 2.0 ** -6
        c = n.rng.integers(-16, 16, cout) * 2.0 ** -4
        x = n.node("Mul", [x, n.init("k%d" % n.n, k.reshape(1, -1, 1, 1))])
        x = n.node("Add", [x, n.init("c%d" % n.n, c.reshape(1, -1, 1, 1))])
        return n.quant_act(x, 8, signed=1, scale=0.25, mode="FLOOR")

    y1 = stream(n.conv("image", 1, 16, "bin"), 16)
    a1 = n.mt_calibrated(y1, 1, dtype="BINARY")
    y2 = stream(n.conv(a1, 16, 16, "tern"), 16)
    u2 = n.quant_act(n.node("Add", [y2, y1], name="stream_add"), 8, signed=1, scale=0.25,
                     mode="FLOOR")
    a2 = n.mt_calibrated(u2, 3, dtype="UINT2")
    feat = n.node("MaxPool", [a2], kernel_shape=[2, 2], strides=[2, 2])
    out = n.gemm(n.node("Flatten", [feat], axis=1), 16 * 14 * 14, 10, "bin")
    return n.model(out), feat, 1.0


def net_shortcut(images):
    """logiq's MUX merges and pad shortcut and pow2 activations as QONNX:
    a MUX of the or variant (Add(a, Mul(skip, select)), a MultiThreshold at
    1), a strided block whose skip is subsampled by a Slice and padded with
    zero channels, merged by a MUX of the sel variant (Add(Mul(a, 1 - select),
    Mul(skip, select)), a 1-bit Quant), and pow2 activations (a calibrated
    MultiThreshold's code 0..6, Cast to int64, Gather from the levels
    {0, +-1/4, +-1/2, +-1})."""
    n = Net("shortcut", images, 13)

    def select(c):
        s = (n.rng.random(c) < 0.5).astype(np.float64)
        s[:2] = [0, 1]
        return s.reshape(1, -1, 1, 1)

    t1 = n.quant_act(n.bn(n.conv("image", 1, 8, "bin")), 1)
    a2 = n.quant_act(n.bn(n.conv(t1, 8, 8, "bin")), 1)
    s2 = n.node("Mul", [t1, n.init("sel%d" % n.n, select(8))])
    t2 = n.mt(n.node("Add", [a2, s2], name="mux_or"), [[1.0]], dtype="BINARY")
    a3 = n.quant_act(n.bn(n.conv(t2, 8, 16, "bin", stride=2)), 1)
    sub = n.node("Slice", [t2, n.init("st%d" % n.n, [0, 0], np.int64),
                           n.init("en%d" % n.n, [28, 28], np.int64),
                           n.init("ax%d" % n.n, [2, 3], np.int64),
                           n.init("sp%d" % n.n, [2, 2], np.int64)])
    skip = n.node("Pad", [sub, n.init("pd%d" % n.n, [0, 0, 0, 0, 0, 8, 0, 0], np.int64)],
                  mode="constant")
    sel = select(16)
    m3 = n.node("Add", [n.node("Mul", [a3, n.init("keep%d" % n.n, 1 - sel)]),
                        n.node("Mul", [skip, n.init("sel%d" % n.n, sel)])], name="mux_sel")
    t3 = n.node("MaxPool", [n.quant_act(m3, 1)], kernel_shape=[2, 2], strides=[2, 2])
    code = n.mt_calibrated(n.bn(n.conv(t3, 16, 16, "bin")), 6, dtype="UINT3")
    idx = n.node("Cast", [code], to=TensorProto.INT64)
    levels = n.init("levels%d" % n.n, [-1, -0.5, -0.25, 0, 0.25, 0.5, 1])
    feat = n.node("Gather", [levels, idx], axis=0)
    out = n.gemm(n.node("Flatten", [feat], axis=1), 16 * 7 * 7, 10, "bin")
    return n.model(out), feat, 0.25


# ---- graphs that must be refused: (name, model, the node the error names, a word of why) ----

def bad_graphs(images):
    out = []
    n = Net("float_act", images, 5)
    x = n.bn(n.conv("image", 1, 8, "bin"))
    x = n.conv(x, 8, 8, "bin", pad=0)
    out.append(("float activation", n.model(n.gemm(n.node("Flatten", [n.bipolar(n.bn(x))]),
                                                 8 * 26 * 26, 10, "bin")),
                "conv_", "float activation"))
    n = Net("nonpow2", images, 6)
    x = n.quant_act(n.bn(n.conv("image", 1, 8, "bin")), 2, scale=0.3)
    out.append(("non-power-of-two scale", n.model(n.gemm(n.node("Flatten", [x]), 8 * 28 * 28,
                                                         10, "bin")), "quant_", "power of two"))
    n = Net("nonuniform", images, 7)
    x = n.mt(n.conv("image", 1, 8, "bin"), np.zeros((8, 2)), dtype="UINT2")
    out.append(("three levels", n.model(n.gemm(n.node("Flatten", [x]), 8 * 28 * 28, 10,
                                               "bin")), "multithreshold_", "levels"))
    n = Net("unsupported", images, 8)
    x = n.node("Sigmoid", [n.bn(n.conv("image", 1, 8, "bin"))])
    out.append(("unsupported op", n.model(x), "sigmoid_", "fold"))
    n = Net("and_merge", images, 9)
    t1 = n.quant_act(n.bn(n.conv("image", 1, 8, "bin")), 1)
    a2 = n.quant_act(n.bn(n.conv(t1, 8, 8, "bin")), 1)
    t2 = n.mt(n.node("Add", [a2, t1]), [[1.5]], dtype="BINARY")  # AND: no logiq merge
    out.append(("AND merge", n.model(n.gemm(n.node("Flatten", [t2]), 8 * 28 * 28, 10, "bin")),
                "multithreshold_", "OR"))
    n = Net("sign_sum", images, 11)
    t1 = n.bipolar(n.bn(n.conv("image", 1, 8, "bin")))
    a2 = n.bipolar(n.bn(n.conv(t1, 8, 8, "bin")))
    t2 = n.node("Sign", [n.node("Add", [a2, t1])])  # {-2, 0, 2}: no logiq merge
    out.append(("Add of sign tensors", n.model(n.gemm(n.node("Flatten", [t2]), 8 * 28 * 28, 10,
                                                      "bin")), "add_", "{0,1}"))
    n = Net("bn_stream", images, 12)
    y = n.quant_act(n.bn(n.conv("image", 1, 8, "bin")), 8, signed=1, scale=0.25, mode="FLOOR")
    x = n.mt(y, np.zeros((8, 1)), dtype="BINARY")
    out.append(("BN before a stream", n.model(n.gemm(n.node("Flatten", [x]), 8 * 28 * 28, 10,
                                                     "bin")), "quant_", "BatchNormalization"))
    n = Net("mux_mixed", images, 14)
    t1 = n.quant_act(n.bn(n.conv("image", 1, 8, "bin")), 1)
    a2 = n.quant_act(n.bn(n.conv(t1, 8, 8, "bin")), 1)
    keep = np.ones((1, 8, 1, 1))
    keep[0, 4:] = 0  # channels 0..3 a OR skip, 4..7 skip: two MUX variants
    t2 = n.mt(n.node("Add", [n.node("Mul", [a2, n.init("keep", keep)]),
                             n.node("Mul", [t1, n.init("sel", np.ones((1, 8, 1, 1)))])]),
              [[1.0]], dtype="BINARY")
    out.append(("MUX of two variants", n.model(n.gemm(n.node("Flatten", [t2]), 8 * 28 * 28, 10,
                                                      "bin")), "multithreshold_", "one variant"))
    n = Net("pad_front", images, 15)
    t1 = n.quant_act(n.bn(n.conv("image", 1, 8, "bin")), 1)
    a2 = n.quant_act(n.bn(n.conv(t1, 8, 16, "bin")), 1)
    skip = n.node("Pad", [t1, n.init("pd", [0, 8, 0, 0, 0, 0, 0, 0], np.int64)], mode="constant")
    t2 = n.quant_act(n.node("Add", [a2, skip]), 1)
    out.append(("Pad before the channels", n.model(n.gemm(n.node("Flatten", [t2]), 16 * 28 * 28,
                                                          10, "bin")), "pad_", "at the end"))
    n = Net("slice_input", images, 16)
    t1 = n.quant_act(n.bn(n.conv("image", 1, 8, "bin")), 1)
    sub = n.node("Slice", [t1, n.init("st", [0, 0], np.int64), n.init("en", [28, 28], np.int64),
                           n.init("ax", [2, 3], np.int64), n.init("sp", [2, 2], np.int64)])
    x = n.quant_act(n.bn(n.conv(sub, 8, 8, "bin")), 1)
    out.append(("a Slice as a layer input", n.model(n.gemm(n.node("Flatten", [x]), 8 * 14 * 14,
                                                           10, "bin")), "conv_", "only a merge"))
    return out


# ---- models logiq trains: (name, arch, wq, aq, more train options) ----

TRAINED = [
    ("add", "c8,c8+add,c8+add,p,f10", "twn", "2", []),
    ("mux_or", "c8,c8+mux,p,c8+mux,f10", "bin", "1", ["--mux", "or", "--mux-init", "-0.0001"]),
    ("mux_sel", "c8,c8+mux,p,f16,f16+mux,f10", "bin", "1",
     ["--mux", "sel", "--mux-init", "-0.0001"]),
    ("resnet20_or", "resnet20-or", "bin", "1", ["--width", "0.25"]),
    ("pow2", "c8,p,c8,f10", "twn", "pow2:3", []),
]


# ---- running logiq ----

def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def logiq_answers(pred_exe, qnn):
    r = run([pred_exe, qnn, DATA, str(N_IMAGES)])
    if r.returncode:
        raise RuntimeError("qonnx_pred %s: %s" % (qnn, r.stderr.strip()))
    rows = [list(map(int, line.split())) for line in r.stdout.splitlines()]
    return np.array([r[0] for r in rows]), np.array([r[1:] for r in rows])


def reference(model, feat_name, unit, images):
    """The reference's predictions and last-layer inputs (integers, NHWC)."""
    preds, feats = [], []
    for i in range(0, len(images), 250):
        scores, (f,) = evaluate(model, images[i:i + 250], [feat_name])
        preds.append(np.argmax(scores, axis=1))
        if f.ndim == 4:
            f = f.transpose(0, 2, 3, 1)
        feats.append(f.reshape(f.shape[0], -1) / unit)
    return np.concatenate(preds), np.concatenate(feats)


def compare(what, model, feat_name, unit, images, pred_exe, qnn):
    """Prints and returns the number of images on which the .qnn's integer
    answers differ from the graph's reference."""
    ref_pred, ref_feat = reference(model, feat_name, unit, images)
    assert np.all(ref_feat == np.round(ref_feat)), "reference features are integers"
    got_pred, got_feat = logiq_answers(pred_exe, qnn)
    bad_p = int(np.sum(ref_pred != got_pred))
    bad_f = int(np.sum(np.any(ref_feat != got_feat, axis=1)))
    print("%-18s %d images: predictions differ on %d, last-layer inputs (%d values, levels %s) "
          "differ on %d" % (what, len(images), bad_p, ref_feat.shape[1],
                            np.unique(ref_feat).astype(int).tolist(), bad_f))
    return bad_p + bad_f


def last_input(model):
    """The tensor the last Conv/Gemm reads, before a Flatten."""
    g = model.graph
    layer = [nd for nd in g.node if nd.op_type in ("Conv", "Gemm", "MatMul")][-1]
    name = layer.input[0]
    for nd in g.node:
        if nd.output[0] == name and nd.op_type == "Flatten":
            name = nd.input[0]
    return name


def main():
    if len(sys.argv) != 4:
        print("usage: qonnx_test.py LOGIQ QONNX_PRED SCRATCH_DIR", file=sys.stderr)
        return 2
    logiq, pred_exe, scratch = sys.argv[1:]
    if not os.path.exists(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")):
        print("SKIP test_qonnx: %s missing (Debian dataset-fashion-mnist)" % DATA)
        return 77
    os.makedirs(scratch, exist_ok=True)
    images = load_images(N_IMAGES)
    failures = 0
    # the large design, with PEs for up to 4-bit activations (the shortcut
    # net's pow2 codes are 3 bits)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "costmodels", "hw",
                           "large.ini")) as f:
        ini = f.read()
    hw = os.path.join(scratch, "large_act4.ini")
    with open(hw, "w") as f:
        f.write(ini.replace("\nmax_act_bits = 2", "\nmax_act_bits = 4", 1))

    for build in (net_binary, net_ternary, net_2bit, net_residual, net_addstream, net_shortcut):
        model, feat_name, unit = build(images)
        name = model.graph.name
        onnx.checker.check_model(model)
        path = os.path.join(scratch, name + ".onnx")
        onnx.save(model, path)
        qnn = os.path.join(scratch, name + ".qnn")
        r = run([logiq, "import", path, "-o", qnn])
        if r.returncode:
            print("FAIL %s: logiq import exited %d: %s" % (name, r.returncode, r.stderr.strip()))
            failures += 1
            continue
        bad = compare(name + " imported", model, feat_name, unit, images, pred_exe, qnn)
        if bad:
            failures += 1
            continue
        # an imported model is costed and simulated as any .qnn
        rc = run([logiq, "cost", qnn, "--hw", hw])
        rs = run([logiq, "sim", qnn, "--hw", hw, "--images", "2", "-q"])
        sim_ok = rs.returncode == 0 and "all outputs matched the integer model" in rs.stdout
        print("%-9s cost exit %d, sim on 2 images exit %d%s" % (
            name, rc.returncode, rs.returncode, ", bit-exact" if sim_ok else " FAIL"))
        if rc.returncode or not sim_ok:
            failures += 1
        # the round trip
        onnx2 = os.path.join(scratch, name + ".export.onnx")
        qnn2 = os.path.join(scratch, name + ".again.qnn")
        r = run([logiq, "export", qnn, "-o", onnx2])
        if r.returncode:
            print("FAIL %s: logiq export exited %d: %s" % (name, r.returncode, r.stderr.strip()))
            failures += 1
            continue
        exported = onnx.load(onnx2)
        onnx.checker.check_model(exported)
        bad_e = compare(name + " exported", exported, last_input(exported), 1.0, images,
                        pred_exe, qnn)
        r = run([logiq, "import", onnx2, "-o", qnn2])
        same = r.returncode == 0 and open(qnn, "rb").read() == open(qnn2, "rb").read()
        print("%-9s round trip: import(export(m)) %s" % (
            name, "is bit-identical" if same else "DIFFERS " + r.stderr))
        if bad_e or not same:
            failures += 1

    # models trained by logiq: add merges (the exported add stream's
    # requantizer and saturation), MUX merges of both variants (a mix of
    # selects), resnet20-or (the pad shortcut), pow2 activations; each
    # exported, evaluated by the reference and imported again
    for name, arch, wq, aq, opts in TRAINED:
        qnn = os.path.join(scratch, "trained_%s.qnn" % name)
        onnx_path = os.path.join(scratch, "trained_%s.onnx" % name)
        r = run([logiq, "train", "--data", "synthetic", "--train-limit", "256", "--test-limit",
                 "32", "--arch", arch, "--wq", wq, "--aq", aq, "--epochs", "1", "-q", "-o", qnn]
                + opts)
        r2 = r.returncode == 0 and run([logiq, "export", qnn, "-o", onnx_path])
        if r.returncode or r2.returncode:
            print("FAIL trained %s model: %s%s" % (name, r.stderr, r2 and r2.stderr))
            failures += 1
            continue
        exported = onnx.load(onnx_path)
        onnx.checker.check_model(exported)
        failures += compare("trained %s export" % name, exported, last_input(exported), 1.0,
                            images, pred_exe, qnn) > 0
        r = run([logiq, "import", onnx_path, "-o", qnn + ".again"])
        same = r.returncode == 0 and open(qnn, "rb").read() == open(qnn + ".again", "rb").read()
        print("trained %s round trip: import(export(m)) %s" %
              (name, "is bit-identical" if same else "DIFFERS " + r.stderr))
        failures += not same

    for what, model, node_prefix, why in bad_graphs(images):
        path = os.path.join(scratch, "bad_%s.onnx" % model.graph.name)
        onnx.save(model, path)
        r = run([logiq, "import", path, "-o", os.path.join(scratch, "bad.qnn")])
        msg = r.stderr.strip()
        ok = (r.returncode == 2 and len(msg.splitlines()) == 1 and "node '" + node_prefix in msg
              and why in msg and not os.path.exists(os.path.join(scratch, "bad.qnn")))
        print("%-22s refused: exit %d: %s%s" % (what, r.returncode, msg, "" if ok else "  <- FAIL"))
        failures += not ok

    print("test_qonnx: %s" % ("PASS" if not failures else "%d FAILURES" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

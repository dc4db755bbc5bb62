#!/bin/sh
# tests/fuzz/qonnx_seeds.sh: makes the seed corpus of fuzz_qonnx
# (tests/fuzz/corpus/qonnx/): tiny models trained by logiq on the synthetic
# set, exported as QONNX (binary, ternary, 2-bit offset and heq weights;
# {0,1}, sign, 2-bit, ternary and pow2 activations; an OR merge, MUX merges
# of both variants, the pad shortcut of an OR and an add merge; pooling),
# each well under libFuzzer's -max_len of 64 KiB.
# Usage: tests/fuzz/qonnx_seeds.sh path/to/logiq
set -eu
logiq=$1
out=$(dirname "$0")/corpus/qonnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
i=0
for spec in "c4s2,p,f10 bin 1" "c4s2,c4+or,p,f10 bin 1" "c4s2,p,f10 twn sign" \
            "c4s2,p,f10 dorefa:2 2" "c4s2,p,f8,f10 heq:3 tern" \
            "c4s2,c4+mux,p,f10 bin 1 --mux sel --mux-init -0.0001" \
            "c4s2,c4+mux,p,f10 bin 1 --mux or --mux-init -0.0001" \
            "c4s2,c4,c8s2,c8+or2/pad,f10 bin 1" "c4s2,c4,c8s2,c8+add2/pad,f10 twn 2" \
            "c4s2,p,f10 bin pow2:3"; do
    set -- $spec
    i=$((i + 1))
    arch=$1 wq=$2 aq=$3
    shift 3
    "$logiq" train --data synthetic --train-limit 64 --test-limit 16 --epochs 1 -q \
        --arch "$arch" --wq "$wq" --aq "$aq" -o "$tmp/m.qnn" "$@" >/dev/null
    "$logiq" export "$tmp/m.qnn" -o "$out/s$i.onnx" >/dev/null
done
# and two small graphs from outside logiq (batch norm, Relu, Quant, Sign,
# MultiThreshold, MatMul, an OR merge, an add stream), built with
# tests/qonnx_test.py's builder (python3-onnx, the Fashion-MNIST test images)
/usr/bin/python3 - "$(dirname "$0")/.." "$out" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import onnx
import qonnx_test as qt

images = qt.load_images(200)
n = qt.Net("seed_a", images, 21)
x = n.conv("image", 1, 4, "int2", stride=2, pad=0, bias=True)
x = n.quant_act(n.node("Relu", [n.bn(x, zero_center=False)]), 2, scale=0.5)
x = n.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
x = n.conv(x, 4, 4, "tern")
x = n.node("Flatten", [n.node("Sign", [n.bn(x)])], axis=1)
x = n.node("MatMul", [x, n.weights((4 * 6 * 6, 10), "tern")])
onnx.save(n.model(n.node("Add", [x, n.init("c", np.arange(10) / 4.0)])), sys.argv[2] + "/f1.onnx")

n = qt.Net("seed_b", images, 22)
t1 = n.quant_act(n.bn(n.conv("image", 1, 4, "bin", stride=2, pad=0)), 1)
a2 = n.mt_calibrated(n.conv(t1, 4, 4, "bin"), 1, dtype="BINARY")
t2 = n.quant_act(n.node("Add", [a2, t1]), 1)
k = n.init("k", np.full((1, 4, 1, 1), 2.0 ** -4))
y3 = n.quant_act(n.node("Mul", [n.conv(t2, 4, 4, "bin"), k]), 8, signed=1, scale=0.25,
                 mode="FLOOR")
a3 = n.mt_calibrated(y3, 1, dtype="BINARY")
y4 = n.quant_act(n.node("Mul", [n.conv(a3, 4, 4, "bin"), k]), 8, signed=1, scale=0.25,
                 mode="FLOOR")
u4 = n.quant_act(n.node("Add", [y4, y3]), 8, signed=1, scale=0.25, mode="FLOOR")
x = n.node("MaxPool", [n.bipolar(u4)], kernel_shape=[2, 2], strides=[2, 2])
onnx.save(n.model(n.gemm(n.node("Flatten", [x]), 4 * 6 * 6, 10, "bin")), sys.argv[2] + "/f2.onnx")
PY
ls -l "$out"

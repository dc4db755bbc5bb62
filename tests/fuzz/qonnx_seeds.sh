#!/bin/sh
# tests/fuzz/qonnx_seeds.sh: makes the seed corpus of fuzz_qonnx
# (tests/fuzz/corpus/qonnx/): tiny models trained by logiq on the synthetic
# set, exported as QONNX (binary, ternary, 2-bit offset and heq weights;
# {0,1}, sign, 2-bit and ternary activations; an OR merge; pooling), each
# well under libFuzzer's -max_len of 64 KiB.
# Usage: tests/fuzz/qonnx_seeds.sh path/to/logiq
set -eu
logiq=$1
out=$(dirname "$0")/corpus/qonnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
i=0
for spec in "c4s2,p,f10 bin 1" "c4s2,c4+or,p,f10 bin 1" "c4s2,p,f10 twn sign" \
            "c4s2,p,f10 dorefa:2 2" "c4s2,p,f8,f10 heq:3 tern"; do
    set -- $spec
    i=$((i + 1))
    "$logiq" train --data synthetic --train-limit 64 --test-limit 16 --epochs 1 -q \
        --arch "$1" --wq "$2" --aq "$3" -o "$tmp/m.qnn" >/dev/null
    "$logiq" export "$tmp/m.qnn" -o "$out/s$i.onnx" >/dev/null
done
ls -l "$out"

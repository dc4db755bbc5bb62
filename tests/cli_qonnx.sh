#!/bin/bash
# tests/cli_qonnx.sh: `logiq export` and `logiq import` as a user runs them
# (docs/qonnx.md): models trained by logiq in every weight code and the
# exportable activations (binary, sign, 2-bit, ternary, with OR and add merges
# and pooling) round-trip bit for bit (import(export(m)) == m); an imported model
# is costed and simulated bit-exactly like a trained one; what QONNX cannot
# hold exactly (MUX merges, pow2 activations) and bad inputs
# (not ONNX, a missing file, no -o) give exit 2 and one line naming the file
# and the layer. The graphs from outside (binary, ternary, 2-bit, residual)
# against a NumPy reference are tests/qonnx_test.py.
# Usage: bash cli_qonnx.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
src=${LOGIQ_TEST_SRC:-$(dirname "$0")}/..
small=$src/costmodels/hw/small.ini
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" import --help | grep -q "MultiThreshold"
check "import --help" $?
"$logiq" export --help | grep -q "bit for bit"
check "export --help" $?

train() { # train NAME ARCH WQ AQ
    "$logiq" train --data synthetic --train-limit 256 --test-limit 64 --arch "$2" --wq "$3" \
        --aq "$4" --epochs 1 -q -o "$dir/$1.qnn" >/dev/null 2>"$dir/$1.train.err"
}

i=0
for spec in "c8,c8+or,p,f10 bin 1" "c8,p,c8,f10 twn sign" "c8,c8,p,f10 dorefa:2 2" \
            "c8,p,c8+or,f10 pow2:3 1" "c8,p,f16,f10 heq:3 tern" "c8s2,f10 uniform:3 3" \
            "c8,c8+add,p,f10 bin 2" "c8,c8+add,c8+add,p,f10 heq:3 sign"; do
    set -- $spec
    i=$((i + 1))
    if ! train "m$i" "$1" "$2" "$3"; then
        check "train $spec ($(head -c 200 "$dir/m$i.train.err"))" 1
        continue
    fi
    "$logiq" export "$dir/m$i.qnn" -o "$dir/m$i.onnx" >/dev/null &&
        "$logiq" import "$dir/m$i.onnx" -o "$dir/m$i.again.qnn" >/dev/null &&
        cmp -s "$dir/m$i.qnn" "$dir/m$i.again.qnn"
    check "round trip $spec: import(export(m)) is bit-identical" $?
done

# an imported model is an ordinary .qnn: eval, cost and sim take it
"$logiq" eval "$dir/m1.again.qnn" --data synthetic --test-limit 32 >"$dir/eval.txt" 2>&1
check "eval of an imported model" $?
"$logiq" cost "$dir/m1.again.qnn" --hw "$small" >"$dir/cost.txt" 2>&1
check "cost of an imported model" $?
"$logiq" sim "$dir/m1.again.qnn" --hw "$small" --data synthetic --images 4 -q >"$dir/sim.txt" 2>&1 &&
    grep -q "^all outputs matched the integer model" "$dir/sim.txt"
check "sim of an imported model matches its integer model" $?

# what has no exact QONNX form here
if train mux "c8,c8+mux,p,f10" bin 1; then
    expect_exit 2 "export refuses a MUX merge" "layer 2 has a MUX merge" \
        "$logiq" export "$dir/mux.qnn" -o "$dir/mux.onnx"
fi
if train p2 "c8,p,f10" bin pow2:3; then
    expect_exit 2 "export refuses pow2 activations" "layer 1 has pow2 activations" \
        "$logiq" export "$dir/p2.qnn" -o "$dir/p2.onnx"
fi

# bad inputs
printf 'not a protobuf \377\377\377' >"$dir/junk.onnx"
expect_exit 2 "import of a non-ONNX file" "junk.onnx: not an ONNX model" \
    "$logiq" import "$dir/junk.onnx" -o "$dir/junk.qnn"
expect_exit 2 "import of a missing file" "nothere.onnx" \
    "$logiq" import "$dir/nothere.onnx" -o "$dir/x.qnn"
expect_exit 2 "import without -o" "expected one input file and -o" \
    "$logiq" import "$dir/m1.onnx"
expect_exit 2 "export of a file that is no .qnn" "m1.onnx: not a logiq model" \
    "$logiq" export "$dir/m1.onnx" -o "$dir/y.onnx"
exit $fail

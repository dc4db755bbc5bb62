#!/bin/bash
# tests/cli_qonnx.sh: `logiq export` and `logiq import` as a user runs them
# (docs/qonnx.md): models trained by logiq in every weight code and every
# activation (binary, sign, 2-bit, ternary, pow2, with OR, MUX (both
# variants) and add merges, the pad shortcut of resnet20-or, -mux and -add,
# and pooling) round-trip bit for bit (import(export(m)) == m); an imported
# OR and an imported MUX model are costed and simulated bit-exactly like
# trained ones; bad inputs (not ONNX, a missing file, no -o) give exit 2 and
# one line naming the file. The graphs from outside (binary, ternary, 2-bit, residual)
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

train() { # train NAME ARCH WQ AQ [OPTION...]
    local name=$1 arch=$2 wq=$3 aq=$4
    shift 4
    "$logiq" train --data synthetic --train-limit 256 --test-limit 64 --arch "$arch" --wq "$wq" \
        --aq "$aq" --epochs 1 -q -o "$dir/$name.qnn" "$@" >/dev/null 2>"$dir/$name.train.err"
}

i=0
for spec in "c8,c8+or,p,f10 bin 1" "c8,p,c8,f10 twn sign" "c8,c8,p,f10 dorefa:2 2" \
            "c8,p,c8+or,f10 pow2:3 1" "c8,p,f16,f10 heq:3 tern" "c8s2,f10 uniform:3 3" \
            "c8,c8+add,p,f10 bin 2" "c8,c8+add,c8+add,p,f10 heq:3 sign" \
            "c8,c8+mux,p,c8+mux,f10 bin 1 --mux or --mux-init -0.0001" \
            "c8,c8+mux,p,f16,f16+mux,f10 bin 1 --mux sel --mux-init -0.0001" \
            "resnet20-or bin 1 --width 0.25" "resnet20-add twn 2 --width 0.25" \
            "resnet20-mux bin 1 --width 0.25 --mux sel --mux-init -0.0001" \
            "c8,p,c8,f10 bin pow2:3" "c8,c8+add,p,f10 twn pow2:4"; do
    set -- $spec
    i=$((i + 1))
    if ! train "m$i" "$@"; then
        check "train $spec ($(head -c 200 "$dir/m$i.train.err"))" 1
        continue
    fi
    "$logiq" export "$dir/m$i.qnn" -o "$dir/m$i.onnx" >/dev/null &&
        "$logiq" import "$dir/m$i.onnx" -o "$dir/m$i.again.qnn" >/dev/null &&
        cmp -s "$dir/m$i.qnn" "$dir/m$i.again.qnn"
    check "round trip $spec: import(export(m)) is bit-identical" $?
done

# an imported model is an ordinary .qnn: eval, cost and sim take it (m1 has
# OR merges, m9 MUX merges of the or variant)
"$logiq" eval "$dir/m1.again.qnn" --data synthetic --test-limit 32 >"$dir/eval.txt" 2>&1
check "eval of an imported model" $?
for m in m1 m9; do
    "$logiq" cost "$dir/$m.again.qnn" --hw "$small" >"$dir/cost.txt" 2>&1
    check "cost of the imported $m" $?
    "$logiq" sim "$dir/$m.again.qnn" --hw "$small" --data synthetic --images 4 -q \
        >"$dir/sim.txt" 2>&1 && grep -q "^all outputs matched the integer model" "$dir/sim.txt"
    check "sim of the imported $m matches its integer model" $?
done

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

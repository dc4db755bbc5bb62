#!/bin/bash
# tests/rtl_activity.sh: the activity of a trained W1A1 network (binary
# weights, sign activations) on the RTL of the XNOR-PE design
# (tests/rtl_design_xnor.ini) against the SystemC model's (docs/rtl.md,
# "Activity"): trained one epoch on the synthetic set, 50 test images run
# with --toggles; every output and cycle equal, the activity energy within
# 5 %, the XNOR PE's gating, lane and popcount toggles within 1 % on the
# same bits (test_rtl_xnor --toggles exits 0 only then).
# Usage: bash rtl_activity.sh <logiq> <test_rtl_xnor> <design.ini> <scratch dir>
set -u
logiq=$1
cosim=$2
design=$3
dir=$4
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" train --data synthetic --arch 'c8,p,c16,p,f10' --wq bin --aq sign --epochs 1 --threads 1 \
    -q -o "$dir/m.qnn" >/dev/null 2>&1
check "train a W1A1 model" $?
"$cosim" "$design" --model "$dir/m.qnn" --images 50 --data synthetic --toggles >"$dir/a.txt" 2>&1
check "bit-exact, the activity energy within 5 %, the lanes' and popcounts' toggles within 1 % (exit 0)" $?
cat "$dir/a.txt"
grep -q "^all outputs matched the integer model" "$dir/a.txt"
check "every output matched" $?
exit $fail

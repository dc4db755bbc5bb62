#!/bin/bash
# tests/rtl_trained.sh: a trained network through the RTL (docs/rtl.md): a
# small OR-merging network trained one epoch on the synthetic set, run by the
# Verilated design of tests/rtl_design.ini on 64 test images; every output
# word, score and prediction equal to the integer model's, every layer's
# cycles equal to the analytic count (test_rtl_or --model exits 0 only then),
# and the accuracy equal to `logiq eval`'s on the same images; then its
# activity on 100 images against the SystemC model's (--toggles).
# Usage: bash rtl_trained.sh <logiq> <test_rtl_or> <design.ini> <scratch dir>
set -u
logiq=$1
cosim=$2
design=$3
dir=$4
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" train --data synthetic --arch 'c8,c8+or,p,c16,p,f10' --epochs 1 --threads 1 -q \
    -o "$dir/m.qnn" >/dev/null 2>&1
check "train a small OR model" $?
"$cosim" "$design" --model "$dir/m.qnn" --images 64 --data synthetic >"$dir/t.txt" 2>&1
check "the RTL runs it bit-exactly at the analytic cycles (exit 0)" $?
cat "$dir/t.txt"
grep -q "^all outputs matched the integer model" "$dir/t.txt"
check "every output matched" $?
# the activity (docs/rtl.md, "Activity"): 100 images, the toggles counted on
# the RTL's registers and buses against the SystemC model's
"$cosim" "$design" --model "$dir/m.qnn" --images 100 --data synthetic --toggles >"$dir/a.txt" 2>&1
check "the activity energy agrees within 5 %, the lanes' and popcounts' toggles within 1 % (exit 0)" $?
sed -n '/^activity/,$p' "$dir/a.txt"
acc=$(sed -n 's/.*accuracy \([0-9.]*\)%.*/\1/p' "$dir/t.txt")
"$logiq" eval "$dir/m.qnn" --data synthetic --test-limit 64 >"$dir/e.txt" 2>&1
grep -q "$acc%" "$dir/e.txt"
check "the accuracy is logiq eval's ($acc%)" $?
exit $fail

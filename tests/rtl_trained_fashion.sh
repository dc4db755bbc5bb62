#!/bin/bash
# tests/rtl_trained_fashion.sh: a trained ResNet-style network through the
# RTL on 1,000 Fashion-MNIST test images (docs/rtl.md): a strided stem, then
# basic blocks of two 3x3 convolutions (an identity block; a strided,
# widening block with the pad shortcut (or) or a projection (add)), binary
# {0,1} activations, narrow and trained briefly (a sixth of an epoch: the
# first 10,000 training images) so the test stays short; run by the
# Verilated design on the first 1,000 test images. Held: every output word, score and
# prediction equal to the integer model's, every layer's cycles equal to
# the analytic count and to the SystemC model's (test_rtl_* --model exits 0
# only then), the accuracy equal to `logiq eval`'s on the same images, and
# above chance (the network learned: the agreement is not vacuous); and
# the activity of 100 images against the SystemC model's (--toggles).
# Skips (77) when Fashion-MNIST is not installed.
# Usage: bash rtl_trained_fashion.sh <logiq> <test_rtl_X> <design.ini> <or|add> <scratch dir>
set -u
logiq=$1
cosim=$2
design=$3
merge=$4
dir=$5
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

fm=/usr/share/datasets/fashion-mnist
if [ ! -e "$fm/t10k-images-idx3-ubyte.gz" ] && [ ! -e "$fm/t10k-images-idx3-ubyte" ]; then
    echo "SKIP: Fashion-MNIST not found in $fm (Debian package dataset-fashion-mnist)"
    exit 77
fi
case $merge in
or) arch='c4s2,p,c4,c4+or2,c8s2,c8+or2/pad,f10'; opts=() ;;
# (an add block's input must not pool: a 5x5 stem of stride 4 instead)
add) arch='c3k5s4,c3,c3+add2,c6s2,c6+add2/proj,f10'
     # the design's stream width (the RTL's units saturate at it)
     opts=(--res-bits "$(sed -n 's/^res_bits *= *//p' "$design")") ;;
*) echo "usage: rtl_trained_fashion.sh <logiq> <cosim> <design.ini> <or|add> <dir>"; exit 2 ;;
esac

"$logiq" train --data fashion --arch "$arch" --aq 1 "${opts[@]}" --epochs 1 --train-limit 10000 \
    --lr 3e-3 --test-limit 1000 --threads 1 -q -o "$dir/m.qnn" >/dev/null 2>&1
check "train $arch on 10,000 Fashion-MNIST images" $?
"$cosim" "$design" --model "$dir/m.qnn" --images 1000 --data fashion >"$dir/t.txt" 2>&1
check "the RTL runs it on 1,000 test images bit-exactly at the analytic and SystemC cycles" $?
cat "$dir/t.txt"
grep -q "^all outputs matched the integer model" "$dir/t.txt"
check "every output matched" $?
grep -q "1000 images, accuracy" "$dir/t.txt"
check "1,000 images ran" $?
# its activity on 100 of them (docs/rtl.md, "Activity")
"$cosim" "$design" --model "$dir/m.qnn" --images 100 --data fashion --toggles >"$dir/a.txt" 2>&1
check "the activity energy agrees within 5 %, the lanes' and popcounts' toggles within 1 % (exit 0)" $?
sed -n '/^activity/,$p' "$dir/a.txt"
acc=$(sed -n 's/.*accuracy \([0-9.]*\)%.*/\1/p' "$dir/t.txt")
"$logiq" eval "$dir/m.qnn" --data fashion --test-limit 1000 >"$dir/e.txt" 2>&1
grep -q "$acc%" "$dir/e.txt"
check "the accuracy is logiq eval's ($acc%)" $?
awk -v a="$acc" 'BEGIN { exit !(a > 30) }'
check "it learned (accuracy $acc% > 30%, chance 10%)" $?
exit $fail

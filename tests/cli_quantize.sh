#!/bin/bash
# tests/cli_quantize.sh: `logiq train --save-fp` and `logiq quantize` as a
# user runs them: a full-precision network trained on the synthetic set is
# quantized with every method, per tensor and per channel, data-free and
# post-training; each .qnn's integer accuracy printed by quantize is the one
# `logiq eval` prints; bad input gives exit code 2 with a one-line message
# naming the file or option.
# Usage: bash cli_quantize.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" train --data synthetic --arch 'c8,c8+or,p,c16,p,f10' --wq fp --aq 1 \
    --epochs 1 --lr 3e-3 -q --save-fp "$dir/fp.lqc" >"$dir/train.out" 2>"$dir/train.err"
check "train --save-fp exits 0" $?
check "train --save-fp wrote the checkpoint" "$([ -s "$dir/fp.lqc" ]; echo $?)"
grep -q "^wrote $dir/fp.lqc" "$dir/train.out"
check "train says it wrote the checkpoint" $?
check "no temporary file is left" "$(ls "$dir" | grep -q tmp; [ $? -ne 0 ]; echo $?)"

# every method per tensor data-free and per channel post-training, and
# tquant per tensor post-training (the test set is cut to 256 images)
lim="--test-limit 256"
for run in "tquant 0" "tquant 200" "tquant --per-channel 200" "mquant 0" \
    "mquant --per-channel 200" "twn 0" "twn --per-channel 200" "rtn 0" "rtn --per-channel 200"; do
    set -- $run
    method=$1 ch="" calib=${!#}
    [ $# -eq 3 ] && ch=$2
    name="$method${ch:+/ch} calib $calib"
    out="$dir/$method$ch-$calib.qnn"
    "$logiq" quantize --method $method $ch --calib $calib $lim "$dir/fp.lqc" -o "$out" \
        >"$dir/q.out" 2>"$dir/q.err"
    check "quantize $name exits 0" $?
    q_acc=$(grep '^integer model test accuracy' "$dir/q.out")
    e_acc=$("$logiq" eval --data synthetic $lim "$out" 2>/dev/null | grep '^integer model test accuracy')
    echo "     $name: quantize: $q_acc; eval: $e_acc"
    check "quantize $name: eval prints the same accuracy" \
        "$([ -n "$q_acc" ] && [ "$q_acc" = "$e_acc" ]; echo $?)"
    if [ "$calib" -gt 0 ]; then
        grep -q "calibrating batch norm: layer 3/3  image 200/200" "$dir/q.err"
        check "quantize $name shows the calibration progress" $?
    fi
done
"$logiq" eval --data synthetic --info "$dir/tquant--per-channel-200.qnn" >"$dir/info" 2>&1
grep -q '^wq=tquant/ch$' "$dir/info" && grep -q '^setting=post-training$' "$dir/info" &&
    grep -q '^calib=200$' "$dir/info" && grep -q "^quantized_from=$dir/fp.lqc$" "$dir/info"
check "the .qnn's metadata names the method, the setting and the checkpoint" $?
cmp -s "$dir/tquant-0.qnn" "$dir/tquant-200.qnn"
check "calibration changes the exported model" "$([ $? -ne 0 ]; echo $?)"
"$logiq" quantize --method rtn -q $lim "$dir/fp.lqc" -o "$dir/again.qnn" >/dev/null 2>&1
cmp -s "$dir/rtn-0.qnn" "$dir/again.qnn"
check "quantize is deterministic (rtn twice: same bytes)" $?

# a checkpoint with activations a .qnn cannot hold needs --aq
"$logiq" train --data synthetic --arch 'c8,p,f10' --wq fp --aq relu --epochs 1 -q \
    --save-fp "$dir/relu.lqc" >/dev/null 2>&1
check "train --aq relu --save-fp exits 0" $?
expect_exit 2 "relu checkpoint without --aq" "give --aq" \
    "$logiq" quantize --method tquant "$dir/relu.lqc" -o "$dir/r.qnn"
"$logiq" quantize --method tquant --aq 2 -q $lim "$dir/relu.lqc" -o "$dir/r.qnn" >/dev/null 2>&1
check "relu checkpoint with --aq 2 exits 0" $?

# help and usage
"$logiq" quantize --help >"$dir/help" 2>&1
check "quantize --help exits 0" $?
grep -q "usage: logiq quantize" "$dir/help"
check "quantize --help shows usage" $?
"$logiq" train --help | grep -q -- "--save-fp"
check "train --help lists --save-fp" $?
"$logiq" --help | grep -q "quantize"
check "logiq --help lists quantize" $?
expect_exit 2 "no checkpoint" "expected one checkpoint" "$logiq" quantize --method tquant -o "$dir/x.qnn"
expect_exit 2 "no method" "--method is required" "$logiq" quantize "$dir/fp.lqc" -o "$dir/x.qnn"
expect_exit 2 "no output" "-o FILE is required" "$logiq" quantize --method tquant "$dir/fp.lqc"
expect_exit 2 "unknown method" "--method frob" "$logiq" quantize --method frob "$dir/fp.lqc" -o "$dir/x.qnn"
expect_exit 2 "fp method" "cannot be exported" "$logiq" quantize --method fp "$dir/fp.lqc" -o "$dir/x.qnn"
expect_exit 2 "bad --aq" "--aq relu" "$logiq" quantize --method tquant --aq relu "$dir/fp.lqc" -o "$dir/x.qnn"
expect_exit 2 "bad --calib" "--calib 'many'" "$logiq" quantize --method tquant --calib many "$dir/fp.lqc" -o "$dir/x.qnn"
expect_exit 2 "too many calibration images" "--calib 999999" "$logiq" quantize --method tquant --calib 999999 "$dir/fp.lqc" -o "$dir/x.qnn"
expect_exit 2 "OR merge needs binary activations" "need binary" "$logiq" quantize --method tquant --aq 2 "$dir/fp.lqc" -o "$dir/x.qnn"
expect_exit 2 "missing checkpoint" "$dir/none.lqc" "$logiq" quantize --method tquant "$dir/none.lqc" -o "$dir/x.qnn"
head -c 500 "$dir/fp.lqc" >"$dir/trunc.lqc"
expect_exit 2 "truncated checkpoint" "$dir/trunc.lqc: truncated at byte 500" "$logiq" quantize --method tquant "$dir/trunc.lqc" -o "$dir/x.qnn"
cp "$dir/fp.lqc" "$dir/corrupt.lqc"
printf '\x55' | dd of="$dir/corrupt.lqc" bs=1 seek=2000 conv=notrunc 2>/dev/null
expect_exit 2 "corrupted checkpoint" "$dir/corrupt.lqc: checksum mismatch" "$logiq" quantize --method tquant "$dir/corrupt.lqc" -o "$dir/x.qnn"
expect_exit 2 "a .qnn is not a checkpoint" "bad magic" "$logiq" quantize --method tquant "$dir/rtn-0.qnn" -o "$dir/x.qnn"
check "no model written by the failures" "$([ ! -e "$dir/x.qnn" ]; echo $?)"
expect_exit 1 "unwritable checkpoint path" "$dir/nowhere/fp.lqc" "$logiq" train --data synthetic \
    --arch 'c4,p,f10' --wq fp --epochs 0 -q --save-fp "$dir/nowhere/fp.lqc"

[ $fail -eq 0 ] && rm -rf "$dir"
exit $fail

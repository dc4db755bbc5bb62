#!/bin/bash
# tests/cli_sinareq.sh: logiq train --sinareq as a user runs it: the cost
# term lowers the learned widths, train prints them, the .qnn holds each
# layer at its own width (eval --info), logiq eval prints the accuracy train
# printed, the log has each layer's beta, and bad SINAREQ options exit 2.
# Usage: bash cli_sinareq.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" train --data synthetic --train-limit 1024 --arch 'c8,c8,p,c16,p,f10' --wq dorefa:4 \
    --aq 2 --epochs 2 --batch 32 --lr 3e-3 --sched const --threads 1 -q --sinareq --sinareq-lb 1 \
    --sinareq-lb-sched const --sinareq-beta-lr 0.03 -o "$dir/m.qnn" >"$dir/train.out" 2>"$dir/train.err"
check "train --sinareq exits 0 ($(head -c 200 "$dir/train.err"))" $?
cat "$dir/train.out"
grep -q '^SINAREQ learned weight bit widths' "$dir/train.out"
check "train prints the learned widths" $?
bits=$(sed -n 's/^  layer  *[0-9]*  beta [0-9.]*  bits \([0-9]\).*/\1/p' "$dir/train.out" | tr '\n' ' ')
echo "learned widths: $bits"
n=0; low=0
for b in $bits; do n=$((n + 1)); [ "$b" -lt 4 ] && low=$((low + 1)); done
check "three learned widths, all below the 4 bits of --wq (got: $bits)" "$([ $n -eq 3 ] && [ $low -eq 3 ]; echo $?)"

"$logiq" eval --data synthetic --info "$dir/m.qnn" >"$dir/eval.out" 2>"$dir/eval.err"
check "eval exits 0" $?
# dorefa:B codes are the odd integers in [-(2^B - 1), 2^B - 1]
i=0; ok=0
for b in $bits; do
    i=$((i + 1)); k=$(( (1 << b) - 1 ))
    # stored offset-binary in b bits (.qnn version 2, docs/qnn-format.md)
    grep -E "^ +$i conv .* w\[-$k\.\.$k\] \(offset, $b bits\)" "$dir/eval.out" >/dev/null &&
        ok=$((ok + 1))
done
check "the .qnn holds each layer at its learned width" "$([ $ok -eq 3 ]; echo $?)"
grep -q '^  *4 dense .* w\[-15\.\.15\]' "$dir/eval.out"
check "the last layer keeps dorefa:4" $?
grep -q "^sinareq_bits=$(echo $bits | tr ' ' ',')\$" "$dir/eval.out"
check "its metadata records the widths" $?
train_acc=$(grep '^integer model test accuracy' "$dir/train.out")
eval_acc=$(grep '^integer model test accuracy' "$dir/eval.out")
check "eval prints the accuracy train printed ($train_acc / $eval_acc)" \
    "$([ -n "$train_acc" ] && [ "$train_acc" = "$eval_acc" ]; echo $?)"
head -1 "$dir/m.csv" | grep -q ',sq_lambda_q,sq_lambda_b,sq_reg,sq_cost,sq_mean_bits,l1_beta,l1_bits,l2_beta,l2_bits,l3_beta,l3_bits$'
check "the log has the cost term and each layer's beta" $?
check "the log has one row per epoch" "$([ "$(wc -l <"$dir/m.csv")" -eq 3 ]; echo $?)"

"$logiq" train --help >"$dir/help" 2>&1
grep -q -- '--sinareq-beta-lr' "$dir/help"
check "train --help documents the SINAREQ options" $?
expect_exit 2 "a SINAREQ option without --sinareq" "--sinareq-lb needs --sinareq" \
    "$logiq" train --data synthetic --sinareq-lb 0.1
expect_exit 2 "SINAREQ on heq weights" "needs dorefa:B or wrpn:B" \
    "$logiq" train --data synthetic --wq heq:3 --sinareq
expect_exit 2 "bad SINAREQ schedule" "expected phased or const" \
    "$logiq" train --data synthetic --wq dorefa:3 --sinareq --sinareq-lb-sched wave
expect_exit 2 "lowest width above B" "lowest bit width" \
    "$logiq" train --data synthetic --wq wrpn:3 --sinareq --sinareq-beta-min 4
exit $fail

#!/bin/bash
# tests/cli_sinareq.sh: logiq train --sinareq as a user runs it: the cost
# term lowers the learned widths, train prints them, the .qnn holds each
# layer at its own width (eval --info), logiq eval prints the accuracy train
# printed, the log has each layer's beta, and bad SINAREQ options exit 2.
# The paper's protocol (the defaults, weights only at --aq 8): the first
# layer exempt (at dorefa:7, the host's widest, or at --wq-first), the last
# layer's width learned, the activations exported as 8-bit unsigned codes,
# the options recorded in the metadata; --sinareq-first / --sinareq-last
# malformed or without --sinareq exit 2 naming the option.
# Usage: bash cli_sinareq.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" train --data synthetic --train-limit 1024 --arch 'c8,c8,p,c16,p,f10' --wq dorefa:4 \
    --aq 2 --epochs 2 --batch 32 --lr 3e-3 --sched const --threads 1 -q --sinareq --sinareq-lb 1 \
    --sinareq-lb-sched const --sinareq-beta-lr 0.03 --sinareq-first learn --sinareq-last fixed \
    -o "$dir/m.qnn" >"$dir/train.out" 2>"$dir/train.err"
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
grep -q -- '--sinareq-first F' "$dir/help" && grep -q -- '--sinareq-last L' "$dir/help"
check "train --help documents --sinareq-first and --sinareq-last" $?
expect_exit 2 "a SINAREQ option without --sinareq" "--sinareq-lb needs --sinareq" \
    "$logiq" train --data synthetic --sinareq-lb 0.1
expect_exit 2 "SINAREQ on heq weights" "needs dorefa:B or wrpn:B" \
    "$logiq" train --data synthetic --wq heq:3 --sinareq
expect_exit 2 "bad SINAREQ schedule" "expected phased or const" \
    "$logiq" train --data synthetic --wq dorefa:3 --sinareq --sinareq-lb-sched wave
expect_exit 2 "lowest width above B" "lowest bit width" \
    "$logiq" train --data synthetic --wq wrpn:3 --sinareq --sinareq-beta-min 4
expect_exit 2 "a malformed --sinareq-first" "--sinareq-first: SINAREQ first layer 'maybe': expected exempt or learn" \
    "$logiq" train --data synthetic --wq dorefa:3 --sinareq --sinareq-first maybe
expect_exit 2 "a malformed --sinareq-last" "--sinareq-last: SINAREQ last layer 'exempt': expected learn or fixed" \
    "$logiq" train --data synthetic --wq dorefa:3 --sinareq --sinareq-last exempt
expect_exit 2 "an empty --sinareq-last" "--sinareq-last" \
    "$logiq" train --data synthetic --wq dorefa:3 --sinareq --sinareq-last ''
expect_exit 2 "--sinareq-first without --sinareq" "--sinareq-first needs --sinareq" \
    "$logiq" train --data synthetic --wq dorefa:3 --sinareq-first learn
expect_exit 2 "first exempt, last fixed: nothing to learn" "the first is exempt, the last fixed" \
    "$logiq" train --data synthetic --arch c4,f10 --wq dorefa:3 --sinareq --sinareq-last fixed

# ---- the paper's protocol: the defaults, weights only ----
"$logiq" train --data synthetic --train-limit 1024 --arch 'c8,c8,p,c16,p,f10' --wq dorefa:4 \
    --aq 8 --epochs 2 --batch 32 --lr 3e-3 --sched const --threads 1 -q --sinareq --sinareq-lb 1 \
    --sinareq-lb-sched const --sinareq-beta-lr 0.03 -o "$dir/p.qnn" >"$dir/p.out" 2>"$dir/p.err"
check "train --sinareq (defaults) --aq 8 exits 0 ($(head -c 200 "$dir/p.err"))" $?
cat "$dir/p.out"
layers=$(sed -n 's/^  layer  *\([0-9]*\)  beta .*/\1/p' "$dir/p.out" | tr '\n' ' ')
check "the learned layers are 2, 3 and 4, the first exempt, the last learned (got: $layers)" \
    "$([ "$layers" = "2 3 4 " ]; echo $?)"
lastbits=$(sed -n 's/^  layer  *4  beta [0-9.]*  bits \([0-9]\).*/\1/p' "$dir/p.out")
check "the last layer's learned width is below the 4 bits of --wq (got: $lastbits)" \
    "$([ -n "$lastbits" ] && [ "$lastbits" -lt 4 ]; echo $?)"
"$logiq" eval --data synthetic --info "$dir/p.qnn" >"$dir/peval.out" 2>"$dir/peval.err"
check "eval of the protocol's model exits 0" $?
grep -qE '^ +1 conv .* w\[-127\.\.127\] \(offset, 7 bits\) +in pixel8' "$dir/peval.out"
check "the exempt first layer is exported at dorefa:7 (the widest)" $?
k=$(( (1 << ${lastbits:-4}) - 1 ))
grep -qE "^ +4 dense .* w\[-$k\.\.$k\] \(offset, ${lastbits:-4} bits\)" "$dir/peval.out"
check "the last layer is exported at its learned width ($lastbits bits)" $?
n8=$(grep -cE '^ +[234] (conv|dense) .* in uint8 ' "$dir/peval.out")
check "weights only: layers 2-4 take 8-bit unsigned activation codes ($n8 of 3)" \
    "$([ "$n8" = 3 ]; echo $?)"
grep -q '^sinareq=.*,first=exempt,last=learn$' "$dir/peval.out"
check "the metadata records first=exempt, last=learn" $?
grep -q '^wq_layers=dorefa:7,' "$dir/peval.out"
check "the metadata's per-layer specs start with dorefa:7" $?
head -1 "$dir/p.csv" | grep -q ',sq_mean_bits,l2_beta,l2_bits,l3_beta,l3_bits,l4_beta,l4_bits$'
check "the log has the learned layers 2-4, not the first" $?

# an explicit --wq-first is kept for the exempt first layer
"$logiq" train --data synthetic --train-limit 256 --test-limit 64 --arch 'c8,p,f10' --wq dorefa:4 \
    --wq-first dorefa:3 --aq 8 --epochs 1 --batch 32 --threads 1 -q --sinareq -o "$dir/w.qnn" \
    >"$dir/w.out" 2>"$dir/w.err"
check "train --sinareq --wq-first dorefa:3 exits 0 ($(head -c 200 "$dir/w.err"))" $?
"$logiq" eval --data synthetic --test-limit 64 --info "$dir/w.qnn" >"$dir/weval.out" 2>&1
grep -qE '^ +1 conv .* w\[-7\.\.7\] \(offset, 3 bits\)' "$dir/weval.out"
check "the exempt first layer keeps --wq-first dorefa:3" $?

# --sinareq-first learn: the first layer learned like the others
"$logiq" train --data synthetic --train-limit 256 --test-limit 64 --arch 'c8,p,f10' --wq dorefa:4 \
    --aq 8 --epochs 1 --batch 32 --threads 1 -q --sinareq --sinareq-first learn \
    --sinareq-last fixed -o "$dir/l.qnn" >"$dir/l.out" 2>"$dir/l.err"
check "train --sinareq-first learn --sinareq-last fixed exits 0" $?
layers=$(sed -n 's/^  layer  *\([0-9]*\)  beta .*/\1/p' "$dir/l.out" | tr '\n' ' ')
check "only the first layer learned (got: $layers)" "$([ "$layers" = "1 " ]; echo $?)"
grep -qa '^sinareq=.*,first=learn,last=fixed$' "$dir/l.qnn"
check "the metadata records first=learn, last=fixed" $?

# the training state records the settings: resuming with another one is refused
ck="--data synthetic --train-limit 256 --test-limit 64 --arch c8,p,f16,f10 --wq dorefa:4 --aq 8
    --epochs 1 --batch 32 --threads 1 -q --sinareq"
# shellcheck disable=SC2086
"$logiq" train $ck --checkpoint "$dir/ck.lqc" >"$dir/ck.out" 2>&1
check "train --sinareq --checkpoint exits 0" $?
# shellcheck disable=SC2086
expect_exit 2 "resuming with another --sinareq-last" "first exempt last learn, but this command gives .* first exempt last fixed" \
    "$logiq" train $ck --sinareq-last fixed --checkpoint "$dir/ck.lqc" --resume

exit $fail

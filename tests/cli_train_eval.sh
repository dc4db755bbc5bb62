#!/bin/bash
# tests/cli_train_eval.sh: the logiq train and eval commands as a user runs
# them: train exports a model and its log, eval prints the same integer-model
# accuracy train printed last, and bad input gives exit code 2 with a
# one-line message naming the file or option.
# Usage: bash cli_train_eval.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

# train on the synthetic set, export, evaluate
"$logiq" train --data synthetic --arch 'c8,c8+or,p,c16,p,f10' --wq heq:3 --aq 1 \
    --epochs 2 --lr 3e-3 -q -o "$dir/m.qnn" >"$dir/train.out" 2>"$dir/train.err"
check "train exits 0" $?
check "train wrote the model" "$([ -s "$dir/m.qnn" ]; echo $?)"
check "train wrote the CSV log beside it" "$([ -s "$dir/m.csv" ] && [ "$(wc -l <"$dir/m.csv")" -eq 3 ]; echo $?)"
head -1 "$dir/m.csv" | grep -q '^epoch,lr,train_loss,train_acc,test_acc,seconds,l1_step,l1_q-1,l1_q+0,l1_q+1'
check "log header names the per-layer step and level shares" $?
train_acc=$(grep '^integer model test accuracy' "$dir/train.out")
"$logiq" eval --data synthetic "$dir/m.qnn" >"$dir/eval.out" 2>"$dir/eval.err"
check "eval exits 0" $?
eval_acc=$(grep '^integer model test accuracy' "$dir/eval.out")
echo "train: $train_acc"
echo "eval:  $eval_acc"
check "eval prints the accuracy train printed" "$([ -n "$train_acc" ] && [ "$train_acc" = "$eval_acc" ]; echo $?)"
"$logiq" eval --data synthetic --threads 1 "$dir/m.qnn" | grep -qxF "$eval_acc"
check "eval gives the same with 1 thread" $?

# AQE in the paper's form (unit-scale sign weights, clipped, the blend on
# HardTanh) on the ConvNet Model D preset: the exported integer model agrees
# with the training core's evaluation, and eval with train
"$logiq" train --data synthetic --arch convnet-d --wq bin --aq sign --aqe 0.5 --epochs 1 \
    --train-limit 512 --test-limit 256 -o "$dir/aqe.qnn" >"$dir/aqe.out" 2>"$dir/aqe.err"
check "train --aqe 0.5 (paper form) on convnet-d exits 0" $?
f_acc=$(sed -n 's/^float model test accuracy: \([0-9.]*%\)$/\1/p' "$dir/aqe.out")
i_acc=$(sed -n 's/^integer model test accuracy: \([0-9.]*%\) .*/\1/p' "$dir/aqe.out")
check "its integer model's accuracy equals the float evaluation's ($f_acc, $i_acc)" \
    "$([ -n "$f_acc" ] && [ "$f_acc" = "$i_acc" ]; echo $?)"
"$logiq" eval --data synthetic --test-limit 256 "$dir/aqe.qnn" | grep -q "^integer model test accuracy: $i_acc"
check "eval gives it too" $?
# MINW-Net's signed M-bit activations (issue 17, part 3): tern and pow2:3
# under AQE export as .qnn version 3 codes, and the integer model agrees
# with the training core's evaluation; malformed specs name --aq
for aq in tern pow2:3 pow2:3/geo; do
    "$logiq" train --data synthetic --arch convnet-d --wq pow2:3 --aq $aq --aqe 0.5 \
        --aqe-form scaled --epochs 1 --train-limit 512 --test-limit 256 -o "$dir/minw.qnn" \
        >"$dir/minw.out" 2>"$dir/minw.err"
    check "train --aq $aq --aqe 0.5 on convnet-d exits 0" $?
    f_acc=$(sed -n 's/^float model test accuracy: \([0-9.]*%\)$/\1/p' "$dir/minw.out")
    i_acc=$(sed -n 's/^integer model test accuracy: \([0-9.]*%\) .*/\1/p' "$dir/minw.out")
    check "--aq $aq: the integer model's accuracy equals the float evaluation's ($f_acc, $i_acc)" \
        "$([ -n "$f_acc" ] && [ "$f_acc" = "$i_acc" ]; echo $?)"
    "$logiq" eval --data synthetic --test-limit 256 "$dir/minw.qnn" | grep -q "^integer model test accuracy: $i_acc"
    check "--aq $aq: eval gives it too" $?
done
for bad in pow2 pow2:2 pow2:9 tern/geo pow2:3/geo/mid sign/mid terns pow2:3/; do
    expect_exit 2 "--aq $bad refused naming the option" "^logiq train: --aq: activation quantizer '$bad'" \
        "$logiq" train --aq "$bad" --data synthetic
    check "--aq $bad: one line" "$([ "$(wc -l <"$dir/err")" -eq 1 ]; echo $?)"
done
expect_exit 2 "--aq pow2:5 in logiq cost too" "^logiq cost: --aq: activation quantizer 'pow2:5'" \
    "$logiq" cost --arch c8,f10 --aq pow2:5
expect_exit 2 "--aqe-form without --aqe" "needs --aqe" "$logiq" train --aqe-form paper --data synthetic
expect_exit 2 "--aqe-form unknown" "expected paper or scaled" "$logiq" train --aqe 0.5 --aqe-form x --data synthetic

# the AQE paper's layer order (--pool-order paper: conv -> pool -> batch norm
# -> activation): the integer model agrees with the training core's
# evaluation, eval with train, and the SystemC model with the integer model
"$logiq" train --data synthetic --arch 'c8,p,c16,p,f10' --wq bin --aq sign --aqe 0.5 \
    --pool-order paper --epochs 2 --lr 3e-3 --test-limit 256 -o "$dir/po.qnn" \
    >"$dir/po.out" 2>"$dir/po.err"
check "train --pool-order paper exits 0" $?
f_acc=$(sed -n 's/^float model test accuracy: \([0-9.]*%\)$/\1/p' "$dir/po.out")
i_acc=$(sed -n 's/^integer model test accuracy: \([0-9.]*%\) .*/\1/p' "$dir/po.out")
check "paper order: the integer model's accuracy equals the float evaluation's ($f_acc, $i_acc)" \
    "$([ -n "$f_acc" ] && [ "$f_acc" = "$i_acc" ]; echo $?)"
"$logiq" eval --data synthetic --test-limit 256 "$dir/po.qnn" | grep -q "^integer model test accuracy: $i_acc"
check "paper order: eval gives it too" $?
"$logiq" sim "$dir/po.qnn" --data synthetic --images 20 -q | grep -q "^all outputs matched the integer model (20 images"
check "paper order: the SystemC model matches the integer model" $?
"$logiq" train --help | grep -q -- "--pool-order O"
check "train --help lists --pool-order" $?
expect_exit 2 "--pool-order unknown" "^logiq train: --pool-order 'pool': expected hw or paper" \
    "$logiq" train --pool-order pool --data synthetic
check "--pool-order unknown: one line" "$([ "$(wc -l <"$dir/err")" -eq 1 ]; echo $?)"
expect_exit 2 "--pool-order paper with {0,1} activations in a pooling layer" \
    "^logiq train: --pool-order paper: layer 2 pools activation 'heaviside'" \
    "$logiq" train --pool-order paper --aq 1 --arch 'c8{a=sign},c8,p,f10' --data synthetic
check "--pool-order paper with {0,1}: one line" "$([ "$(wc -l <"$dir/err")" -eq 1 ]; echo $?)"
expect_exit 2 "--pool-order paper with uniform activations" "layer 1 pools activation" \
    "$logiq" train --pool-order paper --aq 2 --arch 'c8,p,f10' --data synthetic
"$logiq" train --pool-order paper --aq 1 --arch 'c8{a=sign},c8,c8+or,p,f10' --data synthetic \
    --epochs 1 --train-limit 256 --test-limit 64 -q -o "$dir/po_or.qnn" >/dev/null 2>&1
check "--pool-order paper: a merging pooling layer keeps the hw order ({0,1} there)" $?

# an interrupted run still exports what it learned
"$logiq" train --data synthetic --arch 'c16,c16+or,p,c32,p,f10' --epochs 200 -q \
    -o "$dir/int.qnn" >"$dir/int.out" 2>"$dir/int.err" &
pid=$!
# the log file appears once training has started (signal handlers are set)
for _ in $(seq 600); do [ -e "$dir/int.csv" ] && break; sleep 0.1; done
sleep 1
kill -INT $pid
wait $pid
rc=$?
check "interrupted train exits 1 (got $rc)" "$([ $rc -eq 1 ]; echo $?)"
grep -q "interrupted at epoch" "$dir/int.err"
check "interrupted train says where it stopped" $?
"$logiq" eval --data synthetic --info "$dir/int.qnn" >"$dir/int.eval" 2>&1
check "the interrupted run's model is complete and loads" $?
grep -q "^interrupted_at=epoch" "$dir/int.eval"
check "its metadata records the interruption" $?

# --checkpoint / --resume: a run interrupted twice by Ctrl-C and resumed ends
# with the bits of the run that was not (model, and the log but its seconds)
R=(--data synthetic --arch 'c8,c8+mux,p,f16,f10' --wq heq:3 --crop-pad 2 --hflip
   --epochs 6 --train-limit 1200 --test-limit 200 --threads 2 -q)
"$logiq" train "${R[@]}" -o "$dir/ref.qnn" >/dev/null 2>&1
check "the reference run" $?
n_int=0
for round in 1 2; do
    "$logiq" train "${R[@]}" -o "$dir/rs.qnn" --checkpoint "$dir/rs.lqc" --resume         >"$dir/rs$round.out" 2>"$dir/rs$round.err" &
    pid=$!
    # after the first checkpoint (round 1), or at once (round 2: resumed)
    for _ in $(seq 600); do [ -e "$dir/rs.lqc" ] && break; sleep 0.05; done
    sleep 0.3
    kill -INT $pid
    wait $pid
    grep -q "the training state is in $dir/rs.lqc" "$dir/rs$round.err" && n_int=$((n_int + 1))
done
echo "interrupted $n_int of 2 times"
check "an interrupted run names its checkpoint ($n_int of 2 interrupted)"     "$([ $n_int -ge 1 ]; echo $?)"
"$logiq" train "${R[@]}" -o "$dir/rs.qnn" --checkpoint "$dir/rs.lqc" --resume >/dev/null 2>"$dir/rs3.err"
check "the resumed run ends (exit 0)" $?
cmp -s "$dir/ref.qnn" "$dir/rs.qnn"
check "resumed twice = not interrupted: the same .qnn, bit for bit" $?
diff <(cut -d, -f1-5,7- "$dir/ref.csv") <(cut -d, -f1-5,7- "$dir/rs.csv") >/dev/null
check "and the same log, one row an epoch (the seconds aside)" $?
"$logiq" quantize --method tquant --data synthetic --test-limit 200 -q "$dir/rs.lqc"     -o "$dir/rsq.qnn" >/dev/null 2>&1
check "logiq quantize reads a --checkpoint file" $?
expect_exit 2 "an existing checkpoint without --resume" "add --resume"     "$logiq" train "${R[@]}" --checkpoint "$dir/rs.lqc"
expect_exit 2 "resuming with another option" "saved with lr=0.001, but this command gives lr=0.002"     "$logiq" train "${R[@]}" --lr 0.002 --checkpoint "$dir/rs.lqc" --resume
expect_exit 2 "resuming with another thread count" "threads=1"     "$logiq" train "${R[@]}" --threads 1 --checkpoint "$dir/rs.lqc" --resume
expect_exit 2 "--resume without --checkpoint" "--resume needs --checkpoint"     "$logiq" train "${R[@]}" --resume
"$logiq" train --data synthetic --arch 'c8,p,f10' --epochs 1 --train-limit 200 -q     --save-fp "$dir/fp.lqc" >/dev/null 2>&1
expect_exit 2 "resuming a --save-fp file" "holds no training state"     "$logiq" train "${R[@]}" --checkpoint "$dir/fp.lqc" --resume

# help and usage
for cmd in train eval; do
    "$logiq" $cmd --help >"$dir/help" 2>&1
    check "$cmd --help exits 0" $?
    grep -q "usage: logiq $cmd" "$dir/help"
    check "$cmd --help shows usage" $?
done
expect_exit 2 "no command" "usage" "$logiq"
expect_exit 2 "unknown command" "unknown command 'frobnicate'" "$logiq" frobnicate
expect_exit 2 "unknown option" "unrecognized option" "$logiq" train --frobnicate
expect_exit 2 "bad architecture" "architecture token 'x9'" "$logiq" train --data synthetic --arch 'c8,x9,f10'
expect_exit 2 "bad shortcut" "token 'c8+or2/x': unknown shortcut" "$logiq" train --data synthetic --arch 'c8,c8,c8+or2/x,f10'
expect_exit 2 "block without an input" "layer 2 merges a block of 2 layers" "$logiq" train --data synthetic --arch 'c8,c8+or2,f10'
expect_exit 2 "strided block without a shortcut" "layer 3: its block changes the shape" "$logiq" train --data synthetic --arch 'c8,c8s2,c8+or2,f10'
expect_exit 2 "interleaved skips" "layer 4's skip would be overwritten" "$logiq" train --data synthetic --arch 'c8,c8,c8+or,c8+or3,f10'
expect_exit 2 "bad weight quantizer" "heq:4" "$logiq" train --data synthetic --wq heq:4
expect_exit 2 "bad number" "--epochs 'ten'" "$logiq" train --epochs ten
expect_exit 2 "OR needs binary activations" "need binary" "$logiq" train --data synthetic --arch res11-or --aq sign
expect_exit 2 "fp network cannot be exported" "cannot be exported" "$logiq" train --data synthetic --arch 'c8,f10' --wq fp -o "$dir/fp.qnn"
expect_exit 2 "missing model" "$dir/none.qnn" "$logiq" eval "$dir/none.qnn"
head -c 300 "$dir/m.qnn" >"$dir/trunc.qnn"
expect_exit 2 "truncated model" "$dir/trunc.qnn" "$logiq" eval --data synthetic "$dir/trunc.qnn"
cp "$dir/m.qnn" "$dir/corrupt.qnn"
printf '\x55' | dd of="$dir/corrupt.qnn" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_exit 2 "corrupted model" "$dir/corrupt.qnn" "$logiq" eval --data synthetic "$dir/corrupt.qnn"
echo "not a model" >"$dir/text.qnn"
expect_exit 2 "not a model" "$dir/text.qnn" "$logiq" eval "$dir/text.qnn"

# malformed data files: a folder of MNIST-format files with a truncated one
mkdir -p "$dir/idx"
printf '\x00\x00\x08\x03\x00\x00\x00\x0a\x00\x00\x00\x1c\x00\x00\x00\x1c' >"$dir/idx/train-images-idx3-ubyte"
head -c 1000 /dev/zero >>"$dir/idx/train-images-idx3-ubyte"
expect_exit 2 "truncated IDX file" "train-images-idx3-ubyte: truncated" "$logiq" train --data idx --data-dir "$dir/idx"
expect_exit 2 "missing data folder" "$dir/nowhere" "$logiq" train --data idx --data-dir "$dir/nowhere"
expect_exit 2 "unknown data kind" "--data 'imagenet'" "$logiq" train --data imagenet

[ $fail -eq 0 ] && rm -rf "$dir"
exit $fail

#!/bin/bash
# tests/cli_hetero.sh: a network with a different weight and activation bit
# width in each layer, through the whole flow: trained and exported to .qnn,
# evaluated by the integer model, costed on a design sized (auto) for its
# widest layer with each layer's own weight passes and activation planes,
# and simulated bit-exactly with the analytic cycle count.
# Usage: bash cli_hetero.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
csv_value() { # csv_value FILE SECTION ITEM METRIC
    awk -F, -v s="$2" -v i="$3" -v m="$4" '$1==s && $2==i && $3==m {print $4}' "$1"
}

# layer:     1         2          3           4         5
# weights:   heq:3     heq:7      pow2:3      bin       (fp scores)
# planes:    1         2          3           1
# act out:   2 bits    1 bit      3 bits      sign
# act in:    8 (pixels) 2         1           3         1
arch='c8{w=heq:3;a=2},c8{w=heq:7;a=1},p,c16{w=pow2:3;a=3},p,f32{w=bin;a=sign},f10'
"$logiq" train --data synthetic --arch "$arch" --epochs 1 --train-limit 600 -q -o "$dir/h.qnn" >"$dir/train.txt" \
    2>"$dir/train.err"
check "train the mixed-width network" $?
"$logiq" eval --data synthetic "$dir/h.qnn" >"$dir/eval.txt" 2>/dev/null
check "eval" $?
acc=$(grep -o "accuracy: [0-9.]*% ([0-9]*/[0-9]*)" "$dir/eval.txt")
grep -q "integer model test $acc" "$dir/train.txt"
check "eval prints train's integer accuracy ($acc)" $?

"$logiq" cost "$dir/h.qnn" --format csv >"$dir/c.csv" 2>"$dir/c.err"
check "cost on the default (auto-sized) design" $?
ma=$(csv_value "$dir/c.csv" design total max_act_bits)
mw=$(csv_value "$dir/c.csv" design total max_w_bits)
check "the design is sized for the widest layer (activations $ma, weight planes $mw)" \
    "$([ "$ma" = 3 ] && [ "$mw" = 3 ]; echo $?)"
bw=""; ba=""
for l in 1 2 3 4 5; do
    bw="$bw$(csv_value "$dir/c.csv" layer $l w_passes) "
    ba="$ba$(csv_value "$dir/c.csv" layer $l a_planes) "
done
check "each layer runs with its own weight passes ($bw)" "$([ "$bw" = "1 2 3 1 1 " ]; echo $?)"
check "and its own activation planes ($ba)" "$([ "$ba" = "8 2 1 3 1 " ]; echo $?)"
ok=0
for l in 1 2 3 4; do
    T=$(csv_value "$dir/c.csv" layer $l tiles); P=$(csv_value "$dir/c.csv" layer $l positions)
    Q=$(csv_value "$dir/c.csv" layer $l chunks); B=$(csv_value "$dir/c.csv" layer $l w_passes)
    A=$(csv_value "$dir/c.csv" layer $l a_planes); C=$(csv_value "$dir/c.csv" layer $l cycles)
    [ "$C" = $((1 + T * P * Q * B * A + 4)) ] || ok=1
done
check "hidden layers' cycles are 1 + T*P*Q*Bw*Ba + 4 with their own widths" $ok

"$logiq" sim "$dir/h.qnn" --data synthetic --images 30 -q >"$dir/s.txt" 2>"$dir/s.err"
check "sim exits 0" $?
grep -q "^all outputs matched the integer model (30 images" "$dir/s.txt"
check "every layer's output matched the integer model" $?
grep -q "^total .* yes$" "$dir/s.txt"
check "simulated cycles equal the analytic ones" $?
"$logiq" eval --data synthetic --test-limit 30 "$dir/h.qnn" >"$dir/e30.txt" 2>/dev/null
n30=$(grep -o "([0-9]*/30)" "$dir/e30.txt")
grep -q "^images: 30, accuracy .* $n30" "$dir/s.txt"
check "sim's accuracy is eval's $n30" $?

printf '[array]\nmax_act_bits = 2\n' >"$dir/narrow.ini"
expect_exit 2 "a design narrower than layer 3" "layer 3: 3-bit activations; \[array\] max_act_bits = 2" \
    "$logiq" cost "$dir/h.qnn" --hw "$dir/narrow.ini"
printf '[array]\nmax_w_bits = 2\n' >"$dir/narrow_w.ini"
expect_exit 2 "a design with too few weight planes" "layer 3: 3 weight magnitude planes" \
    "$logiq" sim "$dir/h.qnn" --data synthetic --images 1 --hw "$dir/narrow_w.ini"
exit $fail

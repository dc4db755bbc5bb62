#!/bin/bash
# tests/cli_repro.sh: the reproduction section of `logiq report --claims` on
# the store of a tiny real sweep with three seeds (synthetic data): each
# claim's cells are the mean and standard deviation over the seeds of the
# store's accuracies (recomputed here with sqlite3 and awk), its verdict and
# figure are written, a claim the store cannot answer says why, the shipped
# reports/claims.ini and sweeps/seeds.ini are well-formed, and a malformed
# claims file is exit code 2 naming the file and line.
# Usage: bash cli_repro.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
src=$(cd "${LOGIQ_TEST_SRC:-$(dirname "$0")}/.." && pwd)
cd "$dir" || exit 1

cat >rp.ini <<'EOF2'
[sweep]
name = rp
[network]
arch = "c8,p,f10"
wq = heq:3, uniform:2
aqe = none
[train]
epochs = 1
data = synthetic
train_limit = 256
test_limit = 128
seed = 1, 2, 3
[sim]
sim_images = 0
EOF2
"$logiq" sweep rp.ini -j 2 -q >sweep.out 2>&1
check "the sweep ran (6 points done)" \
    "$([ "$(q rp.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 6 ]; echo $?)"

cat >claims.ini <<'EOF2'
[heq-vs-rtn]
paper  = HEQ (test)
claim  = HEQ ternary beats round-to-nearest ternary.
source = a test
vary   = wq
expect = heq:3 > uniform:2
[lsq]
paper  = LSQ (test)
claim  = a parameter this store does not have
vary   = lsqbits
expect = 2 > 1
EOF2
"$logiq" report rp.db -o r --claims claims.ini >report.out 2>report.err
check "report --claims exits 0" $?
grep -q "^## The papers' claims against logiq's measurements" r/report.md
check "report.md has the claims section" $?
grep -q "claims" r/index.html && grep -q 'src="claim-heq-vs-rtn.png"' r/index.html
check "index.html has it, with the claim's figure" $?
for e in png svg csv gp; do
    [ -s "r/claim-heq-vs-rtn.$e" ] || fail=1
done
check "the claim's figure: png, svg, csv, gp" $fail

# the cells, recomputed from the store: mean and sample sd of 100 * acc_int
stats() {
    q rp.db "SELECT 100.0 * acc_int FROM points WHERE status = 'done' AND wq = '$1'" |
        awk '{ s += $1; ss += $1 * $1; n++ } END { m = s / n; sd = sqrt((ss - n * m * m) / (n - 1)); if (sd != sd) sd = 0; printf "%.2f +- %.2f (%d)", m, sd, n }'
}
heq=$(stats heq:3)
rtn=$(stats uniform:2)
grep -qF "| all | $heq | $rtn |" r/report.md
check "cells are the seeds' mean and sd: heq:3 $heq, uniform:2 $rtn" $?
diff=$(awk -v a="${heq%% *}" -v b="${rtn%% *}" 'BEGIN { printf "%+.2f", a - b }')
grep -qE "^\| all \| \\$diff \+- [0-9.]+: (agrees|disagrees|within the spread) \|" r/report.md
check "the relation's difference ($diff) with its verdict" $?
grep -qE "^\| heq-vs-rtn \| HEQ \(test\) \| .* \| (agrees|disagrees|within the spread) \|$" r/report.md
check "the summary table's verdict" $?
grep -q "Not evaluated: the store has no parameter 'lsqbits'" r/report.md
check "a claim the store cannot answer says why" $?
n_rows=$(awk -F, 'NR > 1' r/claim-heq-vs-rtn.csv | wc -l)
check "the figure's CSV: one row ($n_rows)" "$([ "$n_rows" = 1 ]; echo $?)"

# a hardware figure: its own unit, the same for every seed (sd 0), the
# verdict the difference's sign
cat >claims-hw.ini <<'EOF2'
[gates]
paper  = test
claim  = heq:3 and uniform:2 cost the same gates: neither is above the other.
vary   = wq
expect = heq:3 > uniform:2
metric = gates_nand2
EOF2
"$logiq" report rp.db -o rh --claims claims-hw.ini -q >/dev/null 2>rh.err
check "report --claims with metric = gates_nand2 exits 0" $?
g=$(q rp.db "SELECT DISTINCT printf('%.6g', gates_nand2) FROM points WHERE status = 'done' AND wq = 'heq:3'")
grep -qF "| all | $g +- 0 (3) |" rh/report.md && grep -qF "heq:3 \\> uniform:2 (NAND2)" rh/report.md &&
    grep -qF "gates_nand2, NAND2" rh/claim-gates.gp
check "gates cells in NAND2 with sd 0 ($g), the relation and the figure in NAND2" $?

# the shipped files
"$logiq" report rp.db -o r2 --claims "$src/reports/claims.ini" -q >/dev/null 2>r2.err
rc=$?
check "reports/claims.ini loads (exit $rc; $(head -c 200 r2.err))" $rc
grep -q "aqe-vs-ste" r2/report.md && grep -q "Not evaluated: no done point matches it" r2/report.md
check "its claims are listed, unanswered by this store" $?
"$logiq" sweep "$src/sweeps/seeds.ini" --store seeds-dry.db --dry-run --max-points 400000 \
    >dry.out 2>&1
check "sweeps/seeds.ini is a valid spec" $?
grep -q "^sweep seeds (.*): 126 points" dry.out
rc=$?
check "it has 126 points ($(head -n 1 dry.out))" $rc

# ---- post-training quantization and SINAREQ points ----
cat >pq.ini <<'EOF2'
[sweep]
name = pq
[network]
arch = "c8,p,f16,f10"
wq = fp
aq = 1
[quantize]
method = tquant, rtn:3
calib = 0, 64
[train]
epochs = 1
data = synthetic
train_limit = 256
test_limit = 128
seed = 1, 2
[sim]
sim_images = 16
[points]
EOF2
# the grid: 2 methods x 2 settings x 2 seeds (no [points] lines: drop that header)
sed -i '/^\[points\]$/d' pq.ini
"$logiq" sweep pq.ini -j 2 -q >pq.out 2>&1
check "the quantize sweep ran (8 points done)" \
    "$([ "$(q pq.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 8 ]; echo $?)"
check "every point simulated bit-exactly" \
    "$([ "$(q pq.db "SELECT COUNT(*) FROM points WHERE sim_match = 1")" = 8 ]; echo $?)"
k1=$(q pq.db "SELECT key FROM points WHERE method = 'tquant' AND calib = 0 AND seed = 1")
k2=$(q pq.db "SELECT key FROM points WHERE method = 'rtn:3' AND calib = 64 AND seed = 1")
k3=$(q pq.db "SELECT key FROM points WHERE method = 'rtn:3' AND calib = 64 AND seed = 2")
cmp -s "pq.d/$k1/model.lqc" "pq.d/$k2/model.lqc"
check "one seed's points quantize the same real-valued model (bit-identical checkpoints)" $?
cmp -s "pq.d/$k2/model.lqc" "pq.d/$k3/model.lqc"
check "another seed's is another model" "$([ $? -ne 0 ]; echo $?)"
# the points of one seed share one real-valued model, trained once
n_fp=$(ls pq.d/fp | wc -l)
check "one shared real-valued model per seed ($n_fp in pq.d/fp)" "$([ "$n_fp" = 2 ]; echo $?)"
t1=$(readlink "pq.d/$k1/model.lqc")
t2=$(readlink "pq.d/$k2/model.lqc")
t3=$(readlink "pq.d/$k3/model.lqc")
[ -n "$t1" ] && [ "$t1" = "$t2" ] && [ "$t2" != "$t3" ] && [ -s "pq.d/$k1/train.log" ] &&
    grep -q "^training: " "pq.d/$k1/train.log" && [ -s "pq.d/$k1/model.csv" ]
check "a seed's points link its model, training log and curve ($t1)" $?
# the model gone (a training killed before writing it): the next point trains it again
cp "pq.d/$k1/model.lqc" first.lqc
rm "pq.d/fp/$(basename "$(dirname "$t1")")/model.lqc"
"$logiq" sweep pq.ini --point "$k1" --store pq.db -q >pt.out 2>&1
check "a point whose shared model is gone runs again" $?
cmp -s first.lqc "pq.d/$k1/model.lqc"
check "and trains it again, bit-identically" $?
acc=$(q pq.db "SELECT CAST(round(acc_int * 128) AS INTEGER) FROM points WHERE key = '$k2'")
grep -q "integer model test accuracy: .* ($acc/128)" "pq.d/$k2/quantize.log"
check "the store's accuracy is the one logiq quantize printed ($acc/128)" $?
"$logiq" eval --data synthetic --test-limit 128 "pq.d/$k2/model.qnn" >pqe.out 2>&1
grep -q "accuracy: .* ($acc/128)" pqe.out
check "and the one logiq eval prints" $?

cat >sq.ini <<'EOF2'
[sweep]
name = sq
[network]
arch = "c8,p,f16,f10"
wq = dorefa:4
sinareq = no, yes
[train]
epochs = 1
data = synthetic
train_limit = 256
test_limit = 128
[sim]
sim_images = 0
EOF2
"$logiq" sweep sq.ini -j 2 -q >sq.out 2>&1
check "the SINAREQ sweep ran (2 points done)" \
    "$([ "$(q sq.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 2 ]; echo $?)"
ks=$(q sq.db "SELECT key FROM points WHERE sinareq = 'yes'")
kn=$(q sq.db "SELECT key FROM points WHERE sinareq IS NULL OR sinareq = 'no'")
head -n 1 "sq.d/$ks/model.csv" | grep -q "beta" && ! head -n 1 "sq.d/$kn/model.csv" | grep -q "beta"
check "sinareq = yes passes --sinareq (its log has the learned widths), no does not" $?
"$logiq" report sq.db -o sqr -q >/dev/null 2>&1
check "report of the SINAREQ sweep" $?
bits=$(grep -ao 'sinareq_bits=[0-9,]*' "sq.d/$ks/model.qnn" | head -n 1 | cut -d= -f2)
grep -q "^## SINAREQ: learned per-layer bit widths and their hardware cost" sqr/report.md &&
    grep -qE "^\| dorefa:4 \| plain \| 1 \| [0-9.]+ \| 4.00 \| 4 for every hidden layer \|" sqr/report.md &&
    grep -qE "^\| dorefa:4 \| SINAREQ, learned widths \| 1 \| [0-9.]+ \| [0-9.]+ \| $bits \|" sqr/report.md
check "the report's SINAREQ table: plain at 4 bits, learned at the .qnn's widths ($bits)" $?

# the protocol's keys: sinareq_first / sinareq_last pass --sinareq-first / --sinareq-last
cat >sq2.ini <<'EOF2'
[sweep]
name = sq2
[network]
arch = "c8,p,f16,f10"
wq = dorefa:4
sinareq = yes
sinareq_first = exempt, learn
sinareq_last = learn, fixed
[train]
epochs = 1
data = synthetic
train_limit = 256
test_limit = 128
[sim]
sim_images = 0
EOF2
"$logiq" sweep sq2.ini -j 2 -q >sq2.out 2>&1
check "the protocol sweep ran (4 points done)" \
    "$([ "$(q sq2.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 4 ]; echo $?)"
ok=0
for row in $(q sq2.db "SELECT key || '|' || sinareq_first || '|' || sinareq_last FROM points"); do
    IFS='|' read -r k f l <<<"$row"
    grep -aq "^sinareq=.*,first=$f,last=$l\$" "sq2.d/$k/model.qnn" && ok=$((ok + 1))
done
check "each point's .qnn records its sinareq_first / sinareq_last ($ok of 4)" \
    "$([ "$ok" = 4 ]; echo $?)"
"$logiq" sweep "$src/sweeps/sinareq.ini" --store sinareq-dry.db --dry-run >sqdry.out 2>&1
check "sweeps/sinareq.ini is a valid spec" $?
grep -q "^sweep sinareq (.*): 18 points" sqdry.out
check "it has 18 points ($(head -n 1 sqdry.out))" $?
[ "$(grep -c 'wq=fp aq=relu sinareq=- ' sqdry.out)" = 3 ] &&
    [ "$(grep -c 'sinareq=yes sinareq_lq=[0-9]* sinareq_first=exempt sinareq_last=learn' sqdry.out)" = 12 ]
check "3 full-precision references and 12 SINAREQ points in the protocol" $?

# errors
printf '[x]\npaper = P\nclaim = C\nvary = wq\nexpect = heq:3 >> twn\n' >bad.ini
expect_exit 2 "a malformed claims file" "bad.ini:5: \[x\] expect" \
    "$logiq" report rp.db -o r3 --claims bad.ini
{ printf '[x]\npaper = P\nclaim = '; printf 'a%.0s' $(seq 220); printf '\nvary = wq\nexpect = heq:3 > twn\n'; } >long.ini
expect_exit 2 "a claims line too long for the INI reader" "long.ini:3: line longer than 198" \
    "$logiq" report rp.db -o r3 --claims long.ini
expect_exit 2 "a missing claims file" "nothere.ini" \
    "$logiq" report rp.db -o r3 --claims nothere.ini
exit $fail

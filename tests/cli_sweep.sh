#!/bin/bash
# tests/cli_sweep.sh: logiq sweep as a user runs it, on tiny networks and
# the synthetic data set: a sweep runs every point into its store; a run
# again skips them; points that fail (an infeasible hardware override, a
# combination training refuses), crash or hang are recorded as failed with
# their reason and the others go on; a runner killed with kill -9 mid-sweep
# and restarted ends with the same points and figures as an uninterrupted
# run; bad specs exit 2 and write nothing; --dry-run, --pareto, --slurm and
# --merge.
# Usage: bash cli_sweep.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
src=${LOGIQ_TEST_SRC:-$(dirname "$0")}/..
cd "$dir" || exit 1

# ---- a small grid: 3 merges x 2 quantizers, one epoch on 512 images ----
cat >small.ini <<EOF2
; six points, a few seconds each
[sweep]
name = small
[network]
arch = "c8,c8+{merge},p,c16,p,f10"
merge = add, or, mux
wq = bin, heq:3
[train]
epochs = 1
data = synthetic
train_limit = 512
test_limit = 256
[hw]
base = $src/costmodels/hw/small.ini
EOF2
"$logiq" sweep small.ini --dry-run >dry.out 2>&1
check "--dry-run exits 0" $?
check "--dry-run lists 6 pending points and a time" "$([ "$(grep -c ' pending ' dry.out)" -eq 6 ] && grep -q '^6 to run (6 trainings), 1 at a time: about' dry.out; echo $?)"
check "--dry-run writes nothing" "$([ ! -e small.db ] && [ ! -e small.d ]; echo $?)"

"$logiq" sweep small.ini -j 2 --store ref.db >ref.out 2>ref.err
check "the sweep exits 0" $?
check "6 rows, all done" "$([ "$(q ref.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 6 ]; echo $?)"
check "every done row has accuracy, gates, cycles, energy, latency, area, times, model" \
    "$([ "$(q ref.db "SELECT COUNT(*) FROM points WHERE acc_int BETWEEN 0 AND 1 AND gates_nand2 > 0 AND cycles > 0 AND energy_op_pj > 0 AND latency_us > 0 AND area_um2 > 0 AND train_s > 0 AND wall_s > 0 AND model_path IS NOT NULL")" = 6 ]; echo $?)"
check "every point simulated on its test images, bit-exact, with the integer model's accuracy" \
    "$([ "$(q ref.db "SELECT COUNT(*) FROM points WHERE sim_match = 1 AND acc_sim = acc_int AND energy_act_pj > 0")" = 6 ]; echo $?)"
check "each point's sim.json is kept" "$([ "$(ls ref.d/*/sim.json | wc -l)" = 6 ]; echo $?)"
check "gates per unit kind, merge unit included" "$([ "$(q ref.db "SELECT COUNT(DISTINCT key) FROM point_units WHERE unit = 'merge' AND nand2_eq > 0")" = 6 ]; echo $?)"
check "parameters in columns and in long form" "$([ "$(q ref.db "SELECT COUNT(*) FROM points p JOIN point_params pp ON pp.key = p.key AND pp.name = 'wq' AND pp.value = p.wq")" = 6 ]; echo $?)"
check "each point's fmax and critical stage are stored" "$([ "$(q ref.db "SELECT COUNT(*) FROM points WHERE fmax_mhz > 0 AND critical_stage <> '' AND abs(hw_clock_mhz - fmax_mhz) < 1e-6")" = 6 ]; echo $?)"
check "schema version 9, WAL mode" "$([ "$(q ref.db 'PRAGMA user_version')" = 9 ] && [ "$(q ref.db 'PRAGMA journal_mode')" = wal ]; echo $?)"
check "each point's simulated accuracy names its images (the 256 test images)" \
    "$([ "$(q ref.db "SELECT COUNT(*) FROM points WHERE acc_sim_images = 256")" = 6 ]; echo $?)"
check "the spec is kept in meta" "$(q ref.db "SELECT value FROM meta WHERE name = 'spec_text'" | grep -q 'merge = add, or, mux'; echo $?)"
for k in $(q ref.db "SELECT key FROM points"); do
    [ -s "ref.d/$k/model.qnn" ] && [ -s "ref.d/$k/cost.json" ] && [ -s "ref.d/$k/hw.ini" ] || { echo "missing files of $k"; false; }
done
check "each point's model, cost JSON and hw.ini are kept" $?

"$logiq" sweep small.ini --store ref.db -q >again.out 2>&1
check "a second run exits 0" $?
grep -q '6 done, 0 failed (6 done and 0 failed before this run)' again.out
check "a second run runs nothing" $?
check "and counts nothing twice" "$([ "$(q ref.db 'SELECT MAX(attempts) FROM points')" = 1 ]; echo $?)"

# adding an axis value adds points, keeps the old keys
sed 's/^wq = bin, heq:3$/wq = bin, heq:3, twn/' small.ini >more.ini
"$logiq" sweep more.ini --store ref.db --dry-run >more.out
check "an added axis value adds 3 points, keeps the 6 done" "$([ "$(awk '$2 == "done"' more.out | wc -l)" = 6 ] && [ "$(awk '$2 == "pending"' more.out | wc -l)" = 3 ]; echo $?)"

"$logiq" sweep small.ini --store ref.db --pareto >pareto.out 2>&1
check "--pareto exits 0" $?
check "--pareto shows the three fronts" "$([ "$(grep -c '^accuracy vs' pareto.out)" = 3 ]; echo $?)"

# ---- kill -9 of the runner mid-sweep, then resume ----
"$logiq" sweep small.ini -j 2 --store kill.db -q >kill1.out 2>&1 &
pid=$!
for _ in $(seq 600); do
    n=$(q kill.db "SELECT COUNT(*) FROM points" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.5
rows=$(q kill.db "SELECT COUNT(*) FROM points")
echo "rows after kill -9: $rows"
check "killed mid-sweep (1 to 5 of 6 rows)" "$([ "$rows" -ge 1 ] && [ "$rows" -lt 6 ]; echo $?)"
check "no point process outlives the runner" "$(! pgrep_here '--store kill.db' >/dev/null; echo $?)"
echo "training states left by the killed points: $(ls kill.d/*/train.lqc 2>/dev/null | wc -l)"
"$logiq" sweep small.ini -j 2 --store kill.db -q >kill2.out 2>&1
check "the restarted sweep exits 0" $?
check "no training state is left once the points are done" \
    "$([ -z "$(ls kill.d/*/train.lqc 2>/dev/null)" ]; echo $?)"
check "the restarted sweep ran only the rest" "$(grep -q "$rows done and 0 failed before this run" kill2.out; echo $?)"
fig="SELECT key, status, acc_int, acc_float, gates_nand2, cycles, energy_op_pj, acc_sim, sim_match, energy_act_pj FROM points ORDER BY key"
check "same points and figures as the uninterrupted run" "$([ "$(q kill.db "$fig")" = "$(q ref.db "$fig")" ]; echo $?)"
check "each point written once" "$([ "$(q kill.db 'SELECT MAX(attempts) FROM points')" = 1 ]; echo $?)"

# ---- failures do not stop the others ----
cat >fail.ini <<EOF2
[network]
arch = "c8,c8+{merge},p,c16,p,f10"
merge = or, add
aq = 1, 2
[train]
epochs = 1
data = synthetic
train_limit = 256
test_limit = 128
[sim]
sim_images = 0
[hw]
base = $src/costmodels/hw/small.ini
buffers.weight_kbits = 160, 0.5
EOF2
# a wrapper that makes one point crash and one hang (the timeout leaves room
# for the other points under the sanitizers)
"$logiq" sweep fail.ini --dry-run >fail.dry
crash=$(awk '/ pending .*merge=add aq=1 buffers.weight_kbits=160/ {print $1}' fail.dry)
hang=$(awk '/ pending .*merge=add aq=2 buffers.weight_kbits=160/ {print $1}' fail.dry)
cat >wrap.sh <<EOF2
#!/bin/bash
case "\$3" in  # sweep --point KEY ...
  $crash) kill -SEGV \$\$ ;;
  $hang) sleep 1000 ;;
esac
exec "$logiq" "\$@"
EOF2
chmod +x wrap.sh
LOGIQ_SWEEP_EXE=$PWD/wrap.sh "$logiq" sweep fail.ini -j 2 --timeout 20 >fail.out 2>fail.err
check "a sweep with failed points exits 0 (every point has its row)" $?
check "8 rows" "$([ "$(q fail.db 'SELECT COUNT(*) FROM points')" = 8 ]; echo $?)"
err() { q fail.db "SELECT error FROM points WHERE key = '$1'"; }
check "the crash is recorded with its signal" "$(err "$crash" | grep -q 'crashed: killed by signal 11'; echo $?)"
check "the hang is killed at its timeout" "$(err "$hang" | grep -q 'timed out after'; echo $?)"
check "no process of the hung point is left" "$(! pgrep_here "sleep 1000" >/dev/null && ! pgrep_here "--point $hang" >/dev/null; echo $?)"
check "an infeasible hardware override fails with the reason" "$([ "$(q fail.db "SELECT COUNT(*) FROM points WHERE status = 'failed' AND error LIKE '%infeasible%weight_kbits%'")" -ge 1 ]; echo $?)"
check "OR with 2-bit activations fails with the reason" "$(q fail.db "SELECT error FROM points WHERE merge = 'or' AND aq = '2' AND hw LIKE '%=160'" | grep -q 'need binary'; echo $?)"
check "the feasible points are done" "$([ "$(q fail.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 1 ]; echo $?)"
check "sim_images = 0: not simulated, the simulator's columns NULL" "$([ "$(q fail.db "SELECT COUNT(*) FROM points WHERE status = 'done' AND acc_sim IS NULL AND sim_match IS NULL AND energy_act_pj IS NULL")" = 1 ]; echo $?)"
"$logiq" sweep fail.ini --retry-failed --dry-run >retry.out
check "--retry-failed would run the 7 failed again" "$(grep -q '^7 to run' retry.out; echo $?)"

# ---- bad specs: one line naming file, line and key; exit 2; nothing written ----
bad() {  # name pattern spec-text
    printf '%s\n' "$3" >bad.ini
    rm -rf bad.db bad.d
    expect_exit 2 "$1" "$2" "$logiq" sweep bad.ini
    check "$1: nothing written" "$([ ! -e bad.db ] && [ ! -e bad.d ] && [ "$(wc -l <"$dir/err")" -eq 1 ]; echo $?)"
}
bad "unknown key" "bad.ini:4: \[train\] epoch: unknown key" $'[network]\nwq = bin\n[train]\nepoch = 1'
bad "unknown section" "bad.ini:1: \[net\]: unknown section" $'[net]\nwq = bin'
bad "empty axis" "bad.ini:2: \[network\] wq: no value" $'[network]\nwq =\n'
bad "empty value in a list" "bad.ini:2: \[network\] wq: an empty value" $'[network]\nwq = bin,,twn'
bad "bad quantizer" "bad.ini:2: \[network\] wq: .*heq:4" $'[network]\nwq = bin, heq:4'
bad "bad number" "bad.ini:2: \[train\] epochs: 'ten'" $'[train]\nepochs = ten'
bad "bad sim count" "bad.ini:2: \[sim\] sim_images: '-3'" $'[sim]\nsim_images = -3'
bad "out of range" "bad.ini:2: \[network\] width" $'[network]\nwidth = 0'
bad "bad enum" "bad.ini:2: \[network\] merge: 'xor': expected one of add,or,mux" $'[network]\nmerge = xor'
bad "bad pool order" "bad.ini:2: \[network\] pool_order: 'paperr': expected one of hw,paper" $'[network]\npool_order = paperr'
bad "unknown hw key" "bad.ini:2: \[hw\] array.pe_cols" $'[hw]\narray.pe_cols = 4'
bad "bad hw value" "bad.ini:2: \[hw\] array.pe_rows" $'[hw]\narray.pe_rows = many'
bad "missing hw base" "bad.ini:2: \[hw\] base: .*nowhere.ini" $'[hw]\nbase = nowhere.ini'
bad "bad architecture" "bad.ini:2: \[network\] arch: 'res11'" $'[network]\narch = res11'
bad "bad filter" "bad.ini:2: \[sweep\] filter: unknown parameter" $'[sweep]\nfilter = colour == red'
bad "filter keeps nothing" "no points" $'[sweep]\nfilter = merge == add\n[network]\nmerge = or'
bad "not an ini line" "bad.ini:2: not a .key = value. line" $'[network]\nthis is not ini'
expect_exit 2 "missing spec" "nowhere.ini" "$logiq" sweep nowhere.ini
expect_exit 2 "no spec" "give a sweep spec" "$logiq" sweep
expect_exit 2 "unknown point" "no such point" "$logiq" sweep small.ini --point 0123456789abcdef
"$logiq" sweep --help | grep -q "usage: logiq sweep"
check "sweep --help" $?

# ---- filter and point lists ----
cat >filt.ini <<'EOF2'
[sweep]
filter = merge == add || aq == 1
[network]
arch = res11
merge = add, or, mux
aq = 1, 2
EOF2
"$logiq" sweep filt.ini --dry-run >filt.out
check "the filter drops or/mux with 2-bit activations (4 points)" "$(grep -q '^sweep filt.*: 4 points' filt.out; echo $?)"
cat >list.ini <<'EOF2'
[network]
arch = res11
merge = or
[points]
a = merge=add aq=2
b = wq=twn
c = merge=mux hw.array.pe_rows=32
EOF2
"$logiq" sweep list.ini --dry-run >list.out
check "a [points] list gives exactly its points" "$(grep -q '^sweep list.*: 3 points' list.out; echo $?)"

# ---- models shared by what they are: 1 training x 20 hardware variants
# trains once (issue 16, part 2) ----
cat >hwonly.ini <<EOF2
[sweep]
name = hwonly
[network]
arch = "c8,p,f10"
[train]
epochs = 1
data = synthetic
train_limit = 256
test_limit = 64
[sim]
sim_images = 8
[hw]
base = $src/costmodels/hw/small.ini
array.lanes = 8, 16, 32, 64, 128
array.pe_rows = 2, 4, 8, 16
EOF2
"$logiq" sweep hwonly.ini --dry-run >hw-dry.out 2>&1
check "--dry-run counts 1 training for 20 points" "$(grep -q '^20 to run (1 trainings)' hw-dry.out; echo $?)"
"$logiq" sweep hwonly.ini -j 2 -q >hw.out 2>&1
check "the hardware-only sweep exits 0" $?
check "20 rows, all done" "$([ "$(q hwonly.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 20 ]; echo $?)"
n_trained=$(cat hwonly.d/*/point.log | grep -c 'trained its model')
n_reused=$(cat hwonly.d/*/point.log | grep -c 'reused a trained model')
n_logs=$(grep -l '^training: ' hwonly.d/models/*/train.log | wc -l)
check "one training ($n_trained trained, $n_reused reused, $n_logs training logs, $(ls hwonly.d/models | wc -l) shared models)" \
    "$([ "$n_trained" = 1 ] && [ "$n_reused" = 19 ] && [ "$n_logs" = 1 ] && [ "$(ls hwonly.d/models | wc -l)" = 1 ]; echo $?)"
check "one accuracy, 20 designs" "$([ "$(q hwonly.db "SELECT COUNT(DISTINCT acc_int) || ' ' || COUNT(DISTINCT gates_nand2) FROM points")" = '1 20' ]; echo $?)"
check "every point links the shared model" "$([ "$(ls -l hwonly.d/*/model.qnn | grep -c -- '-> ../models/')" = 20 ]; echo $?)"
"$logiq" sweep hwonly.ini --dry-run >hw-dry2.out 2>&1
check "--dry-run after the run: nothing to run" "$(grep -q '^0 to run (0 trainings)' hw-dry2.out; echo $?)"

# ---- Slurm: the array script, and shards merged into the store ----
"$logiq" sweep small.ini --store slurm.db --slurm >slurm.out 2>&1
check "--slurm writes the array job" "$([ -x slurm.d/slurm.sh ] && grep -q '^#SBATCH --array=0-5' slurm.d/slurm.sh; echo $?)"
bash -n slurm.d/slurm.sh
check "the script is valid bash" $?
# run two of its tasks as Slurm would, then merge
for t in 0 3; do SLURM_ARRAY_TASK_ID=$t bash slurm.d/slurm.sh >/dev/null 2>&1; done
check "two tasks wrote two shards" "$([ "$(ls slurm.d/shards/*.db | wc -l)" = 2 ]; echo $?)"
"$logiq" sweep small.ini --store slurm.db --merge slurm.d/shards >merge.out 2>&1
check "--merge folds them in" "$([ "$(q slurm.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 2 ]; echo $?)"
"$logiq" sweep small.ini --store slurm.db --slurm >slurm2.out 2>&1
check "the next script has the 4 pending points" "$(grep -q '^#SBATCH --array=0-3' slurm.d/slurm.sh; echo $?)"
# ---- [layers] and --search: per-layer widths and merges, NSGA-II over them ----
cat >layers.ini <<EOF2
[sweep]
name = layers
[network]
arch = "c8,c8,p,f10"
wq = bin
aq = 1
[layers]
1.w = bin, heq:3
2.merge = none, or, mux
2.w = default, heq:5
[train]
epochs = 1
data = synthetic
train_limit = 128
test_limit = 64
[hw]
base = $src/costmodels/hw/small.ini
EOF2
"$logiq" sweep layers.ini --dry-run >ly-dry.out 2>&1
check "[layers]: 2 x 3 x 2 = 12 points" "$(grep -q '^sweep layers (layers.ini): 12 points' ly-dry.out; echo $?)"
sed 's/^1.w = /5.w = /' layers.ini >ly-bad1.ini
expect_exit 2 "[layers] a layer the architecture lacks" "ly-bad1.ini:8: \[layers\] 5.w = bin: layer 5: .* has layers 1 to 3" \
    "$logiq" sweep ly-bad1.ini --dry-run
sed 's/^2.merge = /x.merge = /' layers.ini >ly-bad2.ini
expect_exit 2 "[layers] a malformed key" "expected N.w, N.a or N.merge" \
    "$logiq" sweep ly-bad2.ini --dry-run
sed 's/^2.merge = none, or, mux/2.merge = xor/' layers.ini >ly-bad3.ini
expect_exit 2 "[layers] an unknown merge" "expected one of none, add, or, mux" \
    "$logiq" sweep ly-bad3.ini --dry-run
expect_exit 2 "--search not a multiple of the population" "multiple of the population" \
    "$logiq" sweep layers.ini --search 12
"$logiq" sweep layers.ini --search 16 --population 8 -q >ly-s1.out 2>&1
check "--search 16 ends ($(tail -1 ly-s1.out))" "$(grep -q 'search done: 16 evaluations' ly-s1.out; echo $?)"
n_rows=$(q layers.db "SELECT COUNT(*) FROM points")
n_run=$(sed -n 's/.*distinct points (\([0-9]*\) run now.*/\1/p' ly-s1.out)
check "the search wrote one row per distinct point it ran ($n_rows rows, $n_run run, at most 12)" \
    "$([ "$n_rows" = "$n_run" ] && [ "$n_rows" -ge 2 ] && [ "$n_rows" -le 12 ]; echo $?)"
check "its points train the per-layer architectures" \
    "$([ "$(q layers.db "SELECT COUNT(*) FROM points WHERE arch_eff LIKE 'c8{w=heq:3%' OR arch_eff LIKE 'c8{w=bin%'")" = "$n_rows" ]; echo $?)"
"$logiq" sweep layers.ini --search 16 --population 8 -q >ly-s2.out 2>&1
check "the same search again runs nothing: every point from the store" \
    "$(grep -q "($n_run run now\|(0 run now, $n_rows from the store" ly-s2.out && grep -q '(0 run now' ly-s2.out; echo $?)"
check "and finds the same front" "$([ "$(sed -n 's/.*front of \([0-9]*\) points, hypervolume \([0-9.]*\).*/\1 \2/p' ly-s1.out)" = "$(sed -n 's/.*front of \([0-9]*\) points, hypervolume \([0-9.]*\).*/\1 \2/p' ly-s2.out)" ]; echo $?)"
"$logiq" report layers.db -o ly-report >ly-rep.out 2>&1
check "the report reads the search's store" "$(grep -q "of layers.db: $n_rows points (" ly-rep.out; echo $?)"
# ---- a full-precision reference point: trained, not exported or costed ----
cat >fpref.ini <<EOF2
[sweep]
name = fpref
[network]
arch = "c8,c8,p,f10"
wq = bin, fp
aq = 1
[train]
epochs = 1
data = synthetic
train_limit = 128
test_limit = 64
[hw]
base = $src/costmodels/hw/small.ini
EOF2
"$logiq" sweep fpref.ini -q >fpref.out 2>&1
check "the reference and the binary point are done ($(tail -1 fpref.out))" \
    "$([ "$(q fpref.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 2 ]; echo $?)"
check "the reference has the float accuracy only: no integer model, no hardware figure" \
    "$([ "$(q fpref.db "SELECT COUNT(*) FROM points WHERE wq = 'fp' AND acc_int IS NULL AND acc_float IS NOT NULL AND gates_nand2 IS NULL AND energy_op_pj IS NULL AND train_s > 0")" = 1 ]; echo $?)"
refkey=$(q fpref.db "SELECT key FROM points WHERE wq = 'fp'")
check "its float accuracy is the training log's last test accuracy" \
    "$([ "$(q fpref.db "SELECT printf('%.6f', acc_float) FROM points WHERE wq = 'fp'")" = "$(tail -1 "fpref.d/$refkey/model.csv" | cut -d, -f5)" ]; echo $?)"
check "and it wrote no model, cost or simulation" \
    "$([ ! -e "fpref.d/$refkey/model.qnn" ] && [ ! -e "fpref.d/$refkey/cost.json" ] && [ -e "fpref.d/$refkey/model.lqc" ]; echo $?)"
"$logiq" report fpref.db -o fpref-report >fpref-rep.out 2>&1
check "the report draws it as the reference line and names it" \
    "$(grep -q 'full precision: ' fpref-report/acc_gates.gp && grep -q 'Full-precision reference' fpref-report/report.md; echo $?)"
exit $fail

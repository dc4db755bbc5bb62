#!/bin/bash
# tests/cli_explore.sh: `logiq explore` as a user runs it: an exhaustive run
# prints and stores its front (the store's front is the designs' front,
# recomputed here with SQL), the NSGA-II search is deterministic for a seed
# and its front is made of feasible evaluated designs, --compare reports the
# share of the exhaustive hypervolume, bad space files exit 2 naming the
# file, line and key, a sweep's store is refused, and Ctrl-C leaves a store
# with whole runs only.
# Usage: bash cli_explore.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" explore --help | grep -q -- "--space FILE"
check "explore --help" $?
"$logiq" --help | grep -q "^  explore"
check "logiq --help lists explore" $?
"$logiq" bench explore --help | grep -q "designs/s"
check "bench explore --help" $?

cat >"$dir/space.ini" <<'INI'
; 4 x 4 x 4 x 3 x 2 = 384 designs
[array]
lanes = 16, 32, 64, 128
pe_rows = 4, 8, 16, 32
adder = ripple, cla, brent-kung, kogge-stone
acc_bits = 12, 16, 20
[design]
clock_mhz = auto, 300
INI

"$logiq" explore --arch res11-or --width 0.25 --space "$dir/space.ini" -o "$dir/x.db" \
    --keep all -q >"$dir/grid.txt" 2>"$dir/err"
check "explore: exhaustive run exits 0 ($(head -c 200 "$dir/err"))" $?
grep -q "^grid: 384 designs" "$dir/grid.txt"
check "the grid has 384 designs" $?
grep -q "most common reason: \[array\] acc_bits" "$dir/grid.txt"
check "infeasible designs are counted with the most common reason" $?
n_front=$(sed -n 's/^front: \([0-9]*\) designs.*/\1/p' "$dir/grid.txt")
[ -n "$n_front" ] && [ "$n_front" -gt 0 ]
check "the front is printed ($n_front designs)" $?
[ "$(q "$dir/x.db" "select count(*) from designs where run = 1")" = 384 ] &&
    [ "$(q "$dir/x.db" "select method || ' ' || complete || ' ' || front from runs where run = 1")" = "grid 1 $n_front" ]
check "the store holds the run and its 384 designs" $?
# the front recomputed in SQL: feasible designs no feasible design dominates
sql_front=$(q "$dir/x.db" "select count(*) from designs p where p.run = 1 and p.feasible and
    not exists (select 1 from designs d where d.run = 1 and d.feasible and
      d.gates_nand2 <= p.gates_nand2 and d.energy_pj <= p.energy_pj and
      d.latency_us <= p.latency_us and d.area_um2 <= p.area_um2 and
      (d.gates_nand2 < p.gates_nand2 or d.energy_pj < p.energy_pj or
       d.latency_us < p.latency_us or d.area_um2 < p.area_um2))")
flagged=$(q "$dir/x.db" "select count(*) from designs where run = 1 and on_front")
[ "$sql_front" = "$n_front" ] && [ "$flagged" = "$n_front" ]
check "the stored front equals the non-dominated set recomputed in SQL ($sql_front, $flagged)" $?
[ "$(q "$dir/x.db" "pragma user_version")" = 1 ]
check "the store carries its schema version" $?

# the report of an exploration store: one figure from the last run
"$logiq" report "$dir/x.db" -o "$dir/rep" -q 2>"$dir/err"
check "report of an exploration store exits 0 ($(head -c 200 "$dir/err"))" $?
feas=$(q "$dir/x.db" "select count(*) from designs where run = 1 and feasible")
[ -s "$dir/rep/explore.png" ] && [ -s "$dir/rep/explore.svg" ] &&
    [ "$(($(wc -l <"$dir/rep/explore.csv") - 1))" = "$feas" ] &&
    [ "$(awk -F, 'NR > 1 && $2 == 1' "$dir/rep/explore.csv" | wc -l)" = "$n_front" ]
check "the report draws the run's $feas feasible designs and its front" $?
expect_exit 2 "report --run of a missing run" "no run 9" \
    "$logiq" report "$dir/x.db" -o "$dir/rep9" --run 9

# the search: deterministic for a seed; its front from feasible evaluated designs
for r in a b; do
    "$logiq" explore --arch res11-or --width 0.25 --space "$dir/space.ini" --method nsga2 \
        --evals 160 --pop 16 --seed 7 --top 0 -o "$dir/s.db" --keep all -q \
        >"$dir/nsga.$r.txt" 2>"$dir/err"
    check "explore --method nsga2 run $r exits 0" $?
done
grep -v " in [0-9.]* s" "$dir/nsga.a.txt" | grep -v "^stored run" >"$dir/a" 
grep -v " in [0-9.]* s" "$dir/nsga.b.txt" | grep -v "^stored run" >"$dir/b"
cmp -s "$dir/a" "$dir/b" && grep -q "^nsga2 (seed 7, population 16, 9 generations): 160 evaluations" "$dir/nsga.a.txt"
check "the same seed gives the same front" $?
bad=$(q "$dir/s.db" "select count(*) from designs p where p.run = 1 and p.on_front and
    (not p.feasible or exists (select 1 from designs d where d.run = 1 and d.feasible and
      d.gates_nand2 <= p.gates_nand2 and d.energy_pj <= p.energy_pj and
      d.latency_us <= p.latency_us and d.area_um2 <= p.area_um2 and
      (d.gates_nand2 < p.gates_nand2 or d.energy_pj < p.energy_pj or
       d.latency_us < p.latency_us or d.area_um2 < p.area_um2)))")
[ "$bad" = 0 ] && [ "$(q "$dir/s.db" "select count(*) from designs where run = 1 and on_front")" -gt 0 ]
check "the search's front is feasible evaluated designs, non-dominated among them" $?
"$logiq" explore --arch res11-or --width 0.25 --space "$dir/space.ini" --method nsga2 \
    --evals 160 --pop 16 --seed 1 --compare -q >"$dir/cmp.txt" 2>"$dir/err"
check "explore --compare exits 0" $?
grep -q "^search vs exhaustive: [0-9.]* % of the exhaustive front's hypervolume in 160 evaluations" "$dir/cmp.txt"
check "--compare reports the share of the exhaustive hypervolume" $?

# the example spaces read and run
src=${LOGIQ_TEST_SRC:-$(dirname "$0")}/..
for sp in space space-add; do
    net=res11-or
    [ $sp = space-add ] && net=res11-add
    "$logiq" explore --arch $net --width 0.25 --space "$src/sweeps/$sp.ini" -q --top 1 \
        >"$dir/$sp.txt" 2>"$dir/err"
    check "the example sweeps/$sp.ini explores ($(head -c 200 "$dir/err"))" $?
done

# keys of one value are fixed settings, not search variables (pagmo's
# NSGA-II refuses equal bounds): the search runs, and a space of one design
# is that design; a grid with nothing feasible has nothing to compare
printf '[array]\nlanes = 64, 32\npe_rows = 8\nadder = cla, ripple\n' >"$dir/fixed.ini"
"$logiq" explore --arch res11-or --width 0.25 --space "$dir/fixed.ini" --method nsga2 \
    --evals 80 --pop 8 -q --compare >"$dir/fixed.txt" 2>"$dir/err" &&
    grep -q "^search vs exhaustive: 100.00 %" "$dir/fixed.txt"
check "nsga2 with a key of one value ($(head -c 200 "$dir/err"))" $?
printf '[array]\nlanes = 64\n' >"$dir/one.ini"
"$logiq" explore --arch res11-or --width 0.25 --space "$dir/one.ini" --method nsga2 \
    --evals 80 --pop 8 -q >"$dir/one.txt" 2>"$dir/err" && grep -q "^front: 1 designs" "$dir/one.txt"
check "nsga2 on a space of one design ($(head -c 200 "$dir/err"))" $?
printf '[array]\nacc_bits = 4, 5\nlanes = 16, 32\n' >"$dir/infeasible.ini"
"$logiq" explore --arch res11-or --width 0.25 --space "$dir/infeasible.ini" --method nsga2 \
    --evals 80 --pop 8 -q --compare >"$dir/inf.txt" 2>"$dir/err" &&
    grep -q "no feasible design in the grid, nothing to compare" "$dir/inf.txt" &&
    grep -q "^no feasible design" "$dir/inf.txt"
check "nothing feasible: said, exit 0 ($(head -c 200 "$dir/err"))" $?

# bad input: exit 2, one line naming the file, the line and the key
printf '[array]\nlanes = 16, 32\nadder = cla, fast\n' >"$dir/bad1.ini"
expect_exit 2 "a bad value names file, line and key" "bad1.ini:3: \[array\] adder: expected" \
    "$logiq" explore --arch res11-or --space "$dir/bad1.ini"
printf '[array]\nlanes = 16\n[merge]\nrequantizer = mul\n' >"$dir/bad2.ini"
expect_exit 2 "an unknown key names file, line and key" "bad2.ini:4: \[merge\] requantizer: unknown key" \
    "$logiq" explore --arch res11-or --space "$dir/bad2.ini"
printf '[array]\npe_rows = 4,,8\n' >"$dir/bad3.ini"
expect_exit 2 "an empty list item names file, line and key" "bad3.ini:2: \[array\] pe_rows: an empty value" \
    "$logiq" explore --arch res11-or --space "$dir/bad3.ini"
expect_exit 2 "a missing space file" "nope.ini" \
    "$logiq" explore --arch res11-or --space "$dir/nope.ini"
expect_exit 2 "--space is required" "--space FILE" "$logiq" explore --arch res11-or
expect_exit 2 "a grid beyond --max-evals with --method grid" "exceed --max-evals 100" \
    "$logiq" explore --arch res11-or --space "$dir/space.ini" --method grid --max-evals 100
expect_exit 2 "a population that is not a multiple of 4" "--pop" \
    "$logiq" explore --arch res11-or --space "$dir/space.ini" --method nsga2 --pop 10
sqlite3 "$dir/sweep.db" "create table points (key text); pragma user_version = 6;"
expect_exit 2 "a sweep's store is refused" "not an exploration store" \
    "$logiq" explore --arch res11-or --width 0.25 --space "$dir/space.ini" -o "$dir/sweep.db" -q

# Ctrl-C in a long grid: exit 1, and the store holds whole runs only
cat >"$dir/big.ini" <<'INI'
[array]
lanes = 8, 16, 24, 32, 48, 64, 96, 128, 192, 256
pe_rows = 2, 4, 8, 12, 16, 24, 32, 48, 64, 128
adder = ripple, cla, brent-kung, kogge-stone
acc_bits = 14, 16, 18, 20, 22, 24, 28, 32
pe = bitplane, shift
max_act_bits = 1, 2, 3, 4
[design]
clock_mhz = auto, 100, 150, 200, 250, 300, 350, 400, 450, 500
[buffers]
act_kbits = auto, 64, 128, 256, 512
INI
"$logiq" explore --arch res11-or --width 0.25 --space "$dir/big.ini" -o "$dir/x.db" -q \
    --max-evals 100000000 >"$dir/int.txt" 2>"$dir/int.err" &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 1 ] && grep -q "interrupted" "$dir/int.err"
check "Ctrl-C stops a long grid with exit 1 (exit $rc)" $?
[ "$(q "$dir/x.db" "select count(*) from runs where complete = 0")" = 1 ] &&
    [ "$(q "$dir/x.db" "select count(*) from runs r where front != (select count(*) from designs d where d.run = r.run and d.on_front)")" = 0 ]
check "the interrupted run is stored whole, marked incomplete" $?
exit $fail

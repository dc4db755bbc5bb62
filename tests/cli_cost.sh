#!/bin/bash
# tests/cli_cost.sh: `logiq cost` as a user runs it: the presets price on the
# shipped designs in every format, the merge path shows what add, or and mux
# cost, and a bad hw.ini or a design too small for the network gives exit
# code 2 with a one-line message naming the file, key or layer.
# Usage: bash cli_cost.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
src=${LOGIQ_TEST_SRC:-$(dirname "$0")}/..
small=$src/costmodels/hw/small.ini
large=$src/costmodels/hw/large.ini
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
csv_value() { # csv_value FILE SECTION ITEM METRIC
    awk -F, -v s="$2" -v i="$3" -v m="$4" '$1==s && $2==i && $3==m {print $4}' "$1"
}

"$logiq" cost --help | grep -q -- "--hw FILE"
check "cost --help" $?
"$logiq" cost --help-hw | grep -q "\[merge\] kind"
check "cost --help-hw lists the keys" $?

for net in res11-or res11-mux res11-add vgg11; do
    "$logiq" cost --arch $net --hw "$large" >"$dir/$net.txt" 2>"$dir/err"
    check "cost --arch $net on the large design exits 0" $?
    "$logiq" cost --arch $net --width 0.25 --hw "$small" --format csv >"$dir/$net.csv" 2>"$dir/err"
    check "cost --arch $net --width 0.25 on the small design, csv" $?
done
grep -q "^merge path (or)" "$dir/res11-or.txt" && grep -q "^merge path (add)" "$dir/res11-add.txt"
check "the table shows the merge path" $?
grep -q "^popcount" "$dir/res11-or.txt" && grep -q "^act (2 banks)" "$dir/res11-or.txt"
check "the table shows units and buffers" $?

# The three merges on the same design: totals differ by the merge paths. At
# a fixed clock: with clock_mhz = auto each merge's design runs at its own
# fmax, and the leakage over the inference differs beyond the merge path.
sed 's/^clock_mhz = auto/clock_mhz = 100/' "$small" >"$dir/small100.ini"
for net in res11-or res11-mux res11-add; do
    "$logiq" cost --arch $net --width 0.25 --hw "$dir/small100.ini" --format csv \
        >"$dir/$net.100.csv" 2>"$dir/err"
    check "cost --arch $net --width 0.25 on the small design at 100 MHz, csv" $?
done
for m in or mux; do
    g_or=$(csv_value "$dir/res11-add.100.csv" design total nand2_eq)
    g_m=$(csv_value "$dir/res11-$m.100.csv" design total nand2_eq)
    p_add=$(csv_value "$dir/res11-add.100.csv" merge_path add nand2_eq)
    p_m=$(csv_value "$dir/res11-$m.100.csv" merge_path $m nand2_eq)
    awk -v a="$g_or" -v b="$g_m" -v pa="$p_add" -v pb="$p_m" \
        'BEGIN { d = (a - b) - (pa - pb); exit !(d < 1e-6 && d > -1e-6 && pa > pb) }'
    check "add vs $m: gate totals differ by the merge paths ($g_or - $g_m = $p_add - $p_m)" $?
    e_a=$(csv_value "$dir/res11-add.100.csv" design total energy_pj)
    e_m=$(csv_value "$dir/res11-$m.100.csv" design total energy_pj)
    pe_a=$(csv_value "$dir/res11-add.100.csv" merge_path add energy_pj)
    pe_m=$(csv_value "$dir/res11-$m.100.csv" merge_path $m energy_pj)
    awk -v a="$e_a" -v b="$e_m" -v pa="$pe_a" -v pb="$pe_m" \
        'BEGIN { d = (a - b) - (pa - pb); exit !(d < 1e-6 * a && d > -1e-6 * a) }'
    check "add vs $m: energy totals differ by the merge paths" $?
done

"$logiq" cost --arch res11-or --hw "$large" --format json >"$dir/or.json"
check "json output" $?
grep -q '"merge_path"' "$dir/or.json" && grep -q '"layers"' "$dir/or.json"
check "json has layers and the merge path" $?
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["schema_version"] == 1 and d["logiq_version"]' "$dir/or.json"
check "json parses and carries the tool's and the schema's versions" $?

# the shift PE: pow2:3 layers take one weight pass instead of 3 magnitude planes
printf '[array]\nmax_w_bits = 3\n' >"$dir/bp.ini"
printf '[array]\nmax_w_bits = 3\npe = shift\n' >"$dir/sh.ini"
for pe in bp sh; do
    "$logiq" cost --arch 'c8,c8+or,p,c16,p,f10' --wq pow2:3 --hw "$dir/$pe.ini" --format csv \
        >"$dir/p2-$pe.csv" 2>"$dir/err"
    check "cost of a pow2:3 network on $pe.ini" $?
done
wb=$(csv_value "$dir/p2-bp.csv" layer 2 w_passes)
ws=$(csv_value "$dir/p2-sh.csv" layer 2 w_passes)
check "pow2:3 layer 2: $wb weight passes on the bit planes, $ws on the shift PE" \
    "$([ "$wb" = 3 ] && [ "$ws" = 1 ]; echo $?)"
cb=$(csv_value "$dir/p2-bp.csv" design total cycles)
cs=$(csv_value "$dir/p2-sh.csv" design total cycles)
gb=$(csv_value "$dir/p2-bp.csv" design total nand2_eq)
gs=$(csv_value "$dir/p2-sh.csv" design total nand2_eq)
awk -v cb="$cb" -v cs="$cs" -v gb="$gb" -v gs="$gs" 'BEGIN { exit !(3 * cs < cb + 100 && gs > gb) }'
check "shift PE: $cs cycles against $cb, $gs NAND2 eq against $gb" $?
"$logiq" cost --help-hw | grep -q "\[array\] pe "
check "cost --help-hw lists [array] pe" $?

# The exact weight codes (docs/accelerator.md, "Weight words"): c16,c16,p,f10
# on 28x28 images holds 144 + 2304 + 31360 = 33808 weights. pow2:3 and
# dorefa:3 store 3 bits a weight where sign-magnitude with the same 3
# magnitude planes (uniform:4, same activations, so the same thresholds)
# stores 4, in the same cycles on the bit-plane PE; pow2:3 pays the fetch
# unit's decoders there, dorefa:3 nothing. On a shift PE (3 exponents) the
# pow2:3 word is 3 bits too (sign and exponent code), in one pass.
for wq in pow2:3 dorefa:3 uniform:4; do
    for pe in bp sh; do
        "$logiq" cost --arch c16,c16,p,f10 --wq $wq --aq 2 --hw "$dir/$pe.ini" --format csv \
            >"$dir/x-${wq%%:*}-$pe.csv" 2>"$dir/err"
        check "cost of c16,c16,p,f10 with $wq on $pe.ini" $?
    done
done
wbits() { csv_value "$dir/x-$1-$2.csv" buffer weight used_bits; }
for wq in pow2 dorefa; do
    for pe in bp sh; do
        d=$(awk -v a="$(wbits uniform $pe)" -v b="$(wbits $wq $pe)" 'BEGIN { print a - b }')
        check "$wq:3 on $pe: weight buffer $(wbits $wq $pe) bits, sign-magnitude $(wbits uniform $pe): $d = 33808 fewer" \
            "$([ "$d" = 33808 ]; echo $?)"
    done
    c=$(csv_value "$dir/x-$wq-bp.csv" design total cycles)
    cu=$(csv_value "$dir/x-uniform-bp.csv" design total cycles)
    check "$wq:3 on the bit planes: $c cycles, sign-magnitude $cu" "$([ "$c" = "$cu" ]; echo $?)"
done
ap=$(csv_value "$dir/x-pow2-bp.csv" unit xnor_and_array nand2_eq)
ad=$(csv_value "$dir/x-dorefa-bp.csv" unit xnor_and_array nand2_eq)
au=$(csv_value "$dir/x-uniform-bp.csv" unit xnor_and_array nand2_eq)
awk -v p="$ap" -v d="$ad" -v u="$au" 'BEGIN { exit !(p > u && d == u) }'
check "XNOR/AND array: pow2:3 $ap NAND2 eq (the decoders), dorefa:3 $ad, sign-magnitude $au" $?
wp=$(csv_value "$dir/x-pow2-sh.csv" layer 2 w_passes)
check "pow2:3 on the shift PE: $wp weight pass" "$([ "$wp" = 1 ]; echo $?)"

printf '[array]\npe = fast\n' >"$dir/bad_pe.ini"
expect_exit 2 "bad pe" "\[array\] pe: expected bitplane, shift" \
    "$logiq" cost --arch res11-or --hw "$dir/bad_pe.ini"

# [array] pow2_words = planes: pow2:3 on the bit planes held as sign and
# magnitude planes (4 bits a weight) with no decoders, against the exact code
# (3 bits and the fetch unit's decoders): fewer gates and less energy for one
# bit a weight more, the same cycles
printf '[array]\nmax_w_bits = 3\npow2_words = planes\n' >"$dir/bpp.ini"
"$logiq" cost --arch 'c16,c16,p,f10' --wq pow2:3 --hw "$dir/bp.ini" --format csv >"$dir/pw-code.csv"
"$logiq" cost --arch 'c16,c16,p,f10' --wq pow2:3 --hw "$dir/bpp.ini" --format csv >"$dir/pw-planes.csv"
check "cost with pow2_words = planes" $?
gc=$(csv_value "$dir/pw-code.csv" design total nand2_eq); gp=$(csv_value "$dir/pw-planes.csv" design total nand2_eq)
ec=$(csv_value "$dir/pw-code.csv" design total energy_pj); ep=$(csv_value "$dir/pw-planes.csv" design total energy_pj)
cc=$(csv_value "$dir/pw-code.csv" design total cycles); cp=$(csv_value "$dir/pw-planes.csv" design total cycles)
wc=$(csv_value "$dir/pw-code.csv" buffer weight used_bits); wp=$(csv_value "$dir/pw-planes.csv" buffer weight used_bits)
awk -v gc="$gc" -v gp="$gp" -v ec="$ec" -v ep="$ep" -v cc="$cc" -v cp="$cp" -v wc="$wc" -v wp="$wp" \
    'BEGIN { exit !(gp < gc && ep < ec && cc == cp && wp > wc) }'
check "pow2 planes: $gp NAND2 eq against $gc, $ep pJ against $ec, weights $wp bits against $wc, cycles $cp = $cc" $?
printf '[array]\npow2_words = bits\n' >"$dir/bad_pw.ini"
expect_exit 2 "a bad [array] pow2_words names the key" "bad_pw.ini:2.*\[array\] pow2_words: expected code, planes" \
    "$logiq" cost --arch res11-or --hw "$dir/bad_pw.ini"

# a trained model prices like its architecture (same shapes)
"$logiq" train --data synthetic --arch 'c8,c8+or,p,c16,p,f10' --epochs 1 -q \
    -o "$dir/m.qnn" >/dev/null 2>&1
"$logiq" cost "$dir/m.qnn" --format csv >"$dir/m-auto.csv"
check "cost of a trained .qnn" $?
# at the same multiplier width (auto derives the .qnn's from its constants,
# and has none to derive from for an architecture: 32)
printf '[merge]\nrq_mul_bits = 32\n' >"$dir/mul32.ini"
"$logiq" cost "$dir/m.qnn" --hw "$dir/mul32.ini" --format csv >"$dir/m.csv"
"$logiq" cost --arch 'c8,c8+or,p,c16,p,f10' --hw "$dir/mul32.ini" --format csv >"$dir/a.csv"
cmp -s "$dir/m.csv" "$dir/a.csv"
check "a .qnn and its architecture (synthetic data: 28x28x1) price the same" $?
sa=$(csv_value "$dir/m-auto.csv" merge_path or score_mul_bits)
sd=$(csv_value "$dir/m.csv" merge_path or score_mul_bits)
check "score multiplier: $sa bits derived from the .qnn (auto), $sd given" \
    "$([ "$sa" -ge 2 ] && [ "$sa" -le 32 ] && [ "$sd" = 32 ]; echo $?)"

# bad hw.ini files
printf '[array]\nlanez = 8\n' >"$dir/bad1.ini"
expect_exit 2 "unknown key" "bad1.ini:2: \[array\] lanez: unknown key" \
    "$logiq" cost --arch res11-or --hw "$dir/bad1.ini"
printf '[array]\nlanes = eight\n' >"$dir/bad2.ini"
expect_exit 2 "wrong type" "bad2.ini:2: \[array\] lanes: expected an integer" \
    "$logiq" cost --arch res11-or --hw "$dir/bad2.ini"
printf '[array]\npe_rows = 0\n' >"$dir/bad3.ini"
expect_exit 2 "out of range" "\[array\] pe_rows" "$logiq" cost --arch res11-or --hw "$dir/bad3.ini"
printf '[array]\nlanes = 8\nlanes = 16\n' >"$dir/bad4.ini"
expect_exit 2 "key given twice" "lanes: given twice" "$logiq" cost --arch res11-or --hw "$dir/bad4.ini"
printf '[buffers]\nact_kbits = 4\n' >"$dir/bad5.ini"
expect_exit 2 "buffer too small for a layer" "infeasible: layer 1: activations: 25088 bits; \[buffers\] act_kbits = 4" \
    "$logiq" cost --arch res11-or --hw "$dir/bad5.ini"
printf '[merge]\nkind = add\n' >"$dir/bad6.ini"
expect_exit 2 "merge unit the network does not use" "infeasible: layer 2 merges with or; \[merge\] kind = add" \
    "$logiq" cost --arch res11-or --hw "$dir/bad6.ini"
printf '[design]\ntech = nothere.cells\n' >"$dir/bad7.ini"
expect_exit 2 "missing cell library" "tech: .*nothere.cells" "$logiq" cost --arch res11-or --hw "$dir/bad7.ini"
printf 'library broken\nINV 0.5 0.67 1 1 15\n' >"$dir/broken.cells"
printf '[design]\ntech = broken.cells\n' >"$dir/bad8.ini"
expect_exit 2 "incomplete cell library" "broken.cells" "$logiq" cost --arch res11-or --hw "$dir/bad8.ini"
# timing keys and cell delays
printf '[merge]\nkind = add\nadd_stages = 3\n' >"$dir/bad9.ini"
expect_exit 2 "add_stages out of range" "bad9.ini:3: \[merge\] add_stages: expected an integer in 1..2" \
    "$logiq" cost --arch res11-add --hw "$dir/bad9.ini"
printf '[merge]\nadd_stages = two\n' >"$dir/bad10.ini"
expect_exit 2 "add_stages not a number" "bad10.ini:2: \[merge\] add_stages" \
    "$logiq" cost --arch res11-add --hw "$dir/bad10.ini"
printf '[design]\nclock_mhz = fast\n' >"$dir/bad11.ini"
expect_exit 2 "clock_mhz neither auto nor a number" \
    "bad11.ini:2: \[design\] clock_mhz: expected auto or a number" \
    "$logiq" cost --arch res11-or --hw "$dir/bad11.ini"
printf '[design]\nclock_mhz = 0\n' >"$dir/bad12.ini"
expect_exit 2 "clock_mhz 0" "bad12.ini:2: \[design\] clock_mhz" \
    "$logiq" cost --arch res11-or --hw "$dir/bad12.ini"
# a cell library without delays (the five fields of before): the file and line
sed -e 's/^\(NAND2 .*\)  *20$/\1/' "$src/costmodels/tech/generic45.cells" >"$dir/nodelay.cells"
printf '[design]\ntech = nodelay.cells\n' >"$dir/bad13.ini"
expect_exit 2 "cell library without delays" "nodelay.cells:[0-9]*: NAND2: missing delay_ps" \
    "$logiq" cost --arch res11-or --hw "$dir/bad13.ini"
sed -e 's/^\(DFF .*\)  *40$/\1/' "$src/costmodels/tech/generic45.cells" >"$dir/nosetup.cells"
printf '[design]\ntech = nosetup.cells\n' >"$dir/bad14.ini"
expect_exit 2 "DFF without setup" "nosetup.cells:[0-9]*: DFF: missing setup_ps" \
    "$logiq" cost --arch res11-or --hw "$dir/bad14.ini"
sed -e 's/^\(XOR2 .*\)  *55$/\1 -5/' "$src/costmodels/tech/generic45.cells" >"$dir/negdelay.cells"
printf '[design]\ntech = negdelay.cells\n' >"$dir/bad15.ini"
expect_exit 2 "negative delay" "negdelay.cells:[0-9]*: XOR2 delay_ps: -5, expected a positive number" \
    "$logiq" cost --arch res11-or --hw "$dir/bad15.ini"

# fmax and the critical stage in every format; auto runs at fmax; a fixed
# clock above fmax warns; one add stage is one cycle less a stream layer
grep -q "^timing: fmax [0-9.]* MHz, critical stage RQ " "$dir/res11-add.txt"
check "the table names fmax and the critical stage" $?
f=$(csv_value "$dir/res11-add.csv" design total fmax_mhz)
c=$(csv_value "$dir/res11-add.csv" design total clock_mhz)
awk -v f="$f" -v c="$c" 'BEGIN { exit !(f > 1 && f == c) }'
check "csv: clock auto = fmax ($c, $f MHz)" $?
[ "$(awk -F, '$1=="stage" && $3=="critical" && $4==1 {print $2}' "$dir/res11-add.csv")" = RQ ]
check "csv: the critical stage" $?
"$logiq" cost --arch res11-add --hw "$large" --format json >"$dir/add.json" 2>"$dir/err" &&
    grep -q '"fmax_mhz"' "$dir/add.json" && grep -q '"critical_stage":[[:space:]]*"RQ"' "$dir/add.json"
check "json: fmax and the critical stage" $?
printf '[design]\nclock_mhz = 5000\n' >"$dir/fast.ini"
"$logiq" cost --arch res11-or --hw "$dir/fast.ini" >"$dir/fast.txt" 2>"$dir/fast.err"
check "a clock above fmax still costs (exit 0)" $?
grep -q "warning: .*fast.ini: \[design\] clock_mhz = 5000 exceeds fmax" "$dir/fast.err" &&
    grep -q "timing NOT met" "$dir/fast.txt"
check "a clock above fmax warns" $?
sed 's/^\[merge\]$/[merge]\nadd_stages = 1/' "$small" >"$dir/small1.ini"
"$logiq" cost --arch res11-add --width 0.25 --hw "$dir/small1.ini" --format csv >"$dir/add1.csv" 2>"$dir/err"
check "add_stages = 1 costs" $?
cy2=$(csv_value "$dir/res11-add.csv" design total cycles)
cy1=$(csv_value "$dir/add1.csv" design total cycles)
ex2=$(csv_value "$dir/res11-add.csv" merge_path add cycles)
ex1=$(csv_value "$dir/add1.csv" merge_path add cycles)
awk -v a="$cy1" -v b="$cy2" -v x="$ex1" -v y="$ex2" 'BEGIN { exit !(x > 0 && y == 2 * x && b - a == x) }'
check "one add stage: $cy1 cycles vs $cy2 (merge cycles $ex1 vs $ex2)" $?
[ "$(awk -F, '$1=="stage" && $2=="RQ+ADD" && $3=="critical" {print $4}' "$dir/add1.csv")" = 1 ]
check "one add stage: RQ+ADD is the critical stage" $?

expect_exit 2 "missing hw.ini" "nothere.ini" "$logiq" cost --arch res11-or --hw "$dir/nothere.ini"
expect_exit 2 "no network" "give a model.qnn or --arch" "$logiq" cost
# the add merge's variants: bad values of its keys are one-line errors naming
# the key; a shift requantizer on constants that are not powers of two is an
# infeasible design with the reason; trained with --res-scale pow2, it runs
one_line() { # one_line NAME: the last command's stderr is one line
    check "$1: one line" "$([ "$(wc -l <"$dir/err")" -eq 1 ]; echo $?)"
}
for v in 1 41 autox 3.5 ""; do
    printf '[merge]\nrq_mul_bits = %s\n' "$v" >"$dir/bad_rq.ini"
    expect_exit 2 "rq_mul_bits = '$v'" "\[merge\] rq_mul_bits: expected an integer in auto or 2..40" \
        "$logiq" cost --arch res11-add --hw "$dir/bad_rq.ini"
    one_line "rq_mul_bits = '$v'"
done
for v in div MUL2 ""; do
    printf '[merge]\nrequant = %s\n' "$v" >"$dir/bad_requant.ini"
    expect_exit 2 "requant = '$v'" "\[merge\] requant: expected mul, shift" \
        "$logiq" cost --arch res11-add --hw "$dir/bad_requant.ini"
    one_line "requant = '$v'"
done
"$logiq" cost --help-hw | grep -q "\[merge\] requant "
check "cost --help-hw lists [merge] requant" $?
printf '[merge]\nrequant = shift\n' >"$dir/shift.ini"
"$logiq" train --data synthetic --arch 'c8,c8+add,c8+add,p,f10' --epochs 1 -q \
    -o "$dir/add.qnn" >/dev/null 2>&1
"$logiq" train --data synthetic --arch 'c8,c8+add,c8+add,p,f10' --epochs 1 -q \
    --res-scale pow2 -o "$dir/add-p2.qnn" >/dev/null 2>&1
check "train --res-scale pow2" $?
expect_exit 2 "requant = shift on a free-scale network" "infeasible.*not +-2^e.*requant = shift" \
    "$logiq" cost "$dir/add.qnn" --hw "$dir/shift.ini"
one_line "requant = shift on a free-scale network"
"$logiq" cost "$dir/add-p2.qnn" --hw "$dir/shift.ini" --format csv >"$dir/p2-shift.csv"
check "cost of a pow2 network on requant = shift" $?
"$logiq" cost "$dir/add-p2.qnn" --format csv >"$dir/p2-mul.csv"
rs=$(csv_value "$dir/p2-shift.csv" merge_part requantizer nand2_eq)
rm=$(csv_value "$dir/p2-mul.csv" merge_part requantizer nand2_eq)
awk -v s="$rs" -v m="$rm" 'BEGIN { exit !(s > 0 && s < m) }'
check "shift requantizer $rs NAND2 eq, multiplier $rm" $?
parts=$(awk -F, '$1=="merge_part" && $3=="nand2_eq" {s += $4} END {printf "%.6f", s}' "$dir/p2-shift.csv")
total=$(csv_value "$dir/p2-shift.csv" merge_path add nand2_eq)
awk -v p="$parts" -v t="$total" 'BEGIN { d = p - t; exit !(d < 1e-6 && d > -1e-6) }'
check "merge parts sum to the merge path ($parts, $total NAND2 eq)" $?
"$logiq" cost "$dir/add-p2.qnn" --hw "$dir/shift.ini" --format json >"$dir/p2-shift.json"
grep -q '"requantizer"' "$dir/p2-shift.json" && grep -q '"select"' "$dir/p2-shift.json"
check "JSON merge_path.parts" $?
"$logiq" sim "$dir/add-p2.qnn" --hw "$dir/shift.ini" --data synthetic --images 20 >"$dir/sim.out" 2>&1
check "sim of a pow2 network on requant = shift" $?
grep -q "all outputs matched the integer model" "$dir/sim.out"
check "shift requantizer simulated bit-exactly" $?
awk '$1 ~ /^[0-9]+$/ && NF >= 4 { n++; if ($4 != "yes") bad++ } END { exit !(n >= 4 && !bad) }' \
    "$dir/sim.out"
check "shift requantizer: simulated cycles equal the analytic ones in every layer" $?
expect_exit 2 "bad --res-scale" "--res-scale: expected free or pow2" \
    "$logiq" train --data synthetic --arch 'c8,c8+add,f10' --res-scale 2 -o "$dir/x.qnn"

expect_exit 2 "bad format" "--format" "$logiq" cost --arch res11-or --format xml
expect_exit 2 "bad architecture" "c0" "$logiq" cost --arch c0,f10

# the MUX merge's variants: `sel` (y = sel ? skip : code) is the `or`
# variant's unit without its OR2, one a PE; [merge] mux fixes the variant
mux_gates() { "$logiq" cost --arch res11-mux --width 0.25 --hw "$src/costmodels/hw/small.ini" "$@" --format csv | awk -F, '$1 == "unit" && $2 == "merge" && $3 == "nand2_eq" { print $4 }'; }
g_or=$(mux_gates --mux or)
g_sel=$(mux_gates --mux sel)
check "mux sel prices its own netlist: $g_sel NAND2 eq against or's $g_or (16 OR2 less)" \
    "$(awk -v a="$g_or" -v b="$g_sel" 'BEGIN { d = a - b; exit !(d > 21 && d < 22) }'; echo $?)"
printf '[merge]\nmux = or\n' >"$dir/mux_or.ini"
expect_exit 2 "a sel network on [merge] mux = or is infeasible" "mux = or" \
    "$logiq" cost --arch res11-mux --width 0.25 --mux sel --hw "$dir/mux_or.ini"
printf '[merge]\nmux = xor\n' >"$dir/mux_bad.ini"
expect_exit 2 "a bad [merge] mux names the key" "mux_bad.ini:2.*\[merge\] mux" \
    "$logiq" cost --arch res11-mux --hw "$dir/mux_bad.ini"

[ $fail -eq 0 ] && rm -rf "$dir"
exit $fail

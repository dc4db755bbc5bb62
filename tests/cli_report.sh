#!/bin/bash
# tests/cli_report.sh: logiq report as a user runs it, on the store of a
# tiny real sweep (synthetic data, 3 done points and 1 failed): every
# figure's PNG, SVG, CSV and gnuplot script exist and are complete; the
# failed point is listed as failed with its reason and plotted nowhere; a
# figure the store holds as NULL is left out, not drawn as zero; a store
# moved with its folder still finds its files; the scripts rerun; index.html
# loads in headless Chromium with every image loaded (counted by the page's
# own script, read back from the dumped DOM); error paths and exit codes.
# Usage: bash cli_report.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
src=${LOGIQ_TEST_SRC:-$(dirname "$0")}/..
cd "$dir" || exit 1

# ---- a store: add / or / mux with 1-bit activations, and OR with 2-bit
# activations, which training refuses (a failed point) ----
cat >rep.ini <<EOF2
[sweep]
name = rep
filter = aq == 1 || merge == or
[network]
arch = "c8,c8+{merge},p,c16,p,f10"
merge = add, or, mux
wq = heq:3
aq = 1, 2
[train]
epochs = 2
data = synthetic
train_limit = 256
test_limit = 128
[hw]
base = $src/costmodels/hw/small.ini
EOF2
"$logiq" sweep rep.ini -j 2 -q >sweep.out 2>&1
check "the sweep ran (3 done, 1 failed)" \
    "$([ "$(q rep.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 3 ] && [ "$(q rep.db "SELECT COUNT(*) FROM points WHERE status = 'failed'")" = 1 ]; echo $?)"
failed=$(q rep.db "SELECT key FROM points WHERE status = 'failed'")
done_keys=$(q rep.db "SELECT key FROM points WHERE status = 'done' ORDER BY key")

"$logiq" report rep.db -o r1 >report.out 2>report.err
check "logiq report exits 0" $?
check "it names the index" "$(grep -q 'r1/index.html' report.out; echo $?)"

# ---- every figure is complete ----
# NAME ROWS: the CSV's data rows (the header aside)
expect="acc_gates 3
acc_energy 3
acc_latency 3
gates_units 3
energy_parts 3
merge_gates 3
merge_energy 3
test_acc_epochs 2"
# fweights-KEY: the rows of the picked layers (1, two between, the last) of
# the point's MODEL.weights.csv
fw_rows() {
    awk -F, 'NR > 1 { n = $1 > n ? $1 : n; c[$1]++ }
             END { for (k = 0; k < 4; k++) { l = 1 + int(k * (n - 1) / 3); if (!(l in s)) { s[l] = 1; t += c[l] } } print t }' "$1"
}
for k in $done_keys; do
    expect="$expect
train-$k 2
steps-$k 2
levels-$k 2
weights-$k 3
fweights-$k $(fw_rows rep.d/$k/model.weights.csv)"
done
n_fig=0
bad=""
while read -r name rows; do
    n_fig=$((n_fig + 1))
    f=r1/$name
    [ "$(head -c 8 "$f.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || bad="$bad $name.png(signature)"
    [ "$(stat -c %s "$f.png" 2>/dev/null || echo 0)" -gt 2000 ] || bad="$bad $name.png(size)"
    grep -q '^<svg' "$f.svg" 2>/dev/null && tail -c 20 "$f.svg" | tr -d ' \n' | grep -q '</svg>$' || bad="$bad $name.svg"
    [ "$(($(wc -l <"$f.csv") - 1))" = "$rows" ] || bad="$bad $name.csv(rows $(($(wc -l <"$f.csv") - 1)), expected $rows)"
    grep -q "\"$name.csv\"" "$f.gp" && grep -q "set output \"$name.\" . fmt" "$f.gp" || bad="$bad $name.gp"
done <<<"$expect"
echo "figures checked: $n_fig${bad:+; bad:$bad}"
check "every figure has a complete PNG, SVG, CSV and script ($n_fig figures)" "$([ -z "$bad" ] && [ "$n_fig" = 23 ]; echo $?)"
check "no other figure (23 scripts)" "$([ "$(ls r1/*.gp | wc -l)" = 23 ]; echo $?)"
check "points.csv: 4 points" "$([ "$(($(wc -l <r1/points.csv) - 1))" = 4 ]; echo $?)"
# points.csv: every column once (the design's merge unit is merge_kind, the
# parameter merge its own), every number in its shortest round-trip form
python3 - r1/points.csv <<'EOF2'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head = rows[0]
dup = sorted({c for c in head if head.count(c) > 1})
assert not dup, "duplicate columns: %s" % dup
assert "merge_kind" in head and "merge" in head, head
def shortest(x):
    for p in range(1, 18):
        t = "%.*g" % (p, x)
        if float(t) == x:
            return t
bad = [c for r in rows[1:] for c in r if c and c[0] in "-0123456789" and
       c.lstrip("-").replace(".", "", 1).replace("e", "", 1).replace("-", "").replace("+", "").isdigit()
       and c != shortest(float(c))]
assert not bad, "not in shortest form: %s" % bad[:5]
EOF2
check "points.csv: no duplicate column, numbers in their shortest round-trip form" $?
# a table of contents whose every link has its target, the per-point
# sections grouped by merge kind (one heading a kind, its points under it)
python3 - r1/index.html <<'EOF2'
import re, sys
page = open(sys.argv[1]).read()
nav = re.search(r'<nav id="contents">(.*?)</nav>', page, re.S)
assert nav, "no contents"
links = re.findall(r'href="#([^"]+)"', nav.group(1))
ids = set(re.findall(r' id="([^"]+)"', page))
missing = [l for l in links if l not in ids]
assert not missing and "tradeoff" in links and "points" in links, (links, missing)
kinds = re.findall(r'<h3 id="points-\d+">Merge: ([^<]+)</h3>', page)
assert len(kinds) == len(set(kinds)) >= 2, kinds
for k in kinds:  # each point heading sits under its kind's heading
    part = page.split('>Merge: %s</h3>' % k, 1)[1].split('<h3', 1)[0]
    heads = re.findall(r'<h4>([^<]+)</h4>', part)
    assert heads and all(h.startswith(k + " ") for h in heads), (k, heads)
EOF2
check "index.html: contents with every link's target, per-point sections grouped by merge kind" $?

# an axis over a span of a few percent starts at 0 and says so (the three
# points' latencies differ by far less)
grep -q '^    set xrange \[0:' r1/acc_latency.gp && grep -q 'so its axis starts at 0' r1/index.html
check "the latency axis starts at 0, the caption says why" $?
grep -q 'accuracy (sim, on N test images)' r1/index.html && grep -qE '[0-9.]+% on [0-9]+' r1/index.html
check "index.html: the simulated accuracy says how many images it covers" $?
check "the Pareto front is marked in the accuracy-vs-gates CSV" \
    "$([ "$(awk -F, 'NR > 1 && $6 != ""' r1/acc_gates.csv | wc -l)" -ge 1 ]; echo $?)"
check "one colour and marker per merge kind" \
    "$(for m in add or mux; do grep -q "eq \"$m\" ? 100" r1/acc_gates.gp || exit 1; done; echo 0)"
check "the merge unit is a stack of the gates bars" "$(head -1 r1/gates_units.csv | grep -q ',merge,'; echo $?)"

# ---- the failed point: listed as failed, plotted nowhere ----
reason=$(q rep.db "SELECT error FROM points WHERE key = '$failed'" | cut -c1-40)
check "index.html lists the failed point as FAILED with its reason" \
    "$(grep -q "<td>FAILED</td><td>or</td>.*$failed" r1/index.html && grep -qF "${reason%%\{*}" r1/index.html; echo $?)"
check "report.md lists it too" "$(grep -q "| FAILED | or |.*$failed" r1/report.md; echo $?)"
check "the failed point is in no figure's CSV" "$(! grep -l "$failed" r1/*.csv | grep -v points.csv; echo $?)"
check "points.csv: failed, its figures empty (not zero)" \
    "$(grep "^$failed,failed," r1/points.csv | awk -F, '{ exit !($(NF-14) == "" && $(NF-13) == "" && $(NF-12) == "") }'; echo $?)"
check "no per-point figure of the failed point" "$([ -z "$(ls r1 | grep "$failed")" ]; echo $?)"

# ---- index.html and report.md show every figure ----
imgs=$(grep -o '<img src="[^"]*"' r1/index.html | sed 's/<img src="//; s/"$//')
check "index.html has an img of every figure (23)" "$([ "$(echo "$imgs" | wc -l)" = 23 ]; echo $?)"
check "every img is a relative path to a file that exists" \
    "$(for i in $imgs; do case $i in /*|*://*) exit 1 ;; esac; [ -s "r1/$i" ] || exit 1; done; echo 0)"
check "report.md shows every figure" "$([ "$(grep -c '^!\[.*\](.*\.png)$' r1/report.md)" = 23 ]; echo $?)"
check "the sweep's parameters and spec are shown" \
    "$(grep -q '<td>merge</td><td>add, mux, or</td><td>axis</td>' r1/index.html && grep -q 'filter = aq == 1' r1/index.html && grep -q 'merge = add, or, mux' r1/report.md; echo $?)"
k1=$(echo "$done_keys" | head -1)
check "the real-weight figure: 80 bars and the 2 ternary thresholds (+-t) per layer drawn" \
    "$(awk -F, 'NR > 1 && $3 == "bin" { b[$1]++ } NR > 1 && $3 == "thr" { t[$1]++; s[$1] += $4 }
                END { for (l in b) if (b[l] != 80 || t[l] != 2 || s[l] * s[l] > 1e-12) bad = 1; exit bad }' r1/fweights-$k1.csv; echo $?)"

# ---- headless Chromium loads index.html with every image ----
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
    check "chromium is installed (scripts/install-deps.sh installs it)" 1
else
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --user-data-dir="$dir/chrome" \
        --virtual-time-budget=10000 --dump-dom "file://$dir/r1/index.html" >dom.html 2>chrome.err
    check "chromium dumps the page (exit 0)" $?
    body=$(grep -o '<body[^>]*>' dom.html | head -1)
    n_img=$(echo "$body" | sed -n 's/.* data-images="\([0-9]*\)".*/\1/p')
    n_ok=$(echo "$body" | sed -n 's/.* data-images-loaded="\([0-9]*\)".*/\1/p')
    echo "chromium: $body"
    check "chromium: every image loaded ($n_ok of $n_img, expected 23)" \
        "$([ "${n_img:-0}" = 23 ] && [ "${n_ok:-0}" = 23 ]; echo $?)"
fi

# ---- the scripts rerun as a user would ----
(cd r1 && rm -f acc_gates.png acc_gates.svg && gnuplot acc_gates.gp) >rerun.out 2>&1
check "a script reruns in the folder and redraws its PNG and SVG" \
    "$([ -s r1/acc_gates.png ] && [ -s r1/acc_gates.svg ]; echo $?)"

# ---- a figure not measured is left out, not drawn as zero ----
cp rep.db nulls.db
first=$(echo "$done_keys" | head -1)
q nulls.db "UPDATE points SET energy_op_pj = NULL WHERE key = '$first'"
"$logiq" report nulls.db -o nulls -q >/dev/null 2>&1
check "a done point without energy: out of acc_energy, in acc_gates" \
    "$([ "$(($(wc -l <nulls/acc_energy.csv) - 1))" = 2 ] && ! grep -q "$first" nulls/acc_energy.csv && grep -q "$first" nulls/acc_gates.csv; echo $?)"

# ---- a store moved with its folder still finds its files ----
mkdir -p moved && cp -r rep.db rep.d moved/ && (cd / && "$logiq" report "$dir/moved/rep.db" -o "$dir/moved/r1" -q) 2>moved.err
check "a moved store: exit 0, every per-point figure, no note" \
    "$([ "$(ls moved/r1/*.gp | wc -l)" = 23 ] && [ ! -s moved.err ]; echo $?)"

# ---- errors: exit codes and one-line messages ----
expect_exit 0 "--help" "usage: logiq report" "$logiq" report --help
expect_exit 2 "no store given" "expected one result store" "$logiq" report
expect_exit 2 "a missing store names the file" "nothere.db: no such result store" "$logiq" report nothere.db -o x
echo "not a database" >junk.db
expect_exit 2 "a malformed store names the file" "junk.db: not a logiq result store" "$logiq" report junk.db -o x
sqlite3 other.db "CREATE TABLE t (a)"
expect_exit 2 "an SQLite file that is not a store" "other.db: not a logiq result store" "$logiq" report other.db -o x
cp rep.db v10.db && sqlite3 v10.db "PRAGMA user_version = 10"
expect_exit 2 "a store of another version" "v10.db: result store version 10" "$logiq" report v10.db -o x
expect_exit 1 "a missing gnuplot is a clear error" "gnuplot not found" "$logiq" report rep.db -o x --gnuplot "$dir/no/gnuplot"
expect_exit 1 "an unwritable output folder" "cannot create" "$logiq" report rep.db -o /proc/logiq-report
check "one-line error messages" "$([ "$(wc -l <"$dir/err")" = 1 ]; echo $?)"

# an add point priced on the shift requantizer (its cost JSON says so) is its
# own series, add-shift, beside the multiplier's add
addkey=$(q rep.db "SELECT key FROM points WHERE status = 'done' AND merge_kind = 'add' LIMIT 1")
sed -i 's/"requant":[[:space:]]*"mul"/"requant": "shift"/' "rep.d/$addkey/cost.json"
"$logiq" report rep.db -o r_shift -q >shift.out 2>&1
check "an add point on the shift requantizer is drawn as add-shift" \
    "$(grep -q "^$addkey,add-shift," r_shift/acc_gates.csv && grep -q 'eq \"add-shift\"' r_shift/acc_gates.gp; echo $?)"

# a binary network's level shares: two levels a layer (its log's code 0 is
# not one), the equal share 1/2; axis labels, one legend, the caption naming
# the layers it shows
cat >bin.ini <<EOF2
[sweep]
name = bin
[network]
arch = "c4,c4,c4,c4,c4,c4,c4,c4,c4,p,f10"
wq = bin, heq:3
aq = 1
[train]
epochs = 2
data = synthetic
train_limit = 128
test_limit = 64
seed = 1, 2
[sim]
sim_images = 0
[hw]
base = $src/costmodels/hw/small.ini
EOF2
"$logiq" sweep bin.ini -q -j 2 >bin.out 2>&1 && "$logiq" report bin.db -o rbin -q >rbin.out 2>&1
check "a report of binary and ternary points, two seeds each" $?
bk=$(q bin.db "SELECT key FROM points WHERE wq = 'bin' ORDER BY key LIMIT 1")
tk=$(q bin.db "SELECT key FROM points WHERE wq = 'heq:3' ORDER BY key LIMIT 1")
# two seeds of a configuration: drawn as their mean +- SD (one row each, n = 2)
python3 - rbin/acc_gates.csv <<'EOF3'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
firsts = [r for r in rows if r["seeds_first"] == "1"]
assert len(firsts) == 2 and all(r["seeds_n"] == "2" for r in firsts), firsts
for f in firsts:
    cfg = lambda r: [t for t in r["point"].split() if not t.startswith("seed=")]
    same = [float(r["acc_int"]) for r in rows if r["merge"] == f["merge"] and cfg(r) == cfg(f)]
    assert abs(float(f["seeds_acc_mean"]) - statistics.mean(same)) < 1e-12
    assert abs(float(f["seeds_acc_sd"]) - statistics.stdev(same)) < 1e-12, (f, same)
EOF3
check "seeds: each configuration's mean and SD in the CSV, as computed here" $?
grep -q 'with yerrorbars' rbin/acc_gates.gp && grep -q 'mean and its standard deviation over the seeds' rbin/index.html
check "seeds: drawn as mean +- SD, the caption says so" $?
# labels of points at the same place do not overlap: four points of equal
# gates, two of them of equal accuracy, get labels a row apart or more
python3 - rbin/acc_gates.csv <<'EOF3'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
acc = [100 * float(r["acc_int"]) for r in rows]
span = max(acc) - min(acc) or 1.0
row = 1.32 * span / 36  # the drawn axis: the points' span and 32 % margin
ys = sorted(float(r["label_y"]) for r in rows)
gaps = [b - a for a, b in zip(ys, ys[1:])]
assert len(set(r["gates_nand2"] for r in rows)) == 1 and min(gaps) >= row * 0.999, (ys, row)
EOF3
check "labels of coinciding points are placed a row apart" $?
grep -q 'using 4:12:3 with labels' rbin/acc_gates.gp
check "the labels are drawn at their placed rows" $?
bg=$(ls rbin/levels-*.gp | xargs grep -l "$bk" 2>/dev/null | head -n 1)
[ -z "$bg" ] && bg=$(grep -l "\b$bk\b" rbin/levels-*.gp | head -n 1)
for f in rbin/levels-*.gp; do grep -q "$bk" "$f" && bg=$f; grep -q "$tk" "$f" && tg=$f; done
check "the binary point's levels: 1/2, no code +0 ($bg)" \
    "$(grep -q '1.0 / 2 ' "$bg" && ! grep -q 'code +0' "$bg" && ! grep -q '1.0 / 3 ' "$bg"; echo $?)"
check "the ternary point's levels: 1/3 with code +0 ($tg)" \
    "$(grep -q '1.0 / 3 ' "$tg" && grep -q 'code +0' "$tg"; echo $?)"
check "level panels: axis labels, one legend ($(grep -c '^    set key$' "$bg") keyed panels)" \
    "$(grep -q 'set xlabel \"epoch\"' "$bg" && grep -q 'set ylabel' "$bg" && [ "$(grep -c '^    set key$' "$bg")" = 1 ] && [ "$(grep -c '^    unset key$' "$bg")" = 9 ]; echo $?)"
grep -q 'one panel for each of layers 1, 2, 3, 4, 5, 6, 7, 8, 9 and 10' rbin/index.html
check "the level-share caption names the layers it shows" $?
# ten layers, ten colours: the step sizes' and the weight codes' series
sg=$(grep -l "$bk" rbin/steps-*.gp 2>/dev/null | head -n 1); [ -z "$sg" ] && sg=$(ls rbin/steps-*.gp | head -n 1)
wg=$(ls rbin/weights-*.gp | head -n 1)
for g in "$sg" "$wg"; do
    n=$(grep -o 'lc rgb "#[0-9a-f]*"[^"]*title "layer' "$g" | sed 's/" .*/"/' | sort -u | wc -l)
    check "$(basename "$g"): 10 layers in $n distinct colours" "$([ "$n" = 10 ]; echo $?)"
done

exit $fail

#!/bin/bash
# tests/cli_hostile.sh: hostile strings from a spec, a store, a claims file
# and file names never reach an interpreter. A sweep whose spec file name,
# sweep name and [hw] design.name hold backquotes, $(...), <script> and
# '; DROP TABLE; a claims file whose section name and text hold the same; a
# store whose point_params were edited to hold them. Then `logiq report`
# (gnuplot scripts, HTML, Markdown, CSV), `logiq sweep --slurm` (the array
# job, run here as Slurm would run one task) and the point runner's
# argument vectors must run nothing: no PWNED file appears anywhere, the
# store keeps its tables, and the values show as written.
# Usage: bash cli_hostile.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
src=$(cd "${LOGIQ_TEST_SRC:-$(dirname "$0")}/.." && pwd)
cd "$dir" || exit 1

pwned() { find "$dir" -name 'PWNED*' | head -3; }

# every file written below is relative to $dir; a command that ran would
# create PWNEDn in the folder it ran in, all of them under $dir
spec="n'\$(touch PWNED3)'\`touch PWNED13\`.ini"
{
    tiny_spec "n'\$(touch PWNED4)'"
    printf '%s\n' 'design.name = "x`touch PWNED1`$(touch PWNED2)", "<script>alert(1)</script>'"'"'; DROP TABLE points; --"'
} >"$spec"
store="n'\$(touch PWNED4)'.db"

"$logiq" sweep -q -j 2 -- "$spec" >sweep.out 2>&1
check "the sweep ran its 4 points through argument vectors (no shell)" \
    "$([ "$(q "$store" "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 4 ]; echo $?)"
check "the SQL value is stored as written, the table intact" \
    "$([ "$(q "$store" "SELECT COUNT(DISTINCT key) FROM point_params WHERE value = '<script>alert(1)</script>''; DROP TABLE points; --'")" = 2 ]; echo $?)"

cat >claims.ini <<'EOF2'
[x`touch PWNED5`$(touch PWNED6)<script>alert(2)</script>]
paper  = P`touch PWNED7`<b>bold</b>
claim  = C $(touch PWNED8) '; DROP TABLE points; --
source = S
where  = aq == 1
vary   = wq
across = hw.design.name
expect = heq:3 > bin
EOF2
"$logiq" report --claims claims.ini -o rep -- "$store" >report.out 2>&1
check "logiq report exits 0" $?
check "no command ran (report: gnuplot, pages)" "$([ -z "$(pwned)" ]; echo $?)"
claimfig=$(ls rep/claim-*.gp 2>/dev/null | head -1)
check "the claim's figure has a safe file name ($claimfig)" \
    "$(echo "$claimfig" | grep -Eq '^rep/claim-[A-Za-z0-9._-]+\.gp$'; echo $?)"
check "the gnuplot scripts hold no backquote or @ outside comments" \
    "$(! grep -v '^#' rep/*.gp | grep -q '[`@]'; echo $?)"
check "gnuplot drew the hostile title as written (SVG)" \
    "$(grep -q 'x`touch PWNED1`$(touch PWNED2)' rep/acc_gates.svg rep/claim-*.svg; echo $?)"
check "the claim's figure shows the across values as written" \
    "$(grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "${claimfig%.gp}.svg" || grep -q '&lt;script>alert(1)&lt;/script>' "${claimfig%.gp}.svg"; echo $?)"
check "index.html holds no <script> but its own" \
    "$([ "$(grep -c '<script' rep/index.html)" = 1 ] && grep -q '&lt;script&gt;alert(2)' rep/index.html; echo $?)"
check "index.html shows the values as written (escaped)" \
    "$(grep -q 'x`touch PWNED1`\$(touch PWNED2)' rep/index.html && grep -q '&lt;b&gt;bold&lt;/b&gt;' rep/index.html && grep -q '&#39;; DROP TABLE points; --' rep/index.html; echo $?)"
# (outside its code blocks, which Markdown shows as literal text)
check "report.md escapes the markup" \
    "$(! awk '/^```/ { f = !f; next } !f' rep/report.md | grep -q '[^\\]<script\|[^\\]<b>' && grep -q '\\<script\\>alert(2)' rep/report.md; echo $?)"
check "points.csv keeps one field per value" \
    "$(awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' rep/points.csv; echo $?)"

# ---- a store edited by hand: hostile parameter values and a key ----
key=$(q "$store" "SELECT key FROM points ORDER BY key LIMIT 1")
q "$store" "UPDATE point_params SET value = 'y\`touch PWNED10\`@x\$(touch PWNED11)' WHERE name = 'wq' AND key = '$key'"
"$logiq" report -o rep2 -- "$store" >report2.out 2>&1
check "logiq report on the edited store exits 0" $?
check "no command ran (edited store)" "$([ -z "$(pwned)" ]; echo $?)"
check "the edited values show as written" \
    "$(grep -q 'y`touch PWNED10`@x\$(touch PWNED11)' rep2/index.html && grep -q 'y`touch PWNED10`@x$(touch PWNED11)' rep2/acc_gates.svg; echo $?)"

# ---- the Slurm array job: quoted paths, a sanitized job name ----
"$logiq" sweep --slurm --store "s'\$(touch PWNED9)'.db" -o job.sh -- "$spec" >slurm.out 2>&1
check "--slurm writes the job" $?
bash -n job.sh
check "the job is valid bash" $?
check "the job name keeps [A-Za-z0-9._-]" "$(grep -Eq '^#SBATCH --job-name=logiq-[A-Za-z0-9._-]+$' job.sh; echo $?)"
SLURM_ARRAY_TASK_ID=1 bash job.sh >task.out 2>&1
check "one task of the job runs its point into a shard" \
    "$([ "$(ls "s'\$(touch PWNED9)'.d/shards/"*.db 2>/dev/null | wc -l)" = 1 ]; echo $?)"
check "no command ran (Slurm job, its message)" "$([ -z "$(pwned)" ]; echo $?)"
merge_cmd=$(sed -n 's/.*, then //p' slurm.out)
eval "set -- $merge_cmd"
check "the merge command it prints is quoted words ($# words)" \
    "$([ "$#" = 5 ] && [ "$3" = "$spec" ] && [ -z "$(pwned)" ]; echo $?)"

exit $fail

# tests/testlib.sh: what the shell tests of the logiq binary share (sourced
# by tests/cli_*.sh after they set $dir, their scratch folder). Not a test.
#
# check NAME STATUS          prints ok/FAIL for a 0/non-0 status, records failures in $fail
# expect_exit CODE NAME PATTERN CMD...
#                            runs CMD and checks its exit code and that PATTERN
#                            is in what it printed (the one-line error message)
# q DB SQL                   prints the result of one sqlite3 query on DB
# tiny_spec NAME             prints a sweep spec named NAME of 4 tiny points (c8,p,f10,
#                            bin and heq:3, one epoch on 128 synthetic images, 64 test
#                            images, the small design); its last section is [hw], so
#                            lines printed after it are [hw] overrides
# pgrep_here PATTERN         pgrep -f PATTERN, only the processes whose working
#                            folder is this one (other test runs on the machine
#                            may run the same commands elsewhere)
fail=0
check() {
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
expect_exit() {
    local code=$1 name=$2 pattern=$3
    shift 3
    "$@" >"$dir/out" 2>"$dir/err"
    local rc=$?
    [ "$rc" -eq "$code" ] && grep -q -- "$pattern" "$dir/err" "$dir/out"
    local r=$?
    check "$name (exit $rc, expected $code; message: $(head -c 200 "$dir/err" | tr '\n' ' '))" $r
}
q() { sqlite3 "$1" "$2"; }
pgrep_here() {
    local pid found=1
    for pid in $(pgrep -f -- "$1"); do
        [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$PWD" ] && { echo "$pid"; found=0; }
    done
    return $found
}
tiny_spec() {
    local src
    src=$(cd "${LOGIQ_TEST_SRC:-$(dirname "${BASH_SOURCE[0]}")}/.." && pwd)
    cat <<EOF2
[sweep]
name = $1
[network]
arch = "c8,p,f10"
wq = bin, heq:3
aq = 1
[train]
epochs = 1
data = synthetic
train_limit = 128
test_limit = 64
[hw]
base = $src/costmodels/hw/small.ini
EOF2
}

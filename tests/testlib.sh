# tests/testlib.sh: what the shell tests of the logiq binary share (sourced
# by tests/cli_*.sh after they set $dir, their scratch folder). Not a test.
#
# check NAME STATUS          prints ok/FAIL for a 0/non-0 status, records failures in $fail
# expect_exit CODE NAME PATTERN CMD...
#                            runs CMD and checks its exit code and that PATTERN
#                            is in what it printed (the one-line error message)
# q DB SQL                   prints the result of one sqlite3 query on DB
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

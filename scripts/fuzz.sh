#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz (clang, ASan + UBSan, into
# build-fuzz/) and runs each for a fixed time on a copy of its seed corpus
# (tests/fuzz/corpus/NAME). Fails on any finding: a crash, a sanitizer
# report, a leak, a timeout or running out of memory; the input is kept in
# build-fuzz/findings/ (make it a regression test). Prints each harness's
# executions and coverage.
# Usage: scripts/fuzz.sh [SECONDS per harness, default 20] [HARNESS ...]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-20}
[ $# -gt 0 ] && shift
harnesses=${*:-"qnn lqc data cells arch filter spec claims hw space qonnx"}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DLOGIQ_FUZZ=ON -DLOGIQ_NATIVE=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
mkdir -p build-fuzz/findings
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
failed=""
for h in $harnesses; do
    work=build-fuzz/corpus/$h
    mkdir -p "$work"
    log=build-fuzz/fuzz_$h.log
    if build-fuzz/tests/fuzz/fuzz_"$h" "$work" "tests/fuzz/corpus/$h" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="build-fuzz/findings/$h-" -print_final_stats=1 >"$log" 2>&1; then
        stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 |
            sed 's/^#\([0-9]*\)[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 executions, coverage \2 edges, \3 features/')
        echo "fuzz $h: ok, $secs s: $stats"
    else
        echo "fuzz $h: FINDING (build-fuzz/findings/$h-*):"
        grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5
        failed="$failed $h"
    fi
done
[ -z "$failed" ] || { echo "fuzz: findings in:$failed"; exit 1; }

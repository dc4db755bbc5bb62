#!/bin/sh
# The README's test command: installs the dependencies (Debian packages),
# builds, runs the whole CTest suite, then fuzzes every reader for 20 s each
# (scripts/fuzz.sh; LOGIQ_FUZZ_SECONDS sets it). With --sanitize, the suite
# with AddressSanitizer and UBSan.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
dir=$(./scripts/build.sh "$@" | tail -n 1)
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
if [ "${1:-}" = "--sanitize" ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
# the sanitizer pass leaves out the whole-design syntheses (label synth):
# their time is Yosys' and ABC's, not logiq's code, which the release pass
# runs (and tests/synth_design.c was checked under ASan + UBSan once)
if [ "${1:-}" = "--sanitize" ]; then
    (cd "$dir" && ctest --output-on-failure -j "$(nproc)" -LE synth)
else
    (cd "$dir" && ctest --output-on-failure -j "$(nproc)")
fi
# once per CI run (not again in the sanitizer pass): every reader fuzzed for
# a fixed time with libFuzzer (clang, ASan + UBSan); any finding fails
if [ "${1:-}" != "--sanitize" ]; then
    ./scripts/fuzz.sh "${LOGIQ_FUZZ_SECONDS:-20}"
fi

#!/bin/sh
# Configures and builds logiq with CMake. Usage: scripts/build.sh [--sanitize]
# Builds into build/ (or build-asan/ with --sanitize: AddressSanitizer + UBSan).
set -eu
cd "$(dirname "$0")/.."
dir=build
flags="-DCMAKE_BUILD_TYPE=Release"
if [ "${1:-}" = "--sanitize" ]; then
    dir=build-asan
    # no -march=native under the sanitizers: keeps the runs comparable to
    # valgrind-friendly builds and avoids AVX-512-only code paths
    flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGIQ_SANITIZE=ON -DLOGIQ_NATIVE=OFF"
fi
# shellcheck disable=SC2086
cmake -S . -B "$dir" $flags >/dev/null
cmake --build "$dir" -j "$(nproc)"
echo "$dir"

#!/bin/bash
# tests/cli_install.sh: logiq installed as a user installs it (issue 19,
# part 3): `cmake --install --prefix P` of this build, then the installed
# binary runs; a tiny C program builds against the installed libraries both
# through pkg-config and through the CMake package (find_package(logiq)),
# and prices a popcount tree and reads a .qnn; `man logiq` and `man
# logiq-sweep` show their pages; bash completion completes commands and
# options.
# Usage: bash cli_install.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
build=$(cd "$(dirname "$logiq")/.." && pwd)
p=$dir/p
# a sanitizer build's libraries link only into a sanitizer build
san=""
grep -q '^LOGIQ_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && san="-fsanitize=address,undefined"

cmake --install "$build" --prefix "$p" >"$dir/install.out" 2>&1
check "cmake --install --prefix $p" $?
"$p/bin/logiq" --version | grep -q '^logiq '
check "the installed logiq runs" $?
pc=$(find "$p" -name logiq.pc | head -n 1)
check "a pkg-config file is installed ($pc)" "$([ -n "$pc" ]; echo $?)"
[ -f "$p/include/logiq/costmodels/units.h" ] && [ -f "$p/include/logiq/nn/qnn.h" ] &&
    [ -f "$p/share/logiq/hw/small.ini" ] && [ -f "$p/share/doc/logiq/accelerator.md" ]
check "headers, example designs and docs are installed" $?

"$logiq" train --data synthetic --arch c4,p,f10 --wq bin --aq 1 --epochs 1 --train-limit 64 \
    --test-limit 32 -q -o "$dir/m.qnn" >/dev/null 2>&1
cat >"$dir/t.c" <<'EOF2'
/* Prices a 64-input popcount tree and reads a .qnn through the installed
 * libraries. */
#include <stdio.h>

#include "costmodels/cells.h"
#include "costmodels/units.h"
#include "nn/qnn.h"

int main(int argc, char **argv)
{
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_count c = cm_popcount(64, CM_ADDER_RIPPLE);
    struct nn_qnn m;
    struct nn_error err;
    if (argc < 2 || nn_qnn_read(&m, argv[1], &err) != NN_OK)
        return 1;
    printf("popcount64 %.1f NAND2 eq; %d layers\n", cm_count_nand2(&c, &lib), m.n_layers);
    nn_qnn_free(&m);
    return 0;
}
EOF2
export PKG_CONFIG_PATH=$(dirname "$pc")
cc -std=c11 $san -o "$dir/t-pc" "$dir/t.c" $(pkg-config --cflags --libs logiq) >"$dir/cc.out" 2>&1
rc=$?
check "a C program builds with pkg-config --cflags --libs logiq ($(head -c 200 "$dir/cc.out"))" $rc
"$dir/t-pc" "$dir/m.qnn" >"$dir/t-pc.out" 2>&1
check "and runs: $(head -c 200 "$dir/t-pc.out")" "$(grep -q '^popcount64 [0-9.]* NAND2 eq; 2 layers$' "$dir/t-pc.out"; echo $?)"

pkg-config --exists logiq-sim && [ "$(pkg-config --libs logiq-sim | grep -c -- -llogiq_sim)" = 1 ]
check "pkg-config knows logiq-sim (the SystemC model): $(pkg-config --libs logiq-sim 2>&1 | head -c 120)" $?

mkdir -p "$dir/cm"
cat >"$dir/cm/CMakeLists.txt" <<'EOF2'
cmake_minimum_required(VERSION 3.20)
project(uses_logiq C CXX)
find_package(logiq 0.1 REQUIRED)
add_executable(t ../t.c)
target_link_libraries(t PRIVATE logiq::logiq_cm logiq::logiq_nn)
EOF2
(cmake -S "$dir/cm" -B "$dir/cm/build" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="$san" && cmake --build "$dir/cm/build") \
    >"$dir/cmake.out" 2>&1
rc=$?
check "a CMake project builds with find_package(logiq) ($(grep -m1 -i error "$dir/cmake.out"))" $rc
"$dir/cm/build/t" "$dir/m.qnn" | grep -q '^popcount64 [0-9.]* NAND2 eq; 2 layers$'
check "and runs" $?

for page in logiq logiq-sweep logiq-cost; do
    MANPATH=$p/share/man man -P cat "$page" 2>/dev/null | grep -q -- '--help'
    check "man $page" $?
done

PATH=$p/bin:$PATH
. "$p/share/bash-completion/completions/logiq"
COMP_WORDS=(logiq sw)
COMP_CWORD=1
_logiq
check "completion: logiq sw -> ${COMPREPLY[*]}" "$([ "${COMPREPLY[*]}" = sweep ]; echo $?)"
COMP_WORDS=(logiq cost --for)
COMP_CWORD=2
_logiq
check "completion: logiq cost --for -> ${COMPREPLY[*]}" "$([ "${COMPREPLY[*]}" = --format ]; echo $?)"
exit $fail

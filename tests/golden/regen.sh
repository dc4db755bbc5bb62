#!/bin/bash
# tests/golden/regen.sh: rewrites the simulator's golden regression file
# tests/golden/sim_small.txt with tests/test_sim_golden.c (which documents
# the fixed network, design and images it uses). Run it only when a change of
# the numbers is intended, and say why in the commit.
# Usage: bash tests/golden/regen.sh [build dir, default build]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
cmake --build "$build" --target test_sim_golden
"$build/tests/test_sim_golden" --write "$here/sim_small.txt"

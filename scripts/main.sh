#!/bin/sh
# The README's main command: installs the dependencies (Debian packages),
# builds, and runs the main job: the quick design-space sweep
# (sweeps/quick.ini: res11 with add / OR / MUX merges x binary / HEQ ternary
# weights, trained on Fashion-MNIST, exported, costed on the small design and
# simulated cycle by cycle on the whole test set),
# then its report (out/quick-report/index.html). The sweep is resumable: run
# this again after an interruption and it goes on where it stopped.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
dir=$(./scripts/build.sh | tail -n 1)
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
mkdir -p out
"$dir/cli/logiq" sweep sweeps/quick.ini -j 2 --store out/quick.db
"$dir/cli/logiq" sweep sweeps/quick.ini --pareto --store out/quick.db
"$dir/cli/logiq" report out/quick.db -o out/quick-report
echo "report: $(pwd)/out/quick-report/index.html"

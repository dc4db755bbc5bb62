#!/bin/sh
# The README's main command: installs the dependencies (Debian packages),
# builds, and runs the main job. Until the sweep and report exist, the main
# job trains the default residual network with OR-gated skips (res11-or, HEQ
# ternary weights, binary activations) on Fashion-MNIST, exports its integer
# model, evaluates that model, and prices the large example accelerator
# running it. Outputs go to out/.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
dir=$(./scripts/build.sh | tail -n 1)
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
mkdir -p out
"$dir/cli/logiq" train --arch res11-or --wq heq:3 --aq 1 --epochs "${EPOCHS:-2}" \
    -o out/res11-or.qnn
"$dir/cli/logiq" eval out/res11-or.qnn
"$dir/cli/logiq" cost out/res11-or.qnn --hw costmodels/hw/large.ini | tee out/res11-or.cost.txt

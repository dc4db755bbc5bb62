#!/bin/sh
# Co-simulates a trained model on the RTL of your own design (docs/rtl.md,
# "Your own design"): writes the design's Verilog with `logiq rtl`, compiles
# it with Verilator into the harness tests/rtl_cosim.cpp (the CMake target
# rtl_cosim, configured with -DLOGIQ_RTL_HW), and runs the model's test
# images through it: every output word, score and prediction against the
# integer model, every layer's cycles against the SystemC model's and the
# analytic count; with --toggles, the activity against the SystemC model's.
#
# usage: scripts/rtl-cosim.sh HW.ini MODEL.qnn [--images N] [--data KIND]
#                             [--data-dir DIR] [--toggles]
# HW.ini must fix every width (logiq rtl --help). Builds into build/.
# Exit: 0 all equal, 1 a difference, 2 bad input or a failed build.
set -eu
if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    [ $# -ge 1 ] && { [ "$1" = "-h" ] || [ "$1" = "--help" ]; } && exit 0
    exit 2
fi
hw=$1
model=$2
shift 2
for f in "$hw" "$model"; do
    if [ ! -r "$f" ]; then
        echo "rtl-cosim: $f: cannot read it" >&2
        exit 2
    fi
done
hw=$(realpath "$hw")
model=$(realpath "$model")
root=$(cd "$(dirname "$0")/.." && pwd)
command -v verilator >/dev/null || {
    echo "rtl-cosim: verilator not found (scripts/install-deps.sh --test installs it)" >&2
    exit 2
}
echo "rtl-cosim: building the harness for $hw (the first build takes a few minutes)" >&2
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DLOGIQ_RTL_HW="$hw" >/dev/null ||
    exit 2
cmake --build "$root/build" --target rtl_cosim -j "$(nproc)" >"$root/build/rtl_cosim.log" 2>&1 || {
    echo "rtl-cosim: the build failed; its log: build/rtl_cosim.log" >&2
    tail -n 20 "$root/build/rtl_cosim.log" >&2
    exit 2
}
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
exec "$root/build/tests/rtl_cosim" "$hw" --model "$model" "$@"

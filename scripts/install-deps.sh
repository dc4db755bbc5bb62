#!/bin/sh
# Installs what logiq needs from Debian 12's packages only: to build and run
# it (scripts/main.sh), and with --test also what only the test suite uses
# (scripts/test.sh): Yosys, Verilator, clang's libFuzzer, Chromium, Slurm,
# python3-onnx (the QONNX tests). The build itself needs protobuf-c and
# libonnx-dev's onnx.proto (QONNX import/export, nn/CMakeLists.txt). Idempotent:
# packages already present are left as they are. Must run as root (or with
# sudo available).
set -eu

PKGS="build-essential cmake pkg-config
      libgsl-dev libopenblas-dev
      libsystemc-dev
      libsqlite3-dev sqlite3
      libpagmo-dev
      zlib1g-dev libinih-dev libcjson-dev
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev
      gnuplot-nox
      help2man man-db
      dataset-fashion-mnist"
TEST_PKGS="yosys verilator
      clang libclang-rt-14-dev libomp-14-dev
      chromium
      slurm-wlm munge
      python3-onnx python3-numpy"
if [ "${1:-}" = "--test" ]; then
    PKGS="$PKGS $TEST_PKGS"
elif [ $# -gt 0 ]; then
    echo "usage: install-deps.sh [--test]" >&2
    exit 2
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

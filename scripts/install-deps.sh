#!/bin/sh
# Installs everything logiq needs to build, test and run, from Debian 12's
# packages only. Idempotent: packages already present are left as they are.
# Must run as root (or with sudo available).
set -eu

PKGS="build-essential cmake pkg-config
      libgsl-dev libopenblas-dev
      libsystemc-dev
      libsqlite3-dev sqlite3
      libpagmo-dev
      zlib1g-dev libinih-dev libcjson-dev
      gnuplot-nox yosys
      clang libclang-rt-14-dev libomp-14-dev
      chromium
      slurm-wlm munge
      dataset-fashion-mnist"

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

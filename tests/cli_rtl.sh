#!/bin/bash
# tests/cli_rtl.sh: `logiq rtl` as a user runs it (docs/rtl.md): --help; the
# design of a hw.ini, and of a trained plain model on the small design,
# written as one Verilog file with the top module and the unit modules (and
# elaborated by Yosys and lint-clean under Verilator when they are
# installed), an add model's with the add merge's units; bad usage and inputs
# give exit code 2 with one line naming the file and the field.
# Usage: bash cli_rtl.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
src=${LOGIQ_TEST_SRC:-$(dirname "$0")}/..
small=$src/costmodels/hw/small.ini
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

"$logiq" rtl --help | grep -q -- "-o, --output DIR"
check "rtl --help" $?

"$logiq" rtl --hw "$src/tests/rtl_design.ini" -o "$dir/d1" >"$dir/o1" 2>&1
check "rtl of tests/rtl_design.ini exits 0" $?
grep -q "^module logiq_accel" "$dir/d1/logiq_accel.v" &&
    grep -q "^module lq_accumulator" "$dir/d1/logiq_accel.v" &&
    grep -q "^module lq_popcount_lanes" "$dir/d1/logiq_accel.v"
check "the top and the unit modules are written" $?
head -1 "$dir/d1/logiq_accel.vlt" | grep -q '^`verilator_config' &&
    grep -q 'public_flat_rd -module "logiq_accel" -var "code_r"' "$dir/d1/logiq_accel.vlt"
check "the toggle configuration is written beside it" $?
if command -v yosys >/dev/null; then
    # synthesizable as written: Yosys elaborates it (every module and port
    # resolved), turns its processes into logic, and finds no combinational
    # loop and no net with two drivers
    yosys -q -p "read_verilog $dir/d1/logiq_accel.v; hierarchy -check -top logiq_accel; proc;
                 check -assert" >"$dir/yosys.log" 2>&1
    check "yosys elaborates it (hierarchy -check, proc, check -assert)" $?
else
    echo "skip yosys elaboration: yosys not installed"
fi
ls "$dir/d1" | grep -q tmp
check "no temporary file left" "$([ $? -ne 0 ]; echo $?)"

"$logiq" train --data synthetic --arch 'c8,p,c16,f10' --wq bin --aq sign --epochs 1 -q \
    -o "$dir/plain.qnn" >/dev/null 2>&1
check "train a plain model" $?
"$logiq" rtl --hw "$small" "$dir/plain.qnn" -o "$dir/d2" >"$dir/o2" 2>&1
check "rtl of a plain model on small.ini exits 0 (auto keys resolved for it)" $?
grep -q "16 PEs x 64 lanes" "$dir/o2"
check "it names the design" $?
if command -v verilator >/dev/null; then
    (cd "$dir/d2" && verilator --lint-only --default-language 1364-2005 -Wno-fatal -Wno-lint -Wno-UNOPTFLAT \
        --top-module logiq_accel logiq_accel.v) >"$dir/lint" 2>&1
    check "verilator --lint-only accepts it" $?
else
    echo "skip verilator --lint-only: verilator not installed"
fi

expect_exit 2 "auto keys without a model name the field" "\[merge\] kind: must be fixed" \
    "$logiq" rtl --hw "$small" -o "$dir/d3"
expect_exit 2 "no -o" "-o DIR" "$logiq" rtl --hw "$src/tests/rtl_design.ini"
printf '[array]\npe_rows = zero\n' >"$dir/bad.ini"
expect_exit 2 "a bad hw.ini names the file and the key" "bad.ini.*pe_rows" \
    "$logiq" rtl --hw "$dir/bad.ini" -o "$dir/d4"
sed 's/^pe = bitplane/pe = shift/' "$src/tests/rtl_design.ini" >"$dir/shift.ini"
"$logiq" rtl --hw "$dir/shift.ini" -o "$dir/d5" >/dev/null 2>&1 &&
    grep -q "^module lq_shift_add" "$dir/d5/logiq_accel.v" &&
    grep -q "^module lq_lane_logic_shift" "$dir/d5/logiq_accel.v"
check "rtl of a shift PE design writes its lane logic and shift-add" $?
sed 's/^acc_bits = .*/acc_bits = 6/' "$dir/shift.ini" >"$dir/shift6.ini"
expect_exit 2 "an accumulator narrower than the shift-add names acc_bits" "acc_bits.*shift-add" \
    "$logiq" rtl --hw "$dir/shift6.ini" -o "$dir/d5b"
"$logiq" train --data synthetic --arch 'c8,c8+or,p,f10' --epochs 1 -q \
    -o "$dir/or.qnn" >/dev/null 2>&1
check "train an OR model" $?
"$logiq" rtl --hw "$small" "$dir/or.qnn" -o "$dir/d6" >/dev/null 2>&1 &&
    grep -q "^module lq_merge_or" "$dir/d6/logiq_accel.v"
check "rtl of an OR model writes the OR merge unit" $?
"$logiq" train --data synthetic --arch 'c8,c8+add,p,f10' --aq 2 --epochs 1 -q \
    -o "$dir/add.qnn" >/dev/null 2>&1
check "train an add model" $?
"$logiq" rtl "$dir/add.qnn" -o "$dir/d8" >/dev/null 2>&1 &&
    grep -q "^module lq_requant" "$dir/d8/logiq_accel.v" &&
    grep -q "^module lq_stream_add" "$dir/d8/logiq_accel.v"
check "rtl of an add model writes the requantizer and the stream adder" $?
if command -v yosys >/dev/null; then
    "$logiq" rtl --hw "$src/tests/rtl_design_add.ini" -o "$dir/d9" >/dev/null 2>&1
    yosys -q -p "read_verilog $dir/d9/logiq_accel.v; hierarchy -check -top logiq_accel; proc;
                 check -assert" >"$dir/yosys_add.log" 2>&1
    check "yosys elaborates the add design (hierarchy -check, proc, check -assert)" $?
fi
sed -e 's/^res_bits = 10/res_bits = 12/' -e 's/^skip_kbits = 64/skip_kbits = 512/' \
    "$src/tests/rtl_design_add.ini" >"$dir/add12.ini"
expect_exit 2 "a stream of another width than the design's names the layer" \
    "add.qnn: layer 1: its 8-bit residual stream differs from \[merge\] res_bits = 12" \
    "$logiq" rtl --hw "$dir/add12.ini" "$dir/add.qnn" -o "$dir/d10"
"$logiq" train --data synthetic --arch 'c8,c8,f10' --aq tern --epochs 1 -q \
    -o "$dir/tern.qnn" >/dev/null 2>&1
check "train a tern-activation model" $?
expect_exit 2 "signed multi-level activations name the layer" \
    "tern.qnn: layer 2: signed multi-level activations" \
    "$logiq" rtl "$dir/tern.qnn" -o "$dir/d11"
expect_exit 2 "a missing model" "nope.qnn" "$logiq" rtl --hw "$small" "$dir/nope.qnn" -o "$dir/d7"
# scripts/rtl-cosim.sh refuses bad input before it builds anything
expect_exit 2 "rtl-cosim.sh: a missing design" "nope.ini: cannot read it" \
    sh "$src/scripts/rtl-cosim.sh" "$dir/nope.ini" "$dir/nope.qnn"
expect_exit 2 "rtl-cosim.sh: no model" "usage: scripts/rtl-cosim.sh" \
    sh "$src/scripts/rtl-cosim.sh" "$small"
exit $fail

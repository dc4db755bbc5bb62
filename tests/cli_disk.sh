#!/bin/bash
# tests/cli_disk.sh: a full disk and a read-only folder. Every output logiq
# writes (a model, a checkpoint, the cost and sim tables, a VCD, the Slurm
# script, a report, the result store) on a full tmpfs and on a read-only
# one: a one-line error, exit 1, no half-written file, no temporary file
# left, and the previous file intact; the store keeps every committed point.
# Needs root to mount a small tmpfs; skipped (exit 77) with the reason
# otherwise.
# Usage: bash cli_disk.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
src=$(cd "${LOGIQ_TEST_SRC:-$(dirname "$0")}/.." && pwd)
cd "$dir" || exit 1

if [ "$(id -u)" != 0 ]; then
    echo "skip: mounting a small tmpfs needs root"
    exit 77
fi
mkdir -p full
if ! mount -t tmpfs -o size=512k tmpfs full 2>mount.err; then
    echo "skip: cannot mount a tmpfs here: $(cat mount.err)"
    exit 77
fi
trap 'umount "$dir/full" 2>/dev/null; umount "$dir/store" 2>/dev/null' EXIT

# ---- what is written: a model, a spec and its store (off the tmpfs) ----
train=(--arch c8,p,f10 --wq bin --aq 1 --data synthetic --epochs 1 --train-limit 128 --test-limit 64 -q)
"$logiq" train "${train[@]}" -o m.qnn >train.out 2>&1
check "a model to work on" $?
tiny_spec s >s.ini
"$logiq" sweep s.ini -q -j 2 >sweep.out 2>&1
check "a store to report on" $?

# the previous files, then the disk filled to the last block
for f in cost.txt m.qnn job.sh w.vcd; do echo "OLD $f" >full/$f; done
mkdir -p full/rep && echo "OLD report" >full/rep/index.html
dd if=/dev/zero of=full/fill bs=4k >/dev/null 2>&1
dd if=/dev/zero of=full/fill2 bs=64 >/dev/null 2>&1

# run NAME CMD...: exit 1, a one-line error, no file beside the old ones
outputs() {
    local what=$1
    shift
    "$@" >out.txt 2>err.txt
    local rc=$?
    local lines
    lines=$(grep -c . err.txt)
    check "$what: exit $rc (expected 1), $lines error line(s): $(head -c 160 err.txt | tr '\n' ' ')" \
        "$([ "$rc" = 1 ] && [ "$lines" = 1 ]; echo $?)"
}
intact() {
    local bad=""
    for f in cost.txt m.qnn job.sh w.vcd; do
        [ "$(cat full/$f)" = "OLD $f" ] || bad="$bad $f"
    done
    [ "$(cat full/rep/index.html)" = "OLD report" ] || bad="$bad rep/index.html"
    extra=$(cd full && ls -A | grep -v -x -e cost.txt -e m.qnn -e job.sh -e w.vcd -e rep -e fill -e fill2 -e lost+found)
    extra="$extra$(ls -A full/rep | grep -v -x index.html)"
    check "$1: the previous files intact (${bad:-all}), nothing else written (${extra:-none})" \
        "$([ -z "$bad" ] && [ -z "$extra" ]; echo $?)"
}

for state in full read-only; do
    if [ $state = read-only ]; then
        rm -f full/fill full/fill2
        mount -o remount,ro full
    fi
    outputs "$state: cost -o" "$logiq" cost m.qnn -o full/cost.txt
    outputs "$state: train -o" "$logiq" train "${train[@]}" -o full/m.qnn
    outputs "$state: train --checkpoint" "$logiq" train "${train[@]}" -o m2.qnn --checkpoint full/run.lqc
    outputs "$state: sim --vcd" "$logiq" sim m.qnn --images 2 --vcd full/w.vcd -q
    outputs "$state: sweep --slurm -o" "$logiq" sweep s.ini --store s2.db --slurm -o full/job.sh
    outputs "$state: report -o" "$logiq" report s.db -o full/rep -q
    intact "$state"
done
umount full

# ---- the store on a disk that fills up: every committed point kept ----
mkdir -p store
mount -t tmpfs -o size=1m tmpfs store
sed 's/^wq = .*/wq = bin/' s.ini >one.ini  # one of s.ini's two points
"$logiq" sweep one.ini --store store/s.db -q -j 1 >st1.out 2>&1
before=$(q store/s.db "SELECT COUNT(*) FROM points WHERE status = 'done'")
dd if=/dev/zero of=store/fill bs=4k >/dev/null 2>&1
dd if=/dev/zero of=store/fill2 bs=64 >/dev/null 2>&1
"$logiq" sweep s.ini --store store/s.db -q -j 1 >st2.out 2>&1
rc=$?
rm -f store/fill store/fill2
after=$(q store/s.db "SELECT COUNT(*) FROM points WHERE status = 'done'")
check "a sweep on a full disk fails (exit $rc): $(head -c 160 st2.out | tr '\n' ' ')" "$([ "$rc" != 0 ]; echo $?)"
check "the store keeps its committed points ($before before, $after after)" \
    "$([ "$before" = 1 ] && [ "$after" -ge "$before" ]; echo $?)"
check "the store is whole" "$([ "$(q store/s.db 'PRAGMA integrity_check')" = ok ]; echo $?)"
# a read-only store: said as such, never "another sweep is running"
mount -o remount,ro store
outputs "a sweep on a read-only store" "$logiq" sweep s.ini --store store/s.db -q -j 1
check "it is not mistaken for another runner" "$(! grep -q 'another logiq sweep' err.txt; echo $?)"
"$logiq" report store/s.db -o rep3 -q >rep3.out 2>&1
check "a read-only store can be reported on: $(head -c 160 rep3.out | tr '\n' ' ')" "$([ -s rep3/index.html ]; echo $?)"
umount store

exit $fail

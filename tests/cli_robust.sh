#!/bin/bash
# tests/cli_robust.sh: hostile input never crashes logiq or loses data
# (issue 14): inputs at the edge of their documented ranges, deep or huge
# inputs, files that are not regular files, names that would leave their
# folder, colliding outputs. Each is refused with exit code 2 and a
# one-line message naming the file and field, or works as documented.
# Usage: bash cli_robust.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"

# [array] lanes is documented as 1..4096: the widest design prices and
# simulates (the netlist buses were 1024 wide: a stack overflow past it).
printf '[array]\nlanes = 4096\nacc_bits = 32\n' >"$dir/lanes4096.ini"
"$logiq" cost --arch mlp --hw "$dir/lanes4096.ini" --format csv >"$dir/l.csv" 2>"$dir/l.err"
check "cost with lanes = 4096 exits 0" $?
grep -q "^design,total,nand2_eq," "$dir/l.csv"
check "cost with lanes = 4096 prints the design's gates" $?
"$logiq" train --data synthetic --arch 'c8,p,f10' --epochs 1 -q -o "$dir/m.qnn" >/dev/null 2>&1
check "train a small model" $?
"$logiq" sim "$dir/m.qnn" --hw "$dir/lanes4096.ini" --data synthetic --images 3 -q \
    >"$dir/s.txt" 2>"$dir/s.err"
check "sim with lanes = 4096 exits 0" $?
grep -q "^all outputs matched the integer model (3 images" "$dir/s.txt"
check "sim with lanes = 4096 matches the integer model" $?

# A filter nested past the bound is refused, naming the file and line (a
# deep enough one overflowed the recursive parser's stack).
o=$(printf '(%.0s' $(seq 65)); c=$(printf ')%.0s' $(seq 65))
printf '[sweep]\nname = deep\nfilter = %s aq == 1 %s\n[network]\narch = mlp\naq = 1, 2\n' \
    "$o" "$c" >"$dir/deep.ini"
expect_exit 2 "a filter nested 65 deep" "deep.ini:3: \[sweep\] filter: nested deeper than 64" \
    "$logiq" sweep "$dir/deep.ini" --dry-run

# A 100,000-point grid (the default cap) lists in seconds (the duplicate
# check was quadratic: minutes); a grid of 10^9 points is refused at once.
ten="1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
printf '[sweep]\nname = big\n[network]\narch = mlp\n[train]\nseed = %s\nepochs = %s\n' \
    "$ten" "$ten" >"$dir/big.ini"
printf 'threads = %s\nlr = %s\nbatch = 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\n' "$ten" "$ten" \
    >>"$dir/big.ini"
"$logiq" sweep "$dir/big.ini" --dry-run >"$dir/big.out" 2>"$dir/big.err"
check "a 100,000-point grid dry-runs" $?
n=$(grep -c " pending " "$dir/big.out")
check "it lists 100,000 points ($n)" "$([ "$n" = 100000 ]; echo $?)"
cp "$dir/big.ini" "$dir/huge.ini"
printf 'wd = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.01\n' >>"$dir/huge.ini"
printf '[hw]\narray.pe_rows = %s\narray.lanes = %s\n' "$ten" "$ten" >>"$dir/huge.ini"
printf 'array.acc_bits = 11, 12, 13, 14, 15, 16, 17, 18, 19, 20\n' >>"$dir/huge.ini"
expect_exit 2 "a 10^9-point grid is refused" "huge.ini: the grid has 1000000000 points (at most 100000)" \
    "$logiq" sweep "$dir/huge.ini" --dry-run
expect_exit 2 "--max-points lowers the cap" "big.ini: the grid has 100000 points (at most 99999)" \
    "$logiq" sweep "$dir/big.ini" --dry-run --max-points 99999
expect_exit 2 "--max-points 0 is bad usage" "--max-points" \
    "$logiq" sweep "$dir/big.ini" --dry-run --max-points 0

# Inputs that are not regular files: a folder read as an empty hw.ini (the
# default design, exit 0); /dev/zero and a FIFO without a writer hung. Each
# is refused at once, naming the file (timeout: a hang fails the check).
mkfifo "$dir/fifo" && mkdir -p "$dir/folder" "$dir/idx"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
    t10k-labels-idx1-ubyte; do
    ln -sf "$dir/fifo" "$dir/idx/$f"
done
printf '[design]\ntech = /dev/zero\n' >"$dir/tech_zero.ini"
for bad in "$dir/folder:a folder" /dev/zero:"a device" "$dir/fifo:a FIFO"; do
    f=${bad%%:*} kind=${bad#*:}
    expect_exit 2 "--hw $kind" "$f: $kind, not a regular file" \
        timeout 60 "$logiq" cost --arch mlp --hw "$f"
    expect_exit 2 "a spec that is $kind" "$f: $kind, not a regular file" \
        timeout 60 "$logiq" sweep "$f" --dry-run
    expect_exit 2 "a .qnn that is $kind" "$f: $kind, not a regular file" \
        timeout 60 "$logiq" eval "$f"
    expect_exit 2 "a checkpoint that is $kind" "$f: $kind, not a regular file" \
        timeout 60 "$logiq" quantize --method rtn "$f" -o "$dir/q.qnn"
done
expect_exit 2 "a cell library that is a device" "tech_zero.ini: \[design\] tech: /dev/zero: a device" \
    timeout 60 "$logiq" cost --arch mlp --hw "$dir/tech_zero.ini"
expect_exit 2 "IDX files that are FIFOs" "train-images-idx3-ubyte: a FIFO, not a regular file" \
    timeout 60 "$logiq" train --data idx --data-dir "$dir/idx" --arch mlp --epochs 1 -q \
    -o "$dir/x.qnn"

# A sweep name that would put the store and its folder elsewhere.
mkdir -p "$dir/a/b"
printf '[sweep]\nname = ../../X\n[network]\narch = mlp\n' >"$dir/a/b/up.ini"
cd "$dir/a/b" || exit 1
expect_exit 2 "[sweep] name = ../../X" "up.ini:2: \[sweep\] name: '../../X'" \
    "$logiq" sweep up.ini -q
cd - >/dev/null || exit 1
[ ! -e "$dir/X.db" ] && [ ! -e "$dir/X.d" ]
check "nothing written outside the folder" $?

# --merge of a folder that does not exist (exit 0 before: "no shards").
expect_exit 2 "--merge of a missing folder" "--merge $dir/no-such: No such file or directory" \
    "$logiq" sweep "$dir/big.ini" --merge "$dir/no-such"
expect_exit 2 "--merge of a file" "--merge $dir/big.ini: not a folder" \
    "$logiq" sweep "$dir/big.ini" --merge "$dir/big.ini"

# An unterminated quote in a spec value (was read as if closed at the end).
printf '[sweep]\nname = q\n[network]\narch = "c8,p,f10\n' >"$dir/quote.ini"
expect_exit 2 "an unterminated quote" "quote.ini:4: \[network\] arch: unterminated quote" \
    "$logiq" sweep "$dir/quote.ini" --dry-run

# A cell library value that overflows the totals to inf.
sed 's/^NAND2  *[^ ]*/NAND2 1e308/' "${LOGIQ_TEST_SRC:-$(dirname "$0")}/../costmodels/tech/generic45.cells" \
    >"$dir/huge.cells"
printf '[design]\ntech = huge.cells\n' >"$dir/huge_tech.ini"
line=$(grep -n '^NAND2' "$dir/huge.cells" | cut -d: -f1)
expect_exit 2 "a cell area of 1e308" "huge.cells:$line: NAND2 area_um2: 1e308" \
    "$logiq" cost --arch mlp --hw "$dir/huge_tech.ini"

# The last layer's width is the class count, not silently replaced by it.
expect_exit 2 "--arch c2,f9 on 10 classes" "layer 2 (f9): .* has 10 classes (expected f10)" \
    "$logiq" train --data synthetic --arch c2,f9 --epochs 1 -q -o "$dir/f9.qnn"
expect_exit 2 "cost --arch c2,f9" "layer 2 (f9): .* (expected f10)" \
    "$logiq" cost --arch c2,f9
[ ! -e "$dir/f9.qnn" ]
check "no model written for c2,f9" $?

# A test set of another image size than the training set: refused before
# training (it failed only after the training, at the test).
u32be() { # u32be N: N as 4 big-endian bytes
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
        $(($1 >> 8 & 255)) $(($1 & 255)))"
}
idx_images() { # idx_images FILE N ROWS COLS: N blank images
    { u32be 2051; u32be "$2"; u32be "$3"; u32be "$4"; head -c $(($2 * $3 * $4)) /dev/zero; } >"$1"
}
idx_labels() { # idx_labels FILE N: N labels 0
    { u32be 2049; u32be "$2"; head -c "$2" /dev/zero; } >"$1"
}
mkdir -p "$dir/sizes"
idx_images "$dir/sizes/train-images-idx3-ubyte" 8 28 28
idx_labels "$dir/sizes/train-labels-idx1-ubyte" 8
idx_images "$dir/sizes/t10k-images-idx3-ubyte" 4 14 14
idx_labels "$dir/sizes/t10k-labels-idx1-ubyte" 4
expect_exit 2 "a test set of another image size" \
    "sizes: the test images are 14x14x1 in 10 classes, the training images 28x28x1" \
    "$logiq" train --data idx --data-dir "$dir/sizes" --arch mlp --epochs 1 -q -o "$dir/s.qnn"
grep -q "epoch" "$dir/out" "$dir/err"
check "refused before training" "$([ $? -ne 0 ]; echo $?)"

# Colliding outputs: one file for two of them would lose one.
t="$logiq train --data synthetic --arch mlp --epochs 1 -q"
expect_exit 2 "train -o m.csv (the training log's name)" \
    "-o $dir/m.csv and the training log $dir/m.csv are the same file" $t -o "$dir/m.csv"
echo "a checkpoint" >"$dir/x.qnn"
expect_exit 2 "train -o x.qnn --checkpoint x.qnn" "-o $dir/x.qnn and --checkpoint $dir/x.qnn" \
    $t -o "$dir/x.qnn" --checkpoint "$dir/x.qnn"
[ "$(cat "$dir/x.qnn")" = "a checkpoint" ]
check "the checkpoint is untouched" $?
expect_exit 2 "train --save-fp y.qnn -o y.qnn" "-o $dir/y.qnn and --save-fp $dir/./y.qnn" \
    $t --save-fp "$dir/./y.qnn" -o "$dir/y.qnn"
echo "a model" >"$dir/y.qnn" && ln -sf y.qnn "$dir/ylink.qnn"
expect_exit 2 "train --save-fp through a symlink" "-o $dir/y.qnn and --save-fp $dir/ylink.qnn" \
    $t --save-fp "$dir/ylink.qnn" -o "$dir/y.qnn"
[ "$(cat "$dir/y.qnn")" = "a model" ]
check "the file behind the symlink is untouched" $?

# One runner per store, also through a symbolic link: the runner locks the
# store file itself. A lock held on the real file (as a runner given its
# real path holds it) refuses a runner given the link, or the same path.
cat >"$dir/lk.ini" <<EOF2
[sweep]
name = lk
[network]
arch = "c4,p,f10"
wq = bin
aq = 1
[train]
epochs = 1
data = synthetic
train_limit = 64
test_limit = 32
EOF2
(cd "$dir" && "$logiq" sweep lk.ini -q --store real.db >lk.out 2>&1)
ln -sf real.db "$dir/link.db"
(cd "$dir" && flock -x real.db "$logiq" sweep lk.ini -q --store link.db --retry-failed >lk2.out 2>&1)
check "a runner through a symlink is refused while the real store is held ($(head -c 120 "$dir/lk2.out"))" \
    "$(grep -q 'another logiq sweep is running' "$dir/lk2.out"; echo $?)"
(cd "$dir" && flock -x real.db "$logiq" sweep lk.ini -q --store real.db --retry-failed >lk3.out 2>&1)
check "a runner on the same path is refused while the store is held ($(head -c 120 "$dir/lk3.out"))" \
    "$(grep -q 'another logiq sweep is running' "$dir/lk3.out"; echo $?)"

# An architecture that would need more memory than --max-memory (default
# 16 GiB) is refused before anything is allocated: at once, exit 2.
expect_exit 2 "train: a network needing ~1 TiB is refused" "over the limit of 16 GiB" \
    "$logiq" train --arch c2048,c2048,c2048,f10 --width 16 --data synthetic --epochs 1 -o "$dir/big.qnn"
expect_exit 2 "cost: a network needing ~28 TiB is refused" "over the limit of 16 GiB" \
    "$logiq" cost --arch c4096,c4096,c4096,f10 --width 64
expect_exit 2 "--max-memory sets the limit" "over the limit of 0.001 GiB" \
    "$logiq" cost --arch res11-or --max-memory 0.001
expect_exit 2 "--max-memory: a bad value" "--max-memory" \
    "$logiq" cost --arch res11-or --max-memory -3
# A .qnn's inference workspace has the same limit, an option of eval and sim.
expect_exit 2 "eval --max-memory refuses the model's workspace" \
    "$dir/m.qnn: the model's integer inference needs .* over the limit of 1e-06 GiB" \
    "$logiq" eval "$dir/m.qnn" --data synthetic --max-memory 0.000001
expect_exit 2 "sim --max-memory refuses the model's workspace" \
    "$dir/m.qnn: the model's integer inference needs .* over the limit of 1e-06 GiB" \
    "$logiq" sim "$dir/m.qnn" --data synthetic --images 2 -q --max-memory 0.000001
"$logiq" eval "$dir/m.qnn" --data synthetic --max-memory 0.01 >/dev/null 2>&1
check "eval runs under a --max-memory the model fits" $?
"$logiq" sim "$dir/m.qnn" --data synthetic --images 2 -q --max-memory 0.01 >/dev/null 2>&1
check "sim runs under a --max-memory the model fits" $?

exit $fail

#!/bin/bash
# tests/cli_docs.sh: the README says what logiq is now (issue 19, part 4):
# no stale sentence about later milestones, no link that leaves the
# repository, every weight quantizer of nn/quant.c's grammar and every
# command of `logiq --help` named, and every docs/ page it links exists.
# Usage: bash cli_docs.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
src=$(cd "${LOGIQ_TEST_SRC:-$(dirname "$0")}/.." && pwd)
readme=$src/README.md

! grep -qi 'milestone' "$readme"
check "no sentence about milestones" $?
! grep -qE '\]\((\.\./|/)' "$readme"
check "no link leaves the repository" $?
missing=""
for q in $(sed -n 's/^ \*       kind  =  \(fp .*\)/\1/p; s/^ \*                | \(dorefa.*\)/\1/p' \
           "$src/nn/quant.c" | head -n 2 | tr '|' '\n' | sed 's/^ *//; s/[: ].*//' | grep -v '^$'); do
    grep -q "\`$q" "$readme" || missing="$missing $q"
done
check "every weight quantizer is named (missing:${missing:- none})" "$([ -z "$missing" ]; echo $?)"
missing=""
for c in $("$logiq" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p'); do
    grep -q "logiq $c" "$readme" || missing="$missing $c"
done
check "every command is shown (missing:${missing:- none})" "$([ -z "$missing" ]; echo $?)"
missing=""
for f in $(grep -o '](docs/[^)#]*' "$readme" | sed 's/^](//' | sort -u); do
    [ -f "$src/$f" ] || missing="$missing $f"
done
check "every docs/ link exists (missing:${missing:- none})" "$([ -z "$missing" ]; echo $?)"
exit $fail

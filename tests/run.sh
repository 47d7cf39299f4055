#!/bin/sh
# run.sh BIN UNITDIR [BIN UNITDIR ...] — runs the unit tests in each UNITDIR
# and the command-line tests (tests/cli/*.sh) against the tools in each BIN.
# Prints every check, then "N passed, N failed"; exits non-zero on failure.
cd "$(dirname "$0")/.." || exit 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # label command...
    label=$1; shift
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | sed -n "s/^\(ok\|not ok\) - /\1 - [$label] /p" | tee -a "$log"
    # a test program that dies without reporting is a failure too
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
        echo "not ok - [$label] exited $rc: $(printf '%s\n' "$out" | tail -3 | tr '\n' ' ')" | tee -a "$log"
    fi
}

while [ $# -ge 2 ]; do
    bin=$1 units=$2; shift 2
    tag=$(basename "$(dirname "$units")")
    for t in "$units"/test_*; do
        case $t in *.o|*.d) continue ;; esac
        [ -x "$t" ] && run "$tag $(basename "$t")" "$t"
    done
    for s in tests/cli/*.sh; do
        run "$tag $(basename "$s" .sh)" env NN_BIN="$(pwd)/$bin" sh "$s"
    done
done

passed=$(grep -c '^ok' "$log")
failed=$(grep -c '^not ok' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

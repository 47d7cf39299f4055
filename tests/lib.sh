# lib.sh — helpers for the command-line tests (sourced).  Each check prints
# "ok - what" or "not ok - what: detail"; tests/run.sh counts the lines.
# NN_BIN is the directory of the tools under test.
set -u
: "${NN_BIN:?NN_BIN must name the directory of the tools}"
PATH="$NN_BIN:$PATH"
PY=${PY:-/usr/bin/python3}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/nn-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; }

# check WHAT CMD...: passes when CMD exits 0.
check() {
    what=$1; shift
    if "$@" >"$T/.out" 2>"$T/.err"; then ok "$what"
    else not_ok "$what" "exit $? — $(head -c 300 "$T/.err" | tr '\n' ' ')"; fi
}

# same WHAT FILE1 FILE2: passes when the files are byte-identical.
same() {
    if cmp -s "$2" "$3"; then ok "$1"
    else not_ok "$1" "$2 and $3 differ ($(cmp "$2" "$3" 2>&1 | head -1))"; fi
}

# fails_clean WHAT PATTERN CMD...: CMD must exit non-zero with an empty
# stdout and exactly one line on stderr, "tool: ...", matching PATTERN
# (extended regex).  CMD's stdin is whatever the caller redirects.
fails_clean() {
    what=$1; pat=$2; shift 2
    "$@" >"$T/.out" 2>"$T/.err"
    rc=$?
    lines=$(wc -l <"$T/.err")
    msg=$(head -c 400 "$T/.err" | tr '\n' ' ')
    if [ $rc -eq 0 ]; then not_ok "$what" "exit 0"
    elif [ $rc -gt 2 ]; then not_ok "$what" "exit $rc (crash?) — $msg"
    elif [ -s "$T/.out" ]; then not_ok "$what" "stdout not empty"
    elif [ "$lines" -ne 1 ]; then not_ok "$what" "$lines lines on stderr — $msg"
    elif ! grep -Eq "^nn-[a-z-]+: .*($pat)" "$T/.err"; then
        not_ok "$what" "message does not match /$pat/ — $msg"
    else ok "$what"; fi
}

# fails_usage WHAT PATTERN CMD...: a usage error: exit status 2, empty
# stdout, a first stderr line "tool: ..." matching PATTERN.
fails_usage() {
    what=$1; pat=$2; shift 2
    "$@" >"$T/.out" 2>"$T/.err"
    rc=$?
    msg=$(head -c 400 "$T/.err" | tr '\n' ' ')
    if [ $rc -ne 2 ]; then not_ok "$what" "exit $rc, want 2 — $msg"
    elif [ -s "$T/.out" ]; then not_ok "$what" "stdout not empty"
    elif ! head -1 "$T/.err" | grep -Eq "^nn-[a-z-]+: .*($pat)"; then
        not_ok "$what" "message does not match /$pat/ — $msg"
    else ok "$what"; fi
}

# bomb ROWS FILE: a decompression bomb: x f32 (ROWS,16) of zeros in one
# zstd frame of RLE blocks (2 GiB in 64 KiB for 2^25 rows), then y i32 (3).
bomb() {
    "$PY" - "$TOP" "$1" "$2" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record, zeros_frame
rows = int(sys.argv[2])
open(sys.argv[3], "wb").write(
    record("x", None, flags=1, dims=(rows, 16), dtype=9, payload=zeros_frame(rows * 64)) +
    record("y", np.arange(3, dtype="<i4")))
PY
}
# bounded WHAT OUT CMD...: CMD succeeds, its stdout in OUT, in under 100 MB.
bounded() {
    what=$1 bout=$2; shift 2
    if ! /usr/bin/time -f %M -o bounded.rss "$@" >"$bout" 2>bounded.err; then
        not_ok "$what" "$(head -c 300 bounded.err)"
    elif ldd "$NN_BIN/nn-info" | grep -q asan; then
        ok "$what"
    elif [ "$(tail -1 bounded.rss)" -lt 100000 ]; then
        ok "$what, in $(tail -1 bounded.rss) KB"
    else
        not_ok "$what" "peak memory $(tail -1 bounded.rss) KB"
    fi
}
# shapes FILE: "name shape records" of each tensor, from the headers.
shapes() {
    nn-info -H -j "$1" | "$PY" -c 'import sys, json
for l in sys.stdin:
    t = json.loads(l); print(t["name"], ",".join(map(str, t["shape"])), t["records"])'
}

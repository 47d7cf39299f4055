# nn-split: shards hold the expected NumPy row blocks of every tensor (x
# and y paired), nn-cat of the shards gives the input's arrays, pipes,
# naming, and that a failure leaves no shard behind.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }

# x f32 (50,3) and y i32 (50) in chunks of 12 (the last chunk compressed),
# a scalar, w f64 (7,2) in one record, an empty tensor e (0,4).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
g = np.random.default_rng(3)
x = g.standard_normal((50, 3)).astype("<f4"); y = g.integers(0, 10, 50).astype("<i4")
w = g.standard_normal((7, 2))
out = record("epoch", np.array(2, "<i8"), "note=s\n")
for at in range(0, 50, 12):
    f, z = (2 if at else 0), at == 48
    out += record("x", x[at:at + 12], "" if at else "source=craft\n", flags=f, zstd=z)
    out += record("y", y[at:at + 12], "" if at else "classes=10\n", flags=f, zstd=z)
    if at == 12:
        out += record("w", w, "layer=1\n") + record("e", np.zeros((0, 4), "<f4"), "k=v\n")
open("ds.nns", "wb").write(out)
np.savez("ref.npz", x=x, y=y, w=w)
PY

# Every shard against NumPy row blocks, and nn-cat of the shards against
# the input; one Python for all cases (prints the ok lines).
check_shards() { # PREFIX MODE ARG...
    "$PY" - "$TOP" "$@" <<'PY'
import sys, glob; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
r = np.load("ref.npz")
full = read(open("ds.nns", "rb"))
def check(prefix, mode, arg):
    files = sorted(glob.glob(prefix + ".*.nns"))
    def block(n, k, K):
        if mode == "l": return slice(k * arg, (k + 1) * arg)
        q, m = divmod(n, K); a = k * q + min(k, m); return slice(a, a + q + (k < m))
    K = arg if mode == "n" else max(1, -(-50 // arg))
    assert files == ["%s.%03d.nns" % (prefix, k) for k in range(K)], files
    for k, f in enumerate(files):
        t = read(open(f, "rb"))
        assert [n for n, _, _ in t] == ["epoch", "x", "y", "w", "e"], (f, [n for n, _, _ in t])
        d = {n: (a, at) for n, a, at in t}
        for n in "xyw":
            want = r[n][block(len(r[n]), k, K)]
            assert d[n][0].shape == want.shape and np.array_equal(d[n][0], want), (f, n)
        assert d["e"][0].shape == (0, 4) and d["epoch"][0] == 2
        assert d["x"][1] == {"source": "craft"} and d["e"][1] == {"k": "v"}
    # joined: the scalar once from each shard, the row tensors whole again
    b = read(open(prefix + ".joined", "rb"))
    assert [n for n, _, _ in b].count("epoch") == K
    a, b = [t for t in full if t[0] != "epoch"], [t for t in b if t[0] != "epoch"]
    assert [(n, at) for n, _, at in a] == [(n, at) for n, _, at in b]
    assert all(np.array_equal(p[1], q[1]) and p[1].dtype == q[1].dtype for p, q in zip(a, b))
mode = sys.argv[3]
for prefix in sys.argv[4:]:
    what = "--%s %s: shards of NumPy row blocks, joined again by nn-cat" % (
        {"l": "rows", "n": "shards"}[mode], prefix[1:])
    try:
        check(prefix, mode, int(prefix[1:].rstrip("p")))
        print("ok -", what)
    except Exception as ex:
        print("not ok -", what + ":", repr(ex)[:300])
PY
}
for n in 1 5 12 13 25 49 50 60; do
    nn-split --rows $n l$n ds.nns && nn-cat l$n.*.nns > l$n.joined
done
check_shards x l l1 l5 l12 l13 l25 l49 l50 l60
for k in 1 2 3 4 7 9 50 51; do
    nn-split --shards=$k n$k ds.nns && nn-cat n$k.*.nns > n$k.joined
done
check_shards x n n1 n2 n3 n4 n7 n9 n50 n51

# Shards whose blocks match the chunks are copies of the input's records.
nn-split --rows 50 one ds.nns
nn-cat one.000.nns > one.cat
same "one shard of everything is the input" ds.nns one.000.nns

# A pipe is copied to a temporary file first; -v lists the shards.
cat ds.nns | nn-split --shards 3 -v n3p > names.txt
nn-cat n3p.*.nns > n3p.joined
check_shards x n n3p | sed 's/--shards 3p:/--shards 3 from a pipe:/'

printf 'n3p.000.nns\nn3p.001.nns\nn3p.002.nns\n' > want.txt
same "-v lists the shards" want.txt names.txt
nn-split --rows 10 q ds.nns > quiet.txt
check "without -v nothing on stdout" test ! -s quiet.txt
nn-split --rows 10 --digits 5 wide ds.nns
check "--digits 5 names shards with five digits" test -e wide.00004.nns -a ! -e wide.00005.nns
nn-split -z --rows 20 z ds.nns && nn-split -d --rows 20 d z.001.nns
"$PY" - "$TOP" <<'PY' && ok "-z and -d shards hold the same rows" || not_ok "-z/-d" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
r = np.load("ref.npz")
t = {n: a for n, a, _ in read(open("d.000.nns", "rb"))}
assert np.array_equal(t["x"], r["x"][20:40]) and np.array_equal(t["y"], r["y"][20:40])
assert b"\x89NNS" in open("z.000.nns", "rb").read()
PY

# Failures leave no shard: bad input, and a shard that cannot be renamed
# into place after eight others were finished.
for kind in checksum version overflow liar orphan flag dtype; do
    craft $kind > bad.nns
    fails_clean "corrupt stream ($kind)" "record 0" nn-split --shards 2 bad bad.nns
done
head -c 700 ds.nns > trunc.nns
fails_clean "truncated stream" "truncated" nn-split --rows 5 bad trunc.nns
head -c 300 /dev/urandom | fails_clean "garbage from a pipe" "bad magic" nn-split --rows 5 bad
check "no shard after bad input" test -z "$(ls bad.0* 2>/dev/null)"
# A zstd frame of the wrong size passes the first pass (its checksum is
# right) and fails when a shard needs its rows: the message names the
# record and offset, although it was reached by a seek.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np, zstandard
x = np.arange(12, dtype="<f4").reshape(6, 2)
frame = zstandard.ZstdCompressor().compress(x[3:5].tobytes())   # 2 rows, not 3
a, b = record("x", x[:3]), record("y", np.arange(3, dtype="<i4"))
c = record("x", x[3:], flags=3, payload=frame)
open("zbad.nns", "wb").write(a + b + c)
open("zbad.at", "w").write(str(len(a) + len(b)))
PY
fails_clean "a bad zstd frame found by the second pass" \
    "zbad.nns: record 2 at byte $(cat zbad.at): zstd" nn-split --rows 4 zb zbad.nns
check "no shard after it" test -z "$(ls zb.* 2>/dev/null)"
mkdir late.009.nns
fails_clean "a shard that cannot be written" "late.009.nns" nn-split --rows 5 late ds.nns
check "the finished shards are removed too" test -z "$(ls late.0* 2>/dev/null | grep -v late.009.nns)"
fails_clean "too many shards for the digits" "more than 1 digits \\(see --digits\\)" nn-split --rows 1 --digits 1 few ds.nns
check "no shard when there are too many" test -z "$(ls few.* 2>/dev/null)"
fails_clean "missing file" "nope.nns" nn-split --rows 5 x nope.nns
fails_usage "neither --rows nor --shards" "one of --rows N and --shards K" nn-split x ds.nns
fails_usage "both --rows and --shards" "one of --rows" nn-split --rows 2 --shards 2 x ds.nns
fails_usage "--rows 0" "invalid --rows '0': must be at least 1" nn-split --rows 0 x ds.nns
fails_usage "--shards x" "invalid --shards 'x': not a whole number" nn-split --shards x x ds.nns
fails_usage "--digits 10" "invalid --digits '10': must be from 1 to 9" nn-split --shards 2 --digits 10 x ds.nns
fails_usage "--shards 1001 with 3 digits" "more than 3 digits \\(see --digits\\)" nn-split --shards 1001 x ds.nns
fails_usage "missing PREFIX" "missing PREFIX" nn-split --shards 2
# the old spellings: -n is --name, -a --activation and -l --lambda elsewhere
fails_usage "-n K is gone (--shards)" "invalid option -n" nn-split -n 2 x ds.nns
fails_usage "-l N is gone (--rows)" "invalid option -l" nn-split -l 5 x ds.nns
fails_usage "-a DIGITS is gone (--digits)" "invalid option -a" nn-split --rows 5 -a 4 x ds.nns
check "--help" nn-split --help
check "--version" nn-split --version
nn-split -V > version.txt && grep -q '^nn-split (nn tools) ' version.txt &&
    ok "-V prints the version" || not_ok "-V" "$(cat version.txt)"

# Input that is not a regular file is checked as it is copied: what is not
# a stream fails at its first bytes (it once copied all of /dev/zero).
fails_clean "endless non-stream on a device" "/dev/zero: record 0 at byte 0: bad magic" \
    timeout 10 nn-split --rows 5 zz /dev/zero
fails_clean "non-stream on a pipe" "stdin: record 0 at byte 0: bad magic" \
    sh -c 'yes | timeout 10 nn-split --rows 5 zz'
fails_clean "corrupt record on a pipe" "stdin: record 2 at byte $(cat zbad.at): zstd" \
    sh -c 'cat zbad.nns | nn-split --rows 4 zz'
check "no shard from them" test -z "$(ls zz.* 2>/dev/null)"
cat ds.nns | nn-split --rows 5 piped - && nn-split --rows 5 filed ds.nns
same "a stream on a pipe splits as from a file" filed.000.nns piped.000.nns

# The shard names that cannot be printed (-v into a full device): a failed
# run, so no shard is left.
if [ -c /dev/full ]; then
    fails_clean "-v into a full device" "write error on standard output" \
        sh -c 'nn-split -v --rows 5 vfull ds.nns >/dev/full'
    check "no shard when the names could not be printed" test -z "$(ls vfull.* 2>/dev/null)"
fi

# A decompression bomb (issue 10): x f32 (ROWS,16) of zeros in one zstd
# frame of RLE blocks (2 GiB in 64 KiB for 2^25 rows), then y i32 (3).
# Records are read in pieces: peak memory stays a few MB (checked without
# ASan, whose own memory would hide it).
bomb $((1 << 25)) bomb.nns
bounded "nn-split --shards 3 of a 2 GiB zstd bomb" /dev/null nn-split --shards 3 bs bomb.nns
for k in 0 1 2; do shapes bs.00$k.nns; done > bs.txt
printf 'x %s,16 683\ny 1 1\n' 11184811 11184811 11184810 > want.txt
same "... its shards, records over 16 MiB written as chunks of 16384 rows" want.txt bs.txt

# A record cut between several shards, read in pieces (16384 rows of 64
# bytes), compressed and not.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
x = np.arange(40003 * 16, dtype="<f4").reshape(40003, 16)
for z in 0, 1:
    open(f"wide{z}.nns", "wb").write(record("x", x[:3], "k=v\n") + record("x", x[3:], flags=2, zstd=z))
PY
for z in 0 1; do
    nn-split --rows 7000 wl$z wide$z.nns && nn-split --shards 3 -z wn$z wide$z.nns ||
        not_ok "shards across pieces" "exit $?"
done
"$PY" - "$TOP" <<'PY' && ok "shards of a record read in pieces hold its rows" || not_ok "shards across pieces" "see above"
import sys, glob; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
x = np.arange(40003 * 16, dtype="<f4").reshape(40003, 16)
for p in "wl0", "wl1", "wn0", "wn1":
    parts = [read(open(f, "rb"))[0] for f in sorted(glob.glob(p + ".*.nns"))]
    assert len(parts) == (6 if p[1] == "l" else 3), p
    assert all(n == "x" and at == {"k": "v"} for n, _, at in parts), p
    assert np.array_equal(np.concatenate([a for _, a, _ in parts]), x), p
PY

# nn-cat: joining data sets (one tensor per name, all rows), pass-through
# byte for byte, idempotence, -J, -z/-d round trips, --rows rechunking,
# tensors that cannot be joined, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }

# Three data sets a, b, c (x f32 (n,4) in chunks, y u8 (n)), b compressed,
# with a scalar; e: x of another shape; f: x of another dtype; z: a part
# whose first records have no rows.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
g = np.random.default_rng(11)
def ds(name, n, chunk, z=False, attrs="source=%s\n", scalar=None):
    x = g.standard_normal((n, 4)).astype("<f4")
    if name == "k": x = x.round()  # compressible
    y = g.integers(0, 9, n).astype("<u1")
    out = b"" if scalar is None else record("epoch", np.array(scalar, "<i4"))
    for at in range(0, n, chunk):
        f = 2 if at else 0
        out += record("x", x[at:at + chunk], "" if at else attrs % name, flags=f, zstd=z)
        out += record("y", y[at:at + chunk], "" if at else "classes=9\n", flags=f, zstd=z)
    open(name + ".nns", "wb").write(out)
    np.savez(name + ".npz", x=x, y=y)
ds("a", 23, 10, scalar=1)
ds("b", 17, 5, z=True, scalar=2)
ds("c", 9, 9)
ds("k", 200, 50)
open("big.nns", "wb").write(record("x", g.standard_normal((150, 1000)).astype("<f4").round(1), "s=big\n")
                            + record("y", np.arange(150, dtype="<u2")))
open("e.nns", "wb").write(record("x", np.zeros((2, 5), "<f4")))
open("f.nns", "wb").write(record("x", np.zeros((2, 4), "<f8")))
x = g.standard_normal((6, 4)).astype("<f4"); y = np.arange(6, dtype="<u1")
open("z.nns", "wb").write(record("x", x[:0], "a=1\n") + record("y", y[:0]) +
                          record("x", x, flags=2) + record("y", y, flags=2))
np.savez("z.npz", x=x, y=y)
PY

nn-cat a.nns b.nns c.nns > abc.nns
"$PY" - "$TOP" <<'PY' && ok "a b c join into one x and one y with all rows" || not_ok "join" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
t = read(open("abc.nns", "rb"))
assert [n for n, _, _ in t] == ["epoch", "x", "y", "epoch"], [n for n, _, _ in t]
r = [np.load(f + ".npz") for f in "abc"]
d = {n: (a, at) for n, a, at in t}
for k in "xy":
    assert np.array_equal(d[k][0], np.concatenate([q[k] for q in r])), k
assert d["x"][1] == {"source": "a"} and d["y"][1] == {"classes": "9"}
assert [int(a) for n, a, _ in t if n == "epoch"] == [1, 2]
PY

# One input is copied byte for byte; joining twice changes nothing.
nn-cat a.nns > a1.nns
same "one input: output is the input" a.nns a1.nns
nn-cat big.nns > big1.nns
same "a record of 600 KB is copied byte for byte" big.nns big1.nns
nn-cat -z big.nns | nn-cat -d > big2.nns
same "a record of 600 KB through -z and -d" big.nns big2.nns
nn-cat < b.nns > b1.nns
same "stdin: output is the input" b.nns b1.nns
cat a.nns b.nns > ab.cat
nn-cat ab.cat > ab1.nns
same "a cat of two streams is left as it is" ab.cat ab1.nns
nn-cat a.nns b.nns > ab.nns
nn-cat ab.nns > ab2.nns
same "nn-cat of nn-cat output is the same" ab.nns ab2.nns
nn-cat ab.nns c.nns > abc2.nns
same "nn-cat (a b) c equals nn-cat a b c" abc.nns abc2.nns
cat a.nns b.nns | nn-cat -J > abJ.nns
same "cat a b | nn-cat -J equals nn-cat a b" ab.nns abJ.nns
nn-cat -J ab.cat c.nns > abcJ.nns
same "-J with files" abc.nns abcJ.nns
nn-cat a.nns - c.nns < b.nns > abc3.nns
same "- reads stdin among files" abc.nns abc3.nns

# Joined records keep their payload bytes: only headers change.
"$PY" - <<'PY' && ok "joined records keep their stored payloads" || not_ok "payloads" "see above"
import struct
def recs(f):
    b, out, at = open(f, "rb").read(), [], 0
    while at < len(b):
        hlen, flags, plen = struct.unpack_from("<IIQ", b, at + 8)
        out.append((flags, b[at + hlen:at + hlen + plen])); at += hlen + plen
    return out
a, b, ab = recs("a.nns"), recs("b.nns"), recs("ab.nns")
assert [p for _, p in ab] == [p for _, p in a + b]
assert [f for f, _ in ab[len(a):]] == [0] + [3] * 8, [f for f, _ in ab]
PY

# A part whose first records have no rows adds only its rows.
nn-cat a.nns z.nns > az.nns
"$PY" - "$TOP" <<'PY' && ok "empty first records of a joined part are left out" || not_ok "empty part" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read, records
n = sum(1 for _ in records(open("az.nns", "rb")))
assert n == 1 + 6 + 2, n
d = {k: a for k, a, _ in read(open("az.nns", "rb"))}
a, z = np.load("a.npz"), np.load("z.npz")
assert np.array_equal(d["x"], np.concatenate([a["x"], z["x"]]))
PY

# Compression: -z then -d gives the raw stream back, bytes and all.
nn-cat -z k.nns > kz.nns
nn-cat -d kz.nns > kd.nns
same "-z then -d is the identity on a raw stream" k.nns kd.nns
nn-cat -z19 b.nns | nn-cat -d > bd.nns
nn-cat -d b.nns > bd2.nns
same "-d of -z19 equals -d" bd.nns bd2.nns
"$PY" - "$TOP" <<'PY' && ok "-z compresses every record, -d none; same arrays" || not_ok "-z/-d" "see above"
import sys, struct; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def zf(f):
    b, out, at = open(f, "rb").read(), [], 0
    while at < len(b):
        hlen, flags, plen = struct.unpack_from("<IIQ", b, at + 8)
        out.append(flags & 1); at += hlen + plen
    return out
assert set(zf("kz.nns")[::2]) == {1}, zf("kz.nns")     # x chunks compress
assert set(zf("bd.nns")) == {0}
b, d = read(open("b.nns", "rb")), read(open("bd.nns", "rb"))
assert all(np.array_equal(p[1], q[1]) for p, q in zip(b, d))
PY

# --rows N: every record N rows, the last of a tensor fewer; same arrays.
for n in 1 3 7 10 40; do
    nn-cat --rows $n a.nns b.nns c.nns > r$n.nns
done
nn-cat --rows 0 a.nns b.nns c.nns > r0.nns
same "--rows 0 keeps the chunks" abc.nns r0.nns
"$PY" - "$TOP" <<'PY' && ok "--rows N rechunks to N rows, arrays and attrs unchanged" || not_ok "--rows" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read, records
want = read(open("abc.nns", "rb"))
for n in (1, 3, 7, 10, 40):
    got = read(open(f"r{n}.nns", "rb"))
    assert sorted((k, at) for k, _, at in got) == sorted((k, at) for k, _, at in want), n
    g = {k: a for k, a, _ in got if k != "epoch"}
    w = {k: a for k, a, _ in want if k != "epoch"}
    assert all(np.array_equal(g[k], w[k]) for k in w), n
    rows = {}
    for k, a, _, cont in records(open(f"r{n}.nns", "rb")):
        if a.ndim: rows.setdefault(k, []).append(len(a))
    for k, r in rows.items():
        assert all(v == n for v in r[:-1]) and 0 < r[-1] <= n, (n, k, r)
PY
nn-cat --rows 10 a.nns > a10.nns
same "--rows equal to the chunks copies records verbatim" a.nns a10.nns

# Ancillary flags and attributes survive a join.
craft ancillary > anc.nns
nn-cat anc.nns anc.nns > anc2.nns
"$PY" - <<'PY' && ok "a joined record keeps its ancillary flag" || not_ok "ancillary" "see above"
import struct
b = open("anc2.nns", "rb").read(); h = struct.unpack_from("<I", b, 8)[0]
assert b[:h + 48] == open("anc.nns", "rb").read()[:h + 48]
assert struct.unpack_from("<I", b, h + 48 + 12)[0] == (1 << 20) | 2
PY

# Tensors that cannot be joined, and corrupt later inputs: nothing written.
fails_clean "join of another row shape" "cannot join" nn-cat a.nns e.nns
fails_clean "join of another dtype" "f64.*f32.*cannot join" nn-cat a.nns f.nns
nn-cat -o never.nns a.nns e.nns 2>/dev/null
check "no output file after a failed join" test ! -e never.nns
for kind in checksum version overflow liar orphan flag dtype; do
    craft $kind > bad.nns
    fails_clean "corrupt stream ($kind)" "record 0" nn-cat bad.nns
done
for kind in version overflow liar orphan flag dtype; do
    craft $kind > bad.nns
    fails_clean "corrupt later input ($kind)" "bad.nns: record 0" nn-cat a.nns bad.nns
done
head -c 290 a.nns > trunc.nns
fails_clean "truncated later input" "trunc.nns: record 1 at byte 60: truncated" nn-cat a.nns trunc.nns
head -c 500 /dev/urandom > garbage.nns
fails_clean "garbage" "bad magic" nn-cat garbage.nns
fails_clean "missing file" "nope.nns" nn-cat a.nns nope.nns
cat e.nns | nn-cat a.nns - > /dev/null 2>pipe.err
check "a join error from a pipe still fails" grep -q "cannot join" pipe.err
fails_usage "bad --rows" "invalid --rows 'x': not a whole number" nn-cat --rows x a.nns
fails_usage "negative --rows" "invalid --rows '-2': not a whole number" nn-cat --rows=-2 a.nns
fails_usage "bad zstd level" "invalid --zstd .*: must be from 1 to 22" nn-cat -z0 a.nns
check "--help" nn-cat --help
check "--version" nn-cat --version
nn-cat -V > version.txt && grep -q '^nn-cat (nn tools) ' version.txt &&
    ok "-V prints the version" || not_ok "-V" "$(cat version.txt)"

# Output is held back (64 MiB): a corrupt input on a pipe, after 2.4 MB of
# output from a file, still leaves a pipe empty.
nn-cat big.nns big.nns big.nns big.nns > big4.nns
craft checksum > bad.nns
(cat bad.nns | nn-cat big4.nns - 2>held.err; echo $? > held.rc) | wc -c > held.bytes
[ "$(cat held.rc)" = 1 ] && [ "$(cat held.bytes)" -eq 0 ] && grep -q "stdin: record 0" held.err &&
    ok "an error after 2.4 MB of output leaves a pipe empty (held)" ||
    not_ok "held output" "exit $(cat held.rc), $(cat held.bytes) bytes: $(cat held.err)"

# A decompression bomb (issue 10): x f32 (ROWS,16) of zeros in one zstd
# frame of RLE blocks (2 GiB in 64 KiB for 2^25 rows), then y i32 (3).
# Records are read in pieces: peak memory stays a few MB (checked without
# ASan, whose own memory would hide it).
bomb $((1 << 25)) bomb.nns
bounded "nn-cat --rows 100000 of a 2 GiB zstd bomb after 20 rows" br.nns \
    sh -c 'nn-slice :20 bomb.nns | nn-cat --rows 100000 - bomb.nns'
shapes br.nns > br.txt
printf 'x 33554452,16 336\ny 6 1\n' > want.txt
same "... rechunked" want.txt br.txt
bounded "nn-cat -z of the bomb" bz.nns nn-cat -z bomb.nns
shapes bz.nns > bz.txt
printf 'x 33554432,16 2048\ny 3 1\n' > want.txt
same "... recompressed as chunks of near 1 MiB (16384 rows)" want.txt bz.txt

# --rows across the pieces a record is read in (16384 rows of 64 bytes).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
x = np.arange(40003 * 16, dtype="<f4").reshape(40003, 16)
open("wide.nns", "wb").write(record("x", x[:3], "k=v\n") + record("x", x[3:], flags=2, zstd=True))
PY
for n in 7 10000 40003; do
    nn-cat --rows $n wide.nns > wide$n.nns || not_ok "--rows $n across pieces" "exit $?"
done
"$PY" - "$TOP" <<'PY' && ok "--rows N across the pieces of a record: the rows, N a record" || not_ok "--rows across pieces" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read, records
x = np.arange(40003 * 16, dtype="<f4").reshape(40003, 16)
for n in 7, 10000, 40003:
    (name, a, attrs), = read(open(f"wide{n}.nns", "rb"))
    assert name == "x" and attrs == {"k": "v"} and np.array_equal(a, x), n
    sizes = [len(a) for _, a, _, _ in records(open(f"wide{n}.nns", "rb"))]
    assert sizes == [n] * (40003 // n) + ([40003 % n] if 40003 % n else []), (n, sizes[:3])
PY

# --rows over rows of width 0: they hold nothing, and go in one record
# (2^32 of them once made 2^31 records of two rows).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
open("zw.nns", "wb").write(record("x", None, dims=(1 << 32, 0), dtype=9, payload=b""))
PY
timeout 20 nn-cat --rows 2 zw.nns > zw.out && [ "$(nn-info --records zw.out | grep -c ' x ')" -eq 1 ] &&
    ok "--rows 2 of 2^32 rows of width 0: one record" ||
    not_ok "--rows 2 of 2^32 rows of width 0" "$(nn-info --records zw.out 2>&1 | head -3)"

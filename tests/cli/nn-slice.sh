# nn-slice: row ranges of chunked tensors against NumPy slicing, pairing of
# x and y, pass-through of rank-0 records and other tensors, verbatim
# copies, compression, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }

# A data set in uneven chunks (x f32 (103,5), y i32 (103)), a scalar before
# and between them, and an unchunked w f64 (7,2); the same compressed.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
g = np.random.default_rng(5)
x = g.standard_normal((103, 5)).astype("<f4")
y = g.integers(0, 10, 103).astype("<i4")
w = g.standard_normal((7, 2))
for name, z, sizes in (("ds.nns", False, (10, 0, 25, 30, 38)), ("dsz.nns", True, (10, 0, 25, 30, 38)),
                       ("nz.nns", False, (10, 25, 30, 38)), ("nzz.nns", True, (10, 25, 30, 38))):
    out = record("epoch", np.array(3, "<i8"), "note=scalar\n", zstd=z)
    at, first = 0, True
    for k, n in enumerate(sizes):
        f = 0 if first else 2
        out += record("x", x[at:at + n], "source=craft\nunknown=kept\n" if first else "", flags=f, zstd=z and k % 2 == 0)
        out += record("y", y[at:at + n], "classes=10\n" if first else "", flags=f, zstd=z)
        if at == 10 and n == 25:
            out += record("w", w, "layer=1\n", zstd=z) + record("step", np.array(7.5, "<f8"))
        at += n; first = False
    open(name, "wb").write(out)
np.savez("ref.npz", x=x, y=y, w=w)
PY

# Many ranges, each checked against NumPy slicing of every tensor.
cat > ranges <<'EOF'
: :: 0:103 0: :103 5:17 9:11 10:35 10:36 9:35 35:65 64:66 ::3 1::7 7:90:13
2:100:11 ::25 ::102 ::103 100: 102: 103: 104: 200:300 50:40 0:0 17:17 0 9
10 102 103 5 ::1000 3::1000 0:1 1:2:1 :50:2 34:66:31 30:70:4 1:103:2
EOF
"$PY" - "$TOP" "$NN_BIN" <<'PY' && ok "many ranges equal NumPy slicing (raw and zstd)" || not_ok "ranges" "see above"
import sys, subprocess; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
ref = np.load("ref.npz")
bad = []
for f in ("ds.nns", "dsz.nns"):
    for rg in open("ranges").read().split():
        p = subprocess.run([sys.argv[2] + "/nn-slice", rg, f], capture_output=True)
        if p.returncode:
            bad.append((f, rg, p.stderr)); continue
        t = read(__import__("io").BytesIO(p.stdout))
        names = [n for n, _, _ in t]
        if names != ["epoch", "x", "y", "w", "step"]:
            bad.append((f, rg, names)); continue
        d = {n: (a, at) for n, a, at in t}
        if ":" in rg:
            parts = [int(v) if v else None for v in rg.split(":")]
            s = slice(*parts)
        else:
            s = slice(int(rg), int(rg) + 1)
        for n in "xyw":
            want = ref[n][s]
            if d[n][0].shape != want.shape or not np.array_equal(d[n][0], want):
                bad.append((f, rg, n, d[n][0].shape, want.shape))
        if d["epoch"][0].shape != () or d["epoch"][0] != 3 or d["step"][0] != 7.5 or d["epoch"][1] != {"note": "scalar"}:
            bad.append((f, rg, "scalars"))
        if d["x"][1] != {"source": "craft", "unknown": "kept"} or d["y"][1] != {"classes": "10"}:
            bad.append((f, rg, "attrs", d["x"][1]))
if bad:
    print(bad[:5]); sys.exit(1)
PY

# Whole records are copied byte for byte: ":" gives the input back, less
# its chunks of no rows.
nn-slice : nz.nns > all.nns
same "range : of a raw stream is the stream" nz.nns all.nns
nn-slice 0: < nzz.nns > allz.nns
same "range 0: of a compressed stream is the stream" nzz.nns allz.nns
nn-slice : ds.nns > all0.nns
same "chunks of no rows are left out" nz.nns all0.nns

# The record structure: every tensor's first record, then only chunks with
# rows; a chunk kept whole is the input's bytes; the CONT flags are right.
nn-slice 10:35 ds.nns > mid.nns
"$PY" - "$TOP" <<'PY' && ok "first records kept with 0 rows, whole chunks verbatim" || not_ok "record structure" "see above"
import sys, struct
def recs(b):
    out, at = [], 0
    while at < len(b):
        hlen, flags, plen = struct.unpack_from("<IIQ", b, at + 8)
        rank = b[at + 7]; nlen = struct.unpack_from("<H", b, at + 40)[0]
        dims = struct.unpack_from(f"<{rank}Q", b, at + 48)
        name = b[at + 48 + 8 * rank:at + 48 + 8 * rank + nlen].decode()
        out.append((name, dims, flags, b[at:at + hlen + plen])); at += hlen + plen
    return out
a, b = recs(open("ds.nns", "rb").read()), recs(open("mid.nns", "rb").read())
got = [(n, d[:1], f) for n, d, f, _ in b]
want = [("epoch", (), 0), ("x", (0,), 0), ("y", (0,), 0), ("x", (25,), 2), ("y", (25,), 2),
        ("w", (0,), 0), ("step", (), 0)]
assert got == want, got
assert b[3][3] == a[5][3] and b[4][3] == a[6][3], "chunk 10:35 not copied verbatim"
assert b[0][3] == a[0][3] and b[6][3] == a[8][3], "scalars not verbatim"
PY

# --tensors slices only some tensors; --head=N is :N.
nn-slice --tensors x --tensors 'e*' 0:4 ds.nns > named.nns
nn-slice :4 ds.nns > head.nns
nn-slice --head=4 ds.nns > head2.nns
same "--head=4 equals :4" head.nns head2.nns
"$PY" - "$TOP" <<'PY' && ok "--tensors restricts slicing; :N keeps N rows" || not_ok "--tensors / :N" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
r = np.load("ref.npz")
d = {n: a for n, a, _ in read(open("named.nns", "rb"))}
assert np.array_equal(d["x"], r["x"][:4]) and np.array_equal(d["y"], r["y"])
assert np.array_equal(d["w"], r["w"])
d = {n: a for n, a, _ in read(open("head.nns", "rb"))}
assert all(np.array_equal(d[n], r[n][:4]) for n in "xyw")
PY

# cat of two streams: the second x starts its rows again at 0.
cat ds.nns ds.nns | nn-slice 100:102 > twice.nns
"$PY" - "$TOP" <<'PY' && ok "a new tensor of the same name restarts the row count" || not_ok "cat restart" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
r = np.load("ref.npz")
t = read(open("twice.nns", "rb"))
xs = [a for n, a, _ in t if n == "x"]
assert len(xs) == 2 and all(np.array_equal(a, r["x"][100:102]) for a in xs), [a.shape for a in xs]
PY

# Compression: -z compresses what it writes, -d stores everything raw.
nn-slice -z 3:77:2 ds.nns > z.nns
nn-slice -d 3:77:2 dsz.nns > d.nns
nn-slice 3:77:2 ds.nns > plain.nns
nn-slice -z9 : nz.nns | nn-slice -d : > rt.nns
same "-z then -d round trip gives the raw stream" nz.nns rt.nns
same "-d on a compressed stream gives the raw slice" plain.nns d.nns
"$PY" - "$TOP" <<'PY' && ok "-z output is compressed and equal" || not_ok "-z" "see above"
import sys, struct; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
b = open("z.nns", "rb").read()
a = {n: v for n, v, _ in read(open("z.nns", "rb"))}
p = {n: v for n, v, _ in read(open("plain.nns", "rb"))}
assert all(np.array_equal(a[n], p[n]) for n in p)
assert len(b) < len(open("plain.nns", "rb").read())
PY

# Ancillary flags and unknown attributes survive, whole or sliced.
craft ancillary > anc.nns
nn-slice : anc.nns > anc.all
same "a record with an ancillary flag is copied verbatim" anc.nns anc.all
nn-slice 1:3 anc.nns > anc.part
"$PY" - <<'PY' && ok "a sliced record keeps its ancillary flag" || not_ok "ancillary" "see above"
import struct
b = open("anc.part", "rb").read()
assert struct.unpack_from("<I", b, 12)[0] == 1 << 20
assert struct.unpack_from("<Q", b, 48)[0] == 2
PY

# -o writes a file; an empty stream gives an empty stream.
check "-o FILE" nn-slice -o out.nns 5:9 ds.nns
nn-slice 5:9 ds.nns > out2.nns
same "-o FILE holds what stdout would" out.nns out2.nns
: > empty.nns
nn-slice 1:2 empty.nns > empty.out
check "empty stream gives an empty stream" test ! -s empty.out

# Bad input: one line, exit 1, empty stdout.
for kind in checksum version overflow wrap liar orphan flag dtype; do
    craft $kind > bad.nns
    fails_clean "corrupt stream ($kind)" "record 0" nn-slice 0:2 bad.nns
done
head -c 150 ds.nns > trunc.nns
fails_clean "truncated stream" "truncated" nn-slice 0:2 trunc.nns
head -c 2000 /dev/urandom > garbage.nns
fails_clean "garbage" "bad magic" nn-slice 0:2 garbage.nns
fails_clean "missing file" "nope.nns" nn-slice 0:2 nope.nns
# Output is held back (64 MiB): an error after a first record of 1.6 MB
# still leaves a pipe empty, not a record and a truncated stream.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
b = record("x", np.ones((100000, 4), "<f4")) + record("y", np.arange(100000, dtype="<i4"))
open("late.nns", "wb").write(b[:-1000])
PY
(nn-slice : late.nns 2>late.err; echo $? > late.rc) | wc -c > late.bytes
[ "$(cat late.rc)" = 1 ] && [ "$(cat late.bytes)" -eq 0 ] && grep -q truncated late.err &&
    ok "an error after 1.6 MB of output leaves a pipe empty (held)" ||
    not_ok "held output" "exit $(cat late.rc), $(cat late.bytes) bytes: $(cat late.err)"
craft checksum > bad.nns
nn-slice -o never.nns 0:2 bad.nns 2>/dev/null
check "no output file after a failure" test ! -e never.nns
for r in 1:2:0 a:b 1:2:3:4 -3: 1:x ''; do
    fails_usage "bad RANGE '$r'" "RANGE|option" nn-slice -- "$r" ds.nns
done
fails_usage "missing RANGE" "missing RANGE" nn-slice
fails_usage "bad --head" "invalid --head 'x': not a whole number" nn-slice --head x ds.nns
fails_usage "negative --head" "invalid --head '-1': not a whole number" nn-slice --head=-1 ds.nns
# the old spellings: -n is --name in the other tools, --name one tensor
fails_usage "-n N is gone (--head=N or :N)" "invalid option -n" nn-slice -n 4 ds.nns
fails_usage "--name is gone (--tensors)" "invalid option '--name" nn-slice --name x 0:4 ds.nns
fails_usage "bad zstd level" "invalid --zstd .*: must be from 1 to 22" nn-slice -z30 : ds.nns
fails_usage "extra operand" "extra operand" nn-slice : ds.nns ds.nns
check "--help" nn-slice --help
check "--version" nn-slice --version
nn-slice -V > version.txt && grep -q '^nn-slice (nn tools) ' version.txt &&
    ok "-V prints the version" || not_ok "-V" "$(cat version.txt)"

# Rows of width 0, gathered with a step (UBSan once caught a memcpy from
# NULL here).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
open("zw.nns", "wb").write(record("x", np.zeros((5, 0), "<f4")) + record("y", np.arange(5, dtype="<i4")))
PY
nn-slice 0:5:2 zw.nns > zw.out && nn-info -j zw.out > zw.json &&
"$PY" - <<'PY' && ok "a step over rows of width 0" || not_ok "a step over rows of width 0" "see above"
import json
t = {r["name"]: r for r in map(json.loads, open("zw.json"))}
assert t["x"]["shape"] == [3, 0] and t["y"]["shape"] == [3], t
PY

# A bad option in the middle of a cluster is named, not the program.
fails_usage "a bad option inside a cluster (-qd)" "invalid option -q$" nn-slice -qd 0:1
fails_usage "an argument to a long option that takes none" "'--decompress' takes no argument" nn-slice --decompress=3 0:1

# A decompression bomb (issue 10): x f32 (ROWS,16) of zeros in one zstd
# frame of RLE blocks (2 GiB in 64 KiB for 2^25 rows), then y i32 (3).
# Records are read in pieces: peak memory stays a few MB (checked without
# ASan, whose own memory would hide it).
bomb $((1 << 25)) bomb.nns
bounded "nn-slice 0:10 of a 2 GiB zstd bomb" b10.nns nn-slice 0:10 bomb.nns
bounded "its last rows (the frame decoded to its end)" blast.nns nn-slice -d 33554430: bomb.nns
"$PY" - "$TOP" <<'PY' && ok "the rows of the bomb asked for" || not_ok "rows of the bomb" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
from nns_read import read
t = {n: a for n, a, _ in read(open("b10.nns", "rb"))}
assert t["x"].shape == (10, 16) and not t["x"].any() and list(t["y"]) == [0, 1, 2], t
t = {n: a for n, a, _ in read(open("blast.nns", "rb"))}
assert t["x"].shape == (2, 16) and not t["x"].any() and t["y"].shape == (0,), t
PY
bounded "every other row of the bomb, recompressed" bhalf.nns nn-slice -z ::2 bomb.nns
shapes bhalf.nns > bhalf.txt
printf 'x 16777216,16 1024\ny 2 1\n' > want.txt
same "... as chunks of near 1 MiB (16384 rows)" want.txt bhalf.txt

# Rows of a record over 16 MiB written anew go out as chunks of near 1 MiB
# (16384 rows of 64 bytes); up to 16 MiB, as one record.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
x = np.arange(300000 * 16, dtype="<f4").reshape(300000, 16)  # 19.2 MB
open("big.nns", "wb").write(record("x", x, "k=v\n", zstd=True) + record("x", x[:1000], flags=2))
PY
nn-slice 5::3 big.nns > big3.nns && nn-slice -d 100:300500 big.nns > bigd.nns &&
"$PY" - "$TOP" <<'PY' && ok "a record over 16 MiB written anew: chunks of 16384 rows, those of NumPy slicing" || not_ok "chunks of a record over 16 MiB" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read, records
x = np.arange(300000 * 16, dtype="<f4").reshape(300000, 16)
x = np.concatenate([x, x[:1000]])
for f, s, n in (("big3.nns", slice(5, None, 3), [len(range(5, 300000, 3)), 333]),
                ("bigd.nns", slice(100, 300500), [16384] * 18 + [4988, 500])):
    (name, a, attrs), = read(open(f, "rb"))
    assert name == "x" and attrs == {"k": "v"} and np.array_equal(a, x[s]), (f, a.shape)
    got = [(len(a), cont, at) for _, a, at, cont in records(open(f, "rb"))]
    assert got == [(k, i > 0, {"k": "v"} if i == 0 else {}) for i, k in enumerate(n)], (f, got[:3])
PY
fails_usage "a bad option inside a cluster after a long option" "invalid option -Z$" nn-slice --tensors=x -Zd 0:1

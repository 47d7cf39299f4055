# nn-pick: globs, --invert, rename (payload kept), --nth on a cat of two
# streams, verbatim copies, and bad input.  nn-pick reads stdin only: its
# operands are patterns.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }

# x and y in chunks (y compressed), a scalar, and tensors x.mean, w1, w2.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
g = np.random.default_rng(9)
x = g.standard_normal((20, 3)).astype("<f4"); y = g.integers(0, 5, 20).astype("<u1")
out = record("epoch", np.array(4, "<i8"))
out += record("x", x[:8], "source=craft\n", flags=1 << 17) + record("y", y[:8], "classes=5\n", zstd=True)
out += record("x.mean", x.mean(0), "stat=mean\n")
out += record("x", x[8:], flags=2) + record("y", y[8:], flags=2, zstd=True)
out += record("w1", np.ones((2, 2))) + record("w2", np.zeros(3, "<i2"))
open("s.nns", "wb").write(out)
np.savez("ref.npz", x=x, y=y)
PY
names() { # the tensors of a stream (records without CONT), read with struct
    "$PY" -S -c "
import sys, struct
b, at, out = open(sys.argv[1], 'rb').read(), 0, []
while at < len(b):
    rank, (hlen, flags, plen) = b[at + 7], struct.unpack_from('<IIQ', b, at + 8)
    n = struct.unpack_from('<H', b, at + 40)[0]
    if not flags & 2: out.append(b[at + 48 + 8 * rank:at + 48 + 8 * rank + n].decode())
    at += hlen + plen
print(' '.join(out))" "$1"; }
picks() { # WANT ARGS...: the names of the tensors nn-pick ARGS keeps
    want=$1; shift
    if nn-pick "$@" < s.nns > p.nns 2>p.err && [ "$(names p.nns)" = "$want" ]
    then ok "nn-pick $* keeps: $want"
    else not_ok "nn-pick $*" "got '$(names p.nns 2>&1)' $(cat p.err)"; fi
}
picks "x y x.mean" 'x*' y
picks "x y" x y
picks "x" '[x]'
picks "x y" '?'
picks "w1 w2" 'w[0-9]'
picks "epoch x y x.mean w1 w2" '*'
picks "" nothing
picks "epoch x.mean w1 w2" --invert x y
picks "epoch x y" --invert '*.*' 'w*'
picks "x.mean" --nth 1 'x*'
picks "epoch x y w1 w2" --invert --nth=1 'x*'
picks "w2" --nth 5 '*'
picks "" --nth 6 '*'
picks "x" x s.nns
picks "epoch data labels x.mean w1 w2" -r x=data -r y=labels
picks "data" -r x=data x
picks "x2" -r x.mean=x2 -r x.mean=x2 '*.mean'

nn-pick '*' < s.nns > all.nns
same "'*' copies the stream byte for byte" s.nns all.nns
nn-pick -o out.nns x y < s.nns
nn-pick x y < s.nns > out2.nns
same "-o FILE equals stdout" out.nns out2.nns

# Renamed records: new headers, the same payload bytes, the same arrays,
# attributes and the ancillary flag kept.
nn-pick -r x=data -r y=lab x y < s.nns > ren.nns
"$PY" - "$TOP" <<'PY' && ok "rename rewrites headers, keeps payloads, attrs and flags" || not_ok "rename" "see above"
import sys, struct; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def recs(b):
    out, at = [], 0
    while at < len(b):
        hlen, flags, plen = struct.unpack_from("<IIQ", b, at + 8)
        out.append((flags, b[at + hlen:at + hlen + plen])); at += hlen + plen
    return out
a, b = recs(open("s.nns", "rb").read()), recs(open("ren.nns", "rb").read())
assert [p for _, p in b] == [a[i][1] for i in (1, 2, 4, 5)], "payloads differ"
assert [f for f, _ in b] == [1 << 17, 1, 2, 3], [f for f, _ in b]
t = read(open("ren.nns", "rb")); r = np.load("ref.npz")
assert [(n, at) for n, _, at in t] == [("data", {"source": "craft"}), ("lab", {"classes": "5"})]
assert np.array_equal(t[0][1], r["x"]) and np.array_equal(t[1][1], r["y"])
PY

# --nth on `cat a b`: the second tensor of each name.
cat s.nns s.nns > two.nns
craft dataset > ds.nns
cat ds.nns s.nns | nn-pick --nth 1 x > second.nns
nn-pick x < s.nns > first.nns
same "--nth 1 picks the x of the second stream" first.nns second.nns

# -z and -d recompress every record; content unchanged.
nn-pick -z '*' < s.nns > z.nns
nn-pick -d '*' < z.nns > rt.nns
"$PY" - "$TOP" <<'PY' && ok "-z compresses, -d decompresses, every tensor kept" || not_ok "-z/-d" "see above"
import sys, struct; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def zflags(f):
    b, out, at = open(f, "rb").read(), [], 0
    while at < len(b):
        hlen, flags, plen = struct.unpack_from("<IIQ", b, at + 8)
        out.append(flags & 1); at += hlen + plen
    return out
assert zflags("s.nns") == [0, 0, 1, 0, 0, 1, 0, 0], zflags("s.nns")
assert zflags("z.nns")[6] == 1, zflags("z.nns")      # w1, stored raw before
assert zflags("rt.nns") == [0] * 8, zflags("rt.nns")
a, b = read(open("s.nns", "rb")), read(open("rt.nns", "rb"))
assert [(n, at) for n, _, at in a] == [(n, at) for n, _, at in b]
assert all(np.array_equal(p[1], q[1]) and p[1].dtype == q[1].dtype for p, q in zip(a, b))
PY

# A rename that would give chunks to the wrong tensor is refused.
fails_clean "rename mixing chunks" "mixes its chunks" nn-pick -r x=y x y < s.nns
nn-pick -o never.nns -r x=y x y < s.nns 2>/dev/null
check "no output file after a failure" test ! -e never.nns

for kind in checksum version overflow liar orphan flag dtype; do
    craft $kind > bad.nns
    fails_clean "corrupt stream ($kind)" "record 0" nn-pick x < bad.nns
done
head -c 100 s.nns > trunc.nns
fails_clean "truncated stream" "truncated" nn-pick x < trunc.nns
head -c 500 /dev/urandom > garbage.nns
fails_clean "garbage" "bad magic" nn-pick x < garbage.nns
fails_usage "no PATTERN" "missing PATTERN" nn-pick
for r in x =y x= x=a=b; do
    fails_usage "bad rename '$r'" "invalid --rename" nn-pick -r "$r" x
done
fails_usage "bad --nth" "invalid --nth '-1': not a whole number" nn-pick --nth -1 x
fails_usage "bad --nth (not a number)" "invalid --nth 'one': not a whole number" nn-pick --nth=one x
# the old spellings: -v is --verbose elsewhere, -i FILE is stdin now
fails_usage "-v is gone (--invert)" "invalid option -v" nn-pick -v x
fails_usage "-i FILE is gone (stdin)" "invalid option -i" nn-pick -i s.nns x
fails_usage "--input is gone (stdin)" "invalid option '--input" nn-pick --input=s.nns x
fails_usage "--index is gone (--nth)" "invalid option '--index" nn-pick --index 1 x
check "--help" nn-pick --help
check "--version" nn-pick --version
nn-pick -V > version.txt && grep -q '^nn-pick (nn tools) ' version.txt &&
    ok "-V prints the version" || not_ok "-V" "$(cat version.txt)"

# Output is held back (64 MiB): a rename mixing chunks found after 1.6 MB
# of output still leaves a pipe empty.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
x = np.ones((100000, 4), "<f4")
open("mix.nns", "wb").write(record("x", x) + record("y", x[:2]) + record("x", x[:2], flags=2))
PY
(nn-pick -r x=y x y < mix.nns 2>mix.err; echo $? > mix.rc) | wc -c > mix.bytes
[ "$(cat mix.rc)" = 1 ] && [ "$(cat mix.bytes)" -eq 0 ] && grep -q "mixes its chunks" mix.err &&
    ok "an error after 1.6 MB of output leaves a pipe empty (held)" ||
    not_ok "held output" "exit $(cat mix.rc), $(cat mix.bytes) bytes: $(cat mix.err)"

# A decompression bomb (issue 10): x f32 (ROWS,16) of zeros in one zstd
# frame of RLE blocks (2 GiB in 64 KiB for 2^25 rows), then y i32 (3).
# Records are read in pieces: peak memory stays a few MB (checked without
# ASan, whose own memory would hide it).
bomb $((1 << 25)) bomb.nns
bounded "nn-pick -z of a 2 GiB zstd bomb" bz.nns sh -c 'nn-pick -z x < bomb.nns'
shapes bz.nns > bz.txt
printf 'x 33554432,16 2048\n' > want.txt
same "... recompressed as chunks of near 1 MiB (16384 rows)" want.txt bz.txt
bounded "nn-pick of the bomb (copied, never decoded)" bx.nns sh -c 'nn-pick x < bomb.nns'
nn-pick y < bomb.nns > by.nns
cat bx.nns by.nns > bxy.nns
same "... byte for byte" bomb.nns bxy.nns

# nn-kfilter: cases worked by hand (a row whose neighbours all share its
# class is dropped, one with a foreign neighbour kept, ties to the lower
# row), random rows with duplicates and ties against a brute-force NumPy
# search, blocks (a stream filtered with --batch = each block filtered on
# its own), --index/--dropped/--cap/--by-loss, the statistics, bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
export TOP

check "--help" nn-kfilter --help
check "--version" nn-kfilter --version
nn-kfilter -V > version.txt && grep -q '^nn-kfilter (nn tools) ' version.txt &&
    ok "-V prints the version" || not_ok "-V" "$(cat version.txt)"

"$PY" - <<'PY' || not_ok "crafting the test streams" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record

def write(path, *recs):
    with open(path, "wb") as f:
        for r in recs:
            f.write(r)

def chunked(tensors, size):
    """Tensors (name, array, attrs) as interleaved chunks of size rows."""
    out, m = [], len(tensors[0][1])
    for i in range(0, max(m, 1), size):
        for name, a, attrs in tensors:
            out.append(record(name, a[i:i + size], attrs if i == 0 else "", flags=2 if i else 0))
    return out

# by hand: two classes on a grid, k = 3
#   c0: 0 (0,0)  1 (1,0)  2 (0,1)  3 (1,1)     c1: 4 (2,1)  5 (3,1)  6 (3,0)  7 (4,1)
# row 3 has (2,1) among its three nearest: kept; so is row 4; row 1's third
# neighbour is a tie at distance^2 2 between row 2 (c0) and row 4 (c1):
# the lower row wins, so row 1 is dropped.  In the second order the c1
# point (2,1) is row 2, before (0,1): the tie goes to it and (1,0), still
# row 1, is kept (with (2,1) and (1,1), now rows 2 and 4).
pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [3, 1], [3, 0], [4, 1]], "<f4")
cls = np.array([0, 0, 0, 0, 1, 1, 1, 1], "<i4")
write("hand.nns", record("x", pts, "source=hand\n"), record("y", cls, "classes=2\n"))
write("hand1h.nns", record("x", pts), record("y", np.eye(2, dtype="<f4")[cls]))
o = [0, 1, 4, 2, 3, 5, 6, 7]
write("hand2.nns", record("x", pts[o]), record("y", cls[o]))

# random rows: 150 normal, 90 on a small lattice (duplicates and ties),
# 3 classes; a weight per row and a rank-0 record that passes through
g = np.random.default_rng(3)
x = np.concatenate([g.standard_normal((150, 4)), g.integers(0, 3, (90, 4))]).astype("<f4")
x = x[g.permutation(len(x))]
y = g.integers(0, 3, len(x)).astype("u1")
d = g.random(len(x)).astype("<f4")
write("rand.nns", record("note", np.array(7.0)),
      *chunked([("x", x, "image=2x2\n"), ("y", y, "classes=3\n"), ("d", d, "")], 50))
np.save("rand_x.npy", x); np.save("rand_y.npy", y); np.save("rand_d.npy", d)
# more rows than a tile of the search (2048)
x2 = np.concatenate([g.standard_normal((2000, 3)), g.integers(0, 4, (200, 3))]).astype("<f8")
y2 = g.integers(0, 2, len(x2)).astype("<i8")
write("big.nns", *chunked([("x", x2, ""), ("y", y2, "classes=2\n")], 700))
np.save("big_x.npy", x2); np.save("big_y.npy", y2)
# two representations (as nn-forward --all writes them) and labels
z1 = g.standard_normal((120, 6)).astype("<f4")
z2 = (z1[:, :2] * 3 + np.array([[1, 0]]) * (np.arange(120) % 2)[:, None] * 4).astype("<f4")
yz = (np.arange(120) % 2).astype("u1")
write("z.nns", *chunked([("z1", z1, ""), ("z2", z2, ""), ("y", yz, "classes=2\n")], 40))
np.save("z1.npy", z1); np.save("z2.npy", z2); np.save("yz.npy", yz)
# losses and predictions
loss = np.array([5, 1, 3, 1, 2, 9, 0, 4, 1, 7], "<f4")
pred = g.random((10, 3)).astype("<f4")
yl = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], "<i4")
write("loss.nns", *chunked([("x", np.arange(20, dtype="<f4").reshape(10, 2), ""),
                            ("y", yl, ""), ("l", loss, ""), ("p", pred, "")], 4))
np.save("pred.npy", pred); np.save("yl.npy", yl)

# bad input
write("nolabels.nns", record("x", x))
write("short.nns", record("x", x[:10]), record("y", y[:9]))
xn = x[:20].copy(); xn[13, 2] = np.nan
write("nan.nns", record("note", np.array(1.0)), record("x", xn), record("y", y[:20]))
write("frac.nns", record("x", x[:10]), record("y", np.linspace(0, 1, 10).astype("<f4")))
write("neg.nns", record("x", x[:10]), record("y", -np.ones(10, "<i4")))
write("tiny.nns", record("x", x[:4]), record("y", y[:4]))
write("wide.nns", record("x", x[:10]), record("y", y[:10]), record("l", np.ones((10, 2), "<f4")))
PY

# The brute-force reference: distances summed over the columns in order in
# double precision, each row's k nearest by (distance, row), redundant when
# all carry its class; blocks of B rows searched on their own.
cat > ref.py <<'PY'
import numpy as np
def knn(x, k):
    x = x.astype(np.float64)
    D = np.zeros((len(x), len(x)))
    for c in range(x.shape[1]):
        D += (x[:, None, c] - x[None, :, c]) ** 2
    out = []
    for i in range(len(x)):
        o = [j for j in np.lexsort((np.arange(len(x)), D[i])) if j != i]
        out.append(o[:k])
    return np.array(out, int), D
def redundant(x, y, k, batch=0):
    drop = np.zeros(len(x), bool)
    b = batch or len(x)
    for s in range(0, len(x), b):
        xs, ys = x[s:s + b], y[s:s + b]
        if len(xs) <= k:
            continue
        nb, _ = knn(xs, k)
        drop[s:s + b] = (ys[nb] == ys[:, None]).all(1)
    return drop
PY

# --- by hand
nn-kfilter -k 3 -i hand.nns > idx.nns && nn-export -f csv idx.nns > idx.csv
[ "$(tr '\n' ' ' < idx.csv)" = "3 4 " ] && ok "by hand: rows 3 and 4 have a foreign neighbour, the rest are dropped" ||
    not_ok "by hand" "kept $(tr '\n' ' ' < idx.csv)"
nn-kfilter -k 3 -i hand2.nns | nn-export -f csv > idx2.csv
[ "$(tr '\n' ' ' < idx2.csv)" = "1 2 4 " ] && ok "by hand: a tie at the k-th neighbour goes to the lower row" ||
    not_ok "ties by row" "kept $(tr '\n' ' ' < idx2.csv)"
nn-kfilter -k 3 -i hand1h.nns | nn-export -f csv > idx3.csv
same "one-hot labels: the same rows" idx.csv idx3.csv
nn-kfilter -k 3 -i --dropped hand.nns | nn-export -f csv > drop.csv
[ "$(tr '\n' ' ' < drop.csv)" = "0 1 2 5 6 7 " ] && ok "--dropped -i: the other rows" ||
    not_ok "--dropped" "$(tr '\n' ' ' < drop.csv)"
# --cap 0.5: at most 4 of 8; of the redundant rows, by the 3rd neighbour's
# distance^2: row 5 (1), then rows 0, 1, 2 (2; row 6 also 2 loses the tie)
nn-kfilter -k 3 --cap 0.5 -i hand.nns | nn-export -f csv > cap.csv
[ "$(tr '\n' ' ' < cap.csv)" = "3 4 6 7 " ] && ok "--cap 0.5: the four with the nearest 3rd neighbour dropped" ||
    not_ok "--cap" "$(tr '\n' ' ' < cap.csv)"
nn-kfilter -k 3 --cap 1 -i hand.nns | nn-export -f csv > cap1.csv
same "--cap 1 changes nothing" idx.csv cap1.csv
nn-kfilter -k 3 --cap 0 -i hand.nns | nn-export -f csv > cap0.csv
[ "$(wc -l < cap0.csv)" -eq 8 ] && ok "--cap 0 keeps every row" || not_ok "--cap 0" "$(wc -l < cap0.csv) rows"
nn-kfilter -k 3 hand.nns > kept.nns
"$PY" - <<'PY' && ok "rows written: x and y of rows 3 and 4, attributes kept" || not_ok "kept rows" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
t = {n: (a, at) for n, a, at in read(open("kept.nns", "rb"))}
assert sorted(t) == ["x", "y"], sorted(t)
assert t["x"][0].tolist() == [[1, 1], [2, 1]] and t["y"][0].tolist() == [0, 1], t
assert t["x"][1].get("source") == "hand" and t["y"][1].get("classes") == "2", t
PY
nn-kfilter -k 3 --report-only hand.nns > st.nns
"$PY" - <<'PY' && ok "--report-only: kredundancy (1+C, 3): rows, dropped, percent" || not_ok "statistics" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
(n, a, at), = read(open("st.nns", "rb"))
assert n == "kredundancy" and a.dtype == "<f8" and a.shape == (3, 3), (n, a.shape)
assert a.tolist() == [[8, 6, 75], [4, 3, 75], [4, 3, 75]], a.tolist()
assert at["k"] == "3" and at["batch"] == "all" and at["method"] == "knn" and at["classes"] == "2", at
PY
nn-kfilter -k 3 -v hand.nns 2>msg.txt >/dev/null
grep -q "^nn-kfilter: k=3 batch=all: dropped 6 of 8 rows (75.00%); by class 0:75.00% 1:75.00%$" msg.txt &&
    ok "-v: one line on stderr" || not_ok "-v" "$(cat msg.txt)"

# --- random rows against the brute-force reference
for k in 1 5 12; do
    nn-kfilter -k $k rand.nns > r$k.nns
    nn-kfilter -k $k -b 64 --report rand.nns > rb$k.nns
done
"$PY" - <<'PY' && ok "random rows with duplicates and ties: kept rows = brute force (k 1, 5, 12; whole set and blocks of 64)" || not_ok "random rows" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
from ref import redundant
x, y, d = np.load("rand_x.npy"), np.load("rand_y.npy"), np.load("rand_d.npy")
for k in (1, 5, 12):
    for f, b in ((f"r{k}.nns", 0), (f"rb{k}.nns", 64)):
        keep = ~redundant(x, y, k, b)
        recs = read(open(f, "rb"))
        names = [n for n, _, _ in recs]
        assert names[0] == "note" and names[1:4] == ["x", "y", "d"], names
        t = {n: a for n, a, _ in recs}
        assert (t["x"] == x[keep]).all() and (t["y"] == y[keep]).all() and (t["d"] == d[keep]).all(), (f, len(t["x"]), keep.sum())
        assert t["note"] == 7
        if b:
            r = t["kredundancy"]
            assert r[0].tolist() == [240, (~keep).sum(), 100 * (~keep).sum() / 240], r[0]
            for c in range(3):
                assert r[1 + c, :2].tolist() == [(y == c).sum(), ((~keep) & (y == c)).sum()], (c, r)
PY
nn-kfilter -k 7 big.nns > big7.nns
"$PY" - <<'PY' && ok "2200 rows (two tiles of the search), f64, k=7: = brute force" || not_ok "two tiles" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
from ref import redundant
x, y = np.load("big_x.npy"), np.load("big_y.npy")
keep = ~redundant(x, y, 7)
t = {n: a for n, a, _ in read(open("big7.nns", "rb"))}
assert (t["x"] == x[keep]).all() and (t["y"] == y[keep]).all(), (len(t["x"]), keep.sum())
PY

# --- blocks: the stream filtered with --batch 64 = each block on its own
for s in 0 64 128 192; do
    nn-slice $s:$((s + 64)) rand.nns | nn-kfilter -k 5 > part$s.nns
done
nn-cat part0.nns part64.nns part128.nns part192.nns > joined.nns
nn-kfilter -k 5 -b 64 rand.nns > batch.nns
"$PY" - <<'PY' && ok "--batch 64 = blocks sliced, filtered on their own and joined" || not_ok "blocks" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
a = {n: v for n, v, _ in read(open("joined.nns", "rb")) if n != "note"}
b = {n: v for n, v, _ in read(open("batch.nns", "rb")) if n != "note"}
assert sorted(a) == sorted(b) == ["d", "x", "y"], (sorted(a), sorted(b))
for n in a:
    assert (a[n] == b[n]).all(), n
PY
cat rand.nns | nn-kfilter -k 5 -b 64 | cmp -s - batch.nns && ok "a pipe gives the same bytes as a file" ||
    not_ok "pipe" "differs"
nn-kfilter -k 5 -b 64 -i rand.nns | nn-export -f csv > bi.csv
"$PY" - <<'PY' && ok "-i with blocks: row numbers over the whole stream" || not_ok "-i blocks" "see above"
import numpy as np
from ref import redundant
keep = np.flatnonzero(~redundant(np.load("rand_x.npy"), np.load("rand_y.npy"), 5, 64))
got = np.loadtxt("bi.csv", dtype=int)
assert (got == keep).all(), (got, keep)
PY
nn-kfilter -k 5 -b 100 rand.nns -i | nn-export -f csv > short_last.csv
"$PY" - <<'PY' && ok "a last block of at most k rows is kept whole (240 = 100 + 100 + 40, k 5 < 40)" || not_ok "last block" "see above"
import numpy as np
from ref import redundant
keep = np.flatnonzero(~redundant(np.load("rand_x.npy"), np.load("rand_y.npy"), 5, 100))
assert (np.loadtxt("short_last.csv", dtype=int) == keep).all()
PY
nn-kfilter -k 5 -b 238 -i rand.nns | nn-export -f csv > last2.csv
"$PY" - <<'PY' && ok "a last block of 2 rows (k 5) is kept whole" || not_ok "short last block" "see above"
import numpy as np
from ref import redundant
keep = np.flatnonzero(~redundant(np.load("rand_x.npy"), np.load("rand_y.npy"), 5, 238))
got = np.loadtxt("last2.csv", dtype=int)
assert (got == keep).all() and 238 in got and 239 in got, got
PY
nn-kfilter -k 5 --dropped rand.nns > dr.nns
nn-kfilter -k 5 rand.nns > kp.nns
"$PY" - <<'PY' && ok "--dropped and the kept rows partition the set" || not_ok "partition" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
a = {n: v for n, v, _ in read(open("kp.nns", "rb"))}
b = {n: v for n, v, _ in read(open("dr.nns", "rb"))}
assert len(a["x"]) + len(b["x"]) == 240
both = np.concatenate([a["d"], b["d"]])
assert sorted(both.tolist()) == sorted(np.load("rand_d.npy").tolist())
PY
nn-kfilter -k 5 --tensors y rand.nns > onlyxy.nns
nn-info -j onlyxy.nns | grep -q '"name":"d","dtype":"f32","shape":\[240\]' &&
    ok "--tensors y: d is copied whole, only x and y are filtered" || not_ok "--tensors" "$(nn-info onlyxy.nns)"
nn-kfilter -k 5 -z -o z.out --report-file rep.nns rand.nns && nn-info --records z.out | grep -q zstd &&
    "$PY" -c "
import sys; sys.path.insert(0, '$TOP/examples'); from nns_read import read
a = {n: v for n, v, _ in read(open('z.out', 'rb'))}; b = {n: v for n, v, _ in read(open('kp.nns', 'rb'))}
assert all((a[n] == b[n]).all() for n in b)
(n, r, at), = read(open('rep.nns', 'rb')); assert n == 'kredundancy' and r[0, 0] == 240
" && ok "-z -o FILE --report-file REPORT: compressed rows, the statistics in their own file" || not_ok "-z -o --report-file" "see above"

# --- the k-redundancy of representations
nn-kfilter --report-only -n z1 -k 4 z.nns > s1.nns
nn-kfilter --report-only -n z2 -k 4 -b 60 z.nns > s2.nns
"$PY" - <<'PY' && ok "--report-only -n z1, -n z2 -b 60: percentages = brute force" || not_ok "representations" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
from ref import redundant
y = np.load("yz.npy")
for f, z, b in (("s1.nns", "z1", 0), ("s2.nns", "z2", 60)):
    (n, r, at), = read(open(f, "rb"))
    drop = redundant(np.load(z + ".npy"), y, 4, b)
    assert r[0, 2] == 100 * drop.mean() and at["tensor"] == z, (f, r[0], drop.mean())
    assert r[1, 1] == (drop & (y == 0)).sum() and r[2, 1] == (drop & (y == 1)).sum()
s1 = read(open("s1.nns", "rb"))[0][1][0, 2]; s2 = read(open("s2.nns", "rb"))[0][1][0, 2]
assert s2 > s1, (s1, s2)   # z2 separates the classes, z1 is noise
PY

# --- loss filtering
nn-kfilter --by-loss 0.3 --loss l -i loss.nns | nn-export -f csv > l.csv
[ "$(tr '\n' ' ' < l.csv)" = "0 2 4 5 7 8 9 " ] && ok "--by-loss 0.3 --loss: the 3 lowest dropped, ties to the lower row" ||
    not_ok "--by-loss" "$(tr '\n' ' ' < l.csv)"
nn-kfilter --by-loss 0.5 --pred p -b 4 -i loss.nns | nn-export -f csv > p.csv
"$PY" - <<'PY' && ok "--by-loss 0.5 --pred -b 4: squared error against one-hot labels, per block" || not_ok "--pred" "see above"
import numpy as np
p, y = np.load("pred.npy").astype(float), np.load("yl.npy")
l = ((p - np.eye(3)[y]) ** 2).sum(1)
keep = []
for s in range(0, 10, 4):
    b = np.arange(s, min(s + 4, 10))
    o = b[np.lexsort((b, l[b]))]
    keep += sorted(o[int(len(b) * 0.5):].tolist())
assert np.loadtxt("p.csv", dtype=int).tolist() == keep, (np.loadtxt("p.csv"), keep)
PY
nn-kfilter --by-loss 0.3 --loss l --report loss.nns > lr.nns
nn-info -j lr.nns | grep '"name":"kredundancy"' | grep -q '"method":"loss"' &&
    ok "--by-loss --report: method=loss" || not_ok "loss report" "$(nn-info lr.nns)"

# --- bad input
fails_usage "k >= the block size" "blocks of more than" nn-kfilter -k 5 -b 5 rand.nns
fails_usage "-k 0" "invalid --neighbours '0': must be from 1 to" nn-kfilter -k 0 rand.nns
fails_usage "-b x" "invalid --batch 'x': not a whole number" nn-kfilter -b x rand.nns
fails_usage "--cap out of range" "invalid --cap '1.5': must be from 0 to 1" nn-kfilter --cap 1.5 rand.nns
fails_usage "--by-loss not a number" "invalid --by-loss 'a': not a number" nn-kfilter --by-loss a --loss l rand.nns
fails_usage "an empty tensor name" "invalid --labels '': not a tensor name" nn-kfilter -y '' rand.nns
fails_usage "--by-loss without a loss" "one of --loss" nn-kfilter --by-loss 0.2 rand.nns
fails_usage "--loss without --by-loss" "go with --by-loss" nn-kfilter --loss l rand.nns
fails_usage "-k with --by-loss" "no -k" nn-kfilter --by-loss 0.2 --loss l -k 3 rand.nns
fails_usage "--report-only with -i" "--report-only writes only the statistics: no -i" nn-kfilter --report-only -i rand.nns
fails_usage "--report-file on stdout" "--report-file needs a file of its own" nn-kfilter --report-file - rand.nns
# the old spellings: -s is --seed, -t --dtype elsewhere; -r is nn-pick's
fails_usage "-s is gone (--report-only)" "invalid option -s" nn-kfilter -s rand.nns
fails_usage "--stats is gone (--report-only)" "invalid option '--stats" nn-kfilter --stats rand.nns
fails_usage "-t is gone (--tensors)" "invalid option -t" nn-kfilter -t y rand.nns
fails_usage "-r is gone (--report-file)" "invalid option -r" nn-kfilter -r rep9.nns rand.nns
fails_clean "a whole set of k rows" "4 rows: k=4 needs more" nn-kfilter -k 4 tiny.nns
fails_clean "no labels" "no tensor named 'y'" nn-kfilter nolabels.nns
fails_clean "rows that do not match" "ends after 9 rows" nn-kfilter -k 2 short.nns
fails_clean "NaN in x, after a record that would pass through" "row 13, column 2 of 'x': nan is not finite" nn-kfilter -k 2 nan.nns
fails_clean "fractional labels" "not a class number" nn-kfilter -k 2 frac.nns
fails_clean "negative labels" "not a class number" nn-kfilter -k 2 neg.nns
fails_clean "losses of two columns" "not one" nn-kfilter --by-loss 0.5 --loss l wide.nns
fails_clean "a missing loss tensor" "no tensor named 'l'" nn-kfilter --by-loss 0.5 --loss l hand.nns
head -c 700 rand.nns > trunc.nns
fails_clean "a truncated stream" "truncated" nn-kfilter -k 2 trunc.nns
"$PY" "$TOP/tests/nns_craft.py" checksum > bad.nns
fails_clean "a corrupt record" "checksum" nn-kfilter bad.nns
printf 'garbage, not a stream at all, long enough for a header......' > garbage.nns
fails_clean "garbage" "magic" nn-kfilter garbage.nns
fails_clean "garbage on stdin" "magic" nn-kfilter < garbage.nns
nn-kfilter -k 2 -o out.nns nan.nns 2>/dev/null
[ ! -e out.nns ] && ok "-o: no file left on failure" || not_ok "-o on failure" "out.nns exists"
# Records copied through before the first block are held back (64 MiB):
# 1.6 MB of them, then NaN in the first block, leave a pipe empty.
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
x = np.load("rand_x.npy")[:20].copy(); x[13, 2] = np.nan
open("nanlate.nns", "wb").write(record("w", np.ones((100000, 4), "<f4")) + record("x", x) +
                                record("y", np.load("rand_y.npy")[:20]))
PY
(nn-kfilter -k 2 --tensors y nanlate.nns 2>held.err; echo $? > held.rc) | wc -c > held.bytes
[ "$(cat held.rc)" = 1 ] && [ "$(cat held.bytes)" -eq 0 ] && grep -q "nan is not finite" held.err &&
    ok "an error in the first block after 1.6 MB copied through leaves a pipe empty (held)" ||
    not_ok "held output" "exit $(cat held.rc), $(cat held.bytes) bytes: $(cat held.err)"

# --- the man page's examples run
nn-kfilter -k 3 -i hand.nns | nn-export -f csv > /dev/null && ok "man: -i | nn-export -f csv" || not_ok "man example" "-i"
nn-init --seed 1 2-3-2 > net.nns
nn-forward --all net.nns hand.nns > zz.nns
for l in 1 2; do nn-kfilter --report-only -n z$l -k 3 zz.nns | nn-export -f csv | head -1; done > layers.csv
[ "$(wc -l < layers.csv)" -eq 2 ] && grep -q '^8,' layers.csv && ok "man: the k-redundancy of each layer" ||
    not_ok "man: layers" "$(cat layers.csv)"
nn-forward --all net.nns hand.nns | nn-kfilter --by-loss 0.25 --pred z2 -b 4 --tensors z0 |
    nn-pick -r z0=x z0 y > hard.nns
nn-info -j hard.nns | grep -q '"name":"x","dtype":"f32","shape":\[6,2\]' &&
    ok "man: loss filtering of a network's inputs, 1 of each 4 rows dropped" || not_ok "man: loss" "$(nn-info hard.nns)"

# --- hostile input: attributes that size the work, outputs all or none (issue 10)
"$PY" - <<'PY' || not_ok "crafting the hostile streams" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [3, 1], [3, 0], [4, 1]], "<f4")
cls = np.array([0, 0, 0, 0, 1, 1, 1, 1], "<i4")
for n, v in (("c0", "0"), ("cten", "ten"), ("c65537", "65537"), ("c5m", "5000000"),
             ("c1000", "1000"), ("c65536", "65536")):
    open(n + ".nns", "wb").write(record("x", pts) + record("y", cls, "classes=%s\n" % v))
open("over.nns", "wb").write(record("x", pts) + record("y", cls + 1, "classes=2\n"))
open("wide1h.nns", "wb").write(record("x", pts[:3]) + record("y", np.eye(3, 70000, dtype="<f4")))
open("wide1h0.nns", "wb").write(record("x", pts[:0]) + record("y", np.zeros((0, 70000), "u1")))
g = np.random.default_rng(4)
x = g.standard_normal((600, 3)).astype("<f4")
open("many.nns", "wb").write(record("x", x) + record("y", (np.arange(600) % 150).astype("<u2")))
PY
fails_clean "classes=0 on the labels" "c0.nns: the labels 'y' have classes=0: not a number of classes from 1 to 65536" nn-kfilter -k 3 c0.nns
fails_clean "classes=ten on the labels" "the labels 'y' have classes=ten" nn-kfilter -k 3 --report-only cten.nns
fails_clean "classes=65537" "classes=65537: not a number" nn-kfilter -k 3 -i c65537.nns
fails_clean "classes=5000000" "classes=5000000: not a number" nn-kfilter -k 3 -i c5m.nns
fails_clean "classes=5000000 in loss filtering" "classes=5000000: not a number" nn-kfilter --by-loss 0.5 --pred x -i c5m.nns
nn-kfilter -k 3 --report-only c65536.nns > c65536.st && nn-info -j c65536.st | grep -q '"shape":\[65537,3\]' &&
    ok "classes=65536 is taken: a record of 65537 rows" || not_ok "classes=65536" "$(nn-info c65536.st)"
fails_clean "a label beyond classes=" "row 4: label 2 is out of range for classes=2" nn-kfilter -k 3 over.nns
fails_clean "70000 columns of scores: more classes than 65536" "'y' have 70000 columns: more than 65536 classes" nn-kfilter -k 1 wide1h.nns
fails_clean "70000 columns of scores, no rows" "70000 columns: more than 65536 classes" nn-kfilter -k 1 -b 2 wide1h0.nns
nn-kfilter -k 3 -v c1000.nns 2>msg.txt >/dev/null
grep -q "^nn-kfilter: k=3 batch=all: dropped 6 of 8 rows (75.00%); by class 0:75.00% 1:75.00%$" msg.txt &&
    ok "-v: the classes present only, not all 1000 of classes=" || not_ok "-v classes present" "$(head -c 300 msg.txt)"
nn-kfilter -k 3 -v --report-only many.nns 2>msg.txt >/dev/null
grep -q "^nn-kfilter: k=3 batch=all: dropped [0-9]* of 600 rows ([0-9.]*%); 150 classes (per class: --report)$" msg.txt &&
    ok "-v: 150 classes present, no per-class list" || not_ok "-v many classes" "$(head -c 300 msg.txt)"
fails_clean "--report-file into a missing directory" "nodir/rep.nns" nn-kfilter -k 3 --report-file nodir/rep.nns hand.nns
fails_clean "-o and --report-file into a missing directory" "nodir/rep.nns" nn-kfilter -k 3 -o kept2.nns --report-file nodir/rep.nns hand.nns
[ ! -e kept2.nns ] && [ -z "$(ls kept2.nns.* .kept2.nns* 2>/dev/null)" ] && ok "--report-file failing: no -o file committed" ||
    not_ok "--report-file failing" "$(ls)"
fails_clean "--report-file failing, -o into a missing directory" "nodir/kept.nns" nn-kfilter -k 3 -o nodir/kept.nns --report-file rep2.nns hand.nns
[ ! -e rep2.nns ] && ok "-o failing: no --report-file file committed" || not_ok "-o failing" "$(ls)"
nn-kfilter -k 2 -o out.nns --report-file rep3.nns nan.nns 2>/dev/null
[ ! -e out.nns ] && [ ! -e rep3.nns ] && ok "bad input: neither -o nor --report-file file" || not_ok "-o --report-file on failure" "$(ls)"

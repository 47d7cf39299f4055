# nn-fit-layer: known answers against NumPy (normal equations, pinv,
# Platonic PCA, sorted PCA), sharded statistics, tries, the toy problems at
# small sizes, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
export TOP
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }

"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
r = np.random.default_rng(3)
Z = r.standard_normal((700, 6))
Z[:, 5] = 0                               # a dead column: singular without a ridge
y = r.integers(0, 3, 700)
Yf = r.standard_normal((700, 2))
def chunks(name, a, n=4):
    out = b""
    for i, part in enumerate(np.array_split(a, n)):
        out += record(name, part, flags=2 if i else 0, attrs="" if i else ("classes=3\n" if name == "y" else ""))
    return out
with open("ds.nns", "wb") as f:   # x and y interleaved in 4 chunks
    for i, (zp, yp) in enumerate(zip(np.array_split(Z[:, :5].astype("<f4"), 4), np.array_split(y.astype("<i4"), 4))):
        f.write(record("x", zp, flags=2 if i else 0) + record("y", yp, "classes=3\n" if i == 0 else "", flags=2 if i else 0))
open("sing.nns", "wb").write(record("x", Z.astype("<f8")) + record("y", y.astype("<i4"), "classes=3\n"))
open("reg.nns", "wb").write(record("x", Z[:, :5].astype("<f8")) + record("y", Yf))
np.save("Z.npy", Z); np.save("y.npy", y); np.save("Yf.npy", Yf)
PY

read_w() { "$PY" - "$1" <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
np.save(sys.argv[1] + ".npy", [a for n, a, _ in read(open(sys.argv[1], "rb")) if n == "w"][0].astype(np.float64))
PY
}

nn-fit-layer -m output -l 2.5 -t f64 ds.nns > out.nns; read_w out.nns
nn-fit-layer -m output --solver pinv -t f64 reg.nns > pinv.nns; read_w pinv.nns
nn-fit-layer -m platonic-pca -w 4 --alpha 0.5 --beta 3 -l 1 -t f64 ds.nns > pca.nns; read_w pca.nns
nn-fit-layer -m sorted-pca -w 9 -t f64 ds.nns > spca.nns; read_w spca.nns
"$PY" - <<'PY' && ok "output, pinv, Platonic PCA and sorted PCA equal NumPy's answers" || not_ok "known answers" "see above"
import numpy as np
Z, y, Yf = np.load("Z.npy")[:, :5], np.load("y.npy"), np.load("Yf.npy")
Z = Z.astype(np.float32).astype(np.float64)          # ds.nns holds f32
Z1 = np.hstack([np.ones((700, 1)), Z]); Y = np.eye(3)[y]
# output layer, ridge 2.5: the normal equations solved directly
W = np.linalg.solve(Z1.T @ Z1 + 2.5 * np.eye(6), Z1.T @ Y)
d = np.abs(np.load("out.nns.npy") - W).max(); assert d < 1e-10, ("ridge", d)
# pseudoinverse, real-valued targets
Zr = np.load("Z.npy")[:, :5]; Zr1 = np.hstack([np.ones((700, 1)), Zr])
d = np.abs(np.load("pinv.nns.npy") - np.linalg.pinv(Zr1) @ Yf).max(); assert d < 1e-10, ("pinv", d)
# Platonic PCA: leading eigenvectors of A^T A, A = alpha [Z1 beta Y], largest entry positive
A = 0.5 * np.hstack([Z1, 3 * Y]); w, V = np.linalg.eigh(A.T @ A)
Q = V[:, ::-1][:, :4]; Q *= np.sign(Q[np.abs(Q).argmax(0), range(4)])
P = np.diag([0.5] * 6 + [1.5] * 3) @ Q
Wp = np.linalg.solve(Z1.T @ Z1 + np.eye(6), Z1.T @ np.hstack([Z1, Y]) @ P)
d = np.abs(np.load("pca.nns.npy") - Wp).max(); assert d < 1e-9, ("pca", d)
# sorted PCA: rows at evenly spaced ranks along the first principal component
C = np.cov(Z.T, bias=True); w, V = np.linalg.eigh(C); c = V[:, -1]; c *= np.sign(c[np.abs(c).argmax()])
order = np.lexsort((np.arange(700), Z @ c))
pick = order[[int(np.floor(k * 700 / 9 + 0.5)) for k in range(9)]]
Ws = np.vstack([np.zeros(9), Z[pick].T])
d = np.abs(np.load("spca.nns.npy") - Ws).max(); assert d < 1e-12, ("sorted", d)
PY

# other tensor names: -n (--name) and -y (--labels); the aliases --input
# and --target are gone
nn-pick -r x=z -r y=t < ds.nns > named.nns
nn-fit-layer -m output -l 2.5 -t f64 -n z -y t named.nns > outn.nns
same "-n and -y name the tensors" outn.nns out.nns
nn-fit-layer -m output -l 2.5 -t f64 --name z --labels t named.nns > outn2.nns
same "--name and --labels alike" outn2.nns out.nns
fails_usage "--input is no longer an option" "invalid option '--input'" nn-fit-layer -m output --input z -y t named.nns
fails_usage "--target is no longer an option" "invalid option '--target'" nn-fit-layer -m output -n z --target t named.nns

# Platonic PCA on the correlation matrix of [Z Y]; a constant column
# (and the bias) take no part in the components
nn-fit-layer -m platonic-pca --pca corr -w 4 --alpha 0.5 --beta 3 -l 1 -t f64 sing.nns > corr.nns; read_w corr.nns
nn-fit-layer -m platonic-pca --pca corr -w 4 --alpha 0.5 --beta 3 -l 1 --solver lstsq -t f64 sing.nns > corrq.nns; read_w corrq.nns
"$PY" - <<'PY' && ok "Platonic PCA of the correlation matrix equals NumPy's (Gram and QR paths)" || not_ok "pca corr" "see above"
import numpy as np
Z, Y = np.load("Z.npy"), np.eye(3)[np.load("y.npy")]
Z1 = np.hstack([np.ones((700, 1)), Z]); A = np.hstack([Z, Y])
live = A.std(0) > 0                                  # column 5 of Z is 0
R = np.corrcoef(A[:, live].T); w, V = np.linalg.eigh(R)
Q = np.zeros((10, 4)); Q[1:][live] = V[:, ::-1][:, :4]
Q *= np.sign(Q[np.abs(Q).argmax(0), range(4)])
assert not Q[0].any() and not Q[6].any()
P = np.diag([0.5] * 7 + [1.5] * 3) @ Q
Wp = np.linalg.solve(Z1.T @ Z1 + np.eye(7), Z1.T @ np.hstack([Z1, Y]) @ P)
for f in ("corr.nns.npy", "corrq.nns.npy"):
    d = np.abs(np.load(f) - Wp).max(); assert d < 1e-9, (f, d)
PY
# a constant column that is not 0, over many rows: still constant
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
r = np.random.default_rng(4)
# correlated columns and labels: eigenvalues 3.37 1.55 1.11 0.62 0.28 0.07 0
G = r.standard_normal((60000, 4))
Zg = G @ [[1, 0.9, 0.5, 0], [0, 0.44, 0.5, 0.1], [0, 0, 0.7, 0.3], [0, 0, 0, 1.0]]
yc = np.digitize(Zg[:, 0] + 0.5 * r.standard_normal(60000), [-0.5, 0.6])
Zc = np.hstack([Zg, np.full((60000, 1), 0.7)])
open("const.nns", "wb").write(record("x", Zc) + record("y", yc.astype("<i4"), "classes=3\n"))
np.save("Zc.npy", Zc); np.save("yc.npy", yc)
PY
nn-fit-layer -m platonic-pca --pca corr -w 6 --beta 1 -l 1 -t f64 const.nns > corrc.nns; read_w corrc.nns
"$PY" - <<'PY' && ok "--pca corr: a constant column of 0.7 over 60000 rows takes no part" || not_ok "pca corr, constant column" "see above"
import numpy as np
Z, Y = np.load("Zc.npy"), np.eye(3)[np.load("yc.npy")]
Z1 = np.hstack([np.ones((len(Z), 1)), Z]); A = np.hstack([Z, Y]); live = np.arange(8) != 4
R = np.corrcoef(A[:, live].T); w, V = np.linalg.eigh(R)
Q = np.zeros((9, 6)); Q[1:][live] = V[:, ::-1][:, :6]
Q *= np.sign(Q[np.abs(Q).argmax(0), range(6)])
Wp = np.linalg.solve(Z1.T @ Z1 + np.eye(6), Z1.T @ np.hstack([Z1, Y]) @ Q)
d = np.abs(np.load("corrc.nns.npy") - Wp).max(); assert d < 1e-8, d
PY
nn-info -j corr.nns | grep -q '"pca":"corr"' && ok "the layer records pca=corr" || not_ok "pca attribute" "$(nn-info -j corr.nns)"
fails_usage "an unknown --pca" "invalid --pca 'cov': expected raw or corr" nn-fit-layer -m platonic-pca --pca cov -w 2 ds.nns
fails_usage "--pca with another method" "--pca goes with the platonic-pca method" nn-fit-layer -m random --pca corr -w 2 ds.nns

# sorted PCA over more rows than one ranking pass holds (2^18): the same
# rows as a full sort
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
r = np.random.default_rng(8)
X = (r.standard_normal((300000, 3)) * [3, 1, 0.5]).round(1).astype("<f4")  # many ties
open("big.nns", "wb").write(record("x", X) + record("y", (X[:, 0] > 0).astype("<i4"), "classes=2\n"))
np.save("X.npy", X)
PY
nn-fit-layer -m sorted-pca -w 40 -t f64 big.nns > bigs.nns; read_w bigs.nns
# full_sort X.npy LAYER.npy: the layer holds the rows a full sort picks
full_sort() {
    "$PY" - "$1" "$2" <<'PY'
import sys
import numpy as np
X = np.load(sys.argv[1]).astype(np.float64); m = len(X)
C = np.cov(X.T, bias=True); w, V = np.linalg.eigh(C); c = V[:, -1]; c *= np.sign(c[np.abs(c).argmax()])
v = X[:, 0] * c[0] + X[:, 1] * c[1] + X[:, 2] * c[2]      # summed in the tool's order
order = np.lexsort((np.arange(m), v))
pick = order[[min(int(np.floor(k * m / 40 + 0.5)), m - 1) for k in range(40)]]
d = np.abs(np.load(sys.argv[2]) - np.vstack([np.zeros(40), X[pick].T])).max(); assert d == 0, d
PY
}
full_sort X.npy bigs.nns.npy && ok "sorted PCA of 300000 rows (several ranking passes) picks a full sort's rows" || not_ok "sorted PCA, many rows" "see above"
# fewer rows (ranked from the refining pass's keys), with ties so many
# that the rows near the ranks are too many to hold, and without ties
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
X = np.random.default_rng(11).integers(0, 3, (100000, 3)).astype("<f4") * [3, 1, 0.5]
X = X.astype("<f4")   # 27 distinct rows
open("ties.nns", "wb").write(record("x", X) + record("y", np.zeros(len(X), "<i4"), "classes=2\n"))
np.save("Xt.npy", X)
X = np.random.default_rng(10).standard_normal((100000, 3)).astype("<f4") * [3, 1, 0.5]
open("noties.nns", "wb").write(record("x", X.astype("<f4")) + record("y", np.zeros(len(X), "<i4"), "classes=2\n"))
np.save("Xn.npy", X.astype("<f4"))
PY
nn-fit-layer -P -m sorted-pca -w 40 -t f64 ties.nns > ties_s.nns 2> ties.err; read_w ties_s.nns
full_sort Xt.npy ties_s.nns.npy && grep -q 'candidate rows for 40 ranks: too many' ties.err && ok "sorted PCA of 100000 rows with many ties (exact ranking passes) picks a full sort's rows" || not_ok "sorted PCA, many ties" "$(grep candidate ties.err)"
nn-fit-layer -P -m sorted-pca -w 40 -t f64 noties.nns > noties_s.nns 2> noties.err; read_w noties_s.nns
full_sort Xn.npy noties_s.nns.npy && grep -q 'candidate rows for 40 ranks$' noties.err && ok "sorted PCA of 100000 rows ranked from the refining pass's keys picks a full sort's rows ($(grep -o '[0-9]* candidate rows' noties.err))" || not_ok "sorted PCA, ranks from the refining pass" "$(grep candidate noties.err)"

# sorted PCA of f32 rows far from centred (1000 + a spread of 1), a small
# gap between the first two eigenvalues, from a pipe, every row a unit:
# the first component, found in single precision and refined in double
# (nn_pc), orders all rows as the double-precision covariance does (the
# single-precision covariance alone moves 4 of them)
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
r = np.random.default_rng(9)
Q = np.linalg.qr(r.standard_normal((20, 20)))[0]
s = 0.93 ** np.arange(20); s[1] = 0.995   # the first two eigenvalues 1% apart
X = (1000 + (r.standard_normal((20000, 20)) * s) @ Q.T).astype("<f4")
open("far.nns", "wb").write(record("x", X) + record("y", np.zeros(20000, "<i4"), "classes=2\n"))
np.save("Xf.npy", X)
PY
nn-fit-layer -P -m sorted-pca -w 20000 -t f64 < far.nns > fars.nns 2> fars.err; read_w fars.nns
"$PY" - <<'PY' && grep -q 'candidate rows for 20000 ranks$' fars.err && ok "sorted PCA of f32 rows far from centred picks the double-precision covariance's rows ($(grep -o '[0-9][0-9]* refining pass[es]*' fars.err))" || not_ok "sorted PCA, far from centred" "see above"
import numpy as np
X = np.load("Xf.npy").astype(np.float64); m = len(X)
C = np.cov(X.T, bias=True); w, V = np.linalg.eigh(C); c = V[:, -1]; c *= np.sign(c[np.abs(c).argmax()])
order = np.lexsort((np.arange(m), X @ c))
d = np.abs(np.load("fars.nns.npy") - np.vstack([np.zeros(m), X[order].T])).max(); assert d == 0, d
PY

# --through NET: the layer after NET, as nn-forward NET | nn-fit-layer
# gives it (the same forward pass in single precision): the same bytes, for
# the output layer, a random layer, --gram statistics and elm
nn-fit-layer -m sorted-pca -w 7 ds.nns > thr1.nns
nn-forward thr1.nns ds.nns | nn-fit-layer -m random -w 4 -l 1 > thr2.nns
cat thr1.nns thr2.nns > thr12.nns
same=1
for args in "-m output -l 2.5" "-m random -w 3 -l 1 --seed 4" "--gram" "-m elm -w 3"; do
    nn-forward thr12.nns ds.nns | nn-fit-layer $args > thr.pipe.nns &&
        nn-fit-layer $args --through thr12.nns ds.nns > thr.thr.nns &&
        cmp -s thr.pipe.nns thr.thr.nns || { same=0; echo "differs: $args" >&2; }
done
[ $same = 1 ] && ok "--through NET writes what nn-forward NET | nn-fit-layer writes" || not_ok "--through" "see above"
fails_clean "--through a network of another input width" "the network --through takes 7" nn-fit-layer -m output --through thr2.nns ds.nns
fails_usage "--through with -G" "not with -G" nn-fit-layer -m output --through thr1.nns -G ds.nns

# --gram-precision f32: the ridge fit from a Gram matrix of f32 blocks
# summed in f64, against NumPy's normal equations in f64 (x far from 0:
# the blocks are taken less their means)
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
r = np.random.default_rng(5)
X = (30 + r.standard_normal((5000, 8))).astype("<f4"); y = r.integers(0, 3, 5000)
open("g32.nns", "wb").write(record("x", X) + record("y", y.astype("<i4"), "classes=3\n"))
np.save("X32.npy", X); np.save("y32.npy", y)
PY
nn-fit-layer -m output -l 10 --gram-precision f32 -t f64 g32.nns > g32o.nns; read_w g32o.nns
"$PY" - <<'PY' && ok "--gram-precision f32: the ridge fit within 1e-5 of NumPy's in f64" || not_ok "--gram-precision f32" "see above"
import numpy as np
X = np.load("X32.npy").astype(np.float64); y = np.load("y32.npy")
Z1 = np.hstack([np.ones((len(X), 1)), X]); Y = np.eye(3)[y]
W = np.linalg.solve(Z1.T @ Z1 + 10 * np.eye(9), Z1.T @ Y)
d = np.abs(np.load("g32o.nns.npy") - W).max() / np.abs(W).max(); print("relative", d); assert d < 1e-5, d
PY
fails_usage "--gram-precision with sorted-pca" "not -G, lstsq, sorted-pca or elm" nn-fit-layer -m sorted-pca -w 2 --gram-precision f32 ds.nns
fails_usage "an unknown --gram-precision" "invalid --gram-precision 'f16'" nn-fit-layer -m output --gram-precision f16 ds.nns

# the least-squares solver (streaming QR) against NumPy's lstsq, ridge and PCA
nn-fit-layer -m output --solver lstsq -t f64 reg.nns > lsq.nns; read_w lsq.nns
nn-fit-layer -m output --solver lstsq -l 2.5 -t f64 ds.nns > lsqr.nns; read_w lsqr.nns
nn-fit-layer -m platonic-pca -w 4 --alpha 0.5 --beta 3 -l 1 --solver lstsq -t f64 ds.nns > pcaq.nns; read_w pcaq.nns
"$PY" - <<'PY' && ok "lstsq: NumPy's lstsq, the ridge normal equations, the same Platonic PCA" || not_ok "lstsq" "see above"
import numpy as np
Zr = np.load("Z.npy")[:, :5]; Zr1 = np.hstack([np.ones((700, 1)), Zr])
d = np.abs(np.load("lsq.nns.npy") - np.linalg.lstsq(Zr1, np.load("Yf.npy"), rcond=None)[0]).max()
assert d < 1e-12, ("lstsq", d)
Z = np.load("Z.npy")[:, :5].astype(np.float32).astype(np.float64)
Z1 = np.hstack([np.ones((700, 1)), Z]); Y = np.eye(3)[np.load("y.npy")]
W = np.linalg.solve(Z1.T @ Z1 + 2.5 * np.eye(6), Z1.T @ Y)
d = np.abs(np.load("lsqr.nns.npy") - W).max(); assert d < 1e-10, ("ridge via QR", d)
d = np.abs(np.load("pcaq.nns.npy") - np.load("pca.nns.npy")).max(); assert d < 1e-9, ("pca via QR", d)
PY
fails_usage "lstsq with statistics" "lstsq works from the data" nn-fit-layer --solver lstsq --gram ds.nns

# sharded statistics add up to the single pass
nn-split --shards 4 part ds.nns
for i in 0 1 2 3; do
    check "the statistics of shard $i" sh -c "nn-fit-layer --gram part.00$i.nns > g$i.nns"
done
for m in output platonic-pca random; do
    w=; [ $m = output ] || w="-w 5"
    nn-fit-layer -m $m $w -l 0.1 -t f64 --seed 4 ds.nns > one.nns
    nn-fit-layer -m $m $w -l 0.1 -t f64 --seed 4 -G g0.nns -G g1.nns -G g2.nns -G g3.nns > four.nns
    read_w one.nns; read_w four.nns
    "$PY" -c "
import numpy as np
a, b = np.load('one.nns.npy'), np.load('four.nns.npy')
d = np.abs(a - b).max() / np.abs(a).max(); assert d < 1e-12, d
print('# $m: max relative difference %.1e' % d)" >&2 && ok "$m: four shards' statistics give the single-pass layer" || not_ok "$m sharded" "differs"
done

# the seed: -s and --seed alike, recorded; -P (progress) changes nothing
nn-fit-layer -w 5 -l 0.1 -s 4 -P ds.nns > s4.nns 2> /dev/null
nn-fit-layer -w 5 -l 0.1 --seed 4 ds.nns > seed4.nns
same "-s is --seed (and -P leaves the layer alone)" s4.nns seed4.nns
nn-info -j s4.nns | grep -q '"seed":"4"' && ok "the layer records seed=4" || not_ok "seed attribute" "$(nn-info -j s4.nns)"
# the old -s (solver) and -n (tries) mean the seed and the name now
fails_usage "-s pinv: the seed must be a number" "invalid --seed 'pinv': not a whole number" nn-fit-layer -m output -s pinv ds.nns
fails_clean "-n 6: a tensor name, not the tries" "no tensor named '6'" nn-fit-layer -n 6 -w 5 ds.nns
# option values are checked whole, with one message
fails_usage "--lambda x" "invalid --lambda 'x': not a number" nn-fit-layer -m output --lambda x ds.nns
fails_usage "-l -1" "invalid --lambda '-1': must be at least 0" nn-fit-layer -m output -l -1 ds.nns
fails_usage "--tries 0" "invalid --tries '0': must be from 1 to 1000" nn-fit-layer --tries 0 -w 5 ds.nns
fails_usage "--solver qr" "invalid --solver 'qr': expected chol, pinv or lstsq" nn-fit-layer -m output --solver qr ds.nns
fails_usage "-m linear" "invalid --method 'linear': expected random, platonic-pca, sorted-pca, elm or output" nn-fit-layer -m linear ds.nns
fails_usage "-w 0" "invalid --width '0': must be from 1 to 1048576" nn-fit-layer -w 0 ds.nns
nn-fit-layer -V | grep -q '^nn-fit-layer (nn tools) ' && ok "-V prints the version" || not_ok "-V" "$(nn-fit-layer -V 2>&1)"

# tries: the kept layer has the lowest LSD of the candidates, and says so
nn-fit-layer --tries 6 -w 5 -a tanh -l 0.1 --seed 2 ds.nns > t6.nns
"$PY" - <<'PY' && ok "--tries keeps the candidate of lowest LSD (checked against nn-eval)" || not_ok "tries" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
at = [a for n, _, a in read(open("t6.nns", "rb")) if n == "w"][0]
assert at["tries"] == "6" and float(at["lsd"]) > 0, at
open("lsd", "w").write(at["lsd"])
PY
got=$(nn-forward t6.nns ds.nns | nn-eval -q --lsd x --pred none 2>/dev/null || nn-forward t6.nns ds.nns | nn-eval --lsd x -j)
"$PY" -c "
import json, sys
want = float(open('lsd').read())
s = '''$got'''.strip()
v = json.loads(s)['lsd']['x'] if s.startswith('{') else float(s.split()[-1])
assert abs(v - want) < 1e-5 * want, (v, want)" && ok "the recorded LSD is nn-eval's LSD of the layer's output" || not_ok "recorded LSD" "$got vs $(cat lsd)"

# the toy problems at small sizes
nn-toy --samples 2000 sine > sine.nns
sh "$TOP/pipelines/fit-net.sh" --first-method random -m random -a celu --beta 1 --solver pinv --tries 5 -t f64 sine.nns 16 16 > sine.net
mse=$(nn-forward -t f64 sine.net sine.nns | nn-eval -q --regression)
"$PY" -c "assert float('$mse') <= 1e-4, '$mse'" && ok "sine 1-16-16-1: MSE $mse <= 1e-4" || not_ok "sine" "MSE $mse"
nn-toy --samples 2000 --seed 1 spirals > spirals.nns
sh "$TOP/pipelines/fit-net.sh" --first-method random -m random -a tanh --alpha 1 --beta 2 --solver pinv --tries 10 -t f64 spirals.nns 32 32 32 32 > spirals.net
acc=$(nn-forward -t f64 spirals.net spirals.nns | nn-eval -q)
"$PY" -c "assert float('$acc') >= 99, '$acc'" && ok "two spirals 2-32-32-32-32-2 in double precision: $acc% >= 99%" || not_ok "spirals" "$acc%"
nn-toy --samples 300 --seed 2 checkerboard > cb.nns
sh "$TOP/pipelines/fit-net.sh" --first-method random -m random --alpha 0.08 --beta 200 --solver pinv -t f64 cb.nns 300 300 300 300 300 300 300 300 > cb.net
acc=$(nn-forward -t f64 cb.net cb.nns | nn-eval -q)
"$PY" -c "assert float('$acc') == 100, '$acc'" && ok "checkerboard, 300 points, 8 layers of 300: $acc%" || not_ok "checkerboard" "$acc%"
# fit-net.sh's options: the seed must be a number (the shell's arithmetic
# read the old -s pinv as seed 0), the old letters are refused
FN="$TOP/pipelines/fit-net.sh"
for args in "-s pinv" "--seed=-1" "--seed 1e3"; do
    sh "$FN" $args sine.nns 4 > fn.out 2> fn.err; rc=$?
    [ $rc -eq 2 ] && [ ! -s fn.out ] && grep -q "^fit-net.sh: invalid --seed '.*': not a whole number" fn.err &&
        ok "fit-net.sh $args: a usage error" || not_ok "fit-net.sh $args" "exit $rc: $(head -1 fn.err)"
done
for args in "-S 3" "-d" "-f random" "-n 5"; do
    sh "$FN" $args sine.nns 4 > fn.out 2> fn.err; rc=$?
    [ $rc -eq 2 ] && [ ! -s fn.out ] && grep -q "^fit-net.sh: invalid option" fn.err &&
        ok "fit-net.sh $args: the old letter is refused" || not_ok "fit-net.sh $args refused" "exit $rc: $(head -1 fn.err)"
done
sh "$FN" --first-method random -m random --solver pinv -s 3 --tries=2 sine.nns 8 > fn1.net &&
    sh "$FN" --first-method=random --method random --solver=pinv --seed=3 --tries 2 sine.nns 8 > fn2.net &&
    same "fit-net.sh: -s and --seed=, -m and --method alike" fn1.net fn2.net
nn-info -j fn1.net | grep -q '"seed":"3"' && ok "fit-net.sh -s 3: the first layer's seed is 3" || not_ok "fit-net.sh seed" "$(nn-info -j fn1.net | head -2)"

# bad input
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('x', np.ones((10, 3), '<f4')) + record('y', np.zeros(9, '<i4'), 'classes=2\n'))" > short.nns
fails_clean "labels with fewer rows than the data" "ends after 9 rows" nn-fit-layer -m output short.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
x = np.ones((10, 3), '<f4'); x[4, 1] = np.nan
sys.stdout.buffer.write(record('x', x) + record('y', np.zeros(10, '<i4'), 'classes=2\n'))" > nan.nns
fails_clean "NaN in the input" "row 4 holds NaN" nn-fit-layer -m output nan.nns
fails_clean "a singular system without a ridge" "singular.*pseudoinverse solver \(-l LAMBDA or --solver pinv\)" nn-fit-layer -m output sing.nns
nn-fit-layer -m output --solver pinv sing.nns > /dev/null && ok "the same system with the pseudoinverse" || not_ok "pinv on a singular system" "failed"
nn-fit-layer -m output -l 1 sing.nns > /dev/null && ok "the same system with a ridge" || not_ok "ridge on a singular system" "failed"
fails_clean "a width Platonic PCA cannot give" "at most 1\+6\+3 = 10 components, not 11" nn-fit-layer -m platonic-pca -w 11 -l 1 sing.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('x', np.ones((4, 2), '<f4')) + record('y', np.array([0, 1, 2, 5], '<i4')))" > nocls.nns
fails_clean "labels without a class count" "give --classes K" nn-fit-layer -m output nocls.nns
fails_clean "a label outside the classes" "label 5 in row 3 is not a class of 4" nn-fit-layer -m output --classes 4 nocls.nns
craft checksum > bad.nns
fails_clean "a corrupt stream" "checksum" nn-fit-layer -m output bad.nns
fails_clean "statistics that are not" "no 'gram' record" nn-fit-layer -m output -G ds.nns
fails_usage "no width" "width" nn-fit-layer -m random ds.nns
fails_usage "tries for a deterministic method" "--tries goes with the random method" nn-fit-layer -m platonic-pca -w 2 --tries 3 ds.nns
fails_usage "sorted-pca from statistics" "needs the data" nn-fit-layer -m sorted-pca -w 2 -G g0.nns

# hostile input (issue 10): sizes from attributes, NaN and infinity where
# they would make a layer of NaN, rows of nothing, a terminal
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
def write(name, *recs): open(name, "wb").write(b"".join(recs))
gram = lambda g, nz, ny, rows=5: record("gram", g, f"nz={nz}\nny={ny}\nrows={rows}\n")
# nz + ny wraps around 2^64 to the side of a 3x3 matrix
write("g-wrap.nns", gram(np.eye(3), 2**63, 2**63 + 2))
write("g-nz0.nns", gram(np.eye(2), 0, 1))
write("g-rows.nns", gram(np.eye(3), 1, 1, 2**64 - 1), gram(np.eye(3), 1, 1, 2**64 - 1))
g = np.eye(4); g[2, 1] = np.nan
write("g-nan.nns", gram(g, 2, 1))
g = np.eye(4) * 1.5e308; g[0, 0] = 5
write("g-huge.nns", gram(g, 2, 1))
r = np.random.default_rng(5)
X, Y, D = r.standard_normal((3000, 3)), r.standard_normal((3000, 2)), np.ones(3000)
def chunked(x, y, d=None):       # 1000 rows a chunk: rows count across chunks and blocks
    out = b""
    for i in range(3):
        s = slice(1000 * i, 1000 * (i + 1)); f = 2 if i else 0
        out += record("x", x[s], flags=f) + record("y", y[s], flags=f)
        if d is not None: out += record("d", d[s], flags=f)
    return out
Yi = Y.copy(); Yi[1500, 1] = np.inf
write("y-inf.nns", chunked(X, Yi))
Xn = X.astype("<f4"); Xn[2100, 0] = np.nan
write("x-nan.nns", chunked(Xn, Y))
Dn = D.copy(); Dn[2500] = np.nan
write("d-nan.nns", chunked(X, Y, Dn))
write("x-huge.nns", chunked(X * 1e200, Y))
write("x-tiny.nns", chunked(X * 1e-60, Y))
# 2^32 rows of width 0 in 144 bytes; zero-width targets; no rows
write("x-w0.nns", record("x", dtype=9, dims=(1 << 32, 0), payload=b""),
      record("y", dtype=9, dims=(1 << 32, 0), payload=b""))
write("y-w0.nns", record("x", X), record("y", dtype=10, dims=(3000, 0), payload=b""))
write("no-rows.nns", record("x", X[:0]), record("y", Y[:0]))
write("long-d.nns", record("x", X), record("y", Y), record("d" * 255, D))
write("cls-big.nns", record("x", X[:4]), record("y", np.zeros(4, "<i4"), "classes=70000\n"))
PY
fails_clean "-G: nz and ny that wrap around 2^64" "not Gram statistics.*\(3,3\) matrix for nz=9223372036854775808, ny=9223372036854775810" nn-fit-layer -w 2 -G g-wrap.nns
fails_clean "-G: the same, platonic-pca" "not Gram statistics" nn-fit-layer -m platonic-pca -w 2 -G g-wrap.nns
fails_clean "-G: a Gram record with nz=0" "not Gram statistics.*\(2,2\) matrix for nz=0, ny=1" nn-fit-layer -m output -G g-nz0.nns
fails_clean "-G: rows that add up past 2^64" "record 1: the statistics' rows add up past 2\^64" nn-fit-layer -m output -G g-rows.nns
fails_clean "-G: NaN in a Gram record" "g-nan.nns: record 0: the Gram record holds NaN" nn-fit-layer -m output -l 1 -G g-nan.nns
fails_clean "-G: statistics that sum past double precision" "the sum of the statistics overflows double precision" nn-fit-layer -m output -G g-huge.nns -G g-huge.nns
fails_clean "an infinity in the targets" "y-inf.nns: 'y' row 1500 holds an infinity" nn-fit-layer -m output y-inf.nns
fails_clean "an infinity in the targets, --gram" "'y' row 1500 holds an infinity" nn-fit-layer --gram y-inf.nns
fails_clean "an infinity in the targets, lstsq" "'y' row 1500 holds an infinity" nn-fit-layer -m output --solver lstsq y-inf.nns
fails_clean "NaN in the input, a later chunk" "x-nan.nns: 'x' row 2100 holds NaN" nn-fit-layer -w 3 -l 1 x-nan.nns
fails_clean "NaN in the weights" "d-nan.nns: weights 'd' row 2500 holds NaN" nn-fit-layer -m output --weights d d-nan.nns
fails_clean "finite input whose Gram matrix overflows" "the Gram matrix of the data overflows double precision" nn-fit-layer -m output x-huge.nns
fails_clean "weights beyond f32" "does not fit f32: write f64 \(-t f64\)" nn-fit-layer -m output x-tiny.nns
nn-fit-layer -m output -t f64 x-tiny.nns > tiny64.nns && ok "the same weights in f64" || not_ok "f64 weights" "failed"
fails_clean "2^32 rows of width 0" "x-w0.nns: 'x' has rows of width 0" nn-fit-layer -m output x-w0.nns
fails_clean "rows of width 0, elm" "'x' has rows of width 0" nn-fit-layer -m elm -w 3 x-w0.nns
fails_clean "targets of width 0" "'y' has rows of width 0" nn-fit-layer -m output y-w0.nns
fails_clean "no rows" "no rows" nn-fit-layer -m output no-rows.nns
fails_clean "more classes than a tool takes" "cls-big.nns: the labels 'y' have classes=70000: not a number of classes from 1 to 65536" nn-fit-layer -m output cls-big.nns
nn-fit-layer --gram --weights "$(printf 'd%.0s' $(seq 255))" long-d.nns > long-d.gram.nns
"$PY" - <<'PY' && ok "--gram records a weights name of 255 bytes whole" || not_ok "long weights name" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
at = [a for n, _, a in read(open("long-d.gram.nns", "rb")) if n == "gram"][0]
assert at["weights"] == "d" * 255, at
PY
if command -v script > /dev/null; then
    # refused before the input is read: the corrupt stream is never seen
    script -qec "nn-fit-layer -m output bad.nns 2> tty.err" /dev/null > /dev/null
    [ $? -eq 1 ] && [ "$(wc -l < tty.err)" -eq 1 ] &&
        grep -q "^nn-fit-layer: refusing to write binary data to a terminal" tty.err &&
        ok "a terminal is refused before any work" || not_ok "terminal" "$(cat tty.err)"
fi

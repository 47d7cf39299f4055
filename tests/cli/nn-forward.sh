# nn-forward: known answers for every activation and head (closed forms
# evaluated by NumPy), masks, composition, --layer/--all, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
export TOP

"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
W = np.array([[0.5, -0.25], [1.0, 2.0], [-0.5, 0.75]])   # bias row, then 2 inputs
X = np.array([[1.0, -2.0], [0.5, 0.25], [0.0, 0.0], [-1.0, 0.5]])
A = W[0] + X @ W[1:]                                    # pre-activations (4,2)
C = np.array([[0.5, 1.0, -0.5, 0.25], [0.0, -1.0, 0.5, 2.0]])  # coef, degree 3
def poly(P):  # sum_i C[j,i] P_i(a) for unit j
    return np.stack([sum(C[j, i] * P[i](A[:, j]) for i in range(4)) for j in range(2)], 1)
sm = np.exp(A - A.max(1, keepdims=True)); sm /= sm.sum(1, keepdims=True)
cases = {
  "identity": ("", A),
  "relu": ("", np.maximum(A, 0)),
  "tanh": ("", np.tanh(A)),
  "sigmoid": ("", 1 / (1 + np.exp(-A))),
  "celu": ("alpha=0.5\n", np.where(A > 0, A, 0.5 * (np.exp(A / 0.5) - 1))),
  "softmax": ("", sm),
  "exp": ("", 0.1 * np.exp(A)),
  "pow3": ("alpha=0.001\nbeta=0.4\n", 0.001 * A**3 + 0.4),
  "legendre": ("degree=3\n", poly([lambda a: 1 + 0 * a, lambda a: a, lambda a: (3 * a**2 - 1) / 2, lambda a: (5 * a**3 - 3 * a) / 2])),
  "chebyshev": ("degree=3\n", poly([lambda a: 1 + 0 * a, lambda a: a, lambda a: 2 * a**2 - 1, lambda a: 4 * a**3 - 3 * a])),
  "laguerre": ("degree=3\n", poly([lambda a: 1 + 0 * a, lambda a: 1 - a, lambda a: (a**2 - 4 * a + 2) / 2, lambda a: (-a**3 + 9 * a**2 - 18 * a + 6) / 6])),
  "hermite": ("degree=3\n", poly([lambda a: 1 + 0 * a, lambda a: 2 * a, lambda a: 4 * a**2 - 2, lambda a: 8 * a**3 - 12 * a])),
}
with open("x.nns", "wb") as f:
    f.write(record("x", X.astype("<f4")) + record("y", np.arange(4, dtype="<i4")))
for act, (extra, want) in cases.items():
    with open(f"net-{act}.nns", "wb") as f:
        f.write(record("w", W.astype("<f8"), f"activation={act}\n{extra}"))
        if extra.startswith("degree"):
            f.write(record("coef", C.astype("<f8")))
    np.save(f"want-{act}.npy", want)
PY

for act in identity relu tanh sigmoid celu softmax exp pow3 legendre chebyshev laguerre hermite; do
    nn-forward net-$act.nns x.nns > out-f32.nns
    nn-forward -t f64 net-$act.nns x.nns > out-f64.nns
    "$PY" - "$act" <<'PY' && ok "$act: known answer in f32 and f64" || not_ok "$act: known answer" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
want = np.load(f"want-{sys.argv[1]}.npy")
for f, dt, tol in (("out-f32.nns", np.float32, 1e-5), ("out-f64.nns", np.float64, 1e-13)):
    t = {n: a for n, a, _ in read(open(f, "rb"))}
    assert t["x"].dtype == dt and t["x"].shape == want.shape, (t["x"].dtype, t["x"].shape)
    err = np.abs(t["x"] - want).max() / max(1, np.abs(want).max())
    assert err < tol, (f, err, t["x"], want)
    assert (t["y"] == np.arange(4)).all()
PY
done

# masks: pruned weights are zero in the file and stay out of the forward pass
nn-init -p 0.5 --seed 3 -a tanh 30-40-5 > masked.nns
"$PY" -c "
import numpy as np; np.random.seed(0)
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
sys.stdout.buffer.write(record('x', np.random.randn(50, 30).astype('<f4')))" > in30.nns
nn-forward -t f64 masked.nns in30.nns > masked.out.nns
"$PY" - <<'PY' && ok "masks: distinct non-zero columns, zero weights, forward matches W*mask" || not_ok "masks" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
recs = read(open("masked.nns", "rb"))
assert [n for n, _, _ in recs] == ["w", "mask", "w", "mask"], [n for n, _, _ in recs]
z = read(open("in30.nns", "rb"))[0][1].astype(np.float64)
for (_, w, at), (_, m, _) in zip(recs[0::2], recs[1::2]):
    assert m.shape == w.shape and set(np.unique(m)) <= {0, 1}
    assert (m[0] == 1).all(), "bias row is never masked"
    cols = m[1:].T
    assert (cols.sum(1) > 0).all(), "a zero column"
    assert len({c.tobytes() for c in cols}) == len(cols), "repeated columns"
    assert (w[m == 0] == 0).all(), "a masked weight is not zero"
    assert abs((m[1:] == 0).mean() - 0.5) < 0.1, (m[1:] == 0).mean()
    a = w[0] + z @ (w[1:] * m[1:])
    z = np.tanh(a) if at.get("activation") == "tanh" else a
out = read(open("masked.out.nns", "rb"))[0][1]
assert np.abs(out - z).max() < 1e-12, np.abs(out - z).max()
PY
"$PY" - <<'PY' && ok "a mask hides a weight the file does not zero" || not_ok "mask applied by nn-forward" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
w = np.array([[0.0], [1.0], [100.0]], "<f4")   # the second weight is masked
m = np.array([[1], [1], [0]], "<u1")
open("hand-masked.nns", "wb").write(record("w", w) + record("mask", m))
open("x2.nns", "wb").write(record("x", np.array([[2.0, 3.0]], "<f4")))
PY
[ "$(nn-forward hand-masked.nns x2.nns | nn-export -f csv)" = "2" ] && ok "masked weight ignored: output 2, not 302" || not_ok "masked weight ignored" "$(nn-forward hand-masked.nns x2.nns | nn-export -f csv)"

# composition: forward of cat a b equals forward b after forward a
"$PY" -c "
import numpy as np
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
r = np.random.default_rng(1)
sys.stdout.buffer.write(record('x', r.standard_normal((700, 20)).astype('<f4')) + record('y', np.arange(700, dtype='<i4')))" > in20.nns
nn-cat --rows 300 in20.nns > in20c.nns
nn-init --seed 1 -a tanh 20-64-32 > a.nns
nn-init --seed 2 -a legendre:3 -O softmax 32-16-4 > b.nns
cat a.nns b.nns > ab.nns
nn-forward ab.nns in20c.nns > ab.out
nn-forward a.nns in20c.nns | nn-forward b.nns > a_b.out
"$PY" - <<'PY' && ok "forward of cat a b equals forward b after forward a" || not_ok "composition" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
p = {n: a for n, a, _ in read(open("ab.out", "rb"))}
q = {n: a for n, a, _ in read(open("a_b.out", "rb"))}
assert p["x"].shape == (700, 4) and (p["y"] == q["y"]).all()
d = np.abs(p["x"] - q["x"]).max()
assert d == 0, d
PY
[ "$(nn-info --records -j ab.out | grep -c '"name":"x"')" -eq 3 ] && ok "output chunks follow the input's (3 chunks)" || not_ok "chunks follow input" "$(nn-info --records ab.out)"

nn-forward -A ab.nns in20c.nns | nn-info -j > all.json
"$PY" - <<'PY' && ok "--all writes z0..z4 paired with y" || not_ok "--all" "see above"
import json
t = {r["name"]: r for r in map(json.loads, open("all.json"))}
assert sorted(t) == ["y", "z0", "z1", "z2", "z3", "z4"], sorted(t)
assert [t[f"z{k}"]["shape"][1] for k in range(5)] == [20, 64, 32, 16, 4]
assert all(t[k]["shape"][0] == 700 for k in t)
PY
nn-forward --layer 2 ab.nns in20c.nns | nn-export -n x -f npy > l2.npy
nn-forward a.nns in20c.nns | nn-export -n x -f npy > a.npy
same "--layer 2 of a+b equals the output of a" l2.npy a.npy

# determinism of the pipeline as a whole
nn-forward ab.nns in20c.nns > ab.again
same "the same run gives the same bytes" ab.out ab.again

# bad input
nn-init 30-5 > n30.nns
fails_clean "rows of another width" "20 values; the network takes 30" nn-forward n30.nns in20.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('w', np.ones((3, 2), '<f4'), 'activation=swish\n'))" > badact.nns
fails_clean "unknown activation in a network" "unknown activation 'swish'" nn-forward badact.nns x.nns
head -c 2000 a.nns > trunc.nns
fails_clean "truncated network" "truncated" nn-forward trunc.nns in20.nns
fails_clean "data given as the network" "not part of a network" nn-forward in20.nns in20.nns
fails_clean "layers whose widths do not chain" "layer 2 takes 32 inputs but layer 1 gives 5" sh -c "cat n30.nns b.nns > bad.nns; nn-forward bad.nns in20.nns"
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('w', np.ones((3, 2), '<f4'), 'activation=legendre\ndegree=2\n'))" > nocoef.nns
fails_clean "polynomial units without coefficients" "need coefficients" nn-forward nocoef.nns x.nns
fails_clean "no input tensor" "no tensor named 'q'" nn-forward -n q a.nns in20.nns
fails_clean "layer beyond the network" "has 2 layers" nn-forward --layer 5 a.nns in20.nns
fails_usage "missing NET" "missing NET" nn-forward

# the options: -t for the dtype (-d and --f64 are gone), --layer without a
# letter (-l is the ridge elsewhere), -P, -V; values checked whole
nn-forward -t f32 ab.nns in20c.nns > ab.f32
same "-t f32 is the default" ab.out ab.f32
nn-forward --dtype=f64 ab.nns in20c.nns > ab.f64
nn-forward -t f64 ab.nns in20c.nns > ab.t64
same "--dtype=f64 and -t f64 alike" ab.f64 ab.t64
nn-info -j ab.t64 | grep '"name":"x"' | grep -q '"dtype":"f64"' && ok "-t f64 writes f64" || not_ok "-t f64" "$(nn-info ab.t64)"
nn-forward -P ab.nns in20c.nns > ab.p 2> /dev/null
same "-P (progress) changes nothing on stdout" ab.out ab.p
fails_usage "the old -d" "invalid option -d" nn-forward -d ab.nns in20c.nns
fails_usage "the old --f64" "invalid option '--f64'" nn-forward --f64 ab.nns in20c.nns
fails_usage "the old -l 2" "invalid option -l" nn-forward -l 2 ab.nns in20c.nns
fails_usage "-t f16" "invalid --dtype 'f16': expected f32 or f64" nn-forward -t f16 ab.nns in20c.nns
fails_usage "--layer x" "invalid --layer 'x': not a whole number" nn-forward --layer x ab.nns in20c.nns
fails_usage "--layer -1" "invalid --layer '-1': not a whole number \\(negative\\)" nn-forward --layer -1 ab.nns in20c.nns
nn-forward -V | grep -q '^nn-forward (nn tools) ' && ok "-V prints the version" || not_ok "-V" "$(nn-forward -V 2>&1)"

# Chunks must join: an orphan CONT chunk, a chunk of another dtype or of
# another row width (they were accepted and converted).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
x = np.ones((4, 20), "<f4")
y = np.zeros(4, "<i4")
open("orphan.nns", "wb").write(record("x", x, flags=2) + record("y", y))
open("dtype.nns", "wb").write(record("x", x) + record("x", x.astype("<f8"), flags=2))
open("width.nns", "wb").write(record("x", x) + record("x", np.ones((4, 21), "<f4"), flags=2))
open("ylater.nns", "wb").write(record("x", x) + record("y", y) + record("q", y))
PY
fails_clean "an orphan CONT chunk" "CONT|continues" nn-forward a.nns orphan.nns
fails_clean "a chunk of another dtype" "dtype" nn-forward a.nns dtype.nns
fails_clean "a chunk of another width" "chunk of .x. is f32 \(4,21\) but the tensor is f32 \(4,20\)" nn-forward a.nns width.nns
# --as with the name of a tensor in the stream would write two tensors of
# one name, interleaved: an error, as is -A beside a tensor named z1.
fails_clean "--as names a tensor of the stream" "tensor 'y' already" nn-forward --as y a.nns ylater.nns
check "--as a new name" nn-forward --as q2 a.nns ylater.nns
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
open("z1.nns", "wb").write(record("x", np.ones((4, 20), "<f4")) + record("z1", np.zeros(4, "<i4")))
PY
fails_clean "-A beside a tensor named z1" "tensor 'z1' already" nn-forward -A a.nns z1.nns
fails_usage "--as ''" "invalid --as" nn-forward --as '' a.nns in20.nns
fails_usage "-n with '='" "invalid --name" nn-forward -n 'a=b' a.nns in20.nns

# A network that holds something other than numbers: an error naming the
# layer and the place, not outputs of NaN.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
w = np.ones((21, 3), "<f4"); w[0, 0] = np.nan
open("wnan.nns", "wb").write(record("w", np.ones((21, 3), "<f4")) + record("w", w[:4]))
w2 = np.ones((21, 3), "<f8"); w2[7, 2] = np.inf
open("winf.nns", "wb").write(record("w", w2, "activation=relu\n"))
open("alphanan.nns", "wb").write(record("w", np.ones((21, 3), "<f4"), "activation=celu\nalpha=nan\n"))
c = np.ones((3, 3), "<f4"); c[1, 1] = -np.inf
open("coefinf.nns", "wb").write(record("w", np.ones((21, 3), "<f4"), "activation=legendre\ndegree=2\n") + record("coef", c))
PY
fails_clean "NaN in a network's weights" "'w' of layer 2 holds NaN \(row 0, column 0" nn-forward wnan.nns in20.nns
fails_clean "an infinity in a network's weights" "holds an infinity \(row 7, column 2" nn-forward winf.nns in20.nns
fails_clean "alpha=nan" "invalid alpha=nan" nn-forward alphanan.nns in20.nns
fails_clean "an infinite polynomial coefficient" "'coef' of layer 1 holds an infinity" nn-forward coefinf.nns in20.nns
# A layer wider than BLAS's int: refused when read, not passed on cut short
# (2^31 columns of no rows hold nothing, so the record is tiny).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
open("wide.nns", "wb").write(record("w", None, dims=(0, 1 << 31), dtype=9, payload=b""))
PY
fails_clean "a layer 2^31 wide" "wider than BLAS takes" nn-forward wide.nns in20.nns

# A stream of networks (nn-average --path, nn-train --trajectory): the
# data through each in turn, each network's output and copied records
# carrying its checkpoint and t; each part as the network alone gives it.
nn-init --seed 5 -a tanh -O softmax 20-16-4 > pa.nns
nn-init --seed 6 -a tanh -O softmax 20-16-4 > pb.nns
nn-average --path 3 pa.nns pb.nns > path3.nns
nn-average pa.nns pb.nns > pmid.nns
nn-forward path3.nns in20c.nns > path3.out
for n in pa pmid pb; do nn-forward $n.nns in20c.nns > $n.out; done
"$PY" - <<'PY' && ok "three networks: three parts, each the output of the network alone, checkpoint and t on every tensor, the labels copied" || not_ok "a stream of networks" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
P = read(open("path3.out", "rb"))
assert [n for n, _, _ in P] == ["x", "y"] * 3, [n for n, _, _ in P]
src = {n: a for n, a, _ in read(open("in20c.nns", "rb"))}
for k, one in enumerate(("pa.out", "pmid.out", "pb.out")):
    (_, x, xa), (_, y, ya) = P[2 * k], P[2 * k + 1]
    alone = {n: a for n, a, _ in read(open(one, "rb"))}
    assert np.array_equal(x, alone["x"]) and x.shape == (700, 4), k
    assert np.array_equal(y, src["y"]), k
    for at in (xa, ya):
        assert at["checkpoint"] == str(k) and float(at["t"]) == k / 2, at
    assert xa["layer"] == "2" and xa["producer"].startswith("nn-forward")
    assert "checkpoint" not in read(open(one, "rb"))[0][2], "one network: no checkpoint"
PY
[ "$(nn-info --records -j path3.out | grep -c '"name":"x"')" -eq 9 ] && ok "each part's output chunks follow the input's (3 x 3 chunks)" || not_ok "chunks of the parts" "$(nn-info --records path3.out)"
nn-forward path3.nns < in20c.nns > path3.stdin
same "the data from stdin (spooled): the same bytes" path3.out path3.stdin
nn-average --path 3 pa.nns pb.nns | nn-forward - in20c.nns > path3.pipe
same "the networks from stdin: the same bytes" path3.out path3.pipe
nn-forward -A path3.nns in20c.nns > path3.all
"$PY" - <<'PY' && ok "-A over three networks: z0..z2 per network, with its checkpoint" || not_ok "-A over a stream" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
P = read(open("path3.all", "rb"))
assert [n for n, _, _ in P] == ["z0", "z1", "z2", "y"] * 3, [n for n, _, _ in P]
assert [at["checkpoint"] for _, _, at in P] == [str(k) for k in range(3) for _ in range(4)]
PY
# nn-train's trajectory after the untrained network (no checkpoint: it
# takes its number in the stream, 0)
nn-toy spirals > sp.nns 2>/dev/null
nn-init --seed 1 -a tanh -O softmax 2-8-2 > sp0.nns
nn-train -e 2 -b 100 --trajectory traj.nns sp0.nns sp.nns > sp2.nns 2>/dev/null
cat sp0.nns traj.nns | nn-forward - sp.nns > traj.out
"$PY" - <<'PY' && ok "nn-train --trajectory after its initial network: checkpoints 0 (the untrained one), 1, 2" || not_ok "a trajectory" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
P = read(open("traj.out", "rb"))
assert [(n, at["checkpoint"]) for n, _, at in P] == [(n, str(k)) for k in range(3) for n in ("x", "y")], [(n, at.get("checkpoint")) for n, _, at in P]
assert all("t" not in at for _, _, at in P)
PY
nn-forward sp2.nns sp.nns | nn-export -n x -f npy > last.npy
"$PY" - <<'PY' && ok "... its last part is the trained network's output" || not_ok "trajectory's last network" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
assert np.array_equal(read(open("traj.out", "rb"))[-2][1], np.load("last.npy"))
PY
fails_usage "NET and FILE both stdin" "both be stdin" nn-forward - -
fails_usage "NET stdin, FILE left out" "both be stdin" nn-forward -
cat pa.nns n30.nns > twoin.nns   # no checkpoints: one network, refused as before
fails_clean "two networks without checkpoints are one network" "layer 3 takes 30 inputs but layer 2 gives 4" nn-forward twoin.nns in20c.nns
nn-average --path 2 n30.nns n30.nns > p30.nns
cat path3.nns p30.nns > mixed.nns
fails_clean "a later network of other inputs: output cut back" "20 values; the network takes 30" nn-forward mixed.nns in20c.nns
fails_clean "--layer beyond a later network" "network 4 \(checkpoint 0\) has 1 layers" nn-forward --layer 2 mixed.nns in20c.nns
nn-train -e 1 -b 100 --trajectory traj1.nns sp0.nns sp.nns > /dev/null 2>&1
cat traj1.nns sp0.nns > clash.nns
fails_clean "a network without checkpoint whose number is the checkpoint before it" "network 2 has no checkpoint attribute and its number, 1, is the checkpoint of the one before it" nn-forward clash.nns sp.nns

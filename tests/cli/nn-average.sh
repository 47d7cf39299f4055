# nn-average: the mean against NumPy (weights, biases, coefficients,
# masks joined), a network with itself, the linear path (its ends are A
# and B, its midpoint the mean, its t and checkpoints), and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
export TOP

check "--help" nn-average --help
nn-average -V | grep -q '^nn-average (nn tools) ' && ok "-V prints the version" || not_ok "-V" "$(nn-average -V 2>&1)"

nn-init --seed 1 -a tanh 20-30-10 > a.nns
nn-init --seed 2 -a tanh 20-30-10 > b.nns
nn-init --seed 3 --scheme bandlimited -a tanh 20-30-10 > c.nns
nn-init --seed 1 -p 0.5 -a tanh 20-30-10 > ma.nns
nn-init --seed 2 -p 0.5 -a tanh 20-30-10 > mb.nns
nn-init --seed 1 -t f64 -a legendre:3 -O softmax 20-8-3 > pa.nns
nn-init --seed 2 -t f64 -a legendre:3 -O softmax 20-8-3 > pb.nns

# tensors FILE: every record as (name, array, attrs), through the Python
# reader (examples/nns_read.py)
cat > load.py <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
def recs(f):
    return read(open(f, "rb"))
def nets(f):
    """the networks of a stream: lists of records, split where the
    checkpoint of a w changes"""
    out, key = [], object()
    for n, a, at in recs(f):
        if n == "w" and at.get("checkpoint") != key:
            out.append([]); key = at.get("checkpoint")
        out[-1].append((n, a, at))
    return out
PY

# A network with itself: the same weights, bit for bit
nn-average a.nns a.nns > aa.nns
nn-average a.nns a.nns a.nns > aaa.nns
"$PY" - <<'PY' && ok "the mean of a network with itself is the network (two copies: bit for bit; three: within rounding)" || not_ok "mean of itself" "see above"
from load import *
A, AA, AAA = recs("a.nns"), recs("aa.nns"), recs("aaa.nns")
assert [n for n, _, _ in AA] == [n for n, _, _ in A] == ["w", "w"]
for (_, a, at), (_, b, bt), (_, c, _) in zip(A, AA, AAA):
    assert a.dtype == b.dtype == np.float32 and np.array_equal(a, b), abs(a - b).max()
    assert np.abs(a - c).max() <= 2**-23 * np.abs(a).max(), abs(a - c).max()
    assert bt["activation"] == at["activation"] and bt["producer"].startswith("nn-average")
    assert "checkpoint" not in bt and "t" not in bt
PY

# The mean of three against NumPy: in double, rounded once to f32
nn-average a.nns b.nns c.nns > abc.nns
"$PY" - <<'PY' && ok "the mean of three networks as NumPy computes it, to the bit" || not_ok "mean of three" "see above"
from load import *
R = [recs(f) for f in ("a.nns", "b.nns", "c.nns")]
M = recs("abc.nns")
assert len(M) == 2
for k, (_, m, _) in enumerate(M):
    a, b, c = (r[k][1].astype(np.float64) for r in R)
    want = (((a + b) + c) / 3).astype(np.float32)
    assert m.dtype == np.float32 and np.array_equal(m, want), abs(m - want).max()
PY

# Masks joined (a weight stays where either keeps it), the mean of the
# stored (masked) weights
nn-average ma.nns mb.nns > mab.nns
"$PY" - <<'PY' && ok "masked networks: the masks joined, the stored weights averaged" || not_ok "masks" "see above"
from load import *
A, B, M = recs("ma.nns"), recs("mb.nns"), recs("mab.nns")
assert [n for n, _, _ in M] == ["w", "mask", "w", "mask"], [n for n, _, _ in M]
for k in (0, 2):
    a, b = A[k][1].astype(np.float64), B[k][1].astype(np.float64)
    assert np.array_equal(M[k][1], ((a + b) / 2).astype(np.float32))
    ma, mb = A[k + 1][1], B[k + 1][1]
    assert (ma != mb).any(), "the masks should differ"
    assert np.array_equal(M[k + 1][1], ma | mb)
PY
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
from nns_craft import record
from load import *
open("nomask.nns", "wb").write(b"".join(record(n, a, "".join(f"{k}={v}\n" for k, v in at.items()))
                                        for n, a, at in recs("mb.nns") if n == "w"))
PY
nn-average ma.nns nomask.nns > mixed.nns
"$PY" - <<'PY' && ok "a masked network with an unmasked one: no mask (the union keeps every weight)" || not_ok "mask with none" "see above"
from load import *
assert [n for n, _, _ in recs("mixed.nns")] == ["w", "w"]
PY

# Polynomial units: coefficients averaged; f64 kept; -t f32
nn-average pa.nns pb.nns > pab.nns
nn-average -t f32 pa.nns pb.nns > pab32.nns
"$PY" - <<'PY' && ok "polynomial units: weights and coefficients averaged in f64; -t f32 writes f32" || not_ok "coefficients" "see above"
from load import *
A, B, M, M32 = recs("pa.nns"), recs("pb.nns"), recs("pab.nns"), recs("pab32.nns")
assert [n for n, _, _ in M] == [n for n, _, _ in A] == ["w", "coef", "w"], [n for n, _, _ in M]
for (n, a, _), (_, b, _), (_, m, mt), (_, m32, _) in zip(A, B, M, M32):
    assert m.dtype == np.float64 and np.array_equal(m, (a + b) / 2), n
    assert m32.dtype == np.float32 and np.array_equal(m32, ((a + b) / 2).astype(np.float32)), n
    if n == "w" and mt.get("activation") == "legendre":
        assert mt["degree"] == "3"
PY

# The path from a to b: N networks, checkpoints 0..N-1, t = k/(N-1);
# its ends are a and b bit for bit and its midpoint is nn-average a b
nn-average --path 5 a.nns b.nns > path.nns
nn-average a.nns b.nns > ab.nns
"$PY" - <<'PY' && ok "--path 5: five networks, checkpoint k and t = k/4, (1-t) a + t b; the ends a and b bit for bit, the midpoint nn-average a b" || not_ok "--path" "see above"
from load import *
P = nets("path.nns")
A, B, AB = recs("a.nns"), recs("b.nns"), recs("ab.nns")
assert len(P) == 5, len(P)
for k, net in enumerate(P):
    assert [n for n, _, _ in net] == ["w", "w"]
    for l, (n, p, at) in enumerate(net):
        assert at["checkpoint"] == str(k) and float(at["t"]) == k / 4, at
        t = k / 4
        a, b = A[l][1].astype(np.float64), B[l][1].astype(np.float64)
        assert np.array_equal(p, ((1 - t) * a + t * b).astype(np.float32)), (k, l)
    if k == 0:
        assert all(np.array_equal(p, a) for (_, p, _), (_, a, _) in zip(net, A))
    if k == 4:
        assert all(np.array_equal(p, b) for (_, p, _), (_, b, _) in zip(net, B))
    if k == 2:
        assert all(np.array_equal(p, m) for (_, p, _), (_, m, _) in zip(net, AB))
PY
nn-average --path 4 a.nns b.nns > path4.nns
"$PY" - <<'PY' && ok "--path 4: t written as the shortest decimal that reads back (0, 1/3, 2/3, 1)" || not_ok "--path 4 t" "see above"
from load import *
P = nets("path4.nns")
assert [net[0][2]["t"] for net in P] == ["0", repr(1 / 3), repr(2 / 3), "1"], [net[0][2]["t"] for net in P]
PY

# A stream of networks is read network by network: the mean of the path
# is the midpoint (within rounding), and a stream and files mix
nn-average path.nns > pmean.nns
"$PY" - <<'PY' && ok "the mean of a stream of networks (the path's five): the midpoint within rounding" || not_ok "mean of a stream" "see above"
from load import *
for (_, m, _), (_, p, _) in zip(recs("pmean.nns"), recs("ab.nns")):
    assert np.abs(m - p).max() <= 4 * 2**-24 * np.abs(p).max(), np.abs(m - p).max()
PY
nn-average - b.nns < a.nns > ab.stdin.nns
same "a network from stdin" ab.nns ab.stdin.nns
nn-average -o ab.file.nns a.nns b.nns
same "-o FILE" ab.nns ab.file.nns
nn-average -z a.nns b.nns > ab.z.nns
nn-distance -q ab.nns ab.z.nns | grep -qx 0 && ok "-z: compressed, the same weights" || not_ok "-z" "$(nn-distance ab.nns ab.z.nns 2>&1)"

# Bad input: one line, exit 1, nothing on stdout
nn-init --seed 1 -a tanh 20-31-10 > wide.nns
nn-init --seed 1 -a relu 20-30-10 > relu.nns
fails_clean "different widths" "wide.nns: not the architecture of a.nns: layer 1 is 20-30 against 20-31" nn-average a.nns wide.nns
fails_clean "different activations" "relu.nns: not the architecture of a.nns: layer 1 has tanh units against relu" nn-average a.nns relu.nns
fails_clean "--path: different widths" "wide.nns: not the architecture of a.nns" nn-average --path 3 a.nns wide.nns
fails_clean "a later network of a stream" "path.nns: network 1: not the architecture of wide.nns|path.nns: not the architecture of wide.nns" nn-average wide.nns path.nns
fails_clean "a missing file" "nothere.nns" nn-average a.nns nothere.nns
head -c 1000 b.nns > trunc.nns
fails_clean "a truncated network" "truncated" nn-average a.nns trunc.nns
fails_clean "--path: a truncated network" "truncated" nn-average --path 3 a.nns trunc.nns
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
from nns_craft import record
from load import *
out = b""
for i, (name, a, at) in enumerate(recs("b.nns")):
    if i == 1:
        a = a.copy(); a[3, 4] = np.nan
    out += record(name, a, "".join(f"{k}={v}\n" for k, v in at.items()))
open("nan.nns", "wb").write(out)
big = [(n, a.astype("<f8") * 1e308, at) for n, a, at in recs("a.nns")]
open("big.nns", "wb").write(b"".join(record(n, a, "".join(f"{k}={v}\n" for k, v in at.items())) for n, a, at in big))
PY
fails_clean "NaN weights" "'w' of layer 2 holds NaN \(row 3, column 4" nn-average a.nns nan.nns
fails_clean "a mean beyond f64" "overflows" nn-average big.nns big.nns
: > empty.nns
fails_clean "an empty file" "empty.nns: no layers" nn-average a.nns empty.nns
fails_clean "--path: A holds a stream of networks" "path.nns: holds more than one network" nn-average --path 3 path.nns b.nns

# Usage errors: exit 2
fails_usage "no network" "missing NET" nn-average
fails_usage "--path with one network" "two networks, A and B \(1 given\)" nn-average --path 3 a.nns
fails_usage "--path with three" "two networks, A and B \(3 given\)" nn-average --path 3 a.nns b.nns c.nns
fails_usage "--path 1" "invalid --path '1'" nn-average --path 1 a.nns b.nns
fails_usage "--path x" "invalid --path 'x'" nn-average --path x a.nns b.nns
fails_usage "-t f16" "invalid --dtype 'f16'" nn-average -t f16 a.nns b.nns
fails_usage "stdin twice" "stdin \('-'\) given 2 times" nn-average - -

# nn-reweight: the moving average against NumPy, first and later rounds,
# everything else kept, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
export TOP
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
r = np.random.default_rng(7)
Z = r.standard_normal((50, 4)).astype("<f4"); y = r.integers(0, 3, 50).astype("<i4")
W = r.standard_normal((5, 3))
open("dec.nns", "wb").write(record("w", W, "activation=softmax\n"))
with open("ds.nns", "wb") as f:
    for i, (zp, yp) in enumerate(zip(np.array_split(Z, 3), np.array_split(y, 3))):
        f.write(record("x", zp, flags=2 if i else 0) + record("y", yp, "classes=3\n" if i == 0 else "", flags=2 if i else 0))
    f.write(record("note", np.array(7.0)))
a = W[0] + Z.astype(np.float64) @ W[1:]; p = np.exp(a - a.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
e = ((np.eye(3)[y] - p) ** 2).sum(1)
np.save("d1.npy", 0.3 * 1 + 0.7 * e); np.save("d2.npy", 0.3 * (0.3 + 0.7 * e) + 0.7 * e)
PY
nn-reweight -e 0.3 dec.nns ds.nns > r1.nns
nn-reweight -e 0.3 dec.nns r1.nns > r2.nns
"$PY" - <<'PY' && ok "d = lambda d + (1-lambda)||y - yhat||^2, from 1, then again" || not_ok "moving average" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
for f, want in (("r1.nns", "d1.npy"), ("r2.nns", "d2.npy")):
    t = {n: a for n, a, _ in read(open(f, "rb"))}
    assert sorted(t) == ["d", "note", "x", "y"], sorted(t)
    assert t["d"].dtype == np.float32 and t["d"].shape == (50,)
    assert np.abs(t["d"] - np.load(want)).max() < 1e-5, np.abs(t["d"] - np.load(want)).max()
src = {n: a for n, a, _ in read(open("ds.nns", "rb"))}
out = {n: a for n, a, _ in read(open("r2.nns", "rb"))}
assert (src["x"] == out["x"]).all() and (src["y"] == out["y"]).all() and out["note"] == 7
PY
nn-info -j r1.nns | grep '"name":"y"' | grep -q '"classes":"3"' && ok "the labels keep their attributes" || not_ok "attributes kept" "$(nn-info r1.nns)"
# other names: -n (or --input) for x, -y (or --target) for y, -w for d
nn-pick -r x=z -r y=t -i ds.nns > named.nns
nn-reweight -e 0.3 -n z -y t -w dd dec.nns named.nns | nn-reweight -e 0.3 --input z --target t --weights dd dec.nns |
    nn-pick -r dd=d -r z=x -r t=y > named2.nns
same "-n, -y and -w name the tensors (--input, --target alike)" named2.nns r2.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('x', np.ones((5, 7), '<f4')) + record('y', np.zeros(5, '<i4'), 'classes=3\n'))" > wide.nns
fails_clean "rows of another width than the decision layer" "have 7 values" nn-reweight dec.nns wide.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('x', np.ones((5, 4), '<f4')) + record('y', np.zeros((5, 2), '<f4')))" > y2.nns
fails_clean "targets that do not match the outputs" "2 columns" nn-reweight dec.nns y2.nns
fails_clean "a network that is data" "not part of a network" nn-reweight ds.nns ds.nns
fails_usage "missing DECISION" "missing DECISION" nn-reweight

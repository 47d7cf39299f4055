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
nn-reweight --ema 0.3 dec.nns ds.nns > r1.nns
nn-reweight --ema=0.3 dec.nns r1.nns > r2.nns
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
# other names: -n (--name) for x, -y (--labels) for y, --weights for d
nn-pick -r x=z -r y=t < ds.nns > named.nns
nn-reweight --ema 0.3 -n z -y t --weights dd dec.nns named.nns | nn-reweight --ema 0.3 --name z --labels t --weights dd dec.nns |
    nn-pick -r dd=d -r z=x -r t=y > named2.nns
same "-n, -y and --weights name the tensors (--name, --labels alike)" named2.nns r2.nns
# the old spellings are refused: -e (--epochs elsewhere), -w, --input, --target
fails_usage "the old -e" "invalid option -e" nn-reweight -e 0.3 dec.nns ds.nns
fails_usage "the old -w" "invalid option -w" nn-reweight -w dd dec.nns ds.nns
fails_usage "the old --input" "invalid option '--input'" nn-reweight --input z dec.nns named.nns
fails_usage "the old --target" "invalid option '--target'" nn-reweight -n z --target t dec.nns named.nns
fails_usage "--ema 2" "invalid --ema '2': must be from 0 to 1" nn-reweight --ema 2 dec.nns ds.nns
fails_usage "--ema x" "invalid --ema 'x': not a number" nn-reweight --ema x dec.nns ds.nns
fails_usage "--classes 0" "invalid --classes '0': must be from 1 to 65536" nn-reweight --classes 0 dec.nns ds.nns
nn-reweight -V | grep -q '^nn-reweight (nn tools) ' && ok "-V prints the version" || not_ok "-V" "$(nn-reweight -V 2>&1)"
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

# --- hostile input: names that collide, no rows, NaN, classes= (issue 10)
fails_usage "--weights y: the weights would overwrite the labels" "--weights 'y' names the labels" nn-reweight --weights y dec.nns ds.nns
fails_usage "--weights x: the weights would overwrite the input" "--weights 'x' names the input" nn-reweight --weights x dec.nns ds.nns
fails_usage "--weights t -y t" "--weights 't' names the labels" nn-reweight --weights t -y t dec.nns ds.nns
fails_usage "-n and -y the same tensor" "-n and -y name the same tensor 'x'" nn-reweight -y x dec.nns ds.nns
"$PY" - <<'PY' || not_ok "crafting the hostile streams" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests")
import numpy as np
from nns_craft import record
def write(path, *recs):
    with open(path, "wb") as f:
        for r in recs:
            f.write(r)
write("empty.nns", record("x", np.zeros((0, 4), "<f4"), "source=none\n"),
      record("y", np.zeros(0, "<i4"), "classes=3\n"), record("note", np.array(7.0)))
write("emptyd.nns", record("x", np.zeros((0, 4), "<f4")), record("y", np.zeros(0, "<i4")),
      record("d", np.zeros(0, "<f4")))
write("empty7.nns", record("x", np.zeros((0, 7), "<f4")), record("y", np.zeros(0, "<i4")))
r = np.random.default_rng(8)
x = r.standard_normal((6, 4)).astype("<f4"); y = (np.arange(6) % 3).astype("<i4")
xn = x.copy(); xn[2, 1] = np.nan
write("nanx.nns", record("x", xn), record("y", y))
t = np.eye(3)[y]; t[3, 2] = np.inf
write("inft.nns", record("x", x), record("y", t))
write("bigt.nns", record("x", x), record("y", np.full((6, 3), 1e30)))
d = np.ones(6, "<f4"); d[5] = np.nan
write("nand.nns", record("x", x), record("y", y), record("d", d))
for n, v in (("c0", "0"), ("cten", "ten"), ("c70000", "70000")):
    write(n + ".nns", record("x", x), record("y", y, "classes=%s\n" % v))
# a decision layer whose outputs overflow: softmax of +-inf is NaN
W = np.zeros((5, 3)); W[1] = [1e308, -1e308, 0]
write("huge.nns", record("w", W, "activation=softmax\n"))
write("hugex.nns", record("x", np.full((6, 4), 10, "<f4")), record("y", y))
PY
nn-reweight dec.nns empty.nns > empty.out
"$PY" - <<'PY' && ok "no rows: x, y and d pass with 0 rows" || not_ok "no rows" "see above"
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_read import read
t = {n: (a, at) for n, a, at in read(open("empty.out", "rb"))}
assert sorted(t) == ["d", "note", "x", "y"], sorted(t)
assert t["x"][0].shape == (0, 4) and t["y"][0].shape == (0,) and t["d"][0].shape == (0,), t
assert t["x"][1].get("source") == "none" and t["y"][1].get("classes") == "3"
assert t["d"][0].dtype == "float32" and t["d"][1].get("ema") == "0.2"
PY
nn-reweight dec.nns emptyd.nns > emptyd.out && [ "$(nn-info emptyd.out | grep -c '^d ')" -eq 1 ] &&
    ok "no rows, with weights: d once, 0 rows" || not_ok "no rows with d" "$(nn-info emptyd.out)"
fails_clean "no rows, but of another width" "rows of 'x' have 7 values" nn-reweight dec.nns empty7.nns
fails_clean "NaN in the input" "row 2, column 1 of 'x': nan is not finite" nn-reweight dec.nns nanx.nns
fails_clean "an infinity in the targets" "row 3, column 2 of the targets 'y': inf is not finite" nn-reweight dec.nns inft.nns
fails_clean "NaN in the weights" "row 5, column 0 of the weights 'd': nan is not finite" nn-reweight dec.nns nand.nns
fails_clean "a decision layer whose outputs are NaN" "row 0: huge.nns gives nan in output column 0" nn-reweight huge.nns hugex.nns
fails_clean "a weight beyond f32" "row 0: the weight 2.4e\+60 overflows f32" nn-reweight dec.nns bigt.nns
fails_clean "classes=0 on the labels" "the labels 'y' have classes=0: not a number of classes from 1 to 65536" nn-reweight dec.nns c0.nns
fails_clean "classes=ten on the labels" "the labels 'y' have classes=ten" nn-reweight dec.nns cten.nns
fails_clean "classes=70000 on the labels" "classes=70000: not" nn-reweight dec.nns c70000.nns
check "--classes stands for a bad classes=" nn-reweight --classes 3 dec.nns cten.nns

# Old weights after the rows of x began are not taken up by the row set:
# an error naming them, not a second d reweighted from 1.
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests')
import numpy as np
from nns_craft import record
x = np.arange(40, dtype='<f4').reshape(10, 4) / 40
sys.stdout.buffer.write(record('x', x[:5]) + record('x', x[5:], flags=2) +
    record('y', np.zeros(10, '<i4'), 'classes=3\\n') + record('d', np.full(10, 2, '<f4')))" > late-d.nns
fails_clean "weights after the rows of x began" "weights 'd' come after the rows of x began.*nn-pick --invert d" \
    nn-reweight dec.nns late-d.nns
nn-pick --invert d < late-d.nns > no-d.nns
check "... and without them, reweighted from 1" nn-reweight dec.nns no-d.nns

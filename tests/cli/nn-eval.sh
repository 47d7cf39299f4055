# nn-eval: a case worked by hand, random cases against NumPy (accuracy,
# per-class counts, confusion, MSE, least-squares distances), chunked and
# out-of-step tensors, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"

check "--help" nn-eval --help
check "--version" nn-eval --version
nn-eval -V | grep -q '^nn-eval (nn tools) ' && ok "-V prints the version" || not_ok "-V" "$(nn-eval -V 2>&1)"

# Streams crafted with an independent writer (tests/nns_craft.py).
"$PY" - "$TOP" <<'PY' || not_ok "crafting the test streams" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record

def write(path, *recs):
    with open(path, "wb") as f:
        for r in recs:
            f.write(r)

def chunks(name, a, sizes, attrs=""):
    """a as records of the given row counts, first one starting the tensor."""
    out, i = [], 0
    for n in sizes:
        out.append(record(name, a[i:i + n], attrs if i == 0 else "", flags=2 if i else 0))
        i += n
    assert i == len(a)
    return out

def interleave(*lists):
    out = []
    for i in range(max(len(l) for l in lists)):
        for l in lists:
            if i < len(l):
                out.append(l[i])
    return out

# 6 rows, 3 classes, worked by hand in the man page
p = np.array([[0.9, 0.05, 0.05], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7],
              [0.6, 0.3, 0.1], [0.1, 0.4, 0.5], [0.5, 0.2, 0.3]], "<f8")
y = np.array([0, 1, 2, 0, 1, 2], "<i4")
write("small.nns", *interleave(chunks("x", p, [4, 2]), chunks("y", y, [3, 3], "classes=3\n")))
# ties go to the lowest index
write("ties.nns", record("x", np.array([[0.5, 0.5, 0], [0.2, 0.4, 0.4], [1, 1, 1]], "<f4")),
      record("y", np.array([0, 1, 2], "u1")))
# one column: a threshold
write("binary.nns", record("x", np.array([[0.2], [0.5], [0.7], [0.49]], "<f4")),
      record("y", np.array([0, 1, 1, 1], "<i8")))
write("binaryf.nns", record("x", np.array([0.2, 0.5, 0.7, 0.49], "<f4")),
      record("y", np.array([[0], [1], [1], [1]], "<f4")))
# a NaN prediction
write("nan.nns", record("x", np.array([[0.9, 0.1], [np.nan, 0.5], [0.3, 0.7]], "<f4")),
      record("y", np.array([0, 1, 1], "<i4")))

# random classification: x in chunks of 700, y in chunks of 1100
g = np.random.default_rng(5)
m, k = 5000, 7
p = g.standard_normal((m, k)).astype("<f4")
y = g.integers(0, k, m).astype("u1")
write("rand.nns", *interleave(chunks("x", p, [700] * 7 + [100]),
                              chunks("y", y, [1100] * 4 + [600])))
oh = np.eye(k, dtype="<f4")[y]
write("rand1h.nns", *interleave(chunks("y", oh, [1000] * 5), chunks("x", p, [2500] * 2)))
# all of x, then all of y
write("xfirst.nns", *chunks("x", p, [1000] * 5), *chunks("y", y, [1000] * 5))
np.save("rand_p.npy", p); np.save("rand_y.npy", y)

# regression targets
t = g.standard_normal((3000, 3))
q = (t + 0.1 * g.standard_normal((3000, 3))).astype("<f4")
write("regr.nns", *interleave(chunks("x", q, [1000] * 3), chunks("y", t, [1500] * 2)))
np.save("regr_q.npy", q); np.save("regr_t.npy", t)

# representations z1 (f32), z2 (f64), z3 (u8) with index labels, 4 classes,
# and float targets; in chunks as nn-forward --all writes them
m = 4000
z1 = g.standard_normal((m, 5)).astype("<f4")
z2 = np.tanh(g.standard_normal((m, 12)))
z3 = g.integers(0, 4, (m, 3)).astype("u1")
lab = (np.argmax(z1[:, :4] + 0.8 * g.standard_normal((m, 4)), 1)).astype("<i4")
tg = np.stack([z2[:, 0] ** 2, np.sin(z1[:, 1])], 1)
zs = [chunks("z1", z1, [800] * 5), chunks("z2", z2, [800] * 5), chunks("z3", z3, [800] * 5)]
write("reps.nns", *interleave(*zs, chunks("y", lab, [800] * 5, "classes=4\n")))
write("repsnc.nns", *interleave(*zs, chunks("y", lab, [800] * 5)))
write("repst.nns", *interleave(*zs, chunks("y", tg, [800] * 5)))
# with predictions too
pr = g.standard_normal((m, 4)).astype("<f4")
write("repsx.nns", *interleave(chunks("x", pr, [1000] * 4), *zs, chunks("y", lab, [800] * 5)))
# targets that are an exact affine function of z2
M = g.standard_normal((12, 3))
exact = z2 @ M + np.array([1.0, -2.0, 0.5])
write("exact.nns", *interleave(chunks("z2", z2, [800] * 5), chunks("y", exact, [1000] * 4)))
for n, a in [("z1", z1), ("z2", z2), ("z3", z3), ("lab", lab), ("tg", tg), ("pr", pr)]:
    np.save(n + ".npy", a)

# bad input
write("noy.nns", record("x", p[:10]))
write("nox.nns", record("y", y[:10]))
write("uneven.nns", record("x", p[:10]), record("y", y[:9]))
write("range.nns", record("x", p[:10]), record("y", np.array([0] * 9 + [7], "<i4")))
write("neg.nns", record("x", p[:10]), record("y", np.array([0] * 9 + [-1], "<i4")))
write("range1.nns", record("x", p[:3, :1]), record("y", np.array([0, 1, 2], "<i4")))
write("width.nns", record("x", p[:10, :4]), record("y", t[:10]))
write("floatidx.nns", record("x", p[:10, :3]), record("y", np.arange(10, dtype="<f4") % 3))
write("classes.nns", record("x", p[:10]), record("y", y[:10], "classes=10\n"))
write("empty.nns", record("x", p[:0]), record("y", y[:0]))
write("scalar.nns", record("x", p[:10]), record("y", np.array(3, "<i4")))
write("nocols.nns", record("x", np.zeros((10, 0), "<f4")), record("y", y[:10]))
write("garbage.nns", b"this is not a stream at all, not even close, as anyone can see.\n" * 4)
write("checksum.nns", record("x", p[:10]), record("y", y[:10], phash=12345))
PY

# --- the case worked by hand
nn-eval small.nns > small.txt
cat > small.want <<'EOF'
rows 6
accuracy 66.67% (4/6)
class  count  correct  accuracy
    0      2        2   100.00%
    1      2        1    50.00%
    2      2        1    50.00%
confusion (rows: true class, columns: predicted class)
       0  1  2
    0  2  0  0
    1  0  1  1
    2  1  0  1
mse 0.121944
nll 0.631045
EOF
same "6 rows, 3 classes: report worked by hand (nll: the mean of -ln 0.9, 0.5, 0.7, 0.6, 0.4, 0.3)" small.want small.txt
nn-eval -j small.nns > small.json
"$PY" - <<'PY' && ok "6 rows, 3 classes: JSON worked by hand" || not_ok "small JSON" "$(cat small.json)"
import json
j = json.load(open("small.json"))
assert j["rows"] == 6 and j["correct"] == 4 and j["classes"] == 3
assert j["task"] == "classification" and "nan_rows" not in j
assert abs(j["accuracy"] - 4 / 6) < 1e-15
assert [c["count"] for c in j["per_class"]] == [2, 2, 2]
assert [c["correct"] for c in j["per_class"]] == [2, 1, 1]
assert [c["accuracy"] for c in j["per_class"]] == [1, 0.5, 0.5]
import math
assert abs(j["nll"] + sum(map(math.log, [0.9, 0.5, 0.7, 0.6, 0.4, 0.3])) / 6) < 1e-12, j["nll"]
assert j["confusion"] == [[2, 0, 0], [0, 1, 1], [1, 0, 1]]
assert abs(j["mse"] - 2.195 / 18) < 1e-15, j["mse"]
PY
[ "$(nn-eval -q small.nns)" = "66.67" ] && ok "-q prints the accuracy alone" || not_ok "-q" "$(nn-eval -q small.nns)"
nn-eval < small.nns > small2.txt
same "standard input" small.txt small2.txt
nn-pick -r x=p -r y=t < small.nns | nn-eval -n p -y t > small3.txt
same "-n and -y name the tensors" small.txt small3.txt
nn-pick -r x=p -r y=t < small.nns | nn-eval --pred p --labels t > small4.txt
same "--pred (an alias of --name) and --labels alike" small.txt small4.txt
fails_usage "the old -p" "invalid option -p" nn-eval -p x small.nns
nn-eval -j ties.nns > ties.json
"$PY" -c 'import json; j = json.load(open("ties.json")); assert j["confusion"] == [[1,0,0],[0,1,0],[1,0,0]], j' \
    && ok "ties go to the lowest index" || not_ok "ties" "$(cat ties.json)"

# --- one column: threshold
[ "$(nn-eval -q binary.nns)" = "75.00" ] && ok "one column: prediction >= 0.5 is class 1" || not_ok "threshold" "$(nn-eval binary.nns)"
[ "$(nn-eval -q --threshold 0.6 binary.nns)" = "50.00" ] && ok "--threshold 0.6" || not_ok "--threshold" "$(nn-eval --threshold 0.6 binary.nns)"
fails_usage "the old -t (threshold)" "invalid option -t" nn-eval -q -t 0.6 binary.nns
nn-eval -j binary.nns > bin.json
nn-eval -j binaryf.nns > binf.json
"$PY" - <<'PY' && ok "one column: MSE against the 0/1 label; float 0/1 labels are classes" || not_ok "binary" "see above"
import json
for f in ("bin.json", "binf.json"):
    j = json.load(open(f))
    assert j["classes"] == 2 and j["correct"] == 3, j
    assert j["confusion"] == [[1, 0], [1, 2]], j
    want = ((0.2 - 0) ** 2 + (0.5 - 1) ** 2 + (0.7 - 1) ** 2 + (0.49 - 1) ** 2) / 4
    assert abs(j["mse"] - want) < 1e-7, (j["mse"], want)
PY

# --- NaN predictions (a diverged network) have no class and no error: an
# error naming the row, not an accuracy or "mse nan"
fails_clean "a NaN prediction" "row 1, column 0 of the predictions 'x': nan is not finite" nn-eval nan.nns
fails_clean "a NaN prediction, -q" "row 1, column 0 of the predictions 'x'" nn-eval -q nan.nns
fails_clean "a NaN prediction, --regression" "row 1, column 0 of the predictions 'x'" nn-eval --regression nan.nns

# --- random cases against NumPy
nn-eval -j rand.nns > rand.json
nn-eval -j rand1h.nns > rand1h.json
nn-eval -j xfirst.nns > xfirst.json
"$PY" - <<'PY' && ok "random 5000x7, chunks out of step, and one-hot labels: all numbers equal NumPy's" || not_ok "random vs NumPy" "see above"
import json
import numpy as np
p = np.load("rand_p.npy").astype(np.float64); y = np.load("rand_y.npy")
pred = p.argmax(1)
conf = np.zeros((7, 7), int)
np.add.at(conf, (y, pred), 1)
mse = ((p - np.eye(7)[y]) ** 2).mean()
for f in ("rand.json", "rand1h.json", "xfirst.json"):
    j = json.load(open(f))
    assert j["rows"] == 5000 and j["classes"] == 7, f
    assert j["correct"] == (pred == y).sum(), (f, j["correct"])
    assert j["confusion"] == conf.tolist(), f
    assert [c["count"] for c in j["per_class"]] == np.bincount(y, minlength=7).tolist()
    assert [c["correct"] for c in j["per_class"]] == conf.diagonal().tolist()
    assert abs(j["mse"] - mse) < 1e-12 * mse, (j["mse"], mse)
PY

# --- regression
nn-eval -j regr.nns > regr.json
"$PY" - <<'PY' && ok "regression targets: MSE only, equal to NumPy's" || not_ok "regression" "$(cat regr.json)"
import json
import numpy as np
j = json.load(open("regr.json"))
q = np.load("regr_q.npy").astype(np.float64); t = np.load("regr_t.npy")
assert j["task"] == "regression" and "accuracy" not in j and j["rows"] == 3000, j
assert abs(j["mse"] - ((q - t) ** 2).mean()) < 1e-12, j["mse"]
PY
nn-eval regr.nns > regr.txt
printf 'rows 3000\nmse %s\n' "$(nn-eval -q regr.nns)" > regr.want
same "regression report: rows and mse" regr.want regr.txt
nn-eval --regression -j rand.nns > randr.json
"$PY" - <<'PY' && ok "--regression: index labels scored by MSE only" || not_ok "--regression" "see above"
import json
a, b = json.load(open("randr.json")), json.load(open("rand.json"))
assert a["task"] == "regression" and "accuracy" not in a and a["mse"] == b["mse"], a
PY

# --- least-squares distances against NumPy
nn-eval -j --lsd 'z*' reps.nns > lsd.json
nn-eval -j --lsd 'z*' repsnc.nns > lsdnc.json
nn-eval -j --lsd z1 --lsd 'z[23]' repst.nns > lsdt.json
nn-eval -j --lsd 'z*' repsx.nns > lsdx.json
nn-eval -j --lsd z2 exact.nns > exact.json
"$PY" - <<'PY' && ok "LSD of three tensors (f32, f64, u8) to one-hot and float targets equals NumPy's lstsq" || not_ok "LSD vs NumPy" "see above"
import json
import numpy as np
z = {n: np.load(n + ".npy").astype(np.float64) for n in ("z1", "z2", "z3")}
lab, tg, pr = np.load("lab.npy"), np.load("tg.npy"), np.load("pr.npy").astype(np.float64)
def lsd(Z, Y):
    A = np.hstack([np.ones((len(Z), 1)), Z])
    b = np.linalg.lstsq(A, Y, rcond=None)[0]
    return ((Y - A @ b) ** 2).sum() / len(Z)
Y = np.eye(4)[lab]
for f in ("lsd.json", "lsdnc.json"):
    j = json.load(open(f))
    assert list(j["lsd"]) == ["z1", "z2", "z3"] and "accuracy" not in j and j["rows"] == 4000, j
    for n in z:
        w = lsd(z[n], Y)
        assert abs(j["lsd"][n] - w) < 1e-10 * w, (f, n, j["lsd"][n], w)
j = json.load(open("lsdt.json"))
assert list(j["lsd"]) == ["z1", "z2", "z3"], j
for n in z:
    w = lsd(z[n], tg)
    assert abs(j["lsd"][n] - w) < 1e-10 * w, (n, j["lsd"][n], w)
j = json.load(open("lsdx.json"))
assert j["correct"] == (pr.argmax(1) == lab).sum() and j["classes"] == 4, j
assert abs(j["lsd"]["z2"] - lsd(z["z2"], Y)) < 1e-10
assert json.load(open("exact.json"))["lsd"]["z2"] < 1e-20
PY
nn-eval -q --lsd z2 --lsd z1 reps.nns > q.txt
[ "$(wc -l < q.txt)" -eq 2 ] && [ "$(nn-eval --lsd z2 reps.nns | grep -c '^lsd z2 ')" -eq 1 ] \
    && ok "-q with --lsd alone: one distance a line; report lines 'lsd NAME value'" || not_ok "lsd -q" "$(cat q.txt)"
[ "$(nn-eval --lsd 'z*' reps.nns | head -1)" = "rows 4000" ] && ! nn-eval --lsd 'z*' reps.nns | grep -q accuracy \
    && ok "without predictions, only the distances" || not_ok "lsd only" "$(nn-eval --lsd 'z*' reps.nns)"

# --- bad input
fails_clean "no labels" "no tensor named 'y'" nn-eval noy.nns
fails_clean "no predictions" "no tensor named 'x'" nn-eval nox.nns
fails_clean "rows differ" "'y' ends after 9 rows, 'x' has 10" nn-eval uneven.nns
fails_clean "label out of range" "row 9: label 7 is out of range for 7" nn-eval range.nns
fails_clean "negative label" "row 9: label -1 is negative" nn-eval neg.nns
fails_clean "label 2 for one column" "label 2 is out of range for 1 prediction column" nn-eval range1.nns
fails_clean "targets of another width" "4 columns, the targets 'y' 3" nn-eval width.nns
fails_clean "float class indices" "integer tensor" nn-eval floatidx.nns
fails_clean "classes= disagrees" "classes=10" nn-eval classes.nns
fails_clean "no rows" "no rows" nn-eval empty.nns
fails_clean "labels of rank 0" "rank 0" nn-eval scalar.nns
fails_clean "predictions without columns" "no columns" nn-eval nocols.nns
fails_clean "garbage" "bad magic" nn-eval garbage.nns
fails_clean "corrupt payload" "checksum" nn-eval checksum.nns
head -c 3000 rand.nns > trunc.nns
fails_clean "truncated stream" "truncated" nn-eval trunc.nns
fails_clean "truncated stream on stdin" "truncated" nn-eval < trunc.nns
fails_clean "a glob matching nothing" "no tensor matches 'q\*'" nn-eval --lsd 'q*' reps.nns
fails_clean "a missing --lsd tensor" "no tensor named 'z9'" nn-eval --lsd z9 reps.nns
fails_clean "missing file" "nosuch.nns" nn-eval nosuch.nns
fails_usage "-j and -q" "exclude" nn-eval -j -q small.nns
fails_usage "bad threshold" "invalid --threshold 'abc': not a number" nn-eval --threshold abc small.nns
fails_usage "two files" "extra operand" nn-eval small.nns small.nns
fails_usage "unknown option" "invalid option|unrecognized" nn-eval --bogus small.nns

# --- with the other tools: toy data, pass-through, cat of two sets
nn-toy --samples 3000 --seed 4 --onehot spirals > sp.nns
nn-toy --samples 3000 --seed 4 spirals > spi.nns
nn-eval -j -n y -y y sp.nns > self.json
"$PY" -c 'import json; j = json.load(open("self.json")); assert j["accuracy"] == 1 and j["mse"] == 0, j' \
    && ok "one-hot labels against themselves: 100%, MSE 0" || not_ok "self" "$(cat self.json)"
cat spi.nns spi.nns > twice.nns
[ "$(nn-eval -q --lsd x twice.nns)" = "$(nn-eval -q --lsd x spi.nns)" ] && \
    [ "$(nn-eval -j --lsd x twice.nns | grep -o '"rows":[0-9]*')" = '"rows":6000' ] \
    && ok "cat of two data sets is one data set" || not_ok "cat" "$(nn-eval -j twice.nns)"

# --- hostile input: attributes, NaN, option counts (issue 10)
"$PY" - "$TOP" <<'PY' || not_ok "crafting the hostile streams" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
def write(path, *recs):
    with open(path, "wb") as f:
        for r in recs:
            f.write(r)
g = np.random.default_rng(11)
p = g.random((10, 3)).astype("<f4")
y = (np.arange(10) % 3).astype("<i4")
z = g.standard_normal((10, 2)).astype("<f4")
for n, v in (("c0", "0"), ("cten", "ten"), ("cneg", "-3"), ("cbig", "50000000"),
             ("c65537", "65537"), ("cpad", "0" * 38 + "3x")):
    write(n + ".nns", record("x", p), record("y", y, "classes=%s\n" % v), record("z", z))
write("c65536.nns", record("z", z), record("y", y, "classes=65536\n"))
oh = np.eye(3, dtype="<f4")[y]
oh[4, 1] = np.nan
write("nantarget.nns", record("x", p), record("y", oh))
t = g.standard_normal((10, 3)).astype("<f8"); t[6, 2] = np.inf
write("inftarget.nns", record("x", p), record("y", t))
q = p.copy(); q[7, 0] = np.inf
write("infpred.nns", record("x", q), record("y", y))
zn = z.copy(); zn[8, 1] = np.nan
write("nanz.nns", record("x", p), record("y", y), record("z", zn))
# labels 0 and 65535 only: two classes present among 65536
lab = np.where(np.arange(1000) % 3 == 0, 65535, 0).astype("<u2")
zz = (g.standard_normal((1000, 3)) + (lab == 0)[:, None]).astype("<f4")
write("sparse.nns", record("z", zz), record("y", lab, "classes=65536\n"))
write("sparsenc.nns", record("z", zz), record("y", lab))
np.save("sparse_z.npy", zz); np.save("sparse_y.npy", lab)
PY
fails_clean "classes=0 on the labels" "the labels 'y' have classes=0: not a number of classes from 1 to 65536" nn-eval c0.nns
fails_clean "classes=ten on the labels" "the labels 'y' have classes=ten: not a number" nn-eval cten.nns
fails_clean "classes=-3 on the labels" "classes=-3: not a number" nn-eval cneg.nns
fails_clean "classes=ten with --lsd alone" "the labels 'y' have classes=ten" nn-eval --lsd z cten.nns
fails_clean "classes=50000000: beyond the limit" "classes=50000000: not a number of classes from 1 to 65536" nn-eval cbig.nns
fails_clean "classes=65537: beyond the limit" "classes=65537: not" nn-eval --lsd z c65537.nns
fails_clean "a classes= value padded past any valid one" "classes=0+3\.\.\.: not" nn-eval cpad.nns
check "classes=65536 is taken" nn-eval --lsd z c65536.nns
nn-eval -j --lsd z sparse.nns > sparse.json && nn-eval -j --lsd z sparsenc.nns > sparsenc.json
"$PY" - <<'PY' && ok "LSD with labels 0 and 65535 of classes=65536: the classes present only, = NumPy" || not_ok "sparse classes" "$(cat sparse.json)"
import json
import numpy as np
z, y = np.load("sparse_z.npy").astype(np.float64), np.load("sparse_y.npy")
A = np.hstack([np.ones((len(z), 1)), z]); Y = np.stack([y == 0, y == 65535], 1).astype(float)
w = ((Y - A @ np.linalg.lstsq(A, Y, rcond=None)[0]) ** 2).sum() / len(z)
for f in ("sparse.json", "sparsenc.json"):
    v = json.load(open(f))["lsd"]["z"]
    assert abs(v - w) < 1e-10 * w, (f, v, w)
PY
"$PY" - "$TOP" <<'PY' || not_ok "crafting manyc.nns" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
g = np.random.default_rng(12)
lab = g.integers(0, 6000, 9000).astype("<i4")
z = (g.standard_normal((9000, 3)) + 0.01 * lab[:, None]).astype("<f4")
open("manyc.nns", "wb").write(record("z", z) + record("y", lab))
np.save("manyc_z.npy", z); np.save("manyc_y.npy", lab)
PY
nn-eval -j --lsd z manyc.nns > manyc.json
"$PY" - <<'PY' && ok "LSD to some 4700 classes present (two groups of classes) = the closed form" || not_ok "many classes" "$(cat manyc.json)"
import numpy as np
z, y = np.load("manyc_z.npy").astype(np.float64), np.load("manyc_y.npy")
A = np.hstack([np.ones((len(z), 1)), z])
assert len(np.unique(y)) > 4096
B = np.zeros((4, 6000)); np.add.at(B.T, y, A)
w = (len(z) - np.trace(B.T @ np.linalg.solve(A.T @ A, B))) / len(z)
import json
v = json.load(open("manyc.json"))["lsd"]["z"]
assert abs(v - w) < 1e-10 * w, (v, w)
PY
fails_clean "NaN in one-hot targets" "row 4, column 1 of the targets 'y': nan is not finite" nn-eval nantarget.nns
fails_clean "NaN in one-hot targets, --lsd alone" "row 4, column 1 of the targets 'y': nan" nn-eval --lsd x nantarget.nns
fails_clean "an infinity in regression targets" "row 6, column 2 of the targets 'y': inf is not finite" nn-eval inftarget.nns
fails_clean "an infinity in the predictions" "row 7, column 0 of the predictions 'x': inf is not finite" nn-eval infpred.nns
fails_clean "NaN in an --lsd tensor" "row 8, column 1 of 'z': nan is not finite" nn-eval --lsd z nanz.nns
i=0; set --
while [ $i -lt 65 ]; do set -- "$@" --lsd "z$i"; i=$((i + 1)); done
fails_usage "65 --lsd tensors" "at most 64 tensors" nn-eval "$@" small.nns
i=0; set --
while [ $i -lt 63 ]; do set -- "$@" --lsd "z$i"; i=$((i + 1)); done
fails_usage "63 --lsd tensors, the labels and the predictions" "at most 64 tensors" nn-eval "$@" --lsd z1 small.nns
fails_clean "64 tensors in all is not a usage error" "no tensor named 'z0'" nn-eval "$@" -n y small.nns
fails_usage "the old -l (lsd)" "invalid option -l" nn-eval -l z1 small.nns

# A decompression bomb: 16 KB of zstd frames holding 512 MiB of
# predictions (2^23 rows of 16 zeros) after their labels.  The rows are
# decoded in pieces: peak memory stays tens of MB (checked without ASan,
# whose own memory would hide it).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record, zeros_frame
rows = 1 << 23
x = record("x", None, flags=1, dims=(rows, 16), dtype=9, payload=zeros_frame(rows * 64))
y = record("y", None, flags=1, dims=(rows,), dtype=1, attrs="classes=16\n",
           payload=zeros_frame(rows))
open("bomb.nns", "wb").write(y + x)
PY
bounded "512 MiB of predictions in a 16 KB stream" bomb.out nn-eval -q bomb.nns
grep -qx '100.00' bomb.out && ok "... all of them evaluated" ||
    not_ok "512 MiB of predictions in a 16 KB stream, evaluated" "$(head -c 300 bomb.out)"

# The outputs of a stream of networks (nn-forward with several): a row
# per network, each as NumPy scores that network's part; one part prints
# the report as before.
cat > parts.py <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
def parts(f):
    """(checkpoint, t, x, y) of each part, split where x's checkpoint changes"""
    out = []
    for n, a, at in read(open(f, "rb")):
        if n == "x":
            out.append([at["checkpoint"], at.get("t"), a, None])
        elif n == "y":
            out[-1][3] = a
    return out
def score(x, y):
    x = x.astype(np.float64)
    acc = (x.argmax(1) == y).mean()
    mse = ((x - np.eye(x.shape[1])[y])**2).mean()
    return acc, mse
def nll(x, y):
    x = x.astype(np.float64)
    return -np.log(x[np.arange(len(y)), y]).mean()
PY
export TOP
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
r = np.random.default_rng(7)
x = r.standard_normal((900, 20)).astype("<f4")
y = r.integers(0, 4, 900).astype("<i4")
# chunks of 400 rows, x and y interleaved
recs = []
for i in range(0, 900, 400):
    f = 2 if i else 0
    recs += [record("x", x[i:i + 400], "" if i else "source=test\n", flags=f),
             record("y", y[i:i + 400], "" if i else "classes=4\n", flags=f)]
open("d20.nns", "wb").write(b"".join(recs))
PY
nn-init --seed 5 -a tanh -O softmax 20-16-4 > ea.nns
nn-init --seed 6 -a tanh -O softmax 20-16-4 > eb.nns
nn-average --path 5 ea.nns eb.nns | nn-forward - d20.nns > p5.nns
nn-eval p5.nns > p5.txt
nn-eval -q p5.nns > p5.q
nn-eval -j p5.nns > p5.json
"$PY" - <<'PY' && ok "five networks: a table, -q and -j a row per network, as NumPy scores each part" || not_ok "five networks" "$(cat p5.txt)"
from parts import *
import json
P = parts("p5.nns")
assert len(P) == 5
txt = open("p5.txt").read().split("\n")
assert txt[0].split() == ["checkpoint", "t", "rows", "accuracy", "mse", "nll"], txt[0]
assert txt[-1] == "" and len(txt) == 7, txt
q = open("p5.q").read().split()
J = [json.loads(l) for l in open("p5.json")]
for k, (ck, t, x, y) in enumerate(P):
    acc, mse = score(x, y)
    row = txt[k + 1].split()
    assert row[0] == ck == str(k) and float(row[1]) == float(t) == k / 4, row
    assert row[2] == "900" and row[3] == "%.2f%%" % (100 * acc), (row, acc)
    assert abs(float(row[4]) - mse) <= 1e-5 * mse, (row, mse)
    assert abs(float(row[5]) - nll(x, y)) <= 1e-5 * nll(x, y), (row, nll(x, y))
    assert q[k] == "%.2f" % (100 * acc), (q[k], acc)
    j = J[k]
    assert j["checkpoint"] == k and j["t"] == k / 4 and j["rows"] == 900, j
    assert j["task"] == "classification" and j["classes"] == 4
    assert j["correct"] == round(acc * 900) and abs(j["mse"] - mse) < 1e-12, (j, mse)
    assert abs(j["nll"] - nll(x, y)) < 1e-6 * nll(x, y), (j, nll(x, y))
PY
# each part alone, cut out by the Python reader, scores as its row says
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
from parts import *
for k, (ck, t, x, y) in enumerate(parts("p5.nns")):
    open(f"part{k}.nns", "wb").write(record("x", x) + record("y", y, "classes=4\n"))
PY
for k in 0 1 2 3 4; do nn-eval -j part$k.nns; done > alone.json
"$PY" - <<'PY' && ok "... and each part alone gives the same numbers" || not_ok "parts alone" "see above"
import json
J = [json.loads(l) for l in open("p5.json")]
A = [json.loads(l) for l in open("alone.json")]
for j, a in zip(J, A):
    for key in ("rows", "correct", "accuracy", "mse"):
        assert j[key] == a[key], (key, j, a)
PY
nn-average --path 3 ea.nns eb.nns | nn-forward -A - d20.nns | nn-eval --lsd 'z*' > lsd3.txt
nn-forward -A ea.nns d20.nns | nn-eval -q --lsd 'z*' > lsd.ea
"$PY" - <<'PY' && ok "--lsd over three networks: a column per tensor, the first row as the first network alone" || not_ok "--lsd over parts" "$(cat lsd3.txt)"
rows = [l.split() for l in open("lsd3.txt")]
assert rows[0] == ["checkpoint", "t", "rows", "lsd:z0", "lsd:z1", "lsd:z2"], rows[0]
assert len(rows) == 4 and rows[1][3:] == open("lsd.ea").read().split(), (rows, open("lsd.ea").read())
assert rows[1][3] == rows[2][3] == rows[3][3], "z0 is the input in every part"
PY

# One part keeps the report exactly, with or without a checkpoint; a
# record without the attribute stays in its part
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
from parts import *
P = parts("p5.nns")
x0, y0, x1, y1 = P[0][2], P[0][3], P[1][2], P[1][3]
open("one.nns", "wb").write(record("x", x0) + record("y", y0, "classes=4\n"))
open("one.ck.nns", "wb").write(record("x", x0, "checkpoint=7\nt=0.5\n") + record("y", y0, "classes=4\ncheckpoint=7\n"))
# y without the attribute: it stays in the part of the x before it
open("two.nock.nns", "wb").write(record("x", x0, "checkpoint=a\n") + record("y", y0, "classes=4\n") +
                                 record("x", x1, "checkpoint=b\n") + record("y", y1, "classes=4\n"))
PY
nn-eval one.nns > one.txt
nn-eval one.ck.nns > one.ck.txt
same "one part with a checkpoint: the report as without" one.txt one.ck.txt
grep -q '^confusion' one.ck.txt && ok "... the full report (per class, confusion)" || not_ok "one part: full report" "$(cat one.ck.txt)"
nn-eval -q two.nock.nns > two.q
[ "$(sed -n 1p two.q)" = "$(sed -n 1p p5.q)" ] && [ "$(sed -n 2p two.q)" = "$(sed -n 2p p5.q)" ] && [ "$(wc -l < two.q)" -eq 2 ] &&
    ok "records without a checkpoint stay in the part before them; checkpoints as text (a, b)" || not_ok "parts by text" "$(cat two.q)"
cat part0.nns part1.nns | nn-eval -q > cat.q
[ "$(wc -l < cat.q)" -eq 1 ] && ok "cat of two outputs without checkpoints: one data set, as before" || not_ok "cat without checkpoints" "$(cat cat.q)"

# Errors in a later part: its checkpoint named, stdout empty; the input's
# own errors (truncation) as the reader gives them, offsets of the stream
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
from parts import *
P = parts("p5.nns")
out = b""
for k, (ck, t, x, y) in enumerate(P[:3]):
    if k == 2:
        x = x.copy(); x[5, 1] = np.nan
    out += record("x", x, f"checkpoint={ck}\n") + record("y", y, f"classes=4\ncheckpoint={ck}\n")
open("nan2.nns", "wb").write(out)
PY
fails_clean "NaN in the third part" "checkpoint 2 \(rows, records and bytes counted from its start\): nan2.nns: row 5, column 1 of the predictions .x.: nan is not finite" nn-eval nan2.nns
head -c 60000 p5.nns > p5.cut
want=$(nn-info p5.cut 2>&1 >/dev/null | sed 's/^nn-info: //')
fails_clean "a truncated stream of parts" "$(printf '%s' "$want" | sed 's/[][()]/\\&/g')" nn-eval p5.cut
fails_clean "-n of a tensor the parts lack" "checkpoint 0: p5.nns: no tensor named 'q'" nn-eval -n q p5.nns
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
z = np.ones((4, 3), "<f4"); y = np.arange(4, dtype="<i4") % 2
open("otherz.nns", "wb").write(record("z1", z, "checkpoint=0\n") + record("y", y) +
                               record("z2", z, "checkpoint=1\n") + record("y", y))
PY
fails_clean "parts with other --lsd tensors" "otherz.nns: checkpoint 1: other tensors for --lsd than checkpoint 0" nn-eval --lsd 'z*' otherz.nns

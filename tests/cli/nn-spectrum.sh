# nn-spectrum: weight spectra against NumPy's SVD and the definitions in
# the man page; the Hessian's top eigenvalues, trace and density against
# its exact eigenvalues (LAPACK on the matrix built from products); one
# layer's Hessian against the block of the whole; PCA against NumPy's
# covariance; streams of networks; JSON; bad input.  The Hessian itself
# against PyTorch is hessian-torch.sh; the metrics' power-law fit against
# an independent reference is wspec-ref.sh.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1

nn-init -t f64 -a tanh -O softmax -s 2 6-5-3 > small.nns
nn-init -t f64 -s 4 64-48-10 > wide.nns
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
g = np.random.default_rng(3)
x = g.standard_normal((40, 6)); y = (np.arange(40) % 3).astype(np.uint8)
open("d.nns", "wb").write(record("x", x) + record("y", y, attrs="classes=3\n"))
x = g.standard_normal((300, 64)); y = (np.arange(300) % 10).astype(np.uint8)
open("d64.nns", "wb").write(record("x", x) + record("y", y, attrs="classes=10\n"))
PY

# ---- weights
check "weights of a 64-48-10 network" sh -c 'nn-spectrum --esd --shuffled wide.nns > w.nns'
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
net = [a for n, a, at in read(open("wide.nns", "rb")) if n == "w"]
recs = list(read(open("w.nns", "rb")))
tab = [(a, at) for n, a, at in recs if n == "weights"][0]
cols = tab[1]["columns"].split(",")
esd = [a for n, a, at in recs if n == "esd"]
bad = []
for l, w in enumerate(net):
    W = np.asarray(w, np.float64)[1:]
    lam = np.sort(np.linalg.svd(W, compute_uv=False) ** 2)
    row = dict(zip(cols, tab[0][l]))
    want = {"rows": W.shape[0], "cols": W.shape[1],
            "log_norm": np.log10(lam.sum()),
            "log_spectral_norm": np.log10(lam.max()),
            "stable_rank": lam.sum() / lam.max()}
    for k, v in want.items():
        if abs(row[k] - v) > 1e-10 * max(1, abs(v)):
            bad.append(f"layer {l+1} {k} {row[k]} != {v}")
    if np.max(np.abs(esd[l] - lam)) > 1e-10 * lam.max():
        bad.append(f"layer {l+1} esd")
    if not (1 < row["alpha"] < 50 and 0 <= row["D"] <= 1):
        bad.append(f"layer {l+1} alpha {row['alpha']} D {row['D']}")
    if "rand_alpha" not in row:
        bad.append("no rand_alpha")
bad and print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "per layer: the ESD equals NumPy's squared singular values, log_norm, log_spectral_norm, stable_rank by their definitions, shuffled columns present"
else not_ok "weight metrics against NumPy" "see above"; fi

# ---- the Hessian of a small network: every estimate against the exact one
nn-spectrum --hessian exact --matrix small.nns d.nns > ex.nns
nn-spectrum --hessian top --steps 53 --top 3 small.nns d.nns > top.nns
nn-spectrum --hessian trace --probes 3000 small.nns d.nns > tr.nns
nn-spectrum --hessian density --steps 53 --probes 300 small.nns d.nns > de.nns
nn-spectrum --hessian top,trace --steps 12 --probes 5 -b 7 --memory 2K small.nns d.nns > st.nns
nn-spectrum --hessian exact --layer 2 small.nns d.nns > l2.nns
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def recs(p):
    return {n: (a, at) for n, a, at in read(open(p, "rb"))}
def row(p):
    r = recs(p)["hessian"]
    return dict(zip(r[1]["columns"].split(","), np.asarray(r[0]).ravel()))
ex, H = recs("ex.nns"), recs("ex.nns")["hessian_matrix"][0]
w = np.linalg.eigvalsh(H)
bad = []
if H.shape != (53, 53) or np.max(np.abs(w - ex["hessian_eigenvalues"][0])) > 1e-12 * np.abs(w).max():
    bad.append("exact eigenvalues")
# top: 53 steps in 53 dimensions give every eigenvalue
t = row("top.nns")
for i in range(3):
    if abs(t[f"top_{i+1}"] - w[-1 - i]) > 1e-8 * abs(w).max():
        bad.append(f"top_{i+1} {t[f'top_{i+1}']} != {w[-1-i]}")
# trace: Hutchinson within 4 standard errors, and the exact trace
r = row("tr.nns"); e = row("ex.nns")
if abs(r["trace"] - np.trace(H)) > 4 * r["trace_sem"] or abs(e["exact_trace"] - np.trace(H)) > 1e-12 * abs(np.trace(H)):
    bad.append(f"trace {r['trace']} +- {r['trace_sem']} vs {np.trace(H)}")
# density: full-length Lanczos puts the nodes on the eigenvalues; weights
# average to about 1/53 each; the negative mass near the share below 0
d = recs("de.nns"); slq = d["slq"][0]; den = d["density"][0]
if np.max(np.min(np.abs(slq[:, :1] - w[None, :]), axis=1)) > 1e-7 * abs(w).max():
    bad.append("slq nodes are not eigenvalues")
integral = np.sum(den[:, 1]) * (den[1, 0] - den[0, 0])
if abs(integral - 1) > 1e-3 or abs(slq[:, 1].sum() - 1) > 1e-9:
    bad.append(f"density integrates to {integral}")
dd = row("de.nns")
if abs(dd["negative_mass"] - np.mean(w < 0)) > 0.06:
    bad.append(f"negative mass {dd['negative_mass']} vs {np.mean(w < 0)}")
# the grid is symmetric about 0
if abs(den[0, 0] + den[-1, 0]) > 1e-12 * abs(den[0, 0]):
    bad.append("grid not symmetric")
# blocks of 7 rows, none kept: the same loss and gradient, top_1 near
s = row("st.nns")
if abs(s["loss"] - e["loss"]) > 1e-12 * e["loss"] or abs(s["grad_norm2"] - e["grad_norm2"]) > 1e-10 * e["grad_norm2"]:
    bad.append("blocks read again change the loss")
if abs(s["top_1"] - w[-1]) > max(s["top_1_resid"], 1e-9) + 1e-9:
    bad.append(f"12 steps: top_1 {s['top_1']} (bound {s['top_1_resid']}) vs {w[-1]}")
# layer 2 alone: the trailing diagonal block (18 parameters: 6 x 3)
l2 = recs("l2.nns")["hessian_eigenvalues"][0]
wb = np.linalg.eigvalsh(H[35:, 35:])
if len(l2) != 18 or np.max(np.abs(l2 - wb)) > 1e-12 * abs(wb).max():
    bad.append("layer 2's Hessian is not the block")
bad and print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "a 6-5-3 network (53 parameters)'s Hessian: Lanczos top 3, Hutchinson's trace (3000 vectors, within 4 s.e.), SLQ's nodes, weights and density, blocks read again, and --layer 2 against the exact eigenvalues"
else not_ok "Hessian estimates against the exact Hessian" "see above"; fi

# ---- --precision f32: single-precision products against the f64 ones
for p in f64 f32; do
    nn-spectrum --precision $p --hessian exact small.nns d.nns > ex$p.nns
    nn-spectrum --precision $p --hessian top,density --steps 60 --probes 3 \
        --top 3 wide.nns d64.nns > de$p.nns
done
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def recs(p):
    return {n: (a, at) for n, a, at in read(open(p, "rb"))}
def row(p):
    r = recs(p)["hessian"]
    return dict(zip(r[1]["columns"].split(","), np.asarray(r[0]).ravel())), r[1]
bad = []
# the exact Hessian of 6-5-3 (53 products): eigenvalues within 1e-6 of
# the largest |eigenvalue| (measured 4e-8)
a = recs("exf64.nns")["hessian_eigenvalues"][0]
b = recs("exf32.nns")["hessian_eigenvalues"][0]
if np.max(np.abs(a - b)) > 1e-6 * np.abs(a).max():
    bad.append(f"exact eigenvalues {np.max(np.abs(a - b)) / np.abs(a).max():.2g}")
# 64-48-10 (3130 parameters), the same seeded vectors: the loss, the
# gradient, the top 3 Ritz values and SLQ's nodes within 1e-6 of top_1,
# the density within 1e-5 in L1 (measured at most 3e-8 and 4.5e-8); not
# equal either, since the products are in single precision
r64, _ = row("def64.nns"); r32, at = row("def32.nns")
scale = abs(r64["top_1"])
for k in ("top_1", "top_2", "top_3", "slq_min", "slq_max"):
    if abs(r64[k] - r32[k]) > 1e-6 * scale:
        bad.append(f"{k} {r32[k]} vs {r64[k]}")
for k in ("loss", "grad_norm2"):
    if abs(r64[k] - r32[k]) > 1e-6 * abs(r64[k]):
        bad.append(f"{k} {r32[k]} vs {r64[k]}")
s64 = np.sort(recs("def64.nns")["slq"][0][:, 0])
s32 = np.sort(recs("def32.nns")["slq"][0][:, 0])
if s64.shape != s32.shape or np.max(np.abs(s64 - s32)) > 1e-6 * scale:
    bad.append("slq nodes")
d64 = recs("def64.nns")["density"][0]; d32 = recs("def32.nns")["density"][0]
l1 = np.sum(np.abs(d64[:, 1] - d32[:, 1])) * (d64[1, 0] - d64[0, 0])
if l1 > 1e-5:
    bad.append(f"density L1 {l1}")
if r64["top_1"] == r32["top_1"] or at.get("precision") != "f32" or \
        "precision" in row("def64.nns")[1]:
    bad.append("f32 equals f64, or the precision attribute")
bad and print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "--precision f32 against f64: the exact Hessian's eigenvalues of 6-5-3, and top 3, SLQ's nodes and density of 64-48-10 (within 1e-6 of the largest; L1 1e-5), precision=f32 on the record"
else not_ok "--precision f32 against f64" "see above"; fi

# ---- PCA of the input and of the first layer's outputs
nn-spectrum --pca 0 wide.nns d64.nns > p0.nns && nn-spectrum --pca 1 wide.nns d64.nns > p1.nns
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def get(p, name):
    return [a for n, a, at in read(open(p, "rb")) if n == name]
x = get("d64.nns", "x")[0]; w = np.asarray(get("wide.nns", "w")[0], np.float64)
h = np.maximum(w[0] + x @ w[1:], 0)
bad = []
for p, z in (("p0.nns", x), ("p1.nns", h)):
    want = np.sort(np.linalg.eigvalsh(np.cov(z.T)))[::-1]
    got = get(p, "pca")[0]
    if np.max(np.abs(got - want)) > 1e-9 * want[0]:
        bad.append(p)
sys.exit(1 if bad else 0)
PY
then ok "--pca 0 and 1: the covariance's eigenvalues of the input and of the ReLU outputs equal NumPy's"
else not_ok "--pca against NumPy" "differ"; fi

# ---- a stream of networks: one set of records per checkpoint
nn-train -e 3 -b 10 -t f64 --trajectory traj.nns small.nns d.nns > /dev/null
nn-spectrum --hessian top --steps 10 traj.nns d.nns > trs.nns
n=$(nn-info trs.nns | grep -c '^hessian ')
w=$(nn-info trs.nns | grep -c '^weights ')
c=$(nn-info trs.nns | grep -c 'checkpoint=3 columns=rows,params')
[ "$n" = 3 ] && [ "$w" = 3 ] && [ "$c" = 1 ] && ok "a trajectory of 3 networks gives 3 weights and 3 hessian records, by checkpoint" \
    || not_ok "a trajectory" "hessian records $n, weights $w, checkpoint 3: $c"
nn-spectrum -j --hessian top --steps 5 small.nns d.nns > j.txt
if "$PY" -c '
import json, sys
rows = [json.loads(l) for l in open("j.txt")]
ok = any(r["record"] == "hessian" and "top_1" in r for r in rows) and \
     sum(r["record"] == "weights" for r in rows) == 2
sys.exit(0 if ok else 1)'
then ok "-j: JSON lines, one object per row, columns by name"
else not_ok "-j" "$(head -c 300 j.txt)"; fi

# ---- bad input: one line, exit 1, empty stdout, no output file
nn-init -s 1 5-4-2 > other.nns
fails_clean "data of other widths" "6|5" nn-spectrum --hessian top --steps 3 other.nns d.nns
fails_clean "more Lanczos steps than parameters" "more Lanczos steps than the 53" nn-spectrum --hessian top --steps 54 small.nns d.nns
fails_clean "xent on an identity output" "softmax" nn-spectrum --objective xent --hessian top --steps 3 wide.nns d64.nns
fails_clean "--layer beyond the network" "2 layers" nn-spectrum --hessian top --layer 3 small.nns d.nns
fails_clean "--pca beyond the network" "2 layers" nn-spectrum --pca 3 small.nns d.nns
head -c 300 small.nns > trunc.nns
fails_clean "a truncated network" "trunc|short|end" nn-spectrum trunc.nns
fails_clean "an empty stream" "no network" nn-spectrum /dev/null
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
w = np.ones((7, 5)); w[3, 2] = np.nan
open("nan.nns", "wb").write(record("w", w, attrs="activation=tanh\n") +
                            record("w", np.ones((6, 3)), attrs="activation=softmax\n"))
x = np.ones((4, 6)); x[1, 1] = np.nan
open("nanx.nns", "wb").write(record("x", x) + record("y", np.zeros(4, np.uint8), attrs="classes=3\n"))
PY
fails_clean "NaN weights" "NaN|not finite" nn-spectrum nan.nns
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
open("empty.nns", "wb").write(record("w", np.ones((7, 5)), attrs="activation=tanh\n") +
                              record("w", np.ones((6, 0)), attrs="activation=softmax\n"))
PY
fails_clean "an empty layer" "empty|layer 2" nn-spectrum empty.nns
fails_clean "NaN in the data" "NaN|not finite" nn-spectrum --hessian top --steps 3 small.nns nanx.nns
nn-spectrum -o out.nns --hessian top --steps 54 small.nns d.nns 2>/dev/null
[ ! -e out.nns ] && ok "-o: no file left when it fails" || not_ok "-o on failure" "out.nns exists"
fails_usage "--hessian without DATA" "needs DATA" nn-spectrum --hessian top small.nns
fails_usage "--hessian of an unknown kind" "hessian" nn-spectrum --hessian eigen small.nns d.nns
fails_usage "--steps 0" "steps" nn-spectrum --steps 0 small.nns d.nns
fails_usage "--matrix without exact" "exact" nn-spectrum --hessian top --matrix small.nns d.nns
fails_usage "--precision f16" "precision" nn-spectrum --precision f16 --hessian top small.nns d.nns
fails_usage "--precision f32 without --hessian" "goes with --hessian" nn-spectrum --precision f32 small.nns

# a layer narrower than WeightWatcher's min_evals (10): no power law, for
# it and for its pooled shuffles (nearly equal values gave alpha 1e16)
nn-init -s 1 40-30-1 | nn-spectrum --shuffled | nn-export -f csv -n weights --header > narrow.csv
if awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $1 == 1 && ($c["alpha"] == "nan" || $c["rand_alpha"] == "nan") { bad = 1 }
    $1 == 2 && ($c["alpha"] != "nan" || $c["rand_alpha"] != "nan") { bad = 1 }
    END { exit bad }' narrow.csv
then ok "a 30x1 layer: alpha and rand_alpha NaN (fewer than 10 eigenvalues); the 40x30 layer has both"
else not_ok "a narrow layer's power law" "$(cat narrow.csv)"; fi

# nn-distance: known answers (a network against itself, its negation,
# an independent one), every number against NumPy on the weights read by
# the Python reader, masks, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
export TOP

check "--help" nn-distance --help
nn-distance -V | grep -q '^nn-distance (nn tools) ' && ok "-V prints the version" || not_ok "-V" "$(nn-distance -V 2>&1)"

nn-init --seed 1 -a tanh 20-30-10 > a.nns
nn-init --seed 2 -a tanh 20-30-10 > b.nns
nn-init --seed 3 --scheme bandlimited -a tanh 20-30-10 > c.nns   # non-zero biases
nn-init --seed 1 -p 0.5 -a tanh 20-30-10 > ma.nns
nn-init --seed 2 -p 0.5 -a tanh 20-30-10 > mb.nns
nn-init --seed 1 784-512-512-10 > w1.nns
nn-init --seed 2 784-512-512-10 > w2.nns
# -A: the weights negated, the attributes kept (an independent writer)
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests"); sys.path.insert(0, os.environ["TOP"] + "/examples")
from nns_craft import record
from nns_read import read
out = b""
for name, a, at in read(open("c.nns", "rb")):
    out += record(name, -a, "".join(f"{k}={v}\n" for k, v in at.items()))
open("negc.nns", "wb").write(out)
PY

# A network against itself: 0, 0, 1 everywhere
nn-distance -j a.nns a.nns > self.json
"$PY" - <<'PY' && ok "a network against itself: phi 0, euclidean 0, cosine 1, every layer" || not_ok "against itself" "$(cat self.json)"
import json
d = json.load(open("self.json"))
for t in d["layers"] + [d["all"]]:
    assert t["phi"] == 0 and t["euclidean"] == 0 and abs(t["cosine"] - 1) < 1e-15, t
assert [t["shape"] for t in d["layers"]] == [[21, 30], [31, 10]], d
assert d["all"]["weights"] == 21 * 30 + 31 * 10 and d["bias"] is True
PY
[ "$(nn-distance -q a.nns a.nns)" = 0 ] && ok "-q: 0 for a network against itself" || not_ok "-q self" "$(nn-distance -q a.nns a.nns)"

# Against its negation: sum (W+W')^2 = 0, so phi is infinite (null in
# JSON), the cosine -1
nn-distance -j c.nns negc.nns > neg.json
"$PY" - <<'PY' && ok "against its negation: phi inf (null), euclidean 2|W|, cosine -1" || not_ok "negation" "$(cat neg.json)"
import os, sys, json; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
W = [a.astype(np.float64) for n, a, _ in read(open("c.nns", "rb")) if n == "w"]
d = json.load(open("neg.json"))
norms = [2 * np.linalg.norm(w) for w in W] + [2 * np.sqrt(sum((w**2).sum() for w in W))]
for t, n in zip(d["layers"] + [d["all"]], norms):
    assert t["phi"] is None and abs(t["cosine"] + 1) < 1e-15, t
    assert abs(t["euclidean"] - n) < 1e-12 * n, (t, n)
PY
nn-distance c.nns negc.nns > neg.txt
[ "$(awk '$1 == "all" { print $4 }' neg.txt)" = inf ] && ok "... printed as inf in the table" || not_ok "inf in the table" "$(cat neg.txt)"
[ "$(nn-distance -q c.nns negc.nns)" = inf ] && ok "... and by -q" || not_ok "-q inf" "$(nn-distance -q c.nns negc.nns)"

# Two independent random networks of width 512: phi close to 1 in every
# layer (the expected value is 1 for independent zero-mean weights)
nn-distance -j w1.nns w2.nns > w.json
"$PY" - <<'PY' && ok "independent random 784-512-512-10: phi within 0.02 of 1, cosine within 0.01 of 0" || not_ok "random phi" "$(cat w.json)"
import json
d = json.load(open("w.json"))
for t in d["layers"] + [d["all"]]:
    assert abs(t["phi"] - 1) < 0.02 and abs(t["cosine"]) < 0.01, t
PY

# Every number against NumPy, with and without the biases, masked too
for pair in "a.nns b.nns" "c.nns b.nns" "ma.nns mb.nns" "a.nns c.nns"; do
    set -- $pair
    nn-distance -j "$1" "$2" > d.json
    nn-distance -j --no-bias "$1" "$2" > nb.json
    "$PY" - "$1" "$2" <<'PY' && ok "$1 against $2: phi, euclidean and cosine as NumPy computes them (with and without biases)" || not_ok "$1 $2 against NumPy" "see above"
import os, sys, json; sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_read import read
def ws(f):
    return [a.astype(np.float64) for n, a, _ in read(open(f, "rb")) if n == "w"]
A, B = ws(sys.argv[1]), ws(sys.argv[2])
for fname, skip in (("d.json", 0), ("nb.json", 1)):
    d = json.load(open(fname))
    assert d["bias"] is (skip == 0)
    def want(a, b):
        return dict(weights=a.size, phi=((a - b)**2).sum() / ((a + b)**2).sum(),
                    euclidean=np.sqrt(((a - b)**2).sum()),
                    cosine=a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    a_s = [a[skip:].ravel() for a in A]
    b_s = [b[skip:].ravel() for b in B]
    ref = [want(a, b) for a, b in zip(a_s, b_s)]
    ref.append(want(np.concatenate(a_s), np.concatenate(b_s)))
    got = d["layers"] + [d["all"]]
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g["weights"] == r["weights"], (g, r)
        for k in ("phi", "euclidean", "cosine"):
            err = abs(g[k] - r[k]) / max(1e-300, abs(r[k]))
            assert err < 1e-12, (fname, k, g[k], r[k], err)
PY
done

# The first layer's weights exported by nn-export -f npy give the same
# first-layer numbers
nn-export -n w -f npy a.nns > a1.npy
nn-export -n w -f npy b.nns > b1.npy
nn-distance -j a.nns b.nns > ab.json
"$PY" - <<'PY' && ok "layer 1 against the weights nn-export writes" || not_ok "layer 1 via nn-export" "see above"
import json
import numpy as np
a, b = np.load("a1.npy").astype(np.float64), np.load("b1.npy").astype(np.float64)
l = json.load(open("ab.json"))["layers"][0]
assert abs(l["phi"] - ((a - b)**2).sum() / ((a + b)**2).sum()) < 1e-12 * l["phi"]
assert abs(l["euclidean"] - np.linalg.norm(a - b)) < 1e-12 * l["euclidean"]
PY

# Symmetric, -q is the total phi, the table has a row per layer and all,
# stdin for one of the two
nn-distance -j b.nns a.nns > ba.json
"$PY" -c "
import json
p, q = json.load(open('ab.json')), json.load(open('ba.json'))
for s, t in zip(p['layers'] + [p['all']], q['layers'] + [q['all']]):
    for k in ('phi', 'euclidean', 'cosine'):
        assert abs(s[k] - t[k]) <= 1e-15 * abs(s[k]), (k, s[k], t[k])
" && ok "d(A,B) = d(B,A)" || not_ok "symmetric" "see above"
q=$(nn-distance -q a.nns b.nns)
"$PY" -c "import json; assert '%.6g' % json.load(open('ab.json'))['all']['phi'] == '$q'" && ok "-q prints the total phi ($q)" || not_ok "-q" "$q"
nn-distance a.nns b.nns > ab.txt
[ "$(wc -l < ab.txt)" -eq 4 ] && head -1 ab.txt | grep -q '^layer  *shape  *weights  *phi  *euclidean  *cosine$' &&
    [ "$(awk 'NR == 4 { print $1 }' ab.txt)" = all ] && ok "the table: a header, a row per layer, a row for all" || not_ok "table" "$(cat ab.txt)"
nn-distance - b.nns < a.nns > stdin.txt
same "A from stdin" ab.txt stdin.txt

# Bad input: one line, exit 1, nothing on stdout
nn-init --seed 1 -a tanh 20-31-10 > wide.nns
nn-init --seed 1 -a relu 20-30-10 > relu.nns
nn-init --seed 1 -a tanh 20-30 > short.nns
fails_clean "different widths" "wide.nns: not the architecture of a.nns: layer 1 is 20-30 against 20-31" nn-distance a.nns wide.nns
fails_clean "different depths" "not the architecture of a.nns: 2 layers against 1" nn-distance a.nns short.nns
fails_clean "different activations" "layer 1 has tanh units against relu" nn-distance a.nns relu.nns
fails_clean "a missing file" "nothere.nns" nn-distance a.nns nothere.nns
head -c 1000 b.nns > trunc.nns
fails_clean "a truncated network" "truncated" nn-distance a.nns trunc.nns
"$PY" - <<'PY'
import os, sys; sys.path.insert(0, os.environ["TOP"] + "/tests"); sys.path.insert(0, os.environ["TOP"] + "/examples")
import numpy as np
from nns_craft import record
from nns_read import read
out = b""
for i, (name, a, at) in enumerate(read(open("b.nns", "rb"))):
    if i == 1:
        a = a.copy(); a[3, 4] = np.nan
    out += record(name, a, "".join(f"{k}={v}\n" for k, v in at.items()))
open("nan.nns", "wb").write(out)
open("data.nns", "wb").write(record("x", np.ones((3, 20), "<f4")))
PY
fails_clean "NaN weights" "'w' of layer 2 holds NaN \(row 3, column 4" nn-distance a.nns nan.nns
: > empty.nns
fails_clean "an empty file" "no layers" nn-distance empty.nns a.nns
fails_clean "data instead of a network" "'x' is not part of a network" nn-distance data.nns a.nns
nn-average --path 2 a.nns b.nns > two.nns
fails_clean "a stream of networks" "holds a stream of networks" nn-distance two.nns a.nns

# Usage errors: exit 2
fails_usage "one network" "two networks needed" nn-distance a.nns
fails_usage "three networks" "extra operand 'c.nns'" nn-distance a.nns b.nns c.nns
fails_usage "both from stdin" "both be stdin" nn-distance - -
fails_usage "-j with -q" "exclude each other" nn-distance -j -q a.nns b.nns
fails_usage "an unknown option" "invalid option" nn-distance --bias a.nns b.nns

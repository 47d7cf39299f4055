# nn-toy: the three problems against NumPy recomputations, determinism,
# chunking, edge cases and bad options.
. "$(dirname "$0")/../lib.sh"
cd "$T"

check "--help" nn-toy --help
check "--version" nn-toy --version
check "-V" sh -c 'nn-toy -V | grep -q "^nn-toy (nn tools) "'

# determinism
nn-toy --samples 3000 --seed 7 spirals > a.nns
nn-toy --samples 3000 --seed 7 spirals > b.nns
nn-toy --samples 3000 --seed 8 spirals > c.nns
nn-toy --samples 3000 --seed 7 -o d.nns spirals
nn-toy --samples 3000 -s 7 spirals > e.nns
same "the same seed gives the same bytes" a.nns b.nns
same "-o FILE writes what stdout gets" a.nns d.nns
same "-s is --seed" a.nns e.nns
if cmp -s a.nns c.nns; then not_ok "another seed gives other bytes" "identical"
else ok "another seed gives other bytes"; fi
# the generator's own known answer: the first sine points of seed 42 are
# fixed for ever (nn_rng, tests/ref/rng_ref.py), whatever the machine
nn-toy --samples 3 --seed 42 sine > s42.nns
"$PY" - "$TOP" <<'PY' && ok "sine x of seed 42 from the documented generator" || not_ok "seed 42" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
x = read(open("s42.nns", "rb"))[0][1][:, 0]
u = np.array([0.08386297105988216, 0.3789802506626686, 0.6800434110281394])
assert np.array_equal(x, (2 * u - 1).astype(np.float32)), x
PY

nn-toy --samples 2001 sine > sine.nns
nn-toy --samples 2001 --seed 3 spirals > spirals.nns
nn-toy --samples 20000 --seed 5 checkerboard > board.nns
nn-toy --samples 2001 --seed 3 --onehot spirals > spirals1h.nns
nn-toy --samples 20000 --seed 5 --noise 0.05 checkerboard > boardn.nns
"$PY" - "$TOP" <<'PY' && ok "sine: shapes, y = sin(2 pi x) within 1e-6, x in [-1,1)" || not_ok "sine" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
t = read(open("sine.nns", "rb"))
assert [n for n, _, _ in t] == ["x", "y"], [n for n, _, _ in t]
x, y = t[0][1], t[1][1]
assert x.dtype == np.float32 and x.shape == (2001, 1), (x.dtype, x.shape)
assert y.dtype == np.float32 and y.shape == (2001, 1), (y.dtype, y.shape)
d = np.abs(y.astype(np.float64) - np.sin(2 * np.pi * x.astype(np.float64))).max()
assert d < 1e-6, d
assert x.min() >= -1 and x.max() < 1 and x.min() < -0.99 and x.max() > 0.99
assert abs(x.mean()) < 0.05 and len(np.unique(x)) == 2001
a = t[0][2]
assert a["problem"] == "sine" and a["seed"] == "1" and a["producer"].startswith("nn-toy"), a
assert "classes" not in t[1][2]
PY
"$PY" - "$TOP" <<'PY' && ok "spirals: points on r = t, angle 3 pi t (class 1 negated), balanced" || not_ok "spirals" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
t = read(open("spirals.nns", "rb"))
x, y = t[0][1].astype(np.float64), t[1][1]
assert t[0][1].shape == (2001, 2) and t[0][1].dtype == np.float32
assert y.shape == (2001,) and y.dtype == np.int32
assert list(y[:4]) == [0, 1, 0, 1] and (y == 0).sum() == 1001 and (y == 1).sum() == 1000
p = np.where(y[:, None] == 1, -x, x)          # class 1 turned back
r = np.hypot(p[:, 0], p[:, 1])
assert r.min() > 0 and r.max() <= 1 + 1e-6, (r.min(), r.max())
want = np.stack([r * np.cos(3 * np.pi * r), r * np.sin(3 * np.pi * r)], 1)
d = np.abs(p - want).max()
assert d < 1e-5, d
assert np.abs(x).max() <= 1
a = t[1][2]
assert a["classes"] == "2" and a["encoding"] == "index" and a["seed"] == "3", a
t1 = read(open("spirals1h.nns", "rb"))
assert np.array_equal(t1[0][1], t[0][1])
oh = t1[1][1]
assert oh.dtype == np.float32 and oh.shape == (2001, 2)
assert np.array_equal(oh, np.eye(2, dtype=np.float32)[y])
assert t1[1][2]["encoding"] == "onehot"
PY
"$PY" - "$TOP" <<'PY' && ok "checkerboard: labels recomputed by NumPy, every square, about balanced, noise" || not_ok "checkerboard" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
t = read(open("board.nns", "rb"))
x, y = t[0][1], t[1][1]
assert x.shape == (20000, 2) and y.shape == (20000,) and y.dtype == np.int32
assert x.min() >= -0.5 and x.max() <= 0.5
sq = np.minimum(np.floor((x.astype(np.float64) + 0.5) * 8), 7).astype(int)
assert np.array_equal(y, (sq[:, 0] + sq[:, 1]) % 2)
assert abs((y == 1).mean() - 0.5) < 0.02
# every one of the 64 squares is hit
assert len(np.unique(sq[:, 0] * 8 + sq[:, 1])) == 64
n = read(open("boardn.nns", "rb"))
assert np.array_equal(n[1][1], y), "noise must not change the labels"
d = n[0][1].astype(np.float64) - x
assert abs(d.std() - 0.05) < 0.002 and abs(d.mean()) < 0.002, (d.std(), d.mean())
assert n[0][2]["noise"] == "0.05", n[0][2]
PY

# chunks: x and y interleaved, about 1 MiB each
nn-toy --samples 300000 --seed 2 checkerboard > big.nns
nn-info --records -j big.nns > big.json
"$PY" - <<'PY' && ok "300000 rows: x and y chunks interleaved, near 1 MiB" || not_ok "chunks" "see above"
import json
r = [json.loads(l) for l in open("big.json")]
names = [x["name"] for x in r]
assert names == ["x", "y"] * (len(r) // 2) and len(r) >= 4, names
assert [x["cont"] for x in r[::2]] == [False] + [True] * (len(r) // 2 - 1)
assert sum(x["shape"][0] for x in r[::2]) == 300000
assert all(x["shape"][0] == y["shape"][0] for x, y in zip(r[::2], r[1::2]))
assert 0.5 * 2**20 < r[0]["shape"][0] * 8 <= 2**20 * 1.01, r[0]["shape"]
PY
nn-toy --samples 300000 --seed 2 -z checkerboard > bigz.nns
nn-cat -d bigz.nns > bigd.nns
same "-z: compressed, same content" big.nns bigd.nns

# edge cases
nn-toy --samples 1 spirals > one.nns
nn-toy --samples 0 spirals > zero.nns
"$PY" - "$TOP" <<'PY' && ok "N=1 gives one row; N=0 an empty data set" || not_ok "edge cases" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
from nns_read import read
t = read(open("one.nns", "rb"))
assert t[0][1].shape == (1, 2) and t[1][1].shape == (1,) and t[1][1][0] == 0
t = read(open("zero.nns", "rb"))
assert t[0][1].shape == (0, 2) and t[1][1].shape == (0,), t
PY

# bad options
fails_usage "no problem" "missing problem" nn-toy
fails_usage "unknown problem" "unknown problem 'moons'" nn-toy moons
fails_usage "two problems" "extra operand" nn-toy sine spirals
fails_usage "negative --samples" "invalid --samples '-5': not a whole number \\(negative\\)" nn-toy --samples -5 sine
fails_usage "--samples not a number" "invalid --samples 'ten': not a whole number" nn-toy --samples ten sine
fails_usage "--samples over 2^40" "invalid --samples '1099511627777': must be from 0 to 1099511627776" nn-toy --samples 1099511627777 sine
fails_usage "bad seed" "invalid --seed 'x': not a whole number" nn-toy --seed x sine
fails_usage "bad -s" "invalid --seed '-1'" nn-toy -s -1 sine
fails_usage "negative noise" "invalid --noise '-1': must be at least 0" nn-toy --noise -1 sine
fails_usage "infinite noise" "invalid --noise 'inf': not a number" nn-toy --noise inf sine
# the old spellings: -n (now --samples; -n is --name, which nn-toy lacks)
fails_usage "-n is no longer the sample count" "invalid option -n" nn-toy -n 5 sine
fails_usage "--onehot with sine" "onehot" nn-toy --onehot sine
fails_usage "bad zstd level" "" nn-toy -z99 sine
fails_usage "unknown option" "invalid option|unrecognized" nn-toy --bogus sine
fails_clean "unwritable -o" "nosuchdir" nn-toy -o nosuchdir/x.nns sine

# nn-standardize: fitted statistics against NumPy, application to another
# set, pass-through of other records, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }
craft random x 1000 7 1 > train.nns
craft random x 300 7 2 > test.nns

check "fit writes statistics" nn-standardize --fit -o stats.nns train.nns
check "-V" sh -c 'nn-standardize -V | grep -q "^nn-standardize (nn tools) "'
nn-standardize --stats stats.nns test.nns > test.std.nns
nn-standardize --center --stats stats.nns test.nns > test.c.nns
"$PY" - "$TOP" <<'PY' && ok "mean/std and applied values match NumPy" || not_ok "values match NumPy" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
t = {n: a for n, a, _ in read(open("stats.nns", "rb"))}
x = read(open("train.nns", "rb"))[0][1].astype(np.float64)
y = read(open("test.nns", "rb"))[0][1].astype(np.float64)
assert np.allclose(t["mean"], x.mean(0), rtol=0, atol=1e-14), "mean"
assert np.allclose(t["std"], x.std(0), rtol=1e-13), "std"
z = read(open("test.std.nns", "rb"))[0][1]
assert z.dtype == np.float32
want = (y - x.mean(0)) / x.std(0)
assert np.abs(z - want).max() < 1e-5, np.abs(z - want).max()
c = read(open("test.c.nns", "rb"))[0][1]
assert np.abs(c - (y - x.mean(0))).max() < 1e-6
PY

# a dataset in chunks: y passes through verbatim and the chunks stay chunks
craft dataset > ds.nns
nn-standardize --fit ds.nns > ds.stats
nn-standardize --stats ds.stats ds.nns > ds.std.nns
nn-info --records -j ds.std.nns > recs.json
"$PY" - <<'PY' && ok "chunked x standardized, y untouched, chunking kept" || not_ok "chunked dataset" "see above"
import json
r = [json.loads(l) for l in open("recs.json")]
assert [x["name"] for x in r] == ["x", "y", "x", "y"], r
assert [x["cont"] for x in r] == [False, False, True, True]
assert abs(r[0]["mean"] + r[2]["mean"]) < 1e-6      # symmetric around 0
assert r[1]["min"] == 0 and r[1]["max"] == 1 and r[1]["dtype"] == "i32"
PY
"$PY" - <<'PY' && ok "records other than x are copied byte for byte" || not_ok "verbatim copy" "y differs"
def recs(f):
    import struct
    b = open(f, "rb").read(); i = 0; out = []
    while i < len(b):
        hlen, = struct.unpack_from("<I", b, i + 8); plen, = struct.unpack_from("<Q", b, i + 16)
        out.append(b[i:i + hlen + plen]); i += hlen + plen
    return out
a, b = recs("ds.nns"), recs("ds.std.nns")
assert a[1] == b[1] and a[3] == b[3]
PY

# a constant feature is only centered, never divided by zero
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests')
from nns_craft import record
import numpy as np
x = np.ones((10, 3), '<f4'); x[:, 1] = np.arange(10)
sys.stdout.buffer.write(record('x', x))" > const.nns
nn-standardize --fit const.nns > const.stats
nn-standardize --stats const.stats const.nns | nn-info -j > const.json
"$PY" -c "
import json; r = json.loads(open('const.json').read())
assert r['nan'] == 0 and r['inf'] == 0, r" && ok "constant feature: no NaN or Inf" || not_ok "constant feature" "NaN or Inf"

fails_usage "no --fit or --stats is a usage error" "exactly one" nn-standardize train.nns
fails_usage "--fit and --stats together" "exactly one" nn-standardize --fit --stats stats.nns train.nns
# the old spellings are refused: -s is --seed, -e --epochs, -c nn-export's --count
fails_usage "-s FILE is now --stats FILE" "invalid option -s" nn-standardize -s stats.nns test.nns
fails_usage "-c is now --center" "invalid option -c" nn-standardize -c --stats stats.nns test.nns
fails_usage "-e E is now --eps E" "invalid option -e" nn-standardize -e 1 --stats stats.nns test.nns
fails_usage "--eps not a number" "invalid --eps 'x': not a number" nn-standardize --eps x --stats stats.nns test.nns
fails_usage "negative --eps" "invalid --eps '-1': must be at least 0" nn-standardize --eps -1 --stats stats.nns test.nns
fails_usage "--dtype not a float type" "invalid --dtype 'i32': expected f32 or f64" nn-standardize -t i32 --stats stats.nns test.nns
nn-standardize --eps 1e300 --stats stats.nns test.nns > test.e.nns
"$PY" - "$TOP" <<'PY' && ok "--eps above every std: only centred" || not_ok "--eps" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
e, c = read(open("test.e.nns", "rb"))[0], read(open("test.c.nns", "rb"))[0]
assert np.array_equal(e[1], c[1]) and e[2]["standardized"] == "z" and c[2]["standardized"] == "center"
PY
craft random x 10 5 3 > five.nns
fails_clean "rows of another width" "statistics" nn-standardize --stats stats.nns five.nns
fails_clean "no tensor of that name" "no tensor named 'q'" nn-standardize --fit -n q train.nns
fails_clean "stats file without mean/std" "not a statistics file" nn-standardize --stats train.nns test.nns
craft checksum > bad.nns
fails_clean "corrupt input" "checksum" nn-standardize --fit bad.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('std', np.ones(2)) + record('mean', np.zeros(3000)))" > lopsided.stats
fails_clean "std and mean of different sizes, std first" "'mean' has 3000 values, 'std' 2" nn-standardize --stats lopsided.stats train.nns
craft orphan > orphan.nns
fails_clean "--fit checks the chunks" "continues no tensor" nn-standardize --fit orphan.nns
head -c 100 train.nns > trunc.nns
fails_clean "truncated input" "truncated" nn-standardize --stats stats.nns trunc.nns
fails_clean "no partial -o file" "truncated" nn-standardize --stats stats.nns -o out.nns trunc.nns
[ ! -e out.nns ] && [ -z "$(ls out.nns.tmp* 2>/dev/null)" ] && ok "no output file left behind" || not_ok "no output file left behind" "$(ls)"

# --- hostile input: NaN in the data fitted, broken statistics (issue 10)
"$PY" - "$TOP" <<'PY' || not_ok "crafting the hostile streams" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
g = np.random.default_rng(9)
x = g.standard_normal((20, 4)).astype("<f4")
xn = x.copy(); xn[13, 2] = np.nan
# NaN in the second record of the tensor: rows count on from the first
open("nanfit.nns", "wb").write(record("x", xn[:10]) + record("x", xn[10:], flags=2))
xi = x.astype("<f8"); xi[3, 0] = -np.inf
open("inffit.nns", "wb").write(record("x", xi))
big = np.zeros((4, 3)); big[:, 1] = 1.7e308
open("bigmean.nns", "wb").write(record("x", big))
spread = np.zeros((4, 3)); spread[:, 2] = [1e308, -1e308, 1e308, -1e308]
open("bigstd.nns", "wb").write(record("x", spread))
def stats(name, mean, std):
    open(name, "wb").write(record("mean", np.array(mean, "<f8")) + record("std", np.array(std, "<f8")))
stats("nanmean.stats", [0, np.nan, 0, 0], [1, 1, 1, 1])
stats("infmean.stats", [0, 0, 0, -np.inf], [1, 1, 1, 1])
stats("nanstd.stats", [0, 0, 0, 0], [1, 1, np.nan, 1])
stats("negstd.stats", [0, 0, 0, 0], [1, -1, 1, 1])
stats("infstd.stats", [0, 0, 0, 0], [np.inf, 1, 1, 1])
stats("zerostd.stats", [0, 0, 0, 0], [1, 0, 1, 1])
open("four.nns", "wb").write(record("x", x))
PY
fails_clean "--fit: NaN in the data" "row 13, column 2 of 'x': nan is not finite" nn-standardize --fit nanfit.nns
fails_clean "--fit: an infinity in the data" "row 3, column 0 of 'x': -inf is not finite" nn-standardize --fit inffit.nns
fails_clean "--fit: a mean beyond f64" "column 1 of 'x': the mean overflows f64" nn-standardize --fit bigmean.nns
fails_clean "--fit: a variance beyond f64" "column 2 of 'x': the variance overflows f64" nn-standardize --fit bigstd.nns
fails_clean "--fit -o: no file on NaN" "nan is not finite" nn-standardize --fit -o nan.stats nanfit.nns
[ ! -e nan.stats ] && ok "--fit: no statistics file left" || not_ok "--fit -o" "nan.stats exists"
fails_clean "a NaN mean" "nanmean.stats: column 1 of 'mean': nan is not finite" nn-standardize --stats nanmean.stats four.nns
fails_clean "an infinite mean" "column 3 of 'mean': -inf is not finite" nn-standardize --stats infmean.stats four.nns
fails_clean "a NaN standard deviation" "nanstd.stats: column 2 of 'std': nan is not a standard deviation" nn-standardize --stats nanstd.stats four.nns
fails_clean "a negative standard deviation" "column 1 of 'std': -1 is not a standard deviation" nn-standardize --stats negstd.stats four.nns
fails_clean "an infinite standard deviation" "column 0 of 'std': inf is not a standard deviation" nn-standardize --stats infstd.stats four.nns
fails_clean "a negative standard deviation with --center" "column 1 of 'std': -1 is not" nn-standardize --center --stats negstd.stats four.nns
nn-standardize --stats zerostd.stats four.nns > zero.out
"$PY" - "$TOP" <<'PY' && ok "a standard deviation of 0: that column only centred" || not_ok "sd 0" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
a = read(open("four.nns", "rb"))[0][1]; b = read(open("zero.out", "rb"))[0][1]
assert (a == b).all(), abs(a - b).max()
PY

# A decompression bomb (issue 10): x f32 (ROWS,16) of zeros in one zstd
# frame of RLE blocks (2 GiB in 64 KiB for 2^25 rows), then y i32 (3).
# Records are read in pieces: peak memory stays a few MB (checked without
# ASan, whose own memory would hide it).
bomb $((1 << 25)) bomb.nns
bounded "nn-standardize --fit of a 2 GiB zstd bomb" bst.nns nn-standardize --fit bomb.nns
"$PY" - "$TOP" <<'PY' && ok "... its statistics" || not_ok "statistics of the bomb" "see above"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
from nns_read import read
t = {n: (a, at) for n, a, at in read(open("bst.nns", "rb"))}
assert t["mean"][0].shape == (16,) and not t["mean"][0].any() and not t["std"][0].any(), t
assert t["mean"][1]["rows"] == str(1 << 25), t["mean"][1]
PY
# 256 MiB of zeros standardized (every value decoded and written)
bomb $((1 << 22)) bomb256.nns
bounded "nn-standardize --stats of a 256 MiB zstd bomb" bs.nns nn-standardize -z --stats bst.nns bomb256.nns
shapes bs.nns > bs.txt
printf 'x 4194304,16 256\ny 3 1\n' > want.txt
same "... in chunks" want.txt bs.txt

# Rows of width 0: nothing to standardize, and statistics of no columns
# (they once asked for 8 TB of chunk buffer).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
open("st0.nns", "wb").write(record("mean", np.zeros(0, "<f8")) + record("std", np.zeros(0, "<f8")))
open("d0.nns", "wb").write(record("x", np.zeros((5, 0), "<f4")))
PY
fails_clean "--fit of rows of width 0" "rows of width 0" nn-standardize --fit d0.nns
fails_clean "statistics of no columns" "statistics of no columns" nn-standardize --stats st0.nns d0.nns

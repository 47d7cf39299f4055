# nn-standardize: fitted statistics against NumPy, application to another
# set, pass-through of other records, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }
craft random x 1000 7 1 > train.nns
craft random x 300 7 2 > test.nns

check "fit writes statistics" nn-standardize --fit -o stats.nns train.nns
nn-standardize -s stats.nns test.nns > test.std.nns
nn-standardize -c -s stats.nns test.nns > test.c.nns
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
nn-standardize -s ds.stats ds.nns > ds.std.nns
nn-info -r -j ds.std.nns > recs.json
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
nn-standardize -s const.stats const.nns | nn-info -j > const.json
"$PY" -c "
import json; r = json.loads(open('const.json').read())
assert r['nan'] == 0 and r['inf'] == 0, r" && ok "constant feature: no NaN or Inf" || not_ok "constant feature" "NaN or Inf"

fails_usage "no --fit or --stats is a usage error" "exactly one" nn-standardize train.nns
craft random x 10 5 3 > five.nns
fails_clean "rows of another width" "statistics" nn-standardize -s stats.nns five.nns
fails_clean "no tensor of that name" "no tensor named 'q'" nn-standardize --fit -n q train.nns
fails_clean "stats file without mean/std" "not a statistics file" nn-standardize -s train.nns test.nns
craft checksum > bad.nns
fails_clean "corrupt input" "checksum" nn-standardize --fit bad.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests'); from nns_craft import record
import numpy as np
sys.stdout.buffer.write(record('std', np.ones(2)) + record('mean', np.zeros(3000)))" > lopsided.stats
fails_clean "std and mean of different sizes, std first" "'mean' has 3000 values, 'std' 2" nn-standardize -s lopsided.stats train.nns
craft orphan > orphan.nns
fails_clean "--fit checks the chunks" "continues no tensor" nn-standardize --fit orphan.nns
head -c 100 train.nns > trunc.nns
fails_clean "truncated input" "truncated" nn-standardize -s stats.nns trunc.nns
fails_clean "no partial -o file" "truncated" nn-standardize -s stats.nns -o out.nns trunc.nns
[ ! -e out.nns ] && [ -z "$(ls out.nns.tmp* 2>/dev/null)" ] && ok "no output file left behind" || not_ok "no output file left behind" "$(ls)"

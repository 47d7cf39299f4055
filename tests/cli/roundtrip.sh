# Round trips across the tools (nn-import, nn-export, nn-cat, nn-info and
# the Python reader): IDX -> stream -> .npy equals NumPy's decoding of the
# IDX file; compressed and uncompressed, chunked and unchunked streams
# decode identically; `cat a b` is a stream of both.
. "$(dirname "$0")/../lib.sh"
cd "$T"
"$PY" - <<'PY'
import gzip, struct, numpy as np
rng = np.random.default_rng(5)
img = rng.integers(0, 256, (1500, 28, 28), dtype=np.uint8)    # > 1 MiB
lab = rng.integers(0, 10, 1500, dtype=np.uint8)
def idx(a, code):
    return struct.pack(">BBBB", 0, 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(a.dtype.newbyteorder(">")).tobytes()
open("img.idx", "wb").write(idx(img, 0x08))
open("lab.idx", "wb").write(idx(lab, 0x08))
gzip.open("img.idx.gz", "wb").write(idx(img, 0x08))
f = rng.standard_normal((300, 5)).astype(np.float32)
open("f32.idx", "wb").write(idx(f, 0x0D))
PY

# an independent IDX decoder: NumPy on the raw bytes
"$PY" - <<'PY'
import numpy as np, struct
def load(p):
    b = open(p, "rb").read(); n = b[3]
    dims = struct.unpack(f">{n}I", b[4:4 + 4 * n])
    dt = {0x08: ">u1", 0x0D: ">f4"}[b[2]]
    return np.frombuffer(b, dt, offset=4 + 4 * n).reshape(dims)
np.save("img.ref.npy", load("img.idx").reshape(1500, 784))
np.save("lab.ref.npy", load("lab.idx"))
np.save("f32.ref.npy", load("f32.idx").astype("<f4"))
PY

nn-import img.idx lab.idx > ds.nns
nn-export -n x -o x.npy ds.nns
nn-export -n y -f npy ds.nns > y.npy
nn-import f32.idx | nn-export -f npy > f.npy
"$PY" -c "
import numpy as np
for a, b in (('x.npy', 'img.ref.npy'), ('y.npy', 'lab.ref.npy'), ('f.npy', 'f32.ref.npy')):
    x, y = np.load(a), np.load(b)
    assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), (a, x.dtype, y.dtype, x.shape, y.shape)
" && ok "IDX -> stream -> .npy equals NumPy's decoding of the IDX files" || not_ok "IDX -> npy" "differs"

"$PY" - "$TOP" <<'PY' && ok "stream -> Python reader gives the same values" || not_ok "Python reader" "differs"
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
t = {n: a for n, a, _ in read(open("ds.nns", "rb"))}
assert (t["x"] == np.load("img.ref.npy")).all() and (t["y"] == np.load("lab.ref.npy")).all()
PY

nn-import img.idx.gz lab.idx | nn-export -f npy > xgz.npy
same "a gzipped IDX imports to the same tensor" x.npy xgz.npy

nn-import -z img.idx lab.idx > dsz.nns
nn-cat -d dsz.nns > dsd.nns
same "compressed stream decompresses to the uncompressed one, byte for byte" ds.nns dsd.nns
nn-export -n x -f npy dsz.nns > xz.npy
same "compressed and uncompressed streams export identically" x.npy xz.npy
[ "$(wc -c < dsz.nns)" -lt "$(wc -c < ds.nns)" ] || [ "$(wc -c < dsz.nns)" -le "$(( $(wc -c < ds.nns) + 4096 ))" ] \
  && ok "compressed stream is not larger (random pixels barely compress)" || not_ok "compressed size" "grew"

nn-cat --rows 7 ds.nns > small.nns
nn-cat --rows 1500 ds.nns > whole.nns
[ "$(nn-info --records -j small.nns | wc -l)" -eq 430 ] && ok "re-chunked to 7 rows: 215 chunks per tensor" || not_ok "re-chunk" "$(nn-info --records -j small.nns | wc -l) records"
[ "$(nn-info --records -j whole.nns | wc -l)" -eq 2 ] && ok "re-chunked to one record per tensor" || not_ok "one record" "$(nn-info --records -j whole.nns | wc -l) records"
nn-export -n x -f npy small.nns > xs.npy
nn-export -n x -f npy whole.nns > xw.npy
same "chunked and unchunked tensors export the same" xs.npy xw.npy
same "chunked and unchunked match the original" x.npy xw.npy
nn-info -j small.nns > small.json
nn-info -j whole.nns > whole.json
"$PY" - <<'PY' && ok "nn-info statistics agree for chunked and unchunked" || not_ok "statistics agree" "see above"
import json
a = [json.loads(l) for l in open("small.json")]
b = [json.loads(l) for l in open("whole.json")]
for s, t in zip(a, b):
    assert s["records"] > t["records"]
    for k in ("shape", "dtype", "attrs", "count", "min", "max", "nan", "inf"):
        assert s[k] == t[k], k
    for k in ("mean", "std"):  # merged in other blocks: equal to rounding
        assert abs(s[k] - t[k]) <= 1e-12 * abs(t[k]), (k, s[k], t[k])
PY

cat ds.nns dsz.nns | nn-info -j > both.json
[ "$(wc -l < both.json)" -eq 4 ] && [ "$(grep -c '"name":"x"' both.json)" -eq 2 ] \
  && ok "cat a b | nn-info lists the records of both" || not_ok "cat a b" "$(cat both.json)"

"$PY" -c "
import numpy as np; np.save('lab.f.npy', np.array([0.5, 1.5], np.float32))"
fails_clean "a dtype a tool cannot take: float labels to one-hot" "integer|float|dtype" \
    nn-import --onehot lab.f.npy

# nn-export: .npy against NumPy for every dtype, chunked and compressed
# streams, file, pipe and seekable stdout; CSV that parses back to the same
# bits; PNG decoded by an independent reader (zlib + struct) and checked
# pixel by pixel; and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }

# Test streams, with the arrays they hold saved by NumPy for reference.
"$PY" - "$TOP" <<'PY' || not_ok "make test streams" "python failed"
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
g = np.random.default_rng(5)
def put(f, *recs):
    open(f, "wb").write(b"".join(recs))
def chunked(name, a, sizes, other=None, zstd=False, attrs=""):
    """a in chunks of the given row counts, a record `other` between them."""
    out, i = [], 0
    for k, n in enumerate(sizes):
        out.append(record(name, a[i:i + n], attrs if k == 0 else "",
                          flags=2 if k else 0, zstd=zstd))
        if other is not None:
            out.append(record("other", other, flags=2 if k else 0))
        i += n
    return b"".join(out)
for dt in ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"]:
    d = np.dtype("<" + dt)
    if d.kind == "f":
        a = g.standard_normal((7, 5)) * 1e3
    else:
        info = np.iinfo(d)
        a = g.integers(info.min, info.max, (7, 5), dtype=d, endpoint=True)
        a[0, :2] = info.min, info.max
    a = a.astype(d)
    np.save(f"want_{dt}.npy", a)
    put(f"dt_{dt}.nns", chunked("a", a, [3, 3, 1], other=np.arange(2, dtype="<i4")))
# rank 0, rank 1 in chunks, rank 3 in chunks, compressed f64 in chunks
s = np.array(2.5); np.save("want_s.npy", s)
v = np.arange(-5, 5, dtype="<i2"); np.save("want_v.npy", v)
c = g.integers(0, 255, (4, 2, 3), dtype="u1"); np.save("want_c.npy", c)
z = g.standard_normal((9, 4)); np.save("want_z.npy", z)
# (record() would make the 0-d array 1-d: the dims are given)
put("ranks.nns", record("s", s, dims=()), chunked("v", v, [4, 6]), chunked("c", c, [1, 3]),
    chunked("z", z, [2, 2, 5], zstd=True))
# CSV round trips: floats of every magnitude (subnormals too), signed zero
f32 = (g.standard_normal(600) * 10.0 ** g.uniform(-44, 38, 600)).astype("<f4")
f32[:6] = [0.0, -0.0, 1.4e-45, -3.4028235e38, 1 / 3, 0.1]
f64 = g.standard_normal(600) * 10.0 ** g.uniform(-320, 307, 600)
f64[:6] = [0.0, -0.0, 5e-324, -1.7976931348623157e308, 1 / 3, 0.1]
i64 = g.integers(-2**63, 2**63 - 1, 60, dtype="<i8", endpoint=True); i64[:2] = -2**63, 2**63 - 1
u64 = g.integers(0, 2**64 - 1, 60, dtype="<u8", endpoint=True); u64[0] = 2**64 - 1
for n, a in [("f32", f32.reshape(100, 6)), ("f64", f64.reshape(50, 3, 4)),
             ("i64", i64.reshape(20, 3)), ("u64", u64)]:
    np.save(f"want_{n}.npy", a)
    put(f"csv_{n}.nns", chunked(n, a, [len(a) // 3, len(a) - len(a) // 3]))
put("special.nns", record("x", np.array([[np.nan, np.inf], [-np.inf, 1.5]], "<f4")))
# PNG: a ramp image, tiles, columns, an image attribute, rank 3, RGB, NaN
put("ramp.nns", record("r", np.arange(256, dtype="<f4").reshape(4, 64)))
t = g.uniform(-3, 7, (5, 6)).astype("<f4"); np.save("want_tiles.npy", t)
put("tiles.nns", chunked("t", t, [1, 3, 1]))
put("attr.nns", record("t", t, "image=2x3\n"))
put("cube.nns", record("t", t.reshape(5, 3, 2)))
put("gray3.nns", record("t", t.reshape(5, 6, 1)))
w = g.standard_normal((5, 3)).astype("<f8"); np.save("want_w.npy", w)
put("weights.nns", chunked("w", w, [2, 3]))
rgb = g.integers(0, 255, (3, 4, 3), dtype="u1", endpoint=True); np.save("want_rgb.npy", rgb)
put("rgb.nns", record("img", rgb))
put("nan.nns", record("x", np.array([[np.nan, 0, 10], [5, 2.5, np.inf]], "<f8")))
put("digits.nns", record("x", g.integers(0, 255, (150, 784), dtype="u1"), "image=28x28\n"))
put("rank4.nns", record("k", np.zeros((2, 2, 3, 3), "<f4")))
put("rank1.nns", record("v", np.zeros(9, "<f4")))
put("dup.nns", chunked("x", np.ones((3, 3), "<f4"), [2, 1]))
put("badattr.nns", record("x", np.zeros((2, 6), "<f4"), "image=4x4\n"))
PY

# An independent PNG reader: 8-bit gray or RGB, not interlaced, every filter.
cat > png.py <<'PY'
import struct, zlib
import numpy as np
def png_read(path):
    b = open(path, "rb").read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n", "signature"
    i, idat = 8, b""
    while True:
        n, typ = struct.unpack(">I4s", b[i:i + 8])
        data = b[i + 8:i + 8 + n]
        assert struct.unpack(">I", b[i + 8 + n:i + 12 + n])[0] == zlib.crc32(typ + data), "crc"
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", data)
        elif typ == b"IDAT":
            idat += data
        elif typ == b"IEND":
            break
        i += 12 + n
    assert depth == 8 and ctype in (0, 2) and inter == 0, (depth, ctype, inter)
    ch = 3 if ctype == 2 else 1
    raw, stride = zlib.decompress(idat), w * ch
    img, prev = np.zeros((h, stride), np.uint8), [0] * stride
    for y in range(h):
        f, line = raw[y * (stride + 1)], raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        cur = []
        for x in range(stride):
            a = cur[x - ch] if x >= ch else 0
            up, c = prev[x], prev[x - ch] if x >= ch else 0
            pa, pb, pc = abs(up - c), abs(a - c), abs(a + up - 2 * c)
            p = [0, a, up, (a + up) // 2,
                 a if pa <= pb and pa <= pc else up if pb <= pc else c][f]
            cur.append((line[x] + p) & 255)
        img[y], prev = cur, cur
    return img.reshape(h, w, ch) if ch == 3 else img
def pix(v, lo, hi, invert=False):
    """The mapping of nn-export(1): linear, clipped, NaN as the low end."""
    x = (np.asarray(v, np.float64) - lo) * (255 / (hi - lo))
    p = np.floor(np.clip(np.nan_to_num(x, nan=0.0), 0, 255) + 0.5).astype(int)
    return 255 - p if invert else p
PY

# --------------------------------------------------------------------- npy
for dt in u1 i1 u2 i2 u4 i4 u8 i8 f4 f8; do
    nn-export -n a -o "f_$dt.npy" "dt_$dt.nns" &&
    nn-export -n a -f npy "dt_$dt.nns" | cat > "p_$dt.npy" &&
    nn-export -n a -f npy < "dt_$dt.nns" > "s_$dt.npy" ||
        not_ok "npy $dt" "nn-export failed"
done
"$PY" - <<'PY' && ok "npy of every dtype, chunked, equals NumPy's (file, pipe, stdout)" || not_ok "npy of every dtype" "see above"
import numpy as np
for dt in ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"]:
    want = np.load(f"want_{dt}.npy")
    for k in "fps":
        got = np.load(f"{k}_{dt}.npy")
        assert got.dtype == np.dtype("<" + dt) and got.shape == want.shape, (dt, k, got.dtype, got.shape)
        assert got.tobytes() == want.tobytes(), (dt, k)
        assert len(open(f"{k}_{dt}.npy", "rb").read()) % 64 == want.nbytes % 64
PY
same "file and pipe .npy are the same bytes" f_f4.npy p_f4.npy

for n in s v c z; do nn-export -n $n -o "r_$n.npy" ranks.nns || not_ok "rank $n" "failed"; done
"$PY" - <<'PY' && ok "npy of rank 0, 1 and 3, and of compressed chunks" || not_ok "npy ranks" "see above"
import numpy as np
for n in "svcz":
    a, b = np.load(f"r_{n}.npy"), np.load(f"want_{n}.npy")
    assert a.shape == b.shape and a.dtype == b.dtype and (a == b).all(), n
PY

craft zstd > zds.nns
craft dataset > ds.nns
nn-export -n x -f npy zds.nns | cat > zx.npy
nn-export -n y -o zy.npy zds.nns
"$PY" - <<'PY' && ok "compressed dataset: x (4,3) f32 and y (4,) i32" || not_ok "compressed dataset" "see above"
import numpy as np
x, y = np.load("zx.npy"), np.load("zy.npy")
assert x.dtype == np.float32 and (x == np.arange(12).reshape(4, 3)).all(), x
assert y.dtype == np.int32 and list(y) == [0, 1, 1, 0], y
PY

nn-export -o first.npy ds.nns
"$PY" -c "import numpy as np; assert np.load('first.npy').shape == (4, 3)" &&
    ok "default tensor is the first of the stream" || not_ok "default tensor" "not x"

cat ds.nns dup.nns > two.nns
nn-export -n x -o two.npy two.nns
"$PY" -c "import numpy as np; a = np.load('two.npy'); assert (a == np.arange(12).reshape(4, 3)).all(), a" &&
    ok "several tensors of a name: the first is exported" || not_ok "several tensors" "wrong one"

nn-export -n a --skip-rows 2 -c 3 -o sel.npy dt_f8.nns
nn-export -n a --skip-rows 2 -c 3 -f npy dt_f8.nns | cat > selp.npy
nn-export -n a --skip-rows 6 -c 3 -o tail.npy dt_f8.nns
nn-export -n a --skip-rows 9 -o none.npy dt_f8.nns
"$PY" - <<'PY' && ok "--skip-rows and --count across chunk boundaries" || not_ok "row selection" "see above"
import numpy as np
w = np.load("want_f8.npy")
assert (np.load("sel.npy") == w[2:5]).all() and (np.load("selp.npy") == w[2:5]).all()
assert (np.load("tail.npy") == w[6:]).all()
assert np.load("none.npy").shape == (0, 5)
PY

nn-export -n a -t u8 -o conv.npy dt_f8.nns
nn-export -n a -t f32 -f npy dt_f8.nns | cat > conv32.npy
nn-export -n a -t i64 -o conv64.npy dt_u1.nns
"$PY" - <<'PY' && ok "-t converts: rounding and saturation, f64 to f32, widening" || not_ok "-t" "see above"
import numpy as np
w = np.load("want_f8.npy")
a = np.load("conv.npy")
assert a.dtype == np.uint8 and (a == np.clip(np.rint(w), 0, 255)).all()
b = np.load("conv32.npy")
assert b.dtype == np.float32 and (b == w.astype(np.float32)).all()
c = np.load("conv64.npy")
assert c.dtype == np.int64 and (c == np.load("want_u1.npy")).all()
PY

# the header is completed in place and the file position restored
{ printf PREFIX; nn-export -n a -f npy dt_i2.nns; printf SUFFIX; } > framed
"$PY" - <<'PY' && ok "npy on a seekable stdout shared with other writers" || not_ok "seekable stdout" "see above"
import io, numpy as np
b = open("framed", "rb").read()
assert b.startswith(b"PREFIX") and b.endswith(b"SUFFIX")
a = np.load(io.BytesIO(b[6:-6]))
assert (a == np.load("want_i2.npy")).all()
PY

# --------------------------------------------------------------------- csv
for n in f32 f64 i64 u64; do nn-export -f csv -o "$n.csv" "csv_$n.nns" || not_ok "csv $n" "failed"; done
nn-export -f csv csv_f32.nns | cat > f32p.csv
same "csv to a pipe and to a file" f32.csv f32p.csv
"$PY" - <<'PY' && ok "CSV parses back to the same bits (f32, f64, i64, u64)" || not_ok "CSV round trip" "see above"
import numpy as np
a = np.load("want_f32.npy")
b = np.loadtxt("f32.csv", delimiter=",", dtype=np.float64).astype(np.float32)
assert b.shape == a.shape and (b.view("u4") == a.view("u4")).all(), np.flatnonzero(b.view("u4") != a.view("u4"))
a = np.load("want_f64.npy").reshape(50, 12)
b = np.loadtxt("f64.csv", delimiter=",", dtype=np.float64)
assert b.shape == a.shape and (b.view("u8") == a.view("u8")).all()
for n in ["i64", "u64"]:
    a = np.load(f"want_{n}.npy").tolist()
    b = [[int(v) for v in l.split(",")] for l in open(f"{n}.csv")]
    assert b == (a if isinstance(a[0], list) else [[v] for v in a]), n
PY

nn-export -f csv --delimiter tab --header -n c ranks.nns > c.csv
nn-export -n v -f csv ranks.nns > v.csv
nn-export -n s -f csv --header -t i32 ranks.nns > s.csv
"$PY" - <<'PY' && ok "CSV: header, tab, rank 1 one value a line, rank 3 flattened, -t" || not_ok "CSV shapes" "see above"
import numpy as np
l = open("c.csv").read().split("\n")
assert l[0] == "\t".join(f"c{j}" for j in range(6)) and l[-1] == "" and len(l) == 6, l
c = np.load("want_c.npy").reshape(4, 6)
assert [[int(v) for v in x.split("\t")] for x in l[1:-1]] == c.tolist()
assert open("v.csv").read() == "".join(f"{i}\n" for i in range(-5, 5))
assert open("s.csv").read() == "c0\n2\n"
PY
nn-export -f csv special.nns > special.csv
printf 'nan,inf\n-inf,1.5\n' > special.want
same "CSV: nan, inf, -inf" special.csv special.want

# --------------------------------------------------------------------- png
nn-export -o ramp.png --range 0:255 ramp.nns
nn-export -f png ramp.nns | cat > ramp_auto.png
nn-export -o ramp2.png --range=-255:255 --skip-rows 1 -c 2 ramp.nns
"$PY" - <<'PY' && ok "PNG: a ramp, fixed and auto range, a band of rows" || not_ok "PNG ramp" "see above"
from png import png_read, pix
import numpy as np
r = np.arange(256).reshape(4, 64)
a = png_read("ramp.png")
assert a.shape == (4, 64) and (a == r).all(), a
assert (png_read("ramp_auto.png") == r).all()
b = png_read("ramp2.png")
assert b.shape == (2, 64) and (b == pix(r[1:3], -255, 255)).all(), b
PY
pngfix ramp.png > /dev/null 2>&1 && ok "pngfix accepts the PNG" || not_ok "pngfix" "rejects ramp.png"

nn-export -o tiles.png --tile 2x3 -c 4 tiles.nns
nn-export -o pertile.png --tile 2x3 --per-tile tiles.nns
nn-export -o attr.png --zoom 2 --negative -c 4 attr.nns
nn-export -o cube.png -c 4 cube.nns
nn-export -o grid.png --tile 2x3 --grid 3x1 --range -3:7 tiles.nns
nn-export -o half.png --tile 1x3 -c 3 --skip-rows 3 tiles.nns
nn-export -o gray3.png gray3.nns
nn-export -o none.png --tile none attr.nns
"$PY" - <<'PY' && ok "PNG tiles: 2x2 grid, separators, per-tile, zoom, negative, image attribute, rank 3, --grid, --tile none" || not_ok "PNG tiles" "see above"
from png import png_read, pix
import numpy as np
t = np.load("want_tiles.npy").astype(np.float64)
def grid(tiles, gc, gr, z=1, sep=128):
    th, tw = tiles[0].shape
    img = np.full((gr * (th * z + 1) - 1, gc * (tw * z + 1) - 1), sep)
    for i, x in enumerate(tiles):
        y0, x0 = (i // gc) * (th * z + 1), (i % gc) * (tw * z + 1)
        img[y0:y0 + th * z, x0:x0 + tw * z] = np.kron(x, np.ones((z, z), int))
    return img
lo, hi = t[:4].min(), t[:4].max()
want = grid([pix(t[i].reshape(2, 3), lo, hi) for i in range(4)], 2, 2)
a = png_read("tiles.png")
assert a.shape == (5, 7) and (a[2] == 128).all() and (a[:, 3] == 128).all()
assert (a == want).all(), (a, want)
# five tiles: a 3x2 grid, each stretched on its own, the last cell empty
want = grid([pix(t[i].reshape(2, 3), t[i].min(), t[i].max()) for i in range(5)], 3, 2)
b = png_read("pertile.png")
assert b.shape == (5, 11) and (b == want).all(), (b, want)
assert all(((b[y:y+2, x:x+3] == 0).sum(), (b[y:y+2, x:x+3] == 255).sum()) == (1, 1)
           for y, x in [(0, 0), (0, 4), (0, 8), (3, 0), (3, 4)])
assert (b[3:, 8:] == 128).all()
want = grid([pix(t[i].reshape(2, 3), lo, hi, invert=True) for i in range(4)], 2, 2, z=2)
c = png_read("attr.png")
assert c.shape == (9, 13) and (c == want).all(), (c, want)
want = grid([pix(t[i].reshape(3, 2), lo, hi) for i in range(4)], 2, 2)
assert (png_read("cube.png") == want).all()
want = grid([pix(t[i].reshape(2, 3), -3, 7) for i in range(3)], 3, 1)
assert (png_read("grid.png") == want).all()
# 1x3 tiles: each row of 6 gives two; rows 3 and 4 give tiles 0..2
h = t[3:5].reshape(4, 1, 3)[:3]
want = grid([pix(x, h.min(), h.max()) for x in h], 2, 2)
assert (png_read("half.png") == want).all()
# one image: (h,w,1), and --tile none over the image attribute
assert (png_read("gray3.png") == pix(t, t.min(), t.max())).all()
assert (png_read("none.png") == pix(t, t.min(), t.max())).all()
PY

nn-export -o cols.png --columns --skip-rows 1 --per-tile weights.nns
nn-export -o cols2.png --columns --skip-rows 1 --tile 1x4 -c 2 weights.nns
"$PY" - <<'PY' && ok "PNG --columns with --skip-rows: square tiles, per tile, --tile" || not_ok "PNG columns" "see above"
from png import png_read, pix
import numpy as np
w = np.load("want_w.npy")[1:]          # (4,3): 3 columns of 4
a = png_read("cols.png")
assert a.shape == (5, 5), a.shape
want = np.full((5, 5), 128)
for j in range(3):
    y, x = (j // 2) * 3, (j % 2) * 3
    want[y:y + 2, x:x + 2] = pix(w[:, j].reshape(2, 2), w[:, j].min(), w[:, j].max())
assert (a == want).all(), (a, want)
b = png_read("cols2.png")
want = np.full((1, 9), 128)
want[0, :4], want[0, 5:] = pix(w[:, 0], w[:, :2].min(), w[:, :2].max()), pix(w[:, 1], w[:, :2].min(), w[:, :2].max())
assert (b == want).all(), (b, want)
PY

nn-export -o rgb.png rgb.nns
nn-export -o nan.png nan.nns
nn-export -o nani.png --negative nan.nns
nn-export -o digits.png digits.nns
nn-export -o digits3.png --zoom 3 -c 7 digits.nns
"$PY" - <<'PY' && ok "PNG: RGB (h,w,3), NaN and Inf, 100 MNIST-sized tiles by default" || not_ok "PNG RGB/NaN/digits" "see above"
from png import png_read, pix
import numpy as np
rgb = np.load("want_rgb.npy")
a = png_read("rgb.png")
assert a.shape == (3, 4, 3) and (a == pix(rgb, rgb.min(), rgb.max())).all()
assert png_read("nan.png").tolist() == [[0, 0, 255], [128, 64, 255]]
assert png_read("nani.png").tolist() == [[255, 255, 0], [127, 191, 0]]
assert png_read("digits.png").shape == (289, 289)
assert png_read("digits3.png").shape == (3 * 85 - 1, 3 * 85 - 1)
PY

# RGB tiles: an IDX file (n,h,w,3) through nn-import, which writes the
# attribute image=2x3x3 (flattened, and with --no-flatten).
"$PY" - <<'PY'
import struct, numpy as np
a = np.random.default_rng(9).integers(0, 256, (5, 2, 3, 3), dtype=np.uint8)
np.save("want_rgbt.npy", a)
open("rgbt.idx", "wb").write(bytes([0, 0, 8, 4]) + struct.pack(">4I", *a.shape) + a.tobytes())
PY
nn-import rgbt.idx > rgbt.nns && nn-export -o rgbt.png rgbt.nns &&
    nn-import --no-flatten rgbt.idx | nn-export -f png > rgbt4.png &&
    nn-export -o rgbt2.png -c 2 --negative --zoom 2 rgbt.nns ||
    not_ok "RGB tiles" "a tool failed"
"$PY" - <<'PY' && ok "PNG: RGB tiles of image=HxWx3 (rank 2 and rank 4), -c, --zoom, --negative" || not_ok "PNG RGB tiles" "see above"
from png import png_read, pix
import numpy as np
a = np.load("want_rgbt.npy").astype(np.float64)
def grid(tiles, gc, gr, z=1):
    th, tw = tiles[0].shape[:2]
    img = np.full((gr * (th * z + 1) - 1, gc * (tw * z + 1) - 1, 3), 128)
    for i, x in enumerate(tiles):
        y0, x0 = (i // gc) * (th * z + 1), (i % gc) * (tw * z + 1)
        img[y0:y0 + th * z, x0:x0 + tw * z] = x.repeat(z, 0).repeat(z, 1)
    return img
want = grid([pix(t, a.min(), a.max()) for t in a], 3, 2)
got = png_read("rgbt.png")
assert got.shape == (5, 11, 3) and (got == want).all(), (got, want)
assert (png_read("rgbt4.png") == want).all()
want = grid([pix(t, a[:2].min(), a[:2].max(), invert=True) for t in a[:2]], 2, 1, z=2)
got = png_read("rgbt2.png")
assert got.shape == want.shape and (got == want).all(), (got.shape, want.shape)
PY
printf '' | nn-export -f png --tile 2x2 rgbt.nns 2>tile.err
grep -q "tile 2x2 (--tile) does not divide" tile.err && ok "--tile over an RGB attribute is gray" ||
    not_ok "--tile over an RGB attribute" "$(cat tile.err)"
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
open("rgbbad.nns", "wb").write(record("x", np.zeros((2, 20), "<f4"), "image=2x3x3\n"))
PY
fails_clean "an RGB tile that does not divide the rows" "tile 2x3x3 \(attribute image\) does not divide" \
    nn-export -f png rgbbad.nns

# ------------------------------------------------------------------ errors
craft random x 20 6 1 > r.nns
for kind in checksum version overflow wrap liar orphan dtype flag; do
    craft $kind > bad_$kind.nns
    fails_clean "corrupt stream ($kind)" "record 0" nn-export -f npy bad_$kind.nns
done
fails_clean "corrupt stream to CSV" "checksum" nn-export -f csv bad_checksum.nns
head -c 100 r.nns > trunc.nns
fails_clean "truncated stream (npy)" "truncated" nn-export -f npy trunc.nns
fails_clean "truncated stream (png)" "truncated" nn-export -f png trunc.nns
fails_clean "truncated stream on stdin" "truncated" nn-export -f csv < trunc.nns
# cut inside the last record: the first chunks were already converted
len=$(wc -c < dt_f4.nns)
head -c $((len - 10)) dt_f4.nns > late.nns
fails_clean "late truncation, CSV to a file on stdout: emptied" "truncated" nn-export -f csv late.nns
fails_clean "late truncation, npy to stdout" "truncated" nn-export -f npy late.nns
for f in npy csv png; do
    fails_clean "late truncation with -o x.$f" "truncated" nn-export -o "late.$f" late.nns
done
[ -z "$(ls late.npy* late.csv* late.png* 2>/dev/null)" ] && ok "no output file left behind" ||
    not_ok "no output file left behind" "$(ls late.*)"
fails_clean "empty stream" "empty stream" nn-export -f csv /dev/null
printf 'this is not a stream at all, just some text, long enough for a header\n' > garbage
fails_clean "garbage" "bad magic" nn-export -f npy garbage
fails_clean "no tensor of that name" "no tensor named 'q'" nn-export -n q -f csv ds.nns
fails_clean "no tensor of that name, -o" "no tensor named 'q'" nn-export -n q -o q.npy ds.nns
[ ! -e q.npy ] && ok "no file for a missing tensor" || not_ok "no file for a missing tensor" "q.npy exists"
fails_clean "tile does not divide the rows" "tile 4x4 .* does not divide" nn-export -f png --tile 4x4 r.nns
fails_clean "image attribute does not divide the rows" "attribute image" nn-export -f png badattr.nns
fails_clean "rank 4 without --tile" "rank 4, too high" nn-export -f png rank4.nns
fails_clean "rank 3 with --tile none" "rank 3, too high" nn-export -f png --tile none cube.nns
fails_clean "--columns of rank 3" "too high for --columns" nn-export -f png --columns -n c ranks.nns
fails_clean "rank 1 as PNG" "rank 1" nn-export -f png rank1.nns
fails_clean "columns not square" "not a square" nn-export -f png --columns r.nns
fails_clean "columns longer than the tile" "longer than the tile" nn-export -f png --columns --tile 2x2 r.nns
fails_clean "nothing left to show" "no rows" nn-export -f png --skip-rows 20 r.nns
fails_clean "scalar with --skip-rows" "rank 0" nn-export -n s --skip-rows 1 -f csv ranks.nns
fails_clean "--grid for one image" "--grid needs --tile" nn-export -f png --grid 2x2 r.nns
fails_usage "unknown format" "invalid --format 'bmp': expected npy, csv or png" nn-export -f bmp r.nns
fails_usage "unknown extension" "cannot tell the format" nn-export -o out.bmp r.nns
fails_usage "stdout needs -f" "give -f" nn-export r.nns
fails_usage "png option with csv" "png only" nn-export -f csv --zoom 2 r.nns
fails_usage "csv option with npy" "csv only" nn-export -f npy --header r.nns
fails_usage "-t with png" "npy and csv only" nn-export -f png -t u8 r.nns
fails_usage "bad --tile" "invalid --tile '0x3'" nn-export -f png --tile 0x3 r.nns
fails_usage "--tile of one number" "invalid --tile '5': expected two numbers" nn-export -f png --tile 5 r.nns
fails_usage "bad --range" "invalid --range '5:1': expected LO:HI with LO < HI" nn-export -f png --range 5:1 r.nns
fails_usage "--per-tile with --range" "exclude" nn-export -f png --per-tile --range 0:1 r.nns
fails_usage "--count beyond the grid" "more than the 4 cells" nn-export -f png --grid 2x2 -c 5 r.nns
fails_usage "bad delimiter" "invalid --delimiter '1': expected one character" nn-export -f csv --delimiter 1 r.nns
# the old spellings: -d is --decompress (not nn-export's), --invert is --negative
fails_usage "-d is no longer --delimiter" "invalid option -d" nn-export -f csv -d tab r.nns
fails_usage "--invert is now --negative" "invalid option '--invert'" nn-export -f png --invert r.nns
# typed option values: one message, naming the long option
fails_usage "--zoom 0" "invalid --zoom '0': must be from 1 to 64" nn-export -f png --zoom 0 r.nns
fails_usage "--count 0" "invalid --count '0': must be at least 1" nn-export -f csv -c 0 r.nns
fails_usage "--skip-rows x" "invalid --skip-rows 'x': not a whole number" nn-export -f csv --skip-rows x r.nns
fails_usage "-t f16" "invalid --dtype 'f16': expected u8" nn-export -f npy -t f16 r.nns
if command -v script > /dev/null; then
    script -qec "nn-export -f npy r.nns 2> tty.err" /dev/null > /dev/null
    [ $? -eq 1 ] && grep -q "refusing to write binary data to a terminal" tty.err &&
        ok "binary output refused on a terminal" || not_ok "terminal" "$(cat tty.err)"
fi
check "--progress" nn-export --progress -o progress.npy ds.nns
nn-export -P -o progressP.npy ds.nns 2> progress.err
same "-P: the same npy" progress.npy progressP.npy
grep -q "nn-export: .*MiB" progress.err && ok "-P: progress on stderr, not a terminal" || not_ok "-P" "$(head -c 200 progress.err)"
nn-export -f NPY -o upper.npy ds.nns && same "-f in capitals" first.npy upper.npy
check "--help" nn-export --help
check "--version" nn-export --version
check "-V" sh -c 'nn-export -V | grep -q "^nn-export (nn tools) "'

# Rows of width 0 (UBSan once caught a memcpy from NULL here).
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np
open("zw.nns", "wb").write(record("x", np.zeros((3, 0), "<f4")) + record("y", np.zeros(3, "<i4")))
PY
fails_clean "PNG of rows of width 0" "rows of width 0" nn-export -f png zw.nns
check "npy of rows of width 0" nn-export -f npy -o zw.npy zw.nns
"$PY" -c "import numpy as np; a = np.load('zw.npy'); assert a.shape == (3, 0), a.shape" &&
    ok "npy of rows of width 0 has shape (3, 0)" || not_ok "npy of rows of width 0" "shape"
check "CSV of rows of width 0" nn-export -f csv -o zw.csv zw.nns

# A decompression bomb (issue 10): x f32 (ROWS,16) of zeros in one zstd
# frame of RLE blocks (2 GiB in 64 KiB for 2^25 rows), then y i32 (3).
# Records are read in pieces: peak memory stays a few MB (checked without
# ASan, whose own memory would hide it).
bomb $((1 << 25)) bomb.nns
bounded "nn-export -f csv -c 5 of a 2 GiB zstd bomb" b5.csv nn-export -f csv -c 5 bomb.nns
bounded "... its last rows (the frame decoded to its end)" blast.csv \
    nn-export -f csv --skip-rows 33554430 bomb.nns
bounded "... -f npy -c 3 from row 1000000" b3.npy nn-export -f npy --skip-rows 1000000 -c 3 bomb.nns
z16=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
printf '%s\n' $z16 $z16 $z16 $z16 $z16 > want5.csv
printf '%s\n' $z16 $z16 > want2.csv
same "... CSV of its first rows" want5.csv b5.csv
same "... CSV of its last rows" want2.csv blast.csv
"$PY" -c "import numpy as np; a = np.load('b3.npy'); assert a.shape == (3, 16) and not a.any(), a.shape" &&
    ok "... npy of 3 rows" || not_ok "npy of the bomb's rows" "see above"

# Rows selected across the pieces a record is read in (16384 rows of 64
# bytes), compressed and not.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
x = np.arange(40003 * 16, dtype="<f4").reshape(40003, 16)
for z in 0, 1:
    open(f"wide{z}.nns", "wb").write(record("x", x[:3], "k=v\n") + record("x", x[3:], flags=2, zstd=z))
PY
for z in 0 1; do
    nn-export -f npy -o wide$z.npy --skip-rows 16000 -c 17000 wide$z.nns &&
    nn-export -f npy -o wide${z}all.npy wide$z.nns || not_ok "npy across pieces" "exit $?"
done
"$PY" - <<'PY' && ok "npy of rows across the pieces of a record" || not_ok "npy across pieces" "see above"
import numpy as np
x = np.arange(40003 * 16, dtype="<f4").reshape(40003, 16)
for z in 0, 1:
    assert np.array_equal(np.load(f"wide{z}.npy"), x[16000:33000]), z
    assert np.array_equal(np.load(f"wide{z}all.npy"), x), z
PY

# --header takes the names of a columns= attribute that names every column
"$PY" - "$TOP" > named.nns <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
import numpy as np
from nns_craft import record
sys.stdout.buffer.write(record("log", np.arange(6.0).reshape(2, 3), attrs="columns=epoch,loss,accuracy\n") +
                        record("bad", np.arange(6.0).reshape(2, 3), attrs="columns=a,b\n"))
PY
h1=$(nn-export -f csv -n log --header named.nns | head -1)
h2=$(nn-export -f csv -n bad --header named.nns | head -1)
[ "$h1" = "epoch,loss,accuracy" ] && [ "$h2" = "c0,c1,c2" ] \
    && ok "--header: the columns= names, or c0,c1,... when they do not fit" \
    || not_ok "--header with columns=" "'$h1' and '$h2'"

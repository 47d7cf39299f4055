#!/bin/sh
# nn-import: IDX (plain and gzip), npy and CSV files converted to NNS and
# compared with NumPy's own decoding of the same files; chunking, labels,
# scaling, dtypes, compression; bad input of every kind.
. "$(dirname "$0")/../lib.sh"
npass=0 nfail=0
ok() { npass=$((npass + 1)); echo "ok - $1"; }
not_ok() { nfail=$((nfail + 1)); echo "not ok - $1: $2"; }

# ---------------------------------------------------------------- inputs
$PY - "$T" <<'EOF' || { not_ok "generate inputs" "python failed"; exit 1; }
import gzip, struct, sys, numpy as np
D = sys.argv[1] + "/"
rng = np.random.default_rng(7)

def idx(path, a, code, gz=False):
    a = np.asarray(a)
    head = bytes([0, 0, code, a.ndim]) + struct.pack(">%dI" % a.ndim, *a.shape)
    data = head + a.astype(a.dtype.newbyteorder(">")).tobytes()
    (gzip.open if gz else open)(D + path, "wb").write(data)
    return data

img = rng.integers(0, 256, (50, 7, 5), dtype=np.uint8)
lab = rng.integers(0, 10, 50, dtype=np.uint8); lab[3] = 9
raw = idx("img.idx", img, 0x08)
idx("img.idx.gz", img, 0x08, gz=True)
idx("lab.idx", lab, 0x08)
idx("lab.idx.gz", lab, 0x08, gz=True)
idx("lab49.idx", lab[:49], 0x08)
idx("i8.idx", rng.integers(-128, 128, (50, 3), dtype=np.int8), 0x09)
idx("i16.idx", rng.integers(-30000, 30000, (50, 3), dtype=np.int16), 0x0B)
idx("i32.idx", rng.integers(-2**31, 2**31, (50, 2, 2), dtype=np.int32), 0x0C)
idx("f32.idx", rng.standard_normal((50, 3)).astype(np.float32), 0x0D)
idx("f64.idx", rng.standard_normal((50, 4)), 0x0E)
idx("i16lab.idx", rng.integers(0, 300, 50, dtype=np.int16), 0x0B)
# larger than 1 MiB, so that it is written in several chunks
big = rng.integers(0, 256, (3000, 28, 28), dtype=np.uint8)
big[:, :, :18] = 0   # compressible, like MNIST
bigraw = idx("big.idx", big, 0x08)
idx("biglab.idx", rng.integers(0, 10, 3000, dtype=np.uint8), 0x08)
# bad IDX files
open(D + "trunc.idx", "wb").write(raw[:-10])
open(D + "long.idx", "wb").write(raw + b"\0\0\0")
open(D + "trunc.idx.gz", "wb").write(gzip.compress(raw)[:-30])
open(D + "bigtrunc.idx.gz", "wb").write(gzip.compress(bigraw, 1)[:len(gzip.compress(bigraw, 1)) * 3 // 4])
open(D + "badtype.idx", "wb").write(bytes([0, 0, 0x0A]) + raw[3:])
open(D + "rank0.idx", "wb").write(bytes([0, 0, 8, 0]))
open(D + "huge.idx", "wb").write(bytes([0, 0, 8, 2]) + b"\xff" * 8 + bytes(16))
open(D + "huge3.idx", "wb").write(bytes([0, 0, 0x0E, 3]) + b"\xff" * 12 + bytes(16))
open(D + "garbage", "wb").write(rng.integers(0, 256, 300, dtype=np.uint8).tobytes() + b"\0")
open(D + "empty", "wb").close()

# npy: every element type, both byte orders, 3-D, Fortran order, versions
for t in ["|u1", "|i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8", "<f4", "<f8",
          ">u2", ">i4", ">u8", ">f4", ">f8"]:
    dt = np.dtype(t)
    if dt.kind == "f":
        a = rng.standard_normal((6, 4)).astype(dt)
    else:
        info = np.iinfo(dt)
        a = rng.integers(info.min, info.max, (6, 4), dtype=dt.newbyteorder("="), endpoint=True).astype(dt)
    np.save(D + "a_%s%s.npy" % ("be" if t[0] == ">" else "", t[1:]), a)
np.save(D + "cube.npy", rng.standard_normal((5, 3, 2)).astype(np.float32))
np.save(D + "fort.npy", np.asfortranarray(rng.standard_normal((7, 3))))
np.save(D + "fort16.npy", np.asfortranarray(rng.integers(0, 60000, (9, 4), dtype=np.uint16)))
assert b"True" in open(D + "fort.npy", "rb").read(128)
for v in (2, 3):
    with open(D + "v%d.npy" % v, "wb") as f:
        np.lib.format.write_array(f, np.arange(12, dtype="<i4").reshape(4, 3), version=(v, 0))
np.save(D + "lab64.npy", lab.astype(np.int64))
np.save(D + "neglab.npy", np.array([0, 3, -1, 2], dtype=np.int32))
np.save(D + "flab.npy", lab.astype(np.float32))
np.save(D + "x4.npy", np.ones((4, 2), np.float32))
npy = open(D + "a_f8.npy", "rb").read()
open(D + "trunc.npy", "wb").write(npy[:-8])
open(D + "badmagic.npy", "wb").write(b"\x93NUMPX" + npy[6:])
open(D + "f2.npy", "wb").write(npy.replace(b"'<f8'", b"'<f2'"))
np.save(D + "c8.npy", np.zeros((3, 2), np.complex64))
np.save(D + "bool.npy", np.zeros((3, 2), bool))
np.save(D + "rec.npy", np.zeros(3, dtype=[("a", "<i4"), ("b", "<f4")]))
np.save(D + "fort3.npy", np.asfortranarray(np.zeros((2, 3, 4))))
np.save(D + "scalar.npy", np.float64(3))

# CSV, in several dialects
v = np.round(rng.standard_normal((30, 4)), 4)
cls = rng.integers(0, 3, 30)
def rows(sep, a):
    return "".join(sep.join(repr(float(x)) for x in r) + "\n" for r in a)
open(D + "comma.csv", "w").write("a,b,c,d\n" + rows(",", v))
open(D + "tab.tsv", "w").write(rows("\t", v))
open(D + "semi.csv", "w").write(rows(";", v))
open(D + "space.txt", "w").write(rows("   ", v).replace("\n", "  \n"))
lv = np.column_stack([v[:, :2], cls, v[:, 2:]])
open(D + "label.csv", "w").write('"x 1","x,2",class,"x4",x5\r\n# a comment\r\n\r\n' +
                                 rows(", ", lv).replace("\n", "\r\n"))
open(D + "lab2.csv", "w").write("p,q,k\n1.5,2,0\n3,4,2\n5,6,1\n")
open(D + "int.csv", "w").write("1 2\n3 4\n")
open(D + "ragged.csv", "w").write("1,2,3\n4,5,6\n7,8,9\n1,2,3,4\n")
open(D + "nonnum.csv", "w").write("a,b\n1,2\n3,x7\n")
open(D + "hole.csv", "w").write("1,2\n3,\n")
open(D + "fraclab.csv", "w").write("1,0\n2,1.5\n")
open(D + "hdronly.csv", "w").write("a,b,c\n")
open(D + "short.csv", "w").write(rows(",", v[:10]))
open(D + "c50.csv", "w").write(rows(",", np.zeros((50, 2))))
open(D + "c60.csv", "w").write(rows(",", np.zeros((60, 2))))
EOF

# chk STREAM EXPR...: every Python expression must be true, with each
# tensor bound to its name, A[name] its attributes, R the records as
# (name, flags, dims) read independently, and NumPy decoders at hand.
cat >"$T/chk.py" <<'EOF'
import gzip, struct, sys, numpy as np
TOP, D, stream = sys.argv[1], sys.argv[2] + "/", sys.argv[3]
sys.path.insert(0, TOP + "/examples")
from nns_read import read
def idx(p):
    raw = (gzip.open if p.endswith(".gz") else open)(D + p, "rb").read()
    r = raw[3]
    dims = struct.unpack(">%dI" % r, raw[4:4 + 4 * r])
    dt = {8: "u1", 9: "i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}[raw[2]]
    return np.frombuffer(raw[4 + 4 * r:], dt).reshape(dims)
def npy(p): return np.load(D + p)
def eq(a, b):  # same shape, same values, same kind of dtype
    return a.shape == b.shape and a.dtype.kind == b.dtype.kind and np.array_equal(a, b)
data = open(stream, "rb").read()
R, off = [], 0
while off < len(data):
    hlen, flags = struct.unpack_from("<II", data, off + 8)
    rank, plen = data[off + 7], struct.unpack_from("<Q", data, off + 16)[0]
    nlen = struct.unpack_from("<H", data, off + 40)[0]
    dims = struct.unpack_from("<%dQ" % rank, data, off + 48)
    R.append((data[off + 48 + 8 * rank:off + 48 + 8 * rank + nlen].decode(), flags, dims))
    off += hlen + plen
env = dict(np=np, idx=idx, npy=npy, eq=eq, R=R, A={}, D=D)
with open(stream, "rb") as f:
    for name, a, attrs in read(f):
        env[name] = a
        env["A"][name] = attrs
for e in sys.argv[4:]:
    if not eval(e, env):
        sys.exit("false: " + e)
EOF
chk() { $PY "$T/chk.py" "$TOP" "$T" "$@"; }
D=$T

# ------------------------------------------------------------------- IDX
nn-import "$D/img.idx" "$D/lab.idx" >"$T/a.nns"
check "idx: u8 images flattened, u8 labels" chk "$T/a.nns" \
    'eq(x, idx("img.idx").reshape(50, 35)) and x.dtype == np.uint8' \
    'eq(y, idx("lab.idx")) and y.dtype == np.uint8' \
    'A["x"] == {"producer": "nn-import 0.1", "source": "img.idx", "image": "7x5"}' \
    'A["y"] == {"producer": "nn-import 0.1", "source": "lab.idx", "encoding": "index", "classes": "10"}' \
    '[r[0] for r in R] == ["x", "y"]'
nn-import "$D/img.idx.gz" "$D/lab.idx.gz" >"$T/gz.nns"
check "idx.gz: same tensors as the plain files" chk "$T/gz.nns" \
    'eq(x, idx("img.idx.gz").reshape(50, 35)) and eq(y, idx("lab.idx"))' \
    'A["x"]["source"] == "img.idx.gz" and A["y"]["classes"] == "10"'
nn-import - "$D/lab.idx" <"$D/img.idx.gz" >"$T/stdin.nns"
check "idx.gz on stdin" chk "$T/stdin.nns" \
    'eq(x, idx("img.idx").reshape(50, 35)) and A["x"]["source"] == "stdin"'
nn-import --no-flatten "$D/img.idx" >"$T/nf.nns"
check "idx --no-flatten keeps (n,H,W)" chk "$T/nf.nns" \
    'eq(x, idx("img.idx")) and A["x"]["image"] == "7x5"'
nn-import a="$D/i8.idx" b="$D/i16.idx" c="$D/i32.idx" d="$D/f32.idx" \
    e="$D/f64.idx" f="$D/i16lab.idx" >"$T/types.nns"
check "idx: i8 i16 i32 f32 f64 big-endian, NAME=FILE" chk "$T/types.nns" \
    'eq(a, idx("i8.idx")) and a.dtype == np.int8' \
    'eq(b, idx("i16.idx")) and b.dtype == np.dtype("<i2")' \
    'eq(c, idx("i32.idx").reshape(50, 4)) and A["c"]["image"] == "2x2"' \
    'eq(d, idx("f32.idx")) and d.dtype == np.dtype("<f4")' \
    'eq(e, idx("f64.idx")) and e.dtype == np.dtype("<f8")' \
    'eq(f, idx("i16lab.idx")) and A["f"]["classes"] == str(int(idx("i16lab.idx").max()) + 1)' \
    '[r[0] for r in R] == list("abcdef")'
nn-import "$D/img.idx" "$D/lab.idx" "$D/i8.idx" "$D/f32.idx" >"$T/names.nns"
check "default names x y t2 t3" chk "$T/names.nns" \
    '[r[0] for r in R] == ["x", "y", "t2", "t3"] and eq(t3, idx("f32.idx"))'

# ------------------------------------------------------------ chunking
nn-import "$D/big.idx" "$D/biglab.idx" >"$T/big.nns"
check "an input over 1 MiB is chunked, x and y chunks paired row for row" \
    chk "$T/big.nns" \
    'eq(x, idx("big.idx").reshape(3000, 784)) and eq(y, idx("biglab.idx"))' \
    '[r[0] for r in R] == ["x", "y"] * 3' \
    '[r[2][0] for r in R] == [1337, 1337, 1337, 1337, 326, 326]' \
    '[r[1] & 2 for r in R] == [0, 0, 2, 2, 2, 2]' \
    'all(r[2][1:] == (784,) for r in R[0::2])'
nn-import -t f32 "$D/big.idx" "$D/biglab.idx" >"$T/bigf.nns"
check "chunk rows follow the widest output row (f32)" chk "$T/bigf.nns" \
    '[r[2][0] for r in R][:2] == [334, 334] and len(R) == 2 * 9' \
    'x.dtype == np.float32 and eq(x, idx("big.idx").reshape(3000, 784).astype(np.float32))' \
    'y.dtype == np.uint8'
nn-import -z "$D/big.idx" "$D/biglab.idx" >"$T/bigz.nns"
check "-z: compressed records decode to the same tensors" chk "$T/bigz.nns" \
    'eq(x, idx("big.idx").reshape(3000, 784)) and eq(y, idx("biglab.idx"))' \
    'all(r[1] & 1 for r in R) and [r[2][0] for r in R] == [1337, 1337, 1337, 1337, 326, 326]'
nn-import --zstd=19 "$D/img.idx" "$D/lab.idx" >"$T/z19.nns"
check "--zstd=19" chk "$T/z19.nns" 'eq(x, idx("img.idx").reshape(50, 35))' \
    'eq(y, idx("lab.idx"))'

# --------------------------------------------------- labels, scale, dtype
nn-import --onehot "$D/img.idx" "$D/lab.idx" >"$T/oh.nns"
check "--onehot: (n,K) f32 with K = max+1" chk "$T/oh.nns" \
    'y.dtype == np.float32 and eq(y, np.eye(10, dtype=np.float32)[idx("lab.idx")])' \
    'A["y"]["encoding"] == "onehot" and A["y"]["classes"] == "10"' \
    'eq(x, idx("img.idx").reshape(50, 35))'
nn-import --onehot=12 "$D/img.idx" "$D/lab64.npy" >"$T/oh12.nns"
check "--onehot=12 of i64 npy labels" chk "$T/oh12.nns" \
    'eq(y, np.eye(12, dtype=np.float32)[idx("lab.idx")]) and A["y"]["classes"] == "12"'
nn-import --scale 1/255 "$D/img.idx" "$D/lab.idx" >"$T/sc.nns"
check "--scale 1/255: f32 features, labels untouched" chk "$T/sc.nns" \
    'x.dtype == np.float32 and np.array_equal(x, (idx("img.idx").reshape(50, 35) * (1 / 255)).astype(np.float32))' \
    'eq(y, idx("lab.idx")) and y.dtype == np.uint8'
nn-import -t f64 --scale 0.5 "$D/i16.idx" >"$T/sc64.nns"
check "-t f64 --scale 0.5" chk "$T/sc64.nns" \
    'x.dtype == np.float64 and np.array_equal(x, idx("i16.idx") * 0.5)'
nn-import -t i16 "$D/f32.idx" >"$T/ti16.nns"
check "-t i16 rounds to nearest" chk "$T/ti16.nns" \
    'x.dtype == np.int16 and np.array_equal(x, np.rint(idx("f32.idx")).astype(np.int16))'
nn-import -t u8 --scale 100 "$D/f32.idx" >"$T/tu8.nns"
check "-t u8 --scale 100 saturates" chk "$T/tu8.nns" \
    'np.array_equal(x, np.clip(np.rint(idx("f32.idx").astype(np.float64) * 100), 0, 255).astype(np.uint8))'

# ------------------------------------------------------------------- npy
for f in a_u1 a_i1 a_u2 a_i2 a_u4 a_i4 a_u8 a_i8 a_f4 a_f8 a_beu2 a_bei4 \
         a_beu8 a_bef4 a_bef8 cube fort fort16 v2 v3; do
    nn-import "$D/$f.npy" >"$T/$f.nns"
    check "npy $f" chk "$T/$f.nns" \
        "eq(x, npy('$f.npy')) and x.dtype.itemsize == npy('$f.npy').dtype.itemsize" \
        "A['x'] == {'producer': 'nn-import 0.1', 'source': '$f.npy'}"
done
nn-import "$D/x4.npy" "$D/neglab.npy" >"$T/neg.nns"
check "negative labels: encoding=index, no classes" chk "$T/neg.nns" \
    'eq(y, npy("neglab.npy")) and A["y"] == {"producer": "nn-import 0.1", "source": "neglab.npy", "encoding": "index"}'
nn-import "$D/flab.npy" >"$T/flab.nns"
check "rank-1 float input: not a label tensor" chk "$T/flab.nns" \
    'eq(x, npy("flab.npy")) and "encoding" not in A["x"]'

# ------------------------------------------------------------------- CSV
nn-import "$D/comma.csv" >"$T/comma.nns"
check "csv: comma with header, f32, columns attribute" chk "$T/comma.nns" \
    'eq(x, np.loadtxt(D + "comma.csv", delimiter=",", skiprows=1).astype(np.float32))' \
    'A["x"] == {"producer": "nn-import 0.1", "source": "comma.csv", "columns": "a,b,c,d"}'
for f in tab.tsv semi.csv space.txt; do
    nn-import "$D/$f" >"$T/$f.nns"
    check "csv: $f" chk "$T/$f.nns" \
        "eq(x, np.loadtxt(D + 'comma.csv', delimiter=',', skiprows=1).astype(np.float32))" \
        "'columns' not in A['x']"
done
nn-import - <"$D/comma.csv" >"$T/cstdin.nns"
check "csv on stdin" chk "$T/cstdin.nns" \
    'eq(x, np.loadtxt(D + "comma.csv", delimiter=",", skiprows=1).astype(np.float32))' \
    'A["x"]["source"] == "stdin"'
nn-import --label-column 2 "$D/label.csv" >"$T/lab.nns"
check "csv --label-column: quoted header, CRLF, comment, blank line" \
    chk "$T/lab.nns" \
    'eq(x, np.delete(np.loadtxt(D + "label.csv", delimiter=",", skiprows=1), 2, 1).astype(np.float32))' \
    'eq(y, np.loadtxt(D + "label.csv", delimiter=",", skiprows=1)[:, 2].astype(np.int32)) and y.dtype == np.int32' \
    '"columns" not in A["x"]' \
    'A["y"] == {"producer": "nn-import 0.1", "source": "label.csv", "encoding": "index"}' \
    '[r[0] for r in R] == ["x", "y"]'
nn-import --label-column 2 --onehot "$D/lab2.csv" >"$T/lab2.nns"
check "csv --label-column --onehot (K from a first reading)" chk "$T/lab2.nns" \
    'eq(x, np.array([[1.5, 2], [3, 4], [5, 6]], np.float32))' \
    'eq(y, np.eye(3, dtype=np.float32)[[0, 2, 1]])' \
    'A["x"]["columns"] == "p,q" and A["y"]["classes"] == "3"'
nn-import --label-column 2 --onehot=4 - <"$D/lab2.csv" >"$T/lab3.nns"
check "csv labels from a pipe with --onehot=4" chk "$T/lab3.nns" \
    'eq(y, np.eye(4, dtype=np.float32)[[0, 2, 1]]) and A["y"]["classes"] == "4"'
nn-import "$D/int.csv" >"$T/int.nns"
check "csv: one space, no header" chk "$T/int.nns" \
    'eq(x, np.array([[1, 2], [3, 4]], np.float32))'
nn-import --delimiter ';' -t f64 "$D/semi.csv" >"$T/semi64.nns"
check "csv --delimiter ';' -t f64" chk "$T/semi64.nns" \
    'eq(x, np.loadtxt(D + "semi.csv", delimiter=";")) and x.dtype == np.float64'
nn-import "$D/hdronly.csv" >"$T/hdr.nns"
check "csv with a header only: (0,3)" chk "$T/hdr.nns" \
    'x.shape == (0, 3) and A["x"]["columns"] == "a,b,c" and len(R) == 1'
nn-import "$D/c50.csv" "$D/lab.idx" >"$T/mix.nns"
check "csv rows paired with IDX labels" chk "$T/mix.nns" \
    'x.shape == (50, 2) and eq(y, idx("lab.idx"))'

# ------------------------------------------ CSV header rule, --header
printf '1,,3\n4,5,6\n' >"$D/firsthole.csv"
fails_clean "csv first line with an empty field is data, not a header" \
    "line 1, field 2: empty field is not a number" nn-import "$D/firsthole.csv"
printf 'a,2\n3,4\n' >"$D/halfhdr.csv"
fails_clean "csv first line with a number is data" \
    "line 1, field 1: 'a' is not a number" nn-import "$D/halfhdr.csv"
printf '1,1e999\n' >"$D/huge.csv"
fails_clean "csv 1e999 is an error, not inf" \
    "line 1, field 2: '1e999' is out of the range" nn-import "$D/huge.csv"
printf '1,2\n-1e999,4\n' >"$D/huge2.csv"
fails_clean "csv -1e999 later in the file" "line 2, field 1: '-1e999'" \
    nn-import "$D/huge2.csv"
printf '1,inf\n-inf,nan\n1e-320,0\n' >"$D/inf.csv"
nn-import -t f64 "$D/inf.csv" >"$T/inf.nns"
check "csv inf, nan and a subnormal are numbers" chk "$T/inf.nns" \
    'x.shape == (3, 2) and x[0, 1] == np.inf and x[1, 0] == -np.inf' \
    'np.isnan(x[1, 1]) and x[2, 0] == 1e-320'
printf '10,20\n1,2\n3,4\n' >"$D/numhdr.csv"
nn-import --header "$D/numhdr.csv" >"$T/numhdr.nns"
check "csv --header: a numeric first line is the header" chk "$T/numhdr.nns" \
    'eq(x, np.array([[1, 2], [3, 4]], np.float32))' \
    'A["x"]["columns"] == "10,20"'
nn-import --no-header "$D/numhdr.csv" >"$T/nohdr.nns"
check "csv --no-header: the first line is data" chk "$T/nohdr.nns" \
    'eq(x, np.array([[10, 20], [1, 2], [3, 4]], np.float32))' \
    '"columns" not in A["x"]'
fails_clean "csv --no-header on a header" "line 1, field 1: 'a' is not a number" \
    nn-import --no-header "$D/comma.csv"
nn-import --header --label-column 0 "$D/c50.csv" >"$T/hdrlab.nns"
check "csv --header --label-column" chk "$T/hdrlab.nns" \
    'x.shape == (49, 1) and y.shape == (49,) and A["x"]["columns"] == "0.0"'

# ------------------------------------ whatever nn-export writes reads back
nn-import -t f64 "$D/f64.idx" >"$T/e.nns"
for d in ';' tab space '|' ':' '/'; do
    rm -f "$T/e2.nns"
    nn-export -f csv --delimiter "$d" --header "$T/e.nns" >"$T/e.csv" &&
        nn-import --delimiter "$d" -t f64 "$T/e.csv" >"$T/e2.nns"
    check "csv --delimiter '$d': nn-export's text reads back" chk "$T/e2.nns" \
        'eq(x, idx("f64.idx")) and A["x"]["columns"] == "c0,c1,c2,c3"'
done
fails_usage "--delimiter '#' is the comment mark" "invalid --delimiter '#': expected one character" \
    nn-import --delimiter '#' "$D/comma.csv"
fails_usage "nn-export --delimiter '#' too" "invalid --delimiter '#': expected one character" \
    nn-export -f csv --delimiter '#' "$T/e.nns"
fails_usage "-d is no longer --delimiter (it would be --decompress)" "invalid option -d" \
    nn-import -d ';' "$D/semi.csv"

# ----------------------------------------------------------- output file
nn-import -o "$T/o.nns" "$D/img.idx" "$D/lab.idx"
same "-o FILE holds what stdout gets" "$T/a.nns" "$T/o.nns"
check "--help" sh -c 'nn-import --help | grep -q "^Usage: nn-import"'
check "--version" sh -c 'nn-import --version | grep -q "nn-import (nn tools) 0.1"'
check "-V" sh -c 'nn-import -V | grep -q "nn-import (nn tools) 0.1"'
nn-import -P -o "$T/p.nns" "$D/img.idx" "$D/lab.idx" 2>"$T/p.err"
same "-P: the same stream" "$T/a.nns" "$T/p.nns"
grep -q "nn-import: .*rows" "$T/p.err" && ok "-P: progress on stderr, not a terminal" ||
    not_ok "-P: progress on stderr" "$(head -c 200 "$T/p.err")"

# ------------------------------------------------------------- bad input
fails_clean "truncated IDX" "truncated" nn-import "$D/trunc.idx"
fails_clean "IDX longer than its header says" "after the IDX data" \
    nn-import "$D/long.idx"
fails_clean "truncated IDX.gz" "truncated" nn-import "$D/trunc.idx.gz" "$D/lab.idx"
fails_clean "wrong IDX type byte" "type byte 0x0a" nn-import "$D/badtype.idx"
fails_clean "IDX of rank 0" "rank 0" nn-import "$D/rank0.idx"
fails_clean "IDX claiming 2^32 x 2^32 bytes" "too large|truncated" \
    nn-import "$D/huge.idx"
fails_clean "IDX claiming 2^32 x 2^32 bytes, from a pipe" "too large" \
    sh -c "cat '$D/huge.idx' | nn-import -"
fails_clean "IDX whose shape overflows, from a pipe" "too large" \
    sh -c "cat '$D/huge3.idx' | nn-import -"
fails_clean "garbage" "not an IDX, npy or CSV" nn-import "$D/garbage"
fails_clean "empty file" "empty" nn-import "$D/empty"
fails_clean "a directory" "directory" nn-import "$D"
fails_clean "missing file" "No such file" nn-import "$D/nonesuch"
fails_clean "truncated npy" "truncated" nn-import "$D/trunc.npy"
fails_clean "npy bad magic (-f npy)" "bad magic" nn-import -f npy "$D/badmagic.npy"
fails_clean "npy bad magic" "not an IDX, npy or CSV" nn-import "$D/badmagic.npy"
fails_clean "npy <f2" "'<f2' is not supported" nn-import "$D/f2.npy"
fails_clean "npy complex" "'<c8' is not supported" nn-import "$D/c8.npy"
fails_clean "npy bool" "'\|b1' is not supported" nn-import "$D/bool.npy"
fails_clean "npy structured" "structured" nn-import "$D/rec.npy"
fails_clean "npy Fortran order rank 3" "Fortran" nn-import "$D/fort3.npy"
fails_clean "npy 0-d" "no rows" nn-import "$D/scalar.npy"
fails_clean "csv ragged rows" "line 4 has 4 fields, expected 3" \
    nn-import "$D/ragged.csv"
fails_clean "csv non-numeric cell" "line 3, field 2: 'x7' is not a number" \
    nn-import "$D/nonnum.csv"
fails_clean "csv empty cell" "line 2, field 2: empty field" nn-import "$D/hole.csv"
fails_clean "csv fractional label" "line 2: label '1.5' is not an integer" \
    nn-import --label-column 1 "$D/fraclab.csv"
fails_clean "csv label column out of range" "no column 5" \
    nn-import --label-column 5 "$D/comma.csv"
fails_clean "--label-column on IDX" "needs CSV" \
    nn-import --label-column 0 "$D/img.idx"
fails_clean "different row counts" "50 rows but .* has 49" \
    nn-import "$D/img.idx" "$D/lab49.idx"
fails_clean "csv shorter than the labels" "short.csv ends after 10 rows" \
    nn-import "$D/short.csv" "$D/lab.idx"
fails_clean "csv longer than the labels" "c60.csv has more rows" \
    nn-import "$D/c60.csv" "$D/lab.idx"
fails_clean "--onehot of float labels" "integer labels" \
    nn-import --onehot "$D/img.idx" "$D/flab.npy"
fails_clean "--onehot=5 with a label 9" "label 9 \(row 3\) is outside \[0,5\)" \
    nn-import --onehot=5 "$D/img.idx" "$D/lab.idx"
fails_clean "--onehot of a negative label" "label -1 \(row 2\) is outside" \
    nn-import --onehot "$D/x4.npy" "$D/neglab.npy"
fails_clean "--onehot without labels" "no input is a rank-1" \
    nn-import --onehot "$D/img.idx"
fails_clean "--onehot of CSV labels from a pipe needs K" "needs K" \
    sh -c "nn-import --onehot --label-column 2 - <'$D/lab2.csv'"
fails_clean "-o with bad input" "truncated" \
    nn-import -o "$T/bad.nns" "$D/img.idx" "$D/lab49.idx" "$D/trunc.idx"
if ls "$T"/bad.nns* >/dev/null 2>&1; then not_ok "-o leaves no file" "$(ls "$T"/bad.nns*)"
else ok "-o leaves no file"; fi

# An error after records went out: the stream must not read as complete.
# Into a pipe it ends with a lone record magic; a regular file on stdout is
# cut back to where the tool began.
nn-import "$D/bigtrunc.idx.gz" 2>"$T/cut.err" | cat >"$T/cut.nns"
if [ -s "$T/cut.nns" ] && [ "$(wc -l <"$T/cut.err")" -eq 1 ] &&
    grep -q "truncated" "$T/cut.err" && ! nn-info -q "$T/cut.nns" 2>/dev/null &&
    ! $PY -c "import sys; sys.path.insert(0, '$TOP/examples'); from nns_read import read; read(open('$T/cut.nns', 'rb'))" 2>/dev/null
then ok "an error mid-stream leaves a stream that reads as truncated"
else not_ok "an error mid-stream leaves a stream that reads as truncated" \
    "$(wc -c <"$T/cut.nns") bytes, $(head -c 200 "$T/cut.err")"; fi
nn-import "$D/bigtrunc.idx.gz" >"$T/cut.nns" 2>"$T/cut.err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$T/cut.nns" ]; then
    ok "an error mid-stream into a file on stdout leaves it empty"
else not_ok "an error mid-stream into a file on stdout leaves it empty" \
    "exit $rc, $(wc -c <"$T/cut.nns") bytes"; fi

# usage errors: exit 2, nothing on stdout
for args in "--bogus x" "-t f16 x" "--onehot=0 x" "-z99 x" "-f png x" \
    "--scale abc x" "--delimiter 1 x" "-d , x" "" "- -" "--label-column 1 a b" "x=a x=b"; do
    # shellcheck disable=SC2086
    nn-import $args >"$T/u.out" 2>"$T/u.err" </dev/null
    rc=$?
    if [ $rc -eq 2 ] && [ ! -s "$T/u.out" ] && grep -q "^nn-import: " "$T/u.err"
    then ok "usage error: '$args'"
    else not_ok "usage error: '$args'" "exit $rc"; fi
done

# typed option values: one message, naming the long option
fails_usage "-t f16" "invalid --dtype 'f16': expected u8, i8" nn-import -t f16 "$D/img.idx"
fails_usage "--onehot=0" "invalid --onehot '0': must be from 1 to 1048576" nn-import --onehot=0 "$D/img.idx"
fails_usage "-f png" "invalid --format 'png': expected idx, npy or csv" nn-import -f png "$D/img.idx"
fails_usage "--scale abc" "invalid --scale 'abc': not a number" nn-import --scale abc "$D/img.idx"
fails_usage "--label-column -1" "invalid --label-column '-1': not a whole number \\(negative\\)" \
    nn-import --label-column -1 "$D/comma.csv"
fails_usage "-z99" "invalid --zstd '99': must be from 1 to 22" nn-import -z99 "$D/img.idx"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]

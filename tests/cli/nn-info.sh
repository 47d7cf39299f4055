# nn-info: statistics against NumPy, per-record listing, concatenated
# streams, and every kind of bad stream.
. "$(dirname "$0")/../lib.sh"
cd "$T"
craft() { "$PY" "$TOP/tests/nns_craft.py" "$@"; }
craft random a 500 9 1 > a.nns
craft dataset > ds.nns
craft zstd > dsz.nns

nn-info -j a.nns > a.json
"$PY" - "$TOP" <<'PY' && ok "statistics equal NumPy's" || not_ok "statistics equal NumPy's" "see above"
import sys, json; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
x = read(open("a.nns", "rb"))[0][1].astype(np.float64)
r = json.loads(open("a.json").read())
assert r["shape"] == [500, 9] and r["dtype"] == "f32" and r["count"] == 4500
assert r["min"] == x.min() and r["max"] == x.max()
assert abs(r["mean"] - x.mean()) < 1e-12 and abs(r["std"] - x.std()) < 1e-12, r
PY

nn-info -j ds.nns > ds.json
nn-info -j dsz.nns > dsz.json
"$PY" - <<'PY' && ok "chunks are joined into tensors; compressed reads the same" || not_ok "chunk joining" "see above"
import json
a = [json.loads(l) for l in open("ds.json")]
b = [json.loads(l) for l in open("dsz.json")]
assert [(t["name"], t["shape"], t["records"]) for t in a] == [("x", [4, 3], 2), ("y", [4], 2)], a
for s, t in zip(a, b):
    for k in ("min", "max", "mean", "std", "shape", "attrs"):
        assert s[k] == t[k], (k, s, t)
assert a[0]["attrs"] == {"source": "craft"}
PY

cat ds.nns a.nns ds.nns > cat.nns
n=$(nn-info -j cat.nns | wc -l)
[ "$n" -eq 5 ] && ok "cat a b c | nn-info lists the tensors of all three" || not_ok "cat lists all" "$n tensors"
n=$(nn-info --records -j cat.nns | wc -l)
[ "$n" -eq 9 ] && ok "--records lists every record" || not_ok "--records lists every record" "$n lines"
fails_usage "-r is now --records only" "invalid option -r" nn-info -r cat.nns
nn-info ds.nns > plain.txt
nn-info -P ds.nns > progress.txt 2> progress.err && same "-P: the same listing" plain.txt progress.txt
grep -q "nn-info: .*MiB" progress.err && ok "-P: progress on stderr, not a terminal" || not_ok "-P" "$(head -c 200 progress.err)"
nn-info -H ds.nns | grep -q '^x  *f32  *(4,3)' && ok "-H lists headers" || not_ok "-H lists headers" "$(nn-info -H ds.nns)"
nn-info ds.nns | tail -1 | grep -q '4 records, 344 bytes' && ok "summary line" || not_ok "summary line" "$(nn-info ds.nns | tail -1)"
: > empty.nns
nn-info -j empty.nns > e.out && [ ! -s e.out ] && ok "an empty file is an empty stream" || not_ok "empty stream" "rc or output"
nn-info -q ds.nns a.nns && ok "-q on valid streams exits 0" || not_ok "-q" "non-zero"
[ "$(nn-info ds.nns a.nns | grep -c '^==> ')" -eq 2 ] && ok "several files get headers" || not_ok "several files" "no ==> lines"

for k in version flag overflow wrap liar checksum dtype orphan; do
    craft $k > bad-$k.nns
done
fails_clean "unknown version" "unknown format version 2" nn-info bad-version.nns
fails_clean "unknown critical flag" "unknown critical flags" nn-info bad-flag.nns
fails_clean "2^60 elements is refused before allocating" "over the limit" nn-info bad-overflow.nns
fails_clean "element count overflowing 2^64" "more elements than 2\^64" nn-info bad-wrap.nns
fails_clean "payload shorter than declared" "truncated payload" nn-info bad-liar.nns
fails_clean "payload checksum mismatch" "checksum mismatch" nn-info bad-checksum.nns
fails_clean "unknown dtype" "unknown dtype code 42" nn-info bad-dtype.nns
fails_clean "chunk continuing nothing" "continues no tensor" nn-info bad-orphan.nns
for k in badattrs ctrlname zerowide; do craft $k > bad-$k.nns; done
fails_clean "malformed attributes" "malformed attributes" nn-info bad-badattrs.nns
fails_clean "a control character in a name" "record name is not UTF-8 text" nn-info bad-ctrlname.nns
fails_clean "2^40 rows of zero width" "more than .* rows or columns" nn-info bad-zerowide.nns
head -c 30 ds.nns > trunc-header.nns
fails_clean "truncated header" "truncated record header" nn-info trunc-header.nns
head -c 100 ds.nns > trunc-payload.nns
fails_clean "truncated payload" "truncated payload" nn-info trunc-payload.nns
printf 'hello, world, this is not a stream at all.......' > garbage.nns
fails_clean "garbage" "bad magic" nn-info garbage.nns
"$PY" -c "
import sys; b = bytearray(open('ds.nns','rb').read()); b[60] ^= 1; sys.stdout.buffer.write(b)" > flip.nns
fails_clean "a flipped header bit" "header checksum mismatch" nn-info flip.nns
fails_clean "missing file" "no-such-file" nn-info no-such-file
fails_clean "corrupt second file: no listing for it" "checksum" nn-info -j bad-checksum.nns
fails_usage "unknown option" "invalid option|unrecognized" nn-info --frobnicate
check "--help exits 0" nn-info --help
check "-V" sh -c 'nn-info -V | grep -q "^nn-info (nn tools) "'

# A compressed record of no elements must still hold nothing more in its
# frame; a name with a C1 control character (U+0085) is not a name.
"$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/tests")
from nns_craft import record
import numpy as np, zstandard
frame = zstandard.ZstdCompressor(write_content_size=False).compress(bytes(1000))
open("z0.nns", "wb").write(record("x", np.zeros((0, 4), "<f4"), flags=1, payload=frame))
open("c1.nns", "wb").write(record("a\u0085b", np.zeros(2, "<f4")))
PY
fails_clean "an empty record whose frame holds 1000 bytes" "does not decode to the 0 bytes" nn-info z0.nns
fails_clean "an empty record whose frame holds 1000 bytes, copied undecoded (-d)" "does not decode to the 0 bytes" nn-cat -d z0.nns
fails_clean "a C1 control character in a name" "not UTF-8 text without control" nn-info c1.nns

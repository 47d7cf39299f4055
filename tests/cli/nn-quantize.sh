# nn-quantize: every scheme read back by the network tools; fixed codes
# against NumPy's formulas; Huffman gives the fixed codes' weights in
# fewer bytes; the bits reported are the bytes written; --decode writes
# floats equal to what the reader decodes; the dynamic N follows the
# entropy of a sample; lossless is exact; --data: the accuracies and the
# KL divergence of the outputs against NumPy's; bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 2

nn-init -s 4 -a tanh -O softmax 30-40-20-5 > net.nns
"$PY" -c "
import numpy as np
np.save('x.npy', np.random.default_rng(3).standard_normal((200, 30)).astype(np.float32))"
nn-import x=x.npy > d.nns
nn-forward net.nns d.nns > y0.nns

# every scheme: the network tools read it; the outputs stay close
for s in "--bits 8" "--bits 8 --huffman" "--bits 3" "--dynamic" "--q8_0" "--q4_0" "--lossless"; do
    if nn-quantize $s net.nns > q.nns && nn-forward q.nns d.nns > yq.nns; then
        ok "$s: written, and read by nn-forward"
    else
        not_ok "$s" "$(nn-quantize $s net.nns 2>&1 >/dev/null)"
    fi
done
nn-quantize --lossless net.nns | nn-forward - d.nns | cmp -s - y0.nns &&
    ok "--lossless: the same outputs to the bit" || not_ok "--lossless" "outputs differ"

# fixed 6 bits: the decoded weights are NumPy's formula applied to the
# original, and --decode writes what readers decode
nn-quantize --bits 6 net.nns > q6.nns
nn-quantize --decode q6.nns > d6.nns
nn-info d6.nns | grep -q "quant=" && not_ok "--decode" "still quantized" || ok "--decode writes float layers"
for k in 0 1 2; do
    nn-pick w --nth $k < net.nns | nn-export -f npy -n w -o w$k.npy
    nn-pick w --nth $k < d6.nns | nn-export -f npy -n w -o d$k.npy
done
if "$PY" - <<'PY'
import numpy as np
ok = True
for k in range(3):
    w = np.load(f"w{k}.npy").astype(np.float64); d = np.load(f"d{k}.npy").astype(np.float64)
    lo, hi = w.min(), w.max()
    q = np.minimum(63, np.floor(64 * (w - lo) / (hi - lo)))
    want = (lo + (hi - lo) * (q + 0.5) / 64).astype(np.float32)
    ok &= np.array_equal(want, d.astype(np.float32))
raise SystemExit(0 if ok else 1)
PY
then ok "--bits 6: decoded weights are lo + (hi - lo)(q + 0.5)/64, q = min(63, floor(64 (w - lo)/(hi - lo))) (NumPy)"
else not_ok "--bits 6 against NumPy" "see above"; fi

# Huffman: the same weights as fixed, in fewer bytes on a layer large
# enough for its table of 2^N lengths; the report's bytes are the file's
nn-init -s 5 -a tanh 30-400-100-10 > big.nns
nn-quantize --bits 8 -v big.nns > f8.nns 2> f8.rep
nn-quantize --bits 8 --huffman --report h8.rep big.nns > h8.nns
nn-quantize --decode f8.nns > f8d.nns; nn-quantize --decode h8.nns > h8d.nns
nn-forward f8d.nns d.nns > a.out; nn-forward h8d.nns d.nns | cmp -s - a.out &&
    ok "--huffman: the fixed codes' weights" || not_ok "--huffman weights" "differ"
fb=$(awk '$1 == "all" { print $3 }' f8.rep); hb=$(awk '$1 == "all" { print $3 }' h8.rep)
fs=$(wc -c < f8.nns); hs=$(wc -c < h8.nns)
[ "$hb" -lt "$fb" ] && ok "--huffman: $hb bytes of layers against fixed's $fb" ||
    not_ok "--huffman smaller" "$hb >= $fb"
# the layers' bytes with their headers: the file holds them and nothing else
[ "$fb" = "$fs" ] && [ "$hb" = "$hs" ] && ok "the report's bytes are the bytes written ($fs, $hs)" ||
    not_ok "report bytes" "$fb/$fs $hb/$hs"

# --dynamic: N = ceil(H) + floor from a sample; a larger floor, more bits
nn-quantize --dynamic --floor 2 -v net.nns > /dev/null 2> dy2.rep
nn-quantize --dynamic --floor 6 -v net.nns > /dev/null 2> dy6.rep
b2=$(awk '$1 == "1" { print $6 }' dy2.rep); b6=$(awk '$1 == "1" { print $6 }' dy6.rep)
[ "$((b6 - b2))" = 4 ] && ok "--dynamic: floor 6 gives 4 bits more than floor 2 ($b6, $b2)" ||
    not_ok "--dynamic floors" "$b6 $b2"
nn-quantize --dynamic --floor 9 --max-bits 10 -v net.nns > /dev/null 2> dy9.rep
awk '$1 ~ /^[0-9]+$/ && $6 > 10 { bad = 1 } END { exit bad }' dy9.rep &&
    ok "--max-bits 10 caps N" || not_ok "--max-bits" "$(cat dy9.rep)"

# a masked network keeps its mask, its masked weights zero
nn-init -s 2 -p 0.3 20-12-3 > m.nns
nn-quantize --bits 4 m.nns | nn-quantize --decode > md.nns
nn-pick mask < m.nns > m1; nn-pick mask < md.nns > m2
cmp -s m1 m2 && ok "masks kept" || not_ok "masks" "differ"

# bad input
fails_usage "no scheme" "missing --bits" nn-quantize net.nns
fails_usage "two schemes" "choose one of" nn-quantize --bits 4 --q8_0 net.nns
fails_usage "--bits 0" "invalid --bits '0'" nn-quantize --bits 0 net.nns
fails_usage "--bits 25" "invalid --bits '25'" nn-quantize --bits 25 net.nns
fails_usage "--huffman 20 bits" "--huffman takes 1 to 16" nn-quantize --bits 20 --huffman net.nns
fails_usage "--fraction 0" "invalid --fraction '0'" nn-quantize --dynamic --fraction 0 net.nns
fails_usage "--fraction 2" "invalid --fraction '2'" nn-quantize --dynamic --fraction 2 net.nns
head -c 100 q6.nns > cut.nns
fails_clean "a truncated network" "cut.nns" nn-quantize --bits 4 cut.nns
"$PY" - > unk.nns <<PY
import sys; sys.path.insert(0, "$TOP/tests")
import numpy as np
from nns_craft import record
sys.stdout.buffer.write(record("w", np.zeros(8, np.uint8), "quant=zip\nshape=2x3\ndtype=f32\n"))
PY
fails_clean "an unknown scheme" "unknown quantization quant=zip" nn-quantize --decode unk.nns

# --data: the change in accuracy and the KL divergence of the outputs.
# Labels: the original network's class on rows 0-149, others on 150-199.
nn-forward net.nns d.nns | nn-export -f npy -o p0.npy
"$PY" -c "
import numpy as np
p = np.load('p0.npy'); y = p.argmax(1); y[150:] = (y[150:] + 1) % 5
np.save('y.npy', y.astype(np.int64))"
nn-import x=x.npy y=y.npy > dl.nns
nn-quantize --lossless --data dl.nns -v net.nns 2> ll.rep > /dev/null
[ "$(awk '$1 == "rows" { getline; print $1, $2, $3, $4, $5, $6 }' ll.rep)" = "200 200 75.00 75.00 +0.00 0" ] &&
    ok "--data --lossless: 200 rows, accuracy 75% unchanged, KL 0" ||
    not_ok "--data --lossless" "$(tail -2 ll.rep)"
# a coarse quantization: KL and accuracies against NumPy on nn-forward's
# outputs of both networks (softmax: the probabilities themselves; tanh
# and a single identity output: the softmax of the outputs, (0, c) for one)
kl_check() { # quantized-net report labels.npy probs|logits
    nn-forward "$1" d.nns | nn-export -f npy -o pq.npy
    "$PY" - "$2" "$3" "$4" <<'PY'
import sys, numpy as np
rep, ylab, mode = sys.argv[1:]
a = np.load("p0.npy").astype(np.float64); b = np.load("pq.npy").astype(np.float64)
y = np.load(ylab)
def logp(o):
    if mode == "probs":
        return np.log(o)
    if o.shape[1] == 1:
        o = np.hstack([np.zeros_like(o), o])
    o = o - o.max(1, keepdims=True)
    return o - np.log(np.exp(o).sum(1, keepdims=True))
la, lb = logp(a), logp(b)
kl = (np.exp(la) * (la - lb)).sum(1).mean()
pred = (lambda o: (o[:, 0] >= 0.5).astype(int)) if a.shape[1] == 1 else (lambda o: o.argmax(1))
acc = lambda o: 100.0 * (pred(o) == y).mean()
lines = open(rep).read().split("\n")
i = [k for k, l in enumerate(lines) if l.startswith("rows")][0]
f = lines[i + 1].split()
got = (float(f[2]), float(f[3]), float(f[5]))
ok = (abs(got[0] - acc(a)) < 0.005 and abs(got[1] - acc(b)) < 0.005 and
      kl > 1e-4 and abs(got[2] - kl) <= 1e-4 * kl)
print("tool", got, "numpy", (acc(a), acc(b), kl), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
nn-quantize --bits 3 --data dl.nns --report b3.rep net.nns > q3.nns
kl_check q3.nns b3.rep y.npy probs 2> kl.err &&
    ok "--data --bits 3 (softmax): accuracies and KL as NumPy's ($(cat kl.err))" ||
    not_ok "--data --bits 3 softmax" "$(cat kl.err)"
nn-init -s 6 -a tanh -O tanh 30-16-5 > th.nns
nn-forward th.nns d.nns | nn-export -f npy -o p0.npy
nn-quantize --q4_0 --data dl.nns --report t4.rep th.nns > t4.nns
kl_check t4.nns t4.rep y.npy logits 2> kl.err &&
    ok "--data --q4_0 (tanh outputs): softmax of the outputs, as NumPy's ($(cat kl.err))" ||
    not_ok "--data --q4_0 tanh" "$(cat kl.err)"
"$PY" -c "
import numpy as np
np.save('y2.npy', (np.random.default_rng(1).random(200) < 0.5).astype(np.int64))"
nn-import x=x.npy y=y2.npy > d2.nns
nn-init -s 7 -a tanh 30-16-1 > one.nns
nn-forward one.nns d.nns | nn-export -f npy -o p0.npy
nn-quantize --bits 3 --data d2.nns --report o3.rep one.nns > o3.nns
kl_check o3.nns o3.rep y2.npy logits 2> kl.err &&
    ok "--data, one identity output: logits (0, c), class y >= 0.5, as NumPy's ($(cat kl.err))" ||
    not_ok "--data one output" "$(cat kl.err)"
# without labels: the KL alone
nn-quantize --bits 3 --data d.nns -v net.nns 2> nl.rep > /dev/null
awk '$1 == "rows" { getline; exit !($2 == 0 && $3 == "-" && $6 > 0) }' nl.rep &&
    ok "--data without labels: no accuracy, the KL" || not_ok "--data without labels" "$(tail -2 nl.rep)"
fails_usage "--data without a report" "--data goes with --report or --verbose" \
    nn-quantize --bits 4 --data dl.nns net.nns
fails_usage "--data with --decode" "--data goes with quantization" \
    nn-quantize --decode --data dl.nns q6.nns
fails_usage "--data and NET both stdin" "cannot both be stdin" \
    nn-quantize --bits 4 -v --data - < net.nns
nn-init -s 1 12-3 > narrow.nns
fails_clean "--data rows of the wrong width" "have 30 values; the network takes 12" \
    nn-quantize --bits 4 -v --data dl.nns narrow.nns
fails_clean "--data a label out of range" "label 4 is not a class of 2" \
    nn-quantize --bits 4 -v --data dl.nns one.nns

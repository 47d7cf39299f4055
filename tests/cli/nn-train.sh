# nn-train: tiny problems learnt, a step against NumPy's gradient, the same
# bytes from the same seed, masks kept, and bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 2

# Sine (mse) and two spirals (softmax cross-entropy) are learnt.
nn-toy --samples 2000 sine > sine.nns
nn-init -a tanh 1-32-32-1 > sine0.nns
nn-train -e 100 -b 32 --lr 0.01 sine0.nns sine.nns > sine1.nns
mse=$(nn-forward sine1.nns sine.nns | nn-eval -q --regression)
awk -v m="$mse" 'BEGIN { exit !(m < 0.002) }' && ok "sine: mse $mse after 100 epochs" ||
    not_ok "sine learnt" "mse $mse"
nn-toy --samples 1000 spirals > sp.nns
nn-init -a tanh -O softmax 2-64-64-2 > sp0.nns
nn-train -e 200 -b 32 --lr 0.01 sp0.nns sp.nns > sp1.nns
acc=$(nn-forward sp1.nns sp.nns | nn-eval -q)
awk -v a="$acc" 'BEGIN { exit !(a > 85) }' && ok "spirals: $acc% after 200 epochs" ||
    not_ok "spirals learnt" "$acc%"

# One step of plain SGD on the whole set equals NumPy's: W - lr [1 X]^T
# (softmax([1 X] W) - onehot) / m, and the same with weight decay.
nn-toy --samples 50 spirals > s50.nns
nn-init -O softmax -t f64 2-2 > w0.nns
nn-train -t f64 -e 1 -b 50 --optimizer sgd --momentum 0 --lr 0.5 w0.nns s50.nns > w1.nns
nn-train -t f64 -e 1 -b 50 --optimizer sgd --momentum 0 --lr 0.5 -l 0.1 w0.nns s50.nns > w2.nns
for f in s50 w0 w1 w2; do nn-export -f npy -n "$([ $f = s50 ] && echo x || echo w)" -o $f.npy $f.nns; done
nn-export -f npy -n y -o y50.npy s50.nns
if "$PY" - <<'PY'
import numpy as np
x = np.load("s50.npy").astype(np.float64); y = np.load("y50.npy")
w0 = np.load("w0.npy"); w1 = np.load("w1.npy"); w2 = np.load("w2.npy")
a = np.hstack([np.ones((50, 1)), x])
z = a @ w0; p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
t = np.eye(2)[y]
g = a.T @ (p - t) / 50
d1 = np.abs(w1 - (w0 - 0.5 * g)).max(); d2 = np.abs(w2 - (w0 - 0.5 * (g + 0.1 * w0))).max()
print(d1, d2)
raise SystemExit(0 if d1 < 1e-12 and d2 < 1e-12 else 1)
PY
then ok "one SGD step equals NumPy's, with and without weight decay"
else not_ok "one SGD step equals NumPy's" "see above"; fi

# --targets LO,HI: one-hot targets of those values; MSE's step is NumPy's
# W - lr [1 X]^T 2 (Z - T) / (m k) (the mean over the elements).
nn-init -t f64 2-2 > m0.nns
cp s50.nns s3.nns
nn-train -t f64 -e 1 -b 50 --optimizer sgd --momentum 0 --lr 0.5 --targets=-2,10 m0.nns s3.nns > m1.nns
for f in m0 m1; do nn-export -f npy -n w -o $f.npy $f.nns; done
nn-export -f npy -n x -o x3.npy s3.nns && nn-export -f npy -n y -o y3.npy s3.nns
if "$PY" - <<'PY'
import numpy as np
x = np.load("x3.npy").astype(np.float64); y = np.load("y3.npy")
w0 = np.load("m0.npy"); w1 = np.load("m1.npy")
a = np.hstack([np.ones((50, 1)), x])
t = np.full((50, 2), -2.0); t[np.arange(50), y] = 10
g = a.T @ (2 * (a @ w0 - t)) / (50 * 2)
d = np.abs(w1 - (w0 - 0.5 * g)).max(); print(d)
raise SystemExit(0 if d < 1e-12 else 1)
PY
then ok "--targets -2,10: one MSE step equals NumPy's"
else not_ok "--targets step"
fi
fails_usage "--targets 2,1" "invalid --targets '2,1': not LO,HI with LO < HI" nn-train --targets 2,1 m0.nns s3.nns
fails_usage "--targets 1" "invalid --targets '1': not LO,HI" nn-train --targets 1 m0.nns s3.nns
fails_usage "--targets 0,inf" "invalid --targets '0,inf': not LO,HI with LO < HI" nn-train --targets 0,inf m0.nns s3.nns
nn-init -O softmax 2-2 | nn-train --targets 0,16 --objective hinge - s50.nns > /dev/null 2> err.txt
grep -q "hinge takes targets -1 and 1" err.txt && ok "--targets with hinge refused" || not_ok "--targets with hinge" "$(cat err.txt)"

# The same seed gives the same bytes; another seed another network.
nn-train -e 2 -b 16 sp0.nns sp.nns > a.nns
nn-train -e 2 -b 16 sp0.nns sp.nns > b.nns
nn-train -e 2 -b 16 -s 2 sp0.nns sp.nns > c.nns
same "same seed, same bytes" a.nns b.nns
cmp -s a.nns c.nns && not_ok "another seed, another network" "same bytes" ||
    ok "another seed, another network"
check "the network reads back" nn-forward a.nns sp.nns

# --memory: rows that fit are held (the same bytes as the default); rows
# that do not are spilled and shuffled by blocks: deterministic, the same
# from a pipe as from the file, and still learnt.  (tests/unit/
# test_trainset.c shows that every epoch visits each row once.)
nn-train -e 2 -b 16 --memory 40K sp0.nns sp.nns > m40.nns
same "--memory 40K holds 1000 rows: the default's bytes" a.nns m40.nns
nn-train -v -e 2 -b 16 --memory 2K sp0.nns sp.nns > m2a.nns 2> m2.err
nn-train -e 2 -b 16 --memory 2K sp0.nns sp.nns > m2b.nns
nn-train -e 2 -b 16 --memory 2K sp0.nns < sp.nns > m2c.nns
grep -q "spilled to \$TMPDIR" m2.err && ok "--memory 2K: spilled, and said" ||
    not_ok "--memory 2K spilled" "$(cat m2.err)"
same "spilled: same seed, same bytes" m2a.nns m2b.nns
same "spilled: a pipe gives the file's bytes" m2a.nns m2c.nns
cmp -s a.nns m2a.nns && not_ok "spilled: another order" "same bytes as held" ||
    ok "spilled: another order than held"
nn-train -e 200 -b 32 --lr 0.01 --memory 4K sp0.nns sp.nns > m4.nns
acc=$(nn-forward m4.nns sp.nns | nn-eval -q)
awk -v a="$acc" 'BEGIN { exit !(a > 85) }' && ok "spirals spilled (--memory 4K): $acc%" ||
    not_ok "spirals spilled learnt" "$acc%"
fails_usage "--memory 1X" "invalid --memory '1X': not a size" nn-train --memory 1X sp0.nns sp.nns
fails_usage "--memory 0" "invalid --memory '0': must be at least 1 bytes" nn-train --memory 0 sp0.nns sp.nns
fails_clean "--memory below a row" "more than the memory allowed" nn-train --memory 8 sp0.nns sp.nns

# Progress: epoch, loss, accuracy, rows and the time left.
nn-train -P -e 2 sp0.nns sp.nns 2>&1 >/dev/null | tr '\r' '\n' > prog.txt
grep -q "epoch 2/2, loss [0-9.]*, [0-9.]*%, 2000/2000 rows (100%" prog.txt &&
    ok "--progress: epoch, loss, accuracy, rows" || not_ok "--progress" "$(cat prog.txt)"

# Masked weights stay zero (and f64 layers stay f64).
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests')
import numpy as np
from nns_craft import record
x = np.random.default_rng(3).standard_normal((200, 8)).astype('<f4')
sys.stdout.buffer.write(record('x', x) + record('y', (x[:, 0] > 0).astype('<i4'), 'classes=2\n'))" > d8.nns
nn-init -a relu -p 0.5 -t f64 -O softmax 8-16-2 > m0.nns
nn-train -e 5 -b 16 m0.nns d8.nns > m1.nns
nn-export -f npy -n w -o mw.npy m1.nns
nn-export -f npy -n mask -o mm.npy m1.nns
if "$PY" -c "
import numpy as np
w = np.load('mw.npy'); m = np.load('mm.npy')
assert w.dtype == np.float64, w.dtype
assert (w[m == 0] == 0).all() and (w[m == 1] != 0).any()
"; then ok "masked weights stay exactly zero; f64 stays f64"
else not_ok "masked weights stay zero" "see above"; fi

# Bad input: a clear error and an empty stdout.
nn-init 3-4 > w3.nns
fails_clean "widths that do not match the data" "2 values; the network takes 3" nn-train w3.nns sp.nns
nn-init -O softmax 2-3 > c3.nns
fails_clean "fewer outputs than classes" "2 classes, but the network has 3 outputs" nn-train c3.nns sp.nns
fails_clean "a loss that needs another head" "needs the exp activation" nn-train --objective exp-ga sp0.nns sp.nns
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests')
import numpy as np
from nns_craft import record
x = np.zeros((4, 2), '<f4'); x[2, 1] = np.nan
sys.stdout.buffer.write(record('x', x) + record('y', np.zeros(4, '<i4'), 'classes=2\n'))" > nan.nns
fails_clean "NaN in the data" "row 2, column 1.*not finite" nn-train sp0.nns nan.nns
nn-init -a identity 1-8-1 > one.nns
nn-toy --samples 200 sine > s200.nns
fails_clean "a loss that diverges names the epoch and step" "diverged at epoch 1, step [0-9]+" \
    nn-train --optimizer sgd --lr 1e6 -e 3 one.nns s200.nns
fails_usage "--batch 0" "invalid --batch '0': must be from 1 to 4096" nn-train -b 0 sp0.nns sp.nns
fails_usage "--lr -1" "invalid --lr '-1': must be greater than 0" nn-train --lr -1 sp0.nns sp.nns
fails_usage "an unknown optimizer" "invalid --optimizer 'rmsprop': expected adam, adamw or sgd" nn-train --optimizer rmsprop sp0.nns sp.nns
fails_usage "both inputs on stdin" "cannot both be stdin" nn-train - -
fails_usage "--nesterov without sgd" "nesterov" nn-train --nesterov sp0.nns sp.nns
nn-train -o out.nns -e 1 c3.nns sp.nns 2>/dev/null
[ -e out.nns ] && not_ok "a failed run leaves no -o file" "out.nns exists" ||
    ok "a failed run leaves no -o file"

# Frozen layers do not move; the log has a row per epoch with the rate the
# schedule gives (step: halved every 2 epochs; warm-up over 10 steps); the
# trajectory holds the network after every epoch, tagged.
nn-init -a tanh -O softmax 2-16-16-2 > f0.nns
nn-train -e 4 -b 100 --schedule step:2:0.5 --warmup 10 --freeze 2 \
    --log log.nns --trajectory traj.nns f0.nns sp.nns > f1.nns
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
f0 = [a for n, a, _ in read(open("f0.nns", "rb"))]
f1 = [a for n, a, _ in read(open("f1.nns", "rb"))]
assert (f0[1] == f1[1]).all(), "layer 2 moved"
assert not (f0[0] == f1[0]).all() and not (f0[2] == f1[2]).all(), "others did not"
(name, log, at), = read(open("log.nns", "rb"))
cols = at["columns"].split(",")
assert name == "log" and log.shape == (4, 10), log.shape
assert cols[:7] == "epoch,loss,accuracy,valid_loss,valid_accuracy,seconds,lr".split(","), cols
assert list(log[:, 0]) == [1, 2, 3, 4]
assert np.allclose(log[:, 6], [1e-3, 5e-4, 5e-4, 2.5e-4], rtol=0, atol=1e-15), log[:, 6]
assert (log[:, 7:] > 0).all() and np.isnan(log[:, 3]).all()
traj = list(read(open("traj.nns", "rb")))
assert [at["checkpoint"] for _, _, at in traj] == [str(e) for e in (1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4)]
assert all((a == b).all() for a, b in zip([a for _, a, _ in traj[-3:]], f1))
PY
then ok "--freeze keeps a layer; --log rows and rates; --trajectory tagged per epoch"
else not_ok "--freeze, --log and --trajectory" "see above"; fi

# A frozen bottom layer costs no gradient (the backward pass stops above
# it); with --log it is computed for the log: the same network either way.
nn-init -a tanh -O softmax 2-16-16-2 > fz0.nns
nn-train -e 2 -b 50 --freeze 1 fz0.nns sp.nns > fz1.nns
nn-train -e 2 -b 50 --freeze 1 --log fzlog.nns fz0.nns sp.nns > fz2.nns
same "--freeze 1 with and without its gradient computed: the same bytes" fz1.nns fz2.nns

# --quantize N: after every epoch the weights are replaced by their N-bit
# quantization (thesis ch. 3): each layer of the result holds at most 2^N
# values, and the log gives the bits a weight, raw and Huffman-coded.
nn-init -a tanh -O softmax 2-24-24-2 > qz0.nns
nn-train -e 3 -b 50 --quantize 5 --log qzl.nns qz0.nns sp.nns > qz1.nns
for k in 0 1 2; do nn-pick w --nth $k < qz1.nns | nn-export -f npy -n w -o qz$k.npy; done
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
ok = all(len(np.unique(np.load(f"qz{k}.npy"))) <= 32 for k in range(3))
(name, log, at), = read(open("qzl.nns", "rb"))
cols = at["columns"].split(",")
raw, huff = log[:, cols.index("bits_raw")], log[:, cols.index("bits_huffman")]
ok &= log.shape[0] == 3 and (raw == 5).all() and (huff > 0).all()
print([len(np.unique(np.load(f"qz{k}.npy"))) for k in range(3)], huff)
raise SystemExit(0 if ok else 1)
PY
then ok "--quantize 5: at most 32 values per layer; the log's bits_raw 5 and bits_huffman"
else not_ok "--quantize" "see above"; fi
nn-train -e 2 -b 50 --quantize dynamic:6 --log qzd.nns qz0.nns sp.nns > /dev/null &&
    nn-export -f csv -n log qzd.nns | awk -F, 'NR > 1 && $(NF - 1) < 6 { bad = 1 } END { exit bad }' &&
    ok "--quantize dynamic:6: at least 6 bits a weight" || not_ok "--quantize dynamic" "$(nn-export -f csv -n log qzd.nns)"
fails_usage "--quantize 0" "invalid --quantize '0'" nn-train --quantize 0 qz0.nns sp.nns
fails_usage "--quantize dynamic:x" "invalid --quantize 'x'" nn-train --quantize dynamic:x qz0.nns sp.nns

# --state FILE: the optimizer's state carried from one run to the next:
# two runs of an epoch each are one run of two (full batches, f64; the
# order of the rows only changes the sums' order); without it Adam
# restarts and the networks differ.  A state of another optimizer or
# network is refused.
nn-init -t f64 -a tanh -O softmax 2-16-2 > so0.nns
nn-train -t f64 -e 2 -b 1000 so0.nns sp.nns > soA.nns
nn-train -t f64 -e 1 -b 1000 --state so.st so0.nns sp.nns > soB1.nns
nn-train -t f64 -e 1 -b 1000 --state so.st soB1.nns sp.nns > soB2.nns
nn-train -t f64 -e 1 -b 1000 soB1.nns sp.nns > soC2.nns
for f in soA soB2 soC2; do nn-pick w --nth 0 < $f.nns | nn-export -f npy -n w -o $f.npy; done
if "$PY" -c "
import numpy as np
a, b, c = (np.load(f + '.npy') for f in ('soA', 'soB2', 'soC2'))
print(abs(a - b).max(), abs(a - c).max())
raise SystemExit(0 if abs(a - b).max() < 1e-12 and abs(a - c).max() > 1e-7 else 1)"
then ok "--state: two runs of an epoch equal one of two; without it Adam restarts"
else not_ok "--state" "see above"; fi
fails_clean "--state of another optimizer" "the state of adam, not sgd" nn-train --optimizer sgd -t f64 --state so.st soB1.nns sp.nns
fails_clean "--state of another network" "state does not fit this network" nn-train -t f64 --state so.st sp0.nns sp.nns

# --every-steps: a network every N steps (checkpoint = the step); the last
# one is the network written.
nn-init -a tanh -O softmax 2-16-2 > st0.nns
nn-train -e 2 -b 100 --trajectory stt.nns --every-steps 5 st0.nns sp.nns > st1.nns
n=$(nn-info stt.nns | grep -c "checkpoint=")
last=$(nn-info stt.nns | grep -o "checkpoint=[0-9]*" | tail -1)
{ nn-pick w --nth $((n - 2)) < stt.nns; nn-pick w --nth $((n - 1)) < stt.nns; } > stlast.nns
nn-forward stlast.nns sp.nns > o-last.nns
nn-forward st1.nns sp.nns > o-final.nns
[ "$n" = 8 ] && [ "$last" = checkpoint=20 ] && cmp -s o-last.nns o-final.nns &&
    ok "--every-steps 5: 4 networks over 20 steps, the last the one written" ||
    not_ok "--every-steps" "$n layers, last $last"

# A loss that diverges keeps the log and the trajectory of the whole epochs.
nn-train --optimizer sgd --lr 1 -e 50 --log dlog.nns --trajectory dtraj.nns \
    one.nns s200.nns > dnet.nns 2>/dev/null
[ ! -s dnet.nns ] && [ -s dlog.nns ] && nn-info dlog.nns >/dev/null 2>&1 &&
    nn-info dtraj.nns >/dev/null 2>&1 && ok "after divergence: no network, the log and trajectory so far" ||
    not_ok "after divergence" "net $(wc -c <dnet.nns) bytes, log $(wc -c <dlog.nns 2>/dev/null)"
fails_usage "a bad schedule" "invalid --schedule 'step': expected step:EVERY" nn-train --schedule step sp0.nns sp.nns
fails_clean "--freeze past the last layer" "--freeze 7: the network has 3 layers" nn-train --freeze 7 sp0.nns sp.nns

# Single precision (the default) against double: the same step, to f32's
# rounding.
nn-train -e 1 -b 50 --optimizer sgd --momentum 0 --lr 0.5 w0.nns s50.nns > w1s.nns
nn-export -f npy -n w -o w1s.npy w1s.nns
if "$PY" -c "
import numpy as np
a = np.load('w1s.npy'); b = np.load('w1.npy')
d = np.abs(a - b).max(); print(d); raise SystemExit(0 if d < 1e-6 else 1)"
then ok "one SGD step in f32 equals f64's within 1e-6"
else not_ok "one SGD step in f32" "see above"; fi

# Dropout: the same seed, the same bytes; not the network without it.
nn-train -e 2 -b 16 --dropout 2:0.3 --grad-dropout 2:0.2 --dropout-decay 0.9 sp0.nns sp.nns > d1.nns
nn-train -e 2 -b 16 --dropout 2:0.3 --grad-dropout 2:0.2 --dropout-decay 0.9 sp0.nns sp.nns > d2.nns
same "dropout: same seed, same bytes" d1.nns d2.nns
cmp -s d1.nns a.nns && not_ok "dropout changes the training" "same bytes as without" ||
    ok "dropout changes the training"
fails_usage "a dropout rate of 1" "invalid --dropout '1': must be from 0 to 0.99" nn-train --dropout 2:1 sp0.nns sp.nns
fails_usage "a dropout without its layer" "expected LAYER:RATE" nn-train --dropout 0.5 sp0.nns sp.nns
fails_clean "dropout past the last layer" "dropout of layer 9: the network has 3 layers" nn-train --dropout 9:0.1 sp0.nns sp.nns

# Three full-batch steps of every optimizer equal torch.optim's on the same
# weights and data (f64; Adam, AdamW and SGD with Nesterov, weight decay).
for opt in "adam --lr 0.01 -l 0.1" "adamw --lr 0.01 -l 0.1" "sgd --lr 0.1 --momentum 0.9 --nesterov -l 0.1"; do
    set -- $opt
    nn-train -t f64 -e 3 -b 50 --optimizer $opt w0.nns s50.nns > "opt-$1.nns"
    nn-export -f npy -n w -o "opt-$1.npy" "opt-$1.nns"
done
if "$PY" - <<'PY'
import numpy as np, torch
x = torch.tensor(np.load("s50.npy").astype(np.float64)); y = torch.tensor(np.load("y50.npy")).long()
w0 = np.load("w0.npy")
a = torch.cat([torch.ones(50, 1, dtype=torch.float64), x], 1)
worst = 0
for name, make in (("adam", lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.1)),
                   ("adamw", lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1)),
                   ("sgd", lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1))):
    w = torch.tensor(w0.copy(), requires_grad=True)
    opt = make(w)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(a @ w, y).backward()
        opt.step()
    d = np.abs(np.load(f"opt-{name}.npy") - w.detach().numpy()).max()
    print(name, d); worst = max(worst, d)
raise SystemExit(0 if worst < 1e-12 else 1)
PY
then ok "Adam, AdamW and SGD (Nesterov) steps equal torch.optim's"
else not_ok "optimizers against torch.optim" "see above"; fi

# The same in f32, where the weights and moments live in single precision
# as a float32 torch model's do: equal within f32 rounding.
for opt in "adam --lr 0.01 -l 0.1" "adamw --lr 0.01 -l 0.1" "sgd --lr 0.1 --momentum 0.9 --nesterov -l 0.1"; do
    set -- $opt
    nn-train -e 3 -b 50 --optimizer $opt w0.nns s50.nns > "opt32-$1.nns"
    nn-export -f npy -n w -o "opt32-$1.npy" "opt32-$1.nns"
done
if "$PY" - <<'PY'
import numpy as np, torch
x = torch.tensor(np.load("s50.npy").astype(np.float32)); y = torch.tensor(np.load("y50.npy")).long()
w0 = np.load("w0.npy").astype(np.float32)
a = torch.cat([torch.ones(50, 1), x], 1)
worst = 0
for name, make in (("adam", lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.1)),
                   ("adamw", lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1)),
                   ("sgd", lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1))):
    w = torch.tensor(w0.copy(), requires_grad=True)
    opt = make(w)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(a @ w, y).backward()
        opt.step()
    got = np.load(f"opt32-{name}.npy")
    d = np.abs(got - w.detach().numpy()).max() / np.abs(got).max()
    print(name, "f32", d); worst = max(worst, d)
raise SystemExit(0 if worst < 2e-6 else 1)
PY
then ok "in f32: Adam, AdamW and SGD steps equal float32 torch.optim's within 2e-6"
else not_ok "f32 optimizers against torch.optim" "see above"; fi

# Hinge with class labels: +-1 targets, one output for two classes (Li's
# setting), and its accuracy by the sign.
nn-init -a relu 2-32-32-1 > h0.nns
nn-train -e 60 -b 32 --objective hinge --log hlog.nns h0.nns sp.nns > h1.nns
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
from nns_read import read
(_, log, _), = read(open("hlog.nns", "rb"))
print(log[-1, 2]); raise SystemExit(0 if log[-1, 2] > 0.9 and log[-1, 1] < log[0, 1] else 1)
PY
then ok "hinge on one output: two classes learnt as +-1"
else not_ok "hinge on one output" "see above"; fi

# --valid: the loss and accuracy of the trained network on the stream, as
# NumPy computes them from the network written.
nn-train -t f64 -e 1 -b 50 --optimizer sgd --momentum 0 --lr 0.5 --valid s50.nns \
    --log vlog.nns w0.nns s50.nns > v1.nns
same "--valid and --log leave the network as without them" w1.nns v1.nns
if "$PY" - "$TOP" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
(_, log, _), = read(open("vlog.nns", "rb"))
x = np.load("s50.npy").astype(np.float64); y = np.load("y50.npy"); w = np.load("w1.npy")
z = np.hstack([np.ones((50, 1)), x]) @ w
lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
loss = (lse - z[np.arange(50), y]).mean(); acc = (z.argmax(1) == y).mean()
print(log[0, 3], loss, log[0, 4], acc)
raise SystemExit(0 if abs(log[0, 3] - loss) < 1e-12 and log[0, 4] == acc else 1)
PY
then ok "--valid: loss and accuracy equal NumPy's on the network written"
else not_ok "--valid scores" "see above"; fi

# --head: a decision layer trained on top, dropped from the output and kept
# with --head-out; the two together are the network trained whole.
nn-init -a tanh 2-16 > body0.nns
nn-init -O softmax -s 2 16-2 > head0.nns
cat body0.nns head0.nns > whole0.nns
nn-train -e 3 -b 16 --head head0.nns --head-out head1.nns body0.nns sp.nns > body1.nns
nn-train -e 3 -b 16 whole0.nns sp.nns > whole1.nns
cat body1.nns head1.nns > joined.nns
if [ "$(nn-info -j body1.nns | grep -c '"name":"w"')" = 1 ] && cmp -s joined.nns whole1.nns; then
    ok "--head: the body alone written; with --head-out, the bytes of the whole network trained"
else not_ok "--head" "$(nn-info body1.nns | head -3)"; fi
fails_clean "a head of other width" "the head takes 16 inputs; the network gives 2" \
    nn-train --head head0.nns w0.nns s50.nns
fails_usage "--head-out without --head" "--head-out goes with --head" nn-train --head-out h.nns sp0.nns sp.nns

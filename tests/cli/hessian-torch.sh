# hessian-torch: nn-spectrum's exact Hessian (built from Hessian-vector
# products) against an independent reference, PyTorch autograd in float64
# (tests/ref/hessian_torch.py: torch.autograd.functional.hessian and hvp),
# on small networks covering every activation hidden and at the output,
# every loss nn-train has with its head, masks and polynomial units; the
# data in blocks of 7 rows (the blocks' shares of the mean), kept or read
# again for every product (--memory).  To 1e-10 relative.
. "$(dirname "$0")/../lib.sh"

# case NAME LOSS NN-INIT-OPTIONS... (ARCH last)
n=0
cases=
case_() {
    name=$1 loss=$2; shift 2
    d="$T/$name"
    mkdir -p "$d"
    echo "$loss" > "$d/loss"
    if ! nn-init -t f64 -s 5 "$@" > "$d/net.nns" 2>"$d/err"; then
        not_ok "$name: nn-init $*" "$(cat "$d/err")"
        return
    fi
    arch=$(eval echo "\${$#}")
    nin=${arch%%-*} nout=${arch##*-}
    "$PY" - "$d/data.nns" "$nin" "$nout" "$loss" <<'EOF' || { not_ok "$name: data" "python failed"; return; }
import sys, numpy as np
sys.path.insert(0, sys.path[0] if False else __import__("os").environ["TOP"] + "/tests")
from nns_craft import record
path, nin, nout, loss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
g = np.random.default_rng(nin * 31 + nout + len(loss))
m = 20
x = g.standard_normal((m, nin))
k = np.arange(m) % nout
hot = np.eye(nout)[k]
y = {"mse": g.standard_normal((m, nout)), "xent": hot,
     "sigmoid-xent": (g.random((m, nout)) < 0.5) * 1.0,
     "hinge": (g.random(m) < 0.5).astype(np.uint8),
     "exp-ga": 16 * hot, "pow3-ga": np.where(hot > 0, 10.0, -2.0)}[loss]
with open(path, "wb") as f:
    f.write(record("x", x) +
            record("y", y, attrs="classes=2\n" if loss == "hinge" else ""))
EOF
    mem=
    case $name in *stream*) mem=--memory=1K ;; esac
    if nn-spectrum --hessian exact,trace --matrix --objective "$loss" -b 7 \
        $mem "$d/net.nns" "$d/data.nns" > "$d/h.nns" 2>"$d/err"; then
        cases="$cases $d"
        n=$((n + 1))
    else
        not_ok "$name: nn-spectrum --hessian exact" "$(head -c 300 "$d/err")"
    fi
}
export TOP

for a in identity relu tanh sigmoid celu softmax exp pow3 legendre:3 \
         chebyshev:2 laguerre:2 hermite:2; do
    case_ "hidden-${a%%:*}" mse -a "$a" 4-3-3-2
done
for o in identity relu tanh sigmoid celu softmax legendre:2 hermite:2; do
    case_ "output-${o%%:*}" mse -a tanh -O "$o" 4-3-2
done
case_ xent xent -a tanh -O softmax 4-5-3
case_ sigmoid-xent sigmoid-xent -a relu -O sigmoid 4-5-2
case_ hinge hinge -a tanh -O tanh 4-5-1
case_ hinge-identity hinge -a celu -O identity 4-5-1
case_ exp-ga exp-ga -a tanh -O exp 4-5-3
case_ pow3-ga pow3-ga -a tanh -O pow3 4-5-3
case_ masked xent -p 0.4 -a tanh -O softmax 5-4-3
case_ masked-legendre mse -p 0.3 -a legendre:2 5-4-2
case_ stream-xent xent -a sigmoid -O softmax 4-5-3

"$PY" "$TOP/tests/ref/hessian_torch.py" $cases > "$T/ref" 2>&1
rc=$?
grep -E '^(ok|not ok) - ' "$T/ref"
if [ $rc -ne 0 ] && ! grep -q '^not ok' "$T/ref"; then
    not_ok "hessian_torch.py" "exit $rc — $(tail -3 "$T/ref" | tr '\n' ' ')"
fi
[ "$n" -ge 29 ] && ok "$n cases ran" || not_ok "cases" "only $n of 29 ran"

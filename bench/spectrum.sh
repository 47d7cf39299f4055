#!/bin/sh
# spectrum.sh — nn-spectrum's costs: a Hessian-vector product against one
# gradient over the same rows (bench/hvp_time.c, the library's calls,
# f64 and f32; target within 2.5x), the SLQ density (100 Lanczos steps,
# one vector) of a 784-392-50-10 network over 10000 MNIST rows, with
# --precision f64 and f32, against the same algorithm in PyTorch
# (bench/slq_torch.py, PyHessian's procedure, the data already in memory;
# in float64 and in float32, PyHessian's default), and the weight metrics
# of a 4096x4096 layer against numpy.linalg.svd of the same matrix.
# Writes bench/results/spectrum.md.  PARTS (default "hvp slq metrics")
# names the sections run; a section left out is copied from the page as
# it was, under a note saying so.
set -eu
PARTS=${PARTS:-hvp slq metrics}
has() { case " $PARTS " in *" $1 "*) return 0;; esac; return 1; }
# the page before, for the sections not run
OLD=$(mktemp "${TMPDIR:-/tmp}/spectrum-old.XXXXXX")
cp bench/results/spectrum.md "$OLD" 2>/dev/null || : > "$OLD"
# keep SECTION: the old page's "## SECTION..." up to the next "## "
keep() {
    md "(Not run again: as on the page before, $(sed -n 's/^- Tools: nn tools [^ ]* at git \([0-9a-f]*\).*/git \1/p' "$OLD" | head -1), $(sed -n 's/^- Date: //p' "$OLD" | head -1).)"
    md ""
    awk -v s="$1" 'index($0, "## " s) == 1 { on = 1; next } on && /^## / { exit } on' "$OLD" >> "$R"
}

cd "$(dirname "$0")/.."
. bench/lib.sh
header "nn-spectrum: Hessian-vector products, SLQ, weight metrics"

${CC:-cc} -O2 -Ilib -o "$T/hvp_time" bench/hvp_time.c ${BUILD:-build/obj}/libnn.a \
    -lopenblas -lzstd -lxxhash -lpng -lz -lm
${CC:-cc} -O2 -o "$T/gemm_train" bench/gemm_train.c -lopenblas
# OpenBLAS as every program below finds it
blas=$("$T/gemm_train" 1 1 1-1 2>&1 >/dev/null | sed 's/^gemm_train: //')
envs=$(for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS; do
    eval "x=\${$v-unset}"; printf '%s=%s, ' "$v" "$x"; done | sed 's/, $//')

say "data and network"
mnist_centred "$T/train.nns"
nn-slice :10000 "$T/train.nns" > "$T/r10k.nns"
nn-init -s 1 -O softmax 784-392-50-10 > "$T/n0.nns"
nn-train -e 1 "$T/n0.nns" "$T/train.nns" > "$T/net.nns" 2>/dev/null
rm "$T/train.nns"
for k in 0 1 2; do
    nn-pick w --nth $k < "$T/net.nns" | nn-export -f npy -n w -o "$T/w$k.npy"
done
nn-export -f npy -n x -o "$T/x.npy" "$T/r10k.nns"
nn-export -f npy -n y -o "$T/y.npy" "$T/r10k.nns"
/usr/bin/python3 -c "
import numpy as np, sys
np.savez(sys.argv[1], **{f'w{k}': np.load(f'{sys.argv[2]}/w{k}.npy') for k in range(3)})" \
    "$T/net.npz" "$T"
threads=${OPENBLAS_NUM_THREADS:-$(nproc)}
tv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')

md "Network: \`nn-init -s 1 -O softmax 784-392-50-10\` (ReLU hidden layers)" \
   "trained one epoch by \`nn-train\` (defaults) on the centred MNIST" \
   "training set; data: its first 10000 rows; loss: softmax cross-entropy," \
   "the mean over the rows; 327880 parameters. BLAS: $blas ($envs), the" \
   "same library and environment for every program; PyTorch $tv with" \
   "\`torch.set_num_threads($threads)\`."
md ""
md "## A Hessian-vector product against one gradient"
md ""
if ! has hvp; then keep "A Hessian-vector product"; else
md "\`bench/hvp_time.c\`: the median of 5 runs of each, the 10000 rows held" \
   "in memory, blocks of 1000 rows, double precision unless f32 is said."
md ""
md "| what | seconds | × gradient (f64) |"
md "|---|--:|--:|"
set -- $("$T/hvp_time" "$T/net.nns" "$T/r10k.nns" 1000 5)
g=$1 hk=$2 hr=$3 g32=$4 hk32=$5
row() { awk -v n="$1" -v t="$2" -v g="$g" 'BEGIN { printf "| %s | %.3f | %.2f |\n", n, t, t / g }'; }
md "$(row "one gradient, f64 (tape forward and backward, every layer's dW)" "$g")"
md "$(row "one gradient, f32 (nn-train's precision)" "$g32")"
md "$(row "H v, every block's passes kept (a Lanczos step)" "$hk")"
md "$(row "H v, each block run forward and backward again first" "$hr")"
md "$(row "H v in f32 (--precision f32), every block's passes kept" "$hk32")"
md ""
fi

md "## Stochastic Lanczos quadrature, 100 steps, one vector"
md ""
if ! has slq; then keep "Stochastic Lanczos"; else
for p in f64 f32; do
    bench ours$p "nn-spectrum --precision $p --hessian density --steps 100 --probes 1 \$T/net.nns \$T/r10k.nns > \$T/slq$p.nns" --warmup 0 --min-runs 2
done
set -- $(/usr/bin/python3 bench/slq_torch.py "$T/net.npz" "$T/x.npy" "$T/y.npy" 100 f64 "$threads")
t64=$1 top64=$2
set -- $(/usr/bin/python3 bench/slq_torch.py "$T/net.npz" "$T/x.npy" "$T/y.npy" 100 f32 "$threads")
t32=$1 top32=$2
# hcol FILE COLUMN: a column of the hessian record
hcol() { nn-export -f csv -n hessian --header "$1" | awk -F, -v k="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i } NR == 2 { print $c }'; }
md "nn-spectrum's time is the whole command (reading the network and the" \
   "rows, the loss and gradient, 100 products, the quadrature and the" \
   "density written), hyperfine's mean of 2 runs; PyTorch's is its" \
   "computation alone (one run each), the data already in tensors. The" \
   "ratio is PyTorch's time over nn-spectrum's f64 and f32 times."
md ""
md "| what | seconds | PyTorch f64 / it | PyTorch f32 / it | largest Ritz value |"
md "|---|--:|--:|--:|--:|"
for p in f64 f32; do
    md "$(awk -v t="$(field ours$p 3)" -v a="$t64" -v b="$t32" -v n="nn-spectrum --precision $p ($(ms ours$p) ms)" -v e="$(hcol "$T/slq$p.nns" slq_max)" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f | %s |", n, t, a / t, b / t, e }')"
done
md "$(awk -v t="$t64" -v b="$t32" -v e="$top64" 'BEGIN { printf "| PyTorch float64 (slq_torch.py) | %.2f | 1.00 | %.2f | %s |", t, b / t, e }')"
md "$(awk -v t="$t32" -v a="$t64" -v e="$top32" 'BEGIN { printf "| PyTorch float32 (slq_torch.py) | %.2f | %.2f | 1.00 | %s |", t, a / t, e }')"
md ""
md "(The largest Ritz value differs in the last digits between PyTorch and" \
   "nn-spectrum: each draws its own start vector. nn-spectrum's two" \
   "precisions start from the same one.)"
md ""
md "What f32 costs here, the two runs above side by side (the same seed):"
md ""
/usr/bin/python3 - "$TOP" "$T/slqf64.nns" "$T/slqf32.nns" >> "$R" <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def recs(p):
    return {n: (a, at) for n, a, at in read(open(p, "rb"))}
a, b = recs(sys.argv[2]), recs(sys.argv[3])
def row(r):
    return dict(zip(r["hessian"][1]["columns"].split(","), np.asarray(r["hessian"][0]).ravel()))
ra, rb = row(a), row(b)
top = abs(ra["slq_max"])
da, db = a["density"][0], b["density"][0]
l1 = np.sum(np.abs(da[:, 1] - db[:, 1])) * (da[1, 0] - da[0, 0]) if da.shape == db.shape else float("nan")
na, nb = np.sort(a["slq"][0][:, 0]), np.sort(b["slq"][0][:, 0])
print("| number | f64 | f32 | |f32 - f64| |")
print("|---|--:|--:|--:|")
for k in ("loss", "grad_norm2", "slq_max", "slq_min", "negative_mass", "asymmetry"):
    print(f"| {k} | {ra[k]:.10g} | {rb[k]:.10g} | {abs(ra[k] - rb[k]):.2g} |")
print(f"| the 100 nodes, largest difference over slq_max | | | {np.max(np.abs(na - nb)) / top:.2g} |")
print(f"| density, L1 distance | | | {l1:.2g} |")
PY
md ""
fi

md "## Weight metrics of a 4096x4096 layer"
md ""
if ! has metrics; then keep "Weight metrics"; else
nn-init -s 1 4096-4096 > "$T/big.nns"
nn-pick w < "$T/big.nns" | nn-export -f npy -n w -o "$T/big.npy"
bench metrics "nn-spectrum \$T/big.nns > /dev/null" --warmup 0 --min-runs 3
np=$(/usr/bin/python3 -c "
import numpy as np, time, sys
w = np.load(sys.argv[1]).astype(np.float64)[1:]
best = 1e9
for _ in range(3):
    t = time.perf_counter(); np.linalg.svd(w, compute_uv=False); best = min(best, time.perf_counter() - t)
print(f'{best:.3f} {np.__version__}')" "$T/big.npy")
set -- $np
md "nn-spectrum reads the layer (f32, 64 MiB), computes its singular values" \
   "(LAPACK dgesdd, f64) and every metric (the power-law fit tries each" \
   "eigenvalue as xmin); NumPy $2 computes the singular values alone" \
   "(\`np.linalg.svd(w, compute_uv=False)\`, f64, the best of 3, the matrix" \
   "in memory)."
md ""
md "| what | seconds |"
md "|---|--:|"
md "| nn-spectrum (hyperfine, $(field metrics 2) runs: $(ms metrics) ms) | $(awk -v t="$(field metrics 3)" 'BEGIN { printf "%.2f", t }') |"
md "| numpy.linalg.svd | $1 |"
md "| ratio | $(awk -v a="$(field metrics 3)" -v b="$1" 'BEGIN { printf "%.2f", a / b }') |"
md ""
fi
rm -f "$OLD"
footer

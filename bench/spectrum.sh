#!/bin/sh
# spectrum.sh — nn-spectrum's costs: a Hessian-vector product against one
# gradient over the same rows (bench/hvp_time.c, the library's calls,
# f64; target within 2.5x), the SLQ density (100 Lanczos steps, one
# vector) of a 784-392-50-10 network over 10000 MNIST rows against the
# same algorithm in PyTorch (bench/slq_torch.py, PyHessian's procedure, the
# data already in memory; in float64 as ours, and in float32), and the
# weight metrics of a 4096x4096 layer against numpy.linalg.svd of the
# same matrix.  Writes bench/results/spectrum.md.
set -eu

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
md "\`bench/hvp_time.c\`: the median of 5 runs of each, the 10000 rows held" \
   "in memory, blocks of 1000 rows, double precision."
md ""
md "| what | seconds | × gradient (f64) |"
md "|---|--:|--:|"
set -- $("$T/hvp_time" "$T/net.nns" "$T/r10k.nns" 1000 5)
g=$1 hk=$2 hr=$3 g32=$4
row() { awk -v n="$1" -v t="$2" -v g="$g" 'BEGIN { printf "| %s | %.3f | %.2f |\n", n, t, t / g }'; }
md "$(row "one gradient, f64 (tape forward and backward, every layer's dW)" "$g")"
md "$(row "one gradient, f32 (nn-train's precision)" "$g32")"
md "$(row "H v, every block's passes kept (a Lanczos step)" "$hk")"
md "$(row "H v, each block run forward and backward again first" "$hr")"
md ""

md "## Stochastic Lanczos quadrature, 100 steps, one vector"
md ""
bench ours "nn-spectrum --hessian density --steps 100 --probes 1 \$T/net.nns \$T/r10k.nns > /dev/null" --warmup 0 --min-runs 3
set -- $(/usr/bin/python3 bench/slq_torch.py "$T/net.npz" "$T/x.npy" "$T/y.npy" 100 f64 "$threads")
t64=$1 top64=$2
set -- $(/usr/bin/python3 bench/slq_torch.py "$T/net.npz" "$T/x.npy" "$T/y.npy" 100 f32 "$threads")
t32=$1 top32=$2
ours=$(field ours 3)
top=$(nn-spectrum --hessian top --steps 100 --top 1 "$T/net.nns" "$T/r10k.nns" |
      nn-export -f csv -n hessian --header | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "top_1") c = i } NR == 2 { print $c }')
md "nn-spectrum's time is the whole command (reading the network and the" \
   "rows, the loss and gradient, 100 products, the quadrature and the" \
   "density written); PyTorch's is its computation alone (one run each)," \
   "the data already in tensors."
md ""
md "| what | seconds | nn-spectrum / it | largest Ritz value |"
md "|---|--:|--:|--:|"
md "| nn-spectrum (f64; hyperfine, $(field ours 2) runs: $(ms ours) ms) | $(awk -v t="$ours" 'BEGIN { printf "%.2f", t }') | 1.00 | $top |"
md "$(awk -v t="$t64" -v o="$ours" -v e="$top64" 'BEGIN { printf "| PyTorch float64 (slq_torch.py) | %.2f | %.2f | %s |", t, o / t, e }')"
md "$(awk -v t="$t32" -v o="$ours" -v e="$top32" 'BEGIN { printf "| PyTorch float32 (slq_torch.py) | %.2f | %.2f | %s |", t, o / t, e }')"
md ""
md "(The largest Ritz value differs in the last digits between the three:" \
   "each draws its own start vector.)"
md ""

md "## Weight metrics of a 4096x4096 layer"
md ""
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
footer

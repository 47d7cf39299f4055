#!/bin/sh
# forward.sh — nn-forward on MNIST (60000x784) through a 784-1024-1024-10
# ReLU network: its time against the sgemm calls it makes (the same shapes,
# data already in memory: bench/gemm_forward.c) and against the same
# forward pass in PyTorch on the CPU; its peak memory on 1x and 10x the rows.
# Prints a Markdown report and writes it to bench/results/forward.md.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
header "nn-forward benchmarks"

ARCH=784-1024-1024-10
say "making the data, the network and the sgemm reference"
nn-import --scale 1/255 $MNIST/train-images-idx3-ubyte $MNIST/train-labels-idx1-ubyte > "$T/train.nns"
nn-init --seed 1 $ARCH > "$T/net.nns"
${CC:-cc} -O2 -o "$T/gemm_forward" bench/gemm_forward.c -lopenblas
# nn-forward takes one input record at a time: rows per record as written
block=$(nn-info --records -j "$T/train.nns" | awk -F'"shape":\\[' '/"name":"x"/ { split($2, a, ","); print a[1]; exit }')

bench forward "nn-forward \$T/net.nns \$T/train.nns > /dev/null"
bench forward64 "nn-forward -t f64 \$T/net.nns \$T/train.nns > /dev/null"
# the sgemm calls alone, best and median of seven runs
for i in 1 2 3 4 5 6 7; do "$T/gemm_forward" 60000 "$block" $ARCH; done | sort -n > "$T/gemm"
gemm=$(sed -n 4p "$T/gemm")
gemm_best=$(sed -n 1p "$T/gemm")
torch=$(/usr/bin/python3 bench/forward_torch.py "$T/net.nns" "$T/train.nns" 2>/dev/null || echo "")
flops=$(awk -v a="$ARCH" 'BEGIN { n = split(a, w, "-"); f = 0
    for (i = 1; i < n; i++) f += 2 * 60000 * w[i] * w[i + 1]; print f }')

md "## Time"
md ""
md "Data: \`nn-import --scale 1/255\` of the MNIST training set (60000x784 f32," \
   "records of $block rows); network: \`nn-init --seed 1 $ARCH\` (ReLU hidden" \
   "layers). The forward pass is $(awk -v f="$flops" 'BEGIN { printf "%.1f", f / 1e9 }')" \
   "GFLOP of matrix products."
md ""
md "| what | time (ms) | GFLOP/s | × sgemm |"
md "|---|--:|--:|--:|"
row() { awk -v n="$1" -v t="$2" -v f="$flops" -v g="$gemm" 'BEGIN {
    printf "| %s | %.0f | %.1f | %.2f |\n", n, t * 1000, f / t / 1e9, t / g }' >>"$R"; }
row "the sgemm calls alone (\`bench/gemm_forward.c\`, median of 7)" "$gemm"
row "\`nn-forward net train > /dev/null\` (hyperfine mean, single precision)" "$(field forward 3)"
row "\`nn-forward -t f64\`: double precision (dgemm)" "$(field forward64 3)"
if [ -n "$torch" ]; then
    row "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'): \`addmm\`+\`relu\`, whole set in one call, compute only (best of 3)" "$torch"
fi
md ""
md "nn-forward's time includes reading and verifying the 188 MB stream," \
   "converting nothing (f32 in), the bias rows, the activations and writing" \
   "the output; the target is at most 1.3× the sgemm calls. Best sgemm run:" \
   "$(awk -v g="$gemm_best" 'BEGIN { printf "%.0f ms", g * 1000 }')."
md ""

md "## Peak memory"
md ""
r1=$(rss "cat \$T/train.nns" "nn-forward \$T/net.nns")
r10=$(rss "$(ten \$T/train.nns)" "nn-forward \$T/net.nns")
md "| input | rows | max RSS (MiB) |"
md "|---|--:|--:|"
md "| \`cat train.nns \\| nn-forward net.nns\` | 60000 | $r1 |"
md "| the stream 10 times \\| nn-forward net.nns | 600000 | $r10 |"
md ""
footer

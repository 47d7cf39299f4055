#!/bin/sh
# fit.sh — a one-hidden-layer sorted-PCA fit of MNIST (width 392) and its
# ridge output layer, from the imported stream to the fitted network:
# against the BLAS/LAPACK calls the fit needs (bench/fit_blas.c) and a
# straightforward PyTorch version (bench/fit_torch.py); peak memory of a
# fit on MNIST and on MNIST ten times.  Writes bench/results/fit.md.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
header "nn-fit-layer benchmarks"

say "making the centred training set and the BLAS reference"
mnist_centred "$T/train.nns"
${CC:-cc} -O2 -o "$T/fit_blas" bench/fit_blas.c -lopenblas -llapack 2>/dev/null ||
    ${CC:-cc} -O2 -o "$T/fit_blas" bench/fit_blas.c -lopenblas

FIT="nn-fit-layer -m sorted-pca -w 392 \$T/train.nns > \$T/l1.nns && nn-forward \$T/l1.nns \$T/train.nns | nn-fit-layer -m output -l 5e4 > \$T/out.nns && cat \$T/l1.nns \$T/out.nns > \$T/net.nns"
bench fit "$FIT"
bench sorted "nn-fit-layer -m sorted-pca -w 392 \$T/train.nns > \$T/l1.nns"
bench forward "nn-forward \$T/l1.nns \$T/train.nns > \$T/z1.nns"
bench output "nn-fit-layer -m output -l 5e4 \$T/z1.nns > \$T/out.nns"
acc=$(nn-forward "$T/net.nns" "$T/train.nns" | nn-eval -q)
for i in 1 2 3 4 5; do "$T/fit_blas" 60000 784 392 10 1024; done > "$T/blas"
blas=$(awk '{ print $NF }' "$T/blas" | sort -n | sed -n 3p)
blas_line=$(awk -v b="$blas" '$NF == b' "$T/blas" | head -1)
torch=$(/usr/bin/python3 bench/fit_torch.py "$T/train.nns" 2>/dev/null || echo "")

md "## Time"
md ""
md "MNIST training set (60000x784 f32, centred), sorted PCA for 392 ReLU units and a"
md "ridge output layer (lambda 5e4); the fitted network's training accuracy: $acc%."
md ""
md "| what | seconds | × BLAS |"
md "|---|--:|--:|"
row() { awk -v n="$1" -v t="$2" -v b="$blas" 'BEGIN { printf "| %s | %.3f | %.2f |\n", n, t, t / b }' >>"$R"; }
row "BLAS/LAPACK calls alone (\`bench/fit_blas.c\`, median of 5)" "$blas"
row "the whole fit: \`$(echo "$FIT" | sed 's/\$T\///g; s/|/\\\\|/g')\`" "$(field fit 3)"
row "… of which \`nn-fit-layer -m sorted-pca -w 392\` (three passes over the data)" "$(field sorted 3)"
row "… \`nn-forward\` through the hidden layer" "$(field forward 3)"
row "… \`nn-fit-layer -m output -l 5e4\`" "$(field output 3)"
if [ -n "$torch" ]; then
    set -- $torch
    row "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), the same fit (\`bench/fit_torch.py\`, best of 3; data in memory)" "$2"
    row "… PyTorch reading the stream first (\`examples/nns_read.py\`)" "$1"
fi
md ""
md "The BLAS steps, seconds: $blas_line."
md ""

md "## Peak memory"
md ""
r1=$(rss "" "nn-fit-layer -m random -w 392 -l 5e4 \$T/train.nns")
r10=$(rss "$(ten \$T/train.nns)" "nn-fit-layer -m random -w 392 -l 5e4")
s1=$(rss "" "nn-fit-layer -m sorted-pca -w 392 \$T/train.nns")
s10=$(rss "$(ten \$T/train.nns)" "nn-fit-layer -m sorted-pca -w 392")
md "| fit | 60000 rows | 600000 rows (the stream 10 times, a pipe) |"
md "|---|--:|--:|"
md "| \`nn-fit-layer -m random -w 392 -l 5e4\` (one pass: the Gram matrix) | $r1 MiB | $r10 MiB |"
md "| \`nn-fit-layer -m sorted-pca -w 392\` (a pipe is copied to \$TMPDIR first) | $s1 MiB | $s10 MiB |"
md ""
md "Sorted PCA ranks the rows exactly within a fixed budget (2^18 counters or"
md "collected keys, at most 6 MiB): 60000 rows take one ranking pass holding"
md "their keys, 600000 rows a counting pass first. Nothing grows with the rows."
md ""
footer

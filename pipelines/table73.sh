#!/bin/sh
# table73.sh TRAIN TEST — thesis Table 7.3: deeper deterministic networks
# (sorted PCA first, re-weighted Platonic PCA after, a ridge output layer),
# fitted with pipelines/fit-net.sh.  Writes pipelines/results/table73.md.
set -eu
train=$1 test=$2
R=pipelines/results
T=$(mktemp -d "${TMPDIR:-/tmp}/table73.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p $R
# widths | lambda (the thesis's L2 column) | beta | thesis train, test
cat > "$T/archs" <<'LIST'
392 50|0.5|1e6|95.07 95.07
392 250|0.5|1e6|95.54 95.36
588 350|0.01|1e6|96.50 96.25
784 392|0.03|1e6|97.04 96.55
784 588 588|0.01|1e6|97.30 96.62
1568 1200 1000|0.01|1e7|98.57 97.32
1960 1568|0.01|1e7|98.71 97.51
LIST
{
echo "# Table 7.3: deeper deterministic networks on MNIST"
echo
echo "Sorted PCA for the first layer, Platonic PCA with per-sample re-weighting"
echo "(EMA 0.02 of a decision layer's squared errors) for the others, alpha 1, a"
echo "ridge output layer; ReLU; double-precision Gram matrices, f32 weights."
echo "Inputs in [0,1] centred with the training means. Thesis values in brackets."
echo "Machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(date -u '+%Y-%m-%d')."
echo
echo "| hidden widths | parameters | lambda | beta | seconds | train % | test % |"
echo "|---|--:|--:|--:|--:|--:|--:|"
} > $R/table73.md
while IFS='|' read -r widths lambda beta thesis; do
    t0=$(date +%s.%N)
    sh pipelines/fit-net.sh --first-method sorted-pca -m platonic-pca --beta "$beta" -l "$lambda" \
        --ema 0.02 "$train" $widths > "$T/net.nns"
    t1=$(date +%s.%N)
    tr=$(nn-forward "$T/net.nns" "$train" | nn-eval -q)
    te=$(nn-forward "$T/net.nns" "$test" | nn-eval -q)
    params=$(nn-info -j "$T/net.nns" | awk -F'"shape":\\[' '/"name":"w"/ { split($2, a, "[],]"); p += a[1] * a[2] } END { printf "%.2fM", p / 1e6 }')
    set -- $thesis
    awk -v w="$widths" -v p="$params" -v l="$lambda" -v b="$beta" -v a="$t0" -v z="$t1" \
        -v tr="$tr" -v te="$te" -v ttr="$1" -v tte="$2" 'BEGIN {
        gsub(/ /, "-", w)
        printf "| %s | %s | %s | %s | %.1f | %.2f (%.2f) | %.2f (%.2f) |\n", w, p, l, b, z - a, tr, ttr, te, tte }' >> $R/table73.md
    echo "table73: $widths done: train $tr test $te" >&2
done < "$T/archs"
cat >> $R/table73.md <<'TEXT'

What else was tried (test %, one run each, 2026-11-22): the re-weighting's
EMA at 0.2 instead of the caption's 0.02 gives 95.30, 95.18, 95.81, 96.41,
95.73, 96.75, 97.28 for the rows above (two breaks in the trend instead of
one); inputs standardized per pixel (with which Table 7.2 comes back) give
less here: 392-50 94.39, 784-392 95.77, 784-588-588 95.77 (EMA 0.02).
784-588-588 stays at 95.87-95.94 for beta 1e5-1e7 and lambda 0.01-1.
Every row is above the one-hidden-layer sorted-PCA network of its first
width on the same centred inputs (392: 93.26, 784: 94.51, 1568: 95.42).
TEXT
cat $R/table73.md

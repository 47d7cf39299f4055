#!/bin/sh
# toys.sh — the thesis's toy problems fitted in closed form (sections
# 7.5-7.7), with pipelines/fit-net.sh.  Writes pipelines/results/toys.md.
set -eu
R=pipelines/results
T=$(mktemp -d "${TMPDIR:-/tmp}/toys.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p $R
F="sh pipelines/fit-net.sh"
{
echo "# Toy problems, fitted in closed form"
echo
echo "5000 samples each (\`nn-toy\`), random Platonic projections, the"
echo "pseudoinverse, double precision. Machine: $(nproc) CPUs; $(date -u '+%Y-%m-%d')."
echo
echo "| problem | network | settings | seed | result | thesis | target |"
echo "|---|---|---|--:|--:|--:|--:|"
} > $R/toys.md
row() { echo "| $* |" >> $R/toys.md; }

nn-toy sine > "$T/sine.nns"
for s in 1 2 3; do
    $F --first-method random -m random -a celu --beta 1 --solver pinv --tries 5 -s $s -t f64 "$T/sine.nns" 16 16 > "$T/net.nns"
    mse=$(nn-forward -t f64 "$T/net.nns" "$T/sine.nns" | nn-eval -q --regression)
    row "sine | 1-16-16-1 CELU | beta 1, 5 tries | $s | MSE $mse | MSE 2e-5 | <= 1e-4"
done
for s in 1 2 3 4 5; do
    nn-toy --seed $s spirals > "$T/spirals.nns"
    $F --first-method random -m random -a tanh --alpha 1 --beta 2 --solver pinv --tries 10 -s $s -t f64 "$T/spirals.nns" 32 32 32 32 > "$T/net.nns"
    acc=$(nn-forward -t f64 "$T/net.nns" "$T/spirals.nns" | nn-eval -q)
    row "two spirals | 2-32-32-32-32-2 tanh | alpha 1, beta 2, 10 tries | $s | $acc% | 99.93% | >= 99%"
done
nn-toy checkerboard > "$T/cb.nns"
for depth in 150 500; do
    widths=$(awk -v n=$depth 'BEGIN { for (i = 0; i < n; i++) printf "300 " }')
    t0=$(date +%s)
    $F --first-method random -m random --alpha 0.08 --beta 200 --solver pinv -t f64 "$T/cb.nns" $widths > "$T/net.nns"
    t1=$(date +%s)
    acc=$(nn-forward -t f64 "$T/net.nns" "$T/cb.nns" | nn-eval -q)
    row "checkerboard | $depth hidden layers of 300, ReLU | alpha 0.08, beta 200 ($((t1 - t0)) s) | 1 | $acc% | 100% | 100%"
done
cat $R/toys.md

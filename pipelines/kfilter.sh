#!/bin/sh
# kfilter.sh — the thesis's k-filtering experiments (sections 5.4, 6.8)
# with the closed-form classifier of `make demo` (sorted PCA 784, re-weighted
# Platonic PCA 392, ridge output layer):
#   1. the k-redundancy of every layer of a network fitted to MNIST (Fig. 5.14);
#   2. Table 5.1: the fraction of MNIST and Fashion-MNIST kept by k-filtering
#      for several k, over the whole set and in mini-batches of 6148 rows,
#      and the test accuracy of the classifier fitted to what is kept.
# Writes pipelines/results/kfilter.md and kredundancy.png.
set -eu
R=pipelines/results
T=$(mktemp -d "${TMPDIR:-/tmp}/kfilter.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p $R
OUT=${OUT:-build/mnist}
FIT="sh pipelines/fit-net.sh --first-method sorted-pca -m platonic-pca --beta 1e6 -l 0.03 --ema 0.2"

# percent NNS: the overall percentage of a kredundancy record
percent() { nn-export -f csv "$1" | awk -F, 'NR == 1 { printf "%.2f", $3 }'; }

# ---- 1. k-redundancy by layer
$FIT $OUT/train.nns 784 392 > "$T/net.nns"
nn-forward --all "$T/net.nns" $OUT/train.nns > "$T/z.nns"
: > "$T/layers.dat"
for l in 0 1 2 3; do
    line="$l"
    for k in 5 10 20; do
        nn-kfilter --report-only -n z$l -k $k -b 6148 "$T/z.nns" > "$T/kr.nns"
        line="$line $(percent "$T/kr.nns")"
    done
    echo "$line" >> "$T/layers.dat"
    echo "kfilter.sh: layer $l: $line" >&2
done
rm "$T/z.nns"

# ---- 2. Table 5.1: kept fraction and test accuracy
prepare() { # name images labels test-images test-labels
    nn-import --scale 1/255 "$2" "$3" > "$T/raw.nns"
    nn-standardize --fit "$T/raw.nns" > "$T/means.nns"
    nn-standardize --center --stats "$T/means.nns" "$T/raw.nns" > "$T/$1.train.nns"
    nn-import --scale 1/255 "$4" "$5" | nn-standardize --center --stats "$T/means.nns" > "$T/$1.test.nns"
    rm "$T/raw.nns"
}
prepare mnist data/mnist/train-images-idx3-ubyte data/mnist/train-labels-idx1-ubyte \
    data/mnist/t10k-images-idx3-ubyte data/mnist/t10k-labels-idx1-ubyte
prepare fashion data/fashion/train-images-idx3-ubyte.gz data/fashion/train-labels-idx1-ubyte.gz \
    data/fashion/t10k-images-idx3-ubyte.gz data/fashion/t10k-labels-idx1-ubyte.gz

: > "$T/table.dat"
for set in mnist fashion; do
    $FIT "$T/$set.train.nns" 784 392 > "$T/net.nns"
    acc=$(nn-forward "$T/net.nns" "$T/$set.test.nns" | nn-eval -q)
    echo "$set all - 100.00 $acc 0" >> "$T/table.dat"
    for batch in 6148 all; do
        b=; [ $batch = all ] || b="-b $batch"
        for k in 5 10 20 24 40; do
            t0=$(date +%s.%N)
            nn-kfilter -k $k $b --report-file "$T/kr.nns" "$T/$set.train.nns" > "$T/kept.nns"
            t1=$(date +%s.%N)
            kept=$(awk -v p="$(percent "$T/kr.nns")" 'BEGIN { printf "%.2f", 100 - p }')
            $FIT "$T/kept.nns" 784 392 > "$T/net.nns"
            acc=$(nn-forward "$T/net.nns" "$T/$set.test.nns" | nn-eval -q)
            secs=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }')
            echo "$set $batch $k $kept $acc $secs" | tee -a "$T/table.dat" >&2
        done
    done
done
cp "$T/table.dat" $R/kfilter-runs.tsv

{
echo "# k-filtering and k-redundancy"
echo
echo "Machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(date -u '+%Y-%m-%d')."
echo
echo "## k-redundancy by layer (MNIST training set, blocks of 6148 rows)"
echo
echo "The network of \`make demo\` (784-784-392-10, fitted in closed form); z0 is"
echo "the input, z3 the output layer. Percentage of rows whose k nearest"
echo "neighbours all share their class (thesis Fig. 5.14: rising with depth)."
echo
echo "| layer | width | k = 5 | k = 10 | k = 20 |"
echo "|---|--:|--:|--:|--:|"
awk 'BEGIN { split("784 784 392 10", w) } { printf "| z%s | %s | %s | %s | %s |\n", $1, w[$1 + 1], $2, $3, $4 }' "$T/layers.dat"
echo
echo "## Table 5.1 with the closed-form classifier"
echo
echo "Percentage of the training set kept by k-filtering, and the test accuracy"
echo "of the classifier fitted to what was kept (all data: the first row)."
echo "Thesis (CNNs, its own batches): MNIST kept k=5 18%, k=10 34%, k=20 53%,"
echo "k=24 57%; Fashion-MNIST k=5 42%, k=10 56%, k=20 69%."
echo
echo "| data | neighbours searched in | k | kept % | test accuracy % | filter seconds |"
echo "|---|---|--:|--:|--:|--:|"
awk '{ b = $2 == "-" ? "(all data, no filter)" : $2 == "all" ? "the whole set" : "batches of " $2
       printf "| %s | %s | %s | %s | %s | %s |\n", $1, b, $3, $4, $5, $6 }' "$T/table.dat"
} > $R/kfilter.md

gnuplot <<GP
set terminal pngcairo size 760,520 font ",11"
set output "$R/kredundancy.png"
set title "k-redundancy of each layer (MNIST training set, blocks of 6148)"
set xlabel "layer (z0: input)"; set ylabel "k-redundancy (% of rows)"
set xtics ("z0 784" 0, "z1 784" 1, "z2 392" 2, "z3 10" 3); set key bottom right; set grid
plot "$T/layers.dat" u 1:2 w lp lw 2 t "k = 5", "" u 1:3 w lp lw 2 t "k = 10", "" u 1:4 w lp lw 2 t "k = 20"
GP
cat $R/kfilter.md

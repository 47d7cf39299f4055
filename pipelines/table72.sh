#!/bin/sh
# table72.sh TRAIN TEST — thesis Table 7.2: MNIST, one hidden ReLU layer of
# width 98..1568 fitted four ways, then a ridge output layer (lambda 5e4);
# randomized methods over $SEEDS seeds.  TRAIN and TEST: pixels standardized
# per feature with the training set's statistics (see mnist.mk).  Writes pipelines/results/table72.md
# and table72.png (REUSE=1: from the runs of the last time).
#
# CHECK=1 WIDTHS="392": re-runs those widths only and compares the
# accuracies with the recorded runs (pipelines/results/table72-runs.tsv),
# writing nothing; exits 1 if any differs.  For changes that must leave the
# results as they were.
set -eu
train=$1 test=$2
SEEDS=${SEEDS:-10}
R=pipelines/results
T=$(mktemp -d "${TMPDIR:-/tmp}/table72.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p $R
: > "$T/runs.tsv"

# one run: method width seed -> "method width seed train% test% seconds"
run() {
    m=$1 w=$2 s=$3
    case $m in
    elm) opts="-m elm" ;;
    random) opts="-m random --beta 100 -l 5e4" ;;
    random-b10) opts="-m random --beta 10 -l 5e4" ;;
    platonic-pca) opts="-m platonic-pca --pca corr --beta 1e4 -l 5e4" ;;
    sorted-pca) opts="-m sorted-pca" ;;
    esac
    t0=$(date +%s.%N)
    nn-fit-layer $opts -w $w --seed $s "$train" > "$T/h.nns"
    nn-fit-layer -m output -l 5e4 --through "$T/h.nns" "$train" > "$T/o.nns"
    t1=$(date +%s.%N)
    cat "$T/h.nns" "$T/o.nns" > "$T/net.nns"
    tr=$(nn-forward "$T/net.nns" "$train" | nn-eval -q)
    te=$(nn-forward "$T/net.nns" "$test" | nn-eval -q)
    echo "$m $w $s $tr $te $(awk -v a=$t0 -v b=$t1 "BEGIN { printf \"%.2f\", b - a }")" | tee -a "$T/runs.tsv" >&2
}

# REUSE=1: only redo the tables and the plot from the last runs
if [ "${REUSE:-0}" = 1 ]; then cp $R/table72-runs.tsv "$T/runs.tsv"; fi
[ "${REUSE:-0}" = 1 ] || for w in ${WIDTHS:-98 196 392 784 1568}; do
    for s in $(seq 1 "$SEEDS"); do
        run elm $w $s
        run random $w $s
        run random-b10 $w $s
    done
    run sorted-pca $w 0
    [ $w -le 784 ] && run platonic-pca $w 0   # at most 1+784+10 components
done
if [ "${CHECK:-0}" = 1 ]; then
    # the same method, width and seed: the same accuracies, to the digit
    awk 'NR == FNR { rec[$1 " " $2 " " $3] = $4 " " $5; next }
         { k = $1 " " $2 " " $3; n++
           if (!(k in rec)) { print "no recorded run: " k; bad++ }
           else if (rec[k] != $4 " " $5) { print "differs: " k ": recorded " rec[k] ", now " $4 " " $5; bad++ } }
         END { printf "table72 check: %d runs, %d differ from the record\n", n, bad; exit bad > 0 }' \
        $R/table72-runs.tsv "$T/runs.tsv"
    exit
fi
cp "$T/runs.tsv" $R/table72-runs.tsv

# mean and standard deviation per method and width, against the thesis
thesis() { # method width -> the thesis's test accuracy
    awk -v m="$1" -v w="$2" 'BEGIN {
        t["elm 98"]=77.28; t["elm 196"]=83.86; t["elm 392"]=88.26; t["elm 784"]=91.52; t["elm 1568"]=93.89
        t["random 98"]=89.19; t["random 196"]=90.55; t["random 392"]=91.89; t["random 784"]=93.34; t["random 1568"]=94.63
        t["platonic-pca 98"]=89.21; t["platonic-pca 196"]=89.76; t["platonic-pca 392"]=90.63; t["platonic-pca 784"]=91.36
        t["sorted-pca 98"]=86.19; t["sorted-pca 196"]=90.71; t["sorted-pca 392"]=93.14; t["sorted-pca 784"]=94.64; t["sorted-pca 1568"]=95.88
        sub(/-b10$/, "", m); print (m " " w in t) ? t[m " " w] : "n/a" }'
}
stats() { # method width column -> "mean sd n"
    awk -v m="$1" -v w="$2" -v c="$3" '$1 == m && $2 == w { s += $c; q += $c * $c; n++ }
        END { if (n) { mu = s / n; v = q / n - mu * mu; printf "%.2f %.2f %d", mu, (v > 0 ? sqrt(v) : 0), n } }' "$T/runs.tsv"
}
{
echo "# Table 7.2: MNIST, one hidden ReLU layer, closed form"
echo
echo "Test accuracy (%), mean ± standard deviation over $SEEDS seeds for the"
echo "randomized methods (elm: W ~ N(0,1); random: Platonic target with P ~ N(0,1),"
echo "beta 100; random-b10: the same with beta 10), single runs for the"
echo "deterministic ones (platonic-pca: --pca corr, beta 1e4; sorted-pca); ridge lambda 5e4"
echo "for every fitted layer; pixels standardized per feature (mean 0, sd 1 over"
echo "the training set; constant pixels 0). In brackets: the thesis's value, and"
echo "our difference from it. Machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(date -u '+%Y-%m-%d')."
echo
# table COLUMN [THESIS]: one row per method, one cell per width; with
# THESIS, the standard deviation and the thesis's value and our difference
table() {
    col=$1 with=${2:-}
    echo "| method | 98 | 196 | 392 | 784 | 1568 |"
    echo "|---|---|---|---|---|---|"
    for m in elm random random-b10 platonic-pca sorted-pca; do
        printf "| %s |" $m
        for w in 98 196 392 784 1568; do
            set -- $(stats $m $w $col) $with
            if [ $# -lt 3 ]; then printf " n/a |"; continue; fi
            if [ $# -eq 3 ]; then printf " %s |" $1; continue; fi
            th=$(thesis $m $w)
            if [ "$3" -gt 1 ]; then printf " %s ± %s" $1 $2; else printf " %s" $1; fi
            awk -v a=$1 -v t=$th 'BEGIN { if (t == "n/a") printf " |"; else printf " (%s, %+.2f) |", t, a - t }'
        done
        echo
    done
}
table 5 thesis
echo
echo "Train accuracy (%):"
echo
table 4
echo
echo "Seconds per fit (hidden layer, then the output layer --through it), mean:"
echo
table 6
} > $R/table72.md

# the plot: test accuracy against width, ours and the thesis's
for m in elm random random-b10 platonic-pca sorted-pca; do
    for w in 98 196 392 784 1568; do
        set -- $(stats $m $w 5)
        [ $# -gt 0 ] && echo "$w $1 $2 $(thesis $m $w)"
    done > "$T/$m.dat"
done
gnuplot <<GP
set terminal pngcairo size 800,560 font ",11"
set output "$R/table72.png"
set title "MNIST, one hidden ReLU layer fitted in closed form (test accuracy)"
set xlabel "hidden units"; set ylabel "test accuracy (%)"
set logscale x 2; set xtics (98, 196, 392, 784, 1568); set key bottom right
set grid
M = "elm random platonic-pca sorted-pca random-b10"
plot for [i=1:5] "$T/".word(M, i).".dat" u 1:2:3 w yerrorlines lw 2 lc i t word(M, i), \
     for [i=1:4] "$T/".word(M, i).".dat" u 1:4 w lp dt 2 pt 6 lc i t word(M, i)." (thesis)"
GP
cat $R/table72.md

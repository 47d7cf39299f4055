#!/bin/sh
# baseline.sh [OPTION]... TRAIN TEST — the thesis's SGD baseline (ch. 7.9.1):
# 784-392-50-10, ReLU hidden layers, softmax output with cross-entropy, SGD
# with momentum 0.9, batch 128, on centred MNIST (see mnist.mk); the thesis
# reports 98.12% test after ten epochs.  Three recipes, each over SEEDS seeds
# (the seed of nn-init's weights and of nn-train's row order):
#   thesis      lr 0.02, weight decay 0.003, lr/10 after epoch 8, 10 epochs
#               (the thesis's words; nn-train's decay is PyTorch's L2 term)
#   thesis-wd   the same with weight decay 5e-4
#   cosine      lr 0.05, weight decay 1e-4, cosine schedule, 10 epochs
# Writes pipelines/results/baseline-runs.tsv (a row per run) and
# pipelines/results/baseline.md.
#
#   -s, --seeds=N      seeds 1..N (default 5; also $SEEDS)
#   -r, --recipes=LIST the recipes run (default "thesis thesis-wd cosine")
#       --reuse        only re-make the page from the recorded runs
#   -h, --help         show this help
# The tools come from PATH; export OPENBLAS_NUM_THREADS=1 for one core.
# TOOLS_COMMIT: the commit the tools were built at, for the page (default:
# the last commit to change tools/, lib/ or the Makefile).
set -eu
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
SEEDS=${SEEDS:-5}
RECIPES="thesis thesis-wd cosine"
REUSE=0
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    -s) SEEDS=$2; shift 2 ;;
    --seeds=*) SEEDS=${1#*=}; shift ;;
    -r) RECIPES=$2; shift 2 ;;
    --recipes=*) RECIPES=${1#*=}; shift ;;
    --reuse) REUSE=1; shift ;;
    --) shift; break ;;
    -*) echo "baseline.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
train=$1 test=$2
R=pipelines/results
T=$(mktemp -d "${TMPDIR:-/tmp}/baseline.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p $R

recipe() { # name -> the options of nn-train
    case $1 in
    thesis) echo "-e 10 --lr 0.02 -l 0.003 --schedule step:8:0.1" ;;
    thesis-wd) echo "-e 10 --lr 0.02 -l 5e-4 --schedule step:8:0.1" ;;
    cosine) echo "-e 10 --lr 0.05 -l 1e-4 --schedule cosine" ;;
    *) echo "baseline.sh: no recipe $1" >&2; exit 2 ;;
    esac
}
COMMON="-b 128 --optimizer sgd --momentum 0.9"

# one run: recipe seed -> "recipe seed epochs train% test% seconds"
run() {
    r=$1 s=$2
    opts=$(recipe $r)
    t0=$(date +%s.%N)
    nn-init -O softmax -s $s 784-392-50-10 |
        nn-train $COMMON $opts -s $s - "$train" > "$T/net.nns"
    t1=$(date +%s.%N)
    e=$(echo "$opts" | awk '{ for (i = 1; i < NF; i++) if ($i == "-e") print $(i + 1) }')
    tr=$(nn-forward "$T/net.nns" "$train" | nn-eval -q)
    te=$(nn-forward "$T/net.nns" "$test" | nn-eval -q)
    printf '%s\t%s\t%s\t%s\t%s\t%.1f\n' $r $s $e $tr $te \
        "$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')" | tee -a "$T/runs.tsv" >&2
}

if [ $REUSE = 1 ]; then
    cp $R/baseline-runs.tsv "$T/runs.tsv"
else
    printf 'recipe\tseed\tepochs\ttrain\ttest\tseconds\n' > "$T/runs.tsv"
    for r in $RECIPES; do
        for s in $(seq 1 "$SEEDS"); do run $r $s; done
    done
    cp "$T/runs.tsv" $R/baseline-runs.tsv
fi

stats() { # recipe column -> "mean sd n" (sd with n-1)
    awk -F'\t' -v r="$1" -v c="$2" 'NR > 1 && $1 == r { x[++n] = $c; s += $c }
        END { if (!n) exit; mu = s / n; for (i = 1; i <= n; i++) q += (x[i] - mu) ^ 2
              printf "%.2f %.2f %d", mu, (n > 1 ? sqrt(q / (n - 1)) : 0), n }' "$T/runs.tsv"
}
{
echo "# The thesis's SGD baseline: 784-392-50-10 on MNIST"
echo
echo "Thesis (ch. 7.9.1): 784-392-50-10, ReLU, softmax with cross-entropy, SGD with"
echo "batch 128, lr 0.02, weight decay 0.003, momentum 0.9, lr divided by 10 after"
echo "epoch 8, ten epochs: **98.12% test** (99.92% train). Issue 12's target: at"
echo "least 98.0% test, mean and sd over several seeds."
echo
echo "Data: MNIST in [0,1] minus the training set's pixel means (mnist.mk's"
echo "train.nns, test.nns). Every run: \`nn-init -O softmax -s SEED 784-392-50-10 |"
echo "nn-train $COMMON RECIPE -s SEED - train.nns\`, He-normal weights,"
echo "f32, the seed giving both the weights and the order of the rows; accuracy by"
echo "\`nn-forward NET test.nns | nn-eval -q\`. Recipes:"
echo
for r in $(cut -f1 "$T/runs.tsv" | sed 1d | uniq); do echo "- $r: \`$(recipe $r)\`"; done
echo
echo "nn-train's weight decay is PyTorch's (L2 in the gradient, lambda*w added to"
echo "dL/dw, the loss the mean over the batch); the thesis's 0.003 read that way is too"
echo "strong for this net (the thesis recipe row), so the thesis's schedule with 5e-4"
echo "(thesis-wd) and a cosine schedule (cosine) are given beside it."
echo
echo "Machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo),"
echo "shared with other jobs; one thread (OPENBLAS_NUM_THREADS=1), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset},"
echo "OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}; tools built at commit ${TOOLS_COMMIT:-$(git log -1 --format=%h -- tools lib Makefile 2>/dev/null || echo unknown)}; $(date -u '+%Y-%m-%d')."
echo
echo "## Runs"
echo
echo "| recipe | seed | epochs | train % | test % | seconds |"
echo "|---|---|---|---|---|---|"
sed 1d "$T/runs.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }'
echo
echo "## Mean ± sd over seeds"
echo
echo "| recipe | seeds | train % | test % | test − 98.12 | seconds per run |"
echo "|---|---|---|---|---|---|"
for r in $(cut -f1 "$T/runs.tsv" | sed 1d | uniq); do
    set -- $(stats $r 5); te=$1 tes=$2 n=$3
    set -- $(stats $r 4); tr=$1 trs=$2
    set -- $(stats $r 6)
    awk -v r=$r -v n=$n -v a="$tr ± $trs" -v b="$te ± $tes" -v t=$te -v s=$1 \
        'BEGIN { printf "| %s | %d | %s | %s | %+.2f | %s |\n", r, n, a, b, t - 98.12, s }'
done
echo
echo "Seconds: wall time of nn-init and nn-train (the data's loading included), one core."
echo
echo "## Against the target (at least 98.0% test)"
echo
for r in $(cut -f1 "$T/runs.tsv" | sed 1d | uniq); do
    awk -F'\t' -v r=$r 'NR > 1 && $1 == r { s += $5; n++; if (!lo || $5 < lo) lo = $5; if ($5 >= 98.0) k++ }
        END { printf "- %s: mean %.2f%% %s 98.0; %d of %d seeds at 98.0 or above (lowest %.2f%%).\n",
              r, s / n, (s / n >= 98.0 ? "≥" : "<"), k, n, lo }' "$T/runs.tsv"
done
echo
echo "The recipe we give for the baseline is the one whose mean and every seed reach"
echo "the target (cosine above, when that holds in the runs listed). The thesis's"
echo "recipe taken word for word underfits here (its train accuracy stays far from the"
echo "thesis's 99.92%): its weight decay was presumably not PyTorch's L2 coefficient."
} > $R/baseline.md
cat $R/baseline.md

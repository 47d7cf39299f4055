#!/bin/sh
# dp-experiment.sh TRAIN TEST — thesis ch. 3 with K=4 workers exchanging
# their networks after every epoch of their shard (dp-train.sh):
# unquantized, fixed 8 bits, and Algorithm 1 with C = 5 and C = 6
# (Huffman-coded), against one process training on all the rows for as
# many epochs (nn-train --state: one run continued epoch by epoch).
# SETTING chooses the training:
#   native (default)  the thesis's, as pipelines/quant-ch3.sh trains it:
#                     784-392-50-10, tanh in every layer (output too),
#                     Glorot-uniform weights, MSE on one-hot 0/1 targets,
#                     SGD with momentum 0.9, batch 128, the fixed rate 1
#   adam              nn-init's he-normal weights, identity output, MSE,
#                     Adam at 0.001, batch 64 (the first, 8-round page)
# ROUNDS (default 5) rounds each; SCHEMES (default "none bits:8 dynamic:5
# dynamic:6") the exchanges; SEED (default 1) the initial network's (and
# the workers' shuffles, dp-train.sh -s; the one process shuffles epoch e
# with seed 1000 (SEED - 1) + e).
# Rows go to pipelines/results/slurm-dp-runs.tsv, for SEED other than 1
# slurm-dp-runs-seedSEED.tsv (adam: slurm-dp-adam-runs.tsv): scheme,
# round, test accuracy, bits per parameter of an upload, bits uploaded in
# the round, bits of a code before Huffman coding.  RUNNER as in run.sh; one training at a time
# (NN_ARRAY_MAX=1, JOBS=1).  WORK=DIR keeps the runs in DIR/single,
# DIR/none, DIR/bits:8, ...: the same WORK resumes, and a larger ROUNDS
# continues the runs from where they stopped.
set -eu
train=$1 test=$2
ROUNDS=${ROUNDS:-5}
SCHEMES=${SCHEMES:-"none bits:8 dynamic:5 dynamic:6"}
SEED=${SEED:-1}
SETTING=${SETTING:-native}
R=pipelines/results
case $SETTING in
native)
    iopts="-O tanh --scheme glorot-uniform"
    topts="--optimizer sgd --momentum 0.9 --schedule const --objective mse"
    batch=128 lr=1 out=$R/slurm-dp-runs.tsv
    [ "$SEED" = 1 ] || out=$R/slurm-dp-runs-seed$SEED.tsv ;;
adam)
    iopts= topts= batch=64 lr= out=$R/slurm-dp-adam-runs.tsv ;;
*) echo "dp-experiment.sh: SETTING must be native or adam" >&2; exit 2 ;;
esac
T=$(mktemp -d "${TMPDIR:-/tmp}/dp-experiment.XXXXXX")
trap 'rm -rf "$T"' EXIT
NN_ARRAY_MAX=1 JOBS=1
export NN_ARRAY_MAX JOBS
printf 'scheme\tround\ttest_acc\tbits_per_param\tbits_uploaded\tbits_raw\n' > "$out.tmp"

# one process, all rows: an epoch at a time, the optimizer's state kept
S=${WORK:-$T}/single
mkdir -p "$S"
# shellcheck disable=SC2086 # the options' words
[ -e "$S/net0.nns" ] || nn-init -a tanh $iopts -s "$SEED" -o "$S/net0.nns" 784-392-50-10
e=1
while [ $e -le "$ROUNDS" ]; do
    if [ ! -e "$S/acc.$e" ]; then
        rm -f "$S/state.$e"
        [ ! -e "$S/state.$((e - 1))" ] || cp "$S/state.$((e - 1))" "$S/state.$e"
        # shellcheck disable=SC2086
        nn-train -e 1 -b $batch ${lr:+--lr $lr} $topts -s $((1000 * (SEED - 1) + e)) --state "$S/state.$e" \
            -o "$S/net$e.nns" "$S/net$((e - 1)).nns" "$train"
        nn-forward "$S/net$e.nns" "$test" | nn-eval -q > "$S/acc.$e.tmp"
        mv "$S/acc.$e.tmp" "$S/acc.$e"
    fi
    printf 'single\t%d\t%s\t-\t-\t-\n' $e "$(cat "$S/acc.$e")" | tee -a "$out.tmp" >&2
    e=$((e + 1))
done
for q in $SCHEMES; do
    sh pipelines/slurm/dp-train.sh -K 4 -r "$ROUNDS" -q "$q" -s "$SEED" -b $batch ${lr:+--lr $lr} \
        --init-opts "$iopts" --train-opts "$topts" ${WORK:+-w "$WORK/$q"} \
        "$train" "$test" > "$T/rows.tsv"
    awk -v q="$q" 'NR > 1 { print q "\t" $0 }' "$T/rows.tsv" | tee -a "$out.tmp" >&2
done
mv "$out.tmp" "$out"

#!/bin/sh
# dp-experiment.sh TRAIN TEST — thesis ch. 3 in its setting, short: a
# 784-392-50-10 tanh network, MSE, K=4 workers exchanging their networks
# after every epoch of their shard (dp-train.sh), unquantized, fixed 8
# bits, and Algorithm 1 with C = 5 and C = 6 (Huffman-coded), against one
# process training on all the rows for as many epochs (nn-train --state:
# one run continued epoch by epoch).  ROUNDS (default 5) rounds each.
# Rows go to pipelines/results/slurm-dp-runs.tsv (scheme, round, test
# accuracy, bits per parameter, bits uploaded in the round).  RUNNER as in
# run.sh; one training at a time (NN_ARRAY_MAX=1, JOBS=1).  WORK=DIR keeps
# dp-train.sh's work directories in DIR/none, DIR/bits:8, ... (resume).
set -eu
train=$1 test=$2
ROUNDS=${ROUNDS:-5}
R=pipelines/results
T=$(mktemp -d "${TMPDIR:-/tmp}/dp-experiment.XXXXXX")
trap 'rm -rf "$T"' EXIT
NN_ARRAY_MAX=1 JOBS=1
export NN_ARRAY_MAX JOBS
out=$R/slurm-dp-runs.tsv
printf 'scheme\tround\ttest_acc\tbits_per_param\tbits_uploaded\n' > "$out.tmp"

# one process, all rows: an epoch at a time, the optimizer's state kept
nn-init -a tanh -s 1 -o "$T/net.nns" 784-392-50-10
params=$(nn-info -H -j "$T/net.nns" | awk -F'"shape": *\\[' '/"name": *"w"/ {
    split($2, a, /[],]/); n += a[1] * a[2] } END { print n }')
e=1
while [ $e -le "$ROUNDS" ]; do
    nn-train -e 1 -s $e --state "$T/state" -o "$T/next.nns" "$T/net.nns" "$train"
    mv "$T/next.nns" "$T/net.nns"
    printf 'single\t%d\t%s\t-\t-\n' $e "$(nn-forward "$T/net.nns" "$test" | nn-eval -q)" | tee -a "$out.tmp" >&2
    e=$((e + 1))
done
for q in none bits:8 dynamic:5 dynamic:6; do
    sh pipelines/slurm/dp-train.sh -K 4 -r "$ROUNDS" -q $q ${WORK:+-w "$WORK/$q"} \
        "$train" "$test" > "$T/rows.tsv"
    awk -v q=$q 'NR > 1 { print q "\t" $0 }' "$T/rows.tsv" | tee -a "$out.tmp" >&2
done
mv "$out.tmp" "$out"
echo "params $params" >&2

#!/bin/sh
# sharded-experiment.sh TRAIN TEST — the sharded closed-form fit on MNIST
# against the single pass: fit-net.sh and sharded-fit.sh with K = 4, 16
# and 64 shards, the same options (Table 7.2's random projection: one
# hidden ReLU layer of 392, beta 100, ridge 5e4; then a second hidden
# layer of 50 by platonic-pca), and per layer the largest difference of a
# weight relative to the layer's largest weight, and the test accuracy.
# TRAIN and TEST: standardized pixels (mnist.mk's train.std.nns).  Rows to
# pipelines/results/slurm-sharded-runs.tsv; RUNNER as in run.sh.
set -eu
train=$1 test=$2
R=pipelines/results
T=$(mktemp -d "${TMPDIR:-/tmp}/sharded-experiment.XXXXXX")
trap 'rm -rf "$T"' EXIT
opts="--beta 100 -l 5e4"
out=$R/slurm-sharded-runs.tsv
printf 'widths\tshards\tseconds\tlayer_rel_diffs\ttest_acc\n' > "$out.tmp"
for widths in 392 "392 50"; do
    t0=$(date +%s.%N)
    sh pipelines/fit-net.sh --first-method random $opts "$train" $widths > "$T/single.nns"
    t1=$(date +%s.%N)
    acc=$(nn-forward "$T/single.nns" "$test" | nn-eval -q)
    printf '%s\t1\t%.1f\t-\t%s\n' "$widths" "$(echo "$t1 - $t0" | bc)" "$acc" | tee -a "$out.tmp" >&2
    for K in 4 16 64; do
        t0=$(date +%s.%N)
        sh pipelines/slurm/sharded-fit.sh -K $K $opts "$train" $widths > "$T/k.nns"
        t1=$(date +%s.%N)
        d=$(/usr/bin/python3 - "$PWD/examples" "$T/k.nns" "$T/single.nns" <<'PY'
import sys; sys.path.insert(0, sys.argv[1])
import numpy as np
from nns_read import read
def layers(f): return [np.asarray(a, dtype=np.float64) for n, a, at in read(open(f, "rb")) if n == "w"]
a, b = layers(sys.argv[2]), layers(sys.argv[3])
print(",".join("%.2g" % (np.abs(x - y).max() / np.abs(y).max()) for x, y in zip(a, b)))
PY
)
        acc=$(nn-forward "$T/k.nns" "$test" | nn-eval -q)
        printf '%s\t%d\t%.1f\t%s\t%s\n' "$widths" $K "$(echo "$t1 - $t0" | bc)" "$d" "$acc" | tee -a "$out.tmp" >&2
    done
done
mv "$out.tmp" "$out"

#!/bin/sh
# scale-experiment.sh TRAIN MEANS TEST — the sharded fit at scale
# (scale-fit.sh: MNIST repeated and shifted COPIES times, made on the
# fly) for every COPIES in $COPIES (default "10") and K in $SHARDS
# (default "0 4 16 64"; 0 is the single pass): per run the CPU seconds of
# all its processes (the generator's apart), the peak resident memory of
# a task's processes, and per layer the largest difference of a weight
# from the single pass's (same COPIES), relative to the layer's largest
# weight, and the test accuracy.  Rows appended to
# pipelines/results/slurm-scale-runs.tsv (a run already there is not
# redone; OUT=FILE: elsewhere); WORK (default build/scale) keeps the runs' directories
# (WORK/cC-kK: statistics, layers, times), so a cut run resumes.
# RUNNER as in run.sh; one task at a time (JOBS=1, NN_ARRAY_MAX=1).
set -eu
train=$1 means=$2 test=$3
COPIES=${COPIES:-10}
SHARDS=${SHARDS:-"0 4 16 64"}
WORK=${WORK:-build/scale}
JOBS=1 NN_ARRAY_MAX=1
export JOBS NN_ARRAY_MAX
out=${OUT:-pipelines/results/slurm-scale-runs.tsv}
mkdir -p "$WORK"
[ -s "$out" ] || printf 'copies\trows\tshards\tcpu_s\tcpu_gen_s\tcpu_tools_s\tpeak_gram_kB\tpeak_fwd_kB\tpeak_fit_G_kB\tpeak_gen_kB\twall_s\trel_diff_l1\trel_diff_l2\ttest_acc\n' > "$out"
for C in $COPIES; do
    for K in $SHARDS; do
        awk -F'\t' -v c="$C" -v k="$K" '$1 == c && $3 == k { f = 1 } END { exit !f }' "$out" && continue
        d=$WORK/c$C-k$K
        echo "scale-experiment: $C copies, K=$K ($(date -u +%H:%M:%S))" >&2
        t0=$(date +%s)
        sh pipelines/slurm/scale-fit.sh -K "$K" -c "$C" -w "$d" "$train" "$means" > "$d.nns"
        t1=$(date +%s)
        acc=$(nn-forward "$d.nns" "$test" | nn-eval -q)
        ref=$WORK/c$C-k0.nns
        diffs=-\	-
        if [ "$K" != 0 ] && [ -s "$ref" ]; then
            diffs=$(/usr/bin/python3 - "$PWD/examples" "$d.nns" "$ref" <<'PY'
import sys; sys.path.insert(0, sys.argv[1])
import numpy as np
from nns_read import read
def layers(f): return [np.asarray(a, dtype=np.float64) for n, a, at in read(open(f, "rb")) if n == "w"]
a, b = layers(sys.argv[2]), layers(sys.argv[3])
print("\t".join("%.2g" % (np.abs(x - y).max() / np.abs(y).max()) for x, y in zip(a, b)))
PY
)
        fi
        # the times: name seconds user system peak-kB, one file a process
        row=$(for f in "$d"/time/*; do printf '%s\t' "${f##*/}"; cat "$f"; done | awk -F'\t' '
            { cpu = $3 + $4; all += cpu
              if ($1 ~ /\.gen$/) { gen += cpu; if ($5 > pg) pg = $5 }
              else if ($1 ~ /^fit[12]\./) { if ($5 > pG) pG = $5 }
              else if ($1 ~ /\.fwd$/) { if ($5 > pf) pf = $5 }
              else if ($5 > pt) pt = $5 }
            END { printf "%.1f\t%.1f\t%.1f\t%d\t%d\t%s\t%d", all, gen, all - gen, pt, pf, (pG ? pG : "-"), pg }')
        printf '%d\t%d\t%d\t%s\t%d\t%s\t%s\n' "$C" $((C * 60000)) "$K" "$row" $((t1 - t0)) "$diffs" "$acc" |
            tee -a "$out" >&2
    done
done

#!/bin/sh
# stopping.sh — Phi to a benchmark as a stopping rule for re-training
# (issue 13; permutative-redundancy §6.1: "given the parameterization of the
# benchmark network ... Sorensen reordering can be used at any network
# re-training stage to track and trace the progress of the network
# re-training. A stopping criterion is another possible use": stop once
# the re-trained network is in the "Boltzmann vicinity" of the benchmark).
#
# Glukhov's setting is adaptive re-training: the data change a little (D
# to D') and the network is trained again.  Here:
#   - the benchmark: trained BENCH_EPOCHS epochs on D, the first ROWS rows
#     of TRAIN (Adam, its optimizer state kept);
#   - the size of its "vicinity": Phi between the benchmark and the
#     benchmark trained one more epoch on D (its own fluctuation, optimizer
#     state continued), and one more epoch on D' (a first step of adapting);
#   - re-trainings on D', the rows SHIFT..SHIFT+ROWS of TRAIN, a checkpoint
#     after every epoch (one nn-train run per epoch, the optimizer state
#     carried by --state, the row order seeded per epoch):
#       scratch  from nn-init -s 2;
#       warm     from the benchmark with its hidden units permuted and every
#                weight multiplied by 1 + NOISE z (nn-sort-canon --shuffle
#                --noise NOISE);
#   - per checkpoint: test accuracy and loss (nn-forward | nn-eval), and Phi
#     to the benchmark (nn-distance): raw; between canonical forms
#     (nn-sort-canon, lex); aligned to the benchmark (nn-sort-canon --align,
#     weight matching, each checkpoint on its own); aligned by the
#     permutations that align the last checkpoint (--perms, then --apply to
#     every checkpoint: one frame for the whole run); and Phi between
#     successive checkpoints (the step; no benchmark needed).
#
#   stopping.sh TRAIN TEST
#
# Environment: ARCH (784-512-512-10), BENCH_EPOCHS (30), EPOCHS (30),
# BATCH (128), ROWS (50000), SHIFT (10000), NOISE (1), RUNS ("scratch
# warm"), SEED (2: the first run's seed, the next run's SEED + 1; a
# run's epoch e reads its rows in the order of seed 100 * its seed + e),
# RESULTS (pipelines/results), NAME (stopping: the files' stem), REPLOT
# (set: train nothing, re-make the plot and tables from the TSV).
# Writes RESULTS/NAME-runs.tsv (a row per run, epoch, measure and layer),
# RESULTS/NAME.png, and prints the tables of RESULTS/NAME.md on stdout
# (the page's findings are written by hand below them).
set -eu
[ $# -eq 2 ] || { echo "usage: stopping.sh TRAIN TEST" >&2; exit 2; }
TRAIN=$1 TEST=$2
ARCH=${ARCH:-784-512-512-10} BENCH_EPOCHS=${BENCH_EPOCHS:-30} EPOCHS=${EPOCHS:-30}
BATCH=${BATCH:-128} ROWS=${ROWS:-50000} SHIFT=${SHIFT:-10000} NOISE=${NOISE:-1}
RUNS=${RUNS:-"scratch warm"}
RESULTS=${RESULTS:-pipelines/results} NAME=${NAME:-stopping}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/stopping.XXXXXX")
trap 'rm -rf "$T"' EXIT
say() { echo "stopping.sh: $*" >&2; }

# phis RUN EPOCH WHAT A B: Phi per layer and in all
phis() {
    nn-distance "$4" "$5" | awk -v r="$1" -v e="$2" -v w="$3" 'NR > 1 && $1 != "" {
        printf "%s\t%s\t%s\t%s\t%s\n", r, e, w, $1, $4 }' >> "$T/runs.tsv"
}
# score RUN EPOCH NET: test accuracy (%) and loss (cross-entropy)
score() {
    nn-forward "$3" "$TEST" | nn-eval -j | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print("%s\t%s\taccuracy\tall\t%.2f" % (sys.argv[1], sys.argv[2], 100 * d["accuracy"]))
print("%s\t%s\tloss\tall\t%.6f" % (sys.argv[1], sys.argv[2], d["nll"]))' "$1" "$2" >> "$T/runs.tsv"
}

measure() {
    nn-slice ":$ROWS" "$TRAIN" > "$T/d.nns"
    nn-slice "$SHIFT:$((SHIFT + ROWS))" "$TRAIN" > "$T/d2.nns"
    : > "$T/runs.tsv"

    # 1. the benchmark and its vicinity
    say "benchmark: $ARCH, $BENCH_EPOCHS epochs on rows :$ROWS"
    nn-init -s 1 -O softmax "$ARCH" |
        nn-train -e "$BENCH_EPOCHS" -b "$BATCH" -s 1 --state "$T/bench.state" - "$T/d.nns" > "$T/bench.nns"
    score bench "$BENCH_EPOCHS" "$T/bench.nns"
    nn-sort-canon "$T/bench.nns" > "$T/bench.canon.nns"
    for data in d d2; do
        cp "$T/bench.state" "$T/more.state"
        nn-train -e 1 -b "$BATCH" -s 99 --state "$T/more.state" "$T/bench.nns" "$T/$data.nns" > "$T/more.nns"
        phis "bench+1-$data" 1 raw "$T/bench.nns" "$T/more.nns"
        score "bench+1-$data" 1 "$T/more.nns"
    done

    # 2. the re-trainings, a network per epoch
    i=$((${SEED:-2} - 1))
    for run in $RUNS; do
        i=$((i + 1))
        case $run in
        scratch) nn-init -s $i -O softmax "$ARCH" > "$T/$run.0.nns" ;;
        warm) nn-sort-canon --shuffle --noise "$NOISE" -s $i "$T/bench.nns" > "$T/$run.0.nns" ;;
        *) echo "stopping.sh: unknown run $run (scratch, warm)" >&2; exit 2 ;;
        esac
        e=0
        while :; do
            net=$T/$run.$e.nns
            say "$run: epoch $e of $EPOCHS"
            score "$run" $e "$net"
            phis "$run" $e raw "$T/bench.nns" "$net"
            nn-sort-canon "$net" > "$T/canon.nns"
            phis "$run" $e canonical "$T/bench.canon.nns" "$T/canon.nns"
            nn-sort-canon --align "$T/bench.nns" "$net" > "$T/aligned.nns"
            phis "$run" $e aligned "$T/bench.nns" "$T/aligned.nns"
            [ $e -eq 0 ] || phis "$run" $e step "$T/$run.$((e - 1)).nns" "$net"
            [ $e -lt "$EPOCHS" ] || break
            e=$((e + 1))
            nn-train -e 1 -b "$BATCH" -s $((i * 100 + e)) --state "$T/$run.state" \
                "$net" "$T/d2.nns" > "$T/$run.$e.nns"
        done
        # one frame for the run: the permutations that align the last network
        nn-sort-canon --align "$T/bench.nns" --perms "$T/$run.perms" "$T/$run.$EPOCHS.nns" > /dev/null
        e=0
        while [ $e -le "$EPOCHS" ]; do
            nn-sort-canon --apply "$T/$run.perms" "$T/$run.$e.nns" > "$T/applied.nns"
            phis "$run" $e aligned-last "$T/bench.nns" "$T/applied.nns"
            e=$((e + 1))
        done
    done

    mkdir -p "$RESULTS"
    { printf 'run\tepoch\twhat\tlayer\tvalue\n'; cat "$T/runs.tsv"; } > "$RESULTS/$NAME-runs.tsv"
}
[ -n "${REPLOT:-}" ] || measure

# 3. the plot: per run, Phi (all layers) to the benchmark on the left,
# the test accuracy and loss (from epoch 1) on the right
set -- $RUNS
n=$#
near=$(awk -F'\t' '$1 == "bench+1-d2" && $3 == "raw" && $4 == "all" { print $5 }' "$RESULTS/$NAME-runs.tsv")
{
    echo 'set terminal pngcairo size 1200,'$((360 * n))' font ",10"'
    echo "set output \"$RESULTS/$NAME.png\""
    echo "set multiplot layout $n,2 title \"Re-training $ARCH on D' (rows $SHIFT:$((SHIFT + ROWS))) against a benchmark trained $BENCH_EPOCHS epochs on D (rows :$ROWS)\""
    echo 'set datafile separator "\t"'
    echo 'set xlabel "epoch"'
    echo 'set key top right'
    for run in "$@"; do
        g() { echo "\"< awk -F'\\t' '\$1 == \\\"$run\\\" && \$3 == \\\"$1\\\" && \$4 == \\\"all\\\" && \$2 >= $2' $RESULTS/$NAME-runs.tsv\""; }
        echo "set title \"$run: Phi to the benchmark (all layers)\""
        echo 'set ylabel "Phi"; set yrange [0:1.45]; unset y2label; unset y2tics; set ytics mirror; set key top right'
        echo "plot $(g raw 0) using 2:5 with linespoints lc rgb 'dark-violet' title 'raw', \\"
        echo "     $(g canonical 0) using 2:5 with linespoints lc rgb 'dark-green' title 'canonical (lex)', \\"
        echo "     $(g aligned 0) using 2:5 with linespoints lw 2 lc rgb 'blue' title 'aligned (each)', \\"
        echo "     $(g aligned-last 0) using 2:5 with lines dt 2 lw 2 lc rgb 'orange' title 'aligned (last perms)', \\"
        echo "     $near with lines lc rgb 'gray' title 'benchmark vs itself + 1 epoch on D2'"
        echo "set title \"$run: test accuracy and loss\""
        echo 'set ylabel "test accuracy (%)"; set yrange [*:*]; set y2label "test loss (cross-entropy)"; set ytics nomirror; set y2tics; set key bottom right'
        echo "plot $(g accuracy 1) using 2:5 with linespoints lw 2 lc rgb 'black' title 'accuracy', \\"
        echo "     $(g loss 1) using 2:5 axes x1y2 with linespoints lc rgb 'red' title 'loss (right axis)'"
    done
    echo 'unset multiplot'
} | gnuplot

# 4. the tables
"$PY" - "$RESULTS/$NAME-runs.tsv" "$ARCH" "$BENCH_EPOCHS" "$EPOCHS" "$ROWS" "$SHIFT" "$NOISE" "$RUNS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
arch, be, ep, nrows, shift, noise, runs = sys.argv[2:9]
ep = int(ep)
v = {(r[0], int(r[1]), r[2], r[3]): float(r[4]) for r in rows}
print(f"Benchmark: {arch}, {be} epochs on D (rows :{nrows}), test accuracy "
      f"{v[('bench', int(be), 'accuracy', 'all')]:.2f}%, loss {v[('bench', int(be), 'loss', 'all')]:.4f}.\n")
print("Its vicinity, Φ (all layers) between the benchmark and the benchmark trained one epoch more:"
      f" on D {v[('bench+1-d', 1, 'raw', 'all')]:.4f} (accuracy {v[('bench+1-d', 1, 'accuracy', 'all')]:.2f}%),"
      f" on D' {v[('bench+1-d2', 1, 'raw', 'all')]:.4f} (accuracy {v[('bench+1-d2', 1, 'accuracy', 'all')]:.2f}%).\n")
measures = ("raw", "canonical", "aligned", "aligned-last", "step")
for run in runs.split():
    print(f"## {run}\n")
    print("| epoch | test accuracy | test loss | Φ raw | Φ canonical | Φ aligned (each) | Φ aligned (last perms) | Φ step (e-1, e) |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|")
    for e in range(ep + 1):
        cells = ["%.2f%%" % v[(run, e, "accuracy", "all")], "%.4f" % v[(run, e, "loss", "all")]]
        cells += ["%.4f" % v[(run, e, m, "all")] if (run, e, m, "all") in v else "" for m in measures]
        print(f"| {e} | " + " | ".join(cells) + " |")
    print()
    layers = sorted({k[3] for k in v if k[0] == run and k[2] == "aligned" and k[3] != "all"}, key=int)
    def ranks(x):
        o = sorted(range(len(x)), key=lambda i: x[i])
        r = [0.0] * len(x)
        for k, i in enumerate(o):
            r[i] = k
        return r
    def spearman(a, b):
        ra, rb = ranks(a), ranks(b)
        ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
        c = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
        return c / (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    es = range(1, ep + 1)
    if ep >= 3:
        print("Spearman rank correlation over epochs 1-%d, of Φ with the test loss / accuracy: " % ep + "; ".join(
            "%s %+.2f / %+.2f" % (m, spearman([v[(run, e, m, "all")] for e in es], [v[(run, e, "loss", "all")] for e in es]),
                                   spearman([v[(run, e, m, "all")] for e in es], [v[(run, e, "accuracy", "all")] for e in es]))
            for m in measures) + "\n")
    print("Φ aligned (each) per layer at epochs 1, 5, 10, last: " + "; ".join(
        f"layer {L}: " + ", ".join("%.3f" % v[(run, e, "aligned", L)] for e in sorted({1, min(5, ep), min(10, ep), ep}))
        for L in layers) + "\n")

# stopping rules: stop after epoch e (e >= 2) when the measure fell by less
# than TOL of its value since epoch e-1 (or rose)
def stop(run, m, tol):
    for e in range(2, ep + 1):
        a, b = v[(run, e - 1, m, "all")], v[(run, e, m, "all")]
        if b > a * (1 - tol):
            return e
    return None
print("## Stopping rules against the test curve\n")
print("A rule on Φ stops at the first epoch e ≥ 2 where Φ fell by less than a tolerance"
      " (relative) since epoch e−1, or rose. Beside: the epoch of the best test accuracy"
      " and of the lowest test loss (hindsight on the test set).\n")
print("| run | best accuracy (epoch) | lowest loss (epoch) | rule | stops at | accuracy there | loss there |")
print("|---|--:|--:|---|--:|--:|--:|")
near = v[("bench+1-d2", 1, "raw", "all")]
rules = [("raw", 0.01), ("canonical", 0.01), ("aligned", 0.01), ("aligned", 0.001),
         ("aligned-last", 0.01), ("vicinity", None), ("loss", 0.0)]
for run in runs.split():
    acc = [v[(run, e, "accuracy", "all")] for e in range(ep + 1)]
    loss = [v[(run, e, "loss", "all")] for e in range(ep + 1)]
    be_ = max(range(1, ep + 1), key=lambda e: (acc[e], -e))
    bl = min(range(1, ep + 1), key=lambda e: (loss[e], e))
    for i, (m, tol) in enumerate(rules):
        if m == "loss":
            s = next((e for e in range(2, ep + 1) if loss[e] > loss[e - 1]), None)
            name = "test loss rose (classic early stopping, patience 1)"
        elif m == "vicinity":
            s = next((e for e in range(1, ep + 1) if v[(run, e, "aligned", "all")] <= near), None)
            name = f"Φ aligned ≤ the vicinity ({near:.4f}, benchmark + 1 epoch on D')"
        else:
            s = stop(run, m, tol)
            name = f"Φ {m} fell by < {100 * tol:g}%"
        head = f"| {run} | {acc[be_]:.2f}% ({be_}) | {loss[bl]:.4f} ({bl}) |" if i == 0 else "| | | |"
        if s is None:
            print(f"{head} {name} | never | | |")
        else:
            print(f"{head} {name} | {s} | {acc[s]:.2f}% | {loss[s]:.4f} |")
print()
PY

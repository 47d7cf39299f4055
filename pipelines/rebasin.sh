#!/bin/sh
# rebasin.sh — convergent learning and re-basin (issue 13; permutative-
# redundancy §5, ml-math-generalization §4-§8, Git Re-Basin): N networks
# trained from different seeds, compared raw, in canonical form and
# aligned to the first by weight and by activation matching:
#   - Phi per layer between network 1 and each other (nn-distance);
#   - test accuracy along the linear path between networks 1 and 2
#     (nn-average --path | nn-forward | nn-eval: the barrier), raw and
#     aligned;
#   - test accuracy of the average of 2 and of N networks: raw, canonical
#     (Sorensen: a representative per class, no assignment), aligned to
#     network 1 by weights and by activations, and aligned to an iterated
#     mean (three rounds of aligning every network to the last mean);
#     beside each network alone and the ensemble of their outputs (the
#     mean of their probabilities, by NumPy);
#   - with N >= 4, the same for the disjoint pairs (1,2), (3,4), ...: the
#     barrier raw and aligned (the second aligned to the first), the
#     average of the two raw, canonical, aligned, and their ensemble, so
#     that the pair numbers are a mean over N/2 pairs, not one.
#
#   rebasin.sh TRAIN TEST
#
# Environment: ARCH (784-512-512-10), N (4), EPOCHS (10), BATCH (128),
# POINTS (25), MATCH_ROWS (rows of TRAIN for activation matching, 10000),
# PRUNE (a rate: every network pre-pruned with the same masks, nn-init -p
# PRUNE --mask-seed 1, for permutative-redundancy §6.2.1: are such
# networks closer without alignment?), RESULTS (pipelines/results), NAME
# (rebasin: the files' stem).  Writes RESULTS/NAME.md, RESULTS/NAME-runs.tsv,
# RESULTS/NAME-barrier.png.
set -eu
[ $# -eq 2 ] || { echo "usage: rebasin.sh TRAIN TEST" >&2; exit 2; }
TRAIN=$1 TEST=$2
ARCH=${ARCH:-784-512-512-10} N=${N:-4} EPOCHS=${EPOCHS:-10} BATCH=${BATCH:-128}
POINTS=${POINTS:-25} MATCH_ROWS=${MATCH_ROWS:-10000} PRUNE=${PRUNE:-}
RESULTS=${RESULTS:-pipelines/results} NAME=${NAME:-rebasin}
T=$(mktemp -d "${TMPDIR:-/tmp}/rebasin.XXXXXX")
trap 'rm -rf "$T"' EXIT
say() { echo "rebasin.sh: $*" >&2; }
acc() { nn-forward "$1" "$TEST" | nn-eval -q; }

nn-slice --head "$MATCH_ROWS" "$TRAIN" > "$T/match.nns"
: > "$T/runs.tsv"
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$T/runs.tsv"; }

# 1. the networks
k=1
while [ $k -le "$N" ]; do
    say "training network $k of $N ($ARCH, $EPOCHS epochs)"
    nn-init -s $k -O softmax ${PRUNE:+-p "$PRUNE" --mask-seed 1} "$ARCH" |
        nn-train -e "$EPOCHS" -b "$BATCH" -s $k - "$TRAIN" > "$T/net$k.nns"
    row "net$k" accuracy "$(acc "$T/net$k.nns")"
    nn-sort-canon "$T/net$k.nns" > "$T/canon$k.nns"
    if [ $k -gt 1 ]; then
        nn-sort-canon --align "$T/net1.nns" "$T/net$k.nns" > "$T/wm$k.nns"
        nn-sort-canon --align "$T/net1.nns" --data "$T/match.nns" "$T/net$k.nns" > "$T/am$k.nns"
    fi
    k=$((k + 1))
done
cp "$T/net1.nns" "$T/wm1.nns"
cp "$T/net1.nns" "$T/am1.nns"

# 2. Phi per layer and in all, network 1 against each other
k=2
while [ $k -le "$N" ]; do
    for how in raw canon wm am; do
        a=$T/net1.nns b=$T/net$k.nns
        case $how in canon) a=$T/canon1.nns b=$T/canon$k.nns ;; wm) b=$T/wm$k.nns ;; am) b=$T/am$k.nns ;; esac
        nn-distance "$a" "$b" | awk -v k=$k -v h=$how 'NR > 1 && $1 != "" {
            printf "phi-%s-%s\t%s\t%s\n", h, $1, k, $4 }' >> "$T/runs.tsv"
    done
    k=$((k + 1))
done

# 3. the path between networks 1 and 2, raw and aligned
for how in raw wm am; do
    b=$T/net2.nns
    [ $how = raw ] || b=$T/${how}2.nns
    say "the path 1-2, $how"
    nn-average --path "$POINTS" "$T/net1.nns" "$b" | nn-forward - "$TEST" | nn-eval |
        awk -v h=$how 'NR > 1 { a = $4; sub(/%/, "", a)
            printf "path-%s\t%s\t%s\n", h, $2, a
            printf "nll-%s\t%s\t%s\n", h, $2, $6 }' >> "$T/runs.tsv"
done

# 3b. the disjoint pairs (1,2), (3,4), ...: barriers and averages of two
# (rows pair-A-B, key what-how)
barrier() { # PAIR HOW: nn-eval's table of the path on stdin
    awk -v p="$1" -v h="$2" 'NR > 1 { a[NR] = $4; sub(/%/, "", a[NR]); l[NR] = $6; n = NR }
        END { lo = a[2]; hi = l[2]
              for (i = 2; i <= n; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (l[i] + 0 > hi + 0) hi = l[i] }
              printf "%s\tbarrier-%s\t%.2f\n", p, h, (a[2] + a[n]) / 2 - lo
              printf "%s\tnll-barrier-%s\t%.4f\n", p, h, hi - (l[2] + l[n]) / 2 }' >> "$T/runs.tsv"
}
a=1
while [ $((a + 1)) -le "$N" ] && [ "$N" -ge 4 ]; do
    b=$((a + 1))
    say "the pair $a-$b"
    nn-sort-canon --align "$T/net$a.nns" "$T/net$b.nns" > "$T/pwm.nns"
    nn-sort-canon --align "$T/net$a.nns" --data "$T/match.nns" "$T/net$b.nns" > "$T/pam.nns"
    for how in raw wm am; do
        f=$T/net$b.nns
        [ $how = raw ] || f=$T/p$how.nns
        nn-average --path "$POINTS" "$T/net$a.nns" "$f" | nn-forward - "$TEST" | nn-eval | barrier "pair-$a-$b" $how
        nn-average "$T/net$a.nns" "$f" > "$T/avg.nns"
        row "pair-$a-$b" "average-$how" "$(acc "$T/avg.nns")"
    done
    nn-average "$T/canon$a.nns" "$T/canon$b.nns" > "$T/avg.nns"
    row "pair-$a-$b" average-canon "$(acc "$T/avg.nns")"
    row "pair-$a-$b" phi-raw "$(nn-distance -q "$T/net$a.nns" "$T/net$b.nns")"
    row "pair-$a-$b" phi-wm "$(nn-distance -q "$T/net$a.nns" "$T/pwm.nns")"
    row "pair-$a-$b" phi-am "$(nn-distance -q "$T/net$a.nns" "$T/pam.nns")"
    a=$((a + 2))
done

# 4. averages of 2, 4 and N
for m in $(printf '%s\n' 2 4 "$N" | awk -v n="$N" '$1 <= n' | sort -nu); do
    for how in raw canon wm am; do
        files=
        k=1
        while [ $k -le "$m" ]; do
            case $how in raw) f=net$k ;; canon) f=canon$k ;; *) f=$how$k ;; esac
            files="$files $T/$f.nns"
            k=$((k + 1))
        done
        nn-average $files > "$T/avg.nns"
        row "average-$m" "$how" "$(acc "$T/avg.nns")"
    done
    # aligned to an iterated mean: every network aligned (weights) to the
    # mean of the last round, three rounds from the mean aligned to 1
    nn-average $(k=1; while [ $k -le "$m" ]; do printf '%s ' "$T/wm$k.nns"; k=$((k + 1)); done) > "$T/mean.nns"
    for round in 1 2 3; do
        files=
        k=1
        while [ $k -le "$m" ]; do
            nn-sort-canon --align "$T/mean.nns" "$T/net$k.nns" > "$T/it$k.nns"
            files="$files $T/it$k.nns"
            k=$((k + 1))
        done
        nn-average $files > "$T/mean.nns"
    done
    row "average-$m" iterated "$(acc "$T/mean.nns")"
done

# 5. the ensemble: the mean of the networks' output probabilities (NumPy
# on nn-forward's outputs), for 2 and N networks
k=1
while [ $k -le "$N" ]; do
    nn-forward "$T/net$k.nns" "$TEST" | nn-export -f npy -n x -o "$T/p$k.npy"
    k=$((k + 1))
done
nn-export -f npy -n y -o "$T/y.npy" "$TEST"
/usr/bin/python3 - "$T" "$N" <<'PY' >> "$T/runs.tsv"
import sys
import numpy as np
t, n = sys.argv[1], int(sys.argv[2])
y = np.load(f"{t}/y.npy")
for m in sorted({2, 4, n} & set(range(2, n + 1))):
    p = sum(np.load(f"{t}/p{k}.npy").astype(np.float64) for k in range(1, m + 1)) / m
    print(f"ensemble-{m}\toutputs\t{100 * (p.argmax(1) == y).mean():.2f}")
if n >= 4:
    for a in range(1, n, 2):
        p = (np.load(f"{t}/p{a}.npy").astype(np.float64) + np.load(f"{t}/p{a + 1}.npy")) / 2
        print(f"pair-{a}-{a + 1}\tensemble\t{100 * (p.argmax(1) == y).mean():.2f}")
PY

mkdir -p "$RESULTS"
{ printf 'what\tkey\tvalue\n'; cat "$T/runs.tsv"; } > "$RESULTS/$NAME-runs.tsv"
grep '^path-' "$T/runs.tsv" | awk -F'\t' '{ split($1, a, "-"); print a[2] "\t" $2 "\t" $3 }' > "$T/path.tsv"
gnuplot <<EOF
set terminal pngcairo size 800,500 font ",11"
set output "$RESULTS/$NAME-barrier.png"
set title "Test accuracy along the path (1-t) A + t B ($ARCH, $EPOCHS epochs)"
set xlabel "t"
set ylabel "test accuracy (%)"
set key bottom center
set datafile separator "\t"
plot "< grep '^raw' $T/path.tsv" using 2:3 with linespoints lw 2 title "raw", \
     "< grep '^wm' $T/path.tsv" using 2:3 with linespoints lw 2 title "weight matching", \
     "< grep '^am' $T/path.tsv" using 2:3 with linespoints lw 2 title "activation matching"
EOF
/usr/bin/python3 - "$RESULTS/$NAME-runs.tsv" "$ARCH${PRUNE:+ pre-pruned at $PRUNE (one set of masks)}" "$EPOCHS" "$N" "$BATCH" > "$RESULTS/$NAME.md" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
arch, epochs, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
get = lambda w, k: [float(r[2]) for r in rows if r[0] == w and r[1] == k]
print(f"# Convergent learning and re-basin: {n} networks {arch}\n")
print(f"Each trained {epochs} epochs by nn-train (Adam, lr 1e-3, batch {sys.argv[5]}) from seed k;"
      " canonical forms by `nn-sort-canon` (lex); aligned to network 1 by weight matching (wm)"
      " and by activation matching on training rows (am). Raw rows: the TSV beside this page.\n")
accs = [get(f"net{k}", "accuracy")[0] for k in range(1, n + 1)]
print("Test accuracy of each network: " + ", ".join("%.2f%%" % a for a in accs) + "\n")
print("## Φ, network 1 against the others (mean over them)\n")
layers = sorted({r[0].split("-")[2] for r in rows if r[0].startswith("phi-")}, key=lambda x: (x == "all", x))
print("| layer | raw | canonical | weight matching | activation matching |")
print("|---|--:|--:|--:|--:|")
for L in layers:
    cells = []
    for h in ("raw", "canon", "wm", "am"):
        v = [float(r[2]) for r in rows if r[0] == f"phi-{h}-{L}"]
        cells.append("%.3f" % (sum(v) / len(v)) if v else "")
    print(f"| {L} | " + " | ".join(cells) + " |")
print("\n## Along the path from network 1 to network 2\n")
for h, name in (("raw", "raw"), ("wm", "weight matching"), ("am", "activation matching")):
    p = [(float(r[1]), float(r[2])) for r in rows if r[0] == f"path-{h}"]
    ends = (p[0][1] + p[-1][1]) / 2
    low = min(a for _, a in p)
    l = [float(r[2]) for r in rows if r[0] == f"nll-{h}"]
    print(f"- {name}: lowest accuracy {low:.2f}% (ends {p[0][1]:.2f}%, {p[-1][1]:.2f}%): "
          f"barrier {ends - low:.2f} points; test loss (cross-entropy) at most {max(l):.4f} "
          f"against {l[0]:.4f} and {l[-1]:.4f} at the ends: barrier {max(l) - (l[0] + l[-1]) / 2:.4f}")
print(f"\n![barrier]({sys.argv[1].rsplit('/', 1)[-1].replace('-runs.tsv', '-barrier.png')})\n")
print("## Averages of networks (test accuracy)\n")
print("| networks | raw | canonical | weight matching (to 1) | activation matching (to 1) | weight matching (to an iterated mean) | ensemble of their outputs |")
print("|---|--:|--:|--:|--:|--:|--:|")
for m in sorted({r[0] for r in rows if r[0].startswith("average-")}, key=lambda x: int(x.split("-")[1])):
    k = m.split("-")[1]
    ens = get(f"ensemble-{k}", "outputs")
    print(f"| {k} | " + " | ".join("%.2f%%" % get(m, h)[0] for h in ("raw", "canon", "wm", "am", "iterated")) +
          (" | %.2f%% |" % ens[0] if ens else " | |"))
pairs = sorted({r[0] for r in rows if r[0].startswith("pair-")}, key=lambda x: int(x.split("-")[1]))
if pairs:
    import statistics
    def ms(vals, f):
        return (f % statistics.mean(vals)) + (" ± " + f % statistics.stdev(vals) if len(vals) > 1 else "")
    print(f"\n## The {len(pairs)} disjoint pairs (the second network aligned to the first)\n")
    print("Mean ± standard deviation over the pairs " + ", ".join(p[5:] for p in pairs) +
          "; each pair's own numbers in the TSV (rows pair-A-B).\n")
    print("| pairs | Φ raw | Φ wm | Φ am | barrier raw (points) | barrier wm | barrier am | loss barrier raw | loss barrier wm | loss barrier am |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    cell = lambda key, f: ms([get(p, key)[0] for p in pairs], f)
    print(f"| {len(pairs)} | " + " | ".join([cell(f"phi-{h}", "%.3f") for h in ("raw", "wm", "am")] +
          [cell(f"barrier-{h}", "%.2f") for h in ("raw", "wm", "am")] +
          [cell(f"nll-barrier-{h}", "%.4f") for h in ("raw", "wm", "am")]) + " |")
    accs2 = [statistics.mean([get(f"net{p.split('-')[1]}", "accuracy")[0], get(f"net{p.split('-')[2]}", "accuracy")[0]]) for p in pairs]
    print("\n| pairs | the two networks (mean) | average raw | average canonical | average wm | average am | ensemble of the two |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    print(f"| {len(pairs)} | {ms(accs2, '%.2f')}% | " + " | ".join(
        [cell(f"average-{h}", "%.2f") + "%" for h in ("raw", "canon", "wm", "am")] + [cell("ensemble", "%.2f") + "%"]) + " |")
PY
cat "$RESULTS/$NAME.md"

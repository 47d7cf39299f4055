#!/bin/sh
# recovery.sh — Glukhov §6.1 (permutative-redundancy): do sorting keys
# "with high reliability recover the original structure of a slightly
# disturbed and permuted matrix"?  Trained networks are permuted and every
# weight multiplied by 1 + SIGMA N(0,1) (nn-sort-canon --shuffle --noise),
# for SIGMA from 1e-6 to 1e-1; each key's canonical form of the disturbed
# copy is compared with the original's, and weight matching aligns the
# copy to the original.  Reported per method and SIGMA: the fraction of
# hidden units put back in place (over layers and networks) and Phi
# between the two (nn-distance).
#
#   recovery.sh TRAIN NET...      (networks trained on TRAIN's kind of data)
#
# Environment: SIGMAS (default "1e-6 1e-5 1e-4 1e-3 1e-2 1e-1"), KEYS
# (default "lex maximin norm mean dot"), RESULTS (pipelines/results).
# Writes RESULTS/recovery-runs.tsv (one row per network, method, SIGMA and
# layer), RESULTS/recovery.md and RESULTS/recovery.png.
set -eu
[ $# -ge 2 ] || { echo "usage: recovery.sh TRAIN NET..." >&2; exit 2; }
SIGMAS=${SIGMAS:-"1e-6 1e-5 1e-4 1e-3 1e-2 1e-1"}
KEYS=${KEYS:-"lex maximin norm mean dot"}
RESULTS=${RESULTS:-pipelines/results}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/recovery.XXXXXX")
trap 'rm -rf "$T"' EXIT
shift # TRAIN is named for the record; the networks carry what matters

# perms FILE: the permutations of FILE as lines of numbers, one per layer
perms() {
    n=$(nn-info --records "$1" | grep -c " perm ")
    k=0
    while [ $k -lt "$n" ]; do
        nn-pick perm --nth $k < "$1" | nn-export -f csv -n perm | tr '\n' ' '
        echo
        k=$((k + 1))
    done
}

# placed S C0 C1: per layer, the fraction of positions j with
# C0[j] == S[C1[j]] (canonical orders of the original and of the
# shuffled copy, S the shuffle), one per line
placed() {
    "$PY" - "$1" "$2" "$3" <<'PY'
import sys
rows = [[list(map(int, l.split())) for l in open(f) if l.strip()] for f in sys.argv[1:]]
for s, c0, c1 in zip(*rows):
    print(sum(c0[j] == s[c1[j]] for j in range(len(s))) / len(s))
PY
}

: > "$T/runs.tsv"
i=0
for net in "$@"; do
    i=$((i + 1))
    for sigma in $SIGMAS; do
        seed=$((i * 1000 + $(echo "$SIGMAS" | tr ' ' '\n' | grep -n "^$sigma\$" | cut -d: -f1)))
        nn-sort-canon --shuffle --noise "$sigma" -s $seed --perms "$T/s.nns" "$net" > "$T/d.nns"
        perms "$T/s.nns" > "$T/s.txt"
        for key in $KEYS; do
            nn-sort-canon --key $key --perms "$T/c0.nns" "$net" > "$T/n0.nns"
            nn-sort-canon --key $key --perms "$T/c1.nns" "$T/d.nns" > "$T/n1.nns"
            perms "$T/c0.nns" > "$T/c0.txt"
            perms "$T/c1.nns" > "$T/c1.txt"
            phi=$(nn-distance -q "$T/n0.nns" "$T/n1.nns")
            placed "$T/s.txt" "$T/c0.txt" "$T/c1.txt" |
                awk -v n="$i" -v m="$key" -v s="$sigma" -v p="$phi" \
                    '{ printf "%s\t%s\t%s\t%d\t%s\t%s\n", n, m, s, NR, $1, p }' >> "$T/runs.tsv"
        done
        # weight matching: aligned unit j is shuffled unit A[j]; in place
        # when S[A[j]] == j (the identity as the original's order)
        nn-sort-canon --align "$net" --perms "$T/a.nns" "$T/d.nns" > "$T/al.nns"
        perms "$T/a.nns" > "$T/a.txt"
        awk '{ for (j = 1; j <= NF; j++) $j = j - 1; print }' "$T/s.txt" > "$T/id.txt"
        phi=$(nn-distance -q "$net" "$T/al.nns")
        placed "$T/s.txt" "$T/id.txt" "$T/a.txt" |
            awk -v n="$i" -v s="$sigma" -v p="$phi" \
                '{ printf "%s\tmatching\t%s\t%d\t%s\t%s\n", n, s, NR, $1, p }' >> "$T/runs.tsv"
    done
done
mkdir -p "$RESULTS"
{ printf 'net\tmethod\tsigma\tlayer\tplaced\tphi\n'; cat "$T/runs.tsv"; } > "$RESULTS/recovery-runs.tsv"

# the table: mean fraction placed and mean Phi per method and sigma
"$PY" - "$RESULTS/recovery-runs.tsv" "$T/plot.tsv" > "$T/table.md" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
methods = list(dict.fromkeys(r[1] for r in rows))
sigmas = list(dict.fromkeys(r[2] for r in rows))
placed = collections.defaultdict(list); phi = collections.defaultdict(dict)
for net, m, s, layer, p, f in rows:
    placed[m, s].append(float(p)); phi[m, s][net] = float(f)
print("| method | " + " | ".join(f"σ = {s}" for s in sigmas) + " |")
print("|---|" + "--:|" * len(sigmas))
for m in methods:
    print(f"| {m} | " + " | ".join(
        "%.1f%% (Φ %.2g)" % (100 * sum(placed[m, s]) / len(placed[m, s]),
                             sum(phi[m, s].values()) / len(phi[m, s])) for s in sigmas) + " |")
with open(sys.argv[2], "w") as f:
    f.write("sigma\t" + "\t".join(methods) + "\n")
    for s in sigmas:
        f.write(s + "\t" + "\t".join("%.4f" % (100 * sum(placed[m, s]) / len(placed[m, s])) for m in methods) + "\n")
PY
nm=$(head -1 "$T/plot.tsv" | awk -F'\t' '{ print NF - 1 }')
gnuplot <<EOF
set terminal pngcairo size 800,500 font ",11"
set output "$RESULTS/recovery.png"
set title "Units put back in place after a permutation and a relative disturbance"
set xlabel "relative disturbance σ (every weight times 1 + σ N(0,1))"
set ylabel "hidden units in place (%)"
set logscale x
set format x "%.0e"
set yrange [0:105]
set key bottom left
set datafile separator "\t"
plot for [k=2:$((nm + 1))] "$T/plot.tsv" using 1:k with linespoints lw 2 title columnheader(k)
EOF
# the findings written by hand below the marker survive a new report
marker="<!-- findings: kept when the page is made again -->"
[ -f "$RESULTS/recovery.md" ] && sed -n "/^$marker\$/,\$p" "$RESULTS/recovery.md" > "$T/findings"
{
    echo "# Recovering permuted, disturbed networks (permutative-redundancy §6.1)"
    echo
    echo "Networks: $*. Each is permuted at random and every weight multiplied"
    echo "by 1 + σ N(0,1) (\`nn-sort-canon --shuffle --noise σ\`); the canonical form"
    echo "of the copy by each key is compared with the original's, unit by unit,"
    echo "and weight matching (\`nn-sort-canon --align\`) aligns the copy to the"
    echo "original. A cell: the hidden units put back in place (mean over layers"
    echo "and networks) and Φ between the two canonical forms (or the original and"
    echo "the aligned copy; mean over networks). Raw rows: recovery-runs.tsv."
    echo
    cat "$T/table.md"
    echo
    echo "![recovery](recovery.png)"
    if [ -s "$T/findings" ]; then echo; cat "$T/findings"; fi
} > "$RESULTS/recovery.md"
cat "$RESULTS/recovery.md"

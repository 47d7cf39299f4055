#!/bin/sh
# lap.sh — the exact linear assignment (nn_lap) against scipy's
# linear_sum_assignment on the same random n x n costs (uniform on [0,1),
# n = 1024 and 4096; best of 3 runs each), and weight matching of two
# 784-2048-2048-10 networks end to end (nn-sort-canon --align, hyperfine)
# against the same algorithm in NumPy and scipy (bench/align_numpy.py,
# Git Re-Basin's procedure, the networks already in memory).  Writes
# bench/results/lap.md.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
header "Linear assignment and weight matching"

${CC:-cc} -O2 -Ilib -o "$T/lap_time" bench/lap_time.c build/obj/libnn.a \
    -lopenblas -lzstd -lxxhash -lpng -lz -lm
sv=$(/usr/bin/python3 -c 'import scipy; print(scipy.__version__)')

md "## Assignment"
md ""
md "Costs uniform on [0,1) from a seed (\`bench/lap_time.c\` draws them and" \
   "writes them for \`bench/lap_scipy.py\`: the same matrices), least total;" \
   "the best of 3 runs, the matrix in memory. scipy $sv."
md ""
md "| n | nn_lap (s) | scipy (s) | nn_lap / scipy | same total |"
md "|--:|--:|--:|--:|---|"
for n in 1024 4096; do
    say "assignment, n = $n"
    set -- $("$T/lap_time" $n 1 3 "$T/c.f64")
    ours=$1 tot=$2
    set -- $(/usr/bin/python3 bench/lap_scipy.py "$T/c.f64" $n 3)
    theirs=$1 stot=$2
    md "$(awk -v n=$n -v a="$ours" -v b="$theirs" -v x="$tot" -v y="$stot" 'BEGIN {
        same = (x - y < 1e-9 * (1 + y) && y - x < 1e-9 * (1 + y)) ? "yes" : "NO"
        printf "| %d | %.3f | %.3f | %.2f | %s (%.9g) |", n, a, b, a / b, same, x }')"
    rm -f "$T/c.f64"
done
md ""

md "## Weight matching, 784-2048-2048-10"
md ""
nn-init -s 1 -a relu 784-2048-2048-10 > "$T/a.nns"
nn-init -s 2 -a relu 784-2048-2048-10 > "$T/b.nns"
for f in a b; do
    for k in 0 1 2; do
        nn-pick w --nth $k < "$T/$f.nns" | nn-export -f npy -n w -o "$T/$f$k.npy"
    done
    /usr/bin/python3 -c "
import numpy as np, sys
np.savez(sys.argv[1], **{f'w{k}': np.load(f'{sys.argv[2]}{k}.npy') for k in range(3)})" \
        "$T/$f.npz" "$T/$f"
done
bench align "nn-sort-canon --align \$T/a.nns \$T/b.nns > /dev/null" --warmup 1 --min-runs 3
sweeps=$(nn-sort-canon -v --align "$T/a.nns" "$T/b.nns" 2>&1 >/dev/null | sed -n 's/.*: \([0-9]*\) sweeps/\1/p')
set -- $(/usr/bin/python3 bench/align_numpy.py "$T/a.npz" "$T/b.npz" 1)
md "Two networks from \`nn-init -a relu\` with seeds 1 and 2 (He-normal," \
   "f32). nn-sort-canon reads both, matches and writes the aligned network;" \
   "the NumPy version times the matching alone, the weights already in" \
   "memory (float64 products, scipy's assignment)."
md ""
md "| | seconds | sweeps |"
md "|---|--:|--:|"
md "| \`nn-sort-canon --align a.nns b.nns\` (hyperfine, end to end) | $(ms align | awk '{ printf "%.3f", $1 / 1000 }') | $sweeps |"
md "| NumPy + scipy weight matching (\`bench/align_numpy.py\`, one run) | $(printf '%.3f' "$1") | $2 |"
md ""
footer

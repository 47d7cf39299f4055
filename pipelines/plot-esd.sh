#!/bin/sh
# plot-esd.sh — the empirical spectral density of a network's layers as
# WeightWatcher draws it: a histogram of the eigenvalues of W^T W on log
# axes, the Marchenko-Pastur bulk's edges and the power-law tail from
# xmin (the line of slope -alpha through the tail), with nn-spectrum's
# metrics in the title; and the same for the layer's entries shuffled.
# One PNG per layer.
#
#   plot-esd.sh [OPTION]... NET
#
#   -o, --output=PREFIX  write PREFIX-layerL.png (default: NET without .nns)
#   -l, --layer=L        only layer L (from 1)
#   -s, --seed=N         the shuffle's seed (default 1)
#   -h, --help           show this help
#
# Needs nn-spectrum and nn-export on PATH, gnuplot and python3 (NumPy,
# for the histogram's log-spaced bins).
# Example: pipelines/plot-esd.sh -o esd net.nns && ls esd-layer*.png
set -eu

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
prefix= layer= seed=1
while [ $# -gt 0 ]; do
    case $1 in
    -o) prefix=$2; shift 2 ;;
    --output=*) prefix=${1#*=}; shift ;;
    -l) layer=$2; shift 2 ;;
    --layer=*) layer=${1#*=}; shift ;;
    -s) seed=$2; shift 2 ;;
    --seed=*) seed=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "plot-esd.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] || { echo "plot-esd.sh: one NET expected" >&2; exit 2; }
net=$1
[ -n "$prefix" ] || prefix=${net%.nns}
command -v gnuplot >/dev/null || { echo "plot-esd.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/plot-esd.XXXXXX")
trap 'rm -rf "$T"' EXIT

nn-spectrum --esd --shuffled -s "$seed" "$net" > "$T/s.nns"
/usr/bin/python3 - "$T" "$prefix" "${layer:-0}" "$(dirname "$0")/../examples" <<'PY'
import sys, os, subprocess
sys.path.insert(0, sys.argv[4])
import numpy as np
from nns_read import read
T, prefix, only = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs = list(read(open(f"{T}/s.nns", "rb")))
tab = [(a, at) for n, a, at in recs if n == "weights"][0]
cols = tab[1]["columns"].split(",")
esds = {int(at["layer"]): a for n, a, at in recs if n == "esd"}
for row in tab[0]:
    m = dict(zip(cols, row))
    L = int(m["layer"])
    if only and L != only:
        continue
    ev = esds[L][esds[L] > 1e-12]
    if len(ev) < 2:
        continue
    bins = np.logspace(np.log10(ev.min()), np.log10(ev.max()), 40)
    h, e = np.histogram(ev, bins=bins, density=True)
    c = np.sqrt(e[1:] * e[:-1])
    with open(f"{T}/h{L}.tsv", "w") as f:
        for x, y in zip(c, h):
            if y > 0:
                f.write(f"{x:.10g}\t{y:.10g}\n")
    # the tail's line: density alpha-1/xmin (x/xmin)^-alpha scaled to the
    # tail's share of the eigenvalues
    a, xmin = m["alpha"], m["xmin"]
    share = np.mean(ev >= xmin) if np.isfinite(xmin) else 0
    title = (f"layer {L} ({int(m['rows'])}x{int(m['cols'])}): alpha {a:.2f}, "
             f"D {m['D']:.3f}, stable rank {m['stable_rank']:.1f}, "
             f"spikes {int(m['num_spikes'])}; shuffled alpha {m['rand_alpha']:.2f}")
    gp = f"""set terminal pngcairo size 900,600 enhanced font 'DejaVu Sans,10'
set output '{prefix}-layer{L}.png'
set logscale xy
set xlabel 'eigenvalue {{/Symbol l}} of W^T W'
set ylabel 'density'
set title "{title}"
set key top right
set arrow from {m['lambda_plus']},graph 0 to {m['lambda_plus']},graph 1 nohead dt 2 lc rgb 'gray40'
set arrow from {xmin},graph 0 to {xmin},graph 1 nohead dt 3 lc rgb 'red'
f(x) = x >= {xmin} ? {share} * ({a} - 1) / {xmin} * (x / {xmin})**(-{a}) : 1/0
plot '{T}/h{L}.tsv' using 1:2 with boxes fs solid 0.4 lc rgb 'steelblue' title 'ESD', \\
     f(x) with lines lw 2 lc rgb 'red' title sprintf('power law, alpha %.2f from xmin', {a}), \\
     NaN with lines dt 2 lc rgb 'gray40' title 'Marchenko-Pastur bulk edge {{/Symbol l}}_+'
"""
    open(f"{T}/p{L}.gp", "w").write(gp)
    subprocess.run(["gnuplot", f"{T}/p{L}.gp"], check=True)
    print(f"{prefix}-layer{L}.png")
PY

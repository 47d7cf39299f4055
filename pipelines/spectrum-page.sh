#!/bin/sh
# spectrum-page.sh — the plots (gnuplot, PNG) of spectrum.sh's TSVs in
# pipelines/results/ (spectrum-li8a*.png, -li7b.png, -alpha.png,
# -srank.png) and the tables of pipelines/results/spectrum-results.md, whose prose
# comes from pipelines/results/spectrum-notes.md (hand-written beside the
# numbers).  Run from the top of the repository; needs gnuplot.
#   TOOLS_COMMIT: the commit the tools were built at (default: the last
#   commit that changed tools/, lib/ or the Makefile).
set -eu
R=pipelines/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
TOOLS_COMMIT=${TOOLS_COMMIT:-$(git log -1 --format=%h -- tools lib Makefile)}
export TOOLS_COMMIT
/usr/bin/python3 - "$R" "$tmp" <<'EOF'
import sys, os, subprocess, datetime, numpy as np
r, tmp = sys.argv[1:]

def tsv(name):
    p = f"{r}/{name}"
    if not os.path.exists(p):
        return None
    with open(p) as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    return head, rows

def gp(name, script):
    with open(f"{tmp}/{name}.gp", "w") as f:
        f.write(f"set terminal pngcairo size 1000,700 enhanced font 'DejaVu Sans,10'\n"
                f"set output '{r}/{name}.png'\nset key outside right\nset grid\n" + script)
    subprocess.run(["gnuplot", f"{tmp}/{name}.gp"], check=True)

def table(head, rows, cols):
    ix = [head.index(c) for c in cols]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        out.append("| " + " | ".join(row[i] for i in ix) + " |")
    return "\n".join(out)

md = []
# --- Li Fig. 8a -------------------------------------------------------------
t = tsv("spectrum-li8a.tsv")
if t:
    head, rows = t
    eps = [int(float(x[0])) for x in rows]
    pick = [e for e in eps if e in (0, 2, 6, 12, 18, 24)] or eps
    dfile = f"{r}/spectrum-li8a-density.tsv"
    # blocks of the density file in the order of eps
    plots = ", ".join(f"'{dfile}' index {eps.index(e)} using 2:($3>1e-12?$3:1/0) with lines lw 2 title 'epoch {e}'"
                      for e in pick)
    gp("spectrum-li8a-density", f"""set title "Hessian density (SLQ) over training\\n784-128x5-1 ReLU MLP, hinge loss, binary MNIST (0-4 vs 5-9), 2048 fixed rows"
set xlabel "eigenvalue {{/Symbol l}}"
set ylabel "density {{/Symbol r}}({{/Symbol l}}) (log)"
set logscale y
set yrange [1e-4:*]
plot {plots}
""")
    quad = [e for e in (0, 4, 12, eps[-1]) if e in eps]
    panels = ""
    for e in quad:
        i = eps.index(e)
        panels += f"""set title "epoch {e}"
plot '{dfile}' index {i} using ($2>0?$2:1/0):($3>1e-12?$3:1/0) with lines lw 2 title '{{/Symbol r}}({{/Symbol l}}), {{/Symbol l}} > 0', \\
     '{dfile}' index {i} using ($2<0?-$2:1/0):($3>1e-12?$3:1/0) with lines lw 2 dt 2 title '{{/Symbol r}}(-{{/Symbol l}}), {{/Symbol l}} > 0'
"""
    gp("spectrum-li8a-loglog", f"""set multiplot layout 2,2 title "Li's axes: the two halves of the Hessian density on log-log axes (784-128x5-1, hinge)"
set xlabel "|{{/Symbol l}}| (log)"
set ylabel "density (log)"
set logscale xy
set yrange [1e-4:1e3]
set xrange [1e-4:5]
set key inside top right
{panels}unset multiplot
""")
    f = f"{r}/spectrum-li8a.tsv"
    gp("spectrum-li8a-curves", f"""set multiplot layout 2,2 title "784-128x5-1 ReLU MLP, hinge loss: risk and the Hessian's spectrum over training"
set xlabel "epoch"
set key inside top right
set title "risk and accuracy"
set ylabel "loss (log)"
set logscale y
set y2label "accuracy"
set y2tics
set ytics nomirror
plot '{f}' using 1:13 skip 1 with linespoints title 'train loss (8192 rows)', \\
     '{f}' using 1:2 skip 1 with linespoints title 'loss on the 2048 Hessian rows', \\
     '{f}' using 1:14 skip 1 axes x1y2 with linespoints title 'train accuracy', \\
     '{f}' using 1:15 skip 1 axes x1y2 with linespoints title 'test accuracy'
unset y2tics
unset y2label
set ytics mirror
set title "extreme eigenvalues"
set ylabel "eigenvalue (log)"
plot '{f}' using 1:4 skip 1 with linespoints title 'top 1 (Lanczos)', \\
     '{f}' using 1:9 skip 1 with linespoints title 'largest SLQ node', \\
     '{f}' using 1:(-$8) skip 1 with linespoints title '-(smallest SLQ node)'
unset logscale y
set title "symmetry"
set ylabel "share"
set yrange [0:1.05]
plot '{f}' using 1:17 skip 1 with linespoints title 'mass within 1% of max|{{/Symbol l}}| of 0', \\
     '{f}' using 1:18 skip 1 with linespoints title 'negative share of the rest', \\
     '{f}' using 1:11 skip 1 with linespoints title 'asymmetry (half L1 of {{/Symbol r}}(x)-{{/Symbol r}}(-x))', \\
     '{f}' using 1:(abs($20)) skip 1 with linespoints title '|mean|/RMS of the measure'
set autoscale y
set title "spread of the spectrum and Li's order parameter"
set ylabel "(log)"
set logscale y
plot '{f}' using 1:16 skip 1 with linespoints title 'RMS eigenvalue sqrt(tr H^2/P) (SLQ)', \\
     '{f}' using 1:3 skip 1 with linespoints title '|grad R|^2'
unset multiplot
""")
    md.append(("li8a", table(head, rows, ["epoch", "train_loss", "train_acc", "test_acc", "hess_loss",
                                        "grad_norm2", "top_1", "slq_min", "slq_max", "rms", "trace",
                                        "trace_sem", "negative_mass", "mass_near0", "neg_share_outside",
                                        "asymmetry", "skewness"])))
# --- Li Fig. 8a over seeds: one row per seed, and the curves of every seed --
t = tsv("spectrum-li8a-seeds.tsv")
if t:
    head, rows = t
    col = {c: i for i, c in enumerate(head)}
    seeds = sorted({int(x[0]) for x in rows})
    out = []
    def rank(v):
        return np.argsort(np.argsort(v)).astype(float)
    for sd in seeds:
        s_ = sorted((x for x in rows if int(x[0]) == sd), key=lambda x: int(x[1]))
        g = lambda c: np.array([float(x[col[c]]) for x in s_])
        ep, loss, top, rms, asym = g("epoch"), g("hess_loss"), g("top_1"), g("rms"), g("asymmetry")
        # Spearman's rank correlation of the risk and the RMS eigenvalue
        # over the checkpoints (1: the spread falls whenever the risk does)
        rho = np.corrcoef(rank(loss), rank(rms))[0, 1]
        out.append([str(sd), f"{int(ep[-1])}", f"{loss[0]:.3g} → {loss[-1]:.2g}",
                    f"{g('train_acc')[-1]:.4g}", f"{g('test_acc')[-1]:.4g}",
                    f"{top[0]:.3g} → {top[-1]:.3g} ({top[0] / top[-1]:.0f}x)",
                    f"{rms[0]:.3g} → {rms[-1]:.3g} ({rms[0] / rms[-1]:.0f}x)",
                    f"{g('slq_min')[-1]:.3g} / {g('slq_max')[-1]:.3g}",
                    f"{asym.max():.3g} (epoch {int(ep[asym.argmax()])})", f"{asym[-1]:.2g}",
                    f"{g('mass_near0')[-1]:.3f}",
                    f"{np.nanmin(np.abs(g('mean_over_rms'))):.2g}-{np.nanmax(np.abs(g('mean_over_rms'))):.2g}",
                    f"{rho:.2f}"])
        with open(f"{tmp}/li8a-seed{sd}.dat", "w") as f:
            for x in s_:
                f.write(f"{x[col['epoch']]} {x[col['top_1']]} {x[col['rms']]} {x[col['asymmetry']]} {x[col['hess_loss']]}\n")
    cols = ["seed", "epochs", "risk (Hessian rows)", "train_acc", "test_acc", "top_1",
            "RMS eigenvalue", "slq_min / slq_max (end)", "largest asymmetry", "asymmetry (end)",
            "mass within 1% of 0 (end)", "abs(mean)/RMS", "Spearman(risk, RMS)"]
    md.append(("li8a_seeds", "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)] +
                                      ["| " + " | ".join(x) + " |" for x in out])))
    pl = lambda c, what: ", ".join(f"'{tmp}/li8a-seed{sd}.dat' using 1:{c} with linespoints lc {k + 1} "
                                   f"title '{what}, seed {sd}'" for k, sd in enumerate(seeds))
    gp("spectrum-li8a-seeds", f"""set multiplot layout 2,2 title "Li Fig. 8a over seeds: 784-128x5-1 ReLU MLP, hinge loss, binary MNIST, 2048 fixed rows"
set xlabel "epoch"
set logscale y
set format y "%g"
set title "risk over the Hessian's rows (0: off the axis)"
set ylabel "hinge loss (log)"
plot {pl(5, 'risk')}
set title "largest eigenvalue (Lanczos)"
set ylabel "largest eigenvalue (log)"
plot {pl(2, 'largest')}
set title "RMS eigenvalue sqrt(tr H^2/P) (SLQ)"
set ylabel "RMS (log)"
plot {pl(3, 'RMS')}
set title "asymmetry of the density: half L1 of {{/Symbol r}}(x)-{{/Symbol r}}(-x)"
set ylabel "asymmetry (log; H = 0 off the axis)"
set yrange [1e-4:0.1]
plot {pl(4, 'asymmetry')}
unset multiplot
""")
# --- Li Fig. 7b -------------------------------------------------------------
t = tsv("spectrum-li7b.tsv")
if t:
    head, rows = t
    ms = sorted({int(x[0]) for x in rows})
    f = f"{r}/spectrum-li7b.tsv"
    lines = []
    for mi, m in enumerate(ms):
        sel = [x for x in rows if int(x[0]) == m]
        with open(f"{tmp}/m{m}.dat", "w") as o:
            for x in sel:
                o.write(f"{x[2]} {x[8]} {x[9]} {x[10]}\n")
        lines.append(f"'{tmp}/m{m}.dat' using 1:2:3 with yerrorlines lw 2 lc {mi+1} title 'mean/std over draws of m = {m} rows'")
        lines.append(f"'{tmp}/m{m}.dat' using 1:4 with linespoints dt 2 lc {mi+1} title 'mean/std(all means), m = {m}'")
        # if every entry's mean were 0: mean/std = T/sqrt(B), T Student's with B-1 df
        from scipy.stats import t as student
        B = int(sel[0][1]); null = 2 * student.cdf(0.15 * np.sqrt(B), B - 1) - 1
        lines.append(f"{null:.4f} with lines dt 3 lw 2 lc {mi+1} title 'zero means, {B} draws: {null:.3f}'")
    gp("spectrum-li7b", f"""set title "Fraction of std-normalised means of Hessian entries below 0.15\\n49-16-16-16-1 ReLU MLP, hinge, 7x7-pooled binary MNIST, exact Hessians of bootstrap draws"
set xlabel "epoch"
set ylabel "fraction with |statistic| < 0.15"
set yrange [0:1.05]
set arrow from graph 0, first 0.95 to graph 1, first 0.95 nohead dt 3
set label "Li: >= 0.95" at graph 0.02, first 0.97
plot {", ".join(lines)}
""")
    hf = f"{r}/spectrum-li7b-hist.tsv"
    if os.path.exists(hf):
        # blocks in file order: (m, epoch) pairs
        blocks, cur = [], None
        for l in open(hf).read().split("\n")[1:]:
            p = l.split("\t")
            if len(p) == 4 and (p[0], p[1]) != cur:
                cur = (p[0], p[1]); blocks.append(cur)
            elif not l.strip():
                cur = None
        h = []
        for i, (m, e) in enumerate(blocks):
            if int(m) == ms[-1] and (e == blocks[0][1] or e == [b for b in blocks if b[0] == m][-1][1]):
                h.append(f"'{hf}' index {i} using 3:4 with steps lw 2 title 'm = {m}, epoch {e}'")
        gp("spectrum-li7b-hist", f"""set title "Density of the per-entry statistic mean/std over bootstrap draws (Fig. 7a's picture)"
set xlabel "mean over draws / std over draws, per Hessian entry"
set ylabel "density"
plot {", ".join(h)}
""")
    md.append(("li7b", table(head, rows, ["m", "draws", "epoch", "train_loss", "train_acc", "draw_loss",
                                        "entries", "zero", "frac_t015", "frac_t015_sd", "frac_g015",
                                        "median_abs_t", "exact_min", "exact_max", "exact_trace",
                                        "exact_negative"])))
# --- alpha ------------------------------------------------------------------
t = tsv("spectrum-alpha.tsv")
if t:
    head, rows = t
    f = f"{r}/spectrum-alpha.tsv"
    ps = []
    for net, lay in (("bp", (1, 2, 3, 4)), ("li8a", (1, 2, 3, 4, 5))):
        for L in lay:
            sel = sorted([x for x in rows if x[0] == net and int(x[2]) == L], key=lambda x: int(x[1]))
            if not sel:
                continue
            with open(f"{tmp}/a-{net}-{L}.dat", "w") as o:
                for x in sel:
                    o.write(f"{x[1]} {x[5]} {x[6]}\n")
    for name, net, lay, title in (("spectrum-alpha", "bp", (1, 2, 3, 4), "784-200-200-200-10 softmax, backprop (Adam), 10000 MNIST rows"),
                                  ("spectrum-alpha-li8a", "li8a", (1, 2, 3, 4, 5), "784-128x5-1 ReLU, hinge (Li 8a's network)")):
        ls = []
        for k, L in enumerate(lay):
            if not os.path.exists(f"{tmp}/a-{net}-{L}.dat"):
                continue
            dims = [x for x in rows if x[0] == net and int(x[2]) == L][0]
            ls.append(f"'{tmp}/a-{net}-{L}.dat' using 1:2 with linespoints lw 2 lc {k+1} title 'layer {L} ({dims[3]}x{dims[4]})'")
            ls.append(f"'{tmp}/a-{net}-{L}.dat' using 1:3 with lines dt 2 lc {k+1} title 'layer {L} shuffled'")
        if net == "bp":
            cf = [x for x in rows if x[0] == "cf"]
            with open(f"{tmp}/cf.dat", "w") as o:
                last = max(int(x[1]) for x in rows if x[0] == "bp")
                for x in cf:
                    o.write(f"{last + 1} {x[5]} {x[6]} {x[2]}\n")
            ls.append(f"'{tmp}/cf.dat' using 1:2:4 with points pt 7 ps 1.5 lc variable title 'closed form (fit-net.sh), layers 1-4'")
            ls.append(f"'{tmp}/cf.dat' using 1:3:4 with points pt 6 ps 1.5 lc variable title 'closed form, shuffled'")
        gp(name, f"""set title "Power-law exponent alpha of each layer's ESD over training\\n{title}"
set xlabel "epoch (0: initialisation)"
set ylabel "alpha (WeightWatcher, MLE with KS x_min)"
set arrow from graph 0, first 2 to graph 1, first 2 nohead dt 3
set arrow from graph 0, first 6 to graph 1, first 6 nohead dt 3
set label "2" at graph 1.01, first 2
set label "6" at graph 1.01, first 6
plot {", ".join(ls)}
""")
    sel = [x for x in rows if x[1] in ("0",) or x[0] == "cf" or
           (x[0] in ("bp", "li8a") and int(x[1]) == max(int(y[1]) for y in rows if y[0] == x[0]))]
    md.append(("alpha", table(head, sel, head)))
# --- stable rank ---------------------------------------------------------------
t = tsv("spectrum-srank.tsv")
if t:
    head, rows = t
    ls = []
    names = {"bp": "backprop", "dll": "DLL bottom-up", "rr": "DLL random robin", "cf": "closed form"}
    seeds = sorted({x[0] for x in rows}, key=int)
    for k, net in enumerate(("bp", "dll", "rr", "cf")):
        for j, sd in enumerate(seeds):
            sel = [x for x in rows if x[1] == net and x[0] == sd]
            if not sel or (net == "cf" and j > 0):
                continue
            with open(f"{tmp}/s-{net}-{sd}.dat", "w") as o:
                for x in sel:
                    o.write(f"{x[2]} {x[5]}\n")
            ls.append(f"'{tmp}/s-{net}-{sd}.dat' using 1:2 with linespoints lw 2 lc {k+1} pt {k+5} dt {j+1} "
                      f"title '{names[net]}" + ("" if net == "cf" else f", seed {sd}") + f" (test {sel[0][8]}%)'")
    gp("spectrum-srank", f"""set title "Stable rank ||W||_F^2/||W||_2^2 by layer (thesis Fig. 6.3's comparison)\\n784-200-200-200-10 ReLU MLPs, 10000 MNIST rows"
set xlabel "layer"
set ylabel "stable rank (log)"
set logscale y
set xtics 1
plot {", ".join(ls)}
""")
    md.append(("srank", table(head, rows, head)))

notes = open(f"{r}/spectrum-notes.md").read() if os.path.exists(f"{r}/spectrum-notes.md") else "{tables}"
env = {k: v for k, v in md}
for k in ("li8a_seeds", "li8a", "li7b", "alpha", "srank"):
    notes = notes.replace("{" + k + "}", env.get(k, "(not run)"))
settings = (f"Machine: 2 CPUs (shared), OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE="
            f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, OPENBLAS_L2_SIZE="
            f"{os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}; tools at commit "
            f"{os.environ['TOOLS_COMMIT']}; page made {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC.")
notes = notes.replace("{settings}", settings)
open(f"{r}/spectrum-results.md", "w").write(notes)
EOF

#!/usr/bin/python3
"""dp-tables.py RUNS.tsv [PNG] — the tables of a dp-experiment.sh run
(pipelines/results/slurm-dp-runs.tsv) in Markdown on stdout: the test
accuracy per round of every scheme, the bits per parameter of an upload
per round (Huffman-coded and before coding), and a summary: the last
and best round's accuracy, the first round within 0.1 point of the
run's best and the round of the best (pipelines/quant-ch3.sh's measures
of convergence), the mean bits per parameter over the rounds and the
bits uploaded until the first round within 0.1 of the best.  With PNG,
also a plot of accuracy and bits per round (gnuplot).

dp-tables.py RUNS.tsv [PNG] --seeds RUNS2.tsv...: also a table across the
seeds (RUNS.tsv and every file after --seeds, one seed each): per scheme
the mean and standard deviation of those measures, over the rounds all
the files have."""
import os, statistics, subprocess, sys, tempfile

args = sys.argv[1:]
more = []
if "--seeds" in args:
    more = args[args.index("--seeds") + 1:]
    args = args[:args.index("--seeds")]
if not args or args[0] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if args else 2)
ALL = ["single", "none", "bits:8", "dynamic:5", "dynamic:6"]


def load(path):
    rows = [l.rstrip("\n").split("\t") for l in open(path)]
    col = {n: i for i, n in enumerate(rows[0])}
    runs = {}
    for r in rows[1:]:
        runs.setdefault(r[0], []).append(r)
    return col, runs


def measures(col, runs, s, R):
    """last, best, round within 0.1 of best, round of best, mean coded
    bits, mean raw bits of scheme s over its first R rounds"""
    a = [float(r[col["test_acc"]]) for r in runs[s][:R]]
    best = max(a)
    near = next(i for i, v in enumerate(a) if v >= best - 0.1) + 1
    m = {"last": a[-1], "best": best, "near": near, "top": a.index(best) + 1}
    if s != "single":
        b = [float(r[col["bits_per_param"]]) for r in runs[s][:R]]
        raw = [float(r[col["bits_raw"]]) for r in runs[s][:R]]
        m["bits"], m["raw"] = sum(b) / len(b), sum(raw) / len(raw)
    return m


col, runs = load(args[0])
rows = [r for s in runs for r in runs[s]]
order = [s for s in ALL if s in runs]
name = {"single": "one process, all rows", "none": "none (f32)", "bits:8": "fixed 8 bits",
        "dynamic:5": "dynamic C=5", "dynamic:6": "dynamic C=6"}
R = max(int(r[1]) for r in rows)
acc = {s: [float(r[col["test_acc"]]) for r in runs[s]] for s in order}

# the rounds shown in the per-round tables: all of them up to 40, else
# 1 to 10 and every fifth (the TSV has every round)
shown = [i for i in range(R) if R <= 40 or i < 10 or (i + 1) % 5 == 0]
part = "" if R <= 40 else " (rounds 1–10 and every fifth; every round in the TSV)"
print("## Test accuracy (%%) per round%s\n" % part)
print("| round | " + " | ".join(name[s] for s in order) + " |")
print("|---" * (len(order) + 1) + "|")
for i in shown:
    print("| %d | " % (i + 1) + " | ".join("%.2f" % acc[s][i] if i < len(acc[s]) else "" for s in order) + " |")

q = [s for s in order if s.startswith(("bits", "dynamic"))]
if q:
    print("\n## Bits per parameter of a worker's upload, per round%s\n" % part)
    print("Coded: nn-quantize's bytes (codes, Huffman tables, ranges) times 8 over the")
    print("parameters, the mean of the four workers; raw: the codes' N before coding.\n")
    print("| round | " + " | ".join("%s coded | %s raw" % (name[s], name[s]) for s in q) + " |")
    print("|---" * (2 * len(q) + 1) + "|")
    for i in shown:
        print("| %d | " % (i + 1) + " | ".join(
            "%s | %s" % (runs[s][i][col["bits_per_param"]], runs[s][i][col["bits_raw"]] if "bits_raw" in col else "-")
            if i < len(runs[s]) else " | " for s in q) + " |")

print("\n## Summary%s\n" % (" (%s)" % os.path.basename(args[0]) if more else ""))
print("| scheme | rounds | last % | best % | round within 0.1 of best | round of best |"
      " bits/param coded (mean) | raw (mean) | ratio to f32 | Mbit uploaded until within 0.1 |")
print("|---" * 10 + "|")
for s in order:
    a = acc[s]
    best = max(a)
    near = next(i for i, v in enumerate(a) if v >= best - 0.1) + 1
    top = a.index(best) + 1
    if s == "single":
        print("| %s | %d | %.2f | %.2f | %d | %d | - | - | - | - |" % (name[s], len(a), a[-1], best, near, top))
        continue
    b = [float(r[col["bits_per_param"]]) for r in runs[s]]
    raw = [float(r[col["bits_raw"]]) for r in runs[s]] if "bits_raw" in col else [float("nan")]
    up = sum(float(r[col["bits_uploaded"]]) for r in runs[s][:near]) / 1e6
    m = sum(b) / len(b)
    print("| %s | %d | %.2f | %.2f | %d | %d | %.3f | %.3f | %.2fx | %.1f |" % (
        name[s], len(a), a[-1], best, near, top, m, sum(raw) / len(raw), 32 / m, up))

if more:
    seeds = [(col, runs)] + [load(f) for f in more]
    both = [s for s in order if all(s in r for _, r in seeds)]
    R = min(len(r[s]) for _, r in seeds for s in both)
    print("\n## Across %d seeds (rounds 1 to %d)\n" % (len(seeds), R))
    print("Mean ± standard deviation over the seeds (the initial network's and the shuffles').\n")
    print("| scheme | last % | best % | round within 0.1 of best | round of best | bits/param coded (mean) | raw (mean) |")
    print("|---" * 7 + "|")

    def ms(v, f):
        return (f + " ± " + f) % (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0)
    for s in both:
        m = [measures(c, r, s, R) for c, r in seeds]
        cell = [ms([x[k] for x in m], "%.2f") for k in ("last", "best")]
        cell += ["%s (%s)" % (ms([x[k] for x in m], "%.1f"), ", ".join(str(x[k]) for x in m)) for k in ("near", "top")]
        cell += [ms([x[k] for x in m], "%.3f") if s != "single" else "-" for k in ("bits", "raw")]
        print("| %s | %s |" % (name[s], " | ".join(cell)))

if len(args) > 1:
    with tempfile.TemporaryDirectory() as t:
        for s in order:
            with open(os.path.join(t, s.replace(":", "_")), "w") as f:
                for i, r in enumerate(runs[s]):
                    f.write("%d %s %s\n" % (i + 1, r[col["test_acc"]],
                            r[col["bits_per_param"]] if r[col["bits_per_param"]] != "-" else "NaN"))
        lt = {s: i + 1 for i, s in enumerate(["single", "none", "bits:8", "dynamic:5", "dynamic:6"])}
        p1 = ", ".join("'%s' u 1:2 w lp lt %d t '%s'" % (os.path.join(t, s.replace(":", "_")), lt[s], name[s]) for s in order)
        p2 = ", ".join("'%s' u 1:3 w lp lt %d t '%s'" % (os.path.join(t, s.replace(":", "_")), lt[s], name[s]) for s in q)
        g = f"""set terminal pngcairo size 1000,420
set output '{args[1]}'
set multiplot layout 1,2 title 'Data-parallel training, 4 workers (thesis ch. 3, 784-392-50-10 tanh, MSE)'
set xlabel 'round (epoch of the data)'
set ylabel 'test accuracy (%)'
set key bottom right
set yrange [*:*]
plot {p1}
set ylabel 'bits/param of an upload (coded)'
set key bottom left
set yrange [0:10]
plot {p2}, 3.55 w l dt 2 t 'thesis C=5 (3.55)', 3.78 w l dt 2 t 'thesis C=6 (3.78)'
unset multiplot
"""
        subprocess.run(["gnuplot"], input=g.encode(), check=True)

#!/usr/bin/python3
"""scale-tables.py RUNS.tsv [PNG] — the table of scale-experiment.sh's runs
(pipelines/results/slurm-scale-runs.tsv) in Markdown on stdout: per run
the rows, shards, CPU seconds (all processes; the generator's; the
tools'), CPU microseconds per row, the peak resident memory of a task's
processes in MB, and the network against the single pass.  With PNG,
a plot (gnuplot) of the tools' CPU seconds and the largest peak memory
of an nn tool against the rows, a line per K."""
import os, subprocess, sys, tempfile

if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if len(sys.argv) > 1 else 2)
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
head, rows = rows[0], rows[1:]
c = {n: i for i, n in enumerate(head)}
rows.sort(key=lambda r: (int(r[c["rows"]]), int(r[c["shards"]])))
mb = lambda v: "-" if v == "-" else "%.0f" % (int(v) / 1024)
print("| rows | K | CPU s, all | generator | tools | tools µs/row | peak MB: nn-fit-layer on rows | nn-forward | fit from -G | generator | layer 1 vs single pass | layer 2 | test % |")
print("|---" * 13 + "|")
for r in rows:
    n = int(r[c["rows"]])
    print("| %d | %s | %s | %s | %s | %.1f | %s | %s | %s | %s | %s | %s | %s |" % (
        n, "1 (single pass)" if r[c["shards"]] == "0" else r[c["shards"]], r[c["cpu_s"]], r[c["cpu_gen_s"]],
        r[c["cpu_tools_s"]], 1e6 * float(r[c["cpu_tools_s"]]) / n, mb(r[c["peak_gram_kB"]]), mb(r[c["peak_fwd_kB"]]),
        mb(r[c["peak_fit_G_kB"]]), mb(r[c["peak_gen_kB"]]), r[c["rel_diff_l1"]], r[c["rel_diff_l2"]], r[c["test_acc"]]))
if len(sys.argv) > 2:
    with tempfile.TemporaryDirectory() as t:
        ks = sorted({int(r[c["shards"]]) for r in rows})
        for k in ks:
            with open(os.path.join(t, "k%d" % k), "w") as f:
                for r in rows:
                    if int(r[c["shards"]]) == k:
                        peak = max(int(r[c[x]]) for x in ("peak_gram_kB", "peak_fwd_kB", "peak_fit_G_kB") if r[c[x]] != "-")
                        f.write("%s %s %s %.1f\n" % (r[c["rows"]], r[c["cpu_tools_s"]], r[c["cpu_gen_s"]], peak / 1024))
        lab = lambda k: "single pass" if k == 0 else "K = %d" % k
        p1 = ", ".join("'%s/k%d' u 1:2 w lp t '%s'" % (t, k, lab(k)) for k in ks)
        p2 = ", ".join("'%s/k%d' u 1:4 w lp t '%s'" % (t, k, lab(k)) for k in ks)
        g = f"""set terminal pngcairo size 1000,420
set output '{sys.argv[2]}'
set multiplot layout 1,2 title 'Sharded closed-form fit over MNIST repeated and shifted (784-392-10)'
set xlabel 'rows'
set logscale x
set xrange [30000:4e6]
set key top left
set ylabel 'CPU seconds of the nn tools, all tasks'
plot {p1}
set ylabel 'largest peak RSS of an nn tool process (MB)'
set yrange [0:100]
set key bottom right
plot {p2}
unset multiplot
"""
        subprocess.run(["gnuplot"], input=g.encode(), check=True)

#!/usr/bin/python3
"""weight-spread.py LABEL=NET... — why Algorithm 1's Huffman-coded upload
costs what it costs: for each network, per layer (bias row included, as
nn-quantize codes it) the weights' spread, the range over the standard
deviation, the excess kurtosis, and nn-quantize --dynamic --floor C's N,
entropy of the codes and coded bits per parameter (C from $FLOOR, default
5).  A code of N bits over the range has cells of range / 2^N; for
weights of standard deviation s the codes' entropy is about
N - log2(range / s) + h, h the entropy of the standardized shape (2.05
bits for a normal law, 1.79 for a uniform one): the wider the range is
against the bulk, the fewer bits the codes take.  TSV on stdout; the
tools from PATH."""
import os, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
import numpy as np
from nns_read import read

if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if len(sys.argv) >= 2 else 2)
floor = os.environ.get("FLOOR", "5")
print("net\tlayer\tparams\tstd\trange_over_std\texcess_kurtosis\tN\tentropy\tbits_per_param")
with tempfile.TemporaryDirectory() as tmp:
    for arg in sys.argv[1:]:
        label, path = arg.split("=", 1)
        ws = [np.asarray(a, dtype=np.float64).ravel() for n, a, at in read(open(path, "rb")) if n == "w"]
        rep = os.path.join(tmp, "rep")
        subprocess.run(["nn-quantize", "--dynamic", "--floor", floor, "--report", rep,
                        "-o", os.devnull, path], check=True)
        rows = {}
        for line in open(rep):
            f = line.split()
            if f and (f[0].isdigit() or f[0] == "all"):
                rows[f[0]] = f
        allw = np.concatenate(ws)
        for name, w in [(str(i + 1), w) for i, w in enumerate(ws)] + [("all", allw)]:
            r = rows[name]
            if name == "all":       # the layers are coded apart: no spread
                print("%s\tall\t%d\t-\t-\t-\t-\t%s\t%s" % (label, w.size, r[6], r[3]))
                continue
            s = w.std()
            k = ((w - w.mean()) ** 4).mean() / s ** 4 - 3
            print("%s\t%s\t%d\t%.4g\t%.1f\t%.2f\t%s\t%s\t%s" % (label, name, w.size, s,
                  (w.max() - w.min()) / s, k, r[5], r[6], r[3]))

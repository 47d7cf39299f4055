#!/usr/bin/python3
"""kfilter_sklearn.py STREAM K — the neighbour search of nn-kfilter done by
scikit-learn's brute-force NearestNeighbors (K+1 neighbours of every row, the
row itself among them), on x of STREAM read into memory first.  Prints the
seconds of fit + kneighbors (best of one run: it is slow) and the number of
rows whose K nearest other rows all carry their label (y)."""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import numpy as np
from nns_read import read
from sklearn.neighbors import NearestNeighbors

t = {n: a for n, a, _ in read(open(sys.argv[1], "rb"))}
k = int(sys.argv[2])
x, y = np.ascontiguousarray(t["x"]), t["y"].astype(np.int64)
t0 = time.perf_counter()
nn = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(x)
_, idx = nn.kneighbors(x)
secs = time.perf_counter() - t0
dropped = 0
for i, row in enumerate(idx):
    others = [j for j in row if j != i][:k]   # the row itself, when listed
    dropped += bool((y[others] == y[i]).all())
print(f"{secs:.3f} {dropped}")

#!/usr/bin/python3
"""lap_scipy.py FILE N RUNS — scipy.optimize.linear_sum_assignment on the
n x n costs lap_time wrote (raw f64), the best of RUNS; prints "seconds
total"."""
import sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment

n, runs = int(sys.argv[2]), int(sys.argv[3])
c = np.fromfile(sys.argv[1], dtype="<f8").reshape(n, n)
best = 1e30
for _ in range(runs):
    t0 = time.perf_counter()
    r, k = linear_sum_assignment(c)
    best = min(best, time.perf_counter() - t0)
print(f"{best:.6f} {c[r, k].sum():.12f}")

#!/usr/bin/python3
"""align_numpy.py A.npz B.npz SEED — weight matching as Git Re-Basin's
reference code does it (NumPy products, scipy's linear_sum_assignment per
layer, layers in a random order, until no permutation changes), on the
weights of two MLPs saved by bench/lap.sh (w0, w1, ... each (1+n_in,
n_out), row 0 the bias).  Prints "seconds sweeps" (the matching alone,
the networks already in memory)."""
import sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment

a = [np.load(sys.argv[1])[f"w{i}"].astype(np.float64) for i in range(3)]
b = [np.load(sys.argv[2])[f"w{i}"].astype(np.float64) for i in range(3)]
rng = np.random.default_rng(int(sys.argv[3]))
t0 = time.perf_counter()
L = len(a) - 1
perm = [np.arange(a[l].shape[1]) for l in range(L)]
sweeps = 0
while True:
    sweeps += 1
    changed = False
    for l in rng.permutation(L):
        # b's units of layer l against a's: incoming weights (rows of b's
        # inputs permuted as the layer below is) and outgoing ones (the
        # next layer's columns permuted as it is)
        b_in = b[l] if l == 0 else np.vstack([b[l][:1], b[l][1:][perm[l - 1]]])
        b_out = b[l + 1][1:] if l + 1 == L else b[l + 1][1:][:, perm[l + 1]]
        c = a[l].T @ b_in + a[l + 1][1:] @ b_out.T
        _, q = linear_sum_assignment(c, maximize=True)
        changed |= not (q == perm[l]).all()
        perm[l] = q
    if not changed:
        break
print(f"{time.perf_counter() - t0:.6f} {sweeps}")

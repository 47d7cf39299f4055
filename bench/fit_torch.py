#!/usr/bin/python3
"""fit_torch.py TRAIN — the same one-hidden-layer sorted-PCA fit (width 392)
and ridge output layer (lambda 5e4) written straightforwardly in PyTorch on
the CPU, double-precision Gram matrices as nn-fit-layer uses.  Prints the
seconds of reading the stream and of the fit (best of 3)."""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import numpy as np, torch
from nns_read import read

torch.set_num_threads(os.cpu_count())
t = time.perf_counter()
d = {n: a for n, a, _ in read(open(sys.argv[1], "rb"))}
X = torch.from_numpy(np.ascontiguousarray(d["x"], np.float32))
y = torch.from_numpy(d["y"].astype(np.int64))
load = time.perf_counter() - t
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    m, n = X.shape
    Xd = X.double()
    mu = Xd.mean(0)
    C = Xd.T @ Xd / m - torch.outer(mu, mu)
    c = torch.linalg.eigh(C).eigenvectors[:, -1]
    order = torch.argsort(Xd @ c, stable=True)
    pick = order[torch.round(torch.arange(392, dtype=torch.float64) * m / 392).long()]
    W = X[pick].T                                    # (784, 392), biases 0
    Z = torch.relu(X @ W).double()
    Z1 = torch.cat([torch.ones(m, 1, dtype=torch.float64), Z], 1)
    Y = torch.nn.functional.one_hot(y, 10).double()
    Wo = torch.linalg.solve(Z1.T @ Z1 + 5e4 * torch.eye(393, dtype=torch.float64), Z1.T @ Y)
    best = min(best, time.perf_counter() - t)
print(f"{load:.4f} {best:.4f}")

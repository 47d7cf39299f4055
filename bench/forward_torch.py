#!/usr/bin/python3
"""forward_torch.py NET DATA — the same forward pass in PyTorch on the CPU:
x (from an NNS stream, read with examples/nns_read.py) through the layers of
an nn-init network (ReLU hidden, identity output).  Prints the seconds of
the forward pass alone (data and weights already in memory as tensors),
the best of three runs."""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import numpy as np, torch
from nns_read import read

torch.set_num_threads(os.cpu_count())
layers = [torch.from_numpy(np.ascontiguousarray(w, np.float32))
          for n, w, _ in read(open(sys.argv[1], "rb")) if n == "w"]
x = torch.from_numpy(np.ascontiguousarray(
    next(a for n, a, _ in read(open(sys.argv[2], "rb")) if n == "x"), np.float32))
best = float("inf")
with torch.no_grad():
    for _ in range(3):
        t = time.perf_counter()
        z = x
        for k, w in enumerate(layers):
            z = torch.addmm(w[0], z, w[1:])
            if k + 1 < len(layers):
                z = torch.relu(z)
        best = min(best, time.perf_counter() - t)
print(f"{best:.6f}")

#!/usr/bin/python3
"""slq_torch.py — stochastic Lanczos quadrature of a network's Hessian in
PyTorch, the same algorithm as nn-spectrum --hessian density --probes 1
(PyHessian's density(): the gradient once with create_graph, then one
Hessian-vector product per Lanczos step by autograd.grad with
retain_graph, full reorthogonalization against every earlier vector,
the tridiagonal matrix's eigen-decomposition), on data already in memory.

    slq_torch.py NET.npz X.npy Y.npy STEPS DTYPE THREADS

NET.npz holds w0, w1, ... ((1+n_in) x n_out, the bias row first; ReLU
hidden layers, softmax cross-entropy at the output).  Prints the seconds
of the computation (the loss and gradient, the STEPS products and the
eigen-decomposition), the largest Ritz value and torch's version."""
import sys, time
import numpy as np
import torch
import torch.nn.functional as F


def main():
    net, xs, ys, steps, dt, threads = sys.argv[1:7]
    steps, dtype = int(steps), {"f64": torch.float64, "f32": torch.float32}[dt]
    torch.set_num_threads(int(threads))
    z = np.load(net)
    ws = [torch.tensor(z[f"w{i}"], dtype=dtype, requires_grad=True)
          for i in range(len(z.files))]
    x = torch.tensor(np.load(xs), dtype=dtype)
    y = torch.tensor(np.load(ys).astype(np.int64))
    t0 = time.perf_counter()
    h = x
    for i, w in enumerate(ws):
        h = w[0] + h @ w[1:]
        if i + 1 < len(ws):
            h = torch.relu(h)
    loss = F.cross_entropy(h, y)
    grads = torch.autograd.grad(loss, ws, create_graph=True)
    g = torch.Generator().manual_seed(1)
    v = [torch.randint(0, 2, w.shape, generator=g).to(dtype) * 2 - 1 for w in ws]
    nv = torch.sqrt(sum((a * a).sum() for a in v))
    v = [a / nv for a in v]
    V, al, be = [v], [], []
    for k in range(steps):
        hv = torch.autograd.grad(grads, ws, grad_outputs=V[-1], retain_graph=True)
        a = sum((p * q).sum() for p, q in zip(hv, V[-1]))
        al.append(a.item())
        w = [p.detach().clone() for p in hv]
        for _ in range(2):  # full reorthogonalization, twice
            for u in V:
                c = sum((p * q).sum() for p, q in zip(w, u))
                w = [p - c * q for p, q in zip(w, u)]
        b = torch.sqrt(sum((p * p).sum() for p in w))
        be.append(b.item())
        if k + 1 < steps:
            V.append([p / b for p in w])
    T = torch.diag(torch.tensor(al, dtype=torch.float64))
    for i in range(steps - 1):
        T[i, i + 1] = T[i + 1, i] = be[i]
    ev = torch.linalg.eigvalsh(T)
    t = time.perf_counter() - t0
    print(f"{t:.4f} {ev[-1].item():.10g} {torch.__version__}")


if __name__ == "__main__":
    main()

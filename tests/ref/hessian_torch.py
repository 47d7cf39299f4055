#!/usr/bin/python3
"""hessian_torch.py — an independent reference for nn-spectrum's Hessian:
PyTorch autograd in float64 (torch.autograd.functional.hessian and hvp)
on the same network, data and loss.

    hessian_torch.py CASE...

Each CASE is a directory holding net.nns (a network stream), data.nns (x
and rows of targets y, or for hinge class labels 0/1, the targets -1/+1), h.nns (what `nn-spectrum --hessian exact,trace
--matrix --objective LOSS net.nns data.nns` wrote) and loss (the LOSS's
name).  Rebuilds the network with backprop_torch.py's layers (its own
activations and losses), takes the parameters that train (a masked
weight does not) in nn-spectrum's order (layer by layer, w row-major and
then coef), and compares: the loss and the squared gradient norm
(relative), the Hessian (normwise, max|c - torch| / max|torch|), the
product with a random vector by torch's hvp, and the exact trace.  Prints
"ok - ..." or "not ok - ..." per case; exits 1 on any failure."""
import os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))
import numpy as np
from nns_read import read
from backprop_torch import Layer, loss_of, rel
import torch

TOL = 1e-10


def load_net(path):
    layers = []
    with open(path, "rb") as f:
        for name, a, attrs in read(f):
            if name == "w":
                layers.append(Layer(np.asarray(a, np.float64), attrs))
            elif name == "mask":
                layers[-1].mask = torch.tensor(a.astype(np.float64))
            elif name == "coef":
                layers[-1].coef = torch.tensor(np.asarray(a, np.float64))
    return layers


def records(path):
    out = {}
    with open(path, "rb") as f:
        for name, a, attrs in read(f):
            out[name] = (a, attrs)
    return out


def check(case):
    layers = load_net(os.path.join(case, "net.nns"))
    data = records(os.path.join(case, "data.nns"))
    got = records(os.path.join(case, "h.nns"))
    name = open(os.path.join(case, "loss")).read().strip()
    x = torch.tensor(np.asarray(data["x"][0], np.float64))
    y = np.asarray(data["y"][0])
    if y.ndim == 1:  # hinge: class labels 0/1 to one output of -1/+1
        y = np.where(y == 1, 1.0, -1.0)[:, None]
    t = torch.tensor(np.asarray(y, np.float64))
    # the parameter vector, and which entries train
    parts, free = [], []
    for L in layers:
        w = L.w.detach().numpy()
        parts.append(w.ravel())
        m = L.mask.numpy().ravel() if L.mask is not None else np.ones(w.size)
        free.append(m != 0)
        if L.coef is not None:
            parts.append(L.coef.numpy().ravel())
            free.append(np.ones(L.coef.numel(), bool))
    theta = np.concatenate(parts)
    on = np.concatenate(free)
    base = torch.tensor(theta)
    idx = torch.tensor(np.nonzero(on)[0])

    def f(p):
        full = base.clone()
        full[idx] = p
        at, y = 0, x
        for L in layers:
            n = L.w.numel()
            w = full[at:at + n].reshape(L.w.shape)
            at += n
            if L.mask is not None:
                w = w * L.mask
            c = None
            if L.coef is not None:
                k = L.coef.numel()
                c = full[at:at + k].reshape(L.coef.shape)
                at += k
            z = w[0] + y @ w[1:]
            keep = L.coef
            L.coef = c
            y = L.act(z)
            L.coef = keep
        return loss_of(name, layers[-1], z, y, t)

    p0 = torch.tensor(theta[on])
    loss = f(p0)
    g = torch.autograd.functional.jacobian(f, p0)
    H = torch.autograd.functional.hessian(f, p0).numpy()
    v = torch.tensor(np.random.default_rng(1).standard_normal(p0.numel()))
    _, hv = torch.autograd.functional.hvp(f, p0, v)
    mine = np.asarray(got["hessian_matrix"][0], np.float64)
    cols = got["hessian"][1]["columns"].split(",")
    row = dict(zip(cols, np.asarray(got["hessian"][0], np.float64).ravel()))
    errs = {
        "loss": rel(row["loss"], loss.item()),
        "grad_norm2": rel(row["grad_norm2"], float((g * g).sum())),
        "hessian": rel(mine, H),
        "hvp": rel(mine @ v.numpy(), hv.numpy()),
        "trace": rel(row["exact_trace"], float(np.trace(H))),
    }
    worst = max(errs, key=errs.get)
    kinds = "-".join(L.kind for L in layers)
    masked = any(L.mask is not None for L in layers)
    msg = (f"{os.path.basename(case)}: {kinds}{' masked' if masked else ''}, "
           f"{name}, {p0.numel()} parameters: the loss, gradient norm, "
           f"Hessian, torch's hvp and the trace agree (worst "
           f"{errs[worst]:.2g} relative, {worst})")
    if errs[worst] <= TOL:
        print(f"ok - {msg}")
        return True
    print(f"not ok - {msg}: above {TOL:g}")
    return False


def main():
    torch.set_num_threads(1)
    fails = 0
    for case in sys.argv[1:]:
        try:
            fails += not check(case)
        except (KeyError, ValueError, RuntimeError, OSError) as e:
            print(f"not ok - {case}: {type(e).__name__} {e}")
            fails += 1
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()

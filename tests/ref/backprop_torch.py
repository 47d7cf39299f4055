#!/usr/bin/python3
"""backprop_torch.py — an independent reference for the library's backward
pass: PyTorch autograd in float64 on the networks, data and gradients that
tests/unit/test_backprop.c writes with NN_GRAD_DUMP=FILE.

    backprop_torch.py FILE

Per case K (every record has case=K, except a layer's "mask" and "coef",
which belong to the "w" before them, as in a network stream,
formats/nns.md section 11): the layers, "x", "t", "loss" (loss=NAME) and
"dw"/"dcoef" with layer=L.  Rebuilds the network in torch with its own
activations (the polynomial bases by their three-term recurrences), a
masked weight being w * mask, computes the loss with torch's own losses
and reductions, and compares the loss (relative) and every gradient
(normwise per tensor: max|c - torch| / max|torch|) with the dump's, to
TOL.  Prints "ok - ..." or "not ok - ..." per case, then one line for the
coverage (every activation hidden and at the output, every loss, masks,
coefficients); exits 1 on any failure."""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "examples"))
import numpy as np
from nns_read import read
try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # a failure, not a skip: make test installs it
    print(f"not ok - PyTorch for the reference: {sys.executable} cannot "
          f"import torch ({e}); make test installs python3-torch "
          f"(pipelines/deps.sh test)")
    sys.exit(1)

TOL = 1e-10
ACTS = ["identity", "relu", "tanh", "sigmoid", "celu", "softmax", "exp",
        "pow3", "legendre", "chebyshev", "laguerre", "hermite"]
LOSSES = ["mse", "xent", "sigmoid-xent", "hinge", "exp-ga", "pow3-ga"]
DEFAULTS = {"celu": (1.0, 0.0), "exp": (0.1, 0.0), "pow3": (0.001, 0.4)}
POLY = ("legendre", "chebyshev", "laguerre", "hermite")


def basis(kind, degree, z):
    """phi_0..phi_degree at z by the recurrences, stacked on a last axis."""
    phi = [torch.ones_like(z)]
    if degree >= 1:
        phi.append({"legendre": z, "chebyshev": z, "laguerre": 1 - z,
                    "hermite": 2 * z}[kind])
    for i in range(1, degree):
        p0, p1 = phi[i - 1], phi[i]
        if kind == "legendre":    # (i+1) P_{i+1} = (2i+1) z P_i - i P_{i-1}
            p = ((2 * i + 1) * z * p1 - i * p0) / (i + 1)
        elif kind == "chebyshev":  # T_{i+1} = 2z T_i - T_{i-1}
            p = 2 * z * p1 - p0
        elif kind == "laguerre":   # (i+1) L_{i+1} = (2i+1-z) L_i - i L_{i-1}
            p = ((2 * i + 1 - z) * p1 - i * p0) / (i + 1)
        else:                      # H_{i+1} = 2z H_i - 2i H_{i-1}
            p = 2 * z * p1 - 2 * i * p0
        phi.append(p)
    return torch.stack(phi, dim=-1)


class Layer:
    def __init__(self, w, attrs):
        self.attrs = attrs
        self.kind = attrs.get("activation", "identity")
        a, b = DEFAULTS.get(self.kind, (0.0, 0.0))
        self.alpha = float(attrs.get("alpha", a))
        self.beta = float(attrs.get("beta", b))
        self.degree = int(attrs.get("degree", 0))
        self.w = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        self.mask = None
        self.coef = None

    def act(self, z):
        k, al, be = self.kind, self.alpha, self.beta
        if k == "identity":
            return z
        if k == "relu":
            return torch.relu(z)
        if k == "tanh":
            return torch.tanh(z)
        if k == "sigmoid":
            return torch.sigmoid(z)
        if k == "celu":
            return F.celu(z, alpha=al)
        if k == "softmax":
            return torch.softmax(z, dim=1)
        if k == "exp":
            return al * torch.exp(z)
        if k == "pow3":
            return al * z ** 3 + be
        if k in POLY:  # unit j: sum_i coef[j,i] phi_i(z_j)
            return (basis(k, self.degree, z) * self.coef).sum(dim=-1)
        raise ValueError(f"unknown activation {k}")

    def forward(self, x):
        w = self.w * self.mask if self.mask is not None else self.w
        z = w[0] + x @ w[1:]
        return z, self.act(z)


def loss_of(name, out, z, y, t):
    m = z.shape[0]
    if name == "mse":
        return F.mse_loss(y, t)
    if name == "xent":  # probability targets, from the logits
        return F.cross_entropy(z, t)
    if name == "sigmoid-xent":
        return F.binary_cross_entropy_with_logits(z, t)
    if name == "hinge":
        return torch.clamp(1 - t * y, min=0).mean()
    if name == "exp-ga":
        return (y - t * torch.log(y)).sum() / m
    if name == "pow3-ga":
        return (out.alpha * z ** 4 / 4 + out.beta * z - t * z).sum() / m
    raise ValueError(f"unknown loss {name}")


def cases(tensors):
    """{case: {"layers": [Layer], name: array or {layer: array}}} in order."""
    out, last = {}, None
    for name, a, attrs in tensors:
        if name in ("mask", "coef") and "case" not in attrs:
            if last is None:
                raise ValueError(f"a {name} record before any w")
            if name == "mask":
                last.mask = torch.tensor(a.astype(np.float64))
            else:
                last.coef = torch.tensor(a, dtype=torch.float64,
                                         requires_grad=True)
            continue
        c = out.setdefault(int(attrs["case"]), {"layers": []})
        if name == "w":
            last = Layer(a, attrs)
            if int(attrs["layer"]) != len(c["layers"]):
                raise ValueError(f"case {attrs['case']}: layer {attrs['layer']} out of order")
            c["layers"].append(last)
        elif name in ("dw", "dcoef"):
            c.setdefault(name, {})[int(attrs["layer"])] = a
        else:
            c[name] = a
            if name == "x":
                c["what"] = attrs.get("what", "?")
            if name == "loss":
                c["loss_name"] = attrs["loss"]
    return out


def rel(a, b):
    """max|a - b| / max|b| (max|a - b| when b is all zero); inf on a NaN."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("inf")
    d = np.max(np.abs(a - b), initial=0.0)
    s = np.max(np.abs(b), initial=0.0)
    r = d / s if s > 0 else d
    return float("inf") if np.isnan(r) else float(r)


def check(k, c):
    layers, name = c["layers"], c["loss_name"]
    x = torch.tensor(c["x"], dtype=torch.float64)
    t = torch.tensor(c["t"], dtype=torch.float64)
    y = x
    for L in layers:
        z, y = L.forward(y)
    loss = loss_of(name, layers[-1], z, y, t)
    params = [L.w for L in layers] + [L.coef for L in layers if L.coef is not None]
    grads = torch.autograd.grad(loss, params)
    worst, where = rel(c["loss"], loss.item()), "loss"
    for i, g in enumerate(grads):
        if i < len(layers):
            what, mine = f"dw[{i}]", c.get("dw", {}).get(i)
        else:
            j = [l for l, L in enumerate(layers) if L.coef is not None][i - len(layers)]
            what, mine = f"dcoef[{j}]", c.get("dcoef", {}).get(j)
        r = rel(mine, g.numpy()) if mine is not None else float("inf")
        if not r <= worst:
            worst, where = r, what
    msg = (f"case {k} {c['what']}, {name} loss {loss.item():.4g}: the loss and "
           f"{len(grads)} gradients equal torch autograd's (worst {worst:.2g} "
           f"relative, {where})")
    if worst <= TOL:
        print(f"ok - {msg}")
        return True, worst
    print(f"not ok - {msg}: above {TOL:g}")
    return False, worst


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: backprop_torch.py FILE")
    torch.set_num_threads(1)
    with open(sys.argv[1], "rb") as f:
        cs = cases(read(f))
    fails, worst = 0, 0.0
    hidden, output, losses, masked, coefs = set(), set(), set(), 0, 0
    for k in sorted(cs):
        c = cs[k]
        try:
            good, w = check(k, c)
        except (KeyError, ValueError, RuntimeError) as e:
            print(f"not ok - case {k} {c.get('what', '?')}: {type(e).__name__} {e}")
            good, w = False, float("inf")
        fails += not good
        worst = max(worst, w)
        ls = c["layers"]
        hidden |= {L.kind for L in ls[:-1]}
        output.add(ls[-1].kind if ls else "?")
        losses.add(c.get("loss_name"))
        masked += any(L.mask is not None for L in ls)
        coefs += any(L.coef is not None for L in ls)
    lack = ([f"hidden {a}" for a in ACTS if a not in hidden] +
            [f"output {a}" for a in ACTS if a not in output] +
            [f"loss {l}" for l in LOSSES if l not in losses] +
            (["a mask"] if not masked else []) +
            (["coefficients"] if not coefs else []))
    cover = (f"{len(cs)} cases cover every activation hidden and at the "
             f"output, every loss, masks ({masked} cases) and polynomial "
             f"coefficients ({coefs}); worst {worst:.2g} relative, torch "
             f"{torch.__version__}")
    if cs and not lack:
        print(f"ok - {cover}")
    else:
        fails += 1
        print(f"not ok - {cover}: missing {', '.join(lack) or 'every case'}")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()

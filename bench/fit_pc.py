#!/usr/bin/python3
"""fit_pc.py TRAIN LAYER WIDTH — how exact the first principal component of
nn-fit-layer -m sorted-pca is (nn_pc: a single-precision covariance refined
in double precision), on the rows x of TRAIN.  Prints, for the
single-precision covariance alone (as nn_pc's first pass makes it: f32
products over blocks of 1024 rows less the first block's means, summed in
f64; NumPy's sgemm standing in for ssyrk) and for one refining pass (the
Davidson step of nn_pc_refine_end): the distance |c - c_ref| to the
double-precision covariance's component, the fraction of rows whose place
in the order of x.c changes, and how many of the WIDTH rows sorted PCA
picks change.  Then whether LAYER (the tool's sorted-pca layer of WIDTH
units) holds exactly the rows the double-precision component picks."""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import numpy as np
from nns_read import read

train, layer, d = sys.argv[1], sys.argv[2], int(sys.argv[3])
X = np.ascontiguousarray([a for n, a, _ in read(open(train, "rb")) if n == "x"][0], np.float32)
m, n = X.shape
Xd = X.astype(np.float64)
mu = Xd.mean(0)
C = (Xd - mu).T @ (Xd - mu) / m


def unit(c):
    c = c / np.linalg.norm(c)
    return c if c[np.argmax(abs(c))] > 0 else -c


def picks(c):
    order = np.lexsort((np.arange(m), Xd @ c))
    return order, order[np.minimum(np.floor(np.arange(d) * m / d + 0.5).astype(int), m - 1)]


w, V = np.linalg.eigh(C)
c_ref = unit(V[:, -1])
o_ref, p_ref = picks(c_ref)

s = X[:1024].astype(np.float64).mean(0).astype(np.float32)
G = np.zeros((n, n))
tot = np.zeros(n)
for r in range(0, m, 1024):
    B = X[r:r + 1024] - s
    G += (B.T @ B).astype(np.float64)
    tot += B.astype(np.float64).sum(0)
mu1 = tot / m
w32, V32 = np.linalg.eigh(G / m - np.outer(mu1, mu1))
c0 = unit(V32[:, -1])
r = C @ c0
th = c0 @ r
r -= th * c0
est = np.linalg.norm(r) / (th - w32[-2])
c1 = unit(c0 + V32[:, :-1] @ ((V32[:, :-1].T @ r) / (th - w32[:-1])))

print(f"rows {m}, columns {n}; eigenvalues {w[-1]:.4g} {w[-2]:.4g} {w[-3]:.4g} ...")
for name, c in (("single-precision covariance", c0), ("after one refining pass", c1)):
    o, p = picks(c)
    print(f"{name}: |c - c_ref| {np.linalg.norm(c - c_ref):.2g}, rows moved "
          f"{np.mean(o != o_ref) * 100:.3g}%, picked rows changed {np.sum(p != p_ref)} of {d}")
print(f"estimated error of the single-precision component (||r|| / gap): {est:.2g}")
W = [a for nm, a, _ in read(open(layer, "rb")) if nm == "w"][0].astype(np.float64)
same = np.array_equal(W[1:], Xd[p_ref].T) and not W[0].any()
print(f"{layer}: {'the rows of the double-precision component' if same else 'OTHER rows than the double-precision component picks'}")

#!/usr/bin/python3
"""train_torch.py NET DATA BATCH [EPOCHS [THREADS]] — nn-train's training
in PyTorch on the CPU: the layers of an nn-init network (its weights as
the start) as nn.Linear with ReLU between them and a softmax
cross-entropy head (nn.CrossEntropyLoss on the logits, the mean over the
rows, as nn-train's xent), torch.float32, Adam with lr 1e-3, mini-batches
of BATCH rows in an order shuffled every epoch; x and y of DATA (read
with examples/nns_read.py) already in memory as tensors.
torch.set_num_threads is OpenBLAS's thread count (torch's sgemm is
OpenBLAS's here), or THREADS.  Runs EPOCHS epochs (default 3), each timed
alone from its shuffle to its last step; prints the seconds of each on
one line, then the mean loss and the accuracy of the first epoch's
batches as they were trained (as nn-train -e 1's log has them).  On
stderr: the OpenBLAS kernel and the thread counts."""
import ctypes, os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import numpy as np, torch
from nns_read import read

try:
    blas = ctypes.CDLL("libopenblas.so.0")
    blas.openblas_get_corename.restype = ctypes.c_char_p
    threads = blas.openblas_get_num_threads()
    core = blas.openblas_get_corename().decode()
except OSError:
    threads, core = os.cpu_count(), "unknown"
torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else threads)
torch.manual_seed(1)

ws = [np.asarray(w, np.float32) for n, w, _ in read(open(sys.argv[1], "rb"))
      if n == "w"]
data = {n: a for n, a, _ in read(open(sys.argv[2], "rb")) if n in ("x", "y")}
batch = int(sys.argv[3])
epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
x = torch.from_numpy(np.ascontiguousarray(data["x"], np.float32))
y = torch.from_numpy(np.asarray(data["y"]).astype(np.int64))

mods = []
for k, w in enumerate(ws):
    lin = torch.nn.Linear(w.shape[0] - 1, w.shape[1])
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(w[1:].T.copy()))
        lin.bias.copy_(torch.from_numpy(w[0].copy()))
    mods.append(lin)
    if k + 1 < len(ws):
        mods.append(torch.nn.ReLU())
model = torch.nn.Sequential(*mods)
lossf = torch.nn.CrossEntropyLoss()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
print(f"train_torch: torch {torch.__version__}, OpenBLAS {core}, "
      f"{threads} OpenBLAS threads, torch.get_num_threads() "
      f"{torch.get_num_threads()}", file=sys.stderr)

secs, first = [], None
for ep in range(epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(x.shape[0])
    total, correct = 0.0, 0
    for at in range(0, x.shape[0], batch):
        idx = perm[at:at + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        out = model(xb)
        loss = lossf(out, yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        correct += (out.argmax(1) == yb).sum().item()
    secs.append(time.perf_counter() - t0)
    first = first or (total / x.shape[0], correct / x.shape[0])
print(" ".join(f"{s:.6f}" for s in secs))
print(f"{first[0]:.6f} {first[1]:.6f}")

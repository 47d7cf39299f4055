#!/usr/bin/python3
"""mnist-shifted.py --save DIR TRAIN MEANS
   mnist-shifted.py DIR COPIES START STOP

The first form keeps MNIST as NumPy arrays in DIR (x.npy, y.npy,
mean.npy: 188 MB), which the second maps into memory (only the pages it
reads, shared by every task of the machine) instead of parsing the NNS
stream in every task.  TRAIN is centred MNIST (mnist.mk's train.nns:
pixels in [0,1] minus the training means), MEANS its means (means.nns).

The second form writes rows START to STOP-1 (STOP exclusive) of MNIST
repeated COPIES times, copy c shifted by (dx, dy) pixels, dx = (c mod 10
+ 5) mod 10 - 5 and dy the same of floor(c / 10) (copy 0 is MNIST
itself; 100 copies: the 100 shifts of [-5, 4]^2), as an NNS stream (x
f32, y u8) on stdout, made as it is written, in records of at most 6000
rows: the rows are never all in memory or on disk.  Global row g is row
g mod 60000 of copy floor(g / 60000).  A copy is shifted in [0,1]
pixels, blank (0) where it moves in, and centred again with the same
means.
Example: mnist-shifted.py --save d train.nns means.nns
         mnist-shifted.py d 100 0 6000000 | nn-fit-layer --gram"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
import numpy as np
from nns_read import read
from nns_craft import record

argv = sys.argv[1:]
if argv[:1] in (["-h"], ["--help"]):
    print(__doc__)
    sys.exit(0)
if len(argv) == 4 and argv[0] == "--save":
    d, train, means = argv[1:]
    t = {n: a for n, a, at in read(open(train, "rb"))}
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "x.npy"), t["x"].astype(np.float32))
    np.save(os.path.join(d, "y.npy"), t["y"].astype(np.uint8))
    np.save(os.path.join(d, "mean.npy"),
            {n: a for n, a, at in read(open(means, "rb"))}["mean"].astype(np.float32))
    sys.exit(0)
if len(argv) != 4:
    print(__doc__, file=sys.stderr)
    sys.exit(2)
d, copies, start, stop = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
x = np.load(os.path.join(d, "x.npy"), mmap_mode="r")
y = np.load(os.path.join(d, "y.npy"), mmap_mode="r")
mean = np.load(os.path.join(d, "mean.npy"))
n = x.shape[0]
assert x.shape[1] == 784 and 0 <= start <= stop <= copies * n
def write_all(b):
    """All of b to stdout by os.write, looping over partial writes: a
    write into a pipe that a stop signal interrupts (SIGSTOP of the job,
    Slurm's suspend) returns short, and sys.stdout.buffer.write of a
    large object was seen to drop the rest (5.6 MB of an 18.8 MB record
    under SIGSTOP/SIGCONT, Python 3.11)."""
    m = memoryview(b)
    while m:
        m = m[os.write(1, m):]
try:                                    # fewer, larger writes into a pipe
    import fcntl
    fcntl.fcntl(1, 1031, 1 << 20)       # F_SETPIPE_SZ
except OSError:
    pass
first = True
g = start
while g < stop:
    c, i = divmod(g, n)
    m = min(stop - g, n - i, 6000)
    dx, dy = (c % 10 + 5) % 10 - 5, (c // 10 % 10 + 5) % 10 - 5
    if dx == 0 and dy == 0:
        xs = np.asarray(x[i:i + m])
    else:                               # shifted by the chunk: little memory
        raw = (x[i:i + m] + mean).reshape(m, 28, 28)
        s = np.zeros_like(raw)
        s[:, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
            raw[:, max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
        xs = (s.reshape(m, 784) - mean).astype(np.float32)
    xa = "producer=mnist-shifted.py\ncopies=%d\nrows=%d:%d\nimage=28x28\n" % (copies, start, stop) if first else ""
    ya = "encoding=index\nclasses=10\n" if first else ""
    write_all(record("x", xs, xa, flags=0 if first else 2))
    write_all(record("y", y[i:i + m].astype(np.uint8), ya, flags=0 if first else 2))
    first = False
    g += m

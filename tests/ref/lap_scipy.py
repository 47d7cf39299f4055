#!/usr/bin/python3
"""lap_scipy.py DUMP — the optimal totals of the cost matrices that
test_lap wrote with NN_LAP_DUMP, by scipy.optimize.linear_sum_assignment,
against nn_lap's (the attribute total of each record).  Prints ok/not ok
lines; an independent NNS reader (formats/nns.md; uncompressed records)."""
import struct, sys
import numpy as np
from scipy.optimize import linear_sum_assignment

def records(path):
    data = open(path, "rb").read()
    at = 0
    while at < len(data):
        magic, major, minor, dtype, rank, hlen, flags, plen = struct.unpack_from(
            "<4sBBBBIIQ", data, at)
        assert magic == b"\x89NNS" and flags & 1 == 0 and dtype == 10
        nlen, alen = struct.unpack_from("<HxxI", data, at + 40)
        dims = struct.unpack_from(f"<{rank}Q", data, at + 48)
        off = at + 48 + 8 * rank
        name = data[off:off + nlen].decode()
        attrs = dict(kv.split("=", 1) for kv in
                     data[off + nlen:off + nlen + alen].decode().split("\n") if kv)
        a = np.frombuffer(data, "<f8", int(np.prod(dims)), at + hlen).reshape(dims)
        yield name, a, attrs
        at += hlen + plen

n = bad = 0
for name, c, attrs in records(sys.argv[1]):
    mx = attrs["maximize"] == "1"
    r, k = linear_sum_assignment(c, maximize=mx)
    want, got = c[r, k].sum(), float(attrs["total"])
    n += 1
    if abs(got - want) > 1e-9 * (1 + abs(want)):
        bad += 1
        print(f"not ok - {c.shape[0]} x {c.shape[1]} maximize={int(mx)}: nn_lap {got!r}, scipy {want!r}")
print(("ok" if n and not bad else "not ok") +
      f" - {n} problems: nn_lap's optimal totals equal scipy {__import__('scipy').__version__}'s "
      f"linear_sum_assignment ({bad} differ)")

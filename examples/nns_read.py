#!/usr/bin/python3
"""nns_read.py — read an NNS stream (formats/nns.md) into NumPy arrays.

    nns_read.py [FILE]        prints each tensor's name, dtype and shape
    from nns_read import read; tensors = read(open(f, "rb"))

Returns a list of (name, array, attrs) with chunks (CONT records) joined.
Checks magic, version, both XXH3-64 hashes and sizes; needs numpy, xxhash and
zstandard (Debian: python3-numpy python3-xxhash python3-zstandard)."""
import struct, sys
import numpy as np, xxhash, zstandard

DTYPES = {1: "<u1", 2: "<i1", 3: "<u2", 4: "<i2", 5: "<u4", 6: "<i4",
          7: "<u8", 8: "<i8", 9: "<f4", 10: "<f8"}

def read_exact(f, n, what):
    b = f.read(n)
    if len(b) != n:
        raise ValueError(f"truncated {what}")
    return b

def records(f):
    while True:
        fixed = f.read(48)
        if not fixed:
            return
        if len(fixed) < 48:
            raise ValueError("truncated record header")
        magic, major, _, dt, rank, hlen, flags, plen, phash, hhash, nlen, _, alen = \
            struct.unpack("<4sBBBBIIQQQHHI", fixed)
        if magic != b"\x89NNS" or major != 1:
            raise ValueError("bad magic or unknown version")
        if dt not in DTYPES or rank > 8 or flags & 0xfffc or hlen > 1 << 20:
            raise ValueError("bad header")
        head = fixed + read_exact(f, hlen - 48, "record header")
        if xxhash.xxh3_64_intdigest(head[:32] + bytes(8) + head[40:]) != hhash:
            raise ValueError("header checksum mismatch")
        dims = struct.unpack(f"<{rank}Q", head[48:48 + 8 * rank])
        name = head[48 + 8 * rank:48 + 8 * rank + nlen].decode()
        attrs = head[48 + 8 * rank + nlen:48 + 8 * rank + nlen + alen].decode()
        payload = read_exact(f, plen, "payload")
        if xxhash.xxh3_64_intdigest(payload) != phash:
            raise ValueError("payload checksum mismatch")
        raw = int(np.prod(dims, dtype=np.uint64)) * np.dtype(DTYPES[dt]).itemsize
        if flags & 1:
            payload = zstandard.ZstdDecompressor().decompress(payload, max_output_size=raw)
        if len(payload) != raw:
            raise ValueError("payload size does not match the shape")
        a = np.frombuffer(payload, DTYPES[dt]).reshape(dims)
        attrs = dict(l.split("=", 1) for l in attrs.splitlines())
        yield name, a, attrs, bool(flags & 2)

def read(f):
    out, open_ = [], {}
    for name, a, attrs, cont in records(f):
        if cont:
            if name not in open_:
                raise ValueError(f"chunk of {name} continues nothing")
            t = out[open_[name]]
            t[1].append(a)
        else:
            open_[name] = len(out)
            out.append((name, [a], attrs))
    return [(n, np.concatenate(p) if len(p) > 1 else p[0], at) for n, p, at in out]

if __name__ == "__main__":
    with open(sys.argv[1], "rb") if len(sys.argv) > 1 else sys.stdin.buffer as f:
        for name, a, attrs in read(f):
            print(name, a.dtype, a.shape, attrs)

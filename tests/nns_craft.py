#!/usr/bin/python3
"""nns_craft.py — an independent NNS writer for the tests (formats/nns.md),
able to write what the C writer never would: lying sizes, unknown versions,
unknown flags, overflowing shapes.  Writes to stdout.

    nns_craft.py KIND [ARGS]   see the cases at the bottom
"""
import struct, sys
import numpy as np, xxhash, zstandard

CODES = {"u1": 1, "i1": 2, "u2": 3, "i2": 4, "u4": 5, "i4": 6, "u8": 7,
         "i8": 8, "f4": 9, "f8": 10}

def record(name, a=None, attrs="", flags=0, zstd=False, dims=None, dtype=None,
           major=1, payload=None, hhash=None, phash=None, plen=None):
    """One record; keyword arguments override what a correct writer would put."""
    if a is not None:
        a = np.ascontiguousarray(a).reshape(np.shape(a))  # keeps rank 0
        dtype = dtype or CODES[a.dtype.str[1:]]
        dims = a.shape if dims is None else dims
        if payload is None:
            payload = a.astype(a.dtype.newbyteorder("<")).tobytes()
    if zstd:
        payload = zstandard.ZstdCompressor(level=3).compress(payload)
        flags |= 1
    nb, ab = name.encode(), attrs.encode()
    rank = len(dims)
    hlen = (48 + 8 * rank + len(nb) + len(ab) + 7) // 8 * 8
    head = struct.pack("<4sBBBBIIQQQHHI", b"\x89NNS", major, 0, dtype, rank,
                       hlen, flags, len(payload) if plen is None else plen,
                       xxhash.xxh3_64_intdigest(payload) if phash is None else phash,
                       0, len(nb), 0, len(ab))
    head += struct.pack(f"<{rank}Q", *dims) + nb + ab
    head += bytes(hlen - len(head))
    h = xxhash.xxh3_64_intdigest(head) if hhash is None else hhash
    head = head[:32] + struct.pack("<Q", h) + head[40:]
    return head + payload

def zeros_frame(n):
    """One zstd frame of n zero bytes (n a multiple of 128 KiB) made of RLE
    blocks: 2 GiB in 64 KiB, without a compressor (a decompression bomb)."""
    assert n % (1 << 17) == 0 and n > 0
    rle = lambda last: struct.pack("<I", 1 << 20 | 2 | last)[:3] + b"\0"
    return (struct.pack("<IBBQ", 0xFD2FB528, 0xC0, 7 << 3, n)
            + rle(0) * (n // (1 << 17) - 1) + rle(1))

def main():
    out = sys.stdout.buffer
    kind = sys.argv[1]
    x = np.arange(12, dtype="<f4").reshape(4, 3)
    if kind == "dataset":  # x (4,3) f32 in two chunks, y (4,) i32 labels
        out.write(record("x", x[:2], "source=craft\n") + record("y", np.array([0, 1], "<i4")))
        out.write(record("x", x[2:], flags=2) + record("y", np.array([1, 0], "<i4"), flags=2))
    elif kind == "zstd":   # the same dataset, compressed
        out.write(record("x", x[:2], "source=craft\n", zstd=True) + record("y", np.array([0, 1], "<i4"), zstd=True))
        out.write(record("x", x[2:], flags=2, zstd=True) + record("y", np.array([1, 0], "<i4"), flags=2, zstd=True))
    elif kind == "random":  # NAME ROWS COLS SEED: a normal f32 tensor
        n, r, c, s = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        out.write(record(n, np.random.default_rng(s).standard_normal((r, c)).astype("<f4")))
    elif kind == "version":
        out.write(record("x", x, major=2))
    elif kind == "flag":
        out.write(record("x", x, flags=1 << 5))
    elif kind == "ancillary":
        out.write(record("x", x, flags=1 << 20))
    elif kind == "overflow":  # 2^60 elements, no payload
        out.write(record("x", dtype=9, dims=(1 << 30, 1 << 30), payload=b""))
    elif kind == "wrap":  # element count wraps around 2^64
        out.write(record("x", dtype=9, dims=(1 << 33, 1 << 33, 4), payload=b""))
    elif kind == "liar":  # claims 1 GiB of payload (zeros, hash given), has 136 bytes
        out.write(record("x", dtype=9, dims=(1 << 28,), payload=bytes(136), plen=1 << 30,
                         phash=0xcf9ad580b7ff077f))
    elif kind == "checksum":
        out.write(record("x", x, phash=12345))
    elif kind == "dtype":
        out.write(record("x", x, dtype=42))
    elif kind == "badattrs":  # attribute text that is not key=value lines
        out.write(record("x", x, "junk"))
    elif kind == "ctrlname":  # a terminal escape in a name
        out.write(record("x\x1b[2J", x))
    elif kind == "zerowide":  # 2^40 rows of nothing
        out.write(record("x", dtype=9, dims=(1 << 40, 0), payload=b""))
    elif kind == "orphan":  # a chunk that continues nothing
        out.write(record("x", x, flags=2))
    else:
        sys.exit("unknown kind " + kind)

if __name__ == "__main__":
    main()

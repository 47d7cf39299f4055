#!/usr/bin/python3
"""make.py — writes the golden hostile streams of tests/golden/ (issue 10):
one file per rejection rule of formats/nns.md, one per class of hostile
input that a tool must refuse cleanly, and a few that readers must accept.

    tests/golden/make.py [DIR]      (default: the directory of this script)

Writes DIR/*.nns, DIR/index.tsv (what tests/cli/golden.sh runs) and
DIR/README.md.  The output is deterministic: no randomness, and every zstd
frame is built here block by block (raw and RLE blocks), not by a
compressor whose output could change with its version, so a second run
gives the same bytes (tests/cli/golden.sh checks that).  Records come from
tests/nns_craft.py's record(); what it cannot lie about is patched after.
"""
import os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True      # no __pycache__ beside nns_craft.py
sys.path.insert(0, os.path.join(HERE, ".."))
import numpy as np, xxhash
from nns_craft import record

CONT, ZSTD = 2, 1

# ------------------------------------------------------------ helpers

def rehash(rec):
    """The record with its header hash recomputed (after a patch)."""
    hlen = struct.unpack_from("<I", rec, 8)[0]
    head = bytearray(rec[:hlen])
    head[32:40] = bytes(8)
    head[32:40] = struct.pack("<Q", xxhash.xxh3_64_intdigest(bytes(head)))
    return bytes(head) + rec[hlen:]

def patch(rec, at, fmt, value):
    """Overwrites a header field (struct format fmt at offset at)."""
    b = bytearray(rec)
    struct.pack_into(fmt, b, at, value)
    return rehash(bytes(b))

# zstd frames by hand (RFC 8878 §3.1.1): magic, Frame_Header_Descriptor,
# Window_Descriptor (128 KiB), Frame_Content_Size, blocks of a 3-byte header
ZMAGIC = struct.pack("<I", 0xFD2FB528)
WINDOW = bytes([(17 - 10) << 3])
BLOCK = 1 << 17

def zframe(content, size=True, checksum=False):
    """One frame of raw blocks holding content; size: declare the content
    size (False: leave it unknown); checksum: end with the content
    checksum."""
    n = len(content)
    fhd = 4 if checksum else 0
    fcs = b""
    if size:
        fhd |= 2 << 6                   # a 4-byte Frame_Content_Size
        fcs = struct.pack("<I", n)
    out = ZMAGIC + bytes([fhd]) + WINDOW + fcs
    at = 0
    while True:
        k = min(BLOCK, n - at)
        last = at + k == n
        out += struct.pack("<I", (k << 3) | last)[:3] + content[at:at + k]
        at += k
        if last:
            break
    if checksum:
        out += struct.pack("<I", xxhash.xxh64_intdigest(content) & 0xffffffff)
    return out

def zbomb(nbytes):
    """A frame of nbytes (a multiple of 128 KiB) of zeros, its size
    declared: RLE blocks (type 1) of 128 KiB, 4 bytes each."""
    block = struct.pack("<I", BLOCK << 3 | 1 << 1)[:3] + b"\0"
    last = struct.pack("<I", BLOCK << 3 | 1 << 1 | 1)[:3] + b"\0"
    return (ZMAGIC + bytes([2 << 6]) + WINDOW + struct.pack("<I", nbytes)
            + block * (nbytes // BLOCK - 1) + last)

# the data every rule file is made of: x (2,3) f32, labels y (2,) i32
X = np.arange(6, dtype="<f4").reshape(2, 3)
Y = np.array([0, 2], "<i4")
XB = X.tobytes()

def rx(**kw):
    return record("x", X, **kw)

def ry(**kw):
    return record("y", Y, "classes=3\n", **kw)

# a small valid data set: x (6,3) f32, y (6,) i32 of 3 classes
X6 = np.array([[0, 1, 2], [1, 0, 1], [2, 2, 0], [0, 2, 1], [1, 1, 1],
               [2, 0, 2]], "<f4")
Y6 = np.array([0, 1, 2, 0, 1, 2], "<i4")

def data6(x=X6, yattrs="classes=3\n"):
    return record("x", x) + record("y", Y6, yattrs)

# ------------------------------------------------------------ the files
#
# (file, applies, rule, ERE, bytes); applies says which tools run the file
# (README.md has the details):
#   all    every tool that reads streams, in every role: the bad record is
#          the first (one file per rule)
#   data   every tool reading it as data
#   decode every tool that decodes the record (the copying ones with -d)
#   info   nn-info, from a file and from stdin: one more case of a rule
#          that an "all" file runs through every tool
#   keys=K,K...  just those tools (a network, statistics)
#   ok     a valid stream: nn-info reads it, nn-cat and nn-pick copy it
#          byte for byte
#   class  a valid stream of hostile content: tests/cli/golden.sh knows
#          which tools must refuse it (README.md, the matrix)

FILES = []

def add(name, applies, rule, ere, data):
    FILES.append((name, applies, rule, ere, data))

# §9.1 fixed fields
add("9.1-bad-magic", "all", "§9.1 magic is 89 4E 4E 53", "bad magic",
    b"\x89NNT" + rx()[4:])
add("9.1-major-0", "info", "§9.1/§3 major is 1 (unknown version)",
    "unknown format version 0", rx(major=0))
add("9.1-major-2", "info", "§9.1/§3 major is 1 (unknown version)",
    "unknown format version 2", rx(major=2))
add("9.1-dtype-0", "all", "§9.1/§4 dtype code 1..10",
    "unknown dtype code 0", patch(rx(), 6, "B", 0))
add("9.1-dtype-11", "info", "§9.1/§4 dtype code 1..10",
    "unknown dtype code 11", patch(rx(), 6, "B", 11))
add("9.1-rank-9", "info", "§9.1 rank at most 8", "rank 9 exceeds",
    record("x", dtype=9, dims=(1,) * 7 + (2, 3), payload=XB))
add("9.1-critical-flag-2", "all", "§9.1/§5 reserved critical flag bit 2",
    "unknown critical flags", rx(flags=1 << 2))
add("9.1-critical-flag-15", "info", "§9.1/§5 reserved critical flag bit 15",
    "unknown critical flags", rx(flags=1 << 15))

# §9.2 header, name and attribute lengths
add("9.2-header-len-odd", "all", "§9.2 header_len a multiple of 8",
    "invalid header length 68", patch(rx(), 8, "<I", 68))
add("9.2-header-len-short", "info",
    "§9.2 header_len at least 48 + 8*rank + 1", "invalid header length 64",
    patch(rx(), 8, "<I", 64))
add("9.2-header-len-huge", "info", "§9.2 header_len at most 1 MiB",
    "invalid header length 1048584", patch(rx(), 8, "<I", (1 << 20) + 8))
add("9.2-name-len-0", "all", "§9.2 name_len 1..255", "invalid name length 0",
    patch(rx(), 40, "<H", 0))
add("9.2-name-len-256", "info", "§9.2 name_len 1..255",
    "invalid name length 256", record("n" * 256, X))
add("9.2-name-overrun", "info", "§9.2 the name fits in header_len",
    "overrun the header", patch(rx(), 40, "<H", 200))
add("9.2-attrs-overrun", "info", "§9.2 the attributes fit in header_len",
    "overrun the header", patch(record("x", X, "a=1\n"), 44, "<I", 200))
add("9.2-attr-len-65537", "all", "§9.2/§6 attr_len at most 65536 (the "
    "header holds all 65537 bytes)", "attribute|overrun the header",
    record("x", X, "k=" + "v" * 65534 + "\n"))

# §3 names, §6 attributes
NAME_ERE = "record name is not UTF-8 text"
for suffix, name, what in (
        ("control", "x\x1b[2J", "a control character (ESC)"),
        ("nul", "x\0y", "a NUL byte"),
        ("del", "x\x7f", "DEL (0x7f)"),
        ("newline", "x\ny", "a newline"),
        ("equals", "x=y", "'='"),
        ("bad-utf8", b"x\xff", "a byte that is never UTF-8 (0xff)"),
        ("overlong", b"x\xc0\xaf", "an overlong 2-byte sequence (C0 AF for '/')"),
        ("overlong-3", b"x\xe0\x80\xaf", "an overlong 3-byte sequence (E0 80 AF)"),
        ("cut-utf8", b"x\xe2\x82", "a sequence cut short at the end"),
        ("surrogate", b"x\xed\xa0\x80", "a UTF-16 surrogate (ED A0 80, U+D800)"),
        ("above-10ffff", b"x\xf4\x90\x80\x80", "a code point above U+10FFFF (F4 90 80 80)"),
        ("f8", b"x\xf8\x88\x80\x80\x80", "a 5-byte form (F8 ...)")):
    raw = name if isinstance(name, bytes) else name.encode()
    rec = record("n" * len(raw), X)
    at = 48 + 16
    rec = rehash(rec[:at] + raw + rec[at + len(raw):])
    add("3-name-" + suffix, "all" if suffix == "control" else "info",
        "§3 a name is UTF-8 text without control characters and '=': "
        + what, NAME_ERE, rec)

ATTR_ERE = "malformed attributes"
for suffix, text, what in (
        ("no-newline", b"a=1", "the last line without its newline"),
        ("no-equals", b"junk\n", "a line without '='"),
        ("empty-key", b"=1\n", "an empty key"),
        ("empty-line", b"a=1\n\n", "an empty line"),
        ("key-65", b"k" * 65 + b"=1\n", "a key of 65 characters"),
        ("key-char", b"a b=1\n", "a space in a key"),
        ("key-utf8", "é=1\n".encode(), "a non-ASCII key"),
        ("nul-value", b"a=1\0\n", "a NUL in a value"),
        ("bad-utf8-value", b"a=\xff\n", "a value that is not UTF-8"),
        ("cut-utf8-value", b"a=\xe2\x82\n", "a value with a cut UTF-8 sequence"),
        ("surrogate-value", b"a=\xed\xa0\x80\n", "a UTF-16 surrogate in a value")):
    rec = record("x", X, "a" * len(text))
    at = 48 + 16 + 1
    rec = rehash(rec[:at] + text + rec[at + len(text):])
    add("6-attrs-" + suffix, "all" if suffix == "no-equals" else "info",
        "§6 attributes are lines key=value\\n: " + what, ATTR_ERE, rec)

# §9.3
b = bytearray(rx())
b[56] ^= 4                      # dims[1] 3 -> 7, hash not updated
add("9.3-header-hash", "all", "§9.3 header_hash (a flipped bit in dims)",
    "header checksum mismatch", bytes(b))

# §9.4 shapes
add("9.4-elements-overflow", "info", "§9.4 the element count fits 64 bits",
    r"more elements than 2\^64",
    record("x", dtype=9, dims=(1 << 33, 1 << 33, 4), payload=b""))
add("9.4-bytes-overflow", "info", "§9.4 the byte count (elements times "
    "element size) fits 64 bits", "over the limit",
    record("x", dtype=10, dims=(1 << 62,), payload=b""))
add("9.4-over-16GiB", "all", "§9.4 at most 2^34 bytes per record "
    "(2^32+1 f32)", "over the limit",
    record("x", dtype=9, dims=((1 << 32) + 1,), payload=b""))
add("9.4-nonzero-over-limit", "all", "§9.4 the product of the non-zero "
    "dims is within the limit too: (2^62, 0)", "more than .* rows or columns",
    record("x", dtype=9, dims=(1 << 62, 0), payload=b""))
add("9.4-nonzero-overflow", "info", "§9.4 the product of the non-zero dims "
    "fits 64 bits: (0, 2^33, 2^33, 4)", r"more elements than 2\^64",
    record("x", dtype=9, dims=(0, 1 << 33, 1 << 33, 4), payload=b""))

# §9.5 payload lengths
add("9.5-payload-len-short", "all", "§9.5/§7 payload_len equals the raw "
    "size (23 for 24)", "payload length 23 does not match",
    record("x", X, payload=XB[:23]))
add("9.5-payload-len-long", "info", "§9.5/§7 payload_len equals the raw "
    "size (25 for 24)", "payload length 25 does not match",
    record("x", X, payload=XB + b"\0"))
add("9.5-zstd-zero-len", "info", "§9.5 a ZSTD payload is not empty",
    "compressed payload length 0 is impossible",
    record("x", X, payload=b"", flags=ZSTD))
add("9.5-zstd-over-bound", "all", "§9.5 a ZSTD payload is at most the zstd "
    "compress bound of the raw size (64 for 1 byte)",
    "compressed payload length 65 is impossible",
    record("x", np.zeros((1, 1), "<u1"), flags=ZSTD,
           payload=zframe(b"\0") + bytes(65 - len(zframe(b"\0")))))

# §9 payload hash, §2 truncation
b = bytearray(rx())
b[-1] ^= 0x40
add("9-payload-hash", "all", "§9 payload_hash (a flipped bit in the "
    "payload)", "payload checksum mismatch", bytes(b))
add("2-truncated-header", "info", "§2 1..47 bytes left: truncated",
    "truncated record header", rx()[:30])
add("2-truncated-header-rest", "info", "§2 a record ends inside its header",
    "truncated record header", rx()[:60])
add("2-truncated-payload", "all", "§2 a record ends inside its payload",
    "truncated payload", rx()[:-5])
add("2-trailing-bytes", "data", "§2 nothing after the last record (20 "
    "stray bytes)", "record 2 .*truncated record header",
    rx() + ry() + bytes(20))

# §8 chunks (the network reader says it its own way)
ORPHAN = "continues no tensor|does not follow its tensor"
add("8-cont-rank0", "all", "§8 a CONT record has rank 1 or more",
    "CONT.*rank 1", record("x", np.array(1.0, "<f4"), flags=CONT))
add("8-cont-orphan", "data", "§8 a CONT record continues an open tensor of "
    "its name (it is the first record)", ORPHAN, rx(flags=CONT) + ry())
add("8-cont-orphan-later", "info", "§8 a CONT record continues an open "
    "tensor of its name (after another tensor)", ORPHAN,
    ry() + rx(flags=CONT))
add("8-cont-dtype", "data", "§8 a chunk has the dtype of its tensor",
    r"chunk of 'x' is f64 \(2,3\) but the tensor is f32",
    rx() + ry() + record("x", X.astype("<f8"), flags=CONT) + ry(flags=CONT))
add("8-cont-rank", "info", "§8 a chunk has the rank of its tensor",
    r"chunk of 'x' is f32 \(6\) but the tensor is f32",
    rx() + ry() + record("x", X.reshape(6), flags=CONT) + ry(flags=CONT))
add("8-cont-inner-dims", "info", "§8 a chunk has the dims[1..] of its tensor",
    r"chunk of 'x' is f32 \(1,6\) but the tensor is f32",
    rx() + ry() + record("x", X.reshape(1, 6), flags=CONT)
    + record("y", Y[:1], flags=CONT))

# ... in the files of the roles: a network, statistics, Gram statistics
add("8-cont-orphan-net", "keys=forward-net,reweight-dec", "§8 an orphan "
    "chunk in a network (w CONT)", ORPHAN,
    record("w", np.full((4, 3), 0.5, "<f4"), flags=CONT))
st = "producer=nn-standardize 0.1\nof=x\nrows=6\n"
add("8-cont-orphan-stats", "keys=std-stats", "§8 an orphan chunk in "
    "statistics (mean CONT)", ORPHAN,
    record("mean", np.ones(3), st, flags=CONT) + record("std", np.ones(3), st))
add("8-cont-orphan-gram", "keys=fit-G", "§8 an orphan chunk in Gram "
    "statistics (gram CONT, with the attributes of a first part)", ORPHAN,
    record("gram", np.diag([5.0, 2.0, 3.0, 2.0]), "nz=1\nny=2\nrows=5\n"
           "targets=onehot\n", flags=CONT))

# §7 zstd frames: decoding tools check them (a copying tool checks only
# payload_hash, which is right for these)
add("7-zstd-wrong-size", "decode", "§7 the frame decodes to the raw size "
    "(it declares and holds 20 of 24 bytes)", "zstd frame holds 20 bytes",
    rx(payload=zframe(XB[:20]), flags=ZSTD))
add("7-zstd-two-frames", "info", "§7 exactly one zstd frame (two of 12 "
    "bytes)", "not exactly one zstd frame",
    rx(payload=zframe(XB[:12]) + zframe(XB[12:]), flags=ZSTD))
add("7-zstd-trailing-byte", "info", "§7 exactly one zstd frame (a byte "
    "after it)", "not exactly one zstd frame",
    rx(payload=zframe(XB) + b"\0", flags=ZSTD))
add("7-zstd-not-a-frame", "info", "§7 the payload is a zstd frame "
    "(text)", "not exactly one zstd frame",
    rx(payload=b"not a zstd frame", flags=ZSTD))
add("7-zstd-short", "decode", "§7 the frame decodes to the raw size (no "
    "declared size, 20 of 24 bytes)", "does not decode to the 24 bytes",
    rx(payload=zframe(XB[:20], size=False), flags=ZSTD))
add("7-zstd-long", "info", "§7 the frame decodes to the raw size (no "
    "declared size, 28 for 24 bytes)", "does not decode to the 24 bytes",
    rx(payload=zframe(XB + b"\0" * 4, size=False), flags=ZSTD))
add("7-zstd-checksum", "decode", "§7 a valid frame: its content checksum "
    "fails", "zstd",
    rx(payload=zframe(XB, checksum=True)[:-4] + b"\0\0\0\0", flags=ZSTD))
f = bytearray(zframe(XB))
f[10] |= 6                      # the first block's type: 3, reserved
add("7-zstd-reserved-block", "info", "§7 a valid frame: a block of the "
    "reserved type 3", "zstd", rx(payload=bytes(f), flags=ZSTD))

# accepted: what a reader must not refuse
add("ok-data", "ok", "a valid data set: x (6,3) f32, y (6,) i32 classes=3",
    "", data6())
add("ok-empty", "ok", "§2 an empty file is an empty stream", "", b"")
add("ok-minor-9", "ok", "§3 a reader accepts any minor", "",
    patch(rx(), 5, "B", 9))
add("ok-ancillary-flags", "ok", "§5 ancillary flags 16 and 31 are ignored "
    "(and kept by copies)", "", rx(flags=(1 << 16) | (1 << 31)))
add("ok-reserved", "ok", "§3 reserved is ignored", "",
    patch(rx(), 42, "<H", 0xffff))
r = rx()
pad = 72 - (48 + 16 + 1)
add("ok-padding", "ok", "§3 padding is ignored, even 16 more bytes of "
    "non-zero data", "", patch(r[:65] + b"\xaa" * pad + b"\x55" * 16 + r[72:],
                               8, "<I", 88))
add("ok-name-255", "ok", "§3 name_len 255", "", record("n" * 255, X))
add("ok-name-utf8", "ok", "§3 a name of 2-, 3- and 4-byte UTF-8", "",
    record("χ²€😀", X))
add("ok-attr-len-65536", "ok", "§6 attr_len 65536", "",
    record("x", X, "k=" + "v" * 65533 + "\n"))
add("ok-attrs-empty-value", "ok", "§6 an empty value", "",
    record("x", X, "a=\n"))
add("ok-rank-0", "ok", "§3 rank 0: one element", "",
    record("s", np.array(7, "<i8")))
add("ok-rank-8", "ok", "§3 rank 8", "",
    record("x", X.reshape((1,) * 6 + (2, 3))))
add("ok-zero-rows", "ok", "§7 a tensor of no rows", "",
    record("x", np.zeros((0, 3), "<f4")))
add("ok-16GiB-of-nothing", "ok", "§9.4 (2^32, 0) f32: 2^32 rows of nothing "
    "are within the limit of 2^34/4", "",
    record("e", dtype=9, dims=(1 << 32, 0), payload=b""))
add("ok-zstd-no-size", "ok", "§7 a frame that does not declare its size", "",
    rx(payload=zframe(XB, size=False), flags=ZSTD))
add("ok-zstd-checksum", "ok", "§7 a frame with a content checksum", "",
    rx(payload=zframe(XB, checksum=True), flags=ZSTD))
add("ok-chunks", "ok", "§8 chunks joined across another tensor's records",
    "", rx() + ry() + rx(flags=CONT) + ry(flags=CONT))

# classes: valid streams that some tools must refuse (README.md)
G = np.eye(3)
add("class-gram-nz-wrap", "class", "a gram record (3,3) whose nz and ny add "
    "up to 3 modulo 2^64 (nz=2^63, ny=2^63+2)", "nz|ny",
    record("gram", G, "producer=nn-fit-layer 0.1\nnz=9223372036854775808\n"
           "ny=9223372036854775810\nrows=10\ntargets=onehot\n"))
g = np.diag([5.0, 2.0, 3.0, 2.0])
g[1, 2] = g[2, 1] = np.nan
add("class-gram-nan", "class", "a gram record (4,4), nz=1 ny=2, holding NaN",
    "NaN|nan|not finite",
    record("gram", g, "producer=nn-fit-layer 0.1\nnz=1\nny=2\nrows=5\n"
           "targets=onehot\n"))
ERE = {"nan": "NaN|nan", "inf": "[Ii]nf"}
for what, v in (("nan", np.nan), ("inf", np.inf)):
    x = X6.copy(); x[4, 1] = v
    add("class-x-" + what, "class", "%s in x (row 4, column 1)" % what,
        ERE[what], data6(x=x))
    oh = np.eye(3, dtype="<f4")[Y6]; oh[3, 2] = v
    add("class-y-" + what, "class", "%s in one-hot f32 targets y (row 3, "
        "column 2)" % what, ERE[what],
        record("x", X6) + record("y", oh))
for v in ("50000000", "0", "ten"):
    add("class-classes-" + v, "class", "index labels y with classes=" + v,
        "classes=" + v, data6(yattrs="classes=%s\n" % v))
BOMB = 131072 * 4096 * 4
add("class-zstd-bomb", "class", "x (131072,4096) f32: a 64 KiB zstd frame "
    "of 2 GiB of zeros; y (131072,) u8 classes=2", "",
    record("x", dtype=9, dims=(131072, 4096), payload=zbomb(BOMB), flags=ZSTD)
    + record("y", dtype=1, dims=(131072,), attrs="classes=2\n",
             payload=zbomb(131072), flags=ZSTD))
add("class-zero-width", "class", "x and y f32 of shape (2^32, 0): rows of "
    "nothing, within the limit", "",
    record("x", dtype=9, dims=(1 << 32, 0), payload=b"")
    + record("y", dtype=9, dims=(1 << 32, 0), payload=b""))
add("class-stats-nan-mean", "class", "nn-standardize statistics: mean "
    "(3,) f64 holding NaN", "NaN|nan|not finite",
    record("mean", np.array([1.0, np.nan, 1.0]), st)
    + record("std", np.array([1.0, 1.0, 1.0]), st))
add("class-stats-neg-std", "class", "nn-standardize statistics: std (3,) "
    "f64 holding -1", "'std'.*-1|negative",
    record("mean", np.array([1.0, 1.0, 1.0]), st)
    + record("std", np.array([1.0, -1.0, 1.0]), st))
w = np.full((4, 3), 0.5, "<f4"); w[2, 1] = np.nan
add("class-net-w-nan", "class", "a network of one layer 3-3 whose w holds "
    "NaN", "NaN|nan|not finite",
    record("w", w, "activation=identity\nlayer=1\n"))

# ------------------------------------------------------------ README

README = """\
# tests/golden — hostile streams

One file per rejection rule of formats/nns.md (§9 "Limits and
validation", and the rules of §2, §3, §6, §7 and §8 that the reader
enforces), one per class of hostile input of issue 10, and valid edge
cases that a reader must not refuse.  Written by `make.py` (deterministic:
run it again and `git status` shows nothing; tests/cli/golden.sh checks
that), run by tests/cli/golden.sh through every tool that reads streams.
A file's name starts with the section of formats/nns.md whose rule it
breaks.  `index.tsv` is the table below for the test.

A refusal passes when the tool exits 1 with nothing on stdout and one line
on stderr, `nn-TOOL: ...`, matching the ERE (the conditions of
`fails_clean` in tests/lib.sh); every run is under `timeout`, so a hang is
a failure.

## The tools

golden.sh runs these keys (`net.nns` is `nn-init 3-3`, `stats.nns` is
`nn-standardize --fit ok-data.nns`; F is the golden file):

| key | invocation | F is |
|-----|------------|------|
| info | `nn-info F` | data, decoded |
| info-H | `nn-info -H F` | data, hash checked, not decoded |
| cat | `nn-cat F` | data, copied |
| slice | `nn-slice 0:1 F` | data, copied or cut |
| pick | `nn-pick '*' < F` | data, copied |
| split | `nn-split --shards 2 P F`; a failure must leave no shard | data, copied or cut |
| export | `nn-export -f npy F` | data, decoded |
| std-fit | `nn-standardize --fit F` | data, decoded |
| std | `nn-standardize --stats stats.nns F` | data: x decoded, the rest copied |
| forward | `nn-forward net.nns F` | data, decoded |
| eval | `nn-eval F` | data, decoded |
| eval-lsd | `nn-eval --lsd x F` (classes only) | data, decoded |
| fit | `nn-fit-layer -m output F` | data, decoded |
| kfilter | `nn-kfilter -k 1 F` | data, decoded |
| reweight | `nn-reweight net.nns F` | data, decoded |
| std-stats | `nn-standardize --stats F ok-data.nns` | STATS |
| forward-net | `nn-forward F ok-data.nns` | NET |
| fit-G | `nn-fit-layer -m output -G F` | Gram statistics |
| reweight-dec | `nn-reweight F ok-data.nns` | DECISION network |

nn-import reads npy, IDX and CSV, not streams; nn-init and nn-toy read
nothing.

## Rule files: applies

- `all`: the bad record is the first.  Every key (the data keys and the
  four roles) must refuse F, and info and fit also on stdin (`< F`).
- `data`: the bad record follows good ones: every data key, and info and
  fit on stdin.  (As NET or STATS the file is refused earlier, rightly,
  for holding data.)
- `decode`: the zstd frame is wrong but the payload hash is right.  A tool
  that copies a record without decoding it rightly passes it on (§7: the
  hash "can be checked ... by a tool that copies a record without decoding
  it"), so cat, slice, pick and split run with `-d` (they must decode),
  info-H is left out, and every other key must refuse F; info also on
  stdin.
- `info`: another case of a rule that an `all` file runs through every
  tool: nn-info on F and on stdin.
- `keys=...`: those keys only (an orphan chunk in a network, statistics,
  Gram statistics: what their own readers must refuse).
- `ok`: a valid stream.  `nn-info F` exits 0; `nn-cat F` and
  `nn-pick '*' < F` copy it byte for byte (padding, ancillary flags and
  reserved bits kept: §3, §5).

## Classes: which tool is responsible

A class file is a valid stream with hostile content.  The keys marked R
must refuse it with the ERE; the keys marked s must *survive* it: exit 0,
or exit 1 with one clean `nn-TOOL: ...` line; no crash, no hang, whatever
they write discarded.  A tool that never looks at the values rightly
passes a NaN through (nn-cat of a NaN tensor is fine), and so do the
elementwise transforms (nn-forward, nn-standardize --stats: NaN in, NaN out);
the tools that fit or score refuse it, as does a reader of statistics or
weights that would spread it to every row.

| class | R: must refuse | s: must survive |
|-------|----------------|-----------------|
| class-x-nan, class-x-inf | fit, kfilter, std-fit, reweight, eval (x are the predictions), eval-lsd | info, info-H, cat, slice, pick, split, export, std, forward |
| class-y-nan | fit, eval, eval-lsd, kfilter, reweight | info, info-H, cat, slice, pick, split, export, std-fit, std, forward |
| class-y-inf | fit, eval, eval-lsd, reweight | kfilter (labels as scores: +inf is the largest), and the others of y-nan |
| class-classes-50000000, -0, -ten | fit, eval, eval-lsd, kfilter, reweight | info, info-H, cat, slice, pick, split, export, std-fit, std, forward |
| class-gram-nz-wrap, class-gram-nan | fit-G | info |
| class-stats-nan-mean, class-stats-neg-std | std-stats | info |
| class-net-w-nan | reweight-dec (its weights d would spread the NaN into the next fit) | info, forward-net (NaN weights give NaN outputs, as NaN inputs do: eval refuses them downstream) |
| class-zstd-bomb | none | every key, under `ulimit -v` 512 MiB: exit 0 or a clean out-of-memory error, not a kill |
| class-zero-width | none | every key, under `ulimit -v` 512 MiB and the timeout: 2^32 rows of nothing must not be looped over one by one |

The ulimit checks are skipped (`# SKIP`) when the tools cannot run under
it: the ASan build reserves terabytes of address space.

## The files

| file | applies | rule | ERE |
|------|---------|------|-----|
"""

def md(s):
    return s.replace("|", "\\|")

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    names = set()
    index = []
    for name, applies, rule, ere, data in FILES:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(out, name + ".nns"), "wb") as f:
            f.write(data)
        index.append("%s.nns\t%s\t%s\n" % (name, applies, ere))
    with open(os.path.join(out, "index.tsv"), "w") as f:
        f.write("# file\tapplies\tERE (written by make.py)\n")
        f.writelines(index)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(README)
        for name, applies, rule, ere, data in FILES:
            f.write("| %s.nns | %s | %s | %s |\n" % (
                name, applies, md(rule), "`%s`" % md(ere) if ere else ""))

if __name__ == "__main__":
    main()

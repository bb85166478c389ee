#!/usr/bin/python3
"""Writes the cross-format test fixtures under testdata/formats/.

Run from the repository root:  /usr/bin/python3 scripts/make_format_fixtures.py
then write the Parquet files from the .npy this script leaves (Debian has no
pyarrow, so parquet-go writes them):
    go test ./io/parquetmat -run TestWriteFixtures -write-fixtures

Needs Debian's python3-numpy. Output is deterministic; all files together are
< 50 KB. Every file holds the same 37x11 float64 matrix M (or a rounding of
it) unless stated:

  m.csv                      M, one row a line, Python repr (round-trips exactly)
  m_c.npy   m_f.npy          <f8, C and Fortran order
  m.npz                      np.savez (stored):  m = M, labels = int64 (37,), v = float64 (5,)
  m_deflate.npz              np.savez_compressed of the same arrays
  m_f64.safetensors          one tensor "m", F64
  m_f32.safetensors          one tensor "m", F32 (M rounded to float32)
  m_bf16.safetensors         one tensor "m", BF16 (float32(M) rounded to nearest even)
  multi.safetensors          "emb" F32 shape (37, 11, 1) = float32(M); "layers.0.weight"
                             F16 (37, 11) = float16(M); "layers.0.bias" F32 (11,);
                             "counts" I64 (37,); __metadata__ {"format": "pt"}
  m.idx                      IDX double (type 0x0E), 2-D 37x11
  img-idx3-ubyte             IDX ubyte images, shape (6, 4, 5): a small uint8 stack U
  img-idx3-ubyte.gz          the same, gzipped (mtime 0)
  labels.idx1-ubyte          IDX ubyte labels, shape (6,)
  img.csv  labels.csv        U as 6x20, the labels as 6x1
  m_list.parquet             (Go) list<double> column "x" + int64 "label"; 4 row groups of 10
  m_wide.parquet             (Go) double columns c00..c10 + int64 "label"; row groups of 10
"""
import gzip
import json
import os
import struct

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "formats")
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def savecsv(name, a):
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    with open(path(name), "w") as f:
        for row in a:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def bf16_bits(a):
    """Rounds float32 values to bfloat16, nearest even; returns uint16 bits."""
    u = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(a)
    r[nan] = ((u[nan] >> 16).astype(np.uint16) | 0x40)
    return r


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw little-endian bytes)."""
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def idx(type_code, a):
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    head = bytes([0, 0, type_code, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape)
    return head + np.ascontiguousarray(a, dtype=dt).tobytes()


rng = np.random.default_rng(20250117)
m = rng.standard_normal((37, 11)) * np.array([1, 1e-3, 1e3, 7, 1e-8, 1, 2, 3, 1e5, 1e-5, 1])
m[0, :6] = [0.0, 1.0, -2.0, 3.5, 1e30, -0.0]
m[1, 0] = 1e-40  # a float32 and bfloat16 subnormal
m[:, 3] = np.round(m[:, 3])

savecsv("m.csv", m)
np.save(path("m_c.npy"), m)
np.save(path("m_f.npy"), np.asfortranarray(m))
labels = np.arange(37, dtype=np.int64) % 10
v = np.array([1.5, -2.25, 0.0, 3.0, 4.0])
np.savez(path("m.npz"), m=m, labels=labels, v=v)
np.savez_compressed(path("m_deflate.npz"), m=m, labels=labels, v=v)

f32 = m.astype("<f4")
write("m_f64.safetensors", safetensors([("m", "F64", m.shape, m.astype("<f8").tobytes())]))
write("m_f32.safetensors", safetensors([("m", "F32", m.shape, f32.tobytes())]))
write("m_bf16.safetensors", safetensors([("m", "BF16", m.shape, bf16_bits(f32).astype("<u2").tobytes())]))
with np.errstate(over="ignore"):  # float16 overflows to inf beyond 65504, as intended
    f16 = m.astype("<f2")
write("multi.safetensors", safetensors([
    ("emb", "F32", (37, 11, 1), f32.tobytes()),
    ("layers.0.weight", "F16", (37, 11), f16.tobytes()),
    ("layers.0.bias", "F32", (11,), np.linspace(-1, 1, 11).astype("<f4").tobytes()),
    ("counts", "I64", (37,), labels.astype("<i8").tobytes()),
], metadata={"format": "pt"}))

write("m.idx", idx(0x0E, m))
u = rng.integers(0, 256, size=(6, 4, 5), dtype=np.uint8)
u[0, 0, :] = [0, 1, 127, 128, 255]
img = idx(0x08, u)
write("img-idx3-ubyte", img)
write("img-idx3-ubyte.gz", gzip.compress(img, mtime=0))
lab = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
write("labels.idx1-ubyte", idx(0x08, lab))
savecsv("img.csv", u.reshape(6, -1))
savecsv("labels.csv", lab)

total = sum(os.path.getsize(path(n)) for n in os.listdir(out))
print(f"wrote {out}: {total} bytes")

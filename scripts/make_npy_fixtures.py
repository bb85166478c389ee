#!/usr/bin/python3
"""Writes the .npy test fixtures under testdata/npy/ with NumPy itself.

Run from the repository root:  /usr/bin/python3 scripts/make_npy_fixtures.py
Needs Debian's python3-numpy. Output is deterministic; every file is < 10 KB.

Files (all hold the same 37x5 matrix M unless stated):
  c_f8_v1.npy  f_f8_v1.npy      <f8, C and Fortran order, format 1.0
  c_f4_v1.npy  f_f4_v1.npy      <f4 (M rounded to float32)
  be_c_f8.npy  be_f_f4.npy      big-endian >f8 (C order), >f4 (Fortran order)
  c_f8_v2.npy  f_f8_v3.npy      format versions 2.0 and 3.0
  c_f2_v1.npy                   <f2 (M rounded to float16)
  vec_f8.npy                    1-D float64, 7 elements
  m.csv   m_f4.csv  m_f2.csv    M, float32(M), float16(M) as CSV, 17 significant digits
  vec.csv                       the 1-D vector, one value a line
  object.npy                    object dtype '|O' (holds a pickle; must be refused)
  bad_header.npy                c_f8_v1.npy with 'shape' misspelt in the header
  truncated.npy                 c_f8_v1.npy cut 100 bytes short
"""
import os

import numpy as np
from numpy.lib import format as npfmt

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "npy")
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


def save(name, a, version=None):
    with open(path(name), "wb") as f:
        npfmt.write_array(f, a, version=version, allow_pickle=False)


def savecsv(name, a):
    np.savetxt(path(name), np.asarray(a, dtype=np.float64).reshape(len(a), -1),
               fmt="%.17g", delimiter=",")


rng = np.random.default_rng(20240531)
# Mixed magnitudes and signs, plus exact small integers and a zero.
m = rng.standard_normal((37, 5)) * np.array([1.0, 1e-3, 1e3, 7.0, 1e-8])
m[0, :] = [0.0, 1.0, -2.0, 3.5, 1e300]
m[:, 3] = np.round(m[:, 3])
m[0, 4] = 1e30  # representable (if rounded) in float32; 1e300 is not

save("c_f8_v1.npy", m, (1, 0))
save("f_f8_v1.npy", np.asfortranarray(m), (1, 0))
save("c_f4_v1.npy", m.astype("<f4"), (1, 0))
save("f_f4_v1.npy", np.asfortranarray(m.astype("<f4")), (1, 0))
save("be_c_f8.npy", m.astype(">f8"), (1, 0))
save("be_f_f4.npy", np.asfortranarray(m.astype(">f4")), (1, 0))
save("c_f8_v2.npy", m, (2, 0))
save("f_f8_v3.npy", np.asfortranarray(m), (3, 0))
h = m.copy()
h[0, 4] = 6e4  # float16 max is 65504
h[1, 1] = 3e-6  # a float16 subnormal
save("c_f2_v1.npy", h.astype("<f2"), (1, 0))
savecsv("m.csv", m)
savecsv("m_f4.csv", m.astype(np.float32))
savecsv("m_f2.csv", h.astype(np.float16))

vec = np.array([1.5, -2.25, 0.0, 1e-300, 3.0, 4.0, 5.0])
save("vec_f8.npy", vec, (1, 0))
savecsv("vec.csv", vec)

obj = np.empty(3, dtype=object)
obj[:] = [1.0, "a", None]
with open(path("object.npy"), "wb") as f:
    npfmt.write_array(f, obj, version=(1, 0), allow_pickle=True)

good = open(path("c_f8_v1.npy"), "rb").read()
bad = good.replace(b"'shape'", b"'shap' ", 1)
assert len(bad) == len(good)
open(path("bad_header.npy"), "wb").write(bad)
open(path("truncated.npy"), "wb").write(good[:-100])

for name in sorted(os.listdir(out)):
    size = os.path.getsize(path(name))
    assert size < 10 * 1024, (name, size)
    print(f"{size:6d}  testdata/npy/{name}")

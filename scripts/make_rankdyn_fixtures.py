#!/usr/bin/python3
"""Writes the rank_dynamics test fixtures under testdata/rankdyn/ and the
NumPy reference values the Go tests compare against (expected.json).

Run from anywhere:  /usr/bin/python3 scripts/make_rankdyn_fixtures.py
Needs Debian's python3-numpy only. Output is deterministic (seeded
generator, sorted JSON); all files together are about 40 KB.

Checkpoint series (each weight W evolves as W_{t+1} = W_t + 0.3·N(0, 1)):

  st/step-000100.safetensors  st/step-000200.safetensors  st/step-000300.safetensors
      "layers.0.attn.weight"  F64 (24, 16)
      "layers.0.mlp.weight"   F64 (4, 6, 5)   read as 4 x 30
      "layers.0.attn.bias"    F64 (16,)       skipped: rank 1
      "pos_ids"               I64 (1, 8)      skipped: integer dtype
      "half.weight"           F16 (10, 6)     values k/8, |k| < 256: exact in float16
      "bf.weight"             BF16 (10, 6)    values k/8, |k| < 128: exact in bfloat16
      "f32.weight"            F32 (12, 9)     float32 values, exact in float64
  npy/w_100.npy  npy/w_250.npy     <f8 (20, 12), listed by npy/manifest.csv
                                   (header step,path; steps 100 and 250), tensor "w"
  npz/ckpt_5.npz  npz/ckpt_7.npz   np.savez: "a" <f8 (8, 5), "v" <f8 (5,) (skipped)

expected.json holds, for every (step, tensor) analysed, the NumPy float64
reference of each metric of the rank_dynamics table over the full spectrum
(exact path), with k = 4 and welore_tau = 0.1:
  sigma (all), stable_rank ‖A‖_F²/σ₁², rankme exp(−Σ p log p) with
  p = σ/Σσ + 1e-7, alpha_req and alpha_req_r2 (OLS of log σ² on log i over
  all i), energy ranks, nuclear, Frobenius and spectral norms, spectral
  entropy, welore_rank (min-max normalised σ ≥ τ);
and for each tensor the principal angles (radians, ascending) between the
top-4 right singular subspaces of consecutive steps, computed as in
linalg.PrincipalAngles (arccos of the singular values of V1ᵀV2 where cos² < ½,
else arcsin of those of V2 − V1(V1ᵀV2)), and the overlap ‖V1ᵀV2‖_F²/4.
"""
import json
import os
import struct

import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "rankdyn")
K = 4
TAU = 0.1


def bf16_bits(a):
    """Bits of float32(a) as bfloat16; a must be exact in bfloat16."""
    u = np.asarray(a, dtype="<f4").view("<u4")
    assert np.all(u & 0xFFFF == 0), "value not exact in bfloat16"
    return (u >> 16).astype("<u2")


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype, shape, raw bytes), in file order."""
    header, off, blobs = {}, 0, []
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def metrics(a):
    s = np.linalg.svd(a, compute_uv=False)
    frob2 = float(np.sum(a * a))
    p = s / s.sum() + 1e-7
    i = np.arange(1, len(s) + 1)
    x, y = np.log(i), np.log(s**2)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    r2 = 1 - np.sum(resid**2) / np.sum((y - y.mean()) ** 2)
    cum = np.cumsum(s**2)
    er = {str(int(q * 100)): int(np.searchsorted(cum, q * frob2) + 1) for q in (0.9, 0.95, 0.99)}
    q = s**2 / np.sum(s**2)
    sn = (s - s[-1]) / (s[0] - s[-1])
    return {
        "rows": a.shape[0], "cols": a.shape[1],
        "sigma": s.tolist(),
        "stable_rank": frob2 / s[0] ** 2,
        "rankme": float(np.exp(-np.sum(p * np.log(p)))),
        "alpha_req": float(-slope), "alpha_req_r2": float(r2),
        "energy_rank": er,
        "nuclear_norm": float(s.sum()), "frobenius_norm": float(np.sqrt(frob2)), "spectral_norm": float(s[0]),
        "spectral_entropy": float(-np.sum(q * np.log(q))),
        "welore_rank": int(np.sum(sn >= TAU)),
    }


def top_v(a):
    _, _, vt = np.linalg.svd(a, full_matrices=False)
    return vt[:K].T


def angles(v1, v2):
    c = v1.T @ v2
    cos = np.linalg.svd(c, compute_uv=False)
    sin = np.linalg.svd(v2 - v1 @ c, compute_uv=False)[::-1]
    th = np.where(cos**2 < 0.5, np.arccos(np.clip(cos, 0, 1)), np.arcsin(np.clip(sin, 0, 1)))
    return np.sort(th).tolist(), float(np.sum(c * c) / K)


rng = np.random.default_rng(20240611)
expected = {"k": K, "welore_tau": TAU, "matrices": [], "drift": []}
mats = {}  # tensor -> [(step, matrix as read)]


def record(step, name, a):
    m = metrics(a)
    m.update(step=step, tensor=name)
    expected["matrices"].append(m)
    mats.setdefault(name, []).append((step, a))


# safetensors series
os.makedirs(os.path.join(root, "st"), exist_ok=True)
attn = rng.standard_normal((24, 16))
mlp = rng.standard_normal((4, 6, 5))
bias = rng.standard_normal(16)
half = rng.integers(-255, 256, size=(10, 6))
bf = rng.integers(-127, 128, size=(10, 6))
f32 = rng.standard_normal((12, 9)).astype(np.float32)
for step in (100, 200, 300):
    ts = [
        ("layers.0.attn.weight", "F64", attn.shape, attn.astype("<f8").tobytes()),
        ("layers.0.mlp.weight", "F64", mlp.shape, mlp.astype("<f8").tobytes()),
        ("layers.0.attn.bias", "F64", bias.shape, bias.astype("<f8").tobytes()),
        ("pos_ids", "I64", (1, 8), np.arange(8, dtype="<i8").tobytes()),
        ("half.weight", "F16", half.shape, (half / 8).astype("<f2").tobytes()),
        ("bf.weight", "BF16", bf.shape, bf16_bits(bf / 8).tobytes()),
        ("f32.weight", "F32", f32.shape, f32.astype("<f4").tobytes()),
    ]
    write_safetensors(os.path.join(root, "st", "step-%06d.safetensors" % step), ts)
    assert np.array_equal((half / 8).astype(np.float16).astype(np.float64), half / 8)
    record(step, "layers.0.attn.weight", attn.copy())
    record(step, "layers.0.mlp.weight", mlp.reshape(4, 30).copy())
    record(step, "half.weight", half / 8)
    record(step, "bf.weight", bf / 8)
    record(step, "f32.weight", f32.astype(np.float64))
    attn = attn + 0.3 * rng.standard_normal(attn.shape)
    mlp = mlp + 0.3 * rng.standard_normal(mlp.shape)
    bias = bias + 0.3 * rng.standard_normal(bias.shape)
    half = np.clip(half + rng.integers(-20, 21, size=half.shape), -255, 255)
    bf = np.clip(bf + rng.integers(-10, 11, size=bf.shape), -127, 127)
    f32 = (f32 + 0.3 * rng.standard_normal(f32.shape)).astype(np.float32)

# npy series with a manifest
os.makedirs(os.path.join(root, "npy"), exist_ok=True)
w = rng.standard_normal((20, 12))
with open(os.path.join(root, "npy", "manifest.csv"), "w") as f:
    f.write("step,path\n")
    for step in (100, 250):
        name = "w_%d.npy" % step
        np.save(os.path.join(root, "npy", name), w)
        f.write("%d,%s\n" % (step, name))
        record(step, "w", w.copy())
        w = w + 0.3 * rng.standard_normal(w.shape)

# npz series
os.makedirs(os.path.join(root, "npz"), exist_ok=True)
a = rng.standard_normal((8, 5))
for step in (5, 7):
    np.savez(os.path.join(root, "npz", "ckpt_%d.npz" % step), a=a, v=rng.standard_normal(5))
    record(step, "a", a.copy())
    a = a + 0.3 * rng.standard_normal(a.shape)

for name in sorted(mats):
    series = sorted(mats[name], key=lambda x: x[0])
    for (s1, a1), (s2, a2) in zip(series, series[1:]):
        th, ov = angles(top_v(a1), top_v(a2))
        expected["drift"].append({"tensor": name, "step_from": s1, "step_to": s2, "principal_angles": th, "subspace_overlap": ov})

with open(os.path.join(root, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")

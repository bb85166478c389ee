#!/usr/bin/python3
"""Writes testdata/spectrum/golden.json: test matrices with known spectra, their LAPACK
singular values and scikit-learn's randomized_svd singular values, for the Go tests of
linalg's spectrum methods (linalg/tsqr_test.go, linalg/passes_test.go).

Run from the repository root:  /usr/bin/python3 scripts/make_spectrum_goldens.py
Needs Debian's python3-numpy, python3-scipy and python3-sklearn. Deterministic; output ~0.3 MB.

The matrices are stored as small factors from which NumPy here and Go in the tests rebuild
bit-identical float64 matrices, with exactly known singular values:

    A = 2^-e * U diag(s) V^T        (m x n)
    U[i, j] = H_m[row_perm[i], u_cols[j]]          m x r, entries +-1
    V[k, j] = v_signs[k] * H_n[k, v_cols[j]]       n x r, entries +-1

H_N is the Sylvester Hadamard matrix of order N (a power of two), H[i, j] = (-1)^popcount(i & j)
(scipy.linalg.hadamard's construction; checked below). Its columns are orthogonal with norm
sqrt(N), so A's singular values are exactly  sigma_j = s_j * 2^-e * sqrt(m * n)  (m = N rows,
all of them, permuted). The s_j are integers up to 2^24 and r <= 512, so every partial sum of
U diag(s) V^T is an integer below 2^53: any summation order (NumPy's BLAS, gonum, with or
without FMA) gives the same float64 matrix, and scaling by 2^-e is exact.

u_cols never contains column 0 (the all-ones column), so every column of U sums to zero over
the m rows: 1^T A = 0 and A is already column-centred. The "offset" variants add an integer
multiple of 2^-e to each column, A + 1 mu^T (mu_k = offset[k] * 2^-e, |mu_k| <= 100, far larger
than the spread of A's entries, ~1): exact in float64 (all values are integers times 2^-e below
2^53), and the centred spectrum of A + 1 mu^T is exactly that of A, while forming
(A + 1mu^T)^T (A + 1mu^T) - m mu mu^T would cancel ~(100/1)^2 of the digits.

Cases:
  powerlaw   2048 x 256, s_j ~ j^-1.3, j = 1..256 (no gap)
  flatdrop   2048 x 256, s_j = 1 for j <= 25, then 0.01 * 25 / j (a drop of 100 between k+5 and l)
  lowrank    2048 x 256, rank 12 < l = 30, s_j = 2^(-(j-1)/2)
  powerlaw_big  8192 x 512, s_j ~ j^-1.3: the shape of issue 12's 8,000 x 400 measurement

Variants (each with LAPACK sigma, all min(m, n) values, numpy.linalg.svd / gesdd):
  plain            A, not centred
  offset           A + 1 mu^T, not centred (a spike of ~sqrt(m) * |mu| on top)
  offset_centered  A + 1 mu^T centred by NumPy: (A + 1mu^T) - mean(A + 1mu^T, axis=0)

scikit-learn: randomized_svd(X, n_components=20, n_oversamples=10, n_iter=7,
random_state=seed) for seeds 0..4 (power_iteration_normalizer 'auto' = LU), on X the variant's
matrix (centred explicitly for offset_centered, as sklearn's PCA does); 20 sigma per seed.
"""
import json
import os

import numpy as np
import scipy
import scipy.linalg
import sklearn
from sklearn.utils.extmath import randomized_svd

K, OVERSAMPLE, N_ITER = 20, 10, 7
SKLEARN_SEEDS = [0, 1, 2, 3, 4]
SCALE_EXP = 24
OFFSET_MAX = 100

out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "spectrum")
os.makedirs(out_dir, exist_ok=True)


def popcount(x):
    x = np.asarray(x, dtype=np.uint64)
    c = np.zeros(x.shape, dtype=np.uint64)
    while np.any(x):
        c += x & np.uint64(1)
        x = x >> np.uint64(1)
    return c


def hadamard_entries(rows, cols):
    """H[rows[i], cols[j]] of the Sylvester Hadamard matrix, as float64 +-1."""
    bits = popcount(np.bitwise_and(np.asarray(rows, np.uint64)[:, None], np.asarray(cols, np.uint64)[None, :]))
    return np.where(bits % 2 == 0, 1.0, -1.0)


def design(name, m, n, s_float, seed):
    rng = np.random.default_rng(seed)
    r = len(s_float)
    s = np.round(np.asarray(s_float) * 2.0**SCALE_EXP).astype(np.int64)
    assert np.all(s > 0) and np.all(s <= 2**24)
    row_perm = rng.permutation(m)
    u_cols = 1 + rng.choice(m - 1, size=r, replace=False)  # never column 0
    v_signs = rng.choice([-1, 1], size=n)
    v_cols = rng.choice(n, size=r, replace=False)
    offset = rng.integers(-OFFSET_MAX * 2**SCALE_EXP, OFFSET_MAX * 2**SCALE_EXP, size=n, endpoint=True)
    return dict(
        name=name, m=m, n=n, rank=r, scale_exp=SCALE_EXP,
        s=s.tolist(), row_perm=row_perm.tolist(), u_cols=u_cols.tolist(),
        v_signs=v_signs.tolist(), v_cols=v_cols.tolist(), offset=offset.tolist(),
    )


def build(case):
    m, n = case["m"], case["n"]
    u = hadamard_entries(case["row_perm"], case["u_cols"])
    if m <= 2048:  # independent check of the popcount formula against SciPy's Sylvester construction
        h = scipy.linalg.hadamard(m)
        assert np.array_equal(u, h[np.asarray(case["row_perm"])][:, np.asarray(case["u_cols"])])
        assert np.array_equal(hadamard_entries(np.arange(n), case["v_cols"]), scipy.linalg.hadamard(n)[:, case["v_cols"]])
    v = np.asarray(case["v_signs"], dtype=np.float64)[:, None] * hadamard_entries(np.arange(n), case["v_cols"])
    s = np.asarray(case["s"], dtype=np.float64)
    a_int = (u * s[None, :]) @ v.T
    assert np.all(a_int == np.round(a_int)) and np.max(np.abs(a_int)) < 2.0**53
    scale = 2.0 ** -case["scale_exp"]
    a = a_int * scale
    offset = np.asarray(case["offset"], dtype=np.float64)
    a_off = (a_int + offset[None, :]) * scale  # exact: integers below 2^53 times a power of two
    assert np.array_equal(a_off, a + offset[None, :] * scale)
    assert np.all(u.sum(axis=0) == 0)  # 1^T U = 0: A is centred
    return a, a_off


def sklearn_sigmas(x):
    out = []
    for seed in SKLEARN_SEEDS:
        _, s, _ = randomized_svd(x, K, n_oversamples=OVERSAMPLE, n_iter=N_ITER, random_state=seed)
        out.append(s.tolist())
    return out


def main():
    cases = [
        design("powerlaw", 2048, 256, [j ** -1.3 for j in range(1, 257)], 1),
        design("flatdrop", 2048, 256, [1.0 if j <= 25 else 0.01 * 25 / j for j in range(1, 257)], 2),
        design("lowrank", 2048, 256, [2.0 ** (-(j - 1) / 2) for j in range(1, 13)], 3),
        design("powerlaw_big", 8192, 512, [j ** -1.3 for j in range(1, 513)], 4),
    ]
    for case in cases:
        m, n = case["m"], case["n"]
        a, a_off = build(case)
        sig = np.zeros(min(m, n))
        sig[: case["rank"]] = np.asarray(case["s"], dtype=np.float64) * 2.0 ** -case["scale_exp"] * np.sqrt(m * n)
        case["sigma_design"] = sig.tolist()
        variants = {"plain": a, "offset_centered": a_off - a_off.mean(axis=0)}
        if not case["name"].endswith("_big"):
            variants["offset"] = a_off
        case["variants"] = {}
        for vname, x in variants.items():
            lap = np.linalg.svd(x, compute_uv=False)
            skl = sklearn_sigmas(x)
            nz = lap[:K] > 1e-9 * lap[0]  # relative errors of the non-zero sigma only
            errs = [float(np.max(np.abs(np.asarray(s)[nz] - lap[:K][nz]) / lap[:K][nz])) for s in skl]
            case["variants"][vname] = dict(
                lapack=lap.tolist(),
                sklearn=skl,
                sklearn_max_rel_err_topk=errs,  # informational (non-zero sigma); the Go tests recompute
            )
            print(f"{case['name']:13s} {vname:16s} sigma1 {lap[0]:.6g} sigma_k {lap[K-1]:.6g} "
                  f"sklearn max rel err top-{K}: median {np.median(errs):.3g} (seeds {['%.2g' % e for e in errs]})")
    golden = dict(
        description=__doc__.split("\n\n")[0],
        generator="scripts/make_spectrum_goldens.py",
        numpy_version=np.__version__, scipy_version=scipy.__version__, sklearn_version=sklearn.__version__,
        k=K, n_oversamples=OVERSAMPLE, n_iter=N_ITER, sklearn_seeds=SKLEARN_SEEDS,
        cases=cases,
    )
    path = os.path.join(out_dir, "golden.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()

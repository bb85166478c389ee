"""Whole-process peer of `lowdim run` for scripts/bench_spectrum.sh.

  gen M N DTYPE OUT.npy   a matrix with a decaying spectrum plus noise:
                          A = U·diag(i^-1)·Vᵀ·s + 0.01·noise (seeded)
  exact IN.npy            the top 20 σ of numpy's SVD, as JSON
  sklearn IN.npy          load, randomized_svd(k=20, p=10, q=7), print top σ as JSON
"""
import json
import sys

import numpy as np


def gen(m, n, dtype, out):
    rng = np.random.default_rng(1)
    r = min(m, n)
    k = 64  # planted rank; the rest is noise
    u = rng.standard_normal((m, k))
    v = rng.standard_normal((k, n))
    s = 1.0 / np.arange(1, k + 1)
    a = (u * s) @ v / np.sqrt(n)
    a += 0.01 * rng.standard_normal((m, n)) / np.sqrt(r)
    np.save(out, a.astype(dtype))


def exact(path):
    a = np.load(path).astype(np.float64)
    s = np.linalg.svd(a, compute_uv=False)
    print(json.dumps({"sigma": s[:20].tolist()}))


def sklearn(path):
    from sklearn.utils.extmath import randomized_svd

    a = np.load(path)
    _, s, _ = randomized_svd(a, 20, n_oversamples=10, n_iter=7, random_state=0)
    print(json.dumps({"sigma": s.tolist()}))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif mode == "exact":
        exact(sys.argv[2])
    else:
        sklearn(sys.argv[2])

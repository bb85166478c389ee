#!/usr/bin/python3
"""Golden values for linalg/heavytail, computed independently with NumPy.

Writes testdata/heavytail/golden.json:

  spectra: 50+ spectra lambda (with zeros, ties, short tails, no-fit cases),
           the min_tail used, and the power-law fit of Clauset, Shalizi &
           Newman (2009) computed by the direct rule below (or null: no fit),
           with the runner-up KS distance (to detect near-ties in D), and
           WeightWatcher's derived metrics and the rank-cut profile.
  matrix:  one small heavy-tailed matrix W with np.linalg.svd(W)**2 and the
           fit on it (the whole chain W -> lambda -> fit).

The fit, written directly from the definition (no suffix sums, no shared code
with the Go package):
  x = sorted positive lambda; for every distinct xmin with n = #{x >= xmin} >=
  min_tail and max(x) > xmin: alpha = 1 + n / sum(log(tail / xmin)),
  F(x) = 1 - (x/xmin)**(1 - alpha), tail sorted ascending x_1..x_n,
  D = max_i max(|i/n - F(x_i)|, |(i-1)/n - F(x_i)|);
  keep the smallest D, ties -> the smaller xmin.
WeightWatcher's metrics (weightwatcher.py definitions):
  alpha_weighted = alpha * log10(lambda_max)
  log_alpha_norm = log10(sum(lambda**alpha))
  log_spectral_norm = log10(lambda_max)
  log_norm = log10(sum(lambda)) = log10(||W||_F^2)

Run: /usr/bin/python3 scripts/make_heavytail_goldens.py   (from the repo root)

With --bench [reps], it writes nothing and times the NumPy peers of
BenchmarkSpectrum4096 and BenchmarkFitPowerLaw instead, on a 4,096x4,096
standard Gaussian W (median of reps runs, default 3):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
      scripts/make_heavytail_goldens.py --bench
"""
import json
import os
import sys
import time

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "heavytail")


def fit_power_law(lam, min_tail):
    x = np.sort(np.asarray(lam, dtype=np.float64))
    x = x[x > 0]
    cands = []
    for xmin in np.unique(x):
        tail = x[x >= xmin]
        n = tail.size
        if n < min_tail:
            break
        if tail[-1] == xmin:
            continue
        alpha = 1.0 + n / np.sum(np.log(tail / xmin))
        F = 1.0 - (tail / xmin) ** (1.0 - alpha)
        i = np.arange(1, n + 1, dtype=np.float64)
        D = float(np.max(np.maximum(np.abs(i / n - F), np.abs((i - 1) / n - F))))
        cands.append((D, float(xmin), float(alpha), int(n)))
    if not cands:
        return None
    cands.sort(key=lambda c: (c[0], c[1]))
    D, xmin, alpha, n = cands[0]
    runner_up = cands[1][0] if len(cands) > 1 else None
    return {"alpha": alpha, "xmin": xmin, "ks": D, "tail": n, "ks_runner_up": runner_up}


def ww_metrics(lam, alpha):
    lam = np.asarray(lam, dtype=np.float64)
    lam = lam[lam > 0]
    out = {
        "log_spectral_norm": float(np.log10(lam.max())),
        "log_norm": float(np.log10(lam.sum())),
    }
    if alpha is not None:
        out["alpha_weighted"] = float(alpha * np.log10(lam.max()))
        out["log_alpha_norm"] = float(np.log10(np.sum(lam ** alpha)))
    return out


def rank_cut(lam, ranks):
    lam = np.sort(np.asarray(lam, dtype=np.float64))[::-1]
    total = lam.sum()
    csum = np.concatenate([[0.0], np.cumsum(lam)])
    return [float(csum[r] / total) for r in ranks]


def pareto(rng, n, alpha, scale=1.0):
    # p(x) ∝ x^-alpha on [scale, inf): inverse CDF.
    return scale * (1.0 - rng.random(n)) ** (-1.0 / (alpha - 1.0))


def mp_bulk(rng, n, ratio=2.0):
    # Eigenvalues of a white Wishart matrix (Marchenko-Pastur bulk).
    m = int(n * ratio)
    X = rng.standard_normal((m, n)) / np.sqrt(m)
    return np.linalg.eigvalsh(X.T @ X)


def spectra(rng):
    out = []

    def add(kind, lam, min_tail=10):
        out.append((kind, np.asarray(lam, dtype=np.float64), min_tail))

    # Pure Pareto tails of several exponents and sizes.
    for alpha, n in [(1.5, 50), (2.0, 200), (2.5, 500), (3.0, 1000), (3.5, 2000), (4.0, 300),
                     (5.0, 120), (6.0, 80), (2.2, 1500), (3.3, 40)]:
        add(f"pareto a={alpha} n={n}", pareto(rng, n, alpha, scale=rng.uniform(0.01, 10)))
    # A Marchenko-Pastur bulk with a Pareto tail on top (a trained layer's ESD).
    for alpha, n, k in [(2.0, 400, 60), (3.0, 800, 100), (4.0, 300, 40), (2.5, 1000, 200), (3.5, 600, 30)]:
        bulk = mp_bulk(rng, n - k)
        add(f"bulk+pareto a={alpha}", np.concatenate([bulk, pareto(rng, k, alpha, scale=bulk.max())]))
    # Lognormal and exponential (not power laws; the fit still has a minimum).
    for n in [100, 700]:
        add(f"lognormal n={n}", rng.lognormal(0.0, 1.5, n))
        add(f"exponential n={n}", rng.exponential(2.0, n))
    # Ties: values rounded to a few significant digits, or drawn from a few integers.
    for alpha, n, digits in [(2.5, 300, 2), (3.0, 500, 1), (2.0, 150, 3), (4.0, 1000, 2)]:
        lam = pareto(rng, n, alpha)
        add(f"ties pareto a={alpha} digits={digits}", np.array([float(f"{v:.{digits}g}") for v in lam]))
    add("ties integers", rng.integers(1, 8, 200).astype(np.float64))
    add("ties integers zipf", rng.zipf(2.5, 400).astype(np.float64))
    add("two distinct values", np.array([1.0] * 30 + [4.0] * 12))
    # Zeros (rank-deficient W) are left out.
    lam = pareto(rng, 150, 3.0)
    lam[:60] = 0.0
    add("zeros+pareto", lam)
    add("zeros+ties", np.concatenate([np.zeros(25), rng.integers(1, 5, 40).astype(np.float64)]))
    # Short tails: exactly min_tail values, one fewer, constant tails.
    add("exactly min_tail", pareto(rng, 10, 3.0))
    add("min_tail-1: no fit", pareto(rng, 9, 3.0))
    add("exactly min_tail=5", pareto(rng, 5, 2.0), 5)
    add("min_tail=20 n=20", pareto(rng, 20, 2.5), 20)
    add("min_tail=20 n=19: no fit", pareto(rng, 19, 2.5), 20)
    add("min_tail=25", pareto(rng, 300, 2.5), 25)
    add("min_tail=50", pareto(rng, 500, 3.0), 50)
    add("constant: no fit", np.full(30, 2.5))
    add("constant top tail", np.concatenate([pareto(rng, 40, 3.0), np.full(12, 1e3)]))
    add("min_tail values with a tie at the bottom", np.array([1.0, 1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 9.0, 15.0, 40.0]))
    add("10 equal + 9 larger", np.concatenate([np.full(10, 1.0), pareto(rng, 9, 2.0, scale=1.5)]))
    add("all zeros: no fit", np.zeros(20))
    add("empty: no fit", np.zeros(0))
    # Wide dynamic range.
    add("wide range", np.exp(rng.uniform(-30, 30, 400)))
    add("tiny values", pareto(rng, 300, 2.7, scale=1e-12))
    add("huge values", pareto(rng, 300, 2.7, scale=1e12))
    # Random draws: exponent, size and shape.
    for k in range(10):
        alpha, n = rng.uniform(1.5, 6.0), int(rng.integers(10, 1500))
        if k % 2:
            add(f"random pareto a={alpha:.2f} n={n}", pareto(rng, n, alpha, scale=rng.uniform(0.1, 10)))
        else:
            t = max(10, n // 5)
            bulk = mp_bulk(rng, n, ratio=rng.uniform(1.2, 4.0))
            add(f"random bulk+pareto a={alpha:.2f} n={n + t}", np.concatenate([bulk, pareto(rng, t, alpha, scale=bulk.max())]))
    # Unsorted input with duplicates of the maximum.
    lam = pareto(rng, 200, 3.0)
    lam[rng.integers(0, 200, 5)] = lam.max()
    add("duplicated maximum", lam)
    return out


def main():
    rng = np.random.default_rng(20240516)
    records = []
    for kind, lam, min_tail in spectra(rng):
        order = rng.permutation(lam.size)  # unsorted input
        lam = lam[order]
        fit = fit_power_law(lam, min_tail)
        rec = {"kind": kind, "min_tail": min_tail, "lambda": [float(v) for v in lam], "fit": fit}
        if np.any(lam > 0):
            rec["metrics"] = ww_metrics(lam, fit["alpha"] if fit else None)
            p = lam.size
            ranks = sorted({0, 1, 2, p // 3, p // 2, p - 1, p})
            rec["rank_cut"] = {"ranks": ranks, "kept": rank_cut(lam, ranks)}
        records.append(rec)

    # One heavy-tailed matrix: W = U diag(s) V^T with s^2 Pareto(alpha = 2.5).
    m, n = 90, 60
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.sqrt(pareto(rng, n, 2.5))
    W = (U * s) @ V.T
    sv = np.linalg.svd(W, compute_uv=False)
    lam = sv ** 2
    fit = fit_power_law(lam, 10)
    matrix = {
        "rows": m, "cols": n, "data": [float(v) for v in W.ravel()],
        "lambda": [float(v) for v in lam], "fit": fit,
        "metrics": ww_metrics(lam, fit["alpha"] if fit else None),
    }

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "golden.json")
    with open(path, "w") as f:
        json.dump({
            "generator": "scripts/make_heavytail_goldens.py",
            "numpy": np.__version__,
            "spectra": records,
            "matrix": matrix,
        }, f, separators=(",", ":"))
        f.write("\n")
    nofit = sum(r["fit"] is None for r in records)
    near = [r["kind"] for r in records if r["fit"] and r["fit"]["ks_runner_up"] is not None
            and r["fit"]["ks_runner_up"] - r["fit"]["ks"] < 1e-12]
    print(f"{os.path.relpath(path)}: {len(records)} spectra ({nofit} without fit), near-ties in D: {near}, "
          f"{os.path.getsize(path)} bytes")


def bench(reps):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((4096, 4096))
    lam = pareto(rng, 4096, 3.0)
    runs = {"gram W.T@W": [], "eigvalsh(gram)": [], "eigvalsh(W.T@W)": [], "svd(W, compute_uv=False)": [],
            "fit (direct rule, N=4096)": []}
    for _ in range(reps):
        t0 = time.perf_counter()
        G = W.T @ W
        t1 = time.perf_counter()
        np.linalg.eigvalsh(G)
        t2 = time.perf_counter()
        np.linalg.svd(W, compute_uv=False)
        t3 = time.perf_counter()
        fit_power_law(lam, 10)
        t4 = time.perf_counter()
        runs["gram W.T@W"].append(t1 - t0)
        runs["eigvalsh(gram)"].append(t2 - t1)
        runs["eigvalsh(W.T@W)"].append(t2 - t0)
        runs["svd(W, compute_uv=False)"].append(t3 - t2)
        runs["fit (direct rule, N=4096)"].append(t4 - t3)
        print(" ".join(f"{k}={v[-1]:.3f}s" for k, v in runs.items()), f"load={os.getloadavg()[0]:.2f}", flush=True)
    for k, v in runs.items():
        print(f"median {k}: {np.median(v):.3f} s over {reps}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--bench":
        bench(int(sys.argv[2]) if len(sys.argv) > 2 else 3)
    else:
        main()

#!/usr/bin/env python3
"""Peer side of scripts/bench_rsvd.sh: scikit-learn's randomized_svd and numpy's exact SVD.

  bench_rsvd.py sklearn A.npy --k 20 --p 10 --q 2 --runs 5   # JSON: times, median, sigma, BLAS
  bench_rsvd.py exact A.npy --k 20                            # JSON: exact top-k sigma (numpy SVD)

The sklearn mode runs randomized_svd once to warm up, then --runs times, with
n_components=k, n_oversamples=p, n_iter=q and scikit-learn's default
power_iteration_normalizer ('auto': none for q <= 2, else LU).
"""
import argparse
import json
import platform
import resource
import sys
import time

import numpy as np


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not available"
    return [
        {k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
        for d in threadpool_info()
        if d.get("user_api") == "blas"
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["sklearn", "exact"])
    ap.add_argument("npy")
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--p", type=int, default=10)
    ap.add_argument("--q", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    a = np.load(args.npy)
    out = {"m": a.shape[0], "n": a.shape[1], "k": args.k}
    if args.mode == "exact":
        t0 = time.perf_counter()
        s = np.linalg.svd(a, compute_uv=False)
        out.update(sigma=s[: args.k].tolist(), time_s=time.perf_counter() - t0)
    else:
        import sklearn
        from sklearn.utils.extmath import randomized_svd

        times = []
        for i in range(-1, args.runs):
            t0 = time.perf_counter()
            _, s, _ = randomized_svd(
                a, args.k, n_oversamples=args.p, n_iter=args.q, random_state=args.seed
            )
            if i >= 0:
                times.append(time.perf_counter() - t0)
        out.update(
            p=args.p,
            q=args.q,
            times_s=times,
            median_s=float(np.median(times)),
            sigma=s.tolist(),
            sklearn_version=sklearn.__version__,
            numpy_version=np.__version__,
            python_version=platform.python_version(),
            blas=blas_info(),
        )
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

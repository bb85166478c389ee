#!/usr/bin/python3
"""Golden values for linalg/idest's MiND_ML and DANCo (testdata/idest_danco/).

An independent NumPy/SciPy implementation of
  * MiND_MLi / MiND_MLk (Rozza et al. 2012, "Novel high intrinsic dimensionality
    estimators", Mach. Learn. 89): rho = r_1 / r_{k+1}, log-likelihood
    N log(k d) + (d-1) sum log rho + (k-1) sum log(1 - rho^d); MLi the integer
    argmax on 1..D, MLk the real maximiser on (0, D] (root of the score by
    scipy.optimize.brentq; skdim's L-BFGS-B value is written beside it);
  * DANCo (Ceruti et al. 2014, Pattern Recognit. 47): per point the von Mises
    fit (nu = arctan(sum sin / sum cos), tau = Ainv(eta)) to the C(k,2) angles
    between the vectors to its k nearest neighbours, the means over points,
    and the KL divergence to calibration statistics of uniform d-balls.

The calibration statistics written here come from NumPy's generator; the Go
test reads them as fixed input, so the Go and NumPy estimates must agree to
rounding, whatever the random streams. Neighbours are exact (scipy cdist).

Run with Debian's python3:  /usr/bin/python3 scripts/make_danco_goldens.py
"""
import json
import os

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.spatial.distance import cdist
from scipy.special import digamma, i0, i0e, i1, i1e

OUT = os.path.join(os.path.dirname(__file__), "..", "testdata", "idest_danco", "golden.json")


def knn(x, k):
    """Indices and distances of the k nearest other rows, ascending (stable)."""
    d = cdist(x, x)
    np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(d, idx, axis=1)


def lld(d, rhos, k):
    a = np.log(rhos)
    return len(rhos) * np.log(k * d) + (d - 1) * a.sum() + (k - 1) * np.log(-np.expm1(d * a)).sum()


def score(d, rhos, k):
    a = np.log(rhos)
    return len(rhos) / d + a.sum() + (k - 1) * (-a / np.expm1(-d * a)).sum()


def mind_mli(rhos, k, D):
    liks = [lld(d, rhos, k) for d in range(1, D + 1)]
    return int(np.argmax(liks)) + 1


def mind_mlk(rhos, k, D):
    if score(D, rhos, k) >= 0:
        return float(D)
    lo = D / 2.0
    while score(lo, rhos, k) < 0:
        lo /= 2
    return brentq(score, lo, D, args=(rhos, k), xtol=1e-15, rtol=8.9e-16, maxiter=500)


def mind_mlk_lbfgsb(rhos, k, D, dinit):
    """skdim's way: L-BFGS-B on -lld from MLi, bounds [0, D]."""
    res = minimize(lambda d: -lld(d[0], rhos, k), x0=np.array([float(dinit)]),
                   jac=lambda d: np.array([-score(d[0], rhos, k)]),
                   method="L-BFGS-B", bounds=[(1e-300, D)])
    return float(res.x[0])


def ainv(eta):
    if eta < 0.53:
        return 2 * eta + eta ** 3 + 5 * eta ** 5 / 6
    if eta < 0.85:
        return -0.4 + 1.39 * eta + 0.43 / (1 - eta)
    return 1 / (eta ** 3 - 4 * eta ** 2 + 3 * eta)


def danco_points(x, k):
    idx, dist = knn(x, k + 1)
    rho = dist[:, 0] / dist[:, k]
    n = len(x)
    nu = np.empty(n)
    tau = np.empty(n)
    a, b = np.triu_indices(k, 1)
    for i in range(n):
        v = x[idx[i, :k]] - x[i]
        ln = np.sqrt((v ** 2).sum(axis=1))
        c = (v[a] * v[b]).sum(axis=1) / (ln[a] * ln[b])
        th = np.arccos(np.clip(c, -1, 1))
        s, co = np.sin(th), np.cos(th)
        nu[i] = np.arctan(s.sum() / co.sum())
        tau[i] = ainv(np.sqrt(co.mean() ** 2 + s.mean() ** 2))
    if x.shape[1] == 1:
        tau[:] = 1
    return rho, nu, tau


def danco_stats(x, k, D):
    rho, nu, tau = danco_points(x, k)
    r = rho[rho < 1]
    return dict(dim=mind_mlk(r, k, D), nu=float(nu.mean()), tau=float(tau.mean()), n=len(x)), (rho, nu, tau)


def kl_d(dhat, dcal, k):
    H = np.sum(1 / np.arange(1, k + 1))
    q = dcal / dhat
    i = np.arange(k + 1)
    binom = np.array([float(np.prod(np.arange(k - j + 1, k + 1)) / np.prod(np.arange(1, j + 1))) for j in i])
    a = (-1.0) ** i * binom * digamma(1 + i / q)
    return H * q - np.log(q) - (k - 1) * a.sum()


def kl_nutau(nu1, nu2, tau1, tau2):
    return np.log(i0(tau2) / i0(tau1)) + i1(tau1) / i0(tau1) * (tau1 - tau2 * np.cos(nu1 - nu2))


def ball(rng, n, d):
    g = rng.standard_normal((n, d))
    g /= np.linalg.norm(g, axis=1)[:, None]
    return g * rng.random((n, 1)) ** (1 / d)


def rotate_into(rng, y, D):
    q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    z = np.zeros((len(y), D))
    z[:, : y.shape[1]] = y
    return z @ q


def case(name, x, k, D, cal_seed):
    stats, (rho, nu, tau) = danco_stats(x, k, D)
    rng = np.random.default_rng(cal_seed)
    cal = []
    for d in range(1, D + 1):
        s, _ = danco_stats(ball(rng, len(x), d), k, 2 * d + 5)
        cal.append(s)
    kl = [float(kl_d(stats["dim"], c["dim"], k) + kl_nutau(stats["nu"], c["nu"], stats["tau"], c["tau"])) for c in cal]
    r = rho[rho < 1]
    mli = mind_mli(r, k, D)
    return dict(
        name=name, k=k, max_dim=D, x=x.ravel().tolist(), rows=x.shape[0], cols=x.shape[1],
        rho=rho.tolist(), nu=nu.tolist(), tau=tau.tolist(),
        mind_mli=mli, mind_mlk=stats["dim"], mind_mlk_lbfgsb=mind_mlk_lbfgsb(r, k, D, mli),
        stats=stats, calibration=cal, kl=kl, dim=int(np.argmin(kl)) + 1,
    )


def mind_case(name, x, k, D):
    idx, dist = knn(x, k + 1)
    rho = dist[:, 0] / dist[:, k]
    r = rho[rho < 1]
    mli = mind_mli(r, k, D)
    return dict(name=name, k=k, max_dim=D, x=x.ravel().tolist(), rows=x.shape[0], cols=x.shape[1],
                rho=rho.tolist(), mli=mli, mlk=mind_mlk(r, k, D), mlk_lbfgsb=mind_mlk_lbfgsb(r, k, D, mli),
                loglik=[float(lld(d, r, k)) for d in (0.5, 1.0, 2.5, float(D))])


def main():
    rng = np.random.default_rng(20240520)
    t = rng.random(250) * 4 * np.pi
    helix = np.column_stack([np.cos(t), np.sin(t), 0.3 * t]) + 1e-3 * rng.standard_normal((250, 3))
    danco = [
        case("ball5_in_8", rotate_into(rng, ball(rng, 300, 5), 8), 10, 8, 11),
        case("gauss9_in_12", rotate_into(rng, rng.standard_normal((300, 9)), 12), 10, 12, 12),
        case("helix_in_3", helix, 8, 3, 13),
    ]
    mind = [
        mind_case("sphere4_in_7_k20", rotate_into(rng, (lambda g: g / np.linalg.norm(g, axis=1)[:, None])(rng.standard_normal((400, 5))), 7), 20, 10),
        mind_case("gauss14_k20_capped", rng.standard_normal((400, 14)), 20, 10),
        mind_case("cube3_k5", rng.random((300, 3)), 5, 6),
    ]
    taus = [0.0, 1e-8, 0.3, 1.0, 2.5, 3.7, 12.0, 29.9, 30.1, 45.0, 200.0]
    xs = [1.0, 1.0 + 1e-9, 1.37, 2.0, 5.5, 9.99, 10.0, 11.3, 123.4]
    special = dict(
        tau=taus, i0e=[float(i0e(t)) for t in taus], i1e=[float(i1e(t)) for t in taus],
        x=xs, digamma=[float(digamma(v)) for v in xs],
    )
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(dict(danco=danco, mind=mind, special=special), f)
    for c in danco:
        print(f"{c['name']}: d_ML={c['mind_mlk']:.12f} (L-BFGS-B {c['mind_mlk_lbfgsb']:.12f}) "
              f"nu={c['stats']['nu']:.12f} tau={c['stats']['tau']:.12f} DANCo d={c['dim']} KL={min(c['kl']):.6f}")
    for c in mind:
        print(f"{c['name']}: MLi={c['mli']} MLk={c['mlk']:.12f} (L-BFGS-B {c['mlk_lbfgsb']:.12f})")
    print("wrote", os.path.normpath(OUT), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()

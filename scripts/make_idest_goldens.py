#!/usr/bin/python3
"""Make the intrinsic-dimension goldens under testdata/idest/ (golden.json).

An independent NumPy/SciPy implementation of the estimators of linalg/idest
(knn.go, local.go, lpca.go, ess.go, corrint.go, fishers.go), written from the
papers and scikit-dimension's documented defaults, not from the Go code:

  kNN        full distance matrix (broadcast differences), neighbours sorted by
             distance then index, the point itself excluded, duplicate rows
             dropped first (first-seen order).
  MLE        Levina & Bickel 2004 eq. (8), k = 20, both k-1 and k-2; pooled by
             the mean and by MacKay & Ghahramani's mean of inverses.
  TwoNN      local: Facco et al. 2017 eq. (3), least squares through the origin
             of -log(1 - i/N) on log(mu), smallest floor(0.9 N) ratios, on the
             ratios mu = r2/r1 of a point and its k = 100 neighbours.
  lPCA       explained variances of each point's k = 100 neighbours (SVD of the
             centred neighbourhood, s^2/(k-1), first min(k-1, D)), rules FO
             (alpha 0.05), Fan (alpha 10, beta 0.8, P 0.95) and maxgap as
             scikit-dimension's lPCA states them; eigenvalues <= m*eps*l1 set
             to 0 first. Also on the whole cloud (all rows) and the mean of the
             local values.
  ESS        Johnsson et al. 2015, d = 1, versions a and b, all pairs of the
             centred k = 100 neighbours (volumes from 2x2 determinants), then
             the dimension by linear interpolation of the reference curve
             (Gamma-function form) between integers.
  CorrInt    Grassberger & Procaccia 1983 with scikit-dimension's radii:
             medians of the 10th and 20th neighbour distances.
  FisherS    Albergante et al. 2019: centre, keep PCs with l/l1 > 1/10, whiten
             (ddof 1), project on the sphere, inseparability counts for
             alpha = 0.6 + 0.02 i, Lambert-W dimension, alpha* nearest
             0.9 alpha_max. On all rows (duplicates kept).

Every discrete decision (neighbour sets, FO/Fan/maxgap thresholds, CorrInt
radii, FisherS alphas and component cut) is checked to have a relative margin
well above rounding (recorded under "margins"), so a float64 implementation
that rounds differently must reproduce the goldens to ~1e-12.

Usage: /usr/bin/python3 scripts/make_idest_goldens.py [outdir]
Needs: python3-numpy, python3-scipy (Debian).
"""

import json
import math
import os
import sys

import numpy as np
from scipy.special import gammaln, lambertw

K_INDEX = 100      # neighbours of the shared index used by the local estimators
K_STORED = 20      # neighbours written out for the kNN check
K_MLE = 20
K_LOCAL = 100
EPS = np.finfo(float).eps


def random_rotation(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def set_a():
    """300 x 5: a curved 3-manifold in R^5 with small noise, rotated."""
    rng = np.random.default_rng(20260101)
    t = rng.uniform(0, 1, (300, 3))
    x = np.column_stack([
        t[:, 0], t[:, 1], t[:, 2],
        0.5 * np.sin(3 * t[:, 0]) + 0.3 * t[:, 1] * t[:, 2],
        0.4 * np.cos(2 * t[:, 1]) - 0.2 * t[:, 2] ** 2,
    ])
    x += 0.01 * rng.standard_normal(x.shape)
    return x @ random_rotation(rng, 5)


def set_b():
    """500 x 12: an anisotropic 6-D box embedded linearly in R^12, noise,
    offset 3, and rows 490..499 exact copies of rows 0..9."""
    rng = np.random.default_rng(20260102)
    u = rng.uniform(0, 1, (500, 6)) * np.array([1, 1, 0.8, 0.6, 0.4, 0.25])
    basis = random_rotation(rng, 12)[:, :6]
    x = u @ basis.T + 0.005 * rng.standard_normal((500, 12)) + 3.0
    x[490:500] = x[0:10]
    return x


def distinct(x):
    """Distinct rows in first-seen order and each row's distinct index."""
    keys = {}
    row_of = []
    keep = []
    for r in x:
        key = tuple(0.0 if v == 0 else float(v) for v in r)
        if key not in keys:
            keys[key] = len(keep)
            keep.append(r)
        row_of.append(keys[key])
    return np.array(keep), np.array(row_of)


def neighbours(p, k):
    n = len(p)
    diff = p[:, None, :] - p[None, :, :]
    dm = np.sqrt(np.sum(diff * diff, axis=2))
    idx = np.zeros((n, k), dtype=int)
    dist = np.zeros((n, k))
    gap = np.inf  # smallest relative gap between consecutive distances up to k+1
    for i in range(n):
        d = dm[i].copy()
        order = np.lexsort((np.arange(n), d))
        order = order[order != i]
        idx[i] = order[:k]
        dist[i] = d[order[:k]]
        s = d[order[:k + 1]]
        gap = min(gap, np.min(np.diff(s) / s[1:]))
    return dm, dist, idx, gap


# --- MLE and TwoNN ---------------------------------------------------------

def mle_points(dist, k, c):
    t = dist[:, :k]
    s = np.sum(np.log(t[:, -1:] / t[:, :-1]), axis=1)
    return c / s


def twonn_fit(mu, discard=0.1):
    s = np.sort(mu)
    n = len(s)
    m = int(math.floor((1 - discard) * n))
    f = np.arange(1, m + 1) / n
    keep = f < 1
    x = np.log(s[:m][keep])
    y = -np.log(1 - f[keep])
    return np.sum(x * y) / np.sum(x * x)


# --- lPCA ------------------------------------------------------------------

def explained_variance(v):
    n, d = v.shape
    s = np.linalg.svd(v, compute_uv=False)
    lam = s ** 2 / (n - 1)
    return lam[:min(n - 1, d)]


def clamp(lam):
    lam = lam.copy()
    lam[lam <= len(lam) * EPS * lam[0]] = 0
    return lam


def rule_fo(lam, alpha=0.05):
    return float(np.sum(lam > alpha * lam[0]))


def rule_maxgap(lam):
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = lam[:-1] / lam[1:]
    return float(np.nanargmax(gaps) + 1)


def rule_fan(lam, alpha=10, beta=0.8, P=0.95):
    frac = np.cumsum(lam) / np.sum(lam)
    r = int(np.nonzero(frac > P)[0][0])
    if r == 0:
        return 1.0
    sigma = np.mean(lam[r:])
    sh = lam - sigma
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = sh[:-1] / sh[1:]
    cand = np.concatenate([np.nonzero(gaps > alpha)[0], np.nonzero(np.cumsum(sh) / np.sum(sh) > beta)[0]])
    return float(1 + np.min(cand))


def pca_margins(lam):
    """Relative distance of every lPCA decision from its threshold."""
    m = [abs(lam[1:] - 0.05 * lam[0]).min() / lam[0]]
    frac = np.cumsum(lam) / np.sum(lam)
    m.append(abs(frac - 0.95).min())
    r = int(np.nonzero(frac > 0.95)[0][0])
    if r > 0:
        sh = lam - np.mean(lam[r:])
        with np.errstate(divide="ignore", invalid="ignore"):
            g = sh[:-1] / sh[1:]
        m.append(np.nanmin(abs(g - 10)) / 10)
        m.append(abs(np.cumsum(sh) / np.sum(sh) - 0.8).min())
    with np.errstate(divide="ignore", invalid="ignore"):
        g = lam[:-1] / lam[1:]
    g = np.sort(g[np.isfinite(g)])
    if len(g) > 1:
        m.append((g[-1] - g[-2]) / g[-1])
    return min(m)


# --- ESS -------------------------------------------------------------------

def ess_statistic(v, ver):
    k = len(v)
    i, j = np.triu_indices(k, 1)
    gram = v @ v.T
    lens = np.sqrt(np.sum(v * v, axis=1))
    w = lens[i] * lens[j]
    if ver == "a":
        mats = np.empty((len(i), 2, 2))
        mats[:, 0, 0] = gram[i, i]
        mats[:, 1, 1] = gram[j, j]
        mats[:, 0, 1] = mats[:, 1, 0] = gram[i, j]
        num = np.sqrt(np.abs(np.linalg.det(mats)))
    else:
        num = np.abs(gram[i, j])
    return np.sum(num) / np.sum(w)


def ess_reference(n, ver):
    """Expected |sin| (a) or |cos| (b) of the angle of two uniform directions in R^n."""
    n = float(n)
    if ver == "a":
        if n == 1:
            return 0.0
        return math.exp(2 * gammaln(n / 2) - gammaln((n + 1) / 2) - gammaln((n - 1) / 2))
    return math.exp(gammaln(n / 2) - gammaln((n + 1) / 2)) / math.sqrt(math.pi)


def ess_dimension(s, ver):
    n = 1
    if ver == "a":
        while ess_reference(n + 1, ver) <= s:
            n += 1
    else:
        if ess_reference(1, ver) <= s:
            return 1.0
        while ess_reference(n + 1, ver) > s:
            n += 1
    r0, r1 = ess_reference(n, ver), ess_reference(n + 1, ver)
    return n + (s - r0) / (r1 - r0)


# --- FisherS ---------------------------------------------------------------

def fishers(x, cond=10.0):
    alphas = 0.6 + 0.02 * np.arange(20)
    n = len(x)
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    lam = s ** 2 / (n - 1)
    ratio = lam / lam[0]
    keep = ratio > 1 / cond
    comp_margin = abs(ratio - 1 / cond).min()
    z = xc @ vt[keep].T
    z = z / np.std(z, axis=0, ddof=1)
    z = z / np.sqrt(np.sum(z * z, axis=1))[:, None]
    g = z @ z.T
    v = g / np.diag(g)[:, None]
    np.fill_diagonal(v, -np.inf)
    counts = (v[:, :, None] >= alphas[None, None, :]).sum(axis=1)  # n x alphas
    vv = v[np.isfinite(v)]
    alpha_margin = abs(vv[:, None] - alphas[None, :]).min()
    py = counts / n
    p = py.mean(axis=0)
    sep = (counts == 0).mean(axis=0)
    prof = np.full(len(alphas), np.nan)
    for m, a in enumerate(alphas):
        if p[m] == 0:
            continue
        a2 = a * a
        w = math.log(1 - a2)
        val = np.real(lambertw(-(w / (2 * math.pi * p[m] ** 2 * a2 * (1 - a2))))) / -w
        prof[m] = val if np.isfinite(val) else np.nan
    finite = ~np.isnan(prof)
    dim, alpha = np.nan, np.nan
    if finite.any():
        ref = 0.9 * alphas[finite].max()
        closest = abs(alphas - ref).min()
        pick = finite & (abs(alphas - ref) == closest)
        if pick.any():
            m = np.nonzero(pick)[0][np.argmax(prof[pick])]
            dim, alpha = prof[m], alphas[m]
    return {
        "alphas": alphas.tolist(),
        "components": int(keep.sum()),
        "inseparability": p.tolist(),
        "separable_fraction": sep.tolist(),
        "profile": [None if np.isnan(v) else float(v) for v in prof],
        "dimension": None if np.isnan(dim) else float(dim),
        "alpha": None if np.isnan(alpha) else float(alpha),
    }, min(comp_margin, alpha_margin)


# --- one set ---------------------------------------------------------------

def golden(name, x):
    p, row_of = distinct(x)
    n = len(p)
    dm, dist, idx, knn_gap = neighbours(p, K_INDEX)
    rows = lambda v: [float(v[r]) for r in row_of]  # per point -> per input row
    out = {"name": name, "n": len(x), "dim": x.shape[1], "distinct": n,
           "points": x.tolist(), "row_of": row_of.tolist()}
    out["knn"] = {"k": K_STORED, "index": idx[:, :K_STORED].tolist(), "dist": dist[:, :K_STORED].tolist()}

    mle = {"k": K_MLE}
    for conv, c in (("k-1", K_MLE - 1), ("k-2", K_MLE - 2)):
        m = mle_points(dist, K_MLE, c)
        mle[conv] = rows(m)
        mle["mean_" + conv] = float(np.mean(m))
        mle["inverse_" + conv] = float(1 / np.mean(1 / m))
    out["mle"] = mle

    mu = dist[:, 1] / dist[:, 0]
    out["twonn_local"] = {"k": K_LOCAL, "values": rows([twonn_fit(np.concatenate([[mu[i]], mu[idx[i, :K_LOCAL]]])) for i in range(n)])}

    lp = {"k": K_LOCAL}
    margin_pca = np.inf
    local = {"FO": [], "Fan": [], "maxgap": []}
    for i in range(n):
        nb = p[idx[i, :K_LOCAL]]
        lam = clamp(explained_variance(nb - nb.mean(axis=0)))
        margin_pca = min(margin_pca, pca_margins(lam))
        local["FO"].append(rule_fo(lam))
        local["Fan"].append(rule_fan(lam))
        local["maxgap"].append(rule_maxgap(lam))
    lam_all = clamp(explained_variance(x - x.mean(axis=0)))
    margin_pca = min(margin_pca, pca_margins(lam_all))
    for rule, f in (("FO", rule_fo), ("Fan", rule_fan), ("maxgap", rule_maxgap)):
        lp[rule] = rows(local[rule])
        lp["global_" + rule] = f(lam_all)
        lp["mean_" + rule] = float(np.mean(local[rule]))
    out["lpca"] = lp

    ess = {"k": K_LOCAL}
    for ver in ("a", "b"):
        stats, dims = [], []
        for i in range(n):
            nb = p[idx[i, :K_LOCAL]]
            s = ess_statistic(nb - nb.mean(axis=0), ver)
            stats.append(s)
            dims.append(ess_dimension(s, ver))
        ess[ver] = {"statistic": rows(stats), "values": rows(dims), "mean": float(np.mean(dims))}
    out["ess"] = ess

    r1, r2 = np.median(dist[:, 9]), np.median(dist[:, 19])
    iu = np.triu_indices(n, 1)
    pd = dm[iu]
    c1, c2 = int(np.sum(pd < r1)), int(np.sum(pd < r2))
    norm = n * (n - 1) / 2
    out["corrint"] = {"k1": 10, "k2": 20, "r1": float(r1), "r2": float(r2), "pairs1": c1, "pairs2": c2,
                      "value": float((math.log(c2 / norm) - math.log(c1 / norm)) / math.log(r2 / r1))}
    margin_corr = min(abs(pd - r1).min() / r1, abs(pd - r2).min() / r2)

    out["fishers"], margin_fs = fishers(x)
    out["margins"] = {"knn": knn_gap, "lpca": margin_pca, "corrint": margin_corr, "fishers": margin_fs}
    for k, v in out["margins"].items():
        assert v > 1e-9, (name, k, v)
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "testdata", "idest")
    os.makedirs(outdir, exist_ok=True)
    sets = [golden("curved3_in_R5", set_a()), golden("box6_in_R12_dup", set_b())]
    path = os.path.join(outdir, "golden.json")
    with open(path, "w") as f:
        json.dump({"generator": "scripts/make_idest_goldens.py", "numpy": np.__version__, "sets": sets}, f,
                  allow_nan=False, separators=(",", ":"))
    for s in sets:
        print(s["name"], "margins", s["margins"], "corrint", round(s["corrint"]["value"], 3),
              "fishers", s["fishers"]["dimension"], "ess a", round(s["ess"]["a"]["mean"], 3),
              "mle", round(s["mle"]["mean_k-1"], 3), "lpca FO/Fan/maxgap mean",
              [round(s["lpca"]["mean_" + r], 2) for r in ("FO", "Fan", "maxgap")],
              "global", [s["lpca"]["global_" + r] for r in ("FO", "Fan", "maxgap")])
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes testdata/classgeom/golden.json: NumPy/SciPy reference values for the
labelled representation geometry kernels of linalg/classgeom.

Run from anywhere:  /usr/bin/python3 scripts/make_classgeom_goldens.py
Needs Debian's python3-numpy and python3-scipy. Deterministic (seeded
generator, sorted JSON keys), about 150 KB.

Every value is computed from the rows themselves, never from merged summaries
(the Go kernel works from per-class counts, means and centred scatters; this
script does not):

  coding_rate_total    R = 1/2 logdet(I + d/(m eps^2) Z^T Z), Z the m x d rows,
                       uncentred (Yu et al. 2020, eq. 2), numpy.linalg.slogdet
  coding_rate_classes  Rc = sum_j m_j/(2m) logdet(I + d/(m_j eps^2) Z_j^T Z_j)
                       (eq. 3 with membership matrices Pi_j), slogdet
  rate_reduction       R - Rc
  centroid_nuclear_norm  sum of singular values of the classes x d matrix of
                       class means (MMCR, Yerxa et al. 2023), numpy svd
  classes[j].sigma     singular values of the class's centred rows, numpy svd,
                       descending, padded with zeros to length d
  classes[j].rank      numpy.linalg.matrix_rank of the centred rows
  classes[j].subspace_rank  r: the given rank, or the smallest r with
                       sum_{i<=r} sigma_i^2 >= 0.9 sum sigma_i^2 capped at 20;
                       then at most the class's rank
  classes[j].rankme    exp(-sum p log p), p = sigma/sum(sigma) + 1e-7
  pairs (a < b in label order):
    angles_deg         scipy.linalg.subspace_angles between the top-r right
                       singular vectors (numpy svd) of the two classes' centred
                       rows, in degrees, ascending
    projection_distance  ||P_a - P_b||_F / sqrt(2), P = V V^T
    bures_wasserstein_sq ||mu_a - mu_b||^2
                       + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2),
                       S = centred scatter / m_j, both roots by
                       scipy.linalg.sqrtm (real part)
    bures_wasserstein_check  the same by ||mu_a - mu_b||^2 + tr S_a + tr S_b
                       - 2 ||S_b^1/2 S_a^1/2||_* (a trace identity: the inner
                       matrix is (S_b^1/2 S_a^1/2)^T (S_b^1/2 S_a^1/2)) with the
                       roots from numpy eigh, eigenvalues <= d eps lambda_max
                       set to 0; the spread between the two (in the JSON,
                       bures_wasserstein_reference_spread) is the accuracy
                       of the sqrtm reference on singular covariances.

Label order: all labels are integers here, so they sort numerically.

Cases:
  digits             testdata/digits.csv.gz (1,797 x 64, label column 64),
                     eps 0.5 (lowdim's default coding_rate_eps), r by energy
  digits_normalized  the same with every row scaled to unit Euclidean norm
  digits_rank5_eps1  eps 1, r = 5 for every class
  edge               d = 6, seeded rows written into the JSON: class "3" has
                     one row, class "10" four rows in a 2-D affine plane
                     (rank 2 < r = 3), class "7" 40 Gaussian rows; r = 3
  d1                 d = 1, three classes of 5, 1 and 9 rows; r by energy
"""
import csv
import gzip
import json
import os

import numpy as np
import scipy.linalg

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
out_dir = os.path.join(root, "testdata", "classgeom")

ENERGY = 0.9
MAX_RANK = 20
RANKME_EPS = 1e-7


def label_order(labels):
    labels = sorted(set(labels))
    try:
        return sorted(labels, key=lambda s: (int(s), s))
    except ValueError:
        return labels


def class_rows(x, y, label):
    return x[np.array([v == label for v in y])]


def logdet(a):
    sign, ld = np.linalg.slogdet(a)
    assert sign > 0
    return ld


def energy_rank(s):
    e = s * s
    total = e.sum()
    if total == 0:
        return 0
    return int(np.searchsorted(np.cumsum(e), ENERGY * total, side="left") + 1)


def rankme(s):
    l1 = np.abs(s).sum()
    if l1 == 0:
        return 0.0
    p = np.abs(s) / l1 + RANKME_EPS
    return float(np.exp(-(p * np.log(p)).sum()))


def psd_sqrt_eigh(s):
    """Root of a PSD matrix by eigh, with eigenvalues at or below the rounding
    noise d * eps * lambda_max (and negative ones) set to 0: keeping the
    square roots of noise eigenvalues adds them, at first order, to the
    nuclear norm of a rank-deficient product."""
    w, v = np.linalg.eigh(s)
    w = np.where(w > s.shape[0] * np.finfo(float).eps * max(w.max(), 0), w, 0)
    return (v * np.sqrt(w)) @ v.T


def case(name, x, y, eps, rank, normalize):
    x = np.array(x, dtype=np.float64)
    if normalize:
        n = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(n == 0, 1, n)
    m, d = x.shape
    labels = label_order(y)
    eye = np.eye(d)
    r_total = 0.5 * logdet(eye + d / (m * eps * eps) * (x.T @ x))
    rc = 0.0
    classes, bases, means, covs = [], [], [], []
    for lab in labels:
        z = class_rows(x, y, lab)
        mj = z.shape[0]
        rc += mj / (2 * m) * logdet(eye + d / (mj * eps * eps) * (z.T @ z))
        mu = z.mean(axis=0)
        c = z - mu
        _, s, vt = np.linalg.svd(c, full_matrices=False)
        sigma = np.zeros(d)
        sigma[: len(s)] = s
        rk = int(np.linalg.matrix_rank(c)) if mj > 1 else 0
        r = rank if rank > 0 else min(energy_rank(sigma), MAX_RANK)
        r = min(r, rk)
        classes.append({
            "label": lab,
            "count": mj,
            "mean": mu.tolist(),
            "sigma": sigma.tolist(),
            "scatter_fro": float(np.linalg.norm(c.T @ c)),
            "rank": rk,
            "subspace_rank": r,
            "rankme": rankme(sigma),
        })
        bases.append(vt[:r].T)
        means.append(mu)
        covs.append(c.T @ c / mj)
    centroids = np.array(means)
    pairs = []
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            va, vb = bases[a], bases[b]
            if va.shape[1] > 0 and vb.shape[1] > 0:
                ang = np.sort(np.degrees(scipy.linalg.subspace_angles(va, vb)))
            else:
                ang = np.zeros(0)
            pdist = np.linalg.norm(va @ va.T - vb @ vb.T) / np.sqrt(2)
            dm = float(np.sum((means[a] - means[b]) ** 2))
            sa, sb = covs[a], covs[b]
            ra = scipy.linalg.sqrtm(sa).real
            cross = scipy.linalg.sqrtm(ra @ sb @ ra)
            bw = dm + np.trace(sa) + np.trace(sb) - 2 * np.trace(cross).real
            nuc = np.linalg.svd(psd_sqrt_eigh(sb) @ psd_sqrt_eigh(sa), compute_uv=False).sum()
            bw_check = dm + np.trace(sa) + np.trace(sb) - 2 * nuc
            pairs.append({
                "a": labels[a],
                "b": labels[b],
                "angles_deg": ang.tolist(),
                "min_angle_deg": float(ang[0]) if len(ang) else None,
                "mean_angle_deg": float(ang.mean()) if len(ang) else None,
                "projection_distance": float(pdist),
                "mean_distance_sq": dm,
                "bures_wasserstein_sq": float(bw),
                "bures_wasserstein_check": float(bw_check),
            })
    return {
        "name": name,
        "eps": eps,
        "rank": rank,
        "normalize_rows": normalize,
        "m": m,
        "d": d,
        "labels": labels,
        "coding_rate_total": float(r_total),
        "coding_rate_classes": float(rc),
        "rate_reduction": float(r_total - rc),
        "centroid_nuclear_norm": float(np.linalg.svd(centroids, compute_uv=False).sum()),
        "classes": classes,
        "pairs": pairs,
    }


def read_digits():
    with gzip.open(os.path.join(root, "testdata", "digits.csv.gz"), "rt") as f:
        rows = list(csv.reader(f))
    x = [[float(v) for v in row[:64]] for row in rows]
    y = [row[64] for row in rows]
    return x, y


def edge_rows(rng):
    d = 6
    rows, labels = [], []
    rows.append(rng.standard_normal(d))
    labels.append("3")
    base = rng.standard_normal(d)
    plane = rng.standard_normal((2, d))
    for _ in range(4):
        rows.append(base + rng.standard_normal(2) @ plane)
        labels.append("10")
    for _ in range(40):
        rows.append(rng.standard_normal(d) * np.array([3, 2, 1.5, 1, 0.5, 0.25]) + 1)
        labels.append("7")
    # interleave the classes so shards mix them
    order = rng.permutation(len(rows))
    return [rows[i].tolist() for i in order], [labels[i] for i in order]


def d1_rows(rng):
    rows, labels = [], []
    for lab, n, mu, sd in (("2", 5, 1.0, 0.5), ("0", 1, -2.0, 0.0), ("1", 9, 0.5, 2.0)):
        for _ in range(n):
            rows.append([float(mu + sd * rng.standard_normal())])
            labels.append(lab)
    order = rng.permutation(len(rows))
    return [rows[i] for i in order], [labels[i] for i in order]


def main():
    os.makedirs(out_dir, exist_ok=True)
    x, y = read_digits()
    rng = np.random.default_rng(20240618)
    ex, ey = edge_rows(rng)
    dx, dy = d1_rows(rng)
    cases = [
        case("digits", x, y, 0.5, 0, False),
        case("digits_normalized", x, y, 0.5, 0, True),
        case("digits_rank5_eps1", x, y, 1.0, 5, False),
        dict(case("edge", ex, ey, 0.5, 3, False), rows=ex, row_labels=ey),
        dict(case("d1", dx, dy, 0.5, 0, False), rows=dx, row_labels=dy),
    ]
    spread = max(
        abs(p["bures_wasserstein_sq"] - p["bures_wasserstein_check"]) / max(p["bures_wasserstein_check"], 1e-300)
        for c in cases for p in c["pairs"]
    )
    doc = {
        "generator": "scripts/make_classgeom_goldens.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "bures_wasserstein_reference_spread": spread,
        "cases": cases,
    }
    path = os.path.join(out_dir, "golden.json")
    with open(path, "w") as f:
        json.dump(doc, f, sort_keys=True, indent=1)
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes; sqrtm vs eigh/nuclear-norm spread", spread)


if __name__ == "__main__":
    main()

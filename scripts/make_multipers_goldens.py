#!/usr/bin/python3
"""Make the multiparameter persistence fixtures and goldens under testdata/multipers/.

Independent of lowdim's Go code: NumPy/SciPy for the codensities and the grids,
GUDHI (python3-gudhi) for every Betti number and every sliced diagram.

Clouds (numpy default_rng seeds, see CLOUDS):

  hidden_circle  100 points on the unit circle (N(0, 0.03^2) noise per
                 coordinate) plus 200 uniform points in [-2, 2]^2. One-parameter
                 Rips H1 of the whole cloud has no outstanding bar; the
                 Gaussian-codensity bifiltration shows the circle at moderate t.
  two_circles    150 points on a circle of radius 1 centred at (-1.6, 0) and 50
                 on a circle of radius 0.8 centred at (1.6, 0), noise 0.02.
  torus          250 points of the torus R = 2, r = 1 (angles uniform), noise
                 0.05; homology up to H2.

Each cloud is written as <name>.csv with a header line (x,y,f or x,y,z,f) and one
point per line at %.17g (Go reads back the same float64s); the last column is
the codensity f that the bifiltration of that cloud uses. <name>.json holds:

  f_knn       {"k", "values"}: distance to the k-th nearest OTHER point
              (sklearn NearestNeighbors with k+1 neighbours, the point itself
              being its own nearest at distance 0).
  f_gaussian  {"bandwidth", "values"}: -(1/n) sum_j exp(-|x - x_j|^2 / (2 h^2)),
              the sum over ALL j including the point itself, no (2 pi h^2)^(-d/2)
              factor.
  codensity   which of the two is the csv's f column.
  quantile_grid  {"nt", "nr", "radius_quantile", "t", "r"}: np.quantile (method
              "linear") of f at levels (i+1)/nt, i < nt, and of the n(n-1)/2
              pairwise distances at levels radius_quantile*(j+1)/nr, j < nr.
  grid        {"t", "r"}: the grid the goldens use. Each value of quantile_grid
              is moved to the midpoint of the gap between the sorted f values
              (pairwise distances) that bracket it, so no grid value equals a
              vertex value or an edge length: <= versus < cannot matter.
  hilbert     hilbert[q][i][j] = dim H_q(Rips_{r_j}({x : f(x) <= t_i})), each
              from its own gudhi.RipsComplex(points=subset,
              max_edge_length=r_j) expanded to dimension max_dim+1, Z/2,
              betti_numbers() (0 for an empty subset, H0 = 1 for one point).
  signed_measure  [q, i, j, w] for every nonzero Moebius weight
              w = H(i,j) - H(i-1,j) - H(i,j-1) + H(i-1,j-1), H = 0 outside the grid
              (multipers' signed_measure(..., invariant="hilbert") with
              mass_default=None), computed with numpy from "hilbert".
  slices      lines (t0, r0) + s (a, b), s in [0, length], evenly spaced through
              the grid box (see lines()), and for each the landscapes
              lambda_k(s_i), s_i = length*i/(resolution-1), of the one-parameter
              filtration s(vertex x) = max(0, (f(x)-t0)/a), s(edge uv) =
              max(s(u), s(v), max(0, (|u-v|-r0)/b)), s(simplex) = max over its
              edges, simplices with s > length removed: a gudhi SimplexTree of
              the Rips complex with its filtration values reassigned. lambda_k =
              k-th largest max(0, min(s-b, d-s)), infinite deaths at length, no
              sqrt(2). Values level-major: values[k*resolution+i].
  one_parameter_h1  persistences (death - birth) of the H1 pairs of the Rips
              complex of the whole cloud (GUDHI, full complex), largest first.

Usage: /usr/bin/python3 scripts/make_multipers_goldens.py [outdir]
Needs: apt-get install -y python3-gudhi python3-numpy python3-scipy python3-sklearn
"""

import json
import math
import os
import sys

import gudhi
import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import cdist, pdist
from sklearn.neighbors import NearestNeighbors


def hidden_circle(seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 2 * np.pi, 100)
    circle = np.stack([np.cos(a), np.sin(a)], axis=1) + 0.03 * rng.standard_normal((100, 2))
    background = rng.uniform(-2, 2, (200, 2))
    return np.vstack([circle, background])


def two_circles(seed):
    rng = np.random.default_rng(seed)
    out = []
    for n, radius, cx in [(150, 1.0, -1.6), (50, 0.8, 1.6)]:
        a = rng.uniform(0, 2 * np.pi, n)
        c = np.stack([cx + radius * np.cos(a), radius * np.sin(a)], axis=1)
        out.append(c + 0.02 * rng.standard_normal(c.shape))
    return np.vstack(out)


def torus(seed, n=250, R=2.0, r=1.0, noise=0.05):
    rng = np.random.default_rng(seed)
    u = rng.uniform(0, 2 * np.pi, n)
    v = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u), r * np.sin(v)], axis=1)
    return pts + noise * rng.standard_normal(pts.shape)


CLOUDS = [
    # name, points, codensity used as f, knn k, gaussian bandwidth, max_dim,
    # nt, nr, radius quantile, line direction ("box" = box diagonal, else (a, b)), lines
    dict(name="hidden_circle", points=hidden_circle(20250112), codensity="gaussian", k=10, bandwidth=0.1,
         max_dim=1, nt=8, nr=16, radius_quantile=0.4, direction="box", lines=3),
    dict(name="two_circles", points=two_circles(20250102), codensity="knn", k=5, bandwidth=0.2,
         max_dim=1, nt=8, nr=12, radius_quantile=0.3, direction="box", lines=3),
    dict(name="torus", points=torus(20250103), codensity="knn", k=8, bandwidth=0.5,
         max_dim=2, nt=6, nr=10, radius_quantile=0.25, direction=(1.0, 1.0), lines=3),
]

LEVELS = 3
RESOLUTION = 41


def write_csv(path, pts, f):
    names = ["x", "y", "z"][: pts.shape[1]] + ["f"]
    with open(path, "w") as out:
        out.write(",".join(names) + "\n")
        for p, v in zip(pts, f):
            out.write(",".join("%.17g" % x for x in list(p) + [v]) + "\n")


def knn_codensity(pts, k):
    nn = NearestNeighbors(n_neighbors=k + 1).fit(pts)
    dist, _ = nn.kneighbors(pts)
    return dist[:, k]


def gaussian_codensity(pts, h):
    d2 = cdist(pts, pts, "sqeuclidean")
    return -np.exp(-d2 / (2 * h * h)).mean(axis=1)


def quantile_grid(f, dists, nt, nr, rq):
    t = np.quantile(f, (np.arange(nt) + 1) / nt)
    r = np.quantile(dists, np.array([rq * (j + 1) / nr for j in range(nr)]))
    return t, r


def off_ties(values, sorted_unique):
    """Moves each value to the midpoint of the gap of sorted_unique that holds it."""
    out = []
    for v in values:
        i = int(np.searchsorted(sorted_unique, v, side="right"))  # sorted_unique[i-1] <= v < sorted_unique[i]
        i = min(max(i, 1), len(sorted_unique) - 1)
        lo, hi = sorted_unique[i - 1], sorted_unique[i]
        while hi - lo <= 1e-9 * max(1.0, abs(hi)):  # a gap too narrow to stay clear of rounding
            i += 1
            lo, hi = sorted_unique[i - 1], sorted_unique[i]
        out.append(float((lo + hi) / 2))
    assert all(a < b for a, b in zip(out, out[1:])), out
    return out


def betti(pts, r, max_dim):
    if len(pts) == 0:
        return [0] * (max_dim + 1)
    st = gudhi.RipsComplex(points=pts, max_edge_length=r).create_simplex_tree(max_dimension=max_dim + 1)
    st.compute_persistence(homology_coeff_field=2)
    b = list(st.betti_numbers()) + [0] * (max_dim + 1)
    return [int(x) for x in b[: max_dim + 1]]


def hilbert(pts, f, t, r, max_dim):
    H = np.zeros((max_dim + 1, len(t), len(r)), dtype=int)
    for i, ti in enumerate(t):
        sub = pts[f <= ti]
        for j, rj in enumerate(r):
            H[:, i, j] = betti(sub, rj, max_dim)
    return H


def moebius(H):
    padded = np.pad(H, ((0, 0), (1, 0), (1, 0)))
    W = padded[:, 1:, 1:] - padded[:, :-1, 1:] - padded[:, 1:, :-1] + padded[:, :-1, :-1]
    return [[int(q), int(i), int(j), int(W[q, i, j])] for q, i, j in zip(*np.nonzero(W))]


def lines(box, n, a, b):
    """n lines of direction (a, b), evenly spaced offsets c = r/b - t/a through box."""
    tmin, tmax, rmin, rmax = box
    lo, hi = rmin / b - tmax / a, rmax / b - tmin / a
    out = []
    for k in range(n):
        c = lo + (k + 0.5) * (hi - lo) / n
        u0 = max(tmin / a, rmin / b - c)
        u1 = min(tmax / a, rmax / b - c)
        out.append(dict(t0=a * u0, r0=b * (u0 + c), a=a, b=b, length=u1 - u0))
    return out


def slice_landscapes(pts, f, line, max_dim):
    t0, r0, a, b, length = line["t0"], line["r0"], line["a"], line["b"], line["length"]
    sv = np.maximum(0.0, (f - t0) / a)
    D = cdist(pts, pts)
    E = np.maximum(0.0, (D - r0) / b)
    rips = gudhi.RipsComplex(points=pts, max_edge_length=(r0 + b * length) * (1 + 1e-9))
    st = rips.create_simplex_tree(max_dimension=max_dim + 1)
    for simplex, _ in list(st.get_simplices()):
        v = max(sv[x] for x in simplex)
        for p in range(len(simplex)):
            for q in range(p + 1, len(simplex)):
                v = max(v, E[simplex[p], simplex[q]])
        st.assign_filtration(simplex, v)
    st.make_filtration_non_decreasing()
    st.prune_above_filtration(length)
    st.compute_persistence(homology_coeff_field=2, min_persistence=0)
    grid = np.array([length * i / (RESOLUTION - 1) for i in range(RESOLUTION)])
    grid[-1] = length
    out = {}
    for q in range(max_dim + 1):
        iv = st.persistence_intervals_in_dimension(q)
        vals = np.zeros((LEVELS, RESOLUTION))
        if len(iv):
            births = iv[:, 0]
            deaths = np.where(np.isinf(iv[:, 1]), length, iv[:, 1])
            tents = np.maximum(0.0, np.minimum(grid[None, :] - births[:, None], deaths[:, None] - grid[None, :]))
            tents = -np.sort(-tents, axis=0)
            m = min(LEVELS, tents.shape[0])
            vals[:m] = tents[:m]
        out[str(q)] = [float(x) for x in vals.ravel()]
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "testdata", "multipers")
    os.makedirs(outdir, exist_ok=True)
    for c in CLOUDS:
        name = c["name"]
        raw = c["points"]
        f_knn = knn_codensity(raw, c["k"])
        f_gauss = gaussian_codensity(raw, c["bandwidth"])
        f_raw = f_gauss if c["codensity"] == "gaussian" else f_knn
        write_csv(os.path.join(outdir, name + ".csv"), raw, f_raw)
        # Read back what Go reads.
        data = np.loadtxt(os.path.join(outdir, name + ".csv"), delimiter=",", skiprows=1)
        pts, f = data[:, :-1], data[:, -1]
        assert np.array_equal(pts, raw) and np.array_equal(f, f_raw)
        dists = pdist(pts)
        qt, qr = quantile_grid(f, dists, c["nt"], c["nr"], c["radius_quantile"])
        t = off_ties(qt, np.unique(f))
        r = off_ties(qr, np.unique(dists))
        H = hilbert(pts, f, t, r, c["max_dim"])
        box = (t[0], t[-1], r[0], r[-1])
        a, b = (box[1] - box[0], box[3] - box[2]) if c["direction"] == "box" else c["direction"]
        ls = lines(box, c["lines"], a, b)
        for line in ls:
            line["landscapes"] = slice_landscapes(pts, f, line, c["max_dim"])
        full = gudhi.RipsComplex(points=pts).create_simplex_tree(max_dimension=2)
        full.compute_persistence(homology_coeff_field=2)
        iv = full.persistence_intervals_in_dimension(1)
        pers = sorted((float(d - b) for b, d in iv), reverse=True)
        g = {
            "name": name,
            "points": name + ".csv",
            "n": int(pts.shape[0]),
            "dim": int(pts.shape[1]),
            "max_dim": c["max_dim"],
            "codensity": c["codensity"],
            "f_knn": {"k": c["k"], "values": [float(x) for x in f_knn]},
            "f_gaussian": {"bandwidth": c["bandwidth"], "values": [float(x) for x in f_gauss]},
            "quantile_grid": {"nt": c["nt"], "nr": c["nr"], "radius_quantile": c["radius_quantile"],
                              "t": [float(x) for x in qt], "r": [float(x) for x in qr]},
            "grid": {"t": t, "r": r},
            "hilbert": H.tolist(),
            "signed_measure": moebius(H),
            "slices": {"levels": LEVELS, "resolution": RESOLUTION, "direction": c["direction"], "lines": ls},
            "one_parameter_h1": pers[:10],
        }
        with open(os.path.join(outdir, name + ".json"), "w") as out:
            json.dump(g, out)
            out.write("\n")
        print(name, "n=%d" % len(pts), "H:", H.shape, "max H1", H[1].max(), "full-cloud H1 top", np.round(pers[:3], 3))
    print("gudhi", gudhi.__version__, "numpy", np.__version__, "scipy", scipy.__version__,
          "sklearn", sklearn.__version__, "->", os.path.abspath(outdir))


if __name__ == "__main__":
    main()

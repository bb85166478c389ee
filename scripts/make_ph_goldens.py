#!/usr/bin/python3
"""Make the persistent homology fixtures and goldens under testdata/ph/.

Fixture clouds are drawn with numpy seeds and written as CSV (one point per
line, comma separated, %.17g so Go reads back the same float64). For each
case the goldens JSON holds:

  ripser     diagrams from Debian's `ripser` command-line program (1.2.1):
             Z/2, float32 distances, printed with 6 significant digits, so
             expect differences up to ~5e-6 against float64 kernels;
  gudhi      diagrams from python3-gudhi's RipsComplex (float64), Z/2,
             min_persistence 0 (only intervals of positive length);
  landscapes gudhi.representations.Landscape on the finite GUDHI pairs of a
             dimension, with its own grid (sample range [min birth, max death]
             of the diagram, resolution+2 points, endpoints dropped), recorded
             in "grid". GUDHI multiplies the landscape by sqrt(2): the values
             in "values" are GUDHI's, and "sqrt2_factor" says so; divide by
             sqrt(2) to get Bubenik's lambda_k.

A null death is an essential class (+Inf); a null threshold is the full
complex (Ripser and lowdim use the enclosing radius in its place).

Usage: /usr/bin/python3 scripts/make_ph_goldens.py [outdir]
Needs: apt-get install -y ripser python3-gudhi python3-numpy
"""

import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import gudhi
from gudhi.representations import Landscape


def noisy_circle(seed, n=100, radius=1.0, noise=0.1):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([radius * np.cos(a), radius * np.sin(a)], axis=1)
    return pts + noise * rng.standard_normal(pts.shape)


def torus(seed, n=300, R=2.0, r=1.0, noise=0.05):
    rng = np.random.default_rng(seed)
    u = rng.uniform(0, 2 * np.pi, n)
    v = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u), r * np.sin(v)], axis=1)
    return pts + noise * rng.standard_normal(pts.shape)


def sphere(seed, n=150, noise=0.02):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x + noise * rng.standard_normal(x.shape)


CASES = [
    # name, cloud, max_dim, threshold (None = full complex), gudhi?
    ("circle", noisy_circle(20240601), 1, None, True),
    ("torus", torus(20240602), 2, 1.2, True),
    ("sphere_sparse", sphere(20240603), 2, 1.0, True),
    ("sphere_full", None, 2, None, False),  # same cloud as sphere_sparse
]

LANDSCAPES = [("circle", 1), ("torus", 1), ("sphere_sparse", 1)]
NUM_LANDSCAPES = 5
RESOLUTION = 100


def write_csv(path, pts):
    with open(path, "w") as f:
        for p in pts:
            f.write(",".join("%.17g" % x for x in p) + "\n")


def run_ripser(csv_path, max_dim, threshold):
    cmd = ["ripser", "--format", "point-cloud", "--dim", str(max_dim)]
    if threshold is not None:
        cmd += ["--threshold", repr(threshold)]
    out = subprocess.run(cmd + [csv_path], check=True, capture_output=True, text=True).stdout
    diagrams = {str(d): [] for d in range(max_dim + 1)}
    dim = None
    for line in out.splitlines():
        m = re.match(r"persistence intervals in dim (\d+):", line)
        if m:
            dim = m.group(1)
            continue
        m = re.match(r"\s*\[([^,]+),([^)]*)\)", line)
        if m and dim is not None:
            death = m.group(2).strip()
            diagrams[dim].append([float(m.group(1)), float(death) if death else None])
    return diagrams


def run_gudhi(pts, max_dim, threshold):
    rips = gudhi.RipsComplex(points=pts, max_edge_length=math.inf if threshold is None else threshold)
    st = rips.create_simplex_tree(max_dimension=max_dim + 1)
    st.compute_persistence(homology_coeff_field=2, min_persistence=0)
    out = {}
    for d in range(max_dim + 1):
        iv = st.persistence_intervals_in_dimension(d)
        out[str(d)] = [[float(b), None if math.isinf(e) else float(e)] for b, e in iv]
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "testdata", "ph")
    os.makedirs(outdir, exist_ok=True)
    clouds = {}
    goldens = {}
    for name, pts, max_dim, threshold, with_gudhi in CASES:
        if pts is None:
            pts = clouds["sphere_sparse"]
            csv_name = "sphere_sparse.csv"
        else:
            csv_name = name + ".csv"
            write_csv(os.path.join(outdir, csv_name), pts)
        clouds[name] = pts
        pts = np.loadtxt(os.path.join(outdir, csv_name), delimiter=",")
        g = {
            "name": name,
            "points": csv_name,
            "n": int(pts.shape[0]),
            "dim": int(pts.shape[1]),
            "max_dim": max_dim,
            "threshold": threshold,
            "ripser": run_ripser(os.path.join(outdir, csv_name), max_dim, threshold),
        }
        if with_gudhi:
            g["gudhi"] = run_gudhi(pts, max_dim, threshold)
        goldens[name] = g

    for name, hdim in LANDSCAPES:
        diag = np.array([[b, d] for b, d in goldens[name]["gudhi"][str(hdim)] if d is not None])
        ls = Landscape(num_landscapes=NUM_LANDSCAPES, resolution=RESOLUTION)
        values = ls.fit_transform([diag])[0]
        goldens[name].setdefault("landscapes", []).append({
            "homology_dim": hdim,
            "num_landscapes": NUM_LANDSCAPES,
            "resolution": RESOLUTION,
            "grid": [float(x) for x in ls.grid_],
            "values": [float(x) for x in values],  # level-major: values[k*resolution + i]
            "sqrt2_factor": True,
        })

    for name, g in goldens.items():
        with open(os.path.join(outdir, name + ".json"), "w") as f:
            json.dump(g, f, indent=1)
            f.write("\n")
    print("gudhi", gudhi.__version__, "numpy", np.__version__, "->", os.path.abspath(outdir))


if __name__ == "__main__":
    main()

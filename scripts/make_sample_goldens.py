#!/usr/bin/python3
"""Writes testdata/sample/golden.json: NumPy/Python reference values for the
max-min landmarks of linalg/sample and the exact sums of linalg
(AddExact, RoundExact).

Run from anywhere:  /usr/bin/python3 scripts/make_sample_goldens.py
Needs Debian's python3-numpy. Deterministic (seeded generator, sorted JSON
keys), about 180 KB.

  maxmin.points     n x dim cloud, numpy default_rng(21), normal
  maxmin.cases      (m, first) -> landmarks in the order chosen: first, then
                    repeatedly argmax over the unchosen points of the distance
                    to the nearest chosen landmark (np.argmax: the smallest
                    index among ties), distances by numpy.linalg.norm
                    (de Silva & Carlsson 2004, section 5.2)
  fsum.cases        lists of doubles spanning ~160 binades, with cancellation;
                    sum = math.fsum (correctly rounded exact sum, Shewchuk),
                    checked against the exact rational sum (fractions.Fraction)
                    rounded once
"""
import json
import math
import os
from fractions import Fraction

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "sample", "golden.json")


def maxmin(points, m, first):
    n = len(points)
    nearest = np.full(n, np.inf)
    chosen = np.zeros(n, dtype=bool)
    out = []
    nxt = first
    while len(out) < m:
        out.append(int(nxt))
        chosen[nxt] = True
        d = np.linalg.norm(points - points[nxt], axis=1)
        nearest = np.minimum(nearest, d)
        cand = np.where(chosen, -1.0, nearest)
        nxt = int(np.argmax(cand))
    return out


def main():
    rng = np.random.default_rng(21)
    n, dim = 300, 3
    points = rng.normal(size=(n, dim))
    cases = []
    for m, first in [(1, 0), (2, 7), (10, 0), (25, 123), (60, 299), (300, 5)]:
        cases.append({"m": m, "first": first, "landmarks": maxmin(points, m, first)})

    fcases = []
    for trial in range(6):
        k = [10, 100, 1000, 1000, 5000, 3][trial]
        mant = rng.random(k)
        expo = rng.integers(-80, 80, size=k)
        sign = rng.choice([-1.0, 1.0], size=k)
        vals = [float(s * math.ldexp(float(x), int(e))) for s, x, e in zip(sign, mant, expo)]
        if trial == 3:  # heavy cancellation: every value and its negative, plus one tiny value
            vals = vals[:500] + [-v for v in vals[:500]] + [math.ldexp(1.0, -70)]
        if trial == 5:
            vals = [1e100, 1.0, -1e100]
        exact = sum(Fraction(v) for v in vals)
        assert math.fsum(vals) == float(exact)
        fcases.append({"values": vals, "sum": math.fsum(vals)})
    doc = {
        "maxmin": {"n": n, "dim": dim, "points": points.ravel().tolist(), "cases": cases},
        "fsum": {"cases": fcases},
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

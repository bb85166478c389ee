#!/usr/bin/python3
"""Make the Hessian goldens under testdata/hessian/ for linalg/hessian.

Data: the first 200 rows of testdata/digits.csv.gz (scikit-learn's digits),
pixels divided by 16 (so x is in [0, 1]), label = column 64.

Loss: mean softmax cross-entropy L(theta) = (1/N) sum_i -log softmax(f(x_i))_{y_i}
of a fully connected ReLU network (no hidden layer = multinomial logistic
regression). theta lists, per affine map l, "layers.l.weight" (out x in,
row-major) then "layers.l.bias", as lowdim's linalg/nn checkpoints do.

Two independent routes to the Hessian, neither of them Pearlmutter's R-operator
(which is what the Go code implements):

  closed form (logistic only): H = (1/N) sum_i (diag(p_i) - p_i p_i^T) kron
      xt_i xt_i^T with xt = [x; 1] (Bishop, PRML, eq. 4.110 for the multiclass
      case), built in (class, input) order and then permuted to the
      checkpoint order (W row-major, then b).
  complex step (Squire & Trapp 1998; Martins et al. 2003): a hand-written
      backpropagation gradient g(theta) evaluated at theta + i*h*v,
      h = 1e-30, gives H v = Im g(theta + i h v) / h with no subtractive
      cancellation (exact to rounding). ReLU masks use Re z, so the step stays
      on the same linear piece. Columns H e_j give the dense Hessian.

For the logistic case both routes are computed and must agree (asserted).

Each golden JSON holds: sizes, rows, scale, theta (the weights used, drawn
from numpy default_rng seeds), eigenvalues (all D, ascending, numpy eigh of
the symmetrised dense Hessian), trace, v (a seeded N(0,1) direction), hv (H v
by complex step), and layer_eigenvalues[l] (eigenvalues of the diagonal block
of layer l, ascending).

Usage: /usr/bin/python3 scripts/make_hessian_goldens.py [outdir]
Needs: python3-numpy (Debian).
"""

import gzip
import json
import os
import sys

import numpy as np

ROWS = 200
SCALE = 1.0 / 16.0
STEP = 1e-30


def load_digits(root):
    with gzip.open(os.path.join(root, "testdata", "digits.csv.gz"), "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    x = data[:ROWS, :64] * SCALE
    y = data[:ROWS, 64].astype(int)
    return x, y


def num_params(sizes):
    return sum(sizes[l] * (sizes[l - 1] + 1) for l in range(1, len(sizes)))


def layer_ranges(sizes):
    """[lo, hi) of "layers.l.*" in theta, for each affine map l."""
    out, off = [], 0
    for l in range(1, len(sizes)):
        n = sizes[l] * (sizes[l - 1] + 1)
        out.append((off, off + n))
        off += n
    return out


def unpack(theta, sizes):
    layers, off = [], 0
    for l in range(1, len(sizes)):
        o, i = sizes[l], sizes[l - 1]
        w = theta[off:off + o * i].reshape(o, i)
        off += o * i
        b = theta[off:off + o]
        off += o
        layers.append((w, b))
    return layers


def gradient(theta, sizes, x, y):
    """Gradient of the mean cross-entropy by backpropagation; works on complex theta."""
    layers = unpack(theta, sizes)
    acts, masks = [x.astype(theta.dtype)], []
    for k, (w, b) in enumerate(layers):
        z = acts[-1] @ w.T + b
        if k < len(layers) - 1:
            m = z.real > 0
            masks.append(m)
            acts.append(z * m)
        else:
            acts.append(z)
    z = acts[-1]
    z = z - z.real.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    delta = p.copy()
    delta[np.arange(n), y] -= 1
    delta /= n
    grads = []
    for k in range(len(layers) - 1, -1, -1):
        w, _ = layers[k]
        grads.append((delta.T @ acts[k], delta.sum(axis=0)))
        if k > 0:
            delta = (delta @ w) * masks[k - 1]
    grads.reverse()
    return np.concatenate([np.concatenate([gw.ravel(), gb]) for gw, gb in grads])


def hvp_complex_step(theta, v, sizes, x, y):
    return gradient(theta + 1j * STEP * v, sizes, x, y).imag / STEP


def dense_complex_step(theta, sizes, x, y):
    D = theta.size
    H = np.empty((D, D))
    e = np.zeros(D)
    for j in range(D):
        e[j] = 1
        H[:, j] = hvp_complex_step(theta, e, sizes, x, y)
        e[j] = 0
    return H


def closed_form_logistic(theta, x, y, classes):
    n, d = x.shape
    w = theta[:classes * d].reshape(classes, d)
    b = theta[classes * d:]
    z = x @ w.T + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    xt = np.hstack([x, np.ones((n, 1))])
    H = np.zeros((classes * (d + 1), classes * (d + 1)))
    for i in range(n):
        H += np.kron(np.diag(p[i]) - np.outer(p[i], p[i]), np.outer(xt[i], xt[i]))
    H /= n
    # (class c, input j) -> checkpoint index: W[c, j] at c*d + j, b[c] at classes*d + c.
    perm = np.empty(classes * (d + 1), dtype=int)
    for c in range(classes):
        for j in range(d + 1):
            perm[c * (d + 1) + j] = c * d + j if j < d else classes * d + c
    out = np.empty_like(H)
    out[np.ix_(perm, perm)] = H
    return out


def he_init(sizes, rng, gain_last=1.0):
    parts = []
    for l in range(1, len(sizes)):
        o, i = sizes[l], sizes[l - 1]
        gain = gain_last if l == len(sizes) - 1 else 2.0
        parts.append(rng.normal(0, np.sqrt(gain / i), o * i))
        parts.append(rng.normal(0, 0.1, o))  # nonzero biases exercise the bias block
    return np.concatenate(parts)


def golden(name, sizes, theta, x, y, H, seed):
    H = 0.5 * (H + H.T)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(theta.size)
    hv = hvp_complex_step(theta, v, sizes, x, y)
    assert np.allclose(hv, H @ v, rtol=1e-10, atol=1e-13 * np.abs(H).max()), name
    layer_eigs = [np.linalg.eigvalsh(H[lo:hi, lo:hi]).tolist() for lo, hi in layer_ranges(sizes)]
    return {
        "name": name,
        "sizes": sizes,
        "rows": ROWS,
        "scale": SCALE,
        "theta": theta.tolist(),
        "eigenvalues": np.linalg.eigvalsh(H).tolist(),
        "trace": float(np.trace(H)),
        "frobenius": float(np.linalg.norm(H)),
        "v": v.tolist(),
        "hv": hv.tolist(),
        "layer_eigenvalues": layer_eigs,
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "testdata", "hessian")
    os.makedirs(outdir, exist_ok=True)
    x, y = load_digits(root)

    sizes = [64, 10]
    theta = he_init(sizes, np.random.default_rng(17), gain_last=4.0)
    H = closed_form_logistic(theta, x, y, 10)
    Hc = dense_complex_step(theta, sizes, x, y)
    err = np.abs(H - Hc).max() / np.abs(H).max()
    assert err < 1e-12, f"closed form vs complex step: {err}"
    g = golden("logistic", sizes, theta, x, y, H, 18)
    g["closed_form_vs_complex_step"] = float(err)
    write(outdir, "logistic.json", g)

    sizes = [64, 12, 8, 10]
    theta = he_init(sizes, np.random.default_rng(27))
    H = dense_complex_step(theta, sizes, x, y)
    asym = np.abs(H - H.T).max() / np.abs(H).max()
    assert asym < 1e-12, f"complex-step Hessian asymmetry {asym}"
    write(outdir, "mlp.json", golden("mlp", sizes, theta, x, y, H, 28))


def write(outdir, name, g):
    path = os.path.join(outdir, name)
    with open(path, "w") as f:
        json.dump(g, f, separators=(",", ":"))
        f.write("\n")
    eig = np.array(g["eigenvalues"])
    print(f"{path}: D={eig.size} top3={eig[-3:][::-1]} min={eig[0]:.3g} trace={g['trace']:.6g}")


if __name__ == "__main__":
    main()

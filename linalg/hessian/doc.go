// Package hessian computes spectra of the Hessian ∇²L(θ) of the mean softmax
// cross-entropy L(θ) = (1/N) Σᵢ −log softmax(f(xᵢ; θ))_{yᵢ} of a linalg/nn
// MLP, in the spirit of Sagun, Evci, Güney, Dauphin & Bottou 2018 ("Empirical
// analysis of the Hessian of over-parametrized neural networks": a bulk near
// zero and about one outlier per class) and of PyHessian (Yao, Gholami,
// Keutzer & Mahoney 2020).
//
// The Hessian is never formed from finite differences. A Product applies
// ∇²ℓᵢ(θ)v exactly by Pearlmutter's R-operator (Pearlmutter 1994, "Fast exact
// multiplication by the Hessian", Neural Computation 6(1), §3–4): a forward
// R-pass propagates R{zₗ} = Vₗaₗ₋₁ + cₗ + WₗR{aₗ₋₁}, R{aₗ} = 1[zₗ>0]⊙R{zₗ}
// through the network, a backward R-pass propagates R{δ} alongside the
// gradient's δ, and R{∂ℓ/∂Wₗ} = R{δₗ}aₗ₋₁ᵀ + δₗR{aₗ₋₁}ᵀ is Hv. (ReLU″ = 0
// almost everywhere, so the products are exact wherever no pre-activation is
// exactly 0.) A shard of rows returns the sum of its rows' products and its
// row count, so shards merge by addition; CrossEntropy sums them in shard
// order and divides by N.
//
// Four methods act on any symmetric Operator:
//
//   - Exact: the dense Hessian from D products and all its eigenvalues
//     (gonum EigenSym), for D ≤ MaxExactDim.
//   - Lanczos: top-k and bottom-k eigenvalues by Lanczos with full
//     reorthogonalisation from a seeded start, with residual bounds.
//   - SLQ: stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019, "An
//     investigation into neural net optimization via Hessian eigenvalue
//     density", ICML, §2.2, eq. 6–8): per Rademacher probe the Gauss
//     quadrature nodes and weights of its tridiagonal, averaged over probes
//     and broadened by a Gaussian of width σ.
//   - Hutchinson: tr H ≈ (1/n) Σⱼ vⱼᵀHvⱼ over Rademacher probes (Hutchinson
//     1990) with its standard error.
//
// Outliers splits a spectrum into bulk and outliers (see there for the rule).
//
// Randomness: each method derives its stream from the caller's seed with
// linalg.DeriveSeed and a fixed method key, and probe j of SLQ or Hutchinson
// from DeriveSeed(DeriveSeed(seed, key), j), so a probe is the same vector
// however the probes are split between calls (FirstProbe) and results merge.
//
// Nothing here is safe for concurrent use unless stated.
package hessian

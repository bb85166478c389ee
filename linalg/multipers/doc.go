// Package multipers computes two-parameter persistent homology of point
// clouds: the codensity–Rips bifiltration, its Hilbert function on a grid,
// the Hilbert function's signed barcode (its Möbius inversion) and
// persistence landscapes of its restrictions to lines.
//
// The seed paper is Loiseaux, Scoccola, Carrière, Botnan & Oudot,
// "Stable vectorization of multiparameter persistent homology using signed
// barcodes as measures" (NeurIPS 2023); the peer implementation is the
// Python library multipers, whose conventions are followed and named where
// they matter.
//
// # Bifiltration
//
// A codensity f on the points (KNNCodensity, GaussianCodensity: low where the
// cloud is dense) and the Euclidean distances define
//
//	K(t, r) = Rips_r({x : f(x) ≤ t}),
//
// the flag complex on the points with f(x) ≤ t whose edges have length ≤ r.
// K(t, r) ⊆ K(t', r') whenever t ≤ t' and r ≤ r'. A simplex σ enters at the
// single grade (max_{x∈σ} f(x), diam σ): the bifiltration is one-critical.
//
// # Hilbert function and signed barcode
//
// On a grid T₀ < … < T_{I−1}, R₀ < … < R_{J−1} the Hilbert function is
//
//	H_q(i, j) = dim H_q(K(Tᵢ, R_j); Z/2).
//
// Each t-column is one Vietoris–Rips persistence computation (package ph) on
// the sublevel set {f ≤ Tᵢ} with threshold R_{J−1}; H_q(i, j) is the number of
// its q-dimensional pairs with Birth ≤ R_j < Death (essential pairs count).
// Columns are independent and computed in parallel.
//
// The signed barcode of the Hilbert function is its Möbius inversion on the
// grid, the signed point measure Σ w(i, j) δ_{(Tᵢ, R_j)} with
//
//	w(i, j) = H(i, j) − H(i−1, j) − H(i, j−1) + H(i−1, j−1),  H = 0 off the grid,
//
// so that H(i, j) = Σ_{i' ≤ i, j' ≤ j} w(i', j'): the upset decomposition
// H = Σ w(i, j)·1[(Tᵢ, R_j) ≤ ·] restricted to the grid. This is what
// multipers' signed_measure(..., invariant="hilbert") returns with its
// default mass_default=None (its C++ differentiates each axis with
// H(−1) = 0 and keeps the nonzero entries); with mass_default set, multipers
// appends one more grid value per axis where H is zero, which adds the
// weights that make the total mass zero. That variant is not implemented.
//
// # Slices
//
// Along a line ℓ(s) = (T0, R0) + s·(A, B), A, B > 0, the bifiltration
// restricts to a one-parameter filtration: a simplex of grade (f, d) is in
// K(ℓ(s)) iff s ≥ max((f − T0)/A, (d − R0)/B). So vertex x enters at
// s_x = (f(x) − T0)/A, edge uv at max(s_u, s_v, (d(u, v) − R0)/B), and every
// higher simplex at the maximum over its edges: a flag filtration, computed by
// ph.VietorisRipsDistances with Options.VertexBirth. Values below the line's
// start are clamped to 0, which restricts the barcode to s ≥ 0, the part of
// the line from its base point on: bars ending at s ≤ 0 vanish and earlier
// births become 0. Simplices entering after s = Length are left out;
// classes alive there are essential, and the landscapes truncate them at
// Length.
package multipers

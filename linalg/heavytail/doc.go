// Package heavytail holds the kernels of heavy-tailed self-regularisation
// analysis of weight matrices (Martin & Mahoney 2021, "Implicit
// self-regularization in deep neural networks", JMLR 22(165)), as
// WeightWatcher computes it:
//
//   - Spectrum.SquaredSingularValues: the full spectrum λᵢ = σᵢ(W)² of a
//     dense m×n matrix, values only (Gram matrix and a two-stage tridiagonal
//     reduction on linalg's fast products);
//   - FitPowerLaw: the power-law fit of Clauset, Shalizi & Newman (2009) to
//     the tail of λ (continuous MLE, KS-minimising xmin);
//   - AlphaWeighted, LogAlphaNorm, LogSpectralNorm, LogNorm and
//     ComputeMetrics: WeightWatcher's derived metrics, with its definitions;
//   - KeptEnergy and RanksAtFractions: the rank-cut profile, the fraction of
//     ‖W‖_F² kept by the best rank-r approximation.
//
// The package is a pure kernel: it does not know about Beam or file formats.
package heavytail

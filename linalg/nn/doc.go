// Package nn trains small classifiers in pure Go on gonum: multinomial
// logistic regression and fully connected ReLU networks with softmax
// cross-entropy, mini-batch SGD or Adam, either in their full parameter space
// or in a random affine subspace θ = θ₀ + Pθ_d, θ_d ∈ R^d starting at zero
// (Li, Farkhoor, Liu & Yosinski 2018, "Measuring the Intrinsic Dimension of
// Objective Landscapes", ICLR, §2).
//
// Projections P ∈ R^{D×d} have unit-norm columns (exactly for Dense and
// Sparse, in expectation for Fastfood) and are applied without
// materialising P for Sparse and Fastfood; the gradient in θ_d is Pᵀ∇_θ L.
//
// Every random draw comes from an explicit seed (math/rand/v2 PCG), so a run
// is a deterministic function of its inputs. Nothing here is safe for
// concurrent use unless stated.
package nn

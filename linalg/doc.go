// Package linalg holds lowdim's pure numerical kernels: randomized SVD
// (Halko, Martinsson & Tropp 2011), the exact merge of row-shard factorisations,
// and the spectral metrics quoted in the low-dimensional-structure literature.
// It never imports Beam: every kernel is testable and benchmarkable alone.
package linalg

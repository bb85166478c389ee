package linalg

// WeLore applies the low-rank-component rule of WeLore (Jaiswal et al.
// 2024, "From GaLore to WeLore: how low-rank weights non-uniformly emerge
// from low-rank gradients", §4) to the full spectrum σ₁ ≥ … ≥ σ_p,
// p = min(m, n), of an m×n matrix, as implemented here:
//
//	σ̃ᵢ = (σᵢ − σ_p)/(σ₁ − σ_p)               (min-max normalisation)
//	rank = #{i : σ̃ᵢ ≥ τ}                      (σ̃ below τ are dropped)
//	reduction = 1 − rank/p
//	lowRank = rank·(m + n) < m·n               (the factors Uᵣ, ΣᵣVᵣᵀ take
//	                                            less memory than the matrix)
//
// When σ₁ = σ_p no singular value stands out: rank is p, or 0 for the zero
// matrix. The paper picks τ globally to reach a target compression and
// calls the components that admit a large rank reduction LRCs; the memory
// criterion above is this package's fixed reading of "large".
func WeLore(sigma []float64, m, n int, tau float64) (rank int, reduction float64, lowRank bool) {
	p := len(sigma)
	if p == 0 {
		return 0, 0, false
	}
	hi, lo := sigma[0], sigma[p-1]
	switch {
	case hi == 0:
		rank = 0
	case hi == lo:
		rank = p
	default:
		for _, s := range sigma {
			if (s-lo)/(hi-lo) >= tau {
				rank++
			}
		}
	}
	return rank, 1 - float64(rank)/float64(p), float64(rank)*float64(m+n) < float64(m)*float64(n)
}

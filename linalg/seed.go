package linalg

// DeriveSeed mixes a spec seed with an element key (the SplitMix64 finaliser
// of seed ⊕ f(key), Steele et al. 2014), so every element draws an
// independent, reproducible stream that depends on neither sharding, bundling
// nor the runner, and nearby keys give unrelated seeds. It is lowdim's one
// seed derivation: every random draw starts from DeriveSeed(spec seed, key).
func DeriveSeed(seed, key uint64) uint64 {
	z := seed ^ (key+0x9e3779b97f4a7c15)*0xbf58476d1ce4e5b9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

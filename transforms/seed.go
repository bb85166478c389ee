package transforms

import "reflect"

// DeriveSeed mixes a spec seed with an element key (SplitMix64 finaliser,
// Steele et al. 2014), so every element draws an independent, reproducible
// stream that does not depend on sharding, bundling or the runner.
func DeriveSeed(seed, key uint64) uint64 {
	z := seed ^ (key+0x9e3779b97f4a7c15)*0xbf58476d1ce4e5b9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

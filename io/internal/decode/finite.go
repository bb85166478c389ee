package decode

import "math"

// finiteWidth is the width, in elements, of allFiniteAVX2's main loop.
const finiteWidth = 16

// AllFinite reports whether no element of x is NaN or ±Inf. It rests on
// x − x being +0 for every finite x and NaN otherwise, so it reads x once
// without branches, at memory speed on amd64 with AVX2.
func AllFinite(x []float64) bool {
	head := true
	if useAsm && len(x) >= finiteWidth {
		n := len(x) &^ (finiteWidth - 1)
		head = allFiniteAVX2(&x[0], n)
		x = x[n:]
	}
	return head && allFinite(x)
}

// allFinite is AllFinite in Go, for float64 or float32 values.
func allFinite[T float32 | float64](x []T) bool {
	var s0, s1, s2, s3 T
	for len(x) >= 4 {
		v := x[:4:4]
		s0 += v[0] - v[0]
		s1 += v[1] - v[1]
		s2 += v[2] - v[2]
		s3 += v[3] - v[3]
		x = x[4:]
	}
	for _, v := range x {
		s0 += v - v
	}
	return s0+s1+s2+s3 == 0
}

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or −1
// when every element is finite (one AllFinite pass in the common case).
func FirstNonFinite(x []float64) int {
	if AllFinite(x) {
		return -1
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}

// AllFinite32 is AllFinite for float32 values (x − x summed in float32).
func AllFinite32(x []float32) bool { return allFinite(x) }

package linalg

import "math"

// AddExact adds x to the exact sum held in partials, a non-overlapping
// expansion in increasing magnitude (Shewchuk 1997, "Adaptive precision
// floating-point arithmetic and fast robust geometric predicates", §2.8:
// grow-expansion with zero elimination, as in Python's math.fsum, msum
// recipe), and returns the expansion, reusing partials' memory. The sum has
// no rounding error, so RoundExact of it does not depend on the order of
// the additions, nor on how partial sums were merged (add one expansion's
// partials to another). x must be finite. A nil partials is the sum 0.
func AddExact(partials []float64, x float64) []float64 {
	i := 0
	for _, y := range partials {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			partials[i] = lo
			i++
		}
		x = hi
	}
	return append(partials[:i], x)
}

// RoundExact returns the exact sum of the expansion partials (built by
// AddExact) rounded to the nearest float64, ties to even, as Python's
// math.fsum does: the result depends only on the exact sum.
func RoundExact(partials []float64) float64 {
	n := len(partials)
	if n == 0 {
		return 0
	}
	n--
	hi := partials[n]
	var lo float64
	for n > 0 {
		x := hi
		n--
		y := partials[n]
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	// Round half to even when the rest of the expansion breaks the tie.
	if n > 0 && ((lo < 0 && partials[n-1] < 0) || (lo > 0 && partials[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		yr := x - hi
		if y == yr {
			hi = x
		}
	}
	return hi
}

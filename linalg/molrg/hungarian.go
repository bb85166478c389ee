package molrg

import (
	"fmt"
	"math"
)

// Hungarian solves the linear assignment problem on the square cost matrix
// cost: it returns the permutation match minimising Σᵢ cost[i][match[i]] and
// that minimum. It is the O(K³) shortest-augmenting-path form of the
// Hungarian method with dual potentials (Kuhn 1955; Munkres 1957; Jonker &
// Volgenant 1987): rows are added one at a time and each is routed along a
// Dijkstra-like search on reduced costs cost[i][j] − u[i] − v[j] ≥ 0.
// Among optimal assignments the one returned depends only on cost.
// Hungarian panics if cost is not square or holds NaN or ±Inf.
func Hungarian(cost [][]float64) (match []int, total float64) {
	n := len(cost)
	for i, row := range cost {
		if len(row) != n {
			panic(fmt.Sprintf("molrg: Hungarian: row %d has %d costs, want %d", i, len(row), n))
		}
		for j, c := range row {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				panic(fmt.Sprintf("molrg: Hungarian: cost[%d][%d] = %v", i, j, c))
			}
		}
	}
	if n == 0 {
		return nil, 0
	}
	// 1-based arrays; column 0 is a virtual column holding the row being added.
	u := make([]float64, n+1)
	v := make([]float64, n+1)
	rowOf := make([]int, n+1) // rowOf[j]: row assigned to column j, 0 if none
	way := make([]int, n+1)
	minv := make([]float64, n+1)
	used := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		rowOf[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0, delta, j1 := rowOf[j0], math.Inf(1), 0
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				if cur := cost[i0-1][j-1] - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[rowOf[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if rowOf[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			rowOf[j0] = rowOf[j1]
			j0 = j1
		}
	}
	match = make([]int, n)
	for j := 1; j <= n; j++ {
		match[rowOf[j]-1] = j - 1
	}
	for i, j := range match {
		total += cost[i][j]
	}
	return match, total
}

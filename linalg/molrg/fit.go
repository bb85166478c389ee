package molrg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Initialisations of KSubspaces, the values of KSSOptions.Init.
const (
	// InitRandom starts from K independent bases uniform on the
	// Grassmannian, the textbook K-subspaces start (Bradley & Mangasarian
	// 2000; Tseng 2000).
	InitRandom = "random"
	// InitNeighbors seeds subspaces like k-means++ (Arthur & Vassilvitskii
	// 2007): a seed point drawn uniformly, then each next seed with
	// probability ∝ its squared residual to the subspaces so far, each seed's
	// subspace spanned by the seed and its d−1 nearest points in absolute
	// cosine |⟨x, y⟩|/(‖x‖‖y‖) (the neighbourhood idea of greedy subspace
	// clustering, Park, Caramanis & Sanghavi 2014).
	InitNeighbors = "neighbors"
)

// PCA returns the top-d right singular vectors of x (rows are samples) as an
// n×d matrix with orthonormal columns: the d-dimensional subspace through the
// origin closest to the rows in squared distance (Eckart–Young). The rows are
// not centred, since every MoLRG component has mean 0; with m < d rows the
// last d−m columns are an arbitrary orthonormal completion from the null
// space of x (gonum mat.SVD with full V). PCA returns an error if d is not
// in [1, n], x has no rows, or the SVD does not converge (as for an entry
// that is NaN).
func PCA(x mat.Matrix, d int) (*mat.Dense, error) {
	m, n := x.Dims()
	if d < 1 || d > n || m < 1 {
		return nil, fmt.Errorf("molrg: PCA of dimension %d in R^%d of %d rows", d, n, m)
	}
	kind := mat.SVDThinV
	if m < d {
		kind = mat.SVDFullV
	}
	var svd mat.SVD
	if !svd.Factorize(x, kind) {
		return nil, fmt.Errorf("molrg: SVD of the %d×%d samples did not converge", m, n)
	}
	var v mat.Dense
	svd.VTo(&v)
	return mat.DenseCopyOf(v.Slice(0, n, 0, d)), nil
}

// KSSOptions configure KSubspaces.
type KSSOptions struct {
	// Restarts is the number of independent starts; the fit of least
	// objective wins, the earliest on ties. Default (0) 10.
	Restarts int
	// MaxIters bounds the assign/refit rounds of one start. Default (0) 100.
	MaxIters int
	// Init is InitNeighbors (default, "") or InitRandom.
	Init string
	// Seed seeds restart r with its own stream; equal seeds give equal fits.
	Seed uint64
}

// Clustering is a fit of K subspaces of dimension d to the rows of x.
type Clustering struct {
	Bases  []*mat.Dense // n×d, orthonormal columns
	Labels []int        // subspace of each row
	// Objective is Σᵢ minₖ ‖xᵢ − UₖUₖᵀxᵢ‖², the K-subspaces objective.
	Objective float64
	Restart   int  // the start that won, 0-based
	Iters     int  // its assign/refit rounds
	Converged bool // its assignment stopped changing before MaxIters
}

// KSubspaces fits k subspaces of dimension d to the rows of x by K-subspaces
// clustering (Bradley & Mangasarian 2000; Vidal 2011, §3.2): alternately
// assign every row to the subspace of least residual ‖x − UUᵀx‖ (ties to the
// lower index) and refit each cluster's subspace as the PCA of its rows,
// until the assignment stops changing, from opts.Restarts starts (see
// KSSOptions), keeping the least objective. A cluster left empty is reseeded
// with the row of largest residual and its d−1 nearest rows in absolute
// cosine. KSubspaces returns an error if k < 1, d is not in [1, n], x has
// no rows, opts.Init is unknown, or an SVD of a cluster does not converge.
func KSubspaces(x *mat.Dense, k, d int, opts KSSOptions) (Clustering, error) {
	m, n := x.Dims()
	if k < 1 || d < 1 || d > n || m < 1 {
		return Clustering{}, fmt.Errorf("molrg: K-subspaces with k = %d, d = %d in R^%d of %d rows", k, d, n, m)
	}
	if opts.Restarts <= 0 {
		opts.Restarts = 10
	}
	if opts.MaxIters <= 0 {
		opts.MaxIters = 100
	}
	if opts.Init == "" {
		opts.Init = InitNeighbors
	}
	if opts.Init != InitNeighbors && opts.Init != InitRandom {
		return Clustering{}, fmt.Errorf("molrg: unknown K-subspaces init %q", opts.Init)
	}
	f := &kss{x: x, m: m, n: n, k: k, d: d, cos: absCosines(x)}
	best := Clustering{Objective: math.Inf(1)}
	for r := range opts.Restarts {
		rng := stream(opts.Seed, uint64(r))
		var bases []*mat.Dense
		if opts.Init == InitRandom {
			for range k {
				bases = append(bases, orthonormalGaussian(rng, n, d))
			}
		} else {
			var err error
			if bases, err = f.seedNeighbors(rng); err != nil {
				return Clustering{}, err
			}
		}
		c, err := f.run(bases, opts.MaxIters)
		if err != nil {
			return Clustering{}, err
		}
		c.Restart = r
		if c.Objective < best.Objective {
			best = c
		}
	}
	return best, nil
}

// kss holds one K-subspaces problem.
type kss struct {
	x       *mat.Dense
	m, n    int
	k, d    int
	cos     *mat.Dense // m×m absolute cosines between rows
	scratch mat.Dense
	proj    mat.Dense
}

// residuals stores in res[i] the squared residual of row i off span(u).
func (f *kss) residuals(u *mat.Dense, res []float64) {
	f.scratch.Reset()
	f.proj.Reset()
	f.scratch.Mul(f.x, u)         // m×d coefficients
	f.proj.Mul(&f.scratch, u.T()) // m×n projections
	f.proj.Sub(f.x, &f.proj)      // residual vectors
	for i := range res {
		r := f.proj.RawRowView(i)
		var s float64
		for _, v := range r {
			s += v * v
		}
		res[i] = s
	}
}

// assign returns the nearest subspace of every row, its squared residual and the objective.
func (f *kss) assign(bases []*mat.Dense, labels []int, best []float64) float64 {
	res := make([]float64, f.m)
	for i := range best {
		best[i] = math.Inf(1)
	}
	for c, u := range bases {
		f.residuals(u, res)
		for i, r := range res {
			if r < best[i] {
				best[i], labels[i] = r, c
			}
		}
	}
	var obj float64
	for _, r := range best {
		obj += r
	}
	return obj
}

// span returns the PCA basis of rows idx of x.
func (f *kss) span(idx []int) (*mat.Dense, error) {
	sub := mat.NewDense(len(idx), f.n, nil)
	for r, i := range idx {
		sub.SetRow(r, f.x.RawRowView(i))
	}
	return PCA(sub, f.d)
}

// neighborhood returns row i and its d−1 nearest rows in absolute cosine
// (ties to the lower index).
func (f *kss) neighborhood(i int) []int {
	others := make([]int, 0, f.m-1)
	for j := range f.m {
		if j != i {
			others = append(others, j)
		}
	}
	ci := f.cos.RawRowView(i)
	slices.SortStableFunc(others, func(a, b int) int {
		switch {
		case ci[a] > ci[b]:
			return -1
		case ci[a] < ci[b]:
			return 1
		}
		return 0
	})
	return append([]int{i}, others[:min(f.d-1, len(others))]...)
}

// seedNeighbors draws the k starting subspaces of InitNeighbors.
func (f *kss) seedNeighbors(rng *rand.Rand) ([]*mat.Dense, error) {
	first, err := f.span(f.neighborhood(rng.IntN(f.m)))
	if err != nil {
		return nil, err
	}
	bases := []*mat.Dense{first}
	dist := make([]float64, f.m)
	res := make([]float64, f.m)
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	for len(bases) < f.k {
		f.residuals(bases[len(bases)-1], res)
		var total float64
		for i := range dist {
			dist[i] = min(dist[i], res[i])
			total += dist[i]
		}
		seed := rng.IntN(f.m)
		if total > 0 {
			t := rng.Float64() * total
			for i, w := range dist {
				if t -= w; t < 0 || i == f.m-1 {
					seed = i
					break
				}
			}
		}
		b, err := f.span(f.neighborhood(seed))
		if err != nil {
			return nil, err
		}
		bases = append(bases, b)
	}
	return bases, nil
}

// run alternates assignment and refit from bases.
func (f *kss) run(bases []*mat.Dense, maxIters int) (Clustering, error) {
	labels := make([]int, f.m)
	next := make([]int, f.m)
	res := make([]float64, f.m)
	obj := f.assign(bases, labels, res)
	c := Clustering{}
	for c.Iters = 1; c.Iters <= maxIters; c.Iters++ {
		members := make([][]int, f.k)
		for i, l := range labels {
			members[l] = append(members[l], i)
		}
		for j := range bases {
			if len(members[j]) == 0 {
				far := 0
				for i, r := range res {
					if r > res[far] {
						far = i
					}
				}
				b, err := f.span(f.neighborhood(far))
				if err != nil {
					return Clustering{}, err
				}
				bases[j] = b
				res[far] = 0 // do not reseed two clusters at the same row
				continue
			}
			b, err := f.span(members[j])
			if err != nil {
				return Clustering{}, err
			}
			bases[j] = b
		}
		obj = f.assign(bases, next, res)
		same := slices.Equal(labels, next)
		labels, next = next, labels
		if same {
			c.Converged = true
			break
		}
	}
	c.Iters = min(c.Iters, maxIters)
	c.Bases, c.Labels, c.Objective = bases, labels, obj
	return c, nil
}

// absCosines returns the m×m matrix of |⟨xᵢ, xⱼ⟩|/(‖xᵢ‖‖xⱼ‖), 0 for a zero row.
func absCosines(x *mat.Dense) *mat.Dense {
	m, n := x.Dims()
	u := mat.NewDense(m, n, nil)
	for i := range m {
		r := x.RawRowView(i)
		norm := 0.0
		for _, v := range r {
			norm += v * v
		}
		if norm == 0 {
			continue
		}
		s := 1 / math.Sqrt(norm)
		ur := u.RawRowView(i)
		for j, v := range r {
			ur[j] = v * s
		}
	}
	var c mat.Dense
	c.Mul(u, u.T())
	raw := c.RawMatrix().Data
	for i := range raw {
		raw[i] = math.Abs(raw[i])
	}
	return &c
}

package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/transforms"
)

const rankdynFixtures = "../testdata/rankdyn"

// runRankDynamics plans and runs a rank_dynamics spec on Prism and returns
// the staged rows, sorted by (tensor, step).
func runRankDynamics(t *testing.T, out, input, params string) ([]transforms.RankDynamicsRow, []transforms.RankDriftRow) {
	t.Helper()
	spec := parseSpec(t, fmt.Sprintf("study: rank_dynamics\nname: t\nseed: 3\ninput:\n  path: %s\nparams:\n%s", input, params))
	plan, err := PlanRankDynamics(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Tables(), []string{RankDynamicsTable, RankDriftTable, RankCutTable}; !slices.Equal(got, want) {
		t.Fatalf("tables %v, want %v", got, want)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	rows := readStaged[transforms.RankDynamicsRow](t, out, RankDynamicsTable)
	slices.SortFunc(rows, func(a, b transforms.RankDynamicsRow) int {
		if c := strings.Compare(a.Tensor, b.Tensor); c != 0 {
			return c
		}
		return int(a.Step - b.Step)
	})
	var drift []transforms.RankDriftRow
	if _, err := os.Stat(tables.StagingFolder(out, RankDriftTable, "r1")); err == nil {
		drift = readStaged[transforms.RankDriftRow](t, out, RankDriftTable)
	}
	slices.SortFunc(drift, func(a, b transforms.RankDriftRow) int {
		if c := strings.Compare(a.Tensor, b.Tensor); c != 0 {
			return c
		}
		return int(a.StepFrom - b.StepFrom)
	})
	return rows, drift
}

type expectedMatrix struct {
	Step            int64            `json:"step"`
	Tensor          string           `json:"tensor"`
	Rows            int64            `json:"rows"`
	Cols            int64            `json:"cols"`
	Sigma           []float64        `json:"sigma"`
	StableRank      float64          `json:"stable_rank"`
	RankMe          float64          `json:"rankme"`
	AlphaReQ        float64          `json:"alpha_req"`
	AlphaReQR2      float64          `json:"alpha_req_r2"`
	EnergyRank      map[string]int64 `json:"energy_rank"`
	NuclearNorm     float64          `json:"nuclear_norm"`
	FrobeniusNorm   float64          `json:"frobenius_norm"`
	SpectralNorm    float64          `json:"spectral_norm"`
	SpectralEntropy float64          `json:"spectral_entropy"`
	WeloreRank      int64            `json:"welore_rank"`
}

type expectedDrift struct {
	Tensor          string    `json:"tensor"`
	StepFrom        int64     `json:"step_from"`
	StepTo          int64     `json:"step_to"`
	PrincipalAngles []float64 `json:"principal_angles"`
	SubspaceOverlap float64   `json:"subspace_overlap"`
}

type expectedRankDyn struct {
	K         int              `json:"k"`
	WeloreTau float64          `json:"welore_tau"`
	Matrices  []expectedMatrix `json:"matrices"`
	Drift     []expectedDrift  `json:"drift"`
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}

// TestRankDynamicsMatchesNumPy runs the three fixture series (a folder of
// safetensors files, an npy manifest, an npz glob) and compares every row
// with NumPy's float64 reference (scripts/make_rankdyn_fixtures.py). The
// F16 and BF16 tensors hold values k/8 that both formats store exactly, so
// their spectra must match NumPy's on the exact values: a decoding error of
// one unit in the last place of float16 (~1e-3 relative) would show.
func TestRankDynamicsMatchesNumPy(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(rankdynFixtures, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want expectedRankDyn
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	wantM := map[string]expectedMatrix{}
	for _, m := range want.Matrices {
		wantM[fmt.Sprint(m.Tensor, "@", m.Step)] = m
	}
	wantD := map[string]expectedDrift{}
	for _, d := range want.Drift {
		wantD[fmt.Sprint(d.Tensor, "@", d.StepFrom)] = d
	}
	params := fmt.Sprintf("  k: %d\n  welore_tau: %v\n", want.K, want.WeloreTau)
	dtypes := map[string]string{
		"layers.0.attn.weight": "float64", "layers.0.mlp.weight": "float64", "half.weight": "float16",
		"bf.weight": "bfloat16", "f32.weight": "float32", "w": "float64", "a": "float64",
	}
	cases := []struct {
		input   string
		tensors []string
		steps   []int64
	}{
		{rankdynFixtures + "/st", []string{"bf.weight", "f32.weight", "half.weight", "layers.0.attn.weight", "layers.0.mlp.weight"}, []int64{100, 200, 300}},
		{rankdynFixtures + "/npy/manifest.csv", []string{"w"}, []int64{100, 250}},
		{rankdynFixtures + "/npz/ckpt_*.npz", []string{"a"}, []int64{5, 7}},
	}
	var worst float64
	for _, tc := range cases {
		t.Run(filepath.Base(tc.input), func(t *testing.T) {
			rows, drift := runRankDynamics(t, t.TempDir(), tc.input, params)
			if len(rows) != len(tc.tensors)*len(tc.steps) {
				t.Fatalf("%d rows, want %d tensors × %d steps (skipped tensors must not appear)", len(rows), len(tc.tensors), len(tc.steps))
			}
			check := func(what string, got, want, tol float64) {
				t.Helper()
				e := relErr(got, want)
				worst = math.Max(worst, e)
				if !(e <= tol) {
					t.Errorf("%s = %.17g, NumPy %.17g (relative error %.2g)", what, got, want, e)
				}
			}
			for i, r := range rows {
				tensor, step := tc.tensors[i/len(tc.steps)], tc.steps[i%len(tc.steps)]
				if r.Tensor != tensor || r.Step != step {
					t.Fatalf("row %d is (%s, %d), want (%s, %d)", i, r.Tensor, r.Step, tensor, step)
				}
				w := wantM[fmt.Sprint(tensor, "@", step)]
				id := fmt.Sprintf("%s@%d", tensor, step)
				if r.Rows != w.Rows || r.Cols != w.Cols || r.DType != dtypes[tensor] || !r.ExactSpectrum || r.NSigma != int64(len(w.Sigma)) || r.RunID != "r1" {
					t.Errorf("%s: %d×%d %s exact=%v n_sigma=%d, want %d×%d %s exact n_sigma=%d", id, r.Rows, r.Cols, r.DType, r.ExactSpectrum, r.NSigma, w.Rows, w.Cols, dtypes[tensor], len(w.Sigma))
				}
				if len(r.SigmaTopK) != want.K {
					t.Fatalf("%s: %d σ in sigma_topk, want %d", id, len(r.SigmaTopK), want.K)
				}
				for j, s := range r.SigmaTopK {
					check(fmt.Sprintf("%s σ%d", id, j+1), s, w.Sigma[j], 1e-6)
				}
				check(id+" stable_rank", r.StableRank, w.StableRank, 1e-6)
				check(id+" rankme", r.RankMe, w.RankMe, 1e-6)
				if r.AlphaReQ == nil || r.AlphaReQR2 == nil {
					t.Errorf("%s: alpha_req NULL", id)
				} else {
					check(id+" alpha_req", *r.AlphaReQ, w.AlphaReQ, 1e-6)
					check(id+" alpha_req_r2", *r.AlphaReQR2, w.AlphaReQR2, 1e-6)
				}
				for _, e := range []struct {
					key string
					got *int64
				}{{"90", r.EnergyRank90}, {"95", r.EnergyRank95}, {"99", r.EnergyRank99}} {
					if e.got == nil || *e.got != w.EnergyRank[e.key] {
						t.Errorf("%s: energy_rank_%s = %v, NumPy %d", id, e.key, e.got, w.EnergyRank[e.key])
					}
				}
				check(id+" nuclear_norm", r.NuclearNorm, w.NuclearNorm, 1e-6)
				check(id+" frobenius_norm", r.FrobeniusNorm, w.FrobeniusNorm, 1e-6)
				check(id+" spectral_norm", r.SpectralNorm, w.SpectralNorm, 1e-6)
				check(id+" spectral_entropy", r.SpectralEntropy, w.SpectralEntropy, 1e-6)
				if r.WeloreRank == nil || *r.WeloreRank != w.WeloreRank {
					t.Errorf("%s: welore_rank %v, NumPy %d", id, r.WeloreRank, w.WeloreRank)
				}
				if tensor == "half.weight" || tensor == "bf.weight" {
					for j, s := range r.SigmaTopK {
						if e := relErr(s, w.Sigma[j]); e > 1e-12 {
							t.Errorf("%s σ%d: relative error %.2g on exactly stored values: not decoded exactly", id, j+1, e)
						}
					}
				}
			}
			if len(drift) != len(tc.tensors)*(len(tc.steps)-1) {
				t.Fatalf("%d drift rows, want %d", len(drift), len(tc.tensors)*(len(tc.steps)-1))
			}
			for _, d := range drift {
				w, ok := wantD[fmt.Sprint(d.Tensor, "@", d.StepFrom)]
				if !ok || d.StepTo != w.StepTo || d.K != int64(want.K) {
					t.Errorf("unexpected drift row %s %d→%d k=%d", d.Tensor, d.StepFrom, d.StepTo, d.K)
					continue
				}
				var mean float64
				for j, th := range d.PrincipalAngles {
					mean += th / float64(len(w.PrincipalAngles))
					// Angles at rounding level (shared directions) compare absolutely.
					if math.Abs(th-w.PrincipalAngles[j]) > 1e-9+1e-6*w.PrincipalAngles[j] {
						t.Errorf("%s %d→%d: θ%d = %.17g, NumPy %.17g", d.Tensor, d.StepFrom, d.StepTo, j+1, th, w.PrincipalAngles[j])
					}
				}
				if math.Abs(d.MeanPrincipalAngle-mean) > 1e-12 || d.MaxPrincipalAngle != d.PrincipalAngles[len(d.PrincipalAngles)-1] {
					t.Errorf("%s: mean/max angle %g/%g inconsistent with %v", d.Tensor, d.MeanPrincipalAngle, d.MaxPrincipalAngle, d.PrincipalAngles)
				}
				check(d.Tensor+" subspace_overlap", d.SubspaceOverlap, w.SubspaceOverlap, 1e-6)
			}
		})
	}
	t.Logf("largest relative error against NumPy: %.2g", worst)
}

// plantedMatrix returns U·diag(sigma)·Vᵀ (m×n) for random orthonormal U, V
// drawn from rng.
func plantedMatrix(rng *rand.Rand, m, n int, sigma []float64) *mat.Dense {
	u := randomOrthonormal(rng, m, len(sigma))
	v := randomOrthonormal(rng, n, len(sigma))
	return fromFactors(u, sigma, v)
}

func fromFactors(u *mat.Dense, sigma []float64, v *mat.Dense) *mat.Dense {
	m, _ := u.Dims()
	n, _ := v.Dims()
	us := mat.DenseCopyOf(u)
	for j, s := range sigma {
		for i := range m {
			us.Set(i, j, us.At(i, j)*s)
		}
	}
	a := mat.NewDense(m, n, nil)
	a.Mul(us, v.T())
	return a
}

func randomOrthonormal(rng *rand.Rand, n, c int) *mat.Dense {
	x := mat.NewDense(n, c, nil)
	for i := range n {
		for j := range c {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(x)
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, n, 0, c))
}

func writeCheckpoint(t *testing.T, name string, ms ...safetensors.Matrix) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := safetensors.Write(f, nil, ms...); err != nil {
		t.Fatal(err)
	}
}

func f64(name string, a *mat.Dense) safetensors.Matrix {
	r, c := a.Dims()
	return safetensors.Matrix{Name: name, Rows: r, Cols: c, Data: mat.DenseCopyOf(a).RawMatrix().Data, DType: "F64"}
}

// TestRankDynamicsPlantedFall: a series whose rank falls 12, 9, 6, 4, 2
// (σᵢ = 1/(1 + 0.2 i) on the planted rank) shows the fall in stable rank,
// RankMe and the energy ranks, both on the exact path (30×20) and on the
// randomized one (200×100 with exact_max_dim 64, top k = 16, which holds
// the whole planted spectrum, so its σ equal the exact ones). A control
// tensor of fixed rank 5 keeps every metric.
func TestRankDynamicsPlantedFall(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(17))
	ranks := []int{12, 9, 6, 4, 2}
	spectrum := func(r int) []float64 {
		s := make([]float64, r)
		for i := range s {
			s[i] = 1 / (1 + 0.2*float64(i))
		}
		return s
	}
	exactSigmas := map[string][][]float64{}
	for i, r := range ranks {
		small := plantedMatrix(rng, 30, 20, spectrum(r))
		big := plantedMatrix(rng, 200, 100, spectrum(r))
		control := plantedMatrix(rng, 30, 20, spectrum(5))
		exactSigmas["big"] = append(exactSigmas["big"], exactSigma(big))
		writeCheckpoint(t, filepath.Join(dir, fmt.Sprintf("checkpoint-%d", 1000*(i+1)), "model.safetensors"),
			f64("small", small), f64("big", big), f64("control", control))
	}
	rows, drift := runRankDynamics(t, t.TempDir(), dir, "  k: 16\n  exact_max_dim: 64\n")
	// Cutting the series into elements of 2 steps (the step before each cut
	// analysed again) changes no row and no drift, bit for bit.
	rows2, drift2 := runRankDynamics(t, t.TempDir(), dir, "  k: 16\n  exact_max_dim: 64\n  steps_per_element: 2\n")
	if !reflect.DeepEqual(rows, rows2) || !reflect.DeepEqual(drift, drift2) {
		t.Errorf("steps_per_element 2 changed the tables: %d rows and %d drift rows, against %d and %d with the default", len(rows2), len(drift2), len(rows), len(drift))
	}
	by := map[string][]transforms.RankDynamicsRow{}
	for _, r := range rows {
		by[r.Tensor] = append(by[r.Tensor], r)
	}
	if len(by["small"]) != len(ranks) || len(by["big"]) != len(ranks) || len(by["control"]) != len(ranks) || len(drift) != 3*(len(ranks)-1) {
		t.Fatalf("rows per tensor %d/%d/%d, drift rows %d", len(by["small"]), len(by["big"]), len(by["control"]), len(drift))
	}
	for name, rs := range by {
		for i, r := range rs {
			if r.Step != int64(1000*(i+1)) {
				t.Fatalf("%s: step %d at %d, want %d (parsed from checkpoint-N/model.safetensors)", name, r.Step, i, 1000*(i+1))
			}
			if r.ExactSpectrum != (name != "big") {
				t.Errorf("%s@%d: exact_spectrum %v", name, r.Step, r.ExactSpectrum)
			}
			if (r.WeloreRank == nil) != (name == "big") {
				t.Errorf("%s@%d: welore_rank %v, want NULL exactly on the randomized path", name, r.Step, r.WeloreRank)
			}
			if r.EnergyRank99 == nil {
				t.Fatalf("%s@%d: energy_rank_99 NULL although top k holds all the energy", name, r.Step)
			}
		}
		for i := 1; i < len(rs); i++ {
			a, b := rs[i-1], rs[i]
			metrics := []struct {
				what     string
				was, now float64
			}{
				{"stable_rank", a.StableRank, b.StableRank},
				{"rankme", a.RankMe, b.RankMe},
				{"energy_rank_90", float64(*a.EnergyRank90), float64(*b.EnergyRank90)},
				{"energy_rank_99", float64(*a.EnergyRank99), float64(*b.EnergyRank99)},
			}
			for _, m := range metrics {
				if name == "control" {
					if relErr(m.now, m.was) > 1e-9 {
						t.Errorf("control: %s changed %g → %g at fixed rank", m.what, m.was, m.now)
					}
				} else if !(m.now < m.was) {
					t.Errorf("%s: %s did not fall from step %d (rank %d) to %d (rank %d): %g → %g", name, m.what, a.Step, ranks[i-1], b.Step, ranks[i], m.was, m.now)
				}
			}
		}
		// Stable rank and RankMe against their closed forms on the planted spectrum.
		for i, r := range rs {
			s := spectrum(ranks[i])
			if name == "control" {
				s = spectrum(5)
			}
			var f2 float64
			for _, x := range s {
				f2 += x * x
			}
			if e := relErr(r.StableRank, f2); e > 1e-9 {
				t.Errorf("%s@%d: stable rank %.12g, planted %.12g", name, r.Step, r.StableRank, f2)
			}
		}
	}
	for i, r := range by["big"] {
		for j, s := range r.SigmaTopK {
			if d := math.Abs(s-exactSigmas["big"][i][j]) / exactSigmas["big"][i][0]; d > 1e-9 {
				t.Errorf("big@%d: randomized σ%d = %.15g, exact %.15g", r.Step, j+1, s, exactSigmas["big"][i][j])
			}
		}
	}
}

// TestRankDynamicsDrift: between identical checkpoints every principal
// angle is 0 and the overlap 1; when the right singular subspace is rotated
// by φ in k planes (V₂ = V₁cos φ + W sin φ, W ⊥ V₁), every angle and their
// mean is φ and the overlap cos² φ.
func TestRankDynamicsDrift(t *testing.T) {
	const m, n, k, phi = 40, 30, 5, 0.2
	rng := rand.New(rand.NewSource(5))
	sigma := []float64{5, 4, 3, 2, 1}
	u := randomOrthonormal(rng, m, k)
	basis := randomOrthonormal(rng, n, 2*k)
	v1 := mat.DenseCopyOf(basis.Slice(0, n, 0, k))
	v2 := mat.NewDense(n, k, nil)
	for j := range k {
		for i := range n {
			v2.Set(i, j, math.Cos(phi)*basis.At(i, j)+math.Sin(phi)*basis.At(i, k+j))
		}
	}
	dir := t.TempDir()
	a1, a2 := fromFactors(u, sigma, v1), fromFactors(u, sigma, v2)
	writeCheckpoint(t, filepath.Join(dir, "step-10.safetensors"), f64("w", a1))
	writeCheckpoint(t, filepath.Join(dir, "step-20.safetensors"), f64("w", a1))
	writeCheckpoint(t, filepath.Join(dir, "step-30.safetensors"), f64("w", a2))
	_, drift := runRankDynamics(t, t.TempDir(), filepath.Join(dir, "step-*.safetensors"), fmt.Sprintf("  k: %d\n", k))
	if len(drift) != 2 {
		t.Fatalf("%d drift rows, want 2", len(drift))
	}
	same, rot := drift[0], drift[1]
	if same.StepFrom != 10 || same.StepTo != 20 || rot.StepFrom != 20 || rot.StepTo != 30 {
		t.Fatalf("drift steps %d→%d, %d→%d", same.StepFrom, same.StepTo, rot.StepFrom, rot.StepTo)
	}
	if same.MeanPrincipalAngle > 1e-12 || same.MaxPrincipalAngle > 1e-12 || math.Abs(same.SubspaceOverlap-1) > 1e-12 {
		t.Errorf("identical checkpoints: mean angle %g, max %g, overlap %.17g; want 0, 0, 1", same.MeanPrincipalAngle, same.MaxPrincipalAngle, same.SubspaceOverlap)
	}
	for j, th := range rot.PrincipalAngles {
		if math.Abs(th-phi) > 1e-10 {
			t.Errorf("rotated: θ%d = %.15g, want %g", j+1, th, phi)
		}
	}
	if math.Abs(rot.MeanPrincipalAngle-phi) > 1e-10 || math.Abs(rot.SubspaceOverlap-math.Cos(phi)*math.Cos(phi)) > 1e-10 {
		t.Errorf("rotated: mean angle %.15g (want %g), overlap %.15g (want %.15g)", rot.MeanPrincipalAngle, phi, rot.SubspaceOverlap, math.Cos(phi)*math.Cos(phi))
	}
}

// TestSplitSeriesDuplicate: the same tensor twice at one step is an error.
func TestSplitSeriesDuplicate(t *testing.T) {
	_, err := transforms.SplitSeries("w", []checkpoints.Tensor{{Step: 1, Path: "x", Name: "w"}, {Step: 1, Path: "y", Name: "w"}}, 8)
	if err == nil || !strings.Contains(err.Error(), `tensor "w" appears twice at step 1`) {
		t.Errorf("duplicate tensor: %v", err)
	}
}

func TestPlanRankDynamicsErrors(t *testing.T) {
	for _, tc := range []struct{ params, want string }{
		{"  include: [\"nothing.*\"]\n", "no matrix to analyse at step 100"},
		{"  welore_tau: 1.5\n", "params.welore_tau must be in (0, 1), got 1.5"},
		{"  kk: 3\n", "kk"},
		{"  grid:\n    k: [1, 2]\n", "the rank_dynamics study has no grid"},
		{"  include: [\"[\"]\n", "is not a path.Match pattern"},
	} {
		err := parseAndPlan(t, "study: rank_dynamics\ninput:\n  path: "+rankdynFixtures+"/st\nparams:\n"+tc.params, PlanRankDynamics)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("params %q: %v, want an error containing %q", tc.params, err, tc.want)
		}
	}
}

// TestRankDynamicsExampleSpec: the example spec parses and its params are valid.
func TestRankDynamicsExampleSpec(t *testing.T) {
	spec, err := experiments.ParseFile("../experiments/rank-dynamics-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.RankDynamicsParams()
	if err != nil || p.K != 4 || !slices.Equal(p.Exclude, []string{"*.bias"}) || p.Included("layers.0.attn.bias") || !p.Included("layers.0.attn.weight") {
		t.Fatalf("params %+v, %v", p, err)
	}
	spec.Input.Path = filepath.Join("..", spec.Input.Path)
	plan, err := PlanRankDynamics(context.Background(), spec, t.TempDir(), "r1")
	if err != nil || len(plan.Checkpoints) != 3 {
		t.Fatalf("plan: %v", err)
	}
}

// TestRankDynamicsRepresentations: activations saved per step as npy
// (act_<step>.npy) whose 400 rows lie on a d-dimensional linear subspace of
// R^40, d = 2 then 5, get a TwoNN estimate near d (±20 %), and a weight
// matrix that is not listed in params.representations gets none.
func TestRankDynamicsRepresentations(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(23))
	dims := []int{2, 5}
	for i, d := range dims {
		basis := randomOrthonormal(rng, 40, d)
		coef := mat.NewDense(400, d, nil)
		for r := range 400 {
			for c := range d {
				coef.Set(r, c, rng.Float64())
			}
		}
		var act mat.Dense
		act.Mul(coef, basis.T())
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("act_%d.npy", 100*(i+1))))
		if err != nil {
			t.Fatal(err)
		}
		if err := npy.Write(f, 400, 40, act.RawMatrix().Data, "<f8", false); err != nil {
			t.Fatal(err)
		}
		f.Close()
		w := plantedMatrix(rng, 30, 20, []float64{3, 2, 1})
		f, err = os.Create(filepath.Join(dir, fmt.Sprintf("w_%d.npy", 100*(i+1))))
		if err != nil {
			t.Fatal(err)
		}
		if err := npy.Write(f, 30, 20, w.RawMatrix().Data, "<f8", false); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	rows, _ := runRankDynamics(t, t.TempDir(), dir, "  k: 4\n  representations: [\"act\"]\n")
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for _, r := range rows {
		switch r.Tensor {
		case "act":
			d := float64(dims[r.Step/100-1])
			if r.TwoNN == nil || math.Abs(*r.TwoNN-d) > 0.2*d || *r.TwoNNPoints != 400 || *r.TwoNNSpread <= 0 {
				t.Errorf("act@%d: twonn %v (points %v), want ≈ %g on 400 points", r.Step, optString(r.TwoNN), r.TwoNNPoints, d)
			}
		case "w":
			if r.TwoNN != nil {
				t.Errorf("w@%d: twonn %g for a tensor not in representations", r.Step, *r.TwoNN)
			}
		default:
			t.Errorf("unexpected tensor %q", r.Tensor)
		}
	}
}

func optString(p *float64) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

// TestRankDynamicsNonFiniteWeight: a NaN in a weight matrix fails the run
// with the file, tensor, step, row and column (1-based).
func TestRankDynamicsNonFiniteWeight(t *testing.T) {
	dir := t.TempDir()
	a := mat.NewDense(4, 5, nil)
	for i := range 4 {
		a.Set(i, i, float64(i+1))
	}
	a.Set(2, 3, math.NaN())
	p := filepath.Join(dir, "step-10.safetensors")
	writeCheckpoint(t, p, f64("w", a))
	spec := parseSpec(t, fmt.Sprintf("study: rank_dynamics\nname: t\nseed: 3\ninput:\n  path: %s\nparams:\n  k: 2\n", dir))
	plan, err := PlanRankDynamics(context.Background(), spec, t.TempDir(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	pipe, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	err = ptest.Run(pipe)
	if want := p + `: tensor "w" (step 10): row 3, column 4 is NaN`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("run error %v, want one containing %q", err, want)
	}
}

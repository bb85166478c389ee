package cli

import (
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/safetensors"
)

// TestCheckpointsToRankDynamics runs the two-command flow of
// experiments/mnist-mlp-checkpoints.yaml and experiments/mnist-mlp-rankdyn.yaml
// through the CLI on Prism: the intrinsic_dim run publishes 11 checkpoints
// (steps 0, 20, …, 180 and the last, 188) per trained model, and
// rank_dynamics over the baseline's folder has exactly one row per (step,
// weight matrix) with the matrix's shape and the Frobenius norm of the
// weights in that file, no row for the rank-1 biases, and one rank_drift row
// per matrix and pair of consecutive steps.
func TestCheckpointsToRankDynamics(t *testing.T) {
	ckOut := t.TempDir()
	code, o, e := runLowdim(t, "run", "experiments/mnist-mlp-checkpoints.yaml", "--out", ckOut, "--run_id", "ckpt", "--report=false")
	if code != 0 {
		t.Fatalf("checkpoints run: exit %d\n%s%s", code, o, e)
	}
	for _, want := range []string{"mnist, mlp 784-100-100-10, sparse projection: d_int90 ", "(baseline accuracy 0.", "checkpoints: " + filepath.Join(ckOut, "checkpoints", "run=ckpt")} {
		if !strings.Contains(o, want) {
			t.Errorf("intrinsic_dim summary lacks %q:\n%s", want, o)
		}
	}
	steps := []int64{0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 188}
	root := filepath.Join(ckOut, "checkpoints", "run=ckpt")
	for _, model := range []string{"mlp-full-seed0", "mlp-sparse-d300-seed0"} {
		var want, got []string
		for _, s := range steps {
			want = append(want, fmt.Sprintf("step-%08d.safetensors", s))
		}
		entries, err := os.ReadDir(filepath.Join(root, model))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s holds %v, want %v", model, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(ckOut, "_staging")); !os.IsNotExist(err) {
		t.Errorf("staging left behind: %v", err)
	}

	src, err := os.ReadFile("experiments/mnist-mlp-rankdyn.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const published = "out/mnist-mlp-checkpoints/checkpoints/run=ckpt/mlp-full-seed0"
	if !strings.Contains(string(src), "path: "+published+"\n") {
		t.Fatalf("experiments/mnist-mlp-rankdyn.yaml does not read %s", published)
	}
	folder := filepath.Join(root, "mlp-full-seed0")
	spec := writeSpec(t, t.TempDir(), strings.Replace(string(src), published, folder, 1))
	rdOut := t.TempDir()
	code, o, e = runLowdim(t, "run", spec, "--out", rdOut, "--run_id", "rd")
	if code != 0 {
		t.Fatalf("rank_dynamics run: exit %d\n%s%s", code, o, e)
	}
	for _, want := range []string{"33 matrices, 3 tensors", "layers.0.weight", "100×784", "steps 0 … 188", "power-law α of σ²", "layers.2.weight                  α "} {
		if !strings.Contains(o, want) {
			t.Errorf("rank_dynamics summary lacks %q:\n%s", want, o)
		}
	}

	db := duck(t)
	glob := func(table string) string { return filepath.Join(rdOut, table, "**", "*.parquet") }
	shapes := map[string][2]int64{"layers.0.weight": {100, 784}, "layers.1.weight": {100, 100}, "layers.2.weight": {10, 100}}
	rows, err := db.Query(fmt.Sprintf("SELECT step, tensor, rows, cols, path, frobenius_norm FROM read_parquet('%s', hive_partitioning=1) WHERE run = 'rd' ORDER BY tensor, step", glob("rank_dynamics")))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for rows.Next() {
		var step, r, c int64
		var tensor, path string
		var frob float64
		if err := rows.Scan(&step, &tensor, &r, &c, &path, &frob); err != nil {
			t.Fatal(err)
		}
		seen[fmt.Sprint(tensor, "@", step)]++
		if s, ok := shapes[tensor]; !ok || s != [2]int64{r, c} {
			t.Errorf("step %d: tensor %s of %d × %d", step, tensor, r, c)
			continue
		}
		if want := filepath.Join(folder, fmt.Sprintf("step-%08d.safetensors", step)); path != want {
			t.Errorf("%s at step %d read from %s, want %s", tensor, step, path, want)
		}
		if w := frobenius(t, path, tensor); math.Abs(frob-w) > 1e-9*w {
			t.Errorf("%s at step %d: frobenius_norm %v, the file's weights have %v", tensor, step, frob, w)
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(steps)*len(shapes) {
		t.Errorf("rank_dynamics has %d (tensor, step) pairs, want %d × %d: %v", len(seen), len(steps), len(shapes), seen)
	}
	for tensor := range shapes {
		for _, s := range steps {
			if n := seen[fmt.Sprint(tensor, "@", s)]; n != 1 {
				t.Errorf("%s at step %d: %d rows, want 1", tensor, s, n)
			}
		}
	}

	drift, err := db.Query(fmt.Sprintf("SELECT tensor, step_from, step_to, k FROM read_parquet('%s', hive_partitioning=1) WHERE run = 'rd' ORDER BY tensor, step_from", glob("rank_drift")))
	if err != nil {
		t.Fatal(err)
	}
	pairs := map[string][][2]int64{}
	for drift.Next() {
		var tensor string
		var from, to, k int64
		if err := drift.Scan(&tensor, &from, &to, &k); err != nil {
			t.Fatal(err)
		}
		pairs[tensor] = append(pairs[tensor], [2]int64{from, to})
		if want := min(10, shapes[tensor][0]); k != want {
			t.Errorf("rank_drift %s %d→%d: k = %d, want %d", tensor, from, to, k, want)
		}
	}
	if err := drift.Close(); err != nil {
		t.Fatal(err)
	}
	checkRankDynamicsAlpha(t, db, rdOut, steps, shapes)

	var consecutive [][2]int64
	for i := 1; i < len(steps); i++ {
		consecutive = append(consecutive, [2]int64{steps[i-1], steps[i]})
	}
	if len(pairs) != len(shapes) {
		t.Errorf("rank_drift covers %d tensors, want %d", len(pairs), len(shapes))
	}
	for tensor, got := range pairs {
		if !slices.Equal(got, consecutive) {
			t.Errorf("rank_drift %s: step pairs %v, want %v", tensor, got, consecutive)
		}
	}
}

// frobenius is ‖W‖_F of the tensor name in the safetensors file p.
func frobenius(t *testing.T, p, name string) float64 {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	h, err := safetensors.ReadHeader(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	tn, err := h.Select(name)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, tn.Rows()*tn.Cols())
	if err := safetensors.ReadRows(f, 0, tn, 0, tn.Rows(), v); err != nil {
		t.Fatal(err)
	}
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// TestCheckpointsOnGCS runs the same flow with gs:// (a fake GCS server):
// the checkpoints are staged and committed object by object to
// gs://…/checkpoints/run=g/<model>/, nothing stays staged, and rank_dynamics
// reads the baseline's folder from GCS.
func TestCheckpointsOnGCS(t *testing.T) {
	server := startFakeGCS(t)
	out := "gs://" + testBucket + "/ck"
	if code, o, e := runLowdim(t, "run", "experiments/mnist-mlp-checkpoints.yaml", "--out", out, "--run_id", "g", "--quiet", "--report=false"); code != 0 {
		t.Fatalf("checkpoints run to GCS: exit %d\n%s%s", code, o, e)
	}
	var ckpts []string
	for _, name := range objectNames(t, server, "ck/") {
		if strings.HasPrefix(name, "ck/_staging") {
			t.Errorf("staged object left: %s", name)
		}
		if strings.HasPrefix(name, "ck/checkpoints/") {
			ckpts = append(ckpts, name)
		}
	}
	if len(ckpts) != 22 || ckpts[0] != "ck/checkpoints/run=g/mlp-full-seed0/step-00000000.safetensors" ||
		ckpts[21] != "ck/checkpoints/run=g/mlp-sparse-d300-seed0/step-00000188.safetensors" {
		t.Errorf("checkpoint objects: %v", ckpts)
	}

	src, err := os.ReadFile("experiments/mnist-mlp-rankdyn.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, t.TempDir(), strings.Replace(string(src),
		"out/mnist-mlp-checkpoints/checkpoints/run=ckpt/mlp-full-seed0", out+"/checkpoints/run=g/mlp-full-seed0", 1))
	rdOut := t.TempDir()
	if code, o, e := runLowdim(t, "run", spec, "--out", rdOut, "--run_id", "rd", "--quiet", "--report=false"); code != 0 {
		t.Fatalf("rank_dynamics from GCS: exit %d\n%s%s", code, o, e)
	}
	db := duck(t)
	if n := queryInt(t, db, fmt.Sprintf("SELECT count(DISTINCT (step, tensor)) FROM read_parquet('%s', hive_partitioning=1)", filepath.Join(rdOut, "rank_dynamics", "**", "*.parquet"))); n != 33 {
		t.Errorf("rank_dynamics from GCS: %d (step, tensor) pairs, want 11 × 3", n)
	}
}

// checkRankDynamicsAlpha: every (step, matrix) of the MNIST MLP run has an
// alpha (all three are exact: min(rows, cols) ≤ 100) whose fit has at least
// the default 10 tail values, one rank_cut row per default fraction with
// r = round(f·min(rows, cols)) and energy_kept increasing in r, and the
// report shows the α plot with a row per layer. It logs α per layer over
// the steps (the docs/RESULTS.md table).
func checkRankDynamicsAlpha(t *testing.T, db *sql.DB, out string, steps []int64, shapes map[string][2]int64) {
	t.Helper()
	glob := func(table string) string { return filepath.Join(out, table, "**", "*.parquet") }
	rows, err := db.Query(fmt.Sprintf("SELECT tensor, step, alpha, alpha_tail, alpha_ks FROM read_parquet('%s', hive_partitioning=1) WHERE run = 'rd' ORDER BY tensor, step", glob("rank_dynamics")))
	if err != nil {
		t.Fatal(err)
	}
	alpha := map[string][]string{}
	for rows.Next() {
		var tensor string
		var step int64
		var a, ks sql.NullFloat64
		var tail sql.NullInt64
		if err := rows.Scan(&tensor, &step, &a, &tail, &ks); err != nil {
			t.Fatal(err)
		}
		if !a.Valid || !(a.Float64 > 1) || tail.Int64 < 10 || !(ks.Float64 > 0 && ks.Float64 < 1) {
			t.Errorf("%s at step %d: alpha %v, tail %v, ks %v", tensor, step, a, tail, ks)
		}
		alpha[tensor] = append(alpha[tensor], fmt.Sprintf("%d:%.2f(n=%d)", step, a.Float64, tail.Int64))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for tensor, a := range alpha {
		t.Logf("alpha %s: %s", tensor, strings.Join(a, " "))
	}
	cuts, err := db.Query(fmt.Sprintf("SELECT tensor, step, list(r ORDER BY fraction), list(fraction ORDER BY fraction), list(energy_kept ORDER BY fraction)::VARCHAR FROM read_parquet('%s', hive_partitioning=1) WHERE run = 'rd' GROUP BY tensor, step", glob("rank_cut")))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for cuts.Next() {
		var tensor, kept string
		var step int64
		var rs, fs any
		if err := cuts.Scan(&tensor, &step, &rs, &fs, &kept); err != nil {
			t.Fatal(err)
		}
		n++
		p := float64(min(shapes[tensor][0], shapes[tensor][1]))
		if got, want := fmt.Sprint(rs), fmt.Sprint([]any{int64(math.Round(0.1 * p)), int64(math.Round(0.25 * p)), int64(math.Round(0.5 * p))}); got != want {
			t.Errorf("rank_cut %s at step %d: r %s, want %s", tensor, step, got, want)
		}
		var e []float64
		for _, f := range strings.Split(strings.Trim(kept, "[]"), ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				t.Fatalf("rank_cut %s at step %d: energy_kept %s", tensor, step, kept)
			}
			e = append(e, v)
		}
		if len(e) != 3 || !(0 < e[0] && e[0] < e[1] && e[1] < e[2] && e[2] <= 1) {
			t.Errorf("rank_cut %s at step %d: energy_kept %v, want increasing in (0, 1]", tensor, step, e)
		}
	}
	if err := cuts.Close(); err != nil {
		t.Fatal(err)
	}
	if n != len(steps)*len(shapes) {
		t.Errorf("rank_cut has %d (tensor, step) groups, want %d", n, len(steps)*len(shapes))
	}
	md, err := os.ReadFile(filepath.Join(out, "report", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"![alpha](rank-dynamics-alpha.png)", "| tensor | α first | α last |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report", "rank-dynamics-alpha.png")); err != nil {
		t.Error(err)
	}
}

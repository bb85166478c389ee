package transforms

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	pathpkg "path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lowdim/lowdim/internal/progress"
	"github.com/lowdim/lowdim/io/format"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/landscape"
	"github.com/lowdim/lowdim/linalg/ph"
)

func init() {
	beam.RegisterDoFn(&LandscapeFn{})
	beam.RegisterDoFn(&LandscapeMeanFn{})
	beam.RegisterDoFn(&LandscapeMeanRowsFn{})
	register.Emitter1[LandscapeDiagramRow]()
	register.Emitter1[LandscapeRow]()
	register.Emitter1[LandscapeSummaryRow]()
	register.Emitter2[string, LandscapeStats]()
	beam.RegisterType(typeOf[LandscapeTask]())
	beam.RegisterType(typeOf[LandscapeDiagramRow]())
	beam.RegisterType(typeOf[LandscapeRow]())
	beam.RegisterType(typeOf[LandscapeSummaryRow]())
	beam.RegisterType(typeOf[LandscapeStats]())
	beam.RegisterType(typeOf[LandscapeMeanAcc]())
}

// CloudReader says how to read a point cloud file: one row per point.
type CloudReader struct {
	Format    string   // "" picks it by extension
	Delimiter string   // csv
	Column    string   // Parquet list column, or the tensor of a .safetensors/.npz file
	Columns   []string // Parquet scalar columns
	Drop      []string // columns dropped (e.g. a label column)
	// SkipBadRows drops points with a NaN or ±Inf coordinate (counted);
	// otherwise such a point is an error naming the file and row.
	SkipBadRows bool
	// GroupBy names the column whose values split a table into clouds
	// (ReadGroups); "" reads one cloud per file (Read).
	GroupBy string
}

// Cloud is a point cloud read by CloudReader.Read: N points of dimension
// Dim, row-major in Points.
type Cloud struct {
	Path    string
	Group   string // the cloud's value of CloudReader.GroupBy; "" for a whole file
	Points  []float64
	N, Dim  int
	BadRows int // points dropped for a non-finite coordinate
}

// Read reads every row of the file at path as a point. A file of 0 columns is an error.
func (r CloudReader) Read(ctx context.Context, path string) (Cloud, error) {
	opts := matrix.Options{Format: r.Format, Delimiter: r.Delimiter, Columns: r.Columns, DropColumns: r.Drop}
	if r.Column != "" {
		if r.Format == "parquet" || (r.Format == "" && strings.ToLower(pathpkg.Ext(path)) == ".parquet") {
			opts.Column = r.Column
		} else {
			opts.Tensor = r.Column
		}
	}
	src, err := matrix.Open(ctx, path, opts)
	if err != nil {
		return Cloud{}, err
	}
	n, dim := src.Rows(), src.Cols()
	if dim < 1 {
		return Cloud{}, fmt.Errorf("%s: %d columns: a point cloud needs at least one coordinate", path, dim)
	}
	data, err := src.ReadRows(ctx, 0, n)
	if err != nil {
		return Cloud{}, err
	}
	return r.finite(Cloud{Path: path, Dim: dim}, data, nil)
}

// finite fills c.Points with the rows of the row-major data (c.Dim
// columns) listed in rows, or with every row when rows is nil, dropping
// (and counting) rows with a non-finite coordinate when r.SkipBadRows is
// set and refusing them otherwise. It reuses data.
func (r CloudReader) finite(c Cloud, data []float64, rows []int) (Cloud, error) {
	dim := c.Dim
	n := len(data) / dim
	if rows != nil {
		n = len(rows)
	}
	out := data
	if rows != nil {
		out = make([]float64, 0, n*dim)
	}
	for k := 0; k < n; k++ {
		i := k
		if rows != nil {
			i = rows[k]
		}
		row := data[i*dim : (i+1)*dim]
		if j := slices.IndexFunc(row, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }); j >= 0 {
			if !r.SkipBadRows {
				return Cloud{}, fmt.Errorf("%s: row %d, column %d: coordinate %v is not finite (set input.on_bad_rows: skip to drop such points)", c.Path, i, j, row[j])
			}
			c.BadRows++
			continue
		}
		if rows != nil {
			out = append(out, row...)
		} else {
			copy(out[c.N*dim:], row)
		}
		c.N++
	}
	c.Points = out[:c.N*dim]
	return c, nil
}

// ReadGroups reads the table at path, a csv file with a header row or a
// Parquet file of numeric scalar columns, and splits its rows into one
// cloud per distinct value of the column r.GroupBy, in the order the values
// first appear; each Cloud has Group set to its value and Path to path. The
// coordinates are the other columns: for csv every column but the group
// column and r.Drop; for Parquet r.Columns (or every numeric scalar column)
// less the group column and r.Drop. csv group values are compared as text
// (after trimming blanks), so "1" and "1.0" are two clouds; a Parquet group
// column must be numeric, and its values are named by
// strconv.FormatFloat(v, 'g', -1, 64). Row numbers in errors are 0-based
// data rows of the table. It returns an error for a missing group column,
// an empty or NaN group value, or a format other than csv or Parquet; r.Column
// must be empty.
func (r CloudReader) ReadGroups(ctx context.Context, path string) ([]Cloud, error) {
	if r.GroupBy == "" {
		return nil, fmt.Errorf("%s: no group column to split the table by", path)
	}
	if r.Column != "" {
		return nil, fmt.Errorf("%s: a grouped table has scalar coordinate columns; input.column %q does not apply", path, r.Column)
	}
	kind := tableFormat(path, r.Format)
	var labels []string
	opts := matrix.Options{Format: r.Format, Delimiter: r.Delimiter}
	switch kind {
	case format.CSV:
		delim := r.Delimiter
		if delim == "" {
			delim = format.Delimiter(path)
		}
		var j int
		var err error
		labels, j, err = readCSVColumn(ctx, path, delim, r.GroupBy)
		if err != nil {
			return nil, err
		}
		// By index: a header name that parses as an integer would be taken as one.
		opts.DropColumns = append(slices.Clone(r.Drop), strconv.Itoa(j))
	case format.Parquet:
		src, err := matrix.Open(ctx, path, matrix.Options{Format: "parquet", Columns: []string{r.GroupBy}})
		if err != nil {
			return nil, fmt.Errorf("input.group_by %q: %w", r.GroupBy, err)
		}
		vals, err := src.ReadRows(ctx, 0, src.Rows())
		if err != nil {
			return nil, err
		}
		labels = make([]string, len(vals))
		for i, v := range vals {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("%s: row %d: group column %q is NaN", path, i, r.GroupBy)
			}
			labels[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		opts.Format = "parquet"
		opts.Columns = r.Columns
		opts.DropColumns = slices.Clone(r.Drop)
		if len(r.Columns) == 0 || slices.Contains(r.Columns, r.GroupBy) {
			opts.DropColumns = append(opts.DropColumns, r.GroupBy)
		}
	default:
		return nil, fmt.Errorf("%s: input.group_by %q needs a table with named columns: csv with a header row, or parquet (format %q)", path, r.GroupBy, kind)
	}
	src, err := matrix.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	n, dim := src.Rows(), src.Cols()
	if n != len(labels) {
		return nil, fmt.Errorf("%s: %d values of group column %q for %d rows of coordinates (file changed while read?)", path, len(labels), r.GroupBy, n)
	}
	data, err := src.ReadRows(ctx, 0, n)
	if err != nil {
		return nil, err
	}
	var order []string
	rows := map[string][]int{}
	for i, g := range labels {
		if _, ok := rows[g]; !ok {
			order = append(order, g)
		}
		rows[g] = append(rows[g], i)
	}
	clouds := make([]Cloud, len(order))
	for k, g := range order {
		c, err := r.finite(Cloud{Path: path, Group: g, Dim: dim}, data, rows[g])
		if err != nil {
			return nil, err
		}
		clouds[k] = c
	}
	return clouds, nil
}

// tableFormat returns the format of the table at path: kind in lower case
// when it is set, else the format its name implies, delimited text of any
// extension being csv.
func tableFormat(path, kind string) string {
	if kind != "" {
		return strings.ToLower(kind)
	}
	switch f := format.Of(path); f {
	case format.TSV, format.TXT:
		return format.CSV
	default:
		return f
	}
}

// readCSVColumn returns the values (blanks trimmed) of the column named
// name of the delimited text at path, one per data row as csvmat counts
// them (lines starting with '#' and empty lines skipped, optional gzip and
// byte order mark), and the column's 0-based index. The first row must be
// a header naming the column.
func readCSVColumn(ctx context.Context, path, delim, name string) ([]string, int, error) {
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %v", path, err)
	}
	defer fsys.Close()
	rc, err := fsys.OpenRead(ctx, path)
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %v", path, err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: gzip: %v", path, err)
		}
		defer gz.Close()
		br = bufio.NewReaderSize(gz, 1<<16)
	}
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		br.Discard(3)
	}
	var next func() ([]string, error)
	switch delim {
	case " ", "space", "whitespace":
		next = func() ([]string, error) {
			for {
				s, err := br.ReadString('\n')
				if s == "" && err != nil {
					return nil, err
				}
				if f := strings.Fields(s); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
					return f, nil
				}
				if err != nil {
					return nil, err
				}
			}
		}
	default:
		c := csv.NewReader(br)
		switch delim {
		case "", ",":
			c.Comma = ','
		case `\t`, "tab", "\t":
			c.Comma = '\t'
		default:
			c.Comma, _ = utf8.DecodeRuneInString(delim)
		}
		c.Comment = '#'
		c.FieldsPerRecord = -1
		c.TrimLeadingSpace = c.Comma != '\t'
		next = c.Read
	}
	header, err := next()
	if err == io.EOF {
		return nil, 0, fmt.Errorf("%s: no rows", path)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %v", path, err)
	}
	j := slices.IndexFunc(header, func(h string) bool { return strings.TrimSpace(h) == name })
	numeric := !slices.ContainsFunc(header, func(h string) bool {
		_, err := strconv.ParseFloat(strings.TrimSpace(h), 64)
		return err != nil
	})
	switch {
	case j < 0 && numeric:
		return nil, 0, fmt.Errorf("%s: no header row, so no column %q to group the points by (input.group_by names a column of the header)", path, name)
	case j < 0:
		return nil, 0, fmt.Errorf("%s: no column %q to group the points by (input.group_by); the first row has %s", path, name, strings.Join(header, ", "))
	}
	var vals []string
	for {
		if len(vals)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, fmt.Errorf("%s: %w", path, err)
			}
		}
		rec, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %v", path, err)
		}
		if j >= len(rec) {
			return nil, 0, fmt.Errorf("%s: row %d has %d fields, want %d", path, len(vals), len(rec), len(header))
		}
		v := strings.TrimSpace(rec[j])
		if v == "" {
			return nil, 0, fmt.Errorf("%s: row %d: empty value of group column %q", path, len(vals), name)
		}
		vals = append(vals, v)
	}
	return vals, j, nil
}

// LandscapeSeed is the seed of sample s of the cloud named cloud:
// linalg.DeriveSeed(linalg.DeriveSeed(seed, FNV-1a-64(cloud)), s). It depends on the
// cloud's name, not its position in the input, so adding a cloud or a
// sample does not change the others.
func LandscapeSeed(seed uint64, cloud string, sample int64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(cloud))
	return linalg.DeriveSeed(linalg.DeriveSeed(seed, h.Sum64()), uint64(sample))
}

// Sampling says how a sample of a cloud is drawn.
type Sampling struct {
	// Size is the number of points of a sample; 0 takes the whole cloud.
	Size int
	// Replace draws random samples with replacement (bootstrap).
	Replace bool
	// Landmarks is "random" (or "") or "maxmin".
	Landmarks string
}

// Indices returns the rows of a cloud of n points (row-major coordinates
// points, dimension dim) that form the sample drawn with seed, in increasing
// order (with repeats when Replace is set):
//
//   - Size 0 or Size = n without replacement: every row, seed unused.
//   - random without replacement: a uniform Size-subset (Floyd's algorithm).
//   - random with replacement: Size independent uniform draws.
//   - maxmin: MaxMinLandmarks from a uniformly drawn first point.
//
// The draws use a PCG generator seeded with (seed, ^seed). It returns an
// error when Size exceeds n without replacement.
func (s Sampling) Indices(points []float64, n, dim int, seed uint64) ([]int, error) {
	m := s.Size
	if m == 0 || (m == n && !s.Replace && s.Landmarks != "maxmin") {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	if m > n && !s.Replace {
		return nil, fmt.Errorf("a sample of %d points from a cloud of %d needs replace: true", m, n)
	}
	rng := rand.New(rand.NewPCG(seed, ^seed))
	var idx []int
	switch {
	case s.Landmarks == "maxmin":
		idx = MaxMinLandmarks(points, n, dim, m, rng.IntN(n))
	case s.Replace:
		idx = make([]int, m)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
	default:
		// Floyd (Bentley & Floyd 1987, "A sample of brilliance"): every
		// m-subset is equally likely.
		chosen := make([]uint64, (n+63)/64)
		idx = make([]int, 0, m)
		for j := n - m; j < n; j++ {
			t := rng.IntN(j + 1)
			if chosen[t/64]&(1<<(t%64)) != 0 {
				t = j
			}
			chosen[t/64] |= 1 << (t % 64)
			idx = append(idx, t)
		}
	}
	slices.Sort(idx)
	return idx, nil
}

// identity reports whether idx is 0, 1, …, n−1.
func identity(idx []int, n int) bool {
	if len(idx) != n {
		return false
	}
	for i, j := range idx {
		if i != j {
			return false
		}
	}
	return true
}

// Gather returns the rows idx of the row-major n×dim points.
func Gather(points []float64, dim int, idx []int) []float64 {
	out := make([]float64, 0, len(idx)*dim)
	for _, i := range idx {
		out = append(out, points[i*dim:(i+1)*dim]...)
	}
	return out
}

// MaxMinLandmarks returns m max-min landmarks of the n points (de Silva &
// Carlsson 2004, "Topological estimation using witness complexes", §5.2):
// first, then repeatedly the point whose Euclidean distance to the landmarks
// chosen so far is largest (the smallest index among ties, never a point
// already chosen), in the order chosen. Cost O(m·n·dim) time, O(n) memory.
// It panics unless 0 ≤ first < n and 1 ≤ m ≤ n.
func MaxMinLandmarks(points []float64, n, dim, m, first int) []int {
	if first < 0 || first >= n || m < 1 || m > n {
		panic(fmt.Sprintf("transforms: %d max-min landmarks of %d points from point %d", m, n, first))
	}
	dist := make([]float64, n) // squared distance to the nearest landmark; -1 once chosen
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	out := make([]int, 0, m)
	next := first
	for len(out) < m {
		out = append(out, next)
		dist[next] = -1
		p := points[next*dim : (next+1)*dim]
		far, best := -1, -1.0
		for i := 0; i < n; i++ {
			if dist[i] < 0 {
				continue
			}
			q := points[i*dim : (i+1)*dim]
			var d float64
			for k, x := range p {
				t := x - q[k]
				d += t * t
			}
			dist[i] = min(dist[i], d)
			if dist[i] > best {
				far, best = i, dist[i]
			}
		}
		next = far
	}
	return out
}

// LandscapeTask is one Beam element of the landscape study: sample Sample
// (0-based) of the cloud named Cloud, read from Path; when the
// LandscapeFn's CloudReader has GroupBy set, Path is a table and the cloud
// is its rows whose group value is Cloud.
type LandscapeTask struct {
	Cloud  string
	Path   string
	Format string // the file's format; "" picks it by extension
	Sample int64
}

// LandscapeDiagramRow is one row of the `diagram` table: one pair of
// positive persistence of the Vietoris–Rips diagram of one sample.
type LandscapeDiagramRow struct {
	RunID  string  `parquet:"run_id"`
	Cloud  string  `parquet:"cloud"`
	Sample int64   `parquet:"sample"`
	Dim    int64   `parquet:"dim"`
	Birth  float64 `parquet:"birth"`
	// Death is NULL for an essential class: alive at the threshold.
	Death *float64 `parquet:"death,optional"`
}

// LandscapeRow is one row of the `landscape` table: λ_Level(T) of the
// landscape of dimension Dim of one sample, or of the mean landscape over
// the samples of the cloud when Sample is NULL.
type LandscapeRow struct {
	RunID  string  `parquet:"run_id"`
	Cloud  string  `parquet:"cloud"`
	Sample *int64  `parquet:"sample,optional"`
	Dim    int64   `parquet:"dim"`
	Level  int64   `parquet:"level"` // k = 1, 2, …
	T      float64 `parquet:"t"`     // grid point
	Value  float64 `parquet:"value"`
}

// LandscapeSummaryRow is one row of the `landscape_summary` table: one
// (cloud, dim). The norms are those of the mean landscape's piecewise-linear
// interpolant on [range_lo, range_hi], summed over its levels
// (landscape.Sampled.Norm): l1 = Σₖ ∫|λ̄ₖ|, l2 = (Σₖ ∫λ̄ₖ²)^½, linf = max λ̄₁.
type LandscapeSummaryRow struct {
	RunID      string  `parquet:"run_id"`
	Cloud      string  `parquet:"cloud"`
	Dim        int64   `parquet:"dim"`
	Points     int64   `parquet:"points"`      // points of the cloud, bad rows dropped
	SampleSize int64   `parquet:"sample_size"` // points per sample
	Samples    int64   `parquet:"samples"`
	Threshold  float64 `parquet:"threshold"`
	RangeLo    float64 `parquet:"range_lo"`
	RangeHi    float64 `parquet:"range_hi"`
	// Features is the mean over samples of the number of pairs of dimension dim, essential ones included.
	Features float64 `parquet:"features"`
	// Essential is the mean over samples of the number of essential classes (NULL deaths).
	Essential float64 `parquet:"essential"`
	// TotalPersistence is the mean over samples of Σ (death − birth) over the finite pairs.
	TotalPersistence float64 `parquet:"total_persistence"`
	L1               float64 `parquet:"l1"`
	L2               float64 `parquet:"l2"`
	Linf             float64 `parquet:"linf"`
}

// LandscapeStats is the part of one sample's result that is averaged per
// (cloud, dim): its sampled landscape (level-major, landscape.Sampled.Values)
// and its feature counts.
type LandscapeStats struct {
	Cloud       string
	Dim         int64
	Points      int64
	SampleSize  int64
	Values      []float64
	Features    int64
	Essential   int64
	Persistence float64
}

// LandscapeKey is the key of the (cloud, dim) mean.
func LandscapeKey(cloud string, dim int64) string {
	return cloud + "\x00H" + strconv.FormatInt(dim, 10)
}

// LandscapeFn computes the diagram of one sample (ph.VietorisRips) and its
// landscapes of dimensions 0…MaxDim on the grid [Lo, Hi] of Resolution
// points, and emits the diagram rows, the per-sample landscape rows and the
// keyed LandscapeStats for LandscapeMeanFn. The cloud is read inside the
// DoFn (the last cloud read is kept for the next sample of it; with
// Read.GroupBy, every cloud of the last table read).
type LandscapeFn struct {
	RunID      string
	Seed       uint64
	Read       CloudReader // Format is replaced by each task's
	Sampling   Sampling
	MaxDim     int
	Threshold  float64
	Levels     int
	Resolution int
	Lo, Hi     float64
	MaxBytes   int64

	cloud  *Cloud           // last cloud read
	groups map[string]Cloud // clouds of the last table read, by group value, when Read.GroupBy is set
}

func (f *LandscapeFn) ProcessElement(ctx context.Context, t LandscapeTask, emitPair func(LandscapeDiagramRow), emitLand func(LandscapeRow), emitStats func(string, LandscapeStats)) error {
	c, err := f.read(ctx, t)
	if err != nil {
		return err
	}
	if t.Sample == 0 {
		beam.NewCounter("lowdim", "rows_read").Inc(ctx, int64(c.N+c.BadRows))
		beam.NewCounter("lowdim", "bad_rows").Inc(ctx, int64(c.BadRows))
	}
	beam.NewCounter("lowdim", "shards").Inc(ctx, 1)
	diag, m, err := f.Diagram(*c, t.Cloud, t.Sample)
	if err != nil {
		return err
	}
	if t.Sample == 0 {
		progress.Add(1, int64(c.N))
	} else {
		progress.Add(1, 0) // the cloud's rows were counted at its first sample
	}
	grid := landscape.Grid{Lo: f.Lo, Hi: f.Hi, Resolution: f.Resolution}
	ts := grid.Points()
	sample := t.Sample
	for _, p := range diag.Pairs {
		row := LandscapeDiagramRow{RunID: f.RunID, Cloud: t.Cloud, Sample: sample, Dim: int64(p.Dim), Birth: p.Birth}
		if !math.IsInf(p.Death, 1) {
			d := p.Death
			row.Death = &d
		}
		emitPair(row)
	}
	for dim := 0; dim <= f.MaxDim; dim++ {
		s, err := landscape.Sample(diag.Pairs, dim, f.Levels, grid)
		if err != nil {
			return fmt.Errorf("cloud %s, sample %d: %w", t.Cloud, t.Sample, err)
		}
		for k := 0; k < f.Levels; k++ {
			for i, x := range ts {
				emitLand(LandscapeRow{RunID: f.RunID, Cloud: t.Cloud, Sample: &sample, Dim: int64(dim), Level: int64(k + 1), T: x, Value: s.At(k, i)})
			}
		}
		st := LandscapeStats{Cloud: t.Cloud, Dim: int64(dim), Points: int64(c.N), SampleSize: int64(m), Values: s.Values}
		for _, p := range diag.Pairs {
			if p.Dim != dim {
				continue
			}
			st.Features++
			if math.IsInf(p.Death, 1) {
				st.Essential++
			} else {
				st.Persistence += p.Death - p.Birth
			}
		}
		emitStats(LandscapeKey(t.Cloud, int64(dim)), st)
	}
	return nil
}

// read returns the cloud of t: the file t.Path, or, when Read.GroupBy is
// set, the rows of the table t.Path whose group value is t.Cloud. The last
// file, or every group of the last table, is kept for the next task.
func (f *LandscapeFn) read(ctx context.Context, t LandscapeTask) (*Cloud, error) {
	r := f.Read
	r.Format = t.Format
	if r.GroupBy == "" {
		if f.cloud == nil || f.cloud.Path != t.Path {
			c, err := r.Read(ctx, t.Path)
			if err != nil {
				return nil, err
			}
			f.cloud = &c
		}
		return f.cloud, nil
	}
	if f.cloud == nil || f.cloud.Path != t.Path {
		clouds, err := r.ReadGroups(ctx, t.Path)
		if err != nil {
			return nil, err
		}
		f.groups = make(map[string]Cloud, len(clouds))
		for _, c := range clouds {
			f.groups[c.Group] = c
		}
		f.cloud = &Cloud{Path: t.Path} // marks the table read
	}
	c, ok := f.groups[t.Cloud]
	if !ok {
		return nil, fmt.Errorf("%s: no rows with %s = %s (the table changed since the run was planned?)", t.Path, r.GroupBy, t.Cloud)
	}
	return &c, nil
}

// Diagram draws sample s of cloud c (named name) and returns its
// Vietoris–Rips diagram and its number of points. Errors name the cloud and
// the sample.
func (f *LandscapeFn) Diagram(c Cloud, name string, s int64) (ph.Diagram, int, error) {
	idx, err := f.Sampling.Indices(c.Points, c.N, c.Dim, LandscapeSeed(f.Seed, name, s))
	if err != nil {
		return ph.Diagram{}, 0, fmt.Errorf("cloud %s (%s): %w", name, c.Path, err)
	}
	pts := c.Points
	if !identity(idx, c.N) {
		pts = Gather(c.Points, c.Dim, idx)
	}
	diag, err := ph.VietorisRips(pts, len(idx), c.Dim, ph.Options{MaxDim: f.MaxDim, Threshold: f.Threshold, MaxBytes: f.MaxBytes})
	if err != nil {
		return ph.Diagram{}, 0, fmt.Errorf("cloud %s (%s), sample %d: %w", name, c.Path, s, err)
	}
	return diag, len(idx), nil
}

// LandscapeMeanAcc accumulates the samples of one (cloud, dim). The sums
// are exact: Partials[j] is a non-overlapping expansion (Shewchuk 1997,
// "Adaptive precision floating-point arithmetic", as in Python's math.fsum)
// whose exact sum is Σ over the samples of Values[j], so the mean does not
// depend on the order in which samples are added or accumulators merged.
type LandscapeMeanAcc struct {
	Cloud       string
	Dim         int64
	Points      int64
	SampleSize  int64
	Count       int64
	Partials    [][]float64
	Features    int64
	Essential   int64
	Persistence []float64 // expansion of Σ LandscapeStats.Persistence
}

// LandscapeMeanFn combines the samples of a (cloud, dim) into their mean
// landscape; Levels × Resolution is the shape of every sample.
type LandscapeMeanFn struct {
	Levels, Resolution int
}

func (f *LandscapeMeanFn) CreateAccumulator() LandscapeMeanAcc { return LandscapeMeanAcc{} }

func (f *LandscapeMeanFn) AddInput(a LandscapeMeanAcc, s LandscapeStats) LandscapeMeanAcc {
	if len(s.Values) != f.Levels*f.Resolution {
		panic(fmt.Sprintf("landscape mean of %s H%d: %d values, want %d levels × %d points", s.Cloud, s.Dim, len(s.Values), f.Levels, f.Resolution))
	}
	f.init(&a)
	a.Cloud, a.Dim, a.Points, a.SampleSize = s.Cloud, s.Dim, s.Points, s.SampleSize
	for j, v := range s.Values {
		a.Partials[j] = addExact(a.Partials[j], v)
	}
	a.Count++
	a.Features += s.Features
	a.Essential += s.Essential
	a.Persistence = addExact(a.Persistence, s.Persistence)
	return a
}

func (f *LandscapeMeanFn) MergeAccumulators(a, b LandscapeMeanAcc) LandscapeMeanAcc {
	if b.Count == 0 {
		return a
	}
	f.init(&a)
	a.Cloud, a.Dim, a.Points, a.SampleSize = b.Cloud, b.Dim, b.Points, b.SampleSize
	for j, p := range b.Partials {
		for _, v := range p {
			a.Partials[j] = addExact(a.Partials[j], v)
		}
	}
	a.Count += b.Count
	a.Features += b.Features
	a.Essential += b.Essential
	for _, v := range b.Persistence {
		a.Persistence = addExact(a.Persistence, v)
	}
	return a
}

func (f *LandscapeMeanFn) ExtractOutput(a LandscapeMeanAcc) LandscapeMeanAcc { return a }

func (f *LandscapeMeanFn) init(a *LandscapeMeanAcc) {
	if len(a.Partials) == 0 {
		a.Partials = make([][]float64, f.Levels*f.Resolution)
	}
}

// Accumulator returns the samples accumulated in a as a
// landscape.MeanAccumulator of the given shape whose sums are the correctly
// rounded exact sums; its Mean is the mean landscape.
func (a LandscapeMeanAcc) Accumulator(levels, resolution int) landscape.MeanAccumulator {
	sum := make([]float64, len(a.Partials))
	for j, p := range a.Partials {
		sum[j] = roundExact(p)
	}
	return landscape.MeanAccumulator{Sum: sum, Count: a.Count, Levels: levels, Resolution: resolution}
}

// LandscapeMeanRowsFn turns a (cloud, dim) mean into its rows of the
// `landscape` table (sample NULL) and its `landscape_summary` row.
type LandscapeMeanRowsFn struct {
	RunID      string
	Threshold  float64
	Levels     int
	Resolution int
	Lo, Hi     float64
}

func (f *LandscapeMeanRowsFn) ProcessElement(_ string, a LandscapeMeanAcc, emitLand func(LandscapeRow), emitSummary func(LandscapeSummaryRow)) error {
	mean := a.Accumulator(f.Levels, f.Resolution).Mean()
	if len(mean) != f.Levels*f.Resolution {
		return fmt.Errorf("landscape mean of %s H%d: %d values from %d samples, want %d levels × %d points", a.Cloud, a.Dim, len(mean), a.Count, f.Levels, f.Resolution)
	}
	grid := landscape.Grid{Lo: f.Lo, Hi: f.Hi, Resolution: f.Resolution}
	ts := grid.Points()
	for k := 0; k < f.Levels; k++ {
		for i, x := range ts {
			emitLand(LandscapeRow{RunID: f.RunID, Cloud: a.Cloud, Dim: a.Dim, Level: int64(k + 1), T: x, Value: mean[k*f.Resolution+i]})
		}
	}
	s := landscape.Sampled{Grid: grid, Levels: f.Levels, Values: mean}
	n := float64(a.Count)
	emitSummary(LandscapeSummaryRow{
		RunID: f.RunID, Cloud: a.Cloud, Dim: a.Dim, Points: a.Points, SampleSize: a.SampleSize, Samples: a.Count,
		Threshold: f.Threshold, RangeLo: f.Lo, RangeHi: f.Hi,
		Features: float64(a.Features) / n, Essential: float64(a.Essential) / n,
		TotalPersistence: roundExact(a.Persistence) / n,
		L1:               s.Norm(1), L2: s.Norm(2), Linf: s.Norm(math.Inf(1)),
	})
	return nil
}

// addExact adds x to the non-overlapping expansion partials (increasing
// magnitude) without rounding error: Shewchuk's grow-expansion with
// zero elimination, as in Python's math.fsum (msum recipe). x must be finite.
func addExact(partials []float64, x float64) []float64 {
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

// roundExact returns the exact sum of the expansion partials rounded to the
// nearest float64 (ties to even), as Python's math.fsum does: the result
// depends only on the exact sum, not on how it was accumulated.
func roundExact(p []float64) float64 {
	n := len(p)
	if n == 0 {
		return 0
	}
	n--
	hi := p[n]
	var lo float64
	for n > 0 {
		x := hi
		n--
		y := p[n]
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	if n > 0 && ((lo < 0 && p[n-1] < 0) || (lo > 0 && p[n-1] > 0)) {
		y := float64(lo * 2)
		x := hi + y
		yr := x - hi
		if y == yr {
			hi = x
		}
	}
	return hi
}

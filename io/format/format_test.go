package format

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for p, want := range map[string]Name{
		"testdata/digits.csv.gz":           {CSV, ".csv", ".gz"},
		"gs://bucket/a/B.CSV":              {CSV, ".csv", ""},
		"x.npy":                            {NPY, ".npy", ""},
		"a.npz":                            {NPZ, ".npz", ""},
		"w.SAFETENSORS.gz":                 {Safetensors, ".safetensors", ".gz"},
		"data/*.parquet":                   {Parquet, ".parquet", ""},
		"m.tsv.gz":                         {TSV, ".tsv", ".gz"},
		"notes.txt":                        {TXT, ".txt", ""},
		"x.csv.zst":                        {CSV, ".csv", ".zst"},
		"x.npy.xz":                         {NPY, ".npy", ".xz"},
		"mnist/train-images-idx3-ubyte.gz": {IDX, "", ".gz"},
		"train-images.idx3-ubyte":          {IDX, "", ""},
		"t10k-labels.idx1":                 {IDX, "", ""},
		"x.idx":                            {IDX, "", ""},
		`C:\data\m.npy`:                    {NPY, ".npy", ""},
		"data/":                            {},
		"data":                             {},
		"csv":                              {},
		"README.md":                        {},
		"x.gz":                             {"", "", ".gz"},
		"x.bz2.csv":                        {CSV, ".csv", ""},
	} {
		if got := Parse(p); got != want {
			t.Errorf("Parse(%q) = %+v, want %+v", p, got, want)
		}
		if got := Of(p); got != want.Format {
			t.Errorf("Of(%q) = %q, want %q", p, got, want.Format)
		}
	}
}

func TestDelimiter(t *testing.T) {
	for p, want := range map[string]string{"a.tsv": "\t", "a.TSV.gz": "\t", "a.txt": "whitespace", "a.csv": "", "a": "", "a.npy": ""} {
		if got := Delimiter(p); got != want {
			t.Errorf("Delimiter(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestNamesAndSuffixes: every spec format is a format Parse names, every
// data extension names its format, and Suffixes strips compression before
// the extension; the lists are copies.
func TestNamesAndSuffixes(t *testing.T) {
	for _, f := range Names() {
		var probe string
		if f == IDX {
			probe = "x.idx"
		} else {
			probe = "x." + f
		}
		if Of(probe) != f {
			t.Errorf("format %q: Of(%q) = %q", f, probe, Of(probe))
		}
	}
	s := Suffixes()
	if !slices.Equal(s[:4], []string{".gz", ".zst", ".bz2", ".xz"}) || len(s) != 11 {
		t.Fatalf("Suffixes() = %v", s)
	}
	for _, ext := range s[4:] {
		if got := Parse("x" + ext); got.Ext != ext || got.Format != strings.TrimPrefix(ext, ".") {
			t.Errorf("extension %s: Parse = %+v", ext, got)
		}
	}
	Names()[0], Suffixes()[0] = "changed", "changed"
	if Names()[0] != CSV || Suffixes()[0] != ".gz" {
		t.Error("Names or Suffixes returned the package's slice")
	}
}

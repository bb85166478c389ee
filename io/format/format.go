// Package format tells a data file's format from its name. It is the one
// rule that lowdim's spec parser (experiments.InferFormat), its readers
// (io/matrix, io/clouds, io/checkpoints) and its data set names share, and
// it imports no lowdim package, so every layer may use it.
//
// A name is read from its end: an optional compression suffix (.gz, .zst,
// .bz2 or .xz), then a data extension (.csv, .tsv, .txt, .npy, .npz,
// .safetensors, .parquet) naming the format, or an IDX ending (.idx, .idxN
// or -ubyte, as MNIST ships its files). Case does not matter.
package format

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// The formats a name can imply. TSV and TXT are delimited text like CSV,
// with a tab and runs of blanks as the delimiter.
const (
	CSV         = "csv"
	TSV         = "tsv"
	TXT         = "txt"
	NPY         = "npy"
	NPZ         = "npz"
	Safetensors = "safetensors"
	Parquet     = "parquet"
	IDX         = "idx"
)

// names are the formats an input.format of a spec may name: TSV and TXT
// are read as CSV.
var names = []string{CSV, NPY, NPZ, Safetensors, Parquet, IDX}

// extensions are the data extensions, each naming the format of its name
// without the dot, in the order Suffixes lists them.
var extensions = []string{".npy", ".npz", ".csv", ".tsv", ".txt", ".parquet", ".safetensors"}

// compressions are the compression suffixes a name may end in.
var compressions = []string{".gz", ".zst", ".bz2", ".xz"}

// idxName matches IDX file names (after any compression suffix): x.idx,
// x.idx3, MNIST's train-images-idx3-ubyte and train-images.idx3-ubyte.
var idxName = regexp.MustCompile(`(\.idx\d*|-ubyte)$`)

// Names returns the formats a spec's input.format may name: csv, npy, npz,
// safetensors, parquet and idx.
func Names() []string { return slices.Clone(names) }

// Name is what a file name says about the file.
type Name struct {
	// Format is CSV, TSV, TXT, NPY, NPZ, Safetensors, Parquet or IDX, or ""
	// when the name implies no format (a folder, "notes.md").
	Format string
	// Ext is the data extension in lower case (".csv", …); "" for IDX
	// names and names without a data extension.
	Ext string
	// Compression is the compression suffix in lower case (".gz", ".zst",
	// ".bz2" or ".xz"), or "".
	Compression string
}

// Parse reads the base name of p, after its last '/' or '\', as the
// package doc says: "data/B.CSV.gz" is {csv, .csv, .gz};
// "mnist/train-images-idx3-ubyte" is {idx, "", ""}; "data/" is {}.
func Parse(p string) Name {
	base := strings.ToLower(p[strings.LastIndexAny(p, `/\`)+1:])
	var n Name
	for _, z := range compressions {
		if stem, ok := strings.CutSuffix(base, z); ok {
			base, n.Compression = stem, z
			break
		}
	}
	switch ext := path.Ext(base); {
	case slices.Contains(extensions, ext):
		n.Format, n.Ext = ext[1:], ext
	case idxName.MatchString(base):
		n.Format = IDX
	}
	return n
}

// Of returns the format the name of p implies (Parse(p).Format).
func Of(p string) string { return Parse(p).Format }

// Delimiter returns the field delimiter the name of a delimited text file
// implies, in the spelling of csvmat.Options.Delimiter: "\t" for .tsv,
// "whitespace" for .txt, and "" (a comma) for any other name.
func Delimiter(p string) string {
	switch Parse(p).Ext {
	case ".tsv":
		return "\t"
	case ".txt":
		return "whitespace"
	}
	return ""
}

// Suffixes returns the compression suffixes, then the data extensions:
// the ends a name loses, each in turn, to name its data set
// ("digits.csv.gz" names "digits").
func Suffixes() []string { return slices.Concat(compressions, extensions) }

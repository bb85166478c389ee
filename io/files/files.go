// Package files lists input files, local or on an object store (gs://),
// through Beam's filesystem abstraction, for the readers that expand an
// input path (a file, a folder or a glob) into the files they read.
package files

import (
	"context"
	"os"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
)

// List returns the files matching glob (local, or gs://bucket/pattern),
// sorted.
func List(ctx context.Context, glob string) ([]string, error) {
	fs, err := filesystem.New(ctx, glob)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	files, err := fs.List(ctx, glob)
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// IsLocalDir reports whether p is a folder of the local filesystem (never
// for a URL such as gs://b/p, where folders are name prefixes).
func IsLocalDir(p string) bool {
	if strings.Contains(p, "://") {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// IsGlob reports whether p holds a glob metacharacter (*, ? or [).
func IsGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// Package files lists input files, local or on an object store (gs://),
// through Beam's filesystem abstraction, for the readers that expand an
// input path (a file, a folder or a glob) into the files they read.
package files

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"

	"github.com/lowdim/lowdim/io/format"
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

// IsMany reports whether the input path p names several files: a glob, a
// local folder, or a path ending in "/" (a folder of an object store). A
// local file whose name holds a glob metacharacter is one file.
func IsMany(p string) bool {
	if !strings.Contains(p, "://") {
		if st, err := os.Stat(p); err == nil {
			return st.IsDir()
		}
	}
	return IsGlob(p) || strings.HasSuffix(p, "/")
}

// Expand expands an input path into the files it names, sorted: a glob's
// matches, a folder's files (not its subfolders), or the path itself when
// IsMany(p) is false. In a folder or glob, names starting with "." or "_"
// are skipped, and so are files whose name implies no input format
// (format.Names), unless there are only such files and kind (a format set
// by the spec) is not "": then they are all read in that format. No file is
// an error naming p and what, the kind of file looked for ("point cloud
// files").
func Expand(ctx context.Context, p, kind, what string) ([]string, error) {
	if !IsMany(p) {
		return []string{p}, nil
	}
	glob := p
	if !IsGlob(p) {
		glob = folderGlob(p)
	}
	found, err := List(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("input.path %s: %v", p, err)
	}
	var known, other []string
	for _, f := range found {
		base := path.Base(strings.ReplaceAll(f, "\\", "/"))
		switch {
		case strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || IsLocalDir(f):
		case slices.Contains(format.Names(), format.Of(f)):
			known = append(known, f)
		default:
			other = append(other, f)
		}
	}
	if len(known) == 0 && kind != "" {
		known = other
	}
	if len(known) == 0 {
		return nil, fmt.Errorf("input.path %s: no %s (%s) found", p, what, strings.Join(format.Names(), ", "))
	}
	return known, nil
}

// folderGlob is the glob of the files in the folder p: p/* (local paths
// cleaned, as filepath.Join does).
func folderGlob(p string) string {
	if strings.Contains(p, "://") {
		return strings.TrimRight(p, "/") + "/*"
	}
	return filepath.Join(p, "*")
}

//go:build !unix

package matrix

import (
	"errors"
	"os"
)

// mapReadOnly is not available here: reads go through ReadAt.
func mapReadOnly(*os.File, int64) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmap([]byte) {}

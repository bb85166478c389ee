package matrix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMappedTruncatedWhileRead: a file cut short after it was mapped makes
// the read fault; withMapped returns that as an error naming the bytes,
// and the process goes on.
func TestMappedTruncatedWhileRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sum byte
	mapped, err := withMapped(f, 4096, 1<<19, func(b []byte) error {
		if err := os.Truncate(p, 0); err != nil {
			t.Fatal(err)
		}
		for _, x := range b {
			sum += x
		}
		return nil
	})
	if !mapped || err == nil || !strings.Contains(err.Error(), "bytes 4096 to 528384: the file changed while it was read") {
		t.Fatalf("mapped %v, err %v", mapped, err)
	}
	// A range beyond the (now empty) file is not mapped: the caller's read path reports it.
	if mapped, err := withMapped(f, 0, 10, func([]byte) error { return nil }); mapped || err != nil {
		t.Errorf("range beyond the file: mapped %v, err %v", mapped, err)
	}
}

package matrix

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSafetensorsOverlapNamesFile: a safetensors file whose tensors share
// bytes is refused by Open and Tensors, naming the file and both tensors.
func TestSafetensorsOverlapNamesFile(t *testing.T) {
	header := `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}`
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(append(b, header...), make([]byte, 24)...)
	p := filepath.Join(t.TempDir(), "w.safetensors")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	want := p + `: safetensors: byte 8: tensor "b" (data_offsets [8, 24]) overlaps tensor "a"`
	if _, err := Open(context.Background(), p, Options{Tensor: "a"}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open: %v, want %q", err, want)
	}
	if _, err := Tensors(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Tensors: %v, want %q", err, want)
	}
}

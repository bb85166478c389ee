package safetensors

import (
	"bytes"
	"strings"
	"testing"
)

// TestLayoutErrors: tensors must tile the byte buffer: an overlap, a hole
// (at the start or between tensors) or bytes left after the last tensor are
// refused naming the tensors involved; a zero-size tensor anywhere and an
// exact tiling are accepted.
func TestLayoutErrors(t *testing.T) {
	for _, c := range []struct {
		name, header string
		data         int
		want         string // "" accepts
	}{
		{"tiled", `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1,2],"data_offsets":[16,24]}}`, 24, ""},
		{"empty tensor", `{"a":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"c":{"dtype":"F32","shape":[0,2],"data_offsets":[8,8]}}`, 8, ""},
		{"overlap", `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}`, 24,
			`tensor "b" (data_offsets [8, 24]) overlaps tensor "a", which ends at 16`},
		{"same bytes", `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16]}}`, 16,
			`tensor "b" (data_offsets [0, 16]) overlaps tensor "a"`},
		{"hole between", `{"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,2],"data_offsets":[12,20]}}`, 20,
			`tensor "b" (data_offsets [12, 20]) leaves a hole of 4 bytes after tensor "a", which ends at 8`},
		{"hole first", `{"a":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]}}`, 12,
			`tensor "a" (data_offsets [4, 12]) leaves a hole of 4 bytes at the start of the buffer`},
		{"trailing bytes", `{"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}`, 12,
			`4 bytes after tensor "a", the last data, up to the end of the 12-byte buffer`},
		{"past the buffer", `{"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]}}`, 12,
			`tensor "b": data_offsets [8, 16] end past the 12-byte buffer`},
	} {
		in := file(c.header, make([]byte, c.data))
		_, err := ReadHeader(bytes.NewReader(in), int64(len(in)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

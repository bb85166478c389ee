package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// Matrix is a rows×cols matrix to write, row-major, stored with DType "F64",
// "F32" or "BF16". Shape, when not nil, is the shape stored in the header
// instead of [Rows, Cols], for tensors of another rank holding the same
// Rows·Cols elements in the same order: [n] for a vector, [] for a scalar.
type Matrix struct {
	Name       string
	Rows, Cols int
	Data       []float64
	DType      string
	Shape      []int
}

// Write writes the matrices to w as a safetensors file, in the given order,
// with the header padded with spaces to a multiple of 8 bytes as the
// reference writer pads it. F32 rounds each value to nearest; BF16 rounds the
// float32 value to the nearest bfloat16, ties to even (NaN stays NaN).
//
// Write returns an error, writing nothing, when a name repeats or is
// "__metadata__", a matrix's data does not have Rows·Cols values, a Shape
// has a negative dimension or does not multiply to Rows·Cols, or a dtype is
// not one of those above.
func Write(w io.Writer, metadata map[string]string, ms ...Matrix) error {
	header := map[string]any{}
	if metadata != nil {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, m := range ms {
		if _, dup := header[m.Name]; dup || m.Name == "__metadata__" {
			return fmt.Errorf("safetensors: duplicate or reserved tensor name %q", m.Name)
		}
		if m.Rows < 0 || m.Cols < 0 || (m.Cols != 0 && m.Rows > math.MaxInt32*64/m.Cols) || len(m.Data) != m.Rows*m.Cols {
			return fmt.Errorf("safetensors: tensor %q has %d values, want %d×%d", m.Name, len(m.Data), m.Rows, m.Cols)
		}
		t := Tensor{DType: m.DType}
		size := int64(t.ItemSize())
		if size == 0 || m.DType == "F16" {
			return fmt.Errorf("safetensors: cannot write dtype %q; want F64, F32 or BF16", m.DType)
		}
		shape := []int64{int64(m.Rows), int64(m.Cols)}
		if m.Shape != nil {
			shape = make([]int64, len(m.Shape))
			count, ok := int64(1), true
			for i, d := range m.Shape {
				shape[i] = int64(d)
				ok = ok && d >= 0
				if d == 0 {
					count = 0
				}
			}
			for _, d := range shape {
				if count == 0 {
					break
				}
				if d > int64(len(m.Data))/count {
					count = -1 // the product exceeds len(Data); stop before it can overflow
					break
				}
				count *= d
			}
			if !ok || count != int64(len(m.Data)) {
				return fmt.Errorf("safetensors: tensor %q has shape %v for %d values", m.Name, m.Shape, len(m.Data))
			}
		}
		n := int64(len(m.Data)) * size
		header[m.Name] = entry{DType: m.DType, Shape: shape, DataOffsets: []int64{off, off + n}}
		off += n
	}
	text, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(text)%8 != 0 {
		text = append(text, ' ')
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(text)))
	bw.Write(b[:])
	bw.Write(text)
	le := binary.LittleEndian
	for _, m := range ms {
		for _, v := range m.Data {
			switch m.DType {
			case "F64":
				le.PutUint64(b[:], math.Float64bits(v))
				bw.Write(b[:8])
			case "F32":
				le.PutUint32(b[:], math.Float32bits(float32(v)))
				bw.Write(b[:4])
			case "BF16":
				le.PutUint16(b[:], ToBFloat16(float32(v)))
				bw.Write(b[:2])
			}
		}
	}
	return bw.Flush()
}

// ToBFloat16 rounds x to the nearest bfloat16, ties to even, and returns its
// bits. NaN maps to a quiet NaN of the same sign.
func ToBFloat16(x float32) uint16 {
	u := math.Float32bits(x)
	if x != x {
		return uint16(u>>16) | 0x40
	}
	// Add 0x7fff plus the lowest kept bit, then truncate: round half to even.
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
)

// Write writes the rows×cols matrix data (row-major, len rows·cols) to w as a
// .npy file with the given dtype ("<f8", ">f8", "<f4" or ">f4"), in Fortran
// (column-major) order when fortran is set. The header is version 1.0, padded
// with spaces to a multiple of 64 bytes as NumPy pads it. Converting to
// float32 rounds to nearest.
//
// Write returns an error, writing nothing, when len(data) != rows·cols, a
// dimension is negative or the dtype is not one of those above.
func Write(w io.Writer, rows, cols int, data []float64, dtype string, fortran bool) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("npy: negative shape (%d, %d)", rows, cols)
	}
	if cols != 0 && rows > math.MaxInt/cols || len(data) != rows*cols {
		return fmt.Errorf("npy: data has length %d, want %d×%d", len(data), rows, cols)
	}
	h := Header{Descr: dtype}
	if err := h.setDType(); err != nil || h.ItemSize == 2 {
		return fmt.Errorf("npy: cannot write dtype %q; want <f8, >f8, <f4 or >f4", dtype)
	}
	order := "False"
	if fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d), }", dtype, order, rows, cols)
	// 10 bytes of preamble + dict + padding + '\n' is a multiple of 64.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := make([]byte, 0, total+pad)
	hdr = append(hdr, Magic...)
	hdr = append(hdr, 1, 0)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(dict)+pad+1))
	hdr = append(hdr, dict...)
	hdr = append(hdr, strings.Repeat(" ", pad)...)
	hdr = append(hdr, '\n')

	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	var b [8]byte
	put := func(v float64) error {
		if h.ItemSize == 8 {
			h.order.PutUint64(b[:], math.Float64bits(v))
		} else {
			h.order.PutUint32(b[:], math.Float32bits(float32(v)))
		}
		_, err := bw.Write(b[:h.ItemSize])
		return err
	}
	if fortran {
		for j := 0; j < cols; j++ {
			for i := 0; i < rows; i++ {
				if err := put(data[i*cols+j]); err != nil {
					return err
				}
			}
		}
	} else {
		for _, v := range data {
			if err := put(v); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

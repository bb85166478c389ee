package transforms

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/linalg"
)

// The float coder is a Beam coder for element types that carry large
// float64 slices (a pass's n × l basis and partial products, an n × n Gram
// matrix): Beam's schema coder encodes a []float64 through reflection one
// value at a time, about 30 ns per value, which cost a wide spectrum run
// more CPU than its reads. The float coder writes the same exported fields
// in declaration order, each []float64 as its length and its little-endian
// bits in one sweep. It handles structs of bool, int, int64, float64,
// string, []float64, nested such structs and slices of them; registerFloatCoder refuses any
// other field at init, so a new field of another kind cannot be dropped
// silently.
//
// Each type has its own named encode and decode functions: the worker finds
// a coder's functions by symbol name, which a generic function does not have.
func encodePassTask(v PassTask) []byte          { return appendFloatCoded(nil, reflect.ValueOf(v)) }
func decodePassTask(b []byte) (PassTask, error) { var v PassTask; return v, decodeFloatCoded(b, &v) }
func encodePassOutput(v PassOutput) []byte      { return appendFloatCoded(nil, reflect.ValueOf(v)) }
func decodePassOutput(b []byte) (PassOutput, error) {
	var v PassOutput
	return v, decodeFloatCoded(b, &v)
}
func encodePassBasis(v linalg.PassBasis) []byte { return appendFloatCoded(nil, reflect.ValueOf(v)) }
func decodePassBasis(b []byte) (linalg.PassBasis, error) {
	var v linalg.PassBasis
	return v, decodeFloatCoded(b, &v)
}

// registerFloatCoder registers encode and decode as the coder of T.
func registerFloatCoder[T any](encode func(T) []byte, decode func([]byte) (T, error)) {
	t := reflect.TypeFor[T]()
	if err := checkFloatCodable(t); err != nil {
		panic(fmt.Sprintf("transforms: float coder for %v: %v", t, err))
	}
	beam.RegisterCoder(t, encode, decode)
}

func checkFloatCodable(t reflect.Type) error {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64, reflect.String:
		return nil
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Float64:
			return nil
		case reflect.Struct:
			return checkFloatCodable(t.Elem())
		}
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if err := checkFloatCodable(f.Type); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("kind %v is not supported", t)
}

// decodeFloatCoded decodes data into *ptr.
func decodeFloatCoded[T any](data []byte, ptr *T) error {
	rest, err := readFloatCoded(data, reflect.ValueOf(ptr).Elem())
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%d trailing bytes", len(rest))
	}
	if err != nil {
		return fmt.Errorf("transforms: decoding %T: %w", *ptr, err)
	}
	return nil
}

func appendFloatCoded(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Int, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Float64:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Float()))
	case reflect.String:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		return append(b, v.String()...)
	case reflect.Slice: // nil and empty both decode as nil
		if v.Type().Elem().Kind() == reflect.Struct {
			b = binary.AppendUvarint(b, uint64(v.Len()))
			for i := range v.Len() {
				b = appendFloatCoded(b, v.Index(i))
			}
			return b
		}
		xs := v.Interface().([]float64)
		b = binary.AppendUvarint(b, uint64(len(xs)))
		b = append(b, make([]byte, 8*len(xs))...)
		out := b[len(b)-8*len(xs):]
		for i, x := range xs {
			binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(x))
		}
		return b
	default: // reflect.Struct
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				b = appendFloatCoded(b, v.Field(i))
			}
		}
		return b
	}
}

func readFloatCoded(b []byte, v reflect.Value) ([]byte, error) {
	switch v.Kind() {
	case reflect.Bool:
		if len(b) < 1 {
			return nil, errShortFloatCoded
		}
		v.SetBool(b[0] == 1)
		return b[1:], nil
	case reflect.Int, reflect.Int64:
		x, n := binary.Varint(b)
		if n <= 0 {
			return nil, errShortFloatCoded
		}
		v.SetInt(x)
		return b[n:], nil
	case reflect.Float64:
		if len(b) < 8 {
			return nil, errShortFloatCoded
		}
		v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		return b[8:], nil
	case reflect.String:
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errShortFloatCoded
		}
		v.SetString(string(b[k : k+int(n)]))
		return b[k+int(n):], nil
	case reflect.Slice:
		n, k := binary.Uvarint(b)
		if v.Type().Elem().Kind() == reflect.Struct {
			if k <= 0 || uint64(len(b)-k) < n { // every element takes a byte at least
				return nil, errShortFloatCoded
			}
			b = b[k:]
			if n == 0 {
				return b, nil
			}
			xs := reflect.MakeSlice(v.Type(), int(n), int(n))
			var err error
			for i := range int(n) {
				if b, err = readFloatCoded(b, xs.Index(i)); err != nil {
					return nil, err
				}
			}
			v.Set(xs)
			return b, nil
		}
		if k <= 0 || uint64(len(b)-k)/8 < n {
			return nil, errShortFloatCoded
		}
		b = b[k:]
		if n == 0 {
			return b, nil
		}
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		v.Set(reflect.ValueOf(xs))
		return b[8*n:], nil
	default: // reflect.Struct
		var err error
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if b, err = readFloatCoded(b, v.Field(i)); err != nil {
					return nil, err
				}
			}
		}
		return b, nil
	}
}

var errShortFloatCoded = fmt.Errorf("truncated element")

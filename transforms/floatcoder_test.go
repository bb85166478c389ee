package transforms

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/linalg"
)

// fillDistinct sets every exported leaf of v to a distinct non-zero value
// (slices get two elements), so that a field the coder skipped or swapped
// shows in a round trip.
func fillDistinct(v reflect.Value, next *int) {
	*next++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*next) * -3)
	case reflect.Float64:
		v.SetFloat(float64(*next) + 0.25)
	case reflect.String:
		v.SetString(strings.Repeat("é", *next))
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			fillDistinct(v.Index(0), next)
			fillDistinct(v.Index(1), next)
			return
		}
		v.Set(reflect.ValueOf([]float64{float64(*next), math.Inf(-1)}))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillDistinct(v.Field(i), next)
			}
		}
	}
}

// TestFloatCoderRoundTrips: every exported field of the pass elements
// survives encode and decode, NaN bits included; a truncated element is an
// error; a type with a field the coder cannot carry is refused.
func TestFloatCoderRoundTrips(t *testing.T) {
	var n int
	var task PassTask
	fillDistinct(reflect.ValueOf(&task).Elem(), &n)
	var out PassOutput
	fillDistinct(reflect.ValueOf(&out).Elem(), &n)
	out.Partial.P = []float64{math.NaN(), -0.0, math.MaxFloat64}
	roundTrip := func(v any, data []byte, back any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(floatBits(v), floatBits(back)) {
			t.Errorf("%T: round trip\n got %+v\nwant %+v", v, back, v)
		}
	}
	data := encodePassTask(task)
	back, err := decodePassTask(data)
	roundTrip(task, data, back, err)
	if _, err := decodePassTask(data[:len(data)-3]); err == nil {
		t.Error("a truncated PassTask decoded")
	}
	data = encodePassOutput(out)
	backOut, err := decodePassOutput(data)
	roundTrip(out, data, backOut, err)
	if _, err := decodePassOutput(append(data, 0)); err == nil {
		t.Error("a PassOutput with a trailing byte decoded")
	}
	data = encodePassBasis(task.Basis)
	backBasis, err := decodePassBasis(data)
	roundTrip(task.Basis, data, backBasis, err)
	if len(task.Ranges) != 2 || task.Ranges[1] == (blocks.Range{}) || out.Partial.Projected.R == nil {
		t.Fatal("fillDistinct left nested fields empty")
	}
	type withMap struct {
		Basis linalg.PassBasis
		M     map[string]int
	}
	if err := checkFloatCodable(reflect.TypeFor[withMap]()); err == nil || !strings.Contains(err.Error(), "field M") {
		t.Errorf("a map field: %v", err)
	}
}

// floatBits replaces every float64 by its bits (NaN ≠ NaN under DeepEqual).
func floatBits(v any) any {
	var walk func(reflect.Value) any
	walk = func(v reflect.Value) any {
		switch v.Kind() {
		case reflect.Float64:
			return math.Float64bits(v.Float())
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.Struct {
				var elems []any
				for i := range v.Len() {
					elems = append(elems, walk(v.Index(i)))
				}
				return elems
			}
			bits := make([]uint64, v.Len())
			for i := range bits {
				bits[i] = math.Float64bits(v.Index(i).Float())
			}
			return bits
		case reflect.Struct:
			var fields []any
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					fields = append(fields, walk(v.Field(i)))
				}
			}
			return fields
		default:
			return v.Interface()
		}
	}
	return walk(reflect.ValueOf(v))
}

//go:build !amd64 || purego

package linalg

// haveAVX2FMA is false where products_amd64.s is not built.
const haveAVX2FMA = false

func kernAVX2(kc int, a []float64, ars, ast int, b []float64, bst int, c []float64, ldc int, load bool, w, valid int) {
	panic("linalg: no assembly kernel on this platform")
}

func kernAVX2F32(kc int, a []float32, ars, ast int, b []float32, bst int, c []float32, ldc int, load bool, w, valid int) {
	panic("linalg: no assembly kernel on this platform")
}

func kernAVX2B(kc int, a []float64, ars, ast int, b []float32, bst int, c []float64, ldc int, load bool, w, valid int) {
	panic("linalg: no assembly kernel on this platform")
}

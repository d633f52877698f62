package blas_test

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/blas"
)

// A 2x3 by 3x2 product, and the same product with B stored transposed.
func ExampleSgemm() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		7, 8,
		9, 10,
		11, 12,
	}
	c := make([]float32, 4)
	blas.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)

	bt := []float32{ // b transposed: 2x3
		7, 9, 11,
		8, 10, 12,
	}
	blas.SgemmGo(false, true, 2, 2, 3, 1, a, 3, bt, 3, 0, c, 2)
	fmt.Println(c)
	// Output:
	// [58 64 139 154]
	// [58 64 139 154]
}

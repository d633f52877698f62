package backend_test

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	_ "github.com/workbench-cv/workbench/engine/backend/cpu" // registers "cpu"
)

// A backend is opened by name; a blank import registers it. Buffers live
// on the device and are reached only through the backend's kernels.
func Example() {
	b, err := backend.Open("cpu")
	if err != nil {
		fmt.Println(err)
		return
	}
	x := b.Alloc(4)
	b.Write(x, 0, []float32{-2, -1, 1, 2})
	y := b.Alloc(4)
	b.Unary(backend.ReLU, y, x, 0, 0)
	out := make([]float32, 4)
	b.Read(y, 0, out)
	fmt.Println(b.Name(), out)
	// Output: cpu [0 0 1 2]
}

// Gemm multiplies row-major matrices: here C = A·B for a 2×3 A and a 3×2 B.
func ExampleBackend_gemm() {
	b, _ := backend.Open("cpu")
	a, m := b.Alloc(6), b.Alloc(6)
	b.Write(a, 0, []float32{1, 2, 3, 4, 5, 6})
	b.Write(m, 0, []float32{1, 0, 0, 1, 1, 1})
	c := b.Alloc(4)
	b.Gemm(false, false, 2, 2, 3, 1, a, 0, 3, m, 0, 2, 0, c, 0, 2)
	out := make([]float32, 4)
	b.Read(c, 0, out)
	fmt.Println(out)
	// Output: [4 5 10 11]
}

// Choose resolves a --device value; asking for the CPU needs no notice.
func ExampleChoose() {
	b, notice, err := backend.Choose("cpu")
	fmt.Printf("%s %q %v\n", b.Name(), notice, err)
	// Output: cpu "" <nil>
}

//go:build amd64 && !purego

package microkernel

import "golang.org/x/sys/cpu"

//go:generate go run gen_amd64.go

// AVX512 adds A*B to the 12 x 32 block of C at c, whose rows are ldc
// floats apart. A is packed as kc groups of 12 floats (one per row of C),
// B as kc rows of 32 floats. The caller must make sure a, b and c point
// to that much memory and that HasAVX512 is true.
//
//go:noescape
func AVX512(kc int, a, b, c *float32, ldc int)

// AVX2 is AVX512's 6 x 16 counterpart for AVX2 with FMA; the caller must
// make sure HasAVX2 is true.
//
//go:noescape
func AVX2(kc int, a, b, c *float32, ldc int)

// HasAVX512 and HasAVX2 say whether this CPU (and OS) can run the kernels.
var (
	HasAVX512 = cpu.X86.HasAVX512F
	HasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

//go:build amd64 && !purego

package microkernel

import "golang.org/x/sys/cpu"

//go:generate go run gen_amd64.go

// AVX512 adds A*B to the top-left rows x cols corner of the 12 x 32 block
// of C at c, whose rows are ldc floats apart. A is packed as kc groups of
// 12 floats (one per row of the block), B as kc rows of 32 floats. mask0
// and mask1 select the columns 0-15 and 16-31 to write (cols = 32:
// 0xffff, 0xffff; see Masks). rows must be 1 to 12. The caller must make
// sure a, b and c point to that much memory and that HasAVX512 is true.
//
//go:noescape
func AVX512(kc int, a, b, c *float32, ldc, rows int, mask0, mask1 uint64)

// Masks returns AVX512's column masks for the first cols (0 to 32) columns.
func Masks(cols int) (mask0, mask1 uint64) {
	mask0 = 1<<min(cols, 16) - 1
	mask1 = 1<<max(0, min(cols, 32)-16) - 1
	return
}

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

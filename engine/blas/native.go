//go:build (linux || darwin) && cgo && !noblas

package blas

import (
	"fmt"
	"math"
)

// checkInt32 panics when a dimension or leading stride of an sgemm call
// does not fit the 32-bit ints of lib's C interface.
func checkInt32(lib string, m, n, k, lda, ldb, ldc int) {
	for _, v := range [...]int{m, n, k, lda, ldb, ldc} {
		if v > math.MaxInt32 {
			panic(fmt.Sprintf("blas: dimension %d exceeds the 32-bit range of the %s interface", v, lib))
		}
	}
}

// boolInt is b as the 0 or 1 the C interfaces take for a transpose flag.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

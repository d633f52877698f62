package blas

// Micro is the register-blocked micro-kernel that SgemmGo runs on this
// machine, for callers that lay out their operands in its panel format
// themselves instead of handing whole matrices to Sgemm: the Winograd
// convolutions of engine/backend/cpu write their transformed tiles
// straight into B panels, so no GEMM packs them again and no pass over C
// scales it by beta.
//
// A Micro computes every element the way SgemmGo does (products summed
// from zero over at most KC values of k with fused multiply-adds in order
// of k, that sum then added to C), so its results have the same bits on
// the AVX-512, AVX2 and portable kernels.
type Micro struct{ k *kernel }

// MicroKernel returns this machine's micro-kernel.
func MicroKernel() Micro { return Micro{bestKernel} }

// MicroKernels lists every micro-kernel this machine can run, the
// portable one first (tests compare them).
func MicroKernels() []Micro {
	var ms []Micro
	for _, k := range kernels() {
		ms = append(ms, Micro{k})
	}
	return ms
}

// Name is "avx512", "avx2" or "generic".
func (m Micro) Name() string { return m.k.name }

// Vector reports whether the kernel is one of the assembly kernels (the
// portable one is too slow to beat a tuned BLAS with).
func (m Micro) Vector() bool { return m.k != genericKernel }

// MR and NR are the rows and columns of the block of C one call updates.
func (m Micro) MR() int { return m.k.mr }

// NR: see MR.
func (m Micro) NR() int { return m.k.nr }

// KC is the most values of k one call may sum (longer products are cut
// into calls of KC, in order).
func (m Micro) KC() int { return kcAll }

// Tile adds A·B to the whole MR x NR block of C starting at c[0], whose
// rows are ldc values apart. a holds kc groups of MR values (one per row
// of the block), b holds kc rows of NR values; kc is 1 to KC.
func (m Micro) Tile(kc int, a, b, c []float32, ldc int) {
	if kc < 1 || kc > kcAll {
		panic("blas: micro-kernel depth out of range")
	}
	m.k.fn(kc, a, b, c, ldc, m.k.mr, m.k.nr)
}

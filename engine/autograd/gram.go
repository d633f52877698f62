package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// BatchGram is the Gram matrix of each image's features f [N, C, H, W] (or
// [N, C, H·W]): G_n = F_n·F_nᵀ / (C·H·W) with F_n the C×(H·W) matrix of
// image n, shape [N, C, C]. It is style.Gram for a batch in one GEMM per
// image, with the gradient dF_n = (dG_n + dG_nᵀ)·F_n / (C·H·W).
func BatchGram(f *Var) *Var {
	s := f.Shape()
	if len(s) < 3 {
		panic(fmt.Sprintf("autograd: BatchGram of %v (want [N, C, H, W])", s))
	}
	n, c, hw := s[0], s[1], tensor.Numel(s[2:])
	alpha := 1 / float32(c*hw)
	b := f.B()
	out := empty(b, n, c, c)
	for i := range n {
		b.Gemm(false, true, c, c, hw, alpha, f.Value.Buf, i*c*hw, hw, f.Value.Buf, i*c*hw, hw, 0, out.Buf, i*c*c, c)
	}
	return newOp(out, func(g *tensor.Tensor) {
		// dG + dGᵀ first (C×C per image), then one GEMM instead of two.
		sym := empty(b, n, c, c)
		b.Binary(backend.Add, sym.Buf, g.Buf, g.Buf, backend.Strided{Shape: []int{n, c, c}, StrideA: []int{c * c, c, 1}, StrideB: []int{c * c, 1, c}})
		df := empty(b, s...)
		for i := range n {
			b.Gemm(false, false, c, hw, c, alpha, sym.Buf, i*c*c, c, f.Value.Buf, i*c*hw, hw, 0, df.Buf, i*c*hw, hw)
		}
		b.Free(sym.Buf)
		accumulate(f, df, true)
	}, f)
}

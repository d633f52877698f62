package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// UpsampleNearest2d enlarges x [N, C, H, W] by the integer factor s along
// both spatial axes, each value repeated in an s×s block (PyTorch's
// F.interpolate(x, scale_factor=s, mode="nearest")). The gradient of an
// input value is the sum of the upstream gradient over its block.
//
// Fast style transfer's decoder upsamples this way before a convolution
// instead of using a strided transposed convolution: the same capacity
// without the checkerboard artefacts of uneven kernel overlap (Odena et
// al., 2016). It runs as the backend's kernels where it has them
// (backend.NearestUpsampler: the CPU, one pass each way), else on the
// host (the values read back and written again).
func UpsampleNearest2d(x *Var, s int) *Var {
	sh := x.Shape()
	if len(sh) != 4 || s < 1 {
		panic(fmt.Sprintf("autograd: UpsampleNearest2d of %v by %d (want [N, C, H, W] and a factor >= 1)", sh, s))
	}
	rows, h, w := sh[0]*sh[1], sh[2], sh[3]
	oh, ow := h*s, w*s
	b := x.B()
	if k, ok := b.(backend.NearestUpsampler); ok {
		out := empty(b, sh[0], sh[1], oh, ow)
		k.UpsampleNearest(out.Buf, x.Value.Buf, rows, h, w, s)
		return newOp(out, func(g *tensor.Tensor) {
			dx := empty(b, sh...)
			k.UpsampleNearestGrad(dx.Buf, g.Buf, rows, h, w, s)
			accumulate(x, dx, true)
		}, x)
	}
	src := x.Value.Data()
	dst := make([]float32, rows*oh*ow)
	for p := range rows * h {
		in := src[p*w : (p+1)*w]
		first := dst[p*s*ow : (p*s+1)*ow]
		for j, v := range in {
			for k := range s {
				first[j*s+k] = v
			}
		}
		for r := 1; r < s; r++ {
			copy(dst[(p*s+r)*ow:(p*s+r+1)*ow], first)
		}
	}
	out := tensor.FromData(b, dst, sh[0], sh[1], oh, ow)
	return newOp(out, func(g *tensor.Tensor) {
		gs := g.Data()
		dx := make([]float32, rows*h*w)
		for p := range rows * h {
			row := dx[p*w : (p+1)*w]
			for r := range s {
				gr := gs[(p*s+r)*ow : (p*s+r+1)*ow]
				for j := range row {
					var acc float32
					for k := range s {
						acc += gr[j*s+k]
					}
					row[j] += acc
				}
			}
		}
		accumulate(x, tensor.FromData(b, dx, sh...), true)
	}, x)
}

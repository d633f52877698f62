package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// ReflectPad2d pads x [N, C, H, W] by reflection: top rows above, bottom
// rows below, left and right columns beside, each the mirror image of the
// map about its edge row or column, which is not repeated (PyTorch's
// F.pad(x, (left, right, top, bottom), mode="reflect"), ONNX Pad
// mode="reflect"). Each side must be smaller than the map along its axis;
// otherwise it panics (the catalogue op checks sizes first). The gradient
// of an input value is the sum of the upstream gradient over the output
// values that copy it.
//
// Fast style transfer pads its convolutions this way (Johnson et al.
// 2016): zeros would make the borders of a stylised image darker. It runs
// as the backend's kernels where it has them (backend.ReflectPadder: the
// CPU), else on the host.
func ReflectPad2d(x *Var, top, bottom, left, right int) *Var {
	sh := x.Shape()
	if len(sh) != 4 {
		panic(fmt.Sprintf("autograd: ReflectPad2d of a %v tensor, want [N, C, H, W]", sh))
	}
	h, w := sh[2], sh[3]
	if top < 0 || bottom < 0 || left < 0 || right < 0 || top >= h || bottom >= h || left >= w || right >= w {
		panic(fmt.Sprintf("autograd: ReflectPad2d of a %dx%d map by %d %d %d %d (each side must be >= 0 and smaller than the map)", h, w, top, bottom, left, right))
	}
	if top == 0 && bottom == 0 && left == 0 && right == 0 {
		return x
	}
	planes, oh, ow := sh[0]*sh[1], h+top+bottom, w+left+right
	b := x.B()
	if k, ok := b.(backend.ReflectPadder); ok {
		// One pass on the backend's buffers, no copy through the host.
		out := empty(b, sh[0], sh[1], oh, ow)
		k.ReflectPad(out.Buf, x.Value.Buf, planes, h, w, top, bottom, left, right)
		return newOp(out, func(g *tensor.Tensor) {
			dx := empty(b, sh...)
			k.ReflectPadGrad(dx.Buf, g.Buf, planes, h, w, top, bottom, left, right)
			accumulate(x, dx, true)
		}, x)
	}
	rows, cols := backend.ReflectIndex(h, top, bottom), backend.ReflectIndex(w, left, right)
	src := x.Value.Data()
	dst := make([]float32, planes*oh*ow)
	for p := range planes {
		in, out := src[p*h*w:(p+1)*h*w], dst[p*oh*ow:(p+1)*oh*ow]
		for i, r := range rows {
			row, o := in[r*w:(r+1)*w], out[i*ow:(i+1)*ow]
			for j := range left {
				o[j] = row[cols[j]]
			}
			copy(o[left:left+w], row)
			for j := left + w; j < ow; j++ {
				o[j] = row[cols[j]]
			}
		}
	}
	out := tensor.FromData(b, dst, sh[0], sh[1], oh, ow)
	return newOp(out, func(g *tensor.Tensor) {
		gs := g.Data()
		dx := make([]float32, planes*h*w)
		for p := range planes {
			gp, dp := gs[p*oh*ow:(p+1)*oh*ow], dx[p*h*w:(p+1)*h*w]
			for i, r := range rows {
				gr, row := gp[i*ow:(i+1)*ow], dp[r*w:(r+1)*w]
				for j, c := range cols {
					row[c] += gr[j]
				}
			}
		}
		accumulate(x, tensor.FromData(b, dx, sh...), true)
	}, x)
}

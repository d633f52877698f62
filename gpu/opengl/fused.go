//go:build linux || windows

package opengl

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
)

// Fused kernels for autograd's BatchNormReLU and AddReLU: batch norm's
// backward pass in two kernels (per-channel sums, then dx) instead of
// autograd's eight passes and three temporaries, batch norm's affine map
// with the ReLU, and a residual addition with its ReLU.

// The optional interfaces autograd looks for.
var (
	_ backend.DirectConv      = (*GL)(nil)
	_ backend.ConvPather      = (*GL)(nil)
	_ backend.BatchNormGrader = (*GL)(nil)
	_ backend.AddReLUer       = (*GL)(nil)
	_ backend.MaxPoolReLUer   = (*GL)(nil)
)

var (
	kChannelAffReLU = kernelSpec{file: "channel_affine", defines: []string{"RELU 1"}}
	kBNGradSums     = kernelSpec{file: "bn_grad_sums"}
	kBNGradDx       = kernelSpec{file: "bn_grad_dx"}
	kAddReLU        = kernelSpec{file: "add_relu"}
	kMaxPoolReLU    = kernelSpec{file: "maxpool", defines: []string{"RELU 1"}}
	kMaxPoolReLUGr  = kernelSpec{file: "maxpool_grad", defines: []string{"RELU 1"}}
)

func fusedKernels() []kernelSpec {
	return []kernelSpec{kChannelAffReLU, kBNGradSums, kBNGradDx, kAddReLU, kMaxPoolReLU, kMaxPoolReLUGr}
}

// MaxPoolReLU implements backend.MaxPoolReLUer.
func (g *GL) MaxPoolReLU(dst, idx, x backend.Buffer, pg backend.PoolGeom) {
	g.maxPool(kMaxPoolReLU, "MaxPoolReLU", dst, idx, x, pg)
}

// MaxPoolReLUGrad implements backend.MaxPoolReLUer.
func (g *GL) MaxPoolReLUGrad(dx, dy, y, idx backend.Buffer, pg backend.PoolGeom) {
	checkPool(pg)
	hy := g.check(y, pg.N*pg.C*pg.OH*pg.OW, "MaxPoolReLUGrad's y")
	g.maxPoolGrad(kMaxPoolReLUGr, "MaxPoolReLUGrad", dx, dy, idx, hy, pg)
}

// ChannelAffineReLU implements backend.BatchNormGrader.
func (g *GL) ChannelAffineReLU(dst, x, scale, shift backend.Buffer, outer, c, inner int) {
	g.channelAffine(kChannelAffReLU, "ChannelAffineReLU", dst, x, scale, shift, outer, c, inner)
}

// BatchNormGrad implements backend.BatchNormGrader.
func (g *GL) BatchNormGrad(dx, dgamma, dbeta, gr, y, x, mean, invstd, k backend.Buffer, outer, c, inner int, training bool) {
	if outer < 0 || c < 0 || inner < 0 {
		panic(fmt.Sprintf("opengl: BatchNormGrad over [%d, %d, %d]", outer, c, inner))
	}
	n := outer * c * inner
	hg := g.check(gr, n, "BatchNormGrad's g")
	hy := g.optional(y, n, "BatchNormGrad's y")
	hx := g.check(x, n, "BatchNormGrad's x")
	hm := g.check(mean, c, "BatchNormGrad's mean")
	hi := g.check(invstd, c, "BatchNormGrad's invstd")
	hk := g.check(k, c, "BatchNormGrad's k")
	hdx := g.optional(dx, n, "BatchNormGrad's dx")
	hdg := g.optional(dgamma, c, "BatchNormGrad's dgamma")
	hdb := g.optional(dbeta, c, "BatchNormGrad's dbeta")
	if c == 0 {
		return
	}
	sums := hdg != nil || hdb != nil || (hdx != nil && training)
	g.w.post(func() {
		bytes := sizeClass(2 * c)
		scratch := g.dummy
		if sums {
			scratch = g.acquire(bytes)
			p := g.prog(kBNGradSums)
			p.setInt("outer", outer)
			p.setInt("C", c)
			p.setInt("inner", inner)
			p.setBool("hasY", hy != nil)
			p.setBool("wantGamma", hdg != nil)
			p.setBool("wantBeta", hdb != nil)
			g.dispatch(p, min(c, g.info.MaxWorkGroupCount[0]), 1, 1,
				hg.id, g.id(hy), hx.id, hm.id, hi.id, g.id(hdg), g.id(hdb), scratch)
		}
		if hdx != nil && n > 0 {
			p := g.prog(kBNGradDx)
			p.setInt("n", n)
			p.setInt("C", c)
			p.setInt("inner", inner)
			p.setFloat("count", float32(outer*inner))
			p.setBool("hasY", hy != nil)
			p.setBool("training", training)
			g.dispatch(p, g.groups(n, wg), 1, 1, hg.id, g.id(hy), hx.id, hm.id, hi.id, hk.id, scratch, hdx.id)
		}
		if sums {
			g.put(scratch, bytes)
		}
	})
}

// AddReLU implements backend.AddReLUer.
func (g *GL) AddReLU(dst, a, b backend.Buffer) {
	n := dst.Len()
	hd := g.check(dst, n, "AddReLU's output")
	ha := g.check(a, n, "AddReLU's a")
	hb := g.check(b, n, "AddReLU's b")
	if n == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kAddReLU)
		p.setInt("n", n)
		g.dispatch(p, g.groups(n, wg), 1, 1, ha.id, hb.id, hd.id)
	})
}

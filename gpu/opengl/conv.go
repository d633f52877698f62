//go:build linux || windows

package opengl

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
)

// The implicit-GEMM convolution (shaders/conv.comp): the forward pass, the
// input gradient and the weight gradient are each one tiled product whose
// tile loads gather the image (or the output gradient) through the
// convolution's index arithmetic, so no column matrix is written. The bias
// gradient is SumTo's gather. Each product has a split-K plan like Gemm's;
// the splits are folded in a fixed order, so results are the same on every
// run.

// convMode names the three products of conv.comp.
type convMode int

const (
	convForward convMode = iota // y = w * im2col(x) + bias
	convInput                   // dx = col2im(wᵀ * dy), as a gather
	convWeight                  // dw = dy * im2col(x)ᵀ
)

var convModeNames = [...]string{"forward", "input gradient", "weight gradient"}

func (m convMode) spec(t gemmTile) kernelSpec {
	s := t.spec()
	s.file = "conv"
	s.defines = append([]string{fmt.Sprintf("MODE %d", m)}, s.defines...)
	return s
}

func (m convMode) reduceSpec() kernelSpec {
	return kernelSpec{file: "conv", defines: []string{fmt.Sprintf("MODE %d", m), "REDUCE 1"}}
}

// convKernels lists every conv.comp variant, compiled when the backend opens.
func convKernels() []kernelSpec {
	var ks []kernelSpec
	for m := convForward; m <= convWeight; m++ {
		for _, t := range gemmTiles {
			ks = append(ks, m.spec(t))
		}
		ks = append(ks, m.reduceSpec())
	}
	return ks
}

// convPlan picks a tiling and a split of k for a product of groups × (m×n,
// depth k): Gemm's rule, counting the groups' tiles together.
func convPlan(m, n, k, groups int) plan {
	t := pickTile(m, n)
	if k == 0 {
		return plan{t: t, splits: 1, kChunk: t.BK}
	}
	tiles := ceilDiv(m, t.BM) * ceilDiv(n, t.BN) * groups
	splits := 1
	if tiles < busyGroups && k >= 1024 {
		splits = min(ceilDiv(busyGroups, tiles), k/512, 32)
	}
	return splitK(t, k, splits)
}

// convProduct is one conv.comp product: its mode, sizes and buffers.
type convProduct struct {
	mode       convMode
	m, n, k    int
	a, b, c    *handle // srcA, srcB, the output
	bias       *handle // forward only; nil for none
	geo        []int32
	oc, groups int
}

// shapes returns the product's M, N and K for the geometry.
func (m convMode) shapes(c backend.ConvGeom, o backend.ConvGroups) (int, int, int) {
	cg, ocg := c.C/o.Groups, o.OC/o.Groups
	switch m {
	case convForward:
		return ocg, c.N * c.OH * c.OW, cg * c.KH * c.KW
	case convInput:
		return cg, c.N * c.H * c.W, ocg * c.KH * c.KW
	}
	return ocg, cg * c.KH * c.KW, c.N * c.OH * c.OW
}

func (g *GL) checkConvGroups(c backend.ConvGeom, o backend.ConvGroups, what string) {
	checkConv(c)
	if o.Groups < 1 || o.OC < 1 || c.C%o.Groups != 0 || o.OC%o.Groups != 0 {
		panic(fmt.Sprintf("opengl: %s with %d input channels, %d output channels and %d groups: both must be multiples of the groups",
			what, c.C, o.OC, o.Groups))
	}
	if lim := min(g.info.MaxWorkGroupCount[1], g.info.MaxWorkGroupCount[2]); o.Groups > lim {
		panic(fmt.Sprintf("opengl: %s with %d groups; the driver dispatches at most %d", what, o.Groups, lim))
	}
}

// ConvForward implements backend.DirectConv.
func (g *GL) ConvForward(y, x, w, bias backend.Buffer, c backend.ConvGeom, o backend.ConvGroups) {
	g.checkConvGroups(c, o, "ConvForward")
	m, n, k := convForward.shapes(c, o)
	p := convProduct{mode: convForward, m: m, n: n, k: k, geo: convGeo(c), oc: o.OC, groups: o.Groups,
		c: g.check(y, c.N*o.OC*c.OH*c.OW, "ConvForward's output"),
		b: g.check(x, c.N*c.C*c.H*c.W, "ConvForward's input"),
		a: g.check(w, o.OC*k, "ConvForward's weights")}
	p.bias = g.optional(bias, o.OC, "ConvForward's bias")
	g.convRun(p, convPlan(m, n, k, o.Groups))
}

// ConvBackward implements backend.DirectConv.
func (g *GL) ConvBackward(dx, dw, db, dy, x, w backend.Buffer, c backend.ConvGeom, o backend.ConvGroups) {
	g.checkConvGroups(c, o, "ConvBackward")
	kk := c.C / o.Groups * c.KH * c.KW
	hdy := g.check(dy, c.N*o.OC*c.OH*c.OW, "ConvBackward's dy")
	if dx != nil {
		m, n, k := convInput.shapes(c, o)
		p := convProduct{mode: convInput, m: m, n: n, k: k, geo: convGeo(c), oc: o.OC, groups: o.Groups,
			c: g.check(dx, c.N*c.C*c.H*c.W, "ConvBackward's dx"),
			a: g.check(w, o.OC*kk, "ConvBackward's weights"), b: hdy}
		g.convRun(p, convPlan(m, n, k, o.Groups))
	}
	if dw != nil {
		m, n, k := convWeight.shapes(c, o)
		p := convProduct{mode: convWeight, m: m, n: n, k: k, geo: convGeo(c), oc: o.OC, groups: o.Groups,
			c: g.check(dw, o.OC*kk, "ConvBackward's dw"),
			a: hdy, b: g.check(x, c.N*c.C*c.H*c.W, "ConvBackward's input")}
		g.convRun(p, convPlan(m, n, k, o.Groups))
	}
	if db != nil {
		g.check(db, o.OC, "ConvBackward's db")
		pix := c.OH * c.OW
		g.SumTo(db, dy, backend.Strided{Shape: []int{c.N, o.OC, pix}, StrideA: []int{0, 1, 0}})
	}
}

// ConvPath implements backend.ConvPather: profiles name the kernel.
func (g *GL) ConvPath(c backend.ConvGeom, o backend.ConvGroups) string {
	m, n, k := convForward.shapes(c, o)
	pl := convPlan(m, n, k, o.Groups)
	return fmt.Sprintf("implicit gemm %dx%d", pl.t.BM, pl.t.BN)
}

// convRun dispatches one product with the given plan (tests force each).
func (g *GL) convRun(p convProduct, pl plan) {
	if p.m == 0 || p.n == 0 {
		return
	}
	t := pl.t
	gy, gz := ceilDiv(p.m, t.BM), p.groups*pl.splits
	if gy > g.info.MaxWorkGroupCount[1] || gz > g.info.MaxWorkGroupCount[2] {
		panic(fmt.Sprintf("opengl: convolution %s of %d×%d in %d groups × %d splits exceeds the driver's workgroup counts %v",
			convModeNames[p.mode], p.m, p.n, p.groups, pl.splits, g.info.MaxWorkGroupCount))
	}
	gx := min(ceilDiv(p.n, t.BN), g.info.MaxWorkGroupCount[0])
	g.w.post(func() {
		pr := g.prog(p.mode.spec(t))
		g.convUniforms(pr, p, pl.splits)
		pr.setInt("kChunk", pl.kChunk)
		pr.setBool("partial", pl.splits > 1)
		if pl.splits == 1 {
			g.dispatch(pr, gx, gy, gz, p.a.id, p.b.id, p.c.id, g.id(p.bias))
			return
		}
		bytes := sizeClass(p.groups * pl.splits * p.m * p.n)
		scratch := g.acquire(bytes)
		g.dispatch(pr, gx, gy, gz, p.a.id, p.b.id, scratch, g.dummy)
		red := g.prog(p.mode.reduceSpec())
		g.convUniforms(red, p, pl.splits)
		g.dispatch(red, g.groups(p.m*p.n, wg), p.groups, 1, scratch, g.dummy, p.c.id, g.id(p.bias))
		g.put(scratch, bytes)
	})
}

// convUniforms sets what both conv.comp variants read (GL thread).
func (g *GL) convUniforms(pr *program, p convProduct, splits int) {
	pr.setInts("geo", p.geo)
	pr.setInt("M", p.m)
	pr.setInt("N", p.n)
	pr.setInt("K", p.k)
	pr.setInt("OC", p.oc)
	pr.setInt("G", p.groups)
	pr.setInt("splits", splits)
	pr.setBool("hasBias", p.bias != nil)
}

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
// run. The input gradient runs one product per stride phase (the input
// pixels with the same (ih+PH) mod SH and (iw+PW) mod SW), each over only
// the taps that reach those pixels: a stride-2 layer's gather then does the
// im2col path's multiply-adds instead of four times as many.

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

// Two tilings beside Gemm's: tileThin for products with at most 8 rows
// (the input gradient of a layer with few input channels, such as an RGB
// stem), 8×512; tileSmall for products of at most 16 columns (the weight
// gradient of a 3x3 convolution of one channel: 9 columns over a long k),
// 32×16 by a workgroup of 32.
var (
	tileThin  = gemmTile{BM: 8, BN: 512, BK: 8, TM: 4, TN: 4}
	tileSmall = gemmTile{BM: 32, BN: 16, BK: 32, TM: 4, TN: 4}
	convTiles = append(append([]gemmTile(nil), gemmTiles...), tileThin, tileSmall)
)

// convKernels lists every conv.comp variant, compiled when the backend opens.
func convKernels() []kernelSpec {
	var ks []kernelSpec
	for m := convForward; m <= convWeight; m++ {
		for _, t := range convTiles {
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
	switch {
	case n <= 16:
		t = tileSmall
	case m <= 8 && n >= 512:
		t = tileThin
	}
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
	ph         []int32 // the input gradient's stride phase
	oc, groups int
}

// planner plans an m×n product of depth k.
type planner func(m, n, k int) plan

func autoPlan(groups int) planner {
	return func(m, n, k int) plan { return convPlan(m, n, k, groups) }
}

// taps returns the kernel taps kh (of k, dilation d, stride s) for which
// kh*d ≡ r (mod s): the first, the step between them and their count.
func taps(r, k, d, s int) (first, step, count int) {
	a, b := d, s
	for b != 0 {
		a, b = b, a%b
	}
	step = s / a
	for kh := 0; kh < min(k, step); kh++ {
		if kh*d%s == r {
			return kh, step, (k-1-kh)/step + 1
		}
	}
	return 0, step, 0
}

// inputPhases returns conv.comp's ph for each stride phase of the input
// gradient that holds pixels (SH·SW of them at most).
func inputPhases(c backend.ConvGeom) [][]int32 {
	var out [][]int32
	for rh := range c.SH {
		ih0 := ((rh-c.PH)%c.SH + c.SH) % c.SH
		nh := max(0, ceilDiv(c.H-ih0, c.SH))
		kh0, khs, nkh := taps(rh, c.KH, c.DH, c.SH)
		for rw := range c.SW {
			iw0 := ((rw-c.PW)%c.SW + c.SW) % c.SW
			nw := max(0, ceilDiv(c.W-iw0, c.SW))
			kw0, kws, nkw := taps(rw, c.KW, c.DW, c.SW)
			if nh > 0 && nw > 0 {
				out = append(out, []int32{int32(ih0), int32(iw0), int32(nh), int32(nw),
					int32(kh0), int32(khs), int32(nkh), int32(kw0), int32(kws), int32(nkw)})
			}
		}
	}
	return out
}

// convForward, convInput and convWeight run the three products on checked
// handles with the planner's plans (tests force each one).
func (g *GL) convForward(y, x, w, bias *handle, c backend.ConvGeom, o backend.ConvGroups, pl planner) {
	p := convProduct{mode: convForward, m: o.OC / o.Groups, n: c.N * c.OH * c.OW, k: c.C / o.Groups * c.KH * c.KW,
		a: w, b: x, c: y, bias: bias, geo: convGeo(c), oc: o.OC, groups: o.Groups}
	g.convRun(p, pl(p.m, p.n, p.k))
}

func (g *GL) convInput(dx, w, dy *handle, c backend.ConvGeom, o backend.ConvGroups, pl planner) {
	for _, ph := range inputPhases(c) {
		p := convProduct{mode: convInput, m: c.C / o.Groups, n: c.N * int(ph[2]*ph[3]), k: o.OC / o.Groups * int(ph[6]*ph[9]),
			a: w, b: dy, c: dx, geo: convGeo(c), ph: ph, oc: o.OC, groups: o.Groups}
		g.convRun(p, pl(p.m, p.n, p.k))
	}
}

func (g *GL) convWeight(dw, dy, x *handle, c backend.ConvGeom, o backend.ConvGroups, pl planner) {
	p := convProduct{mode: convWeight, m: o.OC / o.Groups, n: c.C / o.Groups * c.KH * c.KW, k: c.N * c.OH * c.OW,
		a: dy, b: x, c: dw, geo: convGeo(c), oc: o.OC, groups: o.Groups}
	g.convRun(p, pl(p.m, p.n, p.k))
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
	hy := g.check(y, c.N*o.OC*c.OH*c.OW, "ConvForward's output")
	hx := g.check(x, c.N*c.C*c.H*c.W, "ConvForward's input")
	hw := g.check(w, o.OC*c.C/o.Groups*c.KH*c.KW, "ConvForward's weights")
	hb := g.optional(bias, o.OC, "ConvForward's bias")
	g.convForward(hy, hx, hw, hb, c, o, autoPlan(o.Groups))
}

// ConvBackward implements backend.DirectConv.
func (g *GL) ConvBackward(dx, dw, db, dy, x, w backend.Buffer, c backend.ConvGeom, o backend.ConvGroups) {
	g.checkConvGroups(c, o, "ConvBackward")
	kk := c.C / o.Groups * c.KH * c.KW
	hdy := g.check(dy, c.N*o.OC*c.OH*c.OW, "ConvBackward's dy")
	if dx != nil {
		hdx := g.check(dx, c.N*c.C*c.H*c.W, "ConvBackward's dx")
		g.convInput(hdx, g.check(w, o.OC*kk, "ConvBackward's weights"), hdy, c, o, autoPlan(o.Groups))
	}
	if dw != nil {
		hdw := g.check(dw, o.OC*kk, "ConvBackward's dw")
		g.convWeight(hdw, hdy, g.check(x, c.N*c.C*c.H*c.W, "ConvBackward's input"), c, o, autoPlan(o.Groups))
	}
	if db != nil {
		g.check(db, o.OC, "ConvBackward's db")
		pix := c.OH * c.OW
		g.SumTo(db, dy, backend.Strided{Shape: []int{c.N, o.OC, pix}, StrideA: []int{0, 1, 0}})
	}
}

// ConvPath implements backend.ConvPather: profiles name the kernel.
func (g *GL) ConvPath(c backend.ConvGeom, o backend.ConvGroups) string {
	pl := convPlan(o.OC/o.Groups, c.N*c.OH*c.OW, c.C/o.Groups*c.KH*c.KW, o.Groups)
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
	if p.ph != nil {
		pr.setInts("ph", p.ph)
	}
}

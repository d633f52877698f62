package autograd

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// InstanceNormAffine normalises each channel of each image of x [N, C, ...]
// over its positions (biased variance, as PyTorch's instance_norm), then
// scales and shifts it: y = gamma·x̂ + beta. gamma and beta hold C values
// (one affine for every image, PyTorch's affine InstanceNorm2d) or N·C
// values (an affine per image and channel: conditional instance
// normalisation, Dumoulin et al. 2017, where each image's gamma and beta
// are its style's, or a blend of several); either may be nil (1 and 0).
//
// It is one fused operation on backend kernels instead of the ten
// elementwise passes of InstanceNorm's composition: where the backend has
// backend.InstanceNormGrader (the CPU), one kernel forward (each plane's
// statistics and output while it is in cache) and two passes backward;
// elsewhere ChannelStats and ChannelAffine forward, two reductions,
// ChannelAffine and Axpy backward.
func InstanceNormAffine(x, gamma, beta *Var, eps float32) *Var {
	return instanceNorm(x, gamma, beta, eps, false)
}

// instanceNorm is InstanceNormAffine, followed by max(·, 0) when relu is
// set (only on backends with InstanceNormGrader).
func instanceNorm(x, gamma, beta *Var, eps float32, relu bool) *Var {
	s := x.Shape()
	if len(s) < 3 {
		panic(fmt.Sprintf("autograd: InstanceNormAffine of %v (want [N, C, H, W])", s))
	}
	n, c, hw := s[0], s[1], tensor.Numel(s[2:])
	nc := n * c
	for _, p := range []*Var{gamma, beta} {
		if p != nil && p.Value.Len() != c && p.Value.Len() != nc {
			panic(fmt.Sprintf("autograd: InstanceNormAffine of %v with an affine of %d values (want %d or %d)", s, p.Value.Len(), c, nc))
		}
	}
	// perNC reads an affine parameter as N·C values.
	perNC := func(p *Var, def float32) []float32 {
		out := make([]float32, nc)
		if p == nil {
			for i := range out {
				out[i] = def
			}
			return out
		}
		v := p.Value.Data()
		for i := range out {
			out[i] = v[i%len(v)]
		}
		return out
	}
	b := x.B()
	g, be := perNC(gamma, 1), perNC(beta, 0)
	out := empty(b, s...)
	var y backend.Buffer // the output, read by the fused ReLU's gradient
	if relu {
		y = out.Buf
	}
	var mu, rstd []float32
	if k, ok := b.(backend.InstanceNormGrader); ok {
		gt, bt, mt, rt := tensor.FromData(b, g, nc), tensor.FromData(b, be, nc), empty(b, nc), empty(b, nc)
		k.InstanceNorm(out.Buf, mt.Buf, rt.Buf, x.Value.Buf, gt.Buf, bt.Buf, nc, hw, eps, relu)
		mu, rstd = mt.Data(), rt.Data()
		for _, t := range []*tensor.Tensor{gt, bt, mt, rt} {
			b.Free(t.Buf)
		}
	} else {
		mean, variance := empty(b, nc), empty(b, nc)
		b.ChannelStats(mean.Buf, variance.Buf, x.Value.Buf, 1, nc, hw)
		var va []float32
		mu, va = mean.Data(), variance.Data()
		b.Free(mean.Buf)
		b.Free(variance.Buf)
		rstd = make([]float32, nc)
		scale, shift := make([]float32, nc), make([]float32, nc)
		for i := range nc {
			rstd[i] = float32(1 / math.Sqrt(float64(va[i])+float64(eps)))
			scale[i] = g[i] * rstd[i]
			shift[i] = be[i] - mu[i]*scale[i]
		}
		sc, sh := tensor.FromData(b, scale, nc), tensor.FromData(b, shift, nc)
		b.ChannelAffine(out.Buf, x.Value.Buf, sc.Buf, sh.Buf, 1, nc, hw)
		b.Free(sc.Buf)
		b.Free(sh.Buf)
	}
	// fold sums N·C values into p's shape (C values: over the images).
	fold := func(p *Var, v []float32) {
		if p == nil || !p.requiresGrad {
			return
		}
		d := make([]float32, p.Value.Len())
		for i, e := range v {
			d[i%len(d)] += e
		}
		accumulate(p, tensor.FromData(b, d, p.Shape()...), true)
	}
	if k, ok := b.(backend.InstanceNormGrader); ok {
		return newOp(out, func(gy *tensor.Tensor) {
			// Two passes over the activations (sums, then dx) instead of
			// the seven of the composition below.
			a := make([]float32, nc)
			for i := range nc {
				a[i] = g[i] * rstd[i]
			}
			mt, rt, at := tensor.FromData(b, mu, nc), tensor.FromData(b, rstd, nc), tensor.FromData(b, a, nc)
			sumG, sumGX := empty(b, nc), empty(b, nc)
			var dx *tensor.Tensor
			var dxb backend.Buffer
			if x.requiresGrad {
				dx = empty(b, s...)
				dxb = dx.Buf
			}
			k.InstanceNormGrad(dxb, sumG.Buf, sumGX.Buf, gy.Buf, y, x.Value.Buf, mt.Buf, rt.Buf, at.Buf, nc, hw)
			sg, sgx := sumG.Data(), sumGX.Data()
			for _, t := range []*tensor.Tensor{mt, rt, at, sumG, sumGX} {
				b.Free(t.Buf)
			}
			if dx != nil {
				accumulate(x, dx, true)
			}
			fold(gamma, sgx)
			fold(beta, sg)
		}, x, gamma, beta)
	}
	return newOp(out, func(gy *tensor.Tensor) {
		// x̂ = (x − μ)·rstd; with Σg and Σg·x̂ per image and channel:
		// dβ = Σg, dγ = Σg·x̂, dx = γ·rstd·(g − Σg/HW − x̂·Σg·x̂/HW).
		negMu := make([]float32, nc)
		for i := range nc {
			negMu[i] = -mu[i] * rstd[i]
		}
		r, m := tensor.FromData(b, rstd, nc), tensor.FromData(b, negMu, nc)
		xhat := empty(b, s...)
		b.ChannelAffine(xhat.Buf, x.Value.Buf, r.Buf, m.Buf, 1, nc, hw)
		prod := empty(b, s...)
		b.Binary(backend.Mul, prod.Buf, gy.Buf, xhat.Buf, same(s))
		sumG, sumGX := empty(b, nc), empty(b, nc)
		b.Reduce(backend.Sum, sumG.Buf, gy.Buf, nc, hw, 1)
		b.Reduce(backend.Sum, sumGX.Buf, prod.Buf, nc, hw, 1)
		sg, sgx := sumG.Data(), sumGX.Data()
		if x.requiresGrad {
			a, k, cst := make([]float32, nc), make([]float32, nc), make([]float32, nc)
			for i := range nc {
				a[i] = g[i] * rstd[i]
				k[i] = -a[i] * sgx[i] / float32(hw)
				cst[i] = -a[i] * sg[i] / float32(hw)
			}
			kt, ct, at, zt := tensor.FromData(b, k, nc), tensor.FromData(b, cst, nc), tensor.FromData(b, a, nc), tensor.New(b, nc)
			dx := empty(b, s...)
			b.ChannelAffine(dx.Buf, xhat.Buf, kt.Buf, ct.Buf, 1, nc, hw)
			b.ChannelAffine(prod.Buf, gy.Buf, at.Buf, zt.Buf, 1, nc, hw)
			b.Axpy(dx.Buf, 1, prod.Buf)
			accumulate(x, dx, true)
			for _, t := range []*tensor.Tensor{kt, ct, at, zt} {
				b.Free(t.Buf)
			}
		}
		for _, t := range []*tensor.Tensor{r, m, xhat, prod, sumG, sumGX} {
			b.Free(t.Buf)
		}
		fold(gamma, sgx)
		fold(beta, sg)
	}, x, gamma, beta)
}

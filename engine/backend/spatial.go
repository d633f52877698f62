package backend

// Optional kernels of fast style transfer's layers (reflection padding,
// nearest upsampling, instance normalisation's backward pass). Autograd
// uses them when a backend has them and otherwise runs the same
// arithmetic on the host or through the core interface.

// ReflectPadder is implemented by backends with reflection padding of
// planes in one pass.
type ReflectPadder interface {
	// ReflectPad writes dst [planes, h+top+bottom, w+left+right], x
	// [planes, h, w] padded by reflection about its edges (the edge row
	// or column not repeated; each side smaller than the map).
	ReflectPad(dst, x Buffer, planes, h, w, top, bottom, left, right int)
	// ReflectPadGrad overwrites dx [planes, h, w] with the gradient of
	// ReflectPad: each input value's sum of g over the outputs that copy
	// it.
	ReflectPadGrad(dx, g Buffer, planes, h, w, top, bottom, left, right int)
}

// ReflectIndex maps each position of an axis of n padded by before and
// after to the input position it copies (the edge not repeated), for
// ReflectPadder's implementations and autograd's host path alike.
func ReflectIndex(n, before, after int) []int {
	idx := make([]int, before+n+after)
	for i := range idx {
		j := i - before
		if j < 0 {
			j = -j
		} else if j >= n {
			j = 2*(n-1) - j
		}
		idx[i] = j
	}
	return idx
}

// NearestUpsampler is implemented by backends with nearest upsampling by
// an integer factor in one pass.
type NearestUpsampler interface {
	// UpsampleNearest writes dst [planes, h·s, w·s], each value of x
	// [planes, h, w] repeated in an s×s block.
	UpsampleNearest(dst, x Buffer, planes, h, w, s int)
	// UpsampleNearestGrad overwrites dx [planes, h, w] with the sum of g
	// over each value's block.
	UpsampleNearestGrad(dx, g Buffer, planes, h, w, s int)
}

// InstanceNormGrader is implemented by backends with instance
// normalisation in one pass over the activations' memory forward (each
// plane's statistics, then its output, while the plane is in cache) and
// two backward.
type InstanceNormGrader interface {
	// InstanceNorm reads x as [planes, hw] and writes each plane's mean
	// and rstd = 1/sqrt(var + eps) (biased variance) and dst = gamma·(x −
	// mean)·rstd + beta, with gamma and beta per plane; relu applies
	// max(·, 0) to dst.
	InstanceNorm(dst, mean, rstd, x, gamma, beta Buffer, planes, hw int, eps float32, relu bool)
	// InstanceNormGrad reads x and its output gradient g as [planes, hw]
	// with each plane's mean and rstd (1/sqrt(var+eps)), x̂ = (x −
	// mean)·rstd. It overwrites sumG (Σg per plane) and sumGX (Σg·x̂ per
	// plane) and, when dx is not nil, dx = a·(g − Σg/hw − x̂·Σg·x̂/hw)
	// with a per plane (gamma·rstd). With y (the output of a ReLU that
	// follows the normalisation, fused), g counts only where y > 0.
	InstanceNormGrad(dx, sumG, sumGX, g, y, x, mean, rstd, a Buffer, planes, hw int)
}

// Kn2Row is the geometry of a stride-1 convolution of one h×w image (pad
// PH, PW) to an OH×OW map of OC channels with a KH×KW kernel, computed the
// kn2row way: tap planes T [OC·KH·KW, h·w] = W·X (one row per output
// channel and kernel tap, the input as it lies), then each plane shifted
// into place.
type Kn2Row struct{ OC, KH, KW, H, W, OH, OW, PH, PW int }

// Kn2Rower is implemented by backends with kn2row's shift-and-add steps
// for a band of input rows (autograd's Conv2dFewOut runs the convolution
// in bands so that the tap planes stay in cache).
type Kn2Rower interface {
	// Kn2RowAdd adds into y (one image [OC, OH, OW] at offset yOff) the
	// tap planes t [OC·KH·KW, rows·W] of input rows [r0, r0+rows):
	// y[q, i, j] += t[(q·KH+ky)·KW+kx, i−PH+ky−r0, j−PW+kx] over the taps
	// whose input position lies in those rows and in [0, W).
	Kn2RowAdd(y Buffer, yOff int, t Buffer, g Kn2Row, r0, rows int)
	// Kn2RowGather writes t [OC·KH·KW, rows·W] for input rows [r0,
	// r0+rows) from the output gradient dy (one image at offset dyOff):
	// t[(q·KH+ky)·KW+kx, (r−r0, s)] = dy[q, r+PH−ky, s+PW−kx], 0 where
	// that lies outside the output.
	Kn2RowGather(t, dy Buffer, dyOff int, g Kn2Row, r0, rows int)
}

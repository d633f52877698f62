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

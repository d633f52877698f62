package autograd

import "github.com/workbench-cv/workbench/engine/backend"

// InstanceNormAffineReLU is ReLU(InstanceNormAffine(x, gamma, beta, eps))
// as one op: the normalised values are not stored apart from the ReLU's
// output, the ReLU costs no pass of its own forward (the normalisation's
// kernel applies it) and its gradient is read inside instance norm's
// backward passes. Fast style transfer's networks end most blocks this
// way (conv · IN · ReLU). On backends without backend.InstanceNormGrader
// it is the two ops.
func InstanceNormAffineReLU(x, gamma, beta *Var, eps float32) *Var {
	if _, ok := x.B().(backend.InstanceNormGrader); !ok {
		return ReLU(InstanceNormAffine(x, gamma, beta, eps))
	}
	return instanceNorm(x, gamma, beta, eps, true)
}

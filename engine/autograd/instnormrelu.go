package autograd

import "github.com/workbench-cv/workbench/engine/backend"

// InstanceNormAffineReLU is ReLU(InstanceNormAffine(x, gamma, beta, eps))
// as one op: the normalised values are not stored apart from the ReLU's
// output, the ReLU costs no pass of its own forward (ChannelAffineReLU)
// and its gradient is read inside instance norm's backward passes. Fast
// style transfer's networks end most blocks this way (conv · IN · ReLU).
// On backends without backend.InstanceNormGrader and
// backend.BatchNormGrader it is the two ops.
func InstanceNormAffineReLU(x, gamma, beta *Var, eps float32) *Var {
	b := x.B()
	_, grad := b.(backend.InstanceNormGrader)
	_, affine := b.(backend.BatchNormGrader)
	if !grad || !affine {
		return ReLU(InstanceNormAffine(x, gamma, beta, eps))
	}
	return instanceNorm(x, gamma, beta, eps, true)
}

package nn

import (
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Batch norm folded into the convolution before it, at inference. In eval
// mode a batchnorm2d is a per-channel affine map y = k x + s with k =
// gamma / sqrt(running var + eps) and s = beta - k running mean, so conv
// then BN is one convolution with weights k[oc] w[oc] and bias
// k (bias - mean) + beta: the BN's pass over the activations goes away
// (oneDNN and PyTorch's torch.fx fuser do the same). The folded weights
// are computed on the device at every forward pass (a pass over the
// weights, cheaper than one over a batch's activations from batch 4 on),
// so they can never be stale after a training step.

// foldMinBatch is the smallest batch whose forward pass folds: below it
// the pass over the weights costs about what the BN pass saves.
const foldMinBatch = 4

// convBNs finds each batchnorm2d whose input is a conv2d that nothing else
// reads (and that is not the output), keyed by the BN.
func convBNs(g graph.Graph, output string) map[string]string {
	uses := useCounts(g)
	byID := map[string]*graph.Node{}
	for i, n := range g.Nodes {
		byID[n.ID] = &g.Nodes[i]
	}
	pairs := map[string]string{}
	for _, n := range g.Nodes {
		if n.Op != "batchnorm2d" || len(n.Inputs) != 1 {
			continue
		}
		c := byID[n.Inputs[0]]
		if c != nil && c.Op == "conv2d" && uses[c.ID] == 1 && c.ID != output {
			pairs[n.ID] = c.ID
		}
	}
	return pairs
}

// foldBN reports whether a forward pass folds batch norms: eval mode, no
// graph for the parameters, no hook that could read the convolution's own
// output, and a batch large enough.
func foldBN(c *Ctx, x *autograd.Var) bool {
	s := x.Shape()
	return !c.Training && c.NoGrad && c.Hook == nil && len(s) == 4 && s[0] >= foldMinBatch
}

// foldedConvBN runs convolution node conv and batch norm node bn as one
// convolution with folded weights.
func (m *Model) foldedConvBN(c *Ctx, conv, bn *graph.Node, x *autograd.Var) *autograd.Var {
	b := m.B
	w := m.params[conv.ID]["weight"].Value
	oc := w.Shape[0]
	ckk := w.Len() / oc
	st := m.bnState(bn, oc)
	// k = gamma / sqrt(var + eps); shift = beta + k (bias - mean).
	k := tensor.New(b, oc)
	b.Unary(backend.AddScalar, k.Buf, st.Var.Buf, float32(attr(bn, "eps")), 0)
	b.Unary(backend.Pow, k.Buf, k.Buf, -0.5, 0)
	vec := backend.Strided{Shape: []int{oc}, StrideA: []int{1}, StrideB: []int{1}}
	bp := m.params[bn.ID]
	if g := bp["weight"]; g != nil {
		b.Binary(backend.Mul, k.Buf, k.Buf, g.Value.Buf, vec)
	}
	shift := tensor.New(b, oc)
	if bias := m.params[conv.ID]["bias"]; bias != nil {
		b.Binary(backend.Sub, shift.Buf, bias.Value.Buf, st.Mean.Buf, vec)
	} else {
		b.Binary(backend.Sub, shift.Buf, shift.Buf, st.Mean.Buf, vec)
	}
	b.Binary(backend.Mul, shift.Buf, shift.Buf, k.Buf, vec)
	if beta := bp["bias"]; beta != nil {
		b.Binary(backend.Add, shift.Buf, shift.Buf, beta.Value.Buf, vec)
	}
	// fw[oc] = k[oc] w[oc], into a buffer nothing clears first (the
	// product overwrites all of it).
	fw := &tensor.Tensor{Shape: append([]int(nil), w.Shape...), Buf: backend.AllocUninit(b, w.Len()), B: b}
	b.Binary(backend.Mul, fw.Buf, w.Buf, k.Buf, backend.Strided{Shape: []int{oc, ckk}, StrideA: []int{ckk, 1}, StrideB: []int{1, 0}})
	b.Free(k.Buf)
	g2 := windowOf(conv)
	out := autograd.Conv2d(x, autograd.Const(fw), autograd.Const(shift), autograd.ConvOpts{
		Stride: g2.s, Pad: g2.p, Dilation: g2.d, Groups: iattr(conv, "groups")})
	if !x.RequiresGrad() {
		// Nothing keeps the folded weights for a backward pass.
		b.Free(fw.Buf)
		b.Free(shift.Buf)
	}
	return out
}

// bnReLUs finds each batchnorm2d, condinstancenorm and add of two inputs
// read only by a relu (neither the output), keyed by the norm or add: in
// training and inference they run as autograd.BatchNormReLU,
// InstanceNormAffineReLU or AddReLU,
// which store one activation instead of two and make one pass less each
// way.
func bnReLUs(g graph.Graph, output string) map[string]string {
	uses := useCounts(g)
	pairs := map[string]string{}
	for _, n := range g.Nodes {
		if n.Op != "relu" || len(n.Inputs) != 1 {
			continue
		}
		bn := n.Inputs[0]
		if m := findNode(g, bn); m != nil && (m.Op == "batchnorm2d" || m.Op == "condinstancenorm" || (m.Op == "add" && len(m.Inputs) == 2)) && uses[bn] == 1 && bn != output {
			pairs[bn] = n.ID
		}
	}
	return pairs
}

// bnAddOff turns the batch norm + add + ReLU fusion off (benchmarks
// compare the two).
var bnAddOff bool

// bnAdds finds each add of two inputs that only a ReLU reads (a key of
// bnReLU) with a batchnorm2d input that only the add reads (neither the
// output), keyed by the add: a residual block's end. With two such inputs
// (a downsampling block: the block's and the shortcut's batch norms) the
// first is taken.
func bnAdds(g graph.Graph, output string, bnReLU map[string]string) map[string]string {
	uses := useCounts(g)
	pairs := map[string]string{}
	for _, n := range g.Nodes {
		if n.Op != "add" || len(n.Inputs) != 2 || bnReLU[n.ID] == "" {
			continue
		}
		for _, in := range n.Inputs {
			if m := findNode(g, in); m != nil && m.Op == "batchnorm2d" && len(m.Inputs) == 1 && uses[in] == 1 && in != output {
				pairs[n.ID] = in
				break
			}
		}
	}
	return pairs
}

// bnAddReLUForward runs batch norm node bn on x, adds res and applies the
// ReLU, as one op (autograd.BatchNormAddReLU).
func (m *Model) bnAddReLUForward(c *Ctx, bn *graph.Node, x, res *autograd.Var) *autograd.Var {
	p := m.params[bn.ID]
	gamma, beta := p["weight"], p["bias"]
	if c.NoGrad {
		if gamma != nil {
			gamma = gamma.Detach()
		}
		if beta != nil {
			beta = beta.Detach()
		}
	}
	st := m.bnState(bn, x.Shape()[1])
	st.Momentum, st.Eps = float32(attr(bn, "momentum")), float32(attr(bn, "eps"))
	return autograd.BatchNormAddReLU(x, res, gamma, beta, st, c.Training)
}

// useCounts is how many node inputs name each node.
func useCounts(g graph.Graph) map[string]int {
	uses := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			uses[in]++
		}
	}
	return uses
}

func findNode(g graph.Graph, id string) *graph.Node {
	for i := range g.Nodes {
		if g.Nodes[i].ID == id {
			return &g.Nodes[i]
		}
	}
	return nil
}

// bnReLUForward is the batchnorm2d or add op's Forward with the ReLU
// fused.
func (m *Model) bnReLUForward(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
	if n.Op == "add" {
		return autograd.AddReLU(in[0], in[1])
	}
	if n.Op == "condinstancenorm" {
		return condInstanceNorm(c, n, p, in[0], true)
	}
	x := in[0]
	st := m.bnState(n, x.Shape()[1])
	st.Momentum, st.Eps = float32(attr(n, "momentum")), float32(attr(n, "eps"))
	return autograd.BatchNormReLU(x, p["weight"], p["bias"], st, c.Training)
}

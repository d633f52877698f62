package autograd

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// BackwardRelease is Backward followed by Release, with the storage freed
// during the pass instead of after it: once the backward functions of every
// op that holds a buffer (as its value or as a saved tensor) have run, the
// buffer goes back to the backend. A training step's peak memory is then
// the forward activations plus a layer's gradients, instead of the
// activations plus every gradient made while they are still held.
//
// Leaves (parameters, inputs, constants, frozen weights, anything made
// without a gradient) keep their storage and their gradients, as with
// Release. Like Release, it ends the graph: no intermediate Var of it may
// be read afterwards (read the loss and the logits before calling it). An
// intermediate's gradient is freed once its op's backward has run, also
// when OnGrad hooks read it (a hook copies what it keeps), unless a hook
// returned a replacement.
func (v *Var) BackwardRelease() {
	if v.Value.Len() != 1 || !v.requiresGrad {
		v.Backward()
		Release(v)
		return
	}
	order := topo(v)
	keep := map[backend.Buffer]bool{}
	refs := map[backend.Buffer]int{}
	for _, n := range order {
		if n.backward == nil {
			keep[n.Value.Buf] = true
			if n.Grad != nil {
				keep[n.Grad.Buf] = true
			}
			continue
		}
		for _, in := range n.inputs {
			if in != nil && in.backward == nil {
				keep[in.Value.Buf] = true
			}
		}
		n.Grad = nil
	}
	held := func(n *Var, f func(t *tensor.Tensor)) {
		f(n.Value)
		for _, t := range n.saved {
			f(t)
		}
	}
	for _, n := range order {
		if n.backward != nil {
			seen := map[backend.Buffer]bool{}
			held(n, func(t *tensor.Tensor) {
				if t != nil && t.Buf != nil && !seen[t.Buf] {
					seen[t.Buf] = true
					refs[t.Buf]++
				}
			})
		}
	}
	accumulate(v, tensor.Full(v.Value.B, 1, v.Value.Shape...), true)
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward == nil {
			continue
		}
		if n.Grad != nil {
			replaced := false
			for _, h := range n.hooks {
				if r := h(n.Grad); r != nil {
					n.Grad, replaced = r, true
				}
			}
			profileBackward(n)
			if !replaced {
				// Ours, also when hooks read it (the trainer's layer
				// statistics): a hook's replacement is the hook's.
				freeGrad(n)
			}
			n.Grad = nil
		}
		seen := map[backend.Buffer]bool{}
		held(n, func(t *tensor.Tensor) {
			if t == nil || t.Buf == nil || seen[t.Buf] {
				return
			}
			seen[t.Buf] = true
			if refs[t.Buf]--; refs[t.Buf] == 0 && !keep[t.Buf] {
				t.B.Free(t.Buf)
			}
		})
		n.saved, n.inputs, n.backward = nil, nil, nil
	}
}

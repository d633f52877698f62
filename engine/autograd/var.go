package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Var is a tensor in the computational graph.
type Var struct {
	Value *tensor.Tensor
	// Grad is the gradient of the loss with respect to Value, filled by
	// Backward for Vars that require a gradient.
	Grad *tensor.Tensor
	// Name labels parameters and hooked activations.
	Name string

	requiresGrad bool
	inputs       []*Var
	backward     func(g *tensor.Tensor)
	hooks        []func(g *tensor.Tensor) *tensor.Tensor
	retain       bool
	// saved are tensors the op keeps for its backward pass (a column
	// matrix, pooling indices) that Release frees with the value.
	saved []*tensor.Tensor
	// kind is the layer type the op was made in, while a Profile records.
	kind string
	// gradRefs, when set, counts the Vars whose Grad is this same buffer
	// (shareGrad): it is then neither written in place nor freed until the
	// last of them is done with it.
	gradRefs *int
}

// Param wraps a tensor as a leaf that requires a gradient (a weight, or an
// input image whose gradient is wanted).
func Param(t *tensor.Tensor, name string) *Var {
	return &Var{Value: t, Name: name, requiresGrad: true}
}

// Const wraps a tensor as a leaf without gradient (data, labels).
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// RequiresGrad reports whether a gradient flows to this Var.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad turns a leaf's gradient on or off (freezing layers).
func (v *Var) SetRequiresGrad(on bool) { v.requiresGrad = on }

// Shape is the value's shape.
func (v *Var) Shape() []int { return v.Value.Shape }

// B is the value's backend.
func (v *Var) B() backend.Backend { return v.Value.B }

// Detach returns a Var with the same value and no history.
func (v *Var) Detach() *Var { return &Var{Value: v.Value, Name: v.Name} }

// Item reads a one-element value.
func (v *Var) Item() float32 { return v.Value.Item() }

// OnGrad registers a hook called with this Var's gradient once it is
// complete, before it flows further back; a non-nil return replaces it.
func (v *Var) OnGrad(h func(g *tensor.Tensor) *tensor.Tensor) {
	v.hooks = append(v.hooks, h)
	v.retain = true
}

// RetainGrad keeps an intermediate Var's gradient in Grad after Backward
// (leaves always keep theirs). It holds the gradient of the latest pass;
// leaves accumulate over passes until ZeroGrad.
func (v *Var) RetainGrad() { v.retain = true }

// ZeroGrad drops the gradient.
func (v *Var) ZeroGrad() { v.Grad = nil }

// newOp makes the output Var of an operation. backward is kept only when an
// input requires a gradient.
func newOp(out *tensor.Tensor, backward func(g *tensor.Tensor), inputs ...*Var) *Var {
	v := &Var{Value: out}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			v.requiresGrad = true
			break
		}
	}
	if v.requiresGrad {
		v.inputs = inputs
		v.backward = backward
		v.kind = profileKind()
	}
	return v
}

// save records tensors that v's backward pass keeps, for Release. Without
// a backward pass (no input needs a gradient) they are freed at once.
func (v *Var) save(ts ...*tensor.Tensor) {
	if v.requiresGrad {
		v.saved = append(v.saved, ts...)
		return
	}
	for _, t := range ts {
		t.B.Free(t.Buf)
	}
}

// empty returns a tensor whose contents are unspecified, for an output that
// a kernel overwrites completely (backend.AllocUninit).
func empty(b backend.Backend, shape ...int) *tensor.Tensor {
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("autograd: negative dimension in %v", shape))
		}
	}
	return &tensor.Tensor{Shape: append([]int(nil), shape...), Buf: backend.AllocUninit(b, tensor.Numel(shape)), B: b}
}

// accumulate adds g to v's gradient. When owned, g is not used elsewhere:
// it becomes the gradient without copying, or is freed once added.
func accumulate(v *Var, g *tensor.Tensor, owned bool) {
	if v == nil || !v.requiresGrad {
		return
	}
	if !tensor.SameShape(v.Value.Shape, g.Shape) {
		if tensor.Numel(v.Value.Shape) != g.Len() {
			panic(fmt.Sprintf("autograd: gradient %v for value %v", g.Shape, v.Value.Shape))
		}
		g = g.Reshape(v.Value.Shape...)
	}
	if v.Grad == nil {
		v.gradRefs = nil
		if owned {
			v.Grad = g
		} else {
			v.Grad = g.Clone()
		}
		return
	}
	if v.gradRefs != nil {
		// v.Grad is shared: the sum goes to g's storage (or a copy),
		// a + b and b + a being the same bits.
		if !owned {
			g = g.Clone()
		}
		g.B.Axpy(g.Buf, 1, v.Grad.Buf)
		freeGrad(v)
		v.Grad = g
		return
	}
	v.Grad.B.Axpy(v.Grad.Buf, 1, g.Buf)
	if owned {
		// Summed in: nobody else holds g. (A residual block's input
		// gets two such gradients; left to the garbage collector,
		// ResNet-50 dropped 390 MiB of them per batch-16 step.)
		g.B.Free(g.Buf)
	}
}

// shareGrad adds g, which nobody else holds, to the gradients of a and c
// (an op whose two inputs get the same gradient: a residual sum). Where
// both are intermediates without a gradient yet, retained or hooked by
// nobody, they share g's storage instead of each getting a copy; a later
// accumulate into either sums into the incoming buffer, and the storage
// goes back to the backend once both are done with it. Leaves never share
// (an optimizer may change a leaf's gradient in place).
func shareGrad(a, c *Var, g *tensor.Tensor) {
	switch {
	case a == c:
		accumulate(a, g, false)
		accumulate(c, g, true)
	case a.Grad == nil && c.Grad == nil && shareable(a) && shareable(c):
		r := 2
		a.Grad, c.Grad = g.Reshape(a.Value.Shape...), g.Reshape(c.Value.Shape...)
		a.gradRefs, c.gradRefs = &r, &r
	case a.Grad == nil:
		accumulate(c, g, false)
		accumulate(a, g, true)
	default:
		accumulate(a, g, false)
		accumulate(c, g, true)
	}
}

func shareable(v *Var) bool {
	return v.requiresGrad && v.backward != nil && !v.retain && len(v.hooks) == 0
}

// freeGrad returns v's gradient storage to the backend, unless another
// Var still shares it.
func freeGrad(v *Var) {
	if r := v.gradRefs; r != nil {
		v.gradRefs = nil
		if *r--; *r > 0 {
			return
		}
	}
	v.Grad.B.Free(v.Grad.Buf)
}

// Backward computes the gradients of the scalar v with respect to every Var
// that requires one and that v depends on. Intermediate gradients are freed
// as soon as they have been used, unless retained.
func (v *Var) Backward() {
	if v.Value.Len() != 1 {
		panic(fmt.Sprintf("autograd: Backward on non-scalar of shape %v; use BackwardWith", v.Shape()))
	}
	v.BackwardWith(tensor.Full(v.Value.B, 1, v.Value.Shape...))
}

// BackwardWith starts backpropagation from v with the given output gradient.
func (v *Var) BackwardWith(g *tensor.Tensor) {
	if !v.requiresGrad {
		return
	}
	order := topo(v)
	// A gradient retained from an earlier pass over this graph (RetainGrad,
	// OnGrad) must not flow back again: intermediates start from zero.
	// Leaves accumulate across passes, as in PyTorch.
	for _, n := range order {
		if n.backward != nil {
			n.Grad = nil
		}
	}
	accumulate(v, g, false)
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.Grad == nil {
			continue
		}
		for _, h := range n.hooks {
			if r := h(n.Grad); r != nil {
				n.Grad = r
			}
		}
		if n.backward != nil {
			profileBackward(n)
			if !n.retain {
				// The gradient of an intermediate is used once: every op
				// copies or reduces what it passes on, so its storage can
				// serve the next op (unless a hook supplied it).
				if len(n.hooks) == 0 {
					freeGrad(n)
				}
				n.Grad = nil
			}
		}
	}
}

// Release frees the storage of the graph behind root once it is no longer
// needed (a training step calls it after the optimizer step): the values
// of the intermediate Vars, the tensors their ops saved for the backward
// pass and retained intermediate gradients. Leaves (parameters, inputs,
// constants) and their gradients are kept, and so is any storage a leaf
// shares with an intermediate (a reshaped parameter). The intermediate
// Vars must not be read afterwards, nor any Detach of them; reading one
// fails instead of returning stale values. On the CPU this returns the
// buffers to the backend's pool, so the next step reuses them instead of
// allocating and clearing new memory.
func Release(root *Var) {
	if root == nil || !root.requiresGrad {
		return
	}
	order := topo(root)
	keep := map[backend.Buffer]bool{}
	for _, n := range order {
		if n.backward != nil {
			continue
		}
		keep[n.Value.Buf] = true
		if n.Grad != nil {
			keep[n.Grad.Buf] = true
		}
	}
	free := func(t *tensor.Tensor) {
		if t != nil && t.Buf != nil && !keep[t.Buf] {
			keep[t.Buf] = true // a view shares its buffer: free it once
			t.B.Free(t.Buf)
		}
	}
	for _, n := range order {
		if n.backward == nil {
			continue
		}
		free(n.Value)
		for _, t := range n.saved {
			free(t)
		}
		if len(n.hooks) == 0 {
			free(n.Grad)
		}
		n.Grad, n.saved, n.inputs, n.backward = nil, nil, nil, nil
	}
}

func topo(root *Var) []*Var {
	var order []*Var
	seen := map[*Var]bool{}
	// Iterative DFS: ResNet-152 graphs are deep enough to make recursion
	// expensive.
	type frame struct {
		v *Var
		i int
	}
	stack := []frame{{root, 0}}
	seen[root] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.i < len(top.v.inputs) {
			in := top.v.inputs[top.i]
			top.i++
			if in != nil && in.requiresGrad && !seen[in] {
				seen[in] = true
				stack = append(stack, frame{in, 0})
			}
			continue
		}
		order = append(order, top.v)
		stack = stack[:len(stack)-1]
	}
	return order
}

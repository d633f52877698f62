package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Permute reorders x's axes: output axis i is x's axis perm[i]. The
// gradient is the inverse permutation of the upstream gradient.
func Permute(x *Var, perm ...int) *Var {
	s := x.Shape()
	if len(perm) != len(s) || len(s) > backend.MaxDims {
		panic(fmt.Sprintf("autograd: Permute of %v by %v", s, perm))
	}
	inv := make([]int, len(perm))
	seen := make([]bool, len(perm))
	shape := make([]int, len(perm))
	for i, p := range perm {
		if p < 0 || p >= len(s) || seen[p] {
			panic(fmt.Sprintf("autograd: Permute by %v is not a permutation of %d axes", perm, len(s)))
		}
		seen[p] = true
		inv[p] = i
		shape[i] = s[p]
	}
	b := x.B()
	out := empty(b, shape...)
	b.Permute(out.Buf, x.Value.Buf, s, perm)
	return newOp(out, func(g *tensor.Tensor) {
		dx := empty(b, s...)
		b.Permute(dx.Buf, g.Buf, shape, inv)
		accumulate(x, dx, true)
	}, x)
}

// ChannelShuffle interleaves the channels of x [N, C, ...] across groups
// (ShuffleNet): viewed as [N, groups, C/groups, ...], the two group axes
// are swapped. It is torch.nn.functional.channel_shuffle.
func ChannelShuffle(x *Var, groups int) *Var {
	s := x.Shape()
	if len(s) < 2 || groups < 1 || s[1]%groups != 0 {
		panic(fmt.Sprintf("autograd: ChannelShuffle of %v into %d groups", s, groups))
	}
	inner := tensor.Numel(s[2:])
	y := Permute(Reshape(x, s[0], groups, s[1]/groups, inner), 0, 2, 1, 3)
	return Reshape(y, s...)
}

// SliceChannels returns channels [from, to) of x [N, C, ...] (a channel
// split, torch.chunk along dimension 1).
func SliceChannels(x *Var, from, to int) *Var {
	s := x.Shape()
	if len(s) < 2 || from < 0 || to > s[1] || from >= to {
		panic(fmt.Sprintf("autograd: SliceChannels [%d, %d) of %v", from, to, s))
	}
	n, c, k := s[0], s[1], to-from
	inner := tensor.Numel(s[2:])
	shape := append([]int{n, k}, s[2:]...)
	b := x.B()
	out := empty(b, shape...)
	for i := range n {
		b.Copy(out.Buf, i*k*inner, x.Value.Buf, (i*c+from)*inner, k*inner)
	}
	return newOp(out, func(g *tensor.Tensor) {
		dx := tensor.New(b, s...)
		for i := range n {
			b.Copy(dx.Buf, (i*c+from)*inner, g.Buf, i*k*inner, k*inner)
		}
		accumulate(x, dx, true)
	}, x)
}

package style

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Gram is the Gram matrix of the features f of one image ([1, C, H, W] or
// [C, H, W]): G = F·Fᵀ / (C·H·W) with F the C×(H·W) matrix of f
// (Gatys et al., 2016, normalised so that layers of any size compare).
func Gram(f *autograd.Var) *autograd.Var {
	s := f.Shape()
	if len(s) == 4 {
		if s[0] != 1 {
			panic(fmt.Sprintf("style: Gram of a batch %v (one image at a time)", s))
		}
		s = s[1:]
	}
	if len(s) != 3 {
		panic(fmt.Sprintf("style: Gram of %v (features C,H,W)", f.Shape()))
	}
	c, hw := s[0], s[1]*s[2]
	m := autograd.Reshape(f, c, hw)
	// Linear(m, m) is m·mᵀ without materialising the transpose.
	return autograd.Scale(autograd.Linear(m, m, nil), 1/float32(c*hw))
}

// ContentLoss is the feature reconstruction loss mean((f − target)²).
func ContentLoss(f *autograd.Var, target *tensor.Tensor) *autograd.Var {
	return autograd.MSE(f, target)
}

// StyleLoss is Σ_l w_l · mean((Gram(f_l) − A_l)²) over layers, with A_l the
// target Gram matrices.
func StyleLoss(feats []*autograd.Var, grams []*tensor.Tensor, weights []float32) *autograd.Var {
	if len(feats) != len(grams) || len(feats) != len(weights) || len(feats) == 0 {
		panic(fmt.Sprintf("style: StyleLoss of %d layers, %d Gram matrices and %d weights", len(feats), len(grams), len(weights)))
	}
	var total *autograd.Var
	for i, f := range feats {
		l := autograd.Scale(autograd.MSE(Gram(f), grams[i]), weights[i])
		if total == nil {
			total = l
		} else {
			total = autograd.Add(total, l)
		}
	}
	return total
}

// TV is the total-variation regulariser of images x [N, C, H, W]:
// mean((x[..., i+1, j] − x[..., i, j])²) + mean((x[..., i, j+1] − x[..., i, j])²).
func TV(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 || s[2] < 2 || s[3] < 2 {
		panic(fmt.Sprintf("style: TV of %v (images N,C,H,W of at least 2×2)", s))
	}
	return autograd.Add(diffSq(x, 2), diffSq(x, 3))
}

// diffSq is the mean squared difference of neighbours along axis 2 or 3,
// taken by moving that axis to the channel position and slicing.
func diffSq(x *autograd.Var, axis int) *autograd.Var {
	perm := []int{0, 2, 1, 3}
	if axis == 3 {
		perm = []int{0, 3, 2, 1}
	}
	p := autograd.Permute(x, perm...)
	n := p.Shape()[1]
	d := autograd.Sub(autograd.SliceChannels(p, 1, n), autograd.SliceChannels(p, 0, n-1))
	return autograd.Mean(autograd.Square(d))
}

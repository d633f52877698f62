package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// OneHot builds [N, K] target distributions from labels, with optional label
// smoothing eps (the true class gets 1-eps+eps/K, the others eps/K).
func OneHot(b backend.Backend, labels []int32, k int, smoothing float32) *tensor.Tensor {
	t := make([]float32, len(labels)*k)
	off := smoothing / float32(k)
	for i, l := range labels {
		row := t[i*k : (i+1)*k]
		for j := range row {
			row[j] = off
		}
		row[l] += 1 - smoothing
	}
	return tensor.FromData(b, t, len(labels), k)
}

// CrossEntropy is the mean over rows of -Σ t·log softmax(logits), for logits
// [N, K] and target distributions [N, K] (one-hot, smoothed or mixed up). It
// is fused and numerically stable.
func CrossEntropy(logits *Var, target *tensor.Tensor) *Var {
	s := logits.Shape()
	if len(s) != 2 || !tensor.SameShape(s, target.Shape) {
		panic(fmt.Sprintf("autograd: CrossEntropy of logits %v with targets %v", s, target.Shape))
	}
	n, k := s[0], s[1]
	b := logits.B()
	rowLoss, grad := empty(b, n), empty(b, n, k)
	b.SoftmaxXent(rowLoss.Buf, grad.Buf, logits.Value.Buf, target.Buf, n, k, 1/float32(n))
	out := empty(b, 1)
	b.Reduce(backend.Mean, out.Buf, rowLoss.Buf, 1, n, 1)
	b.Free(rowLoss.Buf)
	v := newOp(out, func(g *tensor.Tensor) {
		dx := empty(b, n, k)
		b.Binary(backend.Mul, dx.Buf, grad.Buf, g.Buf, backend.Strided{Shape: []int{n, k}, StrideA: []int{k, 1}, StrideB: []int{0, 0}})
		accumulate(logits, dx, true)
	}, logits)
	v.save(grad)
	return v
}

// Hinge is the multiclass SVM loss, the mean over rows of
// Σ_{j≠y} max(0, s_j - s_y + margin), squared per term when squared is set.
func Hinge(scores *Var, labels []int32, margin float32, squared bool) *Var {
	s := scores.Shape()
	n, k := s[0], s[1]
	b := scores.B()
	oh := Const(OneHot(b, labels, k, 0))
	sy := SumAxis(Mul(scores, oh), 1)             // [N,1]
	m := ReLU(AddScalar(Sub(scores, sy), margin)) // [N,K]
	notY := Const(OneHot(b, labels, k, 0))
	b.Unary(backend.MulScalar, notY.Value.Buf, notY.Value.Buf, -1, 0)
	b.Unary(backend.AddScalar, notY.Value.Buf, notY.Value.Buf, 1, 0)
	m = Mul(m, notY)
	if squared {
		m = Square(m)
	}
	return Scale(Sum(m), 1/float32(n))
}

// MSE is the mean squared error.
func MSE(pred *Var, target *tensor.Tensor) *Var {
	return Mean(Square(Sub(pred, Const(target))))
}

// L2Penalty is Σ w² over the given parameters (multiply by λ/2 or λ as your
// convention wants).
func L2Penalty(params []*Var) *Var {
	var total *Var
	for _, p := range params {
		t := Sum(Square(p))
		if total == nil {
			total = t
		} else {
			total = Add(total, t)
		}
	}
	return total
}

// L1Penalty is Σ |w| over the given parameters.
func L1Penalty(params []*Var) *Var {
	var total *Var
	for _, p := range params {
		t := Sum(Abs(p))
		if total == nil {
			total = t
		} else {
			total = Add(total, t)
		}
	}
	return total
}

// ElasticNet is l1·Σ|w| + l2·Σw².
func ElasticNet(params []*Var, l1, l2 float32) *Var {
	return Add(Scale(L1Penalty(params), l1), Scale(L2Penalty(params), l2))
}

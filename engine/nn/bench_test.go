package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// BenchmarkRefCNNStep times one training step (forward, backward, SGD) of
// ref-cnn on a batch of 64 28x28 images, releasing the step's graph and
// gradients as engine/train does.
func BenchmarkRefCNNStep(bm *testing.B) {
	b := cpu.New()
	m, err := Build(refCNN(10), nil, b, 1, "default")
	if err != nil {
		bm.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 64*784)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int32, 64)
	for i := range y {
		y[i] = int32(i % 10)
	}
	xt := tensor.FromData(b, x, 64, 1, 28, 28)
	tgt := autograd.OneHot(b, y, 10, 0)
	bm.ResetTimer()
	for range bm.N {
		out := m.Forward(&Ctx{Training: true}, autograd.Const(xt))
		loss := autograd.CrossEntropy(out, tgt)
		loss.Backward()
		for _, p := range m.Params {
			b.Axpy(p.V.Value.Buf, -0.01, p.V.Grad.Buf)
			b.Free(p.V.Grad.Buf)
			p.V.ZeroGrad()
		}
		autograd.Release(loss)
	}
	bm.ReportMetric(float64(64*bm.N)/bm.Elapsed().Seconds(), "images/s")
}

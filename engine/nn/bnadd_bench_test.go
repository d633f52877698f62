package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// bottlenecks is three of ResNet-50's second-stage blocks (512 channels
// on 28x28, bottleneck width 128) after a 1x1 convolution to 512.
func bottlenecks() graph.Graph {
	nodes := []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 64, "height": 28, "width": 28}},
		{ID: "stem", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 512, "kernel": 1, "bias": 0}},
	}
	prev := "stem"
	for i := range 3 {
		p := fmt.Sprintf("b%d", i)
		nodes = append(nodes,
			graph.Node{ID: p + "c1", Op: "conv2d", Inputs: []string{prev}, Attrs: map[string]float64{"out": 128, "kernel": 1, "bias": 0}},
			graph.Node{ID: p + "n1", Op: "batchnorm2d", Inputs: []string{p + "c1"}},
			graph.Node{ID: p + "r1", Op: "relu", Inputs: []string{p + "n1"}},
			graph.Node{ID: p + "c2", Op: "conv2d", Inputs: []string{p + "r1"}, Attrs: map[string]float64{"out": 128, "kernel": 3, "pad": 1, "bias": 0}},
			graph.Node{ID: p + "n2", Op: "batchnorm2d", Inputs: []string{p + "c2"}},
			graph.Node{ID: p + "r2", Op: "relu", Inputs: []string{p + "n2"}},
			graph.Node{ID: p + "c3", Op: "conv2d", Inputs: []string{p + "r2"}, Attrs: map[string]float64{"out": 512, "kernel": 1, "bias": 0}},
			graph.Node{ID: p + "n3", Op: "batchnorm2d", Inputs: []string{p + "c3"}},
			graph.Node{ID: p + "add", Op: "add", Inputs: []string{p + "n3", prev}},
			graph.Node{ID: p + "out", Op: "relu", Inputs: []string{p + "add"}},
		)
		prev = p + "out"
	}
	nodes = append(nodes, graph.Node{ID: "gap", Op: "globalavgpool", Inputs: []string{prev}},
		graph.Node{ID: "flatten", Op: "flatten", Inputs: []string{"gap"}})
	return graph.Graph{Nodes: nodes}
}

// BenchmarkBNAddReLU times three ResNet-50 bottleneck blocks with the
// batch norm + add + ReLU fusion and without it: a training step at
// batch 16 and an inference pass at batch 1 (larger batches fold the
// batch norms into the convolutions instead).
//
//	go test ./engine/nn -run XXX -bench BNAddReLU -benchtime 10x -count 3
func BenchmarkBNAddReLU(b *testing.B) {
	be := cpu.New()
	g := bottlenecks()
	m, err := Build(g, nil, be, 1, "default")
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{16, 1} {
		x := make([]float32, n*64*28*28)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		xv := autograd.Const(tensor.FromData(be, x, n, 64, 28, 28))
		for _, fused := range []bool{true, false} {
			name := fmt.Sprintf("b%d/fused=%v", n, fused)
			b.Run(name, func(b *testing.B) {
				defer func(v bool) { bnAddOff = v }(bnAddOff)
				bnAddOff = !fused
				for b.Loop() {
					if n == 1 {
						y := m.Forward(&Ctx{NoGrad: true}, xv)
						be.Free(y.Value.Buf)
						continue
					}
					for _, p := range m.Params {
						if gr := p.V.Grad; gr != nil {
							be.Free(gr.Buf)
						}
						p.V.ZeroGrad()
					}
					y := m.Forward(&Ctx{Training: true}, xv)
					autograd.Sum(y).BackwardRelease()
				}
			})
		}
	}
}

//go:build linux || windows

package opengl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// smallCNN is ref-cnn's shape at a test's size, with batch norm and dropout
// added so that every kernel a training step uses runs.
func smallCNN() graph.Graph {
	type at = map[string]float64
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: at{"channels": 1, "height": 12, "width": 12}},
		{ID: "conv1", Op: "conv2d", Inputs: []string{"input"}, Attrs: at{"out": 8, "kernel": 3, "pad": 1}},
		{ID: "bn1", Op: "batchnorm2d", Inputs: []string{"conv1"}},
		{ID: "relu1", Op: "relu", Inputs: []string{"bn1"}},
		{ID: "pool1", Op: "maxpool2d", Inputs: []string{"relu1"}, Attrs: at{"kernel": 2}},
		{ID: "conv2", Op: "conv2d", Inputs: []string{"pool1"}, Attrs: at{"out": 16, "kernel": 3, "pad": 1}},
		{ID: "relu2", Op: "relu", Inputs: []string{"conv2"}},
		{ID: "pool2", Op: "maxpool2d", Inputs: []string{"relu2"}, Attrs: at{"kernel": 2}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"pool2"}},
		{ID: "drop", Op: "dropout", Inputs: []string{"flatten"}, Attrs: at{"p": 0.25}},
		{ID: "fc1", Op: "linear", Inputs: []string{"drop"}, Attrs: at{"out": 32}},
		{ID: "relu3", Op: "relu", Inputs: []string{"fc1"}},
		{ID: "fc2", Op: "linear", Inputs: []string{"relu3"}, Attrs: at{"out": 4}},
	}}
}

// residualCNN has the convolutions the implicit GEMM must get right in a
// network: a strided stem, a 1x1, a grouped 3x3 with 16 filters per group
// (autograd sends those to DirectConv), a dilated 3x3, bias-free
// convolutions, batch norm + ReLU and a residual add + ReLU (fused).
func residualCNN() graph.Graph {
	type at = map[string]float64
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: at{"channels": 1, "height": 12, "width": 12}},
		{ID: "stem", Op: "conv2d", Inputs: []string{"input"}, Attrs: at{"out": 32, "kernel": 5, "stride": 2, "pad": 2}},
		{ID: "bn0", Op: "batchnorm2d", Inputs: []string{"stem"}},
		{ID: "relu0", Op: "relu", Inputs: []string{"bn0"}},
		{ID: "grouped", Op: "conv2d", Inputs: []string{"relu0"}, Attrs: at{"out": 32, "kernel": 3, "pad": 1, "groups": 2, "bias": 0}},
		{ID: "bn1", Op: "batchnorm2d", Inputs: []string{"grouped"}},
		{ID: "relu1", Op: "relu", Inputs: []string{"bn1"}},
		{ID: "dilated", Op: "conv2d", Inputs: []string{"relu1"}, Attrs: at{"out": 32, "kernel": 3, "pad": 2, "dilation": 2, "bias": 0}},
		{ID: "bn2", Op: "batchnorm2d", Inputs: []string{"dilated"}},
		{ID: "sum", Op: "add", Inputs: []string{"bn2", "relu0"}},
		{ID: "relu2", Op: "relu", Inputs: []string{"sum"}},
		{ID: "squeeze", Op: "conv2d", Inputs: []string{"relu2"}, Attrs: at{"out": 8, "kernel": 1, "stride": 2}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"squeeze"}},
		{ID: "fc", Op: "linear", Inputs: []string{"flatten"}, Attrs: at{"out": 4}},
	}}
}

// TestTrainingStepsMatchCPU trains the same model from the same weights on
// both backends and compares the first gradients and the losses of every
// step: the whole forward and backward pass of a CNN, through the engine.
func TestTrainingStepsMatchCPU(t *testing.T) {
	for name, net := range map[string]graph.Graph{"small": smallCNN(), "residual": residualCNN()} {
		t.Run(name, func(t *testing.T) { trainBoth(t, net) })
	}
}

func trainBoth(t *testing.T, net graph.Graph) {
	g := openOrSkip(t)
	c := cpu.New()
	mg, err := nn.Build(net, nil, g, 7, "default")
	if err != nil {
		t.Fatal(err)
	}
	mc, err := nn.Build(net, nil, c, 7, "default")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const batch, steps = 16, 6
	for step := range steps {
		x := make([]float32, batch*144)
		y := make([]int32, batch)
		for i := range batch {
			y[i] = int32(rng.IntN(4))
			for p := range 144 {
				v := float32(rng.NormFloat64() * 0.3)
				if (p/12 < 6) == (y[i] < 2) && (p%12 < 6) == (y[i]%2 == 0) {
					v++
				}
				x[i*144+p] = v
			}
		}
		losses := [2]float32{}
		for k, m := range []*nn.Model{mg, mc} {
			b := m.B
			ctx := &nn.Ctx{Training: true, Seed: 5, Step: uint64(step)}
			out := m.Forward(ctx, autograd.Const(tensor.FromData(b, x, batch, 1, 12, 12)))
			loss := autograd.CrossEntropy(out, autograd.OneHot(b, y, 4, 0))
			loss.Backward()
			losses[k] = loss.Item()
		}
		if d := math.Abs(float64(losses[0] - losses[1])); d > 1e-4+1e-3*math.Abs(float64(losses[1])) {
			t.Fatalf("step %d: loss %v on GL, %v on the CPU", step, losses[0], losses[1])
		}
		for i, pg := range mg.Params {
			pc := mc.Params[i]
			if step == 0 {
				closeTo(t, "first gradient of "+pg.Name, pg.V.Grad.Data(), pc.V.Grad.Data(), 1e-4, 1e-3)
			}
			for _, p := range []*nn.Param{pg, pc} {
				p.V.Value.B.SGDStep(p.V.Value.Buf, p.V.Grad.Buf, nil, 0.1, 0, 0, false)
				p.V.ZeroGrad()
			}
		}
	}
	for i, pg := range mg.Params {
		closeTo(t, "trained "+mg.Params[i].Name, pg.V.Value.Data(), mc.Params[i].V.Value.Data(), 1e-3, 1e-2)
	}
}

// Buffers dropped without Free come back through the garbage collector.
func TestDroppedBuffersAreReclaimed(t *testing.T) {
	g := openOrSkip(t)
	before := g.outstanding.Load()
	for range 40 {
		b := g.Alloc(1 << 18) // 1 MiB each
		g.Fill(b, 1)
	}
	if got := g.outstanding.Load() - before; got < 40<<20 {
		t.Fatalf("outstanding grew by %d bytes after 40 MiB of allocations", got)
	}
	for try := 0; try < 100 && g.outstanding.Load()-before >= 20<<20; try++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := g.outstanding.Load() - before; got >= 20<<20 {
		t.Fatalf("%d bytes still held after the buffers became unreachable", got)
	}
	g.Sync() // the releases themselves ran without error
}

func TestGCStepFollowsGPUMemory(t *testing.T) {
	for _, c := range []struct {
		kb   int
		want int64
	}{{0, 256 << 20}, {1 << 20, 256 << 20}, {8 << 20, 1 << 30}, {80 << 20, 4 << 30}} {
		if got := gcStepFor(c.kb); got != c.want {
			t.Errorf("gcStepFor(%d KiB) = %d, want %d", c.kb, got, c.want)
		}
	}
}

// Kernels may be called from several goroutines at once; each sees its own
// results.
func TestConcurrentUse(t *testing.T) {
	g := openOrSkip(t)
	done := make(chan error)
	for k := range 4 {
		go func() {
			x := g.Alloc(1000)
			y := g.Alloc(1000)
			for range 20 {
				g.Fill(x, float32(k))
				g.Unary(backend.AddScalar, y, x, 1, 0)
			}
			got := make([]float32, 1000)
			g.Read(y, 0, got)
			for _, v := range got {
				if v != float32(k+1) {
					done <- fmt.Errorf("goroutine %d read %v, want %d", k, v, k+1)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

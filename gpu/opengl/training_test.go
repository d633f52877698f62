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
	"github.com/workbench-cv/workbench/engine/models"
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

// ResNet-18 and ResNet-50 (torchvision's graphs from engine/models, on
// 3x64x64 images, the smallest that keep ImageNet's stem) run forward and
// backward on both backends from the same weights: every convolution shape
// of a real network (the 7x7 stride-2 stem, strided 3x3 and 1x1
// downsamples, bottlenecks) through the implicit GEMM and the fused batch
// norm, max-pool and residual kernels. Batch norm uses its running
// statistics: in training, batch statistics over 2 images of 2x2 maps
// amplify float32 rounding on the way back to relative errors of 1e-2 on
// either GL path, which would hide a small bug; this way every gradient
// must agree to 1e-4 (relative L2 error; it is about 1e-6).
func TestResNetStepMatchesCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("two ResNet steps on a software rasteriser take seconds")
	}
	g := openOrSkip(t)
	for _, name := range []string{"resnet18", "resnet50"} {
		t.Run(name, func(t *testing.T) {
			net, err := models.Graph(name, []int{3, 64, 64}, 10)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			x := make([]float32, 2*3*64*64)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			var losses [2]float32
			var grads [2][][]float32
			var names []string
			for k, be := range []backend.Backend{g, cpu.New()} {
				m, err := nn.Build(net, nil, be, 11, "default")
				if err != nil {
					t.Fatal(err)
				}
				out := m.Forward(&nn.Ctx{}, autograd.Const(tensor.FromData(be, x, 2, 3, 64, 64)))
				loss := autograd.CrossEntropy(out, autograd.OneHot(be, []int32{3, 7}, 10, 0))
				loss.Backward()
				losses[k] = loss.Item()
				for _, p := range m.Params {
					if p.V.Grad != nil {
						grads[k] = append(grads[k], p.V.Grad.Data())
						if k == 0 {
							names = append(names, p.Name)
						}
					}
				}
			}
			if d := math.Abs(float64(losses[0] - losses[1])); d > 1e-4+1e-3*math.Abs(float64(losses[1])) {
				t.Fatalf("loss %v on GL, %v on the CPU", losses[0], losses[1])
			}
			if len(grads[0]) != len(grads[1]) || len(grads[0]) < 20 {
				t.Fatalf("%d gradients on GL, %d on the CPU", len(grads[0]), len(grads[1]))
			}
			worst := 0.0
			for i, gc := range grads[1] {
				var d2, n2 float64
				for j, v := range gc {
					d := float64(grads[0][i][j] - v)
					d2 += d * d
					n2 += float64(v) * float64(v)
				}
				e := math.Sqrt(d2 / max(n2, 1e-30))
				worst = max(worst, e)
				if e > 1e-4 || math.IsNaN(e) {
					t.Errorf("gradient of %s: relative L2 error %.2e on GL, above 1e-4", names[i], e)
				}
			}
			t.Logf("%d gradients, worst relative L2 error %.2e", len(grads[0]), worst)
		})
	}
}

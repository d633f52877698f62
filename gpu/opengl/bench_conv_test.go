//go:build linux || windows

package opengl

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// im2colOnly is the GL backend seen through backend.Backend alone: without
// DirectConv (and the fused kernels) autograd convolves through Im2Col,
// Gemm and Col2Im, the path before the implicit GEMM.
type im2colOnly struct{ backend.Backend }

// envInt reads a positive integer from the environment, else def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkConv times one convolution's forward and backward pass (input,
// weight and bias gradients) through autograd on the GL backend, by the
// implicit GEMM and by the im2col path, on layers of ref-cnn and
// ResNet-50. WORKBENCH_CONV_BATCH sets the batch (default 2, for
// llvmpipe; 16 is ResNet-50's benchmark batch). WORKBENCH_GL_PROFILE=1
// prints each kernel's share.
//
//	go test -run X -bench Conv/ -benchtime 3x ./gpu/opengl
func BenchmarkConv(b *testing.B) {
	g := openOrSkip(b)
	b.Logf("renderer: %s", g.Info())
	batch := envInt("WORKBENCH_CONV_BATCH", 2)
	// The stem's input is the image: training wants no gradient for it
	// (saliency and dream do: the -dx variant).
	layers := []struct {
		name       string
		c, hw, oc  int
		k, s, p, d int
		image      bool
	}{
		{"refcnn-conv2-3x3-32to64-14px", 32, 14, 64, 3, 1, 1, 1, false},
		{"resnet-stem-7x7s2-3to64-224px", 3, 224, 64, 7, 2, 3, 1, true},
		{"resnet-stem-7x7s2-3to64-224px-dx", 3, 224, 64, 7, 2, 3, 1, false},
		{"resnet-layer1-3x3-64to64-56px", 64, 56, 64, 3, 1, 1, 1, false},
		{"resnet-layer1-1x1-256to64-56px", 256, 56, 64, 1, 1, 0, 1, false},
		{"resnet-layer3-3x3s2-256to256-28px", 256, 28, 256, 3, 2, 1, 1, false},
	}
	for _, l := range layers {
		for _, path := range []string{"implicit", "im2col"} {
			b.Run(fmt.Sprintf("%s/b%d/%s", l.name, batch, path), func(b *testing.B) {
				var be backend.Backend = g
				if path == "im2col" {
					be = im2colOnly{g}
				}
				rng := rand.New(rand.NewPCG(1, 2))
				randT := func(shape ...int) *tensor.Tensor {
					d := make([]float32, tensor.Numel(shape))
					for i := range d {
						d[i] = rng.Float32() - 0.5
					}
					return tensor.FromData(be, d, shape...)
				}
				x := autograd.Param(randT(batch, l.c, l.hw, l.hw), "x")
				if l.image {
					x = autograd.Const(x.Value)
				}
				w := autograd.Param(randT(l.oc, l.c, l.k, l.k), "w")
				bias := autograd.Param(randT(l.oc), "b")
				o := autograd.ConvOpts{Stride: [2]int{l.s, l.s}, Pad: [2]int{l.p, l.p}, Dilation: [2]int{l.d, l.d}}
				var dy *tensor.Tensor
				step := func() {
					y := autograd.Conv2d(x, w, bias, o)
					if dy == nil {
						dy = randT(y.Shape()...)
					}
					y.BackwardWith(dy)
					for _, p := range []*autograd.Var{x, w, bias} {
						p.ZeroGrad()
					}
				}
				step() // warm up: buffers enter the pool
				g.Sync()
				profile := os.Getenv("WORKBENCH_GL_PROFILE") == "1"
				if profile {
					g.setProfiling(true)
				}
				b.ResetTimer()
				for range b.N {
					step()
				}
				g.Sync()
				if profile {
					printProfile(b, g.setProfiling(false), b.N)
				}
			})
		}
	}
}

// BenchmarkSpeedrunStep times one training step (forward, cross-entropy,
// backward, SGD) of cifar-speedrun's network (models.Speedrun, ReLU, on
// 3x32x32 images) on each backend and reports images per second
// (gl-im2col: GL without the implicit GEMM and fused kernels).
// WORKBENCH_SPEEDRUN_BATCH sets the batch (default 8, for llvmpipe; the
// recipe trains at 1024).
//
//	go test -run X -bench SpeedrunStep -benchtime 2x ./gpu/opengl
func BenchmarkSpeedrunStep(b *testing.B) {
	batch := envInt("WORKBENCH_SPEEDRUN_BATCH", 8)
	gr, err := models.Speedrun([]int{3, 32, 32}, 10, models.SpeedrunConfig{Act: "relu"})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"gl", "gl-im2col", "cpu"} {
		b.Run(name, func(b *testing.B) {
			var be backend.Backend = cpu.New()
			switch name {
			case "gl":
				be = openOrSkip(b)
			case "gl-im2col": // the GL path before the implicit GEMM and fused kernels
				be = im2colOnly{openOrSkip(b)}
			}
			m, err := nn.Build(gr, nil, be, 1, "default")
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, batch*3*32*32)
			for i := range x {
				x[i] = rng.Float32() - 0.5
			}
			y := make([]int32, batch)
			for i := range y {
				y[i] = int32(i % 10)
			}
			step := func(t int) float32 {
				out := m.Forward(&nn.Ctx{Training: true, Step: uint64(t)}, autograd.Const(tensor.FromData(be, x, batch, 3, 32, 32)))
				loss := autograd.CrossEntropy(out, autograd.OneHot(be, y, 10, 0))
				loss.Backward()
				for _, p := range m.Params {
					if p.V.Grad != nil {
						be.SGDStep(p.V.Value.Buf, p.V.Grad.Buf, nil, 1e-3, 0, 0, false)
					}
					p.V.ZeroGrad()
				}
				l := loss.Item()
				autograd.Release(loss)
				return l
			}
			step(0) // warm up
			profile := name == "gl" && os.Getenv("WORKBENCH_GL_PROFILE") == "1"
			if profile {
				be.(*GL).setProfiling(true)
			}
			b.ResetTimer()
			var l float32
			for i := range b.N {
				l = step(i + 1)
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
			if profile {
				printProfile(b, be.(*GL).setProfiling(false), b.N)
			}
			if l != l {
				b.Fatalf("NaN loss on %s", name)
			}
		})
	}
}

// BenchmarkResNet50 times what `bench --workload resnet50` times, on each
// backend: the forward pass without gradients (fwd) and a training step's
// forward and backward pass (step: batch statistics, weight gradients, the
// activations released as the backward pass goes), at 224x224.
// WORKBENCH_RESNET_BATCH sets the batch (default 1; the workload also
// runs 16). gl-im2col is GL without the implicit GEMM and fused kernels.
//
//	go test -run X -bench ResNet50 -benchtime 1x ./gpu/opengl
func BenchmarkResNet50(b *testing.B) {
	batch := envInt("WORKBENCH_RESNET_BATCH", 1)
	net, err := models.Graph("resnet50", []int{3, 224, 224}, 1000)
	if err != nil {
		b.Fatal(err)
	}
	for _, pass := range []string{"fwd", "step"} {
		for _, name := range []string{"gl", "gl-im2col", "cpu"} {
			b.Run(fmt.Sprintf("b%d/%s/%s", batch, pass, name), func(b *testing.B) {
				var be backend.Backend = cpu.New()
				var gl *GL
				switch name {
				case "gl":
					gl = openOrSkip(b)
					be = gl
				case "gl-im2col":
					gl = openOrSkip(b)
					be = im2colOnly{gl}
				}
				m, err := nn.Build(net, nil, be, 1, "default")
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				pix := make([]float32, batch*3*224*224)
				for i := range pix {
					pix[i] = float32(rng.NormFloat64())
				}
				x := autograd.Const(tensor.FromData(be, pix, batch, 3, 224, 224))
				labels := make([]int32, batch)
				for i := range labels {
					labels[i] = int32(i * 37 % 1000)
				}
				target := autograd.OneHot(be, labels, 1000, 0)
				run := func() {
					if pass == "fwd" {
						y := m.Forward(&nn.Ctx{NoGrad: true}, x)
						be.Free(y.Value.Buf)
					} else {
						for _, p := range m.Params {
							if gr := p.V.Grad; gr != nil {
								be.Free(gr.Buf)
							}
							p.V.ZeroGrad()
						}
						logits := m.Forward(&nn.Ctx{Training: true}, x)
						autograd.CrossEntropy(logits, target).BackwardRelease()
					}
					if gl != nil {
						gl.Sync()
					}
				}
				run() // warm up
				b.ResetTimer()
				for range b.N {
					run()
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

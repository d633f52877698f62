//go:build linux || windows

package opengl

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// benchSizes reads WORKBENCH_GEMM_SIZES ("256,1024,4096"); the default
// suits llvmpipe, where a 4096³ product takes seconds.
func benchSizes(def string) []int {
	s := os.Getenv("WORKBENCH_GEMM_SIZES")
	if s == "" {
		s = def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// BenchmarkSgemm times C = A·B for square float32 matrices on the GL
// backend and reports GFLOPS (2n³ per product), waiting for the GPU.
//
//	go test -run X -bench Sgemm ./gpu/opengl
//	WORKBENCH_GEMM_SIZES=4096 go test -run X -bench Sgemm ./gpu/opengl
func BenchmarkSgemm(b *testing.B) {
	g := openOrSkip(b)
	b.Logf("renderer: %s", g.Info())
	for _, n := range benchSizes("256,1024") {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			data := make([]float32, n*n)
			for i := range data {
				data[i] = rng.Float32() - 0.5
			}
			x, y, z := g.Alloc(n*n), g.Alloc(n*n), g.Alloc(n*n)
			defer func() { g.Free(x); g.Free(y); g.Free(z) }()
			g.Write(x, 0, data)
			g.Write(y, 0, data)
			g.Gemm(false, false, n, n, n, 1, x, 0, n, y, 0, n, 0, z, 0, n) // warm up
			g.Sync()
			b.ResetTimer()
			for range b.N {
				g.Gemm(false, false, n, n, n, 1, x, 0, n, y, 0, n, 0, z, 0, n)
			}
			g.Sync()
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

// printProfile logs each kernel's time per training step, largest first.
func printProfile(b *testing.B, prof map[string]kernelTime, steps int) {
	var names []string
	var total time.Duration
	for k, v := range prof {
		names = append(names, k)
		total += v.total
	}
	sort.Slice(names, func(i, j int) bool { return prof[names[i]].total > prof[names[j]].total })
	for _, k := range names {
		v := prof[k]
		b.Logf("%5.1f%% %4d calls/step %10v/step  %s", 100*v.total.Seconds()/total.Seconds(),
			v.calls/steps, v.total/time.Duration(steps), k)
	}
}

// refCNN is the benchmark workload of CLI.md: conv 3x3 32, ReLU, max-pool,
// conv 3x3 64, ReLU, max-pool, linear 128, ReLU, linear 10, on 1x28x28.
func refCNN() graph.Graph {
	type at = map[string]float64
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: at{"channels": 1, "height": 28, "width": 28}},
		{ID: "conv1", Op: "conv2d", Inputs: []string{"input"}, Attrs: at{"out": 32, "kernel": 3, "pad": 1}},
		{ID: "relu1", Op: "relu", Inputs: []string{"conv1"}},
		{ID: "pool1", Op: "maxpool2d", Inputs: []string{"relu1"}, Attrs: at{"kernel": 2}},
		{ID: "conv2", Op: "conv2d", Inputs: []string{"pool1"}, Attrs: at{"out": 64, "kernel": 3, "pad": 1}},
		{ID: "relu2", Op: "relu", Inputs: []string{"conv2"}},
		{ID: "pool2", Op: "maxpool2d", Inputs: []string{"relu2"}, Attrs: at{"kernel": 2}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"pool2"}},
		{ID: "fc1", Op: "linear", Inputs: []string{"flatten"}, Attrs: at{"out": 128}},
		{ID: "relu3", Op: "relu", Inputs: []string{"fc1"}},
		{ID: "fc2", Op: "linear", Inputs: []string{"relu3"}, Attrs: at{"out": 10}},
	}}
}

// BenchmarkRefCNNStep times one ref-cnn training step (batch 64: forward,
// backward, Adam) on each backend and reports images per second; the loss
// is read back every step, as a training loop that logs it would; gl-im2col
// is the GL backend without its implicit-GEMM convolution and fused kernels
// (the path autograd took before them). With
// WORKBENCH_GL_PROFILE=1 it also prints the GL kernels' share of the time
// (each kernel then waits for the GPU, so the total is slower).
//
//	go test -run X -bench RefCNN ./gpu/opengl
func BenchmarkRefCNNStep(b *testing.B) {
	for _, name := range []string{"gl", "gl-im2col", "cpu"} {
		b.Run(name, func(b *testing.B) {
			var be backend.Backend = cpu.New()
			switch name {
			case "gl":
				be = openOrSkip(b)
			case "gl-im2col": // the GL path before the implicit GEMM and fused kernels
				be = im2colOnly{openOrSkip(b)}
			}
			m, err := nn.Build(refCNN(), nil, be, 1, "default")
			if err != nil {
				b.Fatal(err)
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
			moments := map[*nn.Param][2]*tensor.Tensor{}
			for _, p := range m.Params {
				moments[p] = [2]*tensor.Tensor{tensor.New(be, p.V.Shape()...), tensor.New(be, p.V.Shape()...)}
			}
			step := func(t int) float32 {
				xt := tensor.FromData(be, x, 64, 1, 28, 28)
				out := m.Forward(&nn.Ctx{Training: true}, autograd.Const(xt))
				loss := autograd.CrossEntropy(out, autograd.OneHot(be, y, 10, 0))
				loss.Backward()
				for _, p := range m.Params {
					mv := moments[p]
					be.AdamStep(p.V.Value.Buf, p.V.Grad.Buf, mv[0].Buf, mv[1].Buf,
						backend.AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: t})
					p.V.ZeroGrad()
				}
				return loss.Item()
			}
			step(1) // warm up: buffers enter the pool
			profile := name == "gl" && os.Getenv("WORKBENCH_GL_PROFILE") == "1"
			if profile {
				be.(*GL).setProfiling(true)
			}
			b.ResetTimer()
			var l float32
			for i := range b.N {
				l = step(i + 2)
			}
			b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "images/s")
			if profile {
				printProfile(b, be.(*GL).setProfiling(false), b.N)
			}
			if l != l {
				b.Fatal(fmt.Sprintf("NaN loss on %s", name))
			}
		})
	}
}

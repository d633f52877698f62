package autograd_test

import (
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// hostOnly is the CPU backend without its optional kernels: autograd then
// takes the paths other backends take (host copies, core kernels).
type hostOnly struct{ backend.Backend }

// spatialCases are fast style transfer's ops with the CPU's kernels
// (reflection padding, nearest upsampling, instance norm's backward, alone
// and with a fused ReLU against the two ops on the host path, the banded
// few-output convolution against the whole-image one) on
// inputs large enough to be split between threads.
var spatialCases = []struct {
	name   string
	shapes [][]int
	f      func(v []*autograd.Var) *autograd.Var
}{
	{"reflectpad2d", [][]int{{2, 6, 40, 33}}, func(v []*autograd.Var) *autograd.Var { return autograd.ReflectPad2d(v[0], 4, 3, 2, 4) }},
	{"upsample/2", [][]int{{2, 6, 31, 40}}, func(v []*autograd.Var) *autograd.Var { return autograd.UpsampleNearest2d(v[0], 2) }},
	{"upsample/3", [][]int{{1, 5, 20, 17}}, func(v []*autograd.Var) *autograd.Var { return autograd.UpsampleNearest2d(v[0], 3) }},
	{"instancenorm/shared", [][]int{{2, 6, 50, 41}, {6}, {6}}, func(v []*autograd.Var) *autograd.Var {
		return autograd.InstanceNormAffine(v[0], v[1], v[2], 1e-5)
	}},
	{"instancenorm/per-image", [][]int{{2, 6, 50, 41}, {12}, {12}}, func(v []*autograd.Var) *autograd.Var {
		return autograd.InstanceNormAffine(v[0], v[1], v[2], 1e-5)
	}},
	{"instancenorm+relu/per-image", [][]int{{2, 6, 50, 41}, {12}, {12}}, func(v []*autograd.Var) *autograd.Var {
		return autograd.InstanceNormAffineReLU(v[0], v[1], v[2], 1e-5)
	}},
	{"conv2dfewout/bands", [][]int{{2, 8, 70, 200}, {2, 8, 9, 9}, {2}}, func(v []*autograd.Var) *autograd.Var {
		// Tap planes of 162 rows: bands of 32 input rows, the last of 6.
		return autograd.Conv2dFewOut(v[0], v[1], v[2], autograd.ConvOpts{Pad: [2]int{4, 2}})
	}},
	{"instancenorm/offset", [][]int{{2, 3, 64, 64}}, func(v []*autograd.Var) *autograd.Var {
		// A large mean beside a small spread: the backward pass must not
		// lose the spread to cancellation.
		return autograd.InstanceNormAffine(autograd.Add(v[0], autograd.Const(tensor.Full(v[0].B(), 300, v[0].Shape()...))), nil, nil, 1e-5)
	}},
}

// runSpatial returns the output and the inputs' gradients of case f on b
// under a fixed upstream gradient.
func runSpatial(b backend.Backend, shapes [][]int, f func(v []*autograd.Var) *autograd.Var) (out []float32, grads [][]float32) {
	vs := make([]*autograd.Var, len(shapes))
	for i, s := range shapes {
		vs[i] = autograd.Param(tensor.FromData(b, torchref.Normal(uint64(7+i), tensor.Numel(s), 1), s...), "")
	}
	y := f(vs)
	y.BackwardWith(tensor.FromData(b, torchref.Upstream(y.Value.Len()), y.Shape()...))
	out = y.Value.Data()
	for _, v := range vs {
		grads = append(grads, v.Grad.Data())
	}
	return out, grads
}

// TestSpatialKernelsMatchHostPaths: the CPU's kernels give the values and
// gradients of the host paths (within the tolerances of the PyTorch
// parity tests: a different summation order), and the same bits on 1 and
// 2 threads.
func TestSpatialKernelsMatchHostPaths(t *testing.T) {
	defer cpu.SetThreads(cpu.Threads())
	for _, c := range spatialCases {
		t.Run(c.name, func(t *testing.T) {
			cpu.SetThreads(2)
			out, grads := runSpatial(be, c.shapes, c.f)
			wantOut, wantGrads := runSpatial(hostOnly{be}, c.shapes, c.f)
			near := func(what string, got, want []float32, atol, rtol float64) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, host path %d", what, len(got), len(want))
				}
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > atol+rtol*math.Abs(float64(want[i])) {
						t.Fatalf("%s[%d]: kernel %g, host path %g", what, i, got[i], want[i])
					}
				}
			}
			// The tolerances of the PyTorch parity tests.
			near("output", out, wantOut, 1e-5, 1e-4)
			for i := range grads {
				near("gradient", grads[i], wantGrads[i], 1e-4, 1e-3)
			}
			cpu.SetThreads(1)
			out1, grads1 := runSpatial(be, c.shapes, c.f)
			same := func(what string, a, b []float32) {
				t.Helper()
				for i := range a {
					if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
						t.Fatalf("%s[%d]: %g on 2 threads, %g on 1", what, i, a[i], b[i])
					}
				}
			}
			same("output", out, out1)
			for i := range grads {
				same("gradient", grads[i], grads1[i])
			}
		})
	}
}

package autograd_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// PyTorch parity of every autograd operation: forward values and the
// gradients of every input, for sum(out * gy) with torchref's fixed gy.

var be = cpu.New()

type vars map[string]*autograd.Var

type torchCase struct {
	name   string
	inputs []torchref.Input
	torch  string
	// ours computes the output and any extras to compare with the
	// reference's `extra` dict.
	ours func(v vars) (*autograd.Var, map[string]*tensor.Tensor)
	// fwd and grad override the default tolerances.
	fwd, grad *torchref.Tol
	// check, when set, replaces the standard comparison (ours is unused).
	check func(t *testing.T, r *torchref.Result)
}

// op is a case without extras.
func op(name, torch string, f func(v vars) *autograd.Var, inputs ...torchref.Input) torchCase {
	return torchCase{name: name, torch: torch, inputs: inputs,
		ours: func(v vars) (*autograd.Var, map[string]*tensor.Tensor) { return f(v), nil }}
}

var seed uint64

// in is a differentiable input of standard-normal values times scale.
func in(name string, scale float64, shape ...int) torchref.Input {
	seed++
	return torchref.Input{Name: name, Shape: shape, Data: torchref.Normal(seed, tensor.Numel(shape), scale), Grad: true}
}

// konst is an input without gradient.
func konst(name string, data []float32, shape ...int) torchref.Input {
	return torchref.Input{Name: name, Shape: shape, Data: data}
}

// with replaces an input's values.
func with(i torchref.Input, f func(rng *rand.Rand, v []float32)) torchref.Input {
	seed++
	f(rand.New(rand.NewPCG(seed, 3)), i.Data)
	return i
}

// awayFrom nudges values within m of k outwards, keeping centred
// differences and tie-breaking conventions out of the comparison.
func awayFrom(k, m float32) func(*rand.Rand, []float32) {
	return func(_ *rand.Rand, v []float32) {
		for i, x := range v {
			if d := x - k; d >= 0 && d < m {
				v[i] = k + m + d
			} else if d < 0 && d > -m {
				v[i] = k - m + d
			}
		}
	}
}

// distinct makes every value unique (a shuffled grid): no max ties.
func distinct(rng *rand.Rand, v []float32) {
	for i, p := range rng.Perm(len(v)) {
		v[i] = float32(p-len(v)/2) * 0.1
	}
}

func shift(k float32) func(*rand.Rand, []float32) {
	return func(_ *rand.Rand, v []float32) {
		for i := range v {
			v[i] += k
		}
	}
}

func positive(rng *rand.Rand, v []float32) {
	for i := range v {
		v[i] = 0.3 + 2*rng.Float32()
	}
}

func labelData(n, k int) []float32 {
	rng := rand.New(rand.NewPCG(17, 17))
	l := make([]float32, n)
	for i := range l {
		l[i] = float32(rng.IntN(k))
	}
	return l
}

func labelsOf(v *autograd.Var) []int32 {
	d := v.Value.Data()
	l := make([]int32, len(d))
	for i, x := range d {
		l[i] = int32(x)
	}
	return l
}

func probs(rows, k int) []float32 {
	rng := rand.New(rand.NewPCG(19, 19))
	t := make([]float32, rows*k)
	for r := range rows {
		var s float32
		for j := range k {
			t[r*k+j] = rng.Float32() + 0.05
			s += t[r*k+j]
		}
		for j := range k {
			t[r*k+j] /= s
		}
	}
	return t
}

func conv(o autograd.ConvOpts) func(v vars) *autograd.Var {
	return func(v vars) *autograd.Var { return autograd.Conv2d(v["x"], v["w"], v["b"], o) }
}

func pool(max bool, k, s, p int) func(v vars) *autograd.Var {
	o := autograd.PoolOpts{Kernel: [2]int{k, k}, Stride: [2]int{s, s}, Pad: [2]int{p, p}}
	if max {
		return func(v vars) *autograd.Var { return autograd.MaxPool2d(v["x"], o) }
	}
	return func(v vars) *autograd.Var { return autograd.AvgPool2d(v["x"], o) }
}

func bnCase(name string, shape []int, affine, training bool) torchCase {
	return bnReLUCase(name, shape, affine, training, false)
}

// bnReLUCase is bnCase, with relu through autograd.BatchNormReLU.
func bnReLUCase(name string, shape []int, affine, training, relu bool) torchCase {
	c := shape[1]
	rm := torchref.Normal(91, c, 0.3)
	rv := torchref.Normal(92, c, 0.3)
	for i := range rv {
		rv[i] = 0.5 + rv[i]*rv[i]
	}
	inputs := []torchref.Input{in("x", 1.5, shape...), konst("rm", rm, c), konst("rv", rv, c)}
	code := "rm, rv = T['rm'].clone(), T['rv'].clone()\n"
	if affine {
		inputs = append(inputs, with(in("g", 0.3, c), func(_ *rand.Rand, v []float32) {
			for i := range v {
				v[i] += 1
			}
		}), in("b", 0.5, c))
		code += "out = F.batch_norm(x, rm, rv, g, b, training=%s, momentum=0.1, eps=1e-5)\n"
	} else {
		code += "out = F.batch_norm(x, rm, rv, None, None, training=%s, momentum=0.1, eps=1e-5)\n"
	}
	if training {
		code = fmt.Sprintf(code, "True")
	} else {
		code = fmt.Sprintf(code, "False")
	}
	if relu {
		code += "out = F.relu(out)\n"
	}
	code += "extra['running_mean'], extra['running_var'] = rm, rv"
	return torchCase{name: name, inputs: inputs, torch: code,
		ours: func(v vars) (*autograd.Var, map[string]*tensor.Tensor) {
			st := &autograd.BatchNormState{Mean: v["rm"].Value.Clone(), Var: v["rv"].Value.Clone(), Momentum: 0.1, Eps: 1e-5}
			var out *autograd.Var
			if relu {
				out = autograd.BatchNormReLU(v["x"], v["g"], v["b"], st, training)
			} else {
				out = autograd.BatchNorm(v["x"], v["g"], v["b"], st, training)
			}
			return out, map[string]*tensor.Tensor{"running_mean": st.Mean, "running_var": st.Var}
		}}
}

// bnAddReLUCase is relu(batch_norm(x) + r) through
// autograd.BatchNormAddReLU, gradients to x, gamma, beta and the shortcut r.
func bnAddReLUCase(name string, shape []int, training bool) torchCase {
	c := shape[1]
	rm := torchref.Normal(93, c, 0.3)
	rv := torchref.Normal(94, c, 0.3)
	for i := range rv {
		rv[i] = 0.5 + rv[i]*rv[i]
	}
	inputs := []torchref.Input{in("x", 1.5, shape...), konst("rm", rm, c), konst("rv", rv, c),
		with(in("g", 0.3, c), func(_ *rand.Rand, v []float32) {
			for i := range v {
				v[i] += 1
			}
		}), in("b", 0.5, c), in("r", 1, shape...)}
	mode := "False"
	if training {
		mode = "True"
	}
	code := "rm, rv = T['rm'].clone(), T['rv'].clone()\n" +
		"out = F.relu(F.batch_norm(x, rm, rv, g, b, training=" + mode + ", momentum=0.1, eps=1e-5) + r)\n" +
		"extra['running_mean'], extra['running_var'] = rm, rv"
	return torchCase{name: name, inputs: inputs, torch: code,
		ours: func(v vars) (*autograd.Var, map[string]*tensor.Tensor) {
			st := &autograd.BatchNormState{Mean: v["rm"].Value.Clone(), Var: v["rv"].Value.Clone(), Momentum: 0.1, Eps: 1e-5}
			out := autograd.BatchNormAddReLU(v["x"], v["r"], v["g"], v["b"], st, training)
			return out, map[string]*tensor.Tensor{"running_mean": st.Mean, "running_var": st.Var}
		}}
}

// dropoutCode is backend.Uniform (SplitMix64's finaliser of seed +
// (i+1)·golden) written again in numpy: element i is kept when its draw is
// at least p, and scaled by 1/(1-p).
func dropoutCode(p float32, seed uint64) string {
	return fmt.Sprintf(`p = float(np.float32(%g))
i = np.arange(x.numel(), dtype=np.uint64)
with np.errstate(over='ignore'):
    z = np.uint64(%d) + (i + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
u = (z >> np.uint64(40)).astype(np.float64) / 2.0**24
keep = torch.from_numpy(u >= p).reshape(x.shape)
out = x * keep / (1 - p)`, p, seed)
}

// stochasticDepthCode runs torchvision.ops.stochastic_depth (mode "row")
// with its Bernoulli draws replaced by backend.Uniform's, one per row, as
// dropoutCode computes them.
func stochasticDepthCode(p float32, seed uint64) string {
	return fmt.Sprintf(`import torchvision.ops
p = float(np.float32(%g))
i = np.arange(x.shape[0], dtype=np.uint64)
with np.errstate(over='ignore'):
    z = np.uint64(%d) + (i + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
u = (z >> np.uint64(40)).astype(np.float64) / 2.0**24
keep = torch.from_numpy(u >= p).to(x.dtype)
assert 0 < int(keep.sum()) < x.shape[0], "pick a seed that keeps some rows and drops others"
orig = torch.Tensor.bernoulli_
torch.Tensor.bernoulli_ = lambda self, q=0.5: self.copy_(keep.view_as(self))
try:
    out = torchvision.ops.stochastic_depth(x, p, "row", True)
finally:
    torch.Tensor.bernoulli_ = orig`, p, seed)
}

func opCases() []torchCase {
	seed = 0
	away := awayFrom(0, 0.01)
	lab := konst("y", labelData(5, 7), 5)
	hingeCode := func(sq bool) string {
		s := "yl = y.long()\nm = (s - s.gather(1, yl[:, None]) + 1).clamp(min=0)\nm = m.scatter(1, yl[:, None], 0.0)\n"
		if sq {
			s += "m = m * m\n"
		}
		return s + "out = m.sum() / s.shape[0]"
	}
	hingeScores := with(in("s", 1, 5, 7), func(rng *rand.Rand, v []float32) {
		l := labelData(5, 7)
		for r := range 5 {
			row := v[r*7 : (r+1)*7]
			for j := range row {
				for j != int(l[r]) && math.Abs(float64(row[j]-row[int(l[r])]+1)) < 0.01 {
					row[j] += 0.03
				}
			}
		}
	})
	return []torchCase{
		// Activations and elementwise maths.
		op("relu", "out = F.relu(x)", func(v vars) *autograd.Var { return autograd.ReLU(v["x"]) }, with(in("x", 1, 3, 7), away)),
		op("leakyrelu", "out = F.leaky_relu(x, 0.1)", func(v vars) *autograd.Var { return autograd.LeakyReLU(v["x"], 0.1) }, with(in("x", 1, 3, 7), away)),
		op("elu", "out = F.elu(x, 1.3)", func(v vars) *autograd.Var { return autograd.ELU(v["x"], 1.3) }, with(in("x", 2, 3, 7), away)),
		op("selu", "out = F.selu(x)", func(v vars) *autograd.Var { return autograd.SELU(v["x"]) }, with(in("x", 2, 3, 7), away)),
		op("gelu", "out = F.gelu(x)", func(v vars) *autograd.Var { return autograd.GELU(v["x"]) }, in("x", 2, 3, 7)),
		op("sigmoid", "out = torch.sigmoid(x)", func(v vars) *autograd.Var { return autograd.Sigmoid(v["x"]) }, in("x", 4, 3, 7)),
		op("tanh", "out = torch.tanh(x)", func(v vars) *autograd.Var { return autograd.Tanh(v["x"]) }, in("x", 2, 3, 7)),
		op("exp", "out = torch.exp(x)", func(v vars) *autograd.Var { return autograd.Exp(v["x"]) }, in("x", 1, 3, 7)),
		op("log", "out = torch.log(x)", func(v vars) *autograd.Var { return autograd.Log(v["x"]) }, with(in("x", 1, 3, 7), positive)),
		op("sqrt", "out = torch.sqrt(x)", func(v vars) *autograd.Var { return autograd.Sqrt(v["x"]) }, with(in("x", 1, 3, 7), positive)),
		op("abs", "out = torch.abs(x)", func(v vars) *autograd.Var { return autograd.Abs(v["x"]) }, with(in("x", 1, 3, 7), away)),
		op("square", "out = x * x", func(v vars) *autograd.Var { return autograd.Square(v["x"]) }, in("x", 1, 3, 7)),
		op("neg", "out = -x", func(v vars) *autograd.Var { return autograd.Neg(v["x"]) }, in("x", 1, 3, 7)),
		op("pow1.7", "out = x ** 1.7", func(v vars) *autograd.Var { return autograd.Pow(v["x"], 1.7) }, with(in("x", 1, 3, 7), positive)),
		op("pow-0.5", "out = x ** -0.5", func(v vars) *autograd.Var { return autograd.Pow(v["x"], -0.5) }, with(in("x", 1, 3, 7), positive)),
		op("addscalar", "out = x + 0.7", func(v vars) *autograd.Var { return autograd.AddScalar(v["x"], 0.7) }, in("x", 1, 3, 7)),
		op("scale", "out = x * -1.9", func(v vars) *autograd.Var { return autograd.Scale(v["x"], -1.9) }, in("x", 1, 3, 7)),
		op("clamp", "out = torch.clamp(x, -0.5, 0.8)", func(v vars) *autograd.Var { return autograd.Clamp(v["x"], -0.5, 0.8) },
			with(with(in("x", 1, 3, 7), awayFrom(-0.5, 0.01)), awayFrom(0.8, 0.01))),

		// Broadcasting binary ops.
		op("add/bcast", "out = a + b", func(v vars) *autograd.Var { return autograd.Add(v["a"], v["b"]) }, in("a", 1, 2, 3, 4), in("b", 1, 3, 1)),
		op("add/scalar-tensor", "out = a + b", func(v vars) *autograd.Var { return autograd.Add(v["a"], v["b"]) }, in("a", 1, 2, 3), in("b", 1, 1)),
		op("sub/bcast", "out = a - b", func(v vars) *autograd.Var { return autograd.Sub(v["a"], v["b"]) }, in("a", 1, 2, 1, 4), in("b", 1, 3, 4)),
		op("mul/bcast", "out = a * b", func(v vars) *autograd.Var { return autograd.Mul(v["a"], v["b"]) }, in("a", 1, 4), in("b", 1, 2, 3, 4)),
		op("mul/outer", "out = a * b", func(v vars) *autograd.Var { return autograd.Mul(v["a"], v["b"]) }, in("a", 1, 5, 1), in("b", 1, 1, 6)),
		op("div/bcast", "out = a / b", func(v vars) *autograd.Var { return autograd.Div(v["a"], v["b"]) }, in("a", 1, 2, 3, 4), with(in("b", 1, 2, 1, 4), awayFrom(0, 0.5))),
		op("maximum/bcast", "out = torch.maximum(a, b)", func(v vars) *autograd.Var { return autograd.Maximum(v["a"], v["b"]) },
			with(in("a", 1, 2, 3, 4), distinct), with(in("b", 1, 3, 1), func(_ *rand.Rand, v []float32) { v[0], v[1], v[2] = 0.05, -0.25, 0.33 })),
		op("minimum", "out = torch.minimum(a, b)", func(v vars) *autograd.Var { return autograd.Minimum(v["a"], v["b"]) },
			with(in("a", 1, 3, 4), distinct), with(in("b", 1, 3, 4), func(_ *rand.Rand, v []float32) {
				for i := range v {
					v[i] = 0.03 + 0.1*float32(i%5) - 0.2
				}
			})),

		// Shapes and reductions.
		op("reshape", "out = torch.tanh(x.reshape(4, -1))", func(v vars) *autograd.Var { return autograd.Tanh(autograd.Reshape(v["x"], 4, -1)) }, in("x", 1, 2, 3, 4)),
		op("flatten", "out = x.flatten(1)", func(v vars) *autograd.Var { return autograd.Flatten(v["x"]) }, in("x", 1, 2, 3, 2, 2)),
		op("sumaxis1", "out = x.sum(1, keepdim=True)", func(v vars) *autograd.Var { return autograd.SumAxis(v["x"], 1) }, in("x", 1, 2, 3, 4)),
		op("meanaxis-1", "out = x.mean(-1, keepdim=True)", func(v vars) *autograd.Var { return autograd.MeanAxis(v["x"], -1) }, in("x", 1, 2, 3, 5)),
		op("maxaxis0", "out = x.max(0, keepdim=True)[0]", func(v vars) *autograd.Var { return autograd.MaxAxis(v["x"], 0) }, with(in("x", 1, 3, 2, 4), distinct)),
		// Ties share the gradient (a subgradient, as torch.amax); giving
		// each tied element the whole gradient would multiply it.
		op("maxaxis/ties", "out = x.amax(1, keepdim=True)", func(v vars) *autograd.Var { return autograd.MaxAxis(v["x"], 1) },
			with(in("x", 1, 2, 4, 3), func(_ *rand.Rand, v []float32) {
				copy(v, []float32{1, 2, 3, 1, 5, 3, 0, 5, 3, 1, 5, 2, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7})
			})),
		op("maxout/ties", "out = x.view(2, 2, 2, 3).amax(2)", func(v vars) *autograd.Var { return autograd.Maxout(v["x"], 2) },
			with(in("x", 1, 2, 4, 3), func(_ *rand.Rand, v []float32) {
				for i := range v {
					v[i] = float32(i % 3) // every pair of channels ties
				}
			})),
		op("sum", "out = x.sum()", func(v vars) *autograd.Var { return autograd.Sum(v["x"]) }, in("x", 1, 3, 5)),
		op("mean", "out = x.mean()", func(v vars) *autograd.Var { return autograd.Mean(v["x"]) }, in("x", 1, 3, 5)),
		op("concat", "out = torch.cat([a, b, c], 1)", func(v vars) *autograd.Var { return autograd.Concat(v["a"], v["b"], v["c"]) },
			in("a", 1, 2, 1, 3, 2), in("b", 1, 2, 3, 3, 2), in("c", 1, 2, 2, 3, 2)),

		// Dense layers.
		op("matmul", "out = a @ b", func(v vars) *autograd.Var { return autograd.MatMul(v["a"], v["b"]) }, in("a", 1, 3, 5), in("b", 1, 5, 4)),
		op("matmul/odd", "out = a @ b", func(v vars) *autograd.Var { return autograd.MatMul(v["a"], v["b"]) }, in("a", 1, 17, 33), in("b", 1, 33, 9)),
		op("linear", "out = F.linear(x, w, b)", func(v vars) *autograd.Var { return autograd.Linear(v["x"], v["w"], v["b"]) }, in("x", 1, 3, 6), in("w", 0.4, 4, 6), in("b", 1, 4)),
		op("linear/nobias", "out = F.linear(x, w)", func(v vars) *autograd.Var { return autograd.Linear(v["x"], v["w"], nil) }, in("x", 1, 5, 7), in("w", 0.4, 3, 7)),

		// Convolutions.
		op("conv/3to5-k3-s2-p1", "out = F.conv2d(x, w, b, stride=2, padding=1)",
			conv(autograd.ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{1, 1}}), in("x", 1, 2, 3, 7, 9), in("w", 0.3, 5, 3, 3, 3), in("b", 1, 5)),
		op("conv/dilation2-p2", "out = F.conv2d(x, w, b, padding=2, dilation=2)",
			conv(autograd.ConvOpts{Pad: [2]int{2, 2}, Dilation: [2]int{2, 2}}), in("x", 1, 2, 3, 7, 9), in("w", 0.3, 4, 3, 3, 3), in("b", 1, 4)),
		op("conv/groups2", "out = F.conv2d(x, w, b, padding=1, groups=2)",
			conv(autograd.ConvOpts{Pad: [2]int{1, 1}, Groups: 2}), in("x", 1, 2, 4, 5, 6), in("w", 0.3, 6, 2, 3, 3), in("b", 1, 6)),
		op("conv/depthwise-s2", "out = F.conv2d(x, w, b, stride=2, padding=1, groups=5)",
			conv(autograd.ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{1, 1}, Groups: 5}), in("x", 1, 2, 5, 7, 9), in("w", 0.3, 5, 1, 3, 3), in("b", 1, 5)),
		op("conv/1x1", "out = F.conv2d(x, w, b)", conv(autograd.ConvOpts{}), in("x", 1, 3, 5, 4, 3), in("w", 0.3, 7, 5, 1, 1), in("b", 1, 7)),
		op("conv/5x5-s2-p2-nobias", "out = F.conv2d(x, w, None, stride=2, padding=2)",
			func(v vars) *autograd.Var {
				return autograd.Conv2d(v["x"], v["w"], nil, autograd.ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{2, 2}})
			}, in("x", 1, 2, 3, 9, 7), in("w", 0.2, 4, 3, 5, 5)),
		// Planes of 40x40 and more take the CPU backend's Winograd path
		// (forward and input gradient), batch 1 and 2, odd sizes.
		op("conv/winograd-p1", "out = F.conv2d(x, w, b, padding=1)",
			conv(autograd.ConvOpts{Pad: [2]int{1, 1}}), in("x", 1, 1, 8, 41, 45), in("w", 0.2, 6, 8, 3, 3), in("b", 1, 6)),
		op("conv/winograd-p0-batch2", "out = F.conv2d(x, w, b)",
			conv(autograd.ConvOpts{}), in("x", 1, 2, 5, 44, 42), in("w", 0.2, 7, 5, 3, 3), in("b", 1, 7)),
		op("conv/rect", "out = F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2))",
			conv(autograd.ConvOpts{Stride: [2]int{2, 1}, Pad: [2]int{1, 0}, Dilation: [2]int{1, 2}}), in("x", 1, 2, 3, 6, 7), in("w", 0.3, 2, 3, 2, 3), in("b", 1, 2)),

		// Pooling.
		op("maxpool/k3-s2-p1", "out = F.max_pool2d(x, 3, 2, 1)", pool(true, 3, 2, 1), with(in("x", 1, 2, 3, 7, 9), distinct)),
		op("maxpool/2x2-odd", "out = F.max_pool2d(x, 2)", pool(true, 2, 2, 0), with(in("x", 1, 2, 3, 7, 9), distinct)),
		op("maxpool/k3-s1", "out = F.max_pool2d(x, 3, 1)", pool(true, 3, 1, 0), with(in("x", 1, 1, 2, 5, 6), distinct)),
		// Plateaus: the first maximum in row-major order takes the gradient,
		// as in PyTorch.
		op("maxpool/ties", "out = F.max_pool2d(x, 3, 2, 1)", pool(true, 3, 2, 1), with(in("x", 1, 1, 2, 6, 7), func(_ *rand.Rand, v []float32) {
			for i := range v {
				v[i] = float32((i / 3) % 2)
			}
		})),
		op("maxpool/ties-2x2", "out = F.max_pool2d(x, 2)", pool(true, 2, 2, 0), with(in("x", 1, 1, 2, 6, 7), func(_ *rand.Rand, v []float32) {
			for i := range v {
				v[i] = float32(i % 2)
			}
		})),
		// The fused ReLU + max-pool against torch's unfused pair, with
		// negative windows, zeros and ties among them.
		op("maxpool-relu/2x2", "out = F.max_pool2d(F.relu(x), 2)", func(v vars) *autograd.Var {
			return autograd.MaxPool2dReLU(v["x"], autograd.PoolOpts{Kernel: [2]int{2, 2}})
		}, with(in("x", 1, 2, 3, 7, 9), distinct)),
		op("maxpool-relu/k3-s2-p1-ties", "out = F.max_pool2d(F.relu(x), 3, 2, 1)", func(v vars) *autograd.Var {
			return autograd.MaxPool2dReLU(v["x"], autograd.PoolOpts{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [2]int{1, 1}})
		}, with(in("x", 1, 2, 2, 6, 7), func(_ *rand.Rand, v []float32) {
			for i := range v {
				v[i] = float32((i/3)%3) - 1 // -1, 0, 1 plateaus
			}
		})),
		op("avgpool/k3-s2-p1", "out = F.avg_pool2d(x, 3, 2, 1)", pool(false, 3, 2, 1), in("x", 1, 2, 3, 7, 9)),
		op("avgpool/2x2-odd", "out = F.avg_pool2d(x, 2)", pool(false, 2, 2, 0), in("x", 1, 2, 3, 7, 9)),
		op("adaptiveavgpool/7x9-to-3x4", "out = F.adaptive_avg_pool2d(x, (3, 4))",
			func(v vars) *autograd.Var { return autograd.AdaptiveAvgPool2d(v["x"], 3, 4) }, in("x", 1, 2, 3, 7, 9)),
		op("adaptiveavgpool/5x7-to-4x5", "out = F.adaptive_avg_pool2d(x, (4, 5))",
			func(v vars) *autograd.Var { return autograd.AdaptiveAvgPool2d(v["x"], 4, 5) }, in("x", 1, 2, 2, 5, 7)),
		op("adaptiveavgpool/3x4-up-to-5x6", "out = F.adaptive_avg_pool2d(x, (5, 6))",
			func(v vars) *autograd.Var { return autograd.AdaptiveAvgPool2d(v["x"], 5, 6) }, in("x", 1, 1, 2, 3, 4)),
		op("globalavgpool", "out = x.mean((2, 3), keepdim=True)", func(v vars) *autograd.Var { return autograd.GlobalAvgPool(v["x"]) }, in("x", 1, 2, 3, 5, 4)),

		// Softmax.
		op("softmax", "out = F.softmax(x, -1)", func(v vars) *autograd.Var { return autograd.Softmax(v["x"]) }, in("x", 3, 4, 7)),
		op("logsoftmax", "out = F.log_softmax(x, -1)", func(v vars) *autograd.Var { return autograd.LogSoftmax(v["x"]) }, in("x", 3, 4, 7)),
		op("softmax/large-logits", "out = F.softmax(x, -1)", func(v vars) *autograd.Var { return autograd.Softmax(v["x"]) }, in("x", 40, 3, 6)),
		op("logsoftmax/large-logits", "out = F.log_softmax(x, -1)", func(v vars) *autograd.Var { return autograd.LogSoftmax(v["x"]) }, in("x", 40, 3, 6)),

		// Normalisation.
		bnCase("batchnorm2d/train", []int{4, 3, 3, 2}, true, true),
		bnCase("batchnorm2d/train-noaffine", []int{3, 5, 2, 3}, false, true),
		bnCase("batchnorm2d/train-odd", []int{2, 5, 7, 9}, true, true),
		bnReLUCase("batchnorm2d-relu/train", []int{2, 5, 7, 9}, true, true, true),
		bnReLUCase("batchnorm2d-relu/train-noaffine", []int{3, 4, 3, 5}, false, true, true),
		bnReLUCase("batchnorm2d-relu/eval", []int{2, 5, 7, 9}, true, false, true),
		bnCase("batchnorm2d/eval", []int{4, 3, 3, 2}, true, false),
		bnCase("batchnorm1d/train", []int{6, 4}, true, true),
		bnCase("batchnorm1d/eval", []int{6, 4}, true, false),
		op("groupnorm", "out = F.group_norm(x, 2, g, b, 1e-5)", func(v vars) *autograd.Var { return autograd.GroupNorm(v["x"], 2, v["g"], v["b"], 1e-5) },
			in("x", 2, 2, 6, 3, 2), in("g", 1, 6), in("b", 1, 6)),
		op("layernorm", "out = F.layer_norm(x, x.shape[1:], g, b, 1e-5)", func(v vars) *autograd.Var { return autograd.LayerNorm(v["x"], 12, v["g"], v["b"], 1e-5) },
			in("x", 2, 3, 2, 2, 3), in("g", 1, 2, 2, 3), in("b", 1, 2, 2, 3)),
		op("layernorm/last", "out = F.layer_norm(x, (5,), g, b, 1e-5)", func(v vars) *autograd.Var { return autograd.LayerNorm(v["x"], 5, v["g"], v["b"], 1e-5) },
			in("x", 2, 3, 4, 5), in("g", 1, 5), in("b", 1, 5)),
		// Statistics far from zero: a float32 running sum loses the mean
		// (regression: the CPU Reduce now sums in float64).
		op("layernorm/far-from-zero", "out = F.layer_norm(x, x.shape[1:], g, b, 1e-5)",
			func(v vars) *autograd.Var { return autograd.LayerNorm(v["x"], 64*32*32, v["g"], v["b"], 1e-5) },
			with(in("x", 1, 2, 64, 32, 32), shift(100)), in("g", 1, 64, 32, 32), in("b", 1, 64, 32, 32)),
		op("groupnorm/far-from-zero", "out = F.group_norm(x, 2, g, b, 1e-5)", func(v vars) *autograd.Var { return autograd.GroupNorm(v["x"], 2, v["g"], v["b"], 1e-5) },
			with(in("x", 1, 4, 6, 8, 8), shift(100)), in("g", 1, 6), in("b", 1, 6)),
		op("instancenorm/pixels", "out = F.instance_norm(x, eps=1e-5)", func(v vars) *autograd.Var { return autograd.InstanceNorm(v["x"], nil, nil, 1e-5) },
			with(in("x", 30, 2, 3, 16, 16), shift(128))),
		op("instancenorm", "out = F.instance_norm(x, eps=1e-5)", func(v vars) *autograd.Var { return autograd.InstanceNorm(v["x"], nil, nil, 1e-5) }, in("x", 2, 2, 3, 3, 3)),
		op("instancenorm/affine", "out = F.instance_norm(x, weight=g, bias=b, eps=1e-5)", func(v vars) *autograd.Var { return autograd.InstanceNorm(v["x"], v["g"], v["b"], 1e-5) },
			in("x", 2, 2, 3, 3, 3), in("g", 1, 3), in("b", 1, 3)),
		// Fused instance norm (fast style transfer): a shared affine, and
		// conditional instance norm's affine per image and channel.
		op("instancenormaffine", "out = F.instance_norm(x, weight=g, bias=b, eps=1e-5)",
			func(v vars) *autograd.Var { return autograd.InstanceNormAffine(v["x"], v["g"], v["b"], 1e-5) },
			with(in("x", 3, 2, 3, 5, 4), shift(50)), in("g", 1, 3), in("b", 1, 3)),
		op("instancenormaffine/per-image", "out = F.instance_norm(x, eps=1e-5) * g.reshape(2, 3, 1, 1) + b.reshape(2, 3, 1, 1)",
			func(v vars) *autograd.Var { return autograd.InstanceNormAffine(v["x"], v["g"], v["b"], 1e-5) },
			in("x", 2, 2, 3, 4, 6), in("g", 1, 2, 3), in("b", 1, 2, 3)),
		op("upsamplenearest2d", "out = F.interpolate(x, scale_factor=2, mode='nearest')",
			func(v vars) *autograd.Var { return autograd.UpsampleNearest2d(v["x"], 2) }, in("x", 1, 2, 3, 4, 5)),
		op("conv2d/few-outputs-kn2row", "out = F.conv2d(x, w, b, padding=(2, 1))",
			func(v vars) *autograd.Var {
				return autograd.Conv2dFewOut(v["x"], v["w"], v["b"], autograd.ConvOpts{Pad: [2]int{2, 1}})
			}, in("x", 1, 2, 8, 7, 6), in("w", 0.3, 2, 8, 5, 3), in("b", 1, 2)),
		op("conv2d/few-outputs-9x9", "out = F.conv2d(x, w, b, padding=4)",
			func(v vars) *autograd.Var {
				return autograd.Conv2dFewOut(v["x"], v["w"], v["b"], autograd.ConvOpts{Pad: [2]int{4, 4}})
			}, in("x", 1, 2, 12, 10, 11), in("w", 0.1, 3, 12, 9, 9), in("b", 1, 3)),
		op("batchgram", "m = x.reshape(2, 4, -1); out = m @ m.transpose(1, 2) / m[0].numel()",
			func(v vars) *autograd.Var { return autograd.BatchGram(v["x"]) }, in("x", 1, 2, 4, 3, 5)),
		op("lrn/size3", "out = F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.0)",
			func(v vars) *autograd.Var { return autograd.LocalResponseNorm(v["x"], 3, 0.5, 0.75, 1) }, in("x", 1, 2, 5, 3, 2)),
		op("lrn/size5-alexnet", "out = F.local_response_norm(x, 5, alpha=1e-4, beta=0.75, k=2.0)",
			func(v vars) *autograd.Var { return autograd.LocalResponseNorm(v["x"], 5, 1e-4, 0.75, 2) }, in("x", 3, 2, 7, 2, 3)),
		op("lrn/size5-strong", "out = F.local_response_norm(x, 5, alpha=2.0, beta=0.6, k=1.5)",
			func(v vars) *autograd.Var { return autograd.LocalResponseNorm(v["x"], 5, 2, 0.6, 1.5) }, in("x", 1, 2, 3, 2, 3)),

		// Learned activations.
		op("prelu/per-channel", "out = F.prelu(x, a)", func(v vars) *autograd.Var { return autograd.PReLU(v["x"], v["a"]) },
			with(in("x", 1, 2, 3, 2, 2), away), in("a", 0.3, 3)),
		op("prelu/shared", "out = F.prelu(x, a)", func(v vars) *autograd.Var { return autograd.PReLU(v["x"], v["a"]) },
			with(in("x", 1, 2, 3, 4), away), in("a", 0.3, 1)),
		op("maxout/3-pieces", "out = x.view(2, 2, 3, 2, 3).max(2)[0]", func(v vars) *autograd.Var { return autograd.Maxout(v["x"], 3) },
			with(in("x", 1, 2, 6, 2, 3), distinct)),

		// Inverted dropout, with the mask recomputed in Python from the
		// documented counter-based hash (backend.Uniform).
		op("dropout/p0.3", dropoutCode(0.3, 12345), func(v vars) *autograd.Var { return autograd.Dropout(v["x"], 0.3, 12345) }, in("x", 1, 4, 3, 5)),
		op("dropout/p0.8", dropoutCode(0.8, 1<<40), func(v vars) *autograd.Var { return autograd.Dropout(v["x"], 0.8, 1<<40) }, in("x", 1, 50)),
		// Stochastic depth: torchvision's function with its Bernoulli draws
		// replaced by the counter-based hash's, one per row.
		op("stochasticdepth/row", stochasticDepthCode(0.5, 777), func(v vars) *autograd.Var { return autograd.StochasticDepth(v["x"], 0.5, true, 777) }, in("x", 1, 8, 2, 2, 3)),

		// The mobile networks' activations and channel plumbing.
		op("hardsigmoid", "out = F.hardsigmoid(x)", func(v vars) *autograd.Var { return autograd.HardSigmoid(v["x"]) },
			with(with(in("x", 3, 3, 4, 5), awayFrom(3, 0.02)), awayFrom(-3, 0.02))),
		op("hardswish", "out = F.hardswish(x)", func(v vars) *autograd.Var { return autograd.HardSwish(v["x"]) },
			with(with(in("x", 3, 3, 4, 5), awayFrom(3, 0.02)), awayFrom(-3, 0.02))),
		op("silu", "out = F.silu(x)", func(v vars) *autograd.Var { return autograd.SiLU(v["x"]) }, in("x", 3, 3, 4, 5)),
		op("permute", "out = x.permute(2, 0, 3, 1)", func(v vars) *autograd.Var { return autograd.Permute(v["x"], 2, 0, 3, 1) }, in("x", 1, 2, 3, 4, 5)),
		op("channelshuffle", "from torchvision.models.shufflenetv2 import channel_shuffle\nout = channel_shuffle(x, 3)",
			func(v vars) *autograd.Var { return autograd.ChannelShuffle(v["x"], 3) }, in("x", 1, 2, 6, 3, 2)),
		op("slicechannels", "out = x[:, 1:4]", func(v vars) *autograd.Var { return autograd.SliceChannels(v["x"], 1, 4) }, in("x", 1, 2, 5, 3, 2)),

		// Losses.
		op("crossentropy/soft-targets", "out = F.cross_entropy(x, t)", func(v vars) *autograd.Var { return autograd.CrossEntropy(v["x"], v["t"].Value) },
			in("x", 2, 4, 5), konst("t", probs(4, 5), 4, 5)),
		op("crossentropy/label-smoothing", "out = F.cross_entropy(x, y.long(), label_smoothing=0.1)",
			func(v vars) *autograd.Var {
				return autograd.CrossEntropy(v["x"], autograd.OneHot(be, labelsOf(v["y"]), 7, 0.1))
			}, in("x", 2, 5, 7), lab),
		op("crossentropy/large-logits", "out = F.cross_entropy(x, y.long())",
			func(v vars) *autograd.Var {
				return autograd.CrossEntropy(v["x"], autograd.OneHot(be, labelsOf(v["y"]), 7, 0))
			}, in("x", 50, 5, 7), lab),
		op("hinge", hingeCode(false), func(v vars) *autograd.Var { return autograd.Hinge(v["s"], labelsOf(v["y"]), 1, false) }, hingeScores, lab),
		op("hinge/squared", hingeCode(true), func(v vars) *autograd.Var { return autograd.Hinge(v["s"], labelsOf(v["y"]), 1, true) }, hingeScores, lab),
		op("mse", "out = F.mse_loss(p, t)", func(v vars) *autograd.Var { return autograd.MSE(v["p"], v["t"].Value) }, in("p", 1, 3, 4), konst("t", torchref.Normal(5, 12, 1), 3, 4)),
		op("l1", "out = a.abs().sum() + b.abs().sum()", func(v vars) *autograd.Var { return autograd.L1Penalty([]*autograd.Var{v["a"], v["b"]}) },
			with(in("a", 1, 3, 4), away), with(in("b", 1, 5), away)),
		op("l2", "out = (a * a).sum() + (b * b).sum()", func(v vars) *autograd.Var { return autograd.L2Penalty([]*autograd.Var{v["a"], v["b"]}) },
			in("a", 1, 3, 4), in("b", 1, 5)),
		op("elasticnet", "out = 0.3 * (a.abs().sum() + b.abs().sum()) + 0.7 * ((a * a).sum() + (b * b).sum())",
			func(v vars) *autograd.Var { return autograd.ElasticNet([]*autograd.Var{v["a"], v["b"]}, 0.3, 0.7) },
			with(in("a", 1, 3, 4), away), with(in("b", 1, 5), away)),

		// Fused ops (last: their inputs do not shift the seeds of the cases above).
		op("add-relu", "out = F.relu(a + b)", func(v vars) *autograd.Var { return autograd.AddReLU(v["a"], v["b"]) }, in("a", 1, 2, 3, 5, 7), in("b", 1, 2, 3, 5, 7)),
		op("add-relu/broadcast", "out = F.relu(a + b)", func(v vars) *autograd.Var { return autograd.AddReLU(v["a"], v["b"]) }, in("a", 1, 2, 3, 4), in("b", 1, 3, 1)),
		// Small planes with two or more images take the CPU backend's
		// whole-batch path, one GEMM over the column matrix of the batch
		// (last too).
		op("conv/batched-3x3-s2-odd-batch", "out = F.conv2d(x, w, b, stride=2, padding=1)",
			conv(autograd.ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{1, 1}}), in("x", 1, 5, 64, 13, 14), in("w", 0.05, 64, 64, 3, 3), in("b", 1, 64)),
		op("conv/batched-1x1-7x7", "out = F.conv2d(x, w, b)",
			conv(autograd.ConvOpts{}), in("x", 1, 3, 128, 7, 7), in("w", 0.1, 256, 128, 1, 1), in("b", 1, 256)),
		op("conv/batched-winograd", "out = F.conv2d(x, w, b, padding=1)",
			conv(autograd.ConvOpts{Pad: [2]int{1, 1}}), in("x", 1, 3, 128, 10, 11), in("w", 0.03, 130, 128, 3, 3), in("b", 1, 130)),
	}
}

func TestTorchParityOps(t *testing.T) {
	// Cases added later go last: the inputs' seeds run in order, and
	// shifting them changes every later case's data.
	cases := append(opCases(), repeatedBackwardCase(),
		bnAddReLUCase("batchnorm2d-add-relu/train", []int{2, 5, 7, 9}, true),
		bnAddReLUCase("batchnorm2d-add-relu/eval", []int{3, 4, 3, 5}, false))
	refs := make([]torchref.Case, len(cases))
	for i, c := range cases {
		refs[i] = torchref.Case{Name: c.name, Inputs: c.inputs, Code: c.torch}
	}
	res := torchref.Run(t, refs)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := res[c.name]
			if r == nil {
				t.Fatal("no reference result")
			}
			if c.check != nil {
				c.check(t, r)
				return
			}
			runCase(t, c, r)
		})
	}
}

func runCase(t *testing.T, c torchCase, r *torchref.Result) {
	t.Helper()
	v := vars{}
	for _, i := range c.inputs {
		x := tensor.FromData(be, append([]float32(nil), i.Data...), i.Shape...)
		if i.Grad {
			v[i.Name] = autograd.Param(x, i.Name)
		} else {
			v[i.Name] = autograd.Const(x)
		}
	}
	out, extra := c.ours(v)
	fwd, grad := torchref.Forward, torchref.Gradient
	if c.fwd != nil {
		fwd = *c.fwd
	}
	if c.grad != nil {
		grad = *c.grad
	}
	torchref.Compare(t, "forward", out.Value.Data(), out.Shape(), r.Out, fwd)
	for name, want := range r.Extra {
		got, ok := extra[name]
		if !ok {
			t.Errorf("no %s to compare", name)
			continue
		}
		torchref.Compare(t, name, got.Data(), got.Shape, want, fwd)
	}
	out.BackwardWith(tensor.FromData(be, torchref.Upstream(out.Value.Len()), out.Shape()...))
	for _, i := range c.inputs {
		if !i.Grad {
			continue
		}
		g := v[i.Name].Grad
		if g == nil {
			g = tensor.New(be, i.Shape...)
		}
		torchref.Compare(t, "grad "+i.Name, g.Data(), g.Shape, r.Grad[i.Name], grad)
	}
}

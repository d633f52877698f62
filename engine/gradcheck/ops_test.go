package gradcheck

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/tensor"
)

var be = cpu.New()

// in describes one input of an op case.
type in struct {
	shape []int
	// gen makes the values; nil is standard normal.
	gen func(rng *rand.Rand, n int) []float32
	// konst makes the input a constant (no gradient checked).
	konst bool
}

func normal(scale float64) func(*rand.Rand, int) []float32 {
	return func(rng *rand.Rand, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
}

// awayFrom is normal values at least margin away from each point in kinks,
// so that no centred difference straddles a kink.
func awayFrom(margin float64, kinks ...float64) func(*rand.Rand, int) []float32 {
	return func(rng *rand.Rand, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
		retry:
			x := rng.NormFloat64()
			for _, k := range kinks {
				if math.Abs(x-k) < margin {
					goto retry
				}
			}
			v[i] = float32(x)
		}
		return v
	}
}

// awayFromScaled is awayFrom for normal values of the given spread.
func awayFromScaled(scale, margin float64, kinks ...float64) func(*rand.Rand, int) []float32 {
	return func(rng *rand.Rand, n int) []float32 {
		v := awayFrom(margin/scale, scaled(kinks, 1/scale)...)(rng, n)
		for i := range v {
			v[i] *= float32(scale)
		}
		return v
	}
}

func scaled(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * f
	}
	return out
}

// distinct is a shuffled grid with spacing 0.1: every max has a clear winner.
func distinct(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i, p := range rng.Perm(n) {
		v[i] = float32(p-n/2) * 0.1
	}
	return v
}

func uniform(lo, hi float64) func(*rand.Rand, int) []float32 {
	return func(rng *rand.Rand, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return v
	}
}

type opCase struct {
	name string
	ins  []in
	f    func(v []*autograd.Var) *autograd.Var
}

func s(shape ...int) in { return in{shape: shape} }

var b32 = func(v float64) float32 { return float32(v) }

func conv(o autograd.ConvOpts, bias bool) func(v []*autograd.Var) *autograd.Var {
	return func(v []*autograd.Var) *autograd.Var {
		var bv *autograd.Var
		if bias {
			bv = v[2]
		}
		return autograd.Conv2d(v[0], v[1], bv, o)
	}
}

func labels(n, k int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	l := make([]int32, n)
	for i := range l {
		l[i] = int32(rng.IntN(k))
	}
	return l
}

// hingeScores are scores whose margins s_j - s_y + 1 stay 0.1 away from 0.
func hingeScores(lab []int32, k int) func(*rand.Rand, int) []float32 {
	return func(rng *rand.Rand, n int) []float32 {
		v := normal(1)(rng, n)
		for r, y := range lab {
			row := v[r*k : (r+1)*k]
			for j := range row {
				for j != int(y) && math.Abs(float64(row[j]-row[y]+1)) < 0.1 {
					row[j] += 0.15
				}
			}
		}
		return v
	}
}

func softTargets(rows, k int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(7, 7))
	t := make([]float32, rows*k)
	for r := range rows {
		var sum float32
		for j := range k {
			t[r*k+j] = rng.Float32() + 0.05
			sum += t[r*k+j]
		}
		for j := range k {
			t[r*k+j] /= sum
		}
	}
	return tensor.FromData(be, t, rows, k)
}

func bnState(c int, train bool) *autograd.BatchNormState {
	rng := rand.New(rand.NewPCG(3, 3))
	m, v := make([]float32, c), make([]float32, c)
	for i := range m {
		m[i] = float32(rng.NormFloat64() * 0.3)
		v[i] = 0.5 + rng.Float32()
	}
	return &autograd.BatchNormState{Mean: tensor.FromData(be, m, c), Var: tensor.FromData(be, v, c), Momentum: 0.1, Eps: 1e-5}
}

func opCases() []opCase {
	pos := uniform(0.5, 2)
	away := awayFrom(0.05, 0)
	lab := labels(4, 5, 11)
	return []opCase{
		// Elementwise activations and maths.
		{"relu", []in{{shape: []int{3, 7}, gen: away}}, func(v []*autograd.Var) *autograd.Var { return autograd.ReLU(v[0]) }},
		{"addrelu", []in{{shape: []int{3, 7}, gen: away}, {shape: []int{3, 7}, gen: normal(0.001)}}, func(v []*autograd.Var) *autograd.Var {
			return autograd.AddReLU(v[0], v[1])
		}},
		{"leakyrelu", []in{{shape: []int{3, 7}, gen: away}}, func(v []*autograd.Var) *autograd.Var { return autograd.LeakyReLU(v[0], 0.1) }},
		{"elu", []in{{shape: []int{3, 7}, gen: away}}, func(v []*autograd.Var) *autograd.Var { return autograd.ELU(v[0], 1.3) }},
		{"selu", []in{{shape: []int{3, 7}, gen: away}}, func(v []*autograd.Var) *autograd.Var { return autograd.SELU(v[0]) }},
		{"gelu", []in{s(3, 7)}, func(v []*autograd.Var) *autograd.Var { return autograd.GELU(v[0]) }},
		{"sigmoid", []in{{shape: []int{3, 7}, gen: normal(2)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Sigmoid(v[0]) }},
		{"tanh", []in{s(3, 7)}, func(v []*autograd.Var) *autograd.Var { return autograd.Tanh(v[0]) }},
		{"exp", []in{s(3, 7)}, func(v []*autograd.Var) *autograd.Var { return autograd.Exp(v[0]) }},
		{"log", []in{{shape: []int{3, 7}, gen: pos}}, func(v []*autograd.Var) *autograd.Var { return autograd.Log(v[0]) }},
		{"sqrt", []in{{shape: []int{3, 7}, gen: pos}}, func(v []*autograd.Var) *autograd.Var { return autograd.Sqrt(v[0]) }},
		{"abs", []in{{shape: []int{3, 7}, gen: away}}, func(v []*autograd.Var) *autograd.Var { return autograd.Abs(v[0]) }},
		{"square", []in{s(3, 7)}, func(v []*autograd.Var) *autograd.Var { return autograd.Square(v[0]) }},
		{"neg", []in{s(3, 7)}, func(v []*autograd.Var) *autograd.Var { return autograd.Neg(v[0]) }},
		{"pow1.7", []in{{shape: []int{3, 7}, gen: pos}}, func(v []*autograd.Var) *autograd.Var { return autograd.Pow(v[0], 1.7) }},
		{"pow-0.5", []in{{shape: []int{3, 7}, gen: pos}}, func(v []*autograd.Var) *autograd.Var { return autograd.Pow(v[0], -0.5) }},
		{"addscalar", []in{s(3, 7)}, func(v []*autograd.Var) *autograd.Var { return autograd.AddScalar(v[0], 0.7) }},
		{"scale", []in{s(3, 7)}, func(v []*autograd.Var) *autograd.Var { return autograd.Scale(v[0], -1.9) }},
		{"clamp", []in{{shape: []int{3, 7}, gen: awayFrom(0.05, -0.5, 0.8)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Clamp(v[0], -0.5, 0.8) }},

		// Binary ops with broadcasting.
		{"add/bcast", []in{s(2, 3, 4), s(3, 1)}, func(v []*autograd.Var) *autograd.Var { return autograd.Add(v[0], v[1]) }},
		{"add/same", []in{s(2, 3), s(2, 3)}, func(v []*autograd.Var) *autograd.Var { return autograd.Add(v[0], v[1]) }},
		{"sub/bcast", []in{s(2, 1, 4), s(3, 4)}, func(v []*autograd.Var) *autograd.Var { return autograd.Sub(v[0], v[1]) }},
		{"mul/bcast", []in{s(4), s(2, 3, 4)}, func(v []*autograd.Var) *autograd.Var { return autograd.Mul(v[0], v[1]) }},
		{"mul/self", []in{s(2, 5)}, func(v []*autograd.Var) *autograd.Var { return autograd.Mul(v[0], v[0]) }},
		{"div/bcast", []in{s(2, 3, 4), {shape: []int{2, 1, 4}, gen: awayFrom(0.5, 0)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Div(v[0], v[1]) }},
		{"maximum/bcast", []in{{shape: []int{2, 3, 4}, gen: distinct}, {shape: []int{3, 1}, gen: uniform(0.02, 0.07)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Maximum(v[0], v[1]) }},
		{"minimum", []in{{shape: []int{3, 4}, gen: distinct}, {shape: []int{3, 4}, gen: uniform(-0.47, -0.43)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Minimum(v[0], v[1]) }},

		// Shapes and reductions.
		{"reshape", []in{s(2, 3, 4)}, func(v []*autograd.Var) *autograd.Var { return autograd.Tanh(autograd.Reshape(v[0], 4, -1)) }},
		{"flatten", []in{s(2, 3, 2, 2)}, func(v []*autograd.Var) *autograd.Var { return autograd.Flatten(v[0]) }},
		{"sumaxis1", []in{s(2, 3, 4)}, func(v []*autograd.Var) *autograd.Var { return autograd.SumAxis(v[0], 1) }},
		{"meanaxis-1", []in{s(2, 3, 5)}, func(v []*autograd.Var) *autograd.Var { return autograd.MeanAxis(v[0], -1) }},
		{"maxaxis0", []in{{shape: []int{3, 2, 4}, gen: distinct}}, func(v []*autograd.Var) *autograd.Var { return autograd.MaxAxis(v[0], 0) }},
		{"sum", []in{s(3, 5)}, func(v []*autograd.Var) *autograd.Var { return autograd.Sum(v[0]) }},
		{"mean", []in{s(3, 5)}, func(v []*autograd.Var) *autograd.Var { return autograd.Mean(v[0]) }},
		{"concat", []in{s(2, 1, 3, 2), s(2, 3, 3, 2), s(2, 2, 3, 2)}, func(v []*autograd.Var) *autograd.Var { return autograd.Concat(v...) }},

		// Dense layers.
		{"matmul", []in{s(3, 5), s(5, 4)}, func(v []*autograd.Var) *autograd.Var { return autograd.MatMul(v[0], v[1]) }},
		{"linear", []in{s(3, 6), s(4, 6), s(4)}, func(v []*autograd.Var) *autograd.Var { return autograd.Linear(v[0], v[1], v[2]) }},
		{"linear/nobias", []in{s(3, 6), s(4, 6)}, func(v []*autograd.Var) *autograd.Var { return autograd.Linear(v[0], v[1], nil) }},

		// Convolutions.
		{"conv/stride2pad1", []in{s(2, 3, 7, 9), {shape: []int{5, 3, 3, 3}, gen: normal(0.3)}, s(5)},
			conv(autograd.ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{1, 1}}, true)},
		{"conv/dilation2", []in{s(1, 3, 7, 9), {shape: []int{4, 3, 3, 3}, gen: normal(0.3)}, s(4)},
			conv(autograd.ConvOpts{Pad: [2]int{2, 2}, Dilation: [2]int{2, 2}}, true)},
		{"conv/groups2", []in{s(2, 4, 5, 6), {shape: []int{6, 2, 3, 3}, gen: normal(0.3)}, s(6)},
			conv(autograd.ConvOpts{Pad: [2]int{1, 1}, Groups: 2}, true)},
		{"conv/depthwise", []in{s(2, 5, 7, 7), {shape: []int{5, 1, 3, 3}, gen: normal(0.3)}, s(5)},
			conv(autograd.ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{1, 1}, Groups: 5}, true)},
		{"conv/fewout", []in{s(2, 8, 5, 6), {shape: []int{2, 8, 3, 3}, gen: normal(0.3)}, s(2)},
			func(v []*autograd.Var) *autograd.Var {
				return autograd.Conv2dFewOut(v[0], v[1], v[2], autograd.ConvOpts{Pad: [2]int{1, 1}})
			}},
		{"conv/fewout-rect-nobias", []in{s(1, 12, 6, 5), {shape: []int{3, 12, 2, 3}, gen: normal(0.3)}},
			func(v []*autograd.Var) *autograd.Var {
				return autograd.Conv2dFewOut(v[0], v[1], nil, autograd.ConvOpts{Pad: [2]int{1, 0}})
			}},
		{"conv/rect-nobias", []in{s(2, 3, 6, 5), {shape: []int{2, 3, 2, 3}, gen: normal(0.3)}},
			conv(autograd.ConvOpts{Stride: [2]int{2, 1}, Pad: [2]int{1, 0}, Dilation: [2]int{1, 2}}, false)},

		// Pooling.
		{"maxpool/k3s2p1", []in{{shape: []int{2, 3, 7, 9}, gen: distinct}}, func(v []*autograd.Var) *autograd.Var {
			return autograd.MaxPool2d(v[0], autograd.PoolOpts{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [2]int{1, 1}})
		}},
		{"maxpool/2x2", []in{{shape: []int{2, 3, 7, 9}, gen: distinct}}, func(v []*autograd.Var) *autograd.Var {
			return autograd.MaxPool2d(v[0], autograd.PoolOpts{Kernel: [2]int{2, 2}})
		}},
		{"maxpool-relu/2x2", []in{{shape: []int{2, 3, 7, 9}, gen: func(rng *rand.Rand, n int) []float32 {
			v := distinct(rng, n)
			for i := range v {
				v[i] += 0.05 // no zero: ReLU's kink
			}
			return v
		}}}, func(v []*autograd.Var) *autograd.Var {
			return autograd.MaxPool2dReLU(v[0], autograd.PoolOpts{Kernel: [2]int{2, 2}})
		}},
		{"avgpool/k3s2p1", []in{s(2, 3, 7, 9)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.AvgPool2d(v[0], autograd.PoolOpts{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [2]int{1, 1}})
		}},
		{"adaptiveavgpool/7x9to3x4", []in{s(2, 3, 7, 9)}, func(v []*autograd.Var) *autograd.Var { return autograd.AdaptiveAvgPool2d(v[0], 3, 4) }},
		{"globalavgpool", []in{s(2, 3, 5, 4)}, func(v []*autograd.Var) *autograd.Var { return autograd.GlobalAvgPool(v[0]) }},

		// Softmax family.
		{"softmax", []in{{shape: []int{3, 7}, gen: normal(3)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Softmax(v[0]) }},
		{"logsoftmax", []in{{shape: []int{3, 7}, gen: normal(3)}}, func(v []*autograd.Var) *autograd.Var { return autograd.LogSoftmax(v[0]) }},

		// Normalisation.
		{"batchnorm/train", []in{s(4, 3, 3, 2), {shape: []int{3}, gen: uniform(0.5, 1.5)}, s(3)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNorm(v[0], v[1], v[2], bnState(3, true), true)
		}},
		{"batchnorm/train-1d", []in{s(6, 4), {shape: []int{4}, gen: uniform(0.5, 1.5)}, s(4)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNorm(v[0], v[1], v[2], bnState(4, true), true)
		}},
		{"batchnorm/train-noaffine", []in{s(4, 3, 2, 2)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNorm(v[0], nil, nil, bnState(3, true), true)
		}},
		{"batchnorm/eval", []in{s(4, 3, 3, 2), {shape: []int{3}, gen: uniform(0.5, 1.5)}, s(3)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNorm(v[0], v[1], v[2], bnState(3, false), false)
		}},
		{"groupnorm", []in{s(2, 6, 3, 2), s(6), s(6)}, func(v []*autograd.Var) *autograd.Var { return autograd.GroupNorm(v[0], 2, v[1], v[2], 1e-5) }},
		{"layernorm", []in{s(3, 2, 2, 3), s(2, 2, 3), s(2, 2, 3)}, func(v []*autograd.Var) *autograd.Var { return autograd.LayerNorm(v[0], 12, v[1], v[2], 1e-5) }},
		{"instancenorm", []in{s(2, 3, 3, 3)}, func(v []*autograd.Var) *autograd.Var { return autograd.InstanceNorm(v[0], nil, nil, 1e-5) }},
		{"instancenorm/affine", []in{s(2, 3, 3, 3), s(3), s(3)}, func(v []*autograd.Var) *autograd.Var { return autograd.InstanceNorm(v[0], v[1], v[2], 1e-5) }},
		{"batchnormrelu/train", []in{s(4, 3, 3, 2), {shape: []int{3}, gen: uniform(0.5, 1.5)}, s(3)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNormReLU(v[0], v[1], v[2], bnState(3, true), true)
		}},
		{"batchnormrelu/eval", []in{s(4, 3, 3, 2), {shape: []int{3}, gen: uniform(0.5, 1.5)}, s(3)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNormReLU(v[0], v[1], v[2], bnState(3, false), false)
		}},
		{"batchnormaddrelu/train", []in{s(4, 3, 3, 2), {shape: []int{3}, gen: uniform(0.5, 1.5)}, s(3), s(4, 3, 3, 2)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNormAddReLU(v[0], v[3], v[1], v[2], bnState(3, true), true)
		}},
		{"batchnormaddrelu/eval", []in{s(4, 3, 3, 2), {shape: []int{3}, gen: uniform(0.5, 1.5)}, s(3), s(4, 3, 3, 2)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.BatchNormAddReLU(v[0], v[3], v[1], v[2], bnState(3, false), false)
		}},
		{"instancenormaffine", []in{s(2, 3, 3, 3), s(3), s(3)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.InstanceNormAffine(v[0], v[1], v[2], 1e-5)
		}},
		{"instancenormaffine/per-image", []in{s(2, 3, 3, 3), s(6), s(6)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.InstanceNormAffine(v[0], v[1], v[2], 1e-5)
		}},
		{"instancenormaffinerelu", []in{s(2, 3, 3, 3), s(3), s(3)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.InstanceNormAffineReLU(v[0], v[1], v[2], 1e-5)
		}},
		{"instancenormaffinerelu/per-image", []in{s(2, 3, 3, 3), s(6), s(6)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.InstanceNormAffineReLU(v[0], v[1], v[2], 1e-5)
		}},
		{"reflectpad2d", []in{s(2, 2, 4, 3)}, func(v []*autograd.Var) *autograd.Var { return autograd.ReflectPad2d(v[0], 1, 3, 2, 0) }},
		{"batchgram", []in{s(2, 3, 3, 2)}, func(v []*autograd.Var) *autograd.Var { return autograd.BatchGram(v[0]) }},
		{"upsamplenearest2d", []in{s(2, 2, 3, 2)}, func(v []*autograd.Var) *autograd.Var { return autograd.UpsampleNearest2d(v[0], 2) }},
		{"lrn/size3", []in{s(2, 5, 3, 2)}, func(v []*autograd.Var) *autograd.Var { return autograd.LocalResponseNorm(v[0], 3, 0.5, 0.75, 1) }},
		{"lrn/size5", []in{s(2, 7, 2, 3)}, func(v []*autograd.Var) *autograd.Var { return autograd.LocalResponseNorm(v[0], 5, 1e-1, 0.75, 2) }},

		// Learned activations.
		{"prelu/channel", []in{{shape: []int{2, 3, 2, 2}, gen: away}, {shape: []int{3}, gen: uniform(0.1, 0.4)}}, func(v []*autograd.Var) *autograd.Var { return autograd.PReLU(v[0], v[1]) }},
		{"prelu/shared", []in{{shape: []int{2, 3, 4}, gen: away}, {shape: []int{1}, gen: uniform(0.1, 0.4)}}, func(v []*autograd.Var) *autograd.Var { return autograd.PReLU(v[0], v[1]) }},
		{"maxout", []in{{shape: []int{2, 6, 2, 3}, gen: distinct}}, func(v []*autograd.Var) *autograd.Var { return autograd.Maxout(v[0], 3) }},
		{"dropout", []in{s(4, 5)}, func(v []*autograd.Var) *autograd.Var { return autograd.Dropout(v[0], 0.3, 42) }},
		{"stochasticdepth", []in{s(6, 2, 3)}, func(v []*autograd.Var) *autograd.Var { return autograd.StochasticDepth(v[0], 0.5, true, 42) }},
		{"hardsigmoid", []in{{shape: []int{3, 8}, gen: awayFromScaled(3, 0.05, -3, 3)}}, func(v []*autograd.Var) *autograd.Var { return autograd.HardSigmoid(v[0]) }},
		{"hardswish", []in{{shape: []int{3, 8}, gen: awayFromScaled(3, 0.05, -3, 3)}}, func(v []*autograd.Var) *autograd.Var { return autograd.HardSwish(v[0]) }},
		{"silu", []in{{shape: []int{3, 8}, gen: normal(3)}}, func(v []*autograd.Var) *autograd.Var { return autograd.SiLU(v[0]) }},
		{"permute", []in{s(2, 3, 4)}, func(v []*autograd.Var) *autograd.Var { return autograd.Permute(v[0], 2, 0, 1) }},
		{"channelshuffle", []in{s(2, 6, 2, 2)}, func(v []*autograd.Var) *autograd.Var { return autograd.ChannelShuffle(v[0], 3) }},
		{"slicechannels", []in{s(2, 5, 2, 3)}, func(v []*autograd.Var) *autograd.Var { return autograd.SliceChannels(v[0], 1, 4) }},

		// Losses.
		{"crossentropy/soft", []in{{shape: []int{4, 5}, gen: normal(2)}}, func(v []*autograd.Var) *autograd.Var {
			return autograd.CrossEntropy(v[0], softTargets(4, 5))
		}},
		{"crossentropy/smoothing", []in{{shape: []int{4, 5}, gen: normal(2)}}, func(v []*autograd.Var) *autograd.Var {
			return autograd.CrossEntropy(v[0], autograd.OneHot(be, lab, 5, 0.1))
		}},
		{"hinge", []in{{shape: []int{4, 5}, gen: hingeScores(lab, 5)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Hinge(v[0], lab, 1, false) }},
		{"hinge/squared", []in{{shape: []int{4, 5}, gen: hingeScores(lab, 5)}}, func(v []*autograd.Var) *autograd.Var { return autograd.Hinge(v[0], lab, 1, true) }},
		{"mse", []in{s(3, 4)}, func(v []*autograd.Var) *autograd.Var {
			return autograd.MSE(v[0], tensor.FromData(be, normal(1)(rand.New(rand.NewPCG(5, 5)), 12), 3, 4))
		}},
		{"l1", []in{{shape: []int{3, 4}, gen: away}, {shape: []int{5}, gen: away}}, func(v []*autograd.Var) *autograd.Var { return autograd.L1Penalty(v) }},
		{"l2", []in{s(3, 4), s(5)}, func(v []*autograd.Var) *autograd.Var { return autograd.L2Penalty(v) }},
		{"elasticnet", []in{{shape: []int{3, 4}, gen: away}, {shape: []int{5}, gen: away}}, func(v []*autograd.Var) *autograd.Var { return autograd.ElasticNet(v, 0.3, 0.7) }},
	}
}

// weighted reduces an op's output to a scalar with fixed, varied weights,
// so that every output element contributes its own gradient.
func weighted(out *autograd.Var) *autograd.Var {
	n := out.Value.Len()
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(math.Cos(1.3*float64(i) + 0.5))
	}
	return autograd.Sum(autograd.Mul(out, autograd.Const(tensor.FromData(be, w, out.Shape()...))))
}

func buildInputs(c opCase, seed uint64) []*autograd.Var {
	rng := rand.New(rand.NewPCG(seed, 99))
	vars := make([]*autograd.Var, len(c.ins))
	for i, spec := range c.ins {
		gen := spec.gen
		if gen == nil {
			gen = normal(1)
		}
		t := tensor.FromData(be, gen(rng, tensor.Numel(spec.shape)), spec.shape...)
		if spec.konst {
			vars[i] = autograd.Const(t)
		} else {
			vars[i] = autograd.Param(t, "")
		}
	}
	return vars
}

// TestCheckAgreesWithEveryOp is the gradient checker run over every
// autograd operation: the analytic gradients must pass.
func TestCheckAgreesWithEveryOp(t *testing.T) {
	for _, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			vars := buildInputs(c, 1)
			f := func() *autograd.Var { return c.f(vars) }
			rep, err := Check(f, vars, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("max rel err %.2e", rep.MaxRelErr)
			if rep.Verdict != Pass {
				t.Errorf("verdict %s\n%s", rep.Verdict, rep)
			}
			for _, tr := range rep.Tensors {
				if tr.Kinks > 0 {
					t.Errorf("%s: %d kinks with inputs chosen away from kinks\n%s", tr.Name, tr.Kinks, rep)
				}
			}
		})
	}
}

package tfjs

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// A small synthetic TensorFlow.js model builder for tests: Keras layers
// with random weights (float32 or quantised), written as model.json and
// two shards split mid-weight.

type wspec struct {
	param string
	shape []int
	quant string // "", "uint8", "uint16", "float16"
}

type kl struct {
	name, class string
	cfg         map[string]any
	in          []string
	weights     []wspec
}

type synth struct {
	layers     []kl
	sequential bool
	output     string
}

// write writes the model into dir and returns model.json's bytes and the
// shard.
func (s synth) write(t testing.TB, dir string, seed uint64) ([]byte, []byte) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var layers []map[string]any
	var manifest []map[string]any
	var blob []byte
	for _, l := range s.layers {
		cfg := map[string]any{"name": l.name}
		for k, v := range l.cfg {
			cfg[k] = v
		}
		m := map[string]any{"name": l.name, "class_name": l.class, "config": cfg}
		if !s.sequential {
			var refs []any
			for _, in := range l.in {
				refs = append(refs, []any{in, 0, 0, map[string]any{}})
			}
			m["inbound_nodes"] = []any{}
			if refs != nil {
				m["inbound_nodes"] = []any{refs}
			}
		}
		layers = append(layers, m)
		for _, w := range l.weights {
			n := 1
			for _, d := range w.shape {
				n *= d
			}
			spec := map[string]any{"name": l.name + "/" + w.param, "shape": w.shape, "dtype": "float32"}
			positive := w.param == "moving_variance"
			switch w.quant {
			case "":
				for range n {
					v := float32(rng.NormFloat64() * 0.3)
					if positive {
						v = float32(math.Abs(float64(v)) + 0.5)
					}
					blob = binary.LittleEndian.AppendUint32(blob, math.Float32bits(v))
				}
			case "uint8", "uint16":
				scale, min := 0.01, -0.6
				if w.quant == "uint16" {
					scale = 1e-5
				}
				if positive {
					min = 0.5
				}
				spec["quantization"] = map[string]any{"dtype": w.quant, "scale": scale, "min": min}
				for range n {
					if w.quant == "uint8" {
						blob = append(blob, byte(rng.IntN(256)))
					} else {
						blob = binary.LittleEndian.AppendUint16(blob, uint16(rng.IntN(65536)))
					}
				}
			case "float16":
				spec["quantization"] = map[string]any{"dtype": "float16"}
				for range n {
					// a half with exponent 10..16: magnitudes 2^-5..2^1
					h := uint16(rng.IntN(2))<<15 | uint16(10+rng.IntN(7))<<10 | uint16(rng.IntN(1024))
					if positive {
						h &^= 1 << 15
					}
					blob = binary.LittleEndian.AppendUint16(blob, h)
				}
			}
			manifest = append(manifest, spec)
		}
	}
	var topo map[string]any
	if s.sequential {
		topo = map[string]any{"class_name": "Sequential", "config": map[string]any{"name": "seq", "layers": layers}}
	} else {
		topo = map[string]any{"class_name": "Model", "config": map[string]any{"name": "synth", "layers": layers,
			"input_layers": []any{[]any{s.layers[0].name, 0, 0}}, "output_layers": []any{[]any{s.output, 0, 0}}}}
	}
	half := len(blob)/2 + 1
	mj, err := json.Marshal(map[string]any{"format": "layers-model", "modelTopology": map[string]any{"model_config": topo},
		"weightsManifest": []any{map[string]any{"paths": []string{"group1-shard1of2.bin", "group1-shard2of2.bin"}, "weights": manifest}}})
	if err != nil {
		t.Fatal(err)
	}
	if dir != "" {
		for name, b := range map[string][]byte{"model.json": mj, "group1-shard1of2.bin": blob[:half], "group1-shard2of2.bin": blob[half:]} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return mj, blob
}

func k(name, class string, cfg map[string]any, in []string, w ...wspec) kl {
	return kl{name: name, class: class, cfg: cfg, in: in, weights: w}
}

func ws(param string, quant string, shape ...int) wspec {
	return wspec{param: param, shape: shape, quant: quant}
}

// functionalSynth exercises the Keras semantics that are easy to get
// wrong: asymmetric "same" padding with stride 2, ZeroPadding2D, a
// rectangular kernel, depthwise and separable convolutions, batch norm
// without center, max-pool padding that must never win, average-pool
// padding that must not count, Flatten's H,W,C order before Dense, and
// quantised weights of each kind.
func functionalSynth() synth {
	in := func(s ...string) []string { return s }
	bn := func(name, from string, n int, center bool, axis any) kl {
		w := []wspec{ws("gamma", "", n)}
		if center {
			w = append(w, ws("beta", "", n))
		}
		w = append(w, ws("moving_mean", "", n), ws("moving_variance", "", n))
		return k(name, "BatchNormalization", map[string]any{"axis": axis, "epsilon": 1.001e-5, "center": center}, in(from), w...)
	}
	return synth{output: "fc", layers: []kl{
		k("input_1", "InputLayer", map[string]any{"batch_input_shape": []any{nil, 9, 11, 3}}, nil),
		k("zp", "ZeroPadding2D", map[string]any{"padding": [][]int{{1, 2}, {0, 1}}}, in("input_1")),
		k("c1", "Conv2D", map[string]any{"filters": 8, "kernel_size": []int{3, 3}, "strides": []int{2, 2}, "padding": "same", "activation": "relu"}, in("zp"),
			ws("kernel", "", 3, 3, 3, 8), ws("bias", "", 8)),
		bn("b1", "c1", 8, false, []int{3}),
		k("a1", "LeakyReLU", map[string]any{"alpha": 0.2}, in("b1")),
		k("d1", "DepthwiseConv2D", map[string]any{"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, in("a1"),
			ws("depthwise_kernel", "uint8", 3, 3, 8, 2), ws("bias", "", 16)),
		k("s1", "SeparableConv2D", map[string]any{"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"}, in("d1"),
			ws("depthwise_kernel", "uint16", 3, 3, 16, 1), ws("pointwise_kernel", "", 1, 1, 16, 8), ws("bias", "", 8)),
		k("c2", "Conv2D", map[string]any{"filters": 8, "kernel_size": []int{3, 1}, "strides": 2, "padding": "same", "use_bias": false}, in("a1"),
			ws("kernel", "float16", 3, 1, 8, 8)),
		k("add", "Add", nil, in("s1", "c2")),
		k("r6", "ReLU", map[string]any{"max_value": 6.0}, in("add")),
		k("mp", "MaxPooling2D", map[string]any{"pool_size": 2, "strides": 1, "padding": "same"}, in("r6")),
		k("cat", "Concatenate", map[string]any{"axis": -1}, in("mp", "r6")),
		k("ap", "AveragePooling2D", map[string]any{"pool_size": []int{3, 3}, "strides": []int{2, 2}, "padding": "same"}, in("cat")),
		k("fl", "Flatten", nil, in("ap")),
		k("dr", "Dropout", map[string]any{"rate": 0.5}, in("fl")),
		bn("b2", "dr", 64, true, -1),
		k("fc", "Dense", map[string]any{"units": 10}, in("b2"), ws("kernel", "", 64, 10), ws("bias", "", 10)),
	}}
}

// sequentialSynth is a Sequential model whose first layer carries the
// input shape, with grouped and dilated convolutions, global max pooling
// and a softmax at the end.
func sequentialSynth() synth {
	return synth{sequential: true, layers: []kl{
		k("c1", "Conv2D", map[string]any{"batch_input_shape": []any{nil, 10, 10, 4}, "filters": 6, "kernel_size": 3, "groups": 2, "padding": "valid", "activation": "elu"}, nil,
			ws("kernel", "", 3, 3, 2, 6), ws("bias", "", 6)),
		k("c2", "Conv2D", map[string]any{"filters": 5, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, nil,
			ws("kernel", "", 3, 3, 6, 5), ws("bias", "", 5)),
		k("gmp", "GlobalMaxPooling2D", nil, nil),
		k("out", "Dense", map[string]any{"units": 4, "activation": "softmax"}, nil, ws("kernel", "", 5, 4), ws("bias", "", 4)),
	}}
}

// forward imports dir and runs the model on x (N,C,H,W).
func forward(t *testing.T, dir string, x []float32, shape []int) ([]float32, []int) {
	t.Helper()
	pkg, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Import(pkg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	built, err := m.Check()
	if err != nil {
		t.Fatal(err)
	}
	out := built.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(built.B, x, shape...)))
	return out.Value.Data(), out.Shape()
}

func python(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("/usr/bin/python3 with numpy is required in CI")
		}
		t.Skip("no /usr/bin/python3")
	}
	return py
}

func TestSyntheticModelsMatchNumPyKerasReference(t *testing.T) {
	py := python(t)
	for _, tc := range []struct {
		name    string
		s       synth
		shape   []int
		softmax bool
	}{
		{"functional", functionalSynth(), []int{2, 3, 9, 11}, false},
		{"sequential", sequentialSynth(), []int{3, 4, 10, 10}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.s.write(t, dir, 7)
			rng := rand.New(rand.NewPCG(3, 4))
			x := make([]float32, tensor.Numel(tc.shape))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			got, gs := forward(t, dir, x, tc.shape)
			if tc.softmax {
				got = softmaxRows(got, gs[1])
			}
			want := numpyReference(t, py, dir, x, tc.shape)
			if len(want) != len(got) {
				t.Fatalf("reference has %d values, ours %d (%v)", len(want), len(got), gs)
			}
			worst := 0.0
			for i := range got {
				worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
			}
			t.Logf("max |ours - NumPy| = %.3g over %v", worst, gs)
			if worst > 1e-4 {
				t.Errorf("outputs differ from the NumPy reference by %g", worst)
			}
		})
	}
}

func softmaxRows(v []float32, k int) []float32 {
	out := make([]float32, len(v))
	for r := 0; r < len(v); r += k {
		mx := math.Inf(-1)
		for _, x := range v[r : r+k] {
			mx = math.Max(mx, float64(x))
		}
		var s float64
		for _, x := range v[r : r+k] {
			s += math.Exp(float64(x) - mx)
		}
		for i, x := range v[r : r+k] {
			out[r+i] = float32(math.Exp(float64(x)-mx) / s)
		}
	}
	return out
}

func numpyReference(t *testing.T, py, model string, x []float32, shape []int) []float32 {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	if err := npy.WriteFile(in, npy.FromFloat32(shape, x)); err != nil {
		t.Fatal(err)
	}
	b, err := runPython(py, "testdata/keras_reference.py", model, in, out)
	if err != nil {
		t.Fatalf("NumPy reference: %v\n%s", err, b)
	}
	a, err := npy.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	r := make([]float32, len(v))
	for i := range v {
		r[i] = float32(v[i])
	}
	return r
}

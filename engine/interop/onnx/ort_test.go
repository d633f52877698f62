package onnx

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Our models exported to ONNX run in an independent runtime,
// onnxruntime-node from npm (fetched by scripts/fetch-onnxruntime.sh into
// the ignored .cache/onnxruntime), and give our logits.

const ortScript = `const path = require('path');
const fs = require('fs');
const ort = require(path.join(process.argv[2], 'node_modules', 'onnxruntime-node'));
(async () => {
  const spec = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const out = {};
  for (const c of spec) {
    const s = await ort.InferenceSession.create(c.model, {graphOptimizationLevel: 'disabled', intraOpNumThreads: 1});
    const buf = fs.readFileSync(c.input);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const r = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', x, c.shape)});
    const y = r[s.outputNames[0]];
    fs.writeFileSync(c.output, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
    out[c.name] = y.dims;
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(String(e)); process.exit(1); });
`

// ortDir finds the fetched onnxruntime-node.
func ortDir(t *testing.T) string {
	dir := os.Getenv("WORKBENCH_ONNXRUNTIME")
	if dir == "" {
		wd, _ := os.Getwd()
		dir = filepath.Join(wd, "..", "..", "..", ".cache", "onnxruntime")
	}
	_, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json"))
	if _, nodeErr := exec.LookPath("node"); err != nil || nodeErr != nil {
		msg := "onnxruntime-node is not fetched (run ./scripts/fetch-onnxruntime.sh; needs node and npm)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// perturb moves every parameter and running statistic off its initial
// value (batch-norm statistics and affines matter, as after training).
func perturb(m *nn.Model, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	state := m.State()
	names := make([]string, 0, len(state))
	for name := range state {
		names = append(names, name)
	}
	sort.Strings(names) // the same draws for the same tensors on every run
	for _, name := range names {
		t := state[name]
		v := t.Data()
		for i := range v {
			switch {
			case strings.HasSuffix(name, "running_var"):
				v[i] *= float32(0.5 + rng.Float64())
			case strings.HasSuffix(name, "running_mean"):
				v[i] += float32(rng.NormFloat64() * 0.1)
			default:
				v[i] += float32(rng.NormFloat64() * 0.02)
			}
		}
		t.Set(v)
	}
}

func stateOf(m *nn.Model) map[string]Tensor {
	w := map[string]Tensor{}
	for k, t := range m.State() {
		w[k] = Tensor{Shape: t.Shape, Data: t.Data()}
	}
	return w
}

type ortCase struct {
	name  string
	g     graph.Graph
	input []int
	batch int
}

// everyOp is a small network through every layer type the exporter writes
// beyond the zoo models' (so ONNX Runtime checks their ONNX forms too).
func everyOp() graph.Graph {
	var g graph.Graph
	prev := "input"
	add := func(id, op string, attrs map[string]float64, in ...string) string {
		if len(in) == 0 {
			in = []string{prev}
		}
		g.Nodes = append(g.Nodes, graph.Node{ID: id, Op: op, Inputs: in, Attrs: attrs})
		prev = id
		return id
	}
	type A = map[string]float64
	g.Nodes = append(g.Nodes, graph.Node{ID: "input", Op: "input", Attrs: A{"channels": 4, "height": 12, "width": 12}})
	add("c1", "conv2d", A{"out": 8, "kernel": 3, "kernel_h": 3, "kernel_w": 1, "pad": 0, "pad_h": 1})
	add("bn", "batchnorm2d", nil)
	add("pr", "prelu", nil)
	add("pad", "pad2d", A{"top": 1, "right": 1, "value": -0.5})
	add("mp", "pool2d", A{"max": 1, "kh": 3, "kw": 2, "sh": 2, "sw": 2, "pt": 1, "pb": 1, "pr": 1, "ceil": 1})
	add("in", "instancenorm", A{"affine": 1})
	add("lrn", "lrn", A{"size": 3})
	add("gn", "groupnorm", A{"groups": 2})
	add("ge", "gelu", nil)
	cs := add("cs", "channelshuffle", A{"groups": 2})
	sa := add("el", "elu", A{"alpha": 0.7}, add("sa", "channelslice", A{"from": 0, "to": 4}, cs))
	sb := add("si", "silu", nil, add("sb", "channelslice", A{"from": 4, "to": 8}, cs))
	cat := add("hs", "hardswish", nil, add("cat", "concat", nil, sa, sb))
	c2 := add("c2", "conv2d", A{"out": 8, "kernel": 3, "pad": 2, "dilation": 2, "groups": 2})
	add("sum", "add", nil, add("ap", "avgpool2d", A{"kernel": 3, "stride": 1, "pad": 1}, c2), cat, c2)
	add("mo", "maxout", A{"pieces": 2})
	add("ln", "layernorm", nil)
	add("sp", "softplus", nil)
	add("ap2", "pool2d", A{"max": 0, "kh": 2, "kw": 2, "sh": 2, "sw": 2, "ceil": 1})
	add("hsg", "hardsigmoid", nil)
	add("r6", "relu6", nil)
	add("cl", "clip", A{"min": 0.1, "max": 0.9})
	x := add("lr", "leakyrelu", A{"slope": 0.2})
	gate := add("gs", "sigmoid", nil, add("gl", "linear", A{"out": 4}, add("gp", "globalavgpool", nil, x)))
	add("se", "scale", nil, x, gate)
	add("up", "upsample", A{"scale": 3})
	add("mirror", "reflectpad2d", A{"top": 4, "bottom": 2, "left": 1, "right": 5})
	add("c3", "conv2d", A{"out": 4, "kernel": 5, "stride": 3, "pad": 1})
	add("aap", "adaptiveavgpool2d", A{"size": 2})
	add("fl", "flatten", nil)
	add("dr", "dropout", A{"p": 0.3})
	add("fc", "linear", A{"out": 10})
	add("bn1", "batchnorm1d", nil)
	add("se2", "selu", nil)
	add("th", "tanh", nil)
	add("out", "logsoftmax", nil)
	return g
}

func TestExportRunsInOnnxRuntime(t *testing.T) {
	dir := ortDir(t)
	zoo := func(name string, input []int, classes int) graph.Graph {
		g, err := models.Graph(name, input, classes)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	cases := []ortCase{
		{"ref-cnn", zoo("ref-cnn", []int{1, 28, 28}, 10), []int{1, 28, 28}, 4},
		{"resnet18", zoo("resnet18", []int{3, 64, 64}, 10), []int{3, 64, 64}, 2},
		{"densenet121", zoo("densenet121", []int{3, 64, 64}, 10), []int{3, 64, 64}, 2},
		{"every-op", everyOp(), []int{4, 12, 12}, 3},
		{"mobilenet_v2", zoo("mobilenet_v2", []int{3, 32, 32}, 10), []int{3, 32, 32}, 2},
		// A one-style fast style network: reflection pads, instance norm, Resize.
		{"fast-style", style.FastGraph(style.FastConfig{Width: 4, Residual: 1, Styles: 1}), []int{3, 16, 16}, 2},
	}
	if testing.Short() {
		cases = []ortCase{cases[0], cases[3], cases[5]} // the full run covers the zoo's larger models
	}
	tmp := t.TempDir()
	type spec struct {
		Name   string `json:"name"`
		Model  string `json:"model"`
		Input  string `json:"input"`
		Output string `json:"output"`
		Shape  []int  `json:"shape"`
	}
	var specs []spec
	ours := map[string][]float32{}
	b := cpu.New()
	for k, c := range cases {
		m, err := nn.Build(c.g, c.input, b, uint64(k+1), "default")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		perturb(m, uint64(k+1))
		data, err := Export(c.g, c.input, stateOf(m), "workbench-test")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		shape := append([]int{c.batch}, c.input...)
		x := torchref.Normal(uint64(50+k), numel(shape), 1)
		ours[c.name] = m.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(b, x, shape...))).Value.Data()
		s := spec{Name: c.name, Model: filepath.Join(tmp, c.name+".onnx"), Input: filepath.Join(tmp, c.name+".in"),
			Output: filepath.Join(tmp, c.name+".out"), Shape: shape}
		if err := os.WriteFile(s.Model, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.Input, f32bytes(x), 0o600); err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	js, _ := json.Marshal(specs)
	specPath, scriptPath := filepath.Join(tmp, "spec.json"), filepath.Join(tmp, "run.js")
	os.WriteFile(specPath, js, 0o600)
	os.WriteFile(scriptPath, []byte(ortScript), 0o600)
	out, err := exec.Command("node", scriptPath, dir, specPath).CombinedOutput()
	if err != nil {
		t.Fatalf("onnxruntime-node: %v\n%s", err, out)
	}
	for _, s := range specs {
		t.Run(s.Name, func(t *testing.T) {
			raw, err := os.ReadFile(s.Output)
			if err != nil {
				t.Fatal(err)
			}
			got := bytesF32(raw)
			want := ours[s.Name]
			if len(got) != len(want) {
				t.Fatalf("ONNX Runtime gave %d values, we %d", len(got), len(want))
			}
			worst, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			for i := range got {
				worst = math.Max(worst, math.Abs(float64(got[i])-float64(want[i])))
				lo, hi = math.Min(lo, float64(want[i])), math.Max(hi, float64(want[i]))
			}
			t.Logf("%s: Workbench → ONNX → onnxruntime-node 1.30.0, max |diff| %.3g over %d logits (ours span %.3g to %.3g)", s.Name, worst, len(got), lo, hi)
			if hi-lo < 1e-2 {
				t.Errorf("the logits hardly vary (%g to %g): the comparison would prove little", lo, hi)
			}
			if worst > 1e-4 || math.IsNaN(worst) {
				t.Errorf("max |diff| %g > 1e-4", worst)
			}
		})
	}
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for k, x := range v {
		binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(x))
	}
	return b
}

func bytesF32(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for k := range v {
		v[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:]))
	}
	return v
}

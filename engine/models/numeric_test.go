package models

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

func writeFloats(t *testing.T, path string, vals ...[]float32) {
	var n int
	for _, v := range vals {
		n += len(v)
	}
	buf := make([]byte, 0, 4*n)
	for _, v := range vals {
		for _, f := range v {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
		}
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFloats(t *testing.T, path string) []float32 {
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(buf)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	return out
}

// The zoo computes what torchvision computes: with the same weights (and
// BatchNorm statistics) and input, the logits agree. This checks what counts
// cannot: stride placement, group wiring, concatenation order, ReLU6. The
// models here keep torchvision's structure at 64x64 (GoogLeNet does not: its
// ceil-mode pools are padded pools here).
func TestMatchesTorchvisionNumerically(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 250 MB of weights for python; skipped with -short")
	}
	matchTorchvision(t, []string{"resnet50", "resnext50_32x4d", "mobilenet_v2", "densenet121"}, []int{3, 64, 64}, 10)
}

// matchTorchvision builds each named model at input in with classes, gives
// torchvision's the same weights and BatchNorm statistics, and compares the
// logits of one batch of two images (evaluation mode).
func matchTorchvision(t *testing.T, names []string, in []int, classes int) {
	t.Helper()
	dir := t.TempDir()
	b := cpu.New()
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, 2*tensor.Numel(in))
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	writeFloats(t, filepath.Join(dir, "x.bin"), x)
	type entry struct {
		Name    string  `json:"name"`
		Classes int     `json:"classes"`
		Tensors [][]any `json:"tensors"` // [name, shape]
	}
	var manifest []entry
	ours := map[string][]float32{}
	for _, name := range names {
		g, err := Graph(name, in, classes)
		if err != nil {
			t.Fatal(err)
		}
		m, err := nn.Build(g, nil, b, 2, "he")
		if err != nil {
			t.Fatal(err)
		}
		st := m.State()
		keys := make([]string, 0, len(st))
		for k := range st {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e := entry{Name: name, Classes: classes}
		var vals [][]float32
		for _, k := range keys {
			v := st[k]
			// BatchNorm as trained networks have it, so that a swapped
			// mean, variance, scale or shift shows.
			switch {
			case strings.HasSuffix(k, ".running_mean"):
				v.Set(randVals(rng, v.Shape, func() float64 { return 0.1 * rng.NormFloat64() }))
			case strings.HasSuffix(k, ".running_var"):
				v.Set(randVals(rng, v.Shape, func() float64 { return 0.5 + rng.Float64() }))
			case isBN(m, k) && strings.HasSuffix(k, ".weight"):
				v.Set(randVals(rng, v.Shape, func() float64 { return 0.5 + rng.Float64() }))
			case isBN(m, k) && strings.HasSuffix(k, ".bias"):
				v.Set(randVals(rng, v.Shape, func() float64 { return 0.1 * rng.NormFloat64() }))
			}
			e.Tensors = append(e.Tensors, []any{k, v.Shape})
			vals = append(vals, v.Data())
		}
		writeFloats(t, filepath.Join(dir, name+".bin"), vals...)
		manifest = append(manifest, e)
		y := m.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(b, x, append([]int{2}, in...)...)))
		ours[name] = y.Value.Data()
	}
	mf, _ := json.Marshal(map[string]any{"dir": dir, "models": manifest, "input": append([]int{2}, in...)})
	runPython(t, `
import numpy as np
req = json.load(sys.stdin)
d = req["dir"]
x = torch.from_numpy(np.fromfile(d + "/x.bin", dtype="<f4").reshape(req["input"]))
for e in req["models"]:
    m = make(e["name"], e["classes"])
    sd = m.state_dict()
    flat = np.fromfile(d + "/" + e["name"] + ".bin", dtype="<f4")
    off, seen = 0, set()
    for name, shape in e["tensors"]:
        n = int(np.prod(shape))
        if name not in sd or list(sd[name].shape) != shape:
            sys.exit("%s: torchvision has no tensor %s %s" % (e["name"], name, shape))
        sd[name].copy_(torch.from_numpy(flat[off:off + n].reshape(shape)))
        off += n
        seen.add(name)
    left = [k for k in sd if k not in seen and not k.endswith("num_batches_tracked")]
    if left:
        sys.exit("%s: tensors not given: %s" % (e["name"], left[:5]))
    m.eval()
    with torch.no_grad():
        m(x).numpy().astype("<f4").tofile(d + "/" + e["name"] + ".out")
`, mf)
	for _, name := range names {
		ref := readFloats(t, filepath.Join(dir, name+".out"))
		got := ours[name]
		if len(ref) != len(got) {
			t.Fatalf("%s: %d logits, torchvision %d", name, len(got), len(ref))
		}
		var diff, scale float64
		for i := range ref {
			diff = max(diff, math.Abs(float64(got[i]-ref[i])))
			scale = max(scale, math.Abs(float64(ref[i])))
		}
		if scale == 0 || diff > 1e-3*scale {
			t.Errorf("%s: logits differ from torchvision's by %.3g (largest logit %.3g)", name, diff, scale)
		}
		t.Logf("%-16s max |ours - torchvision| = %.2g (largest logit %.3g)", name, diff, scale)
	}
}

func isBN(m *nn.Model, param string) bool {
	i := strings.LastIndexByte(param, '.')
	n := m.Node(param[:i])
	return n != nil && n.Op == "batchnorm2d"
}

func randVals(_ *rand.Rand, shape []int, f func() float64) []float32 {
	out := make([]float32, tensor.Numel(shape))
	for i := range out {
		out[i] = float32(f())
	}
	return out
}

package pytorch

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

const runModelPy = `
import sys, numpy as np, torch
torch.set_num_threads(2)
d = sys.argv[1]
sys.path.insert(0, d)
import model
net = model.Net()
model.load_weights(net, d + "/weights.npz")
net.eval()
with torch.no_grad():
    y = net(torch.from_numpy(np.load(d + "/x.npy")))
np.save(d + "/y.npy", y.numpy())
`

// exportAndRun builds g with random weights and running statistics, exports
// it, runs model.py on a random batch with PyTorch and returns the largest
// difference between the two outputs relative to their scale.
func exportAndRun(t *testing.T, g graph.Graph, input []int, batch int) (maxAbs, scale float64) {
	t.Helper()
	b := cpu.New()
	m, err := nn.Build(g, input, b, 7, "default")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for name, v := range m.State() {
		if filepath.Ext(name) == ".running_mean" || filepath.Ext(name) == ".running_var" {
			d := v.Data()
			for i := range d {
				if filepath.Ext(name) == ".running_var" {
					d[i] = 0.5 + rng.Float32()
				} else {
					d[i] = rng.Float32() - 0.5
				}
			}
			v.Set(d)
		}
		if strings.HasPrefix(name, "cin.") { // per-style gammas and betas that differ: style 0 must be the one used
			d := v.Data()
			for i := range d {
				d[i] = 2*rng.Float32() - 0.5
			}
			v.Set(d)
		}
	}
	shape := append([]int{batch}, input...)
	x := torchref.Normal(11, tensor.Numel(shape), 1)
	out := m.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(b, x, shape...)))
	ours := out.Value.Data()

	dir := t.TempDir()
	if _, _, err := ExportModel(dir, g, input, m.State(), "test model"); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFile(filepath.Join(dir, "x.npy"), npy.FromFloat32(shape, x)); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "run.py")
	os.WriteFile(script, []byte(runModelPy), 0o644)
	cmd := exec.Command(torchref.Python(), script, dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		src, _ := os.ReadFile(filepath.Join(dir, "model.py"))
		t.Fatalf("model.py failed: %v\n%s\n--- model.py ---\n%s", err, msg, src)
	}
	ya, err := npy.OpenFile(filepath.Join(dir, "y.npy"))
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := ya.Float64s()
	if len(theirs) != len(ours) {
		t.Fatalf("PyTorch gives %d values (shape %v), ours %d (shape %v)", len(theirs), ya.Shape, len(ours), out.Shape())
	}
	for i := range ours {
		maxAbs = math.Max(maxAbs, math.Abs(float64(ours[i])-theirs[i]))
		scale = math.Max(scale, math.Abs(theirs[i]))
	}
	return maxAbs, scale
}

// TestModelPyMatchesOurLogits: model.py with the exported weights gives our
// logits to 1e-4 (relative to the logits' scale) for the reference CNN, a
// ResNet, a DenseNet and a MobileNet.
func TestModelPyMatchesOurLogits(t *testing.T) {
	torchref.Require(t)
	cases := []struct {
		name  string
		input []int
	}{
		{"ref-cnn", []int{1, 28, 28}},
		{"resnet18", []int{3, 64, 64}},
		{"densenet121", []int{3, 64, 64}},
		{"mobilenet_v2", []int{3, 64, 64}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.name != "ref-cnn" {
				t.Skip("short: only ref-cnn")
			}
			g, err := models.Graph(c.name, c.input, 10)
			if err != nil {
				t.Fatal(err)
			}
			d, s := exportAndRun(t, g, c.input, 2)
			t.Logf("%s: max |ours - PyTorch| = %.3g (logit scale %.3g)", c.name, d, s)
			if d > 1e-4*math.Max(1, s) {
				t.Fatalf("%s: model.py differs from our forward pass by %g (scale %g)", c.name, d, s)
			}
		})
	}
}

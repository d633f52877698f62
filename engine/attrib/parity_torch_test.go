package attrib_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
)

//go:embed testdata/reference.py
var referencePy []byte

func writeNpy(t *testing.T, path string, a *npy.Array) {
	t.Helper()
	if err := npy.WriteFile(path, a); err != nil {
		t.Fatal(err)
	}
}

func readNpy(t *testing.T, path string) []float64 {
	t.Helper()
	a, err := npy.OpenFile(path)
	if err == nil {
		var v []float64
		if v, err = a.Float64s(); err == nil {
			return v
		}
	}
	t.Fatal(err)
	return nil
}

// closeTo reports the worst |ours - ref| - (atol + rtol·|ref|) (<= 0
// passes), the largest |ref| and the largest |ours - ref|, both scaled.
// Both maps are divided by the reference's largest magnitude first, so
// that the absolute tolerance means the same for maps of any scale.
func closeTo(ours []float32, ref []float64, atol, rtol float64) (worst, scale, maxDiff float64) {
	for _, r := range ref {
		scale = math.Max(scale, math.Abs(r))
	}
	worst = math.Inf(-1)
	for i := range ref {
		o, r := float64(ours[i])/scale, ref[i]/scale
		worst = math.Max(worst, math.Abs(o-r)-(atol+rtol*math.Abs(r)))
		maxDiff = math.Max(maxDiff, math.Abs(o-r))
	}
	return worst, scale, maxDiff
}

func flat(ms []attrib.Map) []float32 {
	var out []float32
	for _, m := range ms {
		out = append(out, m.V...)
	}
	return out
}

// TestAttributionMatchesPyTorch: vanilla saliency, guided backpropagation,
// Grad-CAM (at the layer and upsampled) and integrated gradients of a
// ref-cnn and a small-input ResNet-18 with random weights and channel
// normalisation equal a plain-PyTorch reference (tensor hooks, no Captum)
// to atol 1e-4, rtol 1e-3; the FGSM perturbation equals PyTorch's sign for
// sign.
func TestAttributionMatchesPyTorch(t *testing.T) {
	torchref.Require(t)
	cases := []struct {
		model, layer, ig string
		input            []int
	}{
		{"ref-cnn", "conv2", attrib.GaussLegendre, []int{3, 16, 16}},
		{"small-resnet", "layer2.relu2", attrib.RiemannTrapezoid, []int{3, 16, 16}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			b := cpu.New()
			g, err := models.Graph(c.model, c.input, 10)
			if c.model == "small-resnet" {
				g, err = smallResNet(), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			m, err := nn.Build(g, c.input, b, 5, "default")
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(8, 9))
			state := m.State()
			names := make([]string, 0, len(state))
			for name := range state {
				names = append(names, name)
			}
			sort.Strings(names) // the same statistics on every run
			for _, name := range names {
				v := state[name]
				ext := filepath.Ext(name)
				if ext == ".running_mean" || ext == ".running_var" {
					d := v.Data()
					for i := range d {
						d[i] = rng.Float32() - 0.5
						if ext == ".running_var" {
							d[i] += 1
						}
					}
					v.Set(d)
				}
			}
			layer := c.layer
			var relus []string
			for _, n := range g.Nodes {
				if n.Op == "relu" {
					relus = append(relus, n.ID)
				}
			}
			st := &data.Stats{Norm: data.NormChannelStd, C: 3, H: c.input[1], W: c.input[2],
				Mean: []float32{0.45, 0.5, 0.55}, Std: []float32{0.2, 0.25, 0.3}}
			net := attrib.Net{Model: m, Stats: st}
			const N = 2
			x := make([]float32, N*c.input[0]*c.input[1]*c.input[2])
			for i := range x {
				x[i] = rng.Float32()
			}
			classes := []int{3, 7}
			targets := []attrib.Target{attrib.ClassTarget(3), attrib.ClassTarget(7)}

			dir := t.TempDir()
			if _, _, err := pytorch.ExportModel(dir, g, c.input, m.State(), "parity"); err != nil {
				t.Fatal(err)
			}
			writeNpy(t, filepath.Join(dir, "x.npy"), npy.FromFloat32(append([]int{N}, c.input...), x))
			writeNpy(t, filepath.Join(dir, "mean.npy"), npy.FromFloat32([]int{3}, st.Mean))
			writeNpy(t, filepath.Join(dir, "std.npy"), npy.FromFloat32([]int{3}, st.Std))
			writeNpy(t, filepath.Join(dir, "classes.npy"), npy.FromFloat32([]int{N}, []float32{3, 7}))
			const igSteps = 8
			spec, _ := json.Marshal(map[string]any{"relus": relus, "layer": layer, "ig_steps": igSteps, "ig_method": c.ig})
			os.WriteFile(filepath.Join(dir, "spec.json"), spec, 0o644)
			script := filepath.Join(dir, "reference.py")
			os.WriteFile(script, referencePy, 0o644)
			if out, err := exec.Command(torchref.Python(), script, dir).CombinedOutput(); err != nil {
				t.Fatalf("reference.py: %v\n%s", err, out)
			}

			check := func(name string, ours []float32, file string) {
				t.Helper()
				ref := readNpy(t, filepath.Join(dir, file))
				if len(ref) != len(ours) {
					t.Fatalf("%s: %d values, PyTorch %d", name, len(ours), len(ref))
				}
				worst, scale, diff := closeTo(ours, ref, 1e-4, 1e-3)
				t.Logf("%s %s: max |ours - PyTorch| = %.2g of the map's largest value (%.3g); worst excess over atol 1e-4 + rtol 1e-3: %.3g", c.model, name, diff, scale, worst)
				if worst > 0 || scale == 0 {
					t.Errorf("%s: differs from PyTorch beyond tolerance (excess %g, scale %g)", name, worst, scale)
				}
			}
			sal, _, err := net.Saliency(x, N, targets)
			if err != nil {
				t.Fatal(err)
			}
			check("saliency", flat(sal), "saliency.npy")
			_, guided, err := net.Guided(x, N, targets)
			if err != nil {
				t.Fatal(err)
			}
			check("guided backprop", guided, "guided.npy")
			cams, err := net.GradCAM(x, N, targets, layer)
			if err != nil {
				t.Fatal(err)
			}
			var atLayer, up []float32
			for _, cm := range cams {
				atLayer = append(atLayer, cm.Layer.V...)
				up = append(up, cm.Image.V...)
			}
			check("grad-cam "+layer, atLayer, "cam.npy")
			check("grad-cam upsampled", up, "cam_up.npy")
			ig, _, delta, err := net.IntegratedGradients(context.Background(), x, N, targets, attrib.IGOptions{Steps: igSteps, Method: c.ig})
			if err != nil {
				t.Fatal(err)
			}
			check("integrated gradients ("+c.ig+")", ig, "ig.npy")
			t.Logf("%s integrated gradients convergence delta %v", c.model, delta)

			// FGSM, sign for sign.
			ref := readNpy(t, filepath.Join(dir, "fgsm_grad.npy"))
			const eps = 8.0 / 255
			res, err := adversarial.Run(context.Background(), net, x, N, classes, adversarial.Config{Method: adversarial.FGSM, Eps: eps})
			if err != nil {
				t.Fatal(err)
			}
			// A sign may differ only where the gradient itself is below the
			// gradient tolerance (1e-4 of its largest value): there float32
			// rounding decides it.
			gmax := 0.0
			for _, gr := range ref {
				gmax = math.Max(gmax, math.Abs(gr))
			}
			mismatch, tiny, nonzero := 0, 0, 0
			for i, gr := range ref {
				want := x[i] + float32(eps*sign(gr))
				want = min(max(want, 0), 1)
				if gr != 0 {
					nonzero++
				}
				if res.Adv[i] != want {
					if math.Abs(gr) <= 1e-4*gmax {
						tiny++
					} else {
						mismatch++
					}
				}
			}
			t.Logf("%s FGSM: %d of %d pixels differ from PyTorch's clip(x+eps·sign(grad)) (%d more where |grad| <= 1e-4 of its max; %d non-zero gradients)", c.model, mismatch, len(ref), tiny, nonzero)
			if mismatch > 0 || nonzero < len(ref)/2 {
				t.Errorf("FGSM: %d pixels differ from PyTorch's sign (non-zero gradients %d of %d)", mismatch, nonzero, len(ref))
			}
		})
	}
}

// smallResNet is a ResNet in miniature: a BatchNorm stem, an identity
// basic block and a strided one with a projection shortcut, global average
// pooling and a classifier.
func smallResNet() graph.Graph {
	var g graph.Graph
	add := func(id, op string, attrs map[string]float64, in ...string) string {
		g.Nodes = append(g.Nodes, graph.Node{ID: id, Op: op, Attrs: attrs, Inputs: in})
		return id
	}
	conv := func(id, in string, out, k, s int) string {
		return add(id, "conv2d", map[string]float64{"out": float64(out), "kernel": float64(k), "stride": float64(s),
			"pad": float64(k / 2), "dilation": 1, "groups": 1, "bias": 0}, in)
	}
	bn := func(id, in string) string {
		return add(id, "batchnorm2d", map[string]float64{"eps": 1e-5, "momentum": 0.1, "affine": 1}, in)
	}
	x := add("input", "input", nil)
	x = add("relu0", "relu", nil, bn("bn0", conv("conv0", x, 8, 3, 1)))
	block := func(p, in string, out, s int) string {
		y := add(p+".relu1", "relu", nil, bn(p+".bn1", conv(p+".conv1", in, out, 3, s)))
		y = bn(p+".bn2", conv(p+".conv2", y, out, 3, 1))
		short := in
		if s != 1 {
			short = bn(p+".down.bn", conv(p+".down.conv", in, out, 1, s))
		}
		return add(p+".relu2", "relu", nil, add(p+".add", "add", nil, y, short))
	}
	x = block("layer1", x, 8, 1)
	x = block("layer2", x, 16, 2)
	x = add("flatten", "flatten", nil, add("avgpool", "globalavgpool", nil, x))
	add("fc", "linear", map[string]float64{"out": 10, "bias": 1}, x)
	return g
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

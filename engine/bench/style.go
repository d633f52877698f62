package bench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
)

// The style workload: neural style transfer (engine/style.Transfer) on a
// five-convolution VGG-like network with seeded random weights, exported
// to PyTorch with engine/interop/pytorch (model.py and weights.npz), so
// both sides run the same network weights, the same procedural content
// and style images, the same start (the content image), the same losses
// (content at relu4, Gram style loss over relu1..relu5, weights 1 and
// 1e3), the same optimizer (Adam, lr 0.02, pixels clamped to [0, 1]) and
// the same number of steps. The headline is the seconds the whole
// transfer takes (targets, steps and the final loss); both sides report
// their final loss.
func init() {
	Register(Workload{
		Name:    "style",
		Summary: "neural style transfer, 100 Adam steps at 128 px on a 5-conv VGG-like net, same weights and images",
		Unit:    "seconds",
		Ours:    runStyle,
		Peers:   []Peer{{Name: "pytorch", Script: "style_torch.py", Modules: []string{"torch", "numpy"}}},
		Compare: compareStyle,
	})
}

// styleSpec is what our side tells the peer (style-spec.json in Dir).
type styleSpec struct {
	Size          int      `json:"size"`
	Steps         int      `json:"steps"`
	LR            float64  `json:"lr"`
	ContentLayer  string   `json:"content_layer"`
	StyleLayers   []string `json:"style_layers"`
	Convs         []string `json:"convs"` // the convolution each layer's ReLU reads
	ContentWeight float64  `json:"content_weight"`
	StyleWeight   float64  `json:"style_weight"`
}

// styleGraph is conv-relu ×2, pool, conv-relu ×2, pool, conv-relu.
func styleGraph() graph.Graph {
	g := graph.Graph{Nodes: []graph.Node{{ID: "input", Op: "input"}}}
	prev := "input"
	add := func(id, op string, attrs map[string]float64) {
		g.Nodes = append(g.Nodes, graph.Node{ID: id, Op: op, Inputs: []string{prev}, Attrs: attrs})
		prev = id
	}
	for i, out := range []int{32, 32, 64, 64, 128} {
		k := strconv.Itoa(i + 1)
		add("conv"+k, "conv2d", map[string]float64{"out": float64(out), "kernel": 3, "stride": 1, "pad": 1, "dilation": 1, "groups": 1, "bias": 1})
		add("relu"+k, "relu", nil)
		if i == 1 || i == 3 {
			add("pool"+k, "maxpool2d", map[string]float64{"kernel": 2, "stride": 2, "pad": 0})
		}
	}
	return g
}

// styleImages are the procedural content (a lit sphere on a gradient) and
// style (coloured diagonal waves) images, C,H,W in [0, 1].
func styleImages(n int) (content, sty []float32) {
	content, sty = make([]float32, 3*n*n), make([]float32, 3*n*n)
	p := n * n
	for y := range n {
		for x := range n {
			fx, fy := float64(x)/float64(n), float64(y)/float64(n)
			d := math.Hypot(fx-0.5, fy-0.55)
			v := 0.2 + 0.6*fy
			if d < 0.3 {
				v = 0.9 - d
			}
			content[y*n+x], content[p+y*n+x], content[2*p+y*n+x] = float32(v), float32(0.3+0.4*fx), float32(1-v)
			w := 0.5 + 0.5*math.Sin(float64(x+y)*0.5)
			sty[y*n+x], sty[p+y*n+x], sty[2*p+y*n+x] = float32(w), float32(0.5+0.5*math.Sin(float64(x-y)*0.3)), float32(1-w)
		}
	}
	return content, sty
}

func writeF32(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return os.WriteFile(path, b, 0o644)
}

func runStyle(ctx context.Context, o Options) (Result, error) {
	cpu.SetThreads(o.Threads)
	spec := styleSpec{Size: 128, Steps: 100, LR: 0.02, ContentLayer: "relu4", StyleLayers: []string{"relu1", "relu2", "relu3", "relu4", "relu5"},
		Convs: []string{"conv1", "conv2", "conv3", "conv4", "conv5"}, ContentWeight: 1, StyleWeight: 1e3}
	if s, err := strconv.Atoi(o.Params["steps"]); err == nil && s > 0 {
		spec.Steps = s
	}
	in := []int{3, spec.Size, spec.Size}
	b := cpu.New()
	g := styleGraph()
	m, err := nn.Build(g, in, b, uint64(o.Seed), "default")
	if err != nil {
		return Result{}, err
	}
	if _, _, err := pytorch.ExportModel(o.Dir, g, in, m.State(), "style workload network"); err != nil {
		return Result{}, err
	}
	content, sty := styleImages(spec.Size)
	js, _ := json.Marshal(spec)
	for name, data := range map[string][]byte{"style-spec.json": js} {
		if err := os.WriteFile(filepath.Join(o.Dir, name), data, 0o644); err != nil {
			return Result{}, err
		}
	}
	if err := writeF32(filepath.Join(o.Dir, "content.f32"), content); err != nil {
		return Result{}, err
	}
	if err := writeF32(filepath.Join(o.Dir, "style.f32"), sty); err != nil {
		return Result{}, err
	}
	var layers []style.LayerWeight
	for _, l := range spec.StyleLayers {
		layers = append(layers, style.LayerWeight{Layer: l, Weight: 1})
	}
	o.Logf("style: ours runs %d Adam steps at %d px on %d threads", spec.Steps, spec.Size, o.Threads)
	start := time.Now()
	r, err := style.Transfer(ctx, attrib.Net{Model: m}, style.Image{Pix: content, Shape: in}, []style.Image{{Pix: sty, Shape: in}},
		style.TransferOptions{SynthOptions: style.SynthOptions{Options: style.Options{Steps: spec.Steps, LR: spec.LR}},
			ContentLayer: spec.ContentLayer, ContentWeight: spec.ContentWeight, StyleLayers: layers, StyleWeight: spec.StyleWeight})
	if err != nil {
		return Result{}, err
	}
	secs := time.Since(start).Seconds()
	return Result{Value: secs, Fields: map[string]any{"loss": r.Loss, "loss_start": r.LossStart, "steps": r.Steps, "threads": o.Threads}}, nil
}

func compareStyle(ours Result, peer *Result) Comparison {
	c := Comparison{Ours: ours.Value, Fields: map[string]any{"loss_ours": ours.Fields["loss"], "loss_start_ours": ours.Fields["loss_start"]}}
	if peer == nil {
		return c
	}
	c.Peer = peer.Value
	if ours.Value > 0 {
		c.Ratio = peer.Value / ours.Value
	}
	c.Fields["loss_peer"], c.Fields["loss_start_peer"] = peer.Fields["loss"], peer.Fields["loss_start"]
	lo, _ := ours.Fields["loss"].(float64)
	lp, _ := peer.Fields["loss"].(float64)
	if lp != 0 {
		c.Fields["loss_rel_diff"] = math.Abs(lo-lp) / math.Abs(lp)
	}
	if v, ok := peer.Fields["torch"]; ok {
		c.Fields["peer_version"] = "torch " + fmt.Sprint(v)
	}
	return c
}

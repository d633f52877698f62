package style

import (
	"fmt"
	"sort"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Fast style transfer (Johnson, Alahi and Fei-Fei, 2016): a feed-forward
// transformation network trained on the perceptual losses of a fixed
// network turns a photo into a stylised one in a single forward pass. With
// conditional instance normalisation (Dumoulin, Shlens and Kudlur, 2017)
// one network holds several styles: every normalisation layer keeps a
// gamma and beta per style, and a blend vector mixes them.
//
// The network is an ordinary Workbench graph (ops conv2d, condinstancenorm,
// relu, add, upsample, sigmoid), so it is saved, shown and summarised like
// any other model:
//
//	conv 9×9 (3→w) · IN · ReLU
//	conv 3×3 stride 2 (w→2w) · IN · ReLU
//	conv 3×3 stride 2 (2w→4w) · IN · ReLU
//	5 residual blocks: x + IN(conv 3×3(ReLU(IN(conv 3×3 x))))
//	upsample ×2 · conv 3×3 (4w→2w) · IN · ReLU
//	upsample ×2 · conv 3×3 (2w→w) · IN · ReLU
//	conv 9×9 (w→3) · sigmoid       (pixels in [0, 1])
//
// Johnson et al. use w = 32 and strided transposed convolutions; nearest
// upsampling then a convolution has the same capacity without
// checkerboard artefacts. Every convolution pads by reflection (a
// reflectpad2d node before it, as in Johnson et al.'s code): zeros darken
// the borders of a stylised image. Networks saved before reflection
// padding have zero-padded convolutions (FastConfig.Padding "zeros") and
// keep them: a network is rebuilt from the graph it was saved with. The
// network is fully convolutional: it stylises images of any height and
// width divisible by 4 (and of at least 8 with reflection padding, which
// needs a map wider than the pad at every layer).

// FastConfig is the shape of a transformation network.
type FastConfig struct {
	// Width is the number of channels of the first layer (32 in the
	// paper); the deeper layers have 2× and 4×.
	Width int
	// Residual is the number of residual blocks (5).
	Residual int
	// Styles is the number of styles its conditional instance norms hold.
	Styles int
	// Padding is how the convolutions pad: PadReflect (new networks) or
	// PadZeros (networks trained before reflection padding).
	Padding string
}

// The paddings of a transformation network's convolutions.
const (
	PadReflect = "reflect"
	PadZeros   = "zeros"
)

func (c FastConfig) defaults() FastConfig {
	if c.Width <= 0 {
		c.Width = 32
	}
	if c.Residual <= 0 {
		c.Residual = 5
	}
	if c.Styles <= 0 {
		c.Styles = 1
	}
	if c.Padding == "" {
		c.Padding = PadReflect
	}
	return c
}

// FastGraph is the architecture of a transformation network for cfg (an
// empty Padding is PadReflect).
func FastGraph(cfg FastConfig) graph.Graph {
	cfg = cfg.defaults()
	var nodes []graph.Node
	last := "input"
	add := func(id, op string, in []string, attrs map[string]float64) string {
		nodes = append(nodes, graph.Node{ID: id, Op: op, Inputs: in, Attrs: attrs, X: 0, Y: float32(40 * len(nodes))})
		return id
	}
	add("input", "input", nil, map[string]float64{"channels": 3, "height": 256, "width": 256})
	conv := func(id string, in string, out, k, stride int) string {
		pad := k / 2
		if cfg.Padding == PadReflect {
			p := float64(pad)
			in = add(id+"_pad", "reflectpad2d", []string{in}, map[string]float64{"top": p, "bottom": p, "left": p, "right": p})
			pad = 0
		}
		return add(id, "conv2d", []string{in}, map[string]float64{"out": float64(out), "kernel": float64(k), "stride": float64(stride), "pad": float64(pad)})
	}
	norm := func(id, in string) string {
		return add(id, "condinstancenorm", []string{in}, map[string]float64{"styles": float64(cfg.Styles)})
	}
	block := func(name string, in string, out, k, stride int, relu bool) string {
		x := norm(name+"_in", conv(name, in, out, k, stride))
		if relu {
			x = add(name+"_relu", "relu", []string{x}, nil)
		}
		return x
	}
	w := cfg.Width
	last = block("conv1", last, w, 9, 1, true)
	last = block("down1", last, 2*w, 3, 2, true)
	last = block("down2", last, 4*w, 3, 2, true)
	for i := 1; i <= cfg.Residual; i++ {
		r := fmt.Sprintf("res%d", i)
		h := block(r+"a", last, 4*w, 3, 1, true)
		h = block(r+"b", h, 4*w, 3, 1, false)
		last = add(r, "add", []string{last, h}, nil)
	}
	last = add("up1_x2", "upsample", []string{last}, map[string]float64{"scale": 2})
	last = block("up1", last, 2*w, 3, 1, true)
	last = add("up2_x2", "upsample", []string{last}, map[string]float64{"scale": 2})
	last = block("up2", last, w, 3, 1, true)
	last = conv("out", last, 3, 9, 1)
	add("pixels", "sigmoid", []string{last}, nil)
	return graph.Graph{Nodes: nodes}
}

// FastNet is a transformation network and the names of its styles.
type FastNet struct {
	Model  *nn.Model
	Config FastConfig
	// Styles names the styles, in the order of the blend vector (the style
	// images' file names).
	Styles []string
}

// NewFastNet builds a transformation network with seeded initial weights
// (PyTorch's default initialisation).
func NewFastNet(b backend.Backend, cfg FastConfig, styles []string, seed uint64) (*FastNet, error) {
	cfg = cfg.defaults()
	if len(styles) != cfg.Styles {
		return nil, fmt.Errorf("%d style names for a network of %d styles", len(styles), cfg.Styles)
	}
	m, err := nn.Build(FastGraph(cfg), []int{3, 256, 256}, b, seed, "default")
	if err != nil {
		return nil, err
	}
	return &FastNet{Model: m, Config: cfg, Styles: append([]string(nil), styles...)}, nil
}

// LoadFastNet rebuilds a saved transformation network: its graph (as
// saved, from FastGraph), the weights by parameter name ("conv1.weight",
// ...) and the style names. projects/stylenet saves and opens networks as
// project files with it.
func LoadFastNet(b backend.Backend, g graph.Graph, weights map[string]tensor.Host, styles []string) (*FastNet, error) {
	cfg, err := FastConfigOf(g)
	if err != nil {
		return nil, err
	}
	if len(styles) != cfg.Styles {
		return nil, fmt.Errorf("the network holds %d styles but %d style names were saved", cfg.Styles, len(styles))
	}
	m, err := nn.Build(g, []int{3, 256, 256}, b, 1, "default")
	if err != nil {
		return nil, fmt.Errorf("not a fast-style network: %v", err)
	}
	src := map[string]*tensor.Tensor{}
	for k, t := range weights {
		src[k] = tensor.FromData(b, t.Data, t.Shape...)
	}
	if err := m.LoadState(src); err != nil {
		return nil, err
	}
	return &FastNet{Model: m, Config: cfg, Styles: append([]string(nil), styles...)}, nil
}

// FastConfigOf recognises a transformation network's graph and reads its
// configuration back.
func FastConfigOf(g graph.Graph) (FastConfig, error) {
	cfg := FastConfig{Padding: PadZeros}
	for _, n := range g.Nodes {
		switch {
		case n.ID == "conv1_pad" && n.Op == "reflectpad2d":
			cfg.Padding = PadReflect
		case n.ID == "conv1" && n.Op == "conv2d":
			cfg.Width = n.IntAttr("out", 0)
		case n.ID == "conv1_in" && n.Op == "condinstancenorm":
			cfg.Styles = n.IntAttr("styles", 1)
		case n.Op == "add" && len(n.ID) > 3 && n.ID[:3] == "res":
			cfg.Residual++
		}
	}
	if cfg.Width == 0 || cfg.Styles == 0 || cfg.Residual == 0 {
		return cfg, fmt.Errorf("the graph is not a fast-style transformation network (train one with workbench train-style)")
	}
	want := FastGraph(cfg)
	if len(want.Nodes) != len(g.Nodes) {
		return cfg, fmt.Errorf("the graph has %d nodes, a fast-style network of width %d (%s padding) has %d", len(g.Nodes), cfg.Width, cfg.Padding, len(want.Nodes))
	}
	return cfg, nil
}

// Weights are the network's parameters by name, copied to the host (what
// a project stores under "weights/").
func (f *FastNet) Weights() map[string]tensor.Host {
	out := map[string]tensor.Host{}
	for name, t := range f.Model.State() {
		out[name] = tensor.Host{Shape: append([]int(nil), t.Shape...), Data: t.Data()}
	}
	return out
}

// FastStyleKey is the key of the style names in a project's
// Inspect.Strings (comma-free names joined by "\n").
const FastStyleKey = "faststyle.styles"

// FastStyleNames reads the style names a project stored under FastStyleKey.
func FastStyleNames(strs map[string]string) []string {
	s := strs[FastStyleKey]
	if s == "" {
		return nil
	}
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// FastStyleString is the value stored under FastStyleKey for names.
func FastStyleString(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += "\n"
		}
		out += n
	}
	return out
}

// CheckBlend validates a blend vector for the network: nil or empty is
// style 0; otherwise one non-negative weight per style, not all zero. It
// returns the weights normalised to sum to 1.
func (f *FastNet) CheckBlend(blend []float64) ([]float32, error) {
	s := f.Config.Styles
	if len(blend) == 0 {
		return nil, nil
	}
	if len(blend) != s {
		return nil, fmt.Errorf("%d blend weights for a network of %d styles (%v): give one weight per style", len(blend), s, f.Styles)
	}
	var sum float64
	for _, w := range blend {
		if w < 0 || w != w {
			return nil, fmt.Errorf("blend weight %v is negative or not a number: weights must be >= 0", w)
		}
		sum += w
	}
	if sum == 0 {
		return nil, fmt.Errorf("the blend weights are all zero: give at least one style a positive weight")
	}
	out := make([]float32, s)
	for i, w := range blend {
		out[i] = float32(w / sum)
	}
	return out, nil
}

// Stylise renders img (C=3,H,W in [0, 1]; H and W divisible by 4) in the
// network's style in one forward pass. blend weighs the styles (nil: the
// first; otherwise one weight per style, normalised to sum to 1).
func (f *FastNet) Stylise(img Image, blend []float64) (Image, error) {
	if err := checkImage(img.Pix, img.Shape); err != nil {
		return Image{}, err
	}
	c, h, w := img.Shape[0], img.Shape[1], img.Shape[2]
	if least := f.MinSide(); c != 3 || h%4 != 0 || w%4 != 0 || h < least || w < least {
		return Image{}, fmt.Errorf("a fast-style network takes colour images with sides divisible by 4 and at least %d, not %v", least, img.Shape)
	}
	bl, err := f.CheckBlend(blend)
	if err != nil {
		return Image{}, err
	}
	out := f.forward(img.Pix, 1, h, w, bl)
	res := Image{Pix: out.Value.Data(), Shape: []int{3, h, w}}
	autograd.Release(out)
	f.Model.B.Free(out.Value.Buf)
	return res, nil
}

// MinSide is the smallest side of an image the network stylises: 8 with
// reflection padding (the residual blocks' maps, a quarter of the side,
// must be wider than their pad of 1), else 4.
func (f *FastNet) MinSide() int {
	if f.Config.Padding == PadReflect {
		return 8
	}
	return 4
}

// StyliseBatch runs n images (N,3,H,W flattened) through the network with
// one blend for all, without recording a graph (the benchmark's path).
func (f *FastNet) StyliseBatch(x []float32, n, h, w int, blend []float32) []float32 {
	out := f.forward(x, n, h, w, blend)
	d := out.Value.Data()
	f.Model.B.Free(out.Value.Buf)
	return d
}

// forward runs the network without a graph (stylising): the input's
// buffer goes back to the backend once the pass has read it.
func (f *FastNet) forward(x []float32, n, h, w int, blend []float32) *autograd.Var {
	xv := autograd.Const(tensor.FromData(f.Model.B, x, n, 3, h, w))
	out := f.Model.Forward(&nn.Ctx{NoGrad: true, Style: blend}, xv)
	f.Model.B.Free(xv.Value.Buf)
	return out
}

// trainForward runs the network on xv [N, 3, H, W] recording the graph to
// the parameters.
func (f *FastNet) trainForward(xv *autograd.Var, blend []float32) *autograd.Var {
	return f.Model.Forward(&nn.Ctx{Training: true, Style: blend}, xv)
}

// ParamNames lists the parameters in a stable order (for exports).
func (f *FastNet) ParamNames() []string {
	var names []string
	for _, p := range f.Model.Params {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}

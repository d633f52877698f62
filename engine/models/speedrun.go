package models

import (
	"fmt"
	"math"
	"strings"

	"github.com/workbench-cv/workbench/engine/nn"

	"github.com/workbench-cv/workbench/engine/graph"
	"gonum.org/v1/gonum/mat"
)

// SpeedrunConfig shapes the airbench94 network (Keller Jordan, "94% on
// CIFAR-10 in 3.29 seconds on a single GPU", 2024): a frozen 2x2
// patch-whitening convolution, then three blocks of conv3x3, max-pool 2,
// BatchNorm, activation, conv3x3, BatchNorm, activation, then a 3x3
// max-pool and a bias-free classifier.
type SpeedrunConfig struct {
	// Widths of the three blocks; zero values take airbench's 64, 256, 256.
	Widths [3]int
	// Act is the activation: "gelu" (airbench's) or "relu".
	Act string
	// BNMomentum is PyTorch's BatchNorm momentum (airbench: 1-0.6 = 0.4).
	BNMomentum float64
	// BNEps is BatchNorm's epsilon (airbench: 1e-12).
	BNEps float64
}

// SpeedrunWhitenWidth is the whitening layer's output channels: the 12
// eigenvectors of 2x2x3 patches and their negatives.
const SpeedrunWhitenWidth = 2 * 3 * 2 * 2

// SpeedrunScale multiplies the classifier's output (airbench's Mul(1/9));
// the graph ends at the classifier, so the training recipe applies it.
const SpeedrunScale = 1.0 / 9

func (c SpeedrunConfig) withDefaults() SpeedrunConfig {
	if c.Widths == [3]int{} {
		c.Widths = [3]int{64, 256, 256}
	}
	if c.Act == "" {
		c.Act = "gelu"
	}
	if c.BNMomentum == 0 {
		c.BNMomentum = 0.4
	}
	if c.BNEps == 0 {
		c.BNEps = 1e-12
	}
	return c
}

// Speedrun returns the airbench94 graph for 3x32x32 images. Node IDs follow
// the PyTorch peer's module names: "whiten", "block{1,2,3}.conv{1,2}",
// "block{1,2,3}.norm{1,2}", "head". Parameters of nodes named "*.norm*"
// are the BatchNorm biases (and frozen scales) that the recipe trains with
// a larger learning rate.
func Speedrun(input []int, classes int, cfg SpeedrunConfig) (graph.Graph, error) {
	cfg = cfg.withDefaults()
	if cfg.Act != "gelu" && cfg.Act != "relu" {
		return graph.Graph{}, fmt.Errorf("speedrun activation %q: use gelu or relu", cfg.Act)
	}
	b := newBuilder(input)
	x := b.conv("whiten", "input", SpeedrunWhitenWidth, 2, 1, 0, 1, true)
	x = b.act("whiten.act", cfg.Act, x)
	in := x
	for i, w := range cfg.Widths {
		p := fmt.Sprintf("block%d", i+1)
		b.begin(p)
		x = b.conv(p+".conv1", in, w, 3, 1, 1, 1, false)
		x = b.add(p+".pool", "maxpool2d", map[string]float64{"kernel": 2, "stride": 2, "pad": 0}, x)
		x = b.add(p+".norm1", "batchnorm2d", map[string]float64{"eps": cfg.BNEps, "momentum": cfg.BNMomentum, "affine": 1}, x)
		x = b.act(p+".act1", cfg.Act, x)
		x = b.conv(p+".conv2", x, w, 3, 1, 1, 1, false)
		x = b.add(p+".norm2", "batchnorm2d", map[string]float64{"eps": cfg.BNEps, "momentum": cfg.BNMomentum, "affine": 1}, x)
		x = b.act(p+".act2", cfg.Act, x)
		b.end()
		in = x
	}
	x = b.add("pool", "maxpool2d", map[string]float64{"kernel": 3, "stride": 3, "pad": 0}, x)
	x = b.add("flatten", "flatten", nil, x)
	b.add("head", "linear", map[string]float64{"out": float64(classes), "bias": 0}, x)
	if b.err != nil {
		return graph.Graph{}, b.err
	}
	return b.g, nil
}

// DiracInit makes the first min(out, in) filters of a conv weight
// [out, in, k, k] the identity (torch.nn.init.dirac_ on w[:in]), as
// airbench does to every 3x3 convolution: each block starts by passing its
// input through.
func DiracInit(w []float32, out, in, kh, kw int) {
	n := min(out, in)
	for o := 0; o < n; o++ {
		f := w[o*in*kh*kw : (o+1)*in*kh*kw]
		clear(f)
		f[(o*kh+kh/2)*kw+kw/2] = 1
	}
}

// WhiteningWeights returns the weights [2·c·k·k, c, k, k] of a k x k
// convolution that whitens the k x k patches of images (n images of c x h x
// w float32 values, CHW, already normalised): the eigenvectors of the
// patches' (uncentred) covariance, largest eigenvalue first, each divided
// by sqrt(eigenvalue + eps), followed by their negatives. This is
// airbench's init_whitening_conv (eps 5e-4 there).
func WhiteningWeights(images []float32, n, c, h, w, k int, eps float64) ([]float32, error) {
	d := c * k * k
	if n < 1 || h < k || w < k || len(images) != n*c*h*w {
		return nil, fmt.Errorf("whitening needs at least one %dx%dx%d image of %d values each, got %d values for %d images", c, h, w, c*h*w, len(images), n)
	}
	cov := make([]float64, d*d)
	p := make([]float64, d)
	count := 0
	for i := 0; i < n; i++ {
		im := images[i*c*h*w : (i+1)*c*h*w]
		for y := 0; y+k <= h; y++ {
			for x := 0; x+k <= w; x++ {
				j := 0
				for ch := 0; ch < c; ch++ {
					for dy := 0; dy < k; dy++ {
						row := im[(ch*h+y+dy)*w+x:]
						for dx := 0; dx < k; dx++ {
							p[j] = float64(row[dx])
							j++
						}
					}
				}
				for a := 0; a < d; a++ {
					pa := p[a]
					r := cov[a*d:]
					for b := a; b < d; b++ {
						r[b] += pa * p[b]
					}
				}
				count++
			}
		}
	}
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			cov[a*d+b] /= float64(count)
			cov[b*d+a] = cov[a*d+b]
		}
	}
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(d, cov), true) {
		return nil, fmt.Errorf("whitening: the patch covariance has no eigen-decomposition")
	}
	vals := es.Values(nil) // ascending
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	out := make([]float32, 2*d*d)
	for r := 0; r < d; r++ {
		col := d - 1 - r // largest first
		s := 1 / math.Sqrt(vals[col]+eps)
		for j := 0; j < d; j++ {
			v := float32(vecs.At(j, col) * s)
			out[r*d+j] = v
			out[(d+r)*d+j] = -v
		}
	}
	return out, nil
}

// InitSpeedrun sets a model built from Speedrun to airbench's starting
// point: the whitening layer's weights from the 2x2 patches of images (n
// normalised CHW images, airbench uses the first 5000 training images) and
// the identity (DiracInit) in every 3x3 convolution. The other parameters
// keep the model's own initialisation (PyTorch's defaults).
func InitSpeedrun(m *nn.Model, images []float32, n int) error {
	in := m.Analysis.Nodes[m.Analysis.Input].Out
	if len(in) != 3 {
		return fmt.Errorf("speedrun init: the model takes %v, not images", in)
	}
	found := false
	for _, p := range m.Params {
		node := m.Node(p.Node)
		if node == nil || node.Op != "conv2d" || !strings.HasSuffix(p.Name, ".weight") {
			continue
		}
		s := p.V.Value.Shape
		switch {
		case p.Node == "whiten":
			w, err := WhiteningWeights(images, n, in[0], in[1], in[2], s[2], 5e-4)
			if err != nil {
				return err
			}
			if len(w) != p.V.Value.Len() {
				return fmt.Errorf("speedrun init: whiten.weight has shape %v, the whitening gives %d values", s, len(w))
			}
			p.V.Value.Set(w)
			found = true
		case s[2] == 3 && s[3] == 3:
			w := p.V.Value.Data()
			DiracInit(w, s[0], s[1], s[2], s[3])
			p.V.Value.Set(w)
		}
	}
	if !found {
		return fmt.Errorf("speedrun init: the model has no \"whiten\" convolution; build it with models.Speedrun")
	}
	return nil
}

package models

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/graph"
)

// SEBlock inserts a squeeze-and-excitation block (Hu et al. 2018) after the
// node after, whose output must be a C×H×W volume: global average pool
// (squeeze), fully connected C/reduction, ReLU, fully connected C, sigmoid
// (excitation), then the volume scaled channel by channel. The nodes that read
// after's output now read the scaled volume, whose ID is returned. Node IDs
// start with prefix, which also names the block ("" means after+".se").
// Reduction 16 is the paper's.
func SEBlock(g *graph.Graph, after string, reduction int, prefix string) (string, error) {
	if reduction < 1 {
		return "", fmt.Errorf("squeeze-and-excitation reduction must be at least 1, got %d", reduction)
	}
	if prefix == "" {
		prefix = after + ".se"
	}
	return insert(g, after, prefix, func(b *builder) string { return b.se(prefix, after, reduction) })
}

func (b *builder) se(p, x string, reduction int) string {
	if s := b.shape[x]; len(s) != 3 {
		b.err = fmt.Errorf("a squeeze-and-excitation block needs a C×H×W volume, and %s gives %v", x, s)
		return x
	}
	c := b.channels(x)
	outer := b.block
	b.begin(p)
	defer func() { b.block = outer }()
	s := b.add(p+".squeeze", "globalavgpool", nil, x)
	s = b.linear(p+".fc1", s, max(1, c/reduction))
	s = b.relu(p+".relu", s)
	s = b.linear(p+".fc2", s, c)
	s = b.act(p+".sigmoid", "sigmoid", s)
	return b.add(p+".scale", "scale", nil, x, s)
}

// MobileSEBlock inserts torchvision's SqueezeExcitation after the node
// after, as the mobile networks use it: average pool to 1x1, a 1x1
// convolution to the squeezed width, an activation, a 1x1 convolution back
// and a gate scaling the volume's channels. style "mobilenet_v3" squeezes to
// a quarter of the channels rounded to a multiple of 8, with ReLU and a
// hard-sigmoid gate; "efficientnet" squeezes to a quarter (at least 1),
// with SiLU and a sigmoid gate (inside EfficientNet the quarter is of the
// block's input, before its expansion). IDs and the block name start with
// prefix ("" means after+".se"); the scaled volume's ID is returned.
func MobileSEBlock(g *graph.Graph, after, style, prefix string) (string, error) {
	if style != "mobilenet_v3" && style != "efficientnet" {
		return "", fmt.Errorf("unknown squeeze-and-excitation style %q: use mobilenet_v3 or efficientnet", style)
	}
	if prefix == "" {
		prefix = after + ".se"
	}
	return insert(g, after, prefix, func(b *builder) string {
		if s := b.shape[after]; len(s) != 3 {
			b.err = fmt.Errorf("a squeeze-and-excitation block needs a C×H×W volume, and %s gives %v", after, s)
			return after
		}
		c := b.channels(after)
		outer := b.block
		b.begin(prefix)
		defer func() { b.block = outer }()
		if style == "mobilenet_v3" {
			return b.squeezeExcite(prefix, after, makeDivisible(float64(c/4), 8), "relu", "hardsigmoid")
		}
		return b.squeezeExcite(prefix, after, max(1, c/4), "silu", "sigmoid")
	})
}

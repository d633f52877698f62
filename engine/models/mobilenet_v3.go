package models

import "fmt"

// buildMobileNetV3Large is torchvision's MobileNet v3 large (Howard et al.
// 2019), width 1.0: conv 3x3/2 16 with hard-swish, 15 inverted residual
// blocks (1x1 expansion unless it would keep the width, depthwise k x k,
// optional squeeze-and-excitation gated by hard-sigmoid, linear 1x1
// projection; ReLU or hard-swish as the paper's table 1 says), conv 1x1 960,
// global average pooling, fully connected 1280, hard-swish, dropout 0.2 and
// the classifier. BatchNorm has eps 0.001 and momentum 0.01, as
// torchvision's. Small inputs: the stem and the first 24-channel block have
// stride 1.
func buildMobileNetV3Large(b *builder, classes int) {
	const eps, mom = 0.001, 0.01
	small := b.small()
	stem := 2
	if small {
		stem = 1
	}
	x := b.convNormAct("features.0", "input", 16, 3, stem, 1, eps, mom, "hardswish")
	cfg := []struct {
		k, exp, out int
		se          bool
		act         string
		s           int
	}{
		{3, 16, 16, false, "relu", 1}, {3, 64, 24, false, "relu", 2}, {3, 72, 24, false, "relu", 1},
		{5, 72, 40, true, "relu", 2}, {5, 120, 40, true, "relu", 1}, {5, 120, 40, true, "relu", 1},
		{3, 240, 80, false, "hardswish", 2}, {3, 200, 80, false, "hardswish", 1}, {3, 184, 80, false, "hardswish", 1},
		{3, 184, 80, false, "hardswish", 1}, {3, 480, 112, true, "hardswish", 1}, {3, 672, 112, true, "hardswish", 1},
		{5, 672, 160, true, "hardswish", 2}, {5, 960, 160, true, "hardswish", 1}, {5, 960, 160, true, "hardswish", 1},
	}
	in := 16
	for i, c := range cfg {
		p := fmt.Sprintf("features.%d", i+1)
		b.begin(p)
		s := c.s
		if small && c.out == 24 {
			s = 1
		}
		y, j := x, 0
		layer := func() string { j++; return fmt.Sprintf("%s.block.%d", p, j-1) }
		if c.exp != in {
			y = b.convNormAct(layer(), y, c.exp, 1, 1, 1, eps, mom, c.act)
		}
		y = b.convNormAct(layer(), y, c.exp, c.k, s, c.exp, eps, mom, c.act)
		if c.se {
			y = b.squeezeExcite(layer(), y, makeDivisible(float64(c.exp/4), 8), "relu", "hardsigmoid")
		}
		y = b.convNormAct(layer(), y, c.out, 1, 1, 1, eps, mom, "")
		if s == 1 && in == c.out {
			y = b.add(p+".add", "add", nil, x, y)
		}
		x = y
		b.end()
		in = c.out
	}
	x = b.convNormAct("features.16", x, 960, 1, 1, 1, eps, mom, "hardswish")
	x = b.add("avgpool", "globalavgpool", nil, x)
	x = b.linear("classifier.0", x, 1280)
	x = b.act("classifier.1", "hardswish", x)
	x = b.dropout("classifier.2", x, 0.2)
	b.linear("classifier.3", x, classes)
}

package models

import "fmt"

// buildEfficientNetB0 is torchvision's EfficientNet-B0 (Tan & Le 2019):
// conv 3x3/2 32 with SiLU, seven stages of MBConv blocks (1x1 expansion
// unless the ratio is 1, depthwise k x k, squeeze-and-excitation to a
// quarter of the block's input channels with SiLU and a sigmoid gate,
// linear 1x1 projection; all with BatchNorm), conv 1x1 1280, global average
// pooling, dropout 0.2 and the classifier. Blocks with a residual add drop
// their branch by stochastic depth (per example) with probability 0.2·i/16
// for the i-th block, as torchvision. Small inputs: the stem and the first
// 24-channel stage have stride 1.
func buildEfficientNetB0(b *builder, classes int) {
	const eps, mom = 1e-5, 0.1
	small := b.small()
	stem := 2
	if small {
		stem = 1
	}
	x := b.convNormAct("features.0", "input", 32, 3, stem, 1, eps, mom, "silu")
	stages := []invStage{
		{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
		{6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
	}
	total := 0
	for _, st := range stages {
		total += st.n
	}
	block := 0
	x = b.invertedStages("features", 1, stages, 32, x, small, func(p, x string, in, s int, st invStage) string {
		exp := in * st.exp
		y, j := x, 0
		layer := func() string { j++; return fmt.Sprintf("%s.block.%d", p, j-1) }
		if exp != in {
			y = b.convNormAct(layer(), y, exp, 1, 1, 1, eps, mom, "silu")
		}
		y = b.convNormAct(layer(), y, exp, st.k, s, exp, eps, mom, "silu")
		y = b.squeezeExcite(layer(), y, max(1, in/4), "silu", "sigmoid")
		y = b.convNormAct(layer(), y, st.out, 1, 1, 1, eps, mom, "")
		if s == 1 && in == st.out {
			y = b.add(p+".stochastic_depth", "stochasticdepth", map[string]float64{"p": 0.2 * float64(block) / float64(total)}, y)
			y = b.add(p+".add", "add", nil, y, x)
		}
		block++
		return y
	})
	x = b.convNormAct("features.8", x, 1280, 1, 1, 1, eps, mom, "silu")
	x = b.add("avgpool", "globalavgpool", nil, x)
	x = b.dropout("classifier.0", x, 0.2)
	b.linear("classifier.1", x, classes)
}

// buildMNASNet10 is torchvision's MNASNet 1.0 (Tan et al. 2019): conv 3x3/2
// 32, a depthwise-separable 3x3 to 16 channels, six stacks of inverted
// residuals (1x1 expansion by 3 or 6, depthwise 3x3 or 5x5, linear 1x1
// projection, all with BatchNorm and ReLU; residual adds where the shape
// allows), conv 1x1 1280, global average pooling, dropout 0.2 and the
// classifier. BatchNorm momentum is torchvision's 0.0003. Small inputs: the
// stem and the first stack (24 channels) have stride 1.
func buildMNASNet10(b *builder, classes int) {
	const eps, mom = 1e-5, 1 - 0.9997
	small := b.small()
	stem := 2
	if small {
		stem = 1
	}
	bn := func(id, x string) string {
		return b.add(id, "batchnorm2d", map[string]float64{"eps": eps, "momentum": mom, "affine": 1}, x)
	}
	x := b.conv("layers.0", "input", 32, 3, stem, 1, 1, false)
	x = b.relu("layers.2", bn("layers.1", x))
	x = b.conv("layers.3", x, 32, 3, 1, 1, 32, false)
	x = b.relu("layers.5", bn("layers.4", x))
	x = b.conv("layers.6", x, 16, 1, 1, 0, 1, false)
	x = bn("layers.7", x)
	stacks := []invStage{
		{3, 3, 2, 24, 3}, {3, 5, 2, 40, 3}, {6, 5, 2, 80, 3}, {6, 3, 1, 96, 2}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
	}
	x = b.invertedStages("layers", 8, stacks, 16, x, small, func(p, x string, in, s int, st invStage) string {
		mid := in * st.exp
		l := p + ".layers"
		y := b.conv(l+".0", x, mid, 1, 1, 0, 1, false)
		y = b.relu(l+".2", bn(l+".1", y))
		y = b.conv(l+".3", y, mid, st.k, s, st.k/2, mid, false)
		y = b.relu(l+".5", bn(l+".4", y))
		y = b.conv(l+".6", y, st.out, 1, 1, 0, 1, false)
		y = bn(l+".7", y)
		if s == 1 && in == st.out {
			y = b.add(p+".add", "add", nil, y, x)
		}
		return y
	})
	x = b.conv("layers.14", x, 1280, 1, 1, 0, 1, false)
	x = b.relu("layers.16", bn("layers.15", x))
	x = b.add("avgpool", "globalavgpool", nil, x)
	x = b.dropout("classifier.0", x, 0.2)
	b.linear("classifier.1", x, classes)
}

// invStage is one stack of inverted-residual blocks: expansion factor,
// depthwise kernel size, the first block's stride, output channels and the
// number of blocks.
type invStage struct{ exp, k, s, out, n int }

// invertedStages builds the blocks of stages in order, naming block i of
// stage si "prefix.(si+first).i" and wrapping each in begin/end. block gets
// that name, its input, input channels and stride (the stage's stride on its
// first block, else 1; 1 for the 24-channel stage on small inputs) and
// returns its output. The last output is returned.
func (b *builder) invertedStages(prefix string, first int, stages []invStage, in int, x string, small bool, block func(p, x string, in, s int, st invStage) string) string {
	for si, st := range stages {
		for i := range st.n {
			p := fmt.Sprintf("%s.%d.%d", prefix, si+first, i)
			b.begin(p)
			s := 1
			if i == 0 {
				s = st.s
				if small && st.out == 24 {
					s = 1
				}
			}
			x = block(p, x, in, s, st)
			b.end()
			in = st.out
		}
	}
	return x
}

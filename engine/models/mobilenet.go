package models

import "fmt"

// buildMobileNetV1 follows the paper's table 1 (there is no torchvision
// model): conv 3x3/2 32, then 13 depthwise-separable blocks (depthwise 3x3,
// BatchNorm, ReLU, pointwise 1x1, BatchNorm, ReLU) to 1024 channels, global
// average pool and a fully connected layer. Convolutions have no bias. IDs
// follow the torchvision style: "features.<i>.<j>", "classifier". 4,231,976
// parameters at 224 with 1000 classes (Keras' trainable count). Small
// inputs: the first convolution has stride 1.
func buildMobileNetV1(b *builder, classes int) {
	stride := 2
	if b.small() {
		stride = 1
	}
	x := b.conv("features.0.0", "input", 32, 3, stride, 1, 1, false)
	x = b.bn("features.0.1", x, 1e-5)
	x = b.relu("features.0.2", x)
	cfg := []struct{ out, stride int }{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
		{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}}
	in := 32
	for i, c := range cfg {
		p := fmt.Sprintf("features.%d", i+1)
		b.begin(p)
		x = b.conv(p+".0", x, in, 3, c.stride, 1, in, false)
		x = b.bn(p+".1", x, 1e-5)
		x = b.relu(p+".2", x)
		x = b.conv(p+".3", x, c.out, 1, 1, 0, 1, false)
		x = b.bn(p+".4", x, 1e-5)
		x = b.relu(p+".5", x)
		b.end()
		in = c.out
	}
	x = b.add("avgpool", "globalavgpool", nil, x)
	b.linear("classifier", x, classes)
}

// buildMobileNetV2 is torchvision's MobileNet v2 (width 1.0): stem conv
// 3x3/2 32, inverted residual blocks (1x1 expansion unless t = 1, depthwise
// 3x3, linear 1x1 projection; each convolution with BatchNorm, ReLU6 after
// the first two), residual adds where the shape allows, conv 1x1 1280,
// dropout 0.2 and the classifier. Small inputs: the stem and the first
// 24-channel stage have stride 1 (as CIFAR versions do).
func buildMobileNetV2(b *builder, classes int) {
	small := b.small()
	stride := 2
	if small {
		stride = 1
	}
	convBN := func(p, x string, out, k, s, groups int, act bool) string {
		x = b.conv(p+".0", x, out, k, s, (k-1)/2, groups, false)
		x = b.bn(p+".1", x, 1e-5)
		if act {
			x = b.act(p+".2", "relu6", x)
		}
		return x
	}
	x := convBN("features.0", "input", 32, 3, stride, 1, true)
	settings := []struct{ t, c, n, s int }{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
		{6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}
	in, idx := 32, 1
	for _, st := range settings {
		for i := range st.n {
			s := 1
			if i == 0 {
				s = st.s
				if small && st.c == 24 {
					s = 1
				}
			}
			p := fmt.Sprintf("features.%d", idx)
			b.begin(p)
			hidden := in * st.t
			y, k := x, 0
			if st.t != 1 {
				y = convBN(fmt.Sprintf("%s.conv.%d", p, k), y, hidden, 1, 1, 1, true)
				k++
			}
			y = convBN(fmt.Sprintf("%s.conv.%d", p, k), y, hidden, 3, s, hidden, true)
			y = b.conv(fmt.Sprintf("%s.conv.%d", p, k+1), y, st.c, 1, 1, 0, 1, false)
			y = b.bn(fmt.Sprintf("%s.conv.%d", p, k+2), y, 1e-5)
			if s == 1 && in == st.c {
				y = b.add(p+".add", "add", nil, x, y)
			}
			x = y
			b.end()
			in = st.c
			idx++
		}
	}
	x = convBN(fmt.Sprintf("features.%d", idx), x, 1280, 1, 1, 1, true)
	x = b.add("avgpool", "globalavgpool", nil, x)
	x = b.dropout("classifier.0", x, 0.2)
	b.linear("classifier.1", x, classes)
}

package models

import "fmt"

// buildSqueezeNet11 is torchvision's SqueezeNet 1.1 (Iandola et al. 2016):
// conv 3x3/2 64, ReLU, then Fire modules (a 1x1 squeeze convolution and
// ReLU feeding 1x1 and 3x3 expand convolutions, each with ReLU,
// concatenated) between three 3x3/2 max-pools, dropout 0.5 and a 1x1
// convolution to the classes, ReLU and global average pooling. torchvision's
// pools round up (ceil mode); these round down, which gives the same maps
// whenever the side before a pool is odd (224: 111, 55, 27). Small inputs:
// the first convolution is 3x3 stride 1 with padding 1.
func buildSqueezeNet11(b *builder, classes int) {
	stride, pad := 2, 0
	if b.small() {
		stride, pad = 1, 1
	}
	x := b.conv("features.0", "input", 64, 3, stride, b.fitPad("input", 3, pad), 1, true)
	x = b.relu("features.1", x)
	fire := func(i int, squeeze, expand int) {
		p := fmt.Sprintf("features.%d", i)
		outer := b.block
		b.begin(p)
		s := b.conv(p+".squeeze", x, squeeze, 1, 1, 0, 1, true)
		s = b.relu(p+".squeeze_activation", s)
		e1 := b.relu(p+".expand1x1_activation", b.conv(p+".expand1x1", s, expand, 1, 1, 0, 1, true))
		e3 := b.relu(p+".expand3x3_activation", b.conv(p+".expand3x3", s, expand, 3, 1, 1, 1, true))
		x = b.add(p+".concat", "concat", nil, e1, e3)
		b.block = outer
	}
	x = b.pool("features.2", "maxpool2d", x, 3, 2, 0)
	fire(3, 16, 64)
	fire(4, 16, 64)
	x = b.pool("features.5", "maxpool2d", x, 3, 2, 0)
	fire(6, 32, 128)
	fire(7, 32, 128)
	x = b.pool("features.8", "maxpool2d", x, 3, 2, 0)
	fire(9, 48, 192)
	fire(10, 48, 192)
	fire(11, 64, 256)
	fire(12, 64, 256)
	x = b.dropout("classifier.0", x, 0.5)
	x = b.conv("classifier.1", x, classes, 1, 1, 0, 1, true)
	x = b.relu("classifier.2", x)
	b.add("classifier.3", "globalavgpool", nil, x)
}

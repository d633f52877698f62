package models

import "fmt"

// buildDenseNet121 is torchvision's DenseNet-121 (growth rate 32, bottleneck
// width 4x32, compression 0.5). Each dense layer reads the concatenation of
// all earlier maps of its block, here as a chain of concatenations
// x_{l+1} = concat(x_l, new_l), which keeps torchvision's channel order.
// Dense layers and transitions are graph blocks. Small inputs: conv0 becomes
// 3x3 stride 1 and pool0 is left out.
func buildDenseNet121(b *builder, classes int) {
	const growth, bnSize = 32, 4
	x := b.stem("features.conv0", "features.norm0", "features.relu0", "features.pool0")
	features := 64
	blocks := []int{6, 12, 24, 16}
	for i, n := range blocks {
		for j := 1; j <= n; j++ {
			p := fmt.Sprintf("features.denseblock%d.denselayer%d", i+1, j)
			b.begin(p)
			y := b.bn(p+".norm1", x, 1e-5)
			y = b.relu(p+".relu1", y)
			y = b.conv(p+".conv1", y, bnSize*growth, 1, 1, 0, 1, false)
			y = b.bn(p+".norm2", y, 1e-5)
			y = b.relu(p+".relu2", y)
			y = b.conv(p+".conv2", y, growth, 3, 1, 1, 1, false)
			x = b.add(p+".concat", "concat", nil, x, y)
			b.end()
			features += growth
		}
		if i < len(blocks)-1 {
			p := fmt.Sprintf("features.transition%d", i+1)
			b.begin(p)
			x = b.bn(p+".norm", x, 1e-5)
			x = b.relu(p+".relu", x)
			x = b.conv(p+".conv", x, features/2, 1, 1, 0, 1, false)
			x = b.pool(p+".pool", "avgpool2d", x, 2, 2, 0)
			b.end()
			features /= 2
		}
	}
	x = b.bn("features.norm5", x, 1e-5)
	x = b.relu("relu", x)
	x = b.add("avgpool", "globalavgpool", nil, x)
	b.linear("classifier", x, classes)
}

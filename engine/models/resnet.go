package models

import "fmt"

// buildResNet is torchvision's ResNet family: basic blocks (two 3x3) or
// bottlenecks (1x1, 3x3 with the stride and groups, 1x1 to 4x planes), with
// a 1x1 projection + BatchNorm on the shortcut when the shape changes. Each
// block is a graph block named as torchvision's module ("layer2.0"). Small
// inputs: conv1 becomes 3x3 stride 1 and the stem max-pool is left out (the
// usual CIFAR ResNet stem).
func buildResNet(b *builder, bottleneck bool, layers [4]int, groups, widthPerGroup, classes int) {
	x := b.stem("conv1", "bn1", "relu", "maxpool")
	inplanes := 64
	for i, planes := range []int{64, 128, 256, 512} {
		for j := range layers[i] {
			stride := 1
			if i > 0 && j == 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d", i+1, j)
			b.begin(p)
			var y string
			expansion := 1
			if bottleneck {
				expansion = 4
				width := planes * widthPerGroup / 64 * groups
				y = b.conv(p+".conv1", x, width, 1, 1, 0, 1, false)
				y = b.bn(p+".bn1", y, 1e-5)
				y = b.relu(p+".relu1", y)
				y = b.conv(p+".conv2", y, width, 3, stride, 1, groups, false)
				y = b.bn(p+".bn2", y, 1e-5)
				y = b.relu(p+".relu2", y)
				y = b.conv(p+".conv3", y, planes*4, 1, 1, 0, 1, false)
				y = b.bn(p+".bn3", y, 1e-5)
			} else {
				y = b.conv(p+".conv1", x, planes, 3, stride, 1, 1, false)
				y = b.bn(p+".bn1", y, 1e-5)
				y = b.relu(p+".relu1", y)
				y = b.conv(p+".conv2", y, planes, 3, 1, 1, 1, false)
				y = b.bn(p+".bn2", y, 1e-5)
			}
			short := x
			if stride != 1 || inplanes != planes*expansion {
				short = b.conv(p+".downsample.0", x, planes*expansion, 1, stride, 0, 1, false)
				short = b.bn(p+".downsample.1", short, 1e-5)
			}
			x = b.add(p+".add", "add", nil, y, short)
			x = b.relu(p+".relu", x)
			b.end()
			inplanes = planes * expansion
		}
	}
	x = b.add("avgpool", "globalavgpool", nil, x)
	b.linear("fc", x, classes)
}

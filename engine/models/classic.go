package models

import "fmt"

func buildLinear(b *builder, classes int) {
	x := b.add("flatten", "flatten", nil, "input")
	b.linear("fc", x, classes)
}

// mlp2Hidden is the two-layer net's hidden width (the course's TwoLayerNet
// default).
const mlp2Hidden = 100

func buildMLP2(b *builder, classes int) {
	x := b.add("flatten", "flatten", nil, "input")
	x = b.linear("fc1", x, mlp2Hidden)
	x = b.relu("relu1", x)
	b.linear("fc2", x, classes)
}

// buildRefCNN is the CLI's reference workload, exactly as CLI.md writes it.
func buildRefCNN(b *builder, classes int) {
	x := b.conv("conv1", "input", 32, 3, 1, 1, 1, true)
	x = b.relu("relu1", x)
	x = b.pool("pool1", "maxpool2d", x, 2, 2, 0)
	x = b.conv("conv2", x, 64, 3, 1, 1, 1, true)
	x = b.relu("relu2", x)
	x = b.pool("pool2", "maxpool2d", x, 2, 2, 0)
	x = b.add("flatten", "flatten", nil, x)
	x = b.linear("fc1", x, 128)
	x = b.relu("relu3", x)
	b.linear("fc2", x, classes)
}

// buildBNCNN is a two-convolution network with batch normalisation after
// every layer but the classifier; biases before BatchNorm are dropped (the
// normalisation's shift replaces them).
func buildBNCNN(b *builder, classes int) {
	x := b.conv("conv1", "input", 32, 5, 1, 2, 1, false)
	x = b.bn("bn1", x, 1e-5)
	x = b.relu("relu1", x)
	x = b.pool("pool1", "maxpool2d", x, 2, 2, 0)
	x = b.conv("conv2", x, 64, 5, 1, 2, 1, false)
	x = b.bn("bn2", x, 1e-5)
	x = b.relu("relu2", x)
	x = b.pool("pool2", "maxpool2d", x, 2, 2, 0)
	x = b.add("flatten", "flatten", nil, x)
	x = b.linear("fc1", x, 256)
	x = b.add("bn3", "batchnorm1d", nil, x)
	x = b.relu("relu3", x)
	x = b.dropout("drop", x, 0.3)
	b.linear("fc2", x, classes)
}

// buildLeNet5: tanh and average pooling as in the paper; C3 connects to
// all of S2's maps (not the paper's partial table) and the output is a
// linear layer (not RBF units). Inputs under 32x32 are zero-padded by C1 to
// at least 32 (the paper pads MNIST's 28x28 digits to 32x32); larger maps
// are pooled to 5x5 before C5 by an adaptive average pool.
func buildLeNet5(b *builder, classes int) {
	h, w := b.hw("input")
	pad := 0
	if m := min(h, w); m < 32 {
		pad = (32 - m + 1) / 2
	}
	x := b.conv("conv1", "input", 6, 5, 1, pad, 1, true)
	b.named("C1")
	x = b.act("tanh1", "tanh", x)
	x = b.pool("pool1", "avgpool2d", x, 2, 2, 0)
	b.named("S2")
	x = b.conv("conv2", x, 16, 5, 1, 0, 1, true)
	b.named("C3")
	x = b.act("tanh2", "tanh", x)
	x = b.pool("pool2", "avgpool2d", x, 2, 2, 0)
	b.named("S4")
	if h, w := b.hw(x); h != 5 || w != 5 {
		x = b.adaptive("avgpool", x, 5)
	}
	x = b.conv("conv3", x, 120, min(5, b.minSide(x)), 1, 0, 1, true)
	b.named("C5")
	x = b.act("tanh3", "tanh", x)
	x = b.add("flatten", "flatten", nil, x)
	x = b.linear("fc1", x, 84)
	b.named("F6")
	x = b.act("tanh4", "tanh", x)
	b.linear("fc2", x, classes)
	b.named("output")
}

func (b *builder) minSide(id string) int {
	h, w := b.hw(id)
	return max(min(h, w), 1)
}

// seq names layers "<prefix>.<index>" in order, as torchvision's
// nn.Sequential does; skipped layers keep their index so that parameter
// names stay torchvision's.
type seq struct {
	b      *builder
	prefix string
	i      int
	x      string
}

func (s *seq) id() string { s.i++; return fmt.Sprintf("%s.%d", s.prefix, s.i-1) }

func (s *seq) conv(name string, out, k, st, p int) {
	s.x = s.b.conv(s.id(), s.x, out, k, st, p, 1, true)
	s.b.named(name)
}

func (s *seq) bn(name string) { s.x = s.b.bn(s.id(), s.x, 1e-5); s.b.named(name) }

func (s *seq) relu(name string) { s.x = s.b.relu(s.id(), s.x); s.b.named(name) }

func (s *seq) maxpool(name string, k, st, p int) {
	id := s.id()
	if y := s.b.pool(id, "maxpool2d", s.x, k, st, p); y == id {
		s.x = y
		s.b.named(name)
	}
}

func (s *seq) lrn(name string) {
	s.x = s.b.add(s.id(), "lrn", map[string]float64{"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2}, s.x)
	s.b.named(name)
}

func (s *seq) linear(name string, out int) { s.x = s.b.linear(s.id(), s.x, out); s.b.named(name) }

func (s *seq) dropout(name string) { s.x = s.b.dropout(s.id(), s.x, 0.5); s.b.named(name) }

// classifier adds the AlexNet/VGG head: adaptive pool, flatten, then
// (dropout,) fc, ReLU, (dropout,) fc, ReLU, fc in torchvision's order.
func classifier(b *builder, x string, pool, classes int, dropoutFirst bool) {
	x = b.adaptive("avgpool", x, pool)
	x = b.add("flatten", "flatten", nil, x)
	c := &seq{b: b, prefix: "classifier", x: x}
	if dropoutFirst { // AlexNet, ZFNet
		c.dropout("drop6")
		c.linear("fc6", 4096)
		c.relu("relu6")
		c.dropout("drop7")
		c.linear("fc7", 4096)
		c.relu("relu7")
	} else { // VGG
		c.linear("fc6", 4096)
		c.relu("relu6")
		c.dropout("drop6")
		c.linear("fc7", 4096)
		c.relu("relu7")
		c.dropout("drop7")
	}
	c.linear("fc8", classes)
}

// buildAlexNet is torchvision's AlexNet. Small inputs: conv1 becomes 5x5
// stride 1 padding 2 (instead of 11x11 stride 4) and the pool before the
// classifier goes to the map's size when it is under 6x6.
func buildAlexNet(b *builder, classes int) {
	f := &seq{b: b, prefix: "features", x: "input"}
	if b.small() {
		f.conv("conv1", 64, 5, 1, 2)
	} else {
		f.conv("conv1", 64, 11, 4, 2)
	}
	f.relu("relu1")
	f.maxpool("pool1", 3, 2, 0)
	f.conv("conv2", 192, 5, 1, 2)
	f.relu("relu2")
	f.maxpool("pool2", 3, 2, 0)
	f.conv("conv3", 384, 3, 1, 1)
	f.relu("relu3")
	f.conv("conv4", 256, 3, 1, 1)
	f.relu("relu4")
	f.conv("conv5", 256, 3, 1, 1)
	f.relu("relu5")
	f.maxpool("pool5", 3, 2, 0)
	classifier(b, f.x, 6, classes, true)
}

// buildZFNet follows the paper's figure 3: 224 -> conv1 7x7/2 (110) -> pool
// 3x3/2 (55) -> LRN -> conv2 5x5/2 (26) -> pool (13) -> LRN -> conv3-5 3x3
// (384, 384, 256) -> pool (6) -> fc 4096, 4096. Small inputs: conv1 becomes
// 5x5 stride 1 and conv2 stride 1 (padding 2).
func buildZFNet(b *builder, classes int) {
	f := &seq{b: b, prefix: "features", x: "input"}
	small := b.small()
	if small {
		f.conv("conv1", 96, 5, 1, 2)
	} else {
		f.conv("conv1", 96, 7, 2, 1)
	}
	f.relu("relu1")
	f.maxpool("pool1", 3, 2, 1)
	f.lrn("norm1")
	if small {
		f.conv("conv2", 256, 5, 1, 2)
	} else {
		f.conv("conv2", 256, 5, 2, 0)
	}
	f.relu("relu2")
	f.maxpool("pool2", 3, 2, 1)
	f.lrn("norm2")
	f.conv("conv3", 384, 3, 1, 1)
	f.relu("relu3")
	f.conv("conv4", 384, 3, 1, 1)
	f.relu("relu4")
	f.conv("conv5", 256, 3, 1, 1)
	f.relu("relu5")
	f.maxpool("pool5", 3, 2, 0)
	classifier(b, f.x, 6, classes, true)
}

// vggConfigs are torchvision's: channels of 3x3 convolutions, 0 a max-pool.
var vggConfigs = map[int][]int{
	11: {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	13: {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	16: {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0},
	19: {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0},
}

// buildVGG is torchvision's VGG (convolutions keep their bias with
// BatchNorm, as there). Small inputs need no other change than the general
// rules: a pool on a 1-pixel map is left out and the 7x7 adaptive pool
// becomes the map's size.
func buildVGG(b *builder, cfg []int, bn bool, classes int) {
	f := &seq{b: b, prefix: "features", x: "input"}
	stage, k := 1, 1
	for _, c := range cfg {
		if c == 0 {
			f.maxpool(fmt.Sprintf("pool%d", stage), 2, 2, 0)
			stage, k = stage+1, 1
			continue
		}
		f.conv(fmt.Sprintf("conv%d_%d", stage, k), c, 3, 1, 1)
		if bn {
			f.bn(fmt.Sprintf("bn%d_%d", stage, k))
		}
		f.relu(fmt.Sprintf("relu%d_%d", stage, k))
		k++
	}
	classifier(b, f.x, 7, classes, false)
}

// buildConvNetJS is the ConvNetJS CIFAR-10 demo's network. Its final
// "softmax" layer is a fully connected layer whose softmax belongs to the
// loss, as everywhere in the zoo.
func buildConvNetJS(b *builder, classes int) {
	x := "input"
	for i, f := range []int{16, 20, 20} {
		x = b.conv(fmt.Sprintf("conv%d", i+1), x, f, 5, 1, 2, 1, true)
		x = b.relu(fmt.Sprintf("relu%d", i+1), x)
		x = b.pool(fmt.Sprintf("pool%d", i+1), "maxpool2d", x, 2, 2, 0)
	}
	x = b.add("flatten", "flatten", nil, x)
	b.linear("fc", x, classes)
}

package models

import (
	"fmt"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

// SmallInput is the side (in pixels) below which the ImageNet models use
// their small-input variants (see the package comment).
const SmallInput = 64

type entry struct {
	doc string
	// input and classes are the model's usual input shape and class count.
	input   []int
	classes int
	// torchvision says whether torchvision has the model under this name.
	torchvision bool
	// flat says whether the model also takes feature vectors (input [F]).
	flat  bool
	build func(b *builder, classes int)
}

var imagenet = []int{3, 224, 224}

var zoo = map[string]entry{
	"linear": {doc: "Linear classifier: flatten, one fully connected layer to the classes.",
		input: []int{3, 32, 32}, classes: 10, flat: true, build: buildLinear},
	"mlp2": {doc: "Two-layer net: fully connected 100, ReLU, fully connected to the classes (the course's TwoLayerNet).",
		input: []int{3, 32, 32}, classes: 10, flat: true, build: buildMLP2},
	"ref-cnn": {doc: "The benchmark CNN: conv3x3 32, ReLU, pool, conv3x3 64, ReLU, pool, fc 128, ReLU, fc.",
		input: []int{1, 28, 28}, classes: 10, build: buildRefCNN},
	"bn-cnn": {doc: "Two conv + pooling + BatchNorm (the Fashion-MNIST benchmark's 93% family): conv5x5 32, BN, ReLU, pool, conv5x5 64, BN, ReLU, pool, fc 256, BN, ReLU, dropout 0.3, fc.",
		input: []int{1, 28, 28}, classes: 10, build: buildBNCNN},
	"lenet5": {doc: "LeNet-5 (LeCun et al. 1998): conv5x5 6, tanh, avg-pool, conv5x5 16, tanh, avg-pool, conv5x5 120, tanh, fc 84, tanh, fc.",
		input: []int{1, 32, 32}, classes: 10, build: buildLeNet5},
	"alexnet": {doc: "AlexNet (Krizhevsky et al. 2012), torchvision's single-tower version.",
		input: imagenet, classes: 1000, torchvision: true, build: buildAlexNet},
	"zfnet": {doc: "ZFNet (Zeiler & Fergus 2013): AlexNet with a 7x7 stride-2 first layer, 384/384/256 filters in conv3-5 and LRN.",
		input: imagenet, classes: 1000, build: buildZFNet},
	"googlenet": {doc: "GoogLeNet (Inception v1, Szegedy et al. 2014) as in torchvision: BatchNorm conv blocks, 3x3 kernels in the \"5x5\" branches, no auxiliary classifiers.",
		input: imagenet, classes: 1000, torchvision: true, build: buildGoogLeNet},
	"densenet121": {doc: "DenseNet-121 (Huang et al. 2017): growth rate 32, blocks of 6, 12, 24 and 16 layers.",
		input: imagenet, classes: 1000, torchvision: true, build: buildDenseNet121},
	"mobilenet_v1": {doc: "MobileNet v1 (Howard et al. 2017), width 1.0: 13 depthwise-separable blocks, each convolution followed by BatchNorm and ReLU.",
		input: imagenet, classes: 1000, build: buildMobileNetV1},
	"mobilenet_v2": {doc: "MobileNet v2 (Sandler et al. 2018), width 1.0: inverted residual blocks with linear bottlenecks and ReLU6.",
		input: imagenet, classes: 1000, torchvision: true, build: buildMobileNetV2},
	"squeezenet1_1": {doc: "SqueezeNet 1.1 (Iandola et al. 2016): Fire modules (1x1 squeeze, 1x1 and 3x3 expand) and a 1x1 convolutional classifier; 1.2 million parameters.",
		input: imagenet, classes: 1000, torchvision: true, build: buildSqueezeNet11},
	"shufflenet_v2_x1_0": {doc: "ShuffleNet v2 x1.0 (Ma et al. 2018): channel split, depthwise 3x3 branches and channel shuffle.",
		input: imagenet, classes: 1000, torchvision: true, build: buildShuffleNetV2},
	"mobilenet_v3_large": {doc: "MobileNet v3 large (Howard et al. 2019): inverted residuals with squeeze-and-excitation, hard-swish and hard-sigmoid.",
		input: imagenet, classes: 1000, torchvision: true, build: buildMobileNetV3Large},
	"efficientnet_b0": {doc: "EfficientNet-B0 (Tan & Le 2019): MBConv blocks with squeeze-and-excitation, SiLU and stochastic depth.",
		input: imagenet, classes: 1000, torchvision: true, build: buildEfficientNetB0},
	"mnasnet1_0": {doc: "MNASNet 1.0 (Tan et al. 2019): the architecture-searched mobile network of inverted residuals with 3x3 and 5x5 depthwise kernels.",
		input: imagenet, classes: 1000, torchvision: true, build: buildMNASNet10},
	"inception_v3": {doc: "Inception v3 (Szegedy et al. 2015) at 299x299: factorised 1x7/7x1 and 1x3/3x1 convolutions, grid reductions; without the auxiliary classifier.",
		input: []int{3, 299, 299}, classes: 1000, torchvision: true, build: buildInceptionV3},
	"convnetjs-cifar": {doc: "The ConvNetJS CIFAR-10 demo: three conv5x5 (16, 20, 20 filters) + ReLU + pool 2x2 stages and a softmax classifier.",
		input: []int{3, 32, 32}, classes: 10, build: buildConvNetJS},
}

// examples are the course's modules: no classifier, classes is ignored.
var examples = map[string]entry{
	"inception-naive": {doc: "The course's naive Inception module: 1x1 conv 128, 3x3 conv 192, 5x5 conv 96 and a 3x3 max-pool, concatenated.",
		input: []int{256, 28, 28}, build: func(b *builder, _ int) { b.inception("inception", "input", CourseNaive) }},
	"inception-reduced": {doc: "The course's Inception module with 64-filter 1x1 reductions before the 3x3 and 5x5 convolutions and after the pool.",
		input: []int{256, 28, 28}, build: func(b *builder, _ int) { b.inception("inception", "input", CourseReduced) }},
}

func init() {
	for _, bn := range []bool{false, true} {
		for _, depth := range []int{11, 13, 16, 19} {
			name := fmt.Sprintf("vgg%d", depth)
			doc := fmt.Sprintf("VGG-%d (Simonyan & Zisserman 2014)", depth)
			if bn {
				name += "_bn"
				doc += " with BatchNorm after every convolution"
			}
			zoo[name] = entry{doc: doc + ".", input: imagenet, classes: 1000, torchvision: true,
				build: func(b *builder, classes int) { buildVGG(b, vggConfigs[depth], bn, classes) }}
		}
	}
	resnets := []struct {
		name, doc      string
		bottleneck     bool
		layers         [4]int
		groups, widthG int
	}{
		{"resnet18", "ResNet-18 (He et al. 2015): basic blocks 2, 2, 2, 2.", false, [4]int{2, 2, 2, 2}, 1, 64},
		{"resnet34", "ResNet-34: basic blocks 3, 4, 6, 3.", false, [4]int{3, 4, 6, 3}, 1, 64},
		{"resnet50", "ResNet-50: bottleneck blocks 3, 4, 6, 3 (stride on the 3x3, torchvision's v1.5).", true, [4]int{3, 4, 6, 3}, 1, 64},
		{"resnet101", "ResNet-101: bottleneck blocks 3, 4, 23, 3.", true, [4]int{3, 4, 23, 3}, 1, 64},
		{"resnet152", "ResNet-152: bottleneck blocks 3, 8, 36, 3.", true, [4]int{3, 8, 36, 3}, 1, 64},
		{"wide_resnet50_2", "Wide ResNet-50-2 (Zagoruyko & Komodakis 2016): ResNet-50 with bottlenecks twice as wide.", true, [4]int{3, 4, 6, 3}, 1, 128},
		{"resnext50_32x4d", "ResNeXt-50 32x4d (Xie et al. 2017): ResNet-50 with 32 groups of 4 channels in each bottleneck's 3x3.", true, [4]int{3, 4, 6, 3}, 32, 4},
	}
	for _, r := range resnets {
		zoo[r.name] = entry{doc: r.doc, input: imagenet, classes: 1000, torchvision: true,
			build: func(b *builder, classes int) { buildResNet(b, r.bottleneck, r.layers, r.groups, r.widthG, classes) }}
	}
}

// Names lists the zoo's models (the CLI's --model names), sorted.
func Names() []string { return sortedKeys(zoo) }

// Examples lists the course's example modules that Graph also builds:
// "inception-naive" and "inception-reduced" (input 256x28x28, no classifier).
func Examples() []string { return sortedKeys(examples) }

func sortedKeys(m map[string]entry) []string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}

func lookup(name string) (entry, bool) {
	if e, ok := zoo[name]; ok {
		return e, true
	}
	e, ok := examples[name]
	return e, ok
}

// Doc describes a model in one sentence ("" for an unknown name).
func Doc(name string) string {
	e, _ := lookup(name)
	return e.doc
}

// Defaults returns a model's usual input shape (C,H,W) and class count
// (0 for the course's modules, which have no classifier).
func Defaults(name string) (input []int, classes int, ok bool) {
	e, ok := lookup(name)
	if !ok {
		return nil, 0, false
	}
	return append([]int(nil), e.input...), e.classes, true
}

// Torchvision reports whether torchvision has the model under this name
// (and so whether its parameter count at 3x224x224 and 1000 classes is
// torchvision's).
func Torchvision(name string) bool { return zoo[name].torchvision }

// Graph builds the named model for an input shape (C,H,W; linear and mlp2
// also take [F]) and a class count, with block names and a layout.
func Graph(name string, input []int, classes int) (graph.Graph, error) {
	e, ok := lookup(name)
	if !ok {
		return graph.Graph{}, fmt.Errorf("unknown model %q: choose one of %s", name, strings.Join(append(Names(), Examples()...), ", "))
	}
	if e.classes > 0 && classes < 1 {
		return graph.Graph{}, fmt.Errorf("%s needs at least 1 class, got %d", name, classes)
	}
	if !(len(input) == 3 || (len(input) == 1 && e.flat)) {
		want := "C,H,W"
		if e.flat {
			want = "C,H,W or a feature count F"
		}
		return graph.Graph{}, fmt.Errorf("%s takes an input shape %s, got %v", name, want, input)
	}
	for _, v := range input {
		if v < 1 || v > 8192 {
			return graph.Graph{}, fmt.Errorf("input shape %v: every size must be between 1 and 8192", input)
		}
	}
	g, err := build(e, input, classes)
	if err != nil {
		return graph.Graph{}, fmt.Errorf("%s at input %v: %v", name, input, err)
	}
	Layout(&g)
	return g, nil
}

func build(e entry, input []int, classes int) (graph.Graph, error) {
	b := newBuilder(input)
	e.build(b, classes)
	if b.err != nil {
		return graph.Graph{}, b.err
	}
	if err := nn.Analyze(b.g, nil).Err(); err != nil {
		return graph.Graph{}, err
	}
	return b.g, nil
}

// small says whether an input gets the small-input variant.
func (b *builder) small() bool {
	h, w := b.hw("input")
	return min(h, w) < SmallInput
}

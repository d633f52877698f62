package architecture

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// groups are the palette's sections in order, with their titles.
var groups = []struct{ id, title string }{
	{"input", "Input"},
	{"convolution", "Convolution & linear"},
	{"pooling", "Pooling"},
	{"normalisation", "Normalisation"},
	{"activation", "Activation"},
	{"regularisation", "Regularisation"},
	{"merge", "Merge"},
	{"shape", "Shape"},
	{"output", "Output"},
}

// accents colour each group's cards: hues apart enough to tell groups at a
// glance, dark enough to read on white.
var accents = map[string]color.NRGBA{
	"input":          {0x54, 0x6e, 0x7a, 0xff},
	"convolution":    {0x1e, 0x6f, 0xd9, 0xff},
	"linear":         {0x3f, 0x51, 0xb5, 0xff},
	"pooling":        {0x00, 0x89, 0x7b, 0xff},
	"normalisation":  {0x8e, 0x24, 0xaa, 0xff},
	"activation":     {0xef, 0x6c, 0x00, 0xff},
	"regularisation": {0x79, 0x55, 0x48, 0xff},
	"merge":          {0xd8, 0x1b, 0x60, 0xff},
	"shape":          {0x75, 0x75, 0x75, 0xff},
	"output":         {0x2e, 0x7d, 0x32, 0xff},
	"block":          {0x5c, 0x6b, 0xc0, 0xff},
}

// labels are the names people read for the ops.
var labels = map[string]string{
	"input": "Input", "conv2d": "Conv 2D", "linear": "Fully connected",
	"maxpool2d": "Max pool", "avgpool2d": "Average pool", "globalavgpool": "Global average pool",
	"adaptiveavgpool2d": "Adaptive average pool", "batchnorm2d": "BatchNorm 2D", "batchnorm1d": "BatchNorm 1D",
	"layernorm": "LayerNorm", "groupnorm": "GroupNorm", "instancenorm": "InstanceNorm",
	"lrn": "Local response norm", "relu": "ReLU", "relu6": "ReLU6", "leakyrelu": "Leaky ReLU", "elu": "ELU",
	"selu": "SELU", "gelu": "GELU", "sigmoid": "Sigmoid", "tanh": "Tanh", "prelu": "PReLU", "maxout": "Maxout",
	"dropout": "Dropout", "add": "Add", "concat": "Concat", "scale": "Scale (SE)", "flatten": "Flatten",
	"identity": "Identity", "softmax": "Softmax", "logsoftmax": "Log-softmax",
	"hardswish": "Hard-swish", "hardsigmoid": "Hard-sigmoid", "silu": "SiLU (swish)",
	"channelshuffle": "Channel shuffle", "channelslice": "Channel slice", "stochasticdepth": "Stochastic depth",
	"pool2d": "Pool (padded)", "pad2d": "Pad", "softplus": "Softplus", "clip": "Clip",
	"upsample": "Upsample (nearest)", "condinstancenorm": "Conditional InstanceNorm", "reflectpad2d": "Reflection pad",
}

// opLabel is an op's readable name.
func opLabel(op string) string {
	if l, ok := labels[op]; ok {
		return l
	}
	return op
}

// groupOf is the palette group of an op ("" for an unknown op).
func groupOf(op string) string {
	if o, ok := nn.Lookup(op); ok {
		return o.Group
	}
	return ""
}

func accentOf(op string) color.Color {
	if op == "linear" {
		return accents["linear"]
	}
	if c, ok := accents[groupOf(op)]; ok {
		return c
	}
	return accents["shape"]
}

// num formats a float attribute without trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// attr reads a node's attribute with the op's default.
func attr(n *graph.Node, name string) float64 {
	if v, ok := n.Attrs[name]; ok {
		return v
	}
	if o, ok := nn.Lookup(n.Op); ok {
		for _, a := range o.Attrs {
			if a.Name == name {
				return a.Default
			}
		}
	}
	return 0
}

// subtitle is a card's second line: the op and its key hyper-parameters,
// as in the course's diagrams ("Conv 3×3 /2 · 64").
func subtitle(n *graph.Node) string {
	i := func(name string) int { return int(attr(n, name)) }
	switch n.Op {
	case "input":
		if i("height") == 0 && i("width") == 0 {
			return fmt.Sprintf("Input · %d features", i("channels"))
		}
		return fmt.Sprintf("Input · %d×%d×%d", i("channels"), i("height"), i("width"))
	case "conv2d":
		s := fmt.Sprintf("Conv %d×%d", i("kernel"), i("kernel"))
		if g := i("groups"); g > 1 {
			s = fmt.Sprintf("Conv %d×%d g%d", i("kernel"), i("kernel"), g)
		}
		if st := i("stride"); st > 1 {
			s += fmt.Sprintf(" /%d", st)
		}
		if d := i("dilation"); d > 1 {
			s += fmt.Sprintf(" d%d", d)
		}
		return s + fmt.Sprintf(" · %d", i("out"))
	case "linear":
		s := fmt.Sprintf("Linear · %d", i("out"))
		if attr(n, "dropconnect") > 0 {
			s += " · DropConnect " + num(attr(n, "dropconnect"))
		}
		return s
	case "maxpool2d", "avgpool2d":
		k, st := i("kernel"), i("stride")
		if st == 0 {
			st = k
		}
		kind := "Max pool"
		if n.Op == "avgpool2d" {
			kind = "Avg pool"
		}
		return fmt.Sprintf("%s %d×%d /%d", kind, k, k, st)
	case "adaptiveavgpool2d":
		return fmt.Sprintf("Adaptive avg pool → %d×%d", i("size"), i("size"))
	case "groupnorm":
		return fmt.Sprintf("GroupNorm · %d groups", i("groups"))
	case "lrn":
		return fmt.Sprintf("LRN · size %d", i("size"))
	case "leakyrelu":
		return "Leaky ReLU · " + num(attr(n, "slope"))
	case "elu":
		return "ELU · α " + num(attr(n, "alpha"))
	case "maxout":
		return fmt.Sprintf("Maxout · %d pieces", i("pieces"))
	case "dropout":
		return "Dropout · p " + num(attr(n, "p"))
	}
	return opLabel(n.Op)
}

// style tells the editor how a node looks and connects.
func style(n *graphedit.Node) graphedit.Style {
	gn := graph.Node{Op: n.Op, Attrs: n.Attrs}
	s := graphedit.Style{Subtitle: subtitle(&gn), Accent: accentOf(n.Op), MinInputs: 1, MaxInputs: 1}
	if o, ok := nn.Lookup(n.Op); ok {
		s.MinInputs, s.MaxInputs = o.MinIn, o.MaxIn
	}
	return s
}

// zooNames are the readable names of the model zoo's models.
var zooNames = map[string]string{
	"linear": "Linear classifier", "mlp2": "Two-layer net", "ref-cnn": "Reference CNN", "bn-cnn": "BatchNorm CNN", "lenet5": "LeNet-5",
	"alexnet": "AlexNet", "zfnet": "ZFNet", "googlenet": "GoogLeNet (Inception v1)", "densenet121": "DenseNet-121",
	"mobilenet_v1": "MobileNet v1", "mobilenet_v2": "MobileNet v2", "convnetjs-cifar": "ConvNetJS CIFAR-10",
	"resnet18": "ResNet-18", "resnet34": "ResNet-34", "resnet50": "ResNet-50", "resnet101": "ResNet-101",
	"resnet152": "ResNet-152", "wide_resnet50_2": "Wide ResNet-50-2", "resnext50_32x4d": "ResNeXt-50 32×4d",
	"squeezenet1_1": "SqueezeNet 1.1", "shufflenet_v2_x1_0": "ShuffleNet v2 x1.0", "mobilenet_v3_large": "MobileNet v3 (large)",
	"efficientnet_b0": "EfficientNet-B0", "mnasnet1_0": "MNASNet 1.0", "inception_v3": "Inception v3",
}

func zooName(name string) string {
	if n, ok := zooNames[name]; ok {
		return n
	}
	if strings.HasPrefix(name, "vgg") {
		d := strings.TrimSuffix(strings.TrimPrefix(name, "vgg"), "_bn")
		if strings.HasSuffix(name, "_bn") {
			return "VGG-" + d + " (BatchNorm)"
		}
		return "VGG-" + d
	}
	return name
}

// zooOrder lists the zoo in the order of the field's history, for the
// palette.
var zooOrder = []string{"linear", "mlp2", "ref-cnn", "bn-cnn", "lenet5", "convnetjs-cifar", "alexnet", "zfnet",
	"vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "googlenet",
	"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "resnext50_32x4d",
	"densenet121", "inception_v3", "squeezenet1_1", "mobilenet_v1", "mobilenet_v2", "shufflenet_v2_x1_0",
	"mnasnet1_0", "mobilenet_v3_large", "efficientnet_b0"}

// --- numbers as people read them ---

// thousands formats n with separators: 1234567 -> "1,234,567".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	out = append([]string{s}, out...)
	r := strings.Join(out, ",")
	if neg {
		return "-" + r
	}
	return r
}

// compact formats n in k, M, G: 36928 -> "36.9k".
func compact(n int64) string {
	f := float64(n)
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case f < 1e6:
		return trimZero(fmt.Sprintf("%.1f", f/1e3)) + "k"
	case f < 1e9:
		return trimZero(fmt.Sprintf("%.1f", f/1e6)) + "M"
	default:
		return trimZero(fmt.Sprintf("%.2f", f/1e9)) + "G"
	}
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// bytesText formats a byte count: "784 KB", "1.6 MB", "2.3 GB".
func bytesText(b int64) string {
	f := float64(b)
	switch {
	case b < 1024:
		return fmt.Sprintf("%d B", b)
	case f < 1024*1024:
		return trimZero(fmt.Sprintf("%.1f", f/1024)) + " KB"
	case f < 1024*1024*1024:
		return trimZero(fmt.Sprintf("%.1f", f/1024/1024)) + " MB"
	default:
		return trimZero(fmt.Sprintf("%.2f", f/1024/1024/1024)) + " GB"
	}
}

// ShapeText writes a shape as the cards do: "64×56×56", "10".
func ShapeText(s []int) string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "×")
}

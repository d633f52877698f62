package style_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
)

// zooNet is a zoo model with initial weights, built for in.
func zooNet(t *testing.T, name string, in []int) attrib.Net {
	t.Helper()
	g, err := models.Graph(name, in, 10)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(g, in, be, 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	return attrib.Net{Model: m}
}

func kinds(ws []style.Weakness) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Kind)
	}
	return out
}

// strong are the facts of a network Assess should find nothing wrong with
// at its own size.
var strong = style.Facts{Trained: true, TrainImages: 1281167, Classes: 1000}

// assessOnly checks that Assess gives exactly the one weakness kind, with
// a sentence that contains each of says.
func assessOnly(t *testing.T, net attrib.Net, layers []string, size [2]int, f style.Facts, kind string, says ...string) {
	t.Helper()
	ws := style.Assess(net, layers, size, f)
	if len(ws) != 1 || ws[0].Kind != kind {
		t.Fatalf("weaknesses %q, want only %s", kinds(ws), kind)
	}
	for _, s := range says {
		if !strings.Contains(ws[0].Text, s) {
			t.Errorf("%q does not say %q", ws[0].Text, s)
		}
	}
}

func TestAssessFindsNothingWrongWithAStrongNetwork(t *testing.T) {
	net := zooNet(t, "ref-cnn", []int{3, 24, 24})
	if ws := style.Assess(net, []string{"relu1", "relu2"}, [2]int{40, 48}, strong); len(ws) != 0 {
		t.Fatalf("a trained colour network with 32- and 64-channel layers at 2× its size: %q", kinds(ws))
	}
}

func TestAssessSaysUntrained(t *testing.T) {
	net := zooNet(t, "ref-cnn", []int{3, 24, 24})
	f := strong
	f.Trained = false
	assessOnly(t, net, []string{"relu2"}, [2]int{24, 24}, f, style.WeakUntrained, "untrained", "random")
}

func TestAssessSaysImagesFarLargerThanTraining(t *testing.T) {
	net := zooNet(t, "ref-cnn", []int{3, 24, 24})
	assessOnly(t, net, []string{"relu2"}, [2]int{64, 24}, strong, style.WeakUpscaled, "24×24", "64×24", "3×")
	// A training size given in the facts wins over the network's input.
	f := strong
	f.TrainSize = [2]int{224, 224}
	if ws := style.Assess(net, []string{"relu2"}, [2]int{256, 256}, f); len(ws) != 0 {
		t.Fatalf("256 px on a network trained at 224: %q", kinds(ws))
	}
}

func TestAssessSaysFewChannels(t *testing.T) {
	net := zooNet(t, "convnetjs-cifar", []int{3, 32, 32})
	var layers []string
	for _, id := range net.Model.Analysis.Order {
		if net.Model.Node(id).Op == "relu" {
			layers = append(layers, id)
		}
	}
	if len(layers) != 3 {
		t.Fatalf("convnetjs-cifar has ReLUs %q", layers)
	}
	assessOnly(t, net, layers[:1], [2]int{32, 32}, strong, style.WeakFewChannels, layers[0]+" (16)")
	// ref-cnn's 32-channel layer is wide enough.
	if ws := style.Assess(zooNet(t, "ref-cnn", []int{3, 24, 24}), []string{"relu1"}, [2]int{24, 24}, strong); slices.Contains(kinds(ws), style.WeakFewChannels) {
		t.Fatalf("32 channels called few: %q", ws[0].Text)
	}
}

func TestAssessSaysGrayscale(t *testing.T) {
	net := zooNet(t, "ref-cnn", []int{1, 24, 24})
	assessOnly(t, net, []string{"relu2"}, [2]int{24, 24}, strong, style.WeakGrayscale, "grey")
}

func TestAssessSaysSmallDataset(t *testing.T) {
	net := zooNet(t, "ref-cnn", []int{3, 24, 24})
	f := strong
	f.TrainImages, f.Classes = 50000, 10
	assessOnly(t, net, []string{"relu2"}, [2]int{24, 24}, f, style.WeakSmallData, "50000 images", "10 classes")
	// Unknown counts say nothing.
	f.TrainImages, f.Classes = 0, 0
	if ws := style.Assess(net, []string{"relu2"}, [2]int{24, 24}, f); len(ws) != 0 {
		t.Fatalf("unknown training set: %q", kinds(ws))
	}
}

func TestReLULayersSpreadOverTheFirstPart(t *testing.T) {
	net := zooNet(t, "convnetjs-cifar", []int{3, 32, 32})
	var relus []string
	for _, id := range net.Model.Analysis.Order {
		if net.Model.Node(id).Op == "relu" {
			relus = append(relus, id)
		}
	}
	if got := style.ReLULayers(net, 4, 1); !slices.Equal(got, relus) {
		t.Fatalf("4 over the whole of 3 ReLUs: %q, want %q", got, relus)
	}
	if got := style.ReLULayers(net, 1, 0.7); !slices.Equal(got, relus[1:2]) {
		t.Fatalf("one at 70%%: %q, want %q", got, relus[1:2])
	}
}

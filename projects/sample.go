package projects

import (
	"time"

	"github.com/workbench-cv/workbench/engine/graph"
)

// SampleName is the name of the bundled sample project.
const SampleName = "Fashion-MNIST sample"

// FashionMNISTClasses are the class names of Fashion-MNIST, in label order.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// sampleCreated is fixed so that the sample is the same on every call.
var sampleCreated = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Sample returns the bundled sample project: the embedded Fashion-MNIST
// subset (dataset "sample", 1×28×28, 10 classes) and a small reference CNN,
// conv(32)-relu-pool, conv(64)-relu-pool, linear(128)-relu, linear(10),
// trained with Adam (lr 1e-3, batch 64, 2 epochs). It has no weights yet:
// training initialises them. Each call returns a new, independent project.
func Sample() (*Project, error) {
	type layer struct {
		id, op string
		attrs  map[string]float64
	}
	layers := []layer{
		{"input", "input", map[string]float64{"channels": 1, "height": 28, "width": 28}},
		{"conv1", "conv2d", map[string]float64{"out": 32, "kernel": 3, "stride": 1, "pad": 1, "bias": 1}},
		{"relu1", "relu", nil},
		{"pool1", "maxpool2d", map[string]float64{"kernel": 2, "stride": 2}},
		{"conv2", "conv2d", map[string]float64{"out": 64, "kernel": 3, "stride": 1, "pad": 1, "bias": 1}},
		{"relu2", "relu", nil},
		{"pool2", "maxpool2d", map[string]float64{"kernel": 2, "stride": 2}},
		{"flatten", "flatten", nil},
		{"fc1", "linear", map[string]float64{"out": 128, "bias": 1}},
		{"relu3", "relu", nil},
		{"fc2", "linear", map[string]float64{"out": 10, "bias": 1}},
	}
	g := graph.Graph{}
	prev := ""
	for i, l := range layers {
		n := graph.Node{ID: l.id, Op: l.op, Attrs: l.attrs, X: 160, Y: 40 + 80*float32(i)}
		if prev != "" {
			n.Inputs = []string{prev}
		}
		g.Nodes = append(g.Nodes, n)
		prev = l.id
	}
	hyper := Hyper{Optimizer: "adam", LR: 1e-3, Schedule: "constant", Batch: 64, Epochs: 2, Seed: 1}
	p := &Project{
		FormatVersion: FormatVersion,
		Name:          SampleName,
		Created:       sampleCreated,
		Modified:      sampleCreated,
		Dataset: DatasetRef{Spec: "sample", C: 1, H: 28, W: 28,
			Classes: append([]string(nil), FashionMNISTClasses...)},
		Preprocess: Preprocess{Mode: PreprocessNone},
		Graph:      g,
		Hyper:      hyper,
		Inspect:    Inspect{Strings: map[string]string{"filters.layer": "conv1", "activations.layer": "conv1"}},
		Tensors:    map[string]Tensor{},
	}
	if err := checkProject(p); err != nil {
		return nil, err
	}
	return p, nil
}

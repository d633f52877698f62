package nn_test

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// tinyNet is a small convolutional network for 1×8×8 images and 3 classes.
func tinyNet() graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 8, "width": 8}},
		{ID: "conv", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 4, "kernel": 3, "pad": 1}},
		{ID: "relu", Op: "relu", Inputs: []string{"conv"}},
		{ID: "pool", Op: "maxpool2d", Inputs: []string{"relu"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "flat", Op: "flatten", Inputs: []string{"pool"}},
		{ID: "fc", Op: "linear", Inputs: []string{"flat"}, Attrs: map[string]float64{"out": 3}},
	}}
}

// Analyze infers every node's output shape, parameters, multiply-adds and
// receptive field without building anything.
func ExampleAnalyze() {
	a := nn.Analyze(tinyNet(), nil)
	for _, id := range a.Order {
		n := a.Nodes[id]
		fmt.Println(id, n.Out, "params", n.Params, "receptive field", n.RF)
	}
	fmt.Println("total params", a.Params)
	// Output:
	// input [1 8 8] params 0 receptive field 1
	// conv [4 8 8] params 40 receptive field 3
	// relu [4 8 8] params 0 receptive field 3
	// pool [4 4 4] params 0 receptive field 4
	// flat [64] params 0 receptive field 4
	// fc [3] params 195 receptive field 4
	// total params 235
}

// Build creates the parameters from a seed on a backend; Forward runs a
// batch through the network.
func ExampleBuild() {
	m, err := nn.Build(tinyNet(), nil, cpu.New(), 1, "default")
	if err != nil {
		fmt.Println(err)
		return
	}
	x := tensor.FromData(m.B, make([]float32, 2*1*8*8), 2, 1, 8, 8) // two blank images
	y := m.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(x))
	fmt.Println("logits", y.Value.Shape, "from", len(m.Params), "parameter tensors")
	// Output: logits [2 3] from 4 parameter tensors
}

// An architecture that cannot be built names the node at fault.
func ExampleAnalyze_errors() {
	g := tinyNet()
	g.Nodes[1].Attrs = map[string]float64{"out": 4, "kernel": 11} // larger than the 8×8 image
	for _, e := range nn.Analyze(g, nil).Errors {
		fmt.Println(e)
	}
	// Output: node conv: conv2d kernel 11 (dilation 1) does not fit the 8x8 input: add padding or use a smaller kernel
}

package models

import (
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

// BytesPerValue is the size of one stored value (float32).
const BytesPerValue = 4

// Layer is one row of a summary table.
type Layer struct {
	ID, Name, Type, Block string
	// Output is the output shape per example ([C,H,W] or [F]); nil when it
	// could not be inferred (see Err).
	Output []int
	Params int64
	// Activations is the number of output values per example.
	Activations int64
	// MACs counts the multiply-adds of convolutions and fully connected
	// layers (0 for every other layer), per example; OtherOps the engine's
	// count of the rest (pool window reads, activation functions,
	// normalisation, merges), which MACs leaves out so that it reads as the
	// course's tables do.
	MACs, OtherOps int64
	// RF is the receptive field in input pixels of one output unit of a
	// C×H×W output, 0 for vector outputs.
	RF  int
	Err error
}

// Summary is the course's VGG-16 table for a graph: per layer output volume,
// parameters, activation memory, multiply-adds and receptive field, and
// totals.
type Summary struct {
	Input, Output []int
	// Layers in topological order, keeping the graph's order where it can;
	// the input is the first row.
	Layers []Layer
	// Totals per example: parameters, activations of all layers but the
	// input, conv/linear multiply-adds, other operations.
	Params, Activations, MACs, OtherOps int64
	// ForwardBytes is the forward memory per image: the input and every
	// layer's output, as float32 (each is kept for the backward pass; ReLU
	// and BatchNorm outputs count on their own, as this engine stores them).
	ForwardBytes int64
	// ParamBytes is the parameters' memory.
	ParamBytes int64
	// Errors are the analysis' problems, on the nodes that cause them.
	Errors []nn.NodeError
}

// IsMAC says whether an op's multiply-adds count in Layer.MACs.
func IsMAC(op string) bool { return op == "conv2d" || op == "linear" }

// TrainBytes estimates the memory of a training step (forward and backward)
// at a batch size: activations and their gradients for every image
// (2 x ForwardBytes x batch) plus the parameters and their gradients
// (2 x ParamBytes). Optimizer state comes on top: one more ParamBytes for
// momentum, two for Adam.
func (s *Summary) TrainBytes(batch int) int64 {
	return 2*s.ForwardBytes*int64(batch) + 2*s.ParamBytes
}

// Summarize analyses g (input overrides its input shape when not nil) and
// returns the table. The error is the analysis' (nil when the graph can be
// built); rows of nodes whose shape is known are filled in either way.
func Summarize(g graph.Graph, input []int) (*Summary, error) {
	a := nn.Analyze(g, input)
	s := &Summary{Errors: a.Errors}
	order, _ := topoOrder(g.Nodes)
	for _, i := range order {
		n := &g.Nodes[i]
		info := a.Nodes[n.ID]
		if info == nil {
			continue
		}
		name := n.Name
		if name == "" {
			name = n.ID
		}
		l := Layer{ID: n.ID, Name: name, Type: n.Op, Block: n.Block, Output: info.Out,
			Params: info.Params, Activations: info.Activations, Err: info.Err}
		if IsMAC(n.Op) {
			l.MACs = info.MACs
		} else {
			l.OtherOps = info.MACs
		}
		if len(info.Out) == 3 {
			l.RF = info.RF
		}
		s.Layers = append(s.Layers, l)
		s.Params += l.Params
		s.MACs += l.MACs
		s.OtherOps += l.OtherOps
		if n.Op == "input" {
			s.Input = info.Out
		} else {
			s.Activations += l.Activations
		}
		if n.ID == a.Output {
			s.Output = info.Out
		}
	}
	var in int64 = 1
	for _, v := range s.Input {
		in *= int64(v)
	}
	if s.Input == nil {
		in = 0
	}
	s.ForwardBytes = BytesPerValue * (in + s.Activations)
	s.ParamBytes = BytesPerValue * s.Params
	return s, a.Err()
}

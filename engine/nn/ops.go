package nn

import (
	"fmt"
	"sort"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// Attr describes one numeric attribute of an op.
type Attr struct {
	Name     string
	Default  float64
	Min, Max float64
	Int      bool
	Doc      string
}

// ParamSpec is a learned tensor of a node.
type ParamSpec struct {
	Name  string // "weight", "bias", "gamma", ...
	Shape []int
	// Init is "fan_in" (PyTorch's default uniform ±1/sqrt(fan_in) family),
	// "zeros", "ones", or "const:<v>".
	Init  string
	FanIn int
	// Decay says whether weight decay applies (weights yes; biases and norm
	// parameters no).
	Decay bool
}

// Op is one operation of the catalogue.
type Op struct {
	Name  string
	Group string // convolution, pooling, normalisation, activation, regularisation, merge, shape, input, output
	Doc   string
	Attrs []Attr
	// MinIn and MaxIn bound the number of inputs (MaxIn -1: any).
	MinIn, MaxIn int
	// Infer returns the output shape for the input shapes.
	Infer func(n *graph.Node, in [][]int) ([]int, error)
	// Params lists the learned tensors for the input shapes.
	Params func(n *graph.Node, in [][]int) []ParamSpec
	// MACs counts multiply-adds per example.
	MACs func(n *graph.Node, in [][]int, out []int) int64
	// Forward runs the op; p holds the node's parameters by name.
	Forward func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var
	// Window reports kernel, stride and dilation for receptive-field
	// arithmetic (nil: 1, 1, 1).
	Window func(n *graph.Node) (k, s, d int)
	// WindowHW, when set, reports them per axis (index 0 the height, 1
	// the width) for rectangular windows, and is used instead of Window.
	WindowHW func(n *graph.Node) (k, s, d [2]int)
}

var ops = map[string]*Op{}

func register(o *Op) {
	if _, dup := ops[o.Name]; dup {
		panic("nn: op registered twice: " + o.Name)
	}
	ops[o.Name] = o
}

// Lookup returns the op with the given name.
func Lookup(name string) (*Op, bool) {
	o, ok := ops[name]
	return o, ok
}

// Ops lists the catalogue, sorted by group then name (the editor's palette).
func Ops() []*Op {
	var l []*Op
	for _, o := range ops {
		l = append(l, o)
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].Group != l[j].Group {
			return l[i].Group < l[j].Group
		}
		return l[i].Name < l[j].Name
	})
	return l
}

// attrs resolves a node's attributes against the op's defaults and bounds.
func (o *Op) check(n *graph.Node) error {
	for k := range n.Attrs {
		found := false
		for _, a := range o.Attrs {
			if a.Name == k {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s has no attribute %q", o.Name, k)
		}
	}
	for _, a := range o.Attrs {
		v := n.Attr(a.Name, a.Default)
		if v < a.Min || v > a.Max {
			return fmt.Errorf("%s %s = %g is outside [%g, %g]", o.Name, a.Name, v, a.Min, a.Max)
		}
		if a.Int && v != float64(int(v)) {
			return fmt.Errorf("%s %s = %g must be a whole number", o.Name, a.Name, v)
		}
	}
	return nil
}

// attr reads an attribute with the op's default.
func attr(n *graph.Node, name string) float64 {
	o := ops[n.Op]
	for _, a := range o.Attrs {
		if a.Name == name {
			return n.Attr(name, a.Default)
		}
	}
	panic("nn: " + n.Op + " has no attribute " + name)
}

func iattr(n *graph.Node, name string) int { return int(attr(n, name)) }

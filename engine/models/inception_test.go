package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// conv28 is the multiply-adds of a convolution producing out maps of 28x28
// from in maps with a k x k kernel, as the course writes them.
func conv28(out, k, in int64) int64 { return 28 * 28 * out * k * k * in }

// Must-show 2: the course's Inception example at 28x28x256.
func TestCourseInceptionFigures(t *testing.T) {
	for _, c := range []struct {
		name  string
		macs  int64
		depth int
		convs []int64
	}{
		{"inception-naive", 854196224, 672, []int64{conv28(128, 1, 256), conv28(192, 3, 256), conv28(96, 5, 256)}},
		{"inception-reduced", 271351808, 480, []int64{conv28(64, 1, 256), conv28(64, 1, 256), conv28(128, 1, 256),
			conv28(192, 3, 64), conv28(96, 5, 64), conv28(64, 1, 256)}},
	} {
		in, _, _ := Defaults(c.name)
		if !slices.Equal(in, []int{256, 28, 28}) {
			t.Fatalf("%s default input %v", c.name, in)
		}
		g, err := Graph(c.name, in, 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Summarize(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, v := range c.convs {
			sum += v
		}
		if sum != c.macs {
			t.Fatalf("%s: the course's list sums to %d, not %d", c.name, sum, c.macs)
		}
		if s.MACs != c.macs {
			t.Errorf("%s: %d multiply-adds, the course says %d", c.name, s.MACs, c.macs)
		}
		if !slices.Equal(s.Output, []int{c.depth, 28, 28}) {
			t.Errorf("%s: output %v, want depth %d at 28x28", c.name, s.Output, c.depth)
		}
		// The pool and the ReLUs cost something, reported apart.
		var convs int
		for _, l := range s.Layers {
			if l.Type == "conv2d" {
				convs++
				if l.OtherOps != 0 {
					t.Errorf("%s: conv %s has other ops %d", c.name, l.ID, l.OtherOps)
				}
			} else if l.MACs != 0 {
				t.Errorf("%s: %s (%s) counts %d multiply-adds", c.name, l.ID, l.Type, l.MACs)
			}
		}
		if convs != len(c.convs) {
			t.Errorf("%s: %d convolutions, want %d", c.name, convs, len(c.convs))
		}
		if a := nn.Analyze(g, nil); s.OtherOps == 0 || a.MACs != s.MACs+s.OtherOps {
			t.Errorf("%s: other ops %d, engine total %d, conv total %d", c.name, s.OtherOps, a.MACs, s.MACs)
		}
	}
}

func smallNet() graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 16, "width": 16}},
		{ID: "stem", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 192, "kernel": 3, "pad": 1}},
		{ID: "gap", Op: "globalavgpool", Inputs: []string{"stem"}},
		{ID: "fc", Op: "linear", Inputs: []string{"gap"}, Attrs: map[string]float64{"out": 10}},
	}}
}

func TestInsertInception(t *testing.T) {
	g := smallNet()
	Layout(&g)
	out, err := Inception(&g, "stem", "inc", InceptionSpec{Conv1x1: 64, Reduce3x3: 96, Conv3x3: 128, Reduce5x5: 16,
		Conv5x5: 32, PoolProj: 32})
	if err != nil {
		t.Fatal(err)
	}
	if out != "inc.concat" || !slices.Equal(g.Find("gap").Inputs, []string{"inc.concat"}) {
		t.Fatalf("gap reads %v, want the module's output %s", g.Find("gap").Inputs, out)
	}
	a := nn.Analyze(g, nil)
	if !a.OK() {
		t.Fatal(a.Err())
	}
	if got := a.Nodes["inc.concat"].Out; !slices.Equal(got, []int{256, 16, 16}) {
		t.Errorf("module output %v, want [256 16 16]", got)
	}
	// Paper-style module: convolutions with bias, no BatchNorm; the 5x5
	// branch really is 5x5.
	if n := g.Find("inc.branch3.1.conv"); n == nil || n.Attrs["kernel"] != 5 || n.Attrs["bias"] != 1 {
		t.Errorf("5x5 branch: %+v", n)
	}
	if len(g.Blocks) != 1 || g.Blocks[0].Name != "inc" || g.Find("inc.branch2.1.relu").Block != "inc" {
		t.Errorf("blocks %v", g.Blocks)
	}
	if g.Find("inc.branch1.conv").Y <= g.Find("stem").Y {
		t.Error("module not placed below the node it follows")
	}
	// The same name twice is refused, and the graph is left as it was.
	before := len(g.Nodes)
	if _, err := Inception(&g, "stem", "inc", CourseNaive); err == nil || len(g.Nodes) != before {
		t.Errorf("second module with the same name: %v, %d nodes (was %d)", err, len(g.Nodes), before)
	}
	if _, err := Inception(&g, "fc", "inc2", CourseNaive); err == nil {
		t.Error("an Inception module after a vector was accepted")
	}
}

func TestSEBlock(t *testing.T) {
	g, err := Graph("resnet18", []int{3, 32, 32}, 10)
	if err != nil {
		t.Fatal(err)
	}
	before := nn.Analyze(g, nil).Params
	out, err := SEBlock(&g, "layer1.0.bn2", 16, "")
	if err != nil {
		t.Fatal(err)
	}
	if out != "layer1.0.bn2.se.scale" || !slices.Contains(g.Find("layer1.0.add").Inputs, out) {
		t.Fatalf("the residual add reads %v, want %s", g.Find("layer1.0.add").Inputs, out)
	}
	a := nn.Analyze(g, nil)
	if !a.OK() {
		t.Fatal(a.Err())
	}
	// 64 channels squeezed to 4: fc1 64*4+4, fc2 4*64+64.
	if got := a.Params - before; got != 580 {
		t.Errorf("SE block adds %d parameters, want 580", got)
	}
	b := cpu.New()
	m, err := nn.Build(g, nil, b, 1, "he")
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Full(b, 0.5, 2, 3, 32, 32)
	if y := m.Forward(&nn.Ctx{Training: true}, autograd.Const(x)); !slices.Equal(y.Shape(), []int{2, 10}) {
		t.Errorf("output %v", y.Shape())
	}
	for _, c := range []struct {
		after string
		r     int
		want  string
	}{{"fc", 16, "C×H×W"}, {"nope", 16, "no node"}, {"layer1.0.bn1", 0, "at least 1"}} {
		n := len(g.Nodes)
		if _, err := SEBlock(&g, c.after, c.r, ""); err == nil || !strings.Contains(err.Error(), c.want) || len(g.Nodes) != n {
			t.Errorf("SEBlock after %s r=%d: %v, want an error with %q and no change", c.after, c.r, err, c.want)
		}
	}
}

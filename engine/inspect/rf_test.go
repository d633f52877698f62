package inspect

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// chain builds input(c,h,w) followed by the given layers in a line.
type layer struct {
	op    string
	attrs map[string]float64
}

func chain(c, h, w int, layers ...layer) graph.Graph {
	g := graph.Graph{Nodes: []graph.Node{{ID: "input", Op: "input", Attrs: map[string]float64{"channels": float64(c), "height": float64(h), "width": float64(w)}}}}
	prev := "input"
	for i, l := range layers {
		id := fmt.Sprintf("l%d", i+1)
		g.Nodes = append(g.Nodes, graph.Node{ID: id, Op: l.op, Attrs: l.attrs, Inputs: []string{prev}})
		prev = id
	}
	return g
}

func conv(k, s, p, d int) layer {
	return layer{"conv2d", map[string]float64{"out": 2, "kernel": float64(k), "stride": float64(s), "pad": float64(p), "dilation": float64(d)}}
}

func pool(op string, k, s, p int) layer {
	return layer{op, map[string]float64{"kernel": float64(k), "stride": float64(s), "pad": float64(p)}}
}

func TestReceptiveFieldOfStackedStrideOneConvs(t *testing.T) {
	for _, k := range []int{3, 5, 7} {
		for l := 1; l <= 6; l++ {
			var ls []layer
			for range l {
				ls = append(ls, conv(k, 1, (k-1)/2, 1))
			}
			size := 64
			rf, err := NewReceptiveFields(chain(1, size, size, ls...), nil)
			if err != nil {
				t.Fatal(err)
			}
			last := fmt.Sprintf("l%d", l)
			f, _ := rf.Field(last)
			want := 1 + l*(k-1)
			if f.Size != want || f.Jump != 1 || f.Offset != -l*(k-1)/2 {
				t.Errorf("K=%d L=%d: field %+v, want size 1+L(K-1)=%d, jump 1, offset %d", k, l, f, want, -l*(k-1)/2)
			}
			// A central unit sees exactly its nominal window; a corner unit
			// the part of it inside the image.
			c := size / 2
			box, ok, err := rf.Box(last, 0, c, c)
			if err != nil || !ok || box != f.Window(c, c) || box.Dx() != want {
				t.Errorf("K=%d L=%d: centre box %v (ok %v, %v), want %v", k, l, box, ok, err, f.Window(c, c))
			}
			box, _, _ = rf.Box(last, 1, 0, 0)
			if r := want / 2; box != image.Rect(0, 0, r+1, r+1) {
				t.Errorf("K=%d L=%d: corner box %v, want the window clipped to %v", k, l, box, image.Rect(0, 0, r+1, r+1))
			}
		}
	}
}

func TestReceptiveFieldOfStridedAndPooledStacks(t *testing.T) {
	cases := []struct {
		name   string
		layers []layer
		// size, jump, offset after each layer, worked out by hand with
		// r' = r + (k-1)·d·j, off' = off - p·j, j' = j·s.
		want [][3]int
	}{
		{"ref-cnn", []layer{conv(3, 1, 1, 1), {"relu", nil}, pool("maxpool2d", 2, 2, 0), conv(3, 1, 1, 1), {"relu", nil}, pool("maxpool2d", 2, 2, 0)},
			[][3]int{{3, 1, -1}, {3, 1, -1}, {4, 2, -1}, {8, 2, -3}, {8, 2, -3}, {10, 4, -3}}},
		{"alexnet-like", []layer{conv(11, 4, 2, 1), pool("maxpool2d", 3, 2, 0), conv(5, 1, 2, 1), pool("maxpool2d", 3, 2, 0), conv(3, 1, 1, 1)},
			[][3]int{{11, 4, -2}, {19, 8, -2}, {51, 8, -18}, {67, 16, -18}, {99, 16, -34}}},
		{"strided and dilated", []layer{conv(3, 2, 1, 1), conv(3, 1, 2, 2), pool("avgpool2d", 2, 0, 0), conv(1, 1, 0, 1)},
			[][3]int{{3, 2, -1}, {11, 2, -5}, {13, 4, -5}, {13, 4, -5}}},
	}
	for _, c := range cases {
		g := chain(3, 224, 224, c.layers...)
		rf, err := NewReceptiveFields(g, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		a := nn.Analyze(g, nil)
		for i, w := range c.want {
			id := fmt.Sprintf("l%d", i+1)
			f, _ := rf.Field(id)
			if f.Size != w[0] || f.Jump != w[1] || f.Offset != w[2] {
				t.Errorf("%s %s: field %+v, want size %d jump %d offset %d", c.name, id, f, w[0], w[1], w[2])
			}
			if a.Nodes[id].RF != f.Size || a.Nodes[id].Jump != f.Jump {
				t.Errorf("%s %s: nn.Analyze says RF %d jump %d", c.name, id, a.Nodes[id].RF, a.Nodes[id].Jump)
			}
		}
	}
}

func TestReceptiveBoxSkipsPixelsNoUnitReads(t *testing.T) {
	// A 3x3 stride-2 convolution over 6 pixels has 2 outputs reading
	// pixels 0-2 and 2-4: pixel 5 is never read. The padded 3x3 layer
	// after it: its unit 1 reads units 0, 1 and a padding position, so its
	// box ends at pixel 4 although the nominal window (size 7, jump 2,
	// offset -2) reaches pixel 6.
	rf, err := NewReceptiveFields(chain(1, 6, 6, conv(3, 2, 0, 1), conv(3, 1, 1, 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	box, ok, _ := rf.Box("l2", 0, 1, 1)
	f, _ := rf.Field("l2")
	if !ok || box != image.Rect(0, 0, 5, 5) {
		t.Fatalf("box %v, want (0,0)-(5,5)", box)
	}
	if w := f.Window(1, 1); w != image.Rect(0, 0, 7, 7) {
		t.Fatalf("nominal window %v, want (0,0)-(7,7)", w)
	}
}

// TestReceptiveBoxEqualsGradientSupport checks Box against what the
// network computes: the input pixels with a non-zero gradient of one unit
// are exactly the pixels it depends on (tanh and average pooling pass
// gradient everywhere; the weights are random, hence non-zero).
func TestReceptiveBoxEqualsGradientSupport(t *testing.T) {
	b := cpu.New()
	c2 := func(id, in string, out, k, s, p, d, groups int) graph.Node {
		return graph.Node{ID: id, Op: "conv2d", Inputs: []string{in}, Attrs: map[string]float64{"out": float64(out),
			"kernel": float64(k), "stride": float64(s), "pad": float64(p), "dilation": float64(d), "groups": float64(groups)}}
	}
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 2, "height": 19, "width": 17}},
		c2("a", "input", 4, 3, 2, 1, 1, 1),
		{ID: "ta", Op: "tanh", Inputs: []string{"a"}},
		// Two branches of different reach, concatenated: channels 0-3 come
		// from a 1x1 convolution, 4-7 from a dilated 3x3 one.
		c2("b1", "ta", 4, 1, 1, 0, 1, 1),
		c2("b2", "ta", 4, 3, 1, 2, 2, 2),
		{ID: "cat", Op: "concat", Inputs: []string{"b1", "b2"}},
		{ID: "p", Op: "avgpool2d", Inputs: []string{"cat"}, Attrs: map[string]float64{"kernel": 3, "stride": 2, "pad": 1}},
		c2("d", "p", 8, 3, 1, 0, 1, 8), // depthwise
		{ID: "res", Op: "add", Inputs: []string{"d", "d"}},
	}}
	m, err := nn.Build(g, nil, b, 7, "default")
	if err != nil {
		t.Fatal(err)
	}
	rf, err := NewReceptiveFields(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float32, 2*19*17)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	for _, layer := range []string{"a", "b1", "b2", "cat", "p", "d", "res"} {
		s := m.Analysis.Nodes[layer].Out
		for trial := range 12 {
			ch, y, x := rng.IntN(s[0]), rng.IntN(s[1]), rng.IntN(s[2])
			if trial < 4 { // corners
				y, x = (trial%2)*(s[1]-1), (trial/2)*(s[2]-1)
			}
			in := autograd.Param(tensor.FromData(b, xs, 1, 2, 19, 17), "x")
			out := m.Forward(&nn.Ctx{Stop: layer}, in)
			seed := make([]float32, out.Value.Len())
			seed[(ch*s[1]+y)*s[2]+x] = 1
			out.BackwardWith(tensor.FromData(b, seed, out.Shape()...))
			grad := in.Grad.Data()
			var support image.Rectangle
			for c := range 2 {
				for yy := range 19 {
					for xx := range 17 {
						if grad[(c*19+yy)*17+xx] != 0 {
							support = support.Union(image.Rect(xx, yy, xx+1, yy+1))
						}
					}
				}
			}
			box, ok, err := rf.Box(layer, ch, y, x)
			if err != nil || !ok || box != support {
				t.Errorf("%s unit (%d,%d,%d): box %v (ok %v, %v), gradient support %v", layer, ch, y, x, box, ok, err, support)
			}
		}
	}
}

func TestReceptiveFieldsGlobalAndErrors(t *testing.T) {
	g := chain(1, 8, 8, conv(3, 1, 1, 1), layer{"globalavgpool", nil}, layer{"linear", map[string]float64{"out": 3}})
	rf, err := NewReceptiveFields(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"l2", "l3"} {
		f, _ := rf.Field(id)
		box, ok, err := rf.Box(id, 0, 0, 0)
		if !f.Global || !ok || err != nil || box != image.Rect(0, 0, 8, 8) {
			t.Errorf("%s: field %+v box %v: want global, the whole 8x8 image", id, f, box)
		}
	}
	if _, _, err := rf.Box("l1", 5, 0, 0); err == nil {
		t.Error("channel 5 of a 2-channel layer should be an error")
	}
	if _, _, err := rf.Box("nope", 0, 0, 0); err == nil {
		t.Error("an unknown layer should be an error")
	}
}

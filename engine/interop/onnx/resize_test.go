package onnx

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Resize and Upsample import as the engine's upsample exactly when every
// output pixel reads the pixel of its s×s block under the node's own
// coordinate transform and rounding; any other form is listed as
// unsupported, never approximated. An imported one copies each pixel into
// its block.
func TestResizeImportsWhenItIsABlockCopy(t *testing.T) {
	resize := func(opset int64, scale float32, at ...*onnxpb.AttributeProto) *mb {
		return newMB(opset, 2, 3, 4).init("s", []int{4}, []float32{1, 1, scale, scale}).
			node("Resize", []string{"x", "", "s"}, []string{"y"}, at...).out("y")
	}
	ctm := func(v string) *onnxpb.AttributeProto { return aStr("coordinate_transformation_mode", v) }
	nm := func(v string) *onnxpb.AttributeProto { return aStr("nearest_mode", v) }
	nearest := aStr("mode", "nearest")
	sizes := newMB(13, 2, 3, 4).ints("sz", 1, 2, 9, 12).
		node("Resize", []string{"x", "", "", "sz"}, []string{"y"}, nearest, ctm("asymmetric"), nm("floor")).out("y")
	for _, c := range []struct {
		name  string
		b     *mb
		scale int // 0: refused
	}{
		{"pytorch-asymmetric-floor", resize(17, 2, nearest, ctm("asymmetric"), nm("floor")), 2},
		{"half-pixel-default-rounding", resize(13, 3, nearest), 3},
		{"pytorch-half-pixel-round", resize(13, 4, nearest, ctm("pytorch_half_pixel")), 4},
		{"sizes", sizes, 3},
		{"opset10", newMB(10, 2, 3, 4).init("s", []int{4}, []float32{1, 1, 2, 2}).
			node("Resize", []string{"x", "s"}, []string{"y"}, nearest).out("y"), 2},
		{"upsample-opset9", newMB(9, 2, 3, 4).init("s", []int{4}, []float32{1, 1, 3, 3}).
			node("Upsample", []string{"x", "s"}, []string{"y"}, nearest).out("y"), 3},
		{"upsample-opset7", newMB(7, 2, 3, 4).node("Upsample", []string{"x"}, []string{"y"}, nearest,
			&onnxpb.AttributeProto{Name: "scales", Type: onnxpb.AttributeProto_FLOATS, Floats: []float32{1, 1, 2, 2}}).out("y"), 2},
		{"half-pixel-floor", resize(13, 2, nearest, ctm("half_pixel"), nm("floor")), 0},
		// align_corners picks the block's pixel at 2x on these sizes (3 to
		// 6, 4 to 8) but not at 3x (3 to 9 reads 0,0,0,1,1,1,1,2,2).
		{"align-corners-2x", resize(13, 2, nearest, ctm("align_corners")), 2},
		{"align-corners-3x", resize(13, 3, nearest, ctm("align_corners")), 0},
		{"round-prefer-floor-asymmetric-3", resize(13, 3, nearest, ctm("asymmetric")), 0},
		{"linear", resize(13, 2, aStr("mode", "linear")), 0},
		{"fractional", resize(13, 1.5, nearest, ctm("asymmetric"), nm("floor")), 0},
		{"downscale", resize(13, 0.5, nearest, ctm("asymmetric"), nm("floor")), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Import(c.b.bytes())
			if c.scale == 0 {
				var u *interop.UnsupportedError
				if !errors.As(err, &u) || m != nil {
					t.Fatalf("got %v, %v; want the node listed as unsupported", m, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var up int
			for _, n := range m.Graph.Nodes {
				if n.Op == "upsample" {
					up = int(n.Attrs["scale"])
				}
			}
			if up != c.scale {
				t.Fatalf("graph %+v: want one upsample by %d", m.Graph.Nodes, c.scale)
			}
			b := cpu.New()
			net, err := m.Build(b)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float32, 2*3*4)
			for i := range x {
				x[i] = float32(i)
			}
			y := net.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(b, x, 1, 2, 3, 4))).Value.Data()
			s := c.scale
			for ch := range 2 {
				for i := range 3 * s {
					for j := range 4 * s {
						if got, want := y[(ch*3*s+i)*4*s+j], x[(ch*3+i/s)*4+j/s]; got != want {
							t.Fatalf("output (%d, %d, %d) = %v, want %v", ch, i, j, got, want)
						}
					}
				}
			}
		})
	}
}

// The fast style network's layers export: nearest upsampling as Resize,
// a one-style conditional instance norm as InstanceNormalization that
// imports back to the same outputs; a multi-style one, whose style is
// chosen at run time, is refused with the reason.
func TestStyleNetworkLayersExport(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 6, "width": 5}},
		{ID: "c1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 4, "kernel": 3, "pad": 1}},
		{ID: "cin", Op: "condinstancenorm", Inputs: []string{"c1"}, Attrs: map[string]float64{"styles": 1}},
		{ID: "up", Op: "upsample", Inputs: []string{"cin"}, Attrs: map[string]float64{"scale": 2}},
		{ID: "c2", Op: "conv2d", Inputs: []string{"up"}, Attrs: map[string]float64{"out": 3, "kernel": 3, "pad": 1}},
	}}
	b := cpu.New()
	m, err := nn.Build(g, []int{3, 6, 5}, b, 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	perturb(m, 3)
	data, err := Export(g, []int{3, 6, 5}, stateOf(m), "test")
	if err != nil {
		t.Fatal(err)
	}
	im, err := Import(data)
	if err != nil {
		t.Fatal(err)
	}
	back, err := im.Build(b)
	if err != nil {
		t.Fatal(err)
	}
	x := autograd.Const(tensor.FromData(b, torchref.Normal(9, 2*3*6*5, 1), 2, 3, 6, 5))
	want := m.Forward(&nn.Ctx{NoGrad: true}, x).Value.Data()
	got := back.Forward(&nn.Ctx{NoGrad: true}, x).Value.Data()
	if len(got) != len(want) || len(got) != 2*3*12*10 {
		t.Fatalf("%d values back, %d before", len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5 {
			t.Fatalf("value %d: %v after export and import, %v before", i, got[i], want[i])
		}
	}
	g.Nodes[2].Attrs["styles"] = 4
	m4, err := nn.Build(g, []int{3, 6, 5}, b, 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Export(g, []int{3, 6, 5}, stateOf(m4), "test"); err == nil || !strings.Contains(err.Error(), "condinstancenorm (cin") ||
		!strings.Contains(err.Error(), "single-style") {
		t.Fatalf("exporting 4 styles: %v", err)
	}
}

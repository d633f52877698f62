package nn

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// reflectpad2d pads a C×H×W map by reflection, a different amount on each
// side (PyTorch's nn.ReflectionPad2d, ONNX Pad mode="reflect"). Fast style
// transfer (Johnson et al. 2016) pads its convolutions this way so that a
// stylised image's borders are not darkened by zeros. A side must be
// smaller than the map along its axis (the mirror image does not repeat
// the edge row or column).
func init() {
	side := func(name string) Attr {
		return Attr{Name: name, Default: 0, Min: 0, Max: 8192, Int: true}
	}
	register(&Op{Name: "reflectpad2d", Group: "shape", Doc: "Reflection padding with its own amount on each side (top, bottom, left, right): the map mirrored about its edges.",
		Attrs: []Attr{side("top"), side("bottom"), side("left"), side("right")},
		MinIn: 1, MaxIn: 1, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "reflectpad2d"); err != nil {
				return nil, err
			}
			t, b, l, r := padSides(n)
			h, w := in[0][1], in[0][2]
			if t >= h || b >= h || l >= w || r >= w {
				return nil, fmt.Errorf("reflection padding of %d, %d, %d, %d (top, bottom, left, right) needs a map larger than that on each axis, not %d×%d: pad less, or pad before the map gets this small", t, b, l, r, h, w)
			}
			return []int{in[0][0], h + t + b, w + l + r}, nil
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			t, b, l, r := padSides(n)
			return autograd.ReflectPad2d(in[0], t, b, l, r)
		}})
}

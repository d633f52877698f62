package nn

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// pad2d pads a C×H×W map with a constant, a different amount on each side.
// Imported models need it: Keras' padding="same" with stride 2 pads one
// more row and column at the bottom and right than at the top and left,
// and ONNX Pad and asymmetric conv pads say each side apart. A value of
// -3.4028234663852886e38 (the lowest float32) in front of a max-pool gives
// "padding never wins", which is what TensorFlow's max-pool padding means.
//
// It is built from Reshape and Concat, so its gradient (the inner window
// of the output gradient) comes from theirs and it runs on every backend.
func init() {
	side := func(name string) Attr {
		return Attr{Name: name, Default: 0, Min: 0, Max: 8192, Int: true}
	}
	register(&Op{Name: "pad2d", Group: "shape", Doc: "Constant padding with its own amount on each side (top, bottom, left, right).",
		Attrs: []Attr{side("top"), side("bottom"), side("left"), side("right"),
			{Name: "value", Default: 0, Min: -math.MaxFloat32, Max: math.MaxFloat32, Doc: "the padding value"}},
		MinIn: 1, MaxIn: 1, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "pad2d"); err != nil {
				return nil, err
			}
			t, b, l, r := padSides(n)
			return []int{in[0][0], in[0][1] + t + b, in[0][2] + l + r}, nil
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			t, b, l, r := padSides(n)
			return Pad2d(in[0], t, b, l, r, float32(attr(n, "value")))
		}})
}

func padSides(n *graph.Node) (top, bottom, left, right int) {
	return iattr(n, "top"), iattr(n, "bottom"), iattr(n, "left"), iattr(n, "right")
}

// Pad2d pads x [N, C, H, W] with value: top rows above, bottom rows below,
// left and right columns beside. Sides may be 0; negative sides panic.
func Pad2d(x *autograd.Var, top, bottom, left, right int, value float32) *autograd.Var {
	if top < 0 || bottom < 0 || left < 0 || right < 0 {
		panic(fmt.Sprintf("nn: Pad2d with negative sides %d %d %d %d", top, bottom, left, right))
	}
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("nn: Pad2d of a %v tensor, want [N, C, H, W]", s))
	}
	n, c, h, w := s[0], s[1], s[2], s[3]
	fill := func(shape ...int) *autograd.Var {
		if value == 0 {
			return autograd.Const(tensor.New(x.B(), shape...))
		}
		return autograd.Const(tensor.Full(x.B(), value, shape...))
	}
	// join concatenates the parts of rows [rows, k] along the row.
	join := func(rows, before, k, after int, mid *autograd.Var) *autograd.Var {
		parts := []*autograd.Var{}
		if before > 0 {
			parts = append(parts, fill(rows, before))
		}
		parts = append(parts, mid)
		if after > 0 {
			parts = append(parts, fill(rows, after))
		}
		if len(parts) == 1 {
			return mid
		}
		return autograd.Concat(parts...)
	}
	y := x
	if left > 0 || right > 0 {
		y = join(n*c*h, left, w, right, autograd.Reshape(y, n*c*h, w))
		w += left + right
	}
	if top > 0 || bottom > 0 {
		y = join(n*c, top*w, h*w, bottom*w, autograd.Reshape(y, n*c, h*w))
		h += top + bottom
	}
	if y == x {
		return x
	}
	return autograd.Reshape(y, n, c, h, w)
}

package autograd_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// reflectPadCases are ReflectPad2d's PyTorch parity cases: every side
// alone, all four, the widest reflection a side allows (one less than the
// map), and the fast style network's 9×9 convolution's pad of 4.
func reflectPadCases() []torchCase {
	pad := func(name string, t, b, l, r int, shape ...int) torchCase {
		return op("reflectpad2d/"+name, fmt.Sprintf("out = F.pad(x, (%d, %d, %d, %d), mode='reflect')", l, r, t, b),
			func(v vars) *autograd.Var { return autograd.ReflectPad2d(v["x"], t, b, l, r) }, in("x", 1, shape...))
	}
	return []torchCase{
		pad("asymmetric", 1, 2, 3, 0, 2, 3, 4, 5),
		pad("top", 2, 0, 0, 0, 1, 2, 3, 4),
		pad("right", 0, 0, 0, 3, 1, 2, 3, 4),
		pad("widest", 3, 3, 4, 4, 2, 2, 4, 5),
		pad("johnson-9x9", 4, 4, 4, 4, 1, 3, 8, 8),
		pad("none", 0, 0, 0, 0, 1, 2, 3, 4),
	}
}

func TestTorchParityReflectPad2d(t *testing.T) {
	cases := reflectPadCases()
	refs := make([]torchref.Case, len(cases))
	for i, c := range cases {
		refs[i] = torchref.Case{Name: c.name, Inputs: c.inputs, Code: c.torch}
	}
	res := torchref.Run(t, refs)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := res[c.name]
			if r == nil {
				t.Fatal("no reference result")
			}
			runCase(t, c, r)
		})
	}
}

// TestReflectPad2dFiniteDifferences: the gradient (each input value
// collects the upstream gradient of its copies) is the one central
// differences give, and a side as wide as the map is refused.
func TestReflectPad2dFiniteDifferences(t *testing.T) {
	fdCheck(t, "reflectpad2d", func(v []*autograd.Var) *autograd.Var { return autograd.ReflectPad2d(v[0], 2, 1, 3, 2) }, []int{2, 2, 4, 5})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "smaller than the map") {
			t.Fatalf("padding a 4-row map by 4: %v", r)
		}
	}()
	autograd.ReflectPad2d(autograd.Const(tensor.New(be, 1, 1, 4, 5)), 4, 0, 0, 0)
}

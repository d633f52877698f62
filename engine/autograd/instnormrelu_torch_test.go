package autograd_test

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
)

// TestTorchParityInstanceNormAffineReLU: instance norm with a fused ReLU
// (shared and per-image affine) against F.relu(F.instance_norm(...)),
// values and gradients of x, gamma and beta.
func TestTorchParityInstanceNormAffineReLU(t *testing.T) {
	cases := []torchCase{
		op("instancenormaffinerelu", "out = F.relu(F.instance_norm(x, weight=g, bias=b, eps=1e-5))",
			func(v vars) *autograd.Var { return autograd.InstanceNormAffineReLU(v["x"], v["g"], v["b"], 1e-5) },
			with(in("x", 1, 2, 3, 5, 4), shift(50)), in("g", 2, 3), in("b", 3, 3)),
		op("instancenormaffinerelu/per-image", "out = F.relu(F.instance_norm(x, eps=1e-5) * g.reshape(2, 3, 1, 1) + b.reshape(2, 3, 1, 1))",
			func(v vars) *autograd.Var { return autograd.InstanceNormAffineReLU(v["x"], v["g"], v["b"], 1e-5) },
			in("x", 1, 2, 3, 5, 4), in("g", 2, 6), in("b", 3, 6)),
	}
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

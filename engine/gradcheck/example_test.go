package gradcheck_test

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/gradcheck"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Check a linear layer followed by a GELU, with respect to its input,
// weights and bias.
func ExampleCheck() {
	b := cpu.New()
	x := autograd.Param(tensor.FromData(b, []float32{0.5, -1, 2, 0.3, 0.1, -0.7}, 2, 3), "x")
	w := autograd.Param(tensor.FromData(b, []float32{0.2, -0.4, 0.1, 0.6, 0.3, -0.2, -0.5, 0.8, 0.05, 0.3, 0.3, 0.3}, 4, 3), "w")
	bias := autograd.Param(tensor.FromData(b, []float32{0.1, -0.1, 0, 0.2}, 4), "bias")
	rep, err := gradcheck.Check(func() *autograd.Var {
		return autograd.GELU(autograd.Linear(x, w, bias))
	}, []*autograd.Var{x, w, bias}, gradcheck.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Verdict, rep.MaxRelErr < 1e-3)
	for _, t := range rep.Tensors {
		fmt.Println(t.Name, t.Checked, t.Verdict)
	}
	// Output:
	// pass true
	// x 6 pass
	// w 12 pass
	// bias 4 pass
}

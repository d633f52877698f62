package cpu_test

import (
	"fmt"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
)

// The fused optimizer kernels against torch.optim: weights after 10 steps
// of SGD (plain, momentum, Nesterov, weight decay), Adam and AdamW.
func TestTorchParityOptimizerKernels(t *testing.T) {
	const n, steps = 257, 10
	w0 := torchref.Normal(1, n, 1)
	grads := torchref.Normal(2, steps*n, 1)
	type kase struct {
		name, torch string
		run         func(b *cpu.CPU, w, g, m, v backend.Buffer, step int)
	}
	sgd := func(lr, mom, wd float32, nesterov bool) kase {
		return kase{
			name:  fmt.Sprintf("sgd lr=%g momentum=%g wd=%g nesterov=%v", lr, mom, wd, nesterov),
			torch: fmt.Sprintf("torch.optim.SGD([p], lr=%g, momentum=%g, weight_decay=%g, nesterov=%s)", lr, mom, wd, map[bool]string{true: "True", false: "False"}[nesterov]),
			run: func(b *cpu.CPU, w, g, m, v backend.Buffer, step int) {
				if mom == 0 {
					m = nil
				}
				b.SGDStep(w, g, m, lr, mom, wd, nesterov)
			}}
	}
	adam := func(lr, wd float32, decoupled bool) kase {
		cls := map[bool]string{true: "AdamW", false: "Adam"}[decoupled]
		return kase{
			name:  fmt.Sprintf("%s lr=%g wd=%g", cls, lr, wd),
			torch: fmt.Sprintf("torch.optim.%s([p], lr=%g, betas=(0.9, 0.999), eps=1e-8, weight_decay=%g)", cls, lr, wd),
			run: func(b *cpu.CPU, w, g, m, v backend.Buffer, step int) {
				b.AdamStep(w, g, m, v, backend.AdamParams{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd, Decoupled: decoupled, Step: step})
			}}
	}
	cases := []kase{sgd(0.1, 0, 0, false), sgd(0.05, 0, 0.01, false), sgd(0.1, 0.9, 0, false), sgd(0.1, 0.9, 5e-4, true),
		adam(1e-2, 0, false), adam(1e-2, 0.01, false), adam(3e-3, 0.05, true)}
	refs := make([]torchref.Case, len(cases))
	for i, c := range cases {
		refs[i] = torchref.Case{Name: c.name, Inputs: []torchref.Input{
			{Name: "w", Shape: []int{n}, Data: w0}, {Name: "g", Shape: []int{steps, n}, Data: grads}},
			Code: fmt.Sprintf("p = torch.nn.Parameter(w.clone())\nopt = %s\nfor i in range(%d):\n    p.grad = g[i].clone()\n    opt.step()\nout = p.detach()", c.torch, steps)}
	}
	res := torchref.Run(t, refs)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := res[c.name]
			if r == nil {
				t.Fatal("no reference result")
			}
			b := cpu.New()
			w, m, v := b.Alloc(n), b.Alloc(n), b.Alloc(n)
			b.Write(w, 0, w0)
			for s := range steps {
				g := b.Alloc(n)
				b.Write(g, 0, grads[s*n:(s+1)*n])
				c.run(b, w, g, m, v, s+1)
			}
			torchref.Compare(t, "weights after 10 steps", cpu.Data(w), []int{n}, r.Out, torchref.Forward)
		})
	}
}

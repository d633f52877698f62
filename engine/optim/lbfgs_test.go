package optim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// rosenbrock is f(x,y) = (1-x)² + 100(y-x²)², minimum 0 at (1,1).
func rosenbrock(p *nn.Param) Closure {
	return func() (float64, error) {
		v := p.V.Value.Data()
		x, y := float64(v[0]), float64(v[1])
		f := (1-x)*(1-x) + 100*(y-x*x)*(y-x*x)
		gx := -2*(1-x) - 400*x*(y-x*x)
		gy := 200 * (y - x*x)
		p.V.Grad = tensor.FromData(p.V.Value.B, []float32{float32(gx), float32(gy)}, 2)
		return f, nil
	}
}

func TestLBFGSRosenbrock(t *testing.T) {
	for _, ls := range []string{"strong_wolfe", "backtracking"} {
		t.Run(ls, func(t *testing.T) {
			p := &nn.Param{Name: "xy", V: autograd.Param(tensor.FromData(cpu.New(), []float32{-1.5, 2}, 2), "xy")}
			o, err := NewLBFGS([]*nn.Param{p}, LBFGSConfig{LineSearch: ls, MaxIter: 500, MaxEval: 2000})
			if err != nil {
				t.Fatal(err)
			}
			f := rosenbrock(p)
			if _, err := o.Step(f); err != nil {
				t.Fatal(err)
			}
			v := p.V.Value.Data()
			if math.Abs(float64(v[0])-1) > 2e-3 || math.Abs(float64(v[1])-1) > 4e-3 {
				t.Fatalf("L-BFGS (%s) ended at %v after %d evaluations, want (1,1)", ls, v, o.Evaluations())
			}
		})
	}
}

type logreg struct {
	X []float32 `json:"x"`
	Y []int32   `json:"y"`
}

const lbfgsScript = `
import json, sys, torch
torch.set_num_threads(1)
d = json.load(sys.stdin)
x = torch.tensor(d["x"], dtype=torch.float32).reshape(-1, 4)
y = torch.tensor(d["y"], dtype=torch.long)
w = torch.zeros(3, 4, requires_grad=True)
b = torch.zeros(3, requires_grad=True)
opt = torch.optim.LBFGS([w, b], lr=1, max_iter=200, line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-12)
def closure():
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(x @ w.T + b, y) + 0.05 * (w * w).sum()
    loss.backward()
    return loss
opt.step(closure)
print(json.dumps({"w": w.detach().reshape(-1).tolist(), "b": b.detach().tolist(), "loss": float(closure())}))
`

// TestLBFGSLogisticRegressionMatchesTorch: regularised softmax regression
// is strictly convex, so ours and torch's L-BFGS must reach the same optimum.
func TestLBFGSLogisticRegressionMatchesTorch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var d logreg
	const n = 60
	for i := range n {
		c := i % 3
		for j := range 4 {
			v := rng.NormFloat64()
			if j == c {
				v += 1.5
			}
			d.X = append(d.X, float32(v))
		}
		d.Y = append(d.Y, int32(c))
	}
	var want struct {
		W, B []float64
		Loss float64
	}
	runTorch(t, lbfgsScript, d, &want)

	b := cpu.New()
	w := &nn.Param{Name: "w", V: autograd.Param(tensor.New(b, 3, 4), "w")}
	bias := &nn.Param{Name: "b", V: autograd.Param(tensor.New(b, 3), "b")}
	x := autograd.Const(tensor.FromData(b, d.X, n, 4))
	target := autograd.OneHot(b, d.Y, 3, 0)
	closure := func() (float64, error) {
		loss := autograd.Add(autograd.CrossEntropy(autograd.Linear(x, w.V, bias.V), target),
			autograd.Scale(autograd.L2Penalty([]*autograd.Var{w.V}), 0.05))
		loss.Backward()
		return float64(loss.Item()), nil
	}
	o, err := NewLBFGS([]*nn.Param{w, bias}, LBFGSConfig{MaxIter: 200, LineSearch: "strong_wolfe", TolGrad: 1e-9, TolChange: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Step(closure); err != nil {
		t.Fatal(err)
	}
	loss, _ := closure()
	if !closeTo(loss, want.Loss, 1e-5, 1e-4) {
		t.Errorf("final loss %.7f, torch %.7f", loss, want.Loss)
	}
	for i, v := range w.V.Value.Data() {
		if !closeTo(float64(v), want.W[i], 1e-3, 1e-3) {
			t.Errorf("w[%d] = %.5f, torch %.5f", i, v, want.W[i])
		}
	}
	for i, v := range bias.V.Value.Data() {
		if !closeTo(float64(v), want.B[i], 1e-3, 1e-3) {
			t.Errorf("b[%d] = %.5f, torch %.5f", i, v, want.B[i])
		}
	}
}

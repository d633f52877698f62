package style_test

import (
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/style"
)

// TestStyleObjectiveGradient: the pixel gradient of a Gram loss through the
// model and its channel standardisation equals central finite differences
// (the gradients are ~1e-8: small enough that pulling them back through
// Apply(g) − Apply(0) lost them to float32 cancellation).
func TestStyleObjectiveGradient(t *testing.T) {
	net := refNet(t)
	src := stripes(24, 24)
	acts, err := net.Activations(src.Pix, src.Shape, []string{"relu1"})
	if err != nil {
		t.Fatal(err)
	}
	target := style.Gram(autograd.Const(acts["relu1"])).Value
	obj := net.LayerObjective(src.Shape, []string{"relu1"}, func(a map[string]*autograd.Var) *autograd.Var {
		return autograd.MSE(style.Gram(a["relu1"]), target)
	}, -1)
	x := make([]float32, len(src.Pix))
	for i := range x {
		x[i] = 0.5 + 0.3*float32((i*7919)%13)/13
	}
	_, g, err := obj(x)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-2
	for _, i := range []int{5, 100, 700, 1000, 1500} {
		x2 := append([]float32(nil), x...)
		x2[i] += h
		up, _, _ := obj(x2)
		x2[i] -= 2 * h
		down, _, _ := obj(x2)
		fd := (up - down) / (2 * h)
		if math.Abs(float64(g[i])-fd) > 0.05*math.Abs(fd)+1e-10 {
			t.Errorf("pixel %d: gradient %.4g, finite difference %.4g", i, g[i], fd)
		}
	}
}

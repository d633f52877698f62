package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
)

// robustOrNot is Tsipras et al.'s two-class task on 1×8×8 images: pixel 0
// is a robust feature (0.5 ± 0.4, right for 90% of the images), the other
// 63 are weak non-robust ones (0.5 ± 0.05 plus noise of 0.1) that together
// predict the class almost perfectly but that an L∞ step of 0.1 reverses.
func robustOrNot(n int, seed uint64) *data.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &data.Set{Classes: []string{"minus", "plus"}, C: 1, H: 8, W: 8}
	px := func(v float64) uint8 { return uint8(min(max(v, 0), 1)*255 + 0.5) }
	for i := range n {
		y := int32(i % 2)
		sign := float64(2*y - 1)
		r := sign
		if rng.Float64() < 0.1 {
			r = -r
		}
		s.Images = append(s.Images, px(0.5+0.4*r))
		for range 63 {
			s.Images = append(s.Images, px(0.5+0.05*sign+0.1*rng.NormFloat64()))
		}
		s.Labels = append(s.Labels, y)
	}
	return s
}

func robustNet() graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 8, "width": 8}},
		{ID: "flat", Op: "flatten", Inputs: []string{"input"}},
		{ID: "fc1", Op: "linear", Inputs: []string{"flat"}, Attrs: map[string]float64{"out": 16}},
		{ID: "relu", Op: "relu", Inputs: []string{"fc1"}},
		{ID: "fc", Op: "linear", Inputs: []string{"relu"}, Attrs: map[string]float64{"out": 2}},
	}}
}

// robustAcc trains robustNet (adversarially when adv is set) and returns
// its clean accuracy and its accuracy under a PGD attack of eps 0.1 on a
// test set.
func robustAcc(t *testing.T, adv *Adversarial) (clean, attacked float64) {
	t.Helper()
	m, err := nn.Build(robustNet(), nil, cpu.New(), 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Optimizer: "adam", Optim: optim.Config{LR: 1e-2}, Epochs: 30, Batch: 32, Seed: 5, Adversarial: adv}
	tr, err := New(m, robustOrNot(1000, 1), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	test := robustOrNot(400, 2)
	x := make([]float32, len(test.Images))
	for i, v := range test.Images {
		x[i] = float32(v) / 255
	}
	labels := make([]int, len(test.Labels))
	for i, y := range test.Labels {
		labels[i] = int(y)
	}
	net := attrib.Net{Model: m}
	for i, p := range net.Predict(x, len(labels)) {
		if p == labels[i] {
			clean++
		}
	}
	res, err := adversarial.Run(context.Background(), net, x, len(labels), labels,
		adversarial.Config{Method: adversarial.PGD, Eps: 0.1, Steps: 10, RandomStart: true, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range res.Success {
		if !ok {
			attacked++
		}
	}
	n := float64(len(labels))
	return clean / n, attacked / n
}

// Adversarial training makes the model hold under the attack that breaks
// the standard one: it learns the robust feature instead of the weak ones.
func TestAdversarialTrainingResistsPGD(t *testing.T) {
	stdClean, stdAtt := robustAcc(t, nil)
	for _, method := range []string{adversarial.PGD, adversarial.FGSM} {
		advClean, advAtt := robustAcc(t, &Adversarial{Method: method, Eps: 0.1, Steps: 5, Ramp: 3})
		t.Logf("standard: clean %.3f, under PGD %.3f; %s-trained: clean %.3f, under PGD %.3f", stdClean, stdAtt, method, advClean, advAtt)
		if stdClean < 0.95 {
			t.Fatalf("the standard model reaches only %.3f clean accuracy", stdClean)
		}
		if stdAtt > 0.2 {
			t.Fatalf("PGD leaves the standard model %.3f accuracy: the task is not a test", stdAtt)
		}
		if advAtt < 0.75 || advAtt < stdAtt+0.5 {
			t.Fatalf("%s training: %.3f accuracy under PGD against the standard model's %.3f", method, advAtt, stdAtt)
		}
	}
}

func TestAdversarialSettingsAreChecked(t *testing.T) {
	for _, a := range []Adversarial{{Method: "bim", Eps: 0.1}, {Method: "pgd", Eps: 0}, {Method: "fgsm", Eps: 2}, {Method: "pgd", Eps: 0.1, Steps: -1}, {Method: "pgd", Eps: 0.1, Ramp: -1}} {
		if err := (Config{Adversarial: &a}).Validate(); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}
